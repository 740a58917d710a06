/* kurir-remote-senders.h: the senders whose mail may load remote content
 * without asking ("Always for this sender" in the reader)
 *
 * One address per line in $XDG_CONFIG_HOME/kurir/remote-content-senders,
 * lower case, read once and written atomically (in a worker thread) after
 * each change.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The address of a From header ("Name <a@b>" → "a@b"), lower case, or
 * NULL when there is none. */
char     *kurir_remote_senders_address_of (const char *from);
gboolean  kurir_remote_senders_contains   (const char *address);
/* Adds @address and saves the list in the background. */
void      kurir_remote_senders_add        (const char *address);
/* For tests: forget what was read, so the file is read again. */
void      kurir_remote_senders_reset      (void);

G_END_DECLS
