/* test-imap-client.c: the IMAP client session against scripted loopback
 * servers, for what no honest server sends
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "imap-client-test-helpers.h"
#include "kurir-scripted-server.h"

#define PASSWORD "s3cret-pw"

/* The wire log, captured */

static GString *wire_log;

static GLogWriterOutput
log_writer (GLogLevelFlags   level,
            const GLogField *fields,
            gsize            n_fields,
            gpointer         user_data)
{
  const char *domain = NULL;
  const char *message = NULL;

  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_str_equal (fields[i].key, "GLIB_DOMAIN"))
        domain = fields[i].value;
      else if (g_str_equal (fields[i].key, "MESSAGE"))
        message = fields[i].value;
    }
  if (level & G_LOG_LEVEL_DEBUG)
    {
      if (g_strcmp0 (domain, "kurir-imap") == 0 && message != NULL)
        {
          g_string_append (wire_log, message);
          g_string_append_c (wire_log, '\n');
        }
      return G_LOG_WRITER_HANDLED;
    }
  return g_log_writer_default (level, fields, n_fields, user_data);
}

/* Helpers */

static KurirImapClient *
new_client (KurirScriptedServer *server,
            KurirSecurity        security)
{
  g_autoptr(KurirConnection) connection =
    kurir_connection_new ("127.0.0.1", kurir_scripted_server_get_port (server), security);
  KurirImapClient *client = kurir_imap_client_new (connection);

  kurir_imap_client_set_allow_plaintext (client, TRUE);
  kurir_imap_client_set_timeout (client, KURIR_TEST_TIMEOUT_SECONDS);
  return client;
}

static void
assert_no_credentials (KurirScriptedServer *server)
{
  const char *received = kurir_scripted_server_get_received (server);

  g_assert_null (strstr (received, "LOGIN"));
  g_assert_null (strstr (received, "AUTHENTICATE"));
  g_assert_null (strstr (received, PASSWORD));
}

typedef struct {
  guint   n_closed;
  GError *closed_error;
  guint   n_exists;
  guint   last_exists;
  guint   n_expunge;
  guint   n_alerts;
} Events;

static void
closed_cb (KurirImapClient *client,
           const GError    *error,
           gpointer         user_data)
{
  Events *events = user_data;

  events->n_closed++;
  g_clear_error (&events->closed_error);
  events->closed_error = g_error_copy (error);
}

static void
exists_cb (KurirImapClient *client,
           guint            exists,
           gpointer         user_data)
{
  Events *events = user_data;

  events->n_exists++;
  events->last_exists = exists;
}

static void
expunge_cb (KurirImapClient *client,
            guint            number,
            gpointer         user_data)
{
  ((Events *) user_data)->n_expunge++;
}

static void
watch (KurirImapClient *client,
       Events          *events)
{
  g_signal_connect (client, "closed", G_CALLBACK (closed_cb), events);
  g_signal_connect (client, "exists", G_CALLBACK (exists_cb), events);
  g_signal_connect (client, "expunge", G_CALLBACK (expunge_cb), events);
}

/* STARTTLS and what must stop before credentials */

static void
test_starttls_missing (void)
{
  static const KurirScriptStep script[] = {
    { NULL, "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN LOGIN-REFERRALS] ready\r\n" },
    { "A0001 CAPABILITY", "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\nA0001 OK done\r\n" },
    { "", NULL },
    { NULL, NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (script);
  g_autoptr(KurirImapClient) client = new_client (server, KURIR_SECURITY_STARTTLS);
  g_autoptr(GError) error = NULL;

  g_assert_false (imap_connect (client, &error));
  g_assert_error (error, KURIR_NET_ERROR, KURIR_NET_ERROR_STARTTLS_REFUSED);
  g_assert_nonnull (strstr (error->message, "127.0.0.1"));
  g_clear_error (&error);

  /* Asking for a login anyway: refused here, nothing sent. */
  g_assert_false (imap_login (client, "user", PASSWORD, &error));
  g_assert_nonnull (error);
  g_assert_cmpint (kurir_imap_client_get_state (client), ==,
                   KURIR_IMAP_CLIENT_STATE_DISCONNECTED);

  kurir_scripted_server_join (server);
  assert_no_credentials (server);
  kurir_scripted_server_stop (server);
}

static void
test_starttls_refused (gconstpointer data)
{
  const char *reply = data;
  const KurirScriptStep script[] = {
    { NULL, "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\r\n" },
    { "A0001 STARTTLS", reply },
    { "", NULL },
    { NULL, NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (script);
  g_autoptr(KurirImapClient) client = new_client (server, KURIR_SECURITY_STARTTLS);
  g_autoptr(GError) error = NULL;

  g_assert_false (imap_connect (client, &error));
  g_assert_error (error, KURIR_NET_ERROR, KURIR_NET_ERROR_STARTTLS_REFUSED);
  g_clear_error (&error);
  g_assert_false (imap_login (client, "user", PASSWORD, &error));

  kurir_scripted_server_join (server);
  assert_no_credentials (server);
  kurir_scripted_server_stop (server);
}

static void
test_command_before_connected (void)
{
  static const KurirScriptStep script[] = {
    { NULL, "* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] ready\r\n" },
    /* A0001 and A0002 were refused here, never sent. */
    { "A0003 STARTTLS", "A0003 NO not today\r\n" },
    { "", NULL },
    { NULL, NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (script);
  g_autoptr(KurirImapClient) client = new_client (server, KURIR_SECURITY_STARTTLS);
  g_autoptr(GAsyncResult) connect_result = NULL;
  g_autoptr(GAsyncResult) login_result = NULL;
  g_autoptr(GError) error = NULL;

  /* Before connecting: refused, not queued. */
  g_assert_false (imap_noop (client, &error));
  g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* While connecting (before STARTTLS): refused too, never sent. */
  kurir_imap_client_connect_async (client, NULL, kurir_test_store_result, &connect_result);
  kurir_imap_client_authenticate_async (client, "user", PASSWORD, NULL,
                                        kurir_test_store_result, &login_result);
  g_assert_false (kurir_imap_client_authenticate_finish (client, kurir_test_wait (&login_result),
                                                         &error));
  g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (kurir_imap_client_connect_finish (client, kurir_test_wait (&connect_result),
                                                    &error));
  g_assert_error (error, KURIR_NET_ERROR, KURIR_NET_ERROR_STARTTLS_REFUSED);

  kurir_scripted_server_join (server);
  assert_no_credentials (server);
  kurir_scripted_server_stop (server);
}

static void
test_starttls_injected (void)
{
  /* The go-ahead and, in the same packet, a response that would be read
   * as if it came through TLS. */
  static const KurirScriptStep script[] = {
    { NULL, "* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n" },
    { "A0001 STARTTLS",
      "A0001 OK Begin TLS negotiation now\r\n* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n" },
    { "", NULL },
    { NULL, NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (script);
  g_autoptr(KurirImapClient) client = new_client (server, KURIR_SECURITY_STARTTLS);
  g_autoptr(GError) error = NULL;

  g_assert_false (imap_connect (client, &error));
  g_assert_error (error, KURIR_NET_ERROR, KURIR_NET_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "unexpected data"));
  g_assert_false (kurir_imap_client_has_capability (client, "AUTH=PLAIN"));

  kurir_scripted_server_join (server);
  assert_no_credentials (server);
  kurir_scripted_server_stop (server);
}

static void
test_preauth_plaintext (void)
{
  static const KurirScriptStep script[] = {
    { NULL, "* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] logged in already\r\n" },
    { "", NULL },
    { NULL, NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (script);
  g_autoptr(KurirImapClient) client = new_client (server, KURIR_SECURITY_STARTTLS);
  g_autoptr(GError) error = NULL;

  g_assert_false (imap_connect (client, &error));
  g_assert_error (error, KURIR_NET_ERROR, KURIR_NET_ERROR_STARTTLS_REFUSED);
  g_assert_nonnull (strstr (error->message, "PREAUTH"));
  g_assert_cmpint (kurir_imap_client_get_state (client), ==,
                   KURIR_IMAP_CLIENT_STATE_DISCONNECTED);

  kurir_scripted_server_join (server);
  g_assert_cmpstr (kurir_scripted_server_get_received (server), ==, "");
  kurir_scripted_server_stop (server);
}

static void
test_plaintext_not_allowed (void)
{
  /* Refused before connecting: nobody listens on port 9. */
  g_autoptr(KurirConnection) connection =
    kurir_connection_new ("127.0.0.1", 9, KURIR_SECURITY_NONE);
  g_autoptr(KurirImapClient) client = kurir_imap_client_new (connection);
  g_autoptr(GError) error = NULL;

  g_assert_false (imap_connect (client, &error));
  g_assert_error (error, KURIR_NET_ERROR, KURIR_NET_ERROR_PLAINTEXT_REFUSED);
}

static void
test_login_disabled (void)
{
  static const KurirScriptStep script[] = {
    { NULL, "* OK [CAPABILITY IMAP4rev1 LOGINDISABLED AUTH=GSSAPI] ready\r\n" },
    { "", NULL },
    { NULL, NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (script);
  g_autoptr(KurirImapClient) client = new_client (server, KURIR_SECURITY_NONE);
  g_autoptr(GError) error = NULL;

  g_assert_true (imap_connect (client, &error));
  g_assert_no_error (error);
  g_assert_false (imap_login (client, "user", PASSWORD, &error));
  g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, "LOGINDISABLED"));

  kurir_imap_client_close (client);
  kurir_scripted_server_join (server);
  assert_no_credentials (server);
  kurir_scripted_server_stop (server);
}

static void
test_greeting_bye (void)
{
  static const KurirScriptStep script[] = {
    { NULL, "* BYE Too many connections, try later\r\n" },
    { NULL, NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (script);
  g_autoptr(KurirImapClient) client = new_client (server, KURIR_SECURITY_NONE);
  g_autoptr(GError) error = NULL;

  g_assert_false (imap_connect (client, &error));
  g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_BYE);
  g_assert_nonnull (strstr (error->message, "Too many connections"));
  kurir_scripted_server_stop (server);
}

/* Authentication */

static void
test_login_secret_hidden (void)
{
  static const KurirScriptStep script[] = {
    { NULL, "* OK [CAPABILITY IMAP4rev1 AUTH=GSSAPI] ready\r\n" },
    { "A0001 LOGIN user \"" PASSWORD "\"",
      "A0001 OK [CAPABILITY IMAP4rev1 IDLE] logged in\r\n" },
    { "A0002 LOGOUT", "* BYE bye\r\nA0002 OK done\r\n" },
    { NULL, NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (script);
  g_autoptr(KurirImapClient) client = new_client (server, KURIR_SECURITY_NONE);
  g_autoptr(GError) error = NULL;

  g_string_truncate (wire_log, 0);
  g_assert_true (imap_connect (client, &error));
  g_assert_no_error (error);
  g_assert_true (imap_login (client, "user", PASSWORD, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (kurir_imap_client_get_auth_mechanism (client), ==, "LOGIN");
  /* From the tagged OK's code, without asking. */
  g_assert_true (kurir_imap_client_has_capability (client, "IDLE"));
  g_assert_true (imap_logout (client, &error));
  g_assert_no_error (error);

  g_assert_null (strstr (wire_log->str, PASSWORD));
  g_assert_nonnull (strstr (wire_log->str, "C: ***"));
  g_assert_nonnull (strstr (wire_log->str, "A0002 LOGOUT"));
  kurir_scripted_server_stop (server);
}

static void
test_authenticate_plain_ir (void)
{
  /* "\0user\0s3cret-pw" */
  static const KurirScriptStep script[] = {
    { NULL, "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN AUTH=CRAM-MD5] ready\r\n" },
    { "A0001 AUTHENTICATE PLAIN AHVzZXIAczNjcmV0LXB3\r",
      "A0001 NO [AUTHENTICATIONFAILED] [ALERT] nope\r\n" },
    { "A0002 AUTHENTICATE PLAIN AHVzZXIAczNjcmV0LXB3\r",
      "A0002 NO [UNAVAILABLE] backend down\r\n" },
    { "", NULL },
    { NULL, NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (script);
  g_autoptr(KurirImapClient) client = new_client (server, KURIR_SECURITY_NONE);
  g_autoptr(GError) error = NULL;

  g_assert_true (imap_connect (client, &error));
  g_assert_no_error (error);
  g_assert_false (imap_login (client, "user", PASSWORD, &error));
  g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_AUTH_FAILED);
  g_assert_nonnull (strstr (error->message, "127.0.0.1"));
  g_assert_nonnull (strstr (error->message, "AUTHENTICATIONFAILED"));
  g_clear_error (&error);

  g_assert_false (imap_login (client, "user", PASSWORD, &error));
  g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_UNAVAILABLE);

  kurir_imap_client_close (client);
  kurir_scripted_server_stop (server);
}

static void
test_authenticate_no_ir (void)
{
  static const KurirScriptStep script[] = {
    { NULL, "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n" },
    { "A0001 AUTHENTICATE PLAIN\r", "+ \r\n" },
    { "AHVzZXIAczNjcmV0LXB3\r", "A0001 OK done\r\n" },
    { "A0002 CAPABILITY", "* CAPABILITY IMAP4rev1 IDLE\r\nA0002 OK done\r\n" },
    { "", NULL },
    { NULL, NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (script);
  g_autoptr(KurirImapClient) client = new_client (server, KURIR_SECURITY_NONE);
  g_autoptr(GError) error = NULL;

  g_assert_true (imap_connect (client, &error));
  g_assert_no_error (error);
  g_assert_true (imap_login (client, "user", PASSWORD, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (kurir_imap_client_get_auth_mechanism (client), ==, "PLAIN");
  /* Capabilities were asked again after authentication. */
  g_assert_true (kurir_imap_client_has_capability (client, "IDLE"));
  g_assert_false (kurir_imap_client_has_capability (client, "AUTH=PLAIN"));

  kurir_imap_client_close (client);
  kurir_scripted_server_stop (server);
}

/* A broken server */

#define PREAUTH_GREETING \
  "* PREAUTH [CAPABILITY IMAP4rev1 UIDPLUS LITERAL+ IDLE] ready\r\n"

static void
fetch_count_cb (KurirImapResponse *response,
                gpointer           user_data)
{
  (*(guint *) user_data)++;
}

static void
test_bye_mid_command (void)
{
  static const KurirScriptStep script[] = {
    { NULL, PREAUTH_GREETING },
    { "A0001 NOOP", "* 3 EXISTS\r\n* BYE Server shutting down\r\n" },
    { NULL, NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (script);
  g_autoptr(KurirImapClient) client = new_client (server, KURIR_SECURITY_NONE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) noop_result = NULL;
  g_autoptr(GAsyncResult) list_result = NULL;
  g_autoptr(GAsyncResult) fetch_result = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  Events events = { 0 };
  guint n_fetched = 0;

  watch (client, &events);
  g_assert_true (imap_connect (client, &error));
  g_assert_no_error (error);
  g_assert_cmpint (kurir_imap_client_get_state (client), ==,
                   KURIR_IMAP_CLIENT_STATE_AUTHENTICATED);

  /* Three commands in flight at once. */
  kurir_imap_client_noop_async (client, NULL, kurir_test_store_result, &noop_result);
  kurir_imap_client_list_async (client, NULL, kurir_test_store_result, &list_result);
  kurir_imap_client_fetch_async (client, "1:*", "(UID FLAGS)", 0, FALSE, fetch_count_cb,
                                 &n_fetched, NULL, NULL, kurir_test_store_result, &fetch_result);

  g_assert_false (kurir_imap_client_noop_finish (client, kurir_test_wait (&noop_result), &error));
  g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_BYE);
  g_assert_nonnull (strstr (error->message, "Server shutting down"));
  g_clear_error (&error);
  entries = kurir_imap_client_list_finish (client, kurir_test_wait (&list_result), &error);
  g_assert_null (entries);
  g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_BYE);
  g_clear_error (&error);
  g_assert_false (kurir_imap_client_fetch_finish (client, kurir_test_wait (&fetch_result),
                                                  NULL, NULL, &error));
  g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_BYE);
  g_clear_error (&error);

  g_assert_cmpuint (events.n_exists, ==, 1);
  g_assert_cmpuint (events.last_exists, ==, 3);
  g_assert_cmpuint (events.n_closed, ==, 1);
  g_assert_error (events.closed_error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_BYE);

  /* Later commands fail at once with the same error. */
  g_assert_false (imap_noop (client, &error));
  g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_BYE);

  g_clear_error (&events.closed_error);
  kurir_scripted_server_stop (server);
}

static void
test_huge_literal (void)
{
  static const KurirScriptStep script[] = {
    { NULL, PREAUTH_GREETING },
    { "A0001 UID FETCH 1 (UID BODY.PEEK[])",
      "* 1 FETCH (UID 1 BODY[] {10737418240}\r\nFrom: x\r\n" },
    /* Then silence, the connection open: the client must not wait. */
    { "", NULL },
    { NULL, NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (script);
  g_autoptr(KurirImapClient) client = new_client (server, KURIR_SECURITY_NONE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  Events events = { 0 };

  watch (client, &events);
  g_assert_true (imap_connect (client, &error));
  g_assert_no_error (error);
  body = imap_fetch_body (client, 1, NULL, &error);
  g_assert_null (body);
  g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, "127.0.0.1"));
  g_assert_cmpuint (events.n_closed, ==, 1);
  g_clear_error (&events.closed_error);

  kurir_scripted_server_stop (server);
}

static void
test_garbage (gconstpointer data)
{
  const char *garbage = data;
  const KurirScriptStep script[] = {
    { NULL, PREAUTH_GREETING },
    { "A0001 NOOP", garbage },
    { "", NULL },
    { NULL, NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (script);
  g_autoptr(KurirImapClient) client = new_client (server, KURIR_SECURITY_NONE);
  g_autoptr(GError) error = NULL;

  g_assert_true (imap_connect (client, &error));
  g_assert_no_error (error);
  g_assert_false (imap_noop (client, &error));
  g_assert_nonnull (error);
  g_assert_true (error->domain == KURIR_IMAP_ERROR);
  g_assert_true (error->code == KURIR_IMAP_ERROR_PROTOCOL ||
                 error->code == KURIR_IMAP_ERROR_TOO_LARGE);
  g_assert_cmpint (kurir_imap_client_get_state (client), ==,
                   KURIR_IMAP_CLIENT_STATE_DISCONNECTED);
  kurir_scripted_server_stop (server);
}

static void
test_not_imap (void)
{
  static const KurirScriptStep script[] = {
    { NULL, "HTTP/1.1 400 Bad Request\r\n\r\n" },
    { "", NULL },
    { NULL, NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (script);
  g_autoptr(KurirImapClient) client = new_client (server, KURIR_SECURITY_NONE);
  g_autoptr(GError) error = NULL;

  g_assert_false (imap_connect (client, &error));
  g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_PROTOCOL);
  kurir_scripted_server_stop (server);
}

static void
test_cut_mid_response (void)
{
  static const KurirScriptStep script[] = {
    { NULL, PREAUTH_GREETING },
    { "A0001 UID FETCH 1 (UID BODY.PEEK[])", "* 1 FETCH (UID 1 BODY[] {100}\r\nFrom: x\r\n" },
    { NULL, NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (script);
  g_autoptr(KurirImapClient) client = new_client (server, KURIR_SECURITY_NONE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;

  g_assert_true (imap_connect (client, &error));
  g_assert_no_error (error);
  body = imap_fetch_body (client, 1, NULL, &error);
  g_assert_null (body);
  g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_CLOSED);
  kurir_scripted_server_stop (server);
}

static void
test_timeout (void)
{
  static const KurirScriptStep script[] = {
    { NULL, PREAUTH_GREETING },
    { "A0001 NOOP", "* 1 EXISTS\r\n" },
    { "", NULL },
    { NULL, NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (script);
  g_autoptr(KurirImapClient) client = new_client (server, KURIR_SECURITY_NONE);
  g_autoptr(GError) error = NULL;

  g_assert_true (imap_connect (client, &error));
  g_assert_no_error (error);
  kurir_imap_client_set_timeout (client, 1);
  g_assert_false (imap_noop (client, &error));
  g_assert_error (error, KURIR_NET_ERROR, KURIR_NET_ERROR_TIMEOUT);
  kurir_scripted_server_stop (server);
}

static void
test_unknown_tag (void)
{
  static const KurirScriptStep script[] = {
    { NULL, PREAUTH_GREETING },
    { "A0001 NOOP", "Z9999 OK what\r\n" },
    { "", NULL },
    { NULL, NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (script);
  g_autoptr(KurirImapClient) client = new_client (server, KURIR_SECURITY_NONE);
  g_autoptr(GError) error = NULL;

  g_assert_true (imap_connect (client, &error));
  g_assert_no_error (error);
  g_assert_false (imap_noop (client, &error));
  g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_PROTOCOL);
  kurir_scripted_server_stop (server);
}

/* A session in a worker thread, on a main context of its own: nothing
 * runs on the global default context (nobody iterates it meanwhile). */

static void
store_in_slot (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_in_context (GMainContext  *context,
                 GAsyncResult **slot)
{
  gint64 deadline = g_get_monotonic_time () + KURIR_TEST_TIMEOUT_SECONDS * G_USEC_PER_SEC;

  while (*slot == NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (context, TRUE);
    }
  return *slot;
}

static gpointer
thread_session (gpointer data)
{
  KurirScriptedServer *server = data;
  GMainContext *context = g_main_context_new ();
  KurirImapClient *client;
  GAsyncResult *result = NULL;
  GError *error = NULL;
  gboolean ok;

  g_main_context_push_thread_default (context);
  client = new_client (server, KURIR_SECURITY_NONE);
  kurir_imap_client_connect_async (client, NULL, store_in_slot, &result);
  ok = kurir_imap_client_connect_finish (client, wait_in_context (context, &result), &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_clear_object (&result);

  /* The watchdog is a timer: it must fire on this context. */
  kurir_imap_client_set_timeout (client, 1);
  kurir_imap_client_noop_async (client, NULL, store_in_slot, &result);
  ok = kurir_imap_client_noop_finish (client, wait_in_context (context, &result), &error);
  g_assert_false (ok);
  g_assert_error (error, KURIR_NET_ERROR, KURIR_NET_ERROR_TIMEOUT);
  g_clear_error (&error);
  g_clear_object (&result);

  g_object_unref (client);
  /* Let the connection's close finish on this context. */
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
  return NULL;
}

static void
test_thread_context (void)
{
  static const KurirScriptStep script[] = {
    { NULL, PREAUTH_GREETING },
    { "A0001 NOOP", "* 2 EXISTS\r\n" },
    { "", NULL },
    { NULL, NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (script);

  g_thread_join (g_thread_new ("imap-session", thread_session, server));
  kurir_scripted_server_stop (server);
}

/* Pipelining, routing and split packets */

static const KurirScriptStep split_script[] = {
  { NULL, "* PREAUTH [CAPABILITY IMAP4rev1 UIDPLUS LITERAL+ IDLE QRESYNC ENABLE] ready\r\n" },
  { "A0001 UID FETCH 1:* (UID FLAGS)", "* 1 FETCH (UID 10 FLAGS (\\Seen))\r\n* 4 EXI" },
  { "A0002 NOOP", "S" },
  { NULL, "TS\r\n* 2 EXPUNGE\r\n* 2 FETCH (UID 12 " },
  { NULL, "FLAGS ())\r\n* 3 FETCH (UID 13 FLAGS (\\Flagged))\r\nA00" },
  { NULL, "01 OK done\r\n* 1 FETCH (UID 10 FLAGS (\\Seen $Junk))\r\nA0002 OK done\r\n" },
  { "", NULL },
  { NULL, NULL },
};

typedef struct {
  guint   n;
  guint32 uids[8];
} Fetched;

static void
fetched_cb (KurirImapResponse *response,
            gpointer           user_data)
{
  Fetched *fetched = user_data;
  guint32 uid = 0;

  g_assert_true (kurir_imap_response_get_fetch_uid (response, &uid));
  g_assert_cmpuint (fetched->n, <, G_N_ELEMENTS (fetched->uids));
  fetched->uids[fetched->n++] = uid;
}

static void
unsolicited_fetch_cb (KurirImapClient   *client,
                      KurirImapResponse *response,
                      gpointer           user_data)
{
  (*(guint *) user_data)++;
}

static void
test_pipelined_split (void)
{
  KurirScriptedServer *server = kurir_scripted_server_start (split_script);
  g_autoptr(KurirImapClient) client = new_client (server, KURIR_SECURITY_NONE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) fetch_result = NULL;
  g_autoptr(GAsyncResult) noop_result = NULL;
  Fetched fetched = { 0 };
  Events events = { 0 };
  guint n_unsolicited = 0;
  guint n = 0;

  watch (client, &events);
  g_signal_connect (client, "fetch", G_CALLBACK (unsolicited_fetch_cb), &n_unsolicited);
  g_assert_true (imap_connect (client, &error));
  g_assert_no_error (error);

  kurir_imap_client_fetch_async (client, "1:*", "(UID FLAGS)", 0, FALSE, fetched_cb, &fetched,
                                 NULL, NULL, kurir_test_store_result, &fetch_result);
  kurir_imap_client_noop_async (client, NULL, kurir_test_store_result, &noop_result);
  g_assert_true (kurir_imap_client_fetch_finish (client, kurir_test_wait (&fetch_result), &n,
                                                 NULL, &error));
  g_assert_no_error (error);
  g_assert_true (kurir_imap_client_noop_finish (client, kurir_test_wait (&noop_result), &error));
  g_assert_no_error (error);

  /* The FETCHes went to the UID FETCH; EXISTS and EXPUNGE to signals; the
   * flag change after the UID FETCH finished, to ::fetch. */
  g_assert_cmpuint (n, ==, 3);
  g_assert_cmpuint (fetched.n, ==, 3);
  g_assert_cmpuint (fetched.uids[0], ==, 10);
  g_assert_cmpuint (fetched.uids[1], ==, 12);
  g_assert_cmpuint (fetched.uids[2], ==, 13);
  g_assert_cmpuint (events.n_exists, ==, 1);
  g_assert_cmpuint (events.last_exists, ==, 4);
  g_assert_cmpuint (events.n_expunge, ==, 1);
  g_assert_cmpuint (kurir_imap_client_get_exists (client), ==, 3);
  g_assert_cmpuint (n_unsolicited, ==, 1);

  kurir_imap_client_close (client);
  g_assert_cmpuint (events.n_closed, ==, 1);
  g_assert_error (events.closed_error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&events.closed_error);
  kurir_scripted_server_stop (server);
}

static void
test_one_byte_packets (void)
{
  static const char reply[] =
    "* 1 FETCH (UID 7 BODY[] {12}\r\nHello\r\nWorld)\r\nA0001 OK done\r\n";
  g_autoptr(GArray) steps = g_array_new (TRUE, TRUE, sizeof (KurirScriptStep));
  KurirScriptStep step = { NULL, PREAUTH_GREETING, 0 };
  KurirScriptedServer *server;
  g_autoptr(KurirImapClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;

  g_array_append_val (steps, step);
  for (gsize i = 0; i < strlen (reply); i++)
    {
      KurirScriptStep one = { i == 0 ? "A0001 UID FETCH 7" : NULL, reply + i, 1 };
      g_array_append_val (steps, one);
    }
  step = (KurirScriptStep) { "", NULL, 0 };
  g_array_append_val (steps, step);

  server = kurir_scripted_server_start ((const KurirScriptStep *) steps->data);
  client = new_client (server, KURIR_SECURITY_NONE);
  g_assert_true (imap_connect (client, &error));
  g_assert_no_error (error);
  body = imap_fetch_body (client, 7, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (body, NULL), g_bytes_get_size (body), "Hello\r\nWorld", 12);

  kurir_imap_client_close (client);
  kurir_scripted_server_stop (server);
}

/* IDLE: silent for longer than the timeout, renewed by its timer */

static gboolean
is_idling_after_renewal (KurirImapClient *client)
{
  return kurir_imap_client_is_idling (client) && kurir_imap_client_get_n_commands (client) == 2;
}

static gboolean
fail_timeout_cb (gpointer user_data)
{
  g_error ("timed out waiting for %s", (const char *) user_data);
  return G_SOURCE_REMOVE;
}

static void
wait_for (gboolean        (*condition) (KurirImapClient *),
          KurirImapClient  *client,
          const char       *what)
{
  guint id = g_timeout_add_seconds (KURIR_TEST_TIMEOUT_SECONDS, fail_timeout_cb, (gpointer) what);

  while (!condition (client))
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (id);
}

static void
test_idle_renewal (void)
{
  static const KurirScriptStep script[] = {
    { NULL, PREAUTH_GREETING },
    { "A0001 IDLE\r", "+ idling\r\n" },
    { "DONE\r", "* 3 EXISTS\r\nA0001 OK IDLE terminated\r\n" },
    { "A0002 IDLE\r", "+ idling\r\n" },
    { "DONE\r", "A0002 OK IDLE terminated\r\n" },
    { "", NULL },
    { NULL, NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (script);
  g_autoptr(KurirImapClient) client = new_client (server, KURIR_SECURITY_NONE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  Events events = { 0 };
  gint64 start;

  watch (client, &events);
  g_assert_true (imap_connect (client, &error));
  g_assert_no_error (error);
  /* The server stays silent until the renewal, at least twice the timeout
   * (timers in whole seconds may fire up to a second early): an IDLE is
   * not a command waiting for an answer. */
  kurir_imap_client_set_timeout (client, 1);
  kurir_imap_client_set_idle_interval (client, 3);

  start = g_get_monotonic_time ();
  kurir_imap_client_idle_async (client, NULL, kurir_test_store_result, &result);
  wait_for (is_idling_after_renewal, client, "the renewed IDLE");
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 2 * G_USEC_PER_SEC);
  g_assert_cmpuint (events.n_exists, ==, 1);
  g_assert_cmpuint (events.last_exists, ==, 3);
  g_assert_cmpuint (events.n_closed, ==, 0);
  g_assert_null (result);

  kurir_imap_client_idle_stop (client);
  g_assert_true (kurir_imap_client_idle_finish (client, kurir_test_wait (&result), &error));
  g_assert_no_error (error);

  kurir_imap_client_close (client);
  g_clear_error (&events.closed_error);
  kurir_scripted_server_stop (server);
}

/* Commands on the wire */

static void
test_append_sync_literal (void)
{
  static const KurirScriptStep script[] = {
    { NULL, "* PREAUTH [CAPABILITY IMAP4rev1 UIDPLUS] ready\r\n" },
    { "A0001 APPEND Drafts (\\Seen \\Draft) \"05-Mar-2026 09:08:07 +0130\" {15}\r",
      "+ go ahead\r\n" },
    /* The literal's two lines, then the command's CRLF. */
    { "Subject: hi\r", "" },
    { "\r", "" },
    { "\r", "A0001 OK [APPENDUID 77 1234] done\r\n" },
    { "A0002 APPEND Drafts {15}\r", "A0002 NO [OVERQUOTA] too big\r\n" },
    { "A0003 NOOP", "A0003 OK done\r\n" },
    { "", NULL },
    { NULL, NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (script);
  g_autoptr(KurirImapClient) client = new_client (server, KURIR_SECURITY_NONE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) message = g_bytes_new_static ("Subject: hi\r\n\r\n", 15);
  g_autoptr(GTimeZone) zone = g_time_zone_new_offset (90 * 60);
  g_autoptr(GDateTime) date = g_date_time_new (zone, 2026, 3, 5, 9, 8, 7);
  g_autoptr(KurirImapCopyResult) result = NULL;
  static const char * const flags[] = { "\\Seen", "\\Draft", NULL };

  g_assert_true (imap_connect (client, &error));
  g_assert_no_error (error);
  result = imap_append (client, "Drafts", flags, date, message, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->uidvalidity, ==, 77);
  g_assert_cmpuint (result->dest_uids->len, ==, 1);
  g_assert_cmpuint (g_array_index (result->dest_uids, guint32, 0), ==, 1234);
  g_clear_pointer (&result, kurir_imap_copy_result_free);

  /* Refused instead of "+": the literal is not sent, the session goes on. */
  result = imap_append (client, "Drafts", NULL, NULL, message, &error);
  g_assert_null (result);
  g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_REFUSED);
  g_assert_nonnull (strstr (error->message, "OVERQUOTA"));
  g_clear_error (&error);
  g_assert_true (imap_noop (client, &error));
  g_assert_no_error (error);

  kurir_imap_client_close (client);
  kurir_scripted_server_stop (server);
}

static void
test_move_without_uidplus (void)
{
  static const KurirScriptStep script[] = {
    { NULL, "* PREAUTH [CAPABILITY IMAP4rev1] ready\r\n" },
    { "A0001 NOOP", "A0001 OK done\r\n" },
    { "", NULL },
    { NULL, NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (script);
  g_autoptr(KurirImapClient) client = new_client (server, KURIR_SECURITY_NONE);
  g_autoptr(GError) error = NULL;
  g_autoptr(KurirImapCopyResult) result = NULL;
  guint32 uids[] = { 3, 4 };

  g_assert_true (imap_connect (client, &error));
  g_assert_no_error (error);
  result = imap_move (client, uids, 2, "Trash", &error);
  g_assert_null (result);
  g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);
  /* Nothing was sent for it: the next command is A0001. */
  g_assert_true (imap_noop (client, &error));
  g_assert_no_error (error);

  kurir_imap_client_close (client);
  kurir_scripted_server_join (server);
  g_assert_null (strstr (kurir_scripted_server_get_received (server), "COPY"));
  g_assert_null (strstr (kurir_scripted_server_get_received (server), "EXPUNGE"));
  kurir_scripted_server_stop (server);
}

static void
test_select_qresync (void)
{
  static const KurirScriptStep script[] = {
    { NULL, "* PREAUTH [CAPABILITY IMAP4rev1 ENABLE QRESYNC CONDSTORE] ready\r\n" },
    { "A0001 ENABLE QRESYNC CONDSTORE\r", "* ENABLED QRESYNC CONDSTORE\r\nA0001 OK done\r\n" },
    { "A0002 SELECT INBOX (QRESYNC (67890007 90060115194045000 41:211,214:541))\r",
      "* OK [CLOSED] previous\r\n"
      "* 314 EXISTS\r\n* 0 RECENT\r\n"
      "* OK [UIDVALIDITY 67890007] x\r\n* OK [UIDNEXT 567] x\r\n"
      "* FLAGS (\\Answered \\Flagged \\Draft \\Deleted \\Seen)\r\n"
      "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Draft \\Deleted \\Seen \\*)] x\r\n"
      "* OK [HIGHESTMODSEQ 90060128194045007] x\r\n"
      "* VANISHED (EARLIER) 41,43:116,118,120:211,214:540\r\n"
      "* 49 FETCH (UID 117 FLAGS (\\Seen \\Answered) MODSEQ (90060115194045001))\r\n"
      "* 50 FETCH (UID 119 FLAGS (\\Draft $MDNSent) MODSEQ (90060115194045308))\r\n"
      "A0002 OK [READ-WRITE] mailbox selected\r\n" },
    { "", NULL },
    { NULL, NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (script);
  g_autoptr(KurirImapClient) client = new_client (server, KURIR_SECURITY_NONE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(KurirImapMailbox) mailbox = NULL;
  g_autoptr(GArray) known = g_array_new (FALSE, FALSE, sizeof (guint32));

  g_assert_true (imap_connect (client, &error));
  g_assert_no_error (error);
  g_assert_true (imap_enable (client, &error));
  g_assert_no_error (error);
  g_assert_true (kurir_imap_client_is_enabled (client, "QRESYNC"));

  for (guint32 uid = 41; uid <= 541; uid++)
    if (uid != 212 && uid != 213)
      g_array_append_val (known, uid);
  kurir_imap_client_select_async (client, "INBOX", FALSE, 67890007, 90060115194045000ULL,
                                  (const guint32 *) known->data, known->len, NULL,
                                  kurir_test_store_result, &result);
  mailbox = kurir_imap_client_select_finish (client, kurir_test_wait (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (mailbox->exists, ==, 314);
  g_assert_cmpuint (mailbox->uidvalidity, ==, 67890007);
  g_assert_cmpuint (mailbox->uidnext, ==, 567);
  g_assert_cmpuint (mailbox->highestmodseq, ==, 90060128194045007ULL);
  g_assert_cmpuint (g_strv_length (mailbox->permanent_flags), ==, 6);
  g_assert_cmpuint (mailbox->vanished->len, ==, 5);
  g_assert_cmpuint (mailbox->fetches->len, ==, 2);
  g_assert_false (mailbox->read_only);
  g_assert_cmpstr (kurir_imap_client_get_selected (client), ==, "INBOX");
  g_assert_cmpint (kurir_imap_client_get_state (client), ==, KURIR_IMAP_CLIENT_STATE_SELECTED);

  kurir_imap_client_close (client);
  kurir_scripted_server_stop (server);
}

/* COMPRESS=DEFLATE, against a loopback server that really deflates */

typedef struct {
  GSocket *listener;
  guint16  port;
  GThread *thread;
  char    *received_after;   /* the line read through the decompressor */
} DeflateServer;

static gpointer
deflate_server_thread (gpointer user_data)
{
  DeflateServer *server = user_data;
  g_autoptr(GSocket) socket = g_socket_accept (server->listener, NULL, NULL);
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GDataInputStream) plain_in = NULL;
  g_autoptr(GZlibCompressor) compressor = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_RAW, -1);
  g_autoptr(GZlibDecompressor) decompressor = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_RAW);
  g_autoptr(GOutputStream) zout = NULL;
  g_autoptr(GInputStream) zin = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  GOutputStream *out;
  g_autofree char *line = NULL;
  static const char greeting[] = "* PREAUTH [CAPABILITY IMAP4rev1 COMPRESS=DEFLATE] hi\r\n";
  static const char go[] = "A0001 OK DEFLATE active\r\n";
  static const char reply[] = "* 5 EXISTS\r\nA0002 OK done\r\n";

  g_assert_nonnull (socket);
  g_socket_set_timeout (socket, KURIR_TEST_TIMEOUT_SECONDS);
  connection = g_socket_connection_factory_create_connection (socket);
  out = g_io_stream_get_output_stream (G_IO_STREAM (connection));

  g_assert_true (g_output_stream_write_all (out, greeting, strlen (greeting), NULL, NULL, NULL));
  /* Reads byte by byte so that nothing compressed is buffered here. */
  {
    GString *command = g_string_new (NULL);
    char c;

    while (g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                                &c, 1, NULL, NULL) == 1)
      {
        g_string_append_c (command, c);
        if (c == '\n')
          break;
      }
    g_assert_cmpstr (command->str, ==, "A0001 COMPRESS DEFLATE\r\n");
    g_string_free (command, TRUE);
  }
  g_assert_true (g_output_stream_write_all (out, go, strlen (go), NULL, NULL, NULL));

  zout = g_converter_output_stream_new (out, G_CONVERTER (compressor));
  zin = g_converter_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                                      G_CONVERTER (decompressor));
  lines = g_data_input_stream_new (zin);
  line = g_data_input_stream_read_line (lines, NULL, NULL, NULL);
  server->received_after = g_strdup (line);
  g_assert_true (g_output_stream_write_all (zout, reply, strlen (reply), NULL, NULL, NULL));
  g_assert_true (g_output_stream_flush (zout, NULL, NULL));
  /* Wait for the client to hang up. */
  g_free (g_data_input_stream_read_line (lines, NULL, NULL, NULL));
  (void) plain_in;
  return NULL;
}

static void
test_compress (void)
{
  DeflateServer server = { 0 };
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(KurirConnection) connection = NULL;
  g_autoptr(KurirImapClient) client = NULL;
  g_autoptr(GError) error = NULL;
  gboolean started = FALSE;

  server.listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                  G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (server.listener, address, TRUE, &error));
  g_assert_true (g_socket_listen (server.listener, &error));
  bound = g_socket_get_local_address (server.listener, &error);
  server.port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  server.thread = g_thread_new ("deflate-server", deflate_server_thread, &server);

  connection = kurir_connection_new ("127.0.0.1", server.port, KURIR_SECURITY_NONE);
  client = kurir_imap_client_new (connection);
  kurir_imap_client_set_allow_plaintext (client, TRUE);
  g_string_truncate (wire_log, 0);

  g_assert_true (imap_connect (client, &error));
  g_assert_no_error (error);
  g_assert_true (imap_compress (client, &started, &error));
  g_assert_no_error (error);
  g_assert_true (started);
  g_assert_true (kurir_connection_is_compressed (connection));
  g_assert_true (imap_noop (client, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (kurir_imap_client_get_exists (client), ==, 5);

  /* The wire log still shows the protocol, not deflate bytes. */
  g_assert_nonnull (strstr (wire_log->str, "C: A0002 NOOP"));
  g_assert_nonnull (strstr (wire_log->str, "S: * 5 EXISTS"));

  kurir_imap_client_close (client);
  g_thread_join (server.thread);
  g_assert_cmpstr (server.received_after, ==, "A0002 NOOP\r");
  g_free (server.received_after);
  g_socket_close (server.listener, NULL);
  g_object_unref (server.listener);
}

int
main (int    argc,
      char **argv)
{
  g_setenv ("G_MESSAGES_DEBUG", "kurir-imap", TRUE);
  wire_log = g_string_new (NULL);
  g_log_set_writer_func (log_writer, NULL, NULL);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/imap/client/starttls/missing", test_starttls_missing);
  g_test_add_data_func ("/imap/client/starttls/no", "A0001 NO not now\r\n", test_starttls_refused);
  g_test_add_data_func ("/imap/client/starttls/bad", "A0001 BAD what\r\n", test_starttls_refused);
  g_test_add_func ("/imap/client/starttls/injected", test_starttls_injected);
  g_test_add_func ("/imap/client/starttls/command-before-connected",
                   test_command_before_connected);
  g_test_add_func ("/imap/client/starttls/preauth", test_preauth_plaintext);
  g_test_add_func ("/imap/client/plaintext-not-allowed", test_plaintext_not_allowed);
  g_test_add_func ("/imap/client/greeting-bye", test_greeting_bye);
  g_test_add_func ("/imap/client/not-imap", test_not_imap);
  g_test_add_func ("/imap/client/auth/logindisabled", test_login_disabled);
  g_test_add_func ("/imap/client/auth/login-secret-hidden", test_login_secret_hidden);
  g_test_add_func ("/imap/client/auth/plain-sasl-ir", test_authenticate_plain_ir);
  g_test_add_func ("/imap/client/auth/plain-continuation", test_authenticate_no_ir);
  g_test_add_func ("/imap/client/broken/bye-mid-command", test_bye_mid_command);
  g_test_add_func ("/imap/client/broken/huge-literal", test_huge_literal);
  g_test_add_data_func ("/imap/client/broken/garbage/binary",
                        "\x01\x02\x03 \xff\xfe garbage\r\n", test_garbage);
  g_test_add_data_func ("/imap/client/broken/garbage/unbalanced",
                        "* 1 FETCH (UID 1 FLAGS (\\Seen)))))\r\n", test_garbage);
  g_test_add_data_func ("/imap/client/broken/garbage/unexpected-continuation",
                        "+ send more\r\n", test_garbage);
  g_test_add_func ("/imap/client/broken/cut-mid-response", test_cut_mid_response);
  g_test_add_func ("/imap/client/broken/timeout", test_timeout);
  g_test_add_func ("/imap/client/broken/unknown-tag", test_unknown_tag);
  g_test_add_func ("/imap/client/pipelined-split", test_pipelined_split);
  g_test_add_func ("/imap/client/one-byte-packets", test_one_byte_packets);
  g_test_add_func ("/imap/client/idle-renewal", test_idle_renewal);
  g_test_add_func ("/imap/client/thread-context", test_thread_context);
  g_test_add_func ("/imap/client/append-sync-literal", test_append_sync_literal);
  g_test_add_func ("/imap/client/move-without-uidplus", test_move_without_uidplus);
  g_test_add_func ("/imap/client/select-qresync", test_select_qresync);
  g_test_add_func ("/imap/client/compress", test_compress);

  return g_test_run ();
}
