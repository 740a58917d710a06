/* kurir-password-dialog.c: the password from the keyring, or from the
 * person
 *
 * The keyring is asked first (kurir-secret bounds every call). When it
 * cannot give the password, a dialog names the account and its server,
 * says why the keyring did not help, and asks; the answer is kept in
 * memory, in a table of this process, for the rest of the session, and
 * wiped when forgotten or at exit. Nothing is written anywhere.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-app"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "kurir-password-dialog.h"
#include "kurir-secret.h"

struct _KurirPasswordDialog
{
  AdwMessageDialog  parent_instance;

  GtkPasswordEntry *entry;
  char             *key;      /* account and protocol */
  char             *reason;
};

G_DEFINE_FINAL_TYPE (KurirPasswordDialog, kurir_password_dialog, ADW_TYPE_MESSAGE_DIALOG)

/* Session state, on the main thread only. */
static GHashTable *session_passwords;   /* key -> password typed */
static GHashTable *declined;            /* keys the person said no to */
static GHashTable *waiting;             /* key -> GPtrArray of GTask */

typedef struct
{
  KurirAccount  *account;
  KurirProtocol  protocol;
  char          *key;
} Lookup;

/* Helpers */

static void
wipe_free (char *password)
{
  if (password != NULL)
    {
      memset (password, 0, strlen (password));
      g_free (password);
    }
}

static void
ensure_tables (void)
{
  if (session_passwords != NULL)
    return;
  session_passwords = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) wipe_free);
  declined = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  waiting = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
}

static char *
make_key (const char    *account_name,
          KurirProtocol  protocol)
{
  return g_strdup_printf ("%s\n%s", account_name, kurir_protocol_to_string (protocol));
}

static void
lookup_free (Lookup *lookup)
{
  g_clear_object (&lookup->account);
  g_free (lookup->key);
  g_free (lookup);
}

/* Answers every lookup waiting for @key: with a copy of @password, or
 * with @error. */
static void
answer_waiting (const char   *key,
                const char   *password,
                const GError *error)
{
  g_autoptr(GPtrArray) tasks = NULL;
  gpointer stolen_key = NULL;
  gpointer value = NULL;

  if (!g_hash_table_steal_extended (waiting, key, &stolen_key, &value))
    return;
  g_free (stolen_key);
  tasks = value;
  for (guint i = 0; i < tasks->len; i++)
    {
      GTask *task = g_ptr_array_index (tasks, i);

      if (password != NULL)
        g_task_return_pointer (task, g_strdup (password), (GDestroyNotify) wipe_free);
      else
        g_task_return_error (task, g_error_copy (error));
    }
}

static GtkWindow *
active_window (void)
{
  GApplication *application = g_application_get_default ();

  if (application == NULL || !GTK_IS_APPLICATION (application))
    return NULL;
  return gtk_application_get_active_window (GTK_APPLICATION (application));
}

/* Callbacks */

static void
dialog_response_cb (KurirPasswordDialog *self,
                    const char          *response)
{
  const char *typed = gtk_editable_get_text (GTK_EDITABLE (self->entry));

  if (g_str_equal (response, "use") && *typed != '\0')
    {
      g_hash_table_insert (session_passwords, g_strdup (self->key), g_strdup (typed));
      answer_waiting (self->key, typed, NULL);
    }
  else
    {
      g_autoptr(GError) error = g_error_new (KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_KEYRING,
                                             _("No password: %s"), self->reason);

      g_hash_table_add (declined, g_strdup (self->key));
      answer_waiting (self->key, NULL, error);
    }
  /* Out of the entry's buffer too. */
  gtk_editable_set_text (GTK_EDITABLE (self->entry), "");
  /* GTK 4.8's password entry must not have the focus while its window
   * goes away (it is notified after it was freed). */
  gtk_window_set_focus (GTK_WINDOW (self), NULL);
}

static void
ask (Lookup       *lookup,
     const GError *keyring_error)
{
  KurirPasswordDialog *self;
  g_autofree char *heading = NULL;
  g_autofree char *body = NULL;
  const char *user = kurir_account_get_user (lookup->account);
  const char *host = kurir_account_get_host (lookup->account);
  GtkWindow *parent = active_window ();

  self = g_object_new (KURIR_TYPE_PASSWORD_DIALOG,
                       "transient-for", parent,
                       "application", parent ? gtk_window_get_application (parent) : NULL,
                       NULL);
  self->key = g_strdup (lookup->key);
  if (keyring_error != NULL)
    /* Translators: the reason the keyring gave follows */
    self->reason = g_strdup_printf (_("the keyring could not give it (%s)"), keyring_error->message);
  else if (!kurir_account_get_remember_password (lookup->account))
    self->reason = g_strdup (_("it is not remembered between sessions"));
  else
    self->reason = g_strdup (_("none is stored in the keyring"));

  /* Translators: %s is the account's name */
  heading = g_strdup_printf (_("Password for “%s”"), kurir_account_get_name (lookup->account));
  /* Translators: user, server, then why Kurir asks */
  body = g_strdup_printf (_("Enter the password of %s on %s: %s. "
                            "Kurir keeps it only until you quit, and never writes it to a file."),
                          user ? user : kurir_account_get_email (lookup->account),
                          host ? host : "", self->reason);
  adw_message_dialog_set_heading (ADW_MESSAGE_DIALOG (self), heading);
  adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (self), body);
  gtk_window_present (GTK_WINDOW (self));
}

static void
secret_found_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Lookup *lookup = user_data;
  g_autoptr(GError) error = NULL;
  char *password;

  password = kurir_secret_lookup_finish (result, &error);
  if (password != NULL)
    {
      answer_waiting (lookup->key, password, NULL);
      kurir_secret_free (password);
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    answer_waiting (lookup->key, NULL, error);
  else
    {
      if (error != NULL)
        g_message ("The keyring gave no password for %s: %s",
                   kurir_account_get_name (lookup->account), error->message);
      ask (lookup, error);
    }
  lookup_free (lookup);
}

/* Overrides */

static void
kurir_password_dialog_finalize (GObject *object)
{
  KurirPasswordDialog *self = KURIR_PASSWORD_DIALOG (object);

  g_free (self->key);
  g_free (self->reason);
  G_OBJECT_CLASS (kurir_password_dialog_parent_class)->finalize (object);
}

static void
kurir_password_dialog_class_init (KurirPasswordDialogClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kurir_password_dialog_finalize;
}

static void
kurir_password_dialog_init (KurirPasswordDialog *self)
{
  self->entry = GTK_PASSWORD_ENTRY (gtk_password_entry_new ());
  gtk_password_entry_set_show_peek_icon (self->entry, TRUE);
  g_object_set (self->entry, "activates-default", TRUE, NULL);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (self), GTK_WIDGET (self->entry));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (self),
                                    "cancel", _("_Cancel"),
                                    "use", _("_Use Password"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (self), "use",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (self), "use");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (self), "cancel");
  g_signal_connect (self, "response", G_CALLBACK (dialog_response_cb), NULL);
}

/* Public API */

void
kurir_password_lookup_async (KurirAccount        *account,
                             KurirProtocol        protocol,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *key = NULL;
  GPtrArray *tasks;
  const char *typed;
  Lookup *lookup;

  g_return_if_fail (KURIR_IS_ACCOUNT (account));

  ensure_tables ();
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, kurir_password_lookup_async);
  key = make_key (kurir_account_get_name (account), protocol);

  typed = g_hash_table_lookup (session_passwords, key);
  if (typed != NULL)
    {
      g_task_return_pointer (task, g_strdup (typed), (GDestroyNotify) wipe_free);
      return;
    }
  if (g_hash_table_contains (declined, key))
    {
      g_task_return_new_error (task, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_KEYRING,
                               _("No password for “%s”: it was not entered in this session"),
                               kurir_account_get_name (account));
      return;
    }

  /* One keyring call and one dialog per account at a time. */
  tasks = g_hash_table_lookup (waiting, key);
  if (tasks != NULL)
    {
      g_ptr_array_add (tasks, g_steal_pointer (&task));
      return;
    }
  tasks = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (tasks, g_steal_pointer (&task));
  g_hash_table_insert (waiting, g_strdup (key), tasks);

  lookup = g_new0 (Lookup, 1);
  lookup->account = g_object_ref (account);
  lookup->protocol = protocol;
  lookup->key = g_steal_pointer (&key);
  /* Not the caller's cancellable: others may wait on the same answer. */
  kurir_secret_lookup_async (kurir_account_get_name (account), protocol, NULL,
                             secret_found_cb, lookup);
}

char *
kurir_password_lookup_finish (GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
kurir_password_forget (const char    *account_name,
                       KurirProtocol  protocol)
{
  g_autofree char *key = NULL;

  g_return_if_fail (account_name != NULL);

  ensure_tables ();
  key = make_key (account_name, protocol);
  g_hash_table_remove (session_passwords, key);
  g_hash_table_remove (declined, key);
}

char *
kurir_password_dup_typed (const char    *account_name,
                          KurirProtocol  protocol)
{
  g_autofree char *key = NULL;
  const char *typed;

  g_return_val_if_fail (account_name != NULL, NULL);

  ensure_tables ();
  key = make_key (account_name, protocol);
  typed = g_hash_table_lookup (session_passwords, key);
  return typed != NULL ? g_strdup (typed) : NULL;
}

const char *
kurir_password_dialog_get_reason (KurirPasswordDialog *self)
{
  g_return_val_if_fail (KURIR_IS_PASSWORD_DIALOG (self), NULL);
  return self->reason;
}

void
kurir_password_dialog_submit (KurirPasswordDialog *self,
                              const char          *password)
{
  g_return_if_fail (KURIR_IS_PASSWORD_DIALOG (self));

  gtk_editable_set_text (GTK_EDITABLE (self->entry), password);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (self), "use");
  /* As the button does (not closed: that would answer "cancel" too). */
  gtk_window_destroy (GTK_WINDOW (self));
}
