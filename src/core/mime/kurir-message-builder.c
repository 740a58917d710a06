/* kurir-message-builder.c: new RFC 5322 messages, built with GMime
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-mime"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "kurir-message-builder.h"
#include "kurir-message-info.h"
#include "kurir-message-parts.h"
#include "kurir-mime-private.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeDataWrapper, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeObject, g_object_unref)

typedef struct
{
  char   *filename;
  char   *content_type;
  GBytes *data;
  gboolean is_message;
} Attachment;

struct _KurirMessageBuilder
{
  GObject    parent_instance;

  char      *from_name;
  char      *from_address;
  char      *reply_to;
  GPtrArray *recipients[3];   /* InternetAddressMailbox, per KurirRecipientKind */
  char      *subject;
  char      *body;
  char      *in_reply_to;
  GStrv      references;
  GDateTime *date;
  char      *message_id;
  gboolean   allow_8bit;
  GPtrArray *attachments;     /* Attachment */
};

G_DEFINE_TYPE (KurirMessageBuilder, kurir_message_builder, G_TYPE_OBJECT)

G_DEFINE_QUARK (kurir-message-builder-error-quark, kurir_message_builder_error)

/* Helpers */

static void
attachment_free (gpointer data)
{
  Attachment *attachment = data;

  g_free (attachment->filename);
  g_free (attachment->content_type);
  g_bytes_unref (attachment->data);
  g_free (attachment);
}

/* One line: CR, LF, TAB and other controls become spaces; valid UTF-8. */
static char *
fold_line (const char *text)
{
  g_autofree char *valid = NULL;
  GString *out;

  if (text == NULL)
    return NULL;
  valid = g_utf8_make_valid (text, -1);
  out = g_string_sized_new (strlen (valid));
  for (const char *p = valid; *p != '\0'; p++)
    {
      if ((guchar) *p < 0x20 || *p == 0x7f)
        {
          if (out->len > 0 && out->str[out->len - 1] != ' ')
            g_string_append_c (out, ' ');
        }
      else
        g_string_append_c (out, *p);
    }
  return g_strstrip (g_string_free (out, FALSE));
}

/* An addr-spec we accept: local@domain, printable, no spaces, no
 * brackets, no controls. */
static gboolean
address_is_valid (const char *address)
{
  const char *at;

  if (address == NULL || *address == '\0' || strlen (address) > 254)
    return FALSE;
  for (const char *p = address; *p != '\0'; p++)
    if ((guchar) *p <= 0x20 || *p == 0x7f || *p == '<' || *p == '>' || *p == ',' ||
        *p == '(' || *p == ')' || *p == '"' || *p == '\\' || *p == ';' || *p == ':')
      return FALSE;
  at = strrchr (address, '@');
  return at != NULL && at != address && at[1] != '\0' && strchr (address, '@') == at;
}

/* A msg-id without <>: id-left@id-right, no spaces or brackets. */
static gboolean
msg_id_is_valid (const char *id)
{
  if (id == NULL || *id == '\0' || strlen (id) > KURIR_MIME_ID_MAX)
    return FALSE;
  for (const char *p = id; *p != '\0'; p++)
    if ((guchar) *p <= 0x20 || (guchar) *p >= 0x7f || *p == '<' || *p == '>')
      return FALSE;
  return strchr (id, '@') != NULL;
}

static const char *
address_domain (const char *address)
{
  const char *at = address != NULL ? strrchr (address, '@') : NULL;

  return at != NULL && at[1] != '\0' ? at + 1 : "localhost";
}

static gboolean
domain_is_valid (const char *domain)
{
  if (domain == NULL || *domain == '\0' || strlen (domain) > 253)
    return FALSE;
  for (const char *p = domain; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

static char *
new_message_id (const char *domain)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  return g_strdup_printf ("%" G_GINT64_FORMAT ".%08x%08x@%s", g_date_time_to_unix (now),
                          g_random_int (), g_random_int (),
                          domain_is_valid (domain) ? domain : "localhost");
}

static gboolean
recipient_known (KurirMessageBuilder *self,
                 const char          *address)
{
  for (guint k = 0; k < G_N_ELEMENTS (self->recipients); k++)
    for (guint i = 0; i < self->recipients[k]->len; i++)
      {
        InternetAddressMailbox *mailbox = g_ptr_array_index (self->recipients[k], i);

        if (g_ascii_strcasecmp (internet_address_mailbox_get_addr (mailbox), address) == 0)
          return TRUE;
      }
  return FALSE;
}

/* Adds the mailboxes of @list (groups flattened) to @out; FALSE when one
 * is not a valid address. */
static gboolean
collect_mailboxes (InternetAddressList *list,
                   GPtrArray           *out,
                   guint                depth,
                   GError             **error)
{
  int n = list != NULL ? internet_address_list_length (list) : 0;

  for (int i = 0; i < n; i++)
    {
      InternetAddress *address = internet_address_list_get_address (list, i);

      if (INTERNET_ADDRESS_IS_GROUP (address))
        {
          if (depth < 2 &&
              !collect_mailboxes (internet_address_group_get_members (INTERNET_ADDRESS_GROUP (address)),
                                  out, depth + 1, error))
            return FALSE;
        }
      else
        {
          const char *addr = internet_address_mailbox_get_idn_addr (INTERNET_ADDRESS_MAILBOX (address));

          if (!address_is_valid (addr))
            {
              g_set_error (error, KURIR_MESSAGE_BUILDER_ERROR, KURIR_MESSAGE_BUILDER_ERROR_INVALID,
                           _("“%s” is not an email address"), addr != NULL ? addr : "");
              return FALSE;
            }
          g_ptr_array_add (out, g_object_ref (address));
        }
    }
  return TRUE;
}

/* Strips reply and forward prefixes: "Re:", "Re[2]:", "Fwd:", "AW:", ... */
static const char *
strip_prefixes (const char *subject)
{
  static const char *const prefixes[] = { "re", "fwd", "fw", "aw", "sv", "vs", "wg", "antw", "tr" };
  const char *p = subject;
  gboolean again = TRUE;

  while (again)
    {
      again = FALSE;
      while (*p == ' ' || *p == '\t')
        p++;
      for (guint i = 0; i < G_N_ELEMENTS (prefixes); i++)
        {
          gsize len = strlen (prefixes[i]);
          const char *q = p + len;

          if (g_ascii_strncasecmp (p, prefixes[i], len) != 0)
            continue;
          if (*q == '[')
            {
              q++;
              while (g_ascii_isdigit (*q))
                q++;
              if (*q != ']')
                continue;
              q++;
            }
          if (*q == ':')
            {
              p = q + 1;
              again = TRUE;
              break;
            }
        }
    }
  return p;
}

static void
append_flowed_line (GString    *out,
                    const char *prefix,
                    const char *content)
{
  gboolean stuff = *prefix == '\0' && (content[0] == ' ' || g_str_has_prefix (content, "From ") ||
                                      content[0] == '>');
  gsize len = strlen (content);

  /* Trailing spaces would mark a soft break; the signature separator
   * "-- " is the exception (RFC 3676 4.3). */
  if (strcmp (content, "-- ") != 0)
    while (len > 0 && content[len - 1] == ' ')
      len--;

  while (TRUE)
    {
      gsize width = 0, cut = 0;
      const char *p = content;
      gsize plen = strlen (prefix) + (stuff ? 1 : 0);

      /* The longest piece that ends after a space, within the width. */
      while ((gsize) (p - content) < len)
        {
          const char *next = g_utf8_next_char (p);

          width++;
          if (*p == ' ' && width + plen <= KURIR_MESSAGE_BUILDER_WRAP)
            cut = next - content;
          if (width + plen > KURIR_MESSAGE_BUILDER_WRAP && cut > 0)
            break;
          p = next;
        }
      g_string_append (out, prefix);
      if (stuff)
        g_string_append_c (out, ' ');
      if ((gsize) (p - content) >= len || cut == 0)
        {
          g_string_append_len (out, content, len);
          g_string_append_c (out, '\n');
          return;
        }
      /* The space stays at the end of the line: a soft break. */
      g_string_append_len (out, content, cut);
      g_string_append_c (out, '\n');
      content += cut;
      len -= cut;
      /* A continuation is stuffed when it starts with a space or "From ". */
      stuff = *prefix == '\0' ? (content[0] == ' ' || g_str_has_prefix (content, "From ") ||
                                 content[0] == '>')
                              : FALSE;
      if (*prefix != '\0' && content[0] != ' ')
        {
          /* Keep "> " quoting readable on continuation lines. */
          GString *rest = g_string_new (" ");

          g_string_append_len (rest, content, len);
          append_flowed_line (out, prefix, rest->str);
          g_string_free (rest, TRUE);
          return;
        }
    }
}

static gboolean
needs_encoding (const char *text,
                gboolean   *out_8bit)
{
  gsize line = 0;
  gboolean high = FALSE, long_line = FALSE;

  for (const char *p = text; *p != '\0'; p++)
    {
      if ((guchar) *p >= 0x80)
        high = TRUE;
      if (*p == '\n')
        line = 0;
      else if (++line > 998)
        long_line = TRUE;
    }
  *out_8bit = high;
  return high || long_line;
}

static GMimeObject *
text_part (KurirMessageBuilder *self)
{
  g_autofree char *flowed = kurir_message_builder_flow (self->body != NULL ? self->body : "");
  GMimeTextPart *part = g_mime_text_part_new_with_subtype ("plain");
  gboolean high = FALSE;
  GMimeContentEncoding encoding = GMIME_CONTENT_ENCODING_7BIT;

  g_autoptr(GMimeStream) stream = g_mime_stream_mem_new_with_buffer (flowed, strlen (flowed));
  g_autoptr(GMimeDataWrapper) wrapper = g_mime_data_wrapper_new_with_stream (stream,
                                                                             GMIME_CONTENT_ENCODING_DEFAULT);

  /* The bytes as UTF-8: set_text() would pick a legacy charset. */
  g_mime_part_set_content (GMIME_PART (part), wrapper);
  g_mime_text_part_set_charset (part, "utf-8");
  g_mime_object_set_content_type_parameter (GMIME_OBJECT (part), "format", "flowed");
  if (needs_encoding (flowed, &high))
    {
      gboolean long_line = FALSE;

      for (const char *p = flowed, *start = flowed; *p != '\0'; p++)
        if (*p == '\n')
          {
            long_line |= p - start > 998;
            start = p + 1;
          }
      encoding = high && self->allow_8bit && !long_line ? GMIME_CONTENT_ENCODING_8BIT
                                                        : GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE;
    }
  g_mime_part_set_content_encoding (GMIME_PART (part), encoding);
  return GMIME_OBJECT (part);
}

static GMimeObject *
attachment_part (Attachment *attachment)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (attachment->data, &size);
  g_autoptr(GMimeStream) stream = g_mime_stream_mem_new_with_buffer ((const char *) data, size);
  g_autoptr(GMimeDataWrapper) wrapper = NULL;

  if (attachment->is_message)
    {
      g_autoptr(GMimeParser) parser = g_mime_parser_new_with_stream (stream);
      g_autoptr(GMimeMessage) message = g_mime_parser_construct_message (parser,
                                                                        kurir_mime_get_parser_options ());
      GMimeMessagePart *part;

      if (message != NULL)
        {
          part = g_mime_message_part_new_with_message ("rfc822", message);
          g_mime_object_set_disposition (GMIME_OBJECT (part), "attachment");
          if (attachment->filename != NULL)
            g_mime_object_set_content_disposition_parameter (GMIME_OBJECT (part), "filename",
                                                             attachment->filename);
          return GMIME_OBJECT (part);
        }
      g_mime_stream_reset (stream);
    }

  {
    g_autoptr(GMimeContentType) type = g_mime_content_type_parse (kurir_mime_get_parser_options (),
                                                                  attachment->content_type);
    GMimePart *part = g_mime_part_new_with_type (g_mime_content_type_get_media_type (type),
                                                 g_mime_content_type_get_media_subtype (type));

    wrapper = g_mime_data_wrapper_new_with_stream (stream, GMIME_CONTENT_ENCODING_DEFAULT);
    g_mime_part_set_content (part, wrapper);
    g_mime_object_set_disposition (GMIME_OBJECT (part), "attachment");
    if (attachment->filename != NULL)
      {
        GMimeContentDisposition *disposition;
        GMimeParam *param;

        g_mime_part_set_filename (part, attachment->filename);
        /* RFC 2231 names in UTF-8, not whatever legacy charset fits. */
        disposition = g_mime_object_get_content_disposition (GMIME_OBJECT (part));
        param = g_mime_param_list_get_parameter (g_mime_content_disposition_get_parameters (disposition),
                                                 "filename");
        if (param != NULL)
          g_mime_param_set_charset (param, "utf-8");
        param = g_mime_param_list_get_parameter (g_mime_content_type_get_parameters (
                                                   g_mime_object_get_content_type (GMIME_OBJECT (part))),
                                                 "name");
        if (param != NULL)
          g_mime_param_set_charset (param, "utf-8");
      }
    g_mime_part_set_content_encoding (part, GMIME_CONTENT_ENCODING_BASE64);
    return GMIME_OBJECT (part);
  }
}

static GBytes *
build (KurirMessageBuilder *self,
       gboolean             draft,
       GError             **error)
{
  g_autoptr(GMimeMessage) message = NULL;
  g_autoptr(GMimeStream) stream = NULL;
  GMimeFormatOptions *options;
  g_autoptr(GMimeObject) body = NULL;
  GByteArray *array;
  static const GMimeAddressType types[] = { GMIME_ADDRESS_TYPE_TO, GMIME_ADDRESS_TYPE_CC };

  kurir_mime_init ();

  if (!address_is_valid (self->from_address))
    {
      g_set_error (error, KURIR_MESSAGE_BUILDER_ERROR, KURIR_MESSAGE_BUILDER_ERROR_INVALID,
                   _("The sender address “%s” is not valid"),
                   self->from_address != NULL ? self->from_address : "");
      return NULL;
    }
  if (!draft && self->recipients[0]->len + self->recipients[1]->len + self->recipients[2]->len == 0)
    {
      g_set_error_literal (error, KURIR_MESSAGE_BUILDER_ERROR,
                           KURIR_MESSAGE_BUILDER_ERROR_NO_RECIPIENT,
                           _("The message has no recipient"));
      return NULL;
    }

  message = g_mime_message_new (TRUE);
  {
    InternetAddress *from = internet_address_mailbox_new (self->from_name, self->from_address);

    internet_address_set_charset (from, "utf-8");
    internet_address_list_add (g_mime_message_get_from (message), from);
    g_object_unref (from);
  }
  for (guint k = 0; k < G_N_ELEMENTS (types); k++)
    {
      InternetAddressList *list = g_mime_message_get_addresses (message, types[k]);

      for (guint i = 0; i < self->recipients[k]->len; i++)
        internet_address_list_add (list, g_ptr_array_index (self->recipients[k], i));
    }
  /* Bcc only in a draft (kept for when it is sent), never when sending. */
  if (draft && self->recipients[KURIR_RECIPIENT_BCC]->len > 0)
    {
      InternetAddressList *list = g_mime_message_get_addresses (message, GMIME_ADDRESS_TYPE_BCC);

      for (guint i = 0; i < self->recipients[KURIR_RECIPIENT_BCC]->len; i++)
        internet_address_list_add (list, g_ptr_array_index (self->recipients[KURIR_RECIPIENT_BCC], i));
    }
  if (self->reply_to != NULL)
    g_mime_message_add_mailbox (message, GMIME_ADDRESS_TYPE_REPLY_TO, NULL, self->reply_to);
  g_mime_message_set_subject (message, self->subject != NULL ? self->subject : "", "utf-8");
  if (self->date != NULL)
    g_mime_message_set_date (message, self->date);
  else
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_local ();

      g_mime_message_set_date (message, now);
    }
  if (self->message_id == NULL)
    self->message_id = new_message_id (address_domain (self->from_address));
  g_mime_message_set_message_id (message, self->message_id);
  if (self->in_reply_to != NULL)
    {
      g_autofree char *value = g_strdup_printf ("<%s>", self->in_reply_to);

      g_mime_object_set_header (GMIME_OBJECT (message), "In-Reply-To", value, NULL);
    }
  if (self->references != NULL && self->references[0] != NULL)
    {
      GString *value = g_string_new (NULL);

      for (guint i = 0; self->references[i] != NULL; i++)
        g_string_append_printf (value, "%s<%s>", i > 0 ? " " : "", self->references[i]);
      g_mime_object_set_header (GMIME_OBJECT (message), "References", value->str, NULL);
      g_string_free (value, TRUE);
    }
  if (draft)
    g_mime_object_set_header (GMIME_OBJECT (message), "X-Kurir-Draft", "1", NULL);

  body = text_part (self);
  if (self->attachments->len > 0)
    {
      GMimeMultipart *mixed = g_mime_multipart_new_with_subtype ("mixed");

      g_mime_multipart_add (mixed, body);
      for (guint i = 0; i < self->attachments->len; i++)
        {
          g_autoptr(GMimeObject) part = attachment_part (g_ptr_array_index (self->attachments, i));

          g_mime_multipart_add (mixed, part);
        }
      g_clear_object (&body);
      body = GMIME_OBJECT (mixed);
    }
  g_mime_message_set_mime_part (message, body);
  g_mime_object_set_header (GMIME_OBJECT (message), "MIME-Version", "1.0", NULL);

  stream = g_mime_stream_mem_new ();
  options = g_mime_format_options_new ();
  g_mime_format_options_set_newline_format (options, GMIME_NEWLINE_FORMAT_DOS);
  g_mime_object_write_to_stream (GMIME_OBJECT (message), options, stream);
  g_mime_format_options_free (options);
  array = g_mime_stream_mem_get_byte_array (GMIME_STREAM_MEM (stream));
  return g_bytes_new (array->data, array->len);
}

static gboolean
append_chunk (const char  *chunk,
              gsize        length,
              gpointer     user_data,
              GError     **error)
{
  g_byte_array_append (user_data, (const guint8 *) chunk, length);
  return TRUE;
}

/* Overrides */

static void
kurir_message_builder_finalize (GObject *object)
{
  KurirMessageBuilder *self = KURIR_MESSAGE_BUILDER (object);

  g_free (self->from_name);
  g_free (self->from_address);
  g_free (self->reply_to);
  for (guint k = 0; k < G_N_ELEMENTS (self->recipients); k++)
    g_ptr_array_unref (self->recipients[k]);
  g_free (self->subject);
  g_free (self->body);
  g_free (self->in_reply_to);
  g_strfreev (self->references);
  g_clear_pointer (&self->date, g_date_time_unref);
  g_free (self->message_id);
  g_ptr_array_unref (self->attachments);

  G_OBJECT_CLASS (kurir_message_builder_parent_class)->finalize (object);
}

static void
kurir_message_builder_class_init (KurirMessageBuilderClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kurir_message_builder_finalize;
}

static void
kurir_message_builder_init (KurirMessageBuilder *self)
{
  kurir_mime_init ();
  for (guint k = 0; k < G_N_ELEMENTS (self->recipients); k++)
    self->recipients[k] = g_ptr_array_new_with_free_func (g_object_unref);
  self->attachments = g_ptr_array_new_with_free_func (attachment_free);
  /* UTF-8 text goes as 8bit (flowed lines are short); the submission
   * re-encodes it for a server without 8BITMIME
   * (kurir_message_builder_to_7bit()). */
  self->allow_8bit = TRUE;
}

/* Public API */

KurirMessageBuilder *
kurir_message_builder_new (void)
{
  return g_object_new (KURIR_TYPE_MESSAGE_BUILDER, NULL);
}

static gboolean
list_has (GPtrArray  *list,
          const char *address)
{
  for (guint i = 0; i < list->len; i++)
    if (g_ascii_strcasecmp (internet_address_mailbox_get_addr (g_ptr_array_index (list, i)),
                            address) == 0)
      return TRUE;
  return FALSE;
}

static void
add_mailboxes_except (KurirMessageBuilder *self,
                      KurirRecipientKind   kind,
                      InternetAddressList *list,
                      const char          *except)
{
  g_autoptr(GPtrArray) mailboxes = g_ptr_array_new_with_free_func (g_object_unref);

  if (!collect_mailboxes (list, mailboxes, 0, NULL))
    {
      /* Keep the valid ones of a list with a broken address. */
      g_ptr_array_set_size (mailboxes, 0);
      for (int i = 0; list != NULL && i < internet_address_list_length (list); i++)
        {
          InternetAddress *address = internet_address_list_get_address (list, i);

          if (INTERNET_ADDRESS_IS_MAILBOX (address) &&
              address_is_valid (internet_address_mailbox_get_idn_addr (INTERNET_ADDRESS_MAILBOX (address))))
            g_ptr_array_add (mailboxes, g_object_ref (address));
        }
    }
  for (guint i = 0; i < mailboxes->len; i++)
    {
      InternetAddressMailbox *mailbox = g_ptr_array_index (mailboxes, i);
      const char *addr = internet_address_mailbox_get_addr (mailbox);

      if ((except != NULL && g_ascii_strcasecmp (addr, except) == 0) || recipient_known (self, addr))
        continue;
      g_ptr_array_add (self->recipients[kind], g_object_ref (mailbox));
    }
}

static gboolean
is_own (const char * const *own,
        const char         *address)
{
  for (guint i = 0; own != NULL && own[i] != NULL; i++)
    if (g_ascii_strcasecmp (own[i], address) == 0)
      return TRUE;
  return FALSE;
}

static void
remove_own (GPtrArray          *list,
            const char * const *own)
{
  for (guint i = list->len; i > 0; i--)
    if (is_own (own, internet_address_mailbox_get_addr (g_ptr_array_index (list, i - 1))))
      g_ptr_array_remove_index (list, i - 1);
}

KurirMessageBuilder *
kurir_message_builder_new_reply (GBytes      *original,
                                 const char  *from_address,
                                 gboolean     all,
                                 GError     **error)
{
  const char *own[] = { from_address, NULL };

  return kurir_message_builder_new_reply_from (original, own, all, error);
}

KurirMessageBuilder *
kurir_message_builder_new_reply_from (GBytes              *original,
                                      const char * const  *own_addresses,
                                      gboolean             all,
                                      GError             **error)
{
  g_autoptr(KurirMessageBuilder) self = kurir_message_builder_new ();
  g_autoptr(KurirMimeParsed) parsed = NULL;
  g_autoptr(KurirMessageInfo) info = NULL;
  g_autofree char *text = NULL;
  g_autofree char *quote = NULL;
  g_autofree char *name = NULL;
  InternetAddressList *reply_to, *from;
  gsize size;
  const char *data;

  g_return_val_if_fail (original != NULL, NULL);

  data = g_bytes_get_data (original, &size);
  parsed = kurir_mime_parse (data, size);
  info = kurir_message_info_new_from_data (data, size);

  reply_to = g_mime_message_get_reply_to (parsed->message);
  from = g_mime_message_get_from (parsed->message);
  if (reply_to != NULL && internet_address_list_length (reply_to) > 0)
    add_mailboxes_except (self, KURIR_RECIPIENT_TO, reply_to, NULL);
  if (self->recipients[KURIR_RECIPIENT_TO]->len == 0)
    add_mailboxes_except (self, KURIR_RECIPIENT_TO, from, NULL);
  /* A reply to one's own message goes to its recipients. */
  if (self->recipients[KURIR_RECIPIENT_TO]->len == 1 &&
      is_own (own_addresses,
              internet_address_mailbox_get_addr (g_ptr_array_index (self->recipients[KURIR_RECIPIENT_TO], 0))))
    {
      g_ptr_array_set_size (self->recipients[KURIR_RECIPIENT_TO], 0);
      add_mailboxes_except (self, KURIR_RECIPIENT_TO, g_mime_message_get_to (parsed->message), NULL);
    }
  if (all)
    {
      add_mailboxes_except (self, KURIR_RECIPIENT_CC, g_mime_message_get_to (parsed->message), NULL);
      add_mailboxes_except (self, KURIR_RECIPIENT_CC, g_mime_message_get_cc (parsed->message), NULL);
      /* None of the sender's own addresses (any identity) in Reply All. */
      remove_own (self->recipients[KURIR_RECIPIENT_CC], own_addresses);
      if (self->recipients[KURIR_RECIPIENT_TO]->len > 1)
        remove_own (self->recipients[KURIR_RECIPIENT_TO], own_addresses);
    }

  self->subject = kurir_message_builder_reply_subject (info->subject);
  if (msg_id_is_valid (info->message_id))
    {
      self->in_reply_to = g_strdup (info->message_id);
      self->references = kurir_message_builder_reply_references ((const char * const *) info->references,
                                                                 info->in_reply_to,
                                                                 info->message_id);
    }
  if (from != NULL && internet_address_list_length (from) > 0)
    {
      InternetAddress *first = internet_address_list_get_address (from, 0);
      const char *n = internet_address_get_name (first);

      if (n != NULL && *n != '\0')
        name = fold_line (n);
      else if (INTERNET_ADDRESS_IS_MAILBOX (first))
        name = g_strdup (internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (first)));
    }
  text = kurir_mime_get_text (data, size);
  quote = kurir_message_builder_quote (text, name != NULL ? name : _("someone"), info->date);
  self->body = g_strconcat ("\n\n", quote, NULL);
  return g_steal_pointer (&self);
}

KurirMessageBuilder *
kurir_message_builder_new_forward (GBytes            *original,
                                   KurirForwardMode   mode,
                                   GError           **error)
{
  g_autoptr(KurirMessageBuilder) self = kurir_message_builder_new ();
  g_autoptr(KurirMessageInfo) info = NULL;
  gsize size;
  const char *data;

  g_return_val_if_fail (original != NULL, NULL);

  data = g_bytes_get_data (original, &size);
  info = kurir_message_info_new_from_data (data, size);
  self->subject = kurir_message_builder_forward_subject (info->subject);
  if (mode == KURIR_FORWARD_ATTACHMENT)
    {
      g_autofree char *filename = g_strdup_printf ("%s.eml",
                                                   info->subject != NULL && *info->subject != '\0'
                                                   ? info->subject : "message");
      g_autofree char *clean = kurir_mime_sanitize_filename (filename);

      kurir_message_builder_add_message_attachment (self, original, clean);
      self->body = g_strdup ("");
    }
  else
    {
      g_autofree char *headers = kurir_mime_format_headers (data, size);
      g_autofree char *text = kurir_mime_get_text (data, size);
      KurirMessageParts *parts = kurir_message_parts_new_from_data (data, size);

      self->body = g_strconcat ("\n\n", _("-------- Forwarded Message --------"), "\n",
                                headers, "\n", text, NULL);
      /* The attachments travel with an inline forward too. */
      for (guint i = 0; parts != NULL && i < parts->attachments->len; i++)
        {
          KurirAttachment *attachment = g_ptr_array_index (parts->attachments, i);
          g_autoptr(GFileIOStream) io = NULL;
          g_autoptr(GFile) file = g_file_new_tmp ("kurir-forward-XXXXXX", &io, NULL);
          g_autofree char *contents = NULL;
          gsize length;

          if (file == NULL)
            continue;
          g_io_stream_close (G_IO_STREAM (io), NULL, NULL);
          if (kurir_message_parts_save_attachment (data, size, attachment->index, file, NULL, NULL) &&
              g_file_load_contents (file, NULL, &contents, &length, NULL, NULL))
            {
              g_autoptr(GBytes) bytes = g_bytes_new_take (g_steal_pointer (&contents), length);

              kurir_message_builder_add_attachment (self, attachment->filename,
                                                    attachment->content_type, bytes);
            }
          g_file_delete (file, NULL, NULL);
        }
      if (parts != NULL)
        kurir_message_parts_free (parts);
    }
  return g_steal_pointer (&self);
}

static GBytes *
decode_leaf (GMimeObject *object)
{
  g_autoptr(GByteArray) array = g_byte_array_new ();

  if (!kurir_mime_leaf_decode (object, 64 * 1024 * 1024, append_chunk, array, NULL, NULL))
    return NULL;
  return g_byte_array_free_to_bytes (g_steal_pointer (&array));
}

KurirMessageBuilder *
kurir_message_builder_new_from_draft (GBytes  *draft,
                                      GError **error)
{
  g_autoptr(KurirMessageBuilder) self = kurir_message_builder_new ();
  g_autoptr(KurirMimeParsed) parsed = NULL;
  g_autoptr(KurirMessageInfo) info = NULL;
  g_autoptr(GArray) leaves = NULL;
  static const GMimeAddressType types[] = { GMIME_ADDRESS_TYPE_TO, GMIME_ADDRESS_TYPE_CC,
                                            GMIME_ADDRESS_TYPE_BCC };
  InternetAddressList *from;
  gboolean have_text = FALSE;
  gsize size;
  const char *data;

  g_return_val_if_fail (draft != NULL, NULL);

  data = g_bytes_get_data (draft, &size);
  parsed = kurir_mime_parse (data, size);
  info = kurir_message_info_new_from_data (data, size);
  from = g_mime_message_get_from (parsed->message);
  if (from != NULL && internet_address_list_length (from) > 0 &&
      INTERNET_ADDRESS_IS_MAILBOX (internet_address_list_get_address (from, 0)))
    {
      InternetAddress *first = internet_address_list_get_address (from, 0);

      kurir_message_builder_set_from (self, internet_address_get_name (first),
                                      internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (first)));
    }
  for (guint k = 0; k < G_N_ELEMENTS (types); k++)
    add_mailboxes_except (self, k, g_mime_message_get_addresses (parsed->message, types[k]), NULL);
  self->subject = fold_line (info->subject != NULL ? info->subject : "");
  kurir_message_builder_set_in_reply_to (self, info->in_reply_to);
  kurir_message_builder_set_references (self, (const char * const *) info->references);
  kurir_message_builder_set_message_id (self, info->message_id);
  {
    const char *reply_to = NULL;
    InternetAddressList *list = g_mime_message_get_reply_to (parsed->message);

    if (list != NULL && internet_address_list_length (list) > 0 &&
        INTERNET_ADDRESS_IS_MAILBOX (internet_address_list_get_address (list, 0)))
      reply_to = internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (internet_address_list_get_address (list, 0)));
    kurir_message_builder_set_reply_to (self, reply_to);
  }

  leaves = kurir_mime_collect_leaves (parsed->message);
  for (guint i = 0; i < leaves->len; i++)
    {
      KurirMimeLeaf *leaf = &g_array_index (leaves, KurirMimeLeaf, i);

      if (leaf->kind == KURIR_MIME_LEAF_PLAIN && !have_text)
        {
          g_autofree char *text = kurir_mime_part_get_text (leaf->object, KURIR_MESSAGE_PARTS_TEXT_MAX);
          GMimeContentType *type = g_mime_object_get_content_type (leaf->object);
          const char *format = g_mime_content_type_get_parameter (type, "format");

          self->body = format != NULL && g_ascii_strcasecmp (format, "flowed") == 0
                       ? kurir_message_builder_unflow (text) : g_steal_pointer (&text);
          have_text = TRUE;
        }
      else if (leaf->kind == KURIR_MIME_LEAF_ATTACHMENT)
        {
          g_autoptr(GBytes) bytes = decode_leaf (leaf->object);
          g_autofree char *name = kurir_mime_leaf_get_attachment_name (leaf->object);
          GMimeContentType *type = g_mime_object_get_content_type (leaf->object);
          g_autofree char *mime_type = g_mime_content_type_get_mime_type (type);

          if (bytes == NULL)
            continue;
          if (GMIME_IS_MESSAGE_PART (leaf->object))
            kurir_message_builder_add_message_attachment (self, bytes, name);
          else
            kurir_message_builder_add_attachment (self, name, mime_type, bytes);
        }
    }
  if (self->body == NULL)
    self->body = g_strdup ("");
  return g_steal_pointer (&self);
}

KurirMessageBuilder *
kurir_message_builder_copy (KurirMessageBuilder *self)
{
  KurirMessageBuilder *copy;

  g_return_val_if_fail (KURIR_IS_MESSAGE_BUILDER (self), NULL);

  copy = kurir_message_builder_new ();
  copy->from_name = g_strdup (self->from_name);
  copy->from_address = g_strdup (self->from_address);
  copy->reply_to = g_strdup (self->reply_to);
  for (guint k = 0; k < G_N_ELEMENTS (self->recipients); k++)
    for (guint i = 0; i < self->recipients[k]->len; i++)
      {
        InternetAddressMailbox *mailbox = g_ptr_array_index (self->recipients[k], i);
        InternetAddress *clone = internet_address_mailbox_new (internet_address_get_name (INTERNET_ADDRESS (mailbox)),
                                                               internet_address_mailbox_get_addr (mailbox));

        g_ptr_array_add (copy->recipients[k], clone);
      }
  copy->subject = g_strdup (self->subject);
  copy->body = g_strdup (self->body);
  copy->in_reply_to = g_strdup (self->in_reply_to);
  copy->references = g_strdupv (self->references);
  copy->date = self->date != NULL ? g_date_time_ref (self->date) : NULL;
  if (self->message_id == NULL)
    self->message_id = new_message_id (address_domain (self->from_address));
  copy->message_id = g_strdup (self->message_id);
  copy->allow_8bit = self->allow_8bit;
  for (guint i = 0; i < self->attachments->len; i++)
    {
      Attachment *attachment = g_ptr_array_index (self->attachments, i);
      Attachment *clone = g_new0 (Attachment, 1);

      clone->filename = g_strdup (attachment->filename);
      clone->content_type = g_strdup (attachment->content_type);
      clone->data = g_bytes_ref (attachment->data);
      clone->is_message = attachment->is_message;
      g_ptr_array_add (copy->attachments, clone);
    }
  return copy;
}

void
kurir_message_builder_set_from (KurirMessageBuilder *self,
                                const char          *name,
                                const char          *address)
{
  g_return_if_fail (KURIR_IS_MESSAGE_BUILDER (self));

  g_free (self->from_name);
  self->from_name = fold_line (name);
  g_free (self->from_address);
  self->from_address = g_strdup (address);
}

void
kurir_message_builder_set_reply_to (KurirMessageBuilder *self,
                                    const char          *address)
{
  g_return_if_fail (KURIR_IS_MESSAGE_BUILDER (self));

  g_clear_pointer (&self->reply_to, g_free);
  if (address_is_valid (address))
    self->reply_to = g_strdup (address);
}

gboolean
kurir_message_builder_add_recipients (KurirMessageBuilder *self,
                                      KurirRecipientKind   kind,
                                      const char          *text,
                                      GError             **error)
{
  g_autoptr(InternetAddressList) list = NULL;
  g_autoptr(GPtrArray) mailboxes = NULL;
  g_autofree char *line = NULL;

  g_return_val_if_fail (KURIR_IS_MESSAGE_BUILDER (self), FALSE);
  g_return_val_if_fail (kind <= KURIR_RECIPIENT_BCC, FALSE);

  if (text == NULL)
    return TRUE;
  if (strpbrk (text, "\r\n") != NULL)
    {
      g_set_error_literal (error, KURIR_MESSAGE_BUILDER_ERROR, KURIR_MESSAGE_BUILDER_ERROR_INVALID,
                           _("An address list may not contain a line break"));
      return FALSE;
    }
  line = fold_line (text);
  if (*line == '\0')
    return TRUE;
  list = internet_address_list_parse (kurir_mime_get_parser_options (), line);
  mailboxes = g_ptr_array_new_with_free_func (g_object_unref);
  if (list == NULL || internet_address_list_length (list) == 0)
    {
      g_set_error (error, KURIR_MESSAGE_BUILDER_ERROR, KURIR_MESSAGE_BUILDER_ERROR_INVALID,
                   _("“%s” is not an email address"), line);
      return FALSE;
    }
  if (!collect_mailboxes (list, mailboxes, 0, error))
    return FALSE;
  for (guint i = 0; i < mailboxes->len; i++)
    {
      InternetAddressMailbox *mailbox = g_ptr_array_index (mailboxes, i);
      const char *name = internet_address_get_name (INTERNET_ADDRESS (mailbox));

      if (name != NULL)
        {
          g_autofree char *clean = fold_line (name);

          internet_address_set_name (INTERNET_ADDRESS (mailbox), *clean != '\0' ? clean : NULL);
        }
      if (!list_has (self->recipients[kind], internet_address_mailbox_get_addr (mailbox)))
        g_ptr_array_add (self->recipients[kind], g_object_ref (mailbox));
    }
  return TRUE;
}

void
kurir_message_builder_clear_recipients (KurirMessageBuilder *self,
                                        KurirRecipientKind   kind)
{
  g_return_if_fail (KURIR_IS_MESSAGE_BUILDER (self));
  g_return_if_fail (kind <= KURIR_RECIPIENT_BCC);

  g_ptr_array_set_size (self->recipients[kind], 0);
}

char *
kurir_message_builder_format_recipients (KurirMessageBuilder *self,
                                         KurirRecipientKind   kind)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (KURIR_IS_MESSAGE_BUILDER (self), NULL);
  g_return_val_if_fail (kind <= KURIR_RECIPIENT_BCC, NULL);

  for (guint i = 0; i < self->recipients[kind]->len; i++)
    {
      InternetAddress *address = g_ptr_array_index (self->recipients[kind], i);
      g_autofree char *shown = internet_address_to_string (address, NULL, FALSE);

      g_string_append_printf (out, "%s%s", i > 0 ? ", " : "", shown);
    }
  return g_string_free (out, FALSE);
}

void
kurir_message_builder_set_subject (KurirMessageBuilder *self,
                                   const char          *subject)
{
  g_return_if_fail (KURIR_IS_MESSAGE_BUILDER (self));

  g_free (self->subject);
  self->subject = fold_line (subject);
}

const char *
kurir_message_builder_get_subject (KurirMessageBuilder *self)
{
  g_return_val_if_fail (KURIR_IS_MESSAGE_BUILDER (self), NULL);
  return self->subject;
}

void
kurir_message_builder_set_body (KurirMessageBuilder *self,
                                const char          *text)
{
  g_return_if_fail (KURIR_IS_MESSAGE_BUILDER (self));

  g_free (self->body);
  self->body = text != NULL ? g_utf8_make_valid (text, -1) : NULL;
}

const char *
kurir_message_builder_get_body (KurirMessageBuilder *self)
{
  g_return_val_if_fail (KURIR_IS_MESSAGE_BUILDER (self), NULL);
  return self->body;
}

void
kurir_message_builder_set_in_reply_to (KurirMessageBuilder *self,
                                       const char          *message_id)
{
  g_return_if_fail (KURIR_IS_MESSAGE_BUILDER (self));

  g_clear_pointer (&self->in_reply_to, g_free);
  if (msg_id_is_valid (message_id))
    self->in_reply_to = g_strdup (message_id);
}

const char *
kurir_message_builder_get_in_reply_to (KurirMessageBuilder *self)
{
  g_return_val_if_fail (KURIR_IS_MESSAGE_BUILDER (self), NULL);
  return self->in_reply_to;
}

void
kurir_message_builder_set_references (KurirMessageBuilder *self,
                                      const char * const  *references)
{
  GPtrArray *valid = g_ptr_array_new ();

  g_return_if_fail (KURIR_IS_MESSAGE_BUILDER (self));

  for (guint i = 0; references != NULL && references[i] != NULL; i++)
    if (msg_id_is_valid (references[i]))
      g_ptr_array_add (valid, g_strdup (references[i]));
  g_ptr_array_add (valid, NULL);
  g_strfreev (self->references);
  self->references = (GStrv) g_ptr_array_free (valid, FALSE);
}

void
kurir_message_builder_set_date (KurirMessageBuilder *self,
                                GDateTime           *date)
{
  g_return_if_fail (KURIR_IS_MESSAGE_BUILDER (self));

  g_clear_pointer (&self->date, g_date_time_unref);
  if (date != NULL)
    self->date = g_date_time_ref (date);
}

void
kurir_message_builder_set_message_id (KurirMessageBuilder *self,
                                      const char          *message_id)
{
  g_return_if_fail (KURIR_IS_MESSAGE_BUILDER (self));

  g_clear_pointer (&self->message_id, g_free);
  if (msg_id_is_valid (message_id))
    self->message_id = g_strdup (message_id);
}

const char *
kurir_message_builder_get_message_id (KurirMessageBuilder *self)
{
  g_return_val_if_fail (KURIR_IS_MESSAGE_BUILDER (self), NULL);

  if (self->message_id == NULL)
    self->message_id = new_message_id (address_domain (self->from_address));
  return self->message_id;
}

void
kurir_message_builder_set_8bit (KurirMessageBuilder *self,
                                gboolean             allowed)
{
  g_return_if_fail (KURIR_IS_MESSAGE_BUILDER (self));
  self->allow_8bit = allowed;
}

void
kurir_message_builder_add_attachment (KurirMessageBuilder *self,
                                      const char          *filename,
                                      const char          *content_type,
                                      GBytes              *data)
{
  Attachment *attachment;
  g_autofree char *name = NULL;

  g_return_if_fail (KURIR_IS_MESSAGE_BUILDER (self));
  g_return_if_fail (data != NULL);

  name = filename != NULL ? fold_line (filename) : NULL;
  attachment = g_new0 (Attachment, 1);
  attachment->data = g_bytes_ref (data);
  if (content_type == NULL || strchr (content_type, '/') == NULL ||
      strpbrk (content_type, "\r\n;") != NULL)
    {
      gsize size;
      const guchar *bytes = g_bytes_get_data (data, &size);
      g_autofree char *guess = g_content_type_guess (name, bytes, MIN (size, 4096), NULL);
      char *mime = g_content_type_get_mime_type (guess);

      attachment->content_type = mime != NULL ? mime : g_strdup ("application/octet-stream");
    }
  else
    attachment->content_type = g_ascii_strdown (content_type, -1);
  attachment->filename = g_steal_pointer (&name);
  g_ptr_array_add (self->attachments, attachment);
}

gboolean
kurir_message_builder_add_attachment_file (KurirMessageBuilder  *self,
                                           GFile                *file,
                                           GCancellable         *cancellable,
                                           GError              **error)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *name = NULL;

  g_return_val_if_fail (KURIR_IS_MESSAGE_BUILDER (self), FALSE);
  g_return_val_if_fail (G_IS_FILE (file), FALSE);

  bytes = g_file_load_bytes (file, cancellable, NULL, error);
  if (bytes == NULL)
    {
      if (error != NULL && *error != NULL && (*error)->domain != KURIR_MESSAGE_BUILDER_ERROR)
        {
          GError *wrapped = g_error_new (KURIR_MESSAGE_BUILDER_ERROR,
                                         KURIR_MESSAGE_BUILDER_ERROR_IO,
                                         _("The attachment could not be read: %s"), (*error)->message);

          g_clear_error (error);
          g_propagate_error (error, wrapped);
        }
      return FALSE;
    }
  name = g_file_get_basename (file);
  kurir_message_builder_add_attachment (self, name, NULL, bytes);
  return TRUE;
}

void
kurir_message_builder_add_message_attachment (KurirMessageBuilder *self,
                                              GBytes              *message,
                                              const char          *filename)
{
  Attachment *attachment;

  g_return_if_fail (KURIR_IS_MESSAGE_BUILDER (self));
  g_return_if_fail (message != NULL);

  attachment = g_new0 (Attachment, 1);
  attachment->data = g_bytes_ref (message);
  attachment->filename = filename != NULL ? fold_line (filename) : NULL;
  attachment->content_type = g_strdup ("message/rfc822");
  attachment->is_message = TRUE;
  g_ptr_array_add (self->attachments, attachment);
}

guint
kurir_message_builder_get_n_attachments (KurirMessageBuilder *self)
{
  g_return_val_if_fail (KURIR_IS_MESSAGE_BUILDER (self), 0);
  return self->attachments->len;
}

const char *
kurir_message_builder_get_attachment_name (KurirMessageBuilder *self,
                                           guint                index)
{
  g_return_val_if_fail (KURIR_IS_MESSAGE_BUILDER (self), NULL);
  g_return_val_if_fail (index < self->attachments->len, NULL);
  return ((Attachment *) g_ptr_array_index (self->attachments, index))->filename;
}

void
kurir_message_builder_remove_attachment (KurirMessageBuilder *self,
                                         guint                index)
{
  g_return_if_fail (KURIR_IS_MESSAGE_BUILDER (self));
  g_return_if_fail (index < self->attachments->len);
  g_ptr_array_remove_index (self->attachments, index);
}

char **
kurir_message_builder_get_recipients (KurirMessageBuilder *self)
{
  GPtrArray *out = g_ptr_array_new ();

  g_return_val_if_fail (KURIR_IS_MESSAGE_BUILDER (self), NULL);

  for (guint k = 0; k < G_N_ELEMENTS (self->recipients); k++)
    for (guint i = 0; i < self->recipients[k]->len; i++)
      {
        const char *addr = internet_address_mailbox_get_idn_addr (g_ptr_array_index (self->recipients[k], i));
        gboolean seen = FALSE;

        for (guint j = 0; j < out->len && !seen; j++)
          seen = g_ascii_strcasecmp (g_ptr_array_index (out, j), addr) == 0;
        if (!seen)
          g_ptr_array_add (out, g_strdup (addr));
      }
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}

GBytes *
kurir_message_builder_build (KurirMessageBuilder  *self,
                             GError              **error)
{
  g_return_val_if_fail (KURIR_IS_MESSAGE_BUILDER (self), NULL);
  return build (self, FALSE, error);
}

GBytes *
kurir_message_builder_build_draft (KurirMessageBuilder  *self,
                                   GError              **error)
{
  g_return_val_if_fail (KURIR_IS_MESSAGE_BUILDER (self), NULL);
  return build (self, TRUE, error);
}

char *
kurir_message_builder_reply_subject (const char *subject)
{
  g_autofree char *clean = fold_line (subject != NULL ? subject : "");

  return g_strconcat ("Re: ", strip_prefixes (clean), NULL);
}

char *
kurir_message_builder_forward_subject (const char *subject)
{
  g_autofree char *clean = fold_line (subject != NULL ? subject : "");

  return g_strconcat ("Fwd: ", strip_prefixes (clean), NULL);
}

char *
kurir_message_builder_quote (const char *text,
                             const char *name,
                             gint64      date)
{
  GString *out = g_string_new (NULL);
  g_auto(GStrv) lines = NULL;
  g_autofree char *who = fold_line (name != NULL ? name : "");
  guint n;

  if (date > 0)
    {
      g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (date);
      g_autofree char *shown = when != NULL ? g_date_time_format (when, "%a, %d %b %Y %H:%M") : NULL;

      /* Translators: the attribution line of a reply: the date, the author */
      g_string_append_printf (out, _("On %s, %s wrote:"), shown != NULL ? shown : "", who);
    }
  else
    /* Translators: the attribution line of a reply without a date */
    g_string_append_printf (out, _("%s wrote:"), who);
  g_string_append_c (out, '\n');

  lines = g_strsplit (text != NULL ? text : "", "\n", -1);
  n = g_strv_length (lines);
  /* No quoted empty lines at the end. */
  while (n > 0 && *g_strstrip (lines[n - 1]) == '\0')
    n--;
  for (guint i = 0; i < n; i++)
    {
      gsize len = strlen (lines[i]);

      if (len > 0 && lines[i][len - 1] == '\r')
        lines[i][len - 1] = '\0';
      if (lines[i][0] == '>')
        g_string_append_printf (out, ">%s\n", lines[i]);
      else if (lines[i][0] == '\0')
        g_string_append (out, ">\n");
      else
        g_string_append_printf (out, "> %s\n", lines[i]);
    }
  return g_string_free (out, FALSE);
}

char **
kurir_message_builder_reply_references (const char * const *references,
                                        const char         *in_reply_to,
                                        const char         *message_id)
{
  GPtrArray *all = g_ptr_array_new ();
  GPtrArray *out;

  for (guint i = 0; references != NULL && references[i] != NULL; i++)
    if (msg_id_is_valid (references[i]))
      g_ptr_array_add (all, (gpointer) references[i]);
  /* Without References, In-Reply-To is the parent (RFC 5322 3.6.4). */
  if (all->len == 0 && msg_id_is_valid (in_reply_to))
    g_ptr_array_add (all, (gpointer) in_reply_to);
  if (msg_id_is_valid (message_id))
    g_ptr_array_add (all, (gpointer) message_id);

  out = g_ptr_array_new ();
  for (guint i = 0; i < all->len; i++)
    {
      /* The first (the thread's root) and the last ones. */
      if (all->len > KURIR_MESSAGE_BUILDER_MAX_REFERENCES && i > 0 &&
          i < all->len - (KURIR_MESSAGE_BUILDER_MAX_REFERENCES - 1))
        continue;
      g_ptr_array_add (out, g_strdup (g_ptr_array_index (all, i)));
    }
  g_ptr_array_add (out, NULL);
  g_ptr_array_free (all, TRUE);
  return (char **) g_ptr_array_free (out, FALSE);
}

char *
kurir_message_builder_flow (const char *text)
{
  GString *out = g_string_new (NULL);
  g_autofree char *valid = g_utf8_make_valid (text != NULL ? text : "", -1);
  g_auto(GStrv) lines = g_strsplit (valid, "\n", -1);
  guint n = g_strv_length (lines);

  /* A final newline does not make an empty last line. */
  if (n > 1 && lines[n - 1][0] == '\0')
    n--;
  for (guint i = 0; i < n; i++)
    {
      char *line = lines[i];
      gsize len = strlen (line), depth = 0;
      g_autofree char *prefix = NULL;

      if (len > 0 && line[len - 1] == '\r')
        line[--len] = '\0';
      while (line[depth] == '>')
        depth++;
      prefix = g_strndup (line, depth);
      append_flowed_line (out, prefix, line + depth);
    }
  return g_string_free (out, FALSE);
}

char *
kurir_message_builder_unflow (const char *text)
{
  GString *out = g_string_new (NULL);
  g_auto(GStrv) lines = g_strsplit (text != NULL ? text : "", "\n", -1);
  guint n = g_strv_length (lines);
  gsize current_depth = 0;
  gboolean continuing = FALSE;

  if (n > 1 && lines[n - 1][0] == '\0')
    n--;
  for (guint i = 0; i < n; i++)
    {
      char *line = lines[i];
      gsize len = strlen (line), depth = 0;
      const char *content;
      gboolean soft;

      if (len > 0 && line[len - 1] == '\r')
        line[--len] = '\0';
      while (line[depth] == '>')
        depth++;
      content = line + depth;
      if (*content == ' ')
        content++;   /* space-stuffing, or the space after the quote marks */
      soft = len > 0 && line[len - 1] == ' ' && strcmp (content, "-- ") != 0;
      if (continuing && depth == current_depth)
        g_string_append (out, content);
      else
        {
          if (continuing)
            g_string_append_c (out, '\n');
          for (gsize d = 0; d < depth; d++)
            g_string_append_c (out, '>');
          if (depth > 0)
            g_string_append_c (out, ' ');
          g_string_append (out, content);
        }
      current_depth = depth;
      continuing = soft;
      if (!soft)
        g_string_append_c (out, '\n');
    }
  if (continuing)
    g_string_append_c (out, '\n');
  return g_string_free (out, FALSE);
}

/* The end of the header block of @data: the offset of the empty line. */
static gsize
header_block_end (const char *data,
                  gsize       size)
{
  for (gsize i = 0; i < size; i++)
    if (data[i] == '\n' && i + 1 < size &&
        (data[i + 1] == '\n' || (data[i + 1] == '\r' && i + 2 < size && data[i + 2] == '\n')))
      return i + 1;
  return size;
}

GBytes *
kurir_message_builder_prepare (GBytes      *message,
                               const char  *domain,
                               char      ***out_recipients,
                               char       **out_message_id,
                               GError     **error)
{
  g_autoptr(KurirMimeParsed) parsed = NULL;
  g_autoptr(GPtrArray) mailboxes = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) recipients = g_ptr_array_new_with_free_func (g_free);
  static const GMimeAddressType types[] = { GMIME_ADDRESS_TYPE_TO, GMIME_ADDRESS_TYPE_CC,
                                            GMIME_ADDRESS_TYPE_BCC };
  GString *out;
  const char *data, *message_id;
  gsize size, end, line;
  g_autofree char *new_id = NULL;
  gboolean has_date;
  const char *eol;

  g_return_val_if_fail (message != NULL, NULL);

  data = g_bytes_get_data (message, &size);
  if (size == 0 || memchr (data, '\0', size) != NULL)
    {
      g_set_error_literal (error, KURIR_MESSAGE_BUILDER_ERROR, KURIR_MESSAGE_BUILDER_ERROR_INVALID,
                           size == 0 ? _("The message is empty") : _("The message contains NUL bytes"));
      return NULL;
    }
  parsed = kurir_mime_parse (data, size);
  for (guint k = 0; k < G_N_ELEMENTS (types); k++)
    if (!collect_mailboxes (g_mime_message_get_addresses (parsed->message, types[k]), mailboxes, 0,
                            error))
      return NULL;
  for (guint i = 0; i < mailboxes->len; i++)
    {
      const char *addr = internet_address_mailbox_get_idn_addr (g_ptr_array_index (mailboxes, i));
      gboolean seen = FALSE;

      for (guint j = 0; j < recipients->len && !seen; j++)
        seen = g_ascii_strcasecmp (g_ptr_array_index (recipients, j), addr) == 0;
      if (!seen)
        g_ptr_array_add (recipients, g_strdup (addr));
    }
  if (recipients->len == 0)
    {
      g_set_error_literal (error, KURIR_MESSAGE_BUILDER_ERROR,
                           KURIR_MESSAGE_BUILDER_ERROR_NO_RECIPIENT,
                           _("The message has no recipient in To, Cc or Bcc"));
      return NULL;
    }

  message_id = g_mime_message_get_message_id (parsed->message);
  has_date = g_mime_object_get_header (GMIME_OBJECT (parsed->message), "Date") != NULL;
  out = g_string_sized_new (size + 128);
  /* Added fields end their lines as the message does. */
  {
    const char *nl = memchr (data, '\n', size);

    eol = nl != NULL && nl > data && nl[-1] == '\r' ? "\r\n" : "\n";
  }
  if (!msg_id_is_valid (message_id))
    {
      new_id = new_message_id (domain);
      g_string_append_printf (out, "Message-ID: <%s>%s", new_id, eol);
      message_id = new_id;
    }
  if (!has_date)
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_local ();
      g_autofree char *date = g_mime_utils_header_format_date (now);

      g_string_append_printf (out, "Date: %s%s", date, eol);
    }

  /* Copy the header block without Bcc fields (and their continuation
   * lines), then the body unchanged. */
  end = header_block_end (data, size);
  line = 0;
  while (line < end)
    {
      const char *nl = memchr (data + line, '\n', end - line);
      gsize next = nl != NULL ? (gsize) (nl - data) + 1 : end;
      gsize field_end = next;

      while (field_end < end && (data[field_end] == ' ' || data[field_end] == '\t'))
        {
          nl = memchr (data + field_end, '\n', end - field_end);
          field_end = nl != NULL ? (gsize) (nl - data) + 1 : end;
        }
      if (!(field_end - line >= 4 && g_ascii_strncasecmp (data + line, "bcc:", 4) == 0))
        g_string_append_len (out, data + line, field_end - line);
      line = field_end;
    }
  g_string_append_len (out, data + end, size - end);

  if (out_message_id != NULL)
    *out_message_id = g_strdup (message_id);
  if (out_recipients != NULL)
    {
      g_ptr_array_add (recipients, NULL);
      *out_recipients = (char **) g_ptr_array_steal (recipients, NULL);
    }
  return g_string_free_to_bytes (out);
}

static gboolean
list_names (InternetAddressList *list,
            const char          *address)
{
  g_autoptr(GPtrArray) mailboxes = g_ptr_array_new_with_free_func (g_object_unref);

  if (list == NULL)
    return FALSE;
  collect_mailboxes (list, mailboxes, 0, NULL);
  return list_has (mailboxes, address);
}

int
kurir_message_builder_find_recipient (GBytes             *original,
                                      const char * const *addresses)
{
  static const char *const delivery_headers[] = { "Delivered-To", "X-Original-To", "Envelope-To" };
  g_autoptr(KurirMimeParsed) parsed = NULL;
  GMimeHeaderList *headers;
  const char *data;
  gsize size;

  g_return_val_if_fail (original != NULL, -1);

  if (addresses == NULL)
    return -1;
  data = g_bytes_get_data (original, &size);
  parsed = kurir_mime_parse (data, size);
  /* To and Cc first: what the sender meant; then what the delivery says
   * (a Bcc, a list, a forward). */
  for (guint i = 0; addresses[i] != NULL; i++)
    if (list_names (g_mime_message_get_to (parsed->message), addresses[i]) ||
        list_names (g_mime_message_get_cc (parsed->message), addresses[i]))
      return i;
  headers = g_mime_object_get_header_list (GMIME_OBJECT (parsed->message));
  for (int h = 0; headers != NULL && h < g_mime_header_list_get_count (headers); h++)
    {
      GMimeHeader *header = g_mime_header_list_get_header_at (headers, h);
      const char *name = g_mime_header_get_name (header);
      const char *value = g_mime_header_get_value (header);

      for (guint d = 0; d < G_N_ELEMENTS (delivery_headers); d++)
        {
          g_autoptr(InternetAddressList) list = NULL;

          if (g_ascii_strcasecmp (name, delivery_headers[d]) != 0 || value == NULL)
            continue;
          list = internet_address_list_parse (kurir_mime_get_parser_options (), value);
          for (guint i = 0; list != NULL && addresses[i] != NULL; i++)
            if (list_names (list, addresses[i]))
              return i;
        }
    }
  return -1;
}

/* Where the signature block "-- \n@signature" starts in @text, when it is
 * the last thing in it (trailing white space aside); -1 if not there. */
static gssize
find_signature (const char *text,
                const char *signature)
{
  g_autofree char *block = g_strconcat (KURIR_MESSAGE_BUILDER_SIGNATURE_SEPARATOR, signature, NULL);
  gsize block_len = strlen (block);
  gsize end = strlen (text);

  while (end > 0 && g_ascii_isspace (text[end - 1]))
    end--;
  while (block_len > 0 && g_ascii_isspace (block[block_len - 1]))
    block_len--;
  if (end < block_len || strncmp (text + end - block_len, block, block_len) != 0)
    return -1;
  if (end - block_len > 0 && text[end - block_len - 1] != '\n')
    return -1;
  return end - block_len;
}

char *
kurir_message_builder_swap_signature (const char *text,
                                      const char *old_signature,
                                      const char *new_signature)
{
  GString *out;

  if (text == NULL)
    text = "";
  out = g_string_new (text);
  if (old_signature != NULL && *old_signature != '\0')
    {
      gssize start = find_signature (text, old_signature);

      /* Edited by the person: theirs now, left alone. */
      if (start < 0)
        return g_string_free (out, FALSE);
      g_string_truncate (out, start);
    }
  if (new_signature != NULL && *new_signature != '\0')
    {
      g_autofree char *clean = g_strdup (new_signature);

      g_strchomp (clean);
      if (out->len == 0)
        g_string_append (out, "\n\n");
      else if (out->str[out->len - 1] != '\n')
        g_string_append_c (out, '\n');
      g_string_append (out, KURIR_MESSAGE_BUILDER_SIGNATURE_SEPARATOR);
      g_string_append (out, clean);
    }
  return g_string_free (out, FALSE);
}

/* Whether the body (after the header) has a byte over 127. */
static gboolean
body_is_8bit (const char *data,
              gsize       size)
{
  const char *end = g_strstr_len (data, size, "\n\r\n");
  const char *end_lf = g_strstr_len (data, size, "\n\n");
  const char *body;

  if (end == NULL || (end_lf != NULL && end_lf < end))
    end = end_lf;
  if (end == NULL)
    return FALSE;
  for (body = end; body < data + size; body++)
    if ((guchar) *body >= 0x80)
      return TRUE;
  return FALSE;
}

/* Each 8bit or binary part of @object gets an encoding for 7-bit
 * transport: quoted-printable for text (readable, and format=flowed
 * survives it), base64 for the rest; multiparts and message/rfc822
 * parts are walked into. */
static void
reencode_7bit (GMimeObject *object,
               guint        depth)
{
  if (object == NULL || depth > KURIR_MIME_MAX_DEPTH)
    return;
  if (GMIME_IS_MESSAGE (object))
    reencode_7bit (g_mime_message_get_mime_part (GMIME_MESSAGE (object)), depth + 1);
  else if (GMIME_IS_MESSAGE_PART (object))
    reencode_7bit (GMIME_OBJECT (g_mime_message_part_get_message (GMIME_MESSAGE_PART (object))), depth + 1);
  else if (GMIME_IS_MULTIPART (object))
    {
      for (int i = 0; i < g_mime_multipart_get_count (GMIME_MULTIPART (object)); i++)
        reencode_7bit (g_mime_multipart_get_part (GMIME_MULTIPART (object), i), depth + 1);
    }
  else if (GMIME_IS_PART (object))
    {
      GMimePart *part = GMIME_PART (object);
      GMimeContentEncoding encoding = g_mime_part_get_content_encoding (part);
      GMimeContentType *type = g_mime_object_get_content_type (object);

      if (encoding != GMIME_CONTENT_ENCODING_8BIT && encoding != GMIME_CONTENT_ENCODING_BINARY &&
          encoding != GMIME_CONTENT_ENCODING_DEFAULT)
        return;
      if (encoding == GMIME_CONTENT_ENCODING_DEFAULT &&
          g_mime_part_get_best_content_encoding (part, GMIME_ENCODING_CONSTRAINT_7BIT) ==
          GMIME_CONTENT_ENCODING_7BIT)
        return;
      g_mime_part_set_content_encoding (part, type != NULL && g_mime_content_type_is_type (type, "text", "*")
                                              ? GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE
                                              : GMIME_CONTENT_ENCODING_BASE64);
    }
}

GBytes *
kurir_message_builder_to_7bit (GBytes  *message,
                               GError **error)
{
  g_autoptr(KurirMimeParsed) parsed = NULL;
  g_autoptr(GMimeStream) stream = NULL;
  GMimeFormatOptions *options;
  GByteArray *array;
  const char *data;
  gsize size;

  g_return_val_if_fail (message != NULL, NULL);

  data = g_bytes_get_data (message, &size);
  if (!body_is_8bit (data, size))
    return g_bytes_ref (message);
  parsed = kurir_mime_parse (data, size);
  if (parsed == NULL || parsed->message == NULL)
    {
      g_set_error_literal (error, KURIR_MESSAGE_BUILDER_ERROR, KURIR_MESSAGE_BUILDER_ERROR_INVALID,
                           _("The message could not be read to encode it for a 7-bit server"));
      return NULL;
    }
  reencode_7bit (GMIME_OBJECT (parsed->message), 0);
  stream = g_mime_stream_mem_new ();
  options = g_mime_format_options_new ();
  g_mime_format_options_set_newline_format (options, GMIME_NEWLINE_FORMAT_DOS);
  g_mime_object_write_to_stream (GMIME_OBJECT (parsed->message), options, stream);
  g_mime_format_options_free (options);
  array = g_mime_stream_mem_get_byte_array (GMIME_STREAM_MEM (stream));
  return g_bytes_new (array->data, array->len);
}
