/* kurir-trust.h: certificates the user chose to trust for one server,
 * pinned per host, port and protocol under $XDG_CONFIG_HOME/kurir/trust/
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "kurir-account.h"
#include "net/kurir-connection.h"

G_BEGIN_DECLS

char            *kurir_trust_get_dir                  (void);
/* Pins exactly @certificate for @host:@port and @protocol (replacing an
 * earlier pin); only these DER bytes will be accepted there. */
gboolean         kurir_trust_pin                      (const char          *host,
                                                       guint16              port,
                                                       KurirProtocol        protocol,
                                                       GTlsCertificate     *certificate,
                                                       GError             **error);
gboolean         kurir_trust_unpin                    (const char          *host,
                                                       guint16              port,
                                                       KurirProtocol        protocol,
                                                       GError             **error);
/* The pinned certificate, or NULL (none, or the file is unreadable). */
GTlsCertificate *kurir_trust_lookup                   (const char          *host,
                                                       guint16              port,
                                                       KurirProtocol        protocol);
/* Gives @connection the pin for its host and port, if there is one.
 * Returns: whether a pin was applied. */
gboolean         kurir_trust_apply                    (KurirConnection     *connection,
                                                       KurirProtocol        protocol);

/* "AB:CD:..." (SHA-256 of the DER), upper case. */
char            *kurir_trust_dup_fingerprint          (GTlsCertificate     *certificate);
/* Several lines for a person: server, reasons, issuer, subject, validity,
 * fingerprint. */
char            *kurir_trust_describe_certificate     (const char          *host,
                                                       guint16              port,
                                                       GTlsCertificate     *certificate,
                                                       GTlsCertificateFlags errors);
/* What kurir-cli prints when it refuses a certificate: the description
 * above and how to trust it (--ca-file). */
char            *kurir_trust_format_cli_refusal       (KurirConnection     *connection);

G_END_DECLS
