/* kurir-application.c: the single-instance application
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-app"

#include "config.h"

#include <glib/gi18n.h>

#include "kurir-application.h"
#include "kurir-account-preferences.h"
#include "kurir-setup-window.h"
#include "kurir-window.h"

struct _KurirApplication
{
  AdwApplication parent_instance;
};

G_DEFINE_FINAL_TYPE (KurirApplication, kurir_application, ADW_TYPE_APPLICATION)

/* Helpers */

static KurirWindow *
ensure_window (KurirApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window == NULL)
    window = GTK_WINDOW (kurir_window_new (GTK_APPLICATION (self)));
  return KURIR_WINDOW (window);
}

static gboolean
start_in_background (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = source ? g_settings_schema_source_lookup (source, APP_ID, TRUE) : NULL;
  g_autoptr(GSettings) settings = NULL;

  if (schema == NULL || !g_settings_schema_has_key (schema, "start-in-background"))
    return FALSE;
  settings = g_settings_new (APP_ID);
  return g_settings_get_boolean (settings, "start-in-background");
}

/* Callbacks */

static void
quit_activated_cb (GSimpleAction *action,
                   GVariant      *parameter,
                   gpointer       user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

static void
about_activated_cb (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  KurirApplication *self = user_data;
  const char *developers[] = { "The Kurir Developers", NULL };
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", gtk_application_get_active_window (GTK_APPLICATION (self)),
                        "application-name", _("Kurir"),
                        "application-icon", APP_ID,
                        "developer-name", _("The Kurir Developers"),
                        "version", PACKAGE_VERSION,
                        "website", PACKAGE_WEBSITE,
                        "issue-url", PACKAGE_WEBSITE "/issues",
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "copyright", "© 2026 The Kurir Developers",
                        "developers", developers,
                        /* Translators: put your names here, one per line */
                        "translator-credits", _("translator-credits"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

/* Help: the Mallard guide in help/C, shown by Yelp as help:kurir. Where
 * no help browser is installed, say so and offer the guide online. */
#define HELP_ONLINE_URL PACKAGE_WEBSITE "/tree/main/help/C"

static void
help_online_response_cb (AdwMessageDialog *dialog,
                         const char       *response,
                         gpointer          user_data)
{
  if (g_strcmp0 (response, "online") == 0)
    gtk_show_uri (gtk_window_get_transient_for (GTK_WINDOW (dialog)), HELP_ONLINE_URL,
                  GDK_CURRENT_TIME);
}

static void
help_shown_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GtkWindow *parent = GTK_WINDOW (source);
  g_autoptr(GError) error = NULL;
  GtkWidget *dialog;

  if (gtk_show_uri_full_finish (parent, result, &error))
    return;
  g_debug ("help:kurir cannot be shown: %s", error->message);
  dialog = adw_message_dialog_new (parent, _("The Guide Cannot Be Shown"), NULL);
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                  _("Kurir’s guide opens in the help browser, Yelp, which is not "
                                    "installed. Install the “yelp” package, or read the guide online."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "close", _("_Close"),
                                    "online", _("Read _Online"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "online",
                                              ADW_RESPONSE_SUGGESTED);
  g_signal_connect (dialog, "response", G_CALLBACK (help_online_response_cb), NULL);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
help_activated_cb (GSimpleAction *action,
                   GVariant      *parameter,
                   gpointer       user_data)
{
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (user_data));

  if (parent == NULL)
    parent = GTK_WINDOW (ensure_window (KURIR_APPLICATION (user_data)));
  gtk_show_uri_full (parent, "help:kurir", GDK_CURRENT_TIME, NULL, help_shown_cb, NULL);
}

/* The main window reads the accounts again, the new one with them. */
static void
account_added_cb (KurirSetupWindow *setup,
                  KurirAccount     *account,
                  gpointer          user_data)
{
  KurirApplication *self = user_data;
  GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (setup));
  KurirWindow *window;
  g_autofree char *text = g_strdup_printf (_("Account “%s” added"), kurir_account_get_name (account));

  window = parent != NULL && KURIR_IS_WINDOW (parent) ? KURIR_WINDOW (parent) : ensure_window (self);
  kurir_window_reload_accounts (window);
  gtk_window_present (GTK_WINDOW (window));
  kurir_window_show_toast (window, text);
}

static void
account_saved_cb (KurirAccountPreferences *preferences,
                  KurirAccount            *account,
                  gpointer                 user_data)
{
  GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (preferences));

  if (parent != NULL && KURIR_IS_WINDOW (parent))
    kurir_window_reload_accounts (KURIR_WINDOW (parent));
}

/* app.account-preferences("NAME"): that account's settings. */
static void
account_preferences_activated_cb (GSimpleAction *action,
                                  GVariant      *parameter,
                                  gpointer       user_data)
{
  KurirApplication *self = KURIR_APPLICATION (user_data);
  KurirWindow *window = ensure_window (self);
  g_autoptr(KurirAccount) account = NULL;
  g_autoptr(GError) error = NULL;
  KurirAccountPreferences *preferences;

  account = kurir_account_load (g_variant_get_string (parameter, NULL), &error);
  if (account == NULL)
    {
      kurir_window_show_toast (window, error->message);
      return;
    }
  preferences = kurir_account_preferences_new (GTK_WINDOW (window), account);
  g_signal_connect (preferences, "saved", G_CALLBACK (account_saved_cb), NULL);
  gtk_window_set_application (GTK_WINDOW (preferences), GTK_APPLICATION (self));
  gtk_window_present (GTK_WINDOW (preferences));
}

static void
add_account_activated_cb (GSimpleAction *action,
                          GVariant      *parameter,
                          gpointer       user_data)
{
  KurirApplication *self = KURIR_APPLICATION (user_data);
  KurirWindow *window = ensure_window (self);
  KurirSetupWindow *setup;

  gtk_window_present (GTK_WINDOW (window));
  setup = kurir_setup_window_new (GTK_APPLICATION (self), GTK_WINDOW (window));
  g_signal_connect_object (setup, "account-added", G_CALLBACK (account_added_cb), self, 0);
  gtk_window_present (GTK_WINDOW (setup));
}

static void
new_message_activated_cb (GSimpleAction *action,
                          GVariant      *parameter,
                          gpointer       user_data)
{
  KurirWindow *window = ensure_window (KURIR_APPLICATION (user_data));

  gtk_window_present (GTK_WINDOW (window));
  g_action_group_activate_action (G_ACTION_GROUP (window), "compose", g_variant_new_string (""));
}

static void
open_message_activated_cb (GSimpleAction *action,
                           GVariant      *parameter,
                           gpointer       user_data)
{
  KurirWindow *window = ensure_window (KURIR_APPLICATION (user_data));

  gtk_window_present (GTK_WINDOW (window));
  kurir_window_open_message (window, g_variant_get_int64 (parameter));
}

static void
show_folder_activated_cb (GSimpleAction *action,
                          GVariant      *parameter,
                          gpointer       user_data)
{
  KurirWindow *window = ensure_window (KURIR_APPLICATION (user_data));
  const char *account, *folder;

  g_variant_get (parameter, "(&s&s)", &account, &folder);
  gtk_window_present (GTK_WINDOW (window));
  kurir_sidebar_select (kurir_window_get_sidebar (window), account, folder);
}

/* Overrides */

static void
kurir_application_activate (GApplication *application)
{
  gtk_window_present (GTK_WINDOW (ensure_window (KURIR_APPLICATION (application))));
}

static void
kurir_application_open (GApplication  *application,
                        GFile        **files,
                        int            n_files,
                        const char    *hint)
{
  KurirWindow *window = ensure_window (KURIR_APPLICATION (application));

  gtk_window_present (GTK_WINDOW (window));
  /* mailto: links open the composer, filled in (RFC 6068). */
  for (int i = 0; i < n_files; i++)
    if (g_file_has_uri_scheme (files[i], "mailto"))
      {
        g_autofree char *uri = g_file_get_uri (files[i]);

        g_action_group_activate_action (G_ACTION_GROUP (window), "compose", g_variant_new_string (uri));
      }
}

static int
kurir_application_handle_local_options (GApplication *application,
                                        GVariantDict *options)
{
  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("kurir %s\n", PACKAGE_VERSION);
      return 0;
    }

  if (g_variant_dict_contains (options, "compose"))
    {
      g_autoptr(GError) error = NULL;

      if (!g_application_register (application, NULL, &error))
        {
          g_printerr ("kurir: %s\n", error->message);
          return 1;
        }
      g_action_group_activate_action (G_ACTION_GROUP (application), "new-message", NULL);
      return g_application_get_is_remote (application) ? 0 : -1;
    }

  return -1;
}

static void
kurir_application_startup (GApplication *application)
{
  static const GActionEntry actions[] = {
    { "quit", quit_activated_cb },
    { "about", about_activated_cb },
    { "help", help_activated_cb },
    { "add-account", add_account_activated_cb },
    { "account-preferences", account_preferences_activated_cb, "s" },
    { "new-message", new_message_activated_cb },
    { "open-message", open_message_activated_cb, "x" },
    { "show-folder", show_folder_activated_cb, "(ss)" },
  };
  static const struct {
    const char *action;
    const char *accels[3];
  } accels[] = {
    { "app.quit", { "<Control>q", NULL } },
    { "app.help", { "F1", NULL } },
    { "app.new-message", { "<Control>n", NULL } },
    { "window.close", { "<Control>w", NULL } },
    { "win.delete", { "Delete", "KP_Delete", NULL } },
    { "win.refresh", { "F5", "<Control>r", NULL } },
    { "win.search", { "<Control>f", NULL } },
    { "win.mark-read", { "<Control>i", NULL } },
    { "win.mark-unread", { "<Shift><Control>i", NULL } },
    { "win.toggle-flag", { "<Control>g", NULL } },
    { "win.next-message", { "<Control>period", "<Alt>Down", NULL } },
    { "win.previous-message", { "<Control>comma", "<Alt>Up", NULL } },
    { "win.open-in-window", { "<Control>o", NULL } },
    /* As Evolution's "Group By Threads". */
    { "win.conversations", { "<Control>t", NULL } },
  };

  G_APPLICATION_CLASS (kurir_application_parent_class)->startup (application);

  g_action_map_add_action_entries (G_ACTION_MAP (application), actions,
                                   G_N_ELEMENTS (actions), application);
  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (application), accels[i].action,
                                           accels[i].accels);
  gtk_window_set_default_icon_name (APP_ID);

  /* Started as a service (kurir --gapplication-service, as autostart does)
   * with start-in-background: the window exists but stays hidden, so mail
   * is checked and notified; activating the app shows it. */
  if ((g_application_get_flags (application) & G_APPLICATION_IS_SERVICE) && start_in_background ())
    ensure_window (KURIR_APPLICATION (application));
}

static void
kurir_application_class_init (KurirApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->activate = kurir_application_activate;
  app_class->open = kurir_application_open;
  app_class->startup = kurir_application_startup;
  app_class->handle_local_options = kurir_application_handle_local_options;
}

static void
kurir_application_init (KurirApplication *self)
{
  const GOptionEntry entries[] = {
    { "version", 'v', 0, G_OPTION_ARG_NONE, NULL, N_("Show the version and quit"), NULL },
    { "compose", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Write a new message"), NULL },
    { NULL }
  };

  g_application_add_main_option_entries (G_APPLICATION (self), entries);
}

/* Public API */

KurirApplication *
kurir_application_new (const char        *application_id,
                       GApplicationFlags  flags)
{
  g_return_val_if_fail (application_id != NULL, NULL);

  return g_object_new (KURIR_TYPE_APPLICATION,
                       "application-id", application_id,
                       "flags", flags,
                       "resource-base-path", "/io/github/kurir/Kurir",
                       NULL);
}
