/* kurir-account-usage.c: what the server holds and allows, what this
 * computer holds
 *
 * The server side logs in as a sync does (the account's connection, so
 * pins and the CA file apply) and asks one question: GETQUOTAROOT "INBOX"
 * over IMAP when the server advertises QUOTA (RFC 9208; of several quota
 * roots the fullest is reported), STAT over POP3. The local side adds up
 * the sizes of the account's message files, folder by folder, off the
 * main loop.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-sync"

#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "imap/kurir-imap-client.h"
#include "pop3/kurir-pop3-client.h"
#include "kurir-account-usage.h"

#define USAGE_TIMEOUT_SECONDS 30

typedef struct
{
  KurirAccount     *account;
  char             *password;
  KurirConnection  *connection;
  GObject          *client;      /* KurirImapClient or KurirPop3Client */
  KurirServerUsage *usage;
} ServerData;

typedef struct
{
  GPtrArray       *dirs;         /* of the account's folders */
  char            *store_path;
  KurirLocalUsage  usage;
} LocalData;

/* Helpers */

static KurirServerUsage *
server_usage_new (KurirUsageSource source)
{
  KurirServerUsage *usage = g_new0 (KurirServerUsage, 1);

  usage->source = source;
  usage->used_bytes = usage->limit_bytes = -1;
  usage->messages = usage->messages_limit = -1;
  return usage;
}

static void
server_data_free (ServerData *data)
{
  g_clear_object (&data->account);
  if (data->password != NULL)
    {
      memset (data->password, 0, strlen (data->password));
      g_free (data->password);
    }
  if (data->client != NULL && KURIR_IS_IMAP_CLIENT (data->client))
    kurir_imap_client_close (KURIR_IMAP_CLIENT (data->client));
  else if (data->client != NULL)
    kurir_pop3_client_disconnect (KURIR_POP3_CLIENT (data->client));
  g_clear_object (&data->client);
  g_clear_object (&data->connection);
  g_clear_pointer (&data->usage, kurir_server_usage_free);
  g_free (data);
}

static void
local_data_free (LocalData *data)
{
  g_ptr_array_unref (data->dirs);
  g_free (data->store_path);
  g_free (data);
}

/* The root most used in proportion to its limit, or the first one. */
static const KurirImapQuota *
fullest_root (GPtrArray *roots)
{
  const KurirImapQuota *best = NULL;
  double best_share = -1;

  for (guint i = 0; i < roots->len; i++)
    {
      const KurirImapQuota *quota = g_ptr_array_index (roots, i);
      double share = 0;

      if (quota->storage_used < 0 && quota->messages_used < 0)
        continue;
      if (quota->storage_limit > 0 && quota->storage_used >= 0)
        share = (double) quota->storage_used / (double) quota->storage_limit;
      if (quota->messages_limit > 0 && quota->messages_used >= 0)
        share = MAX (share, (double) quota->messages_used / (double) quota->messages_limit);
      if (share > best_share)
        {
          best = quota;
          best_share = share;
        }
    }
  return best;
}

static void
add_dir (const char *path,
         LocalData  *data)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (path, name, NULL);
      GStatBuf st;

      if (name[0] == '.' || g_lstat (file, &st) != 0 || !S_ISREG (st.st_mode))
        continue;
      data->usage.bytes += (guint64) st.st_size;
      data->usage.messages++;
    }
}

/* Callbacks */

static void
logged_out_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ServerData *data = g_task_get_task_data (task);

  /* The answer is in: a failed goodbye changes nothing. */
  if (KURIR_IS_IMAP_CLIENT (source))
    kurir_imap_client_logout_finish (KURIR_IMAP_CLIENT (source), result, NULL);
  else
    kurir_pop3_client_quit_finish (KURIR_POP3_CLIENT (source), result, NULL);
  g_task_return_pointer (task, g_steal_pointer (&data->usage),
                         (GDestroyNotify) kurir_server_usage_free);
}

static void
quota_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ServerData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) roots = NULL;
  const KurirImapQuota *quota;

  roots = kurir_imap_client_get_quota_root_finish (KURIR_IMAP_CLIENT (source), result, &error);
  if (roots == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  quota = fullest_root (roots);
  data->usage = server_usage_new (quota ? KURIR_USAGE_SOURCE_IMAP_QUOTA : KURIR_USAGE_SOURCE_NONE);
  if (quota != NULL)
    {
      data->usage->quota_root = g_strdup (quota->root);
      /* KiB to bytes; a limit of 0 on STORAGE is a real (full) limit. */
      if (quota->storage_used >= 0)
        {
          data->usage->used_bytes = quota->storage_used > G_MAXINT64 / 1024 ?
                                    G_MAXINT64 : quota->storage_used * 1024;
          data->usage->limit_bytes = quota->storage_limit > G_MAXINT64 / 1024 ?
                                     G_MAXINT64 : quota->storage_limit * 1024;
        }
      data->usage->messages = quota->messages_used;
      data->usage->messages_limit = quota->messages_limit;
    }
  kurir_imap_client_logout_async (KURIR_IMAP_CLIENT (source), NULL, logged_out_cb,
                                  g_steal_pointer (&task));
}

static void
stat_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ServerData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  guint count = 0;
  guint64 size = 0;

  if (!kurir_pop3_client_stat_finish (KURIR_POP3_CLIENT (source), result, &count, &size, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  data->usage = server_usage_new (KURIR_USAGE_SOURCE_POP3_STAT);
  data->usage->messages = count;
  data->usage->used_bytes = size > G_MAXINT64 ? G_MAXINT64 : (gint64) size;
  kurir_pop3_client_quit_async (KURIR_POP3_CLIENT (source), NULL, logged_out_cb,
                                g_steal_pointer (&task));
}

static void
authenticated_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  GCancellable *cancellable = g_task_get_cancellable (task);

  if (KURIR_IS_IMAP_CLIENT (source))
    {
      KurirImapClient *client = KURIR_IMAP_CLIENT (source);

      if (!kurir_imap_client_authenticate_finish (client, result, &error))
        g_task_return_error (task, g_steal_pointer (&error));
      else if (!kurir_imap_client_has_capability (client, "QUOTA"))
        {
          ServerData *data = g_task_get_task_data (task);

          data->usage = server_usage_new (KURIR_USAGE_SOURCE_NONE);
          kurir_imap_client_logout_async (client, NULL, logged_out_cb, g_steal_pointer (&task));
        }
      else
        kurir_imap_client_get_quota_root_async (client, "INBOX", cancellable, quota_cb,
                                                g_steal_pointer (&task));
    }
  else
    {
      if (!kurir_pop3_client_authenticate_finish (KURIR_POP3_CLIENT (source), result, &error))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        kurir_pop3_client_stat_async (KURIR_POP3_CLIENT (source), cancellable, stat_cb,
                                      g_steal_pointer (&task));
    }
}

static void
connected_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ServerData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  GCancellable *cancellable = g_task_get_cancellable (task);
  const char *user = kurir_account_get_user (data->account);

  if (KURIR_IS_IMAP_CLIENT (source))
    {
      if (!kurir_imap_client_connect_finish (KURIR_IMAP_CLIENT (source), result, &error))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        kurir_imap_client_authenticate_async (KURIR_IMAP_CLIENT (source), user, data->password,
                                              cancellable, authenticated_cb, g_steal_pointer (&task));
    }
  else
    {
      if (!kurir_pop3_client_connect_finish (KURIR_POP3_CLIENT (source), result, &error))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        kurir_pop3_client_authenticate_async (KURIR_POP3_CLIENT (source), user, data->password,
                                              cancellable, authenticated_cb, g_steal_pointer (&task));
    }
}

static void
local_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  LocalData *data = task_data;
  g_autoptr(GFile) root = NULL;
  g_autoptr(GFileInfo) info = NULL;

  for (guint i = 0; i < data->dirs->len; i++)
    {
      const char *dir = g_ptr_array_index (data->dirs, i);
      g_autofree char *cur = g_build_filename (dir, "cur", NULL);
      g_autofree char *new = g_build_filename (dir, "new", NULL);

      if (g_task_return_error_if_cancelled (task))
        return;
      add_dir (cur, data);
      add_dir (new, data);
    }

  data->usage.disk_free_bytes = data->usage.disk_size_bytes = -1;
  root = g_file_new_for_path (data->store_path);
  info = g_file_query_filesystem_info (root, G_FILE_ATTRIBUTE_FILESYSTEM_FREE ","
                                       G_FILE_ATTRIBUTE_FILESYSTEM_SIZE, cancellable, NULL);
  if (info != NULL && g_file_info_has_attribute (info, G_FILE_ATTRIBUTE_FILESYSTEM_SIZE))
    {
      data->usage.disk_free_bytes =
        (gint64) MIN (g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE),
                      (guint64) G_MAXINT64);
      data->usage.disk_size_bytes =
        (gint64) MIN (g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_FILESYSTEM_SIZE),
                      (guint64) G_MAXINT64);
    }
  g_task_return_boolean (task, TRUE);
}

static void
folders_listed_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LocalData *data = g_task_get_task_data (task);
  const char *account_name = g_object_get_data (G_OBJECT (task), "account");
  g_autoptr(GPtrArray) folders = NULL;
  g_autoptr(GError) error = NULL;

  folders = kurir_store_list_folders_finish (KURIR_STORE (source), result, &error);
  if (folders == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  for (guint i = 0; i < folders->len; i++)
    {
      KurirStoreFolder *folder = g_ptr_array_index (folders, i);

      g_ptr_array_add (data->dirs, kurir_store_get_folder_dir (KURIR_STORE (source), account_name,
                                                              folder->name));
    }
  g_task_run_in_thread (task, local_thread);
}

/* Public API */

void
kurir_server_usage_free (KurirServerUsage *usage)
{
  if (usage == NULL)
    return;
  g_free (usage->quota_root);
  g_free (usage);
}

void
kurir_account_server_usage_async (KurirAccount        *account,
                                  const char          *password,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  KurirProtocol protocol;
  ServerData *data;

  g_return_if_fail (KURIR_IS_ACCOUNT (account));
  g_return_if_fail (password != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, kurir_account_server_usage_async);
  data = g_new0 (ServerData, 1);
  data->account = g_object_ref (account);
  data->password = g_strdup (password);
  g_task_set_task_data (task, data, (GDestroyNotify) server_data_free);

  protocol = kurir_account_get_protocol (account);
  if (protocol != KURIR_PROTOCOL_IMAP && protocol != KURIR_PROTOCOL_POP3)
    {
      g_task_return_pointer (task, server_usage_new (KURIR_USAGE_SOURCE_NONE),
                             (GDestroyNotify) kurir_server_usage_free);
      return;
    }
  data->connection = kurir_account_new_connection (account, protocol, &error);
  if (data->connection == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  kurir_connection_set_timeout (data->connection, USAGE_TIMEOUT_SECONDS);

  if (protocol == KURIR_PROTOCOL_IMAP)
    {
      KurirImapClient *client = kurir_imap_client_new (data->connection);

      data->client = G_OBJECT (client);
      kurir_imap_client_set_allow_plaintext (client, kurir_account_get_allow_plaintext (account));
      kurir_imap_client_set_timeout (client, USAGE_TIMEOUT_SECONDS);
      kurir_imap_client_connect_async (client, cancellable, connected_cb, g_steal_pointer (&task));
    }
  else
    {
      KurirPop3Client *client = kurir_pop3_client_new (data->connection);

      data->client = G_OBJECT (client);
      kurir_pop3_client_set_allow_plaintext (client, kurir_account_get_allow_plaintext (account));
      kurir_pop3_client_connect_async (client, cancellable, connected_cb, g_steal_pointer (&task));
    }
}

KurirServerUsage *
kurir_account_server_usage_finish (GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
kurir_account_local_usage_async (KurirStore          *store,
                                 const char          *account_name,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  LocalData *data;

  g_return_if_fail (KURIR_IS_STORE (store));
  g_return_if_fail (account_name != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, kurir_account_local_usage_async);
  data = g_new0 (LocalData, 1);
  data->dirs = g_ptr_array_new_with_free_func (g_free);
  data->store_path = g_strdup (kurir_store_get_path (store));
  g_task_set_task_data (task, data, (GDestroyNotify) local_data_free);
  g_object_set_data_full (G_OBJECT (task), "account", g_strdup (account_name), g_free);

  kurir_store_list_folders_async (store, account_name, cancellable, folders_listed_cb,
                                  g_steal_pointer (&task));
}

gboolean
kurir_account_local_usage_finish (GAsyncResult     *result,
                                  KurirLocalUsage  *out_usage,
                                  GError          **error)
{
  LocalData *data;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (out_usage != NULL, FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  data = g_task_get_task_data (G_TASK (result));
  *out_usage = data->usage;
  return TRUE;
}

/**
 * kurir_account_usage_hint:
 *
 * Returns: (nullable): a sentence for the person, or %NULL
 */
char *
kurir_account_usage_hint (KurirAccount           *account,
                          const KurirServerUsage *server,
                          const KurirLocalUsage  *local)
{
  KurirProtocol protocol;
  gboolean server_full = FALSE;
  gboolean disk_full = FALSE;

  g_return_val_if_fail (KURIR_IS_ACCOUNT (account), NULL);

  protocol = kurir_account_get_protocol (account);
  if (server != NULL && server->used_bytes >= 0 && server->limit_bytes >= 0 &&
      (double) server->used_bytes >= (double) server->limit_bytes * KURIR_USAGE_NEARLY_FULL_PERCENT / 100)
    server_full = TRUE;
  if (server != NULL && server->messages >= 0 && server->messages_limit >= 0 &&
      (double) server->messages >= (double) server->messages_limit * KURIR_USAGE_NEARLY_FULL_PERCENT / 100)
    server_full = TRUE;
  if (local != NULL && local->disk_free_bytes >= 0 && local->disk_size_bytes > 0 &&
      (double) local->disk_free_bytes < (double) local->disk_size_bytes * (100 - KURIR_USAGE_NEARLY_FULL_PERCENT) / 100)
    disk_full = TRUE;

  if (server_full && disk_full)
    return g_strdup (_("Both the server and this computer’s disk are nearly full: "
                       "delete or archive some mail elsewhere to make room."));
  if (server_full && protocol == KURIR_PROTOCOL_IMAP)
    return g_strdup (_("The server is nearly full. POP3 with deletion would free the server: "
                       "your mail would be downloaded to this computer and removed from the server."));
  if (server_full && protocol == KURIR_PROTOCOL_POP3 && kurir_account_get_leave_on_server (account))
    return g_strdup (_("The server is nearly full. Deleting mail from the server after "
                       "downloading it would free the server; it stays on this computer."));
  if (server_full)
    return g_strdup (_("The server is nearly full."));
  if (disk_full && protocol == KURIR_PROTOCOL_IMAP &&
      kurir_account_get_keep_offline (account) != KURIR_KEEP_OFFLINE_NONE)
    return g_strdup (_("This computer’s disk is nearly full. IMAP without offline copies "
                       "would keep the mail on the server and only summaries here."));
  if (disk_full && protocol == KURIR_PROTOCOL_POP3)
    return g_strdup (_("This computer’s disk is nearly full, and POP3 keeps all mail here. "
                       "IMAP without offline copies would keep it on the server."));
  if (disk_full)
    return g_strdup (_("This computer’s disk is nearly full."));
  return NULL;
}
