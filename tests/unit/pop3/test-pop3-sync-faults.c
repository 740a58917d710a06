/* test-pop3-sync-faults.c: the POP3 sync against a server that breaks the
 * connection after each command in turn (faulty-pop3-server.py): every
 * interrupted sync loses nothing and deletes nothing, and the next one
 * ends with every message stored exactly once
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "kurir-net-error.h"
#include "kurir-pop3-client.h"
#include "kurir-pop3-sync.h"
#include "kurir-store.h"
#include "kurir-test-util.h"

#define N_MESSAGES 8
#define ACCOUNT    "faulty"

typedef struct
{
  char        *maildir;
  GSubprocess *server;
  guint16      port;
  GHashTable  *expected;   /* the messages as the server sends them (CRLF) */
} Fixture;

/* Helpers */

static void
fill_maildir (Fixture *fixture)
{
  fixture->expected = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < N_MESSAGES; i++)
    {
      g_autofree char *name = g_strdup_printf ("msg-%02u", i);
      g_autofree char *path = g_build_filename (fixture->maildir, name, NULL);
      g_autofree char *lf = NULL;
      g_autoptr(GString) crlf = g_string_new (NULL);

      lf = g_strdup_printf ("From: f%u@example.org\nSubject: Nomor %u\n"
                            "Message-ID: <fault-%u@example.org>\n\n"
                            "Isi pesan %u.\n.titik di awal\n%s",
                            i, i, i, i, i == 3 ? "\n\n" : "");
      g_assert_true (g_file_set_contents (path, lf, -1, NULL));
      for (const char *p = lf; *p; p++)
        {
          if (*p == '\n')
            g_string_append_c (crlf, '\r');
          g_string_append_c (crlf, *p);
        }
      g_hash_table_add (fixture->expected, g_string_free (g_steal_pointer (&crlf), FALSE));
    }
}

static void
start_server (Fixture    *fixture,
              const char *option,
              const char *value)
{
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "unit", "pop3",
                                                   "faulty-pop3-server.py", NULL);
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  guint64 port;

  fixture->server = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                                      "/usr/bin/python3", script, fixture->maildir,
                                      option, value, NULL);
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
  kurir_pop3_sync_set_batch_messages (0);
  fixture->maildir = g_dir_make_tmp ("kurir-faulty-XXXXXX", NULL);
  g_assert_nonnull (fixture->maildir);
  fill_maildir (fixture);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (fixture->server != NULL)
    {
      g_subprocess_force_exit (fixture->server);
      g_subprocess_wait (fixture->server, NULL, NULL);
      g_clear_object (&fixture->server);
    }
  dir = g_dir_open (fixture->maildir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (fixture->maildir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (fixture->maildir);
  g_free (fixture->maildir);
  g_hash_table_unref (fixture->expected);
}

static KurirAccount *
make_account (Fixture  *fixture,
              gboolean  delete_from_server)
{
  KurirAccount *account = kurir_account_new (ACCOUNT);

  g_object_set (account,
                "email", "u@example.org", "user", "u", "protocol", KURIR_PROTOCOL_POP3,
                "host", "127.0.0.1", "port", fixture->port,
                "security", KURIR_SECURITY_NONE, "allow-plaintext", TRUE,
                "leave-on-server", !delete_from_server,
                NULL);
  return account;
}

static guint
count_files (Fixture *fixture)
{
  g_autoptr(GDir) dir = g_dir_open (fixture->maildir, 0, NULL);
  guint n = 0;

  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

/* Every stored message is complete and one of the server's, none twice;
 * returns how many there are. */
static guint
check_store (Fixture    *fixture,
             KurirStore *store)
{
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GError) error = NULL;

  messages = kurir_store_list (store, ACCOUNT, KURIR_STORE_INBOX, 0, 1000, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < messages->len; i++)
    {
      KurirMessage *message = g_ptr_array_index (messages, i);
      g_autoptr(GBytes) raw = kurir_store_get_raw (store, kurir_message_get_id (message), &error);
      char *text;

      g_assert_no_error (error);
      text = g_strndup (g_bytes_get_data (raw, NULL), g_bytes_get_size (raw));
      if (!g_hash_table_contains (fixture->expected, text))
        g_error ("a stored message is not one of the server's (truncated?): %s", text);
      if (!g_hash_table_add (seen, text))
        g_error ("a message is stored twice");
    }
  return messages->len;
}

static gboolean
run_sync (KurirAccount        *account,
          KurirStore          *store,
          KurirPop3SyncStats  *stats,
          GError             **error)
{
  return kurir_pop3_sync_run (account, store, "secret", NULL, NULL, stats, NULL, error);
}

/* Tests */

static void
test_cut (Fixture       *fixture,
          gconstpointer  data)
{
  const char *point = data;
  g_autoptr(KurirAccount) account = NULL;
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(GError) error = NULL;
  KurirPop3SyncStats stats = { 0 };

  start_server (fixture, "--cut", point);
  account = make_account (fixture, TRUE);
  store = kurir_store_open (NULL, &error);
  g_assert_no_error (error);

  /* The interrupted sync fails clearly... */
  g_assert_false (run_sync (account, store, &stats, &error));
  g_assert_nonnull (error);
  g_test_message ("cut at %s: %s", point, error->message);
  g_assert_true (error->domain == KURIR_NET_ERROR || error->domain == KURIR_POP3_ERROR);
  g_clear_error (&error);

  /* ...keeps whatever it stored whole, and deleted nothing on the server. */
  check_store (fixture, store);
  g_assert_cmpuint (count_files (fixture), ==, N_MESSAGES);

  /* The next sync completes: each message here once, none left there. */
  g_assert_true (run_sync (account, store, &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (check_store (fixture, store), ==, N_MESSAGES);
  g_assert_cmpuint (stats.deleted_on_server, ==, N_MESSAGES);
  g_assert_cmpuint (count_files (fixture), ==, 0);

  /* And a further one changes nothing. */
  g_assert_true (run_sync (account, store, &stats, &error));
  g_assert_cmpuint (stats.downloaded, ==, 0);
  g_assert_cmpuint (stats.on_server, ==, 0);
  g_assert_cmpuint (check_store (fixture, store), ==, N_MESSAGES);
}

/* The same with batches of two messages: the download, the parser and the
 * writer thread overlap, and a cut still loses and duplicates nothing. */
static void
test_cut_small_batches (Fixture       *fixture,
                        gconstpointer  data)
{
  kurir_pop3_sync_set_batch_messages (2);
  test_cut (fixture, data);
}

/* A batch that cannot be stored stops the download with the store's
 * error and deletes nothing on the server; once the disk is fine again,
 * the next sync stores every message exactly once. */
static void
test_store_fails (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(KurirAccount) account = NULL;
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *tmp = NULL;
  KurirPop3SyncStats stats = { 0 };

  kurir_pop3_sync_set_batch_messages (2);
  start_server (fixture, "--cut", "");
  account = make_account (fixture, TRUE);
  store = kurir_store_open (NULL, &error);
  g_assert_no_error (error);

  /* tmp/ of the INBOX is a file: no batch can be written. */
  g_assert_true (kurir_store_create_folder (store, ACCOUNT, KURIR_STORE_INBOX, NULL, &error));
  g_assert_no_error (error);
  dir = kurir_store_get_folder_dir (store, ACCOUNT, KURIR_STORE_INBOX);
  tmp = g_build_filename (dir, "tmp", NULL);
  g_assert_cmpint (g_rmdir (tmp), ==, 0);
  g_assert_true (g_file_set_contents (tmp, "not a directory", -1, NULL));

  g_assert_false (run_sync (account, store, &stats, &error));
  g_assert_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_IO);
  g_clear_error (&error);
  g_assert_cmpuint (check_store (fixture, store), ==, 0);
  g_assert_cmpuint (count_files (fixture), ==, N_MESSAGES);

  g_assert_cmpint (g_unlink (tmp), ==, 0);
  g_assert_cmpint (g_mkdir (tmp, 0700), ==, 0);
  g_assert_true (run_sync (account, store, &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.downloaded, ==, N_MESSAGES);
  g_assert_cmpuint (check_store (fixture, store), ==, N_MESSAGES);
  g_assert_cmpuint (stats.deleted_on_server, ==, N_MESSAGES);
  g_assert_cmpuint (count_files (fixture), ==, 0);
}

static void
test_no_uidl (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(KurirAccount) account = NULL;
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(GError) error = NULL;
  KurirPop3SyncStats stats = { 0 };

  start_server (fixture, "--no-uidl", NULL);
  account = make_account (fixture, FALSE);
  store = kurir_store_open (NULL, &error);

  g_assert_true (run_sync (account, store, &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.downloaded, ==, N_MESSAGES);
  g_assert_cmpuint (stats.kept_on_server, ==, N_MESSAGES);

  /* Known by their headers: nothing comes twice. */
  g_assert_true (run_sync (account, store, &stats, &error));
  g_assert_cmpuint (stats.downloaded, ==, 0);
  g_assert_cmpuint (check_store (fixture, store), ==, N_MESSAGES);
}

static void
test_in_use (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(KurirAccount) account = NULL;
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(GError) error = NULL;
  KurirPop3SyncStats stats = { 0 };

  start_server (fixture, "--in-use", NULL);
  account = make_account (fixture, TRUE);
  store = kurir_store_open (NULL, &error);

  g_assert_false (run_sync (account, store, &stats, &error));
  g_assert_error (error, KURIR_POP3_ERROR, KURIR_POP3_ERROR_IN_USE);
  g_assert_cmpuint (check_store (fixture, store), ==, 0);
  g_assert_cmpuint (count_files (fixture), ==, N_MESSAGES);
}

static void
test_wrong_password (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(KurirAccount) account = NULL;
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(GError) error = NULL;
  KurirPop3SyncStats stats = { 0 };

  start_server (fixture, "--cut", "");
  account = make_account (fixture, TRUE);
  store = kurir_store_open (NULL, &error);

  g_assert_false (kurir_pop3_sync_run (account, store, "wrong", NULL, NULL, &stats, NULL, &error));
  g_assert_error (error, KURIR_POP3_ERROR, KURIR_POP3_ERROR_AUTH_FAILED);
  g_assert_cmpuint (check_store (fixture, store), ==, 0);
  g_assert_cmpuint (count_files (fixture), ==, N_MESSAGES);
}

/* A message of about 3 KB beside the small ones. */
static void
add_big_message (Fixture *fixture)
{
  g_autofree char *path = g_build_filename (fixture->maildir, "msg-big", NULL);
  GString *lf = g_string_new ("From: big@example.org\nSubject: Besar\n"
                              "Message-ID: <big@example.org>\n\n");
  GString *crlf = g_string_new (NULL);

  while (lf->len < 3000)
    g_string_append (lf, "Baris yang panjang dari pesan yang besar.\n");
  g_assert_true (g_file_set_contents (path, lf->str, lf->len, NULL));
  for (const char *p = lf->str; *p; p++)
    {
      if (*p == '\n')
        g_string_append_c (crlf, '\r');
      g_string_append_c (crlf, *p);
    }
  g_hash_table_add (fixture->expected, g_string_free (crlf, FALSE));
  g_string_free (lf, TRUE);
}

/* Over the size limit, with TOP: the headers, then the body on demand;
 * delete-after-download leaves it on the server until then. */
static void
test_size_limit (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(KurirAccount) account = NULL;
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GError) error = NULL;
  KurirPop3SyncStats stats = { 0 };
  gint64 big = 0;

  add_big_message (fixture);
  start_server (fixture, NULL, NULL);
  account = make_account (fixture, TRUE);
  g_object_set (account, "size-limit-kb", 2, NULL);
  store = kurir_store_open (NULL, &error);
  g_assert_no_error (error);

  g_assert_true (run_sync (account, store, &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.downloaded, ==, N_MESSAGES + 1);
  g_assert_cmpuint (stats.headers_only, ==, 1);
  g_assert_cmpuint (stats.deleted_on_server, ==, N_MESSAGES);
  g_assert_cmpuint (count_files (fixture), ==, 1);

  messages = kurir_store_list (store, ACCOUNT, KURIR_STORE_INBOX, 0, 100, &error);
  for (guint i = 0; i < messages->len; i++)
    if (kurir_message_get_flags (g_ptr_array_index (messages, i)) & KURIR_MESSAGE_FLAG_PARTIAL)
      big = kurir_message_get_id (g_ptr_array_index (messages, i));
  g_assert_cmpint (big, >, 0);

  g_assert_true (kurir_pop3_sync_fetch_body (account, store, "secret", big, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (check_store (fixture, store), ==, N_MESSAGES + 1);

  /* Its body is here now: the next sync deletes it there. */
  g_assert_true (run_sync (account, store, &stats, &error));
  g_assert_cmpuint (stats.downloaded, ==, 0);
  g_assert_cmpuint (stats.deleted_on_server, ==, 1);
  g_assert_cmpuint (count_files (fixture), ==, 0);
}

/* A server without TOP (none in CAPA; or no CAPA, and -ERR to TOP): the
 * size limit cannot apply, every message comes whole. */
static void
test_size_limit_without_top (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(KurirAccount) account = NULL;
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(GError) error = NULL;
  KurirPop3SyncStats stats = { 0 };

  add_big_message (fixture);
  start_server (fixture, data, NULL);
  account = make_account (fixture, FALSE);
  g_object_set (account, "size-limit-kb", 2, NULL);
  store = kurir_store_open (NULL, &error);
  g_assert_no_error (error);

  g_assert_true (run_sync (account, store, &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.downloaded, ==, N_MESSAGES + 1);
  g_assert_cmpuint (stats.headers_only, ==, 0);
  /* check_store fails on a partial message. */
  g_assert_cmpuint (check_store (fixture, store), ==, N_MESSAGES + 1);
}

int
main (int    argc,
      char **argv)
{
  const char *points[] = { "capa", "auth", "retr:1", "retr:5", "dele", "quit" };

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (points); i++)
    {
      g_autofree char *path = g_strdup_printf ("/pop3-sync/cut/%s", points[i]);
      g_test_add (path, Fixture, points[i], fixture_set_up, test_cut, fixture_tear_down);
      g_free (path);
      path = g_strdup_printf ("/pop3-sync/cut-small-batches/%s", points[i]);
      g_test_add (path, Fixture, points[i], fixture_set_up, test_cut_small_batches,
                  fixture_tear_down);
    }
  g_test_add ("/pop3-sync/store-fails", Fixture, NULL, fixture_set_up, test_store_fails,
              fixture_tear_down);
  g_test_add ("/pop3-sync/no-uidl", Fixture, NULL, fixture_set_up, test_no_uidl, fixture_tear_down);
  g_test_add ("/pop3-sync/size-limit", Fixture, NULL, fixture_set_up, test_size_limit,
              fixture_tear_down);
  g_test_add ("/pop3-sync/size-limit/no-top", Fixture, "--no-top", fixture_set_up,
              test_size_limit_without_top, fixture_tear_down);
  g_test_add ("/pop3-sync/size-limit/bare", Fixture, "--bare", fixture_set_up,
              test_size_limit_without_top, fixture_tear_down);
  g_test_add ("/pop3-sync/in-use", Fixture, NULL, fixture_set_up, test_in_use, fixture_tear_down);
  g_test_add ("/pop3-sync/wrong-password", Fixture, NULL, fixture_set_up, test_wrong_password,
              fixture_tear_down);

  return g_test_run ();
}
