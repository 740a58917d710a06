/* kurir-store-threads.c: the index grouped by conversation
 *
 * The store's own connection is private to kurir-store.c; these reads open
 * a second, read-only one on the same index file (WAL mode lets it read
 * while the store writes) and take the message rows themselves from
 * kurir_store_get_message(), so the column layout stays the store's.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-store"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <sqlite3.h>
#include <string.h>

#include "kurir-store-threads.h"

#define INDEX_NAME      "index.sqlite"
#define BUSY_TIMEOUT_MS 10000
#define SENDER_MARK     "\x1e"   /* before each sender in group_concat() */

typedef struct
{
  GMutex   mutex;
  sqlite3 *db;
  /* The order of the threads of the last scope asked for, kept while
   * nobody writes to the index (PRAGMA data_version): a page is then a
   * slice of it, and only its own rows are read. It is read lazily: the
   * scope's messages newest first, in chunks, each thread taking its
   * place at its newest message; a chunk goes on from the last message
   * read (keyset), so the first page reads a few hundred rows, not the
   * folder, and only a count (or a page far down) reads to the end. */
  char       *order_scope;
  gint64      order_version;
  GArray     *order;       /* thread ids (gint64), newest conversation first */
  GHashTable *seen;        /* thread ids in order */
  gint64      walk_date;   /* the last message read: (date, id) */
  gint64      walk_id;
  guint       walk_chunk;  /* rows the next chunk reads */
  gboolean    walk_done;   /* the order is complete */
} Reader;

/* The scope: ?1 account, ?2 folder. */
#define SCOPE_UNIFIED "m.in_inbox = 1"
#define SCOPE_FOLDER  "m.folder_id = (SELECT id FROM folders WHERE account = ?1 AND name = ?2)"
#define SCOPE_NAME    "m.folder_id IN (SELECT id FROM folders WHERE name = ?2)"

/* The scope's messages after (?3 date, ?4 id), newest first, ?5 of them:
 * a range of the date indexes (messages_folder_date, messages_inbox_date,
 * messages_date), so a chunk costs its own rows whatever the folder's
 * size. A thread's place is that of its newest message. */
#define SQL_WALK(scope) \
  "SELECT m.thread_id, m.date, m.id FROM messages m WHERE " scope \
  " AND (m.date, m.id) < (?3, ?4) ORDER BY m.date DESC, m.id DESC LIMIT ?5"
#define WALK_FIRST_CHUNK 512
#define WALK_MAX_CHUNK   16384
/* The rows of one page's threads, by the thread index; the newest message
 * of each thread is the bare column beside max(). The ids are listed
 * after the IN. */
#define SQL_PAGE(scope) \
  "SELECT m.id, m.thread_id, max(m.date), count(*), sum((m.flags & 1) = 0), " \
  "group_concat(DISTINCT '" SENDER_MARK "' || m.sender) " \
  "FROM messages m INDEXED BY messages_thread WHERE " scope " AND m.thread_id IN "
#define SQL_THREAD(scope) \
  "SELECT m.id FROM messages m WHERE m.thread_id = ?3 AND " scope " ORDER BY m.date, m.id"

typedef struct
{
  char   *account;
  char   *folder;
  guint   offset;
  guint   limit;
  gint64  thread_id;
} Op;

static void
reader_free (gpointer data)
{
  Reader *reader = data;

  if (reader->db != NULL)
    sqlite3_close_v2 (reader->db);
  g_free (reader->order_scope);
  g_clear_pointer (&reader->order, g_array_unref);
  g_clear_pointer (&reader->seen, g_hash_table_unref);
  g_mutex_clear (&reader->mutex);
  g_free (reader);
}

static void
op_free (Op *op)
{
  g_free (op->account);
  g_free (op->folder);
  g_free (op);
}

static void
set_error (sqlite3     *db,
           GError     **error,
           int          rc)
{
  g_set_error (error, KURIR_STORE_ERROR,
               rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? KURIR_STORE_ERROR_BUSY :
               rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB ? KURIR_STORE_ERROR_CORRUPT :
               KURIR_STORE_ERROR_IO,
               _("could not read the conversations of the mail index: %s"),
               db ? sqlite3_errmsg (db) : sqlite3_errstr (rc));
}

/* Returns the store's reader, locked; NULL with @error when the index
 * cannot be opened. */
static Reader *
lock_reader (KurirStore  *store,
             GError     **error)
{
  static GMutex attach_mutex;
  Reader *reader;

  g_mutex_lock (&attach_mutex);
  reader = g_object_get_data (G_OBJECT (store), "kurir-store-thread-reader");
  if (reader == NULL)
    {
      reader = g_new0 (Reader, 1);
      g_mutex_init (&reader->mutex);
      g_object_set_data_full (G_OBJECT (store), "kurir-store-thread-reader", reader, reader_free);
    }
  g_mutex_unlock (&attach_mutex);

  g_mutex_lock (&reader->mutex);
  if (reader->db == NULL)
    {
      g_autofree char *path = g_build_filename (kurir_store_get_path (store), INDEX_NAME, NULL);
      int rc = sqlite3_open_v2 (path, &reader->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);

      if (rc != SQLITE_OK)
        {
          set_error (reader->db, error, rc);
          g_clear_pointer (&reader->db, sqlite3_close_v2);
          g_mutex_unlock (&reader->mutex);
          return NULL;
        }
      sqlite3_busy_timeout (reader->db, BUSY_TIMEOUT_MS);
    }
  return reader;
}

static const char *
pick_sql (const char *account,
          const char *folder,
          const char *unified,
          const char *in_folder,
          const char *by_name)
{
  if (account == NULL && folder == NULL)
    return unified;
  if (account != NULL)
    return in_folder;
  return by_name;
}

static sqlite3_stmt *
prepare_scoped (Reader      *reader,
                const char  *sql,
                const char  *account,
                const char  *folder,
                GError     **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v3 (reader->db, sql, -1, 0, &stmt, NULL);

  if (rc != SQLITE_OK)
    {
      set_error (reader->db, error, rc);
      return NULL;
    }
  /* A parameter the scope does not use is no error to SQLite: ignored. */
  if (account != NULL)
    sqlite3_bind_text (stmt, 1, account, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, folder ? folder : KURIR_STORE_INBOX, -1, SQLITE_TRANSIENT);
  return stmt;
}

static gint64
data_version (Reader *reader)
{
  sqlite3_stmt *stmt = NULL;
  gint64 version = -1;

  if (sqlite3_prepare_v2 (reader->db, "PRAGMA data_version", -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    version = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return version;
}

static void
reset_order (Reader     *reader,
             char       *scope,
             gint64      version)
{
  g_clear_pointer (&reader->order, g_array_unref);
  g_clear_pointer (&reader->seen, g_hash_table_unref);
  g_free (reader->order_scope);
  reader->order_scope = scope;
  reader->order_version = version;
  reader->order = g_array_new (FALSE, FALSE, sizeof (gint64));
  /* Thread ids as the keys themselves where a pointer holds them: no
   * allocation per thread (62,000 at 100,000 messages). */
#if GLIB_SIZEOF_VOID_P >= 8
  reader->seen = g_hash_table_new (NULL, NULL);
#else
  reader->seen = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
#endif
  reader->walk_date = G_MAXINT64;
  reader->walk_id = G_MAXINT64;
  reader->walk_chunk = WALK_FIRST_CHUNK;
  reader->walk_done = FALSE;
}

/* Reads the next chunk of the scope's messages into the order. */
static gboolean
walk_chunk (Reader      *reader,
            const char  *account,
            const char  *folder,
            GError     **error)
{
  sqlite3_stmt *stmt;
  guint n = 0;
  int rc;

  stmt = prepare_scoped (reader, pick_sql (account, folder, SQL_WALK (SCOPE_UNIFIED),
                                           SQL_WALK (SCOPE_FOLDER), SQL_WALK (SCOPE_NAME)),
                         account, folder, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 3, reader->walk_date);
  sqlite3_bind_int64 (stmt, 4, reader->walk_id);
  sqlite3_bind_int64 (stmt, 5, reader->walk_chunk);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 thread_id = sqlite3_column_int64 (stmt, 0);

      n++;
      reader->walk_date = sqlite3_column_int64 (stmt, 1);
      reader->walk_id = sqlite3_column_int64 (stmt, 2);
#if GLIB_SIZEOF_VOID_P >= 8
      gpointer key = (gpointer) (gintptr) thread_id;
#else
      gpointer key = &thread_id;
#endif

      if (!g_hash_table_contains (reader->seen, key))
        {
#if GLIB_SIZEOF_VOID_P >= 8
          g_hash_table_add (reader->seen, key);
#else
          g_hash_table_add (reader->seen, g_memdup2 (&thread_id, sizeof thread_id));
#endif
          g_array_append_val (reader->order, thread_id);
        }
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      set_error (reader->db, error, rc);
      return FALSE;
    }
  if (n < reader->walk_chunk)
    {
      /* Complete: the set is needed no more. */
      reader->walk_done = TRUE;
      g_clear_pointer (&reader->seen, g_hash_table_unref);
    }
  reader->walk_chunk = MIN (reader->walk_chunk * 2, WALK_MAX_CHUNK);
  return TRUE;
}

/* The thread order of the scope, its first @want threads at least (all of
 * them for G_MAXUINT), read again from the start when the index changed. */
static gboolean
ensure_order (Reader      *reader,
              const char  *account,
              const char  *folder,
              guint        want,
              GError     **error)
{
  g_autofree char *scope = g_strdup_printf ("%c%s\x1f%c%s", account ? 'a' : '-', account ? account : "",
                                            folder ? 'f' : '-', folder ? folder : "");
  gboolean ok = TRUE;
  gint64 version;

  /* The chunks of one call read one snapshot of the index. */
  sqlite3_exec (reader->db, "BEGIN", NULL, NULL, NULL);
  version = data_version (reader);
  if (reader->order == NULL || version < 0 || version != reader->order_version ||
      g_strcmp0 (scope, reader->order_scope) != 0)
    reset_order (reader, g_steal_pointer (&scope), version);

  while (ok && !reader->walk_done && reader->order->len < want)
    ok = walk_chunk (reader, account, folder, error);
  sqlite3_exec (reader->db, "COMMIT", NULL, NULL, NULL);
  if (!ok)
    {
      /* Read it again from the start next time. */
      g_clear_pointer (&reader->order, g_array_unref);
      g_clear_pointer (&reader->seen, g_hash_table_unref);
    }
  return ok;
}

static char **
split_senders (const char *text)
{
  g_auto(GStrv) parts = NULL;
  g_autoptr(GPtrArray) senders = g_ptr_array_new_with_free_func (g_free);

  if (text == NULL)
    return g_new0 (char *, 1);
  parts = g_strsplit (text, SENDER_MARK, -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      gsize len = strlen (parts[i]);

      /* group_concat() put a comma between the values. */
      if (parts[i + 1] != NULL && len > 0 && parts[i][len - 1] == ',')
        parts[i][len - 1] = '\0';
      if (*parts[i] != '\0')
        g_ptr_array_add (senders, g_strdup (parts[i]));
    }
  g_ptr_array_add (senders, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&senders), FALSE);
}

static void
task_run (KurirStore          *store,
          Op                  *op,
          gpointer             source_tag,
          GTaskThreadFunc      func,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (store, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, op, (GDestroyNotify) op_free);
  g_task_set_return_on_cancel (task, TRUE);
  g_task_run_in_thread (task, func);
}

static void
list_threads_thread (GTask        *task,
                     gpointer      source,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  Op *op = task_data;
  GError *error = NULL;
  GPtrArray *threads = kurir_store_list_threads (source, op->account, op->folder,
                                                 op->offset, op->limit, &error);

  if (threads == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, threads, (GDestroyNotify) g_ptr_array_unref);
}

static void
count_threads_thread (GTask        *task,
                      gpointer      source,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  Op *op = task_data;
  GError *error = NULL;
  gint64 n = kurir_store_count_threads (source, op->account, op->folder, &error);

  if (n < 0)
    g_task_return_error (task, error);
  else
    g_task_return_int (task, n);
}

static void
get_thread_in_thread (GTask        *task,
                      gpointer      source,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  Op *op = task_data;
  GError *error = NULL;
  GPtrArray *messages = kurir_store_get_thread_in (source, op->thread_id, op->account,
                                                   op->folder, &error);

  if (messages == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, messages, (GDestroyNotify) g_ptr_array_unref);
}

/* Public API */

KurirStoreThread *
kurir_store_thread_copy (const KurirStoreThread *thread)
{
  KurirStoreThread *copy;

  g_return_val_if_fail (thread != NULL, NULL);

  copy = g_new0 (KurirStoreThread, 1);
  copy->thread_id = thread->thread_id;
  copy->newest = thread->newest ? g_object_ref (thread->newest) : NULL;
  copy->n_messages = thread->n_messages;
  copy->n_unread = thread->n_unread;
  copy->senders = g_strdupv (thread->senders);
  return copy;
}

void
kurir_store_thread_free (KurirStoreThread *thread)
{
  if (thread == NULL)
    return;
  g_clear_object (&thread->newest);
  g_strfreev (thread->senders);
  g_free (thread);
}

GPtrArray *
kurir_store_list_threads (KurirStore  *store,
                          const char  *account,
                          const char  *folder,
                          guint        offset,
                          guint        limit,
                          GError     **error)
{
  g_autoptr(GPtrArray) threads = g_ptr_array_new_with_free_func ((GDestroyNotify) kurir_store_thread_free);
  g_autoptr(GHashTable) by_thread = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autoptr(GArray) slice = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) newest_ids = NULL;
  g_autoptr(GString) sql = NULL;
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func ((GDestroyNotify) kurir_store_thread_free);
  sqlite3_stmt *stmt;
  Reader *reader;
  int rc;

  g_return_val_if_fail (KURIR_IS_STORE (store), NULL);

  reader = lock_reader (store, error);
  if (reader == NULL)
    return NULL;
  if (!ensure_order (reader, account, folder, limit > G_MAXUINT - offset ? G_MAXUINT : offset + limit, error))
    {
      g_mutex_unlock (&reader->mutex);
      return NULL;
    }
  for (guint i = offset; i < reader->order->len && i - offset < limit; i++)
    g_array_append_val (slice, g_array_index (reader->order, gint64, i));
  if (slice->len == 0)
    {
      g_mutex_unlock (&reader->mutex);
      return g_steal_pointer (&threads);
    }

  sql = g_string_new (pick_sql (account, folder, SQL_PAGE (SCOPE_UNIFIED),
                                SQL_PAGE (SCOPE_FOLDER), SQL_PAGE (SCOPE_NAME)));
  for (guint i = 0; i < slice->len; i++)
    g_string_append_printf (sql, "%c%" G_GINT64_FORMAT, i ? ',' : '(', g_array_index (slice, gint64, i));
  g_string_append (sql, ") GROUP BY m.thread_id");
  stmt = prepare_scoped (reader, sql->str, account, folder, error);
  if (stmt == NULL)
    {
      g_mutex_unlock (&reader->mutex);
      return NULL;
    }
  newest_ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      KurirStoreThread *thread = g_new0 (KurirStoreThread, 1);
      gint64 newest;

      thread->thread_id = sqlite3_column_int64 (stmt, 1);
      thread->n_messages = (guint) sqlite3_column_int64 (stmt, 3);
      thread->n_unread = (guint) sqlite3_column_int64 (stmt, 4);
      thread->senders = split_senders ((const char *) sqlite3_column_text (stmt, 5));
      g_ptr_array_add (found, thread);
      newest = sqlite3_column_int64 (stmt, 0);
      g_array_append_val (newest_ids, newest);
      g_hash_table_insert (by_thread, &thread->thread_id, GUINT_TO_POINTER (found->len));
    }
  if (rc != SQLITE_DONE)
    set_error (reader->db, error, rc);
  sqlite3_finalize (stmt);
  g_mutex_unlock (&reader->mutex);
  if (rc != SQLITE_DONE)
    return NULL;

  /* In the order's order; the rows themselves through the store, with the
   * same columns as a list. A thread gone since is left out. */
  for (guint i = 0; i < slice->len; i++)
    {
      guint index = GPOINTER_TO_UINT (g_hash_table_lookup (by_thread, &g_array_index (slice, gint64, i)));
      g_autoptr(GError) local_error = NULL;
      KurirStoreThread *thread;

      if (index == 0)
        continue;
      thread = g_steal_pointer (&found->pdata[index - 1]);
      thread->newest = kurir_store_get_message (store, g_array_index (newest_ids, gint64, index - 1), &local_error);
      if (thread->newest == NULL)
        {
          kurir_store_thread_free (thread);
          if (g_error_matches (local_error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_NOT_FOUND))
            continue;
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      g_ptr_array_add (threads, thread);
    }
  return g_steal_pointer (&threads);
}

void
kurir_store_list_threads_async (KurirStore          *store,
                                const char          *account,
                                const char          *folder,
                                guint                offset,
                                guint                limit,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  Op *op = g_new0 (Op, 1);

  g_return_if_fail (KURIR_IS_STORE (store));

  op->account = g_strdup (account);
  op->folder = g_strdup (folder);
  op->offset = offset;
  op->limit = limit;
  task_run (store, op, kurir_store_list_threads_async, list_threads_thread,
            cancellable, callback, user_data);
}

GPtrArray *
kurir_store_list_threads_finish (KurirStore    *store,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, store), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

gint64
kurir_store_count_threads (KurirStore  *store,
                           const char  *account,
                           const char  *folder,
                           GError     **error)
{
  Reader *reader;
  gint64 n = -1;

  g_return_val_if_fail (KURIR_IS_STORE (store), -1);

  reader = lock_reader (store, error);
  if (reader == NULL)
    return -1;
  if (ensure_order (reader, account, folder, G_MAXUINT, error))
    n = reader->order->len;
  g_mutex_unlock (&reader->mutex);
  return n;
}

void
kurir_store_count_threads_async (KurirStore          *store,
                                 const char          *account,
                                 const char          *folder,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  Op *op = g_new0 (Op, 1);

  g_return_if_fail (KURIR_IS_STORE (store));

  op->account = g_strdup (account);
  op->folder = g_strdup (folder);
  task_run (store, op, kurir_store_count_threads_async, count_threads_thread,
            cancellable, callback, user_data);
}

gint64
kurir_store_count_threads_finish (KurirStore    *store,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, store), -1);
  return g_task_propagate_int (G_TASK (result), error);
}

GPtrArray *
kurir_store_get_thread_in (KurirStore  *store,
                           gint64       thread_id,
                           const char  *account,
                           const char  *folder,
                           GError     **error)
{
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  sqlite3_stmt *stmt;
  Reader *reader;
  int rc;

  g_return_val_if_fail (KURIR_IS_STORE (store), NULL);

  reader = lock_reader (store, error);
  if (reader == NULL)
    return NULL;
  stmt = prepare_scoped (reader, pick_sql (account, folder, SQL_THREAD (SCOPE_UNIFIED),
                                           SQL_THREAD (SCOPE_FOLDER), SQL_THREAD (SCOPE_NAME)),
                         account, folder, error);
  if (stmt == NULL)
    {
      g_mutex_unlock (&reader->mutex);
      return NULL;
    }
  sqlite3_bind_int64 (stmt, 3, thread_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      g_array_append_val (ids, id);
    }
  if (rc != SQLITE_DONE)
    set_error (reader->db, error, rc);
  sqlite3_finalize (stmt);
  g_mutex_unlock (&reader->mutex);
  if (rc != SQLITE_DONE)
    return NULL;

  for (guint i = 0; i < ids->len; i++)
    {
      g_autoptr(GError) local_error = NULL;
      KurirMessage *message = kurir_store_get_message (store, g_array_index (ids, gint64, i), &local_error);

      if (message != NULL)
        g_ptr_array_add (messages, message);
      else if (!g_error_matches (local_error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
    }
  return g_steal_pointer (&messages);
}

void
kurir_store_get_thread_in_async (KurirStore          *store,
                                 gint64               thread_id,
                                 const char          *account,
                                 const char          *folder,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  Op *op = g_new0 (Op, 1);

  g_return_if_fail (KURIR_IS_STORE (store));

  op->thread_id = thread_id;
  op->account = g_strdup (account);
  op->folder = g_strdup (folder);
  task_run (store, op, kurir_store_get_thread_in_async, get_thread_in_thread,
            cancellable, callback, user_data);
}

GPtrArray *
kurir_store_get_thread_in_finish (KurirStore    *store,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, store), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
