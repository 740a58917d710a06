/* kurir-imap-utf7.c: modified UTF-7 mailbox names
 *
 * The alphabet is base64 with ',' in place of '/', no padding; '&' shifts
 * into base64 (UTF-16BE), '-' shifts back, "&-" is a literal '&'. Printable
 * ASCII (0x20-0x7e) must stand for itself. We reject everything that is not
 * the one canonical encoding, so two different wire names never decode to
 * the same folder and a broken one is never silently "repaired".
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-imap"

#include "config.h"

#include <string.h>

#include "kurir-imap-error.h"
#include "kurir-imap-utf7.h"

static const char mbase64[] =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/* Helpers */

static int
mbase64_value (char c)
{
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == ',')
    return 63;
  return -1;
}

static gboolean
is_direct (gunichar c)
{
  return c >= 0x20 && c <= 0x7e;
}

static gboolean
decode_error (GError     **error,
              const char  *mutf7,
              const char  *why)
{
  g_autofree char *shown = g_strescape (mutf7, NULL);

  g_set_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_MAILBOX_NAME,
               "The mailbox name “%s” is not valid modified UTF-7: %s", shown, why);
  return FALSE;
}

/* Decodes one base64 run starting after '&'; *pos ends after the '-'. */
static gboolean
decode_run (const char  *in,
            gsize       *pos,
            GString     *out,
            GError     **error)
{
  guint32 bits = 0;
  guint n_bits = 0;
  gunichar high = 0;
  guint units = 0;
  gsize i = *pos;

  for (;; i++)
    {
      char c = in[i];
      int v;

      if (c == '\0')
        return decode_error (error, in, "a base64 run is not terminated by “-”");
      if (c == '-')
        break;
      v = mbase64_value (c);
      if (v < 0)
        return decode_error (error, in, "a character that is not base64 in a “&” run");

      bits = (bits << 6) | (guint32) v;
      n_bits += 6;
      if (n_bits >= 16)
        {
          gunichar unit = (bits >> (n_bits - 16)) & 0xffff;

          n_bits -= 16;
          bits &= (1u << n_bits) - 1;
          units++;

          if (high != 0)
            {
              if (unit < 0xdc00 || unit > 0xdfff)
                return decode_error (error, in, "a high surrogate without its low half");
              g_string_append_unichar (out, 0x10000 + ((high - 0xd800) << 10) + (unit - 0xdc00));
              high = 0;
            }
          else if (unit >= 0xd800 && unit <= 0xdbff)
            high = unit;
          else if (unit >= 0xdc00 && unit <= 0xdfff)
            return decode_error (error, in, "a low surrogate without its high half");
          else if (unit == 0)
            return decode_error (error, in, "an encoded NUL");
          else if (is_direct (unit))
            return decode_error (error, in, "printable ASCII encoded in base64");
          else
            g_string_append_unichar (out, unit);
        }
    }

  if (units == 0)
    return decode_error (error, in, "an empty or truncated base64 run");
  if (high != 0)
    return decode_error (error, in, "a high surrogate at the end of a run");
  if (n_bits >= 6 || bits != 0)
    return decode_error (error, in, "a base64 run with extra bits");

  *pos = i + 1;
  return TRUE;
}

/* Public API */

char *
kurir_imap_utf7_decode (const char  *mutf7,
                        GError     **error)
{
  g_autoptr(GString) out = NULL;
  gboolean after_run = FALSE;
  gsize i = 0;

  g_return_val_if_fail (mutf7 != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  out = g_string_sized_new (strlen (mutf7));
  while (mutf7[i] != '\0')
    {
      unsigned char c = (unsigned char) mutf7[i];

      if (!is_direct (c))
        {
          decode_error (error, mutf7, c >= 0x80 ? "an 8-bit byte" : "a control character");
          return NULL;
        }
      if (c != '&')
        {
          g_string_append_c (out, (char) c);
          after_run = FALSE;
          i++;
          continue;
        }
      if (mutf7[i + 1] == '-')
        {
          g_string_append_c (out, '&');
          after_run = FALSE;
          i += 2;
          continue;
        }
      if (after_run)
        {
          decode_error (error, mutf7, "two base64 runs next to each other");
          return NULL;
        }
      i++;
      if (!decode_run (mutf7, &i, out, error))
        return NULL;
      after_run = TRUE;
    }

  return g_string_free (g_steal_pointer (&out), FALSE);
}

char *
kurir_imap_utf7_encode (const char  *utf8,
                        GError     **error)
{
  g_autoptr(GString) out = NULL;
  const char *end = NULL;
  gboolean in_run = FALSE;
  guint32 bits = 0;
  guint n_bits = 0;

  g_return_val_if_fail (utf8 != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_utf8_validate (utf8, -1, &end))
    {
      g_set_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_INVALID_ARGUMENT,
                   "The mailbox name is not valid UTF-8 (at byte %" G_GSIZE_FORMAT ")",
                   (gsize) (end - utf8));
      return NULL;
    }

  out = g_string_sized_new (strlen (utf8) + 8);
  for (const char *p = utf8; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      gunichar2 units[2];
      guint n_units;

      if (is_direct (c))
        {
          if (in_run)
            {
              if (n_bits > 0)
                g_string_append_c (out, mbase64[(bits << (6 - n_bits)) & 0x3f]);
              g_string_append_c (out, '-');
              in_run = FALSE;
              bits = n_bits = 0;
            }
          if (c == '&')
            g_string_append (out, "&-");
          else
            g_string_append_c (out, (char) c);
          continue;
        }

      if (!in_run)
        {
          g_string_append_c (out, '&');
          in_run = TRUE;
        }
      if (c >= 0x10000)
        {
          units[0] = 0xd800 + ((c - 0x10000) >> 10);
          units[1] = 0xdc00 + ((c - 0x10000) & 0x3ff);
          n_units = 2;
        }
      else
        {
          units[0] = (gunichar2) c;
          n_units = 1;
        }
      for (guint u = 0; u < n_units; u++)
        {
          bits = (bits << 16) | units[u];
          n_bits += 16;
          while (n_bits >= 6)
            {
              n_bits -= 6;
              g_string_append_c (out, mbase64[(bits >> n_bits) & 0x3f]);
            }
          bits &= (1u << n_bits) - 1;
        }
    }
  if (in_run)
    {
      if (n_bits > 0)
        g_string_append_c (out, mbase64[(bits << (6 - n_bits)) & 0x3f]);
      g_string_append_c (out, '-');
    }

  return g_string_free (g_steal_pointer (&out), FALSE);
}

char *
kurir_imap_mailbox_decode (const char  *raw,
                           gboolean     utf8_accept,
                           GError     **error)
{
  g_return_val_if_fail (raw != NULL, NULL);

  if (!utf8_accept)
    return kurir_imap_utf7_decode (raw, error);

  if (!g_utf8_validate (raw, -1, NULL))
    {
      g_autofree char *shown = g_strescape (raw, NULL);

      g_set_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_MAILBOX_NAME,
                   "The mailbox name “%s” is not valid UTF-8", shown);
      return NULL;
    }
  for (const char *p = raw; *p != '\0'; p++)
    if ((unsigned char) *p < 0x20 || *p == 0x7f)
      {
        g_autofree char *shown = g_strescape (raw, NULL);

        g_set_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_MAILBOX_NAME,
                     "The mailbox name “%s” contains a control character", shown);
        return NULL;
      }
  return g_strdup (raw);
}

char *
kurir_imap_mailbox_encode (const char  *utf8,
                           gboolean     utf8_accept,
                           GError     **error)
{
  g_return_val_if_fail (utf8 != NULL, NULL);

  if (!utf8_accept)
    return kurir_imap_utf7_encode (utf8, error);

  if (!g_utf8_validate (utf8, -1, NULL))
    {
      g_set_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_INVALID_ARGUMENT,
                   "The mailbox name is not valid UTF-8");
      return NULL;
    }
  return g_strdup (utf8);
}
