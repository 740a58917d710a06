/* test-imap.c: the main window on an IMAP account of the test Dovecot
 *
 * victor is an IMAP account (implicit TLS) and judy a POP3 one; their mail
 * is put on the server, the window syncs it, and a second client (Python's
 * imaplib, a process of its own) checks the server's side and delivers
 * mail while the window runs. Every wait is for a condition, with a
 * timeout.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE
#include "config.h"

#include <adwaita.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kurir-account.h"
#include "kurir-application.h"
#include "kurir-journal.h"
#include "kurir-message-list-model.h"
#include "kurir-secret.h"
#include "kurir-sidebar.h"
#include "kurir-store.h"
#include "kurir-test-util.h"
#include "kurir-window.h"

#define WAIT_SECONDS 60

#include "kurir-app-test.h"

static KurirApplication *app;
static KurirStore *store;
static char *stamp;   /* makes this run's subjects unique on the shared server */

/* The second client: argv[1] is the command, the password comes in the
 * environment, never on the command line. */
static const char imap_client[] =
  "import imaplib, os, ssl, sys, time\n"
  "ctx = ssl.create_default_context(cafile=os.environ['KURIR_TEST_CA'])\n"
  "m = imaplib.IMAP4_SSL(os.environ['KURIR_TEST_HOST'], int(os.environ['KURIR_TEST_IMAPS_PORT']), ssl_context=ctx)\n"
  "m.login('victor', os.environ['KURIR_TEST_PASSWORD_VICTOR'])\n"
  "cmd, arg = sys.argv[1], sys.argv[2]\n"
  "if cmd == 'append':\n"
  "    msg = ('From: Penulis <penulis@example.test>\\r\\nTo: victor@example.test\\r\\nSubject: %s\\r\\n'\n"
  "           'Date: Sat, 28 Nov 2026 02:00:00 +0000\\r\\nMessage-ID: <%s@imaplib.test>\\r\\n\\r\\nLewat IDLE.\\r\\n'\n"
  "           % (arg, time.time()))\n"
  "    typ, _ = m.append('INBOX', None, None, msg.encode())\n"
  "    sys.exit(0 if typ == 'OK' else 1)\n"
  "if cmd == 'in':\n"
  "    folder, subject = arg.split('/', 1)\n"
  "    m.select(folder, readonly=True)\n"
  "    typ, data = m.uid('SEARCH', 'SUBJECT', '\"%s\"' % subject)\n"
  "    sys.exit(0 if typ == 'OK' and data[0].split() else 3)\n"
  "if cmd == 'seen':\n"
  "    m.select('INBOX', readonly=True)\n"
  "    typ, data = m.uid('SEARCH', 'SEEN', 'SUBJECT', '\"%s\"' % arg)\n"
  "    sys.exit(0 if typ == 'OK' and data[0].split() else 3)\n"
  "sys.exit(2)\n";

/* Helpers */

static int
run_imap_client (const char *command,
                 const char *argument)
{
  const char *argv[] = { "/usr/bin/python3", "-c", imap_client, command, argument, NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, &err,
                               &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_test_message ("imaplib %s: %s", command, err);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

/* A message file delivered into @maildir (a Maildir folder), as the
 * mail server's user. */
static void
deliver (const char *maildir,
         const char *subject,
         const char *body)
{
  static guint serial;
  g_autofree char *text = g_strdup_printf ("From: Pengirim <pengirim@example.test>\nTo: someone@example.test\n"
                                           "Subject: %s\nDate: Sat, 28 Nov 2026 01:%02u:00 +0000\n"
                                           "Message-ID: <%s.%u@deliver.test>\n\n%s\n",
                                           subject, serial % 60, stamp, serial, body);
  g_autofree char *name = g_strdup_printf ("%" G_GINT64_FORMAT ".M%uP%d.kurirapp",
                                           g_get_real_time () / G_USEC_PER_SEC, ++serial, (int) getpid ());

  kurir_app_test_write_maildir (maildir, name, text);
}

/* The position of the loaded message with @subject in the list, or -1. */
static int
find_subject (KurirWindow *window,
              const char  *subject)
{
  KurirMessageListModel *model = kurir_window_get_message_model (window);

  if (model == NULL || kurir_window_get_busy (window))
    return -1;
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (model)) && i < KURIR_MESSAGE_LIST_PAGE_SIZE; i++)
    {
      g_autoptr(KurirMessageItem) item = g_list_model_get_item (G_LIST_MODEL (model), i);
      KurirMessage *message = item ? kurir_message_item_get_message (item) : NULL;

      if (message != NULL && g_strcmp0 (kurir_message_get_subject (message), subject) == 0)
        return (int) i;
    }
  return -1;
}

static gboolean
shows_seen (KurirWindow *window,
            const char  *subject)
{
  int position = find_subject (window, subject);
  g_autoptr(KurirMessageItem) item = NULL;

  if (position < 0)
    return FALSE;
  item = g_list_model_get_item (G_LIST_MODEL (kurir_window_get_message_model (window)), (guint) position);
  return (kurir_message_get_flags (kurir_message_item_get_message (item)) & KURIR_MESSAGE_FLAG_SEEN) != 0;
}

static void
test_skipped (void)
{
  g_test_skip ("no test servers: run under tests/servers/with-servers");
}

/* The F5 sync over and the IDLE session up again. */
static gboolean
account_settled (KurirWindow *window,
                 const char  *name)
{
  KurirMailAccount *account = kurir_window_find_account (window, name);

  return account != NULL && kurir_mail_account_get_state (account) == KURIR_MAIL_ACCOUNT_IDLE &&
         kurir_mail_account_get_watching (account) && !kurir_window_get_busy (window);
}

static char *
subject_for (const char *what)
{
  return g_strdup_printf ("%s %s", what, stamp);
}

/* Tests */

/* The sidebar lists victor's folders from the server, the lists their
 * messages. */
static void
test_folders_and_messages (void)
{
  g_autofree char *inbox_subject = subject_for ("Masuk");
  g_autofree char *archive_subject = subject_for ("Arsip lama");
  KurirWindow *window = kurir_app_test_open_window (app, FALSE);
  KurirSidebar *sidebar = kurir_window_get_sidebar (window);

  WAIT_FOR (kurir_sidebar_select (sidebar, "victor", "Arsip"));
  WAIT_FOR (find_subject (window, archive_subject) >= 0);
  g_assert_cmpstr (kurir_message_list_model_get_folder (kurir_window_get_message_model (window)), ==, "Arsip");
  g_assert_cmpint (find_subject (window, inbox_subject), <, 0);

  g_assert_true (kurir_sidebar_select (sidebar, "victor", KURIR_STORE_INBOX));
  WAIT_FOR (find_subject (window, inbox_subject) >= 0);
  kurir_app_test_close_window (window);
}

/* Mark read in the window goes through the journal to the server: a
 * second connection sees \Seen. */
static void
test_mark_read_reaches_server (void)
{
  g_autofree char *subject = subject_for ("Tandai dibaca");
  g_autoptr(KurirJournal) journal = kurir_journal_new (store, "victor");
  KurirWindow *window = kurir_app_test_open_window (app, FALSE);
  int position;

  deliver (kurir_test_getenv ("KURIR_TEST_MAILDIR_VICTOR"), subject, "Baca aku.");
  g_assert_cmpint (run_imap_client ("seen", subject), ==, 3);

  WAIT_FOR (kurir_sidebar_select (kurir_window_get_sidebar (window), "victor", KURIR_STORE_INBOX));
  /* F5 brings it in. */
  g_action_group_activate_action (G_ACTION_GROUP (window), "refresh", NULL);
  WAIT_FOR (find_subject (window, subject) >= 0);
  WAIT_FOR (account_settled (window, "victor"));
  position = find_subject (window, subject);

  gtk_selection_model_select_item (kurir_window_get_selection (window), (guint) position, TRUE);
  g_action_group_activate_action (G_ACTION_GROUP (window), "mark-read", NULL);
  /* Shown at once... */
  WAIT_FOR (shows_seen (window, subject));
  /* ...then replayed in the background. */
  WAIT_FOR (kurir_journal_count_pending (journal) == 0);
  g_assert_cmpint (run_imap_client ("seen", subject), ==, 0);
  kurir_app_test_close_window (window);
}

/* Mail another client APPENDs while the window is open shows up without
 * a refresh: the IDLE session on INBOX. */
static void
test_idle_new_mail (void)
{
  g_autofree char *subject = subject_for ("Datang lewat IDLE");
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  KurirWindow *window;

  /* No check when the window opens, none by the timer: only IDLE. */
  g_settings_set_boolean (settings, "check-on-startup", FALSE);
  window = kurir_app_test_open_window (app, FALSE);
  WAIT_FOR (kurir_sidebar_select (kurir_window_get_sidebar (window), "victor", KURIR_STORE_INBOX));
  WAIT_FOR (!kurir_window_get_busy (window));
  /* The session is up and follows INBOX. */
  WAIT_FOR (kurir_window_find_account (window, "victor") != NULL &&
            kurir_mail_account_get_watching (kurir_window_find_account (window, "victor")));

  g_assert_cmpint (run_imap_client ("append", subject), ==, 0);
  WAIT_FOR (find_subject (window, subject) >= 0);

  kurir_app_test_close_window (window);
  g_settings_reset (settings, "check-on-startup");
}

/* All Inboxes has both judy's (POP3) and victor's (IMAP) mail. */
static void
test_unified_inbox (void)
{
  g_autofree char *pop3_subject = subject_for ("Lewat POP3");
  g_autofree char *imap_subject = subject_for ("Masuk");
  KurirWindow *window;

  deliver (kurir_test_getenv ("KURIR_TEST_MAILDIR_JUDY"), pop3_subject, "Dari judy.");
  window = kurir_app_test_open_window (app, FALSE);
  /* The window opens on All Inboxes. */
  WAIT_FOR (kurir_window_get_message_model (window) != NULL);
  g_assert_null (kurir_message_list_model_get_account (kurir_window_get_message_model (window)));
  g_assert_null (kurir_message_list_model_get_folder (kurir_window_get_message_model (window)));
  WAIT_FOR (            find_subject (window, pop3_subject) >= 0 && find_subject (window, imap_subject) >= 0);
  kurir_app_test_close_window (window);
}

/* Delete from the window moves the message to the Trash on the server. */
static void
test_delete_reaches_server (void)
{
  g_autofree char *subject = subject_for ("Hapus aku");
  g_autofree char *in_inbox = g_strdup_printf ("INBOX/%s", subject);
  g_autofree char *in_trash = g_strdup_printf ("Trash/%s", subject);
  g_autoptr(KurirJournal) journal = kurir_journal_new (store, "victor");
  KurirWindow *window = kurir_app_test_open_window (app, FALSE);

  deliver (kurir_test_getenv ("KURIR_TEST_MAILDIR_VICTOR"), subject, "Sampah.");
  WAIT_FOR (kurir_sidebar_select (kurir_window_get_sidebar (window), "victor", KURIR_STORE_INBOX));
  g_action_group_activate_action (G_ACTION_GROUP (window), "refresh", NULL);
  WAIT_FOR (find_subject (window, subject) >= 0);
  WAIT_FOR (account_settled (window, "victor"));
  g_assert_cmpint (run_imap_client ("in", in_inbox), ==, 0);

  gtk_selection_model_select_item (kurir_window_get_selection (window), (guint) find_subject (window, subject), TRUE);
  g_action_group_activate_action (G_ACTION_GROUP (window), "delete", NULL);
  /* Gone from the list at once, from the server's INBOX after the replay. */
  WAIT_FOR (!kurir_window_get_busy (window) && find_subject (window, subject) < 0);
  WAIT_FOR (kurir_journal_count_pending (journal) == 0);
  g_assert_cmpint (run_imap_client ("in", in_inbox), ==, 3);
  g_assert_cmpint (run_imap_client ("in", in_trash), ==, 0);
  kurir_app_test_close_window (window);
}

/* The server drops the IDLE session: the watch comes back by itself
 * (after its backoff) and new mail shows again. */
static void
test_idle_reconnects (void)
{
  g_autofree char *subject = subject_for ("Setelah putus");
  g_autofree char *kick = g_strconcat (kurir_test_getenv ("KURIR_TEST_DOVEADM"), " kick victor", NULL);
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(GError) error = NULL;
  KurirMailAccount *account;
  KurirWindow *window;
  int status = 0;

  g_settings_set_boolean (settings, "check-on-startup", FALSE);
  window = kurir_app_test_open_window (app, FALSE);
  WAIT_FOR (kurir_sidebar_select (kurir_window_get_sidebar (window), "victor", KURIR_STORE_INBOX));
  WAIT_FOR ((account = kurir_window_find_account (window, "victor")) != NULL &&
            kurir_mail_account_get_watching (account));

  g_assert_true (g_spawn_command_line_sync (kick, NULL, NULL, &status, &error));
  g_assert_no_error (error);
  WAIT_FOR (!kurir_mail_account_get_watching (account));
  WAIT_FOR (kurir_mail_account_get_watching (account));

  g_assert_cmpint (run_imap_client ("append", subject), ==, 0);
  WAIT_FOR (find_subject (window, subject) >= 0);
  kurir_app_test_close_window (window);
  g_settings_reset (settings, "check-on-startup");
}

/* A server that cannot be reached: the account says offline, in words,
 * and the retry is there. */
static void
test_offline_state (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(KurirAccount) account = kurir_account_new ("nowhere");
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  KurirMailAccount *mail_account;
  KurirWindow *window;

  /* A port nobody listens on. */
  g_assert_true (g_socket_bind (socket, any, TRUE, &error));
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  kurir_account_set_email (account, "nowhere@example.test");
  kurir_account_set_protocol (account, KURIR_PROTOCOL_IMAP);
  kurir_account_set_host (account, "127.0.0.1");
  kurir_account_set_port (account, g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  kurir_account_set_security (account, KURIR_SECURITY_TLS);
  kurir_account_set_user (account, "nowhere");
  g_assert_true (kurir_account_save (account, &error));
  g_assert_no_error (error);
  kurir_secret_store_async ("nowhere", KURIR_PROTOCOL_IMAP, "127.0.0.1", "nowhere", "pw", TRUE, NULL,
                            kurir_test_store_result, &result);
  g_assert_true (kurir_secret_store_finish (kurir_test_wait (&result), &error));
  g_assert_no_error (error);
  g_socket_close (socket, NULL);

  window = kurir_app_test_open_window (app, FALSE);
  WAIT_FOR ((mail_account = kurir_window_find_account (window, "nowhere")) != NULL &&
            kurir_mail_account_get_state (mail_account) == KURIR_MAIL_ACCOUNT_OFFLINE);
  g_assert_nonnull (kurir_mail_account_get_message (mail_account));
  g_assert_false (kurir_mail_account_get_watching (mail_account));
  /* The retry of the sidebar. */
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "sync-account"));
  g_action_group_activate_action (G_ACTION_GROUP (window), "sync-account", g_variant_new_string ("nowhere"));
  g_assert_cmpint (kurir_mail_account_get_state (mail_account), ==, KURIR_MAIL_ACCOUNT_SYNCING);
  WAIT_FOR (kurir_mail_account_get_state (mail_account) == KURIR_MAIL_ACCOUNT_OFFLINE);
  kurir_app_test_close_window (window);

  g_assert_true (kurir_account_delete ("nowhere", &error));
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

  home = kurir_app_test_make_home ("imap");

  g_test_init (&argc, &argv, NULL);

  if (g_getenv ("KURIR_TEST_IMAPS_PORT") == NULL)
    {
      g_test_add_func ("/app/imap/skipped", test_skipped);
      return g_test_run ();
    }
  kurir_app_test_init_gtk ();
  /* The test session bus has no notification server, and GIO warns
   * (fatally in tests) when a notification finds nobody to show it. */
  settings = g_settings_new (APP_ID);
  g_settings_set_boolean (settings, "notifications", FALSE);

  stamp = g_strdup_printf ("%" G_GINT64_FORMAT "-%d", g_get_real_time (), (int) getpid ());
  store = kurir_store_open (NULL, &error);
  g_assert_no_error (error);

  /* victor's mail on the server: INBOX and a folder of its own. */
  {
    const char *maildir = kurir_test_getenv ("KURIR_TEST_MAILDIR_VICTOR");
    g_autofree char *archive = g_build_filename (maildir, ".Arsip", NULL);
    g_autofree char *inbox_subject = subject_for ("Masuk");
    g_autofree char *archive_subject = subject_for ("Arsip lama");

    deliver (maildir, inbox_subject, "Halo victor.");
    deliver (archive, archive_subject, "Disimpan.");
  }
  kurir_app_test_add_server_account ("victor", KURIR_PROTOCOL_IMAP,
                                     "KURIR_TEST_IMAPS_PORT", "KURIR_TEST_PASSWORD_VICTOR");
  kurir_app_test_add_server_account ("judy", KURIR_PROTOCOL_POP3,
                                     "KURIR_TEST_POP3S_PORT", "KURIR_TEST_PASSWORD_JUDY");

  app = kurir_app_test_new_application (APP_ID);

  g_test_add_func ("/app/imap/folders-and-messages", test_folders_and_messages);
  g_test_add_func ("/app/imap/mark-read-reaches-server", test_mark_read_reaches_server);
  g_test_add_func ("/app/imap/idle-new-mail", test_idle_new_mail);
  g_test_add_func ("/app/imap/unified-inbox", test_unified_inbox);
  g_test_add_func ("/app/imap/delete-reaches-server", test_delete_reaches_server);
  g_test_add_func ("/app/imap/idle-reconnects", test_idle_reconnects);
  g_test_add_func ("/app/imap/offline-state", test_offline_state);

  ret = g_test_run ();
  g_settings_reset (settings, "notifications");
  g_clear_object (&app);
  g_clear_object (&store);
  g_free (stamp);

  kurir_app_test_remove_tree (home);
  return ret;
}
