/* kurir-autoconfig-login.c: a login test before an account is saved
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-account"

#include "config.h"

#include <string.h>

#include "kurir-autoconfig-login.h"
#include "kurir-trust.h"
#include "imap/kurir-imap-client.h"
#include "imap/kurir-imap-error.h"
#include "net/kurir-net-error.h"
#include "pop3/kurir-pop3-client.h"
#include "smtp/kurir-smtp-client.h"

#define LOGIN_TIMEOUT 30

typedef struct
{
  KurirProtocol    protocol;
  KurirConnection *connection;
  GObject         *client;
  char            *user;
  char            *password;
  KurirLoginCertificate *certificate;
} LoginData;

/* Helpers */

static void
login_data_free (LoginData *data)
{
  g_clear_object (&data->client);
  g_clear_object (&data->connection);
  g_free (data->user);
  if (data->password != NULL)
    {
      memset (data->password, 0, strlen (data->password));
      g_free (data->password);
    }
  g_clear_pointer (&data->certificate, kurir_login_certificate_free);
  g_free (data);
}

static void
close_client (LoginData *data)
{
  switch (data->protocol)
    {
    case KURIR_PROTOCOL_IMAP:
      kurir_imap_client_close (KURIR_IMAP_CLIENT (data->client));
      break;
    case KURIR_PROTOCOL_POP3:
      kurir_pop3_client_disconnect (KURIR_POP3_CLIENT (data->client));
      break;
    default:
      kurir_smtp_client_disconnect (KURIR_SMTP_CLIENT (data->client));
      break;
    }
}

static void
fail (GTask  *task,
      GError *error)
{
  LoginData *data = g_task_get_task_data (task);
  const char *what = data->protocol == KURIR_PROTOCOL_SMTP ? "Outgoing" : "Incoming";

  if (g_error_matches (error, KURIR_NET_ERROR, KURIR_NET_ERROR_CERTIFICATE))
    {
      KurirLoginCertificate *info = g_new0 (KurirLoginCertificate, 1);
      GTlsCertificate *certificate = kurir_connection_get_peer_certificate (data->connection);

      info->host = g_strdup (kurir_connection_get_host (data->connection));
      info->port = kurir_connection_get_port (data->connection);
      info->protocol = data->protocol;
      info->certificate = certificate ? g_object_ref (certificate) : NULL;
      info->errors = kurir_connection_get_peer_certificate_errors (data->connection);
      data->certificate = info;
    }

  close_client (data);
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_prefix_error (&error, "%s server %s (%s): ", what,
                    kurir_connection_get_host (data->connection),
                    kurir_protocol_to_string (data->protocol));
  g_task_return_error (task, error);
  g_object_unref (task);
}

static void
logged_out_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LoginData *data = g_task_get_task_data (task);

  /* Logged in already: how the goodbye went does not matter. */
  switch (data->protocol)
    {
    case KURIR_PROTOCOL_IMAP:
      kurir_imap_client_logout_finish (KURIR_IMAP_CLIENT (source), result, NULL);
      break;
    case KURIR_PROTOCOL_POP3:
      kurir_pop3_client_quit_finish (KURIR_POP3_CLIENT (source), result, NULL);
      break;
    default:
      kurir_smtp_client_quit_finish (KURIR_SMTP_CLIENT (source), result, NULL);
      break;
    }
  close_client (data);
  g_task_return_boolean (task, TRUE);
}

static void
authenticated_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  LoginData *data = g_task_get_task_data (task);
  GError *error = NULL;
  gboolean ok;

  switch (data->protocol)
    {
    case KURIR_PROTOCOL_IMAP:
      ok = kurir_imap_client_authenticate_finish (KURIR_IMAP_CLIENT (source), result, &error);
      if (ok)
        kurir_imap_client_logout_async (KURIR_IMAP_CLIENT (source), NULL, logged_out_cb, task);
      break;
    case KURIR_PROTOCOL_POP3:
      ok = kurir_pop3_client_authenticate_finish (KURIR_POP3_CLIENT (source), result, &error);
      if (ok)
        kurir_pop3_client_quit_async (KURIR_POP3_CLIENT (source), NULL, logged_out_cb, task);
      break;
    default:
      ok = kurir_smtp_client_authenticate_finish (KURIR_SMTP_CLIENT (source), result, &error);
      if (ok)
        kurir_smtp_client_quit_async (KURIR_SMTP_CLIENT (source), NULL, logged_out_cb, task);
      break;
    }
  if (!ok)
    fail (task, error);
}

static void
connected_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  LoginData *data = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  GError *error = NULL;
  gboolean ok;

  switch (data->protocol)
    {
    case KURIR_PROTOCOL_IMAP:
      ok = kurir_imap_client_connect_finish (KURIR_IMAP_CLIENT (source), result, &error);
      if (ok)
        kurir_imap_client_authenticate_async (KURIR_IMAP_CLIENT (source), data->user, data->password,
                                              cancellable, authenticated_cb, task);
      break;
    case KURIR_PROTOCOL_POP3:
      ok = kurir_pop3_client_connect_finish (KURIR_POP3_CLIENT (source), result, &error);
      if (ok)
        kurir_pop3_client_authenticate_async (KURIR_POP3_CLIENT (source), data->user, data->password,
                                              cancellable, authenticated_cb, task);
      break;
    default:
      ok = kurir_smtp_client_connect_finish (KURIR_SMTP_CLIENT (source), result, &error);
      if (ok)
        kurir_smtp_client_authenticate_async (KURIR_SMTP_CLIENT (source), data->user, data->password,
                                              cancellable, authenticated_cb, task);
      break;
    }
  if (!ok)
    fail (task, error);
}

/* Public API */

void
kurir_login_certificate_free (KurirLoginCertificate *info)
{
  if (info == NULL)
    return;
  g_free (info->host);
  g_clear_object (&info->certificate);
  g_free (info);
}

void
kurir_login_test_async (KurirAccount        *account,
                        gboolean             outgoing,
                        const char          *user,
                        const char          *password,
                        GTlsCertificate     *trusted_once,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  LoginData *data;
  const char *host;
  guint16 port;
  KurirSecurity security;
  gboolean allow_plaintext;

  g_return_if_fail (KURIR_IS_ACCOUNT (account));
  g_return_if_fail (password != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, kurir_login_test_async);

  data = g_new0 (LoginData, 1);
  g_task_set_task_data (task, data, (GDestroyNotify) login_data_free);
  data->password = g_strdup (password);
  allow_plaintext = kurir_account_get_allow_plaintext (account);

  if (outgoing)
    {
      data->protocol = KURIR_PROTOCOL_SMTP;
      host = kurir_account_get_smtp_host (account);
      port = kurir_account_get_smtp_port (account);
      security = kurir_account_get_smtp_security (account);
      data->user = g_strdup (user ? user : kurir_account_get_smtp_user (account));
    }
  else
    {
      data->protocol = kurir_account_get_protocol (account);
      host = kurir_account_get_host (account);
      port = kurir_account_get_port (account);
      security = kurir_account_get_security (account);
      data->user = g_strdup (user ? user : kurir_account_get_user (account));
    }

  if (host == NULL || port == 0 || data->user == NULL ||
      (data->protocol != KURIR_PROTOCOL_IMAP && data->protocol != KURIR_PROTOCOL_POP3 &&
       data->protocol != KURIR_PROTOCOL_SMTP))
    {
      g_task_return_new_error (task, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID,
                               "The %s server, its port and the user name are needed",
                               outgoing ? "outgoing" : "incoming");
      return;
    }

  data->connection = kurir_connection_new (host, port, security);
  kurir_connection_set_timeout (data->connection, LOGIN_TIMEOUT);
  if (kurir_account_get_ca_file (account) != NULL &&
      !kurir_connection_set_ca_file (data->connection, kurir_account_get_ca_file (account), &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  kurir_trust_apply (data->connection, data->protocol);
  if (trusted_once != NULL)
    kurir_connection_set_pinned_certificate (data->connection, trusted_once);

  switch (data->protocol)
    {
    case KURIR_PROTOCOL_IMAP:
      data->client = G_OBJECT (kurir_imap_client_new (data->connection));
      kurir_imap_client_set_allow_plaintext (KURIR_IMAP_CLIENT (data->client), allow_plaintext);
      kurir_imap_client_set_timeout (KURIR_IMAP_CLIENT (data->client), LOGIN_TIMEOUT);
      kurir_imap_client_connect_async (KURIR_IMAP_CLIENT (data->client), cancellable,
                                       connected_cb, g_steal_pointer (&task));
      break;
    case KURIR_PROTOCOL_POP3:
      data->client = G_OBJECT (kurir_pop3_client_new (data->connection));
      kurir_pop3_client_set_allow_plaintext (KURIR_POP3_CLIENT (data->client), allow_plaintext);
      kurir_pop3_client_connect_async (KURIR_POP3_CLIENT (data->client), cancellable,
                                       connected_cb, g_steal_pointer (&task));
      break;
    default:
      data->client = G_OBJECT (kurir_smtp_client_new (data->connection));
      kurir_smtp_client_set_allow_plaintext (KURIR_SMTP_CLIENT (data->client), allow_plaintext);
      kurir_smtp_client_connect_async (KURIR_SMTP_CLIENT (data->client), cancellable,
                                       connected_cb, g_steal_pointer (&task));
      break;
    }
}

gboolean
kurir_login_test_finish (GAsyncResult           *result,
                         KurirLoginCertificate **out_certificate,
                         GError                **error)
{
  LoginData *data;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  data = g_task_get_task_data (G_TASK (result));
  if (out_certificate != NULL)
    *out_certificate = data != NULL ? g_steal_pointer (&data->certificate) : NULL;
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
kurir_login_error_is_auth_failure (const GError *error)
{
  return g_error_matches (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_AUTH_FAILED) ||
         g_error_matches (error, KURIR_POP3_ERROR, KURIR_POP3_ERROR_AUTH_FAILED) ||
         g_error_matches (error, KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_AUTH_FAILED);
}
