/* kurir-message-window.h: one message in a window of its own
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "kurir-reader.h"

G_BEGIN_DECLS

#define KURIR_TYPE_MESSAGE_WINDOW (kurir_message_window_get_type ())
G_DECLARE_FINAL_TYPE (KurirMessageWindow, kurir_message_window, KURIR, MESSAGE_WINDOW, AdwApplicationWindow)

KurirMessageWindow *kurir_message_window_new        (GtkApplication     *application,
                                                     KurirStore         *store,
                                                     KurirMessage       *message);
KurirReader        *kurir_message_window_get_reader (KurirMessageWindow *self);

G_END_DECLS
