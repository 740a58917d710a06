/* fuzz-loopback.h: plays the fuzz input as a server's bytes on a loopback
 * socket, so the fuzz targets drive the real protocol clients
 *
 * A thread accepts one connection, writes the whole input, shuts its write
 * side (the client reads end of stream after the input) and reads what the
 * client sends until the client closes. The client runs on a private main
 * context of the calling thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

typedef struct
{
  int           listener;
  guint16       port;
  const guint8 *data;
  gsize         size;
} FuzzLoopback;

static inline void
fuzz_loopback_init (FuzzLoopback *self)
{
  struct sockaddr_in address = { .sin_family = AF_INET };
  socklen_t length = sizeof address;

  /* No proxy lookups: the GNOME resolver needs settings schemas. */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  self->listener = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert (self->listener >= 0);
  g_assert (bind (self->listener, (struct sockaddr *) &address, sizeof address) == 0);
  g_assert (listen (self->listener, 8) == 0);
  g_assert (getsockname (self->listener, (struct sockaddr *) &address, &length) == 0);
  self->port = ntohs (address.sin_port);
}

static inline gpointer
fuzz_loopback_serve (gpointer data)
{
  FuzzLoopback *self = data;
  char sink[4096];
  gsize sent = 0;
  int fd = accept4 (self->listener, NULL, NULL, SOCK_CLOEXEC);

  if (fd < 0)
    return NULL;
  while (sent < self->size)
    {
      ssize_t n = send (fd, self->data + sent, self->size - sent, MSG_NOSIGNAL);
      if (n <= 0)
        break;
      sent += n;
    }
  shutdown (fd, SHUT_WR);
  while (recv (fd, sink, sizeof sink, 0) > 0)
    ;
  close (fd);
  return NULL;
}

static inline GThread *
fuzz_loopback_start (FuzzLoopback *self,
                     const guint8 *data,
                     gsize         size)
{
  self->data = data;
  self->size = size;
  return g_thread_new ("fuzz-server", fuzz_loopback_serve, self);
}

static inline void
fuzz_store_result (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* Iterates the thread-default context until @slot is set. The client's own
 * timeout (the connection's) bounds the wait. */
static inline GAsyncResult *
fuzz_wait (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (g_main_context_get_thread_default (), TRUE);
  return *slot;
}
