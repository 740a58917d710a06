/* kurir-scripted-server.c: a scripted loopback server on 127.0.0.1
 *
 * It accepts one connection, then plays its script in a thread: reads a
 * line from the client where a step expects one, sends the step's bytes
 * (each step in its own send, so replies can be split or glued as the
 * script says), and records everything the client sent. A line that does
 * not match is recorded and ends the script; kurir_scripted_server_stop()
 * fails the test then.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "kurir-scripted-server.h"
#include "kurir-test-util.h"

#define MAX_CLIENT_LINE (1024 * 1024)

struct _KurirScriptedServer
{
  GThread               *thread;
  GSocket               *listener;
  guint16                port;
  const KurirScriptStep *steps;
  GString               *received;   /* all the client sent */
  GString               *pending;    /* received, not yet consumed as lines */
  char                  *mismatch;
  gboolean               joined;
};

/* Reads one line (up to LF, or what came before EOF); NULL at EOF. */
static char *
read_line (KurirScriptedServer *server,
           GSocket             *client)
{
  for (;;)
    {
      char *newline = memchr (server->pending->str, '\n', server->pending->len);
      char buffer[65536];
      gssize n;

      if (newline != NULL || server->pending->len >= MAX_CLIENT_LINE)
        {
          gsize length = newline ? (gsize) (newline - server->pending->str) + 1
                                 : server->pending->len;
          char *line = g_strndup (server->pending->str, length);

          g_string_erase (server->pending, 0, length);
          return line;
        }

      n = g_socket_receive (client, buffer, sizeof buffer, NULL, NULL);
      if (n <= 0)
        {
          char *rest;

          if (server->pending->len == 0)
            return NULL;
          rest = g_strndup (server->pending->str, server->pending->len);
          g_string_truncate (server->pending, 0);
          return rest;
        }
      g_string_append_len (server->received, buffer, n);
      g_string_append_len (server->pending, buffer, n);
    }
}

static gboolean
send_all (GSocket    *client,
          const char *data,
          gsize       length)
{
  while (length > 0)
    {
      gssize n = g_socket_send (client, data, length, NULL, NULL);

      if (n <= 0)
        return FALSE;
      data += n;
      length -= n;
    }
  return TRUE;
}

static gpointer
scripted_server_thread (gpointer data)
{
  KurirScriptedServer *server = data;
  g_autoptr(GSocket) client = NULL;
  g_autoptr(GError) error = NULL;

  client = g_socket_accept (server->listener, NULL, &error);
  if (client == NULL)
    {
      server->mismatch = g_strdup_printf ("no client connected: %s", error->message);
      return NULL;
    }
  g_socket_set_timeout (client, KURIR_TEST_TIMEOUT_SECONDS);

  for (const KurirScriptStep *step = server->steps;
       step->expect != NULL || step->send != NULL; step++)
    {
      if (step->expect != NULL)
        {
          g_autofree char *line = read_line (server, client);

          if (line == NULL)
            break;  /* the client hung up: for the test to judge */
          if (!g_str_has_prefix (line, step->expect))
            {
              g_autofree char *shown = g_strescape (line, NULL);

              server->mismatch = g_strdup_printf ("expected \"%s\", got \"%s\"",
                                                  step->expect, shown);
              break;
            }
        }
      if (step->send == NULL)
        break;
      if (!send_all (client, step->send, step->length ? step->length : strlen (step->send)))
        break;  /* the client may hang up first: that is for the test to judge */
    }

  g_socket_shutdown (client, FALSE, TRUE, NULL);
  g_socket_close (client, NULL);
  return NULL;
}

/**
 * kurir_scripted_server_start:
 * @steps: the script; it must outlive the server
 */
KurirScriptedServer *
kurir_scripted_server_start (const KurirScriptStep *steps)
{
  KurirScriptedServer *server = g_new0 (KurirScriptedServer, 1);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  server->steps = steps;
  server->received = g_string_new (NULL);
  server->pending = g_string_new (NULL);
  server->listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                   G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_set_timeout (server->listener, KURIR_TEST_TIMEOUT_SECONDS);
  g_socket_bind (server->listener, address, TRUE, &error);
  g_assert_no_error (error);
  g_socket_listen (server->listener, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (server->listener, &error);
  g_assert_no_error (error);
  server->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  server->thread = g_thread_new ("scripted-server", scripted_server_thread, server);

  return server;
}

guint16
kurir_scripted_server_get_port (KurirScriptedServer *server)
{
  return server->port;
}

/**
 * kurir_scripted_server_join:
 *
 * Waits for the script to end (it ends at the latest when the client
 * closes its side, or after KURIR_TEST_TIMEOUT_SECONDS of silence).
 */
void
kurir_scripted_server_join (KurirScriptedServer *server)
{
  if (server->joined)
    return;
  g_thread_join (server->thread);
  server->joined = TRUE;
}

/**
 * kurir_scripted_server_get_received:
 *
 * Returns: all the bytes the client sent; call after
 *   kurir_scripted_server_join()
 */
const char *
kurir_scripted_server_get_received (KurirScriptedServer *server)
{
  g_assert_true (server->joined);
  return server->received->str;
}

/**
 * kurir_scripted_server_stop:
 *
 * Joins, fails the test if the client sent a line the script did not
 * expect, and frees the server.
 */
void
kurir_scripted_server_stop (KurirScriptedServer *server)
{
  kurir_scripted_server_join (server);
  g_socket_close (server->listener, NULL);
  g_object_unref (server->listener);
  g_assert_null (server->mismatch);
  g_string_free (server->received, TRUE);
  g_string_free (server->pending, TRUE);
  g_free (server);
}
