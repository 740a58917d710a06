/* kurir-imap-utf7.h: mailbox names on the wire, modified UTF-7 (RFC 3501
 * section 5.1.3) or UTF-8 once UTF8=ACCEPT is enabled (RFC 6855)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* UTF-8 to modified UTF-7; NULL and KURIR_IMAP_ERROR_INVALID_ARGUMENT when
 * the input is not valid UTF-8. */
char *kurir_imap_utf7_encode    (const char  *utf8,
                                 GError     **error);

/* Modified UTF-7 to UTF-8, strictly: 8-bit or control bytes, bad base64,
 * an unterminated "&...", non-minimal encodings, printable ASCII or NUL
 * encoded in base64, and broken surrogates all give NULL and
 * KURIR_IMAP_ERROR_MAILBOX_NAME, so a store can name such a folder safely. */
char *kurir_imap_utf7_decode    (const char  *mutf7,
                                 GError     **error);

/* A name as the server sent it to UTF-8: with utf8_accept it must be valid
 * UTF-8 and passes through; otherwise it is modified UTF-7. */
char *kurir_imap_mailbox_decode (const char  *raw,
                                 gboolean     utf8_accept,
                                 GError     **error);

/* A UTF-8 name to what the server expects. */
char *kurir_imap_mailbox_encode (const char  *utf8,
                                 gboolean     utf8_accept,
                                 GError     **error);

G_END_DECLS
