/* kurir-smtp-client.c: an SMTP submission client over a KurirConnection
 *
 * RFC 5321 (SMTP), 6409 (submission), 3207 (STARTTLS), 8314 (implicit TLS),
 * 4954 (AUTH), 1870 (SIZE), 6152 (8BITMIME), 6531 (SMTPUTF8), 2920
 * (PIPELINING). No DSN (RFC 3461).
 *
 * Connecting: the greeting must be 220. EHLO with the client name (the host
 * name when it is a plain fully qualified domain name, else the address
 * literal "[127.0.0.1]", which says nothing about this computer). With
 * STARTTLS the server must offer it and answer 220; anything else ends the
 * attempt with KURIR_NET_ERROR_STARTTLS_REFUSED before a credential is
 * sent, and the connection refuses bytes that arrive after the go-ahead.
 * After the handshake EHLO again: only what the server says inside TLS
 * counts. If a server refuses EHLO, HELO is tried, except on STARTTLS (which
 * needs EHLO); such a session has no extensions, so AUTH fails with
 * KURIR_SMTP_ERROR_NOT_SUPPORTED: an account that needs a login never sends
 * anything through a HELO session.
 *
 * Operations queue: a caller may start several; they run one after the
 * other. A send writes MAIL, every RCPT and DATA together when the server
 * offers PIPELINING (in windows of KURIR_SMTP_PIPELINE_WINDOW commands), and
 * reads the replies after; else one command at a time.
 *
 * Message data: line ends are made CRLF (bare LF and bare CR become CRLF),
 * lines starting with "." get another ".", a missing last line end is
 * added, then CRLF.CRLF. SIZE counts the octets after the line-end change,
 * before dot-stuffing (RFC 1870). The data is written in chunks, so memory
 * stays at the message plus a chunk; the wire log shows it as "***" (mail
 * is private). Lines longer than 998 octets are sent as they are: making
 * them shorter is the message builder's job.
 *
 * Errors: any error that leaves the session in doubt (I/O, timeout, a reply
 * that breaks the protocol, a cancellation mid-command, 421) closes the
 * connection. A refusal (4xx, 5xx) leaves the session usable: after a failed
 * transaction the client sends RSET. Once the final "." may have reached
 * the server, a broken connection is KURIR_SMTP_ERROR_UNCERTAIN.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-smtp"

#include "config.h"

#include <string.h>

#include "kurir-checkpoint.h"
#include "kurir-net-error.h"
#include "kurir-net-util.h"
#include "kurir-sasl.h"
#include "kurir-smtp-client.h"

#define AUTH_LINE_MAX       512          /* RFC 4954 section 4: AUTH with its initial response */
#define SERVER_TEXT_MAX     300          /* how much of a server's words go into a message */
#define REPLY_TEXT_MAX      (64 * 1024)  /* all the lines of one reply */
#define ADDRESS_MAX         900          /* RFC 5321 says 256 for a path; bounded, lenient */
#define DATA_CHUNK          (64 * 1024)
#define LISTED_RECIPIENTS   10           /* refused recipients named in one message */
#define FALLBACK_CLIENT_NAME "[127.0.0.1]"

typedef enum {
  STATE_NEW,
  STATE_READY,
  STATE_CLOSED,
} State;

struct _KurirSmtpClient
{
  GObject          parent_instance;

  KurirConnection *connection;
  gboolean         allow_plaintext;
  char            *client_name;
  char            *forced_mechanism;

  State            state;
  gboolean         busy_connecting;
  gboolean         authenticated;
  gboolean         helo;             /* EHLO refused: no extensions */
  char            *greeting;
  GHashTable      *extensions;       /* upper-case keyword -> parameters ("" when none) */
  char           **auth_mechanisms;
  char            *auth_mechanism;

  GQueue           queue;            /* GTask: operations waiting */
  GTask           *current;          /* the operation running */

  KurirSmtpBeforeDotFunc before_dot;  /* called just before each final "." */
  gpointer               before_dot_data;
  GDestroyNotify         before_dot_notify;
};

G_DEFINE_TYPE (KurirSmtpClient, kurir_smtp_client, G_TYPE_OBJECT)

G_DEFINE_QUARK (kurir-smtp-error-quark, kurir_smtp_error)

/* A reply: its code and the text of each line. */
typedef struct
{
  guint      code;
  GPtrArray *lines;   /* char *: the text after "ddd " or "ddd-" */
  gsize      total;
} Reply;

typedef struct
{
  Reply *reply;
  char  *command;     /* for messages (never a credential) */
} CommandData;

typedef void (*OpRunFunc) (GTask *task);

/* Message data, encoded chunk by chunk. */
typedef struct
{
  const guint8 *data;
  gsize         length;
  gsize         pos;
  gboolean      line_start;
} DataEncoder;

typedef struct
{
  guint64  size;              /* after line-end normalisation, before stuffing */
  gboolean eight_bit;
  gboolean header_eight_bit;
  gboolean nul;
} MessageScan;

typedef struct
{
  char                *from_arg;     /* as the caller gave them */
  char               **recipients_arg;
  GPtrArray           *addresses;    /* char *: the caller's form of each RCPT */
  GPtrArray           *commands;     /* char *: MAIL, RCPT..., DATA */
  GBytes              *message;
  KurirSmtpSendFlags   flags;
  gboolean             pipelining;
  guint                n_written;
  guint                n_read;
  char                *from;
  GError              *mail_error;
  GError              *data_error;
  GError              *failure;      /* returned after the RSET */
  gboolean             closing;      /* the server said 421 */
  gboolean             data_go;      /* 354 to DATA */
  DataEncoder          encoder;
  KurirSmtpSendResult *result;
} SendData;

typedef struct
{
  OpRunFunc   run;
  OpRunFunc   after_write;        /* what op_write() continues with */
  char       *username;
  char       *password;
  KurirSasl  *sasl;
  char       *pending_response;   /* SASL initial response not sent with AUTH */
  SendData   *send;
} OpData;

/* Helpers: data */

static void
reply_free (Reply *reply)
{
  if (reply == NULL)
    return;
  g_ptr_array_unref (reply->lines);
  g_free (reply);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Reply, reply_free)

static Reply *
reply_new (void)
{
  Reply *reply = g_new0 (Reply, 1);

  reply->lines = g_ptr_array_new_with_free_func (g_free);
  return reply;
}

static const char *
reply_first_text (Reply *reply)
{
  return reply->lines->len > 0 ? g_ptr_array_index (reply->lines, 0) : "";
}

static void
command_data_free (CommandData *data)
{
  reply_free (data->reply);
  g_free (data->command);
  g_free (data);
}


static void
recipient_free (KurirSmtpRecipient *recipient)
{
  g_free (recipient->address);
  g_free (recipient->reply);
  g_free (recipient);
}

static void
send_data_free (SendData *send)
{
  if (send == NULL)
    return;
  g_free (send->from_arg);
  g_strfreev (send->recipients_arg);
  g_ptr_array_unref (send->addresses);
  g_ptr_array_unref (send->commands);
  g_bytes_unref (send->message);
  g_free (send->from);
  g_clear_error (&send->mail_error);
  g_clear_error (&send->data_error);
  g_clear_error (&send->failure);
  g_clear_pointer (&send->result, kurir_smtp_send_result_free);
  g_free (send);
}

static void
op_data_free (OpData *op)
{
  g_free (op->username);
  kurir_net_wipe_string (&op->password);
  g_clear_object (&op->sasl);
  kurir_net_wipe_string (&op->pending_response);
  send_data_free (op->send);
  g_free (op);
}

/* Helpers: messages */

static const char *
server_name (KurirSmtpClient *self)
{
  return kurir_connection_get_host (self->connection);
}


/* "550 5.1.1 <x>: User unknown": the code and all lines, bounded. */
static char *
reply_text (Reply *reply)
{
  g_autoptr(GString) joined = g_string_new (NULL);

  for (guint i = 0; i < reply->lines->len && joined->len < SERVER_TEXT_MAX; i++)
    {
      const char *line = g_ptr_array_index (reply->lines, i);

      if (*line == '\0')
        continue;
      if (joined->len > 0)
        g_string_append_c (joined, ' ');
      g_string_append (joined, line);
    }
  {
    g_autofree char *text = kurir_net_server_text (joined->str, SERVER_TEXT_MAX);
    return g_strdup_printf ("%u %s", reply->code, text);
  }
}

static GError *
protocol_error (KurirSmtpClient *self,
                const char      *what,
                const char      *line)
{
  g_autofree char *shown = kurir_net_server_text (line, SERVER_TEXT_MAX);

  return g_error_new (KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_PROTOCOL,
                      "%s broke the SMTP protocol: %s (\"%s\"); the connection was closed",
                      server_name (self), what, shown);
}

/* A refusal as an error: 4xx try later, 5xx needs a change. @what is what
 * was refused ("the message", "the sender <x>"). */
static GError *
reply_error (KurirSmtpClient *self,
             Reply           *reply,
             const char      *what)
{
  g_autofree char *text = reply_text (reply);
  const char *server = server_name (self);

  if (reply->code == 530)
    return g_error_new (KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_AUTH_REQUIRED,
                        "%s wants a login before it accepts %s; set up the account's "
                        "outgoing login (%s)", server, what, text);
  if (reply->code >= 400 && reply->code < 500)
    return g_error_new (KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_TEMPORARY,
                        "%s cannot take %s right now; try again later (%s)",
                        server, what, text);
  if (reply->code >= 500)
    return g_error_new (KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_PERMANENT,
                        "%s refused %s (%s)", server, what, text);
  return g_error_new (KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_PROTOCOL,
                      "%s answered %s unexpectedly (%s); the connection was closed",
                      server, what, text);
}

/* Whether the session is still in a known state after @error. */
static gboolean
error_keeps_session (const GError *error)
{
  if (error->domain != KURIR_SMTP_ERROR)
    return FALSE;
  switch ((KurirSmtpError) error->code)
    {
    case KURIR_SMTP_ERROR_PROTOCOL:
    case KURIR_SMTP_ERROR_UNCERTAIN:
      return FALSE;
    default:
      return TRUE;
    }
}

static void
close_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  kurir_connection_close_finish (KURIR_CONNECTION (source), result, NULL);
}

static void
drop_connection (KurirSmtpClient *self)
{
  if (self->state == STATE_CLOSED)
    return;
  self->state = STATE_CLOSED;
  self->authenticated = FALSE;
  kurir_connection_close_async (self->connection, NULL, close_cb, NULL);
}

/* Helpers: names and addresses */

static gboolean
is_ldh_domain (const char *name)
{
  gsize label = 0;
  gsize length = strlen (name);

  if (length == 0 || length > 253 || strchr (name, '.') == NULL)
    return FALSE;
  for (const char *p = name; ; p++)
    {
      if (*p == '.' || *p == '\0')
        {
          if (label == 0 || label > 63 || p[-1] == '-')
            return FALSE;
          if (*p == '\0')
            return TRUE;
          label = 0;
          continue;
        }
      if (!g_ascii_isalnum (*p) && !(*p == '-' && label > 0))
        return FALSE;
      label++;
    }
}

static gboolean
is_address_literal (const char *name)
{
  gsize length = strlen (name);
  g_autofree char *inner = NULL;

  if (length < 3 || name[0] != '[' || name[length - 1] != ']')
    return FALSE;
  inner = g_strndup (name + 1, length - 2);
  if (g_str_has_prefix (inner, "IPv6:"))
    return g_hostname_is_ip_address (inner + 5) && strchr (inner + 5, ':') != NULL;
  return g_hostname_is_ip_address (inner) && strchr (inner, ':') == NULL;
}

static char *
default_client_name (void)
{
  const char *host = g_get_host_name ();

  if (host != NULL && is_ldh_domain (host) && !g_hostname_is_ip_address (host))
    return g_ascii_strdown (host, -1);
  return g_strdup (FALLBACK_CLIENT_NAME);
}

static gboolean
is_ascii (const char *str)
{
  for (const char *p = str; *p; p++)
    if ((guchar) *p >= 0x80)
      return FALSE;
  return TRUE;
}

/* The address as it goes between < and >, or %NULL with an error.
 * @out_utf8: set when it needs SMTPUTF8. */
static char *
wire_address (KurirSmtpClient  *self,
              const char       *address,
              gboolean          allow_empty,
              gboolean         *out_utf8,
              GError          **error)
{
  gsize length = strlen (address);
  gboolean quoted = FALSE;
  const char *at;
  g_autofree char *domain = NULL;

  if (length == 0)
    {
      if (allow_empty)
        return g_strdup ("");
      g_set_error (error, KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_INVALID,
                   "An empty address cannot be a recipient");
      return NULL;
    }
  if (length > ADDRESS_MAX)
    {
      g_set_error (error, KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_INVALID,
                   "The address %.40s... is too long (%" G_GSIZE_FORMAT " bytes)",
                   address, length);
      return NULL;
    }

  for (const char *p = address; *p; p++)
    {
      guchar c = *p;
      gboolean escaped = FALSE;

      if (c == '\\' && quoted && p[1] != '\0')
        {
          c = *++p;
          escaped = TRUE;
        }
      if (c < 0x20 || c == 0x7f || c == '<' || c == '>' || (c == ' ' && !quoted))
        {
          g_autofree char *shown = kurir_net_server_text (address, SERVER_TEXT_MAX);

          g_set_error (error, KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_INVALID,
                       "The address \"%s\" contains a character that is not allowed "
                       "there (a line break, a control character, a space or an angle "
                       "bracket)", shown);
          return NULL;
        }
      if (c == '"' && !escaped)
        quoted = !quoted;
    }

  if (is_ascii (address))
    return g_strdup (address);

  if (!g_utf8_validate (address, -1, NULL))
    {
      g_autofree char *shown = kurir_net_server_text (address, SERVER_TEXT_MAX);

      g_set_error (error, KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_INVALID,
                   "The address \"%s\" is not valid UTF-8", shown);
      return NULL;
    }

  if (g_hash_table_contains (self->extensions, "SMTPUTF8"))
    {
      *out_utf8 = TRUE;
      return g_strdup (address);
    }

  /* Without SMTPUTF8, a non-ASCII domain may still go as its A-label. */
  at = strrchr (address, '@');
  if (at != NULL)
    {
      g_autofree char *local = g_strndup (address, at - address);

      domain = g_hostname_to_ascii (at + 1);
      if (is_ascii (local) && domain != NULL && is_ascii (domain))
        return g_strconcat (local, "@", domain, NULL);
    }

  g_set_error (error, KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_NOT_SUPPORTED,
               "%s does not accept addresses with non-ASCII characters (no SMTPUTF8), "
               "such as %s", server_name (self), address);
  return NULL;
}

/* Helpers: message data */

static void
scan_message (const guint8 *data,
              gsize         length,
              MessageScan  *scan)
{
  gboolean in_header = TRUE;
  gboolean line_start = TRUE;

  memset (scan, 0, sizeof *scan);
  for (gsize i = 0; i < length; i++)
    {
      guint8 c = data[i];

      if (c == '\r' || c == '\n')
        {
          if (c == '\r' && i + 1 < length && data[i + 1] == '\n')
            i++;
          if (line_start)
            in_header = FALSE;   /* the empty line after the header */
          scan->size += 2;
          line_start = TRUE;
          continue;
        }
      if (c == 0)
        scan->nul = TRUE;
      else if (c >= 0x80)
        {
          scan->eight_bit = TRUE;
          if (in_header)
            scan->header_eight_bit = TRUE;
        }
      scan->size++;
      line_start = FALSE;
    }
  if (!line_start)
    scan->size += 2;
}

/* Encodes up to DATA_CHUNK bytes of data (plus at most 3) into @out.
 * Returns: the number of bytes; 0 when all was encoded. */
static gsize
encode_chunk (DataEncoder *encoder,
              guint8      *out)
{
  gsize n = 0;

  while (encoder->pos < encoder->length && n < DATA_CHUNK)
    {
      guint8 c = encoder->data[encoder->pos++];

      if (c == '\r' || c == '\n')
        {
          if (c == '\r' && encoder->pos < encoder->length &&
              encoder->data[encoder->pos] == '\n')
            encoder->pos++;
          out[n++] = '\r';
          out[n++] = '\n';
          encoder->line_start = TRUE;
          continue;
        }
      if (encoder->line_start && c == '.')
        out[n++] = '.';
      out[n++] = c;
      encoder->line_start = FALSE;
    }

  if (encoder->pos == encoder->length && !encoder->line_start)
    {
      out[n++] = '\r';
      out[n++] = '\n';
      encoder->line_start = TRUE;
    }
  return n;
}

/* Helpers: the operation queue */

static void run_next (KurirSmtpClient *self);

static GTask *
op_new (KurirSmtpClient     *self,
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

static void
op_start (KurirSmtpClient *self,
          GTask           *task)
{
  g_queue_push_tail (&self->queue, task);
  run_next (self);
}

static void
op_finished (KurirSmtpClient *self,
             GTask           *task)
{
  g_assert (self->current == task);
  self->current = NULL;
}

static void
op_return_boolean (GTask *task)
{
  KurirSmtpClient *self = g_task_get_source_object (task);

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
  KurirSmtpClient *self = g_task_get_source_object (task);

  op_finished (self, task);
  g_task_return_pointer (task, result, destroy);
  g_object_unref (task);
  run_next (self);
}

/* @keep_session: nothing was sent, or the session is known to be fine. */
static void
op_return_error_full (GTask    *task,
                      GError   *error,
                      gboolean  keep_session)
{
  KurirSmtpClient *self = g_task_get_source_object (task);

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
run_next (KurirSmtpClient *self)
{
  while (self->current == NULL && !g_queue_is_empty (&self->queue))
    {
      GTask *task = g_queue_pop_head (&self->queue);
      OpData *op = g_task_get_task_data (task);
      GError *error = NULL;

      self->current = task;

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
check_ready (GTask *task)
{
  KurirSmtpClient *self = g_task_get_source_object (task);

  if (self->state == STATE_READY)
    return TRUE;
  op_return_error_full (task, g_error_new (KURIR_NET_ERROR, KURIR_NET_ERROR_CLOSED,
                                           "Not connected to %s", server_name (self)),
                        TRUE);
  return FALSE;
}

static void
op_write_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GTask *task = user_data;
  OpData *op = g_task_get_task_data (task);
  GError *error = NULL;

  if (!kurir_connection_write_finish (KURIR_CONNECTION (source), result, &error))
    {
      op_return_error (task, error);
      return;
    }
  op->after_write (task);
}

/* Writes @data (copied), then continues with @then; a failure ends the
 * operation and the session. */
static void
op_write (GTask           *task,
          const void      *data,
          gsize            length,
          KurirWriteFlags  flags,
          OpRunFunc        then)
{
  KurirSmtpClient *self = g_task_get_source_object (task);
  OpData *op = g_task_get_task_data (task);

  op->after_write = then;
  kurir_connection_write_async (self->connection, data, length, flags,
                                g_task_get_cancellable (task), op_write_cb, task);
}

/* Helpers: replies */

static void read_reply_line (GTask *task);

/* Returns: whether the reply is complete; FALSE with @error on a bad line. */
static gboolean
take_reply_line (KurirSmtpClient  *self,
                 CommandData      *data,
                 const char       *line,
                 gsize             length,
                 gboolean         *out_complete,
                 GError          **error)
{
  Reply *reply = data->reply;
  const char *text;
  guint code;

  if (length < 3 || memchr (line, '\0', length) != NULL ||
      line[0] < '2' || line[0] > '5' || !g_ascii_isdigit (line[1]) ||
      !g_ascii_isdigit (line[2]) || (length > 3 && line[3] != ' ' && line[3] != '-'))
    {
      g_autofree char *what = g_strdup_printf ("the reply to %s is not an SMTP reply",
                                               data->command);
      *error = protocol_error (self, what, line);
      return FALSE;
    }

  code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (reply->lines->len == 0)
    reply->code = code;
  else if (code != reply->code)
    {
      g_autofree char *what = g_strdup_printf ("the reply to %s changes its code between "
                                               "lines", data->command);
      *error = protocol_error (self, what, line);
      return FALSE;
    }

  text = length > 4 ? line + 4 : "";
  reply->total += strlen (text) + 1;
  if (reply->lines->len >= KURIR_SMTP_MAX_REPLY_LINES || reply->total > REPLY_TEXT_MAX)
    {
      g_autofree char *what = g_strdup_printf ("the reply to %s is too long", data->command);
      *error = protocol_error (self, what, line);
      return FALSE;
    }
  g_ptr_array_add (reply->lines, g_strdup (text));

  *out_complete = length == 3 || line[3] == ' ';
  return TRUE;
}

static void
reply_line_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GTask *task = user_data;
  KurirSmtpClient *self = g_task_get_source_object (task);
  CommandData *data = g_task_get_task_data (task);
  g_autofree char *line = NULL;
  gboolean complete = FALSE;
  gsize length = 0;
  GError *error = NULL;

  line = kurir_connection_read_line_finish (KURIR_CONNECTION (source), result, &length, &error);
  if (line == NULL || !take_reply_line (self, data, line, length, &complete, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  if (!complete)
    {
      read_reply_line (task);
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&data->reply), (GDestroyNotify) reply_free);
  g_object_unref (task);
}

static void
read_reply_line (GTask *task)
{
  KurirSmtpClient *self = g_task_get_source_object (task);

  kurir_connection_read_line_async (self->connection, g_task_get_cancellable (task),
                                    reply_line_cb, task);
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
  read_reply_line (task);
}

/* Writes @wire (unless %NULL; with its CRLF) and reads one reply. @shown
 * names the command in messages; never a credential. */
static void
command_async (KurirSmtpClient     *self,
               const char          *wire,
               gsize                length,
               const char          *shown,
               KurirWriteFlags      flags,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  CommandData *data = g_new0 (CommandData, 1);

  data->reply = reply_new ();
  data->command = g_strdup (shown);
  g_task_set_task_data (task, data, (GDestroyNotify) command_data_free);

  if (wire == NULL)
    {
      read_reply_line (task);
      return;
    }
  kurir_connection_write_async (self->connection, wire, length, flags, cancellable,
                                command_write_cb, task);
}

/* A command line: @line and CRLF. */
static void
command_line_async (KurirSmtpClient     *self,
                    const char          *line,
                    const char          *shown,
                    KurirWriteFlags      flags,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  g_autofree char *wire = g_strconcat (line, "\r\n", NULL);
  gsize length = strlen (wire);

  command_async (self, wire, length, shown ? shown : line, flags, cancellable,
                 callback, user_data);
  if (flags & KURIR_WRITE_SENSITIVE)
    explicit_bzero (wire, length);
}

static Reply *
command_finish (GAsyncResult  *result,
                GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Helpers: extensions */

static void
clear_extensions (KurirSmtpClient *self)
{
  g_hash_table_remove_all (self->extensions);
  g_clear_pointer (&self->auth_mechanisms, g_strfreev);
}

static void
add_auth_mechanisms (KurirSmtpClient *self,
                     const char      *list)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) names = g_strsplit_set (list, " ", -1);

  if (self->auth_mechanisms != NULL)
    g_strv_builder_addv (builder, (const char **) self->auth_mechanisms);
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *name = g_ascii_strup (names[i], -1);

      if (*name == '\0' ||
          (self->auth_mechanisms != NULL &&
           g_strv_contains ((const char * const *) self->auth_mechanisms, name)))
        continue;
      g_strv_builder_add (builder, name);
    }
  g_clear_pointer (&self->auth_mechanisms, g_strfreev);
  self->auth_mechanisms = g_strv_builder_end (builder);
}

/* The EHLO reply: the first line greets, each other is "KEYWORD params". */
static void
parse_extensions (KurirSmtpClient *self,
                  Reply           *reply)
{
  clear_extensions (self);
  for (guint i = 1; i < reply->lines->len; i++)
    {
      const char *line = g_ptr_array_index (reply->lines, i);
      const char *end = line;
      g_autofree char *keyword = NULL;
      const char *params;

      while (g_ascii_isalnum (*end) || *end == '-')
        end++;
      if (end == line)
        continue;
      keyword = g_ascii_strup (line, end - line);

      if (*end == '=' && strcmp (keyword, "AUTH") == 0)
        {
          /* The pre-standard "AUTH=PLAIN LOGIN" some servers still send. */
          add_auth_mechanisms (self, end + 1);
          continue;
        }
      if (*end != '\0' && *end != ' ')
        continue;
      params = *end == ' ' ? end + 1 : "";
      g_hash_table_replace (self->extensions, g_steal_pointer (&keyword), g_strdup (params));
      if (g_ascii_strncasecmp (line, "AUTH", 4) == 0 && end - line == 4)
        add_auth_mechanisms (self, params);
    }
}

/* Operation: connect */

static void connect_ehlo (GTask *task);

static GError *
starttls_refused (KurirSmtpClient *self,
                  const char      *why)
{
  return g_error_new (KURIR_NET_ERROR, KURIR_NET_ERROR_STARTTLS_REFUSED,
                      "%s %s; nothing was sent without encryption", server_name (self), why);
}

static void
connect_ready (GTask *task)
{
  KurirSmtpClient *self = g_task_get_source_object (task);

  self->state = STATE_READY;
  self->busy_connecting = FALSE;
  op_return_boolean (task);
}

static void
connect_helo_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GTask *task = user_data;
  KurirSmtpClient *self = g_task_get_source_object (task);
  g_autoptr(Reply) reply = NULL;
  GError *error = NULL;

  reply = command_finish (result, &error);
  if (reply == NULL)
    {
      op_return_error (task, error);
      return;
    }
  if (reply->code != 250)
    {
      error = reply_error (self, reply, "the greeting (EHLO and HELO)");
      drop_connection (self);
      op_return_error (task, error);
      return;
    }
  self->helo = TRUE;
  clear_extensions (self);
  connect_ready (task);
}

static void
connect_starttls_done_cb (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  GTask *task = user_data;
  KurirSmtpClient *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (!kurir_connection_starttls_finish (self->connection, result, &error))
    {
      op_return_error (task, error);
      return;
    }
  /* Nothing learnt before TLS counts. */
  clear_extensions (self);
  connect_ehlo (task);
}

static void
connect_starttls_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  GTask *task = user_data;
  KurirSmtpClient *self = g_task_get_source_object (task);
  g_autoptr(Reply) reply = NULL;
  GError *error = NULL;

  reply = command_finish (result, &error);
  if (reply == NULL)
    {
      if (g_error_matches (error, KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_PROTOCOL))
        {
          g_error_free (error);
          error = starttls_refused (self, "answered STARTTLS with something that is not an "
                                          "SMTP reply");
          drop_connection (self);
        }
      op_return_error (task, error);
      return;
    }
  if (reply->code != 220)
    {
      g_autofree char *text = reply_text (reply);
      g_autofree char *why = g_strdup_printf ("refused to start TLS (%s)", text);

      op_return_error (task, starttls_refused (self, why));
      return;
    }

  kurir_connection_starttls_async (self->connection, g_task_get_cancellable (task),
                                   connect_starttls_done_cb, task);
}

static void
connect_ehlo_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GTask *task = user_data;
  KurirSmtpClient *self = g_task_get_source_object (task);
  g_autoptr(Reply) reply = NULL;
  gboolean starttls = kurir_connection_get_security (self->connection) == KURIR_SECURITY_STARTTLS;
  gboolean encrypted = kurir_connection_is_encrypted (self->connection);
  GError *error = NULL;

  reply = command_finish (result, &error);
  if (reply == NULL)
    {
      op_return_error (task, error);
      return;
    }

  if (reply->code != 250)
    {
      if (reply->code >= 500 && !starttls)
        {
          g_autofree char *line = g_strconcat ("HELO ", self->client_name, NULL);

          command_line_async (self, line, "HELO", KURIR_WRITE_NONE,
                              g_task_get_cancellable (task), connect_helo_cb, task);
          return;
        }
      if (reply->code >= 500 && !encrypted)
        {
          g_autofree char *text = reply_text (reply);
          g_autofree char *why = g_strdup_printf ("refused EHLO, so it cannot offer STARTTLS "
                                                  "(%s)", text);
          op_return_error (task, starttls_refused (self, why));
          return;
        }
      error = reply_error (self, reply, "the greeting (EHLO)");
      if (error->domain == KURIR_SMTP_ERROR && error->code == KURIR_SMTP_ERROR_PERMANENT)
        error->code = KURIR_SMTP_ERROR_PROTOCOL;
      drop_connection (self);
      op_return_error (task, error);
      return;
    }

  parse_extensions (self, reply);

  if (starttls && !encrypted)
    {
      if (!g_hash_table_contains (self->extensions, "STARTTLS"))
        {
          op_return_error (task, starttls_refused (self, "does not offer STARTTLS"));
          return;
        }
      command_line_async (self, "STARTTLS", NULL, KURIR_WRITE_NONE,
                          g_task_get_cancellable (task), connect_starttls_cb, task);
      return;
    }

  connect_ready (task);
}

static void
connect_ehlo (GTask *task)
{
  KurirSmtpClient *self = g_task_get_source_object (task);
  g_autofree char *line = g_strconcat ("EHLO ", self->client_name, NULL);

  command_line_async (self, line, "EHLO", KURIR_WRITE_NONE,
                      g_task_get_cancellable (task), connect_ehlo_cb, task);
}

static void
connect_greeting_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  GTask *task = user_data;
  KurirSmtpClient *self = g_task_get_source_object (task);
  g_autoptr(Reply) reply = NULL;
  GError *error = NULL;

  reply = command_finish (result, &error);
  if (reply == NULL)
    {
      if (g_error_matches (error, KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_PROTOCOL))
        {
          GError *clear = g_error_new (KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_PROTOCOL,
                                       "%s:%u does not greet like an SMTP server; is it the "
                                       "right server and port? (%s)", server_name (self),
                                       kurir_connection_get_port (self->connection),
                                       error->message);
          g_error_free (error);
          error = clear;
        }
      op_return_error (task, error);
      return;
    }
  if (reply->code != 220)
    {
      g_autofree char *text = reply_text (reply);

      if (reply->code >= 400 && reply->code < 500)
        error = g_error_new (KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_TEMPORARY,
                             "%s does not accept connections right now; try again later (%s)",
                             server_name (self), text);
      else if (reply->code >= 500)
        error = g_error_new (KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_PERMANENT,
                             "%s does not accept mail from this computer (%s)",
                             server_name (self), text);
      else
        error = g_error_new (KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_PROTOCOL,
                             "%s:%u does not greet like an SMTP server; is it the right "
                             "server and port? (%s)", server_name (self),
                             kurir_connection_get_port (self->connection), text);
      drop_connection (self);
      op_return_error (task, error);
      return;
    }

  {
    g_autofree char *text = reply_text (reply);
    self->greeting = g_strdup (text + 4);
  }
  connect_ehlo (task);
}

static void
connect_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  GTask *task = user_data;
  KurirSmtpClient *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (!kurir_connection_connect_finish (self->connection, result, &error))
    {
      op_return_error (task, error);
      return;
    }

  kurir_connection_set_max_line_length (self->connection, KURIR_SMTP_MAX_REPLY_LINE);
  command_async (self, NULL, 0, "the connection", KURIR_WRITE_NONE,
                 g_task_get_cancellable (task), connect_greeting_cb, task);
}

static void
connect_run (GTask *task)
{
  KurirSmtpClient *self = g_task_get_source_object (task);

  if (self->state != STATE_NEW || self->busy_connecting)
    {
      op_return_error_full (task, g_error_new (KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_NOT_SUPPORTED,
                                               "An SMTP client connects only once"), TRUE);
      return;
    }

  if (kurir_connection_get_security (self->connection) == KURIR_SECURITY_NONE &&
      !self->allow_plaintext)
    {
      self->state = STATE_CLOSED;
      op_return_error_full (task, g_error_new (KURIR_NET_ERROR, KURIR_NET_ERROR_PLAINTEXT_REFUSED,
                                               "The account is set up to connect to %s "
                                               "without encryption, which was not allowed",
                                               server_name (self)), TRUE);
      return;
    }

  /* From here on, a failure closes the connection. */
  self->busy_connecting = TRUE;
  self->state = STATE_READY;
  kurir_connection_connect_async (self->connection, g_task_get_cancellable (task),
                                  connect_cb, task);
}

/* Operation: authenticate */

static void auth_read (GTask *task);

static GError *
auth_error (KurirSmtpClient *self,
            Reply           *reply,
            const char      *mechanism)
{
  g_autofree char *text = reply_text (reply);
  const char *server = server_name (self);

  switch (reply->code)
    {
    case 535:
      return g_error_new (KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_AUTH_FAILED,
                          "%s did not accept the user name or password (%s)", server, text);
    case 534:
      return g_error_new (KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_NOT_SUPPORTED,
                          "%s wants a stronger login mechanism than %s; choose another one "
                          "in the account's settings, or the provider may ask you to allow "
                          "this mail program on their website (%s)", server, mechanism, text);
    case 538:
      return g_error_new (KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_NOT_SUPPORTED,
                          "%s allows the %s login only over an encrypted connection; use TLS "
                          "or STARTTLS for this account (%s)", server, mechanism, text);
    case 504:
      return g_error_new (KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_NOT_SUPPORTED,
                          "%s does not support the %s login (%s)", server, mechanism, text);
    case 454:
      return g_error_new (KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_TEMPORARY,
                          "%s cannot check the login right now; try again later (%s)",
                          server, text);
    default:
      return reply_error (self, reply, "the login");
    }
}

static void
auth_send (GTask *task,
           char  *response)   /* wiped and freed here */
{
  gsize length = strlen (response);
  char *wire = g_malloc (length + 3);

  memcpy (wire, response, length);
  memcpy (wire + length, "\r\n", 3);
  kurir_sasl_free_response (response);
  op_write (task, wire, length + 2, KURIR_WRITE_SENSITIVE, auth_read);
  explicit_bzero (wire, length + 2);
  g_free (wire);
}

static void
auth_reply_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GTask *task = user_data;
  KurirSmtpClient *self = g_task_get_source_object (task);
  OpData *op = g_task_get_task_data (task);
  g_autoptr(Reply) reply = NULL;
  const char *mechanism = kurir_sasl_get_mechanism (op->sasl);
  GError *error = NULL;

  reply = command_finish (result, &error);
  if (reply == NULL)
    {
      op_return_error (task, error);
      return;
    }

  if (reply->code == 334)
    {
      char *response;

      if (op->pending_response != NULL)
        {
          /* The initial response that did not fit on the AUTH line. */
          auth_send (task, g_steal_pointer (&op->pending_response));
          return;
        }
      response = kurir_sasl_step64 (op->sasl, reply_first_text (reply), &error);
      if (response == NULL)
        {
          g_prefix_error (&error, "Logging in to %s: ", server_name (self));
          op_return_error (task, error);
          return;
        }
      auth_send (task, response);
      return;
    }

  if (reply->code != 235)
    {
      op_return_error (task, auth_error (self, reply, mechanism));
      return;
    }

  if (kurir_sasl_needs_server_proof (op->sasl) && !kurir_sasl_is_complete (op->sasl))
    {
      /* SCRAM: success without the server's signature proves nothing. */
      op_return_error (task, g_error_new (KURIR_SASL_ERROR, KURIR_SASL_ERROR_SERVER_PROOF,
                                          "%s accepted the %s login without proving that it "
                                          "knows the password; it may not be the server it "
                                          "claims to be", server_name (self), mechanism));
      return;
    }

  self->authenticated = TRUE;
  kurir_net_wipe_string (&op->password);
  g_clear_object (&op->sasl);
  g_debug ("Logged in to %s with %s", server_name (self), self->auth_mechanism);
  op_return_boolean (task);
}

static void
auth_read (GTask *task)
{
  KurirSmtpClient *self = g_task_get_source_object (task);

  command_async (self, NULL, 0, "AUTH", KURIR_WRITE_NONE,
                 g_task_get_cancellable (task), auth_reply_cb, task);
}

static void
auth_run (GTask *task)
{
  KurirSmtpClient *self = g_task_get_source_object (task);
  OpData *op = g_task_get_task_data (task);
  const char *mechanism = NULL;
  g_autofree char *line = NULL;
  GError *error = NULL;

  if (!check_ready (task))
    return;

  if (self->authenticated)
    error = g_error_new (KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_NOT_SUPPORTED,
                         "Already logged in to %s", server_name (self));
  else if (self->auth_mechanisms == NULL || self->auth_mechanisms[0] == NULL)
    error = g_error_new (KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_NOT_SUPPORTED,
                         self->helo ? "%s offers no login (it refused EHLO)"
                                    : "%s offers no login (no AUTH)", server_name (self));
  else if (self->forced_mechanism != NULL)
    {
      if (!g_strv_contains ((const char * const *) self->auth_mechanisms, self->forced_mechanism) ||
          !kurir_sasl_mechanism_is_supported (self->forced_mechanism))
        error = g_error_new (KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_NOT_SUPPORTED,
                             "%s does not offer the login mechanism %s",
                             server_name (self), self->forced_mechanism);
      else
        mechanism = self->forced_mechanism;
    }
  else
    {
      mechanism = kurir_sasl_choose_mechanism ((const char * const *) self->auth_mechanisms);
      if (mechanism == NULL)
        {
          g_autofree char *offered = g_strjoinv (" ", self->auth_mechanisms);
          g_autofree char *shown = kurir_net_server_text (offered, SERVER_TEXT_MAX);

          error = g_error_new (KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_NOT_SUPPORTED,
                               "%s offers no login mechanism that Kurir supports (it offers %s)",
                               server_name (self), shown);
        }
    }

  if (error == NULL)
    op->sasl = kurir_sasl_new (mechanism, op->username, op->password, &error);
  if (error != NULL)
    {
      op_return_error_full (task, error, TRUE);
      return;
    }

  g_free (self->auth_mechanism);
  self->auth_mechanism = g_strdup (kurir_sasl_get_mechanism (op->sasl));

  if (kurir_sasl_is_client_first (op->sasl))
    {
      char *initial = kurir_sasl_step64 (op->sasl, NULL, &error);

      if (initial == NULL)
        {
          op_return_error_full (task, error, TRUE);
          return;
        }
      /* RFC 4954: "=" for an empty initial response; one that would make
       * the line longer than 512 octets waits for the server's 334. */
      line = g_strdup_printf ("AUTH %s %s", self->auth_mechanism, *initial ? initial : "=");
      if (strlen (line) + 2 > AUTH_LINE_MAX)
        {
          kurir_net_wipe_string (&line);
          line = g_strdup_printf ("AUTH %s", self->auth_mechanism);
          op->pending_response = initial;
        }
      else
        kurir_sasl_free_response (initial);
    }
  else
    line = g_strdup_printf ("AUTH %s", self->auth_mechanism);

  {
    g_autofree char *wire = g_strconcat (line, "\r\n", NULL);

    op_write (task, wire, strlen (wire), KURIR_WRITE_SENSITIVE, auth_read);
    explicit_bzero (wire, strlen (wire));
    kurir_net_wipe_string (&line);
  }
}

/* Operation: send */

static void send_continue (GTask *task);
static void send_upload (GTask *task);

/* 552 to MAIL or to the message: over the size limit (RFC 1870). */
static GError *
too_large_reply (KurirSmtpClient *self,
                 SendData        *send,
                 Reply           *reply)
{
  g_autofree char *text = NULL;

  if (reply->code != 552)
    return NULL;
  text = reply_text (reply);
  return g_error_new (KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_TOO_LARGE,
                      "%s refused the message of %" G_GUINT64_FORMAT " bytes as too large (%s)",
                      server_name (self), send->result->size, text);
}

static void
add_recipient_result (KurirSmtpSendResult *result,
                      const char          *address,
                      Reply               *reply)
{
  KurirSmtpRecipient *recipient = g_new0 (KurirSmtpRecipient, 1);

  recipient->address = g_strdup (address);
  recipient->code = reply->code;
  recipient->reply = reply_text (reply);
  if (reply->code >= 200 && reply->code < 300)
    {
      recipient->status = KURIR_SMTP_RECIPIENT_ACCEPTED;
      result->n_accepted++;
    }
  else if (reply->code >= 400 && reply->code < 500)
    {
      recipient->status = KURIR_SMTP_RECIPIENT_TEMPORARY;
      result->n_temporary++;
    }
  else
    {
      recipient->status = KURIR_SMTP_RECIPIENT_PERMANENT;
      result->n_permanent++;
    }
  g_ptr_array_add (result->recipients, recipient);
}

/* Every recipient was refused. */
static GError *
recipients_error (KurirSmtpClient     *self,
                  KurirSmtpSendResult *result)
{
  g_autoptr(GString) list = g_string_new (NULL);
  gboolean temporary = result->n_temporary > 0;

  for (guint i = 0; i < result->recipients->len && i < LISTED_RECIPIENTS; i++)
    {
      KurirSmtpRecipient *recipient = g_ptr_array_index (result->recipients, i);

      if (list->len > 0)
        g_string_append (list, "; ");
      g_string_append_printf (list, "%s: %s", recipient->address, recipient->reply);
    }
  if (result->recipients->len > LISTED_RECIPIENTS)
    g_string_append_printf (list, "; and %u more", result->recipients->len - LISTED_RECIPIENTS);

  if (temporary)
    return g_error_new (KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_TEMPORARY,
                        "%s accepted none of the recipients; nothing was sent; try again "
                        "later (%s)", server_name (self), list->str);
  return g_error_new (KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_PERMANENT,
                      "%s refused every recipient; nothing was sent; check the addresses (%s)",
                      server_name (self), list->str);
}

static void
send_rset_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  KurirSmtpClient *self = g_task_get_source_object (task);
  OpData *op = g_task_get_task_data (task);
  g_autoptr(Reply) reply = NULL;
  g_autoptr(GError) error = NULL;
  GError *failure = g_steal_pointer (&op->send->failure);

  reply = command_finish (result, &error);
  if (reply == NULL || reply->code != 250)
    drop_connection (self);
  op_return_error_full (task, failure, TRUE);
}

/* Ends a failed transaction with RSET, then fails with @error. */
static void
send_fail_with_rset (GTask  *task,
                     GError *error)
{
  KurirSmtpClient *self = g_task_get_source_object (task);
  OpData *op = g_task_get_task_data (task);

  if (op->send->closing)
    {
      /* 421: the server is closing the connection. */
      drop_connection (self);
      op_return_error_full (task, error, TRUE);
      return;
    }

  g_clear_error (&op->send->failure);
  op->send->failure = error;
  command_line_async (self, "RSET", NULL, KURIR_WRITE_NONE, g_task_get_cancellable (task),
                      send_rset_cb, task);
}

/* All replies to the envelope are in (or the rest was not sent). */
static void
send_envelope_done (GTask *task)
{
  KurirSmtpClient *self = g_task_get_source_object (task);
  OpData *op = g_task_get_task_data (task);
  SendData *send = op->send;
  GError *error = NULL;

  if (send->mail_error != NULL)
    error = g_steal_pointer (&send->mail_error);
  else if (send->result->n_accepted == 0)
    error = recipients_error (self, send->result);
  else if (send->data_error != NULL)
    error = g_steal_pointer (&send->data_error);
  else if (send->data_go)
    {
      send_upload (task);
      return;
    }
  else
    g_assert_not_reached ();

  if (send->data_go)
    {
      /* 354 although there is no transaction: the only way out of the
       * data phase without sending the message is to hang up. */
      g_prefix_error (&error, "%s wanted the message data for a transaction it had "
                      "refused; the connection was closed: ", server_name (self));
      drop_connection (self);
      op_return_error_full (task, error, TRUE);
      return;
    }
  send_fail_with_rset (task, error);
}

static void
send_reply_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GTask *task = user_data;
  KurirSmtpClient *self = g_task_get_source_object (task);
  OpData *op = g_task_get_task_data (task);
  SendData *send = op->send;
  g_autoptr(Reply) reply = NULL;
  guint index = send->n_read;
  GError *error = NULL;

  reply = command_finish (result, &error);
  if (reply == NULL)
    {
      op_return_error (task, error);
      return;
    }
  send->n_read++;
  if (reply->code == 421)
    send->closing = TRUE;

  if (index == 0)
    {
      if (reply->code < 200 || reply->code >= 300)
        {
          g_autofree char *what = g_strdup_printf ("the sender <%s>", send->from);
          send->mail_error = too_large_reply (self, send, reply);
          if (send->mail_error == NULL)
            send->mail_error = reply_error (self, reply, what);
        }
    }
  else if (index == send->commands->len - 1)
    {
      if (reply->code == 354)
        send->data_go = TRUE;
      else
        send->data_error = reply_error (self, reply, "the message");
    }
  else
    {
      const char *address = g_ptr_array_index (send->addresses, index - 1);
      KurirSmtpRecipient *recipient;

      add_recipient_result (send->result, address, reply);
      recipient = g_ptr_array_index (send->result->recipients, send->result->recipients->len - 1);
      if (recipient->status != KURIR_SMTP_RECIPIENT_ACCEPTED)
        g_debug ("%s refused the recipient %s: %s", server_name (self), address,
                 recipient->reply);
    }

  send_continue (task);
}

/* Reads the replies to what was written, then writes the next commands. */
static void
send_continue (GTask *task)
{
  KurirSmtpClient *self = g_task_get_source_object (task);
  OpData *op = g_task_get_task_data (task);
  SendData *send = op->send;
  guint total = send->commands->len;
  g_autoptr(GString) batch = NULL;
  guint end;

  if (send->n_read < send->n_written)
    {
      command_async (self, NULL, 0, g_ptr_array_index (send->commands, send->n_read),
                     KURIR_WRITE_NONE, g_task_get_cancellable (task), send_reply_cb, task);
      return;
    }

  if (send->n_written == total || send->mail_error != NULL ||
      (!send->pipelining && send->n_written == total - 1 && send->result->n_accepted == 0))
    {
      send_envelope_done (task);
      return;
    }

  end = send->pipelining ? MIN (total, send->n_written + KURIR_SMTP_PIPELINE_WINDOW)
                         : send->n_written + 1;
  batch = g_string_new (NULL);
  for (guint i = send->n_written; i < end; i++)
    g_string_append (batch, g_ptr_array_index (send->commands, i));
  send->n_written = end;

  op_write (task, batch->str, batch->len, KURIR_WRITE_NONE, send_continue);
}

static void
send_final_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GTask *task = user_data;
  KurirSmtpClient *self = g_task_get_source_object (task);
  OpData *op = g_task_get_task_data (task);
  SendData *send = op->send;
  g_autoptr(Reply) reply = NULL;
  GError *error = NULL;

  reply = command_finish (result, &error);
  if (reply == NULL)
    {
      GError *uncertain = g_error_new (KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_UNCERTAIN,
                                       "The whole message was sent to %s, but the connection "
                                       "broke before the server confirmed it; it may or may "
                                       "not have been delivered (%s)",
                                       server_name (self), error->message);
      g_error_free (error);
      op_return_error (task, uncertain);
      return;
    }

  if (reply->code < 200 || reply->code >= 300)
    {
      error = too_large_reply (self, send, reply);
      if (error == NULL)
        error = reply_error (self, reply, "the message");
      if (error->code == KURIR_SMTP_ERROR_PROTOCOL)
        {
          error->code = KURIR_SMTP_ERROR_UNCERTAIN;
          g_prefix_error (&error, "Delivery uncertain: ");
        }
      if (reply->code == 421)
        drop_connection (self);
      op_return_error (task, error);
      return;
    }

  {
    g_autofree char *text = reply_text (reply);

    send->result->reply = g_strdup (text + 4);
    g_debug ("%s took the message for %u of %u recipients: %s", server_name (self),
             send->result->n_accepted, send->result->recipients->len, text);
  }
  op_return_pointer (task, g_steal_pointer (&send->result),
                     (GDestroyNotify) kurir_smtp_send_result_free);
}

static void
send_dot_written_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  GTask *task = user_data;
  KurirSmtpClient *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (!kurir_connection_write_finish (KURIR_CONNECTION (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          /* A write cancelled as it finished may have gone out. */
          GError *uncertain = g_error_new (KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_UNCERTAIN,
                                           "Sending to %s was cancelled just as the message "
                                           "was complete; it may or may not have been "
                                           "delivered", server_name (self));
          g_error_free (error);
          error = uncertain;
        }
      /* Else the write failed: the socket took none of the "." (a failed
       * send takes no bytes), so the server has no complete message. */
      op_return_error (task, error);
      return;
    }
  kurir_checkpoint ("smtp-dot-sent");
  command_async (self, NULL, 0, "the message", KURIR_WRITE_NONE,
                 g_task_get_cancellable (task), send_final_cb, task);
}

static void
send_upload (GTask *task)
{
  KurirSmtpClient *self = g_task_get_source_object (task);
  OpData *op = g_task_get_task_data (task);
  SendData *send = op->send;
  g_autofree guint8 *chunk = g_malloc (DATA_CHUNK + 4);
  gsize n;

  n = encode_chunk (&send->encoder, chunk);
  if (n > 0)
    {
      /* A failure here is safe: without the "." the server drops what it got. */
      op_write (task, chunk, n, KURIR_WRITE_SENSITIVE, send_upload);
      return;
    }

  /* The caller records durably that the "." goes now: a crash before
   * this point leaves a message that was certainly not delivered. */
  if (self->before_dot != NULL)
    {
      GError *error = NULL;

      if (!self->before_dot (self, self->before_dot_data, &error))
        {
          /* No "." sent: closing the connection drops the data. */
          g_assert (error != NULL);
          drop_connection (self);
          op_return_error (task, error);
          return;
        }
    }

  /* From here on a broken connection leaves the delivery uncertain. */
  kurir_connection_write_async (self->connection, ".\r\n", 3, KURIR_WRITE_NONE,
                                g_task_get_cancellable (task), send_dot_written_cb, task);
}

static gboolean
send_prepare (KurirSmtpClient     *self,
              SendData            *send,
              const char          *from,
              const char * const  *recipients,
              GError             **error)
{
  gsize length;
  const guint8 *data = g_bytes_get_data (send->message, &length);
  g_autoptr(GPtrArray) rcpt = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *wire_from = NULL;
  g_autoptr(GString) mail = NULL;
  gboolean utf8 = FALSE;
  MessageScan scan;
  guint64 max_size;

  if (recipients == NULL || recipients[0] == NULL)
    {
      g_set_error (error, KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_INVALID,
                   "The message has no recipient");
      return FALSE;
    }

  wire_from = wire_address (self, from, TRUE, &utf8, error);
  if (wire_from == NULL)
    return FALSE;

  for (guint i = 0; recipients[i] != NULL; i++)
    {
      char *wire;

      if (g_hash_table_contains (seen, recipients[i]))
        continue;
      g_hash_table_add (seen, (gpointer) recipients[i]);
      wire = wire_address (self, recipients[i], FALSE, &utf8, error);
      if (wire == NULL)
        return FALSE;
      /* The wire form; the result names the address as the caller gave it. */
      g_ptr_array_add (rcpt, g_strdup_printf ("RCPT TO:<%s>\r\n", wire));
      g_ptr_array_add (send->addresses, g_strdup (recipients[i]));
      g_free (wire);
    }

  if (length == 0)
    {
      g_set_error (error, KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_INVALID, "The message is empty");
      return FALSE;
    }

  scan_message (data, length, &scan);
  if (scan.nul)
    {
      g_set_error (error, KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_INVALID,
                   "The message contains NUL bytes, which SMTP cannot carry; it must be "
                   "encoded (base64) first");
      return FALSE;
    }
  if (scan.eight_bit && !g_hash_table_contains (self->extensions, "8BITMIME"))
    {
      g_set_error (error, KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_NOT_SUPPORTED,
                   "The message contains 8-bit data and %s accepts only 7-bit messages "
                   "(no 8BITMIME); it must be encoded as quoted-printable or base64",
                   server_name (self));
      return FALSE;
    }

  max_size = kurir_smtp_client_get_max_size (self);
  if (max_size > 0 && scan.size > max_size)
    {
      g_autofree char *size = g_format_size (scan.size);
      g_autofree char *limit = g_format_size (max_size);

      g_set_error (error, KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_TOO_LARGE,
                   "The message is %" G_GUINT64_FORMAT " bytes (%s), larger than the "
                   "%" G_GUINT64_FORMAT " bytes (%s) that %s accepts; nothing was sent",
                   scan.size, size, max_size, limit, server_name (self));
      return FALSE;
    }

  if (scan.header_eight_bit && g_hash_table_contains (self->extensions, "SMTPUTF8"))
    utf8 = TRUE;

  mail = g_string_new (NULL);
  g_string_append_printf (mail, "MAIL FROM:<%s>", wire_from);
  if (g_hash_table_contains (self->extensions, "SIZE"))
    g_string_append_printf (mail, " SIZE=%" G_GUINT64_FORMAT, scan.size);
  if (scan.eight_bit)
    g_string_append (mail, " BODY=8BITMIME");
  if (utf8)
    g_string_append (mail, " SMTPUTF8");
  g_string_append (mail, "\r\n");

  send->from = g_strdup (wire_from);
  g_ptr_array_add (send->commands, g_string_free (g_steal_pointer (&mail), FALSE));
  for (guint i = 0; i < rcpt->len; i++)
    g_ptr_array_add (send->commands, g_strdup (g_ptr_array_index (rcpt, i)));
  g_ptr_array_add (send->commands, g_strdup ("DATA\r\n"));

  send->result->size = scan.size;
  send->encoder.data = data;
  send->encoder.length = length;
  send->encoder.line_start = TRUE;
  return TRUE;
}

static void
send_run (GTask *task)
{
  KurirSmtpClient *self = g_task_get_source_object (task);
  OpData *op = g_task_get_task_data (task);
  SendData *send = op->send;
  GError *error = NULL;

  if (!check_ready (task))
    return;

  if (!send_prepare (self, send, send->from_arg,
                     (const char * const *) send->recipients_arg, &error))
    {
      op_return_error_full (task, error, TRUE);
      return;
    }

  send->pipelining = g_hash_table_contains (self->extensions, "PIPELINING") &&
                     (send->flags & KURIR_SMTP_SEND_NO_PIPELINING) == 0;
  send_continue (task);
}

/* Operations: simple commands */

static void
simple_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  GTask *task = user_data;
  KurirSmtpClient *self = g_task_get_source_object (task);
  g_autoptr(Reply) reply = NULL;
  gboolean quit = g_task_get_source_tag (task) == kurir_smtp_client_quit_async;
  GError *error = NULL;

  reply = command_finish (result, &error);
  if (quit)
    drop_connection (self);
  if (reply == NULL)
    {
      op_return_error (task, error);
      return;
    }
  if (!quit && reply->code != 250)
    {
      error = reply_error (self, reply, g_task_get_source_tag (task) == kurir_smtp_client_noop_async
                                        ? "NOOP" : "RSET");
      if (reply->code == 421)
        drop_connection (self);
      op_return_error (task, error);
      return;
    }
  op_return_boolean (task);
}

static void
simple_run (GTask *task)
{
  KurirSmtpClient *self = g_task_get_source_object (task);
  gpointer tag = g_task_get_source_tag (task);
  const char *command = tag == kurir_smtp_client_quit_async ? "QUIT"
                      : tag == kurir_smtp_client_noop_async ? "NOOP" : "RSET";

  if (!check_ready (task))
    return;
  command_line_async (self, command, NULL, KURIR_WRITE_NONE, g_task_get_cancellable (task),
                      simple_cb, task);
}

/* Overrides */

static void
kurir_smtp_client_dispose (GObject *object)
{
  KurirSmtpClient *self = KURIR_SMTP_CLIENT (object);

  g_assert (self->current == NULL);
  g_queue_clear_full (&self->queue, g_object_unref);
  g_clear_object (&self->connection);

  G_OBJECT_CLASS (kurir_smtp_client_parent_class)->dispose (object);
}

static void
kurir_smtp_client_finalize (GObject *object)
{
  KurirSmtpClient *self = KURIR_SMTP_CLIENT (object);

  g_free (self->client_name);
  g_free (self->forced_mechanism);
  g_free (self->greeting);
  g_hash_table_unref (self->extensions);
  g_strfreev (self->auth_mechanisms);
  g_free (self->auth_mechanism);
  if (self->before_dot_notify != NULL)
    self->before_dot_notify (self->before_dot_data);

  G_OBJECT_CLASS (kurir_smtp_client_parent_class)->finalize (object);
}

static void
kurir_smtp_client_class_init (KurirSmtpClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kurir_smtp_client_dispose;
  object_class->finalize = kurir_smtp_client_finalize;
}

static void
kurir_smtp_client_init (KurirSmtpClient *self)
{
  self->client_name = default_client_name ();
  self->extensions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_queue_init (&self->queue);
}

/* Public API */

void
kurir_smtp_send_result_free (KurirSmtpSendResult *result)
{
  if (result == NULL)
    return;
  g_ptr_array_unref (result->recipients);
  g_free (result->reply);
  g_free (result);
}

/**
 * kurir_smtp_client_new:
 * @connection: a connection not yet connected, set up with the account's
 *   host, port, security and CA file
 *
 * The client takes over the connection: it logs the wire under the domain
 * "kurir-smtp" (G_MESSAGES_DEBUG=kurir-smtp), credentials and message data
 * as "***".
 */
KurirSmtpClient *
kurir_smtp_client_new (KurirConnection *connection)
{
  KurirSmtpClient *self;

  g_return_val_if_fail (KURIR_IS_CONNECTION (connection), NULL);

  self = g_object_new (KURIR_TYPE_SMTP_CLIENT, NULL);
  self->connection = g_object_ref (connection);
  kurir_connection_set_log_domain (connection, G_LOG_DOMAIN);
  return self;
}

KurirConnection *
kurir_smtp_client_get_connection (KurirSmtpClient *self)
{
  g_return_val_if_fail (KURIR_IS_SMTP_CLIENT (self), NULL);
  return self->connection;
}

/**
 * kurir_smtp_client_set_allow_plaintext:
 *
 * Whether a connection with KURIR_SECURITY_NONE may be used (the user
 * allowed it for this account). Off by default: connecting fails with
 * KURIR_NET_ERROR_PLAINTEXT_REFUSED.
 */
void
kurir_smtp_client_set_allow_plaintext (KurirSmtpClient *self,
                                       gboolean         allow)
{
  g_return_if_fail (KURIR_IS_SMTP_CLIENT (self));
  self->allow_plaintext = allow;
}

/**
 * kurir_smtp_client_set_client_name:
 * @name: (nullable): a fully qualified domain name or an address literal
 *   ("[192.0.2.1]", "[IPv6:2001:db8::1]"); %NULL for the default
 *
 * The name given with EHLO. The default is the host name when it is a
 * fully qualified domain name, else "[127.0.0.1]". Anything else is
 * ignored (with a warning), so nothing odd ever reaches the server.
 */
void
kurir_smtp_client_set_client_name (KurirSmtpClient *self,
                                   const char      *name)
{
  g_return_if_fail (KURIR_IS_SMTP_CLIENT (self));

  if (name != NULL && !is_ldh_domain (name) && !is_address_literal (name))
    {
      g_warning ("Not a valid EHLO name: %s", name);
      return;
    }
  g_free (self->client_name);
  self->client_name = name != NULL ? g_strdup (name) : default_client_name ();
}

const char *
kurir_smtp_client_get_client_name (KurirSmtpClient *self)
{
  g_return_val_if_fail (KURIR_IS_SMTP_CLIENT (self), NULL);
  return self->client_name;
}

/**
 * kurir_smtp_client_set_mechanism:
 * @mechanism: (nullable): the SASL mechanism to use; %NULL: the strongest
 *   offered of SCRAM-SHA-256, SCRAM-SHA-1, PLAIN, LOGIN
 */
void
kurir_smtp_client_set_mechanism (KurirSmtpClient *self,
                                 const char      *mechanism)
{
  g_return_if_fail (KURIR_IS_SMTP_CLIENT (self));

  g_free (self->forced_mechanism);
  self->forced_mechanism = mechanism != NULL ? g_ascii_strup (mechanism, -1) : NULL;
}

/**
 * kurir_smtp_client_get_greeting:
 *
 * Returns: (nullable): the text of the server's 220 greeting
 */
const char *
kurir_smtp_client_get_greeting (KurirSmtpClient *self)
{
  g_return_val_if_fail (KURIR_IS_SMTP_CLIENT (self), NULL);
  return self->greeting;
}

/**
 * kurir_smtp_client_has_extension:
 * @name: an EHLO keyword (case-insensitive): "8BITMIME", "SMTPUTF8", ...
 *
 * Returns: whether the server offers it (after STARTTLS: what it offered
 *   inside TLS)
 */
gboolean
kurir_smtp_client_has_extension (KurirSmtpClient *self,
                                 const char      *name)
{
  return kurir_smtp_client_get_extension (self, name) != NULL;
}

/**
 * kurir_smtp_client_get_extension:
 *
 * Returns: (nullable): the parameters of extension @name ("" when it has
 *   none), %NULL when it is not offered
 */
const char *
kurir_smtp_client_get_extension (KurirSmtpClient *self,
                                 const char      *name)
{
  g_autofree char *key = NULL;

  g_return_val_if_fail (KURIR_IS_SMTP_CLIENT (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  key = g_ascii_strup (name, -1);
  return g_hash_table_lookup (self->extensions, key);
}

/**
 * kurir_smtp_client_get_max_size:
 *
 * Returns: the largest message the server accepts in octets (SIZE), 0 when
 *   it states no limit
 */
guint64
kurir_smtp_client_get_max_size (KurirSmtpClient *self)
{
  const char *params;
  guint64 size = 0;

  g_return_val_if_fail (KURIR_IS_SMTP_CLIENT (self), 0);

  params = g_hash_table_lookup (self->extensions, "SIZE");
  if (params == NULL || *params == '\0')
    return 0;
  {
    g_autofree char *number = g_strndup (params, strcspn (params, " "));

    if (!g_ascii_string_to_unsigned (number, 10, 0, G_MAXUINT64, &size, NULL))
      return 0;
  }
  return size;
}

/**
 * kurir_smtp_client_get_auth_mechanisms:
 *
 * Returns: (nullable): the SASL mechanisms the server offers, upper case
 */
const char * const *
kurir_smtp_client_get_auth_mechanisms (KurirSmtpClient *self)
{
  g_return_val_if_fail (KURIR_IS_SMTP_CLIENT (self), NULL);
  return (const char * const *) self->auth_mechanisms;
}

/**
 * kurir_smtp_client_get_auth_mechanism:
 *
 * Returns: (nullable): the mechanism of the last login attempt
 */
const char *
kurir_smtp_client_get_auth_mechanism (KurirSmtpClient *self)
{
  g_return_val_if_fail (KURIR_IS_SMTP_CLIENT (self), NULL);
  return self->auth_mechanism;
}

gboolean
kurir_smtp_client_is_connected (KurirSmtpClient *self)
{
  g_return_val_if_fail (KURIR_IS_SMTP_CLIENT (self), FALSE);
  return self->state == STATE_READY && !self->busy_connecting;
}

gboolean
kurir_smtp_client_is_authenticated (KurirSmtpClient *self)
{
  g_return_val_if_fail (KURIR_IS_SMTP_CLIENT (self), FALSE);
  return self->state == STATE_READY && self->authenticated;
}

/**
 * kurir_smtp_client_connect_async:
 *
 * Connects, reads the greeting, says EHLO, and with STARTTLS upgrades the
 * connection and says EHLO again. A client connects once; make a new one
 * (with a new connection) for the next session.
 */
void
kurir_smtp_client_connect_async (KurirSmtpClient     *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (KURIR_IS_SMTP_CLIENT (self));

  op_start (self, op_new (self, connect_run, kurir_smtp_client_connect_async,
                          cancellable, callback, user_data));
}

gboolean
kurir_smtp_client_connect_finish (KurirSmtpClient  *self,
                                  GAsyncResult     *result,
                                  GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * kurir_smtp_client_authenticate_async:
 *
 * Logs in with SASL (RFC 4954): the mechanism set with
 * kurir_smtp_client_set_mechanism(), else the strongest offered. The
 * password is wiped from memory once the exchange is over. 535 fails with
 * KURIR_SMTP_ERROR_AUTH_FAILED; the session stays usable for another try.
 */
void
kurir_smtp_client_authenticate_async (KurirSmtpClient     *self,
                                      const char          *username,
                                      const char          *password,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  GTask *task;
  OpData *op;

  g_return_if_fail (KURIR_IS_SMTP_CLIENT (self));
  g_return_if_fail (username != NULL);
  g_return_if_fail (password != NULL);

  task = op_new (self, auth_run, kurir_smtp_client_authenticate_async,
                 cancellable, callback, user_data);
  op = g_task_get_task_data (task);
  op->username = g_strdup (username);
  op->password = g_strdup (password);
  op_start (self, task);
}

gboolean
kurir_smtp_client_authenticate_finish (KurirSmtpClient  *self,
                                       GAsyncResult     *result,
                                       GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Calls @func, on the send's main context, after the whole message data
 * was written and just before the final "." of each send: the last moment
 * at which the message is certainly not delivered. A caller that keeps a
 * durable state (an outbox) records there that the "." is going out. When
 * @func fails, the "." is not sent, the connection is closed (the server
 * drops the data) and the send fails with @func's error: not delivered.
 * NULL removes the hook. */
void
kurir_smtp_client_set_before_dot_func (KurirSmtpClient        *self,
                                       KurirSmtpBeforeDotFunc  func,
                                       gpointer                user_data,
                                       GDestroyNotify          notify)
{
  g_return_if_fail (KURIR_IS_SMTP_CLIENT (self));

  if (self->before_dot_notify != NULL)
    self->before_dot_notify (self->before_dot_data);
  self->before_dot = func;
  self->before_dot_data = user_data;
  self->before_dot_notify = notify;
}

/**
 * kurir_smtp_client_send_async:
 * @from: the envelope sender (MAIL FROM), "" for the null reverse-path
 * @recipients: the envelope recipients (To, Cc and Bcc), %NULL-terminated;
 *   an address given twice is sent to once
 * @message: the RFC 5322 message; any line ends (they become CRLF);
 *   the message is not changed otherwise (Bcc is the builder's business)
 * @flags: #KurirSmtpSendFlags
 *
 * Submits one message. Everything that can be checked before a byte is
 * sent is: addresses (KURIR_SMTP_ERROR_INVALID for line breaks, control
 * characters, angle brackets; NOT_SUPPORTED for a non-ASCII address
 * without SMTPUTF8, unless only its domain is non-ASCII, which then goes
 * as its ASCII form), the message (INVALID for NUL bytes; NOT_SUPPORTED
 * for 8-bit data without 8BITMIME) and its size (TOO_LARGE, naming both
 * sizes). Then MAIL FROM with SIZE=, BODY=8BITMIME, SMTPUTF8 as needed,
 * RCPT TO for each recipient, DATA.
 *
 * When the server refuses some recipients, the message goes to the others
 * and the result lists who was refused, and why. When it refuses all, the
 * transaction is reset and the send fails (TEMPORARY when any refusal was
 * 4xx, else PERMANENT), naming them. A KURIR_NET_ERROR, or
 * G_IO_ERROR_CANCELLED, means the final "." never reached the server: the
 * message was not delivered; safe to send again. KURIR_SMTP_ERROR_UNCERTAIN:
 * it may have reached it and the reply never came (connection lost, timeout,
 * cancelled, garbage): ask the user before sending again.
 *
 * Several messages may be sent in one session, one after the other.
 */
void
kurir_smtp_client_send_async (KurirSmtpClient     *self,
                              const char          *from,
                              const char * const  *recipients,
                              GBytes              *message,
                              KurirSmtpSendFlags   flags,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task;
  OpData *op;

  g_return_if_fail (KURIR_IS_SMTP_CLIENT (self));
  g_return_if_fail (from != NULL);
  g_return_if_fail (message != NULL);

  task = op_new (self, send_run, kurir_smtp_client_send_async,
                 cancellable, callback, user_data);
  op = g_task_get_task_data (task);
  op->send = g_new0 (SendData, 1);
  op->send->from_arg = g_strdup (from);
  op->send->recipients_arg = g_strdupv ((char **) recipients);
  op->send->addresses = g_ptr_array_new_with_free_func (g_free);
  op->send->commands = g_ptr_array_new_with_free_func (g_free);
  op->send->message = g_bytes_ref (message);
  op->send->flags = flags;
  op->send->result = g_new0 (KurirSmtpSendResult, 1);
  op->send->result->recipients = g_ptr_array_new_with_free_func ((GDestroyNotify) recipient_free);
  op_start (self, task);
}

/**
 * kurir_smtp_client_send_finish:
 *
 * Returns: (transfer full): who the message went to, and who was refused
 */
KurirSmtpSendResult *
kurir_smtp_client_send_finish (KurirSmtpClient  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * kurir_smtp_client_reset_async:
 *
 * RSET: drops a transaction in progress (there is none between sends).
 */
void
kurir_smtp_client_reset_async (KurirSmtpClient     *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_return_if_fail (KURIR_IS_SMTP_CLIENT (self));

  op_start (self, op_new (self, simple_run, kurir_smtp_client_reset_async,
                          cancellable, callback, user_data));
}

gboolean
kurir_smtp_client_reset_finish (KurirSmtpClient  *self,
                                GAsyncResult     *result,
                                GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * kurir_smtp_client_noop_async:
 *
 * NOOP: checks that the session is alive (before reusing an idle one).
 */
void
kurir_smtp_client_noop_async (KurirSmtpClient     *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (KURIR_IS_SMTP_CLIENT (self));

  op_start (self, op_new (self, simple_run, kurir_smtp_client_noop_async,
                          cancellable, callback, user_data));
}

gboolean
kurir_smtp_client_noop_finish (KurirSmtpClient  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * kurir_smtp_client_quit_async:
 *
 * QUIT, then closes the connection, whatever the server answers. An error
 * here says only that the goodbye was not heard: messages sent before are
 * not affected.
 */
void
kurir_smtp_client_quit_async (KurirSmtpClient     *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (KURIR_IS_SMTP_CLIENT (self));

  op_start (self, op_new (self, simple_run, kurir_smtp_client_quit_async,
                          cancellable, callback, user_data));
}

gboolean
kurir_smtp_client_quit_finish (KurirSmtpClient  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * kurir_smtp_client_disconnect:
 *
 * Drops the connection without QUIT. Operations still queued fail with
 * KURIR_NET_ERROR_CLOSED.
 */
void
kurir_smtp_client_disconnect (KurirSmtpClient *self)
{
  g_return_if_fail (KURIR_IS_SMTP_CLIENT (self));
  drop_connection (self);
}
