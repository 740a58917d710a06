/* kurir-pop3-client.c: a POP3 client over a KurirConnection
 *
 * RFC 1939 (POP3), 2449 (CAPA, PIPELINING, response codes), 2595 (STLS),
 * 3206 ([AUTH], [SYS/TEMP], [SYS/PERM]), 5034 (AUTH with SASL).
 *
 * Operations queue: a caller may start several; they run one after the
 * other, each one command at a time, except retrieve_many, which keeps a
 * window of RETR commands in flight when the server advertises PIPELINING.
 *
 * Any error that leaves the session in doubt (I/O, timeout, a reply that
 * breaks the protocol or the size limits, a cancellation in mid-command)
 * closes the connection without QUIT: the server then applies no DELE, so
 * nothing is lost. Errors that are the server's considered answer (-ERR to
 * a command) leave the session usable.
 *
 * Messages come back as the server sent them: dot-unstuffed, with CRLF
 * line ends (a broken server's bare LF becomes CRLF too), without the
 * terminating ".".
 *
 * Reading: replies are split into lines here, from the chunks that
 * kurir_connection_read_chunk_async() gives (whatever is buffered, a TLS
 * record or more), not with kurir_connection_read_line_async(): that costs
 * a main loop iteration per line, which made a bulk RETR three times
 * slower than a raw client. So the bounds are enforced here: a status line
 * is at most KURIR_POP3_MAX_STATUS_LINE bytes (RFC 1939 says 512), a
 * multi-line reply (and so any line of it) at most the message size limit.
 * Bytes read with the STLS go-ahead are never parsed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-pop3"

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kurir-net-error.h"
#include "kurir-net-util.h"
#include "kurir-pop3-client.h"
#include "kurir-sasl.h"

#define SASL_IR_MAX_LINE 255   /* RFC 5034: an AUTH line with its initial response */
#define SERVER_TEXT_MAX  200   /* how much of a server's -ERR text goes into a message */
#define UID_MAX_LENGTH   512   /* RFC 1939 says 70; be lenient, but bounded */
#define READ_CHUNK_SIZE  (256 * 1024)

typedef enum {
  STATE_NEW,
  STATE_AUTHORIZATION,
  STATE_TRANSACTION,
  STATE_CLOSED,
} State;

struct _KurirPop3Client
{
  GObject          parent_instance;

  KurirConnection *connection;
  gboolean         allow_plaintext;
  char            *forced_mechanism;
  gsize            max_message_size;
  guint            window;

  State            state;
  char            *greeting;
  char            *apop_timestamp;
  gboolean         capa_supported;
  GHashTable      *capabilities;     /* upper-case name -> arguments ("" when none) */
  char           **sasl_mechanisms;
  char            *auth_mechanism;

  GBytes          *chunk;            /* read from the connection, not yet consumed */
  gsize            chunk_offset;
  GByteArray      *partial;          /* the start of a line cut between two chunks */
  gboolean         wire_log;

  GQueue           queue;            /* GTask: operations waiting */
  GTask           *current;          /* the operation running */
};

G_DEFINE_TYPE (KurirPop3Client, kurir_pop3_client, G_TYPE_OBJECT)

G_DEFINE_QUARK (kurir-pop3-error-quark, kurir_pop3_error)

/* A reply: its status line, and for multi-line replies the data. */
typedef struct
{
  gboolean    ok;
  gboolean    continuation;   /* "+ ..." during AUTH */
  char       *text;           /* after "+OK " / "-ERR " / "+ " */
  GByteArray *body;
} Reply;

typedef enum {
  REPLY_STATUS,
  REPLY_MULTILINE,   /* a multi-line reply follows +OK */
  REPLY_SASL,        /* "+ challenge" is allowed as well */
} ReplyKind;

typedef struct
{
  ReplyKind kind;
  Reply    *reply;
  char     *line;          /* the command, for error messages (never a credential) */
} CommandData;

typedef struct _OpData OpData;
typedef void (*OpRunFunc) (GTask *task);

typedef struct
{
  guint                *numbers;
  guint                 n_numbers;
  guint                 next_send;
  guint                 next_receive;
  gboolean              top;          /* TOP n 0 rather than RETR n */
  gboolean              writing;
  gboolean              reading;
  GError               *stop_error;
  KurirPop3MessageFunc  func;
  gpointer              func_data;
  GDestroyNotify        func_data_destroy;
} Pipeline;

struct _OpData
{
  OpRunFunc   run;
  GSource    *queued_cancel;      /* while queued: ends the operation on cancel */
  guint       number;
  guint       lines;
  char       *username;
  char       *password;
  gsize       password_length;
  KurirSasl  *sasl;
  char       *pending_response;   /* SASL initial response not sent with AUTH */
  Pipeline   *pipeline;
  GArray     *uids;
  gboolean    from_headers;
  guint       count;
  guint64     size;
};

/* Helpers: replies and errors */

static void
reply_free (Reply *reply)
{
  if (reply == NULL)
    return;
  g_free (reply->text);
  if (reply->body != NULL)
    g_byte_array_unref (reply->body);
  g_free (reply);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Reply, reply_free)

static void
command_data_free (CommandData *data)
{
  reply_free (data->reply);
  g_free (data->line);
  g_free (data);
}


static void
pipeline_free (Pipeline *pipeline)
{
  if (pipeline == NULL)
    return;
  g_free (pipeline->numbers);
  g_clear_error (&pipeline->stop_error);
  if (pipeline->func_data_destroy != NULL)
    pipeline->func_data_destroy (pipeline->func_data);
  g_free (pipeline);
}

static void
op_data_free (OpData *op)
{
  if (op->queued_cancel != NULL)
    {
      g_source_destroy (op->queued_cancel);
      g_source_unref (op->queued_cancel);
    }
  g_free (op->username);
  if (op->password != NULL)
    {
      explicit_bzero (op->password, op->password_length);
      g_free (op->password);
    }
  g_clear_object (&op->sasl);
  kurir_net_wipe_string (&op->pending_response);
  pipeline_free (op->pipeline);
  g_clear_pointer (&op->uids, g_array_unref);
  g_free (op);
}

static void
uid_entry_clear (gpointer data)
{
  KurirPop3UidEntry *entry = data;

  g_free (entry->uid);
}

static const char *
server_name (KurirPop3Client *self)
{
  return kurir_connection_get_host (self->connection);
}


/* The response code of an -ERR (RFC 2449): "[CODE] text". */
static char *
response_code (const char *text)
{
  const char *end;

  if (text == NULL || text[0] != '[')
    return NULL;
  end = strchr (text, ']');
  if (end == NULL || end - text > 64)
    return NULL;
  return g_ascii_strup (text + 1, end - text - 1);
}

/* An -ERR as an error; @default_code when it carries no code we know. */
static GError *
error_from_reply (KurirPop3Client *self,
                  Reply           *reply,
                  KurirPop3Error   default_code,
                  const char      *what)
{
  g_autofree char *code = response_code (reply->text);
  g_autofree char *text = kurir_net_server_text (reply->text, SERVER_TEXT_MAX);
  const char *server = server_name (self);

  if (g_strcmp0 (code, "IN-USE") == 0)
    return g_error_new (KURIR_POP3_ERROR, KURIR_POP3_ERROR_IN_USE,
                        "The mailbox on %s is in use by another mail program; "
                        "try again later, when it has finished (%s)", server, text);
  if (g_strcmp0 (code, "LOGIN-DELAY") == 0)
    return g_error_new (KURIR_POP3_ERROR, KURIR_POP3_ERROR_LOGIN_DELAY,
                        "%s does not allow logging in this often; "
                        "try again later (%s)", server, text);
  if (g_strcmp0 (code, "SYS/TEMP") == 0)
    return g_error_new (KURIR_POP3_ERROR, KURIR_POP3_ERROR_TEMPORARY,
                        "%s has a temporary problem; try again later (%s)", server, text);
  if (g_strcmp0 (code, "SYS/PERM") == 0)
    return g_error_new (KURIR_POP3_ERROR, KURIR_POP3_ERROR_PERMANENT,
                        "%s refused %s for a reason that trying again will not fix; "
                        "contact the provider (%s)", server, what, text);
  if (g_strcmp0 (code, "AUTH") == 0 || default_code == KURIR_POP3_ERROR_AUTH_FAILED)
    return g_error_new (KURIR_POP3_ERROR, KURIR_POP3_ERROR_AUTH_FAILED,
                        "%s did not accept the user name or password (%s)", server, text);

  return g_error_new (KURIR_POP3_ERROR, default_code,
                      "%s refused %s (%s)", server, what, text);
}

static GError *
protocol_error (KurirPop3Client *self,
                const char      *what,
                const char      *line)
{
  g_autofree char *shown = kurir_net_server_text (line, SERVER_TEXT_MAX);

  return g_error_new (KURIR_POP3_ERROR, KURIR_POP3_ERROR_PROTOCOL,
                      "%s broke the POP3 protocol: %s (\"%s\"); "
                      "the connection was closed", server_name (self), what, shown);
}

/* Whether the session is still in a known state after @error. */
static gboolean
error_keeps_session (const GError *error)
{
  if (error->domain != KURIR_POP3_ERROR)
    return FALSE;
  switch ((KurirPop3Error) error->code)
    {
    case KURIR_POP3_ERROR_PROTOCOL:
    case KURIR_POP3_ERROR_TOO_LARGE:
      return FALSE;
    default:
      return TRUE;
    }
}

static void drop_unread_bytes (KurirPop3Client *self);

static void
close_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  kurir_connection_close_finish (KURIR_CONNECTION (source), result, NULL);
}

/* Drops the connection without QUIT: the server applies no DELE. */
static void
drop_connection (KurirPop3Client *self)
{
  if (self->state == STATE_CLOSED)
    return;
  self->state = STATE_CLOSED;
  drop_unread_bytes (self);
  kurir_connection_close_async (self->connection, NULL, close_cb, NULL);
}

static gboolean
parse_uint (const char *str,
            const char **out_end,
            guint64     *out_value)
{
  char *end = NULL;
  guint64 value;

  if (!g_ascii_isdigit (*str))
    return FALSE;
  errno = 0;
  value = g_ascii_strtoull (str, &end, 10);
  if (errno != 0 || end == str)
    return FALSE;
  *out_value = value;
  *out_end = end;
  return TRUE;
}

/* Helpers: the operation queue */

static void run_next (KurirPop3Client *self);

static GTask *
op_new (KurirPop3Client     *self,
        OpRunFunc            run,
        gpointer             source_tag,
        GCancellable        *cancellable,
        GAsyncReadyCallback  callback,
        gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  OpData *op = g_new0 (OpData, 1);

  op->run = run;
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, op, (GDestroyNotify) op_data_free);
  return task;
}

/* A queued operation that is cancelled ends at once: nothing was sent for
 * it, so the session is fine. */
static gboolean
queued_cancelled_cb (GCancellable *cancellable,
                     gpointer      user_data)
{
  GTask *task = user_data;
  KurirPop3Client *self = g_task_get_source_object (task);
  OpData *op = g_task_get_task_data (task);

  g_clear_pointer (&op->queued_cancel, g_source_unref);
  if (g_queue_remove (&self->queue, task))
    {
      g_task_return_error_if_cancelled (task);
      g_object_unref (task);
    }
  return G_SOURCE_REMOVE;
}

static void
op_start (KurirPop3Client *self,
          GTask           *task)
{
  GCancellable *cancellable = g_task_get_cancellable (task);

  g_queue_push_tail (&self->queue, task);
  if (self->current != NULL && cancellable != NULL)
    {
      OpData *op = g_task_get_task_data (task);

      op->queued_cancel = g_cancellable_source_new (cancellable);
      g_task_attach_source (task, op->queued_cancel, G_SOURCE_FUNC (queued_cancelled_cb));
    }
  run_next (self);
}

static void
op_finished (KurirPop3Client *self,
             GTask           *task)
{
  g_assert (self->current == task);
  self->current = NULL;
}

static void
op_return_boolean (GTask *task)
{
  KurirPop3Client *self = g_task_get_source_object (task);

  op_finished (self, task);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
  run_next (self);
}

static void
op_return_pointer (GTask          *task,
                   gpointer        result,
                   GDestroyNotify  destroy)
{
  KurirPop3Client *self = g_task_get_source_object (task);

  op_finished (self, task);
  g_task_return_pointer (task, result, destroy);
  g_object_unref (task);
  run_next (self);
}

/* @keep_session: the error is not the session's (e.g. the caller's own,
 * after the replies in flight were read): keep it whatever the error. */
static void
op_return_error_full (GTask    *task,
                      GError   *error,
                      gboolean  keep_session)
{
  KurirPop3Client *self = g_task_get_source_object (task);

  if (!keep_session && !error_keeps_session (error))
    drop_connection (self);
  op_finished (self, task);
  g_task_return_error (task, error);
  g_object_unref (task);
  run_next (self);
}

static void
op_return_error (GTask  *task,
                 GError *error)
{
  op_return_error_full (task, error, FALSE);
}

static void
run_next (KurirPop3Client *self)
{
  while (self->current == NULL && !g_queue_is_empty (&self->queue))
    {
      GTask *task = g_queue_pop_head (&self->queue);
      OpData *op = g_task_get_task_data (task);
      GError *error = NULL;

      self->current = task;
      if (op->queued_cancel != NULL)
        {
          g_source_destroy (op->queued_cancel);
          g_clear_pointer (&op->queued_cancel, g_source_unref);
        }

      /* Cancelled while waiting: no byte was sent, the session is fine. */
      if (g_cancellable_set_error_if_cancelled (g_task_get_cancellable (task), &error))
        {
          self->current = NULL;
          g_task_return_error (task, error);
          g_object_unref (task);
          continue;
        }

      op->run (task);
    }
}

static gboolean
check_state (GTask *task,
             State  state)
{
  KurirPop3Client *self = g_task_get_source_object (task);

  if (self->state == state)
    return TRUE;

  if (self->state == STATE_CLOSED || self->state == STATE_NEW)
    op_return_error (task, g_error_new (KURIR_NET_ERROR, KURIR_NET_ERROR_CLOSED,
                                        "Not connected to %s", server_name (self)));
  else
    op_return_error (task, g_error_new (KURIR_POP3_ERROR, KURIR_POP3_ERROR_NOT_SUPPORTED,
                                        state == STATE_TRANSACTION ?
                                        "Not logged in to %s" : "Already logged in to %s",
                                        server_name (self)));
  return FALSE;
}

/* Helpers: reading replies */

static void read_next_chunk (GTask *task);

static GError *
too_large_error (KurirPop3Client *self,
                 CommandData     *data)
{
  return g_error_new (KURIR_POP3_ERROR, KURIR_POP3_ERROR_TOO_LARGE,
                      "The reply of %s to %s is larger than the limit of "
                      "%" G_GSIZE_FORMAT " bytes; the connection was closed",
                      server_name (self), data->line, self->max_message_size);
}

/* Handles one line of a reply (without its line end; not NUL-terminated):
 * the status line, or a line of a multi-line reply. Returns: whether the
 * reply is complete (the task has returned), else more lines are wanted. */
static gboolean
take_line (GTask      *task,
           const char *line,
           gsize       length)
{
  KurirPop3Client *self = g_task_get_source_object (task);
  CommandData *data = g_task_get_task_data (task);
  Reply *reply = data->reply;
  g_autofree char *status = NULL;

  if (reply != NULL)
    {
      GByteArray *body = reply->body;

      if (length > 0 && line[0] == '.')
        {
          if (length == 1)
            {
              g_task_return_pointer (task, g_steal_pointer (&data->reply),
                                     (GDestroyNotify) reply_free);
              g_object_unref (task);
              return TRUE;
            }
          /* Dot-stuffed (RFC 1939 section 3). */
          line++;
          length--;
        }

      if (body->len + length + 2 > self->max_message_size)
        {
          g_task_return_error (task, too_large_error (self, data));
          g_object_unref (task);
          return TRUE;
        }

      g_byte_array_append (body, (const guint8 *) line, length);
      g_byte_array_append (body, (const guint8 *) "\r\n", 2);
      return FALSE;
    }

  status = g_strndup (line, length);
  if (self->wire_log)
    {
      /* The connection logs what it reads in chunks; this names the reply. */
      g_autofree char *shown = kurir_net_server_text (status, SERVER_TEXT_MAX);
      g_debug ("%s reply: %s", data->line ? data->line : "greeting", shown);
    }

  reply = data->reply = g_new0 (Reply, 1);
  if (g_str_has_prefix (status, "+OK") && (status[3] == '\0' || status[3] == ' '))
    {
      reply->ok = TRUE;
      reply->text = g_strdup (status[3] == ' ' ? status + 4 : "");
    }
  else if (g_str_has_prefix (status, "-ERR") && (status[4] == '\0' || status[4] == ' '))
    {
      reply->text = g_strdup (status[4] == ' ' ? status + 5 : "");
    }
  else if (data->kind == REPLY_SASL && status[0] == '+' && (status[1] == '\0' || status[1] == ' '))
    {
      reply->continuation = TRUE;
      reply->text = g_strdup (status[1] == ' ' ? status + 2 : "");
    }
  else
    {
      g_autofree char *what = g_strdup_printf ("the reply to %s is not +OK or -ERR",
                                               data->line ? data->line : "the connection");
      g_task_return_error (task, protocol_error (self, what, status));
      g_object_unref (task);
      return TRUE;
    }

  if (data->kind == REPLY_MULTILINE && reply->ok)
    {
      reply->body = g_byte_array_new ();
      return FALSE;
    }

  g_task_return_pointer (task, g_steal_pointer (&data->reply), (GDestroyNotify) reply_free);
  g_object_unref (task);
  return TRUE;
}

/* The longest line the reply being read may still have. */
static gsize
line_limit (GTask *task)
{
  KurirPop3Client *self = g_task_get_source_object (task);
  CommandData *data = g_task_get_task_data (task);

  if (data->reply != NULL && data->reply->body != NULL)
    return self->max_message_size - MIN (data->reply->body->len, self->max_message_size);
  return KURIR_POP3_MAX_STATUS_LINE;
}

static void
fail_line_too_long (GTask *task)
{
  KurirPop3Client *self = g_task_get_source_object (task);
  CommandData *data = g_task_get_task_data (task);

  if (data->reply != NULL && data->reply->body != NULL)
    g_task_return_error (task, too_large_error (self, data));
  else
    g_task_return_new_error (task, KURIR_POP3_ERROR, KURIR_POP3_ERROR_PROTOCOL,
                             "%s sent a line longer than %d bytes where a POP3 reply "
                             "was expected; the connection was closed",
                             server_name (self), KURIR_POP3_MAX_STATUS_LINE);
  g_object_unref (task);
}

/* Splits what the connection gave into lines and hands them to the reply
 * being read: whole lines straight from the chunk, a line cut between two
 * chunks through self->partial. Returns: whether the reply is complete. */
static gboolean
take_buffered_lines (GTask *task)
{
  KurirPop3Client *self = g_task_get_source_object (task);

  while (self->chunk != NULL)
    {
      gsize size;
      const char *data = g_bytes_get_data (self->chunk, &size);
      const char *start = data + self->chunk_offset;
      const char *end = data + size;
      const char *newline = memchr (start, '\n', end - start);
      g_autoptr(GBytes) hold = NULL;
      g_autoptr(GByteArray) joined = NULL;
      const char *line;
      gsize length;

      if (newline == NULL)
        {
          /* Keep the start of the line for the next chunk. */
          if (self->partial->len + (gsize) (end - start) > line_limit (task) + 2)
            {
              fail_line_too_long (task);
              return TRUE;
            }
          g_byte_array_append (self->partial, (const guint8 *) start, end - start);
          g_clear_pointer (&self->chunk, g_bytes_unref);
          self->chunk_offset = 0;
          return FALSE;
        }

      /* Everything about the stream is settled before the line is handed
       * on: its reply may complete, and the next one start reading, in
       * there. */
      hold = g_bytes_ref (self->chunk);
      self->chunk_offset = newline + 1 - data;
      if (self->chunk_offset == size)
        {
          g_clear_pointer (&self->chunk, g_bytes_unref);
          self->chunk_offset = 0;
        }
      if (self->partial->len > 0)
        {
          joined = g_steal_pointer (&self->partial);
          self->partial = g_byte_array_new ();
          g_byte_array_append (joined, (const guint8 *) start, newline - start);
          line = (const char *) joined->data;
          length = joined->len;
        }
      else
        {
          line = start;
          length = newline - start;
        }
      if (length > 0 && line[length - 1] == '\r')
        length--;

      if (length > line_limit (task))
        {
          fail_line_too_long (task);
          return TRUE;
        }
      if (take_line (task, line, length))
        return TRUE;
    }
  return FALSE;
}

static void
chunk_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  GTask *task = user_data;
  KurirPop3Client *self = g_task_get_source_object (task);
  GError *error = NULL;

  g_assert (self->chunk == NULL);
  self->chunk = kurir_connection_read_chunk_finish (KURIR_CONNECTION (source), result, &error);
  self->chunk_offset = 0;
  if (self->chunk == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  read_next_chunk (task);
}

/* Reads until the reply is complete: first what is already here, then one
 * chunk of what the connection has (a TLS record or more) at a time, so a
 * bulk RETR costs one main loop iteration per chunk, not one per line. */
static void
read_next_chunk (GTask *task)
{
  KurirPop3Client *self = g_task_get_source_object (task);

  if (take_buffered_lines (task))
    return;
  kurir_connection_read_chunk_async (self->connection, READ_CHUNK_SIZE,
                                     g_task_get_cancellable (task), chunk_cb, task);
}

static void
read_status_line (GTask *task)
{
  read_next_chunk (task);
}

/* Whether bytes were read that no reply has consumed yet. */
static gboolean
has_unread_bytes (KurirPop3Client *self)
{
  return self->chunk != NULL || self->partial->len > 0;
}

static void
drop_unread_bytes (KurirPop3Client *self)
{
  g_clear_pointer (&self->chunk, g_bytes_unref);
  self->chunk_offset = 0;
  g_byte_array_set_size (self->partial, 0);
}

static void
command_write_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;

  if (!kurir_connection_write_finish (KURIR_CONNECTION (source), result, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  read_status_line (task);
}

/* Sends @line (unless %NULL) and reads the reply. @shown names the command
 * in messages (a credential must never be in it). */
static void
command_async (KurirPop3Client     *self,
               const char          *line,
               const char          *shown,
               KurirWriteFlags      flags,
               ReplyKind            kind,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  CommandData *data = g_new0 (CommandData, 1);

  data->kind = kind;
  data->line = g_strdup (shown != NULL ? shown : line);
  g_task_set_task_data (task, data, (GDestroyNotify) command_data_free);

  if (line == NULL)
    {
      read_status_line (task);
      return;
    }

  {
    gsize length = strlen (line);
    g_autofree char *wire = g_malloc (length + 3);

    memcpy (wire, line, length);
    memcpy (wire + length, "\r\n", 3);
    kurir_connection_write_async (self->connection, wire, length + 2, flags, cancellable,
                                  command_write_cb, task);
    if (flags & KURIR_WRITE_SENSITIVE)
      explicit_bzero (wire, length + 2);
  }
}

static Reply *
command_finish (KurirPop3Client  *self,
                GAsyncResult     *result,
                GError          **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Helpers: capabilities */

static void
parse_capabilities (KurirPop3Client *self,
                    Reply           *reply)
{
  g_auto(GStrv) lines = NULL;
  g_autofree char *text = NULL;

  g_hash_table_remove_all (self->capabilities);
  g_clear_pointer (&self->sasl_mechanisms, g_strfreev);

  /* An empty list ("+OK" then "."): the array holds no data at all. */
  text = reply->body->len > 0 ? g_strndup ((const char *) reply->body->data, reply->body->len)
                              : g_strdup ("");
  lines = g_strsplit (text, "\r\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autofree char *name = NULL;
      const char *space;
      const char *args;

      if (lines[i][0] == '\0')
        continue;
      space = strchr (lines[i], ' ');
      name = g_ascii_strup (lines[i], space ? space - lines[i] : -1);
      args = space ? space + 1 : "";
      g_hash_table_replace (self->capabilities, g_strdup (name), g_strdup (args));
      if (strcmp (name, "SASL") == 0)
        {
          g_clear_pointer (&self->sasl_mechanisms, g_strfreev);
          self->sasl_mechanisms = g_strsplit_set (args, " ", -1);
        }
    }
}

static void
extract_apop_timestamp (KurirPop3Client *self,
                        const char      *text)
{
  const char *start = strchr (text, '<');
  const char *end = start ? strchr (start, '>') : NULL;

  g_clear_pointer (&self->apop_timestamp, g_free);
  if (start == NULL || end == NULL)
    return;
  /* RFC 1939: a msg-id, so with an '@'. */
  if (memchr (start, '@', end - start) == NULL)
    return;
  for (const char *p = start; p <= end; p++)
    if ((guchar) *p <= 0x20 || (guchar) *p >= 0x7f)
      return;
  self->apop_timestamp = g_strndup (start, end - start + 1);
}

/* Operation: connect */

static void connect_capa (GTask *task);

static void
connect_capa_after_tls_cb (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  GTask *task = user_data;
  KurirPop3Client *self = g_task_get_source_object (task);
  g_autoptr(Reply) reply = NULL;
  GError *error = NULL;

  reply = command_finish (self, result, &error);
  if (reply == NULL)
    {
      op_return_error (task, error);
      return;
    }

  self->capa_supported = reply->ok;
  if (reply->ok)
    parse_capabilities (self, reply);
  self->state = STATE_AUTHORIZATION;
  op_return_boolean (task);
}

static void
connect_starttls_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  GTask *task = user_data;
  KurirPop3Client *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (!kurir_connection_starttls_finish (self->connection, result, &error))
    {
      op_return_error (task, error);
      return;
    }

  /* Nothing learnt before TLS counts: ask again. */
  g_hash_table_remove_all (self->capabilities);
  g_clear_pointer (&self->sasl_mechanisms, g_strfreev);
  self->capa_supported = FALSE;
  command_async (self, "CAPA", NULL, KURIR_WRITE_NONE, REPLY_MULTILINE,
                 g_task_get_cancellable (task), connect_capa_after_tls_cb, task);
}

static void
connect_stls_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GTask *task = user_data;
  KurirPop3Client *self = g_task_get_source_object (task);
  g_autoptr(Reply) reply = NULL;
  GError *error = NULL;

  reply = command_finish (self, result, &error);
  if (reply == NULL)
    {
      op_return_error (task, error);
      return;
    }
  if (!reply->ok)
    {
      g_autofree char *text = kurir_net_server_text (reply->text, SERVER_TEXT_MAX);

      op_return_error (task, g_error_new (KURIR_NET_ERROR, KURIR_NET_ERROR_STARTTLS_REFUSED,
                                          "%s refused to start TLS (%s); nothing was sent "
                                          "without encryption", server_name (self), text));
      return;
    }

  if (has_unread_bytes (self))
    {
      /* Bytes after the go-ahead, read with it: never parsed (they would
       * count as sent over TLS). The connection checks its own buffer. */
      drop_unread_bytes (self);
      op_return_error (task, g_error_new (KURIR_NET_ERROR, KURIR_NET_ERROR_PROTOCOL,
                                          "%s sent unexpected data before the TLS handshake; "
                                          "the connection was closed to keep it safe",
                                          server_name (self)));
      return;
    }

  kurir_connection_starttls_async (self->connection, g_task_get_cancellable (task),
                                   connect_starttls_cb, task);
}

static void
connect_capa_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GTask *task = user_data;
  KurirPop3Client *self = g_task_get_source_object (task);
  g_autoptr(Reply) reply = NULL;
  GError *error = NULL;

  reply = command_finish (self, result, &error);
  if (reply == NULL)
    {
      op_return_error (task, error);
      return;
    }

  self->capa_supported = reply->ok;
  if (reply->ok)
    parse_capabilities (self, reply);

  if (kurir_connection_get_security (self->connection) != KURIR_SECURITY_STARTTLS)
    {
      self->state = STATE_AUTHORIZATION;
      op_return_boolean (task);
      return;
    }

  if (!g_hash_table_contains (self->capabilities, "STLS"))
    {
      op_return_error (task, g_error_new (KURIR_NET_ERROR, KURIR_NET_ERROR_STARTTLS_REFUSED,
                                          "%s does not offer STLS (TLS on the POP3 port); "
                                          "nothing was sent without encryption",
                                          server_name (self)));
      return;
    }

  command_async (self, "STLS", NULL, KURIR_WRITE_NONE, REPLY_STATUS,
                 g_task_get_cancellable (task), connect_stls_cb, task);
}

static void
connect_capa (GTask *task)
{
  KurirPop3Client *self = g_task_get_source_object (task);

  command_async (self, "CAPA", NULL, KURIR_WRITE_NONE, REPLY_MULTILINE,
                 g_task_get_cancellable (task), connect_capa_cb, task);
}

static void
connect_greeting_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  GTask *task = user_data;
  KurirPop3Client *self = g_task_get_source_object (task);
  g_autoptr(Reply) reply = NULL;
  GError *error = NULL;

  reply = command_finish (self, result, &error);
  if (reply == NULL)
    {
      if (g_error_matches (error, KURIR_POP3_ERROR, KURIR_POP3_ERROR_PROTOCOL))
        {
          GError *clear = g_error_new (KURIR_POP3_ERROR, KURIR_POP3_ERROR_PROTOCOL,
                                       "%s:%u does not greet like a POP3 server; is it the "
                                       "right server and port? (%s)",
                                       server_name (self),
                                       kurir_connection_get_port (self->connection),
                                       error->message);
          g_error_free (error);
          error = clear;
        }
      op_return_error (task, error);
      return;
    }
  if (!reply->ok)
    {
      error = error_from_reply (self, reply, KURIR_POP3_ERROR_TEMPORARY, "the connection");
      drop_connection (self);
      op_return_error (task, error);
      return;
    }

  self->greeting = g_strdup (reply->text);
  extract_apop_timestamp (self, reply->text);
  connect_capa (task);
}

static void
connect_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  GTask *task = user_data;
  KurirPop3Client *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (!kurir_connection_connect_finish (self->connection, result, &error))
    {
      op_return_error (task, error);
      return;
    }

  command_async (self, NULL, "the connection", KURIR_WRITE_NONE, REPLY_STATUS,
                 g_task_get_cancellable (task), connect_greeting_cb, task);
}

static void
connect_run (GTask *task)
{
  KurirPop3Client *self = g_task_get_source_object (task);

  if (self->state != STATE_NEW)
    {
      op_return_error (task, g_error_new (KURIR_POP3_ERROR, KURIR_POP3_ERROR_NOT_SUPPORTED,
                                          "A POP3 client connects only once"));
      return;
    }

  if (kurir_connection_get_security (self->connection) == KURIR_SECURITY_NONE &&
      !self->allow_plaintext)
    {
      self->state = STATE_CLOSED;
      op_return_error (task, g_error_new (KURIR_NET_ERROR, KURIR_NET_ERROR_PLAINTEXT_REFUSED,
                                          "The account is set up to connect to %s without "
                                          "encryption, which was not allowed",
                                          server_name (self)));
      return;
    }

  /* From here on, a failure means a connection in doubt. */
  self->state = STATE_AUTHORIZATION;
  kurir_connection_connect_async (self->connection, g_task_get_cancellable (task),
                                  connect_cb, task);
}

/* Operation: authenticate */

static void auth_sasl_read (GTask *task);

static void
auth_done (GTask  *task,
           Reply  *reply)
{
  KurirPop3Client *self = g_task_get_source_object (task);
  OpData *op = g_task_get_task_data (task);

  if (!reply->ok)
    {
      op_return_error (task, error_from_reply (self, reply, KURIR_POP3_ERROR_AUTH_FAILED,
                                               "the login"));
      return;
    }

  self->state = STATE_TRANSACTION;
  /* The password is needed no more. */
  if (op->password != NULL)
    {
      explicit_bzero (op->password, op->password_length);
      g_clear_pointer (&op->password, g_free);
    }
  g_clear_object (&op->sasl);
  g_debug ("Logged in to %s with %s", server_name (self), self->auth_mechanism);
  op_return_boolean (task);
}

static void
auth_capa_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  KurirPop3Client *self = g_task_get_source_object (task);
  g_autoptr(Reply) reply = NULL;
  GError *error = NULL;

  reply = command_finish (self, result, &error);
  if (reply == NULL)
    {
      op_return_error (task, error);
      return;
    }
  if (reply->ok)
    {
      g_auto(GStrv) mechanisms = g_steal_pointer (&self->sasl_mechanisms);

      parse_capabilities (self, reply);
      /* SASL is of the AUTHORIZATION state; keep what was offered there. */
      g_clear_pointer (&self->sasl_mechanisms, g_strfreev);
      self->sasl_mechanisms = g_steal_pointer (&mechanisms);
    }
  op_return_boolean (task);
}

/* After login: RFC 2449 lets a server announce some capabilities (such as
 * PIPELINING) only in the TRANSACTION state. Ask again only when the first
 * answer lacked what matters, to spare a round trip on servers like
 * Dovecot that announce everything up front. */
static void
auth_finish_login (GTask *task,
                   Reply *reply)
{
  KurirPop3Client *self = g_task_get_source_object (task);

  if (reply->ok && self->capa_supported &&
      (!g_hash_table_contains (self->capabilities, "PIPELINING") ||
       !g_hash_table_contains (self->capabilities, "UIDL")))
    {
      OpData *op = g_task_get_task_data (task);

      self->state = STATE_TRANSACTION;
      if (op->password != NULL)
        {
          explicit_bzero (op->password, op->password_length);
          g_clear_pointer (&op->password, g_free);
        }
      g_clear_object (&op->sasl);
      g_debug ("Logged in to %s with %s", server_name (self), self->auth_mechanism);
      command_async (self, "CAPA", NULL, KURIR_WRITE_NONE, REPLY_MULTILINE,
                     g_task_get_cancellable (task), auth_capa_cb, task);
      return;
    }
  auth_done (task, reply);
}

static void
auth_sasl_write_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;

  if (!kurir_connection_write_finish (KURIR_CONNECTION (source), result, &error))
    {
      op_return_error (task, error);
      return;
    }
  auth_sasl_read (task);
}

static void
auth_sasl_send (GTask *task,
                char  *response)   /* wiped and freed here */
{
  KurirPop3Client *self = g_task_get_source_object (task);
  gsize length = strlen (response);
  char *wire = g_malloc (length + 3);

  memcpy (wire, response, length);
  memcpy (wire + length, "\r\n", 3);
  kurir_sasl_free_response (response);
  kurir_connection_write_async (self->connection, wire, length + 2, KURIR_WRITE_SENSITIVE,
                                g_task_get_cancellable (task), auth_sasl_write_cb, task);
  explicit_bzero (wire, length + 2);
  g_free (wire);
}

static void
auth_sasl_reply_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  KurirPop3Client *self = g_task_get_source_object (task);
  OpData *op = g_task_get_task_data (task);
  g_autoptr(Reply) reply = NULL;
  GError *error = NULL;
  char *response;

  reply = command_finish (self, result, &error);
  if (reply == NULL)
    {
      op_return_error (task, error);
      return;
    }

  if (reply->continuation)
    {
      if (op->pending_response != NULL)
        {
          /* The initial response that did not fit on the AUTH line. */
          auth_sasl_send (task, g_steal_pointer (&op->pending_response));
          return;
        }
      response = kurir_sasl_step64 (op->sasl, reply->text, &error);
      if (response == NULL)
        {
          g_prefix_error (&error, "Logging in to %s: ", server_name (self));
          op_return_error (task, error);
          return;
        }
      auth_sasl_send (task, response);
      return;
    }

  if (reply->ok && kurir_sasl_needs_server_proof (op->sasl) &&
      !kurir_sasl_is_complete (op->sasl))
    {
      /* SCRAM: success without the server's signature proves nothing. */
      op_return_error (task, g_error_new (KURIR_SASL_ERROR, KURIR_SASL_ERROR_SERVER_PROOF,
                                          "%s accepted the %s login without proving that it "
                                          "knows the password; it may not be the server it "
                                          "claims to be", server_name (self),
                                          kurir_sasl_get_mechanism (op->sasl)));
      return;
    }

  auth_finish_login (task, reply);
}

static void
auth_sasl_read (GTask *task)
{
  KurirPop3Client *self = g_task_get_source_object (task);

  command_async (self, NULL, "AUTH", KURIR_WRITE_NONE, REPLY_SASL,
                 g_task_get_cancellable (task), auth_sasl_reply_cb, task);
}

static void
auth_sasl_start (GTask      *task,
                 const char *mechanism)
{
  KurirPop3Client *self = g_task_get_source_object (task);
  OpData *op = g_task_get_task_data (task);
  g_autofree char *line = NULL;
  GError *error = NULL;

  op->sasl = kurir_sasl_new (mechanism, op->username, op->password, &error);
  if (op->sasl == NULL)
    {
      op_finished (self, task);
      g_task_return_error (task, error);
      g_object_unref (task);
      run_next (self);
      return;
    }

  if (kurir_sasl_is_client_first (op->sasl))
    {
      char *initial = kurir_sasl_step64 (op->sasl, NULL, &error);

      if (initial == NULL)
        {
          op_finished (self, task);
          g_task_return_error (task, error);
          g_object_unref (task);
          run_next (self);
          return;
        }
      line = g_strdup_printf ("AUTH %s %s", mechanism, *initial ? initial : "=");
      if (strlen (line) > SASL_IR_MAX_LINE)
        {
          kurir_net_wipe_string (&line);
          line = g_strdup_printf ("AUTH %s", mechanism);
          op->pending_response = initial;
        }
      else
        kurir_sasl_free_response (initial);
    }
  else
    line = g_strdup_printf ("AUTH %s", mechanism);

  {
    g_autofree char *wire = g_strconcat (line, "\r\n", NULL);

    kurir_connection_write_async (self->connection, wire, strlen (wire), KURIR_WRITE_SENSITIVE,
                                  g_task_get_cancellable (task), auth_sasl_write_cb, task);
    explicit_bzero (wire, strlen (wire));
    kurir_net_wipe_string (&line);
  }
}

static void
auth_pass_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  KurirPop3Client *self = g_task_get_source_object (task);
  g_autoptr(Reply) reply = NULL;
  GError *error = NULL;

  reply = command_finish (self, result, &error);
  if (reply == NULL)
    {
      op_return_error (task, error);
      return;
    }
  auth_finish_login (task, reply);
}

static void
auth_user_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  KurirPop3Client *self = g_task_get_source_object (task);
  OpData *op = g_task_get_task_data (task);
  g_autoptr(Reply) reply = NULL;
  g_autofree char *line = NULL;
  GError *error = NULL;

  reply = command_finish (self, result, &error);
  if (reply == NULL)
    {
      op_return_error (task, error);
      return;
    }
  if (!reply->ok)
    {
      op_return_error (task, error_from_reply (self, reply, KURIR_POP3_ERROR_AUTH_FAILED,
                                               "the login"));
      return;
    }

  line = g_strconcat ("PASS ", op->password, NULL);
  command_async (self, line, "PASS", KURIR_WRITE_SENSITIVE, REPLY_STATUS,
                 g_task_get_cancellable (task), auth_pass_cb, task);
  kurir_net_wipe_string (&line);
}

static void
auth_run (GTask *task)
{
  KurirPop3Client *self = g_task_get_source_object (task);
  OpData *op = g_task_get_task_data (task);
  const char *mechanism = self->forced_mechanism;
  GError *error = NULL;

  if (!check_state (task, STATE_AUTHORIZATION))
    return;

  if (mechanism == NULL)
    {
      mechanism = kurir_sasl_choose_mechanism ((const char * const *) self->sasl_mechanisms);
      if (mechanism == NULL && self->apop_timestamp != NULL)
        mechanism = "APOP";
      if (mechanism == NULL)
        mechanism = "USER";
      if (strcmp (mechanism, "USER") == 0 && self->capa_supported &&
          !g_hash_table_contains (self->capabilities, "USER"))
        error = g_error_new (KURIR_POP3_ERROR, KURIR_POP3_ERROR_NOT_SUPPORTED,
                             "%s offers no way of logging in that Kurir supports",
                             server_name (self));
    }
  else if (g_ascii_strcasecmp (mechanism, "APOP") == 0)
    {
      if (self->apop_timestamp == NULL)
        error = g_error_new (KURIR_POP3_ERROR, KURIR_POP3_ERROR_NOT_SUPPORTED,
                             "%s does not offer APOP", server_name (self));
    }
  else if (g_ascii_strcasecmp (mechanism, "USER") != 0)
    {
      gboolean offered = FALSE;

      for (guint i = 0; self->sasl_mechanisms && self->sasl_mechanisms[i]; i++)
        offered |= g_ascii_strcasecmp (self->sasl_mechanisms[i], mechanism) == 0;
      if (!offered || !kurir_sasl_mechanism_is_supported (mechanism))
        error = g_error_new (KURIR_POP3_ERROR, KURIR_POP3_ERROR_NOT_SUPPORTED,
                             "%s does not offer the login mechanism %s",
                             server_name (self), mechanism);
    }

  if (error != NULL)
    {
      op_return_error (task, error);
      return;
    }

  g_free (self->auth_mechanism);
  self->auth_mechanism = g_ascii_strup (mechanism, -1);

  if (strcmp (self->auth_mechanism, "USER") == 0)
    {
      g_autofree char *line = g_strconcat ("USER ", op->username, NULL);

      command_async (self, line, "USER", KURIR_WRITE_NONE, REPLY_STATUS,
                     g_task_get_cancellable (task), auth_user_cb, task);
    }
  else if (strcmp (self->auth_mechanism, "APOP") == 0)
    {
      g_autofree char *secret = g_strconcat (self->apop_timestamp, op->password, NULL);
      g_autofree char *digest = g_compute_checksum_for_string (G_CHECKSUM_MD5, secret, -1);
      g_autofree char *line = g_strdup_printf ("APOP %s %s", op->username, digest);

      explicit_bzero (secret, strlen (secret));
      command_async (self, line, "APOP", KURIR_WRITE_SENSITIVE, REPLY_STATUS,
                     g_task_get_cancellable (task), auth_pass_cb, task);
    }
  else
    auth_sasl_start (task, self->auth_mechanism);
}

/* Operations: simple commands */

static void
simple_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  GTask *task = user_data;
  KurirPop3Client *self = g_task_get_source_object (task);
  OpData *op = g_task_get_task_data (task);
  g_autoptr(Reply) reply = NULL;
  GError *error = NULL;

  reply = command_finish (self, result, &error);
  if (reply == NULL)
    {
      op_return_error (task, error);
      return;
    }

  if (!reply->ok)
    {
      if (g_task_get_source_tag (task) == kurir_pop3_client_delete_async)
        {
          g_autofree char *what = g_strdup_printf ("to delete message %u", op->number);
          op_return_error (task, error_from_reply (self, reply, KURIR_POP3_ERROR_NO_SUCH_MESSAGE,
                                                   what));
        }
      else
        op_return_error (task, error_from_reply (self, reply, KURIR_POP3_ERROR_FAILED,
                                                 "the command"));
      return;
    }

  if (g_task_get_source_tag (task) == kurir_pop3_client_stat_async)
    {
      const char *p = reply->text;
      guint64 count, size;

      if (!parse_uint (p, &p, &count) || *p != ' ' || !parse_uint (p + 1, &p, &size) ||
          count > G_MAXUINT)
        {
          op_return_error (task, protocol_error (self, "the reply to STAT is malformed",
                                                 reply->text));
          return;
        }
      op->count = (guint) count;
      op->size = size;
    }

  op_return_boolean (task);
}

static void
simple_run (GTask *task)
{
  KurirPop3Client *self = g_task_get_source_object (task);
  OpData *op = g_task_get_task_data (task);
  gpointer tag = g_task_get_source_tag (task);
  g_autofree char *line = NULL;

  if (!check_state (task, STATE_TRANSACTION))
    return;

  if (tag == kurir_pop3_client_stat_async)
    line = g_strdup ("STAT");
  else if (tag == kurir_pop3_client_delete_async)
    line = g_strdup_printf ("DELE %u", op->number);
  else if (tag == kurir_pop3_client_reset_async)
    line = g_strdup ("RSET");
  else
    line = g_strdup ("NOOP");

  command_async (self, line, NULL, KURIR_WRITE_NONE, REPLY_STATUS,
                 g_task_get_cancellable (task), simple_cb, task);
}

static void
quit_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GTask *task = user_data;
  KurirPop3Client *self = g_task_get_source_object (task);
  g_autoptr(Reply) reply = NULL;
  GError *error = NULL;

  reply = command_finish (self, result, &error);
  if (reply == NULL)
    {
      op_return_error (task, error);
      return;
    }

  drop_connection (self);
  if (!reply->ok)
    {
      /* RFC 2449: the deletions may not have been applied. */
      op_return_error (task, error_from_reply (self, reply, KURIR_POP3_ERROR_FAILED,
                                               "to end the session and apply the deletions"));
      return;
    }
  op_return_boolean (task);
}

static void
quit_run (GTask *task)
{
  KurirPop3Client *self = g_task_get_source_object (task);

  if (self->state != STATE_AUTHORIZATION && self->state != STATE_TRANSACTION)
    {
      check_state (task, STATE_TRANSACTION);
      return;
    }
  command_async (self, "QUIT", NULL, KURIR_WRITE_NONE, REPLY_STATUS,
                 g_task_get_cancellable (task), quit_cb, task);
}

/* Operations: multi-line replies (LIST, UIDL, TOP, RETR) */

static gboolean
parse_scan_lines (KurirPop3Client  *self,
                  Reply            *reply,
                  gboolean          uidl,
                  GArray           *array,
                  GError          **error)
{
  /* An empty listing holds no data at all (NULL). */
  const char *p = reply->body->len > 0 ? (const char *) reply->body->data : "";
  const char *end = p + reply->body->len;
  guint64 last = 0;

  while (p < end)
    {
      const char *eol = memchr (p, '\r', end - p);
      g_autofree char *line = g_strndup (p, eol ? eol - p : end - p);
      const char *q = line;
      guint64 number;

      p = eol ? eol + 2 : end;
      if (!parse_uint (q, &q, &number) || number == 0 || number > G_MAXUINT ||
          number <= last || *q != ' ')
        {
          *error = protocol_error (self, uidl ? "a line of the UIDL listing is malformed"
                                              : "a line of the LIST listing is malformed", line);
          return FALSE;
        }
      last = number;
      q++;

      if (uidl)
        {
          KurirPop3UidEntry entry;
          gsize length = strlen (q);

          for (const char *c = q; *c; c++)
            if ((guchar) *c < 0x21 || (guchar) *c > 0x7e)
              length = 0;
          if (length == 0 || length > UID_MAX_LENGTH)
            {
              *error = protocol_error (self, "a unique id in the UIDL listing is invalid", line);
              return FALSE;
            }
          entry.number = (guint) number;
          entry.uid = g_strdup (q);
          g_array_append_val (array, entry);
        }
      else
        {
          KurirPop3ListEntry entry;
          guint64 size;

          /* RFC 1939 allows more after the size. */
          if (!parse_uint (q, &q, &size) || (*q != '\0' && *q != ' '))
            {
              *error = protocol_error (self, "a line of the LIST listing is malformed", line);
              return FALSE;
            }
          entry.number = (guint) number;
          entry.size = size;
          g_array_append_val (array, entry);
        }
    }
  return TRUE;
}

static void
list_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GTask *task = user_data;
  KurirPop3Client *self = g_task_get_source_object (task);
  g_autoptr(Reply) reply = NULL;
  g_autoptr(GArray) array = NULL;
  GError *error = NULL;

  reply = command_finish (self, result, &error);
  if (reply == NULL)
    {
      op_return_error (task, error);
      return;
    }
  if (!reply->ok)
    {
      op_return_error (task, error_from_reply (self, reply, KURIR_POP3_ERROR_FAILED,
                                               "to list the messages"));
      return;
    }

  array = g_array_new (FALSE, FALSE, sizeof (KurirPop3ListEntry));
  if (!parse_scan_lines (self, reply, FALSE, array, &error))
    {
      op_return_error (task, error);
      return;
    }
  op_return_pointer (task, g_steal_pointer (&array), (GDestroyNotify) g_array_unref);
}

static void
list_run (GTask *task)
{
  KurirPop3Client *self = g_task_get_source_object (task);

  if (!check_state (task, STATE_TRANSACTION))
    return;
  command_async (self, "LIST", NULL, KURIR_WRITE_NONE, REPLY_MULTILINE,
                 g_task_get_cancellable (task), list_cb, task);
}

static void
message_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  GTask *task = user_data;
  KurirPop3Client *self = g_task_get_source_object (task);
  OpData *op = g_task_get_task_data (task);
  g_autoptr(Reply) reply = NULL;
  GError *error = NULL;

  reply = command_finish (self, result, &error);
  if (reply == NULL)
    {
      op_return_error (task, error);
      return;
    }
  if (!reply->ok)
    {
      g_autofree char *what = g_strdup_printf ("to send message %u", op->number);

      op_return_error (task, error_from_reply (self, reply, KURIR_POP3_ERROR_NO_SUCH_MESSAGE,
                                               what));
      return;
    }
  op_return_pointer (task, g_byte_array_free_to_bytes (g_steal_pointer (&reply->body)),
                     (GDestroyNotify) g_bytes_unref);
}

static void
message_run (GTask *task)
{
  KurirPop3Client *self = g_task_get_source_object (task);
  OpData *op = g_task_get_task_data (task);
  g_autofree char *line = NULL;

  if (!check_state (task, STATE_TRANSACTION))
    return;

  if (g_task_get_source_tag (task) == kurir_pop3_client_top_async)
    {
      if (self->capa_supported && !g_hash_table_contains (self->capabilities, "TOP"))
        {
          op_return_error (task, g_error_new (KURIR_POP3_ERROR, KURIR_POP3_ERROR_NOT_SUPPORTED,
                                              "%s does not support TOP", server_name (self)));
          return;
        }
      line = g_strdup_printf ("TOP %u %u", op->number, op->lines);
    }
  else
    line = g_strdup_printf ("RETR %u", op->number);

  command_async (self, line, NULL, KURIR_WRITE_NONE, REPLY_MULTILINE,
                 g_task_get_cancellable (task), message_cb, task);
}

/* The pipeline: a window of RETR (or TOP n 0) in flight when the server
 * advertises PIPELINING, one at a time otherwise. Replies come back in the
 * order of the commands (RFC 2449 section 6.6). */

static void pipeline_step (GTask *task);

static void
pipeline_finish (GTask *task)
{
  OpData *op = g_task_get_task_data (task);
  Pipeline *pipeline = op->pipeline;

  if (pipeline->stop_error != NULL)
    op_return_error_full (task, g_steal_pointer (&pipeline->stop_error), TRUE);
  else if (g_task_get_source_tag (task) == kurir_pop3_client_uidl_async)
    op_return_pointer (task, g_steal_pointer (&op->uids), (GDestroyNotify) g_array_unref);
  else
    op_return_boolean (task);
}

static void
pipeline_write_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GTask *task = user_data;
  OpData *op = g_task_get_task_data (task);
  GError *error = NULL;

  op->pipeline->writing = FALSE;
  if (!kurir_connection_write_finish (KURIR_CONNECTION (source), result, &error))
    {
      if (op->pipeline->reading)
        {
          /* The read in flight will fail as well and end the operation. */
          KurirPop3Client *self = g_task_get_source_object (task);

          g_error_free (error);
          drop_connection (self);
        }
      else
        op_return_error (task, error);
      g_object_unref (task);
      return;
    }

  pipeline_step (task);
  g_object_unref (task);
}

static void
pipeline_header_uid (OpData  *op,
                     guint    number,
                     GBytes  *headers)
{
  KurirPop3UidEntry entry;
  g_autofree char *uid = kurir_pop3_header_uid (headers);
  guint same = 0;

  /* Identical headers are a duplicate delivery: number them, so that each
   * message has an identity of its own in this listing. */
  for (guint i = 0; i < op->uids->len; i++)
    {
      const char *other = g_array_index (op->uids, KurirPop3UidEntry, i).uid;

      if (g_str_has_prefix (other, uid) &&
          (other[strlen (uid)] == '\0' || other[strlen (uid)] == '-'))
        same++;
    }

  entry.number = number;
  entry.uid = same > 0 ? g_strdup_printf ("%s-%u", uid, same + 1) : g_steal_pointer (&uid);
  g_array_append_val (op->uids, entry);
}

static void
pipeline_reply_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GTask *task = user_data;
  KurirPop3Client *self = g_task_get_source_object (task);
  OpData *op = g_task_get_task_data (task);
  Pipeline *pipeline = op->pipeline;
  g_autoptr(Reply) reply = NULL;
  GError *error = NULL;
  guint number;

  pipeline->reading = FALSE;
  reply = command_finish (self, result, &error);
  if (reply == NULL)
    {
      if (pipeline->writing)
        drop_connection (self);  /* the write in flight ends with the connection */
      op_return_error (task, error);
      return;
    }

  number = pipeline->numbers[pipeline->next_receive++];

  if (pipeline->stop_error == NULL)
    {
      if (!reply->ok)
        {
          g_autofree char *what = g_strdup_printf ("to send message %u", number);

          pipeline->stop_error = error_from_reply (self, reply, KURIR_POP3_ERROR_NO_SUCH_MESSAGE,
                                                   what);
        }
      else
        {
          g_autoptr(GBytes) bytes = g_byte_array_free_to_bytes (g_steal_pointer (&reply->body));

          if (pipeline->top)
            pipeline_header_uid (op, number, bytes);
          else if (!pipeline->func (number, bytes, pipeline->func_data, &pipeline->stop_error))
            {
              if (pipeline->stop_error == NULL)
                pipeline->stop_error = g_error_new (KURIR_POP3_ERROR, KURIR_POP3_ERROR_FAILED,
                                                    "Retrieving messages from %s was stopped",
                                                    server_name (self));
            }
        }
    }

  pipeline_step (task);
}

static void
pipeline_step (GTask *task)
{
  KurirPop3Client *self = g_task_get_source_object (task);
  OpData *op = g_task_get_task_data (task);
  Pipeline *pipeline = op->pipeline;
  guint window = self->window;
  guint in_flight = pipeline->next_send - pipeline->next_receive;

  if (self->state == STATE_CLOSED)
    return;  /* the error is on its way */

  if (!kurir_pop3_client_get_pipelining (self))
    window = 1;

  /* Send more when the window is half empty, in one write. */
  if (!pipeline->writing && pipeline->stop_error == NULL &&
      pipeline->next_send < pipeline->n_numbers &&
      (in_flight == 0 || in_flight <= window / 2))
    {
      GString *commands = g_string_new (NULL);
      guint limit = MIN (pipeline->n_numbers, pipeline->next_receive + window);

      for (; pipeline->next_send < limit; pipeline->next_send++)
        g_string_append_printf (commands, pipeline->top ? "TOP %u 0\r\n" : "RETR %u\r\n",
                                pipeline->numbers[pipeline->next_send]);
      pipeline->writing = TRUE;
      kurir_connection_write_async (self->connection, commands->str, commands->len,
                                    KURIR_WRITE_NONE, g_task_get_cancellable (task),
                                    pipeline_write_cb, g_object_ref (task));
      g_string_free (commands, TRUE);
    }

  if (pipeline->reading)
    return;

  if (pipeline->next_receive < pipeline->next_send)
    {
      pipeline->reading = TRUE;
      command_async (self, NULL, pipeline->top ? "TOP" : "RETR", KURIR_WRITE_NONE,
                     REPLY_MULTILINE, g_task_get_cancellable (task), pipeline_reply_cb, task);
      return;
    }

  if (pipeline->writing)
    return;  /* pipeline_write_cb comes back here */

  pipeline_finish (task);
}

static void
retrieve_many_run (GTask *task)
{
  OpData *op = g_task_get_task_data (task);

  if (!check_state (task, STATE_TRANSACTION))
    return;
  if (op->pipeline->n_numbers == 0)
    {
      op_return_boolean (task);
      return;
    }
  pipeline_step (task);
}

/* Operation: UIDL, with the fallback to header hashes */

static void
uidl_fallback_list_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  GTask *task = user_data;
  KurirPop3Client *self = g_task_get_source_object (task);
  OpData *op = g_task_get_task_data (task);
  g_autoptr(Reply) reply = NULL;
  g_autoptr(GArray) array = NULL;
  GError *error = NULL;

  reply = command_finish (self, result, &error);
  if (reply == NULL)
    {
      op_return_error (task, error);
      return;
    }
  if (!reply->ok)
    {
      op_return_error (task, error_from_reply (self, reply, KURIR_POP3_ERROR_FAILED,
                                               "to list the messages"));
      return;
    }
  array = g_array_new (FALSE, FALSE, sizeof (KurirPop3ListEntry));
  if (!parse_scan_lines (self, reply, FALSE, array, &error))
    {
      op_return_error (task, error);
      return;
    }

  op->from_headers = TRUE;
  op->pipeline = g_new0 (Pipeline, 1);
  op->pipeline->top = TRUE;
  op->pipeline->n_numbers = array->len;
  op->pipeline->numbers = g_new (guint, MAX (array->len, 1));
  for (guint i = 0; i < array->len; i++)
    op->pipeline->numbers[i] = g_array_index (array, KurirPop3ListEntry, i).number;

  if (array->len == 0)
    {
      op_return_pointer (task, g_steal_pointer (&op->uids), (GDestroyNotify) g_array_unref);
      return;
    }
  pipeline_step (task);
}

static void
uidl_fallback (GTask *task)
{
  KurirPop3Client *self = g_task_get_source_object (task);

  if (self->capa_supported && !g_hash_table_contains (self->capabilities, "TOP"))
    {
      op_return_error (task, g_error_new (KURIR_POP3_ERROR, KURIR_POP3_ERROR_NOT_SUPPORTED,
                                          "%s supports neither UIDL nor TOP, so its messages "
                                          "cannot be told apart between sessions",
                                          server_name (self)));
      return;
    }
  g_debug ("%s has no UIDL: identifying messages by their headers", server_name (self));
  command_async (self, "LIST", NULL, KURIR_WRITE_NONE, REPLY_MULTILINE,
                 g_task_get_cancellable (task), uidl_fallback_list_cb, task);
}

static void
uidl_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GTask *task = user_data;
  KurirPop3Client *self = g_task_get_source_object (task);
  OpData *op = g_task_get_task_data (task);
  g_autoptr(Reply) reply = NULL;
  GError *error = NULL;

  reply = command_finish (self, result, &error);
  if (reply == NULL)
    {
      op_return_error (task, error);
      return;
    }
  if (!reply->ok)
    {
      /* A server without CAPA may still lack UIDL. */
      g_autofree char *code = response_code (reply->text);

      if (code != NULL && (strcmp (code, "SYS/TEMP") == 0 || strcmp (code, "SYS/PERM") == 0))
        {
          op_return_error (task, error_from_reply (self, reply, KURIR_POP3_ERROR_FAILED,
                                                   "to list the messages"));
          return;
        }
      uidl_fallback (task);
      return;
    }
  if (!parse_scan_lines (self, reply, TRUE, op->uids, &error))
    {
      op_return_error (task, error);
      return;
    }
  op_return_pointer (task, g_steal_pointer (&op->uids), (GDestroyNotify) g_array_unref);
}

static void
uidl_run (GTask *task)
{
  KurirPop3Client *self = g_task_get_source_object (task);
  OpData *op = g_task_get_task_data (task);

  if (!check_state (task, STATE_TRANSACTION))
    return;

  op->uids = g_array_new (FALSE, FALSE, sizeof (KurirPop3UidEntry));
  g_array_set_clear_func (op->uids, uid_entry_clear);

  if (self->capa_supported && !g_hash_table_contains (self->capabilities, "UIDL"))
    {
      uidl_fallback (task);
      return;
    }
  command_async (self, "UIDL", NULL, KURIR_WRITE_NONE, REPLY_MULTILINE,
                 g_task_get_cancellable (task), uidl_cb, task);
}

/* Overrides */

static void
kurir_pop3_client_dispose (GObject *object)
{
  KurirPop3Client *self = KURIR_POP3_CLIENT (object);

  /* Operations hold a reference, so none is running or queued here. */
  g_assert (self->current == NULL && g_queue_is_empty (&self->queue));
  g_clear_object (&self->connection);

  G_OBJECT_CLASS (kurir_pop3_client_parent_class)->dispose (object);
}

static void
kurir_pop3_client_finalize (GObject *object)
{
  KurirPop3Client *self = KURIR_POP3_CLIENT (object);

  g_free (self->forced_mechanism);
  g_free (self->greeting);
  g_free (self->apop_timestamp);
  g_hash_table_unref (self->capabilities);
  g_strfreev (self->sasl_mechanisms);
  g_free (self->auth_mechanism);
  g_clear_pointer (&self->chunk, g_bytes_unref);
  g_byte_array_unref (self->partial);

  G_OBJECT_CLASS (kurir_pop3_client_parent_class)->finalize (object);
}

static void
kurir_pop3_client_class_init (KurirPop3ClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kurir_pop3_client_dispose;
  object_class->finalize = kurir_pop3_client_finalize;
}

static void
kurir_pop3_client_init (KurirPop3Client *self)
{
  self->max_message_size = KURIR_POP3_DEFAULT_MAX_MESSAGE_SIZE;
  self->window = KURIR_POP3_DEFAULT_PIPELINE_WINDOW;
  self->capabilities = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->partial = g_byte_array_new ();
  self->wire_log = !g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN);
  g_queue_init (&self->queue);
}

/* Public API */

/**
 * kurir_pop3_client_new:
 * @connection: a connection not yet connected, set up with the account's
 *   host, port, security and CA file
 *
 * The client takes over the connection: it logs the wire under the domain
 * "kurir-pop3" (G_MESSAGES_DEBUG=kurir-pop3), credentials as "***".
 */
KurirPop3Client *
kurir_pop3_client_new (KurirConnection *connection)
{
  KurirPop3Client *self;

  g_return_val_if_fail (KURIR_IS_CONNECTION (connection), NULL);

  self = g_object_new (KURIR_TYPE_POP3_CLIENT, NULL);
  self->connection = g_object_ref (connection);
  kurir_connection_set_log_domain (connection, G_LOG_DOMAIN);
  return self;
}

KurirConnection *
kurir_pop3_client_get_connection (KurirPop3Client *self)
{
  g_return_val_if_fail (KURIR_IS_POP3_CLIENT (self), NULL);
  return self->connection;
}

/**
 * kurir_pop3_client_set_allow_plaintext:
 *
 * A connection with KURIR_SECURITY_NONE is refused (before connecting)
 * unless the user allowed plaintext for the account.
 */
void
kurir_pop3_client_set_allow_plaintext (KurirPop3Client *self,
                                       gboolean         allow)
{
  g_return_if_fail (KURIR_IS_POP3_CLIENT (self));
  self->allow_plaintext = allow;
}

/**
 * kurir_pop3_client_set_mechanism:
 * @mechanism: (nullable): "USER", "APOP" or a SASL mechanism name; %NULL
 *   (the default) picks the strongest the server offers
 */
void
kurir_pop3_client_set_mechanism (KurirPop3Client *self,
                                 const char      *mechanism)
{
  g_return_if_fail (KURIR_IS_POP3_CLIENT (self));
  g_free (self->forced_mechanism);
  self->forced_mechanism = g_strdup (mechanism);
}

/**
 * kurir_pop3_client_set_max_message_size:
 *
 * The largest reply (message, TOP, listing) accepted, in bytes; a larger
 * one ends with KURIR_POP3_ERROR_TOO_LARGE and a closed connection. The
 * default is KURIR_POP3_DEFAULT_MAX_MESSAGE_SIZE. Compare with the sizes
 * from LIST to skip such messages before asking for them.
 */
void
kurir_pop3_client_set_max_message_size (KurirPop3Client *self,
                                        gsize            max_size)
{
  g_return_if_fail (KURIR_IS_POP3_CLIENT (self));
  g_return_if_fail (max_size >= 1024);
  self->max_message_size = max_size;
}

/**
 * kurir_pop3_client_set_pipeline_window:
 *
 * How many commands retrieve_many keeps in flight with PIPELINING.
 */
void
kurir_pop3_client_set_pipeline_window (KurirPop3Client *self,
                                       guint            window)
{
  g_return_if_fail (KURIR_IS_POP3_CLIENT (self));
  g_return_if_fail (window >= 1);
  self->window = window;
}

const char *
kurir_pop3_client_get_greeting (KurirPop3Client *self)
{
  g_return_val_if_fail (KURIR_IS_POP3_CLIENT (self), NULL);
  return self->greeting;
}

/**
 * kurir_pop3_client_has_capability:
 *
 * Returns: whether the last CAPA (after TLS, and after login when that was
 *   asked again) listed @name
 */
gboolean
kurir_pop3_client_has_capability (KurirPop3Client *self,
                                  const char      *name)
{
  g_autofree char *upper = NULL;

  g_return_val_if_fail (KURIR_IS_POP3_CLIENT (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  upper = g_ascii_strup (name, -1);
  return g_hash_table_contains (self->capabilities, upper);
}

/**
 * kurir_pop3_client_get_capa_supported:
 *
 * Returns: whether the server answered CAPA at all (RFC 1939 servers may not)
 */
gboolean
kurir_pop3_client_get_capa_supported (KurirPop3Client *self)
{
  g_return_val_if_fail (KURIR_IS_POP3_CLIENT (self), FALSE);
  return self->capa_supported;
}

const char * const *
kurir_pop3_client_get_sasl_mechanisms (KurirPop3Client *self)
{
  g_return_val_if_fail (KURIR_IS_POP3_CLIENT (self), NULL);
  return (const char * const *) self->sasl_mechanisms;
}

/**
 * kurir_pop3_client_get_auth_mechanism:
 *
 * Returns: (nullable): how the last login was attempted: a SASL mechanism,
 *   "APOP" or "USER"
 */
const char *
kurir_pop3_client_get_auth_mechanism (KurirPop3Client *self)
{
  g_return_val_if_fail (KURIR_IS_POP3_CLIENT (self), NULL);
  return self->auth_mechanism;
}

gboolean
kurir_pop3_client_get_pipelining (KurirPop3Client *self)
{
  g_return_val_if_fail (KURIR_IS_POP3_CLIENT (self), FALSE);
  return g_hash_table_contains (self->capabilities, "PIPELINING");
}

gboolean
kurir_pop3_client_is_connected (KurirPop3Client *self)
{
  g_return_val_if_fail (KURIR_IS_POP3_CLIENT (self), FALSE);
  return self->state == STATE_AUTHORIZATION || self->state == STATE_TRANSACTION;
}

/**
 * kurir_pop3_client_connect_async:
 *
 * Connects, reads the greeting and the capabilities. With STARTTLS, the
 * server must offer STLS and accept it before anything else is sent, or
 * the attempt ends with KURIR_NET_ERROR_STARTTLS_REFUSED; the capabilities
 * are then asked again over TLS and only those count.
 */
void
kurir_pop3_client_connect_async (KurirPop3Client     *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (KURIR_IS_POP3_CLIENT (self));

  op_start (self, op_new (self, connect_run, kurir_pop3_client_connect_async,
                          cancellable, callback, user_data));
}

gboolean
kurir_pop3_client_connect_finish (KurirPop3Client  *self,
                                  GAsyncResult     *result,
                                  GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * kurir_pop3_client_authenticate_async:
 * @password: copied, and wiped from memory once the login is over
 *
 * Logs in with the strongest way the server offers: AUTH with SCRAM-SHA-256,
 * SCRAM-SHA-1, PLAIN or LOGIN (RFC 5034, initial response on the AUTH
 * line when it fits), else APOP when the greeting carries a timestamp,
 * else USER/PASS; or the one kurir_pop3_client_set_mechanism() named.
 * A rejected login is KURIR_POP3_ERROR_AUTH_FAILED (ask for a new
 * password) unless the server's response code says otherwise (IN_USE,
 * LOGIN_DELAY, TEMPORARY: try later; PERMANENT: tell the user).
 */
void
kurir_pop3_client_authenticate_async (KurirPop3Client     *self,
                                      const char          *username,
                                      const char          *password,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  GTask *task;
  OpData *op;

  g_return_if_fail (KURIR_IS_POP3_CLIENT (self));
  g_return_if_fail (username != NULL && *username != '\0');
  g_return_if_fail (password != NULL);

  task = op_new (self, auth_run, kurir_pop3_client_authenticate_async,
                 cancellable, callback, user_data);
  op = g_task_get_task_data (task);
  op->username = g_strdup (username);
  op->password_length = strlen (password);
  op->password = g_strndup (password, op->password_length);
  op_start (self, task);
}

gboolean
kurir_pop3_client_authenticate_finish (KurirPop3Client  *self,
                                       GAsyncResult     *result,
                                       GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
kurir_pop3_client_stat_async (KurirPop3Client     *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (KURIR_IS_POP3_CLIENT (self));

  op_start (self, op_new (self, simple_run, kurir_pop3_client_stat_async,
                          cancellable, callback, user_data));
}

gboolean
kurir_pop3_client_stat_finish (KurirPop3Client  *self,
                               GAsyncResult     *result,
                               guint            *out_count,
                               guint64          *out_size,
                               GError          **error)
{
  OpData *op;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  op = g_task_get_task_data (G_TASK (result));
  if (out_count != NULL)
    *out_count = op->count;
  if (out_size != NULL)
    *out_size = op->size;
  return TRUE;
}

void
kurir_pop3_client_list_async (KurirPop3Client     *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (KURIR_IS_POP3_CLIENT (self));

  op_start (self, op_new (self, list_run, kurir_pop3_client_list_async,
                          cancellable, callback, user_data));
}

/**
 * kurir_pop3_client_list_finish:
 *
 * Returns: (transfer full) (element-type KurirPop3ListEntry): the messages
 *   by number, in ascending order
 */
GArray *
kurir_pop3_client_list_finish (KurirPop3Client  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * kurir_pop3_client_uidl_async:
 *
 * Lists the unique ids. A server without UIDL (not in CAPA, or -ERR to it)
 * gets TOP n 0 for every message, pipelined when possible, and each
 * message's id is kurir_pop3_header_uid() of its headers ("-2", "-3"...
 * appended to repeated ones).
 */
void
kurir_pop3_client_uidl_async (KurirPop3Client     *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (KURIR_IS_POP3_CLIENT (self));

  op_start (self, op_new (self, uidl_run, kurir_pop3_client_uidl_async,
                          cancellable, callback, user_data));
}

/**
 * kurir_pop3_client_uidl_finish:
 * @out_from_headers: (out) (optional): whether the ids are header hashes
 *
 * Returns: (transfer full) (element-type KurirPop3UidEntry): the ids by
 *   message number, ascending; freeing the array frees the strings
 */
GArray *
kurir_pop3_client_uidl_finish (KurirPop3Client  *self,
                               GAsyncResult     *result,
                               gboolean         *out_from_headers,
                               GError          **error)
{
  OpData *op;
  GArray *array;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  array = g_task_propagate_pointer (G_TASK (result), error);
  op = g_task_get_task_data (G_TASK (result));
  if (out_from_headers != NULL)
    *out_from_headers = array != NULL && op->from_headers;
  return array;
}

void
kurir_pop3_client_top_async (KurirPop3Client     *self,
                             guint                number,
                             guint                lines,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (KURIR_IS_POP3_CLIENT (self));
  g_return_if_fail (number > 0);

  task = op_new (self, message_run, kurir_pop3_client_top_async, cancellable, callback, user_data);
  ((OpData *) g_task_get_task_data (task))->number = number;
  ((OpData *) g_task_get_task_data (task))->lines = lines;
  op_start (self, task);
}

/**
 * kurir_pop3_client_top_finish:
 *
 * Returns: (transfer full): the headers, the blank line and the first
 *   lines of the body, CRLF line ends
 */
GBytes *
kurir_pop3_client_top_finish (KurirPop3Client  *self,
                              GAsyncResult     *result,
                              GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
kurir_pop3_client_retrieve_async (KurirPop3Client     *self,
                                  guint                number,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (KURIR_IS_POP3_CLIENT (self));
  g_return_if_fail (number > 0);

  task = op_new (self, message_run, kurir_pop3_client_retrieve_async,
                 cancellable, callback, user_data);
  ((OpData *) g_task_get_task_data (task))->number = number;
  op_start (self, task);
}

/**
 * kurir_pop3_client_retrieve_finish:
 *
 * Returns: (transfer full): the message: dot-unstuffed, CRLF line ends
 */
GBytes *
kurir_pop3_client_retrieve_finish (KurirPop3Client  *self,
                                   GAsyncResult     *result,
                                   GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * kurir_pop3_client_retrieve_many_async:
 * @numbers: (array length=n_numbers): the messages, in the order wanted
 * @func: called with each message as soon as it is complete, in order
 *
 * Retrieves messages with a window of RETR commands in flight when the
 * server advertises PIPELINING (kurir_pop3_client_set_pipeline_window()),
 * one at a time otherwise. Only one message is held at a time: @func gets
 * it and may keep a reference. An -ERR to one RETR stops the retrieval
 * with KURIR_POP3_ERROR_NO_SUCH_MESSAGE (the session stays usable); a
 * message over the size limit ends it with KURIR_POP3_ERROR_TOO_LARGE
 * and a closed connection.
 */
void
kurir_pop3_client_retrieve_many_async (KurirPop3Client      *self,
                                       const guint          *numbers,
                                       guint                 n_numbers,
                                       KurirPop3MessageFunc  func,
                                       gpointer              func_data,
                                       GDestroyNotify        func_data_destroy,
                                       GCancellable         *cancellable,
                                       GAsyncReadyCallback   callback,
                                       gpointer              user_data)
{
  GTask *task;
  OpData *op;

  g_return_if_fail (KURIR_IS_POP3_CLIENT (self));
  g_return_if_fail (numbers != NULL || n_numbers == 0);
  g_return_if_fail (func != NULL);

  task = op_new (self, retrieve_many_run, kurir_pop3_client_retrieve_many_async,
                 cancellable, callback, user_data);
  op = g_task_get_task_data (task);
  op->pipeline = g_new0 (Pipeline, 1);
  op->pipeline->numbers = g_memdup2 (numbers, sizeof (guint) * MAX (n_numbers, 1));
  op->pipeline->n_numbers = n_numbers;
  op->pipeline->func = func;
  op->pipeline->func_data = func_data;
  op->pipeline->func_data_destroy = func_data_destroy;
  op_start (self, task);
}

gboolean
kurir_pop3_client_retrieve_many_finish (KurirPop3Client  *self,
                                        GAsyncResult     *result,
                                        GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * kurir_pop3_client_delete_async:
 *
 * Marks message @number for deletion (DELE). The server deletes it only
 * at a successful QUIT; a session that ends otherwise deletes nothing.
 */
void
kurir_pop3_client_delete_async (KurirPop3Client     *self,
                                guint                number,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (KURIR_IS_POP3_CLIENT (self));
  g_return_if_fail (number > 0);

  task = op_new (self, simple_run, kurir_pop3_client_delete_async, cancellable, callback, user_data);
  ((OpData *) g_task_get_task_data (task))->number = number;
  op_start (self, task);
}

gboolean
kurir_pop3_client_delete_finish (KurirPop3Client  *self,
                                 GAsyncResult     *result,
                                 GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * kurir_pop3_client_reset_async:
 *
 * RSET: unmarks every message marked for deletion.
 */
void
kurir_pop3_client_reset_async (KurirPop3Client     *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_return_if_fail (KURIR_IS_POP3_CLIENT (self));

  op_start (self, op_new (self, simple_run, kurir_pop3_client_reset_async,
                          cancellable, callback, user_data));
}

gboolean
kurir_pop3_client_reset_finish (KurirPop3Client  *self,
                                GAsyncResult     *result,
                                GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
kurir_pop3_client_noop_async (KurirPop3Client     *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (KURIR_IS_POP3_CLIENT (self));

  op_start (self, op_new (self, simple_run, kurir_pop3_client_noop_async,
                          cancellable, callback, user_data));
}

gboolean
kurir_pop3_client_noop_finish (KurirPop3Client  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * kurir_pop3_client_quit_async:
 *
 * QUIT: the server applies the deletions and closes the session. An error
 * here means they may not have been applied.
 */
void
kurir_pop3_client_quit_async (KurirPop3Client     *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (KURIR_IS_POP3_CLIENT (self));

  op_start (self, op_new (self, quit_run, kurir_pop3_client_quit_async,
                          cancellable, callback, user_data));
}

gboolean
kurir_pop3_client_quit_finish (KurirPop3Client  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * kurir_pop3_client_disconnect:
 *
 * Drops the connection without QUIT, so the server deletes nothing.
 * Operations still queued fail with KURIR_NET_ERROR_CLOSED.
 */
void
kurir_pop3_client_disconnect (KurirPop3Client *self)
{
  g_return_if_fail (KURIR_IS_POP3_CLIENT (self));
  drop_connection (self);
}

/**
 * kurir_pop3_header_uid:
 * @headers: a message's header (TOP n 0: the fields and the blank line)
 *
 * An identity for servers without UIDL: a SHA-256 of the header fields,
 * skipping those that POP3 servers themselves add or change between
 * sessions (Status, X-Status, X-UIDL, X-Keywords, X-Mozilla-Status*,
 * Content-Length, Lines, X-IMAP*), with line ends and trailing white space
 * ignored, so it is the same in every session.
 *
 * Returns: (transfer full): "hdr-" and the hash in hex
 */
char *
kurir_pop3_header_uid (GBytes *headers)
{
  static const char * const volatile_fields[] = {
    "status", "x-status", "x-uidl", "x-keywords", "x-mozilla-status",
    "x-mozilla-status2", "content-length", "lines", "x-imap", "x-imapbase",
  };
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  const char *p, *end;
  gsize length;
  gboolean skipping = FALSE;

  g_return_val_if_fail (headers != NULL, NULL);

  p = g_bytes_get_data (headers, &length);
  if (p == NULL)
    p = "";  /* empty headers */
  end = p + length;
  while (p < end)
    {
      const char *eol = memchr (p, '\n', end - p);
      const char *line_end = eol ? eol : end;
      const char *next = eol ? eol + 1 : end;

      while (line_end > p && (line_end[-1] == '\r' || line_end[-1] == ' ' ||
                              line_end[-1] == '\t'))
        line_end--;
      if (line_end == p)
        break;  /* the blank line: the end of the header */

      if (*p != ' ' && *p != '\t')
        {
          const char *colon = memchr (p, ':', line_end - p);

          skipping = FALSE;
          if (colon != NULL)
            for (guint i = 0; i < G_N_ELEMENTS (volatile_fields); i++)
              if ((gsize) (colon - p) == strlen (volatile_fields[i]) &&
                  g_ascii_strncasecmp (p, volatile_fields[i], colon - p) == 0)
                skipping = TRUE;
        }

      if (!skipping)
        {
          g_checksum_update (checksum, (const guchar *) p, line_end - p);
          g_checksum_update (checksum, (const guchar *) "\n", 1);
        }
      p = next;
    }

  return g_strconcat ("hdr-", g_checksum_get_string (checksum), NULL);
}
