/* kurir-secret.c: account passwords in libsecret
 *
 * An item's attributes are the account name, the protocol (imap, pop3,
 * smtp), the host and the user, so that a person browsing the keyring
 * sees what each password is for. Lookups use the account and protocol
 * only, so a host that changes does not orphan the password.
 *
 * A password the person asked to remember goes into the default collection
 * (the login keyring); any other into the session collection, which the
 * keyring forgets at logout. Every call is bounded: a keyring that is
 * locked behind a prompt nobody answers, or a Secret Service that never
 * replies, gives KURIR_ACCOUNT_ERROR_KEYRING after at most ten seconds, so
 * the caller can ask the person for the password instead.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-account"

#include "config.h"

#include <glib/gi18n.h>

#include "kurir-secret.h"

#define DEFAULT_TIMEOUT_MS 10000

static guint timeout_ms = DEFAULT_TIMEOUT_MS;

/* One call to libsecret: the task's data. */
typedef struct
{
  GHashTable   *attributes;   /* libsecret may read them until it is done */
  GCancellable *inner;        /* given to libsecret: the caller's or the bound's */
  GCancellable *outer;
  gulong        outer_id;
  GSource      *timeout;
  gboolean      returned;     /* by the bound, before libsecret answered */
  gboolean      remember;     /* store: the collection chosen */
  guint         pending;      /* store: copies in the other collection being deleted */
} Call;

/* Helpers */

static void
call_free (Call *call)
{
  if (call->timeout != NULL)
    {
      g_source_destroy (call->timeout);
      g_source_unref (call->timeout);
    }
  if (call->outer != NULL)
    g_cancellable_disconnect (call->outer, call->outer_id);
  g_clear_object (&call->outer);
  g_clear_object (&call->inner);
  g_hash_table_unref (call->attributes);
  g_free (call);
}

static void
outer_cancelled_cb (GCancellable *outer,
                    gpointer      user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

static gboolean
timeout_cb (gpointer user_data)
{
  GTask *task = user_data;
  Call *call = g_task_get_task_data (task);

  guint seconds = (timeout_ms + 999) / 1000;

  call->returned = TRUE;
  g_task_return_new_error (task, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_KEYRING,
                           ngettext ("The keyring did not answer within %u second",
                                     "The keyring did not answer within %u seconds", seconds),
                           seconds);
  g_cancellable_cancel (call->inner);
  g_clear_pointer (&call->timeout, g_source_unref);
  return G_SOURCE_REMOVE;
}

/* Libsecret's answer came; %FALSE when the bound already answered for it. */
static gboolean
call_answered (GTask *task)
{
  Call *call = g_task_get_task_data (task);

  if (call->timeout != NULL)
    {
      g_source_destroy (call->timeout);
      g_clear_pointer (&call->timeout, g_source_unref);
    }
  return !call->returned;
}

/* The task, its bound started, and the attributes to look for. The values
 * are copies, and the table lives as long as the task: libsecret may read
 * them after the call that was given them has returned. */
static GTask *
call_new (gpointer             source_tag,
          const char          *account_name,
          int                  protocol,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  Call *call = g_new0 (Call, 1);

  g_task_set_source_tag (task, source_tag);
  call->attributes = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_hash_table_insert (call->attributes, "account", g_strdup (account_name));
  if (protocol >= 0)
    g_hash_table_insert (call->attributes, "protocol",
                         g_strdup (kurir_protocol_to_string ((KurirProtocol) protocol)));
  call->inner = g_cancellable_new ();
  if (cancellable != NULL)
    {
      call->outer = g_object_ref (cancellable);
      call->outer_id = g_cancellable_connect (cancellable, G_CALLBACK (outer_cancelled_cb),
                                              g_object_ref (call->inner), g_object_unref);
    }
  g_task_set_task_data (task, call, (GDestroyNotify) call_free);

  /* The task outlives the source: libsecret's callback holds it. */
  call->timeout = g_timeout_source_new (timeout_ms);
  g_source_set_callback (call->timeout, timeout_cb, task, NULL);
  g_source_set_static_name (call->timeout, "[kurir] keyring bound");
  g_source_attach (call->timeout, g_task_get_context (task));
  return task;
}

static Call *
task_call (GTask *task)
{
  return g_task_get_task_data (task);
}

static GError *
keyring_error (GError     *error,
               const char *what)
{
  GError *ret;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);
  ret = g_error_new (KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_KEYRING,
                     "%s: %s", what, error->message);
  return ret;
}

static gboolean
in_session_collection (SecretItem *item)
{
  return g_str_has_prefix (g_dbus_proxy_get_object_path (G_DBUS_PROXY (item)),
                           "/org/freedesktop/secrets/collection/session/");
}

/* Callbacks */

static void
stale_deleted_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  Call *call = task_call (task);

  /* The new password is stored: a copy left behind is only untidy. */
  if (!secret_item_delete_finish (SECRET_ITEM (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("Could not delete a password kept in the other keyring collection: %s",
               error->message);
  if (--call->pending == 0 && call_answered (task))
    g_task_return_boolean (task, TRUE);
}

static void
stale_found_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  Call *call = task_call (task);
  GList *items;

  items = secret_service_search_finish (NULL, result, &error);
  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("Could not look for older copies of a password: %s", error->message);

  /* The item just stored is in the collection asked for; copies in the
   * other one (stored before with the other choice) go. */
  call->pending = 1;
  for (GList *l = items; l != NULL; l = l->next)
    if (in_session_collection (l->data) == call->remember)
      {
        call->pending++;
        secret_item_delete (l->data, call->inner, stale_deleted_cb, g_object_ref (task));
      }
  g_list_free_full (items, g_object_unref);
  if (--call->pending == 0 && call_answered (task))
    g_task_return_boolean (task, TRUE);
}

static void
store_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  Call *call = task_call (task);
  gboolean stored;

  stored = secret_password_store_finish (result, &error);
  if (call->returned)
    return;
  if (!stored)
    {
      if (call_answered (task))
        g_task_return_error (task, keyring_error (error, _("The keyring could not store the password")));
      return;
    }
  /* By account and protocol only, as lookups go: also copies for an
   * older host or user. */
  g_hash_table_remove (call->attributes, "host");
  g_hash_table_remove (call->attributes, "user");
  secret_service_search (NULL, kurir_secret_get_schema (), call->attributes, SECRET_SEARCH_ALL,
                         call->inner, stale_found_cb, g_steal_pointer (&task));
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
  if (!call_answered (task))
    {
      if (password != NULL)
        secret_password_free (password);
      return;
    }
  if (error != NULL)
    g_task_return_error (task, keyring_error (error, _("The keyring could not give the password")));
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
  if (!call_answered (task))
    return;
  if (error != NULL)
    g_task_return_error (task, keyring_error (error, _("The keyring could not delete the password")));
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
  GHashTable *attributes;
  Call *call;
  g_autofree char *label = NULL;

  g_return_if_fail (account_name != NULL);
  g_return_if_fail (host != NULL);
  g_return_if_fail (user != NULL);
  g_return_if_fail (password != NULL);

  task = call_new (kurir_secret_store_async, account_name, protocol,
                   cancellable, callback, user_data);
  call = task_call (task);
  call->remember = remember;
  attributes = call->attributes;
  g_hash_table_insert (attributes, "host", g_strdup (host));
  g_hash_table_insert (attributes, "user", g_strdup (user));
  label = g_strdup_printf ("Kurir: %s (%s, %s on %s)", account_name,
                           kurir_protocol_to_string (protocol), user, host);

  secret_password_storev (kurir_secret_get_schema (), attributes,
                          remember ? SECRET_COLLECTION_DEFAULT : SECRET_COLLECTION_SESSION,
                          label, password, call->inner, store_cb,
                          g_steal_pointer (&task));
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
  Call *call;

  g_return_if_fail (account_name != NULL);

  task = call_new (kurir_secret_lookup_async, account_name, protocol,
                   cancellable, callback, user_data);
  call = task_call (task);
  secret_password_lookupv (kurir_secret_get_schema (), call->attributes,
                           call->inner, lookup_cb, g_steal_pointer (&task));
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
  Call *call;

  g_return_if_fail (account_name != NULL);

  task = call_new (kurir_secret_clear_async, account_name, protocol,
                   cancellable, callback, user_data);
  call = task_call (task);
  secret_password_clearv (kurir_secret_get_schema (), call->attributes,
                          call->inner, clear_cb, g_steal_pointer (&task));
}

gboolean
kurir_secret_clear_finish (GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * kurir_secret_set_timeout:
 * @milliseconds: how long a keyring call may take; 0 for the default (10 s)
 *
 * For tests, which cannot wait ten seconds for a keyring that never
 * answers.
 */
void
kurir_secret_set_timeout (guint milliseconds)
{
  timeout_ms = milliseconds > 0 ? milliseconds : DEFAULT_TIMEOUT_MS;
}

void
kurir_secret_free (char *password)
{
  secret_password_free (password);
}
