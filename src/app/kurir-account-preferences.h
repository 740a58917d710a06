/* kurir-account-preferences.h: one account's settings: servers, login,
 * POP3 or IMAP and what each keeps
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "kurir-account.h"

G_BEGIN_DECLS

#define KURIR_TYPE_ACCOUNT_PREFERENCES (kurir_account_preferences_get_type ())
G_DECLARE_FINAL_TYPE (KurirAccountPreferences, kurir_account_preferences, KURIR, ACCOUNT_PREFERENCES, AdwPreferencesWindow)

/* Emits "saved" (KurirAccount *) after the account file and, when needed,
 * the keyring were updated. */
KurirAccountPreferences *kurir_account_preferences_new       (GtkWindow               *parent,
                                                              KurirAccount            *account);
/* For tests: as if these were chosen in the window. */
void                     kurir_account_preferences_set_incoming (KurirAccountPreferences *self,
                                                                 KurirProtocol            protocol,
                                                                 const char              *host,
                                                                 guint16                  port,
                                                                 KurirSecurity            security);
void                     kurir_account_preferences_set_identity (KurirAccountPreferences *self,
                                                                 guint                    index,
                                                                 const char              *name,
                                                                 const char              *address,
                                                                 const char              *reply_to,
                                                                 const char              *signature);
void                     kurir_account_preferences_remove_identity (KurirAccountPreferences *self,
                                                                    guint                    index);
/* As if Save were pressed. */
void                     kurir_account_preferences_save      (KurirAccountPreferences *self);
char                    *kurir_account_preferences_dup_storage_text (KurirAccountPreferences *self);
/* The last error shown, or NULL. */
const char              *kurir_account_preferences_get_error (KurirAccountPreferences *self);

G_END_DECLS
