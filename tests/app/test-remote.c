/* test-remote.c: remote content "always for this sender" and the
 * "remote-content" setting, against a listener on 127.0.0.1 that counts
 * the requests for each path
 *
 * Nothing is requested before the user allows it; "Always for This
 * Sender" loads it now and for the sender's next message without a
 * click, never for another sender; "always" loads every message's and
 * "never" none, even the allowed sender's.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE
#include "config.h"

#include <adwaita.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#if HAVE_WEBKIT
#include <webkit/webkit.h>
#endif

#include "kurir-account.h"
#include "kurir-application.h"
#include "kurir-mail-account.h"
#include "kurir-message-list-model.h"
#include "kurir-reader.h"
#include "kurir-remote-senders.h"
#include "kurir-message-list-model.h"
#include "kurir-remote-senders.h"
#include "kurir-message-list-model.h"
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

/* The listener: counts requests by path, answers with a 1x1 GIF. */

static GMutex hits_lock;
static GHashTable *hits;   /* path → count */

static const guint8 gif[] = {
  0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
  0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
  0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
};

static gboolean
run_cb (GThreadedSocketService *service,
        GSocketConnection      *connection,
        GObject                *source,
        gpointer                user_data)
{
  g_autoptr(GDataInputStream) in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (connection)));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  g_autofree char *path = NULL;

  if (!kurir_app_test_http_read_request (in, &path))
    return FALSE;
  if (path != NULL)
    kurir_app_test_count_hit (&hits_lock, hits, path);
  kurir_app_test_http_reply (in, out, "image/gif", gif, sizeof gif);
  return FALSE;
}

static guint
hits_of (const char *path)
{
  return kurir_app_test_hits_of (&hits_lock, hits, path);
}

static char *
add_account (void)
{
  g_autofree char *name = g_strdup_printf ("Jauh%u", ++serial);
  g_autofree char *email = g_strdup_printf ("jauh%u@example.co.id", serial);
  g_autoptr(KurirAccount) account = kurir_account_new (name);
  g_autoptr(GError) error = NULL;

  kurir_account_set_email (account, email);
  kurir_account_set_protocol (account, KURIR_PROTOCOL_LOCAL);
  g_assert_true (kurir_account_save (account, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&name);
}

static gint64
add_html (const char *account,
          const char *from,
          const char *path,
          guint16     port,
          gint64      date)
{
  g_autofree char *raw = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_utc (date);
  g_autofree char *date_text = g_date_time_format (when, "%a, %d %b %Y %H:%M:%S +0000");
  gint64 id;

  raw = g_strdup_printf ("From: %s\r\nTo: %s@example.co.id\r\nSubject: Gambar %s\r\nDate: %s\r\n"
                         "Message-ID: <%s.%s@test.kurir>\r\nMIME-Version: 1.0\r\n"
                         "Content-Type: text/html; charset=utf-8\r\n\r\n"
                         "<html><body><p>Lihat</p><img src=\"http://127.0.0.1:%u%s\" width=\"1\" height=\"1\">"
                         "</body></html>\r\n",
                         from, account, path, date_text, account, path + 1, port, path);
  bytes = g_bytes_new (raw, strlen (raw));
  id = kurir_store_add (store, account, KURIR_STORE_INBOX, bytes, NULL, KURIR_MESSAGE_FLAG_SEEN, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  return id;
}

static void
select_message (KurirWindow *window,
                gint64       id)
{
  KurirReader *reader = kurir_window_get_reader (window);
  guint position = kurir_message_list_model_find (kurir_window_get_message_model (window), id);

  g_assert_cmpuint (position, !=, G_MAXUINT);
  gtk_selection_model_select_item (kurir_window_get_selection (window), position, TRUE);
  WAIT_FOR (kurir_reader_get_message (reader) != NULL &&
            kurir_message_get_id (kurir_reader_get_message (reader)) == id &&
            !kurir_reader_get_loading (reader));
#if HAVE_WEBKIT
  {
    g_autoptr(GPtrArray) views = kurir_reader_get_web_views (reader);

    g_assert_cmpuint (views->len, ==, 1);
    g_assert_false (webkit_web_view_is_loading (g_ptr_array_index (views, 0)));
  }
#endif
}

static gboolean
file_lists (const char *address)
{
  g_autofree char *path = g_build_filename (g_get_user_config_dir (), "kurir", "remote-content-senders", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *line = g_strdup_printf ("%s\n", address);

  return g_file_get_contents (path, &contents, NULL, NULL) && strstr (contents, line) != NULL;
}

/* Tests */

static void
test_address_of (void)
{
  g_autofree char *a = kurir_remote_senders_address_of ("Toko <Promo@Example.co.id>");
  g_autofree char *b = kurir_remote_senders_address_of ("promo@example.co.id");
  g_autofree char *c = kurir_remote_senders_address_of ("\"Nama, Aneh\" <x@y.id>");
  g_autofree char *d = kurir_remote_senders_address_of ("Tanpa alamat");
  g_autofree char *e = kurir_remote_senders_address_of ("Rusak <a@b.id\nc@d.id>");
  g_autofree char *f = kurir_remote_senders_address_of ("Terbuka <a@b.id");

  g_assert_cmpstr (a, ==, "promo@example.co.id");
  g_assert_cmpstr (b, ==, "promo@example.co.id");
  g_assert_cmpstr (c, ==, "x@y.id");
  g_assert_null (d);
  g_assert_null (e);
  g_assert_null (f);
  g_assert_null (kurir_remote_senders_address_of (NULL));
}

static void
test_always_for_sender (void)
{
  GSocketService *service = g_threaded_socket_service_new (4);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(GError) error = NULL;
  g_autofree char *name = add_account ();
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 first, second, other, later;
  KurirWindow *window;
  KurirReader *reader;
  guint16 port;

  if (!HAVE_WEBKIT)
    {
      g_test_skip ("built without WebKit: HTML is shown as text");
      g_object_unref (service);
      return;
    }
  g_assert_true (g_socket_listener_add_address (G_SOCKET_LISTENER (service), address, G_SOCKET_TYPE_STREAM,
                                                G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error));
  g_assert_no_error (error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_signal_connect (service, "run", G_CALLBACK (run_cb), NULL);
  g_socket_service_start (service);

  first = add_html (name, "Toko <promo@example.co.id>", "/first.gif", port, now - 40);
  second = add_html (name, "Toko Lagi <PROMO@example.co.id>", "/second.gif", port, now - 30);
  other = add_html (name, "Lain <lain@example.co.id>", "/other.gif", port, now - 20);
  later = add_html (name, "Toko <promo@example.co.id>", "/later.gif", port, now - 10);
  {
    g_autofree char *policy = g_settings_get_string (settings, "remote-content");
    g_assert_cmpstr (policy, ==, "never");
  }

  window = kurir_app_test_open_window (app, TRUE);
  reader = kurir_window_get_reader (window);
  WAIT_FOR (kurir_app_test_list_ready (window));
  g_assert_true (kurir_sidebar_select (kurir_window_get_sidebar (window), name, KURIR_STORE_INBOX));
  WAIT_FOR (kurir_app_test_list_ready (window) &&
            g_strcmp0 (kurir_message_list_model_get_account (kurir_window_get_message_model (window)), name) == 0);

  /* Nothing before the user decides. */
  select_message (window, first);
  g_assert_cmpuint (hits_of ("/first.gif"), ==, 0);

  /* Always for this sender: loaded now, the sender written down, the
   * setting follows the user's choice. */
  gtk_widget_activate_action (GTK_WIDGET (reader), "reader.always-remote-content", NULL);
  WAIT_FOR (hits_of ("/first.gif") >= 1 && !kurir_reader_get_loading (reader));
  WAIT_FOR (file_lists ("promo@example.co.id"));
  {
    g_autofree char *policy = g_settings_get_string (settings, "remote-content");
    g_assert_cmpstr (policy, ==, "known-senders");
  }

  /* The same sender's next message loads it without a click. */
  select_message (window, second);
  WAIT_FOR (hits_of ("/second.gif") >= 1);

  /* Another sender's does not. */
  select_message (window, other);
  g_assert_cmpuint (hits_of ("/other.gif"), ==, 0);

  /* "never" wins over the list. */
  g_settings_set_string (settings, "remote-content", "never");
  select_message (window, later);
  g_assert_cmpuint (hits_of ("/later.gif"), ==, 0);

  /* "always": every sender's. */
  g_settings_set_string (settings, "remote-content", "always");
  select_message (window, first);
  select_message (window, other);
  WAIT_FOR (hits_of ("/other.gif") >= 1);

  /* One request each, no more. */
  g_assert_cmpuint (hits_of ("/second.gif"), ==, 1);
  g_assert_cmpuint (hits_of ("/other.gif"), ==, 1);
  g_assert_cmpuint (hits_of ("/later.gif"), ==, 0);

  /* The list is read back from the file. */
  kurir_remote_senders_reset ();
  g_assert_true (kurir_remote_senders_contains ("promo@example.co.id"));
  g_assert_false (kurir_remote_senders_contains ("lain@example.co.id"));

  g_settings_reset (settings, "remote-content");
  kurir_app_test_close_window (window);
  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));
  g_object_unref (service);
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

  home = kurir_app_test_make_home ("remote");

  g_test_init (&argc, &argv, NULL);

  kurir_app_test_init_gtk ();

  hits = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  store = kurir_store_open (NULL, &error);
  g_assert_no_error (error);
  settings = g_settings_new (APP_ID);
  g_settings_set_boolean (settings, "check-on-startup", FALSE);

  app = kurir_app_test_new_application (APP_ID);

  g_test_add_func ("/app/remote/address-of", test_address_of);
  g_test_add_func ("/app/remote/always-for-sender", test_always_for_sender);

  ret = g_test_run ();
  g_settings_reset (settings, "check-on-startup");
  g_clear_object (&app);
  g_clear_object (&store);
  g_clear_pointer (&hits, g_hash_table_unref);

  kurir_app_test_remove_tree (home);
  return ret;
}
