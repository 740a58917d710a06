/* kurir-message-row.h: one row of the message list
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "kurir-message-item.h"

G_BEGIN_DECLS

#define KURIR_TYPE_MESSAGE_ROW (kurir_message_row_get_type ())
G_DECLARE_FINAL_TYPE (KurirMessageRow, kurir_message_row, KURIR, MESSAGE_ROW, GtkWidget)

GtkWidget        *kurir_message_row_new         (void);
KurirMessageItem *kurir_message_row_get_item    (KurirMessageRow *self);
void              kurir_message_row_set_item    (KurirMessageRow  *self,
                                                 KurirMessageItem *item);
/* @date (Unix time) as the list shows it next to @now: the time today,
 * the weekday within a week, else the date; in the user's locale. */
char             *kurir_message_row_format_date (gint64            date,
                                                 GDateTime        *now);
/* "Name" of "Name <addr>", or the address. */
char             *kurir_message_row_format_sender (const char     *from);

G_END_DECLS
