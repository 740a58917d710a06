/* kurir-autoconfig-login.h: a login test of an account's incoming or
 * outgoing server before it is saved (the setup wizard, preferences)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "kurir-account.h"

G_BEGIN_DECLS

/* What a failed test met, for the certificate dialog. */
typedef struct
{
  char                 *host;
  guint16               port;
  KurirProtocol         protocol;
  GTlsCertificate      *certificate;   /* NULL unless TLS got that far */
  GTlsCertificateFlags  errors;
} KurirLoginCertificate;

void kurir_login_certificate_free (KurirLoginCertificate *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KurirLoginCertificate, kurir_login_certificate_free)

/* Connects to @account's incoming server (or its SMTP server when
 * @outgoing), with its CA file, its pinned certificate and, when given,
 * @trusted_once (accepted for this test only), and logs in with @user
 * (NULL: the account's) and @password; then logs out. Nothing is saved.
 * A certificate that does not validate fails with KURIR_NET_ERROR_CERTIFICATE
 * before any credential is sent. Errors name the server. */
void      kurir_login_test_async  (KurirAccount         *account,
                                   gboolean              outgoing,
                                   const char           *user,
                                   const char           *password,
                                   GTlsCertificate      *trusted_once,
                                   GCancellable         *cancellable,
                                   GAsyncReadyCallback   callback,
                                   gpointer              user_data);
/* @out_certificate: (optional): on a certificate error, what was met */
gboolean  kurir_login_test_finish (GAsyncResult           *result,
                                   KurirLoginCertificate **out_certificate,
                                   GError                **error);
/* TRUE for a refused user name or password (any protocol). */
gboolean  kurir_login_error_is_auth_failure (const GError *error);

G_END_DECLS
