/* kurir-account-preferences.c: one account's settings
 *
 * Switching between POP3 and IMAP changes only the account's settings: the
 * mail already in the store stays in the account's folders, and the
 * password follows the account to the other protocol in the keyring (it is
 * stored under the new protocol before the account file changes, and the
 * old entry is removed only after, so no step leaves the account without
 * its password).
 *
 * The second page holds who the account sends as: the primary identity
 * (name, address, reply-to, signature) and further addresses, each in an
 * expander row of its own.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-app"

#include "config.h"

#include <inttypes.h>

#include <string.h>

#include <glib/gi18n.h>

#include "kurir-account-preferences.h"
#include "kurir-account-usage.h"
#include "kurir-password-dialog.h"
#include "kurir-secret.h"

enum { PROTOCOL_IMAP, PROTOCOL_POP3 };
/* The security lists follow KurirSecurity's order: TLS, STARTTLS, none. */
G_STATIC_ASSERT (KURIR_SECURITY_TLS == 0 && KURIR_SECURITY_STARTTLS == 1 && KURIR_SECURITY_NONE == 2);
enum { POP3_LEAVE, POP3_DELETE, POP3_DELETE_AFTER_DAYS };

struct _KurirAccountPreferences
{
  AdwPreferencesWindow  parent_instance;

  AdwPreferencesGroup  *receiving_group;
  AdwPreferencesGroup  *sending_group;
  AdwComboRow          *protocol_row;
  GtkLabel             *switch_label;
  AdwEntryRow          *host_row;
  GtkSpinButton        *port_spin;
  AdwComboRow          *security_row;
  AdwEntryRow          *user_row;
  AdwEntryRow          *password_row;
  GtkSwitch            *remember_switch;
  GtkSpinButton        *check_interval_spin;
  AdwEntryRow          *smtp_host_row;
  GtkSpinButton        *smtp_port_spin;
  AdwComboRow          *smtp_security_row;
  AdwEntryRow          *smtp_user_row;
  AdwPreferencesGroup  *pop3_group;
  AdwComboRow          *pop3_policy_row;
  AdwActionRow         *pop3_days_row;
  GtkSpinButton        *pop3_days_spin;
  GtkSpinButton        *size_limit_spin;
  GtkSwitch            *delete_here_switch;
  AdwPreferencesGroup  *imap_group;
  AdwComboRow          *keep_offline_row;
  GtkButton            *save_button;
  GtkButton            *identities_save_button;
  AdwEntryRow          *display_name_row;
  AdwEntryRow          *email_row;
  AdwEntryRow          *reply_to_row;
  GtkTextView          *signature_view;
  AdwPreferencesGroup  *identities_group;
  GtkButton            *add_identity_button;
  GPtrArray            *identity_rows;  /* IdentityRow, the further identities */
  AdwActionRow         *server_usage_row;
  AdwActionRow         *local_usage_row;
  GtkLabel             *storage_hint_label;
  KurirServerUsage     *server_usage;
  KurirLocalUsage       local_usage;
  gboolean              local_known;
  guint                 storage_pending; /* answers still to come */

  KurirAccount         *account;      /* as saved */
  KurirAccount         *edited;       /* being saved */
  char                 *password;     /* to store, or NULL */
  GCancellable         *cancellable;
  char                 *error_text;
};

enum {
  SIGNAL_SAVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* The widgets of one further identity. */
typedef struct
{
  AdwExpanderRow *expander;
  AdwEntryRow    *name_row;
  AdwEntryRow    *address_row;
  AdwEntryRow    *reply_to_row;
  GtkTextView    *signature_view;
} IdentityRow;

G_DEFINE_FINAL_TYPE (KurirAccountPreferences, kurir_account_preferences, ADW_TYPE_PREFERENCES_WINDOW)

/* Helpers */

static KurirProtocol
selected_protocol (KurirAccountPreferences *self)
{
  return adw_combo_row_get_selected (self->protocol_row) == PROTOCOL_POP3 ?
         KURIR_PROTOCOL_POP3 : KURIR_PROTOCOL_IMAP;
}

static void
set_text (AdwEntryRow *row,
          const char  *text)
{
  gtk_editable_set_text (GTK_EDITABLE (row), text ? text : "");
}

static char *
get_text (AdwEntryRow *row)
{
  return g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row))));
}

static char *
text_view_get_text (GtkTextView *view)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (view);
  GtkTextIter start, end;
  char *text;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  /* Trailing blank lines only make the message longer. */
  g_strchomp (text);
  return text;
}

static void
text_view_set_text (GtkTextView *view,
                    const char  *text)
{
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (view), text ? text : "", -1);
}

static char *
nonempty_text (AdwEntryRow *row)
{
  char *text = get_text (row);

  if (*text == '\0')
    g_clear_pointer (&text, g_free);
  return text;
}

static void
identity_row_free (IdentityRow *row)
{
  g_free (row);
}

static void
update_identity_title (IdentityRow *row)
{
  g_autofree char *address = get_text (row->address_row);
  g_autofree char *name = get_text (row->name_row);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row->expander),
                                 *address ? address : _("New address"));
  adw_expander_row_set_subtitle (row->expander, name);
}

static void
remove_identity_row (KurirAccountPreferences *self,
                     guint                    index)
{
  IdentityRow *row = g_ptr_array_index (self->identity_rows, index);

  adw_preferences_group_remove (self->identities_group, GTK_WIDGET (row->expander));
  g_ptr_array_remove_index (self->identity_rows, index);
}

static void
remove_identity_clicked_cb (GtkButton               *button,
                            KurirAccountPreferences *self)
{
  AdwExpanderRow *expander = g_object_get_data (G_OBJECT (button), "expander");

  for (guint i = 0; i < self->identity_rows->len; i++)
    if (((IdentityRow *) g_ptr_array_index (self->identity_rows, i))->expander == expander)
      {
        remove_identity_row (self, i);
        return;
      }
}

static AdwEntryRow *
add_entry_row (AdwExpanderRow *expander,
               const char     *title,
               const char     *text)
{
  AdwEntryRow *row = ADW_ENTRY_ROW (adw_entry_row_new ());

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  set_text (row, text);
  adw_expander_row_add_row (expander, GTK_WIDGET (row));
  return row;
}

static IdentityRow *
add_identity_row (KurirAccountPreferences *self,
                  const KurirIdentity     *identity)
{
  IdentityRow *row = g_new0 (IdentityRow, 1);
  GtkWidget *remove, *frame, *box, *label;

  row->expander = ADW_EXPANDER_ROW (adw_expander_row_new ());
  row->name_row = add_entry_row (row->expander, _("Name"), identity ? identity->name : NULL);
  row->address_row = add_entry_row (row->expander, _("Address"), identity ? identity->address : NULL);
  row->reply_to_row = add_entry_row (row->expander, _("Replies to (empty: the address)"),
                                     identity ? identity->reply_to : NULL);

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 12);
  label = gtk_label_new (_("Signature"));
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "dim-label");
  gtk_box_append (GTK_BOX (box), label);
  row->signature_view = GTK_TEXT_VIEW (gtk_text_view_new ());
  gtk_text_view_set_wrap_mode (row->signature_view, GTK_WRAP_WORD_CHAR);
  gtk_widget_set_size_request (GTK_WIDGET (row->signature_view), -1, 72);
  text_view_set_text (row->signature_view, identity ? identity->signature : NULL);
  frame = gtk_frame_new (NULL);
  gtk_frame_set_child (GTK_FRAME (frame), GTK_WIDGET (row->signature_view));
  gtk_box_append (GTK_BOX (box), frame);
  adw_expander_row_add_row (row->expander, box);

  remove = gtk_button_new_from_icon_name ("user-trash-symbolic");
  gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (remove, _("Remove this address"));
  gtk_widget_add_css_class (remove, "flat");
  g_object_set_data (G_OBJECT (remove), "expander", row->expander);
  g_signal_connect (remove, "clicked", G_CALLBACK (remove_identity_clicked_cb), self);
  adw_expander_row_add_action (row->expander, remove);

  g_signal_connect_swapped (row->address_row, "changed", G_CALLBACK (update_identity_title), row);
  g_signal_connect_swapped (row->name_row, "changed", G_CALLBACK (update_identity_title), row);
  update_identity_title (row);

  adw_preferences_group_add (self->identities_group, GTK_WIDGET (row->expander));
  g_ptr_array_add (self->identity_rows, row);
  return row;
}

static void
clear_identity_rows (KurirAccountPreferences *self)
{
  while (self->identity_rows->len > 0)
    remove_identity_row (self, self->identity_rows->len - 1);
}

/* The identities as the window shows them, the primary one first;
 * further ones left completely empty are dropped. */
static GPtrArray *
edited_identities (KurirAccountPreferences *self)
{
  GPtrArray *identities = g_ptr_array_new_with_free_func ((GDestroyNotify) kurir_identity_free);
  g_autofree char *email = get_text (self->email_row);
  KurirIdentity *primary;

  primary = kurir_identity_new (NULL, email);
  primary->name = nonempty_text (self->display_name_row);
  primary->reply_to = nonempty_text (self->reply_to_row);
  primary->signature = text_view_get_text (self->signature_view);
  if (*primary->signature == '\0')
    g_clear_pointer (&primary->signature, g_free);
  g_ptr_array_add (identities, primary);

  for (guint i = 0; i < self->identity_rows->len; i++)
    {
      IdentityRow *row = g_ptr_array_index (self->identity_rows, i);
      g_autofree char *address = get_text (row->address_row);
      KurirIdentity *identity = kurir_identity_new (NULL, address);

      identity->name = nonempty_text (row->name_row);
      identity->reply_to = nonempty_text (row->reply_to_row);
      identity->signature = text_view_get_text (row->signature_view);
      if (*identity->signature == '\0')
        g_clear_pointer (&identity->signature, g_free);
      if (*address == '\0' && identity->name == NULL && identity->reply_to == NULL &&
          identity->signature == NULL)
        kurir_identity_free (identity);
      else
        g_ptr_array_add (identities, identity);
    }
  return identities;
}

static void
fill_identities (KurirAccountPreferences *self)
{
  g_autoptr(GPtrArray) identities = kurir_account_dup_identities (self->account);
  const KurirIdentity *primary = g_ptr_array_index (identities, 0);

  set_text (self->display_name_row, primary->name);
  set_text (self->email_row, primary->address);
  set_text (self->reply_to_row, primary->reply_to);
  text_view_set_text (self->signature_view, primary->signature);
  clear_identity_rows (self);
  for (guint i = 1; i < identities->len; i++)
    add_identity_row (self, g_ptr_array_index (identities, i));
}

static void
clear_password (KurirAccountPreferences *self)
{
  if (self->password != NULL)
    {
      memset (self->password, 0, strlen (self->password));
      g_clear_pointer (&self->password, g_free);
    }
}

static void
show_error (KurirAccountPreferences *self,
            const char              *text)
{
  g_free (self->error_text);
  self->error_text = g_strdup (text);
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (text));
  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button), TRUE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->identities_save_button), TRUE);
}

static gboolean
is_local (KurirAccountPreferences *self)
{
  return kurir_account_get_protocol (self->account) == KURIR_PROTOCOL_LOCAL;
}

static void
update_visibility (KurirAccountPreferences *self)
{
  KurirProtocol protocol = selected_protocol (self);

  /* Mail without a server: only who it is sent as. */
  if (is_local (self))
    {
      gtk_widget_set_visible (GTK_WIDGET (self->receiving_group), FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->sending_group), FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->pop3_group), FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->imap_group), FALSE);
      return;
    }

  gtk_widget_set_visible (GTK_WIDGET (self->pop3_group), protocol == KURIR_PROTOCOL_POP3);
  gtk_widget_set_visible (GTK_WIDGET (self->imap_group), protocol == KURIR_PROTOCOL_IMAP);
  gtk_widget_set_visible (GTK_WIDGET (self->pop3_days_row),
                          adw_combo_row_get_selected (self->pop3_policy_row) == POP3_DELETE_AFTER_DAYS);
  gtk_widget_set_visible (GTK_WIDGET (self->switch_label),
                          protocol != kurir_account_get_protocol (self->account));
}

static void
fill (KurirAccountPreferences *self)
{
  KurirAccount *account = self->account;
  guint policy;

  adw_combo_row_set_selected (self->protocol_row,
                              kurir_account_get_protocol (account) == KURIR_PROTOCOL_POP3 ?
                              PROTOCOL_POP3 : PROTOCOL_IMAP);
  set_text (self->host_row, kurir_account_get_host (account));
  gtk_spin_button_set_value (self->port_spin, kurir_account_get_port (account));
  adw_combo_row_set_selected (self->security_row, (guint) kurir_account_get_security (account));
  set_text (self->user_row, kurir_account_get_user (account));
  set_text (self->smtp_host_row, kurir_account_get_smtp_host (account));
  gtk_spin_button_set_value (self->smtp_port_spin, kurir_account_get_smtp_port (account));
  adw_combo_row_set_selected (self->smtp_security_row,
                              (guint) kurir_account_get_smtp_security (account));
  set_text (self->smtp_user_row, kurir_account_get_smtp_user (account));
  gtk_switch_set_active (self->remember_switch, kurir_account_get_remember_password (account));
  gtk_spin_button_set_value (self->check_interval_spin, kurir_account_get_check_interval (account));
  gtk_spin_button_set_value (self->size_limit_spin, kurir_account_get_size_limit_kb (account));

  if (!kurir_account_get_leave_on_server (account))
    policy = POP3_DELETE;
  else if (kurir_account_get_delete_after_days (account) > 0)
    policy = POP3_DELETE_AFTER_DAYS;
  else
    policy = POP3_LEAVE;
  adw_combo_row_set_selected (self->pop3_policy_row, policy);
  if (kurir_account_get_delete_after_days (account) > 0)
    gtk_spin_button_set_value (self->pop3_days_spin, kurir_account_get_delete_after_days (account));
  gtk_switch_set_active (self->delete_here_switch, kurir_account_get_delete_when_deleted_here (account));

  switch (kurir_account_get_keep_offline (account))
    {
    case KURIR_KEEP_OFFLINE_ALL: adw_combo_row_set_selected (self->keep_offline_row, 1); break;
    case KURIR_KEEP_OFFLINE_NONE: adw_combo_row_set_selected (self->keep_offline_row, 2); break;
    case KURIR_KEEP_OFFLINE_AUTO:
    default: adw_combo_row_set_selected (self->keep_offline_row, 0); break;
    }
  fill_identities (self);
  update_visibility (self);
}

/* The account as the window shows it, from a fresh copy of the saved one
 * (so settings this window does not show are kept). */
static KurirAccount *
edited_account (KurirAccountPreferences  *self,
                GError                  **error)
{
  g_autoptr(KurirAccount) account = kurir_account_load (kurir_account_get_name (self->account), error);
  g_autofree char *host = get_text (self->host_row);
  g_autofree char *user = get_text (self->user_row);
  g_autofree char *smtp_host = get_text (self->smtp_host_row);
  g_autofree char *smtp_user = get_text (self->smtp_user_row);
  g_autoptr(GPtrArray) identities = edited_identities (self);
  KurirProtocol protocol = selected_protocol (self);

  if (account == NULL)
    return NULL;

  kurir_account_set_identities (account, identities);
  kurir_account_set_check_interval (account,
                                    gtk_spin_button_get_value_as_int (self->check_interval_spin));
  kurir_account_set_remember_password (account, gtk_switch_get_active (self->remember_switch));
  if (is_local (self))
    {
      if (!kurir_account_check (account, error))
        return NULL;
      return g_steal_pointer (&account);
    }

  kurir_account_set_protocol (account, protocol);
  kurir_account_set_host (account, host);
  kurir_account_set_port (account, gtk_spin_button_get_value_as_int (self->port_spin));
  kurir_account_set_security (account, (KurirSecurity) adw_combo_row_get_selected (self->security_row));
  kurir_account_set_user (account, *user ? user : NULL);
  kurir_account_set_smtp_host (account, *smtp_host ? smtp_host : NULL);
  kurir_account_set_smtp_port (account, gtk_spin_button_get_value_as_int (self->smtp_port_spin));
  kurir_account_set_smtp_security (account,
                                   (KurirSecurity) adw_combo_row_get_selected (self->smtp_security_row));
  /* The same as the incoming one: not stored apart. */
  kurir_account_set_smtp_user (account, *smtp_user && g_strcmp0 (smtp_user, user) != 0 ? smtp_user : NULL);

  switch (adw_combo_row_get_selected (self->pop3_policy_row))
    {
    case POP3_DELETE:
      kurir_account_set_leave_on_server (account, FALSE);
      kurir_account_set_delete_after_days (account, 0);
      break;
    case POP3_DELETE_AFTER_DAYS:
      kurir_account_set_leave_on_server (account, TRUE);
      kurir_account_set_delete_after_days (account, gtk_spin_button_get_value_as_int (self->pop3_days_spin));
      break;
    default:
      kurir_account_set_leave_on_server (account, TRUE);
      kurir_account_set_delete_after_days (account, 0);
      break;
    }
  kurir_account_set_delete_when_deleted_here (account, gtk_switch_get_active (self->delete_here_switch));
  kurir_account_set_size_limit_kb (account, gtk_spin_button_get_value_as_int (self->size_limit_spin));

  switch (adw_combo_row_get_selected (self->keep_offline_row))
    {
    case 1: kurir_account_set_keep_offline (account, KURIR_KEEP_OFFLINE_ALL); break;
    case 2: kurir_account_set_keep_offline (account, KURIR_KEEP_OFFLINE_NONE); break;
    default: kurir_account_set_keep_offline (account, KURIR_KEEP_OFFLINE_AUTO); break;
    }

  if (!kurir_account_check (account, error))
    return NULL;
  return g_steal_pointer (&account);
}

static gboolean
login_moved (KurirAccountPreferences *self)
{
  return kurir_account_get_protocol (self->edited) != kurir_account_get_protocol (self->account) ||
         g_strcmp0 (kurir_account_get_host (self->edited), kurir_account_get_host (self->account)) != 0 ||
         g_strcmp0 (kurir_account_get_user (self->edited), kurir_account_get_user (self->account)) != 0 ||
         /* Into the other keyring collection. */
         kurir_account_get_remember_password (self->edited) != kurir_account_get_remember_password (self->account);
}

/* Callbacks */

static void
old_secret_cleared_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* The account works without it; a leftover entry is only untidy. */
  if (!kurir_secret_clear_finish (result, &error))
    g_warning ("Could not remove the old password entry: %s", error->message);
}

static void
write_account (KurirAccountPreferences *self)
{
  g_autoptr(GError) error = NULL;
  KurirProtocol old_protocol = kurir_account_get_protocol (self->account);

  if (!kurir_account_save (self->edited, &error))
    {
      show_error (self, error->message);
      return;
    }

  if (self->password != NULL && old_protocol != kurir_account_get_protocol (self->edited))
    kurir_secret_clear_async (kurir_account_get_name (self->edited), old_protocol, NULL,
                              old_secret_cleared_cb, NULL);
  clear_password (self);

  g_set_object (&self->account, self->edited);
  g_clear_object (&self->edited);
  g_signal_emit (self, signals[SIGNAL_SAVED], 0, self->account);
  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button), TRUE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->identities_save_button), TRUE);
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
  update_visibility (self);
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (_("Saved")));
}

static void
secret_stored_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(KurirAccountPreferences) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!kurir_secret_store_finish (result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error (self, error->message);
      return;
    }
  write_account (self);
}

static void
store_and_write (KurirAccountPreferences *self)
{
  if (self->password == NULL)
    {
      write_account (self);
      return;
    }
  kurir_secret_store_async (kurir_account_get_name (self->edited),
                            kurir_account_get_protocol (self->edited),
                            kurir_account_get_host (self->edited),
                            kurir_account_get_user (self->edited),
                            self->password,
                            kurir_account_get_remember_password (self->edited),
                            self->cancellable, secret_stored_cb, g_object_ref (self));
}

static void
old_secret_found_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(KurirAccountPreferences) self = user_data;
  g_autoptr(GError) error = NULL;
  char *password;

  password = kurir_secret_lookup_finish (result, &error);
  if (error != NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error (self, error->message);
      return;
    }
  clear_password (self);
  self->password = g_strdup (password);
  if (password != NULL)
    kurir_secret_free (password);
  store_and_write (self);
}

static void
save_clicked_cb (KurirAccountPreferences *self)
{
  g_autoptr(GError) error = NULL;
  const char *typed;

  g_clear_pointer (&self->error_text, g_free);
  g_clear_object (&self->edited);
  self->edited = edited_account (self, &error);
  if (self->edited == NULL)
    {
      show_error (self, error->message);
      return;
    }

  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button), FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->identities_save_button), FALSE);
  clear_password (self);
  typed = gtk_editable_get_text (GTK_EDITABLE (self->password_row));
  if (*typed != '\0')
    {
      self->password = g_strdup (typed);
      store_and_write (self);
    }
  else if (login_moved (self))
    /* The stored password follows the account to its new server. */
    kurir_secret_lookup_async (kurir_account_get_name (self->account),
                               kurir_account_get_protocol (self->account),
                               self->cancellable, old_secret_found_cb, g_object_ref (self));
  else
    write_account (self);
}

static char *
describe_server_usage (const KurirServerUsage *usage)
{
  g_autofree char *used = NULL;
  g_autofree char *limit = NULL;
  g_autofree char *messages = NULL;

  if (usage->used_bytes < 0 && usage->messages < 0)
    return g_strdup (_("The server does not say how much it holds"));
  if (usage->messages >= 0)
    messages = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%" PRId64 " message",
                                             "%" PRId64 " messages", (gulong) MIN (usage->messages, G_MAXLONG)),
                                usage->messages);
  if (usage->used_bytes < 0)
    return g_steal_pointer (&messages);

  used = g_format_size_full ((guint64) usage->used_bytes, G_FORMAT_SIZE_IEC_UNITS);
  if (usage->limit_bytes >= 0)
    {
      int percent = usage->limit_bytes > 0 ?
                    (int) (100.0 * (double) usage->used_bytes / (double) usage->limit_bytes) : 100;

      limit = g_format_size_full ((guint64) usage->limit_bytes, G_FORMAT_SIZE_IEC_UNITS);
      /* Translators: "12 MiB of 1 GiB used (1 %)" */
      return g_strdup_printf (_("%s of %s used (%d %%)"), used, limit, percent);
    }
  if (messages != NULL)
    /* Translators: "12 MiB in 42 messages; the server sets no limit" (POP3) */
    return g_strdup_printf (_("%s in %s; the server states no limit"), used, messages);
  return g_strdup_printf (_("%s; the server states no limit"), used);
}

static void
update_storage_hint (KurirAccountPreferences *self)
{
  g_autofree char *hint = NULL;

  g_assert (self->storage_pending > 0);
  if (--self->storage_pending > 0)
    return;
  hint = kurir_account_usage_hint (self->account, self->server_usage,
                                   self->local_known ? &self->local_usage : NULL);
  gtk_label_set_text (self->storage_hint_label, hint ? hint : "");
  gtk_widget_set_visible (GTK_WIDGET (self->storage_hint_label), hint != NULL);
}

static void
server_usage_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(KurirAccountPreferences) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  KurirServerUsage *usage;

  usage = kurir_account_server_usage_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (usage == NULL)
    /* Translators: the server could not be asked; the reason follows */
    text = g_strdup_printf (_("Not known: %s"), error->message);
  else
    text = describe_server_usage (usage);
  adw_action_row_set_subtitle (self->server_usage_row, text);
  g_clear_pointer (&self->server_usage, kurir_server_usage_free);
  self->server_usage = usage;
  update_storage_hint (self);
}

static void
usage_password_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(KurirAccountPreferences) self = user_data;
  g_autoptr(GError) error = NULL;
  char *password;

  password = kurir_secret_lookup_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (password == NULL)
    {
      adw_action_row_set_subtitle (self->server_usage_row,
                                   error ? error->message : _("Not known: no password is stored"));
      update_storage_hint (self);
      return;
    }
  kurir_account_server_usage_async (self->account, password, self->cancellable,
                                    server_usage_cb, g_object_ref (self));
  kurir_secret_free (password);
}

static void
local_usage_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(KurirAccountPreferences) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *size = NULL;
  g_autofree char *text = NULL;

  if (!kurir_account_local_usage_finish (result, &self->local_usage, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          adw_action_row_set_subtitle (self->local_usage_row, error->message);
          update_storage_hint (self);
        }
      return;
    }
  self->local_known = TRUE;
  size = g_format_size_full (self->local_usage.bytes, G_FORMAT_SIZE_IEC_UNITS);
  /* Translators: "12 MiB in 42 messages" */
  text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s in %" PRIu64 " message",
                                       "%s in %" PRIu64 " messages",
                                       (gulong) MIN (self->local_usage.messages, G_MAXULONG)),
                          size, self->local_usage.messages);
  if (self->local_usage.disk_free_bytes >= 0)
    {
      g_autofree char *free_size = g_format_size_full ((guint64) self->local_usage.disk_free_bytes,
                                                       G_FORMAT_SIZE_IEC_UNITS);
      g_autofree char *more = g_strdup_printf (_("%s; %s free on the disk"), text, free_size);

      g_free (text);
      text = g_steal_pointer (&more);
    }
  adw_action_row_set_subtitle (self->local_usage_row, text);
  update_storage_hint (self);
}

static void
store_opened_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(KurirAccountPreferences) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(KurirStore) store = kurir_store_open_finish (result, &error);

  if (store == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          adw_action_row_set_subtitle (self->local_usage_row, error->message);
          update_storage_hint (self);
        }
      return;
    }
  kurir_account_local_usage_async (store, kurir_account_get_name (self->account), self->cancellable,
                                   local_usage_cb, g_object_ref (self));
}

static void
start_storage (KurirAccountPreferences *self)
{
  self->storage_pending = is_local (self) ? 1 : 2;
  kurir_store_open_async (NULL, self->cancellable, store_opened_cb, g_object_ref (self));
  if (is_local (self))
    adw_action_row_set_subtitle (self->server_usage_row, _("This account has no server"));
  else
    {
      /* The password typed for this session, as the syncs use it, else
       * the keyring's. Never a prompt over these settings just for a
       * quota: declining it would also stop the syncs from asking. */
      char *typed = kurir_password_dup_typed (kurir_account_get_name (self->account),
                                              kurir_account_get_protocol (self->account));

      if (typed != NULL)
        {
          kurir_account_server_usage_async (self->account, typed, self->cancellable,
                                            server_usage_cb, g_object_ref (self));
          kurir_secret_free (typed);
        }
      else
        kurir_secret_lookup_async (kurir_account_get_name (self->account),
                                   kurir_account_get_protocol (self->account), self->cancellable,
                                   usage_password_cb, g_object_ref (self));
    }
}

static void
add_identity_clicked_cb (KurirAccountPreferences *self)
{
  IdentityRow *row = add_identity_row (self, NULL);

  adw_expander_row_set_expanded (row->expander, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (row->address_row));
}

static void
protocol_changed_cb (KurirAccountPreferences *self)
{
  KurirProtocol protocol = selected_protocol (self);
  KurirSecurity security = (KurirSecurity) adw_combo_row_get_selected (self->security_row);

  /* The usual port of the other protocol, for the same security. */
  if (protocol != kurir_account_get_protocol (self->account))
    gtk_spin_button_set_value (self->port_spin, kurir_protocol_default_port (protocol, security));
  else
    gtk_spin_button_set_value (self->port_spin, kurir_account_get_port (self->account));
  update_visibility (self);
}

/* Overrides */

static void
kurir_account_preferences_dispose (GObject *object)
{
  KurirAccountPreferences *self = KURIR_ACCOUNT_PREFERENCES (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->account);
  g_clear_object (&self->edited);

  G_OBJECT_CLASS (kurir_account_preferences_parent_class)->dispose (object);
}

static void
kurir_account_preferences_finalize (GObject *object)
{
  KurirAccountPreferences *self = KURIR_ACCOUNT_PREFERENCES (object);

  clear_password (self);
  g_free (self->error_text);
  g_ptr_array_unref (self->identity_rows);
  g_clear_pointer (&self->server_usage, kurir_server_usage_free);
  G_OBJECT_CLASS (kurir_account_preferences_parent_class)->finalize (object);
}

static void
kurir_account_preferences_class_init (KurirAccountPreferencesClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kurir_account_preferences_dispose;
  object_class->finalize = kurir_account_preferences_finalize;

  signals[SIGNAL_SAVED] =
    g_signal_new ("saved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, KURIR_TYPE_ACCOUNT);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/kurir/Kurir/kurir-account-preferences.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, KurirAccountPreferences, name)
  BIND (receiving_group);
  BIND (sending_group);
  BIND (protocol_row);
  BIND (remember_switch);
  BIND (check_interval_spin);
  BIND (size_limit_spin);
  BIND (identities_save_button);
  BIND (display_name_row);
  BIND (email_row);
  BIND (reply_to_row);
  BIND (signature_view);
  BIND (identities_group);
  BIND (add_identity_button);
  BIND (server_usage_row);
  BIND (local_usage_row);
  BIND (storage_hint_label);
  BIND (switch_label);
  BIND (host_row);
  BIND (port_spin);
  BIND (security_row);
  BIND (user_row);
  BIND (password_row);
  BIND (smtp_host_row);
  BIND (smtp_port_spin);
  BIND (smtp_security_row);
  BIND (smtp_user_row);
  BIND (pop3_group);
  BIND (pop3_policy_row);
  BIND (pop3_days_row);
  BIND (pop3_days_spin);
  BIND (delete_here_switch);
  BIND (imap_group);
  BIND (keep_offline_row);
  BIND (save_button);
#undef BIND
}

static void
kurir_account_preferences_init (KurirAccountPreferences *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();

  self->identity_rows = g_ptr_array_new_with_free_func ((GDestroyNotify) identity_row_free);

  g_signal_connect_swapped (self->save_button, "clicked", G_CALLBACK (save_clicked_cb), self);
  g_signal_connect_swapped (self->identities_save_button, "clicked", G_CALLBACK (save_clicked_cb), self);
  g_signal_connect_swapped (self->add_identity_button, "clicked",
                            G_CALLBACK (add_identity_clicked_cb), self);
  g_signal_connect_swapped (self->pop3_policy_row, "notify::selected",
                            G_CALLBACK (update_visibility), self);
}

/* Public API */

KurirAccountPreferences *
kurir_account_preferences_new (GtkWindow    *parent,
                               KurirAccount *account)
{
  KurirAccountPreferences *self;
  g_autofree char *title = NULL;

  g_return_val_if_fail (KURIR_IS_ACCOUNT (account), NULL);

  self = g_object_new (KURIR_TYPE_ACCOUNT_PREFERENCES, "transient-for", parent, NULL);
  self->account = g_object_ref (account);
  title = g_strdup_printf (_("Account “%s”"), kurir_account_get_name (account));
  gtk_window_set_title (GTK_WINDOW (self), title);
  fill (self);
  /* Connected after fill(): only the person's changes move the port. */
  g_signal_connect_swapped (self->protocol_row, "notify::selected",
                            G_CALLBACK (protocol_changed_cb), self);
  start_storage (self);
  return self;
}

void
kurir_account_preferences_set_incoming (KurirAccountPreferences *self,
                                        KurirProtocol            protocol,
                                        const char              *host,
                                        guint16                  port,
                                        KurirSecurity            security)
{
  g_return_if_fail (KURIR_IS_ACCOUNT_PREFERENCES (self));

  adw_combo_row_set_selected (self->protocol_row,
                              protocol == KURIR_PROTOCOL_POP3 ? PROTOCOL_POP3 : PROTOCOL_IMAP);
  adw_combo_row_set_selected (self->security_row, (guint) security);
  set_text (self->host_row, host);
  gtk_spin_button_set_value (self->port_spin, port);
}

void
kurir_account_preferences_save (KurirAccountPreferences *self)
{
  g_return_if_fail (KURIR_IS_ACCOUNT_PREFERENCES (self));
  gtk_widget_activate (GTK_WIDGET (self->save_button));
}

const char *
kurir_account_preferences_get_error (KurirAccountPreferences *self)
{
  g_return_val_if_fail (KURIR_IS_ACCOUNT_PREFERENCES (self), NULL);
  return self->error_text;
}

/**
 * kurir_account_preferences_set_identity:
 * @index: 0 for the primary identity, 1… for the further ones; one past
 *   the last adds one, as the Add button does
 *
 * For tests: as if typed into that identity's fields.
 */
void
kurir_account_preferences_set_identity (KurirAccountPreferences *self,
                                        guint                    index,
                                        const char              *name,
                                        const char              *address,
                                        const char              *reply_to,
                                        const char              *signature)
{
  IdentityRow *row;

  g_return_if_fail (KURIR_IS_ACCOUNT_PREFERENCES (self));
  g_return_if_fail (index <= self->identity_rows->len + 1);

  if (index == 0)
    {
      set_text (self->display_name_row, name);
      set_text (self->email_row, address);
      set_text (self->reply_to_row, reply_to);
      text_view_set_text (self->signature_view, signature);
      return;
    }
  if (index > self->identity_rows->len)
    add_identity_clicked_cb (self);
  row = g_ptr_array_index (self->identity_rows, index - 1);
  set_text (row->name_row, name);
  set_text (row->address_row, address);
  set_text (row->reply_to_row, reply_to);
  text_view_set_text (row->signature_view, signature);
}

/* For tests: as if the remove button of further identity @index (1…) were
 * pressed. */
void
kurir_account_preferences_remove_identity (KurirAccountPreferences *self,
                                           guint                    index)
{
  g_return_if_fail (KURIR_IS_ACCOUNT_PREFERENCES (self));
  g_return_if_fail (index >= 1 && index <= self->identity_rows->len);

  remove_identity_row (self, index - 1);
}

/**
 * kurir_account_preferences_dup_storage_text:
 *
 * For tests: what the Storage group shows, one line each for the server,
 * this computer and the hint, once every answer came; else %NULL.
 */
char *
kurir_account_preferences_dup_storage_text (KurirAccountPreferences *self)
{
  g_return_val_if_fail (KURIR_IS_ACCOUNT_PREFERENCES (self), NULL);

  if (self->storage_pending > 0)
    return NULL;
  return g_strdup_printf ("%s\n%s\n%s",
                          adw_action_row_get_subtitle (self->server_usage_row),
                          adw_action_row_get_subtitle (self->local_usage_row),
                          gtk_label_get_text (self->storage_hint_label));
}
