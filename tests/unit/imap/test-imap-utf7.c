/* test-imap-utf7.c: modified UTF-7 mailbox names, strictly
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "kurir-imap-error.h"
#include "kurir-imap-utf7.h"

static void
test_round_trips (void)
{
  static const struct { const char *utf8; const char *mutf7; } cases[] = {
    { "INBOX", "INBOX" },
    { "", "" },
    { "&", "&-" },
    { "Tom & Jerry", "Tom &- Jerry" },
    { "&&", "&-&-" },
    { "~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-" },
    { "Kotak Masuk", "Kotak Masuk" },
    { "Pesan Terkirim/Pekerjaan & Proyek", "Pesan Terkirim/Pekerjaan &- Proyek" },
    { "已发送", "&XfJT0ZAB-" },
    { "垃圾邮件", "&V4NXPpCuTvY-" },
    { "Entwürfe", "Entw&APw-rfe" },
    { "Корзина", "&BBoEPgRABDcEOAQ9BDA-" },
    { "Café & Thé", "Caf&AOk- &- Th&AOk-" },
    { "😀 Emoji", "&2D3eAA- Emoji" },
    { "tab\there", "tab&AAk-here" },
    { "[Gmail]/Sent Mail", "[Gmail]/Sent Mail" },
    { "ü", "&APw-" },
    { "üü", "&APwA,A-" },
    { "üüü", "&APwA,AD8-" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *encoded = kurir_imap_utf7_encode (cases[i].utf8, &error);
      g_autofree char *decoded = NULL;

      g_assert_no_error (error);
      g_assert_cmpstr (encoded, ==, cases[i].mutf7);
      decoded = kurir_imap_utf7_decode (cases[i].mutf7, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (decoded, ==, cases[i].utf8);
    }

  /* Every code point of a few planes survives a round trip. */
  for (gunichar c = 1; c < 0x11000; c += 7)
    {
      g_autoptr(GError) error = NULL;
      char utf8[16] = { 'a', };
      g_autofree char *encoded = NULL;
      g_autofree char *decoded = NULL;
      int n;

      if (c >= 0xd800 && c <= 0xdfff)
        continue;
      n = g_unichar_to_utf8 (c, utf8 + 1);
      utf8[n + 1] = 'z';
      encoded = kurir_imap_utf7_encode (utf8, &error);
      g_assert_no_error (error);
      decoded = kurir_imap_utf7_decode (encoded, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (decoded, ==, utf8);
    }
}

static void
test_broken (void)
{
  static const char *broken[] = {
    "&",               /* unterminated */
    "&Jjo",            /* unterminated */
    "Foo&ZeVnLIqe",    /* unterminated */
    "&Jjo!-",          /* not base64 */
    "&Jj/-",           /* '/' is not in the modified alphabet */
    "&Jjo=-",          /* padding */
    "&AGEAYgBj-",      /* "abc", printable ASCII encoded */
    "&ACY-",           /* "&" encoded instead of "&-" */
    "&AAA-",           /* NUL */
    "&ZeVnLIqe-&U,BTFw-",  /* two runs next to each other: not minimal */
    "&APx-",           /* padding bits set */
    "&ZeVnLIqeAA-",    /* extra base64 beyond the last unit */
    "&2D0-",           /* high surrogate alone */
    "&3gA-",           /* low surrogate alone */
    "&2D3YPQ-",        /* high surrogate twice */
    "&AP-",            /* too short for a unit */
    "caf\xc3\xa9",     /* 8-bit */
    "tab\there",       /* a control character sent raw */
  };

  for (guint i = 0; i < G_N_ELEMENTS (broken); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *decoded = kurir_imap_utf7_decode (broken[i], &error);

      if (decoded != NULL)
        g_error ("“%s” decoded to “%s”", broken[i], decoded);
      g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_MAILBOX_NAME);
    }

  /* Invalid UTF-8 cannot be encoded. */
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *encoded = kurir_imap_utf7_encode ("bad \xff byte", &error);

    g_assert_null (encoded);
    g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_INVALID_ARGUMENT);
  }
}

static void
test_utf8_accept (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;

  /* With UTF8=ACCEPT the name is UTF-8, "&" included. */
  name = kurir_imap_mailbox_decode ("工作 & Kerja", TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (name, ==, "工作 & Kerja");
  g_clear_pointer (&name, g_free);
  name = kurir_imap_mailbox_encode ("工作 & Kerja", TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (name, ==, "工作 & Kerja");
  g_clear_pointer (&name, g_free);
  name = kurir_imap_mailbox_encode ("工作 & Kerja", FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (name, ==, "&XeVPXA- &- Kerja");
  g_clear_pointer (&name, g_free);

  name = kurir_imap_mailbox_decode ("bad \xff", TRUE, &error);
  g_assert_null (name);
  g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_MAILBOX_NAME);
  g_clear_error (&error);
  name = kurir_imap_mailbox_decode ("line\r\nbreak", TRUE, &error);
  g_assert_null (name);
  g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_MAILBOX_NAME);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/imap/utf7/round-trips", test_round_trips);
  g_test_add_func ("/imap/utf7/broken", test_broken);
  g_test_add_func ("/imap/utf7/utf8-accept", test_utf8_accept);
  return g_test_run ();
}
