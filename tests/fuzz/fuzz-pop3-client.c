/* fuzz-pop3-client.c: the POP3 client's reply and multi-line parsing, fed
 * the fuzz input as everything a server says
 *
 * The real KurirPop3Client on a loopback connection: greeting, CAPA, the
 * login (SASL, APOP or USER/PASS, whichever the input offers), STAT, LIST,
 * UIDL, TOP, RETR, pipelined RETRs, DELE, RSET, NOOP, QUIT, each while the
 * session lasts. Every step must end with a result or an error.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdint.h>

#include "kurir-pop3-client.h"
#include "fuzz-loopback.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static FuzzLoopback loopback;

#define STEP(call, finish) \
  G_STMT_START { \
    g_autoptr(GAsyncResult) result = NULL; \
    g_autoptr(GError) error = NULL; \
    gboolean ok; \
    call; \
    ok = finish; \
    g_assert (ok || error != NULL); \
    if (!kurir_pop3_client_is_connected (client)) \
      goto out; \
  } G_STMT_END

static gboolean
collect_cb (guint     number,
            GBytes   *message,
            gpointer  user_data,
            GError  **error)
{
  g_assert (message != NULL);
  return TRUE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(KurirConnection) connection = NULL;
  g_autoptr(KurirPop3Client) client = NULL;
  static const guint numbers[] = { 1, 2, 3 };
  GThread *server;

  if (loopback.port == 0)
    fuzz_loopback_init (&loopback);
  g_main_context_push_thread_default (context);
  server = fuzz_loopback_start (&loopback, data, size);

  connection = kurir_connection_new ("127.0.0.1", loopback.port, KURIR_SECURITY_NONE);
  kurir_connection_set_timeout (connection, 5);
  kurir_connection_set_max_line_length (connection, 4096);
  client = kurir_pop3_client_new (connection);
  kurir_pop3_client_set_allow_plaintext (client, TRUE);
  kurir_pop3_client_set_max_message_size (client, 64 * 1024);

  STEP (kurir_pop3_client_connect_async (client, NULL, fuzz_store_result, &result),
        kurir_pop3_client_connect_finish (client, fuzz_wait (&result), &error));
  STEP (kurir_pop3_client_authenticate_async (client, "fuzz", "fuzz-secret", NULL,
                                              fuzz_store_result, &result),
        kurir_pop3_client_authenticate_finish (client, fuzz_wait (&result), &error));
  {
    guint count = 0;
    guint64 total = 0;
    STEP (kurir_pop3_client_stat_async (client, NULL, fuzz_store_result, &result),
          kurir_pop3_client_stat_finish (client, fuzz_wait (&result), &count, &total, &error));
  }
  {
    g_autoptr(GArray) list = NULL;
    STEP (kurir_pop3_client_list_async (client, NULL, fuzz_store_result, &result),
          (list = kurir_pop3_client_list_finish (client, fuzz_wait (&result), &error)) != NULL);
  }
  {
    g_autoptr(GArray) uidl = NULL;
    gboolean from_headers = FALSE;
    STEP (kurir_pop3_client_uidl_async (client, NULL, fuzz_store_result, &result),
          (uidl = kurir_pop3_client_uidl_finish (client, fuzz_wait (&result), &from_headers, &error)) != NULL);
  }
  {
    g_autoptr(GBytes) top = NULL;
    g_autofree char *uid = NULL;
    STEP (kurir_pop3_client_top_async (client, 1, 0, NULL, fuzz_store_result, &result),
          (top = kurir_pop3_client_top_finish (client, fuzz_wait (&result), &error)) != NULL);
    if (top != NULL)
      uid = kurir_pop3_header_uid (top);
  }
  {
    g_autoptr(GBytes) message = NULL;
    STEP (kurir_pop3_client_retrieve_async (client, 1, NULL, fuzz_store_result, &result),
          (message = kurir_pop3_client_retrieve_finish (client, fuzz_wait (&result), &error)) != NULL);
  }
  STEP (kurir_pop3_client_retrieve_many_async (client, numbers, G_N_ELEMENTS (numbers),
                                               collect_cb, NULL, NULL, NULL,
                                               fuzz_store_result, &result),
        kurir_pop3_client_retrieve_many_finish (client, fuzz_wait (&result), &error));
  STEP (kurir_pop3_client_delete_async (client, 1, NULL, fuzz_store_result, &result),
        kurir_pop3_client_delete_finish (client, fuzz_wait (&result), &error));
  STEP (kurir_pop3_client_reset_async (client, NULL, fuzz_store_result, &result),
        kurir_pop3_client_reset_finish (client, fuzz_wait (&result), &error));
  STEP (kurir_pop3_client_noop_async (client, NULL, fuzz_store_result, &result),
        kurir_pop3_client_noop_finish (client, fuzz_wait (&result), &error));
  STEP (kurir_pop3_client_quit_async (client, NULL, fuzz_store_result, &result),
        kurir_pop3_client_quit_finish (client, fuzz_wait (&result), &error));

out:
  kurir_pop3_client_disconnect (client);
  g_clear_object (&client);
  g_clear_object (&connection);
  g_thread_join (server);
  /* Let whatever the closing queued run on this context before it goes. */
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);
  return 0;
}
