/* kurir-mime-private.h: what the files of the MIME layer share: the
 * bounded parse, the bounded walk over the parts, and text decoding
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <gmime/gmime.h>

#include "kurir-mime.h"

G_BEGIN_DECLS

/* GMime 3.2 declares no autoptr cleanups of its own. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeParser, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeStream, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeFilter, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeMessage, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (InternetAddressList, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeContentType, g_object_unref)

/* The bounds that keep a hostile message in bounded time and memory. */
#define KURIR_MIME_MAX_PARTS         1000               /* leaves and containers walked */
#define KURIR_MIME_MAX_DEPTH         64                 /* nesting walked */
#define KURIR_MIME_MAX_PARSED_PARTS  (4 * KURIR_MIME_MAX_PARTS)  /* Content-Type fields GMime may parse */
#define KURIR_MIME_MAX_OPEN_MULTIPARTS 32               /* multiparts GMime may have open at once */
#define KURIR_MIME_HEADER_FIELD_MAX  (64 * 1024)        /* one top-level header field given to GMime */
#define KURIR_MIME_HEADER_BLOCK_MAX  (256 * 1024)       /* the top-level header block given to GMime */
#define KURIR_MIME_SUBJECT_MAX       (4 * 1024)         /* a decoded subject kept */
#define KURIR_MIME_ADDRESSES_MAX     (16 * 1024)        /* a decoded address list kept */
#define KURIR_MIME_ID_MAX            (1024)             /* one Message-ID kept */
#define KURIR_MIME_REFERENCES_MAX    (64 * 1024)        /* the References header read */
#define KURIR_MIME_HTML_INPUT_MAX    (4 * 1024 * 1024)  /* HTML decoded for indexing */

typedef struct
{
  GByteArray   *array;    /* over the caller's data (not owned), or a bounded copy */
  gboolean      owned;
  GMimeStream  *stream;
  GMimeMessage *message;  /* never NULL */
  guint         n_content_types;
  GPtrArray    *open_multiparts;  /* the multiparts GMime has open, innermost last */
  gboolean      cut;      /* the parse stopped at a bound */
} KurirMimeParsed;

KurirMimeParsed    *kurir_mime_parse                (const char       *data,
                                                     gsize             length);
void                kurir_mime_parsed_free          (KurirMimeParsed  *parsed);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KurirMimeParsed, kurir_mime_parsed_free)

GMimeParserOptions *kurir_mime_get_parser_options   (void);

typedef enum {
  KURIR_MIME_LEAF_PLAIN,       /* a text/plain body part */
  KURIR_MIME_LEAF_HTML,        /* a text/html body part */
  KURIR_MIME_LEAF_ATTACHMENT,  /* an attachment (also message/rfc822) */
} KurirMimeLeafKind;

typedef struct
{
  GMimeObject       *object;             /* borrowed from the message */
  KurirMimeLeafKind  kind;
  int                alternative_group;  /* -1, or the multipart/alternative it belongs to */
  int                alternative;        /* which child of that multipart/alternative */
} KurirMimeLeaf;

/* The body parts and attachments in display order, within
 * KURIR_MIME_MAX_PARTS and KURIR_MIME_MAX_DEPTH. */
GArray             *kurir_mime_collect_leaves       (GMimeMessage     *message);

typedef gboolean (*KurirMimeChunkFunc) (const char  *chunk,
                                        gsize        length,
                                        gpointer     user_data,
                                        GError     **error);

/* The decoded content of a leaf (transfer encoding undone; for
 * message/rfc822 the embedded message), at most @max_bytes, in chunks. */
gboolean            kurir_mime_leaf_decode          (GMimeObject      *object,
                                                     guint64           max_bytes,
                                                     KurirMimeChunkFunc func,
                                                     gpointer          user_data,
                                                     GCancellable     *cancellable,
                                                     GError          **error);
/* The text of a text part as UTF-8 with LF line ends, at most @max_bytes. */
char               *kurir_mime_part_get_text        (GMimeObject      *object,
                                                     gsize             max_bytes);
char               *kurir_mime_leaf_get_filename    (GMimeObject      *object);
/* The sanitised name to show, also for a nameless message/rfc822. */
char               *kurir_mime_leaf_get_attachment_name (GMimeObject  *object);

/* Valid UTF-8 without control characters (tabs and newlines become
 * spaces), trimmed, cut at a character boundary within @max_bytes. */
char               *kurir_mime_clean_line           (const char       *text,
                                                     gsize             max_bytes);
char               *kurir_mime_utf8_truncate        (char             *text,
                                                     gsize             max_bytes);
/* "Name <addr>, addr" for an address list, groups flattened. */
char               *kurir_mime_format_addresses     (InternetAddressList *list,
                                                     gsize             max_bytes);
char               *kurir_mime_html_to_text_bounded (const char       *html,
                                                     gsize             length,
                                                     gsize             max_bytes);

G_END_DECLS
