/* kurir-providers.h: the well-known mail providers, shipped with Kurir
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "kurir-autoconfig.h"

G_BEGIN_DECLS

/* The provider's name for @email_or_domain ("Gmail"), or NULL. */
const char *kurir_providers_lookup_name (const char *email_or_domain);
/* Its servers, with user names expanded for @email (may be a bare domain:
 * then the user names are left NULL). NULL when the domain is unknown.
 * Returns: (element-type KurirServerSetting) */
GPtrArray  *kurir_providers_lookup      (const char *email_or_domain);

G_END_DECLS
