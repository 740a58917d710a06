/* kurir-account.c: one mail account's settings
 *
 * Each account is a key file $XDG_CONFIG_HOME/kurir/accounts/NAME.conf,
 * written atomically (temporary file, fsync, rename). It never holds a
 * password: those live in libsecret (kurir-secret.c). Keys this version
 * does not know are kept when the file is written again.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-account"

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "kurir-account.h"
#include "kurir-core-enums.h"
#include "kurir-trust.h"

#define MAX_NAME_LENGTH 64
#define FILE_SUFFIX     ".conf"

#define GROUP_ACCOUNT  "Account"
#define GROUP_INCOMING "Incoming"
#define GROUP_OUTGOING "Outgoing"
#define GROUP_POP3     "POP3"
#define GROUP_IMAP     "IMAP"
#define GROUP_IDENTITY_PREFIX "Identity "
#define MAX_IDENTITIES 100

struct _KurirAccount
{
  GObject        parent_instance;

  char          *name;
  char          *email;
  KurirProtocol  protocol;
  char          *host;
  guint16        port;            /* 0: the default for protocol and security */
  KurirSecurity  security;
  char          *user;            /* NULL: the email address */
  char          *ca_file;
  gboolean       allow_plaintext;

  char          *smtp_host;
  guint16        smtp_port;
  KurirSecurity  smtp_security;
  char          *smtp_user;       /* NULL: the incoming user */

  gboolean       leave_on_server;
  guint          delete_after_days;
  gboolean       delete_when_deleted_here;
  KurirKeepOffline keep_offline;
  guint          size_limit_kb;   /* POP3: 0, no limit */

  char          *display_name;    /* the primary identity */
  char          *reply_to;
  char          *signature;
  GPtrArray     *identities;      /* further KurirIdentity */

  guint          check_interval;  /* minutes; 0: the app's default */
  gboolean       remember_password;
};

enum {
  PROP_0,
  PROP_NAME,
  PROP_EMAIL,
  PROP_PROTOCOL,
  PROP_HOST,
  PROP_PORT,
  PROP_SECURITY,
  PROP_USER,
  PROP_CA_FILE,
  PROP_ALLOW_PLAINTEXT,
  PROP_SMTP_HOST,
  PROP_SMTP_PORT,
  PROP_SMTP_SECURITY,
  PROP_SMTP_USER,
  PROP_LEAVE_ON_SERVER,
  PROP_DELETE_AFTER_DAYS,
  PROP_DELETE_WHEN_DELETED_HERE,
  PROP_SIZE_LIMIT_KB,
  PROP_DISPLAY_NAME,
  PROP_REPLY_TO,
  PROP_SIGNATURE,
  PROP_CHECK_INTERVAL,
  PROP_REMEMBER_PASSWORD,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_TYPE (KurirAccount, kurir_account, G_TYPE_OBJECT)

G_DEFINE_QUARK (kurir-account-error-quark, kurir_account_error)

/* Helpers */

static void
set_string (KurirAccount  *self,
            char         **field,
            const char    *value,
            guint          prop_id)
{
  if (value != NULL && *value == '\0')
    value = NULL;
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}

static gboolean
is_valid_host (const char *host)
{
  if (host == NULL || *host == '\0' || strlen (host) > 253)
    return FALSE;
  for (const char *p = host; *p; p++)
    {
      if (g_ascii_isalnum (*p) || *p == '.' || *p == '-' || *p == ':' || *p == '_' ||
          (guchar) *p >= 0x80)
        continue;
      return FALSE;
    }
  return g_utf8_validate (host, -1, NULL);
}

static char *
account_path (const char *name)
{
  g_autofree char *dir = kurir_account_get_config_dir ();
  g_autofree char *file = g_strconcat (name, FILE_SUFFIX, NULL);

  return g_build_filename (dir, file, NULL);
}

static char *
key_file_get_nonempty (GKeyFile   *key_file,
                       const char *group,
                       const char *key)
{
  char *value = g_key_file_get_string (key_file, group, key, NULL);

  if (value != NULL && *value == '\0')
    g_clear_pointer (&value, g_free);
  return value;
}

static gboolean
key_file_get_port (GKeyFile    *key_file,
                   const char  *group,
                   guint16     *out_port,
                   GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  gint64 port;

  *out_port = 0;
  if (!g_key_file_has_key (key_file, group, "port", NULL))
    return TRUE;

  port = g_key_file_get_int64 (key_file, group, "port", &local_error);
  if (local_error != NULL || port < 0 || port > 65535)
    {
      g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID,
                   "The port in [%s] is not a number from 1 to 65535", group);
      return FALSE;
    }
  *out_port = (guint16) port;
  return TRUE;
}

static void
key_file_set_or_remove (GKeyFile   *key_file,
                        const char *group,
                        const char *key,
                        const char *value)
{
  if (value != NULL)
    g_key_file_set_string (key_file, group, key, value);
  else
    g_key_file_remove_key (key_file, group, key, NULL);
}

static void
key_file_set_port (GKeyFile   *key_file,
                   const char *group,
                   guint16     port)
{
  if (port != 0)
    g_key_file_set_integer (key_file, group, "port", port);
  else
    g_key_file_remove_key (key_file, group, "port", NULL);
}

static gboolean
read_security (GKeyFile       *key_file,
               const char     *group,
               KurirSecurity  *out_security,
               GError        **error)
{
  g_autofree char *value = key_file_get_nonempty (key_file, group, "security");

  *out_security = KURIR_SECURITY_TLS;
  if (value == NULL)
    return TRUE;
  if (!kurir_security_from_string (value, out_security))
    {
      g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID,
                   "The security “%s” in [%s] is not one of tls, starttls or none",
                   value, group);
      return FALSE;
    }
  return TRUE;
}

static KurirAccount *
account_from_key_file (const char  *name,
                       GKeyFile    *key_file,
                       GError     **error)
{
  g_autoptr(KurirAccount) self = kurir_account_new (name);
  g_autofree char *protocol = NULL;
  g_autoptr(GError) local_error = NULL;
  gint64 days;

  self->email = key_file_get_nonempty (key_file, GROUP_ACCOUNT, "email");
  protocol = key_file_get_nonempty (key_file, GROUP_ACCOUNT, "protocol");
  if (protocol == NULL ||
      !kurir_protocol_from_string (protocol, &self->protocol) ||
      self->protocol == KURIR_PROTOCOL_SMTP)
    {
      g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID,
                   "The protocol “%s” is not imap, pop3 or local", protocol ? protocol : "");
      return NULL;
    }

  self->host = key_file_get_nonempty (key_file, GROUP_INCOMING, "host");
  self->user = key_file_get_nonempty (key_file, GROUP_INCOMING, "user");
  self->ca_file = key_file_get_nonempty (key_file, GROUP_INCOMING, "ca-file");
  self->allow_plaintext = g_key_file_get_boolean (key_file, GROUP_INCOMING, "allow-plaintext", NULL);
  if (!key_file_get_port (key_file, GROUP_INCOMING, &self->port, error) ||
      !read_security (key_file, GROUP_INCOMING, &self->security, error))
    return NULL;

  self->smtp_host = key_file_get_nonempty (key_file, GROUP_OUTGOING, "host");
  self->smtp_user = key_file_get_nonempty (key_file, GROUP_OUTGOING, "user");
  if (!key_file_get_port (key_file, GROUP_OUTGOING, &self->smtp_port, error) ||
      !read_security (key_file, GROUP_OUTGOING, &self->smtp_security, error))
    return NULL;

  if (g_key_file_has_key (key_file, GROUP_POP3, "leave-on-server", NULL))
    self->leave_on_server = g_key_file_get_boolean (key_file, GROUP_POP3, "leave-on-server", NULL);
  self->delete_when_deleted_here =
    g_key_file_get_boolean (key_file, GROUP_POP3, "delete-when-deleted-here", NULL);
  days = g_key_file_get_int64 (key_file, GROUP_POP3, "delete-after-days", &local_error);
  if (local_error == NULL)
    {
      if (days < 0 || days > 36500)
        {
          g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID,
                       "delete-after-days must be from 0 to 36500");
          return NULL;
        }
      self->delete_after_days = (guint) days;
    }

  {
    gint64 limit;

    g_clear_error (&local_error);
    limit = g_key_file_get_int64 (key_file, GROUP_POP3, "size-limit-kb", &local_error);
    if (local_error == NULL)
      {
        if (limit < 0 || limit > G_MAXINT32)
          {
            g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID,
                         "size-limit-kb must be from 0 to %d", G_MAXINT32);
            return NULL;
          }
        self->size_limit_kb = (guint) limit;
      }
    g_clear_error (&local_error);
    limit = g_key_file_get_int64 (key_file, GROUP_ACCOUNT, "check-interval", &local_error);
    if (local_error == NULL)
      {
        if (limit < 0 || limit > 10080)
          {
            g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID,
                         "check-interval must be from 0 to 10080 minutes");
            return NULL;
          }
        self->check_interval = (guint) limit;
      }
    g_clear_error (&local_error);
    if (g_key_file_has_key (key_file, GROUP_ACCOUNT, "remember-password", NULL))
      self->remember_password =
        g_key_file_get_boolean (key_file, GROUP_ACCOUNT, "remember-password", NULL);
  }

  self->display_name = key_file_get_nonempty (key_file, GROUP_ACCOUNT, "display-name");
  self->reply_to = key_file_get_nonempty (key_file, GROUP_ACCOUNT, "reply-to");
  self->signature = key_file_get_nonempty (key_file, GROUP_ACCOUNT, "signature");
  {
    g_auto(GStrv) groups = g_key_file_get_groups (key_file, NULL);

    for (guint i = 0; groups[i] != NULL; i++)
      {
        KurirIdentity *identity;
        g_autofree char *address = NULL;
        g_autofree char *display = NULL;

        if (!g_str_has_prefix (groups[i], GROUP_IDENTITY_PREFIX))
          continue;
        address = key_file_get_nonempty (key_file, groups[i], "address");
        display = key_file_get_nonempty (key_file, groups[i], "name");
        identity = kurir_identity_new (display, address);
        identity->reply_to = key_file_get_nonempty (key_file, groups[i], "reply-to");
        identity->signature = key_file_get_nonempty (key_file, groups[i], "signature");
        g_ptr_array_add (self->identities, identity);
      }
  }

  {
    g_autofree char *keep = key_file_get_nonempty (key_file, GROUP_IMAP, "keep-offline");

    if (keep != NULL && !kurir_keep_offline_from_string (keep, &self->keep_offline))
      {
        g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID,
                     "keep-offline must be all, none or auto, not “%s”", keep);
        return NULL;
      }
  }

  if (!kurir_account_check (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

static gint
compare_by_name (gconstpointer a,
                 gconstpointer b)
{
  KurirAccount *account_a = *(KurirAccount **) a;
  KurirAccount *account_b = *(KurirAccount **) b;

  return g_utf8_collate (account_a->name, account_b->name);
}

static void
load_all_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  GError *error = NULL;
  GPtrArray *accounts = kurir_account_load_all (&error);

  if (accounts == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, accounts, (GDestroyNotify) g_ptr_array_unref);
}

/* Overrides */

static void
kurir_account_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  KurirAccount *self = KURIR_ACCOUNT (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_EMAIL:
      g_value_set_string (value, self->email);
      break;
    case PROP_PROTOCOL:
      g_value_set_enum (value, self->protocol);
      break;
    case PROP_HOST:
      g_value_set_string (value, self->host);
      break;
    case PROP_PORT:
      g_value_set_uint (value, kurir_account_get_port (self));
      break;
    case PROP_SECURITY:
      g_value_set_enum (value, self->security);
      break;
    case PROP_USER:
      g_value_set_string (value, kurir_account_get_user (self));
      break;
    case PROP_CA_FILE:
      g_value_set_string (value, self->ca_file);
      break;
    case PROP_ALLOW_PLAINTEXT:
      g_value_set_boolean (value, self->allow_plaintext);
      break;
    case PROP_SMTP_HOST:
      g_value_set_string (value, self->smtp_host);
      break;
    case PROP_SMTP_PORT:
      g_value_set_uint (value, kurir_account_get_smtp_port (self));
      break;
    case PROP_SMTP_SECURITY:
      g_value_set_enum (value, self->smtp_security);
      break;
    case PROP_SMTP_USER:
      g_value_set_string (value, kurir_account_get_smtp_user (self));
      break;
    case PROP_LEAVE_ON_SERVER:
      g_value_set_boolean (value, self->leave_on_server);
      break;
    case PROP_DELETE_AFTER_DAYS:
      g_value_set_uint (value, self->delete_after_days);
      break;
    case PROP_DELETE_WHEN_DELETED_HERE:
      g_value_set_boolean (value, self->delete_when_deleted_here);
      break;
    case PROP_SIZE_LIMIT_KB:
      g_value_set_uint (value, self->size_limit_kb);
      break;
    case PROP_DISPLAY_NAME:
      g_value_set_string (value, self->display_name);
      break;
    case PROP_REPLY_TO:
      g_value_set_string (value, self->reply_to);
      break;
    case PROP_SIGNATURE:
      g_value_set_string (value, self->signature);
      break;
    case PROP_CHECK_INTERVAL:
      g_value_set_uint (value, self->check_interval);
      break;
    case PROP_REMEMBER_PASSWORD:
      g_value_set_boolean (value, self->remember_password);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kurir_account_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  KurirAccount *self = KURIR_ACCOUNT (object);

  switch (prop_id)
    {
    case PROP_NAME:
      self->name = g_value_dup_string (value);
      break;
    case PROP_EMAIL:
      kurir_account_set_email (self, g_value_get_string (value));
      break;
    case PROP_PROTOCOL:
      kurir_account_set_protocol (self, g_value_get_enum (value));
      break;
    case PROP_HOST:
      kurir_account_set_host (self, g_value_get_string (value));
      break;
    case PROP_PORT:
      kurir_account_set_port (self, g_value_get_uint (value));
      break;
    case PROP_SECURITY:
      kurir_account_set_security (self, g_value_get_enum (value));
      break;
    case PROP_USER:
      kurir_account_set_user (self, g_value_get_string (value));
      break;
    case PROP_CA_FILE:
      kurir_account_set_ca_file (self, g_value_get_string (value));
      break;
    case PROP_ALLOW_PLAINTEXT:
      kurir_account_set_allow_plaintext (self, g_value_get_boolean (value));
      break;
    case PROP_SMTP_HOST:
      kurir_account_set_smtp_host (self, g_value_get_string (value));
      break;
    case PROP_SMTP_PORT:
      kurir_account_set_smtp_port (self, g_value_get_uint (value));
      break;
    case PROP_SMTP_SECURITY:
      kurir_account_set_smtp_security (self, g_value_get_enum (value));
      break;
    case PROP_SMTP_USER:
      kurir_account_set_smtp_user (self, g_value_get_string (value));
      break;
    case PROP_LEAVE_ON_SERVER:
      kurir_account_set_leave_on_server (self, g_value_get_boolean (value));
      break;
    case PROP_DELETE_AFTER_DAYS:
      kurir_account_set_delete_after_days (self, g_value_get_uint (value));
      break;
    case PROP_DELETE_WHEN_DELETED_HERE:
      kurir_account_set_delete_when_deleted_here (self, g_value_get_boolean (value));
      break;
    case PROP_SIZE_LIMIT_KB:
      kurir_account_set_size_limit_kb (self, g_value_get_uint (value));
      break;
    case PROP_DISPLAY_NAME:
      kurir_account_set_display_name (self, g_value_get_string (value));
      break;
    case PROP_REPLY_TO:
      kurir_account_set_reply_to (self, g_value_get_string (value));
      break;
    case PROP_SIGNATURE:
      kurir_account_set_signature (self, g_value_get_string (value));
      break;
    case PROP_CHECK_INTERVAL:
      kurir_account_set_check_interval (self, g_value_get_uint (value));
      break;
    case PROP_REMEMBER_PASSWORD:
      kurir_account_set_remember_password (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kurir_account_finalize (GObject *object)
{
  KurirAccount *self = KURIR_ACCOUNT (object);

  g_free (self->name);
  g_free (self->email);
  g_free (self->host);
  g_free (self->user);
  g_free (self->ca_file);
  g_free (self->smtp_host);
  g_free (self->smtp_user);
  g_free (self->display_name);
  g_free (self->reply_to);
  g_free (self->signature);
  g_ptr_array_unref (self->identities);

  G_OBJECT_CLASS (kurir_account_parent_class)->finalize (object);
}

static void
kurir_account_class_init (KurirAccountClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = kurir_account_get_property;
  object_class->set_property = kurir_account_set_property;
  object_class->finalize = kurir_account_finalize;

  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_EMAIL] = g_param_spec_string ("email", NULL, NULL, NULL, rw);
  properties[PROP_PROTOCOL] =
    g_param_spec_enum ("protocol", NULL, NULL, KURIR_TYPE_PROTOCOL, KURIR_PROTOCOL_IMAP, rw);
  properties[PROP_HOST] = g_param_spec_string ("host", NULL, NULL, NULL, rw);
  properties[PROP_PORT] = g_param_spec_uint ("port", NULL, NULL, 0, 65535, 0, rw);
  properties[PROP_SECURITY] =
    g_param_spec_enum ("security", NULL, NULL, KURIR_TYPE_SECURITY, KURIR_SECURITY_TLS, rw);
  properties[PROP_USER] = g_param_spec_string ("user", NULL, NULL, NULL, rw);
  properties[PROP_CA_FILE] = g_param_spec_string ("ca-file", NULL, NULL, NULL, rw);
  properties[PROP_ALLOW_PLAINTEXT] =
    g_param_spec_boolean ("allow-plaintext", NULL, NULL, FALSE, rw);
  properties[PROP_SMTP_HOST] = g_param_spec_string ("smtp-host", NULL, NULL, NULL, rw);
  properties[PROP_SMTP_PORT] = g_param_spec_uint ("smtp-port", NULL, NULL, 0, 65535, 0, rw);
  properties[PROP_SMTP_SECURITY] =
    g_param_spec_enum ("smtp-security", NULL, NULL, KURIR_TYPE_SECURITY, KURIR_SECURITY_TLS, rw);
  properties[PROP_SMTP_USER] = g_param_spec_string ("smtp-user", NULL, NULL, NULL, rw);
  properties[PROP_LEAVE_ON_SERVER] =
    g_param_spec_boolean ("leave-on-server", NULL, NULL, TRUE, rw);
  properties[PROP_DELETE_AFTER_DAYS] =
    g_param_spec_uint ("delete-after-days", NULL, NULL, 0, 36500, 0, rw);
  properties[PROP_DELETE_WHEN_DELETED_HERE] =
    g_param_spec_boolean ("delete-when-deleted-here", NULL, NULL, FALSE, rw);
  properties[PROP_SIZE_LIMIT_KB] =
    g_param_spec_uint ("size-limit-kb", NULL, NULL, 0, G_MAXINT32, 0, rw);
  properties[PROP_DISPLAY_NAME] = g_param_spec_string ("display-name", NULL, NULL, NULL, rw);
  properties[PROP_REPLY_TO] = g_param_spec_string ("reply-to", NULL, NULL, NULL, rw);
  properties[PROP_SIGNATURE] = g_param_spec_string ("signature", NULL, NULL, NULL, rw);
  properties[PROP_CHECK_INTERVAL] =
    g_param_spec_uint ("check-interval", NULL, NULL, 0, 10080, 0, rw);
  properties[PROP_REMEMBER_PASSWORD] =
    g_param_spec_boolean ("remember-password", NULL, NULL, TRUE, rw);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
kurir_account_init (KurirAccount *self)
{
  self->protocol = KURIR_PROTOCOL_IMAP;
  self->security = KURIR_SECURITY_TLS;
  self->smtp_security = KURIR_SECURITY_TLS;
  self->leave_on_server = TRUE;
  self->remember_password = TRUE;
  self->identities = g_ptr_array_new_with_free_func ((GDestroyNotify) kurir_identity_free);
}

/* Public API */

const char *
kurir_protocol_to_string (KurirProtocol protocol)
{
  switch (protocol)
    {
    case KURIR_PROTOCOL_IMAP:
      return "imap";
    case KURIR_PROTOCOL_POP3:
      return "pop3";
    case KURIR_PROTOCOL_SMTP:
      return "smtp";
    case KURIR_PROTOCOL_LOCAL:
      return "local";
    default:
      g_return_val_if_reached (NULL);
    }
}

gboolean
kurir_protocol_from_string (const char    *str,
                            KurirProtocol *out_protocol)
{
  g_return_val_if_fail (out_protocol != NULL, FALSE);

  if (str == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (str, "imap") == 0)
    *out_protocol = KURIR_PROTOCOL_IMAP;
  else if (g_ascii_strcasecmp (str, "pop3") == 0 || g_ascii_strcasecmp (str, "pop") == 0)
    *out_protocol = KURIR_PROTOCOL_POP3;
  else if (g_ascii_strcasecmp (str, "smtp") == 0)
    *out_protocol = KURIR_PROTOCOL_SMTP;
  else if (g_ascii_strcasecmp (str, "local") == 0)
    *out_protocol = KURIR_PROTOCOL_LOCAL;
  else
    return FALSE;
  return TRUE;
}

/**
 * kurir_protocol_default_port:
 *
 * The registered port for @protocol with @security: 993/143 for IMAP,
 * 995/110 for POP3, 465/587 for SMTP submission (RFC 8314, RFC 6409).
 */
guint16
kurir_protocol_default_port (KurirProtocol protocol,
                             KurirSecurity security)
{
  gboolean implicit = security == KURIR_SECURITY_TLS;

  switch (protocol)
    {
    case KURIR_PROTOCOL_IMAP:
      return implicit ? 993 : 143;
    case KURIR_PROTOCOL_POP3:
      return implicit ? 995 : 110;
    case KURIR_PROTOCOL_SMTP:
      return implicit ? 465 : 587;
    case KURIR_PROTOCOL_LOCAL:
      return 0;
    default:
      g_return_val_if_reached (0);
    }
}

KurirAccount *
kurir_account_new (const char *name)
{
  g_return_val_if_fail (name != NULL, NULL);

  return g_object_new (KURIR_TYPE_ACCOUNT, "name", name, NULL);
}

const char *
kurir_account_get_name (KurirAccount *self)
{
  g_return_val_if_fail (KURIR_IS_ACCOUNT (self), NULL);
  return self->name;
}

const char *
kurir_account_get_email (KurirAccount *self)
{
  g_return_val_if_fail (KURIR_IS_ACCOUNT (self), NULL);
  return self->email;
}

void
kurir_account_set_email (KurirAccount *self,
                         const char   *email)
{
  g_return_if_fail (KURIR_IS_ACCOUNT (self));
  set_string (self, &self->email, email, PROP_EMAIL);
}

KurirProtocol
kurir_account_get_protocol (KurirAccount *self)
{
  g_return_val_if_fail (KURIR_IS_ACCOUNT (self), KURIR_PROTOCOL_IMAP);
  return self->protocol;
}

void
kurir_account_set_protocol (KurirAccount  *self,
                            KurirProtocol  protocol)
{
  g_return_if_fail (KURIR_IS_ACCOUNT (self));
  g_return_if_fail (protocol != KURIR_PROTOCOL_SMTP);

  if (self->protocol == protocol)
    return;
  self->protocol = protocol;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROTOCOL]);
  if (self->port == 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);
}

const char *
kurir_account_get_host (KurirAccount *self)
{
  g_return_val_if_fail (KURIR_IS_ACCOUNT (self), NULL);
  return self->host;
}

void
kurir_account_set_host (KurirAccount *self,
                        const char   *host)
{
  g_return_if_fail (KURIR_IS_ACCOUNT (self));
  set_string (self, &self->host, host, PROP_HOST);
}

/**
 * kurir_account_get_port:
 *
 * Returns: the incoming port: the one set, else the default for the
 *   protocol and security
 */
guint16
kurir_account_get_port (KurirAccount *self)
{
  g_return_val_if_fail (KURIR_IS_ACCOUNT (self), 0);
  return self->port != 0 ? self->port : kurir_protocol_default_port (self->protocol, self->security);
}

guint16
kurir_account_get_explicit_port (KurirAccount *self)
{
  g_return_val_if_fail (KURIR_IS_ACCOUNT (self), 0);
  return self->port;
}

void
kurir_account_set_port (KurirAccount *self,
                        guint16       port)
{
  g_return_if_fail (KURIR_IS_ACCOUNT (self));

  if (self->port == port)
    return;
  self->port = port;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);
}

KurirSecurity
kurir_account_get_security (KurirAccount *self)
{
  g_return_val_if_fail (KURIR_IS_ACCOUNT (self), KURIR_SECURITY_TLS);
  return self->security;
}

void
kurir_account_set_security (KurirAccount  *self,
                            KurirSecurity  security)
{
  g_return_if_fail (KURIR_IS_ACCOUNT (self));

  if (self->security == security)
    return;
  self->security = security;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SECURITY]);
  if (self->port == 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);
}

/**
 * kurir_account_get_user:
 *
 * Returns: the incoming user name: the one set, else the email address
 */
const char *
kurir_account_get_user (KurirAccount *self)
{
  g_return_val_if_fail (KURIR_IS_ACCOUNT (self), NULL);
  return self->user != NULL ? self->user : self->email;
}

void
kurir_account_set_user (KurirAccount *self,
                        const char   *user)
{
  g_return_if_fail (KURIR_IS_ACCOUNT (self));
  set_string (self, &self->user, user, PROP_USER);
}

const char *
kurir_account_get_ca_file (KurirAccount *self)
{
  g_return_val_if_fail (KURIR_IS_ACCOUNT (self), NULL);
  return self->ca_file;
}

void
kurir_account_set_ca_file (KurirAccount *self,
                           const char   *ca_file)
{
  g_return_if_fail (KURIR_IS_ACCOUNT (self));
  set_string (self, &self->ca_file, ca_file, PROP_CA_FILE);
}

gboolean
kurir_account_get_allow_plaintext (KurirAccount *self)
{
  g_return_val_if_fail (KURIR_IS_ACCOUNT (self), FALSE);
  return self->allow_plaintext;
}

void
kurir_account_set_allow_plaintext (KurirAccount *self,
                                   gboolean      allow)
{
  g_return_if_fail (KURIR_IS_ACCOUNT (self));

  allow = !!allow;
  if (self->allow_plaintext == allow)
    return;
  self->allow_plaintext = allow;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ALLOW_PLAINTEXT]);
}

const char *
kurir_account_get_smtp_host (KurirAccount *self)
{
  g_return_val_if_fail (KURIR_IS_ACCOUNT (self), NULL);
  return self->smtp_host;
}

void
kurir_account_set_smtp_host (KurirAccount *self,
                             const char   *host)
{
  g_return_if_fail (KURIR_IS_ACCOUNT (self));
  set_string (self, &self->smtp_host, host, PROP_SMTP_HOST);
}

guint16
kurir_account_get_smtp_port (KurirAccount *self)
{
  g_return_val_if_fail (KURIR_IS_ACCOUNT (self), 0);
  return self->smtp_port != 0 ?
    self->smtp_port : kurir_protocol_default_port (KURIR_PROTOCOL_SMTP, self->smtp_security);
}

guint16
kurir_account_get_explicit_smtp_port (KurirAccount *self)
{
  g_return_val_if_fail (KURIR_IS_ACCOUNT (self), 0);
  return self->smtp_port;
}

void
kurir_account_set_smtp_port (KurirAccount *self,
                             guint16       port)
{
  g_return_if_fail (KURIR_IS_ACCOUNT (self));

  if (self->smtp_port == port)
    return;
  self->smtp_port = port;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SMTP_PORT]);
}

KurirSecurity
kurir_account_get_smtp_security (KurirAccount *self)
{
  g_return_val_if_fail (KURIR_IS_ACCOUNT (self), KURIR_SECURITY_TLS);
  return self->smtp_security;
}

void
kurir_account_set_smtp_security (KurirAccount  *self,
                                 KurirSecurity  security)
{
  g_return_if_fail (KURIR_IS_ACCOUNT (self));

  if (self->smtp_security == security)
    return;
  self->smtp_security = security;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SMTP_SECURITY]);
  if (self->smtp_port == 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SMTP_PORT]);
}

/**
 * kurir_account_get_smtp_user:
 *
 * Returns: the SMTP user name: the one set, else the incoming user name
 */
const char *
kurir_account_get_smtp_user (KurirAccount *self)
{
  g_return_val_if_fail (KURIR_IS_ACCOUNT (self), NULL);
  return self->smtp_user != NULL ? self->smtp_user : kurir_account_get_user (self);
}

void
kurir_account_set_smtp_user (KurirAccount *self,
                             const char   *user)
{
  g_return_if_fail (KURIR_IS_ACCOUNT (self));
  set_string (self, &self->smtp_user, user, PROP_SMTP_USER);
}

gboolean
kurir_account_get_leave_on_server (KurirAccount *self)
{
  g_return_val_if_fail (KURIR_IS_ACCOUNT (self), TRUE);
  return self->leave_on_server;
}

void
kurir_account_set_leave_on_server (KurirAccount *self,
                                   gboolean      leave)
{
  g_return_if_fail (KURIR_IS_ACCOUNT (self));

  leave = !!leave;
  if (self->leave_on_server == leave)
    return;
  self->leave_on_server = leave;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LEAVE_ON_SERVER]);
}

/**
 * kurir_account_get_delete_after_days:
 *
 * Returns: for POP3 accounts that leave mail on the server, after how many
 *   days it is deleted there; 0 for never
 */
guint
kurir_account_get_delete_after_days (KurirAccount *self)
{
  g_return_val_if_fail (KURIR_IS_ACCOUNT (self), 0);
  return self->delete_after_days;
}

void
kurir_account_set_delete_after_days (KurirAccount *self,
                                     guint         days)
{
  g_return_if_fail (KURIR_IS_ACCOUNT (self));

  if (self->delete_after_days == days)
    return;
  self->delete_after_days = days;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DELETE_AFTER_DAYS]);
}

/**
 * kurir_account_get_delete_when_deleted_here:
 *
 * Returns: for POP3 accounts that leave mail on the server, whether a
 *   message deleted here is deleted on the server at the next sync
 */
gboolean
kurir_account_get_delete_when_deleted_here (KurirAccount *self)
{
  g_return_val_if_fail (KURIR_IS_ACCOUNT (self), FALSE);
  return self->delete_when_deleted_here;
}

void
kurir_account_set_delete_when_deleted_here (KurirAccount *self,
                                            gboolean      enable)
{
  g_return_if_fail (KURIR_IS_ACCOUNT (self));

  enable = !!enable;
  if (self->delete_when_deleted_here == enable)
    return;
  self->delete_when_deleted_here = enable;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DELETE_WHEN_DELETED_HERE]);
}

guint
kurir_account_get_size_limit_kb (KurirAccount *self)
{
  g_return_val_if_fail (KURIR_IS_ACCOUNT (self), 0);
  return self->size_limit_kb;
}

/**
 * kurir_account_set_size_limit_kb:
 * @limit_kb: 0 for no limit
 *
 * POP3: messages over @limit_kb kilobytes are downloaded as their headers
 * only, and their body when the person opens them.
 */
void
kurir_account_set_size_limit_kb (KurirAccount *self,
                                 guint         limit_kb)
{
  g_return_if_fail (KURIR_IS_ACCOUNT (self));

  limit_kb = MIN (limit_kb, (guint) G_MAXINT32);
  if (self->size_limit_kb == limit_kb)
    return;
  self->size_limit_kb = limit_kb;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SIZE_LIMIT_KB]);
}

guint
kurir_account_get_check_interval (KurirAccount *self)
{
  g_return_val_if_fail (KURIR_IS_ACCOUNT (self), 0);
  return self->check_interval;
}

/**
 * kurir_account_set_check_interval:
 * @minutes: 0 for the app's default (the GSettings key), at most a week
 */
void
kurir_account_set_check_interval (KurirAccount *self,
                                  guint         minutes)
{
  g_return_if_fail (KURIR_IS_ACCOUNT (self));

  minutes = MIN (minutes, 10080u);
  if (self->check_interval == minutes)
    return;
  self->check_interval = minutes;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CHECK_INTERVAL]);
}

gboolean
kurir_account_get_remember_password (KurirAccount *self)
{
  g_return_val_if_fail (KURIR_IS_ACCOUNT (self), TRUE);
  return self->remember_password;
}

/**
 * kurir_account_set_remember_password:
 *
 * TRUE (the default): the password lives in the keyring's default
 * collection and survives a restart; FALSE: in the session collection,
 * gone when the person logs out.
 */
void
kurir_account_set_remember_password (KurirAccount *self,
                                     gboolean      remember)
{
  g_return_if_fail (KURIR_IS_ACCOUNT (self));

  remember = !!remember;
  if (self->remember_password == remember)
    return;
  self->remember_password = remember;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REMEMBER_PASSWORD]);
}

const char *
kurir_account_get_display_name (KurirAccount *self)
{
  g_return_val_if_fail (KURIR_IS_ACCOUNT (self), NULL);
  return self->display_name;
}

void
kurir_account_set_display_name (KurirAccount *self,
                                const char   *display_name)
{
  g_return_if_fail (KURIR_IS_ACCOUNT (self));
  set_string (self, &self->display_name, display_name, PROP_DISPLAY_NAME);
}

const char *
kurir_account_get_reply_to (KurirAccount *self)
{
  g_return_val_if_fail (KURIR_IS_ACCOUNT (self), NULL);
  return self->reply_to;
}

void
kurir_account_set_reply_to (KurirAccount *self,
                            const char   *reply_to)
{
  g_return_if_fail (KURIR_IS_ACCOUNT (self));
  set_string (self, &self->reply_to, reply_to, PROP_REPLY_TO);
}

const char *
kurir_account_get_signature (KurirAccount *self)
{
  g_return_val_if_fail (KURIR_IS_ACCOUNT (self), NULL);
  return self->signature;
}

void
kurir_account_set_signature (KurirAccount *self,
                             const char   *signature)
{
  g_return_if_fail (KURIR_IS_ACCOUNT (self));
  set_string (self, &self->signature, signature, PROP_SIGNATURE);
}

/**
 * kurir_account_dup_identities:
 *
 * Returns: (transfer full) (element-type KurirIdentity): the identities
 * this account sends as, the primary one (the account's address, display
 * name, reply-to and signature) first.
 */
GPtrArray *
kurir_account_dup_identities (KurirAccount *self)
{
  GPtrArray *identities;
  KurirIdentity *primary;

  g_return_val_if_fail (KURIR_IS_ACCOUNT (self), NULL);

  identities = g_ptr_array_new_with_free_func ((GDestroyNotify) kurir_identity_free);
  primary = kurir_identity_new (self->display_name, self->email);
  primary->reply_to = g_strdup (self->reply_to);
  primary->signature = g_strdup (self->signature);
  g_ptr_array_add (identities, primary);
  for (guint i = 0; i < self->identities->len; i++)
    g_ptr_array_add (identities, kurir_identity_copy (g_ptr_array_index (self->identities, i)));
  return identities;
}

/**
 * kurir_account_set_identities:
 * @identities: (element-type KurirIdentity): the primary identity first
 *
 * The first identity sets the account's address, display name, reply-to
 * and signature; the others replace the further identities. Checked by
 * kurir_account_check() and kurir_account_save().
 */
void
kurir_account_set_identities (KurirAccount *self,
                              GPtrArray    *identities)
{
  const KurirIdentity *primary;

  g_return_if_fail (KURIR_IS_ACCOUNT (self));
  g_return_if_fail (identities != NULL && identities->len > 0);

  primary = g_ptr_array_index (identities, 0);
  kurir_account_set_email (self, primary->address);
  kurir_account_set_display_name (self, primary->name);
  kurir_account_set_reply_to (self, primary->reply_to);
  kurir_account_set_signature (self, primary->signature);
  g_ptr_array_set_size (self->identities, 0);
  for (guint i = 1; i < identities->len; i++)
    g_ptr_array_add (self->identities, kurir_identity_copy (g_ptr_array_index (identities, i)));
}

/**
 * kurir_account_find_identity:
 *
 * Returns: (transfer full) (nullable): the identity whose address is
 * @address (compared without case), or %NULL.
 */
KurirIdentity *
kurir_account_find_identity (KurirAccount *self,
                             const char   *address)
{
  g_autoptr(GPtrArray) identities = NULL;

  g_return_val_if_fail (KURIR_IS_ACCOUNT (self), NULL);

  if (address == NULL)
    return NULL;
  identities = kurir_account_dup_identities (self);
  for (guint i = 0; i < identities->len; i++)
    {
      KurirIdentity *identity = g_ptr_array_index (identities, i);

      if (g_ascii_strcasecmp (identity->address, address) == 0)
        return kurir_identity_copy (identity);
    }
  return NULL;
}

/**
 * kurir_account_new_connection:
 * @protocol: the account's incoming protocol, or %KURIR_PROTOCOL_SMTP
 *
 * A connection, not yet connected, to the account's incoming or outgoing
 * server, with its security, its CA file and the certificate the user
 * pinned for that server, if any.
 */
KurirConnection *
kurir_account_new_connection (KurirAccount   *self,
                              KurirProtocol   protocol,
                              GError        **error)
{
  g_autoptr(KurirConnection) connection = NULL;
  gboolean outgoing = protocol == KURIR_PROTOCOL_SMTP;
  const char *host;

  g_return_val_if_fail (KURIR_IS_ACCOUNT (self), NULL);
  g_return_val_if_fail (outgoing || protocol == self->protocol, NULL);

  host = outgoing ? self->smtp_host : self->host;
  if (host == NULL)
    {
      g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID,
                   outgoing ? "No outgoing (SMTP) server is set up"
                            : "No incoming server is set up");
      return NULL;
    }

  connection = kurir_connection_new (host,
                                     outgoing ? kurir_account_get_smtp_port (self)
                                              : kurir_account_get_port (self),
                                     outgoing ? self->smtp_security : self->security);
  if (self->ca_file != NULL && !kurir_connection_set_ca_file (connection, self->ca_file, error))
    return NULL;
  kurir_trust_apply (connection, protocol);

  return g_steal_pointer (&connection);
}

/**
 * kurir_account_check:
 *
 * Checks that the settings make a usable account. An unencrypted server
 * (incoming or outgoing) is refused unless plaintext was allowed.
 */
gboolean
kurir_account_check (KurirAccount  *self,
                     GError       **error)
{
  g_return_val_if_fail (KURIR_IS_ACCOUNT (self), FALSE);

  if (!kurir_account_name_is_valid (self->name, error))
    return FALSE;

  if (!kurir_identity_address_is_valid (self->email))
    {
      g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID,
                   "“%s” is not an email address", self->email ? self->email : "");
      return FALSE;
    }

  if (self->protocol != KURIR_PROTOCOL_LOCAL && !is_valid_host (self->host))
    {
      g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID,
                   "“%s” is not a server name", self->host ? self->host : "");
      return FALSE;
    }

  if (self->smtp_host != NULL && !is_valid_host (self->smtp_host))
    {
      g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID,
                   "“%s” is not a server name", self->smtp_host);
      return FALSE;
    }

  if (!self->allow_plaintext &&
      ((self->protocol != KURIR_PROTOCOL_LOCAL && self->security == KURIR_SECURITY_NONE) ||
       (self->smtp_host != NULL && self->smtp_security == KURIR_SECURITY_NONE)))
    {
      g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_PLAINTEXT_REFUSED,
                   "Security “none” would send the password and mail to %s unencrypted; "
                   "choose tls or starttls, or allow it explicitly with --allow-plaintext",
                   self->security == KURIR_SECURITY_NONE ? self->host : self->smtp_host);
      return FALSE;
    }

  {
    g_autoptr(GPtrArray) identities = kurir_account_dup_identities (self);

    if (identities->len > MAX_IDENTITIES)
      {
        g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID,
                     "An account has at most %d identities", MAX_IDENTITIES);
        return FALSE;
      }
    for (guint i = 0; i < identities->len; i++)
      if (!kurir_identity_check (g_ptr_array_index (identities, i), error))
        return FALSE;
  }

  return TRUE;
}

/**
 * kurir_account_name_is_valid:
 *
 * An account name is also a file name: 1 to 64 characters of UTF-8, no
 * '/', no control characters, not starting with '.'.
 */
gboolean
kurir_account_name_is_valid (const char  *name,
                             GError     **error)
{
  gboolean valid = name != NULL && *name != '\0' && *name != '.' &&
                   g_utf8_validate (name, -1, NULL) &&
                   g_utf8_strlen (name, -1) <= MAX_NAME_LENGTH &&
                   strchr (name, '/') == NULL && strchr (name, '\\') == NULL;

  for (const char *p = name; valid && *p; p++)
    if (g_ascii_iscntrl (*p))
      valid = FALSE;

  if (!valid)
    g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID,
                 "“%s” cannot be an account name: use up to %d characters, "
                 "without “/” and not starting with “.”",
                 name && g_utf8_validate (name, -1, NULL) ? name : "?", MAX_NAME_LENGTH);
  return valid;
}

char *
kurir_account_get_config_dir (void)
{
  return g_build_filename (g_get_user_config_dir (), "kurir", "accounts", NULL);
}

gboolean
kurir_account_exists (const char *name)
{
  g_autofree char *path = NULL;

  if (!kurir_account_name_is_valid (name, NULL))
    return FALSE;
  path = account_path (name);
  return g_file_test (path, G_FILE_TEST_EXISTS);
}

KurirAccount *
kurir_account_load (const char  *name,
                    GError     **error)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *path = NULL;
  KurirAccount *self;

  if (!kurir_account_name_is_valid (name, error))
    return NULL;

  path = account_path (name);
  if (!g_key_file_load_from_file (key_file, path, G_KEY_FILE_KEEP_COMMENTS, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_NOT_FOUND,
                     "There is no account called “%s”", name);
      else
        g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_FAILED,
                     "Cannot read the settings of account “%s” (%s): %s",
                     name, path, local_error->message);
      return NULL;
    }

  self = account_from_key_file (name, key_file, &local_error);
  if (self == NULL)
    g_set_error (error, KURIR_ACCOUNT_ERROR, local_error->code,
                 "The settings of account “%s” (%s) are damaged: %s",
                 name, path, local_error->message);
  return self;
}

/**
 * kurir_account_load_all:
 *
 * Returns: (transfer full): every account, sorted by name. An account
 *   whose file is damaged is left out with a warning, so one bad file
 *   does not hide the others.
 */
GPtrArray *
kurir_account_load_all (GError **error)
{
  g_autoptr(GPtrArray) accounts = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *dir_path = kurir_account_get_config_dir ();
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *file;

  dir = g_dir_open (dir_path, 0, &local_error);
  if (dir == NULL)
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return g_steal_pointer (&accounts);
      g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_FAILED,
                   "Cannot read the account settings in %s: %s",
                   dir_path, local_error->message);
      return NULL;
    }

  while ((file = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *name = NULL;
      g_autoptr(GError) load_error = NULL;
      KurirAccount *account;

      if (!g_str_has_suffix (file, FILE_SUFFIX) || file[0] == '.')
        continue;
      name = g_strndup (file, strlen (file) - strlen (FILE_SUFFIX));
      account = kurir_account_load (name, &load_error);
      if (account == NULL)
        {
          g_warning ("%s", load_error->message);
          continue;
        }
      g_ptr_array_add (accounts, account);
    }

  g_ptr_array_sort (accounts, compare_by_name);
  return g_steal_pointer (&accounts);
}

void
kurir_account_load_all_async (GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, kurir_account_load_all_async);
  g_task_run_in_thread (task, load_all_thread);
}

GPtrArray *
kurir_account_load_all_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * kurir_account_save:
 *
 * Writes the settings atomically, keeping keys this version does not know.
 */
gboolean
kurir_account_save (KurirAccount  *self,
                    GError       **error)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *data = NULL;
  gsize length;

  g_return_val_if_fail (KURIR_IS_ACCOUNT (self), FALSE);

  if (!kurir_account_check (self, error))
    return FALSE;

  dir = kurir_account_get_config_dir ();
  path = account_path (self->name);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_FAILED,
                   "Cannot create %s: %s", dir, g_strerror (saved_errno));
      return FALSE;
    }

  /* Keep what a newer version wrote. */
  g_key_file_load_from_file (key_file, path, G_KEY_FILE_KEEP_COMMENTS, NULL);

  g_key_file_set_string (key_file, GROUP_ACCOUNT, "email", self->email);
  g_key_file_set_string (key_file, GROUP_ACCOUNT, "protocol",
                         kurir_protocol_to_string (self->protocol));

  key_file_set_or_remove (key_file, GROUP_INCOMING, "host", self->host);
  key_file_set_port (key_file, GROUP_INCOMING, self->port);
  g_key_file_set_string (key_file, GROUP_INCOMING, "security",
                         kurir_security_to_string (self->security));
  key_file_set_or_remove (key_file, GROUP_INCOMING, "user", self->user);
  key_file_set_or_remove (key_file, GROUP_INCOMING, "ca-file", self->ca_file);
  g_key_file_set_boolean (key_file, GROUP_INCOMING, "allow-plaintext", self->allow_plaintext);

  key_file_set_or_remove (key_file, GROUP_OUTGOING, "host", self->smtp_host);
  key_file_set_port (key_file, GROUP_OUTGOING, self->smtp_port);
  g_key_file_set_string (key_file, GROUP_OUTGOING, "security",
                         kurir_security_to_string (self->smtp_security));
  key_file_set_or_remove (key_file, GROUP_OUTGOING, "user", self->smtp_user);

  g_key_file_set_boolean (key_file, GROUP_POP3, "leave-on-server", self->leave_on_server);
  g_key_file_set_uint64 (key_file, GROUP_POP3, "delete-after-days", self->delete_after_days);
  g_key_file_set_boolean (key_file, GROUP_POP3, "delete-when-deleted-here",
                          self->delete_when_deleted_here);
  g_key_file_set_string (key_file, GROUP_IMAP, "keep-offline",
                         kurir_keep_offline_to_string (self->keep_offline));
  g_key_file_set_uint64 (key_file, GROUP_POP3, "size-limit-kb", self->size_limit_kb);
  g_key_file_set_uint64 (key_file, GROUP_ACCOUNT, "check-interval", self->check_interval);
  g_key_file_set_boolean (key_file, GROUP_ACCOUNT, "remember-password", self->remember_password);
  key_file_set_or_remove (key_file, GROUP_ACCOUNT, "display-name", self->display_name);
  key_file_set_or_remove (key_file, GROUP_ACCOUNT, "reply-to", self->reply_to);
  key_file_set_or_remove (key_file, GROUP_ACCOUNT, "signature", self->signature);
  {
    g_auto(GStrv) groups = g_key_file_get_groups (key_file, NULL);

    for (guint i = 0; groups[i] != NULL; i++)
      if (g_str_has_prefix (groups[i], GROUP_IDENTITY_PREFIX))
        g_key_file_remove_group (key_file, groups[i], NULL);
  }
  for (guint i = 0; i < self->identities->len; i++)
    {
      const KurirIdentity *identity = g_ptr_array_index (self->identities, i);
      g_autofree char *group = g_strdup_printf (GROUP_IDENTITY_PREFIX "%u", i + 1);

      g_key_file_set_string (key_file, group, "address", identity->address);
      key_file_set_or_remove (key_file, group, "name", identity->name);
      key_file_set_or_remove (key_file, group, "reply-to", identity->reply_to);
      key_file_set_or_remove (key_file, group, "signature", identity->signature);
    }

  data = g_key_file_to_data (key_file, &length, NULL);
  if (!g_file_set_contents_full (path, data, length,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0600, &local_error))
    {
      g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_FAILED,
                   "Cannot save the settings of account “%s”: %s",
                   self->name, local_error->message);
      return FALSE;
    }

  return TRUE;
}

gboolean
kurir_account_delete (const char  *name,
                      GError     **error)
{
  g_autofree char *path = NULL;

  if (!kurir_account_name_is_valid (name, error))
    return FALSE;

  path = account_path (name);
  if (g_unlink (path) != 0)
    {
      int saved_errno = errno;

      if (saved_errno == ENOENT)
        g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_NOT_FOUND,
                     "There is no account called “%s”", name);
      else
        g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_FAILED,
                     "Cannot remove %s: %s", path, g_strerror (saved_errno));
      return FALSE;
    }

  return TRUE;
}

static const char * const keep_offline_names[] = { "auto", "all", "none" };

const char *
kurir_keep_offline_to_string (KurirKeepOffline keep)
{
  g_return_val_if_fail (keep <= KURIR_KEEP_OFFLINE_NONE, "auto");
  return keep_offline_names[keep];
}

gboolean
kurir_keep_offline_from_string (const char       *str,
                                KurirKeepOffline *out_keep)
{
  g_return_val_if_fail (str != NULL, FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (keep_offline_names); i++)
    if (g_ascii_strcasecmp (str, keep_offline_names[i]) == 0)
      {
        *out_keep = (KurirKeepOffline) i;
        return TRUE;
      }
  return FALSE;
}

/**
 * kurir_account_get_keep_offline:
 *
 * IMAP: whether message bodies are downloaded too, in which folders.
 */
KurirKeepOffline
kurir_account_get_keep_offline (KurirAccount *self)
{
  g_return_val_if_fail (KURIR_IS_ACCOUNT (self), KURIR_KEEP_OFFLINE_AUTO);
  return self->keep_offline;
}

void
kurir_account_set_keep_offline (KurirAccount     *self,
                                KurirKeepOffline  keep)
{
  g_return_if_fail (KURIR_IS_ACCOUNT (self));
  g_return_if_fail (keep <= KURIR_KEEP_OFFLINE_NONE);
  self->keep_offline = keep;
}
