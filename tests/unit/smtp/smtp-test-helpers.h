/* smtp-test-helpers.h: synchronous, bounded wrappers around the SMTP
 * client's async API, for the unit and integration tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <string.h>

#include "kurir-smtp-client.h"
#include "kurir-test-util.h"

static inline gboolean
smtp_connect (KurirSmtpClient  *client,
              GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kurir_smtp_client_connect_async (client, NULL, kurir_test_store_result, &result);
  return kurir_smtp_client_connect_finish (client, kurir_test_wait (&result), error);
}

static inline gboolean
smtp_login (KurirSmtpClient  *client,
            const char       *user,
            const char       *password,
            GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kurir_smtp_client_authenticate_async (client, user, password, NULL,
                                        kurir_test_store_result, &result);
  return kurir_smtp_client_authenticate_finish (client, kurir_test_wait (&result), error);
}

static inline KurirSmtpSendResult *
smtp_send (KurirSmtpClient     *client,
           const char          *from,
           const char * const  *recipients,
           const char          *message,
           gsize                length,
           KurirSmtpSendFlags   flags,
           GError             **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GBytes) bytes = g_bytes_new (message, length ? length : strlen (message));

  kurir_smtp_client_send_async (client, from, recipients, bytes, flags, NULL,
                                kurir_test_store_result, &result);
  return kurir_smtp_client_send_finish (client, kurir_test_wait (&result), error);
}

static inline gboolean
smtp_noop (KurirSmtpClient  *client,
           GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kurir_smtp_client_noop_async (client, NULL, kurir_test_store_result, &result);
  return kurir_smtp_client_noop_finish (client, kurir_test_wait (&result), error);
}

static inline gboolean
smtp_rset (KurirSmtpClient  *client,
           GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kurir_smtp_client_reset_async (client, NULL, kurir_test_store_result, &result);
  return kurir_smtp_client_reset_finish (client, kurir_test_wait (&result), error);
}

static inline gboolean
smtp_quit (KurirSmtpClient  *client,
           GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kurir_smtp_client_quit_async (client, NULL, kurir_test_store_result, &result);
  return kurir_smtp_client_quit_finish (client, kurir_test_wait (&result), error);
}

static inline const KurirSmtpRecipient *
smtp_recipient (KurirSmtpSendResult *result,
                guint                index)
{
  g_assert_cmpuint (index, <, result->recipients->len);
  return g_ptr_array_index (result->recipients, index);
}
