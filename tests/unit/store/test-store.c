/* test-store.c: the local mail store: durability, reindex, threads, search,
 * names, paging, import/export, crashes and two processes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kurir-maildir.h"
#include "kurir-mbox.h"
#include "kurir-store.h"
#include "kurir-test-util.h"
#include "kurir-store-private.h"

#include <sqlite3.h>

#define CRASH_MESSAGES  1000
#define CRASH_BATCH     100
#define TIMEOUT_USEC    (30 * G_USEC_PER_SEC)

/* Helpers */

static char *
store_root (void)
{
  return g_build_filename (g_get_user_data_dir (), "kurir", NULL);
}

static KurirStore *
open_store (void)
{
  g_autoptr(GError) error = NULL;
  KurirStore *store = kurir_store_open (NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (store);
  return store;
}

/* A message; @refs space-separated ids without <>, or NULL. */
static GBytes *
make_message (const char *message_id,
              const char *in_reply_to,
              const char *refs,
              const char *from,
              const char *to,
              const char *subject,
              const char *date,
              const char *body)
{
  GString *text = g_string_new (NULL);

  g_string_append_printf (text, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\n",
                          from, to, subject, date);
  if (message_id)
    g_string_append_printf (text, "Message-ID: <%s>\r\n", message_id);
  if (in_reply_to)
    g_string_append_printf (text, "In-Reply-To: <%s>\r\n", in_reply_to);
  if (refs)
    {
      g_auto(GStrv) ids = g_strsplit (refs, " ", -1);

      g_string_append (text, "References:");
      for (guint i = 0; ids[i]; i++)
        g_string_append_printf (text, " <%s>", ids[i]);
      g_string_append (text, "\r\n");
    }
  g_string_append_printf (text, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                          "\r\n%s\r\n", body);
  return g_string_free_to_bytes (text);
}

static GBytes *
make_numbered (guint n)
{
  g_autofree char *id = g_strdup_printf ("msg%u@test.example", n);
  g_autofree char *subject = g_strdup_printf ("Message number %u", n);
  g_autofree char *date = NULL;
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc (1600000000 + (gint64) n * 3600);
  g_autoptr(GString) body = g_string_new (NULL);

  date = g_date_time_format (time, "%a, %d %b %Y %H:%M:%S +0000");
  /* Sizes vary, some large enough to take several writes. */
  for (guint i = 0; i < 20 + (n * 37) % 2000; i++)
    g_string_append_printf (body, "line %u of message %u\r\n", i, n);
  return make_message (id, NULL, NULL, "Sender <sender@test.example>", "rcpt@test.example",
                       subject, date, body->str);
}

static gint64
add (KurirStore        *store,
     const char        *account,
     const char        *folder,
     GBytes            *data,
     const char        *key,
     KurirMessageFlags  flags)
{
  g_autoptr(GError) error = NULL;
  gint64 id = kurir_store_add (store, account, folder, data, key, flags, 0, &error);

  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  return id;
}

static GPtrArray *
search (KurirStore *store,
        const char *query)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *found = kurir_store_search (store, query, 0, 1000, &error);

  g_assert_no_error (error);
  g_assert_nonnull (found);
  return found;
}

static gboolean
contains_subject (GPtrArray  *messages,
                  const char *subject)
{
  for (guint i = 0; i < messages->len; i++)
    if (g_strcmp0 (kurir_message_get_subject (g_ptr_array_index (messages, i)), subject) == 0)
      return TRUE;
  return FALSE;
}

static guint
count_files (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (d && g_dir_read_name (d))
    n++;
  return n;
}

/* Every row has a complete file and every file a row; no duplicates. */
static guint
check_consistent (KurirStore *store,
                  const char *account,
                  const char *folder)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) messages = kurir_store_list (store, account, folder, 0, G_MAXINT, &error);
  g_autofree char *dir = kurir_store_get_folder_dir (store, account, folder);
  g_autofree char *cur = g_build_filename (dir, "cur", NULL);
  g_autofree char *tmp = g_build_filename (dir, "tmp", NULL);
  g_autoptr(GHashTable) ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_assert_no_error (error);
  g_assert_cmpuint (count_files (tmp), ==, 0);
  g_assert_cmpuint (count_files (cur), ==, messages->len);

  for (guint i = 0; i < messages->len; i++)
    {
      KurirMessage *message = g_ptr_array_index (messages, i);
      g_autoptr(GBytes) raw = kurir_store_get_raw (store, kurir_message_get_id (message), &error);
      guint n;

      g_assert_no_error (error);
      g_assert_true (g_hash_table_add (ids, g_strdup (kurir_message_get_message_id (message))));
      g_assert_cmpint (sscanf (kurir_message_get_message_id (message), "msg%u@", &n), ==, 1);
      {
        g_autoptr(GBytes) expected = make_numbered (n);

        g_assert_true (g_bytes_equal (raw, expected));
      }
    }
  return messages->len;
}

/* Child processes (the test binary run again) */

/* Writes CRASH_MESSAGES messages in batches of @batch into @path, then
 * exits. */
static int
child_write (const char *path,
             const char *account,
             guint       first,
             guint       batch,
             gboolean    report_busy)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KurirStore) store = kurir_store_open (path, &error);
  guint busy = 0, stored = 0;

  if (store == NULL || batch == 0 || CRASH_MESSAGES % batch != 0)
    {
      g_printerr ("child: %s\n", error ? error->message : "bad batch size");
      return 3;
    }
  for (guint b = 0; b < CRASH_MESSAGES / batch; b++)
    {
      g_autofree KurirStoreNewMessage *messages = g_new0 (KurirStoreNewMessage, batch);
      g_autoptr(GPtrArray) data = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

      for (guint i = 0; i < batch; i++)
        {
          GBytes *bytes = make_numbered (first + b * batch + i);

          g_ptr_array_add (data, bytes);
          messages[i] = (KurirStoreNewMessage) { bytes, NULL, 0, 0 };
        }
      if (!kurir_store_add_batch (store, account, NULL, messages, batch, NULL, &error))
        {
          if (report_busy && g_error_matches (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_BUSY))
            {
              busy++;
              g_clear_error (&error);
              continue;
            }
          g_printerr ("child: %s\n", error->message);
          return 4;
        }
      stored += batch;
    }
  g_print ("%u %u\n", stored, busy);
  return 0;
}

/* Adds messages 1..3 (one batch) and dies without closing the store:
 * after their commit, before their full-text rows. */
static int
child_add_and_die (const char *path)
{
  g_autoptr(GError) error = NULL;
  KurirStore *store = kurir_store_open (path, &error);
  KurirStoreNewMessage messages[3];
  GBytes *data[3];

  if (store == NULL)
    return 3;
  for (guint i = 0; i < 3; i++)
    {
      data[i] = make_numbered (i + 1);
      messages[i] = (KurirStoreNewMessage) { data[i], NULL, 0, 0 };
    }
  if (!kurir_store_add_batch (store, "acct", NULL, messages, 3, NULL, &error))
    return 4;
  _exit (0);
}

/* Holds the account's lock file until standard input closes. */
static int
child_hold_lock (const char *lock_path)
{
  char buffer[16];
  int fd = open (lock_path, O_RDWR | O_CREAT, 0600);

  if (fd < 0 || flock (fd, LOCK_EX) != 0)
    return 3;
  g_print ("locked\n");
  fflush (stdout);
  while (read (STDIN_FILENO, buffer, sizeof buffer) > 0)
    ;
  return 0;
}

static GSubprocess *
spawn_child (GSubprocessFlags   flags,
             GError           **error,
             const char        *first_arg,
             ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  va_list args;

  g_ptr_array_add (argv, g_file_read_link ("/proc/self/exe", NULL));
  va_start (args, first_arg);
  for (const char *arg = first_arg; arg; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (args);
  g_ptr_array_add (argv, NULL);
  return g_subprocess_newv ((const char * const *) argv->pdata, flags, error);
}

/* Counts the rows of @sql in the index at @path, read beside the store
 * (another connection sees only what is committed). */
static gint64
index_count (const char *path,
             const char *sql)
{
  g_autofree char *file = g_build_filename (path, "index.sqlite", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 count = -1;

  g_assert_cmpint (sqlite3_open_v2 (file, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    count = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return count;
}

/* Tests */

static void
test_round_trip (void)
{
  g_autoptr(KurirStore) store = open_store ();
  g_autoptr(GError) error = NULL;
  const char *samples[] = {
    "From: a@example.net\r\nSubject: crlf\r\n\r\nbody\r\n",
    "From: b@example.net\nSubject: lf and no final newline\n\nbody",
    "Subject: 8bit \xc3\xa9t\xc3\xa9\n\n\xff\xfe binary \x01\x02 bytes\n",
    "Subject: =?utf-8?q?encoded_=C3=A9?=\n\nFrom the start of a line\n>From quoted\n",
    "",
  };
  gint64 ids[G_N_ELEMENTS (samples)];

  for (guint i = 0; i < G_N_ELEMENTS (samples); i++)
    {
      g_autoptr(GBytes) data = g_bytes_new_static (samples[i], strlen (samples[i]));
      g_autofree char *key = g_strdup_printf ("uidl-%u/with:odd chars", i);

      ids[i] = add (store, "home", NULL, data, key, i == 0 ? KURIR_MESSAGE_FLAG_SEEN : 0);
    }

  for (guint i = 0; i < G_N_ELEMENTS (samples); i++)
    {
      g_autoptr(GBytes) raw = kurir_store_get_raw (store, ids[i], &error);
      g_autoptr(KurirMessage) message = kurir_store_get_message (store, ids[i], &error);
      g_autofree char *key = g_strdup_printf ("uidl-%u/with:odd chars", i);

      g_assert_no_error (error);
      g_assert_cmpmem (g_bytes_get_data (raw, NULL), g_bytes_get_size (raw),
                       samples[i], strlen (samples[i]));
      g_assert_cmpstr (kurir_message_get_backend_key (message), ==, key);
      g_assert_cmpint (kurir_message_get_size (message), ==, strlen (samples[i]));
      g_assert_true (kurir_store_has_backend_key (store, "home", "INBOX", key, &error));
    }
  g_assert_false (kurir_store_has_backend_key (store, "home", "INBOX", "nope", &error));
  {
    g_autoptr(GPtrArray) keys = kurir_store_list_backend_keys (store, "home", "INBOX", &error);

    g_assert_no_error (error);
    g_assert_cmpuint (keys->len, ==, G_N_ELEMENTS (samples));
  }
  {
    g_autoptr(KurirMessage) message = kurir_store_get_message (store, ids[3], &error);

    g_assert_cmpstr (kurir_message_get_subject (message), ==, "encoded \xc3\xa9");
  }

  /* Flags: the file is renamed and the bytes stay. */
  g_assert_true (kurir_store_set_flags (store, ids[1], KURIR_MESSAGE_FLAG_FLAGGED | KURIR_MESSAGE_FLAG_ANSWERED,
                                        0, &error));
  g_assert_true (kurir_store_set_flags (store, ids[0], 0, KURIR_MESSAGE_FLAG_SEEN, &error));
  {
    g_autoptr(KurirMessage) message = kurir_store_get_message (store, ids[1], &error);
    g_autofree char *path = kurir_store_get_message_path (store, ids[1], &error);
    g_autoptr(GBytes) raw = kurir_store_get_raw (store, ids[1], &error);

    g_assert_cmpint (kurir_message_get_flags (message), ==,
                     KURIR_MESSAGE_FLAG_FLAGGED | KURIR_MESSAGE_FLAG_ANSWERED);
    g_assert_true (g_str_has_suffix (path, ":2,FR"));
    g_assert_cmpmem (g_bytes_get_data (raw, NULL), g_bytes_get_size (raw), samples[1], strlen (samples[1]));
  }

  /* Move and delete. */
  g_assert_true (kurir_store_move (store, ids[2], "Archive", &error));
  g_assert_no_error (error);
  g_assert_cmpint (kurir_store_count (store, "home", "Archive", &error), ==, 1);
  g_assert_cmpint (kurir_store_count (store, "home", NULL, &error), ==, G_N_ELEMENTS (samples) - 1);
  {
    g_autoptr(GBytes) raw = kurir_store_get_raw (store, ids[2], &error);

    g_assert_no_error (error);
    g_assert_cmpmem (g_bytes_get_data (raw, NULL), g_bytes_get_size (raw), samples[2], strlen (samples[2]));
  }
  g_assert_true (kurir_store_delete (store, ids[4], &error));
  g_assert_null (kurir_store_get_raw (store, ids[4], &error));
  g_assert_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
}

static void
test_batch_and_keys (void)
{
  g_autoptr(KurirStore) store = open_store ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) data = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GArray) ids = NULL;
  KurirStoreNewMessage messages[50];
  g_autofree char *long_key = g_strnfill (KURIR_MAILDIR_MAX_KEY_LENGTH + 1, 'k');
  char keys[50][16];

  for (guint i = 0; i < 50; i++)
    {
      g_ptr_array_add (data, make_numbered (i));
      g_snprintf (keys[i], sizeof keys[i], "%u", 1000 + i);
      messages[i] = (KurirStoreNewMessage) { g_ptr_array_index (data, i), keys[i], 0, 0 };
    }
  g_assert_true (kurir_store_add_batch (store, "imap", "INBOX", messages, 50, &ids, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ids->len, ==, 50);
  g_assert_cmpuint (check_consistent (store, "imap", "INBOX"), ==, 50);
  g_assert_true (kurir_store_has_backend_key (store, "imap", "INBOX", "1049", &error));

  /* Invalid input is refused before anything is written. */
  messages[3].backend_key = long_key;
  g_assert_false (kurir_store_add_batch (store, "imap", "INBOX", messages, 50, NULL, &error));
  g_assert_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (kurir_store_add_batch (store, "", "INBOX", messages, 1, NULL, &error));
  g_assert_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_cmpuint (check_consistent (store, "imap", "INBOX"), ==, 50);
}

static gpointer
prepare_thread (gpointer data)
{
  KurirStoreNewMessage *messages = data;

  return kurir_store_prepare_batch (messages, 20, NULL);
}

/* Parsed on one thread, written on another (the POP3 sync's pipeline):
 * the same result as kurir_store_add_batch(); failures write nothing. */
static void
test_prepared_batch (void)
{
  g_autoptr(KurirStore) store = open_store ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) data = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(KurirStorePreparedBatch) batch = NULL;
  g_autoptr(KurirStorePreparedBatch) second = NULL;
  g_autoptr(KurirStorePreparedBatch) third = NULL;
  g_autoptr(GArray) ids = NULL;
  g_autoptr(GPtrArray) found = NULL;
  g_autofree char *long_key = g_strnfill (KURIR_MAILDIR_MAX_KEY_LENGTH + 1, 'k');
  g_autofree char *dir = NULL;
  g_autofree char *tmp = NULL;
  g_autofree char *aside = NULL;
  KurirStoreNewMessage messages[20];
  char keys[20][16];

  for (guint i = 0; i < 20; i++)
    {
      g_ptr_array_add (data, make_numbered (i));
      g_snprintf (keys[i], sizeof keys[i], "uidl-%u", i);
      messages[i] = (KurirStoreNewMessage) { g_ptr_array_index (data, i), keys[i], 0, 0 };
    }

  batch = g_thread_join (g_thread_new ("prepare", prepare_thread, messages));
  g_assert_nonnull (batch);
  g_assert_cmpuint (kurir_store_prepared_batch_get_size (batch), ==, 20);
  /* Parsing wrote nothing. */
  g_assert_cmpint (kurir_store_count (store, "pop", NULL, &error), ==, 0);
  g_assert_no_error (error);

  g_assert_true (kurir_store_add_prepared_batch (store, "pop", NULL, batch, &ids, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ids->len, ==, 20);
  g_assert_cmpuint (check_consistent (store, "pop", "INBOX"), ==, 20);
  g_assert_true (kurir_store_has_backend_key (store, "pop", "INBOX", "uidl-19", &error));
  found = search (store, "\"Message number 7\"");
  g_assert_true (contains_subject (found, "Message number 7"));

  /* A bad key: refused while parsing. */
  messages[3].backend_key = long_key;
  g_assert_null (kurir_store_prepare_batch (messages, 20, &error));
  g_assert_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_INVALID);
  g_clear_error (&error);
  messages[3].backend_key = keys[3];

  /* A bad account: refused when adding; the batch is spent. */
  second = kurir_store_prepare_batch (messages, 2, &error);
  g_assert_no_error (error);
  g_assert_false (kurir_store_add_prepared_batch (store, "", NULL, second, NULL, &error));
  g_assert_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_cmpuint (kurir_store_prepared_batch_get_size (second), ==, 0);

  /* The disk fails (tmp/ is not a directory): nothing of the batch stays. */
  dir = kurir_store_get_folder_dir (store, "pop", "INBOX");
  tmp = g_build_filename (dir, "tmp", NULL);
  aside = g_build_filename (dir, "tmp.aside", NULL);
  g_assert_cmpint (g_rename (tmp, aside), ==, 0);
  g_assert_true (g_file_set_contents (tmp, "not a directory", -1, NULL));
  for (guint i = 0; i < 20; i++)
    g_snprintf (keys[i], sizeof keys[i], "other-%u", i);
  third = kurir_store_prepare_batch (messages, 20, &error);
  g_assert_no_error (error);
  g_assert_false (kurir_store_add_prepared_batch (store, "pop", NULL, third, NULL, &error));
  g_assert_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_IO);
  g_clear_error (&error);
  g_assert_cmpint (g_unlink (tmp), ==, 0);
  g_assert_cmpint (g_rename (aside, tmp), ==, 0);
  g_assert_cmpuint (check_consistent (store, "pop", "INBOX"), ==, 20);
  g_assert_false (kurir_store_has_backend_key (store, "pop", "INBOX", "other-0", &error));
  g_assert_no_error (error);
}

/* What an index says about a folder, independent of row ids. */
static char *
describe_folder (KurirStore *store,
                 const char *account,
                 const char *folder)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) messages = kurir_store_list (store, account, folder, 0, G_MAXINT, &error);
  g_autoptr(GHashTable) threads = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) out = g_string_new (NULL);

  g_assert_no_error (error);
  for (guint i = 0; i < messages->len; i++)
    {
      KurirMessage *m = g_ptr_array_index (messages, i);
      /* Thread as the message id of the conversation's first member seen. */
      g_autoptr(GPtrArray) thread = kurir_store_get_thread (store, kurir_message_get_thread_id (m), &error);
      g_autofree char *names = g_strjoinv (",", (char **) kurir_message_get_attachment_names (m));

      g_assert_no_error (error);
      g_ptr_array_add (lines, g_strdup_printf ("%s|%s|%s|%" G_GINT64_FORMAT "|%s|%s|%s|%s|%d|%"
                                               G_GINT64_FORMAT "|%u|%s|%s|thread=%s",
                                               kurir_message_get_account (m), kurir_message_get_folder (m),
                                               kurir_message_get_message_id (m), kurir_message_get_date (m),
                                               kurir_message_get_from (m), kurir_message_get_to (m),
                                               kurir_message_get_subject (m),
                                               kurir_message_get_backend_key (m),
                                               kurir_message_get_flags (m), kurir_message_get_size (m),
                                               kurir_message_get_n_attachments (m), names,
                                               kurir_message_get_preview (m),
                                               kurir_message_get_message_id (g_ptr_array_index (thread, 0))));
    }
  g_ptr_array_sort (lines, (GCompareFunc) g_strcmp0);
  for (guint i = 0; i < lines->len; i++)
    g_string_append_printf (out, "%s\n", (char *) g_ptr_array_index (lines, i));
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
fill_for_reindex (KurirStore *store)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) a = make_message ("a@x", NULL, NULL, "Ann <ann@x>", "bob@x", "Plan", "Mon, 1 Jan 2024 10:00:00 +0000", "first");
  g_autoptr(GBytes) b = make_message ("b@x", "a@x", "a@x", "Bob <bob@x>", "ann@x", "Re: Plan", "Mon, 1 Jan 2024 11:00:00 +0000", "second");
  g_autoptr(GBytes) c = make_message ("c@x", NULL, NULL, "Cy <cy@x>", "ann@x", "Other", "Tue, 2 Jan 2024 10:00:00 +0000", "third");
  gint64 id;

  add (store, "home", NULL, a, "1", KURIR_MESSAGE_FLAG_SEEN);
  id = add (store, "home", NULL, b, "2", 0);
  add (store, "work", "Lists/GNOME", c, "x y", KURIR_MESSAGE_FLAG_FLAGGED);
  g_assert_true (kurir_store_set_flags (store, id, KURIR_MESSAGE_FLAG_ANSWERED, 0, &error));
  g_assert_true (kurir_store_move (store, id, "Sent", &error));
  g_assert_no_error (error);
}

static void
test_reindex (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *root = store_root ();
  g_autofree char *index = g_build_filename (root, "index.sqlite", NULL);
  g_autofree char *before_home = NULL, *before_sent = NULL, *before_work = NULL;
  gint64 first_id;

  {
    g_autoptr(KurirStore) store = open_store ();
    g_autoptr(GPtrArray) page = NULL;

    fill_for_reindex (store);
    before_home = describe_folder (store, "home", "INBOX");
    before_sent = describe_folder (store, "home", "Sent");
    before_work = describe_folder (store, "work", "Lists/GNOME");
    page = kurir_store_list (store, "home", NULL, 0, 10, &error);
    first_id = kurir_message_get_id (g_ptr_array_index (page, 0));

    /* reindex in place keeps ids and contents. */
    g_assert_true (kurir_store_reindex (store, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpstr (describe_folder (store, "home", "INBOX"), ==, before_home);
    g_assert_cmpstr (describe_folder (store, "home", "Sent"), ==, before_sent);
    g_assert_cmpstr (describe_folder (store, "work", "Lists/GNOME"), ==, before_work);
    {
      g_autoptr(KurirMessage) m = kurir_store_get_message (store, first_id, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (kurir_message_get_message_id (m), ==, "a@x");
    }
    g_clear_pointer (&page, g_ptr_array_unref);
    g_assert_true (kurir_store_reindex (store, "home", &error));
    g_assert_cmpstr (describe_folder (store, "home", "Sent"), ==, before_sent);
    g_clear_pointer (&page, g_ptr_array_unref);
    page = search (store, "second");
    g_assert_cmpuint (page->len, ==, 1);
  }

  /* A missing index is rebuilt from the files on open. */
  g_assert_cmpint (g_unlink (index), ==, 0);
  {
    g_autofree char *wal = g_strconcat (index, "-wal", NULL);
    g_autofree char *shm = g_strconcat (index, "-shm", NULL);

    g_unlink (wal);
    g_unlink (shm);
  }
  {
    g_autoptr(KurirStore) store = open_store ();
    g_autoptr(GPtrArray) found = NULL;

    g_assert_cmpstr (describe_folder (store, "home", "INBOX"), ==, before_home);
    g_assert_cmpstr (describe_folder (store, "home", "Sent"), ==, before_sent);
    g_assert_cmpstr (describe_folder (store, "work", "Lists/GNOME"), ==, before_work);
    found = search (store, "from:cy");
    g_assert_cmpuint (found->len, ==, 1);
  }

  /* So is one that an earlier run found damaged. */
  {
    g_autofree char *flag = g_strconcat (index, ".damaged", NULL);

    g_assert_true (g_file_set_contents (flag, "", 0, &error));
    {
      g_autoptr(KurirStore) store = open_store ();

      g_assert_cmpstr (describe_folder (store, "home", "Sent"), ==, before_sent);
    }
    g_assert_false (g_file_test (flag, G_FILE_TEST_EXISTS));
  }

  /* So is a damaged one. */
  g_assert_true (g_file_set_contents (index, "this is not a database, it is just bytes bytes bytes"
                                      " bytes bytes bytes bytes bytes bytes bytes bytes", -1, &error));
  {
    g_autofree char *wal = g_strconcat (index, "-wal", NULL);

    g_unlink (wal);
  }
  {
    g_autoptr(KurirStore) store = open_store ();

    g_assert_cmpstr (describe_folder (store, "home", "INBOX"), ==, before_home);
    g_assert_cmpstr (describe_folder (store, "home", "Sent"), ==, before_sent);
    g_assert_cmpstr (describe_folder (store, "work", "Lists/GNOME"), ==, before_work);
  }
}

static void
test_threads (void)
{
  g_autoptr(KurirStore) store = open_store ();
  g_autoptr(GError) error = NULL;
  const char *date = "Mon, 1 Jan 2024 10:00:00 +0000";
  /* A <- B <- C, arriving C, A, and B (the middle) only at the end. */
  g_autoptr(GBytes) a = make_message ("a@t", NULL, NULL, "x@t", "y@t", "A", date, "a");
  g_autoptr(GBytes) b = make_message ("b@t", "a@t", "a@t", "x@t", "y@t", "B", date, "b");
  g_autoptr(GBytes) c = make_message ("c@t", "b@t", "a@t b@t", "x@t", "y@t", "C", date, "c");
  /* X <- Y <- Z by In-Reply-To only: X and Z first, Y joins them. */
  g_autoptr(GBytes) x = make_message ("x@t", NULL, NULL, "x@t", "y@t", "X", date, "x");
  g_autoptr(GBytes) y = make_message ("y@t", "x@t", NULL, "x@t", "y@t", "Y", date, "y");
  g_autoptr(GBytes) z = make_message ("z@t", "y@t", NULL, "x@t", "y@t", "Z", date, "z");
  g_autoptr(GBytes) lone = make_message ("lone@t", NULL, NULL, "x@t", "y@t", "Lone", date, "l");
  g_autoptr(GBytes) none = make_message (NULL, NULL, NULL, "x@t", "y@t", "No id", date, "n");
  gint64 ic, ia, ib, ix, iz, iy, il, in, icopy;
  g_autoptr(KurirMessage) mc = NULL, ma = NULL, mb = NULL, mx = NULL, mz = NULL, my = NULL,
    ml = NULL, mn = NULL, mcopy = NULL;
  gint64 tx;

  ic = add (store, "t", NULL, c, NULL, 0);
  ia = add (store, "t", NULL, a, NULL, 0);
  ix = add (store, "t", NULL, x, NULL, 0);
  iz = add (store, "t", NULL, z, NULL, 0);
  mx = kurir_store_get_message (store, ix, &error);
  mz = kurir_store_get_message (store, iz, &error);
  g_assert_cmpint (kurir_message_get_thread_id (mx), !=, kurir_message_get_thread_id (mz));
  tx = kurir_message_get_thread_id (mx);
  g_clear_object (&mx);
  g_clear_object (&mz);

  iy = add (store, "t", NULL, y, NULL, 0);
  ib = add (store, "t", NULL, b, NULL, 0);
  il = add (store, "t", NULL, lone, NULL, 0);
  in = add (store, "t", NULL, none, NULL, 0);
  icopy = add (store, "t", "Archive", a, NULL, 0);   /* the same message twice */

  mc = kurir_store_get_message (store, ic, &error);
  ma = kurir_store_get_message (store, ia, &error);
  mb = kurir_store_get_message (store, ib, &error);
  mx = kurir_store_get_message (store, ix, &error);
  my = kurir_store_get_message (store, iy, &error);
  mz = kurir_store_get_message (store, iz, &error);
  ml = kurir_store_get_message (store, il, &error);
  mn = kurir_store_get_message (store, in, &error);
  mcopy = kurir_store_get_message (store, icopy, &error);
  g_assert_no_error (error);

  g_assert_cmpint (kurir_message_get_thread_id (mc), ==, kurir_message_get_thread_id (ma));
  g_assert_cmpint (kurir_message_get_thread_id (mb), ==, kurir_message_get_thread_id (ma));
  g_assert_cmpint (kurir_message_get_thread_id (mcopy), ==, kurir_message_get_thread_id (ma));
  g_assert_cmpint (kurir_message_get_thread_id (mx), ==, kurir_message_get_thread_id (my));
  g_assert_cmpint (kurir_message_get_thread_id (mz), ==, kurir_message_get_thread_id (my));
  /* Merged threads keep the older id: stable. */
  g_assert_cmpint (kurir_message_get_thread_id (mx), ==, tx);
  g_assert_cmpint (kurir_message_get_thread_id (mx), !=, kurir_message_get_thread_id (ma));
  g_assert_cmpint (kurir_message_get_thread_id (ml), !=, kurir_message_get_thread_id (ma));
  g_assert_cmpint (kurir_message_get_thread_id (ml), !=, kurir_message_get_thread_id (mx));
  g_assert_cmpint (kurir_message_get_thread_id (mn), !=, kurir_message_get_thread_id (ml));

  {
    g_autoptr(GPtrArray) thread = kurir_store_get_thread (store, kurir_message_get_thread_id (ma), &error);

    g_assert_cmpuint (thread->len, ==, 4);
  }
}

static void
test_search (void)
{
  g_autoptr(KurirStore) store = open_store ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) m1 = make_message ("s1@x", NULL, NULL, "Alice Example <alice@example.com>",
                                       "Bob <bob@example.org>", "Quarterly budget review",
                                       "Mon, 15 Jan 2024 10:00:00 +0000",
                                       "Please find the spreadsheet numbers for the budget.");
  g_autoptr(GBytes) m2 = make_message ("s2@x", NULL, NULL, "Bob <bob@example.org>",
                                       "Alice <alice@example.com>", "Re: lunch",
                                       "Sat, 20 Jul 2024 12:00:00 +0000",
                                       "The quarterly review is postponed. Élan vital.");
  g_autoptr(GBytes) m3 = NULL;
  const char *attachment =
    "From: Carol <carol@example.net>\r\nTo: bob@example.org\r\nSubject: Photos\r\n"
    "Date: Sun, 1 Dec 2024 09:00:00 +0000\r\nMessage-ID: <s3@x>\r\nMIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
    "Holiday pictures attached.\r\n--b\r\nContent-Type: image/jpeg\r\n"
    "Content-Disposition: attachment; filename=\"beach-sunset.jpg\"\r\n"
    "Content-Transfer-Encoding: base64\r\n\r\nAAECAwQF\r\n--b--\r\n";
  gint64 id1, id3;
  struct {
    const char *query;
    const char *subjects[4];
  } cases[] = {
    { "budget", { "Quarterly budget review" } },
    { "quarterly", { "Re: lunch", "Quarterly budget review" } },
    { "\"quarterly review\"", { "Re: lunch" } },
    { "\"budget review\"", { "Quarterly budget review" } },
    { "from:alice", { "Quarterly budget review" } },
    { "from:alice@example.com", { "Quarterly budget review" } },
    { "from:\"Alice Example\"", { "Quarterly budget review" } },
    { "to:alice", { "Re: lunch" } },
    { "to:bob@example.org", { "Photos", "Quarterly budget review" } },
    { "subject:lunch", { "Re: lunch" } },
    { "subject:budget review", { "Quarterly budget review" } },
    { "has:attachment", { "Photos" } },
    { "attachment:beach", { "Photos" } },
    { "sunset", { "Photos" } },
    { "is:unread", { "Photos", "Re: lunch" } },
    { "is:flagged", { "Quarterly budget review" } },
    { "before:2024-07-01", { "Quarterly budget review" } },
    { "after:2024-07-01", { "Photos", "Re: lunch" } },
    { "after:2024-01-01 before:2024-11-30", { "Re: lunch", "Quarterly budget review" } },
    { "folder:Archive", { "Photos" } },
    { "folder:inbox", { "Re: lunch", "Quarterly budget review" } },
    { "account:other", { "Photos" } },
    { "account:main quarterly is:unread", { "Re: lunch" } },
    { "elan", { "Re: lunch" } },
    { "bob AND review", { "Re: lunch", "Quarterly budget review" } },
    /* Text that would be FTS5 syntax is only text. */
    { "review OR photos", { NULL } },
    { "NEAR(review", { NULL } },
    { "budget*", { "Quarterly budget review" } },
    { "\"budget review", { "Quarterly budget review" } },
    { "subject:\"a \"\" quote\"", { NULL } },
    { "-budget", { "Quarterly budget review" } },
    { "unknown:budget", { NULL } },
    { "budget:", { "Quarterly budget review" } },
  };
  const char *invalid[] = { "", "   ", "has:nothing", "is:weird", "before:2024-13-01",
                            "after:yesterday", "from:", "!!!" };

  id1 = add (store, "main", NULL, m1, NULL, KURIR_MESSAGE_FLAG_SEEN | KURIR_MESSAGE_FLAG_FLAGGED);
  add (store, "main", NULL, m2, NULL, 0);
  m3 = g_bytes_new_static (attachment, strlen (attachment));
  id3 = add (store, "other", "Archive", m3, NULL, 0);
  g_assert_cmpint (id1, <, id3);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GPtrArray) found = search (store, cases[i].query);
      guint expected = 0;

      while (expected < G_N_ELEMENTS (cases[i].subjects) && cases[i].subjects[expected])
        expected++;
      if (found->len != expected)
        g_error ("“%s” found %u messages, not %u", cases[i].query, found->len, expected);
      /* In the expected order: newest first. */
      for (guint j = 0; j < expected; j++)
        g_assert_cmpstr (kurir_message_get_subject (g_ptr_array_index (found, j)), ==,
                         cases[i].subjects[j]);
    }

  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autoptr(GPtrArray) found = kurir_store_search (store, invalid[i], 0, 10, &error);

      g_assert_null (found);
      g_assert_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_INVALID);
      g_clear_error (&error);
    }

  /* A deleted message is no longer found. */
  g_assert_true (kurir_store_delete (store, id3, &error));
  {
    g_autoptr(GPtrArray) found = search (store, "sunset");

    g_assert_cmpuint (found->len, ==, 0);
  }
  {
    g_autoptr(GPtrArray) found = search (store, "budget");

    g_assert_true (contains_subject (found, "Quarterly budget review"));
  }
}

static gboolean
is_inside (const char *root,
           const char *path)
{
  g_autofree char *real_root = realpath (root, NULL);
  g_autofree char *real_path = realpath (path, NULL);

  return real_root && real_path && g_str_has_prefix (real_path, real_root) &&
         real_path[strlen (real_root)] == '/';
}

static void
test_unsafe_names (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *root = store_root ();
  g_autofree char *long_name = g_strnfill (400, 'x');
  const char *names[] = {
    "..", ".", "../../../../tmp/escape", "/etc/passwd", "a/b/../../..", ".hidden",
    "~tilde", "%2F", "INBOX/Sub", "&AOQ-broken&-UTF7&", "Entw\xc3\xbcrfe", "tab\tand\nnewline",
    "trailing.", "trailing ", "\xe2\x80\xae" "fdp.exe", NULL,
  };
  g_autoptr(GBytes) data = make_numbered (1);
  g_autofree char *account_root = NULL;
  g_autofree char *escape = g_build_filename (g_get_tmp_dir (), "escape", NULL);

  names[G_N_ELEMENTS (names) - 1] = long_name;

  {
    g_autoptr(KurirStore) store = open_store ();
    g_autofree char *acct = kurir_maildir_encode_name ("../acct");

    account_root = g_build_filename (root, "mail", acct, NULL);

    for (guint i = 0; i < G_N_ELEMENTS (names); i++)
      {
        gint64 id = add (store, "../acct", names[i], data, NULL, 0);
        g_autofree char *path = kurir_store_get_message_path (store, id, &error);
        g_autofree char *parent = NULL;
        g_autofree char *folder_dir = NULL;
        g_autofree char *decoded = NULL;

        g_assert_no_error (error);
        g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
        g_assert_true (is_inside (account_root, path));
        /* One level under the account: cur/ of a folder of its own. */
        parent = g_path_get_dirname (path);
        folder_dir = g_path_get_dirname (parent);
        g_assert_true (is_inside (account_root, folder_dir));
        {
          g_autofree char *up = g_path_get_dirname (folder_dir);
          g_autofree char *real_up = realpath (up, NULL);
          g_autofree char *real_account = realpath (account_root, NULL);

          g_assert_cmpstr (real_up, ==, real_account);
        }
        decoded = kurir_maildir_decode_name (strrchr (folder_dir, '/') + 1);
        if (strlen (names[i]) < 100)
          g_assert_cmpstr (decoded, ==, names[i]);
      }
    g_assert_false (g_file_test (escape, G_FILE_TEST_EXISTS));
  }

  /* The real names come back, also from a rebuilt index. */
  {
    g_autofree char *index = g_build_filename (root, "index.sqlite", NULL);
    g_autoptr(KurirStore) store = NULL;
    g_autoptr(GPtrArray) folders = NULL;

    g_assert_cmpint (g_unlink (index), ==, 0);
    store = open_store ();
    folders = kurir_store_list_folders (store, "../acct", &error);
    g_assert_no_error (error);
    g_assert_cmpuint (folders->len, ==, G_N_ELEMENTS (names));
    for (guint i = 0; i < G_N_ELEMENTS (names); i++)
      {
        gboolean found = FALSE;

        for (guint j = 0; j < folders->len; j++)
          {
            KurirStoreFolder *folder = g_ptr_array_index (folders, j);

            found |= strcmp (folder->name, names[i]) == 0 && folder->total == 1 && folder->unread == 1;
          }
        if (!found)
          g_error ("folder “%s” is missing after a rebuild", names[i]);
      }
  }
}

static void
test_unified_paging (void)
{
  g_autoptr(KurirStore) store = open_store ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func (g_object_unref);
  gint64 previous_date = G_MAXINT64, previous_id = G_MAXINT64;

  for (guint i = 0; i < 60; i++)
    {
      g_autoptr(GBytes) data = make_numbered (i * 7 % 60);   /* dates out of order */
      const char *account = i % 2 ? "one" : "two";
      const char *folder = i % 5 == 0 ? "Other" : NULL;

      add (store, account, folder, data, NULL, 0);
    }
  /* Two messages with the same date: the order is still total. */
  {
    g_autoptr(GBytes) data = make_numbered (5);

    add (store, "one", NULL, data, NULL, 0);
  }

  g_assert_cmpint (kurir_store_count (store, NULL, NULL, &error), ==, 49);
  for (guint offset = 0; ; offset += 10)
    {
      g_autoptr(GPtrArray) page = kurir_store_list (store, NULL, NULL, offset, 10, &error);

      g_assert_no_error (error);
      for (guint i = 0; i < page->len; i++)
        g_ptr_array_add (all, g_object_ref (g_ptr_array_index (page, i)));
      if (page->len < 10)
        break;
    }
  g_assert_cmpuint (all->len, ==, 49);
  for (guint i = 0; i < all->len; i++)
    {
      KurirMessage *m = g_ptr_array_index (all, i);

      g_assert_cmpstr (kurir_message_get_folder (m), ==, "INBOX");
      g_assert_true (kurir_message_get_date (m) < previous_date ||
                     (kurir_message_get_date (m) == previous_date && kurir_message_get_id (m) < previous_id));
      previous_date = kurir_message_get_date (m);
      previous_id = kurir_message_get_id (m);
    }
  /* A page reads only its rows: through an index, no sort of the folder. */
  {
    g_autofree char *root = store_root ();
    g_autofree char *index = g_build_filename (root, "index.sqlite", NULL);
    const char *queries[] = { KURIR_STORE_SQL_PAGE_UNIFIED, KURIR_STORE_SQL_PAGE_FOLDER };
    sqlite3 *db = NULL;

    g_assert_cmpint (sqlite3_open_v2 (index, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
    for (guint q = 0; q < G_N_ELEMENTS (queries); q++)
      {
        g_autofree char *sql = g_strconcat ("EXPLAIN QUERY PLAN ", queries[q], NULL);
        g_autoptr(GString) plan = g_string_new (NULL);
        sqlite3_stmt *stmt = NULL;

        g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
        while (sqlite3_step (stmt) == SQLITE_ROW)
          g_string_append_printf (plan, "%s\n", sqlite3_column_text (stmt, 3));
        sqlite3_finalize (stmt);
        g_test_message ("plan: %s", plan->str);
        g_assert_nonnull (strstr (plan->str, q == 0 ? "SCAN m USING INDEX messages_inbox_date"
                                                    : "SEARCH m USING INDEX messages_folder_date"));
        g_assert_null (strstr (plan->str, "TEMP B-TREE"));
      }
    /* A folder's unread count reads only the unread messages' entries. */
    {
      g_autoptr(GString) plan = g_string_new (NULL);
      sqlite3_stmt *stmt = NULL;

      g_assert_cmpint (sqlite3_prepare_v2 (db, "EXPLAIN QUERY PLAN SELECT count(*) FROM messages "
                                               "WHERE folder_id = 1 AND (flags & 1) = 0",
                                           -1, &stmt, NULL), ==, SQLITE_OK);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        g_string_append_printf (plan, "%s\n", sqlite3_column_text (stmt, 3));
      sqlite3_finalize (stmt);
      g_assert_nonnull (strstr (plan->str, "USING INDEX messages_folder_unread"));
    }
    sqlite3_close (db);
  }

  {
    g_autoptr(GPtrArray) one = kurir_store_list (store, "one", NULL, 0, 100, &error);
    g_autoptr(GPtrArray) other = kurir_store_list (store, NULL, "Other", 0, 100, &error);

    g_assert_cmpuint (one->len, ==, 25);
    g_assert_cmpuint (other->len, ==, 12);
  }
}

static void
write_mbox (const char *path,
            guint       first,
            guint       n)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GFileOutputStream) out = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, &error);

  g_assert_no_error (error);
  for (guint i = first; i < first + n; i++)
    {
      g_autoptr(GBytes) data = make_numbered (i);
      gsize length;
      const char *bytes = g_bytes_get_data (data, &length);

      g_assert_true (kurir_mbox_write (G_OUTPUT_STREAM (out), bytes, length, 1700000000 + i, &error));
    }
  {
    /* A body line that needs quoting. */
    const char *tricky = "From: q@x\nSubject: quoting\nMessage-ID: <tricky@x>\n\n"
                         "From the desk of\n>From quoted once\nend\n";

    g_assert_true (kurir_mbox_write (G_OUTPUT_STREAM (out), tricky, strlen (tricky), 0, &error));
  }
  g_assert_true (g_output_stream_close (G_OUTPUT_STREAM (out), NULL, &error));
}

static void
test_import_export (void)
{
  g_autoptr(KurirStore) store = open_store ();
  g_autoptr(GError) error = NULL;
  g_autofree char *mbox = g_build_filename (g_get_user_cache_dir (), "in.mbox", NULL);
  g_autofree char *out = g_build_filename (g_get_user_cache_dir (), "out.mbox", NULL);
  g_autofree char *maildir = g_build_filename (g_get_user_cache_dir (), "Maildir", NULL);
  KurirStoreImportStats stats;
  guint count = 0;

  g_assert_cmpint (g_mkdir_with_parents (g_get_user_cache_dir (), 0700), ==, 0);
  write_mbox (mbox, 0, 30);

  g_assert_true (kurir_store_import (store, "local", NULL, mbox, &stats, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.added, ==, 31);
  g_assert_cmpuint (stats.duplicates, ==, 0);

  /* Twice: nothing new. */
  g_assert_true (kurir_store_import (store, "local", NULL, mbox, &stats, NULL, &error));
  g_assert_cmpuint (stats.added, ==, 0);
  g_assert_cmpuint (stats.duplicates, ==, 31);
  g_assert_cmpint (kurir_store_count (store, "local", "INBOX", &error), ==, 31);

  {
    g_autoptr(GPtrArray) found = search (store, "subject:quoting");
    g_autoptr(GBytes) raw = NULL;
    const char *expected = "From: q@x\nSubject: quoting\nMessage-ID: <tricky@x>\n\n"
                           "From the desk of\n>From quoted once\nend\n";

    g_assert_cmpuint (found->len, ==, 1);
    raw = kurir_store_get_raw (store, kurir_message_get_id (g_ptr_array_index (found, 0)), &error);
    g_assert_cmpmem (g_bytes_get_data (raw, NULL), g_bytes_get_size (raw), expected, strlen (expected));
  }

  /* Export and import into another folder: the same bytes. */
  g_assert_true (kurir_store_export_mbox (store, "local", "INBOX", out, &count, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count, ==, 31);
  g_assert_true (kurir_store_import (store, "local", "Copy", out, &stats, NULL, &error));
  g_assert_cmpuint (stats.added, ==, 31);
  {
    g_autoptr(GPtrArray) a = kurir_store_list (store, "local", "INBOX", 0, 100, &error);
    g_autoptr(GPtrArray) b = kurir_store_list (store, "local", "Copy", 0, 100, &error);

    g_assert_cmpuint (a->len, ==, b->len);
    for (guint i = 0; i < a->len; i++)
      {
        g_autoptr(GBytes) ra = kurir_store_get_raw (store, kurir_message_get_id (g_ptr_array_index (a, i)), &error);
        g_autoptr(GBytes) rb = kurir_store_get_raw (store, kurir_message_get_id (g_ptr_array_index (b, i)), &error);

        g_assert_true (g_bytes_equal (ra, rb));
      }
  }

  /* A Maildir as another program left it, with flags. */
  {
    g_autofree char *cur = g_build_filename (maildir, "cur", NULL);
    g_autofree char *new = g_build_filename (maildir, "new", NULL);
    g_autoptr(GBytes) m1 = make_numbered (100);
    g_autoptr(GBytes) m2 = make_numbered (101);
    g_autoptr(GBytes) m3 = make_numbered (102);
    g_autofree char *f1 = g_build_filename (cur, "1700000000.1.host:2,FS", NULL);
    g_autofree char *f2 = g_build_filename (cur, "1700000001.2.host:2,", NULL);
    g_autofree char *f3 = g_build_filename (new, "1700000002.3.host", NULL);
    g_autoptr(GPtrArray) found = NULL;

    g_assert_cmpint (g_mkdir_with_parents (cur, 0700), ==, 0);
    g_assert_cmpint (g_mkdir_with_parents (new, 0700), ==, 0);
    g_assert_true (g_file_set_contents (f1, g_bytes_get_data (m1, NULL), g_bytes_get_size (m1), NULL));
    g_assert_true (g_file_set_contents (f2, g_bytes_get_data (m2, NULL), g_bytes_get_size (m2), NULL));
    g_assert_true (g_file_set_contents (f3, g_bytes_get_data (m3, NULL), g_bytes_get_size (m3), NULL));

    g_assert_true (kurir_store_import (store, "local", "Old", maildir, &stats, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (stats.added, ==, 3);
    g_assert_true (kurir_store_import (store, "local", "Old", maildir, &stats, NULL, &error));
    g_assert_cmpuint (stats.added, ==, 0);
    found = search (store, "folder:Old is:flagged");
    g_assert_cmpuint (found->len, ==, 1);
    g_assert_cmpint (kurir_message_get_flags (g_ptr_array_index (found, 0)), ==,
                     KURIR_MESSAGE_FLAG_FLAGGED | KURIR_MESSAGE_FLAG_SEEN);
    g_clear_pointer (&found, g_ptr_array_unref);
    found = search (store, "folder:Old is:unread");
    g_assert_cmpuint (found->len, ==, 2);
  }

  /* Neither mbox nor Maildir. */
  g_assert_false (kurir_store_import (store, "local", NULL, g_get_user_cache_dir (), &stats, NULL, &error));
  g_assert_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_INVALID);
}

static gboolean
timed_out_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
child_exited_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *(gboolean *) user_data = TRUE;
}

static void
test_crash (void)
{
  g_autofree char *root = store_root ();

  /* Kills at random points of a write of 1,000 messages: in one batch,
   * once the renames into cur/ have begun (files there, rows not yet),
   * then in batches of 100, anywhere. */
  for (guint round = 0; round < 4; round++)
    {
      gboolean one_batch = round == 0;
      g_autofree char *path = g_strdup_printf ("%s-crash-%u", root, round);
      g_autofree char *folder = NULL;
      g_autofree char *tmp = NULL, *cur = NULL;
      g_autoptr(GSubprocess) child = NULL;
      g_autoptr(GError) error = NULL;
      guint target = g_test_rand_int_range (1, CRASH_MESSAGES);
      guint seen = 0;

      {
        /* Make the folder first, so the test can watch it. */
        g_autoptr(KurirStore) store = kurir_store_open (path, &error);

        g_assert_no_error (error);
        g_assert_true (kurir_store_create_folder (store, "acct", "INBOX", NULL, &error));
        folder = kurir_store_get_folder_dir (store, "acct", "INBOX");
      }
      tmp = g_build_filename (folder, "tmp", NULL);
      cur = g_build_filename (folder, "cur", NULL);

      child = spawn_child (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error,
                           "--child-write", path, "acct", "0", one_batch ? "1000" : "100", NULL);
      g_assert_no_error (error);
      /* Wait for the event: that many files written (in tmp/ or cur/;
       * for the single batch, renamed into cur/). The folders' monitors
       * wake the loop on each new file; the child's exit ends the wait. */
      {
        g_autoptr(GFile) tmp_file = g_file_new_for_path (tmp);
        g_autoptr(GFile) cur_file = g_file_new_for_path (cur);
        g_autoptr(GFileMonitor) tmp_monitor = g_file_monitor_directory (tmp_file, G_FILE_MONITOR_NONE,
                                                                        NULL, &error);
        g_autoptr(GFileMonitor) cur_monitor = g_file_monitor_directory (cur_file, G_FILE_MONITOR_NONE,
                                                                        NULL, &error);
        gboolean exited = FALSE;
        gboolean timed_out = FALSE;
        guint timeout = g_timeout_add (TIMEOUT_USEC / 1000, timed_out_cb, &timed_out);

        g_assert_no_error (error);
        g_subprocess_wait_async (child, NULL, child_exited_cb, &exited);
        while ((seen = (one_batch ? 0 : count_files (tmp)) + count_files (cur)) < target &&
               !exited && !timed_out)
          g_main_context_iteration (NULL, TRUE);
        g_assert_false (timed_out);
        g_source_remove (timeout);

        g_subprocess_send_signal (child, SIGKILL);
        while (!exited)
          g_main_context_iteration (NULL, TRUE);
      }
      g_test_message ("round %u: killed after %u files (target %u)", round, seen, target);

      {
        g_autoptr(KurirStore) store = kurir_store_open (path, &error);
        guint n;

        g_assert_no_error (error);
        n = check_consistent (store, "acct", "INBOX");
        g_test_message ("round %u: %u messages complete and indexed", round, n);
        g_assert_cmpuint (n, <=, CRASH_MESSAGES);
        /* Each file renamed into cur/ before the kill is there, complete
         * and indexed once; nothing else is. */
        if (one_batch)
          g_assert_cmpuint (n, >=, target);
      }
    }
}

/* A message counts as stored before its full-text row is written, and a
 * search right after the add finds it: in the same store, and in another
 * one (another process) that never saw it queued. */
static void
test_fts_deferred (void)
{
  g_autofree char *root = store_root ();
  g_autoptr(KurirStore) store = open_store ();
  g_autoptr(KurirStore) other = NULL;
  g_autoptr(GBytes) data = make_message ("fts1@test.example", NULL, NULL, "a@test.example",
                                         "b@test.example", "Deferred", "Mon, 2 Mar 2020 10:00:00 +0000",
                                         "the word quuxterrible is in here");
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(GPtrArray) found_other = NULL;
  gint64 id = add (store, "acct", "INBOX", data, "k1", 0);

  /* Committed (row, key) without its full-text row: that comes later. */
  g_assert_cmpint (index_count (root, "SELECT count(*) FROM messages"), ==, 1);
  g_assert_cmpint (index_count (root, "SELECT count(*) FROM fts_pending"), ==, 1);
  g_assert_cmpint (index_count (root, "SELECT count(*) FROM messages_fts "
                                      "WHERE messages_fts MATCH 'quuxterrible'"), ==, 0);

  /* Another store on the same files reads the waiting one from its file. */
  other = open_store ();
  g_assert_cmpint (index_count (root, "SELECT count(*) FROM fts_pending"), ==, 0);
  found_other = search (other, "quuxterrible");
  g_assert_cmpuint (found_other->len, ==, 1);
  g_assert_cmpint (kurir_message_get_id (g_ptr_array_index (found_other, 0)), ==, id);

  /* The writer's own search indexes its queue first. */
  found = search (store, "quuxterrible");
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpint (kurir_message_get_id (g_ptr_array_index (found, 0)), ==, id);
  g_assert_cmpint (index_count (root, "SELECT count(*) FROM fts_pending"), ==, 0);
  g_clear_pointer (&found, g_ptr_array_unref);

  /* A second message, found too; the first still once. */
  g_clear_pointer (&data, g_bytes_unref);
  data = make_message ("fts2@test.example", NULL, NULL, "a@test.example", "b@test.example",
                       "Deferred again", "Mon, 2 Mar 2020 11:00:00 +0000", "quuxterrible twice");
  add (store, "acct", "INBOX", data, "k2", 0);
  found = search (store, "quuxterrible");
  g_assert_cmpuint (found->len, ==, 2);
}

/* A writer killed between a batch's commit and its full-text rows: the
 * next open indexes them from the files. */
static void
test_fts_crash (void)
{
  g_autofree char *root = store_root ();
  g_autofree char *path = g_strdup_printf ("%s-fts-crash", root);
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(GError) error = NULL;

  child = spawn_child (G_SUBPROCESS_FLAGS_NONE, &error, "--child-add-and-die", path, NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_wait_check (child, NULL, &error));
  g_assert_no_error (error);

  g_assert_cmpint (index_count (path, "SELECT count(*) FROM messages"), ==, 3);
  g_assert_cmpint (index_count (path, "SELECT count(*) FROM fts_pending"), ==, 3);
  g_assert_cmpint (index_count (path, "SELECT count(*) FROM messages_fts "
                                      "WHERE messages_fts MATCH 'number'"), ==, 0);

  {
    g_autoptr(KurirStore) store = kurir_store_open (path, &error);
    g_autoptr(GPtrArray) found = NULL;

    g_assert_no_error (error);
    /* The open itself did it (not the search below). */
    g_assert_cmpint (index_count (path, "SELECT count(*) FROM fts_pending"), ==, 0);
    g_assert_cmpint (index_count (path, "SELECT count(*) FROM messages_fts "
                                        "WHERE messages_fts MATCH 'number'"), ==, 3);
    g_assert_cmpint (index_count (path, "SELECT count(*) FROM messages_fts "
                                        "WHERE messages_fts MATCH 'subject:\"number 2\"'"), ==, 1);
    found = search (store, "\"message number 3\"");
    g_assert_cmpuint (found->len, ==, 1);
    g_assert_cmpstr (kurir_message_get_subject (g_ptr_array_index (found, 0)), ==, "Message number 3");
  }
}

static void
test_two_processes (void)
{
  g_autofree char *root = store_root ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) data = make_numbered (1);
  g_autofree char *lock = NULL;

  /* 1. A process holds the account: a writer waits, then says busy;
   * readers go on. */
  {
    g_autoptr(KurirStore) store = open_store ();
    g_autoptr(GSubprocess) holder = NULL;
    g_autoptr(GDataInputStream) lines = NULL;
    g_autofree char *line = NULL;
    g_autoptr(GPtrArray) page = NULL;
    gint64 started;

    add (store, "shared", NULL, data, NULL, 0);
    {
      g_autofree char *enc = kurir_maildir_encode_name ("shared");

      lock = g_build_filename (root, "mail", enc, ".kurir-lock", NULL);
    }
    holder = spawn_child (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                          "--child-hold-lock", lock, NULL);
    g_assert_no_error (error);
    lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (holder));
    line = g_data_input_stream_read_line (lines, NULL, NULL, &error);
    g_assert_cmpstr (line, ==, "locked");

    started = g_get_monotonic_time ();
    g_assert_cmpint (kurir_store_add (store, "shared", NULL, data, NULL, 0, 0, &error), ==, 0);
    g_assert_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_BUSY);
    g_assert_nonnull (strstr (error->message, "busy"));
    g_assert_cmpint (g_get_monotonic_time () - started, >=, KURIR_STORE_LOCK_TIMEOUT_MS * 1000 / 2);
    g_clear_error (&error);
    g_assert_false (kurir_store_set_flags (store, 1, KURIR_MESSAGE_FLAG_SEEN, 0, &error));
    g_assert_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_BUSY);
    g_clear_error (&error);

    page = kurir_store_list (store, "shared", NULL, 0, 10, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (page->len, ==, 1);

    g_assert_true (g_output_stream_close (g_subprocess_get_stdin_pipe (holder), NULL, &error));
    g_assert_true (g_subprocess_wait_check (holder, NULL, &error));
    g_assert_cmpint (kurir_store_add (store, "shared", NULL, data, NULL, 0, 0, &error), >, 0);
    g_assert_no_error (error);
  }

  /* 2. Two processes write 1,000 messages each to one account at once:
   * each batch is stored or refused as busy, nothing is corrupted. */
  {
    g_autofree char *path = g_strdup_printf ("%s-two", root);
    g_autoptr(GSubprocess) first = NULL;
    g_autoptr(GSubprocess) second = NULL;
    g_autofree char *out1 = NULL, *out2 = NULL;
    guint stored1 = 0, busy1 = 0, stored2 = 0, busy2 = 0;

    first = spawn_child (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, "--child-write", path, "same", "0", "100", "busy", NULL);
    second = spawn_child (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, "--child-write", path, "same", "1000", "100", "busy", NULL);
    g_assert_no_error (error);
    g_assert_true (g_subprocess_communicate_utf8 (first, NULL, NULL, &out1, NULL, &error));
    g_assert_true (g_subprocess_communicate_utf8 (second, NULL, NULL, &out2, NULL, &error));
    g_assert_cmpint (g_subprocess_get_exit_status (first), ==, 0);
    g_assert_cmpint (g_subprocess_get_exit_status (second), ==, 0);
    g_assert_cmpint (sscanf (out1, "%u %u", &stored1, &busy1), ==, 2);
    g_assert_cmpint (sscanf (out2, "%u %u", &stored2, &busy2), ==, 2);
    g_test_message ("stored %u + %u, busy %u + %u batches", stored1, stored2, busy1, busy2);
    g_assert_cmpuint (stored1 + busy1 * CRASH_BATCH, ==, CRASH_MESSAGES);
    g_assert_cmpuint (stored2 + busy2 * CRASH_BATCH, ==, CRASH_MESSAGES);
    {
      g_autoptr(KurirStore) store = kurir_store_open (path, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (check_consistent (store, "same", "INBOX"), ==, stored1 + stored2);
    }
  }
}

static void
test_async (void)
{
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) data = make_numbered (3);
  g_autoptr(GArray) ids = NULL;
  g_autoptr(GPtrArray) page = NULL;
  KurirStoreNewMessage message = { data, "7", 0, 0 };
  GAsyncResult *slot = NULL;

  kurir_store_open_async (NULL, NULL, kurir_test_store_result, &slot);
  store = kurir_store_open_finish (kurir_test_wait (&slot), &error);
  g_clear_object (&slot);
  g_assert_no_error (error);

  kurir_store_add_batch_async (store, "a", NULL, &message, 1, NULL, kurir_test_store_result, &slot);
  ids = kurir_store_add_batch_finish (store, kurir_test_wait (&slot), &error);
  g_clear_object (&slot);
  g_assert_no_error (error);
  g_assert_cmpuint (ids->len, ==, 1);

  kurir_store_list_async (store, NULL, NULL, 0, 10, NULL, kurir_test_store_result, &slot);
  page = kurir_store_list_finish (store, kurir_test_wait (&slot), &error);
  g_clear_object (&slot);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 1);
  g_assert_cmpstr (kurir_message_get_backend_key (g_ptr_array_index (page, 0)), ==, "7");

  kurir_store_count_async (store, "a", NULL, NULL, kurir_test_store_result, &slot);
  g_assert_cmpint (kurir_store_count_finish (store, kurir_test_wait (&slot), &error), ==, 1);
  g_clear_object (&slot);
  g_assert_no_error (error);

  kurir_store_set_flags_async (store, g_array_index (ids, gint64, 0), KURIR_MESSAGE_FLAG_SEEN, 0,
                               NULL, kurir_test_store_result, &slot);
  g_assert_true (kurir_store_change_finish (store, kurir_test_wait (&slot), &error));
  g_clear_object (&slot);
  g_assert_no_error (error);
}

static void
test_deleted_keys (void)
{
  g_autoptr(KurirStore) store = open_store ();
  g_autoptr(GHashTable) keys = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) one = make_numbered (1);
  g_autoptr(GBytes) two = make_numbered (2);
  g_autoptr(GBytes) three = make_numbered (3);
  const char *forget[] = { "uidl-2", NULL };
  KurirStoreKeyInfo *info;
  gint64 id2;

  add (store, "pop", NULL, one, "uidl-1", 0);
  id2 = add (store, "pop", NULL, two, "uidl-2", 0);
  add (store, "pop", "Archive", three, "uidl-3", 0);
  add (store, "other", NULL, one, "uidl-9", 0);

  /* Every key of the account, in any folder; none of another account's. */
  keys = kurir_store_get_account_keys (store, "pop", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (keys), ==, 3);
  info = g_hash_table_lookup (keys, "uidl-3");
  g_assert_nonnull (info);
  g_assert_cmpstr (info->folder, ==, "Archive");
  g_assert_cmpint (info->deleted, ==, 0);
  g_assert_cmpint (info->received, >, 0);
  g_clear_pointer (&keys, g_hash_table_unref);

  /* A message deleted here leaves its key behind, with its times. */
  g_assert_true (kurir_store_delete (store, id2, &error));
  g_assert_no_error (error);
  keys = kurir_store_get_account_keys (store, "pop", &error);
  g_assert_cmpuint (g_hash_table_size (keys), ==, 3);
  info = g_hash_table_lookup (keys, "uidl-2");
  g_assert_nonnull (info);
  g_assert_cmpint (info->deleted, >, 0);
  g_assert_cmpint (info->received, >, 0);
  g_assert_cmpstr (info->folder, ==, "INBOX");
  g_clear_pointer (&keys, g_hash_table_unref);

  /* It survives reopening, and goes once forgotten. */
  g_clear_object (&store);
  store = open_store ();
  keys = kurir_store_get_account_keys (store, "pop", &error);
  g_assert_true (g_hash_table_contains (keys, "uidl-2"));
  g_clear_pointer (&keys, g_hash_table_unref);
  g_assert_true (kurir_store_forget_deleted_keys (store, "pop", forget, &error));
  g_assert_no_error (error);
  keys = kurir_store_get_account_keys (store, "pop", &error);
  g_assert_false (g_hash_table_contains (keys, "uidl-2"));
  g_assert_cmpuint (g_hash_table_size (keys), ==, 2);
}

static void
test_maildir_names (void)
{
  const char *names[] = { "INBOX", "Sent Items", "a/b", "..", ".x", "%", "50%", "x.", "\xc3\xa9", "~" };
  const char *keys[] = { "123", "uidl.with-dots_", "a/b:c,d", "\xff\x01 space", NULL };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *encoded = kurir_maildir_encode_name (names[i]);
      g_autofree char *decoded = kurir_maildir_decode_name (encoded);

      g_assert_null (strchr (encoded, '/'));
      g_assert_true (encoded[0] != '.');
      g_assert_cmpstr (decoded, ==, names[i]);
    }
  g_assert_null (kurir_maildir_decode_name (".."));
  g_assert_null (kurir_maildir_decode_name ("a/b"));
  g_assert_null (kurir_maildir_decode_name ("%00"));

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_autofree char *uniq = kurir_maildir_new_uniq (1700000000, 1234, keys[i]);
      g_autofree char *name = kurir_maildir_filename (uniq, KURIR_MESSAGE_FLAG_SEEN | KURIR_MESSAGE_FLAG_DRAFT);
      g_autofree char *parsed_uniq = NULL;
      g_autofree char *parsed_key = NULL;
      KurirMessageFlags flags;
      gint64 received;

      g_assert_null (strchr (uniq, '/'));
      g_assert_null (strchr (uniq, ':'));
      g_assert_true (g_str_has_suffix (name, ":2,DS"));
      g_assert_true (kurir_maildir_parse_filename (name, &parsed_uniq, &flags, &parsed_key, &received));
      g_assert_cmpstr (parsed_uniq, ==, uniq);
      g_assert_cmpstr (parsed_key, ==, keys[i]);
      g_assert_cmpint (flags, ==, KURIR_MESSAGE_FLAG_SEEN | KURIR_MESSAGE_FLAG_DRAFT);
      g_assert_cmpint (received, ==, 1700000000);
    }
}

int
main (int    argc,
      char **argv)
{
  if (argc >= 6 && strcmp (argv[1], "--child-write") == 0)
    return child_write (argv[2], argv[3], (guint) atoi (argv[4]), (guint) atoi (argv[5]), argc >= 7);
  if (argc == 3 && strcmp (argv[1], "--child-add-and-die") == 0)
    return child_add_and_die (argv[2]);
  if (argc == 3 && strcmp (argv[1], "--child-hold-lock") == 0)
    return child_hold_lock (argv[2]);

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/store/maildir-names", test_maildir_names);
  g_test_add_func ("/store/round-trip", test_round_trip);
  g_test_add_func ("/store/batch-and-keys", test_batch_and_keys);
  g_test_add_func ("/store/prepared-batch", test_prepared_batch);
  g_test_add_func ("/store/reindex", test_reindex);
  g_test_add_func ("/store/threads", test_threads);
  g_test_add_func ("/store/search", test_search);
  g_test_add_func ("/store/unsafe-names", test_unsafe_names);
  g_test_add_func ("/store/unified-paging", test_unified_paging);
  g_test_add_func ("/store/import-export", test_import_export);
  g_test_add_func ("/store/crash", test_crash);
  g_test_add_func ("/store/fts-deferred", test_fts_deferred);
  g_test_add_func ("/store/fts-crash", test_fts_crash);
  g_test_add_func ("/store/two-processes", test_two_processes);
  g_test_add_func ("/store/async", test_async);
  g_test_add_func ("/store/deleted-keys", test_deleted_keys);

  return g_test_run ();
}
