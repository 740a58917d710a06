/* kurir-sync-private.h: what the sync engines (POP3, IMAP, outbox) share
 *
 * Each engine runs on a GMainContext of its own, so that a whole sync can
 * run in a worker thread; these wait for one async step on that context.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A GAsyncReadyCallback that keeps the result in *user_data. */
static inline void
kurir_sync_store_result (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
}

/* Iterates @context until the operation stored its result in *slot. */
static inline GAsyncResult *
kurir_sync_wait (GMainContext  *context,
                 GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (context, TRUE);
  return *slot;
}

G_END_DECLS
