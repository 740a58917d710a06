/* kurir-secret.h: account passwords in libsecret, and nowhere else
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <libsecret/secret.h>

#include "kurir-account.h"

G_BEGIN_DECLS

const SecretSchema *kurir_secret_get_schema       (void) G_GNUC_CONST;

void      kurir_secret_store_async     (const char          *account_name,
                                        KurirProtocol        protocol,
                                        const char          *host,
                                        const char          *user,
                                        const char          *password,
                                        gboolean             remember,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
gboolean  kurir_secret_store_finish    (GAsyncResult        *result,
                                        GError             **error);
void      kurir_secret_lookup_async    (const char          *account_name,
                                        KurirProtocol        protocol,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
char     *kurir_secret_lookup_finish   (GAsyncResult        *result,
                                        GError             **error);
void      kurir_secret_clear_async     (const char          *account_name,
                                        int                  protocol,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
gboolean  kurir_secret_clear_finish    (GAsyncResult        *result,
                                        GError             **error);
void      kurir_secret_free            (char                *password);
void      kurir_secret_set_timeout     (guint                milliseconds);

/* For kurir_secret_clear_async(): every secret of the account */
#define KURIR_SECRET_ALL_PROTOCOLS (-1)

G_END_DECLS
