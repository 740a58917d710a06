/* fuzz-imap-utf7.c: the modified UTF-7 mailbox-name decoder (RFC 3501
 * 5.1.3) and its encoder
 *
 * Whatever decodes is valid UTF-8 and encodes back to a name that decodes
 * to the same text; whatever does not decode is an error, never a crash.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdint.h>

#include "kurir-imap-utf7.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_round_trip (const char *decoded,
                  gboolean    utf8_accept)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *encoded = NULL;
  g_autofree char *again = NULL;

  g_assert (g_utf8_validate (decoded, -1, NULL));
  encoded = kurir_imap_mailbox_encode (decoded, utf8_accept, &error);
  if (encoded == NULL)
    {
      /* Only text a mailbox name cannot hold (controls) may be refused. */
      g_assert (error != NULL);
      return;
    }
  again = kurir_imap_mailbox_decode (encoded, utf8_accept, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again, ==, decoded);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);

  for (int utf8_accept = 0; utf8_accept <= 1; utf8_accept++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *decoded = kurir_imap_mailbox_decode (text, utf8_accept, &error);

      g_assert ((decoded == NULL) == (error != NULL));
      if (decoded != NULL)
        check_round_trip (decoded, utf8_accept);
    }
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *decoded = kurir_imap_utf7_decode (text, &error);

    g_assert ((decoded == NULL) == (error != NULL));
    if (decoded != NULL)
      g_assert (g_utf8_validate (decoded, -1, NULL));
  }
  /* The input taken as UTF-8 text to encode. */
  if (g_utf8_validate (text, -1, NULL))
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *encoded = kurir_imap_utf7_encode (text, &error);

      if (encoded != NULL)
        {
          g_autofree char *decoded = kurir_imap_utf7_decode (encoded, &error);
          g_assert_no_error (error);
          g_assert_cmpstr (decoded, ==, text);
        }
    }
  return 0;
}
