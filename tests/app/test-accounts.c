/* test-accounts.c: an account's menu in the sidebar (its settings, its
 * removal), the accounts read again in the same window, each account's
 * check interval, and the window's shortcuts
 *
 * Removing an account asks first; then its file and its passwords go,
 * its mail stays in the store, and the window that was open shows the
 * other accounts without being replaced.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE
#include "config.h"

#include <adwaita.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>

#include "kurir-account.h"
#include "kurir-account-preferences.h"
#include "kurir-application.h"
#include "kurir-mail-account.h"
#include "kurir-message-list-model.h"
#include "kurir-preferences-window.h"
#include "kurir-reader.h"
#include "kurir-secret.h"
#include "kurir-secret.h"
#include "kurir-sidebar.h"
#include "kurir-store.h"
#include "kurir-test-util.h"
#include "kurir-window.h"

#define WAIT_SECONDS 30

#include "kurir-app-test.h"


static KurirApplication *app;
static KurirStore *store;
static guint serial;

/* Helpers */

static gboolean
sidebar_has_account (KurirWindow *window,
                     const char  *name)
{
  g_autofree char *text = kurir_sidebar_describe (kurir_window_get_sidebar (window));
  g_autofree char *line = g_strdup_printf ("# %s\n", name);

  return strstr (text, line) != NULL;
}

static char *
add_local_account (void)
{
  g_autofree char *name = g_strdup_printf ("Akun%u", ++serial);
  g_autofree char *email = g_strdup_printf ("akun%u@example.co.id", serial);
  g_autoptr(KurirAccount) account = kurir_account_new (name);
  g_autoptr(GError) error = NULL;
  g_autofree char *raw = NULL;
  g_autoptr(GBytes) bytes = NULL;

  kurir_account_set_email (account, email);
  kurir_account_set_protocol (account, KURIR_PROTOCOL_LOCAL);
  g_assert_true (kurir_account_save (account, &error));
  g_assert_no_error (error);

  raw = g_strdup_printf ("From: a@example.co.id\r\nTo: %s\r\nSubject: Surat %s\r\n"
                         "Message-ID: <%s@test.kurir>\r\nDate: Sat, 28 Nov 2026 10:00:00 +0000\r\n\r\nIsi.\r\n",
                         email, name, name);
  bytes = g_bytes_new (raw, strlen (raw));
  g_assert_cmpint (kurir_store_add (store, name, KURIR_STORE_INBOX, bytes, NULL, 0, 0, &error), >, 0);
  g_assert_no_error (error);
  return g_steal_pointer (&name);
}

/* The sidebar's menu button of @name's header, or NULL. */
static GtkMenuButton *
find_account_menu (GtkWidget  *widget,
                   const char *name)
{
  if (GTK_IS_MENU_BUTTON (widget) && gtk_widget_has_css_class (widget, "account-menu"))
    {
      GMenuModel *model = gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (widget));
      g_autoptr(GVariant) target = g_menu_model_get_item_attribute_value (model, 0, G_MENU_ATTRIBUTE_TARGET,
                                                                           G_VARIANT_TYPE_STRING);

      if (target != NULL && g_strcmp0 (g_variant_get_string (target, NULL), name) == 0)
        return GTK_MENU_BUTTON (widget);
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkMenuButton *found = find_account_menu (child, name);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static AdwMessageDialog *
find_message_dialog (void)
{
  return kurir_app_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
}

static char *
stored_password (const char *name)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  char *password;

  kurir_secret_lookup_async (name, KURIR_PROTOCOL_SMTP, NULL, kurir_test_store_result, &result);
  password = kurir_secret_lookup_finish (kurir_test_wait (&result), &error);
  g_assert_no_error (error);
  return password;
}

/* Tests */

/* Each account's header has a menu with its settings and its removal. */
static void
test_account_menu (void)
{
  g_autofree char *name = add_local_account ();
  g_autoptr(GError) error = NULL;
  KurirWindow *window = kurir_app_test_open_window (app, TRUE);
  GtkMenuButton *button;
  GMenuModel *model;
  g_autoptr(GVariant) target = NULL;
  g_autofree char *action = NULL;

  WAIT_FOR (sidebar_has_account (window, name) && kurir_app_test_list_ready (window));
  button = find_account_menu (GTK_WIDGET (kurir_window_get_sidebar (window)), name);
  g_assert_nonnull (button);
  model = gtk_menu_button_get_menu_model (button);
  g_assert_cmpint (g_menu_model_get_n_items (model), ==, 2);
  g_assert_true (g_menu_model_get_item_attribute (model, 0, G_MENU_ATTRIBUTE_ACTION, "s", &action));
  g_assert_cmpstr (action, ==, "app.account-preferences");
  g_clear_pointer (&action, g_free);
  g_assert_true (g_menu_model_get_item_attribute (model, 1, G_MENU_ATTRIBUTE_ACTION, "s", &action));
  g_assert_cmpstr (action, ==, "win.remove-account");
  target = g_menu_model_get_item_attribute_value (model, 1, G_MENU_ATTRIBUTE_TARGET, G_VARIANT_TYPE_STRING);
  g_assert_cmpstr (g_variant_get_string (target, NULL), ==, name);
  /* The action it names exists and takes the account's name. */
  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (app), "account-preferences"));
  g_assert_true (g_variant_type_equal (g_action_group_get_action_parameter_type (G_ACTION_GROUP (app),
                                                                                  "account-preferences"),
                                       G_VARIANT_TYPE_STRING));

  kurir_app_test_close_window (window);
  g_assert_true (kurir_account_delete (name, &error));
  g_assert_no_error (error);
}

/* Cancel keeps it; Remove takes the file and the passwords, keeps the
 * mail (moved out of INBOX), and the same window goes on with the other account. */
static void
test_remove_account (void)
{
  g_autofree char *gone = add_local_account ();
  g_autofree char *stays = add_local_account ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(KurirAccount) loaded = NULL;
  g_autofree char *password = NULL;
  gboolean keyring = g_getenv ("KURIR_TEST_HOST") != NULL;
  AdwMessageDialog *dialog;
  KurirWindow *window;
  GtkWindow *weak;

  if (keyring)
    {
      kurir_secret_store_async (gone, KURIR_PROTOCOL_SMTP, "127.0.0.1", "akun", "rahasia-akun", TRUE, NULL,
                                kurir_test_store_result, &result);
      g_assert_true (kurir_secret_store_finish (kurir_test_wait (&result), &error));
      g_assert_no_error (error);
      g_clear_object (&result);
      password = stored_password (gone);
      g_assert_cmpstr (password, ==, "rahasia-akun");
      g_clear_pointer (&password, kurir_secret_free);
    }

  window = kurir_app_test_open_window (app, TRUE);
  weak = GTK_WINDOW (window);
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &weak);
  WAIT_FOR (sidebar_has_account (window, gone) && sidebar_has_account (window, stays) &&
            kurir_app_test_list_ready (window));
  g_assert_true (kurir_sidebar_select (kurir_window_get_sidebar (window), gone, KURIR_STORE_INBOX));
  WAIT_FOR (kurir_app_test_list_ready (window));

  /* Asked first; Cancel keeps everything. */
  g_action_group_activate_action (G_ACTION_GROUP (window), "remove-account", g_variant_new_string (gone));
  WAIT_FOR (find_message_dialog () != NULL);
  dialog = find_message_dialog ();
  g_assert_true (adw_message_dialog_has_response (dialog, "remove"));
  g_assert_cmpint (adw_message_dialog_get_response_appearance (dialog, "remove"), ==, ADW_RESPONSE_DESTRUCTIVE);
  /* As a click does: the response, then the dialog closes. */
  adw_message_dialog_response (dialog, "cancel");
  gtk_window_close (GTK_WINDOW (dialog));
  WAIT_FOR (find_message_dialog () == NULL);
  loaded = kurir_account_load (gone, &error);
  g_assert_no_error (error);
  g_clear_object (&loaded);

  /* Remove. */
  g_action_group_activate_action (G_ACTION_GROUP (window), "remove-account", g_variant_new_string (gone));
  WAIT_FOR (find_message_dialog () != NULL);
  dialog = find_message_dialog ();
  adw_message_dialog_response (dialog, "remove");
  gtk_window_close (GTK_WINDOW (dialog));
  WAIT_FOR (kurir_window_find_account (window, gone) == NULL && !kurir_window_get_busy (window) &&
            !sidebar_has_account (window, gone));

  /* The same window, with the other account; the list shown left the
   * removed account. */
  g_assert_true (weak == GTK_WINDOW (window));
  g_assert_true (gtk_application_get_active_window (GTK_APPLICATION (app)) == GTK_WINDOW (window));
  g_assert_nonnull (kurir_window_find_account (window, stays));
  g_assert_true (sidebar_has_account (window, stays));
  g_assert_cmpstr (kurir_message_list_model_get_account (kurir_window_get_message_model (window)), !=, gone);

  /* The file is gone, the passwords too, the mail stays. */
  loaded = kurir_account_load (gone, &error);
  g_assert_null (loaded);
  g_assert_nonnull (error);
  g_clear_error (&error);
  if (keyring)
    {
      password = stored_password (gone);
      g_assert_null (password);
    }
  /* Kept out of All Inboxes, under "Local mail of" in the sidebar. */
  g_assert_cmpint (kurir_store_count (store, gone, KURIR_STORE_INBOX, &error), ==, 0);
  g_assert_no_error (error);
  g_assert_cmpint (kurir_store_count (store, gone, KURIR_SIDEBAR_KEPT_INBOX, &error), ==, 1);
  g_assert_no_error (error);

  g_object_remove_weak_pointer (G_OBJECT (window), (gpointer *) &weak);
  kurir_app_test_close_window (window);
  g_assert_true (kurir_account_delete (stays, &error));
  g_assert_no_error (error);
}

/* An account file written while the window is open shows after a
 * reload, in the same window. */
static void
test_reload_accounts (void)
{
  g_autofree char *first = add_local_account ();
  g_autofree char *later = NULL;
  g_autoptr(GError) error = NULL;
  KurirWindow *window = kurir_app_test_open_window (app, TRUE);

  WAIT_FOR (sidebar_has_account (window, first) && kurir_app_test_list_ready (window));
  later = add_local_account ();
  g_assert_false (sidebar_has_account (window, later));
  kurir_window_reload_accounts (window);
  WAIT_FOR (sidebar_has_account (window, later) && !kurir_window_get_busy (window));
  g_assert_true (sidebar_has_account (window, first));
  g_assert_nonnull (kurir_window_find_account (window, later));

  kurir_app_test_close_window (window);
  g_assert_true (kurir_account_delete (first, &error));
  g_assert_no_error (error);
  g_assert_true (kurir_account_delete (later, &error));
  g_assert_no_error (error);
}

static KurirAccountPreferences *
preferences_window (void)
{
  return kurir_app_test_find_window (app, KURIR_TYPE_ACCOUNT_PREFERENCES);
}

static gboolean
has_signature (const char *name,
               const char *signature)
{
  g_autoptr(KurirAccount) account = kurir_account_load (name, NULL);

  return account != NULL && g_strcmp0 (kurir_account_get_signature (account), signature) == 0;
}

/* Identities and signatures typed into the preferences reach the account
 * file, with the check interval, size limit and remember-password; a
 * removed identity leaves it. */
static void
test_preferences_identities (void)
{
  g_autofree char *name = g_strdup_printf ("Pos%u", ++serial);
  g_autoptr(KurirAccount) account = kurir_account_new (name);
  g_autoptr(KurirAccount) saved = NULL;
  g_autoptr(GPtrArray) identities = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = kurir_account_get_config_dir ();
  g_autofree char *path = NULL;
  g_autofree char *raw = NULL;
  KurirAccountPreferences *preferences;
  const KurirIdentity *other;

  kurir_account_set_email (account, "siti@example.co.id");
  kurir_account_set_protocol (account, KURIR_PROTOCOL_POP3);
  kurir_account_set_host (account, "127.0.0.1");
  kurir_account_set_user (account, "siti");
  kurir_account_set_smtp_host (account, "127.0.0.1");
  g_assert_true (kurir_account_save (account, &error));
  g_assert_no_error (error);

  g_action_group_activate_action (G_ACTION_GROUP (app), "account-preferences",
                                  g_variant_new_string (name));
  preferences = preferences_window ();
  g_assert_nonnull (preferences);

  kurir_account_preferences_set_identity (preferences, 0, "Siti Rahayu", "siti@example.co.id",
                                          "balasan@example.co.id", "Siti\nKantor Pos Bandung");
  kurir_account_preferences_set_identity (preferences, 1, "Siti (klub)", "siti@klub.example",
                                          NULL, "Salam olahraga");
  kurir_account_preferences_set_identity (preferences, 2, NULL, "lama@example.co.id", NULL, NULL);
  kurir_account_preferences_remove_identity (preferences, 2);
  kurir_account_preferences_save (preferences);
  WAIT_FOR (has_signature (name, "Siti\nKantor Pos Bandung") ||
            kurir_account_preferences_get_error (preferences));
  g_assert_null (kurir_account_preferences_get_error (preferences));

  saved = kurir_account_load (name, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (kurir_account_get_display_name (saved), ==, "Siti Rahayu");
  g_assert_cmpstr (kurir_account_get_reply_to (saved), ==, "balasan@example.co.id");
  identities = kurir_account_dup_identities (saved);
  g_assert_cmpuint (identities->len, ==, 2);
  other = g_ptr_array_index (identities, 1);
  g_assert_cmpstr (other->name, ==, "Siti (klub)");
  g_assert_cmpstr (other->address, ==, "siti@klub.example");
  g_assert_cmpstr (other->signature, ==, "Salam olahraga");
  g_assert_null (other->reply_to);
  /* Settings of the other page are kept as they were. */
  g_assert_cmpstr (kurir_account_get_host (saved), ==, "127.0.0.1");
  g_assert_true (kurir_account_get_remember_password (saved));

  /* It is in the file kurir-cli reads too, not only in this process. */
  path = g_strdup_printf ("%s/%s.conf", dir, name);
  g_assert_true (g_file_get_contents (path, &raw, NULL, &error));
  g_assert_no_error (error);
  g_assert_nonnull (strstr (raw, "Salam olahraga"));
  g_assert_null (strstr (raw, "lama@example.co.id"));

  gtk_window_destroy (GTK_WINDOW (preferences));
  /* The action opened the main window to be the parent. */
  if (gtk_application_get_active_window (GTK_APPLICATION (app)) != NULL)
    kurir_app_test_close_window (KURIR_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app))));
  g_assert_true (kurir_account_delete (name, &error));
  g_assert_no_error (error);
}

static KurirPreferencesWindow *
general_preferences (void)
{
  return kurir_app_test_find_window (app, KURIR_TYPE_PREFERENCES_WINDOW);
}

#define CHILD(window, name) \
  gtk_widget_get_template_child (GTK_WIDGET (window), KURIR_TYPE_PREFERENCES_WINDOW, name)

/* The primary menu opens the general preferences; each row and its key
 * follow each other both ways. */
static void
test_general_preferences (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  KurirWindow *window = kurir_app_test_open_window (app, TRUE);
  KurirPreferencesWindow *preferences;
  g_autofree char *remote = NULL;
  g_autofree char *entry = NULL;
  g_autofree char *autostart = g_build_filename (g_get_user_config_dir (), "autostart",
                                                 APP_ID ".desktop", NULL);

  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (window), "preferences"));
  g_action_group_activate_action (G_ACTION_GROUP (window), "preferences", NULL);
  preferences = general_preferences ();
  g_assert_nonnull (preferences);
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (preferences)) == GTK_WINDOW (window));

  /* The default: notifications on. */
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (CHILD (preferences, "notifications_switch"))));
  gtk_switch_set_active (GTK_SWITCH (CHILD (preferences, "notifications_switch")), FALSE);
  g_assert_false (g_settings_get_boolean (settings, "notifications"));

  /* check-on-startup is off in this test program (see main()). */
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (CHILD (preferences, "check_on_startup_switch"))));

  gtk_spin_button_set_value (GTK_SPIN_BUTTON (CHILD (preferences, "check_interval_spin")), 25);
  g_assert_cmpuint (g_settings_get_uint (settings, "check-interval-minutes"), ==, 25);

  gtk_switch_set_active (GTK_SWITCH (CHILD (preferences, "start_in_background_switch")), TRUE);
  g_assert_true (g_settings_get_boolean (settings, "start-in-background"));
  /* An autostart entry that starts the service at login. */
  WAIT_FOR (g_file_get_contents (autostart, &entry, NULL, NULL));
  g_assert_nonnull (strstr (entry, "Exec=kurir --gapplication-service\n"));
  gtk_switch_set_active (GTK_SWITCH (CHILD (preferences, "start_in_background_switch")), FALSE);
  WAIT_FOR (!g_file_test (autostart, G_FILE_TEST_EXISTS));
  gtk_switch_set_active (GTK_SWITCH (CHILD (preferences, "start_in_background_switch")), TRUE);

  adw_combo_row_set_selected (ADW_COMBO_ROW (CHILD (preferences, "remote_content_row")), 1);
  remote = g_settings_get_string (settings, "remote-content");
  g_assert_cmpstr (remote, ==, "known-senders");
  g_settings_set_string (settings, "remote-content", "always");
  g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (CHILD (preferences, "remote_content_row"))), ==, 2);

  gtk_window_destroy (GTK_WINDOW (preferences));
  kurir_app_test_close_window (window);
  for (guint i = 0; i < 4; i++)
    {
      const char *keys[] = { "notifications", "check-interval-minutes", "start-in-background", "remote-content" };

      g_settings_reset (settings, keys[i]);
    }
}

static guint
check_interval_of (KurirWindow *window,
                   const char  *name)
{
  KurirMailAccount *account = kurir_window_find_account (window, name);

  return account != NULL ? kurir_mail_account_get_check_interval (account) : 0;
}

/* Each account checks for mail at its own interval (its file's
 * check-interval), else at check-interval-minutes; a change of either
 * reaches the running window. */
static void
test_check_interval (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autofree char *own = add_local_account ();
  g_autofree char *plain = add_local_account ();
  g_autoptr(KurirAccount) account = kurir_account_load (own, NULL);
  g_autoptr(GError) error = NULL;
  KurirWindow *window;

  /* The choice itself: the account's own, else the default, never 0. */
  g_assert_nonnull (account);
  g_assert_cmpuint (kurir_mail_account_choose_check_interval (account, 25), ==, 25);
  kurir_account_set_check_interval (account, 3);
  g_assert_cmpuint (kurir_mail_account_choose_check_interval (account, 25), ==, 3);
  kurir_account_set_check_interval (account, 0);
  g_assert_cmpuint (kurir_mail_account_choose_check_interval (account, 0), ==, 1);

  kurir_account_set_check_interval (account, 3);
  g_assert_true (kurir_account_save (account, &error));
  g_assert_no_error (error);
  g_settings_set_uint (settings, "check-interval-minutes", 25);

  window = kurir_app_test_open_window (app, TRUE);
  WAIT_FOR (sidebar_has_account (window, plain) && !kurir_window_get_busy (window));
  g_assert_cmpuint (check_interval_of (window, own), ==, 3);
  g_assert_cmpuint (check_interval_of (window, plain), ==, 25);

  /* The app's default changes: only the account without its own follows. */
  g_settings_set_uint (settings, "check-interval-minutes", 40);
  WAIT_FOR (check_interval_of (window, plain) == 40);
  g_assert_cmpuint (check_interval_of (window, own), ==, 3);

  /* The account file changes behind the window's back (as kurir-cli
   * account set --check-interval writes it): followed. */
  kurir_account_set_check_interval (account, 12);
  g_assert_true (kurir_account_save (account, &error));
  g_assert_no_error (error);
  WAIT_FOR (check_interval_of (window, own) == 12);
  g_assert_cmpuint (check_interval_of (window, plain), ==, 40);

  /* The account file changes (as its preferences save it): read again. */
  kurir_account_set_check_interval (account, 7);
  g_assert_true (kurir_account_save (account, &error));
  g_assert_no_error (error);
  kurir_window_reload_accounts (window);
  WAIT_FOR (check_interval_of (window, own) == 7 && !kurir_window_get_busy (window));
  g_assert_cmpuint (check_interval_of (window, plain), ==, 40);

  kurir_account_set_check_interval (account, 0);
  g_assert_true (kurir_account_save (account, &error));
  g_assert_no_error (error);
  kurir_window_reload_accounts (window);
  WAIT_FOR (check_interval_of (window, own) == 40 && !kurir_window_get_busy (window));

  kurir_app_test_close_window (window);
  g_settings_reset (settings, "check-interval-minutes");
  g_assert_true (kurir_account_delete (own, &error));
  g_assert_no_error (error);
  g_assert_true (kurir_account_delete (plain, &error));
  g_assert_no_error (error);
}

static gboolean
overlay_lists (GObject    *object,
               const char *action)
{
  g_autofree char *name = NULL;

  if (GTK_IS_SHORTCUTS_SHORTCUT (object))
    {
      g_object_get (object, "action-name", &name, NULL);
      return g_strcmp0 (name, action) == 0;
    }
  if (!GTK_IS_WIDGET (object))
    return FALSE;
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (object)); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (overlay_lists (G_OBJECT (child), action))
      return TRUE;
  return FALSE;
}

/* The conversation view has a shortcut, listed in the shortcuts window,
 * that works as an accelerator of the window's action and is no other
 * action's: no two of the app's actions share a key. */
static void
test_conversations_shortcut (void)
{
  g_autoptr(GtkBuilder) builder = gtk_builder_new_from_resource ("/io/github/kurir/Kurir/gtk/help-overlay.ui");
  g_auto(GStrv) accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "win.conversations");
  g_auto(GStrv) described = gtk_application_list_action_descriptions (GTK_APPLICATION (app));
  g_autofree char *first = add_local_account ();
  GObject *overlay = gtk_builder_get_object (builder, "help_overlay");
  KurirWindow *window;
  GAction *action;

  g_assert_nonnull (accels[0]);
  g_assert_cmpstr (accels[0], ==, "<Control>t");
  for (guint i = 0; described[i] != NULL; i++)
    {
      g_auto(GStrv) keys = gtk_application_get_accels_for_action (GTK_APPLICATION (app), described[i]);

      for (guint j = 0; keys[j] != NULL; j++)
        {
          g_auto(GStrv) actions = gtk_application_get_actions_for_accel (GTK_APPLICATION (app), keys[j]);

          if (g_strv_length (actions) != 1)
            g_error ("%s is the shortcut of %u actions", keys[j], g_strv_length (actions));
        }
    }

  g_assert_true (GTK_IS_SHORTCUTS_WINDOW (overlay));
  g_assert_true (overlay_lists (overlay, "win.conversations"));
  gtk_window_destroy (GTK_WINDOW (overlay));

  /* A toggle without a parameter: what an accelerator activates flips it. */
  window = kurir_app_test_open_window (app, TRUE);
  action = g_action_map_lookup_action (G_ACTION_MAP (window), "conversations");
  g_assert_nonnull (action);
  g_assert_null (g_action_get_parameter_type (action));
  {
    g_autoptr(GVariant) before = g_action_get_state (action);
    g_autoptr(GVariant) after = NULL;

    g_action_group_activate_action (G_ACTION_GROUP (window), "conversations", NULL);
    after = g_action_get_state (action);
    g_assert_cmpint (g_variant_get_boolean (after), !=, g_variant_get_boolean (before));
    g_action_group_activate_action (G_ACTION_GROUP (window), "conversations", NULL);
  }
  kurir_app_test_close_window (window);
  {
    g_autoptr(GError) error = NULL;

    g_assert_true (kurir_account_delete (first, &error));
    g_assert_no_error (error);
  }
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *home = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSettings) settings = NULL;
  int ret;

  home = kurir_app_test_make_home ("accounts");

  g_test_init (&argc, &argv, NULL);

  kurir_app_test_init_gtk ();

  store = kurir_store_open (NULL, &error);
  g_assert_no_error (error);
  settings = g_settings_new (APP_ID);
  g_settings_set_boolean (settings, "check-on-startup", FALSE);

  app = kurir_app_test_new_application (APP_ID);

  g_test_add_func ("/app/accounts/menu", test_account_menu);
  g_test_add_func ("/app/accounts/remove", test_remove_account);
  g_test_add_func ("/app/accounts/reload", test_reload_accounts);
  g_test_add_func ("/app/accounts/preferences-identities", test_preferences_identities);
  g_test_add_func ("/app/accounts/general-preferences", test_general_preferences);
  g_test_add_func ("/app/accounts/check-interval", test_check_interval);
  g_test_add_func ("/app/window/conversations-shortcut", test_conversations_shortcut);

  ret = g_test_run ();
  g_settings_reset (settings, "check-on-startup");
  g_clear_object (&app);
  g_clear_object (&store);

  kurir_app_test_remove_tree (home);
  return ret;
}
