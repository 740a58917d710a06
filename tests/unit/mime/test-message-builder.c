/* test-message-builder.c: new messages, replies and forwards built with
 * GMime: headers, encodings, Bcc only in the envelope, no header
 * injection, subjects without stacking, quoting, References trimming,
 * format=flowed, and the preparation of a message for `kurir-cli send`
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gmime/gmime.h>
#include <string.h>

#include "kurir-message-builder.h"
#include "kurir-message-info.h"
#include "kurir-message-parts.h"
#include "kurir-mime.h"

/* Helpers */

static char *
build_string (KurirMessageBuilder *builder)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = kurir_message_builder_build (builder, &error);
  gsize size;
  const char *data;

  g_assert_no_error (error);
  g_assert_nonnull (bytes);
  data = g_bytes_get_data (bytes, &size);
  return g_strndup (data, size);
}

/* The header block, unfolded, one field per line. */
static char *
headers_of (const char *message)
{
  const char *end = strstr (message, "\r\n\r\n");
  g_autofree char *block = g_strndup (message, end - message);
  GString *out = g_string_new ("\n");

  for (const char *p = block; *p != '\0'; p++)
    {
      if (p[0] == '\r' && p[1] == '\n' && (p[2] == ' ' || p[2] == '\t'))
        {
          p++;
          continue;
        }
      g_string_append_c (out, *p == '\r' ? '\n' : *p);
      if (*p == '\r' && p[1] == '\n')
        p++;
    }
  return g_string_free (out, FALSE);
}

static KurirMessageBuilder *
simple_builder (void)
{
  KurirMessageBuilder *builder = kurir_message_builder_new ();

  kurir_message_builder_set_from (builder, "Alice Ärger", "alice@example.org");
  g_assert_true (kurir_message_builder_add_recipients (builder, KURIR_RECIPIENT_TO,
                                                       "Bob <bob@example.com>", NULL));
  return builder;
}

/* Tests */

static void
test_headers (void)
{
  g_autoptr(KurirMessageBuilder) builder = simple_builder ();
  g_autofree char *message = NULL;
  g_autofree char *headers = NULL;
  g_autoptr(KurirMessageInfo) info = NULL;

  g_assert_true (kurir_message_builder_add_recipients (builder, KURIR_RECIPIENT_CC,
                                                       "carol@example.com, \"Dan D.\" <dan@example.com>",
                                                       NULL));
  g_assert_true (kurir_message_builder_add_recipients (builder, KURIR_RECIPIENT_BCC,
                                                       "secret@example.net", NULL));
  kurir_message_builder_set_reply_to (builder, "lists@example.org");
  kurir_message_builder_set_subject (builder, "Grüße aus Köln");
  kurir_message_builder_set_body (builder, "Hallo Bob,\nwie geht's?\n");
  message = build_string (builder);
  headers = headers_of (message);

  g_assert_nonnull (strstr (headers, "\nTo: Bob <bob@example.com>\n"));
  g_assert_nonnull (strstr (headers, "Cc: carol@example.com, \"Dan D.\" <dan@example.com>\n"));
  g_assert_nonnull (strstr (headers, "Reply-To: lists@example.org\n"));
  g_assert_null (strstr (message, "secret@example.net"));
  g_assert_null (strstr (headers, "Bcc"));
  /* RFC 2047: no raw 8-bit bytes in the headers. */
  for (const char *p = headers; *p != '\0'; p++)
    g_assert_cmpint ((guchar) *p, <, 0x80);
  g_assert_nonnull (strstr (headers, "Subject: =?"));
  g_assert_nonnull (strstr (headers, "\nDate: "));
  g_assert_nonnull (strstr (headers, "MIME-Version: 1.0"));
  g_assert_nonnull (strstr (headers, "@example.org>"));  /* the Message-ID's domain */

  info = kurir_message_info_new_from_data (message, strlen (message));
  g_assert_cmpstr (info->subject, ==, "Grüße aus Köln");
  g_assert_cmpstr (info->from, ==, "Alice Ärger <alice@example.org>");
  g_assert_true (g_str_has_suffix (info->message_id, "@example.org"));
  g_assert_cmpstr (info->message_id, ==, kurir_message_builder_get_message_id (builder));
  g_assert_nonnull (strstr (info->body_text, "wie geht's?"));

  /* Every line ends in CRLF. */
  for (const char *p = message; *p != '\0'; p++)
    if (*p == '\n')
      g_assert_cmpint (p[-1], ==, '\r');
}

static void
test_recipients (void)
{
  g_autoptr(KurirMessageBuilder) builder = simple_builder ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) recipients = NULL;

  g_assert_true (kurir_message_builder_add_recipients (builder, KURIR_RECIPIENT_CC,
                                                       "BOB@example.com, c@example.com", NULL));
  g_assert_true (kurir_message_builder_add_recipients (builder, KURIR_RECIPIENT_BCC,
                                                       "c@example.com, d@example.com", NULL));
  recipients = kurir_message_builder_get_recipients (builder);
  g_assert_cmpuint (g_strv_length (recipients), ==, 3);
  g_assert_cmpstr (recipients[0], ==, "bob@example.com");
  g_assert_cmpstr (recipients[1], ==, "c@example.com");
  g_assert_cmpstr (recipients[2], ==, "d@example.com");

  g_assert_false (kurir_message_builder_add_recipients (builder, KURIR_RECIPIENT_TO, "not an address",
                                                        &error));
  g_assert_error (error, KURIR_MESSAGE_BUILDER_ERROR, KURIR_MESSAGE_BUILDER_ERROR_INVALID);
  g_clear_error (&error);

  {
    g_autoptr(KurirMessageBuilder) empty = kurir_message_builder_new ();
    g_autoptr(GBytes) bytes = NULL;

    kurir_message_builder_set_from (empty, NULL, "alice@example.org");
    bytes = kurir_message_builder_build (empty, &error);
    g_assert_null (bytes);
    g_assert_error (error, KURIR_MESSAGE_BUILDER_ERROR, KURIR_MESSAGE_BUILDER_ERROR_NO_RECIPIENT);
    g_clear_error (&error);
    bytes = kurir_message_builder_build_draft (empty, &error);
    g_assert_no_error (error);
    g_assert_nonnull (bytes);
  }
}

static void
test_injection (void)
{
  g_autoptr(KurirMessageBuilder) builder = simple_builder ();
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  g_autofree char *headers = NULL;

  kurir_message_builder_set_subject (builder, "Hi\r\nBcc: victim@example.com\r\n\r\nbody");
  kurir_message_builder_set_from (builder, "Alice\nX-Evil: 1", "alice@example.org");
  g_assert_false (kurir_message_builder_add_recipients (builder, KURIR_RECIPIENT_TO,
                                                        "x@example.com\r\nBcc: y@example.com", &error));
  g_assert_error (error, KURIR_MESSAGE_BUILDER_ERROR, KURIR_MESSAGE_BUILDER_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (kurir_message_builder_add_recipients (builder, KURIR_RECIPIENT_TO,
                                                        "\"a\" <x y@example.com>", &error));
  g_clear_error (&error);
  kurir_message_builder_set_in_reply_to (builder, "a@b>\r\nX-Evil: 2");
  g_assert_null (kurir_message_builder_get_in_reply_to (builder));

  message = build_string (builder);
  headers = headers_of (message);
  g_assert_null (strstr (headers, "\nBcc:"));
  g_assert_null (strstr (headers, "\nX-Evil"));
  g_assert_null (strstr (message, "y@example.com"));
  g_assert_nonnull (strstr (headers, "Subject: Hi Bcc: victim@example.com body\n"));

  {
    g_autoptr(KurirMessageBuilder) bad = kurir_message_builder_new ();
    g_autoptr(GBytes) bytes = NULL;

    kurir_message_builder_set_from (bad, "Alice", "alice@example.org\r\nX-Evil: 1");
    g_assert_true (kurir_message_builder_add_recipients (bad, KURIR_RECIPIENT_TO, "b@example.com", NULL));
    bytes = kurir_message_builder_build (bad, &error);
    g_assert_null (bytes);
    g_assert_error (error, KURIR_MESSAGE_BUILDER_ERROR, KURIR_MESSAGE_BUILDER_ERROR_INVALID);
  }
}

static void
test_subjects (void)
{
  static const struct { const char *in, *reply, *forward; } cases[] = {
    { "Hello", "Re: Hello", "Fwd: Hello" },
    { "Re: Hello", "Re: Hello", "Fwd: Hello" },
    { "Re: Re: RE: Hello", "Re: Hello", "Fwd: Hello" },
    { "AW: SV: Fw: Hello", "Re: Hello", "Fwd: Hello" },
    { "Fwd: Re[3]: Hello", "Re: Hello", "Fwd: Hello" },
    { "Reply needed", "Re: Reply needed", "Fwd: Reply needed" },
    { "", "Re: ", "Fwd: " },
    { "Rapat\r\nBcc: x", "Re: Rapat Bcc: x", "Fwd: Rapat Bcc: x" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *reply = kurir_message_builder_reply_subject (cases[i].in);
      g_autofree char *forward = kurir_message_builder_forward_subject (cases[i].in);

      g_assert_cmpstr (reply, ==, cases[i].reply);
      g_assert_cmpstr (forward, ==, cases[i].forward);
    }
}

static void
test_references (void)
{
  const char *refs[30];
  g_autofree char *ids[29] = { NULL };
  g_auto(GStrv) out = NULL;
  g_auto(GStrv) short_out = NULL;
  const char *few[] = { "a@x", "b@x", NULL };

  for (guint i = 0; i < 29; i++)
    {
      ids[i] = g_strdup_printf ("id%u@example.com", i);
      refs[i] = ids[i];
    }
  refs[29] = NULL;
  out = kurir_message_builder_reply_references (refs, NULL, "parent@example.com");
  g_assert_cmpuint (g_strv_length (out), ==, KURIR_MESSAGE_BUILDER_MAX_REFERENCES);
  g_assert_cmpstr (out[0], ==, "id0@example.com");             /* the root stays */
  g_assert_cmpstr (out[KURIR_MESSAGE_BUILDER_MAX_REFERENCES - 1], ==, "parent@example.com");
  g_assert_cmpstr (out[KURIR_MESSAGE_BUILDER_MAX_REFERENCES - 2], ==, "id28@example.com");

  short_out = kurir_message_builder_reply_references (few, "b@x", "c@x");
  g_assert_cmpuint (g_strv_length (short_out), ==, 3);
  g_assert_cmpstr (short_out[2], ==, "c@x");
  g_strfreev (g_steal_pointer (&short_out));
  short_out = kurir_message_builder_reply_references (NULL, "p@x", "c@x");
  g_assert_cmpuint (g_strv_length (short_out), ==, 2);
  g_assert_cmpstr (short_out[0], ==, "p@x");
}

static const char original[] =
  "From: Bob Builder <bob@example.com>\r\n"
  "To: Alice <alice@example.org>, carol@example.com\r\n"
  "Cc: dan@example.com\r\n"
  "Subject: Re: =?UTF-8?Q?Pr=C3=BCfung?=\r\n"
  "Date: Tue, 24 Nov 2026 10:00:00 +0000\r\n"
  "Message-ID: <m2@example.com>\r\n"
  "References: <m0@example.com> <m1@example.com>\r\n"
  "In-Reply-To: <m1@example.com>\r\n"
  "Content-Type: text/plain; charset=UTF-8\r\n"
  "\r\n"
  "First line\r\n"
  "> older quote\r\n"
  "\r\n"
  "Last line\r\n";

static void
test_reply (void)
{
  g_autoptr(GBytes) bytes = g_bytes_new_static (original, sizeof original - 1);
  g_autoptr(KurirMessageBuilder) reply = NULL;
  g_autoptr(KurirMessageBuilder) reply_all = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *to = NULL;
  g_autofree char *cc = NULL;
  g_autofree char *message = NULL;
  g_autofree char *headers = NULL;
  const char *body;

  reply = kurir_message_builder_new_reply (bytes, "alice@example.org", FALSE, &error);
  g_assert_no_error (error);
  to = kurir_message_builder_format_recipients (reply, KURIR_RECIPIENT_TO);
  cc = kurir_message_builder_format_recipients (reply, KURIR_RECIPIENT_CC);
  g_assert_cmpstr (to, ==, "Bob Builder <bob@example.com>");
  g_assert_cmpstr (cc, ==, "");
  g_assert_cmpstr (kurir_message_builder_get_subject (reply), ==, "Re: Prüfung");
  g_assert_cmpstr (kurir_message_builder_get_in_reply_to (reply), ==, "m2@example.com");
  body = kurir_message_builder_get_body (reply);
  g_assert_nonnull (strstr (body, "Bob Builder wrote:\n"));
  g_assert_nonnull (strstr (body, "On "));
  g_assert_nonnull (strstr (body, "\n> First line\n>> older quote\n>\n> Last line\n"));

  kurir_message_builder_set_from (reply, "Alice", "alice@example.org");
  message = build_string (reply);
  headers = headers_of (message);
  g_assert_nonnull (strstr (headers, "In-Reply-To: <m2@example.com>\n"));
  g_assert_nonnull (strstr (headers, "References: <m0@example.com> <m1@example.com> <m2@example.com>\n"));

  reply_all = kurir_message_builder_new_reply (bytes, "ALICE@example.org", TRUE, &error);
  g_assert_no_error (error);
  g_free (cc);
  cc = kurir_message_builder_format_recipients (reply_all, KURIR_RECIPIENT_CC);
  g_assert_cmpstr (cc, ==, "carol@example.com, dan@example.com");
}

static void
test_forward (void)
{
  g_autoptr(GBytes) bytes = g_bytes_new_static (original, sizeof original - 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(KurirMessageBuilder) inline_fwd = kurir_message_builder_new_forward (bytes, KURIR_FORWARD_INLINE, &error);
  g_autoptr(KurirMessageBuilder) attached = NULL;
  g_autoptr(KurirMessageParts) parts = NULL;
  g_autofree char *message = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (kurir_message_builder_get_subject (inline_fwd), ==, "Fwd: Prüfung");
  g_assert_nonnull (strstr (kurir_message_builder_get_body (inline_fwd), "First line"));
  g_assert_nonnull (strstr (kurir_message_builder_get_body (inline_fwd), "bob@example.com"));

  attached = kurir_message_builder_new_forward (bytes, KURIR_FORWARD_ATTACHMENT, &error);
  g_assert_no_error (error);
  kurir_message_builder_set_from (attached, NULL, "alice@example.org");
  g_assert_true (kurir_message_builder_add_recipients (attached, KURIR_RECIPIENT_TO, "x@example.com", NULL));
  message = build_string (attached);
  g_assert_nonnull (strstr (message, "Content-Type: message/rfc822"));
  parts = kurir_message_parts_new_from_data (message, strlen (message));
  g_assert_cmpuint (parts->attachments->len, ==, 1);
  g_assert_cmpstr (((KurirAttachment *) g_ptr_array_index (parts->attachments, 0))->content_type, ==,
                   "message/rfc822");
}

static void
test_flowed (void)
{
  g_autofree char *long_line = g_strjoinv (" ", (char *[]) { "word", "word", "word", "word", "word",
                                                              "word", "word", "word", "word", "word",
                                                              "word", "word", "word", "word", "word",
                                                              "word", "word", "word", "word", "end", NULL });
  g_autofree char *text = g_strconcat (long_line, "\nFrom here\n trailing   \n> quoted\n-- \nsig\n", NULL);
  g_autofree char *flowed = kurir_message_builder_flow (text);
  g_auto(GStrv) lines = g_strsplit (flowed, "\n", -1);

  /* The long line: soft breaks end in a space, no line over the width. */
  for (guint i = 0; lines[i] != NULL; i++)
    g_assert_cmpuint (g_utf8_strlen (lines[i], -1), <=, KURIR_MESSAGE_BUILDER_WRAP);
  g_assert_true (g_str_has_suffix (lines[0], " "));
  g_assert_true (g_str_has_prefix (flowed, "word word"));
  g_assert_nonnull (strstr (flowed, " end\n From here\n  trailing\n> quoted\n-- \nsig\n"));
}

static void
test_draft_round_trip (void)
{
  g_autoptr(KurirMessageBuilder) builder = simple_builder ();
  g_autoptr(KurirMessageBuilder) again = NULL;
  g_autoptr(GBytes) draft = NULL;
  g_autoptr(GBytes) data = g_bytes_new_static ("\x01\x02\x03", 3);
  g_autoptr(GError) error = NULL;
  g_autofree char *bcc = NULL;
  const char *text = "A line long enough to be wrapped by format=flowed when the draft is saved, surely.\n"
                     " starts with a space\nFrom here\n> quoted\n-- \nsig\n";

  g_assert_true (kurir_message_builder_add_recipients (builder, KURIR_RECIPIENT_BCC, "hidden@example.net", NULL));
  kurir_message_builder_set_subject (builder, "Entwurf ü");
  kurir_message_builder_set_body (builder, text);
  kurir_message_builder_set_in_reply_to (builder, "parent@example.com");
  kurir_message_builder_add_attachment (builder, "a.bin", "application/octet-stream", data);
  draft = kurir_message_builder_build_draft (builder, &error);
  g_assert_no_error (error);

  again = kurir_message_builder_new_from_draft (draft, &error);
  g_assert_no_error (error);
  bcc = kurir_message_builder_format_recipients (again, KURIR_RECIPIENT_BCC);
  g_assert_cmpstr (bcc, ==, "hidden@example.net");
  g_assert_cmpstr (kurir_message_builder_get_subject (again), ==, "Entwurf ü");
  g_assert_cmpstr (kurir_message_builder_get_body (again), ==, text);
  g_assert_cmpstr (kurir_message_builder_get_in_reply_to (again), ==, "parent@example.com");
  g_assert_cmpstr (kurir_message_builder_get_message_id (again), ==,
                   kurir_message_builder_get_message_id (builder));
  g_assert_cmpuint (kurir_message_builder_get_n_attachments (again), ==, 1);
  g_assert_cmpstr (kurir_message_builder_get_attachment_name (again, 0), ==, "a.bin");
}

static void
test_encodings (void)
{
  g_autoptr(KurirMessageBuilder) builder = simple_builder ();
  g_autofree char *qp = NULL;
  g_autofree char *eight = NULL;
  g_autofree char *seven = NULL;

  kurir_message_builder_set_body (builder, "Grüße\n");
  /* Quoted-printable only when asked for; 8bit is the default. */
  kurir_message_builder_set_8bit (builder, FALSE);
  qp = build_string (builder);
  g_assert_nonnull (strstr (qp, "Content-Transfer-Encoding: quoted-printable"));
  g_assert_nonnull (strstr (qp, "format=flowed"));
  g_assert_nonnull (strstr (qp, "charset=utf-8"));
  g_assert_nonnull (strstr (qp, "Gr=C3=BC=C3=9Fe"));

  kurir_message_builder_set_8bit (builder, TRUE);
  eight = build_string (builder);
  g_assert_nonnull (strstr (eight, "Content-Transfer-Encoding: 8bit"));
  g_assert_nonnull (strstr (eight, "Grüße"));

  kurir_message_builder_set_body (builder, "plain ascii\n");
  seven = build_string (builder);
  g_assert_null (strstr (seven, "quoted-printable"));
  g_assert_null (strstr (seven, "Content-Transfer-Encoding: 8bit"));
}

static void
test_attachments (void)
{
  g_autoptr(KurirMessageBuilder) builder = simple_builder ();
  guint8 binary[3000];
  g_autoptr(GBytes) data = NULL;
  g_autoptr(GBytes) pdf = g_bytes_new_static ("%PDF-1.4\n%test\n", 15);
  g_autofree char *message = NULL;
  g_autoptr(KurirMessageParts) parts = NULL;
  g_autoptr(GFileIOStream) io = NULL;
  g_autoptr(GFile) out = g_file_new_tmp ("kurir-builder-XXXXXX", &io, NULL);
  g_autofree char *saved = NULL;
  gsize saved_len;

  for (guint i = 0; i < sizeof binary; i++)
    binary[i] = (guint8) (i * 7 + (i >> 8));
  data = g_bytes_new (binary, sizeof binary);
  kurir_message_builder_add_attachment (builder, "Übersicht 2026.bin", NULL, data);
  kurir_message_builder_add_attachment (builder, "laporan.pdf", NULL, pdf);
  kurir_message_builder_set_body (builder, "See the files.\n");
  g_assert_cmpuint (kurir_message_builder_get_n_attachments (builder), ==, 2);
  message = build_string (builder);

  g_assert_nonnull (strstr (message, "multipart/mixed"));
  g_assert_nonnull (strstr (message, "Content-Transfer-Encoding: base64"));
  g_assert_nonnull (strstr (message, "application/pdf"));
  g_assert_nonnull (strstr (message, "filename*=UTF-8''%C3%9Cbersicht%202026.bin"));
  parts = kurir_message_parts_new_from_data (message, strlen (message));
  g_assert_cmpuint (parts->attachments->len, ==, 2);
  g_assert_cmpstr (((KurirAttachment *) g_ptr_array_index (parts->attachments, 0))->filename, ==,
                   "Übersicht 2026.bin");
  g_assert_true (kurir_message_parts_save_attachment (message, strlen (message), 
                                                      ((KurirAttachment *) g_ptr_array_index (parts->attachments, 0))->index,
                                                      out, NULL, NULL));
  g_assert_true (g_file_load_contents (out, NULL, &saved, &saved_len, NULL, NULL));
  g_assert_cmpmem (saved, saved_len, binary, sizeof binary);
  g_file_delete (out, NULL, NULL);
}

static void
test_prepare (void)
{
  static const char raw[] =
    "From: Alice <alice@example.org>\n"
    "To: bob@example.com\n"
    "Bcc: hidden@example.net,\n"
    " other@example.net\n"
    "Cc: Carol <carol@example.com>, bob@example.com\n"
    "Subject: prepared\n"
    "\n"
    "Bcc: this line is the body\n";
  g_autoptr(GBytes) in = g_bytes_new_static (raw, sizeof raw - 1);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) recipients = NULL;
  g_autofree char *message_id = NULL;
  g_autoptr(GBytes) out = kurir_message_builder_prepare (in, "example.org", &recipients, &message_id, &error);
  g_autofree char *text = NULL;
  gsize size;
  const char *data;

  g_assert_no_error (error);
  data = g_bytes_get_data (out, &size);
  text = g_strndup (data, size);
  g_assert_cmpuint (g_strv_length (recipients), ==, 4);
  g_assert_cmpstr (recipients[0], ==, "bob@example.com");
  g_assert_cmpstr (recipients[1], ==, "carol@example.com");
  g_assert_cmpstr (recipients[2], ==, "hidden@example.net");
  g_assert_cmpstr (recipients[3], ==, "other@example.net");
  g_assert_null (strstr (text, "hidden@"));
  g_assert_null (strstr (text, "other@"));
  g_assert_true (g_str_has_suffix (text, "\n\nBcc: this line is the body\n"));
  g_assert_true (g_str_has_prefix (text, "Message-ID: <"));
  g_assert_true (g_str_has_suffix (message_id, "@example.org"));
  g_assert_nonnull (strstr (text, ">\nDate: "));
  g_assert_nonnull (strstr (text, "Subject: prepared\n"));

  {
    static const char none[] = "From: a@example.org\nSubject: x\n\nbody\n";
    g_autoptr(GBytes) nobody = g_bytes_new_static (none, sizeof none - 1);
    g_autoptr(GBytes) refused = kurir_message_builder_prepare (nobody, NULL, NULL, NULL, &error);

    g_assert_null (refused);
    g_assert_error (error, KURIR_MESSAGE_BUILDER_ERROR, KURIR_MESSAGE_BUILDER_ERROR_NO_RECIPIENT);
  }
}


static void
test_identity (void)
{
  g_autoptr(KurirMessageBuilder) builder = simple_builder ();
  g_autofree char *message = NULL;
  g_autofree char *headers = NULL;
  g_autoptr(KurirMessageInfo) info = NULL;

  kurir_message_builder_set_from (builder, "Dewi Lestari-Ärger", "dewi@example.org");
  kurir_message_builder_set_reply_to (builder, "replies@example.org");
  kurir_message_builder_set_body (builder, "Halo\n");
  message = build_string (builder);
  headers = headers_of (message);
  /* The name RFC 2047 encoded, never raw 8-bit in the header. */
  g_assert_nonnull (strstr (headers, "\nFrom: Dewi =?UTF-8?q?Lestari-=C3=84rger?= <dewi@example.org>\n"));
  g_assert_nonnull (strstr (headers, "\nReply-To: replies@example.org\n"));
  for (const char *p = headers; *p != '\0'; p++)
    g_assert_cmpuint ((guchar) *p, <, 0x80);
  info = kurir_message_info_new_from_data (message, strlen (message));
  g_assert_cmpstr (info->from_address, ==, "dewi@example.org");
  g_assert_nonnull (strstr (info->from, "Dewi Lestari-Ärger"));

  /* An ASCII name stays readable; no Reply-To without one. */
  {
    g_autoptr(KurirMessageBuilder) plain = simple_builder ();
    g_autofree char *text = NULL;
    g_autofree char *fields = NULL;

    kurir_message_builder_set_from (plain, "Dewi L", "dewi@example.org");
    text = build_string (plain);
    fields = headers_of (text);
    g_assert_nonnull (strstr (fields, "\nFrom: Dewi L <dewi@example.org>\n"));
    g_assert_null (strstr (fields, "Reply-To"));
  }
}

static void
test_signature (void)
{
  g_autofree char *added = NULL;
  g_autofree char *typed = NULL;
  g_autofree char *swapped = NULL;
  g_autofree char *removed = NULL;
  g_autofree char *edited = NULL;
  g_autofree char *kept = NULL;
  g_autofree char *reply_body = NULL;
  g_autofree char *message = NULL;
  g_autoptr(GBytes) bytes = g_bytes_new_static (original, sizeof original - 1);
  g_autoptr(KurirMessageBuilder) reply = NULL;
  const char *quote_at, *sig_at;

  /* A new message: a line to write on, then the signature. */
  added = kurir_message_builder_swap_signature ("", NULL, "Alice\nExample Org\n");
  g_assert_cmpstr (added, ==, "\n\n-- \nAlice\nExample Org");

  /* What was typed above stays exactly; the block is swapped. */
  typed = g_strconcat ("Dear Bob,\n\nsee you\n", added + 2, NULL);
  swapped = kurir_message_builder_swap_signature (typed, "Alice\nExample Org\n", "A. (work)");
  g_assert_cmpstr (swapped, ==, "Dear Bob,\n\nsee you\n-- \nA. (work)");
  removed = kurir_message_builder_swap_signature (swapped, "A. (work)", NULL);
  g_assert_cmpstr (removed, ==, "Dear Bob,\n\nsee you\n");

  /* A signature the person edited is theirs: nothing changes. */
  edited = kurir_message_builder_swap_signature ("Hi\n-- \nA. (home)", "A. (work)", "Other");
  g_assert_cmpstr (edited, ==, "Hi\n-- \nA. (home)");
  /* "-- " in the middle of a line is no separator. */
  kept = kurir_message_builder_swap_signature ("x-- \nA. (work)", "A. (work)", NULL);
  g_assert_cmpstr (kept, ==, "x-- \nA. (work)");

  /* In a reply, below the quote; it survives format=flowed as "-- ". */
  reply = kurir_message_builder_new_reply (bytes, "alice@example.org", FALSE, NULL);
  reply_body = kurir_message_builder_swap_signature (kurir_message_builder_get_body (reply), NULL, "Alice");
  quote_at = strstr (reply_body, "> Last line\n");
  sig_at = strstr (reply_body, "\n-- \nAlice");
  g_assert_nonnull (quote_at);
  g_assert_nonnull (sig_at);
  g_assert_true (sig_at > quote_at);
  g_assert_true (g_str_has_suffix (reply_body, "\n-- \nAlice"));
  kurir_message_builder_set_from (reply, NULL, "alice@example.org");
  kurir_message_builder_set_body (reply, reply_body);
  message = build_string (reply);
  g_assert_nonnull (strstr (message, "\r\n-- \r\nAlice"));
}

static void
test_reply_identities (void)
{
  static const char delivered[] =
    "Delivered-To: alias@example.net\r\n"
    "From: Bob <bob@example.com>\r\n"
    "To: list@lists.example.com\r\n"
    "Subject: hi\r\n"
    "Message-ID: <d1@example.com>\r\n"
    "\r\n"
    "body\r\n";
  g_autoptr(GBytes) bytes = g_bytes_new_static (original, sizeof original - 1);
  g_autoptr(GBytes) list_mail = g_bytes_new_static (delivered, sizeof delivered - 1);
  const char *own[] = { "other@example.org", "dan@example.com", "alias@example.net",
                        "alice@example.org", NULL };
  const char *none[] = { "nobody@example.org", NULL };
  g_autoptr(KurirMessageBuilder) reply_all = NULL;
  g_autofree char *to = NULL;
  g_autofree char *cc = NULL;

  /* To and Cc before Delivered-To; the first identity named wins. */
  g_assert_cmpint (kurir_message_builder_find_recipient (bytes, own), ==, 1);
  g_assert_cmpint (kurir_message_builder_find_recipient (list_mail, own), ==, 2);
  g_assert_cmpint (kurir_message_builder_find_recipient (bytes, none), ==, -1);

  /* Reply All leaves out every address of the sender, not only From. */
  {
    const char *mine[] = { "alice@example.org", "dan@example.com", NULL };

    reply_all = kurir_message_builder_new_reply_from (bytes, mine, TRUE, NULL);
  }
  to = kurir_message_builder_format_recipients (reply_all, KURIR_RECIPIENT_TO);
  cc = kurir_message_builder_format_recipients (reply_all, KURIR_RECIPIENT_CC);
  g_assert_cmpstr (to, ==, "Bob Builder <bob@example.com>");
  g_assert_cmpstr (cc, ==, "carol@example.com");
}

/* Counts the bytes over 127 in the body of @data. */
static gsize
body_high_bytes (GBytes *message)
{
  gsize size, n = 0;
  const char *data = g_bytes_get_data (message, &size);
  const char *body = g_strstr_len (data, size, "\r\n\r\n");

  g_assert_nonnull (body);
  for (const char *p = body; p < data + size; p++)
    n += (guchar) *p >= 0x80;
  return n;
}

static void
test_to_7bit (void)
{
  g_autoptr(KurirMessageBuilder) builder = simple_builder ();
  g_autoptr(GBytes) eight = NULL;
  g_autoptr(GBytes) seven = NULL;
  g_autoptr(GBytes) again = NULL;
  g_autoptr(GBytes) attachment = g_bytes_new_static ("Grüße aus Jakarta\n", 19);
  g_autoptr(GError) error = NULL;
  g_autoptr(KurirMessageParts) parts = NULL;
  g_autofree char *text = NULL;
  const char *data;
  gsize size;

  kurir_message_builder_set_body (builder, "Grüße, Dewi — sampai jumpa\n");
  kurir_message_builder_add_attachment (builder, "catatan.txt", "text/plain", attachment);
  eight = kurir_message_builder_build (builder, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (body_high_bytes (eight), >, 0);
  data = g_bytes_get_data (eight, &size);
  g_assert_nonnull (g_strstr_len (data, size, "Content-Transfer-Encoding: 8bit"));

  seven = kurir_message_builder_to_7bit (eight, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (body_high_bytes (seven), ==, 0);
  data = g_bytes_get_data (seven, &size);
  g_assert_null (g_strstr_len (data, size, "Content-Transfer-Encoding: 8bit"));
  g_assert_nonnull (g_strstr_len (data, size, "Content-Transfer-Encoding: quoted-printable"));
  /* Every line ends in CRLF, none is a bare LF or CR. */
  for (gsize i = 0; i < size; i++)
    if (data[i] == '\n')
      g_assert_true (i > 0 && data[i - 1] == '\r');
    else if (data[i] == '\r')
      g_assert_true (i + 1 < size && data[i + 1] == '\n');
  /* The same text when decoded; the header as it was. */
  text = kurir_mime_get_text (data, size);
  g_assert_nonnull (strstr (text, "Grüße, Dewi — sampai jumpa"));
  g_assert_nonnull (g_strstr_len (data, size, "format=flowed"));
  parts = kurir_message_parts_new_from_data (data, size);
  g_assert_cmpuint (parts->attachments->len, ==, 1);
  {
    g_autofree char *eight_text = g_strndup (g_bytes_get_data (eight, NULL), g_bytes_get_size (eight));
    g_autofree char *seven_text = g_strndup (data, size);
    g_autofree char *eight_headers = headers_of (eight_text);
    g_autofree char *seven_headers = headers_of (seven_text);

    g_assert_cmpstr (seven_headers, ==, eight_headers);
  }

  /* A 7-bit message comes back as it is, the very same bytes. */
  again = kurir_message_builder_to_7bit (seven, &error);
  g_assert_no_error (error);
  g_assert_true (again == seven);
}

int
main (int    argc,
      char **argv)
{
  /* Not isolated: the guess of content types needs shared-mime-info. */
  g_test_init (&argc, &argv, NULL);
  kurir_mime_init ();

  g_test_add_func ("/message-builder/headers", test_headers);
  g_test_add_func ("/message-builder/recipients", test_recipients);
  g_test_add_func ("/message-builder/injection", test_injection);
  g_test_add_func ("/message-builder/subjects", test_subjects);
  g_test_add_func ("/message-builder/references", test_references);
  g_test_add_func ("/message-builder/reply", test_reply);
  g_test_add_func ("/message-builder/forward", test_forward);
  g_test_add_func ("/message-builder/flowed", test_flowed);
  g_test_add_func ("/message-builder/encodings", test_encodings);
  g_test_add_func ("/message-builder/draft-round-trip", test_draft_round_trip);
  g_test_add_func ("/message-builder/attachments", test_attachments);
  g_test_add_func ("/message-builder/prepare", test_prepare);
  g_test_add_func ("/message-builder/identity", test_identity);
  g_test_add_func ("/message-builder/signature", test_signature);
  g_test_add_func ("/message-builder/reply-identities", test_reply_identities);
  g_test_add_func ("/message-builder/to-7bit", test_to_7bit);

  return g_test_run ();
}
