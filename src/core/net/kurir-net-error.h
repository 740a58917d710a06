/* kurir-net-error.h: the error domain of the network layer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define KURIR_NET_ERROR (kurir_net_error_quark ())

/* The codes say what the caller can do about it. */
typedef enum {
  KURIR_NET_ERROR_CONNECT,            /* could not reach the server: try again later */
  KURIR_NET_ERROR_TIMEOUT,            /* the server stopped answering: try again later */
  KURIR_NET_ERROR_CLOSED,             /* the server closed the connection: try again later */
  KURIR_NET_ERROR_CERTIFICATE,        /* the certificate is not trusted: ask the user */
  KURIR_NET_ERROR_TLS,                /* TLS failed for another reason: give up */
  KURIR_NET_ERROR_STARTTLS_REFUSED,   /* STARTTLS not offered or refused: give up, never fall back */
  KURIR_NET_ERROR_PROTOCOL,           /* the server broke the protocol: give up */
  KURIR_NET_ERROR_PLAINTEXT_REFUSED,  /* no encryption and the user did not allow that */
} KurirNetError;

GQuark kurir_net_error_quark (void);

G_END_DECLS
