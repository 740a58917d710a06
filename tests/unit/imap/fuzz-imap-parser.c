/* fuzz-imap-parser.c: a libFuzzer entry point for the IMAP response parser
 *
 * Not built by default. Built with -fsanitize=fuzzer it is a fuzzer; the
 * unit test test-imap-fuzz-replay runs the same function over the corpus in
 * tests/data/imap/ so the corpus replays in CI.
 *
 * Every input must end in a clear state: responses, a need for more data,
 * or an error; then the typed decoders must cope with whatever parsed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdint.h>

#include "kurir-imap-data.h"
#include "kurir-imap-error.h"
#include "kurir-imap-parser.h"

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

static void
exercise (const KurirImapResponse *response)
{
  g_autofree char *text = kurir_imap_response_to_string (response);
  g_auto(GStrv) capabilities = kurir_imap_response_dup_capabilities (response);
  g_auto(GStrv) flags = kurir_imap_response_dup_flags (response);
  g_autoptr(KurirImapListEntry) entry = kurir_imap_list_entry_parse (response, FALSE, NULL);
  g_autoptr(KurirImapStatusData) status = kurir_imap_status_data_parse (response, TRUE, NULL);
  g_autoptr(KurirImapEsearch) esearch = kurir_imap_esearch_parse (response, NULL);
  g_autoptr(GArray) search = kurir_imap_response_parse_search (response, NULL, NULL);
  g_autoptr(GArray) vanished = kurir_imap_response_parse_vanished (response, NULL, NULL);
  g_autoptr(GArray) from = NULL;
  g_autoptr(GArray) to = NULL;
  g_autoptr(GArray) uids = NULL;
  g_auto(GStrv) fetch_flags = kurir_imap_response_dup_fetch_flags (response);
  g_autoptr(GDateTime) date = kurir_imap_response_dup_fetch_internaldate (response);
  g_autoptr(GBytes) body = kurir_imap_response_dup_fetch_body (response, "BODY[]", NULL);
  const KurirImapFetchItem *item;

  kurir_imap_response_parse_copyuid (response, NULL, &from, &to, NULL);
  kurir_imap_response_parse_appenduid (response, NULL, &uids, NULL);
  item = kurir_imap_response_lookup_fetch (response, "ENVELOPE");
  if (item != NULL)
    {
      g_autoptr(KurirImapEnvelope) envelope = kurir_imap_envelope_parse (item->value, NULL);
    }
  item = kurir_imap_response_lookup_fetch (response, "BODYSTRUCTURE");
  if (item != NULL)
    {
      g_autoptr(KurirImapBodyPart) part = kurir_imap_body_part_parse (item->value, NULL);
    }
  for (guint i = 0; i < kurir_imap_response_get_n_fetch_items (response); i++)
    {
      g_autofree char *value = kurir_imap_value_to_string (kurir_imap_response_get_fetch_item (response, i)->value);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(KurirImapParser) parser = kurir_imap_parser_new ();
  g_autoptr(GError) error = NULL;
  KurirImapResponse *response = NULL;

  /* Small bounds, so the fuzzer reaches them. */
  kurir_imap_parser_set_max_literal_size (parser, 4096);
  kurir_imap_parser_set_max_line_length (parser, 8192);
  kurir_imap_parser_set_max_depth (parser, 16);
  kurir_imap_parser_set_max_values (parser, 4096);

  kurir_imap_parser_feed (parser, (const char *) data, size);
  while (kurir_imap_parser_next (parser, &response, &error))
    {
      exercise (response);
      kurir_imap_response_unref (response);
    }
  if (error == NULL)
    kurir_imap_parser_finish (parser, &error);
  g_assert (error == NULL || error->domain == KURIR_IMAP_ERROR);
  return 0;
}
