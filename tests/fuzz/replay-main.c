/* replay-main.c: runs a fuzz target over every corpus file, without clang
 *
 * Linked with one fuzz-*.c in place of libFuzzer's main. Every file of every
 * corpus folder under tests/fuzz/corpus/ goes through the target, whole and
 * cut at a few places, so what one target found also tests the others.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdint.h>
#include <gio/gio.h>

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

static GPtrArray *
corpus_files (void)
{
  g_autofree char *root = g_test_build_filename (G_TEST_DIST, "fuzz", "corpus", NULL);
  g_autoptr(GDir) dir = g_dir_open (root, 0, NULL);
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *sub = g_build_filename (root, name, NULL);
      g_autoptr(GDir) subdir = g_dir_open (sub, 0, NULL);
      const char *file;

      if (subdir == NULL)
        continue;
      while ((file = g_dir_read_name (subdir)) != NULL)
        g_ptr_array_add (files, g_build_filename (sub, file, NULL));
    }
  g_ptr_array_sort (files, (GCompareFunc) g_strcmp0);
  return files;
}

static void
test_replay (void)
{
  g_autoptr(GPtrArray) files = corpus_files ();

  g_assert_cmpuint (files->len, >, 0);
  for (guint i = 0; i < files->len; i++)
    {
      g_autofree char *data = NULL;
      gsize size = 0;
      g_autoptr(GError) error = NULL;

      g_file_get_contents (files->pdata[i], &data, &size, &error);
      g_assert_no_error (error);
      g_test_message ("%s", (const char *) files->pdata[i]);
      g_assert_cmpint (LLVMFuzzerTestOneInput ((const uint8_t *) data, size), ==, 0);
      /* A few tails, as a server cut at another point would send. */
      for (gsize cut = 1; cut < size; cut += MAX (size / 4, 1))
        g_assert_cmpint (LLVMFuzzerTestOneInput ((const uint8_t *) data + cut, size - cut), ==, 0);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/fuzz/replay-every-corpus", test_replay);
  return g_test_run ();
}
