/* kurir-message.c: one stored message as the message list sees it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-store"

#include "config.h"

#include <string.h>

#include "kurir-message-private.h"

G_DEFINE_TYPE (KurirMessage, kurir_message, G_TYPE_OBJECT)

static const struct {
  KurirMessageFlags flag;
  const char       *name;
} flag_names[] = {
  { KURIR_MESSAGE_FLAG_SEEN, "seen" },
  { KURIR_MESSAGE_FLAG_FLAGGED, "flagged" },
  { KURIR_MESSAGE_FLAG_ANSWERED, "answered" },
  { KURIR_MESSAGE_FLAG_DRAFT, "draft" },
  { KURIR_MESSAGE_FLAG_DELETED, "deleted" },
};

/* Overrides */

static void
kurir_message_finalize (GObject *object)
{
  KurirMessage *self = KURIR_MESSAGE (object);

  g_free (self->account);
  g_free (self->folder);
  g_free (self->message_id);
  g_free (self->in_reply_to);
  g_free (self->from);
  g_free (self->to);
  g_free (self->cc);
  g_free (self->subject);
  g_strfreev (self->attachment_names);
  g_free (self->preview);
  g_free (self->backend_key);
  g_free (self->filename);

  G_OBJECT_CLASS (kurir_message_parent_class)->finalize (object);
}

static void
kurir_message_class_init (KurirMessageClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kurir_message_finalize;
}

static void
kurir_message_init (KurirMessage *self)
{
}

/* Public API */

const char *
kurir_message_flag_to_string (KurirMessageFlags flag)
{
  for (guint i = 0; i < G_N_ELEMENTS (flag_names); i++)
    if (flag_names[i].flag == flag)
      return flag_names[i].name;
  return NULL;
}

gboolean
kurir_message_flag_from_string (const char        *str,
                                KurirMessageFlags *out_flag)
{
  g_return_val_if_fail (str != NULL, FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (flag_names); i++)
    if (g_ascii_strcasecmp (flag_names[i].name, str) == 0)
      {
        *out_flag = flag_names[i].flag;
        return TRUE;
      }
  return FALSE;
}

#define GETTER(type, field) \
  type \
  kurir_message_get_##field (KurirMessage *self) \
  { \
    g_return_val_if_fail (KURIR_IS_MESSAGE (self), 0); \
    return self->field; \
  }

GETTER (gint64, id)
GETTER (const char *, account)
GETTER (const char *, folder)
GETTER (const char *, message_id)
GETTER (const char *, in_reply_to)
GETTER (gint64, date)
GETTER (gint64, received)
GETTER (const char *, from)
GETTER (const char *, to)
GETTER (const char *, cc)
GETTER (const char *, subject)
GETTER (KurirMessageFlags, flags)
GETTER (gint64, size)
GETTER (guint, n_attachments)
GETTER (gint64, thread_id)
GETTER (const char *, preview)
GETTER (const char *, backend_key)
GETTER (const char *, filename)

#undef GETTER

gint64
kurir_message_get_full_size (KurirMessage *self)
{
  g_return_val_if_fail (KURIR_IS_MESSAGE (self), 0);
  return self->full_size > 0 ? self->full_size : self->size;
}

/**
 * kurir_message_get_attachment_names:
 *
 * Returns: (transfer none): the sanitised file names of the attachments,
 *   NULL-terminated, never NULL
 */
const char * const *
kurir_message_get_attachment_names (KurirMessage *self)
{
  static const char * const none[] = { NULL };

  g_return_val_if_fail (KURIR_IS_MESSAGE (self), none);
  return self->attachment_names ? (const char * const *) self->attachment_names : none;
}
