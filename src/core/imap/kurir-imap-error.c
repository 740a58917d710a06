/* kurir-imap-error.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "kurir-imap-error.h"

G_DEFINE_QUARK (kurir-imap-error-quark, kurir_imap_error)
