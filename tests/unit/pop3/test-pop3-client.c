/* test-pop3-client.c: the POP3 client against a scripted loopback server,
 * for what no honest server sends: no STLS, STLS refused, bytes injected
 * after the STLS go-ahead, no UIDL, response codes, huge lines, replies
 * that never end, garbage, dot-stuffing, a connection cut after each
 * command in turn
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "kurir-net-error.h"
#include "kurir-sasl.h"
#include "kurir-scripted-server.h"
#include "pop3-test-helpers.h"

#define GREETING "+OK scripted POP3 server ready\r\n"
#define CAPA_PLAIN "+OK\r\nUSER\r\nUIDL\r\nTOP\r\n.\r\n"
/* Without PIPELINING before login, the client asks again after it
 * (RFC 2449 lets servers announce it in the TRANSACTION state only). */
#define LOGIN_PLAIN { "USER", "+OK\r\n" }, { "PASS", "+OK\r\n" }, { "CAPA", CAPA_PLAIN }

static KurirPop3Client *
scripted_client (KurirScriptedServer *server,
                 KurirSecurity        security)
{
  g_autoptr(KurirConnection) connection =
    kurir_connection_new ("127.0.0.1", kurir_scripted_server_get_port (server), security);
  KurirPop3Client *client = kurir_pop3_client_new (connection);

  kurir_connection_set_timeout (connection, 5);
  kurir_pop3_client_set_allow_plaintext (client, TRUE);
  return client;
}

/* Connects and logs in with USER/PASS on a plaintext scripted server. */
static KurirPop3Client *
logged_in_client (KurirScriptedServer *server)
{
  KurirPop3Client *client = scripted_client (server, KURIR_SECURITY_NONE);
  g_autoptr(GError) error = NULL;

  g_assert_true (pop3_connect (client, &error));
  g_assert_no_error (error);
  g_assert_true (pop3_login (client, "user", "secret", &error));
  g_assert_no_error (error);
  return client;
}

static gboolean
sent_credentials (const char *received)
{
  return strstr (received, "USER") != NULL || strstr (received, "PASS") != NULL ||
         strstr (received, "AUTH") != NULL || strstr (received, "APOP") != NULL ||
         strstr (received, "secret") != NULL;
}

/* STARTTLS */

static void
test_no_stls (void)
{
  static const KurirScriptStep steps[] = {
    { NULL, GREETING },
    { "CAPA", "+OK\r\nUSER\r\nSASL PLAIN\r\n.\r\n" },
    { "", NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (steps);
  g_autoptr(KurirPop3Client) client = scripted_client (server, KURIR_SECURITY_STARTTLS);
  g_autoptr(GError) error = NULL;

  g_assert_false (pop3_connect (client, &error));
  g_assert_error (error, KURIR_NET_ERROR, KURIR_NET_ERROR_STARTTLS_REFUSED);
  g_assert_nonnull (strstr (error->message, "STLS"));
  g_assert_false (kurir_pop3_client_is_connected (client));

  /* A login attempted anyway never reaches the server. */
  g_clear_error (&error);
  g_assert_false (pop3_login (client, "user", "secret", &error));
  g_assert_error (error, KURIR_NET_ERROR, KURIR_NET_ERROR_CLOSED);

  kurir_scripted_server_join (server);
  g_assert_cmpstr (kurir_scripted_server_get_received (server), ==, "CAPA\r\n");
  kurir_scripted_server_stop (server);
}

static void
test_stls_refused (void)
{
  static const KurirScriptStep steps[] = {
    { NULL, GREETING },
    { "CAPA", "+OK\r\nSTLS\r\nUSER\r\n.\r\n" },
    { "STLS", "-ERR [SYS/TEMP] TLS not available right now\r\n" },
    { "", NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (steps);
  g_autoptr(KurirPop3Client) client = scripted_client (server, KURIR_SECURITY_STARTTLS);
  g_autoptr(GError) error = NULL;

  g_assert_false (pop3_connect (client, &error));
  g_assert_error (error, KURIR_NET_ERROR, KURIR_NET_ERROR_STARTTLS_REFUSED);
  g_assert_false (kurir_pop3_client_is_connected (client));

  kurir_scripted_server_join (server);
  g_assert_false (sent_credentials (kurir_scripted_server_get_received (server)));
  kurir_scripted_server_stop (server);
}

static void
test_stls_injected (void)
{
  /* The go-ahead and a forged CAPA reply in one packet. */
  static const KurirScriptStep steps[] = {
    { NULL, GREETING },
    { "CAPA", "+OK\r\nSTLS\r\n.\r\n" },
    { "STLS", "+OK Begin TLS negotiation\r\n+OK\r\nUSER\r\nSASL PLAIN\r\n.\r\n" },
    { "", NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (steps);
  g_autoptr(KurirPop3Client) client = scripted_client (server, KURIR_SECURITY_STARTTLS);
  g_autoptr(GError) error = NULL;

  g_assert_false (pop3_connect (client, &error));
  g_assert_error (error, KURIR_NET_ERROR, KURIR_NET_ERROR_PROTOCOL);
  g_assert_false (kurir_pop3_client_is_connected (client));
  g_assert_false (kurir_pop3_client_has_capability (client, "SASL"));

  kurir_scripted_server_join (server);
  g_assert_cmpstr (kurir_scripted_server_get_received (server), ==, "CAPA\r\nSTLS\r\n");
  kurir_scripted_server_stop (server);
}

static void
test_plaintext_refused (void)
{
  /* No server: the refusal comes before any connection. */
  g_autoptr(KurirConnection) connection = kurir_connection_new ("127.0.0.1", 9, KURIR_SECURITY_NONE);
  g_autoptr(KurirPop3Client) client = kurir_pop3_client_new (connection);
  g_autoptr(GError) error = NULL;

  g_assert_false (pop3_connect (client, &error));
  g_assert_error (error, KURIR_NET_ERROR, KURIR_NET_ERROR_PLAINTEXT_REFUSED);
}

/* Greeting and login */

static void
test_garbage_greeting (void)
{
  static const KurirScriptStep steps[] = {
    { NULL, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n" },
    { "", NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (steps);
  g_autoptr(KurirPop3Client) client = scripted_client (server, KURIR_SECURITY_NONE);
  g_autoptr(GError) error = NULL;

  g_assert_false (pop3_connect (client, &error));
  g_assert_error (error, KURIR_POP3_ERROR, KURIR_POP3_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "does not greet like a POP3 server"));
  g_assert_false (kurir_pop3_client_is_connected (client));
  kurir_scripted_server_stop (server);
}

static void
test_err_greeting (void)
{
  static const KurirScriptStep steps[] = {
    { NULL, "-ERR [SYS/TEMP] Too many connections\r\n" },
    { "", NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (steps);
  g_autoptr(KurirPop3Client) client = scripted_client (server, KURIR_SECURITY_NONE);
  g_autoptr(GError) error = NULL;

  g_assert_false (pop3_connect (client, &error));
  g_assert_error (error, KURIR_POP3_ERROR, KURIR_POP3_ERROR_TEMPORARY);
  g_assert_nonnull (strstr (error->message, "try again later"));
  g_assert_false (kurir_pop3_client_is_connected (client));
  kurir_scripted_server_stop (server);
}

typedef struct
{
  const char     *reply;
  int             code;
  const char     *words;
} CodeCase;

static const CodeCase code_cases[] = {
  { "-ERR [IN-USE] Mailbox locked by another session\r\n", KURIR_POP3_ERROR_IN_USE, "try again later" },
  { "-ERR [LOGIN-DELAY] Wait 15 minutes between logins\r\n", KURIR_POP3_ERROR_LOGIN_DELAY, "try again later" },
  { "-ERR [SYS/TEMP] Storage unavailable\r\n", KURIR_POP3_ERROR_TEMPORARY, "try again later" },
  { "-ERR [SYS/PERM] Account disabled\r\n", KURIR_POP3_ERROR_PERMANENT, "trying again will not fix" },
  { "-ERR [AUTH] Authentication failed\r\n", KURIR_POP3_ERROR_AUTH_FAILED, "password" },
  { "-ERR Authentication failed\r\n", KURIR_POP3_ERROR_AUTH_FAILED, "password" },
};

static void
test_response_code (gconstpointer data)
{
  const CodeCase *code_case = data;
  const KurirScriptStep steps[] = {
    { NULL, GREETING },
    { "CAPA", CAPA_PLAIN },
    { "USER user", "+OK\r\n" },
    { "PASS secret", code_case->reply },
    { "NOOP", "-ERR not in this state\r\n" },
    { "", NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (steps);
  g_autoptr(KurirPop3Client) client = scripted_client (server, KURIR_SECURITY_NONE);
  g_autoptr(GError) error = NULL;

  g_assert_true (pop3_connect (client, &error));
  g_assert_false (pop3_login (client, "user", "secret", &error));
  g_assert_error (error, KURIR_POP3_ERROR, code_case->code);
  g_assert_nonnull (strstr (error->message, code_case->words));
  g_assert_nonnull (strstr (error->message, "127.0.0.1"));
  /* The server's considered answer: the session is still there. */
  g_assert_true (kurir_pop3_client_is_connected (client));

  g_clear_object (&client);
  kurir_scripted_server_stop (server);
}

static void
test_apop (void)
{
  /* RFC 1939's own example. */
  static const KurirScriptStep steps[] = {
    { NULL, "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n" },
    { "CAPA", "+OK\r\nUSER\r\nUIDL\r\n.\r\n" },
    { "APOP mrose c4c9334bac560ecc979e58001b3e22fb", "+OK maildrop has 0 messages\r\n" },
    { "CAPA", "+OK\r\nUSER\r\nUIDL\r\nPIPELINING\r\n.\r\n" },
    { "STAT", "+OK 0 0\r\n" },
    { "QUIT", "+OK bye\r\n" },
    { "", NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (steps);
  g_autoptr(KurirPop3Client) client = scripted_client (server, KURIR_SECURITY_NONE);
  g_autoptr(GError) error = NULL;
  guint count = 99;
  guint64 size = 99;

  g_assert_true (pop3_connect (client, &error));
  g_assert_true (pop3_login (client, "mrose", "tanstaaf", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (kurir_pop3_client_get_auth_mechanism (client), ==, "APOP");
  g_assert_true (pop3_stat (client, &count, &size, &error));
  g_assert_cmpuint (count, ==, 0);
  g_assert_cmpuint (size, ==, 0);
  g_assert_true (pop3_quit (client, &error));
  g_assert_no_error (error);
  g_assert_false (kurir_pop3_client_is_connected (client));

  kurir_scripted_server_join (server);
  g_assert_null (strstr (kurir_scripted_server_get_received (server), "tanstaaf"));
  kurir_scripted_server_stop (server);
}

static void
test_scram_success_without_proof (void)
{
  /* A server that says +OK before proving it knows the password. */
  static const KurirScriptStep steps[] = {
    { NULL, GREETING },
    { "CAPA", "+OK\r\nSASL SCRAM-SHA-256 PLAIN\r\nUSER\r\n.\r\n" },
    { "AUTH SCRAM-SHA-256 ", "+OK Logged in\r\n" },
    { "", NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (steps);
  g_autoptr(KurirPop3Client) client = scripted_client (server, KURIR_SECURITY_NONE);
  g_autoptr(GError) error = NULL;

  g_assert_true (pop3_connect (client, &error));
  g_assert_false (pop3_login (client, "user", "secret", &error));
  g_assert_error (error, KURIR_SASL_ERROR, KURIR_SASL_ERROR_SERVER_PROOF);
  g_assert_false (kurir_pop3_client_is_connected (client));
  kurir_scripted_server_stop (server);
}

/* UIDL fallback */

#define HEADERS_1 "Received: from a by b; Mon, 2 Nov 2026 10:00:00 +0000\r\n" \
                  "Message-ID: <one@example.org>\r\nSubject: one\r\n"
#define HEADERS_2 "Message-ID: <two@example.org>\r\nSubject: two\r\n"

static GArray *
uidl_without_uidl (gboolean capa, gboolean pipelining, gboolean status_header)
{
  const KurirScriptStep steps_capa[] = {
    { NULL, GREETING },
    { "CAPA", pipelining ? "+OK\r\nUSER\r\nTOP\r\nPIPELINING\r\n.\r\n"
                         : "+OK\r\nUSER\r\nTOP\r\n.\r\n" },
    { "USER user", "+OK\r\n" },
    { "PASS secret", "+OK\r\n" },
    { "CAPA", pipelining ? "+OK\r\nUSER\r\nTOP\r\nPIPELINING\r\n.\r\n"
                         : "+OK\r\nUSER\r\nTOP\r\n.\r\n" },
    { "LIST", "+OK 3 messages\r\n1 120\r\n2 80\r\n3 80\r\n.\r\n" },
    { "TOP 1 0", status_header ? "+OK\r\n" HEADERS_1 "Status: RO\r\n\r\n.\r\n"
                               : "+OK\r\n" HEADERS_1 "\r\n.\r\n" },
    { "TOP 2 0", "+OK\r\n" HEADERS_2 "\r\n.\r\n" },
    { "TOP 3 0", "+OK\r\n" HEADERS_2 "\r\n.\r\n" },
    { "QUIT", "+OK\r\n" },
    { "", NULL },
  };
  const KurirScriptStep steps_no_capa[] = {
    { NULL, GREETING },
    { "CAPA", "-ERR unknown command\r\n" },
    { "USER user", "+OK\r\n" },
    { "PASS secret", "+OK\r\n" },
    { "UIDL", "-ERR unknown command\r\n" },
    { "LIST", "+OK 3 messages\r\n1 120\r\n2 80\r\n3 80\r\n.\r\n" },
    { "TOP 1 0", "+OK\r\n" HEADERS_1 "\r\n.\r\n" },
    { "TOP 2 0", "+OK\r\n" HEADERS_2 "\r\n.\r\n" },
    { "TOP 3 0", "+OK\r\n" HEADERS_2 "\r\n.\r\n" },
    { "QUIT", "+OK\r\n" },
    { "", NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (capa ? steps_capa : steps_no_capa);
  g_autoptr(KurirPop3Client) client = logged_in_client (server);
  g_autoptr(GError) error = NULL;
  gboolean from_headers = FALSE;
  GArray *uids;

  g_assert_cmpint (kurir_pop3_client_get_pipelining (client), ==, pipelining);
  uids = pop3_uidl (client, &from_headers, &error);
  g_assert_no_error (error);
  g_assert_true (from_headers);
  g_assert_true (pop3_quit (client, &error));
  g_assert_no_error (error);
  kurir_scripted_server_stop (server);
  return uids;
}

static void
test_no_uidl (void)
{
  g_autoptr(GArray) first = uidl_without_uidl (TRUE, FALSE, FALSE);
  g_autoptr(GArray) second = uidl_without_uidl (TRUE, TRUE, TRUE);
  g_autoptr(GArray) third = uidl_without_uidl (FALSE, FALSE, FALSE);
  g_autoptr(GBytes) headers = g_bytes_new_static (HEADERS_2 "\r\n", strlen (HEADERS_2 "\r\n"));
  g_autofree char *expected = kurir_pop3_header_uid (headers);

  g_assert_cmpuint (first->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      KurirPop3UidEntry *a = &g_array_index (first, KurirPop3UidEntry, i);
      KurirPop3UidEntry *b = &g_array_index (second, KurirPop3UidEntry, i);
      KurirPop3UidEntry *c = &g_array_index (third, KurirPop3UidEntry, i);

      g_assert_cmpuint (a->number, ==, i + 1);
      g_assert_true (g_str_has_prefix (a->uid, "hdr-"));
      /* Stable across sessions, pipelined or not, CAPA or not, and
       * whatever Status header the server added meanwhile. */
      g_assert_cmpstr (a->uid, ==, b->uid);
      g_assert_cmpstr (a->uid, ==, c->uid);
    }
  g_assert_cmpstr (g_array_index (first, KurirPop3UidEntry, 1).uid, ==, expected);
  /* Two messages with the same headers still differ. */
  g_assert_cmpstr (g_array_index (first, KurirPop3UidEntry, 0).uid, !=,
                   g_array_index (first, KurirPop3UidEntry, 1).uid);
  g_assert_true (g_str_has_prefix (g_array_index (first, KurirPop3UidEntry, 2).uid, expected));
  g_assert_cmpstr (g_array_index (first, KurirPop3UidEntry, 1).uid, !=,
                   g_array_index (first, KurirPop3UidEntry, 2).uid);
}

/* Multi-line replies */

static void
test_dot_stuffing (void)
{
  static const KurirScriptStep steps[] = {
    { NULL, GREETING },
    { "CAPA", CAPA_PLAIN },
    LOGIN_PLAIN,
    { "RETR 1", "+OK 60 octets\r\n"
                "Subject: dots\r\n"
                "\r\n"
                "..\r\n"            /* a lone "." in the data */
                "...\r\n"           /* ".." in the data */
                "..leading dot\r\n"
                ".\tunstuffed by a sloppy server\r\n"
                "end.\r\n"
                " .\r\n"
                ".\r\n" },
    { "TOP 1 0", "+OK\r\nSubject: dots\r\n\r\n.\r\n" },
    { "RETR 2", "+OK\r\n.\r\n" },
    { "", NULL },
  };
  static const char expected[] =
    "Subject: dots\r\n"
    "\r\n"
    ".\r\n"
    "..\r\n"
    ".leading dot\r\n"
    "\tunstuffed by a sloppy server\r\n"
    "end.\r\n"
    " .\r\n";
  KurirScriptedServer *server = kurir_scripted_server_start (steps);
  g_autoptr(KurirPop3Client) client = logged_in_client (server);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) message = NULL;
  g_autoptr(GBytes) top = NULL;
  g_autoptr(GBytes) empty = NULL;
  g_autoptr(GBytes) want = g_bytes_new_static (expected, strlen (expected));

  message = pop3_retr (client, 1, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (message, want));
  top = pop3_top (client, 1, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (top, NULL), g_bytes_get_size (top),
                   "Subject: dots\r\n\r\n", 17);
  empty = pop3_retr (client, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (empty), ==, 0);

  g_clear_object (&client);
  kurir_scripted_server_stop (server);
}

static char *
big_line (gsize size)
{
  char *line = g_malloc (size + 3);

  memset (line, 'x', size);
  memcpy (line + size, "\r\n", 3);
  return line;
}

static void
test_huge_status_line (void)
{
  g_autofree char *flood = big_line (8 * 1024 * 1024);
  const KurirScriptStep steps[] = {
    { NULL, GREETING },
    { "CAPA", CAPA_PLAIN },
    LOGIN_PLAIN,
    { "STAT", "+OK " },
    { NULL, flood },
    { "", NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (steps);
  g_autoptr(KurirPop3Client) client = logged_in_client (server);
  g_autoptr(GError) error = NULL;

  g_assert_false (pop3_stat (client, NULL, NULL, &error));
  g_assert_error (error, KURIR_POP3_ERROR, KURIR_POP3_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "longer than"));
  g_assert_false (kurir_pop3_client_is_connected (client));

  g_clear_object (&client);
  kurir_scripted_server_stop (server);
}

static void
test_huge_message_line (void)
{
  g_autofree char *flood = big_line (6 * 1024 * 1024);
  const KurirScriptStep steps[] = {
    { NULL, GREETING },
    { "CAPA", CAPA_PLAIN },
    LOGIN_PLAIN,
    { "RETR 1", "+OK\r\nSubject: long\r\n\r\n" },
    { NULL, flood },
    { NULL, ".\r\n" },
    { "RETR 1", "+OK\r\nSubject: long\r\n\r\n" },
    { NULL, flood },
    { NULL, ".\r\n" },
    { "", NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (steps);
  g_autoptr(KurirPop3Client) client = logged_in_client (server);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) message = NULL;

  /* Within the message limit, a long line is data like any other... */
  message = pop3_retr (client, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (message), ==, strlen ("Subject: long\r\n\r\n") + strlen (flood));

  /* ...beyond it, a clear error and a closed connection. */
  kurir_pop3_client_set_max_message_size (client, 1024 * 1024);
  g_clear_pointer (&message, g_bytes_unref);
  message = pop3_retr (client, 1, &error);
  g_assert_null (message);
  g_assert_error (error, KURIR_POP3_ERROR, KURIR_POP3_ERROR_TOO_LARGE);
  g_assert_false (kurir_pop3_client_is_connected (client));

  g_clear_object (&client);
  kurir_scripted_server_stop (server);
}

static void
test_endless_reply (void)
{
  /* Many short lines and never the final ".". */
  g_autoptr(GString) lines = g_string_new (NULL);
  KurirScriptStep steps[] = {
    { NULL, GREETING },
    { "CAPA", CAPA_PLAIN },
    LOGIN_PLAIN,
    { "RETR 1", "+OK\r\n" },
    { NULL, NULL, 0 },
    { "", NULL },
  };
  KurirScriptedServer *server;
  g_autoptr(KurirPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) message = NULL;

  while (lines->len < 3 * 1024 * 1024)
    g_string_append (lines, "Endless line of a reply that never ends\r\n");
  steps[6].send = lines->str;
  steps[6].length = lines->len;
  server = kurir_scripted_server_start (steps);
  client = logged_in_client (server);
  kurir_pop3_client_set_max_message_size (client, 1024 * 1024);

  message = pop3_retr (client, 1, &error);
  g_assert_null (message);
  g_assert_error (error, KURIR_POP3_ERROR, KURIR_POP3_ERROR_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, "RETR 1"));
  g_assert_false (kurir_pop3_client_is_connected (client));

  g_clear_object (&client);
  kurir_scripted_server_stop (server);
}

static void
test_stalled_reply (void)
{
  static const KurirScriptStep steps[] = {
    { NULL, GREETING },
    { "CAPA", CAPA_PLAIN },
    LOGIN_PLAIN,
    { "RETR 1", "+OK\r\nSubject: half\r\n" },
    { "", NULL },   /* silent until the client gives up */
  };
  KurirScriptedServer *server = kurir_scripted_server_start (steps);
  g_autoptr(KurirPop3Client) client = logged_in_client (server);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) message = NULL;

  kurir_connection_set_timeout (kurir_pop3_client_get_connection (client), 1);
  message = pop3_retr (client, 1, &error);
  g_assert_null (message);
  g_assert_error (error, KURIR_NET_ERROR, KURIR_NET_ERROR_TIMEOUT);
  g_assert_false (kurir_pop3_client_is_connected (client));

  g_clear_object (&client);
  kurir_scripted_server_stop (server);
}

/* A connection cut after each command in turn */

typedef struct
{
  const char      *name;
  KurirScriptStep  steps[10];
} CutCase;

#define CUT_PROLOGUE { NULL, GREETING }, { "CAPA", CAPA_PLAIN }, LOGIN_PLAIN

static const CutCase cut_cases[] = {
  { "greeting", { { NULL, NULL } } },
  { "capa", { { NULL, GREETING }, { "CAPA", NULL } } },
  { "capa-mid-reply", { { NULL, GREETING }, { "CAPA", "+OK\r\nUSER\r\n" }, { NULL, NULL } } },
  { "user", { { NULL, GREETING }, { "CAPA", CAPA_PLAIN }, { "USER", NULL } } },
  { "pass", { { NULL, GREETING }, { "CAPA", CAPA_PLAIN }, { "USER", "+OK\r\n" }, { "PASS", NULL } } },
  { "stat", { CUT_PROLOGUE, { "STAT", NULL } } },
  { "uidl", { CUT_PROLOGUE, { "STAT", "+OK 1 10\r\n" }, { "UIDL", "+OK\r\n1 a" }, { NULL, NULL } } },
  { "retr", { CUT_PROLOGUE, { "STAT", "+OK 1 10\r\n" }, { "UIDL", "+OK\r\n1 a\r\n.\r\n" },
              { "RETR 1", "+OK\r\nSubject: cut\r\n\r\nhal" }, { NULL, NULL } } },
  { "dele", { CUT_PROLOGUE, { "STAT", "+OK 1 10\r\n" }, { "UIDL", "+OK\r\n1 a\r\n.\r\n" },
              { "RETR 1", "+OK\r\nx\r\n.\r\n" }, { "DELE 1", NULL } } },
  { "quit", { CUT_PROLOGUE, { "STAT", "+OK 1 10\r\n" }, { "UIDL", "+OK\r\n1 a\r\n.\r\n" },
              { "RETR 1", "+OK\r\nx\r\n.\r\n" }, { "DELE 1", "+OK\r\n" }, { "QUIT", NULL } } },
};

static void
test_cut (gconstpointer data)
{
  const CutCase *cut = data;
  KurirScriptedServer *server = kurir_scripted_server_start (cut->steps);
  g_autoptr(KurirPop3Client) client = scripted_client (server, KURIR_SECURITY_NONE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) uids = NULL;
  g_autoptr(GBytes) message = NULL;
  gboolean ok;

  /* A whole session; whichever step meets the cut fails, and every step
   * after it fails at once without touching the network. */
  ok = pop3_connect (client, &error) &&
       pop3_login (client, "user", "secret", &error) &&
       pop3_stat (client, NULL, NULL, &error) &&
       (uids = pop3_uidl (client, NULL, &error)) != NULL &&
       (message = pop3_retr (client, 1, &error)) != NULL &&
       pop3_dele (client, 1, &error) &&
       pop3_quit (client, &error);

  g_assert_false (ok);
  g_assert_error (error, KURIR_NET_ERROR, KURIR_NET_ERROR_CLOSED);
  g_assert_false (kurir_pop3_client_is_connected (client));
  g_clear_error (&error);
  g_assert_false (pop3_noop (client, &error));
  g_assert_error (error, KURIR_NET_ERROR, KURIR_NET_ERROR_CLOSED);

  g_clear_object (&client);
  kurir_scripted_server_stop (server);
}

/* Pipelining */

static void
test_pipelining (void)
{
  static const KurirScriptStep steps[] = {
    { NULL, GREETING },
    { "CAPA", "+OK\r\nUSER\r\nUIDL\r\nPIPELINING\r\n.\r\n" },
    { "USER", "+OK\r\n" },
    { "PASS", "+OK\r\n" },
    { "RETR 3", "+OK\r\nthree\r\n.\r\n" },
    { "RETR 1", "+OK\r\none\r\n" },      /* split replies */
    { NULL, ".\r\n" },
    { "RETR 2", "+OK\r\n..two\r\n.\r\n+OK\r\nfour\r\n.\r\n" },   /* and glued ones */
    { "RETR 4", "" },
    { "RETR 5", "-ERR no such message\r\n" },
    { "RETR 6", "+OK\r\nsix\r\n.\r\n" },
    { "NOOP", "+OK\r\n" },
    { "", NULL },
  };
  static const guint numbers[] = { 3, 1, 2, 4, 5, 6 };
  KurirScriptedServer *server = kurir_scripted_server_start (steps);
  g_autoptr(KurirPop3Client) client = logged_in_client (server);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GAsyncResult) result = NULL;

  g_assert_true (kurir_pop3_client_get_pipelining (client));
  kurir_pop3_client_set_pipeline_window (client, 4);
  kurir_pop3_client_retrieve_many_async (client, numbers, G_N_ELEMENTS (numbers), pop3_collect_cb,
                                         messages, NULL, NULL, kurir_test_store_result, &result);
  g_assert_false (kurir_pop3_client_retrieve_many_finish (client, kurir_test_wait (&result), &error));
  /* The -ERR stops it; RETR 6 was in flight and its reply is dropped. */
  g_assert_error (error, KURIR_POP3_ERROR, KURIR_POP3_ERROR_NO_SUCH_MESSAGE);
  g_assert_nonnull (strstr (error->message, "message 5"));
  g_assert_cmpuint (messages->len, ==, 4);
  g_assert_cmpmem (g_bytes_get_data (messages->pdata[0], NULL), g_bytes_get_size (messages->pdata[0]), "three\r\n", 7);
  g_assert_cmpmem (g_bytes_get_data (messages->pdata[1], NULL), g_bytes_get_size (messages->pdata[1]), "one\r\n", 5);
  g_assert_cmpmem (g_bytes_get_data (messages->pdata[2], NULL), g_bytes_get_size (messages->pdata[2]), ".two\r\n", 6);
  g_assert_cmpmem (g_bytes_get_data (messages->pdata[3], NULL), g_bytes_get_size (messages->pdata[3]), "four\r\n", 6);

  /* The session goes on. */
  g_clear_error (&error);
  g_assert_true (pop3_noop (client, &error));
  g_assert_no_error (error);

  g_clear_object (&result);
  g_clear_object (&client);
  kurir_scripted_server_stop (server);
}

static gboolean
stop_after_two_cb (guint     number,
                   GBytes   *message,
                   gpointer  user_data,
                   GError  **error)
{
  guint *seen = user_data;

  if (++*seen == 2)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "disk full");
      return FALSE;
    }
  return TRUE;
}

static void
test_sequential_stop (void)
{
  /* No PIPELINING: one RETR at a time, and a stop sends no more. */
  static const KurirScriptStep steps[] = {
    { NULL, GREETING },
    { "CAPA", CAPA_PLAIN },
    LOGIN_PLAIN,
    { "RETR 1", "+OK\r\none\r\n.\r\n" },
    { "RETR 2", "+OK\r\ntwo\r\n.\r\n" },
    { "RSET", "+OK\r\n" },
    { "", NULL },
  };
  static const guint numbers[] = { 1, 2, 3, 4 };
  KurirScriptedServer *server = kurir_scripted_server_start (steps);
  g_autoptr(KurirPop3Client) client = logged_in_client (server);
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  guint seen = 0;

  g_assert_false (kurir_pop3_client_get_pipelining (client));
  kurir_pop3_client_retrieve_many_async (client, numbers, G_N_ELEMENTS (numbers), stop_after_two_cb,
                                         &seen, NULL, NULL, kurir_test_store_result, &result);
  g_assert_false (kurir_pop3_client_retrieve_many_finish (client, kurir_test_wait (&result), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  g_assert_cmpuint (seen, ==, 2);
  g_clear_error (&error);
  g_assert_true (pop3_rset (client, &error));
  g_assert_no_error (error);

  /* The result holds the client, which holds the connection. */
  g_clear_object (&result);
  g_clear_object (&client);
  kurir_scripted_server_join (server);
  g_assert_null (strstr (kurir_scripted_server_get_received (server), "RETR 3"));
  kurir_scripted_server_stop (server);
}

/* Cancellation */

static void
test_cancel (void)
{
  static const KurirScriptStep steps[] = {
    { NULL, GREETING },
    { "CAPA", CAPA_PLAIN },
    LOGIN_PLAIN,
    { "RETR 1", "+OK\r\none\r\n.\r\n" },
    { "NOOP", "+OK\r\n" },
    { "RETR 2", "+OK\r\ntw" },
    { "", NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (steps);
  g_autoptr(KurirPop3Client) client = logged_in_client (server);
  g_autoptr(GCancellable) queued = g_cancellable_new ();
  g_autoptr(GCancellable) running = g_cancellable_new ();
  g_autoptr(GAsyncResult) first = NULL;
  g_autoptr(GAsyncResult) second = NULL;
  g_autoptr(GAsyncResult) third = NULL;
  g_autoptr(GBytes) message = NULL;
  g_autoptr(GError) error = NULL;

  /* Cancelled while queued behind another command: nothing was sent for
   * it, so the session goes on. */
  kurir_pop3_client_retrieve_async (client, 1, NULL, kurir_test_store_result, &first);
  kurir_pop3_client_retrieve_async (client, 2, queued, kurir_test_store_result, &second);
  g_cancellable_cancel (queued);
  message = kurir_pop3_client_retrieve_finish (client, kurir_test_wait (&first), &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (message, NULL), g_bytes_get_size (message), "one\r\n", 5);
  g_clear_pointer (&message, g_bytes_unref);
  message = kurir_pop3_client_retrieve_finish (client, kurir_test_wait (&second), &error);
  g_assert_null (message);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (kurir_pop3_client_is_connected (client));
  g_clear_error (&error);
  g_assert_true (pop3_noop (client, &error));
  g_assert_no_error (error);

  /* Cancelled in the middle of a reply: the session is in doubt, so the
   * connection is dropped (without QUIT: nothing is deleted). */
  kurir_pop3_client_retrieve_async (client, 2, running, kurir_test_store_result, &third);
  g_cancellable_cancel (running);
  message = kurir_pop3_client_retrieve_finish (client, kurir_test_wait (&third), &error);
  g_assert_null (message);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (kurir_pop3_client_is_connected (client));

  g_clear_object (&first);
  g_clear_object (&second);
  g_clear_object (&third);
  g_clear_object (&client);
  kurir_scripted_server_stop (server);
}

int
main (int    argc,
      char **argv)
{
  /* No isolated XDG folders: GIO's proxy resolver needs the system's
   * settings schemas, and nothing here writes to the user's folders. */
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pop3/scripted/no-stls", test_no_stls);
  g_test_add_func ("/pop3/scripted/stls-refused", test_stls_refused);
  g_test_add_func ("/pop3/scripted/stls-injected-bytes", test_stls_injected);
  g_test_add_func ("/pop3/scripted/plaintext-refused", test_plaintext_refused);
  g_test_add_func ("/pop3/scripted/garbage-greeting", test_garbage_greeting);
  g_test_add_func ("/pop3/scripted/err-greeting", test_err_greeting);
  g_test_add_data_func ("/pop3/scripted/code/in-use", &code_cases[0], test_response_code);
  g_test_add_data_func ("/pop3/scripted/code/login-delay", &code_cases[1], test_response_code);
  g_test_add_data_func ("/pop3/scripted/code/sys-temp", &code_cases[2], test_response_code);
  g_test_add_data_func ("/pop3/scripted/code/sys-perm", &code_cases[3], test_response_code);
  g_test_add_data_func ("/pop3/scripted/code/auth", &code_cases[4], test_response_code);
  g_test_add_data_func ("/pop3/scripted/code/none", &code_cases[5], test_response_code);
  g_test_add_func ("/pop3/scripted/apop", test_apop);
  g_test_add_func ("/pop3/scripted/scram-success-without-proof", test_scram_success_without_proof);
  g_test_add_func ("/pop3/scripted/no-uidl", test_no_uidl);
  g_test_add_func ("/pop3/scripted/dot-stuffing", test_dot_stuffing);
  g_test_add_func ("/pop3/scripted/huge-status-line", test_huge_status_line);
  g_test_add_func ("/pop3/scripted/huge-message-line", test_huge_message_line);
  g_test_add_func ("/pop3/scripted/endless-reply", test_endless_reply);
  g_test_add_func ("/pop3/scripted/stalled-reply", test_stalled_reply);
  for (guint i = 0; i < G_N_ELEMENTS (cut_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/pop3/scripted/cut/%s", cut_cases[i].name);
      g_test_add_data_func (path, &cut_cases[i], test_cut);
    }
  g_test_add_func ("/pop3/scripted/pipelining", test_pipelining);
  g_test_add_func ("/pop3/scripted/sequential-stop", test_sequential_stop);
  g_test_add_func ("/pop3/scripted/cancel", test_cancel);

  return g_test_run ();
}
