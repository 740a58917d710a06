/* test-imap-sync-faults.c: the IMAP sync against what no honest server
 * sends (faulty-imap-server.py): responses one byte a packet or many in
 * one, BYE in the middle of a FETCH, an endless literal, garbage, and the
 * connection cut after each command in turn. Each broken sync fails with
 * a clear error and stores nothing half; the next one ends equal to the
 * server (same UIDs, flags and bytes), with no message twice and no edit
 * lost. Another client's EXISTS and EXPUNGE (or VANISHED) arriving in the
 * middle of a FETCH answer. Also the CONDSTORE path without QRESYNC: changed flags come by
 * FETCH (CHANGEDSINCE), not by a refresh of every flag. A delete waiting
 * in the journal is not undone by a sync before its replay, and messages
 * flagged \Deleted on the server are not shown.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "imap-client-test-helpers.h"
#include "kurir-account.h"
#include "kurir-imap-sync.h"
#include "kurir-journal.h"
#include "kurir-store.h"
#include "kurir-test-util.h"

#define ACCOUNT   "faulty"
#define N_INBOX   12
#define N_ARCHIVE 2

typedef struct
{
  char        *dir;
  char        *state;     /* the server's messages, as it rewrites them */
  char        *log;       /* the commands it received */
  GSubprocess *server;
  guint16      port;
} Fixture;

/* Helpers */

static void
start_server (Fixture    *fixture,
              const char *option,
              const char *value)
{
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "unit", "imap",
                                                   "faulty-imap-server.py", NULL);
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  guint64 port;

  fixture->server = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDIN_PIPE,
                                      &error,
                                      "/usr/bin/python3", script, fixture->state,
                                      "--log", fixture->log, option, value, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (fixture->server));
  /* It prints its port once it listens. */
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_ascii_string_to_unsigned (line, 10, 1, 65535, &port, NULL));
  fixture->port = (guint16) port;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->dir = g_dir_make_tmp ("kurir-faulty-imap-XXXXXX", NULL);
  g_assert_nonnull (fixture->dir);
  fixture->state = g_build_filename (fixture->dir, "state", NULL);
  fixture->log = g_build_filename (fixture->dir, "log", NULL);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  if (fixture->server != NULL)
    {
      g_subprocess_force_exit (fixture->server);
      g_subprocess_wait (fixture->server, NULL, NULL);
      g_clear_object (&fixture->server);
    }
  g_unlink (fixture->state);
  g_unlink (fixture->log);
  g_rmdir (fixture->dir);
  g_free (fixture->state);
  g_free (fixture->log);
  g_free (fixture->dir);
}

static KurirAccount *
make_account (Fixture *fixture)
{
  KurirAccount *account = kurir_account_new (ACCOUNT);

  g_object_set (account,
                "email", "u@example.org", "user", "u", "protocol", KURIR_PROTOCOL_IMAP,
                "host", "127.0.0.1", "port", fixture->port,
                "security", KURIR_SECURITY_NONE, "allow-plaintext", TRUE,
                NULL);
  kurir_account_set_keep_offline (account, KURIR_KEEP_OFFLINE_ALL);
  return account;
}

/* One sync in a session of its own; @ignored: capabilities to hide.
 * Returns whether it succeeded. */
static gboolean
run_sync (KurirAccount        *account,
          KurirStore          *store,
          const char * const  *ignored,
          KurirImapSyncStats  *stats,
          GError             **error)
{
  g_autoptr(KurirImapSync) sync = kurir_imap_sync_new (account, store, "secret");
  gboolean ok;

  if (ignored != NULL)
    kurir_imap_sync_set_ignored_capabilities (sync, ignored);
  /* 12 messages in INBOX: the newest 5 as summaries, then two pipelined
   * UID FETCH of whole messages. */
  kurir_imap_sync_set_batch_size (sync, 5);
  ok = kurir_imap_sync_run (sync, stats, NULL, error);
  kurir_imap_sync_close (sync);
  return ok;
}

static void
sync_ok (KurirAccount       *account,
         KurirStore         *store,
         KurirImapSyncStats *stats)
{
  g_autoptr(GError) error = NULL;
  KurirImapSyncStats local = { 0 };

  if (!run_sync (account, store, NULL, stats != NULL ? stats : &local, &error))
    g_error ("the sync after the fault failed: %s", error->message);
}

/* The server's messages of @folder: UID → "SHA256 FLAGS". */
static GHashTable *
server_folder (Fixture    *fixture,
               const char *folder)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  GHashTable *messages = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  g_assert_true (g_file_get_contents (fixture->state, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) words = g_strsplit (lines[i], " ", 3);

      if (g_strv_length (words) >= 3 && g_str_equal (words[0], folder))
        g_hash_table_insert (messages, g_strdup (words[1]), g_strdup (words[2]));
      else if (g_strv_length (words) == 2 && g_str_equal (words[0], folder))
        g_assert_not_reached ();
    }
  return messages;
}

static KurirMessageFlags
parse_flags (const char *text)
{
  g_auto(GStrv) words = g_strsplit (text, " ", -1);
  KurirMessageFlags flags = 0;

  for (guint i = 1; words[i] != NULL; i++)
    {
      if (g_str_equal (words[i], "\\Seen"))
        flags |= KURIR_MESSAGE_FLAG_SEEN;
      else if (g_str_equal (words[i], "\\Flagged"))
        flags |= KURIR_MESSAGE_FLAG_FLAGGED;
      else if (g_str_equal (words[i], "\\Answered"))
        flags |= KURIR_MESSAGE_FLAG_ANSWERED;
      else if (g_str_equal (words[i], "\\Draft"))
        flags |= KURIR_MESSAGE_FLAG_DRAFT;
      else if (g_str_equal (words[i], "\\Deleted"))
        flags |= KURIR_MESSAGE_FLAG_DELETED;
    }
  return flags;
}

/* Every message stored in @folder is whole or partial, never half: a
 * complete one has the server's bytes, and none is there twice. With
 * @complete, the store equals the server: the same UIDs, flags and bytes
 * and nothing partial. Returns how many messages the folder holds. */
static guint
check_folder (Fixture    *fixture,
              KurirStore *store,
              const char *folder,
              gboolean    complete)
{
  g_autoptr(GHashTable) server = server_folder (fixture, folder);
  g_autoptr(GHashTable) keys = NULL;
  g_autoptr(GPtrArray) listed = NULL;
  g_autoptr(GError) error = NULL;
  GHashTableIter iter;
  gpointer key, value;

  keys = kurir_store_get_folder_keys (store, ACCOUNT, folder, &error);
  g_assert_no_error (error);
  listed = kurir_store_list (store, ACCOUNT, folder, 0, 1000, &error);
  g_assert_no_error (error);
  /* One message per key: nothing stored twice, nothing without its UID. */
  g_assert_cmpuint (listed->len, ==, g_hash_table_size (keys));

  g_hash_table_iter_init (&iter, keys);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      KurirStoreKeyState *state = value;
      const char *expected = g_hash_table_lookup (server, key);
      g_autoptr(GBytes) raw = NULL;
      g_autofree char *sum = NULL;

      if (expected == NULL)
        g_error ("%s: UID %s is here, not on the server", folder, (const char *) key);
      if (state->flags & KURIR_MESSAGE_FLAG_PARTIAL)
        {
          g_assert_false (complete);
          continue;
        }
      raw = kurir_store_get_raw (store, state->id, &error);
      g_assert_no_error (error);
      sum = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, raw);
      if (!g_str_has_prefix (expected, sum))
        g_error ("%s: UID %s is stored with other bytes than the server's", folder,
                 (const char *) key);
      if (complete)
        g_assert_cmpint (state->flags & KURIR_MESSAGE_FLAGS_ALL, ==, parse_flags (expected));
    }
  if (complete)
    g_assert_cmpuint (g_hash_table_size (keys), ==, g_hash_table_size (server));
  return g_hash_table_size (keys);
}

static void
check_equal (Fixture    *fixture,
             KurirStore *store)
{
  check_folder (fixture, store, "INBOX", TRUE);
  check_folder (fixture, store, "Archive", TRUE);
}

static gint64
local_id (KurirStore *store,
          const char *folder,
          const char *uid)
{
  g_autoptr(GHashTable) keys = kurir_store_get_folder_keys (store, ACCOUNT, folder, NULL);
  KurirStoreKeyState *state = keys != NULL ? g_hash_table_lookup (keys, uid) : NULL;

  g_assert_nonnull (state);
  return state->id;
}

static char *
read_log (Fixture *fixture)
{
  char *text = NULL;

  if (!g_file_get_contents (fixture->log, &text, NULL, NULL))
    text = g_strdup ("");
  return text;
}

static void
clear_log (Fixture *fixture)
{
  g_assert_true (g_file_set_contents (fixture->log, "", 0, NULL));
}

/* Waits until the server has received a command starting with @command
 * (30 s at most). */
static gboolean
set_flag_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Waits until the fake server has logged @command: woken by a monitor on
 * its log file, at most 30 s. */
static void
wait_for_command (Fixture    *fixture,
                  const char *command)
{
  g_autoptr(GFile) file = g_file_new_for_path (fixture->log);
  g_autoptr(GFileMonitor) monitor = g_file_monitor_file (file, G_FILE_MONITOR_NONE, NULL, NULL);
  g_autofree char *needle = g_strconcat ("\n", command, NULL);
  gboolean timed_out = FALSE;
  guint timeout_id;

  g_assert_nonnull (monitor);
  g_file_monitor_set_rate_limit (monitor, 10);
  timeout_id = g_timeout_add_seconds (30, set_flag_cb, &timed_out);
  for (;;)
    {
      g_autofree char *log = read_log (fixture);
      g_autofree char *text = g_strconcat ("\n", log, NULL);

      if (strstr (text, needle) != NULL)
        break;
      if (timed_out)
        g_error ("the server never received %s", command);
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (timeout_id);
}

static gboolean
has_key (KurirStore *store,
         const char *folder,
         const char *uid,
         guint      *out_count)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) keys = kurir_store_get_folder_keys (store, ACCOUNT, folder, &error);

  g_assert_no_error (error);
  if (out_count != NULL)
    *out_count = g_hash_table_size (keys);
  return g_hash_table_contains (keys, uid);
}

/* Another device changes a flag of @uid in INBOX. */
static void
another_client_store (Fixture              *fixture,
                      guint32               uid,
                      KurirImapStoreAction  action,
                      const char           *flag)
{
  g_autoptr(KurirConnection) connection = NULL;
  g_autoptr(KurirImapClient) other = NULL;
  g_autoptr(KurirImapMailbox) mailbox = NULL;
  g_autoptr(GError) error = NULL;

  connection = kurir_connection_new ("127.0.0.1", fixture->port, KURIR_SECURITY_NONE);
  other = kurir_imap_client_new (connection);
  kurir_imap_client_set_allow_plaintext (other, TRUE);
  g_assert_true (imap_connect (other, &error));
  g_assert_true (imap_login (other, "u", "secret", &error));
  mailbox = imap_select (other, "INBOX", 0, 0, &error);
  g_assert_no_error (error);
  g_array_unref (imap_store (other, uid, action, flag, 0, &error));
  g_assert_no_error (error);
  imap_logout (other, NULL);
}

typedef struct
{
  KurirImapSync *sync;
  GCancellable  *cancellable;
  GError        *error;
} Watch;

static gpointer
watch_thread (gpointer data)
{
  Watch *watch = data;

  kurir_imap_sync_watch (watch->sync, watch->cancellable, &watch->error);
  return NULL;
}

/* Tests */

/* Responses one byte a packet, or all the answers to pipelined commands
 * in one write: the same store as the server's. */
static void
test_framing (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(KurirAccount) account = NULL;
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(GError) error = NULL;
  KurirImapSyncStats stats = { 0 };

  start_server (fixture, "--framing", data);
  account = make_account (fixture);
  store = kurir_store_open (NULL, &error);
  g_assert_no_error (error);

  sync_ok (account, store, &stats);
  g_assert_cmpuint (stats.added, ==, N_INBOX + N_ARCHIVE);
  /* The newest batch came as summaries, then completed; the rest whole. */
  g_assert_cmpuint (stats.bodies, ==, 5 + N_ARCHIVE);
  check_equal (fixture, store);
  sync_ok (account, store, &stats);
  g_assert_cmpuint (stats.added + stats.changed + stats.removed, ==, 0);
}

/* A fault before or during the first sync: it fails with a clear error,
 * keeps only whole messages, and the next sync completes. */
static void
test_first_sync_fault (Fixture       *fixture,
                       gconstpointer  data)
{
  const char *fault = data;
  g_autoptr(KurirAccount) account = NULL;
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(GError) error = NULL;
  KurirImapSyncStats stats = { 0 };
  gint64 start = g_get_monotonic_time ();

  start_server (fixture, "--fault", fault);
  account = make_account (fixture);
  store = kurir_store_open (NULL, &error);
  g_assert_no_error (error);

  g_assert_false (run_sync (account, store, NULL, &stats, &error));
  g_assert_nonnull (error);
  g_test_message ("%s: %s", fault, error->message);
  g_assert_true (error->domain == KURIR_IMAP_ERROR || error->domain == KURIR_NET_ERROR ||
                 error->domain == G_IO_ERROR);
  /* The caller names the account (kurir-cli prints “account “x”: …”):
   * the sync's own error does not, or it would be named twice. */
  g_assert_null (strstr (error->message, "“" ACCOUNT "”"));
  /* Not a timeout: the client saw the fault for what it was. */
  g_assert_cmpint (g_get_monotonic_time () - start, <, 20 * G_USEC_PER_SEC);
  g_clear_error (&error);
  check_folder (fixture, store, "INBOX", FALSE);

  sync_ok (account, store, &stats);
  check_equal (fixture, store);
  sync_ok (account, store, &stats);
  g_assert_cmpuint (stats.added + stats.changed + stats.removed + stats.bodies, ==, 0);
}

/* In the middle of the answer to the first UID FETCH (the newest 5 of
 * INBOX, UIDs 8-12) another client adds a message (* 13 EXISTS) and
 * expunges UID 8, already answered, and UID 10, not yet answered (as
 * * EXPUNGE, or * VANISHED when QRESYNC is on). The sync succeeds, stores
 * nothing twice and nothing the server never sent; the next one removes
 * UID 8, fetches UID 13, and ends equal to the server. */
static void
test_exists_expunge_mid_fetch (Fixture       *fixture,
                               gconstpointer  data)
{
  const char *no_qresync[] = { "QRESYNC", NULL };
  const char * const *ignored = g_str_equal (data, "expunge") ? no_qresync : NULL;
  g_autoptr(KurirAccount) account = NULL;
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) keys = NULL;
  g_autoptr(GHashTable) server = NULL;
  g_autoptr(GPtrArray) listed = NULL;
  KurirImapSyncStats stats = { 0 };

  start_server (fixture, "--fault", "exists-expunge");
  account = make_account (fixture);
  store = kurir_store_open (NULL, &error);
  g_assert_no_error (error);

  g_assert_true (run_sync (account, store, ignored, &stats, &error));
  g_assert_no_error (error);
  server = server_folder (fixture, "INBOX");
  g_assert_cmpuint (g_hash_table_size (server), ==, N_INBOX - 1);
  g_assert_true (g_hash_table_contains (server, "13"));
  g_assert_false (g_hash_table_contains (server, "8"));
  g_assert_false (g_hash_table_contains (server, "10"));
  keys = kurir_store_get_folder_keys (store, ACCOUNT, "INBOX", &error);
  g_assert_no_error (error);
  listed = kurir_store_list (store, ACCOUNT, "INBOX", 0, 1000, &error);
  g_assert_no_error (error);
  /* Nothing twice; UID 10 never came, so it is not here; every other
   * message up to 12 is (UID 8 came before it was expunged). */
  g_assert_cmpuint (listed->len, ==, g_hash_table_size (keys));
  g_assert_false (g_hash_table_contains (keys, "10"));
  for (guint uid = 1; uid <= N_INBOX; uid++)
    {
      g_autofree char *key = g_strdup_printf ("%u", uid);

      g_assert_true (uid == 10 || g_hash_table_contains (keys, key));
    }
  check_folder (fixture, store, "Archive", TRUE);

  /* The next sync: UID 8 goes, UID 13 comes, equal to the server. */
  memset (&stats, 0, sizeof stats);
  g_assert_true (run_sync (account, store, ignored, &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.removed, ==, 1);
  g_assert_cmpuint (stats.added, ==, 1);
  check_equal (fixture, store);
  memset (&stats, 0, sizeof stats);
  g_assert_true (run_sync (account, store, ignored, &stats, &error));
  g_assert_cmpuint (stats.added + stats.changed + stats.removed + stats.bodies, ==, 0);
  check_equal (fixture, store);
}

/* The store cannot write into INBOX (its tmp/ is a file): the first
 * batch fails on the store's writer thread while the fetch goes on. The
 * sync stops with the store's error, stores nothing half and saves no
 * folder state; once tmp/ is back, the next sync ends equal to the
 * server. */
static void
test_store_fails (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(KurirAccount) account = NULL;
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(KurirStoreFolder) folder = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *tmp = NULL;
  KurirImapSyncStats stats = { 0 };

  start_server (fixture, NULL, NULL);
  account = make_account (fixture);
  store = kurir_store_open (NULL, &error);
  g_assert_no_error (error);
  g_assert_true (kurir_store_create_folder (store, ACCOUNT, "INBOX", NULL, &error));
  g_assert_no_error (error);
  dir = kurir_store_get_folder_dir (store, ACCOUNT, "INBOX");
  tmp = g_build_filename (dir, "tmp", NULL);
  g_assert_cmpint (g_rmdir (tmp), ==, 0);
  g_assert_true (g_file_set_contents (tmp, "not a directory", -1, NULL));

  g_assert_false (run_sync (account, store, NULL, &stats, &error));
  g_assert_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_IO);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  g_assert_cmpuint (check_folder (fixture, store, "INBOX", FALSE), ==, 0);
  folder = kurir_store_get_folder (store, ACCOUNT, "INBOX", &error);
  g_assert_no_error (error);
  g_assert_cmpint (folder->uidnext, ==, 0);

  g_assert_cmpint (g_unlink (tmp), ==, 0);
  g_assert_cmpint (g_mkdir (tmp, 0700), ==, 0);
  memset (&stats, 0, sizeof stats);
  sync_ok (account, store, &stats);
  check_equal (fixture, store);
  g_assert_cmpuint (stats.added, ==, N_INBOX + N_ARCHIVE);   /* the first sync stopped at INBOX */
}

/* An edit whose command reached the server, which then cut the connection
 * before answering: the next sync replays it (idempotently) and ends equal
 * to the server, with the edit there and no message twice. */
static void
test_edit_cut (Fixture       *fixture,
               gconstpointer  data)
{
  const char *fault = data;
  g_autoptr(KurirAccount) account = NULL;
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(KurirJournal) journal = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) inbox = NULL;
  g_autoptr(GHashTable) archive = NULL;
  KurirImapSyncStats stats = { 0 };
  gboolean move = g_str_equal (fault, "cut-move");

  start_server (fixture, "--fault", fault);
  account = make_account (fixture);
  store = kurir_store_open (NULL, &error);
  g_assert_no_error (error);
  sync_ok (account, store, &stats);
  check_equal (fixture, store);

  journal = kurir_journal_new (store, ACCOUNT);
  if (move)
    g_assert_true (kurir_journal_move (journal, local_id (store, "INBOX", "2"), "Archive", &error));
  else
    g_assert_true (kurir_journal_set_flags (journal, local_id (store, "INBOX", "1"),
                                            KURIR_MESSAGE_FLAG_FLAGGED | KURIR_MESSAGE_FLAG_SEEN,
                                            0, &error));
  g_assert_no_error (error);

  g_assert_false (run_sync (account, store, NULL, &stats, &error));
  g_assert_nonnull (error);
  g_test_message ("%s: %s", fault, error->message);
  g_clear_error (&error);

  sync_ok (account, store, &stats);
  check_equal (fixture, store);
  g_assert_cmpuint (kurir_journal_count_pending (journal), ==, 0);
  inbox = server_folder (fixture, "INBOX");
  archive = server_folder (fixture, "Archive");
  if (move)
    {
      g_assert_cmpuint (g_hash_table_size (inbox), ==, N_INBOX - 1);
      g_assert_cmpuint (g_hash_table_size (archive), ==, N_ARCHIVE + 1);
      g_assert_false (g_hash_table_contains (inbox, "2"));
    }
  else
    {
      g_assert_cmpint (parse_flags (g_hash_table_lookup (inbox, "1")), ==,
                       KURIR_MESSAGE_FLAG_FLAGGED | KURIR_MESSAGE_FLAG_SEEN);
    }
  sync_ok (account, store, &stats);
  g_assert_cmpuint (stats.added + stats.changed + stats.removed + stats.edits_sent, ==, 0);
  check_equal (fixture, store);
}

/* A server with CONDSTORE and no QRESYNC (hidden): a later sync asks for
 * the flags changed since the HIGHESTMODSEQ it saw, and asks nothing when
 * HIGHESTMODSEQ did not move. */
static void
test_condstore_only (Fixture       *fixture,
                     gconstpointer  data)
{
  const char *ignored[] = { "QRESYNC", NULL };
  g_autoptr(KurirAccount) account = NULL;
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *log = NULL;
  KurirImapSyncStats stats = { 0 };

  start_server (fixture, NULL, NULL);
  account = make_account (fixture);
  store = kurir_store_open (NULL, &error);
  g_assert_no_error (error);
  g_assert_true (run_sync (account, store, ignored, &stats, &error));
  g_assert_no_error (error);
  check_equal (fixture, store);

  /* Another device changes two flags. */
  another_client_store (fixture, 5, KURIR_IMAP_STORE_ADD, "\\Answered");
  another_client_store (fixture, 3, KURIR_IMAP_STORE_REMOVE, "\\Seen");

  clear_log (fixture);
  g_assert_true (run_sync (account, store, ignored, &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.changed, ==, 2);
  g_assert_cmpuint (stats.added + stats.removed, ==, 0);
  check_equal (fixture, store);
  log = read_log (fixture);
  g_assert_null (strstr (log, "QRESYNC"));
  g_assert_nonnull (strstr (log, "UID FETCH 1:* (UID FLAGS) (CHANGEDSINCE "));
  /* Every FETCH asked for changes only. */
  {
    g_auto(GStrv) lines = g_strsplit (log, "\n", -1);
    guint fetches = 0;

    for (guint i = 0; lines[i] != NULL; i++)
      if (g_str_has_prefix (lines[i], "UID FETCH"))
        {
          g_assert_nonnull (strstr (lines[i], "CHANGEDSINCE"));
          fetches++;
        }
    g_assert_cmpuint (fetches, ==, 1);   /* INBOX only: Archive did not change */
  }

  /* Nothing changed: no FETCH at all. */
  clear_log (fixture);
  g_clear_pointer (&log, g_free);
  g_assert_true (run_sync (account, store, ignored, &stats, &error));
  g_assert_cmpuint (stats.added + stats.changed + stats.removed, ==, 0);
  log = read_log (fixture);
  g_assert_null (strstr (log, "UID FETCH"));
  g_assert_nonnull (strstr (log, "SELECT INBOX"));
}

/* A server without CONDSTORE (every UID and its flags each time). The
 * user deletes a message while offline; before the next replay, the
 * watch syncs INBOX (it does so without a replay first, and a sync may
 * have replayed before the edit was made). The server still lists the
 * UID: it is not downloaded again, the message stays gone here, and the
 * next replay deletes it on the server. */
static void
test_pending_delete (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(KurirAccount) account = NULL;
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(KurirImapSync) sync = NULL;
  g_autoptr(KurirJournal) journal = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) inbox = NULL;
  g_autofree char *log = NULL;
  KurirImapSyncStats stats = { 0 };
  Watch watch = { 0 };
  GThread *thread;
  guint n = 0;

  start_server (fixture, "--caps", "ENABLE UIDPLUS IDLE");
  account = make_account (fixture);
  store = kurir_store_open (NULL, &error);
  g_assert_no_error (error);
  sync = kurir_imap_sync_new (account, store, "secret");
  kurir_imap_sync_set_batch_size (sync, 5);
  g_assert_true (kurir_imap_sync_run (sync, &stats, NULL, &error));
  g_assert_no_error (error);
  check_equal (fixture, store);

  journal = kurir_journal_new (store, ACCOUNT);
  g_assert_true (kurir_journal_expunge (journal, local_id (store, "INBOX", "3"), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (kurir_journal_count_pending (journal), ==, 1);

  clear_log (fixture);
  watch.sync = sync;
  watch.cancellable = g_cancellable_new ();
  thread = g_thread_new ("watch", watch_thread, &watch);
  /* INBOX synced, now idling. */
  wait_for_command (fixture, "IDLE");
  g_cancellable_cancel (watch.cancellable);
  g_thread_join (thread);
  g_assert_nonnull (watch.error);
  g_clear_error (&watch.error);
  g_clear_object (&watch.cancellable);
  kurir_imap_sync_close (sync);

  log = read_log (fixture);
  g_assert_nonnull (strstr (log, "UID FETCH 1:* (UID FLAGS)"));
  g_assert_null (strstr (log, "BODY.PEEK"));
  g_assert_false (has_key (store, "INBOX", "3", &n));
  g_assert_cmpuint (n, ==, N_INBOX - 1);
  g_assert_cmpuint (kurir_journal_count_pending (journal), ==, 1);

  /* The next sync sends the edit. */
  sync_ok (account, store, &stats);
  g_assert_cmpuint (stats.edits_sent, ==, 1);
  g_assert_cmpuint (stats.added, ==, 0);
  inbox = server_folder (fixture, "INBOX");
  g_assert_false (g_hash_table_contains (inbox, "3"));
  g_assert_cmpuint (kurir_journal_count_pending (journal), ==, 0);
  check_equal (fixture, store);
}

/* Messages flagged \Deleted on the server are not shown: one this client
 * expunged on a server without UIDPLUS (it stays \Deleted there, like a
 * draft replaced on such a server), and one another client flagged. With
 * @data the capabilities: none of CONDSTORE (every flag each time),
 * CONDSTORE alone (FETCH CHANGEDSINCE), or QRESYNC (changes with the
 * SELECT). */
static void
test_deleted_hidden (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(KurirAccount) account = NULL;
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(KurirJournal) journal = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) inbox = NULL;
  KurirImapSyncStats stats = { 0 };
  guint n = 0;

  start_server (fixture, "--caps", data);
  account = make_account (fixture);
  store = kurir_store_open (NULL, &error);
  g_assert_no_error (error);
  sync_ok (account, store, &stats);
  check_equal (fixture, store);

  /* Expunged here: on the server only flagged \Deleted. */
  journal = kurir_journal_new (store, ACCOUNT);
  g_assert_true (kurir_journal_expunge (journal, local_id (store, "INBOX", "4"), &error));
  g_assert_no_error (error);
  sync_ok (account, store, &stats);
  g_assert_cmpuint (stats.edits_sent, ==, 1);
  g_assert_cmpuint (stats.added, ==, 0);
  inbox = server_folder (fixture, "INBOX");
  g_assert_true (parse_flags (g_hash_table_lookup (inbox, "4")) & KURIR_MESSAGE_FLAG_DELETED);
  g_assert_false (has_key (store, "INBOX", "4", &n));
  g_assert_cmpuint (n, ==, N_INBOX - 1);

  /* Another client flags one \Deleted. */
  another_client_store (fixture, 5, KURIR_IMAP_STORE_ADD, "\\Deleted");

  sync_ok (account, store, &stats);
  g_assert_cmpuint (stats.removed, ==, 1);
  g_assert_cmpuint (stats.added, ==, 0);
  g_assert_false (has_key (store, "INBOX", "5", &n));
  g_assert_cmpuint (n, ==, N_INBOX - 2);

  /* And they stay hidden. */
  sync_ok (account, store, &stats);
  g_assert_cmpuint (stats.added + stats.removed, ==, 0);
  g_assert_false (has_key (store, "INBOX", "4", &n));
  g_assert_cmpuint (n, ==, N_INBOX - 2);
}

int
main (int    argc,
      char **argv)
{
  const char *first[] = { "cut-login", "cut-list", "cut-select", "cut-fetch", "bye-fetch",
                          "literal", "garbage" };
  const char *edits[] = { "cut-store", "cut-move" };

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add ("/imap-sync-faults/framing/split", Fixture, "split", fixture_set_up,
              test_framing, fixture_tear_down);
  g_test_add ("/imap-sync-faults/framing/merge", Fixture, "merge", fixture_set_up,
              test_framing, fixture_tear_down);
  for (guint i = 0; i < G_N_ELEMENTS (first); i++)
    {
      g_autofree char *path = g_strdup_printf ("/imap-sync-faults/first-sync/%s", first[i]);

      g_test_add (path, Fixture, first[i], fixture_set_up, test_first_sync_fault,
                  fixture_tear_down);
    }
  for (guint i = 0; i < G_N_ELEMENTS (edits); i++)
    {
      g_autofree char *path = g_strdup_printf ("/imap-sync-faults/edit/%s", edits[i]);

      g_test_add (path, Fixture, edits[i], fixture_set_up, test_edit_cut, fixture_tear_down);
    }
  g_test_add ("/imap-sync-faults/exists-expunge-mid-fetch/vanished", Fixture, "vanished",
              fixture_set_up, test_exists_expunge_mid_fetch, fixture_tear_down);
  g_test_add ("/imap-sync-faults/exists-expunge-mid-fetch/expunge", Fixture, "expunge",
              fixture_set_up, test_exists_expunge_mid_fetch, fixture_tear_down);
  g_test_add ("/imap-sync-faults/store-fails", Fixture, NULL, fixture_set_up, test_store_fails,
              fixture_tear_down);
  g_test_add ("/imap-sync-faults/pending-delete", Fixture, NULL, fixture_set_up,
              test_pending_delete, fixture_tear_down);
  g_test_add ("/imap-sync-faults/deleted-hidden/full", Fixture, "ENABLE",
              fixture_set_up, test_deleted_hidden, fixture_tear_down);
  g_test_add ("/imap-sync-faults/deleted-hidden/condstore", Fixture, "CONDSTORE ENABLE",
              fixture_set_up, test_deleted_hidden, fixture_tear_down);
  g_test_add ("/imap-sync-faults/deleted-hidden/qresync", Fixture, "CONDSTORE QRESYNC ENABLE MOVE",
              fixture_set_up, test_deleted_hidden, fixture_tear_down);
  g_test_add ("/imap-sync-faults/condstore-only", Fixture, NULL, fixture_set_up,
              test_condstore_only, fixture_tear_down);

  return g_test_run ();
}
