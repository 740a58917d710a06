/* kurir-message-item.h: one row of the message list; its message arrives
 * when the list model has loaded the row's page
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "kurir-message.h"
#include "kurir-store-threads.h"

G_BEGIN_DECLS

/* In conversation mode the list's message carries its KurirStoreThread. */
#define KURIR_MESSAGE_ITEM_THREAD_KEY "kurir-store-thread"

#define KURIR_TYPE_MESSAGE_ITEM (kurir_message_item_get_type ())
G_DECLARE_FINAL_TYPE (KurirMessageItem, kurir_message_item, KURIR, MESSAGE_ITEM, GObject)

KurirMessageItem *kurir_message_item_new         (void);
KurirMessage     *kurir_message_item_get_message (KurirMessageItem *self);
void              kurir_message_item_set_message (KurirMessageItem *self,
                                                  KurirMessage     *message);
const KurirStoreThread *kurir_message_item_get_thread (KurirMessageItem *self);

G_END_DECLS
