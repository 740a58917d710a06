/* kurir-preferences-window.c: the general preferences
 *
 * Every row is bound to its GSettings key (io.github.kurir.Kurir), so a
 * change applies at once and the window has nothing to save. Starting in
 * the background also writes or removes an XDG autostart entry that runs
 * `kurir --gapplication-service` at login (the application then keeps its
 * window hidden).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-app"

#include "config.h"

#include <errno.h>

#include <glib/gstdio.h>

#include "kurir-preferences-window.h"

struct _KurirPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  GtkSwitch            *notifications_switch;
  GtkSwitch            *check_on_startup_switch;
  GtkSpinButton        *check_interval_spin;
  GtkSwitch            *start_in_background_switch;
  AdwComboRow          *remote_content_row;

  GSettings            *settings;
};

G_DEFINE_FINAL_TYPE (KurirPreferencesWindow, kurir_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

/* The combo row's items, in the order of the schema's RemoteContent enum. */
static const char * const remote_content_nicks[] = { "never", "known-senders", "always" };

#define AUTOSTART_ENTRY \
  "[Desktop Entry]\n" \
  "Type=Application\n" \
  "Name=Kurir\n" \
  "Comment=Checks mail in the background\n" \
  "Exec=kurir --gapplication-service\n" \
  "Icon=" APP_ID "\n" \
  "NoDisplay=true\n" \
  "X-GNOME-Autostart-enabled=true\n"

static char *
autostart_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "autostart", APP_ID ".desktop", NULL);
}

/* In a worker thread: the entry written (task data non-NULL) or removed. */
static void
autostart_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  g_autofree char *path = autostart_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;

  if (task_data != NULL)
    {
      if (g_mkdir_with_parents (dir, 0700) != 0 ||
          !g_file_set_contents (path, AUTOSTART_ENTRY, -1, &error))
        g_warning ("Could not write %s: %s", path, error ? error->message : g_strerror (errno));
    }
  else if (g_unlink (path) != 0 && errno != ENOENT)
    g_warning ("Could not remove %s: %s", path, g_strerror (errno));
  g_task_return_boolean (task, TRUE);
}

/* Callbacks */

static void
start_in_background_changed_cb (KurirPreferencesWindow *self)
{
  g_autoptr(GTask) task = g_task_new (NULL, NULL, NULL, NULL);

  g_task_set_source_tag (task, start_in_background_changed_cb);
  g_task_set_task_data (task, GINT_TO_POINTER (g_settings_get_boolean (self->settings,
                                                                       "start-in-background")),
                        NULL);
  g_task_run_in_thread (task, autostart_thread);
}

static gboolean
remote_content_get_cb (GValue   *value,
                       GVariant *variant,
                       gpointer  user_data)
{
  const char *nick = g_variant_get_string (variant, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (remote_content_nicks); i++)
    if (g_str_equal (nick, remote_content_nicks[i]))
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  return FALSE;
}

static GVariant *
remote_content_set_cb (const GValue       *value,
                       const GVariantType *expected_type,
                       gpointer            user_data)
{
  guint selected = g_value_get_uint (value);

  if (selected >= G_N_ELEMENTS (remote_content_nicks))
    return NULL;
  return g_variant_new_string (remote_content_nicks[selected]);
}

/* Overrides */

static void
kurir_preferences_window_dispose (GObject *object)
{
  KurirPreferencesWindow *self = KURIR_PREFERENCES_WINDOW (object);

  g_clear_object (&self->settings);
  G_OBJECT_CLASS (kurir_preferences_window_parent_class)->dispose (object);
}

static void
kurir_preferences_window_class_init (KurirPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kurir_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/kurir/Kurir/kurir-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, KurirPreferencesWindow, notifications_switch);
  gtk_widget_class_bind_template_child (widget_class, KurirPreferencesWindow, check_on_startup_switch);
  gtk_widget_class_bind_template_child (widget_class, KurirPreferencesWindow, check_interval_spin);
  gtk_widget_class_bind_template_child (widget_class, KurirPreferencesWindow, start_in_background_switch);
  gtk_widget_class_bind_template_child (widget_class, KurirPreferencesWindow, remote_content_row);
}

static void
kurir_preferences_window_init (KurirPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (APP_ID);
  g_settings_bind (self->settings, "notifications", self->notifications_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "check-on-startup", self->check_on_startup_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "check-interval-minutes", self->check_interval_spin, "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "start-in-background", self->start_in_background_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind_with_mapping (self->settings, "remote-content", self->remote_content_row, "selected",
                                G_SETTINGS_BIND_DEFAULT, remote_content_get_cb, remote_content_set_cb,
                                NULL, NULL);
  /* The person's change only, not the value the window opened with. */
  g_signal_connect_object (self->settings, "changed::start-in-background",
                           G_CALLBACK (start_in_background_changed_cb), self, G_CONNECT_SWAPPED);
}

/* Public API */

KurirPreferencesWindow *
kurir_preferences_window_new (GtkWindow *parent)
{
  return g_object_new (KURIR_TYPE_PREFERENCES_WINDOW,
                       "transient-for", parent,
                       "application", parent ? gtk_window_get_application (parent) : NULL,
                       NULL);
}
