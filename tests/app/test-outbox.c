/* test-outbox.c: the Outbox in the main window, against a scripted SMTP
 * server on 127.0.0.1
 *
 * A message the server refused shows in the sidebar's Outbox with the
 * server's words and "Send Again"/"Discard"; sending it again reaches the
 * server and empties the Outbox, which then leaves the sidebar. A message
 * whose delivery is uncertain can be discarded. A message that cannot go
 * now says when the next attempt is, without the two buttons.
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
#include "kurir-application.h"
#include "kurir-mail-account.h"
#include "kurir-message-list-model.h"
#include "kurir-outbox.h"
#include "kurir-reader.h"
#include "kurir-scripted-server.h"
#include "kurir-secret.h"
#include "kurir-sidebar.h"
#include "kurir-store.h"
#include "kurir-test-util.h"
#include "kurir-window.h"

#define WAIT_SECONDS 30

#include "kurir-app-test.h"

#define GREETING "220 scripted.example ESMTP ready\r\n"
#define EHLO     "250-scripted.example\r\n250-SIZE 100000\r\n250 8BITMIME\r\n"
#define MESSAGE_LINES \
  { "From: ", "" }, { "To: ", "" }, { "Subject: ", "" }, { "Message-ID: ", "" }, \
  { "Date: ", "" }, { "", "" }, { "body", "" }

static KurirApplication *app;
static KurirStore *store;
static guint serial;

/* Helpers */

/* Whether the sidebar has a row "Outbox" (with or without a count). */
static gboolean
sidebar_has_outbox (KurirWindow *window)
{
  g_autofree char *text = kurir_sidebar_describe (kurir_window_get_sidebar (window));
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "Outbox"))
      return TRUE;
  return FALSE;
}

/* A POP3 account (nobody listens on its POP3 port) sending through the
 * scripted SMTP server, saved so the window loads it. */
static KurirAccount *
add_account (void)
{
  g_autofree char *name = g_strdup_printf ("Kirim%u", ++serial);
  KurirAccount *account = kurir_account_new (name);
  g_autoptr(GError) error = NULL;

  kurir_account_set_email (account, "alice@localhost");
  kurir_account_set_protocol (account, KURIR_PROTOCOL_POP3);
  kurir_account_set_host (account, "127.0.0.1");
  kurir_account_set_port (account, 9);
  kurir_account_set_security (account, KURIR_SECURITY_NONE);
  kurir_account_set_allow_plaintext (account, TRUE);
  kurir_account_set_smtp_host (account, "127.0.0.1");
  kurir_account_set_smtp_port (account, 9);
  kurir_account_set_smtp_security (account, KURIR_SECURITY_NONE);
  g_assert_true (kurir_account_save (account, &error));
  g_assert_no_error (error);
  return account;
}

static gint64
queue_message (KurirAccount *account,
               const char   *subject)
{
  g_autoptr(KurirOutbox) outbox = kurir_outbox_new (account, store);
  g_autofree char *raw = g_strdup_printf ("From: alice@localhost\r\n"
                                          "To: peggy@localhost\r\n"
                                          "Subject: %s\r\n"
                                          "Message-ID: <app-outbox-%u-%08x@localhost>\r\n"
                                          "Date: Sat, 28 Nov 2026 10:00:00 +0000\r\n"
                                          "\r\n"
                                          "body\r\n", subject, serial, g_random_int ());
  g_autoptr(GBytes) bytes = g_bytes_new (raw, strlen (raw));
  g_autoptr(GError) error = NULL;
  gint64 id;

  id = kurir_outbox_queue (outbox, bytes, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  return id;
}

static void
count_cb (KurirMailAccount *account,
          guint             n_sent,
          guint            *count)
{
  (*count)++;
}

/* The window's copy of the account sends through @server. */
static void
use_server (KurirMailAccount    *account,
            KurirScriptedServer *server)
{
  kurir_account_set_smtp_port (kurir_mail_account_get_account (account),
                               server != NULL ? kurir_scripted_server_get_port (server) : 9);
}

static void
show_outbox_message (KurirWindow *window,
                     const char  *account,
                     gint64       id)
{
  KurirMessageListModel *model;
  guint position;

  WAIT_FOR (kurir_app_test_list_ready (window) && sidebar_has_outbox (window));
  g_assert_true (kurir_sidebar_select (kurir_window_get_sidebar (window), account, KURIR_OUTBOX_FOLDER));
  WAIT_FOR (kurir_app_test_list_ready (window));
  model = kurir_window_get_message_model (window);
  g_assert_cmpstr (kurir_message_list_model_get_folder (model), ==, KURIR_OUTBOX_FOLDER);
  position = kurir_message_list_model_find (model, id);
  g_assert_cmpuint (position, !=, G_MAXUINT);
  gtk_selection_model_select_item (kurir_window_get_selection (window), position, TRUE);
  WAIT_FOR (kurir_reader_get_message (kurir_window_get_reader (window)) != NULL &&
            kurir_message_get_id (kurir_reader_get_message (kurir_window_get_reader (window))) == id);
}

static gboolean
status_contains (KurirWindow *window,
                 const char  *text)
{
  const char *status = kurir_reader_get_outbox_status (kurir_window_get_reader (window));

  return status != NULL && strstr (status, text) != NULL;
}

/* Tests */

/* Refused for good: the server's words and the two buttons; "Send Again"
 * delivers it, the Outbox empties and leaves the sidebar. */
static void
test_refused_then_resent (void)
{
  static const KurirScriptStep refuse_steps[] = {
    { NULL, GREETING },
    { "EHLO ", EHLO },
    { "MAIL FROM:<alice@localhost>", "250 OK\r\n" },
    { "RCPT TO:<peggy@localhost>", "250 OK\r\n" },
    { "DATA", "354 go\r\n" },
    MESSAGE_LINES,
    { ".\r", "554 5.7.1 Pesan ditolak sebagai spam\r\n" },
    { "QUIT", "221 bye\r\n" },
    { NULL, NULL },
  };
  static const KurirScriptStep accept_steps[] = {
    { NULL, GREETING },
    { "EHLO ", EHLO },
    { "MAIL FROM:<alice@localhost>", "250 OK\r\n" },
    { "RCPT TO:<peggy@localhost>", "250 OK\r\n" },
    { "DATA", "354 go\r\n" },
    MESSAGE_LINES,
    { ".\r", "250 2.0.0 queued as 1234\r\n" },
    { "QUIT", "221 bye\r\n" },
    { NULL, NULL },
  };
  g_autoptr(KurirAccount) account = add_account ();
  const char *name = kurir_account_get_name (account);
  gint64 id = queue_message (account, "Ditolak");
  g_autoptr(GError) error = NULL;
  KurirScriptedServer *server;
  KurirMailAccount *mail_account;
  KurirWindow *window;
  guint flushed = 0;

  window = kurir_app_test_open_window (app, TRUE);
  mail_account = kurir_window_find_account (window, name);
  g_assert_nonnull (mail_account);
  g_signal_connect (mail_account, "outbox-flushed", G_CALLBACK (count_cb), &flushed);

  /* The Outbox holds a message: the sidebar shows it. */
  WAIT_FOR (sidebar_has_outbox (window));

  server = kurir_scripted_server_start (refuse_steps);
  use_server (mail_account, server);
  kurir_mail_account_flush_outbox (mail_account);
  WAIT_FOR (flushed == 1);
  kurir_scripted_server_join (server);
  kurir_scripted_server_stop (server);

  show_outbox_message (window, name, id);
  WAIT_FOR (status_contains (window, "Pesan ditolak sebagai spam"));
  g_test_message ("%s", kurir_reader_get_outbox_status (kurir_window_get_reader (window)));
  g_assert_true (kurir_reader_get_outbox_can_decide (kurir_window_get_reader (window)));

  /* The user sends it again: it goes through the flush, off the main loop. */
  server = kurir_scripted_server_start (accept_steps);
  use_server (mail_account, server);
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "outbox-resend"));
  g_action_group_activate_action (G_ACTION_GROUP (window), "outbox-resend", g_variant_new_int64 (id));
  WAIT_FOR (flushed == 2);
  kurir_scripted_server_join (server);
  kurir_scripted_server_stop (server);
  g_assert_cmpint (kurir_store_count (store, name, KURIR_OUTBOX_FOLDER, &error), ==, 0);
  g_assert_no_error (error);
  g_assert_cmpint (kurir_store_count (store, name, "Sent", &error), ==, 1);
  g_assert_no_error (error);

  /* The empty Outbox leaves the sidebar. */
  WAIT_FOR (!sidebar_has_outbox (window) && !kurir_window_get_busy (window));

  g_signal_handlers_disconnect_by_data (mail_account, &flushed);
  kurir_app_test_close_window (window);
  g_assert_true (kurir_account_delete (name, &error));
  g_assert_no_error (error);
}

/* Offline: it waits with the time of the next attempt and no buttons;
 * then the connection is cut after the final dot: delivery uncertain,
 * and "Discard" drops it. */
static void
test_waiting_then_uncertain_discarded (void)
{
  static const KurirScriptStep cut_steps[] = {
    { NULL, GREETING },
    { "EHLO ", EHLO },
    { "MAIL", "250 OK\r\n" },
    { "RCPT", "250 OK\r\n" },
    { "DATA", "354 go\r\n" },
    MESSAGE_LINES,
    { ".\r", NULL },
    { NULL, NULL },
  };
  g_autoptr(KurirAccount) account = add_account ();
  const char *name = kurir_account_get_name (account);
  gint64 id = queue_message (account, "Tidak pasti");
  g_autoptr(GError) error = NULL;
  KurirScriptedServer *server;
  KurirMailAccount *mail_account;
  KurirWindow *window;
  guint flushed = 0;

  window = kurir_app_test_open_window (app, TRUE);
  mail_account = kurir_window_find_account (window, name);
  g_assert_nonnull (mail_account);
  g_signal_connect (mail_account, "outbox-flushed", G_CALLBACK (count_cb), &flushed);

  /* Nobody listens on port 9. */
  use_server (mail_account, NULL);
  kurir_mail_account_flush_outbox (mail_account);
  WAIT_FOR (flushed == 1);
  show_outbox_message (window, name, id);
  WAIT_FOR (status_contains (window, "Next attempt at"));
  g_test_message ("%s", kurir_reader_get_outbox_status (kurir_window_get_reader (window)));
  g_assert_false (kurir_reader_get_outbox_can_decide (kurir_window_get_reader (window)));

  /* Its next attempt made now (the core's forced flush), cut after the dot. */
  {
    g_autoptr(KurirOutbox) outbox = kurir_outbox_new (kurir_mail_account_get_account (mail_account), store);
    KurirOutboxStats stats;

    server = kurir_scripted_server_start (cut_steps);
    use_server (mail_account, server);
    g_assert_false (kurir_outbox_flush (outbox, id, TRUE, &stats, NULL, &error));
    g_assert_nonnull (error);
    g_clear_error (&error);
    kurir_scripted_server_join (server);
    kurir_scripted_server_stop (server);
  }
  /* The window reads the new state after its own flush (nothing due). */
  kurir_mail_account_flush_outbox (mail_account);
  WAIT_FOR (flushed == 2);
  WAIT_FOR (status_contains (window, "uncertain"));
  g_assert_true (kurir_reader_get_outbox_can_decide (kurir_window_get_reader (window)));

  g_action_group_activate_action (G_ACTION_GROUP (window), "outbox-discard", g_variant_new_int64 (id));
  WAIT_FOR (kurir_store_count (store, name, KURIR_OUTBOX_FOLDER, NULL) == 0);
  WAIT_FOR (!sidebar_has_outbox (window) && !kurir_window_get_busy (window));
  g_assert_cmpint (kurir_store_count (store, name, "Sent", NULL), <=, 0);

  g_signal_handlers_disconnect_by_data (mail_account, &flushed);
  kurir_app_test_close_window (window);
  g_assert_true (kurir_account_delete (name, &error));
  g_assert_no_error (error);
}

/* After a sync of the account worked, the app sends what waits in its
 * Outbox by itself (judy's POP3 box on the test Dovecot; the SMTP server
 * is scripted). */
static void
test_flushed_after_sync (void)
{
  static const KurirScriptStep accept_steps[] = {
    { NULL, GREETING },
    { "EHLO ", "250-scripted.example\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n" },
    /* judy's POP3 password serves for SMTP too (no SMTP password stored). */
    { "AUTH PLAIN ", "235 2.7.0 ok\r\n" },
    { "MAIL FROM:<alice@localhost>", "250 OK\r\n" },
    { "RCPT TO:<peggy@localhost>", "250 OK\r\n" },
    { "DATA", "354 go\r\n" },
    MESSAGE_LINES,
    { ".\r", "250 2.0.0 queued as 99\r\n" },
    { "QUIT", "221 bye\r\n" },
    { NULL, NULL },
  };
  g_autoptr(KurirAccount) account = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  KurirScriptedServer *server;
  KurirMailAccount *mail_account;
  KurirWindow *window;
  const char *name;
  guint flushed = 0;

  if (g_getenv ("KURIR_TEST_POP3S_PORT") == NULL)
    {
      g_test_skip ("no test servers: run under tests/servers/with-servers");
      return;
    }

  account = add_account ();
  name = kurir_account_get_name (account);
  kurir_account_set_host (account, kurir_test_getenv ("KURIR_TEST_HOST"));
  kurir_account_set_port (account, kurir_test_port ("KURIR_TEST_POP3S_PORT"));
  kurir_account_set_security (account, KURIR_SECURITY_TLS);
  kurir_account_set_user (account, "judy");
  kurir_account_set_ca_file (account, kurir_test_getenv ("KURIR_TEST_CA"));
  g_assert_true (kurir_account_save (account, &error));
  g_assert_no_error (error);
  kurir_secret_store_async (name, KURIR_PROTOCOL_POP3, kurir_account_get_host (account), "judy",
                            kurir_test_getenv ("KURIR_TEST_PASSWORD_JUDY"), TRUE, NULL,
                            kurir_test_store_result, &result);
  g_assert_true (kurir_secret_store_finish (kurir_test_wait (&result), &error));
  g_assert_no_error (error);
  queue_message (account, "Setelah sinkronisasi");

  window = kurir_app_test_open_window (app, TRUE);
  mail_account = kurir_window_find_account (window, name);
  g_assert_nonnull (mail_account);
  g_signal_connect (mail_account, "outbox-flushed", G_CALLBACK (count_cb), &flushed);
  server = kurir_scripted_server_start (accept_steps);
  use_server (mail_account, server);

  /* Only the sync is asked for. */
  WAIT_FOR (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "sync-account"));
  g_action_group_activate_action (G_ACTION_GROUP (window), "sync-account", g_variant_new_string (name));
  WAIT_FOR (flushed == 1);
  g_assert_cmpint (kurir_mail_account_get_state (mail_account), ==, KURIR_MAIL_ACCOUNT_IDLE);
  kurir_scripted_server_join (server);
  kurir_scripted_server_stop (server);
  g_assert_cmpint (kurir_store_count (store, name, KURIR_OUTBOX_FOLDER, &error), ==, 0);
  g_assert_no_error (error);
  g_assert_cmpint (kurir_store_count (store, name, "Sent", &error), ==, 1);
  g_assert_no_error (error);

  g_signal_handlers_disconnect_by_data (mail_account, &flushed);
  kurir_app_test_close_window (window);
  g_assert_true (kurir_account_delete (name, &error));
  g_assert_no_error (error);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *home = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSettings) settings = NULL;
  int ret;

  home = kurir_app_test_make_home ("outbox");

  g_test_init (&argc, &argv, NULL);

  kurir_app_test_init_gtk ();

  store = kurir_store_open (NULL, &error);
  g_assert_no_error (error);

  /* No POP3 check at start: these accounts have no POP3 server. */
  settings = g_settings_new (APP_ID);
  g_settings_set_boolean (settings, "check-on-startup", FALSE);

  app = kurir_app_test_new_application (APP_ID);

  g_test_add_func ("/app/outbox/refused-then-resent", test_refused_then_resent);
  g_test_add_func ("/app/outbox/waiting-then-uncertain-discarded", test_waiting_then_uncertain_discarded);
  g_test_add_func ("/app/outbox/flushed-after-sync", test_flushed_after_sync);

  ret = g_test_run ();
  g_settings_reset (settings, "check-on-startup");
  g_clear_object (&app);
  g_clear_object (&store);

  kurir_app_test_remove_tree (home);
  return ret;
}
