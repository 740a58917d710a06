/* kurir-outbox.c: the Outbox of one account: durable first, then SMTP,
 * then Sent; never a silent second delivery
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-outbox"

#include "config.h"

#include <inttypes.h>

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "kurir-checkpoint.h"
#include "kurir-imap-sync.h"
#include "kurir-journal.h"
#include "kurir-message-builder.h"
#include "kurir-message-info.h"
#include "kurir-net-error.h"
#include "kurir-outbox.h"
#include "kurir-sync-private.h"
#include "kurir-secret.h"
#include "kurir-smtp-client.h"

struct _KurirOutbox
{
  GObject       parent_instance;

  KurirAccount *account;
  KurirStore   *store;
  char         *password;
  GMainContext *context;   /* of the flush running now */
};

G_DEFINE_TYPE (KurirOutbox, kurir_outbox, G_TYPE_OBJECT)

static const char *const state_names[] = {
  "queued", "waiting", "sending", "uncertain", "failed", "sent",
};

/* Helpers */

static void
wipe_password (char **password)
{
  if (*password != NULL)
    {
      explicit_bzero (*password, strlen (*password));
      g_clear_pointer (password, g_free);
    }
}


/* Iterates the flush's main context until @slot is filled. */
static GAsyncResult *
wait_for (KurirOutbox   *self,
          GAsyncResult **slot)
{
  return kurir_sync_wait (self->context, slot);
}

static char *
outbox_dir (KurirOutbox *self)
{
  return kurir_store_get_folder_dir (self->store, kurir_account_get_name (self->account),
                                     KURIR_OUTBOX_FOLDER);
}

static gboolean
ensure_outbox (KurirOutbox  *self,
               GError      **error)
{
  g_autofree char *dir = NULL;

  if (!kurir_store_create_folder (self->store, kurir_account_get_name (self->account),
                                  KURIR_OUTBOX_FOLDER, KURIR_OUTBOX_ROLE, error))
    return FALSE;
  dir = outbox_dir (self);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_IO,
                   _("Could not create the Outbox folder %s: %s"), dir, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

/* flock() on a file of the Outbox folder; -1 with @error, or -2 when
 * @wait is FALSE and another process holds it. */
static int
lock_file (KurirOutbox  *self,
           const char   *name,
           gboolean      wait,
           GError      **error)
{
  g_autofree char *dir = outbox_dir (self);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  int fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_IO,
                   _("Could not open %s: %s"), path, g_strerror (saved));
      return -1;
    }
  while (flock (fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB) != 0)
    {
      int saved = errno;

      if (saved == EINTR)
        continue;
      close (fd);
      if (saved == EWOULDBLOCK)
        return -2;
      g_set_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_IO,
                   _("Could not lock %s: %s"), path, g_strerror (saved));
      return -1;
    }
  return fd;
}

static void
unlock_file (int fd)
{
  if (fd >= 0)
    {
      flock (fd, LOCK_UN);
      close (fd);
    }
}

static GKeyFile *
load_state (KurirOutbox  *self,
            GError      **error)
{
  g_autofree char *dir = outbox_dir (self);
  g_autofree char *path = g_build_filename (dir, KURIR_OUTBOX_STATE_FILE, NULL);
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(GError) local_error = NULL;

  if (!g_key_file_load_from_file (key_file, path, G_KEY_FILE_NONE, &local_error) &&
      !g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    {
      /* A damaged state file loses states, not messages: they are sent
       * again only if they were merely queued. Keep the broken one aside. */
      g_autofree char *aside = g_strconcat (path, ".damaged", NULL);

      g_warning ("%s: %s; set aside as %s", path, local_error->message, aside);
      g_rename (path, aside);
      g_key_file_free (g_steal_pointer (&key_file));
      key_file = g_key_file_new ();
    }
  return g_steal_pointer (&key_file);
}

static gboolean
save_state (KurirOutbox  *self,
            GKeyFile     *key_file,
            GError      **error)
{
  g_autofree char *dir = outbox_dir (self);
  g_autofree char *path = g_build_filename (dir, KURIR_OUTBOX_STATE_FILE, NULL);
  g_autofree char *data = g_key_file_to_data (key_file, NULL, NULL);

  return g_file_set_contents_full (path, data, -1,
                                   G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                   0600, error);
}

/* Changes one message's state under the state lock: read, change, write. */
typedef void (*StateEdit) (GKeyFile *key_file, const char *group, gpointer data);

static gboolean
edit_state (KurirOutbox  *self,
            const char   *message_id,
            StateEdit     edit,
            gpointer      data,
            GError      **error)
{
  g_autoptr(GKeyFile) key_file = NULL;
  gboolean ok;
  int fd;

  /* Message-IDs are checked when queued; a group name cannot hold these. */
  if (message_id == NULL || *message_id == '\0' || strpbrk (message_id, "[]\r\n") != NULL)
    return TRUE;
  fd = lock_file (self, ".kurir-outbox-state.lock", TRUE, error);
  if (fd < 0)
    return FALSE;
  key_file = load_state (self, error);
  edit (key_file, message_id, data);
  ok = save_state (self, key_file, error);
  unlock_file (fd);
  return ok;
}

typedef struct
{
  KurirOutboxState state;
  const char      *reason;
  gboolean         count_attempt;
  gboolean         copied;
} StateChange;

static void
set_state_edit (GKeyFile   *key_file,
                const char *group,
                gpointer    data)
{
  StateChange *change = data;

  g_key_file_set_string (key_file, group, "state", state_names[change->state]);
  /* Every new state starts before, or ends after, a final ".". */
  g_key_file_remove_key (key_file, group, "final-dot", NULL);
  if (change->reason != NULL)
    g_key_file_set_string (key_file, group, "reason", change->reason);
  else if (change->state != KURIR_OUTBOX_STATE_SENDING)
    g_key_file_remove_key (key_file, group, "reason", NULL);
  if (change->copied)
    g_key_file_set_boolean (key_file, group, "copied", TRUE);
  if (change->count_attempt)
    {
      int attempts = g_key_file_get_integer (key_file, group, "attempts", NULL) + 1;
      gint64 delay = KURIR_OUTBOX_BACKOFF_MIN;

      for (int i = 1; i < attempts && delay < KURIR_OUTBOX_BACKOFF_MAX; i++)
        delay *= 2;
      delay = MIN (delay, KURIR_OUTBOX_BACKOFF_MAX);
      g_key_file_set_integer (key_file, group, "attempts", attempts);
      g_key_file_set_int64 (key_file, group, "next-attempt", g_get_real_time () / G_USEC_PER_SEC + delay);
    }
  else if (change->state == KURIR_OUTBOX_STATE_QUEUED)
    {
      g_key_file_remove_key (key_file, group, "next-attempt", NULL);
      g_key_file_remove_key (key_file, group, "attempts", NULL);
    }
}

static gboolean
set_state (KurirOutbox       *self,
           const char        *message_id,
           KurirOutboxState   state,
           const char        *reason,
           gboolean           count_attempt,
           GError           **error)
{
  StateChange change = { state, reason, count_attempt, FALSE };

  return edit_state (self, message_id, set_state_edit, &change, error);
}

static void
final_dot_edit (GKeyFile   *key_file,
                const char *group,
                gpointer    data)
{
  g_key_file_set_boolean (key_file, group, "final-dot", TRUE);
}

static void
remove_edit (GKeyFile   *key_file,
             const char *group,
             gpointer    data)
{
  g_key_file_remove_group (key_file, group, NULL);
}

static void
add_edit (GKeyFile   *key_file,
          const char *group,
          gpointer    data)
{
  const char * const *recipients = data;

  g_key_file_remove_group (key_file, group, NULL);
  g_key_file_set_string (key_file, group, "state", state_names[KURIR_OUTBOX_STATE_QUEUED]);
  g_key_file_set_string_list (key_file, group, "recipients", recipients, g_strv_length ((GStrv) recipients));
  g_key_file_set_int64 (key_file, group, "queued", g_get_real_time () / G_USEC_PER_SEC);
}

static KurirOutboxState
state_from_string (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (state_names); i++)
    if (g_strcmp0 (name, state_names[i]) == 0)
      return i;
  return KURIR_OUTBOX_STATE_QUEUED;
}

/* The item of stored message @message, its state from @key_file (none:
 * queued, recipients from its headers). */
static KurirOutboxItem *
item_for (KurirOutbox  *self,
          KurirMessage *message,
          GKeyFile     *key_file)
{
  KurirOutboxItem *item = g_new0 (KurirOutboxItem, 1);
  const char *group = kurir_message_get_message_id (message);

  item->id = kurir_message_get_id (message);
  item->message_id = g_strdup (group);
  item->subject = g_strdup (kurir_message_get_subject (message));
  if (group != NULL && g_key_file_has_group (key_file, group))
    {
      g_autofree char *state = g_key_file_get_string (key_file, group, "state", NULL);

      item->state = state_from_string (state);
      item->reason = g_key_file_get_string (key_file, group, "reason", NULL);
      item->next_attempt = g_key_file_get_int64 (key_file, group, "next-attempt", NULL);
      item->attempts = g_key_file_get_integer (key_file, group, "attempts", NULL);
      item->recipients = g_key_file_get_string_list (key_file, group, "recipients", NULL, NULL);
      item->final_dot = g_key_file_get_boolean (key_file, group, "final-dot", NULL);
    }
  return item;
}

static GPtrArray *
list_items (KurirOutbox  *self,
            gint64        only_id,
            GError      **error)
{
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GKeyFile) key_file = NULL;
  GPtrArray *items;
  int fd;

  if (!ensure_outbox (self, error))
    return NULL;
  messages = kurir_store_list (self->store, kurir_account_get_name (self->account),
                               KURIR_OUTBOX_FOLDER, 0, G_MAXINT32, error);
  if (messages == NULL)
    return NULL;
  fd = lock_file (self, ".kurir-outbox-state.lock", TRUE, error);
  if (fd < 0)
    return NULL;
  key_file = load_state (self, NULL);
  unlock_file (fd);

  items = g_ptr_array_new_with_free_func ((GDestroyNotify) kurir_outbox_item_free);
  /* Oldest first: the order they were written. */
  for (guint i = messages->len; i > 0; i--)
    {
      KurirMessage *message = g_ptr_array_index (messages, i - 1);

      if (only_id != 0 && kurir_message_get_id (message) != only_id)
        continue;
      g_ptr_array_add (items, item_for (self, message, key_file));
    }
  return items;
}

static char *
find_folder_by_role (KurirOutbox *self,
                     const char  *role)
{
  g_autoptr(GPtrArray) folders = kurir_store_list_folders (self->store,
                                                           kurir_account_get_name (self->account), NULL);

  for (guint i = 0; folders != NULL && i < folders->len; i++)
    {
      KurirStoreFolder *folder = g_ptr_array_index (folders, i);

      if (g_strcmp0 (folder->role, role) == 0)
        return g_strdup (folder->name);
    }
  return NULL;
}

static gboolean
server_files_sent_mail (KurirOutbox *self)
{
  const char *host = kurir_account_get_smtp_host (self->account);

  /* Gmail puts what its SMTP server sends into "[Gmail]/Sent Mail". */
  return host != NULL && (g_str_has_suffix (host, "gmail.com") ||
                          g_str_has_suffix (host, "googlemail.com"));
}

/* Files a delivered message in Sent and drops it from the Outbox. Safe to
 * repeat after a crash: "copied" records the append. */
static gboolean
file_in_sent (KurirOutbox      *self,
              KurirOutboxItem  *item,
              gboolean         *out_appended,
              GError          **error)
{
  const char *account = kurir_account_get_name (self->account);
  g_autofree char *sent = find_folder_by_role (self, "sent");
  g_autoptr(GKeyFile) key_file = NULL;
  gboolean copied = FALSE;
  int fd;

  fd = lock_file (self, ".kurir-outbox-state.lock", TRUE, error);
  if (fd < 0)
    return FALSE;
  key_file = load_state (self, NULL);
  copied = item->message_id != NULL &&
           g_key_file_get_boolean (key_file, item->message_id, "copied", NULL);
  unlock_file (fd);

  if (kurir_account_get_protocol (self->account) == KURIR_PROTOCOL_IMAP)
    {
      if (!copied && !server_files_sent_mail (self))
        {
          g_autoptr(KurirJournal) journal = kurir_journal_new (self->store, account);
          g_autoptr(GBytes) raw = kurir_store_get_raw (self->store, item->id, error);
          StateChange change = { KURIR_OUTBOX_STATE_SENT, NULL, FALSE, TRUE };

          if (raw == NULL)
            return FALSE;
          if (sent == NULL)
            {
              sent = g_strdup ("Sent");
              if (!kurir_journal_create_folder (journal, sent, NULL))
                g_debug ("%s: could not create Sent", account);
              kurir_store_set_folder_role (self->store, account, sent, "sent", NULL);
            }
          if (kurir_journal_append (journal, sent, raw, KURIR_MESSAGE_FLAG_SEEN, error) == 0)
            return FALSE;
          *out_appended = TRUE;
          if (item->message_id != NULL &&
              !edit_state (self, item->message_id, set_state_edit, &change, error))
            return FALSE;
        }
      if (!kurir_store_delete_full (self->store, item->id, KURIR_STORE_DELETE_FORGET, error))
        return FALSE;
    }
  else if (copied)
    {
      /* A copy is in Sent already (a partial delivery earlier). */
      if (!kurir_store_delete_full (self->store, item->id, KURIR_STORE_DELETE_FORGET, error))
        return FALSE;
    }
  else
    {
      if (sent == NULL)
        {
          sent = g_strdup ("Sent");
          if (!kurir_store_create_folder (self->store, account, sent, "sent", error))
            return FALSE;
        }
      if (!kurir_store_move (self->store, item->id, sent, error))
        return FALSE;
    }
  if (item->message_id != NULL)
    return edit_state (self, item->message_id, remove_edit, NULL, error);
  return TRUE;
}

/* A copy of @raw in Sent now, while the Outbox keeps the message for
 * recipients that refused it for now. */
static gboolean
copy_to_sent (KurirOutbox  *self,
              GBytes       *raw,
              gboolean     *out_appended,
              GError      **error)
{
  const char *account = kurir_account_get_name (self->account);
  g_autofree char *sent = find_folder_by_role (self, "sent");

  if (kurir_account_get_protocol (self->account) == KURIR_PROTOCOL_IMAP)
    {
      g_autoptr(KurirJournal) journal = kurir_journal_new (self->store, account);

      if (server_files_sent_mail (self))
        return TRUE;
      if (sent == NULL)
        {
          sent = g_strdup ("Sent");
          kurir_journal_create_folder (journal, sent, NULL);
          kurir_store_set_folder_role (self->store, account, sent, "sent", NULL);
        }
      if (kurir_journal_append (journal, sent, raw, KURIR_MESSAGE_FLAG_SEEN, error) == 0)
        return FALSE;
      *out_appended = TRUE;
      return TRUE;
    }
  if (sent == NULL)
    {
      sent = g_strdup ("Sent");
      if (!kurir_store_create_folder (self->store, account, sent, "sent", error))
        return FALSE;
    }
  return kurir_store_add (self->store, account, sent, raw, NULL, KURIR_MESSAGE_FLAG_SEEN, 0, error) != 0;
}

typedef struct
{
  GPtrArray  *recipients;   /* NULL-terminated */
  const char *reason;
} LaterChange;

static void
later_edit (GKeyFile   *key_file,
            const char *group,
            gpointer    data)
{
  LaterChange *later = data;
  StateChange change = { KURIR_OUTBOX_STATE_WAITING, later->reason, TRUE, TRUE };

  set_state_edit (key_file, group, &change);
  g_key_file_set_string_list (key_file, group, "recipients", (const char * const *) later->recipients->pdata,
                              later->recipients->len - 1);
}

static char *
lookup_password (KurirOutbox  *self,
                 KurirProtocol protocol,
                 GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kurir_secret_lookup_async (kurir_account_get_name (self->account), protocol, NULL,
                             kurir_sync_store_result, &result);
  return kurir_secret_lookup_finish (wait_for (self, &result), error);
}

/* The SMTP password; else the incoming server's (the same login at most
 * providers). NULL without error: none stored. */
static char *
smtp_password (KurirOutbox  *self,
               GError      **error)
{
  char *password;

  if (self->password != NULL)
    return g_strdup (self->password);
  password = lookup_password (self, KURIR_PROTOCOL_SMTP, error);
  if (password != NULL || (error != NULL && *error != NULL))
    return password;
  return lookup_password (self, kurir_account_get_protocol (self->account), error);
}

static gboolean
error_is_offline (const GError *error)
{
  return (error->domain == KURIR_NET_ERROR &&
          (error->code == KURIR_NET_ERROR_CONNECT || error->code == KURIR_NET_ERROR_TIMEOUT ||
           error->code == KURIR_NET_ERROR_CLOSED)) ||
         error->domain == G_RESOLVER_ERROR ||
         g_error_matches (error, KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_TEMPORARY) ||
         error->domain == G_IO_ERROR;
}

static void
prefix_server (KurirOutbox  *self,
               GError      **error)
{
  /* Translators: the SMTP server's host and port, then the cause */
  g_prefix_error (error, _("outgoing server %s:%u: "), kurir_account_get_smtp_host (self->account),
                  (guint) kurir_account_get_smtp_port (self->account));
}

static KurirSmtpClient *
connect_smtp (KurirOutbox   *self,
              GCancellable  *cancellable,
              GError       **error)
{
  KurirAccount *account = self->account;
  const char *host = kurir_account_get_smtp_host (account);
  const char *user = kurir_account_get_smtp_user (account);
  g_autoptr(KurirConnection) connection = NULL;
  g_autoptr(KurirSmtpClient) client = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) password_error = NULL;
  char *password = NULL;
  gboolean ok;

  if (host == NULL || *host == '\0')
    {
      g_set_error_literal (error, KURIR_SYNC_ERROR, KURIR_SYNC_ERROR_INVALID,
                           _("no outgoing (SMTP) server is set up"));
      return NULL;
    }
  connection = kurir_account_new_connection (account, KURIR_PROTOCOL_SMTP, error);
  if (connection == NULL)
    return NULL;
  client = kurir_smtp_client_new (connection);
  kurir_smtp_client_set_allow_plaintext (client, kurir_account_get_allow_plaintext (account));

  kurir_smtp_client_connect_async (client, cancellable, kurir_sync_store_result, &result);
  if (!kurir_smtp_client_connect_finish (client, wait_for (self, &result), error))
    return NULL;
  g_clear_object (&result);

  if (user == NULL || *user == '\0')
    user = kurir_account_get_user (account);
  if (user == NULL || *user == '\0')
    user = kurir_account_get_email (account);
  password = smtp_password (self, &password_error);
  if (password == NULL)
    {
      /* Without a password, only a server that needs no login works. */
      if (password_error != NULL)
        g_debug ("%s: no password: %s", kurir_account_get_name (account), password_error->message);
      return g_steal_pointer (&client);
    }
  kurir_smtp_client_authenticate_async (client, user, password, cancellable, kurir_sync_store_result, &result);
  explicit_bzero (password, strlen (password));
  kurir_secret_free (password);
  ok = kurir_smtp_client_authenticate_finish (client, wait_for (self, &result), error);
  if (!ok)
    return NULL;
  return g_steal_pointer (&client);
}

static void
quit_smtp (KurirOutbox     *self,
           KurirSmtpClient *client)
{
  g_autoptr(GAsyncResult) result = NULL;

  if (client == NULL || !kurir_smtp_client_is_connected (client))
    return;
  kurir_smtp_client_quit_async (client, NULL, kurir_sync_store_result, &result);
  kurir_smtp_client_quit_finish (client, wait_for (self, &result), NULL);
}

/* After the journal got Sent copies: push them now when the server is
 * reachable; otherwise the next sync does. */
static void
replay_journal (KurirOutbox  *self,
                GCancellable *cancellable)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KurirImapSync) sync = NULL;
  char *password = NULL;

  if (self->password != NULL)
    password = g_strdup (self->password);
  else
    password = lookup_password (self, KURIR_PROTOCOL_IMAP, &error);
  if (password == NULL)
    return;
  sync = kurir_imap_sync_new (self->account, self->store, password);
  explicit_bzero (password, strlen (password));
  g_free (password);
  if (!kurir_imap_sync_replay (sync, NULL, cancellable, &error))
    g_debug ("%s: the Sent copy stays journalled: %s", kurir_account_get_name (self->account),
             error->message);
  kurir_imap_sync_close (sync);
}

/* The envelope sender: the message's From when it is one of the
 * account's identities, else the account's address. */
static char *
envelope_sender (KurirOutbox *self,
                 GBytes      *raw)
{
  gsize size;
  const char *data = g_bytes_get_data (raw, &size);
  g_autoptr(KurirMessageInfo) info = kurir_message_info_new_from_data (data, size);
  g_autoptr(KurirIdentity) identity = kurir_account_find_identity (self->account, info->from_address);

  return g_strdup (identity != NULL ? identity->address : kurir_account_get_email (self->account));
}

/* What goes over the wire: the message as built, or re-encoded for a
 * server without 8BITMIME (the copy in Sent stays as built). */
static GBytes *
wire_message (KurirSmtpClient  *client,
              GBytes           *raw,
              GError          **error)
{
  if (kurir_smtp_client_has_extension (client, "8BITMIME"))
    return g_bytes_ref (raw);
  return kurir_message_builder_to_7bit (raw, error);
}

typedef struct
{
  KurirOutbox *self;
  const char  *message_id;   /* of the message being sent */
  gboolean     failed;       /* the mark could not be written: not sent */
} DotMarker;

/* Just before the final ".": the last moment the message is certainly
 * not delivered. Marks it durably, so that a crash from here on makes it
 * uncertain, and one before it sends it again. */
static gboolean
before_dot_cb (KurirSmtpClient  *client,
               gpointer          user_data,
               GError          **error)
{
  DotMarker *marker = user_data;

  kurir_checkpoint ("outbox-data-sent");
  if (!edit_state (marker->self, marker->message_id, final_dot_edit, NULL, error))
    {
      marker->failed = TRUE;
      g_prefix_error (error, _("Could not record the state of the message before sending it: "));
      return FALSE;
    }
  kurir_checkpoint ("outbox-dot-marked");
  return TRUE;
}

static gboolean
flush_locked (KurirOutbox       *self,
              gint64             only_id,
              gboolean           force,
              KurirOutboxStats  *stats,
              GCancellable      *cancellable,
              GError           **error)
{
  g_autoptr(GPtrArray) items = list_items (self, only_id, error);
  g_autoptr(GPtrArray) due = g_ptr_array_new ();
  g_autoptr(KurirSmtpClient) client = NULL;
  g_autoptr(GError) first_error = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gboolean appended = FALSE;
  DotMarker marker = { self, NULL, FALSE };

  if (items == NULL)
    return FALSE;

  for (guint i = 0; i < items->len; i++)
    {
      KurirOutboxItem *item = g_ptr_array_index (items, i);
      g_autoptr(GError) local_error = NULL;

      switch (item->state)
        {
        case KURIR_OUTBOX_STATE_SENT:
          if (file_in_sent (self, item, &appended, &local_error))
            stats->sent++;
          else
            g_warning ("Could not file a sent message: %s", local_error->message);
          break;

        case KURIR_OUTBOX_STATE_SENDING:
          /* A flush stopped in the middle (a crash). Before the mark of
           * the final ".", the server never had a complete message: it
           * dropped the data when the connection died; send it again. */
          if (!item->final_dot)
            {
              g_ptr_array_add (due, item);
              break;
            }
          /* After it, it may have gone. */
          if (item->message_id != NULL)
            set_state (self, item->message_id, KURIR_OUTBOX_STATE_UNCERTAIN,
                       _("Kurir stopped while sending this message: it may have been delivered"),
                       FALSE, NULL);
          stats->uncertain++;
          break;

        case KURIR_OUTBOX_STATE_UNCERTAIN:
          stats->uncertain++;
          break;

        case KURIR_OUTBOX_STATE_FAILED:
          stats->failed++;
          break;

        case KURIR_OUTBOX_STATE_WAITING:
          if (!force && item->next_attempt > now)
            {
              stats->waiting++;
              break;
            }
          G_GNUC_FALLTHROUGH;
        case KURIR_OUTBOX_STATE_QUEUED:
        default:
          g_ptr_array_add (due, item);
          break;
        }
    }

  for (guint i = 0; i < due->len; i++)
    {
      KurirOutboxItem *item = g_ptr_array_index (due, i);
      g_autoptr(GBytes) raw = NULL;
      g_autoptr(GBytes) prepared = NULL;
      g_autoptr(GBytes) wire = NULL;
      g_autofree char *from = NULL;
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(KurirSmtpSendResult) sent = NULL;
      g_autoptr(GError) local_error = NULL;
      g_auto(GStrv) header_recipients = NULL;
      const char * const *recipients;

      if (g_cancellable_set_error_if_cancelled (cancellable, &local_error))
        break;
      raw = kurir_store_get_raw (self->store, item->id, &local_error);
      if (raw == NULL)
        {
          g_warning ("Outbox message %" G_GINT64_FORMAT ": %s", item->id, local_error->message);
          continue;
        }
      /* A message without a state (its state file was lost): its headers
       * say whom to; it needs a Message-ID to be tracked. */
      if (item->recipients == NULL || item->recipients[0] == NULL || item->message_id == NULL)
        {
          g_autofree char *message_id = NULL;

          prepared = kurir_message_builder_prepare (raw, NULL, &header_recipients, &message_id,
                                                    &local_error);
          if (prepared == NULL || item->message_id == NULL)
            {
              stats->failed++;
              if (item->message_id != NULL)
                set_state (self, item->message_id, KURIR_OUTBOX_STATE_FAILED,
                           local_error != NULL ? local_error->message : NULL, FALSE, NULL);
              continue;
            }
          recipients = (const char * const *) header_recipients;
        }
      else
        recipients = (const char * const *) item->recipients;

      if (client == NULL)
        {
          client = connect_smtp (self, cancellable, &local_error);
          if (client == NULL)
            {
              prefix_server (self, &local_error);
              /* Nothing was sent: every due message waits for the next try. */
              for (guint j = i; j < due->len; j++)
                {
                  KurirOutboxItem *waiting = g_ptr_array_index (due, j);

                  set_state (self, waiting->message_id, KURIR_OUTBOX_STATE_WAITING,
                             local_error->message, TRUE, NULL);
                  stats->waiting++;
                }
              g_propagate_error (&first_error, g_steal_pointer (&local_error));
              break;
            }
        }

      /* Durably "sending" before the first byte, and marked again just
       * before the final "." (before_dot_cb): a crash between the two
       * sends it again, one after the mark makes it uncertain, never a
       * silent second delivery. */
      kurir_checkpoint ("outbox-stored");
      if (!set_state (self, item->message_id, KURIR_OUTBOX_STATE_SENDING, NULL, FALSE, &local_error))
        {
          if (first_error == NULL)
            g_propagate_error (&first_error, g_steal_pointer (&local_error));
          break;
        }
      kurir_checkpoint ("outbox-sending");
      from = envelope_sender (self, raw);
      wire = wire_message (client, raw, &local_error);
      if (wire == NULL)
        {
          set_state (self, item->message_id, KURIR_OUTBOX_STATE_FAILED, local_error->message, FALSE, NULL);
          stats->failed++;
          continue;
        }
      marker.message_id = item->message_id;
      marker.failed = FALSE;
      kurir_smtp_client_set_before_dot_func (client, before_dot_cb, &marker, NULL);
      kurir_smtp_client_send_async (client, from, recipients, wire, KURIR_SMTP_SEND_NONE, cancellable,
                                    kurir_sync_store_result, &result);
      sent = kurir_smtp_client_send_finish (client, wait_for (self, &result), &local_error);
      kurir_smtp_client_set_before_dot_func (client, NULL, NULL, NULL);
      kurir_checkpoint ("outbox-replied");
      if (sent != NULL)
        {
          StateChange change = { KURIR_OUTBOX_STATE_SENT, NULL, FALSE, FALSE };
          g_autoptr(GError) file_error = NULL;

          edit_state (self, item->message_id, set_state_edit, &change, NULL);
          stats->refused_recipients += sent->n_permanent + sent->n_temporary;
          for (guint j = 0; j < sent->recipients->len; j++)
            {
              KurirSmtpRecipient *recipient = g_ptr_array_index (sent->recipients, j);

              if (recipient->status != KURIR_SMTP_RECIPIENT_ACCEPTED)
                g_message ("%s: %s refused: %u %s", kurir_account_get_name (self->account),
                           recipient->address, recipient->code, recipient->reply);
            }
          if (sent->n_temporary > 0)
            {
              /* Delivered to some; those that refused it for now get it
               * later: a copy goes to Sent now, the Outbox keeps it. */
              g_autoptr(GPtrArray) later = g_ptr_array_new ();
              g_autoptr(GString) reason = g_string_new (NULL);
              LaterChange change_later = { later, NULL };

              for (guint j = 0; j < sent->recipients->len; j++)
                {
                  KurirSmtpRecipient *recipient = g_ptr_array_index (sent->recipients, j);

                  if (recipient->status != KURIR_SMTP_RECIPIENT_TEMPORARY)
                    continue;
                  g_ptr_array_add (later, recipient->address);
                  g_string_append_printf (reason, "%s%s: %u %s", reason->len > 0 ? "; " : "",
                                          recipient->address, recipient->code,
                                          recipient->reply != NULL ? recipient->reply : "");
                }
              g_ptr_array_add (later, NULL);
              change_later.reason = reason->str;
              if (!copy_to_sent (self, raw, &appended, &file_error))
                g_warning ("Could not file a sent message: %s", file_error->message);
              edit_state (self, item->message_id, later_edit, &change_later, NULL);
              stats->sent++;
              stats->waiting++;
              continue;
            }
          if (file_in_sent (self, item, &appended, &file_error))
            stats->sent++;
          else
            {
              /* Delivered: it stays "sent" and the next flush files it. */
              stats->sent++;
              g_warning ("Could not file a sent message: %s", file_error->message);
            }
          kurir_checkpoint ("outbox-filed");
          continue;
        }

      prefix_server (self, &local_error);
      if (g_error_matches (local_error, KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_UNCERTAIN))
        {
          set_state (self, item->message_id, KURIR_OUTBOX_STATE_UNCERTAIN, local_error->message, FALSE,
                     NULL);
          stats->uncertain++;
        }
      else if (marker.failed || error_is_offline (local_error) ||
               g_error_matches (local_error, KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_PROTOCOL) ||
               g_error_matches (local_error, KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_AUTH_REQUIRED))
        {
          set_state (self, item->message_id, KURIR_OUTBOX_STATE_WAITING, local_error->message, TRUE,
                     NULL);
          stats->waiting++;
        }
      else
        {
          set_state (self, item->message_id, KURIR_OUTBOX_STATE_FAILED, local_error->message, FALSE,
                     NULL);
          stats->failed++;
        }
      if (first_error == NULL)
        g_propagate_error (&first_error, g_steal_pointer (&local_error));
      if (!kurir_smtp_client_is_connected (client))
        g_clear_object (&client);
    }

  quit_smtp (self, client);
  if (appended)
    replay_journal (self, cancellable);

  if (first_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&first_error));
      return FALSE;
    }
  return TRUE;
}

/* Overrides */

static void
kurir_outbox_dispose (GObject *object)
{
  KurirOutbox *self = KURIR_OUTBOX (object);

  g_clear_object (&self->account);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (kurir_outbox_parent_class)->dispose (object);
}

static void
kurir_outbox_finalize (GObject *object)
{
  KurirOutbox *self = KURIR_OUTBOX (object);

  wipe_password (&self->password);

  G_OBJECT_CLASS (kurir_outbox_parent_class)->finalize (object);
}

static void
kurir_outbox_class_init (KurirOutboxClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kurir_outbox_dispose;
  object_class->finalize = kurir_outbox_finalize;
}

static void
kurir_outbox_init (KurirOutbox *self)
{
}

/* Public API */

const char *
kurir_outbox_state_to_string (KurirOutboxState state)
{
  g_return_val_if_fail (state < G_N_ELEMENTS (state_names), NULL);
  return state_names[state];
}

void
kurir_outbox_item_free (KurirOutboxItem *item)
{
  if (item == NULL)
    return;
  g_free (item->message_id);
  g_free (item->subject);
  g_free (item->reason);
  g_strfreev (item->recipients);
  g_free (item);
}

KurirOutbox *
kurir_outbox_new (KurirAccount *account,
                  KurirStore   *store)
{
  KurirOutbox *self;

  g_return_val_if_fail (KURIR_IS_ACCOUNT (account), NULL);
  g_return_val_if_fail (KURIR_IS_STORE (store), NULL);

  self = g_object_new (KURIR_TYPE_OUTBOX, NULL);
  self->account = g_object_ref (account);
  self->store = g_object_ref (store);
  return self;
}

void
kurir_outbox_set_password (KurirOutbox *self,
                           const char  *password)
{
  g_return_if_fail (KURIR_IS_OUTBOX (self));

  wipe_password (&self->password);
  self->password = g_strdup (password);
}

gint64
kurir_outbox_queue (KurirOutbox         *self,
                    GBytes              *message,
                    const char * const  *recipients,
                    GError             **error)
{
  g_autoptr(GBytes) checked = NULL;
  g_autofree char *message_id = NULL;
  g_auto(GStrv) header_recipients = NULL;

  g_return_val_if_fail (KURIR_IS_OUTBOX (self), 0);
  g_return_val_if_fail (message != NULL, 0);

  /* The Message-ID keys the state; the recipients default to the headers. */
  checked = kurir_message_builder_prepare (message, NULL, &header_recipients, &message_id, error);
  if (checked == NULL)
    return 0;
  if (g_bytes_get_size (checked) != g_bytes_get_size (message))
    {
      g_set_error_literal (error, KURIR_MESSAGE_BUILDER_ERROR, KURIR_MESSAGE_BUILDER_ERROR_INVALID,
                           _("The message must have a Message-ID and a Date and no Bcc field "
                             "(kurir_message_builder_prepare())"));
      return 0;
    }
  if (recipients == NULL || recipients[0] == NULL)
    recipients = (const char * const *) header_recipients;
  if (!ensure_outbox (self, error))
    return 0;
  /* The state first (an entry without its message is ignored), then the
   * message, written durably by the store. */
  if (!edit_state (self, message_id, add_edit, (gpointer) recipients, error))
    return 0;
  return kurir_store_add (self->store, kurir_account_get_name (self->account), KURIR_OUTBOX_FOLDER,
                          message, NULL, KURIR_MESSAGE_FLAG_SEEN, 0, error);
}

GPtrArray *
kurir_outbox_list (KurirOutbox  *self,
                   GError      **error)
{
  g_return_val_if_fail (KURIR_IS_OUTBOX (self), NULL);
  return list_items (self, 0, error);
}

KurirOutboxItem *
kurir_outbox_get_item (KurirOutbox  *self,
                       gint64        id,
                       GError      **error)
{
  g_autoptr(GPtrArray) items = NULL;

  g_return_val_if_fail (KURIR_IS_OUTBOX (self), NULL);

  items = list_items (self, id, error);
  if (items == NULL)
    return NULL;
  if (items->len == 0)
    {
      g_set_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_NOT_FOUND,
                   _("Message %" PRId64 " is not in the Outbox"), id);
      return NULL;
    }
  return g_ptr_array_steal_index (items, 0);
}

gboolean
kurir_outbox_flush (KurirOutbox       *self,
                    gint64             only_id,
                    gboolean           force,
                    KurirOutboxStats  *out_stats,
                    GCancellable      *cancellable,
                    GError           **error)
{
  KurirOutboxStats stats = { 0 };
  g_autoptr(GMainContext) context = NULL;
  gboolean ok;
  int fd;

  g_return_val_if_fail (KURIR_IS_OUTBOX (self), FALSE);
  g_return_val_if_fail (self->context == NULL, FALSE);

  if (!ensure_outbox (self, error))
    return FALSE;
  /* One sender per Outbox, across processes. */
  fd = lock_file (self, ".kurir-outbox-send.lock", FALSE, error);
  if (fd == -1)
    return FALSE;
  if (fd == -2)
    {
      stats.busy = TRUE;
      if (out_stats != NULL)
        *out_stats = stats;
      return TRUE;
    }

  context = g_main_context_new ();
  self->context = context;
  g_main_context_push_thread_default (context);
  ok = flush_locked (self, only_id, force, &stats, cancellable, error);
  g_main_context_pop_thread_default (context);
  self->context = NULL;
  unlock_file (fd);

  if (!ok && error != NULL && *error != NULL)
    g_debug ("%s: %s", kurir_account_get_name (self->account), (*error)->message);
  if (out_stats != NULL)
    *out_stats = stats;
  return ok;
}

gboolean
kurir_outbox_resend (KurirOutbox  *self,
                     gint64        id,
                     GError      **error)
{
  g_autoptr(KurirOutboxItem) item = NULL;

  g_return_val_if_fail (KURIR_IS_OUTBOX (self), FALSE);

  item = kurir_outbox_get_item (self, id, error);
  if (item == NULL)
    return FALSE;
  if (item->message_id == NULL)
    {
      g_set_error_literal (error, KURIR_SYNC_ERROR, KURIR_SYNC_ERROR_INVALID,
                           _("The message has no Message-ID"));
      return FALSE;
    }
  return set_state (self, item->message_id, KURIR_OUTBOX_STATE_QUEUED, NULL, FALSE, error);
}

gboolean
kurir_outbox_discard (KurirOutbox  *self,
                      gint64        id,
                      GError      **error)
{
  g_autoptr(KurirOutboxItem) item = NULL;

  g_return_val_if_fail (KURIR_IS_OUTBOX (self), FALSE);

  item = kurir_outbox_get_item (self, id, error);
  if (item == NULL)
    return FALSE;
  if (!kurir_store_delete_full (self->store, id, KURIR_STORE_DELETE_FORGET, error))
    return FALSE;
  if (item->message_id != NULL)
    return edit_state (self, item->message_id, remove_edit, NULL, error);
  return TRUE;
}

gboolean
kurir_outbox_flush_run (KurirAccount      *account,
                        KurirStore        *store,
                        KurirOutboxStats  *out_stats,
                        GCancellable      *cancellable,
                        GError           **error)
{
  g_autoptr(KurirOutbox) outbox = NULL;

  g_return_val_if_fail (KURIR_IS_ACCOUNT (account), FALSE);
  g_return_val_if_fail (KURIR_IS_STORE (store), FALSE);

  outbox = kurir_outbox_new (account, store);
  return kurir_outbox_flush (outbox, 0, FALSE, out_stats, cancellable, error);
}

typedef struct
{
  KurirAccount     *account;
  KurirStore       *store;
  KurirOutboxStats  stats;
} FlushData;

static void
flush_data_free (gpointer data)
{
  FlushData *flush = data;

  g_object_unref (flush->account);
  g_object_unref (flush->store);
  g_free (flush);
}

static void
flush_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  FlushData *flush = task_data;
  GError *error = NULL;

  if (kurir_outbox_flush_run (flush->account, flush->store, &flush->stats, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
kurir_outbox_flush_async (KurirAccount        *account,
                          KurirStore          *store,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  FlushData *flush;

  g_return_if_fail (KURIR_IS_ACCOUNT (account));
  g_return_if_fail (KURIR_IS_STORE (store));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, kurir_outbox_flush_async);
  flush = g_new0 (FlushData, 1);
  flush->account = g_object_ref (account);
  flush->store = g_object_ref (store);
  g_task_set_task_data (task, flush, flush_data_free);
  g_task_run_in_thread (task, flush_thread);
}

gboolean
kurir_outbox_flush_finish (GAsyncResult      *result,
                           KurirOutboxStats  *out_stats,
                           GError           **error)
{
  FlushData *flush;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  flush = g_task_get_task_data (G_TASK (result));
  if (out_stats != NULL)
    *out_stats = flush->stats;
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* The Drafts folder of @account (role "drafts"), made here when none. */
static char *
drafts_folder (KurirStore   *store,
               KurirAccount *account,
               GError      **error)
{
  const char *name = kurir_account_get_name (account);
  g_autoptr(GPtrArray) folders = kurir_store_list_folders (store, name, error);

  if (folders == NULL)
    return NULL;
  for (guint i = 0; i < folders->len; i++)
    {
      KurirStoreFolder *folder = g_ptr_array_index (folders, i);

      if (g_strcmp0 (folder->role, "drafts") == 0)
        return g_strdup (folder->name);
    }
  if (!kurir_store_create_folder (store, name, "Drafts", "drafts", error))
    return NULL;
  return g_strdup ("Drafts");
}

gint64
kurir_outbox_save_draft (KurirAccount  *account,
                         KurirStore    *store,
                         GBytes        *draft,
                         gint64         replaces,
                         GError       **error)
{
  const KurirMessageFlags flags = KURIR_MESSAGE_FLAG_SEEN | KURIR_MESSAGE_FLAG_DRAFT;
  g_autofree char *folder = NULL;
  g_autoptr(GError) drop_error = NULL;
  gint64 id;

  g_return_val_if_fail (KURIR_IS_ACCOUNT (account), 0);
  g_return_val_if_fail (KURIR_IS_STORE (store), 0);
  g_return_val_if_fail (draft != NULL, 0);

  folder = drafts_folder (store, account, error);
  if (folder == NULL)
    return 0;
  if (kurir_account_get_protocol (account) == KURIR_PROTOCOL_IMAP)
    {
      g_autoptr(KurirJournal) journal = kurir_journal_new (store, kurir_account_get_name (account));

      id = kurir_journal_append (journal, folder, draft, flags, error);
    }
  else
    id = kurir_store_add (store, kurir_account_get_name (account), folder, draft, NULL, flags, 0, error);
  if (id == 0)
    return 0;
  /* The new version is safe: the old one goes. */
  if (replaces != 0 && !kurir_outbox_drop_draft (account, store, replaces, &drop_error))
    g_debug ("The old draft %" G_GINT64_FORMAT " stays: %s", replaces, drop_error->message);
  return id;
}

gboolean
kurir_outbox_drop_draft (KurirAccount  *account,
                         KurirStore    *store,
                         gint64         id,
                         GError       **error)
{
  g_return_val_if_fail (KURIR_IS_ACCOUNT (account), FALSE);
  g_return_val_if_fail (KURIR_IS_STORE (store), FALSE);

  if (id == 0)
    return TRUE;
  if (kurir_account_get_protocol (account) == KURIR_PROTOCOL_IMAP)
    {
      g_autoptr(KurirJournal) journal = kurir_journal_new (store, kurir_account_get_name (account));

      return kurir_journal_expunge (journal, id, error);
    }
  return kurir_store_delete_full (store, id, KURIR_STORE_DELETE_FORGET, error);
}
