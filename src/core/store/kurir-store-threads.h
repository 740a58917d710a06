/* kurir-store-threads.h: the index grouped by conversation
 *
 * One row per thread (messages.thread_id) of a folder, the unified inbox
 * (account and folder NULL) or a folder name everywhere (account NULL),
 * newest conversation first, a page at a time. The order of the threads
 * (their ids only) is read lazily, newest messages first by the date
 * indexes, only as far as the pages asked for need, and kept until the
 * index changes; a page reads its own threads' rows by the thread index,
 * so no more than a page of summaries is ever loaded. The first page
 * costs a few hundred rows whatever the folder's size; the count reads
 * the whole order (ask for it after the first page). Counts and senders are those of the
 * thread's messages in that scope.
 *
 * Reads go through a read-only connection of their own to the store's
 * index (WAL: readers never wait for the writer), kept with the store.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "kurir-store.h"

G_BEGIN_DECLS

typedef struct
{
  gint64        thread_id;
  KurirMessage *newest;       /* the thread's newest message in the scope */
  guint         n_messages;
  guint         n_unread;
  char        **senders;      /* distinct From values, newest first */
} KurirStoreThread;

KurirStoreThread *kurir_store_thread_copy       (const KurirStoreThread *thread);
void              kurir_store_thread_free       (KurirStoreThread *thread);

/* Returns: (element-type KurirStoreThread) */
GPtrArray   *kurir_store_list_threads           (KurirStore          *store,
                                                 const char          *account,
                                                 const char          *folder,
                                                 guint                offset,
                                                 guint                limit,
                                                 GError             **error);
void         kurir_store_list_threads_async     (KurirStore          *store,
                                                 const char          *account,
                                                 const char          *folder,
                                                 guint                offset,
                                                 guint                limit,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
GPtrArray   *kurir_store_list_threads_finish    (KurirStore          *store,
                                                 GAsyncResult        *result,
                                                 GError             **error);
gint64       kurir_store_count_threads          (KurirStore          *store,
                                                 const char          *account,
                                                 const char          *folder,
                                                 GError             **error);
void         kurir_store_count_threads_async    (KurirStore          *store,
                                                 const char          *account,
                                                 const char          *folder,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
gint64       kurir_store_count_threads_finish   (KurirStore          *store,
                                                 GAsyncResult        *result,
                                                 GError             **error);
/* The messages of @thread_id in the scope, oldest first.
 * Returns: (element-type KurirMessage) */
GPtrArray   *kurir_store_get_thread_in          (KurirStore          *store,
                                                 gint64               thread_id,
                                                 const char          *account,
                                                 const char          *folder,
                                                 GError             **error);
void         kurir_store_get_thread_in_async    (KurirStore          *store,
                                                 gint64               thread_id,
                                                 const char          *account,
                                                 const char          *folder,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
GPtrArray   *kurir_store_get_thread_in_finish   (KurirStore          *store,
                                                 GAsyncResult        *result,
                                                 GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KurirStoreThread, kurir_store_thread_free)

G_END_DECLS
