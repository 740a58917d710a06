/* test-background.c: started as a service (kurir --gapplication-service)
 * with start-in-background, the window exists hidden, checking mail;
 * activating shows it. Without the setting nothing opens.
 *
 * On a private D-Bus bus (GTestDBus): a service registers its name.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE
#include "config.h"

#include <adwaita.h>

#include "kurir-application.h"
#include "kurir-window.h"

#define WAIT_SECONDS 30

#include "kurir-app-test.h"

static KurirWindow *
main_window (KurirApplication *app)
{
  return kurir_app_test_find_window (app, KURIR_TYPE_WINDOW);
}

/* A name of its own each time: the bus may still hold the last one. */
static KurirApplication *
start_service (void)
{
  static guint serial;
  g_autofree char *id = g_strdup_printf ("%s.Test%u", APP_ID, ++serial);
  KurirApplication *app = kurir_application_new (id, G_APPLICATION_IS_SERVICE);
  g_autoptr(GError) error = NULL;

  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  return app;
}

static void
stop_service (KurirApplication *app)
{
  KurirWindow *window = main_window (app);

  if (window != NULL)
    gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_object_unref (app);
}

static void
test_in_background (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  KurirApplication *app;
  KurirWindow *window;

  g_settings_set_boolean (settings, "start-in-background", TRUE);
  app = start_service ();
  window = main_window (app);
  g_assert_nonnull (window);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (window)));
  /* It loads the accounts (none here) without being shown. */
  WAIT_FOR (g_strcmp0 (kurir_window_get_visible_page (window), "loading") != 0);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (window)));

  g_application_activate (G_APPLICATION (app));
  g_assert_true (main_window (app) == window);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window)));
  stop_service (app);
  g_settings_reset (settings, "start-in-background");
}

static void
test_not_in_background (void)
{
  KurirApplication *app = start_service ();

  g_assert_null (main_window (app));
  stop_service (app);
}

int
main (int    argc,
      char **argv)
{
  GTestDBus *bus;
  g_autofree char *home = NULL;
  int ret;

  home = kurir_app_test_make_home ("background");

  g_test_init (&argc, &argv, NULL);
  bus = kurir_app_test_init_gtk_on_private_bus ();

  g_test_add_func ("/app/background/not-in-background", test_not_in_background);
  g_test_add_func ("/app/background/in-background", test_in_background);
  ret = g_test_run ();
  kurir_app_test_remove_tree (home);
  /* As in test-password: only the daemon is stopped. */
  g_test_dbus_stop (bus);
  return ret;
}
