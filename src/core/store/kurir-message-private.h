/* kurir-message-private.h: how the store fills a KurirMessage
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "kurir-message.h"

G_BEGIN_DECLS

struct _KurirMessage
{
  GObject            parent_instance;

  gint64             id;
  char              *account;
  char              *folder;
  char              *message_id;
  char              *in_reply_to;
  gint64             date;
  gint64             received;
  char              *from;
  char              *to;
  char              *cc;
  char              *subject;
  KurirMessageFlags  flags;
  gint64             size;
  guint              n_attachments;
  char             **attachment_names;
  gint64             thread_id;
  char              *preview;
  char              *backend_key;
  char              *filename;
  gint64             full_size;   /* 0: complete */
};

static inline KurirMessage *
kurir_message_new_empty (void)
{
  return g_object_new (KURIR_TYPE_MESSAGE, NULL);
}

G_END_DECLS
