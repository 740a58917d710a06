/* kurir-imap-error.h: the error domain of the IMAP layer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define KURIR_IMAP_ERROR (kurir_imap_error_quark ())

/* The codes say what the caller can do about it. */
typedef enum {
  KURIR_IMAP_ERROR_PROTOCOL,          /* the server broke the protocol: drop the connection, retry later */
  KURIR_IMAP_ERROR_TOO_LARGE,         /* a response passed one of our bounds: drop the connection */
  KURIR_IMAP_ERROR_CLOSED,            /* the stream ended inside a response: retry later */
  KURIR_IMAP_ERROR_MAILBOX_NAME,      /* a mailbox name cannot be decoded: keep and show the raw name */
  KURIR_IMAP_ERROR_INVALID_ARGUMENT,  /* a command cannot carry this argument: fix the caller or the input */
} KurirImapError;

GQuark kurir_imap_error_quark (void);

G_END_DECLS
