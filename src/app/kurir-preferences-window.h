/* kurir-preferences-window.h: the general preferences (GSettings)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define KURIR_TYPE_PREFERENCES_WINDOW (kurir_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (KurirPreferencesWindow, kurir_preferences_window, KURIR, PREFERENCES_WINDOW, AdwPreferencesWindow)

KurirPreferencesWindow *kurir_preferences_window_new (GtkWindow *parent);

G_END_DECLS
