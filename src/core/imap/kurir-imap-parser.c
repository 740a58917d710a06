/* kurir-imap-parser.c: an incremental IMAP response parser
 *
 * Two stages. A framing scanner finds where a response ends: at the end of
 * a line that does not announce a literal ({N} or ~{N} right before CRLF,
 * outside a quoted string), after skipping each literal's N bytes. Status
 * responses (OK, NO, BAD, BYE, PREAUTH) and continuations are one line:
 * their free text cannot carry literals. The scanner remembers how far it
 * got, so feeding one byte at a time costs no rescans. Then a recursive
 * descent parser reads the complete response from one buffer; it never sees
 * a partial response, so a response split at any byte parses the same as a
 * response read at once.
 *
 * Literals are not copied: their values are slices of the response's raw
 * bytes, which the parser hands over without a copy when a response fills
 * the buffer (the common case for a large body).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-imap"

#include "config.h"

#include <string.h>

#include "kurir-imap-error.h"
#include "kurir-imap-parser-private.h"

#define COMPACT_THRESHOLD (64 * 1024)
#define SNIPPET_LENGTH    80

struct _KurirImapParser
{
  GObject     parent_instance;

  gsize       max_line_length;
  guint64     max_literal_size;
  guint64     max_response_size;
  guint       max_depth;
  guint       max_values;

  GByteArray *buffer;
  gsize       start;          /* first byte of the current response */
  gsize       scan;           /* next byte the scanner looks at */
  gsize       line_start;     /* first byte of the current line segment */
  guint64     literal_left;   /* bytes of a literal still to skip */
  gboolean    single_line;    /* the response is a status or continuation */
  GError     *error;          /* sticky */
};

G_DEFINE_TYPE (KurirImapParser, kurir_imap_parser, G_TYPE_OBJECT)

G_DEFINE_BOXED_TYPE (KurirImapResponse, kurir_imap_response,
                     kurir_imap_response_ref, kurir_imap_response_unref)

typedef struct
{
  KurirImapParser *parser;
  const guint8    *data;
  gsize            len;
  gsize            pos;
  GBytes          *raw;
  guint            n_values;
  GError          *error;
} Cursor;

/* Helpers: values */

static void
value_free (gpointer data)
{
  KurirImapValue *value = data;

  if (value == NULL)
    return;
  g_free (value->str);
  g_clear_pointer (&value->bytes, g_bytes_unref);
  g_clear_pointer (&value->children, g_ptr_array_unref);
  g_free (value);
}

static void
append_escaped (GString      *out,
                const guint8 *data,
                gsize         length)
{
  g_string_append_c (out, '"');
  for (gsize i = 0; i < length; i++)
    {
      guint8 c = data[i];

      if (c == '"' || c == '\\')
        g_string_append_printf (out, "\\%c", c);
      else if (c < 0x20 || c >= 0x7f)
        g_string_append_printf (out, "\\x%02x", c);
      else
        g_string_append_c (out, (char) c);
    }
  g_string_append_c (out, '"');
}

static void
append_value (GString              *out,
              const KurirImapValue *value)
{
  switch (value->kind)
    {
    case KURIR_IMAP_VALUE_NIL:
      g_string_append (out, "NIL");
      break;
    case KURIR_IMAP_VALUE_ATOM:
      g_string_append (out, value->str);
      break;
    case KURIR_IMAP_VALUE_NUMBER:
      if (value->str != NULL)
        g_string_append (out, value->str);
      else
        g_string_append_printf (out, "%" G_GUINT64_FORMAT, value->number);
      break;
    case KURIR_IMAP_VALUE_STRING:
      append_escaped (out, (const guint8 *) value->str, value->length);
      break;
    case KURIR_IMAP_VALUE_LITERAL:
      {
        gsize size = 0;
        const guint8 *data = g_bytes_get_data (value->bytes, &size);

        g_string_append_printf (out, "%s{%" G_GSIZE_FORMAT "}", value->binary ? "~" : "", size);
        append_escaped (out, data, size);
      }
      break;
    case KURIR_IMAP_VALUE_LIST:
      g_string_append_c (out, '(');
      for (guint i = 0; i < value->children->len; i++)
        {
          if (i > 0)
            g_string_append_c (out, ' ');
          append_value (out, g_ptr_array_index (value->children, i));
        }
      g_string_append_c (out, ')');
      break;
    default:
      g_assert_not_reached ();
    }
}

/* Helpers: errors */

/* The response's first line, shortened and escaped, for error messages. */
static char *
snippet (const guint8 *data,
         gsize         len)
{
  g_autoptr(GString) out = g_string_new (NULL);
  gsize n = 0;

  while (n < len && n < SNIPPET_LENGTH && data[n] != '\r' && data[n] != '\n')
    n++;
  for (gsize i = 0; i < n; i++)
    {
      if (data[i] < 0x20 || data[i] >= 0x7f || data[i] == '\\')
        g_string_append_printf (out, "\\x%02x", data[i]);
      else
        g_string_append_c (out, (char) data[i]);
    }
  if (n < len && data[n] != '\r' && data[n] != '\n')
    g_string_append (out, "...");
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static gboolean G_GNUC_PRINTF (3, 4)
fail (Cursor     *c,
      int         code,
      const char *format,
      ...)
{
  g_autofree char *why = NULL;
  g_autofree char *shown = NULL;
  va_list args;

  if (c->error != NULL)
    return FALSE;

  va_start (args, format);
  why = g_strdup_vprintf (format, args);
  va_end (args);
  shown = snippet (c->data, c->len);
  g_set_error (&c->error, KURIR_IMAP_ERROR, code,
               "The server sent a malformed response (%s at byte %" G_GSIZE_FORMAT "): “%s”",
               why, c->pos, shown);
  return FALSE;
}

/* Helpers: the cursor */

static gboolean
at_end (Cursor *c)
{
  return c->pos >= c->len;
}

static gboolean
at_eol (Cursor *c)
{
  if (c->pos >= c->len)
    return FALSE;
  if (c->data[c->pos] == '\n')
    return TRUE;
  return c->data[c->pos] == '\r' && c->pos + 1 < c->len && c->data[c->pos + 1] == '\n';
}

static void
skip_eol (Cursor *c)
{
  g_assert (at_eol (c));
  if (c->data[c->pos] == '\r')
    c->pos++;
  c->pos++;
}

static guint
skip_spaces (Cursor *c)
{
  guint n = 0;

  while (c->pos < c->len && c->data[c->pos] == ' ')
    {
      c->pos++;
      n++;
    }
  return n;
}

static gboolean
expect_end (Cursor *c)
{
  skip_spaces (c);
  if (!at_eol (c))
    return fail (c, KURIR_IMAP_ERROR_PROTOCOL, "unexpected data before the end of the line");
  skip_eol (c);
  if (!at_end (c))
    return fail (c, KURIR_IMAP_ERROR_PROTOCOL, "data after the end of the response");
  return TRUE;
}

static char *
read_rest_of_line (Cursor *c)
{
  gsize start = c->pos;

  while (c->pos < c->len && !at_eol (c))
    c->pos++;
  return g_utf8_make_valid ((const char *) c->data + start, c->pos - start);
}

static KurirImapValue *
new_value (Cursor             *c,
           KurirImapValueKind  kind)
{
  KurirImapValue *value;

  if (c->n_values >= c->parser->max_values)
    {
      fail (c, KURIR_IMAP_ERROR_TOO_LARGE, "more than %u values in one response",
            c->parser->max_values);
      return NULL;
    }
  c->n_values++;
  value = g_new0 (KurirImapValue, 1);
  value->kind = kind;
  if (kind == KURIR_IMAP_VALUE_LIST)
    value->children = g_ptr_array_new_with_free_func (value_free);
  return value;
}

/* Helpers: the grammar */

static gboolean
is_atom_stop (guint8   ch,
              gboolean in_code)
{
  if (ch <= 0x20 || ch == 0x7f)
    return TRUE;
  switch (ch)
    {
    case '(': case ')': case '{': case '"':
      return TRUE;
    case ']':
      return in_code;
    default:
      return FALSE;
    }
}

/* An atom, which may carry a bracketed part with spaces in it, as FETCH
 * item names do: BODY[HEADER.FIELDS (FROM TO)]<0>. */
static gboolean
read_atom_span (Cursor   *c,
                gboolean  in_code,
                gsize    *out_start)
{
  gsize start = c->pos;

  while (c->pos < c->len)
    {
      guint8 ch = c->data[c->pos];

      if (ch == '[' && !in_code)
        {
          gsize open = c->pos;
          guint depth = 0;
          gboolean quoted = FALSE;

          do
            {
              ch = c->data[c->pos];
              if (ch == '\r' || ch == '\n')
                break;
              if (quoted)
                {
                  if (ch == '\\' && c->pos + 1 < c->len)
                    c->pos++;
                  else if (ch == '"')
                    quoted = FALSE;
                }
              else if (ch == '"')
                quoted = TRUE;
              else if (ch == '[')
                depth++;
              else if (ch == ']')
                depth--;
              c->pos++;
            }
          while (depth > 0 && c->pos < c->len);
          if (depth > 0)
            {
              /* Not a section: "[" is an ordinary atom character, as in
               * a mailbox name. */
              c->pos = open + 1;
            }
          continue;
        }
      if (is_atom_stop (ch, in_code))
        break;
      c->pos++;
    }

  if (c->pos == start)
    {
      if (at_end (c) || at_eol (c))
        return fail (c, KURIR_IMAP_ERROR_PROTOCOL, "a value expected before the end of the line");
      return fail (c, KURIR_IMAP_ERROR_PROTOCOL, "unexpected byte 0x%02x", c->data[c->pos]);
    }
  *out_start = start;
  return TRUE;
}

static gboolean
parse_number (const char *text,
              gsize       length,
              guint64    *out)
{
  guint64 n = 0;

  if (length == 0 || length > 20)
    return FALSE;
  for (gsize i = 0; i < length; i++)
    {
      guint digit;

      if (!g_ascii_isdigit (text[i]))
        return FALSE;
      digit = text[i] - '0';
      if (n > (G_MAXUINT64 - digit) / 10)
        return FALSE;
      n = n * 10 + digit;
    }
  *out = n;
  return TRUE;
}

static KurirImapValue *read_value (Cursor   *c,
                                   guint     depth,
                                   gboolean  in_code);

static KurirImapValue *
read_list (Cursor   *c,
           guint     depth,
           gboolean  in_code)
{
  KurirImapValue *list;

  if (depth >= c->parser->max_depth)
    {
      fail (c, KURIR_IMAP_ERROR_TOO_LARGE, "lists nested deeper than %u", c->parser->max_depth);
      return NULL;
    }
  list = new_value (c, KURIR_IMAP_VALUE_LIST);
  if (list == NULL)
    return NULL;
  c->pos++;

  for (;;)
    {
      KurirImapValue *child;

      skip_spaces (c);
      if (at_end (c) || at_eol (c))
        {
          fail (c, KURIR_IMAP_ERROR_PROTOCOL, "a list not closed");
          value_free (list);
          return NULL;
        }
      if (c->data[c->pos] == ')')
        {
          c->pos++;
          return list;
        }
      child = read_value (c, depth + 1, in_code);
      if (child == NULL)
        {
          value_free (list);
          return NULL;
        }
      g_ptr_array_add (list->children, child);
    }
}

static KurirImapValue *
read_quoted (Cursor *c)
{
  g_autoptr(GString) text = g_string_new (NULL);
  KurirImapValue *value;

  c->pos++;
  for (;;)
    {
      guint8 ch;

      if (at_end (c))
        {
          fail (c, KURIR_IMAP_ERROR_PROTOCOL, "a quoted string not closed");
          return NULL;
        }
      ch = c->data[c->pos];
      if (ch == '"')
        {
          c->pos++;
          break;
        }
      if (ch == '\\')
        {
          c->pos++;
          if (at_end (c))
            continue;
          ch = c->data[c->pos];
        }
      if (ch == '\r' || ch == '\n' || ch == '\0')
        {
          fail (c, KURIR_IMAP_ERROR_PROTOCOL, "a quoted string not closed");
          return NULL;
        }
      g_string_append_c (text, (char) ch);
      c->pos++;
    }

  value = new_value (c, KURIR_IMAP_VALUE_STRING);
  if (value == NULL)
    return NULL;
  value->length = text->len;
  value->str = g_string_free (g_steal_pointer (&text), FALSE);
  return value;
}

static KurirImapValue *
read_literal (Cursor *c)
{
  KurirImapValue *value;
  gboolean binary = FALSE;
  gsize digits;
  guint64 size;

  if (c->data[c->pos] == '~')
    {
      binary = TRUE;
      c->pos++;
    }
  c->pos++;
  digits = c->pos;
  while (c->pos < c->len && g_ascii_isdigit (c->data[c->pos]))
    c->pos++;
  if (c->pos < c->len && c->data[c->pos] == '+')
    {
      fail (c, KURIR_IMAP_ERROR_PROTOCOL, "a non-synchronising literal from the server");
      return NULL;
    }
  if (c->pos >= c->len || c->data[c->pos] != '}' ||
      !parse_number ((const char *) c->data + digits, c->pos - digits, &size))
    {
      fail (c, KURIR_IMAP_ERROR_PROTOCOL, "a malformed literal");
      return NULL;
    }
  c->pos++;
  if (!at_eol (c))
    {
      fail (c, KURIR_IMAP_ERROR_PROTOCOL, "a literal not followed by the end of the line");
      return NULL;
    }
  skip_eol (c);
  if (size > c->parser->max_literal_size)
    {
      fail (c, KURIR_IMAP_ERROR_TOO_LARGE, "a literal larger than %" G_GUINT64_FORMAT " bytes",
            c->parser->max_literal_size);
      return NULL;
    }
  if (size > c->len - c->pos)
    {
      fail (c, KURIR_IMAP_ERROR_PROTOCOL, "a literal cut short");
      return NULL;
    }

  value = new_value (c, KURIR_IMAP_VALUE_LITERAL);
  if (value == NULL)
    return NULL;
  value->binary = binary;
  value->bytes = g_bytes_new_from_bytes (c->raw, c->pos, size);
  c->pos += size;
  return value;
}

static KurirImapValue *
read_value (Cursor   *c,
            guint     depth,
            gboolean  in_code)
{
  KurirImapValue *value;
  gsize start = 0;
  gsize length;
  guint64 number;

  if (at_end (c))
    {
      fail (c, KURIR_IMAP_ERROR_PROTOCOL, "a value expected");
      return NULL;
    }
  switch (c->data[c->pos])
    {
    case '(':
      return read_list (c, depth, in_code);
    case '"':
      return read_quoted (c);
    case '{':
      return read_literal (c);
    case '~':
      if (c->pos + 1 < c->len && c->data[c->pos + 1] == '{')
        return read_literal (c);
      break;
    default:
      break;
    }

  if (!read_atom_span (c, in_code, &start))
    return NULL;
  length = c->pos - start;
  if (length == 3 && g_ascii_strncasecmp ((const char *) c->data + start, "NIL", 3) == 0)
    return new_value (c, KURIR_IMAP_VALUE_NIL);
  if (parse_number ((const char *) c->data + start, length, &number))
    {
      value = new_value (c, KURIR_IMAP_VALUE_NUMBER);
      if (value != NULL)
        {
          value->number = number;
          /* Keep the text when it is not the number's canonical form
           * ("007" as a mailbox name); otherwise it is made on demand. */
          if (length > 1 && c->data[start] == '0')
            value->str = g_strndup ((const char *) c->data + start, length);
        }
      return value;
    }
  value = new_value (c, KURIR_IMAP_VALUE_ATOM);
  if (value != NULL)
    {
      value->str = g_strndup ((const char *) c->data + start, length);
      value->length = length;
    }
  return value;
}

/* Values separated by spaces up to the end of the line. */
static KurirImapValue *
read_values_to_eol (Cursor *c)
{
  KurirImapValue *list = new_value (c, KURIR_IMAP_VALUE_LIST);

  if (list == NULL)
    return NULL;
  for (;;)
    {
      KurirImapValue *child;

      skip_spaces (c);
      if (at_end (c) || at_eol (c))
        return list;
      child = read_value (c, 0, FALSE);
      if (child == NULL)
        {
          value_free (list);
          return NULL;
        }
      g_ptr_array_add (list->children, child);
    }
}

static KurirImapStatus
status_from_keyword (const char *keyword)
{
  if (g_str_equal (keyword, "OK"))
    return KURIR_IMAP_STATUS_OK;
  if (g_str_equal (keyword, "NO"))
    return KURIR_IMAP_STATUS_NO;
  if (g_str_equal (keyword, "BAD"))
    return KURIR_IMAP_STATUS_BAD;
  if (g_str_equal (keyword, "BYE"))
    return KURIR_IMAP_STATUS_BYE;
  if (g_str_equal (keyword, "PREAUTH"))
    return KURIR_IMAP_STATUS_PREAUTH;
  return KURIR_IMAP_STATUS_NONE;
}

/* [CODE args] text; lenient about a missing text and about brackets that
 * turn out not to be a response code. */
static gboolean
read_resp_text (Cursor            *c,
                KurirImapResponse *response)
{
  skip_spaces (c);
  if (c->pos < c->len && c->data[c->pos] == '[')
    {
      gsize open = c->pos;
      gsize name_start = ++c->pos;
      gsize args_start;
      gsize close = 0;
      KurirImapValue *args = NULL;

      while (c->pos < c->len && c->data[c->pos] > 0x20 && c->data[c->pos] < 0x7f &&
             c->data[c->pos] != ']' && c->data[c->pos] != '[')
        c->pos++;
      if (c->pos > name_start)
        {
          g_autofree char *name = g_strndup ((const char *) c->data + name_start, c->pos - name_start);

          if (c->pos < c->len && c->data[c->pos] == ' ')
            c->pos++;
          args_start = c->pos;

          /* The arguments as values, if they are values. */
          {
            Cursor sub = *c;

            sub.error = NULL;
            args = new_value (&sub, KURIR_IMAP_VALUE_LIST);
            while (args != NULL)
              {
                KurirImapValue *child;

                skip_spaces (&sub);
                if (at_end (&sub) || at_eol (&sub))
                  {
                    g_clear_pointer (&args, value_free);
                    break;
                  }
                if (sub.data[sub.pos] == ']')
                  {
                    close = sub.pos;
                    break;
                  }
                child = read_value (&sub, 1, TRUE);
                if (child == NULL)
                  g_clear_pointer (&args, value_free);
                else
                  g_ptr_array_add (args->children, child);
              }
            if (sub.error != NULL && sub.error->code == KURIR_IMAP_ERROR_TOO_LARGE)
              {
                c->error = g_steal_pointer (&sub.error);
                value_free (args);
                return FALSE;
              }
            g_clear_error (&sub.error);
            c->n_values = sub.n_values;
          }

          if (args == NULL)
            {
              /* Not values: raw text up to the first "]" on the line. */
              for (gsize i = args_start; i < c->len && c->data[i] != '\r' && c->data[i] != '\n'; i++)
                if (c->data[i] == ']')
                  {
                    close = i;
                    break;
                  }
            }

          if (close > 0)
            {
              response->code = g_ascii_strup (name, -1);
              response->code_text = g_utf8_make_valid ((const char *) c->data + args_start,
                                                       close - args_start);
              g_strchomp (response->code_text);
              response->code_args = args;
              c->pos = close + 1;
            }
        }
      if (response->code == NULL)
        c->pos = open;
    }

  skip_spaces (c);
  response->text = read_rest_of_line (c);
  return expect_end (c);
}

static gboolean
build_fetch_items (Cursor            *c,
                   KurirImapResponse *response)
{
  const KurirImapValue *list;

  if (!response->has_number)
    return fail (c, KURIR_IMAP_ERROR_PROTOCOL, "FETCH without a message number");
  if (response->data->children->len != 1)
    return fail (c, KURIR_IMAP_ERROR_PROTOCOL, "FETCH data is not one list");
  list = g_ptr_array_index (response->data->children, 0);
  if (list->kind != KURIR_IMAP_VALUE_LIST || list->children->len % 2 != 0)
    return fail (c, KURIR_IMAP_ERROR_PROTOCOL, "FETCH data is not a list of names and values");

  response->fetch_items = g_array_sized_new (FALSE, TRUE, sizeof (KurirImapFetchItem),
                                             list->children->len / 2);
  for (guint i = 0; i < list->children->len; i += 2)
    {
      const KurirImapValue *name = g_ptr_array_index (list->children, i);
      KurirImapFetchItem item = { NULL, };

      if (name->kind != KURIR_IMAP_VALUE_ATOM ||
          !kurir_imap_fetch_item_name_normalize (name->str, &item.name, &item.section, &item.origin))
        return fail (c, KURIR_IMAP_ERROR_PROTOCOL, "a FETCH item without a valid name");
      item.value = g_ptr_array_index (list->children, i + 1);
      g_array_append_val (response->fetch_items, item);
    }
  return TRUE;
}

static gboolean
is_tag_char (guint8 ch)
{
  return ch > 0x20 && ch < 0x7f && ch != '(' && ch != ')' && ch != '{' &&
         ch != '"' && ch != '\\' && ch != '%' && ch != ']';
}

static gboolean
is_known_data (const char *name)
{
  static const char * const known[] = {
    "CAPABILITY", "ENABLED", "FLAGS", "LIST", "LSUB", "XLIST", "STATUS", "SEARCH",
    "ESEARCH", "EXISTS", "RECENT", "EXPUNGE", "FETCH", "VANISHED", "NAMESPACE",
    "ID", "SORT", "THREAD", "QUOTA", "QUOTAROOT", "METADATA", NULL,
  };

  return g_strv_contains (known, name);
}

static gboolean
parse_response (Cursor            *c,
                KurirImapResponse *response)
{
  gsize start;
  gsize saved;
  g_autofree char *keyword = NULL;

  if (c->data[0] == '+')
    {
      response->kind = KURIR_IMAP_RESPONSE_CONTINUATION;
      c->pos = 1;
      if (c->pos < c->len && c->data[c->pos] == ' ')
        c->pos++;
      response->text = read_rest_of_line (c);
      return expect_end (c);
    }

  /* The tag. */
  while (c->pos < c->len && is_tag_char (c->data[c->pos]))
    c->pos++;
  if (c->pos == 0)
    return fail (c, KURIR_IMAP_ERROR_PROTOCOL, "no tag");
  if (c->pos == 1 && c->data[0] == '*')
    response->kind = KURIR_IMAP_RESPONSE_UNTAGGED;
  else
    {
      response->kind = KURIR_IMAP_RESPONSE_TAGGED;
      response->tag = g_strndup ((const char *) c->data, c->pos);
    }
  if (skip_spaces (c) == 0)
    return fail (c, KURIR_IMAP_ERROR_PROTOCOL, "no space after the tag");

  /* The message number of "* 3 EXISTS". */
  if (response->kind == KURIR_IMAP_RESPONSE_UNTAGGED && c->pos < c->len &&
      g_ascii_isdigit (c->data[c->pos]))
    {
      guint64 number;

      start = c->pos;
      while (c->pos < c->len && g_ascii_isdigit (c->data[c->pos]))
        c->pos++;
      if (!parse_number ((const char *) c->data + start, c->pos - start, &number) ||
          number > G_MAXUINT32)
        return fail (c, KURIR_IMAP_ERROR_PROTOCOL, "a message number out of range");
      response->has_number = TRUE;
      response->number = (guint32) number;
      if (skip_spaces (c) == 0)
        return fail (c, KURIR_IMAP_ERROR_PROTOCOL, "no space after the message number");
    }

  /* The keyword. */
  start = c->pos;
  while (c->pos < c->len && (g_ascii_isalnum (c->data[c->pos]) || c->data[c->pos] == '-' ||
                             c->data[c->pos] == '.' || c->data[c->pos] == '_'))
    c->pos++;
  if (c->pos == start)
    return fail (c, KURIR_IMAP_ERROR_PROTOCOL, "no response keyword");
  keyword = g_ascii_strup ((const char *) c->data + start, c->pos - start);
  response->name = g_strdup (keyword);

  response->status = response->has_number ? KURIR_IMAP_STATUS_NONE : status_from_keyword (keyword);
  if (response->status != KURIR_IMAP_STATUS_NONE)
    return read_resp_text (c, response);
  if (response->kind == KURIR_IMAP_RESPONSE_TAGGED)
    return fail (c, KURIR_IMAP_ERROR_PROTOCOL, "a tagged response that is not OK, NO or BAD");
  if (c->pos < c->len && !at_eol (c) && c->data[c->pos] != ' ')
    return fail (c, KURIR_IMAP_ERROR_PROTOCOL, "no space after the keyword");

  if ((g_str_equal (keyword, "EXISTS") || g_str_equal (keyword, "RECENT") ||
       g_str_equal (keyword, "EXPUNGE") || g_str_equal (keyword, "FETCH")) &&
      !response->has_number)
    return fail (c, KURIR_IMAP_ERROR_PROTOCOL, "%s without a message number", keyword);

  saved = c->pos;
  response->data = read_values_to_eol (c);
  if (response->data != NULL && expect_end (c))
    {
      if (g_str_equal (keyword, "FETCH"))
        return build_fetch_items (c, response);
      return TRUE;
    }

  /* An extension we do not know, that does not parse as values: keep its
   * text if it is one line, rather than dropping the connection. */
  if (!is_known_data (keyword) && c->error != NULL &&
      c->error->code == KURIR_IMAP_ERROR_PROTOCOL && memchr (c->data, '\n', c->len) == c->data + c->len - 1)
    {
      g_clear_error (&c->error);
      g_clear_pointer (&response->data, value_free);
      c->pos = saved;
      skip_spaces (c);
      response->text = read_rest_of_line (c);
      return expect_end (c);
    }
  return FALSE;
}

/* Helpers: framing */

/* Status responses and continuations are one line, whatever they end with. */
static gboolean
first_line_is_single (const guint8 *line,
                      gsize         len)
{
  gsize p = 0;
  gsize start;
  char keyword[8];

  if (len > 0 && line[0] == '+')
    return TRUE;
  while (p < len && line[p] != ' ')
    p++;
  if (p != 1 || line[0] != '*')
    return TRUE;
  while (p < len && line[p] == ' ')
    p++;
  if (p < len && g_ascii_isdigit (line[p]))
    return FALSE;
  start = p;
  while (p < len && g_ascii_isalpha (line[p]) && p - start < sizeof keyword - 1)
    {
      keyword[p - start] = g_ascii_toupper (line[p]);
      p++;
    }
  keyword[p - start] = '\0';
  if (p < len && g_ascii_isalpha (line[p]))
    return FALSE;
  return status_from_keyword (keyword) != KURIR_IMAP_STATUS_NONE;
}

/* The size of the literal a line segment ends with, quotes considered.
 * Returns FALSE (and sets error) for a bad announcement; *out_has is FALSE
 * when the segment ends otherwise. */
static gboolean
segment_literal (KurirImapParser *self,
                 const guint8    *line,
                 gsize            len,
                 gboolean        *out_has,
                 guint64         *out_size)
{
  gboolean quoted = FALSE;
  gsize end = len;
  gsize p;

  *out_has = FALSE;
  for (gsize i = 0; i < len; i++)
    {
      if (quoted)
        {
          if (line[i] == '\\')
            i++;
          else if (line[i] == '"')
            quoted = FALSE;
        }
      else if (line[i] == '"')
        quoted = TRUE;
    }
  if (quoted)
    return TRUE;
  if (end > 0 && line[end - 1] == '\r')
    end--;
  if (end == 0 || line[end - 1] != '}')
    return TRUE;

  p = end - 1;
  if (p > 0 && line[p - 1] == '+')
    {
      gsize q = p - 1;

      while (q > 0 && g_ascii_isdigit (line[q - 1]))
        q--;
      if (q > 0 && q < p - 1 && line[q - 1] == '{')
        {
          g_set_error (&self->error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_PROTOCOL,
                       "The server sent a non-synchronising literal, which only clients may send");
          return FALSE;
        }
      return TRUE;
    }
  while (p > 0 && g_ascii_isdigit (line[p - 1]))
    p--;
  if (p == 0 || p == end - 1 || line[p - 1] != '{')
    return TRUE;
  if (!parse_number ((const char *) line + p, end - 1 - p, out_size) ||
      *out_size > self->max_literal_size)
    {
      g_autofree char *digits = g_strndup ((const char *) line + p, MIN (end - 1 - p, 24));

      g_set_error (&self->error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_TOO_LARGE,
                   "The server announced a literal of %s bytes, more than the limit of %"
                   G_GUINT64_FORMAT " bytes", digits, self->max_literal_size);
      return FALSE;
    }
  *out_has = TRUE;
  return TRUE;
}

/* Moves the response [start, end) out of the buffer as raw bytes. */
static GBytes *
take_response (KurirImapParser *self,
               gsize            end)
{
  gsize size = end - self->start;
  GBytes *raw;

  if (self->start == 0 && size >= COMPACT_THRESHOLD && self->buffer->len - end <= size / 4)
    {
      GByteArray *rest = g_byte_array_sized_new (MAX (self->buffer->len - end, 4096));

      g_byte_array_append (rest, self->buffer->data + end, self->buffer->len - end);
      g_byte_array_set_size (self->buffer, end);
      raw = g_byte_array_free_to_bytes (self->buffer);
      self->buffer = rest;
      self->start = 0;
    }
  else
    {
      raw = g_bytes_new (self->buffer->data + self->start, size);
      self->start = end;
      if (self->start == self->buffer->len)
        {
          g_byte_array_set_size (self->buffer, 0);
          self->start = 0;
        }
      else if (self->start >= COMPACT_THRESHOLD)
        {
          g_byte_array_remove_range (self->buffer, 0, self->start);
          self->start = 0;
        }
    }
  self->scan = self->line_start = self->start;
  self->literal_left = 0;
  self->single_line = FALSE;
  return raw;
}

static gboolean
set_error (KurirImapParser  *self,
           GError          **error)
{
  g_assert (self->error != NULL);
  if (error != NULL)
    *error = g_error_copy (self->error);
  return FALSE;
}

static KurirImapResponse *
response_new (void)
{
  KurirImapResponse *response = g_new0 (KurirImapResponse, 1);

  g_atomic_ref_count_init (&response->ref_count);
  return response;
}

static void
response_free (KurirImapResponse *response)
{
  g_free (response->tag);
  g_free (response->name);
  g_free (response->text);
  g_free (response->code);
  g_free (response->code_text);
  value_free (response->code_args);
  value_free (response->data);
  if (response->fetch_items != NULL)
    {
      for (guint i = 0; i < response->fetch_items->len; i++)
        {
          KurirImapFetchItem *item = &g_array_index (response->fetch_items, KurirImapFetchItem, i);

          g_free (item->name);
          g_free (item->section);
        }
      g_array_unref (response->fetch_items);
    }
  g_clear_pointer (&response->raw, g_bytes_unref);
  g_free (response);
}

/* Overrides */

static void
kurir_imap_parser_finalize (GObject *object)
{
  KurirImapParser *self = KURIR_IMAP_PARSER (object);

  g_byte_array_unref (self->buffer);
  g_clear_error (&self->error);

  G_OBJECT_CLASS (kurir_imap_parser_parent_class)->finalize (object);
}

static void
kurir_imap_parser_class_init (KurirImapParserClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = kurir_imap_parser_finalize;
}

static void
kurir_imap_parser_init (KurirImapParser *self)
{
  self->max_line_length = KURIR_IMAP_DEFAULT_MAX_LINE_LENGTH;
  self->max_literal_size = KURIR_IMAP_DEFAULT_MAX_LITERAL_SIZE;
  self->max_response_size = KURIR_IMAP_DEFAULT_MAX_RESPONSE_SIZE;
  self->max_depth = KURIR_IMAP_DEFAULT_MAX_DEPTH;
  self->max_values = KURIR_IMAP_DEFAULT_MAX_VALUES;
  self->buffer = g_byte_array_sized_new (4096);
}

/* Public API: values */

KurirImapValueKind
kurir_imap_value_get_kind (const KurirImapValue *value)
{
  g_return_val_if_fail (value != NULL, KURIR_IMAP_VALUE_NIL);
  return value->kind;
}

gboolean
kurir_imap_value_is_nil (const KurirImapValue *value)
{
  return value != NULL && value->kind == KURIR_IMAP_VALUE_NIL;
}

gboolean
kurir_imap_value_get_number (const KurirImapValue *value,
                             guint64              *out_number)
{
  if (value == NULL || value->kind != KURIR_IMAP_VALUE_NUMBER)
    return FALSE;
  if (out_number != NULL)
    *out_number = value->number;
  return TRUE;
}

const char *
kurir_imap_value_get_string (const KurirImapValue *value)
{
  KurirImapValue *mutable = (KurirImapValue *) value;

  if (value == NULL)
    return NULL;
  switch (value->kind)
    {
    case KURIR_IMAP_VALUE_ATOM:
    case KURIR_IMAP_VALUE_STRING:
      return value->str;
    case KURIR_IMAP_VALUE_NUMBER:
      if (value->str == NULL)
        mutable->str = g_strdup_printf ("%" G_GUINT64_FORMAT, value->number);
      return value->str;
    case KURIR_IMAP_VALUE_LITERAL:
      if (value->str == NULL)
        {
          gsize size = 0;
          const char *data = g_bytes_get_data (value->bytes, &size);

          if (size > 0 && memchr (data, '\0', size) != NULL)
            return NULL;
          mutable->str = g_strndup (data, size);
        }
      return value->str;
    case KURIR_IMAP_VALUE_NIL:
    case KURIR_IMAP_VALUE_LIST:
    default:
      return NULL;
    }
}

GBytes *
kurir_imap_value_dup_bytes (const KurirImapValue *value)
{
  if (value == NULL)
    return NULL;
  switch (value->kind)
    {
    case KURIR_IMAP_VALUE_ATOM:
    case KURIR_IMAP_VALUE_STRING:
      return g_bytes_new (value->str, value->length);
    case KURIR_IMAP_VALUE_LITERAL:
      return g_bytes_ref (value->bytes);
    case KURIR_IMAP_VALUE_NIL:
    case KURIR_IMAP_VALUE_NUMBER:
    case KURIR_IMAP_VALUE_LIST:
    default:
      return NULL;
    }
}

gboolean
kurir_imap_value_is_literal8 (const KurirImapValue *value)
{
  return value != NULL && value->kind == KURIR_IMAP_VALUE_LITERAL && value->binary;
}

gboolean
kurir_imap_value_is_atom (const KurirImapValue *value,
                          const char           *name)
{
  g_return_val_if_fail (name != NULL, FALSE);
  return value != NULL && value->kind == KURIR_IMAP_VALUE_ATOM &&
         g_ascii_strcasecmp (value->str, name) == 0;
}

guint
kurir_imap_value_get_n_children (const KurirImapValue *value)
{
  if (value == NULL || value->kind != KURIR_IMAP_VALUE_LIST)
    return 0;
  return value->children->len;
}

const KurirImapValue *
kurir_imap_value_get_child (const KurirImapValue *value,
                            guint                 index)
{
  if (value == NULL || value->kind != KURIR_IMAP_VALUE_LIST || index >= value->children->len)
    return NULL;
  return g_ptr_array_index (value->children, index);
}

char *
kurir_imap_value_to_string (const KurirImapValue *value)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (value != NULL, NULL);
  append_value (out, value);
  return g_string_free (out, FALSE);
}

/* Public API: responses */

KurirImapResponse *
kurir_imap_response_ref (KurirImapResponse *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
kurir_imap_response_unref (KurirImapResponse *self)
{
  g_return_if_fail (self != NULL);
  if (g_atomic_ref_count_dec (&self->ref_count))
    response_free (self);
}

KurirImapResponseKind
kurir_imap_response_get_kind (const KurirImapResponse *self)
{
  g_return_val_if_fail (self != NULL, KURIR_IMAP_RESPONSE_UNTAGGED);
  return self->kind;
}

const char *
kurir_imap_response_get_tag (const KurirImapResponse *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->tag;
}

KurirImapStatus
kurir_imap_response_get_status (const KurirImapResponse *self)
{
  g_return_val_if_fail (self != NULL, KURIR_IMAP_STATUS_NONE);
  return self->status;
}

const char *
kurir_imap_response_get_name (const KurirImapResponse *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->name;
}

gboolean
kurir_imap_response_get_number (const KurirImapResponse *self,
                                guint32                 *out_number)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (self->has_number && out_number != NULL)
    *out_number = self->number;
  return self->has_number;
}

const char *
kurir_imap_response_get_text (const KurirImapResponse *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->text != NULL ? self->text : "";
}

const char *
kurir_imap_response_get_code (const KurirImapResponse *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->code;
}

const KurirImapValue *
kurir_imap_response_get_code_args (const KurirImapResponse *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->code_args;
}

const char *
kurir_imap_response_get_code_text (const KurirImapResponse *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->code_text != NULL ? self->code_text : "";
}

gboolean
kurir_imap_response_get_code_number (const KurirImapResponse *self,
                                     guint64                 *out_number)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (self->code_args == NULL || self->code_args->children->len != 1)
    return FALSE;
  return kurir_imap_value_get_number (g_ptr_array_index (self->code_args->children, 0), out_number);
}

const KurirImapValue *
kurir_imap_response_get_data (const KurirImapResponse *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->data;
}

GBytes *
kurir_imap_response_get_raw (const KurirImapResponse *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->raw;
}

char *
kurir_imap_response_to_string (const KurirImapResponse *self)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (self != NULL, NULL);

  if (self->kind == KURIR_IMAP_RESPONSE_CONTINUATION)
    {
      g_string_append_printf (out, "+ %s", self->text);
      return g_string_free (out, FALSE);
    }
  g_string_append (out, self->tag != NULL ? self->tag : "*");
  if (self->has_number)
    g_string_append_printf (out, " %u", self->number);
  g_string_append_printf (out, " %s", self->name);
  if (self->code != NULL)
    {
      g_string_append_printf (out, " [%s", self->code);
      if (self->code_args != NULL)
        for (guint i = 0; i < self->code_args->children->len; i++)
          {
            g_string_append_c (out, ' ');
            append_value (out, g_ptr_array_index (self->code_args->children, i));
          }
      else
        g_string_append_printf (out, " %s", self->code_text);
      g_string_append_c (out, ']');
    }
  if (self->data != NULL)
    for (guint i = 0; i < self->data->children->len; i++)
      {
        g_string_append_c (out, ' ');
        append_value (out, g_ptr_array_index (self->data->children, i));
      }
  if (self->text != NULL && self->text[0] != '\0')
    g_string_append_printf (out, " %s", self->text);
  return g_string_free (out, FALSE);
}

/* Public API: the parser */

KurirImapParser *
kurir_imap_parser_new (void)
{
  return g_object_new (KURIR_TYPE_IMAP_PARSER, NULL);
}

void
kurir_imap_parser_set_max_line_length (KurirImapParser *self,
                                       gsize            max_length)
{
  g_return_if_fail (KURIR_IS_IMAP_PARSER (self));
  g_return_if_fail (max_length >= 64);
  self->max_line_length = max_length;
}

void
kurir_imap_parser_set_max_literal_size (KurirImapParser *self,
                                        guint64          max_size)
{
  g_return_if_fail (KURIR_IS_IMAP_PARSER (self));
  self->max_literal_size = max_size;
}

void
kurir_imap_parser_set_max_response_size (KurirImapParser *self,
                                         guint64          max_size)
{
  g_return_if_fail (KURIR_IS_IMAP_PARSER (self));
  self->max_response_size = max_size;
}

void
kurir_imap_parser_set_max_depth (KurirImapParser *self,
                                 guint            max_depth)
{
  g_return_if_fail (KURIR_IS_IMAP_PARSER (self));
  g_return_if_fail (max_depth >= 1);
  self->max_depth = max_depth;
}

void
kurir_imap_parser_set_max_values (KurirImapParser *self,
                                  guint            max_values)
{
  g_return_if_fail (KURIR_IS_IMAP_PARSER (self));
  g_return_if_fail (max_values >= 16);
  self->max_values = max_values;
}

void
kurir_imap_parser_feed (KurirImapParser *self,
                        const char      *data,
                        gsize            length)
{
  g_return_if_fail (KURIR_IS_IMAP_PARSER (self));
  g_return_if_fail (data != NULL || length == 0);

  if (self->error != NULL || length == 0)
    return;
  /* Drop the responses already taken, so a large one that follows can be
   * handed over without a copy. */
  if (self->start > 0)
    {
      g_byte_array_remove_range (self->buffer, 0, self->start);
      self->scan -= self->start;
      self->line_start -= self->start;
      self->start = 0;
    }
  g_byte_array_append (self->buffer, (const guint8 *) data, length);
}

gboolean
kurir_imap_parser_next (KurirImapParser    *self,
                        KurirImapResponse **out,
                        GError            **error)
{
  g_autoptr(KurirImapResponse) response = NULL;
  gsize end;
  Cursor c = { NULL, };

  g_return_val_if_fail (KURIR_IS_IMAP_PARSER (self), FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  *out = NULL;
  if (self->error != NULL)
    return set_error (self, error);

  /* Framing: find the end of the response. */
  for (;;)
    {
      const guint8 *data = self->buffer->data;
      gsize len = self->buffer->len;
      const guint8 *lf;
      gboolean has_literal;
      guint64 size = 0;

      if (self->literal_left > 0)
        {
          gsize take = MIN ((guint64) (len - self->scan), self->literal_left);

          self->scan += take;
          self->literal_left -= take;
          if (self->literal_left > 0)
            return FALSE;
          self->line_start = self->scan;
        }

      lf = self->scan < len ? memchr (data + self->scan, '\n', len - self->scan) : NULL;
      if (lf == NULL)
        {
          self->scan = len;
          if (len - self->line_start > self->max_line_length)
            {
              g_set_error (&self->error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_TOO_LARGE,
                           "The server sent a line longer than %" G_GSIZE_FORMAT " bytes",
                           self->max_line_length);
              return set_error (self, error);
            }
          return FALSE;
        }
      self->scan = lf - data + 1;
      if (self->scan - 1 - self->line_start > self->max_line_length)
        {
          g_set_error (&self->error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_TOO_LARGE,
                       "The server sent a line longer than %" G_GSIZE_FORMAT " bytes",
                       self->max_line_length);
          return set_error (self, error);
        }

      if (self->line_start == self->start)
        {
          gsize line_len = self->scan - self->start;

          /* Tolerate stray empty lines between responses. */
          if (line_len == 1 || (line_len == 2 && data[self->start] == '\r'))
            {
              self->start = self->line_start = self->scan;
              continue;
            }
          self->single_line = first_line_is_single (data + self->start, line_len - 1);
        }
      if (self->single_line)
        break;

      if (!segment_literal (self, data + self->line_start, self->scan - 1 - self->line_start,
                            &has_literal, &size))
        return set_error (self, error);
      if (!has_literal)
        break;
      if ((guint64) (self->scan - self->start) + size > self->max_response_size)
        {
          g_set_error (&self->error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_TOO_LARGE,
                       "The server sent a response larger than %" G_GUINT64_FORMAT " bytes",
                       self->max_response_size);
          return set_error (self, error);
        }
      self->literal_left = size;
      self->line_start = self->scan;
      if (size == 0)
        continue;
    }

  /* Parsing: the response is complete in [start, scan). */
  end = self->scan;
  response = response_new ();
  response->raw = take_response (self, end);
  c.parser = self;
  c.raw = response->raw;
  c.data = g_bytes_get_data (response->raw, &c.len);
  if (!parse_response (&c, response))
    {
      g_assert (c.error != NULL);
      self->error = g_steal_pointer (&c.error);
      return set_error (self, error);
    }
  g_assert (c.error == NULL);

  *out = g_steal_pointer (&response);
  return TRUE;
}

gboolean
kurir_imap_parser_finish (KurirImapParser  *self,
                          GError          **error)
{
  g_return_val_if_fail (KURIR_IS_IMAP_PARSER (self), FALSE);

  if (self->error != NULL)
    return set_error (self, error);
  if (self->buffer->len > self->start)
    {
      g_set_error (&self->error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_CLOSED,
                   "The connection ended in the middle of a response (%" G_GSIZE_FORMAT
                   " bytes unread)", (gsize) (self->buffer->len - self->start));
      return set_error (self, error);
    }
  return TRUE;
}

gsize
kurir_imap_parser_get_pending (KurirImapParser *self)
{
  g_return_val_if_fail (KURIR_IS_IMAP_PARSER (self), 0);
  return self->buffer->len - self->start;
}
