/* test-pop3-sync.c: the POP3 workflow of kurir-cli sync against the real
 * Dovecot and SMTP server of tests/servers/with-servers
 *
 * These tests own the mailboxes of dave (POP3S and STLS) and erin (mail
 * that arrives through SMTP).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "kurir-account.h"
#include "kurir-pop3-client.h"
#include "kurir-secret.h"
#include "pop3-test-helpers.h"
#include "kurir-store.h"
#include "kurir-test-util.h"

#define N_MESSAGES 12

/* Helpers */

static char *
maildir_of (const char *user)
{
  g_autofree char *variable = g_ascii_strup (user, -1);
  g_autofree char *name = g_strconcat ("KURIR_TEST_MAILDIR_", variable, NULL);

  return g_strdup (kurir_test_getenv (name));
}

static char *
password_of (const char *user)
{
  g_autofree char *variable = g_ascii_strup (user, -1);
  g_autofree char *name = g_strconcat ("KURIR_TEST_PASSWORD_", variable, NULL);

  return g_strdup (kurir_test_getenv (name));
}

static void
empty_dir (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (path, name, NULL);
      g_assert_cmpint (g_unlink (file), ==, 0);
    }
}

/* The server's messages, as files in the Maildir (new/ and cur/), LF ends:
 * message file name → contents */
static GHashTable *
server_messages (const char *user)
{
  g_autofree char *maildir = maildir_of (user);
  GHashTable *messages = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *sub = g_build_filename (maildir, i == 0 ? "new" : "cur", NULL);
      g_autoptr(GDir) dir = g_dir_open (sub, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *path = g_build_filename (sub, name, NULL);
          char *contents = NULL;

          g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
          g_hash_table_insert (messages, g_strdup (name), contents);
        }
    }
  return messages;
}

/* Empties the user's mailbox and places @n messages (LF line ends, some
 * with lines starting with a dot, one 8-bit) owned by the mail user. */
static void
fill_mailbox (const char *user,
              guint       n)
{
  g_autofree char *maildir = maildir_of (user);
  guint64 uid = 0, gid = 0;

  g_ascii_string_to_unsigned (kurir_test_getenv ("KURIR_TEST_MAIL_UID"), 10, 0, G_MAXUINT32, &uid, NULL);
  g_ascii_string_to_unsigned (kurir_test_getenv ("KURIR_TEST_MAIL_GID"), 10, 0, G_MAXUINT32, &gid, NULL);

  for (guint i = 0; i < 3; i++)
    {
      const char *subs[] = { "new", "cur", "tmp" };
      g_autofree char *sub = g_build_filename (maildir, subs[i], NULL);
      empty_dir (sub);
    }
  /* Dovecot's index of the old messages goes too. */
  for (guint i = 0; i < 4; i++)
    {
      const char *files[] = { "dovecot.index", "dovecot.index.log", "dovecot-uidlist", "dovecot.index.cache" };
      g_autofree char *path = g_build_filename (maildir, files[i], NULL);
      g_unlink (path);
    }

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("%u.M%uP1.test", 1700000000 + i, i);
      g_autofree char *path = g_build_filename (maildir, "new", name, NULL);
      g_autofree char *text = NULL;

      text = g_strdup_printf ("From: Sender %u <sender%u@example.org>\n"
                              "To: %s@localhost\n"
                              "Subject: =?UTF-8?B?U2FsYW0=?= number %u\n"
                              "Message-ID: <sync-%u-%s@example.org>\n"
                              "Date: Fri, 27 Nov 2026 10:%02u:00 +0700\n"
                              "MIME-Version: 1.0\n"
                              "Content-Type: text/plain; charset=utf-8\n"
                              "Content-Transfer-Encoding: 8bit\n"
                              "\n"
                              "Halo, ini pesan nomor %u.\n"
                              ".a line that starts with a dot\n"
                              "..and two dots\n"
                              "Grüße\n",
                              i, i, user, i, i, user, i % 60, i);
      g_assert_true (g_file_set_contents (path, text, -1, NULL));
      g_assert_cmpint (chown (path, (uid_t) uid, (gid_t) gid), ==, 0);
    }
}

/* Adds @text (LF line ends) as the file @name of the user's new/. */
static void
place_text (const char *user,
            const char *name,
            const char *text)
{
  g_autofree char *maildir = maildir_of (user);
  g_autofree char *path = g_build_filename (maildir, "new", name, NULL);
  guint64 uid = 0, gid = 0;

  g_ascii_string_to_unsigned (kurir_test_getenv ("KURIR_TEST_MAIL_UID"), 10, 0, G_MAXUINT32, &uid, NULL);
  g_ascii_string_to_unsigned (kurir_test_getenv ("KURIR_TEST_MAIL_GID"), 10, 0, G_MAXUINT32, &gid, NULL);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  g_assert_cmpint (chown (path, (uid_t) uid, (gid_t) gid), ==, 0);
}

/* Adds one message of about @kib KiB (LF line ends) to the user's new/. */
static void
place_big_message (const char *user,
                   guint       n,
                   guint       kib)
{
  g_autofree char *maildir = maildir_of (user);
  g_autofree char *name = g_strdup_printf ("%u.M%uP2.big", 1710000000 + n, n);
  g_autofree char *path = g_build_filename (maildir, "new", name, NULL);
  GString *text = g_string_new (NULL);
  guint64 uid = 0, gid = 0;

  g_ascii_string_to_unsigned (kurir_test_getenv ("KURIR_TEST_MAIL_UID"), 10, 0, G_MAXUINT32, &uid, NULL);
  g_ascii_string_to_unsigned (kurir_test_getenv ("KURIR_TEST_MAIL_GID"), 10, 0, G_MAXUINT32, &gid, NULL);
  g_string_append_printf (text, "From: Big Sender <big%u@example.org>\n"
                                "To: %s@localhost\n"
                                "Subject: big attachment %u\n"
                                "Message-ID: <big-%u-%s@example.org>\n"
                                "Date: Sat, 28 Nov 2026 09:%02u:00 +0000\n"
                                "\n", n, user, n, n, user, n % 60);
  for (guint line = 0; text->len < kib * 1024; line++)
    g_string_append_printf (text, "%s%06u line of a big message, number %u\n",
                            line % 7 == 0 ? "." : "", line, n);
  g_assert_true (g_file_set_contents (path, text->str, text->len, NULL));
  g_assert_cmpint (chown (path, (uid_t) uid, (gid_t) gid), ==, 0);
  g_string_free (text, TRUE);
}

static char *
lf_to_crlf (const char *text)
{
  GString *out = g_string_new (NULL);

  for (const char *p = text; *p; p++)
    {
      if (*p == '\n' && (p == text || p[-1] != '\r'))
        g_string_append_c (out, '\r');
      g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

static void
add_account (const char *name,
             const char *user,
             const char *port_variable,
             const char *security,
             const char *password)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *input = g_strconcat (password, "\n", NULL);
  g_autofree char *email = g_strconcat (user, "@localhost", NULL);
  int status;

  status = kurir_test_run_cli (input, &out, &err, "account", "add", name,
                               "--email", email, "--user", user, "--protocol", "pop3",
                               "--host", kurir_test_getenv ("KURIR_TEST_HOST"),
                               "--port", kurir_test_getenv (port_variable),
                               "--security", security,
                               "--ca-file", kurir_test_getenv ("KURIR_TEST_CA"),
                               "--password-stdin", NULL);
  if (status != 0)
    g_error ("account add failed: %s", err);
}

static void
set_account (const char *name,
             const char *option,
             const char *value)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  if (kurir_test_run_cli (NULL, &out, &err, "account", "set", name, option, value, NULL) != 0)
    g_error ("account set failed: %s", err);
}

/* Runs kurir-cli sync NAME; returns its status, and its counts from the
 * summary line in @out_counts (downloaded, deleted, kept). */
static int
sync_account (const char  *name,
              guint       *out_counts,
              char       **out_err)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *prefix = g_strconcat (name, ": ", NULL);
  int status;

  status = kurir_test_run_cli (NULL, &out, &err, "sync", name, NULL);
  if (status == 0)
    {
      g_assert_true (g_str_has_prefix (out, prefix));
      g_assert_cmpint (sscanf (out + strlen (prefix),
                               "%u downloaded, %u deleted on the server, %u kept on the server",
                               &out_counts[0], &out_counts[1], &out_counts[2]), ==, 3);
    }
  if (out_err != NULL)
    *out_err = g_steal_pointer (&err);
  return status;
}

static KurirStore *
open_store (void)
{
  g_autoptr(GError) error = NULL;
  KurirStore *store = kurir_store_open (NULL, &error);

  g_assert_no_error (error);
  return store;
}

/* Every message in the account's INBOX equals one of the server's
 * messages (as Dovecot serves it: CRLF), and each appears once. */
static void
assert_store_equals (const char *account,
                     GHashTable *expected_files)
{
  g_autoptr(KurirStore) store = open_store ();
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GHashTable) expected = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GError) error = NULL;
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, expected_files);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_hash_table_add (expected, lf_to_crlf (value));

  messages = kurir_store_list (store, account, KURIR_STORE_INBOX, 0, 10000, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (messages->len, ==, g_hash_table_size (expected));

  for (guint i = 0; i < messages->len; i++)
    {
      KurirMessage *message = g_ptr_array_index (messages, i);
      g_autoptr(GBytes) raw = kurir_store_get_raw (store, kurir_message_get_id (message), &error);
      g_autofree char *text = NULL;

      g_assert_no_error (error);
      text = g_strndup (g_bytes_get_data (raw, NULL), g_bytes_get_size (raw));
      g_assert_cmpuint (strlen (text), ==, g_bytes_get_size (raw));
      /* Removing it proves it was expected and is not there twice. */
      if (!g_hash_table_remove (expected, text))
        g_error ("Stored message %" G_GINT64_FORMAT " is not one of the server's, or a duplicate",
                 kurir_message_get_id (message));
    }
}

/* The account's INBOX: messages stored as headers only, and how many. */
static GPtrArray *
partial_messages (const char *account,
                  guint      *out_total)
{
  g_autoptr(KurirStore) store = open_store ();
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *partial = g_ptr_array_new_with_free_func (g_object_unref);

  messages = kurir_store_list (store, account, KURIR_STORE_INBOX, 0, 10000, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < messages->len; i++)
    {
      KurirMessage *message = g_ptr_array_index (messages, i);

      if (kurir_message_get_flags (message) & KURIR_MESSAGE_FLAG_PARTIAL)
        g_ptr_array_add (partial, g_object_ref (message));
    }
  *out_total = messages->len;
  return partial;
}

/* kurir-cli show --raw: the message's bytes. */
static char *
show_raw (gint64   id,
          char   **out_err)
{
  g_autofree char *number = g_strdup_printf ("%" G_GINT64_FORMAT, id);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status;

  status = kurir_test_run_cli (NULL, &out, &err, "show", "--raw", number, NULL);
  if (out_err != NULL)
    *out_err = g_steal_pointer (&err);
  return status == 0 ? g_steal_pointer (&out) : NULL;
}

static void
delete_here (gint64 id)
{
  g_autoptr(KurirStore) store = open_store ();
  g_autoptr(GError) error = NULL;

  g_assert_true (kurir_store_delete (store, id, &error));
  g_assert_no_error (error);
}

/* Tests */

static void
test_first_download_and_again (gconstpointer data)
{
  const char *security = data;
  const char *port = g_str_equal (security, "tls") ? "KURIR_TEST_POP3S_PORT" : "KURIR_TEST_POP3_PORT";
  g_autofree char *password = password_of ("dave");
  g_autoptr(GHashTable) before = NULL;
  g_autoptr(GHashTable) after = NULL;
  guint counts[3];

  fill_mailbox ("dave", N_MESSAGES);
  before = server_messages ("dave");
  add_account ("dave", "dave", port, security, password);

  g_assert_cmpint (sync_account ("dave", counts, NULL), ==, 0);
  g_assert_cmpuint (counts[0], ==, N_MESSAGES);
  g_assert_cmpuint (counts[1], ==, 0);
  g_assert_cmpuint (counts[2], ==, N_MESSAGES);
  assert_store_equals ("dave", before);

  /* Left on the server (the default), and not downloaded again. */
  after = server_messages ("dave");
  g_assert_cmpuint (g_hash_table_size (after), ==, N_MESSAGES);
  g_assert_cmpint (sync_account ("dave", counts, NULL), ==, 0);
  g_assert_cmpuint (counts[0], ==, 0);
  assert_store_equals ("dave", before);
}

static void
test_delete_from_server (void)
{
  g_autofree char *password = password_of ("dave");
  g_autoptr(GHashTable) before = NULL;
  g_autoptr(GHashTable) after = NULL;
  guint counts[3];

  fill_mailbox ("dave", N_MESSAGES);
  before = server_messages ("dave");
  add_account ("dave", "dave", "KURIR_TEST_POP3S_PORT", "tls", password);
  set_account ("dave", "--delete-from-server", NULL);

  g_assert_cmpint (sync_account ("dave", counts, NULL), ==, 0);
  g_assert_cmpuint (counts[0], ==, N_MESSAGES);
  g_assert_cmpuint (counts[1], ==, N_MESSAGES);
  g_assert_cmpuint (counts[2], ==, 0);
  assert_store_equals ("dave", before);
  after = server_messages ("dave");
  g_assert_cmpuint (g_hash_table_size (after), ==, 0);
}

static void
test_delete_after_days (void)
{
  g_autofree char *password = password_of ("dave");
  g_autoptr(GHashTable) before = NULL;
  g_autoptr(GHashTable) after = NULL;
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GError) error = NULL;
  guint counts[3];
  gint64 old_id;

  fill_mailbox ("dave", N_MESSAGES);
  before = server_messages ("dave");
  add_account ("dave", "dave", "KURIR_TEST_POP3S_PORT", "tls", password);
  g_assert_cmpint (sync_account ("dave", counts, NULL), ==, 0);
  g_assert_cmpuint (counts[0], ==, N_MESSAGES);

  /* One message was downloaded ten days ago: store it again with that
   * time under its UIDL, in place of today's copy. */
  store = open_store ();
  messages = kurir_store_list (store, "dave", KURIR_STORE_INBOX, 0, 1, &error);
  g_assert_no_error (error);
  {
    KurirMessage *message = g_ptr_array_index (messages, 0);
    g_autoptr(GBytes) raw = kurir_store_get_raw (store, kurir_message_get_id (message), &error);
    g_autofree char *key = g_strdup (kurir_message_get_backend_key (message));

    g_assert_nonnull (key);
    g_assert_true (kurir_store_delete (store, kurir_message_get_id (message), &error));
    g_assert_true (kurir_store_forget_deleted_keys (store, "dave",
                                                    (const char *[]) { key, NULL }, &error));
    old_id = kurir_store_add (store, "dave", KURIR_STORE_INBOX, raw, key, 0,
                              g_get_real_time () / G_USEC_PER_SEC - 10 * 24 * 3600, &error);
    g_assert_no_error (error);
    g_assert_cmpint (old_id, >, 0);
  }
  g_clear_object (&store);

  set_account ("dave", "--delete-after-days", "7");
  g_assert_cmpint (sync_account ("dave", counts, NULL), ==, 0);
  g_assert_cmpuint (counts[0], ==, 0);
  g_assert_cmpuint (counts[1], ==, 1);
  g_assert_cmpuint (counts[2], ==, N_MESSAGES - 1);
  after = server_messages ("dave");
  g_assert_cmpuint (g_hash_table_size (after), ==, N_MESSAGES - 1);
  /* Still all here. */
  assert_store_equals ("dave", before);
}

static void
test_deleted_here (void)
{
  g_autofree char *password = password_of ("dave");
  g_autoptr(GHashTable) before = NULL;
  g_autoptr(GHashTable) after = NULL;
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GError) error = NULL;
  guint counts[3];

  fill_mailbox ("dave", N_MESSAGES);
  before = server_messages ("dave");
  add_account ("dave", "dave", "KURIR_TEST_POP3S_PORT", "tls", password);
  g_assert_cmpint (sync_account ("dave", counts, NULL), ==, 0);

  /* Deleted here while the server keeps it: not downloaded again. */
  store = open_store ();
  messages = kurir_store_list (store, "dave", KURIR_STORE_INBOX, 0, 2, &error);
  g_assert_true (kurir_store_delete (store, kurir_message_get_id (g_ptr_array_index (messages, 0)), &error));
  g_assert_no_error (error);
  g_clear_object (&store);

  g_assert_cmpint (sync_account ("dave", counts, NULL), ==, 0);
  g_assert_cmpuint (counts[0], ==, 0);
  g_assert_cmpuint (counts[1], ==, 0);
  g_assert_cmpuint (counts[2], ==, N_MESSAGES);

  /* With the policy on, the next sync deletes it there too, only it. */
  set_account ("dave", "--delete-when-deleted-here", "yes");
  g_assert_cmpint (sync_account ("dave", counts, NULL), ==, 0);
  g_assert_cmpuint (counts[0], ==, 0);
  g_assert_cmpuint (counts[1], ==, 1);
  g_assert_cmpuint (counts[2], ==, N_MESSAGES - 1);
  after = server_messages ("dave");
  g_assert_cmpuint (g_hash_table_size (after), ==, N_MESSAGES - 1);

  /* And once gone there, it is forgotten here: nothing more happens. */
  g_assert_cmpint (sync_account ("dave", counts, NULL), ==, 0);
  g_assert_cmpuint (counts[0], ==, 0);
  g_assert_cmpuint (counts[1], ==, 0);
  store = open_store ();
  {
    g_autoptr(GHashTable) keys = kurir_store_get_account_keys (store, "dave", &error);
    g_assert_cmpuint (g_hash_table_size (keys), ==, N_MESSAGES - 1);
  }
}

static void
test_wrong_password (void)
{
  g_autoptr(GHashTable) before = NULL;
  g_autoptr(GHashTable) after = NULL;
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  guint counts[3];

  fill_mailbox ("dave", N_MESSAGES);
  before = server_messages ("dave");
  add_account ("dave", "dave", "KURIR_TEST_POP3S_PORT", "tls", "not-the-password");
  set_account ("dave", "--delete-from-server", NULL);

  g_assert_cmpint (sync_account ("dave", counts, &err), ==, 1);
  /* One line naming the account, the server and the cause. */
  g_assert_nonnull (strstr (err, "dave"));
  g_assert_nonnull (strstr (err, kurir_test_getenv ("KURIR_TEST_HOST")));
  g_assert_nonnull (strstr (err, "password"));
  g_assert_true (kurir_test_is_one_line (err));

  after = server_messages ("dave");
  g_assert_cmpuint (g_hash_table_size (after), ==, N_MESSAGES);
  store = open_store ();
  g_assert_cmpint (kurir_store_count (store, "dave", KURIR_STORE_INBOX, &error), ==, 0);
}

/* No password in the keyring: one clear line, nothing changes. (The
 * keyring is asked while the connection is made.) */
static void
test_no_password (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GHashTable) after = NULL;
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(GError) error = NULL;

  fill_mailbox ("dave", 3);
  /* The keyring outlives the other tests' isolated folders. */
  {
    g_autoptr(GAsyncResult) cleared = NULL;

    kurir_secret_clear_async ("dave", KURIR_SECRET_ALL_PROTOCOLS, NULL, kurir_test_store_result, &cleared);
    g_assert_true (kurir_secret_clear_finish (kurir_test_wait (&cleared), &error));
    g_assert_no_error (error);
  }
  g_assert_cmpint (kurir_test_run_cli (NULL, &out, &err, "account", "add", "dave",
                                       "--email", "dave@localhost", "--user", "dave",
                                       "--protocol", "pop3",
                                       "--host", kurir_test_getenv ("KURIR_TEST_HOST"),
                                       "--port", kurir_test_getenv ("KURIR_TEST_POP3S_PORT"),
                                       "--ca-file", kurir_test_getenv ("KURIR_TEST_CA"), NULL), ==, 0);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (kurir_test_run_cli (NULL, &out, &err, "sync", "dave", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "No password is stored"));
  g_assert_nonnull (strstr (err, "--password-stdin"));
  after = server_messages ("dave");
  g_assert_cmpuint (g_hash_table_size (after), ==, 3);
  store = open_store ();
  g_assert_cmpint (kurir_store_count (store, "dave", KURIR_STORE_INBOX, &error), ==, 0);
}

static void
test_smtp_to_pop3 (void)
{
  g_autofree char *password = password_of ("erin");
  g_autofree char *alice = password_of ("alice");
  g_autoptr(GSubprocess) sender = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autofree char *script = NULL;
  g_autofree char *subject = g_strdup_printf ("Kabar dari SMTP %u", g_random_int ());
  guint counts[3];

  fill_mailbox ("erin", 0);
  add_account ("erin", "erin", "KURIR_TEST_POP3S_PORT", "tls", password);

  /* A real SMTP submission (STARTTLS, AUTH) by another client. */
  script = g_strdup_printf (
    "import smtplib, ssl, sys\n"
    "from email.message import EmailMessage\n"
    "m = EmailMessage()\n"
    "m['From'] = 'alice@localhost'; m['To'] = 'erin@localhost'; m['Subject'] = sys.argv[1]\n"
    "m.set_content('Selamat pagi, Erin.')\n"
    "c = ssl.create_default_context(cafile=sys.argv[2])\n"
    "s = smtplib.SMTP('127.0.0.1', int(sys.argv[3]))\n"
    "s.starttls(context=c); s.login('alice', sys.stdin.readline().strip())\n"
    "s.send_message(m); s.quit()\n");
  sender = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE, &error,
                             "/usr/bin/python3", "-c", script, subject,
                             kurir_test_getenv ("KURIR_TEST_CA"),
                             kurir_test_getenv ("KURIR_TEST_SMTP_PORT"), NULL);
  g_assert_no_error (error);
  {
    g_autofree char *line = g_strconcat (alice, "\n", NULL);
    g_subprocess_communicate_utf8 (sender, line, NULL, NULL, NULL, &error);
  }
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (sender));

  g_assert_cmpint (sync_account ("erin", counts, NULL), ==, 0);
  g_assert_cmpuint (counts[0], ==, 1);

  store = open_store ();
  messages = kurir_store_list (store, "erin", KURIR_STORE_INBOX, 0, 10, &error);
  g_assert_cmpuint (messages->len, ==, 1);
  g_assert_cmpstr (kurir_message_get_subject (g_ptr_array_index (messages, 0)), ==, subject);

  /* It is in the unified inbox too. */
  g_clear_pointer (&messages, g_ptr_array_unref);
  messages = kurir_store_list (store, NULL, NULL, 0, 100, &error);
  g_assert_cmpuint (messages->len, ==, 1);
}

/* Over the size limit: the headers arrive, the body when shown; a second
 * sync downloads nothing. */
static void
test_size_limit (void)
{
  g_autofree char *password = password_of ("dave");
  g_autoptr(GHashTable) before = NULL;
  g_autoptr(GHashTable) expected = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) partial = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  GHashTableIter iter;
  gpointer value;
  guint counts[3], total;

  fill_mailbox ("dave", N_MESSAGES);
  for (guint i = 0; i < 3; i++)
    place_big_message ("dave", i, 40 + 10 * i);
  before = server_messages ("dave");
  g_hash_table_iter_init (&iter, before);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_hash_table_add (expected, lf_to_crlf (value));

  add_account ("dave", "dave", "KURIR_TEST_POP3S_PORT", "tls", password);
  set_account ("dave", "--size-limit", "16");
  g_assert_cmpint (kurir_test_run_cli (NULL, &out, &err, "sync", "dave", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "dave: 15 downloaded, 0 deleted on the server, 15 kept on the server"));
  g_assert_nonnull (strstr (out, "3 of them as headers only"));

  partial = partial_messages ("dave", &total);
  g_assert_cmpuint (total, ==, N_MESSAGES + 3);
  g_assert_cmpuint (partial->len, ==, 3);
  for (guint i = 0; i < partial->len; i++)
    {
      KurirMessage *message = g_ptr_array_index (partial, i);

      /* Listed like any message, with its size on the server. */
      g_assert_true (g_str_has_prefix (kurir_message_get_subject (message), "big attachment"));
      g_assert_cmpint (kurir_message_get_full_size (message), >, 40 * 1024);
    }

  /* Nothing new: nothing downloaded, the partial ones stay partial. */
  g_assert_cmpint (sync_account ("dave", counts, NULL), ==, 0);
  g_assert_cmpuint (counts[0], ==, 0);
  g_clear_pointer (&partial, g_ptr_array_unref);
  partial = partial_messages ("dave", &total);
  g_assert_cmpuint (partial->len, ==, 3);

  /* Shown: the whole message, byte for byte, and stored complete. */
  for (guint i = 0; i < partial->len; i++)
    {
      KurirMessage *message = g_ptr_array_index (partial, i);
      g_autofree char *raw = show_raw (kurir_message_get_id (message), NULL);

      g_assert_nonnull (raw);
      g_assert_cmpuint (strlen (raw), ==, kurir_message_get_full_size (message));
      g_assert_true (g_hash_table_contains (expected, raw));
    }
  assert_store_equals ("dave", before);
  g_clear_pointer (&partial, g_ptr_array_unref);
  partial = partial_messages ("dave", &total);
  g_assert_cmpuint (partial->len, ==, 0);
  g_assert_cmpint (sync_account ("dave", counts, NULL), ==, 0);
  g_assert_cmpuint (counts[0], ==, 0);
}

/* Deletion policies never delete a message there whose body is not here,
 * unless it was deleted here and the account deletes what is deleted here. */
static void
test_size_limit_deletion (void)
{
  g_autofree char *password = password_of ("dave");
  g_autoptr(GHashTable) after = NULL;
  g_autoptr(GPtrArray) partial = NULL;
  g_autofree char *raw = NULL;
  g_autofree char *err = NULL;
  guint counts[3], total;

  fill_mailbox ("dave", N_MESSAGES);
  for (guint i = 0; i < 4; i++)
    place_big_message ("dave", i, 30);
  add_account ("dave", "dave", "KURIR_TEST_POP3S_PORT", "tls", password);
  set_account ("dave", "--size-limit", "16");
  set_account ("dave", "--delete-from-server", NULL);

  /* The small ones are deleted there, the big ones (headers here) not. */
  g_assert_cmpint (sync_account ("dave", counts, NULL), ==, 0);
  g_assert_cmpuint (counts[0], ==, N_MESSAGES + 4);
  g_assert_cmpuint (counts[1], ==, N_MESSAGES);
  g_assert_cmpuint (counts[2], ==, 4);
  after = server_messages ("dave");
  g_assert_cmpuint (g_hash_table_size (after), ==, 4);
  partial = partial_messages ("dave", &total);
  g_assert_cmpuint (partial->len, ==, 4);

  /* Opened: its body is here now, so the next sync deletes it there. */
  raw = show_raw (kurir_message_get_id (g_ptr_array_index (partial, 0)), NULL);
  g_assert_nonnull (raw);
  g_assert_cmpint (sync_account ("dave", counts, NULL), ==, 0);
  g_assert_cmpuint (counts[1], ==, 1);
  g_assert_cmpuint (counts[2], ==, 3);

  /* Deleted here unread: delete-after-download keeps it there. */
  delete_here (kurir_message_get_id (g_ptr_array_index (partial, 1)));
  g_assert_cmpint (sync_account ("dave", counts, NULL), ==, 0);
  g_assert_cmpuint (counts[0], ==, 0);
  g_assert_cmpuint (counts[1], ==, 0);
  g_assert_cmpuint (counts[2], ==, 3);

  /* Unless the account deletes there what is deleted here. */
  set_account ("dave", "--delete-when-deleted-here", "yes");
  g_assert_cmpint (sync_account ("dave", counts, NULL), ==, 0);
  g_assert_cmpuint (counts[0], ==, 0);
  g_assert_cmpuint (counts[1], ==, 1);
  g_assert_cmpuint (counts[2], ==, 2);
  g_clear_pointer (&after, g_hash_table_unref);
  after = server_messages ("dave");
  g_assert_cmpuint (g_hash_table_size (after), ==, 2);

  /* Gone from the server meanwhile: a clear error, the headers stay. */
  fill_mailbox ("dave", 0);
  g_clear_pointer (&raw, g_free);
  raw = show_raw (kurir_message_get_id (g_ptr_array_index (partial, 2)), &err);
  g_assert_null (raw);
  g_assert_nonnull (strstr (err, "no longer on"));
  g_clear_pointer (&partial, g_ptr_array_unref);
  partial = partial_messages ("dave", &total);
  g_assert_cmpuint (partial->len, ==, 2);
}

/* Just switched from IMAP: INBOX mail IMAP cached is recognised on the
 * server (Message-ID; Date, From and size when it is repeated or missing)
 * and gets the right UIDL; only what is not here is downloaded. */
static void
test_switched_from_imap (void)
{
  const char *texts[] = {
    "From: a@example.org\nDate: Fri, 27 Nov 2026 10:00:00 +0000\nMessage-ID: <same@example.org>\n"
    "Subject: first of two\n\none\n",
    "From: b@example.org\nDate: Fri, 27 Nov 2026 11:00:00 +0000\nMessage-ID: <same@example.org>\n"
    "Subject: second of two\n\ntwo, longer\n",
    "From: c@example.org\nDate: Fri, 27 Nov 2026 12:00:00 +0000\nSubject: no Message-ID\n\nthree\n",
    "From: c@example.org\nDate: Fri, 27 Nov 2026 12:00:00 +0000\nSubject: no Message-ID\n\nthree!\n",
    "From: d@example.org\nDate: Fri, 27 Nov 2026 13:00:00 +0000\nMessage-ID: <d@example.org>\n"
    "Subject: unique\n\nfour\n",
    "From: e@example.org\nDate: Fri, 27 Nov 2026 14:00:00 +0000\nMessage-ID: <e@example.org>\n"
    "Subject: not cached\n\nfive\n",
  };
  g_autofree char *password = password_of ("dave");
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(KurirPop3Client) client = NULL;
  g_autoptr(KurirConnection) connection = NULL;
  g_autoptr(GArray) uids = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  guint counts[3];

  fill_mailbox ("dave", 0);
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autofree char *name = g_strdup_printf ("%u.M%uP3.switch", 1720000000 + i, i);
      place_text ("dave", name, texts[i]);
    }
  add_account ("dave", "dave", "KURIR_TEST_POP3S_PORT", "tls", password);

  /* What IMAP left: all but the last, under IMAP UIDs, INBOX with its
   * UIDVALIDITY. */
  store = open_store ();
  for (guint i = 0; i + 1 < G_N_ELEMENTS (texts); i++)
    {
      g_autofree char *text = lf_to_crlf (texts[i]);
      g_autoptr(GBytes) data = g_bytes_new (text, strlen (text));
      g_autofree char *uid = g_strdup_printf ("%u", i + 1);

      g_assert_cmpint (kurir_store_add (store, "dave", KURIR_STORE_INBOX, data, uid, 0, 0, &error), >, 0);
      g_assert_no_error (error);
    }
  g_assert_true (kurir_store_set_folder_state (store, "dave", KURIR_STORE_INBOX, 7, 6, 0, &error));
  g_assert_no_error (error);
  g_clear_object (&store);

  g_assert_cmpint (kurir_test_run_cli (NULL, &out, &err, "sync", "dave", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "dave: 1 downloaded, 0 deleted on the server, 6 kept on the server; "
                                 "5 were here already"));

  /* Each stored message has the UIDL of the server message it is. */
  connection = kurir_connection_new (kurir_test_getenv ("KURIR_TEST_HOST"),
                                     kurir_test_port ("KURIR_TEST_POP3S_PORT"), KURIR_SECURITY_TLS);
  g_assert_true (kurir_connection_set_ca_file (connection, kurir_test_getenv ("KURIR_TEST_CA"), &error));
  client = kurir_pop3_client_new (connection);
  g_assert_true (pop3_connect (client, &error));
  g_assert_true (pop3_login (client, "dave", password, &error));
  g_assert_no_error (error);
  uids = pop3_uidl (client, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (uids->len, ==, G_N_ELEMENTS (texts));
  store = open_store ();
  for (guint i = 0; i < uids->len; i++)
    {
      KurirPop3UidEntry *entry = &g_array_index (uids, KurirPop3UidEntry, i);
      g_autoptr(GBytes) server = pop3_retr (client, entry->number, &error);
      g_autoptr(GBytes) here = NULL;
      gint64 id;

      g_assert_no_error (error);
      id = kurir_store_lookup_key (store, "dave", KURIR_STORE_INBOX, entry->uid, &error);
      g_assert_no_error (error);
      g_assert_cmpint (id, >, 0);
      here = kurir_store_get_raw (store, id, &error);
      g_assert_no_error (error);
      g_assert_true (g_bytes_equal (server, here));
    }
  g_assert_cmpint (kurir_store_count (store, "dave", KURIR_STORE_INBOX, &error), ==, G_N_ELEMENTS (texts));
  g_clear_object (&store);

  /* From now on a normal POP3 account. */
  g_assert_cmpint (sync_account ("dave", counts, NULL), ==, 0);
  g_assert_cmpuint (counts[0], ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  kurir_test_require_servers ();

  g_test_add_data_func ("/pop3-sync/first-download-and-again/tls", "tls", test_first_download_and_again);
  g_test_add_data_func ("/pop3-sync/first-download-and-again/starttls", "starttls", test_first_download_and_again);
  g_test_add_func ("/pop3-sync/delete-from-server", test_delete_from_server);
  g_test_add_func ("/pop3-sync/delete-after-days", test_delete_after_days);
  g_test_add_func ("/pop3-sync/deleted-here", test_deleted_here);
  g_test_add_func ("/pop3-sync/wrong-password", test_wrong_password);
  g_test_add_func ("/pop3-sync/no-password", test_no_password);
  g_test_add_func ("/pop3-sync/smtp-to-pop3", test_smtp_to_pop3);
  g_test_add_func ("/pop3-sync/size-limit", test_size_limit);
  g_test_add_func ("/pop3-sync/size-limit/deletion", test_size_limit_deletion);
  g_test_add_func ("/pop3-sync/switched-from-imap", test_switched_from_imap);

  return g_test_run ();
}
