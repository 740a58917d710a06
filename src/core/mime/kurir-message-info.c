/* kurir-message-info.c: what the index needs to know about one message
 *
 * Never fails: a message that does not parse is described as far as it
 * parses. Every value kept is bounded (see kurir-mime-private.h) and valid
 * UTF-8.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-mime"

#include "config.h"

#include <string.h>

#include "kurir-message-info.h"
#include "kurir-mime-private.h"

#define FILENAME_MAX_BYTES  255
#define EXTENSION_MAX_BYTES 32
#define PREVIEW_SOURCE_MAX  (16 * 1024)

/* Helpers */

static gboolean
is_unsafe_in_filename (gunichar c)
{
  return c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) ||
         (c >= 0x202a && c <= 0x202e) ||   /* bidi embeddings and overrides */
         (c >= 0x2066 && c <= 0x2069) ||   /* bidi isolates */
         c == 0x200e || c == 0x200f ||     /* LRM, RLM */
         c == 0x061c ||                    /* Arabic letter mark */
         c == 0xfeff;                      /* byte order mark */
}

static char *
clean_id (const char *id)
{
  g_autofree char *clean = kurir_mime_clean_line (id, KURIR_MIME_ID_MAX);

  if (clean == NULL || *clean == '\0')
    return NULL;
  return g_steal_pointer (&clean);
}

static char **
parse_references (const char *raw)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *bounded = NULL;
  GMimeReferences *refs;

  if (raw != NULL)
    {
      bounded = g_strndup (raw, KURIR_MIME_REFERENCES_MAX);
      refs = g_mime_references_parse (kurir_mime_get_parser_options (), bounded);
      if (refs != NULL)
        {
          for (int i = 0; i < g_mime_references_length (refs); i++)
            {
              char *id = clean_id (g_mime_references_get_message_id (refs, i));

              if (id != NULL)
                g_ptr_array_add (ids, id);
            }
          g_mime_references_free (refs);
        }
    }
  g_ptr_array_add (ids, NULL);

  return (char **) g_ptr_array_free (g_steal_pointer (&ids), FALSE);
}

static char *
first_reference (const char *raw)
{
  g_auto(GStrv) ids = NULL;
  g_autofree char *bounded = NULL;

  if (raw == NULL)
    return NULL;
  bounded = g_strndup (raw, KURIR_MIME_ID_MAX * 4);
  ids = parse_references (bounded);
  if (ids[0] != NULL)
    return g_strdup (ids[0]);
  return NULL;
}

static InternetAddressMailbox *
first_mailbox (InternetAddressList *list,
               guint                depth)
{
  int count = list != NULL ? internet_address_list_length (list) : 0;

  for (int i = 0; i < count; i++)
    {
      InternetAddress *address = internet_address_list_get_address (list, i);

      if (INTERNET_ADDRESS_IS_MAILBOX (address))
        return INTERNET_ADDRESS_MAILBOX (address);
      if (INTERNET_ADDRESS_IS_GROUP (address) && depth < 2)
        {
          InternetAddressMailbox *found =
            first_mailbox (internet_address_group_get_members (INTERNET_ADDRESS_GROUP (address)), depth + 1);

          if (found != NULL)
            return found;
        }
    }
  return NULL;
}

static char *
address_lowercase_domain (const char *addr)
{
  g_autofree char *clean = kurir_mime_clean_line (addr, KURIR_MIME_ID_MAX);
  char *at;

  if (clean == NULL || *clean == '\0')
    return NULL;
  at = strrchr (clean, '@');
  if (at != NULL)
    {
      g_autofree char *domain = g_utf8_strdown (at + 1, -1);

      *at = '\0';
      return g_strconcat (clean, "@", domain, NULL);
    }
  return g_steal_pointer (&clean);
}

/* @list for display; without an address in it, @value (the first field's
 * decoded value) as it is. */
static char *
addresses_display (InternetAddressList *list,
                   const char          *value)
{
  char *display = kurir_mime_format_addresses (list, KURIR_MIME_ADDRESSES_MAX);

  if (display == NULL)
    {
      /* no address in it: show what is there, decoded */
      display = kurir_mime_clean_line (value, KURIR_MIME_ADDRESSES_MAX);
      if (display != NULL && *display == '\0')
        g_clear_pointer (&display, g_free);
    }
  return display;
}

static char *
addresses (GMimeMessage     *message,
           GMimeAddressType  type,
           const char       *header)
{
  return addresses_display (g_mime_message_get_addresses (message, type),
                            g_mime_object_get_header (GMIME_OBJECT (message), header));
}

static gboolean
is_signature_line (const char *line,
                   gsize       len)
{
  return (len == 3 && memcmp (line, "-- ", 3) == 0) || (len == 2 && memcmp (line, "--", 2) == 0);
}

static const char *
skip_blanks (const char *p,
             const char *end)
{
  while (p < end && (*p == ' ' || *p == '\t'))
    p++;
  return p;
}

static void
append_collapsed (GString    *out,
                  const char *text,
                  gsize       len)
{
  for (gsize i = 0; i < len; i++)
    {
      char c = text[i];

      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v')
        {
          if (out->len > 0 && out->str[out->len - 1] != ' ')
            g_string_append_c (out, ' ');
          continue;
        }
      g_string_append_c (out, c);
    }
}

/* The beginning of the body on one line: quoted lines, the line that
 * introduces them, and the signature left out. */
static char *
make_preview (const char *body)
{
  gsize body_len = strlen (body);
  const char *end = body + MIN (body_len, (gsize) PREVIEW_SOURCE_MAX);
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree char *valid = NULL;
  const char *p = body;

  while (p < end && out->len < KURIR_MESSAGE_INFO_PREVIEW_CHARS * 4)
    {
      const char *nl = memchr (p, '\n', end - p);
      const char *line_end = nl != NULL ? nl : end;
      const char *start = skip_blanks (p, line_end);
      gsize len = line_end - p;

      if (len > 0 && p[len - 1] == '\r')
        len--;
      if (is_signature_line (p, len))
        break;
      if (start < line_end && *start == '>')
        goto next;
      if (len > 0 && p[len - 1] == ':' && nl != NULL)
        {
          /* "On Monday, Ann wrote:" before a quote */
          const char *q = nl + 1;

          while (q < end && (*q == '\n' || *q == '\r'))
            q++;
          q = skip_blanks (q, end);
          if (q < end && *q == '>')
            goto next;
        }
      append_collapsed (out, p, len);
      append_collapsed (out, " ", 1);

next:
      p = nl != NULL ? nl + 1 : end;
    }

  if (out->len == 0 || (out->len == 1 && out->str[0] == ' '))
    {
      /* only quotes: better the quote than nothing */
      g_string_truncate (out, 0);
      append_collapsed (out, body, MIN (body_len, (gsize) KURIR_MESSAGE_INFO_PREVIEW_CHARS * 4));
    }

  valid = g_utf8_make_valid (out->str, out->len);
  g_strstrip (valid);
  if (g_utf8_strlen (valid, -1) > KURIR_MESSAGE_INFO_PREVIEW_CHARS)
    *g_utf8_offset_to_pointer (valid, KURIR_MESSAGE_INFO_PREVIEW_CHARS) = '\0';
  g_strchomp (valid);

  return g_steal_pointer (&valid);
}

char *
kurir_mime_leaf_get_attachment_name (GMimeObject *object)
{
  g_autofree char *filename = kurir_mime_leaf_get_filename (object);

  if (filename == NULL && GMIME_IS_MESSAGE_PART (object))
    {
      GMimeMessage *embedded = g_mime_message_part_get_message (GMIME_MESSAGE_PART (object));
      const char *subject = embedded != NULL ? g_mime_message_get_subject (embedded) : NULL;
      g_autofree char *clean = kurir_mime_clean_line (subject, 200);

      filename = g_strconcat (clean != NULL && *clean != '\0' ? clean : "message", ".eml", NULL);
    }

  return kurir_mime_sanitize_filename (filename);
}

static void
append_body (GString    *body,
             const char *text)
{
  gsize room;
  g_autofree char *piece = NULL;

  if (text == NULL || *text == '\0')
    return;
  if (body->len > 0)
    g_string_append (body, "\n\n");
  room = body->len < KURIR_MESSAGE_INFO_BODY_TEXT_BYTES ? KURIR_MESSAGE_INFO_BODY_TEXT_BYTES - body->len : 0;
  piece = kurir_mime_utf8_truncate (g_strdup (text), room);
  g_string_append (body, piece);
}

/* Helpers: a header alone (an IMAP summary), without GMime's objects
 *
 * GMime builds an object per header field, a message, a part and six
 * address lists for every header it parses: most of a summary's cost.
 * A header block with nothing after it, made only of well-formed fields,
 * gets the same values here from the same GMime functions GMimeMessage
 * applies to each field (unfold, RFC 2047 decoding, address lists, dates,
 * Message-IDs): the last Subject, Date and Message-ID, every From/To/Cc
 * field's addresses, the first In-Reply-To and References. Anything else
 * (a body, a malformed line, an oversized field, a part that could be
 * HTML or an attachment) goes through GMime as before. */

typedef struct
{
  const char *name;
  gsize       name_len;
  const char *value;        /* after the colon, up to the field's last line end */
  gsize       value_len;
} HeaderField;

#define FAST_MAX_FIELDS 256

static gboolean
field_is (const HeaderField *field,
          const char        *name)
{
  return strlen (name) == field->name_len && g_ascii_strncasecmp (field->name, name, field->name_len) == 0;
}

/* Splits @data into fields; FALSE when it is not a plain header block. */
static gboolean
split_header_only (const char  *data,
                   gsize        length,
                   GArray      *fields)
{
  const char *end = data + length;
  const char *p = data;
  HeaderField *last = NULL;

  if (length == 0 || length > KURIR_MIME_HEADER_BLOCK_MAX || memchr (data, '\0', length) != NULL)
    return FALSE;

  while (p < end)
    {
      const char *nl = memchr (p, '\n', end - p);
      const char *line_end = nl != NULL ? nl + 1 : end;
      gsize len = line_end - p;

      if ((len == 1 && p[0] == '\n') || (len == 2 && p[0] == '\r' && p[1] == '\n'))
        return line_end == end && last != NULL;   /* the blank line ends it: nothing after */

      if (p[0] == ' ' || p[0] == '\t')
        {
          /* A continuation; a line of blanks alone is not one we know. */
          const char *q = p;

          if (last == NULL)
            return FALSE;
          while (q < line_end && (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n'))
            q++;
          if (q == line_end)
            return FALSE;
          last->value_len = line_end - last->value;
        }
      else
        {
          HeaderField field = { p, 0, NULL, 0 };
          const char *q = p;

          while (q < line_end && *q != ':' && (guchar) *q > 32 && (guchar) *q < 127)
            q++;
          if (q == p || q == line_end || *q != ':' || fields->len >= FAST_MAX_FIELDS)
            return FALSE;
          field.name_len = q - p;
          field.value = q + 1;
          field.value_len = line_end - field.value;
          g_array_append_val (fields, field);
          last = &g_array_index (fields, HeaderField, fields->len - 1);
        }
      if (last->value + last->value_len - last->name > KURIR_MIME_HEADER_FIELD_MAX)
        return FALSE;
      p = line_end;
    }
  return last != NULL;   /* no blank line: the data ends in the header */
}

/* The field's raw value: without its last line end. */
static char *
field_raw (const HeaderField *field)
{
  gsize len = field->value_len;

  if (len > 0 && field->value[len - 1] == '\n')
    len--;
  if (len > 0 && field->value[len - 1] == '\r')
    len--;
  return g_strndup (field->value, len);
}

/* What g_mime_header_get_value() gives for the field. */
static char *
field_value (const HeaderField *field)
{
  g_autofree char *raw = field_raw (field);
  g_autofree char *unfolded = g_mime_utils_header_unfold (raw);

  return g_mime_utils_header_decode_text (kurir_mime_get_parser_options (), unfolded);
}

/* Whether the message part of a header alone has no text, HTML or
 * attachment for the walk: no Content-Type (text/plain), or text/plain
 * without a name, or a multipart (no parts without a body). */
static gboolean
fast_content_type_ok (GArray *fields)
{
  const HeaderField *type_field = NULL;

  for (guint i = 0; i < fields->len; i++)
    {
      const HeaderField *field = &g_array_index (fields, HeaderField, i);

      if (field->name_len > 8 && g_ascii_strncasecmp (field->name, "content-", 8) == 0)
        {
          if (field_is (field, "content-type") && type_field == NULL)
            type_field = field;
          else if (!field_is (field, "content-transfer-encoding"))
            return FALSE;   /* a second type, a disposition, a description... */
        }
    }
  if (type_field != NULL)
    {
      g_autofree char *raw = field_raw (type_field);
      g_autoptr(GMimeContentType) type = g_mime_content_type_parse (kurir_mime_get_parser_options (), raw);

      if (type == NULL)
        return FALSE;
      if (g_mime_content_type_is_type (type, "multipart", "*"))
        return TRUE;
      if (!g_mime_content_type_is_type (type, "text", "plain") ||
          g_mime_content_type_get_parameter (type, "name") != NULL)
        return FALSE;
    }
  return TRUE;
}

static InternetAddressList *
fast_addresses (GArray     *fields,
                const char *name,
                char      **out_first_value)
{
  InternetAddressList *list = internet_address_list_new ();

  for (guint i = 0; i < fields->len; i++)
    {
      const HeaderField *field = &g_array_index (fields, HeaderField, i);
      g_autofree char *raw = NULL;
      InternetAddressList *parsed;

      if (!field_is (field, name))
        continue;
      if (*out_first_value == NULL)
        *out_first_value = field_value (field);
      raw = field_raw (field);
      parsed = internet_address_list_parse (kurir_mime_get_parser_options (), raw);
      if (parsed != NULL)
        {
          internet_address_list_append (list, parsed);
          g_object_unref (parsed);
        }
    }
  return list;
}

static const HeaderField *
find_field (GArray     *fields,
            const char *name,
            gboolean    last)
{
  const HeaderField *found = NULL;

  for (guint i = 0; i < fields->len; i++)
    {
      const HeaderField *field = &g_array_index (fields, HeaderField, i);

      if (field_is (field, name))
        {
          found = field;
          if (!last)
            break;
        }
    }
  return found;
}

/* The description of a header alone, or NULL when GMime must see it. */
static KurirMessageInfo *
info_from_header_only (const char *data,
                       gsize       length)
{
  g_autoptr(GArray) fields = g_array_new (FALSE, FALSE, sizeof (HeaderField));
  KurirMessageInfo *info;
  const HeaderField *field;
  InternetAddressList *list;
  InternetAddressMailbox *mailbox;
  g_autofree char *first_value = NULL;

  if (!split_header_only (data, length, fields) || !fast_content_type_ok (fields))
    return NULL;

  info = g_new0 (KurirMessageInfo, 1);

  if ((field = find_field (fields, "message-id", TRUE)) != NULL)
    {
      g_autofree char *value = field_value (field);
      g_autofree char *id = g_mime_utils_decode_message_id (value);

      info->message_id = clean_id (id);
    }
  if ((field = find_field (fields, "in-reply-to", FALSE)) != NULL)
    {
      g_autofree char *value = field_value (field);

      info->in_reply_to = first_reference (value);
    }
  if ((field = find_field (fields, "references", FALSE)) != NULL)
    {
      g_autofree char *value = field_value (field);

      info->references = parse_references (value);
    }
  else
    info->references = parse_references (NULL);

  if ((field = find_field (fields, "date", TRUE)) != NULL)
    {
      g_autofree char *value = field_value (field);
      GDateTime *date = g_mime_utils_header_decode_date (value);

      if (date != NULL)
        {
          info->date = g_date_time_to_unix (date);
          g_date_time_unref (date);
        }
    }

  list = fast_addresses (fields, "from", &first_value);
  info->from = addresses_display (list, first_value);
  mailbox = first_mailbox (list, 0);
  if (mailbox != NULL)
    info->from_address = address_lowercase_domain (internet_address_mailbox_get_addr (mailbox));
  g_object_unref (list);
  g_clear_pointer (&first_value, g_free);

  list = fast_addresses (fields, "to", &first_value);
  info->to = addresses_display (list, first_value);
  g_object_unref (list);
  g_clear_pointer (&first_value, g_free);

  list = fast_addresses (fields, "cc", &first_value);
  info->cc = addresses_display (list, first_value);
  g_object_unref (list);
  g_clear_pointer (&first_value, g_free);

  if ((field = find_field (fields, "subject", TRUE)) != NULL)
    {
      g_autofree char *value = field_value (field);

      info->subject = kurir_mime_clean_line (value, KURIR_MIME_SUBJECT_MAX);
    }

  info->attachment_names = g_new0 (char *, 1);
  info->body_text = g_strdup ("");
  info->preview = make_preview (info->body_text);
  return info;
}

/* Public API */

KurirMessageInfo *
kurir_message_info_new_from_data (const char *data,
                                  gsize       length)
{
  KurirMessageInfo *info;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  info = info_from_header_only (data, length);
  if (info != NULL)
    return info;
  return kurir_message_info_new_with_gmime (data, length);
}

/* Always through a whole GMimeMessage: what the header-only path must
 * equal (tests compare the two). */
KurirMessageInfo *
kurir_message_info_new_with_gmime (const char *data,
                                   gsize       length)
{
  KurirMessageInfo *info = g_new0 (KurirMessageInfo, 1);
  g_autoptr(KurirMimeParsed) parsed = NULL;
  g_autoptr(GArray) leaves = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) plain_groups = g_hash_table_new (NULL, NULL);
  g_autoptr(GString) body = g_string_new (NULL);
  GMimeMessage *message;
  GMimeObject *object;
  GDateTime *date;
  InternetAddressMailbox *mailbox;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  parsed = kurir_mime_parse (data, length);
  message = parsed->message;
  object = GMIME_OBJECT (message);

  info->message_id = clean_id (g_mime_message_get_message_id (message));
  info->in_reply_to = first_reference (g_mime_object_get_header (object, "In-Reply-To"));
  info->references = parse_references (g_mime_object_get_header (object, "References"));

  date = g_mime_message_get_date (message);
  info->date = date != NULL ? g_date_time_to_unix (date) : 0;

  info->from = addresses (message, GMIME_ADDRESS_TYPE_FROM, "From");
  mailbox = first_mailbox (g_mime_message_get_from (message), 0);
  if (mailbox != NULL)
    info->from_address = address_lowercase_domain (internet_address_mailbox_get_addr (mailbox));
  info->to = addresses (message, GMIME_ADDRESS_TYPE_TO, "To");
  info->cc = addresses (message, GMIME_ADDRESS_TYPE_CC, "Cc");
  info->subject = kurir_mime_clean_line (g_mime_message_get_subject (message), KURIR_MIME_SUBJECT_MAX);

  leaves = kurir_mime_collect_leaves (message);
  for (guint i = 0; i < leaves->len; i++)
    {
      KurirMimeLeaf *leaf = &g_array_index (leaves, KurirMimeLeaf, i);

      if (leaf->kind == KURIR_MIME_LEAF_PLAIN && leaf->alternative_group >= 0)
        g_hash_table_add (plain_groups, GINT_TO_POINTER (leaf->alternative_group));
    }

  for (guint i = 0; i < leaves->len; i++)
    {
      KurirMimeLeaf *leaf = &g_array_index (leaves, KurirMimeLeaf, i);
      gsize room = body->len < KURIR_MESSAGE_INFO_BODY_TEXT_BYTES ? KURIR_MESSAGE_INFO_BODY_TEXT_BYTES - body->len : 0;

      switch (leaf->kind)
        {
        case KURIR_MIME_LEAF_ATTACHMENT:
          g_ptr_array_add (names, kurir_mime_leaf_get_attachment_name (leaf->object));
          break;

        case KURIR_MIME_LEAF_PLAIN:
          if (room > 0)
            {
              g_autofree char *text = kurir_mime_part_get_text (leaf->object, room);

              append_body (body, text);
            }
          break;

        case KURIR_MIME_LEAF_HTML:
          info->has_html = TRUE;
          if (room > 0 &&
              !(leaf->alternative_group >= 0 &&
                g_hash_table_contains (plain_groups, GINT_TO_POINTER (leaf->alternative_group))))
            {
              g_autofree char *html = kurir_mime_part_get_text (leaf->object, KURIR_MIME_HTML_INPUT_MAX);
              g_autofree char *text = kurir_mime_html_to_text_bounded (html, strlen (html), room);

              append_body (body, text);
            }
          break;

        default:
          g_assert_not_reached ();
        }
    }

  info->n_attachments = names->len;
  g_ptr_array_add (names, NULL);
  info->attachment_names = (char **) g_ptr_array_free (g_steal_pointer (&names), FALSE);
  info->body_text = g_string_free (g_steal_pointer (&body), FALSE);
  info->preview = make_preview (info->body_text);

  return info;
}

void
kurir_message_info_free (KurirMessageInfo *info)
{
  if (info == NULL)
    return;

  g_free (info->message_id);
  g_free (info->in_reply_to);
  g_strfreev (info->references);
  g_free (info->from);
  g_free (info->from_address);
  g_free (info->to);
  g_free (info->cc);
  g_free (info->subject);
  g_strfreev (info->attachment_names);
  g_free (info->preview);
  g_free (info->body_text);
  g_free (info);
}

char *
kurir_mime_sanitize_filename (const char *name)
{
  g_autofree char *valid = NULL;
  g_autoptr(GString) clean = g_string_new (NULL);
  const char *base;
  const char *dot;
  gsize ext_len = 0;

  if (name == NULL)
    return g_strdup ("attachment");

  valid = g_utf8_make_valid (name, -1);

  /* the last component, whichever separator the sender's system used */
  base = valid;
  for (const char *p = valid; *p != '\0'; p++)
    if (*p == '/' || *p == '\\')
      base = p + 1;

  for (const char *p = base; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (!is_unsafe_in_filename (c))
        g_string_append_unichar (clean, c);
    }

  /* no leading dots or blanks, no trailing blanks */
  g_strchomp (clean->str);
  g_string_set_size (clean, strlen (clean->str));
  {
    gsize skip = 0;

    while (clean->str[skip] == '.' || clean->str[skip] == ' ' || clean->str[skip] == '\t')
      skip++;
    g_string_erase (clean, 0, skip);
  }
  if (clean->len == 0)
    return g_strdup ("attachment");

  if (clean->len <= FILENAME_MAX_BYTES)
    return g_string_free (g_steal_pointer (&clean), FALSE);

  /* too long: cut the stem, keep a sane extension */
  dot = strrchr (clean->str, '.');
  if (dot != NULL && dot != clean->str && strlen (dot) <= EXTENSION_MAX_BYTES)
    ext_len = strlen (dot);
  {
    g_autofree char *ext = g_strdup (clean->str + clean->len - ext_len);
    char *stem = kurir_mime_utf8_truncate (g_strndup (clean->str, clean->len - ext_len),
                                           FILENAME_MAX_BYTES - ext_len);
    char *result = g_strconcat (stem, ext, NULL);

    g_free (stem);
    return result;
  }
}
