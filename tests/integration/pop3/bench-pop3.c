/* bench-pop3.c: a rough throughput figure for the POP3 client against the
 * test Dovecot over POP3S: N messages of about 5 KB, retrieved pipelined,
 * one at a time, and by a raw pipelined client (blocking GIO, all RETRs
 * written at once, replies parsed in place): the limit.
 *
 * Not a test: run it by hand,
 *   tests/servers/with-servers --no-x BUILD/tests/integration/pop3/bench-pop3 [N]
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "pop3-test-helpers.h"

static void
place_messages (guint n)
{
  const char *maildir = kurir_test_getenv ("KURIR_TEST_MAILDIR_CAROL");
  guint64 uid = g_ascii_strtoull (kurir_test_getenv ("KURIR_TEST_MAIL_UID"), NULL, 10);
  guint64 gid = g_ascii_strtoull (kurir_test_getenv ("KURIR_TEST_MAIL_GID"), NULL, 10);
  g_autofree char *new_dir = g_build_filename (maildir, "new", NULL);
  g_autofree char *cur_dir = g_build_filename (maildir, "cur", NULL);
  const char *dirs[] = { new_dir, cur_dir };

  for (guint d = 0; d < 2; d++)
    {
      g_autoptr(GDir) dir = g_dir_open (dirs[d], 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *path = g_build_filename (dirs[d], name, NULL);
          g_unlink (path);
        }
    }

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GString) text = g_string_new (NULL);
      g_autofree char *path = g_strdup_printf ("%s/1700000000.M%06uP%d.bench", new_dir, i, (int) getpid ());

      g_string_append_printf (text, "From: a@example.org\nTo: carol@example.org\n"
                              "Subject: Message %u\nMessage-ID: <bench-%u@example.org>\n\n", i, i);
      while (text->len < 5000)
        g_string_append (text, "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.\n");
      g_file_set_contents (path, text->str, text->len, NULL);
      if (chown (path, (uid_t) uid, (gid_t) gid) != 0)
        g_error ("chown failed");
    }
}

static KurirPop3Client *
login (void)
{
  g_autoptr(KurirConnection) connection =
    kurir_connection_new ("127.0.0.1", kurir_test_port ("KURIR_TEST_POP3S_PORT"), KURIR_SECURITY_TLS);
  KurirPop3Client *client;
  g_autoptr(GError) error = NULL;

  kurir_connection_set_ca_file (connection, kurir_test_getenv ("KURIR_TEST_CA"), &error);
  g_assert_no_error (error);
  client = kurir_pop3_client_new (connection);
  g_assert_true (pop3_connect (client, &error));
  g_assert_true (pop3_login (client, "carol", kurir_test_getenv ("KURIR_TEST_PASSWORD_CAROL"), &error));
  g_assert_no_error (error);
  return client;
}

static gboolean
count_cb (guint     number,
          GBytes   *message,
          gpointer  user_data,
          GError  **error)
{
  guint64 *bytes = user_data;

  *bytes += g_bytes_get_size (message);
  return TRUE;
}

static double
run_client (guint n,
            guint window,
            guint64 *out_bytes)
{
  g_autoptr(KurirPop3Client) client = login ();
  g_autofree guint *numbers = g_new (guint, n);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start;

  for (guint i = 0; i < n; i++)
    numbers[i] = i + 1;
  *out_bytes = 0;
  kurir_pop3_client_set_pipeline_window (client, window);
  start = g_get_monotonic_time ();
  kurir_pop3_client_retrieve_many_async (client, numbers, n, count_cb, out_bytes, NULL, NULL,
                                         kurir_test_store_result, &result);
  g_assert_true (kurir_pop3_client_retrieve_many_finish (client, kurir_test_wait (&result), &error));
  g_assert_no_error (error);
  return (g_get_monotonic_time () - start) / 1e6;
}

static char *
raw_line (GInputStream *in,
          GString      *buffer)
{
  for (;;)
    {
      char *eol = memchr (buffer->str, '\n', buffer->len);
      char chunk[65536];
      gssize got;

      if (eol != NULL)
        {
          char *line = g_strndup (buffer->str, eol - buffer->str + 1);
          g_string_erase (buffer, 0, eol - buffer->str + 1);
          return line;
        }
      got = g_input_stream_read (in, chunk, sizeof chunk, NULL, NULL);
      g_assert_cmpint (got, >, 0);
      g_string_append_len (buffer, chunk, got);
    }
}

typedef struct
{
  GOutputStream *out;
  GString       *commands;
} WriterData;

static gpointer
writer_thread (gpointer user_data)
{
  WriterData *writer = user_data;
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all (writer->out, writer->commands->str, writer->commands->len,
                             NULL, NULL, &error);
  g_assert_no_error (error);
  return NULL;
}

static double
run_raw (guint n,
         guint64 *out_bytes)
{
  g_autoptr(GSocketClient) socket_client = g_socket_client_new ();
  g_autoptr(GSocketConnection) tcp = NULL;
  g_autoptr(GIOStream) tls = NULL;
  g_autoptr(GTlsDatabase) database = NULL;
  g_autoptr(GSocketConnectable) identity = g_network_address_new ("127.0.0.1", 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) commands = g_string_new (NULL);
  g_autoptr(GString) buffer = g_string_new (NULL);
  GInputStream *in;
  GOutputStream *out;
  g_autofree char *login_commands = NULL;
  gint64 start;
  guint done = 0;

  database = g_tls_file_database_new (kurir_test_getenv ("KURIR_TEST_CA"), &error);
  g_assert_no_error (error);
  tcp = g_socket_client_connect_to_host (socket_client, "127.0.0.1",
                                         kurir_test_port ("KURIR_TEST_POP3S_PORT"), NULL, &error);
  g_assert_no_error (error);
  tls = g_tls_client_connection_new (G_IO_STREAM (tcp), identity, &error);
  g_assert_no_error (error);
  g_tls_connection_set_database (G_TLS_CONNECTION (tls), database);
  g_tls_connection_handshake (G_TLS_CONNECTION (tls), NULL, &error);
  g_assert_no_error (error);
  in = g_io_stream_get_input_stream (tls);
  out = g_io_stream_get_output_stream (tls);

  g_free (raw_line (in, buffer));
  login_commands = g_strdup_printf ("USER carol\r\nPASS %s\r\n", kurir_test_getenv ("KURIR_TEST_PASSWORD_CAROL"));
  g_output_stream_write_all (out, login_commands, strlen (login_commands), NULL, NULL, &error);
  g_free (raw_line (in, buffer));
  g_free (raw_line (in, buffer));

  start = g_get_monotonic_time ();
  for (guint i = 1; i <= n; i++)
    g_string_append_printf (commands, "RETR %u\r\n", i);
  /* All commands at once, from a thread, while this one reads. */
  {
    WriterData writer = { out, commands };
    GThread *thread = g_thread_new ("writer", writer_thread, &writer);

  /* Parse in place: look for the end of each reply. */
  *out_bytes = 0;
  while (done < n)
    {
      g_autofree char *status = raw_line (in, buffer);
      GByteArray *message = g_byte_array_new ();

      g_assert_true (g_str_has_prefix (status, "+OK"));
      for (;;)
        {
          char *eol;
          char chunk[65536];
          gssize got;
          gsize offset = 0;
          gboolean end = FALSE;

          while ((eol = memchr (buffer->str + offset, '\n', buffer->len - offset)) != NULL)
            {
              gsize length = eol - (buffer->str + offset) + 1;
              const char *line = buffer->str + offset;

              if (length == 3 && line[0] == '.')
                {
                  offset += length;
                  end = TRUE;
                  break;
                }
              offset += length;
              if (line[0] == '.')
                line++, length--;
              g_byte_array_append (message, (const guint8 *) line, length);
            }
          g_string_erase (buffer, 0, offset);
          if (end)
            break;
          got = g_input_stream_read (in, chunk, sizeof chunk, NULL, NULL);
          g_assert_cmpint (got, >, 0);
          g_string_append_len (buffer, chunk, got);
        }
      *out_bytes += message->len;
      g_byte_array_unref (message);
      done++;
    }
    g_thread_join (thread);
  }
  return (g_get_monotonic_time () - start) / 1e6;
}

int
main (int    argc,
      char **argv)
{
  guint n = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 2000;
  guint64 bytes;
  double t;

  kurir_test_require_servers ();
  place_messages (n);

  /* A first pass warms Dovecot's index and the page cache. */
  run_client (n, 64, &bytes);

  t = run_raw (n, &bytes);
  g_print ("raw pipelined:        %u msgs, %.1f MB in %.3f s: %.0f msgs/s\n", n, bytes / 1e6, t, n / t);
  t = run_client (n, 256, &bytes);
  g_print ("client pipelined(256): %u msgs, %.1f MB in %.3f s: %.0f msgs/s\n", n, bytes / 1e6, t, n / t);
  t = run_client (n, 64, &bytes);
  g_print ("client pipelined(64): %u msgs, %.1f MB in %.3f s: %.0f msgs/s\n", n, bytes / 1e6, t, n / t);
  t = run_client (n, 16, &bytes);
  g_print ("client pipelined(16): %u msgs, %.1f MB in %.3f s: %.0f msgs/s\n", n, bytes / 1e6, t, n / t);
  t = run_client (n, 1, &bytes);
  g_print ("client sequential:    %u msgs, %.1f MB in %.3f s: %.0f msgs/s\n", n, bytes / 1e6, t, n / t);
  return 0;
}
