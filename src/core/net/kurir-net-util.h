/* kurir-net-util.h: small things every protocol client needs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void  kurir_net_wipe_string (char       **str);
char *kurir_net_server_text (const char  *text,
                             gsize        max_length);

G_END_DECLS
