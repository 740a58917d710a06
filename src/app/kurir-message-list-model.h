/* kurir-message-list-model.h: a GListModel of KurirMessageItem over the
 * store, loaded page by page as rows are asked for
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "kurir-store.h"
#include "kurir-message-item.h"

G_BEGIN_DECLS

#define KURIR_MESSAGE_LIST_PAGE_SIZE   200
#define KURIR_MESSAGE_LIST_MAX_PAGES    32   /* pages kept loaded; older ones are dropped */
#define KURIR_MESSAGE_LIST_SEARCH_MAX 1000   /* search results shown */

#define KURIR_TYPE_MESSAGE_LIST_MODEL (kurir_message_list_model_get_type ())
G_DECLARE_FINAL_TYPE (KurirMessageListModel, kurir_message_list_model, KURIR, MESSAGE_LIST_MODEL, GObject)

/* account and folder as kurir_store_list(): both NULL is the unified inbox. */
KurirMessageListModel *kurir_message_list_model_new            (KurirStore            *store,
                                                                const char            *account,
                                                                const char            *folder);
/* The store's search over every folder (kurir-store-query.h). */
KurirMessageListModel *kurir_message_list_model_new_threads    (KurirStore            *store,
                                                                const char            *account,
                                                                const char            *folder);
gboolean               kurir_message_list_model_get_threads    (KurirMessageListModel *self);
KurirMessageListModel *kurir_message_list_model_new_search     (KurirStore            *store,
                                                                const char            *query);
const char            *kurir_message_list_model_get_account    (KurirMessageListModel *self);
const char            *kurir_message_list_model_get_folder     (KurirMessageListModel *self);
gboolean               kurir_message_list_model_get_loading    (KurirMessageListModel *self);
const GError          *kurir_message_list_model_get_error      (KurirMessageListModel *self);
/* Reads the count and the loaded rows again and reports the difference
 * as items-changed at the right positions, so selection and scroll stay. */
void                   kurir_message_list_model_refresh        (KurirMessageListModel *self);
/* The position of message @id among the loaded rows, or G_MAXUINT. */
guint                  kurir_message_list_model_find           (KurirMessageListModel *self,
                                                                gint64                 id);
/* The message at @position if it is loaded, else NULL; loads nothing. */
KurirMessage          *kurir_message_list_model_peek           (KurirMessageListModel *self,
                                                                guint                  position);
/* The messages at @positions (a selection), loaded or not: the loaded
 * ones as they are, the others read from the store in a worker thread,
 * a range at a time, so "select all" acts on every message of the
 * folder, not only the pages in memory. In conversation mode, each
 * thread's newest message, as kurir_message_list_model_peek().
 * Returns: (element-type KurirMessage) */
void                   kurir_message_list_model_get_messages_async  (KurirMessageListModel *self,
                                                                     GtkBitset             *positions,
                                                                     GCancellable          *cancellable,
                                                                     GAsyncReadyCallback    callback,
                                                                     gpointer               user_data);
GPtrArray             *kurir_message_list_model_get_messages_finish (KurirMessageListModel *self,
                                                                     GAsyncResult          *result,
                                                                     GError               **error);
/* TRUE when every row of @positions is loaded (get_messages would read
 * nothing). */
gboolean               kurir_message_list_model_all_loaded     (KurirMessageListModel *self,
                                                                GtkBitset             *positions);
/* The number of rows whose message is in memory (for tests). */
guint                  kurir_message_list_model_get_n_loaded   (KurirMessageListModel *self);

G_END_DECLS
