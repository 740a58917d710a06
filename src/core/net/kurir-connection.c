/* kurir-connection.c: a line-oriented connection to a mail server over GIO
 *
 * One connection carries one protocol session (IMAP, POP3 or SMTP). It knows
 * nothing of the protocol: it connects, upgrades to TLS when told to, reads
 * bounded lines and writes bytes, and logs the wire with credentials hidden.
 *
 * Trust: the system's anchors, plus the account's own CA file when one is
 * set. A certificate that neither validates stops the handshake; there is
 * no switch that turns validation off.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-net"

#include "config.h"

#include <string.h>

#include "kurir-connection.h"
#include "kurir-net-error.h"

#define INITIAL_BUFFER_SIZE 16384
#define WIRE_LOG_MAX        512

struct _KurirConnection
{
  GObject               parent_instance;

  char                 *host;
  guint16               port;
  KurirSecurity         security;
  char                 *log_domain;
  guint                 timeout;
  gsize                 max_line_length;

  GTlsDatabase         *ca_database;      /* the account's own anchors, or NULL */
  GTlsCertificate      *pinned_certificate; /* accepted as is for this host, or NULL */
  GSocketConnectable   *identity;

  GSocketConnection    *socket_connection;
  GIOStream            *stream;           /* the socket, or TLS over it */
  GBufferedInputStream *input;
  GOutputStream        *output;

  GTlsCertificate      *peer_certificate;
  GTlsCertificateFlags  peer_certificate_errors;

  gboolean              wire_logging;     /* wire_log_enabled(), checked at each fill */
  gboolean              compressed;       /* COMPRESS=DEFLATE (RFC 4978) is on */
  GInputStream         *raw_input;        /* under the decompressor, when compressed */
};

G_DEFINE_TYPE (KurirConnection, kurir_connection, G_TYPE_OBJECT)

typedef struct
{
  gsize scanned;
  gsize length;
} ReadLineData;

/* Helpers */

static gboolean
wire_log_enabled (KurirConnection *self)
{
  return !g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, self->log_domain);
}

static void
wire_log (KurirConnection *self,
          const char      *direction,
          const char      *data,
          gsize            length,
          gboolean         sensitive)
{
  g_autofree char *shown = NULL;
  g_autofree char *escaped = NULL;

  if (!wire_log_enabled (self))
    return;

  if (sensitive)
    {
      g_log (self->log_domain, G_LOG_LEVEL_DEBUG, "%s:%u %s ***",
             self->host, self->port, direction);
      return;
    }

  while (length > 0 && (data[length - 1] == '\n' || data[length - 1] == '\r'))
    length--;
  shown = g_strndup (data, MIN (length, WIRE_LOG_MAX));
  escaped = g_strescape (shown, NULL);
  g_log (self->log_domain, G_LOG_LEVEL_DEBUG, "%s:%u %s %s%s",
         self->host, self->port, direction, escaped,
         length > WIRE_LOG_MAX ? " [...]" : "");
}

static const char *
server_name (KurirConnection *self)
{
  return self->host;
}

/**
 * kurir_connection_dup_certificate_fingerprint:
 *
 * Returns: (nullable): "AB:CD:…", the SHA-256 of the certificate's DER
 */
char *
kurir_connection_dup_certificate_fingerprint (GTlsCertificate *certificate)
{
  g_autoptr(GByteArray) der = NULL;
  g_autoptr(GChecksum) checksum = NULL;
  guint8 digest[32];
  gsize length = sizeof digest;
  GString *text;

  if (certificate == NULL)
    return NULL;
  g_object_get (certificate, "certificate", &der, NULL);
  if (der == NULL)
    return NULL;
  checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (checksum, der->data, der->len);
  g_checksum_get_digest (checksum, digest, &length);
  text = g_string_new (NULL);
  for (gsize i = 0; i < length; i++)
    g_string_append_printf (text, i ? ":%02X" : "%02X", digest[i]);
  return g_string_free (text, FALSE);
}

/* Turns a GIO or TLS error into one of ours with the server named; a
 * cancellation stays a G_IO_ERROR_CANCELLED so callers can recognise it. */
static GError *
translate_error (KurirConnection *self,
                 GError          *error,
                 gboolean         connecting)
{
  GError *ret;

  if (error->domain == KURIR_NET_ERROR ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    ret = g_error_new (KURIR_NET_ERROR, KURIR_NET_ERROR_TIMEOUT,
                       "%s:%u did not answer in time",
                       server_name (self), self->port);
  else if (g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE))
    {
      g_autofree char *why =
        kurir_connection_describe_certificate_errors (self->peer_certificate_errors);
      g_autofree char *fingerprint = kurir_connection_dup_certificate_fingerprint (self->peer_certificate);

      ret = g_error_new (KURIR_NET_ERROR, KURIR_NET_ERROR_CERTIFICATE,
                         "The certificate of %s:%u is not trusted: %s%s%s",
                         server_name (self), self->port, why,
                         fingerprint ? " (SHA-256 " : "",
                         fingerprint ? fingerprint : "");
      if (fingerprint != NULL)
        {
          g_autofree char *message = g_strconcat (ret->message, ")", NULL);
          g_free (ret->message);
          ret->message = g_steal_pointer (&message);
        }
    }
  else if (error->domain == G_TLS_ERROR)
    ret = g_error_new (KURIR_NET_ERROR, KURIR_NET_ERROR_TLS,
                       "A secure connection to %s:%u could not be made: %s",
                       server_name (self), self->port, error->message);
  else if (connecting)
    ret = g_error_new (KURIR_NET_ERROR, KURIR_NET_ERROR_CONNECT,
                       "Cannot connect to %s:%u: %s",
                       server_name (self), self->port, error->message);
  else
    ret = g_error_new (KURIR_NET_ERROR, KURIR_NET_ERROR_CLOSED,
                       "The connection to %s:%u was lost: %s",
                       server_name (self), self->port, error->message);

  return ret;
}

static void
return_error (GTask           *task,
              KurirConnection *self,
              GError          *error,
              gboolean         connecting)
{
  g_task_return_error (task, translate_error (self, error, connecting));
  g_error_free (error);
}

static void
set_streams (KurirConnection *self,
             GIOStream       *stream)
{
  GInputStream *base_input;

  if (self->input != NULL)
    g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (self->input), FALSE);
  g_clear_object (&self->input);
  g_set_object (&self->stream, stream);

  /* A new buffer: whatever was read before a TLS upgrade is never parsed. */
  base_input = g_io_stream_get_input_stream (stream);
  self->input = G_BUFFERED_INPUT_STREAM (g_buffered_input_stream_new_sized (base_input,
                                                                            INITIAL_BUFFER_SIZE));
  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (self->input), FALSE);
  self->output = g_io_stream_get_output_stream (stream);
}

/* The account's CA file is consulted only when the system's anchors did not
 * validate the chain; then the chain must validate fully against it,
 * including the host name. It never widens trust for other accounts. */
static gboolean
accept_certificate_cb (GTlsConnection       *connection,
                       GTlsCertificate      *peer_certificate,
                       GTlsCertificateFlags  errors,
                       gpointer              user_data)
{
  KurirConnection *self = user_data;
  GTlsDatabase *database;
  GTlsCertificateFlags flags;
  g_autoptr(GError) error = NULL;

  g_set_object (&self->peer_certificate, peer_certificate);
  self->peer_certificate_errors = errors;

  /* A certificate the user pinned for this host, port and protocol: only
   * that exact certificate (same DER bytes) is accepted, nothing else. */
  if (self->pinned_certificate != NULL &&
      g_tls_certificate_is_same (self->pinned_certificate, peer_certificate))
    {
      g_debug ("%s:%u: accepting the pinned certificate", self->host, self->port);
      return TRUE;
    }

  database = self->ca_database;
  if (database == NULL)
    database = g_tls_connection_get_database (connection);
  if (database == NULL)
    return FALSE;

  flags = g_tls_database_verify_chain (database, peer_certificate,
                                       G_TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER,
                                       self->identity, NULL,
                                       G_TLS_DATABASE_VERIFY_NONE, NULL, &error);
  if (error != NULL)
    {
      g_debug ("Could not verify the certificate of %s: %s", self->host, error->message);
      return FALSE;
    }

  if (self->ca_database == NULL)
    {
      /* Only a fuller reason for the error message: never accepted here. */
      if (flags != 0)
        self->peer_certificate_errors = flags;
      return FALSE;
    }

  self->peer_certificate_errors = flags;
  return flags == 0;
}

static gboolean
check_protocol_version (KurirConnection  *self,
                        GTlsConnection   *tls,
                        GError          **error)
{
  switch (g_tls_connection_get_protocol_version (tls))
    {
    case G_TLS_PROTOCOL_VERSION_SSL_3_0:
    case G_TLS_PROTOCOL_VERSION_TLS_1_0:
    case G_TLS_PROTOCOL_VERSION_TLS_1_1:
    case G_TLS_PROTOCOL_VERSION_DTLS_1_0:
      g_set_error (error, KURIR_NET_ERROR, KURIR_NET_ERROR_TLS,
                   "%s:%u only offers an outdated version of TLS, which is not safe",
                   server_name (self), self->port);
      return FALSE;
    default:
      return TRUE;
    }
}

static GTlsConnection *
make_tls_connection (KurirConnection  *self,
                     GError          **error)
{
  GIOStream *tls;

  tls = g_tls_client_connection_new (G_IO_STREAM (self->socket_connection),
                                     self->identity, error);
  if (tls == NULL)
    return NULL;

  self->peer_certificate_errors = 0;
  g_clear_object (&self->peer_certificate);
  g_signal_connect_object (tls, "accept-certificate",
                           G_CALLBACK (accept_certificate_cb), self, 0);

  return G_TLS_CONNECTION (tls);
}

static void
handshake_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KurirConnection *self = g_task_get_source_object (task);
  GTlsConnection *tls = G_TLS_CONNECTION (source);
  GError *error = NULL;

  if (!g_tls_connection_handshake_finish (tls, result, &error) ||
      !check_protocol_version (self, tls, &error))
    {
      return_error (task, self, error, TRUE);
      return;
    }

  if (self->peer_certificate == NULL)
    self->peer_certificate = g_tls_connection_get_peer_certificate (tls) ?
      g_object_ref (g_tls_connection_get_peer_certificate (tls)) : NULL;

  set_streams (self, G_IO_STREAM (tls));
  g_debug ("%s:%u: TLS established", self->host, self->port);
  g_task_return_boolean (task, TRUE);
}

static void
start_handshake (KurirConnection *self,
                 GTask           *task)
{
  g_autoptr(GTlsConnection) tls = NULL;
  GError *error = NULL;

  tls = make_tls_connection (self, &error);
  if (tls == NULL)
    {
      return_error (task, self, error, TRUE);
      g_object_unref (task);
      return;
    }

  g_tls_connection_handshake_async (tls, G_PRIORITY_DEFAULT,
                                    g_task_get_cancellable (task),
                                    handshake_cb, task);
}

static void
connect_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KurirConnection *self = g_task_get_source_object (task);
  GError *error = NULL;

  self->socket_connection =
    g_socket_client_connect_to_host_finish (G_SOCKET_CLIENT (source), result, &error);
  if (self->socket_connection == NULL)
    {
      return_error (task, self, error, TRUE);
      return;
    }

  if (self->security == KURIR_SECURITY_TLS)
    {
      start_handshake (self, g_steal_pointer (&task));
      return;
    }

  set_streams (self, G_IO_STREAM (self->socket_connection));
  g_task_return_boolean (task, TRUE);
}

static GError *
line_too_long (KurirConnection *self)
{
  return g_error_new (KURIR_NET_ERROR, KURIR_NET_ERROR_PROTOCOL,
                      "%s:%u sent a line longer than %" G_GSIZE_FORMAT " bytes",
                      server_name (self), self->port, self->max_line_length);
}

/* The next whole line in the buffer, consumed: one memchr from where the
 * last scan stopped, no copy, no I/O. Returns: the line without its line
 * end (valid until the buffer is filled again), or NULL, with @error set
 * when the line is already too long. */
static const char *
take_line (KurirConnection  *self,
           gsize            *scanned,
           gsize            *out_length,
           GError          **error)
{
  const char *buffer;
  const char *newline;
  gsize available;
  gsize length;

  buffer = g_buffered_input_stream_peek_buffer (self->input, &available);
  newline = *scanned < available ? memchr (buffer + *scanned, '\n', available - *scanned) : NULL;
  if (newline == NULL)
    {
      *scanned = available;
      if (available > self->max_line_length + 1)
        g_propagate_error (error, line_too_long (self));
      return NULL;
    }

  length = newline - buffer + 1;
  *scanned = 0;
  /* Buffered: the skip only moves the buffer's start. */
  g_input_stream_skip (G_INPUT_STREAM (self->input), length, NULL, NULL);
  length--;
  if (length > 0 && buffer[length - 1] == '\r')
    length--;
  if (length > self->max_line_length)
    {
      g_propagate_error (error, line_too_long (self));
      return NULL;
    }
  if (self->wire_logging)
    wire_log (self, "S:", buffer, length, FALSE);
  *out_length = length;
  return buffer;
}

static void read_line_step (GTask *task);

static void
fill_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KurirConnection *self = g_task_get_source_object (task);
  GError *error = NULL;
  gssize n;

  n = g_buffered_input_stream_fill_finish (G_BUFFERED_INPUT_STREAM (source), result, &error);
  if (n < 0)
    {
      return_error (task, self, error, FALSE);
      return;
    }
  if (n == 0)
    {
      g_task_return_new_error (task, KURIR_NET_ERROR, KURIR_NET_ERROR_CLOSED,
                               "%s:%u closed the connection",
                               server_name (self), self->port);
      return;
    }

  read_line_step (g_steal_pointer (&task));
}

static void
read_line_step (GTask *task)
{
  KurirConnection *self = g_task_get_source_object (task);
  ReadLineData *data = g_task_get_task_data (task);
  const char *line;
  gsize size;
  GError *error = NULL;

  self->wire_logging = wire_log_enabled (self);
  line = take_line (self, &data->scanned, &data->length, &error);
  if (error != NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  if (line != NULL)
    {
      g_task_return_pointer (task, g_strndup (line, data->length), g_free);
      g_object_unref (task);
      return;
    }

  size = g_buffered_input_stream_get_buffer_size (self->input);
  if (data->scanned >= size)
    g_buffered_input_stream_set_buffer_size (self->input, MIN (size * 2, self->max_line_length + 3));

  g_buffered_input_stream_fill_async (self->input, -1, G_PRIORITY_DEFAULT,
                                      g_task_get_cancellable (task), fill_cb, task);
}

static void
return_chunk (GTask *task)
{
  KurirConnection *self = g_task_get_source_object (task);
  gsize max_length = GPOINTER_TO_SIZE (g_task_get_task_data (task));
  gsize available;
  gsize length;
  char *data;
  GError *error = NULL;

  g_buffered_input_stream_peek_buffer (self->input, &available);
  length = MIN (available, max_length);
  data = g_malloc (length);
  /* Buffered: no I/O. */
  if (!g_input_stream_read_all (G_INPUT_STREAM (self->input), data, length, NULL, NULL, &error))
    {
      g_free (data);
      g_task_return_error (task, error);
      return;
    }
  wire_log (self, "S:", data, length, FALSE);
  g_task_return_pointer (task, g_bytes_new_take (data, length), (GDestroyNotify) g_bytes_unref);
}

static void
fill_chunk_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KurirConnection *self = g_task_get_source_object (task);
  GError *error = NULL;
  gssize n;

  n = g_buffered_input_stream_fill_finish (G_BUFFERED_INPUT_STREAM (source), result, &error);
  if (n < 0)
    {
      return_error (task, self, error, FALSE);
      return;
    }
  if (n == 0)
    {
      g_task_return_new_error (task, KURIR_NET_ERROR, KURIR_NET_ERROR_CLOSED,
                               "%s:%u closed the connection",
                               server_name (self), self->port);
      return;
    }

  return_chunk (task);
}

static void
flush_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KurirConnection *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (!g_output_stream_flush_finish (G_OUTPUT_STREAM (source), result, &error))
    {
      return_error (task, self, error, FALSE);
      return;
    }

  g_task_return_boolean (task, TRUE);
}

static void
write_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KurirConnection *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      return_error (task, self, error, FALSE);
      return;
    }

  if (self->compressed)
    {
      /* A sync flush: the server must see the whole command now. */
      GCancellable *cancellable = g_task_get_cancellable (task);

      g_output_stream_flush_async (G_OUTPUT_STREAM (source), G_PRIORITY_DEFAULT,
                                   cancellable, flush_cb, g_steal_pointer (&task));
      return;
    }

  g_task_return_boolean (task, TRUE);
}

static void
close_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!g_io_stream_close_finish (G_IO_STREAM (source), result, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

/* Overrides */

static void
kurir_connection_dispose (GObject *object)
{
  KurirConnection *self = KURIR_CONNECTION (object);

  if (self->input != NULL)
    g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (self->input), FALSE);
  g_clear_object (&self->input);
  if (self->compressed)
    g_clear_object (&self->output);
  self->output = NULL;
  g_clear_object (&self->raw_input);
  g_clear_object (&self->stream);
  g_clear_object (&self->socket_connection);
  g_clear_object (&self->ca_database);
  g_clear_object (&self->pinned_certificate);
  g_clear_object (&self->identity);
  g_clear_object (&self->peer_certificate);

  G_OBJECT_CLASS (kurir_connection_parent_class)->dispose (object);
}

static void
kurir_connection_finalize (GObject *object)
{
  KurirConnection *self = KURIR_CONNECTION (object);

  g_free (self->host);
  g_free (self->log_domain);

  G_OBJECT_CLASS (kurir_connection_parent_class)->finalize (object);
}

static void
kurir_connection_class_init (KurirConnectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kurir_connection_dispose;
  object_class->finalize = kurir_connection_finalize;
}

static void
kurir_connection_init (KurirConnection *self)
{
  self->log_domain = g_strdup (G_LOG_DOMAIN);
  self->timeout = KURIR_CONNECTION_DEFAULT_TIMEOUT;
  self->max_line_length = KURIR_CONNECTION_DEFAULT_MAX_LINE_LENGTH;
}

/* Public API */

const char *
kurir_security_to_string (KurirSecurity security)
{
  switch (security)
    {
    case KURIR_SECURITY_TLS:
      return "tls";
    case KURIR_SECURITY_STARTTLS:
      return "starttls";
    case KURIR_SECURITY_NONE:
      return "none";
    default:
      g_return_val_if_reached (NULL);
    }
}

gboolean
kurir_security_from_string (const char    *str,
                            KurirSecurity *out_security)
{
  g_return_val_if_fail (out_security != NULL, FALSE);

  if (str == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (str, "tls") == 0 || g_ascii_strcasecmp (str, "ssl") == 0)
    *out_security = KURIR_SECURITY_TLS;
  else if (g_ascii_strcasecmp (str, "starttls") == 0)
    *out_security = KURIR_SECURITY_STARTTLS;
  else if (g_ascii_strcasecmp (str, "none") == 0)
    *out_security = KURIR_SECURITY_NONE;
  else
    return FALSE;
  return TRUE;
}

KurirConnection *
kurir_connection_new (const char    *host,
                      guint16        port,
                      KurirSecurity  security)
{
  KurirConnection *self;

  g_return_val_if_fail (host != NULL && *host != '\0', NULL);
  g_return_val_if_fail (port != 0, NULL);

  self = g_object_new (KURIR_TYPE_CONNECTION, NULL);
  self->host = g_strdup (host);
  self->port = port;
  self->security = security;
  self->identity = g_network_address_new (host, port);

  return self;
}

/**
 * kurir_connection_set_ca_file:
 *
 * Adds the certificates in @path (PEM) as trust anchors for this connection
 * only. %NULL removes them.
 */
gboolean
kurir_connection_set_ca_file (KurirConnection  *self,
                              const char       *path,
                              GError          **error)
{
  GTlsDatabase *database = NULL;

  g_return_val_if_fail (KURIR_IS_CONNECTION (self), FALSE);

  if (path != NULL)
    {
      g_autoptr(GError) local_error = NULL;

      database = g_tls_file_database_new (path, &local_error);
      if (database == NULL)
        {
          g_set_error (error, KURIR_NET_ERROR, KURIR_NET_ERROR_TLS,
                       "Cannot use the CA file %s: %s", path, local_error->message);
          return FALSE;
        }
    }

  g_clear_object (&self->ca_database);
  self->ca_database = database;
  return TRUE;
}

/**
 * kurir_connection_set_pinned_certificate:
 *
 * Accepts exactly @certificate (compared byte for byte) from this server
 * even when it does not validate, as the user decided for this host, port
 * and protocol (see kurir-trust.h). Any other certificate that does not
 * validate is still refused. %NULL removes the pin.
 */
void
kurir_connection_set_pinned_certificate (KurirConnection *self,
                                         GTlsCertificate *certificate)
{
  g_return_if_fail (KURIR_IS_CONNECTION (self));
  g_return_if_fail (certificate == NULL || G_IS_TLS_CERTIFICATE (certificate));

  g_set_object (&self->pinned_certificate, certificate);
}

void
kurir_connection_set_log_domain (KurirConnection *self,
                                 const char      *log_domain)
{
  g_return_if_fail (KURIR_IS_CONNECTION (self));
  g_return_if_fail (log_domain != NULL);

  g_free (self->log_domain);
  self->log_domain = g_strdup (log_domain);
}

void
kurir_connection_set_timeout (KurirConnection *self,
                              guint            seconds)
{
  g_return_if_fail (KURIR_IS_CONNECTION (self));

  self->timeout = seconds;
  if (self->socket_connection != NULL)
    g_socket_set_timeout (g_socket_connection_get_socket (self->socket_connection), seconds);
}

void
kurir_connection_set_max_line_length (KurirConnection *self,
                                      gsize            max_length)
{
  g_return_if_fail (KURIR_IS_CONNECTION (self));
  g_return_if_fail (max_length > 0);

  self->max_line_length = max_length;
}

const char *
kurir_connection_get_host (KurirConnection *self)
{
  g_return_val_if_fail (KURIR_IS_CONNECTION (self), NULL);
  return self->host;
}

guint16
kurir_connection_get_port (KurirConnection *self)
{
  g_return_val_if_fail (KURIR_IS_CONNECTION (self), 0);
  return self->port;
}

KurirSecurity
kurir_connection_get_security (KurirConnection *self)
{
  g_return_val_if_fail (KURIR_IS_CONNECTION (self), KURIR_SECURITY_TLS);
  return self->security;
}

gboolean
kurir_connection_is_encrypted (KurirConnection *self)
{
  g_return_val_if_fail (KURIR_IS_CONNECTION (self), FALSE);
  return G_IS_TLS_CONNECTION (self->stream);
}

GTlsCertificate *
kurir_connection_get_peer_certificate (KurirConnection *self)
{
  g_return_val_if_fail (KURIR_IS_CONNECTION (self), NULL);
  return self->peer_certificate;
}

GTlsCertificateFlags
kurir_connection_get_peer_certificate_errors (KurirConnection *self)
{
  g_return_val_if_fail (KURIR_IS_CONNECTION (self), 0);
  return self->peer_certificate_errors;
}

/**
 * kurir_connection_describe_certificate_errors:
 *
 * Returns: the reasons in @flags in plain words, for a person to read
 */
char *
kurir_connection_describe_certificate_errors (GTlsCertificateFlags flags)
{
  static const struct {
    GTlsCertificateFlags flag;
    const char *text;
  } reasons[] = {
    { G_TLS_CERTIFICATE_UNKNOWN_CA, "it is not signed by a known authority (self-signed or an unknown CA)" },
    { G_TLS_CERTIFICATE_BAD_IDENTITY, "it was issued for another host" },
    { G_TLS_CERTIFICATE_NOT_ACTIVATED, "it is not valid yet" },
    { G_TLS_CERTIFICATE_EXPIRED, "it has expired" },
    { G_TLS_CERTIFICATE_REVOKED, "it has been revoked" },
    { G_TLS_CERTIFICATE_INSECURE, "it uses an insecure algorithm" },
    { G_TLS_CERTIFICATE_GENERIC_ERROR, "it could not be verified" },
  };
  GString *str = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (reasons); i++)
    {
      if ((flags & reasons[i].flag) == 0)
        continue;
      if (str->len > 0)
        g_string_append (str, "; ");
      g_string_append (str, reasons[i].text);
    }
  if (str->len == 0)
    g_string_append (str, "it could not be verified");

  return g_string_free (str, FALSE);
}

void
kurir_connection_connect_async (KurirConnection     *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GSocketClient) client = NULL;

  g_return_if_fail (KURIR_IS_CONNECTION (self));
  g_return_if_fail (self->socket_connection == NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kurir_connection_connect_async);

  client = g_socket_client_new ();
  g_socket_client_set_timeout (client, self->timeout);
  g_socket_client_connect_to_host_async (client, self->host, self->port, cancellable,
                                         connect_cb, g_steal_pointer (&task));
}

gboolean
kurir_connection_connect_finish (KurirConnection  *self,
                                 GAsyncResult     *result,
                                 GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * kurir_connection_starttls_async:
 *
 * Upgrades a plaintext connection to TLS, once the protocol layer has read
 * the server's consent. Bytes that arrived after that consent but before
 * the handshake are an attack (or a broken server): the upgrade fails and
 * nothing of them is ever parsed.
 */
void
kurir_connection_starttls_async (KurirConnection     *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (KURIR_IS_CONNECTION (self));
  g_return_if_fail (self->socket_connection != NULL);
  g_return_if_fail (!G_IS_TLS_CONNECTION (self->stream));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kurir_connection_starttls_async);

  if (g_buffered_input_stream_get_available (self->input) > 0)
    {
      g_task_return_new_error (task, KURIR_NET_ERROR, KURIR_NET_ERROR_PROTOCOL,
                               "%s:%u sent unexpected data before the TLS handshake; "
                               "the connection was closed to keep it safe",
                               server_name (self), self->port);
      g_io_stream_close (self->stream, NULL, NULL);
      return;
    }

  start_handshake (self, g_steal_pointer (&task));
}

gboolean
kurir_connection_starttls_finish (KurirConnection  *self,
                                  GAsyncResult     *result,
                                  GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * kurir_connection_read_line_async:
 *
 * Reads one line, without its CRLF (or bare LF). A line longer than the
 * maximum length is an error, not a reason to keep reading.
 */
void
kurir_connection_read_line_async (KurirConnection     *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (KURIR_IS_CONNECTION (self));
  g_return_if_fail (self->input != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kurir_connection_read_line_async);
  g_task_set_task_data (task, g_new0 (ReadLineData, 1), g_free);

  read_line_step (task);
}

char *
kurir_connection_read_line_finish (KurirConnection  *self,
                                   GAsyncResult     *result,
                                   gsize            *out_length,
                                   GError          **error)
{
  ReadLineData *data;
  char *line;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  data = g_task_get_task_data (G_TASK (result));
  line = g_task_propagate_pointer (G_TASK (result), error);
  if (out_length != NULL)
    *out_length = line != NULL ? data->length : 0;
  return line;
}

/**
 * kurir_connection_take_buffered_line:
 * @out_length: (out): the line's length
 *
 * The next line when the whole of it is buffered already: no I/O, no copy,
 * no main loop iteration, so a protocol reads every buffered line of a
 * bulk reply in one go and calls kurir_connection_read_line_async() only
 * when it needs the network. The line is without its CRLF (or bare LF)
 * and not NUL-terminated; it stays valid until the next read of any kind
 * on the connection.
 *
 * Returns: (nullable): the line, or %NULL when no whole line is buffered
 *   (no error), or with @error set (%KURIR_NET_ERROR_PROTOCOL) when the
 *   buffered part of it is longer than the maximum line length already.
 */
const char *
kurir_connection_take_buffered_line (KurirConnection  *self,
                                     gsize            *out_length,
                                     GError          **error)
{
  gsize scanned = 0;

  g_return_val_if_fail (KURIR_IS_CONNECTION (self), NULL);
  g_return_val_if_fail (out_length != NULL, NULL);

  *out_length = 0;
  if (self->input == NULL)
    return NULL;
  return take_line (self, &scanned, out_length, error);
}

/**
 * kurir_connection_read_chunk_async:
 *
 * Reads what the server sent, at least one byte and at most @max_length,
 * for protocols whose parser takes bytes rather than lines (IMAP literals).
 */
void
kurir_connection_read_chunk_async (KurirConnection     *self,
                                   gsize                max_length,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (KURIR_IS_CONNECTION (self));
  g_return_if_fail (self->input != NULL);
  g_return_if_fail (max_length > 0);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kurir_connection_read_chunk_async);
  g_task_set_task_data (task, GSIZE_TO_POINTER (max_length), NULL);

  if (g_buffered_input_stream_get_available (self->input) > 0)
    {
      return_chunk (task);
      return;
    }

  g_buffered_input_stream_fill_async (self->input, -1, G_PRIORITY_DEFAULT, cancellable,
                                      fill_chunk_cb, g_steal_pointer (&task));
}

GBytes *
kurir_connection_read_chunk_finish (KurirConnection  *self,
                                    GAsyncResult     *result,
                                    GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
kurir_connection_write_async (KurirConnection     *self,
                              const void          *data,
                              gsize                length,
                              KurirWriteFlags      flags,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GBytes *bytes;

  g_return_if_fail (KURIR_IS_CONNECTION (self));
  g_return_if_fail (self->output != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kurir_connection_write_async);

  wire_log (self, "C:", data, length, (flags & KURIR_WRITE_SENSITIVE) != 0);

  bytes = g_bytes_new (data, length);
  g_task_set_task_data (task, bytes, (GDestroyNotify) g_bytes_unref);
  g_output_stream_write_all_async (self->output,
                                   g_bytes_get_data (bytes, NULL), length,
                                   G_PRIORITY_DEFAULT, cancellable,
                                   write_cb, g_steal_pointer (&task));
}

gboolean
kurir_connection_write_finish (KurirConnection  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
kurir_connection_close_async (KurirConnection     *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (KURIR_IS_CONNECTION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kurir_connection_close_async);

  if (self->stream == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  g_io_stream_close_async (self->stream, G_PRIORITY_DEFAULT, cancellable,
                           close_cb, g_steal_pointer (&task));
}

/**
 * kurir_connection_start_compression:
 *
 * Turns on DEFLATE compression (raw deflate, RFC 1951) in both directions,
 * as IMAP's COMPRESS=DEFLATE (RFC 4978) asks once the server said OK to it.
 * Bytes already buffered are taken as compressed; the wire log keeps
 * showing the uncompressed protocol. Each write is flushed (a sync flush)
 * so that the server sees complete commands.
 */
gboolean
kurir_connection_start_compression (KurirConnection  *self,
                                    GError          **error)
{
  g_autoptr(GZlibCompressor) compressor = NULL;
  g_autoptr(GZlibDecompressor) decompressor = NULL;
  GInputStream *converter;

  g_return_val_if_fail (KURIR_IS_CONNECTION (self), FALSE);

  if (self->input == NULL || self->output == NULL)
    {
      g_set_error (error, KURIR_NET_ERROR, KURIR_NET_ERROR_CLOSED,
                   "The connection to %s:%u is not open", server_name (self), self->port);
      return FALSE;
    }
  if (self->compressed)
    {
      g_set_error (error, KURIR_NET_ERROR, KURIR_NET_ERROR_PROTOCOL,
                   "Compression is already on for %s:%u", server_name (self), self->port);
      return FALSE;
    }

  compressor = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_RAW, -1);
  decompressor = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_RAW);

  /* The old buffer still yields what it holds, then reads the socket. */
  self->raw_input = G_INPUT_STREAM (g_steal_pointer (&self->input));
  converter = g_converter_input_stream_new (self->raw_input, G_CONVERTER (decompressor));
  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (converter), FALSE);
  self->input = G_BUFFERED_INPUT_STREAM (g_buffered_input_stream_new_sized (converter,
                                                                            INITIAL_BUFFER_SIZE));
  g_object_unref (converter);
  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (self->input), FALSE);

  self->output = g_converter_output_stream_new (self->output, G_CONVERTER (compressor));
  g_filter_output_stream_set_close_base_stream (G_FILTER_OUTPUT_STREAM (self->output), FALSE);
  self->compressed = TRUE;

  g_debug ("%s:%u: DEFLATE compression on", self->host, self->port);
  return TRUE;
}

gboolean
kurir_connection_is_compressed (KurirConnection *self)
{
  g_return_val_if_fail (KURIR_IS_CONNECTION (self), FALSE);
  return self->compressed;
}

gboolean
kurir_connection_close_finish (KurirConnection  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
