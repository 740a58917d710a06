/* pop3-test-helpers.h: synchronous, bounded wrappers around the POP3
 * client's async API, for the unit and integration tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "kurir-pop3-client.h"
#include "kurir-test-util.h"

static inline gboolean
pop3_connect (KurirPop3Client  *client,
              GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kurir_pop3_client_connect_async (client, NULL, kurir_test_store_result, &result);
  return kurir_pop3_client_connect_finish (client, kurir_test_wait (&result), error);
}

static inline gboolean
pop3_login (KurirPop3Client  *client,
            const char       *user,
            const char       *password,
            GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kurir_pop3_client_authenticate_async (client, user, password, NULL,
                                        kurir_test_store_result, &result);
  return kurir_pop3_client_authenticate_finish (client, kurir_test_wait (&result), error);
}

static inline gboolean
pop3_stat (KurirPop3Client  *client,
           guint            *count,
           guint64          *size,
           GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kurir_pop3_client_stat_async (client, NULL, kurir_test_store_result, &result);
  return kurir_pop3_client_stat_finish (client, kurir_test_wait (&result), count, size, error);
}

static inline GArray *
pop3_list (KurirPop3Client  *client,
           GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kurir_pop3_client_list_async (client, NULL, kurir_test_store_result, &result);
  return kurir_pop3_client_list_finish (client, kurir_test_wait (&result), error);
}

static inline GArray *
pop3_uidl (KurirPop3Client  *client,
           gboolean         *from_headers,
           GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kurir_pop3_client_uidl_async (client, NULL, kurir_test_store_result, &result);
  return kurir_pop3_client_uidl_finish (client, kurir_test_wait (&result), from_headers, error);
}

static inline GBytes *
pop3_top (KurirPop3Client  *client,
          guint             number,
          guint             lines,
          GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kurir_pop3_client_top_async (client, number, lines, NULL, kurir_test_store_result, &result);
  return kurir_pop3_client_top_finish (client, kurir_test_wait (&result), error);
}

static inline GBytes *
pop3_retr (KurirPop3Client  *client,
           guint             number,
           GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kurir_pop3_client_retrieve_async (client, number, NULL, kurir_test_store_result, &result);
  return kurir_pop3_client_retrieve_finish (client, kurir_test_wait (&result), error);
}

static inline gboolean
pop3_collect_cb (guint     number,
                 GBytes   *message,
                 gpointer  user_data,
                 GError  **error)
{
  g_ptr_array_add (user_data, g_bytes_ref (message));
  return TRUE;
}

/* Returns the messages in order, as a GPtrArray of GBytes. */
static inline GPtrArray *
pop3_retr_many (KurirPop3Client  *client,
                const guint      *numbers,
                guint             n,
                GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  kurir_pop3_client_retrieve_many_async (client, numbers, n, pop3_collect_cb,
                                         g_ptr_array_ref (messages),
                                         (GDestroyNotify) g_ptr_array_unref,
                                         NULL, kurir_test_store_result, &result);
  if (!kurir_pop3_client_retrieve_many_finish (client, kurir_test_wait (&result), error))
    return NULL;
  return g_steal_pointer (&messages);
}

static inline gboolean
pop3_dele (KurirPop3Client  *client,
           guint             number,
           GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kurir_pop3_client_delete_async (client, number, NULL, kurir_test_store_result, &result);
  return kurir_pop3_client_delete_finish (client, kurir_test_wait (&result), error);
}

static inline gboolean
pop3_noop (KurirPop3Client  *client,
           GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kurir_pop3_client_noop_async (client, NULL, kurir_test_store_result, &result);
  return kurir_pop3_client_noop_finish (client, kurir_test_wait (&result), error);
}

static inline gboolean
pop3_rset (KurirPop3Client  *client,
           GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kurir_pop3_client_reset_async (client, NULL, kurir_test_store_result, &result);
  return kurir_pop3_client_reset_finish (client, kurir_test_wait (&result), error);
}

static inline gboolean
pop3_quit (KurirPop3Client  *client,
           GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kurir_pop3_client_quit_async (client, NULL, kurir_test_store_result, &result);
  return kurir_pop3_client_quit_finish (client, kurir_test_wait (&result), error);
}
