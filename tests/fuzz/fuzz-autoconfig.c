/* fuzz-autoconfig.c: the Mozilla autoconfig XML parser
 * (kurir_autoconfig_parse), which reads what an HTTPS server returned
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdint.h>

#include "kurir-autoconfig.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) servers = NULL;

  servers = kurir_autoconfig_parse ((const char *) data, size, "fuzz.user@example.org", &error);
  g_assert ((servers == NULL) == (error != NULL));
  if (servers == NULL)
    return 0;
  for (guint i = 0; i < servers->len; i++)
    {
      const KurirServerSetting *setting = servers->pdata[i];

      g_assert (setting->host != NULL && setting->host[0] != '\0');
      g_assert (g_utf8_validate (setting->host, -1, NULL));
      g_assert (setting->user == NULL || g_utf8_validate (setting->user, -1, NULL));
      g_assert_cmpuint (setting->port, >, 0);
    }
  kurir_server_settings_sort (servers);
  return 0;
}
