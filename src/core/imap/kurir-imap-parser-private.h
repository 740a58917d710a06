/* kurir-imap-parser-private.h: the response structure, shared by the
 * parser and the typed decoders
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "kurir-imap-data.h"
#include "kurir-imap-parser.h"

G_BEGIN_DECLS

struct _KurirImapValue
{
  KurirImapValueKind  kind;
  gboolean            binary;     /* literal8 */
  guint64             number;
  char               *str;        /* atom, string; made on demand for numbers and literals */
  gsize               length;     /* of str for atoms and strings */
  GBytes             *bytes;      /* literal: a slice of the response's raw bytes */
  GPtrArray          *children;   /* list */
};

struct _KurirImapResponse
{
  gatomicrefcount        ref_count;
  KurirImapResponseKind  kind;
  KurirImapStatus        status;
  char                  *tag;
  char                  *name;
  gboolean               has_number;
  guint32                number;
  char                  *text;
  char                  *code;
  char                  *code_text;
  KurirImapValue        *code_args;
  KurirImapValue        *data;
  GArray                *fetch_items;   /* KurirImapFetchItem, for FETCH */
  GBytes                *raw;
};

/* Splits a FETCH item name such as "body.peek[header.fields (From)]<0.100>"
 * into its canonical name "BODY[HEADER.FIELDS (FROM)]", the section
 * "HEADER.FIELDS (FROM)" (NULL without brackets) and the origin (-1 when
 * none). FALSE when the brackets do not balance. */
gboolean kurir_imap_fetch_item_name_normalize (const char  *item,
                                               char       **out_name,
                                               char       **out_section,
                                               gint64      *out_origin);

G_END_DECLS
