/* kurir-sasl.c: a protocol-independent SASL client on GNU SASL
 *
 * A KurirSasl is one authentication exchange. The protocol (POP3, IMAP,
 * SMTP) frames the exchange; this only turns each server challenge into
 * the client's response, base64 or raw, whichever the protocol needs.
 *
 * Mechanisms, strongest first: SCRAM-SHA-256, SCRAM-SHA-1, PLAIN, LOGIN.
 * SCRAM proves the password without sending it and makes the server prove
 * that it knows it too; PLAIN and LOGIN send the password (always inside
 * TLS, which the connection layer guarantees unless the user allowed
 * plaintext). CRAM-MD5 and DIGEST-MD5 are not offered: both need the server
 * to store the password in a reusable form, both rest on MD5, and with TLS
 * underneath they protect nothing that PLAIN does not, while SCRAM is what
 * servers that care offer. The -PLUS variants need channel binding data
 * that GIO does not give us for every TLS backend, so they are not offered
 * either.
 *
 * Responses carry credentials: callers must write them with
 * KURIR_WRITE_SENSITIVE and free them with kurir_sasl_free_response(),
 * which wipes them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-net"

#include "config.h"

#include <string.h>
#include <gsasl.h>

#include "kurir-sasl.h"

struct _KurirSasl
{
  GObject        parent_instance;

  char          *mechanism;
  Gsasl_session *session;
  gboolean       complete;   /* the library said GSASL_OK */
  gboolean       failed;
};

G_DEFINE_TYPE (KurirSasl, kurir_sasl, G_TYPE_OBJECT)

G_DEFINE_QUARK (kurir-sasl-error-quark, kurir_sasl_error)

/* Strongest first. */
static const char * const mechanisms[] = {
  "SCRAM-SHA-256",
  "SCRAM-SHA-1",
  "PLAIN",
  "LOGIN",
};

/* Helpers */

static Gsasl *
get_context (void)
{
  static gsize initialised = 0;
  static Gsasl *context = NULL;

  if (g_once_init_enter (&initialised))
    {
      int rc = gsasl_init (&context);

      if (rc != GSASL_OK)
        {
          g_warning ("GNU SASL could not start: %s", gsasl_strerror (rc));
          context = NULL;
        }
      g_once_init_leave (&initialised, 1);
    }
  return context;
}

static void
wipe_and_free (char  *data,
               gsize  length)
{
  if (data == NULL)
    return;
  explicit_bzero (data, length);
  g_free (data);
}

static GError *
step_error (KurirSasl *self,
            int        rc)
{
  switch (rc)
    {
    case GSASL_AUTHENTICATION_ERROR:
      /* On the client side this means the server's proof did not check. */
      return g_error_new (KURIR_SASL_ERROR, KURIR_SASL_ERROR_SERVER_PROOF,
                          "The server could not prove that it knows the password (%s); "
                          "it may not be the server it claims to be",
                          self->mechanism);
    case GSASL_MECHANISM_PARSE_ERROR:
    case GSASL_BASE64_ERROR:
    case GSASL_MECHANISM_CALLED_TOO_MANY_TIMES:
      return g_error_new (KURIR_SASL_ERROR, KURIR_SASL_ERROR_BAD_CHALLENGE,
                          "The server sent an invalid %s challenge (%s)",
                          self->mechanism, gsasl_strerror (rc));
    default:
      return g_error_new (KURIR_SASL_ERROR, KURIR_SASL_ERROR_FAILED,
                          "%s authentication failed: %s",
                          self->mechanism, gsasl_strerror (rc));
    }
}

static gboolean
check_step (KurirSasl  *self,
            int         rc,
            GError    **error)
{
  if (rc == GSASL_OK)
    {
      self->complete = TRUE;
      return TRUE;
    }
  if (rc == GSASL_NEEDS_MORE)
    {
      if (self->complete)
        {
          /* Called again after success: the server wants more than the
           * mechanism has. */
          self->failed = TRUE;
          g_propagate_error (error, step_error (self, GSASL_MECHANISM_CALLED_TOO_MANY_TIMES));
          return FALSE;
        }
      return TRUE;
    }

  self->failed = TRUE;
  g_propagate_error (error, step_error (self, rc));
  return FALSE;
}

static gboolean
check_usable (KurirSasl  *self,
              GError    **error)
{
  if (self->failed)
    {
      g_set_error (error, KURIR_SASL_ERROR, KURIR_SASL_ERROR_FAILED,
                   "The %s exchange already failed", self->mechanism);
      return FALSE;
    }
  if (self->complete)
    {
      /* A mechanism called after it finished. */
      self->failed = TRUE;
      g_propagate_error (error, step_error (self, GSASL_MECHANISM_CALLED_TOO_MANY_TIMES));
      return FALSE;
    }
  return TRUE;
}

/* Overrides */

static void
kurir_sasl_finalize (GObject *object)
{
  KurirSasl *self = KURIR_SASL (object);

  if (self->session != NULL)
    gsasl_finish (self->session);
  g_free (self->mechanism);

  G_OBJECT_CLASS (kurir_sasl_parent_class)->finalize (object);
}

static void
kurir_sasl_class_init (KurirSaslClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = kurir_sasl_finalize;
}

static void
kurir_sasl_init (KurirSasl *self)
{
}

/* Public API */

/**
 * kurir_sasl_mechanism_is_supported:
 *
 * Returns: whether @mechanism (case-insensitive) is one Kurir uses
 */
gboolean
kurir_sasl_mechanism_is_supported (const char *mechanism)
{
  Gsasl *context;

  g_return_val_if_fail (mechanism != NULL, FALSE);

  context = get_context ();
  if (context == NULL)
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (mechanisms); i++)
    if (g_ascii_strcasecmp (mechanism, mechanisms[i]) == 0)
      return gsasl_client_support_p (context, mechanisms[i]) != 0;
  return FALSE;
}

/**
 * kurir_sasl_choose_mechanism:
 * @offered: the mechanism names the server offers, %NULL-terminated
 *
 * Returns: (nullable): the strongest of @offered that Kurir supports, in
 *   its canonical (upper case) spelling; %NULL when there is none
 */
const char *
kurir_sasl_choose_mechanism (const char * const *offered)
{
  if (offered == NULL)
    return NULL;

  for (guint i = 0; i < G_N_ELEMENTS (mechanisms); i++)
    {
      if (!kurir_sasl_mechanism_is_supported (mechanisms[i]))
        continue;
      for (guint j = 0; offered[j] != NULL; j++)
        if (g_ascii_strcasecmp (offered[j], mechanisms[i]) == 0)
          return mechanisms[i];
    }
  return NULL;
}

/**
 * kurir_sasl_new:
 *
 * Starts a client exchange with @mechanism for @username. The password is
 * copied into the SASL session only, never logged; drop the KurirSasl as
 * soon as the exchange is over.
 *
 * Returns: (transfer full): the exchange, or %NULL with
 *   KURIR_SASL_ERROR_NO_MECHANISM
 */
KurirSasl *
kurir_sasl_new (const char  *mechanism,
                const char  *username,
                const char  *password,
                GError     **error)
{
  g_autoptr(KurirSasl) self = NULL;
  Gsasl *context;
  int rc;

  g_return_val_if_fail (mechanism != NULL, NULL);
  g_return_val_if_fail (username != NULL, NULL);
  g_return_val_if_fail (password != NULL, NULL);

  if (!kurir_sasl_mechanism_is_supported (mechanism))
    {
      g_set_error (error, KURIR_SASL_ERROR, KURIR_SASL_ERROR_NO_MECHANISM,
                   "The authentication mechanism %s is not supported", mechanism);
      return NULL;
    }

  context = get_context ();
  self = g_object_new (KURIR_TYPE_SASL, NULL);
  self->mechanism = g_ascii_strup (mechanism, -1);

  rc = gsasl_client_start (context, self->mechanism, &self->session);
  if (rc != GSASL_OK)
    {
      self->session = NULL;
      g_set_error (error, KURIR_SASL_ERROR, KURIR_SASL_ERROR_FAILED,
                   "%s authentication could not start: %s",
                   self->mechanism, gsasl_strerror (rc));
      return NULL;
    }

  if (gsasl_property_set (self->session, GSASL_AUTHID, username) != GSASL_OK ||
      gsasl_property_set (self->session, GSASL_PASSWORD, password) != GSASL_OK)
    {
      g_set_error (error, KURIR_SASL_ERROR, KURIR_SASL_ERROR_FAILED,
                   "%s authentication could not start", self->mechanism);
      return NULL;
    }

  return g_steal_pointer (&self);
}

const char *
kurir_sasl_get_mechanism (KurirSasl *self)
{
  g_return_val_if_fail (KURIR_IS_SASL (self), NULL);
  return self->mechanism;
}

/**
 * kurir_sasl_is_client_first:
 *
 * Returns: whether the mechanism has an initial response, which protocols
 *   that allow it (SASL-IR, RFC 5034's AUTH argument) send with the command
 */
gboolean
kurir_sasl_is_client_first (KurirSasl *self)
{
  g_return_val_if_fail (KURIR_IS_SASL (self), FALSE);
  /* LOGIN waits for the server's "Username:" challenge. */
  return g_strcmp0 (self->mechanism, "LOGIN") != 0;
}

/**
 * kurir_sasl_needs_server_proof:
 *
 * Returns: whether the mechanism authenticates the server too (SCRAM):
 *   then the protocol must not accept the server's success reply before
 *   kurir_sasl_is_complete() says the proof was checked
 */
gboolean
kurir_sasl_needs_server_proof (KurirSasl *self)
{
  g_return_val_if_fail (KURIR_IS_SASL (self), FALSE);
  return g_str_has_prefix (self->mechanism, "SCRAM-");
}

/**
 * kurir_sasl_is_complete:
 *
 * Returns: whether the mechanism finished on the client side (for SCRAM:
 *   the server's signature was verified)
 */
gboolean
kurir_sasl_is_complete (KurirSasl *self)
{
  g_return_val_if_fail (KURIR_IS_SASL (self), FALSE);
  return self->complete && !self->failed;
}

/**
 * kurir_sasl_step64:
 * @challenge: (nullable): the server's challenge in base64; %NULL or ""
 *   for the initial response
 *
 * Returns: (transfer full): the response in base64 ("" for an empty one);
 *   free it with kurir_sasl_free_response(). %NULL with an error.
 */
char *
kurir_sasl_step64 (KurirSasl   *self,
                   const char  *challenge,
                   GError     **error)
{
  char *output = NULL;
  char *response;
  int rc;

  g_return_val_if_fail (KURIR_IS_SASL (self), NULL);

  if (!check_usable (self, error))
    return NULL;

  rc = gsasl_step64 (self->session, challenge != NULL ? challenge : "", &output);
  if (!check_step (self, rc, error))
    {
      if (output != NULL)
        {
          explicit_bzero (output, strlen (output));
          gsasl_free (output);
        }
      return NULL;
    }

  response = g_strdup (output != NULL ? output : "");
  if (output != NULL)
    {
      explicit_bzero (output, strlen (output));
      gsasl_free (output);
    }
  return response;
}

/**
 * kurir_sasl_step:
 * @challenge: (nullable): the server's challenge, decoded; %NULL for the
 *   initial response
 *
 * The raw variant of kurir_sasl_step64(), for protocols that frame SASL
 * data themselves. The returned bytes are not wiped when freed.
 *
 * Returns: (transfer full): the response, or %NULL with an error
 */
GBytes *
kurir_sasl_step (KurirSasl  *self,
                 GBytes     *challenge,
                 GError    **error)
{
  char *output = NULL;
  size_t output_length = 0;
  const char *input = NULL;
  gsize input_length = 0;
  GBytes *response;
  int rc;

  g_return_val_if_fail (KURIR_IS_SASL (self), NULL);

  if (!check_usable (self, error))
    return NULL;

  if (challenge != NULL)
    input = g_bytes_get_data (challenge, &input_length);

  rc = gsasl_step (self->session, input, input_length, &output, &output_length);
  if (!check_step (self, rc, error))
    {
      if (output != NULL)
        {
          explicit_bzero (output, output_length);
          gsasl_free (output);
        }
      return NULL;
    }

  response = g_bytes_new (output, output_length);
  if (output != NULL)
    {
      explicit_bzero (output, output_length);
      gsasl_free (output);
    }
  return response;
}

/**
 * kurir_sasl_free_response:
 *
 * Wipes and frees a response of kurir_sasl_step64().
 */
void
kurir_sasl_free_response (char *response)
{
  if (response != NULL)
    wipe_and_free (response, strlen (response));
}
