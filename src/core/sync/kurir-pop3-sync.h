/* kurir-pop3-sync.h: the POP3 workflow of one account
 *
 * Connect, authenticate, UIDL; download every message whose UIDL the
 * account does not know, storing each durably in the local INBOX before
 * its UIDL counts as known; delete on the server only messages that are
 * stored here, as the account's policy says; QUIT, so the server applies
 * the deletions. A connection lost before QUIT deletes nothing, and the
 * next sync neither loses nor duplicates anything.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "kurir-account.h"
#include "kurir-store.h"

G_BEGIN_DECLS

typedef struct
{
  guint on_server;           /* messages on the server when the sync began */
  guint downloaded;          /* stored here by this sync */
  guint deleted_on_server;   /* deleted on the server (applied by QUIT) */
  guint kept_on_server;      /* left there */
  guint headers_only;        /* of downloaded: over the size limit, stored as their
                              * headers (kurir_pop3_sync_fetch_body() gets the rest) */
  guint found_here;          /* not downloaded: cached here by IMAP before a switch */
} KurirPop3SyncStats;

/* Called as messages are stored: @done of @total to download. */
typedef void (*KurirSyncProgressFunc) (guint    done,
                                       guint    total,
                                       gpointer user_data);

/* Messages are stored in batches of at most this many, or this many bytes:
 * one syncfs and one transaction each. While the download goes on, one
 * thread parses a batch while another stores the one before; at most
 * KURIR_POP3_SYNC_BATCHES_QUEUED full batches are on their way, so memory
 * stays under about (KURIR_POP3_SYNC_BATCHES_QUEUED + 1) *
 * KURIR_POP3_SYNC_BATCH_BYTES (or as many single larger messages). */
#define KURIR_POP3_SYNC_BATCH_MESSAGES 256
#define KURIR_POP3_SYNC_BATCH_MIN_MESSAGES 32   /* the first and the last ones */
#define KURIR_POP3_SYNC_BATCH_BYTES    (4 * 1024 * 1024)
#define KURIR_POP3_SYNC_BATCHES_QUEUED 2

gboolean kurir_pop3_sync_run    (KurirAccount           *account,
                                 KurirStore             *store,
                                 const char             *password,
                                 KurirSyncProgressFunc   progress,
                                 gpointer                progress_data,
                                 KurirPop3SyncStats     *out_stats,
                                 GCancellable           *cancellable,
                                 GError                **error);

/* Returns: (transfer full) (nullable): the password (wiped and freed with
 * g_free() by the sync), or NULL with @error set, or NULL without error
 * when none is stored. */
typedef char *(*KurirPop3PasswordFunc) (gpointer   user_data,
                                        GError   **error);

gboolean kurir_pop3_sync_run_full (KurirAccount           *account,
                                   KurirStore             *store,
                                   KurirPop3PasswordFunc   password_func,
                                   gpointer                password_data,
                                   KurirSyncProgressFunc   progress,
                                   gpointer                progress_data,
                                   KurirPop3SyncStats     *out_stats,
                                   GCancellable           *cancellable,
                                   GError                **error);

void     kurir_pop3_sync_async  (KurirAccount           *account,
                                 KurirStore             *store,
                                 const char             *password,
                                 GCancellable           *cancellable,
                                 GAsyncReadyCallback     callback,
                                 gpointer                user_data);
gboolean kurir_pop3_sync_finish (GAsyncResult           *result,
                                 KurirPop3SyncStats     *out_stats,
                                 GError                **error);

/* The rest of a message stored as its headers (over the size limit). */
gboolean kurir_pop3_sync_fetch_body        (KurirAccount        *account,
                                            KurirStore          *store,
                                            const char          *password,
                                            gint64               id,
                                            GCancellable        *cancellable,
                                            GError             **error);
void     kurir_pop3_sync_fetch_body_async  (KurirAccount        *account,
                                            KurirStore          *store,
                                            const char          *password,
                                            gint64               id,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
gboolean kurir_pop3_sync_fetch_body_finish (GAsyncResult        *result,
                                            GError             **error);

/* Where POP3 mail stays, after a switch to IMAP: a local folder. */
#define KURIR_POP3_SYNC_LOCAL_FOLDER "POP3 (local)"

gboolean kurir_pop3_sync_keep_local        (KurirStore          *store,
                                            const char          *account,
                                            gint64               id,
                                            GError             **error);

/* For tests: batches of at most @n messages (0: the default). */
void     kurir_pop3_sync_set_batch_messages (guint n);

G_END_DECLS
