/* kurir-certificate-dialog.h: asks whether to trust a certificate that
 * does not validate: Reject, Trust this time, Always trust
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "kurir-autoconfig-login.h"

G_BEGIN_DECLS

/* The response ids of the dialog's "response" signal. */
#define KURIR_CERTIFICATE_RESPONSE_REJECT "reject"
#define KURIR_CERTIFICATE_RESPONSE_ONCE   "once"
#define KURIR_CERTIFICATE_RESPONSE_ALWAYS "always"

#define KURIR_TYPE_CERTIFICATE_DIALOG (kurir_certificate_dialog_get_type ())
G_DECLARE_FINAL_TYPE (KurirCertificateDialog, kurir_certificate_dialog, KURIR, CERTIFICATE_DIALOG, AdwMessageDialog)

KurirCertificateDialog *kurir_certificate_dialog_new      (GtkWindow                   *parent,
                                                           const KurirLoginCertificate *info);
/* The details shown: server, reason, issuer, validity, fingerprint. */
const char             *kurir_certificate_dialog_get_details (KurirCertificateDialog *self);

G_END_DECLS
