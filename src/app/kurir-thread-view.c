/* kurir-thread-view.c: the messages of one conversation, oldest first
 *
 * In conversation mode the window shows this list above the reader when
 * the selected conversation has more than one message: one line per
 * message (sender, date, subject); the one selected here is the one the
 * reader shows ("message-selected"). The list holds one conversation, so
 * it is a plain GtkListBox.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-app"

#include "config.h"

#include <glib/gi18n.h>

#include "kurir-message-row.h"
#include "kurir-thread-view.h"

#define MAX_HEIGHT 180   /* pixels: the reader keeps the rest */

struct _KurirThreadView
{
  GtkWidget   parent_instance;

  GtkWidget  *scrolled;
  GtkListBox *list;
  GPtrArray  *messages;   /* KurirMessage */
  gboolean    selecting;
};

enum {
  MESSAGE_SELECTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (KurirThreadView, kurir_thread_view, GTK_TYPE_WIDGET)

static GtkWidget *
make_row (KurirMessage *message,
          GDateTime    *now)
{
  g_autofree char *sender = kurir_message_row_format_sender (kurir_message_get_from (message));
  g_autofree char *date = kurir_message_row_format_date (kurir_message_get_date (message), now);
  const char *subject = kurir_message_get_subject (message);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *from = gtk_label_new (sender ? sender : _("Unknown sender"));
  GtkWidget *what = gtk_label_new (subject && *subject ? subject : _("(No subject)"));
  GtkWidget *when = gtk_label_new (date);

  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_label_set_xalign (GTK_LABEL (from), 0);
  gtk_label_set_ellipsize (GTK_LABEL (from), PANGO_ELLIPSIZE_END);
  gtk_label_set_width_chars (GTK_LABEL (from), 12);
  gtk_label_set_max_width_chars (GTK_LABEL (from), 24);
  gtk_label_set_xalign (GTK_LABEL (what), 0);
  gtk_label_set_ellipsize (GTK_LABEL (what), PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (what, TRUE);
  gtk_widget_add_css_class (what, "dim-label");
  gtk_widget_add_css_class (when, "caption");
  gtk_widget_add_css_class (when, "dim-label");
  gtk_widget_add_css_class (when, "numeric");
  if (!(kurir_message_get_flags (message) & KURIR_MESSAGE_FLAG_SEEN))
    gtk_widget_add_css_class (from, "heading");
  gtk_box_append (GTK_BOX (box), from);
  gtk_box_append (GTK_BOX (box), what);
  gtk_box_append (GTK_BOX (box), when);
  return box;
}

/* Callbacks */

static void
row_selected_cb (KurirThreadView *self,
                 GtkListBoxRow   *row)
{
  if (row == NULL || self->selecting)
    return;
  g_signal_emit (self, signals[MESSAGE_SELECTED], 0,
                 kurir_thread_view_get_message (self, (guint) gtk_list_box_row_get_index (row)));
}

/* Overrides */

static void
kurir_thread_view_dispose (GObject *object)
{
  KurirThreadView *self = KURIR_THREAD_VIEW (object);

  g_clear_pointer (&self->scrolled, gtk_widget_unparent);
  g_clear_pointer (&self->messages, g_ptr_array_unref);
  G_OBJECT_CLASS (kurir_thread_view_parent_class)->dispose (object);
}

static void
kurir_thread_view_class_init (KurirThreadViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kurir_thread_view_dispose;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "threadview");

  /**
   * KurirThreadView::message-selected:
   * @message: the message chosen in the list
   */
  signals[MESSAGE_SELECTED] =
    g_signal_new ("message-selected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, KURIR_TYPE_MESSAGE);
}

static void
kurir_thread_view_init (KurirThreadView *self)
{
  self->messages = g_ptr_array_new_with_free_func (g_object_unref);
  self->scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (self->scrolled),
                                  GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (self->scrolled), TRUE);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (self->scrolled), MAX_HEIGHT);
  self->list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_list_box_set_selection_mode (self->list, GTK_SELECTION_BROWSE);
  gtk_widget_add_css_class (GTK_WIDGET (self->list), "navigation-sidebar");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->list), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Messages of this conversation"), -1);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (self->scrolled), GTK_WIDGET (self->list));
  gtk_widget_set_parent (self->scrolled, GTK_WIDGET (self));
  g_signal_connect_swapped (self->list, "row-selected", G_CALLBACK (row_selected_cb), self);
}

/* Public API */

GtkWidget *
kurir_thread_view_new (void)
{
  return g_object_new (KURIR_TYPE_THREAD_VIEW, NULL);
}

/* Shows @messages (oldest first; NULL: none), nothing selected. */
void
kurir_thread_view_set_messages (KurirThreadView *self,
                                GPtrArray       *messages)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  GtkWidget *child;

  g_return_if_fail (KURIR_IS_THREAD_VIEW (self));

  self->selecting = TRUE;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list))) != NULL)
    gtk_list_box_remove (self->list, child);
  g_ptr_array_set_size (self->messages, 0);
  for (guint i = 0; messages != NULL && i < messages->len; i++)
    {
      KurirMessage *message = g_ptr_array_index (messages, i);

      g_ptr_array_add (self->messages, g_object_ref (message));
      gtk_list_box_append (self->list, make_row (message, now));
    }
  self->selecting = FALSE;
}

guint
kurir_thread_view_get_n_messages (KurirThreadView *self)
{
  g_return_val_if_fail (KURIR_IS_THREAD_VIEW (self), 0);
  return self->messages->len;
}

/* Returns: (nullable) (transfer none) */
KurirMessage *
kurir_thread_view_get_message (KurirThreadView *self,
                               guint            position)
{
  g_return_val_if_fail (KURIR_IS_THREAD_VIEW (self), NULL);
  return position < self->messages->len ? g_ptr_array_index (self->messages, position) : NULL;
}

/* Selects the message at @position and emits ::message-selected. */
void
kurir_thread_view_select (KurirThreadView *self,
                          guint            position)
{
  GtkListBoxRow *row;

  g_return_if_fail (KURIR_IS_THREAD_VIEW (self));

  row = gtk_list_box_get_row_at_index (self->list, (int) position);
  if (row == NULL)
    return;
  if (gtk_list_box_get_selected_row (self->list) == row)
    g_signal_emit (self, signals[MESSAGE_SELECTED], 0, g_ptr_array_index (self->messages, position));
  else
    gtk_list_box_select_row (self->list, row);
}

/* Returns: (nullable) (transfer none) */
KurirMessage *
kurir_thread_view_get_selected (KurirThreadView *self)
{
  GtkListBoxRow *row;

  g_return_val_if_fail (KURIR_IS_THREAD_VIEW (self), NULL);
  row = gtk_list_box_get_selected_row (self->list);
  return row ? kurir_thread_view_get_message (self, (guint) gtk_list_box_row_get_index (row)) : NULL;
}
