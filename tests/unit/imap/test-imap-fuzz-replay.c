/* test-imap-fuzz-replay.c: runs the fuzz target over the corpus
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdint.h>

#include "imap-test-corpus.h"

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

/* Each corpus file as a server sends it (CRLF), as stored (bare LF), and
 * cut at a few places, through the fuzz target. */
static void
test_replay_corpus (void)
{
  g_autoptr(GPtrArray) files = imap_test_corpus_files ();

  for (guint i = 0; i < files->len; i++)
    {
      g_autoptr(GBytes) bytes = imap_test_corpus_load (files->pdata[i]);
      g_autofree char *raw = NULL;
      gsize size = 0;
      gsize raw_size = 0;
      const guint8 *data = g_bytes_get_data (bytes, &size);

      g_assert_true (g_file_get_contents (files->pdata[i], &raw, &raw_size, NULL));
      g_assert_cmpint (LLVMFuzzerTestOneInput (data, size), ==, 0);
      g_assert_cmpint (LLVMFuzzerTestOneInput ((const uint8_t *) raw, raw_size), ==, 0);
      for (gsize cut = 0; cut < size; cut += 97)
        g_assert_cmpint (LLVMFuzzerTestOneInput (data + cut, size - cut), ==, 0);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/imap/fuzz/replay-corpus", test_replay_corpus);
  return g_test_run ();
}
