/* test-smtp-server.c: the SMTP client against the real submission server
 * of tests/servers (aiosmtpd), over STARTTLS and implicit TLS
 *
 * The server keeps the exact bytes it received in its spool
 * (KURIR_TEST_SMTP_SPOOL/NNNNNN.eml, the envelope in NNNNNN.json) and
 * delivers into each recipient's Maildir new/ with Return-Path and
 * Received prepended and LF line ends. Each test message carries a unique
 * Message-ID, by which its copies are found; the tests remove the copies
 * they delivered. These tests deliver to bob and olivia, which they own.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "kurir-net-error.h"
#include "smtp-test-helpers.h"

static guint serial;

/* Helpers */

static KurirSmtpClient *
new_client (const char *port_variable,
            KurirSecurity security,
            gboolean    trust_test_ca)
{
  g_autoptr(KurirConnection) connection =
    kurir_connection_new (kurir_test_getenv ("KURIR_TEST_HOST"),
                          kurir_test_port (port_variable), security);
  g_autoptr(GError) error = NULL;

  if (trust_test_ca)
    {
      kurir_connection_set_ca_file (connection, kurir_test_getenv ("KURIR_TEST_CA"), &error);
      g_assert_no_error (error);
    }
  kurir_connection_set_timeout (connection, 20);
  return kurir_smtp_client_new (connection);
}

static KurirSmtpClient *
logged_in_client (const char    *port_variable,
                  KurirSecurity  security)
{
  KurirSmtpClient *client = new_client (port_variable, security, TRUE);
  g_autoptr(GError) error = NULL;

  g_assert_true (smtp_connect (client, &error));
  g_assert_no_error (error);
  g_assert_true (kurir_connection_is_encrypted (kurir_smtp_client_get_connection (client)));
  g_assert_true (smtp_login (client, "alice", kurir_test_getenv ("KURIR_TEST_PASSWORD_ALICE"),
                             &error));
  g_assert_no_error (error);
  return client;
}

static char *
new_marker (void)
{
  return g_strdup_printf ("kurir-smtp-test-%u-%u-%08x@localhost", (guint) getpid (), ++serial,
                          g_random_int ());
}

/* A message with @marker as its Message-ID, and @body (LF line ends). */
static char *
new_message (const char *marker,
             const char *to,
             const char *body)
{
  return g_strdup_printf ("From: Alice <alice@localhost>\n"
                          "To: %s\n"
                          "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= from the SMTP test\n"
                          "Message-ID: <%s>\n"
                          "MIME-Version: 1.0\n"
                          "Content-Type: text/plain; charset=UTF-8\n"
                          "Content-Transfer-Encoding: 8bit\n"
                          "\n"
                          "%s", to, marker, body);
}

static char *
with_crlf (const char *text)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  return g_strjoinv ("\r\n", lines);
}

/* The spool copy of the message with @marker: exactly what was received. */
static char *
spool_copy (const char  *marker,
            char       **out_envelope)
{
  g_autofree char *path = NULL;
  char *contents = NULL;

  g_assert_true (kurir_test_tree_contains (kurir_test_getenv ("KURIR_TEST_SMTP_SPOOL"),
                                           marker, &path));
  g_assert_true (g_str_has_suffix (path, ".eml"));
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  if (out_envelope != NULL)
    {
      g_autofree char *json = g_strndup (path, strlen (path) - strlen ("eml"));
      g_autofree char *json_path = g_strconcat (json, "json", NULL);

      g_assert_true (g_file_get_contents (json_path, out_envelope, NULL, NULL));
    }
  return contents;
}

/* Checks that @user's INBOX got the message as sent (after the server's
 * Return-Path and Received), then removes it. */
static void
assert_delivered (const char *user,
                  const char *marker,
                  const char *message)
{
  g_autofree char *variable = g_strdup_printf ("KURIR_TEST_MAILDIR_%s", user);
  g_autofree char *upper = g_ascii_strup (variable, -1);
  g_autofree char *new_dir = g_build_filename (kurir_test_getenv (upper), "new", NULL);
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  gsize length;

  g_assert_true (kurir_test_tree_contains (new_dir, marker, &path));
  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  g_assert_true (g_str_has_prefix (contents, "Return-Path: <alice@localhost>\n"));
  g_assert_nonnull (strstr (contents, "\nReceived: from "));
  g_assert_true (g_str_has_suffix (contents, message));
  /* Only the server's two fields (Received folded on 3 lines) came before. */
  g_assert_cmpuint (length - strlen (message), <, 400);
  g_assert_cmpint (g_unlink (path), ==, 0);
}

static void
assert_not_delivered (const char *user,
                      const char *marker)
{
  g_autofree char *variable = g_strdup_printf ("KURIR_TEST_MAILDIR_%s", user);
  g_autofree char *upper = g_ascii_strup (variable, -1);

  g_assert_false (kurir_test_tree_contains (kurir_test_getenv (upper), marker, NULL));
}

static char *
smtp_log (void)
{
  char *contents = NULL;

  g_assert_true (g_file_get_contents (kurir_test_getenv ("KURIR_TEST_SMTP_LOG"), &contents,
                                      NULL, NULL));
  return contents;
}

static guint
count (const char *haystack,
       const char *needle)
{
  guint n = 0;

  for (const char *p = strstr (haystack, needle); p != NULL; p = strstr (p + 1, needle))
    n++;
  return n;
}

/* Tests */

static void
check_send (const char    *port_variable,
            KurirSecurity  security)
{
  const char * const bob[] = { "bob@localhost", NULL };
  g_autoptr(KurirSmtpClient) client = logged_in_client (port_variable, security);
  g_autofree char *marker = new_marker ();
  g_autofree char *message = new_message (marker, "Bob <bob@localhost>",
                                          "Gr\xc3\xbc\xc3\x9f" "e, Bob.\n\nA plain line.\n");
  g_autofree char *wire = with_crlf (message);
  g_autofree char *envelope = NULL;
  g_autofree char *received = NULL;
  g_autofree char *size = NULL;
  g_autofree char *log = NULL;
  g_autoptr(KurirSmtpSendResult) result = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (kurir_smtp_client_has_extension (client, "8BITMIME"));
  result = smtp_send (client, "alice@localhost", bob, message, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->n_accepted, ==, 1);
  g_assert_cmpuint (result->size, ==, strlen (wire));
  g_assert_nonnull (strstr (result->reply, "queued as"));
  g_assert_true (smtp_quit (client, &error));
  g_assert_no_error (error);

  /* The exact bytes, with CRLF line ends, and the envelope. */
  received = spool_copy (marker, &envelope);
  g_assert_cmpstr (received, ==, wire);
  size = g_strdup_printf ("\"SIZE=%" G_GSIZE_FORMAT "\"", strlen (wire));
  g_assert_nonnull (strstr (envelope, size));
  g_assert_nonnull (strstr (envelope, "\"BODY=8BITMIME\""));
  g_assert_nonnull (strstr (envelope, "\"tls\": true"));
  g_assert_nonnull (strstr (envelope, "\"auth_user\": \"alice\""));
  {
    g_autofree char *helo = g_strdup_printf ("\"helo\": \"%s\"",
                                             kurir_smtp_client_get_client_name (client));
    g_assert_nonnull (strstr (envelope, helo));
  }
  assert_delivered ("bob", marker, message);

  /* Credentials only ever inside TLS. */
  log = smtp_log ();
  g_assert_null (strstr (log, "plain C: AUTH"));
}

static void
test_send_starttls (void)
{
  check_send ("KURIR_TEST_SMTP_PORT", KURIR_SECURITY_STARTTLS);
}

static void
test_send_implicit_tls (void)
{
  check_send ("KURIR_TEST_SMTPS_PORT", KURIR_SECURITY_TLS);
}

static void
test_dot_lines (void)
{
  const char * const bob[] = { "bob@localhost", NULL };
  g_autoptr(KurirSmtpClient) client = logged_in_client ("KURIR_TEST_SMTPS_PORT",
                                                        KURIR_SECURITY_TLS);
  g_autofree char *marker = new_marker ();
  g_autofree char *message = new_message (marker, "bob@localhost",
                                          "Lines that start with dots:\n"
                                          ".\n"
                                          ".hidden\n"
                                          "..two\n"
                                          ". spaced\n"
                                          "end\n"
                                          ".");   /* no final line end */
  g_autofree char *expected = g_strconcat (message, "\n", NULL);
  g_autofree char *wire = with_crlf (expected);
  g_autofree char *received = NULL;
  g_autoptr(KurirSmtpSendResult) result = NULL;
  g_autoptr(GError) error = NULL;

  result = smtp_send (client, "alice@localhost", bob, message, 0, 0, &error);
  g_assert_no_error (error);
  received = spool_copy (marker, NULL);
  g_assert_cmpstr (received, ==, wire);
  assert_delivered ("bob", marker, expected);
}

static void
test_several_recipients (void)
{
  const char * const recipients[] = { "bob@localhost", "olivia@localhost", NULL };
  g_autoptr(KurirSmtpClient) client = logged_in_client ("KURIR_TEST_SMTP_PORT",
                                                        KURIR_SECURITY_STARTTLS);
  g_autofree char *marker = new_marker ();
  g_autofree char *message = new_message (marker, "bob@localhost, olivia@localhost",
                                          "For both of you.\n");
  g_autofree char *envelope = NULL;
  g_autofree char *received = NULL;
  g_autoptr(KurirSmtpSendResult) result = NULL;
  g_autoptr(GError) error = NULL;

  result = smtp_send (client, "alice@localhost", recipients, message, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->n_accepted, ==, 2);
  received = spool_copy (marker, &envelope);
  g_assert_nonnull (strstr (envelope, "\"bob@localhost\""));
  g_assert_nonnull (strstr (envelope, "\"olivia@localhost\""));
  assert_delivered ("bob", marker, message);
  assert_delivered ("olivia", marker, message);
}

static void
test_unknown_recipient (void)
{
  const char * const recipients[] = { "nobody@localhost", "bob@localhost",
                                      "j\xc3\xb6rg@localhost", NULL };
  g_autoptr(KurirSmtpClient) client = logged_in_client ("KURIR_TEST_SMTP_PORT",
                                                        KURIR_SECURITY_STARTTLS);
  g_autofree char *marker = new_marker ();
  g_autofree char *message = new_message (marker, "nobody@localhost, bob@localhost",
                                          "One of you does not exist.\n");
  g_autofree char *envelope = NULL;
  g_autofree char *received = NULL;
  g_autoptr(KurirSmtpSendResult) result = NULL;
  const KurirSmtpRecipient *nobody, *bob, *jorg;
  g_autoptr(GError) error = NULL;

  g_assert_true (kurir_smtp_client_has_extension (client, "SMTPUTF8"));
  result = smtp_send (client, "alice@localhost", recipients, message, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->n_accepted, ==, 1);
  g_assert_cmpuint (result->n_permanent, ==, 2);
  nobody = smtp_recipient (result, 0);
  bob = smtp_recipient (result, 1);
  jorg = smtp_recipient (result, 2);
  g_assert_cmpint (nobody->status, ==, KURIR_SMTP_RECIPIENT_PERMANENT);
  g_assert_cmpuint (nobody->code, ==, 550);
  g_assert_nonnull (strstr (nobody->reply, "User unknown"));
  g_assert_cmpint (bob->status, ==, KURIR_SMTP_RECIPIENT_ACCEPTED);
  g_assert_cmpint (jorg->status, ==, KURIR_SMTP_RECIPIENT_PERMANENT);

  /* The UTF-8 address went with SMTPUTF8. */
  received = spool_copy (marker, &envelope);
  g_assert_nonnull (strstr (envelope, "\"SMTPUTF8\""));
  assert_delivered ("bob", marker, message);

  /* Every recipient refused: nothing is sent, the session goes on. */
  {
    const char * const nobody_only[] = { "nobody@localhost", NULL };
    g_autofree char *marker2 = new_marker ();
    g_autofree char *message2 = new_message (marker2, "nobody@localhost", "Nobody.\n");

    g_assert_null (smtp_send (client, "alice@localhost", nobody_only, message2, 0, 0, &error));
    g_assert_error (error, KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_PERMANENT);
    g_assert_nonnull (strstr (error->message, "nobody@localhost"));
    g_clear_error (&error);
    g_assert_false (kurir_test_tree_contains (kurir_test_getenv ("KURIR_TEST_SMTP_SPOOL"),
                                              marker2, NULL));
    g_assert_true (smtp_noop (client, &error));
    g_assert_no_error (error);
  }
}

static void
test_several_messages_one_session (void)
{
  const char * const bob[] = { "bob@localhost", NULL };
  g_autoptr(KurirSmtpClient) client = logged_in_client ("KURIR_TEST_SMTPS_PORT",
                                                        KURIR_SECURITY_TLS);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *marker = new_marker ();
      g_autofree char *message = new_message (marker, "bob@localhost", "One of three.\n");
      g_autoptr(KurirSmtpSendResult) result = NULL;

      result = smtp_send (client, "alice@localhost", bob, message, 0,
                          i == 1 ? KURIR_SMTP_SEND_NO_PIPELINING : 0, &error);
      g_assert_no_error (error);
      assert_delivered ("bob", marker, message);
    }
  g_assert_true (smtp_quit (client, &error));
  g_assert_no_error (error);
}

typedef struct
{
  const char *marker;
  guint       calls;
  gboolean    refuse;
  gboolean    spooled;   /* the server had the message when called */
} BeforeDot;

static gboolean
before_dot_cb (KurirSmtpClient  *client,
               gpointer          user_data,
               GError          **error)
{
  BeforeDot *before = user_data;

  before->calls++;
  before->spooled = kurir_test_tree_contains (kurir_test_getenv ("KURIR_TEST_SMTP_SPOOL"),
                                              before->marker, NULL);
  if (before->refuse)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "No space left for the mark");
      return FALSE;
    }
  return TRUE;
}

/* The hook before the final ".": called once per message, after all its
 * data and before the server has it; when it fails no "." goes out, the
 * session ends and the server delivers nothing. */
static void
test_before_dot_hook (void)
{
  const char * const bob[] = { "bob@localhost", NULL };
  g_autofree char *refused_marker = new_marker ();
  g_autofree char *refused = new_message (refused_marker, "bob@localhost", "Never complete.\n");
  g_autofree char *marker = new_marker ();
  g_autofree char *message = new_message (marker, "bob@localhost", "Marked, then sent.\n");
  BeforeDot before = { refused_marker, 0, TRUE, FALSE };
  g_autoptr(KurirSmtpSendResult) result = NULL;
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(KurirSmtpClient) client = logged_in_client ("KURIR_TEST_SMTPS_PORT", KURIR_SECURITY_TLS);

    kurir_smtp_client_set_before_dot_func (client, before_dot_cb, &before, NULL);
    result = smtp_send (client, "alice@localhost", bob, refused, 0, 0, &error);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
    g_assert_null (result);
    g_assert_cmpuint (before.calls, ==, 1);
    g_assert_false (before.spooled);
    g_assert_false (kurir_smtp_client_is_connected (client));
    g_clear_error (&error);
  }

  {
    g_autoptr(KurirSmtpClient) client = logged_in_client ("KURIR_TEST_SMTPS_PORT", KURIR_SECURITY_TLS);

    before = (BeforeDot) { marker, 0, FALSE, FALSE };
    kurir_smtp_client_set_before_dot_func (client, before_dot_cb, &before, NULL);
    result = smtp_send (client, "alice@localhost", bob, message, 0, 0, &error);
    g_assert_no_error (error);
    g_assert_nonnull (result);
    g_assert_cmpuint (before.calls, ==, 1);
    g_assert_false (before.spooled);
    assert_delivered ("bob", marker, message);
    g_assert_true (smtp_quit (client, &error));
    g_assert_no_error (error);
  }
  /* Delivered after the refused one was dropped: that never arrived. */
  g_assert_false (kurir_test_tree_contains (kurir_test_getenv ("KURIR_TEST_SMTP_SPOOL"),
                                            refused_marker, NULL));
}

static void
test_too_large (void)
{
  const char * const bob[] = { "bob@localhost", NULL };
  g_autoptr(KurirSmtpClient) client = logged_in_client ("KURIR_TEST_SMTPS_PORT",
                                                        KURIR_SECURITY_TLS);
  guint64 limit = kurir_smtp_client_get_max_size (client);
  g_autofree char *marker = new_marker ();
  g_autofree char *head = new_message (marker, "bob@localhost", "");
  g_autoptr(GString) message = g_string_new (head);
  /* A sender of its own, so the server's log shows whether this test's
   * MAIL was sent, whatever other tests send at the same time. */
  g_autofree char *from = g_strdup_printf ("too-large-%.*s@localhost",
                                          (int) strcspn (marker, "@"), marker);
  g_autofree char *log_after = NULL;
  g_autofree char *limit_text = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (limit, >, 0);
  while (message->len <= limit)
    g_string_append (message, "0123456789012345678901234567890123456789012345678901234567890123456789\n");

  g_assert_null (smtp_send (client, from, bob, message->str, message->len, 0, &error));
  g_assert_error (error, KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_TOO_LARGE);
  limit_text = g_strdup_printf ("%" G_GUINT64_FORMAT " bytes", limit);
  g_assert_nonnull (strstr (error->message, limit_text));
  g_clear_error (&error);
  g_assert_true (smtp_quit (client, &error));

  /* Refused before MAIL. */
  log_after = smtp_log ();
  g_assert_null (strstr (log_after, from));
  assert_not_delivered ("bob", marker);
}

static void
test_wrong_password (void)
{
  g_autoptr(KurirSmtpClient) client = new_client ("KURIR_TEST_SMTP_PORT",
                                                  KURIR_SECURITY_STARTTLS, TRUE);
  g_autoptr(GError) error = NULL;

  g_assert_true (smtp_connect (client, &error));
  g_assert_no_error (error);
  g_assert_false (smtp_login (client, "alice", "not-the-password", &error));
  g_assert_error (error, KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_AUTH_FAILED);
  g_test_message ("%s", error->message);
  g_assert_false (kurir_smtp_client_is_authenticated (client));

  /* Still connected: the right password works now. */
  g_clear_error (&error);
  g_assert_true (smtp_login (client, "alice", kurir_test_getenv ("KURIR_TEST_PASSWORD_ALICE"),
                             &error));
  g_assert_no_error (error);
}

static void
test_untrusted_certificate (void)
{
  g_autoptr(KurirSmtpClient) client = new_client ("KURIR_TEST_SMTP_PORT",
                                                  KURIR_SECURITY_STARTTLS, FALSE);
  g_autofree char *log_before = smtp_log ();
  g_autofree char *log_after = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_false (smtp_connect (client, &error));
  g_assert_error (error, KURIR_NET_ERROR, KURIR_NET_ERROR_CERTIFICATE);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  g_assert_false (smtp_login (client, "alice", kurir_test_getenv ("KURIR_TEST_PASSWORD_ALICE"),
                              &error));
  g_assert_error (error, KURIR_NET_ERROR, KURIR_NET_ERROR_CLOSED);

  log_after = smtp_log ();
  g_assert_cmpuint (count (log_after, "C: STARTTLS"), ==, count (log_before, "C: STARTTLS") + 1);
  g_assert_cmpuint (count (log_after, "C: AUTH"), ==, count (log_before, "C: AUTH"));
}

static void
test_plaintext_needs_permission (void)
{
  /* The STARTTLS port without STARTTLS: not without the user's consent. */
  g_autoptr(KurirSmtpClient) client = new_client ("KURIR_TEST_SMTP_PORT",
                                                  KURIR_SECURITY_NONE, TRUE);
  g_autoptr(GError) error = NULL;

  g_assert_false (smtp_connect (client, &error));
  g_assert_error (error, KURIR_NET_ERROR, KURIR_NET_ERROR_PLAINTEXT_REFUSED);
}

int
main (int   argc,
      char *argv[])
{
  /* No isolated XDG folders: GIO's proxy resolver needs the system's
   * settings schemas, and nothing here writes to the user's folders. */
  g_test_init (&argc, &argv, NULL);
  kurir_test_require_servers ();

  g_test_add_func ("/smtp/server/send-starttls", test_send_starttls);
  g_test_add_func ("/smtp/server/send-implicit-tls", test_send_implicit_tls);
  g_test_add_func ("/smtp/server/dot-lines", test_dot_lines);
  g_test_add_func ("/smtp/server/several-recipients", test_several_recipients);
  g_test_add_func ("/smtp/server/unknown-recipient", test_unknown_recipient);
  g_test_add_func ("/smtp/server/several-messages-one-session", test_several_messages_one_session);
  g_test_add_func ("/smtp/server/before-dot-hook", test_before_dot_hook);
  g_test_add_func ("/smtp/server/too-large", test_too_large);
  g_test_add_func ("/smtp/server/wrong-password", test_wrong_password);
  g_test_add_func ("/smtp/server/untrusted-certificate", test_untrusted_certificate);
  g_test_add_func ("/smtp/server/plaintext-needs-permission", test_plaintext_needs_permission);

  return g_test_run ();
}
