/* kurir-imap-command.c: building IMAP commands safely
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-imap"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kurir-imap-command.h"
#include "kurir-imap-error.h"
#include "kurir-imap-utf7.h"

struct _KurirImapCommand
{
  char                 *tag;
  KurirImapLiteralMode  literal_mode;
  gboolean              utf8;

  GPtrArray            *chunks;     /* KurirImapChunk */
  GString              *current;
  gboolean              current_sensitive;
  gboolean              need_space;
  guint                 depth;
  GError               *error;
};

/* Helpers */

static gboolean
is_atom_char (guchar ch)
{
  if (ch <= 0x20 || ch >= 0x7f)
    return FALSE;
  return strchr ("(){%*\"\\]", ch) == NULL;
}

static gboolean
is_atom (const char *text)
{
  if (text[0] == '\0')
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    if (!is_atom_char ((guchar) *p))
      return FALSE;
  return TRUE;
}

static void G_GNUC_PRINTF (2, 3)
set_error (KurirImapCommand *self,
           const char       *format,
           ...)
{
  g_autofree char *why = NULL;
  va_list args;

  if (self->error != NULL)
    return;
  va_start (args, format);
  why = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (&self->error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_INVALID_ARGUMENT,
               "Cannot build the IMAP command: %s", why);
}

static void
separate (KurirImapCommand *self)
{
  if (self->need_space)
    g_string_append_c (self->current, ' ');
  self->need_space = TRUE;
}

static void
flush_chunk (KurirImapCommand *self,
             gboolean          wait_continuation)
{
  KurirImapChunk *chunk;

  if (self->current->len == 0 && !wait_continuation)
    return;
  chunk = g_new0 (KurirImapChunk, 1);
  chunk->data = g_string_free_to_bytes (self->current);
  chunk->wait_continuation = wait_continuation;
  chunk->sensitive = self->current_sensitive;
  g_ptr_array_add (self->chunks, chunk);
  self->current = g_string_new (NULL);
  self->current_sensitive = FALSE;
}

static void
add_literal (KurirImapCommand *self,
             GBytes           *bytes,
             gboolean          binary,
             gboolean          sensitive)
{
  gsize size = g_bytes_get_size (bytes);
  gboolean sync;
  KurirImapChunk *chunk;

  switch (self->literal_mode)
    {
    case KURIR_IMAP_LITERAL_PLUS:
      sync = FALSE;
      break;
    case KURIR_IMAP_LITERAL_MINUS:
      sync = size > KURIR_IMAP_LITERAL_MINUS_MAX;
      break;
    case KURIR_IMAP_LITERAL_SYNC:
    default:
      sync = TRUE;
      break;
    }

  separate (self);
  g_string_append_printf (self->current, "%s{%" G_GSIZE_FORMAT "%s}\r\n",
                          binary ? "~" : "", size, sync ? "" : "+");
  flush_chunk (self, sync);

  chunk = g_new0 (KurirImapChunk, 1);
  chunk->data = g_bytes_ref (bytes);
  chunk->sensitive = sensitive;
  g_ptr_array_add (self->chunks, chunk);
}

static void
append_quoted (GString    *out,
               const char *text)
{
  g_string_append_c (out, '"');
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

/* Quoted strings carry no CR, LF or NUL; 8-bit only in UTF-8 mode. */
static gboolean
can_quote (KurirImapCommand *self,
           const char       *text)
{
  gsize length = 0;
  gboolean eight_bit = FALSE;

  for (const char *p = text; *p != '\0'; p++, length++)
    {
      guchar ch = (guchar) *p;

      if (ch == '\r' || ch == '\n')
        return FALSE;
      if (ch >= 0x80)
        eight_bit = TRUE;
    }
  if (length > KURIR_IMAP_MAX_QUOTED_LENGTH)
    return FALSE;
  if (eight_bit)
    return self->utf8 && g_utf8_validate (text, -1, NULL);
  return TRUE;
}

static void
add_string (KurirImapCommand *self,
            const char       *text,
            gboolean          allow_atom,
            gboolean          sensitive)
{
  if (allow_atom && is_atom (text) && g_ascii_strcasecmp (text, "NIL") != 0)
    {
      separate (self);
      g_string_append (self->current, text);
    }
  else if (can_quote (self, text))
    {
      separate (self);
      append_quoted (self->current, text);
    }
  else
    {
      g_autoptr(GBytes) bytes = g_bytes_new (text, strlen (text));

      add_literal (self, bytes, FALSE, sensitive);
      return;
    }
  if (sensitive)
    self->current_sensitive = TRUE;
}

static int
compare_uids (gconstpointer a,
              gconstpointer b)
{
  guint32 x = *(const guint32 *) a;
  guint32 y = *(const guint32 *) b;

  return x < y ? -1 : x > y;
}

/* Public API */

void
kurir_imap_chunk_free (KurirImapChunk *chunk)
{
  if (chunk == NULL)
    return;
  g_clear_pointer (&chunk->data, g_bytes_unref);
  g_free (chunk);
}

char *
kurir_imap_make_tag (guint serial)
{
  return g_strdup_printf ("A%04u", serial);
}

char *
kurir_imap_sequence_set_from_uids (const guint32 *uids,
                                   gsize          n_uids)
{
  g_autofree guint32 *sorted = NULL;
  g_autoptr(GString) out = NULL;
  gsize i = 0;

  g_return_val_if_fail (uids != NULL || n_uids == 0, NULL);

  sorted = g_memdup2 (uids, n_uids * sizeof (guint32));
  if (n_uids > 1)
    qsort (sorted, n_uids, sizeof (guint32), compare_uids);
  while (i < n_uids && sorted[i] == 0)
    i++;
  if (i == n_uids)
    return NULL;

  out = g_string_new (NULL);
  while (i < n_uids)
    {
      guint32 first = sorted[i];
      guint32 last = first;

      while (i < n_uids && (sorted[i] == last || (last < G_MAXUINT32 && sorted[i] == last + 1)))
        last = sorted[i++];
      if (out->len > 0)
        g_string_append_c (out, ',');
      if (first == last)
        g_string_append_printf (out, "%u", first);
      else
        g_string_append_printf (out, "%u:%u", first, last);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

KurirImapCommand *
kurir_imap_command_new (const char *tag,
                        const char *name)
{
  KurirImapCommand *self;

  g_return_val_if_fail (tag != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  self = g_new0 (KurirImapCommand, 1);
  self->tag = g_strdup (tag);
  self->chunks = g_ptr_array_new_with_free_func ((GDestroyNotify) kurir_imap_chunk_free);
  self->current = g_string_new (NULL);

  if (!is_atom (tag) || strchr (tag, '+') != NULL)
    set_error (self, "the tag “%s” is not valid", tag);
  g_string_append (self->current, tag);
  self->need_space = TRUE;

  {
    g_auto(GStrv) words = g_strsplit (name, " ", -1);

    if (words[0] == NULL)
      set_error (self, "no command name");
    for (guint i = 0; words[i] != NULL; i++)
      kurir_imap_command_add_atom (self, words[i]);
  }
  return self;
}

void
kurir_imap_command_free (KurirImapCommand *self)
{
  if (self == NULL)
    return;
  g_free (self->tag);
  g_ptr_array_unref (self->chunks);
  g_string_free (self->current, TRUE);
  g_clear_error (&self->error);
  g_free (self);
}

const char *
kurir_imap_command_get_tag (KurirImapCommand *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->tag;
}

void
kurir_imap_command_set_literal_mode (KurirImapCommand     *self,
                                     KurirImapLiteralMode  mode)
{
  g_return_if_fail (self != NULL);
  self->literal_mode = mode;
}

void
kurir_imap_command_set_utf8 (KurirImapCommand *self,
                             gboolean          utf8)
{
  g_return_if_fail (self != NULL);
  self->utf8 = !!utf8;
}

void
kurir_imap_command_add_atom (KurirImapCommand *self,
                             const char       *atom)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (atom != NULL);

  if (!is_atom (atom))
    {
      g_autofree char *shown = g_strescape (atom, NULL);

      set_error (self, "“%s” is not an atom", shown);
      return;
    }
  separate (self);
  g_string_append (self->current, atom);
}

void
kurir_imap_command_add_number (KurirImapCommand *self,
                               guint64           number)
{
  g_return_if_fail (self != NULL);
  separate (self);
  g_string_append_printf (self->current, "%" G_GUINT64_FORMAT, number);
}

void
kurir_imap_command_add_astring (KurirImapCommand *self,
                                const char       *text)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (text != NULL);
  add_string (self, text, TRUE, FALSE);
}

void
kurir_imap_command_add_string (KurirImapCommand *self,
                               const char       *text)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (text != NULL);
  add_string (self, text, FALSE, FALSE);
}

void
kurir_imap_command_add_secret (KurirImapCommand *self,
                               const char       *text)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (text != NULL);
  add_string (self, text, FALSE, TRUE);
}

void
kurir_imap_command_add_secret_atom (KurirImapCommand *self,
                                    const char       *atom)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (atom != NULL);

  if (!is_atom (atom))
    {
      /* Not shown: it is a credential. */
      set_error (self, "a credential is not an atom");
      return;
    }
  separate (self);
  g_string_append (self->current, atom);
  self->current_sensitive = TRUE;
}

void
kurir_imap_command_add_literal (KurirImapCommand *self,
                                GBytes           *bytes,
                                gboolean          binary)
{
  gsize size = 0;
  const char *data;

  g_return_if_fail (self != NULL);
  g_return_if_fail (bytes != NULL);

  data = g_bytes_get_data (bytes, &size);
  if (!binary && size > 0 && memchr (data, '\0', size) != NULL)
    {
      set_error (self, "a literal holds a NUL byte; only a binary literal may");
      return;
    }
  add_literal (self, bytes, binary, FALSE);
}

void
kurir_imap_command_add_mailbox (KurirImapCommand *self,
                                const char       *name)
{
  g_autofree char *encoded = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (self != NULL);
  g_return_if_fail (name != NULL);

  if (g_ascii_strcasecmp (name, "INBOX") == 0)
    {
      kurir_imap_command_add_atom (self, "INBOX");
      return;
    }
  encoded = kurir_imap_mailbox_encode (name, self->utf8, &error);
  if (encoded == NULL)
    {
      set_error (self, "%s", error->message);
      return;
    }
  if (encoded[0] == '\0')
    {
      set_error (self, "an empty mailbox name");
      return;
    }
  add_string (self, encoded, TRUE, FALSE);
}

void
kurir_imap_command_add_sequence_set (KurirImapCommand *self,
                                     const guint32    *uids,
                                     gsize             n_uids)
{
  g_autofree char *set = NULL;

  g_return_if_fail (self != NULL);

  set = kurir_imap_sequence_set_from_uids (uids, n_uids);
  if (set == NULL)
    {
      set_error (self, "an empty set of messages");
      return;
    }
  separate (self);
  g_string_append (self->current, set);
}

void
kurir_imap_command_add_flag_list (KurirImapCommand   *self,
                                  const char * const *flags)
{
  g_return_if_fail (self != NULL);

  kurir_imap_command_open_list (self);
  for (guint i = 0; flags != NULL && flags[i] != NULL; i++)
    {
      const char *flag = flags[i];

      if (!is_atom (flag[0] == '\\' ? flag + 1 : flag))
        {
          g_autofree char *shown = g_strescape (flag, NULL);

          set_error (self, "“%s” is not a valid flag", shown);
          return;
        }
      separate (self);
      g_string_append (self->current, flag);
    }
  kurir_imap_command_close_list (self);
}

void
kurir_imap_command_add_raw (KurirImapCommand *self,
                            const char       *syntax)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (syntax != NULL);

  for (const char *p = syntax; *p != '\0'; p++)
    if ((guchar) *p < 0x20 || (guchar) *p >= 0x7f)
      {
        set_error (self, "raw command syntax holds a control or 8-bit byte");
        return;
      }
  if (syntax[0] == '\0')
    return;
  separate (self);
  g_string_append (self->current, syntax);
}

void
kurir_imap_command_open_list (KurirImapCommand *self)
{
  g_return_if_fail (self != NULL);
  separate (self);
  g_string_append_c (self->current, '(');
  self->need_space = FALSE;
  self->depth++;
}

void
kurir_imap_command_close_list (KurirImapCommand *self)
{
  g_return_if_fail (self != NULL);
  if (self->depth == 0)
    {
      set_error (self, "a list closed that was not open");
      return;
    }
  g_string_append_c (self->current, ')');
  self->need_space = TRUE;
  self->depth--;
}

GPtrArray *
kurir_imap_command_build (KurirImapCommand  *self,
                          GError           **error)
{
  GPtrArray *chunks;

  g_return_val_if_fail (self != NULL, NULL);

  if (self->error == NULL && self->depth != 0)
    set_error (self, "a list not closed");
  if (self->error != NULL)
    {
      g_propagate_error (error, g_error_copy (self->error));
      return NULL;
    }
  g_string_append (self->current, "\r\n");
  flush_chunk (self, FALSE);

  chunks = g_steal_pointer (&self->chunks);
  self->chunks = g_ptr_array_new_with_free_func ((GDestroyNotify) kurir_imap_chunk_free);
  self->error = g_error_new_literal (KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_INVALID_ARGUMENT,
                                     "Cannot build the IMAP command: it was built already");
  return chunks;
}
