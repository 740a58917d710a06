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
  KURIR_IMAP_ERROR_AUTH_FAILED,       /* wrong user name or password: ask for a new password */
  KURIR_IMAP_ERROR_UNAVAILABLE,       /* [UNAVAILABLE], [INUSE], [SERVERBUG]...: a problem on the server: retry later */
  KURIR_IMAP_ERROR_NOT_SUPPORTED,     /* the server lacks what this needs (a capability): give up */
  KURIR_IMAP_ERROR_REFUSED,           /* NO or BAD to a command; the message has the server's words: tell the user */
  KURIR_IMAP_ERROR_NONEXISTENT,       /* [NONEXISTENT] or [TRYCREATE]: the mailbox does not exist */
  KURIR_IMAP_ERROR_NO_SUCH_MESSAGE,   /* the message is not (any longer) on the server */
  KURIR_IMAP_ERROR_BYE,               /* the server ended the session (BYE): reconnect later */
} KurirImapError;

GQuark kurir_imap_error_quark (void);

G_END_DECLS
