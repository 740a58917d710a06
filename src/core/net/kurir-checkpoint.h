/* kurir-checkpoint.h: named points where a test may kill the process
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void kurir_checkpoint      (const char *name);
void kurir_checkpoint_with (const char *prefix,
                            const char *detail);

G_END_DECLS
