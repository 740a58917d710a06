/* kurir-pop3-sync.c: the POP3 workflow of one account
 *
 * The whole sync runs on a main context of its own, so it can run in a
 * worker thread (kurir_pop3_sync_async) without touching the caller's
 * loop. Messages are stored in batches through the store's durable batch
 * write, by a writer thread while the download goes on (one batch waits
 * for it at most: memory stays bounded); a UIDL counts as known only once
 * its batch is in the store (its key is in the Maildir file name and the
 * index), so a crash at any point never loses a message and never
 * downloads one twice. A failed batch stops the download; nothing is
 * deleted on the server then.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-sync"

#include "config.h"

#include <string.h>

#include "kurir-checkpoint.h"
#include "kurir-pop3-client.h"
#include "kurir-pop3-sync.h"
#include "kurir-sync-private.h"

#define SECONDS_PER_DAY (24 * 60 * 60)

/* A batch of downloaded messages on its way to the store. */
typedef struct
{
  GPtrArray               *data;      /* GBytes; dropped once parsed */
  GPtrArray               *keys;      /* their UIDLs (borrowed) */
  gsize                    bytes;
  KurirStorePreparedBatch *prepared;  /* parsed, waiting for the writer */
} Batch;

typedef struct
{
  GMainContext         *context;
  GCancellable         *cancellable;
  KurirAccount         *account;
  KurirStore           *store;
  KurirPop3Client      *client;

  GHashTable           *number_to_uid;   /* message number → UIDL (borrowed) */
  Batch                *filling;         /* the batch the download fills */

  /* While the download goes on, a parser thread parses full batches and
   * a writer thread stores them. Under lock: */
  GMutex                lock;
  GCond                 cond;
  GThread              *parser;
  GThread              *writer;
  GQueue                to_parse;        /* Batch, waiting for the parser */
  GQueue                to_write;        /* Batch, parsed, waiting for the writer */
  guint                 in_flight;       /* batches handed over, not yet stored */
  gboolean              finishing;       /* no more batches will come */
  gboolean              parsed_all;      /* and the parser is done */
  GError               *write_error;     /* the first store failure: stops all */
  GHashTable           *stored;          /* UIDLs stored by this sync (borrowed) */
  guint                 n_stored;

  guint                 n_submitted;     /* messages handed over (main thread) */
  guint                 n_reported;      /* progress, main thread only */
  guint                 total;
  KurirSyncProgressFunc progress;
  gpointer              progress_data;
} Sync;

typedef struct
{
  KurirAccount *account;
  KurirStore   *store;
  char         *password;
} SyncTaskData;

/* Helpers */


static GAsyncResult *
wait_for (Sync          *sync,
          GAsyncResult **slot)
{
  return kurir_sync_wait (sync->context, slot);
}

/* Batches of at most this many messages (tests make it small). */
static guint batch_messages = KURIR_POP3_SYNC_BATCH_MESSAGES;

static Batch *
batch_new (void)
{
  Batch *batch = g_new0 (Batch, 1);

  batch->data = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  batch->keys = g_ptr_array_new ();
  return batch;
}

static void
batch_free (Batch *batch)
{
  g_ptr_array_unref (batch->data);
  g_ptr_array_unref (batch->keys);
  kurir_store_prepared_batch_free (batch->prepared);
  g_free (batch);
}

/* Parser thread: checks and parses each batch (takes no lock on the
 * store), so the writer need not. */
static gpointer
parser_thread (gpointer user_data)
{
  Sync *sync = user_data;

  g_mutex_lock (&sync->lock);
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autofree KurirStoreNewMessage *messages = NULL;
      Batch *batch;

      while (g_queue_is_empty (&sync->to_parse) && !sync->finishing)
        g_cond_wait (&sync->cond, &sync->lock);
      batch = g_queue_pop_head (&sync->to_parse);
      if (batch == NULL)
        break;
      if (sync->write_error != NULL)
        {
          batch_free (batch);
          sync->in_flight--;
          g_cond_broadcast (&sync->cond);
          continue;
        }
      g_mutex_unlock (&sync->lock);

      messages = g_new0 (KurirStoreNewMessage, batch->data->len);
      for (guint i = 0; i < batch->data->len; i++)
        {
          messages[i].data = g_ptr_array_index (batch->data, i);
          messages[i].backend_key = g_ptr_array_index (batch->keys, i);
        }
      batch->prepared = kurir_store_prepare_batch (messages, batch->data->len, &error);
      /* The prepared batch holds its own references to the data. */
      g_ptr_array_set_size (batch->data, 0);

      g_mutex_lock (&sync->lock);
      if (batch->prepared == NULL)
        {
          if (sync->write_error == NULL)
            sync->write_error = g_steal_pointer (&error);
          batch_free (batch);
          sync->in_flight--;
        }
      else
        g_queue_push_tail (&sync->to_write, batch);
      g_cond_broadcast (&sync->cond);
    }
  sync->parsed_all = TRUE;
  g_cond_broadcast (&sync->cond);
  g_mutex_unlock (&sync->lock);
  return NULL;
}

/* Writer thread: the durable batch write (files, flush, index rows); only
 * then do its UIDLs count as known. */
static gpointer
writer_thread (gpointer user_data)
{
  Sync *sync = user_data;

  g_mutex_lock (&sync->lock);
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      Batch *batch;
      gboolean ok;

      while (g_queue_is_empty (&sync->to_write) && !sync->parsed_all)
        g_cond_wait (&sync->cond, &sync->lock);
      batch = g_queue_pop_head (&sync->to_write);
      if (batch == NULL)
        break;
      if (sync->write_error != NULL)
        {
          batch_free (batch);
          sync->in_flight--;
          g_cond_broadcast (&sync->cond);
          continue;
        }
      g_mutex_unlock (&sync->lock);

      ok = kurir_store_add_prepared_batch (sync->store, kurir_account_get_name (sync->account),
                                           KURIR_STORE_INBOX, batch->prepared, NULL, &error);

      g_mutex_lock (&sync->lock);
      if (ok)
        {
          kurir_checkpoint ("pop3-stored");
          /* Stored: from here on these UIDLs are known. */
          for (guint i = 0; i < batch->keys->len; i++)
            g_hash_table_add (sync->stored, g_ptr_array_index (batch->keys, i));
          kurir_checkpoint ("pop3-uidl-recorded");
          sync->n_stored += batch->keys->len;
        }
      else if (sync->write_error == NULL)
        sync->write_error = g_steal_pointer (&error);
      batch_free (batch);
      sync->in_flight--;
      g_cond_broadcast (&sync->cond);
    }
  g_mutex_unlock (&sync->lock);
  return NULL;
}

/* Main thread: tells the caller how many messages are stored. */
static void
report_progress (Sync *sync)
{
  guint n;

  g_mutex_lock (&sync->lock);
  n = sync->n_stored;
  g_mutex_unlock (&sync->lock);

  if (n == sync->n_reported)
    return;
  sync->n_reported = n;
  g_debug ("%s: stored %u of %u", kurir_account_get_name (sync->account), n, sync->total);
  if (sync->progress != NULL)
    sync->progress (n, sync->total, sync->progress_data);
}

/* Hands the filled batch to the parser and writer, waiting while
 * KURIR_POP3_SYNC_BATCHES_QUEUED are on their way (so at most that many
 * are in memory, plus the one being filled). Fails with the store's error
 * once a batch failed. */
static gboolean
submit_batch (Sync    *sync,
              GError **error)
{
  Batch *batch = sync->filling;
  gboolean ok = TRUE;

  if (batch->data->len == 0)
    return TRUE;
  sync->filling = batch_new ();

  g_mutex_lock (&sync->lock);
  while (sync->write_error == NULL && sync->in_flight >= KURIR_POP3_SYNC_BATCHES_QUEUED)
    g_cond_wait (&sync->cond, &sync->lock);
  if (sync->write_error != NULL)
    {
      g_propagate_error (error, g_error_copy (sync->write_error));
      batch_free (batch);
      ok = FALSE;
    }
  else
    {
      g_queue_push_tail (&sync->to_parse, batch);
      sync->in_flight++;
      sync->n_submitted += batch->keys->len;
      g_cond_broadcast (&sync->cond);
    }
  g_mutex_unlock (&sync->lock);

  report_progress (sync);
  return ok;
}

static void
writer_start (Sync *sync)
{
  sync->parser = g_thread_new ("kurir-pop3-parse", parser_thread, sync);
  sync->writer = g_thread_new ("kurir-pop3-store", writer_thread, sync);
}

/* Stores what is left (unless a batch failed) and waits for the writer.
 * Returns the first store failure. */
static gboolean
writer_finish (Sync    *sync,
               GError **error)
{
  gboolean ok = submit_batch (sync, error);

  g_mutex_lock (&sync->lock);
  sync->finishing = TRUE;
  g_cond_broadcast (&sync->cond);
  g_mutex_unlock (&sync->lock);
  g_thread_join (g_steal_pointer (&sync->parser));
  g_thread_join (g_steal_pointer (&sync->writer));

  report_progress (sync);
  if (ok && sync->write_error != NULL)
    {
      g_propagate_error (error, g_error_copy (sync->write_error));
      ok = FALSE;
    }
  return ok;
}

/* Storing is slower than downloading: small batches first, so the
 * parser and the writer start early, doubling up to the largest size;
 * and smaller again towards the end, so little is left to store once
 * the last message has arrived. */
static guint
batch_limit (Sync *sync)
{
  guint smallest = MIN (KURIR_POP3_SYNC_BATCH_MIN_MESSAGES, batch_messages);
  guint remaining = sync->total - sync->n_submitted;

  return CLAMP (MIN (sync->n_submitted, remaining / 4), smallest, batch_messages);
}

static gboolean
message_cb (guint     number,
            GBytes   *message,
            gpointer  user_data,
            GError  **error)
{
  Sync *sync = user_data;
  Batch *batch = sync->filling;
  const char *uid = g_hash_table_lookup (sync->number_to_uid, GUINT_TO_POINTER (number));

  g_assert (uid != NULL);
  kurir_checkpoint ("pop3-downloaded");
  g_ptr_array_add (batch->data, g_bytes_ref (message));
  g_ptr_array_add (batch->keys, (gpointer) uid);
  batch->bytes += g_bytes_get_size (message);

  if (batch->data->len >= batch_limit (sync) || batch->bytes >= KURIR_POP3_SYNC_BATCH_BYTES)
    return submit_batch (sync, error);
  return TRUE;
}

/* Whether the account's policy deletes this stored message on the server. */
static gboolean
should_delete (KurirAccount      *account,
               KurirStoreKeyInfo *info,
               gint64             now)
{
  guint days;

  if (!kurir_account_get_leave_on_server (account))
    return TRUE;

  days = kurir_account_get_delete_after_days (account);
  if (days > 0 && info != NULL && now - info->received >= (gint64) days * SECONDS_PER_DAY)
    return TRUE;

  return info != NULL && info->deleted != 0 &&
         kurir_account_get_delete_when_deleted_here (account);
}

static gboolean
connect_and_login (Sync        *sync,
                   const char  *password,
                   GError     **error)
{
  g_autoptr(KurirConnection) connection = NULL;
  g_autoptr(GAsyncResult) connected = NULL;
  g_autoptr(GAsyncResult) authenticated = NULL;
  KurirAccount *account = sync->account;

  if (password == NULL)
    {
      g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_KEYRING,
                   "No password is stored for %s on %s; give one with "
                   "“kurir-cli account set %s --password-stdin”",
                   kurir_account_get_user (account), kurir_account_get_host (account),
                   kurir_account_get_name (account));
      return FALSE;
    }

  connection = kurir_account_new_connection (account, KURIR_PROTOCOL_POP3, error);
  if (connection == NULL)
    return FALSE;

  sync->client = kurir_pop3_client_new (connection);
  kurir_pop3_client_set_allow_plaintext (sync->client, kurir_account_get_allow_plaintext (account));

  kurir_pop3_client_connect_async (sync->client, sync->cancellable, kurir_sync_store_result, &connected);
  if (!kurir_pop3_client_connect_finish (sync->client, wait_for (sync, &connected), error))
    return FALSE;

  kurir_pop3_client_authenticate_async (sync->client, kurir_account_get_user (account), password,
                                        sync->cancellable, kurir_sync_store_result, &authenticated);
  return kurir_pop3_client_authenticate_finish (sync->client, wait_for (sync, &authenticated), error);
}

static gboolean
run_sync (Sync               *sync,
          const char         *password,
          KurirPop3SyncStats *stats,
          GError            **error)
{
  const char *name = kurir_account_get_name (sync->account);
  g_autoptr(GAsyncResult) listed = NULL;
  g_autoptr(GAsyncResult) retrieved = NULL;
  g_autoptr(GAsyncResult) quit = NULL;
  g_autoptr(GArray) uids = NULL;
  g_autoptr(GArray) to_fetch = NULL;
  g_autoptr(GArray) to_delete = NULL;
  g_autoptr(GHashTable) known = NULL;
  g_autoptr(GHashTable) uid_count = NULL;
  g_autoptr(GHashTable) on_server = NULL;
  g_autoptr(GHashTable) fetching = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) forget = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gboolean from_headers = FALSE;

  if (!connect_and_login (sync, password, error))
    return FALSE;

  kurir_pop3_client_uidl_async (sync->client, sync->cancellable, kurir_sync_store_result, &listed);
  uids = kurir_pop3_client_uidl_finish (sync->client, wait_for (sync, &listed), &from_headers, error);
  if (uids == NULL)
    return FALSE;
  if (from_headers)
    g_debug ("%s: the server has no UIDL; messages are known by their headers", name);

  known = kurir_store_get_account_keys (sync->store, name, error);
  if (known == NULL)
    return FALSE;

  /* A UIDL the server lists twice is a broken server: fetch it once, and
   * never delete either copy, since we cannot tell which one we have. */
  uid_count = g_hash_table_new (g_str_hash, g_str_equal);
  on_server = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < uids->len; i++)
    {
      const char *uid = g_array_index (uids, KurirPop3UidEntry, i).uid;
      guint count = GPOINTER_TO_UINT (g_hash_table_lookup (uid_count, uid));

      g_hash_table_insert (uid_count, (gpointer) uid, GUINT_TO_POINTER (count + 1));
      g_hash_table_add (on_server, (gpointer) uid);
    }

  to_fetch = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint i = 0; i < uids->len; i++)
    {
      KurirPop3UidEntry *entry = &g_array_index (uids, KurirPop3UidEntry, i);

      if (g_hash_table_contains (known, entry->uid))
        continue;
      /* One number per UIDL: a duplicate later in the list is not fetched. */
      if (!g_hash_table_insert (fetching, entry->uid, NULL))
        continue;
      g_hash_table_insert (sync->number_to_uid, GUINT_TO_POINTER (entry->number), entry->uid);
      g_array_append_val (to_fetch, entry->number);
    }

  stats->on_server = uids->len;
  sync->total = to_fetch->len;
  g_debug ("%s: %u on the server, %u to download", name, uids->len, to_fetch->len);

  if (to_fetch->len > 0)
    {
      gboolean ok;

      writer_start (sync);
      kurir_pop3_client_retrieve_many_async (sync->client,
                                             (const guint *) to_fetch->data, to_fetch->len,
                                             message_cb, sync, NULL, sync->cancellable,
                                             kurir_sync_store_result, &retrieved);
      ok = kurir_pop3_client_retrieve_many_finish (sync->client, wait_for (sync, &retrieved), error);
      g_debug ("%s: download ended; %u of %u stored so far", name, sync->n_reported, sync->total);
      /* What arrived before an error is stored all the same (unless the
       * error is a failed store, which stops everything). */
      if (!writer_finish (sync, ok ? error : NULL) || !ok)
        return FALSE;
    }
  stats->downloaded = g_hash_table_size (sync->stored);

  /* Only messages stored here may be deleted there. */
  to_delete = g_array_new (FALSE, FALSE, sizeof (guint));
  forget = g_ptr_array_new ();
  for (guint i = 0; i < uids->len; i++)
    {
      KurirPop3UidEntry *entry = &g_array_index (uids, KurirPop3UidEntry, i);
      KurirStoreKeyInfo *info = g_hash_table_lookup (known, entry->uid);
      KurirStoreKeyInfo fresh = { NULL, now, 0 };

      if (GPOINTER_TO_UINT (g_hash_table_lookup (uid_count, entry->uid)) > 1)
        continue;
      if (info == NULL && g_hash_table_contains (sync->stored, entry->uid))
        info = &fresh;
      if (info == NULL || !should_delete (sync->account, info, now))
        continue;

      g_array_append_val (to_delete, entry->number);
      if (info->deleted != 0)
        g_ptr_array_add (forget, entry->uid);
    }

  for (guint i = 0; i < to_delete->len; i++)
    {
      g_autoptr(GAsyncResult) deleted = NULL;

      kurir_pop3_client_delete_async (sync->client, g_array_index (to_delete, guint, i),
                                      sync->cancellable, kurir_sync_store_result, &deleted);
      if (!kurir_pop3_client_delete_finish (sync->client, wait_for (sync, &deleted), error))
        return FALSE;
      kurir_checkpoint ("pop3-dele");
    }

  kurir_checkpoint ("pop3-quit");
  kurir_pop3_client_quit_async (sync->client, sync->cancellable, kurir_sync_store_result, &quit);
  if (!kurir_pop3_client_quit_finish (sync->client, wait_for (sync, &quit), error))
    return FALSE;
  kurir_checkpoint ("pop3-quit-done");

  stats->deleted_on_server = to_delete->len;
  stats->kept_on_server = uids->len - to_delete->len;

  /* The server applied the deletions: what was deleted here and is gone
   * there need not be remembered any longer. */
  {
    GHashTableIter iter;
    gpointer key, value;

    g_hash_table_iter_init (&iter, known);
    while (g_hash_table_iter_next (&iter, &key, &value))
      if (((KurirStoreKeyInfo *) value)->deleted != 0 && !g_hash_table_contains (on_server, key))
        g_ptr_array_add (forget, key);
    g_ptr_array_add (forget, NULL);
    if (!kurir_store_forget_deleted_keys (sync->store, name,
                                          (const char * const *) forget->pdata, error))
      return FALSE;
  }

  return TRUE;
}

static void
sync_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  SyncTaskData *data = task_data;
  KurirPop3SyncStats *stats = g_new0 (KurirPop3SyncStats, 1);
  GError *error = NULL;

  if (!kurir_pop3_sync_run (data->account, data->store, data->password, NULL, NULL,
                            stats, cancellable, &error))
    {
      g_free (stats);
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, stats, g_free);
}

static void
sync_task_data_free (SyncTaskData *data)
{
  g_clear_object (&data->account);
  g_clear_object (&data->store);
  if (data->password != NULL)
    {
      explicit_bzero (data->password, strlen (data->password));
      g_free (data->password);
    }
  g_free (data);
}

/* Public API */

/**
 * kurir_pop3_sync_set_batch_messages:
 * @n: at most this many messages per stored batch; 0 for the default
 *
 * For tests, which need several batches out of a few messages. Set it
 * before any sync runs.
 */
void
kurir_pop3_sync_set_batch_messages (guint n)
{
  batch_messages = n > 0 ? n : KURIR_POP3_SYNC_BATCH_MESSAGES;
}

/**
 * kurir_pop3_sync_run:
 * @password: the account's password (from the keyring)
 * @progress: (nullable): called as batches of messages are stored
 *
 * Runs one POP3 sync of @account into @store, blocking the calling thread
 * (it iterates a main context of its own). Use kurir_pop3_sync_async()
 * from a thread with a user interface.
 */
gboolean
kurir_pop3_sync_run (KurirAccount           *account,
                     KurirStore             *store,
                     const char             *password,
                     KurirSyncProgressFunc   progress,
                     gpointer                progress_data,
                     KurirPop3SyncStats     *out_stats,
                     GCancellable           *cancellable,
                     GError                **error)
{
  KurirPop3SyncStats stats = { 0 };
  g_autoptr(GMainContext) context = NULL;
  Sync sync = { 0 };
  gboolean ok;

  g_return_val_if_fail (KURIR_IS_ACCOUNT (account), FALSE);
  g_return_val_if_fail (KURIR_IS_STORE (store), FALSE);
  g_return_val_if_fail (kurir_account_get_protocol (account) == KURIR_PROTOCOL_POP3, FALSE);

  context = g_main_context_new ();
  g_main_context_push_thread_default (context);

  sync.context = context;
  sync.cancellable = cancellable;
  sync.account = account;
  sync.store = store;
  sync.progress = progress;
  sync.progress_data = progress_data;
  sync.number_to_uid = g_hash_table_new (g_direct_hash, g_direct_equal);
  sync.filling = batch_new ();
  g_mutex_init (&sync.lock);
  g_cond_init (&sync.cond);
  g_queue_init (&sync.to_parse);
  g_queue_init (&sync.to_write);
  sync.stored = g_hash_table_new (g_str_hash, g_str_equal);

  ok = run_sync (&sync, password, &stats, error);

  /* Without QUIT the server deletes nothing: dropping the connection on an
   * error is the safe way out. */
  if (sync.client != NULL)
    {
      if (!ok)
        kurir_pop3_client_disconnect (sync.client);
      g_clear_object (&sync.client);
    }
  while (g_main_context_iteration (context, FALSE))
    ;

  g_hash_table_unref (sync.number_to_uid);
  g_assert (sync.writer == NULL && g_queue_is_empty (&sync.to_parse) &&
            g_queue_is_empty (&sync.to_write) && sync.in_flight == 0);
  batch_free (sync.filling);
  g_clear_error (&sync.write_error);
  g_mutex_clear (&sync.lock);
  g_cond_clear (&sync.cond);
  g_hash_table_unref (sync.stored);
  g_main_context_pop_thread_default (context);

  if (ok && out_stats != NULL)
    *out_stats = stats;
  return ok;
}

void
kurir_pop3_sync_async (KurirAccount        *account,
                       KurirStore          *store,
                       const char          *password,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  SyncTaskData *data;

  g_return_if_fail (KURIR_IS_ACCOUNT (account));
  g_return_if_fail (KURIR_IS_STORE (store));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, kurir_pop3_sync_async);

  data = g_new0 (SyncTaskData, 1);
  data->account = g_object_ref (account);
  data->store = g_object_ref (store);
  data->password = g_strdup (password);
  g_task_set_task_data (task, data, (GDestroyNotify) sync_task_data_free);
  g_task_run_in_thread (task, sync_thread);
}

gboolean
kurir_pop3_sync_finish (GAsyncResult        *result,
                        KurirPop3SyncStats  *out_stats,
                        GError             **error)
{
  g_autofree KurirPop3SyncStats *stats = NULL;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  stats = g_task_propagate_pointer (G_TASK (result), error);
  if (stats == NULL)
    return FALSE;
  if (out_stats != NULL)
    *out_stats = *stats;
  return TRUE;
}
