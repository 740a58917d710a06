/* kurir-message-row.c: sender, date, marks, subject and preview of one
 * message; an empty row while its page loads
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-app"

#include "config.h"

#include <glib/gi18n.h>

#include "kurir-message-row.h"

struct _KurirMessageRow
{
  GtkWidget         parent_instance;

  KurirMessageItem *item;
  gulong            notify_id;

  /* Template widgets */
  GtkWidget        *grid;
  GtkWidget        *unread_mark;
  GtkLabel         *sender_label;
  GtkWidget        *attachment_mark;
  GtkWidget        *flag_mark;
  GtkLabel         *count_label;
  GtkLabel         *date_label;
  GtkLabel         *subject_label;
  GtkLabel         *preview_label;
};

G_DEFINE_FINAL_TYPE (KurirMessageRow, kurir_message_row, GTK_TYPE_WIDGET)

/* Helpers */

#define MAX_SENDERS_SHOWN 3

/* "Ann, Bob, Carol…": the people of a conversation, newest first. */
static char *
format_senders (char **senders)
{
  g_autoptr(GString) text = NULL;
  guint shown = 0;

  if (senders == NULL || senders[0] == NULL)
    return NULL;
  text = g_string_new (NULL);
  for (guint i = 0; senders[i] != NULL; i++)
    {
      g_autofree char *name = kurir_message_row_format_sender (senders[i]);

      if (name == NULL || *name == '\0')
        continue;
      if (shown == MAX_SENDERS_SHOWN)
        {
          g_string_append (text, "…");
          break;
        }
      if (shown > 0)
        /* Translators: between the names of a conversation's people */
        g_string_append (text, _(", "));
      g_string_append (text, name);
      shown++;
    }
  return shown > 0 ? g_string_free (g_steal_pointer (&text), FALSE) : NULL;
}

/* What a screen reader says for the row: its marks, then the labels. */
static void
update_accessible_label (KurirMessageRow   *self,
                         KurirMessageFlags  flags,
                         gboolean           has_attachments)
{
  g_autoptr(GString) label = g_string_new (NULL);

  if (!(flags & KURIR_MESSAGE_FLAG_SEEN))
    g_string_append_printf (label, "%s, ", _("Unread"));
  if (flags & KURIR_MESSAGE_FLAG_FLAGGED)
    g_string_append_printf (label, "%s, ", _("Flagged"));
  if (has_attachments)
    g_string_append_printf (label, "%s, ", _("Has attachments"));
  /* Translators: a message in the list as a screen reader reads it:
   * sender, subject and date */
  g_string_append_printf (label, _("%s, %s, %s"),
                          gtk_label_get_text (self->sender_label),
                          gtk_label_get_text (self->subject_label),
                          gtk_label_get_text (self->date_label));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, label->str, -1);
}

static void
update (KurirMessageRow *self)
{
  KurirMessage *message = self->item ? kurir_message_item_get_message (self->item) : NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autofree char *sender = NULL;
  g_autofree char *date = NULL;
  KurirMessageFlags flags;
  const char *subject;
  const KurirStoreThread *thread;

  if (message == NULL)
    {
      gtk_label_set_text (self->sender_label, "");
      gtk_label_set_text (self->subject_label, "");
      gtk_label_set_text (self->preview_label, "");
      gtk_label_set_text (self->date_label, "");
      gtk_widget_set_visible (GTK_WIDGET (self->count_label), FALSE);
      gtk_widget_set_opacity (self->unread_mark, 0);
      gtk_widget_set_visible (self->attachment_mark, FALSE);
      gtk_widget_set_visible (self->flag_mark, FALSE);
      gtk_widget_remove_css_class (GTK_WIDGET (self), "unread");
      gtk_accessible_reset_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL);
      return;
    }

  flags = kurir_message_get_flags (message);
  now = g_date_time_new_now_local ();
  sender = kurir_message_row_format_sender (kurir_message_get_from (message));
  date = kurir_message_row_format_date (kurir_message_get_date (message), now);
  subject = kurir_message_get_subject (message);

  gtk_label_set_text (self->sender_label, sender ? sender : _("Unknown sender"));
  gtk_label_set_text (self->subject_label, subject && *subject ? subject : _("(No subject)"));
  gtk_label_set_text (self->preview_label, kurir_message_get_preview (message));
  gtk_label_set_text (self->date_label, date);

  thread = kurir_message_item_get_thread (self->item);
  if (thread != NULL)
    {
      g_autofree char *count = g_strdup_printf ("%u", thread->n_messages);
      g_autofree char *senders = format_senders (thread->senders);

      /* A conversation: its people, its size, unread if any message is. */
      if (senders != NULL)
        gtk_label_set_text (self->sender_label, senders);
      gtk_label_set_text (self->count_label, count);
      gtk_widget_set_visible (GTK_WIDGET (self->count_label), thread->n_messages > 1);
      flags = thread->n_unread > 0 ? flags & ~KURIR_MESSAGE_FLAG_SEEN : flags | KURIR_MESSAGE_FLAG_SEEN;
    }
  else
    gtk_widget_set_visible (GTK_WIDGET (self->count_label), FALSE);
  gtk_widget_set_opacity (self->unread_mark, (flags & KURIR_MESSAGE_FLAG_SEEN) ? 0 : 1);
  gtk_widget_set_visible (self->attachment_mark, kurir_message_get_n_attachments (message) > 0);
  gtk_widget_set_visible (self->flag_mark, (flags & KURIR_MESSAGE_FLAG_FLAGGED) != 0);
  /* The unread dot is only faded out: hide it from screen readers too. */
  gtk_accessible_update_state (GTK_ACCESSIBLE (self->unread_mark), GTK_ACCESSIBLE_STATE_HIDDEN,
                               (flags & KURIR_MESSAGE_FLAG_SEEN) != 0, -1);
  update_accessible_label (self, flags, kurir_message_get_n_attachments (message) > 0);
  if (flags & KURIR_MESSAGE_FLAG_SEEN)
    gtk_widget_remove_css_class (GTK_WIDGET (self), "unread");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self), "unread");
}

/* Callbacks */

static void
message_changed_cb (KurirMessageRow *self)
{
  update (self);
}

/* Overrides */

static void
kurir_message_row_dispose (GObject *object)
{
  KurirMessageRow *self = KURIR_MESSAGE_ROW (object);

  kurir_message_row_set_item (self, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), KURIR_TYPE_MESSAGE_ROW);
  {
    GtkWidget *child;

    /* The template's root widget is not a bound child: unparent it too. */
    while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
      gtk_widget_unparent (child);
  }

  G_OBJECT_CLASS (kurir_message_row_parent_class)->dispose (object);
}

static void
kurir_message_row_class_init (KurirMessageRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kurir_message_row_dispose;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "messagerow");
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/kurir/Kurir/kurir-message-row.ui");
  gtk_widget_class_bind_template_child (widget_class, KurirMessageRow, grid);
  gtk_widget_class_bind_template_child (widget_class, KurirMessageRow, unread_mark);
  gtk_widget_class_bind_template_child (widget_class, KurirMessageRow, sender_label);
  gtk_widget_class_bind_template_child (widget_class, KurirMessageRow, attachment_mark);
  gtk_widget_class_bind_template_child (widget_class, KurirMessageRow, flag_mark);
  gtk_widget_class_bind_template_child (widget_class, KurirMessageRow, count_label);
  gtk_widget_class_bind_template_child (widget_class, KurirMessageRow, date_label);
  gtk_widget_class_bind_template_child (widget_class, KurirMessageRow, subject_label);
  gtk_widget_class_bind_template_child (widget_class, KurirMessageRow, preview_label);
}

static void
kurir_message_row_init (KurirMessageRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  update (self);
}

/* Public API */

GtkWidget *
kurir_message_row_new (void)
{
  return g_object_new (KURIR_TYPE_MESSAGE_ROW, NULL);
}

KurirMessageItem *
kurir_message_row_get_item (KurirMessageRow *self)
{
  g_return_val_if_fail (KURIR_IS_MESSAGE_ROW (self), NULL);
  return self->item;
}

void
kurir_message_row_set_item (KurirMessageRow  *self,
                            KurirMessageItem *item)
{
  g_return_if_fail (KURIR_IS_MESSAGE_ROW (self));

  if (self->item == item)
    return;
  if (self->item != NULL)
    g_clear_signal_handler (&self->notify_id, self->item);
  g_set_object (&self->item, item);
  if (item != NULL)
    self->notify_id = g_signal_connect_swapped (item, "notify::message",
                                                G_CALLBACK (message_changed_cb), self);
  update (self);
}

char *
kurir_message_row_format_date (gint64     date,
                               GDateTime *now)
{
  g_autoptr(GDateTime) when = NULL;
  g_autoptr(GDateTime) today = NULL;
  g_autoptr(GDateTime) week_ago = NULL;

  g_return_val_if_fail (now != NULL, NULL);

  if (date <= 0)
    return g_strdup ("");

  when = g_date_time_new_from_unix_local (date);
  if (when == NULL)
    return g_strdup ("");
  today = g_date_time_new_local (g_date_time_get_year (now), g_date_time_get_month (now),
                                 g_date_time_get_day_of_month (now), 0, 0, 0);
  week_ago = g_date_time_add_days (today, -6);

  if (g_date_time_compare (when, today) >= 0 &&
      g_date_time_difference (when, now) < G_TIME_SPAN_DAY)
    {
      /* A 12-hour clock where the locale has AM/PM. */
      g_autofree char *ampm = g_date_time_format (when, "%p");

      if (ampm != NULL && *ampm != '\0')
        /* Translators: a time today where the locale has AM and PM (g_date_time_format) */
        return g_date_time_format (when, _("%-l:%M %p"));
      /* Translators: a time today, 24-hour clock (g_date_time_format) */
      return g_date_time_format (when, _("%H:%M"));
    }
  {
    g_autoptr(GDateTime) yesterday = g_date_time_add_days (today, -1);

    if (g_date_time_compare (when, yesterday) >= 0 && g_date_time_compare (when, today) < 0)
      return g_strdup (_("Yesterday"));
  }
  if (g_date_time_compare (when, week_ago) >= 0 && g_date_time_compare (when, today) < 0)
    return g_date_time_format (when, "%A");
  return g_date_time_format (when, "%x");
}

char *
kurir_message_row_format_sender (const char *from)
{
  const char *lt;

  if (from == NULL || *from == '\0')
    return NULL;

  lt = strchr (from, '<');
  if (lt != NULL && lt > from)
    {
      g_autofree char *name = g_strndup (from, lt - from);

      g_strstrip (name);
      if (name[0] == '"' && strlen (name) > 1 && name[strlen (name) - 1] == '"')
        {
          name[strlen (name) - 1] = '\0';
          memmove (name, name + 1, strlen (name));
        }
      if (*name != '\0')
        return g_steal_pointer (&name);
    }
  if (lt != NULL)
    {
      const char *gt = strchr (lt, '>');
      return gt ? g_strndup (lt + 1, gt - lt - 1) : g_strdup (lt + 1);
    }
  return g_strdup (from);
}
