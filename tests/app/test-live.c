/* test-live.c: conversations, new-mail notifications and removing an
 * account's mail, in the main window
 *
 * walter is an IMAP account (implicit TLS) of the test Dovecot: a thread
 * of three messages is delivered into his Maildir, the window syncs it and
 * groups it; mail APPENDed by a second client (Python's imaplib) while the
 * window follows INBOX with IDLE raises a notification, which a fake
 * org.freedesktop.Notifications service on the test's private session bus
 * (python3-gi, a process of its own) records. Local accounts, with mail put
 * in the store directly, are removed with and without their mail. Every
 * wait is for a condition, with a timeout.
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
#include "kurir-message-list-model.h"
#include "kurir-message-window.h"
#include "kurir-secret.h"
#include "kurir-sidebar.h"
#include "kurir-store.h"
#include "kurir-test-util.h"
#include "kurir-thread-view.h"
#include "kurir-window.h"

#define WAIT_SECONDS 60

#include "kurir-app-test.h"

static KurirApplication *app;
static KurirStore *store;
static char *stamp;   /* makes this run's subjects unique on the shared server */
static guint serial;

/* APPENDs an unread message with subject argv[1] to walter's INBOX; the
 * password comes in the environment, never on the command line. */
static const char imap_append[] =
  "import imaplib, os, ssl, sys, time\n"
  "ctx = ssl.create_default_context(cafile=os.environ['KURIR_TEST_CA'])\n"
  "m = imaplib.IMAP4_SSL(os.environ['KURIR_TEST_HOST'], int(os.environ['KURIR_TEST_IMAPS_PORT']), ssl_context=ctx)\n"
  "m.login('walter', os.environ['KURIR_TEST_PASSWORD_WALTER'])\n"
  "msg = ('From: Pengabar <pengabar@example.test>\\r\\nTo: walter@example.test\\r\\nSubject: %s\\r\\n'\n"
  "       'Date: Sat, 28 Nov 2026 03:00:00 +0000\\r\\nMessage-ID: <%s@imaplib.test>\\r\\n\\r\\nKabar baru.\\r\\n'\n"
  "       % (sys.argv[1], time.time()))\n"
  "typ, _ = m.append('INBOX', None, None, msg.encode())\n"
  "sys.exit(0 if typ == 'OK' else 1)\n";

/* A notification server that prints each Notify call as a line:
 * NOTIFY <tab> id <tab> summary <tab> body <tab> actions; "invoke ID" on
 * its stdin clicks notification ID (ActionInvoked "default"). */
static const char notification_server[] =
  "import sys\n"
  "from gi.repository import Gio, GLib\n"
  "xml = '''<node><interface name='org.freedesktop.Notifications'>\n"
  "<method name='Notify'><arg type='s' direction='in'/><arg type='u' direction='in'/>\n"
  "<arg type='s' direction='in'/><arg type='s' direction='in'/><arg type='s' direction='in'/>\n"
  "<arg type='as' direction='in'/><arg type='a{sv}' direction='in'/><arg type='i' direction='in'/>\n"
  "<arg type='u' direction='out'/></method>\n"
  "<method name='CloseNotification'><arg type='u' direction='in'/></method>\n"
  "<method name='GetCapabilities'><arg type='as' direction='out'/></method>\n"
  "<method name='GetServerInformation'><arg type='s' direction='out'/><arg type='s' direction='out'/>\n"
  "<arg type='s' direction='out'/><arg type='s' direction='out'/></method>\n"
  "<signal name='ActionInvoked'><arg type='u'/><arg type='s'/></signal>\n"
  "<signal name='NotificationClosed'><arg type='u'/><arg type='u'/></signal>\n"
  "</interface></node>'''\n"
  "iface = Gio.DBusNodeInfo.new_for_xml(xml).interfaces[0]\n"
  "count = [0]\n"
  "def call(conn, sender, path, name, method, params, inv):\n"
  "    if method == 'Notify':\n"
  "        count[0] += 1\n"
  "        a = params.unpack()\n"
  "        print('NOTIFY\\t%d\\t%s\\t%s\\t%s' % (count[0], a[3], a[4].replace('\\n', ' '), ','.join(a[5])), flush=True)\n"
  "        inv.return_value(GLib.Variant('(u)', (count[0],)))\n"
  "    elif method == 'GetCapabilities':\n"
  "        inv.return_value(GLib.Variant('(as)', (['body', 'actions'],)))\n"
  "    elif method == 'GetServerInformation':\n"
  "        inv.return_value(GLib.Variant('(ssss)', ('fake', 'kurir-tests', '1', '1.2')))\n"
  "    else:\n"
  "        inv.return_value(None)\n"
  "def bus(conn, name):\n"
  "    conn.register_object('/org/freedesktop/Notifications', iface, call, None, None)\n"
  "def acquired(conn, name):\n"
  "    print('READY', flush=True)\n"
  "def lost(conn, name):\n"
  "    print('LOST', flush=True)\n"
  "    sys.exit(1)\n"
  "Gio.bus_own_name(Gio.BusType.SESSION, 'org.freedesktop.Notifications', Gio.BusNameOwnerFlags.NONE, bus, acquired, lost)\n"
  "loop = GLib.MainLoop()\n"
  "def command(channel, condition):\n"
  "    line = sys.stdin.readline()\n"
  "    if not line:\n"
  "        loop.quit()\n"
  "        return False\n"
  "    word, nid = line.split()\n"
  "    Gio.bus_get_sync(Gio.BusType.SESSION, None).emit_signal(None, '/org/freedesktop/Notifications',\n"
  "        'org.freedesktop.Notifications', 'ActionInvoked', GLib.Variant('(us)', (int(nid), 'default')))\n"
  "    return True\n"
  "GLib.io_add_watch(GLib.IOChannel.unix_new(0), GLib.PRIORITY_DEFAULT, GLib.IO_IN | GLib.IO_HUP, command)\n"
  "loop.run()\n";

typedef struct
{
  GSubprocess      *process;
  GDataInputStream *out;
  GPtrArray        *lines;   /* NOTIFY lines, split at tabs */
  gboolean          ready;
  gboolean          ended;
} FakeServer;

static FakeServer notifications;

/* Helpers */

static void
read_line_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  FakeServer *server = user_data;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result,
                                                                    NULL, NULL);

  if (line == NULL)
    {
      server->ended = TRUE;
      return;
    }
  if (g_str_equal (line, "READY"))
    server->ready = TRUE;
  else if (g_str_has_prefix (line, "NOTIFY\t"))
    g_ptr_array_add (server->lines, g_strsplit (line, "\t", 5));
  else
    g_test_message ("notification server: %s", line);
  g_data_input_stream_read_line_async (server->out, G_PRIORITY_DEFAULT, NULL, read_line_cb, server);
}

static void
start_notification_server (void)
{
  const char *argv[] = { "/usr/bin/python3", "-c", notification_server, NULL };
  g_autoptr(GError) error = NULL;

  notifications.lines = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  notifications.process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                                             &error);
  g_assert_no_error (error);
  notifications.out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (notifications.process));
  g_data_input_stream_read_line_async (notifications.out, G_PRIORITY_DEFAULT, NULL, read_line_cb, &notifications);
  WAIT_FOR (notifications.ready || notifications.ended);
  g_assert_true (notifications.ready);
}

static void
stop_notification_server (void)
{
  if (notifications.process == NULL)
    return;
  g_output_stream_close (g_subprocess_get_stdin_pipe (notifications.process), NULL, NULL);
  g_subprocess_wait (notifications.process, NULL, NULL);
  WAIT_FOR (notifications.ended);
  g_clear_object (&notifications.out);
  g_clear_object (&notifications.process);
  g_clear_pointer (&notifications.lines, g_ptr_array_unref);
}

static const char *
notify_field (guint index,
              guint field)
{
  char **line = g_ptr_array_index (notifications.lines, index);

  return line[field];
}

static void
append_to_server (const char *subject)
{
  const char *argv[] = { "/usr/bin/python3", "-c", imap_append, subject, NULL };
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL,
                               &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

/* A message file delivered into @maildir, as the mail server's user. */
static void
deliver (const char *maildir,
         const char *text)
{
  g_autofree char *name = g_strdup_printf ("%" G_GINT64_FORMAT ".M%uP%d.kurirlive",
                                           g_get_real_time () / G_USEC_PER_SEC, ++serial, (int) getpid ());

  kurir_app_test_write_maildir (maildir, name, text);
}

/* One message of a conversation: @n its place, @parent the one it answers (0: none). */
static void
deliver_in_thread (const char *maildir,
                   const char *subject,
                   guint       n,
                   guint       parent)
{
  g_autofree char *refs = parent ? g_strdup_printf ("In-Reply-To: <thread%u.%s@live.test>\n"
                                                    "References: <thread1.%s@live.test>\n",
                                                    parent, stamp, stamp)
                                 : g_strdup ("");
  g_autofree char *text = g_strdup_printf ("From: %s <%s@example.test>\nTo: walter@example.test\n"
                                           "Subject: %s%s\nDate: Sat, 28 Nov 2026 0%u:00:00 +0000\n"
                                           "Message-ID: <thread%u.%s@live.test>\n%s\nPesan %u.\n",
                                           n == 2 ? "Dua" : "Satu", n == 2 ? "dua" : "satu",
                                           parent ? "Re: " : "", subject, n,
                                           n, stamp, refs, n);
  deliver (maildir, text);
}

static void
add_imap_account (const char *name)
{
  g_autofree char *variable = g_ascii_strup (name, -1);
  g_autofree char *password_variable = g_strconcat ("KURIR_TEST_PASSWORD_", variable, NULL);

  kurir_app_test_add_server_account (name, KURIR_PROTOCOL_IMAP, "KURIR_TEST_IMAPS_PORT", password_variable);
}

static char *
add_local_account (const char *prefix)
{
  return kurir_app_test_add_local_account (prefix, &serial);
}

static gint64
add_message (const char *account,
             const char *subject)
{
  g_autofree char *text = g_strdup_printf ("From: Lokal <lokal@example.co.id>\r\nTo: %s@example.co.id\r\n"
                                           "Subject: %s\r\nDate: Sat, 28 Nov 2026 04:00:00 +0000\r\n"
                                           "Message-ID: <%s.%u@local.test>\r\n\r\nIsi.\r\n",
                                           account, subject, account, ++serial);
  g_autoptr(GBytes) data = g_bytes_new (text, strlen (text));
  g_autoptr(GError) error = NULL;
  gint64 id = kurir_store_add (store, account, KURIR_STORE_INBOX, data, NULL, 0, 0, &error);

  g_assert_no_error (error);
  return id;
}

static void
close_windows (void)
{
  GList *windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (app)));

  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_destroy (GTK_WINDOW (l->data));
  g_list_free (windows);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static gboolean
account_settled (KurirWindow *window,
                 const char  *name)
{
  KurirMailAccount *account = kurir_window_find_account (window, name);

  return account != NULL && kurir_mail_account_get_state (account) == KURIR_MAIL_ACCOUNT_IDLE &&
         kurir_mail_account_get_watching (account) && !kurir_window_get_busy (window);
}

/* The row whose (newest) message has @subject, or -1. */
static int
find_subject (KurirWindow *window,
              const char  *subject)
{
  KurirMessageListModel *model = kurir_window_get_message_model (window);

  if (model == NULL || !kurir_app_test_list_ready (window))
    return -1;
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (model)) && i < KURIR_MESSAGE_LIST_PAGE_SIZE; i++)
    {
      KurirMessage *message = kurir_message_list_model_peek (model, i);

      if (message != NULL && g_strcmp0 (kurir_message_get_subject (message), subject) == 0)
        return (int) i;
    }
  return -1;
}

static gboolean
sidebar_shows (KurirWindow *window,
               const char  *line)
{
  g_autofree char *text = kurir_sidebar_describe (kurir_window_get_sidebar (window));
  g_autofree char *with_newline = g_strconcat (line, "\n", NULL);

  return strstr (text, with_newline) != NULL;
}

/* The unread count beside All Inboxes in the sidebar. */
static guint
all_inboxes_unread (KurirWindow *window)
{
  g_autofree char *text = kurir_sidebar_describe (kurir_window_get_sidebar (window));
  const char *line = strstr (text, "All Inboxes");

  g_assert_nonnull (line);
  line += strlen ("All Inboxes");
  return *line == ' ' ? (guint) g_ascii_strtoull (line + 1, NULL, 10) : 0;
}

static AdwMessageDialog *
find_message_dialog (void)
{
  return kurir_app_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
}

static KurirMessageWindow *
find_message_window (void)
{
  return kurir_app_test_find_window (app, KURIR_TYPE_MESSAGE_WINDOW);
}

static gboolean
message_window_shows (const char *subject)
{
  KurirMessageWindow *window = find_message_window ();
  KurirMessage *message = window ? kurir_reader_get_message (kurir_message_window_get_reader (window)) : NULL;

  return message != NULL && g_strcmp0 (kurir_message_get_subject (message), subject) == 0;
}

static KurirMessageFlags
stored_flags (gint64 id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KurirMessage) message = kurir_store_get_message (store, id, &error);

  g_assert_no_error (error);
  return kurir_message_get_flags (message);
}

static gint64
count_inbox (const char *account)
{
  g_autoptr(GError) error = NULL;
  gint64 n = kurir_store_count (store, account, KURIR_STORE_INBOX, &error);

  g_assert_no_error (error);
  return n;
}

static void
count_synced_cb (guint *count)
{
  (*count)++;
}

static void
test_skipped (void)
{
  g_test_skip ("no test servers: run under tests/servers/with-servers");
}

/* Tests */

/* Three messages of one conversation synced from Dovecot: one row with a
 * count of 3 in conversation mode, its three messages in order when it is
 * selected; the flat list again when the mode is off. */
static void
test_conversation (void)
{
  g_autofree char *subject = g_strdup_printf ("Rapat %s", stamp);
  g_autofree char *reply = g_strdup_printf ("Re: %s", subject);
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  const char *maildir = kurir_test_getenv ("KURIR_TEST_MAILDIR_WALTER");
  KurirWindow *window;
  KurirThreadView *view;
  KurirMessageListModel *model;
  g_autoptr(KurirMessageItem) item = NULL;
  const KurirStoreThread *thread;
  int position;

  deliver_in_thread (maildir, subject, 1, 0);
  deliver_in_thread (maildir, subject, 2, 1);
  deliver_in_thread (maildir, subject, 3, 2);

  window = kurir_app_test_open_window (app, FALSE);
  WAIT_FOR (kurir_sidebar_select (kurir_window_get_sidebar (window), "walter", KURIR_STORE_INBOX));
  g_action_group_activate_action (G_ACTION_GROUP (window), "refresh", NULL);
  WAIT_FOR (account_settled (window, "walter") && find_subject (window, reply) >= 0);
  /* Flat: the three of them. */
  g_assert_cmpint (find_subject (window, subject), >=, 0);
  g_assert_false (g_variant_get_boolean (g_action_group_get_action_state (G_ACTION_GROUP (window), "conversations")));

  g_action_group_change_action_state (G_ACTION_GROUP (window), "conversations", g_variant_new_boolean (TRUE));
  g_assert_true (g_settings_get_boolean (settings, "conversation-view"));
  WAIT_FOR (kurir_message_list_model_get_threads (kurir_window_get_message_model (window)) &&
            find_subject (window, reply) >= 0);
  model = kurir_window_get_message_model (window);
  /* One row: the newest message stands for it, the first no more. */
  g_assert_cmpint (find_subject (window, subject), <, 0);
  position = find_subject (window, reply);
  item = g_list_model_get_item (G_LIST_MODEL (model), (guint) position);
  thread = kurir_message_item_get_thread (item);
  g_assert_nonnull (thread);
  g_assert_cmpuint (thread->n_messages, ==, 3);
  g_assert_cmpuint (thread->n_unread, ==, 3);
  g_assert_cmpstr (thread->senders[0], !=, NULL);
  g_assert_cmpstr (thread->senders[1], !=, NULL);
  g_assert_null (thread->senders[2]);   /* Satu and Dua: two people */

  /* Selected: its three messages in order, the first unread one read. */
  view = kurir_window_get_thread_view (window);
  gtk_selection_model_select_item (kurir_window_get_selection (window), (guint) position, TRUE);
  WAIT_FOR (kurir_thread_view_get_n_messages (view) == 3 &&
            kurir_reader_get_message (kurir_window_get_reader (window)) != NULL);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (view)));
  g_assert_cmpstr (kurir_message_get_subject (kurir_thread_view_get_message (view, 0)), ==, subject);
  g_assert_cmpstr (kurir_message_get_subject (kurir_thread_view_get_message (view, 1)), ==, reply);
  g_assert_cmpint (kurir_message_get_date (kurir_thread_view_get_message (view, 0)), <,
                   kurir_message_get_date (kurir_thread_view_get_message (view, 2)));
  g_assert_true (kurir_reader_get_message (kurir_window_get_reader (window)) == kurir_thread_view_get_message (view, 0));
  /* Another of them in the reader. */
  kurir_thread_view_select (view, 2);
  WAIT_FOR (kurir_reader_get_message (kurir_window_get_reader (window)) == kurir_thread_view_get_message (view, 2));
  /* The actions take the message read, not the conversation's newest. */
  {
    gint64 shown = kurir_message_get_id (kurir_thread_view_get_message (view, 1));
    gint64 newest = kurir_message_get_id (kurir_thread_view_get_message (view, 2));

    kurir_thread_view_select (view, 1);
    WAIT_FOR (kurir_reader_get_message (kurir_window_get_reader (window)) == kurir_thread_view_get_message (view, 1));
    g_action_group_activate_action (G_ACTION_GROUP (window), "toggle-flag", NULL);
    WAIT_FOR (stored_flags (shown) & KURIR_MESSAGE_FLAG_FLAGGED);
    g_assert_false (stored_flags (newest) & KURIR_MESSAGE_FLAG_FLAGGED);
  }

  /* Off: the flat list, and the setting with it. */
  g_action_group_change_action_state (G_ACTION_GROUP (window), "conversations", g_variant_new_boolean (FALSE));
  WAIT_FOR (!kurir_message_list_model_get_threads (kurir_window_get_message_model (window)) &&
            find_subject (window, subject) >= 0);
  g_assert_false (g_settings_get_boolean (settings, "conversation-view"));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (view)));
  close_windows ();
}

/* New mail by IDLE while another folder is shown: one notification, its
 * summary and body, a click opens the message; none with the setting off. */
static void
test_notification (void)
{
  g_autofree char *first = g_strdup_printf ("Kabar pertama %s", stamp);
  g_autofree char *muted = g_strdup_printf ("Kabar senyap %s", stamp);
  g_autofree char *last = g_strdup_printf ("Kabar terakhir %s", stamp);
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  KurirWindow *window;
  gint64 before;
  guint synced;

  g_settings_set_boolean (settings, "check-on-startup", FALSE);
  g_settings_set_boolean (settings, "notifications", TRUE);
  window = kurir_app_test_open_window (app, FALSE);
  /* Looking at another folder, so INBOX's news is news. */
  WAIT_FOR (kurir_sidebar_select (kurir_window_get_sidebar (window), "walter", "Lain"));
  g_action_group_activate_action (G_ACTION_GROUP (window), "refresh", NULL);
  WAIT_FOR (account_settled (window, "walter"));
  g_assert_cmpuint (notifications.lines->len, ==, 0);

  append_to_server (first);
  WAIT_FOR (notifications.lines->len >= 1);
  g_assert_cmpstr (notify_field (0, 2), ==, "1 new message");
  g_assert_nonnull (strstr (notify_field (0, 3), first));
  g_assert_nonnull (strstr (notify_field (0, 3), "Pengabar"));
  g_assert_nonnull (strstr (notify_field (0, 4), "default"));

  /* The click opens that message. */
  {
    g_autofree char *command = g_strdup_printf ("invoke %s\n", notify_field (0, 1));
    g_assert_true (g_output_stream_write_all (g_subprocess_get_stdin_pipe (notifications.process),
                                              command, strlen (command), NULL, NULL, NULL));
  }
  WAIT_FOR (message_window_shows (first));

  /* Off: the mail comes, no notification. */
  g_settings_set_boolean (settings, "notifications", FALSE);
  WAIT_FOR (account_settled (window, "walter"));
  before = count_inbox ("walter");
  synced = 0;
  g_signal_connect_swapped (kurir_window_find_account (window, "walter"), "synced",
                            G_CALLBACK (count_synced_cb), &synced);
  append_to_server (muted);
  /* The window heard of it (its handler runs before ours) and let it be. */
  WAIT_FOR (count_inbox ("walter") == before + 1 && synced > 0 && account_settled (window, "walter"));

  /* On again: the next one is the second notification, about it alone. */
  g_settings_set_boolean (settings, "notifications", TRUE);
  append_to_server (last);
  WAIT_FOR (notifications.lines->len >= 2);
  WAIT_FOR (account_settled (window, "walter"));
  g_assert_cmpuint (notifications.lines->len, ==, 2);
  g_assert_cmpstr (notify_field (1, 2), ==, "1 new message");
  g_assert_nonnull (strstr (notify_field (1, 3), last));

  close_windows ();
  g_settings_reset (settings, "check-on-startup");
}

/* Remove and delete the mail: gone from All Inboxes and the store; remove
 * and keep it: gone from All Inboxes, readable under "Local mail of". */
static void
test_remove_account_mail (void)
{
  g_autofree char *deleted = add_local_account ("Hapus");
  g_autofree char *kept = add_local_account ("Simpan");
  g_autofree char *stays = add_local_account ("Tinggal");
  g_autofree char *kept_header = g_strdup_printf ("> %s", kept);
  g_autofree char *kept_account = g_strdup_printf ("# %s", kept);
  g_autofree char *deleted_account = g_strdup_printf ("# %s", deleted);
  gint64 deleted_id = add_message (deleted, "Akan dihapus");
  gint64 kept_id = add_message (kept, "Akan disimpan");
  gint64 stays_id = add_message (stays, "Tetap di sini");
  g_autoptr(GPtrArray) folders = NULL;
  g_autoptr(GError) error = NULL;
  KurirMessageListModel *model;
  AdwMessageDialog *dialog;
  KurirWindow *window;
  guint unread;

  window = kurir_app_test_open_window (app, FALSE);
  WAIT_FOR (kurir_app_test_list_ready (window) && sidebar_shows (window, kept_account) &&
            kurir_message_list_model_get_account (kurir_window_get_message_model (window)) == NULL &&
            kurir_message_list_model_find (kurir_window_get_message_model (window), deleted_id) != G_MAXUINT &&
            kurir_message_list_model_find (kurir_window_get_message_model (window), kept_id) != G_MAXUINT);

  unread = all_inboxes_unread (window);
  g_assert_cmpuint (unread, >=, 3);
  g_action_group_activate_action (G_ACTION_GROUP (window), "remove-account", g_variant_new_string (deleted));
  WAIT_FOR (find_message_dialog () != NULL);
  dialog = find_message_dialog ();
  g_assert_true (adw_message_dialog_has_response (dialog, "remove-mail"));
  adw_message_dialog_response (dialog, "remove-mail");
  gtk_window_close (GTK_WINDOW (dialog));
  model = kurir_window_get_message_model (window);
  WAIT_FOR (kurir_window_find_account (window, deleted) == NULL && kurir_app_test_list_ready (window) &&
            kurir_message_list_model_find (kurir_window_get_message_model (window), deleted_id) == G_MAXUINT);
  g_assert_true (model == kurir_window_get_message_model (window));   /* All Inboxes, refreshed */
  g_assert_cmpuint (kurir_message_list_model_find (model, stays_id), !=, G_MAXUINT);
  folders = kurir_store_list_folders (store, deleted, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (folders->len, ==, 0);
  WAIT_FOR (!sidebar_shows (window, deleted_account) && all_inboxes_unread (window) == unread - 1);

  g_action_group_activate_action (G_ACTION_GROUP (window), "remove-account", g_variant_new_string (kept));
  WAIT_FOR (find_message_dialog () != NULL);
  dialog = find_message_dialog ();
  adw_message_dialog_response (dialog, "remove");
  gtk_window_close (GTK_WINDOW (dialog));
  WAIT_FOR (kurir_window_find_account (window, kept) == NULL && kurir_app_test_list_ready (window) &&
            kurir_message_list_model_find (kurir_window_get_message_model (window), kept_id) == G_MAXUINT);
  WAIT_FOR (sidebar_shows (window, kept_header) && !sidebar_shows (window, kept_account) && all_inboxes_unread (window) == unread - 2);
  g_assert_cmpint (count_inbox (kept), ==, 0);
  /* Readable where it was kept. */
  g_assert_true (kurir_sidebar_select (kurir_window_get_sidebar (window), kept, KURIR_SIDEBAR_KEPT_INBOX));
  WAIT_FOR (kurir_app_test_list_ready (window) &&
            g_list_model_get_n_items (G_LIST_MODEL (kurir_window_get_message_model (window))) == 1);
  g_assert_cmpstr (kurir_message_get_subject (kurir_message_list_model_peek (kurir_window_get_message_model (window), 0)),
                   ==, "Akan disimpan");

  close_windows ();
  g_assert_true (kurir_account_delete (stays, &error));
  g_assert_no_error (error);
}

/* @n unread messages, each a conversation of its own, in @account's INBOX. */
static void
add_many (const char *account,
          guint       n)
{
  g_autofree KurirStoreNewMessage *batch = g_new0 (KurirStoreNewMessage, n);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < n; i++)
    {
      char *text = g_strdup_printf ("From: Banyak <banyak@example.co.id>\r\nTo: %s@example.co.id\r\n"
                                    "Subject: Banyak %u\r\nDate: Sat, 28 Nov 2026 %02u:%02u:00 +0000\r\n"
                                    "Message-ID: <banyak%u.%s@local.test>\r\n\r\nIsi.\r\n",
                                    account, i, i / 60 % 24, i % 60, i, account);

      batch[i].data = g_bytes_new_take (text, strlen (text));
    }
  kurir_store_add_batch (store, account, KURIR_STORE_INBOX, batch, n, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < n; i++)
    g_bytes_unref (batch[i].data);
}

static guint
count_with_flag (const char        *account,
                 KurirMessageFlags  flag)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) messages = kurir_store_list (store, account, KURIR_STORE_INBOX, 0, G_MAXINT, &error);
  guint n = 0;

  g_assert_no_error (error);
  for (guint i = 0; i < messages->len; i++)
    n += (kurir_message_get_flags (g_ptr_array_index (messages, i)) & flag) != 0;
  return n;
}

/* Select all in a folder longer than the pages in memory: mark read acts
 * on every message, not only the loaded rows; in conversation mode flag
 * acts on every conversation's message. */
static void
test_select_all (void)
{
  const guint n = 3 * KURIR_MESSAGE_LIST_PAGE_SIZE + 17;
  g_autofree char *name = add_local_account ("Semua");
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(GError) error = NULL;
  KurirMessageListModel *model;
  KurirWindow *window;

  add_many (name, n);
  g_assert_cmpuint (count_with_flag (name, KURIR_MESSAGE_FLAG_SEEN), ==, 0);
  window = kurir_app_test_open_window (app, FALSE);
  WAIT_FOR (kurir_sidebar_select (kurir_window_get_sidebar (window), name, KURIR_STORE_INBOX));
  WAIT_FOR (kurir_app_test_list_ready (window) &&
            g_strcmp0 (kurir_message_list_model_get_account (kurir_window_get_message_model (window)), name) == 0 &&
            g_list_model_get_n_items (G_LIST_MODEL (kurir_window_get_message_model (window))) == n);
  model = kurir_window_get_message_model (window);
  g_assert_cmpuint (kurir_message_list_model_get_n_loaded (model), <, n);

  gtk_selection_model_select_all (kurir_window_get_selection (window));
  g_action_group_activate_action (G_ACTION_GROUP (window), "mark-read", NULL);
  WAIT_FOR (count_with_flag (name, KURIR_MESSAGE_FLAG_SEEN) == n);

  /* Conversations: one row each, and the same for them. */
  g_action_group_change_action_state (G_ACTION_GROUP (window), "conversations", g_variant_new_boolean (TRUE));
  WAIT_FOR (kurir_message_list_model_get_threads (kurir_window_get_message_model (window)) &&
            kurir_app_test_list_ready (window) &&
            g_list_model_get_n_items (G_LIST_MODEL (kurir_window_get_message_model (window))) == n);
  model = kurir_window_get_message_model (window);
  g_assert_cmpuint (kurir_message_list_model_get_n_loaded (model), <, n);
  gtk_selection_model_select_all (kurir_window_get_selection (window));
  g_action_group_activate_action (G_ACTION_GROUP (window), "toggle-flag", NULL);
  WAIT_FOR (count_with_flag (name, KURIR_MESSAGE_FLAG_FLAGGED) == n);

  g_action_group_change_action_state (G_ACTION_GROUP (window), "conversations", g_variant_new_boolean (FALSE));
  g_assert_false (g_settings_get_boolean (settings, "conversation-view"));
  close_windows ();
  g_assert_true (kurir_account_delete (name, &error));
  g_assert_no_error (error);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *home = NULL;
  g_autoptr(GError) error = NULL;
  int ret;

  home = kurir_app_test_make_home ("live");

  g_test_init (&argc, &argv, NULL);

  if (g_getenv ("KURIR_TEST_IMAPS_PORT") == NULL || g_getenv ("KURIR_TEST_PASSWORD_WALTER") == NULL)
    {
      g_test_add_func ("/app/live/skipped", test_skipped);
      return g_test_run ();
    }
  kurir_app_test_init_gtk ();
  /* Before the application sends anything: GIO picks its notification
   * backend at the first notification. */
  start_notification_server ();

  stamp = g_strdup_printf ("%" G_GINT64_FORMAT "-%d", g_get_real_time (), (int) getpid ());
  store = kurir_store_open (NULL, &error);
  g_assert_no_error (error);

  {
    const char *maildir = kurir_test_getenv ("KURIR_TEST_MAILDIR_WALTER");
    g_autofree char *other = g_build_filename (maildir, ".Lain", NULL);
    g_autofree char *text = g_strdup_printf ("From: Lain <lain@example.test>\nSubject: Lain %s\n"
                                             "Message-ID: <lain.%s@live.test>\n\nLain.\n", stamp, stamp);

    deliver (other, text);
  }
  add_imap_account ("walter");

  app = kurir_app_test_new_application (APP_ID);

  g_test_add_func ("/app/live/conversation", test_conversation);
  g_test_add_func ("/app/live/notification", test_notification);
  g_test_add_func ("/app/live/remove-account-mail", test_remove_account_mail);
  g_test_add_func ("/app/live/select-all", test_select_all);

  ret = g_test_run ();
  g_clear_object (&app);
  g_clear_object (&store);
  stop_notification_server ();
  g_free (stamp);

  kurir_app_test_remove_tree (home);
  return ret;
}
