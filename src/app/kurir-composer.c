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
#include "kurir-journal.h"
#include "kurir-outbox.h"

struct _KurirComposer
{
  AdwApplicationWindow  parent_instance;

  KurirStore           *store;
  GPtrArray            *accounts;        /* KurirAccount */
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

static KurirAccount *
current_account (KurirComposer *self)
{
  guint selected = gtk_drop_down_get_selected (self->from_dropdown);

  if (self->accounts->len == 0)
    return NULL;
  if (selected >= self->accounts->len)
    selected = 0;
  return g_ptr_array_index (self->accounts, selected);
}

static void
select_account_by_name (KurirComposer *self,
                        const char    *name_or_address)
{
  for (guint i = 0; name_or_address != NULL && i < self->accounts->len; i++)
    {
      KurirAccount *account = g_ptr_array_index (self->accounts, i);

      if (g_strcmp0 (kurir_account_get_name (account), name_or_address) == 0 ||
          g_ascii_strcasecmp (kurir_account_get_email (account) != NULL ? kurir_account_get_email (account) : "",
                              name_or_address) == 0)
        {
          gtk_drop_down_set_selected (self->from_dropdown, i);
          return;
        }
    }
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
  kurir_message_builder_set_from (self->builder, NULL, kurir_account_get_email (account));
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

/* The Drafts folder of @account (role "drafts"), made here when none. */
static char *
drafts_folder (KurirStore   *store,
               KurirAccount *account,
               GError      **error)
{
  const char *name = kurir_account_get_name (account);
  g_autoptr(GPtrArray) folders = kurir_store_list_folders (store, name, error);

  if (folders == NULL)
    return NULL;
  for (guint i = 0; i < folders->len; i++)
    {
      KurirStoreFolder *folder = g_ptr_array_index (folders, i);

      if (g_strcmp0 (folder->role, "drafts") == 0)
        return g_strdup (folder->name);
    }
  if (!kurir_store_create_folder (store, name, "Drafts", "drafts", error))
    return NULL;
  return g_strdup ("Drafts");
}

/* Drops a draft that is replaced or sent: through the journal for IMAP. */
static void
drop_draft (KurirStore   *store,
            KurirAccount *account,
            gint64        id)
{
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if (id == 0)
    return;
  if (kurir_account_get_protocol (account) == KURIR_PROTOCOL_IMAP)
    {
      g_autoptr(KurirJournal) journal = kurir_journal_new (store, kurir_account_get_name (account));

      ok = kurir_journal_delete (journal, id, &error);
    }
  else
    ok = kurir_store_delete_full (store, id, KURIR_STORE_DELETE_FORGET, &error);
  if (!ok)
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
  g_autofree char *folder = NULL;
  GError *error = NULL;
  const KurirMessageFlags flags = KURIR_MESSAGE_FLAG_SEEN | KURIR_MESSAGE_FLAG_DRAFT;

  bytes = kurir_message_builder_build_draft (job->builder, &error);
  if (bytes != NULL)
    folder = drafts_folder (job->store, job->account, &error);
  if (folder == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (kurir_account_get_protocol (job->account) == KURIR_PROTOCOL_IMAP)
    {
      g_autoptr(KurirJournal) journal = kurir_journal_new (job->store, kurir_account_get_name (job->account));

      job->new_id = kurir_journal_append (journal, folder, bytes, flags, &error);
    }
  else
    job->new_id = kurir_store_add (job->store, kurir_account_get_name (job->account), folder, bytes, NULL,
                                   flags, 0, &error);
  if (job->new_id == 0)
    {
      g_task_return_error (task, error);
      return;
    }
  /* The new draft is safe: the old one goes. */
  drop_draft (job->store, job->account, job->old_draft);
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

/* The senders of recent mail, each once: read in a worker thread. */
static void
addresses_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  KurirStore *store = task_data;
  g_autoptr(GPtrArray) messages = kurir_store_list (store, NULL, NULL, 0, 2000, NULL);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; messages != NULL && i < messages->len; i++)
    {
      const char *from = kurir_message_get_from (g_ptr_array_index (messages, i));
      g_autofree char *key = NULL;

      if (from == NULL || *from == '\0' || strchr (from, '@') == NULL)
        continue;
      key = g_utf8_casefold (from, -1);
      if (g_hash_table_add (seen, g_steal_pointer (&key)))
        g_ptr_array_add (out, g_strdup (from));
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

  g_task_set_source_tag (task, load_addresses);
  g_task_set_return_on_cancel (task, TRUE);
  g_task_set_task_data (task, g_object_ref (self->store), g_object_unref);
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
  for (guint i = 0; i < accounts->len; i++)
    {
      KurirAccount *each = g_ptr_array_index (accounts, i);
      const char *email = kurir_account_get_email (each);
      g_autofree char *shown = g_strdup_printf ("%s (%s)", email != NULL ? email : "",
                                                kurir_account_get_name (each));

      g_ptr_array_add (self->accounts, g_object_ref (each));
      gtk_string_list_append (identities, shown);
    }
  gtk_drop_down_set_model (self->from_dropdown, G_LIST_MODEL (identities));
  if (account != NULL)
    select_account_by_name (self, kurir_account_get_name (account));
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
  KurirAccount *account;
  g_autoptr(KurirMessageBuilder) reply = NULL;

  g_return_if_fail (KURIR_IS_COMPOSER (self));
  g_return_if_fail (original != NULL);

  account = current_account (self);
  reply = kurir_message_builder_new_reply (original, account != NULL ? kurir_account_get_email (account) : NULL,
                                           all, NULL);
  if (reply == NULL)
    return;
  g_set_object (&self->builder, reply);
  fill_from_builder (self);
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
  fill_from_builder (self);
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
