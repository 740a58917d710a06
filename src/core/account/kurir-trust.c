/* kurir-trust.c: pinned certificates per host, port and protocol
 *
 * One file per pin, $XDG_CONFIG_HOME/kurir/trust/<protocol>_<host>_<port>.pem,
 * holding the exact certificate the user accepted ("Always trust"). A
 * connection given a pin accepts that certificate and no other: a server
 * that later presents a different one is refused and the user asked again.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-account"

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "kurir-trust.h"

#define MAX_PIN_FILE_SIZE (256 * 1024)

/* Helpers */

static gboolean
host_is_valid (const char *host)
{
  gsize len;

  if (host == NULL)
    return FALSE;
  len = strlen (host);
  if (len == 0 || len > 253)
    return FALSE;
  for (const char *p = host; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '-' && *p != ':' && *p != '_')
      return FALSE;
  return host[0] != '.';
}

static char *
pin_path (const char    *host,
          guint16        port,
          KurirProtocol  protocol)
{
  g_autofree char *dir = kurir_trust_get_dir ();
  g_autofree char *lower = g_ascii_strdown (host, -1);
  g_autofree char *name = NULL;

  /* IPv6 literals: ':' is not welcome in every file system. */
  g_strdelimit (lower, ":", '_');
  name = g_strdup_printf ("%s_%s_%u.pem", kurir_protocol_to_string (protocol), lower, port);
  return g_build_filename (dir, name, NULL);
}

static char *
format_date (GDateTime *dt)
{
  if (dt == NULL)
    return g_strdup ("unknown");
  return g_date_time_format (dt, "%Y-%m-%d %H:%M:%S UTC");
}

/* Public API */

char *
kurir_trust_get_dir (void)
{
  return g_build_filename (g_get_user_config_dir (), "kurir", "trust", NULL);
}

gboolean
kurir_trust_pin (const char       *host,
                 guint16           port,
                 KurirProtocol     protocol,
                 GTlsCertificate  *certificate,
                 GError          **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *pem = NULL;

  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), FALSE);
  g_return_val_if_fail (port > 0, FALSE);

  if (!host_is_valid (host))
    {
      g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID,
                   "“%s” is not a valid host name", host ? host : "");
      return FALSE;
    }

  g_object_get (certificate, "certificate-pem", &pem, NULL);
  if (pem == NULL)
    {
      g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID,
                   "The certificate of %s:%u cannot be stored", host, port);
      return FALSE;
    }

  dir = kurir_trust_get_dir ();
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_FAILED,
                   "Cannot create %s: %s", dir, g_strerror (saved));
      return FALSE;
    }

  path = pin_path (host, port, protocol);
  /* g_file_set_contents: write to a temporary file, fsync, rename. */
  if (!g_file_set_contents_full (path, pem, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0600, error))
    {
      g_prefix_error (error, "Cannot remember the certificate of %s:%u: ", host, port);
      return FALSE;
    }

  g_debug ("Pinned the certificate of %s:%u (%s)", host, port,
           kurir_protocol_to_string (protocol));
  return TRUE;
}

gboolean
kurir_trust_unpin (const char     *host,
                   guint16         port,
                   KurirProtocol   protocol,
                   GError        **error)
{
  g_autofree char *path = NULL;

  if (!host_is_valid (host))
    return TRUE;

  path = pin_path (host, port, protocol);
  if (g_unlink (path) != 0 && errno != ENOENT)
    {
      int saved = errno;
      g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_FAILED,
                   "Cannot remove %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

GTlsCertificate *
kurir_trust_lookup (const char    *host,
                    guint16        port,
                    KurirProtocol  protocol)
{
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  GTlsCertificate *certificate;
  gsize length = 0;
  GStatBuf st;

  if (!host_is_valid (host) || port == 0)
    return NULL;

  path = pin_path (host, port, protocol);
  if (g_stat (path, &st) != 0)
    return NULL;
  if (st.st_size > MAX_PIN_FILE_SIZE)
    {
      g_warning ("Ignoring %s: too large for a certificate", path);
      return NULL;
    }
  if (!g_file_get_contents (path, &contents, &length, &error))
    {
      g_warning ("Cannot read %s: %s", path, error->message);
      return NULL;
    }

  certificate = g_tls_certificate_new_from_pem (contents, length, &error);
  if (certificate == NULL)
    g_warning ("Ignoring %s: %s", path, error->message);
  return certificate;
}

gboolean
kurir_trust_apply (KurirConnection *connection,
                   KurirProtocol    protocol)
{
  g_autoptr(GTlsCertificate) pinned = NULL;

  g_return_val_if_fail (KURIR_IS_CONNECTION (connection), FALSE);

  pinned = kurir_trust_lookup (kurir_connection_get_host (connection),
                               kurir_connection_get_port (connection),
                               protocol);
  kurir_connection_set_pinned_certificate (connection, pinned);
  return pinned != NULL;
}

char *
kurir_trust_dup_fingerprint (GTlsCertificate *certificate)
{
  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), NULL);

  return kurir_connection_dup_certificate_fingerprint (certificate);
}

char *
kurir_trust_describe_certificate (const char           *host,
                                  guint16               port,
                                  GTlsCertificate      *certificate,
                                  GTlsCertificateFlags  errors)
{
  g_autofree char *why = kurir_connection_describe_certificate_errors (errors);
  GString *str = g_string_new (NULL);

  g_string_append_printf (str, "Server: %s:%u\n", host, port);
  g_string_append_printf (str, "Reason: %s\n", why);
  if (certificate != NULL)
    {
      g_autofree char *issuer = g_tls_certificate_get_issuer_name (certificate);
      g_autofree char *subject = g_tls_certificate_get_subject_name (certificate);
      g_autoptr(GDateTime) before = g_tls_certificate_get_not_valid_before (certificate);
      g_autoptr(GDateTime) after = g_tls_certificate_get_not_valid_after (certificate);
      g_autofree char *from = format_date (before);
      g_autofree char *until = format_date (after);
      g_autofree char *fingerprint = kurir_trust_dup_fingerprint (certificate);

      g_string_append_printf (str, "Issued to: %s\n", subject ? subject : "unknown");
      g_string_append_printf (str, "Issued by: %s\n", issuer ? issuer : "unknown");
      g_string_append_printf (str, "Valid from %s until %s\n", from, until);
      g_string_append_printf (str, "SHA-256 fingerprint: %s\n", fingerprint ? fingerprint : "unknown");
    }

  return g_string_free (str, FALSE);
}

char *
kurir_trust_format_cli_refusal (KurirConnection *connection)
{
  g_autofree char *details = NULL;

  g_return_val_if_fail (KURIR_IS_CONNECTION (connection), NULL);

  details = kurir_trust_describe_certificate (kurir_connection_get_host (connection),
                                              kurir_connection_get_port (connection),
                                              kurir_connection_get_peer_certificate (connection),
                                              kurir_connection_get_peer_certificate_errors (connection));
  return g_strdup_printf ("The server's certificate is not trusted; nothing was sent.\n"
                          "%s"
                          "If you know this certificate is right, save its authority's (or its own) "
                          "certificate as a PEM file and pass it with --ca-file, "
                          "or trust it in the Kurir app.\n",
                          details);
}
