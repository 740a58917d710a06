/* imap-client-test-helpers.h: synchronous, bounded wrappers around the
 * IMAP client's async API, for the unit and integration tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "kurir-imap-client.h"
#include "kurir-imap-error.h"
#include "kurir-net-error.h"
#include "kurir-test-util.h"

static inline gboolean
imap_connect (KurirImapClient  *client,
              GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kurir_imap_client_connect_async (client, NULL, kurir_test_store_result, &result);
  return kurir_imap_client_connect_finish (client, kurir_test_wait (&result), error);
}

static inline gboolean
imap_login (KurirImapClient  *client,
            const char       *user,
            const char       *password,
            GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kurir_imap_client_authenticate_async (client, user, password, NULL,
                                        kurir_test_store_result, &result);
  return kurir_imap_client_authenticate_finish (client, kurir_test_wait (&result), error);
}

static inline gboolean
imap_enable (KurirImapClient  *client,
             GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kurir_imap_client_enable_async (client, NULL, kurir_test_store_result, &result);
  return kurir_imap_client_enable_finish (client, kurir_test_wait (&result), error);
}

static inline gboolean
imap_compress (KurirImapClient  *client,
               gboolean         *started,
               GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kurir_imap_client_compress_async (client, NULL, kurir_test_store_result, &result);
  return kurir_imap_client_compress_finish (client, kurir_test_wait (&result), started, error);
}

static inline GPtrArray *
imap_list (KurirImapClient  *client,
           GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kurir_imap_client_list_async (client, NULL, kurir_test_store_result, &result);
  return kurir_imap_client_list_finish (client, kurir_test_wait (&result), error);
}

static inline KurirImapMailbox *
imap_select (KurirImapClient  *client,
             const char       *mailbox,
             guint32           uidvalidity,
             guint64           modseq,
             GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kurir_imap_client_select_async (client, mailbox, FALSE, uidvalidity, modseq, NULL, 0, NULL,
                                  kurir_test_store_result, &result);
  return kurir_imap_client_select_finish (client, kurir_test_wait (&result), error);
}

static inline gboolean
imap_fetch (KurirImapClient    *client,
            const char         *uid_set,
            const char         *items,
            guint64             changedsince,
            KurirImapFetchFunc  func,
            gpointer            data,
            guint              *n_fetched,
            GArray            **vanished,
            GError            **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kurir_imap_client_fetch_async (client, uid_set, items, changedsince, vanished != NULL,
                                 func, data, NULL, NULL, kurir_test_store_result, &result);
  return kurir_imap_client_fetch_finish (client, kurir_test_wait (&result), n_fetched,
                                         vanished, error);
}

static inline GBytes *
imap_fetch_body (KurirImapClient  *client,
                 guint32           uid,
                 const char       *section,
                 GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kurir_imap_client_fetch_body_async (client, uid, section, NULL,
                                      kurir_test_store_result, &result);
  return kurir_imap_client_fetch_body_finish (client, kurir_test_wait (&result), error);
}

static inline GArray *
imap_store (KurirImapClient      *client,
            guint32               uid,
            KurirImapStoreAction  action,
            const char           *flag,
            guint64               unchangedsince,
            GError              **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  const char *flags[] = { flag, NULL };

  kurir_imap_client_store_async (client, &uid, 1, action, flags, unchangedsince, NULL,
                                 kurir_test_store_result, &result);
  return kurir_imap_client_store_finish (client, kurir_test_wait (&result), error);
}

static inline KurirImapCopyResult *
imap_move (KurirImapClient  *client,
           const guint32    *uids,
           gsize             n_uids,
           const char       *destination,
           GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kurir_imap_client_move_async (client, uids, n_uids, destination, NULL,
                                kurir_test_store_result, &result);
  return kurir_imap_client_move_finish (client, kurir_test_wait (&result), error);
}

static inline KurirImapCopyResult *
imap_append (KurirImapClient     *client,
             const char          *mailbox,
             const char * const  *flags,
             GDateTime           *date,
             GBytes              *message,
             GError             **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kurir_imap_client_append_async (client, mailbox, flags, date, message, NULL,
                                  kurir_test_store_result, &result);
  return kurir_imap_client_append_finish (client, kurir_test_wait (&result), error);
}

static inline gboolean
imap_mailbox_op (KurirImapClient     *client,
                 KurirImapMailboxOp   op,
                 const char          *mailbox,
                 const char          *new_name,
                 GError             **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kurir_imap_client_mailbox_op_async (client, op, mailbox, new_name, NULL,
                                      kurir_test_store_result, &result);
  return kurir_imap_client_mailbox_op_finish (client, kurir_test_wait (&result), error);
}

static inline gboolean
imap_noop (KurirImapClient  *client,
           GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kurir_imap_client_noop_async (client, NULL, kurir_test_store_result, &result);
  return kurir_imap_client_noop_finish (client, kurir_test_wait (&result), error);
}

static inline gboolean
imap_logout (KurirImapClient  *client,
             GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kurir_imap_client_logout_async (client, NULL, kurir_test_store_result, &result);
  return kurir_imap_client_logout_finish (client, kurir_test_wait (&result), error);
}
