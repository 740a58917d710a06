/* kurir-secret.c: account passwords in libsecret
 *
 * An item's attributes are the account name, the protocol (imap, pop3,
 * smtp), the host and the user, so that a person browsing the keyring
 * sees what each password is for. Lookups use the account and protocol
 * only, so a host that changes does not orphan the password.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-account"

#include "config.h"

#include "kurir-secret.h"

/* Helpers */

/* The values are copies, and the table lives as long as @task: libsecret
 * may read them after the call that was given them has returned. */
static GHashTable *
make_attributes (GTask      *task,
                 const char *account_name,
                 int         protocol)
{
  GHashTable *attributes = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);

  g_hash_table_insert (attributes, "account", g_strdup (account_name));
  if (protocol >= 0)
    g_hash_table_insert (attributes, "protocol",
                         g_strdup (kurir_protocol_to_string ((KurirProtocol) protocol)));
  g_task_set_task_data (task, g_hash_table_ref (attributes), (GDestroyNotify) g_hash_table_unref);
  return attributes;
}

static GError *
keyring_error (GError     *error,
               const char *what)
{
  GError *ret;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);
  ret = g_error_new (KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_KEYRING,
                     "The keyring could not %s: %s", what, error->message);
  return ret;
}

/* Callbacks */

static void
store_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!secret_password_store_finish (result, &error))
    g_task_return_error (task, keyring_error (error, "store the password"));
  else
    g_task_return_boolean (task, TRUE);
}

static void
lookup_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  char *password;

  password = secret_password_lookup_finish (result, &error);
  if (error != NULL)
    g_task_return_error (task, keyring_error (error, "give the password"));
  else
    g_task_return_pointer (task, password, (GDestroyNotify) secret_password_free);
}

static void
clear_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  /* FALSE without an error only means there was nothing to clear. */
  secret_password_clear_finish (result, &error);
  if (error != NULL)
    g_task_return_error (task, keyring_error (error, "delete the password"));
  else
    g_task_return_boolean (task, TRUE);
}

/* Public API */

const SecretSchema *
kurir_secret_get_schema (void)
{
  static const SecretSchema schema = {
    "io.github.kurir.Kurir.Password", SECRET_SCHEMA_DONT_MATCH_NAME,
    {
      { "account", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "protocol", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "host", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "user", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    }
  };

  return &schema;
}

/**
 * kurir_secret_store_async:
 * @remember: %TRUE to keep the password in the default (login) keyring,
 *   %FALSE to keep it only for this session
 *
 * Stores the password of one server of an account, replacing the one
 * stored before for the same account and protocol.
 */
void
kurir_secret_store_async (const char          *account_name,
                          KurirProtocol        protocol,
                          const char          *host,
                          const char          *user,
                          const char          *password,
                          gboolean             remember,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GHashTable) attributes = NULL;
  g_autofree char *label = NULL;

  g_return_if_fail (account_name != NULL);
  g_return_if_fail (host != NULL);
  g_return_if_fail (user != NULL);
  g_return_if_fail (password != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, kurir_secret_store_async);

  attributes = make_attributes (task, account_name, protocol);
  g_hash_table_insert (attributes, "host", g_strdup (host));
  g_hash_table_insert (attributes, "user", g_strdup (user));
  label = g_strdup_printf ("Kurir: %s (%s, %s on %s)", account_name,
                           kurir_protocol_to_string (protocol), user, host);

  secret_password_storev (kurir_secret_get_schema (), attributes,
                          remember ? SECRET_COLLECTION_DEFAULT : SECRET_COLLECTION_SESSION,
                          label, password, cancellable, store_cb, g_steal_pointer (&task));
}

gboolean
kurir_secret_store_finish (GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
kurir_secret_lookup_async (const char          *account_name,
                           KurirProtocol        protocol,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GHashTable) attributes = NULL;

  g_return_if_fail (account_name != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, kurir_secret_lookup_async);

  attributes = make_attributes (task, account_name, protocol);
  secret_password_lookupv (kurir_secret_get_schema (), attributes, cancellable,
                           lookup_cb, g_steal_pointer (&task));
}

/**
 * kurir_secret_lookup_finish:
 *
 * Returns: (nullable): the password, to be freed with kurir_secret_free(),
 *   or %NULL without an error when none is stored
 */
char *
kurir_secret_lookup_finish (GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * kurir_secret_clear_async:
 * @protocol: a #KurirProtocol, or %KURIR_SECRET_ALL_PROTOCOLS
 *
 * Deletes the account's password for @protocol, or all of them.
 */
void
kurir_secret_clear_async (const char          *account_name,
                          int                  protocol,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GHashTable) attributes = NULL;

  g_return_if_fail (account_name != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, kurir_secret_clear_async);

  attributes = make_attributes (task, account_name, protocol);
  secret_password_clearv (kurir_secret_get_schema (), attributes, cancellable,
                          clear_cb, g_steal_pointer (&task));
}

gboolean
kurir_secret_clear_finish (GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
kurir_secret_free (char *password)
{
  secret_password_free (password);
}
