/* test-window.c: the main window under a real X server (Xvfb)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE
#include "config.h"

#include <adwaita.h>
#include <ftw.h>
#include <stdio.h>

#include "kurir-account.h"
#include "kurir-application.h"
#include "kurir-window.h"

#define WAIT_SECONDS 20

/* Helpers */

static int
remove_cb (const char        *path,
           const struct stat *st,
           int                flag,
           struct FTW        *ftw)
{
  return remove (path);
}

static gboolean
timeout_cb (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the main context until @window is mapped and has left its
 * loading page, failing the test after WAIT_SECONDS. */
static void
wait_for_page (KurirWindow *window)
{
  gboolean timed_out = FALSE;
  guint source = g_timeout_add_seconds (WAIT_SECONDS, timeout_cb, &timed_out);

  while (!timed_out &&
         (!gtk_widget_get_mapped (GTK_WIDGET (window)) ||
          g_strcmp0 (kurir_window_get_visible_page (window), "loading") == 0))
    g_main_context_iteration (NULL, TRUE);

  if (timed_out)
    g_error ("The window did not show a page within %d seconds", WAIT_SECONDS);
  g_source_remove (source);
}

static KurirApplication *app;

/* Activates the application as a launch would, and waits for its window. */
static KurirWindow *
open_window (void)
{
  GtkWindow *window;

  g_assert_null (gtk_application_get_active_window (GTK_APPLICATION (app)));
  g_application_activate (G_APPLICATION (app));

  window = gtk_application_get_active_window (GTK_APPLICATION (app));
  g_assert_true (KURIR_IS_WINDOW (window));
  wait_for_page (KURIR_WINDOW (window));

  return KURIR_WINDOW (window);
}

static void
close_window (KurirWindow *window)
{
  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static guint
count_descendants_of_type (GtkWidget *widget,
                           GType      type)
{
  guint count = G_TYPE_CHECK_INSTANCE_TYPE (widget, type) ? 1 : 0;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    count += count_descendants_of_type (child, type);
  return count;
}

static AdwStatusPage *
find_status_page (GtkWidget *widget)
{
  if (ADW_IS_STATUS_PAGE (widget) && gtk_widget_is_drawable (widget))
    return ADW_STATUS_PAGE (widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      AdwStatusPage *page = find_status_page (child);
      if (page != NULL)
        return page;
    }
  return NULL;
}

/* Tests */

static void
test_welcome_without_accounts (void)
{
  KurirWindow *window = open_window ();
  AdwStatusPage *page;

  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (window)));
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (window)), ==, "Kurir");
  g_assert_cmpstr (kurir_window_get_visible_page (window), ==, "welcome");

  page = find_status_page (GTK_WIDGET (window));
  g_assert_nonnull (page);
  g_assert_cmpstr (adw_status_page_get_title (page), ==, "Welcome to Kurir");
  g_assert_true (gtk_widget_get_mapped (adw_status_page_get_child (page)));
  g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (adw_status_page_get_child (page))),
                   ==, "app.add-account");

  close_window (window);
}

static void
test_accounts_listed (void)
{
  g_autoptr(KurirAccount) account = kurir_account_new ("Kantor");
  g_autoptr(GError) error = NULL;
  KurirWindow *window;

  g_object_set (account, "email", "budi@example.co.id", "host", "imap.example.co.id", NULL);
  g_assert_true (kurir_account_save (account, &error));

  window = open_window ();
  g_assert_cmpstr (kurir_window_get_visible_page (window), ==, "accounts");
  g_assert_cmpuint (count_descendants_of_type (GTK_WIDGET (window), ADW_TYPE_ACTION_ROW), ==, 1);

  close_window (window);
  g_assert_true (kurir_account_delete ("Kantor", &error));
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *home = NULL;
  int ret;

  /* Our own XDG folders; the system's data folders stay, since GTK needs
   * the MIME database and icon themes from them. */
  home = g_dir_make_tmp ("kurir-app-test-XXXXXX", NULL);
  g_assert_nonnull (home);
  for (guint i = 0; i < 4; i++)
    {
      const char *vars[] = { "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME" };
      g_autofree char *dir = g_build_filename (home, vars[i], NULL);
      g_setenv (vars[i], dir, TRUE);
    }

  g_test_init (&argc, &argv, NULL);

  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    g_error ("The app tests need a display: run them under tests/servers/with-servers (Xvfb)");

  gtk_init ();
  adw_init ();

  app = kurir_application_new (APP_ID, G_APPLICATION_NON_UNIQUE);
  {
    g_autoptr(GError) error = NULL;
    g_application_register (G_APPLICATION (app), NULL, &error);
    g_assert_no_error (error);
  }

  g_test_add_func ("/app/welcome-without-accounts", test_welcome_without_accounts);
  g_test_add_func ("/app/accounts-listed", test_accounts_listed);

  ret = g_test_run ();
  g_clear_object (&app);

  nftw (home, remove_cb, 16, FTW_DEPTH | FTW_PHYS);
  return ret;
}
