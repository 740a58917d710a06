/* kurir-account-usage.h: how much mail an account's server holds and
 * allows (IMAP QUOTA, RFC 9208; POP3 STAT totals), and how much this
 * computer holds for it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "account/kurir-account.h"
#include "store/kurir-store.h"

G_BEGIN_DECLS

typedef enum {
  KURIR_USAGE_SOURCE_NONE,        /* the server does not say */
  KURIR_USAGE_SOURCE_IMAP_QUOTA,  /* GETQUOTAROOT "INBOX" */
  KURIR_USAGE_SOURCE_POP3_STAT,   /* the maildrop's totals; POP3 has no limits */
} KurirUsageSource;

/* -1 wherever the server did not report a value. */
typedef struct {
  KurirUsageSource source;
  char            *quota_root;       /* IMAP: the root the numbers are of */
  gint64           used_bytes;
  gint64           limit_bytes;
  gint64           messages;
  gint64           messages_limit;
} KurirServerUsage;

typedef struct {
  guint64  bytes;             /* the account's message files */
  guint64  messages;
  gint64   disk_free_bytes;   /* of the disk holding them; -1: unknown */
  gint64   disk_size_bytes;
} KurirLocalUsage;

void              kurir_server_usage_free            (KurirServerUsage *usage);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KurirServerUsage, kurir_server_usage_free)

/* Logs in to the account's incoming server and asks it. */
void              kurir_account_server_usage_async   (KurirAccount        *account,
                                                      const char          *password,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
KurirServerUsage *kurir_account_server_usage_finish  (GAsyncResult        *result,
                                                      GError             **error);

/* The sizes of the account's message files in the store, in a worker
 * thread. */
void              kurir_account_local_usage_async    (KurirStore          *store,
                                                      const char          *account_name,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
gboolean          kurir_account_local_usage_finish   (GAsyncResult        *result,
                                                      KurirLocalUsage     *out_usage,
                                                      GError             **error);

/* A server at or above this share of its limit is "nearly full"; so is a
 * disk with less than this share free. */
#define KURIR_USAGE_NEARLY_FULL_PERCENT 90

/* A hint in plain words when the server or the disk is nearly full and
 * the other way to receive mail would help; NULL when all is well.
 * server and local may be NULL (not known). */
char             *kurir_account_usage_hint           (KurirAccount           *account,
                                                      const KurirServerUsage *server,
                                                      const KurirLocalUsage  *local);

G_END_DECLS
