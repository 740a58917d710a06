/* kurir-sidebar.c: the folder list
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-app"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "kurir-sidebar.h"

struct _KurirSidebar
{
  GtkWidget   parent_instance;

  GtkListBox *list;
  gboolean    rebuilding;
};

enum {
  FOLDER_SELECTED,
  MESSAGES_DROPPED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (KurirSidebar, kurir_sidebar, GTK_TYPE_WIDGET)

static const struct {
  const char *role;
  const char *icon;
  const char *title;
} special_folders[] = {
  { "inbox", "kurir-inbox-symbolic", N_("Inbox") },
  { "drafts", "document-edit-symbolic", N_("Drafts") },
  { "outbox", "mail-outbox-symbolic", N_("Outbox") },
  { "sent", "mail-send-symbolic", N_("Sent") },
  { "archive", "folder-documents-symbolic", N_("Archive") },
  { "junk", "mail-mark-junk-symbolic", N_("Junk") },
  { "trash", "user-trash-symbolic", N_("Trash") },
};

/* Helpers */

static int
special_index (const KurirStoreFolder *folder)
{
  const char *role = kurir_sidebar_folder_role (folder->name, folder->role);

  for (guint i = 0; role != NULL && i < G_N_ELEMENTS (special_folders); i++)
    if (g_ascii_strcasecmp (role, special_folders[i].role) == 0)
      return (int) i;
  return -1;
}

static int
compare_folders (gconstpointer a,
                 gconstpointer b)
{
  const KurirStoreFolder *fa = *(KurirStoreFolder **) a;
  const KurirStoreFolder *fb = *(KurirStoreFolder **) b;
  int sa = special_index (fa), sb = special_index (fb);

  if (sa != sb)
    return (sa < 0 ? 100 : sa) - (sb < 0 ? 100 : sb);
  return g_utf8_collate (fa->name, fb->name);
}

static int
compare_kept (gconstpointer a,
              gconstpointer b)
{
  int by_account = g_strcmp0 ((*(KurirStoreFolder **) a)->account, (*(KurirStoreFolder **) b)->account);

  return by_account != 0 ? by_account : compare_folders (a, b);
}

static GtkWidget *
make_count_label (guint unread)
{
  g_autofree char *text = g_strdup_printf ("%u", unread);
  GtkWidget *label = gtk_label_new (text);

  gtk_widget_set_valign (label, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (label, "unread-count");
  gtk_widget_add_css_class (label, "numeric");
  gtk_widget_set_visible (label, unread > 0);
  return label;
}

static GtkWidget *
make_folder_row (const char *account,
                 const char *folder,
                 const char *icon,
                 const char *title,
                 guint       unread)
{
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *label = gtk_label_new (title);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_box_append (GTK_BOX (box), gtk_image_new_from_icon_name (icon));
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), make_count_label (unread));
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  g_object_set_data_full (G_OBJECT (row), "kurir-account", g_strdup (account), g_free);
  g_object_set_data_full (G_OBJECT (row), "kurir-folder", g_strdup (folder), g_free);
  g_object_set_data (G_OBJECT (row), "kurir-is-folder", GINT_TO_POINTER (1));
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
  return row;
}

static void update_state (GtkWidget *header);

static void
account_state_changed_cb (KurirMailAccount *account,
                          GParamSpec       *pspec,
                          GtkWidget        *header)
{
  update_state (header);
}

/* The account's name, then its state: a spinner while it syncs, an icon
 * with the reason when offline, the error in words with a retry. */
static void
update_state (GtkWidget *header)
{
  KurirMailAccount *account = g_object_get_data (G_OBJECT (header), "kurir-mail-account");
  GtkWidget *spinner = g_object_get_data (G_OBJECT (header), "kurir-spinner");
  GtkWidget *state_icon = g_object_get_data (G_OBJECT (header), "kurir-state-icon");
  GtkWidget *error_box = g_object_get_data (G_OBJECT (header), "kurir-error-box");
  GtkLabel *error_label = g_object_get_data (G_OBJECT (header), "kurir-error-label");
  GtkWidget *retry = g_object_get_data (G_OBJECT (header), "kurir-retry");
  KurirMailAccountState state = kurir_mail_account_get_state (account);
  const char *message = kurir_mail_account_get_message (account);

  gtk_spinner_set_spinning (GTK_SPINNER (spinner), state == KURIR_MAIL_ACCOUNT_SYNCING);
  gtk_widget_set_visible (spinner, state == KURIR_MAIL_ACCOUNT_SYNCING);
  gtk_widget_set_visible (state_icon, state == KURIR_MAIL_ACCOUNT_OFFLINE);
  gtk_image_set_from_icon_name (GTK_IMAGE (state_icon), "network-offline-symbolic");
  gtk_widget_set_tooltip_text (state_icon, message);
  gtk_widget_set_tooltip_text (spinner, state == KURIR_MAIL_ACCOUNT_SYNCING ? _("Checking for mail…") : NULL);
  gtk_widget_set_visible (error_box, message != NULL && state != KURIR_MAIL_ACCOUNT_IDLE &&
                                     state != KURIR_MAIL_ACCOUNT_SYNCING);
  gtk_widget_set_visible (retry, state == KURIR_MAIL_ACCOUNT_ERROR || state == KURIR_MAIL_ACCOUNT_OFFLINE);
  gtk_label_set_text (error_label, message ? message : "");
  /* An error in red; the note of an account this version cannot sync, dim. */
  if (state == KURIR_MAIL_ACCOUNT_ERROR)
    {
      gtk_widget_add_css_class (GTK_WIDGET (error_label), "error");
      gtk_widget_remove_css_class (GTK_WIDGET (error_label), "dim-label");
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (error_label), "error");
      gtk_widget_add_css_class (GTK_WIDGET (error_label), "dim-label");
    }
}

/* The account's settings and its removal. */
static GtkWidget *
make_account_menu (const char *name)
{
  g_autoptr(GMenu) menu = g_menu_new ();
  g_autoptr(GMenuItem) settings = g_menu_item_new (_("Account _Settings"), NULL);
  g_autoptr(GMenuItem) remove = g_menu_item_new (_("_Remove Account…"), NULL);
  GtkWidget *button = gtk_menu_button_new ();
  g_autofree char *tooltip = NULL;

  g_menu_item_set_action_and_target (settings, "app.account-preferences", "s", name);
  g_menu_item_set_action_and_target (remove, "win.remove-account", "s", name);
  g_menu_append_item (menu, settings);
  g_menu_append_item (menu, remove);
  gtk_menu_button_set_menu_model (GTK_MENU_BUTTON (button), G_MENU_MODEL (menu));
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (button), "view-more-symbolic");
  gtk_menu_button_set_has_frame (GTK_MENU_BUTTON (button), FALSE);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  /* Translators: %s is the account's name */
  tooltip = g_strdup_printf (_("Account “%s”"), name);
  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip, -1);
  gtk_widget_add_css_class (button, "account-menu");
  return button;
}

static GtkWidget *
make_account_header (KurirMailAccount *account)
{
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *outer = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *label = gtk_label_new (kurir_mail_account_get_name (account));
  GtkWidget *spinner = gtk_spinner_new ();
  GtkWidget *state_icon = gtk_image_new ();
  GtkWidget *error_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *error_label = gtk_label_new (NULL);
  GtkWidget *retry = gtk_button_new_with_mnemonic (_("_Retry"));

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_widget_add_css_class (label, "heading");
  gtk_widget_add_css_class (label, "dim-label");
  gtk_widget_add_css_class (state_icon, "dim-label");
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), spinner);
  gtk_box_append (GTK_BOX (box), state_icon);
  gtk_box_append (GTK_BOX (box), make_account_menu (kurir_mail_account_get_name (account)));
  gtk_box_append (GTK_BOX (outer), box);

  gtk_label_set_xalign (GTK_LABEL (error_label), 0);
  gtk_label_set_wrap (GTK_LABEL (error_label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (error_label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (error_label), TRUE);
  gtk_widget_add_css_class (error_label, "caption");
  gtk_widget_set_halign (retry, GTK_ALIGN_START);
  gtk_widget_add_css_class (retry, "pill");
  gtk_widget_add_css_class (retry, "small");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (retry), "win.sync-account");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (retry), "s", kurir_mail_account_get_name (account));
  gtk_box_append (GTK_BOX (error_box), error_label);
  gtk_box_append (GTK_BOX (error_box), retry);
  gtk_box_append (GTK_BOX (outer), error_box);

  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), outer);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_list_box_row_set_selectable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_widget_add_css_class (row, "account-header");

  g_object_set_data_full (G_OBJECT (row), "kurir-mail-account", g_object_ref (account), g_object_unref);
  g_object_set_data (G_OBJECT (row), "kurir-spinner", spinner);
  g_object_set_data (G_OBJECT (row), "kurir-state-icon", state_icon);
  g_object_set_data (G_OBJECT (row), "kurir-error-box", error_box);
  g_object_set_data (G_OBJECT (row), "kurir-error-label", error_label);
  g_object_set_data (G_OBJECT (row), "kurir-retry", retry);
  g_signal_connect_object (account, "notify::state", G_CALLBACK (account_state_changed_cb), row, 0);
  g_signal_connect_object (account, "notify::message", G_CALLBACK (account_state_changed_cb), row, 0);
  update_state (row);
  return row;
}

static gboolean
has_account (GPtrArray  *accounts,
             const char *name)
{
  for (guint a = 0; a < accounts->len; a++)
    if (g_strcmp0 (kurir_mail_account_get_name (g_ptr_array_index (accounts, a)), name) == 0)
      return TRUE;
  return FALSE;
}

static GtkWidget *
make_kept_header (const char *name)
{
  /* Translators: %s is the name of an account that was removed */
  g_autofree char *title = g_strdup_printf (_("Local mail of %s"), name);
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *label = gtk_label_new (title);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (label, "heading");
  gtk_widget_add_css_class (label, "dim-label");
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), label);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_list_box_row_set_selectable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_widget_add_css_class (row, "account-header");
  g_object_set_data_full (G_OBJECT (row), "kurir-kept-account", g_strdup (name), g_free);
  return row;
}

/* Mail kept in the store from removed accounts: readable, under a header
 * of its own, never in All Inboxes (its INBOX was emptied into
 * KURIR_SIDEBAR_KEPT_INBOX when the account was removed). */
static void
append_kept_mail (KurirSidebar *self,
                  GPtrArray    *accounts,
                  GPtrArray    *folders)
{
  g_autoptr(GPtrArray) kept = g_ptr_array_new ();

  for (guint i = 0; i < folders->len; i++)
    {
      KurirStoreFolder *folder = g_ptr_array_index (folders, i);

      if (!has_account (accounts, folder->account) && g_strcmp0 (folder->role, "outbox") != 0 &&
          (folder->total > 0 || g_strcmp0 (folder->name, KURIR_STORE_INBOX) != 0))
        g_ptr_array_add (kept, folder);
    }
  g_ptr_array_sort (kept, compare_kept);
  for (guint i = 0; i < kept->len; i++)
    {
      KurirStoreFolder *folder = g_ptr_array_index (kept, i);
      int special = special_index (folder);

      if (i == 0 || g_strcmp0 (folder->account, ((KurirStoreFolder *) g_ptr_array_index (kept, i - 1))->account) != 0)
        gtk_list_box_append (self->list, make_kept_header (folder->account));
      gtk_list_box_append (self->list,
                           make_folder_row (folder->account, folder->name,
                                            special >= 0 ? special_folders[special].icon : "folder-symbolic",
                                            kurir_sidebar_folder_title (folder->name, folder->role),
                                            folder->unread));
    }
}

static gboolean
row_matches (GtkListBoxRow *row,
             const char    *account,
             const char    *folder)
{
  return g_object_get_data (G_OBJECT (row), "kurir-is-folder") != NULL &&
         g_strcmp0 (g_object_get_data (G_OBJECT (row), "kurir-account"), account) == 0 &&
         g_strcmp0 (g_object_get_data (G_OBJECT (row), "kurir-folder"), folder) == 0;
}

/* Callbacks */

static void
row_selected_cb (GtkListBox    *list,
                 GtkListBoxRow *row,
                 KurirSidebar  *self)
{
  if (row == NULL || self->rebuilding)
    return;
  g_signal_emit (self, signals[FOLDER_SELECTED], 0,
                 g_object_get_data (G_OBJECT (row), "kurir-account"),
                 g_object_get_data (G_OBJECT (row), "kurir-folder"));
}

/* Drag and drop: messages dropped on a folder */

/* The folder row under @y that takes a drop, or NULL. */
static GtkListBoxRow *
drop_row_at (KurirSidebar *self,
             double        y)
{
  GtkListBoxRow *row = gtk_list_box_get_row_at_y (self->list, (int) y);

  if (row == NULL || g_object_get_data (G_OBJECT (row), "kurir-is-folder") == NULL ||
      g_object_get_data (G_OBJECT (row), "kurir-account") == NULL)
    return NULL;
  return row;
}

static GdkDragAction
drop_motion_cb (GtkDropTarget *target,
                double         x,
                double         y,
                KurirSidebar  *self)
{
  GtkListBoxRow *row = drop_row_at (self, y);

  if (row == NULL)
    {
      gtk_list_box_drag_unhighlight_row (self->list);
      return 0;
    }
  gtk_list_box_drag_highlight_row (self->list, row);
  return GDK_ACTION_MOVE;
}

static void
drop_leave_cb (GtkDropTarget *target,
               KurirSidebar  *self)
{
  gtk_list_box_drag_unhighlight_row (self->list);
}

static gboolean
drop_cb (GtkDropTarget *target,
         const GValue  *value,
         double         x,
         double         y,
         KurirSidebar  *self)
{
  GtkListBoxRow *row = drop_row_at (self, y);

  gtk_list_box_drag_unhighlight_row (self->list);
  if (row == NULL || !G_VALUE_HOLDS_STRING (value))
    return FALSE;
  return kurir_sidebar_drop_messages (self, g_object_get_data (G_OBJECT (row), "kurir-account"),
                                      g_object_get_data (G_OBJECT (row), "kurir-folder"),
                                      g_value_get_string (value));
}

/* Overrides */

static void
kurir_sidebar_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), KURIR_TYPE_SIDEBAR);
  {
    GtkWidget *child;

    /* The template's root widget is not a bound child: unparent it too. */
    while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
      gtk_widget_unparent (child);
  }
  G_OBJECT_CLASS (kurir_sidebar_parent_class)->dispose (object);
}

static void
kurir_sidebar_class_init (KurirSidebarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kurir_sidebar_dispose;

  /* ::folder-selected (account, folder): both NULL for All Inboxes. */
  signals[FOLDER_SELECTED] = g_signal_new ("folder-selected", G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                           G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  /* ::messages-dropped (account, folder, ids: GVariant "ax"): messages of
   * the list dropped on @account's @folder. */
  signals[MESSAGES_DROPPED] = g_signal_new ("messages-dropped", G_TYPE_FROM_CLASS (klass),
                                            G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                            G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_VARIANT);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/kurir/Kurir/kurir-sidebar.ui");
  gtk_widget_class_bind_template_child (widget_class, KurirSidebar, list);
}

static void
kurir_sidebar_init (KurirSidebar *self)
{
  GtkDropTarget *target;

  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect (self->list, "row-selected", G_CALLBACK (row_selected_cb), self);

  target = gtk_drop_target_new (G_TYPE_STRING, GDK_ACTION_MOVE);
  g_signal_connect (target, "motion", G_CALLBACK (drop_motion_cb), self);
  g_signal_connect (target, "leave", G_CALLBACK (drop_leave_cb), self);
  g_signal_connect (target, "drop", G_CALLBACK (drop_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self->list), GTK_EVENT_CONTROLLER (target));
}

/* Public API */

GtkWidget *
kurir_sidebar_new (void)
{
  return g_object_new (KURIR_TYPE_SIDEBAR, NULL);
}

const char *
kurir_sidebar_folder_role (const char *name,
                           const char *role)
{
  /* Folders made without a role (local and POP3 accounts): the usual names. */
  static const char *names[][2] = {
    { "Sent", "sent" }, { "Sent Items", "sent" }, { "Sent Messages", "sent" },
    { "Drafts", "drafts" }, { "Trash", "trash" }, { "Deleted Items", "trash" },
    { "Junk", "junk" }, { "Spam", "junk" }, { "Archive", "archive" },
  };

  if (g_strcmp0 (name, KURIR_STORE_INBOX) == 0)
    return "inbox";
  if (role != NULL && *role != '\0')
    return role;
  for (guint i = 0; name != NULL && i < G_N_ELEMENTS (names); i++)
    if (g_ascii_strcasecmp (name, names[i][0]) == 0)
      return names[i][1];
  return NULL;
}

const char *
kurir_sidebar_folder_title (const char *name,
                            const char *role)
{
  role = kurir_sidebar_folder_role (name, role);
  if (g_strcmp0 (role, "inbox") == 0)
    return _("Inbox");
  for (guint i = 0; role != NULL && i < G_N_ELEMENTS (special_folders); i++)
    if (g_ascii_strcasecmp (role, special_folders[i].role) == 0)
      return _(special_folders[i].title);
  return name;
}

void
kurir_sidebar_set_content (KurirSidebar *self,
                           GPtrArray    *accounts,
                           GPtrArray    *folders)
{
  GtkListBoxRow *selected;
  g_autofree char *selected_account = NULL;
  g_autofree char *selected_folder = NULL;
  gboolean had_selection;
  GtkWidget *child;
  guint all_unread = 0;
  GtkWidget *all_row;

  g_return_if_fail (KURIR_IS_SIDEBAR (self));

  selected = gtk_list_box_get_selected_row (self->list);
  had_selection = selected != NULL;
  if (selected != NULL)
    {
      selected_account = g_strdup (g_object_get_data (G_OBJECT (selected), "kurir-account"));
      selected_folder = g_strdup (g_object_get_data (G_OBJECT (selected), "kurir-folder"));
    }

  self->rebuilding = TRUE;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list))) != NULL)
    gtk_list_box_remove (self->list, child);

  for (guint i = 0; i < folders->len; i++)
    {
      KurirStoreFolder *folder = g_ptr_array_index (folders, i);
      if (g_strcmp0 (folder->name, KURIR_STORE_INBOX) == 0 && has_account (accounts, folder->account))
        all_unread += folder->unread;
    }
  all_row = make_folder_row (NULL, NULL, "kurir-all-inboxes-symbolic", _("All Inboxes"), all_unread);
  gtk_list_box_append (self->list, all_row);

  for (guint a = 0; a < accounts->len; a++)
    {
      KurirMailAccount *account = g_ptr_array_index (accounts, a);
      const char *name = kurir_mail_account_get_name (account);
      g_autoptr(GPtrArray) mine = g_ptr_array_new ();
      gboolean has_inbox = FALSE;

      gtk_list_box_append (self->list, make_account_header (account));

      for (guint i = 0; i < folders->len; i++)
        {
          KurirStoreFolder *folder = g_ptr_array_index (folders, i);
          /* The Outbox shows only while something waits in it. */
          if (g_strcmp0 (folder->role, "outbox") == 0 && folder->total == 0)
            continue;
          if (g_strcmp0 (folder->account, name) == 0)
            {
              g_ptr_array_add (mine, folder);
              has_inbox |= g_strcmp0 (folder->name, KURIR_STORE_INBOX) == 0;
            }
        }
      g_ptr_array_sort (mine, compare_folders);

      /* The INBOX exists for every account, even before mail arrives. */
      if (!has_inbox)
        gtk_list_box_append (self->list, make_folder_row (name, KURIR_STORE_INBOX, "kurir-inbox-symbolic",
                                                          _("Inbox"), 0));
      for (guint i = 0; i < mine->len; i++)
        {
          KurirStoreFolder *folder = g_ptr_array_index (mine, i);
          int special = special_index (folder);

          gtk_list_box_append (self->list,
                               make_folder_row (name, folder->name,
                                                special >= 0 ? special_folders[special].icon : "folder-symbolic",
                                                kurir_sidebar_folder_title (folder->name, folder->role),
                                                folder->unread));
        }
    }

  append_kept_mail (self, accounts, folders);

  /* The same folder again, else All Inboxes. */
  selected = NULL;
  for (child = gtk_widget_get_first_child (GTK_WIDGET (self->list)); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_LIST_BOX_ROW (child) && row_matches (GTK_LIST_BOX_ROW (child), selected_account, selected_folder))
      selected = GTK_LIST_BOX_ROW (child);
  gtk_list_box_select_row (self->list, selected ? selected : GTK_LIST_BOX_ROW (all_row));
  self->rebuilding = FALSE;

  if (!had_selection || selected == NULL)
    row_selected_cb (self->list, GTK_LIST_BOX_ROW (all_row), self);
}

gboolean
kurir_sidebar_select (KurirSidebar *self,
                      const char   *account,
                      const char   *folder)
{
  g_return_val_if_fail (KURIR_IS_SIDEBAR (self), FALSE);

  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->list)); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_LIST_BOX_ROW (child) && row_matches (GTK_LIST_BOX_ROW (child), account, folder))
        {
          if (gtk_list_box_get_selected_row (self->list) == GTK_LIST_BOX_ROW (child))
            row_selected_cb (self->list, GTK_LIST_BOX_ROW (child), self);
          else
            gtk_list_box_select_row (self->list, GTK_LIST_BOX_ROW (child));
          return TRUE;
        }
    }
  return FALSE;
}

GStrv
kurir_sidebar_get_folders (KurirSidebar *self,
                           const char   *account)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (KURIR_IS_SIDEBAR (self), NULL);

  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->list)); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (g_object_get_data (G_OBJECT (child), "kurir-is-folder") != NULL &&
        g_object_get_data (G_OBJECT (child), "kurir-folder") != NULL &&
        g_strcmp0 (g_object_get_data (G_OBJECT (child), "kurir-account"), account) == 0)
      g_strv_builder_add (builder, g_object_get_data (G_OBJECT (child), "kurir-folder"));
  return g_strv_builder_end (builder);
}

/* One line per row: "All Inboxes 3", "# Account", "Inbox 2", … */
char *
kurir_sidebar_describe (KurirSidebar *self)
{
  GString *text = g_string_new (NULL);

  g_return_val_if_fail (KURIR_IS_SIDEBAR (self), NULL);

  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->list)); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *box = gtk_list_box_row_get_child (GTK_LIST_BOX_ROW (child));

      if (g_object_get_data (G_OBJECT (child), "kurir-mail-account") != NULL)
        {
          g_string_append_printf (text, "# %s\n",
                                  kurir_mail_account_get_name (g_object_get_data (G_OBJECT (child), "kurir-mail-account")));
          continue;
        }
      if (g_object_get_data (G_OBJECT (child), "kurir-kept-account") != NULL)
        {
          g_string_append_printf (text, "> %s\n", (char *) g_object_get_data (G_OBJECT (child), "kurir-kept-account"));
          continue;
        }
      {
        GtkWidget *label = gtk_widget_get_next_sibling (gtk_widget_get_first_child (box));
        GtkWidget *count = gtk_widget_get_next_sibling (label);

        g_string_append (text, gtk_label_get_text (GTK_LABEL (label)));
        if (gtk_widget_get_visible (count))
          g_string_append_printf (text, " %s", gtk_label_get_text (GTK_LABEL (count)));
        g_string_append_c (text, '\n');
      }
    }
  return g_string_free (text, FALSE);
}

char *
kurir_sidebar_drag_payload (const gint64 *ids,
                            guint         n_ids)
{
  GString *text = g_string_new (KURIR_SIDEBAR_DRAG_PREFIX);

  for (guint i = 0; i < n_ids; i++)
    g_string_append_printf (text, "%s%" G_GINT64_FORMAT, i > 0 ? "," : "", ids[i]);
  return g_string_free (text, FALSE);
}

gboolean
kurir_sidebar_drop_messages (KurirSidebar *self,
                             const char   *account,
                             const char   *folder,
                             const char   *payload)
{
  g_auto(GStrv) parts = NULL;
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("ax"));
  guint n = 0;

  g_return_val_if_fail (KURIR_IS_SIDEBAR (self), FALSE);

  /* Only what our list offers: other text dropped here is no message. */
  if (account == NULL || folder == NULL || payload == NULL ||
      !g_str_has_prefix (payload, KURIR_SIDEBAR_DRAG_PREFIX))
    return FALSE;
  parts = g_strsplit (payload + strlen (KURIR_SIDEBAR_DRAG_PREFIX), ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      gint64 id;

      if (!g_ascii_string_to_signed (parts[i], 10, 1, G_MAXINT64, &id, NULL))
        return FALSE;
      g_variant_builder_add (&builder, "x", id);
      n++;
    }
  if (n == 0)
    return FALSE;
  g_signal_emit (self, signals[MESSAGES_DROPPED], 0, account, folder, g_variant_builder_end (&builder));
  return TRUE;
}
