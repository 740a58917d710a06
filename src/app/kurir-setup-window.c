/* kurir-setup-window.c: the assistant that adds a mail account
 *
 * Address and password; then every discovery source at once (a spinner);
 * then POP3 or IMAP, explained in plain words, IMAP preselected when the
 * provider offers it; then a login to the incoming and the outgoing server.
 * A failure names the server and the cause and leads to a page with every
 * field; a certificate that does not validate is asked about (nothing was
 * sent yet). Only after both logins worked is the password put into the
 * keyring and the account saved.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-app"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "kurir-setup-window.h"
#include "kurir-autoconfig-login.h"
#include "kurir-certificate-dialog.h"
#include "kurir-net-error.h"
#include "kurir-secret.h"
#include "kurir-trust.h"

/* Positions in the .ui's string lists */
enum { PROTOCOL_IMAP, PROTOCOL_POP3 };
/* The security lists follow KurirSecurity's order: TLS, STARTTLS, none. */
G_STATIC_ASSERT (KURIR_SECURITY_TLS == 0 && KURIR_SECURITY_STARTTLS == 1 && KURIR_SECURITY_NONE == 2);
enum { POP3_LEAVE, POP3_DELETE, POP3_DELETE_AFTER_DAYS };

struct _KurirSetupWindow
{
  AdwWindow           parent_instance;

  GtkButton          *back_button;
  AdwToastOverlay    *toast_overlay;
  GtkStack           *stack;
  AdwEntryRow        *name_row;
  AdwEntryRow        *address_row;
  AdwEntryRow        *password_row;
  GtkLabel           *identity_error_label;
  GtkButton          *identity_continue_button;
  GtkButton          *identity_manual_button;
  GtkSpinner         *spinner;
  GtkLabel           *busy_label;
  GtkButton          *cancel_button;
  GtkLabel           *found_label;
  AdwActionRow       *imap_row;
  AdwActionRow       *pop3_row;
  GtkCheckButton     *imap_check;
  GtkCheckButton     *pop3_check;
  AdwPreferencesGroup *pop3_group;
  AdwComboRow        *pop3_policy_row;
  AdwActionRow       *pop3_days_row;
  GtkSpinButton      *pop3_days_spin;
  AdwPreferencesGroup *plaintext_group;
  GtkCheckButton     *plaintext_check;
  GtkButton          *choice_continue_button;
  GtkButton          *choice_manual_button;
  GtkLabel           *manual_error_label;
  AdwComboRow        *incoming_protocol_row;
  AdwEntryRow        *incoming_host_row;
  GtkSpinButton      *incoming_port_spin;
  AdwComboRow        *incoming_security_row;
  AdwEntryRow        *incoming_user_row;
  AdwEntryRow        *outgoing_host_row;
  GtkSpinButton      *outgoing_port_spin;
  AdwComboRow        *outgoing_security_row;
  AdwEntryRow        *outgoing_user_row;
  GtkCheckButton     *manual_plaintext_check;
  AdwPasswordEntryRow *manual_password_row;
  GtkButton          *manual_continue_button;

  GCancellable       *cancellable;
  char               *ca_file;
  KurirSetupPrepareFunc prepare_func;
  gpointer            prepare_data;

  char               *address;
  char               *password;
  KurirDiscovery     *discovery;
  KurirAccount       *account;         /* the settings being tested */
  gboolean            user_guessed;    /* the user name is our guess: the address */
  gboolean            testing_outgoing;
  GTlsCertificate    *incoming_once;   /* "Trust this time" */
  GTlsCertificate    *outgoing_once;
  GtkWindow          *certificate_dialog;
  char               *error_text;
};

enum {
  SIGNAL_ACCOUNT_ADDED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (KurirSetupWindow, kurir_setup_window, ADW_TYPE_WINDOW)

static void start_login_test (KurirSetupWindow *self);

/* Helpers */

static void
clear_password (KurirSetupWindow *self)
{
  if (self->password != NULL)
    {
      memset (self->password, 0, strlen (self->password));
      g_clear_pointer (&self->password, g_free);
    }
}

static void
show_page (KurirSetupWindow *self,
           const char       *name)
{
  gboolean busy = g_strcmp0 (name, "busy") == 0;

  gtk_stack_set_visible_child_name (self->stack, name);
  gtk_widget_set_visible (GTK_WIDGET (self->back_button),
                          g_strcmp0 (name, "choice") == 0 || g_strcmp0 (name, "manual") == 0);
  gtk_spinner_set_spinning (self->spinner, busy);
}

static void
show_busy (KurirSetupWindow *self,
           const char       *text)
{
  gtk_label_set_text (self->busy_label, text);
  show_page (self, "busy");
}

static void
renew_cancellable (KurirSetupWindow *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
}

static const char *
entry_text (AdwEntryRow *row)
{
  return gtk_editable_get_text (GTK_EDITABLE (row));
}

static char *
account_name (KurirSetupWindow *self)
{
  g_autofree char *name = g_strstrip (g_strdup (entry_text (self->name_row)));

  if (*name == '\0')
    {
      g_free (name);
      name = g_strdup (self->address);
    }
  /* A name is a file name: no '/'. */
  g_strdelimit (name, "/", '_');
  return g_steal_pointer (&name);
}

/* Why a login test failed, in plain words, naming the server; the
 * server's own words follow. */
static char *
login_failure_text (KurirSetupWindow *self,
                    const GError     *error)
{
  const char *host = self->testing_outgoing ? kurir_account_get_smtp_host (self->account)
                                            : kurir_account_get_host (self->account);
  guint16 port = self->testing_outgoing ? kurir_account_get_smtp_port (self->account)
                                        : kurir_account_get_port (self->account);
  const char *cause;
  g_autofree char *server = NULL;

  if (kurir_login_error_is_auth_failure (error))
    cause = _("the user name or the password is wrong");
  else if (g_error_matches (error, KURIR_NET_ERROR, KURIR_NET_ERROR_CERTIFICATE))
    cause = _("its certificate is not trusted");
  else if (g_error_matches (error, KURIR_NET_ERROR, KURIR_NET_ERROR_CONNECT) ||
           g_error_matches (error, KURIR_NET_ERROR, KURIR_NET_ERROR_TIMEOUT) ||
           error->domain == G_RESOLVER_ERROR)
    cause = _("Kurir cannot connect to it");
  else if (g_error_matches (error, KURIR_NET_ERROR, KURIR_NET_ERROR_STARTTLS_REFUSED))
    cause = _("it does not offer encryption (STARTTLS)");
  else
    cause = _("it refused the login");

  server = g_strdup_printf ("%s:%u", host ? host : "", port);
  /* Translators: "The incoming server imap.example.org:993 says no: the
   * password is wrong. (details)" */
  return g_strdup_printf (self->testing_outgoing ? _("The outgoing server %s did not let Kurir in: %s. (%s)")
                                                 : _("The incoming server %s did not let Kurir in: %s. (%s)"),
                          server, cause, error->message);
}

static void
show_manual (KurirSetupWindow *self,
             const char       *error_text)
{
  g_free (self->error_text);
  self->error_text = g_strdup (error_text);
  gtk_label_set_text (self->manual_error_label, error_text ? error_text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->manual_error_label), error_text != NULL);
  show_page (self, "manual");
}

/* The manual page shows @account's settings. */
static void
fill_manual (KurirSetupWindow *self,
             KurirAccount     *account)
{
  gboolean pop3 = kurir_account_get_protocol (account) == KURIR_PROTOCOL_POP3;

  adw_combo_row_set_selected (self->incoming_protocol_row, pop3 ? PROTOCOL_POP3 : PROTOCOL_IMAP);
  gtk_editable_set_text (GTK_EDITABLE (self->incoming_host_row),
                         kurir_account_get_host (account) ? kurir_account_get_host (account) : "");
  gtk_spin_button_set_value (self->incoming_port_spin, kurir_account_get_port (account));
  adw_combo_row_set_selected (self->incoming_security_row,
                              (guint) kurir_account_get_security (account));
  gtk_editable_set_text (GTK_EDITABLE (self->incoming_user_row),
                         kurir_account_get_user (account) ? kurir_account_get_user (account) : "");
  gtk_editable_set_text (GTK_EDITABLE (self->outgoing_host_row),
                         kurir_account_get_smtp_host (account) ? kurir_account_get_smtp_host (account) : "");
  gtk_spin_button_set_value (self->outgoing_port_spin, kurir_account_get_smtp_port (account));
  adw_combo_row_set_selected (self->outgoing_security_row,
                              (guint) kurir_account_get_smtp_security (account));
  gtk_editable_set_text (GTK_EDITABLE (self->outgoing_user_row),
                         kurir_account_get_smtp_user (account) ? kurir_account_get_smtp_user (account) : "");
  gtk_check_button_set_active (self->manual_plaintext_check, kurir_account_get_allow_plaintext (account));
  gtk_editable_set_text (GTK_EDITABLE (self->manual_password_row), self->password ? self->password : "");
}

/* Guesses for the manual page when nothing was found. */
static KurirAccount *
guess_account (KurirSetupWindow *self)
{
  g_autofree char *name = account_name (self);
  g_autofree char *domain = kurir_autoconfig_email_domain (self->address);
  g_autofree char *imap = g_strconcat ("imap.", domain ? domain : "", NULL);
  g_autofree char *smtp = g_strconcat ("smtp.", domain ? domain : "", NULL);
  KurirAccount *account = kurir_account_new (name);

  kurir_account_set_email (account, self->address);
  kurir_account_set_protocol (account, KURIR_PROTOCOL_IMAP);
  kurir_account_set_host (account, imap);
  kurir_account_set_security (account, KURIR_SECURITY_TLS);
  kurir_account_set_user (account, self->address);
  kurir_account_set_smtp_host (account, smtp);
  kurir_account_set_smtp_security (account, KURIR_SECURITY_TLS);
  return account;
}

static void
apply_pop3_policy (KurirSetupWindow *self,
                   KurirAccount     *account)
{
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
    case POP3_LEAVE:
    default:
      kurir_account_set_leave_on_server (account, TRUE);
      kurir_account_set_delete_after_days (account, 0);
      break;
    }
}

/* The account from the choice page and the discovery. */
static KurirAccount *
account_from_choice (KurirSetupWindow *self)
{
  g_autofree char *name = account_name (self);
  KurirProtocol protocol = gtk_check_button_get_active (self->pop3_check) ?
                           KURIR_PROTOCOL_POP3 : KURIR_PROTOCOL_IMAP;
  const KurirServerSetting *incoming = kurir_discovery_get_best (self->discovery, protocol);
  const KurirServerSetting *outgoing = kurir_discovery_get_best (self->discovery, KURIR_PROTOCOL_SMTP);
  KurirAccount *account = kurir_account_new (name);

  g_assert (incoming != NULL && outgoing != NULL);
  kurir_account_set_email (account, self->address);
  kurir_account_set_protocol (account, protocol);
  kurir_account_set_host (account, incoming->host);
  kurir_account_set_port (account, incoming->port);
  kurir_account_set_security (account, incoming->security);
  kurir_account_set_user (account, incoming->user ? incoming->user : self->address);
  kurir_account_set_smtp_host (account, outgoing->host);
  kurir_account_set_smtp_port (account, outgoing->port);
  kurir_account_set_smtp_security (account, outgoing->security);
  kurir_account_set_smtp_user (account, outgoing->user ? outgoing->user : self->address);
  kurir_account_set_allow_plaintext (account, gtk_check_button_get_active (self->plaintext_check));
  if (self->ca_file != NULL)
    kurir_account_set_ca_file (account, self->ca_file);
  if (protocol == KURIR_PROTOCOL_POP3)
    apply_pop3_policy (self, account);

  self->user_guessed = incoming->user == NULL || outgoing->user == NULL;
  return account;
}

static KurirAccount *
account_from_manual (KurirSetupWindow *self)
{
  g_autofree char *name = account_name (self);
  KurirAccount *account = kurir_account_new (name);
  KurirProtocol protocol = adw_combo_row_get_selected (self->incoming_protocol_row) == PROTOCOL_POP3 ?
                           KURIR_PROTOCOL_POP3 : KURIR_PROTOCOL_IMAP;
  g_autofree char *host = g_strstrip (g_strdup (entry_text (self->incoming_host_row)));
  g_autofree char *smtp_host = g_strstrip (g_strdup (entry_text (self->outgoing_host_row)));
  g_autofree char *user = g_strstrip (g_strdup (entry_text (self->incoming_user_row)));
  g_autofree char *smtp_user = g_strstrip (g_strdup (entry_text (self->outgoing_user_row)));

  kurir_account_set_email (account, self->address);
  kurir_account_set_protocol (account, protocol);
  kurir_account_set_host (account, host);
  kurir_account_set_port (account, gtk_spin_button_get_value_as_int (self->incoming_port_spin));
  kurir_account_set_security (account, (KurirSecurity) adw_combo_row_get_selected (self->incoming_security_row));
  kurir_account_set_user (account, *user ? user : self->address);
  kurir_account_set_smtp_host (account, smtp_host);
  kurir_account_set_smtp_port (account, gtk_spin_button_get_value_as_int (self->outgoing_port_spin));
  kurir_account_set_smtp_security (account, (KurirSecurity) adw_combo_row_get_selected (self->outgoing_security_row));
  kurir_account_set_smtp_user (account, *smtp_user ? smtp_user : kurir_account_get_user (account));
  kurir_account_set_allow_plaintext (account, gtk_check_button_get_active (self->manual_plaintext_check));
  if (self->ca_file != NULL)
    kurir_account_set_ca_file (account, self->ca_file);
  if (protocol == KURIR_PROTOCOL_POP3)
    apply_pop3_policy (self, account);

  /* What the person typed is no guess. */
  self->user_guessed = FALSE;
  return account;
}

static void
update_choice (KurirSetupWindow *self)
{
  gboolean pop3 = gtk_check_button_get_active (self->pop3_check);
  KurirProtocol protocol = pop3 ? KURIR_PROTOCOL_POP3 : KURIR_PROTOCOL_IMAP;
  gboolean plaintext;

  gtk_widget_set_visible (GTK_WIDGET (self->pop3_group), pop3);
  gtk_widget_set_visible (GTK_WIDGET (self->pop3_days_row),
                          adw_combo_row_get_selected (self->pop3_policy_row) == POP3_DELETE_AFTER_DAYS);
  if (self->discovery == NULL)
    return;
  plaintext = kurir_discovery_needs_plaintext_warning (self->discovery, protocol) ||
              kurir_discovery_needs_plaintext_warning (self->discovery, KURIR_PROTOCOL_SMTP);
  gtk_widget_set_visible (GTK_WIDGET (self->plaintext_group), plaintext);
  if (!plaintext)
    gtk_check_button_set_active (self->plaintext_check, FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->choice_continue_button),
                            !plaintext || gtk_check_button_get_active (self->plaintext_check));
}

static void
show_choice (KurirSetupWindow *self)
{
  const KurirServerSetting *imap = kurir_discovery_get_best (self->discovery, KURIR_PROTOCOL_IMAP);
  const KurirServerSetting *pop3 = kurir_discovery_get_best (self->discovery, KURIR_PROTOCOL_POP3);
  g_autofree char *domain = kurir_autoconfig_email_domain (self->address);
  g_autofree char *found = NULL;

  found = g_strdup_printf (_("Kurir found the settings for %s."),
                           self->discovery->provider ? self->discovery->provider : domain);
  gtk_label_set_text (self->found_label, found);

  gtk_widget_set_visible (GTK_WIDGET (self->imap_row), imap != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->pop3_row), pop3 != NULL);
  /* IMAP is the suggestion when there is a choice. */
  gtk_check_button_set_active (imap != NULL ? self->imap_check : self->pop3_check, TRUE);
  update_choice (self);
  show_page (self, "choice");
}

static void
finish (KurirSetupWindow *self)
{
  g_autoptr(GError) error = NULL;

  if (!kurir_account_save (self->account, &error))
    {
      show_manual (self, error->message);
      return;
    }
  g_signal_emit (self, signals[SIGNAL_ACCOUNT_ADDED], 0, self->account);
  clear_password (self);
  gtk_window_destroy (GTK_WINDOW (self));
}

/* Callbacks */

static void
secret_stored_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(KurirSetupWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!kurir_secret_store_finish (result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      show_manual (self, error->message);
      return;
    }
  finish (self);
}

static void
store_secret (KurirSetupWindow *self)
{
  g_autoptr(GError) error = NULL;

  if (!kurir_account_check (self->account, &error))
    {
      show_manual (self, error->message);
      return;
    }
  if (kurir_account_exists (kurir_account_get_name (self->account)))
    {
      g_autofree char *text = g_strdup_printf (_("There is already an account named “%s”: "
                                                 "give this one another name."),
                                               kurir_account_get_name (self->account));
      gtk_label_set_text (self->identity_error_label, text);
      gtk_widget_set_visible (GTK_WIDGET (self->identity_error_label), TRUE);
      show_page (self, "identity");
      return;
    }

  show_busy (self, _("Saving the password in the keyring…"));
  kurir_secret_store_async (kurir_account_get_name (self->account),
                            kurir_account_get_protocol (self->account),
                            kurir_account_get_host (self->account),
                            kurir_account_get_user (self->account),
                            self->password,
                            kurir_account_get_remember_password (self->account),
                            self->cancellable,
                            secret_stored_cb, g_object_ref (self));
}

static void
certificate_response_cb (AdwMessageDialog *dialog,
                         const char       *response,
                         gpointer          user_data)
{
  KurirSetupWindow *self = user_data;
  KurirLoginCertificate *info = g_object_get_data (G_OBJECT (dialog), "kurir-info");
  g_autoptr(GError) error = NULL;

  self->certificate_dialog = NULL;

  if (g_strcmp0 (response, KURIR_CERTIFICATE_RESPONSE_ONCE) == 0 && info->certificate != NULL)
    {
      g_set_object (self->testing_outgoing ? &self->outgoing_once : &self->incoming_once,
                    info->certificate);
      start_login_test (self);
    }
  else if (g_strcmp0 (response, KURIR_CERTIFICATE_RESPONSE_ALWAYS) == 0 && info->certificate != NULL)
    {
      if (!kurir_trust_pin (info->host, info->port, info->protocol, info->certificate, &error))
        {
          show_manual (self, error->message);
          return;
        }
      start_login_test (self);
    }
  else
    {
      g_autofree char *why = kurir_connection_describe_certificate_errors (info->errors);
      g_autofree char *text = g_strdup_printf (_("The certificate of %s:%u was rejected: %s."),
                                               info->host, info->port, why);
      show_manual (self, text);
    }
}

static void
ask_about_certificate (KurirSetupWindow      *self,
                       KurirLoginCertificate *info)
{
  KurirCertificateDialog *dialog = kurir_certificate_dialog_new (GTK_WINDOW (self), info);

  g_object_set_data_full (G_OBJECT (dialog), "kurir-info", info,
                          (GDestroyNotify) kurir_login_certificate_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (certificate_response_cb), self, 0);
  self->certificate_dialog = GTK_WINDOW (dialog);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
login_tested_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(KurirSetupWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  KurirLoginCertificate *certificate = NULL;

  if (kurir_login_test_finish (result, &certificate, &error))
    {
      if (!self->testing_outgoing)
        {
          self->testing_outgoing = TRUE;
          start_login_test (self);
        }
      else
        store_secret (self);
      return;
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      kurir_login_certificate_free (certificate);
      return;
    }

  if (certificate != NULL)
    {
      ask_about_certificate (self, certificate);
      return;
    }

  /* Our guess of the user name was the address: many servers want only
   * its local part. One more try with that, on both servers. */
  if (kurir_login_error_is_auth_failure (error) && self->user_guessed &&
      strchr (kurir_account_get_user (self->account), '@') != NULL)
    {
      g_autofree char *local = g_strndup (self->address, strcspn (self->address, "@"));

      self->user_guessed = FALSE;
      kurir_account_set_user (self->account, local);
      kurir_account_set_smtp_user (self->account, local);
      self->testing_outgoing = FALSE;
      start_login_test (self);
      return;
    }

  fill_manual (self, self->account);
  text = login_failure_text (self, error);
  show_manual (self, text);
}

static void
start_login_test (KurirSetupWindow *self)
{
  g_autofree char *text = NULL;
  const char *host;

  host = self->testing_outgoing ? kurir_account_get_smtp_host (self->account)
                                : kurir_account_get_host (self->account);
  text = g_strdup_printf (self->testing_outgoing ? _("Logging in to the outgoing server %s…")
                                                 : _("Logging in to the incoming server %s…"),
                          host ? host : "");
  show_busy (self, text);
  kurir_login_test_async (self->account, self->testing_outgoing, NULL, self->password,
                          self->testing_outgoing ? self->outgoing_once : self->incoming_once,
                          self->cancellable, login_tested_cb, g_object_ref (self));
}

static void
test_account (KurirSetupWindow *self,
              KurirAccount     *account)
{
  g_autoptr(GError) error = NULL;

  g_set_object (&self->account, account);
  if (!kurir_account_check (account, &error))
    {
      fill_manual (self, account);
      show_manual (self, error->message);
      return;
    }
  self->testing_outgoing = FALSE;
  g_clear_object (&self->incoming_once);
  g_clear_object (&self->outgoing_once);
  renew_cancellable (self);
  start_login_test (self);
}

static void
discovered_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(KurirSetupWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(KurirAccount) guess = NULL;

  g_clear_pointer (&self->discovery, kurir_discovery_free);
  self->discovery = kurir_autoconfig_discover_finish (KURIR_AUTOCONFIG (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (self->discovery != NULL &&
      kurir_discovery_get_best (self->discovery, KURIR_PROTOCOL_SMTP) != NULL &&
      (kurir_discovery_get_best (self->discovery, KURIR_PROTOCOL_IMAP) != NULL ||
       kurir_discovery_get_best (self->discovery, KURIR_PROTOCOL_POP3) != NULL))
    {
      show_choice (self);
      return;
    }

  guess = guess_account (self);
  fill_manual (self, guess);
  show_manual (self, error ? error->message
                           : _("Kurir found only part of the settings: complete them below."));
}

static void
identity_continue_clicked_cb (KurirSetupWindow *self)
{
  g_autofree char *address = g_strstrip (g_strdup (entry_text (self->address_row)));
  g_autofree char *domain = kurir_autoconfig_email_domain (address);
  g_autofree char *name = NULL;
  g_autofree char *text = NULL;
  g_autoptr(KurirAutoconfig) autoconfig = NULL;
  g_autoptr(GError) error = NULL;
  const char *problem = NULL;

  if (domain == NULL)
    problem = _("Enter your whole email address, like name@example.org.");
  else if (*entry_text (self->password_row) == '\0')
    problem = _("Enter your password.");

  g_free (self->address);
  self->address = g_steal_pointer (&address);
  name = account_name (self);
  if (problem == NULL && !kurir_account_name_is_valid (name, &error))
    problem = error->message;
  else if (problem == NULL && kurir_account_exists (name))
    problem = _("There is already an account with this name: give this one another name.");

  gtk_label_set_text (self->identity_error_label, problem ? problem : "");
  gtk_widget_set_visible (GTK_WIDGET (self->identity_error_label), problem != NULL);
  if (problem != NULL)
    return;

  clear_password (self);
  self->password = g_strdup (entry_text (self->password_row));

  renew_cancellable (self);
  text = g_strdup_printf (_("Looking for the settings of %s…"), domain);
  show_busy (self, text);

  autoconfig = kurir_autoconfig_new (self->address);
  if (self->ca_file != NULL)
    kurir_autoconfig_set_ca_file (autoconfig, self->ca_file);
  if (self->prepare_func != NULL)
    self->prepare_func (autoconfig, self->prepare_data);
  kurir_autoconfig_discover_async (autoconfig, self->cancellable, discovered_cb, g_object_ref (self));
}

static void
identity_manual_clicked_cb (KurirSetupWindow *self)
{
  g_autoptr(KurirAccount) guess = NULL;
  g_autofree char *address = g_strstrip (g_strdup (entry_text (self->address_row)));

  g_free (self->address);
  self->address = g_steal_pointer (&address);
  clear_password (self);
  self->password = g_strdup (entry_text (self->password_row));
  guess = guess_account (self);
  fill_manual (self, guess);
  show_manual (self, NULL);
}

static void
choice_continue_clicked_cb (KurirSetupWindow *self)
{
  g_autoptr(KurirAccount) account = account_from_choice (self);

  test_account (self, account);
}

static void
choice_manual_clicked_cb (KurirSetupWindow *self)
{
  g_autoptr(KurirAccount) account = account_from_choice (self);

  fill_manual (self, account);
  show_manual (self, NULL);
}

static void
manual_continue_clicked_cb (KurirSetupWindow *self)
{
  g_autoptr(KurirAccount) account = NULL;
  g_autofree char *domain = kurir_autoconfig_email_domain (self->address);

  /* The password may be corrected here too. */
  if (*entry_text (ADW_ENTRY_ROW (self->manual_password_row)) != '\0')
    {
      clear_password (self);
      self->password = g_strdup (entry_text (ADW_ENTRY_ROW (self->manual_password_row)));
    }
  if (self->password == NULL || *self->password == '\0' || domain == NULL)
    {
      show_page (self, "identity");
      return;
    }
  account = account_from_manual (self);
  test_account (self, account);
}

static void
back_clicked_cb (KurirSetupWindow *self)
{
  renew_cancellable (self);
  show_page (self, "identity");
}

static void
cancel_clicked_cb (KurirSetupWindow *self)
{
  renew_cancellable (self);
  show_page (self, "identity");
}

/* Overrides */

static void
kurir_setup_window_dispose (GObject *object)
{
  KurirSetupWindow *self = KURIR_SETUP_WINDOW (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->account);
  g_clear_object (&self->incoming_once);
  g_clear_object (&self->outgoing_once);

  G_OBJECT_CLASS (kurir_setup_window_parent_class)->dispose (object);
}

static void
kurir_setup_window_finalize (GObject *object)
{
  KurirSetupWindow *self = KURIR_SETUP_WINDOW (object);

  clear_password (self);
  g_free (self->address);
  g_free (self->ca_file);
  g_free (self->error_text);
  g_clear_pointer (&self->discovery, kurir_discovery_free);

  G_OBJECT_CLASS (kurir_setup_window_parent_class)->finalize (object);
}

static void
kurir_setup_window_class_init (KurirSetupWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kurir_setup_window_dispose;
  object_class->finalize = kurir_setup_window_finalize;

  signals[SIGNAL_ACCOUNT_ADDED] =
    g_signal_new ("account-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, KURIR_TYPE_ACCOUNT);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/kurir/Kurir/kurir-setup-window.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, KurirSetupWindow, name)
  BIND (back_button);
  BIND (toast_overlay);
  BIND (stack);
  BIND (name_row);
  BIND (address_row);
  BIND (password_row);
  BIND (identity_error_label);
  BIND (identity_continue_button);
  BIND (identity_manual_button);
  BIND (spinner);
  BIND (busy_label);
  BIND (cancel_button);
  BIND (found_label);
  BIND (imap_row);
  BIND (pop3_row);
  BIND (imap_check);
  BIND (pop3_check);
  BIND (pop3_group);
  BIND (pop3_policy_row);
  BIND (pop3_days_row);
  BIND (pop3_days_spin);
  BIND (plaintext_group);
  BIND (plaintext_check);
  BIND (choice_continue_button);
  BIND (choice_manual_button);
  BIND (manual_error_label);
  BIND (incoming_protocol_row);
  BIND (incoming_host_row);
  BIND (incoming_port_spin);
  BIND (incoming_security_row);
  BIND (incoming_user_row);
  BIND (outgoing_host_row);
  BIND (outgoing_port_spin);
  BIND (outgoing_security_row);
  BIND (outgoing_user_row);
  BIND (manual_plaintext_check);
  BIND (manual_password_row);
  BIND (manual_continue_button);
#undef BIND
}

static void
kurir_setup_window_init (KurirSetupWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();

  g_signal_connect_swapped (self->identity_continue_button, "clicked",
                            G_CALLBACK (identity_continue_clicked_cb), self);
  g_signal_connect_swapped (self->password_row, "entry-activated",
                            G_CALLBACK (identity_continue_clicked_cb), self);
  g_signal_connect_swapped (self->identity_manual_button, "clicked",
                            G_CALLBACK (identity_manual_clicked_cb), self);
  g_signal_connect_swapped (self->choice_continue_button, "clicked",
                            G_CALLBACK (choice_continue_clicked_cb), self);
  g_signal_connect_swapped (self->choice_manual_button, "clicked",
                            G_CALLBACK (choice_manual_clicked_cb), self);
  g_signal_connect_swapped (self->manual_continue_button, "clicked",
                            G_CALLBACK (manual_continue_clicked_cb), self);
  g_signal_connect_swapped (self->back_button, "clicked", G_CALLBACK (back_clicked_cb), self);
  g_signal_connect_swapped (self->cancel_button, "clicked", G_CALLBACK (cancel_clicked_cb), self);
  g_signal_connect_swapped (self->pop3_check, "notify::active", G_CALLBACK (update_choice), self);
  g_signal_connect_swapped (self->plaintext_check, "notify::active", G_CALLBACK (update_choice), self);
  g_signal_connect_swapped (self->pop3_policy_row, "notify::selected", G_CALLBACK (update_choice), self);
  adw_entry_row_set_activates_default (self->password_row, FALSE);
  update_choice (self);
}

/* Public API */

KurirSetupWindow *
kurir_setup_window_new (GtkApplication *application,
                        GtkWindow      *parent)
{
  return g_object_new (KURIR_TYPE_SETUP_WINDOW,
                       "application", application,
                       "transient-for", parent,
                       NULL);
}

void
kurir_setup_window_set_ca_file (KurirSetupWindow *self,
                                const char       *ca_file)
{
  g_return_if_fail (KURIR_IS_SETUP_WINDOW (self));
  g_free (self->ca_file);
  self->ca_file = g_strdup (ca_file);
}

void
kurir_setup_window_set_prepare_func (KurirSetupWindow      *self,
                                     KurirSetupPrepareFunc  func,
                                     gpointer               user_data)
{
  g_return_if_fail (KURIR_IS_SETUP_WINDOW (self));
  self->prepare_func = func;
  self->prepare_data = user_data;
}

const char *
kurir_setup_window_get_page (KurirSetupWindow *self)
{
  g_return_val_if_fail (KURIR_IS_SETUP_WINDOW (self), NULL);
  return gtk_stack_get_visible_child_name (self->stack);
}

void
kurir_setup_window_start (KurirSetupWindow *self,
                          const char       *name,
                          const char       *address,
                          const char       *password)
{
  g_return_if_fail (KURIR_IS_SETUP_WINDOW (self));

  gtk_editable_set_text (GTK_EDITABLE (self->name_row), name ? name : "");
  gtk_editable_set_text (GTK_EDITABLE (self->address_row), address);
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), password);
  gtk_widget_activate (GTK_WIDGET (self->identity_continue_button));
}

void
kurir_setup_window_choose (KurirSetupWindow *self,
                           KurirProtocol     protocol)
{
  g_return_if_fail (KURIR_IS_SETUP_WINDOW (self));

  gtk_check_button_set_active (protocol == KURIR_PROTOCOL_POP3 ? self->pop3_check : self->imap_check, TRUE);
  gtk_widget_activate (GTK_WIDGET (self->choice_continue_button));
}

KurirProtocol
kurir_setup_window_get_choice (KurirSetupWindow *self)
{
  g_return_val_if_fail (KURIR_IS_SETUP_WINDOW (self), KURIR_PROTOCOL_IMAP);
  return gtk_check_button_get_active (self->pop3_check) ? KURIR_PROTOCOL_POP3 : KURIR_PROTOCOL_IMAP;
}

const char *
kurir_setup_window_get_error (KurirSetupWindow *self)
{
  g_return_val_if_fail (KURIR_IS_SETUP_WINDOW (self), NULL);
  return self->error_text;
}

GtkWindow *
kurir_setup_window_get_certificate_dialog (KurirSetupWindow *self)
{
  g_return_val_if_fail (KURIR_IS_SETUP_WINDOW (self), NULL);
  return self->certificate_dialog;
}
