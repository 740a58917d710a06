/* kurir-sidebar.h: "All Inboxes", then each account with its state and
 * its folders, with unread counts
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "kurir-mail-account.h"

G_BEGIN_DECLS

/* Where the INBOX of a removed account goes when its mail is kept. */
#define KURIR_SIDEBAR_KEPT_INBOX "Kept Inbox"

#define KURIR_TYPE_SIDEBAR (kurir_sidebar_get_type ())
G_DECLARE_FINAL_TYPE (KurirSidebar, kurir_sidebar, KURIR, SIDEBAR, GtkWidget)

GtkWidget  *kurir_sidebar_new             (void);
/* @accounts: (element-type KurirMailAccount); @folders: (element-type
 * KurirStoreFolder) of every account, as kurir_store_list_folders(). The
 * selection is kept when the folder still exists. */
void        kurir_sidebar_set_content     (KurirSidebar *self,
                                           GPtrArray    *accounts,
                                           GPtrArray    *folders);
/* account NULL and folder NULL: All Inboxes. Emits ::folder-selected. */
gboolean    kurir_sidebar_select          (KurirSidebar *self,
                                           const char   *account,
                                           const char   *folder);
/* The folder names of @account (for "Move to"). */
GStrv       kurir_sidebar_get_folders     (KurirSidebar *self,
                                           const char   *account);
/* The sidebar as text, for tests: "# ACCOUNT" headers, "> NAME" for the
 * kept mail of a removed account, then "Inbox 3" rows. */
char       *kurir_sidebar_describe        (KurirSidebar *self);
/* The folder's special use: its role, else what its name says for the
 * usual names ("Sent", "Trash", …), else NULL. */
const char *kurir_sidebar_folder_role     (const char   *name,
                                           const char   *role);
/* The name the sidebar shows for a folder (special folders translated). */
const char *kurir_sidebar_folder_title    (const char   *name,
                                           const char   *role);

/* Drag and drop of messages from the list onto a folder: the list offers
 * a string (kurir_sidebar_drag_payload()); a drop on a folder of an
 * account emits ::messages-dropped (account, folder, ids "ax"). */
#define KURIR_SIDEBAR_DRAG_PREFIX "kurir-messages:"
char       *kurir_sidebar_drag_payload    (const gint64 *ids,
                                           guint         n_ids);
/* What a drop of @payload on @account's @folder does; FALSE when it is
 * no list of messages. */
gboolean    kurir_sidebar_drop_messages   (KurirSidebar *self,
                                           const char   *account,
                                           const char   *folder,
                                           const char   *payload);

G_END_DECLS
