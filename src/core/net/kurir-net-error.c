/* kurir-net-error.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "kurir-net-error.h"

G_DEFINE_QUARK (kurir-net-error-quark, kurir_net_error)
