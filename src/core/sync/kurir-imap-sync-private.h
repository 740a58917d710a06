/* kurir-imap-sync-private.h: what the IMAP sync and the journal share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <string.h>

#include "kurir-sync-private.h"

#include "kurir-message.h"

G_BEGIN_DECLS

static const struct {
  KurirMessageFlags flag;
  const char       *imap;
} kurir_sync_imap_flags[] = {
  { KURIR_MESSAGE_FLAG_SEEN, "\\Seen" },
  { KURIR_MESSAGE_FLAG_FLAGGED, "\\Flagged" },
  { KURIR_MESSAGE_FLAG_ANSWERED, "\\Answered" },
  { KURIR_MESSAGE_FLAG_DRAFT, "\\Draft" },
  { KURIR_MESSAGE_FLAG_DELETED, "\\Deleted" },
};

static inline KurirMessageFlags
kurir_sync_flags_from_imap (const char * const *names)
{
  KurirMessageFlags flags = 0;

  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    for (guint j = 0; j < G_N_ELEMENTS (kurir_sync_imap_flags); j++)
      if (g_ascii_strcasecmp (names[i], kurir_sync_imap_flags[j].imap) == 0)
        flags |= kurir_sync_imap_flags[j].flag;
  return flags;
}

static inline GStrv
kurir_sync_flags_to_imap (KurirMessageFlags flags)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; i < G_N_ELEMENTS (kurir_sync_imap_flags); i++)
    if (flags & kurir_sync_imap_flags[i].flag)
      g_strv_builder_add (builder, kurir_sync_imap_flags[i].imap);
  return g_strv_builder_end (builder);
}

/* A Message-ID without its angle brackets and blanks, or NULL. */
static inline char *
kurir_sync_normalize_message_id (const char *text)
{
  g_autofree char *copy = NULL;
  char *start, *end;

  if (text == NULL)
    return NULL;
  copy = g_strdup (text);
  start = g_strstrip (copy);
  if (*start == '<')
    start++;
  end = strchr (start, '>');
  if (end != NULL)
    *end = '\0';
  return *start ? g_strdup (start) : NULL;
}

G_END_DECLS
