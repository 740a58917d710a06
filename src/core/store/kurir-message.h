/* kurir-message.h: one stored message as the message list sees it
 *
 * A read-only snapshot of an index row; the store makes them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum /*< flags >*/ {
  KURIR_MESSAGE_FLAG_NONE     = 0,
  KURIR_MESSAGE_FLAG_SEEN     = 1 << 0,
  KURIR_MESSAGE_FLAG_FLAGGED  = 1 << 1,
  KURIR_MESSAGE_FLAG_ANSWERED = 1 << 2,
  KURIR_MESSAGE_FLAG_DRAFT    = 1 << 3,
  KURIR_MESSAGE_FLAG_DELETED  = 1 << 4,
  /* Only the headers are stored; the full size is known
   * (kurir_message_get_full_size()). Not a Maildir letter and not
   * settable: kurir_store_complete_message() clears it. */
  KURIR_MESSAGE_FLAG_PARTIAL  = 1 << 5,
} KurirMessageFlags;

#define KURIR_MESSAGE_FLAGS_ALL 0x1f

const char        *kurir_message_flag_to_string   (KurirMessageFlags  flag);
gboolean           kurir_message_flag_from_string (const char        *str,
                                                   KurirMessageFlags *out_flag);

#define KURIR_TYPE_MESSAGE (kurir_message_get_type ())
G_DECLARE_FINAL_TYPE (KurirMessage, kurir_message, KURIR, MESSAGE, GObject)

gint64              kurir_message_get_id               (KurirMessage *self);
const char         *kurir_message_get_account          (KurirMessage *self);
const char         *kurir_message_get_folder           (KurirMessage *self);
const char         *kurir_message_get_message_id       (KurirMessage *self);
const char         *kurir_message_get_in_reply_to      (KurirMessage *self);
gint64              kurir_message_get_date             (KurirMessage *self);
gint64              kurir_message_get_received         (KurirMessage *self);
const char         *kurir_message_get_from             (KurirMessage *self);
const char         *kurir_message_get_to               (KurirMessage *self);
const char         *kurir_message_get_cc               (KurirMessage *self);
const char         *kurir_message_get_subject          (KurirMessage *self);
KurirMessageFlags   kurir_message_get_flags            (KurirMessage *self);
gint64              kurir_message_get_size             (KurirMessage *self);
guint               kurir_message_get_n_attachments    (KurirMessage *self);
const char * const *kurir_message_get_attachment_names (KurirMessage *self);
gint64              kurir_message_get_thread_id        (KurirMessage *self);
const char         *kurir_message_get_preview          (KurirMessage *self);
const char         *kurir_message_get_backend_key      (KurirMessage *self);
const char         *kurir_message_get_filename         (KurirMessage *self);
/* The size of the whole message on the server while only its headers are
 * stored (KURIR_MESSAGE_FLAG_PARTIAL); else kurir_message_get_size(). */
gint64              kurir_message_get_full_size        (KurirMessage *self);

G_END_DECLS
