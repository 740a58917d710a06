/* kurir-message-parts.h: what the reader and `kurir-cli show` display of
 * one message: its body parts in order, its attachments, its headers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "kurir-mime.h"

G_BEGIN_DECLS

#define KURIR_MESSAGE_PARTS_TEXT_MAX (16 * 1024 * 1024)  /* decoded text kept per body part */

typedef enum {
  KURIR_BODY_PART_PLAIN,
  KURIR_BODY_PART_HTML,
} KurirBodyPartKind;

typedef struct
{
  KurirBodyPartKind kind;
  char             *text;               /* decoded, UTF-8, LF line ends; HTML as HTML */
  int               alternative_group;  /* -1, or which multipart/alternative it is one choice of:
                                           parts with the same group show the same content,
                                           the reader shows one of them */
  int               alternative;        /* which choice in that group (the child's index), or -1 */
} KurirBodyPart;

typedef struct
{
  guint  index;         /* for kurir_message_parts_save_attachment() */
  char  *filename;      /* sanitised (kurir_mime_sanitize_filename) */
  char  *content_type;  /* "type/subtype", lowercase */
  guint64 size;         /* decoded bytes */
} KurirAttachment;

typedef struct
{
  GPtrArray *body_parts;   /* of KurirBodyPart, in message order */
  GPtrArray *attachments;  /* of KurirAttachment, in message order */
} KurirMessageParts;

KurirMessageParts *kurir_message_parts_new_from_data      (const char         *data,
                                                           gsize               length);
void               kurir_message_parts_free               (KurirMessageParts  *parts);

/* Writes attachment @index's decoded bytes to @dest, atomically (a
 * temporary file renamed into place). */
gboolean           kurir_message_parts_save_attachment    (const char         *data,
                                                           gsize               length,
                                                           guint               index,
                                                           GFile              *dest,
                                                           GCancellable       *cancellable,
                                                           GError            **error);

/* The same in a worker thread, for the reader's main loop. */
void               kurir_message_parts_save_attachment_async  (GBytes             *message,
                                                               guint               index,
                                                               GFile              *dest,
                                                               GCancellable       *cancellable,
                                                               GAsyncReadyCallback callback,
                                                               gpointer            user_data);
gboolean           kurir_message_parts_save_attachment_finish (GAsyncResult       *result,
                                                               GError            **error);

/* The text/plain body, else the HTML body as text; never NULL. */
char              *kurir_mime_get_text                    (const char         *data,
                                                           gsize               length);

/* "From: …", "To: …", "Cc: …", "Date: …" (as the message wrote it) and
 * "Subject: …" lines, decoded, for the headers present; never NULL. */
char              *kurir_mime_format_headers              (const char         *data,
                                                           gsize               length);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KurirMessageParts, kurir_message_parts_free)

G_END_DECLS
