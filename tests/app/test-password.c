/* test-password.c: no keyring on the bus; the app asks for the password,
 * says why, uses it for this session, and writes it nowhere
 *
 * The test runs on a private D-Bus bus of its own (GTestDBus) where no
 * Secret Service exists, against the test Dovecot (user walt).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE
#include "config.h"

#include <adwaita.h>
#include <string.h>

#include "kurir-account.h"
#include "kurir-account-preferences.h"
#include "kurir-application.h"
#include "kurir-message-item.h"
#include "kurir-message-list-model.h"
#include "kurir-password-dialog.h"
#include "kurir-sidebar.h"
#include "kurir-store.h"
#include "kurir-test-util.h"
#include "kurir-window.h"

#define WAIT_SECONDS 60

#include "kurir-app-test.h"


static KurirApplication *app;
static char *home;
static char *subject;

/* Helpers */

static KurirPasswordDialog *
password_dialog (void)
{
  return kurir_app_test_find_toplevel (KURIR_TYPE_PASSWORD_DIALOG);
}

static KurirWindow *
main_window (void)
{
  return kurir_app_test_find_window (app, KURIR_TYPE_WINDOW);
}

/* Tests */

static void
test_prompt_when_no_keyring (void)
{
  const char *password = kurir_test_getenv ("KURIR_TEST_PASSWORD_WALT");
  g_autoptr(KurirAccount) account = kurir_account_new ("Walt");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  KurirPasswordDialog *dialog;
  KurirWindow *window;
  char *again;

  kurir_account_set_email (account, "walt@localhost");
  kurir_account_set_protocol (account, KURIR_PROTOCOL_IMAP);
  kurir_account_set_host (account, kurir_test_getenv ("KURIR_TEST_HOST"));
  kurir_account_set_port (account, kurir_test_port ("KURIR_TEST_IMAPS_PORT"));
  kurir_account_set_security (account, KURIR_SECURITY_TLS);
  kurir_account_set_user (account, "walt");
  kurir_account_set_ca_file (account, kurir_test_getenv ("KURIR_TEST_CA"));
  kurir_account_set_smtp_host (account, kurir_test_getenv ("KURIR_TEST_HOST"));
  g_assert_true (kurir_account_save (account, &error));
  g_assert_no_error (error);

  /* The first sync needs the password: the keyring is not there, so the
   * app asks, and says so. */
  g_application_activate (G_APPLICATION (app));
  WAIT_FOR ((dialog = password_dialog ()) != NULL);
  g_test_message ("%s", adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)));
  g_assert_nonnull (strstr (kurir_password_dialog_get_reason (dialog), "keyring"));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)), "walt"));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)),
                            kurir_test_getenv ("KURIR_TEST_HOST")));

  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &dialog);
  kurir_password_dialog_submit (dialog, password);
  WAIT_FOR (dialog == NULL);

  /* The mail comes with it. */
  WAIT_FOR ((window = main_window ()) != NULL && kurir_window_find_account (window, "Walt") != NULL);
  WAIT_FOR (kurir_sidebar_select (kurir_window_get_sidebar (window), "Walt", KURIR_STORE_INBOX));
  WAIT_FOR (kurir_app_test_shows_subject (window, subject));

  /* Later lookups in this session take it from memory, without asking. */
  kurir_password_lookup_async (account, KURIR_PROTOCOL_IMAP, NULL, kurir_test_store_result, &result);
  again = kurir_password_lookup_finish (kurir_test_wait (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again, ==, password);
  g_free (again);
  g_assert_null (password_dialog ());

  /* Nowhere on disk. */
  if (kurir_test_tree_contains (home, password, &path))
    g_error ("The password was written to %s", path);
}

/* The account's preferences show the server's quota with the password
 * typed for this session: no keyring, and no second dialog. */
static void
test_preferences_storage (void)
{
  KurirAccountPreferences *preferences = NULL;
  g_autofree char *storage = NULL;

  g_action_group_activate_action (G_ACTION_GROUP (app), "account-preferences",
                                  g_variant_new_string ("Walt"));
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (app)); l != NULL; l = l->next)
    if (KURIR_IS_ACCOUNT_PREFERENCES (l->data))
      preferences = l->data;
  g_assert_nonnull (preferences);
  WAIT_FOR ((storage = kurir_account_preferences_dup_storage_text (preferences)) != NULL);
  g_test_message ("%s", storage);
  g_assert_null (password_dialog ());
  /* Dovecot's quota of the test users: 100 MiB. */
  g_assert_nonnull (strstr (storage, "of 100.0"));
  gtk_window_destroy (GTK_WINDOW (preferences));
}

/* Declined: a clear error, and no second dialog this session. */
static void
test_declined (void)
{
  g_autoptr(KurirAccount) account = kurir_account_new ("Nobody");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  KurirPasswordDialog *dialog;
  char *password;

  kurir_account_set_email (account, "nobody@localhost");
  kurir_account_set_protocol (account, KURIR_PROTOCOL_POP3);
  kurir_account_set_host (account, "127.0.0.1");
  kurir_account_set_user (account, "nobody");

  kurir_password_lookup_async (account, KURIR_PROTOCOL_POP3, NULL, kurir_test_store_result, &result);
  WAIT_FOR ((dialog = password_dialog ()) != NULL);
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &dialog);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  gtk_window_destroy (GTK_WINDOW (dialog));
  WAIT_FOR (dialog == NULL);
  password = kurir_password_lookup_finish (kurir_test_wait (&result), &error);
  g_assert_null (password);
  g_assert_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_KEYRING);
  g_clear_error (&error);
  g_clear_object (&result);

  kurir_password_lookup_async (account, KURIR_PROTOCOL_POP3, NULL, kurir_test_store_result, &result);
  password = kurir_password_lookup_finish (kurir_test_wait (&result), &error);
  g_assert_null (password);
  g_assert_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_KEYRING);
  g_assert_null (password_dialog ());
}

static void
test_skipped (void)
{
  g_test_skip ("needs the test servers (tests/servers/with-servers)");
}

int
main (int    argc,
      char **argv)
{
  GTestDBus *bus;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSettings) settings = NULL;
  g_autofree char *message = NULL;
  int ret;

  home = kurir_app_test_make_home ("password");

  g_test_init (&argc, &argv, NULL);

  if (g_getenv ("KURIR_TEST_PASSWORD_WALT") == NULL)
    {
      g_test_add_func ("/app/password/skipped", test_skipped);
      return g_test_run ();
    }
  /* A bus of our own, with no keyring on it. */
  bus = kurir_app_test_init_gtk_on_private_bus ();

  settings = g_settings_new (APP_ID);
  g_settings_set_boolean (settings, "notifications", FALSE);

  subject = g_strdup_printf ("Kata sandi %" G_GINT64_FORMAT, g_get_real_time ());
  message = g_strdup_printf ("From: Penguji <penguji@example.test>\nTo: walt@example.test\n"
                             "Subject: %s\nDate: Sat, 28 Nov 2026 02:00:00 +0000\n"
                             "Message-ID: <%s@password.test>\n\nTanpa keyring.\n",
                             subject, subject + 11);
  kurir_app_test_doveadm_save ("walt", message);

  app = kurir_app_test_new_application (APP_ID);

  g_test_add_func ("/app/password/prompt-when-no-keyring", test_prompt_when_no_keyring);
  g_test_add_func ("/app/password/preferences-storage", test_preferences_storage);
  g_test_add_func ("/app/password/declined", test_declined);

  ret = g_test_run ();
  g_settings_reset (settings, "notifications");
  g_clear_object (&app);
  g_free (subject);
  kurir_app_test_remove_tree (home);
  g_free (home);
  /* Only the daemon is stopped: GTK and libsecret keep the session bus
   * connection until exit, and g_test_dbus_down() would wait 30 s for
   * it to go (the object is left to the exit). */
  g_test_dbus_stop (bus);
  return ret;
}
