/* kurir-mime.h: the MIME layer's shared ground: GMime set-up for hostile
 * mail, the error domain, HTML to text, and filename sanitising
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define KURIR_MIME_ERROR (kurir_mime_error_quark ())

/* The codes say what the caller can do about it. */
typedef enum {
  KURIR_MIME_ERROR_NOT_MBOX,    /* the file is not an mbox: give up on it */
  KURIR_MIME_ERROR_TOO_LARGE,   /* one message is over the size bound: skipped, go on */
  KURIR_MIME_ERROR_NOT_FOUND,   /* no such part or attachment */
  KURIR_MIME_ERROR_IO,          /* reading or writing failed: see the message, retry later */
} KurirMimeError;

GQuark kurir_mime_error_quark        (void);

/* Initialises GMime once, thread-safely. Every entry point of this layer
 * calls it; callers outside may call it too. */
void   kurir_mime_init               (void);

/* Plain text of an HTML document (libxml2's HTML parser, never regular
 * expressions): script, style and head skipped, block elements on their
 * own lines, whitespace collapsed. @length -1 for a NUL-terminated string.
 * Valid UTF-8, never NULL. */
char  *kurir_mime_html_to_text       (const char  *html,
                                      gssize       length);

/* @bytes in @charset (NULL or unknown: UTF-8 if it validates, else
 * windows-1252) as valid UTF-8; invalid sequences become U+FFFD. */
char  *kurir_mime_convert_to_utf8    (const char  *bytes,
                                      gsize        length,
                                      const char  *charset);

G_END_DECLS
