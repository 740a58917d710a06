/* kurir-enospc-preload.c: a full disk for the tests, by LD_PRELOAD
 *
 * LD_PRELOAD=libkurir-enospc-preload.so with
 *   KURIR_ENOSPC_PREFIX=DIR   only files under DIR fill up
 *   KURIR_ENOSPC_AFTER=N      N bytes fit, then the disk is full
 *   KURIR_ENOSPC_REPORT=FILE  (optional) at exit: the bytes written under DIR,
 *                             then "full" and the file when a write was refused
 * makes write(), pwrite(), writev() and pwritev() on files under DIR take
 * N bytes in all (the last write short, as on a real disk) and then fail
 * with ENOSPC, and fsync()/fdatasync() on such files fail with ENOSPC once
 * the disk is full. Works without root and in any container, where a
 * small tmpfs cannot always be mounted; nothing in Kurir knows about it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE
/* Both pwrite() and pwrite64() are defined below: no renaming of one to the
 * other. */
#undef _FILE_OFFSET_BITS

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static const char *prefix;
static size_t prefix_length;
static long long budget = -1;      /* -1: not configured */
static long long written;
static int full;
static char first_refused[PATH_MAX];  /* the file the disk filled up on */

static void
configure (void)
{
  static int done;
  const char *after;

  if (done)
    return;
  done = 1;
  prefix = getenv ("KURIR_ENOSPC_PREFIX");
  after = getenv ("KURIR_ENOSPC_AFTER");
  if (prefix == NULL || *prefix == '\0' || after == NULL)
    return;
  prefix_length = strlen (prefix);
  budget = atoll (after);
}

static char path[PATH_MAX];   /* of the last watched() call, under the lock */

static int
watched (int fd)
{
  char link[64];
  ssize_t length;

  if (budget < 0)
    return 0;
  snprintf (link, sizeof link, "/proc/self/fd/%d", fd);
  length = readlink (link, path, sizeof path - 1);
  if (length <= 0)
    return 0;
  path[length] = '\0';
  return strncmp (path, prefix, prefix_length) == 0 &&
         (path[prefix_length] == '/' || path[prefix_length] == '\0');
}

/* How many of @count bytes fit; -1 with errno ENOSPC when none does. */
static ssize_t
take (int    fd,
      size_t count)
{
  ssize_t allowed = (ssize_t) count;

  pthread_mutex_lock (&lock);
  configure ();
  if (count > 0 && watched (fd))
    {
      long long left = budget - written;

      if ((long long) count > left)
        {
          if (!full)
            memcpy (first_refused, path, sizeof path);
          full = 1;
          allowed = left > 0 ? (ssize_t) left : -1;
        }
      if (allowed > 0)
        written += allowed;
    }
  pthread_mutex_unlock (&lock);
  if (allowed < 0)
    errno = ENOSPC;
  return allowed;
}

#define REAL(name) \
  static __typeof__ (name) *real_##name; \
  if (real_##name == NULL) \
    real_##name = (__typeof__ (name) *) dlsym (RTLD_NEXT, #name)

ssize_t
write (int         fd,
       const void *buffer,
       size_t      count)
{
  ssize_t allowed;
  REAL (write);

  allowed = take (fd, count);
  if (allowed < 0)
    return -1;
  return real_write (fd, buffer, (size_t) allowed);
}

ssize_t
pwrite (int         fd,
        const void *buffer,
        size_t      count,
        off_t       offset)
{
  ssize_t allowed;
  REAL (pwrite);

  allowed = take (fd, count);
  if (allowed < 0)
    return -1;
  return real_pwrite (fd, buffer, (size_t) allowed, offset);
}

ssize_t
pwrite64 (int         fd,
          const void *buffer,
          size_t      count,
          off64_t     offset)
{
  ssize_t allowed;
  REAL (pwrite64);

  allowed = take (fd, count);
  if (allowed < 0)
    return -1;
  return real_pwrite64 (fd, buffer, (size_t) allowed, offset);
}

/* The vectors are written one by one through write()/pwrite(), so a short
 * write ends where the budget does. */
ssize_t
writev (int                 fd,
        const struct iovec *vector,
        int                 count)
{
  ssize_t total = 0;

  for (int i = 0; i < count; i++)
    {
      ssize_t n = write (fd, vector[i].iov_base, vector[i].iov_len);

      if (n < 0)
        return total > 0 ? total : -1;
      total += n;
      if ((size_t) n < vector[i].iov_len)
        break;
    }
  return total;
}

ssize_t
pwritev (int                 fd,
         const struct iovec *vector,
         int                 count,
         off_t               offset)
{
  ssize_t total = 0;

  for (int i = 0; i < count; i++)
    {
      ssize_t n = pwrite (fd, vector[i].iov_base, vector[i].iov_len, offset + total);

      if (n < 0)
        return total > 0 ? total : -1;
      total += n;
      if ((size_t) n < vector[i].iov_len)
        break;
    }
  return total;
}

static int
sync_full (int fd)
{
  int failed;

  pthread_mutex_lock (&lock);
  configure ();
  failed = full && watched (fd);
  pthread_mutex_unlock (&lock);
  if (failed)
    errno = ENOSPC;
  return failed;
}

int
fsync (int fd)
{
  REAL (fsync);

  if (sync_full (fd))
    return -1;
  return real_fsync (fd);
}

int
fdatasync (int fd)
{
  REAL (fdatasync);

  if (sync_full (fd))
    return -1;
  return real_fdatasync (fd);
}

__attribute__ ((destructor)) static void
report (void)
{
  const char *path = getenv ("KURIR_ENOSPC_REPORT");
  FILE *file;

  if (path == NULL || budget < 0 || (file = fopen (path, "w")) == NULL)
    return;
  fprintf (file, "%lld %s %s\n", written, full ? "full" : "room", first_refused);
  fclose (file);
}
