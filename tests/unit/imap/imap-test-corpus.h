/* imap-test-corpus.h: loading tests/data/imap/ for the IMAP unit tests
 *
 * The corpus files are stored with LF line ends and no CR; the loader turns
 * every LF into CRLF, as servers send them. Literal sizes in the files count
 * the CRLF line ends.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <string.h>

static inline GPtrArray *
imap_test_corpus_files (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *dir_path = g_test_get_filename (G_TEST_DIST, "data", "imap", NULL);
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  dir = g_dir_open (dir_path, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, ".txt"))
      g_ptr_array_add (files, g_build_filename (dir_path, name, NULL));
  g_ptr_array_sort (files, (GCompareFunc) g_strcmp0);
  g_assert_cmpuint (files->len, >=, 6);
  return files;
}

/* The file's bytes with LF turned into CRLF. */
static inline GBytes *
imap_test_corpus_load (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  GByteArray *out;
  gsize length = 0;

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  g_assert_null (memchr (contents, '\r', length));
  out = g_byte_array_sized_new (length + length / 16);
  for (gsize i = 0; i < length; i++)
    {
      if (contents[i] == '\n')
        g_byte_array_append (out, (const guint8 *) "\r", 1);
      g_byte_array_append (out, (const guint8 *) contents + i, 1);
    }
  return g_byte_array_free_to_bytes (out);
}
