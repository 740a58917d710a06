/* kurir-message-parts.c: the body parts, attachments and headers of one
 * message as the reader and `kurir-cli show` display them
 *
 * Body parts are never joined into one document: each comes with its
 * kind, and the choices of a multipart/alternative share a group number
 * so that the reader shows one of them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-mime"

#include "config.h"

#include <string.h>

#include "kurir-message-parts.h"
#include "kurir-mime-private.h"

#define HEADER_LINE_MAX (16 * 1024)

/* Helpers */

static void
body_part_free (KurirBodyPart *part)
{
  g_free (part->text);
  g_free (part);
}

static void
attachment_free (KurirAttachment *attachment)
{
  g_free (attachment->filename);
  g_free (attachment->content_type);
  g_free (attachment);
}

static gboolean
count_cb (const char  *chunk,
          gsize        length,
          gpointer     user_data,
          GError     **error)
{
  *(guint64 *) user_data += length;
  return TRUE;
}

static gboolean
write_cb (const char  *chunk,
          gsize        length,
          gpointer     user_data,
          GError     **error)
{
  return g_output_stream_write_all (G_OUTPUT_STREAM (user_data), chunk, length, NULL, NULL, error);
}

static char *
content_type_string (GMimeObject *object)
{
  GMimeContentType *type = g_mime_object_get_content_type (object);
  g_autofree char *joined = NULL;

  if (type == NULL)
    return g_strdup ("application/octet-stream");
  joined = g_strdup_printf ("%s/%s",
                            g_mime_content_type_get_media_type (type),
                            g_mime_content_type_get_media_subtype (type));
  return g_ascii_strdown (joined, -1);
}

typedef struct
{
  GBytes *message;
  guint   index;
  GFile  *dest;
} SaveData;

static void
save_data_free (SaveData *save)
{
  g_bytes_unref (save->message);
  g_object_unref (save->dest);
  g_free (save);
}

static void
save_attachment_thread (GTask        *task,
                        gpointer      source_object,
                        gpointer      task_data,
                        GCancellable *cancellable)
{
  SaveData *save = task_data;
  GError *error = NULL;
  gsize length;
  const char *data = g_bytes_get_data (save->message, &length);

  if (kurir_message_parts_save_attachment (data != NULL ? data : "", length, save->index, save->dest,
                                           cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
append_header (GString      *out,
               const char   *label,
               char         *value)  /* consumed */
{
  if (value != NULL && *value != '\0')
    g_string_append_printf (out, "%s: %s\n", label, value);
  g_free (value);
}

/* Public API */

KurirMessageParts *
kurir_message_parts_new_from_data (const char *data,
                                   gsize       length)
{
  KurirMessageParts *parts = g_new0 (KurirMessageParts, 1);
  g_autoptr(KurirMimeParsed) parsed = NULL;
  g_autoptr(GArray) leaves = NULL;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  parts->body_parts = g_ptr_array_new_with_free_func ((GDestroyNotify) body_part_free);
  parts->attachments = g_ptr_array_new_with_free_func ((GDestroyNotify) attachment_free);

  parsed = kurir_mime_parse (data, length);
  leaves = kurir_mime_collect_leaves (parsed->message);
  for (guint i = 0; i < leaves->len; i++)
    {
      KurirMimeLeaf *leaf = &g_array_index (leaves, KurirMimeLeaf, i);

      if (leaf->kind == KURIR_MIME_LEAF_ATTACHMENT)
        {
          KurirAttachment *attachment = g_new0 (KurirAttachment, 1);

          attachment->index = parts->attachments->len;
          attachment->filename = kurir_mime_leaf_get_attachment_name (leaf->object);
          attachment->content_type = content_type_string (leaf->object);
          kurir_mime_leaf_decode (leaf->object, G_MAXUINT64, count_cb, &attachment->size, NULL, NULL);
          g_ptr_array_add (parts->attachments, attachment);
        }
      else
        {
          KurirBodyPart *part = g_new0 (KurirBodyPart, 1);

          part->kind = leaf->kind == KURIR_MIME_LEAF_HTML ? KURIR_BODY_PART_HTML : KURIR_BODY_PART_PLAIN;
          part->text = kurir_mime_part_get_text (leaf->object, KURIR_MESSAGE_PARTS_TEXT_MAX);
          part->alternative_group = leaf->alternative_group;
          part->alternative = leaf->alternative;
          g_ptr_array_add (parts->body_parts, part);
        }
    }

  return parts;
}

void
kurir_message_parts_free (KurirMessageParts *parts)
{
  if (parts == NULL)
    return;

  g_clear_pointer (&parts->body_parts, g_ptr_array_unref);
  g_clear_pointer (&parts->attachments, g_ptr_array_unref);
  g_free (parts);
}

gboolean
kurir_message_parts_save_attachment (const char    *data,
                                     gsize          length,
                                     guint          index,
                                     GFile         *dest,
                                     GCancellable  *cancellable,
                                     GError       **error)
{
  g_autoptr(KurirMimeParsed) parsed = NULL;
  g_autoptr(GArray) leaves = NULL;
  g_autoptr(GFileOutputStream) out = NULL;
  GMimeObject *object = NULL;
  guint n = 0;

  g_return_val_if_fail (data != NULL || length == 0, FALSE);
  g_return_val_if_fail (G_IS_FILE (dest), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  parsed = kurir_mime_parse (data, length);
  leaves = kurir_mime_collect_leaves (parsed->message);
  for (guint i = 0; i < leaves->len && object == NULL; i++)
    {
      KurirMimeLeaf *leaf = &g_array_index (leaves, KurirMimeLeaf, i);

      if (leaf->kind == KURIR_MIME_LEAF_ATTACHMENT && n++ == index)
        object = leaf->object;
    }
  if (object == NULL)
    {
      g_set_error (error, KURIR_MIME_ERROR, KURIR_MIME_ERROR_NOT_FOUND,
                   "The message has no attachment number %u", index + 1);
      return FALSE;
    }

  /* g_file_replace() writes a temporary file and renames it on close */
  out = g_file_replace (dest, NULL, FALSE, G_FILE_CREATE_REPLACE_DESTINATION, cancellable, error);
  if (out == NULL)
    return FALSE;

  if (!kurir_mime_leaf_decode (object, G_MAXUINT64, write_cb, out, cancellable, error))
    {
      g_autoptr(GCancellable) abandon = g_cancellable_new ();

      /* closing with a cancelled cancellable drops the temporary file */
      g_cancellable_cancel (abandon);
      g_output_stream_close (G_OUTPUT_STREAM (out), abandon, NULL);
      return FALSE;
    }

  return g_output_stream_close (G_OUTPUT_STREAM (out), cancellable, error);
}

void
kurir_message_parts_save_attachment_async (GBytes              *message,
                                           guint                index,
                                           GFile               *dest,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  SaveData *save;

  g_return_if_fail (message != NULL);
  g_return_if_fail (G_IS_FILE (dest));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  save = g_new0 (SaveData, 1);
  save->message = g_bytes_ref (message);
  save->index = index;
  save->dest = g_object_ref (dest);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, kurir_message_parts_save_attachment_async);
  g_task_set_task_data (task, save, (GDestroyNotify) save_data_free);
  g_task_run_in_thread (task, save_attachment_thread);
}

gboolean
kurir_message_parts_save_attachment_finish (GAsyncResult  *result,
                                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == kurir_message_parts_save_attachment_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

char *
kurir_mime_get_text (const char *data,
                     gsize       length)
{
  g_autoptr(KurirMimeParsed) parsed = NULL;
  g_autoptr(GArray) leaves = NULL;
  g_autoptr(GString) plain = g_string_new (NULL);
  GMimeObject *html = NULL;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  parsed = kurir_mime_parse (data, length);
  leaves = kurir_mime_collect_leaves (parsed->message);
  for (guint i = 0; i < leaves->len; i++)
    {
      KurirMimeLeaf *leaf = &g_array_index (leaves, KurirMimeLeaf, i);

      if (leaf->kind == KURIR_MIME_LEAF_PLAIN)
        {
          g_autofree char *text = kurir_mime_part_get_text (leaf->object, KURIR_MESSAGE_PARTS_TEXT_MAX);

          if (plain->len > 0)
            g_string_append (plain, "\n");
          g_string_append (plain, text);
        }
      else if (leaf->kind == KURIR_MIME_LEAF_HTML && html == NULL)
        html = leaf->object;
    }

  if (plain->len == 0 && html != NULL)
    {
      g_autofree char *text = kurir_mime_part_get_text (html, KURIR_MESSAGE_PARTS_TEXT_MAX);

      return kurir_mime_html_to_text (text, -1);
    }
  return g_string_free (g_steal_pointer (&plain), FALSE);
}

char *
kurir_mime_format_headers (const char *data,
                           gsize       length)
{
  g_autoptr(KurirMimeParsed) parsed = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  GMimeMessage *message;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  parsed = kurir_mime_parse (data, length);
  message = parsed->message;

  append_header (out, "From", kurir_mime_format_addresses (g_mime_message_get_from (message), HEADER_LINE_MAX));
  append_header (out, "To", kurir_mime_format_addresses (g_mime_message_get_to (message), HEADER_LINE_MAX));
  append_header (out, "Cc", kurir_mime_format_addresses (g_mime_message_get_cc (message), HEADER_LINE_MAX));
  append_header (out, "Date", kurir_mime_clean_line (g_mime_object_get_header (GMIME_OBJECT (message), "Date"),
                                                     HEADER_LINE_MAX));
  append_header (out, "Subject", kurir_mime_clean_line (g_mime_message_get_subject (message), HEADER_LINE_MAX));

  return g_string_free (g_steal_pointer (&out), FALSE);
}
