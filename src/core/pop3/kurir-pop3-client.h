/* kurir-pop3-client.h: a POP3 client (RFC 1939, 2449, 2595, 5034) over a
 * KurirConnection
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "kurir-connection.h"

G_BEGIN_DECLS

#define KURIR_POP3_ERROR (kurir_pop3_error_quark ())

/* The codes say what the caller can do about it. Errors of the connection
 * (KURIR_NET_ERROR: unreachable, timeout, lost, certificate, STARTTLS
 * refused, plaintext refused) and of SASL (KURIR_SASL_ERROR, e.g. a server
 * that fails the SCRAM proof) come through unchanged. */
typedef enum {
  KURIR_POP3_ERROR_AUTH_FAILED,     /* wrong user name or password ([AUTH] or a plain -ERR):
                                     * ask for a new password */
  KURIR_POP3_ERROR_IN_USE,          /* [IN-USE]: another client has the mailbox: try later */
  KURIR_POP3_ERROR_LOGIN_DELAY,     /* [LOGIN-DELAY]: logged in too recently: try later */
  KURIR_POP3_ERROR_TEMPORARY,       /* [SYS/TEMP]: a problem on the server: try later */
  KURIR_POP3_ERROR_PERMANENT,       /* [SYS/PERM]: trying later will not help: tell the user */
  KURIR_POP3_ERROR_PROTOCOL,        /* the server broke the protocol: give up (connection closed) */
  KURIR_POP3_ERROR_NOT_SUPPORTED,   /* the server lacks what was asked (a mechanism, TOP): give up */
  KURIR_POP3_ERROR_NO_SUCH_MESSAGE, /* -ERR to a command on one message: the message is gone */
  KURIR_POP3_ERROR_TOO_LARGE,       /* a reply exceeded the size limit: give up on it
                                     * (connection closed) */
  KURIR_POP3_ERROR_FAILED,          /* another -ERR; the message says the server's words */
} KurirPop3Error;

GQuark kurir_pop3_error_quark (void);

/* Element of kurir_pop3_client_list_finish()'s array */
typedef struct {
  guint   number;
  guint64 size;     /* octets as the server counts them (CRLF line ends) */
} KurirPop3ListEntry;

/* Element of kurir_pop3_client_uidl_finish()'s array */
typedef struct {
  guint  number;
  char  *uid;
} KurirPop3UidEntry;

/**
 * KurirPop3MessageFunc:
 * @number: the message number
 * @message: the message as the server sent it: dot-unstuffed, CRLF line
 *   ends, without the terminating "."
 *
 * Receives each message of kurir_pop3_client_retrieve_many_async() as it
 * arrives, in the order asked. Return %FALSE with @error set to stop: the
 * retrieval sends no further RETR, reads and drops the replies already in
 * flight, and finishes with that error; the session stays usable.
 */
typedef gboolean (*KurirPop3MessageFunc) (guint     number,
                                          GBytes   *message,
                                          gpointer  user_data,
                                          GError  **error);

#define KURIR_POP3_DEFAULT_MAX_MESSAGE_SIZE (256 * 1024 * 1024)
#define KURIR_POP3_DEFAULT_PIPELINE_WINDOW  64
#define KURIR_POP3_MAX_STATUS_LINE          (64 * 1024)

#define KURIR_TYPE_POP3_CLIENT (kurir_pop3_client_get_type ())
G_DECLARE_FINAL_TYPE (KurirPop3Client, kurir_pop3_client, KURIR, POP3_CLIENT, GObject)

KurirPop3Client    *kurir_pop3_client_new                  (KurirConnection      *connection);
KurirConnection    *kurir_pop3_client_get_connection       (KurirPop3Client      *self);
void                kurir_pop3_client_set_allow_plaintext  (KurirPop3Client      *self,
                                                            gboolean              allow);
void                kurir_pop3_client_set_mechanism        (KurirPop3Client      *self,
                                                            const char           *mechanism);
void                kurir_pop3_client_set_max_message_size (KurirPop3Client      *self,
                                                            gsize                 max_size);
void                kurir_pop3_client_set_pipeline_window  (KurirPop3Client      *self,
                                                            guint                 window);

const char         *kurir_pop3_client_get_greeting         (KurirPop3Client      *self);
gboolean            kurir_pop3_client_has_capability       (KurirPop3Client      *self,
                                                            const char           *name);
gboolean            kurir_pop3_client_get_capa_supported   (KurirPop3Client      *self);
const char * const *kurir_pop3_client_get_sasl_mechanisms  (KurirPop3Client      *self);
const char         *kurir_pop3_client_get_auth_mechanism   (KurirPop3Client      *self);
gboolean            kurir_pop3_client_get_pipelining       (KurirPop3Client      *self);
gboolean            kurir_pop3_client_is_connected         (KurirPop3Client      *self);

void                kurir_pop3_client_connect_async        (KurirPop3Client      *self,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
gboolean            kurir_pop3_client_connect_finish       (KurirPop3Client      *self,
                                                            GAsyncResult         *result,
                                                            GError              **error);
void                kurir_pop3_client_authenticate_async   (KurirPop3Client      *self,
                                                            const char           *username,
                                                            const char           *password,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
gboolean            kurir_pop3_client_authenticate_finish  (KurirPop3Client      *self,
                                                            GAsyncResult         *result,
                                                            GError              **error);
void                kurir_pop3_client_stat_async           (KurirPop3Client      *self,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
gboolean            kurir_pop3_client_stat_finish          (KurirPop3Client      *self,
                                                            GAsyncResult         *result,
                                                            guint                *out_count,
                                                            guint64              *out_size,
                                                            GError              **error);
void                kurir_pop3_client_list_async           (KurirPop3Client      *self,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
GArray             *kurir_pop3_client_list_finish          (KurirPop3Client      *self,
                                                            GAsyncResult         *result,
                                                            GError              **error);
void                kurir_pop3_client_uidl_async           (KurirPop3Client      *self,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
GArray             *kurir_pop3_client_uidl_finish          (KurirPop3Client      *self,
                                                            GAsyncResult         *result,
                                                            gboolean             *out_from_headers,
                                                            GError              **error);
void                kurir_pop3_client_top_async            (KurirPop3Client      *self,
                                                            guint                 number,
                                                            guint                 lines,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
GBytes             *kurir_pop3_client_top_finish           (KurirPop3Client      *self,
                                                            GAsyncResult         *result,
                                                            GError              **error);
void                kurir_pop3_client_retrieve_async       (KurirPop3Client      *self,
                                                            guint                 number,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
GBytes             *kurir_pop3_client_retrieve_finish      (KurirPop3Client      *self,
                                                            GAsyncResult         *result,
                                                            GError              **error);
void                kurir_pop3_client_retrieve_many_async  (KurirPop3Client      *self,
                                                            const guint          *numbers,
                                                            guint                 n_numbers,
                                                            KurirPop3MessageFunc  func,
                                                            gpointer              func_data,
                                                            GDestroyNotify        func_data_destroy,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
gboolean            kurir_pop3_client_retrieve_many_finish (KurirPop3Client      *self,
                                                            GAsyncResult         *result,
                                                            GError              **error);
void                kurir_pop3_client_top_many_async       (KurirPop3Client      *self,
                                                            const guint          *numbers,
                                                            guint                 n_numbers,
                                                            KurirPop3MessageFunc  func,
                                                            gpointer              func_data,
                                                            GDestroyNotify        func_data_destroy,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
gboolean            kurir_pop3_client_top_many_finish      (KurirPop3Client      *self,
                                                            GAsyncResult         *result,
                                                            GError              **error);
void                kurir_pop3_client_delete_async         (KurirPop3Client      *self,
                                                            guint                 number,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
gboolean            kurir_pop3_client_delete_finish        (KurirPop3Client      *self,
                                                            GAsyncResult         *result,
                                                            GError              **error);
void                kurir_pop3_client_reset_async          (KurirPop3Client      *self,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
gboolean            kurir_pop3_client_reset_finish         (KurirPop3Client      *self,
                                                            GAsyncResult         *result,
                                                            GError              **error);
void                kurir_pop3_client_noop_async           (KurirPop3Client      *self,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
gboolean            kurir_pop3_client_noop_finish          (KurirPop3Client      *self,
                                                            GAsyncResult         *result,
                                                            GError              **error);
void                kurir_pop3_client_quit_async           (KurirPop3Client      *self,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
gboolean            kurir_pop3_client_quit_finish          (KurirPop3Client      *self,
                                                            GAsyncResult         *result,
                                                            GError              **error);
void                kurir_pop3_client_disconnect           (KurirPop3Client      *self);

char               *kurir_pop3_header_uid                  (GBytes               *headers);

G_END_DECLS
