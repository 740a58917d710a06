/* kurir-message-item.c: one row of the message list
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-app"

#include "config.h"

#include "kurir-message-item.h"

struct _KurirMessageItem
{
  GObject       parent_instance;

  KurirMessage *message;
};

enum {
  PROP_0,
  PROP_MESSAGE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (KurirMessageItem, kurir_message_item, G_TYPE_OBJECT)

static void
kurir_message_item_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  KurirMessageItem *self = KURIR_MESSAGE_ITEM (object);

  switch (prop_id)
    {
    case PROP_MESSAGE:
      g_value_set_object (value, self->message);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kurir_message_item_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  KurirMessageItem *self = KURIR_MESSAGE_ITEM (object);

  switch (prop_id)
    {
    case PROP_MESSAGE:
      kurir_message_item_set_message (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kurir_message_item_dispose (GObject *object)
{
  KurirMessageItem *self = KURIR_MESSAGE_ITEM (object);

  g_clear_object (&self->message);
  G_OBJECT_CLASS (kurir_message_item_parent_class)->dispose (object);
}

static void
kurir_message_item_class_init (KurirMessageItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = kurir_message_item_get_property;
  object_class->set_property = kurir_message_item_set_property;
  object_class->dispose = kurir_message_item_dispose;

  properties[PROP_MESSAGE] =
    g_param_spec_object ("message", NULL, NULL, KURIR_TYPE_MESSAGE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
kurir_message_item_init (KurirMessageItem *self)
{
}

KurirMessageItem *
kurir_message_item_new (void)
{
  return g_object_new (KURIR_TYPE_MESSAGE_ITEM, NULL);
}

/* Returns: (nullable) (transfer none): the message, or NULL while loading */
KurirMessage *
kurir_message_item_get_message (KurirMessageItem *self)
{
  g_return_val_if_fail (KURIR_IS_MESSAGE_ITEM (self), NULL);
  return self->message;
}

void
kurir_message_item_set_message (KurirMessageItem *self,
                                KurirMessage     *message)
{
  g_return_if_fail (KURIR_IS_MESSAGE_ITEM (self));

  if (g_set_object (&self->message, message))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MESSAGE]);
}

/* Returns: (nullable) (transfer none): the conversation this row stands
 * for in conversation mode, else NULL */
const KurirStoreThread *
kurir_message_item_get_thread (KurirMessageItem *self)
{
  g_return_val_if_fail (KURIR_IS_MESSAGE_ITEM (self), NULL);
  if (self->message == NULL)
    return NULL;
  return g_object_get_data (G_OBJECT (self->message), KURIR_MESSAGE_ITEM_THREAD_KEY);
}
