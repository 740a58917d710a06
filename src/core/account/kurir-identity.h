/* kurir-identity.h: who a message is sent as (name, address, reply-to,
 * signature). An account has one primary identity, made of its own
 * address and display name, and any number of further ones.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef struct {
  char *name;        /* display name; NULL: none */
  char *address;     /* addr-spec, never NULL */
  char *reply_to;    /* addr-spec; NULL: none */
  char *signature;   /* plain text without the "-- " line; NULL: none */
} KurirIdentity;

#define KURIR_TYPE_IDENTITY (kurir_identity_get_type ())

GType          kurir_identity_get_type    (void) G_GNUC_CONST;
KurirIdentity *kurir_identity_new         (const char          *name,
                                           const char          *address);
KurirIdentity *kurir_identity_copy        (const KurirIdentity *self);
void           kurir_identity_free        (KurirIdentity       *self);
gboolean       kurir_identity_equal       (const KurirIdentity *a,
                                           const KurirIdentity *b);
/* "Name <address>" with the name quoted as RFC 5322 needs (not encoded:
 * the message builder encodes non-ASCII), or the bare address. */
char          *kurir_identity_to_string   (const KurirIdentity *self);
gboolean       kurir_identity_address_is_valid (const char *address);
gboolean       kurir_identity_check       (const KurirIdentity *self,
                                           GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KurirIdentity, kurir_identity_free)

G_END_DECLS
