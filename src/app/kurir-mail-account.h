/* kurir-mail-account.h: one account as the window sees it: its settings,
 * its sync state, and a way to sync it
 *
 * The window shows the state and calls kurir_mail_account_sync(); how an
 * account syncs depends on its protocol. POP3 runs kurir_pop3_sync_async();
 * IMAP runs kurir_imap_sync_async(), and kurir_mail_account_watch() keeps
 * an IDLE session on INBOX in a worker thread of its own (restarted with a
 * backoff when the connection drops), emitting ::synced on every change.
 * Edits of IMAP mail go through the account's KurirJournal (in a worker
 * thread) and are replayed on the server in the background. Local
 * accounts have nothing to sync.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "kurir-account.h"
#include "kurir-store.h"

G_BEGIN_DECLS

typedef enum {
  KURIR_MAIL_ACCOUNT_IDLE,         /* nothing running; the last sync (if any) worked */
  KURIR_MAIL_ACCOUNT_SYNCING,
  KURIR_MAIL_ACCOUNT_OFFLINE,      /* the server could not be reached: retried at the next check */
  KURIR_MAIL_ACCOUNT_ERROR,        /* the last sync failed: see the message; retry */
  KURIR_MAIL_ACCOUNT_UNSUPPORTED,  /* this version cannot sync the account */
} KurirMailAccountState;

#define KURIR_TYPE_MAIL_ACCOUNT (kurir_mail_account_get_type ())
G_DECLARE_FINAL_TYPE (KurirMailAccount, kurir_mail_account, KURIR, MAIL_ACCOUNT, GObject)

KurirMailAccount      *kurir_mail_account_new         (KurirAccount     *account,
                                                       KurirStore       *store);
KurirAccount          *kurir_mail_account_get_account (KurirMailAccount *self);
const char            *kurir_mail_account_get_name    (KurirMailAccount *self);
KurirMailAccountState  kurir_mail_account_get_state   (KurirMailAccount *self);
/* The error or offline reason in words, or the UNSUPPORTED note; else NULL. */
const char            *kurir_mail_account_get_message (KurirMailAccount *self);
gboolean               kurir_mail_account_can_sync    (KurirMailAccount *self);
/* Starts a sync unless one runs. Emits ::synced (guint n_new, gint64
 * started, Unix time) when it worked; the state says how it ended. */
void                   kurir_mail_account_sync        (KurirMailAccount *self);
/* Cancels the running sync and the watch. */
void                   kurir_mail_account_cancel      (KurirMailAccount *self);

/* IMAP: keeps an IDLE session on INBOX until kurir_mail_account_cancel()
 * (or the last reference goes); nothing for other protocols. */
void                   kurir_mail_account_watch       (KurirMailAccount *self);
/* Whether an IDLE session is up: it synced and follows INBOX. */
gboolean               kurir_mail_account_get_watching (KurirMailAccount *self);
/* Whether edits go through the journal (IMAP). */
gboolean               kurir_mail_account_get_journalled (KurirMailAccount *self);

/* Edits of an IMAP account's mail: journalled and applied to the store in
 * a worker thread (so they show at once), then replayed on the server in
 * the background. Finish with kurir_mail_account_edit_finish(). */
void                   kurir_mail_account_set_flags_async (KurirMailAccount   *self,
                                                       gint64              id,
                                                       KurirMessageFlags   add,
                                                       KurirMessageFlags   remove,
                                                       GCancellable       *cancellable,
                                                       GAsyncReadyCallback callback,
                                                       gpointer            user_data);
void                   kurir_mail_account_delete_async (KurirMailAccount   *self,
                                                       gint64              id,
                                                       GCancellable       *cancellable,
                                                       GAsyncReadyCallback callback,
                                                       gpointer            user_data);
void                   kurir_mail_account_move_async  (KurirMailAccount   *self,
                                                       gint64              id,
                                                       const char         *folder,
                                                       GCancellable       *cancellable,
                                                       GAsyncReadyCallback callback,
                                                       gpointer            user_data);
gboolean               kurir_mail_account_edit_finish (KurirMailAccount   *self,
                                                       GAsyncResult       *result,
                                                       GError            **error);
/* Edits journalled but not replayed yet (the last count seen). */
guint                  kurir_mail_account_get_pending_edits (KurirMailAccount *self);

/* Sends what is due in the account's Outbox in a worker thread (after
 * every sync that worked, too). Emits ::outbox-flushed (guint n_sent)
 * when it ended. */
void                   kurir_mail_account_flush_outbox (KurirMailAccount *self);

/* A message stored as its headers only (POP3, over the size limit): the
 * rest from the server, in a worker thread. */
void                   kurir_mail_account_fetch_body_async (KurirMailAccount   *self,
                                                       gint64              id,
                                                       GCancellable       *cancellable,
                                                       GAsyncReadyCallback callback,
                                                       gpointer            user_data);
gboolean               kurir_mail_account_fetch_body_finish (KurirMailAccount  *self,
                                                       GAsyncResult       *result,
                                                       GError            **error);

/* The periodic check for new mail: every @minutes (0: never); the timer
 * runs only while the account can sync, the getter gives the interval set.
 * kurir_mail_account_choose_check_interval() gives the account's own
 * interval, else @default_minutes. */
guint                  kurir_mail_account_choose_check_interval (KurirAccount *account,
                                                       guint               default_minutes);
void                   kurir_mail_account_set_check_interval (KurirMailAccount *self,
                                                       guint               minutes);
guint                  kurir_mail_account_get_check_interval (KurirMailAccount *self);

G_END_DECLS
