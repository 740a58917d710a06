/* kurir-account.h: one mail account's settings, shared by the app and
 * kurir-cli through files under $XDG_CONFIG_HOME/kurir/accounts/
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "net/kurir-connection.h"
#include "account/kurir-identity.h"

G_BEGIN_DECLS

#define KURIR_ACCOUNT_ERROR (kurir_account_error_quark ())

typedef enum {
  KURIR_ACCOUNT_ERROR_INVALID,            /* a setting is wrong: fix it */
  KURIR_ACCOUNT_ERROR_NOT_FOUND,          /* no such account */
  KURIR_ACCOUNT_ERROR_EXISTS,             /* the name is taken */
  KURIR_ACCOUNT_ERROR_PLAINTEXT_REFUSED,  /* no encryption chosen without allowing it */
  KURIR_ACCOUNT_ERROR_FAILED,             /* the settings could not be read or written */
  KURIR_ACCOUNT_ERROR_KEYRING,            /* the keyring refused or did not answer */
} KurirAccountError;

GQuark kurir_account_error_quark (void);

typedef enum {
  KURIR_PROTOCOL_IMAP,
  KURIR_PROTOCOL_POP3,
  KURIR_PROTOCOL_SMTP,
  KURIR_PROTOCOL_LOCAL,   /* mail with no server, like Thunderbird's Local Folders */
} KurirProtocol;

const char *kurir_protocol_to_string     (KurirProtocol  protocol);
gboolean    kurir_protocol_from_string   (const char    *str,
                                          KurirProtocol *out_protocol);
guint16     kurir_protocol_default_port  (KurirProtocol  protocol,
                                          KurirSecurity  security);

/* IMAP: which folders' message bodies are downloaded, not only summaries. */
typedef enum {
  KURIR_KEEP_OFFLINE_AUTO,   /* folders under 10,000 messages (the default) */
  KURIR_KEEP_OFFLINE_ALL,
  KURIR_KEEP_OFFLINE_NONE,
} KurirKeepOffline;

const char *kurir_keep_offline_to_string   (KurirKeepOffline  keep);
gboolean    kurir_keep_offline_from_string (const char       *str,
                                            KurirKeepOffline *out_keep);

#define KURIR_TYPE_ACCOUNT (kurir_account_get_type ())
G_DECLARE_FINAL_TYPE (KurirAccount, kurir_account, KURIR, ACCOUNT, GObject)

KurirAccount  *kurir_account_new                     (const char    *name);
const char    *kurir_account_get_name                (KurirAccount  *self);
const char    *kurir_account_get_email               (KurirAccount  *self);
void           kurir_account_set_email               (KurirAccount  *self,
                                                      const char    *email);
KurirProtocol  kurir_account_get_protocol            (KurirAccount  *self);
void           kurir_account_set_protocol            (KurirAccount  *self,
                                                      KurirProtocol  protocol);
const char    *kurir_account_get_host                (KurirAccount  *self);
void           kurir_account_set_host                (KurirAccount  *self,
                                                      const char    *host);
guint16        kurir_account_get_port                (KurirAccount  *self);
guint16        kurir_account_get_explicit_port       (KurirAccount  *self);
void           kurir_account_set_port                (KurirAccount  *self,
                                                      guint16        port);
KurirSecurity  kurir_account_get_security            (KurirAccount  *self);
void           kurir_account_set_security            (KurirAccount  *self,
                                                      KurirSecurity  security);
const char    *kurir_account_get_user                (KurirAccount  *self);
void           kurir_account_set_user                (KurirAccount  *self,
                                                      const char    *user);
const char    *kurir_account_get_ca_file             (KurirAccount  *self);
void           kurir_account_set_ca_file             (KurirAccount  *self,
                                                      const char    *ca_file);
gboolean       kurir_account_get_allow_plaintext     (KurirAccount  *self);
void           kurir_account_set_allow_plaintext     (KurirAccount  *self,
                                                      gboolean       allow);
const char    *kurir_account_get_smtp_host           (KurirAccount  *self);
void           kurir_account_set_smtp_host           (KurirAccount  *self,
                                                      const char    *host);
guint16        kurir_account_get_smtp_port           (KurirAccount  *self);
guint16        kurir_account_get_explicit_smtp_port  (KurirAccount  *self);
void           kurir_account_set_smtp_port           (KurirAccount  *self,
                                                      guint16        port);
KurirSecurity  kurir_account_get_smtp_security       (KurirAccount  *self);
void           kurir_account_set_smtp_security       (KurirAccount  *self,
                                                      KurirSecurity  security);
const char    *kurir_account_get_smtp_user           (KurirAccount  *self);
void           kurir_account_set_smtp_user           (KurirAccount  *self,
                                                      const char    *user);
gboolean       kurir_account_get_leave_on_server     (KurirAccount  *self);
void           kurir_account_set_leave_on_server     (KurirAccount  *self,
                                                      gboolean       leave);
guint          kurir_account_get_delete_after_days   (KurirAccount  *self);
void           kurir_account_set_delete_after_days   (KurirAccount  *self,
                                                      guint          days);

KurirKeepOffline kurir_account_get_keep_offline     (KurirAccount  *self);
void           kurir_account_set_keep_offline        (KurirAccount  *self,
                                                      KurirKeepOffline keep);

gboolean       kurir_account_get_delete_when_deleted_here (KurirAccount *self);
void           kurir_account_set_delete_when_deleted_here (KurirAccount *self,
                                                           gboolean      enable);

guint          kurir_account_get_size_limit_kb       (KurirAccount  *self);
void           kurir_account_set_size_limit_kb       (KurirAccount  *self,
                                                      guint          limit_kb);
guint          kurir_account_get_check_interval      (KurirAccount  *self);
void           kurir_account_set_check_interval      (KurirAccount  *self,
                                                      guint          minutes);
gboolean       kurir_account_get_remember_password   (KurirAccount  *self);
void           kurir_account_set_remember_password   (KurirAccount  *self,
                                                      gboolean       remember);
const char    *kurir_account_get_display_name        (KurirAccount  *self);
void           kurir_account_set_display_name        (KurirAccount  *self,
                                                      const char    *display_name);
const char    *kurir_account_get_reply_to            (KurirAccount  *self);
void           kurir_account_set_reply_to            (KurirAccount  *self,
                                                      const char    *reply_to);
const char    *kurir_account_get_signature           (KurirAccount  *self);
void           kurir_account_set_signature           (KurirAccount  *self,
                                                      const char    *signature);
GPtrArray     *kurir_account_dup_identities          (KurirAccount  *self);
void           kurir_account_set_identities          (KurirAccount  *self,
                                                      GPtrArray     *identities);
KurirIdentity *kurir_account_find_identity           (KurirAccount  *self,
                                                      const char    *address);
KurirConnection *kurir_account_new_connection     (KurirAccount  *self,
                                                   KurirProtocol  protocol,
                                                   GError       **error);

gboolean       kurir_account_check                   (KurirAccount  *self,
                                                      GError       **error);

gboolean       kurir_account_name_is_valid           (const char    *name,
                                                      GError       **error);
char          *kurir_account_get_config_dir          (void);
gboolean       kurir_account_exists                  (const char    *name);
KurirAccount  *kurir_account_load                    (const char    *name,
                                                      GError       **error);
GPtrArray     *kurir_account_load_all                (GError       **error);
void           kurir_account_load_all_async          (GCancellable  *cancellable,
                                                      GAsyncReadyCallback callback,
                                                      gpointer       user_data);
GPtrArray     *kurir_account_load_all_finish         (GAsyncResult  *result,
                                                      GError       **error);
gboolean       kurir_account_save                    (KurirAccount  *self,
                                                      GError       **error);
gboolean       kurir_account_delete                  (const char    *name,
                                                      GError       **error);

G_END_DECLS
