/* kurir-password-dialog.h: an account's password from the keyring, or
 * from the person when the keyring cannot give it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "kurir-account.h"

G_BEGIN_DECLS

#define KURIR_TYPE_PASSWORD_DIALOG (kurir_password_dialog_get_type ())
G_DECLARE_FINAL_TYPE (KurirPasswordDialog, kurir_password_dialog, KURIR, PASSWORD_DIALOG, AdwMessageDialog)

/* The keyring first; when it is locked, missing, does not answer in time,
 * or holds no password for the account, a dialog says why and asks. What
 * the person types is kept in this process's memory for this session
 * only, never in a file. Lookups of one account while its dialog is open
 * wait for the same answer. Fails with KURIR_ACCOUNT_ERROR_KEYRING when
 * the person declines (and does not ask again this session). The result
 * is freed with kurir_secret_free(). */
void      kurir_password_lookup_async    (KurirAccount        *account,
                                          KurirProtocol        protocol,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
char     *kurir_password_lookup_finish   (GAsyncResult        *result,
                                          GError             **error);
/* Forgets a password typed for this session (say, after the server
 * refused it), so the next lookup asks again. */
void      kurir_password_forget          (const char          *account_name,
                                          KurirProtocol        protocol);
/* The password typed for this session, or NULL; never asks. Free it
 * with kurir_secret_free(). */
char     *kurir_password_dup_typed       (const char          *account_name,
                                          KurirProtocol        protocol);

/* For tests: why the dialog asks, and answering it. */
const char *kurir_password_dialog_get_reason (KurirPasswordDialog *self);
void        kurir_password_dialog_submit     (KurirPasswordDialog *self,
                                              const char          *password);

G_END_DECLS
