/* test-pop3-dovecot.c: the POP3 client against the real Dovecot
 *
 * Messages are placed straight into carol's Maildir (these tests own
 * carol's INBOX: they empty it before each test), with LF line ends as
 * Dovecot stores them; Dovecot serves them with CRLF line ends, so each
 * message is compared byte for byte with its file after LF -> CRLF.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "kurir-net-error.h"
#include "pop3-test-helpers.h"

#define USER "carol"

/* The Maildir */

static const char *
maildir (void)
{
  return kurir_test_getenv ("KURIR_TEST_MAILDIR_CAROL");
}

static void
chown_to_mail_user (const char *path)
{
  guint64 uid, gid;

  g_assert_true (g_ascii_string_to_unsigned (kurir_test_getenv ("KURIR_TEST_MAIL_UID"),
                                             10, 0, G_MAXUINT32, &uid, NULL));
  g_assert_true (g_ascii_string_to_unsigned (kurir_test_getenv ("KURIR_TEST_MAIL_GID"),
                                             10, 0, G_MAXUINT32, &gid, NULL));
  g_assert_cmpint (chown (path, (uid_t) uid, (gid_t) gid), ==, 0);
}

static guint
count_files (const char *sub)
{
  g_autofree char *path = g_build_filename (maildir (), sub, NULL);
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint count = 0;

  if (dir == NULL)
    return 0;
  while (g_dir_read_name (dir) != NULL)
    count++;
  return count;
}

static guint
count_messages (void)
{
  return count_files ("new") + count_files ("cur");
}

static void
empty_inbox (void)
{
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *path = g_build_filename (maildir (), i == 0 ? "new" : "cur", NULL);
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      if (dir == NULL)
        {
          g_assert_cmpint (g_mkdir_with_parents (path, 0700), ==, 0);
          chown_to_mail_user (path);
          continue;
        }
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *file = g_build_filename (path, name, NULL);
          g_assert_cmpint (g_unlink (file), ==, 0);
        }
    }
}

/* Places @text (LF line ends) in new/; messages are served in the order of
 * their file names. */
static void
place_message (guint       index,
               const char *text)
{
  g_autofree char *name = g_strdup_printf ("1700000000.M%06uP%d.kurirtest", index, (int) getpid ());
  g_autofree char *path = g_build_filename (maildir (), "new", name, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  chown_to_mail_user (path);
}

static GBytes *
crlf (const char *text)
{
  GString *str = g_string_new (NULL);

  for (const char *p = text; *p; p++)
    {
      if (*p == '\n')
        g_string_append_c (str, '\r');
      g_string_append_c (str, *p);
    }
  return g_string_free_to_bytes (str);
}

static char *
make_message (guint index,
              gsize body_size)
{
  GString *str = g_string_new (NULL);
  guint line = 0;

  g_string_append_printf (str,
                          "From: Alice <alice@example.org>\n"
                          "To: Carol <carol@example.org>\n"
                          "Subject: Message %u\n"
                          "Message-ID: <msg-%u@example.org>\n"
                          "Date: Mon, 2 Nov 2026 10:00:00 +0000\n"
                          "\n", index, index);
  while (str->len < body_size)
    {
      switch (line++ % 7)
        {
        case 0:
          g_string_append (str, ".\n");  /* a lone dot: stuffed on the wire */
          break;
        case 3:
          g_string_append_printf (str, "..two dots in line %u of message %u\n", line, index);
          break;
        case 5:
          g_string_append (str, ".leading dot\n");
          break;
        default:
          g_string_append_printf (str, "Line %u of message %u: the quick brown fox jumps over "
                                  "the lazy dog.\n", line, index);
        }
    }
  g_string_append (str, "The end.\n");
  return g_string_free (str, FALSE);
}

/* Clients */

static KurirPop3Client *
new_client (const char    *port_variable,
            KurirSecurity  security,
            gboolean       trust_test_ca)
{
  g_autoptr(KurirConnection) connection =
    kurir_connection_new (kurir_test_getenv ("KURIR_TEST_HOST"), kurir_test_port (port_variable),
                          security);
  g_autoptr(GError) error = NULL;

  if (trust_test_ca)
    {
      kurir_connection_set_ca_file (connection, kurir_test_getenv ("KURIR_TEST_CA"), &error);
      g_assert_no_error (error);
    }
  return kurir_pop3_client_new (connection);
}

static KurirPop3Client *
logged_in_client (void)
{
  KurirPop3Client *client = new_client ("KURIR_TEST_POP3S_PORT", KURIR_SECURITY_TLS, TRUE);
  g_autoptr(GError) error = NULL;

  g_assert_true (pop3_connect (client, &error));
  g_assert_no_error (error);
  g_assert_true (pop3_login (client, USER, kurir_test_getenv ("KURIR_TEST_PASSWORD_CAROL"), &error));
  g_assert_no_error (error);
  return client;
}

static guint
server_count (void)
{
  g_autoptr(KurirPop3Client) client = logged_in_client ();
  g_autoptr(GError) error = NULL;
  guint count = 0;

  g_assert_true (pop3_stat (client, &count, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (pop3_quit (client, &error));
  g_assert_no_error (error);
  return count;
}

/* Tests */

static void
test_mechanism (gconstpointer data)
{
  const char *mechanism = data;
  g_autoptr(KurirPop3Client) client = new_client ("KURIR_TEST_POP3S_PORT", KURIR_SECURITY_TLS, TRUE);
  g_autoptr(GError) error = NULL;
  guint count = 99;

  empty_inbox ();
  place_message (1, "Subject: one\n\nHello\n");

  g_assert_true (pop3_connect (client, &error));
  g_assert_no_error (error);
  g_assert_true (kurir_connection_is_encrypted (kurir_pop3_client_get_connection (client)));
  kurir_pop3_client_set_mechanism (client, mechanism);
  g_assert_true (pop3_login (client, USER, kurir_test_getenv ("KURIR_TEST_PASSWORD_CAROL"), &error));
  g_assert_no_error (error);
  g_assert_cmpstr (kurir_pop3_client_get_auth_mechanism (client), ==,
                   mechanism ? mechanism : "SCRAM-SHA-256");
  g_assert_true (pop3_stat (client, &count, NULL, &error));
  g_assert_cmpuint (count, ==, 1);
  g_assert_true (pop3_quit (client, &error));
  g_assert_no_error (error);
}

static void
test_wrong_password (gconstpointer data)
{
  const char *mechanism = data;
  g_autoptr(KurirPop3Client) client = new_client ("KURIR_TEST_POP3S_PORT", KURIR_SECURITY_TLS, TRUE);
  g_autoptr(GError) error = NULL;

  empty_inbox ();
  place_message (1, "Subject: one\n\nHello\n");
  place_message (2, "Subject: two\n\nHello\n");

  g_assert_true (pop3_connect (client, &error));
  kurir_pop3_client_set_mechanism (client, mechanism);
  g_assert_false (pop3_login (client, USER, "not-the-password", &error));
  g_assert_error (error, KURIR_POP3_ERROR, KURIR_POP3_ERROR_AUTH_FAILED);
  g_assert_nonnull (strstr (error->message, "user name or password"));

  /* Nothing changed: the messages are where they were. */
  g_clear_object (&client);
  g_assert_cmpuint (count_messages (), ==, 2);
  g_assert_cmpuint (server_count (), ==, 2);
}

static void
test_commands (void)
{
  const char *texts[] = {
    "Subject: first\nMessage-ID: <first@example.org>\n\nBody of the first.\n",
    "Subject: dots\n\n.\n..\n...\n.leading\nmiddle . dot\n.\n",
    NULL,
  };
  g_autofree char *third = make_message (3, 20000);
  g_autoptr(KurirPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) list = NULL;
  g_autoptr(GArray) uids = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  guint count = 0;
  guint64 size = 0, total = 0;
  gboolean from_headers = TRUE;
  gboolean matched[3] = { FALSE, FALSE, FALSE };

  texts[2] = third;
  empty_inbox ();
  for (guint i = 0; i < 3; i++)
    place_message (i + 1, texts[i]);

  client = logged_in_client ();
  g_assert_true (kurir_pop3_client_get_pipelining (client));
  g_assert_true (kurir_pop3_client_has_capability (client, "UIDL"));

  g_assert_true (pop3_stat (client, &count, &size, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count, ==, 3);

  list = pop3_list (client, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 3);

  uids = pop3_uidl (client, &from_headers, &error);
  g_assert_no_error (error);
  g_assert_false (from_headers);
  g_assert_cmpuint (uids->len, ==, 3);

  /* Dovecot numbers the messages in the order it found the files, so each
   * message is matched to its text by content. */
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(GBytes) message = NULL;
      g_autoptr(GBytes) top = NULL;
      g_autoptr(GBytes) expected = NULL;
      const char *data;
      gsize header_length;
      KurirPop3ListEntry *entry = &g_array_index (list, KurirPop3ListEntry, i);
      KurirPop3UidEntry *uid = &g_array_index (uids, KurirPop3UidEntry, i);

      message = pop3_retr (client, i + 1, &error);
      g_assert_no_error (error);
      for (guint j = 0; j < 3 && expected == NULL; j++)
        {
          g_autoptr(GBytes) candidate = crlf (texts[j]);

          if (g_bytes_equal (candidate, message))
            {
              expected = g_steal_pointer (&candidate);
              g_assert_false (matched[j]);
              matched[j] = TRUE;
            }
        }
      /* Byte for byte equal to one of the files, with CRLF line ends. */
      g_assert_nonnull (expected);
      data = g_bytes_get_data (expected, NULL);
      header_length = strstr (data, "\r\n\r\n") - data + 4;

      g_assert_cmpuint (entry->number, ==, i + 1);
      g_assert_cmpuint (entry->size, ==, g_bytes_get_size (expected));
      total += entry->size;
      g_assert_cmpuint (uid->number, ==, i + 1);
      g_assert_false (g_hash_table_contains (seen, uid->uid));
      g_hash_table_add (seen, uid->uid);

      top = pop3_top (client, i + 1, 0, &error);
      g_assert_no_error (error);
      g_assert_cmpmem (g_bytes_get_data (top, NULL), g_bytes_get_size (top), data, header_length);
    }
  g_assert_cmpuint (size, ==, total);

  g_assert_true (pop3_noop (client, &error));
  g_assert_no_error (error);
  g_assert_true (pop3_quit (client, &error));
  g_assert_no_error (error);
}

static void
test_delete_quit (void)
{
  g_autoptr(KurirPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) uids = NULL;
  g_autoptr(GArray) after = NULL;
  g_autofree char *kept_uid = NULL;

  empty_inbox ();
  place_message (1, "Subject: one\n\nDelete me.\n");
  place_message (2, "Subject: two\n\nKeep me.\n");
  place_message (3, "Subject: three\n\nDelete me, then not.\n");

  client = logged_in_client ();
  uids = pop3_uidl (client, NULL, &error);
  kept_uid = g_strdup (g_array_index (uids, KurirPop3UidEntry, 1).uid);
  g_assert_true (pop3_dele (client, 1, &error));
  g_assert_true (pop3_dele (client, 3, &error));
  g_assert_no_error (error);
  /* A deleted message is gone for this session. */
  g_assert_null (pop3_retr (client, 1, &error));
  g_assert_error (error, KURIR_POP3_ERROR, KURIR_POP3_ERROR_NO_SUCH_MESSAGE);
  g_clear_error (&error);
  g_assert_false (pop3_dele (client, 1, &error));
  g_assert_error (error, KURIR_POP3_ERROR, KURIR_POP3_ERROR_NO_SUCH_MESSAGE);
  g_clear_error (&error);
  g_assert_true (pop3_rset (client, &error));
  g_assert_true (pop3_dele (client, 1, &error));
  g_assert_no_error (error);
  g_assert_true (pop3_quit (client, &error));
  g_assert_no_error (error);
  g_clear_object (&client);

  g_assert_cmpuint (count_messages (), ==, 2);
  client = logged_in_client ();
  after = pop3_uidl (client, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (after->len, ==, 2);
  g_assert_cmpstr (g_array_index (after, KurirPop3UidEntry, 0).uid, ==, kept_uid);
  g_assert_true (pop3_quit (client, &error));
}

static void
test_delete_dropped (void)
{
  g_autoptr(KurirPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;

  empty_inbox ();
  place_message (1, "Subject: one\n\nStay.\n");
  place_message (2, "Subject: two\n\nStay too.\n");

  client = logged_in_client ();
  g_assert_true (pop3_dele (client, 1, &error));
  g_assert_true (pop3_dele (client, 2, &error));
  g_assert_no_error (error);
  /* The connection ends without QUIT: Dovecot must delete nothing. */
  kurir_pop3_client_disconnect (client);
  g_assert_false (kurir_pop3_client_is_connected (client));
  g_clear_object (&client);

  g_assert_cmpuint (server_count (), ==, 2);
  g_assert_cmpuint (count_messages (), ==, 2);
}

static void
test_pipelined (void)
{
  const guint n = 500;
  g_autoptr(KurirPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) pipelined = NULL;
  g_autofree guint *numbers = g_new (guint, n);
  g_autofree gboolean *seen = g_new0 (gboolean, n);

  empty_inbox ();
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *text = make_message (i + 1, 500 + (i * 97) % 6000);
      place_message (i + 1, text);
      numbers[i] = i + 1;
    }

  client = logged_in_client ();
  g_assert_true (kurir_pop3_client_get_pipelining (client));
  kurir_pop3_client_set_pipeline_window (client, 32);
  pipelined = pop3_retr_many (client, numbers, n, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pipelined->len, ==, n);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GBytes) sequential = pop3_retr (client, i + 1, &error);
      const char *data = g_bytes_get_data (sequential, NULL);
      const char *subject;
      guint64 index;

      g_assert_no_error (error);
      g_assert_true (g_bytes_equal (sequential, pipelined->pdata[i]));
      /* Every message exactly once, byte for byte. */
      subject = g_strstr_len (data, g_bytes_get_size (sequential), "Subject: Message ");
      g_assert_nonnull (subject);
      index = g_ascii_strtoull (subject + strlen ("Subject: Message "), NULL, 10);
      g_assert_cmpuint (index, >=, 1);
      g_assert_cmpuint (index, <=, n);
      g_assert_false (seen[index - 1]);
      seen[index - 1] = TRUE;
      {
        g_autofree char *text = make_message (index, 500 + ((index - 1) * 97) % 6000);
        g_autoptr(GBytes) expected = crlf (text);

        g_assert_true (g_bytes_equal (sequential, expected));
      }
    }
  g_assert_true (pop3_quit (client, &error));
  g_assert_no_error (error);
}

static void
test_stls (void)
{
  g_autoptr(KurirPop3Client) client = new_client ("KURIR_TEST_POP3_PORT", KURIR_SECURITY_STARTTLS, TRUE);
  g_autoptr(GError) error = NULL;
  guint count = 0;

  empty_inbox ();
  place_message (1, "Subject: one\n\nHello\n");

  g_assert_true (pop3_connect (client, &error));
  g_assert_no_error (error);
  g_assert_true (kurir_connection_is_encrypted (kurir_pop3_client_get_connection (client)));
  /* Only the capabilities read over TLS count. */
  g_assert_false (kurir_pop3_client_has_capability (client, "STLS"));
  g_assert_true (kurir_pop3_client_has_capability (client, "SASL"));
  g_assert_true (g_strv_contains (kurir_pop3_client_get_sasl_mechanisms (client), "SCRAM-SHA-256"));

  g_assert_true (pop3_login (client, USER, kurir_test_getenv ("KURIR_TEST_PASSWORD_CAROL"), &error));
  g_assert_no_error (error);
  g_assert_cmpstr (kurir_pop3_client_get_auth_mechanism (client), ==, "SCRAM-SHA-256");
  g_assert_true (pop3_stat (client, &count, NULL, &error));
  g_assert_cmpuint (count, ==, 1);
  g_assert_true (pop3_quit (client, &error));
  g_assert_no_error (error);
}

static char *
read_log (void)
{
  g_autofree char *contents = NULL;

  g_file_get_contents (kurir_test_getenv ("KURIR_TEST_DOVECOT_LOG"), &contents, NULL, NULL);
  return g_steal_pointer (&contents);
}

static void
test_stls_without_ca (void)
{
  g_autoptr(KurirPop3Client) client = new_client ("KURIR_TEST_POP3_PORT", KURIR_SECURITY_STARTTLS, FALSE);
  g_autoptr(GError) error = NULL;
  g_autofree char *log_before = read_log ();
  g_autofree char *log_after = NULL;

  g_assert_false (pop3_connect (client, &error));
  g_assert_error (error, KURIR_NET_ERROR, KURIR_NET_ERROR_CERTIFICATE);
  g_assert_false (kurir_pop3_client_is_connected (client));
  g_clear_error (&error);
  g_assert_false (pop3_login (client, USER, kurir_test_getenv ("KURIR_TEST_PASSWORD_CAROL"), &error));
  g_assert_error (error, KURIR_NET_ERROR, KURIR_NET_ERROR_CLOSED);

  /* Dovecot saw no login attempt from this connection. */
  log_after = read_log ();
  g_assert_true (g_str_has_prefix (log_after, log_before));
  g_assert_null (strstr (log_after + strlen (log_before), "user=<carol>"));
}

static void
test_pop3s_without_ca (void)
{
  g_autoptr(KurirPop3Client) client = new_client ("KURIR_TEST_POP3S_PORT", KURIR_SECURITY_TLS, FALSE);
  g_autoptr(GError) error = NULL;

  g_assert_false (pop3_connect (client, &error));
  g_assert_error (error, KURIR_NET_ERROR, KURIR_NET_ERROR_CERTIFICATE);
}

int
main (int    argc,
      char **argv)
{
  /* No isolated XDG folders: GIO's proxy resolver needs the system's
   * settings schemas, and nothing here writes to the user's folders. */
  g_test_init (&argc, &argv, NULL);
  kurir_test_require_servers ();

  g_test_add_data_func ("/pop3/dovecot/login/strongest", NULL, test_mechanism);
  g_test_add_data_func ("/pop3/dovecot/login/SCRAM-SHA-256", "SCRAM-SHA-256", test_mechanism);
  g_test_add_data_func ("/pop3/dovecot/login/SCRAM-SHA-1", "SCRAM-SHA-1", test_mechanism);
  g_test_add_data_func ("/pop3/dovecot/login/PLAIN", "PLAIN", test_mechanism);
  g_test_add_data_func ("/pop3/dovecot/login/LOGIN", "LOGIN", test_mechanism);
  g_test_add_data_func ("/pop3/dovecot/login/USER", "USER", test_mechanism);
  g_test_add_data_func ("/pop3/dovecot/wrong-password/SCRAM-SHA-256", "SCRAM-SHA-256", test_wrong_password);
  g_test_add_data_func ("/pop3/dovecot/wrong-password/PLAIN", "PLAIN", test_wrong_password);
  g_test_add_data_func ("/pop3/dovecot/wrong-password/USER", "USER", test_wrong_password);
  g_test_add_func ("/pop3/dovecot/commands", test_commands);
  g_test_add_func ("/pop3/dovecot/delete-quit", test_delete_quit);
  g_test_add_func ("/pop3/dovecot/delete-dropped", test_delete_dropped);
  g_test_add_func ("/pop3/dovecot/pipelined", test_pipelined);
  g_test_add_func ("/pop3/dovecot/stls", test_stls);
  g_test_add_func ("/pop3/dovecot/stls-without-ca", test_stls_without_ca);
  g_test_add_func ("/pop3/dovecot/pop3s-without-ca", test_pop3s_without_ca);

  return g_test_run ();
}
