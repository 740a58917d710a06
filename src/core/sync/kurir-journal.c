/* kurir-journal.c: the offline journal of an IMAP account
 *
 * Order of an edit: the journal row first, then the store. A crash between
 * the two leaves an edit that the replay sends and the next sync brings
 * back here; never a change here that the server does not learn of.
 *
 * Replay, per entry, idempotent at every step:
 *   flags   UID STORE +FLAGS.SILENT/-FLAGS.SILENT: sending it twice is
 *           harmless; a UID that is gone changes nothing.
 *   move    UID MOVE (or COPY + STORE + UID EXPUNGE); when the source UID
 *           is gone (a crash after the server moved it), the message is
 *           looked for by its Message-ID in the destination. The new UID
 *           ([COPYUID]) becomes the key of the local copy and of later
 *           entries for the same message.
 *   delete  a move to the Trash, or \Deleted + UID EXPUNGE of that UID
 *           (only \Deleted without UIDPLUS).
 *   create  CREATE; [ALREADYEXISTS] counts as done.
 *   append  APPEND, unless a message with the same Message-ID is in the
 *           folder already (appended before a crash); [APPENDUID] or the
 *           Message-ID gives the local copy its key.
 * The entry is removed only after the server answered OK. A UIDVALIDITY
 * that changed since the edit means the UID means nothing: the message is
 * found again by its Message-ID.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-sync"

#include "config.h"

#include <inttypes.h>

#include <glib/gi18n.h>
#include <string.h>

#include "kurir-checkpoint.h"
#include "kurir-imap-error.h"
#include "kurir-imap-sync-private.h"
#include "kurir-journal.h"
#include "kurir-net-error.h"

struct _KurirJournal
{
  GObject     parent_instance;

  KurirStore *store;
  char       *account;
};

typedef struct
{
  KurirJournal      *self;
  KurirImapClient   *client;
  GMainContext      *context;
  GCancellable      *cancellable;
  char              *selected;
  guint32            uidvalidity;
  GPtrArray         *entries;   /* KurirStoreJournalEntry, pending, in order */
} Replay;

G_DEFINE_TYPE (KurirJournal, kurir_journal, G_TYPE_OBJECT)

G_DEFINE_QUARK (kurir-sync-error-quark, kurir_sync_error)

/* Helpers */

static GAsyncResult *
wait_for (Replay        *replay,
          GAsyncResult **slot)
{
  return kurir_sync_wait (replay->context, slot);
}

/* Whether the server refused this edit (it will refuse it again), as
 * opposed to a connection or server trouble that a later replay outlives. */
static gboolean
is_refusal (const GError *error)
{
  return g_error_matches (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_REFUSED) ||
         g_error_matches (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_NONEXISTENT) ||
         g_error_matches (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_NOT_SUPPORTED) ||
         g_error_matches (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_INVALID_ARGUMENT);
}

static char *
find_trash (KurirJournal *self)
{
  g_autoptr(GPtrArray) folders = kurir_store_list_folders (self->store, self->account, NULL);

  for (guint i = 0; folders != NULL && i < folders->len; i++)
    {
      KurirStoreFolder *folder = g_ptr_array_index (folders, i);

      if (g_strcmp0 (folder->role, "trash") == 0)
        return g_strdup (folder->name);
    }
  return NULL;
}

static gint64
folder_uidvalidity (KurirJournal *self,
                    const char   *folder)
{
  g_autoptr(KurirStoreFolder) info = kurir_store_get_folder (self->store, self->account, folder, NULL);

  return info ? info->uidvalidity : 0;
}

static KurirMessage *
get_own_message (KurirJournal  *self,
                 gint64         id,
                 GError       **error)
{
  g_autoptr(KurirMessage) message = kurir_store_get_message (self->store, id, error);

  if (message == NULL)
    return NULL;
  if (g_strcmp0 (kurir_message_get_account (message), self->account) != 0)
    {
      g_set_error (error, KURIR_SYNC_ERROR, KURIR_SYNC_ERROR_INVALID,
                   _("message %" PRId64 " is not in account “%s”"), id, self->account);
      return NULL;
    }
  return g_steal_pointer (&message);
}

static void
entry_for_message (KurirJournal           *self,
                   KurirStoreJournalEntry *entry,
                   KurirStoreJournalOp     op,
                   KurirMessage           *message)
{
  const char *folder = kurir_message_get_folder (message);

  entry->account = self->account;
  entry->op = op;
  entry->folder = (char *) folder;
  entry->backend_key = (char *) kurir_message_get_backend_key (message);
  entry->uidvalidity = folder_uidvalidity (self, folder);
  entry->message_id = (char *) kurir_message_get_message_id (message);
  entry->message = kurir_message_get_id (message);
}

/* Helpers: replay */

static gboolean
replay_select (Replay      *replay,
               const char  *folder,
               GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(KurirImapMailbox) mailbox = NULL;

  if (g_strcmp0 (replay->selected, folder) == 0 &&
      g_strcmp0 (kurir_imap_client_get_selected (replay->client), folder) == 0)
    return TRUE;
  kurir_imap_client_select_async (replay->client, folder, FALSE, 0, 0, NULL, 0,
                                  replay->cancellable, kurir_sync_store_result, &result);
  mailbox = kurir_imap_client_select_finish (replay->client, wait_for (replay, &result), error);
  g_clear_pointer (&replay->selected, g_free);
  if (mailbox == NULL)
    return FALSE;
  replay->selected = g_strdup (folder);
  replay->uidvalidity = mailbox->uidvalidity;
  return TRUE;
}

typedef struct
{
  char    *wanted;
  guint32  uid;
} FindData;

static void
find_fetch_cb (KurirImapResponse *response,
               gpointer           user_data)
{
  FindData *data = user_data;
  g_autoptr(GBytes) header = NULL;
  guint32 uid = 0;
  gboolean present;

  if (!kurir_imap_response_get_fetch_uid (response, &uid))
    return;
  header = kurir_imap_response_dup_fetch_body (response, "BODY[HEADER.FIELDS (MESSAGE-ID)]",
                                               &present);
  if (header != NULL)
    {
      g_autofree char *text = g_strndup (g_bytes_get_data (header, NULL), g_bytes_get_size (header));
      const char *colon = strchr (text, ':');
      g_autofree char *id = colon ? kurir_sync_normalize_message_id (colon + 1) : NULL;

      if (id != NULL && g_strcmp0 (id, data->wanted) == 0)
        data->uid = MAX (data->uid, uid);
    }
}

/* The UID of the message with @message_id in the selected folder, or 0. */
static gboolean
find_by_message_id (Replay      *replay,
                    const char  *message_id,
                    guint32     *out_uid,
                    GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  FindData data = { kurir_sync_normalize_message_id (message_id), 0 };
  gboolean ok;

  *out_uid = 0;
  if (data.wanted == NULL)
    return TRUE;
  kurir_imap_client_fetch_async (replay->client, "1:*",
                                 "(UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])", 0, FALSE,
                                 find_fetch_cb, &data, NULL, replay->cancellable,
                                 kurir_sync_store_result, &result);
  ok = kurir_imap_client_fetch_finish (replay->client, wait_for (replay, &result), NULL, NULL, error);
  g_free (data.wanted);
  if (ok)
    *out_uid = data.uid;
  return ok;
}

/* The entry's UID in its (selected) folder, or 0 when it is not there. */
static gboolean
resolve_uid (Replay                 *replay,
             KurirStoreJournalEntry *entry,
             guint32                *out_uid,
             GError                **error)
{
  guint64 uid;

  *out_uid = 0;
  if (entry->backend_key != NULL &&
      (entry->uidvalidity == 0 || entry->uidvalidity == replay->uidvalidity) &&
      g_ascii_string_to_unsigned (entry->backend_key, 10, 1, G_MAXUINT32, &uid, NULL))
    {
      *out_uid = (guint32) uid;
      return TRUE;
    }
  return find_by_message_id (replay, entry->message_id, out_uid, error);
}

/* Later entries for the same local message follow it to its new place. */
static void
follow_message (Replay                 *replay,
                guint                   index,
                const char             *folder,
                guint32                 uid,
                guint32                 uidvalidity)
{
  KurirStoreJournalEntry *done = g_ptr_array_index (replay->entries, index);
  g_autofree char *key = uid ? g_strdup_printf ("%u", uid) : NULL;

  if (done->message > 0)
    {
      g_autoptr(KurirMessage) message = kurir_store_get_message (replay->self->store, done->message, NULL);
      g_autoptr(GError) error = NULL;

      if (message != NULL && g_strcmp0 (kurir_message_get_folder (message), folder) == 0 &&
          g_strcmp0 (kurir_message_get_backend_key (message), key) != 0 &&
          !kurir_store_move_with_key (replay->self->store, done->message, folder, key, &error))
        g_warning ("Could not note the new UID of message %" G_GINT64_FORMAT ": %s",
                   done->message, error->message);
    }

  for (guint i = index + 1; i < replay->entries->len; i++)
    {
      KurirStoreJournalEntry *later = g_ptr_array_index (replay->entries, i);

      if (done->message <= 0 || later->message != done->message)
        continue;
      g_free (later->folder);
      later->folder = g_strdup (folder);
      g_free (later->backend_key);
      later->backend_key = g_strdup (key);
      later->uidvalidity = uidvalidity;
      kurir_store_journal_update_key (replay->self->store, later->id, folder, key, uidvalidity, NULL);
    }
}

static gboolean
replay_flags (Replay                 *replay,
              KurirStoreJournalEntry *entry,
              GError                **error)
{
  struct { KurirMessageFlags flags; KurirImapStoreAction action; } steps[] = {
    { entry->add_flags, KURIR_IMAP_STORE_ADD },
    { entry->remove_flags, KURIR_IMAP_STORE_REMOVE },
  };
  guint32 uid;

  if (!replay_select (replay, entry->folder, error) || !resolve_uid (replay, entry, &uid, error))
    return FALSE;
  if (uid == 0)
    return TRUE;   /* gone from the server: nothing left to change */

  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GArray) modified = NULL;
      g_auto(GStrv) names = kurir_sync_flags_to_imap (steps[i].flags);

      if (names[0] == NULL)
        continue;
      kurir_imap_client_store_async (replay->client, &uid, 1, steps[i].action,
                                     (const char * const *) names, 0, replay->cancellable,
                                     kurir_sync_store_result, &result);
      modified = kurir_imap_client_store_finish (replay->client, wait_for (replay, &result), error);
      if (modified == NULL)
        return FALSE;
    }
  return TRUE;
}

static gboolean
replay_move (Replay                 *replay,
             guint                   index,
             KurirStoreJournalEntry *entry,
             GError                **error)
{
  g_autoptr(KurirImapCopyResult) moved = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  guint32 uid, new_uid = 0, new_uidvalidity = 0;

  if (!replay_select (replay, entry->folder, error) || !resolve_uid (replay, entry, &uid, error))
    return FALSE;

  if (uid != 0)
    {
      kurir_imap_client_move_async (replay->client, &uid, 1, entry->target, replay->cancellable,
                                    kurir_sync_store_result, &result);
      moved = kurir_imap_client_move_finish (replay->client, wait_for (replay, &result), error);
      if (moved == NULL)
        return FALSE;
      if (moved->dest_uids != NULL && moved->dest_uids->len == 1)
        {
          new_uid = g_array_index (moved->dest_uids, guint32, 0);
          new_uidvalidity = moved->uidvalidity;
        }
    }

  /* No [COPYUID], or the source was gone (moved before a crash, or by
   * someone else): look for it in the destination. */
  if (new_uid == 0 && entry->message_id != NULL)
    {
      if (!replay_select (replay, entry->target, error) ||
          !find_by_message_id (replay, entry->message_id, &new_uid, error))
        return FALSE;
      new_uidvalidity = replay->uidvalidity;
    }

  follow_message (replay, index, entry->target, new_uid, new_uidvalidity);
  return TRUE;
}

static gboolean
replay_expunge (Replay                 *replay,
                KurirStoreJournalEntry *entry,
                GError                **error)
{
  g_autoptr(GAsyncResult) stored = NULL;
  g_autoptr(GAsyncResult) expunged = NULL;
  g_autoptr(GArray) modified = NULL;
  const char *deleted[] = { "\\Deleted", NULL };
  guint32 uid;

  if (!replay_select (replay, entry->folder, error) || !resolve_uid (replay, entry, &uid, error))
    return FALSE;
  if (uid == 0)
    return TRUE;

  kurir_imap_client_store_async (replay->client, &uid, 1, KURIR_IMAP_STORE_ADD, deleted, 0,
                                 replay->cancellable, kurir_sync_store_result, &stored);
  modified = kurir_imap_client_store_finish (replay->client, wait_for (replay, &stored), error);
  if (modified == NULL)
    return FALSE;
  /* Without UIDPLUS an EXPUNGE would take other \Deleted messages too:
   * this one stays \Deleted (hidden here) for the server to clean up. */
  if (!kurir_imap_client_has_capability (replay->client, "UIDPLUS"))
    return TRUE;
  kurir_imap_client_expunge_async (replay->client, &uid, 1, replay->cancellable,
                                   kurir_sync_store_result, &expunged);
  return kurir_imap_client_expunge_finish (replay->client, wait_for (replay, &expunged), error);
}

static gboolean
replay_create (Replay                 *replay,
               KurirStoreJournalEntry *entry,
               GError                **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) local_error = NULL;

  kurir_imap_client_mailbox_op_async (replay->client, KURIR_IMAP_MAILBOX_OP_CREATE, entry->target,
                                      NULL, replay->cancellable, kurir_sync_store_result, &result);
  if (kurir_imap_client_mailbox_op_finish (replay->client, wait_for (replay, &result), &local_error))
    return TRUE;
  if (strstr (local_error->message, "ALREADYEXISTS") != NULL)
    return TRUE;   /* made before a crash, or by someone else */
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

static gboolean
replay_append (Replay                 *replay,
               guint                   index,
               KurirStoreJournalEntry *entry,
               GError                **error)
{
  g_autoptr(KurirMessage) message = NULL;
  g_autoptr(GBytes) data = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(KurirImapCopyResult) appended = NULL;
  g_auto(GStrv) flags = NULL;
  guint32 uid = 0, uidvalidity = 0;

  if (entry->message > 0)
    message = kurir_store_get_message (replay->self->store, entry->message, NULL);
  if (message == NULL || kurir_message_get_backend_key (message) != NULL)
    return TRUE;   /* deleted here since, or uploaded already */

  if (!replay_select (replay, entry->folder, error))
    return FALSE;
  if (entry->message_id != NULL && !find_by_message_id (replay, entry->message_id, &uid, error))
    return FALSE;
  uidvalidity = replay->uidvalidity;

  if (uid == 0)
    {
      data = kurir_store_get_raw (replay->self->store, entry->message, error);
      if (data == NULL)
        return FALSE;
      flags = kurir_sync_flags_to_imap (kurir_message_get_flags (message) & KURIR_MESSAGE_FLAGS_ALL);
      kurir_imap_client_append_async (replay->client, entry->folder, (const char * const *) flags,
                                      NULL, data, replay->cancellable, kurir_sync_store_result, &result);
      appended = kurir_imap_client_append_finish (replay->client, wait_for (replay, &result), error);
      if (appended == NULL)
        return FALSE;
      if (appended->dest_uids != NULL && appended->dest_uids->len == 1)
        {
          uid = g_array_index (appended->dest_uids, guint32, 0);
          uidvalidity = appended->uidvalidity;
        }
      else if (entry->message_id != NULL &&
               (!replay_select (replay, entry->folder, error) ||
                !find_by_message_id (replay, entry->message_id, &uid, error)))
        return FALSE;
    }

  follow_message (replay, index, entry->folder, uid, uidvalidity);
  return TRUE;
}

/* A refused edit is taken back here. */
static void
undo (KurirJournal           *self,
      KurirStoreJournalEntry *entry)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KurirMessage) message = NULL;
  gboolean ok = TRUE;

  if (entry->message > 0)
    message = kurir_store_get_message (self->store, entry->message, NULL);

  switch (entry->op)
    {
    case KURIR_STORE_JOURNAL_FLAGS:
      if (message != NULL)
        ok = kurir_store_set_flags (self->store, entry->message, entry->remove_flags,
                                    entry->add_flags, &error);
      break;
    case KURIR_STORE_JOURNAL_MOVE:
    case KURIR_STORE_JOURNAL_DELETE:
      /* Back where it was; an expunged one comes back with the next sync. */
      if (message != NULL && entry->target != NULL)
        ok = kurir_store_move_with_key (self->store, entry->message, entry->folder,
                                        entry->backend_key, &error);
      break;
    case KURIR_STORE_JOURNAL_CREATE_FOLDER:
      ok = kurir_store_delete_folder (self->store, self->account, entry->target, &error);
      break;
    default:
      break;
    }
  if (!ok)
    g_warning ("Could not undo a refused edit of account %s: %s", self->account, error->message);
}

/* Overrides */

static void
kurir_journal_finalize (GObject *object)
{
  KurirJournal *self = KURIR_JOURNAL (object);

  g_clear_object (&self->store);
  g_free (self->account);

  G_OBJECT_CLASS (kurir_journal_parent_class)->finalize (object);
}

static void
kurir_journal_class_init (KurirJournalClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kurir_journal_finalize;
}

static void
kurir_journal_init (KurirJournal *self)
{
}

/* Public API */

KurirJournal *
kurir_journal_new (KurirStore *store,
                   const char *account)
{
  KurirJournal *self;

  g_return_val_if_fail (KURIR_IS_STORE (store), NULL);
  g_return_val_if_fail (account != NULL, NULL);

  self = g_object_new (KURIR_TYPE_JOURNAL, NULL);
  self->store = g_object_ref (store);
  self->account = g_strdup (account);
  return self;
}

gboolean
kurir_journal_set_flags (KurirJournal       *self,
                         gint64              id,
                         KurirMessageFlags   add,
                         KurirMessageFlags   remove,
                         GError            **error)
{
  g_autoptr(KurirMessage) message = NULL;
  KurirStoreJournalEntry entry = { 0 };
  gint64 entry_id;

  g_return_val_if_fail (KURIR_IS_JOURNAL (self), FALSE);

  message = get_own_message (self, id, error);
  if (message == NULL)
    return FALSE;
  entry_for_message (self, &entry, KURIR_STORE_JOURNAL_FLAGS, message);
  entry.add_flags = add & KURIR_MESSAGE_FLAGS_ALL;
  entry.remove_flags = remove & KURIR_MESSAGE_FLAGS_ALL;
  entry_id = kurir_store_journal_add (self->store, &entry, error);
  if (entry_id == 0)
    return FALSE;
  if (!kurir_store_set_flags (self->store, id, add, remove, error))
    {
      kurir_store_journal_remove (self->store, entry_id, NULL);
      return FALSE;
    }
  return TRUE;
}

static gboolean
delete_message (KurirJournal  *self,
                gint64         id,
                gboolean       to_trash,
                GError       **error)
{
  g_autoptr(KurirMessage) message = NULL;
  g_autofree char *trash = NULL;
  KurirStoreJournalEntry entry = { 0 };
  gint64 entry_id;
  gboolean ok;

  message = get_own_message (self, id, error);
  if (message == NULL)
    return FALSE;
  trash = to_trash ? find_trash (self) : NULL;
  if (trash != NULL && strcmp (trash, kurir_message_get_folder (message)) == 0)
    g_clear_pointer (&trash, g_free);

  entry_for_message (self, &entry, KURIR_STORE_JOURNAL_DELETE, message);
  entry.target = trash;
  entry_id = kurir_store_journal_add (self->store, &entry, error);
  if (entry_id == 0)
    return FALSE;
  if (trash != NULL)
    ok = kurir_store_move_with_key (self->store, id, trash, NULL, error);
  else
    ok = kurir_store_delete_full (self->store, id, KURIR_STORE_DELETE_FORGET, error);
  if (!ok)
    kurir_store_journal_remove (self->store, entry_id, NULL);
  return ok;
}

gboolean
kurir_journal_delete (KurirJournal  *self,
                      gint64         id,
                      GError       **error)
{
  g_return_val_if_fail (KURIR_IS_JOURNAL (self), FALSE);

  return delete_message (self, id, TRUE, error);
}

gboolean
kurir_journal_expunge (KurirJournal  *self,
                       gint64         id,
                       GError       **error)
{
  g_return_val_if_fail (KURIR_IS_JOURNAL (self), FALSE);

  return delete_message (self, id, FALSE, error);
}

gboolean
kurir_journal_move (KurirJournal  *self,
                    gint64         id,
                    const char    *folder,
                    GError       **error)
{
  g_autoptr(KurirMessage) message = NULL;
  KurirStoreJournalEntry entry = { 0 };
  gint64 entry_id;

  g_return_val_if_fail (KURIR_IS_JOURNAL (self), FALSE);
  g_return_val_if_fail (folder != NULL, FALSE);

  message = get_own_message (self, id, error);
  if (message == NULL)
    return FALSE;
  if (strcmp (kurir_message_get_folder (message), folder) == 0)
    return TRUE;

  entry_for_message (self, &entry, KURIR_STORE_JOURNAL_MOVE, message);
  entry.target = (char *) folder;
  entry_id = kurir_store_journal_add (self->store, &entry, error);
  if (entry_id == 0)
    return FALSE;
  /* No key until the server says which UID it got. */
  if (!kurir_store_move_with_key (self->store, id, folder, NULL, error))
    {
      kurir_store_journal_remove (self->store, entry_id, NULL);
      return FALSE;
    }
  return TRUE;
}

gboolean
kurir_journal_create_folder (KurirJournal  *self,
                             const char    *name,
                             GError       **error)
{
  KurirStoreJournalEntry entry = { 0 };
  gint64 entry_id;

  g_return_val_if_fail (KURIR_IS_JOURNAL (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  entry.account = self->account;
  entry.op = KURIR_STORE_JOURNAL_CREATE_FOLDER;
  entry.target = (char *) name;
  entry_id = kurir_store_journal_add (self->store, &entry, error);
  if (entry_id == 0)
    return FALSE;
  if (!kurir_store_create_folder (self->store, self->account, name, NULL, error))
    {
      kurir_store_journal_remove (self->store, entry_id, NULL);
      return FALSE;
    }
  return TRUE;
}

/**
 * kurir_journal_append:
 *
 * The message is stored here first (without a key: the server has not
 * given it a UID yet), then journalled; a crash in between leaves it here
 * only, as a local message a later save can upload.
 */
gint64
kurir_journal_append (KurirJournal       *self,
                      const char         *folder,
                      GBytes             *message,
                      KurirMessageFlags   flags,
                      GError            **error)
{
  g_autoptr(KurirMessage) stored = NULL;
  KurirStoreJournalEntry entry = { 0 };
  gint64 id;

  g_return_val_if_fail (KURIR_IS_JOURNAL (self), 0);
  g_return_val_if_fail (folder != NULL && message != NULL, 0);

  id = kurir_store_add (self->store, self->account, folder, message, NULL, flags, 0, error);
  if (id == 0)
    return 0;
  stored = kurir_store_get_message (self->store, id, error);
  if (stored == NULL)
    return 0;
  entry.account = self->account;
  entry.op = KURIR_STORE_JOURNAL_APPEND;
  entry.folder = (char *) folder;
  entry.uidvalidity = folder_uidvalidity (self, folder);
  entry.message_id = (char *) kurir_message_get_message_id (stored);
  entry.message = id;
  if (kurir_store_journal_add (self->store, &entry, error) == 0)
    {
      kurir_store_delete_full (self->store, id, KURIR_STORE_DELETE_FORGET, NULL);
      return 0;
    }
  return id;
}

guint
kurir_journal_count_pending (KurirJournal *self)
{
  g_autoptr(GPtrArray) entries = NULL;

  g_return_val_if_fail (KURIR_IS_JOURNAL (self), 0);

  entries = kurir_store_journal_list (self->store, self->account, FALSE, NULL);
  return entries ? entries->len : 0;
}

GPtrArray *
kurir_journal_list_failed (KurirJournal  *self,
                           GError       **error)
{
  g_return_val_if_fail (KURIR_IS_JOURNAL (self), NULL);
  return kurir_store_journal_list (self->store, self->account, TRUE, error);
}

gboolean
kurir_journal_replay (KurirJournal       *self,
                      KurirImapClient    *client,
                      KurirJournalStats  *out_stats,
                      GCancellable       *cancellable,
                      GError            **error)
{
  KurirJournalStats stats = { 0 };
  Replay replay = { 0 };
  gboolean ok = TRUE;

  g_return_val_if_fail (KURIR_IS_JOURNAL (self), FALSE);
  g_return_val_if_fail (KURIR_IS_IMAP_CLIENT (client), FALSE);

  replay.entries = kurir_store_journal_list (self->store, self->account, FALSE, error);
  if (replay.entries == NULL)
    return FALSE;
  replay.self = self;
  replay.client = client;
  replay.cancellable = cancellable;
  replay.context = g_main_context_ref_thread_default ();

  for (guint i = 0; i < replay.entries->len; i++)
    {
      KurirStoreJournalEntry *entry = g_ptr_array_index (replay.entries, i);
      g_autoptr(GError) local_error = NULL;
      gboolean done;

      switch (entry->op)
        {
        case KURIR_STORE_JOURNAL_FLAGS:
          done = replay_flags (&replay, entry, &local_error);
          break;
        case KURIR_STORE_JOURNAL_MOVE:
          done = replay_move (&replay, i, entry, &local_error);
          break;
        case KURIR_STORE_JOURNAL_DELETE:
          done = entry->target != NULL ? replay_move (&replay, i, entry, &local_error)
                                       : replay_expunge (&replay, entry, &local_error);
          break;
        case KURIR_STORE_JOURNAL_CREATE_FOLDER:
          done = replay_create (&replay, entry, &local_error);
          break;
        case KURIR_STORE_JOURNAL_APPEND:
          done = replay_append (&replay, i, entry, &local_error);
          break;
        default:
          /* From a newer Kurir: leave it for that one. */
          g_debug ("Skipping journal entry %" G_GINT64_FORMAT " of unknown kind %d",
                   entry->id, entry->op);
          continue;
        }

      if (done)
        {
          kurir_checkpoint ("journal-step-done");
          if (!kurir_store_journal_remove (self->store, entry->id, &local_error))
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              ok = FALSE;
              break;
            }
          stats.sent++;
          kurir_checkpoint ("journal-removed");
          continue;
        }

      if (is_refusal (local_error))
        {
          g_debug ("%s: the server refused edit %" G_GINT64_FORMAT ": %s",
                   self->account, entry->id, local_error->message);
          undo (self, entry);
          kurir_store_journal_set_failed (self->store, entry->id, local_error->message, NULL);
          stats.refused++;
          continue;
        }

      /* Connection or server trouble: the rest waits for the next replay. */
      g_propagate_error (error, g_steal_pointer (&local_error));
      ok = FALSE;
      break;
    }

  g_ptr_array_unref (replay.entries);
  g_main_context_unref (replay.context);
  g_free (replay.selected);
  if (out_stats != NULL)
    *out_stats = stats;
  return ok;
}
