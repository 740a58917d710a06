/* kurir-sasl.h: a protocol-independent SASL client on GNU SASL
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define KURIR_SASL_ERROR (kurir_sasl_error_quark ())

/* The codes say what the caller can do about it. */
typedef enum {
  KURIR_SASL_ERROR_NO_MECHANISM,   /* nothing the server offers is supported here: give up */
  KURIR_SASL_ERROR_BAD_CHALLENGE,  /* the server sent something that is not valid for the
                                    * mechanism: give up (a broken server) */
  KURIR_SASL_ERROR_SERVER_PROOF,   /* the server could not prove that it knows the password
                                    * (SCRAM): it may be an impostor; give up, do not retry */
  KURIR_SASL_ERROR_FAILED,         /* any other failure of the SASL library: give up */
} KurirSaslError;

GQuark kurir_sasl_error_quark (void);

#define KURIR_TYPE_SASL (kurir_sasl_get_type ())
G_DECLARE_FINAL_TYPE (KurirSasl, kurir_sasl, KURIR, SASL, GObject)

gboolean    kurir_sasl_mechanism_is_supported (const char          *mechanism);
const char *kurir_sasl_choose_mechanism       (const char * const  *offered);

KurirSasl  *kurir_sasl_new                    (const char          *mechanism,
                                               const char          *username,
                                               const char          *password,
                                               GError             **error);
const char *kurir_sasl_get_mechanism          (KurirSasl           *self);
gboolean    kurir_sasl_is_client_first        (KurirSasl           *self);
gboolean    kurir_sasl_is_complete            (KurirSasl           *self);
gboolean    kurir_sasl_needs_server_proof     (KurirSasl           *self);
char       *kurir_sasl_step64                 (KurirSasl           *self,
                                               const char          *challenge,
                                               GError             **error);
GBytes     *kurir_sasl_step                   (KurirSasl           *self,
                                               GBytes              *challenge,
                                               GError             **error);
void        kurir_sasl_free_response          (char                *response);

G_END_DECLS
