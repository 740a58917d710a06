/* test-starttls-catalogue.c: the STARTTLS and TLS attack catalogue for
 * IMAP, POP3 and SMTP, on a scripted server that keeps every byte the
 * client sent (tls-script-server.py)
 *
 * Each case is what the 2021 "Why TLS is better without STARTTLS" study
 * (Poddebniak et al.) and the classic certificate mistakes throw at a mail
 * client: no STARTTLS offered, STARTTLS refused or answered with garbage, a
 * forged reply glued to the go-ahead, responses sent before the upgrade,
 * PREAUTH, a plaintext [ALERT], a greeting that is no greeting, plaintext on
 * an implicit-TLS port, certificates self-signed, expired, not yet valid,
 * for another host or from an unknown CA, and TLS 1.1. After its script the
 * server accepts any login, so a client that went on would send its
 * password. Every refused case must end before any credential left: the
 * whole transcript (plaintext and decrypted TLS) holds neither the password
 * nor its base64 nor an AUTH/AUTHENTICATE/LOGIN/USER/PASS/APOP command. The
 * cases that may go on (the upgrade itself was sound) must forget what was
 * said in plaintext and send nothing secret before TLS.
 *
 * Some cases repeat tests of test-imap-client, test-pop3-client and
 * test-smtp-client; here every case runs for every protocol, against the
 * same transcript check.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "kurir-imap-client.h"
#include "kurir-pop3-client.h"
#include "kurir-smtp-client.h"
#include "kurir-test-util.h"

#define USER     "catalogue"
#define PASSWORD "Cat4logue-s3cret!pw"

typedef enum { PROTO_IMAP, PROTO_POP3, PROTO_SMTP } Proto;
typedef enum { EXPECT_REFUSED, EXPECT_UPGRADED } Expect;

typedef struct
{
  Proto          proto;
  const char    *server_case;
  KurirSecurity  security;
  Expect         expect;
} Case;

static const char *proto_names[] = { "imap", "pop3", "smtp" };
static char *cert_dir;

typedef struct
{
  gboolean connected;
  gboolean authenticated;
  gboolean injected_capability;   /* X-INJECTED survived the upgrade */
  guint    alerts;
  char    *error;
} Outcome;

static void
alert_cb (KurirImapClient *client,
          const char      *text,
          gpointer         user_data)
{
  Outcome *outcome = user_data;

  g_test_message ("alert: %s", text);
  outcome->alerts++;
}

static void
note_error (Outcome *outcome,
            GError  *error)
{
  g_assert_nonnull (error);
  if (outcome->error == NULL)
    outcome->error = g_strdup (error->message);
}

static void
run_imap (KurirConnection *connection,
          Outcome         *outcome)
{
  g_autoptr(KurirImapClient) client = kurir_imap_client_new (connection);
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) auth_result = NULL;

  kurir_imap_client_set_timeout (client, 10);
  g_signal_connect (client, "alert", G_CALLBACK (alert_cb), outcome);
  kurir_imap_client_connect_async (client, NULL, kurir_test_store_result, &result);
  outcome->connected = kurir_imap_client_connect_finish (client, kurir_test_wait (&result), &error);
  if (!outcome->connected)
    note_error (outcome, error);
  g_clear_error (&error);
  outcome->injected_capability = kurir_imap_client_has_capability (client, "X-INJECTED");
  /* A login asked for anyway must be refused here, not sent. */
  kurir_imap_client_authenticate_async (client, USER, PASSWORD, NULL,
                                        kurir_test_store_result, &auth_result);
  outcome->authenticated =
    kurir_imap_client_authenticate_finish (client, kurir_test_wait (&auth_result), &error);
  if (!outcome->authenticated)
    note_error (outcome, error);
  kurir_imap_client_close (client);
}

static void
run_pop3 (KurirConnection *connection,
          Outcome         *outcome)
{
  g_autoptr(KurirPop3Client) client = kurir_pop3_client_new (connection);
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) auth_result = NULL;

  kurir_pop3_client_connect_async (client, NULL, kurir_test_store_result, &result);
  outcome->connected = kurir_pop3_client_connect_finish (client, kurir_test_wait (&result), &error);
  if (!outcome->connected)
    note_error (outcome, error);
  g_clear_error (&error);
  outcome->injected_capability = kurir_pop3_client_has_capability (client, "X-INJECTED");
  kurir_pop3_client_authenticate_async (client, USER, PASSWORD, NULL,
                                        kurir_test_store_result, &auth_result);
  outcome->authenticated =
    kurir_pop3_client_authenticate_finish (client, kurir_test_wait (&auth_result), &error);
  if (!outcome->authenticated)
    note_error (outcome, error);
  kurir_pop3_client_disconnect (client);
}

static void
run_smtp (KurirConnection *connection,
          Outcome         *outcome)
{
  g_autoptr(KurirSmtpClient) client = kurir_smtp_client_new (connection);
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) auth_result = NULL;

  kurir_smtp_client_connect_async (client, NULL, kurir_test_store_result, &result);
  outcome->connected = kurir_smtp_client_connect_finish (client, kurir_test_wait (&result), &error);
  if (!outcome->connected)
    note_error (outcome, error);
  g_clear_error (&error);
  outcome->injected_capability = kurir_smtp_client_has_extension (client, "X-INJECTED");
  kurir_smtp_client_authenticate_async (client, USER, PASSWORD, NULL,
                                        kurir_test_store_result, &auth_result);
  outcome->authenticated =
    kurir_smtp_client_authenticate_finish (client, kurir_test_wait (&auth_result), &error);
  if (!outcome->authenticated)
    note_error (outcome, error);
  kurir_smtp_client_disconnect (client);
}

/* The password, as it is or in base64 at any alignment (alone, or inside
 * a SASL PLAIN or LOGIN message), must not be in @data. */
static void
assert_no_password (const char *data,
                    gsize       length,
                    const char *what)
{
  static const char *plain_prefixes[] = { "", "\0" USER "\0", USER "\0" USER "\0", "x", "xx" };
  static const gsize prefix_lengths[] = { 0, sizeof USER + 1, 2 * sizeof USER, 1, 2 };

  g_assert_null (memmem (data, length, PASSWORD, strlen (PASSWORD)));
  for (guint i = 0; i < G_N_ELEMENTS (plain_prefixes); i++)
    {
      g_autoptr(GByteArray) blob = g_byte_array_new ();
      g_autofree char *encoded = NULL;
      gsize skip;

      g_byte_array_append (blob, (const guint8 *) plain_prefixes[i], prefix_lengths[i]);
      g_byte_array_append (blob, (const guint8 *) PASSWORD, strlen (PASSWORD));
      encoded = g_base64_encode (blob->data, blob->len);
      /* Leave out the characters that also depend on the bytes before:
       * what stays is in any encoding of a message that holds these. */
      skip = (prefix_lengths[i] + 2) / 3 * 4;
      encoded[strlen (encoded) - 4] = '\0';
      if (g_test_verbose ())
        g_test_message ("%s: looking for %s", what, encoded + skip);
      g_assert_null (memmem (data, length, encoded + skip, strlen (encoded + skip)));
    }
}

/* No command that carries or starts a login. */
static void
assert_no_login_command (const char *data,
                         Proto       proto)
{
  static const char *commands[] = { "AUTH", "AUTHENTICATE", "LOGIN", "USER", "PASS", "APOP" };
  g_auto(GStrv) lines = g_strsplit (data, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) words = g_strsplit (g_strstrip (lines[i]), " ", 3);
      const char *command = proto == PROTO_IMAP ? (words[0] != NULL ? words[1] : NULL) : words[0];

      if (command == NULL)
        continue;
      for (guint j = 0; j < G_N_ELEMENTS (commands); j++)
        if (g_ascii_strcasecmp (command, commands[j]) == 0)
          g_error ("the client sent \"%s\" to a server it should have left", lines[i]);
    }
}

static void
check_transcript (const char *path,
                  Proto       proto,
                  const char *what)
{
  g_autofree char *data = NULL;
  gsize length = 0;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (path, &data, &length, &error);
  g_assert_no_error (error);
  g_test_message ("%s: %s", what, data);
  assert_no_password (data, length, what);
  assert_no_login_command (data, proto);
}

static void
test_case (gconstpointer data)
{
  const Case *c = data;
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "unit", "security",
                                                   "tls-script-server.py", NULL);
  g_autofree char *dir = g_dir_make_tmp ("kurir-catalogue-XXXXXX", NULL);
  g_autofree char *transcript = g_build_filename (dir, "transcript", NULL);
  g_autofree char *plain_path = g_strconcat (transcript, ".plain", NULL);
  g_autofree char *tls_path = g_strconcat (transcript, ".tls", NULL);
  g_autofree char *ca = g_build_filename (cert_dir, "ca.pem", NULL);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GSubprocess) server = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(KurirConnection) connection = NULL;
  g_autoptr(GAsyncResult) exited = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *port = NULL;
  Outcome outcome = { 0 };

  g_assert_nonnull (dir);
  if (c->security == KURIR_SECURITY_TLS)
    g_subprocess_launcher_setenv (launcher, "KURIR_CATALOGUE_IMPLICIT", "1", TRUE);
  server = g_subprocess_launcher_spawn (launcher, &error, "/usr/bin/python3", script, "serve",
                                        proto_names[c->proto], c->server_case, cert_dir,
                                        transcript, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server));
  port = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (port);

  connection = kurir_connection_new ("127.0.0.1", (guint16) atoi (port), c->security);
  kurir_connection_set_timeout (connection, 10);
  g_assert_true (kurir_connection_set_ca_file (connection, ca, &error));
  g_assert_no_error (error);

  switch (c->proto)
    {
    case PROTO_IMAP: run_imap (connection, &outcome); break;
    case PROTO_POP3: run_pop3 (connection, &outcome); break;
    case PROTO_SMTP: run_smtp (connection, &outcome); break;
    default: g_assert_not_reached ();
    }
  g_clear_object (&connection);
  g_test_message ("connected %d, authenticated %d, error: %s",
                  outcome.connected, outcome.authenticated, outcome.error);

  g_subprocess_wait_async (server, NULL, kurir_test_store_result, &exited);
  g_assert_true (g_subprocess_wait_finish (server, kurir_test_wait (&exited), &error));
  g_assert_no_error (error);

  /* Nothing secret before TLS, in any case. */
  check_transcript (plain_path, c->proto, "plaintext");
  /* Nothing learnt in plaintext outlives the upgrade. */
  g_assert_false (outcome.injected_capability);
  g_assert_cmpuint (outcome.alerts, ==, 0);

  if (c->expect == EXPECT_REFUSED)
    {
      g_assert_false (outcome.connected);
      g_assert_false (outcome.authenticated);
      g_assert_nonnull (outcome.error);
      check_transcript (tls_path, c->proto, "after the handshake");
    }
  else
    {
      g_assert_true (outcome.connected);
      g_assert_true (outcome.authenticated);
    }

  g_free (outcome.error);
  g_remove (plain_path);
  g_remove (tls_path);
  g_rmdir (dir);
}

/* The transcript check itself: each of these must fail it. */
static const char *leaks[] = {
  "A0002 NOOP " PASSWORD "\r\n",
  "AGNhdGFsb2d1ZQBDYXQ0bG9ndWUtczNjcmV0IXB3\r\n",                 /* PLAIN, continuation */
  "Y2F0YWxvZ3VlAGNhdGFsb2d1ZQBDYXQ0bG9ndWUtczNjcmV0IXB3\r\n",     /* PLAIN with authzid */
  "Q2F0NGxvZ3VlLXMzY3JldCFwdw==\r\n",                             /* LOGIN, password alone */
  "USER someone\r\n",
  "A0001 LOGIN someone something\r\n",
  "AUTH PLAIN\r\n",
};

static void
test_check_finds_leaks (void)
{
  if (g_test_subprocess ())
    {
      const char *leak = leaks[atoi (g_getenv ("KURIR_CATALOGUE_LEAK"))];
      Proto proto = g_str_has_prefix (leak, "A000") ? PROTO_IMAP : PROTO_POP3;

      assert_no_password (leak, strlen (leak), "sample");
      assert_no_login_command (leak, proto);
      return;
    }
  for (guint i = 0; i < G_N_ELEMENTS (leaks); i++)
    {
      g_autofree char *index = g_strdup_printf ("%u", i);

      g_setenv ("KURIR_CATALOGUE_LEAK", index, TRUE);
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
      g_test_trap_assert_failed ();
    }
  /* And an honest plaintext start passes it. */
  assert_no_password ("A0001 CAPABILITY\r\nA0002 STARTTLS\r\n", 34, "honest");
  assert_no_login_command ("A0001 CAPABILITY\r\nA0002 STARTTLS\r\n", PROTO_IMAP);
}

static const char *refused_everywhere[] = {
  "missing-capability", "starttls-refused", "starttls-garbage", "starttls-injected",
  "invalid-greeting",
};

static const char *bad_certificates[] = {
  "cert-selfsigned", "cert-expired", "cert-notyet", "cert-wronghost", "cert-otherca", "tls-1.1",
};

static void
add_case (GPtrArray     *cases,
          Proto          proto,
          const char    *server_case,
          KurirSecurity  security,
          Expect         expect)
{
  Case *c = g_new0 (Case, 1);
  g_autofree char *path = NULL;

  c->proto = proto;
  c->server_case = server_case;
  c->security = security;
  c->expect = expect;
  g_ptr_array_add (cases, c);
  path = g_strdup_printf ("/security/catalogue/%s/%s/%s", proto_names[proto],
                          security == KURIR_SECURITY_TLS ? "tls" : "starttls", server_case);
  g_test_add_data_func (path, c, test_case);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GPtrArray) cases = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *script = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;
  int result;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);

  for (Proto proto = PROTO_IMAP; proto <= PROTO_SMTP; proto++)
    {
      for (guint i = 0; i < G_N_ELEMENTS (refused_everywhere); i++)
        add_case (cases, proto, refused_everywhere[i], KURIR_SECURITY_STARTTLS, EXPECT_REFUSED);
      add_case (cases, proto, "before-starttls", KURIR_SECURITY_STARTTLS, EXPECT_UPGRADED);
      add_case (cases, proto, "plaintext-on-tls-port", KURIR_SECURITY_TLS, EXPECT_REFUSED);
      for (guint i = 0; i < G_N_ELEMENTS (bad_certificates); i++)
        {
          add_case (cases, proto, bad_certificates[i], KURIR_SECURITY_TLS, EXPECT_REFUSED);
          add_case (cases, proto, bad_certificates[i], KURIR_SECURITY_STARTTLS, EXPECT_REFUSED);
        }
    }
  g_test_add_func ("/security/catalogue/transcript-check-finds-leaks", test_check_finds_leaks);
  add_case (cases, PROTO_IMAP, "preauth", KURIR_SECURITY_STARTTLS, EXPECT_REFUSED);
  add_case (cases, PROTO_IMAP, "alert-greeting", KURIR_SECURITY_STARTTLS, EXPECT_UPGRADED);

  /* One set of certificates for the whole run. */
  cert_dir = g_dir_make_tmp ("kurir-catalogue-certs-XXXXXX", NULL);
  script = g_test_build_filename (G_TEST_DIST, "unit", "security", "tls-script-server.py", NULL);
  {
    const char *argv_certs[] = { "/usr/bin/python3", script, "certs", cert_dir, NULL };

    g_assert_true (g_spawn_sync (NULL, (char **) argv_certs, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                                 NULL, NULL, &status, &error));
    g_assert_no_error (error);
    g_assert_true (g_spawn_check_wait_status (status, NULL));
  }

  result = g_test_run ();

  {
    const char *argv_rm[] = { "rm", "-rf", cert_dir, NULL };
    g_spawn_sync (NULL, (char **) argv_rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                  NULL, NULL);
  }
  g_free (cert_dir);
  return result;
}
