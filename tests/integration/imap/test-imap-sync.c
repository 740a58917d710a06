/* test-imap-sync.c: the IMAP sync (kurir-cli sync, flag, delete, move,
 * show, and KurirImapSync's watch mode) against the real Dovecot of
 * tests/servers/with-servers
 *
 * These tests own the mailboxes of heidi (cli) and ivan (IDLE). A second
 * IMAP session (KurirImapClient) plays the other device, and Python's
 * imaplib (other-imap-client.py) the one that changes INBOX while a sync
 * runs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "imap-client-test-helpers.h"
#include "kurir-account.h"
#include "kurir-imap-sync.h"
#include "kurir-journal.h"
#include "kurir-store.h"
#include "kurir-test-util.h"

#define N_INBOX   20
#define N_ARCHIVE 3

/* Helpers */

static char *
user_env (const char *prefix,
          const char *user)
{
  g_autofree char *variable = g_ascii_strup (user, -1);
  g_autofree char *name = g_strconcat (prefix, variable, NULL);

  return g_strdup (kurir_test_getenv (name));
}

static void
doveadm (const char *format,
         ...) G_GNUC_PRINTF (1, 2);

static void
doveadm (const char *format,
         ...)
{
  g_autofree char *args = NULL;
  g_autofree char *command = NULL;
  g_autofree char *err = NULL;
  g_auto(GStrv) argv = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;
  va_list ap;

  va_start (ap, format);
  args = g_strdup_vprintf (format, ap);
  va_end (ap);
  command = g_strconcat (kurir_test_getenv ("KURIR_TEST_DOVEADM"), " ", args, NULL);
  g_assert_true (g_shell_parse_argv (command, NULL, &argv, &error));
  g_assert_true (g_spawn_sync (NULL, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                               NULL, NULL, NULL, &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_test_message ("doveadm %s: %s", args, err);
}

static KurirImapClient *
other_device (const char *user)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *password = user_env ("KURIR_TEST_PASSWORD_", user);
  g_autoptr(KurirConnection) connection =
    kurir_connection_new (kurir_test_getenv ("KURIR_TEST_HOST"),
                          kurir_test_port ("KURIR_TEST_IMAPS_PORT"), KURIR_SECURITY_TLS);
  g_autoptr(KurirImapClient) client = NULL;

  g_assert_true (kurir_connection_set_ca_file (connection, kurir_test_getenv ("KURIR_TEST_CA"), &error));
  client = kurir_imap_client_new (connection);
  g_assert_true (imap_connect (client, &error));
  g_assert_true (imap_login (client, user, password, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&client);
}

static GBytes *
make_message (const char *user,
              const char *tag,
              guint       i)
{
  char *text = g_strdup_printf ("From: Sender %u <sender%u@example.org>\r\n"
                                            "To: %s@localhost\r\n"
                                            "Subject: %s number %u\r\n"
                                            "Message-ID: <%s-%u-%s@example.org>\r\n"
                                            "Date: Fri, 27 Nov 2026 10:%02u:00 +0700\r\n"
                                            "MIME-Version: 1.0\r\n"
                                            "Content-Type: text/plain; charset=utf-8\r\n"
                                            "\r\n"
                                            "Body of %s %u: quokka%u.\r\n",
                                            i, i, user, tag, i, tag, i, user, i % 60, tag, i, i);

  return g_bytes_new_take (text, strlen (text));
}

/* Empties every folder of @user, removes the ones tests made, and fills
 * INBOX and Archive. */
static void
fill_server (const char *user)
{
  g_autoptr(KurirImapClient) client = NULL;
  g_autoptr(GError) error = NULL;

  doveadm ("mailbox delete -u %s -s Projects", user);
  doveadm ("expunge -u %s mailbox * all", user);
  client = other_device (user);
  for (guint i = 0; i < N_INBOX; i++)
    {
      g_autoptr(GBytes) message = make_message (user, "inbox", i);
      const char *seen[] = { "\\Seen", NULL };
      const char *flagged[] = { "\\Seen", "\\Flagged", NULL };
      g_autoptr(KurirImapCopyResult) appended =
        imap_append (client, "INBOX", i % 3 == 0 ? flagged : i % 2 == 0 ? seen : NULL, NULL,
                     message, &error);

      g_assert_no_error (error);
    }
  for (guint i = 0; i < N_ARCHIVE; i++)
    {
      g_autoptr(GBytes) message = make_message (user, "archive", i);
      g_autoptr(KurirImapCopyResult) appended = imap_append (client, "Archive", NULL, NULL,
                                                             message, &error);

      g_assert_no_error (error);
    }
  imap_logout (client, NULL);
}

static void
add_account (const char *name,
             const char *user)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *password = user_env ("KURIR_TEST_PASSWORD_", user);
  g_autofree char *input = g_strconcat (password, "\n", NULL);
  g_autofree char *email = g_strconcat (user, "@localhost", NULL);
  int status;

  status = kurir_test_run_cli (input, &out, &err, "account", "add", name,
                               "--email", email, "--user", user, "--protocol", "imap",
                               "--host", kurir_test_getenv ("KURIR_TEST_HOST"),
                               "--port", kurir_test_getenv ("KURIR_TEST_IMAPS_PORT"),
                               "--security", "tls",
                               "--ca-file", kurir_test_getenv ("KURIR_TEST_CA"),
                               "--password-stdin", NULL);
  if (status != 0)
    g_error ("account add failed: %s", err);
}

static void
cli_ok (const char *first,
        ...) G_GNUC_NULL_TERMINATED;

static void
cli_ok (const char *first,
        ...)
{
  const char *args[8] = { NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  va_list ap;
  guint n = 0;
  int status;

  va_start (ap, first);
  for (const char *a = first; a != NULL && n < G_N_ELEMENTS (args) - 1; a = va_arg (ap, const char *))
    args[n++] = a;
  va_end (ap);
  status = kurir_test_run_cli (NULL, &out, &err, args[0], args[1], args[2], args[3], args[4],
                               args[5], args[6], NULL);
  if (status != 0)
    g_error ("kurir-cli %s failed (%d): %s", first, status, err);
}

/* kurir-cli sync NAME, its counts: new, changed, removed, edits sent. */
static void
sync_account (const char *name,
              guint      *counts)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *prefix = g_strconcat (name, ": ", NULL);
  int status = kurir_test_run_cli (NULL, &out, &err, "sync", name, NULL);

  if (status != 0)
    g_error ("sync failed (%d): %s", status, err);
  g_assert_true (g_str_has_prefix (out, prefix));
  g_assert_cmpint (sscanf (out + strlen (prefix), "%u new, %u changed, %u removed, %u edits sent",
                           &counts[0], &counts[1], &counts[2], &counts[3]), ==, 4);
}

static KurirStore *
open_store (void)
{
  g_autoptr(GError) error = NULL;
  KurirStore *store = kurir_store_open (NULL, &error);

  g_assert_no_error (error);
  return store;
}

typedef struct
{
  GHashTable *flags;   /* uid → KurirMessageFlags */
  GHashTable *bodies;  /* uid → GBytes */
} ServerFolder;

static KurirMessageFlags
flags_of (GStrv names)
{
  KurirMessageFlags flags = 0;

  for (guint i = 0; names && names[i]; i++)
    {
      if (g_ascii_strcasecmp (names[i], "\\Seen") == 0)
        flags |= KURIR_MESSAGE_FLAG_SEEN;
      else if (g_ascii_strcasecmp (names[i], "\\Flagged") == 0)
        flags |= KURIR_MESSAGE_FLAG_FLAGGED;
      else if (g_ascii_strcasecmp (names[i], "\\Answered") == 0)
        flags |= KURIR_MESSAGE_FLAG_ANSWERED;
      else if (g_ascii_strcasecmp (names[i], "\\Draft") == 0)
        flags |= KURIR_MESSAGE_FLAG_DRAFT;
      else if (g_ascii_strcasecmp (names[i], "\\Deleted") == 0)
        flags |= KURIR_MESSAGE_FLAG_DELETED;
    }
  return flags;
}

static void
server_fetch_cb (KurirImapResponse *response,
                 gpointer           user_data)
{
  ServerFolder *folder = user_data;
  g_auto(GStrv) flags = kurir_imap_response_dup_fetch_flags (response);
  gboolean present;
  GBytes *body = kurir_imap_response_dup_fetch_body (response, "BODY[]", &present);
  guint32 uid = 0;

  g_assert_true (kurir_imap_response_get_fetch_uid (response, &uid));
  g_hash_table_insert (folder->flags, GUINT_TO_POINTER (uid), GUINT_TO_POINTER (flags_of (flags)));
  if (body != NULL)
    g_hash_table_insert (folder->bodies, GUINT_TO_POINTER (uid), body);
}

/* The store's copy of @folder equals the server's: the same UIDs, flags
 * and (when complete) bytes. Returns how many messages. */
static guint
assert_folder_equals (const char *account,
                      const char *user,
                      const char *folder)
{
  g_autoptr(KurirImapClient) client = other_device (user);
  g_autoptr(KurirImapMailbox) mailbox = NULL;
  g_autoptr(KurirStore) store = open_store ();
  g_autoptr(GHashTable) keys = NULL;
  g_autoptr(GError) error = NULL;
  ServerFolder server = {
    g_hash_table_new (g_direct_hash, g_direct_equal),
    g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, (GDestroyNotify) g_bytes_unref),
  };
  GHashTableIter iter;
  gpointer key, value;
  guint n;

  mailbox = imap_select (client, folder, 0, 0, &error);
  g_assert_no_error (error);
  if (mailbox->exists > 0)
    g_assert_true (imap_fetch (client, "1:*", "(UID FLAGS BODY.PEEK[])", 0, server_fetch_cb,
                               &server, NULL, NULL, &error));
  g_assert_no_error (error);
  imap_logout (client, NULL);

  keys = kurir_store_get_folder_keys (store, account, folder, &error);
  g_assert_no_error (error);
  if (g_hash_table_size (keys) != g_hash_table_size (server.flags))
    g_error ("%s: %u messages here, %u on the server", folder, g_hash_table_size (keys),
             g_hash_table_size (server.flags));
  g_hash_table_iter_init (&iter, keys);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      KurirStoreKeyState *state = value;
      guint64 uid = 0;
      gpointer flags;
      GBytes *body;

      g_assert_true (g_ascii_string_to_unsigned (key, 10, 1, G_MAXUINT32, &uid, NULL));
      g_assert_true (g_hash_table_lookup_extended (server.flags, GUINT_TO_POINTER (uid), NULL, &flags));
      g_assert_cmpint (state->flags & KURIR_MESSAGE_FLAGS_ALL, ==, GPOINTER_TO_UINT (flags));
      body = g_hash_table_lookup (server.bodies, GUINT_TO_POINTER (uid));
      if (!(state->flags & KURIR_MESSAGE_FLAG_PARTIAL))
        {
          g_autoptr(GBytes) raw = kurir_store_get_raw (store, state->id, &error);

          g_assert_no_error (error);
          g_assert_true (g_bytes_equal (raw, body));
        }
    }
  n = g_hash_table_size (keys);
  g_hash_table_unref (server.flags);
  g_hash_table_unref (server.bodies);
  return n;
}

static gint64
find_message (const char *account,
              const char *folder,
              const char *subject)
{
  g_autoptr(KurirStore) store = open_store ();
  g_autoptr(GPtrArray) messages = kurir_store_list (store, account, folder, 0, 1000, NULL);

  for (guint i = 0; messages && i < messages->len; i++)
    if (g_strcmp0 (kurir_message_get_subject (g_ptr_array_index (messages, i)), subject) == 0)
      return kurir_message_get_id (g_ptr_array_index (messages, i));
  return 0;
}

/* Tests */

static void
test_first_sync_and_resync (void)
{
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(GPtrArray) folders = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(KurirAccount) account = NULL;
  g_autoptr(KurirImapSync) sync = NULL;
  g_autoptr(KurirImapClient) probe = NULL;
  g_autofree char *password = user_env ("KURIR_TEST_PASSWORD_", "heidi");
  KurirImapSyncStats stats = { 0 };
  guint counts[4];
  guint base;
  guint n_server = 0;
  const struct { const char *name, *role; } roles[] = {
    { "INBOX", "inbox" }, { "Sent", "sent" }, { "Drafts", "drafts" },
    { "Trash", "trash" }, { "Junk", "junk" }, { "Archive", "archive" },
  };

  fill_server ("heidi");
  add_account ("heidi", "heidi");
  sync_account ("heidi", counts);
  g_assert_cmpuint (counts[0], ==, N_INBOX + N_ARCHIVE);
  g_assert_cmpuint (counts[1] + counts[2] + counts[3], ==, 0);

  /* The folder tree, with its special-use roles. */
  store = open_store ();
  folders = kurir_store_list_folders (store, "heidi", &error);
  g_assert_no_error (error);
  /* Those of the server (a local Outbox has no UIDVALIDITY). */
  for (guint i = 0; i < folders->len; i++)
    {
      KurirStoreFolder *folder = g_ptr_array_index (folders, i);

      g_test_message ("folder %s (UIDVALIDITY %" G_GINT64_FORMAT ")", folder->name,
                      folder->uidvalidity);
      n_server += folder->uidvalidity != 0;
    }
  g_assert_cmpuint (n_server, ==, G_N_ELEMENTS (roles));
  for (guint i = 0; i < G_N_ELEMENTS (roles); i++)
    {
      g_autoptr(KurirStoreFolder) folder = kurir_store_get_folder (store, "heidi", roles[i].name, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (folder->role, ==, roles[i].role);
      g_assert_cmpint (folder->uidvalidity, !=, 0);
    }

  /* UIDs, flags and bytes (bodies are kept: under 10,000 messages). */
  g_assert_cmpuint (assert_folder_equals ("heidi", "heidi", "INBOX"), ==, N_INBOX);
  g_assert_cmpuint (assert_folder_equals ("heidi", "heidi", "Archive"), ==, N_ARCHIVE);

  /* Again: nothing. */
  sync_account ("heidi", counts);
  g_assert_cmpuint (counts[0] + counts[1] + counts[2] + counts[3], ==, 0);

  /* With QRESYNC, a sync with nothing changed costs one STATUS per folder
   * after LIST (pipelined): no SELECT, no FETCH at all. */
  probe = other_device ("heidi");
  g_assert_true (imap_enable (probe, &error));
  base = kurir_imap_client_get_n_commands (probe);
  g_assert_true (kurir_imap_client_is_enabled (probe, "QRESYNC"));
  imap_logout (probe, NULL);
  account = kurir_account_load ("heidi", &error);
  g_assert_no_error (error);
  sync = kurir_imap_sync_new (account, store, password);
  g_assert_true (kurir_imap_sync_run (sync, &stats, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.added + stats.changed + stats.removed, ==, 0);
  g_assert_cmpuint (stats.unchanged, ==, G_N_ELEMENTS (roles));
  g_assert_cmpuint (kurir_imap_client_get_n_commands (kurir_imap_sync_get_client (sync)), ==,
                    base + 1 + G_N_ELEMENTS (roles));
}

static void
test_cli_edits_reach_server (void)
{
  g_autofree char *id_text = NULL;
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(KurirMessage) moved = NULL;
  g_autoptr(KurirMessage) trashed = NULL;
  guint counts[4];
  gint64 flag_id, move_id, delete_id;

  fill_server ("heidi");
  add_account ("heidi", "heidi");
  sync_account ("heidi", counts);

  flag_id = find_message ("heidi", "INBOX", "inbox number 1");
  move_id = find_message ("heidi", "INBOX", "inbox number 2");
  delete_id = find_message ("heidi", "INBOX", "inbox number 3");
  g_assert_cmpint (flag_id * move_id * delete_id, !=, 0);

  id_text = g_strdup_printf ("%" G_GINT64_FORMAT, flag_id);
  cli_ok ("flag", id_text, "+flagged", NULL);
  g_free (id_text);
  id_text = g_strdup_printf ("%" G_GINT64_FORMAT, move_id);
  cli_ok ("move", id_text, "Archive", NULL);
  g_free (id_text);
  id_text = g_strdup_printf ("%" G_GINT64_FORMAT, delete_id);
  cli_ok ("delete", id_text, NULL);

  /* The server has every edit, and the store agrees with it. */
  g_assert_cmpuint (assert_folder_equals ("heidi", "heidi", "INBOX"), ==, N_INBOX - 2);
  g_assert_cmpuint (assert_folder_equals ("heidi", "heidi", "Archive"), ==, N_ARCHIVE + 1);
  g_assert_cmpuint (assert_folder_equals ("heidi", "heidi", "Trash"), ==, 1);
  store = open_store ();
  moved = kurir_store_get_message (store, move_id, NULL);
  g_assert_cmpstr (kurir_message_get_folder (moved), ==, "Archive");
  g_assert_nonnull (kurir_message_get_backend_key (moved));
  trashed = kurir_store_get_message (store, delete_id, NULL);
  g_assert_cmpstr (kurir_message_get_folder (trashed), ==, "Trash");

  /* Nothing left to do, nothing fetched twice. */
  sync_account ("heidi", counts);
  g_assert_cmpuint (counts[0] + counts[1] + counts[2] + counts[3], ==, 0);

  /* Deleted in the Trash: expunged. */
  cli_ok ("delete", id_text, NULL);
  g_assert_cmpuint (assert_folder_equals ("heidi", "heidi", "Trash"), ==, 0);
}

/* Runs one sync in this process, as a server without QRESYNC and
 * CONDSTORE would be synced when @plain. */
typedef enum {
  MODE_QRESYNC,   /* everything Dovecot offers */
  MODE_PLAIN,     /* neither QRESYNC nor CONDSTORE: flags refreshed in full */
  MODE_CONDSTORE, /* CONDSTORE without QRESYNC: FETCH (CHANGEDSINCE) */
} SyncMode;

/* Returns how many commands the sync sent. */
static guint
sync_in_process (const char         *name,
                 SyncMode            mode,
                 KurirImapSyncStats *stats)
{
  g_autoptr(KurirStore) store = open_store ();
  g_autoptr(KurirAccount) account = NULL;
  g_autoptr(KurirImapSync) sync = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *password = user_env ("KURIR_TEST_PASSWORD_", name);
  const char *plain[] = { "QRESYNC", "CONDSTORE", NULL };
  const char *condstore[] = { "QRESYNC", NULL };
  KurirImapClient *client;
  guint commands;

  account = kurir_account_load (name, &error);
  g_assert_no_error (error);
  sync = kurir_imap_sync_new (account, store, password);
  if (mode == MODE_PLAIN)
    kurir_imap_sync_set_ignored_capabilities (sync, plain);
  else if (mode == MODE_CONDSTORE)
    kurir_imap_sync_set_ignored_capabilities (sync, condstore);
  g_assert_true (kurir_imap_sync_run (sync, stats, NULL, &error));
  g_assert_no_error (error);
  client = kurir_imap_sync_get_client (sync);
  g_assert_cmpint (kurir_imap_client_is_enabled (client, "QRESYNC"), ==, mode == MODE_QRESYNC);
  if (mode == MODE_CONDSTORE)
    g_assert_true (kurir_imap_client_is_enabled (client, "CONDSTORE"));
  commands = kurir_imap_client_get_n_commands (client);
  kurir_imap_sync_close (sync);
  return commands;
}

static void
test_other_device_changes (gconstpointer data)
{
  SyncMode mode = GPOINTER_TO_INT (data);
  KurirImapSyncStats stats = { 0 };
  g_autoptr(KurirImapClient) client = NULL;
  g_autoptr(KurirImapMailbox) mailbox = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) message = make_message ("heidi", "late", 1);
  guint counts[4];
  guint32 move_uid, first;
  guint commands, changed_commands;

  fill_server ("heidi");
  add_account ("heidi", "heidi");
  sync_account ("heidi", counts);

  client = other_device ("heidi");
  mailbox = imap_select (client, "INBOX", 0, 0, &error);
  g_assert_no_error (error);
  /* fill_server() appended them in order: the last UIDs. */
  first = mailbox->uidnext - N_INBOX;
  move_uid = first + 5;
  g_array_unref (imap_store (client, first + 2, KURIR_IMAP_STORE_ADD, "\\Answered", 0, &error));
  g_array_unref (imap_store (client, first + 3, KURIR_IMAP_STORE_ADD, "\\Deleted", 0, &error));
  {
    g_autoptr(GAsyncResult) result = NULL;
    guint32 uid = first + 3;

    kurir_imap_client_expunge_async (client, &uid, 1, NULL, kurir_test_store_result, &result);
    g_assert_true (kurir_imap_client_expunge_finish (client, kurir_test_wait (&result), &error));
  }
  kurir_imap_copy_result_free (imap_move (client, &move_uid, 1, "Archive", &error));
  g_assert_no_error (error);
  kurir_imap_copy_result_free (imap_append (client, "INBOX", NULL, NULL, message, &error));
  g_assert_no_error (error);
  imap_logout (client, NULL);

  sync_in_process ("heidi", mode, &stats);
  g_assert_cmpuint (assert_folder_equals ("heidi", "heidi", "INBOX"), ==, N_INBOX - 1);
  g_assert_cmpuint (assert_folder_equals ("heidi", "heidi", "Archive"), ==, N_ARCHIVE + 1);
  g_assert_cmpuint (stats.added, ==, 2);     /* the new one, and the moved one in Archive */
  g_assert_cmpuint (stats.changed, ==, 1);
  g_assert_cmpuint (stats.removed, ==, 2);   /* the expunged one, and the moved one in INBOX */

  /* A flag change alone: with CONDSTORE it comes by CHANGEDSINCE. */
  client = other_device ("heidi");
  g_clear_pointer (&mailbox, kurir_imap_mailbox_free);
  mailbox = imap_select (client, "INBOX", 0, 0, &error);
  g_assert_no_error (error);
  g_array_unref (imap_store (client, first + 6, KURIR_IMAP_STORE_REMOVE, "\\Seen", 0, &error));
  g_array_unref (imap_store (client, first + 8, KURIR_IMAP_STORE_ADD, "\\Draft", 0, &error));
  g_assert_no_error (error);
  imap_logout (client, NULL);
  g_clear_object (&client);
  changed_commands = sync_in_process ("heidi", mode, &stats);
  g_assert_cmpuint (stats.changed, ==, 2);
  g_assert_cmpuint (stats.added + stats.removed, ==, 0);
  assert_folder_equals ("heidi", "heidi", "INBOX");

  /* Nothing changed: with CONDSTORE (HIGHESTMODSEQ as before) no FETCH
   * at all, one command fewer than the flag change (whose FETCH
   * (CHANGEDSINCE) was the only one); with QRESYNC the changes came with
   * the SELECT of INBOX, the only folder whose STATUS had moved, and now
   * no folder is selected; without both, every folder's flags are
   * fetched both times. */
  commands = sync_in_process ("heidi", mode, &stats);
  g_assert_cmpuint (stats.added + stats.changed + stats.removed, ==, 0);
  g_assert_cmpuint (commands, ==, changed_commands - (mode == MODE_PLAIN ? 0 : 1));
  if (mode == MODE_QRESYNC)
    g_assert_cmpuint (stats.unchanged, ==, 6);
  else
    g_assert_cmpuint (stats.unchanged, ==, 0);
}

/* Reads one line of the other client's output (waiting for it). */
static char *
read_other_line (GDataInputStream *out)
{
  g_autoptr(GError) error = NULL;
  char *line = g_data_input_stream_read_line (out, NULL, NULL, &error);

  g_assert_no_error (error);
  if (line == NULL)
    g_error ("other-imap-client.py ended early");
  return line;
}

/* Another client (Python's imaplib) expunges, moves, flags and appends
 * INBOX messages all the while a first sync (summaries and bodies, in
 * small batches) runs. That sync succeeds and stores nothing twice; one
 * more sync leaves the store equal to the server, and the one after
 * finds nothing to do. */
static void
test_other_client_during_sync (void)
{
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "integration", "imap",
                                                   "other-imap-client.py", NULL);
  g_autofree char *password = user_env ("KURIR_TEST_PASSWORD_", "heidi");
  g_autoptr(GSubprocess) other = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(KurirAccount) account = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  KurirImapSyncStats stats = { 0 };
  guint64 rounds = 0;
  guint inbox;

  fill_server ("heidi");
  add_account ("heidi", "heidi");
  other = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                            "/usr/bin/python3", script, "heidi", "--fill", "380", NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (other));
  line = read_other_line (out);
  g_assert_cmpstr (line, ==, "ready");
  g_clear_pointer (&line, g_free);

  /* The first sync, while the other client works. */
  store = open_store ();
  account = kurir_account_load ("heidi", &error);
  g_assert_no_error (error);
  {
    g_autoptr(KurirImapSync) sync = kurir_imap_sync_new (account, store, password);

    kurir_imap_sync_set_keep_offline (sync, 1);
    kurir_imap_sync_set_batch_size (sync, 20);
    if (!kurir_imap_sync_run (sync, &stats, NULL, &error))
      g_error ("the sync during the other client's changes failed: %s", error->message);
    kurir_imap_sync_close (sync);
  }
  g_assert_true (g_output_stream_write_all (g_subprocess_get_stdin_pipe (other), "stop\n", 5,
                                            NULL, NULL, &error));
  g_assert_no_error (error);
  while (!g_str_has_prefix ((line = read_other_line (out)), "stopped "))
    g_clear_pointer (&line, g_free);
  g_assert_true (g_ascii_string_to_unsigned (line + strlen ("stopped "), 10, 0, G_MAXUINT,
                                             &rounds, NULL));
  g_assert_true (g_subprocess_wait_check (other, NULL, &error));
  g_assert_no_error (error);
  g_test_message ("%" G_GUINT64_FORMAT " rounds of changes during a sync of %u messages",
                  rounds, stats.added);
  /* Rounds began before the sync did and went on until it ended ("stop"
   * came after it): at least one of them ran while it did. */
  g_assert_cmpuint (rounds, >=, 1);
  /* Nothing twice: one message per UID. */
  {
    g_autoptr(GHashTable) keys = kurir_store_get_folder_keys (store, "heidi", "INBOX", &error);

    g_assert_cmpint (kurir_store_count (store, "heidi", "INBOX", &error), ==,
                     g_hash_table_size (keys));
  }

  /* One more sync: equal to the server. */
  sync_in_process ("heidi", MODE_QRESYNC, &stats);
  inbox = assert_folder_equals ("heidi", "heidi", "INBOX");
  g_assert_cmpuint (inbox, ==, N_INBOX + 380 - rounds);
  g_assert_cmpuint (assert_folder_equals ("heidi", "heidi", "Archive"), ==, N_ARCHIVE + rounds);
  g_assert_cmpint (kurir_store_count (store, "heidi", "INBOX", &error), ==, inbox);
  sync_in_process ("heidi", MODE_QRESYNC, &stats);
  g_assert_cmpuint (stats.added + stats.changed + stats.removed, ==, 0);
}

static void
test_offline_edit_replayed (void)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *port = NULL;
  g_autofree char *id_text = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(KurirJournal) journal = NULL;
  g_autoptr(KurirMessage) message = NULL;
  guint counts[4];
  gint64 id;

  fill_server ("heidi");
  add_account ("heidi", "heidi");
  sync_account ("heidi", counts);
  id = find_message ("heidi", "INBOX", "inbox number 1");
  id_text = g_strdup_printf ("%" G_GINT64_FORMAT, id);

  /* A port nobody listens on any longer. */
  g_assert_true (g_socket_listener_add_address (listener, address, G_SOCKET_TYPE_STREAM,
                                                G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error));
  port = g_strdup_printf ("%u", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective)));
  g_socket_listener_close (listener);
  cli_ok ("account", "set", "heidi", "--port", port, NULL);

  /* Shown here at once, kept in the journal. */
  g_assert_cmpint (kurir_test_run_cli (NULL, &out, &err, "flag", id_text, "+flagged", NULL), ==, 0);
  g_assert_nonnull (strstr (err, "next sync"));
  store = open_store ();
  message = kurir_store_get_message (store, id, NULL);
  g_assert_true (kurir_message_get_flags (message) & KURIR_MESSAGE_FLAG_FLAGGED);
  journal = kurir_journal_new (store, "heidi");
  g_assert_cmpuint (kurir_journal_count_pending (journal), ==, 1);

  /* Reachable again: the next sync sends it first, and then agrees. */
  cli_ok ("account", "set", "heidi", "--port", kurir_test_getenv ("KURIR_TEST_IMAPS_PORT"), NULL);
  sync_account ("heidi", counts);
  g_assert_cmpuint (counts[3], ==, 1);
  g_assert_cmpuint (counts[0] + counts[1] + counts[2], ==, 0);
  g_assert_cmpuint (kurir_journal_count_pending (journal), ==, 0);
  g_assert_cmpuint (assert_folder_equals ("heidi", "heidi", "INBOX"), ==, N_INBOX);
  g_clear_object (&message);
  message = kurir_store_get_message (store, id, NULL);
  g_assert_true (kurir_message_get_flags (message) & KURIR_MESSAGE_FLAG_FLAGGED);
}

static void
test_uidvalidity_change (void)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(KurirStoreFolder) before = NULL;
  g_autoptr(KurirStoreFolder) after = NULL;
  g_autofree char *port = NULL;
  g_autofree char *id_text = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  guint counts[4];
  guint32 validity = (guint32) (g_get_real_time () / G_USEC_PER_SEC % 1000000000) + 1000;
  gint64 id;

  fill_server ("heidi");
  add_account ("heidi", "heidi");
  sync_account ("heidi", counts);
  store = open_store ();
  before = kurir_store_get_folder (store, "heidi", "INBOX", &error);
  g_assert_no_error (error);

  /* An edit made offline, not yet sent when the UIDVALIDITY changes. */
  id = find_message ("heidi", "INBOX", "inbox number 7");
  id_text = g_strdup_printf ("%" G_GINT64_FORMAT, id);
  g_assert_true (g_socket_listener_add_address (listener, address, G_SOCKET_TYPE_STREAM,
                                                G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error));
  port = g_strdup_printf ("%u", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective)));
  g_socket_listener_close (listener);
  cli_ok ("account", "set", "heidi", "--port", port, NULL);
  g_assert_cmpint (kurir_test_run_cli (NULL, &out, &err, "flag", id_text, "+answered", NULL), ==, 0);
  cli_ok ("account", "set", "heidi", "--port", kurir_test_getenv ("KURIR_TEST_IMAPS_PORT"), NULL);

  if (validity == before->uidvalidity)
    validity++;
  doveadm ("mailbox update --uid-validity %u -u heidi INBOX", validity);

  sync_account ("heidi", counts);
  g_assert_cmpuint (counts[3], ==, 1);          /* the edit reached the message by its Message-ID */
  g_assert_cmpuint (counts[0], ==, N_INBOX);    /* fetched again */
  g_assert_cmpuint (counts[2], ==, N_INBOX);    /* the old copies dropped */
  after = kurir_store_get_folder (store, "heidi", "INBOX", &error);
  g_assert_cmpint (after->uidvalidity, ==, validity);
  g_assert_cmpuint (assert_folder_equals ("heidi", "heidi", "INBOX"), ==, N_INBOX);
  id = find_message ("heidi", "INBOX", "inbox number 7");
  {
    g_autoptr(KurirMessage) message = kurir_store_get_message (store, id, &error);

    g_assert_no_error (error);
    g_assert_true (kurir_message_get_flags (message) & KURIR_MESSAGE_FLAG_ANSWERED);
  }
}

static void
test_show_fetches_body (void)
{
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(KurirMessage) message = NULL;
  g_autofree char *id_text = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  guint counts[4];
  gint64 id;

  fill_server ("heidi");
  add_account ("heidi", "heidi");
  cli_ok ("account", "set", "heidi", "--keep-offline", "none", NULL);
  sync_account ("heidi", counts);
  g_assert_cmpuint (counts[0], ==, N_INBOX + N_ARCHIVE);

  id = find_message ("heidi", "INBOX", "inbox number 4");
  store = open_store ();
  message = kurir_store_get_message (store, id, NULL);
  g_assert_true (kurir_message_get_flags (message) & KURIR_MESSAGE_FLAG_PARTIAL);
  g_assert_cmpint (kurir_message_get_full_size (message), >, kurir_message_get_size (message));
  g_clear_object (&message);

  id_text = g_strdup_printf ("%" G_GINT64_FORMAT, id);
  g_assert_cmpint (kurir_test_run_cli (NULL, &out, &err, "show", id_text, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "quokka4"));
  message = kurir_store_get_message (store, id, NULL);
  g_assert_false (kurir_message_get_flags (message) & KURIR_MESSAGE_FLAG_PARTIAL);
  /* The bytes equal the server's (checked for complete messages). */
  g_assert_cmpuint (assert_folder_equals ("heidi", "heidi", "INBOX"), ==, N_INBOX);
}

static void
test_refused_edit_undone (void)
{
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(KurirMessage) message = NULL;
  g_autoptr(KurirJournal) journal = NULL;
  g_autoptr(GPtrArray) failed = NULL;
  g_autofree char *id_text = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *key = NULL;
  guint counts[4];
  gint64 id;

  fill_server ("heidi");
  add_account ("heidi", "heidi");
  sync_account ("heidi", counts);
  id = find_message ("heidi", "INBOX", "inbox number 9");
  store = open_store ();
  message = kurir_store_get_message (store, id, NULL);
  key = g_strdup (kurir_message_get_backend_key (message));
  g_clear_object (&message);

  id_text = g_strdup_printf ("%" G_GINT64_FORMAT, id);
  g_assert_cmpint (kurir_test_run_cli (NULL, &out, &err, "move", id_text, "No Such Folder", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "refused"));

  /* Back where it was, with its UID; the refusal is kept with the server's words. */
  message = kurir_store_get_message (store, id, NULL);
  g_assert_cmpstr (kurir_message_get_folder (message), ==, "INBOX");
  g_assert_cmpstr (kurir_message_get_backend_key (message), ==, key);
  journal = kurir_journal_new (store, "heidi");
  g_assert_cmpuint (kurir_journal_count_pending (journal), ==, 0);
  failed = kurir_journal_list_failed (journal, NULL);
  g_assert_cmpuint (failed->len, ==, 1);
  g_assert_nonnull (((KurirStoreJournalEntry *) g_ptr_array_index (failed, 0))->error);
  g_assert_cmpuint (assert_folder_equals ("heidi", "heidi", "INBOX"), ==, N_INBOX);
  sync_account ("heidi", counts);
  g_assert_cmpuint (counts[0] + counts[1] + counts[2] + counts[3], ==, 0);
}

/* Every journal step interrupted at its worst point (the server did the
 * edit, the journal still has it; the journal has it, the store not yet),
 * then a sync: the end state equals an uninterrupted run, nothing twice. */
static void
test_replay_after_crash (void)
{
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(KurirJournal) journal = NULL;
  g_autoptr(KurirImapClient) client = NULL;
  g_autoptr(KurirImapMailbox) mailbox = NULL;
  g_autoptr(KurirStoreFolder) inbox = NULL;
  g_autoptr(KurirMessage) x = NULL;
  g_autoptr(KurirMessage) y = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) draft = make_message ("heidi", "draft", 1);
  KurirStoreJournalEntry entry = { 0 };
  guint counts[4];
  guint64 y_uid = 0;
  gint64 x_id, y_id, z_id, draft_id;

  fill_server ("heidi");
  add_account ("heidi", "heidi");
  sync_account ("heidi", counts);
  store = open_store ();
  journal = kurir_journal_new (store, "heidi");
  inbox = kurir_store_get_folder (store, "heidi", "INBOX", &error);
  g_assert_no_error (error);

  /* 1. Journalled, then a crash before the store changed. */
  x_id = find_message ("heidi", "INBOX", "inbox number 1");
  x = kurir_store_get_message (store, x_id, NULL);
  entry.account = (char *) "heidi";
  entry.op = KURIR_STORE_JOURNAL_FLAGS;
  entry.folder = (char *) "INBOX";
  entry.backend_key = (char *) kurir_message_get_backend_key (x);
  entry.uidvalidity = inbox->uidvalidity;
  entry.message_id = (char *) kurir_message_get_message_id (x);
  entry.message = x_id;
  entry.add_flags = KURIR_MESSAGE_FLAG_FLAGGED;
  g_assert_cmpint (kurir_store_journal_add (store, &entry, &error), >, 0);

  /* 2. Moved here and on the server, then a crash before the entry went. */
  y_id = find_message ("heidi", "INBOX", "inbox number 2");
  y = kurir_store_get_message (store, y_id, NULL);
  g_assert_true (g_ascii_string_to_unsigned (kurir_message_get_backend_key (y), 10, 1, G_MAXUINT32,
                                             &y_uid, NULL));
  g_assert_true (kurir_journal_move (journal, y_id, "Archive", &error));
  client = other_device ("heidi");
  mailbox = imap_select (client, "INBOX", 0, 0, &error);
  {
    guint32 uid = (guint32) y_uid;

    kurir_imap_copy_result_free (imap_move (client, &uid, 1, "Archive", &error));
    g_assert_no_error (error);
  }

  /* 3. A draft saved here and appended, then a crash before the entry went. */
  draft_id = kurir_journal_append (journal, "Drafts", draft, KURIR_MESSAGE_FLAG_DRAFT, &error);
  g_assert_no_error (error);
  g_assert_cmpint (draft_id, >, 0);
  {
    const char *flags[] = { "\\Draft", NULL };

    kurir_imap_copy_result_free (imap_append (client, "Drafts", flags, NULL, draft, &error));
    g_assert_no_error (error);
  }
  imap_logout (client, NULL);

  /* 4. The same flag edit sent twice. */
  z_id = find_message ("heidi", "INBOX", "inbox number 5");
  g_assert_true (kurir_journal_set_flags (journal, z_id, KURIR_MESSAGE_FLAG_SEEN, 0, &error));
  g_assert_true (kurir_journal_set_flags (journal, z_id, KURIR_MESSAGE_FLAG_SEEN, 0, &error));
  g_assert_cmpuint (kurir_journal_count_pending (journal), ==, 5);

  sync_account ("heidi", counts);
  g_assert_cmpuint (counts[3], ==, 5);
  g_assert_cmpuint (kurir_journal_count_pending (journal), ==, 0);
  g_assert_cmpuint (assert_folder_equals ("heidi", "heidi", "INBOX"), ==, N_INBOX - 1);
  g_assert_cmpuint (assert_folder_equals ("heidi", "heidi", "Archive"), ==, N_ARCHIVE + 1);
  g_assert_cmpuint (assert_folder_equals ("heidi", "heidi", "Drafts"), ==, 1);
  g_clear_object (&x);
  x = kurir_store_get_message (store, x_id, NULL);
  g_assert_true (kurir_message_get_flags (x) & KURIR_MESSAGE_FLAG_FLAGGED);
  g_clear_object (&y);
  y = kurir_store_get_message (store, y_id, NULL);
  g_assert_cmpstr (kurir_message_get_folder (y), ==, "Archive");
  g_assert_nonnull (kurir_message_get_backend_key (y));
  {
    g_autoptr(KurirMessage) saved = kurir_store_get_message (store, draft_id, &error);

    g_assert_no_error (error);
    g_assert_nonnull (kurir_message_get_backend_key (saved));
  }

  sync_account ("heidi", counts);
  g_assert_cmpuint (counts[0] + counts[1] + counts[2] + counts[3], ==, 0);
}

/* IDLE: the watch runs in a thread of its own; its ::changed goes to a queue. */

typedef struct
{
  KurirStore        *store;
  const char        *folder;
  guint32            uid;
  KurirMessageFlags  flags;
  gboolean           present;
} Expect;

typedef struct
{
  KurirImapSync *sync;
  GCancellable  *cancellable;
  GAsyncQueue   *changes;
  GError        *error;
} Watch;

static void
watch_changed_cb (KurirImapSync *sync,
                  gpointer       user_data)
{
  Watch *watch = user_data;

  g_async_queue_push (watch->changes, GUINT_TO_POINTER (1));
}

static gpointer
watch_thread (gpointer data)
{
  Watch *watch = data;

  kurir_imap_sync_watch (watch->sync, watch->cancellable, &watch->error);
  g_async_queue_push (watch->changes, GUINT_TO_POINTER (2));
  return NULL;
}

/* Waits (bounded) for the store to show what @check looks for. */
static void
wait_until (Watch      *watch,
            gboolean  (*check) (gpointer),
            gpointer    data)
{
  gint64 deadline = g_get_monotonic_time () + KURIR_TEST_TIMEOUT_SECONDS * G_USEC_PER_SEC;

  while (!check (data))
    {
      gpointer what = g_async_queue_timeout_pop (watch->changes,
                                                 MAX (deadline - g_get_monotonic_time (), 1));

      if (what == NULL)
        {
          Expect *expect = data;
          g_autofree char *key = g_strdup_printf ("%u", expect->uid);
          g_autoptr(GHashTable) keys = kurir_store_get_folder_keys (expect->store, "ivan", expect->folder, NULL);
          KurirStoreKeyState *state = keys ? g_hash_table_lookup (keys, key) : NULL;

          g_error ("timed out waiting for the watch to bring a change (uid %u: %s, flags %x)",
                   expect->uid, state ? "here" : "absent", state ? state->flags : 0);
        }
      if (GPOINTER_TO_UINT (what) == 2)
        g_error ("the watch ended: %s", watch->error ? watch->error->message : "?");
    }
}

static gboolean
expect_check (gpointer data)
{
  Expect *expect = data;
  g_autofree char *key = g_strdup_printf ("%u", expect->uid);
  g_autoptr(GHashTable) keys = kurir_store_get_folder_keys (expect->store, "ivan", expect->folder, NULL);
  KurirStoreKeyState *state = keys ? g_hash_table_lookup (keys, key) : NULL;

  if (!expect->present)
    return keys != NULL && state == NULL;
  return state != NULL && (state->flags & KURIR_MESSAGE_FLAGS_ALL) == expect->flags;
}

static gboolean
inbox_full (gpointer data)
{
  return kurir_store_count (data, "ivan", "INBOX", NULL) == N_INBOX;
}

static void
test_idle_watch (void)
{
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(KurirAccount) account = NULL;
  g_autoptr(KurirImapClient) client = NULL;
  g_autoptr(KurirImapMailbox) mailbox = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GThread) thread = NULL;
  g_autoptr(GBytes) message = make_message ("ivan", "pushed", 1);
  g_autofree char *password = user_env ("KURIR_TEST_PASSWORD_", "ivan");
  Watch watch = { 0 };
  Expect expect = { 0 };
  guint32 first, uid;

  fill_server ("ivan");
  add_account ("ivan", "ivan");
  store = open_store ();
  account = kurir_account_load ("ivan", &error);
  g_assert_no_error (error);

  watch.sync = kurir_imap_sync_new (account, store, password);
  watch.cancellable = g_cancellable_new ();
  watch.changes = g_async_queue_new ();
  g_signal_connect (watch.sync, "changed", G_CALLBACK (watch_changed_cb), &watch);
  thread = g_thread_new ("watch", watch_thread, &watch);

  client = other_device ("ivan");
  mailbox = imap_select (client, "INBOX", 0, 0, &error);
  g_assert_no_error (error);
  first = mailbox->uidnext - N_INBOX;
  expect.store = store;
  expect.folder = "INBOX";

  /* The first sync: ::changed, with every message here. */
  wait_until (&watch, inbox_full, store);

  /* New mail. */
  {
    g_autoptr(KurirImapCopyResult) appended = imap_append (client, "INBOX", NULL, NULL, message, &error);

    g_assert_no_error (error);
    uid = g_array_index (appended->dest_uids, guint32, 0);
  }
  expect.uid = uid;
  expect.flags = 0;
  expect.present = TRUE;
  wait_until (&watch, expect_check, &expect);

  /* A flag. */
  g_array_unref (imap_store (client, first + 1, KURIR_IMAP_STORE_ADD, "\\Flagged", 0, &error));
  g_assert_no_error (error);
  expect.uid = first + 1;
  expect.flags = KURIR_MESSAGE_FLAG_FLAGGED;
  wait_until (&watch, expect_check, &expect);

  /* An expunge. */
  g_array_unref (imap_store (client, first + 2, KURIR_IMAP_STORE_ADD, "\\Deleted", 0, &error));
  {
    g_autoptr(GAsyncResult) result = NULL;
    guint32 gone = first + 2;

    kurir_imap_client_expunge_async (client, &gone, 1, NULL, kurir_test_store_result, &result);
    g_assert_true (kurir_imap_client_expunge_finish (client, kurir_test_wait (&result), &error));
  }
  expect.uid = first + 2;
  expect.present = FALSE;
  wait_until (&watch, expect_check, &expect);

  /* A move away. */
  uid = first + 3;
  kurir_imap_copy_result_free (imap_move (client, &uid, 1, "Archive", &error));
  g_assert_no_error (error);
  expect.uid = first + 3;
  wait_until (&watch, expect_check, &expect);

  g_cancellable_cancel (watch.cancellable);
  g_thread_join (g_steal_pointer (&thread));
  g_assert_error (watch.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&watch.error);
  imap_logout (client, NULL);
  g_object_unref (watch.sync);
  g_object_unref (watch.cancellable);
  g_async_queue_unref (watch.changes);
}

int
main (int    argc,
      char **argv)
{
  kurir_test_require_servers ();
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/imap-sync/first-sync-and-resync", test_first_sync_and_resync);
  g_test_add_func ("/imap-sync/cli-edits-reach-server", test_cli_edits_reach_server);
  g_test_add_data_func ("/imap-sync/other-device-changes/qresync", GINT_TO_POINTER (MODE_QRESYNC),
                        test_other_device_changes);
  g_test_add_data_func ("/imap-sync/other-device-changes/plain", GINT_TO_POINTER (MODE_PLAIN),
                        test_other_device_changes);
  g_test_add_data_func ("/imap-sync/other-device-changes/condstore",
                        GINT_TO_POINTER (MODE_CONDSTORE), test_other_device_changes);
  g_test_add_func ("/imap-sync/other-client-during-sync", test_other_client_during_sync);
  g_test_add_func ("/imap-sync/offline-edit-replayed", test_offline_edit_replayed);
  g_test_add_func ("/imap-sync/uidvalidity-change", test_uidvalidity_change);
  g_test_add_func ("/imap-sync/show-fetches-body", test_show_fetches_body);
  g_test_add_func ("/imap-sync/refused-edit-undone", test_refused_edit_undone);
  g_test_add_func ("/imap-sync/replay-after-crash", test_replay_after_crash);
  g_test_add_func ("/imap-sync/idle-watch", test_idle_watch);

  return g_test_run ();
}
