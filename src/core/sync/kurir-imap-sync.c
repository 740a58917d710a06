/* kurir-imap-sync.c: the IMAP workflow of one account
 *
 * Every step runs on the sync's own main context (pushed as the thread
 * default while it runs), waiting for each operation by iterating it, as
 * kurir-pop3-sync.c does. Order per run: connect, journal replay (so the
 * server has our edits before we read its state), LIST, then per folder
 * SELECT and the changes. Folder state (UIDVALIDITY, UIDNEXT,
 * HIGHESTMODSEQ) is saved only after everything it vouches for is stored,
 * so an interrupted sync repeats work but never skips any.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-sync"

#include "config.h"

#include <inttypes.h>

#include <glib/gi18n.h>
#include <stdlib.h>
#include <string.h>

#include "kurir-checkpoint.h"
#include "kurir-imap-error.h"
#include "kurir-imap-sync.h"
#include "kurir-imap-sync-private.h"
#include "kurir-pop3-sync.h"

struct _KurirImapSync
{
  GObject          parent_instance;

  KurirAccount    *account;
  KurirStore      *store;
  KurirJournal    *journal;
  char            *password;
  int              keep_offline;
  GStrv            ignored;
  GMainContext    *context;
  KurirImapClient *client;
  guint            batch_size;  /* messages per UID FETCH and per store batch */
  gboolean         synced;
  gboolean         dirty;       /* the server announced a change while idling */
};

enum {
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_TYPE (KurirImapSync, kurir_imap_sync, G_TYPE_OBJECT)

/* A full batch on its way to the store. */
typedef struct
{
  GPtrArray               *data;      /* GBytes; dropped once parsed */
  GPtrArray               *keys;      /* char* */
  GArray                  *meta;      /* KurirStoreNewMessage */
  GArray                  *ids;       /* gint64, once stored */
  KurirStorePreparedBatch *prepared;
} Handoff;

/* While the fetch goes on, a parser thread parses full batches (GMime,
 * text for the full-text index) and a writer thread stores them (the
 * store's durable batch write), as kurir-pop3-sync.c does; at most
 * STORE_QUEUED batches are on their way. A message counts as known (and
 * the folder state may vouch for it) only once its batch is stored. */
#define STORE_QUEUED 2

typedef struct
{
  KurirStore *store;
  const char *account;
  const char *folder;
  GMutex      lock;
  GCond       cond;
  GThread    *parser;
  GThread    *writer;
  GQueue      to_parse;     /* Handoff */
  GQueue      to_write;     /* Handoff, parsed */
  GQueue      done;         /* Handoff, stored, for the sync's thread */
  guint       in_flight;    /* handed over, not yet stored or dropped */
  gboolean    finishing;
  gboolean    parsed_all;
  GError     *error;        /* the first store failure: stops the rest */
} StoreQueue;

/* Messages being fetched into one folder. */
typedef struct
{
  KurirImapSync      *self;
  const char         *folder;
  GHashTable         *known;     /* key → KurirStoreKeyState */
  GHashTable         *handed;    /* keys fetched, not yet stored */
  GPtrArray          *data;      /* GBytes */
  GPtrArray          *keys;      /* char* */
  GArray             *meta;      /* KurirStoreNewMessage */
  GHashTable         *server;    /* uid → flags, from a flags fetch */
  gsize               bytes;     /* of data */
  KurirImapSyncStats *stats;
  StoreQueue         *queue;     /* started by the first full batch */
  GError             *error;     /* the first store error in a callback */
} Batch;

/* Helpers */

static GAsyncResult *
wait_for (KurirImapSync  *self,
          GAsyncResult  **slot)
{
  return kurir_sync_wait (self->context, slot);
}

static KurirMessageFlags
flags_from_imap (GStrv names)
{
  return kurir_sync_flags_from_imap ((const char * const *) names);
}

static const char *
role_from_flags (KurirImapMailboxFlags flags)
{
  if (flags & KURIR_IMAP_MAILBOX_SENT)
    return "sent";
  if (flags & KURIR_IMAP_MAILBOX_DRAFTS)
    return "drafts";
  if (flags & KURIR_IMAP_MAILBOX_TRASH)
    return "trash";
  if (flags & KURIR_IMAP_MAILBOX_JUNK)
    return "junk";
  if (flags & KURIR_IMAP_MAILBOX_ARCHIVE)
    return "archive";
  return NULL;
}

static char *
uid_key (guint32 uid)
{
  return g_strdup_printf ("%u", uid);
}

static gint
compare_uid_desc (gconstpointer a,
                  gconstpointer b)
{
  guint32 x = *(const guint32 *) a, y = *(const guint32 *) b;

  return x < y ? 1 : x > y ? -1 : 0;
}

/* "1,3:5,9" of @n UIDs starting at @uids (any order). */
static char *
uid_set (const guint32 *uids,
         guint          n)
{
  g_autofree guint32 *sorted = g_memdup2 (uids, n * sizeof (guint32));
  GString *set = g_string_new (NULL);

  qsort (sorted, n, sizeof (guint32), compare_uid_desc);
  for (guint i = n; i > 0; i--)
    {
      guint32 first = sorted[i - 1], last = first;

      while (i > 1 && sorted[i - 2] == last + 1)
        last = sorted[--i - 1];
      if (set->len > 0)
        g_string_append_c (set, ',');
      if (first == last)
        g_string_append_printf (set, "%u", first);
      else
        g_string_append_printf (set, "%u:%u", first, last);
    }
  return g_string_free (set, FALSE);
}

static void
handoff_free (Handoff *handoff)
{
  g_ptr_array_unref (handoff->data);
  g_ptr_array_unref (handoff->keys);
  g_array_unref (handoff->meta);
  g_clear_pointer (&handoff->ids, g_array_unref);
  kurir_store_prepared_batch_free (handoff->prepared);
  g_free (handoff);
}

/* Drops a batch that will not be stored (a batch before it failed). */
static void
store_queue_drop (StoreQueue *queue,
                  Handoff    *handoff)
{
  handoff_free (handoff);
  queue->in_flight--;
  g_cond_broadcast (&queue->cond);
}

static gpointer
store_parser_thread (gpointer user_data)
{
  StoreQueue *queue = user_data;

  g_mutex_lock (&queue->lock);
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      Handoff *handoff;

      while (g_queue_is_empty (&queue->to_parse) && !queue->finishing)
        g_cond_wait (&queue->cond, &queue->lock);
      handoff = g_queue_pop_head (&queue->to_parse);
      if (handoff == NULL)
        break;
      if (queue->error != NULL)
        {
          store_queue_drop (queue, handoff);
          continue;
        }
      g_mutex_unlock (&queue->lock);

      handoff->prepared = kurir_store_prepare_batch ((KurirStoreNewMessage *) handoff->meta->data,
                                                     handoff->meta->len, &error);
      /* The prepared batch holds its own references to the bytes. */
      g_ptr_array_set_size (handoff->data, 0);

      g_mutex_lock (&queue->lock);
      if (handoff->prepared == NULL)
        {
          if (queue->error == NULL)
            queue->error = g_steal_pointer (&error);
          store_queue_drop (queue, handoff);
          continue;
        }
      g_queue_push_tail (&queue->to_write, handoff);
      g_cond_broadcast (&queue->cond);
    }
  queue->parsed_all = TRUE;
  g_cond_broadcast (&queue->cond);
  g_mutex_unlock (&queue->lock);
  return NULL;
}

static gpointer
store_writer_thread (gpointer user_data)
{
  StoreQueue *queue = user_data;

  g_mutex_lock (&queue->lock);
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      Handoff *handoff;
      gboolean ok;

      while (g_queue_is_empty (&queue->to_write) && !queue->parsed_all)
        g_cond_wait (&queue->cond, &queue->lock);
      handoff = g_queue_pop_head (&queue->to_write);
      if (handoff == NULL)
        break;
      if (queue->error != NULL)
        {
          store_queue_drop (queue, handoff);
          continue;
        }
      g_mutex_unlock (&queue->lock);

      ok = kurir_store_add_prepared_batch (queue->store, queue->account, queue->folder,
                                           handoff->prepared, &handoff->ids, &error);
      if (ok)
        kurir_checkpoint ("imap-batch-stored");

      g_mutex_lock (&queue->lock);
      if (!ok)
        {
          if (queue->error == NULL)
            queue->error = g_steal_pointer (&error);
          store_queue_drop (queue, handoff);
          continue;
        }
      g_queue_push_tail (&queue->done, handoff);
      queue->in_flight--;
      g_cond_broadcast (&queue->cond);
    }
  g_mutex_unlock (&queue->lock);
  return NULL;
}

static StoreQueue *
store_queue_start (Batch *batch)
{
  StoreQueue *queue = g_new0 (StoreQueue, 1);

  queue->store = batch->self->store;
  queue->account = kurir_account_get_name (batch->self->account);
  queue->folder = batch->folder;
  g_mutex_init (&queue->lock);
  g_cond_init (&queue->cond);
  queue->parser = g_thread_new ("kurir-imap-parse", store_parser_thread, queue);
  queue->writer = g_thread_new ("kurir-imap-store", store_writer_thread, queue);
  return queue;
}

/* The batches stored since the last call become known (sync's thread). */
static void
batch_collect (Batch *batch)
{
  GQueue done = G_QUEUE_INIT;
  Handoff *handoff;

  if (batch->queue == NULL)
    return;
  g_mutex_lock (&batch->queue->lock);
  done = batch->queue->done;
  g_queue_init (&batch->queue->done);
  g_mutex_unlock (&batch->queue->lock);

  while ((handoff = g_queue_pop_head (&done)) != NULL)
    {
      for (guint i = 0; i < handoff->keys->len; i++)
        {
          KurirStoreKeyState *state = g_new0 (KurirStoreKeyState, 1);
          KurirStoreNewMessage *m = &g_array_index (handoff->meta, KurirStoreNewMessage, i);
          const char *key = g_ptr_array_index (handoff->keys, i);

          state->id = g_array_index (handoff->ids, gint64, i);
          state->flags = m->flags | (m->full_size > 0 ? KURIR_MESSAGE_FLAG_PARTIAL : 0);
          g_hash_table_remove (batch->handed, key);
          g_hash_table_replace (batch->known, g_strdup (key), state);
        }
      batch->stats->added += handoff->keys->len;
      handoff_free (handoff);
    }
}

/* Waits until every batch handed over is stored or dropped, and stops
 * the threads. Returns the first store failure. */
static gboolean
batch_finish (Batch   *batch,
              GError **error)
{
  StoreQueue *queue = batch->queue;
  gboolean ok = TRUE;

  if (queue == NULL)
    return TRUE;
  g_mutex_lock (&queue->lock);
  queue->finishing = TRUE;
  g_cond_broadcast (&queue->cond);
  g_mutex_unlock (&queue->lock);
  g_thread_join (queue->parser);
  g_thread_join (queue->writer);
  batch_collect (batch);
  if (queue->error != NULL)
    {
      ok = FALSE;
      g_propagate_error (error, g_steal_pointer (&queue->error));
    }
  g_queue_clear_full (&queue->to_parse, (GDestroyNotify) handoff_free);
  g_queue_clear_full (&queue->to_write, (GDestroyNotify) handoff_free);
  g_mutex_clear (&queue->lock);
  g_cond_clear (&queue->cond);
  g_clear_pointer (&batch->queue, g_free);
  g_hash_table_remove_all (batch->handed);
  return ok;
}

static void
batch_init (Batch              *batch,
            KurirImapSync      *self,
            const char         *folder,
            GHashTable         *known,
            KurirImapSyncStats *stats)
{
  memset (batch, 0, sizeof *batch);
  batch->self = self;
  batch->folder = folder;
  batch->known = known;
  batch->handed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  batch->stats = stats;
  batch->data = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  batch->keys = g_ptr_array_new_with_free_func (g_free);
  batch->meta = g_array_new (FALSE, TRUE, sizeof (KurirStoreNewMessage));
  batch->server = g_hash_table_new (g_direct_hash, g_direct_equal);
}

static void
batch_clear (Batch *batch)
{
  batch_finish (batch, NULL);
  g_clear_pointer (&batch->handed, g_hash_table_unref);
  g_clear_pointer (&batch->data, g_ptr_array_unref);
  g_clear_pointer (&batch->keys, g_ptr_array_unref);
  g_clear_pointer (&batch->meta, g_array_unref);
  g_clear_pointer (&batch->server, g_hash_table_unref);
  g_clear_error (&batch->error);
}

/* Hands the batch being filled to the store's threads, waiting while
 * STORE_QUEUED are on their way. Fails with the store's error once a
 * batch failed; batch_finish() waits for the rest. */
static gboolean
batch_flush (Batch   *batch,
             GError **error)
{
  guint n = batch->data->len;
  Handoff *handoff;
  StoreQueue *queue;

  batch_collect (batch);
  if (n == 0)
    return TRUE;
  for (guint i = 0; i < n; i++)
    {
      KurirStoreNewMessage *m = &g_array_index (batch->meta, KurirStoreNewMessage, i);

      m->data = g_ptr_array_index (batch->data, i);
      m->backend_key = g_ptr_array_index (batch->keys, i);
    }
  handoff = g_new0 (Handoff, 1);
  handoff->data = g_steal_pointer (&batch->data);
  handoff->keys = g_steal_pointer (&batch->keys);
  handoff->meta = g_steal_pointer (&batch->meta);
  batch->data = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  batch->keys = g_ptr_array_new_with_free_func (g_free);
  batch->meta = g_array_new (FALSE, TRUE, sizeof (KurirStoreNewMessage));
  batch->bytes = 0;

  if (batch->queue == NULL)
    batch->queue = store_queue_start (batch);
  queue = batch->queue;
  g_mutex_lock (&queue->lock);
  while (queue->error == NULL && queue->in_flight >= STORE_QUEUED)
    g_cond_wait (&queue->cond, &queue->lock);
  if (queue->error != NULL)
    {
      handoff_free (handoff);
      g_propagate_error (error, g_error_copy (queue->error));
      g_mutex_unlock (&queue->lock);
      return FALSE;
    }
  g_queue_push_tail (&queue->to_parse, handoff);
  queue->in_flight++;
  g_cond_broadcast (&queue->cond);
  g_mutex_unlock (&queue->lock);
  return TRUE;
}

/* Bodies are stored in batches of this many bytes at most: one flush and
 * one transaction each. With STORE_QUEUED batches on their way and one
 * being filled, a first sync holds about 4 of them at worst. */
#define BODY_BATCH_BYTES (8 * 1024 * 1024)

static void
summary_cb (KurirImapResponse *response,
            gpointer           user_data)
{
  Batch *batch = user_data;
  g_autoptr(GBytes) header = NULL;
  g_autoptr(GDateTime) date = NULL;
  g_auto(GStrv) flags = NULL;
  g_autofree char *key = NULL;
  KurirStoreNewMessage meta = { 0 };
  guint64 size = 0;
  guint32 uid;
  gboolean present;

  if (batch->error != NULL || !kurir_imap_response_get_fetch_uid (response, &uid))
    return;
  key = uid_key (uid);
  /* Known, or fetched already in this sync (a server may send it twice). */
  if (g_hash_table_contains (batch->known, key) || g_hash_table_contains (batch->handed, key))
    return;
  /* The whole message (stored complete), or its header (partial). */
  header = kurir_imap_response_dup_fetch_body (response, "BODY[]", &present);
  if (header == NULL)
    {
      header = kurir_imap_response_dup_fetch_body (response, "BODY[HEADER]", &present);
      if (header == NULL)
        return;   /* a FETCH of flags only (another client's change): not ours */
      kurir_imap_response_get_fetch_size (response, &size);
    }
  flags = kurir_imap_response_dup_fetch_flags (response);
  date = kurir_imap_response_dup_fetch_internaldate (response);

  meta.flags = flags_from_imap (flags);
  /* Flagged \Deleted since its UID was listed: gone as far as we care. */
  if (meta.flags & KURIR_MESSAGE_FLAG_DELETED)
    return;
  meta.received = date ? g_date_time_to_unix (date) : 0;
  meta.full_size = (gint64) size;
  batch->bytes += g_bytes_get_size (header);
  g_hash_table_add (batch->handed, g_strdup (key));
  g_ptr_array_add (batch->data, g_steal_pointer (&header));
  g_ptr_array_add (batch->keys, g_steal_pointer (&key));
  g_array_append_val (batch->meta, meta);
  if (batch->data->len >= batch->self->batch_size || batch->bytes >= BODY_BATCH_BYTES)
    batch_flush (batch, &batch->error);
}

static void
flags_cb (KurirImapResponse *response,
          gpointer           user_data)
{
  Batch *batch = user_data;
  g_auto(GStrv) flags = NULL;
  guint32 uid;

  if (!kurir_imap_response_get_fetch_uid (response, &uid))
    return;
  flags = kurir_imap_response_dup_fetch_flags (response);
  if (flags == NULL)
    return;
  g_hash_table_insert (batch->server, GUINT_TO_POINTER (uid),
                       GUINT_TO_POINTER (flags_from_imap (flags) | 0x100));
}

typedef struct
{
  KurirImapSync      *self;
  GHashTable         *known;
  KurirImapSyncStats *stats;
  GError             *error;
  GArray             *ids;      /* gint64: the batch being filled */
  GPtrArray          *data;     /* GBytes */
  GPtrArray          *states;   /* KurirStoreKeyState (borrowed) */
  gsize               bytes;
} Bodies;


static gboolean
bodies_flush (Bodies  *bodies,
              GError **error)
{
  if (bodies->ids->len == 0)
    return TRUE;
  if (!kurir_store_complete_batch (bodies->self->store, (const gint64 *) bodies->ids->data,
                                   (GBytes * const *) bodies->data->pdata, bodies->ids->len, error))
    return FALSE;
  kurir_checkpoint ("imap-bodies-stored");
  for (guint i = 0; i < bodies->states->len; i++)
    ((KurirStoreKeyState *) g_ptr_array_index (bodies->states, i))->flags &= ~KURIR_MESSAGE_FLAG_PARTIAL;
  bodies->stats->bodies += bodies->ids->len;
  g_array_set_size (bodies->ids, 0);
  g_ptr_array_set_size (bodies->data, 0);
  g_ptr_array_set_size (bodies->states, 0);
  bodies->bytes = 0;
  return TRUE;
}

static void
body_cb (KurirImapResponse *response,
         gpointer           user_data)
{
  Bodies *bodies = user_data;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *key = NULL;
  KurirStoreKeyState *state;
  gboolean present;
  guint32 uid;

  if (bodies->error != NULL || !kurir_imap_response_get_fetch_uid (response, &uid))
    return;
  key = uid_key (uid);
  state = g_hash_table_lookup (bodies->known, key);
  body = kurir_imap_response_dup_fetch_body (response, "BODY[]", &present);
  if (state == NULL || body == NULL || !(state->flags & KURIR_MESSAGE_FLAG_PARTIAL))
    return;
  g_array_append_val (bodies->ids, state->id);
  bodies->bytes += g_bytes_get_size (body);
  g_ptr_array_add (bodies->data, g_steal_pointer (&body));
  g_ptr_array_add (bodies->states, state);
  if (bodies->bytes >= BODY_BATCH_BYTES)
    bodies_flush (bodies, &bodies->error);
}

static gboolean
fetch (KurirImapSync       *self,
       const char          *set,
       const char          *items,
       KurirImapFetchFunc   func,
       gpointer             data,
       GCancellable        *cancellable,
       GError             **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kurir_imap_client_fetch_async (self->client, set, items, 0, FALSE, func, data, NULL,
                                 cancellable, kurir_sync_store_result, &result);
  return kurir_imap_client_fetch_finish (self->client, wait_for (self, &result), NULL, NULL, error);
}

/* UID FETCH commands of one batch each, sent @FETCH_WINDOW at a time
 * without waiting for the answers before them, so the server streams
 * while the store writes. @sets: char* (each a UID set). Stops sending at
 * the first failure, or when *@func_error (the callback's own error) is
 * set, and returns that error once the commands already sent are
 * answered (their slots live here). */
#define FETCH_WINDOW 4

static gboolean
fetch_pipelined (KurirImapSync       *self,
                 GPtrArray           *sets,
                 const char          *items,
                 KurirImapFetchFunc   func,
                 gpointer             data,
                 GError             **func_error,
                 GCancellable        *cancellable,
                 GError             **error)
{
  g_autofree GAsyncResult **results = g_new0 (GAsyncResult *, sets->len + 1);
  GError *first_error = NULL;
  guint sent = 0, done = 0;

  while (TRUE)
    {
      while (first_error == NULL && *func_error == NULL &&
             sent < sets->len && sent - done < FETCH_WINDOW)
        {
          kurir_imap_client_fetch_async (self->client, g_ptr_array_index (sets, sent), items, 0,
                                         FALSE, func, data, NULL, cancellable,
                                         kurir_sync_store_result, &results[sent]);
          sent++;
        }
      if (done == sent)
        break;
      wait_for (self, &results[done]);
      kurir_imap_client_fetch_finish (self->client, results[done], NULL, NULL,
                                      first_error == NULL ? &first_error : NULL);
      g_clear_object (&results[done]);
      done++;
    }
  if (first_error == NULL && *func_error != NULL)
    first_error = g_steal_pointer (func_error);
  if (first_error != NULL)
    {
      g_propagate_error (error, first_error);
      return FALSE;
    }
  return TRUE;
}

/* Local ids with edits waiting for the server: never removed by a sync. */
static GHashTable *
journalled_ids (KurirImapSync *self)
{
  GHashTable *ids = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_autoptr(GPtrArray) entries = kurir_store_journal_list (self->store,
                                                           kurir_account_get_name (self->account),
                                                           FALSE, NULL);

  for (guint i = 0; entries != NULL && i < entries->len; i++)
    {
      KurirStoreJournalEntry *entry = g_ptr_array_index (entries, i);

      if (entry->message > 0)
        g_hash_table_add (ids, g_memdup2 (&entry->message, sizeof (gint64)));
    }
  return ids;
}

/* The UIDs in @folder (of @uidvalidity) of deletes and moves waiting for
 * the server: the message is out of the folder here already, and the
 * server lists it until the replay sends the edit. Never new, or a sync
 * between the edit and its replay would bring it back. */
static GHashTable *
journalled_keys (KurirImapSync *self,
                 const char    *folder,
                 guint32        uidvalidity)
{
  GHashTable *keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) entries = kurir_store_journal_list (self->store,
                                                           kurir_account_get_name (self->account),
                                                           FALSE, NULL);

  for (guint i = 0; entries != NULL && i < entries->len; i++)
    {
      KurirStoreJournalEntry *entry = g_ptr_array_index (entries, i);

      if ((entry->op == KURIR_STORE_JOURNAL_DELETE || entry->op == KURIR_STORE_JOURNAL_MOVE) &&
          entry->backend_key != NULL && g_strcmp0 (entry->folder, folder) == 0 &&
          (entry->uidvalidity == 0 || entry->uidvalidity == (gint64) uidvalidity))
        g_hash_table_add (keys, g_strdup (entry->backend_key));
    }
  return keys;
}

/* Brings one known message's flags to the server's. */
static gboolean
apply_flags (KurirImapSync       *self,
             KurirStoreKeyState  *state,
             KurirMessageFlags    server,
             KurirImapSyncStats  *stats,
             GError             **error)
{
  KurirMessageFlags local = state->flags & KURIR_MESSAGE_FLAGS_ALL;

  server &= KURIR_MESSAGE_FLAGS_ALL;
  if (local == server)
    return TRUE;
  if (!kurir_store_set_flags (self->store, state->id, server & ~local, local & ~server, error))
    return FALSE;
  state->flags = (state->flags & ~KURIR_MESSAGE_FLAGS_ALL) | server;
  stats->changed++;
  return TRUE;
}

static gboolean
remove_known (KurirImapSync       *self,
              GHashTable          *known,
              const char          *key,
              GHashTable          *journalled,
              KurirImapSyncStats  *stats,
              GError             **error)
{
  KurirStoreKeyState *state = g_hash_table_lookup (known, key);

  if (state == NULL || g_hash_table_contains (journalled, &state->id))
    return TRUE;
  /* No IMAP UID: mail POP3 stored before a switch stays, in a local folder. */
  if (!g_ascii_string_to_unsigned (key, 10, 1, G_MAXUINT32, NULL, NULL))
    {
      if (!kurir_pop3_sync_keep_local (self->store, kurir_account_get_name (self->account),
                                       state->id, error))
        return FALSE;
      g_hash_table_remove (known, key);
      return TRUE;
    }
  if (!kurir_store_delete_full (self->store, state->id, KURIR_STORE_DELETE_FORGET, error))
    return FALSE;
  g_hash_table_remove (known, key);
  stats->removed++;
  return TRUE;
}

static gboolean
keeps_offline (KurirImapSync *self,
               guint32        exists)
{
  int keep = self->keep_offline;

  if (keep < 0)
    keep = kurir_account_get_keep_offline (self->account);
  switch (keep)
    {
    case KURIR_KEEP_OFFLINE_ALL:
      return TRUE;
    case KURIR_KEEP_OFFLINE_NONE:
      return FALSE;
    default:
      return exists < KURIR_IMAP_SYNC_AUTO_OFFLINE_LIMIT;
    }
}

#define SUMMARY_ITEMS "(UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER])"
#define MESSAGE_ITEMS "(UID FLAGS INTERNALDATE BODY.PEEK[])"

/* New messages @uids, newest first, in batches: their summaries, stored
 * as partial. With @whole (the folder is kept offline), only the newest
 * batch so (readable at once; fetch_bodies() completes it), the others
 * whole right away: one file each instead of a partial one and then the
 * complete one. */
static gboolean
fetch_summaries (KurirImapSync  *self,
                 Batch          *batch,
                 GArray         *uids,
                 gboolean        whole,
                 GCancellable   *cancellable,
                 GError        **error)
{
  g_autoptr(GPtrArray) first = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) rest = g_ptr_array_new_with_free_func (g_free);
  gboolean ok;

  g_array_sort (uids, compare_uid_desc);
  for (guint start = 0; start < uids->len; start += self->batch_size)
    {
      guint n = MIN (self->batch_size, uids->len - start);

      g_ptr_array_add (whole && start > 0 ? rest : first,
                       uid_set (&g_array_index (uids, guint32, start), n));
    }
  /* summary_cb() stores every batch_size messages; the rest here.
   * What arrived is stored also when the connection failed. */
  ok = fetch_pipelined (self, first, SUMMARY_ITEMS, summary_cb, batch, &batch->error,
                        cancellable, error);
  if (!batch_flush (batch, ok ? error : NULL))
    ok = FALSE;
  if (ok && rest->len > 0)
    {
      ok = fetch_pipelined (self, rest, MESSAGE_ITEMS, summary_cb, batch, &batch->error,
                            cancellable, error);
      if (!batch_flush (batch, ok ? error : NULL))
        ok = FALSE;
    }
  /* Only what is stored is known; the folder state waits for it. */
  if (!batch_finish (batch, ok ? error : NULL))
    ok = FALSE;
  return ok;
}

static gboolean
fetch_bodies (KurirImapSync       *self,
              GHashTable          *known,
              KurirImapSyncStats  *stats,
              GCancellable        *cancellable,
              GError             **error)
{
  g_autoptr(GArray) partial = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr(GPtrArray) sets = g_ptr_array_new_with_free_func (g_free);
  Bodies bodies = { self, known, stats, NULL };
  GHashTableIter iter;
  gpointer key, value;
  gboolean ok = FALSE;

  g_hash_table_iter_init (&iter, known);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      guint64 uid;

      if ((((KurirStoreKeyState *) value)->flags & KURIR_MESSAGE_FLAG_PARTIAL) &&
          g_ascii_string_to_unsigned (key, 10, 1, G_MAXUINT32, &uid, NULL))
        {
          guint32 u = (guint32) uid;

          g_array_append_val (partial, u);
        }
    }
  g_array_sort (partial, compare_uid_desc);
  bodies.ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  bodies.data = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  bodies.states = g_ptr_array_new ();
  for (guint start = 0; start < partial->len; start += self->batch_size)
    {
      guint n = MIN (self->batch_size, partial->len - start);

      g_ptr_array_add (sets, uid_set (&g_array_index (partial, guint32, start), n));
    }
  ok = fetch_pipelined (self, sets, "(UID BODY.PEEK[])", body_cb, &bodies, &bodies.error,
                        cancellable, error);
  /* What arrived is stored, also when the connection failed. */
  if (!bodies_flush (&bodies, ok ? error : NULL))
    ok = FALSE;
  g_clear_error (&bodies.error);
  g_array_unref (bodies.ids);
  g_ptr_array_unref (bodies.data);
  g_ptr_array_unref (bodies.states);
  return ok;
}

/* CONDSTORE without QRESYNC: the flags changed since @modseq and the new
 * messages (their mod-sequence is higher too) by one UID FETCH 1:*
 * (CHANGEDSINCE), none when HIGHESTMODSEQ has not moved. Expunges are not
 * reported that way: when the count on the server is not what is here
 * plus what is new, some are gone, and the caller does the full refresh.
 * Returns: 1 done, 0 a full refresh is needed (@new_uids emptied), -1 an
 * error. */
static int
condstore_changes (KurirImapSync       *self,
                   Batch               *batch,
                   KurirImapMailbox    *mailbox,
                   guint64              modseq,
                   GHashTable          *journalled,
                   GArray              *new_uids,
                   GCancellable        *cancellable,
                   GError             **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  GHashTableIter iter;
  gpointer key, value;
  guint here = 0;

  if (mailbox->highestmodseq != modseq)
    {
      kurir_imap_client_fetch_async (self->client, "1:*", "(UID FLAGS)", modseq, FALSE,
                                     flags_cb, batch, NULL, cancellable,
                                     kurir_sync_store_result, &result);
      if (!kurir_imap_client_fetch_finish (self->client, wait_for (self, &result), NULL, NULL,
                                           error))
        return -1;
    }
  g_hash_table_iter_init (&iter, batch->server);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      guint32 uid = GPOINTER_TO_UINT (key);
      g_autofree char *k = uid_key (uid);
      KurirStoreKeyState *state = g_hash_table_lookup (batch->known, k);
      KurirMessageFlags flags = GPOINTER_TO_UINT (value) & 0xff;

      /* \Deleted (a draft replaced without UIDPLUS, another client's
       * delete): not shown, as Thunderbird and Geary do. Such messages
       * make the count below differ, so a full refresh follows. */
      if (flags & KURIR_MESSAGE_FLAG_DELETED)
        {
          if (state != NULL && !remove_known (self, batch->known, k, journalled, batch->stats, error))
            return -1;
        }
      else if (state == NULL)
        g_array_append_val (new_uids, uid);
      else if (!apply_flags (self, state, flags, batch->stats, error))
        return -1;
    }
  g_hash_table_iter_init (&iter, batch->known);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    here += g_ascii_string_to_unsigned (key, 10, 1, G_MAXUINT32, NULL, NULL);
  if (here + new_uids->len == mailbox->exists)
    return 1;
  g_debug ("%s: %u messages on the server, %u here and %u new: some were expunged",
           mailbox->name, mailbox->exists, here, new_uids->len);
  g_array_set_size (new_uids, 0);
  g_hash_table_remove_all (batch->server);
  return 0;
}

/* After a switch from POP3: what POP3 downloaded (in the local folder
 * KURIR_POP3_SYNC_LOCAL_FOLDER, or still in INBOX under its UIDL) and
 * the IMAP server still has is matched to its UID and adopted, instead
 * of being downloaded a second time. */
typedef struct
{
  guint32            uid;
  char              *message_id;   /* normalized, or NULL */
  gint64             date;         /* the Date header, 0 when none */
  char              *subject;
  guint64            size;         /* RFC822.SIZE */
  KurirMessageFlags  flags;
} ServerSummary;

typedef struct
{
  KurirMessage *message;
  gint64        crlf_size;     /* -1 until needed */
  gboolean      taken;
} Candidate;

typedef struct
{
  GArray *summaries;   /* ServerSummary */
  GError *error;       /* never set: the callback cannot fail */
} Envelopes;

static void
server_summary_clear (ServerSummary *summary)
{
  g_free (summary->message_id);
  g_free (summary->subject);
}

static void
candidate_free (Candidate *candidate)
{
  g_object_unref (candidate->message);
  g_free (candidate);
}

static void
envelope_cb (KurirImapResponse *response,
             gpointer           user_data)
{
  Envelopes *envelopes = user_data;
  const KurirImapFetchItem *item = kurir_imap_response_lookup_fetch (response, "ENVELOPE");
  g_autoptr(KurirImapEnvelope) envelope = NULL;
  g_auto(GStrv) flags = NULL;
  ServerSummary summary = { 0 };

  if (item == NULL || !kurir_imap_response_get_fetch_uid (response, &summary.uid))
    return;
  envelope = kurir_imap_envelope_parse (item->value, NULL);
  if (envelope == NULL)
    return;   /* not matched: downloaded as usual */
  kurir_imap_response_get_fetch_size (response, &summary.size);
  flags = kurir_imap_response_dup_fetch_flags (response);
  summary.flags = flags_from_imap (flags);
  summary.message_id = kurir_sync_normalize_message_id (envelope->message_id);
  summary.date = envelope->date != NULL ? g_date_time_to_unix (envelope->date) : 0;
  summary.subject = g_strdup (envelope->subject);
  g_array_append_val (envelopes->summaries, summary);
}

/* The size of the stored message with CRLF line ends, as RFC822.SIZE
 * counts it; -1 when unreadable. */
static gint64
candidate_size (KurirImapSync *self,
                Candidate     *candidate)
{
  g_autoptr(GBytes) raw = NULL;
  const char *data;
  gsize length;
  gint64 size;

  if (candidate->crlf_size != -1)
    return candidate->crlf_size;
  raw = kurir_store_get_raw (self->store, kurir_message_get_id (candidate->message), NULL);
  if (raw == NULL)
    return candidate->crlf_size = -2;
  data = g_bytes_get_data (raw, &length);
  size = (gint64) length;
  for (gsize i = 0; i < length; i++)
    if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
      size++;
  return candidate->crlf_size = size;
}

/* The best untaken candidate of @list for @summary: the same size and
 * date, else the same size, else the same date; with a Message-ID that
 * no other new message has, any. Without a Message-ID only the same
 * bytes count (size and subject, and date when both have one). */
static Candidate *
pick_candidate (KurirImapSync *self,
                GPtrArray     *list,
                ServerSummary *summary,
                gboolean       unique_id)
{
  Candidate *by_size = NULL, *by_date = NULL, *any = NULL;

  for (guint i = 0; list != NULL && i < list->len; i++)
    {
      Candidate *candidate = g_ptr_array_index (list, i);
      gboolean size, date;

      if (candidate->taken)
        continue;
      size = summary->size > 0 && candidate_size (self, candidate) == (gint64) summary->size;
      date = summary->date != 0 && kurir_message_get_date (candidate->message) == summary->date;
      if (summary->message_id == NULL)
        {
          if (size && g_strcmp0 (summary->subject, kurir_message_get_subject (candidate->message)) == 0 &&
              (date || summary->date == 0))
            return candidate;
          continue;
        }
      if (size && date)
        return candidate;
      if (size && by_size == NULL)
        by_size = candidate;
      if (date && by_date == NULL)
        by_date = candidate;
      if (any == NULL)
        any = candidate;
    }
  if (summary->message_id == NULL)
    return NULL;
  if (by_size != NULL)
    return by_size;
  if (by_date != NULL)
    return by_date;
  return unique_id ? any : NULL;
}

/* Removes from @new_uids (of INBOX) the messages adopted. Costs nothing
 * unless the account has POP3 mail: the local folder is not empty, or
 * INBOX still holds messages under a UIDL. */
static gboolean
adopt_pop3_mail (KurirImapSync       *self,
                 Batch               *batch,
                 GArray              *new_uids,
                 GCancellable        *cancellable,
                 GError             **error)
{
  const char *account = kurir_account_get_name (self->account);
  g_autoptr(GPtrArray) candidates = g_ptr_array_new_with_free_func ((GDestroyNotify) candidate_free);
  g_autoptr(GHashTable) by_id = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                       (GDestroyNotify) g_ptr_array_unref);
  g_autoptr(GPtrArray) without_id = g_ptr_array_new ();
  g_autoptr(GHashTable) id_count = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) adopted = g_hash_table_new (g_direct_hash, g_direct_equal);
  g_autoptr(GPtrArray) sets = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) uidl_keys = g_ptr_array_new_with_free_func (g_free);
  Envelopes envelopes = { NULL, NULL };
  GHashTableIter iter;
  gpointer key;
  gint64 local;
  gboolean ok;

  if (g_ascii_strcasecmp (batch->folder, KURIR_STORE_INBOX) != 0 || new_uids->len == 0)
    return TRUE;
  g_hash_table_iter_init (&iter, batch->known);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_ascii_string_to_unsigned (key, 10, 1, G_MAXUINT32, NULL, NULL))
      g_ptr_array_add (uidl_keys, g_strdup (key));
  local = kurir_store_count (self->store, account, KURIR_POP3_SYNC_LOCAL_FOLDER, NULL);
  if (local <= 0 && uidl_keys->len == 0)
    return TRUE;

  /* What POP3 stored. */
  if (local > 0)
    {
      g_autoptr(GPtrArray) messages = kurir_store_list (self->store, account,
                                                        KURIR_POP3_SYNC_LOCAL_FOLDER, 0,
                                                        (guint) MIN (local, G_MAXUINT), error);

      if (messages == NULL)
        return FALSE;
      for (guint i = 0; i < messages->len; i++)
        {
          Candidate *candidate = g_new0 (Candidate, 1);

          candidate->message = g_object_ref (g_ptr_array_index (messages, i));
          candidate->crlf_size = -1;
          g_ptr_array_add (candidates, candidate);
        }
    }
  for (guint i = 0; i < uidl_keys->len; i++)
    {
      KurirStoreKeyState *state = g_hash_table_lookup (batch->known, g_ptr_array_index (uidl_keys, i));
      KurirMessage *message = kurir_store_get_message (self->store, state->id, NULL);
      Candidate *candidate;

      if (message == NULL)
        continue;
      candidate = g_new0 (Candidate, 1);
      candidate->message = message;
      candidate->crlf_size = -1;
      g_ptr_array_add (candidates, candidate);
    }
  for (guint i = 0; i < candidates->len; i++)
    {
      Candidate *candidate = g_ptr_array_index (candidates, i);
      g_autofree char *id = kurir_sync_normalize_message_id (kurir_message_get_message_id (candidate->message));
      GPtrArray *list;

      if (id == NULL)
        {
          g_ptr_array_add (without_id, candidate);
          continue;
        }
      list = g_hash_table_lookup (by_id, id);
      if (list == NULL)
        {
          list = g_ptr_array_new ();
          g_hash_table_insert (by_id, g_steal_pointer (&id), list);
        }
      g_ptr_array_add (list, candidate);
    }

  /* What the new messages on the server are. */
  envelopes.summaries = g_array_new (FALSE, TRUE, sizeof (ServerSummary));
  g_array_set_clear_func (envelopes.summaries, (GDestroyNotify) server_summary_clear);
  g_array_sort (new_uids, compare_uid_desc);
  for (guint start = 0; start < new_uids->len; start += self->batch_size)
    g_ptr_array_add (sets, uid_set (&g_array_index (new_uids, guint32, start),
                                    MIN (self->batch_size, new_uids->len - start)));
  ok = fetch_pipelined (self, sets, "(UID FLAGS RFC822.SIZE ENVELOPE)", envelope_cb, &envelopes,
                        &envelopes.error, cancellable, error);
  for (guint i = 0; ok && i < envelopes.summaries->len; i++)
    {
      ServerSummary *summary = &g_array_index (envelopes.summaries, ServerSummary, i);

      if (summary->message_id != NULL)
        g_hash_table_replace (id_count, summary->message_id,
                              GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (id_count, summary->message_id)) + 1));
    }

  /* Oldest first: each server message takes the best local one left. */
  for (guint i = envelopes.summaries->len; ok && i > 0; i--)
    {
      ServerSummary *summary = &g_array_index (envelopes.summaries, ServerSummary, i - 1);
      g_autofree char *uid = uid_key (summary->uid);
      KurirStoreKeyState *state;
      const char *old_key;
      Candidate *candidate;

      if (summary->flags & KURIR_MESSAGE_FLAG_DELETED)
        continue;
      candidate = pick_candidate (self,
                                  summary->message_id != NULL ? g_hash_table_lookup (by_id, summary->message_id)
                                                              : without_id,
                                  summary,
                                  summary->message_id != NULL &&
                                  GPOINTER_TO_UINT (g_hash_table_lookup (id_count, summary->message_id)) == 1);
      if (candidate == NULL)
        continue;
      candidate->taken = TRUE;
      old_key = kurir_message_get_backend_key (candidate->message);
      if (!kurir_store_move_with_key (self->store, kurir_message_get_id (candidate->message),
                                      batch->folder, uid, error))
        {
          ok = FALSE;
          break;
        }
      if (old_key != NULL && g_strcmp0 (kurir_message_get_folder (candidate->message), batch->folder) == 0)
        g_hash_table_remove (batch->known, old_key);
      state = g_new0 (KurirStoreKeyState, 1);
      state->id = kurir_message_get_id (candidate->message);
      state->flags = kurir_message_get_flags (candidate->message);
      g_hash_table_replace (batch->known, g_strdup (uid), state);
      if (!apply_flags (self, state, summary->flags, batch->stats, error))
        {
          ok = FALSE;
          break;
        }
      g_hash_table_add (adopted, GUINT_TO_POINTER (summary->uid));
      batch->stats->adopted++;
    }
  g_array_unref (envelopes.summaries);

  for (guint i = new_uids->len; i > 0; i--)
    if (g_hash_table_contains (adopted, GUINT_TO_POINTER (g_array_index (new_uids, guint32, i - 1))))
      g_array_remove_index (new_uids, i - 1);
  if (g_hash_table_size (adopted) > 0)
    g_debug ("%s: %u messages POP3 downloaded matched on the IMAP server",
             account, g_hash_table_size (adopted));
  return ok;
}

static gboolean
sync_folder (KurirImapSync       *self,
             const char          *folder,
             KurirImapSyncStats  *stats,
             GCancellable        *cancellable,
             GError             **error)
{
  const char *account = kurir_account_get_name (self->account);
  g_autoptr(KurirStoreFolder) state = NULL;
  g_autoptr(KurirImapMailbox) mailbox = NULL;
  g_autoptr(GAsyncResult) selected = NULL;
  g_autoptr(GHashTable) known = NULL;
  g_autoptr(GHashTable) journalled = NULL;
  g_autoptr(GArray) new_uids = g_array_new (FALSE, FALSE, sizeof (guint32));
  gboolean qresync = kurir_imap_client_is_enabled (self->client, "QRESYNC");
  gboolean condstore = !qresync && kurir_imap_client_is_enabled (self->client, "CONDSTORE");
  int condstore_done = 0;
  gboolean ok = FALSE;
  gint64 uidvalidity, uidnext, modseq, new_modseq;
  Batch batch;

  state = kurir_store_get_folder (self->store, account, folder, error);
  if (state == NULL)
    return FALSE;
  uidvalidity = state->uidvalidity;
  uidnext = state->uidnext;
  modseq = state->highestmodseq;

  kurir_imap_client_select_async (self->client, folder, FALSE,
                                  qresync ? (guint32) uidvalidity : 0,
                                  qresync && uidvalidity > 0 ? (guint64) modseq : 0,
                                  NULL, 0, cancellable, kurir_sync_store_result, &selected);
  mailbox = kurir_imap_client_select_finish (self->client, wait_for (self, &selected), error);
  if (mailbox == NULL)
    return FALSE;

  if (uidvalidity != 0 && mailbox->uidvalidity != uidvalidity)
    {
      guint dropped = 0;

      g_debug ("%s: %s has a new UIDVALIDITY (%" G_GINT64_FORMAT " → %u): fetching it again",
               account, folder, uidvalidity, mailbox->uidvalidity);
      if (!kurir_store_clear_folder (self->store, account, folder, &dropped, error))
        return FALSE;
      stats->removed += dropped;
      uidnext = 0;
      modseq = 0;
    }

  known = kurir_store_get_folder_keys (self->store, account, folder, error);
  if (known == NULL)
    return FALSE;
  journalled = journalled_ids (self);
  batch_init (&batch, self, folder, known, stats);

  if (qresync && uidnext > 0 && modseq > 0 && mailbox->highestmodseq > 0 &&
      mailbox->uidvalidity == uidvalidity)
    {
      /* Changes came with the SELECT: expunges as VANISHED, flags as FETCH.
       * The ranges are matched against what is here, never expanded: a
       * server may say "1:4294967295". */
      g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func (g_free);
      gboolean reported_new = FALSE;
      GHashTableIter iter;
      gpointer k;

      g_hash_table_iter_init (&iter, known);
      while (mailbox->vanished->len > 0 && g_hash_table_iter_next (&iter, &k, NULL))
        {
          guint64 uid = 0;

          if (!g_ascii_string_to_unsigned (k, 10, 1, G_MAXUINT32, &uid, NULL))
            continue;
          for (guint i = 0; i < mailbox->vanished->len; i++)
            {
              KurirImapRange *range = &g_array_index (mailbox->vanished, KurirImapRange, i);

              if (uid >= range->first && uid <= range->last)
                {
                  g_ptr_array_add (gone, g_strdup (k));
                  break;
                }
            }
        }
      for (guint i = 0; i < gone->len; i++)
        if (!remove_known (self, known, g_ptr_array_index (gone, i), journalled, stats, error))
          goto out;
      for (guint i = 0; i < mailbox->fetches->len; i++)
        {
          KurirImapResponse *response = g_ptr_array_index (mailbox->fetches, i);
          g_auto(GStrv) flags = kurir_imap_response_dup_fetch_flags (response);
          g_autofree char *key = NULL;
          KurirStoreKeyState *known_state;
          guint32 uid;

          if (flags == NULL || !kurir_imap_response_get_fetch_uid (response, &uid))
            continue;
          key = uid_key (uid);
          known_state = g_hash_table_lookup (known, key);
          if (flags_from_imap (flags) & KURIR_MESSAGE_FLAG_DELETED)
            {
              if (!remove_known (self, known, key, journalled, stats, error))
                goto out;
            }
          else if (known_state != NULL)
            {
              if (!apply_flags (self, known_state, flags_from_imap (flags), stats, error))
                goto out;
            }
          else
            {
              /* New, or \Deleted before and no longer: not here either way. */
              reported_new |= uid >= uidnext;
              g_array_append_val (new_uids, uid);
            }
        }
      if (mailbox->uidnext > uidnext && !reported_new)
        {
          /* New mail without a flag change reported: ask for its UIDs. */
          g_autofree char *set = g_strdup_printf ("%" G_GINT64_FORMAT ":*", uidnext);
          GHashTableIter iter;
          gpointer uid_p, value;

          if (!fetch (self, set, "(UID FLAGS)", flags_cb, &batch, cancellable, error))
            goto out;
          g_hash_table_iter_init (&iter, batch.server);
          while (g_hash_table_iter_next (&iter, &uid_p, &value))
            {
              guint32 uid = GPOINTER_TO_UINT (uid_p);
              g_autofree char *key = uid_key (uid);

              if (uid >= uidnext && !g_hash_table_contains (known, key) &&
                  !(GPOINTER_TO_UINT (value) & KURIR_MESSAGE_FLAG_DELETED))
                g_array_append_val (new_uids, uid);
            }
        }
    }
  else if (mailbox->exists > 0 && condstore && uidnext > 0 && modseq > 0 &&
           mailbox->highestmodseq > 0 && mailbox->uidvalidity == uidvalidity &&
           (condstore_done = condstore_changes (self, &batch, mailbox, (guint64) modseq,
                                                journalled, new_uids, cancellable, error)) != 0)
    {
      if (condstore_done < 0)
        goto out;
    }
  else if (mailbox->exists > 0)
    {
      /* Every UID and its flags: new ones, changed ones, gone ones. */
      GHashTableIter iter;
      gpointer key, value;
      g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func (g_free);

      if (!fetch (self, "1:*", "(UID FLAGS)", flags_cb, &batch, cancellable, error))
        goto out;
      g_hash_table_iter_init (&iter, known);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          guint64 uid = 0;
          gpointer server;

          g_ascii_string_to_unsigned (key, 10, 1, G_MAXUINT32, &uid, NULL);
          /* Gone, or \Deleted there: not shown (see condstore_changes()). */
          if (!g_hash_table_lookup_extended (batch.server, GUINT_TO_POINTER ((guint32) uid), NULL, &server) ||
              (GPOINTER_TO_UINT (server) & KURIR_MESSAGE_FLAG_DELETED))
            g_ptr_array_add (gone, g_strdup (key));
          else if (!apply_flags (self, value, GPOINTER_TO_UINT (server) & 0xff, stats, error))
            goto out;
        }
      for (guint i = 0; i < gone->len; i++)
        if (!remove_known (self, known, g_ptr_array_index (gone, i), journalled, stats, error))
          goto out;
      g_hash_table_iter_init (&iter, batch.server);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          guint32 uid = GPOINTER_TO_UINT (key);
          g_autofree char *k = uid_key (uid);

          if (!g_hash_table_contains (known, k) &&
              !(GPOINTER_TO_UINT (value) & KURIR_MESSAGE_FLAG_DELETED))
            g_array_append_val (new_uids, uid);
        }
    }
  else
    {
      /* Empty on the server: nothing is left here either. */
      g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func (g_free);
      GHashTableIter iter;
      gpointer k;

      g_hash_table_iter_init (&iter, known);
      while (g_hash_table_iter_next (&iter, &k, NULL))
        g_ptr_array_add (all, g_strdup (k));
      for (guint i = 0; i < all->len; i++)
        {
          const char *key = g_ptr_array_index (all, i);

          if (!remove_known (self, known, key, journalled, stats, error))
            goto out;
        }
    }

  /* What a pending delete or move took out of here is not new. */
  if (new_uids->len > 0)
    {
      g_autoptr(GHashTable) pending = journalled_keys (self, folder, mailbox->uidvalidity);

      for (guint i = new_uids->len; i > 0 && g_hash_table_size (pending) > 0; i--)
        {
          g_autofree char *key = uid_key (g_array_index (new_uids, guint32, i - 1));

          if (g_hash_table_contains (pending, key))
            g_array_remove_index_fast (new_uids, i - 1);
        }
    }

  if (!adopt_pop3_mail (self, &batch, new_uids, cancellable, error))
    goto out;

  if (new_uids->len > 0 &&
      !fetch_summaries (self, &batch, new_uids, keeps_offline (self, mailbox->exists),
                        cancellable, error))
    goto out;
  if (keeps_offline (self, mailbox->exists) &&
      !fetch_bodies (self, known, stats, cancellable, error))
    goto out;

  new_modseq = qresync || condstore ? (gint64) mailbox->highestmodseq : 0;
  if (state->uidvalidity == mailbox->uidvalidity && state->uidnext == mailbox->uidnext &&
      state->highestmodseq == new_modseq)
    ok = TRUE;   /* nothing to write */
  else
    ok = kurir_store_set_folder_state (self->store, account, folder, mailbox->uidvalidity,
                                       mailbox->uidnext, new_modseq, error);
  kurir_checkpoint ("imap-state-recorded");
out:
  batch_clear (&batch);
  return ok;
}

static gboolean
ensure_connected (KurirImapSync  *self,
                  GCancellable   *cancellable,
                  GError        **error)
{
  g_autoptr(KurirConnection) connection = NULL;
  g_autoptr(GAsyncResult) connected = NULL;
  g_autoptr(GAsyncResult) authenticated = NULL;
  g_autoptr(GAsyncResult) enabled = NULL;
  KurirAccount *account = self->account;

  if (self->client != NULL &&
      kurir_imap_client_get_state (self->client) >= KURIR_IMAP_CLIENT_STATE_AUTHENTICATED &&
      kurir_imap_client_get_state (self->client) <= KURIR_IMAP_CLIENT_STATE_SELECTED)
    return TRUE;
  g_clear_object (&self->client);

  if (self->password == NULL)
    {
      g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_KEYRING,
                   _("No password is stored for %s on %s; give one with "
                     "“kurir-cli account set %s --password-stdin”"),
                   kurir_account_get_user (account), kurir_account_get_host (account),
                   kurir_account_get_name (account));
      return FALSE;
    }

  connection = kurir_account_new_connection (account, KURIR_PROTOCOL_IMAP, error);
  if (connection == NULL)
    return FALSE;

  self->client = kurir_imap_client_new (connection);
  kurir_imap_client_set_allow_plaintext (self->client, kurir_account_get_allow_plaintext (account));
  if (self->ignored != NULL)
    kurir_imap_client_set_ignored_capabilities (self->client, (const char * const *) self->ignored);

  kurir_imap_client_connect_async (self->client, cancellable, kurir_sync_store_result, &connected);
  if (!kurir_imap_client_connect_finish (self->client, wait_for (self, &connected), error))
    return FALSE;
  kurir_imap_client_authenticate_async (self->client, kurir_account_get_user (account),
                                        self->password, cancellable, kurir_sync_store_result,
                                        &authenticated);
  if (!kurir_imap_client_authenticate_finish (self->client, wait_for (self, &authenticated), error))
    return FALSE;
  kurir_imap_client_enable_async (self->client, cancellable, kurir_sync_store_result, &enabled);
  return kurir_imap_client_enable_finish (self->client, wait_for (self, &enabled), error);
}

static gboolean
sync_folders (KurirImapSync       *self,
              GPtrArray          **out_names,
              KurirImapSyncStats  *stats,
              GCancellable        *cancellable,
              GError             **error)
{
  const char *account = kurir_account_get_name (self->account);
  g_autoptr(GAsyncResult) listed = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GPtrArray) local = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) on_server = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) pending = NULL;

  g_autoptr(GHashTable) here = g_hash_table_new (g_str_hash, g_str_equal);

  kurir_imap_client_list_async (self->client, cancellable, kurir_sync_store_result, &listed);
  entries = kurir_imap_client_list_finish (self->client, wait_for (self, &listed), error);
  if (entries == NULL)
    return FALSE;
  /* What is here already is not written again (each write is a
   * transaction and an fsync). */
  local = kurir_store_list_folders (self->store, account, error);
  if (local == NULL)
    return FALSE;
  for (guint i = 0; i < local->len; i++)
    {
      KurirStoreFolder *folder = g_ptr_array_index (local, i);

      g_hash_table_insert (here, folder->name, folder);
    }

  for (guint i = 0; i < entries->len; i++)
    {
      KurirImapListEntry *entry = g_ptr_array_index (entries, i);
      KurirStoreFolder *known;
      const char *role;

      if (entry->name == NULL)
        {
          g_debug ("%s: skipping folder %s: %s", account, entry->raw_name,
                   entry->name_error ? entry->name_error->message : "undecodable name");
          continue;
        }
      g_hash_table_add (on_server, entry->name);
      if (entry->flags & (KURIR_IMAP_MAILBOX_NOSELECT | KURIR_IMAP_MAILBOX_NONEXISTENT))
        continue;
      role = role_from_flags (entry->flags);
      known = g_hash_table_lookup (here, entry->name);
      if ((known == NULL &&
           !kurir_store_create_folder (self->store, account, entry->name, NULL, error)) ||
          (role != NULL && (known == NULL || g_strcmp0 (known->role, role) != 0) &&
           !kurir_store_set_folder_role (self->store, account, entry->name, role, error)))
        return FALSE;
      g_ptr_array_add (names, g_strdup (entry->name));
    }
  stats->folders = names->len;

  /* Folders the server had (a UIDVALIDITY was seen) and has no longer,
   * unless an edit waiting to be sent makes them. */
  pending = kurir_store_journal_list (self->store, account, FALSE, error);
  if (pending == NULL)
    return FALSE;
  for (guint i = 0; i < local->len; i++)
    {
      KurirStoreFolder *folder = g_ptr_array_index (local, i);
      gboolean wanted = FALSE;

      if (folder->uidvalidity == 0 || g_hash_table_contains (on_server, folder->name))
        continue;
      for (guint j = 0; j < pending->len; j++)
        {
          KurirStoreJournalEntry *entry = g_ptr_array_index (pending, j);

          wanted |= g_strcmp0 (entry->target, folder->name) == 0 ||
                    g_strcmp0 (entry->folder, folder->name) == 0;
        }
      if (wanted)
        continue;
      g_debug ("%s: folder %s is gone from the server", account, folder->name);
      if (!kurir_store_delete_folder (self->store, account, folder->name, error))
        return FALSE;
    }

  *out_names = g_steal_pointer (&names);
  return TRUE;
}

/* With QRESYNC, a folder whose UIDVALIDITY, UIDNEXT and HIGHESTMODSEQ
 * are what the last sync saved has nothing to fetch: new mail moves
 * UIDNEXT, and a flag change or an expunge raises HIGHESTMODSEQ (RFC 7162,
 * 3.1 and 3.2.10). One STATUS per folder, all pipelined (one round trip),
 * tells which folders those are; they are not SELECTed. Not the folder
 * selected now (STATUS is not for that one), nor one kept offline that
 * still has bodies to fetch. Returns the names to skip (borrowed from
 * @names); on any doubt a folder is synced as usual. */
static GHashTable *
unchanged_folders (KurirImapSync  *self,
                   GPtrArray      *names,
                   GCancellable   *cancellable)
{
  const char *account = kurir_account_get_name (self->account);
  GHashTable *unchanged = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree GAsyncResult **results = NULL;
  g_autoptr(GPtrArray) local = NULL;
  g_autoptr(GHashTable) here = g_hash_table_new (g_str_hash, g_str_equal);
  const char *selected = kurir_imap_client_get_selected (self->client);

  if (!kurir_imap_client_is_enabled (self->client, "QRESYNC") || names->len == 0)
    return unchanged;
  local = kurir_store_list_folders (self->store, account, NULL);
  if (local == NULL)
    return unchanged;
  for (guint i = 0; i < local->len; i++)
    {
      KurirStoreFolder *folder = g_ptr_array_index (local, i);

      g_hash_table_insert (here, folder->name, folder);
    }

  results = g_new0 (GAsyncResult *, names->len);
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      KurirStoreFolder *known = g_hash_table_lookup (here, name);

      if (known == NULL || known->uidvalidity == 0 || known->highestmodseq == 0 ||
          g_strcmp0 (selected, name) == 0)
        continue;
      kurir_imap_client_status_async (self->client, name, cancellable,
                                      kurir_sync_store_result, &results[i]);
    }
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      KurirStoreFolder *known = g_hash_table_lookup (here, name);
      g_autoptr(KurirImapStatusData) status = NULL;
      g_autoptr(GAsyncResult) result = NULL;
      KurirImapStatusItems needed = KURIR_IMAP_STATUS_ITEM_UIDVALIDITY |
                                    KURIR_IMAP_STATUS_ITEM_UIDNEXT |
                                    KURIR_IMAP_STATUS_ITEM_HIGHESTMODSEQ;

      if (known == NULL || (known->uidvalidity == 0 || known->highestmodseq == 0 ||
                            g_strcmp0 (selected, name) == 0))
        continue;
      result = wait_for (self, &results[i]);
      status = kurir_imap_client_status_finish (self->client, result, NULL);
      if (status == NULL || (status->present & needed) != needed ||
          status->uidvalidity != known->uidvalidity || status->uidnext != known->uidnext ||
          status->highestmodseq != (guint64) known->highestmodseq)
        continue;
      if (keeps_offline (self, status->messages) &&
          kurir_store_count_partial (self->store, account, name, NULL) != 0)
        continue;
      g_hash_table_add (unchanged, (gpointer) name);
    }
  return unchanged;
}

static gboolean
run_locked (KurirImapSync       *self,
            KurirImapSyncStats  *stats,
            GCancellable        *cancellable,
            GError             **error)
{
  KurirJournalStats journal = { 0 };
  g_autoptr(GPtrArray) names = NULL;
  g_autoptr(GHashTable) unchanged = NULL;
  gboolean ok;

  if (!ensure_connected (self, cancellable, error))
    return FALSE;

  ok = kurir_journal_replay (self->journal, self->client, &journal, cancellable, error);
  stats->edits_sent += journal.sent;
  stats->edits_refused += journal.refused;
  if (!ok || !sync_folders (self, &names, stats, cancellable, error))
    return FALSE;

  unchanged = unchanged_folders (self, names, cancellable);
  stats->unchanged += g_hash_table_size (unchanged);
  for (guint i = 0; i < names->len; i++)
    {
      g_autoptr(GError) local_error = NULL;

      if (g_hash_table_contains (unchanged, g_ptr_array_index (names, i)))
        continue;
      if (sync_folder (self, g_ptr_array_index (names, i), stats, cancellable, &local_error))
        continue;
      /* Deleted by someone else since the LIST: the next sync drops it. */
      if (g_error_matches (local_error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_NONEXISTENT))
        continue;
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error), _("folder “%s”: "),
                                  (const char *) g_ptr_array_index (names, i));
      return FALSE;
    }
  self->synced = TRUE;
  return TRUE;
}

static void
changed_cb (KurirImapClient *client,
            gpointer         unused,
            gpointer         user_data)
{
  KurirImapSync *self = user_data;

  self->dirty = TRUE;
  if (kurir_imap_client_is_idling (client))
    kurir_imap_client_idle_stop (client);
}

static void
vanished_cb (KurirImapClient *client,
             gpointer         ranges,
             gboolean         earlier,
             gpointer         user_data)
{
  changed_cb (client, NULL, user_data);
}

/* Overrides */

static void
kurir_imap_sync_dispose (GObject *object)
{
  KurirImapSync *self = KURIR_IMAP_SYNC (object);

  if (self->client != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->client, self);
      kurir_imap_client_close (self->client);
    }
  g_clear_object (&self->client);
  g_clear_object (&self->journal);
  g_clear_object (&self->store);
  g_clear_object (&self->account);

  G_OBJECT_CLASS (kurir_imap_sync_parent_class)->dispose (object);
}

static void
kurir_imap_sync_finalize (GObject *object)
{
  KurirImapSync *self = KURIR_IMAP_SYNC (object);

  if (self->password != NULL)
    {
      explicit_bzero (self->password, strlen (self->password));
      g_free (self->password);
    }
  g_main_context_unref (self->context);
  g_strfreev (self->ignored);

  G_OBJECT_CLASS (kurir_imap_sync_parent_class)->finalize (object);
}

static void
kurir_imap_sync_class_init (KurirImapSyncClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kurir_imap_sync_dispose;
  object_class->finalize = kurir_imap_sync_finalize;

  /**
   * KurirImapSync::changed:
   *
   * Emitted by kurir_imap_sync_watch(), in its thread, after changes the
   * server announced were brought into the store.
   */
  signals[SIGNAL_CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
kurir_imap_sync_init (KurirImapSync *self)
{
  self->keep_offline = -1;
  self->batch_size = KURIR_IMAP_SYNC_SUMMARY_BATCH;
  self->context = g_main_context_new ();
}

/* Public API */

KurirImapSync *
kurir_imap_sync_new (KurirAccount *account,
                     KurirStore   *store,
                     const char   *password)
{
  KurirImapSync *self;

  g_return_val_if_fail (KURIR_IS_ACCOUNT (account), NULL);
  g_return_val_if_fail (KURIR_IS_STORE (store), NULL);

  self = g_object_new (KURIR_TYPE_IMAP_SYNC, NULL);
  self->account = g_object_ref (account);
  self->store = g_object_ref (store);
  self->password = g_strdup (password);
  self->journal = kurir_journal_new (store, kurir_account_get_name (account));
  return self;
}

void
kurir_imap_sync_set_keep_offline (KurirImapSync *self,
                                  int            keep)
{
  g_return_if_fail (KURIR_IS_IMAP_SYNC (self));
  self->keep_offline = keep;
}

void
kurir_imap_sync_set_ignored_capabilities (KurirImapSync      *self,
                                          const char * const *capabilities)
{
  g_return_if_fail (KURIR_IS_IMAP_SYNC (self));

  g_strfreev (self->ignored);
  self->ignored = g_strdupv ((char **) capabilities);
}

void
kurir_imap_sync_set_batch_size (KurirImapSync *self,
                                guint          n_messages)
{
  g_return_if_fail (KURIR_IS_IMAP_SYNC (self));
  g_return_if_fail (n_messages > 0);
  self->batch_size = n_messages;
}

KurirImapClient *
kurir_imap_sync_get_client (KurirImapSync *self)
{
  g_return_val_if_fail (KURIR_IS_IMAP_SYNC (self), NULL);
  return self->client;
}

gboolean
kurir_imap_sync_run (KurirImapSync       *self,
                     KurirImapSyncStats  *out_stats,
                     GCancellable        *cancellable,
                     GError             **error)
{
  KurirImapSyncStats stats = { 0 };
  gboolean ok;

  g_return_val_if_fail (KURIR_IS_IMAP_SYNC (self), FALSE);

  g_main_context_push_thread_default (self->context);
  ok = run_locked (self, &stats, cancellable, error);
  g_main_context_pop_thread_default (self->context);
  /* The caller names the account (kurir-cli, the account's row in the
   * window), as for POP3: a prefix here would name it twice. */
  if (out_stats != NULL)
    *out_stats = stats;
  return ok;
}

gboolean
kurir_imap_sync_replay (KurirImapSync      *self,
                        KurirJournalStats  *out_stats,
                        GCancellable       *cancellable,
                        GError            **error)
{
  gboolean ok;

  g_return_val_if_fail (KURIR_IS_IMAP_SYNC (self), FALSE);

  g_main_context_push_thread_default (self->context);
  ok = ensure_connected (self, cancellable, error) &&
       kurir_journal_replay (self->journal, self->client, out_stats, cancellable, error);
  g_main_context_pop_thread_default (self->context);
  return ok;
}

KurirJournal *
kurir_imap_sync_get_journal (KurirImapSync *self)
{
  g_return_val_if_fail (KURIR_IS_IMAP_SYNC (self), NULL);
  return self->journal;
}

gboolean
kurir_imap_sync_watch (KurirImapSync  *self,
                       GCancellable   *cancellable,
                       GError        **error)
{
  KurirImapSyncStats stats = { 0 };
  gboolean ok = TRUE;

  g_return_val_if_fail (KURIR_IS_IMAP_SYNC (self), FALSE);

  if (!self->synced)
    {
      if (!kurir_imap_sync_run (self, &stats, cancellable, error))
        return FALSE;
      g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
      memset (&stats, 0, sizeof stats);
    }

  g_main_context_push_thread_default (self->context);
  while (ok)
    {
      g_autoptr(GAsyncResult) idled = NULL;
      gulong handlers[4];

      /* INBOX selected and up to date: then wait. */
      self->dirty = FALSE;
      ok = ensure_connected (self, cancellable, error) &&
           sync_folder (self, KURIR_STORE_INBOX, &stats, cancellable, error);
      if (!ok)
        break;
      if (stats.added + stats.changed + stats.removed > 0)
        {
          g_debug ("%s: INBOX: %u new, %u changed, %u removed", kurir_account_get_name (self->account),
                   stats.added, stats.changed, stats.removed);
          g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
        }
      memset (&stats, 0, sizeof stats);
      if (self->dirty)
        continue;

      handlers[0] = g_signal_connect (self->client, "exists", G_CALLBACK (changed_cb), self);
      handlers[1] = g_signal_connect (self->client, "expunge", G_CALLBACK (changed_cb), self);
      handlers[2] = g_signal_connect (self->client, "fetch", G_CALLBACK (changed_cb), self);
      handlers[3] = g_signal_connect (self->client, "vanished", G_CALLBACK (vanished_cb), self);
      kurir_imap_client_idle_async (self->client, cancellable, kurir_sync_store_result, &idled);
      ok = kurir_imap_client_idle_finish (self->client, wait_for (self, &idled), error);
      for (guint i = 0; i < G_N_ELEMENTS (handlers); i++)
        g_signal_handler_disconnect (self->client, handlers[i]);
    }
  g_main_context_pop_thread_default (self->context);
  return FALSE;
}

void
kurir_imap_sync_close (KurirImapSync *self)
{
  g_return_if_fail (KURIR_IS_IMAP_SYNC (self));

  if (self->client != NULL)
    kurir_imap_client_close (self->client);
}

gboolean
kurir_imap_sync_fetch_body (KurirImapSync  *self,
                            gint64          id,
                            GCancellable   *cancellable,
                            GError        **error)
{
  g_autoptr(KurirMessage) message = NULL;
  g_autoptr(GAsyncResult) selected = NULL;
  g_autoptr(GAsyncResult) fetched = NULL;
  g_autoptr(KurirImapMailbox) mailbox = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(KurirStoreFolder) folder = NULL;
  guint64 uid = 0;
  gboolean ok = FALSE;

  g_return_val_if_fail (KURIR_IS_IMAP_SYNC (self), FALSE);

  message = kurir_store_get_message (self->store, id, error);
  if (message == NULL)
    return FALSE;
  if (!(kurir_message_get_flags (message) & KURIR_MESSAGE_FLAG_PARTIAL))
    return TRUE;
  if (kurir_message_get_backend_key (message) == NULL ||
      !g_ascii_string_to_unsigned (kurir_message_get_backend_key (message), 10, 1, G_MAXUINT32,
                                   &uid, NULL))
    {
      g_set_error (error, KURIR_SYNC_ERROR, KURIR_SYNC_ERROR_OFFLINE,
                   _("message %" PRId64 " is not on the server yet; sync first"), id);
      return FALSE;
    }
  folder = kurir_store_get_folder (self->store, kurir_message_get_account (message),
                                   kurir_message_get_folder (message), error);
  if (folder == NULL)
    return FALSE;

  g_main_context_push_thread_default (self->context);
  if (!ensure_connected (self, cancellable, error))
    goto out;
  kurir_imap_client_select_async (self->client, kurir_message_get_folder (message), TRUE, 0, 0,
                                  NULL, 0, cancellable, kurir_sync_store_result, &selected);
  mailbox = kurir_imap_client_select_finish (self->client, wait_for (self, &selected), error);
  if (mailbox == NULL)
    goto out;
  if (folder->uidvalidity != 0 && mailbox->uidvalidity != folder->uidvalidity)
    {
      g_set_error (error, KURIR_SYNC_ERROR, KURIR_SYNC_ERROR_OFFLINE,
                   _("folder “%s” changed on the server; sync it first"), folder->name);
      goto out;
    }
  kurir_imap_client_fetch_body_async (self->client, (guint32) uid, NULL, cancellable,
                                      kurir_sync_store_result, &fetched);
  body = kurir_imap_client_fetch_body_finish (self->client, wait_for (self, &fetched), error);
  if (body == NULL)
    goto out;
  ok = kurir_store_complete_message (self->store, id, body, error);
out:
  g_main_context_pop_thread_default (self->context);
  return ok;
}

typedef struct
{
  KurirAccount *account;
  KurirStore   *store;
  char         *password;
} SyncTaskData;

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

static void
sync_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  SyncTaskData *data = task_data;
  g_autoptr(KurirImapSync) sync = kurir_imap_sync_new (data->account, data->store, data->password);
  KurirImapSyncStats *stats = g_new0 (KurirImapSyncStats, 1);
  GError *error = NULL;

  if (!kurir_imap_sync_run (sync, stats, cancellable, &error))
    {
      g_free (stats);
      g_task_return_error (task, error);
      return;
    }
  kurir_imap_sync_close (sync);
  g_task_return_pointer (task, stats, g_free);
}

void
kurir_imap_sync_async (KurirAccount        *account,
                       KurirStore          *store,
                       const char          *password,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  SyncTaskData *data = g_new0 (SyncTaskData, 1);

  data->account = g_object_ref (account);
  data->store = g_object_ref (store);
  data->password = g_strdup (password);
  g_task_set_source_tag (task, kurir_imap_sync_async);
  g_task_set_task_data (task, data, (GDestroyNotify) sync_task_data_free);
  g_task_run_in_thread (task, sync_thread);
}

gboolean
kurir_imap_sync_finish (GAsyncResult        *result,
                        KurirImapSyncStats  *out_stats,
                        GError             **error)
{
  g_autofree KurirImapSyncStats *stats = NULL;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  stats = g_task_propagate_pointer (G_TASK (result), error);
  if (stats == NULL)
    return FALSE;
  if (out_stats != NULL)
    *out_stats = *stats;
  return TRUE;
}
