/* kurir-imap-client.c: an IMAP client session over a KurirConnection
 *
 * One read loop feeds the incremental parser for the whole session; each
 * complete response is dispatched: a tagged one completes the command with
 * that tag, a continuation goes to the command that waits for one, an
 * untagged one goes to the oldest running command that takes it, or else
 * becomes a signal. One writer sends commands in order; a command marked
 * BARRIER_BEFORE waits until nothing else is in flight, one marked
 * BARRIER_AFTER holds back everything after it until it is done, and one
 * marked PAUSE_READING stops the read loop at its tagged response (the
 * stream changes under it: STARTTLS, COMPRESS).
 *
 * The socket has no timeout of its own (an idling session is silent for
 * half an hour); a watchdog fails the session when a command waits longer
 * than the timeout for the server's next byte.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-imap"

#include "config.h"

#include <string.h>

#include "kurir-checkpoint.h"
#include "kurir-imap-client.h"
#include "kurir-imap-command.h"
#include "kurir-imap-error.h"
#include "kurir-imap-utf7.h"
#include "kurir-net-error.h"
#include "kurir-sasl.h"

#define READ_CHUNK_SIZE (256 * 1024)
#define MAX_EXPAND_UIDS (1024 * 1024)

typedef enum {
  BARRIER_BEFORE = 1 << 0,
  BARRIER_AFTER  = 1 << 1,
  PAUSE_READING  = 1 << 2,
  CONNECTING     = 1 << 3,   /* part of connecting: may go before it finished */
} CommandFlags;

#define EXCLUSIVE (BARRIER_BEFORE | BARRIER_AFTER)

typedef struct _Command Command;

/* TRUE when the command took the response. */
typedef gboolean (*UntaggedFunc)     (KurirImapClient   *self,
                                      Command           *cmd,
                                      KurirImapResponse *response);
typedef void     (*ContinuationFunc) (KurirImapClient   *self,
                                      Command           *cmd,
                                      KurirImapResponse *response);
/* Exactly one of tagged and error is set. */
typedef void     (*DoneFunc)         (KurirImapClient   *self,
                                      Command           *cmd,
                                      KurirImapResponse *tagged,
                                      const GError      *error);

struct _Command
{
  char             *tag;
  char             *name;          /* "UID FETCH", for messages */
  GPtrArray        *chunks;        /* KurirImapChunk */
  guint             next_chunk;
  gboolean          waiting_continuation;
  CommandFlags      flags;
  UntaggedFunc      untagged;
  ContinuationFunc  continuation;
  DoneFunc          done;
  GTask            *task;
};

struct _KurirImapClient
{
  GObject               parent_instance;

  GMainContext         *context;         /* where callbacks and timers run */
  KurirConnection      *connection;
  KurirImapParser      *parser;

  /* Options */
  gboolean              allow_plaintext;
  char                 *mechanism;
  GHashTable           *ignored;         /* upper-case capability names */
  guint64               max_literal_size;
  guint                 timeout;
  guint                 idle_interval;
  guint                 poll_interval;

  /* Session */
  KurirImapClientState  state;
  GHashTable           *capabilities;    /* upper case */
  GHashTable           *enabled;         /* upper case */
  gboolean              utf8;
  char                 *greeting;
  char                 *auth_mechanism;
  char                 *selected;
  guint32               exists;
  guint                 serial;
  guint                 n_commands;

  /* Commands */
  GQueue                queue;           /* Command, not sent yet */
  GQueue                in_flight;       /* Command, sent (maybe in part) */
  GHashTable           *in_flight_tags;  /* tag -> Command in in_flight */
  guint                 n_holding;       /* in flight with BARRIER_AFTER */
  guint                 n_takers;        /* in flight that take untagged responses */
  Command              *writing;         /* whose chunks are going out */
  GQueue                raw_out;         /* GBytes: SASL responses, DONE */
  GQueue                raw_out_flags;
  gboolean              write_pending;

  /* Reading */
  gboolean              reading;
  gboolean              read_paused;
  GCancellable         *close_cancellable;
  GTask                 *connect_task;   /* while waiting for the greeting or TLS */
  gboolean              ready;           /* connected: commands may be sent */
  gboolean              awaiting_greeting;
  gboolean              handshaking;
  GError               *fatal;           /* the session is over */
  gboolean              logging_out;
  GSource              *watchdog;

  /* IDLE */
  GTask                *idle_task;
  Command              *idle_cmd;
  gboolean              idling;          /* "+ idling" seen, DONE not sent */
  gboolean              done_sent;
  gboolean              idle_stop_requested;
  GSource              *idle_timer;      /* IDLE renewal, or the next NOOP poll */
  gulong                idle_cancel_id;
};

enum {
  SIGNAL_EXISTS,
  SIGNAL_EXPUNGE,
  SIGNAL_VANISHED,
  SIGNAL_FETCH,
  SIGNAL_ALERT,
  SIGNAL_BYE,
  SIGNAL_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_TYPE (KurirImapClient, kurir_imap_client, G_TYPE_OBJECT)

static void pump (KurirImapClient *self);
static void start_reading (KurirImapClient *self);
static void update_watchdog (KurirImapClient *self);
static void fatal (KurirImapClient *self, GError *error);
static void idle_cycle (KurirImapClient *self);
static void idle_complete (KurirImapClient *self, GError *error);

/* Helpers */

static const char *
host (KurirImapClient *self)
{
  return kurir_connection_get_host (self->connection);
}

static guint
port (KurirImapClient *self)
{
  return kurir_connection_get_port (self->connection);
}

static void
command_free (Command *cmd)
{
  g_free (cmd->tag);
  g_free (cmd->name);
  g_clear_pointer (&cmd->chunks, g_ptr_array_unref);
  g_clear_object (&cmd->task);
  g_free (cmd);
}

/* A source on the client's context; the caller owns the returned reference. */
static GSource *
schedule (KurirImapClient *self,
          GSource         *source,
          GSourceFunc      func,
          gpointer         data,
          GDestroyNotify   destroy)
{
  g_source_set_callback (source, func, data, destroy);
  g_source_attach (source, self->context);
  return source;
}

static void
clear_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static gboolean
has_cap (KurirImapClient *self,
         const char      *name)
{
  return g_hash_table_contains (self->capabilities, name) &&
         !g_hash_table_contains (self->ignored, name);
}

static gboolean
is_enabled (KurirImapClient *self,
            const char      *name)
{
  return g_hash_table_contains (self->enabled, name);
}

static void
set_capabilities (KurirImapClient *self,
                  GStrv            caps)
{
  g_hash_table_remove_all (self->capabilities);
  for (guint i = 0; caps != NULL && caps[i] != NULL; i++)
    g_hash_table_add (self->capabilities, g_ascii_strup (caps[i], -1));
}

static KurirImapParser *
make_parser (KurirImapClient *self)
{
  KurirImapParser *parser = kurir_imap_parser_new ();

  if (self->max_literal_size > 0)
    {
      kurir_imap_parser_set_max_literal_size (parser, self->max_literal_size);
      kurir_imap_parser_set_max_response_size (parser,
                                               MAX (self->max_literal_size + 1024 * 1024,
                                                    KURIR_IMAP_DEFAULT_MAX_RESPONSE_SIZE));
    }
  return parser;
}

static KurirImapCommand *
new_command (KurirImapClient *self,
             const char      *name)
{
  g_autofree char *tag = kurir_imap_make_tag (++self->serial);
  KurirImapCommand *builder = kurir_imap_command_new (tag, name);

  if (has_cap (self, "LITERAL+"))
    kurir_imap_command_set_literal_mode (builder, KURIR_IMAP_LITERAL_PLUS);
  else if (has_cap (self, "LITERAL-"))
    kurir_imap_command_set_literal_mode (builder, KURIR_IMAP_LITERAL_MINUS);
  kurir_imap_command_set_utf8 (builder, self->utf8);
  return builder;
}

/* The server's NO or BAD to a command, as an error. */
static GError *
tagged_error (KurirImapClient   *self,
              Command           *cmd,
              KurirImapResponse *response)
{
  KurirImapStatus status = kurir_imap_response_get_status (response);
  const char *code = kurir_imap_response_get_code (response);
  const char *text = kurir_imap_response_get_text (response);
  int error_code = KURIR_IMAP_ERROR_REFUSED;

  if (status == KURIR_IMAP_STATUS_OK)
    return NULL;

  if (status == KURIR_IMAP_STATUS_BAD)
    return g_error_new (KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_REFUSED,
                        "%s:%u rejected %s as invalid: %s",
                        host (self), port (self), cmd->name, text);

  if (code != NULL)
    {
      if (g_str_equal (code, "NONEXISTENT") || g_str_equal (code, "TRYCREATE"))
        error_code = KURIR_IMAP_ERROR_NONEXISTENT;
      else if (g_str_equal (code, "UNAVAILABLE") || g_str_equal (code, "INUSE") ||
               g_str_equal (code, "SERVERBUG") || g_str_equal (code, "LIMIT"))
        error_code = KURIR_IMAP_ERROR_UNAVAILABLE;
    }

  return g_error_new (KURIR_IMAP_ERROR, error_code, "%s:%u refused %s: %s%s%s%s",
                      host (self), port (self), cmd->name, text,
                      code ? " [" : "", code ? code : "", code ? "]" : "");
}

/* Ends @cmd's task with the connection's @error or the server's NO or
 * BAD to it; TRUE when it did. */
static gboolean
command_failed (KurirImapClient   *self,
                Command           *cmd,
                KurirImapResponse *tagged,
                const GError      *error)
{
  GError *refused;

  if (error != NULL)
    {
      g_task_return_error (cmd->task, g_error_copy (error));
      return TRUE;
    }
  refused = tagged_error (self, cmd, tagged);
  if (refused != NULL)
    {
      g_task_return_error (cmd->task, refused);
      return TRUE;
    }
  return FALSE;
}

static gboolean
task_cancelled (GTask *task)
{
  GCancellable *cancellable = task ? g_task_get_cancellable (task) : NULL;

  return cancellable != NULL && g_cancellable_is_cancelled (cancellable);
}

/* Queues a built command; on a build error, finishes it at once. */
static Command *
enqueue (KurirImapClient  *self,
         KurirImapCommand *builder,
         const char       *name,
         CommandFlags      flags,
         UntaggedFunc      untagged,
         ContinuationFunc  continuation,
         DoneFunc          done,
         GTask            *task)
{
  Command *cmd = g_new0 (Command, 1);
  g_autoptr(GError) error = NULL;

  cmd->tag = g_strdup (kurir_imap_command_get_tag (builder));
  cmd->name = g_strdup (name);
  cmd->flags = flags;
  cmd->untagged = untagged;
  cmd->continuation = continuation;
  cmd->done = done;
  cmd->task = task ? g_object_ref (task) : NULL;
  cmd->chunks = kurir_imap_command_build (builder, &error);
  kurir_imap_command_free (builder);

  /* Nothing of the caller's may go out before the session is set up
   * (a command queued during STARTTLS would travel in plaintext). */
  if (cmd->chunks != NULL && self->fatal == NULL && !self->ready && !(flags & CONNECTING))
    error = g_error_new (KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_INVALID_ARGUMENT,
                         "Not connected to %s:%u", host (self), port (self));

  if (error != NULL || self->fatal != NULL)
    {
      cmd->done (self, cmd, NULL, error ? error : self->fatal);
      command_free (cmd);
      return NULL;
    }

  g_queue_push_tail (&self->queue, cmd);
  pump (self);
  return cmd;
}

static Command *
find_in_flight (KurirImapClient *self,
                const char      *tag)
{
  return tag != NULL ? g_hash_table_lookup (self->in_flight_tags, tag) : NULL;
}

static void
add_in_flight (KurirImapClient *self,
               Command         *cmd)
{
  g_queue_push_tail (&self->in_flight, cmd);
  g_hash_table_insert (self->in_flight_tags, cmd->tag, cmd);
  if (cmd->flags & BARRIER_AFTER)
    self->n_holding++;
  if (cmd->untagged != NULL)
    self->n_takers++;
}

static void
remove_in_flight (KurirImapClient *self,
                  Command         *cmd)
{
  /* Usually the oldest: answers come in order. */
  if (self->in_flight.head != NULL && self->in_flight.head->data == cmd)
    g_queue_pop_head (&self->in_flight);
  else
    g_queue_remove (&self->in_flight, cmd);
  g_hash_table_remove (self->in_flight_tags, cmd->tag);
  if (cmd->flags & BARRIER_AFTER)
    self->n_holding--;
  if (cmd->untagged != NULL)
    self->n_takers--;
}

static gboolean
blocked_by_in_flight (KurirImapClient *self)
{
  return self->n_holding > 0;
}

static void
send_raw (KurirImapClient *self,
          const char      *data,
          gboolean         sensitive)
{
  g_queue_push_tail (&self->raw_out, g_bytes_new (data, strlen (data)));
  g_queue_push_tail (&self->raw_out_flags,
                     GUINT_TO_POINTER (sensitive ? KURIR_WRITE_SENSITIVE : KURIR_WRITE_NONE));
  pump (self);
}

static void
send_done (KurirImapClient *self)
{
  if (self->idle_cmd == NULL || self->done_sent)
    return;
  self->done_sent = TRUE;
  self->idling = FALSE;
  clear_source (&self->idle_timer);
  send_raw (self, "DONE\r\n", FALSE);
  update_watchdog (self);
}

/* The watchdog */

static gboolean
watchdog_cb (gpointer user_data)
{
  KurirImapClient *self = user_data;

  clear_source (&self->watchdog);
  fatal (self, g_error_new (KURIR_NET_ERROR, KURIR_NET_ERROR_TIMEOUT,
                            "%s:%u did not answer in time", host (self), port (self)));
  return G_SOURCE_REMOVE;
}

static gboolean
waiting_for_server (KurirImapClient *self)
{
  if (self->fatal != NULL)
    return FALSE;
  if (self->awaiting_greeting || self->handshaking || self->write_pending)
    return TRUE;
  if (g_queue_is_empty (&self->in_flight))
    return FALSE;
  /* Only an accepted IDLE in flight: silence is expected. */
  return !(self->idling && self->in_flight.length == 1 &&
           self->in_flight.head->data == self->idle_cmd);
}

/* Called on every byte from the server and every change of state: the
 * timeout counts from the last sign of life. */
static void
update_watchdog (KurirImapClient *self)
{
  clear_source (&self->watchdog);
  if (self->timeout > 0 && waiting_for_server (self))
    self->watchdog = schedule (self, g_timeout_source_new ((guint) MIN ((guint64) self->timeout * 1000,
                                                                        G_MAXUINT)),
                               watchdog_cb, self, NULL);
}

/* The end of the session */

static void
close_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  kurir_connection_close_finish (KURIR_CONNECTION (source), result, NULL);
}

/* Ends the session with @error (taken): every pending command fails with
 * it, and so will every later one. */
static void
fatal (KurirImapClient *self,
       GError          *error)
{
  GQueue pending = G_QUEUE_INIT;
  Command *cmd;
  GTask *connect_task;

  if (self->fatal != NULL)
    {
      g_error_free (error);
      return;
    }

  if (!self->logging_out)
    g_debug ("%s:%u: session ends: %s", host (self), port (self), error->message);

  self->fatal = error;
  self->state = self->logging_out ? KURIR_IMAP_CLIENT_STATE_LOGOUT
                                  : KURIR_IMAP_CLIENT_STATE_DISCONNECTED;
  clear_source (&self->watchdog);
  clear_source (&self->idle_timer);
  g_cancellable_cancel (self->close_cancellable);
  kurir_connection_close_async (self->connection, NULL, close_cb, NULL);

  g_object_ref (self);

  connect_task = g_steal_pointer (&self->connect_task);
  if (connect_task != NULL)
    {
      g_task_return_error (connect_task, g_error_copy (error));
      g_object_unref (connect_task);
    }

  /* In order: the oldest command first. */
  while ((cmd = g_queue_pop_head (&self->in_flight)) != NULL)
    g_queue_push_tail (&pending, cmd);
  g_hash_table_remove_all (self->in_flight_tags);
  self->n_holding = 0;
  self->n_takers = 0;
  while ((cmd = g_queue_pop_head (&self->queue)) != NULL)
    g_queue_push_tail (&pending, cmd);
  self->writing = NULL;
  while ((cmd = g_queue_pop_head (&pending)) != NULL)
    {
      if (cmd == self->idle_cmd)
        self->idle_cmd = NULL;
      cmd->done (self, cmd, NULL, error);
      command_free (cmd);
    }
  g_queue_clear_full (&self->raw_out, (GDestroyNotify) g_bytes_unref);
  g_queue_clear (&self->raw_out_flags);

  if (self->idle_task != NULL)
    idle_complete (self, g_error_copy (error));

  g_signal_emit (self, signals[SIGNAL_CLOSED], 0, error);
  g_object_unref (self);
}

/* Writing */

static void
write_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(KurirImapClient) self = user_data;
  g_autoptr(GError) error = NULL;

  self->write_pending = FALSE;
  if (!kurir_connection_write_finish (KURIR_CONNECTION (source), result, &error))
    {
      if (self->fatal == NULL)
        fatal (self, g_steal_pointer (&error));
      return;
    }

  if (self->writing != NULL && self->writing->next_chunk >= self->writing->chunks->len)
    kurir_checkpoint_with ("imap-sent", self->writing->name);
  if (self->writing != NULL && !self->writing->waiting_continuation &&
      self->writing->next_chunk >= self->writing->chunks->len)
    self->writing = NULL;

  pump (self);
  update_watchdog (self);
}

static void
write_bytes (KurirImapClient *self,
             GBytes          *bytes,
             KurirWriteFlags  flags)
{
  gsize length;
  const void *data = g_bytes_get_data (bytes, &length);

  self->write_pending = TRUE;
  kurir_connection_write_async (self->connection, data, length, flags, NULL,
                                write_cb, g_object_ref (self));
}

static void
write_next_chunk (KurirImapClient *self)
{
  Command *cmd = self->writing;
  KurirImapChunk *chunk;

  g_assert (cmd != NULL && cmd->next_chunk < cmd->chunks->len);

  chunk = g_ptr_array_index (cmd->chunks, cmd->next_chunk++);
  /* Set before the write completes: the "+" may be read before that. */
  cmd->waiting_continuation = chunk->wait_continuation;
  write_bytes (self, chunk->data,
               chunk->sensitive ? KURIR_WRITE_SENSITIVE : KURIR_WRITE_NONE);
}

static void
pump (KurirImapClient *self)
{
  if (self->fatal != NULL || self->write_pending)
    return;

  if (!g_queue_is_empty (&self->raw_out))
    {
      g_autoptr(GBytes) bytes = g_queue_pop_head (&self->raw_out);
      KurirWriteFlags flags = GPOINTER_TO_UINT (g_queue_pop_head (&self->raw_out_flags));

      write_bytes (self, bytes, flags);
      return;
    }

  if (self->writing != NULL)
    {
      if (!self->writing->waiting_continuation &&
          self->writing->next_chunk < self->writing->chunks->len)
        write_next_chunk (self);
      return;
    }

  /* Another command wants the connection: end the IDLE. */
  if (self->idle_cmd != NULL && self->idling && !g_queue_is_empty (&self->queue))
    {
      send_done (self);
      return;
    }

  while (!g_queue_is_empty (&self->queue))
    {
      Command *cmd = g_queue_peek_head (&self->queue);

      if (blocked_by_in_flight (self) || self->read_paused || self->handshaking)
        return;
      if ((cmd->flags & BARRIER_BEFORE) && !g_queue_is_empty (&self->in_flight))
        return;

      g_queue_pop_head (&self->queue);
      if (task_cancelled (cmd->task))
        {
          g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                         "The operation was cancelled");
          cmd->done (self, cmd, NULL, error);
          command_free (cmd);
          if (self->fatal != NULL)
            return;
          continue;
        }

      add_in_flight (self, cmd);
      self->n_commands++;
      self->writing = cmd;
      write_next_chunk (self);
      update_watchdog (self);
      return;
    }
}

/* Dispatching responses */

static void
complete_command (KurirImapClient   *self,
                  Command           *cmd,
                  KurirImapResponse *tagged)
{
  remove_in_flight (self, cmd);
  if (self->writing == cmd && cmd->next_chunk >= cmd->chunks->len)   /* answered before write_cb */
    kurir_checkpoint_with ("imap-sent", cmd->name);
  if (self->writing == cmd)
    {
      /* Refused before the rest of it (a literal) was sent. */
      self->writing = NULL;
    }
  if (cmd->flags & PAUSE_READING)
    self->read_paused = TRUE;
  cmd->done (self, cmd, tagged, NULL);
  command_free (cmd);
}

static gboolean
route_untagged (KurirImapClient   *self,
                KurirImapResponse *response)
{
  if (self->n_takers == 0)
    return FALSE;
  for (GList *l = self->in_flight.head; l != NULL; l = l->next)
    {
      Command *cmd = l->data;

      if (cmd->untagged != NULL && cmd->untagged (self, cmd, response))
        return TRUE;
    }
  return FALSE;
}

static void
handle_status_code (KurirImapClient   *self,
                    KurirImapResponse *response)
{
  const char *code = kurir_imap_response_get_code (response);

  if (code == NULL)
    return;

  if (g_str_equal (code, "ALERT"))
    {
      /* Before STARTTLS anyone on the path could have written it: not
       * something to show as the server's words. */
      if (kurir_connection_get_security (self->connection) == KURIR_SECURITY_STARTTLS &&
          !kurir_connection_is_encrypted (self->connection))
        g_debug ("%s:%u: [ALERT] before TLS ignored", host (self), port (self));
      else
        g_signal_emit (self, signals[SIGNAL_ALERT], 0, kurir_imap_response_get_text (response));
    }
  else if (g_str_equal (code, "CAPABILITY"))
    {
      g_auto(GStrv) caps = kurir_imap_response_dup_capabilities (response);

      if (caps != NULL)
        set_capabilities (self, caps);
    }
}

static void
handle_untagged (KurirImapClient   *self,
                 KurirImapResponse *response)
{
  KurirImapStatus status = kurir_imap_response_get_status (response);
  const char *name = kurir_imap_response_get_name (response);
  guint32 number = 0;

  if (status == KURIR_IMAP_STATUS_BYE)
    {
      const char *text = kurir_imap_response_get_text (response);

      g_signal_emit (self, signals[SIGNAL_BYE], 0, text);
      if (!self->logging_out)
        fatal (self, g_error_new (KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_BYE,
                                  "%s:%u ended the session: %s", host (self), port (self), text));
      return;
    }

  if (status != KURIR_IMAP_STATUS_NONE)
    {
      handle_status_code (self, response);
      if (!route_untagged (self, response) && status != KURIR_IMAP_STATUS_OK)
        g_debug ("%s:%u: untagged %s: %s", host (self), port (self), name,
                 kurir_imap_response_get_text (response));
      return;
    }

  if (g_strcmp0 (name, "CAPABILITY") == 0)
    {
      g_auto(GStrv) caps = kurir_imap_response_dup_capabilities (response);

      set_capabilities (self, caps);
      route_untagged (self, response);
    }
  else if (g_strcmp0 (name, "ENABLED") == 0)
    {
      g_auto(GStrv) caps = kurir_imap_response_dup_capabilities (response);

      for (guint i = 0; caps != NULL && caps[i] != NULL; i++)
        g_hash_table_add (self->enabled, g_ascii_strup (caps[i], -1));
      route_untagged (self, response);
    }
  else if (g_strcmp0 (name, "EXISTS") == 0 && kurir_imap_response_get_number (response, &number))
    {
      self->exists = number;
      if (!route_untagged (self, response))
        g_signal_emit (self, signals[SIGNAL_EXISTS], 0, number);
    }
  else if (g_strcmp0 (name, "EXPUNGE") == 0 && kurir_imap_response_get_number (response, &number))
    {
      if (self->exists > 0)
        self->exists--;
      if (!route_untagged (self, response))
        g_signal_emit (self, signals[SIGNAL_EXPUNGE], 0, number);
    }
  else if (g_strcmp0 (name, "VANISHED") == 0)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GArray) ranges = NULL;
      gboolean earlier = FALSE;

      ranges = kurir_imap_response_parse_vanished (response, &earlier, &error);
      if (ranges == NULL)
        {
          fatal (self, g_error_new (KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_PROTOCOL,
                                    "%s:%u sent a broken VANISHED response: %s",
                                    host (self), port (self), error->message));
          return;
        }
      if (!earlier)
        {
          for (guint i = 0; i < ranges->len; i++)
            {
              KurirImapRange *range = &g_array_index (ranges, KurirImapRange, i);
              guint64 count = (guint64) range->last - range->first + 1;

              self->exists = count >= self->exists ? 0 : self->exists - (guint32) count;
            }
        }
      if (!route_untagged (self, response))
        g_signal_emit (self, signals[SIGNAL_VANISHED], 0, ranges, earlier);
    }
  else if (g_strcmp0 (name, "FETCH") == 0)
    {
      if (!route_untagged (self, response))
        g_signal_emit (self, signals[SIGNAL_FETCH], 0, response);
    }
  else
    route_untagged (self, response);
}

static void greeting_received (KurirImapClient *self, KurirImapResponse *response);

static void
process_response (KurirImapClient   *self,
                  KurirImapResponse *response)
{
  if (self->awaiting_greeting)
    {
      greeting_received (self, response);
      return;
    }

  switch (kurir_imap_response_get_kind (response))
    {
    case KURIR_IMAP_RESPONSE_TAGGED:
      {
        Command *cmd = find_in_flight (self, kurir_imap_response_get_tag (response));

        if (cmd == NULL)
          {
            fatal (self, g_error_new (KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_PROTOCOL,
                                      "%s:%u answered a command that was not sent (%s)",
                                      host (self), port (self),
                                      kurir_imap_response_get_tag (response)));
            return;
          }
        handle_status_code (self, response);
        complete_command (self, cmd, response);
        pump (self);
      }
      break;

    case KURIR_IMAP_RESPONSE_CONTINUATION:
      if (self->writing != NULL && self->writing->waiting_continuation)
        {
          self->writing->waiting_continuation = FALSE;
          if (self->writing->next_chunk >= self->writing->chunks->len && !self->write_pending)
            self->writing = NULL;
          pump (self);
          return;
        }
      for (GList *l = self->in_flight.tail; l != NULL; l = l->prev)
        {
          Command *cmd = l->data;

          if (cmd->continuation != NULL)
            {
              cmd->continuation (self, cmd, response);
              return;
            }
        }
      fatal (self, g_error_new (KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_PROTOCOL,
                                "%s:%u sent a continuation request nobody asked for",
                                host (self), port (self)));
      break;

    case KURIR_IMAP_RESPONSE_UNTAGGED:
    default:
      handle_untagged (self, response);
      break;
    }
}

/* Reading */

static void
read_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GWeakRef *weak = user_data;
  g_autoptr(KurirImapClient) self = g_weak_ref_get (weak);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  gsize length;
  const char *data;

  g_weak_ref_clear (weak);
  g_free (weak);

  bytes = kurir_connection_read_chunk_finish (KURIR_CONNECTION (source), result, &error);
  if (self == NULL)
    return;
  self->reading = FALSE;
  if (self->fatal != NULL)
    return;

  if (bytes == NULL)
    {
      if (g_error_matches (error, KURIR_NET_ERROR, KURIR_NET_ERROR_CLOSED) &&
          kurir_imap_parser_get_pending (self->parser) > 0)
        {
          g_clear_error (&error);
          error = g_error_new (KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_CLOSED,
                               "%s:%u closed the connection in the middle of a response",
                               host (self), port (self));
        }
      fatal (self, g_steal_pointer (&error));
      return;
    }

  data = g_bytes_get_data (bytes, &length);
  kurir_imap_parser_feed (self->parser, data, length);

  while (self->fatal == NULL && !self->read_paused && !self->handshaking)
    {
      g_autoptr(KurirImapResponse) response = NULL;

      if (!kurir_imap_parser_next (self->parser, &response, &error))
        {
          if (error != NULL)
            {
              g_prefix_error (&error, "%s:%u sent a response that cannot be read: ",
                              host (self), port (self));
              fatal (self, g_steal_pointer (&error));
              return;
            }
          break;
        }
      process_response (self, response);
    }

  update_watchdog (self);
  start_reading (self);
}

static void
start_reading (KurirImapClient *self)
{
  GWeakRef *weak;

  if (self->reading || self->read_paused || self->handshaking || self->fatal != NULL)
    return;

  weak = g_new0 (GWeakRef, 1);
  g_weak_ref_init (weak, self);
  self->reading = TRUE;
  kurir_connection_read_chunk_async (self->connection, READ_CHUNK_SIZE,
                                     self->close_cancellable, read_cb, weak);
}

/* After a PAUSE_READING command: bytes that came after its tagged reply
 * were read before the stream changed. */
static gboolean
check_nothing_pipelined (KurirImapClient  *self,
                         const char       *what,
                         GError          **error)
{
  if (kurir_imap_parser_get_pending (self->parser) == 0)
    return TRUE;

  g_set_error (error, KURIR_NET_ERROR, KURIR_NET_ERROR_PROTOCOL,
               "%s:%u sent unexpected data right after agreeing to %s; "
               "the connection was closed to keep it safe",
               host (self), port (self), what);
  return FALSE;
}

static void
resume_reading (KurirImapClient *self)
{
  self->read_paused = FALSE;
  start_reading (self);
  pump (self);
  update_watchdog (self);
}

/* Simple commands */

static void
done_boolean (KurirImapClient   *self,
              Command           *cmd,
              KurirImapResponse *tagged,
              const GError      *error)
{
  GError *refused;

  if (error != NULL)
    {
      g_task_return_error (cmd->task, g_error_copy (error));
      return;
    }
  refused = tagged_error (self, cmd, tagged);
  if (refused != NULL)
    g_task_return_error (cmd->task, refused);
  else
    g_task_return_boolean (cmd->task, TRUE);
}

/* Connect */

static void capability_then (KurirImapClient *self, GTask *task, CommandFlags flags,
                             DoneFunc done);

static void
connect_fail (KurirImapClient *self,
              GTask           *task,
              GError          *error)
{
  g_task_return_error (task, g_error_copy (error));
  fatal (self, error);
}

static void
connect_succeeded (KurirImapClient *self,
                   GTask           *task)
{
  self->ready = TRUE;
  g_task_return_boolean (task, TRUE);
}

static void
connect_done_capability (KurirImapClient   *self,
                         Command           *cmd,
                         KurirImapResponse *tagged,
                         const GError      *error)
{
  if (error != NULL)
    {
      g_task_return_error (cmd->task, g_error_copy (error));
      return;
    }
  if (kurir_imap_response_get_status (tagged) != KURIR_IMAP_STATUS_OK)
    {
      connect_fail (self, cmd->task, tagged_error (self, cmd, tagged));
      return;
    }
  connect_succeeded (self, cmd->task);
}

static void
starttls_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KurirImapClient *self = g_task_get_source_object (task);
  gboolean ours = self->connect_task != NULL;
  GError *error = NULL;

  self->handshaking = FALSE;
  g_clear_object (&self->connect_task);
  if (!kurir_connection_starttls_finish (KURIR_CONNECTION (source), result, &error))
    {
      /* Already failed by fatal() (closed, timed out) when not ours. */
      if (ours)
        connect_fail (self, task, error);
      else
        g_error_free (error);
      return;
    }
  if (!ours || self->fatal != NULL)
    return;

  /* Nothing learnt before the handshake is kept. */
  g_clear_object (&self->parser);
  self->parser = make_parser (self);
  g_hash_table_remove_all (self->capabilities);
  g_hash_table_remove_all (self->enabled);

  resume_reading (self);
  capability_then (self, task, CONNECTING, connect_done_capability);
}

static void
starttls_done (KurirImapClient   *self,
               Command           *cmd,
               KurirImapResponse *tagged,
               const GError      *error)
{
  GError *local_error = NULL;

  if (error != NULL)
    {
      g_task_return_error (cmd->task, g_error_copy (error));
      return;
    }

  if (kurir_imap_response_get_status (tagged) != KURIR_IMAP_STATUS_OK)
    {
      local_error = g_error_new (KURIR_NET_ERROR, KURIR_NET_ERROR_STARTTLS_REFUSED,
                                 "%s:%u refused STARTTLS (%s); no credentials were sent",
                                 host (self), port (self), kurir_imap_response_get_text (tagged));
      connect_fail (self, cmd->task, local_error);
      return;
    }

  if (!check_nothing_pipelined (self, "STARTTLS", &local_error))
    {
      connect_fail (self, cmd->task, local_error);
      return;
    }

  self->handshaking = TRUE;
  self->read_paused = FALSE;
  self->connect_task = g_object_ref (cmd->task);
  update_watchdog (self);
  kurir_connection_starttls_async (self->connection, self->close_cancellable,
                                   starttls_cb, g_object_ref (cmd->task));
}

static void
starttls_after_capability (KurirImapClient   *self,
                           Command           *cmd,
                           KurirImapResponse *tagged,
                           const GError      *error)
{
  KurirImapCommand *builder;

  if (error != NULL)
    {
      g_task_return_error (cmd->task, g_error_copy (error));
      return;
    }
  if (kurir_imap_response_get_status (tagged) != KURIR_IMAP_STATUS_OK)
    {
      connect_fail (self, cmd->task, tagged_error (self, cmd, tagged));
      return;
    }
  if (!g_hash_table_contains (self->capabilities, "STARTTLS"))
    {
      connect_fail (self, cmd->task,
                    g_error_new (KURIR_NET_ERROR, KURIR_NET_ERROR_STARTTLS_REFUSED,
                                 "%s:%u does not offer STARTTLS, so the connection cannot be "
                                 "made secure; no credentials were sent",
                                 host (self), port (self)));
      return;
    }

  builder = new_command (self, "STARTTLS");
  enqueue (self, builder, "STARTTLS", EXCLUSIVE | PAUSE_READING | CONNECTING,
           NULL, NULL, starttls_done, cmd->task);
}

/* Sends CAPABILITY and calls @done with @task when it is answered, or
 * calls nothing and lets @done run at once when the capabilities are known. */
static void
capability_then (KurirImapClient *self,
                 GTask           *task,
                 CommandFlags     flags,
                 DoneFunc         done)
{
  KurirImapCommand *builder = new_command (self, "CAPABILITY");

  enqueue (self, builder, "CAPABILITY", flags, NULL, NULL, done, task);
}

static void
connect_after_greeting (KurirImapClient *self,
                        GTask           *task)
{
  KurirSecurity security = kurir_connection_get_security (self->connection);

  if (security == KURIR_SECURITY_STARTTLS)
    {
      if (g_hash_table_contains (self->capabilities, "STARTTLS"))
        {
          KurirImapCommand *builder = new_command (self, "STARTTLS");

          enqueue (self, builder, "STARTTLS", EXCLUSIVE | PAUSE_READING | CONNECTING,
                   NULL, NULL, starttls_done, task);
        }
      else
        capability_then (self, task, CONNECTING, starttls_after_capability);
      return;
    }

  if (g_hash_table_size (self->capabilities) == 0)
    capability_then (self, task, CONNECTING, connect_done_capability);
  else
    connect_succeeded (self, task);
}

static void
greeting_received (KurirImapClient   *self,
                   KurirImapResponse *response)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->connect_task);
  KurirImapStatus status = kurir_imap_response_get_status (response);
  KurirSecurity security = kurir_connection_get_security (self->connection);
  const char *text = kurir_imap_response_get_text (response);

  self->awaiting_greeting = FALSE;
  g_assert (task != NULL);

  if (kurir_imap_response_get_kind (response) != KURIR_IMAP_RESPONSE_UNTAGGED ||
      (status != KURIR_IMAP_STATUS_OK && status != KURIR_IMAP_STATUS_PREAUTH &&
       status != KURIR_IMAP_STATUS_BYE))
    {
      connect_fail (self, task,
                    g_error_new (KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_PROTOCOL,
                                 "%s:%u is not an IMAP server (its greeting is not "
                                 "\"* OK\")", host (self), port (self)));
      return;
    }

  if (status == KURIR_IMAP_STATUS_BYE)
    {
      connect_fail (self, task,
                    g_error_new (KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_BYE,
                                 "%s:%u refused the connection: %s",
                                 host (self), port (self), text));
      return;
    }

  if (status == KURIR_IMAP_STATUS_PREAUTH && security == KURIR_SECURITY_STARTTLS)
    {
      connect_fail (self, task,
                    g_error_new (KURIR_NET_ERROR, KURIR_NET_ERROR_STARTTLS_REFUSED,
                                 "%s:%u opened the session before TLS (PREAUTH), which "
                                 "would skip the encryption; the connection was closed",
                                 host (self), port (self)));
      return;
    }

  g_free (self->greeting);
  self->greeting = g_strdup (text);
  handle_status_code (self, response);
  self->state = status == KURIR_IMAP_STATUS_PREAUTH ? KURIR_IMAP_CLIENT_STATE_AUTHENTICATED
                                                    : KURIR_IMAP_CLIENT_STATE_NOT_AUTHENTICATED;

  connect_after_greeting (self, task);
}

static void
connection_connect_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KurirImapClient *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (!kurir_connection_connect_finish (KURIR_CONNECTION (source), result, &error))
    {
      self->state = KURIR_IMAP_CLIENT_STATE_DISCONNECTED;
      g_task_return_error (task, error);
      return;
    }

  /* The watchdog keeps time instead: an idling session is silent. */
  kurir_connection_set_timeout (self->connection, 0);
  self->awaiting_greeting = TRUE;
  self->connect_task = g_steal_pointer (&task);
  start_reading (self);
  update_watchdog (self);
}

/* Authentication */

typedef struct {
  char      *username;
  char      *password;
  KurirSasl *sasl;
  GError    *sasl_error;
} AuthData;

static void
auth_data_free (AuthData *data)
{
  g_free (data->username);
  if (data->password != NULL)
    {
      explicit_bzero (data->password, strlen (data->password));
      g_free (data->password);
    }
  g_clear_object (&data->sasl);
  g_clear_error (&data->sasl_error);
  g_free (data);
}

static void
auth_done_capability (KurirImapClient   *self,
                      Command           *cmd,
                      KurirImapResponse *tagged,
                      const GError      *error)
{
  done_boolean (self, cmd, tagged, error);
}

static void
auth_done (KurirImapClient   *self,
           Command           *cmd,
           KurirImapResponse *tagged,
           const GError      *error)
{
  AuthData *data = g_task_get_task_data (cmd->task);
  const char *code;
  const char *text;
  int error_code = KURIR_IMAP_ERROR_AUTH_FAILED;

  if (error != NULL)
    {
      g_task_return_error (cmd->task, g_error_copy (error));
      return;
    }

  code = kurir_imap_response_get_code (tagged);
  text = kurir_imap_response_get_text (tagged);

  if (data->sasl_error != NULL)
    {
      GError *sasl_error = g_steal_pointer (&data->sasl_error);

      g_task_return_error (cmd->task, g_error_copy (sasl_error));
      if (g_error_matches (sasl_error, KURIR_SASL_ERROR, KURIR_SASL_ERROR_SERVER_PROOF))
        fatal (self, sasl_error);
      else
        g_error_free (sasl_error);
      return;
    }

  if (kurir_imap_response_get_status (tagged) == KURIR_IMAP_STATUS_OK)
    {
      if (data->sasl != NULL && kurir_sasl_needs_server_proof (data->sasl) &&
          !kurir_sasl_is_complete (data->sasl))
        {
          GError *proof = g_error_new (KURIR_SASL_ERROR, KURIR_SASL_ERROR_SERVER_PROOF,
                                       "%s:%u accepted the login without proving that it "
                                       "knows the password (%s); it may not be the server "
                                       "it claims to be",
                                       host (self), port (self),
                                       kurir_sasl_get_mechanism (data->sasl));
          connect_fail (self, cmd->task, proof);
          return;
        }

      self->state = KURIR_IMAP_CLIENT_STATE_AUTHENTICATED;
      g_free (self->auth_mechanism);
      self->auth_mechanism = g_strdup (data->sasl ? kurir_sasl_get_mechanism (data->sasl) : "LOGIN");
      g_clear_object (&data->sasl);

      /* The tagged OK's [CAPABILITY] was applied already; else ask. */
      if (g_strcmp0 (code, "CAPABILITY") != 0)
        {
          g_hash_table_remove_all (self->capabilities);
          capability_then (self, cmd->task, 0, auth_done_capability);
          return;
        }
      g_task_return_boolean (cmd->task, TRUE);
      return;
    }

  if (kurir_imap_response_get_status (tagged) == KURIR_IMAP_STATUS_BAD)
    {
      g_task_return_error (cmd->task, tagged_error (self, cmd, tagged));
      return;
    }

  if (g_strcmp0 (code, "UNAVAILABLE") == 0)
    error_code = KURIR_IMAP_ERROR_UNAVAILABLE;

  g_task_return_new_error (cmd->task, KURIR_IMAP_ERROR, error_code,
                           error_code == KURIR_IMAP_ERROR_UNAVAILABLE
                             ? "%s:%u cannot log in %s now, try again later: %s%s%s%s"
                             : "%s:%u did not accept the user name or password of %s: %s%s%s%s",
                           host (self), port (self), data->username, text,
                           code ? " [" : "", code ? code : "", code ? "]" : "");
}

static void
auth_continuation (KurirImapClient   *self,
                   Command           *cmd,
                   KurirImapResponse *response)
{
  AuthData *data = g_task_get_task_data (cmd->task);
  g_autoptr(GError) error = NULL;
  char *reply;

  if (data->sasl == NULL || data->sasl_error != NULL)
    {
      send_raw (self, "*\r\n", FALSE);
      return;
    }

  reply = kurir_sasl_step64 (data->sasl, kurir_imap_response_get_text (response), &error);
  if (reply == NULL)
    {
      /* Cancel the exchange; the tagged BAD finishes with this error. */
      data->sasl_error = g_steal_pointer (&error);
      send_raw (self, "*\r\n", FALSE);
      return;
    }

  {
    g_autofree char *line = g_strconcat (reply, "\r\n", NULL);

    kurir_sasl_free_response (reply);
    send_raw (self, line, TRUE);
    explicit_bzero (line, strlen (line));
  }
}

static const char * const preferred_mechanisms[] = {
  "SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN", NULL
};

static gboolean
offers_mechanism (KurirImapClient *self,
                  const char      *mechanism)
{
  g_autofree char *cap = g_strconcat ("AUTH=", mechanism, NULL);
  g_autofree char *upper = g_ascii_strup (cap, -1);

  return has_cap (self, upper);
}

/* Connect */

/* Public API: the mailbox and result structs */

void
kurir_imap_mailbox_free (KurirImapMailbox *mailbox)
{
  if (mailbox == NULL)
    return;
  g_free (mailbox->name);
  g_strfreev (mailbox->flags);
  g_strfreev (mailbox->permanent_flags);
  g_clear_pointer (&mailbox->vanished, g_array_unref);
  g_clear_pointer (&mailbox->fetches, g_ptr_array_unref);
  g_free (mailbox);
}

void
kurir_imap_copy_result_free (KurirImapCopyResult *result)
{
  if (result == NULL)
    return;
  g_clear_pointer (&result->source_uids, g_array_unref);
  g_clear_pointer (&result->dest_uids, g_array_unref);
  g_free (result);
}

static KurirImapCopyResult *
copy_result_new (void)
{
  KurirImapCopyResult *result = g_new0 (KurirImapCopyResult, 1);

  result->source_uids = g_array_new (FALSE, FALSE, sizeof (guint32));
  result->dest_uids = g_array_new (FALSE, FALSE, sizeof (guint32));
  return result;
}

static void
append_ranges (GArray *uids,
               GArray *ranges)
{
  g_autoptr(GArray) expanded = kurir_imap_ranges_expand (ranges, MAX_EXPAND_UIDS, NULL);

  if (expanded != NULL)
    g_array_append_vals (uids, expanded->data, expanded->len);
}

/* [COPYUID v from to] in @response, into @result; FALSE when it has none. */
static gboolean
take_copyuid (KurirImapResponse   *response,
              KurirImapCopyResult *result)
{
  g_autoptr(GArray) from = NULL;
  g_autoptr(GArray) to = NULL;
  guint32 uidvalidity;

  if (g_strcmp0 (kurir_imap_response_get_code (response), "COPYUID") != 0)
    return FALSE;
  if (!kurir_imap_response_parse_copyuid (response, &uidvalidity, &from, &to, NULL))
    return FALSE;
  result->uidvalidity = uidvalidity;
  append_ranges (result->source_uids, from);
  append_ranges (result->dest_uids, to);
  return TRUE;
}

/* Task data that the finish function may take over. */
typedef struct {
  gpointer       data;
  GDestroyNotify destroy;
} Owned;

static void
owned_free (Owned *owned)
{
  if (owned->data != NULL)
    owned->destroy (owned->data);
  g_free (owned);
}

static void
set_owned (GTask          *task,
           gpointer        data,
           GDestroyNotify  destroy)
{
  Owned *owned = g_new0 (Owned, 1);

  owned->data = data;
  owned->destroy = destroy;
  g_task_set_task_data (task, owned, (GDestroyNotify) owned_free);
}

static gpointer
get_owned (GTask *task)
{
  return ((Owned *) g_task_get_task_data (task))->data;
}

static gpointer
steal_owned (GTask *task)
{
  return g_steal_pointer (&((Owned *) g_task_get_task_data (task))->data);
}

/* SELECT */

static gboolean
select_untagged (KurirImapClient   *self,
                 Command           *cmd,
                 KurirImapResponse *response)
{
  KurirImapMailbox *mailbox = get_owned (cmd->task);
  const char *name = kurir_imap_response_get_name (response);
  const char *code = kurir_imap_response_get_code (response);
  guint64 number = 0;
  guint32 n = 0;

  if (kurir_imap_response_get_status (response) == KURIR_IMAP_STATUS_OK && code != NULL)
    {
      if (g_str_equal (code, "CLOSED"))
        {
          /* What came before belonged to the mailbox that was open. */
          mailbox->exists = 0;
          g_array_set_size (mailbox->vanished, 0);
          g_ptr_array_set_size (mailbox->fetches, 0);
        }
      else if (g_str_equal (code, "UIDVALIDITY") &&
               kurir_imap_response_get_code_number (response, &number))
        mailbox->uidvalidity = (guint32) MIN (number, G_MAXUINT32);
      else if (g_str_equal (code, "UIDNEXT") &&
               kurir_imap_response_get_code_number (response, &number))
        mailbox->uidnext = (guint32) MIN (number, G_MAXUINT32);
      else if (g_str_equal (code, "HIGHESTMODSEQ") &&
               kurir_imap_response_get_code_number (response, &number))
        mailbox->highestmodseq = number;
      else if (g_str_equal (code, "NOMODSEQ"))
        mailbox->nomodseq = TRUE;
      else if (g_str_equal (code, "PERMANENTFLAGS"))
        {
          g_strfreev (mailbox->permanent_flags);
          mailbox->permanent_flags = kurir_imap_response_dup_flags (response);
        }
      return TRUE;
    }

  if (g_strcmp0 (name, "FLAGS") == 0)
    {
      g_strfreev (mailbox->flags);
      mailbox->flags = kurir_imap_response_dup_flags (response);
      return TRUE;
    }
  if (g_strcmp0 (name, "EXISTS") == 0 && kurir_imap_response_get_number (response, &n))
    {
      mailbox->exists = n;
      return TRUE;
    }
  if (g_strcmp0 (name, "RECENT") == 0 && kurir_imap_response_get_number (response, &n))
    {
      mailbox->recent = n;
      return TRUE;
    }
  if (g_strcmp0 (name, "VANISHED") == 0)
    {
      g_autoptr(GArray) ranges = kurir_imap_response_parse_vanished (response, NULL, NULL);

      if (ranges != NULL)
        g_array_append_vals (mailbox->vanished, ranges->data, ranges->len);
      return TRUE;
    }
  if (g_strcmp0 (name, "FETCH") == 0)
    {
      g_ptr_array_add (mailbox->fetches, kurir_imap_response_ref (response));
      return TRUE;
    }
  return FALSE;
}

static void
select_done (KurirImapClient   *self,
             Command           *cmd,
             KurirImapResponse *tagged,
             const GError      *error)
{
  KurirImapMailbox *mailbox = get_owned (cmd->task);
  GError *refused;

  if (error != NULL)
    {
      g_task_return_error (cmd->task, g_error_copy (error));
      return;
    }
  refused = tagged_error (self, cmd, tagged);
  if (refused != NULL)
    {
      self->state = KURIR_IMAP_CLIENT_STATE_AUTHENTICATED;
      g_task_return_error (cmd->task, refused);
      return;
    }

  if (g_strcmp0 (kurir_imap_response_get_code (tagged), "READ-ONLY") == 0)
    mailbox->read_only = TRUE;
  self->state = KURIR_IMAP_CLIENT_STATE_SELECTED;
  g_free (self->selected);
  self->selected = g_strdup (mailbox->name);
  self->exists = mailbox->exists;

  g_task_return_pointer (cmd->task, steal_owned (cmd->task),
                         (GDestroyNotify) kurir_imap_mailbox_free);
}

/* FETCH */

typedef struct {
  KurirImapFetchFunc  func;
  gpointer            func_data;
  GDestroyNotify      func_data_destroy;
  guint               n_fetched;
  GArray             *vanished;
  /* fetch_body */
  guint32             uid;
  char               *section_name;
  GBytes             *body;
} FetchData;

static void
fetch_data_free (FetchData *data)
{
  if (data->func_data_destroy != NULL)
    data->func_data_destroy (data->func_data);
  g_clear_pointer (&data->vanished, g_array_unref);
  g_free (data->section_name);
  g_clear_pointer (&data->body, g_bytes_unref);
  g_free (data);
}

static gboolean
fetch_untagged (KurirImapClient   *self,
                Command           *cmd,
                KurirImapResponse *response)
{
  FetchData *data = g_task_get_task_data (cmd->task);
  const char *name = kurir_imap_response_get_name (response);

  if (g_strcmp0 (name, "FETCH") == 0)
    {
      data->n_fetched++;
      if (data->func != NULL)
        data->func (response, data->func_data);
      return TRUE;
    }
  if (g_strcmp0 (name, "VANISHED") == 0)
    {
      gboolean earlier = FALSE;
      g_autoptr(GArray) ranges = kurir_imap_response_parse_vanished (response, &earlier, NULL);

      if (ranges == NULL || !earlier)
        return FALSE;
      g_array_append_vals (data->vanished, ranges->data, ranges->len);
      return TRUE;
    }
  return FALSE;
}

static void
fetch_done (KurirImapClient   *self,
            Command           *cmd,
            KurirImapResponse *tagged,
            const GError      *error)
{
  done_boolean (self, cmd, tagged, error);
}

static void
body_func (KurirImapResponse *response,
           gpointer           user_data)
{
  FetchData *data = user_data;
  guint32 uid = 0;
  GBytes *body;

  if (!kurir_imap_response_get_fetch_uid (response, &uid) || uid != data->uid)
    return;
  body = kurir_imap_response_dup_fetch_body (response, data->section_name, NULL);
  if (body != NULL)
    {
      g_clear_pointer (&data->body, g_bytes_unref);
      data->body = body;
    }
}

static void
body_done (KurirImapClient   *self,
           Command           *cmd,
           KurirImapResponse *tagged,
           const GError      *error)
{
  FetchData *data = g_task_get_task_data (cmd->task);

  if (command_failed (self, cmd, tagged, error))
    return;
  if (data->body == NULL)
    {
      g_task_return_new_error (cmd->task, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_NO_SUCH_MESSAGE,
                               "%s:%u has no message with UID %u in %s",
                               host (self), port (self), data->uid,
                               self->selected ? self->selected : "the mailbox");
      return;
    }
  g_task_return_pointer (cmd->task, g_steal_pointer (&data->body),
                         (GDestroyNotify) g_bytes_unref);
}

/* STORE, COPY, MOVE, EXPUNGE, APPEND */

static void
store_done (KurirImapClient   *self,
            Command           *cmd,
            KurirImapResponse *tagged,
            const GError      *error)
{
  GArray *modified;

  if (command_failed (self, cmd, tagged, error))
    return;

  modified = g_array_new (FALSE, FALSE, sizeof (guint32));
  if (g_strcmp0 (kurir_imap_response_get_code (tagged), "MODIFIED") == 0)
    {
      g_autoptr(GArray) ranges =
        kurir_imap_sequence_set_parse (kurir_imap_response_get_code_text (tagged), NULL);

      if (ranges != NULL)
        append_ranges (modified, ranges);
    }
  g_task_return_pointer (cmd->task, modified, (GDestroyNotify) g_array_unref);
}

static gboolean
copy_untagged (KurirImapClient   *self,
               Command           *cmd,
               KurirImapResponse *response)
{
  KurirImapCopyResult *result = get_owned (cmd->task);

  if (kurir_imap_response_get_status (response) != KURIR_IMAP_STATUS_OK)
    return FALSE;
  return take_copyuid (response, result);
}

static void
copy_done (KurirImapClient   *self,
           Command           *cmd,
           KurirImapResponse *tagged,
           const GError      *error)
{
  KurirImapCopyResult *result = get_owned (cmd->task);

  if (command_failed (self, cmd, tagged, error))
    return;
  take_copyuid (tagged, result);
  g_task_return_pointer (cmd->task, steal_owned (cmd->task),
                         (GDestroyNotify) kurir_imap_copy_result_free);
}

static void
append_done (KurirImapClient   *self,
             Command           *cmd,
             KurirImapResponse *tagged,
             const GError      *error)
{
  KurirImapCopyResult *result;
  g_autoptr(GArray) uids = NULL;
  guint32 uidvalidity = 0;

  if (command_failed (self, cmd, tagged, error))
    return;

  result = copy_result_new ();
  if (g_strcmp0 (kurir_imap_response_get_code (tagged), "APPENDUID") == 0 &&
      kurir_imap_response_parse_appenduid (tagged, &uidvalidity, &uids, NULL))
    {
      result->uidvalidity = uidvalidity;
      append_ranges (result->dest_uids, uids);
    }
  g_task_return_pointer (cmd->task, result, (GDestroyNotify) kurir_imap_copy_result_free);
}

/* The MOVE fallback: COPY, then STORE \Deleted, then UID EXPUNGE. */

typedef struct {
  GArray              *uids;
  char                *destination;
  KurirImapCopyResult *result;
} MoveData;

static void
move_data_free (MoveData *data)
{
  g_clear_pointer (&data->uids, g_array_unref);
  g_free (data->destination);
  kurir_imap_copy_result_free (data->result);
  g_free (data);
}

static void
move_expunged_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MoveData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (!kurir_imap_client_expunge_finish (KURIR_IMAP_CLIENT (source), result, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&data->result),
                         (GDestroyNotify) kurir_imap_copy_result_free);
}

static void
move_stored_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MoveData *data = g_task_get_task_data (task);
  g_autoptr(GArray) modified = NULL;
  GCancellable *cancellable;
  GError *error = NULL;

  modified = kurir_imap_client_store_finish (KURIR_IMAP_CLIENT (source), result, &error);
  if (modified == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  cancellable = g_task_get_cancellable (task);
  kurir_imap_client_expunge_async (KURIR_IMAP_CLIENT (source),
                                   (const guint32 *) data->uids->data, data->uids->len,
                                   cancellable, move_expunged_cb, g_steal_pointer (&task));
}

static void
move_copied_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MoveData *data = g_task_get_task_data (task);
  static const char * const deleted[] = { "\\Deleted", NULL };
  GCancellable *cancellable;
  GError *error = NULL;

  data->result = kurir_imap_client_copy_finish (KURIR_IMAP_CLIENT (source), result, &error);
  if (data->result == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  cancellable = g_task_get_cancellable (task);
  kurir_imap_client_store_async (KURIR_IMAP_CLIENT (source),
                                 (const guint32 *) data->uids->data, data->uids->len,
                                 KURIR_IMAP_STORE_ADD, deleted, 0,
                                 cancellable, move_stored_cb, g_steal_pointer (&task));
}

/* LIST */

static gboolean
list_untagged (KurirImapClient   *self,
               Command           *cmd,
               KurirImapResponse *response)
{
  GPtrArray *entries = g_task_get_task_data (cmd->task);
  g_autoptr(GError) error = NULL;
  KurirImapListEntry *entry;

  if (g_strcmp0 (kurir_imap_response_get_name (response), "LIST") != 0)
    return FALSE;

  entry = kurir_imap_list_entry_parse (response, self->utf8, &error);
  if (entry == NULL)
    g_debug ("%s:%u: a LIST response was skipped: %s", host (self), port (self), error->message);
  else
    g_ptr_array_add (entries, entry);
  return TRUE;
}

static void
list_done (KurirImapClient   *self,
           Command           *cmd,
           KurirImapResponse *tagged,
           const GError      *error)
{
  GPtrArray *entries = g_task_get_task_data (cmd->task);

  if (command_failed (self, cmd, tagged, error))
    return;
  g_task_return_pointer (cmd->task, g_ptr_array_ref (entries), (GDestroyNotify) g_ptr_array_unref);
}

/* STATUS */

typedef struct {
  char                *mailbox;
  KurirImapStatusData *result;
} StatusData;

static void
status_data_free (StatusData *data)
{
  g_free (data->mailbox);
  g_clear_pointer (&data->result, kurir_imap_status_data_free);
  g_free (data);
}

static gboolean
status_untagged (KurirImapClient   *self,
                 Command           *cmd,
                 KurirImapResponse *response)
{
  StatusData *data = g_task_get_task_data (cmd->task);
  KurirImapStatusData *status;

  if (g_strcmp0 (kurir_imap_response_get_name (response), "STATUS") != 0)
    return FALSE;
  status = kurir_imap_status_data_parse (response, self->utf8, NULL);
  if (status == NULL || g_strcmp0 (status->name, data->mailbox) != 0)
    {
      /* Not ours (or unreadable): someone else's STATUS, or a NOTIFY. */
      if (status != NULL)
        kurir_imap_status_data_free (status);
      return FALSE;
    }
  g_clear_pointer (&data->result, kurir_imap_status_data_free);
  data->result = status;
  return TRUE;
}

static void
status_done (KurirImapClient   *self,
             Command           *cmd,
             KurirImapResponse *tagged,
             const GError      *error)
{
  StatusData *data = g_task_get_task_data (cmd->task);

  if (command_failed (self, cmd, tagged, error))
    return;
  if (data->result == NULL)
    {
      g_task_return_new_error (cmd->task, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_PROTOCOL,
                               "%s:%u answered STATUS without the status of %s",
                               host (self), port (self), data->mailbox);
      return;
    }
  g_task_return_pointer (cmd->task, g_steal_pointer (&data->result),
                         (GDestroyNotify) kurir_imap_status_data_free);
}

/* ENABLE, COMPRESS, LOGOUT */

static void
enable_done (KurirImapClient   *self,
             Command           *cmd,
             KurirImapResponse *tagged,
             const GError      *error)
{
  if (error == NULL && kurir_imap_response_get_status (tagged) == KURIR_IMAP_STATUS_OK)
    self->utf8 = is_enabled (self, "UTF8=ACCEPT");
  done_boolean (self, cmd, tagged, error);
}

static void
compress_done (KurirImapClient   *self,
               Command           *cmd,
               KurirImapResponse *tagged,
               const GError      *error)
{
  GError *local_error = NULL;

  if (error != NULL)
    {
      g_task_return_error (cmd->task, g_error_copy (error));
      return;
    }
  if (kurir_imap_response_get_status (tagged) != KURIR_IMAP_STATUS_OK)
    {
      resume_reading (self);
      g_task_return_error (cmd->task, tagged_error (self, cmd, tagged));
      return;
    }
  if (!check_nothing_pipelined (self, "COMPRESS", &local_error) ||
      !kurir_connection_start_compression (self->connection, &local_error))
    {
      connect_fail (self, cmd->task, local_error);
      return;
    }
  resume_reading (self);
  g_task_return_boolean (cmd->task, TRUE);
}

static void
logout_done (KurirImapClient   *self,
             Command           *cmd,
             KurirImapResponse *tagged,
             const GError      *error)
{
  if (error != NULL && !self->logging_out)
    {
      g_task_return_error (cmd->task, g_error_copy (error));
      return;
    }
  g_task_return_boolean (cmd->task, TRUE);
  fatal (self, g_error_new (G_IO_ERROR, G_IO_ERROR_CLOSED, "Logged out of %s:%u",
                            host (self), port (self)));
}

/* IDLE */

static void
idle_complete (KurirImapClient *self,
               GError          *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->idle_task);

  clear_source (&self->idle_timer);
  if (self->idle_cancel_id != 0)
    {
      g_cancellable_disconnect (g_task_get_cancellable (task), self->idle_cancel_id);
      self->idle_cancel_id = 0;
    }
  self->idling = FALSE;
  self->done_sent = FALSE;
  if (task == NULL)
    {
      g_clear_error (&error);
      return;
    }
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static gboolean
idle_renew_cb (gpointer user_data)
{
  KurirImapClient *self = user_data;

  clear_source (&self->idle_timer);
  send_done (self);
  return G_SOURCE_REMOVE;
}

static void
idle_continuation (KurirImapClient   *self,
                   Command           *cmd,
                   KurirImapResponse *response)
{
  if (cmd != self->idle_cmd || self->done_sent)
    {
      fatal (self, g_error_new (KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_PROTOCOL,
                                "%s:%u sent a continuation request nobody asked for",
                                host (self), port (self)));
      return;
    }
  self->idling = TRUE;
  update_watchdog (self);
  if (self->idle_stop_requested || !g_queue_is_empty (&self->queue))
    {
      send_done (self);
      return;
    }
  self->idle_timer = schedule (self, g_timeout_source_new_seconds (self->idle_interval),
                               idle_renew_cb, self, NULL);
}

static void
idle_done (KurirImapClient   *self,
           Command           *cmd,
           KurirImapResponse *tagged,
           const GError      *error)
{
  GError *refused;

  self->idle_cmd = NULL;
  self->idling = FALSE;
  self->done_sent = FALSE;
  clear_source (&self->idle_timer);
  if (error != NULL)
    return;  /* fatal() finishes the idle task */

  refused = tagged_error (self, cmd, tagged);
  if (refused != NULL)
    {
      idle_complete (self, refused);
      return;
    }
  if (self->idle_stop_requested || !g_queue_is_empty (&self->queue) ||
      task_cancelled (self->idle_task))
    {
      if (task_cancelled (self->idle_task))
        idle_complete (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                  "The operation was cancelled"));
      else
        idle_complete (self, NULL);
      return;
    }
  idle_cycle (self);
}

static void
poll_done (KurirImapClient   *self,
           Command           *cmd,
           KurirImapResponse *tagged,
           const GError      *error)
{
  GError *refused;

  if (error != NULL || self->idle_task == NULL)
    return;
  refused = tagged_error (self, cmd, tagged);
  if (refused != NULL)
    {
      idle_complete (self, refused);
      return;
    }
  idle_cycle (self);
}

static gboolean
poll_cb (gpointer user_data)
{
  KurirImapClient *self = user_data;

  clear_source (&self->idle_timer);
  enqueue (self, new_command (self, "NOOP"), "NOOP", 0, NULL, NULL, poll_done, NULL);
  return G_SOURCE_REMOVE;
}

static void
idle_cycle (KurirImapClient *self)
{
  if (self->idle_task == NULL)
    return;
  if (self->idle_stop_requested)
    {
      idle_complete (self, NULL);
      return;
    }

  if (has_cap (self, "IDLE"))
    {
      self->done_sent = FALSE;
      self->idling = FALSE;
      self->idle_cmd = enqueue (self, new_command (self, "IDLE"), "IDLE", EXCLUSIVE,
                                NULL, idle_continuation, idle_done, NULL);
    }
  else
    self->idle_timer = schedule (self, g_timeout_source_new_seconds (self->poll_interval),
                                 poll_cb, self, NULL);
}

static gboolean
idle_stop_idle_cb (gpointer user_data)
{
  KurirImapClient *self = user_data;

  if (self->idle_task != NULL)
    kurir_imap_client_idle_stop (self);
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

static void
idle_cancelled_cb (GCancellable *cancellable,
                   gpointer      user_data)
{
  KurirImapClient *self = user_data;

  /* Never inside the emission (it may hold the cancellable's lock, and may
   * run in another thread): stop from the client's context, later. */
  g_source_unref (schedule (self, g_idle_source_new (), idle_stop_idle_cb,
                            g_object_ref (self), NULL));
}

/* Overrides */

static void
kurir_imap_client_dispose (GObject *object)
{
  KurirImapClient *self = KURIR_IMAP_CLIENT (object);

  if (self->connection != NULL && self->fatal == NULL &&
      self->state != KURIR_IMAP_CLIENT_STATE_DISCONNECTED)
    fatal (self, g_error_new (G_IO_ERROR, G_IO_ERROR_CLOSED, "The session was closed"));
  clear_source (&self->watchdog);
  clear_source (&self->idle_timer);
  g_clear_object (&self->connection);
  g_clear_object (&self->parser);
  g_clear_object (&self->close_cancellable);

  G_OBJECT_CLASS (kurir_imap_client_parent_class)->dispose (object);
}

static void
kurir_imap_client_finalize (GObject *object)
{
  KurirImapClient *self = KURIR_IMAP_CLIENT (object);

  g_main_context_unref (self->context);
  g_free (self->mechanism);
  g_hash_table_unref (self->ignored);
  g_hash_table_unref (self->capabilities);
  g_hash_table_unref (self->enabled);
  g_hash_table_unref (self->in_flight_tags);
  g_free (self->greeting);
  g_free (self->auth_mechanism);
  g_free (self->selected);
  g_clear_error (&self->fatal);
  g_queue_clear_full (&self->queue, (GDestroyNotify) command_free);
  g_queue_clear_full (&self->in_flight, (GDestroyNotify) command_free);
  g_queue_clear_full (&self->raw_out, (GDestroyNotify) g_bytes_unref);
  g_queue_clear (&self->raw_out_flags);

  G_OBJECT_CLASS (kurir_imap_client_parent_class)->finalize (object);
}

static void
kurir_imap_client_class_init (KurirImapClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kurir_imap_client_dispose;
  object_class->finalize = kurir_imap_client_finalize;

  /* New messages: the mailbox now holds this many. */
  signals[SIGNAL_EXISTS] =
    g_signal_new ("exists", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
  /* The message with this sequence number was expunged. */
  signals[SIGNAL_EXPUNGE] =
    g_signal_new ("expunge", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
  /* (GArray of KurirImapRange of UIDs, earlier) with QRESYNC. */
  signals[SIGNAL_VANISHED] =
    g_signal_new ("vanished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_POINTER, G_TYPE_BOOLEAN);
  /* A FETCH no command asked for: flags changed elsewhere. */
  signals[SIGNAL_FETCH] =
    g_signal_new ("fetch", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1,
                  KURIR_TYPE_IMAP_RESPONSE | G_SIGNAL_TYPE_STATIC_SCOPE);
  /* [ALERT] text: the server wants the user to read it. */
  signals[SIGNAL_ALERT] =
    g_signal_new ("alert", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_BYE] =
    g_signal_new ("bye", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /* The session is over, with this reason. */
  signals[SIGNAL_CLOSED] =
    g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
kurir_imap_client_init (KurirImapClient *self)
{
  self->ignored = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->capabilities = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->enabled = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->in_flight_tags = g_hash_table_new (g_str_hash, g_str_equal);
  self->timeout = KURIR_CONNECTION_DEFAULT_TIMEOUT;
  self->idle_interval = KURIR_IMAP_CLIENT_DEFAULT_IDLE_INTERVAL;
  self->poll_interval = KURIR_IMAP_CLIENT_DEFAULT_POLL_INTERVAL;
  self->close_cancellable = g_cancellable_new ();
  self->context = g_main_context_ref_thread_default ();
  self->state = KURIR_IMAP_CLIENT_STATE_DISCONNECTED;
  g_queue_init (&self->queue);
  g_queue_init (&self->in_flight);
  g_queue_init (&self->raw_out);
  g_queue_init (&self->raw_out_flags);
}

/* Public API */

KurirImapClient *
kurir_imap_client_new (KurirConnection *connection)
{
  KurirImapClient *self;

  g_return_val_if_fail (KURIR_IS_CONNECTION (connection), NULL);

  self = g_object_new (KURIR_TYPE_IMAP_CLIENT, NULL);
  self->connection = g_object_ref (connection);
  kurir_connection_set_log_domain (connection, G_LOG_DOMAIN);
  return self;
}

KurirConnection *
kurir_imap_client_get_connection (KurirImapClient *self)
{
  g_return_val_if_fail (KURIR_IS_IMAP_CLIENT (self), NULL);
  return self->connection;
}

void
kurir_imap_client_set_allow_plaintext (KurirImapClient *self,
                                       gboolean         allow)
{
  g_return_if_fail (KURIR_IS_IMAP_CLIENT (self));
  self->allow_plaintext = allow;
}

void
kurir_imap_client_set_mechanism (KurirImapClient *self,
                                 const char      *mechanism)
{
  g_return_if_fail (KURIR_IS_IMAP_CLIENT (self));
  g_free (self->mechanism);
  self->mechanism = mechanism ? g_ascii_strup (mechanism, -1) : NULL;
}

void
kurir_imap_client_set_ignored_capabilities (KurirImapClient    *self,
                                            const char * const *capabilities)
{
  g_return_if_fail (KURIR_IS_IMAP_CLIENT (self));
  g_hash_table_remove_all (self->ignored);
  for (guint i = 0; capabilities != NULL && capabilities[i] != NULL; i++)
    g_hash_table_add (self->ignored, g_ascii_strup (capabilities[i], -1));
}

void
kurir_imap_client_set_max_literal_size (KurirImapClient *self,
                                        guint64          max_size)
{
  g_return_if_fail (KURIR_IS_IMAP_CLIENT (self));
  self->max_literal_size = max_size;
}

void
kurir_imap_client_set_timeout (KurirImapClient *self,
                               guint            seconds)
{
  g_return_if_fail (KURIR_IS_IMAP_CLIENT (self));
  self->timeout = seconds;
  update_watchdog (self);
}

void
kurir_imap_client_set_idle_interval (KurirImapClient *self,
                                     guint            seconds)
{
  g_return_if_fail (KURIR_IS_IMAP_CLIENT (self));
  g_return_if_fail (seconds > 0);
  self->idle_interval = seconds;
}

void
kurir_imap_client_set_poll_interval (KurirImapClient *self,
                                     guint            seconds)
{
  g_return_if_fail (KURIR_IS_IMAP_CLIENT (self));
  g_return_if_fail (seconds > 0);
  self->poll_interval = seconds;
}

KurirImapClientState
kurir_imap_client_get_state (KurirImapClient *self)
{
  g_return_val_if_fail (KURIR_IS_IMAP_CLIENT (self), KURIR_IMAP_CLIENT_STATE_DISCONNECTED);
  return self->state;
}

gboolean
kurir_imap_client_has_capability (KurirImapClient *self,
                                  const char      *name)
{
  g_autofree char *upper = NULL;

  g_return_val_if_fail (KURIR_IS_IMAP_CLIENT (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  upper = g_ascii_strup (name, -1);
  return has_cap (self, upper);
}

static gint
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

GStrv
kurir_imap_client_dup_capabilities (KurirImapClient *self)
{
  GPtrArray *caps;
  GHashTableIter iter;
  gpointer key;

  g_return_val_if_fail (KURIR_IS_IMAP_CLIENT (self), NULL);

  caps = g_ptr_array_new ();
  g_hash_table_iter_init (&iter, self->capabilities);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (self->ignored, key))
      g_ptr_array_add (caps, g_strdup (key));
  g_ptr_array_sort (caps, compare_strings);
  g_ptr_array_add (caps, NULL);
  return (GStrv) g_ptr_array_free (caps, FALSE);
}

gboolean
kurir_imap_client_is_enabled (KurirImapClient *self,
                              const char      *extension)
{
  g_autofree char *upper = NULL;

  g_return_val_if_fail (KURIR_IS_IMAP_CLIENT (self), FALSE);
  g_return_val_if_fail (extension != NULL, FALSE);

  upper = g_ascii_strup (extension, -1);
  return is_enabled (self, upper);
}

const char *
kurir_imap_client_get_greeting (KurirImapClient *self)
{
  g_return_val_if_fail (KURIR_IS_IMAP_CLIENT (self), NULL);
  return self->greeting;
}

const char *
kurir_imap_client_get_auth_mechanism (KurirImapClient *self)
{
  g_return_val_if_fail (KURIR_IS_IMAP_CLIENT (self), NULL);
  return self->auth_mechanism;
}

const char *
kurir_imap_client_get_selected (KurirImapClient *self)
{
  g_return_val_if_fail (KURIR_IS_IMAP_CLIENT (self), NULL);
  return self->selected;
}

guint32
kurir_imap_client_get_exists (KurirImapClient *self)
{
  g_return_val_if_fail (KURIR_IS_IMAP_CLIENT (self), 0);
  return self->exists;
}

gboolean
kurir_imap_client_is_idling (KurirImapClient *self)
{
  g_return_val_if_fail (KURIR_IS_IMAP_CLIENT (self), FALSE);
  return self->idling;
}

guint
kurir_imap_client_get_n_commands (KurirImapClient *self)
{
  g_return_val_if_fail (KURIR_IS_IMAP_CLIENT (self), 0);
  return self->n_commands;
}

void
kurir_imap_client_close (KurirImapClient *self)
{
  g_return_if_fail (KURIR_IS_IMAP_CLIENT (self));

  if (self->fatal == NULL)
    fatal (self, g_error_new (G_IO_ERROR, G_IO_ERROR_CLOSED,
                              "The session with %s:%u was closed", host (self), port (self)));
}

/* Connect */

void
kurir_imap_client_connect_async (KurirImapClient     *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (KURIR_IS_IMAP_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kurir_imap_client_connect_async);

  if (self->state != KURIR_IMAP_CLIENT_STATE_DISCONNECTED || self->fatal != NULL ||
      self->connect_task != NULL)
    {
      g_task_return_new_error (task, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_INVALID_ARGUMENT,
                               "This IMAP session was connected before; make a new one");
      return;
    }

  if (kurir_connection_get_security (self->connection) == KURIR_SECURITY_NONE &&
      !self->allow_plaintext)
    {
      g_task_return_new_error (task, KURIR_NET_ERROR, KURIR_NET_ERROR_PLAINTEXT_REFUSED,
                               "The connection to %s:%u would not be encrypted, and "
                               "unencrypted connections are not allowed for this account",
                               host (self), port (self));
      return;
    }

  self->parser = make_parser (self);
  self->state = KURIR_IMAP_CLIENT_STATE_NOT_AUTHENTICATED;
  kurir_connection_connect_async (self->connection, cancellable, connection_connect_cb,
                                  g_steal_pointer (&task));
}

gboolean
kurir_imap_client_connect_finish (KurirImapClient  *self,
                                  GAsyncResult     *result,
                                  GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Authenticate */

void
kurir_imap_client_authenticate_async (KurirImapClient     *self,
                                      const char          *username,
                                      const char          *password,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  AuthData *data;
  const char *mechanism = NULL;
  KurirImapCommand *builder;

  g_return_if_fail (KURIR_IS_IMAP_CLIENT (self));
  g_return_if_fail (username != NULL);
  g_return_if_fail (password != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kurir_imap_client_authenticate_async);
  data = g_new0 (AuthData, 1);
  data->username = g_strdup (username);
  data->password = g_strdup (password);
  g_task_set_task_data (task, data, (GDestroyNotify) auth_data_free);

  if (self->fatal != NULL)
    {
      g_task_return_error (task, g_error_copy (self->fatal));
      return;
    }
  if (self->state == KURIR_IMAP_CLIENT_STATE_AUTHENTICATED ||
      self->state == KURIR_IMAP_CLIENT_STATE_SELECTED)
    {
      /* PREAUTH (only ever accepted over TLS or an allowed plaintext). */
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (self->state != KURIR_IMAP_CLIENT_STATE_NOT_AUTHENTICATED)
    {
      g_task_return_new_error (task, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_INVALID_ARGUMENT,
                               "Not connected to %s:%u", host (self), port (self));
      return;
    }

  if (self->mechanism != NULL && !g_str_equal (self->mechanism, "LOGIN"))
    {
      if (!offers_mechanism (self, self->mechanism) ||
          !kurir_sasl_mechanism_is_supported (self->mechanism))
        {
          g_task_return_new_error (task, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_NOT_SUPPORTED,
                                   "%s:%u does not offer the authentication mechanism %s",
                                   host (self), port (self), self->mechanism);
          return;
        }
      mechanism = self->mechanism;
    }
  else if (self->mechanism == NULL)
    {
      for (guint i = 0; preferred_mechanisms[i] != NULL && mechanism == NULL; i++)
        if (offers_mechanism (self, preferred_mechanisms[i]) &&
            kurir_sasl_mechanism_is_supported (preferred_mechanisms[i]))
          mechanism = preferred_mechanisms[i];
    }

  if (mechanism == NULL)
    {
      /* The LOGIN command. */
      if (has_cap (self, "LOGINDISABLED"))
        {
          g_task_return_new_error (task, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_NOT_SUPPORTED,
                                   "%s:%u does not allow LOGIN here (LOGINDISABLED) and offers "
                                   "no authentication mechanism Kurir supports",
                                   host (self), port (self));
          return;
        }
      builder = new_command (self, "LOGIN");
      kurir_imap_command_add_astring (builder, username);
      kurir_imap_command_add_secret (builder, password);
      enqueue (self, builder, "LOGIN", EXCLUSIVE, NULL, NULL, auth_done, task);
      return;
    }

  {
    GError *error = NULL;

    data->sasl = kurir_sasl_new (mechanism, username, password, &error);
    if (data->sasl == NULL)
      {
        g_task_return_error (task, error);
        return;
      }
  }

  builder = new_command (self, "AUTHENTICATE");
  kurir_imap_command_add_atom (builder, mechanism);
  if (has_cap (self, "SASL-IR") && kurir_sasl_is_client_first (data->sasl))
    {
      GError *error = NULL;
      char *initial = kurir_sasl_step64 (data->sasl, NULL, &error);

      if (initial == NULL)
        {
          kurir_imap_command_free (builder);
          g_task_return_error (task, error);
          return;
        }
      kurir_imap_command_add_secret_atom (builder, *initial ? initial : "=");
      kurir_sasl_free_response (initial);
    }
  enqueue (self, builder, "AUTHENTICATE", EXCLUSIVE, NULL, auth_continuation, auth_done, task);
}

gboolean
kurir_imap_client_authenticate_finish (KurirImapClient  *self,
                                       GAsyncResult     *result,
                                       GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ENABLE */

void
kurir_imap_client_enable_async (KurirImapClient     *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  static const char * const wanted[] = { "QRESYNC", "CONDSTORE", "UTF8=ACCEPT", NULL };
  g_autoptr(GTask) task = NULL;
  KurirImapCommand *builder;
  guint n = 0;

  g_return_if_fail (KURIR_IS_IMAP_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kurir_imap_client_enable_async);

  builder = new_command (self, "ENABLE");
  for (guint i = 0; wanted[i] != NULL; i++)
    if (has_cap (self, wanted[i]) && !is_enabled (self, wanted[i]))
      {
        kurir_imap_command_add_atom (builder, wanted[i]);
        n++;
      }
  if (n == 0 || !has_cap (self, "ENABLE"))
    {
      kurir_imap_command_free (builder);
      g_task_return_boolean (task, TRUE);
      return;
    }
  enqueue (self, builder, "ENABLE", EXCLUSIVE, NULL, NULL, enable_done, task);
}

gboolean
kurir_imap_client_enable_finish (KurirImapClient  *self,
                                 GAsyncResult     *result,
                                 GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* COMPRESS */

void
kurir_imap_client_compress_async (KurirImapClient     *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  KurirImapCommand *builder;

  g_return_if_fail (KURIR_IS_IMAP_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kurir_imap_client_compress_async);

  if (!has_cap (self, "COMPRESS=DEFLATE") || kurir_connection_is_compressed (self->connection))
    {
      g_task_set_task_data (task, GINT_TO_POINTER (FALSE), NULL);
      g_task_return_boolean (task, TRUE);
      return;
    }
  g_task_set_task_data (task, GINT_TO_POINTER (TRUE), NULL);
  builder = new_command (self, "COMPRESS");
  kurir_imap_command_add_atom (builder, "DEFLATE");
  enqueue (self, builder, "COMPRESS", EXCLUSIVE | PAUSE_READING, NULL, NULL, compress_done, task);
}

gboolean
kurir_imap_client_compress_finish (KurirImapClient  *self,
                                   GAsyncResult     *result,
                                   gboolean         *out_started,
                                   GError          **error)
{
  gboolean ok;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  ok = g_task_propagate_boolean (G_TASK (result), error);
  if (out_started != NULL)
    *out_started = ok && GPOINTER_TO_INT (g_task_get_task_data (G_TASK (result)));
  return ok;
}

/* LIST */

void
kurir_imap_client_list_async (KurirImapClient     *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  KurirImapCommand *builder;

  g_return_if_fail (KURIR_IS_IMAP_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kurir_imap_client_list_async);
  g_task_set_task_data (task,
                        g_ptr_array_new_with_free_func ((GDestroyNotify) kurir_imap_list_entry_free),
                        (GDestroyNotify) g_ptr_array_unref);

  builder = new_command (self, "LIST");
  kurir_imap_command_add_raw (builder, "\"\" *");
  if (has_cap (self, "LIST-EXTENDED") && has_cap (self, "SPECIAL-USE"))
    kurir_imap_command_add_raw (builder, "RETURN (SPECIAL-USE SUBSCRIBED)");
  else if (has_cap (self, "LIST-EXTENDED"))
    kurir_imap_command_add_raw (builder, "RETURN (SUBSCRIBED)");
  else if (has_cap (self, "SPECIAL-USE"))
    kurir_imap_command_add_raw (builder, "RETURN (SPECIAL-USE)");
  enqueue (self, builder, "LIST", 0, list_untagged, NULL, list_done, task);
}

GPtrArray *
kurir_imap_client_list_finish (KurirImapClient  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* SELECT */

void
kurir_imap_client_select_async (KurirImapClient     *self,
                                const char          *mailbox,
                                gboolean             read_only,
                                guint32              uidvalidity,
                                guint64              modseq,
                                const guint32       *known_uids,
                                gsize                n_known_uids,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  KurirImapMailbox *data;
  KurirImapCommand *builder;
  const char *name = read_only ? "EXAMINE" : "SELECT";

  g_return_if_fail (KURIR_IS_IMAP_CLIENT (self));
  g_return_if_fail (mailbox != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kurir_imap_client_select_async);
  data = g_new0 (KurirImapMailbox, 1);
  data->name = g_strdup (mailbox);
  data->read_only = read_only;
  data->vanished = g_array_new (FALSE, FALSE, sizeof (KurirImapRange));
  data->fetches = g_ptr_array_new_with_free_func ((GDestroyNotify) kurir_imap_response_unref);
  set_owned (task, data, (GDestroyNotify) kurir_imap_mailbox_free);

  builder = new_command (self, name);
  kurir_imap_command_add_mailbox (builder, mailbox);
  if (is_enabled (self, "QRESYNC") && uidvalidity != 0 && modseq != 0)
    {
      kurir_imap_command_open_list (builder);
      kurir_imap_command_add_atom (builder, "QRESYNC");
      kurir_imap_command_open_list (builder);
      kurir_imap_command_add_number (builder, uidvalidity);
      kurir_imap_command_add_number (builder, modseq);
      if (known_uids != NULL && n_known_uids > 0)
        kurir_imap_command_add_sequence_set (builder, known_uids, n_known_uids);
      kurir_imap_command_close_list (builder);
      kurir_imap_command_close_list (builder);
    }
  else if (is_enabled (self, "QRESYNC") || is_enabled (self, "CONDSTORE") ||
           has_cap (self, "CONDSTORE"))
    kurir_imap_command_add_raw (builder, "(CONDSTORE)");

  /* Until the server answers, no mailbox is selected. */
  g_clear_pointer (&self->selected, g_free);
  self->exists = 0;
  if (self->state == KURIR_IMAP_CLIENT_STATE_SELECTED)
    self->state = KURIR_IMAP_CLIENT_STATE_AUTHENTICATED;
  enqueue (self, builder, name, EXCLUSIVE, select_untagged, NULL, select_done, task);
}

KurirImapMailbox *
kurir_imap_client_select_finish (KurirImapClient  *self,
                                 GAsyncResult     *result,
                                 GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* FETCH */

static gboolean
check_uid_set (const char  *uid_set,
               GError     **error)
{
  g_autoptr(GArray) ranges = kurir_imap_sequence_set_parse (uid_set, error);

  return ranges != NULL;
}

static void
start_fetch (KurirImapClient *self,
             GTask           *task,
             const char      *uid_set,
             const char      *items,
             guint64          changedsince,
             gboolean         vanished,
             DoneFunc         done)
{
  KurirImapCommand *builder;
  GError *error = NULL;

  if (!check_uid_set (uid_set, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  builder = new_command (self, "UID FETCH");
  kurir_imap_command_add_raw (builder, uid_set);
  kurir_imap_command_add_raw (builder, items);
  if (changedsince > 0)
    {
      kurir_imap_command_open_list (builder);
      kurir_imap_command_add_atom (builder, "CHANGEDSINCE");
      kurir_imap_command_add_number (builder, changedsince);
      if (vanished)
        kurir_imap_command_add_atom (builder, "VANISHED");
      kurir_imap_command_close_list (builder);
    }
  enqueue (self, builder, "UID FETCH", 0, fetch_untagged, NULL, done, task);
}

void
kurir_imap_client_fetch_async (KurirImapClient     *self,
                               const char          *uid_set,
                               const char          *items,
                               guint64              changedsince,
                               gboolean             vanished,
                               KurirImapFetchFunc   func,
                               gpointer             func_data,
                               GDestroyNotify       func_data_destroy,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  FetchData *data;

  g_return_if_fail (KURIR_IS_IMAP_CLIENT (self));
  g_return_if_fail (uid_set != NULL);
  g_return_if_fail (items != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kurir_imap_client_fetch_async);
  data = g_new0 (FetchData, 1);
  data->func = func;
  data->func_data = func_data;
  data->func_data_destroy = func_data_destroy;
  data->vanished = g_array_new (FALSE, FALSE, sizeof (KurirImapRange));
  g_task_set_task_data (task, data, (GDestroyNotify) fetch_data_free);

  start_fetch (self, task, uid_set, items, changedsince, vanished && changedsince > 0,
               fetch_done);
}

gboolean
kurir_imap_client_fetch_finish (KurirImapClient  *self,
                                GAsyncResult     *result,
                                guint            *out_n_fetched,
                                GArray          **out_vanished,
                                GError          **error)
{
  FetchData *data;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  data = g_task_get_task_data (G_TASK (result));
  if (out_n_fetched != NULL)
    *out_n_fetched = data->n_fetched;
  if (out_vanished != NULL)
    *out_vanished = g_array_ref (data->vanished);
  return TRUE;
}

void
kurir_imap_client_fetch_body_async (KurirImapClient     *self,
                                    guint32              uid,
                                    const char          *section,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *uid_set = NULL;
  g_autofree char *items = NULL;
  FetchData *data;

  g_return_if_fail (KURIR_IS_IMAP_CLIENT (self));
  g_return_if_fail (uid > 0);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kurir_imap_client_fetch_body_async);
  data = g_new0 (FetchData, 1);
  data->uid = uid;
  data->section_name = g_strdup_printf ("BODY[%s]", section ? section : "");
  data->vanished = g_array_new (FALSE, FALSE, sizeof (KurirImapRange));
  data->func = body_func;
  data->func_data = data;
  g_task_set_task_data (task, data, (GDestroyNotify) fetch_data_free);

  if (section != NULL)
    for (const char *p = section; *p; p++)
      if (!g_ascii_isalnum (*p) && *p != '.' && *p != '-')
        {
          g_task_return_new_error (task, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_INVALID_ARGUMENT,
                                   "\"%s\" is not a body section", section);
          return;
        }

  uid_set = g_strdup_printf ("%u", uid);
  items = g_strdup_printf ("(UID BODY.PEEK[%s])", section ? section : "");
  start_fetch (self, task, uid_set, items, 0, FALSE, body_done);
}

GBytes *
kurir_imap_client_fetch_body_finish (KurirImapClient  *self,
                                     GAsyncResult     *result,
                                     GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* STORE */

void
kurir_imap_client_store_async (KurirImapClient      *self,
                               const guint32        *uids,
                               gsize                 n_uids,
                               KurirImapStoreAction  action,
                               const char * const   *flags,
                               guint64               unchangedsince,
                               GCancellable         *cancellable,
                               GAsyncReadyCallback   callback,
                               gpointer              user_data)
{
  static const char * const no_flags[] = { NULL };
  g_autoptr(GTask) task = NULL;
  KurirImapCommand *builder;

  g_return_if_fail (KURIR_IS_IMAP_CLIENT (self));
  g_return_if_fail (uids != NULL && n_uids > 0);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kurir_imap_client_store_async);

  builder = new_command (self, "UID STORE");
  kurir_imap_command_add_sequence_set (builder, uids, n_uids);
  if (unchangedsince > 0)
    {
      kurir_imap_command_open_list (builder);
      kurir_imap_command_add_atom (builder, "UNCHANGEDSINCE");
      kurir_imap_command_add_number (builder, unchangedsince);
      kurir_imap_command_close_list (builder);
    }
  kurir_imap_command_add_atom (builder,
                               action == KURIR_IMAP_STORE_ADD ? "+FLAGS.SILENT" :
                               action == KURIR_IMAP_STORE_REMOVE ? "-FLAGS.SILENT" :
                               "FLAGS.SILENT");
  kurir_imap_command_add_flag_list (builder, flags ? flags : no_flags);
  enqueue (self, builder, "UID STORE", 0, NULL, NULL, store_done, task);
}

GArray *
kurir_imap_client_store_finish (KurirImapClient  *self,
                                GAsyncResult     *result,
                                GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* COPY and MOVE */

static void
start_copy (KurirImapClient *self,
            GTask           *task,
            const char      *name,
            const guint32   *uids,
            gsize            n_uids,
            const char      *destination)
{
  KurirImapCommand *builder = new_command (self, name);

  set_owned (task, copy_result_new (), (GDestroyNotify) kurir_imap_copy_result_free);
  kurir_imap_command_add_sequence_set (builder, uids, n_uids);
  kurir_imap_command_add_mailbox (builder, destination);
  enqueue (self, builder, name, 0, copy_untagged, NULL, copy_done, task);
}

void
kurir_imap_client_copy_async (KurirImapClient     *self,
                              const guint32       *uids,
                              gsize                n_uids,
                              const char          *destination,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (KURIR_IS_IMAP_CLIENT (self));
  g_return_if_fail (uids != NULL && n_uids > 0);
  g_return_if_fail (destination != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kurir_imap_client_copy_async);
  start_copy (self, task, "UID COPY", uids, n_uids, destination);
}

KurirImapCopyResult *
kurir_imap_client_copy_finish (KurirImapClient  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
kurir_imap_client_move_async (KurirImapClient     *self,
                              const guint32       *uids,
                              gsize                n_uids,
                              const char          *destination,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  MoveData *data;

  g_return_if_fail (KURIR_IS_IMAP_CLIENT (self));
  g_return_if_fail (uids != NULL && n_uids > 0);
  g_return_if_fail (destination != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kurir_imap_client_move_async);

  if (has_cap (self, "MOVE"))
    {
      start_copy (self, task, "UID MOVE", uids, n_uids, destination);
      return;
    }

  if (!has_cap (self, "UIDPLUS"))
    {
      g_task_return_new_error (task, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_NOT_SUPPORTED,
                               "%s:%u can neither move messages (MOVE) nor expunge only "
                               "some of them (UIDPLUS); moving would remove other deleted "
                               "messages too, so it was not done",
                               host (self), port (self));
      return;
    }

  data = g_new0 (MoveData, 1);
  data->uids = g_array_sized_new (FALSE, FALSE, sizeof (guint32), n_uids);
  g_array_append_vals (data->uids, uids, n_uids);
  data->destination = g_strdup (destination);
  g_task_set_task_data (task, data, (GDestroyNotify) move_data_free);
  kurir_imap_client_copy_async (self, uids, n_uids, destination, cancellable,
                                move_copied_cb, g_steal_pointer (&task));
}

KurirImapCopyResult *
kurir_imap_client_move_finish (KurirImapClient  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* STATUS */

void
kurir_imap_client_status_async (KurirImapClient     *self,
                                const char          *mailbox,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  KurirImapCommand *builder;
  StatusData *data;

  g_return_if_fail (KURIR_IS_IMAP_CLIENT (self));
  g_return_if_fail (mailbox != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kurir_imap_client_status_async);
  data = g_new0 (StatusData, 1);
  data->mailbox = g_strdup (mailbox);
  g_task_set_task_data (task, data, (GDestroyNotify) status_data_free);

  builder = new_command (self, "STATUS");
  kurir_imap_command_add_mailbox (builder, mailbox);
  kurir_imap_command_add_raw (builder,
                              has_cap (self, "CONDSTORE") || is_enabled (self, "CONDSTORE")
                                ? "(MESSAGES UIDNEXT UIDVALIDITY UNSEEN HIGHESTMODSEQ)"
                                : "(MESSAGES UIDNEXT UIDVALIDITY UNSEEN)");
  enqueue (self, builder, "STATUS", 0, status_untagged, NULL, status_done, task);
}

KurirImapStatusData *
kurir_imap_client_status_finish (KurirImapClient  *self,
                                 GAsyncResult     *result,
                                 GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* EXPUNGE */

void
kurir_imap_client_expunge_async (KurirImapClient     *self,
                                 const guint32       *uids,
                                 gsize                n_uids,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  KurirImapCommand *builder;

  g_return_if_fail (KURIR_IS_IMAP_CLIENT (self));
  g_return_if_fail (uids != NULL && n_uids > 0);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kurir_imap_client_expunge_async);

  if (!has_cap (self, "UIDPLUS"))
    {
      g_task_return_new_error (task, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_NOT_SUPPORTED,
                               "%s:%u cannot expunge only some messages (no UIDPLUS)",
                               host (self), port (self));
      return;
    }
  builder = new_command (self, "UID EXPUNGE");
  kurir_imap_command_add_sequence_set (builder, uids, n_uids);
  enqueue (self, builder, "UID EXPUNGE", 0, NULL, NULL, done_boolean, task);
}

gboolean
kurir_imap_client_expunge_finish (KurirImapClient  *self,
                                  GAsyncResult     *result,
                                  GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* APPEND */

static char *
format_date_time (GDateTime *date)
{
  static const char * const months[] = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
  };
  gint64 offset = g_date_time_get_utc_offset (date) / G_TIME_SPAN_MINUTE;
  char sign = offset < 0 ? '-' : '+';

  if (offset < 0)
    offset = -offset;
  return g_strdup_printf ("%02d-%s-%04d %02d:%02d:%02d %c%02d%02d",
                          g_date_time_get_day_of_month (date),
                          months[g_date_time_get_month (date) - 1],
                          g_date_time_get_year (date),
                          g_date_time_get_hour (date),
                          g_date_time_get_minute (date),
                          g_date_time_get_second (date),
                          sign, (int) (offset / 60), (int) (offset % 60));
}

void
kurir_imap_client_append_async (KurirImapClient     *self,
                                const char          *mailbox,
                                const char * const  *flags,
                                GDateTime           *date,
                                GBytes              *message,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  KurirImapCommand *builder;

  g_return_if_fail (KURIR_IS_IMAP_CLIENT (self));
  g_return_if_fail (mailbox != NULL);
  g_return_if_fail (message != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kurir_imap_client_append_async);

  builder = new_command (self, "APPEND");
  kurir_imap_command_add_mailbox (builder, mailbox);
  if (flags != NULL && flags[0] != NULL)
    kurir_imap_command_add_flag_list (builder, flags);
  if (date != NULL)
    {
      g_autofree char *text = format_date_time (date);

      kurir_imap_command_add_string (builder, text);
    }
  kurir_imap_command_add_literal (builder, message, FALSE);
  enqueue (self, builder, "APPEND", 0, NULL, NULL, append_done, task);
}

KurirImapCopyResult *
kurir_imap_client_append_finish (KurirImapClient  *self,
                                 GAsyncResult     *result,
                                 GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Mailbox operations */

void
kurir_imap_client_mailbox_op_async (KurirImapClient     *self,
                                    KurirImapMailboxOp   op,
                                    const char          *mailbox,
                                    const char          *new_name,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  static const char * const names[] = {
    [KURIR_IMAP_MAILBOX_OP_CREATE] = "CREATE",
    [KURIR_IMAP_MAILBOX_OP_DELETE] = "DELETE",
    [KURIR_IMAP_MAILBOX_OP_RENAME] = "RENAME",
    [KURIR_IMAP_MAILBOX_OP_SUBSCRIBE] = "SUBSCRIBE",
    [KURIR_IMAP_MAILBOX_OP_UNSUBSCRIBE] = "UNSUBSCRIBE",
  };
  g_autoptr(GTask) task = NULL;
  KurirImapCommand *builder;

  g_return_if_fail (KURIR_IS_IMAP_CLIENT (self));
  g_return_if_fail ((guint) op < G_N_ELEMENTS (names));
  g_return_if_fail (mailbox != NULL);
  g_return_if_fail (op != KURIR_IMAP_MAILBOX_OP_RENAME || new_name != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kurir_imap_client_mailbox_op_async);

  builder = new_command (self, names[op]);
  kurir_imap_command_add_mailbox (builder, mailbox);
  if (op == KURIR_IMAP_MAILBOX_OP_RENAME)
    kurir_imap_command_add_mailbox (builder, new_name);
  enqueue (self, builder, names[op], 0, NULL, NULL, done_boolean, task);
}

gboolean
kurir_imap_client_mailbox_op_finish (KurirImapClient  *self,
                                     GAsyncResult     *result,
                                     GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* NOOP and LOGOUT */

void
kurir_imap_client_noop_async (KurirImapClient     *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (KURIR_IS_IMAP_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kurir_imap_client_noop_async);
  enqueue (self, new_command (self, "NOOP"), "NOOP", 0, NULL, NULL, done_boolean, task);
}

gboolean
kurir_imap_client_noop_finish (KurirImapClient  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
kurir_imap_client_logout_async (KurirImapClient     *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (KURIR_IS_IMAP_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kurir_imap_client_logout_async);
  if (self->fatal != NULL)
    {
      /* Already over: nothing to log out of. */
      g_task_return_boolean (task, TRUE);
      return;
    }
  self->logging_out = TRUE;
  enqueue (self, new_command (self, "LOGOUT"), "LOGOUT", EXCLUSIVE, NULL, NULL,
           logout_done, task);
}

gboolean
kurir_imap_client_logout_finish (KurirImapClient  *self,
                                 GAsyncResult     *result,
                                 GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* IDLE */

void
kurir_imap_client_idle_async (KurirImapClient     *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (KURIR_IS_IMAP_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kurir_imap_client_idle_async);

  if (self->fatal != NULL)
    {
      g_task_return_error (task, g_error_copy (self->fatal));
      return;
    }
  if (self->idle_task != NULL)
    {
      g_task_return_new_error (task, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_INVALID_ARGUMENT,
                               "The session is waiting for changes already");
      return;
    }

  self->idle_task = g_steal_pointer (&task);
  self->idle_stop_requested = FALSE;
  if (cancellable != NULL)
    self->idle_cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (idle_cancelled_cb),
                                                  self, NULL);
  idle_cycle (self);
}

gboolean
kurir_imap_client_idle_finish (KurirImapClient  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
kurir_imap_client_idle_stop (KurirImapClient *self)
{
  g_return_if_fail (KURIR_IS_IMAP_CLIENT (self));

  if (self->idle_task == NULL)
    return;
  self->idle_stop_requested = TRUE;
  if (self->idle_cmd != NULL)
    {
      if (self->idling)
        send_done (self);
      /* else: DONE goes out when the server's "+" comes */
      return;
    }
  if (self->idle_timer != NULL)
    {
      /* Polling, between two NOOPs. */
      idle_complete (self, NULL);
    }
  /* else a NOOP is in flight: poll_done ends it via idle_cycle */
}

/* QUOTA (RFC 9208): GETQUOTAROOT of one mailbox, with the untagged
 * QUOTAROOT naming its roots and one QUOTA per root with its resources. */

#define MAX_QUOTA_ROOTS 64

typedef struct
{
  char      *mailbox;
  GPtrArray *roots;     /* KurirImapQuota, in the order QUOTAROOT named them */
  gboolean   named;     /* QUOTAROOT came */
  GError    *broken;    /* the first unreadable QUOTA/QUOTAROOT */
} QuotaData;

void
kurir_imap_quota_free (KurirImapQuota *quota)
{
  if (quota == NULL)
    return;
  g_free (quota->root);
  g_free (quota);
}

static void
quota_data_free (QuotaData *data)
{
  g_free (data->mailbox);
  g_ptr_array_unref (data->roots);
  g_clear_error (&data->broken);
  g_free (data);
}

static KurirImapQuota *
quota_root (QuotaData  *data,
            const char *root,
            gboolean    add)
{
  KurirImapQuota *quota;

  for (guint i = 0; i < data->roots->len; i++)
    {
      quota = g_ptr_array_index (data->roots, i);
      if (g_str_equal (quota->root, root))
        return quota;
    }
  if (!add || data->roots->len >= MAX_QUOTA_ROOTS)
    return NULL;
  quota = g_new0 (KurirImapQuota, 1);
  quota->root = g_strdup (root);
  quota->storage_used = quota->storage_limit = -1;
  quota->messages_used = quota->messages_limit = -1;
  g_ptr_array_add (data->roots, quota);
  return quota;
}

/* "* QUOTA root (NAME usage limit ...)": FALSE when it does not read so. */
static gboolean
parse_quota (QuotaData            *data,
             const KurirImapValue *values)
{
  const KurirImapValue *list;
  const char *root;
  KurirImapQuota *quota;
  guint n;

  if (kurir_imap_value_get_n_children (values) != 2)
    return FALSE;
  root = kurir_imap_value_get_string (kurir_imap_value_get_child (values, 0));
  list = kurir_imap_value_get_child (values, 1);
  if (root == NULL || kurir_imap_value_get_kind (list) != KURIR_IMAP_VALUE_LIST)
    return FALSE;
  n = kurir_imap_value_get_n_children (list);
  if (n % 3 != 0)
    return FALSE;

  /* A root QUOTAROOT did not name (another mailbox's, or unsolicited)
   * is still the server's word on it: kept when there is room. */
  quota = quota_root (data, root, TRUE);
  for (guint i = 0; i < n; i += 3)
    {
      const KurirImapValue *name = kurir_imap_value_get_child (list, i);
      guint64 usage, limit;

      if (kurir_imap_value_get_kind (name) != KURIR_IMAP_VALUE_ATOM ||
          !kurir_imap_value_get_number (kurir_imap_value_get_child (list, i + 1), &usage) ||
          !kurir_imap_value_get_number (kurir_imap_value_get_child (list, i + 2), &limit) ||
          usage > G_MAXINT64 || limit > G_MAXINT64)
        return FALSE;
      if (quota == NULL)
        continue;
      /* STORAGE is in units of 1024 octets (RFC 9208 section 5.1). */
      if (kurir_imap_value_is_atom (name, "STORAGE"))
        {
          quota->storage_used = (gint64) usage;
          quota->storage_limit = (gint64) limit;
        }
      else if (kurir_imap_value_is_atom (name, "MESSAGE"))
        {
          quota->messages_used = (gint64) usage;
          quota->messages_limit = (gint64) limit;
        }
    }
  return TRUE;
}

/* "* QUOTAROOT mailbox root...": FALSE when it does not read so. */
static gboolean
parse_quotaroot (QuotaData            *data,
                 const KurirImapValue *values)
{
  guint n = kurir_imap_value_get_n_children (values);

  if (n < 1 || kurir_imap_value_get_string (kurir_imap_value_get_child (values, 0)) == NULL)
    return FALSE;
  for (guint i = 1; i < n; i++)
    {
      const char *root = kurir_imap_value_get_string (kurir_imap_value_get_child (values, i));

      if (root == NULL)
        return FALSE;
      quota_root (data, root, TRUE);
    }
  data->named = TRUE;
  return TRUE;
}

static gboolean
quota_untagged (KurirImapClient   *self,
                Command           *cmd,
                KurirImapResponse *response)
{
  QuotaData *data = g_task_get_task_data (cmd->task);
  const char *name = kurir_imap_response_get_name (response);
  const KurirImapValue *values = kurir_imap_response_get_data (response);
  gboolean read;

  if (g_strcmp0 (name, "QUOTA") == 0)
    read = values != NULL && parse_quota (data, values);
  else if (g_strcmp0 (name, "QUOTAROOT") == 0)
    read = values != NULL && parse_quotaroot (data, values);
  else
    return FALSE;

  if (!read && data->broken == NULL)
    {
      g_autofree char *text = values ? kurir_imap_value_to_string (values) : g_strdup ("");

      data->broken = g_error_new (KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_PROTOCOL,
                                  "%s:%u sent a %s response that does not read as RFC 9208 says: %.200s",
                                  host (self), port (self), name, text);
    }
  return TRUE;
}

static void
quota_done (KurirImapClient   *self,
            Command           *cmd,
            KurirImapResponse *tagged,
            const GError      *error)
{
  QuotaData *data = g_task_get_task_data (cmd->task);

  if (command_failed (self, cmd, tagged, error))
    return;
  if (data->broken != NULL)
    {
      g_task_return_error (cmd->task, g_steal_pointer (&data->broken));
      return;
    }
  g_task_return_pointer (cmd->task, g_ptr_array_ref (data->roots),
                         (GDestroyNotify) g_ptr_array_unref);
}

/**
 * kurir_imap_client_get_quota_root_async:
 * @mailbox: "INBOX" for the account's main quota
 *
 * GETQUOTAROOT (RFC 9208). Fails with KURIR_IMAP_ERROR_NOT_SUPPORTED when
 * the server does not advertise QUOTA.
 */
void
kurir_imap_client_get_quota_root_async (KurirImapClient     *self,
                                        const char          *mailbox,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  KurirImapCommand *builder;
  QuotaData *data;

  g_return_if_fail (KURIR_IS_IMAP_CLIENT (self));
  g_return_if_fail (mailbox != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kurir_imap_client_get_quota_root_async);
  data = g_new0 (QuotaData, 1);
  data->mailbox = g_strdup (mailbox);
  data->roots = g_ptr_array_new_with_free_func ((GDestroyNotify) kurir_imap_quota_free);
  g_task_set_task_data (task, data, (GDestroyNotify) quota_data_free);

  if (!has_cap (self, "QUOTA"))
    {
      g_task_return_new_error (task, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_NOT_SUPPORTED,
                               "%s:%u does not report quotas (no QUOTA capability)",
                               host (self), port (self));
      return;
    }

  builder = new_command (self, "GETQUOTAROOT");
  kurir_imap_command_add_mailbox (builder, mailbox);
  enqueue (self, builder, "GETQUOTAROOT", 0, quota_untagged, NULL, quota_done, task);
}

/**
 * kurir_imap_client_get_quota_root_finish:
 *
 * Returns: (transfer container) (element-type KurirImapQuota): the quota
 *   roots of the mailbox with what each holds and allows; empty when the
 *   mailbox has no quota
 */
GPtrArray *
kurir_imap_client_get_quota_root_finish (KurirImapClient  *self,
                                         GAsyncResult     *result,
                                         GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
