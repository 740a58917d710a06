/* kurir-imap-data.c: typed views of IMAP responses
 *
 * The parser keeps every response as a tree of values; these functions
 * read the common ones into structs, checking types and ranges. They are
 * lenient where real servers differ harmlessly (NIL where a number or a
 * string belongs in a BODYSTRUCTURE, a missing line count) and strict where
 * a wrong value would corrupt what we store (UIDs, UIDVALIDITY, sets).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-imap"

#include "config.h"

#include <gmime/gmime.h>
#include <string.h>

#include "kurir-imap-error.h"
#include "kurir-imap-parser-private.h"
#include "kurir-imap-utf7.h"

/* Helpers */

static gboolean G_GNUC_PRINTF (3, 4)
data_error (GError     **error,
            const char  *what,
            const char  *format,
            ...)
{
  g_autofree char *why = NULL;
  va_list args;

  va_start (args, format);
  why = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_PROTOCOL,
               "The server sent a malformed %s response: %s", what, why);
  return FALSE;
}

static void
ensure_gmime (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      g_mime_init ();
      g_once_init_leave (&initialized, 1);
    }
}

static const KurirImapValue *
child (const KurirImapValue *value,
       guint                 index)
{
  return kurir_imap_value_get_child (value, index);
}

static guint
n_children (const KurirImapValue *value)
{
  return kurir_imap_value_get_n_children (value);
}

static gboolean
is_list (const KurirImapValue *value)
{
  return value != NULL && value->kind == KURIR_IMAP_VALUE_LIST;
}

static gboolean
is_stringish (const KurirImapValue *value)
{
  return value != NULL && (value->kind == KURIR_IMAP_VALUE_STRING ||
                           value->kind == KURIR_IMAP_VALUE_LITERAL ||
                           value->kind == KURIR_IMAP_VALUE_ATOM ||
                           value->kind == KURIR_IMAP_VALUE_NUMBER);
}

/* An nstring: NULL for NIL, and for anything that is not a string. */
static char *
dup_nstring (const KurirImapValue *value)
{
  if (!is_stringish (value))
    return NULL;
  return g_strdup (kurir_imap_value_get_string (value));
}

static char *
dup_lower (const KurirImapValue *value)
{
  const char *text = is_stringish (value) ? kurir_imap_value_get_string (value) : NULL;

  return text != NULL ? g_ascii_strdown (text, -1) : NULL;
}

static char *
decode_header_text (const char *raw)
{
  g_autofree char *decoded = NULL;

  if (raw == NULL)
    return NULL;
  ensure_gmime ();
  decoded = g_mime_utils_header_decode_text (NULL, raw);
  if (decoded == NULL)
    return g_utf8_make_valid (raw, -1);
  return g_utf8_make_valid (decoded, -1);
}

static gboolean
get_u32 (const KurirImapValue *value,
         gboolean              nonzero,
         guint32              *out)
{
  guint64 number;

  if (!kurir_imap_value_get_number (value, &number) || number > G_MAXUINT32 ||
      (nonzero && number == 0))
    return FALSE;
  *out = (guint32) number;
  return TRUE;
}

static GStrv
strv_from_list (const KurirImapValue *list,
                gboolean              upper)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; i < n_children (list); i++)
    {
      const char *text = kurir_imap_value_get_string (child (list, i));

      if (text == NULL)
        continue;
      if (upper)
        {
          g_autofree char *up = g_ascii_strup (text, -1);

          g_strv_builder_add (builder, up);
        }
      else
        g_strv_builder_add (builder, text);
    }
  return g_strv_builder_end (builder);
}

static char *
normalize_section (const char *in,
                   gsize       length)
{
  GString *out = g_string_sized_new (length);
  gboolean space = FALSE;

  for (gsize i = 0; i < length; i++)
    {
      char ch = in[i];

      if (ch == ' ' || ch == '\t')
        {
          space = TRUE;
          continue;
        }
      if (space && out->len > 0 && out->str[out->len - 1] != '(' && ch != ')')
        g_string_append_c (out, ' ');
      space = FALSE;
      g_string_append_c (out, g_ascii_toupper (ch));
    }
  return g_string_free (out, FALSE);
}

/* Public API: sequence sets */

GArray *
kurir_imap_sequence_set_parse (const char  *set,
                               GError     **error)
{
  g_autoptr(GArray) ranges = g_array_new (FALSE, FALSE, sizeof (KurirImapRange));
  const char *p = set;

  g_return_val_if_fail (set != NULL, NULL);

  for (;;)
    {
      guint32 bounds[2];
      guint n = 0;
      KurirImapRange range;

      for (;;)
        {
          guint64 number = 0;
          const char *start = p;

          if (*p == '*')
            {
              number = G_MAXUINT32;
              p++;
            }
          else
            {
              while (g_ascii_isdigit (*p) && number <= G_MAXUINT32)
                number = number * 10 + (guint64) (*p++ - '0');
              if (p == start || number == 0 || number > G_MAXUINT32)
                {
                  g_set_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_PROTOCOL,
                               "The server sent a malformed sequence set “%s”", set);
                  return NULL;
                }
            }
          bounds[n++] = (guint32) number;
          if (*p != ':' || n == 2)
            break;
          p++;
        }
      range.first = MIN (bounds[0], bounds[n - 1]);
      range.last = MAX (bounds[0], bounds[n - 1]);
      g_array_append_val (ranges, range);
      if (*p == '\0')
        break;
      if (*p != ',')
        {
          g_set_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_PROTOCOL,
                       "The server sent a malformed sequence set “%s”", set);
          return NULL;
        }
      p++;
    }
  return g_steal_pointer (&ranges);
}

GArray *
kurir_imap_ranges_expand (GArray  *ranges,
                          guint    max_count,
                          GError **error)
{
  g_autoptr(GArray) uids = g_array_new (FALSE, FALSE, sizeof (guint32));
  guint64 total = 0;

  g_return_val_if_fail (ranges != NULL, NULL);

  for (guint i = 0; i < ranges->len; i++)
    {
      const KurirImapRange *range = &g_array_index (ranges, KurirImapRange, i);

      total += (guint64) range->last - range->first + 1;
    }
  if (total > max_count)
    {
      g_set_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_TOO_LARGE,
                   "The server named %" G_GUINT64_FORMAT " messages, more than the limit of %u",
                   total, max_count);
      return NULL;
    }
  g_array_set_size (uids, 0);
  for (guint i = 0; i < ranges->len; i++)
    {
      const KurirImapRange *range = &g_array_index (ranges, KurirImapRange, i);

      for (guint64 uid = range->first; uid <= range->last; uid++)
        {
          guint32 value = (guint32) uid;

          g_array_append_val (uids, value);
        }
    }
  return g_steal_pointer (&uids);
}

/* Public API: capabilities and flags */

GStrv
kurir_imap_response_dup_capabilities (const KurirImapResponse *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (self->data != NULL && self->name != NULL &&
      (g_str_equal (self->name, "CAPABILITY") || g_str_equal (self->name, "ENABLED")))
    return strv_from_list (self->data, TRUE);
  if (self->code != NULL && g_str_equal (self->code, "CAPABILITY") && self->code_args != NULL)
    return strv_from_list (self->code_args, TRUE);
  return NULL;
}

GStrv
kurir_imap_response_dup_flags (const KurirImapResponse *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (self->data != NULL && self->name != NULL && g_str_equal (self->name, "FLAGS") &&
      is_list (child (self->data, 0)))
    return strv_from_list (child (self->data, 0), FALSE);
  if (self->code != NULL && g_str_equal (self->code, "PERMANENTFLAGS") &&
      is_list (child (self->code_args, 0)))
    return strv_from_list (child (self->code_args, 0), FALSE);
  return NULL;
}

/* Public API: LIST */

static const struct {
  const char            *attribute;
  KurirImapMailboxFlags  flags;
} mailbox_attributes[] = {
  { "\\Noselect", KURIR_IMAP_MAILBOX_NOSELECT },
  { "\\NoInferiors", KURIR_IMAP_MAILBOX_NOINFERIORS },
  { "\\HasChildren", KURIR_IMAP_MAILBOX_HAS_CHILDREN },
  { "\\HasNoChildren", KURIR_IMAP_MAILBOX_HAS_NO_CHILDREN },
  { "\\Marked", KURIR_IMAP_MAILBOX_MARKED },
  { "\\Unmarked", KURIR_IMAP_MAILBOX_UNMARKED },
  { "\\NonExistent", KURIR_IMAP_MAILBOX_NONEXISTENT | KURIR_IMAP_MAILBOX_NOSELECT },
  { "\\Subscribed", KURIR_IMAP_MAILBOX_SUBSCRIBED },
  { "\\Remote", KURIR_IMAP_MAILBOX_REMOTE },
  { "\\All", KURIR_IMAP_MAILBOX_ALL },
  { "\\Archive", KURIR_IMAP_MAILBOX_ARCHIVE },
  { "\\Drafts", KURIR_IMAP_MAILBOX_DRAFTS },
  { "\\Flagged", KURIR_IMAP_MAILBOX_FLAGGED },
  { "\\Junk", KURIR_IMAP_MAILBOX_JUNK },
  { "\\Sent", KURIR_IMAP_MAILBOX_SENT },
  { "\\Trash", KURIR_IMAP_MAILBOX_TRASH },
  { "\\Important", KURIR_IMAP_MAILBOX_IMPORTANT },
  /* Gmail's XLIST */
  { "\\Inbox", KURIR_IMAP_MAILBOX_INBOX },
  { "\\AllMail", KURIR_IMAP_MAILBOX_ALL },
  { "\\Spam", KURIR_IMAP_MAILBOX_JUNK },
  { "\\Starred", KURIR_IMAP_MAILBOX_FLAGGED },
};

static char *
dup_mailbox_name (const KurirImapValue *value)
{
  const char *text;

  if (value == NULL || value->kind == KURIR_IMAP_VALUE_NIL || value->kind == KURIR_IMAP_VALUE_LIST)
    return NULL;
  text = kurir_imap_value_get_string (value);
  if (text == NULL)
    return NULL;
  if (g_ascii_strcasecmp (text, "INBOX") == 0)
    return g_strdup ("INBOX");
  return g_strdup (text);
}

KurirImapListEntry *
kurir_imap_list_entry_parse (const KurirImapResponse *self,
                             gboolean                 utf8_accept,
                             GError                 **error)
{
  g_autoptr(KurirImapListEntry) entry = NULL;
  const KurirImapValue *attributes;
  const KurirImapValue *delimiter;

  g_return_val_if_fail (self != NULL, NULL);

  if (self->data == NULL || self->name == NULL ||
      !(g_str_equal (self->name, "LIST") || g_str_equal (self->name, "LSUB") ||
        g_str_equal (self->name, "XLIST")))
    {
      data_error (error, "LIST", "not a LIST response");
      return NULL;
    }
  attributes = child (self->data, 0);
  delimiter = child (self->data, 1);
  if (!is_list (attributes) || n_children (self->data) < 3)
    {
      data_error (error, "LIST", "expected attributes, a delimiter and a name");
      return NULL;
    }

  entry = g_new0 (KurirImapListEntry, 1);
  entry->attributes = strv_from_list (attributes, FALSE);
  for (guint i = 0; entry->attributes[i] != NULL; i++)
    for (guint j = 0; j < G_N_ELEMENTS (mailbox_attributes); j++)
      if (g_ascii_strcasecmp (entry->attributes[i], mailbox_attributes[j].attribute) == 0)
        entry->flags |= mailbox_attributes[j].flags;

  if (!kurir_imap_value_is_nil (delimiter))
    {
      const char *text = is_stringish (delimiter) ? kurir_imap_value_get_string (delimiter) : NULL;

      if (text == NULL || strlen (text) != 1 || (guchar) text[0] >= 0x80)
        {
          data_error (error, "LIST", "the hierarchy delimiter is not one character");
          return NULL;
        }
      entry->delimiter = text[0];
    }

  entry->raw_name = dup_mailbox_name (child (self->data, 2));
  if (entry->raw_name == NULL)
    {
      data_error (error, "LIST", "the mailbox name is missing");
      return NULL;
    }
  if (g_str_equal (entry->raw_name, "INBOX"))
    entry->flags |= KURIR_IMAP_MAILBOX_INBOX;
  entry->name = kurir_imap_mailbox_decode (entry->raw_name, utf8_accept, &entry->name_error);

  return g_steal_pointer (&entry);
}

void
kurir_imap_list_entry_free (KurirImapListEntry *entry)
{
  if (entry == NULL)
    return;
  g_strfreev (entry->attributes);
  g_free (entry->raw_name);
  g_free (entry->name);
  g_clear_error (&entry->name_error);
  g_free (entry);
}

/* Public API: STATUS */

KurirImapStatusData *
kurir_imap_status_data_parse (const KurirImapResponse *self,
                              gboolean                 utf8_accept,
                              GError                 **error)
{
  g_autoptr(KurirImapStatusData) data = NULL;
  const KurirImapValue *items;

  g_return_val_if_fail (self != NULL, NULL);

  if (self->data == NULL || g_strcmp0 (self->name, "STATUS") != 0 ||
      n_children (self->data) != 2 || !is_list (child (self->data, 1)) ||
      n_children (child (self->data, 1)) % 2 != 0)
    {
      data_error (error, "STATUS", "expected a name and a list of items");
      return NULL;
    }

  data = g_new0 (KurirImapStatusData, 1);
  data->raw_name = dup_mailbox_name (child (self->data, 0));
  if (data->raw_name == NULL)
    {
      data_error (error, "STATUS", "the mailbox name is missing");
      return NULL;
    }
  data->name = kurir_imap_mailbox_decode (data->raw_name, utf8_accept, NULL);

  items = child (self->data, 1);
  for (guint i = 0; i < n_children (items); i += 2)
    {
      const KurirImapValue *name = child (items, i);
      guint64 number;

      if (!kurir_imap_value_get_number (child (items, i + 1), &number))
        {
          data_error (error, "STATUS", "the item %s is not a number",
                      kurir_imap_value_get_string (name));
          return NULL;
        }
#define U32_ITEM(atom, field, flag) \
      else if (kurir_imap_value_is_atom (name, atom)) \
        { \
          if (number > G_MAXUINT32) \
            { \
              data_error (error, "STATUS", "%s out of range", atom); \
              return NULL; \
            } \
          data->field = (guint32) number; \
          data->present |= flag; \
        }
      if (FALSE)
        ;
      U32_ITEM ("MESSAGES", messages, KURIR_IMAP_STATUS_ITEM_MESSAGES)
      U32_ITEM ("RECENT", recent, KURIR_IMAP_STATUS_ITEM_RECENT)
      U32_ITEM ("UIDNEXT", uidnext, KURIR_IMAP_STATUS_ITEM_UIDNEXT)
      U32_ITEM ("UIDVALIDITY", uidvalidity, KURIR_IMAP_STATUS_ITEM_UIDVALIDITY)
      U32_ITEM ("UNSEEN", unseen, KURIR_IMAP_STATUS_ITEM_UNSEEN)
      U32_ITEM ("DELETED", deleted, KURIR_IMAP_STATUS_ITEM_DELETED)
      else if (kurir_imap_value_is_atom (name, "SIZE"))
        {
          data->size = number;
          data->present |= KURIR_IMAP_STATUS_ITEM_SIZE;
        }
      else if (kurir_imap_value_is_atom (name, "HIGHESTMODSEQ"))
        {
          data->highestmodseq = number;
          data->present |= KURIR_IMAP_STATUS_ITEM_HIGHESTMODSEQ;
        }
#undef U32_ITEM
    }
  return g_steal_pointer (&data);
}

void
kurir_imap_status_data_free (KurirImapStatusData *data)
{
  if (data == NULL)
    return;
  g_free (data->raw_name);
  g_free (data->name);
  g_free (data);
}

/* Public API: SEARCH, ESEARCH, VANISHED */

GArray *
kurir_imap_response_parse_search (const KurirImapResponse *self,
                                  guint64                 *out_modseq,
                                  GError                 **error)
{
  g_autoptr(GArray) numbers = NULL;
  guint n;

  g_return_val_if_fail (self != NULL, NULL);

  if (out_modseq != NULL)
    *out_modseq = 0;
  if (self->data == NULL || g_strcmp0 (self->name, "SEARCH") != 0)
    {
      data_error (error, "SEARCH", "not a SEARCH response");
      return NULL;
    }
  n = n_children (self->data);
  numbers = g_array_sized_new (FALSE, FALSE, sizeof (guint32), n);
  for (guint i = 0; i < n; i++)
    {
      const KurirImapValue *value = child (self->data, i);
      guint32 number;

      if (i == n - 1 && is_list (value))
        {
          guint64 modseq;

          if (n_children (value) != 2 || !kurir_imap_value_is_atom (child (value, 0), "MODSEQ") ||
              !kurir_imap_value_get_number (child (value, 1), &modseq))
            {
              data_error (error, "SEARCH", "a malformed MODSEQ");
              return NULL;
            }
          if (out_modseq != NULL)
            *out_modseq = modseq;
          break;
        }
      if (!get_u32 (value, TRUE, &number))
        {
          data_error (error, "SEARCH", "a result that is not a message number");
          return NULL;
        }
      g_array_append_val (numbers, number);
    }
  return g_steal_pointer (&numbers);
}

KurirImapEsearch *
kurir_imap_esearch_parse (const KurirImapResponse *self,
                          GError                 **error)
{
  g_autoptr(KurirImapEsearch) esearch = NULL;
  guint i = 0;

  g_return_val_if_fail (self != NULL, NULL);

  if (self->data == NULL || g_strcmp0 (self->name, "ESEARCH") != 0)
    {
      data_error (error, "ESEARCH", "not an ESEARCH response");
      return NULL;
    }
  esearch = g_new0 (KurirImapEsearch, 1);
  if (is_list (child (self->data, 0)))
    {
      const KurirImapValue *correlator = child (self->data, 0);

      if (n_children (correlator) != 2 || !kurir_imap_value_is_atom (child (correlator, 0), "TAG"))
        {
          data_error (error, "ESEARCH", "a malformed search correlator");
          return NULL;
        }
      esearch->tag = dup_nstring (child (correlator, 1));
      i++;
    }
  if (kurir_imap_value_is_atom (child (self->data, i), "UID"))
    {
      esearch->uid = TRUE;
      i++;
    }
  for (; i < n_children (self->data); i += 2)
    {
      const KurirImapValue *name = child (self->data, i);
      const KurirImapValue *value = child (self->data, i + 1);
      guint64 number = 0;
      gboolean is_number = kurir_imap_value_get_number (value, &number);

      if (value == NULL)
        {
          data_error (error, "ESEARCH", "a result name without a value");
          return NULL;
        }
      if (kurir_imap_value_is_atom (name, "ALL"))
        {
          const char *set = kurir_imap_value_get_string (value);

          if (set == NULL || value->kind == KURIR_IMAP_VALUE_LIST)
            {
              data_error (error, "ESEARCH", "ALL is not a sequence set");
              return NULL;
            }
          g_clear_pointer (&esearch->all, g_array_unref);
          esearch->all = kurir_imap_sequence_set_parse (set, error);
          if (esearch->all == NULL)
            return NULL;
          esearch->present |= KURIR_IMAP_ESEARCH_ALL;
          continue;
        }
      if (kurir_imap_value_is_atom (name, "MODSEQ") && is_number)
        {
          esearch->modseq = number;
          esearch->present |= KURIR_IMAP_ESEARCH_MODSEQ;
          continue;
        }
#define U32_RESULT(atom, field, flag) \
      if (kurir_imap_value_is_atom (name, atom)) \
        { \
          if (!is_number || number > G_MAXUINT32) \
            { \
              data_error (error, "ESEARCH", "%s is not a number", atom); \
              return NULL; \
            } \
          esearch->field = (guint32) number; \
          esearch->present |= flag; \
          continue; \
        }
      U32_RESULT ("MIN", min, KURIR_IMAP_ESEARCH_MIN)
      U32_RESULT ("MAX", max, KURIR_IMAP_ESEARCH_MAX)
      U32_RESULT ("COUNT", count, KURIR_IMAP_ESEARCH_COUNT)
#undef U32_RESULT
      /* Other results (PARTIAL, RELEVANCY, ...) are skipped. */
    }
  return g_steal_pointer (&esearch);
}

void
kurir_imap_esearch_free (KurirImapEsearch *esearch)
{
  if (esearch == NULL)
    return;
  g_free (esearch->tag);
  g_clear_pointer (&esearch->all, g_array_unref);
  g_free (esearch);
}

GArray *
kurir_imap_response_parse_vanished (const KurirImapResponse *self,
                                    gboolean                *out_earlier,
                                    GError                 **error)
{
  const KurirImapValue *set;
  gboolean earlier = FALSE;
  guint i = 0;

  g_return_val_if_fail (self != NULL, NULL);

  if (self->data == NULL || g_strcmp0 (self->name, "VANISHED") != 0)
    {
      data_error (error, "VANISHED", "not a VANISHED response");
      return NULL;
    }
  if (is_list (child (self->data, 0)))
    {
      if (n_children (child (self->data, 0)) != 1 ||
          !kurir_imap_value_is_atom (child (child (self->data, 0), 0), "EARLIER"))
        {
          data_error (error, "VANISHED", "an unknown modifier");
          return NULL;
        }
      earlier = TRUE;
      i++;
    }
  set = child (self->data, i);
  if (set == NULL || n_children (self->data) != i + 1 ||
      (set->kind != KURIR_IMAP_VALUE_ATOM && set->kind != KURIR_IMAP_VALUE_NUMBER))
    {
      data_error (error, "VANISHED", "expected one set of UIDs");
      return NULL;
    }
  if (out_earlier != NULL)
    *out_earlier = earlier;
  return kurir_imap_sequence_set_parse (kurir_imap_value_get_string (set), error);
}

/* Public API: UIDPLUS */

static GArray *
parse_set_value (const KurirImapValue  *value,
                 GError               **error)
{
  if (value == NULL || (value->kind != KURIR_IMAP_VALUE_ATOM && value->kind != KURIR_IMAP_VALUE_NUMBER))
    {
      data_error (error, "UIDPLUS", "expected a set of UIDs");
      return NULL;
    }
  return kurir_imap_sequence_set_parse (kurir_imap_value_get_string (value), error);
}

gboolean
kurir_imap_response_parse_appenduid (const KurirImapResponse *self,
                                     guint32                 *out_uidvalidity,
                                     GArray                 **out_uids,
                                     GError                 **error)
{
  g_autoptr(GArray) uids = NULL;
  guint32 uidvalidity;

  g_return_val_if_fail (self != NULL, FALSE);

  if (g_strcmp0 (self->code, "APPENDUID") != 0 || n_children (self->code_args) != 2 ||
      !get_u32 (child (self->code_args, 0), TRUE, &uidvalidity))
    return data_error (error, "APPENDUID", "expected a UIDVALIDITY and UIDs");
  uids = parse_set_value (child (self->code_args, 1), error);
  if (uids == NULL)
    return FALSE;
  if (out_uidvalidity != NULL)
    *out_uidvalidity = uidvalidity;
  if (out_uids != NULL)
    *out_uids = g_steal_pointer (&uids);
  return TRUE;
}

gboolean
kurir_imap_response_parse_copyuid (const KurirImapResponse *self,
                                   guint32                 *out_uidvalidity,
                                   GArray                 **out_from,
                                   GArray                 **out_to,
                                   GError                 **error)
{
  g_autoptr(GArray) from = NULL;
  g_autoptr(GArray) to = NULL;
  guint32 uidvalidity;

  g_return_val_if_fail (self != NULL, FALSE);

  if (g_strcmp0 (self->code, "COPYUID") != 0 || n_children (self->code_args) != 3 ||
      !get_u32 (child (self->code_args, 0), TRUE, &uidvalidity))
    return data_error (error, "COPYUID", "expected a UIDVALIDITY and two sets of UIDs");
  from = parse_set_value (child (self->code_args, 1), error);
  if (from == NULL)
    return FALSE;
  to = parse_set_value (child (self->code_args, 2), error);
  if (to == NULL)
    return FALSE;
  if (out_uidvalidity != NULL)
    *out_uidvalidity = uidvalidity;
  if (out_from != NULL)
    *out_from = g_steal_pointer (&from);
  if (out_to != NULL)
    *out_to = g_steal_pointer (&to);
  return TRUE;
}

/* Public API: FETCH */

gboolean
kurir_imap_fetch_item_name_normalize (const char  *item,
                                      char       **out_name,
                                      char       **out_section,
                                      gint64      *out_origin)
{
  g_autofree char *base = NULL;
  g_autofree char *section = NULL;
  const char *open = strchr (item, '[');
  const char *close;
  gint64 origin = -1;

  if (open == NULL)
    {
      if (strchr (item, ']') != NULL || strchr (item, '<') != NULL)
        return FALSE;
      *out_name = g_ascii_strup (item, -1);
      *out_section = NULL;
      *out_origin = -1;
      return TRUE;
    }

  close = strrchr (item, ']');
  if (close == NULL || close < open)
    return FALSE;
  if (close[1] != '\0')
    {
      const char *p = close + 1;
      guint64 number = 0;

      if (*p++ != '<' || !g_ascii_isdigit (*p))
        return FALSE;
      while (g_ascii_isdigit (*p) && number < G_MAXINT64 / 10)
        number = number * 10 + (guint64) (*p++ - '0');
      if (*p == '.')
        {
          p++;
          while (g_ascii_isdigit (*p))
            p++;
        }
      if (p[0] != '>' || p[1] != '\0')
        return FALSE;
      origin = (gint64) number;
    }

  base = g_ascii_strup (item, open - item);
  if (g_str_has_suffix (base, ".PEEK"))
    base[strlen (base) - strlen (".PEEK")] = '\0';
  section = normalize_section (open + 1, close - open - 1);
  *out_name = g_strdup_printf ("%s[%s]", base, section);
  *out_section = g_steal_pointer (&section);
  *out_origin = origin;
  return TRUE;
}

guint
kurir_imap_response_get_n_fetch_items (const KurirImapResponse *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->fetch_items != NULL ? self->fetch_items->len : 0;
}

const KurirImapFetchItem *
kurir_imap_response_get_fetch_item (const KurirImapResponse *self,
                                    guint                    index)
{
  g_return_val_if_fail (self != NULL, NULL);
  if (self->fetch_items == NULL || index >= self->fetch_items->len)
    return NULL;
  return &g_array_index (self->fetch_items, KurirImapFetchItem, index);
}

const KurirImapFetchItem *
kurir_imap_response_lookup_fetch (const KurirImapResponse *self,
                                  const char              *name)
{
  g_autofree char *wanted = NULL;
  g_autofree char *section = NULL;
  gint64 origin;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  if (self->fetch_items == NULL ||
      !kurir_imap_fetch_item_name_normalize (name, &wanted, &section, &origin))
    return NULL;
  for (guint i = 0; i < self->fetch_items->len; i++)
    {
      const KurirImapFetchItem *item = &g_array_index (self->fetch_items, KurirImapFetchItem, i);

      if (g_str_equal (item->name, wanted))
        return item;
    }
  return NULL;
}

static const KurirImapValue *
lookup_value (const KurirImapResponse *self,
              const char              *name)
{
  const KurirImapFetchItem *item = kurir_imap_response_lookup_fetch (self, name);

  return item != NULL ? item->value : NULL;
}

gboolean
kurir_imap_response_get_fetch_uid (const KurirImapResponse *self,
                                   guint32                 *out_uid)
{
  guint32 uid;

  g_return_val_if_fail (self != NULL, FALSE);
  if (!get_u32 (lookup_value (self, "UID"), TRUE, &uid))
    return FALSE;
  if (out_uid != NULL)
    *out_uid = uid;
  return TRUE;
}

gboolean
kurir_imap_response_get_fetch_size (const KurirImapResponse *self,
                                    guint64                 *out_size)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return kurir_imap_value_get_number (lookup_value (self, "RFC822.SIZE"), out_size);
}

gboolean
kurir_imap_response_get_fetch_modseq (const KurirImapResponse *self,
                                      guint64                 *out_modseq)
{
  const KurirImapValue *value;

  g_return_val_if_fail (self != NULL, FALSE);
  value = lookup_value (self, "MODSEQ");
  if (!is_list (value) || n_children (value) != 1)
    return FALSE;
  return kurir_imap_value_get_number (child (value, 0), out_modseq);
}

GStrv
kurir_imap_response_dup_fetch_flags (const KurirImapResponse *self)
{
  const KurirImapValue *value;

  g_return_val_if_fail (self != NULL, NULL);
  value = lookup_value (self, "FLAGS");
  if (!is_list (value))
    return NULL;
  return strv_from_list (value, FALSE);
}

GDateTime *
kurir_imap_response_dup_fetch_internaldate (const KurirImapResponse *self)
{
  const KurirImapValue *value;
  const char *text;

  g_return_val_if_fail (self != NULL, NULL);
  value = lookup_value (self, "INTERNALDATE");
  if (!is_stringish (value))
    return NULL;
  /* NULL for a literal holding a NUL byte: no date either. */
  text = kurir_imap_value_get_string (value);
  if (text == NULL)
    return NULL;
  return kurir_imap_parse_date_time (text);
}

GBytes *
kurir_imap_response_dup_fetch_body (const KurirImapResponse *self,
                                    const char              *name,
                                    gboolean                *out_present)
{
  const KurirImapValue *value;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  value = lookup_value (self, name);
  if (out_present != NULL)
    *out_present = value != NULL;
  if (value == NULL || value->kind == KURIR_IMAP_VALUE_NUMBER)
    return NULL;
  return kurir_imap_value_dup_bytes (value);
}

GDateTime *
kurir_imap_parse_date_time (const char *text)
{
  static const char months[][4] = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
  };
  g_autoptr(GTimeZone) zone = NULL;
  char month_name[4] = { 0, };
  char sign;
  int day, year, hour, minute, second, zone_hhmm, consumed = 0;
  int month = 0;

  g_return_val_if_fail (text != NULL, NULL);

  while (*text == ' ')
    text++;
  if (sscanf (text, "%2d-%3c-%4d %2d:%2d:%2d %c%4d%n", &day, month_name, &year,
              &hour, &minute, &second, &sign, &zone_hhmm, &consumed) != 8 ||
      text[consumed] != '\0' || (sign != '+' && sign != '-'))
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (months); i++)
    if (g_ascii_strcasecmp (month_name, months[i]) == 0)
      month = i + 1;
  if (month == 0 || zone_hhmm < 0 || zone_hhmm % 100 >= 60 || zone_hhmm > 2359)
    return NULL;
  zone = g_time_zone_new_offset ((sign == '-' ? -1 : 1) *
                                 ((zone_hhmm / 100) * 3600 + (zone_hhmm % 100) * 60));
  return g_date_time_new (zone, year, month, day, hour, minute, second);
}

/* Public API: ENVELOPE */

static void
address_free (gpointer data)
{
  KurirImapAddress *address = data;

  g_free (address->name);
  g_free (address->mailbox);
  g_free (address->host);
  g_free (address->address);
  g_free (address->group);
  g_free (address);
}

static GPtrArray *
parse_addresses (const KurirImapValue  *value,
                 GError               **error)
{
  g_autoptr(GPtrArray) addresses = g_ptr_array_new_with_free_func (address_free);
  g_autofree char *group = NULL;

  if (kurir_imap_value_is_nil (value))
    return g_steal_pointer (&addresses);
  if (!is_list (value))
    {
      data_error (error, "ENVELOPE", "an address list is not a list");
      return NULL;
    }
  for (guint i = 0; i < n_children (value); i++)
    {
      const KurirImapValue *item = child (value, i);
      g_autofree char *mailbox = NULL;
      g_autofree char *host = NULL;
      KurirImapAddress *address;

      if (!is_list (item) || n_children (item) != 4)
        {
          data_error (error, "ENVELOPE", "an address is not a list of four");
          return NULL;
        }
      mailbox = dup_nstring (child (item, 2));
      host = dup_nstring (child (item, 3));
      if (host == NULL)
        {
          /* Group syntax: (NIL NIL "group" NIL) starts, (NIL NIL NIL NIL) ends. */
          g_free (group);
          group = mailbox != NULL ? decode_header_text (mailbox) : NULL;
          continue;
        }
      address = g_new0 (KurirImapAddress, 1);
      address->name = decode_header_text (kurir_imap_value_get_string (child (item, 0)));
      if (address->name != NULL && address->name[0] == '\0')
        g_clear_pointer (&address->name, g_free);
      address->address = mailbox != NULL ? g_strdup_printf ("%s@%s", mailbox, host) : g_strdup (host);
      address->mailbox = g_steal_pointer (&mailbox);
      address->host = g_steal_pointer (&host);
      address->group = g_strdup (group);
      g_ptr_array_add (addresses, address);
    }
  return g_steal_pointer (&addresses);
}

KurirImapEnvelope *
kurir_imap_envelope_parse (const KurirImapValue  *value,
                           GError               **error)
{
  g_autoptr(KurirImapEnvelope) envelope = NULL;
  GPtrArray **lists[6];

  if (!is_list (value) || n_children (value) != 10)
    {
      data_error (error, "ENVELOPE", "not a list of ten fields");
      return NULL;
    }
  envelope = g_new0 (KurirImapEnvelope, 1);
  lists[0] = &envelope->from;
  lists[1] = &envelope->sender;
  lists[2] = &envelope->reply_to;
  lists[3] = &envelope->to;
  lists[4] = &envelope->cc;
  lists[5] = &envelope->bcc;
  for (guint i = 0; i < G_N_ELEMENTS (lists); i++)
    {
      *lists[i] = parse_addresses (child (value, 2 + i), error);
      if (*lists[i] == NULL)
        return NULL;
    }

  envelope->date_raw = dup_nstring (child (value, 0));
  if (envelope->date_raw != NULL)
    {
      ensure_gmime ();
      envelope->date = g_mime_utils_header_decode_date (envelope->date_raw);
    }
  envelope->subject = decode_header_text (kurir_imap_value_get_string (child (value, 1)));
  envelope->in_reply_to = dup_nstring (child (value, 8));
  envelope->message_id = dup_nstring (child (value, 9));
  return g_steal_pointer (&envelope);
}

void
kurir_imap_envelope_free (KurirImapEnvelope *envelope)
{
  if (envelope == NULL)
    return;
  g_free (envelope->date_raw);
  g_clear_pointer (&envelope->date, g_date_time_unref);
  g_free (envelope->subject);
  g_clear_pointer (&envelope->from, g_ptr_array_unref);
  g_clear_pointer (&envelope->sender, g_ptr_array_unref);
  g_clear_pointer (&envelope->reply_to, g_ptr_array_unref);
  g_clear_pointer (&envelope->to, g_ptr_array_unref);
  g_clear_pointer (&envelope->cc, g_ptr_array_unref);
  g_clear_pointer (&envelope->bcc, g_ptr_array_unref);
  g_free (envelope->in_reply_to);
  g_free (envelope->message_id);
  g_free (envelope);
}

/* Public API: BODYSTRUCTURE */

static GHashTable *
parse_params (const KurirImapValue *value)
{
  GHashTable *params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  for (guint i = 0; i + 1 < n_children (value); i += 2)
    {
      char *name = dup_lower (child (value, i));
      const char *text = kurir_imap_value_get_string (child (value, i + 1));

      if (name != NULL)
        g_hash_table_replace (params, name, g_strdup (text != NULL ? text : ""));
    }
  return params;
}

static void
parse_disposition (KurirImapBodyPart    *part,
                   const KurirImapValue *value)
{
  if (!is_list (value) || n_children (value) < 1)
    return;
  part->disposition = dup_lower (child (value, 0));
  g_clear_pointer (&part->disposition_params, g_hash_table_unref);
  part->disposition_params = parse_params (child (value, 1));
}

static char *
child_section (const char *section,
               guint       index)
{
  if (section[0] == '\0')
    return g_strdup_printf ("%u", index + 1);
  return g_strdup_printf ("%s.%u", section, index + 1);
}

static KurirImapBodyPart *
parse_body_part (const KurirImapValue  *value,
                 const char            *section,
                 GError               **error)
{
  g_autoptr(KurirImapBodyPart) part = NULL;
  guint n = n_children (value);
  guint i = 0;
  guint extension;

  if (!is_list (value) || n == 0)
    {
      data_error (error, "BODYSTRUCTURE", "a body part is not a list");
      return NULL;
    }
  part = g_new0 (KurirImapBodyPart, 1);
  part->section = g_strdup (section);
  part->children = g_ptr_array_new_with_free_func ((GDestroyNotify) kurir_imap_body_part_free);
  part->disposition_params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  if (is_list (child (value, 0)))
    {
      /* multipart: parts, then the subtype, then extension data */
      for (; i < n && is_list (child (value, i)); i++)
        {
          g_autofree char *sub = child_section (section, i);
          KurirImapBodyPart *sub_part = parse_body_part (child (value, i), sub, error);

          if (sub_part == NULL)
            return NULL;
          g_ptr_array_add (part->children, sub_part);
        }
      part->type = g_strdup ("multipart");
      part->subtype = dup_lower (child (value, i));
      if (part->subtype == NULL)
        part->subtype = g_strdup ("mixed");
      part->params = parse_params (child (value, i + 1));
      parse_disposition (part, child (value, i + 2));
      return g_steal_pointer (&part);
    }

  part->type = dup_lower (child (value, 0));
  part->subtype = dup_lower (child (value, 1));
  if (part->type == NULL)
    part->type = g_strdup ("application");
  if (part->subtype == NULL)
    part->subtype = g_strdup ("octet-stream");
  part->params = parse_params (child (value, 2));
  part->id = dup_nstring (child (value, 3));
  part->description = dup_nstring (child (value, 4));
  part->encoding = dup_lower (child (value, 5));
  kurir_imap_value_get_number (child (value, 6), &part->size);
  extension = 7;

  if (g_str_equal (part->type, "text"))
    {
      kurir_imap_value_get_number (child (value, 7), &part->lines);
      extension = 8;
    }
  else if (g_str_equal (part->type, "message") &&
           (g_str_equal (part->subtype, "rfc822") || g_str_equal (part->subtype, "global")) &&
           is_list (child (value, 7)) && is_list (child (value, 8)))
    {
      const KurirImapValue *body = child (value, 8);
      g_autofree char *sub = NULL;
      KurirImapBodyPart *sub_part;

      part->envelope = kurir_imap_envelope_parse (child (value, 7), error);
      if (part->envelope == NULL)
        return NULL;
      sub = is_list (child (body, 0)) ? g_strdup (section) : child_section (section, 0);
      sub_part = parse_body_part (body, sub, error);
      if (sub_part == NULL)
        return NULL;
      g_ptr_array_add (part->children, sub_part);
      kurir_imap_value_get_number (child (value, 9), &part->lines);
      extension = 10;
    }
  /* extension data: md5, disposition, language, location */
  parse_disposition (part, child (value, extension + 1));
  return g_steal_pointer (&part);
}

KurirImapBodyPart *
kurir_imap_body_part_parse (const KurirImapValue  *value,
                            GError               **error)
{
  g_return_val_if_fail (value != NULL, NULL);

  /* The top of a single-part message is part "1". */
  return parse_body_part (value, is_list (child (value, 0)) ? "" : "1", error);
}

void
kurir_imap_body_part_free (KurirImapBodyPart *part)
{
  if (part == NULL)
    return;
  g_free (part->section);
  g_free (part->type);
  g_free (part->subtype);
  g_clear_pointer (&part->params, g_hash_table_unref);
  g_free (part->id);
  g_free (part->description);
  g_free (part->encoding);
  g_free (part->disposition);
  g_clear_pointer (&part->disposition_params, g_hash_table_unref);
  g_clear_pointer (&part->envelope, kurir_imap_envelope_free);
  g_clear_pointer (&part->children, g_ptr_array_unref);
  g_free (part);
}
