/* kurir-connection.h: a line-oriented connection to a mail server over GIO,
 * with implicit TLS, STARTTLS and per-account trust anchors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
  KURIR_SECURITY_TLS,       /* implicit TLS from the first byte */
  KURIR_SECURITY_STARTTLS,  /* plaintext greeting, then an upgrade that must succeed */
  KURIR_SECURITY_NONE,      /* no encryption: only when the user allowed it */
} KurirSecurity;

const char *kurir_security_to_string   (KurirSecurity  security);
gboolean    kurir_security_from_string (const char    *str,
                                        KurirSecurity *out_security);

typedef enum {
  KURIR_WRITE_NONE      = 0,
  KURIR_WRITE_SENSITIVE = 1 << 0,  /* credentials: the wire log shows "***" */
} KurirWriteFlags;

#define KURIR_CONNECTION_DEFAULT_TIMEOUT         60
#define KURIR_CONNECTION_DEFAULT_MAX_LINE_LENGTH (1024 * 1024)

#define KURIR_TYPE_CONNECTION (kurir_connection_get_type ())
G_DECLARE_FINAL_TYPE (KurirConnection, kurir_connection, KURIR, CONNECTION, GObject)

KurirConnection     *kurir_connection_new                        (const char           *host,
                                                                  guint16               port,
                                                                  KurirSecurity         security);
gboolean             kurir_connection_set_ca_file                (KurirConnection      *self,
                                                                  const char           *path,
                                                                  GError              **error);
void                 kurir_connection_set_pinned_certificate     (KurirConnection      *self,
                                                                  GTlsCertificate      *certificate);
void                 kurir_connection_set_log_domain             (KurirConnection      *self,
                                                                  const char           *log_domain);
void                 kurir_connection_set_timeout                (KurirConnection      *self,
                                                                  guint                 seconds);
void                 kurir_connection_set_max_line_length        (KurirConnection      *self,
                                                                  gsize                 max_length);
const char          *kurir_connection_get_host                   (KurirConnection      *self);
guint16              kurir_connection_get_port                   (KurirConnection      *self);
KurirSecurity        kurir_connection_get_security               (KurirConnection      *self);
gboolean             kurir_connection_is_encrypted               (KurirConnection      *self);
GTlsCertificate     *kurir_connection_get_peer_certificate       (KurirConnection      *self);
GTlsCertificateFlags kurir_connection_get_peer_certificate_errors (KurirConnection     *self);
char                *kurir_connection_describe_certificate_errors (GTlsCertificateFlags flags);
char                *kurir_connection_dup_certificate_fingerprint (GTlsCertificate     *certificate);

void                 kurir_connection_connect_async              (KurirConnection      *self,
                                                                  GCancellable         *cancellable,
                                                                  GAsyncReadyCallback   callback,
                                                                  gpointer              user_data);
gboolean             kurir_connection_connect_finish             (KurirConnection      *self,
                                                                  GAsyncResult         *result,
                                                                  GError              **error);
void                 kurir_connection_starttls_async             (KurirConnection      *self,
                                                                  GCancellable         *cancellable,
                                                                  GAsyncReadyCallback   callback,
                                                                  gpointer              user_data);
gboolean             kurir_connection_starttls_finish            (KurirConnection      *self,
                                                                  GAsyncResult         *result,
                                                                  GError              **error);
void                 kurir_connection_read_line_async            (KurirConnection      *self,
                                                                  GCancellable         *cancellable,
                                                                  GAsyncReadyCallback   callback,
                                                                  gpointer              user_data);
char                *kurir_connection_read_line_finish           (KurirConnection      *self,
                                                                  GAsyncResult         *result,
                                                                  gsize                *out_length,
                                                                  GError              **error);
const char          *kurir_connection_take_buffered_line         (KurirConnection      *self,
                                                                  gsize                *out_length,
                                                                  GError              **error);
void                 kurir_connection_read_chunk_async           (KurirConnection      *self,
                                                                  gsize                 max_length,
                                                                  GCancellable         *cancellable,
                                                                  GAsyncReadyCallback   callback,
                                                                  gpointer              user_data);
GBytes              *kurir_connection_read_chunk_finish          (KurirConnection      *self,
                                                                  GAsyncResult         *result,
                                                                  GError              **error);
void                 kurir_connection_write_async                (KurirConnection      *self,
                                                                  const void           *data,
                                                                  gsize                 length,
                                                                  KurirWriteFlags       flags,
                                                                  GCancellable         *cancellable,
                                                                  GAsyncReadyCallback   callback,
                                                                  gpointer              user_data);
gboolean             kurir_connection_write_finish               (KurirConnection      *self,
                                                                  GAsyncResult         *result,
                                                                  GError              **error);
void                 kurir_connection_close_async                (KurirConnection      *self,
                                                                  GCancellable         *cancellable,
                                                                  GAsyncReadyCallback   callback,
                                                                  gpointer              user_data);
gboolean             kurir_connection_close_finish               (KurirConnection      *self,
                                                                  GAsyncResult         *result,
                                                                  GError              **error);
/* After the protocol agreed to it (IMAP COMPRESS=DEFLATE, RFC 4978):
 * raw deflate in both directions from the next byte on. */
gboolean             kurir_connection_start_compression          (KurirConnection      *self,
                                                                  GError              **error);
gboolean             kurir_connection_is_compressed              (KurirConnection      *self);

G_END_DECLS
