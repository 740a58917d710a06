/* test-discovery.c: probing finds the test Dovecot and SMTP server when the
 * probe targets point at 127.0.0.1; certificates that do not validate
 * (self-signed, expired, wrong host) are refused before any credential,
 * a pinned certificate is accepted and a changed one is not
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "kurir-autoconfig.h"
#include "kurir-trust.h"
#include "kurir-autoconfig-login.h"
#include "kurir-connection.h"
#include "kurir-net-error.h"
#include "kurir-imap-client.h"
#include "kurir-test-util.h"

/* Probing */

static KurirDiscovery *
discover (KurirAutoconfig  *autoconfig,
          GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kurir_autoconfig_discover_async (autoconfig, NULL, kurir_test_store_result, &result);
  return kurir_autoconfig_discover_finish (autoconfig, kurir_test_wait (&result), error);
}

static guint16
closed_port (void)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  guint16 port = g_socket_listener_add_any_inet_port (listener, NULL, NULL);

  g_socket_listener_close (listener);
  return port;
}

static void
add_test_targets (KurirAutoconfig *autoconfig)
{
  const char *host = kurir_test_getenv ("KURIR_TEST_HOST");

  kurir_autoconfig_add_probe_target (autoconfig, KURIR_PROTOCOL_IMAP, host,
                                     kurir_test_port ("KURIR_TEST_IMAP_PORT"), KURIR_SECURITY_STARTTLS);
  kurir_autoconfig_add_probe_target (autoconfig, KURIR_PROTOCOL_IMAP, host,
                                     kurir_test_port ("KURIR_TEST_IMAPS_PORT"), KURIR_SECURITY_TLS);
  kurir_autoconfig_add_probe_target (autoconfig, KURIR_PROTOCOL_POP3, host,
                                     kurir_test_port ("KURIR_TEST_POP3_PORT"), KURIR_SECURITY_STARTTLS);
  kurir_autoconfig_add_probe_target (autoconfig, KURIR_PROTOCOL_POP3, host,
                                     kurir_test_port ("KURIR_TEST_POP3S_PORT"), KURIR_SECURITY_TLS);
  kurir_autoconfig_add_probe_target (autoconfig, KURIR_PROTOCOL_SMTP, host,
                                     kurir_test_port ("KURIR_TEST_SMTP_PORT"), KURIR_SECURITY_STARTTLS);
  kurir_autoconfig_add_probe_target (autoconfig, KURIR_PROTOCOL_SMTP, host,
                                     kurir_test_port ("KURIR_TEST_SMTPS_PORT"), KURIR_SECURITY_TLS);
  /* Nobody listens here: left out, not an error. */
  kurir_autoconfig_add_probe_target (autoconfig, KURIR_PROTOCOL_IMAP, host,
                                     closed_port (), KURIR_SECURITY_TLS);
}

static void
test_probe_finds_servers (void)
{
  g_autoptr(KurirAutoconfig) autoconfig = NULL;
  g_autoptr(KurirDiscovery) discovery = NULL;
  g_autoptr(GError) error = NULL;
  const KurirServerSetting *best;

  kurir_test_require_servers ();

  autoconfig = kurir_autoconfig_new ("sybil@example.test");
  kurir_autoconfig_set_sources (autoconfig, KURIR_DISCOVERY_SOURCE_PROBE);
  kurir_autoconfig_set_ca_file (autoconfig, kurir_test_getenv ("KURIR_TEST_CA"));
  add_test_targets (autoconfig);

  discovery = discover (autoconfig, &error);
  g_assert_no_error (error);
  g_assert_nonnull (discovery);
  g_assert_cmpuint (discovery->settings->len, ==, 6);

  best = kurir_discovery_get_best (discovery, KURIR_PROTOCOL_IMAP);
  g_assert_nonnull (best);
  g_assert_cmpuint (best->port, ==, kurir_test_port ("KURIR_TEST_IMAPS_PORT"));
  g_assert_cmpint (best->security, ==, KURIR_SECURITY_TLS);
  g_assert_true (best->verified);
  g_assert_cmpint (best->source, ==, KURIR_DISCOVERY_SOURCE_PROBE);
  g_assert_cmpuint (best->certificate_errors, ==, 0);

  best = kurir_discovery_get_best (discovery, KURIR_PROTOCOL_POP3);
  g_assert_nonnull (best);
  g_assert_cmpuint (best->port, ==, kurir_test_port ("KURIR_TEST_POP3S_PORT"));

  best = kurir_discovery_get_best (discovery, KURIR_PROTOCOL_SMTP);
  g_assert_nonnull (best);
  g_assert_cmpuint (best->port, ==, kurir_test_port ("KURIR_TEST_SMTPS_PORT"));
  g_assert_cmpint (best->security, ==, KURIR_SECURITY_TLS);

  /* STARTTLS was found too, ranked below. */
  for (guint i = 0; i < discovery->settings->len; i++)
    {
      const KurirServerSetting *s = g_ptr_array_index (discovery->settings, i);
      g_assert_cmpint (s->security, !=, KURIR_SECURITY_NONE);
    }
  g_assert_false (kurir_discovery_needs_plaintext_warning (discovery, KURIR_PROTOCOL_IMAP));
}

static void
test_probe_untrusted_certificate (void)
{
  g_autoptr(KurirAutoconfig) autoconfig = NULL;
  g_autoptr(KurirDiscovery) discovery = NULL;
  g_autoptr(GError) error = NULL;
  const KurirServerSetting *best;

  kurir_test_require_servers ();

  /* No CA file: the servers are found, with the certificate to ask about. */
  autoconfig = kurir_autoconfig_new ("sybil@example.test");
  kurir_autoconfig_set_sources (autoconfig, KURIR_DISCOVERY_SOURCE_PROBE);
  kurir_autoconfig_add_probe_target (autoconfig, KURIR_PROTOCOL_IMAP, kurir_test_getenv ("KURIR_TEST_HOST"),
                                     kurir_test_port ("KURIR_TEST_IMAPS_PORT"), KURIR_SECURITY_TLS);

  discovery = discover (autoconfig, &error);
  g_assert_no_error (error);
  best = kurir_discovery_get_best (discovery, KURIR_PROTOCOL_IMAP);
  g_assert_nonnull (best);
  g_assert_true (best->certificate_errors & G_TLS_CERTIFICATE_UNKNOWN_CA);
  g_assert_nonnull (best->certificate);
}

static void
test_probe_nothing (void)
{
  g_autoptr(KurirAutoconfig) autoconfig = NULL;
  g_autoptr(KurirDiscovery) discovery = NULL;
  g_autoptr(GError) error = NULL;

  autoconfig = kurir_autoconfig_new ("sybil@example.test");
  kurir_autoconfig_set_sources (autoconfig, KURIR_DISCOVERY_SOURCE_PROBE);
  kurir_autoconfig_add_probe_target (autoconfig, KURIR_PROTOCOL_IMAP, "127.0.0.1",
                                     closed_port (), KURIR_SECURITY_TLS);
  discovery = discover (autoconfig, &error);
  g_assert_null (discovery);
  g_assert_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_NOT_FOUND);
}

/* A one-connection TLS server presenting a chosen certificate, recording
 * what the client sent after the handshake. */

typedef struct
{
  GSocketListener *listener;
  GTlsCertificate *certificate;
  guint16          port;
  GThread         *thread;
  gboolean         handshake_ok;
  GString         *received;
  GBytes          *http_response;  /* set: an HTTPS server answering one GET */
} TlsServer;

static gpointer
tls_server_thread (gpointer user_data)
{
  TlsServer *server = user_data;
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GIOStream) tls = NULL;
  g_autoptr(GError) error = NULL;
  static const char greeting[] = "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] test ready\r\n";
  char buffer[1024];
  gssize n;

  connection = g_socket_listener_accept (server->listener, NULL, NULL, &error);
  if (connection == NULL)
    return NULL;
  g_socket_set_timeout (g_socket_connection_get_socket (connection), KURIR_TEST_TIMEOUT_SECONDS);

  tls = g_tls_server_connection_new (G_IO_STREAM (connection), server->certificate, &error);
  if (tls == NULL || !g_tls_connection_handshake (G_TLS_CONNECTION (tls), NULL, &error))
    return NULL;
  server->handshake_ok = TRUE;

  if (server->http_response != NULL)
    {
      while (strstr (server->received->str, "\r\n\r\n") == NULL &&
             (n = g_input_stream_read (g_io_stream_get_input_stream (tls), buffer, sizeof buffer,
                                       NULL, NULL)) > 0)
        g_string_append_len (server->received, buffer, n);
      g_output_stream_write_all (g_io_stream_get_output_stream (tls),
                                 g_bytes_get_data (server->http_response, NULL),
                                 g_bytes_get_size (server->http_response), NULL, NULL, NULL);
      g_io_stream_close (tls, NULL, NULL);
      return NULL;
    }

  if (!g_output_stream_write_all (g_io_stream_get_output_stream (tls), greeting, strlen (greeting),
                                  NULL, NULL, &error))
    return NULL;
  while ((n = g_input_stream_read (g_io_stream_get_input_stream (tls), buffer, sizeof buffer,
                                   NULL, NULL)) > 0)
    g_string_append_len (server->received, buffer, n);

  return NULL;
}

static TlsServer *
tls_server_start_full (const char *name,
                       GBytes     *http_response)
{
  TlsServer *server = g_new0 (TlsServer, 1);
  g_autofree char *cert = g_strdup_printf ("%s/ca/%s.pem", kurir_test_getenv ("KURIR_TEST_DIR"), name);
  g_autofree char *key = g_strdup_printf ("%s/ca/%s.key", kurir_test_getenv ("KURIR_TEST_DIR"), name);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GError) error = NULL;

  server->certificate = g_tls_certificate_new_from_files (cert, key, &error);
  g_assert_no_error (error);
  server->listener = g_socket_listener_new ();
  g_socket_listener_add_address (server->listener, address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error);
  g_assert_no_error (error);
  server->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  server->received = g_string_new (NULL);
  server->http_response = http_response ? g_bytes_ref (http_response) : NULL;
  server->thread = g_thread_new ("tls-server", tls_server_thread, server);
  return server;
}

static TlsServer *
tls_server_start (const char *name)
{
  return tls_server_start_full (name, NULL);
}

/* Waits until the server has seen the client close. */
static void
tls_server_join (TlsServer *server)
{
  if (server->thread != NULL)
    g_thread_join (g_steal_pointer (&server->thread));
}

static void
tls_server_stop (TlsServer *server)
{
  tls_server_join (server);
  g_socket_listener_close (server->listener);
  g_object_unref (server->listener);
  g_object_unref (server->certificate);
  g_string_free (server->received, TRUE);
  g_clear_pointer (&server->http_response, g_bytes_unref);
  g_free (server);
}

static GTlsCertificate *
load_certificate (const char *name)
{
  g_autofree char *path = g_strdup_printf ("%s/ca/%s.pem", kurir_test_getenv ("KURIR_TEST_DIR"), name);
  g_autoptr(GError) error = NULL;
  GTlsCertificate *certificate = g_tls_certificate_new_from_file (path, &error);

  g_assert_no_error (error);
  return certificate;
}

/* What the app and kurir-cli do: connect, and log in only if that worked. */
static gboolean
connect_and_login (TlsServer        *server,
                   gboolean          with_ca,
                   gboolean          apply_pins,
                   KurirConnection **out_connection,
                   GError          **error)
{
  g_autoptr(KurirConnection) connection = NULL;
  g_autoptr(KurirImapClient) client = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  gboolean ok;

  connection = kurir_connection_new (kurir_test_getenv ("KURIR_TEST_HOSTNAME"), server->port,
                                     KURIR_SECURITY_TLS);
  kurir_connection_set_timeout (connection, KURIR_TEST_TIMEOUT_SECONDS);
  if (with_ca)
    g_assert_true (kurir_connection_set_ca_file (connection, kurir_test_getenv ("KURIR_TEST_CA"), NULL));
  if (apply_pins)
    kurir_trust_apply (connection, KURIR_PROTOCOL_IMAP);
  client = kurir_imap_client_new (connection);

  kurir_imap_client_connect_async (client, NULL, kurir_test_store_result, &result);
  ok = kurir_imap_client_connect_finish (client, kurir_test_wait (&result), error);
  if (ok)
    {
      /* The password goes out only now; the test server never answers it,
       * so the client is closed after it was written. */
      g_clear_object (&result);
      kurir_imap_client_close (client);
    }
  else
    kurir_imap_client_close (client);

  if (out_connection != NULL)
    *out_connection = g_object_ref (connection);
  return ok;
}

static void
check_refused (const char           *name,
               GTlsCertificateFlags  expected,
               const char           *reason_text)
{
  TlsServer *server;
  g_autoptr(KurirConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *fingerprint = NULL;

  kurir_test_require_servers ();

  server = tls_server_start (name);
  g_assert_false (connect_and_login (server, TRUE, TRUE, &connection, &error));
  g_assert_error (error, KURIR_NET_ERROR, KURIR_NET_ERROR_CERTIFICATE);
  g_assert_true ((kurir_connection_get_peer_certificate_errors (connection) & expected) == expected);
  tls_server_join (server);
  /* Nothing at all after the failed handshake: no LOGIN, no AUTHENTICATE. */
  g_assert_false (server->handshake_ok);
  g_assert_cmpuint (server->received->len, ==, 0);

  /* What the dialog and kurir-cli show. */
  text = kurir_trust_format_cli_refusal (connection);
  fingerprint = kurir_trust_dup_fingerprint (kurir_connection_get_peer_certificate (connection));
  g_assert_nonnull (strstr (text, reason_text));
  g_assert_nonnull (strstr (text, fingerprint));
  g_assert_nonnull (strstr (text, "--ca-file"));
  g_assert_nonnull (strstr (text, "Issued by:"));
  g_assert_nonnull (strstr (text, "Valid from"));
  g_assert_cmpuint (strlen (fingerprint), ==, 32 * 3 - 1);
  tls_server_stop (server);
}

static void
test_refuse_selfsigned (void)
{
  check_refused ("selfsigned", G_TLS_CERTIFICATE_UNKNOWN_CA, "not signed by a known authority");
}

static void
test_refuse_expired (void)
{
  check_refused ("expired", G_TLS_CERTIFICATE_EXPIRED, "expired");
}

static void
test_refuse_wrong_host (void)
{
  check_refused ("wronghost", G_TLS_CERTIFICATE_BAD_IDENTITY, "issued for another host");
}

static void
test_pinned_accepted (void)
{
  TlsServer *server;
  g_autoptr(GTlsCertificate) selfsigned = NULL;
  g_autoptr(GTlsCertificate) found = NULL;
  g_autoptr(GError) error = NULL;
  const char *host = kurir_test_getenv ("KURIR_TEST_HOSTNAME");

  kurir_test_require_servers ();

  server = tls_server_start ("selfsigned");
  selfsigned = load_certificate ("selfsigned");
  g_assert_true (kurir_trust_pin (host, server->port, KURIR_PROTOCOL_IMAP, selfsigned, &error));
  g_assert_no_error (error);
  found = kurir_trust_lookup (host, server->port, KURIR_PROTOCOL_IMAP);
  g_assert_nonnull (found);
  g_assert_true (g_tls_certificate_is_same (found, selfsigned));
  /* Per protocol and port. */
  g_assert_null (kurir_trust_lookup (host, server->port, KURIR_PROTOCOL_POP3));
  g_assert_null (kurir_trust_lookup (host, server->port + 1, KURIR_PROTOCOL_IMAP));

  g_assert_true (connect_and_login (server, FALSE, TRUE, NULL, &error));
  g_assert_no_error (error);
  tls_server_join (server);
  g_assert_true (server->handshake_ok);

  g_assert_true (kurir_trust_unpin (host, server->port, KURIR_PROTOCOL_IMAP, &error));
  g_assert_null (kurir_trust_lookup (host, server->port, KURIR_PROTOCOL_IMAP));
  tls_server_stop (server);
}

static void
test_pinned_changed_refused (void)
{
  TlsServer *server;
  g_autoptr(GTlsCertificate) other = NULL;
  g_autoptr(KurirConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  const char *host = kurir_test_getenv ("KURIR_TEST_HOSTNAME");

  kurir_test_require_servers ();

  /* The user trusted another certificate for this server; it now shows the
   * self-signed one (and another pin never widens trust). */
  server = tls_server_start ("selfsigned");
  other = load_certificate ("expired");
  g_assert_true (kurir_trust_pin (host, server->port, KURIR_PROTOCOL_IMAP, other, &error));

  g_assert_false (connect_and_login (server, FALSE, TRUE, &connection, &error));
  g_assert_error (error, KURIR_NET_ERROR, KURIR_NET_ERROR_CERTIFICATE);
  tls_server_join (server);
  g_assert_false (server->handshake_ok);
  g_assert_cmpuint (server->received->len, ==, 0);
  tls_server_stop (server);
}

static void
test_pin_invalid_host (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;

  kurir_test_require_servers ();
  certificate = load_certificate ("selfsigned");
  g_assert_false (kurir_trust_pin ("../../etc/passwd", 993, KURIR_PROTOCOL_IMAP, certificate, &error));
  g_assert_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID);
  g_assert_null (kurir_trust_lookup ("../../etc/passwd", 993, KURIR_PROTOCOL_IMAP));
}

/* The autoconfig file over HTTPS */

static const char config_xml[] =
  "<?xml version=\"1.0\"?>\n"
  "<clientConfig version=\"1.1\"><emailProvider id=\"example.test\">"
  "<incomingServer type=\"imap\"><hostname>imap.example.test</hostname><port>993</port>"
  "<socketType>SSL</socketType><username>%EMAILLOCALPART%</username>"
  "<authentication>password-cleartext</authentication></incomingServer>"
  "<outgoingServer type=\"smtp\"><hostname>smtp.example.test</hostname><port>465</port>"
  "<socketType>SSL</socketType><username>%EMAILADDRESS%</username>"
  "<authentication>password-cleartext</authentication></outgoingServer>"
  "</emailProvider></clientConfig>\n";

static GBytes *
fetch (const char  *certificate_name,
       GBytes      *response,
       GString    **out_request,
       GError     **error)
{
  TlsServer *server = tls_server_start_full (certificate_name, response);
  g_autoptr(GTlsDatabase) database = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) local_error = NULL;
  GBytes *body;

  database = g_tls_file_database_new (kurir_test_getenv ("KURIR_TEST_CA"), &local_error);
  g_assert_no_error (local_error);
  kurir_autoconfig_fetch_async (kurir_test_getenv ("KURIR_TEST_HOSTNAME"), server->port,
                                "/mail/config-v1.1.xml?emailaddress=sybil%40example.test",
                                database, NULL, kurir_test_store_result, &result);
  body = kurir_autoconfig_fetch_finish (kurir_test_wait (&result), error);
  tls_server_join (server);
  if (out_request != NULL)
    *out_request = g_string_new (server->received->str);
  tls_server_stop (server);
  return body;
}

static void
test_fetch (void)
{
  g_autofree char *text = NULL;
  g_autoptr(GBytes) response = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GPtrArray) settings = NULL;
  g_autoptr(GError) error = NULL;
  GString *request = NULL;

  kurir_test_require_servers ();

  text = g_strdup_printf ("HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: %zu\r\n\r\n%s",
                          strlen (config_xml), config_xml);
  response = g_bytes_new (text, strlen (text));
  body = fetch ("server", response, &request, &error);
  g_assert_no_error (error);
  g_assert_nonnull (body);
  g_assert_true (g_str_has_prefix (request->str, "GET /mail/config-v1.1.xml?emailaddress=sybil%40example.test HTTP/1.1\r\n"));
  g_assert_nonnull (strstr (request->str, "\r\nHost: localhost\r\n"));
  g_string_free (request, TRUE);

  settings = kurir_autoconfig_parse (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                     "sybil@example.test", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (settings->len, ==, 2);
  g_assert_cmpstr (((KurirServerSetting *) g_ptr_array_index (settings, 0))->user, ==, "sybil");
  g_assert_cmpstr (((KurirServerSetting *) g_ptr_array_index (settings, 1))->user, ==, "sybil@example.test");
}

static void
test_fetch_chunked (void)
{
  static const char text[] =
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    "5\r\nHello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n";
  g_autoptr(GBytes) response = g_bytes_new_static (text, strlen (text));
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;

  kurir_test_require_servers ();
  body = fetch ("server", response, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (body, NULL), g_bytes_get_size (body), "Hello, world", 12);
}

static void
test_fetch_refused (void)
{
  static const char not_found[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
  static const char redirect[] = "HTTP/1.1 301 Moved\r\nLocation: http://example.test/\r\n\r\n";
  static const char garbage[] = "220 smtp.example.test ESMTP\r\n";
  static const char bad_chunk[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffff\r\nab";
  const char *cases[] = { not_found, redirect, garbage, bad_chunk };
  gsize huge_size = KURIR_AUTOCONFIG_MAX_SIZE + 64 * 1024;
  g_autofree char *huge = g_malloc (huge_size);

  kurir_test_require_servers ();

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) response = g_bytes_new_static (cases[i], strlen (cases[i]));
      g_autoptr(GBytes) body = NULL;
      g_autoptr(GError) error = NULL;

      body = fetch ("server", response, NULL, &error);
      g_assert_null (body);
      g_assert_nonnull (error);
    }

  /* Larger than the bound: stopped, not kept in memory. */
  {
    g_autoptr(GBytes) response = NULL;
    g_autoptr(GBytes) body = NULL;
    g_autoptr(GError) error = NULL;

    memset (huge, 'x', huge_size);
    memcpy (huge, "HTTP/1.1 200 OK\r\n\r\n", 19);
    response = g_bytes_new_static (huge, huge_size);
    body = fetch ("server", response, NULL, &error);
    g_assert_null (body);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
  }

  /* A certificate that does not validate: no request at all. */
  {
    g_autoptr(GBytes) response = g_bytes_new_static (not_found, strlen (not_found));
    g_autoptr(GBytes) body = NULL;
    g_autoptr(GError) error = NULL;
    GString *request = NULL;

    body = fetch ("selfsigned", response, &request, &error);
    g_assert_null (body);
    g_assert_true (error->domain == G_TLS_ERROR);
    g_assert_cmpuint (request->len, ==, 0);
    g_string_free (request, TRUE);
  }
}

/* The login test before saving */

static KurirAccount *
sybil_account (KurirProtocol protocol)
{
  KurirAccount *account = kurir_account_new ("sybil");
  const char *host = kurir_test_getenv ("KURIR_TEST_HOST");

  kurir_account_set_email (account, "sybil@example.test");
  kurir_account_set_protocol (account, protocol);
  kurir_account_set_host (account, host);
  kurir_account_set_port (account, kurir_test_port (protocol == KURIR_PROTOCOL_IMAP ?
                                                    "KURIR_TEST_IMAP_PORT" : "KURIR_TEST_POP3S_PORT"));
  kurir_account_set_security (account, protocol == KURIR_PROTOCOL_IMAP ?
                              KURIR_SECURITY_STARTTLS : KURIR_SECURITY_TLS);
  kurir_account_set_user (account, "sybil");
  kurir_account_set_smtp_host (account, host);
  kurir_account_set_smtp_port (account, kurir_test_port ("KURIR_TEST_SMTPS_PORT"));
  kurir_account_set_smtp_security (account, KURIR_SECURITY_TLS);
  return account;
}

static gboolean
login_test (KurirAccount           *account,
            gboolean                outgoing,
            const char             *user,
            const char             *password,
            KurirLoginCertificate **out_certificate,
            GError                **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kurir_login_test_async (account, outgoing, user, password, NULL, NULL,
                          kurir_test_store_result, &result);
  return kurir_login_test_finish (kurir_test_wait (&result), out_certificate, error);
}

static void
test_login (void)
{
  const char *password;

  kurir_test_require_servers ();
  password = kurir_test_getenv ("KURIR_TEST_PASSWORD_SYBIL");

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(KurirAccount) account = sybil_account (i == 0 ? KURIR_PROTOCOL_IMAP : KURIR_PROTOCOL_POP3);
      g_autoptr(GError) error = NULL;
      g_autoptr(KurirLoginCertificate) certificate = NULL;

      kurir_account_set_ca_file (account, kurir_test_getenv ("KURIR_TEST_CA"));
      g_assert_true (login_test (account, FALSE, NULL, password, NULL, &error));
      g_assert_no_error (error);
      g_assert_true (login_test (account, TRUE, NULL, password, NULL, &error));
      g_assert_no_error (error);

      /* A wrong password: an auth failure that names the server. */
      g_assert_false (login_test (account, FALSE, NULL, "wrong", NULL, &error));
      g_assert_true (kurir_login_error_is_auth_failure (error));
      g_assert_nonnull (strstr (error->message, "Incoming server 127.0.0.1"));
      g_clear_error (&error);
      g_assert_false (login_test (account, TRUE, NULL, "wrong", NULL, &error));
      g_assert_true (kurir_login_error_is_auth_failure (error));
      g_assert_nonnull (strstr (error->message, "Outgoing server 127.0.0.1"));
      g_clear_error (&error);

      /* Without the CA: refused before the password, with what to show. */
      kurir_account_set_ca_file (account, NULL);
      g_assert_false (login_test (account, FALSE, NULL, password, &certificate, &error));
      g_assert_error (error, KURIR_NET_ERROR, KURIR_NET_ERROR_CERTIFICATE);
      g_assert_nonnull (certificate);
      g_assert_nonnull (certificate->certificate);
      g_assert_true (certificate->errors & G_TLS_CERTIFICATE_UNKNOWN_CA);
      g_assert_cmpstr (certificate->host, ==, kurir_test_getenv ("KURIR_TEST_HOST"));
      g_assert_cmpint (certificate->protocol, ==, kurir_account_get_protocol (account));
      g_clear_error (&error);

      /* Trusted once: the same certificate passes, and nothing is stored. */
      {
        g_autoptr(GAsyncResult) result = NULL;

        kurir_login_test_async (account, FALSE, NULL, password, certificate->certificate, NULL,
                                kurir_test_store_result, &result);
        g_assert_true (kurir_login_test_finish (kurir_test_wait (&result), NULL, &error));
        g_assert_no_error (error);
        g_assert_null (kurir_trust_lookup (certificate->host, certificate->port, certificate->protocol));
      }

      /* Pinned ("Always trust"): passes without the CA file. */
      g_assert_true (kurir_trust_pin (certificate->host, certificate->port, certificate->protocol,
                                      certificate->certificate, &error));
      g_assert_true (login_test (account, FALSE, NULL, password, NULL, &error));
      g_assert_no_error (error);
      g_assert_true (kurir_trust_unpin (certificate->host, certificate->port, certificate->protocol, &error));
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/discovery/probe/finds-servers", test_probe_finds_servers);
  g_test_add_func ("/discovery/probe/untrusted-certificate", test_probe_untrusted_certificate);
  g_test_add_func ("/discovery/probe/nothing", test_probe_nothing);
  g_test_add_func ("/trust/refuse/selfsigned", test_refuse_selfsigned);
  g_test_add_func ("/trust/refuse/expired", test_refuse_expired);
  g_test_add_func ("/trust/refuse/wrong-host", test_refuse_wrong_host);
  g_test_add_func ("/trust/pinned/accepted", test_pinned_accepted);
  g_test_add_func ("/trust/pinned/changed-refused", test_pinned_changed_refused);
  g_test_add_func ("/trust/pin/invalid-host", test_pin_invalid_host);
  g_test_add_func ("/login/test", test_login);
  g_test_add_func ("/autoconfig/fetch/ok", test_fetch);
  g_test_add_func ("/autoconfig/fetch/chunked", test_fetch_chunked);
  g_test_add_func ("/autoconfig/fetch/refused", test_fetch_refused);

  return g_test_run ();
}
