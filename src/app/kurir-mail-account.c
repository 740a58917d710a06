/* kurir-mail-account.c: one account's sync state
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-app"

#include "config.h"

#include <glib/gi18n.h>

#include <string.h>

#include "kurir-imap-error.h"
#include "kurir-imap-sync.h"
#include "kurir-journal.h"
#include "kurir-mail-account.h"
#include "kurir-net-error.h"
#include "kurir-outbox.h"
#include "kurir-pop3-client.h"
#include "kurir-pop3-sync.h"
#include "kurir-password-dialog.h"
#include "kurir-secret.h"

/* The IDLE watch is restarted after a failure this many seconds later,
 * doubled each time up to the maximum, and back to the first once a
 * session worked. */
#define WATCH_BACKOFF_FIRST 2
#define WATCH_BACKOFF_MAX   300

struct _KurirMailAccount
{
  GObject                parent_instance;

  KurirAccount          *account;
  KurirStore            *store;
  GCancellable          *cancellable;   /* of the running sync */
  KurirMailAccountState  state;
  char                  *message;
  gint64                 started;

  /* IMAP */
  gboolean               watch_wanted;    /* kurir_mail_account_watch() was called */
  GCancellable          *watch_cancellable;
  guint                  watch_generation;
  gboolean               watch_live;      /* the session synced and follows INBOX */
  gint64                 notify_since;
  gboolean               replay_running;
  gboolean               replay_again;    /* edits made while a session was busy */
  gboolean               sync_after_replay;
  guint                  pending_edits;

  /* The Outbox, flushed after each sync */
  guint                  check_minutes;   /* the periodic check in force; 0: none */
  guint                  check_source;
  GCancellable          *outbox_cancellable;
  gboolean               outbox_running;
  gboolean               outbox_again;
};

static void start_watch (KurirMailAccount *self);
static void schedule_replay (KurirMailAccount *self);

enum {
  PROP_0,
  PROP_STATE,
  PROP_MESSAGE,
  N_PROPS
};

enum {
  SYNCED,
  OUTBOX_FLUSHED,
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
  /* A password typed for this session that the server refused: asked
   * again next time. */
  if (g_error_matches (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_AUTH_FAILED) ||
      g_error_matches (error, KURIR_POP3_ERROR, KURIR_POP3_ERROR_AUTH_FAILED))
    kurir_password_forget (kurir_account_get_name (self->account),
                           kurir_account_get_protocol (self->account));
  g_message ("Sync of %s failed: %s", kurir_account_get_name (self->account), error->message);
  set_state (self, is_offline_error (error) ? KURIR_MAIL_ACCOUNT_OFFLINE : KURIR_MAIL_ACCOUNT_ERROR,
             error->message);
}

static void
no_password (KurirMailAccount *self)
{
  g_autofree char *text = NULL;

  /* Translators: %s is the account's name */
  text = g_strdup_printf (_("No password is stored in the keyring for “%s”: set it with “kurir-cli account set %s --password-stdin”"),
                          kurir_account_get_name (self->account),
                          kurir_account_get_name (self->account));
  set_state (self, KURIR_MAIL_ACCOUNT_ERROR, text);
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
  /* The server answered: what waits in the Outbox may go now. */
  kurir_mail_account_flush_outbox (self);
}

static void
imap_synced_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(KurirMailAccount) self = user_data;
  g_autoptr(GError) error = NULL;
  KurirImapSyncStats stats = { 0 };
  gboolean ok;

  g_clear_object (&self->cancellable);
  ok = kurir_imap_sync_finish (result, &stats, &error);
  if (!ok)
    sync_failed (self, error);
  else
    {
      set_state (self, KURIR_MAIL_ACCOUNT_IDLE, NULL);
      g_signal_emit (self, signals[SYNCED], 0, stats.added, self->started);
      kurir_mail_account_flush_outbox (self);
    }
  /* The watch follows INBOX from here (a failed sync tells why first; the
   * watch retries it with its backoff). */
  if (self->watch_wanted && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    start_watch (self);
  else if (ok && self->replay_again)
    /* Edits made while it ran. */
    schedule_replay (self);
}

static void
password_found_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(KurirMailAccount) self = user_data;
  g_autoptr(GError) error = NULL;
  char *password;

  password = kurir_password_lookup_finish (result, &error);
  if (error != NULL)
    {
      g_clear_object (&self->cancellable);
      sync_failed (self, error);
      return;
    }
  if (password == NULL)
    {
      g_clear_object (&self->cancellable);
      no_password (self);
      return;
    }

  /* The sync copies what it needs; the password leaves memory here. */
  if (kurir_account_get_protocol (self->account) == KURIR_PROTOCOL_IMAP)
    kurir_imap_sync_async (self->account, self->store, password, self->cancellable,
                           imap_synced_cb, g_object_ref (self));
  else
    kurir_pop3_sync_async (self->account, self->store, password, self->cancellable,
                           pop3_synced_cb, g_object_ref (self));
  kurir_secret_free (password);
}


/* The Outbox */

static void
outbox_flushed_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(KurirMailAccount) self = user_data;
  g_autoptr(GError) error = NULL;
  KurirOutboxStats stats = { 0 };
  gboolean ok;

  ok = kurir_outbox_flush_finish (result, &stats, &error);
  self->outbox_running = FALSE;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->account == NULL)
    return;
  /* The reason stays with each message in the Outbox, where the window
   * shows it; the log says it once. */
  if (!ok)
    g_message ("Outbox of %s: %s", kurir_account_get_name (self->account), error->message);
  g_signal_emit (self, signals[OUTBOX_FLUSHED], 0, stats.sent);
  if (self->outbox_again)
    {
      self->outbox_again = FALSE;
      kurir_mail_account_flush_outbox (self);
    }
}

/* IMAP: the watch thread */

typedef struct
{
  KurirMailAccount *self;
  KurirAccount     *account;
  KurirStore       *store;
  char             *password;
  GCancellable     *cancellable;
  GMainContext     *main_context;
  guint             generation;
  gboolean          changed;   /* in the current session */
} WatchData;

static void
watch_data_free (WatchData *data)
{
  g_clear_object (&data->self);
  g_clear_object (&data->account);
  g_clear_object (&data->store);
  kurir_secret_free (data->password);
  g_clear_object (&data->cancellable);
  g_clear_pointer (&data->main_context, g_main_context_unref);
  g_free (data);
}

typedef enum {
  WATCH_EVENT_CHANGED,
  WATCH_EVENT_FAILED,
} WatchEventKind;

typedef struct
{
  KurirMailAccount *self;
  guint             generation;
  WatchEventKind    kind;
  GError           *error;
} WatchEvent;

static void
watch_event_free (WatchEvent *event)
{
  g_clear_object (&event->self);
  g_clear_error (&event->error);
  g_free (event);
}

/* On the main context. */
static gboolean
watch_event_cb (gpointer user_data)
{
  WatchEvent *event = user_data;
  KurirMailAccount *self = event->self;
  gint64 since;

  if (event->generation != self->watch_generation || self->watch_cancellable == NULL ||
      g_cancellable_is_cancelled (self->watch_cancellable))
    return G_SOURCE_REMOVE;

  switch (event->kind)
    {
    case WATCH_EVENT_CHANGED:
      self->watch_live = TRUE;
      if (self->replay_again && !self->replay_running && self->state != KURIR_MAIL_ACCOUNT_SYNCING)
        schedule_replay (self);
      if (self->state != KURIR_MAIL_ACCOUNT_SYNCING)
        set_state (self, KURIR_MAIL_ACCOUNT_IDLE, NULL);
      /* The window lists INBOX's newest unread since @since for its
       * notification: IDLE does not say how many are new. */
      since = self->notify_since;
      self->notify_since = g_get_real_time () / G_USEC_PER_SEC;
      g_signal_emit (self, signals[SYNCED], 0, 50, since);
      break;
    case WATCH_EVENT_FAILED:
      self->watch_live = FALSE;
      if (self->state != KURIR_MAIL_ACCOUNT_SYNCING)
        sync_failed (self, event->error);
      break;
    }
  return G_SOURCE_REMOVE;
}

static void
post_event (WatchData      *data,
            WatchEventKind  kind,
            const GError   *error)
{
  WatchEvent *event = g_new0 (WatchEvent, 1);

  event->self = g_object_ref (data->self);
  event->generation = data->generation;
  event->kind = kind;
  event->error = error ? g_error_copy (error) : NULL;
  g_main_context_invoke_full (data->main_context, G_PRIORITY_DEFAULT, watch_event_cb, event,
                              (GDestroyNotify) watch_event_free);
}

/* In the watch thread. */
static void
watch_changed_cb (KurirImapSync *sync,
                  WatchData     *data)
{
  data->changed = TRUE;
  post_event (data, WATCH_EVENT_CHANGED, NULL);
}

static gboolean
set_true_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
cancelled_cb (GCancellable *cancellable,
              gpointer      user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Waits @seconds or until @cancellable is cancelled, whichever comes
 * first. Returns: FALSE when cancelled. */
static gboolean
wait_seconds (guint         seconds,
              GCancellable *cancellable)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GSource) timeout = g_timeout_source_new_seconds (seconds);
  g_autoptr(GSource) cancel = g_cancellable_source_new (cancellable);
  gboolean done = FALSE;

  g_source_set_callback (timeout, set_true_cb, &done, NULL);
  g_source_set_callback (cancel, G_SOURCE_FUNC (cancelled_cb), &done, NULL);
  g_source_attach (timeout, context);
  g_source_attach (cancel, context);
  while (!done)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (timeout);
  g_source_destroy (cancel);
  return !g_cancellable_is_cancelled (cancellable);
}

static gpointer
watch_thread (gpointer user_data)
{
  WatchData *data = user_data;
  guint backoff = WATCH_BACKOFF_FIRST;

  while (!g_cancellable_is_cancelled (data->cancellable))
    {
      g_autoptr(KurirImapSync) sync = kurir_imap_sync_new (data->account, data->store, data->password);
      g_autoptr(GError) error = NULL;

      data->changed = FALSE;
      g_signal_connect (sync, "changed", G_CALLBACK (watch_changed_cb), data);
      kurir_imap_sync_watch (sync, data->cancellable, &error);
      kurir_imap_sync_close (sync);
      if (g_cancellable_is_cancelled (data->cancellable))
        break;

      g_message ("IDLE on INBOX of %s ended: %s; again in %u s", kurir_account_get_name (data->account),
                 error ? error->message : "?", data->changed ? WATCH_BACKOFF_FIRST : backoff);
      if (error != NULL)
        post_event (data, WATCH_EVENT_FAILED, error);
      /* A session that worked was dropped: come back soon. */
      if (data->changed)
        backoff = WATCH_BACKOFF_FIRST;
      if (!wait_seconds (backoff, data->cancellable))
        break;
      backoff = MIN (backoff * 2, WATCH_BACKOFF_MAX);
    }

  watch_data_free (data);
  return NULL;
}

static void
watch_password_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(KurirMailAccount) self = g_steal_pointer (&((WatchEvent *) user_data)->self);
  guint generation = ((WatchEvent *) user_data)->generation;
  g_autoptr(GError) error = NULL;
  g_autoptr(GThread) thread = NULL;
  WatchData *data;
  char *password;

  watch_event_free (user_data);
  password = kurir_password_lookup_finish (result, &error);
  /* A lookup of a watch stopped since. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->watch_cancellable == NULL ||
      generation != self->watch_generation || g_cancellable_is_cancelled (self->watch_cancellable))
    {
      kurir_secret_free (password);
      return;
    }
  if (password == NULL)
    {
      if (self->state != KURIR_MAIL_ACCOUNT_SYNCING)
        {
          if (error != NULL)
            sync_failed (self, error);
          else
            no_password (self);
        }
      g_clear_object (&self->watch_cancellable);
      return;
    }

  data = g_new0 (WatchData, 1);
  data->self = g_object_ref (self);
  data->account = g_object_ref (self->account);
  data->store = g_object_ref (self->store);
  data->password = password;
  data->cancellable = g_object_ref (self->watch_cancellable);
  data->main_context = g_main_context_ref_thread_default ();
  data->generation = self->watch_generation;
  thread = g_thread_new ("kurir-imap-idle", watch_thread, data);
}

static void
stop_watch (KurirMailAccount *self)
{
  self->watch_generation++;
  self->watch_live = FALSE;
  g_cancellable_cancel (self->watch_cancellable);
  g_clear_object (&self->watch_cancellable);
}

static void
start_watch (KurirMailAccount *self)
{
  WatchEvent *lookup = g_new0 (WatchEvent, 1);

  stop_watch (self);
  lookup->self = g_object_ref (self);
  lookup->generation = self->watch_generation;
  self->watch_cancellable = g_cancellable_new ();
  self->notify_since = g_get_real_time () / G_USEC_PER_SEC;
  kurir_password_lookup_async (self->account, KURIR_PROTOCOL_IMAP,
                               self->watch_cancellable, watch_password_cb, lookup);
}

/* IMAP: edits and their replay */

typedef enum {
  EDIT_FLAGS,
  EDIT_DELETE,
  EDIT_MOVE,
} EditKind;

typedef struct
{
  EditKind           kind;
  gint64             id;
  KurirMessageFlags  add;
  KurirMessageFlags  remove;
  char              *folder;
} EditData;

static void
edit_data_free (EditData *data)
{
  g_free (data->folder);
  g_free (data);
}

static void
edit_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  KurirMailAccount *self = source;
  EditData *data = task_data;
  g_autoptr(KurirJournal) journal = kurir_journal_new (self->store, kurir_account_get_name (self->account));
  GError *error = NULL;
  gboolean ok = FALSE;

  switch (data->kind)
    {
    case EDIT_FLAGS:
      ok = kurir_journal_set_flags (journal, data->id, data->add, data->remove, &error);
      break;
    case EDIT_DELETE:
      ok = kurir_journal_delete (journal, data->id, &error);
      break;
    case EDIT_MOVE:
      ok = kurir_journal_move (journal, data->id, data->folder, &error);
      break;
    }
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
edit_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  KurirMailAccount *self = KURIR_MAIL_ACCOUNT (source);
  g_autoptr(GTask) outer = user_data;
  GError *error = NULL;

  if (g_task_propagate_boolean (G_TASK (result), &error))
    {
      schedule_replay (self);
      g_task_return_boolean (outer, TRUE);
    }
  else
    g_task_return_error (outer, error);
}

static void
start_edit (KurirMailAccount    *self,
            EditData            *data,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data)
{
  GTask *outer = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GTask) inner = g_task_new (self, NULL, edit_done_cb, outer);

  g_task_set_source_tag (outer, kurir_mail_account_edit_finish);
  /* Once journalled, an edit is not cancelled halfway. */
  g_task_set_task_data (inner, data, (GDestroyNotify) edit_data_free);
  g_task_run_in_thread (inner, edit_thread);
}

typedef struct
{
  KurirJournalStats stats;
  guint             pending;
  char             *refused;   /* the server's words about the last refusal */
} ReplayResult;

static void
replay_result_free (ReplayResult *result)
{
  g_free (result->refused);
  g_free (result);
}

static void
replay_thread (GTask        *task,
               gpointer      source,
               gpointer      task_data,
               GCancellable *cancellable)
{
  KurirMailAccount *self = source;
  g_autoptr(KurirImapSync) sync = kurir_imap_sync_new (self->account, self->store, task_data);
  ReplayResult *result = g_new0 (ReplayResult, 1);
  GError *error = NULL;

  if (!kurir_imap_sync_replay (sync, &result->stats, cancellable, &error))
    {
      kurir_imap_sync_close (sync);
      replay_result_free (result);
      g_task_return_error (task, error);
      return;
    }
  kurir_imap_sync_close (sync);
  result->pending = kurir_journal_count_pending (kurir_imap_sync_get_journal (sync));
  if (result->stats.refused > 0)
    {
      g_autoptr(GPtrArray) failed = kurir_journal_list_failed (kurir_imap_sync_get_journal (sync), NULL);

      if (failed != NULL && failed->len > 0)
        {
          KurirStoreJournalEntry *entry = g_ptr_array_index (failed, failed->len - 1);
          result->refused = g_strdup (entry->error);
        }
    }
  g_task_return_pointer (task, result, (GDestroyNotify) replay_result_free);
}

static void
replayed_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  KurirMailAccount *self = KURIR_MAIL_ACCOUNT (source);
  g_autoptr(GError) error = NULL;
  ReplayResult *replayed = g_task_propagate_pointer (G_TASK (result), &error);

  self->replay_running = FALSE;
  if (self->sync_after_replay)
    {
      self->sync_after_replay = FALSE;
      self->replay_again = FALSE;   /* the sync sends them */
      kurir_mail_account_sync (self);
    }
  if (replayed == NULL)
    {
      /* The edits stay journalled: the next sync or edit sends them. */
      g_message ("Edits of %s not sent yet: %s", kurir_account_get_name (self->account), error->message);
      if (self->state != KURIR_MAIL_ACCOUNT_SYNCING)
        sync_failed (self, error);
      return;
    }

  self->pending_edits = replayed->pending;
  if (replayed->stats.refused > 0)
    {
      g_autofree char *text = NULL;

      /* Translators: %s is the server's own words */
      text = g_strdup_printf (_("The server refused a change, which was undone: %s"),
                              replayed->refused ? replayed->refused : "");
      set_state (self, KURIR_MAIL_ACCOUNT_ERROR, text);
      /* The refused edits were undone in the store: show that. */
      g_signal_emit (self, signals[SYNCED], 0, 0, (gint64) 0);
    }
  replay_result_free (replayed);
  if (self->replay_again)
    schedule_replay (self);
}

static void
replay_password_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(KurirMailAccount) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) task = NULL;
  char *password = kurir_password_lookup_finish (result, &error);

  if (password == NULL)
    {
      self->replay_running = FALSE;
      if (error != NULL)
        sync_failed (self, error);
      else
        no_password (self);
      return;
    }
  /* Not cancelled with the watch: a replay is short, and a sync started
   * meanwhile sends the same edits again harmlessly (the journal's steps
   * are idempotent). */
  task = g_task_new (self, NULL, replayed_cb, NULL);
  g_task_set_source_tag (task, schedule_replay);
  g_task_set_task_data (task, password, (GDestroyNotify) kurir_secret_free);
  g_task_run_in_thread (task, replay_thread);
}

/* Sends the journalled edits in the background, one replay at a time. */
static void
schedule_replay (KurirMailAccount *self)
{
  /* One session sends the journal at a time: two replaying the same
   * edits would see each other's moves as refusals. A sync replays first
   * thing, and so does the watch's first sync: wait for them. */
  if (self->replay_running || self->state == KURIR_MAIL_ACCOUNT_SYNCING ||
      (self->watch_cancellable != NULL && !self->watch_live))
    {
      self->replay_again = TRUE;
      return;
    }
  self->replay_running = TRUE;
  self->replay_again = FALSE;
  kurir_password_lookup_async (self->account, KURIR_PROTOCOL_IMAP,
                               NULL, replay_password_cb, g_object_ref (self));
}

static gboolean
check_due_cb (gpointer user_data)
{
  KurirMailAccount *self = user_data;

  kurir_mail_account_sync (self);
  return G_SOURCE_CONTINUE;
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
  g_cancellable_cancel (self->outbox_cancellable);
  g_clear_object (&self->outbox_cancellable);
  stop_watch (self);
  g_clear_handle_id (&self->check_source, g_source_remove);
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
  /* ::outbox-flushed (guint n_sent): a flush of the Outbox ended (what
   * could not go says why in the Outbox). */
  signals[OUTBOX_FLUSHED] = g_signal_new ("outbox-flushed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
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
  return kurir_account_get_protocol (self->account) == KURIR_PROTOCOL_POP3 ||
         kurir_account_get_protocol (self->account) == KURIR_PROTOCOL_IMAP;
}

void
kurir_mail_account_sync (KurirMailAccount *self)
{
  g_return_if_fail (KURIR_IS_MAIL_ACCOUNT (self));

  if (!kurir_mail_account_can_sync (self) || self->state == KURIR_MAIL_ACCOUNT_SYNCING)
    return;
  if (self->replay_running)
    {
      self->sync_after_replay = TRUE;
      return;
    }

  /* One session at a time: the watch starts again after the sync. */
  stop_watch (self);
  self->cancellable = g_cancellable_new ();
  self->started = g_get_real_time () / G_USEC_PER_SEC;
  set_state (self, KURIR_MAIL_ACCOUNT_SYNCING, NULL);
  kurir_password_lookup_async (self->account, kurir_account_get_protocol (self->account),
                               self->cancellable, password_found_cb, g_object_ref (self));
}

void
kurir_mail_account_cancel (KurirMailAccount *self)
{
  g_return_if_fail (KURIR_IS_MAIL_ACCOUNT (self));
  g_cancellable_cancel (self->cancellable);
  self->watch_wanted = FALSE;
  stop_watch (self);
  g_clear_handle_id (&self->check_source, g_source_remove);
  self->check_minutes = 0;
}

void
kurir_mail_account_watch (KurirMailAccount *self)
{
  g_return_if_fail (KURIR_IS_MAIL_ACCOUNT (self));

  if (kurir_account_get_protocol (self->account) != KURIR_PROTOCOL_IMAP || self->watch_wanted)
    return;
  self->watch_wanted = TRUE;
  /* A running sync starts it when done. */
  if (self->state != KURIR_MAIL_ACCOUNT_SYNCING)
    start_watch (self);
}

gboolean
kurir_mail_account_get_watching (KurirMailAccount *self)
{
  g_return_val_if_fail (KURIR_IS_MAIL_ACCOUNT (self), FALSE);
  return self->watch_live;
}

gboolean
kurir_mail_account_get_journalled (KurirMailAccount *self)
{
  g_return_val_if_fail (KURIR_IS_MAIL_ACCOUNT (self), FALSE);
  return kurir_account_get_protocol (self->account) == KURIR_PROTOCOL_IMAP;
}

void
kurir_mail_account_set_flags_async (KurirMailAccount    *self,
                                    gint64               id,
                                    KurirMessageFlags    add,
                                    KurirMessageFlags    remove,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  EditData *data = g_new0 (EditData, 1);

  g_return_if_fail (KURIR_IS_MAIL_ACCOUNT (self));
  data->kind = EDIT_FLAGS;
  data->id = id;
  data->add = add;
  data->remove = remove;
  start_edit (self, data, cancellable, callback, user_data);
}

void
kurir_mail_account_delete_async (KurirMailAccount    *self,
                                 gint64               id,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  EditData *data = g_new0 (EditData, 1);

  g_return_if_fail (KURIR_IS_MAIL_ACCOUNT (self));
  data->kind = EDIT_DELETE;
  data->id = id;
  start_edit (self, data, cancellable, callback, user_data);
}

void
kurir_mail_account_move_async (KurirMailAccount    *self,
                               gint64               id,
                               const char          *folder,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  EditData *data = g_new0 (EditData, 1);

  g_return_if_fail (KURIR_IS_MAIL_ACCOUNT (self));
  g_return_if_fail (folder != NULL);
  data->kind = EDIT_MOVE;
  data->id = id;
  data->folder = g_strdup (folder);
  start_edit (self, data, cancellable, callback, user_data);
}

gboolean
kurir_mail_account_edit_finish (KurirMailAccount  *self,
                                GAsyncResult      *result,
                                GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

guint
kurir_mail_account_get_pending_edits (KurirMailAccount *self)
{
  g_return_val_if_fail (KURIR_IS_MAIL_ACCOUNT (self), 0);
  return self->pending_edits;
}

void
kurir_mail_account_flush_outbox (KurirMailAccount *self)
{
  g_return_if_fail (KURIR_IS_MAIL_ACCOUNT (self));

  if (self->outbox_running)
    {
      self->outbox_again = TRUE;
      return;
    }
  if (self->outbox_cancellable == NULL)
    self->outbox_cancellable = g_cancellable_new ();
  self->outbox_running = TRUE;
  kurir_outbox_flush_async (self->account, self->store, self->outbox_cancellable,
                            outbox_flushed_cb, g_object_ref (self));
}

/* The rest of a POP3 message over the size limit, fetched when opened */

static void
pop3_body_fetched_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!kurir_pop3_sync_fetch_body_finish (result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
pop3_body_password_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KurirMailAccount *self = g_task_get_source_object (task);
  GError *error = NULL;
  char *password;

  password = kurir_secret_lookup_finish (result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  kurir_pop3_sync_fetch_body_async (self->account, self->store, password,
                                    *(gint64 *) g_task_get_task_data (task),
                                    g_task_get_cancellable (task), pop3_body_fetched_cb,
                                    g_object_ref (task));
  if (password != NULL)
    kurir_secret_free (password);
}

/**
 * kurir_mail_account_fetch_body_async:
 * @id: a message of this account
 *
 * When only the headers of @id are here (a POP3 message over the size
 * limit), downloads the rest in a worker thread; the store then has it
 * whole. Finishes at once for any other message.
 */
void
kurir_mail_account_fetch_body_async (KurirMailAccount    *self,
                                     gint64               id,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (KURIR_IS_MAIL_ACCOUNT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kurir_mail_account_fetch_body_async);
  if (kurir_account_get_protocol (self->account) != KURIR_PROTOCOL_POP3)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  g_task_set_task_data (task, g_memdup2 (&id, sizeof id), g_free);
  kurir_secret_lookup_async (kurir_account_get_name (self->account), KURIR_PROTOCOL_POP3,
                             cancellable, pop3_body_password_cb, g_steal_pointer (&task));
}

gboolean
kurir_mail_account_fetch_body_finish (KurirMailAccount  *self,
                                      GAsyncResult      *result,
                                      GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* The minutes between two checks of @account: its own interval, else
 * @default_minutes (the app's check-interval-minutes); at least 1. */
guint
kurir_mail_account_choose_check_interval (KurirAccount *account,
                                          guint         default_minutes)
{
  guint minutes;

  g_return_val_if_fail (KURIR_IS_ACCOUNT (account), MAX (default_minutes, 1));
  minutes = kurir_account_get_check_interval (account);
  return MAX (minutes != 0 ? minutes : default_minutes, 1);
}

/* Checks the account for new mail every @minutes (0: never) while it can
 * sync; the first check after @minutes. Setting the same interval again
 * keeps the timer running (its next check does not move). */
void
kurir_mail_account_set_check_interval (KurirMailAccount *self,
                                       guint             minutes)
{
  g_return_if_fail (KURIR_IS_MAIL_ACCOUNT (self));

  minutes = MIN (minutes, G_MAXUINT / 60);
  if (minutes == self->check_minutes && (self->check_source != 0 || minutes == 0 ||
                                         !kurir_mail_account_can_sync (self)))
    return;
  g_clear_handle_id (&self->check_source, g_source_remove);
  self->check_minutes = minutes;
  if (minutes > 0 && kurir_mail_account_can_sync (self))
    self->check_source = g_timeout_add_seconds (minutes * 60, check_due_cb, self);
}

guint
kurir_mail_account_get_check_interval (KurirMailAccount *self)
{
  g_return_val_if_fail (KURIR_IS_MAIL_ACCOUNT (self), 0);
  return self->check_minutes;
}
