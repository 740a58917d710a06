/* kurir-cli-account.c: kurir-cli account add|set|list|remove
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <gmime/gmime.h>
#include <string.h>

#include "kurir-account.h"
#include "kurir-cli.h"
#include "kurir-mime.h"
#include "kurir-secret.h"

/* What add and set both take; NULL or -1 means "not given". */
typedef struct
{
  char     *email;
  char     *protocol;
  char     *host;
  int       port;
  char     *security;
  char     *user;
  gboolean  password_stdin;
  char     *ca_file;
  char     *smtp_host;
  int       smtp_port;
  char     *smtp_security;
  char     *smtp_user;
  gboolean  leave_on_server;
  gboolean  delete_from_server;
  int       delete_after_days;
  char     *delete_when_deleted_here;
  char     *keep_offline;
  gboolean  allow_plaintext;
  char     *display_name;
  char     *reply_to;
  char     *signature_file;
  char    **identities;
  int       size_limit;
  int       check_interval;
  char     *remember_password;
  gboolean  json;
} Options;

/* Helpers */

static gboolean
parse_yes_no (const char  *value,
              const char  *option,
              gboolean    *out_yes,
              GError     **error)
{
  if (g_ascii_strcasecmp (value, "yes") == 0)
    *out_yes = TRUE;
  else if (g_ascii_strcasecmp (value, "no") == 0)
    *out_yes = FALSE;
  else
    {
      /* TRANSLATORS: %s is an option such as --remember-password */
      g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID,
                   _("%s must be yes or no, not “%s”"), option, value);
      return FALSE;
    }
  return TRUE;
}

static void
add_string_member (JsonBuilder *builder,
                   const char  *name,
                   const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
options_clear (Options *options)
{
  g_free (options->email);
  g_free (options->protocol);
  g_free (options->host);
  g_free (options->security);
  g_free (options->user);
  g_free (options->ca_file);
  g_free (options->smtp_host);
  g_free (options->smtp_security);
  g_free (options->smtp_user);
  g_free (options->delete_when_deleted_here);
  g_free (options->keep_offline);
  g_free (options->display_name);
  g_free (options->reply_to);
  g_free (options->signature_file);
  g_strfreev (options->identities);
  g_free (options->remember_password);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Options, options_clear)

static GOptionContext *
make_context (const char *parameter,
              const char *summary,
              Options    *options,
              gboolean    settings)
{
  const GOptionEntry setting_entries[] = {
    { "email", 0, 0, G_OPTION_ARG_STRING, &options->email, N_("The account’s email address"), N_("ADDRESS") },
    { "protocol", 0, 0, G_OPTION_ARG_STRING, &options->protocol, N_("How mail is fetched: imap or pop3; local for mail with no server"), "imap|pop3|local" },
    { "host", 0, 0, G_OPTION_ARG_STRING, &options->host, N_("The incoming mail server"), N_("HOST") },
    { "port", 0, 0, G_OPTION_ARG_INT, &options->port, N_("Its port (default: by protocol and security)"), "N" },
    { "security", 0, 0, G_OPTION_ARG_STRING, &options->security, N_("tls (default), starttls or none"), "tls|starttls|none" },
    { "user", 0, 0, G_OPTION_ARG_STRING, &options->user, N_("The user name (default: the email address)"), N_("USER") },
    { "password-stdin", 0, 0, G_OPTION_ARG_NONE, &options->password_stdin, N_("Read the password from standard input and keep it in the keyring"), NULL },
    { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &options->ca_file, N_("Also trust the certificates in this PEM file, for this account only"), N_("PEM") },
    { "smtp-host", 0, 0, G_OPTION_ARG_STRING, &options->smtp_host, N_("The outgoing (SMTP submission) server"), N_("HOST") },
    { "smtp-port", 0, 0, G_OPTION_ARG_INT, &options->smtp_port, N_("Its port (default: 465 for tls, 587 otherwise)"), "N" },
    { "smtp-security", 0, 0, G_OPTION_ARG_STRING, &options->smtp_security, N_("tls (default), starttls or none"), "tls|starttls|none" },
    { "smtp-user", 0, 0, G_OPTION_ARG_STRING, &options->smtp_user, N_("The SMTP user name (default: the incoming one)"), N_("USER") },
    { "leave-on-server", 0, 0, G_OPTION_ARG_NONE, &options->leave_on_server, N_("POP3: keep downloaded mail on the server (default)"), NULL },
    { "delete-from-server", 0, 0, G_OPTION_ARG_NONE, &options->delete_from_server, N_("POP3: delete mail from the server once it is stored here"), NULL },
    { "delete-after-days", 0, 0, G_OPTION_ARG_INT, &options->delete_after_days, N_("POP3: delete mail from the server N days after it was downloaded (0: never)"), "N" },
    { "delete-when-deleted-here", 0, 0, G_OPTION_ARG_STRING, &options->delete_when_deleted_here, N_("POP3: delete mail on the server when it is deleted here (default: no)"), "yes|no" },
    { "keep-offline", 0, 0, G_OPTION_ARG_STRING, &options->keep_offline, N_("IMAP: download message bodies too: all folders, none, or auto (default: folders under 10,000 messages)"), "all|none|auto" },
    { "allow-plaintext", 0, 0, G_OPTION_ARG_NONE, &options->allow_plaintext, N_("Allow security “none”: password and mail unencrypted"), NULL },
    { "display-name", 0, 0, G_OPTION_ARG_STRING, &options->display_name, N_("The name shown with the address on sent mail (\"\": none)"), N_("NAME") },
    { "reply-to", 0, 0, G_OPTION_ARG_STRING, &options->reply_to, N_("Where replies to sent mail should go (\"\": to the address itself)"), N_("ADDRESS") },
    { "signature-file", 0, 0, G_OPTION_ARG_FILENAME, &options->signature_file, N_("Add the text of this UTF-8 file under new messages (\"\": no signature)"), N_("FILE") },
    { "identity", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options->identities, N_("A further address to send as, “Name <address>”; repeat for several; \"\" removes them all"), N_("IDENTITY") },
    { "size-limit", 0, 0, G_OPTION_ARG_INT, &options->size_limit, N_("POP3: download only the headers of messages over this size, the rest when opened (0: no limit)"), N_("KB") },
    { "check-interval", 0, 0, G_OPTION_ARG_INT, &options->check_interval, N_("Check for new mail every N minutes (0: the app’s setting)"), "N" },
    { "remember-password", 0, 0, G_OPTION_ARG_STRING, &options->remember_password, N_("Keep the password in the keyring across sessions (yes, the default) or only until logout (no)"), "yes|no" },
    { NULL }
  };
  const GOptionEntry json_entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &options->json, N_("Print JSON"), NULL },
    { NULL }
  };
  GOptionContext *context = g_option_context_new (parameter);

  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context, summary);
  g_option_context_add_main_entries (context, settings ? setting_entries : json_entries,
                                     GETTEXT_PACKAGE);
  return context;
}

static gboolean
parse (GOptionContext  *context,
       int             *argc,
       char          ***argv,
       GError         **error)
{
  g_autofree char *command = g_strconcat ("account ", (*argv)[0], NULL);

  return kurir_cli_parse_options (context, command, argc, argv, error);
}

static gboolean
parse_security_option (const char     *value,
                       const char     *option,
                       KurirSecurity  *out_security,
                       GError        **error)
{
  if (kurir_security_from_string (value, out_security))
    return TRUE;
  g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID,
               _("%s must be tls, starttls or none, not “%s”"), option, value);
  return FALSE;
}

static gboolean
check_port_option (int          port,
                   const char  *option,
                   GError     **error)
{
  if (port == -1 || (port >= 1 && port <= 65535))
    return TRUE;
  g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID,
               _("%s must be a number from 1 to 65535"), option);
  return FALSE;
}

/* Applies the options given to @account; a port that was not given follows
 * the protocol and security to their defaults. */
static gboolean
apply_options (KurirAccount  *account,
               Options       *options,
               GError       **error)
{
  KurirSecurity security = kurir_account_get_security (account);
  KurirSecurity smtp_security = kurir_account_get_smtp_security (account);
  gboolean chose_plaintext = FALSE;

  if (!check_port_option (options->port, "--port", error) ||
      !check_port_option (options->smtp_port, "--smtp-port", error))
    return FALSE;

  if (options->leave_on_server && options->delete_from_server)
    {
      g_set_error_literal (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID,
                           _("--leave-on-server and --delete-from-server contradict each other"));
      return FALSE;
    }
  if (options->delete_after_days != -1 &&
      (options->delete_after_days < 0 || options->delete_after_days > 36500))
    {
      g_set_error_literal (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID,
                           _("--delete-after-days must be a number from 0 to 36500"));
      return FALSE;
    }
  if (options->delete_from_server && options->delete_after_days > 0)
    {
      g_set_error_literal (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID,
                           _("--delete-after-days keeps mail on the server for a while; "
                             "it cannot go with --delete-from-server"));
      return FALSE;
    }

  if (options->protocol != NULL)
    {
      KurirProtocol protocol;

      if (!kurir_protocol_from_string (options->protocol, &protocol) ||
          protocol == KURIR_PROTOCOL_SMTP)
        {
          g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID,
                       _("--protocol must be imap, pop3 or local, not “%s”"), options->protocol);
          return FALSE;
        }
      if (protocol != kurir_account_get_protocol (account))
        {
          kurir_account_set_protocol (account, protocol);
          kurir_account_set_port (account, 0);
        }
    }

  if (options->security != NULL)
    {
      if (!parse_security_option (options->security, "--security", &security, error))
        return FALSE;
      if (security != kurir_account_get_security (account))
        {
          kurir_account_set_security (account, security);
          kurir_account_set_port (account, 0);
        }
      chose_plaintext |= security == KURIR_SECURITY_NONE;
    }

  if (options->smtp_security != NULL)
    {
      if (!parse_security_option (options->smtp_security, "--smtp-security", &smtp_security, error))
        return FALSE;
      if (smtp_security != kurir_account_get_smtp_security (account))
        {
          kurir_account_set_smtp_security (account, smtp_security);
          kurir_account_set_smtp_port (account, 0);
        }
      chose_plaintext |= smtp_security == KURIR_SECURITY_NONE;
    }

  if (chose_plaintext && !options->allow_plaintext)
    {
      g_set_error_literal (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_PLAINTEXT_REFUSED,
                           _("security “none” sends the password and mail unencrypted; "
                             "add --allow-plaintext if that is really what you want"));
      return FALSE;
    }

  if (options->email != NULL)
    kurir_account_set_email (account, options->email);
  if (options->host != NULL)
    kurir_account_set_host (account, options->host);
  if (options->port != -1)
    kurir_account_set_port (account, (guint16) options->port);
  if (options->user != NULL)
    kurir_account_set_user (account, options->user);
  if (options->smtp_host != NULL)
    kurir_account_set_smtp_host (account, options->smtp_host);
  if (options->smtp_port != -1)
    kurir_account_set_smtp_port (account, (guint16) options->smtp_port);
  if (options->smtp_user != NULL)
    kurir_account_set_smtp_user (account, options->smtp_user);

  if (options->ca_file != NULL)
    {
      g_autofree char *path = NULL;
      g_autoptr(GError) local_error = NULL;
      GList *certificates;

      if (*options->ca_file == '\0')
        kurir_account_set_ca_file (account, NULL);
      else
        {
          path = g_canonicalize_filename (options->ca_file, NULL);
          certificates = g_tls_certificate_list_new_from_file (path, &local_error);
          if (certificates == NULL)
            {
              g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID,
                           _("--ca-file %s holds no usable certificate: %s"), path,
                           local_error ? local_error->message : _("the file is empty"));
              return FALSE;
            }
          g_list_free_full (certificates, g_object_unref);
          kurir_account_set_ca_file (account, path);
        }
    }

  if (options->leave_on_server)
    kurir_account_set_leave_on_server (account, TRUE);
  if (options->delete_from_server)
    {
      kurir_account_set_leave_on_server (account, FALSE);
      kurir_account_set_delete_after_days (account, 0);
    }
  if (options->delete_after_days != -1)
    {
      kurir_account_set_delete_after_days (account, (guint) options->delete_after_days);
      if (options->delete_after_days > 0)
        kurir_account_set_leave_on_server (account, TRUE);
    }

  if (options->keep_offline != NULL)
    {
      KurirKeepOffline keep;

      if (!kurir_keep_offline_from_string (options->keep_offline, &keep))
        {
          g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID,
                       _("--keep-offline must be all, none or auto, not “%s”"),
                       options->keep_offline);
          return FALSE;
        }
      kurir_account_set_keep_offline (account, keep);
    }

  if (options->delete_when_deleted_here != NULL)
    {
      gboolean yes;

      if (!parse_yes_no (options->delete_when_deleted_here, "--delete-when-deleted-here", &yes, error))
        return FALSE;
      kurir_account_set_delete_when_deleted_here (account, yes);
    }

  if (options->display_name != NULL)
    kurir_account_set_display_name (account, options->display_name);
  if (options->reply_to != NULL)
    kurir_account_set_reply_to (account, options->reply_to);
  if (options->signature_file != NULL)
    {
      g_autofree char *text = NULL;
      g_autoptr(GError) local_error = NULL;
      gsize length = 0;

      if (*options->signature_file == '\0')
        kurir_account_set_signature (account, NULL);
      else if (!g_file_get_contents (options->signature_file, &text, &length, &local_error))
        {
          g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID,
                       _("Cannot read the signature: %s"), local_error->message);
          return FALSE;
        }
      else if (length > 64 * 1024 || !g_utf8_validate_len (text, length, NULL))
        {
          g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID,
                       _("The signature in %s must be UTF-8 text of at most 64 KB"),
                       options->signature_file);
          return FALSE;
        }
      else
        {
          g_strchomp (text);
          kurir_account_set_signature (account, text);
        }
    }
  if (options->identities != NULL)
    {
      g_autoptr(GPtrArray) identities = kurir_account_dup_identities (account);

      kurir_mime_init ();
      g_ptr_array_set_size (identities, 1);
      for (guint i = 0; options->identities[i] != NULL; i++)
        {
          g_autoptr(GObject) list_object = NULL;
          InternetAddressList *list;
          InternetAddress *address;

          if (*options->identities[i] == '\0')
            continue;
          list = internet_address_list_parse (NULL, options->identities[i]);
          list_object = (GObject *) list;
          if (list == NULL || internet_address_list_length (list) != 1 ||
              !INTERNET_ADDRESS_IS_MAILBOX (address = internet_address_list_get_address (list, 0)))
            {
              g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID,
                           _("--identity must be one address, like “Name <name@example.org>”, not “%s”"),
                           options->identities[i]);
              return FALSE;
            }
          g_ptr_array_add (identities,
                           kurir_identity_new (internet_address_get_name (address),
                                               internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (address))));
        }
      kurir_account_set_identities (account, identities);
    }
  if (options->size_limit != -1)
    {
      if (options->size_limit < 0)
        {
          g_set_error_literal (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID,
                               _("--size-limit must be 0 or more kilobytes"));
          return FALSE;
        }
      kurir_account_set_size_limit_kb (account, (guint) options->size_limit);
    }
  if (options->check_interval != -1)
    {
      if (options->check_interval < 0 || options->check_interval > 10080)
        {
          g_set_error_literal (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID,
                               _("--check-interval must be from 0 to 10080 minutes"));
          return FALSE;
        }
      kurir_account_set_check_interval (account, (guint) options->check_interval);
    }
  if (options->remember_password != NULL)
    {
      gboolean yes;

      if (!parse_yes_no (options->remember_password, "--remember-password", &yes, error))
        return FALSE;
      kurir_account_set_remember_password (account, yes);
    }

  /* Permission for plaintext lasts only while a server still needs it. */
  kurir_account_set_allow_plaintext (account,
    (options->allow_plaintext || kurir_account_get_allow_plaintext (account)) &&
    (kurir_account_get_security (account) == KURIR_SECURITY_NONE ||
     kurir_account_get_smtp_security (account) == KURIR_SECURITY_NONE));

  return kurir_account_check (account, error);
}

static gboolean
store_password (KurirAccount  *account,
                const char    *password,
                GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kurir_secret_store_async (kurir_account_get_name (account),
                            kurir_account_get_protocol (account),
                            kurir_account_get_host (account),
                            kurir_account_get_user (account),
                            password, kurir_account_get_remember_password (account), NULL,
                            kurir_cli_store_result, &result);
  return kurir_secret_store_finish (kurir_cli_wait (&result), error);
}

static char *
lookup_password (const char     *name,
                 KurirProtocol   protocol,
                 GError        **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kurir_secret_lookup_async (name, protocol, NULL, kurir_cli_store_result, &result);
  return kurir_secret_lookup_finish (kurir_cli_wait (&result), error);
}

static gboolean
clear_passwords (const char  *name,
                 int          protocol,
                 GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kurir_secret_clear_async (name, protocol, NULL, kurir_cli_store_result, &result);
  return kurir_secret_clear_finish (kurir_cli_wait (&result), error);
}

static void
free_password (char *password)
{
  if (password != NULL)
    kurir_secret_free (password);
}

typedef char Password;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Password, free_password)

static char *
describe_server (const char    *host,
                 guint16        port,
                 KurirSecurity  security)
{
  if (host == NULL)
    return g_strdup (_("this computer only"));
  return g_strdup_printf ("%s:%u (%s)", host, port, kurir_security_to_string (security));
}

static JsonNode *
account_to_json (KurirAccount *account)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, kurir_account_get_name (account));
  json_builder_set_member_name (builder, "email");
  json_builder_add_string_value (builder, kurir_account_get_email (account));
  json_builder_set_member_name (builder, "protocol");
  json_builder_add_string_value (builder, kurir_protocol_to_string (kurir_account_get_protocol (account)));
  json_builder_set_member_name (builder, "host");
  if (kurir_account_get_host (account) != NULL)
    json_builder_add_string_value (builder, kurir_account_get_host (account));
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "port");
  json_builder_add_int_value (builder, kurir_account_get_port (account));
  json_builder_set_member_name (builder, "security");
  json_builder_add_string_value (builder, kurir_security_to_string (kurir_account_get_security (account)));
  json_builder_set_member_name (builder, "user");
  json_builder_add_string_value (builder, kurir_account_get_user (account));
  json_builder_set_member_name (builder, "ca_file");
  if (kurir_account_get_ca_file (account) != NULL)
    json_builder_add_string_value (builder, kurir_account_get_ca_file (account));
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "allow_plaintext");
  json_builder_add_boolean_value (builder, kurir_account_get_allow_plaintext (account));

  json_builder_set_member_name (builder, "smtp");
  if (kurir_account_get_smtp_host (account) != NULL)
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "host");
      json_builder_add_string_value (builder, kurir_account_get_smtp_host (account));
      json_builder_set_member_name (builder, "port");
      json_builder_add_int_value (builder, kurir_account_get_smtp_port (account));
      json_builder_set_member_name (builder, "security");
      json_builder_add_string_value (builder, kurir_security_to_string (kurir_account_get_smtp_security (account)));
      json_builder_set_member_name (builder, "user");
      json_builder_add_string_value (builder, kurir_account_get_smtp_user (account));
      json_builder_end_object (builder);
    }
  else
    json_builder_add_null_value (builder);

  json_builder_set_member_name (builder, "pop3");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "leave_on_server");
  json_builder_add_boolean_value (builder, kurir_account_get_leave_on_server (account));
  json_builder_set_member_name (builder, "delete_after_days");
  json_builder_add_int_value (builder, kurir_account_get_delete_after_days (account));
  json_builder_set_member_name (builder, "delete_when_deleted_here");
  json_builder_add_boolean_value (builder, kurir_account_get_delete_when_deleted_here (account));
  json_builder_set_member_name (builder, "size_limit_kb");
  json_builder_add_int_value (builder, kurir_account_get_size_limit_kb (account));
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "imap");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "keep_offline");
  json_builder_add_string_value (builder,
                                 kurir_keep_offline_to_string (kurir_account_get_keep_offline (account)));
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "check_interval");
  json_builder_add_int_value (builder, kurir_account_get_check_interval (account));
  json_builder_set_member_name (builder, "remember_password");
  json_builder_add_boolean_value (builder, kurir_account_get_remember_password (account));
  json_builder_set_member_name (builder, "identities");
  json_builder_begin_array (builder);
  {
    g_autoptr(GPtrArray) identities = kurir_account_dup_identities (account);

    for (guint i = 0; i < identities->len; i++)
      {
        const KurirIdentity *identity = g_ptr_array_index (identities, i);

        json_builder_begin_object (builder);
        add_string_member (builder, "name", identity->name);
        add_string_member (builder, "address", identity->address);
        add_string_member (builder, "reply_to", identity->reply_to);
        add_string_member (builder, "signature", identity->signature);
        json_builder_end_object (builder);
      }
  }
  json_builder_end_array (builder);

  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static const char *
name_argument (int    argc,
               char **argv)
{
  return argc == 2 ? argv[1] : NULL;
}

/* Commands */

static int
account_add (int    argc,
             char **argv)
{
  g_auto(Options) options = { .port = -1, .smtp_port = -1, .delete_after_days = -1, .size_limit = -1, .check_interval = -1 };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(KurirAccount) account = NULL;
  g_autoptr(Password) password = NULL;
  g_autoptr(GError) error = NULL;
  const char *name;

  context = make_context (_("NAME"), _("Add an account. Its password goes to the keyring only."),
                          &options, TRUE);
  if (!parse (context, &argc, &argv, &error))
    return kurir_cli_usage_error ("%s", error->message);

  name = name_argument (argc, argv);
  if (name == NULL)
    return kurir_cli_usage_error (_("account add takes one NAME"));
  if (options.email == NULL || options.protocol == NULL ||
      (options.host == NULL && g_ascii_strcasecmp (options.protocol, "local") != 0))
    return kurir_cli_usage_error (_("account add needs --email, --protocol and --host"));
  if (!kurir_account_name_is_valid (name, &error))
    return kurir_cli_fail (NULL, error);
  if (kurir_account_exists (name))
    {
      g_set_error (&error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_EXISTS,
                   _("an account of that name exists already; change it with "
                     "“kurir-cli account set %s”"), name);
      return kurir_cli_fail (name, error);
    }

  account = kurir_account_new (name);
  if (!apply_options (account, &options, &error))
    return kurir_cli_fail (name, error);
  if (options.password_stdin && kurir_account_get_protocol (account) == KURIR_PROTOCOL_LOCAL)
    return kurir_cli_usage_error (_("a local account has no server, so no password"));

  if (options.password_stdin)
    {
      password = kurir_cli_read_password (&error);
      if (password == NULL)
        return kurir_cli_fail (name, error);
      if (!store_password (account, password, &error))
        return kurir_cli_fail (name, error);
    }

  if (!kurir_account_save (account, &error))
    {
      if (options.password_stdin)
        clear_passwords (name, KURIR_SECRET_ALL_PROTOCOLS, NULL);
      return kurir_cli_fail (name, error);
    }

  {
    g_autofree char *server = describe_server (kurir_account_get_host (account),
                                               kurir_account_get_port (account),
                                               kurir_account_get_security (account));
    g_print (_("Added account “%s”: %s on %s\n"), name,
             kurir_protocol_to_string (kurir_account_get_protocol (account)), server);
  }
  return KURIR_CLI_EXIT_OK;
}

static int
account_set (int    argc,
             char **argv)
{
  g_auto(Options) options = { .port = -1, .smtp_port = -1, .delete_after_days = -1, .size_limit = -1, .check_interval = -1 };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(KurirAccount) account = NULL;
  g_autoptr(Password) password = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *old_host = NULL;
  g_autofree char *old_user = NULL;
  KurirProtocol old_protocol;
  gboolean old_remember;
  gboolean moved;
  const char *name;

  context = make_context (_("NAME"),
                          _("Change an account. --protocol switches between POP3 and IMAP; "
                            "mail already downloaded stays."),
                          &options, TRUE);
  if (!parse (context, &argc, &argv, &error))
    return kurir_cli_usage_error ("%s", error->message);

  name = name_argument (argc, argv);
  if (name == NULL)
    return kurir_cli_usage_error (_("account set takes one NAME"));

  account = kurir_account_load (name, &error);
  if (account == NULL)
    return kurir_cli_fail (name, error);

  old_protocol = kurir_account_get_protocol (account);
  old_host = g_strdup (kurir_account_get_host (account));
  old_user = g_strdup (kurir_account_get_user (account));
  old_remember = kurir_account_get_remember_password (account);

  if (!apply_options (account, &options, &error))
    return kurir_cli_fail (name, error);

  moved = old_protocol != kurir_account_get_protocol (account) ||
          g_strcmp0 (old_host, kurir_account_get_host (account)) != 0 ||
          g_strcmp0 (old_user, kurir_account_get_user (account)) != 0 ||
          /* into the other keyring collection */
          old_remember != kurir_account_get_remember_password (account);

  if (kurir_account_get_protocol (account) == KURIR_PROTOCOL_LOCAL)
    {
      if (options.password_stdin)
        return kurir_cli_usage_error (_("a local account has no server, so no password"));
      /* Its mail stays; a password it no longer needs does not. */
      if (moved && !clear_passwords (name, KURIR_SECRET_ALL_PROTOCOLS, &error))
        return kurir_cli_fail (name, error);
    }
  else if (options.password_stdin)
    {
      password = kurir_cli_read_password (&error);
      if (password == NULL)
        return kurir_cli_fail (name, error);
    }
  else if (moved)
    {
      /* The stored password follows the account to its new server. */
      password = lookup_password (name, old_protocol, &error);
      if (error != NULL)
        return kurir_cli_fail (name, error);
    }

  if (password != NULL)
    {
      if (old_protocol != kurir_account_get_protocol (account) &&
          !clear_passwords (name, old_protocol, &error))
        return kurir_cli_fail (name, error);
      if (!store_password (account, password, &error))
        return kurir_cli_fail (name, error);
    }

  if (!kurir_account_save (account, &error))
    return kurir_cli_fail (name, error);

  g_print (_("Changed account “%s”\n"), name);
  return KURIR_CLI_EXIT_OK;
}

static int
account_list (int    argc,
              char **argv)
{
  g_auto(Options) options = { .port = -1, .smtp_port = -1, .delete_after_days = -1, .size_limit = -1, .check_interval = -1 };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GPtrArray) accounts = NULL;
  g_autoptr(GError) error = NULL;

  context = make_context (NULL, _("List the accounts."), &options, FALSE);
  if (!parse (context, &argc, &argv, &error))
    return kurir_cli_usage_error ("%s", error->message);
  if (argc != 1)
    return kurir_cli_usage_error (_("account list takes no arguments"));

  accounts = kurir_account_load_all (&error);
  if (accounts == NULL)
    return kurir_cli_fail (NULL, error);

  if (options.json)
    {
      g_autoptr(JsonNode) root = json_node_new (JSON_NODE_ARRAY);
      g_autoptr(JsonArray) array = json_array_sized_new (accounts->len);
      g_autoptr(JsonGenerator) generator = json_generator_new ();
      g_autofree char *text = NULL;

      for (guint i = 0; i < accounts->len; i++)
        json_array_add_element (array, account_to_json (g_ptr_array_index (accounts, i)));
      json_node_set_array (root, array);
      json_generator_set_root (generator, root);
      json_generator_set_pretty (generator, TRUE);
      text = json_generator_to_data (generator, NULL);
      g_print ("%s\n", text);
      return KURIR_CLI_EXIT_OK;
    }

  if (accounts->len == 0)
    {
      g_print ("%s\n", _("No accounts. Add one with “kurir-cli account add”."));
      return KURIR_CLI_EXIT_OK;
    }

  for (guint i = 0; i < accounts->len; i++)
    {
      KurirAccount *account = g_ptr_array_index (accounts, i);
      g_autofree char *incoming = describe_server (kurir_account_get_host (account),
                                                   kurir_account_get_port (account),
                                                   kurir_account_get_security (account));
      g_autofree char *outgoing = NULL;

      if (kurir_account_get_smtp_host (account) != NULL)
        outgoing = describe_server (kurir_account_get_smtp_host (account),
                                    kurir_account_get_smtp_port (account),
                                    kurir_account_get_smtp_security (account));

      g_print ("%s\t%s\t%s %s\t%s %s\n",
               kurir_account_get_name (account),
               kurir_account_get_email (account),
               kurir_protocol_to_string (kurir_account_get_protocol (account)), incoming,
               "smtp", outgoing ? outgoing : _("(not set)"));
    }
  return KURIR_CLI_EXIT_OK;
}

static int
account_remove (int    argc,
                char **argv)
{
  g_auto(Options) options = { .port = -1, .smtp_port = -1, .delete_after_days = -1, .size_limit = -1, .check_interval = -1 };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  const char *name;

  context = make_context (_("NAME"), _("Remove an account and its passwords."), &options, FALSE);
  if (!parse (context, &argc, &argv, &error))
    return kurir_cli_usage_error ("%s", error->message);

  name = name_argument (argc, argv);
  if (name == NULL)
    return kurir_cli_usage_error (_("account remove takes one NAME"));
  if (!kurir_account_name_is_valid (name, &error))
    return kurir_cli_fail (NULL, error);
  if (!kurir_account_exists (name))
    {
      g_set_error_literal (&error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_NOT_FOUND,
                           _("there is no such account"));
      return kurir_cli_fail (name, error);
    }

  /* Secrets first: if the keyring fails, the account stays to try again. */
  if (!clear_passwords (name, KURIR_SECRET_ALL_PROTOCOLS, &error) ||
      !kurir_account_delete (name, &error))
    return kurir_cli_fail (name, error);

  g_print (_("Removed account “%s”\n"), name);
  return KURIR_CLI_EXIT_OK;
}

/* Public API */

int
kurir_cli_account (int    argc,
                   char **argv)
{
  static const struct {
    const char *name;
    int (*run) (int argc, char **argv);
  } subcommands[] = {
    { "add", account_add },
    { "set", account_set },
    { "list", account_list },
    { "remove", account_remove },
  };

  if (argc >= 2)
    for (guint i = 0; i < G_N_ELEMENTS (subcommands); i++)
      if (strcmp (argv[1], subcommands[i].name) == 0)
        return subcommands[i].run (argc - 1, argv + 1);

  g_printerr ("%s\n", _("Usage: kurir-cli account add|set|list|remove …"));
  return KURIR_CLI_EXIT_USAGE;
}
