/* kurir-message-window.c: one message in a window of its own
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-app"

#include "config.h"

#include <glib/gi18n.h>

#include "kurir-message-window.h"

struct _KurirMessageWindow
{
  AdwApplicationWindow  parent_instance;

  AdwWindowTitle       *window_title;
  KurirReader          *reader;
};

G_DEFINE_FINAL_TYPE (KurirMessageWindow, kurir_message_window, ADW_TYPE_APPLICATION_WINDOW)

static void
kurir_message_window_class_init (KurirMessageWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  g_type_ensure (KURIR_TYPE_READER);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/kurir/Kurir/kurir-message-window.ui");
  gtk_widget_class_bind_template_child (widget_class, KurirMessageWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, KurirMessageWindow, reader);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
kurir_message_window_init (KurirMessageWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

KurirMessageWindow *
kurir_message_window_new (GtkApplication *application,
                          KurirStore     *store,
                          KurirMessage   *message)
{
  KurirMessageWindow *self;
  const char *subject;

  g_return_val_if_fail (KURIR_IS_STORE (store), NULL);
  g_return_val_if_fail (KURIR_IS_MESSAGE (message), NULL);

  self = g_object_new (KURIR_TYPE_MESSAGE_WINDOW, "application", application, NULL);
  subject = kurir_message_get_subject (message);
  subject = subject && *subject ? subject : _("(No subject)");
  gtk_window_set_title (GTK_WINDOW (self), subject);
  adw_window_title_set_title (self->window_title, subject);
  adw_window_title_set_subtitle (self->window_title, kurir_message_get_from (message));
  kurir_reader_set_store (self->reader, store);
  kurir_reader_set_message (self->reader, message);
  return self;
}

KurirReader *
kurir_message_window_get_reader (KurirMessageWindow *self)
{
  g_return_val_if_fail (KURIR_IS_MESSAGE_WINDOW (self), NULL);
  return self->reader;
}
