/* kurir-message-info.h: what the index and the message list need to know
 * about one message, extracted with GMime from its raw bytes
 *
 * Extraction never fails on broken MIME: a message that does not parse is
 * described as far as it parses, within bounded time and memory.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define KURIR_MESSAGE_INFO_PREVIEW_CHARS   200          /* characters of the preview */
#define KURIR_MESSAGE_INFO_BODY_TEXT_BYTES (256 * 1024) /* text kept for full-text search */

typedef struct
{
  char    *message_id;        /* without <>, or NULL */
  char    *in_reply_to;       /* without <>, or NULL */
  char   **references;        /* without <>, oldest first; NULL-terminated, never NULL */
  gint64   date;              /* Date: as Unix time, or 0 when missing or unparsable */
  char    *from;              /* decoded display form, "Name <addr>" or "addr", or NULL */
  char    *from_address;      /* the first From address alone, lowercase domain, or NULL */
  char    *to;                /* decoded display forms, ", "-separated, or NULL */
  char    *cc;                /* same */
  char    *subject;           /* decoded from RFC 2047, UTF-8, or NULL */
  guint    n_attachments;
  char   **attachment_names;  /* sanitised (kurir_mime_sanitize_filename); NULL-terminated, never NULL */
  char    *preview;           /* one line of plain text, at most PREVIEW_CHARS characters; never NULL */
  char    *body_text;         /* plain text of the body for search, at most BODY_TEXT_BYTES; never NULL */
  gboolean has_html;          /* an HTML body part exists */
} KurirMessageInfo;

KurirMessageInfo *kurir_message_info_new_from_data (const char       *data,
                                                    gsize             length);
void              kurir_message_info_free          (KurirMessageInfo *info);

/* The same, always through a whole GMimeMessage (without the header-only
 * path): for the tests that check the two agree. */
KurirMessageInfo *kurir_message_info_new_with_gmime (const char      *data,
                                                     gsize            length);

char             *kurir_mime_sanitize_filename     (const char       *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KurirMessageInfo, kurir_message_info_free)

G_END_DECLS
