/* kurir-autoconfig.c: finding an address's mail servers
 *
 * Four sources, asked at once: the provider table (kurir-providers.c), the
 * domain's autoconfig file over HTTPS only (Thunderbird's config-v1.1,
 * parsed with libxml2 without network, DTD or entity expansion, bounded in
 * size), DNS SRV records (RFC 6186, and RFC 8314's _submissions), and
 * probes of likely hosts through our IMAP, POP3 and SMTP clients (greeting,
 * STARTTLS where asked, CAPABILITY/CAPA/EHLO; never a credential). A known
 * provider answers at once; otherwise every source gets its bounded time
 * and the answers are ranked: encrypted above plaintext always.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-account"

#include "config.h"

#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "kurir-autoconfig.h"
#include "kurir-providers.h"
#include "kurir-trust.h"
#include "imap/kurir-imap-client.h"
#include "pop3/kurir-pop3-client.h"
#include "smtp/kurir-smtp-client.h"
#include "net/kurir-net-error.h"

#define DEFAULT_TIMEOUT       20
#define PROBE_TIMEOUT         10
#define HTTP_TIMEOUT          10
#define MAX_HTTP_HEADER_SIZE  (16 * 1024)
#define MAX_HOST_LENGTH       253

struct _KurirAutoconfig
{
  GObject               parent_instance;

  char                 *email;
  char                 *domain;
  KurirDiscoverySource  sources;
  GPtrArray            *probe_targets;   /* KurirServerSetting, or NULL: from the domain */
  char                 *ca_file;
  guint                 timeout;
};

G_DEFINE_TYPE (KurirAutoconfig, kurir_autoconfig, G_TYPE_OBJECT)

G_DEFINE_BOXED_TYPE (KurirServerSetting, kurir_server_setting,
                     kurir_server_setting_copy, kurir_server_setting_free)

/* One discovery in flight. */
typedef struct
{
  GPtrArray     *settings;      /* every answer so far */
  GCancellable  *cancellable;   /* cancels the sources (timeout or caller) */
  gulong         cancelled_id;
  guint          timeout_id;
  guint          pending;
} DiscoverData;

/* Helpers */

static gboolean
host_is_valid (const char *host)
{
  gsize len;

  if (host == NULL)
    return FALSE;
  len = strlen (host);
  if (len == 0 || len > MAX_HOST_LENGTH || host[0] == '.' || host[0] == '-')
    return FALSE;
  for (const char *p = host; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

static int
security_rank (KurirSecurity security)
{
  switch (security)
    {
    case KURIR_SECURITY_TLS: return 0;
    case KURIR_SECURITY_STARTTLS: return 1;
    case KURIR_SECURITY_NONE:
    default: return 2;
    }
}

static int
source_rank (KurirDiscoverySource source)
{
  return g_bit_nth_lsf (source, -1);
}

static int
compare_settings_cb (gconstpointer a,
                     gconstpointer b)
{
  return kurir_server_setting_compare (*(KurirServerSetting * const *) a,
                                       *(KurirServerSetting * const *) b);
}

static gboolean
same_server (const KurirServerSetting *a,
             const KurirServerSetting *b)
{
  return a->protocol == b->protocol && a->port == b->port &&
         a->security == b->security && g_ascii_strcasecmp (a->host, b->host) == 0;
}

/* Keeps the first (best ranked) of equal servers. */
static void
dedup_sorted (GPtrArray *settings)
{
  for (guint i = 0; i < settings->len; i++)
    for (guint j = i + 1; j < settings->len;)
      {
        KurirServerSetting *a = g_ptr_array_index (settings, i);
        KurirServerSetting *b = g_ptr_array_index (settings, j);

        if (same_server (a, b))
          {
            /* A probe confirms what a better source said. */
            if (b->verified)
              a->verified = TRUE;
            if (a->user == NULL && b->user != NULL)
              a->user = g_strdup (b->user);
            g_ptr_array_remove_index (settings, j);
          }
        else
          j++;
      }
}

/* Autoconfig XML */

static const xmlNode *
child_element (const xmlNode *node,
               const char    *name)
{
  for (const xmlNode *child = node->children; child != NULL; child = child->next)
    if (child->type == XML_ELEMENT_NODE && g_strcmp0 ((const char *) child->name, name) == 0)
      return child;
  return NULL;
}

/* Only the element's own text and CDATA children: entity references are
 * never followed. */
static char *
element_text (const xmlNode *node)
{
  GString *str;

  if (node == NULL)
    return NULL;

  str = g_string_new (NULL);
  for (const xmlNode *child = node->children; child != NULL; child = child->next)
    if ((child->type == XML_TEXT_NODE || child->type == XML_CDATA_SECTION_NODE) &&
        child->content != NULL && str->len < 1024)
      g_string_append (str, (const char *) child->content);

  return g_strstrip (g_string_free (str, FALSE));
}

static char *
child_text (const xmlNode *node,
            const char    *name)
{
  return element_text (child_element (node, name));
}

/* Whether the server's login methods include one Kurir can do. */
static gboolean
authentication_usable (const xmlNode *server)
{
  gboolean any = FALSE;

  for (const xmlNode *child = server->children; child != NULL; child = child->next)
    {
      g_autofree char *method = NULL;

      if (child->type != XML_ELEMENT_NODE ||
          g_strcmp0 ((const char *) child->name, "authentication") != 0)
        continue;
      any = TRUE;
      method = element_text (child);
      if (g_strcmp0 (method, "password-cleartext") == 0 ||
          g_strcmp0 (method, "password-encrypted") == 0 ||
          g_strcmp0 (method, "plain") == 0 ||
          g_strcmp0 (method, "secure") == 0)
        return TRUE;
    }

  /* None given: a password, as Thunderbird assumes. */
  return !any;
}

static KurirServerSetting *
parse_server (const xmlNode *node,
              gboolean       incoming,
              const char    *email,
              guint          priority)
{
  g_autofree char *type = NULL;
  g_autofree char *host = NULL;
  g_autofree char *port_str = NULL;
  g_autofree char *socket_type = NULL;
  g_autofree char *user_template = NULL;
  g_autofree char *user = NULL;
  KurirServerSetting *setting;
  KurirProtocol protocol;
  KurirSecurity security;
  guint64 port;

  type = (char *) xmlGetNoNsProp (node, (const xmlChar *) "type");
  if (incoming && g_strcmp0 (type, "imap") == 0)
    protocol = KURIR_PROTOCOL_IMAP;
  else if (incoming && g_strcmp0 (type, "pop3") == 0)
    protocol = KURIR_PROTOCOL_POP3;
  else if (!incoming && g_strcmp0 (type, "smtp") == 0)
    protocol = KURIR_PROTOCOL_SMTP;
  else
    {
      /* xmlGetNoNsProp's memory is libxml2's */
      xmlFree (g_steal_pointer (&type));
      return NULL;
    }
  xmlFree (g_steal_pointer (&type));

  host = child_text (node, "hostname");
  if (host != NULL && email != NULL && strstr (host, "%EMAILDOMAIN%") != NULL)
    {
      char *expanded = kurir_autoconfig_expand_user (host, email);
      g_free (host);
      host = expanded;
    }
  if (!host_is_valid (host))
    return NULL;

  port_str = child_text (node, "port");
  if (port_str == NULL ||
      !g_ascii_string_to_unsigned (port_str, 10, 1, G_MAXUINT16, &port, NULL))
    return NULL;

  socket_type = child_text (node, "socketType");
  if (g_strcmp0 (socket_type, "SSL") == 0 || g_strcmp0 (socket_type, "TLS") == 0)
    security = KURIR_SECURITY_TLS;
  else if (g_strcmp0 (socket_type, "STARTTLS") == 0)
    security = KURIR_SECURITY_STARTTLS;
  else if (g_strcmp0 (socket_type, "plain") == 0)
    security = KURIR_SECURITY_NONE;
  else
    return NULL;

  if (!authentication_usable (node))
    return NULL;

  user_template = child_text (node, "username");
  if (user_template != NULL && *user_template != '\0' && email != NULL)
    user = kurir_autoconfig_expand_user (user_template, email);

  setting = kurir_server_setting_new (protocol, host, port, security, user,
                                      KURIR_DISCOVERY_SOURCE_AUTOCONFIG);
  setting->priority = priority;
  return setting;
}

/* HTTPS GET */

typedef struct
{
  char              *host;
  char              *path;
  GSocketConnection *connection;
  GByteArray        *buffer;
  char              *request;
} FetchData;

static void
fetch_data_free (FetchData *data)
{
  g_free (data->host);
  g_free (data->path);
  g_clear_object (&data->connection);
  g_clear_pointer (&data->buffer, g_byte_array_unref);
  g_free (data->request);
  g_free (data);
}

/* Decodes a chunked body in place; FALSE when it is malformed. */
static gboolean
dechunk (GByteArray *body)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  gsize pos = 0;

  while (pos < body->len)
    {
      const char *start = (const char *) body->data + pos;
      const char *eol = g_strstr_len (start, body->len - pos, "\r\n");
      g_autofree char *line = NULL;
      guint64 size;
      char *semicolon;

      if (eol == NULL || eol - start > 64)
        return FALSE;
      line = g_strndup (start, eol - start);
      semicolon = strchr (line, ';');
      if (semicolon != NULL)
        *semicolon = '\0';
      g_strstrip (line);
      if (!g_ascii_string_to_unsigned (line, 16, 0, KURIR_AUTOCONFIG_MAX_SIZE, &size, NULL))
        return FALSE;
      pos += (eol - start) + 2;
      if (size == 0)
        break;
      if (size > body->len - pos)
        return FALSE;
      g_byte_array_append (out, body->data + pos, size);
      pos += size + 2;
    }

  g_byte_array_set_size (body, 0);
  g_byte_array_append (body, out->data, out->len);
  return TRUE;
}

static gboolean
parse_http_response (FetchData  *data,
                     GBytes    **out_body,
                     GError    **error)
{
  const char *text = (const char *) data->buffer->data;
  const char *end;
  g_autofree char *headers = NULL;
  g_auto(GStrv) lines = NULL;
  gboolean chunked = FALSE;
  g_autoptr(GByteArray) body = NULL;
  gsize header_len;

  end = g_strstr_len (text, MIN (data->buffer->len, MAX_HTTP_HEADER_SIZE), "\r\n\r\n");
  if (end == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "https://%s%s: not an HTTP response", data->host, data->path);
      return FALSE;
    }
  header_len = end - text;
  headers = g_strndup (text, header_len);
  lines = g_strsplit (headers, "\r\n", -1);

  if (!g_str_has_prefix (lines[0], "HTTP/1.") || strlen (lines[0]) < 12 ||
      strncmp (lines[0] + 9, "200", 3) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "https://%s%s: %s", data->host, data->path, lines[0]);
      return FALSE;
    }

  for (guint i = 1; lines[i] != NULL; i++)
    if (g_ascii_strncasecmp (lines[i], "Transfer-Encoding:", 18) == 0 &&
        strstr (lines[i] + 18, "chunked") != NULL)
      chunked = TRUE;

  body = g_byte_array_new ();
  g_byte_array_append (body, data->buffer->data + header_len + 4,
                       data->buffer->len - header_len - 4);
  if (chunked && !dechunk (body))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "https://%s%s: a malformed chunked body", data->host, data->path);
      return FALSE;
    }

  *out_body = g_byte_array_free_to_bytes (g_steal_pointer (&body));
  return TRUE;
}

static void fetch_read_cb (GObject *source, GAsyncResult *result, gpointer user_data);

static void
fetch_read_more (GTask *task)
{
  FetchData *data = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (g_io_stream_get_input_stream (G_IO_STREAM (data->connection)),
                                   16384, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task),
                                   fetch_read_cb, task);
}

static void
fetch_read_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FetchData *data = g_task_get_task_data (task);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GBytes) body = NULL;
  GError *error = NULL;

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  if (bytes == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  if (g_bytes_get_size (bytes) > 0)
    {
      g_byte_array_append (data->buffer, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      if (data->buffer->len > KURIR_AUTOCONFIG_MAX_SIZE + MAX_HTTP_HEADER_SIZE)
        {
          g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                                   "https://%s%s is too large", data->host, data->path);
          return;
        }
      fetch_read_more (g_steal_pointer (&task));
      return;
    }

  if (!parse_http_response (data, &body, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&body), (GDestroyNotify) g_bytes_unref);
}

static void
fetch_write_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  fetch_read_more (g_steal_pointer (&task));
}

static void
fetch_connect_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FetchData *data = g_task_get_task_data (task);
  GCancellable *cancellable;
  GError *error = NULL;

  data->connection = g_socket_client_connect_to_host_finish (G_SOCKET_CLIENT (source),
                                                            result, &error);
  if (data->connection == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  data->request = g_strdup_printf ("GET %s HTTP/1.1\r\n"
                                   "Host: %s\r\n"
                                   "User-Agent: Kurir\r\n"
                                   "Accept: application/xml, text/xml\r\n"
                                   "Connection: close\r\n\r\n",
                                   data->path, data->host);
  cancellable = g_task_get_cancellable (task);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (G_IO_STREAM (data->connection)),
                                   data->request, strlen (data->request),
                                   G_PRIORITY_DEFAULT, cancellable,
                                   fetch_write_cb, g_steal_pointer (&task));
}

/* Extra anchors (tests): given to the TLS connection before its handshake. */
static void
fetch_event_cb (GSocketClient      *client,
                GSocketClientEvent  event,
                GSocketConnectable *connectable,
                GIOStream          *connection,
                gpointer            user_data)
{
  GTlsDatabase *database = user_data;

  if (event == G_SOCKET_CLIENT_TLS_HANDSHAKING && G_IS_TLS_CONNECTION (connection))
    g_tls_connection_set_database (G_TLS_CONNECTION (connection), database);
}

/* SRV */

typedef struct
{
  const char    *service;
  KurirProtocol  protocol;
  KurirSecurity  security;
} SrvService;

static const SrvService srv_services[] = {
  { "imaps", KURIR_PROTOCOL_IMAP, KURIR_SECURITY_TLS },
  { "imap", KURIR_PROTOCOL_IMAP, KURIR_SECURITY_STARTTLS },
  { "pop3s", KURIR_PROTOCOL_POP3, KURIR_SECURITY_TLS },
  { "pop3", KURIR_PROTOCOL_POP3, KURIR_SECURITY_STARTTLS },
  { "submissions", KURIR_PROTOCOL_SMTP, KURIR_SECURITY_TLS },
  { "submission", KURIR_PROTOCOL_SMTP, KURIR_SECURITY_STARTTLS },
};

typedef struct
{
  GPtrArray *settings;
  guint      pending;
} SrvData;

static void
srv_data_free (SrvData *data)
{
  g_ptr_array_unref (data->settings);
  g_free (data);
}

typedef struct
{
  GTask            *task;
  const SrvService *service;
} SrvLookup;

static void
srv_lookup_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  SrvLookup *lookup = user_data;
  GTask *task = lookup->task;
  SrvData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  GList *targets;

  targets = g_resolver_lookup_service_finish (G_RESOLVER (source), result, &error);
  if (error != NULL)
    g_debug ("SRV _%s._tcp: %s", lookup->service->service, error->message);

  for (GList *l = targets; l != NULL; l = l->next)
    {
      GSrvTarget *target = l->data;
      const char *host = g_srv_target_get_hostname (target);
      guint16 port = g_srv_target_get_port (target);
      KurirServerSetting *setting;

      /* RFC 6186 3.4: a target of "." means the service is not offered. */
      if (host == NULL || strcmp (host, ".") == 0 || *host == '\0' || port == 0)
        continue;
      if (!host_is_valid (host))
        continue;

      setting = kurir_server_setting_new (lookup->service->protocol,
                                          host, port, lookup->service->security,
                                          NULL, KURIR_DISCOVERY_SOURCE_SRV);
      setting->priority = g_srv_target_get_priority (target);
      g_ptr_array_add (data->settings, setting);
    }
  g_resolver_free_targets (targets);

  g_free (lookup);
  if (--data->pending == 0)
    {
      if (g_task_return_error_if_cancelled (task))
        ;
      else
        {
          g_ptr_array_sort (data->settings, compare_settings_cb);
          g_task_return_pointer (task, g_ptr_array_ref (data->settings),
                                 (GDestroyNotify) g_ptr_array_unref);
        }
    }
  g_object_unref (task);
}

/* Probes */

typedef struct
{
  GTask              *task;           /* the discovery's */
  KurirServerSetting *target;
  GObject            *client;
} Probe;

static void discover_source_done (GTask *task);

static void
probe_free (Probe *probe)
{
  g_clear_object (&probe->client);
  kurir_server_setting_free (probe->target);
  g_free (probe);
}

static void
probe_record (Probe                *probe,
              KurirSecurity         security,
              KurirConnection      *connection,
              gboolean              certificate_refused)
{
  DiscoverData *data = g_task_get_task_data (probe->task);
  KurirServerSetting *setting = kurir_server_setting_copy (probe->target);

  setting->security = security;
  setting->source = KURIR_DISCOVERY_SOURCE_PROBE;
  setting->verified = TRUE;
  if (certificate_refused && kurir_connection_get_peer_certificate (connection) != NULL)
    {
      setting->certificate = g_object_ref (kurir_connection_get_peer_certificate (connection));
      setting->certificate_errors = kurir_connection_get_peer_certificate_errors (connection);
    }
  g_ptr_array_add (data->settings, setting);
}

static void
probe_connected (Probe            *probe,
                 KurirConnection  *connection,
                 gboolean          ok,
                 GError           *error)
{
  if (ok)
    probe_record (probe, probe->target->security, connection, FALSE);
  else if (g_error_matches (error, KURIR_NET_ERROR, KURIR_NET_ERROR_CERTIFICATE))
    /* The server is there; the user decides about its certificate. */
    probe_record (probe, probe->target->security, connection, TRUE);
  else if (g_error_matches (error, KURIR_NET_ERROR, KURIR_NET_ERROR_STARTTLS_REFUSED))
    /* It answered but offers no encryption: only behind a warning. */
    probe_record (probe, KURIR_SECURITY_NONE, connection, FALSE);
  else
    g_debug ("Probe %s %s:%u: %s", kurir_protocol_to_string (probe->target->protocol),
             probe->target->host, probe->target->port, error ? error->message : "failed");
}

static void
probe_imap_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Probe *probe = user_data;
  KurirImapClient *client = KURIR_IMAP_CLIENT (source);
  g_autoptr(GError) error = NULL;
  gboolean ok;

  ok = kurir_imap_client_connect_finish (client, result, &error);
  probe_connected (probe, kurir_imap_client_get_connection (client), ok, error);
  kurir_imap_client_close (client);
  discover_source_done (probe->task);
  probe_free (probe);
}

static void
probe_pop3_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Probe *probe = user_data;
  KurirPop3Client *client = KURIR_POP3_CLIENT (source);
  g_autoptr(GError) error = NULL;
  gboolean ok;

  ok = kurir_pop3_client_connect_finish (client, result, &error);
  probe_connected (probe, kurir_pop3_client_get_connection (client), ok, error);
  kurir_pop3_client_disconnect (client);
  discover_source_done (probe->task);
  probe_free (probe);
}

static void
probe_smtp_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Probe *probe = user_data;
  KurirSmtpClient *client = KURIR_SMTP_CLIENT (source);
  g_autoptr(GError) error = NULL;
  gboolean ok;

  ok = kurir_smtp_client_connect_finish (client, result, &error);
  probe_connected (probe, kurir_smtp_client_get_connection (client), ok, error);
  kurir_smtp_client_disconnect (client);
  discover_source_done (probe->task);
  probe_free (probe);
}

static void
start_probe (KurirAutoconfig          *self,
             GTask                    *task,
             const KurirServerSetting *target)
{
  DiscoverData *data = g_task_get_task_data (task);
  g_autoptr(KurirConnection) connection = NULL;
  Probe *probe;

  connection = kurir_connection_new (target->host, target->port, target->security);
  kurir_connection_set_timeout (connection, PROBE_TIMEOUT);
  if (self->ca_file != NULL && !kurir_connection_set_ca_file (connection, self->ca_file, NULL))
    return;
  kurir_trust_apply (connection, target->protocol);

  probe = g_new0 (Probe, 1);
  probe->task = task;
  probe->target = kurir_server_setting_copy (target);
  data->pending++;
  g_object_ref (task);

  switch (target->protocol)
    {
    case KURIR_PROTOCOL_IMAP:
      probe->client = G_OBJECT (kurir_imap_client_new (connection));
      kurir_imap_client_set_timeout (KURIR_IMAP_CLIENT (probe->client), PROBE_TIMEOUT);
      kurir_imap_client_connect_async (KURIR_IMAP_CLIENT (probe->client), data->cancellable,
                                       probe_imap_cb, probe);
      break;
    case KURIR_PROTOCOL_POP3:
      probe->client = G_OBJECT (kurir_pop3_client_new (connection));
      kurir_pop3_client_connect_async (KURIR_POP3_CLIENT (probe->client), data->cancellable,
                                       probe_pop3_cb, probe);
      break;
    case KURIR_PROTOCOL_SMTP:
    default:
      probe->client = G_OBJECT (kurir_smtp_client_new (connection));
      kurir_smtp_client_connect_async (KURIR_SMTP_CLIENT (probe->client), data->cancellable,
                                       probe_smtp_cb, probe);
      break;
    }
}

static GPtrArray *
default_probe_targets (const char *domain)
{
  static const struct {
    KurirProtocol protocol;
    const char *prefix;
  } hosts[] = {
    { KURIR_PROTOCOL_IMAP, "imap." }, { KURIR_PROTOCOL_IMAP, "mail." }, { KURIR_PROTOCOL_IMAP, "" },
    { KURIR_PROTOCOL_POP3, "pop." }, { KURIR_PROTOCOL_POP3, "pop3." }, { KURIR_PROTOCOL_POP3, "mail." },
    { KURIR_PROTOCOL_POP3, "" },
    { KURIR_PROTOCOL_SMTP, "smtp." }, { KURIR_PROTOCOL_SMTP, "mail." }, { KURIR_PROTOCOL_SMTP, "" },
  };
  static const KurirSecurity securities[] = { KURIR_SECURITY_TLS, KURIR_SECURITY_STARTTLS };
  GPtrArray *targets = g_ptr_array_new_with_free_func ((GDestroyNotify) kurir_server_setting_free);

  for (guint i = 0; i < G_N_ELEMENTS (hosts); i++)
    for (guint j = 0; j < G_N_ELEMENTS (securities); j++)
      {
        g_autofree char *host = g_strconcat (hosts[i].prefix, domain, NULL);
        KurirServerSetting *target;

        target = kurir_server_setting_new (hosts[i].protocol, host,
                                           kurir_protocol_default_port (hosts[i].protocol, securities[j]),
                                           securities[j], NULL, KURIR_DISCOVERY_SOURCE_PROBE);
        target->priority = i;
        g_ptr_array_add (targets, target);
      }

  return targets;
}

/* Discovery */

static void
discover_data_free (DiscoverData *data)
{
  g_clear_handle_id (&data->timeout_id, g_source_remove);
  g_ptr_array_unref (data->settings);
  g_clear_object (&data->cancellable);
  g_free (data);
}

static void
discover_return (GTask *task)
{
  KurirAutoconfig *self = g_task_get_source_object (task);
  DiscoverData *data = g_task_get_task_data (task);
  KurirDiscovery *discovery;
  GCancellable *caller = g_task_get_cancellable (task);

  g_clear_handle_id (&data->timeout_id, g_source_remove);
  if (caller != NULL && data->cancelled_id != 0)
    {
      g_cancellable_disconnect (caller, data->cancelled_id);
      data->cancelled_id = 0;
    }

  if (caller != NULL && g_cancellable_is_cancelled (caller))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled");
      return;
    }

  discovery = g_new0 (KurirDiscovery, 1);
  discovery->settings = g_ptr_array_ref (data->settings);
  discovery->provider = g_strdup (kurir_providers_lookup_name (self->domain));
  kurir_server_settings_sort (discovery->settings);

  if (discovery->settings->len == 0)
    {
      kurir_discovery_free (discovery);
      g_task_return_new_error (task, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_NOT_FOUND,
                               "No mail servers were found for %s; enter them by hand",
                               self->domain);
      return;
    }

  g_task_return_pointer (task, discovery, (GDestroyNotify) kurir_discovery_free);
}

static void
discover_source_done (GTask *task)
{
  DiscoverData *data = g_task_get_task_data (task);

  g_assert (data->pending > 0);
  if (--data->pending == 0)
    discover_return (task);
  g_object_unref (task);
}

static void
autoconfig_fetched_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  GTask *task = user_data;
  KurirAutoconfig *self = g_task_get_source_object (task);
  DiscoverData *data = g_task_get_task_data (task);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) settings = NULL;

  body = kurir_autoconfig_fetch_finish (result, &error);
  if (body != NULL)
    settings = kurir_autoconfig_parse (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                       self->email, &error);
  if (settings == NULL)
    g_debug ("Autoconfig for %s: %s", self->domain, error->message);
  else
    for (guint i = 0; i < settings->len; i++)
      g_ptr_array_add (data->settings, kurir_server_setting_copy (g_ptr_array_index (settings, i)));

  discover_source_done (task);
}

static void
srv_done_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GTask *task = user_data;
  DiscoverData *data = g_task_get_task_data (task);
  g_autoptr(GPtrArray) settings = NULL;
  g_autoptr(GError) error = NULL;

  settings = kurir_autoconfig_lookup_srv_finish (result, &error);
  if (settings != NULL)
    for (guint i = 0; i < settings->len; i++)
      g_ptr_array_add (data->settings, kurir_server_setting_copy (g_ptr_array_index (settings, i)));

  discover_source_done (task);
}

static gboolean
discover_timeout_cb (gpointer user_data)
{
  DiscoverData *data = user_data;

  data->timeout_id = 0;
  g_cancellable_cancel (data->cancellable);
  return G_SOURCE_REMOVE;
}

static void
caller_cancelled_cb (GCancellable *caller,
                     gpointer      user_data)
{
  GCancellable *ours = user_data;

  g_cancellable_cancel (ours);
}

/* Overrides */

static void
kurir_autoconfig_finalize (GObject *object)
{
  KurirAutoconfig *self = KURIR_AUTOCONFIG (object);

  g_free (self->email);
  g_free (self->domain);
  g_clear_pointer (&self->probe_targets, g_ptr_array_unref);
  g_free (self->ca_file);

  G_OBJECT_CLASS (kurir_autoconfig_parent_class)->finalize (object);
}

static void
kurir_autoconfig_class_init (KurirAutoconfigClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kurir_autoconfig_finalize;
}

static void
kurir_autoconfig_init (KurirAutoconfig *self)
{
  self->sources = KURIR_DISCOVERY_SOURCE_ALL;
  self->timeout = DEFAULT_TIMEOUT;
}

/* Public API */

KurirServerSetting *
kurir_server_setting_new (KurirProtocol        protocol,
                          const char          *host,
                          guint16              port,
                          KurirSecurity        security,
                          const char          *user,
                          KurirDiscoverySource source)
{
  KurirServerSetting *setting = g_new0 (KurirServerSetting, 1);

  setting->protocol = protocol;
  setting->host = g_strdup (host);
  setting->port = port;
  setting->security = security;
  setting->user = g_strdup (user);
  setting->source = source;
  return setting;
}

KurirServerSetting *
kurir_server_setting_copy (const KurirServerSetting *setting)
{
  KurirServerSetting *copy;

  g_return_val_if_fail (setting != NULL, NULL);

  copy = g_memdup2 (setting, sizeof *setting);
  copy->host = g_strdup (setting->host);
  copy->user = g_strdup (setting->user);
  if (setting->certificate != NULL)
    g_object_ref (setting->certificate);
  return copy;
}

void
kurir_server_setting_free (KurirServerSetting *setting)
{
  if (setting == NULL)
    return;
  g_free (setting->host);
  g_free (setting->user);
  g_clear_object (&setting->certificate);
  g_free (setting);
}

int
kurir_server_setting_compare (const KurirServerSetting *a,
                              const KurirServerSetting *b)
{
  gboolean a_plain = a->security == KURIR_SECURITY_NONE;
  gboolean b_plain = b->security == KURIR_SECURITY_NONE;
  gboolean a_cert = a->certificate_errors != 0;
  gboolean b_cert = b->certificate_errors != 0;

  if (a->protocol != b->protocol)
    return (int) a->protocol - (int) b->protocol;
  if (a_plain != b_plain)
    return a_plain ? 1 : -1;
  /* A certificate that needs the user's consent ranks below one that does not. */
  if (a_cert != b_cert)
    return a_cert ? 1 : -1;
  if (source_rank (a->source) != source_rank (b->source))
    return source_rank (a->source) - source_rank (b->source);
  if (security_rank (a->security) != security_rank (b->security))
    return security_rank (a->security) - security_rank (b->security);
  if (a->priority != b->priority)
    return a->priority < b->priority ? -1 : 1;
  return 0;
}

void
kurir_server_settings_sort (GPtrArray *settings)
{
  g_return_if_fail (settings != NULL);

  g_ptr_array_sort (settings, compare_settings_cb);
  dedup_sorted (settings);
}

char *
kurir_autoconfig_email_domain (const char *email)
{
  const char *at;

  if (email == NULL)
    return NULL;
  at = strrchr (email, '@');
  if (at == NULL || at == email || !host_is_valid (at + 1) || strchr (at + 1, '.') == NULL)
    return NULL;
  return g_ascii_strdown (at + 1, -1);
}

char *
kurir_autoconfig_expand_user (const char *template_,
                              const char *email)
{
  g_autofree char *local = NULL;
  g_autofree char *domain = NULL;
  const char *at;
  GString *str;

  if (template_ == NULL)
    return NULL;
  g_return_val_if_fail (email != NULL, NULL);

  at = strrchr (email, '@');
  local = at ? g_strndup (email, at - email) : g_strdup (email);
  domain = at ? g_strdup (at + 1) : g_strdup ("");

  str = g_string_new (template_);
  g_string_replace (str, "%EMAILADDRESS%", email, 0);
  g_string_replace (str, "%EMAILLOCALPART%", local, 0);
  g_string_replace (str, "%EMAILDOMAIN%", domain, 0);
  return g_string_free (str, FALSE);
}

GPtrArray *
kurir_autoconfig_parse (const char  *data,
                        gsize        length,
                        const char  *email,
                        GError     **error)
{
  g_autoptr(GPtrArray) settings = NULL;
  xmlDocPtr doc;
  const xmlNode *root;
  const xmlNode *provider;
  guint priority = 0;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  if (length > KURIR_AUTOCONFIG_MAX_SIZE || length > G_MAXINT)
    {
      g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID,
                   "The configuration file is too large");
      return NULL;
    }

  /* No network, no entity substitution, no DTD loading, no huge trees. */
  doc = xmlReadMemory (data, (int) length, "config-v1.1.xml", NULL,
                       XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                       XML_PARSE_NOBLANKS | XML_PARSE_NOCDATA);
  if (doc == NULL)
    {
      g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID,
                   "The configuration file is not well-formed XML");
      return NULL;
    }

  /* Thunderbird's format has no DTD; one is only ever a trick. */
  if (doc->intSubset != NULL || doc->extSubset != NULL)
    {
      xmlFreeDoc (doc);
      g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID,
                   "The configuration file has a document type declaration");
      return NULL;
    }

  root = xmlDocGetRootElement (doc);
  if (root == NULL || g_strcmp0 ((const char *) root->name, "clientConfig") != 0 ||
      (provider = child_element (root, "emailProvider")) == NULL)
    {
      xmlFreeDoc (doc);
      g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID,
                   "The configuration file is not a mail client configuration");
      return NULL;
    }

  settings = g_ptr_array_new_with_free_func ((GDestroyNotify) kurir_server_setting_free);
  for (const xmlNode *node = provider->children; node != NULL; node = node->next)
    {
      KurirServerSetting *setting = NULL;

      if (node->type != XML_ELEMENT_NODE)
        continue;
      if (g_strcmp0 ((const char *) node->name, "incomingServer") == 0)
        setting = parse_server (node, TRUE, email, priority++);
      else if (g_strcmp0 ((const char *) node->name, "outgoingServer") == 0)
        setting = parse_server (node, FALSE, email, priority++);
      if (setting != NULL)
        g_ptr_array_add (settings, setting);
      if (settings->len >= 64)
        break;
    }
  xmlFreeDoc (doc);

  if (settings->len == 0)
    {
      g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID,
                   "The configuration file names no server Kurir can use");
      return NULL;
    }

  return g_steal_pointer (&settings);
}

void
kurir_discovery_free (KurirDiscovery *discovery)
{
  if (discovery == NULL)
    return;
  g_clear_pointer (&discovery->settings, g_ptr_array_unref);
  g_free (discovery->provider);
  g_free (discovery);
}

const KurirServerSetting *
kurir_discovery_get_best (KurirDiscovery *discovery,
                          KurirProtocol   protocol)
{
  g_return_val_if_fail (discovery != NULL, NULL);

  for (guint i = 0; i < discovery->settings->len; i++)
    {
      const KurirServerSetting *setting = g_ptr_array_index (discovery->settings, i);
      if (setting->protocol == protocol)
        return setting;
    }
  return NULL;
}

gboolean
kurir_discovery_needs_plaintext_warning (KurirDiscovery *discovery,
                                         KurirProtocol   protocol)
{
  const KurirServerSetting *best = kurir_discovery_get_best (discovery, protocol);

  return best != NULL && best->security == KURIR_SECURITY_NONE;
}

KurirAutoconfig *
kurir_autoconfig_new (const char *email)
{
  KurirAutoconfig *self;

  g_return_val_if_fail (email != NULL, NULL);

  self = g_object_new (KURIR_TYPE_AUTOCONFIG, NULL);
  self->email = g_strdup (email);
  self->domain = kurir_autoconfig_email_domain (email);
  return self;
}

void
kurir_autoconfig_set_sources (KurirAutoconfig     *self,
                              KurirDiscoverySource sources)
{
  g_return_if_fail (KURIR_IS_AUTOCONFIG (self));
  self->sources = sources;
}

void
kurir_autoconfig_add_probe_target (KurirAutoconfig *self,
                                   KurirProtocol    protocol,
                                   const char      *host,
                                   guint16          port,
                                   KurirSecurity    security)
{
  KurirServerSetting *target;

  g_return_if_fail (KURIR_IS_AUTOCONFIG (self));
  g_return_if_fail (host != NULL && port > 0);

  if (self->probe_targets == NULL)
    self->probe_targets = g_ptr_array_new_with_free_func ((GDestroyNotify) kurir_server_setting_free);
  target = kurir_server_setting_new (protocol, host, port, security, NULL,
                                     KURIR_DISCOVERY_SOURCE_PROBE);
  target->priority = self->probe_targets->len;
  g_ptr_array_add (self->probe_targets, target);
}

void
kurir_autoconfig_set_ca_file (KurirAutoconfig *self,
                              const char      *ca_file)
{
  g_return_if_fail (KURIR_IS_AUTOCONFIG (self));
  g_free (self->ca_file);
  self->ca_file = g_strdup (ca_file);
}

void
kurir_autoconfig_set_timeout (KurirAutoconfig *self,
                              guint            seconds)
{
  g_return_if_fail (KURIR_IS_AUTOCONFIG (self));
  g_return_if_fail (seconds > 0);
  self->timeout = seconds;
}

void
kurir_autoconfig_discover_async (KurirAutoconfig     *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GPtrArray) targets = NULL;
  DiscoverData *data;

  g_return_if_fail (KURIR_IS_AUTOCONFIG (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kurir_autoconfig_discover_async);

  if (self->domain == NULL)
    {
      g_task_return_new_error (task, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID,
                               "“%s” is not an email address", self->email);
      return;
    }

  data = g_new0 (DiscoverData, 1);
  data->settings = g_ptr_array_new_with_free_func ((GDestroyNotify) kurir_server_setting_free);
  data->cancellable = g_cancellable_new ();
  g_task_set_task_data (task, data, (GDestroyNotify) discover_data_free);

  /* A provider Kurir knows: its published settings, no network needed. */
  if (self->sources & KURIR_DISCOVERY_SOURCE_PROVIDER)
    {
      g_autoptr(GPtrArray) known = kurir_providers_lookup (self->email);

      if (known != NULL)
        {
          for (guint i = 0; i < known->len; i++)
            g_ptr_array_add (data->settings, kurir_server_setting_copy (g_ptr_array_index (known, i)));
          discover_return (task);
          return;
        }
    }

  if (cancellable != NULL)
    data->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (caller_cancelled_cb),
                                                g_object_ref (data->cancellable), g_object_unref);
  data->timeout_id = g_timeout_add_seconds (self->timeout, discover_timeout_cb, data);

  /* Holds the count above zero while the sources start. */
  data->pending = 1;
  g_object_ref (task);

  if (self->sources & KURIR_DISCOVERY_SOURCE_AUTOCONFIG)
    {
      g_autofree char *host = g_strconcat ("autoconfig.", self->domain, NULL);
      g_autofree char *escaped = g_uri_escape_string (self->email, NULL, FALSE);
      g_autofree char *path = g_strdup_printf ("/mail/config-v1.1.xml?emailaddress=%s", escaped);

      data->pending += 2;
      kurir_autoconfig_fetch_async (host, 443, path, NULL, data->cancellable,
                                    autoconfig_fetched_cb, g_object_ref (task));
      kurir_autoconfig_fetch_async (self->domain, 443, "/.well-known/autoconfig/mail/config-v1.1.xml",
                                    NULL, data->cancellable, autoconfig_fetched_cb, g_object_ref (task));
    }

  if (self->sources & KURIR_DISCOVERY_SOURCE_SRV)
    {
      data->pending++;
      kurir_autoconfig_lookup_srv_async (self->domain, data->cancellable, srv_done_cb,
                                         g_object_ref (task));
    }

  if (self->sources & KURIR_DISCOVERY_SOURCE_PROBE)
    {
      targets = self->probe_targets ? g_ptr_array_ref (self->probe_targets)
                                    : default_probe_targets (self->domain);
      for (guint i = 0; i < targets->len; i++)
        start_probe (self, task, g_ptr_array_index (targets, i));
    }

  discover_source_done (task);
}

KurirDiscovery *
kurir_autoconfig_discover_finish (KurirAutoconfig  *self,
                                  GAsyncResult     *result,
                                  GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
kurir_autoconfig_lookup_srv_async (const char          *domain,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr(GResolver) resolver = g_resolver_get_default ();
  SrvData *data;

  g_return_if_fail (domain != NULL);
  g_task_set_source_tag (task, kurir_autoconfig_lookup_srv_async);

  data = g_new0 (SrvData, 1);
  data->settings = g_ptr_array_new_with_free_func ((GDestroyNotify) kurir_server_setting_free);
  data->pending = G_N_ELEMENTS (srv_services);
  g_task_set_task_data (task, data, (GDestroyNotify) srv_data_free);

  for (guint i = 0; i < G_N_ELEMENTS (srv_services); i++)
    {
      SrvLookup *lookup = g_new0 (SrvLookup, 1);

      lookup->task = g_object_ref (task);
      lookup->service = &srv_services[i];
      g_resolver_lookup_service_async (resolver, srv_services[i].service, "tcp", domain,
                                       cancellable, srv_lookup_cb, lookup);
    }
}

GPtrArray *
kurir_autoconfig_lookup_srv_finish (GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * kurir_autoconfig_fetch_async:
 *
 * GET https://@host:@port@path: TLS always (never plain http), validated
 * against the system's anchors, or only @database's when given; at most
 * KURIR_AUTOCONFIG_MAX_SIZE bytes of body; no redirects; bounded in time.
 */
void
kurir_autoconfig_fetch_async (const char          *host,
                              guint16              port,
                              const char          *path,
                              GTlsDatabase        *database,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  FetchData *data = g_new0 (FetchData, 1);

  g_return_if_fail (host != NULL && path != NULL && path[0] == '/');

  g_task_set_source_tag (task, kurir_autoconfig_fetch_async);
  data->host = g_strdup (host);
  data->path = g_strdup (path);
  data->buffer = g_byte_array_new ();
  g_task_set_task_data (task, data, (GDestroyNotify) fetch_data_free);

  /* TLS with full validation (GIO's default). */
  g_socket_client_set_tls (client, TRUE);
  g_socket_client_set_timeout (client, HTTP_TIMEOUT);
  if (database != NULL)
    g_signal_connect_data (client, "event", G_CALLBACK (fetch_event_cb),
                           g_object_ref (database), (GClosureNotify) (void (*) (void)) g_object_unref, 0);
  g_socket_client_connect_to_host_async (client, host, port, cancellable,
                                         fetch_connect_cb, g_steal_pointer (&task));
}

/* Returns: the body of a 200 answer */
GBytes *
kurir_autoconfig_fetch_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
