/* kurir-store.h: the local mail store: Maildir files and one SQLite index
 *
 * Layout under the store's root ($XDG_DATA_HOME/kurir by default):
 *   mail/ACCOUNT/FOLDER/{tmp,new,cur}   one Maildir per folder; ACCOUNT and
 *                                       FOLDER encoded (kurir-maildir.h)
 *   mail/ACCOUNT/.kurir-lock            flock: one writer per account
 *   index.sqlite                        the index (WAL), rebuilt from the
 *                                       files when missing or damaged
 *
 * Sync calls are for kurir-cli and worker threads; the app uses the
 * _async ones, which run the SQLite and file work in a worker thread.
 * A KurirStore may be used from several threads: calls are serialised.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "kurir-message.h"

G_BEGIN_DECLS

#define KURIR_STORE_ERROR (kurir_store_error_quark ())

/* The codes say what the caller can do. */
typedef enum {
  KURIR_STORE_ERROR_BUSY,       /* another process writes to the account: try again later */
  KURIR_STORE_ERROR_NOT_FOUND,  /* no such message or folder */
  KURIR_STORE_ERROR_CORRUPT,    /* the index is damaged: reindex */
  KURIR_STORE_ERROR_IO,         /* the disk failed or is full: free space, try again */
  KURIR_STORE_ERROR_INVALID,    /* bad input (query, name, key): fix it */
} KurirStoreError;

GQuark kurir_store_error_quark (void);

#define KURIR_STORE_INBOX "INBOX"

/* How long a writer waits for another process's lock on the account. */
#define KURIR_STORE_LOCK_TIMEOUT_MS 2000

/* One message to store. */
typedef struct
{
  GBytes            *data;         /* the exact bytes */
  const char        *backend_key;  /* IMAP UID or POP3 UIDL, or NULL */
  KurirMessageFlags  flags;
  gint64             received;     /* Unix time, or 0 for now */
  gint64             full_size;    /* data holds only the headers of a message of
                                    * this size (KURIR_MESSAGE_FLAG_PARTIAL);
                                    * 0: data is the whole message */
} KurirStoreNewMessage;

/* A folder and its counts. */
typedef struct
{
  char   *account;
  char   *name;
  char   *role;          /* special use (inbox, sent, drafts, trash, junk, archive) or NULL */
  guint   total;
  guint   unread;
  gint64  uidvalidity;   /* 0: unknown */
  gint64  uidnext;
  gint64  highestmodseq;
} KurirStoreFolder;

void              kurir_store_folder_free  (KurirStoreFolder *folder);

/* What kurir_store_import() did. */
typedef struct
{
  guint added;
  guint duplicates;
  guint failed;          /* unreadable entries, skipped */
} KurirStoreImportStats;

/* A backend key the account knows (kurir_store_get_account_keys()). */
typedef struct
{
  char   *folder;
  gint64  received;   /* when the message was stored here */
  gint64  deleted;    /* when it was deleted here, or 0 while it is here */
} KurirStoreKeyInfo;

void              kurir_store_key_info_free (KurirStoreKeyInfo *info);

/* A message of a folder by its backend key (kurir_store_get_folder_keys()). */
typedef struct
{
  gint64             id;
  KurirMessageFlags  flags;   /* with KURIR_MESSAGE_FLAG_PARTIAL */
} KurirStoreKeyState;

typedef enum /*< flags >*/ {
  KURIR_STORE_DELETE_NONE   = 0,
  /* The server no longer has it, or a journal will delete it there: leave
   * no deleted_keys entry behind. */
  KURIR_STORE_DELETE_FORGET = 1 << 0,
} KurirStoreDeleteFlags;

/* Edits waiting for the server (the offline journal, kurir-journal.h). */
typedef enum {
  KURIR_STORE_JOURNAL_FLAGS,          /* add_flags/remove_flags on key in folder */
  KURIR_STORE_JOURNAL_DELETE,         /* to the Trash, or expunged when none */
  KURIR_STORE_JOURNAL_MOVE,           /* key in folder to target */
  KURIR_STORE_JOURNAL_CREATE_FOLDER,  /* target */
  KURIR_STORE_JOURNAL_APPEND,         /* message (a local id) into folder */
} KurirStoreJournalOp;

typedef struct
{
  gint64              id;
  char               *account;
  KurirStoreJournalOp op;
  char               *folder;
  char               *target;
  char               *backend_key;
  gint64              uidvalidity;
  char               *message_id;
  KurirMessageFlags   add_flags;
  KurirMessageFlags   remove_flags;
  gint64              message;      /* local id, or 0 */
  gboolean            failed;
  char               *error;
  gint64              created;
} KurirStoreJournalEntry;

void              kurir_store_journal_entry_free (KurirStoreJournalEntry *entry);

#define KURIR_TYPE_STORE (kurir_store_get_type ())
G_DECLARE_FINAL_TYPE (KurirStore, kurir_store, KURIR, STORE, GObject)

char         *kurir_store_get_default_path     (void);

KurirStore   *kurir_store_open                 (const char        *path,
                                                GError           **error);
void          kurir_store_open_async           (const char        *path,
                                                GCancellable      *cancellable,
                                                GAsyncReadyCallback callback,
                                                gpointer           user_data);
KurirStore   *kurir_store_open_finish          (GAsyncResult      *result,
                                                GError           **error);

const char   *kurir_store_get_path             (KurirStore        *self);
/* Where the message's file is; a partial message whose header is kept in
 * the index (schema 5) has none there: read it with kurir_store_get_raw(). */
char         *kurir_store_get_message_path     (KurirStore        *self,
                                                gint64             id,
                                                GError           **error);

/* Adding: files first, made durable, then the index. On success every
 * message is on disk and indexed; a backend may then record it as
 * downloaded. @out_ids: the new ids (gint64), in order. */
gint64        kurir_store_add                  (KurirStore        *self,
                                                const char        *account,
                                                const char        *folder,
                                                GBytes            *data,
                                                const char        *backend_key,
                                                KurirMessageFlags  flags,
                                                gint64             received,
                                                GError           **error);
gboolean      kurir_store_add_batch            (KurirStore        *self,
                                                const char        *account,
                                                const char        *folder,
                                                const KurirStoreNewMessage *messages,
                                                guint              n_messages,
                                                GArray           **out_ids,
                                                GError           **error);
/* The same in two halves, for a backend that parses the next batch on
 * one thread while another writes this one: _prepare_batch() checks and
 * parses (no store, no lock, any thread); _add_prepared_batch() is the
 * durable write and the index, once per batch. */
typedef struct _KurirStorePreparedBatch KurirStorePreparedBatch;

KurirStorePreparedBatch *kurir_store_prepare_batch (const KurirStoreNewMessage *messages,
                                                guint              n_messages,
                                                GError           **error);
guint         kurir_store_prepared_batch_get_size (KurirStorePreparedBatch *batch);
void          kurir_store_prepared_batch_free  (KurirStorePreparedBatch *batch);
gboolean      kurir_store_add_prepared_batch   (KurirStore        *self,
                                                const char        *account,
                                                const char        *folder,
                                                KurirStorePreparedBatch *batch,
                                                GArray           **out_ids,
                                                GError           **error);
void          kurir_store_add_batch_async      (KurirStore        *self,
                                                const char        *account,
                                                const char        *folder,
                                                const KurirStoreNewMessage *messages,
                                                guint              n_messages,
                                                GCancellable      *cancellable,
                                                GAsyncReadyCallback callback,
                                                gpointer           user_data);
GArray       *kurir_store_add_batch_finish     (KurirStore        *self,
                                                GAsyncResult      *result,
                                                GError           **error);

/* Reading. account NULL and folder NULL: the unified inbox (INBOX of every
 * account); account only: its INBOX; folder only: that folder everywhere.
 * Newest first. Returns: (element-type KurirMessage). */
GPtrArray    *kurir_store_list                 (KurirStore        *self,
                                                const char        *account,
                                                const char        *folder,
                                                guint              offset,
                                                guint              limit,
                                                GError           **error);
void          kurir_store_list_async           (KurirStore        *self,
                                                const char        *account,
                                                const char        *folder,
                                                guint              offset,
                                                guint              limit,
                                                GCancellable      *cancellable,
                                                GAsyncReadyCallback callback,
                                                gpointer           user_data);
GPtrArray    *kurir_store_list_finish          (KurirStore        *self,
                                                GAsyncResult      *result,
                                                GError           **error);
gint64        kurir_store_count                (KurirStore        *self,
                                                const char        *account,
                                                const char        *folder,
                                                GError           **error);
void          kurir_store_count_async          (KurirStore        *self,
                                                const char        *account,
                                                const char        *folder,
                                                GCancellable      *cancellable,
                                                GAsyncReadyCallback callback,
                                                gpointer           user_data);
gint64        kurir_store_count_finish         (KurirStore        *self,
                                                GAsyncResult      *result,
                                                GError           **error);
GPtrArray    *kurir_store_search               (KurirStore        *self,
                                                const char        *query,
                                                guint              offset,
                                                guint              limit,
                                                GError           **error);
void          kurir_store_search_async         (KurirStore        *self,
                                                const char        *query,
                                                guint              offset,
                                                guint              limit,
                                                GCancellable      *cancellable,
                                                GAsyncReadyCallback callback,
                                                gpointer           user_data);
GPtrArray    *kurir_store_search_finish        (KurirStore        *self,
                                                GAsyncResult      *result,
                                                GError           **error);
KurirMessage *kurir_store_get_message          (KurirStore        *self,
                                                gint64             id,
                                                GError           **error);
GPtrArray    *kurir_store_get_thread           (KurirStore        *self,
                                                gint64             thread_id,
                                                GError           **error);
GBytes       *kurir_store_get_raw              (KurirStore        *self,
                                                gint64             id,
                                                GError           **error);
void          kurir_store_get_raw_async        (KurirStore        *self,
                                                gint64             id,
                                                GCancellable      *cancellable,
                                                GAsyncReadyCallback callback,
                                                gpointer           user_data);
GBytes       *kurir_store_get_raw_finish       (KurirStore        *self,
                                                GAsyncResult      *result,
                                                GError           **error);

/* Changing: the file first (renamed), then the index. */
gboolean      kurir_store_set_flags            (KurirStore        *self,
                                                gint64             id,
                                                KurirMessageFlags  add,
                                                KurirMessageFlags  remove,
                                                GError           **error);
gboolean      kurir_store_delete               (KurirStore        *self,
                                                gint64             id,
                                                GError           **error);
gboolean      kurir_store_delete_full          (KurirStore        *self,
                                                gint64             id,
                                                KurirStoreDeleteFlags flags,
                                                GError           **error);
/* Moves @id into @folder (the same one to only change the key) and gives
 * it the backend key @key (NULL: none), in one rename. */
gboolean      kurir_store_move_with_key        (KurirStore        *self,
                                                gint64             id,
                                                const char        *folder,
                                                const char        *key,
                                                GError           **error);
/* Replaces the headers of a partial message by the whole message @full:
 * written durably under a new name, then the partial file removed, then
 * the row and its full-text entry. Idempotent (TRUE for a complete one). */
gboolean      kurir_store_complete_message     (KurirStore        *self,
                                                gint64             id,
                                                GBytes            *full,
                                                GError           **error);
gboolean      kurir_store_complete_batch       (KurirStore        *self,
                                                const gint64      *ids,
                                                GBytes * const    *full,
                                                guint              n,
                                                GError           **error);
void          kurir_store_complete_message_async (KurirStore      *self,
                                                gint64             id,
                                                GBytes            *full,
                                                GCancellable      *cancellable,
                                                GAsyncReadyCallback callback,
                                                gpointer           user_data);
gboolean      kurir_store_move                 (KurirStore        *self,
                                                gint64             id,
                                                const char        *folder,
                                                GError           **error);
void          kurir_store_set_flags_async      (KurirStore        *self,
                                                gint64             id,
                                                KurirMessageFlags  add,
                                                KurirMessageFlags  remove,
                                                GCancellable      *cancellable,
                                                GAsyncReadyCallback callback,
                                                gpointer           user_data);
void          kurir_store_delete_async         (KurirStore        *self,
                                                gint64             id,
                                                GCancellable      *cancellable,
                                                GAsyncReadyCallback callback,
                                                gpointer           user_data);
void          kurir_store_move_async           (KurirStore        *self,
                                                gint64             id,
                                                const char        *folder,
                                                GCancellable      *cancellable,
                                                GAsyncReadyCallback callback,
                                                gpointer           user_data);
gboolean      kurir_store_change_finish        (KurirStore        *self,
                                                GAsyncResult      *result,
                                                GError           **error);

/* Folders. account NULL: every account's. */
GPtrArray    *kurir_store_list_folders         (KurirStore        *self,
                                                const char        *account,
                                                GError           **error);
void          kurir_store_list_folders_async   (KurirStore        *self,
                                                const char        *account,
                                                GCancellable      *cancellable,
                                                GAsyncReadyCallback callback,
                                                gpointer           user_data);
GPtrArray    *kurir_store_list_folders_finish  (KurirStore        *self,
                                                GAsyncResult      *result,
                                                GError           **error);
gboolean      kurir_store_create_folder        (KurirStore        *self,
                                                const char        *account,
                                                const char        *folder,
                                                const char        *role,
                                                GError           **error);
char         *kurir_store_get_folder_dir       (KurirStore        *self,
                                                const char        *account,
                                                const char        *folder);
/* IMAP folder state; 0 is "unknown". */
gboolean      kurir_store_set_folder_state     (KurirStore        *self,
                                                const char        *account,
                                                const char        *folder,
                                                gint64             uidvalidity,
                                                gint64             uidnext,
                                                gint64             highestmodseq,
                                                GError           **error);
KurirStoreFolder *kurir_store_get_folder       (KurirStore        *self,
                                                const char        *account,
                                                const char        *folder,
                                                GError           **error);
gboolean      kurir_store_set_folder_role      (KurirStore        *self,
                                                const char        *account,
                                                const char        *folder,
                                                const char        *role,
                                                GError           **error);
gboolean      kurir_store_rename_folder        (KurirStore        *self,
                                                const char        *account,
                                                const char        *folder,
                                                const char        *new_name,
                                                GError           **error);
/* The folder, its files and rows; no deleted_keys entries. */
gboolean      kurir_store_delete_folder        (KurirStore        *self,
                                                const char        *account,
                                                const char        *folder,
                                                GError           **error);
/* Drops the messages of @folder that have a backend key (a UIDVALIDITY
 * change); those without one (not yet on the server) and the journal
 * stay. No deleted_keys entries. */
gboolean      kurir_store_clear_folder         (KurirStore        *self,
                                                const char        *account,
                                                const char        *folder,
                                                guint             *out_removed,
                                                GError           **error);
/* How many messages of @folder are partial (-1 on error). */
gint64        kurir_store_count_partial        (KurirStore        *self,
                                                const char        *account,
                                                const char        *folder,
                                                GError           **error);

/* What a backend needs. */
gboolean      kurir_store_has_backend_key      (KurirStore        *self,
                                                const char        *account,
                                                const char        *folder,
                                                const char        *key,
                                                GError           **error);
GHashTable   *kurir_store_get_account_keys     (KurirStore        *self,
                                                const char        *account,
                                                GError           **error);
gboolean      kurir_store_forget_deleted_keys  (KurirStore        *self,
                                                const char        *account,
                                                const char * const *keys,
                                                GError           **error);
GPtrArray    *kurir_store_list_backend_keys    (KurirStore        *self,
                                                const char        *account,
                                                const char        *folder,
                                                GError           **error);
/* The message with @key in @folder: its id, or 0 (no error) when none. */
gint64        kurir_store_lookup_key           (KurirStore        *self,
                                                const char        *account,
                                                const char        *folder,
                                                const char        *key,
                                                GError           **error);
/* Returns: (element-type utf8 KurirStoreKeyState): key → state of every
 * message of @folder that has a key. */
GHashTable   *kurir_store_get_folder_keys      (KurirStore        *self,
                                                const char        *account,
                                                const char        *folder,
                                                GError           **error);

/* The journal's table; kurir-journal.h gives it meaning. */
gint64        kurir_store_journal_add          (KurirStore        *self,
                                                const KurirStoreJournalEntry *entry,
                                                GError           **error);
/* Returns: (element-type KurirStoreJournalEntry): oldest first; @account
 * NULL: every account's; with @failed, only the refused ones, else only
 * the pending ones. */
GPtrArray    *kurir_store_journal_list         (KurirStore        *self,
                                                const char        *account,
                                                gboolean           failed,
                                                GError           **error);
gboolean      kurir_store_journal_remove       (KurirStore        *self,
                                                gint64             id,
                                                GError           **error);
gboolean      kurir_store_journal_set_failed   (KurirStore        *self,
                                                gint64             id,
                                                const char        *message,
                                                GError           **error);
/* A pending edit's message got a new place (a move replayed, a
 * UIDVALIDITY change): later edits of it follow. */
gboolean      kurir_store_journal_update_key   (KurirStore        *self,
                                                gint64             id,
                                                const char        *folder,
                                                const char        *key,
                                                gint64             uidvalidity,
                                                GError           **error);

/* Full-text rows follow a message's durable commit in a later, larger
 * transaction; this writes every one still waiting (searches do it). */
gboolean      kurir_store_flush_index          (KurirStore        *self,
                                                GError           **error);

/* Rebuilds the index of @account (NULL: all) from its Maildir files,
 * keeping flags and backend keys from the file names. */
gboolean      kurir_store_reindex              (KurirStore        *self,
                                                const char        *account,
                                                GError           **error);
void          kurir_store_reindex_async        (KurirStore        *self,
                                                const char        *account,
                                                GCancellable      *cancellable,
                                                GAsyncReadyCallback callback,
                                                gpointer           user_data);
gboolean      kurir_store_reindex_finish       (KurirStore        *self,
                                                GAsyncResult      *result,
                                                GError           **error);

/* Import from an mbox file or a Maildir folder (cur/ and new/, flags
 * kept); messages already in the folder (same Message-ID and bytes) are
 * skipped. Export writes a folder as mbox. */
gboolean      kurir_store_import               (KurirStore        *self,
                                                const char        *account,
                                                const char        *folder,
                                                const char        *path,
                                                KurirStoreImportStats *out_stats,
                                                GCancellable      *cancellable,
                                                GError           **error);
gboolean      kurir_store_export_mbox          (KurirStore        *self,
                                                const char        *account,
                                                const char        *folder,
                                                const char        *path,
                                                guint             *out_count,
                                                GCancellable      *cancellable,
                                                GError           **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KurirStoreFolder, kurir_store_folder_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KurirStoreJournalEntry, kurir_store_journal_entry_free)

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KurirStorePreparedBatch, kurir_store_prepared_batch_free)

G_END_DECLS
