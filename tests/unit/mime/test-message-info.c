/* test-message-info.c: what the index learns from a message, over the
 * committed corpus and over hostile messages generated at run time
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "kurir-message-info.h"
#include "kurir-mime-private.h"

/* Helpers */

static KurirMessageInfo *
info_from_corpus (const char *name)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "mime", name, NULL);
  g_autofree char *data = NULL;
  g_autoptr(GError) error = NULL;
  gsize length;

  g_file_get_contents (path, &data, &length, &error);
  g_assert_no_error (error);
  return kurir_message_info_new_from_data (data, length);
}

static void
assert_info_sane (KurirMessageInfo *info)
{
  g_assert_nonnull (info);
  g_assert_nonnull (info->references);
  g_assert_nonnull (info->attachment_names);
  g_assert_nonnull (info->preview);
  g_assert_nonnull (info->body_text);
  g_assert_true (g_utf8_validate (info->preview, -1, NULL));
  g_assert_true (g_utf8_validate (info->body_text, -1, NULL));
  g_assert_cmpuint (g_utf8_strlen (info->preview, -1), <=, KURIR_MESSAGE_INFO_PREVIEW_CHARS);
  g_assert_cmpuint (strlen (info->body_text), <=, KURIR_MESSAGE_INFO_BODY_TEXT_BYTES);
  g_assert_null (strchr (info->preview, '\n'));
  g_assert_cmpuint (g_strv_length (info->attachment_names), ==, info->n_attachments);
  if (info->subject != NULL)
    {
      g_assert_true (g_utf8_validate (info->subject, -1, NULL));
      g_assert_cmpuint (strlen (info->subject), <=, KURIR_MIME_SUBJECT_MAX);
    }
  for (const char * const *field = (const char * const[]) { info->from, info->to, info->cc, NULL };
       *field != NULL; field++)
    {
      g_assert_true (g_utf8_validate (*field, -1, NULL));
      g_assert_cmpuint (strlen (*field), <=, KURIR_MIME_ADDRESSES_MAX);
    }
}

static void
log_elapsed (const char *what,
             gint64      start)
{
  g_test_message ("%s: %.3f s", what, (g_get_monotonic_time () - start) / 1e6);
}

static void
assert_info_equal (KurirMessageInfo *a,
                   KurirMessageInfo *b)
{
  g_assert_cmpstr (a->message_id, ==, b->message_id);
  g_assert_cmpstr (a->in_reply_to, ==, b->in_reply_to);
  g_assert_cmpstrv (a->references, b->references);
  g_assert_cmpint (a->date, ==, b->date);
  g_assert_cmpstr (a->from, ==, b->from);
  g_assert_cmpstr (a->from_address, ==, b->from_address);
  g_assert_cmpstr (a->to, ==, b->to);
  g_assert_cmpstr (a->cc, ==, b->cc);
  g_assert_cmpstr (a->subject, ==, b->subject);
  g_assert_cmpuint (a->n_attachments, ==, b->n_attachments);
  g_assert_cmpstrv (a->attachment_names, b->attachment_names);
  g_assert_cmpstr (a->preview, ==, b->preview);
  g_assert_cmpstr (a->body_text, ==, b->body_text);
  g_assert_cmpint (a->has_html, ==, b->has_html);
}

/* The header-only path and the whole GMimeMessage give the same. */
static void
assert_same_both_ways (const char *data,
                       gsize       length)
{
  g_autoptr(KurirMessageInfo) fast = kurir_message_info_new_from_data (data, length);
  g_autoptr(KurirMessageInfo) full = kurir_message_info_new_with_gmime (data, length);

  assert_info_sane (fast);
  assert_info_equal (fast, full);
}

/* Tests: the corpus */

/* An IMAP summary is a header alone: kurir_message_info_new_from_data()
 * reads it without building a GMimeMessage, and must describe it exactly
 * as GMime would. Every corpus message's header (LF and CRLF, with and
 * without the blank line), and headers made to differ. */
static void
test_header_only (void)
{
  static const char * const headers[] = {
    "From: Ann <ann@example.org>\nSubject: plain\n\n",
    /* duplicates: the last Subject, Date, Message-ID; every From/To/Cc; the first References */
    "Subject: first\nSubject: second\nDate: Mon, 2 Mar 2020 10:00:00 +0000\nDate: garbage\n"
    "Message-ID: <a@x>\nMessage-Id: <b@x>\nFrom: a@x\nFROM: B <b@x>\nTo: c@x\nto: d@x, e@x\n"
    "References: <r1@x> <r2@x>\nReferences: <r3@x>\nIn-Reply-To: <r2@x>\nIn-Reply-To: <r9@x>\n\n",
    /* folded, encoded words across folds, groups, empty fields */
    "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\n =?UTF-8?B?8J+NnA==?= und\n\tmehr\nFrom:\nTo: Team: a@x, \"B, b\" <b@x>;\n"
    "Cc: undisclosed-recipients:;\nDate:\n\n",
    "From: no address at all\nTo: =?ISO-8859-1?Q?J=F6rg?=\nSubject:\n",
    /* raw 8-bit, UTF-8 and Latin-1 */
    "From: J\xc3\xb6rg <j@x>\nSubject: Gr\xc3\xbc\xc3\x9f" "e\nTo: M\xfcller <m@x>\nCc: \xe7\x8e\x8b <w@x>\n\n",
    /* the type decides: text/plain, multipart, or (through GMime) HTML and attachments */
    "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\nSubject: s\n\n",
    "Content-Type: multipart/alternative; boundary=\"b1\"\nSubject: s\n\n",
    "Content-Type: multipart/mixed\nSubject: no boundary\n\n",
    "Content-Type: text/html\nSubject: html\n\n",
    "Content-Type: text/plain; name=\"a.txt\"\nSubject: named\n\n",
    "Content-Disposition: attachment; filename=x.pdf\nSubject: disposed\n\n",
    "Content-Type: application/pdf\nSubject: pdf\n\n",
    "Content-Type: garbage\nContent-Type: text/html\n\n",
    /* not a plain header block: GMime sees these */
    "From sender@x Mon Mar  2 10:00:00 2020\nSubject: mbox line\n\n",
    "Subject: s\ngarbage line\nFrom: a@x\n\n",
    "Subject : spaced name\nFrom: a@x\n\n",
    " leading continuation\nSubject: s\n\n",
    "Subject: s\n   \nFrom: a@x\n\n",
    "Subject: s\n\nbody after the header\n",
    "Subject: no newline at the end",
    "",
    "\n",
    "Date: Tue, 31 Feb 2021 25:61:00 +9999\nMessage-ID: not-an-id\nIn-Reply-To: junk <ok@x> <two@x>\n\n",
  };
  g_autofree char *dir = g_test_build_filename (G_TEST_DIST, "data", "mime", NULL);
  g_autoptr(GDir) entries = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  for (guint i = 0; i < G_N_ELEMENTS (headers); i++)
    {
      g_autoptr(GString) crlf = g_string_new (NULL);

      assert_same_both_ways (headers[i], strlen (headers[i]));
      for (const char *p = headers[i]; *p; p++)
        {
          if (*p == '\n')
            g_string_append_c (crlf, '\r');
          g_string_append_c (crlf, *p);
        }
      assert_same_both_ways (crlf->str, crlf->len);
      n += 2;
    }

  g_assert_nonnull (entries);
  while ((name = g_dir_read_name (entries)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *data = NULL;
      g_autoptr(GString) crlf = g_string_new (NULL);
      const char *blank;
      gsize length;

      g_assert_true (g_file_get_contents (path, &data, &length, NULL));
      blank = strstr (data, "\n\n");
      if (blank == NULL)
        continue;
      assert_same_both_ways (data, blank + 2 - data);
      assert_same_both_ways (data, blank + 1 - data);
      for (const char *p = data; p < blank + 2; p++)
        {
          if (*p == '\n' && (p == data || p[-1] != '\r'))
            g_string_append_c (crlf, '\r');
          g_string_append_c (crlf, *p);
        }
      assert_same_both_ways (crlf->str, crlf->len);
      n += 3;
    }
  g_test_message ("%u headers described the same both ways", n);
}

static void
test_plain_reply (void)
{
  g_autoptr(KurirMessageInfo) info = info_from_corpus ("plain-utf8-reply-signature.eml");

  assert_info_sane (info);
  g_assert_cmpstr (info->message_id, ==, "reply-1@contoh.co.id");
  g_assert_cmpstr (info->in_reply_to, ==, "orig-1@example.org");
  g_assert_cmpuint (g_strv_length (info->references), ==, 2);
  g_assert_cmpstr (info->references[0], ==, "root-0@example.org");
  g_assert_cmpstr (info->references[1], ==, "orig-1@example.org");
  /* Fri, 27 Nov 2026 09:15:00 +0700 */
  g_assert_cmpint (info->date, ==, 1795745700);
  g_assert_cmpstr (info->from, ==, "Siti Rahayu <siti@Contoh.CO.ID>");
  g_assert_cmpstr (info->from_address, ==, "siti@contoh.co.id");
  g_assert_cmpstr (info->to, ==, "Budi Santoso <budi@example.org>, ani@example.org");
  g_assert_cmpstr (info->cc, ==, "Tim Keuangan <keuangan@contoh.co.id>");
  g_assert_cmpstr (info->subject, ==, "Re: Rapat besok");
  g_assert_cmpuint (info->n_attachments, ==, 0);
  g_assert_false (info->has_html);
  /* quote, its introduction and the signature left out; spaces collapsed */
  g_assert_cmpstr (info->preview, ==, "Baik, saya setuju. Sampai jumpa di kafé jam 10.");
  /* the search text keeps everything, with LF line ends */
  g_assert_nonnull (strstr (info->body_text, "> Tolong konfirmasi.\n"));
  g_assert_nonnull (strstr (info->body_text, "Bagian Keuangan"));
  g_assert_null (strchr (info->body_text, '\r'));
}

static void
test_alternative (void)
{
  g_autoptr(KurirMessageInfo) info = info_from_corpus ("alternative-plain-html.eml");

  assert_info_sane (info);
  g_assert_true (info->has_html);
  /* the plain alternative is the text; the HTML one is not added twice */
  g_assert_cmpstr (info->body_text, ==, "Plain version of the news.");
  g_assert_cmpstr (info->preview, ==, "Plain version of the news.");
  g_assert_cmpint (info->date, ==, 1795420800);
}

static void
test_attachments_rfc2231 (void)
{
  g_autoptr(KurirMessageInfo) info = info_from_corpus ("mixed-attachments-rfc2231.eml");

  assert_info_sane (info);
  g_assert_cmpuint (info->n_attachments, ==, 4);
  g_assert_cmpstr (info->attachment_names[0], ==, "Laporan Keuangan €.pdf");   /* filename*=UTF-8'' */
  g_assert_cmpstr (info->attachment_names[1], ==, "données 2026.csv");         /* continuations, latin-1 */
  g_assert_cmpstr (info->attachment_names[2], ==, "passwd");                   /* ../../etc/passwd */
  g_assert_cmpstr (info->attachment_names[3], ==, "fotogpj.exe");              /* U+202E removed */
  g_assert_cmpstr (info->body_text, ==, "Terlampir laporan bulan ini.");
}

static void
test_encoded_subjects (void)
{
  struct {
    const char *file;
    const char *subject;
    const char *from;
    const char *body;
  } cases[] = {
    { "subject-utf8-base64.eml", "Grüße aus München ✈", "Jürgen Müller <juergen@example.de>", "Hallo.\n" },
    { "subject-iso-8859-1.eml", "Café crème à midi", "François Lefèvre <francois@example.fr>", "Voilà le café.\n" },
    { "subject-windows-1252.eml", "“Smart quotes” cost €20", "sender@example.com", "“Dear” – price €5\n" },
    { "subject-gb2312.eml", "你好，一切顺利", "张三 <zhang@example.cn>", "你好，世界" },
    { "undeclared-8bit-headers.eml", "Pesan dari André – penting", "André Wijaya <andre@example.id>",
      "Body in undeclared latin-1: café\n" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(KurirMessageInfo) info = info_from_corpus (cases[i].file);

      g_test_message ("%s", cases[i].file);
      assert_info_sane (info);
      g_assert_cmpstr (info->subject, ==, cases[i].subject);
      g_assert_cmpstr (info->from, ==, cases[i].from);
      g_assert_cmpstr (info->body_text, ==, cases[i].body);
    }
}

static void
test_dates (void)
{
  g_autoptr(KurirMessageInfo) no_date = info_from_corpus ("no-date.eml");
  g_autoptr(KurirMessageInfo) broken = info_from_corpus ("broken-date.eml");

  assert_info_sane (no_date);
  assert_info_sane (broken);
  g_assert_cmpint (no_date->date, ==, 0);
  g_assert_cmpint (broken->date, ==, 0);
  g_assert_cmpstr (no_date->message_id, ==, "nodate@example.com");
  g_assert_cmpstr (broken->subject, ==, "Broken date");
  g_assert_cmpstr (broken->body_text, ==, "Body with a broken date.\n");
}

static void
test_broken_mime (void)
{
  g_autoptr(KurirMessageInfo) unclosed = info_from_corpus ("unclosed-boundary.eml");
  g_autoptr(KurirMessageInfo) base64 = info_from_corpus ("bad-base64.eml");
  g_autoptr(KurirMessageInfo) charsets = info_from_corpus ("bad-charsets.eml");

  assert_info_sane (unclosed);
  g_assert_cmpstr (unclosed->body_text, ==, "First part is fine.");
  g_assert_cmpuint (unclosed->n_attachments, ==, 1);
  g_assert_cmpstr (unclosed->attachment_names[0], ==, "cut.zip");

  /* invalid characters skipped, the rest decoded */
  assert_info_sane (base64);
  g_assert_cmpstr (base64->body_text, ==, "Hello world! This is bad base64");

  /* invalid UTF-8 replaced; an unknown charset read as windows-1252 */
  assert_info_sane (charsets);
  g_assert_cmpstr (charsets->body_text, ==,
                   "Bytes: \xef\xbf\xbd\xef\xbf\xbd invalid utf-8 \xef\xbf\xbd( end\n\nnaïve café");
}

static void
test_html_only (void)
{
  g_autoptr(KurirMessageInfo) info = info_from_corpus ("html-only-script-style.eml");

  assert_info_sane (info);
  g_assert_true (info->has_html);
  g_assert_cmpstr (info->body_text, ==,
                   "Big Sale\n\nEverything must go & more.\n\n• First item\n\n• Second item\n\nUnclosed bold");
  g_assert_null (strstr (info->body_text, "alert"));
  g_assert_null (strstr (info->body_text, "tracking"));
  g_assert_null (strstr (info->body_text, "color"));
  g_assert_null (strstr (info->body_text, "Secret title"));
  g_assert_cmpstr (info->preview, ==, "Big Sale Everything must go & more. • First item • Second item Unclosed bold");
}

static void
test_rfc822_and_signed (void)
{
  g_autoptr(KurirMessageInfo) forwarded = info_from_corpus ("message-rfc822-attachment.eml");
  g_autoptr(KurirMessageInfo) signed_ = info_from_corpus ("pgp-signed.eml");

  assert_info_sane (forwarded);
  g_assert_cmpstr (forwarded->subject, ==, "Fwd: Original topic");
  g_assert_cmpuint (forwarded->n_attachments, ==, 1);
  g_assert_cmpstr (forwarded->attachment_names[0], ==, "Original topic.eml");
  g_assert_cmpstr (forwarded->body_text, ==, "See the forwarded message.");
  g_assert_null (strstr (forwarded->body_text, "Inner body"));

  assert_info_sane (signed_);
  g_assert_cmpstr (signed_->body_text, ==, "This message is signed.");
  g_assert_cmpuint (signed_->n_attachments, ==, 1);
  g_assert_cmpstr (signed_->attachment_names[0], ==, "signature.asc");
}

static void
test_empty_and_garbage (void)
{
  const char garbage[] = "\x00\x01\xff\xfe not a message at all \x00\n\n\n--\n";
  g_autoptr(KurirMessageInfo) empty = kurir_message_info_new_from_data ("", 0);
  g_autoptr(KurirMessageInfo) junk = kurir_message_info_new_from_data (garbage, sizeof garbage - 1);

  assert_info_sane (empty);
  g_assert_null (empty->subject);
  g_assert_null (empty->from);
  g_assert_cmpint (empty->date, ==, 0);
  g_assert_cmpstr (empty->preview, ==, "");
  assert_info_sane (junk);
}

/* Tests: hostile messages, generated */

/* @depth nested multiparts, each with a preamble of @padding bytes, and a
 * text part inside the innermost. */
static GString *
nested_message (guint depth,
                gsize padding)
{
  GString *message = g_string_new ("From: deep@example.com\r\nSubject: Deep\r\nMIME-Version: 1.0\r\n");

  for (guint i = 0; i < depth; i++)
    {
      g_string_append_printf (message, "Content-Type: multipart/mixed; boundary=\"b%u\"\r\n\r\n", i);
      for (gsize n = 0; n < padding; n += 50)
        g_string_append (message, "preamble preamble preamble preamble preamble pre\r\n");
      g_string_append_printf (message, "--b%u\r\n", i);
    }
  g_string_append (message, "Content-Type: text/plain\r\n\r\nthe innermost text\r\n");
  for (guint i = depth; i-- > 0;)
    g_string_append_printf (message, "--b%u--\r\n", i);
  return message;
}

static void
test_nested_10000 (void)
{
  g_autoptr(GString) message = nested_message (10000, 0);
  g_autoptr(KurirMessageInfo) info = NULL;
  gint64 start;

  start = g_get_monotonic_time ();
  info = kurir_message_info_new_from_data (message->str, message->len);
  log_elapsed ("10,000 nested multiparts", start);
  assert_info_sane (info);
  g_assert_cmpstr (info->subject, ==, "Deep");
  g_assert_cmpstr (info->from, ==, "deep@example.com");
  /* the text is far below KURIR_MIME_MAX_OPEN_MULTIPARTS: not parsed */
  g_assert_cmpstr (info->body_text, ==, "");
}

static void
test_nested_bound (void)
{
  /* padded, so that GMime's read-ahead does not reach past the bound */
  g_autoptr(GString) within = nested_message (KURIR_MIME_MAX_OPEN_MULTIPARTS - 1, 500);
  g_autoptr(GString) beyond = nested_message (KURIR_MIME_MAX_OPEN_MULTIPARTS + 8, 500);
  g_autoptr(KurirMessageInfo) visible = kurir_message_info_new_from_data (within->str, within->len);
  g_autoptr(KurirMessageInfo) cut = kurir_message_info_new_from_data (beyond->str, beyond->len);

  assert_info_sane (visible);
  g_assert_cmpstr (visible->body_text, ==, "the innermost text");
  assert_info_sane (cut);
  g_assert_cmpstr (cut->subject, ==, "Deep");
  g_assert_cmpstr (cut->body_text, ==, "");
}

static void
test_nested_boundary_lines (void)
{
  /* 1,000 open multiparts, then 100 MB of lines that GMime would compare
   * with every open boundary */
  g_autoptr(GString) message = g_string_sized_new (101 * 1024 * 1024);
  g_autoptr(KurirMessageInfo) info = NULL;
  gint64 start;

  g_string_append (message, "From: deep@example.com\r\nSubject: Boundary lines\r\nMIME-Version: 1.0\r\n");
  for (guint i = 0; i < 1000; i++)
    g_string_append_printf (message, "Content-Type: multipart/mixed; boundary=\"b%u\"\r\n\r\n--b%u\r\n", i, i);
  g_string_append (message, "Content-Type: text/plain\r\n\r\n");
  while (message->len < 100 * 1024 * 1024)
    g_string_append (message, "--x\r\n");

  start = g_get_monotonic_time ();
  info = kurir_message_info_new_from_data (message->str, message->len);
  log_elapsed ("1,000 open multiparts and 100 MB of \"--\" lines", start);
  assert_info_sane (info);
  g_assert_cmpstr (info->subject, ==, "Boundary lines");
}

static void
test_digest (void)
{
  /* many multiparts one after the other are not nesting: all are seen */
  g_autoptr(GString) message = g_string_new ("From: list@example.org\r\nSubject: Digest\r\nMIME-Version: 1.0\r\n"
                                             "Content-Type: multipart/digest; boundary=\"digest\"\r\n\r\n");
  g_autoptr(KurirMessageInfo) info = NULL;
  const guint n = 3 * KURIR_MIME_MAX_OPEN_MULTIPARTS;

  for (guint i = 0; i < n; i++)
    g_string_append_printf (message,
                            "--digest\r\nContent-Type: message/rfc822\r\n\r\n"
                            "From: m%u@example.org\r\nSubject: Message %u\r\nMIME-Version: 1.0\r\n"
                            "Content-Type: multipart/alternative; boundary=\"alt%u\"\r\n\r\n"
                            "--alt%u\r\nContent-Type: text/plain\r\n\r\nplain %u\r\n"
                            "--alt%u\r\nContent-Type: text/html\r\n\r\n<p>html %u</p>\r\n"
                            "--alt%u--\r\n\r\n",
                            i, i, i, i, i, i, i, i);
  g_string_append (message, "--digest--\r\n");

  info = kurir_message_info_new_from_data (message->str, message->len);
  assert_info_sane (info);
  g_assert_cmpuint (info->n_attachments, ==, n);
  g_assert_cmpstr (info->attachment_names[0], ==, "Message 0.eml");
  g_assert_cmpstr (info->attachment_names[n - 1], ==, "Message 95.eml");
}

static void
test_siblings_10000 (void)
{
  g_autoptr(GString) message = g_string_new ("From: wide@example.com\r\nSubject: Wide\r\nMIME-Version: 1.0\r\n"
                                             "Content-Type: multipart/mixed; boundary=\"w\"\r\n\r\n");
  g_autoptr(KurirMessageInfo) info = NULL;
  gint64 start;

  for (guint i = 0; i < 10000; i++)
    g_string_append_printf (message, "--w\r\nContent-Type: application/octet-stream\r\n"
                                     "Content-Disposition: attachment; filename=\"f%u.bin\"\r\n\r\nx\r\n", i);
  g_string_append (message, "--w--\r\n");

  start = g_get_monotonic_time ();
  info = kurir_message_info_new_from_data (message->str, message->len);
  log_elapsed ("10,000 sibling parts", start);
  assert_info_sane (info);
  /* the multipart itself is one of the KURIR_MIME_MAX_PARTS walked */
  g_assert_cmpuint (info->n_attachments, ==, KURIR_MIME_MAX_PARTS - 1);
  g_assert_cmpstr (info->attachment_names[0], ==, "f0.bin");
  g_assert_cmpstr (info->attachment_names[KURIR_MIME_MAX_PARTS - 2], ==, "f998.bin");
}

/* A message with a 100 MB header field, then (optionally) normal fields. */
static GString *
huge_header_message (const char *name,
                     const char *piece,
                     const char *after)
{
  GString *message = g_string_sized_new (101 * 1024 * 1024);

  g_string_append (message, "From: big@example.com\r\nMIME-Version: 1.0\r\n");
  g_string_append_printf (message, "%s: ", name);
  while (message->len < 100 * 1024 * 1024)
    g_string_append (message, piece);
  g_string_append (message, "end\r\n");
  g_string_append (message, after);
  g_string_append (message, "\r\nhello\r\n");
  return message;
}

static void
test_huge_subject (void)
{
  g_autoptr(GString) message = huge_header_message ("Subject", "=?utf-8?q?caf=C3=A9?= word word word\r\n ",
                                                    "To: to@example.org\r\n");
  g_autoptr(KurirMessageInfo) info = NULL;
  gint64 start = g_get_monotonic_time ();

  info = kurir_message_info_new_from_data (message->str, message->len);
  log_elapsed ("100 MB Subject", start);
  assert_info_sane (info);
  g_assert_true (g_str_has_prefix (info->subject, "café word word word café"));
  g_assert_cmpuint (strlen (info->subject), >, KURIR_MIME_SUBJECT_MAX - 64);
  g_assert_cmpstr (info->from, ==, "big@example.com");
  g_assert_cmpstr (info->to, ==, "to@example.org");
  g_assert_cmpstr (info->body_text, ==, "hello\n");
}

static void
test_huge_address_list (void)
{
  g_autoptr(GString) message = huge_header_message ("To", "Some One <some@example.org>, other@example.org,\r\n ",
                                                    "Subject: after the flood\r\n");
  g_autoptr(KurirMessageInfo) info = NULL;
  gint64 start = g_get_monotonic_time ();

  info = kurir_message_info_new_from_data (message->str, message->len);
  log_elapsed ("100 MB To", start);
  assert_info_sane (info);
  g_assert_true (g_str_has_prefix (info->to, "Some One <some@example.org>, other@example.org, Some One"));
  g_assert_cmpuint (strlen (info->to), >=, KURIR_MIME_ADDRESSES_MAX - 64);
  g_assert_cmpstr (info->subject, ==, "after the flood");
  g_assert_cmpstr (info->body_text, ==, "hello\n");
}

static void
test_huge_header_block (void)
{
  /* 100 MB of small fields; the ones that matter come after them */
  g_autoptr(GString) message = g_string_sized_new (101 * 1024 * 1024);
  g_autoptr(KurirMessageInfo) info = NULL;
  gint64 start;

  while (message->len < 100 * 1024 * 1024)
    g_string_append (message, "Received: from relay.example.net by mx.example.org; hop\r\n");
  g_string_append (message, "From: last@example.com\r\nSubject: Found at the end\r\n"
                            "Date: Thu, 26 Nov 2026 10:00:00 +0000\r\n"
                            "Content-Type: text/plain; charset=utf-8\r\n\r\nbody after 100 MB\r\n");

  start = g_get_monotonic_time ();
  info = kurir_message_info_new_from_data (message->str, message->len);
  log_elapsed ("100 MB of header fields", start);
  assert_info_sane (info);
  g_assert_cmpstr (info->subject, ==, "Found at the end");
  g_assert_cmpstr (info->from, ==, "last@example.com");
  g_assert_cmpint (info->date, ==, 1795687200);
  g_assert_cmpstr (info->body_text, ==, "body after 100 MB\n");
}

static void
test_huge_body (void)
{
  g_autoptr(GString) message = g_string_new ("From: a@example.com\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n");
  g_autoptr(KurirMessageInfo) info = NULL;

  /* 3-byte characters, so that the bound falls inside one */
  while (message->len < 2 * KURIR_MESSAGE_INFO_BODY_TEXT_BYTES)
    g_string_append (message, "€€€€€€€€€€ ");
  info = kurir_message_info_new_from_data (message->str, message->len);
  assert_info_sane (info);
  g_assert_cmpuint (strlen (info->body_text), >=, KURIR_MESSAGE_INFO_BODY_TEXT_BYTES - 4);
  g_assert_cmpuint (g_utf8_strlen (info->preview, -1), ==, KURIR_MESSAGE_INFO_PREVIEW_CHARS);
}

static void
test_huge_unterminated (void)
{
  /* 100 MB without a single newline: all of it one header "field" */
  gsize length = 100 * 1024 * 1024;
  g_autofree char *message = g_malloc (length);
  g_autoptr(KurirMessageInfo) info = NULL;
  gint64 start;

  memcpy (message, "Subject: ", 9);
  memset (message + 9, 'a', length - 9);
  start = g_get_monotonic_time ();
  info = kurir_message_info_new_from_data (message, length);
  log_elapsed ("100 MB without a newline", start);
  assert_info_sane (info);
  g_assert_cmpuint (strlen (info->subject), ==, KURIR_MIME_SUBJECT_MAX);
  g_assert_cmpstr (info->body_text, ==, "");
}

/* Tests: threads */

static const char * const corpus_files[] = {
  "alternative-plain-html.eml", "bad-base64.eml", "bad-charsets.eml", "broken-date.eml",
  "html-only-script-style.eml", "message-rfc822-attachment.eml", "mixed-attachments-rfc2231.eml",
  "no-date.eml", "pgp-signed.eml", "plain-utf8-reply-signature.eml", "subject-gb2312.eml",
  "subject-iso-8859-1.eml", "subject-utf8-base64.eml", "subject-windows-1252.eml",
  "unclosed-boundary.eml", "undeclared-8bit-headers.eml",
};

static char *
describe (KurirMessageInfo *info)
{
  g_autofree char *names = g_strjoinv ("|", info->attachment_names);

  return g_strdup_printf ("%s/%s/%s/%" G_GINT64_FORMAT "/%s/%s/%s", info->subject, info->from, info->to,
                          info->date, names, info->preview, info->body_text);
}

static gpointer
parse_corpus_thread (gpointer user_data)
{
  GPtrArray *expected = user_data;

  for (guint round = 0; round < 20; round++)
    for (guint i = 0; i < G_N_ELEMENTS (corpus_files); i++)
      {
        g_autoptr(KurirMessageInfo) info = info_from_corpus (corpus_files[i]);
        g_autofree char *description = describe (info);

        if (g_strcmp0 (description, g_ptr_array_index (expected, i)) != 0)
          return GINT_TO_POINTER (FALSE);
      }
  return GINT_TO_POINTER (TRUE);
}

static void
test_threads (void)
{
  /* the store parses in worker threads: the same results from each */
  g_autoptr(GPtrArray) expected = g_ptr_array_new_with_free_func (g_free);
  GThread *threads[4];

  for (guint i = 0; i < G_N_ELEMENTS (corpus_files); i++)
    {
      g_autoptr(KurirMessageInfo) info = info_from_corpus (corpus_files[i]);

      g_ptr_array_add (expected, describe (info));
    }
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("parse", parse_corpus_thread, expected);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_assert_true (GPOINTER_TO_INT (g_thread_join (threads[i])));
}

/* Tests: filenames */

static void
test_sanitize_filename (void)
{
  struct {
    const char *in;
    const char *out;
  } cases[] = {
    { "../../etc/passwd", "passwd" },
    { "..\\..\\Windows\\system32\\evil.dll", "evil.dll" },
    { "dir/sub/name.txt", "name.txt" },
    { "a\0b", "a" },
    { "a\x01" "b\x7f" "c\tz.txt", "abcz.txt" },
    { "evil\u202Etxt.exe", "eviltxt.exe" },
    { "\u2066x\u2069\u200e\u200fy.pdf", "xy.pdf" },
    { "..", "attachment" },
    { ".", "attachment" },
    { "...hidden", "hidden" },
    { ".bashrc", "bashrc" },
    { "", "attachment" },
    { "   ", "attachment" },
    { "dir/", "attachment" },
    { NULL, "attachment" },
    { "résumé.pdf", "résumé.pdf" },
    { "bad\xff\xfeutf8.txt", "bad\xef\xbf\xbd\xef\xbf\xbdutf8.txt" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = kurir_mime_sanitize_filename (cases[i].in);

      g_assert_cmpstr (out, ==, cases[i].out);
    }
}

static void
test_sanitize_long_filename (void)
{
  g_autoptr(GString) name = g_string_new (NULL);
  g_autofree char *out = NULL;
  g_autofree char *no_ext = NULL;

  for (guint i = 0; i < 300; i++)
    g_string_append (name, "é");
  g_string_append (name, ".pdf");
  out = kurir_mime_sanitize_filename (name->str);
  g_assert_cmpuint (strlen (out), <=, 255);
  g_assert_cmpuint (strlen (out), >=, 250);
  g_assert_true (g_utf8_validate (out, -1, NULL));
  g_assert_true (g_str_has_suffix (out, "é.pdf"));

  g_string_truncate (name, 0);
  for (guint i = 0; i < 1000; i++)
    g_string_append_c (name, 'x');
  no_ext = kurir_mime_sanitize_filename (name->str);
  g_assert_cmpuint (strlen (no_ext), ==, 255);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/mime/info/plain-reply", test_plain_reply);
  g_test_add_func ("/mime/info/alternative", test_alternative);
  g_test_add_func ("/mime/info/attachments-rfc2231", test_attachments_rfc2231);
  g_test_add_func ("/mime/info/encoded-subjects", test_encoded_subjects);
  g_test_add_func ("/mime/info/dates", test_dates);
  g_test_add_func ("/mime/info/broken-mime", test_broken_mime);
  g_test_add_func ("/mime/info/html-only", test_html_only);
  g_test_add_func ("/mime/info/rfc822-and-signed", test_rfc822_and_signed);
  g_test_add_func ("/mime/info/empty-and-garbage", test_empty_and_garbage);
  g_test_add_func ("/mime/hostile/nested-10000", test_nested_10000);
  g_test_add_func ("/mime/hostile/nested-bound", test_nested_bound);
  g_test_add_func ("/mime/hostile/nested-boundary-lines", test_nested_boundary_lines);
  g_test_add_func ("/mime/hostile/digest", test_digest);
  g_test_add_func ("/mime/hostile/siblings-10000", test_siblings_10000);
  g_test_add_func ("/mime/hostile/huge-subject", test_huge_subject);
  g_test_add_func ("/mime/hostile/huge-address-list", test_huge_address_list);
  g_test_add_func ("/mime/hostile/huge-header-block", test_huge_header_block);
  g_test_add_func ("/mime/hostile/huge-unterminated", test_huge_unterminated);
  g_test_add_func ("/mime/hostile/huge-body", test_huge_body);
  g_test_add_func ("/mime/info/threads", test_threads);
  g_test_add_func ("/mime/info/header-only", test_header_only);
  g_test_add_func ("/mime/filename/sanitize", test_sanitize_filename);
  g_test_add_func ("/mime/filename/long", test_sanitize_long_filename);

  return g_test_run ();
}
