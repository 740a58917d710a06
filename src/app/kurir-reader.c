/* kurir-reader.c: one message: headers, each body part on its own,
 * attachments
 *
 * The message is read (kurir_store_get_raw_async) and parsed in a worker
 * thread. Each body part is shown in a view of its own, never joined to
 * another: plain text in a GtkTextView with clickable links, HTML in a
 * WebKitWebView (with WebKit) that runs no JavaScript, loads nothing
 * remote until the user asks (a content blocker for every URL that is not
 * data: or cid:, and a Content-Security-Policy as a second wall), and never
 * navigates: a click on a link shows its real address and, if the user
 * agrees, opens it in the browser. Without WebKit, or with "plain text"
 * on, HTML is shown as text. Of the choices of a multipart/alternative,
 * one is shown.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-app"

#include "config.h"

#include <glib/gi18n.h>
#if HAVE_WEBKIT
#include <webkit/webkit.h>
#endif

#include "kurir-message-parts.h"
#include "kurir-message-row.h"
#include "kurir-reader.h"
#include "kurir-remote-senders.h"

/* A message of thousands of parts (a MIME bomb) shows this many of them,
 * at most this many as HTML (each HTML view costs a web process's work);
 * View Source shows the rest. */
#define MAX_SHOWN_PARTS 50
#define MAX_WEB_VIEWS   8

#define CSP_BLOCKED "default-src 'none'; img-src data: cid:; style-src 'unsafe-inline' data:; font-src data:"
#define CSP_REMOTE  "default-src 'none'; img-src * data: cid:; style-src * 'unsafe-inline' data:; font-src * data:; media-src *"

struct _KurirReader
{
  GtkWidget          parent_instance;

  KurirStore        *store;
  KurirMessage      *message;
  GBytes            *raw;
  KurirMessageParts *parts;
  GCancellable      *cancellable;     /* of the message shown */
  gboolean           prefer_plain;
  gboolean           remote_allowed;
  gboolean           loading;
  guint              pending_views;   /* HTML views still loading */
  GPtrArray         *text_views;
  GPtrArray         *web_views;

  /* Template widgets */
  GtkStack          *stack;
  AdwStatusPage     *error_page;
  GtkLabel          *subject_label;
  GtkToggleButton   *plain_button;
  AdwAvatar         *avatar;
  GtkLabel          *from_label;
  GtkLabel          *date_label;
  GtkWidget         *to_title;
  GtkLabel          *to_label;
  GtkWidget         *cc_title;
  GtkLabel          *cc_label;
  GtkRevealer       *remote_revealer;
  GtkWidget         *remote_always_button;
  GSettings         *settings;        /* NULL without the installed schema */
  GtkRevealer       *outbox_revealer;
  GtkLabel          *outbox_label;
  GtkWidget         *outbox_resend_button;
  GtkWidget         *outbox_discard_button;
  GtkBox            *body_box;
  GtkRevealer       *attachment_revealer;
  GtkFlowBox        *attachment_box;
};

enum {
  PROP_0,
  PROP_LOADING,
  PROP_PREFER_PLAIN,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (KurirReader, kurir_reader, GTK_TYPE_WIDGET)

static void show_parts (KurirReader *self);

/* Helpers */

static void
set_loading (KurirReader *self,
             gboolean     loading)
{
  if (self->loading == loading)
    return;
  self->loading = loading;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
update_loading (KurirReader *self)
{
  set_loading (self, self->raw == NULL && self->message != NULL ? TRUE : self->pending_views > 0);
}

static void
set_header (GtkWidget  *title,
            GtkLabel   *label,
            const char *value)
{
  gboolean show = value != NULL && *value != '\0';

  if (title != NULL)
    gtk_widget_set_visible (title, show);
  gtk_widget_set_visible (GTK_WIDGET (label), show);
  gtk_label_set_text (label, show ? value : "");
}

static void
clear_body (KurirReader *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->body_box))) != NULL)
    gtk_box_remove (self->body_box, child);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->attachment_box))) != NULL)
    gtk_flow_box_remove (self->attachment_box, child);
  g_ptr_array_set_size (self->text_views, 0);
  g_ptr_array_set_size (self->web_views, 0);
  self->pending_views = 0;
}

/* Opens @uri in the default application after the user saw where it goes. */
static void open_uri_response_cb (AdwMessageDialog *dialog, const char *response, gpointer user_data);

static void
confirm_open_uri (KurirReader *self,
                  const char  *uri)
{
  g_autofree char *scheme = g_uri_parse_scheme (uri);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *dialog;

  if (scheme == NULL ||
      (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0 &&
       g_ascii_strcasecmp (scheme, "mailto") != 0))
    {
      g_message ("Not opening a link of scheme %s", scheme ? scheme : "(none)");
      return;
    }

  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   _("Open Link?"), NULL);
  /* Translators: %s is the link's real address */
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                  _("This link goes to:\n%s"), uri);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "open", _("_Open Link"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "open",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (open_uri_response_cb), NULL);
  g_object_set_data_full (G_OBJECT (dialog), "uri", g_strdup (uri), g_free);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void text_view_released_cb (GtkGestureClick *gesture, int n_press, double x, double y, gpointer user_data);
static void text_view_motion_cb (GtkEventControllerMotion *motion, double x, double y, gpointer user_data);

/* Plain text with its links made clickable. */
static GtkWidget *
make_text_view (KurirReader *self,
                const char  *text)
{
  static GRegex *link_regex = NULL;
  GtkWidget *view = gtk_text_view_new ();
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (view));
  g_autoptr(GMatchInfo) match = NULL;
  GtkTextTag *link_tag;
  GtkGesture *gesture;
  GtkEventController *motion;

  if (g_once_init_enter (&link_regex))
    g_once_init_leave (&link_regex,
                       g_regex_new ("\\b(?:https?://|mailto:|www\\.)[^\\s<>\"()]+[^\\s<>\"().,;:!?']",
                                    G_REGEX_CASELESS | G_REGEX_OPTIMIZE, 0, NULL));

  gtk_text_view_set_editable (GTK_TEXT_VIEW (view), FALSE);
  gtk_text_view_set_cursor_visible (GTK_TEXT_VIEW (view), FALSE);
  gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (view), GTK_WRAP_WORD_CHAR);
  gtk_text_view_set_left_margin (GTK_TEXT_VIEW (view), 18);
  gtk_text_view_set_right_margin (GTK_TEXT_VIEW (view), 18);
  gtk_text_view_set_top_margin (GTK_TEXT_VIEW (view), 12);
  gtk_text_view_set_bottom_margin (GTK_TEXT_VIEW (view), 12);
  gtk_widget_add_css_class (view, "message-text");
  gtk_accessible_update_property (GTK_ACCESSIBLE (view), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Message Text"), -1);
  gtk_text_buffer_set_text (buffer, text, -1);

  link_tag = gtk_text_buffer_create_tag (buffer, "link",
                                         "underline", PANGO_UNDERLINE_SINGLE,
                                         NULL);
  g_regex_match (link_regex, text, 0, &match);
  while (g_match_info_matches (match))
    {
      int start, end;
      GtkTextIter start_iter, end_iter;

      g_match_info_fetch_pos (match, 0, &start, &end);
      gtk_text_buffer_get_iter_at_offset (buffer, &start_iter,
                                          (int) g_utf8_pointer_to_offset (text, text + start));
      gtk_text_buffer_get_iter_at_offset (buffer, &end_iter,
                                          (int) g_utf8_pointer_to_offset (text, text + end));
      gtk_text_buffer_apply_tag (buffer, link_tag, &start_iter, &end_iter);
      g_match_info_next (match, NULL);
    }
  gesture = gtk_gesture_click_new ();
  g_signal_connect_object (gesture, "released", G_CALLBACK (text_view_released_cb), self, 0);
  gtk_widget_add_controller (view, GTK_EVENT_CONTROLLER (gesture));
  motion = gtk_event_controller_motion_new ();
  g_signal_connect (motion, "motion", G_CALLBACK (text_view_motion_cb), NULL);
  gtk_widget_add_controller (view, motion);

  g_ptr_array_add (self->text_views, view);
  return view;
}

static char *
link_at (GtkTextView *view,
         double       x,
         double       y)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (view);
  GtkTextTag *tag = gtk_text_tag_table_lookup (gtk_text_buffer_get_tag_table (buffer), "link");
  GtkTextIter iter, start, end;
  int bx, by;
  g_autofree char *text = NULL;

  gtk_text_view_window_to_buffer_coords (view, GTK_TEXT_WINDOW_WIDGET, (int) x, (int) y, &bx, &by);
  if (!gtk_text_view_get_iter_at_location (view, &iter, bx, by) || !gtk_text_iter_has_tag (&iter, tag))
    return NULL;
  start = end = iter;
  if (!gtk_text_iter_starts_tag (&start, tag))
    gtk_text_iter_backward_to_tag_toggle (&start, tag);
  gtk_text_iter_forward_to_tag_toggle (&end, tag);
  text = gtk_text_iter_get_text (&start, &end);
  if (g_ascii_strncasecmp (text, "www.", 4) == 0)
    return g_strconcat ("https://", text, NULL);
  return g_steal_pointer (&text);
}

#if HAVE_WEBKIT
static WebKitUserContentFilter *block_filter;
static gboolean block_filter_failed;
static GPtrArray *block_filter_waiters;   /* GWeakRef to KurirReader */

static void
weak_ref_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

static void filter_saved_cb (GObject *source, GAsyncResult *result, gpointer user_data);

/* Compiles the content blocker once per process; TRUE when ready. */
static gboolean
ensure_block_filter (KurirReader *self)
{
  static const char rules[] =
    "[{\"trigger\":{\"url-filter\":\".*\"},\"action\":{\"type\":\"block\"}},"
    " {\"trigger\":{\"url-filter\":\"^data:\"},\"action\":{\"type\":\"ignore-previous-rules\"}},"
    " {\"trigger\":{\"url-filter\":\"^cid:\"},\"action\":{\"type\":\"ignore-previous-rules\"}},"
    " {\"trigger\":{\"url-filter\":\"^about:\"},\"action\":{\"type\":\"ignore-previous-rules\"}}]";

  if (block_filter != NULL || block_filter_failed)
    return TRUE;

  if (block_filter_waiters == NULL)
    {
      g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "kurir", "content-filters", NULL);
      g_autoptr(WebKitUserContentFilterStore) store = webkit_user_content_filter_store_new (dir);
      g_autoptr(GBytes) source = g_bytes_new_static (rules, sizeof rules - 1);

      block_filter_waiters = g_ptr_array_new_with_free_func (weak_ref_free);
      webkit_user_content_filter_store_save (store, "kurir-block-remote", source, NULL,
                                             filter_saved_cb, NULL);
    }
  {
    GWeakRef *ref = g_new0 (GWeakRef, 1);

    g_weak_ref_init (ref, self);
    g_ptr_array_add (block_filter_waiters, ref);
  }
  return FALSE;
}

static gboolean
decide_policy_cb (WebKitWebView            *view,
                  WebKitPolicyDecision     *decision,
                  WebKitPolicyDecisionType  type,
                  gpointer                  user_data)
{
  KurirReader *self = user_data;
  WebKitNavigationAction *action;
  const char *uri;

  if (type == WEBKIT_POLICY_DECISION_TYPE_RESPONSE)
    return FALSE;

  action = webkit_navigation_policy_decision_get_navigation_action (WEBKIT_NAVIGATION_POLICY_DECISION (decision));
  uri = webkit_uri_request_get_uri (webkit_navigation_action_get_request (action));

  /* The document itself, once; nothing after that. */
  if (type == WEBKIT_POLICY_DECISION_TYPE_NAVIGATION_ACTION &&
      g_object_get_data (G_OBJECT (view), "kurir-loaded") == NULL &&
      g_strcmp0 (uri, "about:blank") == 0)
    {
      g_object_set_data (G_OBJECT (view), "kurir-loaded", GINT_TO_POINTER (1));
      webkit_policy_decision_use (decision);
      return TRUE;
    }

  webkit_policy_decision_ignore (decision);
  if (webkit_navigation_action_get_navigation_type (action) == WEBKIT_NAVIGATION_TYPE_LINK_CLICKED ||
      webkit_navigation_action_is_user_gesture (action))
    confirm_open_uri (self, uri);
  return TRUE;
}

static void
load_changed_cb (WebKitWebView   *view,
                 WebKitLoadEvent  event,
                 gpointer         user_data)
{
  KurirReader *self = user_data;

  if (event != WEBKIT_LOAD_FINISHED || g_object_get_data (G_OBJECT (view), "kurir-done") != NULL)
    return;
  g_object_set_data (G_OBJECT (view), "kurir-done", GINT_TO_POINTER (1));
  if (self->pending_views > 0)
    self->pending_views--;
  update_loading (self);
}

static gboolean
context_menu_cb (WebKitWebView       *view,
                 WebKitContextMenu   *menu,
                 WebKitHitTestResult *hit,
                 gpointer             user_data)
{
  GList *items = webkit_context_menu_get_items (menu);

  /* Only copy and select: no reload, no "open in new window". */
  for (GList *l = g_list_copy (items), *next; l != NULL; l = next)
    {
      WebKitContextMenuItem *item = l->data;
      WebKitContextMenuAction action = webkit_context_menu_item_get_stock_action (item);

      next = l->next;
      if (action != WEBKIT_CONTEXT_MENU_ACTION_COPY &&
          action != WEBKIT_CONTEXT_MENU_ACTION_COPY_LINK_TO_CLIPBOARD &&
          action != WEBKIT_CONTEXT_MENU_ACTION_SELECT_ALL)
        webkit_context_menu_remove (menu, item);
      g_list_free_1 (l);
    }
  return FALSE;
}

static WebKitNetworkSession *
get_network_session (void)
{
  static WebKitNetworkSession *session;

  /* Nothing of what mail loads is kept on disk. */
  if (session == NULL)
    session = webkit_network_session_new_ephemeral ();
  return session;
}

static GtkWidget *
make_web_view (KurirReader *self,
               const char  *html)
{
  g_autoptr(WebKitUserContentManager) manager = webkit_user_content_manager_new ();
  g_autoptr(WebKitSettings) settings = webkit_settings_new ();
  g_autofree char *document = NULL;
  GtkWidget *view;

  webkit_settings_set_enable_javascript (settings, FALSE);
  webkit_settings_set_enable_javascript_markup (settings, FALSE);
  webkit_settings_set_javascript_can_open_windows_automatically (settings, FALSE);
  webkit_settings_set_enable_page_cache (settings, FALSE);
  webkit_settings_set_enable_html5_local_storage (settings, FALSE);
  webkit_settings_set_enable_html5_database (settings, FALSE);
  webkit_settings_set_enable_webgl (settings, FALSE);
  webkit_settings_set_enable_webaudio (settings, FALSE);
  webkit_settings_set_allow_file_access_from_file_urls (settings, FALSE);
  webkit_settings_set_allow_universal_access_from_file_urls (settings, FALSE);
  webkit_settings_set_enable_back_forward_navigation_gestures (settings, FALSE);
  webkit_settings_set_hardware_acceleration_policy (settings, WEBKIT_HARDWARE_ACCELERATION_POLICY_NEVER);

  if (!self->remote_allowed)
    webkit_user_content_manager_add_filter (manager, block_filter);

  view = g_object_new (WEBKIT_TYPE_WEB_VIEW,
                       "network-session", get_network_session (),
                       "user-content-manager", manager,
                       "settings", settings,
                       NULL);
  g_signal_connect_object (view, "decide-policy", G_CALLBACK (decide_policy_cb), self, 0);
  g_signal_connect_object (view, "load-changed", G_CALLBACK (load_changed_cb), self, 0);
  g_signal_connect (view, "context-menu", G_CALLBACK (context_menu_cb), NULL);

  /* The policy first, so it holds before any of the mail's markup. */
  document = g_strdup_printf ("<!DOCTYPE html><meta http-equiv=\"Content-Security-Policy\" content=\"%s\">"
                              "<meta name=\"referrer\" content=\"no-referrer\">"
                              "<meta charset=\"utf-8\"><style>body { margin: 18px; }</style>%s",
                              self->remote_allowed ? CSP_REMOTE : CSP_BLOCKED, html);
  self->pending_views++;
  webkit_web_view_load_html (WEBKIT_WEB_VIEW (view), document, "about:blank");
  g_ptr_array_add (self->web_views, view);
  return view;
}

static gboolean
html_may_load_remote (const char *html)
{
  return strstr (html, "http:") != NULL || strstr (html, "https:") != NULL ||
         strstr (html, "//") != NULL;
}
#endif

static void
add_attachment_button (KurirReader     *self,
                       KurirAttachment *attachment)
{
  g_autoptr(GMenu) menu = g_menu_new ();
  g_autoptr(GMenuItem) save = NULL;
  g_autofree char *size = g_format_size (attachment->size);
  g_autofree char *tooltip = NULL;
  g_autoptr(GIcon) icon = g_content_type_get_symbolic_icon (attachment->content_type);
  GtkWidget *button = adw_split_button_new ();
  GtkWidget *content = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *label = gtk_label_new (attachment->filename);

  save = g_menu_item_new (_("_Save As…"), NULL);
  g_menu_item_set_action_and_target (save, "reader.save-attachment", "u", attachment->index);
  g_menu_append_item (menu, save);

  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 24);
  gtk_box_append (GTK_BOX (content), gtk_image_new_from_gicon (icon));
  gtk_box_append (GTK_BOX (content), label);
  adw_split_button_set_child (ADW_SPLIT_BUTTON (button), content);
  adw_split_button_set_menu_model (ADW_SPLIT_BUTTON (button), G_MENU_MODEL (menu));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "reader.open-attachment");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "u", attachment->index);
  /* Translators: an attachment's file name and size */
  tooltip = g_strdup_printf (_("Open %s (%s)"), attachment->filename, size);
  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_flow_box_append (self->attachment_box, button);
}

/* Which body parts to show: all, except that of a multipart/alternative
 * only one choice is shown, plain text or HTML as preferred. */
static gboolean *
choose_parts (KurirReader *self)
{
  GPtrArray *body = self->parts->body_parts;
  gboolean *show = g_new0 (gboolean, body->len + 1);
  g_autoptr(GHashTable) chosen = g_hash_table_new (NULL, NULL);   /* group → index + 1 */

  for (guint i = 0; i < body->len; i++)
    {
      KurirBodyPart *part = g_ptr_array_index (body, i);
      gpointer key = GINT_TO_POINTER (part->alternative_group);
      guint current;
      KurirBodyPart *other;
      KurirBodyPartKind wanted = self->prefer_plain ? KURIR_BODY_PART_PLAIN : KURIR_BODY_PART_HTML;

      if (part->alternative_group < 0)
        {
          show[i] = TRUE;
          continue;
        }
      current = GPOINTER_TO_UINT (g_hash_table_lookup (chosen, key));
      if (current == 0)
        {
          g_hash_table_insert (chosen, key, GUINT_TO_POINTER (i + 1));
          continue;
        }
      other = g_ptr_array_index (body, current - 1);
      /* The later choice is the richer one (RFC 2046); take it if it is
       * of the wanted kind or the current one is not. */
      if (part->kind == wanted || other->kind != wanted)
        g_hash_table_insert (chosen, key, GUINT_TO_POINTER (i + 1));
    }

  {
    GHashTableIter iter;
    gpointer value;

    g_hash_table_iter_init (&iter, chosen);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      show[GPOINTER_TO_UINT (value) - 1] = TRUE;
  }
  return show;
}

static void
show_parts (KurirReader *self)
{
  GPtrArray *body;
  g_autofree gboolean *show = NULL;
  GtkWidget *parts_box;
  GtkWidget *single_web_view = NULL;
  gboolean any_remote = FALSE;
  guint n_shown = 0, n_web_views = 0, n_hidden = 0;

  clear_body (self);
  if (self->parts == NULL)
    return;

  body = self->parts->body_parts;
  show = choose_parts (self);
  parts_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);

  for (guint i = 0; i < body->len; i++)
    {
      KurirBodyPart *part = g_ptr_array_index (body, i);
      GtkWidget *view = NULL;

      if (!show[i])
        continue;
      if (n_shown >= MAX_SHOWN_PARTS)
        {
          n_hidden++;
          continue;
        }
      if (n_shown++ > 0)
        gtk_box_append (GTK_BOX (parts_box), gtk_separator_new (GTK_ORIENTATION_HORIZONTAL));

      if (part->kind == KURIR_BODY_PART_HTML && !self->prefer_plain)
        {
#if HAVE_WEBKIT
          if ((block_filter != NULL || (self->remote_allowed && block_filter_failed)) &&
              n_web_views++ < MAX_WEB_VIEWS)
            {
              view = make_web_view (self, part->text);
              gtk_widget_set_size_request (view, -1, 480);
              any_remote |= html_may_load_remote (part->text);
              single_web_view = view;
            }
#endif
        }
      if (view == NULL)
        {
          g_autofree char *text = NULL;

          if (part->kind == KURIR_BODY_PART_HTML)
            text = kurir_mime_html_to_text (part->text, -1);
          view = make_text_view (self, text ? text : part->text);
        }
      gtk_box_append (GTK_BOX (parts_box), view);
    }

  if (n_hidden > 0)
    {
      g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                            "%u more part is not shown: View Source shows the whole message.",
                                                            "%u more parts are not shown: View Source shows the whole message.",
                                                            n_hidden),
                                               n_hidden);
      GtkWidget *label = gtk_label_new (text);

      gtk_widget_add_css_class (label, "dim-label");
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_widget_set_margin_top (label, 12);
      gtk_box_append (GTK_BOX (parts_box), label);
    }

  if (n_shown == 0)
    {
      GtkWidget *label = gtk_label_new (_("This message has no text."));

      gtk_widget_add_css_class (label, "dim-label");
      gtk_widget_set_margin_top (label, 24);
      gtk_box_append (GTK_BOX (parts_box), label);
    }

  if (n_shown == 1 && single_web_view != NULL)
    {
      /* One HTML part: it scrolls itself and fills the reader. */
      gtk_widget_set_size_request (single_web_view, -1, -1);
      gtk_widget_set_vexpand (single_web_view, TRUE);
      gtk_widget_set_vexpand (parts_box, TRUE);
      gtk_box_append (self->body_box, parts_box);
    }
  else
    {
      GtkWidget *scrolled = gtk_scrolled_window_new ();

      gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
      gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), parts_box);
      gtk_widget_set_vexpand (scrolled, TRUE);
      gtk_box_append (self->body_box, scrolled);
    }

  gtk_revealer_set_reveal_child (self->remote_revealer, any_remote && !self->remote_allowed);
  {
    g_autofree char *address = self->message ? kurir_remote_senders_address_of (kurir_message_get_from (self->message)) : NULL;
    gtk_widget_set_visible (self->remote_always_button, address != NULL);
  }

  for (guint i = 0; i < self->parts->attachments->len; i++)
    add_attachment_button (self, g_ptr_array_index (self->parts->attachments, i));
  gtk_revealer_set_reveal_child (self->attachment_revealer, self->parts->attachments->len > 0);

  update_loading (self);
}

static void
show_headers (KurirReader *self)
{
  KurirMessage *message = self->message;
  const char *subject = kurir_message_get_subject (message);
  const char *from = kurir_message_get_from (message);
  g_autofree char *name = kurir_message_row_format_sender (from);
  g_autofree char *markup = NULL;
  g_autoptr(GDateTime) date = NULL;
  g_autofree char *date_text = NULL;
  const char *lt = from ? strchr (from, '<') : NULL;

  gtk_label_set_text (self->subject_label, subject && *subject ? subject : _("(No subject)"));
  if (from == NULL || *from == '\0')
    markup = g_markup_escape_text (_("Unknown sender"), -1);
  else if (lt != NULL && lt > from)
    /* The name, and the real address beside it, never hidden. */
    markup = g_markup_printf_escaped ("<b>%s</b>  <span alpha=\"60%%\">%s</span>", name, lt);
  else
    markup = g_markup_printf_escaped ("<b>%s</b>", from);
  gtk_label_set_markup (self->from_label, markup);
  adw_avatar_set_text (self->avatar, name);
  if (kurir_message_get_date (message) > 0)
    date = g_date_time_new_from_unix_local (kurir_message_get_date (message));
  if (date != NULL)
    /* Translators: the date of a message in the reader (strftime format) */
    date_text = g_date_time_format (date, _("%a, %e %b %Y, %H:%M"));
  gtk_label_set_text (self->date_label, date_text ? g_strstrip (date_text) : "");
  set_header (self->to_title, self->to_label, kurir_message_get_to (message));
  set_header (self->cc_title, self->cc_label, kurir_message_get_cc (message));
}

static void
parse_thread (GTask        *task,
              gpointer      source,
              gpointer      task_data,
              GCancellable *cancellable)
{
  GBytes *raw = task_data;
  gsize length;
  const char *data = g_bytes_get_data (raw, &length);

  g_task_return_pointer (task, kurir_message_parts_new_from_data (data, length),
                         (GDestroyNotify) kurir_message_parts_free);
}

static GFile *
attachment_temp_file (KurirReader     *self,
                      KurirAttachment *attachment)
{
  g_autofree char *name = g_strdup_printf ("%" G_GINT64_FORMAT "-%u",
                                           kurir_message_get_id (self->message), attachment->index);
  g_autofree char *path = g_build_filename (g_get_user_cache_dir (), "kurir", "attachments",
                                            name, attachment->filename, NULL);
  return g_file_new_for_path (path);
}

static KurirAttachment *
find_attachment (KurirReader *self,
                 guint        index)
{
  if (self->parts == NULL)
    return NULL;
  for (guint i = 0; i < self->parts->attachments->len; i++)
    {
      KurirAttachment *attachment = g_ptr_array_index (self->parts->attachments, i);
      if (attachment->index == index)
        return attachment;
    }
  return NULL;
}

static void
show_error_toast (KurirReader *self,
                  const char  *message)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (message));
  else
    g_warning ("%s", message);
}

/* Callbacks */

static void
open_uri_launched_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!g_app_info_launch_default_for_uri_finish (result, &error))
    g_warning ("Could not open the link: %s", error->message);
}

static void
open_uri_response_cb (AdwMessageDialog *dialog,
                      const char       *response,
                      gpointer          user_data)
{
  const char *uri = g_object_get_data (G_OBJECT (dialog), "uri");

  if (g_strcmp0 (response, "open") == 0 && uri != NULL)
    g_app_info_launch_default_for_uri_async (uri, NULL, NULL, open_uri_launched_cb, NULL);
}

#if HAVE_WEBKIT
static void
filter_saved_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&block_filter_waiters);

  block_filter = webkit_user_content_filter_store_save_finish (WEBKIT_USER_CONTENT_FILTER_STORE (source),
                                                               result, &error);
  if (block_filter == NULL)
    {
      /* Without the blocker, HTML is shown as text until remote content is allowed. */
      g_warning ("Could not compile the remote content blocker: %s", error->message);
      block_filter_failed = TRUE;
    }

  for (guint i = 0; i < waiters->len; i++)
    {
      g_autoptr(KurirReader) self = g_weak_ref_get (g_ptr_array_index (waiters, i));

      if (self == NULL)
        continue;
      if (self->parts != NULL)
        show_parts (self);
      else
        update_loading (self);
    }
}
#endif

static void
parsed_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  KurirReader *self = KURIR_READER (source);
  g_autoptr(GError) error = NULL;
  KurirMessageParts *parts;

  parts = g_task_propagate_pointer (G_TASK (result), &error);
  if (parts == NULL)
    return;   /* cancelled: another message is shown */

  g_clear_pointer (&self->parts, kurir_message_parts_free);
  self->parts = parts;
#if HAVE_WEBKIT
  if (!ensure_block_filter (self))
    {
      set_loading (self, TRUE);   /* the blocker compiles; show_parts() follows */
      return;
    }
#endif
  show_parts (self);
}

static void
raw_loaded_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(KurirReader) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) task = NULL;
  GBytes *raw;

  raw = kurir_store_get_raw_finish (KURIR_STORE (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (raw == NULL)
    {
      adw_status_page_set_description (self->error_page, error->message);
      gtk_stack_set_visible_child_name (self->stack, "error");
      set_loading (self, FALSE);
      return;
    }

  self->raw = raw;
  task = g_task_new (self, self->cancellable, parsed_cb, NULL);
  g_task_set_source_tag (task, raw_loaded_cb);
  g_task_set_task_data (task, g_bytes_ref (raw), (GDestroyNotify) g_bytes_unref);
  g_task_run_in_thread (task, parse_thread);
}

static void
text_view_released_cb (GtkGestureClick *gesture,
                       int              n_press,
                       double           x,
                       double           y,
                       gpointer         user_data)
{
  KurirReader *self = user_data;
  GtkWidget *view = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (gesture));
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (view));
  g_autofree char *uri = NULL;

  /* A drag that selected text is not a click on a link. */
  if (gtk_text_buffer_get_has_selection (buffer) ||
      gtk_gesture_single_get_current_button (GTK_GESTURE_SINGLE (gesture)) != GDK_BUTTON_PRIMARY)
    return;
  uri = link_at (GTK_TEXT_VIEW (view), x, y);
  if (uri != NULL)
    confirm_open_uri (self, uri);
}

static void
text_view_motion_cb (GtkEventControllerMotion *motion,
                     double                    x,
                     double                    y,
                     gpointer                  user_data)
{
  GtkWidget *view = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (motion));
  g_autofree char *uri = link_at (GTK_TEXT_VIEW (view), x, y);

  gtk_widget_set_cursor_from_name (view, uri ? "pointer" : "text");
  gtk_widget_set_tooltip_text (view, uri);
}

static void
attachment_saved_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GFile) file = user_data;
  g_autoptr(GError) error = NULL;
  gboolean open = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (file), "kurir-open"));
  KurirReader *self = g_object_get_data (G_OBJECT (file), "kurir-reader");

  if (!kurir_message_parts_save_attachment_finish (result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && self != NULL)
        show_error_toast (self, error->message);
      return;
    }

  if (open)
    {
      g_autofree char *uri = g_file_get_uri (file);
      g_app_info_launch_default_for_uri_async (uri, NULL, NULL, open_uri_launched_cb, NULL);
    }
  else if (self != NULL)
    show_error_toast (self, _("Attachment saved"));
}

static void
save_attachment (KurirReader     *self,
                 KurirAttachment *attachment,
                 GFile           *file,
                 gboolean         open)
{
  g_autoptr(GFile) parent = g_file_get_parent (file);

  if (open && parent != NULL)
    g_mkdir_with_parents (g_file_peek_path (parent), 0700);
  g_object_set_data (G_OBJECT (file), "kurir-open", GINT_TO_POINTER (open));
  g_object_set_data (G_OBJECT (file), "kurir-reader", self);
  kurir_message_parts_save_attachment_async (self->raw, attachment->index, file, self->cancellable,
                                             attachment_saved_cb, g_object_ref (file));
}

static void
open_attachment_cb (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  KurirReader *self = KURIR_READER (widget);
  KurirAttachment *attachment = find_attachment (self, g_variant_get_uint32 (parameter));
  g_autoptr(GFile) file = NULL;

  if (attachment == NULL || self->raw == NULL)
    return;
  file = attachment_temp_file (self, attachment);
  save_attachment (self, attachment, file, TRUE);
}

static void
save_dialog_response_cb (GtkNativeDialog *dialog,
                         int              response,
                         gpointer         user_data)
{
  KurirReader *self = user_data;
  guint index = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (dialog), "kurir-index"));
  KurirAttachment *attachment = find_attachment (self, index);

  if (response == GTK_RESPONSE_ACCEPT && attachment != NULL && self->raw != NULL)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      if (file != NULL)
        save_attachment (self, attachment, file, FALSE);
    }
  g_object_unref (dialog);
  g_object_unref (self);
}

static void
save_attachment_cb (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  KurirReader *self = KURIR_READER (widget);
  guint index = g_variant_get_uint32 (parameter);
  KurirAttachment *attachment = find_attachment (self, index);
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkFileChooserNative *dialog;

  if (attachment == NULL)
    return;
  dialog = gtk_file_chooser_native_new (_("Save Attachment"),
                                        GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), attachment->filename);
  g_object_set_data (G_OBJECT (dialog), "kurir-index", GUINT_TO_POINTER (index));
  g_signal_connect (dialog, "response", G_CALLBACK (save_dialog_response_cb), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* The message as it came, in a window of its own; never interpreted. */
static void
view_source_cb (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  KurirReader *self = KURIR_READER (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *window, *box, *scrolled, *view;
  g_autofree char *text = NULL;
  gsize length;
  const char *data;

  if (self->raw == NULL)
    return;
  data = g_bytes_get_data (self->raw, &length);
  text = kurir_mime_convert_to_utf8 (data, length, NULL);

  window = adw_window_new ();
  gtk_window_set_title (GTK_WINDOW (window), _("Message Source"));
  gtk_window_set_default_size (GTK_WINDOW (window), 760, 600);
  if (GTK_IS_WINDOW (root))
    gtk_window_set_transient_for (GTK_WINDOW (window), GTK_WINDOW (root));
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_box_append (GTK_BOX (box), adw_header_bar_new ());
  view = gtk_text_view_new ();
  gtk_text_view_set_editable (GTK_TEXT_VIEW (view), FALSE);
  gtk_text_view_set_monospace (GTK_TEXT_VIEW (view), TRUE);
  gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (view), GTK_WRAP_CHAR);
  gtk_text_view_set_left_margin (GTK_TEXT_VIEW (view), 12);
  gtk_text_view_set_top_margin (GTK_TEXT_VIEW (view), 12);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (view)), text, -1);
  scrolled = gtk_scrolled_window_new ();
  gtk_widget_set_vexpand (scrolled, TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), view);
  gtk_box_append (GTK_BOX (box), scrolled);
  adw_window_set_content (ADW_WINDOW (window), box);
  gtk_window_present (GTK_WINDOW (window));
}

/* The "remote-content" setting: "never", "known-senders" or "always". */
static char *
remote_policy (KurirReader *self)
{
  if (self->settings == NULL)
    {
      GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
      g_autoptr(GSettingsSchema) schema = source ? g_settings_schema_source_lookup (source, APP_ID, TRUE) : NULL;

      if (schema == NULL || !g_settings_schema_has_key (schema, "remote-content"))
        return g_strdup ("never");
      self->settings = g_settings_new (APP_ID);
    }
  return g_settings_get_string (self->settings, "remote-content");
}

/* Whether @message may load remote content without asking. */
static gboolean
remote_allowed_for (KurirReader  *self,
                    KurirMessage *message)
{
  g_autofree char *policy = remote_policy (self);
  g_autofree char *address = NULL;

  if (g_strcmp0 (policy, "always") == 0)
    return TRUE;
  if (g_strcmp0 (policy, "known-senders") != 0)
    return FALSE;
  address = kurir_remote_senders_address_of (kurir_message_get_from (message));
  return kurir_remote_senders_contains (address);
}

/* "Always for this sender": the sender joins the allowed ones; with the
 * setting at "never" it becomes "known-senders" (the user just asked for
 * a sender whose mail loads it by itself). */
static void
always_remote_content_cb (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  KurirReader *self = KURIR_READER (widget);
  g_autofree char *address = NULL;
  g_autofree char *policy = NULL;

  if (self->message == NULL)
    return;
  address = kurir_remote_senders_address_of (kurir_message_get_from (self->message));
  if (address != NULL)
    {
      kurir_remote_senders_add (address);
      policy = remote_policy (self);
      if (self->settings != NULL && g_strcmp0 (policy, "never") == 0)
        g_settings_set_string (self->settings, "remote-content", "known-senders");
    }
  kurir_reader_allow_remote_content (self);
}

static void
show_remote_content_cb (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  kurir_reader_allow_remote_content (KURIR_READER (widget));
}

static void
plain_toggled_cb (KurirReader *self)
{
  kurir_reader_set_prefer_plain (self, gtk_toggle_button_get_active (self->plain_button));
}

/* Overrides */

static void
kurir_reader_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  KurirReader *self = KURIR_READER (object);

  switch (prop_id)
    {
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    case PROP_PREFER_PLAIN:
      g_value_set_boolean (value, self->prefer_plain);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kurir_reader_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  KurirReader *self = KURIR_READER (object);

  switch (prop_id)
    {
    case PROP_PREFER_PLAIN:
      kurir_reader_set_prefer_plain (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kurir_reader_dispose (GObject *object)
{
  KurirReader *self = KURIR_READER (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->store);
  g_clear_object (&self->message);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->raw, g_bytes_unref);
  g_clear_pointer (&self->parts, kurir_message_parts_free);
  g_clear_pointer (&self->text_views, g_ptr_array_unref);
  g_clear_pointer (&self->web_views, g_ptr_array_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), KURIR_TYPE_READER);
  {
    GtkWidget *child;

    /* The template's root widget is not a bound child: unparent it too. */
    while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
      gtk_widget_unparent (child);
  }

  G_OBJECT_CLASS (kurir_reader_parent_class)->dispose (object);
}

static void
kurir_reader_class_init (KurirReaderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = kurir_reader_get_property;
  object_class->set_property = kurir_reader_set_property;
  object_class->dispose = kurir_reader_dispose;

  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PREFER_PLAIN] =
    g_param_spec_boolean ("prefer-plain", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_install_action (widget_class, "reader.open-attachment", "u", open_attachment_cb);
  gtk_widget_class_install_action (widget_class, "reader.save-attachment", "u", save_attachment_cb);
  gtk_widget_class_install_action (widget_class, "reader.show-remote-content", NULL, show_remote_content_cb);
  gtk_widget_class_install_action (widget_class, "reader.always-remote-content", NULL, always_remote_content_cb);
  gtk_widget_class_install_action (widget_class, "reader.view-source", NULL, view_source_cb);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/kurir/Kurir/kurir-reader.ui");
  gtk_widget_class_bind_template_child (widget_class, KurirReader, stack);
  gtk_widget_class_bind_template_child (widget_class, KurirReader, error_page);
  gtk_widget_class_bind_template_child (widget_class, KurirReader, subject_label);
  gtk_widget_class_bind_template_child (widget_class, KurirReader, plain_button);
  gtk_widget_class_bind_template_child (widget_class, KurirReader, avatar);
  gtk_widget_class_bind_template_child (widget_class, KurirReader, from_label);
  gtk_widget_class_bind_template_child (widget_class, KurirReader, date_label);
  gtk_widget_class_bind_template_child (widget_class, KurirReader, to_title);
  gtk_widget_class_bind_template_child (widget_class, KurirReader, to_label);
  gtk_widget_class_bind_template_child (widget_class, KurirReader, cc_title);
  gtk_widget_class_bind_template_child (widget_class, KurirReader, cc_label);
  gtk_widget_class_bind_template_child (widget_class, KurirReader, remote_revealer);
  gtk_widget_class_bind_template_child (widget_class, KurirReader, remote_always_button);
  gtk_widget_class_bind_template_child (widget_class, KurirReader, outbox_revealer);
  gtk_widget_class_bind_template_child (widget_class, KurirReader, outbox_label);
  gtk_widget_class_bind_template_child (widget_class, KurirReader, outbox_resend_button);
  gtk_widget_class_bind_template_child (widget_class, KurirReader, outbox_discard_button);
  gtk_widget_class_bind_template_child (widget_class, KurirReader, body_box);
  gtk_widget_class_bind_template_child (widget_class, KurirReader, attachment_revealer);
  gtk_widget_class_bind_template_child (widget_class, KurirReader, attachment_box);
}

static void
kurir_reader_init (KurirReader *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->text_views = g_ptr_array_new ();
  self->web_views = g_ptr_array_new ();
  g_signal_connect_swapped (self->plain_button, "toggled", G_CALLBACK (plain_toggled_cb), self);
}

/* Public API */

GtkWidget *
kurir_reader_new (void)
{
  return g_object_new (KURIR_TYPE_READER, NULL);
}

void
kurir_reader_set_store (KurirReader *self,
                        KurirStore  *store)
{
  g_return_if_fail (KURIR_IS_READER (self));
  g_set_object (&self->store, store);
}

void
kurir_reader_set_message (KurirReader  *self,
                          KurirMessage *message)
{
  g_return_if_fail (KURIR_IS_READER (self));

  /* The same message again (its flags changed): keep what is shown. */
  if (message != NULL && self->message != NULL &&
      kurir_message_get_id (message) == kurir_message_get_id (self->message))
    {
      g_set_object (&self->message, message);
      return;
    }

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->raw, g_bytes_unref);
  g_clear_pointer (&self->parts, kurir_message_parts_free);
  g_set_object (&self->message, message);
  self->remote_allowed = message != NULL && remote_allowed_for (self, message);
  clear_body (self);
  gtk_revealer_set_reveal_child (self->remote_revealer, FALSE);
  gtk_revealer_set_reveal_child (self->attachment_revealer, FALSE);
  kurir_reader_set_outbox_status (self, 0, NULL, FALSE);

  if (message == NULL || self->store == NULL)
    {
      gtk_stack_set_visible_child_name (self->stack, "empty");
      update_loading (self);
      return;
    }

  self->cancellable = g_cancellable_new ();
  show_headers (self);
  gtk_stack_set_visible_child_name (self->stack, "message");
  update_loading (self);
  kurir_store_get_raw_async (self->store, kurir_message_get_id (message), self->cancellable,
                             raw_loaded_cb, g_object_ref (self));
}

/* Returns: (nullable) (transfer none) */
KurirMessage *
kurir_reader_get_message (KurirReader *self)
{
  g_return_val_if_fail (KURIR_IS_READER (self), NULL);
  return self->message;
}

void
kurir_reader_allow_remote_content (KurirReader *self)
{
  g_return_if_fail (KURIR_IS_READER (self));

  if (self->remote_allowed || self->message == NULL)
    return;
  self->remote_allowed = TRUE;
  if (self->parts != NULL)
    show_parts (self);
}

gboolean
kurir_reader_get_prefer_plain (KurirReader *self)
{
  g_return_val_if_fail (KURIR_IS_READER (self), FALSE);
  return self->prefer_plain;
}

void
kurir_reader_set_prefer_plain (KurirReader *self,
                               gboolean     prefer_plain)
{
  g_return_if_fail (KURIR_IS_READER (self));

  prefer_plain = !!prefer_plain;
  if (self->prefer_plain == prefer_plain)
    return;
  self->prefer_plain = prefer_plain;
  gtk_toggle_button_set_active (self->plain_button, prefer_plain);
  if (self->parts != NULL)
    show_parts (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PREFER_PLAIN]);
}

gboolean
kurir_reader_get_loading (KurirReader *self)
{
  g_return_val_if_fail (KURIR_IS_READER (self), FALSE);
  return self->loading;
}

char *
kurir_reader_get_text (KurirReader *self)
{
  GString *text = g_string_new (NULL);

  g_return_val_if_fail (KURIR_IS_READER (self), NULL);

  for (guint i = 0; i < self->text_views->len; i++)
    {
      GtkTextBuffer *buffer = gtk_text_view_get_buffer (g_ptr_array_index (self->text_views, i));
      GtkTextIter start, end;
      g_autofree char *part = NULL;

      gtk_text_buffer_get_bounds (buffer, &start, &end);
      part = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
      if (i > 0)
        g_string_append (text, "\n\n");
      g_string_append (text, part);
    }
  return g_string_free (text, FALSE);
}

/* Returns: (transfer container) (element-type GtkWidget) */
GPtrArray *
kurir_reader_get_web_views (KurirReader *self)
{
  GPtrArray *views = g_ptr_array_new ();

  g_return_val_if_fail (KURIR_IS_READER (self), NULL);
  for (guint i = 0; i < self->web_views->len; i++)
    g_ptr_array_add (views, g_ptr_array_index (self->web_views, i));
  return views;
}

void
kurir_reader_set_outbox_status (KurirReader *self,
                                gint64       id,
                                const char  *text,
                                gboolean     can_decide)
{
  g_return_if_fail (KURIR_IS_READER (self));

  gtk_label_set_text (self->outbox_label, text != NULL ? text : "");
  gtk_revealer_set_reveal_child (self->outbox_revealer, text != NULL);
  gtk_widget_set_visible (self->outbox_resend_button, text != NULL && can_decide);
  gtk_widget_set_visible (self->outbox_discard_button, text != NULL && can_decide);
  /* The target first: the action takes one. */
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->outbox_resend_button), "x", id);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->outbox_resend_button), "win.outbox-resend");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->outbox_discard_button), "x", id);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->outbox_discard_button), "win.outbox-discard");
}

const char *
kurir_reader_get_outbox_status (KurirReader *self)
{
  g_return_val_if_fail (KURIR_IS_READER (self), NULL);

  if (!gtk_revealer_get_reveal_child (self->outbox_revealer))
    return NULL;
  return gtk_label_get_text (self->outbox_label);
}

gboolean
kurir_reader_get_outbox_can_decide (KurirReader *self)
{
  g_return_val_if_fail (KURIR_IS_READER (self), FALSE);
  return gtk_revealer_get_reveal_child (self->outbox_revealer) &&
         gtk_widget_get_visible (self->outbox_resend_button);
}
