/* kurir-message-list-model.c: the message list, loaded page by page
 *
 * n_items comes from kurir_store_count_async(); a row's item is made when
 * the view asks for it, empty until its page of KURIR_MESSAGE_LIST_PAGE_SIZE
 * rows arrives from kurir_store_list_async(). At most
 * KURIR_MESSAGE_LIST_MAX_PAGES pages stay loaded: items no row holds any
 * more are dropped from older pages, so scrolling through 100,000 messages
 * never keeps them all in memory.
 *
 * In conversation mode (kurir_message_list_model_new_threads()) a row is
 * a thread: the same paging over kurir_store_list_threads_async(), whose
 * rows SQLite groups, so a page still reads only its own summaries. The
 * count of threads reads the folder's whole thread order, so an empty
 * list shows its first page first and counts after.
 *
 * A refresh compares the rows loaded from the top with the store's rows
 * now, by message id, and reports insertions and removals where they
 * happened; the rest of the list shifts by the difference in count.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-app"

#include "config.h"

#include <string.h>

#include "kurir-message-list-model.h"
#include "kurir-store-threads.h"

#define REFRESH_PREFIX_MAX 2000  /* loaded rows from the top compared on refresh */

struct _KurirMessageListModel
{
  GObject       parent_instance;

  KurirStore   *store;
  char         *account;
  char         *folder;
  char         *query;          /* search mode when set */
  gboolean      threads;        /* one row per conversation */
  GCancellable *cancellable;

  GPtrArray    *items;          /* KurirMessageItem or NULL, one per row */
  GHashTable   *pending_pages;  /* page index → TRUE, for this generation */
  GQueue        loaded_pages;   /* page indices, oldest first */
  guint         generation;     /* bumped when positions change under loads */

  gboolean      loading;
  gboolean      refreshing;
  gboolean      refresh_again;
  GError       *error;
};

enum {
  PROP_0,
  PROP_LOADING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (KurirMessageListModel, kurir_message_list_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

typedef struct
{
  KurirMessageListModel *self;
  guint                  generation;
  guint                  page;
  /* refresh */
  GArray                *old_ids;    /* gint64 ids of the loaded rows from the top */
  guint                  old_n;
  gint64                 new_n;
} LoadData;

static void
load_data_free (LoadData *data)
{
  g_clear_object (&data->self);
  g_clear_pointer (&data->old_ids, g_array_unref);
  g_free (data);
}

static LoadData *
load_data_new (KurirMessageListModel *self,
               guint                  page)
{
  LoadData *data = g_new0 (LoadData, 1);

  data->self = g_object_ref (self);
  data->generation = self->generation;
  data->page = page;
  return data;
}

/* Helpers */

static void
set_loading (KurirMessageListModel *self,
             gboolean               loading)
{
  if (self->loading == loading)
    return;
  self->loading = loading;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
set_error (KurirMessageListModel *self,
           const GError          *error)
{
  g_clear_error (&self->error);
  if (error != NULL)
    {
      self->error = g_error_copy (error);
      g_warning ("Could not read the message list: %s", error->message);
    }
}

static KurirMessageItem *
ensure_item (KurirMessageListModel *self,
             guint                  position)
{
  KurirMessageItem *item = g_ptr_array_index (self->items, position);

  if (item == NULL)
    {
      item = kurir_message_item_new ();
      self->items->pdata[position] = item;
    }
  return item;
}

/* A page of rows: messages, or in conversation mode each thread's newest
 * message carrying its KurirStoreThread (kurir_message_item_get_thread()). */
static void
list_rows_async (KurirMessageListModel *self,
                 guint                  offset,
                 guint                  limit,
                 GAsyncReadyCallback    callback,
                 gpointer               user_data)
{
  if (self->threads)
    kurir_store_list_threads_async (self->store, self->account, self->folder, offset, limit,
                                    self->cancellable, callback, user_data);
  else
    kurir_store_list_async (self->store, self->account, self->folder, offset, limit,
                            self->cancellable, callback, user_data);
}

static GPtrArray *
list_rows_finish (KurirMessageListModel  *self,
                  GAsyncResult           *result,
                  GError                **error)
{
  g_autoptr(GPtrArray) threads = NULL;
  GPtrArray *messages;

  if (!self->threads)
    return kurir_store_list_finish (self->store, result, error);

  threads = kurir_store_list_threads_finish (self->store, result, error);
  if (threads == NULL)
    return NULL;
  messages = g_ptr_array_new_full (threads->len, g_object_unref);
  for (guint i = 0; i < threads->len; i++)
    {
      KurirStoreThread *thread = g_ptr_array_index (threads, i);
      KurirMessage *message = g_object_ref (thread->newest);

      /* The message is this page's own copy: nobody else sees the data. */
      g_object_set_data_full (G_OBJECT (message), KURIR_MESSAGE_ITEM_THREAD_KEY,
                              kurir_store_thread_copy (thread),
                              (GDestroyNotify) kurir_store_thread_free);
      g_ptr_array_add (messages, message);
    }
  return messages;
}

static void page_loaded_cb (GObject *source, GAsyncResult *result, gpointer user_data);

static void
request_page (KurirMessageListModel *self,
              guint                  page)
{
  if (self->query != NULL || self->refreshing ||
      g_hash_table_contains (self->pending_pages, GUINT_TO_POINTER (page)))
    return;

  g_hash_table_add (self->pending_pages, GUINT_TO_POINTER (page));
  list_rows_async (self, page * KURIR_MESSAGE_LIST_PAGE_SIZE, KURIR_MESSAGE_LIST_PAGE_SIZE,
                   page_loaded_cb, load_data_new (self, page));
}

/* Asks again for every row a view holds whose message is missing or stale. */
static void
request_missing (KurirMessageListModel *self)
{
  for (guint i = 0; i < self->items->len; i++)
    {
      KurirMessageItem *item = g_ptr_array_index (self->items, i);

      if (item != NULL && kurir_message_item_get_message (item) == NULL)
        {
          request_page (self, i / KURIR_MESSAGE_LIST_PAGE_SIZE);
          i = (i / KURIR_MESSAGE_LIST_PAGE_SIZE + 1) * KURIR_MESSAGE_LIST_PAGE_SIZE - 1;
        }
    }
}

static void
evict_old_pages (KurirMessageListModel *self,
                 guint                  keep_page)
{
  while (g_queue_get_length (&self->loaded_pages) > KURIR_MESSAGE_LIST_MAX_PAGES)
    {
      guint page = GPOINTER_TO_UINT (g_queue_pop_head (&self->loaded_pages));
      guint start = page * KURIR_MESSAGE_LIST_PAGE_SIZE;
      guint end = MIN (start + KURIR_MESSAGE_LIST_PAGE_SIZE, self->items->len);

      if (page == keep_page)
        continue;
      for (guint i = start; i < end; i++)
        {
          GObject *item = g_ptr_array_index (self->items, i);

          /* Rows on screen hold a reference: keep those. */
          if (item != NULL && item->ref_count == 1)
            {
              g_object_unref (item);
              self->items->pdata[i] = NULL;
            }
        }
    }
}

static void
insert_rows (KurirMessageListModel *self,
             guint                  position,
             guint                  n)
{
  guint old_len = self->items->len;

  /* In one move: one insertion at a time is quadratic, and the first
   * load inserts every row (seconds at 100,000). */
  g_ptr_array_set_size (self->items, old_len + n);
  memmove (&self->items->pdata[position + n], &self->items->pdata[position],
           (old_len - position) * sizeof (gpointer));
  memset (&self->items->pdata[position], 0, n * sizeof (gpointer));
}

static void
remove_rows (KurirMessageListModel *self,
             guint                  position,
             guint                  n)
{
  g_ptr_array_remove_range (self->items, position, n);
}

/* Applies the store's rows @fresh (from the top; @new_n in all) against
 * the loaded rows @old_ids (from the top; @old_n in all), emitting
 * items-changed for each change in model order. */
static void
apply_diff (KurirMessageListModel *self,
            GArray                *old_ids,
            guint                  old_n,
            GPtrArray             *fresh,
            guint                  new_n)
{
  g_autoptr(GHashTable) new_set = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_autoptr(GHashTable) old_left = g_hash_table_new (g_int64_hash, g_int64_equal);
  guint P = old_ids->len, M = fresh->len;
  guint i = 0, j = 0, pos = 0;
  gint64 delta;

  for (guint k = 0; k < M; k++)
    {
      gint64 *id = g_new (gint64, 1);
      *id = kurir_message_get_id (g_ptr_array_index (fresh, k));
      g_hash_table_add (new_set, id);
    }
  for (guint k = 0; k < P; k++)
    g_hash_table_add (old_left, &g_array_index (old_ids, gint64, k));

  while (i < P)
    {
      gint64 old_id = g_array_index (old_ids, gint64, i);
      KurirMessage *next = j < M ? g_ptr_array_index (fresh, j) : NULL;
      gint64 next_id = next ? kurir_message_get_id (next) : -1;

      if (next != NULL && old_id == next_id)
        {
          kurir_message_item_set_message (ensure_item (self, pos), next);
          g_hash_table_remove (old_left, &old_id);
          pos++, i++, j++;
        }
      else if (next != NULL && g_hash_table_contains (new_set, &old_id) &&
               !g_hash_table_contains (old_left, &next_id))
        {
          KurirMessageItem *item = kurir_message_item_new ();

          kurir_message_item_set_message (item, next);
          g_ptr_array_insert (self->items, pos, item);
          g_list_model_items_changed (G_LIST_MODEL (self), pos, 0, 1);
          pos++, j++;
        }
      else
        {
          g_hash_table_remove (old_left, &old_id);
          g_ptr_array_remove_index (self->items, pos);
          g_list_model_items_changed (G_LIST_MODEL (self), pos, 1, 0);
          i++;
        }
    }

  /* pos == j: the rest of the old list follows; it shifts by the change in count. */
  delta = (gint64) new_n - (gint64) j - ((gint64) old_n - (gint64) P);
  if (delta > 0)
    {
      insert_rows (self, pos, (guint) delta);
      g_list_model_items_changed (G_LIST_MODEL (self), pos, 0, (guint) delta);
    }
  else if (delta < 0)
    {
      remove_rows (self, pos, (guint) -delta);
      g_list_model_items_changed (G_LIST_MODEL (self), pos, (guint) -delta, 0);
    }

  /* The rows read past the compared ones are current: keep them. */
  for (guint k = j; k < M && k < self->items->len; k++)
    kurir_message_item_set_message (ensure_item (self, k), g_ptr_array_index (fresh, k));

  /* Rows further down may be stale now: drop them, or load them again
   * when a view shows them. */
  g_queue_clear (&self->loaded_pages);
  for (guint k = 0; k * KURIR_MESSAGE_LIST_PAGE_SIZE < MIN (M, self->items->len); k++)
    g_queue_push_tail (&self->loaded_pages, GUINT_TO_POINTER (k));
  for (guint k = M; k < self->items->len; k++)
    {
      GObject *item = g_ptr_array_index (self->items, k);

      if (item == NULL)
        continue;
      if (item->ref_count == 1)
        {
          g_object_unref (item);
          self->items->pdata[k] = NULL;
        }
      else
        request_page (self, k / KURIR_MESSAGE_LIST_PAGE_SIZE);
    }
}

static void start_refresh (KurirMessageListModel *self);

static void
finish_refresh (KurirMessageListModel *self)
{
  self->refreshing = FALSE;
  if (self->refresh_again)
    {
      /* Still loading: "loading" turns FALSE only with current rows. */
      self->refresh_again = FALSE;
      start_refresh (self);
      return;
    }
  set_loading (self, FALSE);
  request_missing (self);
}

/* Callbacks */

static void
page_loaded_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  LoadData *data = user_data;
  KurirMessageListModel *self = data->self;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GError) error = NULL;
  guint start = data->page * KURIR_MESSAGE_LIST_PAGE_SIZE;

  messages = list_rows_finish (self, result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      data->generation != self->generation)
    {
      load_data_free (data);
      return;
    }

  g_hash_table_remove (self->pending_pages, GUINT_TO_POINTER (data->page));
  if (messages == NULL)
    set_error (self, error);
  else
    {
      for (guint i = 0; i < messages->len && start + i < self->items->len; i++)
        {
          kurir_message_item_set_message (ensure_item (self, start + i),
                                          g_ptr_array_index (messages, i));
        }
      g_queue_push_tail (&self->loaded_pages, GUINT_TO_POINTER (data->page));
      evict_old_pages (self, data->page);
    }
  load_data_free (data);
}

static void
refresh_listed_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  LoadData *data = user_data;
  KurirMessageListModel *self = data->self;
  g_autoptr(GPtrArray) fresh = NULL;
  g_autoptr(GError) error = NULL;

  if (self->query != NULL)
    fresh = kurir_store_search_finish (KURIR_STORE (source), result, &error);
  else
    fresh = list_rows_finish (self, result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      load_data_free (data);
      return;
    }
  self->refreshing = FALSE;
  if (fresh == NULL)
    set_error (self, error);
  else
    {
      set_error (self, NULL);
      apply_diff (self, data->old_ids, data->old_n, fresh,
                  self->query ? fresh->len : (guint) data->new_n);
    }
  finish_refresh (self);
  load_data_free (data);
}

static void
refresh_counted_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  LoadData *data = user_data;
  KurirMessageListModel *self = data->self;
  g_autoptr(GError) error = NULL;
  guint want;

  if (self->threads)
    data->new_n = kurir_store_count_threads_finish (KURIR_STORE (source), result, &error);
  else
    data->new_n = kurir_store_count_finish (KURIR_STORE (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      load_data_free (data);
      return;
    }
  if (data->new_n < 0)
    {
      set_error (self, error);
      finish_refresh (self);
      load_data_free (data);
      return;
    }

  /* The loaded rows, the new ones above them, and a page for the first screen. */
  want = data->old_ids->len + KURIR_MESSAGE_LIST_PAGE_SIZE;
  if (data->old_n > 0 && data->new_n > data->old_n)
    want += (guint) MIN (data->new_n - data->old_n, (gint64) REFRESH_PREFIX_MAX);
  want = (guint) MIN ((gint64) want, data->new_n);
  list_rows_async (self, 0, want, refresh_listed_cb, data);
}

/* Conversation mode, first load: the count came after the first page;
 * the rows below it are added now. */
static void
rest_counted_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  LoadData *data = user_data;
  KurirMessageListModel *self = data->self;
  g_autoptr(GError) error = NULL;
  gint64 n = kurir_store_count_threads_finish (KURIR_STORE (source), result, &error);
  guint len = self->items->len;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      load_data_free (data);
      return;
    }
  if (n < 0)
    set_error (self, error);
  else if ((guint) MIN (n, (gint64) G_MAXUINT) > len)
    {
      guint more = (guint) MIN (n, (gint64) G_MAXUINT) - len;

      insert_rows (self, len, more);
      g_list_model_items_changed (G_LIST_MODEL (self), len, 0, more);
    }
  else if (n < len)
    {
      /* Conversations gone since the first page: a refresh follows the
       * change that did it; the count is right meanwhile. */
      remove_rows (self, (guint) n, len - (guint) n);
      g_list_model_items_changed (G_LIST_MODEL (self), (guint) n, len - (guint) n, 0);
    }
  self->refreshing = FALSE;
  finish_refresh (self);
  load_data_free (data);
}

static gboolean
count_rest_idle_cb (gpointer user_data)
{
  LoadData *data = user_data;
  KurirMessageListModel *self = data->self;

  if (self->store == NULL || g_cancellable_is_cancelled (self->cancellable))
    {
      load_data_free (data);
      return G_SOURCE_REMOVE;
    }
  kurir_store_count_threads_async (self->store, self->account, self->folder,
                                   self->cancellable, rest_counted_cb, data);
  return G_SOURCE_REMOVE;
}

/* Conversation mode, first load: the first page is shown before the count
 * of conversations, which reads the whole folder's order. */
static void
first_page_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  LoadData *data = user_data;
  KurirMessageListModel *self = data->self;
  g_autoptr(GPtrArray) fresh = NULL;
  g_autoptr(GError) error = NULL;

  fresh = list_rows_finish (self, result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      load_data_free (data);
      return;
    }
  if (fresh == NULL)
    {
      set_error (self, error);
      self->refreshing = FALSE;
      finish_refresh (self);
      load_data_free (data);
      return;
    }
  set_error (self, NULL);
  apply_diff (self, data->old_ids, 0, fresh, fresh->len);
  if (fresh->len < KURIR_MESSAGE_LIST_PAGE_SIZE)
    {
      /* That was all of them. */
      self->refreshing = FALSE;
      finish_refresh (self);
      load_data_free (data);
      return;
    }
  /* Once the main loop is idle, so after the first page is drawn: the
   * count's walk through the whole folder competes with it otherwise. */
  g_idle_add_full (G_PRIORITY_LOW, count_rest_idle_cb, data, NULL);
}

static void
start_refresh (KurirMessageListModel *self)
{
  LoadData *data;

  if (self->refreshing)
    {
      self->refresh_again = TRUE;
      return;
    }

  self->refreshing = TRUE;
  self->generation++;
  set_loading (self, TRUE);
  g_hash_table_remove_all (self->pending_pages);

  data = load_data_new (self, 0);
  data->old_n = self->items->len;
  data->old_ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (guint i = 0; i < self->items->len && i < REFRESH_PREFIX_MAX; i++)
    {
      KurirMessageItem *item = g_ptr_array_index (self->items, i);
      KurirMessage *message = item ? kurir_message_item_get_message (item) : NULL;
      gint64 id;

      if (message == NULL)
        break;
      id = kurir_message_get_id (message);
      g_array_append_val (data->old_ids, id);
    }

  if (self->query != NULL)
    kurir_store_search_async (self->store, self->query, 0, KURIR_MESSAGE_LIST_SEARCH_MAX,
                              self->cancellable, refresh_listed_cb, data);
  else if (self->threads && data->old_n == 0)
    list_rows_async (self, 0, KURIR_MESSAGE_LIST_PAGE_SIZE, first_page_cb, data);
  else if (self->threads)
    kurir_store_count_threads_async (self->store, self->account, self->folder,
                                     self->cancellable, refresh_counted_cb, data);
  else
    kurir_store_count_async (self->store, self->account, self->folder,
                             self->cancellable, refresh_counted_cb, data);
}

/* Rows read for kurir_message_list_model_get_messages_async(). */
typedef struct
{
  KurirStore *store;
  char       *account;
  char       *folder;
  gboolean    threads;
  GArray     *ranges;     /* guint pairs: first position, number of rows */
  GPtrArray  *messages;   /* the loaded ones, then those read */
} Collect;

#define COLLECT_CHUNK 1000  /* rows a store call reads */

static void
collect_free (Collect *collect)
{
  g_clear_object (&collect->store);
  g_free (collect->account);
  g_free (collect->folder);
  g_clear_pointer (&collect->ranges, g_array_unref);
  g_clear_pointer (&collect->messages, g_ptr_array_unref);
  g_free (collect);
}

static void
collect_thread (GTask        *task,
                gpointer      source,
                gpointer      task_data,
                GCancellable *cancellable)
{
  Collect *collect = task_data;

  for (guint r = 0; r + 1 < collect->ranges->len; r += 2)
    {
      guint first = g_array_index (collect->ranges, guint, r);
      guint n = g_array_index (collect->ranges, guint, r + 1);

      for (guint done = 0; done < n; done += COLLECT_CHUNK)
        {
          guint limit = MIN (COLLECT_CHUNK, n - done);
          g_autoptr(GPtrArray) rows = NULL;
          GError *error = NULL;

          if (g_task_return_error_if_cancelled (task))
            return;
          if (collect->threads)
            rows = kurir_store_list_threads (collect->store, collect->account, collect->folder,
                                             first + done, limit, &error);
          else
            rows = kurir_store_list (collect->store, collect->account, collect->folder,
                                     first + done, limit, &error);
          if (rows == NULL)
            {
              g_task_return_error (task, error);
              return;
            }
          for (guint i = 0; i < rows->len; i++)
            {
              gpointer row = g_ptr_array_index (rows, i);
              KurirMessage *message = collect->threads ? ((KurirStoreThread *) row)->newest : row;

              g_ptr_array_add (collect->messages, g_object_ref (message));
            }
          /* The folder is shorter than it was: nothing further down. */
          if (rows->len < limit)
            break;
        }
    }
  g_task_return_pointer (task, g_steal_pointer (&collect->messages), (GDestroyNotify) g_ptr_array_unref);
}

/* GListModel */

static GType
kurir_message_list_model_get_item_type (GListModel *model)
{
  return KURIR_TYPE_MESSAGE_ITEM;
}

static guint
kurir_message_list_model_get_n_items (GListModel *model)
{
  return KURIR_MESSAGE_LIST_MODEL (model)->items->len;
}

static gpointer
kurir_message_list_model_get_item (GListModel *model,
                                   guint       position)
{
  KurirMessageListModel *self = KURIR_MESSAGE_LIST_MODEL (model);
  KurirMessageItem *item;

  if (position >= self->items->len)
    return NULL;

  item = ensure_item (self, position);
  if (kurir_message_item_get_message (item) == NULL)
    request_page (self, position / KURIR_MESSAGE_LIST_PAGE_SIZE);
  return g_object_ref (item);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = kurir_message_list_model_get_item_type;
  iface->get_n_items = kurir_message_list_model_get_n_items;
  iface->get_item = kurir_message_list_model_get_item;
}

/* Overrides */

static void
kurir_message_list_model_get_property (GObject    *object,
                                       guint       prop_id,
                                       GValue     *value,
                                       GParamSpec *pspec)
{
  KurirMessageListModel *self = KURIR_MESSAGE_LIST_MODEL (object);

  switch (prop_id)
    {
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kurir_message_list_model_dispose (GObject *object)
{
  KurirMessageListModel *self = KURIR_MESSAGE_LIST_MODEL (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->store);
  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_clear_pointer (&self->pending_pages, g_hash_table_unref);
  g_queue_clear (&self->loaded_pages);

  G_OBJECT_CLASS (kurir_message_list_model_parent_class)->dispose (object);
}

static void
kurir_message_list_model_finalize (GObject *object)
{
  KurirMessageListModel *self = KURIR_MESSAGE_LIST_MODEL (object);

  g_free (self->account);
  g_free (self->folder);
  g_free (self->query);
  g_clear_error (&self->error);

  G_OBJECT_CLASS (kurir_message_list_model_parent_class)->finalize (object);
}

static void
item_unref (gpointer item)
{
  if (item != NULL)
    g_object_unref (item);
}

static void
kurir_message_list_model_class_init (KurirMessageListModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = kurir_message_list_model_get_property;
  object_class->dispose = kurir_message_list_model_dispose;
  object_class->finalize = kurir_message_list_model_finalize;

  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, TRUE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
kurir_message_list_model_init (KurirMessageListModel *self)
{
  self->cancellable = g_cancellable_new ();
  /* Rows not made yet are NULL. */
  self->items = g_ptr_array_new_with_free_func (item_unref);
  self->pending_pages = g_hash_table_new (NULL, NULL);
  g_queue_init (&self->loaded_pages);
  self->loading = TRUE;
}

/* Public API */

KurirMessageListModel *
kurir_message_list_model_new (KurirStore *store,
                              const char *account,
                              const char *folder)
{
  KurirMessageListModel *self;

  g_return_val_if_fail (KURIR_IS_STORE (store), NULL);

  self = g_object_new (KURIR_TYPE_MESSAGE_LIST_MODEL, NULL);
  self->store = g_object_ref (store);
  self->account = g_strdup (account);
  self->folder = g_strdup (folder);
  start_refresh (self);
  return self;
}

/* One row per conversation of the folder: the newest message of each,
 * with its thread's counts (kurir_message_item_get_thread()). */
KurirMessageListModel *
kurir_message_list_model_new_threads (KurirStore *store,
                                      const char *account,
                                      const char *folder)
{
  KurirMessageListModel *self;

  g_return_val_if_fail (KURIR_IS_STORE (store), NULL);

  self = g_object_new (KURIR_TYPE_MESSAGE_LIST_MODEL, NULL);
  self->store = g_object_ref (store);
  self->account = g_strdup (account);
  self->folder = g_strdup (folder);
  self->threads = TRUE;
  start_refresh (self);
  return self;
}

gboolean
kurir_message_list_model_get_threads (KurirMessageListModel *self)
{
  g_return_val_if_fail (KURIR_IS_MESSAGE_LIST_MODEL (self), FALSE);
  return self->threads;
}

KurirMessageListModel *
kurir_message_list_model_new_search (KurirStore *store,
                                     const char *query)
{
  KurirMessageListModel *self;

  g_return_val_if_fail (KURIR_IS_STORE (store), NULL);
  g_return_val_if_fail (query != NULL, NULL);

  self = g_object_new (KURIR_TYPE_MESSAGE_LIST_MODEL, NULL);
  self->store = g_object_ref (store);
  self->query = g_strdup (query);
  start_refresh (self);
  return self;
}

const char *
kurir_message_list_model_get_account (KurirMessageListModel *self)
{
  g_return_val_if_fail (KURIR_IS_MESSAGE_LIST_MODEL (self), NULL);
  return self->account;
}

const char *
kurir_message_list_model_get_folder (KurirMessageListModel *self)
{
  g_return_val_if_fail (KURIR_IS_MESSAGE_LIST_MODEL (self), NULL);
  return self->folder;
}

gboolean
kurir_message_list_model_get_loading (KurirMessageListModel *self)
{
  g_return_val_if_fail (KURIR_IS_MESSAGE_LIST_MODEL (self), FALSE);
  return self->loading || self->refreshing;
}

/* Returns: (nullable): why the last read failed */
const GError *
kurir_message_list_model_get_error (KurirMessageListModel *self)
{
  g_return_val_if_fail (KURIR_IS_MESSAGE_LIST_MODEL (self), NULL);
  return self->error;
}

void
kurir_message_list_model_refresh (KurirMessageListModel *self)
{
  g_return_if_fail (KURIR_IS_MESSAGE_LIST_MODEL (self));
  start_refresh (self);
}

guint
kurir_message_list_model_find (KurirMessageListModel *self,
                               gint64                 id)
{
  g_return_val_if_fail (KURIR_IS_MESSAGE_LIST_MODEL (self), G_MAXUINT);

  for (guint i = 0; i < self->items->len; i++)
    {
      KurirMessageItem *item = g_ptr_array_index (self->items, i);
      KurirMessage *message = item ? kurir_message_item_get_message (item) : NULL;

      if (message != NULL && kurir_message_get_id (message) == id)
        return i;
    }
  return G_MAXUINT;
}

guint
kurir_message_list_model_get_n_loaded (KurirMessageListModel *self)
{
  guint n = 0;

  g_return_val_if_fail (KURIR_IS_MESSAGE_LIST_MODEL (self), 0);

  for (guint i = 0; i < self->items->len; i++)
    {
      KurirMessageItem *item = g_ptr_array_index (self->items, i);

      if (item != NULL && kurir_message_item_get_message (item) != NULL)
        n++;
    }
  return n;
}

gboolean
kurir_message_list_model_all_loaded (KurirMessageListModel *self,
                                     GtkBitset             *positions)
{
  GtkBitsetIter iter;
  guint position;

  g_return_val_if_fail (KURIR_IS_MESSAGE_LIST_MODEL (self), FALSE);

  for (gboolean ok = gtk_bitset_iter_init_first (&iter, positions, &position); ok;
       ok = gtk_bitset_iter_next (&iter, &position))
    if (position < self->items->len && kurir_message_list_model_peek (self, position) == NULL)
      return FALSE;
  return TRUE;
}

void
kurir_message_list_model_get_messages_async (KurirMessageListModel *self,
                                             GtkBitset             *positions,
                                             GCancellable          *cancellable,
                                             GAsyncReadyCallback    callback,
                                             gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  Collect *collect;
  GtkBitsetIter iter;
  guint position;

  g_return_if_fail (KURIR_IS_MESSAGE_LIST_MODEL (self));
  g_return_if_fail (positions != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kurir_message_list_model_get_messages_async);
  collect = g_new0 (Collect, 1);
  collect->messages = g_ptr_array_new_with_free_func (g_object_unref);
  collect->ranges = g_array_new (FALSE, FALSE, sizeof (guint));
  g_task_set_task_data (task, collect, (GDestroyNotify) collect_free);

  /* The loaded rows now; the others as ranges for the store. */
  for (gboolean ok = gtk_bitset_iter_init_first (&iter, positions, &position); ok;
       ok = gtk_bitset_iter_next (&iter, &position))
    {
      KurirMessage *message;
      guint len = collect->ranges->len;

      if (position >= self->items->len)
        break;
      message = kurir_message_list_model_peek (self, position);
      if (message != NULL)
        g_ptr_array_add (collect->messages, g_object_ref (message));
      else if (len >= 2 &&
               g_array_index (collect->ranges, guint, len - 2) + g_array_index (collect->ranges, guint, len - 1) == position)
        g_array_index (collect->ranges, guint, len - 1)++;
      else
        {
          guint one = 1;

          g_array_append_val (collect->ranges, position);
          g_array_append_val (collect->ranges, one);
        }
    }

  if (collect->ranges->len == 0 || self->query != NULL)
    {
      g_task_return_pointer (task, g_steal_pointer (&collect->messages), (GDestroyNotify) g_ptr_array_unref);
      return;
    }
  collect->store = g_object_ref (self->store);
  collect->account = g_strdup (self->account);
  collect->folder = g_strdup (self->folder);
  collect->threads = self->threads;
  g_task_run_in_thread (task, collect_thread);
}

GPtrArray *
kurir_message_list_model_get_messages_finish (KurirMessageListModel  *self,
                                              GAsyncResult           *result,
                                              GError                **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Returns: (nullable) (transfer none) */
KurirMessage *
kurir_message_list_model_peek (KurirMessageListModel *self,
                               guint                  position)
{
  KurirMessageItem *item;

  g_return_val_if_fail (KURIR_IS_MESSAGE_LIST_MODEL (self), NULL);

  if (position >= self->items->len)
    return NULL;
  item = g_ptr_array_index (self->items, position);
  return item ? kurir_message_item_get_message (item) : NULL;
}
