/* kurir-smtp-client.h: an SMTP submission client (RFC 5321, 6409, 3207,
 * 4954, 8314, 1870, 6152, 6531, 2920) over a KurirConnection
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "kurir-connection.h"

G_BEGIN_DECLS

#define KURIR_SMTP_ERROR (kurir_smtp_error_quark ())

/* The codes say what the caller can do about it. Errors of the connection
 * (KURIR_NET_ERROR: unreachable, timeout, lost, certificate, STARTTLS
 * refused or injected, plaintext refused) and of SASL (KURIR_SASL_ERROR)
 * come through unchanged. A KURIR_NET_ERROR from send means the final "."
 * was never sent: the message was not delivered and may be sent again. */
typedef enum {
  KURIR_SMTP_ERROR_AUTH_FAILED,    /* 535: wrong user name or password: ask for a new password */
  KURIR_SMTP_ERROR_AUTH_REQUIRED,  /* 530: the server wants a login: set up the account's login */
  KURIR_SMTP_ERROR_TEMPORARY,      /* 4xx: nothing was delivered; try again later as it is */
  KURIR_SMTP_ERROR_PERMANENT,      /* 5xx: the server will not take the message as it is:
                                    * change it or its recipients (the message names them) */
  KURIR_SMTP_ERROR_TOO_LARGE,      /* larger than the server's SIZE limit; refused before
                                    * upload: make it smaller */
  KURIR_SMTP_ERROR_NOT_SUPPORTED,  /* the server lacks what this needs (a login mechanism,
                                    * 8BITMIME for 8-bit data, SMTPUTF8 for a non-ASCII
                                    * address): re-encode, or give up */
  KURIR_SMTP_ERROR_INVALID,        /* an address or the message cannot be sent as given (CR or
                                    * LF in an address, NUL bytes, no recipient): fix the input */
  KURIR_SMTP_ERROR_PROTOCOL,       /* the server broke the protocol: give up (connection closed) */
  KURIR_SMTP_ERROR_UNCERTAIN,      /* the connection broke after the final "." was sent and
                                    * before the server's reply: the message may or may not
                                    * have been delivered; ask the user, never resend silently */
} KurirSmtpError;

GQuark kurir_smtp_error_quark (void);

typedef enum {
  KURIR_SMTP_SEND_NONE          = 0,
  KURIR_SMTP_SEND_NO_PIPELINING = 1 << 0,  /* one command at a time even when the server
                                            * offers PIPELINING */
} KurirSmtpSendFlags;

typedef enum {
  KURIR_SMTP_RECIPIENT_ACCEPTED,   /* 2xx to RCPT */
  KURIR_SMTP_RECIPIENT_TEMPORARY,  /* 4xx: may be sent to this recipient later */
  KURIR_SMTP_RECIPIENT_PERMANENT,  /* 5xx: the address is refused (unknown user, ...) */
} KurirSmtpRecipientStatus;

/* One envelope recipient of kurir_smtp_client_send_finish()'s result. */
typedef struct {
  char                     *address;  /* as the caller gave it */
  KurirSmtpRecipientStatus  status;
  guint                     code;     /* the server's reply code to RCPT */
  char                     *reply;    /* the server's words, bounded, safe to show */
} KurirSmtpRecipient;

/* The outcome of a send that the server accepted, for at least one
 * recipient. Recipients it refused are listed with its reasons: the
 * message went to the others. */
typedef struct {
  GPtrArray *recipients;    /* KurirSmtpRecipient, each distinct address once, in order */
  guint      n_accepted;
  guint      n_temporary;   /* refused for now: send to these again later */
  guint      n_permanent;   /* refused for good */
  guint64    size;          /* the octets sent (CRLF line ends, before dot-stuffing) */
  char      *reply;         /* the server's reply to the message (often a queue id) */
} KurirSmtpSendResult;

void                 kurir_smtp_send_result_free          (KurirSmtpSendResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KurirSmtpSendResult, kurir_smtp_send_result_free)

#define KURIR_SMTP_MAX_REPLY_LINE  4096    /* RFC 5321 says 512; be lenient, but bounded */
#define KURIR_SMTP_MAX_REPLY_LINES 256
#define KURIR_SMTP_PIPELINE_WINDOW 100     /* commands written before their replies are read */

#define KURIR_TYPE_SMTP_CLIENT (kurir_smtp_client_get_type ())
G_DECLARE_FINAL_TYPE (KurirSmtpClient, kurir_smtp_client, KURIR, SMTP_CLIENT, GObject)

/* kurir_smtp_client_set_before_dot_func(): TRUE to send the final ".";
 * FALSE with @error set to abandon the message undelivered. */
typedef gboolean (*KurirSmtpBeforeDotFunc) (KurirSmtpClient  *client,
                                            gpointer          user_data,
                                            GError          **error);

KurirSmtpClient    *kurir_smtp_client_new                  (KurirConnection      *connection);
KurirConnection    *kurir_smtp_client_get_connection       (KurirSmtpClient      *self);
void                kurir_smtp_client_set_allow_plaintext  (KurirSmtpClient      *self,
                                                            gboolean              allow);
void                kurir_smtp_client_set_client_name      (KurirSmtpClient      *self,
                                                            const char           *name);
const char         *kurir_smtp_client_get_client_name      (KurirSmtpClient      *self);
void                kurir_smtp_client_set_mechanism        (KurirSmtpClient      *self,
                                                            const char           *mechanism);

const char         *kurir_smtp_client_get_greeting         (KurirSmtpClient      *self);
gboolean            kurir_smtp_client_has_extension        (KurirSmtpClient      *self,
                                                            const char           *name);
const char         *kurir_smtp_client_get_extension        (KurirSmtpClient      *self,
                                                            const char           *name);
guint64             kurir_smtp_client_get_max_size         (KurirSmtpClient      *self);
const char * const *kurir_smtp_client_get_auth_mechanisms  (KurirSmtpClient      *self);
const char         *kurir_smtp_client_get_auth_mechanism   (KurirSmtpClient      *self);
gboolean            kurir_smtp_client_is_connected         (KurirSmtpClient      *self);
gboolean            kurir_smtp_client_is_authenticated     (KurirSmtpClient      *self);

void                kurir_smtp_client_connect_async        (KurirSmtpClient      *self,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
gboolean            kurir_smtp_client_connect_finish       (KurirSmtpClient      *self,
                                                            GAsyncResult         *result,
                                                            GError              **error);
void                kurir_smtp_client_authenticate_async   (KurirSmtpClient      *self,
                                                            const char           *username,
                                                            const char           *password,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
gboolean            kurir_smtp_client_authenticate_finish  (KurirSmtpClient      *self,
                                                            GAsyncResult         *result,
                                                            GError              **error);
void                kurir_smtp_client_set_before_dot_func  (KurirSmtpClient      *self,
                                                            KurirSmtpBeforeDotFunc func,
                                                            gpointer              user_data,
                                                            GDestroyNotify        notify);
void                kurir_smtp_client_send_async           (KurirSmtpClient      *self,
                                                            const char           *from,
                                                            const char * const   *recipients,
                                                            GBytes               *message,
                                                            KurirSmtpSendFlags    flags,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
KurirSmtpSendResult *kurir_smtp_client_send_finish         (KurirSmtpClient      *self,
                                                            GAsyncResult         *result,
                                                            GError              **error);
void                kurir_smtp_client_reset_async          (KurirSmtpClient      *self,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
gboolean            kurir_smtp_client_reset_finish         (KurirSmtpClient      *self,
                                                            GAsyncResult         *result,
                                                            GError              **error);
void                kurir_smtp_client_noop_async           (KurirSmtpClient      *self,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
gboolean            kurir_smtp_client_noop_finish          (KurirSmtpClient      *self,
                                                            GAsyncResult         *result,
                                                            GError              **error);
void                kurir_smtp_client_quit_async           (KurirSmtpClient      *self,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
gboolean            kurir_smtp_client_quit_finish          (KurirSmtpClient      *self,
                                                            GAsyncResult         *result,
                                                            GError              **error);
void                kurir_smtp_client_disconnect           (KurirSmtpClient      *self);

G_END_DECLS
