/* kurir-window.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define KURIR_TYPE_WINDOW (kurir_window_get_type ())
G_DECLARE_FINAL_TYPE (KurirWindow, kurir_window, KURIR, WINDOW, AdwApplicationWindow)

KurirWindow *kurir_window_new                (GtkApplication *application);
const char  *kurir_window_get_visible_page   (KurirWindow    *self);
void         kurir_window_show_toast         (KurirWindow    *self,
                                              const char     *message);

G_END_DECLS
