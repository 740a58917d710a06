/* kurir-mail-account.c: one account's sync state
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-app"

#include "config.h"

#include <glib/gi18n.h>

#include "kurir-mail-account.h"
#include "kurir-net-error.h"
#include "kurir-pop3-sync.h"
#include "kurir-secret.h"

struct _KurirMailAccount
{
  GObject                parent_instance;

  KurirAccount          *account;
  KurirStore            *store;
  GCancellable          *cancellable;   /* of the running sync */
  KurirMailAccountState  state;
  char                  *message;
  gint64                 started;
};

enum {
  PROP_0,
  PROP_STATE,
  PROP_MESSAGE,
  N_PROPS
};

enum {
  SYNCED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (KurirMailAccount, kurir_mail_account, G_TYPE_OBJECT)

/* Helpers */

static void
set_state (KurirMailAccount      *self,
           KurirMailAccountState  state,
           const char            *message)
{
  g_object_freeze_notify (G_OBJECT (self));
  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
  if (g_strcmp0 (self->message, message) != 0)
    {
      g_free (self->message);
      self->message = g_strdup (message);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MESSAGE]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

static gboolean
is_offline_error (const GError *error)
{
  return g_error_matches (error, KURIR_NET_ERROR, KURIR_NET_ERROR_CONNECT) ||
         g_error_matches (error, KURIR_NET_ERROR, KURIR_NET_ERROR_TIMEOUT) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE) ||
         g_error_matches (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND) ||
         g_error_matches (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_TEMPORARY_FAILURE);
}

static void
sync_failed (KurirMailAccount *self,
             const GError     *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      set_state (self, KURIR_MAIL_ACCOUNT_IDLE, NULL);
      return;
    }
  g_message ("Sync of %s failed: %s", kurir_account_get_name (self->account), error->message);
  set_state (self, is_offline_error (error) ? KURIR_MAIL_ACCOUNT_OFFLINE : KURIR_MAIL_ACCOUNT_ERROR,
             error->message);
}

/* Callbacks */

static void
pop3_synced_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(KurirMailAccount) self = user_data;
  g_autoptr(GError) error = NULL;
  KurirPop3SyncStats stats = { 0 };

  g_clear_object (&self->cancellable);
  if (!kurir_pop3_sync_finish (result, &stats, &error))
    {
      sync_failed (self, error);
      return;
    }

  set_state (self, KURIR_MAIL_ACCOUNT_IDLE, NULL);
  g_signal_emit (self, signals[SYNCED], 0, stats.downloaded, self->started);
}

static void
password_found_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(KurirMailAccount) self = user_data;
  g_autoptr(GError) error = NULL;
  char *password;

  password = kurir_secret_lookup_finish (result, &error);
  if (error != NULL)
    {
      g_clear_object (&self->cancellable);
      sync_failed (self, error);
      return;
    }
  if (password == NULL)
    {
      g_autofree char *text = NULL;

      g_clear_object (&self->cancellable);
      /* Translators: %s is the account's name */
      text = g_strdup_printf (_("No password is stored in the keyring for “%s”: set it with “kurir-cli account set %s --password-stdin”"),
                              kurir_account_get_name (self->account),
                              kurir_account_get_name (self->account));
      set_state (self, KURIR_MAIL_ACCOUNT_ERROR, text);
      return;
    }

  /* The sync copies what it needs; the password leaves memory here. */
  kurir_pop3_sync_async (self->account, self->store, password, self->cancellable,
                         pop3_synced_cb, g_object_ref (self));
  kurir_secret_free (password);
}

/* Overrides */

static void
kurir_mail_account_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  KurirMailAccount *self = KURIR_MAIL_ACCOUNT (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_int (value, self->state);
      break;
    case PROP_MESSAGE:
      g_value_set_string (value, self->message);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kurir_mail_account_dispose (GObject *object)
{
  KurirMailAccount *self = KURIR_MAIL_ACCOUNT (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->account);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (kurir_mail_account_parent_class)->dispose (object);
}

static void
kurir_mail_account_finalize (GObject *object)
{
  KurirMailAccount *self = KURIR_MAIL_ACCOUNT (object);

  g_free (self->message);
  G_OBJECT_CLASS (kurir_mail_account_parent_class)->finalize (object);
}

static void
kurir_mail_account_class_init (KurirMailAccountClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = kurir_mail_account_get_property;
  object_class->dispose = kurir_mail_account_dispose;
  object_class->finalize = kurir_mail_account_finalize;

  properties[PROP_STATE] =
    g_param_spec_int ("state", NULL, NULL,
                      KURIR_MAIL_ACCOUNT_IDLE, KURIR_MAIL_ACCOUNT_UNSUPPORTED, KURIR_MAIL_ACCOUNT_IDLE,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MESSAGE] =
    g_param_spec_string ("message", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SYNCED] = g_signal_new ("synced", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_INT64);
}

static void
kurir_mail_account_init (KurirMailAccount *self)
{
}

/* Public API */

KurirMailAccount *
kurir_mail_account_new (KurirAccount *account,
                        KurirStore   *store)
{
  KurirMailAccount *self;

  g_return_val_if_fail (KURIR_IS_ACCOUNT (account), NULL);
  g_return_val_if_fail (KURIR_IS_STORE (store), NULL);

  self = g_object_new (KURIR_TYPE_MAIL_ACCOUNT, NULL);
  self->account = g_object_ref (account);
  self->store = g_object_ref (store);
  if (kurir_account_get_protocol (account) == KURIR_PROTOCOL_IMAP)
    set_state (self, KURIR_MAIL_ACCOUNT_UNSUPPORTED, _("IMAP sync comes in a later version"));
  return self;
}

KurirAccount *
kurir_mail_account_get_account (KurirMailAccount *self)
{
  g_return_val_if_fail (KURIR_IS_MAIL_ACCOUNT (self), NULL);
  return self->account;
}

const char *
kurir_mail_account_get_name (KurirMailAccount *self)
{
  g_return_val_if_fail (KURIR_IS_MAIL_ACCOUNT (self), NULL);
  return kurir_account_get_name (self->account);
}

KurirMailAccountState
kurir_mail_account_get_state (KurirMailAccount *self)
{
  g_return_val_if_fail (KURIR_IS_MAIL_ACCOUNT (self), KURIR_MAIL_ACCOUNT_IDLE);
  return self->state;
}

const char *
kurir_mail_account_get_message (KurirMailAccount *self)
{
  g_return_val_if_fail (KURIR_IS_MAIL_ACCOUNT (self), NULL);
  return self->message;
}

gboolean
kurir_mail_account_can_sync (KurirMailAccount *self)
{
  g_return_val_if_fail (KURIR_IS_MAIL_ACCOUNT (self), FALSE);
  return kurir_account_get_protocol (self->account) == KURIR_PROTOCOL_POP3;
}

void
kurir_mail_account_sync (KurirMailAccount *self)
{
  g_return_if_fail (KURIR_IS_MAIL_ACCOUNT (self));

  if (!kurir_mail_account_can_sync (self) || self->state == KURIR_MAIL_ACCOUNT_SYNCING)
    return;

  self->cancellable = g_cancellable_new ();
  self->started = g_get_real_time () / G_USEC_PER_SEC;
  set_state (self, KURIR_MAIL_ACCOUNT_SYNCING, NULL);
  kurir_secret_lookup_async (kurir_account_get_name (self->account), KURIR_PROTOCOL_POP3,
                             self->cancellable, password_found_cb, g_object_ref (self));
}

void
kurir_mail_account_cancel (KurirMailAccount *self)
{
  g_return_if_fail (KURIR_IS_MAIL_ACCOUNT (self));
  g_cancellable_cancel (self->cancellable);
}
