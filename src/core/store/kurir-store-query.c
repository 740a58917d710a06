/* kurir-store-query.c: the search language
 *
 * User text never reaches FTS5 syntax unquoted: each word or phrase
 * becomes a string in double quotes (inner quotes doubled), optionally
 * behind a column filter.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-store"

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

#include "kurir-message.h"
#include "kurir-store.h"
#include "kurir-store-query.h"

#define MAX_QUERY_LENGTH 4096
#define MAX_TERMS        64

/* Helpers */

/* Whether FTS5's unicode61 tokenizer finds any token in @text. */
static gboolean
has_token (const char *text)
{
  for (const char *p = text; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c >= 0x80 || g_ascii_isalnum (c))
        return TRUE;
    }
  return FALSE;
}

static void
append_phrase (GString    *match,
               const char *column,
               const char *text)
{
  if (match->len > 0)
    g_string_append (match, " AND ");
  if (column != NULL)
    g_string_append_printf (match, "%s : ", column);
  g_string_append_c (match, '"');
  for (const char *p = text; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (match, '"');
      g_string_append_c (match, *p);
    }
  g_string_append_c (match, '"');
}

static void
append_condition (GString    *where,
                  const char *condition)
{
  g_string_append (where, " AND ");
  g_string_append (where, condition);
}

static gboolean
parse_day (const char  *value,
           const char  *word,
           gint64      *out_time,
           GError     **error)
{
  g_autoptr(GDateTime) day = NULL;
  int year, month, mday;
  char end;

  if (sscanf (value, "%4d-%2d-%2d%c", &year, &month, &mday, &end) == 3 &&
      strlen (value) == 10 && g_date_valid_dmy (mday, month, year))
    day = g_date_time_new_local (year, month, mday, 0, 0, 0);
  if (day == NULL)
    {
      g_set_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_INVALID,
                   _("%s: wants a date as YYYY-MM-DD, not “%s”"), word, value);
      return FALSE;
    }
  *out_time = g_date_time_to_unix (day);
  return TRUE;
}

/* Splits @text into words; a word is a "quoted phrase", or runs to the next
 * space, where a prefix like from: may be followed by a quoted value.
 * Each word comes back as prefix (or NULL) and value, unquoted. */
static GPtrArray *
split_words (const char *text)
{
  GPtrArray *words = g_ptr_array_new_with_free_func (g_free);
  const char *p = text;

  while (*p)
    {
      GString *word;
      gboolean quoted = FALSE;

      while (g_ascii_isspace (*p))
        p++;
      if (*p == '\0')
        break;

      word = g_string_new (NULL);
      while (*p && (quoted || !g_ascii_isspace (*p)))
        {
          if (*p == '"')
            {
              /* "" inside quotes is a literal quote */
              if (quoted && p[1] == '"')
                {
                  g_string_append_c (word, '"');
                  p += 2;
                  continue;
                }
              quoted = !quoted;
              /* keep a marker so "from:x" in quotes stays a phrase */
              g_string_append_c (word, '\x01');
              p++;
              continue;
            }
          g_string_append_c (word, *p);
          p++;
        }
      g_ptr_array_add (words, g_string_free (word, FALSE));
    }
  return words;
}

static char *
strip_markers (const char *text)
{
  GString *out = g_string_new (NULL);

  for (const char *p = text; *p; p++)
    if (*p != '\x01')
      g_string_append_c (out, *p);
  return g_string_free (out, FALSE);
}

/* Public API */

void
kurir_store_query_free (KurirStoreQuery *query)
{
  if (query == NULL)
    return;
  g_free (query->match);
  g_free (query->where);
  g_clear_pointer (&query->params, g_ptr_array_unref);
  g_free (query);
}

KurirStoreQuery *
kurir_store_query_parse (const char  *text,
                         GError     **error)
{
  g_autoptr(GPtrArray) words = NULL;
  g_autoptr(GString) match = g_string_new (NULL);
  g_autoptr(GString) where = g_string_new ("1");
  g_autoptr(GPtrArray) params = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  KurirStoreQuery *query;
  guint n_terms = 0;

  g_return_val_if_fail (text != NULL, NULL);

  if (!g_utf8_validate (text, -1, NULL) || strlen (text) > MAX_QUERY_LENGTH)
    {
      g_set_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_INVALID,
                   _("the search is not valid UTF-8 or longer than %d bytes"), MAX_QUERY_LENGTH);
      return NULL;
    }

  words = split_words (text);
  for (guint i = 0; i < words->len; i++)
    {
      const char *raw = g_ptr_array_index (words, i);
      const char *colon = strchr (raw, ':');
      g_autofree char *prefix = NULL;
      g_autofree char *value = NULL;

      /* A prefix counts only when it comes before any quote. */
      if (colon != NULL && colon > raw && memchr (raw, '\x01', colon - raw) == NULL)
        {
          prefix = g_ascii_strdown (raw, colon - raw);
          value = strip_markers (colon + 1);
        }
      else
        value = strip_markers (raw);

      if (prefix == NULL && strchr (raw, '\x01') == NULL && strcmp (value, "AND") == 0)
        continue;

      if (++n_terms > MAX_TERMS)
        {
          g_set_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_INVALID,
                       _("the search has more than %d words"), MAX_TERMS);
          return NULL;
        }

      if (prefix != NULL &&
          (strcmp (prefix, "from") == 0 || strcmp (prefix, "to") == 0 ||
           strcmp (prefix, "subject") == 0 || strcmp (prefix, "attachment") == 0 ||
           strcmp (prefix, "folder") == 0 || strcmp (prefix, "account") == 0 ||
           strcmp (prefix, "before") == 0 || strcmp (prefix, "after") == 0 ||
           strcmp (prefix, "has") == 0 || strcmp (prefix, "is") == 0) &&
          *value == '\0')
        {
          g_set_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_INVALID,
                       _("“%s:” needs a value"), prefix);
          return NULL;
        }

      if (prefix == NULL)
        {
          if (has_token (value))
            append_phrase (match, NULL, value);
        }
      else if (strcmp (prefix, "from") == 0)
        {
          if (has_token (value))
            append_phrase (match, "sender", value);
        }
      else if (strcmp (prefix, "to") == 0)
        {
          if (has_token (value))
            append_phrase (match, "recipients", value);
        }
      else if (strcmp (prefix, "subject") == 0)
        {
          if (has_token (value))
            append_phrase (match, "subject", value);
        }
      else if (strcmp (prefix, "attachment") == 0)
        {
          if (has_token (value))
            append_phrase (match, "attachments", value);
        }
      else if (strcmp (prefix, "has") == 0)
        {
          if (g_ascii_strcasecmp (value, "attachment") != 0 &&
              g_ascii_strcasecmp (value, "attachments") != 0)
            {
              g_set_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_INVALID,
                           _("has: knows only “attachment”, not “%s”"), value);
              return NULL;
            }
          append_condition (where, "m.n_attachments > 0");
        }
      else if (strcmp (prefix, "is") == 0)
        {
          g_autofree char *condition = NULL;
          KurirMessageFlags flag;
          gboolean negate = FALSE;

          if (g_ascii_strcasecmp (value, "unread") == 0)
            {
              flag = KURIR_MESSAGE_FLAG_SEEN;
              negate = TRUE;
            }
          else if (g_ascii_strcasecmp (value, "read") == 0)
            flag = KURIR_MESSAGE_FLAG_SEEN;
          else if (!kurir_message_flag_from_string (value, &flag))
            {
              g_set_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_INVALID,
                           _("is: knows unread, read, seen, flagged, answered, draft and "
                             "deleted, not “%s”"), value);
              return NULL;
            }
          condition = g_strdup_printf ("(m.flags & %d) %s 0", (int) flag, negate ? "=" : "!=");
          append_condition (where, condition);
        }
      else if (strcmp (prefix, "before") == 0 || strcmp (prefix, "after") == 0)
        {
          gint64 time;

          if (!parse_day (value, prefix, &time, error))
            return NULL;
          append_condition (where, strcmp (prefix, "before") == 0 ? "m.date < ?" : "m.date >= ?");
          g_ptr_array_add (params, g_variant_ref_sink (g_variant_new_int64 (time)));
        }
      else if (strcmp (prefix, "folder") == 0)
        {
          append_condition (where, "(f.name = ? OR (f.name = 'INBOX' AND upper(?) = 'INBOX'))");
          g_ptr_array_add (params, g_variant_ref_sink (g_variant_new_string (value)));
          g_ptr_array_add (params, g_variant_ref_sink (g_variant_new_string (value)));
        }
      else if (strcmp (prefix, "account") == 0)
        {
          append_condition (where, "f.account = ?");
          g_ptr_array_add (params, g_variant_ref_sink (g_variant_new_string (value)));
        }
      else
        {
          /* Not a word of the language: search for the text as typed. */
          g_autofree char *whole = strip_markers (raw);

          if (has_token (whole))
            append_phrase (match, NULL, whole);
        }
    }

  if (n_terms == 0 || (match->len == 0 && strcmp (where->str, "1") == 0))
    {
      g_set_error_literal (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_INVALID,
                           _("the search is empty"));
      return NULL;
    }

  query = g_new0 (KurirStoreQuery, 1);
  query->match = match->len > 0 ? g_strdup (match->str) : NULL;
  query->where = g_strdup (where->str);
  query->params = g_steal_pointer (&params);
  return query;
}
