/* test-sasl.c: the SASL client against GNU SASL's own server side, in
 * process: every mechanism logs in, a forged SCRAM server signature and a
 * malformed challenge are errors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <gsasl.h>

#include "kurir-sasl.h"

#define USERNAME "alice"
#define PASSWORD "correct horse"

static int
server_callback (Gsasl          *ctx,
                 Gsasl_session  *session,
                 Gsasl_property  prop)
{
  switch (prop)
    {
    case GSASL_PASSWORD:
      gsasl_property_set (session, GSASL_PASSWORD, PASSWORD);
      return GSASL_OK;
    case GSASL_VALIDATE_SIMPLE:
      {
        const char *user = gsasl_property_fast (session, GSASL_AUTHID);
        const char *pass = gsasl_property_fast (session, GSASL_PASSWORD);

        return g_strcmp0 (user, USERNAME) == 0 && g_strcmp0 (pass, PASSWORD) == 0
          ? GSASL_OK : GSASL_AUTHENTICATION_ERROR;
      }
    default:
      return GSASL_NO_CALLBACK;
    }
}

typedef enum {
  TAMPER_NONE,
  TAMPER_SERVER_FINAL,
} Tamper;

/* Runs one exchange; returns the client's error, or NULL when both sides
 * agreed. *out_server_ok: whether the server accepted the client. */
static GError *
exchange (const char *mechanism,
          const char *password,
          Tamper      tamper,
          gboolean   *out_server_ok)
{
  Gsasl *server_ctx = NULL;
  Gsasl_session *server = NULL;
  g_autoptr(GError) error = NULL;
  KurirSasl *client;
  char *challenge = NULL;
  int server_rc = GSASL_NEEDS_MORE;

  g_assert_cmpint (gsasl_init (&server_ctx), ==, GSASL_OK);
  gsasl_callback_set (server_ctx, server_callback);
  g_assert_cmpint (gsasl_server_start (server_ctx, mechanism, &server), ==, GSASL_OK);

  client = kurir_sasl_new (mechanism, USERNAME, password, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (kurir_sasl_get_mechanism (client), ==, mechanism);

  *out_server_ok = FALSE;
  if (!kurir_sasl_is_client_first (client))
    {
      /* LOGIN: the server speaks first. */
      g_assert_cmpint (gsasl_step64 (server, "", &challenge), ==, GSASL_NEEDS_MORE);
    }

  for (guint round = 0; round < 10; round++)
    {
      char *response;
      char *next = NULL;

      if (challenge != NULL && tamper == TAMPER_SERVER_FINAL && server_rc == GSASL_OK)
        {
          /* Replace the server signature "v=..." with another one. */
          g_autofree guchar *raw = NULL;
          gsize length;
          g_autofree char *decoded = NULL;

          raw = g_base64_decode (challenge, &length);
          decoded = g_strndup ((char *) raw, length);
          g_assert_true (g_str_has_prefix (decoded, "v="));
          gsasl_free (challenge);
          challenge = g_base64_encode ((const guchar *) "v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", 46);
        }

      response = kurir_sasl_step64 (client, challenge, &error);
      if (tamper == TAMPER_NONE)
        g_free (challenge);
      else
        g_free (challenge);
      challenge = NULL;
      if (response == NULL)
        break;

      if (server_rc == GSASL_OK)
        {
          /* The server had finished: the client needed its last word. */
          g_assert_cmpstr (response, ==, "");
          kurir_sasl_free_response (response);
          break;
        }

      server_rc = gsasl_step64 (server, response, &next);
      kurir_sasl_free_response (response);
      if (server_rc != GSASL_OK && server_rc != GSASL_NEEDS_MORE)
        break;
      if (server_rc == GSASL_OK)
        *out_server_ok = TRUE;
      if (server_rc == GSASL_OK && (next == NULL || *next == '\0'))
        {
          gsasl_free (next);
          break;
        }
      challenge = g_strdup (next);
      gsasl_free (next);
    }

  g_free (challenge);
  if (error == NULL && *out_server_ok)
    g_assert_true (kurir_sasl_is_complete (client));
  g_object_unref (client);
  gsasl_finish (server);
  gsasl_done (server_ctx);
  return g_steal_pointer (&error);
}

static void
test_mechanism (gconstpointer data)
{
  const char *mechanism = data;
  g_autoptr(GError) error = NULL;
  gboolean server_ok;

  error = exchange (mechanism, PASSWORD, TAMPER_NONE, &server_ok);
  g_assert_no_error (error);
  g_assert_true (server_ok);

  error = exchange (mechanism, "wrong", TAMPER_NONE, &server_ok);
  g_assert_false (server_ok);
}

static void
test_forged_server_signature (gconstpointer data)
{
  const char *mechanism = data;
  g_autoptr(GError) error = NULL;
  gboolean server_ok;

  error = exchange (mechanism, PASSWORD, TAMPER_SERVER_FINAL, &server_ok);
  g_assert_error (error, KURIR_SASL_ERROR, KURIR_SASL_ERROR_SERVER_PROOF);
  g_assert_nonnull (strstr (error->message, "prove"));
}

static void
test_bad_challenge (void)
{
  g_autoptr(KurirSasl) client = NULL;
  g_autoptr(GError) error = NULL;
  char *response;

  client = kurir_sasl_new ("SCRAM-SHA-256", USERNAME, PASSWORD, &error);
  g_assert_no_error (error);
  g_assert_true (kurir_sasl_needs_server_proof (client));
  response = kurir_sasl_step64 (client, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (response, "biws") || g_str_has_prefix (response, "bi"));
  kurir_sasl_free_response (response);

  /* Not base64, then base64 of something that is not a server-first. */
  response = kurir_sasl_step64 (client, "!!not base64!!", &error);
  g_assert_null (response);
  g_assert_error (error, KURIR_SASL_ERROR, KURIR_SASL_ERROR_BAD_CHALLENGE);
  g_assert_false (kurir_sasl_is_complete (client));
}

static void
test_choose (void)
{
  const char *all[] = { "PLAIN", "LOGIN", "CRAM-MD5", "scram-sha-1", "SCRAM-SHA-256", NULL };
  const char *sha1[] = { "PLAIN", "SCRAM-SHA-1", "DIGEST-MD5", NULL };
  const char *plain[] = { "LOGIN", "PLAIN", NULL };
  const char *md5[] = { "CRAM-MD5", "DIGEST-MD5", "GSSAPI", NULL };
  const char *none[] = { NULL };
  g_autoptr(GError) error = NULL;
  KurirSasl *sasl;

  g_assert_cmpstr (kurir_sasl_choose_mechanism (all), ==, "SCRAM-SHA-256");
  g_assert_cmpstr (kurir_sasl_choose_mechanism (sha1), ==, "SCRAM-SHA-1");
  g_assert_cmpstr (kurir_sasl_choose_mechanism (plain), ==, "PLAIN");
  g_assert_null (kurir_sasl_choose_mechanism (md5));
  g_assert_null (kurir_sasl_choose_mechanism (none));
  g_assert_null (kurir_sasl_choose_mechanism (NULL));
  g_assert_false (kurir_sasl_mechanism_is_supported ("CRAM-MD5"));

  sasl = kurir_sasl_new ("CRAM-MD5", USERNAME, PASSWORD, &error);
  g_assert_null (sasl);
  g_assert_error (error, KURIR_SASL_ERROR, KURIR_SASL_ERROR_NO_MECHANISM);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/sasl/choose", test_choose);
  g_test_add_data_func ("/sasl/mechanism/SCRAM-SHA-256", "SCRAM-SHA-256", test_mechanism);
  g_test_add_data_func ("/sasl/mechanism/SCRAM-SHA-1", "SCRAM-SHA-1", test_mechanism);
  g_test_add_data_func ("/sasl/mechanism/PLAIN", "PLAIN", test_mechanism);
  g_test_add_data_func ("/sasl/mechanism/LOGIN", "LOGIN", test_mechanism);
  g_test_add_data_func ("/sasl/forged-server-signature/SCRAM-SHA-256", "SCRAM-SHA-256",
                        test_forged_server_signature);
  g_test_add_data_func ("/sasl/forged-server-signature/SCRAM-SHA-1", "SCRAM-SHA-1",
                        test_forged_server_signature);
  g_test_add_func ("/sasl/bad-challenge", test_bad_challenge);

  return g_test_run ();
}
