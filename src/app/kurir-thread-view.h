/* kurir-thread-view.h: the messages of one conversation, oldest first
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "kurir-store.h"

G_BEGIN_DECLS

#define KURIR_TYPE_THREAD_VIEW (kurir_thread_view_get_type ())
G_DECLARE_FINAL_TYPE (KurirThreadView, kurir_thread_view, KURIR, THREAD_VIEW, GtkWidget)

GtkWidget    *kurir_thread_view_new            (void);
void          kurir_thread_view_set_messages   (KurirThreadView *self,
                                                GPtrArray       *messages);
guint         kurir_thread_view_get_n_messages (KurirThreadView *self);
KurirMessage *kurir_thread_view_get_message    (KurirThreadView *self,
                                                guint            position);
void          kurir_thread_view_select         (KurirThreadView *self,
                                                guint            position);
KurirMessage *kurir_thread_view_get_selected   (KurirThreadView *self);

G_END_DECLS
