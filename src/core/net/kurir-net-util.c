/* kurir-net-util.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "kurir-net-util.h"

/**
 * kurir_net_wipe_string:
 *
 * Overwrites a secret (a password, a SASL response) before freeing it, and
 * sets the pointer to %NULL.
 */
void
kurir_net_wipe_string (char **str)
{
  if (*str != NULL)
    {
      explicit_bzero (*str, strlen (*str));
      g_clear_pointer (str, g_free);
    }
}

/**
 * kurir_net_server_text:
 *
 * Returns: a server's words, safe to show a person and to put in an error
 *   message: at most @max_length bytes (then "..."), valid UTF-8, control
 *   characters as spaces
 */
char *
kurir_net_server_text (const char *text,
                       gsize       max_length)
{
  g_autofree char *shown = NULL;
  gboolean cut;

  if (text == NULL || *text == '\0')
    return g_strdup ("no reason given");
  cut = strlen (text) > max_length;
  shown = g_strndup (text, max_length);
  if (!g_utf8_validate (shown, -1, NULL))
    {
      char *valid = g_utf8_make_valid (shown, -1);
      g_free (shown);
      shown = valid;
    }
  for (char *p = shown; *p; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      *p = ' ';
  return cut ? g_strconcat (shown, "...", NULL) : g_steal_pointer (&shown);
}
