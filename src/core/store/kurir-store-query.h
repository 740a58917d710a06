/* kurir-store-query.h: the search language, parsed into SQL and an FTS5
 * expression in which every word the user typed is quoted
 *
 *   word  "a phrase"  from:X  to:X  subject:X  attachment:X
 *   has:attachment  is:unread|read|flagged|answered|draft
 *   before:YYYY-MM-DD (earlier days)  after:YYYY-MM-DD (that day and later)
 *   folder:NAME  account:NAME
 * Everything is combined with AND; a bare "AND" is ignored.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  char      *match;    /* FTS5 expression for messages_fts, or NULL */
  char      *where;    /* SQL over messages m and folders f, with ? placeholders */
  GPtrArray *params;   /* (element-type GVariant): int64 or string, one per ? */
} KurirStoreQuery;

KurirStoreQuery *kurir_store_query_parse (const char       *text,
                                          GError          **error);
void             kurir_store_query_free  (KurirStoreQuery  *query);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KurirStoreQuery, kurir_store_query_free)

G_END_DECLS
