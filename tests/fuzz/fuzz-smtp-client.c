/* fuzz-smtp-client.c: the SMTP client's reply parsing (multi-line replies,
 * enhanced codes, EHLO keywords, AUTH challenges), fed the fuzz input as
 * everything a server says
 *
 * The real KurirSmtpClient on a loopback connection: greeting, EHLO (HELO),
 * AUTH (whichever mechanism the input offers), a message to two recipients
 * (pipelined when offered), RSET, NOOP, QUIT, each while the session lasts.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdint.h>

#include "kurir-smtp-client.h"
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
    if (!kurir_smtp_client_is_connected (client)) \
      goto out; \
  } G_STMT_END

static const char message_text[] =
  "From: Fuzz <fuzz@example.org>\r\n"
  "To: a@example.org, b@example.org\r\n"
  "Subject: fuzz\r\n"
  "\r\n"
  "Hello.\r\n"
  ".leading dot\r\n";

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(KurirConnection) connection = NULL;
  g_autoptr(KurirSmtpClient) client = NULL;
  g_autoptr(GBytes) message = g_bytes_new_static (message_text, sizeof message_text - 1);
  static const char * const recipients[] = { "a@example.org", "b@example.org", NULL };
  GThread *server;

  if (loopback.port == 0)
    fuzz_loopback_init (&loopback);
  g_main_context_push_thread_default (context);
  server = fuzz_loopback_start (&loopback, data, size);

  connection = kurir_connection_new ("127.0.0.1", loopback.port, KURIR_SECURITY_NONE);
  kurir_connection_set_timeout (connection, 5);
  kurir_connection_set_max_line_length (connection, 4096);
  client = kurir_smtp_client_new (connection);
  kurir_smtp_client_set_allow_plaintext (client, TRUE);
  kurir_smtp_client_set_client_name (client, "fuzz.example.org");

  STEP (kurir_smtp_client_connect_async (client, NULL, fuzz_store_result, &result),
        kurir_smtp_client_connect_finish (client, fuzz_wait (&result), &error));
  (void) kurir_smtp_client_get_max_size (client);
  (void) kurir_smtp_client_get_extension (client, "SIZE");
  (void) kurir_smtp_client_get_auth_mechanisms (client);
  STEP (kurir_smtp_client_authenticate_async (client, "fuzz", "fuzz-secret", NULL,
                                              fuzz_store_result, &result),
        kurir_smtp_client_authenticate_finish (client, fuzz_wait (&result), &error));
  {
    g_autoptr(KurirSmtpSendResult) sent = NULL;
    STEP (kurir_smtp_client_send_async (client, "fuzz@example.org", recipients, message,
                                        KURIR_SMTP_SEND_NONE, NULL, fuzz_store_result, &result),
          (sent = kurir_smtp_client_send_finish (client, fuzz_wait (&result), &error)) != NULL);
  }
  STEP (kurir_smtp_client_reset_async (client, NULL, fuzz_store_result, &result),
        kurir_smtp_client_reset_finish (client, fuzz_wait (&result), &error));
  STEP (kurir_smtp_client_noop_async (client, NULL, fuzz_store_result, &result),
        kurir_smtp_client_noop_finish (client, fuzz_wait (&result), &error));
  STEP (kurir_smtp_client_quit_async (client, NULL, fuzz_store_result, &result),
        kurir_smtp_client_quit_finish (client, fuzz_wait (&result), &error));

out:
  kurir_smtp_client_disconnect (client);
  g_clear_object (&client);
  g_clear_object (&connection);
  g_thread_join (server);
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);
  return 0;
}
