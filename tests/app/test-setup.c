/* test-setup.c: the setup assistant from first launch against the test
 * servers: discovery (probes pointed at 127.0.0.1), the POP3/IMAP choice
 * with IMAP preselected, the login test to both servers, the certificate
 * question, and the account with its mail in the main window
 *
 * sybil's mailbox is this test's own.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE
#include "config.h"

#include <adwaita.h>
#include <ftw.h>
#include <stdio.h>

#include "kurir-account.h"
#include "kurir-account-preferences.h"
#include "kurir-application.h"
#include "kurir-certificate-dialog.h"
#include "kurir-message-list-model.h"
#include "kurir-secret.h"
#include "kurir-setup-window.h"
#include "kurir-sidebar.h"
#include "kurir-store.h"
#include "kurir-test-util.h"
#include "kurir-trust.h"
#include "kurir-window.h"

#define WAIT_SECONDS 60

#include "kurir-app-test.h"

static KurirApplication *app;
static char *subject;

/* Helpers */

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

static gboolean
page_is (KurirSetupWindow *setup,
         const char       *page)
{
  return g_strcmp0 (kurir_setup_window_get_page (setup), page) == 0;
}

static void
point_probes_at_test_servers (KurirAutoconfig *autoconfig,
                              gpointer         user_data)
{
  const char *host = kurir_test_getenv ("KURIR_TEST_HOST");

  kurir_autoconfig_set_sources (autoconfig, KURIR_DISCOVERY_SOURCE_PROBE);
  kurir_autoconfig_add_probe_target (autoconfig, KURIR_PROTOCOL_IMAP, host,
                                     kurir_test_port ("KURIR_TEST_IMAPS_PORT"), KURIR_SECURITY_TLS);
  kurir_autoconfig_add_probe_target (autoconfig, KURIR_PROTOCOL_IMAP, host,
                                     kurir_test_port ("KURIR_TEST_IMAP_PORT"), KURIR_SECURITY_STARTTLS);
  kurir_autoconfig_add_probe_target (autoconfig, KURIR_PROTOCOL_POP3, host,
                                     kurir_test_port ("KURIR_TEST_POP3S_PORT"), KURIR_SECURITY_TLS);
  kurir_autoconfig_add_probe_target (autoconfig, KURIR_PROTOCOL_SMTP, host,
                                     kurir_test_port ("KURIR_TEST_SMTP_PORT"), KURIR_SECURITY_STARTTLS);
}

static char *
stored_password (const char    *name,
                 KurirProtocol  protocol)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  char *password;

  kurir_secret_lookup_async (name, protocol, NULL, kurir_test_store_result, &result);
  password = kurir_secret_lookup_finish (kurir_test_wait (&result), &error);
  g_assert_no_error (error);
  return password;
}

static gboolean
has_password (const char    *name,
              KurirProtocol  protocol)
{
  g_autofree char *password = stored_password (name, protocol);

  return password != NULL;
}

static void
test_skipped (void)
{
  g_test_skip ("no test servers: run under tests/servers/with-servers");
}

/* Tests */

/* First launch: the welcome page, the assistant, IMAP, the mail. */
static void
test_wizard_imap (void)
{
  const char *password = kurir_test_getenv ("KURIR_TEST_PASSWORD_SYBIL");
  KurirWindow *window;
  KurirSetupWindow *setup;
  g_autoptr(KurirAccount) account = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *secret = NULL;

  g_application_activate (G_APPLICATION (app));
  window = main_window ();
  g_assert_nonnull (window);
  WAIT_FOR (g_strcmp0 (kurir_window_get_visible_page (window), "loading") != 0);
  g_assert_cmpstr (kurir_window_get_visible_page (window), ==, "welcome");

  /* The welcome page's button. */
  g_action_group_activate_action (G_ACTION_GROUP (app), "add-account", NULL);
  setup = setup_window ();
  g_assert_nonnull (setup);
  g_assert_cmpstr (kurir_setup_window_get_page (setup), ==, "identity");
  kurir_setup_window_set_ca_file (setup, kurir_test_getenv ("KURIR_TEST_CA"));
  kurir_setup_window_set_prepare_func (setup, point_probes_at_test_servers, NULL);

  /* Not an address: stays on the first page. */
  kurir_setup_window_start (setup, NULL, "sybil", password);
  g_assert_cmpstr (kurir_setup_window_get_page (setup), ==, "identity");

  kurir_setup_window_start (setup, "Sybil", "sybil@example.test", password);
  WAIT_FOR (page_is (setup, "choice"));
  /* Both offered: IMAP is the suggestion. */
  g_assert_cmpint (kurir_setup_window_get_choice (setup), ==, KURIR_PROTOCOL_IMAP);

  /* Both logins, the password into the keyring, the account saved; then
   * the window shows it. */
  g_object_add_weak_pointer (G_OBJECT (setup), (gpointer *) &setup);
  kurir_setup_window_choose (setup, KURIR_PROTOCOL_IMAP);
  WAIT_FOR (setup == NULL || page_is (setup, "manual"));
  if (setup != NULL)
    g_error ("the assistant failed: %s", kurir_setup_window_get_error (setup));

  account = kurir_account_load ("Sybil", &error);
  g_assert_no_error (error);
  g_assert_cmpint (kurir_account_get_protocol (account), ==, KURIR_PROTOCOL_IMAP);
  g_assert_cmpstr (kurir_account_get_host (account), ==, kurir_test_getenv ("KURIR_TEST_HOST"));
  g_assert_cmpuint (kurir_account_get_port (account), ==, kurir_test_port ("KURIR_TEST_IMAPS_PORT"));
  g_assert_cmpint (kurir_account_get_security (account), ==, KURIR_SECURITY_TLS);
  /* The first guess, the address (the test Dovecot takes it for sybil). */
  g_assert_cmpstr (kurir_account_get_user (account), ==, "sybil@example.test");
  g_assert_cmpstr (kurir_account_get_email (account), ==, "sybil@example.test");
  g_assert_cmpuint (kurir_account_get_smtp_port (account), ==, kurir_test_port ("KURIR_TEST_SMTP_PORT"));
  g_assert_cmpint (kurir_account_get_smtp_security (account), ==, KURIR_SECURITY_STARTTLS);
  secret = stored_password ("Sybil", KURIR_PROTOCOL_IMAP);
  g_assert_cmpstr (secret, ==, password);

  /* The new window has the account and its mail. */
  WAIT_FOR ((window = main_window ()) != NULL && kurir_window_find_account (window, "Sybil") != NULL);
  WAIT_FOR (kurir_sidebar_select (kurir_window_get_sidebar (window), "Sybil", KURIR_STORE_INBOX));
  WAIT_FOR (kurir_app_test_shows_subject (window, subject));
}

/* A server whose certificate does not validate: asked, trusted once for
 * the incoming server and always for the outgoing one; POP3 chosen. */
static void
test_wizard_certificate (void)
{
  const char *password = kurir_test_getenv ("KURIR_TEST_PASSWORD_SYBIL");
  const char *host = kurir_test_getenv ("KURIR_TEST_HOST");
  KurirSetupWindow *setup;
  GtkWindow *dialog;
  g_autoptr(KurirAccount) account = NULL;
  g_autoptr(GTlsCertificate) pinned = NULL;
  g_autoptr(GError) error = NULL;
  const char *details;

  g_action_group_activate_action (G_ACTION_GROUP (app), "add-account", NULL);
  setup = setup_window ();
  g_assert_nonnull (setup);
  kurir_setup_window_set_prepare_func (setup, point_probes_at_test_servers, NULL);
  kurir_setup_window_start (setup, "Sybil POP", "sybil@example.test", password);
  WAIT_FOR (page_is (setup, "choice"));
  g_object_add_weak_pointer (G_OBJECT (setup), (gpointer *) &setup);
  kurir_setup_window_choose (setup, KURIR_PROTOCOL_POP3);

  WAIT_FOR ((dialog = kurir_setup_window_get_certificate_dialog (setup)) != NULL);
  details = kurir_certificate_dialog_get_details (KURIR_CERTIFICATE_DIALOG (dialog));
  g_assert_nonnull (strstr (details, "not signed by a known authority"));
  g_assert_nonnull (strstr (details, "SHA-256 fingerprint:"));
  g_assert_nonnull (strstr (details, "Issued by:"));
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), KURIR_CERTIFICATE_RESPONSE_ONCE);

  WAIT_FOR (setup == NULL || kurir_setup_window_get_certificate_dialog (setup) != NULL ||
            page_is (setup, "manual"));
  g_assert_nonnull (setup);
  dialog = kurir_setup_window_get_certificate_dialog (setup);
  g_assert_nonnull (dialog);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), KURIR_CERTIFICATE_RESPONSE_ALWAYS);

  WAIT_FOR (setup == NULL || page_is (setup, "manual"));
  if (setup != NULL)
    g_error ("the assistant failed: %s", kurir_setup_window_get_error (setup));

  account = kurir_account_load ("Sybil POP", &error);
  g_assert_no_error (error);
  g_assert_cmpint (kurir_account_get_protocol (account), ==, KURIR_PROTOCOL_POP3);
  g_assert_true (kurir_account_get_leave_on_server (account));
  /* "This time" pinned nothing; "Always" pinned the SMTP server's. */
  g_assert_null (kurir_trust_lookup (host, kurir_test_port ("KURIR_TEST_POP3S_PORT"), KURIR_PROTOCOL_POP3));
  pinned = kurir_trust_lookup (host, kurir_test_port ("KURIR_TEST_SMTP_PORT"), KURIR_PROTOCOL_SMTP);
  g_assert_nonnull (pinned);
}

static KurirAccountPreferences *
preferences_window (void)
{
  return kurir_app_test_find_window (app, KURIR_TYPE_ACCOUNT_PREFERENCES);
}

static gboolean
saved_as (const char    *name,
          KurirProtocol  protocol)
{
  g_autoptr(KurirAccount) account = kurir_account_load (name, NULL);

  return account != NULL && kurir_account_get_protocol (account) == protocol;
}

/* The preferences switch the account from IMAP to POP3 and back; the
 * password follows it in the keyring. */
static void
test_preferences_switch (void)
{
  const char *password = kurir_test_getenv ("KURIR_TEST_PASSWORD_SYBIL");
  const char *host = kurir_test_getenv ("KURIR_TEST_HOST");
  KurirAccountPreferences *preferences;
  g_autofree char *secret = NULL;
  g_autofree char *storage = NULL;
  g_autoptr(KurirAccount) account = NULL;

  g_assert_true (saved_as ("Sybil", KURIR_PROTOCOL_IMAP));
  g_action_group_activate_action (G_ACTION_GROUP (app), "account-preferences", g_variant_new_string ("Sybil"));
  preferences = preferences_window ();
  g_assert_nonnull (preferences);

  /* The Storage group: the server's quota (Dovecot's 100 MiB) and what
   * this computer holds. */
  WAIT_FOR ((storage = kurir_account_preferences_dup_storage_text (preferences)) != NULL);
  g_test_message ("%s", storage);
  g_assert_nonnull (strstr (storage, "of 100.0"));
  g_assert_nonnull (strstr (storage, "message"));

  kurir_account_preferences_set_incoming (preferences, KURIR_PROTOCOL_POP3, host,
                                          kurir_test_port ("KURIR_TEST_POP3S_PORT"), KURIR_SECURITY_TLS);
  kurir_account_preferences_save (preferences);
  WAIT_FOR (saved_as ("Sybil", KURIR_PROTOCOL_POP3) || kurir_account_preferences_get_error (preferences));
  g_assert_null (kurir_account_preferences_get_error (preferences));

  account = kurir_account_load ("Sybil", NULL);
  g_assert_cmpuint (kurir_account_get_port (account), ==, kurir_test_port ("KURIR_TEST_POP3S_PORT"));
  /* Settings the window does not change stay. */
  g_assert_cmpstr (kurir_account_get_ca_file (account), ==, kurir_test_getenv ("KURIR_TEST_CA"));
  g_assert_true (kurir_account_get_leave_on_server (account));
  secret = stored_password ("Sybil", KURIR_PROTOCOL_POP3);
  g_assert_cmpstr (secret, ==, password);
  g_clear_pointer (&secret, g_free);
  /* The old entry goes after the file changed. */
  WAIT_FOR (!has_password ("Sybil", KURIR_PROTOCOL_IMAP));

  /* And back. */
  kurir_account_preferences_set_incoming (preferences, KURIR_PROTOCOL_IMAP, host,
                                          kurir_test_port ("KURIR_TEST_IMAPS_PORT"), KURIR_SECURITY_TLS);
  kurir_account_preferences_save (preferences);
  WAIT_FOR (saved_as ("Sybil", KURIR_PROTOCOL_IMAP) || kurir_account_preferences_get_error (preferences));
  g_assert_null (kurir_account_preferences_get_error (preferences));
  secret = stored_password ("Sybil", KURIR_PROTOCOL_IMAP);
  g_assert_cmpstr (secret, ==, password);

  gtk_window_destroy (GTK_WINDOW (preferences));
}

/* A wrong password: the manual page names the server and the cause, and
 * the password corrected there logs in. */
static void
test_wizard_wrong_password (void)
{
  const char *password = kurir_test_getenv ("KURIR_TEST_PASSWORD_VICTOR");
  KurirSetupWindow *setup;
  GtkWidget *password_row;
  g_autofree char *secret = NULL;
  g_autofree char *server = g_strdup_printf ("%s:%u", kurir_test_getenv ("KURIR_TEST_HOST"),
                                             kurir_test_port ("KURIR_TEST_IMAPS_PORT"));

  g_action_group_activate_action (G_ACTION_GROUP (app), "add-account", NULL);
  setup = setup_window ();
  g_assert_nonnull (setup);
  kurir_setup_window_set_ca_file (setup, kurir_test_getenv ("KURIR_TEST_CA"));
  kurir_setup_window_set_prepare_func (setup, point_probes_at_test_servers, NULL);

  kurir_setup_window_start (setup, "Victor", "victor@example.test", "not-the-password");
  WAIT_FOR (page_is (setup, "choice"));
  kurir_setup_window_choose (setup, KURIR_PROTOCOL_IMAP);
  WAIT_FOR (page_is (setup, "manual"));
  g_test_message ("%s", kurir_setup_window_get_error (setup));
  g_assert_nonnull (strstr (kurir_setup_window_get_error (setup), "password is wrong"));
  g_assert_nonnull (strstr (kurir_setup_window_get_error (setup), server));
  g_assert_false (kurir_account_exists ("Victor"));

  /* Every field is on the page, the password too. */
  password_row = (GtkWidget *) gtk_widget_get_template_child (GTK_WIDGET (setup), KURIR_TYPE_SETUP_WINDOW,
                                                "manual_password_row");
  g_assert_true (ADW_IS_PASSWORD_ENTRY_ROW (password_row));
  gtk_editable_set_text (GTK_EDITABLE (password_row), password);
  g_object_add_weak_pointer (G_OBJECT (setup), (gpointer *) &setup);
  gtk_widget_activate ((GtkWidget *) gtk_widget_get_template_child (GTK_WIDGET (setup), KURIR_TYPE_SETUP_WINDOW,
                                                      "manual_continue_button"));
  WAIT_FOR (setup == NULL || (page_is (setup, "manual") && kurir_setup_window_get_error (setup) &&
                              strstr (kurir_setup_window_get_error (setup), "wrong") == NULL));
  if (setup != NULL)
    g_error ("the assistant failed: %s", kurir_setup_window_get_error (setup));
  g_assert_true (kurir_account_exists ("Victor"));
  secret = stored_password ("Victor", KURIR_PROTOCOL_IMAP);
  g_assert_cmpstr (secret, ==, password);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *home = NULL;
  g_autofree char *message = NULL;
  g_autoptr(GError) error = NULL;
  int ret;

  home = kurir_app_test_make_home ("setup");

  g_test_init (&argc, &argv, NULL);

  if (g_getenv ("KURIR_TEST_IMAPS_PORT") == NULL)
    {
      g_test_add_func ("/app/setup/skipped", test_skipped);
      return g_test_run ();
    }
  kurir_app_test_init_gtk ();

  /* No notification server on the test bus (GLib would warn, and this
   * test does not look at notifications: test-live does). */
  {
    g_autoptr(GSettings) settings = g_settings_new (APP_ID);
    g_settings_set_boolean (settings, "notifications", FALSE);
  }

  subject = g_strdup_printf ("Selamat datang %" G_GINT64_FORMAT, g_get_real_time ());
  message = g_strdup_printf ("From: Penyambut <penyambut@example.test>\nTo: sybil@example.test\n"
                             "Subject: %s\nDate: Sat, 28 Nov 2026 02:00:00 +0000\n"
                             "Message-ID: <%s@setup.test>\n\nSelamat datang.\n",
                             subject, subject + 15);
  kurir_app_test_doveadm_save ("sybil", message);

  app = kurir_app_test_new_application (APP_ID);

  g_test_add_func ("/app/setup/wizard-imap", test_wizard_imap);
  g_test_add_func ("/app/setup/wizard-certificate", test_wizard_certificate);
  g_test_add_func ("/app/setup/preferences-switch", test_preferences_switch);
  g_test_add_func ("/app/setup/wizard-wrong-password", test_wizard_wrong_password);

  ret = g_test_run ();
  g_clear_object (&app);
  g_free (subject);

  kurir_app_test_remove_tree (home);
  return ret;
}
