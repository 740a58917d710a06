/* kurir-mail-account.h: one account as the window sees it: its settings,
 * its sync state, and a way to sync it
 *
 * The window shows the state and calls kurir_mail_account_sync(); how an
 * account syncs depends on its protocol. POP3 runs kurir_pop3_sync_async();
 * IMAP plugs in here once the IMAP sync exists (until then its state is
 * UNSUPPORTED with a message saying so); local accounts have nothing to sync.
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
void                   kurir_mail_account_cancel      (KurirMailAccount *self);

G_END_DECLS
