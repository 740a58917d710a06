/* test-net.c: the network layer against the real Dovecot (implicit TLS and
 * STARTTLS, trusting the test CA through the account's CA file only), and
 * against a scripted loopback server for what no honest server sends
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "kurir-connection.h"
#include "kurir-net-error.h"
#include "kurir-scripted-server.h"
#include "kurir-test-util.h"

/* Helpers: synchronous wrappers around the async API, each bounded */

static gboolean
do_connect (KurirConnection  *connection,
            GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kurir_connection_connect_async (connection, NULL, kurir_test_store_result, &result);
  return kurir_connection_connect_finish (connection, kurir_test_wait (&result), error);
}

static gboolean
do_starttls (KurirConnection  *connection,
             GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kurir_connection_starttls_async (connection, NULL, kurir_test_store_result, &result);
  return kurir_connection_starttls_finish (connection, kurir_test_wait (&result), error);
}

static char *
read_line (KurirConnection  *connection,
           GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kurir_connection_read_line_async (connection, NULL, kurir_test_store_result, &result);
  return kurir_connection_read_line_finish (connection, kurir_test_wait (&result), NULL, error);
}

static void
write_line (KurirConnection *connection,
            const char      *line)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *data = g_strconcat (line, "\r\n", NULL);

  kurir_connection_write_async (connection, data, strlen (data), KURIR_WRITE_NONE, NULL,
                                kurir_test_store_result, &result);
  kurir_connection_write_finish (connection, kurir_test_wait (&result), &error);
  g_assert_no_error (error);
}

static KurirConnection *
dovecot_connection (const char    *host,
                    const char    *port_variable,
                    KurirSecurity  security,
                    gboolean       trust_test_ca)
{
  KurirConnection *connection;
  g_autoptr(GError) error = NULL;

  connection = kurir_connection_new (host, kurir_test_port (port_variable), security);
  if (trust_test_ca)
    {
      kurir_connection_set_ca_file (connection, kurir_test_getenv ("KURIR_TEST_CA"), &error);
      g_assert_no_error (error);
    }
  return connection;
}

/* Reads IMAP lines up to the tagged reply to @tag; returns them joined. */
static char *
imap_command (KurirConnection *connection,
              const char      *tag,
              const char      *command)
{
  g_autoptr(GString) reply = g_string_new (NULL);
  g_autofree char *line = g_strdup_printf ("%s %s", tag, command);
  g_autofree char *prefix = g_strconcat (tag, " ", NULL);

  write_line (connection, line);
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *reply_line = read_line (connection, &error);

      g_assert_no_error (error);
      g_string_append_printf (reply, "%s\n", reply_line);
      if (g_str_has_prefix (reply_line, prefix))
        break;
    }
  return g_string_free (g_steal_pointer (&reply), FALSE);
}

/* Reads a POP3 multi-line reply up to its "." line. */
static char *
pop3_multiline (KurirConnection *connection,
                const char      *command)
{
  g_autoptr(GString) reply = g_string_new (NULL);

  write_line (connection, command);
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *line = read_line (connection, &error);

      g_assert_no_error (error);
      if (reply->len == 0)
        g_assert_true (g_str_has_prefix (line, "+OK"));
      if (strcmp (line, ".") == 0)
        break;
      g_string_append_printf (reply, "%s\n", line);
    }
  return g_string_free (g_steal_pointer (&reply), FALSE);
}

/* Tests against Dovecot */

static void
test_imaps_with_ca (gconstpointer data)
{
  const char *host = data;
  g_autoptr(KurirConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *greeting = NULL;

  connection = dovecot_connection (host, "KURIR_TEST_IMAPS_PORT", KURIR_SECURITY_TLS, TRUE);
  g_assert_true (do_connect (connection, &error));
  g_assert_no_error (error);
  g_assert_true (kurir_connection_is_encrypted (connection));
  g_assert_nonnull (kurir_connection_get_peer_certificate (connection));
  g_assert_cmpuint (kurir_connection_get_peer_certificate_errors (connection), ==, 0);

  greeting = read_line (connection, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (greeting, "* OK"));
}

static void
test_imaps_without_ca (void)
{
  g_autoptr(KurirConnection) connection = NULL;
  g_autoptr(GError) error = NULL;

  connection = dovecot_connection ("127.0.0.1", "KURIR_TEST_IMAPS_PORT", KURIR_SECURITY_TLS, FALSE);
  g_assert_false (do_connect (connection, &error));
  g_assert_error (error, KURIR_NET_ERROR, KURIR_NET_ERROR_CERTIFICATE);
  g_assert_nonnull (strstr (error->message, "127.0.0.1"));
  g_assert_nonnull (strstr (error->message, "not signed by a known authority"));
  g_assert_nonnull (strstr (error->message, "SHA-256 "));
  g_assert_true (kurir_connection_get_peer_certificate_errors (connection) & G_TLS_CERTIFICATE_UNKNOWN_CA);
  g_assert_nonnull (kurir_connection_get_peer_certificate (connection));
}

static void
test_imap_starttls (void)
{
  g_autoptr(KurirConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *greeting = NULL;
  g_autofree char *before = NULL;
  g_autofree char *reply = NULL;
  g_autofree char *after = NULL;

  connection = dovecot_connection ("127.0.0.1", "KURIR_TEST_IMAP_PORT", KURIR_SECURITY_STARTTLS, TRUE);
  g_assert_true (do_connect (connection, &error));
  g_assert_false (kurir_connection_is_encrypted (connection));
  greeting = read_line (connection, &error);
  g_assert_true (g_str_has_prefix (greeting, "* OK"));

  /* The plaintext port refuses logins until TLS is up... */
  before = imap_command (connection, "a1", "CAPABILITY");
  g_assert_nonnull (strstr (before, "STARTTLS"));
  g_assert_nonnull (strstr (before, "LOGINDISABLED"));

  reply = imap_command (connection, "a2", "STARTTLS");
  g_assert_true (g_str_has_prefix (reply, "a2 OK"));
  g_assert_true (do_starttls (connection, &error));
  g_assert_no_error (error);
  g_assert_true (kurir_connection_is_encrypted (connection));
  g_assert_cmpuint (kurir_connection_get_peer_certificate_errors (connection), ==, 0);

  /* ...and allows them after. */
  after = imap_command (connection, "a3", "CAPABILITY");
  g_assert_nonnull (strstr (after, "AUTH=PLAIN"));
  g_assert_null (strstr (after, "LOGINDISABLED"));
  g_assert_nonnull (strstr (after, "a3 OK"));
}

static void
test_imap_starttls_without_ca (void)
{
  g_autoptr(KurirConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *greeting = NULL;
  g_autofree char *reply = NULL;

  connection = dovecot_connection ("127.0.0.1", "KURIR_TEST_IMAP_PORT", KURIR_SECURITY_STARTTLS, FALSE);
  g_assert_true (do_connect (connection, &error));
  greeting = read_line (connection, &error);
  reply = imap_command (connection, "a1", "STARTTLS");
  g_assert_true (g_str_has_prefix (reply, "a1 OK"));
  g_assert_false (do_starttls (connection, &error));
  g_assert_error (error, KURIR_NET_ERROR, KURIR_NET_ERROR_CERTIFICATE);
  g_assert_false (kurir_connection_is_encrypted (connection));
}

static void
test_pop3s_with_ca (void)
{
  g_autoptr(KurirConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *greeting = NULL;

  connection = dovecot_connection ("127.0.0.1", "KURIR_TEST_POP3S_PORT", KURIR_SECURITY_TLS, TRUE);
  g_assert_true (do_connect (connection, &error));
  g_assert_no_error (error);
  g_assert_true (kurir_connection_is_encrypted (connection));
  greeting = read_line (connection, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (greeting, "+OK"));
}

static void
test_pop3s_without_ca (void)
{
  g_autoptr(KurirConnection) connection = NULL;
  g_autoptr(GError) error = NULL;

  connection = dovecot_connection ("127.0.0.1", "KURIR_TEST_POP3S_PORT", KURIR_SECURITY_TLS, FALSE);
  g_assert_false (do_connect (connection, &error));
  g_assert_error (error, KURIR_NET_ERROR, KURIR_NET_ERROR_CERTIFICATE);
}

static void
test_pop3_stls (void)
{
  g_autoptr(KurirConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *greeting = NULL;
  g_autofree char *before = NULL;
  g_autofree char *reply = NULL;
  g_autofree char *after = NULL;

  connection = dovecot_connection ("127.0.0.1", "KURIR_TEST_POP3_PORT", KURIR_SECURITY_STARTTLS, TRUE);
  g_assert_true (do_connect (connection, &error));
  greeting = read_line (connection, &error);
  g_assert_true (g_str_has_prefix (greeting, "+OK"));

  before = pop3_multiline (connection, "CAPA");
  g_assert_nonnull (strstr (before, "STLS"));

  write_line (connection, "STLS");
  reply = read_line (connection, &error);
  g_assert_true (g_str_has_prefix (reply, "+OK"));
  g_assert_true (do_starttls (connection, &error));
  g_assert_no_error (error);
  g_assert_true (kurir_connection_is_encrypted (connection));

  after = pop3_multiline (connection, "CAPA");
  g_assert_nonnull (strstr (after, "SASL"));
  g_assert_nonnull (strstr (after, "SCRAM-SHA-256"));
  g_assert_null (strstr (after, "STLS"));
}

/* Against a scripted loopback server (tests/common) */

static void
test_starttls_injected_bytes (void)
{
  /* The "go ahead" and a forged reply in one packet (CVE-2011-0411 style). */
  static const KurirScriptStep steps[] = {
    { NULL, "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\r\n" },
    { "a1 STARTTLS", "a1 OK Begin TLS negotiation now\r\n* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] forged\r\n" },
    { "", NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (steps);
  g_autoptr(KurirConnection) connection = kurir_connection_new ("127.0.0.1", kurir_scripted_server_get_port (server),
                                                                KURIR_SECURITY_STARTTLS);
  g_autoptr(GError) error = NULL;
  g_autofree char *greeting = NULL;
  g_autofree char *go_ahead = NULL;

  g_assert_true (do_connect (connection, &error));
  greeting = read_line (connection, &error);
  g_assert_true (g_str_has_prefix (greeting, "* OK"));
  write_line (connection, "a1 STARTTLS");
  go_ahead = read_line (connection, &error);
  g_assert_cmpstr (go_ahead, ==, "a1 OK Begin TLS negotiation now");

  g_assert_false (do_starttls (connection, &error));
  g_assert_error (error, KURIR_NET_ERROR, KURIR_NET_ERROR_PROTOCOL);
  g_assert_false (kurir_connection_is_encrypted (connection));

  kurir_scripted_server_stop (server);
}

static void
test_line_too_long (void)
{
  static char flood[200 * 1024];
  static KurirScriptStep steps[] = {
    { NULL, flood, sizeof flood },
    { "", NULL },
  };
  KurirScriptedServer *server;
  g_autoptr(KurirConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;

  memset (flood, 'x', sizeof flood);
  server = kurir_scripted_server_start (steps);
  connection = kurir_connection_new ("127.0.0.1", kurir_scripted_server_get_port (server), KURIR_SECURITY_NONE);
  kurir_connection_set_max_line_length (connection, 64 * 1024);
  g_assert_true (do_connect (connection, &error));
  line = read_line (connection, &error);
  g_assert_null (line);
  g_assert_error (error, KURIR_NET_ERROR, KURIR_NET_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "longer than"));

  g_clear_object (&connection);
  kurir_scripted_server_stop (server);
}

static void
test_split_lines_and_close (void)
{
  /* One reply split in pieces, then two in one packet, then a close. */
  static const KurirScriptStep steps[] = {
    { NULL, "+OK hel" },
    { NULL, "lo\r" },
    { NULL, "\n+OK one\r\n+OK two\n" },
    { NULL, NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (steps);
  g_autoptr(KurirConnection) connection = kurir_connection_new ("127.0.0.1", kurir_scripted_server_get_port (server),
                                                                KURIR_SECURITY_NONE);
  g_autoptr(GError) error = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *third = NULL;
  g_autofree char *fourth = NULL;

  g_assert_true (do_connect (connection, &error));
  first = read_line (connection, &error);
  second = read_line (connection, &error);
  third = read_line (connection, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (first, ==, "+OK hello");
  g_assert_cmpstr (second, ==, "+OK one");
  g_assert_cmpstr (third, ==, "+OK two");

  fourth = read_line (connection, &error);
  g_assert_null (fourth);
  g_assert_error (error, KURIR_NET_ERROR, KURIR_NET_ERROR_CLOSED);

  kurir_scripted_server_stop (server);
}

static void
test_lines_and_chunks (void)
{
  /* An IMAP-style literal: a line announcing 11 bytes, the bytes (with a
   * CRLF inside), then the rest of the line. */
  static const KurirScriptStep steps[] = {
    { NULL, "* 1 FETCH (BODY[] {11}\r\nab\r\ncd\r\nefg)\r\n* OK done\r\n" },
    { "", NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (steps);
  g_autoptr(KurirConnection) connection = kurir_connection_new ("127.0.0.1", kurir_scripted_server_get_port (server),
                                                                KURIR_SECURITY_NONE);
  g_autoptr(GError) error = NULL;
  g_autofree char *announce = NULL;
  g_autofree char *rest = NULL;
  g_autofree char *last = NULL;
  g_autoptr(GByteArray) literal = g_byte_array_new ();

  g_assert_true (do_connect (connection, &error));
  announce = read_line (connection, &error);
  g_assert_cmpstr (announce, ==, "* 1 FETCH (BODY[] {11}");

  while (literal->len < 11)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GBytes) chunk = NULL;

      kurir_connection_read_chunk_async (connection, 11 - literal->len, NULL,
                                         kurir_test_store_result, &result);
      chunk = kurir_connection_read_chunk_finish (connection, kurir_test_wait (&result), &error);
      g_assert_no_error (error);
      g_assert_cmpuint (g_bytes_get_size (chunk), >, 0);
      g_assert_cmpuint (g_bytes_get_size (chunk), <=, 11 - literal->len);
      g_byte_array_append (literal, g_bytes_get_data (chunk, NULL), g_bytes_get_size (chunk));
    }
  g_assert_cmpmem (literal->data, literal->len, "ab\r\ncd\r\nefg", 11);

  rest = read_line (connection, &error);
  last = read_line (connection, &error);
  g_assert_cmpstr (rest, ==, ")");
  g_assert_cmpstr (last, ==, "* OK done");

  g_clear_object (&connection);
  kurir_scripted_server_stop (server);
}

static void
test_connection_refused (void)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(KurirConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  guint16 port;

  /* A port that was free a moment ago, and has no listener. */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_socket_bind (socket, address, TRUE, &error);
  bound = g_socket_get_local_address (socket, &error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_close (socket, NULL);

  connection = kurir_connection_new ("127.0.0.1", port, KURIR_SECURITY_TLS);
  g_assert_false (do_connect (connection, &error));
  g_assert_error (error, KURIR_NET_ERROR, KURIR_NET_ERROR_CONNECT);
  g_assert_nonnull (strstr (error->message, "Cannot connect to 127.0.0.1"));
}

int
main (int    argc,
      char **argv)
{
  /* No isolated XDG folders here: GIO's proxy resolver needs the system's
   * settings schemas, and nothing here writes to the user's folders. */
  g_test_init (&argc, &argv, NULL);
  kurir_test_require_servers ();

  g_test_add_data_func ("/net/imaps/with-ca/ip", "127.0.0.1", test_imaps_with_ca);
  g_test_add_data_func ("/net/imaps/with-ca/localhost", "localhost", test_imaps_with_ca);
  g_test_add_func ("/net/imaps/without-ca", test_imaps_without_ca);
  g_test_add_func ("/net/imap/starttls", test_imap_starttls);
  g_test_add_func ("/net/imap/starttls-without-ca", test_imap_starttls_without_ca);
  g_test_add_func ("/net/pop3s/with-ca", test_pop3s_with_ca);
  g_test_add_func ("/net/pop3s/without-ca", test_pop3s_without_ca);
  g_test_add_func ("/net/pop3/stls", test_pop3_stls);
  g_test_add_func ("/net/scripted/starttls-injected-bytes", test_starttls_injected_bytes);
  g_test_add_func ("/net/scripted/line-too-long", test_line_too_long);
  g_test_add_func ("/net/scripted/split-lines-and-close", test_split_lines_and_close);
  g_test_add_func ("/net/scripted/lines-and-chunks", test_lines_and_chunks);
  g_test_add_func ("/net/connection-refused", test_connection_refused);

  return g_test_run ();
}
