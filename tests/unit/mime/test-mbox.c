/* test-mbox.c: mbox reading and writing: exact bytes back, the quoting of
 * "From " lines, CRLF files, files that end oddly, files that are not mbox
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "kurir-mbox.h"
#include "kurir-mime.h"

/* Helpers */

static char *
write_temp (const char *contents,
            gsize       length)
{
  g_autoptr(GError) error = NULL;
  char *path = NULL;
  int fd = g_file_open_tmp ("kurir-mbox-XXXXXX", &path, &error);

  g_assert_no_error (error);
  g_close (fd, NULL);
  g_file_set_contents (path, contents, length, &error);
  g_assert_no_error (error);
  return path;
}

/* All the messages of the mbox at @path, asserting no error. */
static GPtrArray *
read_all (const char *path,
          GArray     *times)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KurirMboxReader) reader = kurir_mbox_reader_open (path, &error);
  GPtrArray *messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  GBytes *bytes;
  gint64 time;

  g_assert_no_error (error);
  g_assert_nonnull (reader);
  while ((bytes = kurir_mbox_reader_next (reader, &time, &error)) != NULL)
    {
      g_ptr_array_add (messages, bytes);
      if (times != NULL)
        g_array_append_val (times, time);
    }
  g_assert_no_error (error);
  /* and it stays at the end */
  g_assert_null (kurir_mbox_reader_next (reader, NULL, &error));
  g_assert_no_error (error);
  return messages;
}

static void
assert_message (GPtrArray  *messages,
                guint       i,
                const char *expected,
                gsize       expected_length)
{
  gsize length;
  const char *data = g_bytes_get_data (g_ptr_array_index (messages, i), &length);

  g_assert_cmpmem (data, length, expected, expected_length);
}

static gint64
utc (int year, int month, int day, int hour, int minute, int second)
{
  g_autoptr(GDateTime) date = g_date_time_new_utc (year, month, day, hour, minute, second);

  return g_date_time_to_unix (date);
}

/* Tests */

static void
test_round_trip (void)
{
  g_autoptr(GString) long_line = g_string_new ("Subject: long line\n\n");
  static const char binary[] = "Subject: 8-bit\n\nbytes \xff\xfe\x80 \x00 nul, lone \r cr, caf\xe9\n";
  struct {
    const char *data;
    gsize       length;
    gboolean    adds_newline;
  } messages[] = {
    { "Return-Path: <siti@contoh.co.id>\nFrom: Siti <siti@contoh.co.id>\nSubject: one\n\n"
      "From the start of a line\nFrom me Sat Nov 28 01:30:00 2026\nend\n", 0, FALSE },
    { "From: Budi <budi@example.org>\nSubject: quoted\n\n>From once\n>>From twice\n>>>From thrice\n>Fromage\n", 0, FALSE },
    { "From nobody Sat Nov 28 01:30:00 2026\nSubject: starts with a From_ line\n\nx\n", 0, FALSE },
    { "Return-Path: <>\nSubject: bounce, no final newline\n\nlast line", 0, TRUE },
    { "Subject: crlf\r\n\r\nFrom here\r\nbody\r\n", 0, FALSE },
    { "Subject: trailing blank lines\n\nbody\n\n\n", 0, FALSE },
    { "Subject: blank lines then From\n\n\nFrom x Sat Nov 28 01:30:00 2026\n\n", 0, FALSE },
    { "", 0, FALSE },
    { binary, sizeof binary - 1, FALSE },
    { NULL, 0, FALSE },  /* the long line, below */
  };
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) read = NULL;
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autofree char *path = NULL;
  g_autofree char *mbox = NULL;
  gint64 base = utc (2026, 11, 28, 1, 30, 0);

  /* one line longer than the reader's buffer, full of "From " */
  while (long_line->len < 200 * 1024)
    g_string_append (long_line, "From From >From ");
  g_string_append (long_line, "\n>From after the long line\n");
  messages[G_N_ELEMENTS (messages) - 1].data = long_line->str;
  messages[G_N_ELEMENTS (messages) - 1].length = long_line->len;

  for (guint i = 0; i < G_N_ELEMENTS (messages); i++)
    {
      gsize length = messages[i].length != 0 ? messages[i].length : strlen (messages[i].data);

      g_assert_true (kurir_mbox_write (out, messages[i].data, length, base + i * 3600, &error));
      g_assert_no_error (error);
    }
  g_output_stream_close (out, NULL, NULL);

  mbox = g_strndup (g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (out)),
                    g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (out)));
  /* the From_ lines: Return-Path, else From, "<>" a bounce; asctime dates */
  g_assert_true (g_str_has_prefix (mbox, "From siti@contoh.co.id Sat Nov 28 01:30:00 2026\n"));
  g_assert_nonnull (strstr (mbox, "\nFrom budi@example.org Sat Nov 28 02:30:00 2026\n"));
  g_assert_nonnull (strstr (mbox, "\nFrom MAILER-DAEMON Sat Nov 28 04:30:00 2026\n"));
  g_assert_nonnull (strstr (mbox, "\nFrom MAILER-DAEMON Sat Nov 28 05:30:00 2026\r\n"));
  /* the quoting */
  g_assert_nonnull (strstr (mbox, "\n>From the start of a line\n>From me Sat"));
  g_assert_nonnull (strstr (mbox, "\n>>From once\n>>>From twice\n>>>>From thrice\n>Fromage\n"));

  path = write_temp (g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (out)),
                     g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (out)));
  read = read_all (path, times);
  g_assert_cmpuint (read->len, ==, G_N_ELEMENTS (messages));
  for (guint i = 0; i < G_N_ELEMENTS (messages); i++)
    {
      gsize length = messages[i].length != 0 ? messages[i].length : strlen (messages[i].data);
      g_autofree char *expected = g_strconcat (messages[i].data, messages[i].adds_newline ? "\n" : "", NULL);

      g_test_message ("message %u", i);
      if (messages[i].adds_newline)
        assert_message (read, i, expected, length + 1);
      else
        assert_message (read, i, messages[i].data, length);
      g_assert_cmpint (g_array_index (times, gint64, i), ==, base + i * 3600);
    }
  g_unlink (path);
}

static void
test_thunderbird (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "mime", "thunderbird-local-folder.mbox", NULL);
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GPtrArray) read = read_all (path, times);
  const char *first;
  gsize length;

  g_assert_cmpuint (read->len, ==, 3);
  g_assert_cmpint (g_array_index (times, gint64, 0), ==, utc (2026, 11, 21, 10, 0, 0));
  g_assert_cmpint (g_array_index (times, gint64, 1), ==, utc (2026, 11, 22, 11, 30, 5));
  g_assert_cmpint (g_array_index (times, gint64, 2), ==, utc (2026, 11, 23, 8, 0, 0));

  first = g_bytes_get_data (g_ptr_array_index (read, 0), &length);
  g_assert_true (g_str_has_prefix (first, "X-Mozilla-Status: 0001\n"));
  g_assert_cmpmem (first + length - strlen ("\nSalam.\n"), strlen ("\nSalam.\n"), "\nSalam.\n", strlen ("\nSalam.\n"));
  g_assert_nonnull (g_strstr_len (first, length, "\nFrom the archives: this line was quoted by Thunderbird.\n"));
  g_assert_nonnull (g_strstr_len (first, length, "\nFrom the desk of Andi (no time here, so not a separator)\n"));

  assert_message (read, 2, "X-Mozilla-Status: 0001\nSubject: Ketiga, tanpa baris baru di akhir\n\nno final newline",
                  strlen ("X-Mozilla-Status: 0001\nSubject: Ketiga, tanpa baris baru di akhir\n\nno final newline"));
  {
    const char *second = g_bytes_get_data (g_ptr_array_index (read, 1), &length);

    g_assert_true (g_str_has_prefix (second, "X-Mozilla-Status: 0000\n"));
    g_assert_cmpmem (second + length - strlen ("--------------tb2--\n"), strlen ("--------------tb2--\n"),
                     "--------------tb2--\n", strlen ("--------------tb2--\n"));
  }
}

static void
test_crlf_file (void)
{
  static const char mbox[] =
    "From a@example.com Sat Nov 28 01:30:00 2026\r\n"
    "Subject: one\r\n\r\nbody\r\n>From quoted\r\n\r\n"
    "From b@example.com Sat Nov 28 01:31:00 2026\r\n"
    "Subject: two\r\n\r\nlast\r\n";
  g_autofree char *path = write_temp (mbox, sizeof mbox - 1);
  g_autoptr(GPtrArray) read = read_all (path, NULL);

  g_assert_cmpuint (read->len, ==, 2);
  assert_message (read, 0, "Subject: one\r\n\r\nbody\r\nFrom quoted\r\n", strlen ("Subject: one\r\n\r\nbody\r\nFrom quoted\r\n"));
  assert_message (read, 1, "Subject: two\r\n\r\nlast\r\n", strlen ("Subject: two\r\n\r\nlast\r\n"));
  g_unlink (path);
}

static void
test_empty (void)
{
  g_autofree char *empty = write_temp ("", 0);
  g_autofree char *blank = write_temp ("\n\n\r\n", 4);
  g_autoptr(GPtrArray) none = read_all (empty, NULL);
  g_autoptr(GPtrArray) still_none = read_all (blank, NULL);

  g_assert_cmpuint (none->len, ==, 0);
  g_assert_cmpuint (still_none->len, ==, 0);
  g_unlink (empty);
  g_unlink (blank);
}

static void
test_not_mbox (void)
{
  g_autofree char *eml = g_test_build_filename (G_TEST_DIST, "data", "mime", "no-date.eml", NULL);
  static const char binary[] = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR";
  g_autofree char *png = write_temp (binary, sizeof binary - 1);
  const char *paths[] = { eml, png };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(KurirMboxReader) reader = kurir_mbox_reader_open (paths[i], &error);

      g_assert_no_error (error);
      g_assert_null (kurir_mbox_reader_next (reader, NULL, &error));
      g_assert_error (error, KURIR_MIME_ERROR, KURIR_MIME_ERROR_NOT_MBOX);
      g_assert_nonnull (strstr (error->message, "not an mbox"));
      g_clear_error (&error);
      g_assert_null (kurir_mbox_reader_next (reader, NULL, &error));
      g_assert_no_error (error);
    }
  g_unlink (png);

  {
    g_autoptr(GError) error = NULL;
    g_autoptr(KurirMboxReader) reader = kurir_mbox_reader_open ("/nonexistent/kurir.mbox", &error);

    g_assert_null (reader);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  }
}

static void
test_many_messages (void)
{
  /* 2,000 messages through the 64 KiB buffer: every boundary lands
   * somewhere else in it */
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) read = NULL;
  g_autofree char *path = NULL;

  for (guint i = 0; i < 2000; i++)
    {
      g_autofree char *message = g_strdup_printf ("From: n%u@example.org\nSubject: %u\n\n%.*s\nFrom %u\n",
                                                  i, i, (int) (i % 97), "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", i);

      g_assert_true (kurir_mbox_write (out, message, strlen (message), 1795000000 + i, &error));
    }
  g_output_stream_close (out, NULL, NULL);
  path = write_temp (g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (out)),
                     g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (out)));
  read = read_all (path, NULL);
  g_assert_cmpuint (read->len, ==, 2000);
  for (guint i = 0; i < 2000; i += 199)
    {
      g_autofree char *message = g_strdup_printf ("From: n%u@example.org\nSubject: %u\n\n%.*s\nFrom %u\n",
                                                  i, i, (int) (i % 97), "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", i);

      assert_message (read, i, message, strlen (message));
    }
  g_unlink (path);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/mime/mbox/round-trip", test_round_trip);
  g_test_add_func ("/mime/mbox/thunderbird", test_thunderbird);
  g_test_add_func ("/mime/mbox/crlf-file", test_crlf_file);
  g_test_add_func ("/mime/mbox/empty", test_empty);
  g_test_add_func ("/mime/mbox/not-mbox", test_not_mbox);
  g_test_add_func ("/mime/mbox/many-messages", test_many_messages);

  return g_test_run ();
}
