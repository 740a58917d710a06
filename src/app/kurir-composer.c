/* kurir-composer.c: the window where a message is written
 *
 * The fields are the truth while the window is open; a KurirMessageBuilder
 * keeps what has no field (In-Reply-To, References, the Message-ID, the
 * attachments). Saving a draft or sending copies the builder and does the
 * MIME, store and network work in a worker thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-app"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "kurir-composer.h"
#include "kurir-message-info.h"
#include "kurir-outbox.h"

struct _KurirComposer
{
  AdwApplicationWindow  parent_instance;

  KurirStore           *store;
  GPtrArray            *accounts;        /* KurirAccount */
  GPtrArray            *senders;         /* Sender: the From choices, as in from_dropdown */
  char                 *signature;       /* the signature now at the end of the body, or NULL */
  KurirMessageBuilder  *builder;
  GCancellable         *cancellable;
  gint64                draft_id;
  guint                 autosave_source;
  gboolean              dirty;
  gboolean              saving;
  gboolean              save_again;
  gboolean              sending;
  gboolean              closing;
  GtkListStore         *addresses;       /* for the completion of the address entries */

  AdwToastOverlay      *toast_overlay;
  AdwWindowTitle       *window_title;
  GtkDropDown          *from_dropdown;
  GtkEntry             *to_entry;
  GtkEntry             *cc_entry;
  GtkEntry             *bcc_entry;
  GtkEntry             *subject_entry;
  GtkRevealer          *warning_revealer;
  GtkTextView          *body_view;
  GtkFlowBox           *attachment_box;
  GtkButton            *send_button;
};

G_DEFINE_FINAL_TYPE (KurirComposer, kurir_composer, ADW_TYPE_APPLICATION_WINDOW)

enum {
  SIGNAL_DRAFT_SAVED,
  SIGNAL_SENT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void schedule_autosave (KurirComposer *self);

/* Helpers */

/* One choice of From: an identity of an account. */
typedef struct
{
  KurirAccount  *account;
  KurirIdentity *identity;
} Sender;

static void
sender_free (gpointer data)
{
  Sender *sender = data;

  g_object_unref (sender->account);
  kurir_identity_free (sender->identity);
  g_free (sender);
}

static Sender *
current_sender (KurirComposer *self)
{
  guint selected = gtk_drop_down_get_selected (self->from_dropdown);

  if (self->senders == NULL || self->senders->len == 0)
    return NULL;
  if (selected >= self->senders->len)
    selected = 0;
  return g_ptr_array_index (self->senders, selected);
}

static KurirAccount *
current_account (KurirComposer *self)
{
  Sender *sender = current_sender (self);

  return sender != NULL ? sender->account : NULL;
}

/* Selects @address of @account (NULL: any account), or @account's
 * primary identity when @address is NULL. */
static gboolean
select_sender (KurirComposer *self,
               KurirAccount  *account,
               const char    *address)
{
  for (guint i = 0; self->senders != NULL && i < self->senders->len; i++)
    {
      Sender *sender = g_ptr_array_index (self->senders, i);

      if (account != NULL &&
          g_strcmp0 (kurir_account_get_name (sender->account), kurir_account_get_name (account)) != 0)
        continue;
      if (address == NULL || g_ascii_strcasecmp (sender->identity->address, address) == 0)
        {
          gtk_drop_down_set_selected (self->from_dropdown, i);
          return TRUE;
        }
    }
  return FALSE;
}

/* The addresses of every identity, @first's first. */
static GStrv
own_addresses (KurirComposer *self,
               Sender        *first)
{
  GStrvBuilder *builder = g_strv_builder_new ();
  GStrv addresses;

  if (first != NULL)
    g_strv_builder_add (builder, first->identity->address);
  for (guint i = 0; self->senders != NULL && i < self->senders->len; i++)
    {
      Sender *sender = g_ptr_array_index (self->senders, i);

      if (sender != first)
        g_strv_builder_add (builder, sender->identity->address);
    }
  addresses = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return addresses;
}

static char *
body_text (KurirComposer *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->body_view);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static void
set_body (KurirComposer *self,
          const char    *text)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->body_view);
  GtkTextIter start;

  gtk_text_buffer_set_text (buffer, text != NULL ? text : "", -1);
  gtk_text_buffer_get_start_iter (buffer, &start);
  gtk_text_buffer_place_cursor (buffer, &start);
}

/* The body with @signature in place of the one there now; only the end
 * of the buffer is touched, so what was typed (and the cursor) stays. */
static void
swap_signature (KurirComposer *self,
                const char    *signature)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->body_view);
  g_autofree char *text = body_text (self);
  g_autofree char *swapped = NULL;
  GtkTextIter start, end;
  glong common = 0;
  const char *p, *q;

  if (g_strcmp0 (self->signature, signature) == 0)
    return;
  swapped = kurir_message_builder_swap_signature (text, self->signature, signature);
  if (strcmp (swapped, text) == 0 && self->signature != NULL && *self->signature != '\0')
    return;   /* the person edited it: theirs now */
  g_free (self->signature);
  self->signature = signature != NULL && *signature != '\0' ? g_strdup (signature) : NULL;
  /* The characters both share from the start stay in the buffer. */
  for (p = text, q = swapped; *p != '\0' && g_utf8_get_char (p) == g_utf8_get_char (q);
       p = g_utf8_next_char (p), q = g_utf8_next_char (q))
    common++;
  gtk_text_buffer_get_iter_at_offset (buffer, &start, common);
  gtk_text_buffer_get_end_iter (buffer, &end);
  gtk_text_buffer_begin_user_action (buffer);
  gtk_text_buffer_delete (buffer, &start, &end);
  gtk_text_buffer_get_end_iter (buffer, &end);
  gtk_text_buffer_insert (buffer, &end, swapped + (q - swapped), -1);
  gtk_text_buffer_end_user_action (buffer);
}

/* A body just set (new, reply, forward): the sender's signature under it. */
static void
add_signature (KurirComposer *self)
{
  Sender *sender = current_sender (self);
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->body_view);
  GtkTextIter start;

  g_clear_pointer (&self->signature, g_free);
  swap_signature (self, sender != NULL ? sender->identity->signature : NULL);
  gtk_text_buffer_get_start_iter (buffer, &start);
  gtk_text_buffer_place_cursor (buffer, &start);
}

static void
sender_changed_cb (KurirComposer *self)
{
  Sender *sender = current_sender (self);

  swap_signature (self, sender != NULL ? sender->identity->signature : NULL);
}

static void
update_title (KurirComposer *self)
{
  const char *subject = gtk_editable_get_text (GTK_EDITABLE (self->subject_entry));

  adw_window_title_set_title (self->window_title, *subject != '\0' ? subject : _("New Message"));
  gtk_window_set_title (GTK_WINDOW (self), *subject != '\0' ? subject : _("New Message"));
}

static void
update_warning (KurirComposer *self)
{
  g_autofree char *text = body_text (self);
  gboolean warn = kurir_message_builder_get_n_attachments (self->builder) == 0 &&
                  kurir_composer_mentions_attachment (text);

  gtk_revealer_set_reveal_child (self->warning_revealer, warn);
}

static void
remove_attachment_cb (GtkButton *button,
                      gpointer   user_data)
{
  KurirComposer *self = user_data;
  guint index = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (button), "index"));

  if (index < kurir_message_builder_get_n_attachments (self->builder))
    kurir_message_builder_remove_attachment (self->builder, index);
  self->dirty = TRUE;
  schedule_autosave (self);
}

static void refresh_attachments (KurirComposer *self);

static void
remove_attachment_idle_cb (GtkButton *button,
                           gpointer   user_data)
{
  remove_attachment_cb (button, user_data);
  refresh_attachments (user_data);
}

static void
refresh_attachments (KurirComposer *self)
{
  guint n = kurir_message_builder_get_n_attachments (self->builder);
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->attachment_box))) != NULL)
    gtk_flow_box_remove (self->attachment_box, child);
  for (guint i = 0; i < n; i++)
    {
      const char *name = kurir_message_builder_get_attachment_name (self->builder, i);
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
      GtkWidget *label = gtk_label_new (name != NULL ? name : _("Attachment"));
      GtkWidget *remove = gtk_button_new_from_icon_name ("window-close-symbolic");

      gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
      gtk_widget_set_tooltip_text (remove, _("Remove Attachment"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (remove), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      _("Remove Attachment"), -1);
      gtk_widget_add_css_class (remove, "flat");
      g_object_set_data (G_OBJECT (remove), "index", GUINT_TO_POINTER (i));
      g_signal_connect (remove, "clicked", G_CALLBACK (remove_attachment_idle_cb), self);
      gtk_box_append (GTK_BOX (box), gtk_image_new_from_icon_name ("mail-attachment-symbolic"));
      gtk_box_append (GTK_BOX (box), label);
      gtk_box_append (GTK_BOX (box), remove);
      gtk_flow_box_append (self->attachment_box, box);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->attachment_box), n > 0);
  update_warning (self);
}

static void
show_toast (KurirComposer *self,
            const char    *text)
{
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
}

/* The builder, updated from the fields. With @strict, a field that does
 * not parse is an error; else (drafts) it is kept as well as it parses. */
static gboolean
sync_builder (KurirComposer  *self,
              gboolean        strict,
              GError        **error)
{
  KurirAccount *account = current_account (self);
  g_autofree char *text = body_text (self);
  struct { GtkEntry *entry; KurirRecipientKind kind; } fields[] = {
    { self->to_entry, KURIR_RECIPIENT_TO },
    { self->cc_entry, KURIR_RECIPIENT_CC },
    { self->bcc_entry, KURIR_RECIPIENT_BCC },
  };

  if (account == NULL)
    {
      g_set_error_literal (error, KURIR_MESSAGE_BUILDER_ERROR, KURIR_MESSAGE_BUILDER_ERROR_INVALID,
                           _("There is no account to send from"));
      return FALSE;
    }
  {
    Sender *sender = current_sender (self);

    kurir_message_builder_set_from (self->builder, sender->identity->name, sender->identity->address);
    kurir_message_builder_set_reply_to (self->builder, sender->identity->reply_to);
  }
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      const char *value = gtk_editable_get_text (GTK_EDITABLE (fields[i].entry));
      g_autoptr(GError) local_error = NULL;

      kurir_message_builder_clear_recipients (self->builder, fields[i].kind);
      if (!kurir_message_builder_add_recipients (self->builder, fields[i].kind, value, &local_error))
        {
          if (strict)
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return FALSE;
            }
          /* A draft keeps what parses, one address at a time. */
          {
            g_auto(GStrv) parts = g_strsplit (value, ",", -1);

            for (guint j = 0; parts[j] != NULL; j++)
              kurir_message_builder_add_recipients (self->builder, fields[i].kind, parts[j], NULL);
          }
        }
    }
  kurir_message_builder_set_subject (self->builder, gtk_editable_get_text (GTK_EDITABLE (self->subject_entry)));
  kurir_message_builder_set_body (self->builder, text);
  return TRUE;
}

/* Drops a draft that is replaced or sent: never to the Trash. */
static void
drop_draft (KurirStore   *store,
            KurirAccount *account,
            gint64        id)
{
  g_autoptr(GError) error = NULL;

  if (!kurir_outbox_drop_draft (account, store, id, &error))
    g_debug ("The old draft %" G_GINT64_FORMAT " stays: %s", id, error->message);
}

typedef struct
{
  KurirStore          *store;
  KurirAccount        *account;
  KurirMessageBuilder *builder;
  gint64               old_draft;
  gint64               new_id;
  gboolean             queued;
} Job;

static void
job_free (gpointer data)
{
  Job *job = data;

  g_clear_object (&job->store);
  g_clear_object (&job->account);
  g_clear_object (&job->builder);
  g_free (job);
}

static Job *
new_job (KurirComposer *self)
{
  Job *job = g_new0 (Job, 1);

  job->store = g_object_ref (self->store);
  job->account = g_object_ref (current_account (self));
  job->builder = kurir_message_builder_copy (self->builder);
  job->old_draft = self->draft_id;
  return job;
}

static void
save_draft_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  Job *job = task_data;
  g_autoptr(GBytes) bytes = NULL;
  GError *error = NULL;

  /* Each version has a Message-ID of its own, so that the server's copy
   * of one is never taken for another; the message sent keeps the
   * composer's. */
  kurir_message_builder_set_message_id (job->builder, NULL);
  bytes = kurir_message_builder_build_draft (job->builder, &error);
  if (bytes != NULL)
    job->new_id = kurir_outbox_save_draft (job->account, job->store, bytes, job->old_draft, &error);
  if (bytes == NULL || job->new_id == 0)
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
save_draft_done_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  KurirComposer *self = KURIR_COMPOSER (source);
  Job *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  self->saving = FALSE;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autofree char *text = g_strdup_printf (_("The draft could not be saved: %s"), error->message);

          show_toast (self, text);
        }
    }
  else
    {
      self->draft_id = job->new_id;
      g_signal_emit (self, signals[SIGNAL_DRAFT_SAVED], 0, self->draft_id);
    }
  if (self->save_again && !self->sending)
    {
      self->save_again = FALSE;
      kurir_composer_save_draft (self);
    }
  else if (self->closing && !self->sending)
    gtk_window_destroy (GTK_WINDOW (self));
}

static gboolean
autosave_cb (gpointer user_data)
{
  KurirComposer *self = user_data;

  self->autosave_source = 0;
  if (self->dirty && !self->sending)
    kurir_composer_save_draft (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_autosave (KurirComposer *self)
{
  if (self->autosave_source != 0 || self->sending)
    return;
  self->autosave_source = g_timeout_add_seconds (KURIR_COMPOSER_AUTOSAVE_SECONDS, autosave_cb, self);
}

static void
changed_cb (KurirComposer *self)
{
  self->dirty = TRUE;
  update_title (self);
  schedule_autosave (self);
}

static void
body_changed_cb (GtkTextBuffer *buffer,
                 KurirComposer *self)
{
  changed_cb (self);
  update_warning (self);
}

static void
send_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  Job *job = task_data;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(KurirOutbox) outbox = NULL;
  g_auto(GStrv) recipients = NULL;
  GError *error = NULL;
  gint64 id;

  bytes = kurir_message_builder_build (job->builder, &error);
  if (bytes == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  recipients = kurir_message_builder_get_recipients (job->builder);
  outbox = kurir_outbox_new (job->account, job->store);
  id = kurir_outbox_queue (outbox, bytes, (const char * const *) recipients, &error);
  if (id == 0)
    {
      g_task_return_error (task, error);
      return;
    }
  job->queued = TRUE;
  drop_draft (job->store, job->account, job->old_draft);
  /* In the Outbox, safe: now try to send it (it stays there on failure). */
  if (!kurir_outbox_flush (outbox, id, TRUE, NULL, cancellable, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
send_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  KurirComposer *self = KURIR_COMPOSER (source);
  Job *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  gboolean ok = g_task_propagate_boolean (G_TASK (result), &error);

  if (!job->queued)
    {
      /* Nothing was stored: the window comes back with the reason. */
      g_autofree char *text = g_strdup_printf (_("The message could not be sent: %s"), error->message);

      self->sending = FALSE;
      gtk_widget_set_sensitive (GTK_WIDGET (self->send_button), TRUE);
      gtk_widget_set_visible (GTK_WIDGET (self), TRUE);
      show_toast (self, text);
      return;
    }
  self->draft_id = 0;
  if (ok)
    g_signal_emit (self, signals[SIGNAL_SENT], 0, TRUE, _("Message sent"));
  else
    {
      /* Translators: the reason follows */
      g_autofree char *text = g_strdup_printf (_("The message waits in the Outbox: %s"), error->message);

      g_signal_emit (self, signals[SIGNAL_SENT], 0, FALSE, text);
    }
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
really_send (KurirComposer *self)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;

  if (!sync_builder (self, TRUE, &error))
    {
      show_toast (self, error->message);
      return;
    }
  {
    g_auto(GStrv) recipients = kurir_message_builder_get_recipients (self->builder);

    if (recipients[0] == NULL)
      {
        show_toast (self, _("Add a recipient first"));
        return;
      }
  }
  self->sending = TRUE;
  g_clear_handle_id (&self->autosave_source, g_source_remove);
  gtk_widget_set_sensitive (GTK_WIDGET (self->send_button), FALSE);
  /* The message is out of the user's hands: the window goes at once. */
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
  task = g_task_new (self, NULL, send_done_cb, NULL);
  g_task_set_source_tag (task, really_send);
  g_task_set_task_data (task, new_job (self), job_free);
  g_task_run_in_thread (task, send_thread);
}

static void
attachment_response_cb (AdwMessageDialog *dialog,
                        const char       *response,
                        gpointer          user_data)
{
  if (g_strcmp0 (response, "send") == 0)
    really_send (user_data);
}

static void
send_activated_cb (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  KurirComposer *self = KURIR_COMPOSER (widget);

  if (self->sending)
    return;
  if (kurir_composer_get_attachment_warning (self))
    {
      GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Send Without Attachment?"),
                                                  _("The message mentions an attachment, but none is attached."));

      adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"),
                                        "send", _("_Send Anyway"), NULL);
      adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
      g_signal_connect (dialog, "response", G_CALLBACK (attachment_response_cb), self);
      gtk_window_present (GTK_WINDOW (dialog));
      return;
    }
  really_send (self);
}

static void
file_loaded_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(KurirComposer) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_file_load_bytes_finish (G_FILE (source), result, NULL, &error);
  g_autofree char *name = g_file_get_basename (G_FILE (source));

  if (bytes == NULL)
    {
      g_autofree char *text = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      text = g_strdup_printf (_("“%s” could not be attached: %s"), name, error->message);
      show_toast (self, text);
      return;
    }
  kurir_message_builder_add_attachment (self->builder, name, NULL, bytes);
  refresh_attachments (self);
  changed_cb (self);
}

static void
chooser_response_cb (GtkNativeDialog *dialog,
                     int              response,
                     gpointer         user_data)
{
  KurirComposer *self = user_data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GListModel) files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (dialog));

      for (guint i = 0; i < g_list_model_get_n_items (files); i++)
        {
          g_autoptr(GFile) file = g_list_model_get_item (files, i);

          kurir_composer_add_file (self, file);
        }
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
attach_activated_cb (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  KurirComposer *self = KURIR_COMPOSER (widget);
  GtkFileChooserNative *chooser = gtk_file_chooser_native_new (_("Attach Files"), GTK_WINDOW (self),
                                                               GTK_FILE_CHOOSER_ACTION_OPEN,
                                                               _("_Attach"), _("_Cancel"));

  gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (chooser), TRUE);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect (chooser, "response", G_CALLBACK (chooser_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static gboolean
drop_cb (GtkDropTarget *target,
         const GValue  *value,
         double         x,
         double         y,
         gpointer       user_data)
{
  KurirComposer *self = user_data;
  GSList *files;

  if (!G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    return FALSE;
  files = gdk_file_list_get_files (g_value_get_boxed (value));
  for (GSList *l = files; l != NULL; l = l->next)
    kurir_composer_add_file (self, l->data);
  g_slist_free (files);
  return TRUE;
}

/* Completion: the part after the last comma is completed. */
static gboolean
completion_match_cb (GtkEntryCompletion *completion,
                     const char         *key,
                     GtkTreeIter        *iter,
                     gpointer            user_data)
{
  GtkTreeModel *model = gtk_entry_completion_get_model (completion);
  g_autofree char *candidate = NULL;
  g_autofree char *needle = NULL;
  g_autofree char *folded = NULL;
  const char *comma = strrchr (key, ',');
  const char *last = comma != NULL ? comma + 1 : key;

  while (*last == ' ')
    last++;
  if (*last == '\0')
    return FALSE;
  gtk_tree_model_get (model, iter, 0, &candidate, -1);
  if (candidate == NULL)
    return FALSE;
  needle = g_utf8_casefold (last, -1);
  folded = g_utf8_casefold (candidate, -1);
  return strstr (folded, needle) != NULL;
}

static gboolean
completion_selected_cb (GtkEntryCompletion *completion,
                        GtkTreeModel       *model,
                        GtkTreeIter        *iter,
                        gpointer            user_data)
{
  GtkEntry *entry = GTK_ENTRY (gtk_entry_completion_get_entry (completion));
  const char *text = gtk_editable_get_text (GTK_EDITABLE (entry));
  const char *comma = strrchr (text, ',');
  g_autofree char *candidate = NULL;
  g_autofree char *head = comma != NULL ? g_strndup (text, comma - text + 1) : g_strdup ("");
  g_autofree char *value = NULL;

  gtk_tree_model_get (model, iter, 0, &candidate, -1);
  value = g_strdup_printf ("%s%s%s, ", head, *head != '\0' ? " " : "", candidate);
  gtk_editable_set_text (GTK_EDITABLE (entry), value);
  gtk_editable_set_position (GTK_EDITABLE (entry), -1);
  return TRUE;
}

static void
setup_completion (KurirComposer *self,
                  GtkEntry      *entry)
{
  GtkEntryCompletion *completion = gtk_entry_completion_new ();

  gtk_entry_completion_set_model (completion, GTK_TREE_MODEL (self->addresses));
  gtk_entry_completion_set_text_column (completion, 0);
  gtk_entry_completion_set_match_func (completion, completion_match_cb, NULL, NULL);
  gtk_entry_completion_set_minimum_key_length (completion, 2);
  g_signal_connect (completion, "match-selected", G_CALLBACK (completion_selected_cb), NULL);
  gtk_entry_set_completion (entry, completion);
  g_object_unref (completion);
}

/* "Name <addr>" with the name quoted when it has a character that
 * RFC 5322 allows only in quotes (the store shows names unquoted). */
static char *
quote_name (const char *address)
{
  const char *open = strrchr (address, '<');
  g_autofree char *name = NULL;
  GString *out;

  if (open == NULL || open == address || !g_str_has_suffix (address, ">"))
    return g_strdup (address);
  name = g_strstrip (g_strndup (address, open - address));
  if (*name == '\0' || name[0] == '"' || strpbrk (name, ",;:\"()<>@[]\\.") == NULL)
    return g_strdup (address);
  out = g_string_new ("\"");
  for (const char *p = name; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, *p);
    }
  g_string_append_printf (out, "\" %s", open);
  return g_string_free (out, FALSE);
}

/* The addresses of a list as the store shows it ("Name, Jr. <a@x>,
 * b@y"): split at the commas, a piece without an address being part of
 * the name that follows. */
static void
split_addresses (const char *list,
                 GPtrArray  *out)
{
  g_auto(GStrv) pieces = NULL;
  g_autoptr(GString) pending = g_string_new (NULL);

  if (list == NULL)
    return;
  pieces = g_strsplit (list, ",", -1);
  for (guint i = 0; pieces[i] != NULL; i++)
    {
      if (pending->len > 0)
        g_string_append_c (pending, ',');
      g_string_append (pending, pieces[i]);
      if (strchr (pieces[i], '@') == NULL)
        continue;
      g_ptr_array_add (out, quote_name (g_strstrip (pending->str)));
      g_string_truncate (pending, 0);
    }
}

static void
add_seen (GHashTable *seen,
          GPtrArray  *out,
          const char *address)
{
  g_autofree char *key = g_utf8_casefold (address, -1);

  if (g_hash_table_add (seen, g_steal_pointer (&key)))
    g_ptr_array_add (out, g_strdup (address));
}

typedef struct
{
  KurirStore *store;
  GStrv       accounts;
} AddressesData;

static void
addresses_data_free (gpointer data)
{
  AddressesData *addresses = data;

  g_object_unref (addresses->store);
  g_strfreev (addresses->accounts);
  g_free (addresses);
}

/* The addresses seen in the store, each once: the senders of recent
 * mail in the inboxes, and the recipients of what the accounts sent.
 * Read in a worker thread. */
static void
addresses_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  AddressesData *data = task_data;
  KurirStore *store = data->store;
  GStrv accounts = data->accounts;
  g_autoptr(GPtrArray) messages = kurir_store_list (store, NULL, NULL, 0, 2000, NULL);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; messages != NULL && i < messages->len; i++)
    {
      const char *from = kurir_message_get_from (g_ptr_array_index (messages, i));

      if (from == NULL || *from == '\0' || strchr (from, '@') == NULL)
        continue;
      add_seen (seen, out, from);
    }
  for (guint a = 0; accounts != NULL && accounts[a] != NULL; a++)
    {
      const char *account = accounts[a];
      g_autoptr(GPtrArray) folders = kurir_store_list_folders (store, account, NULL);

      for (guint f = 0; folders != NULL && f < folders->len; f++)
        {
          KurirStoreFolder *folder = g_ptr_array_index (folders, f);
          g_autoptr(GPtrArray) sent = NULL;

          if (g_strcmp0 (folder->role, "sent") != 0)
            continue;
          sent = kurir_store_list (store, account, folder->name, 0, 1000, NULL);
          for (guint i = 0; sent != NULL && i < sent->len; i++)
            {
              g_autoptr(GPtrArray) recipients = g_ptr_array_new_with_free_func (g_free);

              split_addresses (kurir_message_get_to (g_ptr_array_index (sent, i)), recipients);
              split_addresses (kurir_message_get_cc (g_ptr_array_index (sent, i)), recipients);
              for (guint r = 0; r < recipients->len; r++)
                add_seen (seen, out, g_ptr_array_index (recipients, r));
            }
        }
    }
  g_task_return_pointer (task, out, (GDestroyNotify) g_ptr_array_unref);
}

static void
addresses_loaded_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GPtrArray) addresses = g_task_propagate_pointer (G_TASK (result), NULL);
  KurirComposer *self;

  if (addresses == NULL || g_task_had_error (G_TASK (result)))
    return;
  self = KURIR_COMPOSER (source);
  for (guint i = 0; i < addresses->len; i++)
    gtk_list_store_insert_with_values (self->addresses, NULL, -1, 0, g_ptr_array_index (addresses, i), -1);
}

static void
load_addresses (KurirComposer *self)
{
  g_autoptr(GTask) task = g_task_new (self, self->cancellable, addresses_loaded_cb, NULL);
  AddressesData *data = g_new0 (AddressesData, 1);
  GStrvBuilder *names = g_strv_builder_new ();

  g_task_set_source_tag (task, load_addresses);
  g_task_set_return_on_cancel (task, TRUE);
  for (guint i = 0; i < self->accounts->len; i++)
    g_strv_builder_add (names, kurir_account_get_name (g_ptr_array_index (self->accounts, i)));
  data->store = g_object_ref (self->store);
  data->accounts = g_strv_builder_end (names);
  g_strv_builder_unref (names);
  g_task_set_task_data (task, data, addresses_data_free);
  g_task_run_in_thread (task, addresses_thread);
}

static void
fill_from_builder (KurirComposer *self)
{
  g_autofree char *to = kurir_message_builder_format_recipients (self->builder, KURIR_RECIPIENT_TO);
  g_autofree char *cc = kurir_message_builder_format_recipients (self->builder, KURIR_RECIPIENT_CC);
  g_autofree char *bcc = kurir_message_builder_format_recipients (self->builder, KURIR_RECIPIENT_BCC);
  const char *subject = kurir_message_builder_get_subject (self->builder);

  gtk_editable_set_text (GTK_EDITABLE (self->to_entry), to);
  gtk_editable_set_text (GTK_EDITABLE (self->cc_entry), cc);
  gtk_editable_set_text (GTK_EDITABLE (self->bcc_entry), bcc);
  gtk_editable_set_text (GTK_EDITABLE (self->subject_entry), subject != NULL ? subject : "");
  set_body (self, kurir_message_builder_get_body (self->builder));
  refresh_attachments (self);
  self->dirty = FALSE;
  g_clear_handle_id (&self->autosave_source, g_source_remove);
}

/* Overrides */

static gboolean
kurir_composer_close_request (GtkWindow *window)
{
  KurirComposer *self = KURIR_COMPOSER (window);

  if (self->sending)
    return TRUE;
  /* The draft is saved first; the window goes when it is. */
  if (self->dirty || self->saving)
    {
      self->closing = TRUE;
      gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
      if (!self->saving)
        kurir_composer_save_draft (self);
      return TRUE;
    }
  return GTK_WINDOW_CLASS (kurir_composer_parent_class)->close_request (window);
}

static void
kurir_composer_dispose (GObject *object)
{
  KurirComposer *self = KURIR_COMPOSER (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->autosave_source, g_source_remove);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->store);
  g_clear_pointer (&self->accounts, g_ptr_array_unref);
  g_clear_pointer (&self->senders, g_ptr_array_unref);
  g_clear_pointer (&self->signature, g_free);
  g_clear_object (&self->builder);
  g_clear_object (&self->addresses);

  G_OBJECT_CLASS (kurir_composer_parent_class)->dispose (object);
}

static void
kurir_composer_class_init (KurirComposerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = kurir_composer_dispose;
  window_class->close_request = kurir_composer_close_request;

  /**
   * KurirComposer::draft-saved:
   * @id: the draft's id in the store
   */
  signals[SIGNAL_DRAFT_SAVED] = g_signal_new ("draft-saved", G_TYPE_FROM_CLASS (klass),
                                              G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                              G_TYPE_NONE, 1, G_TYPE_INT64);
  /**
   * KurirComposer::sent:
   * @delivered: the server took it; else it waits in the Outbox
   * @message: what to tell the user
   *
   * Emitted once the message left the composer (just before it closes).
   */
  signals[SIGNAL_SENT] = g_signal_new ("sent", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                       NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_BOOLEAN, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/kurir/Kurir/kurir-composer.ui");
  gtk_widget_class_bind_template_child (widget_class, KurirComposer, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, KurirComposer, window_title);
  gtk_widget_class_bind_template_child (widget_class, KurirComposer, from_dropdown);
  gtk_widget_class_bind_template_child (widget_class, KurirComposer, to_entry);
  gtk_widget_class_bind_template_child (widget_class, KurirComposer, cc_entry);
  gtk_widget_class_bind_template_child (widget_class, KurirComposer, bcc_entry);
  gtk_widget_class_bind_template_child (widget_class, KurirComposer, subject_entry);
  gtk_widget_class_bind_template_child (widget_class, KurirComposer, warning_revealer);
  gtk_widget_class_bind_template_child (widget_class, KurirComposer, body_view);
  gtk_widget_class_bind_template_child (widget_class, KurirComposer, attachment_box);
  gtk_widget_class_bind_template_child (widget_class, KurirComposer, send_button);

  gtk_widget_class_install_action (widget_class, "composer.send", NULL, send_activated_cb);
  gtk_widget_class_install_action (widget_class, "composer.attach", NULL, attach_activated_cb);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, "composer.send", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
kurir_composer_init (KurirComposer *self)
{
  GtkDropTarget *drop;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->builder = kurir_message_builder_new ();
  self->addresses = gtk_list_store_new (1, G_TYPE_STRING);
  setup_completion (self, self->to_entry);
  setup_completion (self, self->cc_entry);
  setup_completion (self, self->bcc_entry);

  g_signal_connect_swapped (self->to_entry, "changed", G_CALLBACK (changed_cb), self);
  g_signal_connect_swapped (self->cc_entry, "changed", G_CALLBACK (changed_cb), self);
  g_signal_connect_swapped (self->bcc_entry, "changed", G_CALLBACK (changed_cb), self);
  g_signal_connect_swapped (self->subject_entry, "changed", G_CALLBACK (changed_cb), self);
  g_signal_connect (gtk_text_view_get_buffer (self->body_view), "changed",
                    G_CALLBACK (body_changed_cb), self);

  drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect (drop, "drop", G_CALLBACK (drop_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));
}

/* Public API */

KurirComposer *
kurir_composer_new (GtkApplication *application,
                    KurirStore     *store,
                    GPtrArray      *accounts,
                    KurirAccount   *account)
{
  KurirComposer *self;
  g_autoptr(GtkStringList) identities = gtk_string_list_new (NULL);

  g_return_val_if_fail (KURIR_IS_STORE (store), NULL);
  g_return_val_if_fail (accounts != NULL, NULL);

  self = g_object_new (KURIR_TYPE_COMPOSER, "application", application, NULL);
  self->store = g_object_ref (store);
  self->accounts = g_ptr_array_new_with_free_func (g_object_unref);
  self->senders = g_ptr_array_new_with_free_func (sender_free);
  /* Accounts that can send (an SMTP server); all of them when none can,
   * so that drafts can still be written. */
  for (guint i = 0; i < accounts->len; i++)
    {
      KurirAccount *each = g_ptr_array_index (accounts, i);

      if (kurir_account_get_smtp_host (each) != NULL && *kurir_account_get_smtp_host (each) != '\0')
        g_ptr_array_add (self->accounts, g_object_ref (each));
    }
  if (self->accounts->len == 0)
    for (guint i = 0; i < accounts->len; i++)
      g_ptr_array_add (self->accounts, g_object_ref (g_ptr_array_index (accounts, i)));
  for (guint i = 0; i < self->accounts->len; i++)
    {
      KurirAccount *each = g_ptr_array_index (self->accounts, i);
      g_autoptr(GPtrArray) each_identities = kurir_account_dup_identities (each);

      for (guint j = 0; j < each_identities->len; j++)
        {
          Sender *sender = g_new0 (Sender, 1);
          g_autofree char *address = NULL;
          g_autofree char *shown = NULL;

          sender->account = g_object_ref (each);
          sender->identity = kurir_identity_copy (g_ptr_array_index (each_identities, j));
          if (sender->identity->address == NULL)
            {
              sender_free (sender);
              continue;
            }
          address = kurir_identity_to_string (sender->identity);
          /* Translators: a sender in the From list: "Name <address> — account" */
          shown = g_strdup_printf (_("%s — %s"), address, kurir_account_get_name (each));
          g_ptr_array_add (self->senders, sender);
          gtk_string_list_append (identities, shown);
        }
    }
  gtk_drop_down_set_model (self->from_dropdown, G_LIST_MODEL (identities));
  if (account != NULL)
    select_sender (self, account, NULL);
  add_signature (self);
  g_signal_connect_swapped (self->from_dropdown, "notify::selected", G_CALLBACK (sender_changed_cb), self);
  g_signal_connect_swapped (self->from_dropdown, "notify::selected", G_CALLBACK (changed_cb), self);
  load_addresses (self);
  self->dirty = FALSE;
  return self;
}

void
kurir_composer_start_reply (KurirComposer *self,
                            GBytes        *original,
                            gboolean       all)
{
  g_autoptr(KurirMessageBuilder) reply = NULL;
  g_auto(GStrv) addresses = NULL;
  KurirAccount *account;
  int addressed;

  g_return_if_fail (KURIR_IS_COMPOSER (self));
  g_return_if_fail (original != NULL);

  /* From: the identity the original was sent to, those of its own
   * account (chosen when the composer was made) before the others; else
   * that account's primary identity. */
  account = current_account (self);
  if (account != NULL)
    {
      g_autoptr(GArray) order = g_array_new (FALSE, FALSE, sizeof (guint));
      GStrvBuilder *builder = g_strv_builder_new ();

      for (guint pass = 0; pass < 2; pass++)
        for (guint i = 0; i < self->senders->len; i++)
          {
            Sender *sender = g_ptr_array_index (self->senders, i);

            if ((sender->account == account) != (pass == 0))
              continue;
            g_array_append_val (order, i);
            g_strv_builder_add (builder, sender->identity->address);
          }
      addresses = g_strv_builder_end (builder);
      g_strv_builder_unref (builder);
      addressed = kurir_message_builder_find_recipient (original, (const char * const *) addresses);
      if (addressed >= 0)
        gtk_drop_down_set_selected (self->from_dropdown, g_array_index (order, guint, addressed));
      else
        select_sender (self, account, NULL);
    }
  g_strfreev (addresses);
  addresses = own_addresses (self, current_sender (self));
  reply = kurir_message_builder_new_reply_from (original, (const char * const *) addresses, all, NULL);
  if (reply == NULL)
    return;
  g_set_object (&self->builder, reply);
  fill_from_builder (self);
  add_signature (self);
  self->dirty = FALSE;
  gtk_widget_grab_focus (GTK_WIDGET (self->body_view));
}

void
kurir_composer_start_forward (KurirComposer    *self,
                              GBytes           *original,
                              KurirForwardMode  mode)
{
  g_autoptr(KurirMessageBuilder) forward = NULL;

  g_return_if_fail (KURIR_IS_COMPOSER (self));
  g_return_if_fail (original != NULL);

  forward = kurir_message_builder_new_forward (original, mode, NULL);
  if (forward == NULL)
    return;
  g_set_object (&self->builder, forward);
  fill_from_builder (self);
  add_signature (self);
  self->dirty = FALSE;
  gtk_widget_grab_focus (GTK_WIDGET (self->to_entry));
}

void
kurir_composer_open_draft (KurirComposer *self,
                           gint64         id,
                           GBytes        *draft)
{
  g_autoptr(KurirMessageBuilder) builder = NULL;

  g_return_if_fail (KURIR_IS_COMPOSER (self));
  g_return_if_fail (draft != NULL);

  builder = kurir_message_builder_new_from_draft (draft, NULL);
  if (builder == NULL)
    return;
  g_set_object (&self->builder, builder);
  {
    gsize size;
    const char *data = g_bytes_get_data (draft, &size);
    g_autoptr(KurirMessageInfo) info = kurir_message_info_new_from_data (data, size);
    Sender *sender;

    /* The draft's From; its signature is part of the body already. */
    if (info->from_address != NULL)
      select_sender (self, NULL, info->from_address);
    fill_from_builder (self);
    sender = current_sender (self);
    g_clear_pointer (&self->signature, g_free);
    if (sender != NULL && sender->identity->signature != NULL && *sender->identity->signature != '\0')
      self->signature = g_strdup (sender->identity->signature);
    self->dirty = FALSE;
  }
  self->draft_id = id;
}

gboolean
kurir_composer_fill_mailto (KurirComposer *self,
                            const char    *uri)
{
  g_autofree char *rest = NULL;
  g_autoptr(GString) to = g_string_new (NULL);
  g_autoptr(GString) cc = g_string_new (NULL);
  g_autoptr(GString) bcc = g_string_new (NULL);
  g_autofree char *subject = NULL;
  g_autofree char *body = NULL;
  char *query;

  g_return_val_if_fail (KURIR_IS_COMPOSER (self), FALSE);

  if (uri == NULL || g_ascii_strncasecmp (uri, "mailto:", 7) != 0)
    return FALSE;
  rest = g_strdup (uri + 7);
  query = strchr (rest, '?');
  if (query != NULL)
    *query++ = '\0';
  if (*rest != '\0')
    {
      g_autofree char *path = g_uri_unescape_string (rest, NULL);

      if (path != NULL)
        g_string_append (to, path);
    }
  if (query != NULL)
    {
      g_auto(GStrv) pairs = g_strsplit (query, "&", -1);

      for (guint i = 0; pairs[i] != NULL; i++)
        {
          char *eq = strchr (pairs[i], '=');
          g_autofree char *key = NULL;
          g_autofree char *value = NULL;
          GString *list = NULL;

          if (eq == NULL)
            continue;
          *eq = '\0';
          key = g_uri_unescape_string (pairs[i], NULL);
          value = g_uri_unescape_string (eq + 1, NULL);
          if (key == NULL || value == NULL || !g_utf8_validate (value, -1, NULL))
            continue;
          if (g_ascii_strcasecmp (key, "to") == 0)
            list = to;
          else if (g_ascii_strcasecmp (key, "cc") == 0)
            list = cc;
          else if (g_ascii_strcasecmp (key, "bcc") == 0)
            list = bcc;
          else if (g_ascii_strcasecmp (key, "subject") == 0)
            {
              g_free (subject);
              subject = g_steal_pointer (&value);
            }
          else if (g_ascii_strcasecmp (key, "body") == 0)
            {
              g_free (body);
              body = g_steal_pointer (&value);
            }
          /* attach=, in-reply-to= and the rest are ignored (RFC 6068 7). */
          if (list != NULL && value != NULL && *value != '\0')
            g_string_append_printf (list, "%s%s", list->len > 0 ? ", " : "", value);
        }
    }

  /* Line breaks only in the body; the other fields are single lines. */
  g_strdelimit (to->str, "\r\n", ' ');
  g_strdelimit (cc->str, "\r\n", ' ');
  g_strdelimit (bcc->str, "\r\n", ' ');
  if (subject != NULL)
    g_strdelimit (subject, "\r\n", ' ');
  gtk_editable_set_text (GTK_EDITABLE (self->to_entry), to->str);
  gtk_editable_set_text (GTK_EDITABLE (self->cc_entry), cc->str);
  gtk_editable_set_text (GTK_EDITABLE (self->bcc_entry), bcc->str);
  gtk_editable_set_text (GTK_EDITABLE (self->subject_entry), subject != NULL ? subject : "");
  if (body != NULL)
    {
      g_auto(GStrv) lines = g_strsplit (body, "\r\n", -1);
      g_autofree char *joined = g_strjoinv ("\n", lines);

      set_body (self, joined);
      add_signature (self);
    }
  return TRUE;
}

const char *
kurir_composer_get_to (KurirComposer *self)
{
  g_return_val_if_fail (KURIR_IS_COMPOSER (self), NULL);
  return gtk_editable_get_text (GTK_EDITABLE (self->to_entry));
}

const char *
kurir_composer_get_cc (KurirComposer *self)
{
  g_return_val_if_fail (KURIR_IS_COMPOSER (self), NULL);
  return gtk_editable_get_text (GTK_EDITABLE (self->cc_entry));
}

const char *
kurir_composer_get_bcc (KurirComposer *self)
{
  g_return_val_if_fail (KURIR_IS_COMPOSER (self), NULL);
  return gtk_editable_get_text (GTK_EDITABLE (self->bcc_entry));
}

const char *
kurir_composer_get_subject (KurirComposer *self)
{
  g_return_val_if_fail (KURIR_IS_COMPOSER (self), NULL);
  return gtk_editable_get_text (GTK_EDITABLE (self->subject_entry));
}

char *
kurir_composer_get_body (KurirComposer *self)
{
  g_return_val_if_fail (KURIR_IS_COMPOSER (self), NULL);
  return body_text (self);
}

guint
kurir_composer_get_n_attachments (KurirComposer *self)
{
  g_return_val_if_fail (KURIR_IS_COMPOSER (self), 0);
  return kurir_message_builder_get_n_attachments (self->builder);
}

gboolean
kurir_composer_get_attachment_warning (KurirComposer *self)
{
  g_return_val_if_fail (KURIR_IS_COMPOSER (self), FALSE);

  update_warning (self);
  return gtk_revealer_get_reveal_child (self->warning_revealer);
}

GListModel *
kurir_composer_get_senders (KurirComposer *self)
{
  g_return_val_if_fail (KURIR_IS_COMPOSER (self), NULL);
  return gtk_drop_down_get_model (self->from_dropdown);
}

char *
kurir_composer_get_from (KurirComposer *self)
{
  Sender *sender;

  g_return_val_if_fail (KURIR_IS_COMPOSER (self), NULL);

  sender = current_sender (self);
  return sender != NULL ? kurir_identity_to_string (sender->identity) : NULL;
}

gboolean
kurir_composer_set_from (KurirComposer *self,
                         const char    *address)
{
  g_return_val_if_fail (KURIR_IS_COMPOSER (self), FALSE);
  g_return_val_if_fail (address != NULL, FALSE);

  return select_sender (self, NULL, address);
}

gint64
kurir_composer_get_draft_id (KurirComposer *self)
{
  g_return_val_if_fail (KURIR_IS_COMPOSER (self), 0);
  return self->draft_id;
}

void
kurir_composer_save_draft (KurirComposer *self)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (KURIR_IS_COMPOSER (self));

  g_clear_handle_id (&self->autosave_source, g_source_remove);
  if (self->saving)
    {
      self->save_again = TRUE;
      return;
    }
  if (current_account (self) == NULL)
    return;
  sync_builder (self, FALSE, NULL);
  self->saving = TRUE;
  self->dirty = FALSE;
  task = g_task_new (self, NULL, save_draft_done_cb, NULL);
  g_task_set_source_tag (task, kurir_composer_save_draft);
  g_task_set_task_data (task, new_job (self), job_free);
  g_task_run_in_thread (task, save_draft_thread);
}

void
kurir_composer_add_file (KurirComposer *self,
                         GFile         *file)
{
  g_return_if_fail (KURIR_IS_COMPOSER (self));
  g_return_if_fail (G_IS_FILE (file));

  g_file_load_bytes_async (file, self->cancellable, file_loaded_cb, g_object_ref (self));
}

gboolean
kurir_composer_mentions_attachment (const char *text)
{
  static const char *const words[] = { "attach", "terlampir", "lampiran", "enclosed" };
  g_auto(GStrv) lines = NULL;

  if (text == NULL)
    return FALSE;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autofree char *folded = NULL;

      /* What is quoted was someone else's attachment. */
      if (lines[i][0] == '>')
        continue;
      folded = g_utf8_strdown (lines[i], -1);
      for (guint w = 0; w < G_N_ELEMENTS (words); w++)
        if (strstr (folded, words[w]) != NULL)
          return TRUE;
    }
  return FALSE;
}
