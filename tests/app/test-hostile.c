/* test-hostile.c: hostile mail in the reader, against a listener on
 * 127.0.0.1 that counts connections and requests
 *
 * - Every way HTML has to fetch or run something (images, CSS url() and
 *   @import, srcset, <picture>, <link> stylesheet/prefetch/preload,
 *   iframes, <object>/<embed>, meta refresh, forms, javascript: links,
 *   scripts, window.open, event handlers, SVG, <base>): no connection at
 *   all until remote content is allowed, and then only images and styles.
 * - EFAIL: an unclosed <img src="…? in one part, a secret in the next, the
 *   closing quote in a third: the secret never reaches the listener.
 * - MIME bombs (10,000 nested multiparts, 10,000 parts, a 50 MB header):
 *   shown within the test's timeout, the app still answers, and the peak
 *   resident memory of the process rises less than 300 MB meanwhile.
 * - Attachment names with ../, NUL, control characters and a right-to-left
 *   override: shown and offered for "Save As" without them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE
#include "config.h"

#include <adwaita.h>
#include <stdio.h>
#include <string.h>
#if HAVE_WEBKIT
#include <webkit/webkit.h>
#endif

#include "kurir-account.h"
#include "kurir-application.h"
#include "kurir-message-list-model.h"
#include "kurir-message-parts.h"
#include "kurir-reader.h"
#include "kurir-sidebar.h"
#include "kurir-store.h"
#include "kurir-test-util.h"
#include "kurir-window.h"

#define WAIT_SECONDS 90

#include "kurir-app-test.h"

#define ACCOUNT "Bahaya"

static KurirApplication *app;
static KurirStore *store;
static KurirWindow *window;
static guint16 port;
static gint64 clock_now;

/* The listener: counts connections, and requests by path. */

static GMutex hits_lock;
static GHashTable *hits;   /* path → count */
static guint connections;
static GPtrArray *paths;   /* every request's path, in order */

static gboolean
run_cb (GThreadedSocketService *service,
        GSocketConnection      *connection,
        GObject                *source,
        gpointer                user_data)
{
  g_autoptr(GDataInputStream) in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (connection)));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  g_autofree char *path = NULL;
  const char *type = "image/gif";
  const char *body = "GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,"
                     "\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00;";
  gsize body_length = 43;

  g_mutex_lock (&hits_lock);
  connections++;
  g_mutex_unlock (&hits_lock);

  if (!kurir_app_test_http_read_request (in, &path))
    return FALSE;
  if (path != NULL)
    {
      kurir_app_test_count_hit (&hits_lock, hits, path);
      g_mutex_lock (&hits_lock);
      g_ptr_array_add (paths, g_strdup (path));
      g_mutex_unlock (&hits_lock);
      if (g_str_has_prefix (path, "/css"))
        {
          type = "text/css";
          body = "p { color: red; }";
          body_length = strlen (body);
        }
    }
  kurir_app_test_http_reply (in, out, type, body, body_length);
  return FALSE;
}

static guint
hits_of (const char *path)
{
  return kurir_app_test_hits_of (&hits_lock, hits, path);
}

static guint
n_connections (void)
{
  guint n;

  g_mutex_lock (&hits_lock);
  n = connections;
  g_mutex_unlock (&hits_lock);
  return n;
}

/* Whether any request's path holds @needle. */
static gboolean
any_path_contains (const char *needle)
{
  gboolean found = FALSE;

  g_mutex_lock (&hits_lock);
  for (guint i = 0; i < paths->len && !found; i++)
    found = strstr (g_ptr_array_index (paths, i), needle) != NULL;
  g_mutex_unlock (&hits_lock);
  return found;
}

/* Helpers */

static gboolean
list_ready (void)
{
  return kurir_app_test_list_ready (window);
}

static gint64
add_raw (const char *raw,
         gsize       length)
{
  g_autoptr(GBytes) bytes = g_bytes_new (raw, length);
  g_autoptr(GError) error = NULL;
  gint64 id;

  id = kurir_store_add (store, ACCOUNT, KURIR_STORE_INBOX, bytes, NULL, KURIR_MESSAGE_FLAG_SEEN, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  return id;
}

static char *
head (const char *subject,
      const char *content_type)
{
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_utc (clock_now++);
  g_autofree char *date = g_date_time_format (when, "%a, %d %b %Y %H:%M:%S +0000");

  return g_strdup_printf ("From: Penyerang <attacker@example.net>\r\nTo: korban@example.co.id\r\n"
                          "Subject: %s\r\nDate: %s\r\nMessage-ID: <%s.%" G_GINT64_FORMAT "@test.kurir>\r\n"
                          "MIME-Version: 1.0\r\nContent-Type: %s\r\n",
                          subject, date, "hostile", clock_now, content_type);
}

/* Shows message @id, waits until it and its HTML views have loaded. */
static void
select_message (gint64 id)
{
  KurirReader *reader = kurir_window_get_reader (window);
  KurirMessageListModel *model = kurir_window_get_message_model (window);
  guint position;

  WAIT_FOR (list_ready () && kurir_message_list_model_find (model, id) != G_MAXUINT);
  position = kurir_message_list_model_find (model, id);
  gtk_selection_model_select_item (kurir_window_get_selection (window), position, TRUE);
  WAIT_FOR (kurir_reader_get_message (reader) != NULL &&
            kurir_message_get_id (kurir_reader_get_message (reader)) == id &&
            !kurir_reader_get_loading (reader));
}

static void
refresh_list (void)
{
  WAIT_FOR (kurir_sidebar_select (kurir_window_get_sidebar (window), ACCOUNT, KURIR_STORE_INBOX));
  WAIT_FOR (list_ready () &&
            g_strcmp0 (kurir_message_list_model_get_account (kurir_window_get_message_model (window)),
                       ACCOUNT) == 0);
  kurir_message_list_model_refresh (kurir_window_get_message_model (window));
  WAIT_FOR (list_ready ());
}

static guint
n_web_views (KurirReader *reader)
{
  g_autoptr(GPtrArray) views = kurir_reader_get_web_views (reader);

  return views->len;
}

/* The visible "Save As" dialog (GTK's own: GTK_USE_PORTAL=0), or NULL. */
static GtkWidget *
find_file_chooser (void)
{
  return kurir_app_test_find_toplevel (GTK_TYPE_FILE_CHOOSER);
}

static void
collect_labels (GtkWidget *widget,
                GPtrArray *texts)
{
  if (GTK_IS_LABEL (widget))
    g_ptr_array_add (texts, g_strdup (gtk_label_get_text (GTK_LABEL (widget))));
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_labels (child, texts);
}

/* Tests */

/* Every fetch in one document; the paths say what fetched. */
static const char hostile_html[] =
  "<html><head>"
  "<meta http-equiv=\"refresh\" content=\"0; url=http://127.0.0.1:@PORT@/refresh\">"
  "<link rel=\"stylesheet\" href=\"http://127.0.0.1:@PORT@/css-link\">"
  "<link rel=\"prefetch\" href=\"http://127.0.0.1:@PORT@/prefetch\">"
  "<link rel=\"preload\" href=\"http://127.0.0.1:@PORT@/preload-fetch\" as=\"fetch\" crossorigin>"
  "<link rel=\"preload\" href=\"http://127.0.0.1:@PORT@/preload-script\" as=\"script\">"
  "<link rel=\"dns-prefetch\" href=\"http://127.0.0.1:@PORT@/\">"
  "<style>@import url(\"http://127.0.0.1:@PORT@/css-import\");"
  " body { background-image: url(\"http://127.0.0.1:@PORT@/css-url\"); }</style>"
  "<script>new Image().src = 'http://127.0.0.1:@PORT@/script';"
  " window.open('http://127.0.0.1:@PORT@/window-open');</script>"
  "<script src=\"http://127.0.0.1:@PORT@/script-src\"></script>"
  "</head><body onload=\"new Image().src='http://127.0.0.1:@PORT@/onload'\">"
  "<p>Pesan berbahaya</p>"
  "<img src=\"http://127.0.0.1:@PORT@/img\" width=\"1\" height=\"1\">"
  "<img srcset=\"http://127.0.0.1:@PORT@/srcset 1x\" width=\"1\" height=\"1\">"
  "<picture><source srcset=\"http://127.0.0.1:@PORT@/picture\"><img src=\"data:,\" width=\"1\"></picture>"
  "<img src=\"data:,x\" onerror=\"new Image().src='http://127.0.0.1:@PORT@/onerror'\">"
  "<div style=\"background: url(http://127.0.0.1:@PORT@/css-inline) \">x</div>"
  "<iframe src=\"http://127.0.0.1:@PORT@/iframe\"></iframe>"
  "<object data=\"http://127.0.0.1:@PORT@/object\"></object>"
  "<embed src=\"http://127.0.0.1:@PORT@/embed\">"
  "<svg width=\"1\" height=\"1\"><image href=\"http://127.0.0.1:@PORT@/svg-image\"/></svg>"
  "<form id=\"f\" action=\"http://127.0.0.1:@PORT@/form\" method=\"get\"><input name=\"q\" value=\"1\" autofocus>"
  "<button>Kirim</button></form>"
  "<a id=\"js\" href=\"javascript:new Image().src='http://127.0.0.1:@PORT@/javascript-link'\">klik</a>"
  "<a href=\"http://127.0.0.1:@PORT@/link\" ping=\"http://127.0.0.1:@PORT@/ping\">tautan</a>"
  "</body></html>";

static void
test_remote_vectors (void)
{
  KurirReader *reader = kurir_window_get_reader (window);
  g_autoptr(GString) html = g_string_new (hostile_html);
  g_autofree char *port_text = g_strdup_printf ("%u", port);
  g_autofree char *top = head ("Semua jalan", "text/html; charset=utf-8");
  g_autofree char *raw = NULL;
  const char *never[] = { "/refresh", "/prefetch", "/preload-fetch", "/preload-script", "/script",
                          "/window-open", "/script-src", "/onload", "/onerror", "/iframe",
                          "/object", "/embed", "/form?q=1", "/javascript-link", "/link", "/ping" };
  gint64 id;

  if (!HAVE_WEBKIT)
    {
      g_test_skip ("built without WebKit: HTML is shown as text");
      return;
    }
  g_string_replace (html, "@PORT@", port_text, 0);
  raw = g_strconcat (top, "\r\n", html->str, "\r\n", NULL);
  id = add_raw (raw, strlen (raw));
  refresh_list ();
  select_message (id);
  g_assert_cmpuint (n_web_views (reader), ==, 1);

  /* Nothing at all before the user allows it: not even a connection. */
  g_assert_cmpuint (n_connections (), ==, 0);

  /* Allowed: images and styles come... */
  kurir_reader_allow_remote_content (reader);
  WAIT_FOR (!kurir_reader_get_loading (reader) &&
            hits_of ("/img") >= 1 && hits_of ("/css-link") >= 1 && hits_of ("/css-import") >= 1 &&
            hits_of ("/css-url") >= 1 && hits_of ("/css-inline") >= 1);
  /* ...and nothing else: no frame, prefetch, form, script or navigation. */
  for (guint i = 0; i < G_N_ELEMENTS (never); i++)
    if (hits_of (never[i]) != 0)
      g_error ("%s was requested %u times", never[i], hits_of (never[i]));
  g_assert_false (any_path_contains ("/form"));
  /* Still this message, in this view: no navigation happened. */
  g_assert_cmpint (kurir_message_get_id (kurir_reader_get_message (reader)), ==, id);
}

static void
test_efail (void)
{
  KurirReader *reader = kurir_window_get_reader (window);
  g_autofree char *top = head ("EFAIL", "multipart/mixed; boundary=\"efail\"");
  g_autofree char *raw = g_strdup_printf (
    "%s\r\n"
    "--efail\r\nContent-Type: text/html\r\n\r\n"
    "<html><body><img src=\"http://127.0.0.1:%u/efail?\r\n"
    "--efail\r\nContent-Type: text/plain\r\n\r\n"
    "RAHASIA-7f3c rekening 1234\r\n"
    "--efail\r\nContent-Type: text/html\r\n\r\n"
    "\"></body></html>\r\n"
    "--efail--\r\n", top, port);
  g_autofree char *text = NULL;
  gint64 id;

  id = add_raw (raw, strlen (raw));
  refresh_list ();
  select_message (id);
  /* Each part in a view of its own: the secret in the plain one. */
  text = kurir_reader_get_text (reader);
  g_assert_nonnull (strstr (text, "RAHASIA-7f3c"));
  if (HAVE_WEBKIT)
    g_assert_cmpuint (n_web_views (reader), ==, 2);
  g_assert_false (any_path_contains ("/efail"));

  kurir_reader_allow_remote_content (reader);
  WAIT_FOR (!kurir_reader_get_loading (reader));
  /* Whatever the first part asked for, never with the secret. */
  g_assert_false (any_path_contains ("RAHASIA"));
  g_assert_false (any_path_contains ("rekening"));
}

/* The bound on the growth of this process's resident memory while it
 * stores and shows the MIME bombs (the web process is not counted). */
#define KURIR_TEST_BOMB_GROWTH_KB (300 * 1024)

static char *
nested_bomb (guint depth)
{
  GString *out = g_string_new (NULL);
  g_autofree char *top = head ("Bom bersarang", "multipart/mixed; boundary=\"b0\"");

  g_string_append_printf (out, "%s\r\n", top);
  for (guint i = 0; i < depth; i++)
    g_string_append_printf (out, "--b%u\r\nContent-Type: multipart/mixed; boundary=\"b%u\"\r\n\r\n", i, i + 1);
  g_string_append_printf (out, "--b%u\r\nContent-Type: text/plain\r\n\r\ndasar\r\n", depth);
  for (guint i = depth + 1; i-- > 0;)
    g_string_append_printf (out, "--b%u--\r\n", i);
  return g_string_free (out, FALSE);
}

static char *
wide_bomb (guint n,
           const char *type)
{
  GString *out = g_string_new (NULL);
  g_autofree char *top = head ("Bom lebar", "multipart/mixed; boundary=\"w\"");

  g_string_append_printf (out, "%s\r\n", top);
  for (guint i = 0; i < n; i++)
    g_string_append_printf (out, "--w\r\nContent-Type: %s\r\n\r\nbagian %u\r\n", type, i);
  g_string_append (out, "--w--\r\n");
  return g_string_free (out, FALSE);
}

static char *
header_bomb (gsize size)
{
  GString *out = g_string_sized_new (size + 1024);
  g_autofree char *top = head ("Kepala raksasa", "text/plain");

  g_string_append (out, top);
  g_string_append (out, "X-Besar: ");
  /* Folded lines of 76 bytes: one field of @size bytes. */
  while (out->len < size)
    g_string_append (out, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n ");
  g_string_append (out, "z\r\n\r\nisi pesan di bawah kepala besar\r\n");
  return g_string_free (out, FALSE);
}

static void
show_and_answer (const char *raw,
                 gsize       length,
                 gint64      normal)
{
  KurirReader *reader = kurir_window_get_reader (window);
  gint64 id = add_raw (raw, length);

  refresh_list ();
  select_message (id);
  if (HAVE_WEBKIT)
    g_assert_cmpuint (n_web_views (reader), <=, 8);
  /* The app still answers: another message shows. */
  select_message (normal);
  g_assert_nonnull (strstr (kurir_reader_get_text (reader), "pesan biasa"));
}

/* A field of /proc/self/status in kB: VmHWM (the peak resident memory of
 * this process so far) or VmRSS (now). */
static guint64
status_kb (const char *field)
{
  g_autofree char *status = NULL;
  g_autofree char *key = g_strconcat ("\n", field, ":", NULL);
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) ||
      (line = strstr (status, key)) == NULL)
    g_error ("no %s in /proc/self/status", field);
  return g_ascii_strtoull (line + strlen (key), NULL, 10);
}

/* Sets the peak to the resident memory of now (Linux 4.0+); FALSE when
 * the kernel does not let it. */
static gboolean
reset_peak (void)
{
  FILE *file = fopen ("/proc/self/clear_refs", "w");
  gboolean ok;

  if (file == NULL)
    return FALSE;
  ok = fputs ("5", file) >= 0;
  return fclose (file) == 0 && ok;
}

static void
test_mime_bombs (void)
{
  g_autofree char *normal_top = head ("Biasa", "text/plain");
  g_autofree char *normal = g_strconcat (normal_top, "\r\npesan biasa\r\n", NULL);
  g_autofree char *nested = nested_bomb (10000);
  g_autofree char *wide = wide_bomb (10000, "text/plain");
  g_autofree char *wide_html = wide_bomb (10000, "text/html");
  g_autofree char *big_header = header_bomb (50 * 1024 * 1024);
  gint64 normal_id = add_raw (normal, strlen (normal));
  gboolean reset = reset_peak ();
  /* With the peak reset, the peak after is the highest point reached
   * while storing and showing them; else only a rise above the earlier
   * peak shows (a weaker check, still one). */
  guint64 before = reset ? status_kb ("VmRSS") : status_kb ("VmHWM");
  guint64 growth;

  show_and_answer (nested, strlen (nested), normal_id);
  show_and_answer (wide, strlen (wide), normal_id);
  show_and_answer (wide_html, strlen (wide_html), normal_id);
  show_and_answer (big_header, strlen (big_header), normal_id);
  growth = status_kb ("VmHWM") - MIN (before, status_kb ("VmHWM"));
  g_test_message ("resident memory: %" G_GUINT64_FORMAT " kB with the bombs made (%s); "
                  "peak %" G_GUINT64_FORMAT " kB more while storing and showing them",
                  before, reset ? "peak reset" : "peak not reset", growth);
  /* The bombs are 60 MB together, the 50 MB header among them: a few
   * copies of that are expected, a copy per part or per nesting level is
   * not (10,000 parts of even 30 kB each would be 300 MB). */
  g_assert_cmpuint (growth, <, KURIR_TEST_BOMB_GROWTH_KB);
}

static void
test_attachment_names (void)
{
  KurirReader *reader = kurir_window_get_reader (window);
  g_autofree char *top = head ("Lampiran aneh", "multipart/mixed; boundary=\"att\"");
  struct { const char *disposition; const char *shown; } names[] = {
    { "attachment; filename=\"../../../.bashrc\"", "bashrc" },
    /* The name ends at the NUL, for the label and the file alike. */
    { "attachment; filename*=utf-8''laporan%00.pdf.exe", "laporan" },
    { "attachment; filename*=utf-8''a%01b%1B%5B31mc%07.txt", "ab[31mc.txt" },
    { "attachment; filename*=utf-8''faktur%E2%80%AEfdp.exe", "fakturfdp.exe" },
    { "attachment; filename=\"C:\\\\Windows\\\\system.ini\"", "system.ini" },
  };
  GString *raw = g_string_new (top);
  g_autoptr(GPtrArray) labels = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(KurirMessageParts) parts = NULL;
  gint64 id;

  g_string_append (raw, "\r\n--att\r\nContent-Type: text/plain\r\n\r\nLihat lampiran.\r\n");
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_string_append_printf (raw, "--att\r\nContent-Type: application/octet-stream\r\n"
                                 "Content-Disposition: %s\r\n\r\nisi %u\r\n", names[i].disposition, i);
  g_string_append (raw, "--att--\r\n");
  id = add_raw (raw->str, raw->len);
  parts = kurir_message_parts_new_from_data (raw->str, raw->len);
  g_string_free (raw, TRUE);
  g_assert_cmpuint (parts->attachments->len, ==, G_N_ELEMENTS (names));

  refresh_list ();
  select_message (id);
  collect_labels (GTK_WIDGET (reader), labels);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      KurirAttachment *attachment = g_ptr_array_index (parts->attachments, i);
      gboolean shown = FALSE;

      g_assert_cmpstr (attachment->filename, ==, names[i].shown);
      for (guint j = 0; j < labels->len; j++)
        shown |= g_strcmp0 (g_ptr_array_index (labels, j), names[i].shown) == 0;
      if (!shown)
        g_error ("the attachment %s is not shown", names[i].shown);
    }
  /* No label of the reader carries a control character, a path or a
   * direction override. */
  for (guint j = 0; j < labels->len; j++)
    {
      const char *text = g_ptr_array_index (labels, j);

      g_assert_null (strstr (text, "\xe2\x80\xae"));
      g_assert_null (strstr (text, "../"));
      for (const char *p = text; *p; p++)
        g_assert_true ((guchar) *p >= 0x20 || *p == '\n');
    }

  /* "Save As" suggests the safe name. */
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      KurirAttachment *attachment = g_ptr_array_index (parts->attachments, i);
      GtkWidget *chooser = NULL;
      g_autofree char *suggested = NULL;

      gtk_widget_activate_action (GTK_WIDGET (reader), "reader.save-attachment", "u", attachment->index);
      WAIT_FOR ((chooser = find_file_chooser ()) != NULL);
      suggested = gtk_file_chooser_get_current_name (GTK_FILE_CHOOSER (chooser));
      g_assert_cmpstr (suggested, ==, names[i].shown);
      gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_CANCEL);
      WAIT_FOR (find_file_chooser () == NULL);
    }
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *home = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(KurirAccount) account = NULL;
  g_autoptr(GInetAddress) loopback = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocketAddress) effective = NULL;
  GSocketService *service;
  int ret;

  home = kurir_app_test_make_home ("hostile");
  /* GTK's own file chooser, not a portal's. */
  g_setenv ("GTK_USE_PORTAL", "0", TRUE);

  g_test_init (&argc, &argv, NULL);

  kurir_app_test_init_gtk ();

  hits = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  paths = g_ptr_array_new_with_free_func (g_free);
  service = g_threaded_socket_service_new (8);
  loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  address = g_inet_socket_address_new (loopback, 0);
  g_assert_true (g_socket_listener_add_address (G_SOCKET_LISTENER (service), address, G_SOCKET_TYPE_STREAM,
                                                G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error));
  g_assert_no_error (error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_signal_connect (service, "run", G_CALLBACK (run_cb), NULL);
  g_socket_service_start (service);

  store = kurir_store_open (NULL, &error);
  g_assert_no_error (error);
  settings = g_settings_new (APP_ID);
  g_settings_set_boolean (settings, "check-on-startup", FALSE);
  account = kurir_account_new (ACCOUNT);
  kurir_account_set_email (account, "korban@example.co.id");
  kurir_account_set_protocol (account, KURIR_PROTOCOL_LOCAL);
  g_assert_true (kurir_account_save (account, &error));
  g_assert_no_error (error);
  clock_now = g_get_real_time () / G_USEC_PER_SEC - 1000;
  {
    g_autofree char *top = head ("Halo", "text/plain");
    g_autofree char *first = g_strconcat (top, "\r\nhalo\r\n", NULL);
    add_raw (first, strlen (first));
  }

  app = kurir_app_test_new_application (APP_ID);
  g_application_activate (G_APPLICATION (app));
  window = KURIR_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  g_assert_true (KURIR_IS_WINDOW (window));
  WAIT_FOR (gtk_widget_get_mapped (GTK_WIDGET (window)) &&
            g_strcmp0 (kurir_window_get_visible_page (window), "loading") != 0);
  refresh_list ();

  g_test_add_func ("/app/hostile/remote-vectors", test_remote_vectors);
  g_test_add_func ("/app/hostile/efail", test_efail);
  g_test_add_func ("/app/hostile/mime-bombs", test_mime_bombs);
  g_test_add_func ("/app/hostile/attachment-names", test_attachment_names);

  ret = g_test_run ();

  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_settings_reset (settings, "check-on-startup");
  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));
  g_object_unref (service);
  g_clear_object (&app);
  g_clear_object (&store);
  g_clear_pointer (&hits, g_hash_table_unref);
  g_clear_pointer (&paths, g_ptr_array_unref);
  kurir_app_test_remove_tree (home);
  return ret;
}
