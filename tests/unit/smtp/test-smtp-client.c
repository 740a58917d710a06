/* test-smtp-client.c: the SMTP client against a scripted loopback server,
 * for what no honest server sends: STARTTLS missing, refused, answered with
 * garbage or followed by injected bytes; refusals of every kind; a
 * connection cut before and after the final "."; and the bytes on the wire
 * (dot-stuffing, line ends, MAIL parameters, pipelining)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "kurir-net-error.h"
#include "kurir-scripted-server.h"
#include "smtp-test-helpers.h"

#define GREETING   "220 scripted.example ESMTP ready\r\n"
#define EHLO_BASIC "250-scripted.example\r\n250-SIZE 100000\r\n250-8BITMIME\r\n250 AUTH PLAIN LOGIN\r\n"
#define EHLO_PIPE  "250-scripted.example\r\n250-PIPELINING\r\n250-SIZE 100000\r\n250 8BITMIME\r\n"

static const char * const two_rcpt[] = { "bob@example.com", "nobody@example.com", NULL };
static const char * const one_rcpt[] = { "bob@example.com", NULL };

/* A script built at run time; it must outlive its server. */
typedef struct
{
  GArray    *steps;
  GPtrArray *strings;
} Script;

static Script *
script_new (void)
{
  Script *script = g_new0 (Script, 1);

  script->steps = g_array_new (FALSE, TRUE, sizeof (KurirScriptStep));
  script->strings = g_ptr_array_new_with_free_func (g_free);
  return script;
}

static void
script_free (Script *script)
{
  g_array_unref (script->steps);
  g_ptr_array_unref (script->strings);
  g_free (script);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Script, script_free)

static const char *
script_keep (Script     *script,
             const char *str)
{
  char *copy;

  if (str == NULL)
    return NULL;
  copy = g_strdup (str);
  g_ptr_array_add (script->strings, copy);
  return copy;
}

static void
script_add (Script     *script,
            const char *expect,
            const char *send)
{
  KurirScriptStep step = { script_keep (script, expect), script_keep (script, send), 0 };

  g_array_append_val (script->steps, step);
}

/* One step per line of @wire (CRLF line ends), each expecting that line. */
static void
script_expect_data (Script     *script,
                    const char *wire)
{
  g_auto(GStrv) lines = g_strsplit (wire, "\r\n", -1);

  /* @wire ends with CRLF: the last piece is empty. */
  for (guint i = 0; lines[i] != NULL && lines[i + 1] != NULL; i++)
    script_add (script, lines[i], "");
}

static KurirScriptedServer *
script_start (Script *script)
{
  KurirScriptStep end = { NULL, NULL, 0 };

  g_array_append_val (script->steps, end);
  return kurir_scripted_server_start ((const KurirScriptStep *) script->steps->data);
}

static KurirSmtpClient *
scripted_client (KurirScriptedServer *server,
                 KurirSecurity        security)
{
  g_autoptr(KurirConnection) connection =
    kurir_connection_new ("127.0.0.1", kurir_scripted_server_get_port (server), security);
  KurirSmtpClient *client = kurir_smtp_client_new (connection);

  kurir_connection_set_timeout (connection, 5);
  kurir_smtp_client_set_allow_plaintext (client, TRUE);
  return client;
}

static KurirSmtpClient *
connected_client (KurirScriptedServer *server)
{
  KurirSmtpClient *client = scripted_client (server, KURIR_SECURITY_NONE);
  g_autoptr(GError) error = NULL;

  g_assert_true (smtp_connect (client, &error));
  g_assert_no_error (error);
  return client;
}

static gboolean
sent_credentials (const char *received)
{
  return strstr (received, "AUTH") != NULL || strstr (received, "secret") != NULL;
}

/* STARTTLS: every failure ends the attempt before AUTH */

static void
check_starttls_refused (const KurirScriptStep *steps,
                        GQuark                 domain,
                        int                    code,
                        const char            *expected_received)
{
  KurirScriptedServer *server = kurir_scripted_server_start (steps);
  g_autoptr(KurirSmtpClient) client = scripted_client (server, KURIR_SECURITY_STARTTLS);
  g_autoptr(GError) error = NULL;

  g_assert_false (smtp_connect (client, &error));
  g_assert_error (error, domain, code);
  g_test_message ("%s", error->message);
  g_assert_false (kurir_smtp_client_is_connected (client));

  /* A login attempted anyway never reaches the server. */
  g_clear_error (&error);
  g_assert_false (smtp_login (client, "user", "secret", &error));
  g_assert_error (error, KURIR_NET_ERROR, KURIR_NET_ERROR_CLOSED);

  g_clear_object (&client);
  kurir_scripted_server_join (server);
  g_assert_false (sent_credentials (kurir_scripted_server_get_received (server)));
  if (expected_received != NULL)
    g_assert_true (g_str_has_suffix (kurir_scripted_server_get_received (server),
                                     expected_received));
  kurir_scripted_server_stop (server);
}

static void
test_starttls_not_offered (void)
{
  static const KurirScriptStep steps[] = {
    { NULL, GREETING },
    { "EHLO ", EHLO_BASIC },
    { NULL, NULL },
  };

  check_starttls_refused (steps, KURIR_NET_ERROR, KURIR_NET_ERROR_STARTTLS_REFUSED, NULL);
}

/* The server offers STARTTLS, then answers it with @data: refused (454),
 * garbage, or the go-ahead with a forged EHLO reply in the same packet
 * (which, parsed after the handshake, would let a man in the middle
 * choose what the client believes). */
typedef struct
{
  const char *reply;
  int         code;
} StarttlsCase;

static const StarttlsCase starttls_cases[] = {
  { "454 4.7.0 TLS not available due to temporary reason\r\n", KURIR_NET_ERROR_STARTTLS_REFUSED },
  { "OK go ahead\r\n", KURIR_NET_ERROR_STARTTLS_REFUSED },
  { "220 2.0.0 Ready to start TLS\r\n250-evil.example\r\n250 AUTH PLAIN\r\n",
    KURIR_NET_ERROR_PROTOCOL },
};

static void
test_starttls_reply (gconstpointer data)
{
  const StarttlsCase *test_case = data;
  const KurirScriptStep steps[] = {
    { NULL, GREETING },
    { "EHLO ", "250-scripted.example\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n" },
    { "STARTTLS", test_case->reply },
    { NULL, NULL },
  };

  check_starttls_refused (steps, KURIR_NET_ERROR, test_case->code, "\r\nSTARTTLS\r\n");
}

static void
test_starttls_ehlo_refused (void)
{
  /* No HELO fallback on STARTTLS: HELO cannot offer STARTTLS. */
  static const KurirScriptStep steps[] = {
    { NULL, GREETING },
    { "EHLO ", "502 5.5.2 Command not recognized\r\n" },
    { NULL, NULL },
  };

  check_starttls_refused (steps, KURIR_NET_ERROR, KURIR_NET_ERROR_STARTTLS_REFUSED, NULL);
}

static void
test_plaintext_refused (void)
{
  static const KurirScriptStep steps[] = {
    { NULL, NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (steps);
  g_autoptr(KurirConnection) connection =
    kurir_connection_new ("127.0.0.1", kurir_scripted_server_get_port (server),
                          KURIR_SECURITY_NONE);
  g_autoptr(KurirSmtpClient) client = kurir_smtp_client_new (connection);
  g_autoptr(GError) error = NULL;

  g_assert_false (smtp_connect (client, &error));
  g_assert_error (error, KURIR_NET_ERROR, KURIR_NET_ERROR_PLAINTEXT_REFUSED);

  /* Nobody connects: unblock the server's accept. */
  {
    g_autoptr(GSocketClient) socket_client = g_socket_client_new ();
    g_autoptr(GSocketConnection) poke =
      g_socket_client_connect_to_host (socket_client, "127.0.0.1",
                                       kurir_scripted_server_get_port (server), NULL, NULL);
    g_assert_nonnull (poke);
    kurir_scripted_server_join (server);
    g_assert_cmpstr (kurir_scripted_server_get_received (server), ==, "");
  }
  kurir_scripted_server_stop (server);
}

/* Greeting and EHLO */

static void
check_greeting_error (const char *greeting,
                      int         code)
{
  KurirScriptStep steps[] = {
    { NULL, greeting },
    { NULL, NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (steps);
  g_autoptr(KurirSmtpClient) client = scripted_client (server, KURIR_SECURITY_NONE);
  g_autoptr(GError) error = NULL;

  g_assert_false (smtp_connect (client, &error));
  g_assert_error (error, KURIR_SMTP_ERROR, code);
  g_test_message ("%s", error->message);
  g_assert_false (kurir_smtp_client_is_connected (client));
  kurir_scripted_server_stop (server);
}

static void
test_greeting_554 (void)
{
  check_greeting_error ("554 5.3.2 No SMTP service here\r\n", KURIR_SMTP_ERROR_PERMANENT);
}

static void
test_greeting_421 (void)
{
  check_greeting_error ("421 4.3.2 Too busy, come back later\r\n", KURIR_SMTP_ERROR_TEMPORARY);
}

static void
test_greeting_garbage (void)
{
  check_greeting_error ("* OK IMAP4rev1 server ready\r\n", KURIR_SMTP_ERROR_PROTOCOL);
}

static void
test_ehlo_name (void)
{
  static const KurirScriptStep steps[] = {
    { NULL, GREETING },
    { "EHLO ", EHLO_BASIC },
    { "QUIT", "221 2.0.0 Bye\r\n" },
    { NULL, NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (steps);
  g_autoptr(KurirSmtpClient) client = connected_client (server);
  g_autoptr(GError) error = NULL;
  const char *received;
  const char *name;

  g_assert_true (kurir_smtp_client_has_extension (client, "8bitmime"));
  g_assert_cmpuint (kurir_smtp_client_get_max_size (client), ==, 100000);
  g_assert_cmpstrv (kurir_smtp_client_get_auth_mechanisms (client),
                    ((const char * const []) { "PLAIN", "LOGIN", NULL }));
  g_assert_cmpstr (kurir_smtp_client_get_greeting (client), ==, "scripted.example ESMTP ready");
  g_assert_true (smtp_quit (client, &error));
  g_assert_no_error (error);
  g_assert_false (kurir_smtp_client_is_connected (client));

  kurir_scripted_server_join (server);
  received = kurir_scripted_server_get_received (server);
  name = kurir_smtp_client_get_client_name (client);
  g_assert_true (g_str_has_prefix (received, "EHLO "));
  g_assert_true (g_str_has_prefix (received + 5, name));
  g_assert_cmpstr (received + 5 + strlen (name), ==, "\r\nQUIT\r\n");
  /* A domain or an address literal: letters, digits, dots, hyphens. */
  g_assert_true (strcmp (name, "[127.0.0.1]") == 0 ||
                 (strchr (name, '.') != NULL &&
                  strspn (name, "abcdefghijklmnopqrstuvwxyz0123456789.-") == strlen (name)));
  kurir_scripted_server_stop (server);

  /* Nothing odd gets through the setter. */
  g_test_expect_message ("kurir-smtp", G_LOG_LEVEL_WARNING, "Not a valid EHLO name*");
  kurir_smtp_client_set_client_name (client, "evil\r\nRSET");
  g_test_assert_expected_messages ();
  g_assert_cmpstr (kurir_smtp_client_get_client_name (client), ==, name);
  kurir_smtp_client_set_client_name (client, "[IPv6:::1]");
  g_assert_cmpstr (kurir_smtp_client_get_client_name (client), ==, "[IPv6:::1]");
}

static void
test_helo_fallback (void)
{
  static const KurirScriptStep steps[] = {
    { NULL, GREETING },
    { "EHLO ", "500 5.5.1 What?\r\n" },
    { "HELO ", "250 scripted.example\r\n" },
    { "MAIL FROM:<alice@example.com>\r", "250 OK\r\n" },
    { "RCPT TO:<bob@example.com>\r", "250 OK\r\n" },
    { "DATA", "354 go\r\n" },
    { "Subject: old", "" },
    { "", "" },
    { "body", "" },
    { ".", "250 OK\r\n" },
    { NULL, NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (steps);
  g_autoptr(KurirSmtpClient) client = connected_client (server);
  g_autoptr(KurirSmtpSendResult) result = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_false (kurir_smtp_client_has_extension (client, "SIZE"));
  /* Nothing to log in with: an account that needs a login fails here. */
  g_assert_false (smtp_login (client, "user", "secret", &error));
  g_assert_error (error, KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, "EHLO"));
  g_clear_error (&error);

  result = smtp_send (client, "alice@example.com", one_rcpt,
                      "Subject: old\n\nbody\n", 0, KURIR_SMTP_SEND_NONE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->n_accepted, ==, 1);

  g_clear_object (&client);
  kurir_scripted_server_join (server);
  g_assert_false (sent_credentials (kurir_scripted_server_get_received (server)));
  kurir_scripted_server_stop (server);
}

static void
check_bad_reply (const char *ehlo_reply)
{
  KurirScriptStep steps[] = {
    { NULL, GREETING },
    { "EHLO ", ehlo_reply },
    { NULL, NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (steps);
  g_autoptr(KurirSmtpClient) client = scripted_client (server, KURIR_SECURITY_NONE);
  g_autoptr(GError) error = NULL;

  g_assert_false (smtp_connect (client, &error));
  g_assert_nonnull (error);
  g_assert_true (error->domain == KURIR_SMTP_ERROR || error->domain == KURIR_NET_ERROR);
  g_assert_cmpint (error->code, ==, error->domain == KURIR_SMTP_ERROR ?
                   KURIR_SMTP_ERROR_PROTOCOL : KURIR_NET_ERROR_PROTOCOL);
  g_test_message ("%s", error->message);
  kurir_scripted_server_stop (server);
}

static void
test_reply_bounds (void)
{
  g_autoptr(GString) many = g_string_new (NULL);
  g_autofree char *filler = g_strnfill (100000, 'x');
  g_autofree char *long_line = NULL;

  /* A reply that never ends: bounded by lines. */
  for (guint i = 0; i < 1000; i++)
    g_string_append (many, "250-X-FILLER\r\n");
  g_string_append (many, "250 OK\r\n");
  check_bad_reply (many->str);

  /* A line longer than any reply line. */
  long_line = g_strdup_printf ("250 %s\r\n", filler);
  check_bad_reply (long_line);

  /* A multi-line reply that changes its code. */
  check_bad_reply ("250-scripted.example\r\n251 SIZE\r\n");
  /* Not a reply at all. */
  check_bad_reply ("+OK\r\n");
}

/* AUTH */

static void
check_auth (const char *mechanisms,
            const char *forced,
            const char *auth_line,
            const char *reply,
            GQuark      domain,
            int         code)
{
  g_autofree char *ehlo = g_strdup_printf ("250-scripted.example\r\n250 AUTH %s\r\n", mechanisms);
  KurirScriptStep steps[] = {
    { NULL, GREETING },
    { "EHLO ", ehlo },
    { auth_line, reply },
    { NULL, NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (steps);
  g_autoptr(KurirSmtpClient) client = connected_client (server);
  g_autoptr(GError) error = NULL;

  kurir_smtp_client_set_mechanism (client, forced);
  if (domain == 0)
    {
      g_assert_true (smtp_login (client, "user", "secret", &error));
      g_assert_no_error (error);
      g_assert_true (kurir_smtp_client_is_authenticated (client));
    }
  else
    {
      g_assert_false (smtp_login (client, "user", "secret", &error));
      g_assert_error (error, domain, code);
      g_test_message ("%s", error->message);
      g_assert_false (kurir_smtp_client_is_authenticated (client));
    }
  kurir_scripted_server_stop (server);
}

static void
test_auth_plain_initial_response (void)
{
  /* The strongest offered that Kurir has (PLAIN over LOGIN), with the
   * initial response on the AUTH line: "\0user\0secret". */
  check_auth ("LOGIN PLAIN CRAM-MD5", NULL, "AUTH PLAIN AHVzZXIAc2VjcmV0\r",
              "235 2.7.0 Authentication successful\r\n", 0, 0);
}

static void
test_auth_login (void)
{
  static const KurirScriptStep steps[] = {
    { NULL, GREETING },
    { "EHLO ", "250-scripted.example\r\n250 AUTH=LOGIN\r\n" },
    { "AUTH LOGIN\r", "334 VXNlcm5hbWU6\r\n" },
    { "dXNlcg==\r", "334 UGFzc3dvcmQ6\r\n" },
    { "c2VjcmV0\r", "235 2.7.0 OK\r\n" },
    { NULL, NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (steps);
  g_autoptr(KurirSmtpClient) client = connected_client (server);
  g_autoptr(GError) error = NULL;

  g_assert_true (smtp_login (client, "user", "secret", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (kurir_smtp_client_get_auth_mechanism (client), ==, "LOGIN");
  kurir_scripted_server_stop (server);
}

static void
test_auth_errors (void)
{
  check_auth ("PLAIN", NULL, "AUTH PLAIN ",
              "535 5.7.8 Authentication credentials invalid\r\n",
              KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_AUTH_FAILED);
  check_auth ("PLAIN", NULL, "AUTH PLAIN ",
              "454 4.7.0 Temporary authentication failure\r\n",
              KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_TEMPORARY);
  check_auth ("PLAIN", NULL, "AUTH PLAIN ",
              "534 5.7.9 Authentication mechanism is too weak\r\n",
              KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_NOT_SUPPORTED);
  check_auth ("PLAIN", NULL, "AUTH PLAIN ",
              "538 5.7.11 Encryption required for requested authentication mechanism\r\n",
              KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_NOT_SUPPORTED);
}

static void
test_auth_none_supported (void)
{
  static const KurirScriptStep steps[] = {
    { NULL, GREETING },
    { "EHLO ", "250-scripted.example\r\n250 AUTH GSSAPI NTLM\r\n" },
    { NULL, NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (steps);
  g_autoptr(KurirSmtpClient) client = connected_client (server);
  g_autoptr(GError) error = NULL;

  g_assert_false (smtp_login (client, "user", "secret", &error));
  g_assert_error (error, KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, "GSSAPI"));
  g_clear_object (&client);
  kurir_scripted_server_join (server);
  g_assert_false (sent_credentials (kurir_scripted_server_get_received (server)));
  kurir_scripted_server_stop (server);
}

/* Sending: refused before upload */

static void
test_size_exceeded (void)
{
  static const KurirScriptStep steps[] = {
    { NULL, GREETING },
    { "EHLO ", EHLO_BASIC },
    { "NOOP", "250 2.0.0 OK\r\n" },
    { NULL, NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (steps);
  g_autoptr(KurirSmtpClient) client = connected_client (server);
  g_autofree char *filler = g_strnfill (100000, 'x');
  g_autofree char *message = g_strdup_printf ("Subject: big\r\n\r\n%s\r\n", filler);
  g_autoptr(KurirSmtpSendResult) result = NULL;
  g_autoptr(GError) error = NULL;

  result = smtp_send (client, "alice@example.com", one_rcpt, message, 0,
                      KURIR_SMTP_SEND_NONE, &error);
  g_assert_null (result);
  g_assert_error (error, KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_TOO_LARGE);
  /* Both sizes named: 14 + 2 + 100000 + 2 octets, limit 100000. */
  g_assert_nonnull (strstr (error->message, "100018"));
  g_assert_nonnull (strstr (error->message, "100000"));

  /* The session is still fine. */
  g_clear_error (&error);
  g_assert_true (smtp_noop (client, &error));
  g_assert_no_error (error);

  g_clear_object (&client);
  kurir_scripted_server_join (server);
  g_assert_null (strstr (kurir_scripted_server_get_received (server), "MAIL"));
  g_assert_null (strstr (kurir_scripted_server_get_received (server), "DATA"));
  kurir_scripted_server_stop (server);
}

static void
test_refused_before_sending (void)
{
  static const KurirScriptStep steps[] = {
    { NULL, GREETING },
    { "EHLO ", "250-scripted.example\r\n250 SIZE\r\n" },
    { "QUIT", "221 Bye\r\n" },
    { NULL, NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (steps);
  g_autoptr(KurirSmtpClient) client = connected_client (server);
  g_autoptr(GError) error = NULL;
  const char * const injected[] = { "bob@example.com>\r\nRCPT TO:<eve@example.com", NULL };
  const char * const utf8[] = { "jos\xc3\xa9@example.com", NULL };
  const char * const none[] = { NULL };
  static const char with_nul[] = "Subject: x\r\n\r\na\0b\r\n";

  g_assert_cmpuint (kurir_smtp_client_get_max_size (client), ==, 0);

  /* CR LF in an address: no command injection. */
  g_assert_null (smtp_send (client, "alice@example.com", injected, "x\r\n", 0, 0, &error));
  g_assert_error (error, KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (smtp_send (client, "alice@example.com>", one_rcpt, "x\r\n", 0, 0, &error));
  g_assert_error (error, KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (smtp_send (client, "alice@example.com", none, "x\r\n", 0, 0, &error));
  g_assert_error (error, KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_INVALID);
  g_clear_error (&error);

  /* No SMTPUTF8: a non-ASCII local part cannot go. */
  g_assert_null (smtp_send (client, "alice@example.com", utf8, "x\r\n", 0, 0, &error));
  g_assert_error (error, KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, "SMTPUTF8"));
  g_clear_error (&error);

  /* No 8BITMIME: 8-bit data cannot go. */
  g_assert_null (smtp_send (client, "alice@example.com", one_rcpt,
                            "Subject: x\r\n\r\nGr\xc3\xbc\xc3\x9f" "e\r\n", 0, 0, &error));
  g_assert_error (error, KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, "8BITMIME"));
  g_clear_error (&error);

  /* NUL bytes never. */
  g_assert_null (smtp_send (client, "alice@example.com", one_rcpt,
                            with_nul, sizeof with_nul - 1, 0, &error));
  g_assert_error (error, KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_INVALID);
  g_clear_error (&error);

  g_assert_true (smtp_quit (client, &error));
  g_assert_no_error (error);
  kurir_scripted_server_join (server);
  g_assert_null (strstr (kurir_scripted_server_get_received (server), "MAIL"));
  kurir_scripted_server_stop (server);
}

/* Sending: the wire */

static void
test_dot_stuffing_and_line_ends (void)
{
  /* Bare LF, bare CR, CRLF; lines starting with "."; no final line end. */
  static const char message[] =
    "Subject: dots\n"
    "\n"
    ".hidden\n"
    "..two\r\n"
    "normal\r\n"
    "bare\rcr\n"
    ".";
  static const char wire[] =
    "Subject: dots\r\n"
    "\r\n"
    "..hidden\r\n"
    "...two\r\n"
    "normal\r\n"
    "bare\r\n"
    "cr\r\n"
    "..\r\n"
    ".\r\n";
  /* SIZE counts CRLF line ends, without the stuffing and the final ".". */
  const guint64 size = strlen ("Subject: dots\r\n\r\n.hidden\r\n..two\r\nnormal\r\nbare\r\ncr\r\n.\r\n");
  g_autofree char *mail = g_strdup_printf ("MAIL FROM:<alice@example.com> SIZE=%" G_GUINT64_FORMAT "\r\n", size);
  g_autoptr(Script) script = script_new ();
  KurirScriptedServer *server;
  g_autoptr(KurirSmtpClient) client = NULL;
  g_autoptr(KurirSmtpSendResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = NULL;

  script_add (script, NULL, GREETING);
  script_add (script, "EHLO ", EHLO_BASIC);
  script_add (script, "MAIL", "250 2.1.0 OK\r\n");
  script_add (script, "RCPT", "250 2.1.5 OK\r\n");
  script_add (script, "DATA", "354 End data with <CR><LF>.<CR><LF>\r\n");
  script_expect_data (script, wire);
  g_array_index (script->steps, KurirScriptStep, script->steps->len - 1).send =
    "250 2.0.0 OK: queued as 1\r\n";
  script_add (script, "QUIT", "221 Bye\r\n");
  server = script_start (script);
  client = connected_client (server);

  result = smtp_send (client, "alice@example.com", one_rcpt, message, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->size, ==, size);
  g_assert_cmpstr (result->reply, ==, "2.0.0 OK: queued as 1");
  g_assert_true (smtp_quit (client, &error));

  kurir_scripted_server_join (server);
  expected = g_strconcat (mail, "RCPT TO:<bob@example.com>\r\nDATA\r\n", wire, "QUIT\r\n", NULL);
  g_assert_true (g_str_has_suffix (kurir_scripted_server_get_received (server), expected));
  kurir_scripted_server_stop (server);
}

static void
test_mail_parameters (void)
{
  /* 8-bit body and a UTF-8 address with SMTPUTF8; an IDN domain without. */
  static const char message[] = "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n\r\nGr\xc3\xbc\xc3\x9f" "e\r\n";
  static const KurirScriptStep steps[] = {
    { NULL, GREETING },
    { "EHLO ", "250-scripted.example\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 1000\r\n" },
    { "MAIL FROM:<alice@example.com> SIZE=49 BODY=8BITMIME SMTPUTF8\r", "250 OK\r\n" },
    { "RCPT TO:<jos\xc3\xa9@example.com>\r", "250 OK\r\n" },
    { "DATA", "354 go\r\n" },
    { "Subject", "" }, { "", "" }, { "Gr", "" },
    { ".\r", "250 OK\r\n" },
    { "MAIL FROM:<alice@example.com> SIZE=49 BODY=8BITMIME SMTPUTF8\r", "250 OK\r\n" },
    { "RCPT TO:<user@b\xc3\xbc" "cher.example>\r", "250 OK\r\n" },
    { "DATA", "354 go\r\n" },
    { "Subject", "" }, { "", "" }, { "Gr", "" },
    { ".\r", "250 OK\r\n" },
    { NULL, NULL },
  };
  static const KurirScriptStep steps_no_utf8[] = {
    { NULL, GREETING },
    { "EHLO ", "250-scripted.example\r\n250 8BITMIME\r\n" },
    { "MAIL FROM:<alice@example.com> BODY=8BITMIME\r", "250 OK\r\n" },
    { "RCPT TO:<user@xn--bcher-kva.example>\r", "250 OK\r\n" },
    { "DATA", "354 go\r\n" },
    { "Subject", "" }, { "", "" }, { "Gr", "" },
    { ".\r", "250 OK\r\n" },
    { NULL, NULL },
  };
  const char * const utf8[] = { "jos\xc3\xa9@example.com", NULL };
  const char * const idn[] = { "user@b\xc3\xbc" "cher.example", NULL };
  g_autoptr(GError) error = NULL;

  {
    KurirScriptedServer *server = kurir_scripted_server_start (steps);
    g_autoptr(KurirSmtpClient) client = connected_client (server);
    g_autoptr(KurirSmtpSendResult) first = NULL;
    g_autoptr(KurirSmtpSendResult) second = NULL;

    first = smtp_send (client, "alice@example.com", utf8, message, 0, 0, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (smtp_recipient (first, 0)->address, ==, utf8[0]);
    /* With SMTPUTF8 the address goes as it is; the session carries on. */
    second = smtp_send (client, "alice@example.com", idn, message, 0, 0, &error);
    g_assert_no_error (error);
    kurir_scripted_server_stop (server);
  }
  {
    KurirScriptedServer *server = kurir_scripted_server_start (steps_no_utf8);
    g_autoptr(KurirSmtpClient) client = connected_client (server);
    g_autoptr(KurirSmtpSendResult) result = NULL;

    /* Without it, the domain goes as its A-label; the result names the
     * recipient as given. */
    result = smtp_send (client, "alice@example.com", idn, message, 0, 0, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (smtp_recipient (result, 0)->address, ==, idn[0]);
    kurir_scripted_server_stop (server);
  }
}

/* Sending: refusals */

static void
test_temporary_then_success (void)
{
  static const KurirScriptStep first[] = {
    { NULL, GREETING },
    { "EHLO ", EHLO_BASIC },
    { "MAIL", "250 OK\r\n" },
    { "RCPT", "250 OK\r\n" },
    { "DATA", "354 go\r\n" },
    { "Subject", "" }, { "", "" }, { "body", "" },
    { ".\r", "451 4.3.0 Mail server temporarily rejected message\r\n" },
    { "QUIT", "221 Bye\r\n" },
    { NULL, NULL },
  };
  static const KurirScriptStep second[] = {
    { NULL, GREETING },
    { "EHLO ", EHLO_BASIC },
    { "MAIL", "250 OK\r\n" },
    { "RCPT", "250 OK\r\n" },
    { "DATA", "354 go\r\n" },
    { "Subject", "" }, { "", "" }, { "body", "" },
    { ".\r", "250 2.0.0 OK: queued as 2\r\n" },
    { "QUIT", "221 Bye\r\n" },
    { NULL, NULL },
  };
  static const char message[] = "Subject: retry\r\n\r\nbody\r\n";
  g_autoptr(GError) error = NULL;

  {
    KurirScriptedServer *server = kurir_scripted_server_start (first);
    g_autoptr(KurirSmtpClient) client = connected_client (server);

    g_assert_null (smtp_send (client, "alice@example.com", one_rcpt, message, 0, 0, &error));
    g_assert_error (error, KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_TEMPORARY);
    g_assert_nonnull (strstr (error->message, "451 4.3.0"));
    g_clear_error (&error);
    /* The transaction ended with the reply: the session is fine. */
    g_assert_true (smtp_quit (client, &error));
    g_assert_no_error (error);
    kurir_scripted_server_stop (server);
  }
  {
    KurirScriptedServer *server = kurir_scripted_server_start (second);
    g_autoptr(KurirSmtpClient) client = connected_client (server);
    g_autoptr(KurirSmtpSendResult) result = NULL;

    result = smtp_send (client, "alice@example.com", one_rcpt, message, 0, 0, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (result->n_accepted, ==, 1);
    g_assert_cmpstr (result->reply, ==, "2.0.0 OK: queued as 2");
    g_assert_true (smtp_quit (client, &error));
    kurir_scripted_server_stop (server);
  }
}

/* With PIPELINING all replies come after DATA: a client that waited for
 * each reply would hang here (and time out). Without, one by one. */
static const KurirScriptStep pipelined_steps[] = {
  { NULL, GREETING },
  { "EHLO ", EHLO_PIPE },
  { "MAIL FROM:<alice@example.com> SIZE=22\r", "" },
  { "RCPT TO:<bob@example.com>\r", "" },
  { "RCPT TO:<nobody@example.com>\r", "" },
  { "DATA\r", "250 2.1.0 OK\r\n250 2.1.5 OK\r\n"
              "550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown\r\n"
              "354 go\r\n" },
  { "Subject", "" }, { "", "" }, { "body", "" },
  { ".\r", "250 2.0.0 OK: queued as 3\r\n" },
  { "QUIT", "221 Bye\r\n" },
  { NULL, NULL },
};

static const KurirScriptStep unpipelined_steps[] = {
  { NULL, GREETING },
  { "EHLO ", EHLO_PIPE },
  { "MAIL FROM:<alice@example.com> SIZE=22\r", "250 2.1.0 OK\r\n" },
  { "RCPT TO:<bob@example.com>\r", "250 2.1.5 OK\r\n" },
  { "RCPT TO:<nobody@example.com>\r",
    "550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown\r\n" },
  { "DATA\r", "354 go\r\n" },
  { "Subject", "" }, { "", "" }, { "body", "" },
  { ".\r", "250 2.0.0 OK: queued as 3\r\n" },
  { "QUIT", "221 Bye\r\n" },
  { NULL, NULL },
};

static void
send_one_refused (const KurirScriptStep  *steps,
                  KurirSmtpSendFlags      flags,
                  KurirSmtpSendResult   **out_result,
                  char                  **out_received)
{
  KurirScriptedServer *server = kurir_scripted_server_start (steps);
  g_autoptr(KurirSmtpClient) client = connected_client (server);
  g_autoptr(GError) error = NULL;

  *out_result = smtp_send (client, "alice@example.com", two_rcpt,
                           "Subject: two\n\nbody\n", 0, flags, &error);
  g_assert_no_error (error);
  g_assert_true (smtp_quit (client, &error));
  g_assert_no_error (error);
  kurir_scripted_server_join (server);
  *out_received = g_strdup (kurir_scripted_server_get_received (server));
  kurir_scripted_server_stop (server);
}

static void
test_one_recipient_refused (void)
{
  g_autoptr(KurirSmtpSendResult) pipelined = NULL;
  g_autoptr(KurirSmtpSendResult) unpipelined = NULL;
  g_autofree char *received_pipelined = NULL;
  g_autofree char *received_unpipelined = NULL;

  send_one_refused (pipelined_steps, KURIR_SMTP_SEND_NONE, &pipelined, &received_pipelined);
  send_one_refused (unpipelined_steps, KURIR_SMTP_SEND_NO_PIPELINING, &unpipelined,
                    &received_unpipelined);

  for (guint i = 0; i < 2; i++)
    {
      KurirSmtpSendResult *result = i == 0 ? pipelined : unpipelined;

      g_assert_cmpuint (result->recipients->len, ==, 2);
      g_assert_cmpuint (result->n_accepted, ==, 1);
      g_assert_cmpuint (result->n_permanent, ==, 1);
      g_assert_cmpuint (result->n_temporary, ==, 0);
      g_assert_cmpstr (smtp_recipient (result, 0)->address, ==, "bob@example.com");
      g_assert_cmpint (smtp_recipient (result, 0)->status, ==, KURIR_SMTP_RECIPIENT_ACCEPTED);
      g_assert_cmpstr (smtp_recipient (result, 1)->address, ==, "nobody@example.com");
      g_assert_cmpint (smtp_recipient (result, 1)->status, ==, KURIR_SMTP_RECIPIENT_PERMANENT);
      g_assert_cmpuint (smtp_recipient (result, 1)->code, ==, 550);
      g_assert_nonnull (strstr (smtp_recipient (result, 1)->reply, "User unknown"));
      g_assert_cmpstr (result->reply, ==, "2.0.0 OK: queued as 3");
    }
  /* The same bytes either way. */
  g_assert_cmpstr (received_pipelined, ==, received_unpipelined);
}

static void
test_recipient_temporary (void)
{
  static const KurirScriptStep steps[] = {
    { NULL, GREETING },
    { "EHLO ", EHLO_BASIC },
    { "MAIL", "250 OK\r\n" },
    { "RCPT TO:<bob@", "250 OK\r\n" },
    { "RCPT TO:<nobody@", "452 4.5.3 Too many recipients\r\n" },
    { "DATA", "354 go\r\n" },
    { "Subject", "" }, { "", "" }, { "body", "" },
    { ".\r", "250 OK\r\n" },
    { NULL, NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (steps);
  g_autoptr(KurirSmtpClient) client = connected_client (server);
  g_autoptr(KurirSmtpSendResult) result = NULL;
  g_autoptr(GError) error = NULL;

  result = smtp_send (client, "alice@example.com", two_rcpt, "Subject: t\n\nbody\n", 0, 0,
                      &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->n_accepted, ==, 1);
  g_assert_cmpuint (result->n_temporary, ==, 1);
  g_assert_cmpint (smtp_recipient (result, 1)->status, ==, KURIR_SMTP_RECIPIENT_TEMPORARY);
  kurir_scripted_server_stop (server);
}

static void
check_all_refused (const KurirScriptStep *steps,
                   KurirSmtpSendFlags     flags,
                   int                    code)
{
  KurirScriptedServer *server = kurir_scripted_server_start (steps);
  g_autoptr(KurirSmtpClient) client = connected_client (server);
  g_autoptr(GError) error = NULL;

  g_assert_null (smtp_send (client, "alice@example.com", two_rcpt, "Subject: t\n\nbody\n", 0,
                            flags, &error));
  g_assert_error (error, KURIR_SMTP_ERROR, code);
  g_test_message ("%s", error->message);
  /* Both recipients named, with the server's words. */
  g_assert_nonnull (strstr (error->message, "bob@example.com"));
  g_assert_nonnull (strstr (error->message, "nobody@example.com: 550 5.1.1"));
  g_clear_error (&error);
  /* The session was reset and is usable. */
  g_assert_true (smtp_quit (client, &error));
  g_assert_no_error (error);
  kurir_scripted_server_join (server);
  g_assert_nonnull (strstr (kurir_scripted_server_get_received (server), "RSET\r\nQUIT\r\n"));
  kurir_scripted_server_stop (server);
}

static void
test_all_recipients_refused (void)
{
  static const KurirScriptStep unpipelined[] = {
    { NULL, GREETING },
    { "EHLO ", EHLO_BASIC },
    { "MAIL", "250 OK\r\n" },
    { "RCPT TO:<bob@", "550 5.7.1 Relaying denied\r\n" },
    { "RCPT TO:<nobody@", "550 5.1.1 User unknown\r\n" },
    /* no DATA */
    { "RSET", "250 OK\r\n" },
    { "QUIT", "221 Bye\r\n" },
    { NULL, NULL },
  };
  static const KurirScriptStep pipelined[] = {
    { NULL, GREETING },
    { "EHLO ", EHLO_PIPE },
    { "MAIL", "" },
    { "RCPT TO:<bob@", "" },
    { "RCPT TO:<nobody@", "" },
    { "DATA", "250 OK\r\n451 4.3.0 Try again later\r\n550 5.1.1 User unknown\r\n"
              "554 5.5.1 No valid recipients\r\n" },
    { "RSET", "250 OK\r\n" },
    { "QUIT", "221 Bye\r\n" },
    { NULL, NULL },
  };

  check_all_refused (unpipelined, 0, KURIR_SMTP_ERROR_PERMANENT);
  /* One of them only for now: worth trying again later. */
  check_all_refused (pipelined, 0, KURIR_SMTP_ERROR_TEMPORARY);
}

static void
test_sender_refused (void)
{
  static const KurirScriptStep steps[] = {
    { NULL, GREETING },
    { "EHLO ", EHLO_PIPE },
    { "MAIL", "" },
    { "RCPT TO:<bob@", "" },
    { "DATA", "530 5.7.0 Authentication required\r\n503 5.5.1 Need MAIL first\r\n"
              "503 5.5.1 Need MAIL first\r\n" },
    { "RSET", "250 OK\r\n" },
    { NULL, NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (steps);
  g_autoptr(KurirSmtpClient) client = connected_client (server);
  g_autoptr(GError) error = NULL;

  g_assert_null (smtp_send (client, "alice@example.com", one_rcpt, "Subject: t\n\nx\n", 0, 0,
                            &error));
  g_assert_error (error, KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_AUTH_REQUIRED);
  kurir_scripted_server_stop (server);
}

static void
test_sender_refused_unpipelined (void)
{
  /* One command at a time: after a refused MAIL, no RCPT and no DATA. */
  static const KurirScriptStep steps[] = {
    { NULL, GREETING },
    { "EHLO ", EHLO_PIPE },
    { "MAIL", "553 5.7.1 Sender address rejected: not owned by user\r\n" },
    { "RSET", "250 OK\r\n" },
    { NULL, NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (steps);
  g_autoptr(KurirSmtpClient) client = connected_client (server);
  g_autoptr(GError) error = NULL;

  g_assert_null (smtp_send (client, "mallory@example.com", one_rcpt, "Subject: t\n\nx\n", 0,
                            KURIR_SMTP_SEND_NO_PIPELINING, &error));
  g_assert_error (error, KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_PERMANENT);
  g_assert_nonnull (strstr (error->message, "<mallory@example.com>"));
  g_clear_object (&client);
  kurir_scripted_server_join (server);
  g_assert_null (strstr (kurir_scripted_server_get_received (server), "RCPT"));
  g_assert_null (strstr (kurir_scripted_server_get_received (server), "DATA"));
  kurir_scripted_server_stop (server);
}

/* Sending: the connection cut */

/* After the final "." the server hangs up, never answers, or answers
 * garbage: the message may have been delivered, and the client must say
 * so rather than a plain network error that invites sending it again. */
typedef struct
{
  const char *after_dot;     /* what the server sends after the dot: NULL hangs up */
  gboolean    then_wait;     /* then it waits for the client to hang up */
} AfterDotCase;

static const AfterDotCase after_dot_cases[] = {
  { NULL, FALSE },
  { "", TRUE },
  { "OK thanks\r\n", FALSE },
};

static void
test_after_dot (gconstpointer data)
{
  const AfterDotCase *test_case = data;
  const KurirScriptStep steps[] = {
    { NULL, GREETING },
    { "EHLO ", EHLO_BASIC },
    { "MAIL", "250 OK\r\n" },
    { "RCPT", "250 OK\r\n" },
    { "DATA", "354 go\r\n" },
    { "Subject", "" }, { "", "" }, { "body", "" },
    { ".\r", test_case->after_dot },
    { test_case->then_wait ? "" : NULL, NULL },
    { NULL, NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (steps);
  g_autoptr(KurirSmtpClient) client = connected_client (server);
  g_autoptr(GError) error = NULL;

  kurir_connection_set_timeout (kurir_smtp_client_get_connection (client), 1);
  g_assert_null (smtp_send (client, "alice@example.com", one_rcpt, "Subject: cut\n\nbody\n",
                            0, 0, &error));
  g_assert_error (error, KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_UNCERTAIN);
  g_test_message ("%s", error->message);
  g_assert_false (kurir_smtp_client_is_connected (client));
  kurir_scripted_server_stop (server);
}

static void
test_cut_before_dot (void)
{
  /* The server hangs up after the first line of a message far larger
   * than the socket buffers: the final "." can never be written. */
  static const KurirScriptStep steps[] = {
    { NULL, GREETING },
    { "EHLO ", "250-scripted.example\r\n250 8BITMIME\r\n" },
    { "MAIL", "250 OK\r\n" },
    { "RCPT", "250 OK\r\n" },
    { "DATA", "354 go\r\n" },
    { "Subject", NULL },
    { NULL, NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (steps);
  g_autoptr(KurirSmtpClient) client = connected_client (server);
  g_autoptr(GString) message = g_string_new ("Subject: huge\r\n\r\n");
  g_autoptr(GError) error = NULL;

  while (message->len < 32 * 1024 * 1024)
    g_string_append (message, "0123456789012345678901234567890123456789012345678901234567890123456789\r\n");

  g_assert_null (smtp_send (client, "alice@example.com", one_rcpt, message->str, message->len,
                            0, &error));
  /* A network error, not UNCERTAIN: safe to send again. */
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_true (error->domain == KURIR_NET_ERROR);
  g_assert_false (kurir_smtp_client_is_connected (client));
  kurir_scripted_server_stop (server);
}

static void
test_cut_before_data (void)
{
  static const KurirScriptStep steps[] = {
    { NULL, GREETING },
    { "EHLO ", EHLO_BASIC },
    { "MAIL", "250 OK\r\n" },
    { "RCPT", NULL },
    { NULL, NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (steps);
  g_autoptr(KurirSmtpClient) client = connected_client (server);
  g_autoptr(GError) error = NULL;

  g_assert_null (smtp_send (client, "alice@example.com", one_rcpt, "Subject: x\n\nbody\n", 0, 0,
                            &error));
  g_assert_error (error, KURIR_NET_ERROR, KURIR_NET_ERROR_CLOSED);
  kurir_scripted_server_stop (server);
}

static void
test_several_messages (void)
{
  static const KurirScriptStep steps[] = {
    { NULL, GREETING },
    { "EHLO ", EHLO_PIPE },
    { "MAIL", "" }, { "RCPT", "" }, { "DATA", "250 OK\r\n250 OK\r\n354 go\r\n" },
    { "Subject: one", "" }, { "", "" }, { "body", "" },
    { ".\r", "250 OK: queued as 1\r\n" },
    { "NOOP", "250 OK\r\n" },
    { "MAIL", "" }, { "RCPT", "" }, { "DATA", "250 OK\r\n250 OK\r\n354 go\r\n" },
    { "Subject: two", "" }, { "", "" }, { "body", "" },
    { ".\r", "250 OK: queued as 2\r\n" },
    { "RSET", "250 OK\r\n" },
    { "QUIT", "221 Bye\r\n" },
    { NULL, NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (steps);
  g_autoptr(KurirSmtpClient) client = connected_client (server);
  g_autoptr(GAsyncResult) r1 = NULL;
  g_autoptr(GAsyncResult) r2 = NULL;
  g_autoptr(GAsyncResult) r3 = NULL;
  g_autoptr(GBytes) one = g_bytes_new_static ("Subject: one\n\nbody\n", 19);
  g_autoptr(GBytes) two = g_bytes_new_static ("Subject: two\n\nbody\n", 19);
  g_autoptr(KurirSmtpSendResult) result1 = NULL;
  g_autoptr(KurirSmtpSendResult) result2 = NULL;
  g_autoptr(GError) error = NULL;

  /* Queued at once: they run one after the other. */
  kurir_smtp_client_send_async (client, "alice@example.com", one_rcpt, one, 0, NULL,
                                kurir_test_store_result, &r1);
  kurir_smtp_client_noop_async (client, NULL, kurir_test_store_result, &r2);
  kurir_smtp_client_send_async (client, "alice@example.com", one_rcpt, two, 0, NULL,
                                kurir_test_store_result, &r3);
  result1 = kurir_smtp_client_send_finish (client, kurir_test_wait (&r1), &error);
  g_assert_no_error (error);
  g_assert_true (kurir_smtp_client_noop_finish (client, kurir_test_wait (&r2), &error));
  g_assert_no_error (error);
  result2 = kurir_smtp_client_send_finish (client, kurir_test_wait (&r3), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (result1->reply, ==, "OK: queued as 1");
  g_assert_cmpstr (result2->reply, ==, "OK: queued as 2");
  g_assert_true (smtp_rset (client, &error));
  g_assert_no_error (error);
  g_assert_true (smtp_quit (client, &error));
  g_assert_no_error (error);
  kurir_scripted_server_stop (server);
}

int
main (int   argc,
      char *argv[])
{
  /* No isolated XDG folders: GIO's proxy resolver needs the system's
   * settings schemas, and nothing here writes to the user's folders. */
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/smtp/scripted/starttls-not-offered", test_starttls_not_offered);
  g_test_add_data_func ("/smtp/scripted/starttls-454", &starttls_cases[0], test_starttls_reply);
  g_test_add_data_func ("/smtp/scripted/starttls-garbage", &starttls_cases[1],
                        test_starttls_reply);
  g_test_add_data_func ("/smtp/scripted/starttls-injected-bytes", &starttls_cases[2],
                        test_starttls_reply);
  g_test_add_func ("/smtp/scripted/starttls-ehlo-refused", test_starttls_ehlo_refused);
  g_test_add_func ("/smtp/scripted/plaintext-refused", test_plaintext_refused);
  g_test_add_func ("/smtp/scripted/greeting-554", test_greeting_554);
  g_test_add_func ("/smtp/scripted/greeting-421", test_greeting_421);
  g_test_add_func ("/smtp/scripted/greeting-garbage", test_greeting_garbage);
  g_test_add_func ("/smtp/scripted/ehlo-name", test_ehlo_name);
  g_test_add_func ("/smtp/scripted/helo-fallback", test_helo_fallback);
  g_test_add_func ("/smtp/scripted/reply-bounds", test_reply_bounds);
  g_test_add_func ("/smtp/scripted/auth-plain-initial-response", test_auth_plain_initial_response);
  g_test_add_func ("/smtp/scripted/auth-login", test_auth_login);
  g_test_add_func ("/smtp/scripted/auth-errors", test_auth_errors);
  g_test_add_func ("/smtp/scripted/auth-none-supported", test_auth_none_supported);
  g_test_add_func ("/smtp/scripted/size-exceeded", test_size_exceeded);
  g_test_add_func ("/smtp/scripted/refused-before-sending", test_refused_before_sending);
  g_test_add_func ("/smtp/scripted/dot-stuffing-line-ends", test_dot_stuffing_and_line_ends);
  g_test_add_func ("/smtp/scripted/mail-parameters", test_mail_parameters);
  g_test_add_func ("/smtp/scripted/temporary-then-success", test_temporary_then_success);
  g_test_add_func ("/smtp/scripted/one-recipient-refused-pipelining-on-off",
                   test_one_recipient_refused);
  g_test_add_func ("/smtp/scripted/recipient-temporary", test_recipient_temporary);
  g_test_add_func ("/smtp/scripted/all-recipients-refused", test_all_recipients_refused);
  g_test_add_func ("/smtp/scripted/sender-refused", test_sender_refused);
  g_test_add_func ("/smtp/scripted/sender-refused-unpipelined", test_sender_refused_unpipelined);
  g_test_add_data_func ("/smtp/scripted/cut-after-dot-uncertain", &after_dot_cases[0],
                        test_after_dot);
  g_test_add_data_func ("/smtp/scripted/timeout-after-dot-uncertain", &after_dot_cases[1],
                        test_after_dot);
  g_test_add_data_func ("/smtp/scripted/garbage-after-dot-uncertain", &after_dot_cases[2],
                        test_after_dot);
  g_test_add_func ("/smtp/scripted/cut-before-dot-retryable", test_cut_before_dot);
  g_test_add_func ("/smtp/scripted/cut-before-data-retryable", test_cut_before_data);
  g_test_add_func ("/smtp/scripted/several-messages", test_several_messages);

  return g_test_run ();
}
