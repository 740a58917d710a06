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
 * Messages over the account's size limit are stored as their headers
 * (TOP n 0, a partial message under its UIDL); kurir_pop3_sync_fetch_body()
 * gets the rest when the message is opened. Such a message is never
 * deleted on the server while only its headers are here, nor when it was
 * deleted here unread, unless the account deletes on the server what is
 * deleted here. Right after a switch from IMAP (INBOX still has IMAP
 * state), messages IMAP cached are matched to the server's by their
 * headers and given their UIDL instead of being downloaded again.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-sync"

#include "config.h"

#include <glib/gi18n.h>
#include <inttypes.h>
#include <string.h>

#include "kurir-checkpoint.h"
#include "kurir-message-info.h"
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
  GHashTable           *sizes;           /* message number → LIST size (guint64 *), or NULL */
  GHashTable           *partial;         /* UIDLs stored as headers only by this sync */
  GHashTable           *adopted;         /* UIDL → id of a message here it was given to */
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
  gboolean              unindexed;       /* stored since the last kurir_store_flush_index() */

  guint                 n_submitted;     /* messages handed over (main thread) */
  guint                 n_reported;      /* progress, main thread only */
  guint                 total;
  KurirSyncProgressFunc progress;
  gpointer              progress_data;
  KurirPop3PasswordFunc password_func;   /* or NULL: the password was given */
  gpointer              password_data;
} Sync;

typedef struct
{
  KurirAccount *account;
  KurirStore   *store;
  char         *password;
  gint64        id;        /* fetch_body: the message */
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

      /* Nothing to write: index what is stored (and at the end). */
      if (g_queue_is_empty (&sync->to_write) && sync->unindexed)
        {
          sync->unindexed = FALSE;
          g_mutex_unlock (&sync->lock);
          if (!kurir_store_flush_index (sync->store, &error))
            g_warning ("Could not update the full-text index: %s", error->message);
          g_mutex_lock (&sync->lock);
          continue;
        }
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
          sync->unindexed = TRUE;
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

/* Size limit: messages over it are stored as their headers (TOP n 0). */

typedef struct
{
  Sync      *sync;
  GArray    *messages;   /* KurirStoreNewMessage; data owned by @data */
  GPtrArray *data;       /* GBytes */
  gsize      bytes;
  guint      stored;
} Headers;

static guint64
size_of (Sync  *sync,
         guint  number)
{
  guint64 *size = sync->sizes != NULL ? g_hash_table_lookup (sync->sizes, GUINT_TO_POINTER (number)) : NULL;

  return size != NULL ? *size : 0;
}

/* Durably stores what @headers holds as partial messages; only then do
 * their UIDLs count as known. */
static gboolean
headers_store (Headers  *headers,
               GError  **error)
{
  Sync *sync = headers->sync;

  if (headers->messages->len == 0)
    return TRUE;
  if (!kurir_store_add_batch (sync->store, kurir_account_get_name (sync->account), KURIR_STORE_INBOX,
                              (const KurirStoreNewMessage *) headers->messages->data,
                              headers->messages->len, NULL, error))
    return FALSE;

  g_mutex_lock (&sync->lock);
  for (guint i = 0; i < headers->messages->len; i++)
    {
      const char *uid = g_array_index (headers->messages, KurirStoreNewMessage, i).backend_key;

      g_hash_table_add (sync->stored, (gpointer) uid);
      g_hash_table_add (sync->partial, (gpointer) uid);
    }
  g_mutex_unlock (&sync->lock);
  headers->stored += headers->messages->len;
  g_array_set_size (headers->messages, 0);
  g_ptr_array_set_size (headers->data, 0);
  headers->bytes = 0;
  return TRUE;
}

static gboolean
header_cb (guint     number,
           GBytes   *data,
           gpointer  user_data,
           GError  **error)
{
  Headers *headers = user_data;
  KurirStoreNewMessage message = { 0 };

  message.data = data;
  message.backend_key = g_hash_table_lookup (headers->sync->number_to_uid, GUINT_TO_POINTER (number));
  message.full_size = (gint64) size_of (headers->sync, number);
  g_assert (message.backend_key != NULL);
  g_ptr_array_add (headers->data, g_bytes_ref (data));
  g_array_append_val (headers->messages, message);
  headers->bytes += g_bytes_get_size (data);

  if (headers->messages->len >= batch_messages || headers->bytes >= KURIR_POP3_SYNC_BATCH_BYTES)
    return headers_store (headers, error);
  return TRUE;
}

/* Stores the messages @numbers (all over the size limit) as their headers. */
static gboolean
store_headers (Sync        *sync,
               GArray      *numbers,
               guint       *out_stored,
               GError     **error)
{
  g_autoptr(GAsyncResult) fetched = NULL;
  Headers headers = { sync, NULL, NULL, 0, 0 };
  gboolean ok;

  headers.messages = g_array_new (FALSE, TRUE, sizeof (KurirStoreNewMessage));
  headers.data = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  kurir_pop3_client_top_many_async (sync->client, (const guint *) numbers->data, numbers->len,
                                    header_cb, &headers, NULL, sync->cancellable,
                                    kurir_sync_store_result, &fetched);
  ok = kurir_pop3_client_top_many_finish (sync->client, wait_for (sync, &fetched), error);
  /* What arrived before an error is stored all the same. */
  if (!headers_store (&headers, ok ? error : NULL))
    ok = FALSE;
  *out_stored = headers.stored;
  g_array_unref (headers.messages);
  g_ptr_array_unref (headers.data);
  return ok;
}

static gboolean
list_sizes (Sync        *sync,
            GArray     **out_list,
            GError     **error)
{
  g_autoptr(GAsyncResult) listed = NULL;
  GArray *list;

  if (sync->sizes != NULL)
    return TRUE;
  kurir_pop3_client_list_async (sync->client, sync->cancellable, kurir_sync_store_result, &listed);
  list = kurir_pop3_client_list_finish (sync->client, wait_for (sync, &listed), error);
  if (list == NULL)
    return FALSE;
  sync->sizes = g_hash_table_new (g_direct_hash, g_direct_equal);
  for (guint i = 0; i < list->len; i++)
    {
      KurirPop3ListEntry *entry = &g_array_index (list, KurirPop3ListEntry, i);

      g_hash_table_insert (sync->sizes, GUINT_TO_POINTER (entry->number), &entry->size);
    }
  *out_list = list;
  return TRUE;
}

/* Switching from IMAP: mail that the IMAP sync cached in INBOX is found
 * among the server's messages by their headers (TOP n 0) and given its
 * UIDL, instead of being downloaded again. */

typedef struct
{
  GPtrArray  *infos;     /* KurirMessageInfo, in the order of the numbers */
} Identities;

static gboolean
identity_cb (guint     number,
             GBytes   *data,
             gpointer  user_data,
             GError  **error)
{
  Identities *identities = user_data;
  gsize length;
  const char *bytes = g_bytes_get_data (data, &length);

  g_ptr_array_add (identities->infos, kurir_message_info_new_from_data (bytes ? bytes : "", length));
  return TRUE;
}

static gboolean
same_message (KurirMessage     *message,
              KurirMessageInfo *info,
              guint64           size)
{
  return kurir_message_get_date (message) == info->date &&
         g_strcmp0 (kurir_message_get_from (message), info->from) == 0 &&
         (guint64) kurir_message_get_full_size (message) == size;
}

/* Gives stored messages of INBOX that have no UIDL the UIDL of the server
 * message they are; removes those numbers from @to_fetch. A Message-ID
 * found once on each side is enough; otherwise (none, or repeated) Date,
 * From and size must agree as well and single out one message. */
static gboolean
adopt_stored (Sync        *sync,
              GHashTable  *on_server,
              GArray      *to_fetch,
              guint       *out_adopted,
              GError     **error)
{
  const char *name = kurir_account_get_name (sync->account);
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GHashTable) by_id = NULL;       /* Message-ID ("" for none) → GPtrArray of KurirMessage */
  g_autoptr(GHashTable) server_ids = NULL;  /* Message-ID → count among the new ones */
  g_autoptr(GHashTable) taken = NULL;
  g_autoptr(GAsyncResult) fetched = NULL;
  g_autoptr(GArray) left = NULL;
  Identities identities = { NULL };
  gboolean ok;

  *out_adopted = 0;
  messages = kurir_store_list (sync->store, name, KURIR_STORE_INBOX, 0, G_MAXUINT, error);
  if (messages == NULL)
    return FALSE;
  by_id = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) g_ptr_array_unref);
  for (guint i = 0; i < messages->len; i++)
    {
      KurirMessage *message = g_ptr_array_index (messages, i);
      const char *key = kurir_message_get_backend_key (message);
      const char *id = kurir_message_get_message_id (message);
      GPtrArray *same;

      if (key != NULL && g_hash_table_contains (on_server, key))
        continue;  /* a POP3 message already */
      id = id != NULL ? id : "";
      same = g_hash_table_lookup (by_id, id);
      if (same == NULL)
        g_hash_table_insert (by_id, (gpointer) id, same = g_ptr_array_new ());
      g_ptr_array_add (same, message);
    }
  if (g_hash_table_size (by_id) == 0)
    return TRUE;

  identities.infos = g_ptr_array_new_with_free_func ((GDestroyNotify) kurir_message_info_free);
  kurir_pop3_client_top_many_async (sync->client, (const guint *) to_fetch->data, to_fetch->len,
                                    identity_cb, &identities, NULL, sync->cancellable,
                                    kurir_sync_store_result, &fetched);
  ok = kurir_pop3_client_top_many_finish (sync->client, wait_for (sync, &fetched), error);
  if (!ok)
    {
      g_ptr_array_unref (identities.infos);
      return FALSE;
    }
  g_assert (identities.infos->len == to_fetch->len);

  server_ids = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < identities.infos->len; i++)
    {
      KurirMessageInfo *info = g_ptr_array_index (identities.infos, i);

      if (info->message_id != NULL)
        g_hash_table_insert (server_ids, info->message_id,
                             GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (server_ids, info->message_id)) + 1));
    }

  taken = g_hash_table_new (g_direct_hash, g_direct_equal);
  left = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint i = 0; i < to_fetch->len && ok; i++)
    {
      guint number = g_array_index (to_fetch, guint, i);
      KurirMessageInfo *info = g_ptr_array_index (identities.infos, i);
      const char *uid = g_hash_table_lookup (sync->number_to_uid, GUINT_TO_POINTER (number));
      GPtrArray *same = g_hash_table_lookup (by_id, info->message_id != NULL ? info->message_id : "");
      KurirMessage *found = NULL;
      guint n_found = 0;

      for (guint j = 0; same != NULL && j < same->len; j++)
        {
          KurirMessage *message = g_ptr_array_index (same, j);

          if (g_hash_table_contains (taken, message))
            continue;
          if (info->message_id != NULL && same->len == 1 &&
              GPOINTER_TO_UINT (g_hash_table_lookup (server_ids, info->message_id)) == 1)
            {
              found = message;
              n_found = 1;
              break;
            }
          if (same_message (message, info, size_of (sync, number)))
            {
              found = message;
              n_found++;
            }
        }

      if (n_found != 1)
        {
          g_array_append_val (left, number);
          continue;
        }
      g_debug ("%s: message %u (%s) is stored here already as %" G_GINT64_FORMAT,
               name, number, uid, kurir_message_get_id (found));
      ok = kurir_store_move_with_key (sync->store, kurir_message_get_id (found), KURIR_STORE_INBOX,
                                      uid, error);
      if (ok)
        {
          g_hash_table_add (taken, found);
          g_hash_table_insert (sync->adopted, (gpointer) uid,
                               GINT_TO_POINTER ((kurir_message_get_flags (found) & KURIR_MESSAGE_FLAG_PARTIAL) != 0));
          (*out_adopted)++;
        }
    }
  g_ptr_array_unref (identities.infos);
  if (!ok)
    return FALSE;

  g_array_set_size (to_fetch, 0);
  g_array_append_vals (to_fetch, left->data, left->len);
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

static void
set_no_password_error (KurirAccount  *account,
                       GError       **error)
{
  g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_KEYRING,
               "No password is stored for %s on %s; give one with "
               "“kurir-cli account set %s --password-stdin”",
               kurir_account_get_user (account), kurir_account_get_host (account),
               kurir_account_get_name (account));
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
  char *looked_up = NULL;
  gboolean ok;

  if (password == NULL && sync->password_func == NULL)
    {
      set_no_password_error (account, error);
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

  /* Looked up while the connection and its TLS handshake were made. */
  if (sync->password_func != NULL)
    {
      GError *local_error = NULL;

      looked_up = sync->password_func (sync->password_data, &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, local_error);
          return FALSE;
        }
      if (looked_up == NULL)
        {
          set_no_password_error (account, error);
          return FALSE;
        }
      password = looked_up;
    }

  kurir_pop3_client_authenticate_async (sync->client, kurir_account_get_user (account), password,
                                        sync->cancellable, kurir_sync_store_result, &authenticated);
  ok = kurir_pop3_client_authenticate_finish (sync->client, wait_for (sync, &authenticated), error);
  if (looked_up != NULL)
    {
      explicit_bzero (looked_up, strlen (looked_up));
      g_free (looked_up);
    }
  return ok;
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
  g_autoptr(GArray) sizes = NULL;
  g_autoptr(GHashTable) folder_keys = NULL;
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

  /* The sizes, for the size limit (and to tell messages apart when
   * switching from IMAP). */
  if (kurir_account_get_size_limit_kb (sync->account) > 0 && !list_sizes (sync, &sizes, error))
    return FALSE;

  /* Just switched from IMAP (INBOX has IMAP state): what IMAP cached is
   * not downloaded again. Only then: a normal sync pays nothing for it. */
  if (to_fetch->len > 0)
    {
      g_autoptr(KurirStoreFolder) inbox = NULL;
      g_autoptr(GError) local_error = NULL;

      inbox = kurir_store_get_folder (sync->store, name, KURIR_STORE_INBOX, &local_error);
      if (inbox == NULL && !g_error_matches (local_error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (inbox != NULL && inbox->uidvalidity != 0)
        {
          if (!list_sizes (sync, &sizes, error) ||
              !adopt_stored (sync, on_server, to_fetch, &stats->found_here, error) ||
              !kurir_store_set_folder_state (sync->store, name, KURIR_STORE_INBOX, 0, 0, 0, error))
            return FALSE;
          g_debug ("%s: %u messages cached by IMAP are the server's", name, stats->found_here);
        }
    }

  /* Over the size limit: the headers now, the body when opened. */
  if (to_fetch->len > 0 && kurir_account_get_size_limit_kb (sync->account) > 0 &&
      (!kurir_pop3_client_get_capa_supported (sync->client) ||
       kurir_pop3_client_has_capability (sync->client, "TOP")))
    {
      guint64 limit = (guint64) kurir_account_get_size_limit_kb (sync->account) * 1024;
      g_autoptr(GArray) whole = g_array_new (FALSE, FALSE, sizeof (guint));
      g_autoptr(GArray) big = g_array_new (FALSE, FALSE, sizeof (guint));

      for (guint i = 0; i < to_fetch->len; i++)
        {
          guint number = g_array_index (to_fetch, guint, i);

          g_array_append_val (size_of (sync, number) > limit ? big : whole, number);
        }
      if (big->len > 0)
        {
          g_autoptr(GError) top_error = NULL;
          gboolean ok = store_headers (sync, big, &stats->headers_only, &top_error);

          g_debug ("%s: %u of %u over %" G_GUINT64_FORMAT " bytes stored as headers",
                   name, stats->headers_only, big->len, limit);
          /* -ERR to TOP (optional in RFC 1939; a server without CAPA may
           * lack it): the rest come whole, as without a limit. */
          if (!ok && g_error_matches (top_error, KURIR_POP3_ERROR, KURIR_POP3_ERROR_NO_SUCH_MESSAGE) &&
              kurir_pop3_client_is_connected (sync->client))
            {
              g_debug ("%s: TOP refused (%s); downloading whole", name, top_error->message);
              for (guint i = 0; i < big->len; i++)
                {
                  guint number = g_array_index (big, guint, i);

                  if (!g_hash_table_contains (sync->stored,
                                              g_hash_table_lookup (sync->number_to_uid, GUINT_TO_POINTER (number))))
                    g_array_append_val (whole, number);
                }
              ok = TRUE;
            }
          if (!ok)
            {
              g_propagate_error (error, g_steal_pointer (&top_error));
              return FALSE;
            }
          g_array_set_size (to_fetch, 0);
          g_array_append_vals (to_fetch, whole->data, whole->len);
        }
    }

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

  /* Only messages whose body is stored here may be deleted there, and one
   * deleted here unread (over the size limit) only when the person asked
   * for that (delete when deleted here). */
  to_delete = g_array_new (FALSE, FALSE, sizeof (guint));
  forget = g_ptr_array_new ();
  folder_keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_hash_table_unref);
  for (guint i = 0; i < uids->len; i++)
    {
      KurirPop3UidEntry *entry = &g_array_index (uids, KurirPop3UidEntry, i);
      KurirStoreKeyInfo *info = g_hash_table_lookup (known, entry->uid);
      KurirStoreKeyInfo fresh = { NULL, now, 0 };
      gboolean partial;

      if (GPOINTER_TO_UINT (g_hash_table_lookup (uid_count, entry->uid)) > 1)
        continue;
      if (info == NULL && (g_hash_table_contains (sync->stored, entry->uid) ||
                           g_hash_table_contains (sync->adopted, entry->uid)))
        info = &fresh;
      if (info == NULL || !should_delete (sync->account, info, now))
        continue;

      if (info->deleted != 0)
        {
          /* Its body may never have been here. */
          guint64 limit = (guint64) kurir_account_get_size_limit_kb (sync->account) * 1024;

          partial = limit > 0 && size_of (sync, entry->number) > limit &&
                    !kurir_account_get_delete_when_deleted_here (sync->account);
        }
      else if (info == &fresh)
        partial = g_hash_table_contains (sync->partial, entry->uid) ||
                  GPOINTER_TO_INT (g_hash_table_lookup (sync->adopted, entry->uid));
      else
        {
          GHashTable *keys = g_hash_table_lookup (folder_keys, info->folder);
          KurirStoreKeyState *state;

          if (keys == NULL)
            {
              keys = kurir_store_get_folder_keys (sync->store, name, info->folder, error);
              if (keys == NULL)
                return FALSE;
              g_hash_table_insert (folder_keys, g_strdup (info->folder), keys);
            }
          state = g_hash_table_lookup (keys, entry->uid);
          partial = state == NULL || (state->flags & KURIR_MESSAGE_FLAG_PARTIAL);
        }
      if (partial)
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

/* Downloads the body of the partial message @id (its UIDL is its key). */
static gboolean
run_fetch_body (Sync        *sync,
                const char  *password,
                gint64       id,
                GError     **error)
{
  const char *name = kurir_account_get_name (sync->account);
  g_autoptr(KurirMessage) message = NULL;
  g_autoptr(GAsyncResult) listed = NULL;
  g_autoptr(GAsyncResult) retrieved = NULL;
  g_autoptr(GAsyncResult) quit = NULL;
  g_autoptr(GArray) uids = NULL;
  g_autoptr(GBytes) body = NULL;
  const char *key;
  guint number = 0;

  message = kurir_store_get_message (sync->store, id, error);
  if (message == NULL)
    return FALSE;
  if (!(kurir_message_get_flags (message) & KURIR_MESSAGE_FLAG_PARTIAL))
    return TRUE;
  key = kurir_message_get_backend_key (message);
  if (g_strcmp0 (kurir_message_get_account (message), name) != 0 || key == NULL)
    {
      g_set_error (error, KURIR_POP3_ERROR, KURIR_POP3_ERROR_NO_SUCH_MESSAGE,
                   _("message %" PRId64 " was not downloaded from %s by account %s"),
                   id, kurir_account_get_host (sync->account), name);
      return FALSE;
    }

  if (!connect_and_login (sync, password, error))
    return FALSE;
  kurir_pop3_client_uidl_async (sync->client, sync->cancellable, kurir_sync_store_result, &listed);
  uids = kurir_pop3_client_uidl_finish (sync->client, wait_for (sync, &listed), NULL, error);
  if (uids == NULL)
    return FALSE;
  for (guint i = 0; i < uids->len; i++)
    {
      KurirPop3UidEntry *entry = &g_array_index (uids, KurirPop3UidEntry, i);

      if (g_str_equal (entry->uid, key))
        {
          number = entry->number;
          break;
        }
    }
  if (number == 0)
    {
      g_set_error (error, KURIR_POP3_ERROR, KURIR_POP3_ERROR_NO_SUCH_MESSAGE,
                   _("message %" PRId64 " is no longer on %s, so the rest of it cannot be "
                     "downloaded; only its headers are here"),
                   id, kurir_account_get_host (sync->account));
      return FALSE;
    }

  kurir_pop3_client_retrieve_async (sync->client, number, sync->cancellable,
                                    kurir_sync_store_result, &retrieved);
  body = kurir_pop3_client_retrieve_finish (sync->client, wait_for (sync, &retrieved), error);
  if (body == NULL || !kurir_store_complete_message (sync->store, id, body, error))
    return FALSE;

  /* The body is stored: a failed QUIT changes nothing on the server. */
  kurir_pop3_client_quit_async (sync->client, sync->cancellable, kurir_sync_store_result, &quit);
  if (!kurir_pop3_client_quit_finish (sync->client, wait_for (sync, &quit), NULL))
    g_debug ("%s: QUIT failed after message %" PRId64 " was stored", name, id);
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

/* A task with its own copies of what the worker thread needs. */
static void
run_in_thread (KurirAccount        *account,
               KurirStore          *store,
               const char          *password,
               gint64               id,
               gpointer             source_tag,
               GTaskThreadFunc      thread_func,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  SyncTaskData *data = g_new0 (SyncTaskData, 1);

  g_task_set_source_tag (task, source_tag);
  data->account = g_object_ref (account);
  data->store = g_object_ref (store);
  data->password = g_strdup (password);
  data->id = id;
  g_task_set_task_data (task, data, (GDestroyNotify) sync_task_data_free);
  g_task_run_in_thread (task, thread_func);
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

static void
sync_init (Sync         *sync,
           KurirAccount *account,
           KurirStore   *store,
           GCancellable *cancellable)
{
  sync->context = g_main_context_new ();
  g_main_context_push_thread_default (sync->context);
  sync->cancellable = cancellable;
  sync->account = account;
  sync->store = store;
  sync->number_to_uid = g_hash_table_new (g_direct_hash, g_direct_equal);
  sync->partial = g_hash_table_new (g_str_hash, g_str_equal);
  sync->adopted = g_hash_table_new (g_str_hash, g_str_equal);
  sync->filling = batch_new ();
  g_mutex_init (&sync->lock);
  g_cond_init (&sync->cond);
  g_queue_init (&sync->to_parse);
  g_queue_init (&sync->to_write);
  sync->stored = g_hash_table_new (g_str_hash, g_str_equal);
}

static void
sync_clear (Sync     *sync,
            gboolean  ok)
{
  /* Without QUIT the server deletes nothing: dropping the connection on an
   * error is the safe way out. */
  if (sync->client != NULL)
    {
      if (!ok)
        kurir_pop3_client_disconnect (sync->client);
      g_clear_object (&sync->client);
    }
  while (g_main_context_iteration (sync->context, FALSE))
    ;

  g_hash_table_unref (sync->number_to_uid);
  g_clear_pointer (&sync->sizes, g_hash_table_unref);
  g_hash_table_unref (sync->partial);
  g_hash_table_unref (sync->adopted);
  g_assert (sync->writer == NULL && g_queue_is_empty (&sync->to_parse) &&
            g_queue_is_empty (&sync->to_write) && sync->in_flight == 0);
  batch_free (sync->filling);
  g_clear_error (&sync->write_error);
  g_mutex_clear (&sync->lock);
  g_cond_clear (&sync->cond);
  g_hash_table_unref (sync->stored);
  g_main_context_pop_thread_default (sync->context);
  g_main_context_unref (sync->context);
}

static char *
given_password (gpointer   user_data,
                GError   **error)
{
  return g_strdup (user_data);
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
  return kurir_pop3_sync_run_full (account, store, given_password, (gpointer) password,
                                   progress, progress_data, out_stats, cancellable, error);
}

/**
 * kurir_pop3_sync_run_full:
 * @password_func: gives the password once the connection is up (so a
 *   keyring lookup overlaps the connection and its TLS handshake)
 *
 * kurir_pop3_sync_run() with the password asked for when it is needed.
 */
gboolean
kurir_pop3_sync_run_full (KurirAccount           *account,
                          KurirStore             *store,
                          KurirPop3PasswordFunc   password_func,
                          gpointer                password_data,
                          KurirSyncProgressFunc   progress,
                          gpointer                progress_data,
                          KurirPop3SyncStats     *out_stats,
                          GCancellable           *cancellable,
                          GError                **error)
{
  KurirPop3SyncStats stats = { 0 };
  Sync sync = { 0 };
  gboolean ok;

  g_return_val_if_fail (KURIR_IS_ACCOUNT (account), FALSE);
  g_return_val_if_fail (KURIR_IS_STORE (store), FALSE);
  g_return_val_if_fail (password_func != NULL, FALSE);
  g_return_val_if_fail (kurir_account_get_protocol (account) == KURIR_PROTOCOL_POP3, FALSE);

  sync_init (&sync, account, store, cancellable);
  sync.progress = progress;
  sync.progress_data = progress_data;
  sync.password_func = password_func;
  sync.password_data = password_data;
  ok = run_sync (&sync, NULL, &stats, error);
  sync_clear (&sync, ok);

  if (ok && out_stats != NULL)
    *out_stats = stats;
  return ok;
}

/**
 * kurir_pop3_sync_fetch_body:
 * @password: the account's password (from the keyring)
 * @id: a message of @account stored as its headers only (over the size
 *   limit); %TRUE at once when it is complete
 *
 * Connects, finds the message by its UIDL, downloads it (RETR) and stores
 * it complete (kurir_store_complete_message()), then QUIT; nothing is
 * deleted on the server. Fails with %KURIR_POP3_ERROR_NO_SUCH_MESSAGE when
 * the server no longer has it. Blocks the calling thread; see
 * kurir_pop3_sync_fetch_body_async().
 */
gboolean
kurir_pop3_sync_fetch_body (KurirAccount  *account,
                            KurirStore    *store,
                            const char    *password,
                            gint64         id,
                            GCancellable  *cancellable,
                            GError       **error)
{
  Sync sync = { 0 };
  gboolean ok;

  g_return_val_if_fail (KURIR_IS_ACCOUNT (account), FALSE);
  g_return_val_if_fail (KURIR_IS_STORE (store), FALSE);
  g_return_val_if_fail (kurir_account_get_protocol (account) == KURIR_PROTOCOL_POP3, FALSE);

  sync_init (&sync, account, store, cancellable);
  ok = run_fetch_body (&sync, password, id, error);
  sync_clear (&sync, ok);
  return ok;
}

static void
fetch_body_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  SyncTaskData *data = task_data;
  GError *error = NULL;

  if (!kurir_pop3_sync_fetch_body (data->account, data->store, data->password, data->id,
                                   cancellable, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
kurir_pop3_sync_fetch_body_async (KurirAccount        *account,
                                  KurirStore          *store,
                                  const char          *password,
                                  gint64               id,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_return_if_fail (KURIR_IS_ACCOUNT (account));
  g_return_if_fail (KURIR_IS_STORE (store));

  run_in_thread (account, store, password, id, kurir_pop3_sync_fetch_body_async, fetch_body_thread,
                 cancellable, callback, user_data);
}

gboolean
kurir_pop3_sync_fetch_body_finish (GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
kurir_pop3_sync_async (KurirAccount        *account,
                       KurirStore          *store,
                       const char          *password,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_return_if_fail (KURIR_IS_ACCOUNT (account));
  g_return_if_fail (KURIR_IS_STORE (store));

  run_in_thread (account, store, password, 0, kurir_pop3_sync_async, sync_thread,
                 cancellable, callback, user_data);
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

/**
 * kurir_pop3_sync_keep_local:
 * @id: a message of @account whose key is a POP3 UIDL, not an IMAP UID
 *
 * For the IMAP sync of an account switched from POP3: mail that POP3
 * stored is not the IMAP server's to remove (the server may no longer
 * have it at all), so it moves into the account's local folder
 * %KURIR_POP3_SYNC_LOCAL_FOLDER, which no server syncs, keeping its UIDL
 * (a switch back to POP3 then downloads none of it again).
 */
gboolean
kurir_pop3_sync_keep_local (KurirStore  *store,
                            const char  *account,
                            gint64       id,
                            GError     **error)
{
  g_autoptr(KurirMessage) message = NULL;

  g_return_val_if_fail (KURIR_IS_STORE (store), FALSE);

  message = kurir_store_get_message (store, id, error);
  if (message == NULL ||
      !kurir_store_create_folder (store, account, KURIR_POP3_SYNC_LOCAL_FOLDER, NULL, error))
    return FALSE;
  return kurir_store_move_with_key (store, id, KURIR_POP3_SYNC_LOCAL_FOLDER,
                                    kurir_message_get_backend_key (message), error);
}
