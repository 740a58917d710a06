/* test-imap-client-dovecot.c: the IMAP client session against the real
 * Dovecot (tests/servers/with-servers)
 *
 * These tests own frank's mailboxes. Messages reach the server through IMAP
 * APPEND only; each test works in folders of its own (a random suffix), so
 * the order of the tests does not matter.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "imap-client-test-helpers.h"
#include "kurir-imap-utf7.h"
#include "kurir-sasl.h"

#define USER "frank"

/* Helpers */

static const char *
password (void)
{
  return kurir_test_getenv ("KURIR_TEST_PASSWORD_FRANK");
}

static KurirImapClient *
new_client (KurirSecurity security)
{
  guint16 port = kurir_test_port (security == KURIR_SECURITY_TLS ? "KURIR_TEST_IMAPS_PORT"
                                                                  : "KURIR_TEST_IMAP_PORT");
  g_autoptr(KurirConnection) connection =
    kurir_connection_new (kurir_test_getenv ("KURIR_TEST_HOST"), port, security);
  g_autoptr(GError) error = NULL;

  kurir_connection_set_ca_file (connection, kurir_test_getenv ("KURIR_TEST_CA"), &error);
  g_assert_no_error (error);
  return kurir_imap_client_new (connection);
}

/* A client logged in as frank over IMAPS, with QRESYNC etc. enabled. */
static KurirImapClient *
open_client (void)
{
  g_autoptr(KurirImapClient) client = new_client (KURIR_SECURITY_TLS);
  g_autoptr(GError) error = NULL;

  g_assert_true (imap_connect (client, &error));
  g_assert_no_error (error);
  g_assert_true (imap_login (client, USER, password (), &error));
  g_assert_no_error (error);
  g_assert_true (imap_enable (client, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&client);
}

static void
close_client (KurirImapClient *client)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (imap_logout (client, &error));
  g_assert_no_error (error);
  g_assert_cmpint (kurir_imap_client_get_state (client), ==, KURIR_IMAP_CLIENT_STATE_LOGOUT);
}

static char *
unique_name (const char *prefix)
{
  return g_strdup_printf ("%s-%08x", prefix, g_random_int ());
}

static void
create_folder (KurirImapClient *client,
               const char      *name)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (imap_mailbox_op (client, KURIR_IMAP_MAILBOX_OP_CREATE, name, NULL, &error));
  g_assert_no_error (error);
}

static GBytes *
make_message (guint       n,
              const char *extra)
{
  g_autoptr(GString) text = g_string_new (NULL);

  g_string_append_printf (text,
                          "From: Alice <alice@localhost>\r\n"
                          "To: Frank <frank@localhost>\r\n"
                          "Subject: Message number %u\r\n"
                          "Message-ID: <m%u.%08x@localhost>\r\n"
                          "References: <parent%u@localhost>\r\n"
                          "Date: Sat, 28 Nov 2026 01:00:00 +0000\r\n"
                          "MIME-Version: 1.0\r\n"
                          "Content-Type: text/plain; charset=utf-8\r\n"
                          "Content-Transfer-Encoding: 8bit\r\n"
                          "\r\n"
                          "Body of message %u: h\xc3\xa9llo w\xc3\xb6rld.\r\n"
                          "%s",
                          n, n, g_random_int (), n, n, extra ? extra : "");
  return g_string_free_to_bytes (g_steal_pointer (&text));
}

static guint32
append_one (KurirImapClient *client,
            const char      *folder,
            GBytes          *message)
{
  g_autoptr(KurirImapCopyResult) result = NULL;
  g_autoptr(GError) error = NULL;

  result = imap_append (client, folder, NULL, NULL, message, &error);
  g_assert_no_error (error);
  g_assert_nonnull (result);
  g_assert_cmpuint (result->uidvalidity, !=, 0);
  g_assert_cmpuint (result->dest_uids->len, ==, 1);
  return g_array_index (result->dest_uids, guint32, 0);
}

typedef struct {
  guint           count;
  GHashTable     *uids;
  GAsyncResult  **slot;
  gboolean        before_done;
  GStrv           flags;
  guint32         want_uid;
} FetchCounter;

static void
count_fetch (KurirImapResponse *response,
             gpointer           user_data)
{
  FetchCounter *counter = user_data;
  guint32 uid = 0;
  g_autoptr(KurirImapEnvelope) envelope = NULL;
  const KurirImapFetchItem *item;

  g_assert_true (kurir_imap_response_get_fetch_uid (response, &uid));
  counter->count++;
  if (counter->uids != NULL)
    g_hash_table_add (counter->uids, GUINT_TO_POINTER (uid));
  if (counter->slot != NULL && *counter->slot == NULL)
    counter->before_done = TRUE;

  item = kurir_imap_response_lookup_fetch (response, "ENVELOPE");
  if (item != NULL)
    {
      g_autoptr(GBytes) headers = NULL;
      g_autoptr(GDateTime) date = NULL;
      g_autoptr(KurirImapBodyPart) structure = NULL;
      g_autofree char *text = NULL;
      guint64 size = 0;

      /* The whole summary, each item decodable. */
      envelope = kurir_imap_envelope_parse (item->value, NULL);
      g_assert_nonnull (envelope);
      g_assert_true (g_str_has_prefix (envelope->subject, "Message number "));
      g_assert_cmpstr (((KurirImapAddress *) g_ptr_array_index (envelope->from, 0))->address,
                       ==, "alice@localhost");
      date = kurir_imap_response_dup_fetch_internaldate (response);
      g_assert_nonnull (date);
      g_assert_true (kurir_imap_response_get_fetch_size (response, &size));
      g_assert_cmpuint (size, >, 200);
      item = kurir_imap_response_lookup_fetch (response, "BODYSTRUCTURE");
      g_assert_nonnull (item);
      structure = kurir_imap_body_part_parse (item->value, NULL);
      g_assert_cmpstr (structure->type, ==, "text");
      headers = kurir_imap_response_dup_fetch_body (response, KURIR_IMAP_SUMMARY_HEADER_SECTION,
                                                    NULL);
      g_assert_nonnull (headers);
      text = g_strndup (g_bytes_get_data (headers, NULL), g_bytes_get_size (headers));
      g_assert_true (g_str_has_prefix (text, "References: <parent"));
    }
  if (counter->want_uid != 0 && uid == counter->want_uid)
    {
      g_strfreev (counter->flags);
      counter->flags = kurir_imap_response_dup_fetch_flags (response);
    }
}

static GStrv
fetch_flags (KurirImapClient *client,
             guint32          uid)
{
  FetchCounter counter = { .want_uid = uid };
  g_autofree char *set = g_strdup_printf ("%u", uid);
  g_autoptr(GError) error = NULL;

  g_assert_true (imap_fetch (client, set, "(UID FLAGS)", 0, count_fetch, &counter,
                             NULL, NULL, &error));
  g_assert_no_error (error);
  return counter.flags;
}

/* Tests: connecting and logging in */

static void
test_connect (gconstpointer data)
{
  KurirSecurity security = GPOINTER_TO_INT (data);
  g_autoptr(KurirImapClient) client = new_client (security);
  g_autoptr(GError) error = NULL;

  g_assert_true (imap_connect (client, &error));
  g_assert_no_error (error);
  g_assert_true (kurir_connection_is_encrypted (kurir_imap_client_get_connection (client)));
  g_assert_cmpint (kurir_imap_client_get_state (client), ==,
                   KURIR_IMAP_CLIENT_STATE_NOT_AUTHENTICATED);
  g_assert_true (kurir_imap_client_has_capability (client, "IMAP4rev1"));
  /* After STARTTLS, the plaintext capabilities were forgotten. */
  g_assert_false (kurir_imap_client_has_capability (client, "STARTTLS"));
  g_assert_false (kurir_imap_client_has_capability (client, "LOGINDISABLED"));
  g_assert_true (kurir_imap_client_has_capability (client, "AUTH=PLAIN"));

  g_assert_true (imap_login (client, USER, password (), &error));
  g_assert_no_error (error);
  g_assert_cmpint (kurir_imap_client_get_state (client), ==,
                   KURIR_IMAP_CLIENT_STATE_AUTHENTICATED);
  /* Dovecot's capabilities after login include what it hides before. */
  g_assert_true (kurir_imap_client_has_capability (client, "IDLE"));
  g_assert_true (kurir_imap_client_has_capability (client, "QRESYNC"));
  close_client (client);
}

static void
test_mechanism (gconstpointer data)
{
  const char *mechanism = data;
  g_autoptr(KurirImapClient) client = new_client (KURIR_SECURITY_STARTTLS);
  g_autoptr(GError) error = NULL;

  if (mechanism != NULL)
    kurir_imap_client_set_mechanism (client, mechanism);
  g_assert_true (imap_connect (client, &error));
  g_assert_no_error (error);
  g_assert_true (imap_login (client, USER, password (), &error));
  g_assert_no_error (error);
  /* Without a choice, the strongest one offered. */
  g_assert_cmpstr (kurir_imap_client_get_auth_mechanism (client), ==,
                   mechanism ? mechanism : "SCRAM-SHA-256");
  g_assert_true (imap_noop (client, &error));
  g_assert_no_error (error);
  close_client (client);
}

static void
test_wrong_password (gconstpointer data)
{
  const char *mechanism = data;
  g_autoptr(KurirImapClient) client = new_client (KURIR_SECURITY_TLS);
  g_autoptr(GError) error = NULL;

  kurir_imap_client_set_mechanism (client, mechanism);
  g_assert_true (imap_connect (client, &error));
  g_assert_no_error (error);
  g_assert_false (imap_login (client, USER, "not-the-password", &error));
  g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_AUTH_FAILED);
  g_assert_nonnull (strstr (error->message, kurir_test_getenv ("KURIR_TEST_HOST")));
  g_assert_nonnull (strstr (error->message, "AUTHENTICATIONFAILED"));
  g_assert_cmpint (kurir_imap_client_get_state (client), ==,
                   KURIR_IMAP_CLIENT_STATE_NOT_AUTHENTICATED);

  /* The session is still usable: the right password works. */
  g_clear_error (&error);
  g_assert_true (imap_login (client, USER, password (), &error));
  g_assert_no_error (error);
  close_client (client);
}

/* Tests: folders */

static const KurirImapListEntry *
find_entry (GPtrArray  *entries,
            const char *name)
{
  for (guint i = 0; i < entries->len; i++)
    {
      const KurirImapListEntry *entry = g_ptr_array_index (entries, i);

      if (g_strcmp0 (entry->name, name) == 0)
        return entry;
    }
  return NULL;
}

static void
test_list_special_use (void)
{
  g_autoptr(KurirImapClient) client = open_client ();
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GError) error = NULL;
  static const struct {
    const char            *name;
    KurirImapMailboxFlags  role;
  } special[] = {
    { "Sent", KURIR_IMAP_MAILBOX_SENT },
    { "Drafts", KURIR_IMAP_MAILBOX_DRAFTS },
    { "Trash", KURIR_IMAP_MAILBOX_TRASH },
    { "Junk", KURIR_IMAP_MAILBOX_JUNK },
    { "Archive", KURIR_IMAP_MAILBOX_ARCHIVE },
  };

  entries = imap_list (client, &error);
  g_assert_no_error (error);
  g_assert_nonnull (find_entry (entries, "INBOX"));
  for (guint i = 0; i < G_N_ELEMENTS (special); i++)
    {
      const KurirImapListEntry *entry = find_entry (entries, special[i].name);

      g_assert_nonnull (entry);
      g_assert_cmpuint (entry->flags & special[i].role, ==, special[i].role);
      /* auto = subscribe in the config, and LIST-EXTENDED says so. */
      g_assert_cmpuint (entry->flags & KURIR_IMAP_MAILBOX_SUBSCRIBED, !=, 0);
      g_assert_cmpint (entry->delimiter, !=, 0);
    }
  close_client (client);
}

static void
test_folder_non_ascii (void)
{
  g_autoptr(KurirImapClient) client = open_client ();
  g_autoptr(GError) error = NULL;
  g_autofree char *suffix = unique_name ("");
  g_autofree char *name = g_strconcat ("Přílohy ü 日本", suffix, NULL);
  g_autofree char *renamed = g_strconcat ("Größe & Co", suffix, NULL);
  g_autoptr(GPtrArray) entries = NULL;
  const KurirImapListEntry *entry;

  g_assert_false (kurir_imap_client_is_enabled (client, "UTF8=ACCEPT"));
  create_folder (client, name);
  g_assert_true (imap_mailbox_op (client, KURIR_IMAP_MAILBOX_OP_SUBSCRIBE, name, NULL, &error));
  g_assert_no_error (error);

  entries = imap_list (client, &error);
  g_assert_no_error (error);
  entry = find_entry (entries, name);
  g_assert_nonnull (entry);
  {
    g_autofree char *encoded = kurir_imap_utf7_encode (name, NULL);

    /* Modified UTF-7 on the wire, decoded here. */
    g_assert_cmpstr (entry->raw_name, ==, encoded);
    g_assert_nonnull (strchr (entry->raw_name, '&'));
  }
  g_assert_cmpuint (entry->flags & KURIR_IMAP_MAILBOX_SUBSCRIBED, !=, 0);
  g_clear_pointer (&entries, g_ptr_array_unref);

  g_assert_true (imap_mailbox_op (client, KURIR_IMAP_MAILBOX_OP_UNSUBSCRIBE, name, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (imap_mailbox_op (client, KURIR_IMAP_MAILBOX_OP_RENAME, name, renamed, &error));
  g_assert_no_error (error);
  entries = imap_list (client, &error);
  g_assert_no_error (error);
  g_assert_null (find_entry (entries, name));
  entry = find_entry (entries, renamed);
  g_assert_nonnull (entry);
  g_assert_cmpuint (entry->flags & KURIR_IMAP_MAILBOX_SUBSCRIBED, ==, 0);
  g_clear_pointer (&entries, g_ptr_array_unref);

  g_assert_true (imap_mailbox_op (client, KURIR_IMAP_MAILBOX_OP_DELETE, renamed, NULL, &error));
  g_assert_no_error (error);
  entries = imap_list (client, &error);
  g_assert_no_error (error);
  g_assert_null (find_entry (entries, renamed));

  /* Deleting it again: the server's NO, with the server named. */
  g_assert_false (imap_mailbox_op (client, KURIR_IMAP_MAILBOX_OP_DELETE, renamed, NULL, &error));
  g_assert_nonnull (error);
  g_assert_true (error->domain == KURIR_IMAP_ERROR);
  g_assert_true (error->code == KURIR_IMAP_ERROR_NONEXISTENT ||
                 error->code == KURIR_IMAP_ERROR_REFUSED);
  close_client (client);
}

/* Tests: messages */

static void
test_append_fetch_body (void)
{
  g_autoptr(KurirImapClient) client = open_client ();
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = unique_name ("Bodies");
  g_autoptr(GBytes) message = NULL;
  g_autoptr(GBytes) multipart = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GBytes) part = NULL;
  g_autoptr(KurirImapMailbox) mailbox = NULL;
  g_autoptr(GDateTime) date = g_date_time_new_utc (2020, 2, 29, 13, 14, 15);
  g_autoptr(KurirImapCopyResult) result = NULL;
  static const char * const flags[] = { "\\Seen", "$Label1", NULL };
  static const char multipart_text[] =
    "From: a@localhost\r\nSubject: parts\r\nMIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"xyz\"\r\n\r\n"
    "--xyz\r\nContent-Type: text/plain\r\n\r\nfirst part\r\n"
    "--xyz\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    "PGh0bWw+PGJvZHk+SGVsbG88L2JvZHk+PC9odG1sPg==\r\n"
    "--xyz--\r\n";
  static const char part2[] =
    "PGh0bWw+PGJvZHk+SGVsbG88L2JvZHk+PC9odG1sPg==\r\n";
  guint32 uid, uid2;
  GStrv got_flags;

  create_folder (client, folder);
  message = make_message (1, "Line with trailing spaces   \r\n\r\n.\r\n..dots\r\n");
  result = imap_append (client, folder, flags, date, message, &error);
  g_assert_no_error (error);
  uid = g_array_index (result->dest_uids, guint32, 0);

  multipart = g_bytes_new_static (multipart_text, strlen (multipart_text));
  uid2 = append_one (client, folder, multipart);

  mailbox = imap_select (client, folder, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (mailbox->exists, ==, 2);
  g_assert_cmpuint (mailbox->uidvalidity, ==, result->uidvalidity);
  g_assert_cmpuint (mailbox->uidnext, ==, uid2 + 1);
  g_assert_cmpuint (mailbox->highestmodseq, >, 0);
  g_assert_nonnull (mailbox->permanent_flags);
  g_assert_cmpstr (kurir_imap_client_get_selected (client), ==, folder);

  body = imap_fetch_body (client, uid, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (body, message));

  part = imap_fetch_body (client, uid2, "2", &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (part, NULL), g_bytes_get_size (part),
                   part2, strlen (part2) - 2);

  got_flags = fetch_flags (client, uid);
  g_assert_true (g_strv_contains ((const char * const *) got_flags, "\\Seen"));
  g_assert_true (g_strv_contains ((const char * const *) got_flags, "$Label1"));
  g_strfreev (got_flags);

  /* A UID that does not exist. */
  g_assert_null (imap_fetch_body (client, uid2 + 100, NULL, &error));
  g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_NO_SUCH_MESSAGE);
  close_client (client);
}

static void
test_summary_fetch (void)
{
  g_autoptr(KurirImapClient) client = open_client ();
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = unique_name ("Many");
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(KurirImapMailbox) mailbox = NULL;
  g_autoptr(GAsyncResult) fetch_result = NULL;
  FetchCounter counter = { 0 };
  const guint n = 1000;
  guint done = 0;
  guint n_fetched = 0;
  guint commands_before;

  create_folder (client, folder);

  /* All the APPENDs at once: they are pipelined (LITERAL+). */
  commands_before = kurir_imap_client_get_n_commands (client);
  for (guint i = 0; i < n; i++)
    {
      GAsyncResult **slot = g_new0 (GAsyncResult *, 1);
      g_autoptr(GBytes) message = make_message (i, NULL);

      g_ptr_array_add (results, slot);
      kurir_imap_client_append_async (client, folder, NULL, NULL, message, NULL,
                                      kurir_test_store_result, slot);
    }
  for (guint i = 0; i < n; i++)
    {
      GAsyncResult **slot = g_ptr_array_index (results, i);
      g_autoptr(KurirImapCopyResult) result = NULL;

      result = kurir_imap_client_append_finish (client, kurir_test_wait (slot), &error);
      g_assert_no_error (error);
      g_assert_cmpuint (result->dest_uids->len, ==, 1);
      g_clear_object (slot);
      done++;
    }
  g_assert_cmpuint (done, ==, n);
  g_assert_cmpuint (kurir_imap_client_get_n_commands (client) - commands_before, ==, n);

  mailbox = imap_select (client, folder, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (mailbox->exists, ==, n);

  counter.uids = g_hash_table_new (NULL, NULL);
  counter.slot = &fetch_result;
  kurir_imap_client_fetch_async (client, "1:*", KURIR_IMAP_SUMMARY_ITEMS, 0, FALSE,
                                 count_fetch, &counter, NULL, NULL,
                                 kurir_test_store_result, &fetch_result);
  g_assert_true (kurir_imap_client_fetch_finish (client, kurir_test_wait (&fetch_result),
                                                 &n_fetched, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_fetched, ==, n);
  g_assert_cmpuint (counter.count, ==, n);
  g_assert_cmpuint (g_hash_table_size (counter.uids), ==, n);
  /* Each one delivered while the command still ran. */
  g_assert_true (counter.before_done);
  g_hash_table_unref (counter.uids);
  close_client (client);
}

static void
test_store_seen_elsewhere (void)
{
  g_autoptr(KurirImapClient) client = open_client ();
  g_autoptr(KurirImapClient) other = open_client ();
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = unique_name ("Flags");
  g_autoptr(KurirImapMailbox) mailbox = NULL;
  g_autoptr(KurirImapMailbox) other_mailbox = NULL;
  g_autoptr(GBytes) message = make_message (7, NULL);
  g_autoptr(GArray) modified = NULL;
  guint32 uid;
  GStrv flags;

  create_folder (client, folder);
  uid = append_one (client, folder, message);
  mailbox = imap_select (client, folder, 0, 0, &error);
  g_assert_no_error (error);

  modified = imap_store (client, uid, KURIR_IMAP_STORE_ADD, "\\Flagged",
                         mailbox->highestmodseq, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (modified->len, ==, 0);
  g_clear_pointer (&modified, g_array_unref);

  other_mailbox = imap_select (other, folder, 0, 0, &error);
  g_assert_no_error (error);
  flags = fetch_flags (other, uid);
  g_assert_true (g_strv_contains ((const char * const *) flags, "\\Flagged"));
  g_strfreev (flags);

  /* UNCHANGEDSINCE an old modseq: not changed, reported as MODIFIED. */
  modified = imap_store (client, uid, KURIR_IMAP_STORE_ADD, "\\Answered",
                         mailbox->highestmodseq, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (modified->len, ==, 1);
  g_assert_cmpuint (g_array_index (modified, guint32, 0), ==, uid);
  g_clear_pointer (&modified, g_array_unref);

  modified = imap_store (client, uid, KURIR_IMAP_STORE_REMOVE, "\\Flagged", 0, &error);
  g_assert_no_error (error);
  flags = fetch_flags (other, uid);
  g_assert_false (g_strv_contains ((const char * const *) flags, "\\Flagged"));
  g_assert_false (g_strv_contains ((const char * const *) flags, "\\Answered"));
  g_strfreev (flags);

  close_client (other);
  close_client (client);
}

static guint32
count_messages (KurirImapClient *client,
                const char      *folder)
{
  g_autoptr(KurirImapMailbox) mailbox = NULL;
  g_autoptr(GError) error = NULL;

  mailbox = imap_select (client, folder, 0, 0, &error);
  g_assert_no_error (error);
  return mailbox->exists;
}

static void
test_move (gconstpointer data)
{
  gboolean fallback = GPOINTER_TO_INT (data);
  g_autoptr(KurirImapClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *from = unique_name ("MoveFrom");
  g_autofree char *to = unique_name ("MoveTo");
  g_autoptr(KurirImapMailbox) mailbox = NULL;
  g_autoptr(KurirImapCopyResult) result = NULL;
  g_autoptr(GArray) modified = NULL;
  g_autoptr(GBytes) moved_body = NULL;
  GBytes *messages[4];
  guint32 uids[4];
  guint32 to_move[2];
  guint commands;
  static const char * const no_move[] = { "MOVE", NULL };

  client = open_client ();
  if (fallback)
    {
      kurir_imap_client_set_ignored_capabilities (client, no_move);
      g_assert_false (kurir_imap_client_has_capability (client, "MOVE"));
    }
  create_folder (client, from);
  create_folder (client, to);
  for (guint i = 0; i < 4; i++)
    {
      messages[i] = make_message (100 + i, NULL);
      uids[i] = append_one (client, from, messages[i]);
    }
  to_move[0] = uids[1];
  to_move[1] = uids[2];

  mailbox = imap_select (client, from, 0, 0, &error);
  g_assert_no_error (error);
  /* Someone else's deleted message: the fallback must not expunge it. */
  modified = imap_store (client, uids[3], KURIR_IMAP_STORE_ADD, "\\Deleted", 0, &error);
  g_assert_no_error (error);

  commands = kurir_imap_client_get_n_commands (client);
  result = imap_move (client, to_move, 2, to, &error);
  g_assert_no_error (error);
  /* UID MOVE, or UID COPY + UID STORE + UID EXPUNGE. */
  g_assert_cmpuint (kurir_imap_client_get_n_commands (client) - commands, ==, fallback ? 3 : 1);
  g_assert_cmpuint (result->uidvalidity, !=, 0);
  g_assert_cmpuint (result->source_uids->len, ==, 2);
  g_assert_cmpuint (result->dest_uids->len, ==, 2);
  g_assert_cmpuint (g_array_index (result->source_uids, guint32, 0), ==, uids[1]);
  g_assert_cmpuint (g_array_index (result->source_uids, guint32, 1), ==, uids[2]);
  g_assert_cmpuint (kurir_imap_client_get_exists (client), ==, 2);

  g_assert_cmpuint (count_messages (client, from), ==, 2);
  g_assert_cmpuint (count_messages (client, to), ==, 2);
  moved_body = imap_fetch_body (client, g_array_index (result->dest_uids, guint32, 1), NULL,
                                &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (moved_body, messages[2]));

  for (guint i = 0; i < 4; i++)
    g_bytes_unref (messages[i]);
  close_client (client);
}

static void
test_qresync (void)
{
  g_autoptr(KurirImapClient) client = open_client ();
  g_autoptr(KurirImapClient) other = open_client ();
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = unique_name ("Resync");
  g_autoptr(KurirImapMailbox) before = NULL;
  g_autoptr(KurirImapMailbox) other_mailbox = NULL;
  g_autoptr(KurirImapMailbox) after = NULL;
  g_autoptr(KurirImapMailbox) again = NULL;
  g_autoptr(GArray) modified = NULL;
  g_autoptr(GArray) vanished = NULL;
  guint32 uids[5];
  guint32 uid;
  guint commands;

  g_assert_true (kurir_imap_client_is_enabled (client, "QRESYNC"));
  create_folder (client, folder);
  for (guint i = 0; i < 5; i++)
    {
      g_autoptr(GBytes) message = make_message (200 + i, NULL);
      uids[i] = append_one (client, folder, message);
    }
  before = imap_select (client, folder, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (before->highestmodseq, >, 0);
  close_client (client);
  g_clear_object (&client);

  /* Another device: one flag change, one expunge. */
  other_mailbox = imap_select (other, folder, 0, 0, &error);
  g_assert_no_error (error);
  modified = imap_store (other, uids[1], KURIR_IMAP_STORE_ADD, "\\Seen", 0, &error);
  g_assert_no_error (error);
  g_clear_pointer (&modified, g_array_unref);
  modified = imap_store (other, uids[3], KURIR_IMAP_STORE_ADD, "\\Deleted", 0, &error);
  g_assert_no_error (error);
  {
    g_autoptr(GAsyncResult) result = NULL;

    kurir_imap_client_expunge_async (other, &uids[3], 1, NULL, kurir_test_store_result, &result);
    g_assert_true (kurir_imap_client_expunge_finish (other, kurir_test_wait (&result), &error));
    g_assert_no_error (error);
  }

  client = open_client ();
  /* STATUS tells that something changed, without selecting. */
  {
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(KurirImapStatusData) status = NULL;

    kurir_imap_client_status_async (client, folder, NULL, kurir_test_store_result, &result);
    status = kurir_imap_client_status_finish (client, kurir_test_wait (&result), &error);
    g_assert_no_error (error);
    g_assert_cmpuint (status->messages, ==, 4);
    g_assert_cmpuint (status->uidvalidity, ==, before->uidvalidity);
    g_assert_cmpuint (status->uidnext, ==, uids[4] + 1);
    g_assert_cmpuint (status->present & KURIR_IMAP_STATUS_ITEM_HIGHESTMODSEQ, !=, 0);
    g_assert_cmpuint (status->highestmodseq, >, before->highestmodseq);
  }
  commands = kurir_imap_client_get_n_commands (client);
  after = imap_select (client, folder, before->uidvalidity, before->highestmodseq, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (kurir_imap_client_get_n_commands (client) - commands, ==, 1);
  g_assert_cmpuint (after->exists, ==, 4);
  g_assert_cmpuint (after->highestmodseq, >, before->highestmodseq);

  /* Exactly those changes. */
  g_assert_cmpuint (after->vanished->len, ==, 1);
  g_assert_cmpuint (g_array_index (after->vanished, KurirImapRange, 0).first, ==, uids[3]);
  g_assert_cmpuint (g_array_index (after->vanished, KurirImapRange, 0).last, ==, uids[3]);
  g_assert_cmpuint (after->fetches->len, ==, 1);
  g_assert_true (kurir_imap_response_get_fetch_uid (g_ptr_array_index (after->fetches, 0), &uid));
  g_assert_cmpuint (uid, ==, uids[1]);
  {
    g_auto(GStrv) flags = kurir_imap_response_dup_fetch_flags (g_ptr_array_index (after->fetches, 0));
    g_assert_true (g_strv_contains ((const char * const *) flags, "\\Seen"));
  }

  /* Nothing changed since: nothing reported. */
  again = imap_select (client, folder, after->uidvalidity, after->highestmodseq, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (again->vanished->len, ==, 0);
  g_assert_cmpuint (again->fetches->len, ==, 0);

  /* The same through UID FETCH (CHANGEDSINCE VANISHED). */
  {
    FetchCounter counter = { 0 };
    guint n_fetched = 0;

    g_assert_true (imap_fetch (client, "1:*", "(UID FLAGS)", before->highestmodseq,
                               count_fetch, &counter, &n_fetched, &vanished, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (n_fetched, ==, 1);
    g_assert_cmpuint (vanished->len, ==, 1);
    g_assert_cmpuint (g_array_index (vanished, KurirImapRange, 0).first, ==, uids[3]);
  }

  close_client (client);
  close_client (other);
}

/* IDLE */

typedef struct {
  guint exists;
  guint n_exists_signals;
} IdleWatch;

static void
exists_cb (KurirImapClient *client,
           guint            exists,
           gpointer         user_data)
{
  IdleWatch *watch = user_data;

  watch->exists = exists;
  watch->n_exists_signals++;
}

static gboolean
timeout_fail_cb (gpointer user_data)
{
  g_error ("Timed out waiting for %s", (const char *) user_data);
  return G_SOURCE_REMOVE;
}

#define WAIT_FOR(condition, what)                                                   \
  G_STMT_START {                                                                    \
    guint _timeout = g_timeout_add_seconds (KURIR_TEST_TIMEOUT_SECONDS,             \
                                            timeout_fail_cb, (gpointer) (what));    \
    while (!(condition))                                                            \
      g_main_context_iteration (NULL, TRUE);                                        \
    g_source_remove (_timeout);                                                     \
  } G_STMT_END

static void
test_idle (gconstpointer data)
{
  gboolean polling = GPOINTER_TO_INT (data);
  g_autoptr(KurirImapClient) client = open_client ();
  g_autoptr(KurirImapClient) other = open_client ();
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = unique_name ("Idle");
  g_autoptr(KurirImapMailbox) mailbox = NULL;
  g_autoptr(GAsyncResult) idle_result = NULL;
  g_autoptr(GBytes) message = make_message (300, NULL);
  static const char * const no_idle[] = { "IDLE", NULL };
  IdleWatch watch = { 0 };
  guint commands;

  create_folder (client, folder);
  mailbox = imap_select (client, folder, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (mailbox->exists, ==, 0);

  g_signal_connect (client, "exists", G_CALLBACK (exists_cb), &watch);
  if (polling)
    {
      kurir_imap_client_set_ignored_capabilities (client, no_idle);
      kurir_imap_client_set_poll_interval (client, 1);
    }
  else
    kurir_imap_client_set_idle_interval (client, 1);

  commands = kurir_imap_client_get_n_commands (client);
  kurir_imap_client_idle_async (client, NULL, kurir_test_store_result, &idle_result);
  if (!polling)
    {
      WAIT_FOR (kurir_imap_client_is_idling (client), "the server to accept IDLE");
      /* Renewed by the timer (here after a second): DONE, then IDLE again. */
      WAIT_FOR (kurir_imap_client_get_n_commands (client) >= commands + 2 &&
                kurir_imap_client_is_idling (client), "IDLE to be renewed");
    }

  append_one (other, folder, message);
  WAIT_FOR (watch.n_exists_signals > 0, "EXISTS");
  g_assert_cmpuint (watch.exists, ==, 1);
  g_assert_cmpuint (kurir_imap_client_get_exists (client), ==, 1);
  g_assert_null (idle_result);

  kurir_imap_client_idle_stop (client);
  g_assert_true (kurir_imap_client_idle_finish (client, kurir_test_wait (&idle_result), &error));
  g_assert_no_error (error);
  g_assert_false (kurir_imap_client_is_idling (client));

  /* Usable again after IDLE. */
  g_assert_true (imap_noop (client, &error));
  g_assert_no_error (error);

  /* A command asked for while idling ends the IDLE (IDLE case). */
  if (!polling)
    {
      g_clear_object (&idle_result);
      kurir_imap_client_idle_async (client, NULL, kurir_test_store_result, &idle_result);
      WAIT_FOR (kurir_imap_client_is_idling (client), "IDLE again");
      g_assert_true (imap_noop (client, &error));
      g_assert_no_error (error);
      g_assert_true (kurir_imap_client_idle_finish (client, kurir_test_wait (&idle_result),
                                                    &error));
      g_assert_no_error (error);
    }

  close_client (client);
  close_client (other);
}

/* COMPRESS=DEFLATE */

static void
test_compress (void)
{
  g_autoptr(KurirImapClient) client = open_client ();
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = unique_name ("Deflate");
  g_autoptr(GBytes) message = make_message (400, NULL);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(KurirImapMailbox) mailbox = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  gboolean started = FALSE;
  guint32 uid;

  /* tests/servers/dovecot-run loads imap_zlib. */
  g_assert_true (kurir_imap_client_has_capability (client, "COMPRESS=DEFLATE"));

  g_assert_true (imap_compress (client, &started, &error));
  g_assert_no_error (error);
  g_assert_true (started);
  g_assert_true (kurir_connection_is_compressed (kurir_imap_client_get_connection (client)));

  entries = imap_list (client, &error);
  g_assert_no_error (error);
  g_assert_nonnull (find_entry (entries, "INBOX"));
  create_folder (client, folder);
  uid = append_one (client, folder, message);
  mailbox = imap_select (client, folder, 0, 0, &error);
  g_assert_no_error (error);
  body = imap_fetch_body (client, uid, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (body, message));

  /* Only once. */
  g_assert_true (imap_compress (client, &started, &error));
  g_assert_false (started);
  close_client (client);
}

int
main (int    argc,
      char **argv)
{
  /* No isolated XDG folders: GIO's proxy resolver needs the system's
   * settings schemas. */
  g_test_init (&argc, &argv, NULL);
  kurir_test_require_servers ();

  g_test_add_data_func ("/imap/dovecot/connect/tls", GINT_TO_POINTER (KURIR_SECURITY_TLS),
                        test_connect);
  g_test_add_data_func ("/imap/dovecot/connect/starttls",
                        GINT_TO_POINTER (KURIR_SECURITY_STARTTLS), test_connect);
  g_test_add_data_func ("/imap/dovecot/login/strongest", NULL, test_mechanism);
  g_test_add_data_func ("/imap/dovecot/login/SCRAM-SHA-256", "SCRAM-SHA-256", test_mechanism);
  g_test_add_data_func ("/imap/dovecot/login/SCRAM-SHA-1", "SCRAM-SHA-1", test_mechanism);
  g_test_add_data_func ("/imap/dovecot/login/PLAIN", "PLAIN", test_mechanism);
  g_test_add_data_func ("/imap/dovecot/login/LOGIN", "LOGIN", test_mechanism);
  g_test_add_data_func ("/imap/dovecot/wrong-password/SCRAM-SHA-256", "SCRAM-SHA-256",
                        test_wrong_password);
  g_test_add_data_func ("/imap/dovecot/wrong-password/PLAIN", "PLAIN", test_wrong_password);
  g_test_add_data_func ("/imap/dovecot/wrong-password/LOGIN", "LOGIN", test_wrong_password);
  g_test_add_func ("/imap/dovecot/list/special-use", test_list_special_use);
  g_test_add_func ("/imap/dovecot/folder/non-ascii", test_folder_non_ascii);
  g_test_add_func ("/imap/dovecot/append-fetch-body", test_append_fetch_body);
  g_test_add_func ("/imap/dovecot/summary-fetch-1000", test_summary_fetch);
  g_test_add_func ("/imap/dovecot/store/seen-elsewhere", test_store_seen_elsewhere);
  g_test_add_data_func ("/imap/dovecot/move/move", GINT_TO_POINTER (FALSE), test_move);
  g_test_add_data_func ("/imap/dovecot/move/copy-expunge", GINT_TO_POINTER (TRUE), test_move);
  g_test_add_func ("/imap/dovecot/qresync", test_qresync);
  g_test_add_data_func ("/imap/dovecot/idle/idle", GINT_TO_POINTER (FALSE), test_idle);
  g_test_add_data_func ("/imap/dovecot/idle/noop-polling", GINT_TO_POINTER (TRUE), test_idle);
  g_test_add_func ("/imap/dovecot/compress", test_compress);

  return g_test_run ();
}
