/* test-i18n.c: the app in Indonesian (LANGUAGE=id) under X: the welcome
 * page and the setup assistant, its first page and its explanation of
 * POP3 and IMAP, show the translations from the build tree's catalogue.
 *
 * The expected texts are the catalogue's own msgstr (looked up with
 * g_dgettext), not copies: the test fails when the catalogue is not
 * loaded, when a string is not translated, or when a widget shows a text
 * that does not come through gettext.
 *
 * KURIR_TEST_LOCALEDIR points at the build tree's po/ (meson's
 * i18n.gettext builds po/id/LC_MESSAGES/kurir.mo there).  With
 * KURIR_TEST_SCREENSHOT_DIR set, it also saves welcome-id.png and
 * setup-id.png there with ImageMagick's `import -window root`.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <locale.h>

#include "kurir-application.h"
#include "kurir-setup-window.h"
#include "kurir-window.h"

#define WAIT_SECONDS 30

#include "kurir-app-test.h"

static KurirApplication *app;

/* Helpers */

/* The translation of msgid, which must differ from it. */
static const char *
translated (const char *msgid)
{
  const char *msgstr = g_dgettext (GETTEXT_PACKAGE, msgid);

  if (g_strcmp0 (msgstr, msgid) == 0)
    g_error ("“%s” is not translated into Indonesian (or the catalogue is not loaded)", msgid);
  return msgstr;
}

static void
add_text (GHashTable *texts,
          const char *text)
{
  if (text != NULL && *text != '\0')
    g_hash_table_add (texts, g_strdup (text));
}

/* Every text the widget and its descendants show or hold, visible or not
 * (the assistant's later pages are built with its first one). */
static void
collect_texts (GtkWidget  *widget,
               GHashTable *texts)
{
  if (GTK_IS_LABEL (widget))
    add_text (texts, gtk_label_get_label (GTK_LABEL (widget)));
  if (GTK_IS_BUTTON (widget))
    add_text (texts, gtk_button_get_label (GTK_BUTTON (widget)));
  if (GTK_IS_WINDOW (widget))
    add_text (texts, gtk_window_get_title (GTK_WINDOW (widget)));
  if (ADW_IS_STATUS_PAGE (widget))
    {
      add_text (texts, adw_status_page_get_title (ADW_STATUS_PAGE (widget)));
      add_text (texts, adw_status_page_get_description (ADW_STATUS_PAGE (widget)));
    }
  if (ADW_IS_PREFERENCES_ROW (widget))
    add_text (texts, adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)));
  if (ADW_IS_ACTION_ROW (widget))
    add_text (texts, adw_action_row_get_subtitle (ADW_ACTION_ROW (widget)));
  if (ADW_IS_PREFERENCES_GROUP (widget))
    {
      add_text (texts, adw_preferences_group_get_title (ADW_PREFERENCES_GROUP (widget)));
      add_text (texts, adw_preferences_group_get_description (ADW_PREFERENCES_GROUP (widget)));
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_texts (child, texts);
}

/* The widget shows the Indonesian text of each msgid, and nowhere the
 * English one. */
static void
assert_shows_translations (GtkWidget         *widget,
                           const char * const *msgids)
{
  g_autoptr(GHashTable) texts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  collect_texts (widget, texts);
  for (guint i = 0; msgids[i] != NULL; i++)
    {
      const char *msgstr = translated (msgids[i]);

      if (!g_hash_table_contains (texts, msgstr))
        g_error ("the %s does not show “%s” (for “%s”)", G_OBJECT_TYPE_NAME (widget), msgstr, msgids[i]);
      if (g_hash_table_contains (texts, msgids[i]))
        g_error ("the %s still shows the English “%s”", G_OBJECT_TYPE_NAME (widget), msgids[i]);
    }
}

static void
frame_painted_cb (GdkFrameClock *clock,
                  gpointer       user_data)
{
  (*(guint *) user_data)++;
}

static gboolean
transition_running (GtkWidget *widget)
{
  if (GTK_IS_STACK (widget) && gtk_stack_get_transition_running (GTK_STACK (widget)))
    return TRUE;
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (transition_running (child))
      return TRUE;
  return FALSE;
}

/* Waits until the window's page transitions are over and it has been
 * painted twice since: its content is drawn. */
static void
wait_painted (GtkWidget *widget)
{
  GdkFrameClock *clock;
  guint painted = 0;
  gulong handler;

  WAIT_FOR (gtk_widget_get_mapped (widget) && gtk_widget_get_frame_clock (widget) != NULL &&
            !transition_running (widget));
  clock = gtk_widget_get_frame_clock (widget);
  handler = g_signal_connect (clock, "after-paint", G_CALLBACK (frame_painted_cb), &painted);
  gtk_widget_queue_draw (widget);
  WAIT_FOR (painted >= 1);
  gtk_widget_queue_draw (widget);
  WAIT_FOR (painted >= 2);
  g_signal_handler_disconnect (clock, handler);
  gdk_display_sync (gtk_widget_get_display (widget));
}

/* With KURIR_TEST_SCREENSHOT_DIR: the screen as it is now. */
static void
screenshot (const char *name)
{
  const char *dir = g_getenv ("KURIR_TEST_SCREENSHOT_DIR");
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  if (dir == NULL)
    return;
  path = g_build_filename (dir, name, NULL);
  {
    const char *argv[] = { "import", "-window", "root", path, NULL };

    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status, &error);
  }
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_test_message ("screenshot: %s", path);
}

static KurirWindow *
main_window (void)
{
  return kurir_app_test_find_window (app, KURIR_TYPE_WINDOW);
}

static KurirSetupWindow *
setup_window (void)
{
  return kurir_app_test_find_window (app, KURIR_TYPE_SETUP_WINDOW);
}

static GtkStack *
find_stack (GtkWidget *widget)
{
  if (GTK_IS_STACK (widget) && gtk_stack_get_child_by_name (GTK_STACK (widget), "choice") != NULL)
    return GTK_STACK (widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkStack *stack = find_stack (child);
      if (stack != NULL)
        return stack;
    }
  return NULL;
}

/* Tests */

/* The catalogue is the Indonesian one. */
static void
test_catalogue (void)
{
  const char *header = g_dgettext (GETTEXT_PACKAGE, "");

  g_assert_nonnull (strstr (header, "Language: id\n"));
  /* A plural form through ngettext. */
  g_assert_cmpstr (g_dngettext (GETTEXT_PACKAGE, "%u message", "%u messages", 2), !=, "%u messages");
}

/* First launch: the welcome page with its title, text and button. */
static void
test_welcome (void)
{
  const char * const msgids[] = {
    "Welcome to Kurir",
    "Add your email account to get started. For each account you choose how Kurir reaches your mail: "
    "POP3 downloads it to this computer, IMAP keeps it in sync on the server.",
    "_Add Account",
    NULL
  };
  KurirWindow *window;

  g_application_activate (G_APPLICATION (app));
  window = main_window ();
  g_assert_nonnull (window);
  WAIT_FOR (gtk_widget_get_mapped (GTK_WIDGET (window)) &&
            g_strcmp0 (kurir_window_get_visible_page (window), "loading") != 0);
  g_assert_cmpstr (kurir_window_get_visible_page (window), ==, "welcome");

  assert_shows_translations (GTK_WIDGET (window), msgids);
  wait_painted (GTK_WIDGET (window));
  screenshot ("welcome-id.png");
}

/* The welcome page's button opens the assistant: its first page and its
 * explanation of IMAP and POP3 are Indonesian. */
static void
test_setup (void)
{
  const char * const msgids[] = {
    "Add Account",
    "Your Mail Account",
    "Kurir finds the settings of your mail provider.",
    "Account name (optional)",
    "Email address",
    "Password",
    "_Continue",
    "Enter the Settings by _Hand",
    "How Should Kurir Get Your Mail?",
    "IMAP: keep mail on the server",
    "Mail and folders stay on the server and look the same on every device; Kurir keeps a copy here to "
    "read offline. Best when you read mail on several devices.",
    "POP3: download mail to this computer",
    "Mail is downloaded and readable without a connection. By default a copy stays on the server; Kurir "
    "can also delete it there, at once or after some days. Good for one device, an unreliable connection "
    "or a small mailbox on the server.",
    "Downloaded Mail on the Server",
    "_Log In",
    NULL
  };
  KurirSetupWindow *setup;
  GtkStack *stack;

  g_action_group_activate_action (G_ACTION_GROUP (app), "add-account", NULL);
  setup = setup_window ();
  g_assert_nonnull (setup);
  g_assert_cmpstr (kurir_setup_window_get_page (setup), ==, "identity");
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (setup)), ==, translated ("Add Account"));

  assert_shows_translations (GTK_WIDGET (setup), msgids);

  /* The picture shows the choice between IMAP and POP3, its words the
   * ones checked above. */
  if (g_getenv ("KURIR_TEST_SCREENSHOT_DIR") != NULL)
    {
      stack = find_stack (GTK_WIDGET (setup));
      g_assert_nonnull (stack);
      gtk_stack_set_transition_type (stack, GTK_STACK_TRANSITION_TYPE_NONE);
      gtk_stack_set_visible_child_name (stack, "choice");
      /* Alone on the screen. */
      gtk_widget_hide (GTK_WIDGET (main_window ()));
      wait_painted (GTK_WIDGET (setup));
      screenshot ("setup-id.png");
    }
  gtk_window_destroy (GTK_WINDOW (setup));
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *home = NULL;
  g_autoptr(GError) error = NULL;
  const char *localedir = g_getenv ("KURIR_TEST_LOCALEDIR");
  int ret;

  home = kurir_app_test_make_home ("i18n");

  /* As src/app/main.c does, with the build tree's catalogue.  glibc
   * follows LANGUAGE in any locale but "C": C.UTF-8 is enough. */
  g_setenv ("LANGUAGE", "id", TRUE);
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_test_init (&argc, &argv, NULL);

  kurir_app_test_init_gtk ();

  app = kurir_app_test_new_application (APP_ID);

  g_test_add_func ("/app/i18n/catalogue", test_catalogue);
  g_test_add_func ("/app/i18n/welcome", test_welcome);
  g_test_add_func ("/app/i18n/setup", test_setup);

  ret = g_test_run ();
  g_clear_object (&app);
  return ret;
}
