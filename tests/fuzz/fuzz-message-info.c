/* fuzz-message-info.c: the message summary extraction (GMime parse,
 * decoded headers, preview, attachment names, threading keys) and the
 * reader's parts, text and header views, over any bytes as a message
 *
 * What the index and the list show must be bounded valid UTF-8 with no
 * line breaks where one line is promised, and attachment names must be
 * safe file names.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "kurir-message-info.h"
#include "kurir-message-parts.h"
#include "kurir-mime.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_text (const char *text)
{
  if (text != NULL)
    g_assert (g_utf8_validate (text, -1, NULL));
}

static void
check_file_name (const char *name)
{
  g_assert (name != NULL && name[0] != '\0');
  g_assert (g_utf8_validate (name, -1, NULL));
  g_assert (strchr (name, '/') == NULL);
  g_assert (strcmp (name, ".") != 0 && strcmp (name, "..") != 0);
}

static void
check_key (const char *key)
{
  /* Threading keys are without <> and hold no space or line break. */
  if (key == NULL)
    return;
  g_assert (key[0] != '\0');
  g_assert (g_utf8_validate (key, -1, NULL));
  g_assert (strpbrk (key, "\r\n") == NULL);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  const char *text = (const char *) data;
  g_autoptr(KurirMessageInfo) info = kurir_message_info_new_from_data (text, size);
  g_autoptr(KurirMessageParts) parts = kurir_message_parts_new_from_data (text, size);
  g_autofree char *body = kurir_mime_get_text (text, size);
  g_autofree char *headers = kurir_mime_format_headers (text, size);

  g_assert (info != NULL);
  check_text (info->from);
  check_text (info->from_address);
  check_text (info->to);
  check_text (info->cc);
  check_text (info->subject);
  check_key (info->message_id);
  check_key (info->in_reply_to);
  g_assert (info->references != NULL);
  for (guint i = 0; info->references[i] != NULL; i++)
    check_key (info->references[i]);
  g_assert (info->preview != NULL);
  g_assert (g_utf8_validate (info->preview, -1, NULL));
  g_assert_cmpuint (g_utf8_strlen (info->preview, -1), <=, KURIR_MESSAGE_INFO_PREVIEW_CHARS);
  g_assert (strpbrk (info->preview, "\r\n") == NULL);
  g_assert (info->body_text != NULL);
  g_assert (g_utf8_validate (info->body_text, -1, NULL));
  g_assert_cmpuint (strlen (info->body_text), <=, KURIR_MESSAGE_INFO_BODY_TEXT_BYTES);
  g_assert (info->attachment_names != NULL);
  for (guint i = 0; info->attachment_names[i] != NULL; i++)
    check_file_name (info->attachment_names[i]);
  g_assert (parts != NULL);
  for (guint i = 0; i < parts->body_parts->len; i++)
    check_text (((KurirBodyPart *) parts->body_parts->pdata[i])->text);
  for (guint i = 0; i < parts->attachments->len; i++)
    check_file_name (((KurirAttachment *) parts->attachments->pdata[i])->filename);
  check_text (body);
  check_text (headers);
  return 0;
}
