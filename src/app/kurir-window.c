/* kurir-window.c: the main window
 *
 * With no account it shows the welcome page that leads to the setup
 * wizard; otherwise the accounts. Settings are read off the main loop.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-app"

#include "config.h"

#include <glib/gi18n.h>

#include "kurir-account.h"
#include "kurir-window.h"

struct _KurirWindow
{
  AdwApplicationWindow  parent_instance;

  GCancellable         *cancellable;
  GSettings            *settings;

  /* Template widgets */
  AdwToastOverlay      *toast_overlay;
  GtkStack             *stack;
  GtkListBox           *account_list;
  AdwStatusPage        *error_page;
};

G_DEFINE_FINAL_TYPE (KurirWindow, kurir_window, ADW_TYPE_APPLICATION_WINDOW)

/* Helpers */

static GtkWidget *
make_account_row (KurirAccount *account)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *subtitle = NULL;

  switch (kurir_account_get_protocol (account))
    {
    case KURIR_PROTOCOL_POP3:
      /* Translators: the account's email address and its POP3 server */
      subtitle = g_strdup_printf (_("%s · POP3 on %s"), kurir_account_get_email (account),
                                  kurir_account_get_host (account));
      break;
    case KURIR_PROTOCOL_IMAP:
      /* Translators: the account's email address and its IMAP server */
      subtitle = g_strdup_printf (_("%s · IMAP on %s"), kurir_account_get_email (account),
                                  kurir_account_get_host (account));
      break;
    default:
      /* Translators: the account's email address; its mail has no server */
      subtitle = g_strdup_printf (_("%s · on this computer only"), kurir_account_get_email (account));
      break;
    }
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), kurir_account_get_name (account));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row),
                             gtk_image_new_from_icon_name ("mail-unread-symbolic"));
  return row;
}

static void
show_accounts (KurirWindow *self,
               GPtrArray   *accounts)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->account_list))) != NULL)
    gtk_list_box_remove (self->account_list, child);

  for (guint i = 0; i < accounts->len; i++)
    gtk_list_box_append (self->account_list, make_account_row (g_ptr_array_index (accounts, i)));

  gtk_stack_set_visible_child_name (self->stack, accounts->len == 0 ? "welcome" : "accounts");
}

/* Callbacks */

static void
accounts_loaded_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(KurirWindow) self = user_data;
  g_autoptr(GPtrArray) accounts = NULL;
  g_autoptr(GError) error = NULL;

  accounts = kurir_account_load_all_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (accounts == NULL)
    {
      adw_status_page_set_description (self->error_page, error->message);
      gtk_stack_set_visible_child_name (self->stack, "error");
      return;
    }

  show_accounts (self, accounts);
}

/* Overrides */

static gboolean
kurir_window_close_request (GtkWindow *window)
{
  KurirWindow *self = KURIR_WINDOW (window);
  int width, height;

  if (self->settings != NULL)
    {
      gtk_window_get_default_size (window, &width, &height);
      g_settings_delay (self->settings);
      g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));
      if (!gtk_window_is_maximized (window) && width > 0 && height > 0)
        {
          g_settings_set_int (self->settings, "window-width", width);
          g_settings_set_int (self->settings, "window-height", height);
        }
      g_settings_apply (self->settings);
    }

  return GTK_WINDOW_CLASS (kurir_window_parent_class)->close_request (window);
}

static void
kurir_window_dispose (GObject *object)
{
  KurirWindow *self = KURIR_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (kurir_window_parent_class)->dispose (object);
}

static void
kurir_window_constructed (GObject *object)
{
  KurirWindow *self = KURIR_WINDOW (object);

  G_OBJECT_CLASS (kurir_window_parent_class)->constructed (object);

  kurir_account_load_all_async (self->cancellable, accounts_loaded_cb, g_object_ref (self));
}

static void
kurir_window_class_init (KurirWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  window_class->close_request = kurir_window_close_request;
  object_class->dispose = kurir_window_dispose;
  object_class->constructed = kurir_window_constructed;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/kurir/Kurir/kurir-window.ui");
  gtk_widget_class_bind_template_child (widget_class, KurirWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, KurirWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, KurirWindow, account_list);
  gtk_widget_class_bind_template_child (widget_class, KurirWindow, error_page);
}

static void
kurir_window_init (KurirWindow *self)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  gtk_stack_set_visible_child_name (self->stack, "loading");

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, APP_ID, TRUE);
  if (schema != NULL)
    {
      self->settings = g_settings_new (APP_ID);
      gtk_window_set_default_size (GTK_WINDOW (self),
                                   g_settings_get_int (self->settings, "window-width"),
                                   g_settings_get_int (self->settings, "window-height"));
      if (g_settings_get_boolean (self->settings, "window-maximized"))
        gtk_window_maximize (GTK_WINDOW (self));
    }
  else
    g_warning ("The settings schema %s is not installed; window size will not be kept", APP_ID);
}

/* Public API */

KurirWindow *
kurir_window_new (GtkApplication *application)
{
  return g_object_new (KURIR_TYPE_WINDOW, "application", application, NULL);
}

/**
 * kurir_window_get_visible_page:
 *
 * Returns: the name of the page shown: "loading", "welcome", "accounts"
 *   or "error"
 */
const char *
kurir_window_get_visible_page (KurirWindow *self)
{
  g_return_val_if_fail (KURIR_IS_WINDOW (self), NULL);
  return gtk_stack_get_visible_child_name (self->stack);
}

void
kurir_window_show_toast (KurirWindow *self,
                         const char  *message)
{
  g_return_if_fail (KURIR_IS_WINDOW (self));
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
}
