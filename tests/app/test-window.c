/* test-window.c: the main window under a real X server (Xvfb)
 *
 * Accounts are written with the core API and their mail put in the store
 * the app reads (our own XDG folders); the window is driven through its
 * GActions and public getters, and every wait is for an event or a
 * condition, with a timeout.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE
#include "config.h"

#include <adwaita.h>
#include <ftw.h>
#include <stdio.h>
#include <unistd.h>
#if HAVE_WEBKIT
#include <webkit/webkit.h>
#endif

#include "kurir-account.h"
#include "kurir-application.h"
#include "kurir-message-list-model.h"
#include "kurir-message-row.h"
#include "kurir-message-window.h"
#include "kurir-reader.h"
#include "kurir-secret.h"
#include "kurir-sidebar.h"
#include "kurir-store.h"
#include "kurir-test-util.h"
#include "kurir-window.h"

#define WAIT_SECONDS 30

#include "kurir-app-test.h"

static KurirApplication *app;
static KurirStore *store;
static guint account_serial;

/* Helpers */

/* Iterates the main context until @cond holds; fails after WAIT_SECONDS. */
/* Iterates the main context until @window is mapped and has left its
 * loading page, failing the test after WAIT_SECONDS. */
static void
wait_for_page (KurirWindow *window)
{
  WAIT_FOR (gtk_widget_get_mapped (GTK_WIDGET (window)) &&
            g_strcmp0 (kurir_window_get_visible_page (window), "loading") != 0);
}

static void
wait_for_list (KurirWindow *window)
{
  WAIT_FOR (kurir_app_test_list_ready (window));
}

/* Shows @account's @folder once the sidebar lists it. */
static void
show_folder (KurirWindow *window,
             const char  *account,
             const char  *folder)
{
  wait_for_list (window);
  g_assert_true (kurir_sidebar_select (kurir_window_get_sidebar (window), account, folder));
  wait_for_list (window);
  g_assert_cmpstr (kurir_message_list_model_get_account (kurir_window_get_message_model (window)), ==, account);
  g_assert_cmpstr (kurir_message_list_model_get_folder (kurir_window_get_message_model (window)), ==, folder);
}

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
  GList *windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (app)));

  for (GList *l = windows; l != NULL; l = l->next)
    if (l->data != window)
      gtk_window_destroy (GTK_WINDOW (l->data));
  g_list_free (windows);
  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
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

/* A new local account with a name of its own for this test. */
static char *
add_local_account (const char *prefix)
{
  return kurir_app_test_add_local_account (prefix, &account_serial);
}

static void
remove_account (const char *name)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (kurir_account_delete (name, &error));
  g_assert_no_error (error);
}

static gint64
add_message (const char        *account,
             const char        *folder,
             const char        *from,
             const char        *subject,
             gint64             date,
             const char        *content_type,
             const char        *body,
             KurirMessageFlags  flags)
{
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_utc (date);
  g_autofree char *date_text = g_date_time_format (when, "%a, %d %b %Y %H:%M:%S +0000");
  g_autofree char *text = NULL;
  g_autoptr(GBytes) data = NULL;
  g_autoptr(GError) error = NULL;
  gint64 id;

  text = g_strdup_printf ("From: %s\r\nTo: %s@example.co.id\r\nSubject: %s\r\nDate: %s\r\n"
                          "Message-ID: <%s.%" G_GINT64_FORMAT "@test.kurir>\r\nMIME-Version: 1.0\r\n"
                          "Content-Type: %s; charset=utf-8\r\n\r\n%s\r\n",
                          from, account, subject, date_text, account, date,
                          content_type, body);
  data = g_bytes_new_take (text, strlen (text));
  text = NULL;
  id = kurir_store_add (store, account, folder, data, NULL, flags, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  return id;
}

static KurirMessage *
get_item_message (KurirWindow *window,
                  guint        position)
{
  g_autoptr(KurirMessageItem) item = g_list_model_get_item (G_LIST_MODEL (kurir_window_get_message_model (window)),
                                                           position);
  return item ? kurir_message_item_get_message (item) : NULL;
}

static guint
find_position (KurirWindow *window,
               gint64       id)
{
  return kurir_message_list_model_find (kurir_window_get_message_model (window), id);
}

static void
select_message (KurirWindow *window,
                gint64       id)
{
  guint position = find_position (window, id);

  g_assert_cmpuint (position, !=, G_MAXUINT);
  gtk_selection_model_select_item (kurir_window_get_selection (window), position, TRUE);
  WAIT_FOR (kurir_reader_get_message (kurir_window_get_reader (window)) != NULL &&
            kurir_message_get_id (kurir_reader_get_message (kurir_window_get_reader (window))) == id &&
            !kurir_reader_get_loading (kurir_window_get_reader (window)));
}

static KurirMessageFlags
stored_flags (gint64 id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KurirMessage) message = kurir_store_get_message (store, id, &error);

  g_assert_no_error (error);
  return kurir_message_get_flags (message);
}

static gboolean
list_shows_flags (KurirWindow       *window,
                  gint64             id,
                  KurirMessageFlags  flag,
                  gboolean           set)
{
  guint position = find_position (window, id);
  KurirMessage *message;

  if (position == G_MAXUINT || kurir_window_get_busy (window))
    return FALSE;
  message = get_item_message (window, position);
  return message != NULL && ((kurir_message_get_flags (message) & flag) != 0) == set;
}

static void
activate (KurirWindow *window,
          const char  *action)
{
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), action));
  g_action_group_activate_action (G_ACTION_GROUP (window), action, NULL);
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

/* The sidebar lists the account's folders, special ones first with their
 * names, and unread counts; the folder's list shows its messages, newest
 * first, and selecting one shows its body. */
static void
test_folders_and_messages (void)
{
  g_autofree char *name = add_local_account ("Kantor");
  g_autofree char *sidebar = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  KurirWindow *window;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 older, newer;

  g_assert_true (kurir_store_create_folder (store, name, "Arsip", "archive", &error));
  g_assert_true (kurir_store_create_folder (store, name, "Proyek", NULL, &error));
  older = add_message (name, KURIR_STORE_INBOX, "Sari <sari@example.co.id>", "Rapat Senin",
                       now - 86400 * 3, "text/plain", "Rapat mulai jam sembilan di ruang dua.", 0);
  newer = add_message (name, KURIR_STORE_INBOX, "Budi <budi@example.co.id>", "Laporan bulanan",
                       now - 60, "text/plain",
                       "Laporan terlampir.\r\nLihat https://example.co.id/laporan untuk detailnya.",
                       KURIR_MESSAGE_FLAG_SEEN);
  add_message (name, "Arsip", "Ani <ani@example.co.id>", "Lama", now - 86400 * 40, "text/plain", "Arsip.", 0);

  window = open_window ();
  g_assert_cmpstr (kurir_window_get_visible_page (window), ==, "accounts");
  wait_for_list (window);

  sidebar = kurir_sidebar_describe (kurir_window_get_sidebar (window));
  expected = g_strdup_printf ("# %s\nInbox 1\nArchive 1\nProyek\n", name);
  g_assert_nonnull (strstr (sidebar, expected));
  g_assert_true (g_str_has_prefix (sidebar, "All Inboxes"));

  /* The account's inbox: two messages, newest first. */
  show_folder (window, name, KURIR_STORE_INBOX);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (kurir_window_get_message_model (window))), ==, 2);
  g_assert_cmpint (kurir_message_get_id (get_item_message (window, 0)), ==, newer);
  g_assert_cmpint (kurir_message_get_id (get_item_message (window, 1)), ==, older);
  g_assert_cmpstr (kurir_message_get_subject (get_item_message (window, 0)), ==, "Laporan bulanan");

  select_message (window, newer);
  text = kurir_reader_get_text (kurir_window_get_reader (window));
  g_assert_nonnull (strstr (text, "Laporan terlampir."));
  g_assert_nonnull (strstr (text, "https://example.co.id/laporan"));

  /* Another folder. */
  show_folder (window, name, "Arsip");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (kurir_window_get_message_model (window))), ==, 1);
  g_assert_cmpstr (kurir_message_get_subject (get_item_message (window, 0)), ==, "Lama");

  close_window (window);
  remove_account (name);
}

/* All Inboxes holds the inboxes of every account. */
static void
test_unified_inbox (void)
{
  g_autofree char *first = add_local_account ("Rumah");
  g_autofree char *second = add_local_account ("Kampus");
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 a, b;
  KurirWindow *window;

  a = add_message (first, KURIR_STORE_INBOX, "Ibu <ibu@example.co.id>", "Makan malam", now - 30,
                   "text/plain", "Pulang jam berapa?", 0);
  b = add_message (second, KURIR_STORE_INBOX, "Dosen <dosen@example.ac.id>", "Tugas akhir", now - 20,
                   "text/plain", "Kumpulkan Jumat.", 0);

  window = open_window ();
  wait_for_list (window);
  g_assert_null (kurir_message_list_model_get_folder (kurir_window_get_message_model (window)));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (kurir_window_get_message_model (window))),
                    ==, (guint) kurir_store_count (store, NULL, NULL, NULL));
  g_assert_cmpuint (find_position (window, a), !=, G_MAXUINT);
  g_assert_cmpuint (find_position (window, b), !=, G_MAXUINT);
  /* Newest first, across accounts. */
  g_assert_cmpuint (find_position (window, b), <, find_position (window, a));

  close_window (window);
  remove_account (first);
  remove_account (second);
}

/* Selecting marks read; the actions mark unread and read, and flag; the
 * store and the list both change. */
static void
test_mark_read (void)
{
  g_autofree char *name = add_local_account ("Toko");
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  KurirWindow *window;
  gint64 id;

  id = add_message (name, KURIR_STORE_INBOX, "Kasir <kasir@example.co.id>", "Struk belanja", now - 10,
                    "text/plain", "Terima kasih.", 0);
  window = open_window ();
  show_folder (window, name, KURIR_STORE_INBOX);
  g_assert_false (stored_flags (id) & KURIR_MESSAGE_FLAG_SEEN);

  select_message (window, id);
  WAIT_FOR (list_shows_flags (window, id, KURIR_MESSAGE_FLAG_SEEN, TRUE));
  g_assert_true (stored_flags (id) & KURIR_MESSAGE_FLAG_SEEN);

  activate (window, "mark-unread");
  WAIT_FOR (list_shows_flags (window, id, KURIR_MESSAGE_FLAG_SEEN, FALSE));
  g_assert_false (stored_flags (id) & KURIR_MESSAGE_FLAG_SEEN);

  activate (window, "mark-read");
  WAIT_FOR (list_shows_flags (window, id, KURIR_MESSAGE_FLAG_SEEN, TRUE));
  g_assert_true (stored_flags (id) & KURIR_MESSAGE_FLAG_SEEN);

  activate (window, "toggle-flag");
  WAIT_FOR (list_shows_flags (window, id, KURIR_MESSAGE_FLAG_FLAGGED, TRUE));
  g_assert_true (stored_flags (id) & KURIR_MESSAGE_FLAG_FLAGGED);

  /* The selection stayed through the refreshes. */
  g_assert_true (gtk_selection_model_is_selected (kurir_window_get_selection (window), find_position (window, id)));

  close_window (window);
  remove_account (name);
}

/* Delete removes the selected message from the store and the list, and
 * selects the next one. */
static void
test_delete (void)
{
  g_autofree char *name = add_local_account ("Gudang");
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(GError) error = NULL;
  g_autoptr(KurirMessage) gone = NULL;
  KurirWindow *window;
  gint64 keep, doomed;

  keep = add_message (name, KURIR_STORE_INBOX, "A <a@example.co.id>", "Simpan", now - 100, "text/plain", "Simpan ini.", 0);
  doomed = add_message (name, KURIR_STORE_INBOX, "B <b@example.co.id>", "Hapus", now - 50, "text/plain", "Hapus ini.", 0);

  window = open_window ();
  show_folder (window, name, KURIR_STORE_INBOX);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (kurir_window_get_message_model (window))), ==, 2);

  select_message (window, doomed);
  activate (window, "delete");
  WAIT_FOR (!kurir_window_get_busy (window) &&
            g_list_model_get_n_items (G_LIST_MODEL (kurir_window_get_message_model (window))) == 1);
  gone = kurir_store_get_message (store, doomed, &error);
  g_assert_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_NOT_FOUND);
  g_assert_null (gone);
  g_assert_cmpint (kurir_message_get_id (get_item_message (window, 0)), ==, keep);
  WAIT_FOR (gtk_selection_model_is_selected (kurir_window_get_selection (window), 0));

  close_window (window);
  remove_account (name);
}

/* The search bar runs the store's search over all mail. */
static void
test_search (void)
{
  g_autofree char *name = add_local_account ("Cari");
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  KurirWindow *window;
  gint64 id;

  add_message (name, KURIR_STORE_INBOX, "C <c@example.co.id>", "Biasa", now - 100, "text/plain", "Tidak ada apa-apa.", 0);
  id = add_message (name, KURIR_STORE_INBOX, "D <d@example.co.id>", "Liburan", now - 90, "text/plain",
                    "Tiket ke Zanzibar sudah dipesan.", 0);

  window = open_window ();
  wait_for_list (window);
  kurir_window_search (window, "zanzibar");
  WAIT_FOR (kurir_app_test_list_ready (window) &&
            kurir_message_list_model_get_folder (kurir_window_get_message_model (window)) == NULL &&
            g_list_model_get_n_items (G_LIST_MODEL (kurir_window_get_message_model (window))) == 1);
  g_assert_cmpint (kurir_message_get_id (get_item_message (window, 0)), ==, id);

  kurir_window_search (window, "from:d@example.co.id liburan");
  WAIT_FOR (kurir_app_test_list_ready (window) &&
            g_list_model_get_n_items (G_LIST_MODEL (kurir_window_get_message_model (window))) == 1);
  g_assert_cmpint (kurir_message_get_id (get_item_message (window, 0)), ==, id);

  kurir_window_search (window, "kataygtidakada");
  WAIT_FOR (kurir_app_test_list_ready (window) &&
            g_list_model_get_n_items (G_LIST_MODEL (kurir_window_get_message_model (window))) == 0);

  close_window (window);
  remove_account (name);
}

#if HAVE_WEBKIT
static gboolean
incoming_cb (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source,
             gpointer           user_data)
{
  guint *count = user_data;

  (*count)++;
  return FALSE;
}

static WebKitWebView *
only_web_view (KurirReader *reader)
{
  g_autoptr(GPtrArray) views = kurir_reader_get_web_views (reader);

  g_assert_cmpuint (views->len, ==, 1);
  return g_ptr_array_index (views, 0);
}

/* An HTML message's image on a server makes no request until remote
 * content is allowed, and one after. */
static void
test_remote_content_blocked (void)
{
  g_autofree char *name = add_local_account ("Iklan");
  g_autoptr(GSocketService) service = g_socket_service_new ();
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *html = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  guint connections = 0;
  KurirWindow *window;
  KurirReader *reader;
  guint16 port;
  gint64 id;

  g_assert_true (g_socket_listener_add_address (G_SOCKET_LISTENER (service), address, G_SOCKET_TYPE_STREAM,
                                                G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error));
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_signal_connect (service, "incoming", G_CALLBACK (incoming_cb), &connections);
  g_socket_service_start (service);

  html = g_strdup_printf ("<html><body><p>Diskon besar!</p>"
                          "<img src=\"http://127.0.0.1:%u/pixel.gif\" width=\"1\" height=\"1\">"
                          "<link rel=\"stylesheet\" href=\"http://127.0.0.1:%u/style.css\">"
                          "</body></html>", port, port);
  id = add_message (name, KURIR_STORE_INBOX, "Toko <promo@example.co.id>", "Diskon", now - 5, "text/html", html, 0);

  window = open_window ();
  reader = kurir_window_get_reader (window);
  show_folder (window, name, KURIR_STORE_INBOX);
  select_message (window, id);

  /* Loaded (the page's load finished, so its image was tried or blocked). */
  g_assert_false (webkit_web_view_is_loading (only_web_view (reader)));
  g_assert_cmpuint (connections, ==, 0);

  gtk_widget_activate_action (GTK_WIDGET (reader), "reader.show-remote-content", NULL);
  WAIT_FOR (connections > 0);

  g_socket_service_stop (service);
  close_window (window);
  remove_account (name);
}

/* A script in a message runs nothing: it would have changed the title. */
static void
test_script_does_not_run (void)
{
  g_autofree char *name = add_local_account ("Skrip");
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  KurirWindow *window;
  KurirReader *reader;
  gint64 id;

  id = add_message (name, KURIR_STORE_INBOX, "X <x@example.co.id>", "Skrip", now - 5, "text/html",
                    "<html><head><title>Tenang</title></head><body><p>Halo</p>"
                    "<script>document.title = 'dijalankan';</script>"
                    "<img src=\"data:,x\" onerror=\"document.title = 'onerror'\">"
                    "<svg onload=\"document.title = 'onload'\"></svg>"
                    "</body></html>", 0);

  window = open_window ();
  reader = kurir_window_get_reader (window);
  show_folder (window, name, KURIR_STORE_INBOX);
  select_message (window, id);

  g_assert_false (webkit_web_view_is_loading (only_web_view (reader)));
  /* The title arrives from the web process on its own. */
  WAIT_FOR (webkit_web_view_get_title (only_web_view (reader)) != NULL &&
            *webkit_web_view_get_title (only_web_view (reader)) != '\0');
  g_assert_cmpstr (webkit_web_view_get_title (only_web_view (reader)), ==, "Tenang");

  /* Plain text instead: the HTML as text, the script's text not shown. */
  g_action_group_activate_action (G_ACTION_GROUP (window), "plain-text", NULL);
  WAIT_FOR (!kurir_reader_get_loading (reader));
  {
    g_autofree char *text = kurir_reader_get_text (reader);
    g_autoptr(GPtrArray) views = kurir_reader_get_web_views (reader);

    g_assert_cmpuint (views->len, ==, 0);
    g_assert_nonnull (strstr (text, "Halo"));
    g_assert_null (strstr (text, "dijalankan"));
  }

  close_window (window);
  remove_account (name);
}
#endif

static GtkWindow *
find_window_titled (const char *title)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (g_strcmp0 (gtk_window_get_title (window), title) == 0 && gtk_widget_get_mapped (GTK_WIDGET (window)))
        return window;
    }
  return NULL;
}

/* Open in a window of its own shows the same message there; view source
 * shows it as stored. */
static void
test_open_in_window (void)
{
  g_autofree char *name = add_local_account ("Jendela");
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  KurirMessageWindow *message_window = NULL;
  KurirWindow *window;
  gint64 id;

  id = add_message (name, KURIR_STORE_INBOX, "E <e@example.co.id>", "Sendiri", now - 5, "text/plain",
                    "Di jendela sendiri.", 0);
  window = open_window ();
  show_folder (window, name, KURIR_STORE_INBOX);
  select_message (window, id);

  /* View source: the message as stored, headers and all. */
  activate (window, "view-source");
  {
    GtkWindow *source = NULL;

    WAIT_FOR ((source = find_window_titled ("Message Source")) != NULL);
    g_assert_true (gtk_window_get_transient_for (source) == GTK_WINDOW (window));
    gtk_window_destroy (source);
  }

  activate (window, "open-in-window");

  WAIT_FOR ((message_window = KURIR_IS_MESSAGE_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)))
                              ? KURIR_MESSAGE_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)))
                              : NULL) != NULL ||
            g_list_length (gtk_application_get_windows (GTK_APPLICATION (app))) > 1);
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (app)); l != NULL; l = l->next)
    if (KURIR_IS_MESSAGE_WINDOW (l->data))
      message_window = l->data;
  g_assert_nonnull (message_window);
  WAIT_FOR (!kurir_reader_get_loading (kurir_message_window_get_reader (message_window)));
  {
    g_autofree char *text = kurir_reader_get_text (kurir_message_window_get_reader (message_window));
    g_assert_nonnull (strstr (text, "Di jendela sendiri."));
  }
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (message_window)), ==, "Sendiri");

  close_window (window);
  remove_account (name);
}

/* Many messages: the list knows them all but reads only what it shows. */
static void
test_large_folder_lazy (void)
{
  g_autofree char *name = add_local_account ("Banyak");
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autofree KurirStoreNewMessage *messages = NULL;
  g_autoptr(GError) error = NULL;
  const guint n = 3000;
  KurirWindow *window;
  KurirMessageListModel *model;

  messages = g_new0 (KurirStoreNewMessage, n);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *text = g_strdup_printf ("From: Bot <bot@example.co.id>\r\nSubject: Nomor %u\r\n"
                                               "Date: Mon, 1 Jan 2024 00:%02u:%02u +0000\r\n"
                                               "Message-ID: <bot.%u@test.kurir>\r\n\r\nPesan %u.\r\n",
                                               i, (i / 60) % 60, i % 60, i, i);
      g_ptr_array_add (batch, g_bytes_new (text, strlen (text)));
      messages[i].data = g_ptr_array_index (batch, i);
    }
  g_assert_true (kurir_store_add_batch (store, name, KURIR_STORE_INBOX, messages, n, NULL, &error));
  g_assert_no_error (error);

  window = open_window ();
  show_folder (window, name, KURIR_STORE_INBOX);
  model = kurir_window_get_message_model (window);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, n);
  /* Only the first page (and what the view asked for) is in memory. */
  g_assert_cmpuint (kurir_message_list_model_get_n_loaded (model), <=, 2 * KURIR_MESSAGE_LIST_PAGE_SIZE);

  /* A row far down loads its page when asked for. */
  {
    g_autoptr(KurirMessageItem) item = g_list_model_get_item (G_LIST_MODEL (model), n - 1);

    WAIT_FOR (kurir_message_item_get_message (item) != NULL);
    g_assert_cmpstr (kurir_message_get_subject (kurir_message_item_get_message (item)), ==, "Nomor 0");
  }

  close_window (window);
  remove_account (name);
}

/* The list's dates: the time today, "Yesterday", the weekday within a
 * week, else the date; and the sender's name. */
static void
test_row_formats (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_local (2026, 11, 28, 15, 30, 0);   /* a Saturday */
  struct { int day, hour; const char *expected; } cases[] = {
    { 28, 9, "9:05 AM" },   /* LC_ALL=C.UTF-8 (meson.build) has AM and PM */
    { 27, 23, "Yesterday" },
    { 24, 8, "Tuesday" },
    { 10, 8, "11/10/26" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GDateTime) when = g_date_time_new_local (2026, 11, cases[i].day, cases[i].hour, 5, 0);
      g_autofree char *text = kurir_message_row_format_date (g_date_time_to_unix (when), now);

      g_assert_cmpstr (text, ==, cases[i].expected);
    }

  {
    g_autofree char *a = kurir_message_row_format_sender ("\"Budi Santoso\" <budi@example.co.id>");
    g_autofree char *b = kurir_message_row_format_sender ("<ani@example.co.id>");
    g_autofree char *c = kurir_message_row_format_sender ("sari@example.co.id");
    g_autofree char *d = kurir_message_row_format_sender ("");

    g_assert_cmpstr (a, ==, "Budi Santoso");
    g_assert_cmpstr (b, ==, "ani@example.co.id");
    g_assert_cmpstr (c, ==, "sari@example.co.id");
    g_assert_null (d);
  }
}

typedef struct
{
  guint position, removed, added;
} Change;

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  GArray     *changes)
{
  Change change = { position, removed, added };

  g_array_append_val (changes, change);
}

/* A refresh reports each new and each gone message where it is, so a
 * view keeps its selection and scroll position. */
static void
test_model_refresh_positions (void)
{
  g_autofree char *name = add_local_account ("Urut");
  g_autoptr(GArray) changes = g_array_new (FALSE, FALSE, sizeof (Change));
  g_autoptr(KurirMessageListModel) model = NULL;
  g_autoptr(GtkMultiSelection) selection = NULL;
  g_autoptr(GError) error = NULL;
  gint64 ids[5], middle;
  Change *change;

  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *subject = g_strdup_printf ("Pesan %u", i);
      ids[i] = add_message (name, KURIR_STORE_INBOX, "U <u@example.co.id>", subject,
                            1700000000 + i * 1000, "text/plain", "Isi.", 0);
    }

  model = kurir_message_list_model_new (store, name, KURIR_STORE_INBOX);
  selection = gtk_multi_selection_new (g_object_ref (G_LIST_MODEL (model)));
  WAIT_FOR (!kurir_message_list_model_get_loading (model));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 5);
  /* Newest first: ids[4] at 0 … ids[0] at 4. Select ids[1] (position 3). */
  g_assert_cmpuint (kurir_message_list_model_find (model, ids[1]), ==, 3);
  gtk_selection_model_select_item (GTK_SELECTION_MODEL (selection), 3, TRUE);
  g_signal_connect (model, "items-changed", G_CALLBACK (items_changed_cb), changes);

  /* One between ids[3] and ids[2]; ids[4] goes. */
  middle = add_message (name, KURIR_STORE_INBOX, "U <u@example.co.id>", "Sisipan",
                        1700000000 + 2500, "text/plain", "Isi.", 0);
  g_assert_true (kurir_store_delete (store, ids[4], &error));
  kurir_message_list_model_refresh (model);
  WAIT_FOR (!kurir_message_list_model_get_loading (model));

  g_assert_cmpuint (changes->len, ==, 2);
  change = &g_array_index (changes, Change, 0);
  g_assert_cmpuint (change->position, ==, 0);
  g_assert_cmpuint (change->removed, ==, 1);
  g_assert_cmpuint (change->added, ==, 0);
  change = &g_array_index (changes, Change, 1);
  g_assert_cmpuint (change->position, ==, 1);
  g_assert_cmpuint (change->removed, ==, 0);
  g_assert_cmpuint (change->added, ==, 1);
  g_assert_cmpuint (kurir_message_list_model_find (model, middle), ==, 1);
  g_assert_cmpuint (kurir_message_list_model_find (model, ids[1]), ==, 3);
  g_assert_true (gtk_selection_model_is_selected (GTK_SELECTION_MODEL (selection), 3));
  {
    g_autoptr(GtkBitset) selected = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (selection));
    g_assert_cmpuint (gtk_bitset_get_size (selected), ==, 1);
  }

  g_signal_handlers_disconnect_by_func (model, items_changed_cb, changes);
  remove_account (name);
}

static gboolean
contains_subject (KurirWindow *window,
                  const char  *subject)
{
  GListModel *model = G_LIST_MODEL (kurir_window_get_message_model (window));

  if (kurir_window_get_busy (window))
    return FALSE;
  for (guint i = 0; i < g_list_model_get_n_items (model) && i < KURIR_MESSAGE_LIST_PAGE_SIZE; i++)
    {
      KurirMessage *message = get_item_message (window, i);
      if (message != NULL && g_strcmp0 (kurir_message_get_subject (message), subject) == 0)
        return TRUE;
    }
  return FALSE;
}

/* A POP3 account synced from the test Dovecot on F5 (refresh): its new
 * mail shows in the unified inbox without losing the selection. */
static void
test_pop3_refresh (void)
{
  const char *maildir;
  g_autoptr(KurirAccount) account = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *subject = NULL;
  g_autofree char *text = NULL;
  g_autofree char *file_name = NULL;
  g_autofree char *path = NULL;
  g_autofree char *local = add_local_account ("Lokal");
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  guint64 uid, gid;
  KurirWindow *window;
  gint64 selected_id;
  g_autoptr(GSettings) settings = NULL;

  if (g_getenv ("KURIR_TEST_POP3S_PORT") == NULL)
    {
      g_test_skip ("no test servers: run under tests/servers/with-servers");
      remove_account (local);
      return;
    }
  maildir = kurir_test_getenv ("KURIR_TEST_MAILDIR_JUDY");
  g_assert_true (g_ascii_string_to_unsigned (kurir_test_getenv ("KURIR_TEST_MAIL_UID"), 10, 0, G_MAXUINT32, &uid, NULL));
  g_assert_true (g_ascii_string_to_unsigned (kurir_test_getenv ("KURIR_TEST_MAIL_GID"), 10, 0, G_MAXUINT32, &gid, NULL));

  account = kurir_account_new ("judy");
  kurir_account_set_email (account, "judy@example.test");
  kurir_account_set_protocol (account, KURIR_PROTOCOL_POP3);
  kurir_account_set_host (account, kurir_test_getenv ("KURIR_TEST_HOST"));
  kurir_account_set_port (account, kurir_test_port ("KURIR_TEST_POP3S_PORT"));
  kurir_account_set_security (account, KURIR_SECURITY_TLS);
  kurir_account_set_user (account, "judy");
  kurir_account_set_ca_file (account, kurir_test_getenv ("KURIR_TEST_CA"));
  g_assert_true (kurir_account_save (account, &error));
  g_assert_no_error (error);
  kurir_secret_store_async ("judy", KURIR_PROTOCOL_POP3, kurir_account_get_host (account), "judy",
                            kurir_test_getenv ("KURIR_TEST_PASSWORD_JUDY"), TRUE, NULL,
                            kurir_test_store_result, &result);
  g_assert_true (kurir_secret_store_finish (kurir_test_wait (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  selected_id = add_message (local, KURIR_STORE_INBOX, "F <f@example.co.id>", "Sudah ada", now - 3600 * 24 * 30,
                             "text/plain", "Lama.", KURIR_MESSAGE_FLAG_SEEN);

  /* Only F5 checks for mail here. */
  settings = g_settings_new (APP_ID);
  g_settings_set_boolean (settings, "check-on-startup", FALSE);

  window = open_window ();
  wait_for_list (window);
  select_message (window, selected_id);

  /* Mail arrives on the server. */
  subject = g_strdup_printf ("Dari server %" G_GINT64_FORMAT, g_get_real_time ());
  text = g_strdup_printf ("From: Kurir Test <sender@example.test>\nTo: judy@example.test\nSubject: %s\n"
                          "Date: Sat, 28 Nov 2026 01:00:00 +0000\nMessage-ID: <%" G_GINT64_FORMAT "@server.test>\n\n"
                          "Isi dari Dovecot.\n", subject, g_get_real_time ());
  file_name = g_strdup_printf ("%" G_GINT64_FORMAT ".M1P%d.kurirapp", now, (int) getpid ());
  path = g_build_filename (maildir, "new", file_name, NULL);
  g_assert_true (g_file_set_contents (path, text, -1, &error));
  g_assert_cmpint (chown (path, (uid_t) uid, (gid_t) gid), ==, 0);

  /* F5. */
  WAIT_FOR (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "refresh"));
  g_action_group_activate_action (G_ACTION_GROUP (window), "refresh", NULL);
  WAIT_FOR (contains_subject (window, subject));
  /* The selection followed its message. */
  g_assert_true (gtk_selection_model_is_selected (kurir_window_get_selection (window),
                                                  find_position (window, selected_id)));

  close_window (window);
  g_settings_reset (settings, "check-on-startup");
  remove_account (local);
  remove_account ("judy");
}

/* Dragging selected rows onto a folder of the sidebar moves them (the
 * same path as "Move to"); a drop on another account's folder or of
 * other text moves nothing. */
static void
test_drag_to_folder (void)
{
  g_autofree char *name = add_local_account ("Seret");
  g_autofree char *other = add_local_account ("Lain");
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 a, b, c;
  g_autofree char *payload = NULL;
  g_autofree char *single = NULL;
  g_autofree char *expected = NULL;
  KurirSidebar *sidebar;
  KurirWindow *window;
  GtkSelectionModel *selection;

  a = add_message (name, KURIR_STORE_INBOX, "A <a@example.co.id>", "Satu", now - 30, "text/plain", "1", KURIR_MESSAGE_FLAG_SEEN);
  b = add_message (name, KURIR_STORE_INBOX, "B <b@example.co.id>", "Dua", now - 20, "text/plain", "2", KURIR_MESSAGE_FLAG_SEEN);
  c = add_message (name, KURIR_STORE_INBOX, "C <c@example.co.id>", "Tiga", now - 10, "text/plain", "3", KURIR_MESSAGE_FLAG_SEEN);
  add_message (name, "Arsip", "D <d@example.co.id>", "Lama", now - 100, "text/plain", "4", KURIR_MESSAGE_FLAG_SEEN);

  window = open_window ();
  sidebar = kurir_window_get_sidebar (window);
  show_folder (window, name, KURIR_STORE_INBOX);
  selection = kurir_window_get_selection (window);
  gtk_selection_model_unselect_all (selection);
  gtk_selection_model_select_item (selection, find_position (window, a), FALSE);
  gtk_selection_model_select_item (selection, find_position (window, b), FALSE);

  /* A selected row drags the selection; another row only itself. */
  payload = kurir_window_get_drag_payload (window, find_position (window, a));
  single = kurir_window_get_drag_payload (window, find_position (window, c));
  g_assert_nonnull (payload);
  expected = g_strdup_printf (KURIR_SIDEBAR_DRAG_PREFIX "%" G_GINT64_FORMAT, c);
  g_assert_cmpstr (single, ==, expected);
  g_clear_pointer (&expected, g_free);
  /* In the list's order (newest first). */
  expected = g_strdup_printf (KURIR_SIDEBAR_DRAG_PREFIX "%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT, b, a);
  g_assert_cmpstr (payload, ==, expected);

  /* Not a list of messages; not a folder; another account's folder. */
  g_assert_false (kurir_sidebar_drop_messages (sidebar, name, "Arsip", "teks biasa"));
  g_assert_false (kurir_sidebar_drop_messages (sidebar, name, "Arsip", KURIR_SIDEBAR_DRAG_PREFIX "1,x"));
  g_assert_false (kurir_sidebar_drop_messages (sidebar, NULL, NULL, payload));
  g_assert_true (kurir_sidebar_drop_messages (sidebar, other, KURIR_STORE_INBOX, payload));
  WAIT_FOR (!kurir_window_get_busy (window));
  g_assert_cmpint (kurir_store_count (store, name, KURIR_STORE_INBOX, NULL), ==, 3);
  g_assert_cmpint (kurir_store_count (store, other, KURIR_STORE_INBOX, NULL), ==, 0);

  /* Onto Arsip: both move, the third stays. */
  g_assert_true (kurir_sidebar_drop_messages (sidebar, name, "Arsip", payload));
  WAIT_FOR (!kurir_window_get_busy (window) && find_position (window, a) == G_MAXUINT &&
            find_position (window, b) == G_MAXUINT);
  g_assert_cmpuint (find_position (window, c), !=, G_MAXUINT);
  g_assert_cmpint (kurir_store_count (store, name, KURIR_STORE_INBOX, NULL), ==, 1);
  g_assert_cmpint (kurir_store_count (store, name, "Arsip", NULL), ==, 3);
  close_window (window);
  remove_account (name);
  remove_account (other);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *home = NULL;
  g_autoptr(GError) error = NULL;
  int ret;

  home = kurir_app_test_make_home ("test");

  g_test_init (&argc, &argv, NULL);

  kurir_app_test_init_gtk ();

  store = kurir_store_open (NULL, &error);
  g_assert_no_error (error);

  app = kurir_app_test_new_application (APP_ID);

  g_test_add_func ("/app/row-formats", test_row_formats);
  g_test_add_func ("/app/welcome-without-accounts", test_welcome_without_accounts);
  g_test_add_func ("/app/folders-and-messages", test_folders_and_messages);
  g_test_add_func ("/app/unified-inbox", test_unified_inbox);
  g_test_add_func ("/app/mark-read", test_mark_read);
  g_test_add_func ("/app/delete", test_delete);
  g_test_add_func ("/app/search", test_search);
#if HAVE_WEBKIT
  g_test_add_func ("/app/remote-content-blocked", test_remote_content_blocked);
  g_test_add_func ("/app/script-does-not-run", test_script_does_not_run);
#endif
  g_test_add_func ("/app/open-in-window", test_open_in_window);
  g_test_add_func ("/app/large-folder-lazy", test_large_folder_lazy);
  g_test_add_func ("/app/model-refresh-positions", test_model_refresh_positions);
  g_test_add_func ("/app/pop3-refresh", test_pop3_refresh);
  g_test_add_func ("/app/drag-to-folder", test_drag_to_folder);

  ret = g_test_run ();
  g_clear_object (&app);
  g_clear_object (&store);

  kurir_app_test_remove_tree (home);
  return ret;
}
