/* kurir-mime.c: GMime set-up for hostile mail, the bounded parse and walk
 * the rest of the layer builds on, charset conversion and HTML to text
 *
 * Bounds: GMime keeps a whole header field in memory several times over
 * while it decodes it (a 100 MB Subject costs it over 1 GB), so before
 * GMime sees a message whose top-level header block is oversized, the
 * block is rebuilt with every field cut to KURIR_MIME_HEADER_FIELD_MAX and
 * the block to KURIR_MIME_HEADER_BLOCK_MAX (the fields that matter for the
 * index and the MIME structure are kept past that bound, the first of each
 * name). GMime spends some 20 µs and a few hundred bytes on every part it
 * builds, and compares every line starting with "--" with each boundary it
 * has open, so the stream it reads is cut short (and the parse ends) at the
 * Content-Type field that would make KURIR_MIME_MAX_PARSED_PARTS parts or
 * KURIR_MIME_MAX_OPEN_MULTIPARTS multiparts open at once. The walk over the
 * parts stops after KURIR_MIME_MAX_PARTS parts or below
 * KURIR_MIME_MAX_DEPTH, and text is decoded in bounded chunks.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-mime"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>

#include "kurir-mime-private.h"

#define DECODE_CHUNK 65536

G_DEFINE_QUARK (kurir-mime-error-quark, kurir_mime_error)

static GMimeParserOptions *parser_options;

/* Helpers: header capping */

static const char * const kept_fields[] = {
  "from", "to", "cc", "subject", "date", "message-id", "in-reply-to",
  "references", "return-path", "reply-to", "sender", "mime-version",
  "content-type", "content-transfer-encoding", "content-disposition",
};

/* The length of the line at @p (with its newline) within @end. */
static gsize
line_length (const char *p,
             const char *end)
{
  const char *nl = memchr (p, '\n', end - p);

  return nl != NULL ? (gsize) (nl - p) + 1 : (gsize) (end - p);
}

static gboolean
is_blank_line (const char *p,
               gsize       len)
{
  return (len == 1 && p[0] == '\n') || (len == 2 && p[0] == '\r' && p[1] == '\n');
}

/* Calls @func on every top-level header field (start and length,
 * continuation lines included); returns the offset where the body starts. */
typedef void (*FieldFunc) (const char *field, gsize len, gpointer user_data);

static gsize
for_each_field (const char *data,
                gsize       length,
                FieldFunc   func,
                gpointer    user_data)
{
  const char *end = data + length;
  const char *p = data;
  const char *field = NULL;

  while (p < end)
    {
      gsize len = line_length (p, end);

      if (is_blank_line (p, len))
        {
          if (field != NULL)
            func (field, p - field, user_data);
          return (p + len) - data;
        }
      if (field != NULL && p[0] != ' ' && p[0] != '\t')
        {
          func (field, p - field, user_data);
          field = NULL;
        }
      if (field == NULL)
        field = p;
      p += len;
    }
  if (field != NULL)
    func (field, p - field, user_data);

  return length;
}

typedef struct
{
  gsize       block;
  gboolean    oversized;
  GByteArray *out;
  guint32     seen;
} CapData;

static void
check_field_cb (const char *field,
                gsize       len,
                gpointer    user_data)
{
  CapData *cap = user_data;

  cap->block += len;
  if (len > KURIR_MIME_HEADER_FIELD_MAX || cap->block > KURIR_MIME_HEADER_BLOCK_MAX)
    cap->oversized = TRUE;
}

static int
kept_field_index (const char *field,
                  gsize       len)
{
  const char *colon = memchr (field, ':', MIN (len, 64));

  if (colon == NULL)
    return -1;
  for (guint i = 0; i < G_N_ELEMENTS (kept_fields); i++)
    {
      gsize n = strlen (kept_fields[i]);

      if ((gsize) (colon - field) == n && g_ascii_strncasecmp (field, kept_fields[i], n) == 0)
        return i;
    }
  return -1;
}

static void
copy_field_cb (const char *field,
               gsize       len,
               gpointer    user_data)
{
  CapData *cap = user_data;
  int kept = kept_field_index (field, len);
  gsize take = MIN (len, KURIR_MIME_HEADER_FIELD_MAX);

  if (cap->out->len + take > KURIR_MIME_HEADER_BLOCK_MAX)
    {
      if (kept < 0 || (cap->seen & (1u << kept)) != 0)
        return;
    }
  if (kept >= 0)
    cap->seen |= 1u << kept;

  /* a cut field still ends its last line */
  while (take < len && take > 0 && (field[take - 1] == '\r' || field[take - 1] == '\n'))
    take--;
  g_byte_array_append (cap->out, (const guint8 *) field, take);
  if (take == 0 || field[take - 1] != '\n')
    g_byte_array_append (cap->out, (const guint8 *) "\n", 1);
}

/* A bounded copy of the message when its header block is oversized, or NULL. */
static GByteArray *
cap_headers (const char *data,
             gsize       length)
{
  CapData cap = { 0, };
  gsize body;

  body = for_each_field (data, length, check_field_cb, &cap);
  if (!cap.oversized)
    return NULL;

  g_debug ("header block of %" G_GSIZE_FORMAT " bytes cut down before parsing", cap.block);
  cap.out = g_byte_array_sized_new (MIN (cap.block, KURIR_MIME_HEADER_BLOCK_MAX) + (length - body) + 2);
  for_each_field (data, length, copy_field_cb, &cap);
  g_byte_array_append (cap.out, (const guint8 *) "\n", 1);
  g_byte_array_append (cap.out, (const guint8 *) data + body, length - body);

  return cap.out;
}

typedef struct
{
  char  *close;      /* "--boundary--" */
  gsize  close_len;
  gsize  scanned;    /* searched for the close up to here */
} OpenMultipart;

static void
open_multipart_free (OpenMultipart *open)
{
  g_free (open->close);
  g_free (open);
}

/* Whether @open's closing delimiter starts a line in [scanned, end). */
static gboolean
multipart_closed_before (OpenMultipart *open,
                         const char    *data,
                         gsize          end)
{
  gsize from = open->scanned;

  open->scanned = MAX (open->scanned, end);
  while (from < end)
    {
      const char *found = memmem (data + from, end - from, open->close, open->close_len);

      if (found == NULL)
        return FALSE;
      if (found == data || found[-1] == '\n')
        return TRUE;
      from = (found - data) + 1;
    }
  return FALSE;
}

static void
cut_stream (KurirMimeParsed *parsed,
            gint64           offset,
            const char      *why)
{
  if (offset >= 0 && (guint64) offset < parsed->array->len)
    {
      g_debug ("%s: parsing stops at byte %" G_GINT64_FORMAT, why, offset);
      parsed->array->len = offset;
      parsed->cut = TRUE;
    }
}

/* GMime checks every line that starts with "--" against each boundary it
 * has open, and builds an object for every part: both are bounded here by
 * ending the memory stream where the field that would go over starts.
 * Which multiparts are still open is known from their closing delimiters
 * in the bytes before the field. */
static void
content_type_cb (GMimeParser *parser,
                 const char  *header,
                 const char  *value,
                 gint64       offset,
                 gpointer     user_data)
{
  KurirMimeParsed *parsed = user_data;
  const char *data = (const char *) parsed->array->data;
  g_autoptr(GMimeContentType) type = NULL;
  const char *boundary;
  OpenMultipart *open;

  if (parsed->cut || offset < 0 || value == NULL)
    return;
  if (++parsed->n_content_types > KURIR_MIME_MAX_PARSED_PARTS)
    {
      cut_stream (parsed, offset, "too many parts");
      return;
    }

  while (*value == ' ' || *value == '\t')
    value++;
  if (g_ascii_strncasecmp (value, "multipart/", 10) != 0)
    return;
  type = g_mime_content_type_parse (parser_options, value);
  boundary = type != NULL ? g_mime_content_type_get_parameter (type, "boundary") : NULL;
  if (boundary == NULL || *boundary == '\0')
    return;

  /* a closed multipart closes the ones inside it too */
  for (guint i = 0; i < parsed->open_multiparts->len; i++)
    if (multipart_closed_before (g_ptr_array_index (parsed->open_multiparts, i), data, offset))
      {
        g_ptr_array_set_size (parsed->open_multiparts, i);
        break;
      }

  if (parsed->open_multiparts->len >= KURIR_MIME_MAX_OPEN_MULTIPARTS)
    {
      cut_stream (parsed, offset, "multiparts nested too deep");
      return;
    }
  open = g_new0 (OpenMultipart, 1);
  open->close = g_strdup_printf ("--%s--", boundary);
  open->close_len = strlen (open->close);
  open->scanned = offset;
  g_ptr_array_add (parsed->open_multiparts, open);
}

/* Helpers: the walk */

typedef struct
{
  GArray *leaves;
  guint   n_parts;
  int     n_groups;
} WalkData;

static gboolean
is_attachment_disposition (GMimeObject *object)
{
  const char *disposition = g_mime_object_get_disposition (object);

  return disposition != NULL && g_ascii_strcasecmp (disposition, "attachment") == 0;
}

static void
walk (WalkData    *walk_data,
      GMimeObject *object,
      guint        depth,
      int          group,
      int          alternative)
{
  KurirMimeLeaf leaf = { object, KURIR_MIME_LEAF_PLAIN, group, alternative };

  if (object == NULL || depth > KURIR_MIME_MAX_DEPTH || walk_data->n_parts >= KURIR_MIME_MAX_PARTS)
    return;
  walk_data->n_parts++;

  if (GMIME_IS_MULTIPART (object))
    {
      GMimeMultipart *multipart = GMIME_MULTIPART (object);
      GMimeContentType *type = g_mime_object_get_content_type (object);
      int count = g_mime_multipart_get_count (multipart);

      if (type != NULL && g_mime_content_type_is_type (type, "multipart", "alternative"))
        {
          int new_group = walk_data->n_groups++;

          for (int i = 0; i < count; i++)
            walk (walk_data, g_mime_multipart_get_part (multipart, i), depth + 1, new_group, i);
        }
      else if (GMIME_IS_MULTIPART_ENCRYPTED (object))
        return;  /* nothing readable without the key */
      else
        {
          for (int i = 0; i < count; i++)
            walk (walk_data, g_mime_multipart_get_part (multipart, i), depth + 1, group, alternative);
        }
      return;
    }

  if (GMIME_IS_MESSAGE_PART (object))
    {
      leaf.kind = KURIR_MIME_LEAF_ATTACHMENT;
      g_array_append_val (walk_data->leaves, leaf);
      return;
    }

  if (GMIME_IS_PART (object))
    {
      GMimeContentType *type = g_mime_object_get_content_type (object);
      gboolean plain = type != NULL && g_mime_content_type_is_type (type, "text", "plain");
      gboolean html = type != NULL && g_mime_content_type_is_type (type, "text", "html");
      g_autofree char *filename = NULL;

      if (is_attachment_disposition (object))
        leaf.kind = KURIR_MIME_LEAF_ATTACHMENT;
      else if (plain)
        leaf.kind = KURIR_MIME_LEAF_PLAIN;
      else if (html)
        leaf.kind = KURIR_MIME_LEAF_HTML;
      else if ((filename = kurir_mime_leaf_get_filename (object)) != NULL)
        leaf.kind = KURIR_MIME_LEAF_ATTACHMENT;
      else
        return;  /* an inline part with no name: not shown, not counted */

      g_array_append_val (walk_data->leaves, leaf);
    }
}

/* Helpers: decoding */

typedef struct
{
  GByteArray *bytes;
} CollectData;

static gboolean
collect_cb (const char  *chunk,
            gsize        length,
            gpointer     user_data,
            GError     **error)
{
  CollectData *collect = user_data;

  g_byte_array_append (collect->bytes, (const guint8 *) chunk, length);
  return TRUE;
}

static gboolean
is_utf8_name (const char *charset)
{
  return g_ascii_strcasecmp (charset, "utf-8") == 0 || g_ascii_strcasecmp (charset, "utf8") == 0;
}

static gboolean
is_ascii_name (const char *charset)
{
  return g_ascii_strcasecmp (charset, "us-ascii") == 0 || g_ascii_strcasecmp (charset, "ascii") == 0;
}

static char *
iconv_with_replacement (iconv_t     cd,
                        const char *bytes,
                        gsize       length)
{
  GString *out = g_string_sized_new (length + 16);
  char *in = (char *) bytes;
  gsize in_left = length;
  char buf[4096];

  while (in_left > 0)
    {
      char *outp = buf;
      gsize out_left = sizeof buf;
      gsize r = iconv (cd, &in, &in_left, &outp, &out_left);

      g_string_append_len (out, buf, outp - buf);
      if (r == (gsize) -1)
        {
          if (errno == E2BIG)
            continue;
          /* EILSEQ: one bad byte; EINVAL: cut off at the end */
          g_string_append (out, "\xef\xbf\xbd");
          if (errno == EINVAL)
            break;
          in++;
          in_left--;
        }
    }
  {
    char *outp = buf;
    gsize out_left = sizeof buf;

    iconv (cd, NULL, NULL, &outp, &out_left);
    g_string_append_len (out, buf, outp - buf);
  }

  return g_string_free (out, FALSE);
}

/* Helpers: HTML */

typedef struct
{
  GString *out;
  gsize    max_bytes;
  gboolean space_pending;
} HtmlText;

static gboolean
is_skipped_element (const char *name)
{
  static const char * const skipped[] = {
    "script", "style", "head", "title", "noscript", "template", "object", "iframe",
  };

  for (guint i = 0; i < G_N_ELEMENTS (skipped); i++)
    if (g_ascii_strcasecmp (name, skipped[i]) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
is_block_element (const char *name)
{
  static const char * const blocks[] = {
    "p", "div", "br", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4",
    "h5", "h6", "blockquote", "pre", "hr", "section", "article", "header",
    "footer", "dd", "dt", "dl", "form", "address", "center", "body", "html",
    "nav", "aside", "main", "figure", "figcaption", "caption", "fieldset",
  };

  for (guint i = 0; i < G_N_ELEMENTS (blocks); i++)
    if (g_ascii_strcasecmp (name, blocks[i]) == 0)
      return TRUE;
  return FALSE;
}

static void
html_newline (HtmlText *text)
{
  text->space_pending = FALSE;
  while (text->out->len > 0 && text->out->str[text->out->len - 1] == ' ')
    g_string_truncate (text->out, text->out->len - 1);
  if (text->out->len == 0)
    return;
  /* at most one empty line in a row */
  if (text->out->len >= 2 &&
      text->out->str[text->out->len - 1] == '\n' &&
      text->out->str[text->out->len - 2] == '\n')
    return;
  g_string_append_c (text->out, '\n');
}

static void
html_text (HtmlText   *text,
           const char *content,
           gboolean    preformatted)
{
  for (const char *p = content; *p != '\0' && text->out->len < text->max_bytes; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (preformatted)
        {
          if (c == '\r')
            continue;
          g_string_append_unichar (text->out, c);
          continue;
        }
      if (g_unichar_isspace (c) || c == 0xA0)
        {
          text->space_pending = TRUE;
          continue;
        }
      if (text->space_pending && text->out->len > 0 && text->out->str[text->out->len - 1] != '\n')
        g_string_append_c (text->out, ' ');
      text->space_pending = FALSE;
      if (c < 0x20 || (c >= 0x7f && c < 0xa0))
        continue;
      g_string_append_unichar (text->out, c);
    }
}

static gboolean
inside_pre (xmlNode *node)
{
  for (; node != NULL; node = node->parent)
    if (node->type == XML_ELEMENT_NODE && g_ascii_strcasecmp ((const char *) node->name, "pre") == 0)
      return TRUE;
  return FALSE;
}

/* Iterative, so that deep documents cost no stack. */
static void
html_walk (HtmlText *text,
           xmlNode  *root)
{
  xmlNode *node = root;

  while (node != NULL && text->out->len < text->max_bytes)
    {
      gboolean descend = FALSE;

      if (node->type == XML_ELEMENT_NODE)
        {
          const char *name = (const char *) node->name;

          if (!is_skipped_element (name))
            {
              if (is_block_element (name))
                html_newline (text);
              if (g_ascii_strcasecmp (name, "li") == 0)
                g_string_append (text->out, "• ");
              else if (g_ascii_strcasecmp (name, "td") == 0 || g_ascii_strcasecmp (name, "th") == 0)
                text->space_pending = TRUE;  /* cells of a row apart */
              descend = node->children != NULL;
            }
        }
      else if (node->type == XML_TEXT_NODE || node->type == XML_CDATA_SECTION_NODE)
        {
          if (node->content != NULL)
            html_text (text, (const char *) node->content, inside_pre (node->parent));
        }

      if (descend)
        {
          node = node->children;
          continue;
        }
      /* leave finished elements, giving block ends their newline */
      while (node != NULL && node != root && node->next == NULL)
        {
          node = node->parent;
          if (node != NULL && node->type == XML_ELEMENT_NODE && is_block_element ((const char *) node->name))
            html_newline (text);
        }
      if (node == NULL || node == root)
        break;
      node = node->next;
    }
}

/* Public API (private to the layer) */

GMimeParserOptions *
kurir_mime_get_parser_options (void)
{
  kurir_mime_init ();
  return parser_options;
}

KurirMimeParsed *
kurir_mime_parse (const char *data,
                  gsize       length)
{
  KurirMimeParsed *parsed = g_new0 (KurirMimeParsed, 1);
  g_autoptr(GMimeParser) parser = NULL;

  parsed->open_multiparts = g_ptr_array_new_with_free_func ((GDestroyNotify) open_multipart_free);

  kurir_mime_init ();
  if (data == NULL)
    length = 0;
  length = MIN (length, (gsize) G_MAXUINT);

  parsed->array = cap_headers (data, length);
  parsed->owned = parsed->array != NULL;
  if (parsed->array == NULL)
    parsed->array = g_byte_array_new_take ((guint8 *) (data != NULL ? data : ""), length);

  parsed->stream = g_mime_stream_mem_new_with_byte_array (parsed->array);
  g_mime_stream_mem_set_owner (GMIME_STREAM_MEM (parsed->stream), FALSE);
  parser = g_mime_parser_new_with_stream (parsed->stream);
  g_mime_parser_set_format (parser, GMIME_FORMAT_MESSAGE);
  g_mime_parser_set_persist_stream (parser, TRUE);
  g_mime_parser_set_header_regex (parser, "^Content-Type$", content_type_cb, parsed);
  parsed->message = g_mime_parser_construct_message (parser, parser_options);
  if (parsed->message == NULL)
    parsed->message = g_mime_message_new (FALSE);

  return parsed;
}

void
kurir_mime_parsed_free (KurirMimeParsed *parsed)
{
  if (parsed == NULL)
    return;

  g_clear_object (&parsed->message);
  g_clear_object (&parsed->stream);
  g_clear_pointer (&parsed->open_multiparts, g_ptr_array_unref);
  if (!parsed->owned)
    (void) g_byte_array_steal (parsed->array, NULL);  /* the caller's bytes stay theirs */
  g_byte_array_unref (parsed->array);
  g_free (parsed);
}

GArray *
kurir_mime_collect_leaves (GMimeMessage *message)
{
  WalkData walk_data = { g_array_new (FALSE, FALSE, sizeof (KurirMimeLeaf)), 0, 0 };

  g_return_val_if_fail (GMIME_IS_MESSAGE (message), NULL);

  walk (&walk_data, g_mime_message_get_mime_part (message), 0, -1, -1);
  return walk_data.leaves;
}

gboolean
kurir_mime_leaf_decode (GMimeObject        *object,
                        guint64             max_bytes,
                        KurirMimeChunkFunc  func,
                        gpointer            user_data,
                        GCancellable       *cancellable,
                        GError            **error)
{
  g_autoptr(GMimeStream) filtered = NULL;
  g_autofree char *buf = NULL;
  guint64 total = 0;
  guint zero_reads = 0;

  if (GMIME_IS_MESSAGE_PART (object))
    {
      GMimeMessage *embedded = g_mime_message_part_get_message (GMIME_MESSAGE_PART (object));
      g_autoptr(GMimeStream) mem = NULL;
      GByteArray *bytes;

      if (embedded == NULL)
        return TRUE;
      mem = g_mime_stream_mem_new ();
      if (g_mime_object_write_to_stream (GMIME_OBJECT (embedded), NULL, mem) < 0)
        {
          g_set_error (error, KURIR_MIME_ERROR, KURIR_MIME_ERROR_IO, "Could not write the attached message");
          return FALSE;
        }
      bytes = g_mime_stream_mem_get_byte_array (GMIME_STREAM_MEM (mem));
      return func ((const char *) bytes->data, MIN ((guint64) bytes->len, max_bytes), user_data, error);
    }

  if (GMIME_IS_PART (object))
    {
      GMimeDataWrapper *content = g_mime_part_get_content (GMIME_PART (object));
      GMimeStream *raw;
      GMimeContentEncoding encoding;

      if (content == NULL || (raw = g_mime_data_wrapper_get_stream (content)) == NULL)
        return TRUE;
      g_mime_stream_reset (raw);
      filtered = g_mime_stream_filter_new (raw);
      encoding = g_mime_data_wrapper_get_encoding (content);
      if (encoding == GMIME_CONTENT_ENCODING_BASE64 ||
          encoding == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
          encoding == GMIME_CONTENT_ENCODING_UUENCODE)
        {
          g_autoptr(GMimeFilter) filter = g_mime_filter_basic_new (encoding, FALSE);

          g_mime_stream_filter_add (GMIME_STREAM_FILTER (filtered), filter);
        }
    }
  else
    return TRUE;

  buf = g_malloc (DECODE_CHUNK);
  while (total < max_bytes)
    {
      gssize n;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      n = g_mime_stream_read (filtered, buf, MIN ((guint64) DECODE_CHUNK, max_bytes - total));
      if (n < 0)
        {
          g_set_error (error, KURIR_MIME_ERROR, KURIR_MIME_ERROR_IO, "Could not read the part's content");
          return FALSE;
        }
      if (n == 0)
        {
          if (g_mime_stream_eos (filtered) || ++zero_reads > 64)
            break;
          continue;
        }
      zero_reads = 0;
      total += n;
      if (!func (buf, n, user_data, error))
        return FALSE;
    }

  return TRUE;
}

char *
kurir_mime_part_get_text (GMimeObject *object,
                          gsize        max_bytes)
{
  CollectData collect = { g_byte_array_new () };
  g_autoptr(GByteArray) bytes = collect.bytes;
  const char *charset = g_mime_object_get_content_type_parameter (object, "charset");
  g_autofree char *text = NULL;
  GString *out;

  kurir_mime_leaf_decode (object, max_bytes, collect_cb, &collect, NULL, NULL);
  text = kurir_mime_convert_to_utf8 ((const char *) bytes->data, bytes->len, charset);

  /* CRLF and lone CR to LF, NUL dropped */
  out = g_string_sized_new (strlen (text));
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '\r')
        {
          if (p[1] != '\n')
            g_string_append_c (out, '\n');
          continue;
        }
      g_string_append_c (out, *p);
    }

  return kurir_mime_utf8_truncate (g_string_free (out, FALSE), max_bytes);
}

char *
kurir_mime_leaf_get_filename (GMimeObject *object)
{
  const char *name = NULL;

  if (GMIME_IS_PART (object))
    name = g_mime_part_get_filename (GMIME_PART (object));
  else
    {
      name = g_mime_object_get_content_disposition_parameter (object, "filename");
      if (name == NULL)
        name = g_mime_object_get_content_type_parameter (object, "name");
    }

  return name != NULL && *name != '\0' ? g_strdup (name) : NULL;
}

char *
kurir_mime_utf8_truncate (char  *text,
                          gsize  max_bytes)
{
  gsize len;

  if (text == NULL)
    return NULL;
  len = strlen (text);
  if (len <= max_bytes)
    return text;

  len = max_bytes;
  while (len > 0 && ((guchar) text[len] & 0xC0) == 0x80)
    len--;
  text[len] = '\0';
  return text;
}

char *
kurir_mime_clean_line (const char *text,
                       gsize       max_bytes)
{
  g_autofree char *valid = NULL;
  GString *out;

  if (text == NULL)
    return NULL;

  valid = g_utf8_make_valid (text, -1);
  out = g_string_sized_new (MIN (strlen (valid), max_bytes) + 1);
  for (const char *p = valid; *p != '\0' && out->len < max_bytes + 8; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0))
        {
          if (out->len > 0 && out->str[out->len - 1] != ' ')
            g_string_append_c (out, ' ');
          continue;
        }
      g_string_append_unichar (out, c);
    }

  g_strstrip (out->str);
  return kurir_mime_utf8_truncate (g_string_free (out, FALSE), max_bytes);
}

static void
format_address_list (GString             *out,
                     InternetAddressList *list,
                     gsize                max_bytes,
                     guint                depth)
{
  int count = list != NULL ? internet_address_list_length (list) : 0;

  for (int i = 0; i < count && out->len < max_bytes; i++)
    {
      InternetAddress *address = internet_address_list_get_address (list, i);
      g_autofree char *name = kurir_mime_clean_line (internet_address_get_name (address), max_bytes);

      if (INTERNET_ADDRESS_IS_GROUP (address))
        {
          if (depth < 2)
            format_address_list (out, internet_address_group_get_members (INTERNET_ADDRESS_GROUP (address)),
                                 max_bytes, depth + 1);
          continue;
        }
      if (INTERNET_ADDRESS_IS_MAILBOX (address))
        {
          g_autofree char *addr = kurir_mime_clean_line (internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (address)),
                                                          max_bytes);

          if (out->len > 0)
            g_string_append (out, ", ");
          if (name != NULL && *name != '\0' && addr != NULL && *addr != '\0')
            g_string_append_printf (out, "%s <%s>", name, addr);
          else if (addr != NULL && *addr != '\0')
            g_string_append (out, addr);
          else if (name != NULL)
            g_string_append (out, name);
        }
    }
}

char *
kurir_mime_format_addresses (InternetAddressList *list,
                             gsize                max_bytes)
{
  GString *out = g_string_new (NULL);

  format_address_list (out, list, max_bytes, 0);
  if (out->len == 0)
    {
      g_string_free (out, TRUE);
      return NULL;
    }
  return kurir_mime_utf8_truncate (g_string_free (out, FALSE), max_bytes);
}

char *
kurir_mime_html_to_text_bounded (const char *html,
                                 gsize       length,
                                 gsize       max_bytes)
{
  HtmlText text = { g_string_new (NULL), max_bytes, FALSE };
  g_autofree char *valid = NULL;
  htmlDocPtr doc;

  kurir_mime_init ();
  if (html == NULL || length == 0)
    return g_string_free (text.out, FALSE);

  valid = g_utf8_make_valid (html, MIN (length, (gsize) G_MAXINT));
  doc = htmlReadMemory (valid, strlen (valid), NULL, "UTF-8",
                        HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                        HTML_PARSE_RECOVER | HTML_PARSE_NOBLANKS);
  if (doc != NULL)
    {
      html_walk (&text, xmlDocGetRootElement (doc));
      xmlFreeDoc (doc);
    }

  g_strstrip (text.out->str);
  return kurir_mime_utf8_truncate (g_string_free (text.out, FALSE), max_bytes);
}

/* Public API */

void
kurir_mime_init (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      static const char *fallback[] = { "UTF-8", "windows-1252", "iso-8859-1", NULL };

      g_mime_init ();
      xmlInitParser ();
      parser_options = g_mime_parser_options_new ();
      g_mime_parser_options_set_rfc2047_compliance_mode (parser_options, GMIME_RFC_COMPLIANCE_LOOSE);
      g_mime_parser_options_set_address_compliance_mode (parser_options, GMIME_RFC_COMPLIANCE_LOOSE);
      g_mime_parser_options_set_parameter_compliance_mode (parser_options, GMIME_RFC_COMPLIANCE_LOOSE);
      g_mime_parser_options_set_allow_addresses_without_domain (parser_options, TRUE);
      g_mime_parser_options_set_fallback_charsets (parser_options, fallback);
      g_once_init_leave (&initialized, 1);
    }
}

char *
kurir_mime_convert_to_utf8 (const char *bytes,
                            gsize       length,
                            const char *charset)
{
  iconv_t cd;
  char *result;

  kurir_mime_init ();
  if (bytes == NULL || length == 0)
    return g_strdup ("");

  if (charset == NULL || is_utf8_name (charset) || is_ascii_name (charset))
    {
      if (g_utf8_validate_len (bytes, length, NULL) || (charset != NULL && is_utf8_name (charset)))
        return g_utf8_make_valid (bytes, length);
      charset = "windows-1252";
    }

  cd = g_mime_iconv_open ("UTF-8", charset);
  if (cd == (iconv_t) -1)
    {
      if (g_utf8_validate_len (bytes, length, NULL))
        return g_utf8_make_valid (bytes, length);
      cd = g_mime_iconv_open ("UTF-8", "windows-1252");
      if (cd == (iconv_t) -1)
        return g_utf8_make_valid (bytes, length);
    }

  result = iconv_with_replacement (cd, bytes, length);
  g_mime_iconv_close (cd);

  /* iconv may pass NULs through; they end a C string, which is fine */
  {
    char *valid = g_utf8_make_valid (result, -1);

    g_free (result);
    return valid;
  }
}

char *
kurir_mime_html_to_text (const char *html,
                         gssize      length)
{
  if (html == NULL)
    return g_strdup ("");
  if (length < 0)
    length = strlen (html);
  return kurir_mime_html_to_text_bounded (html, length, G_MAXSSIZE);
}
