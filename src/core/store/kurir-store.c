/* kurir-store.c: the local mail store: Maildir files and one SQLite index
 *
 * Durability, as isync does it: a message is written into tmp/, flushed
 * (fdatasync for one message, one syncfs() for a batch), renamed into cur/,
 * cur/ is flushed, and only then is the index row committed. Changes to a
 * message (flags, move, delete) change the file first, then the row.
 *
 * Crashes: a writer holds the account's lock file (flock) and leaves a
 * marker (.kurir-writing) beside it while it works. Whoever next finds the
 * marker with the lock free reconciles that account: files left in tmp/
 * are removed (never renamed, so never complete), files without a row are
 * indexed (their backend key and flags are in the file name), rows without
 * a file are dropped. So a crash leaves a message absent or complete and
 * indexed once, and a backend sees its key and does not fetch it again.
 *
 * Partial messages (an IMAP summary: the header only) have no file: their
 * header is a row of message_headers (sql/version-005.sql), committed with
 * the message's row; completing one writes its file as above and drops
 * that row in the transaction that updates the message's.
 *
 * Full-text rows are contentless and keyed by messages.id, which is never
 * reused; rows of deleted messages stay until a full reindex and never
 * match, because searches join with messages.
 *
 * Full-text rows are not on the durable path: a batch commits its rows
 * with their ids in fts_pending, and the writer indexes them later in one
 * larger transaction (fts_queue_add()); searches and kurir_store_open()
 * index whatever is still pending, from the files when no queue has it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-store"

#include "config.h"

#include <inttypes.h>

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "kurir-maildir.h"
#include "kurir-mbox.h"
#include "kurir-message-info.h"
#include "kurir-message-private.h"
#include "kurir-mime.h"
#include "kurir-store.h"
#include "kurir-store-private.h"
#include "kurir-store-query.h"

#define INDEX_NAME       "index.sqlite"
#define MAIL_DIR_NAME    "mail"
#define LOCK_NAME        ".kurir-lock"
#define MARKER_NAME      ".kurir-writing"
#define DAMAGED_SUFFIX   ".damaged"
#define SCHEMA_VERSION   6
#define BUSY_TIMEOUT_MS  10000
#define LOCK_POLL_MS     10
#define MAX_NAME_LENGTH  1000
#define MAX_REFERENCES   100
#define REINDEX_TXN_SIZE 1000
#define IMPORT_BATCH_MESSAGES 1000
#define IMPORT_BATCH_BYTES    (24 * 1024 * 1024)
/* Full-text rows waiting (in memory, their ids in fts_pending) before the
 * writer indexes them in one transaction. */
#define FTS_QUEUE_MAX_MESSAGES 2000
#define FTS_QUEUE_MAX_BYTES    (8 * 1024 * 1024)

struct _KurirStore
{
  GObject     parent_instance;

  char       *path;
  char       *mail_dir;
  char       *index_path;
  sqlite3    *db;
  GHashTable *statements;   /* SQL text → sqlite3_stmt */
  GRecMutex   mutex;
  GPtrArray  *fts_queue;    /* FtsEntry: committed rows not yet indexed */
  gsize       fts_queue_bytes;
};

/* The full-text row of a message whose row is committed and whose id is
 * in fts_pending. */
typedef struct
{
  gint64  id;
  char   *subject;
  char   *sender;
  char   *recipients;
  char   *body;
  char   *names;
} FtsEntry;

/* A message on its way in. */
typedef struct
{
  GBytes            *data;
  char              *key;
  KurirMessageFlags  flags;
  gint64             received;
  KurirMessageInfo  *info;
  char              *hash;
  char              *uniq;
  char              *filename;
  char              *tmp_path;
  char              *cur_path;
  gint64             full_size;   /* a partial message's size on the server, else 0 */
  gboolean           in_index;    /* partial, its header kept in message_headers: no file */
} Pending;

/* An account's write lock. */
typedef struct
{
  int       fd;
  char     *account_dir;
  gboolean  reconciled;   /* a crashed writer's work was put right on taking it */
} AccountLock;

G_DEFINE_TYPE (KurirStore, kurir_store, G_TYPE_OBJECT)

G_DEFINE_QUARK (kurir-store-error-quark, kurir_store_error)

static gboolean reconcile_account (KurirStore  *self,
                                   const char  *account,
                                   gboolean     reparse,
                                   GError     **error);

/* Helpers: SQLite */

static void
set_db_error (KurirStore  *self,
              GError     **error,
              int          rc,
              const char  *what)
{
  int code = KURIR_STORE_ERROR_IO;

  if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
    code = KURIR_STORE_ERROR_BUSY;
  else if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB)
    {
      g_autofree char *flag = g_strconcat (self->index_path, DAMAGED_SUFFIX, NULL);

      /* The next kurir_store_open() rebuilds the index from the files. */
      g_file_set_contents (flag, "", 0, NULL);
      g_set_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_CORRUPT,
                   _("the mail index %s is damaged (%s); it is rebuilt from the mail files "
                     "the next time Kurir starts, or now with “kurir-cli reindex”"),
                   self->index_path, self->db ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
      return;
    }
  else if (rc == SQLITE_FULL)
    {
      g_set_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_IO,
                   _("the disk is full: could not %s the mail index"), what);
      return;
    }
  g_set_error (error, KURIR_STORE_ERROR, code, _("could not %s the mail index (%s): %s"),
               what, self->index_path, self->db ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
}

static gboolean
exec (KurirStore  *self,
      const char  *sql,
      GError     **error)
{
  int rc = sqlite3_exec (self->db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    {
      set_db_error (self, error, rc, _("update"));
      return FALSE;
    }
  return TRUE;
}

/* Returns a cached, reset statement for @sql (a string literal). */
static sqlite3_stmt *
prepare (KurirStore  *self,
         const char  *sql,
         GError     **error)
{
  sqlite3_stmt *stmt = g_hash_table_lookup (self->statements, sql);
  int rc;

  if (stmt != NULL)
    {
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
      return stmt;
    }

  rc = sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      set_db_error (self, error, rc, _("read"));
      return NULL;
    }
  g_hash_table_insert (self->statements, (gpointer) sql, stmt);
  return stmt;
}

static void
bind_text (sqlite3_stmt *stmt,
           int           index,
           const char   *text)
{
  if (text != NULL)
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, index);
}

static gboolean
step_done (KurirStore    *self,
           sqlite3_stmt  *stmt,
           GError       **error)
{
  int rc = sqlite3_step (stmt);

  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    {
      set_db_error (self, error, rc, _("update"));
      return FALSE;
    }
  return TRUE;
}

static char *
column_strdup (sqlite3_stmt *stmt,
               int           column)
{
  const char *text = (const char *) sqlite3_column_text (stmt, column);

  return text ? g_strdup (text) : NULL;
}

static KurirMessage *
message_from_row (sqlite3_stmt *stmt)
{
  KurirMessage *message = kurir_message_new_empty ();
  const char *names;

  message->id = sqlite3_column_int64 (stmt, 0);
  message->account = column_strdup (stmt, 1);
  message->folder = column_strdup (stmt, 2);
  message->message_id = column_strdup (stmt, 3);
  message->in_reply_to = column_strdup (stmt, 4);
  message->date = sqlite3_column_int64 (stmt, 5);
  message->received = sqlite3_column_int64 (stmt, 6);
  message->from = column_strdup (stmt, 7);
  message->to = column_strdup (stmt, 8);
  message->cc = column_strdup (stmt, 9);
  message->subject = column_strdup (stmt, 10);
  message->flags = sqlite3_column_int (stmt, 11) & KURIR_MESSAGE_FLAGS_ALL;
  message->size = sqlite3_column_int64 (stmt, 12);
  message->n_attachments = sqlite3_column_int (stmt, 13);
  names = (const char *) sqlite3_column_text (stmt, 14);
  message->attachment_names = names && *names ? g_strsplit (names, "\n", -1) : g_new0 (char *, 1);
  message->thread_id = sqlite3_column_int64 (stmt, 15);
  message->preview = column_strdup (stmt, 16);
  message->backend_key = column_strdup (stmt, 17);
  message->filename = column_strdup (stmt, 18);
  message->full_size = sqlite3_column_int64 (stmt, 19);
  if (message->full_size > 0)
    message->flags |= KURIR_MESSAGE_FLAG_PARTIAL;
  return message;
}

static GPtrArray *
collect_messages (KurirStore    *self,
                  sqlite3_stmt  *stmt,
                  GError       **error)
{
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func (g_object_unref);
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (messages, message_from_row (stmt));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      set_db_error (self, error, rc, _("read"));
      return NULL;
    }
  return g_steal_pointer (&messages);
}

static gboolean
begin (KurirStore  *self,
       GError     **error)
{
  return exec (self, "BEGIN IMMEDIATE", error);
}

static gboolean
commit (KurirStore  *self,
        GError     **error)
{
  if (exec (self, "COMMIT", error))
    return TRUE;
  sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
  return FALSE;
}

static void
rollback (KurirStore *self)
{
  if (!sqlite3_get_autocommit (self->db))
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Helpers: names and paths */

static gboolean
check_name (const char  *name,
            const char  *what,
            GError     **error)
{
  if (name == NULL || *name == '\0' || strlen (name) > MAX_NAME_LENGTH ||
      !g_utf8_validate (name, -1, NULL))
    {
      g_set_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_INVALID,
                   _("the %s name is empty, too long or not UTF-8"), what);
      return FALSE;
    }
  return TRUE;
}

static char *
account_dir (KurirStore *self,
             const char *account)
{
  g_autofree char *encoded = kurir_maildir_encode_name (account);

  return g_build_filename (self->mail_dir, encoded, NULL);
}

static char *
folder_path (KurirStore *self,
             const char *account,
             const char *dir)
{
  g_autofree char *encoded = kurir_maildir_encode_name (account);

  return g_build_filename (self->mail_dir, encoded, dir, NULL);
}

/* Helpers: account locks */

static gboolean
account_lock_acquire (KurirStore   *self,
                      const char   *account,
                      gboolean      wait,
                      AccountLock  *lock,
                      GError      **error)
{
  g_autofree char *lock_path = NULL;
  g_autofree char *marker_path = NULL;
  gint64 deadline = g_get_monotonic_time () + KURIR_STORE_LOCK_TIMEOUT_MS * 1000;
  char pid[32];
  int fd;

  lock->fd = -1;
  lock->account_dir = account_dir (self, account);
  if (g_mkdir_with_parents (lock->account_dir, 0700) != 0)
    {
      kurir_maildir_set_io_error (error, errno, _("create the folder"), lock->account_dir);
      g_clear_pointer (&lock->account_dir, g_free);
      return FALSE;
    }

  lock_path = g_build_filename (lock->account_dir, LOCK_NAME, NULL);
  fd = open (lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      kurir_maildir_set_io_error (error, errno, _("open"), lock_path);
      g_clear_pointer (&lock->account_dir, g_free);
      return FALSE;
    }

  while (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      if ((errno != EWOULDBLOCK && errno != EINTR) || !wait ||
          g_get_monotonic_time () >= deadline)
        {
          char holder[32] = "";
          ssize_t n = pread (fd, holder, sizeof holder - 1, 0);

          holder[MAX (n, 0)] = '\0';
          g_strstrip (holder);
          close (fd);
          g_clear_pointer (&lock->account_dir, g_free);
          if (*holder != '\0')
            g_set_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_BUSY,
                         _("account busy: another Kurir program (process %s) is writing "
                           "to its mail; try again when it has finished"), holder);
          else
            g_set_error_literal (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_BUSY,
                                 _("account busy: another Kurir program is writing to its "
                                   "mail; try again when it has finished"));
          return FALSE;
        }
      g_usleep (LOCK_POLL_MS * 1000);
    }

  g_snprintf (pid, sizeof pid, "%d\n", (int) getpid ());
  if (ftruncate (fd, 0) != 0 || pwrite (fd, pid, strlen (pid), 0) < 0)
    g_debug ("Could not note our process id in %s", lock_path);
  lock->fd = fd;

  /* A marker left by a writer that did not finish: put the account right
   * before anything else happens to it. */
  marker_path = g_build_filename (lock->account_dir, MARKER_NAME, NULL);
  if (g_file_test (marker_path, G_FILE_TEST_EXISTS))
    {
      g_autoptr(GError) local_error = NULL;

      g_debug ("Account %s was left mid-write; reconciling it", account);
      if (!reconcile_account (self, account, FALSE, &local_error))
        g_warning ("Could not reconcile account %s: %s", account, local_error->message);
      else
        lock->reconciled = TRUE;
    }
  else
    {
      int marker = open (marker_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

      if (marker < 0)
        {
          kurir_maildir_set_io_error (error, errno, _("create"), marker_path);
          close (fd);
          lock->fd = -1;
          g_clear_pointer (&lock->account_dir, g_free);
          return FALSE;
        }
      close (marker);
      if (!kurir_maildir_fsync_dir (lock->account_dir, error))
        {
          close (fd);
          lock->fd = -1;
          g_clear_pointer (&lock->account_dir, g_free);
          return FALSE;
        }
    }
  return TRUE;
}

static void
account_lock_release (AccountLock *lock)
{
  g_autofree char *marker_path = NULL;

  if (lock->fd < 0)
    return;
  marker_path = g_build_filename (lock->account_dir, MARKER_NAME, NULL);
  g_unlink (marker_path);
  close (lock->fd);
  lock->fd = -1;
  g_clear_pointer (&lock->account_dir, g_free);
}

/* Helpers: folders */

static gboolean
write_folder_name (const char  *path,
                   const char  *name,
                   GError     **error)
{
  g_autofree char *file = g_build_filename (path, KURIR_MAILDIR_NAME_FILE, NULL);
  g_autofree char *existing = NULL;

  if (g_file_get_contents (file, &existing, NULL, NULL) && g_strcmp0 (existing, name) == 0)
    return TRUE;
  g_unlink (file);
  return kurir_maildir_write_file (file, name, strlen (name), TRUE, error) &&
         kurir_maildir_fsync_dir (path, error);
}

/* Looks up a folder; with @create, makes its Maildir and row. Returns its
 * id, or 0 (with @error set when something failed, unset when absent). */
static gint64
lookup_folder (KurirStore  *self,
               const char  *account,
               const char  *name,
               gboolean     create,
               char       **out_dir,
               GError     **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  sqlite3_stmt *stmt;
  gint64 id = 0;

  stmt = prepare (self, "SELECT id, dir FROM folders WHERE account = ? AND name = ?", error);
  if (stmt == NULL)
    return 0;
  bind_text (stmt, 1, account);
  bind_text (stmt, 2, name);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      id = sqlite3_column_int64 (stmt, 0);
      dir = column_strdup (stmt, 1);
    }
  sqlite3_reset (stmt);

  if (id == 0 && !create)
    return 0;

  if (dir == NULL)
    dir = kurir_maildir_encode_name (name);
  path = folder_path (self, account, dir);
  if (create && (!kurir_maildir_ensure (path, error) || !write_folder_name (path, name, error)))
    return 0;

  if (id == 0)
    {
      /* A new folder: its directory entry must last as long as its mail. */
      if (create)
        {
          g_autofree char *parent = g_path_get_dirname (path);

          if (!kurir_maildir_fsync_dir (parent, error) ||
              !kurir_maildir_fsync_dir (self->mail_dir, error))
            return 0;
        }
      stmt = prepare (self,
                      "INSERT INTO folders (account, name, dir, role) VALUES (?, ?, ?, ?)",
                      error);
      if (stmt == NULL)
        return 0;
      bind_text (stmt, 1, account);
      bind_text (stmt, 2, name);
      bind_text (stmt, 3, dir);
      bind_text (stmt, 4, strcmp (name, KURIR_STORE_INBOX) == 0 ? "inbox" : NULL);
      if (!step_done (self, stmt, error))
        return 0;
      id = sqlite3_last_insert_rowid (self->db);
    }

  if (out_dir)
    *out_dir = g_steal_pointer (&dir);
  return id;
}

/* Helpers: pending messages */

static void
pending_clear (Pending *pending)
{
  g_clear_pointer (&pending->data, g_bytes_unref);
  g_clear_pointer (&pending->key, g_free);
  g_clear_pointer (&pending->info, kurir_message_info_free);
  g_clear_pointer (&pending->hash, g_free);
  g_clear_pointer (&pending->uniq, g_free);
  g_clear_pointer (&pending->filename, g_free);
  g_clear_pointer (&pending->tmp_path, g_free);
  g_clear_pointer (&pending->cur_path, g_free);
}

static void
pending_prepare (Pending           *pending,
                 GBytes            *data,
                 const char        *key,
                 KurirMessageFlags  flags,
                 gint64             received)
{
  gsize length;
  const char *bytes = g_bytes_get_data (data, &length);

  pending->data = g_bytes_ref (data);
  pending->key = g_strdup (key);
  pending->flags = flags & KURIR_MESSAGE_FLAGS_ALL;
  pending->received = received > 0 ? received : g_get_real_time () / G_USEC_PER_SEC;
  pending->info = kurir_message_info_new_from_data (bytes ? bytes : "", length);
  pending->hash = g_compute_checksum_for_data (G_CHECKSUM_SHA1, (const guchar *) (bytes ? bytes : ""), length);
}

static char *
join_strv (char       **strv,
           const char  *separator,
           guint        max)
{
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; strv != NULL && strv[i] != NULL && i < max; i++)
    {
      if (out->len > 0)
        g_string_append (out, separator);
      g_string_append (out, strv[i]);
    }
  return out->len > 0 ? g_string_free (g_steal_pointer (&out), FALSE) : NULL;
}

/* The JWZ rule, incrementally: a message joins the conversation of every
 * Message-ID it has or refers to; when those lie in several conversations,
 * they merge into the oldest. */
static gint64
assign_thread (KurirStore        *self,
               KurirMessageInfo  *info,
               GError           **error)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new ();
  g_autoptr(GArray) threads = g_array_new (FALSE, FALSE, sizeof (gint64));
  sqlite3_stmt *stmt;
  gint64 thread = 0;

  if (info->message_id && *info->message_id)
    g_ptr_array_add (ids, info->message_id);
  for (guint i = 0; info->references && info->references[i] && i < MAX_REFERENCES; i++)
    if (*info->references[i])
      g_ptr_array_add (ids, info->references[i]);
  if (info->in_reply_to && *info->in_reply_to)
    g_ptr_array_add (ids, info->in_reply_to);

  for (guint i = 0; i < ids->len; i++)
    {
      stmt = prepare (self, "SELECT thread_id FROM thread_map WHERE message_id = ?", error);
      if (stmt == NULL)
        return 0;
      bind_text (stmt, 1, g_ptr_array_index (ids, i));
      if (sqlite3_step (stmt) == SQLITE_ROW)
        {
          gint64 found = sqlite3_column_int64 (stmt, 0);
          gboolean seen = FALSE;

          for (guint j = 0; j < threads->len; j++)
            seen |= g_array_index (threads, gint64, j) == found;
          if (!seen)
            g_array_append_val (threads, found);
          if (thread == 0 || found < thread)
            thread = found;
        }
      sqlite3_reset (stmt);
    }

  if (thread == 0)
    {
      stmt = prepare (self, "UPDATE meta SET value = value + 1 WHERE key = 'next_thread_id' "
                            "RETURNING value - 1", error);
      if (stmt == NULL)
        return 0;
      if (sqlite3_step (stmt) == SQLITE_ROW)
        thread = sqlite3_column_int64 (stmt, 0);
      sqlite3_reset (stmt);
      if (thread == 0)
        {
          set_db_error (self, error, SQLITE_CORRUPT, _("read"));
          return 0;
        }
    }

  for (guint j = 0; j < threads->len; j++)
    {
      gint64 other = g_array_index (threads, gint64, j);

      if (other == thread)
        continue;
      stmt = prepare (self, "UPDATE messages SET thread_id = ? WHERE thread_id = ?", error);
      if (stmt == NULL)
        return 0;
      sqlite3_bind_int64 (stmt, 1, thread);
      sqlite3_bind_int64 (stmt, 2, other);
      if (!step_done (self, stmt, error))
        return 0;
      stmt = prepare (self, "UPDATE thread_map SET thread_id = ? WHERE thread_id = ?", error);
      if (stmt == NULL)
        return 0;
      sqlite3_bind_int64 (stmt, 1, thread);
      sqlite3_bind_int64 (stmt, 2, other);
      if (!step_done (self, stmt, error))
        return 0;
    }

  for (guint i = 0; i < ids->len; i++)
    {
      stmt = prepare (self, "INSERT OR REPLACE INTO thread_map (message_id, thread_id) VALUES (?, ?)",
                      error);
      if (stmt == NULL)
        return 0;
      bind_text (stmt, 1, g_ptr_array_index (ids, i));
      sqlite3_bind_int64 (stmt, 2, thread);
      if (!step_done (self, stmt, error))
        return 0;
    }
  return thread;
}

static void
fts_entry_free (gpointer data)
{
  FtsEntry *entry = data;

  g_free (entry->subject);
  g_free (entry->sender);
  g_free (entry->recipients);
  g_free (entry->body);
  g_free (entry->names);
  g_free (entry);
}

static gsize
fts_entry_size (FtsEntry *entry)
{
  return sizeof *entry +
         (entry->subject ? strlen (entry->subject) : 0) +
         (entry->sender ? strlen (entry->sender) : 0) +
         (entry->recipients ? strlen (entry->recipients) : 0) +
         (entry->body ? strlen (entry->body) : 0) +
         (entry->names ? strlen (entry->names) : 0);
}

/* The full-text row of message @id, from @info; with @steal, @info's body
 * text moves into it. */
static FtsEntry *
fts_entry_new (gint64            id,
               KurirMessageInfo *info,
               const char       *names,
               gboolean          steal)
{
  FtsEntry *entry = g_new0 (FtsEntry, 1);

  entry->id = id;
  entry->subject = g_strdup (info->subject);
  entry->sender = g_strdup (info->from);
  if (info->to && info->cc)
    entry->recipients = g_strconcat (info->to, "\n", info->cc, NULL);
  else
    entry->recipients = g_strdup (info->to ? info->to : info->cc);
  entry->body = steal ? g_steal_pointer (&info->body_text) : g_strdup (info->body_text);
  entry->names = g_strdup (names);
  return entry;
}

static gboolean
insert_fts_entry (KurirStore  *self,
                  FtsEntry    *entry,
                  GError     **error)
{
  sqlite3_stmt *stmt;

  stmt = prepare (self,
                  "INSERT INTO messages_fts (rowid, subject, sender, recipients, body, attachments) "
                  "VALUES (?, ?, ?, ?, ?, ?)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, entry->id);
  bind_text (stmt, 2, entry->subject);
  bind_text (stmt, 3, entry->sender);
  bind_text (stmt, 4, entry->recipients);
  bind_text (stmt, 5, entry->body);
  bind_text (stmt, 6, entry->names);
  return step_done (self, stmt, error);
}

/* The full-text row of message @id (another one for the same id, when its
 * text changed: the old one never matches what is not there). With
 * @deferred, only its id goes into fts_pending now (in the caller's
 * transaction) and the row into @deferred, for fts_queue_add() once that
 * transaction is committed. */
static gboolean
insert_fts (KurirStore        *self,
            gint64             id,
            KurirMessageInfo  *info,
            const char        *names,
            GPtrArray         *deferred,
            GError           **error)
{
  FtsEntry *entry;
  sqlite3_stmt *stmt;
  gboolean ok;

  if (deferred != NULL)
    {
      stmt = prepare (self, "INSERT OR IGNORE INTO fts_pending (id) VALUES (?)", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, id);
      if (!step_done (self, stmt, error))
        return FALSE;
      g_ptr_array_add (deferred, fts_entry_new (id, info, names, TRUE));
      return TRUE;
    }

  entry = fts_entry_new (id, info, names, FALSE);
  ok = insert_fts_entry (self, entry, error);
  fts_entry_free (entry);
  return ok;
}

/* Indexes what this store queued, in one transaction. The caller holds
 * the mutex and is in no transaction. */
static gboolean
fts_queue_flush (KurirStore  *self,
                 GError     **error)
{
  sqlite3_stmt *stmt;

  if (self->fts_queue->len == 0)
    return TRUE;
  if (!begin (self, error))
    return FALSE;
  for (guint i = 0; i < self->fts_queue->len; i++)
    {
      FtsEntry *entry = g_ptr_array_index (self->fts_queue, i);

      /* Only what is still pending: another process may have indexed it
       * from its file meanwhile, or the message may be gone. */
      stmt = prepare (self, "DELETE FROM fts_pending WHERE id = ?", error);
      if (stmt == NULL)
        goto failed;
      sqlite3_bind_int64 (stmt, 1, entry->id);
      if (!step_done (self, stmt, error))
        goto failed;
      if (sqlite3_changes (self->db) == 0)
        continue;
      if (!insert_fts_entry (self, entry, error))
        goto failed;
    }
  if (!commit (self, error))
    goto failed_committing;
  g_ptr_array_set_size (self->fts_queue, 0);
  self->fts_queue_bytes = 0;
  return TRUE;

failed:
  rollback (self);
failed_committing:
  /* Their ids stay in fts_pending: fts_index_pending() reads them again
   * from their files. */
  g_ptr_array_set_size (self->fts_queue, 0);
  self->fts_queue_bytes = 0;
  return FALSE;
}

/* Takes the rows of a committed transaction; indexes the queue once it is
 * large. A failure here loses nothing (fts_pending keeps the ids). */
static void
fts_queue_add (KurirStore *self,
               GPtrArray  *deferred)
{
  g_autoptr(GError) local_error = NULL;

  for (guint i = 0; i < deferred->len; i++)
    {
      FtsEntry *entry = g_ptr_array_index (deferred, i);

      self->fts_queue_bytes += fts_entry_size (entry);
      g_ptr_array_add (self->fts_queue, entry);
    }
  g_ptr_array_set_free_func (deferred, NULL);
  g_ptr_array_set_size (deferred, 0);
  g_ptr_array_set_free_func (deferred, fts_entry_free);

  if (self->fts_queue->len < FTS_QUEUE_MAX_MESSAGES &&
      self->fts_queue_bytes < FTS_QUEUE_MAX_BYTES)
    return;
  if (!fts_queue_flush (self, &local_error))
    g_warning ("Could not update the full-text index (it is done on the next search or start): %s",
               local_error->message);
}

/* Inserts the row and full-text row of a message whose file is in cur/.
 * Inside a transaction. */
static gint64
insert_row (KurirStore   *self,
            gint64        folder_id,
            gboolean      in_inbox,
            Pending      *pending,
            gint64        id,
            GPtrArray    *deferred,
            GError      **error)
{
  KurirMessageInfo *info = pending->info;
  g_autofree char *refs = join_strv (info->references, " ", MAX_REFERENCES);
  g_autofree char *names = join_strv (info->attachment_names, "\n", G_MAXUINT);
  sqlite3_stmt *stmt;
  gint64 thread;

  thread = assign_thread (self, info, error);
  if (thread == 0)
    return 0;

  stmt = prepare (self,
                  "INSERT INTO messages (id, folder_id, uniq, filename, backend_key, message_id, "
                  "in_reply_to, refs, date, received, sender, recipients, cc, subject, size, "
                  "flags, n_attachments, attachment_names, preview, thread_id, content_hash, "
                  "in_inbox, full_size) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  error);
  if (stmt == NULL)
    return 0;
  if (id != 0)
    sqlite3_bind_int64 (stmt, 1, id);
  else
    sqlite3_bind_null (stmt, 1);
  sqlite3_bind_int64 (stmt, 2, folder_id);
  bind_text (stmt, 3, pending->uniq);
  bind_text (stmt, 4, pending->filename);
  bind_text (stmt, 5, pending->key);
  bind_text (stmt, 6, info->message_id);
  bind_text (stmt, 7, info->in_reply_to);
  bind_text (stmt, 8, refs);
  sqlite3_bind_int64 (stmt, 9, info->date > 0 ? info->date : pending->received);
  sqlite3_bind_int64 (stmt, 10, pending->received);
  bind_text (stmt, 11, info->from);
  bind_text (stmt, 12, info->to);
  bind_text (stmt, 13, info->cc);
  bind_text (stmt, 14, info->subject);
  sqlite3_bind_int64 (stmt, 15, g_bytes_get_size (pending->data));
  sqlite3_bind_int (stmt, 16, pending->flags);
  sqlite3_bind_int (stmt, 17, info->n_attachments);
  bind_text (stmt, 18, names);
  bind_text (stmt, 19, info->preview);
  sqlite3_bind_int64 (stmt, 20, thread);
  bind_text (stmt, 21, pending->hash);
  sqlite3_bind_int (stmt, 22, in_inbox);
  sqlite3_bind_int64 (stmt, 23, pending->full_size);
  if (!step_done (self, stmt, error))
    return 0;
  id = sqlite3_last_insert_rowid (self->db);

  if (pending->in_index)
    {
      gsize length;
      const char *bytes = g_bytes_get_data (pending->data, &length);

      stmt = prepare (self, "INSERT INTO message_headers (id, header) VALUES (?, ?)", error);
      if (stmt == NULL)
        return 0;
      sqlite3_bind_int64 (stmt, 1, id);
      sqlite3_bind_blob64 (stmt, 2, bytes ? bytes : "", length, SQLITE_STATIC);
      if (!step_done (self, stmt, error))
        return 0;
    }

  if (!insert_fts (self, id, info, names, deferred, error))
    return 0;
  return id;
}

static void
remove_files (Pending *items,
              guint    n_items)
{
  for (guint i = 0; i < n_items; i++)
    {
      if (items[i].tmp_path)
        g_unlink (items[i].tmp_path);
      if (items[i].cur_path)
        g_unlink (items[i].cur_path);
    }
}

/* The durable write of a batch; see the top of this file. The caller holds
 * the store's mutex. */
static gboolean
store_pending (KurirStore  *self,
               const char  *account,
               const char  *folder,
               Pending     *items,
               guint        n_items,
               GArray      *out_ids,
               GError     **error)
{
  AccountLock lock = { -1, NULL, FALSE };
  g_autoptr(GPtrArray) deferred = g_ptr_array_new_with_free_func (fts_entry_free);
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *tmp_dir = NULL;
  g_autofree char *cur_dir = NULL;
  gboolean in_inbox = strcmp (folder, KURIR_STORE_INBOX) == 0;
  gboolean single;
  guint n_files = 0;
  gint64 folder_id;
  guint written = 0;

  if (n_items == 0)
    return TRUE;
  for (guint i = 0; i < n_items; i++)
    n_files += items[i].full_size == 0;
  single = n_files == 1;

  if (!account_lock_acquire (self, account, TRUE, &lock, error))
    return FALSE;

  folder_id = lookup_folder (self, account, folder, TRUE, &dir, error);
  if (folder_id == 0)
    goto failed;
  path = folder_path (self, account, dir);
  tmp_dir = g_build_filename (path, "tmp", NULL);
  cur_dir = g_build_filename (path, "cur", NULL);

  /* 1. Every file into tmp/. */
  for (guint i = 0; i < n_items; i++)
    {
      Pending *p = &items[i];
      gsize length;
      const char *bytes = g_bytes_get_data (p->data, &length);

      p->uniq = kurir_maildir_new_uniq (p->received, length, p->key);
      if (p->full_size > 0)
        {
          char *partial = kurir_maildir_uniq_with_sizes (p->uniq, length, p->full_size);

          g_free (p->uniq);
          p->uniq = partial;
        }
      p->filename = kurir_maildir_filename (p->uniq, p->flags);
      if (p->full_size > 0)
        {
          /* Its header goes into the index with its row: no file. */
          p->in_index = TRUE;
          continue;
        }
      p->tmp_path = g_build_filename (tmp_dir, p->uniq, NULL);
      if (!kurir_maildir_write_file (p->tmp_path, bytes ? bytes : "", length, single, error))
        {
          g_clear_pointer (&p->tmp_path, g_free);
          goto failed;
        }
    }

  /* 2. Flushed: one syncfs() for a batch, else each file. */
  if (n_files > 1 && !kurir_maildir_syncfs (tmp_dir))
    for (guint i = 0; i < n_items; i++)
      {
        int fd;

        if (items[i].tmp_path == NULL)
          continue;
        fd = open (items[i].tmp_path, O_RDONLY | O_CLOEXEC);

        if (fd < 0 || fdatasync (fd) != 0)
          {
            int saved_errno = errno;

            if (fd >= 0)
              close (fd);
            kurir_maildir_set_io_error (error, saved_errno, _("flush"), items[i].tmp_path);
            goto failed;
          }
        close (fd);
      }

  /* 3. Renamed into cur/, which is then flushed. */
  for (written = 0; written < n_items; written++)
    {
      Pending *p = &items[written];
      g_autofree char *target = NULL;

      if (p->in_index)
        continue;
      target = g_build_filename (cur_dir, p->filename, NULL);
      if (g_rename (p->tmp_path, target) != 0)
        {
          kurir_maildir_set_io_error (error, errno, _("move into place"), target);
          goto failed;
        }
      g_clear_pointer (&p->tmp_path, g_free);
      p->cur_path = g_steal_pointer (&target);
    }
  if (n_files > 0 && !kurir_maildir_fsync_dir (cur_dir, error))
    goto failed;

  /* 4. Only now the index. */
  if (!begin (self, error))
    goto failed;
  for (guint i = 0; i < n_items; i++)
    {
      gint64 id = insert_row (self, folder_id, in_inbox, &items[i], 0, deferred, error);

      if (id == 0)
        {
          rollback (self);
          goto failed;
        }
      if (out_ids)
        g_array_append_val (out_ids, id);
    }
  if (!commit (self, error))
    goto failed;

  account_lock_release (&lock);
  /* Stored: the full-text rows follow, in a larger transaction. */
  fts_queue_add (self, deferred);
  return TRUE;

failed:
  remove_files (items, n_items);
  if (cur_dir != NULL && n_files > 0)
    kurir_maildir_fsync_dir (cur_dir, NULL);
  if (out_ids)
    g_array_set_size (out_ids, 0);
  account_lock_release (&lock);
  return FALSE;
}

/* Helpers: reconciling files and rows */

static char *
read_folder_name (const char *path,
                  const char *dir_name)
{
  g_autofree char *file = g_build_filename (path, KURIR_MAILDIR_NAME_FILE, NULL);
  char *name = NULL;

  if (g_file_get_contents (file, &name, NULL, NULL) && *name != '\0' &&
      g_utf8_validate (name, -1, NULL))
    return name;
  g_free (name);
  return kurir_maildir_decode_name (dir_name);
}

typedef struct
{
  gint64  id;
  gint64  folder_id;
  char   *filename;
  gboolean seen;
  gboolean stale;   /* its file was replaced (a partial message completed) */
  gboolean in_index;   /* partial, its header in the index: no file to find */
} Row;

static void
row_free (Row *row)
{
  g_free (row->filename);
  g_free (row);
}

/* Brings the index of @account in line with its files: tmp/ emptied, new/
 * moved to cur/, rows for files that have none, rows without a file
 * dropped, flags and folders from the file names. With @reparse, every
 * file's row is rebuilt from its bytes (ids kept). The caller holds the
 * account lock. */
static gboolean
reconcile_account (KurirStore  *self,
                   const char  *account,
                   gboolean     reparse,
                   GError     **error)
{
  g_autofree char *root = account_dir (self, account);
  g_autoptr(GHashTable) rows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                      (GDestroyNotify) row_free);
  /* Stem → uniq of the partial messages without a file. */
  g_autoptr(GHashTable) index_stems = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                             g_free, g_free);
  g_autoptr(GDir) folders = NULL;
  sqlite3_stmt *stmt;
  const char *dir_name;
  guint in_txn = 0;
  int rc;

  folders = g_dir_open (root, 0, NULL);
  if (folders == NULL)
    return TRUE;

  stmt = prepare (self, "SELECT m.uniq, m.id, m.folder_id, m.filename, h.id IS NOT NULL "
                        "FROM messages m JOIN folders f ON f.id = m.folder_id "
                        "LEFT JOIN message_headers h ON h.id = m.id WHERE f.account = ?", error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, account);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      Row *row = g_new0 (Row, 1);
      char *uniq = column_strdup (stmt, 0);

      row->id = sqlite3_column_int64 (stmt, 1);
      row->folder_id = sqlite3_column_int64 (stmt, 2);
      row->filename = column_strdup (stmt, 3);
      row->in_index = sqlite3_column_int (stmt, 4) != 0;
      if (row->in_index && uniq != NULL)
        g_hash_table_replace (index_stems, kurir_maildir_uniq_stem (uniq), g_strdup (uniq));
      g_hash_table_replace (rows, uniq, row);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      set_db_error (self, error, rc, _("read"));
      return FALSE;
    }

  if (!begin (self, error))
    return FALSE;

  while ((dir_name = g_dir_read_name (folders)) != NULL)
    {
      g_autofree char *path = g_build_filename (root, dir_name, NULL);
      g_autofree char *name = NULL;
      g_autofree char *cur = NULL;
      g_autofree char *db_dir = NULL;
      g_autoptr(GDir) files = NULL;
      const char *subdirs[] = { "tmp", "new" };
      const char *filename;
      gint64 folder_id;

      if (*dir_name == '.' || !g_file_test (path, G_FILE_TEST_IS_DIR))
        continue;
      name = read_folder_name (path, dir_name);
      if (name == NULL)
        {
          g_warning ("Skipping %s: not a folder name Kurir made", path);
          continue;
        }
      folder_id = lookup_folder (self, account, name, TRUE, &db_dir, error);
      if (folder_id == 0)
        goto failed;
      if (strcmp (db_dir, dir_name) != 0)
        {
          g_warning ("Skipping %s: folder %s lives in %s", path, name, db_dir);
          continue;
        }
      cur = g_build_filename (path, "cur", NULL);

      /* Files in tmp/ were never complete; files in new/ were delivered by
       * someone else and belong in cur/. */
      for (guint s = 0; s < G_N_ELEMENTS (subdirs); s++)
        {
          g_autofree char *sub = g_build_filename (path, subdirs[s], NULL);
          g_autoptr(GDir) entries = g_dir_open (sub, 0, NULL);
          const char *entry;

          while (entries && (entry = g_dir_read_name (entries)) != NULL)
            {
              g_autofree char *file = g_build_filename (sub, entry, NULL);

              if (s == 0)
                g_unlink (file);
              else if (*entry != '.')
                {
                  g_autofree char *uniq = NULL;
                  g_autofree char *target_name = NULL;
                  g_autofree char *target = NULL;

                  if (!kurir_maildir_parse_filename (entry, &uniq, NULL, NULL, NULL))
                    continue;
                  target_name = kurir_maildir_filename (uniq, 0);
                  target = g_build_filename (cur, target_name, NULL);
                  if (g_rename (file, target) != 0)
                    g_warning ("Could not move %s into cur/: %s", file, g_strerror (errno));
                }
            }
        }

      /* A crash while completing a partial message can leave both files:
       * the complete one wins, and takes over the partial one's row. */
      {
        g_autoptr(GHashTable) complete = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                                g_free, g_free);
        g_autoptr(GPtrArray) partial = g_ptr_array_new_with_free_func (g_free);

        files = g_dir_open (cur, 0, NULL);
        while (files && (filename = g_dir_read_name (files)) != NULL)
          {
            g_autofree char *uniq = NULL;

            if (!kurir_maildir_parse_filename (filename, &uniq, NULL, NULL, NULL))
              continue;
            if (kurir_maildir_uniq_full_size (uniq) > 0)
              g_ptr_array_add (partial, g_strdup (filename));
            else if (strstr (uniq, ",S=") != NULL)
              g_hash_table_insert (complete, kurir_maildir_uniq_stem (uniq), g_strdup (uniq));
          }
        g_clear_pointer (&files, g_dir_close);

        for (guint p = 0; p < partial->len; p++)
          {
            const char *name_p = g_ptr_array_index (partial, p);
            g_autofree char *uniq = NULL;
            g_autofree char *stem = NULL;
            const char *twin;

            kurir_maildir_parse_filename (name_p, &uniq, NULL, NULL, NULL);
            stem = kurir_maildir_uniq_stem (uniq);
            twin = g_hash_table_lookup (complete, stem);
            if (twin != NULL)
              {
                g_autofree char *file = g_build_filename (cur, name_p, NULL);
                gpointer old_key;
                Row *row;

                g_debug ("Removing %s: its message was completed", file);
                g_unlink (file);
                if (g_hash_table_steal_extended (rows, uniq, &old_key, (gpointer *) &row))
                  {
                    g_free (old_key);
                    row->stale = TRUE;
                    if (!g_hash_table_contains (rows, twin))
                      g_hash_table_insert (rows, g_strdup (twin), row);
                    else
                      row_free (row);
                  }
              }
          }
      }

      files = g_dir_open (cur, 0, NULL);
      while (files && (filename = g_dir_read_name (files)) != NULL)
        {
          g_autofree char *uniq = NULL;
          g_autofree char *key = NULL;
          KurirMessageFlags flags;
          gint64 received;
          Row *row;

          if (!kurir_maildir_parse_filename (filename, &uniq, &flags, &key, &received))
            continue;
          row = g_hash_table_lookup (rows, uniq);
          if (row == NULL && strstr (uniq, ",S=") != NULL)
            {
              /* A crash while completing a partial message whose header
               * was in the index: the complete file takes over its row. */
              g_autofree char *stem = kurir_maildir_uniq_stem (uniq);
              const char *partial = g_hash_table_lookup (index_stems, stem);
              gpointer old_key;

              if (partial != NULL &&
                  g_hash_table_steal_extended (rows, partial, &old_key, (gpointer *) &row))
                {
                  g_free (old_key);
                  g_hash_table_remove (index_stems, stem);
                  row->stale = TRUE;
                  row->in_index = FALSE;
                  g_hash_table_insert (rows, g_strdup (uniq), row);
                }
            }
          if (row != NULL && row->seen)
            {
              /* The same message twice (a crash mid-move): keep one. */
              g_autofree char *file = g_build_filename (cur, filename, NULL);

              g_warning ("Removing %s: a second copy of a message", file);
              g_unlink (file);
              continue;
            }

          if (row != NULL && !reparse && !row->stale)
            {
              row->seen = TRUE;
              if (row->folder_id == folder_id && g_strcmp0 (row->filename, filename) == 0)
                continue;
              stmt = prepare (self, "UPDATE messages SET folder_id = ?, filename = ?, flags = ?, "
                                    "in_inbox = ? WHERE id = ?", error);
              if (stmt == NULL)
                goto failed;
              sqlite3_bind_int64 (stmt, 1, folder_id);
              bind_text (stmt, 2, filename);
              sqlite3_bind_int (stmt, 3, flags);
              sqlite3_bind_int (stmt, 4, strcmp (name, KURIR_STORE_INBOX) == 0);
              sqlite3_bind_int64 (stmt, 5, row->id);
              if (!step_done (self, stmt, error))
                goto failed;
            }
          else
            {
              g_autofree char *file = g_build_filename (cur, filename, NULL);
              g_autoptr(GMappedFile) mapped = NULL;
              g_autoptr(GBytes) data = NULL;
              Pending pending = { 0 };
              gint64 id;

              mapped = g_mapped_file_new (file, FALSE, NULL);
              if (mapped == NULL)
                {
                  g_warning ("Could not read %s", file);
                  continue;
                }
              data = g_mapped_file_get_bytes (mapped);
              pending_prepare (&pending, data, key, flags, received);
              pending.full_size = kurir_maildir_uniq_full_size (uniq);
              pending.uniq = g_strdup (uniq);
              pending.filename = g_strdup (filename);

              if (row != NULL)
                {
                  row->seen = TRUE;
                  stmt = prepare (self, "DELETE FROM messages WHERE id = ?", error);
                  if (stmt == NULL)
                    {
                      pending_clear (&pending);
                      goto failed;
                    }
                  sqlite3_bind_int64 (stmt, 1, row->id);
                  if (!step_done (self, stmt, error))
                    {
                      pending_clear (&pending);
                      goto failed;
                    }
                }
              /* A reparsed message keeps its id. */
              id = insert_row (self, folder_id, strcmp (name, KURIR_STORE_INBOX) == 0,
                               &pending, row ? row->id : 0, NULL, error);
              pending_clear (&pending);
              if (id == 0)
                goto failed;

              if (++in_txn >= REINDEX_TXN_SIZE)
                {
                  if (!commit (self, error) || !begin (self, error))
                    return FALSE;
                  in_txn = 0;
                }
            }
        }
    }

  /* Rows whose file is gone. */
  {
    GHashTableIter iter;
    Row *row;

    g_hash_table_iter_init (&iter, rows);
    while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &row))
      {
        if (row->seen || row->in_index)
          continue;
        stmt = prepare (self, "DELETE FROM messages WHERE id = ?", error);
        if (stmt == NULL)
          goto failed;
        sqlite3_bind_int64 (stmt, 1, row->id);
        if (!step_done (self, stmt, error))
          goto failed;
      }
  }

  return commit (self, error);

failed:
  rollback (self);
  return FALSE;
}

/* Helpers: opening */

static GBytes *
load_migration (guint version)
{
  g_autofree char *name = g_strdup_printf ("/io/github/kurir/store/sql/version-%03u.sql", version);
  extern GResource *kurir_store_get_resource (void);

  return g_resource_lookup_data (kurir_store_get_resource (), name,
                                 G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
}

static int
read_user_version (KurirStore *self,
                   int        *out_rc)
{
  sqlite3_stmt *stmt = NULL;
  int version = -1;
  int rc;

  rc = sqlite3_prepare_v2 (self->db, "PRAGMA user_version", -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        {
          version = sqlite3_column_int (stmt, 0);
          rc = SQLITE_OK;
        }
    }
  sqlite3_finalize (stmt);
  *out_rc = rc;
  return version;
}

/* Applies sql/version-NNN.sql above the index's user_version, each in a
 * transaction that checks the version again (another process may be
 * opening the same new index). */
static gboolean
migrate (KurirStore  *self,
         gboolean    *out_fresh,
         GError     **error)
{
  int rc;
  int version = read_user_version (self, &rc);

  if (version < 0)
    {
      set_db_error (self, error, rc == SQLITE_OK || rc == SQLITE_DONE ? SQLITE_CORRUPT : rc, _("read"));
      return FALSE;
    }
  if (version > SCHEMA_VERSION)
    {
      g_set_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_CORRUPT,
                   _("the mail index %s comes from a newer Kurir (schema %d)"),
                   self->index_path, version);
      return FALSE;
    }
  *out_fresh = FALSE;

  while (version < SCHEMA_VERSION)
    {
      g_autoptr(GBytes) sql = NULL;
      g_autofree char *script = NULL;
      g_autofree char *pragma = NULL;

      if (!begin (self, error))
        return FALSE;
      version = read_user_version (self, &rc);
      if (version < 0)
        {
          rollback (self);
          set_db_error (self, error, rc, _("read"));
          return FALSE;
        }
      if (version >= SCHEMA_VERSION)
        {
          rollback (self);
          break;
        }
      if (version == 0)
        *out_fresh = TRUE;
      sql = load_migration (version + 1);
      g_assert (sql != NULL);
      script = g_strndup (g_bytes_get_data (sql, NULL), g_bytes_get_size (sql));
      pragma = g_strdup_printf ("PRAGMA user_version = %d", version + 1);
      if (!exec (self, script, error) || !exec (self, pragma, error))
        {
          rollback (self);
          return FALSE;
        }
      if (!commit (self, error))
        return FALSE;
      version++;
    }
  return TRUE;
}

static void
close_db (KurirStore *self)
{
  g_hash_table_remove_all (self->statements);
  g_clear_pointer (&self->db, sqlite3_close_v2);
}

static gboolean
open_db (KurirStore  *self,
         gboolean    *out_fresh,
         GError     **error)
{
  int rc;

  rc = sqlite3_open_v2 (self->index_path, &self->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
  if (rc != SQLITE_OK)
    {
      set_db_error (self, error, rc, _("open"));
      close_db (self);
      return FALSE;
    }
  sqlite3_busy_timeout (self->db, BUSY_TIMEOUT_MS);
  sqlite3_extended_result_codes (self->db, 0);

  /* Switching to WAL takes an exclusive lock without calling the busy
   * handler: another process opening the same new index at once makes it
   * fail with SQLITE_BUSY, so it is retried here. */
  {
    gint64 deadline = g_get_monotonic_time () + BUSY_TIMEOUT_MS * 1000;

    while ((rc = sqlite3_exec (self->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL)) == SQLITE_BUSY &&
           g_get_monotonic_time () < deadline)
      g_usleep (LOCK_POLL_MS * 1000);
    if (rc != SQLITE_OK)
      {
        set_db_error (self, error, rc, _("update"));
        close_db (self);
        return FALSE;
      }
  }

  if (!exec (self, "PRAGMA synchronous = FULL", error) ||
      !exec (self, "PRAGMA foreign_keys = OFF", error) ||
      !exec (self, "PRAGMA cache_size = -16000", error) ||
      !migrate (self, out_fresh, error))
    {
      close_db (self);
      return FALSE;
    }
  return TRUE;
}

static GPtrArray *
list_account_dirs (KurirStore *self)
{
  GPtrArray *accounts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDir) dir = g_dir_open (self->mail_dir, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (self->mail_dir, name, NULL);
      char *account;

      if (*name == '.' || !g_file_test (path, G_FILE_TEST_IS_DIR))
        continue;
      account = kurir_maildir_decode_name (name);
      if (account != NULL)
        g_ptr_array_add (accounts, account);
    }
  return accounts;
}

static gboolean
reindex_account_locked (KurirStore  *self,
                        const char  *account,
                        gboolean     reparse,
                        gboolean     wait,
                        GError     **error)
{
  AccountLock lock = { -1, NULL, FALSE };
  gboolean ok = TRUE;

  if (!account_lock_acquire (self, account, wait, &lock, error))
    return FALSE;
  if (reparse || !lock.reconciled)
    ok = reconcile_account (self, account, reparse, error);
  account_lock_release (&lock);
  return ok;
}

/* Helpers: reading */

static gboolean
read_message_location (KurirStore  *self,
                       gint64       id,
                       char       **out_account,
                       char       **out_dir,
                       char       **out_filename,
                       char       **out_uniq,
                       KurirMessageFlags *out_flags,
                       GError     **error)
{
  sqlite3_stmt *stmt;
  gboolean found = FALSE;

  stmt = prepare (self, "SELECT f.account, f.dir, m.filename, m.uniq, m.flags FROM messages m "
                        "JOIN folders f ON f.id = m.folder_id WHERE m.id = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      found = TRUE;
      if (out_account)
        *out_account = column_strdup (stmt, 0);
      if (out_dir)
        *out_dir = column_strdup (stmt, 1);
      if (out_filename)
        *out_filename = column_strdup (stmt, 2);
      if (out_uniq)
        *out_uniq = column_strdup (stmt, 3);
      if (out_flags)
        *out_flags = sqlite3_column_int (stmt, 4);
    }
  sqlite3_reset (stmt);
  if (!found)
    g_set_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_NOT_FOUND,
                 _("there is no message %" PRId64), id);
  return found;
}

/* Whether message @id is partial with its header in the index (no file). */
static gboolean
header_in_index (KurirStore *self,
                 gint64      id)
{
  sqlite3_stmt *stmt;
  gboolean found;

  stmt = prepare (self, "SELECT 1 FROM message_headers WHERE id = ?", NULL);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  found = sqlite3_step (stmt) == SQLITE_ROW;
  sqlite3_reset (stmt);
  return found;
}

static GBytes *
read_header_in_index (KurirStore *self,
                      gint64      id)
{
  sqlite3_stmt *stmt;
  GBytes *header = NULL;

  stmt = prepare (self, "SELECT header FROM message_headers WHERE id = ?", NULL);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    header = g_bytes_new (sqlite3_column_blob (stmt, 0), sqlite3_column_bytes (stmt, 0));
  sqlite3_reset (stmt);
  return header;
}

static void
finalize_statement (gpointer stmt)
{
  sqlite3_finalize (stmt);
}

/* Indexes the messages in fts_pending that no queue of this store holds:
 * left by a writer that died, or by another process still at work (whose
 * flush then finds them no longer pending and skips them). Reads them back
 * from their files. The caller holds the mutex. */
static gboolean
fts_index_pending (KurirStore  *self,
                   GError     **error)
{
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  sqlite3_stmt *stmt;
  guint in_txn = 0;

  stmt = prepare (self, "SELECT id FROM fts_pending ORDER BY id", error);
  if (stmt == NULL)
    return FALSE;
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);

      g_array_append_val (ids, id);
    }
  sqlite3_reset (stmt);
  if (ids->len == 0)
    return TRUE;

  g_debug ("Indexing %u messages stored but not yet in the full-text index", ids->len);
  if (!begin (self, error))
    return FALSE;
  for (guint i = 0; i < ids->len; i++)
    {
      gint64 id = g_array_index (ids, gint64, i);
      g_autoptr(GError) local_error = NULL;
      g_autoptr(GBytes) data = NULL;

      /* Only what is still pending (another process may be at it too). */
      stmt = prepare (self, "DELETE FROM fts_pending WHERE id = ?", error);
      if (stmt == NULL)
        goto failed;
      sqlite3_bind_int64 (stmt, 1, id);
      if (!step_done (self, stmt, error))
        goto failed;
      if (sqlite3_changes (self->db) == 0)
        continue;

      data = kurir_store_get_raw (self, id, &local_error);
      if (data != NULL)
        {
          gsize length;
          const char *bytes = g_bytes_get_data (data, &length);
          KurirMessageInfo *info = kurir_message_info_new_from_data (bytes ? bytes : "", length);
          g_autofree char *names = join_strv (info->attachment_names, "\n", G_MAXUINT);
          gboolean ok = insert_fts (self, id, info, names, NULL, error);

          kurir_message_info_free (info);
          if (!ok)
            goto failed;
        }
      else if (!g_error_matches (local_error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          goto failed;
        }
      /* else: gone meanwhile, or its file is missing (reconciling drops
       * the row): nothing to index. */

      if (++in_txn >= REINDEX_TXN_SIZE)
        {
          if (!commit (self, error) || !begin (self, error))
            return FALSE;
          in_txn = 0;
        }
    }
  return commit (self, error);

failed:
  rollback (self);
  return FALSE;
}

/* Everything stored is in the full-text index. Holds the mutex. */
static gboolean
flush_index_locked (KurirStore  *self,
                    GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  /* A failed flush leaves its ids in fts_pending: read them back. */
  if (!fts_queue_flush (self, &local_error))
    g_debug ("Could not index the queued messages (%s); reading them again", local_error->message);
  return fts_index_pending (self, error);
}

/* Overrides */

static void
kurir_store_finalize (GObject *object)
{
  KurirStore *self = KURIR_STORE (object);
  g_autoptr(GError) local_error = NULL;

  /* What is still queued, as the last writer's last step (left in
   * fts_pending, and so done on the next open, when that fails). */
  if (self->db != NULL && !fts_queue_flush (self, &local_error))
    g_warning ("Could not update the full-text index (it is done on the next start): %s",
               local_error->message);
  g_ptr_array_unref (self->fts_queue);
  close_db (self);
  g_hash_table_unref (self->statements);
  g_free (self->path);
  g_free (self->mail_dir);
  g_free (self->index_path);
  g_rec_mutex_clear (&self->mutex);

  G_OBJECT_CLASS (kurir_store_parent_class)->finalize (object);
}

static void
kurir_store_class_init (KurirStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kurir_store_finalize;
  kurir_mime_init ();
}

static void
kurir_store_init (KurirStore *self)
{
  self->statements = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, finalize_statement);
  self->fts_queue = g_ptr_array_new_with_free_func (fts_entry_free);
  g_rec_mutex_init (&self->mutex);
}

/* Async plumbing */

typedef enum {
  OP_OPEN,
  OP_ADD_BATCH,
  OP_LIST,
  OP_COUNT,
  OP_SEARCH,
  OP_GET_RAW,
  OP_SET_FLAGS,
  OP_DELETE,
  OP_MOVE,
  OP_FOLDERS,
  OP_REINDEX,
  OP_COMPLETE,
} OpKind;

typedef struct
{
  OpKind             kind;
  char              *path;
  char              *account;
  char              *folder;
  char              *query;
  guint              offset;
  guint              limit;
  gint64             id;
  KurirMessageFlags  add;
  KurirMessageFlags  remove;
  GPtrArray         *batch_data;   /* GBytes */
  GPtrArray         *batch_keys;   /* char* or NULL */
  GArray            *batch_meta;   /* KurirStoreNewMessage, data and key unset */
  GBytes            *data;
} Op;

static void
op_free (Op *op)
{
  g_free (op->path);
  g_free (op->account);
  g_free (op->folder);
  g_free (op->query);
  g_clear_pointer (&op->batch_data, g_ptr_array_unref);
  g_clear_pointer (&op->batch_keys, g_ptr_array_unref);
  g_clear_pointer (&op->batch_meta, g_array_unref);
  g_clear_pointer (&op->data, g_bytes_unref);
  g_free (op);
}

static void
run_op_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  KurirStore *self = source_object;
  Op *op = task_data;
  GError *error = NULL;
  gpointer result = NULL;
  gboolean ok = FALSE;

  switch (op->kind)
    {
    case OP_OPEN:
      result = kurir_store_open (op->path, &error);
      if (result)
        g_task_return_pointer (task, result, g_object_unref);
      else
        g_task_return_error (task, error);
      return;

    case OP_ADD_BATCH:
      {
        GArray *ids = NULL;
        g_autofree KurirStoreNewMessage *messages = g_new0 (KurirStoreNewMessage, op->batch_data->len);

        for (guint i = 0; i < op->batch_data->len; i++)
          {
            messages[i] = g_array_index (op->batch_meta, KurirStoreNewMessage, i);
            messages[i].data = g_ptr_array_index (op->batch_data, i);
            messages[i].backend_key = g_ptr_array_index (op->batch_keys, i);
          }
        if (kurir_store_add_batch (self, op->account, op->folder, messages,
                                   op->batch_data->len, &ids, &error))
          g_task_return_pointer (task, ids, (GDestroyNotify) g_array_unref);
        else
          g_task_return_error (task, error);
        return;
      }

    case OP_LIST:
      result = kurir_store_list (self, op->account, op->folder, op->offset, op->limit, &error);
      break;
    case OP_COUNT:
      {
        gint64 count = kurir_store_count (self, op->account, op->folder, &error);

        if (count >= 0)
          g_task_return_int (task, (gssize) count);
        else
          g_task_return_error (task, error);
        return;
      }
    case OP_SEARCH:
      result = kurir_store_search (self, op->query, op->offset, op->limit, &error);
      break;
    case OP_FOLDERS:
      result = kurir_store_list_folders (self, op->account, &error);
      break;
    case OP_GET_RAW:
      result = kurir_store_get_raw (self, op->id, &error);
      if (result)
        g_task_return_pointer (task, result, (GDestroyNotify) g_bytes_unref);
      else
        g_task_return_error (task, error);
      return;
    case OP_SET_FLAGS:
      ok = kurir_store_set_flags (self, op->id, op->add, op->remove, &error);
      goto boolean;
    case OP_DELETE:
      ok = kurir_store_delete (self, op->id, &error);
      goto boolean;
    case OP_MOVE:
      ok = kurir_store_move (self, op->id, op->folder, &error);
      goto boolean;
    case OP_REINDEX:
      ok = kurir_store_reindex (self, op->account, &error);
      goto boolean;
    case OP_COMPLETE:
      ok = kurir_store_complete_message (self, op->id, op->data, &error);
      goto boolean;
    default:
      g_assert_not_reached ();
    }

  if (result)
    g_task_return_pointer (task, result, (GDestroyNotify) g_ptr_array_unref);
  else
    g_task_return_error (task, error);
  return;

boolean:
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
run_op (KurirStore          *self,
        Op                  *op,
        gpointer             source_tag,
        GCancellable        *cancellable,
        GAsyncReadyCallback  callback,
        gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, op, (GDestroyNotify) op_free);
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, run_op_thread);
}

static Op *
op_new (OpKind kind)
{
  Op *op = g_new0 (Op, 1);

  op->kind = kind;
  return op;
}

/* Public API */

void
kurir_store_folder_free (KurirStoreFolder *folder)
{
  if (folder == NULL)
    return;
  g_free (folder->account);
  g_free (folder->name);
  g_free (folder->role);
  g_free (folder);
}

char *
kurir_store_get_default_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "kurir", NULL);
}

/**
 * kurir_store_open:
 * @path: (nullable): the store's root, or NULL for $XDG_DATA_HOME/kurir
 *
 * Opens (and creates) the store. A missing or damaged index is rebuilt
 * from the Maildir files; accounts left mid-write are reconciled.
 */
KurirStore *
kurir_store_open (const char  *path,
                  GError     **error)
{
  g_autoptr(KurirStore) self = g_object_new (KURIR_TYPE_STORE, NULL);
  g_autoptr(GPtrArray) accounts = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *damaged_flag = NULL;
  gboolean fresh = FALSE;

  self->path = path ? g_canonicalize_filename (path, NULL) : kurir_store_get_default_path ();
  self->mail_dir = g_build_filename (self->path, MAIL_DIR_NAME, NULL);
  self->index_path = g_build_filename (self->path, INDEX_NAME, NULL);

  if (g_mkdir_with_parents (self->mail_dir, 0700) != 0)
    {
      kurir_maildir_set_io_error (error, errno, _("create the folder"), self->mail_dir);
      return NULL;
    }

  damaged_flag = g_strconcat (self->index_path, DAMAGED_SUFFIX, NULL);
  if (g_file_test (damaged_flag, G_FILE_TEST_EXISTS))
    g_set_error (&local_error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_CORRUPT,
                 _("an earlier run found it damaged"));

  if (local_error != NULL || !open_db (self, &fresh, &local_error))
    {
      g_autofree char *aside = NULL;

      close_db (self);
      if (!g_error_matches (local_error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_CORRUPT))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      /* Damaged: keep it for inspection, start a new one from the files. */
      g_message ("The mail index %s is damaged (%s); rebuilding it from the mail files",
                 self->index_path, local_error->message);
      aside = g_strdup_printf ("%s.damaged-%" G_GINT64_FORMAT, self->index_path,
                               g_get_real_time () / G_USEC_PER_SEC);
      if (g_rename (self->index_path, aside) != 0 && errno != ENOENT)
        {
          kurir_maildir_set_io_error (error, errno, _("move aside"), self->index_path);
          return NULL;
        }
      for (guint i = 0; i < 2; i++)
        {
          g_autofree char *extra = g_strconcat (self->index_path, i ? "-shm" : "-wal", NULL);
          g_unlink (extra);
        }
      g_unlink (damaged_flag);
      if (!open_db (self, &fresh, error))
        return NULL;
      fresh = TRUE;
    }

  accounts = list_account_dirs (self);
  for (guint i = 0; i < accounts->len; i++)
    {
      const char *account = g_ptr_array_index (accounts, i);
      g_autofree char *dir = account_dir (self, account);
      g_autofree char *marker = g_build_filename (dir, MARKER_NAME, NULL);

      if (fresh)
        {
          /* A new index: every account's mail goes into it. */
          if (!reindex_account_locked (self, account, TRUE, TRUE, error))
            return NULL;
        }
      else if (g_file_test (marker, G_FILE_TEST_EXISTS))
        {
          g_autoptr(GError) busy = NULL;

          /* Busy means a writer is at work right now: not our business. */
          if (!reindex_account_locked (self, account, FALSE, FALSE, &busy) &&
              !g_error_matches (busy, KURIR_STORE_ERROR, KURIR_STORE_ERROR_BUSY))
            g_warning ("Could not reconcile account %s: %s", account, busy->message);
        }
    }

  /* Messages stored by a writer that died before their full-text rows. */
  {
    g_autoptr(GError) fts_error = NULL;

    if (!fts_index_pending (self, &fts_error))
      g_warning ("Could not update the full-text index: %s", fts_error->message);
  }

  return g_steal_pointer (&self);
}

void
kurir_store_open_async (const char          *path,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  Op *op = op_new (OP_OPEN);

  op->path = g_strdup (path);
  g_task_set_source_tag (task, kurir_store_open_async);
  g_task_set_task_data (task, op, (GDestroyNotify) op_free);
  g_task_run_in_thread (task, run_op_thread);
}

KurirStore *
kurir_store_open_finish (GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

const char *
kurir_store_get_path (KurirStore *self)
{
  g_return_val_if_fail (KURIR_IS_STORE (self), NULL);
  return self->path;
}

/**
 * kurir_store_get_message_path:
 *
 * Returns: the file that holds message @id now (it changes when its
 *   flags or folder change)
 */
char *
kurir_store_get_message_path (KurirStore  *self,
                              gint64       id,
                              GError     **error)
{
  g_autofree char *account = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *filename = NULL;
  g_autofree char *path = NULL;

  g_return_val_if_fail (KURIR_IS_STORE (self), NULL);

  g_rec_mutex_lock (&self->mutex);
  if (!read_message_location (self, id, &account, &dir, &filename, NULL, NULL, error))
    {
      g_rec_mutex_unlock (&self->mutex);
      return NULL;
    }
  g_rec_mutex_unlock (&self->mutex);
  path = folder_path (self, account, dir);
  return g_build_filename (path, "cur", filename, NULL);
}

gint64
kurir_store_add (KurirStore         *self,
                 const char         *account,
                 const char         *folder,
                 GBytes             *data,
                 const char         *backend_key,
                 KurirMessageFlags   flags,
                 gint64              received,
                 GError            **error)
{
  KurirStoreNewMessage message = { data, backend_key, flags, received };
  g_autoptr(GArray) ids = NULL;

  g_return_val_if_fail (data != NULL, 0);

  if (!kurir_store_add_batch (self, account, folder, &message, 1, &ids, error))
    return 0;
  return g_array_index (ids, gint64, 0);
}

/**
 * kurir_store_add_batch:
 * @out_ids: (out) (optional): the new ids (gint64), in order
 *
 * Stores @n_messages messages in @folder (created when new) with one
 * flush of the file system and one transaction. On success all are on
 * disk and indexed; on failure none is.
 */
gboolean
kurir_store_add_batch (KurirStore                 *self,
                       const char                 *account,
                       const char                 *folder,
                       const KurirStoreNewMessage *messages,
                       guint                       n_messages,
                       GArray                    **out_ids,
                       GError                    **error)
{
  g_autoptr(KurirStorePreparedBatch) batch = NULL;

  g_return_val_if_fail (KURIR_IS_STORE (self), FALSE);
  g_return_val_if_fail (messages != NULL || n_messages == 0, FALSE);

  /* Bad names fail before any parsing. */
  if (!check_name (account, _("account"), error) ||
      !check_name (folder != NULL ? folder : KURIR_STORE_INBOX, _("folder"), error))
    return FALSE;
  batch = kurir_store_prepare_batch (messages, n_messages, error);
  if (batch == NULL)
    return FALSE;
  return kurir_store_add_prepared_batch (self, account, folder, batch, out_ids, error);
}

struct _KurirStorePreparedBatch
{
  Pending *items;
  guint    n_items;
};

/**
 * kurir_store_prepare_batch:
 *
 * The first half of kurir_store_add_batch(): checks and parses @messages
 * (headers, text for the full-text index, checksum). Needs no store and
 * takes no lock, so a backend can parse one batch on one thread while
 * another thread writes the previous one with
 * kurir_store_add_prepared_batch(). Nothing is on disk yet.
 */
KurirStorePreparedBatch *
kurir_store_prepare_batch (const KurirStoreNewMessage *messages,
                           guint                       n_messages,
                           GError                    **error)
{
  KurirStorePreparedBatch *batch;

  g_return_val_if_fail (messages != NULL || n_messages == 0, NULL);

  for (guint i = 0; i < n_messages; i++)
    if (messages[i].data == NULL || !kurir_maildir_key_is_valid (messages[i].backend_key))
      {
        g_set_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_INVALID,
                     _("message %u of the batch has no data or a key longer than %d bytes"),
                     i + 1, KURIR_MAILDIR_MAX_KEY_LENGTH);
        return NULL;
      }

  batch = g_new0 (KurirStorePreparedBatch, 1);
  batch->items = g_new0 (Pending, MAX (n_messages, 1));
  batch->n_items = n_messages;
  for (guint i = 0; i < n_messages; i++)
    {
      pending_prepare (&batch->items[i], messages[i].data, messages[i].backend_key,
                       messages[i].flags, messages[i].received);
      /* A "partial" message that is whole is stored as complete. */
      if (messages[i].full_size > 0 &&
          (gsize) messages[i].full_size != g_bytes_get_size (messages[i].data))
        batch->items[i].full_size = messages[i].full_size;
    }
  return batch;
}

guint
kurir_store_prepared_batch_get_size (KurirStorePreparedBatch *batch)
{
  g_return_val_if_fail (batch != NULL, 0);

  return batch->n_items;
}

void
kurir_store_prepared_batch_free (KurirStorePreparedBatch *batch)
{
  if (batch == NULL)
    return;
  for (guint i = 0; i < batch->n_items; i++)
    pending_clear (&batch->items[i]);
  g_free (batch->items);
  g_free (batch);
}

/**
 * kurir_store_add_prepared_batch:
 *
 * The second half of kurir_store_add_batch(): the files written into
 * tmp/, one flush of the file system, renamed into cur/, then one
 * transaction. On success all are on disk and indexed; on failure none
 * is. A batch is added once: it cannot be used again either way.
 */
gboolean
kurir_store_add_prepared_batch (KurirStore               *self,
                                const char               *account,
                                const char               *folder,
                                KurirStorePreparedBatch  *batch,
                                GArray                  **out_ids,
                                GError                  **error)
{
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  gboolean ok;

  g_return_val_if_fail (KURIR_IS_STORE (self), FALSE);
  g_return_val_if_fail (batch != NULL, FALSE);

  if (folder == NULL)
    folder = KURIR_STORE_INBOX;
  ok = check_name (account, _("account"), error) && check_name (folder, _("folder"), error);
  if (ok)
    {
      g_rec_mutex_lock (&self->mutex);
      ok = store_pending (self, account, folder, batch->items, batch->n_items, ids, error);
      g_rec_mutex_unlock (&self->mutex);
    }

  /* Its files are in cur/ (or removed): the batch is spent. */
  for (guint i = 0; i < batch->n_items; i++)
    pending_clear (&batch->items[i]);
  batch->n_items = 0;

  if (ok && out_ids)
    *out_ids = g_steal_pointer (&ids);
  return ok;
}

void
kurir_store_add_batch_async (KurirStore                 *self,
                             const char                 *account,
                             const char                 *folder,
                             const KurirStoreNewMessage *messages,
                             guint                       n_messages,
                             GCancellable               *cancellable,
                             GAsyncReadyCallback         callback,
                             gpointer                    user_data)
{
  Op *op = op_new (OP_ADD_BATCH);

  g_return_if_fail (KURIR_IS_STORE (self));

  op->account = g_strdup (account);
  op->folder = g_strdup (folder);
  op->batch_data = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  op->batch_keys = g_ptr_array_new_with_free_func (g_free);
  op->batch_meta = g_array_new (FALSE, TRUE, sizeof (KurirStoreNewMessage));
  for (guint i = 0; i < n_messages; i++)
    {
      KurirStoreNewMessage meta = { NULL, NULL, messages[i].flags, messages[i].received,
                                    messages[i].full_size };

      g_ptr_array_add (op->batch_data, g_bytes_ref (messages[i].data));
      g_ptr_array_add (op->batch_keys, g_strdup (messages[i].backend_key));
      g_array_append_val (op->batch_meta, meta);
    }
  run_op (self, op, kurir_store_add_batch_async, cancellable, callback, user_data);
}

GArray *
kurir_store_add_batch_finish (KurirStore    *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

GPtrArray *
kurir_store_list (KurirStore  *self,
                  const char  *account,
                  const char  *folder,
                  guint        offset,
                  guint        limit,
                  GError     **error)
{
  sqlite3_stmt *stmt;
  GPtrArray *messages = NULL;

  g_return_val_if_fail (KURIR_IS_STORE (self), NULL);

  g_rec_mutex_lock (&self->mutex);
  if (account == NULL && folder == NULL)
    {
      /* The unified inbox, by its own index: only the page is read. */
      stmt = prepare (self, KURIR_STORE_SQL_PAGE_UNIFIED, error);
      if (stmt != NULL)
        {
          sqlite3_bind_int64 (stmt, 1, limit);
          sqlite3_bind_int64 (stmt, 2, offset);
        }
    }
  else if (account != NULL)
    {
      stmt = prepare (self, KURIR_STORE_SQL_PAGE_FOLDER, error);
      if (stmt != NULL)
        {
          bind_text (stmt, 1, account);
          bind_text (stmt, 2, folder ? folder : KURIR_STORE_INBOX);
          sqlite3_bind_int64 (stmt, 3, limit);
          sqlite3_bind_int64 (stmt, 4, offset);
        }
    }
  else
    {
      stmt = prepare (self, "SELECT " MESSAGE_COLUMNS " FROM messages m "
                            "CROSS JOIN folders f ON f.id = m.folder_id "
                            "WHERE m.folder_id IN (SELECT id FROM folders WHERE name = ?) "
                            "ORDER BY m.date DESC, m.id DESC LIMIT ? OFFSET ?", error);
      if (stmt != NULL)
        {
          bind_text (stmt, 1, folder);
          sqlite3_bind_int64 (stmt, 2, limit);
          sqlite3_bind_int64 (stmt, 3, offset);
        }
    }
  if (stmt != NULL)
    messages = collect_messages (self, stmt, error);
  g_rec_mutex_unlock (&self->mutex);
  return messages;
}

void
kurir_store_list_async (KurirStore          *self,
                        const char          *account,
                        const char          *folder,
                        guint                offset,
                        guint                limit,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  Op *op = op_new (OP_LIST);

  op->account = g_strdup (account);
  op->folder = g_strdup (folder);
  op->offset = offset;
  op->limit = limit;
  run_op (self, op, kurir_store_list_async, cancellable, callback, user_data);
}

GPtrArray *
kurir_store_list_finish (KurirStore    *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

gint64
kurir_store_count (KurirStore  *self,
                   const char  *account,
                   const char  *folder,
                   GError     **error)
{
  sqlite3_stmt *stmt;
  gint64 count = -1;

  g_return_val_if_fail (KURIR_IS_STORE (self), -1);

  g_rec_mutex_lock (&self->mutex);
  if (account == NULL && folder == NULL)
    stmt = prepare (self, "SELECT count(*) FROM messages WHERE in_inbox = 1", error);
  else if (account != NULL)
    {
      stmt = prepare (self, "SELECT count(*) FROM messages WHERE folder_id = "
                            "(SELECT id FROM folders WHERE account = ? AND name = ?)", error);
      if (stmt)
        {
          bind_text (stmt, 1, account);
          bind_text (stmt, 2, folder ? folder : KURIR_STORE_INBOX);
        }
    }
  else
    {
      stmt = prepare (self, "SELECT count(*) FROM messages WHERE folder_id IN "
                            "(SELECT id FROM folders WHERE name = ?)", error);
      if (stmt)
        bind_text (stmt, 1, folder);
    }
  if (stmt != NULL)
    {
      int rc = sqlite3_step (stmt);

      if (rc == SQLITE_ROW)
        count = sqlite3_column_int64 (stmt, 0);
      else
        set_db_error (self, error, rc, _("read"));
      sqlite3_reset (stmt);
    }
  g_rec_mutex_unlock (&self->mutex);
  return count;
}

void
kurir_store_count_async (KurirStore          *self,
                         const char          *account,
                         const char          *folder,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  Op *op = op_new (OP_COUNT);

  op->account = g_strdup (account);
  op->folder = g_strdup (folder);
  run_op (self, op, kurir_store_count_async, cancellable, callback, user_data);
}

gint64
kurir_store_count_finish (KurirStore    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), -1);
  return g_task_propagate_int (G_TASK (result), error);
}

/**
 * kurir_store_search:
 *
 * Returns: (element-type KurirMessage): the messages matching @query
 *   (kurir-store-query.h), newest first
 */
GPtrArray *
kurir_store_search (KurirStore  *self,
                    const char  *query_text,
                    guint        offset,
                    guint        limit,
                    GError     **error)
{
  g_autoptr(KurirStoreQuery) query = NULL;
  g_autofree char *sql = NULL;
  sqlite3_stmt *stmt = NULL;
  GPtrArray *messages;
  int index = 1;
  int rc;

  g_return_val_if_fail (KURIR_IS_STORE (self), NULL);
  g_return_val_if_fail (query_text != NULL, NULL);

  query = kurir_store_query_parse (query_text, error);
  if (query == NULL)
    return NULL;

  sql = g_strdup_printf ("SELECT " MESSAGE_COLUMNS " FROM messages m "
                         "JOIN folders f ON f.id = m.folder_id WHERE %s AND %s "
                         "ORDER BY m.date DESC, m.id DESC LIMIT ? OFFSET ?",
                         query->match ? "m.id IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?)" : "1",
                         query->where);

  g_rec_mutex_lock (&self->mutex);
  /* What is stored but not yet indexed is indexed now, so a search right
   * after a sync finds everything. */
  if (query->match && !flush_index_locked (self, error))
    {
      g_prefix_error (error, "%s", _("Could not update the full-text index: "));
      g_rec_mutex_unlock (&self->mutex);
      return NULL;
    }
  rc = sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      set_db_error (self, error, rc, _("search"));
      g_rec_mutex_unlock (&self->mutex);
      return NULL;
    }
  if (query->match)
    bind_text (stmt, index++, query->match);
  for (guint i = 0; i < query->params->len; i++)
    {
      GVariant *param = g_ptr_array_index (query->params, i);

      if (g_variant_is_of_type (param, G_VARIANT_TYPE_INT64))
        sqlite3_bind_int64 (stmt, index++, g_variant_get_int64 (param));
      else
        bind_text (stmt, index++, g_variant_get_string (param, NULL));
    }
  sqlite3_bind_int64 (stmt, index++, limit);
  sqlite3_bind_int64 (stmt, index++, offset);
  messages = collect_messages (self, stmt, error);
  sqlite3_finalize (stmt);
  g_rec_mutex_unlock (&self->mutex);
  return messages;
}

void
kurir_store_search_async (KurirStore          *self,
                          const char          *query,
                          guint                offset,
                          guint                limit,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  Op *op = op_new (OP_SEARCH);

  op->query = g_strdup (query);
  op->offset = offset;
  op->limit = limit;
  run_op (self, op, kurir_store_search_async, cancellable, callback, user_data);
}

GPtrArray *
kurir_store_search_finish (KurirStore    *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

KurirMessage *
kurir_store_get_message (KurirStore  *self,
                         gint64       id,
                         GError     **error)
{
  g_autoptr(GPtrArray) messages = NULL;
  sqlite3_stmt *stmt;
  KurirMessage *message = NULL;

  g_return_val_if_fail (KURIR_IS_STORE (self), NULL);

  g_rec_mutex_lock (&self->mutex);
  stmt = prepare (self, "SELECT " MESSAGE_COLUMNS " FROM messages m "
                        "JOIN folders f ON f.id = m.folder_id WHERE m.id = ?", error);
  if (stmt != NULL)
    {
      sqlite3_bind_int64 (stmt, 1, id);
      messages = collect_messages (self, stmt, error);
    }
  g_rec_mutex_unlock (&self->mutex);

  if (messages == NULL)
    return NULL;
  if (messages->len == 0)
    {
      g_set_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_NOT_FOUND,
                   _("there is no message %" PRId64), id);
      return NULL;
    }
  message = g_object_ref (g_ptr_array_index (messages, 0));
  return message;
}

/**
 * kurir_store_get_thread:
 *
 * Returns: (element-type KurirMessage): the messages of a conversation,
 *   oldest first
 */
GPtrArray *
kurir_store_get_thread (KurirStore  *self,
                        gint64       thread_id,
                        GError     **error)
{
  sqlite3_stmt *stmt;
  GPtrArray *messages = NULL;

  g_return_val_if_fail (KURIR_IS_STORE (self), NULL);

  g_rec_mutex_lock (&self->mutex);
  stmt = prepare (self, "SELECT " MESSAGE_COLUMNS " FROM messages m "
                        "JOIN folders f ON f.id = m.folder_id WHERE m.thread_id = ? "
                        "ORDER BY m.date, m.id", error);
  if (stmt != NULL)
    {
      sqlite3_bind_int64 (stmt, 1, thread_id);
      messages = collect_messages (self, stmt, error);
    }
  g_rec_mutex_unlock (&self->mutex);
  return messages;
}

/**
 * kurir_store_get_raw:
 *
 * Returns: the exact bytes of message @id as they were stored
 */
GBytes *
kurir_store_get_raw (KurirStore  *self,
                     gint64       id,
                     GError     **error)
{
  g_return_val_if_fail (KURIR_IS_STORE (self), NULL);

  /* Another process may rename the file (flags) between our reading the
   * row and the file, or complete a partial message: read again then. */
  for (guint attempt = 0; attempt < 3; attempt++)
    {
      g_autofree char *path = NULL;
      g_autoptr(GError) local_error = NULL;
      g_autofree char *contents = NULL;
      GBytes *header;
      gsize length;

      g_rec_mutex_lock (&self->mutex);
      header = read_header_in_index (self, id);
      g_rec_mutex_unlock (&self->mutex);
      if (header != NULL)
        return header;
      path = kurir_store_get_message_path (self, id, error);
      if (path == NULL)
        return NULL;
      if (g_file_get_contents (path, &contents, &length, &local_error))
        return g_bytes_new_take (g_steal_pointer (&contents), length);
      if (!g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT) || attempt == 2)
        {
          if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            g_set_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_NOT_FOUND,
                         _("the file of message %" PRId64 " is missing (%s); "
                           "“kurir-cli reindex” puts the index right"), id, path);
          else
            g_set_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_IO,
                         _("could not read message %" PRId64 ": %s"), id,
                         local_error->message);
          return NULL;
        }
    }
  g_assert_not_reached ();
}

void
kurir_store_get_raw_async (KurirStore          *self,
                           gint64               id,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  Op *op = op_new (OP_GET_RAW);

  op->id = id;
  run_op (self, op, kurir_store_get_raw_async, cancellable, callback, user_data);
}

GBytes *
kurir_store_get_raw_finish (KurirStore    *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
kurir_store_set_flags (KurirStore         *self,
                       gint64              id,
                       KurirMessageFlags   add,
                       KurirMessageFlags   remove,
                       GError            **error)
{
  g_autofree char *account = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *filename = NULL;
  g_autofree char *uniq = NULL;
  g_autofree char *new_filename = NULL;
  g_autofree char *cur = NULL;
  g_autofree char *old_path = NULL;
  g_autofree char *new_path = NULL;
  g_autofree char *path = NULL;
  AccountLock lock = { -1, NULL, FALSE };
  KurirMessageFlags flags, new_flags;
  sqlite3_stmt *stmt;
  gboolean ok = FALSE;

  g_return_val_if_fail (KURIR_IS_STORE (self), FALSE);

  g_rec_mutex_lock (&self->mutex);
  if (!read_message_location (self, id, &account, NULL, NULL, NULL, NULL, error) ||
      !account_lock_acquire (self, account, TRUE, &lock, error))
    goto out;
  /* Read again under the lock: another writer may have changed it. */
  if (!read_message_location (self, id, NULL, &dir, &filename, &uniq, &flags, error))
    goto out;

  new_flags = (flags | add) & ~remove & KURIR_MESSAGE_FLAGS_ALL;
  if (new_flags == flags)
    {
      ok = TRUE;
      goto out;
    }
  path = folder_path (self, account, dir);
  cur = g_build_filename (path, "cur", NULL);
  new_filename = kurir_maildir_filename (uniq, new_flags);
  old_path = g_build_filename (cur, filename, NULL);
  new_path = g_build_filename (cur, new_filename, NULL);
  if (!header_in_index (self, id))
    {
      if (g_rename (old_path, new_path) != 0)
        {
          kurir_maildir_set_io_error (error, errno, _("rename"), old_path);
          goto out;
        }
      if (!kurir_maildir_fsync_dir (cur, error))
        goto out;
    }

  stmt = prepare (self, "UPDATE messages SET flags = ?, filename = ? WHERE id = ?", error);
  if (stmt == NULL)
    goto out;
  sqlite3_bind_int (stmt, 1, new_flags);
  bind_text (stmt, 2, new_filename);
  sqlite3_bind_int64 (stmt, 3, id);
  ok = step_done (self, stmt, error);

out:
  account_lock_release (&lock);
  g_rec_mutex_unlock (&self->mutex);
  return ok;
}

gboolean
kurir_store_delete (KurirStore  *self,
                    gint64       id,
                    GError     **error)
{
  return kurir_store_delete_full (self, id, KURIR_STORE_DELETE_NONE, error);
}

/**
 * kurir_store_delete_full:
 * @flags: KURIR_STORE_DELETE_FORGET for a message the server no longer
 *   has (or that a journal deletes there): no deleted_keys entry
 */
gboolean
kurir_store_delete_full (KurirStore            *self,
                         gint64                 id,
                         KurirStoreDeleteFlags  flags,
                         GError               **error)
{
  g_autofree char *account = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *filename = NULL;
  g_autofree char *cur = NULL;
  g_autofree char *file = NULL;
  g_autofree char *path = NULL;
  AccountLock lock = { -1, NULL, FALSE };
  sqlite3_stmt *stmt;
  gboolean ok = FALSE;

  g_return_val_if_fail (KURIR_IS_STORE (self), FALSE);

  g_rec_mutex_lock (&self->mutex);
  if (!read_message_location (self, id, &account, NULL, NULL, NULL, NULL, error) ||
      !account_lock_acquire (self, account, TRUE, &lock, error) ||
      !read_message_location (self, id, NULL, &dir, &filename, NULL, NULL, error))
    goto out;

  /* Its backend key is remembered before anything goes (deleted_keys). */
  if (flags & KURIR_STORE_DELETE_FORGET)
    goto forget;
  stmt = prepare (self, "INSERT OR REPLACE INTO deleted_keys "
                        "(account, folder, backend_key, received, deleted) "
                        "SELECT f.account, f.name, m.backend_key, m.received, ? "
                        "FROM messages m JOIN folders f ON f.id = m.folder_id "
                        "WHERE m.id = ? AND m.backend_key IS NOT NULL", error);
  if (stmt == NULL)
    goto out;
  sqlite3_bind_int64 (stmt, 1, g_get_real_time () / G_USEC_PER_SEC);
  sqlite3_bind_int64 (stmt, 2, id);
  if (!step_done (self, stmt, error))
    goto out;

forget:
  /* The file first: a crash in between leaves a row without a file, which
   * reconciling drops; the other way round would bring the message back. */
  path = folder_path (self, account, dir);
  cur = g_build_filename (path, "cur", NULL);
  file = g_build_filename (cur, filename, NULL);
  if (!header_in_index (self, id))
    {
      if (g_unlink (file) != 0 && errno != ENOENT)
        {
          kurir_maildir_set_io_error (error, errno, _("delete"), file);
          goto out;
        }
      if (!kurir_maildir_fsync_dir (cur, error))
        goto out;
    }

  /* The trigger of sql/version-005.sql drops a header kept in the index. */
  stmt = prepare (self, "DELETE FROM messages WHERE id = ?", error);
  if (stmt == NULL)
    goto out;
  sqlite3_bind_int64 (stmt, 1, id);
  ok = step_done (self, stmt, error);

out:
  account_lock_release (&lock);
  g_rec_mutex_unlock (&self->mutex);
  return ok;
}

gboolean
kurir_store_move (KurirStore  *self,
                  gint64       id,
                  const char  *folder,
                  GError     **error)
{
  g_autofree char *account = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *filename = NULL;
  g_autofree char *target_dir = NULL;
  g_autofree char *from_cur = NULL;
  g_autofree char *to_cur = NULL;
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  AccountLock lock = { -1, NULL, FALSE };
  sqlite3_stmt *stmt;
  gint64 folder_id;
  gboolean ok = FALSE;

  g_return_val_if_fail (KURIR_IS_STORE (self), FALSE);

  if (!check_name (folder, _("folder"), error))
    return FALSE;

  g_rec_mutex_lock (&self->mutex);
  if (!read_message_location (self, id, &account, NULL, NULL, NULL, NULL, error) ||
      !account_lock_acquire (self, account, TRUE, &lock, error) ||
      !read_message_location (self, id, NULL, &dir, &filename, NULL, NULL, error))
    goto out;

  folder_id = lookup_folder (self, account, folder, TRUE, &target_dir, error);
  if (folder_id == 0)
    goto out;
  if (strcmp (target_dir, dir) == 0)
    {
      ok = TRUE;
      goto out;
    }

  {
    g_autofree char *from_path = folder_path (self, account, dir);
    g_autofree char *to_path = folder_path (self, account, target_dir);

    from_cur = g_build_filename (from_path, "cur", NULL);
    to_cur = g_build_filename (to_path, "cur", NULL);
  }
  from = g_build_filename (from_cur, filename, NULL);
  to = g_build_filename (to_cur, filename, NULL);
  if (!header_in_index (self, id))
    {
      if (g_rename (from, to) != 0)
        {
          kurir_maildir_set_io_error (error, errno, _("move"), from);
          goto out;
        }
      if (!kurir_maildir_fsync_dir (to_cur, error) || !kurir_maildir_fsync_dir (from_cur, error))
        goto out;
    }

  stmt = prepare (self, "UPDATE messages SET folder_id = ?, in_inbox = ? WHERE id = ?", error);
  if (stmt == NULL)
    goto out;
  sqlite3_bind_int64 (stmt, 1, folder_id);
  sqlite3_bind_int (stmt, 2, strcmp (folder, KURIR_STORE_INBOX) == 0);
  sqlite3_bind_int64 (stmt, 3, id);
  ok = step_done (self, stmt, error);

out:
  account_lock_release (&lock);
  g_rec_mutex_unlock (&self->mutex);
  return ok;
}

void
kurir_store_set_flags_async (KurirStore          *self,
                             gint64               id,
                             KurirMessageFlags    add,
                             KurirMessageFlags    remove,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  Op *op = op_new (OP_SET_FLAGS);

  op->id = id;
  op->add = add;
  op->remove = remove;
  run_op (self, op, kurir_store_set_flags_async, cancellable, callback, user_data);
}

void
kurir_store_delete_async (KurirStore          *self,
                          gint64               id,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  Op *op = op_new (OP_DELETE);

  op->id = id;
  run_op (self, op, kurir_store_delete_async, cancellable, callback, user_data);
}

void
kurir_store_move_async (KurirStore          *self,
                        gint64               id,
                        const char          *folder,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  Op *op = op_new (OP_MOVE);

  op->id = id;
  op->folder = g_strdup (folder);
  run_op (self, op, kurir_store_move_async, cancellable, callback, user_data);
}

/**
 * kurir_store_change_finish:
 *
 * Finishes kurir_store_set_flags_async(), kurir_store_delete_async() and
 * kurir_store_move_async().
 */
gboolean
kurir_store_change_finish (KurirStore    *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * kurir_store_list_folders:
 *
 * Returns: (element-type KurirStoreFolder): the folders of @account (NULL:
 *   every account), INBOX first
 */
GPtrArray *
kurir_store_list_folders (KurirStore  *self,
                          const char  *account,
                          GError     **error)
{
  g_autoptr(GPtrArray) folders = g_ptr_array_new_with_free_func ((GDestroyNotify) kurir_store_folder_free);
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (KURIR_IS_STORE (self), NULL);

  g_rec_mutex_lock (&self->mutex);
  stmt = prepare (self, "SELECT f.account, f.name, f.role, f.uidvalidity, f.uidnext, f.highestmodseq, "
                        "(SELECT count(*) FROM messages WHERE folder_id = f.id), "
                        "(SELECT count(*) FROM messages WHERE folder_id = f.id AND (flags & 1) = 0) "
                        "FROM folders f WHERE ?1 IS NULL OR f.account = ?1 "
                        "ORDER BY f.account, f.name != 'INBOX', f.name", error);
  if (stmt == NULL)
    {
      g_rec_mutex_unlock (&self->mutex);
      return NULL;
    }
  bind_text (stmt, 1, account);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      KurirStoreFolder *folder = g_new0 (KurirStoreFolder, 1);

      folder->account = column_strdup (stmt, 0);
      folder->name = column_strdup (stmt, 1);
      folder->role = column_strdup (stmt, 2);
      folder->uidvalidity = sqlite3_column_int64 (stmt, 3);
      folder->uidnext = sqlite3_column_int64 (stmt, 4);
      folder->highestmodseq = sqlite3_column_int64 (stmt, 5);
      folder->total = sqlite3_column_int (stmt, 6);
      folder->unread = sqlite3_column_int (stmt, 7);
      g_ptr_array_add (folders, folder);
    }
  sqlite3_reset (stmt);
  g_rec_mutex_unlock (&self->mutex);
  if (rc != SQLITE_DONE)
    {
      set_db_error (self, error, rc, _("read"));
      return NULL;
    }
  return g_steal_pointer (&folders);
}

void
kurir_store_list_folders_async (KurirStore          *self,
                                const char          *account,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  Op *op = op_new (OP_FOLDERS);

  op->account = g_strdup (account);
  run_op (self, op, kurir_store_list_folders_async, cancellable, callback, user_data);
}

GPtrArray *
kurir_store_list_folders_finish (KurirStore    *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
kurir_store_create_folder (KurirStore  *self,
                           const char  *account,
                           const char  *folder,
                           const char  *role,
                           GError     **error)
{
  AccountLock lock = { -1, NULL, FALSE };
  sqlite3_stmt *stmt;
  gboolean ok = FALSE;

  g_return_val_if_fail (KURIR_IS_STORE (self), FALSE);

  if (!check_name (account, _("account"), error) || !check_name (folder, _("folder"), error))
    return FALSE;

  g_rec_mutex_lock (&self->mutex);
  if (!account_lock_acquire (self, account, TRUE, &lock, error))
    goto out;
  if (lookup_folder (self, account, folder, TRUE, NULL, error) == 0)
    goto out;
  ok = TRUE;
  if (role != NULL)
    {
      stmt = prepare (self, "UPDATE folders SET role = ? WHERE account = ? AND name = ?", error);
      ok = stmt != NULL;
      if (ok)
        {
          bind_text (stmt, 1, role);
          bind_text (stmt, 2, account);
          bind_text (stmt, 3, folder);
          ok = step_done (self, stmt, error);
        }
    }
out:
  account_lock_release (&lock);
  g_rec_mutex_unlock (&self->mutex);
  return ok;
}

/**
 * kurir_store_get_folder_dir:
 *
 * Returns: the Maildir of @folder of @account, whether it exists or not
 */
char *
kurir_store_get_folder_dir (KurirStore *self,
                            const char *account,
                            const char *folder)
{
  g_autofree char *dir = NULL;
  sqlite3_stmt *stmt;

  g_return_val_if_fail (KURIR_IS_STORE (self), NULL);

  g_rec_mutex_lock (&self->mutex);
  stmt = prepare (self, "SELECT dir FROM folders WHERE account = ? AND name = ?", NULL);
  if (stmt != NULL)
    {
      bind_text (stmt, 1, account);
      bind_text (stmt, 2, folder);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        dir = column_strdup (stmt, 0);
      sqlite3_reset (stmt);
    }
  g_rec_mutex_unlock (&self->mutex);
  if (dir == NULL)
    dir = kurir_maildir_encode_name (folder);
  return folder_path (self, account, dir);
}

gboolean
kurir_store_has_backend_key (KurirStore  *self,
                             const char  *account,
                             const char  *folder,
                             const char  *key,
                             GError     **error)
{
  sqlite3_stmt *stmt;
  gboolean found = FALSE;

  g_return_val_if_fail (KURIR_IS_STORE (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  g_rec_mutex_lock (&self->mutex);
  stmt = prepare (self, "SELECT 1 FROM messages WHERE folder_id = "
                        "(SELECT id FROM folders WHERE account = ? AND name = ?) "
                        "AND backend_key = ?", error);
  if (stmt != NULL)
    {
      bind_text (stmt, 1, account);
      bind_text (stmt, 2, folder ? folder : KURIR_STORE_INBOX);
      bind_text (stmt, 3, key);
      found = sqlite3_step (stmt) == SQLITE_ROW;
      sqlite3_reset (stmt);
    }
  g_rec_mutex_unlock (&self->mutex);
  return found;
}

/**
 * kurir_store_list_backend_keys:
 *
 * Returns: (element-type utf8): the backend keys of the messages in @folder
 */
GPtrArray *
kurir_store_list_backend_keys (KurirStore  *self,
                               const char  *account,
                               const char  *folder,
                               GError     **error)
{
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (KURIR_IS_STORE (self), NULL);

  g_rec_mutex_lock (&self->mutex);
  stmt = prepare (self, "SELECT backend_key FROM messages WHERE folder_id = "
                        "(SELECT id FROM folders WHERE account = ? AND name = ?) "
                        "AND backend_key IS NOT NULL", error);
  if (stmt == NULL)
    {
      g_rec_mutex_unlock (&self->mutex);
      return NULL;
    }
  bind_text (stmt, 1, account);
  bind_text (stmt, 2, folder ? folder : KURIR_STORE_INBOX);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (keys, column_strdup (stmt, 0));
  sqlite3_reset (stmt);
  g_rec_mutex_unlock (&self->mutex);
  if (rc != SQLITE_DONE)
    {
      set_db_error (self, error, rc, _("read"));
      return NULL;
    }
  return g_steal_pointer (&keys);
}

void
kurir_store_key_info_free (KurirStoreKeyInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->folder);
  g_free (info);
}

/**
 * kurir_store_get_account_keys:
 *
 * Every backend key the account knows: those of its messages, in any
 * folder, and those of messages deleted here (#KurirStoreKeyInfo.deleted).
 * A message that is here wins over a deletion of the same key.
 *
 * Returns: (transfer full): backend key → #KurirStoreKeyInfo
 */
GHashTable *
kurir_store_get_account_keys (KurirStore  *self,
                              const char  *account,
                              GError     **error)
{
  g_autoptr(GHashTable) keys = NULL;
  sqlite3_stmt *stmt;
  int rc = SQLITE_DONE;

  g_return_val_if_fail (KURIR_IS_STORE (self), NULL);
  g_return_val_if_fail (account != NULL, NULL);

  keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                (GDestroyNotify) kurir_store_key_info_free);

  g_rec_mutex_lock (&self->mutex);
  for (guint pass = 0; pass < 2 && rc == SQLITE_DONE; pass++)
    {
      stmt = pass == 0 ?
        prepare (self, "SELECT m.backend_key, f.name, m.received, 0 FROM messages m "
                       "JOIN folders f ON f.id = m.folder_id "
                       "WHERE f.account = ? AND m.backend_key IS NOT NULL", error) :
        prepare (self, "SELECT backend_key, folder, received, deleted FROM deleted_keys "
                       "WHERE account = ?", error);
      if (stmt == NULL)
        {
          g_rec_mutex_unlock (&self->mutex);
          return NULL;
        }
      bind_text (stmt, 1, account);
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        {
          const char *key = (const char *) sqlite3_column_text (stmt, 0);
          KurirStoreKeyInfo *info;

          if (g_hash_table_contains (keys, key))
            continue;
          info = g_new0 (KurirStoreKeyInfo, 1);
          info->folder = column_strdup (stmt, 1);
          info->received = sqlite3_column_int64 (stmt, 2);
          info->deleted = sqlite3_column_int64 (stmt, 3);
          g_hash_table_insert (keys, g_strdup (key), info);
        }
      sqlite3_reset (stmt);
    }
  g_rec_mutex_unlock (&self->mutex);

  if (rc != SQLITE_DONE)
    {
      set_db_error (self, error, rc, _("read"));
      return NULL;
    }
  return g_steal_pointer (&keys);
}

/**
 * kurir_store_forget_deleted_keys:
 * @keys: (array zero-terminated=1): backend keys
 *
 * Drops what kurir_store_delete() remembered of these keys, once the
 * server no longer has their messages.
 */
gboolean
kurir_store_forget_deleted_keys (KurirStore         *self,
                                 const char         *account,
                                 const char * const *keys,
                                 GError            **error)
{
  sqlite3_stmt *stmt;
  gboolean ok = TRUE;

  g_return_val_if_fail (KURIR_IS_STORE (self), FALSE);
  g_return_val_if_fail (account != NULL, FALSE);

  if (keys == NULL || keys[0] == NULL)
    return TRUE;

  g_rec_mutex_lock (&self->mutex);
  if (!begin (self, error))
    {
      g_rec_mutex_unlock (&self->mutex);
      return FALSE;
    }
  for (guint i = 0; ok && keys[i] != NULL; i++)
    {
      stmt = prepare (self, "DELETE FROM deleted_keys WHERE account = ? AND backend_key = ?", error);
      ok = stmt != NULL;
      if (ok)
        {
          bind_text (stmt, 1, account);
          bind_text (stmt, 2, keys[i]);
          ok = step_done (self, stmt, error);
        }
    }
  if (ok)
    ok = commit (self, error);
  else
    rollback (self);
  g_rec_mutex_unlock (&self->mutex);
  return ok;
}

gboolean
kurir_store_reindex (KurirStore  *self,
                     const char  *account,
                     GError     **error)
{
  g_autoptr(GPtrArray) accounts = NULL;
  gboolean ok = TRUE;

  g_return_val_if_fail (KURIR_IS_STORE (self), FALSE);

  g_rec_mutex_lock (&self->mutex);
  /* Best effort: what fails stays in fts_pending. */
  fts_queue_flush (self, NULL);
  if (account != NULL)
    ok = reindex_account_locked (self, account, TRUE, TRUE, error);
  else
    {
      /* Every message is indexed again: old full-text rows can go, and
       * nothing is pending any more. */
      ok = exec (self, "INSERT INTO messages_fts (messages_fts) VALUES ('delete-all')", error) &&
           exec (self, "DELETE FROM fts_pending", error);
      accounts = list_account_dirs (self);
      for (guint i = 0; ok && i < accounts->len; i++)
        ok = reindex_account_locked (self, g_ptr_array_index (accounts, i), TRUE, TRUE, error);
    }
  g_rec_mutex_unlock (&self->mutex);
  return ok;
}

/**
 * kurir_store_flush_index:
 *
 * Writes the full-text rows of every message stored but not yet indexed:
 * a writer indexes in larger batches after the messages are durable (see
 * kurir_store_add_prepared_batch()). Searches call it themselves; a sync
 * may call it when it has nothing else to do. Messages another process
 * left unindexed are read back from their files.
 */
gboolean
kurir_store_flush_index (KurirStore  *self,
                         GError     **error)
{
  gboolean ok;

  g_return_val_if_fail (KURIR_IS_STORE (self), FALSE);

  g_rec_mutex_lock (&self->mutex);
  ok = flush_index_locked (self, error);
  g_rec_mutex_unlock (&self->mutex);
  return ok;
}

void
kurir_store_reindex_async (KurirStore          *self,
                           const char          *account,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  Op *op = op_new (OP_REINDEX);

  op->account = g_strdup (account);
  run_op (self, op, kurir_store_reindex_async, cancellable, callback, user_data);
}

gboolean
kurir_store_reindex_finish (KurirStore    *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Import and export */

/* Flags an mbox writer left in Status: and X-Status: (mutt, Thunderbird). */
static KurirMessageFlags
mbox_status_flags (const char *data,
                   gsize       length)
{
  KurirMessageFlags flags = 0;
  const char *end = data + length;
  const char *line = data;

  while (line < end && *line != '\n' && !(*line == '\r' && line + 1 < end && line[1] == '\n'))
    {
      const char *next = memchr (line, '\n', end - line);
      gsize line_length = (next ? next : end) - line;

      if (line_length > 7 && g_ascii_strncasecmp (line, "Status:", 7) == 0)
        {
          for (gsize i = 7; i < line_length; i++)
            if (line[i] == 'R')
              flags |= KURIR_MESSAGE_FLAG_SEEN;
        }
      else if (line_length > 9 && g_ascii_strncasecmp (line, "X-Status:", 9) == 0)
        {
          for (gsize i = 9; i < line_length; i++)
            {
              if (line[i] == 'F')
                flags |= KURIR_MESSAGE_FLAG_FLAGGED;
              else if (line[i] == 'A')
                flags |= KURIR_MESSAGE_FLAG_ANSWERED;
              else if (line[i] == 'T')
                flags |= KURIR_MESSAGE_FLAG_DRAFT;
            }
        }
      if (next == NULL)
        break;
      line = next + 1;
    }
  return flags;
}

static gint
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* The files of a Maildir folder to import: cur/ and new/, in name order. */
static GPtrArray *
list_maildir_files (const char *path)
{
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
  const char *subdirs[] = { "cur", "new" };

  for (guint s = 0; s < G_N_ELEMENTS (subdirs); s++)
    {
      g_autofree char *sub = g_build_filename (path, subdirs[s], NULL);
      g_autoptr(GDir) dir = g_dir_open (sub, 0, NULL);
      const char *name;

      while (dir && (name = g_dir_read_name (dir)) != NULL)
        if (*name != '.')
          g_ptr_array_add (files, g_build_filename (sub, name, NULL));
    }
  g_ptr_array_sort (files, compare_strings);
  return files;
}

static gboolean
is_duplicate (KurirStore  *self,
              const char  *account,
              const char  *folder,
              const char  *hash,
              GHashTable  *batch_hashes)
{
  sqlite3_stmt *stmt;
  gboolean found = FALSE;

  if (g_hash_table_contains (batch_hashes, hash))
    return TRUE;

  g_rec_mutex_lock (&self->mutex);
  stmt = prepare (self, "SELECT 1 FROM messages INDEXED BY messages_hash WHERE content_hash = ? "
                        "AND folder_id = (SELECT id FROM folders WHERE account = ? AND name = ?)", NULL);
  if (stmt != NULL)
    {
      bind_text (stmt, 1, hash);
      bind_text (stmt, 2, account);
      bind_text (stmt, 3, folder);
      found = sqlite3_step (stmt) == SQLITE_ROW;
      sqlite3_reset (stmt);
    }
  g_rec_mutex_unlock (&self->mutex);
  return found;
}

static gboolean
flush_import (KurirStore  *self,
              const char  *account,
              const char  *folder,
              GArray      *batch,
              GHashTable  *batch_hashes,
              gsize       *batch_bytes,
              guint       *added,
              GError     **error)
{
  gboolean ok;

  if (batch->len == 0)
    return TRUE;
  g_rec_mutex_lock (&self->mutex);
  ok = store_pending (self, account, folder, (Pending *) (gpointer) batch->data, batch->len, NULL, error);
  g_rec_mutex_unlock (&self->mutex);
  if (ok)
    *added += batch->len;
  g_array_set_size (batch, 0);
  g_hash_table_remove_all (batch_hashes);
  *batch_bytes = 0;
  return ok;
}

/**
 * kurir_store_import:
 *
 * Imports the mbox file or Maildir folder @path into @folder of @account,
 * in batches (one flush and one transaction per batch). A message already
 * in the folder with the same bytes (so the same Message-ID) is skipped.
 */
gboolean
kurir_store_import (KurirStore             *self,
                    const char             *account,
                    const char             *folder,
                    const char             *path,
                    KurirStoreImportStats  *out_stats,
                    GCancellable           *cancellable,
                    GError                **error)
{
  g_autoptr(KurirMboxReader) reader = NULL;
  g_autoptr(GPtrArray) files = NULL;
  g_autoptr(GArray) batch = g_array_new (FALSE, TRUE, sizeof (Pending));
  g_autoptr(GHashTable) batch_hashes = g_hash_table_new (g_str_hash, g_str_equal);
  KurirStoreImportStats stats = { 0 };
  gsize batch_bytes = 0;
  guint next_file = 0;
  gboolean ok = TRUE;

  g_return_val_if_fail (KURIR_IS_STORE (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  g_array_set_clear_func (batch, (GDestroyNotify) pending_clear);
  if (folder == NULL)
    folder = KURIR_STORE_INBOX;
  if (!check_name (account, _("account"), error) || !check_name (folder, _("folder"), error))
    return FALSE;

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_autofree char *cur = g_build_filename (path, "cur", NULL);
      g_autofree char *new = g_build_filename (path, "new", NULL);

      if (!g_file_test (cur, G_FILE_TEST_IS_DIR) && !g_file_test (new, G_FILE_TEST_IS_DIR))
        {
          g_set_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_INVALID,
                       _("%s is a folder but no Maildir (it has no cur/ or new/)"), path);
          return FALSE;
        }
      files = list_maildir_files (path);
    }
  else
    {
      g_autoptr(GError) local_error = NULL;

      reader = kurir_mbox_reader_open (path, &local_error);
      if (reader == NULL)
        {
          g_set_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_INVALID,
                       _("could not read %s as an mbox file: %s"), path, local_error->message);
          return FALSE;
        }
    }

  for (;;)
    {
      g_autoptr(GBytes) data = NULL;
      g_autofree char *hash = NULL;
      KurirMessageFlags flags = 0;
      gint64 received = 0;
      Pending pending = { 0 };
      const char *bytes;
      gsize length;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          ok = FALSE;
          break;
        }

      if (files != NULL)
        {
          const char *file;
          g_autofree char *contents = NULL;
          g_autoptr(GError) local_error = NULL;
          g_autofree char *base = NULL;

          if (next_file >= files->len)
            break;
          file = g_ptr_array_index (files, next_file++);
          if (!g_file_get_contents (file, &contents, &length, &local_error))
            {
              g_warning ("Skipping %s: %s", file, local_error->message);
              stats.failed++;
              continue;
            }
          data = g_bytes_new_take (g_steal_pointer (&contents), length);
          base = g_path_get_basename (file);
          kurir_maildir_parse_filename (base, NULL, &flags, NULL, &received);
          if (received <= 0 || received > g_get_real_time () / G_USEC_PER_SEC + 86400)
            {
              GStatBuf st;

              received = g_stat (file, &st) == 0 ? (gint64) st.st_mtime : 0;
            }
        }
      else
        {
          g_autoptr(GError) local_error = NULL;

          data = kurir_mbox_reader_next (reader, &received, &local_error);
          if (data == NULL)
            {
              if (local_error == NULL)
                break;
              if (g_error_matches (local_error, KURIR_MIME_ERROR, KURIR_MIME_ERROR_TOO_LARGE))
                {
                  g_warning ("Skipping a message of %s: %s", path, local_error->message);
                  stats.failed++;
                  continue;
                }
              g_set_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_IO,
                           _("could not read %s: %s"), path, local_error->message);
              ok = FALSE;
              break;
            }
          bytes = g_bytes_get_data (data, &length);
          flags = mbox_status_flags (bytes ? bytes : "", length);
        }

      bytes = g_bytes_get_data (data, &length);
      hash = g_compute_checksum_for_data (G_CHECKSUM_SHA1, (const guchar *) (bytes ? bytes : ""), length);
      if (is_duplicate (self, account, folder, hash, batch_hashes))
        {
          stats.duplicates++;
          continue;
        }

      pending_prepare (&pending, data, NULL, flags, received);
      g_array_append_val (batch, pending);
      g_hash_table_add (batch_hashes, g_array_index (batch, Pending, batch->len - 1).hash);
      batch_bytes += length + strlen (pending.info->body_text);

      if (batch->len >= IMPORT_BATCH_MESSAGES || batch_bytes >= IMPORT_BATCH_BYTES)
        if (!(ok = flush_import (self, account, folder, batch, batch_hashes, &batch_bytes,
                                 &stats.added, error)))
          break;
    }

  if (ok)
    ok = flush_import (self, account, folder, batch, batch_hashes, &batch_bytes, &stats.added, error);
  if (out_stats)
    *out_stats = stats;
  return ok;
}

/**
 * kurir_store_export_mbox:
 *
 * Writes every message of @folder of @account, oldest first, into the
 * mbox file @path (replaced when complete).
 */
gboolean
kurir_store_export_mbox (KurirStore    *self,
                         const char    *account,
                         const char    *folder,
                         const char    *path,
                         guint         *out_count,
                         GCancellable  *cancellable,
                         GError       **error)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFileOutputStream) output = NULL;
  g_autoptr(GOutputStream) buffered = NULL;
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GError) local_error = NULL;
  sqlite3_stmt *stmt;
  gint64 folder_id;
  guint count = 0;
  int rc;

  g_return_val_if_fail (KURIR_IS_STORE (self), FALSE);

  if (folder == NULL)
    folder = KURIR_STORE_INBOX;

  g_rec_mutex_lock (&self->mutex);
  folder_id = lookup_folder (self, account, folder, FALSE, NULL, &local_error);
  if (folder_id == 0)
    {
      g_rec_mutex_unlock (&self->mutex);
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_NOT_FOUND,
                     _("there is no folder “%s”"), folder);
      return FALSE;
    }
  stmt = prepare (self, "SELECT id, received FROM messages WHERE folder_id = ? ORDER BY date, id", error);
  if (stmt == NULL)
    {
      g_rec_mutex_unlock (&self->mutex);
      return FALSE;
    }
  sqlite3_bind_int64 (stmt, 1, folder_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      gint64 time = sqlite3_column_int64 (stmt, 1);

      g_array_append_val (ids, id);
      g_array_append_val (times, time);
    }
  sqlite3_reset (stmt);
  g_rec_mutex_unlock (&self->mutex);
  if (rc != SQLITE_DONE)
    {
      set_db_error (self, error, rc, _("read"));
      return FALSE;
    }

  file = g_file_new_for_path (path);
  output = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, cancellable, &local_error);
  if (output == NULL)
    {
      g_set_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_IO,
                   _("could not write %s: %s"), path, local_error->message);
      return FALSE;
    }
  buffered = g_buffered_output_stream_new_sized (G_OUTPUT_STREAM (output), 256 * 1024);

  for (guint i = 0; i < ids->len; i++)
    {
      g_autoptr(GBytes) data = NULL;
      g_autoptr(GError) read_error = NULL;
      const char *bytes;
      gsize length;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      data = kurir_store_get_raw (self, g_array_index (ids, gint64, i), &read_error);
      if (data == NULL)
        {
          if (g_error_matches (read_error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_NOT_FOUND))
            continue;   /* deleted meanwhile */
          g_propagate_error (error, g_steal_pointer (&read_error));
          return FALSE;
        }
      bytes = g_bytes_get_data (data, &length);
      if (!kurir_mbox_write (buffered, bytes ? bytes : "", length,
                             g_array_index (times, gint64, i), &local_error))
        {
          g_set_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_IO,
                       _("could not write %s: %s"), path, local_error->message);
          return FALSE;
        }
      count++;
    }

  if (!g_output_stream_close (buffered, cancellable, &local_error))
    {
      g_set_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_IO,
                   _("could not write %s: %s"), path, local_error->message);
      return FALSE;
    }
  if (out_count)
    *out_count = count;
  return TRUE;
}

/* Partial messages, folder state, keys and the journal (IMAP) */

/**
 * kurir_store_move_with_key:
 * @key: (nullable): the backend key the message has in @folder
 *
 * Moves @id into @folder (created when new; the same folder to change the
 * key only) under a new file name that carries @key. No deleted_keys
 * entry. One rename: a crash leaves the message in one place or the other.
 */
gboolean
kurir_store_move_with_key (KurirStore  *self,
                           gint64       id,
                           const char  *folder,
                           const char  *key,
                           GError     **error)
{
  g_autofree char *account = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *filename = NULL;
  g_autofree char *uniq = NULL;
  g_autofree char *new_uniq = NULL;
  g_autofree char *new_filename = NULL;
  g_autofree char *target_dir = NULL;
  g_autofree char *from_cur = NULL;
  g_autofree char *to_cur = NULL;
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  AccountLock lock = { -1, NULL, FALSE };
  KurirMessageFlags flags;
  sqlite3_stmt *stmt;
  gint64 folder_id;
  gboolean ok = FALSE;

  g_return_val_if_fail (KURIR_IS_STORE (self), FALSE);

  if (!check_name (folder, _("folder"), error))
    return FALSE;
  if (key != NULL && (*key == '\0' || !kurir_maildir_key_is_valid (key)))
    {
      g_set_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_INVALID,
                   _("the backend key is empty or longer than %d bytes"),
                   KURIR_MAILDIR_MAX_KEY_LENGTH);
      return FALSE;
    }

  g_rec_mutex_lock (&self->mutex);
  if (!read_message_location (self, id, &account, NULL, NULL, NULL, NULL, error) ||
      !account_lock_acquire (self, account, TRUE, &lock, error) ||
      !read_message_location (self, id, NULL, &dir, &filename, &uniq, &flags, error))
    goto out;

  folder_id = lookup_folder (self, account, folder, TRUE, &target_dir, error);
  if (folder_id == 0)
    goto out;

  new_uniq = kurir_maildir_uniq_with_key (uniq, key);
  new_filename = kurir_maildir_filename (new_uniq, flags);
  {
    g_autofree char *from_path = folder_path (self, account, dir);
    g_autofree char *to_path = folder_path (self, account, target_dir);

    from_cur = g_build_filename (from_path, "cur", NULL);
    to_cur = g_build_filename (to_path, "cur", NULL);
  }
  from = g_build_filename (from_cur, filename, NULL);
  to = g_build_filename (to_cur, new_filename, NULL);
  if (strcmp (from, to) != 0 && !header_in_index (self, id))
    {
      if (g_rename (from, to) != 0)
        {
          kurir_maildir_set_io_error (error, errno, _("move"), from);
          goto out;
        }
      if (!kurir_maildir_fsync_dir (to_cur, error) ||
          (strcmp (from_cur, to_cur) != 0 && !kurir_maildir_fsync_dir (from_cur, error)))
        goto out;
    }

  stmt = prepare (self, "UPDATE messages SET folder_id = ?, in_inbox = ?, uniq = ?, filename = ?, "
                        "backend_key = ? WHERE id = ?", error);
  if (stmt == NULL)
    goto out;
  sqlite3_bind_int64 (stmt, 1, folder_id);
  sqlite3_bind_int (stmt, 2, strcmp (folder, KURIR_STORE_INBOX) == 0);
  bind_text (stmt, 3, new_uniq);
  bind_text (stmt, 4, new_filename);
  bind_text (stmt, 5, key);
  sqlite3_bind_int64 (stmt, 6, id);
  ok = step_done (self, stmt, error);

out:
  account_lock_release (&lock);
  g_rec_mutex_unlock (&self->mutex);
  return ok;
}

/**
 * kurir_store_complete_message:
 * @full: the whole message
 *
 * Crash-safe: the complete file is written into tmp/, flushed and renamed
 * into cur/ under a new name that shares the partial one's stem; then the
 * partial file goes; then the row. A crash in between leaves both files,
 * and reconciling keeps the complete one (with the row's id).
 */
gboolean
kurir_store_complete_message (KurirStore  *self,
                              gint64       id,
                              GBytes      *full,
                              GError     **error)
{
  g_return_val_if_fail (full != NULL, FALSE);
  return kurir_store_complete_batch (self, &id, &full, 1, error);
}

typedef struct
{
  gint64             id;
  GBytes            *full;
  char              *dir;
  char              *filename;
  char              *uniq;
  char              *new_uniq;
  char              *new_filename;
  char              *tmp_file;
  char              *old_file;
  char              *new_file;
  char              *cur;
  char              *key;
  gint64             received;
  KurirMessageFlags  flags;
  gboolean           in_index;   /* the partial one has no file */
  gboolean           written;
  gboolean           renamed;
} Completion;

static void
completion_clear (Completion *c)
{
  g_free (c->dir);
  g_free (c->filename);
  g_free (c->uniq);
  g_free (c->new_uniq);
  g_free (c->new_filename);
  g_free (c->tmp_file);
  g_free (c->old_file);
  g_free (c->new_file);
  g_free (c->cur);
  g_free (c->key);
}

/**
 * kurir_store_complete_batch:
 * @ids: messages of one account
 * @full: (array length=n): their whole bytes
 *
 * kurir_store_complete_message() for many messages, with one flush of the
 * file system and one transaction. Messages gone or complete already are
 * skipped. On failure the account is reconciled before this returns, so
 * each message is partial or complete, once.
 */
gboolean
kurir_store_complete_batch (KurirStore     *self,
                            const gint64   *ids,
                            GBytes * const *full,
                            guint           n,
                            GError        **error)
{
  g_autofree char *account = NULL;
  g_autoptr(GPtrArray) cur_dirs = g_ptr_array_new ();
  g_autoptr(GArray) items = g_array_new (FALSE, TRUE, sizeof (Completion));
  g_autoptr(GPtrArray) deferred = g_ptr_array_new_with_free_func (fts_entry_free);
  AccountLock lock = { -1, NULL, FALSE };
  gboolean touched = FALSE;
  gboolean ok = FALSE;
  gboolean synced = FALSE;
  guint n_old_files = 0;

  g_return_val_if_fail (KURIR_IS_STORE (self), FALSE);
  g_return_val_if_fail (n == 0 || (ids != NULL && full != NULL), FALSE);

  if (n == 0)
    return TRUE;

  g_rec_mutex_lock (&self->mutex);
  if (!read_message_location (self, ids[0], &account, NULL, NULL, NULL, NULL, error) ||
      !account_lock_acquire (self, account, TRUE, &lock, error))
    goto out;

  /* Under the lock: where each one is now. */
  for (guint i = 0; i < n; i++)
    {
      Completion c = { 0 };
      g_autofree char *other = NULL;
      g_autofree char *path = NULL;
      sqlite3_stmt *stmt;
      gint64 full_size = 0;

      if (!read_message_location (self, ids[i], &other, &c.dir, &c.filename, &c.uniq, &c.flags, NULL))
        {
          completion_clear (&c);
          continue;   /* deleted meanwhile */
        }
      if (g_strcmp0 (other, account) != 0)
        {
          completion_clear (&c);
          g_set_error_literal (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_INVALID,
                               _("the messages to complete are not all of one account"));
          goto out;
        }
      stmt = prepare (self, "SELECT full_size, received, backend_key FROM messages WHERE id = ?", error);
      if (stmt == NULL)
        {
          completion_clear (&c);
          goto out;
        }
      sqlite3_bind_int64 (stmt, 1, ids[i]);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        {
          full_size = sqlite3_column_int64 (stmt, 0);
          c.received = sqlite3_column_int64 (stmt, 1);
          c.key = column_strdup (stmt, 2);
        }
      sqlite3_reset (stmt);
      if (full_size == 0)
        {
          completion_clear (&c);
          continue;   /* complete already */
        }
      c.id = ids[i];
      c.full = full[i];
      path = folder_path (self, account, c.dir);
      c.cur = g_build_filename (path, "cur", NULL);
      c.new_uniq = kurir_maildir_uniq_with_sizes (c.uniq, g_bytes_get_size (full[i]), 0);
      c.new_filename = kurir_maildir_filename (c.new_uniq, c.flags);
      c.tmp_file = g_build_filename (path, "tmp", c.new_uniq, NULL);
      c.old_file = g_build_filename (c.cur, c.filename, NULL);
      c.new_file = g_build_filename (c.cur, c.new_filename, NULL);
      c.in_index = header_in_index (self, c.id);
      n_old_files += !c.in_index;
      g_array_append_val (items, c);
    }
  if (items->len == 0)
    {
      ok = TRUE;
      goto out;
    }

  /* 1. The whole messages, beside the partial ones, flushed. */
  for (guint i = 0; i < items->len; i++)
    {
      Completion *c = &g_array_index (items, Completion, i);
      gsize length;
      const char *bytes = g_bytes_get_data (c->full, &length);

      if (!kurir_maildir_write_file (c->tmp_file, bytes ? bytes : "", length, items->len == 1, error))
        goto out;
      c->written = TRUE;
    }
  /* kurir_maildir_syncfs() wants a directory (it used to get the file,
   * fail, and leave one fdatasync per message). */
  if (items->len > 1)
    {
      g_autofree char *tmp_dir = g_path_get_dirname (g_array_index (items, Completion, 0).tmp_file);

      synced = kurir_maildir_syncfs (tmp_dir);
    }
  if (items->len > 1 && !synced)
    for (guint i = 0; i < items->len; i++)
      {
        Completion *c = &g_array_index (items, Completion, i);
        int fd = open (c->tmp_file, O_RDONLY | O_CLOEXEC);

        if (fd < 0 || fdatasync (fd) != 0)
          {
            int saved_errno = errno;

            if (fd >= 0)
              close (fd);
            kurir_maildir_set_io_error (error, saved_errno, _("flush"), c->tmp_file);
            goto out;
          }
        close (fd);
      }

  /* 2. Into cur/, flushed. */
  for (guint i = 0; i < items->len; i++)
    {
      Completion *c = &g_array_index (items, Completion, i);
      gboolean seen = FALSE;

      if (g_rename (c->tmp_file, c->new_file) != 0)
        {
          kurir_maildir_set_io_error (error, errno, _("move into place"), c->new_file);
          goto out;
        }
      c->renamed = TRUE;
      touched = TRUE;
      for (guint j = 0; j < cur_dirs->len; j++)
        seen |= strcmp (g_ptr_array_index (cur_dirs, j), c->cur) == 0;
      if (!seen)
        g_ptr_array_add (cur_dirs, c->cur);
    }
  for (guint j = 0; j < cur_dirs->len; j++)
    if (!kurir_maildir_fsync_dir (g_ptr_array_index (cur_dirs, j), error))
      goto out;

  /* 3. The partial files go (headers kept in the index go with step 4). */
  for (guint i = 0; i < items->len; i++)
    {
      Completion *c = &g_array_index (items, Completion, i);

      if (!c->in_index && g_unlink (c->old_file) != 0 && errno != ENOENT)
        {
          kurir_maildir_set_io_error (error, errno, _("delete"), c->old_file);
          goto out;
        }
    }
  for (guint j = 0; n_old_files > 0 && j < cur_dirs->len; j++)
    if (!kurir_maildir_fsync_dir (g_ptr_array_index (cur_dirs, j), error))
      goto out;

  /* 4. The rows and their full-text entries. */
  if (!begin (self, error))
    goto out;
  for (guint i = 0; i < items->len; i++)
    {
      Completion *c = &g_array_index (items, Completion, i);
      Pending pending = { 0 };
      g_autofree char *names = NULL;
      KurirMessageInfo *info;
      sqlite3_stmt *stmt;
      gboolean row_ok;

      pending_prepare (&pending, c->full, c->key, c->flags, c->received);
      info = pending.info;
      names = join_strv (info->attachment_names, "\n", G_MAXUINT);

      stmt = prepare (self, "UPDATE messages SET uniq = ?, filename = ?, size = ?, full_size = 0, "
                            "content_hash = ?, n_attachments = ?, attachment_names = ?, preview = ? "
                            "WHERE id = ?", error);
      row_ok = stmt != NULL;
      if (row_ok)
        {
          bind_text (stmt, 1, c->new_uniq);
          bind_text (stmt, 2, c->new_filename);
          sqlite3_bind_int64 (stmt, 3, g_bytes_get_size (c->full));
          bind_text (stmt, 4, pending.hash);
          sqlite3_bind_int (stmt, 5, info->n_attachments);
          bind_text (stmt, 6, names);
          bind_text (stmt, 7, info->preview);
          sqlite3_bind_int64 (stmt, 8, c->id);
          row_ok = step_done (self, stmt, error);
        }
      if (row_ok && c->in_index)
        {
          stmt = prepare (self, "DELETE FROM message_headers WHERE id = ?", error);
          row_ok = stmt != NULL;
          if (row_ok)
            {
              sqlite3_bind_int64 (stmt, 1, c->id);
              row_ok = step_done (self, stmt, error);
            }
        }
      if (row_ok)
        row_ok = insert_fts (self, c->id, info, names, deferred, error);
      pending_clear (&pending);
      if (!row_ok)
        {
          rollback (self);
          goto out;
        }
    }
  ok = commit (self, error);

out:
  if (!ok)
    {
      for (guint i = 0; i < items->len; i++)
        {
          Completion *c = &g_array_index (items, Completion, i);

          if (c->written && !c->renamed)
            g_unlink (c->tmp_file);
        }
      /* Files moved, rows not: put the account right now. */
      if (touched && lock.fd >= 0)
        reconcile_account (self, account, FALSE, NULL);
    }
  for (guint i = 0; i < items->len; i++)
    completion_clear (&g_array_index (items, Completion, i));
  account_lock_release (&lock);
  if (ok)
    fts_queue_add (self, deferred);
  g_rec_mutex_unlock (&self->mutex);
  return ok;
}

/**
 * kurir_store_complete_message_async:
 *
 * Finish with kurir_store_change_finish().
 */
void
kurir_store_complete_message_async (KurirStore          *self,
                                    gint64               id,
                                    GBytes              *full,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  Op *op = op_new (OP_COMPLETE);

  g_return_if_fail (KURIR_IS_STORE (self));
  g_return_if_fail (full != NULL);

  op->id = id;
  op->data = g_bytes_ref (full);
  run_op (self, op, kurir_store_complete_message_async, cancellable, callback, user_data);
}

gboolean
kurir_store_set_folder_state (KurirStore  *self,
                              const char  *account,
                              const char  *folder,
                              gint64       uidvalidity,
                              gint64       uidnext,
                              gint64       highestmodseq,
                              GError     **error)
{
  AccountLock lock = { -1, NULL, FALSE };
  sqlite3_stmt *stmt;
  gboolean ok = FALSE;

  g_return_val_if_fail (KURIR_IS_STORE (self), FALSE);

  if (!check_name (account, _("account"), error) || !check_name (folder, _("folder"), error))
    return FALSE;

  g_rec_mutex_lock (&self->mutex);
  if (!account_lock_acquire (self, account, TRUE, &lock, error) ||
      lookup_folder (self, account, folder, TRUE, NULL, error) == 0)
    goto out;
  stmt = prepare (self, "UPDATE folders SET uidvalidity = ?, uidnext = ?, highestmodseq = ? "
                        "WHERE account = ? AND name = ?", error);
  if (stmt == NULL)
    goto out;
  sqlite3_bind_int64 (stmt, 1, uidvalidity);
  sqlite3_bind_int64 (stmt, 2, uidnext);
  sqlite3_bind_int64 (stmt, 3, highestmodseq);
  bind_text (stmt, 4, account);
  bind_text (stmt, 5, folder);
  ok = step_done (self, stmt, error);
out:
  account_lock_release (&lock);
  g_rec_mutex_unlock (&self->mutex);
  return ok;
}

/**
 * kurir_store_get_folder:
 *
 * Returns: (nullable): the folder, or NULL with KURIR_STORE_ERROR_NOT_FOUND
 */
KurirStoreFolder *
kurir_store_get_folder (KurirStore  *self,
                        const char  *account,
                        const char  *folder,
                        GError     **error)
{
  g_autoptr(GPtrArray) folders = NULL;

  g_return_val_if_fail (KURIR_IS_STORE (self), NULL);

  folders = kurir_store_list_folders (self, account, error);
  if (folders == NULL)
    return NULL;
  for (guint i = 0; i < folders->len; i++)
    {
      KurirStoreFolder *f = g_ptr_array_index (folders, i);

      if (g_strcmp0 (f->name, folder) == 0)
        return g_ptr_array_steal_index (folders, i);
    }
  g_set_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_NOT_FOUND,
               _("there is no folder “%s” in account “%s”"), folder, account);
  return NULL;
}

gboolean
kurir_store_set_folder_role (KurirStore  *self,
                             const char  *account,
                             const char  *folder,
                             const char  *role,
                             GError     **error)
{
  AccountLock lock = { -1, NULL, FALSE };
  sqlite3_stmt *stmt;
  gboolean ok = FALSE;

  g_return_val_if_fail (KURIR_IS_STORE (self), FALSE);

  if (!check_name (account, _("account"), error) || !check_name (folder, _("folder"), error))
    return FALSE;

  g_rec_mutex_lock (&self->mutex);
  if (!account_lock_acquire (self, account, TRUE, &lock, error) ||
      lookup_folder (self, account, folder, TRUE, NULL, error) == 0)
    goto out;
  /* One folder per role: the server's word replaces an older one. */
  if (role != NULL && strcmp (role, "inbox") != 0)
    {
      stmt = prepare (self, "UPDATE folders SET role = NULL WHERE account = ? AND role = ? "
                            "AND name != ?", error);
      if (stmt == NULL)
        goto out;
      bind_text (stmt, 1, account);
      bind_text (stmt, 2, role);
      bind_text (stmt, 3, folder);
      if (!step_done (self, stmt, error))
        goto out;
    }
  stmt = prepare (self, "UPDATE folders SET role = ? WHERE account = ? AND name = ?", error);
  if (stmt == NULL)
    goto out;
  bind_text (stmt, 1, strcmp (folder, KURIR_STORE_INBOX) == 0 ? "inbox" : role);
  bind_text (stmt, 2, account);
  bind_text (stmt, 3, folder);
  ok = step_done (self, stmt, error);
out:
  account_lock_release (&lock);
  g_rec_mutex_unlock (&self->mutex);
  return ok;
}

/**
 * kurir_store_rename_folder:
 *
 * Renames the folder and its directory (one rename), then its row.
 */
gboolean
kurir_store_rename_folder (KurirStore  *self,
                           const char  *account,
                           const char  *folder,
                           const char  *new_name,
                           GError     **error)
{
  AccountLock lock = { -1, NULL, FALSE };
  g_autofree char *dir = NULL;
  g_autofree char *new_dir = NULL;
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  g_autofree char *root = NULL;
  sqlite3_stmt *stmt;
  gint64 folder_id;
  gboolean ok = FALSE;

  g_return_val_if_fail (KURIR_IS_STORE (self), FALSE);

  if (!check_name (account, _("account"), error) || !check_name (folder, _("folder"), error) ||
      !check_name (new_name, _("folder"), error))
    return FALSE;
  if (strcmp (folder, KURIR_STORE_INBOX) == 0 || strcmp (new_name, KURIR_STORE_INBOX) == 0)
    {
      g_set_error_literal (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_INVALID,
                           _("INBOX cannot be renamed, nor another folder to INBOX"));
      return FALSE;
    }

  g_rec_mutex_lock (&self->mutex);
  if (!account_lock_acquire (self, account, TRUE, &lock, error))
    goto out;
  folder_id = lookup_folder (self, account, folder, FALSE, &dir, error);
  if (folder_id == 0)
    {
      if (error == NULL || *error == NULL)
        g_set_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_NOT_FOUND,
                     _("there is no folder “%s” in account “%s”"), folder, account);
      goto out;
    }
  if (lookup_folder (self, account, new_name, FALSE, NULL, error) != 0)
    {
      g_set_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_INVALID,
                   _("there is already a folder “%s” in account “%s”"), new_name, account);
      goto out;
    }
  new_dir = kurir_maildir_encode_name (new_name);
  from = folder_path (self, account, dir);
  to = folder_path (self, account, new_dir);
  root = account_dir (self, account);
  if (g_file_test (to, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_INVALID,
                   _("the folder directory %s is in the way"), to);
      goto out;
    }
  if (g_file_test (from, G_FILE_TEST_IS_DIR) && g_rename (from, to) != 0)
    {
      kurir_maildir_set_io_error (error, errno, _("rename"), from);
      goto out;
    }
  if (!kurir_maildir_ensure (to, error) || !write_folder_name (to, new_name, error) ||
      !kurir_maildir_fsync_dir (root, error))
    goto out;

  stmt = prepare (self, "UPDATE folders SET name = ?, dir = ? WHERE id = ?", error);
  if (stmt == NULL)
    goto out;
  bind_text (stmt, 1, new_name);
  bind_text (stmt, 2, new_dir);
  sqlite3_bind_int64 (stmt, 3, folder_id);
  ok = step_done (self, stmt, error);
out:
  account_lock_release (&lock);
  g_rec_mutex_unlock (&self->mutex);
  return ok;
}

static gboolean
remove_maildir_files (const char  *path,
                      gboolean     keyed_only,
                      guint       *out_removed,
                      GError     **error)
{
  const char *subdirs[] = { "cur", "new", "tmp" };
  guint removed = 0;

  for (guint s = 0; s < G_N_ELEMENTS (subdirs); s++)
    {
      g_autofree char *sub = g_build_filename (path, subdirs[s], NULL);
      g_autoptr(GDir) entries = g_dir_open (sub, 0, NULL);
      const char *entry;

      while (entries && (entry = g_dir_read_name (entries)) != NULL)
        {
          g_autofree char *file = g_build_filename (sub, entry, NULL);
          g_autofree char *key = NULL;

          if (keyed_only && s != 2)
            {
              if (!kurir_maildir_parse_filename (entry, NULL, NULL, &key, NULL) || key == NULL)
                continue;
            }
          if (g_unlink (file) != 0 && errno != ENOENT)
            {
              kurir_maildir_set_io_error (error, errno, _("delete"), file);
              return FALSE;
            }
          removed++;
        }
      if (g_file_test (sub, G_FILE_TEST_IS_DIR) && !kurir_maildir_fsync_dir (sub, error))
        return FALSE;
    }
  if (out_removed)
    *out_removed = removed;
  return TRUE;
}

gboolean
kurir_store_delete_folder (KurirStore  *self,
                           const char  *account,
                           const char  *folder,
                           GError     **error)
{
  AccountLock lock = { -1, NULL, FALSE };
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  sqlite3_stmt *stmt;
  gint64 folder_id;
  gboolean ok = FALSE;

  g_return_val_if_fail (KURIR_IS_STORE (self), FALSE);

  if (!check_name (account, _("account"), error) || !check_name (folder, _("folder"), error))
    return FALSE;

  g_rec_mutex_lock (&self->mutex);
  if (!account_lock_acquire (self, account, TRUE, &lock, error))
    goto out;
  folder_id = lookup_folder (self, account, folder, FALSE, &dir, error);
  if (folder_id == 0)
    {
      ok = error == NULL || *error == NULL;   /* gone already */
      goto out;
    }
  path = folder_path (self, account, dir);
  /* Files first: a crash leaves rows without files, which reconciling drops. */
  if (!remove_maildir_files (path, FALSE, NULL, error))
    goto out;

  if (!begin (self, error))
    goto out;
  stmt = prepare (self, "DELETE FROM messages WHERE folder_id = ?", error);
  if (stmt == NULL)
    goto rollback;
  sqlite3_bind_int64 (stmt, 1, folder_id);
  if (!step_done (self, stmt, error))
    goto rollback;
  stmt = prepare (self, "DELETE FROM folders WHERE id = ?", error);
  if (stmt == NULL)
    goto rollback;
  sqlite3_bind_int64 (stmt, 1, folder_id);
  if (!step_done (self, stmt, error) || !commit (self, error))
    goto rollback;

  {
    const char *subdirs[] = { "cur", "new", "tmp" };
    g_autofree char *name_file = g_build_filename (path, KURIR_MAILDIR_NAME_FILE, NULL);
    g_autofree char *root = account_dir (self, account);

    for (guint s = 0; s < G_N_ELEMENTS (subdirs); s++)
      {
        g_autofree char *sub = g_build_filename (path, subdirs[s], NULL);

        g_rmdir (sub);
      }
    g_unlink (name_file);
    if (g_rmdir (path) != 0)
      g_debug ("Could not remove %s: %s", path, g_strerror (errno));
    kurir_maildir_fsync_dir (root, NULL);
  }
  ok = TRUE;
  goto out;

rollback:
  rollback (self);
out:
  account_lock_release (&lock);
  g_rec_mutex_unlock (&self->mutex);
  return ok;
}

gint64
kurir_store_count_partial (KurirStore  *self,
                           const char  *account,
                           const char  *folder,
                           GError     **error)
{
  sqlite3_stmt *stmt;
  gint64 count = -1;
  int rc;

  g_return_val_if_fail (KURIR_IS_STORE (self), -1);
  g_return_val_if_fail (account != NULL && folder != NULL, -1);

  g_rec_mutex_lock (&self->mutex);
  stmt = prepare (self, "SELECT count(*) FROM messages m JOIN folders f ON f.id = m.folder_id "
                        "WHERE f.account = ? AND f.name = ? AND m.full_size > 0", error);
  if (stmt != NULL)
    {
      bind_text (stmt, 1, account);
      bind_text (stmt, 2, folder);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        count = sqlite3_column_int64 (stmt, 0);
      else
        set_db_error (self, error, rc, _("read"));
      sqlite3_reset (stmt);
    }
  g_rec_mutex_unlock (&self->mutex);
  return count;
}

gboolean
kurir_store_clear_folder (KurirStore  *self,
                          const char  *account,
                          const char  *folder,
                          guint       *out_removed,
                          GError     **error)
{
  AccountLock lock = { -1, NULL, FALSE };
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  sqlite3_stmt *stmt;
  gint64 folder_id;
  guint removed = 0;
  gboolean ok = FALSE;

  g_return_val_if_fail (KURIR_IS_STORE (self), FALSE);

  if (!check_name (account, _("account"), error) || !check_name (folder, _("folder"), error))
    return FALSE;

  g_rec_mutex_lock (&self->mutex);
  if (!account_lock_acquire (self, account, TRUE, &lock, error))
    goto out;
  folder_id = lookup_folder (self, account, folder, FALSE, &dir, error);
  if (folder_id == 0)
    {
      ok = error == NULL || *error == NULL;
      goto out;
    }
  path = folder_path (self, account, dir);
  if (!remove_maildir_files (path, TRUE, &removed, error))
    goto out;
  stmt = prepare (self, "DELETE FROM messages WHERE folder_id = ? AND backend_key IS NOT NULL",
                  error);
  if (stmt == NULL)
    goto out;
  sqlite3_bind_int64 (stmt, 1, folder_id);
  ok = step_done (self, stmt, error);
  if (out_removed)
    *out_removed = removed;
out:
  account_lock_release (&lock);
  g_rec_mutex_unlock (&self->mutex);
  return ok;
}

/**
 * kurir_store_lookup_key:
 *
 * Returns: the id of the message with @key in @folder, or 0 (with @error
 *   unset) when there is none
 */
gint64
kurir_store_lookup_key (KurirStore  *self,
                        const char  *account,
                        const char  *folder,
                        const char  *key,
                        GError     **error)
{
  sqlite3_stmt *stmt;
  gint64 id = 0;

  g_return_val_if_fail (KURIR_IS_STORE (self), 0);
  g_return_val_if_fail (key != NULL, 0);

  g_rec_mutex_lock (&self->mutex);
  stmt = prepare (self, "SELECT id FROM messages WHERE folder_id = "
                        "(SELECT id FROM folders WHERE account = ? AND name = ?) "
                        "AND backend_key = ? LIMIT 1", error);
  if (stmt != NULL)
    {
      bind_text (stmt, 1, account);
      bind_text (stmt, 2, folder ? folder : KURIR_STORE_INBOX);
      bind_text (stmt, 3, key);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        id = sqlite3_column_int64 (stmt, 0);
      sqlite3_reset (stmt);
    }
  g_rec_mutex_unlock (&self->mutex);
  return id;
}

GHashTable *
kurir_store_get_folder_keys (KurirStore  *self,
                             const char  *account,
                             const char  *folder,
                             GError     **error)
{
  g_autoptr(GHashTable) keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (KURIR_IS_STORE (self), NULL);

  g_rec_mutex_lock (&self->mutex);
  stmt = prepare (self, "SELECT backend_key, id, flags, full_size FROM messages WHERE folder_id = "
                        "(SELECT id FROM folders WHERE account = ? AND name = ?) "
                        "AND backend_key IS NOT NULL", error);
  if (stmt == NULL)
    {
      g_rec_mutex_unlock (&self->mutex);
      return NULL;
    }
  bind_text (stmt, 1, account);
  bind_text (stmt, 2, folder ? folder : KURIR_STORE_INBOX);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      KurirStoreKeyState *state = g_new0 (KurirStoreKeyState, 1);

      state->id = sqlite3_column_int64 (stmt, 1);
      state->flags = sqlite3_column_int (stmt, 2) & KURIR_MESSAGE_FLAGS_ALL;
      if (sqlite3_column_int64 (stmt, 3) > 0)
        state->flags |= KURIR_MESSAGE_FLAG_PARTIAL;
      g_hash_table_replace (keys, column_strdup (stmt, 0), state);
    }
  sqlite3_reset (stmt);
  g_rec_mutex_unlock (&self->mutex);
  if (rc != SQLITE_DONE)
    {
      set_db_error (self, error, rc, _("read"));
      return NULL;
    }
  return g_steal_pointer (&keys);
}

void
kurir_store_journal_entry_free (KurirStoreJournalEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->account);
  g_free (entry->folder);
  g_free (entry->target);
  g_free (entry->backend_key);
  g_free (entry->message_id);
  g_free (entry->error);
  g_free (entry);
}

/**
 * kurir_store_journal_add:
 *
 * Returns: the entry's id, or 0 on error
 */
gint64
kurir_store_journal_add (KurirStore                   *self,
                         const KurirStoreJournalEntry *entry,
                         GError                      **error)
{
  sqlite3_stmt *stmt;
  gint64 id = 0;

  g_return_val_if_fail (KURIR_IS_STORE (self), 0);
  g_return_val_if_fail (entry != NULL && entry->account != NULL, 0);

  g_rec_mutex_lock (&self->mutex);
  stmt = prepare (self, "INSERT INTO journal (account, op, folder, target, backend_key, uidvalidity, "
                        "message_id, add_flags, remove_flags, message, failed, error, created) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", error);
  if (stmt != NULL)
    {
      bind_text (stmt, 1, entry->account);
      sqlite3_bind_int (stmt, 2, entry->op);
      bind_text (stmt, 3, entry->folder);
      bind_text (stmt, 4, entry->target);
      bind_text (stmt, 5, entry->backend_key);
      sqlite3_bind_int64 (stmt, 6, entry->uidvalidity);
      bind_text (stmt, 7, entry->message_id);
      sqlite3_bind_int (stmt, 8, entry->add_flags & KURIR_MESSAGE_FLAGS_ALL);
      sqlite3_bind_int (stmt, 9, entry->remove_flags & KURIR_MESSAGE_FLAGS_ALL);
      if (entry->message > 0)
        sqlite3_bind_int64 (stmt, 10, entry->message);
      else
        sqlite3_bind_null (stmt, 10);
      sqlite3_bind_int (stmt, 11, entry->failed);
      bind_text (stmt, 12, entry->error);
      sqlite3_bind_int64 (stmt, 13, entry->created > 0 ? entry->created
                                                       : g_get_real_time () / G_USEC_PER_SEC);
      if (step_done (self, stmt, error))
        id = sqlite3_last_insert_rowid (self->db);
    }
  g_rec_mutex_unlock (&self->mutex);
  return id;
}

GPtrArray *
kurir_store_journal_list (KurirStore  *self,
                          const char  *account,
                          gboolean     failed,
                          GError     **error)
{
  g_autoptr(GPtrArray) entries =
    g_ptr_array_new_with_free_func ((GDestroyNotify) kurir_store_journal_entry_free);
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (KURIR_IS_STORE (self), NULL);

  g_rec_mutex_lock (&self->mutex);
  stmt = prepare (self, "SELECT id, account, op, folder, target, backend_key, uidvalidity, "
                        "message_id, add_flags, remove_flags, message, failed, error, created "
                        "FROM journal WHERE (?1 IS NULL OR account = ?1) AND failed = ?2 "
                        "ORDER BY id", error);
  if (stmt == NULL)
    {
      g_rec_mutex_unlock (&self->mutex);
      return NULL;
    }
  bind_text (stmt, 1, account);
  sqlite3_bind_int (stmt, 2, failed ? 1 : 0);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      KurirStoreJournalEntry *entry = g_new0 (KurirStoreJournalEntry, 1);

      entry->id = sqlite3_column_int64 (stmt, 0);
      entry->account = column_strdup (stmt, 1);
      entry->op = sqlite3_column_int (stmt, 2);
      entry->folder = column_strdup (stmt, 3);
      entry->target = column_strdup (stmt, 4);
      entry->backend_key = column_strdup (stmt, 5);
      entry->uidvalidity = sqlite3_column_int64 (stmt, 6);
      entry->message_id = column_strdup (stmt, 7);
      entry->add_flags = sqlite3_column_int (stmt, 8);
      entry->remove_flags = sqlite3_column_int (stmt, 9);
      entry->message = sqlite3_column_int64 (stmt, 10);
      entry->failed = sqlite3_column_int (stmt, 11);
      entry->error = column_strdup (stmt, 12);
      entry->created = sqlite3_column_int64 (stmt, 13);
      g_ptr_array_add (entries, entry);
    }
  sqlite3_reset (stmt);
  g_rec_mutex_unlock (&self->mutex);
  if (rc != SQLITE_DONE)
    {
      set_db_error (self, error, rc, _("read"));
      return NULL;
    }
  return g_steal_pointer (&entries);
}

gboolean
kurir_store_journal_remove (KurirStore  *self,
                            gint64       id,
                            GError     **error)
{
  sqlite3_stmt *stmt;
  gboolean ok = FALSE;

  g_return_val_if_fail (KURIR_IS_STORE (self), FALSE);

  g_rec_mutex_lock (&self->mutex);
  stmt = prepare (self, "DELETE FROM journal WHERE id = ?", error);
  if (stmt != NULL)
    {
      sqlite3_bind_int64 (stmt, 1, id);
      ok = step_done (self, stmt, error);
    }
  g_rec_mutex_unlock (&self->mutex);
  return ok;
}

gboolean
kurir_store_journal_set_failed (KurirStore  *self,
                                gint64       id,
                                const char  *message,
                                GError     **error)
{
  sqlite3_stmt *stmt;
  gboolean ok = FALSE;

  g_return_val_if_fail (KURIR_IS_STORE (self), FALSE);

  g_rec_mutex_lock (&self->mutex);
  stmt = prepare (self, "UPDATE journal SET failed = 1, error = ? WHERE id = ?", error);
  if (stmt != NULL)
    {
      bind_text (stmt, 1, message);
      sqlite3_bind_int64 (stmt, 2, id);
      ok = step_done (self, stmt, error);
    }
  g_rec_mutex_unlock (&self->mutex);
  return ok;
}

gboolean
kurir_store_journal_update_key (KurirStore  *self,
                                gint64       id,
                                const char  *folder,
                                const char  *key,
                                gint64       uidvalidity,
                                GError     **error)
{
  sqlite3_stmt *stmt;
  gboolean ok = FALSE;

  g_return_val_if_fail (KURIR_IS_STORE (self), FALSE);

  g_rec_mutex_lock (&self->mutex);
  stmt = prepare (self, "UPDATE journal SET folder = ?, backend_key = ?, uidvalidity = ? "
                        "WHERE id = ?", error);
  if (stmt != NULL)
    {
      bind_text (stmt, 1, folder);
      bind_text (stmt, 2, key);
      sqlite3_bind_int64 (stmt, 3, uidvalidity);
      sqlite3_bind_int64 (stmt, 4, id);
      ok = step_done (self, stmt, error);
    }
  g_rec_mutex_unlock (&self->mutex);
  return ok;
}
