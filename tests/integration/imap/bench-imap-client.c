/* bench-imap-client.c: a rough throughput figure for the IMAP client's
 * summary fetch against the test Dovecot over IMAPS: N messages of about
 * 2 KB appended to a new folder of bob's, then one UID FETCH 1:* of
 * KURIR_IMAP_SUMMARY_ITEMS through KurirImapClient (each response parsed
 * and its ENVELOPE and BODYSTRUCTURE decoded, as a sync would), and by a raw
 * client (blocking GIO TLS, the same command, the answer discarded): the
 * limit.
 *
 * Not a test: run it by hand,
 *   tests/servers/with-servers --no-x BUILD/tests/integration/imap/bench-imap-client [N]
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "imap-client-test-helpers.h"

static void
count_cb (KurirImapResponse *response,
          gpointer           user_data)
{
  (*(guint *) user_data)++;
}

static void
decode_cb (KurirImapResponse *response,
           gpointer           user_data)
{
  guint *count = user_data;
  const KurirImapFetchItem *envelope = kurir_imap_response_lookup_fetch (response, "ENVELOPE");
  const KurirImapFetchItem *structure = kurir_imap_response_lookup_fetch (response, "BODYSTRUCTURE");
  g_autoptr(KurirImapEnvelope) parsed = NULL;
  g_autoptr(KurirImapBodyPart) part = NULL;
  g_auto(GStrv) flags = kurir_imap_response_dup_fetch_flags (response);

  g_assert_nonnull (envelope);
  g_assert_nonnull (structure);
  parsed = kurir_imap_envelope_parse (envelope->value, NULL);
  part = kurir_imap_body_part_parse (structure->value, NULL);
  g_assert_nonnull (parsed);
  g_assert_nonnull (part);
  (*count)++;
}

static GBytes *
make_message (guint n)
{
  GString *text = g_string_new (NULL);

  g_string_append_printf (text,
                          "From: Alice Example <alice@localhost>\r\n"
                          "To: Frank Example <frank@localhost>\r\n"
                          "Subject: Benchmark message %u with a subject of usual length\r\n"
                          "Message-ID: <bench%u@localhost>\r\n"
                          "References: <parent%u@localhost> <grandparent%u@localhost>\r\n"
                          "Date: Sat, 28 Nov 2026 01:00:00 +0000\r\n"
                          "MIME-Version: 1.0\r\n"
                          "Content-Type: text/plain; charset=utf-8\r\n"
                          "\r\n", n, n, n, n);
  for (guint i = 0; i < 24; i++)
    g_string_append (text, "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do.\r\n");
  return g_string_free_to_bytes (text);
}

static double
raw_fetch (const char *folder,
           guint      *out_bytes)
{
  g_autoptr(GSocketClient) socket_client = g_socket_client_new ();
  g_autoptr(GSocketConnection) tcp = NULL;
  g_autoptr(GIOStream) tls = NULL;
  g_autoptr(GTlsDatabase) database = NULL;
  g_autoptr(GSocketConnectable) identity = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *commands = NULL;
  GInputStream *in;
  GOutputStream *out;
  char buffer[65536];
  char window[16] = { 0 };
  const char *end = "\nR3 OK";
  guint64 total = 0;
  gint64 start;
  guint state = 0;

  identity = g_network_address_new (kurir_test_getenv ("KURIR_TEST_HOST"),
                                    kurir_test_port ("KURIR_TEST_IMAPS_PORT"));
  tcp = g_socket_client_connect (socket_client, identity, NULL, &error);
  g_assert_no_error (error);
  tls = g_tls_client_connection_new (G_IO_STREAM (tcp), identity, &error);
  g_assert_no_error (error);
  database = g_tls_file_database_new (kurir_test_getenv ("KURIR_TEST_CA"), &error);
  g_assert_no_error (error);
  g_tls_connection_set_database (G_TLS_CONNECTION (tls), database);
  g_assert_true (g_tls_connection_handshake (G_TLS_CONNECTION (tls), NULL, &error));
  g_assert_no_error (error);

  in = g_io_stream_get_input_stream (tls);
  out = g_io_stream_get_output_stream (tls);
  commands = g_strdup_printf ("R1 LOGIN bob \"%s\"\r\nR2 SELECT \"%s\"\r\n",
                              kurir_test_getenv ("KURIR_TEST_PASSWORD_FRANK"), folder);
  g_assert_true (g_output_stream_write_all (out, commands, strlen (commands), NULL, NULL, &error));
  /* Wait for R2's answer before timing. */
  {
    GString *seen = g_string_new (NULL);

    while (strstr (seen->str, "R2 OK") == NULL)
      {
        gssize n = g_input_stream_read (in, buffer, sizeof buffer - 1, NULL, &error);

        g_assert_cmpint (n, >, 0);
        g_string_append_len (seen, buffer, n);
      }
    g_string_free (seen, TRUE);
  }

  start = g_get_monotonic_time ();
  {
    static const char fetch[] = "R3 UID FETCH 1:* " KURIR_IMAP_SUMMARY_ITEMS "\r\n";

    g_assert_true (g_output_stream_write_all (out, fetch, strlen (fetch), NULL, NULL, &error));
  }
  while (state < strlen (end))
    {
      gssize n = g_input_stream_read (in, buffer, sizeof buffer, NULL, &error);

      g_assert_cmpint (n, >, 0);
      total += n;
      /* Looks for "\nR3 OK" across reads. */
      for (gssize i = 0; i < n && state < strlen (end); i++)
        state = buffer[i] == end[state] ? state + 1 : (buffer[i] == end[0] ? 1 : 0);
    }
  (void) window;
  *out_bytes = (guint) total;
  return (g_get_monotonic_time () - start) / 1e6;
}

int
main (int    argc,
      char **argv)
{
  guint n = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 5000;
  g_autofree char *folder = g_strdup_printf ("Bench-%08x", g_random_int ());
  g_autoptr(KurirConnection) connection = NULL;
  g_autoptr(KurirImapClient) client = NULL;
  g_autoptr(KurirImapMailbox) mailbox = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  guint decoded = 0;
  guint n_fetched = 0;
  guint raw_bytes = 0;
  gint64 start;
  double seconds, raw_seconds;
  GPtrArray *slots = g_ptr_array_new ();

  kurir_test_require_servers ();
  connection = kurir_connection_new (kurir_test_getenv ("KURIR_TEST_HOST"),
                                     kurir_test_port ("KURIR_TEST_IMAPS_PORT"),
                                     KURIR_SECURITY_TLS);
  kurir_connection_set_ca_file (connection, kurir_test_getenv ("KURIR_TEST_CA"), &error);
  g_assert_no_error (error);
  client = kurir_imap_client_new (connection);
  g_assert_true (imap_connect (client, &error));
  g_assert_true (imap_login (client, "frank", kurir_test_getenv ("KURIR_TEST_PASSWORD_FRANK"), &error));
  g_assert_true (imap_enable (client, &error));
  g_assert_true (imap_mailbox_op (client, KURIR_IMAP_MAILBOX_OP_CREATE, folder, NULL, &error));
  g_assert_no_error (error);

  start = g_get_monotonic_time ();
  for (guint i = 0; i < n; i++)
    {
      GAsyncResult **slot = g_new0 (GAsyncResult *, 1);
      g_autoptr(GBytes) message = make_message (i);

      kurir_imap_client_append_async (client, folder, NULL, NULL, message, NULL,
                                      kurir_test_store_result, slot);
      g_ptr_array_add (slots, slot);
    }
  for (guint i = 0; i < n; i++)
    {
      GAsyncResult **slot = g_ptr_array_index (slots, i);
      KurirImapCopyResult *copy = kurir_imap_client_append_finish (client, kurir_test_wait (slot),
                                                                   &error);
      g_assert_no_error (error);
      kurir_imap_copy_result_free (copy);
      g_object_unref (*slot);
      g_free (slot);
    }
  g_ptr_array_free (slots, TRUE);
  g_printerr ("appended %u messages (pipelined) in %.2f s\n", n,
              (g_get_monotonic_time () - start) / 1e6);

  mailbox = imap_select (client, folder, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (mailbox->exists, ==, n);

  /* One warm-up pass so that both runs see Dovecot's caches alike. */
  raw_seconds = raw_fetch (folder, &raw_bytes);

  start = g_get_monotonic_time ();
  kurir_imap_client_fetch_async (client, "1:*", KURIR_IMAP_SUMMARY_ITEMS, 0, FALSE,
                                 decode_cb, &decoded, NULL, NULL, kurir_test_store_result, &result);
  g_assert_true (kurir_imap_client_fetch_finish (client, kurir_test_wait (&result), &n_fetched,
                                                 NULL, &error));
  g_assert_no_error (error);
  seconds = (g_get_monotonic_time () - start) / 1e6;
  g_assert_cmpuint (decoded, ==, n);

  /* The session alone: responses parsed, nothing decoded. */
  {
    g_autoptr(GAsyncResult) plain = NULL;
    guint counted = 0;
    gint64 plain_start = g_get_monotonic_time ();

    kurir_imap_client_fetch_async (client, "1:*", KURIR_IMAP_SUMMARY_ITEMS, 0, FALSE,
                                   count_cb, &counted, NULL, NULL, kurir_test_store_result,
                                   &plain);
    g_assert_true (kurir_imap_client_fetch_finish (client, kurir_test_wait (&plain), NULL,
                                                   NULL, &error));
    g_assert_cmpuint (counted, ==, n);
    g_print ("KurirImapClient summary fetch without decoding: %.3f s = %.0f messages/s\n",
             (g_get_monotonic_time () - plain_start) / 1e6,
             n / ((g_get_monotonic_time () - plain_start) / 1e6));
  }

  raw_seconds = raw_fetch (folder, &raw_bytes);
  g_print ("KurirImapClient summary fetch: %u messages in %.3f s = %.0f messages/s "
           "(ENVELOPE and BODYSTRUCTURE decoded)\n", n, seconds, n / seconds);
  g_print ("raw client (same command, answer discarded): %u bytes in %.3f s = %.0f messages/s\n",
           raw_bytes, raw_seconds, n / raw_seconds);
  g_print ("ratio: %.2fx the limit\n", seconds / raw_seconds);

  g_assert_true (imap_mailbox_op (client, KURIR_IMAP_MAILBOX_OP_DELETE, folder, NULL, &error));
  g_assert_true (imap_logout (client, &error));
  return 0;
}
