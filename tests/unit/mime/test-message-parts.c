/* test-message-parts.c: body parts, attachments and headers as the reader
 * and `kurir-cli show` get them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "kurir-message-parts.h"
#include "kurir-test-util.h"

/* Helpers */

static char *
corpus (const char *name,
        gsize      *out_length)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "mime", name, NULL);
  g_autoptr(GError) error = NULL;
  char *data = NULL;

  g_file_get_contents (path, &data, out_length, &error);
  g_assert_no_error (error);
  return data;
}

static KurirBodyPart *
body_part (KurirMessageParts *parts,
           guint              i)
{
  return g_ptr_array_index (parts->body_parts, i);
}

static KurirAttachment *
attachment (KurirMessageParts *parts,
            guint              i)
{
  return g_ptr_array_index (parts->attachments, i);
}

/* Tests */

static void
test_alternative_kept_apart (void)
{
  gsize length;
  g_autofree char *data = corpus ("alternative-plain-html.eml", &length);
  g_autoptr(KurirMessageParts) parts = kurir_message_parts_new_from_data (data, length);

  g_assert_cmpuint (parts->body_parts->len, ==, 2);
  g_assert_cmpuint (parts->attachments->len, ==, 0);
  g_assert_cmpint (body_part (parts, 0)->kind, ==, KURIR_BODY_PART_PLAIN);
  g_assert_cmpstr (body_part (parts, 0)->text, ==, "Plain version of the news.");
  g_assert_cmpint (body_part (parts, 1)->kind, ==, KURIR_BODY_PART_HTML);
  g_assert_cmpstr (body_part (parts, 1)->text, ==,
                   "<html><body><p>HTML version of the <b>news</b>.</p></body></html>");
  /* two choices of one group */
  g_assert_cmpint (body_part (parts, 0)->alternative_group, >=, 0);
  g_assert_cmpint (body_part (parts, 0)->alternative_group, ==, body_part (parts, 1)->alternative_group);
  g_assert_cmpint (body_part (parts, 0)->alternative, ==, 0);
  g_assert_cmpint (body_part (parts, 1)->alternative, ==, 1);
}

static void
test_parts_in_order (void)
{
  gsize length;
  g_autofree char *data = corpus ("bad-charsets.eml", &length);
  g_autoptr(KurirMessageParts) parts = kurir_message_parts_new_from_data (data, length);

  g_assert_cmpuint (parts->body_parts->len, ==, 2);
  g_assert_cmpstr (body_part (parts, 0)->text, ==, "Bytes: \xef\xbf\xbd\xef\xbf\xbd invalid utf-8 \xef\xbf\xbd( end");
  g_assert_cmpstr (body_part (parts, 1)->text, ==, "naïve café");
  g_assert_cmpint (body_part (parts, 0)->alternative_group, ==, -1);
  g_assert_cmpint (body_part (parts, 1)->alternative_group, ==, -1);
}

static void
test_attachments (void)
{
  gsize length;
  g_autofree char *data = corpus ("mixed-attachments-rfc2231.eml", &length);
  g_autoptr(KurirMessageParts) parts = kurir_message_parts_new_from_data (data, length);

  g_assert_cmpuint (parts->body_parts->len, ==, 1);
  g_assert_cmpuint (parts->attachments->len, ==, 4);
  g_assert_cmpuint (attachment (parts, 0)->index, ==, 0);
  g_assert_cmpstr (attachment (parts, 0)->filename, ==, "Laporan Keuangan €.pdf");
  g_assert_cmpstr (attachment (parts, 0)->content_type, ==, "application/pdf");
  g_assert_cmpuint (attachment (parts, 0)->size, ==, 26 * 4);
  g_assert_cmpstr (attachment (parts, 1)->filename, ==, "données 2026.csv");
  g_assert_cmpstr (attachment (parts, 1)->content_type, ==, "text/csv");
  g_assert_cmpuint (attachment (parts, 1)->size, ==, strlen ("a,b\r\n1,2"));
  g_assert_cmpstr (attachment (parts, 2)->filename, ==, "passwd");
  g_assert_cmpuint (attachment (parts, 2)->size, ==, strlen ("root:x:0:0:"));
  g_assert_cmpuint (attachment (parts, 3)->index, ==, 3);
  g_assert_cmpstr (attachment (parts, 3)->filename, ==, "fotogpj.exe");
}

static void
test_rfc822_attachment (void)
{
  gsize length;
  g_autofree char *data = corpus ("message-rfc822-attachment.eml", &length);
  g_autoptr(KurirMessageParts) parts = kurir_message_parts_new_from_data (data, length);

  g_assert_cmpuint (parts->body_parts->len, ==, 1);
  g_assert_cmpstr (body_part (parts, 0)->text, ==, "See the forwarded message.");
  g_assert_cmpuint (parts->attachments->len, ==, 1);
  g_assert_cmpstr (attachment (parts, 0)->filename, ==, "Original topic.eml");
  g_assert_cmpstr (attachment (parts, 0)->content_type, ==, "message/rfc822");
  g_assert_cmpuint (attachment (parts, 0)->size, >, 100);
}

static void
test_save_attachment (void)
{
  gsize length;
  g_autofree char *data = corpus ("mixed-attachments-rfc2231.eml", &length);
  g_autofree char *dir = g_build_filename (g_get_tmp_dir (), "kurir-save-XXXXXX", NULL);
  g_autofree char *path = NULL;
  g_autofree char *missing_path = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GFile) dest = NULL;
  g_autoptr(GFile) missing = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) expected = g_string_new (NULL);
  gsize saved_length;
  gboolean ok;

  g_assert_nonnull (g_mkdtemp (dir));
  path = g_build_filename (dir, "report.pdf", NULL);
  dest = g_file_new_for_path (path);

  /* over an existing file: replaced */
  g_file_set_contents (path, "old", -1, &error);
  g_assert_no_error (error);
  ok = kurir_message_parts_save_attachment (data, length, 0, dest, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_file_get_contents (path, &contents, &saved_length, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 4; i++)
    g_string_append (expected, "%PDF-1.4 fake pdf content\n");
  g_assert_cmpmem (contents, saved_length, expected->str, expected->len);

  /* no such attachment: an error, and no file */
  missing_path = g_build_filename (dir, "missing.bin", NULL);
  missing = g_file_new_for_path (missing_path);
  ok = kurir_message_parts_save_attachment (data, length, 4, missing, NULL, &error);
  g_assert_error (error, KURIR_MIME_ERROR, KURIR_MIME_ERROR_NOT_FOUND);
  g_assert_false (ok);
  g_assert_false (g_file_test (missing_path, G_FILE_TEST_EXISTS));

  g_unlink (path);
  g_rmdir (dir);
}

static void
test_save_attachment_async (void)
{
  gsize length;
  char *data = corpus ("mixed-attachments-rfc2231.eml", &length);
  g_autoptr(GBytes) message = g_bytes_new_take (data, length);
  g_autofree char *dir = g_build_filename (g_get_tmp_dir (), "kurir-save-XXXXXX", NULL);
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GFile) dest = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;

  g_assert_nonnull (g_mkdtemp (dir));
  path = g_build_filename (dir, "passwd", NULL);
  dest = g_file_new_for_path (path);

  kurir_message_parts_save_attachment_async (message, 2, dest, NULL, kurir_test_store_result, &result);
  g_assert_true (kurir_message_parts_save_attachment_finish (kurir_test_wait (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (contents, ==, "root:x:0:0:");

  kurir_message_parts_save_attachment_async (message, 99, dest, NULL, kurir_test_store_result, &result);
  g_assert_false (kurir_message_parts_save_attachment_finish (kurir_test_wait (&result), &error));
  g_assert_error (error, KURIR_MIME_ERROR, KURIR_MIME_ERROR_NOT_FOUND);
  g_clear_object (&result);

  g_unlink (path);
  g_rmdir (dir);
}

static void
test_html_to_text (void)
{
  g_autofree char *text = kurir_mime_html_to_text ("<p>One<br>Two</p><script>x()</script>"
                                                   "<table><tr><td>a</td><td>b</td></tr></table>"
                                                   "<pre>  keep   this\n  </pre>Caf&eacute; &lt;ok&gt;", -1);
  g_autofree char *broken = kurir_mime_html_to_text ("<div><div><b>unclosed <i>tags", -1);
  g_autofree char *empty = kurir_mime_html_to_text ("", -1);

  g_assert_cmpstr (text, ==, "One\nTwo\n\na b\n\n  keep   this\n\nCafé <ok>");
  g_assert_cmpstr (broken, ==, "unclosed tags");
  g_assert_cmpstr (empty, ==, "");
}

static void
test_get_text (void)
{
  gsize length;
  g_autofree char *alternative = corpus ("alternative-plain-html.eml", &length);
  g_autofree char *text = kurir_mime_get_text (alternative, length);
  gsize html_length;
  g_autofree char *html_only = corpus ("html-only-script-style.eml", &html_length);
  g_autofree char *html_text = kurir_mime_get_text (html_only, html_length);

  g_assert_cmpstr (text, ==, "Plain version of the news.");
  g_assert_true (g_str_has_prefix (html_text, "Big Sale\n"));
  g_assert_null (strstr (html_text, "alert"));
}

static void
test_format_headers (void)
{
  gsize length;
  g_autofree char *data = corpus ("plain-utf8-reply-signature.eml", &length);
  g_autofree char *headers = kurir_mime_format_headers (data, length);
  gsize encoded_length;
  g_autofree char *encoded = corpus ("subject-iso-8859-1.eml", &encoded_length);
  g_autofree char *decoded = kurir_mime_format_headers (encoded, encoded_length);
  gsize broken_length;
  g_autofree char *broken = corpus ("broken-date.eml", &broken_length);
  g_autofree char *broken_headers = kurir_mime_format_headers (broken, broken_length);

  g_assert_cmpstr (headers, ==,
                   "From: Siti Rahayu <siti@Contoh.CO.ID>\n"
                   "To: Budi Santoso <budi@example.org>, ani@example.org\n"
                   "Cc: Tim Keuangan <keuangan@contoh.co.id>\n"
                   "Date: Fri, 27 Nov 2026 09:15:00 +0700\n"
                   "Subject: Re: Rapat besok\n");
  g_assert_cmpstr (decoded, ==,
                   "From: François Lefèvre <francois@example.fr>\n"
                   "To: someone@example.org\n"
                   "Date: Wed, 25 Nov 2026 12:00:00 +0100\n"
                   "Subject: Café crème à midi\n");
  /* the Date as the message wrote it, even when it does not parse */
  g_assert_nonnull (strstr (broken_headers, "Date: sometime last week, probably\n"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/mime/parts/alternative-kept-apart", test_alternative_kept_apart);
  g_test_add_func ("/mime/parts/in-order", test_parts_in_order);
  g_test_add_func ("/mime/parts/attachments", test_attachments);
  g_test_add_func ("/mime/parts/rfc822-attachment", test_rfc822_attachment);
  g_test_add_func ("/mime/parts/save-attachment", test_save_attachment);
  g_test_add_func ("/mime/parts/save-attachment-async", test_save_attachment_async);
  g_test_add_func ("/mime/parts/html-to-text", test_html_to_text);
  g_test_add_func ("/mime/parts/get-text", test_get_text);
  g_test_add_func ("/mime/parts/format-headers", test_format_headers);

  return g_test_run ();
}
