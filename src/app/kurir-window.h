/* kurir-window.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "kurir-message-list-model.h"
#include "kurir-reader.h"
#include "kurir-mail-account.h"
#include "kurir-sidebar.h"
#include "kurir-thread-view.h"

G_BEGIN_DECLS

#define KURIR_TYPE_WINDOW (kurir_window_get_type ())
G_DECLARE_FINAL_TYPE (KurirWindow, kurir_window, KURIR, WINDOW, AdwApplicationWindow)

KurirWindow *kurir_window_new                (GtkApplication *application);
/* "loading", "welcome", "accounts" (the mail view) or "error" */
const char  *kurir_window_get_visible_page   (KurirWindow    *self);
void         kurir_window_show_toast         (KurirWindow    *self,
                                              const char     *message);
/* Opens message @id of the store in a window of its own. */
void         kurir_window_open_message       (KurirWindow    *self,
                                              gint64          id);

/* What the window shows, for tests and the command line. */
KurirStore            *kurir_window_get_store         (KurirWindow *self);
KurirSidebar          *kurir_window_get_sidebar       (KurirWindow *self);
KurirReader           *kurir_window_get_reader        (KurirWindow *self);
/* The list shown: the folder's or the search's. */
KurirMessageListModel *kurir_window_get_message_model (KurirWindow *self);
GtkSelectionModel     *kurir_window_get_selection     (KurirWindow *self);
/* TRUE while accounts, folders or the list are being read. */
gboolean               kurir_window_get_busy          (KurirWindow *self);
/* Runs a search as if typed in the search bar ("" ends it). */
void                   kurir_window_search            (KurirWindow *self,
                                                       const char  *query);
/* The account named @name as the window shows it, or NULL. */
KurirMailAccount      *kurir_window_find_account      (KurirWindow *self,
                                                       const char  *name);

/* Reads the account files again (one added, changed or removed) and shows
 * them in this window; the store, the folder shown and the other windows
 * stay. */
void                   kurir_window_reload_accounts   (KurirWindow *self);

/* What dragging the row at @position offers the sidebar: the selected
 * messages when it is selected, else its own (NULL: none loaded). */
char                  *kurir_window_get_drag_payload  (KurirWindow *self,
                                                       guint        position);
KurirThreadView       *kurir_window_get_thread_view      (KurirWindow    *self);

G_END_DECLS
