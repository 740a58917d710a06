/* kurir-checkpoint.c: named points where a test may kill the process
 *
 * The crash tests (tests/integration/crash) set KURIR_CRASH_AT=NAME or
 * NAME:N; the process then raises SIGKILL the first (or the Nth) time it
 * passes the checkpoint NAME, as a power cut or the OOM killer would stop
 * it: no atexit handlers, no flushing, no cleanup. Without the variable a
 * checkpoint costs one check of a cached value.
 *
 * KURIR_CHECKPOINT_LOG=FILE appends the name of every checkpoint passed
 * to FILE (one line each), so a test can see which points a run reaches.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-net"

#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "kurir-checkpoint.h"

typedef struct
{
  char  *name;        /* NULL: no crash wanted */
  guint  nth;         /* 1 = the first time */
  guint  passed;
  int    log_fd;      /* -1: no log */
} Plan;

static GMutex lock;
static Plan no_plan;   /* the environment asks for nothing */

/* Reads the environment once; NULL when neither variable is set. */
static Plan *
get_plan (void)
{
  static Plan *plan;

  if (g_once_init_enter (&plan))
    {
      const char *crash_at = g_getenv ("KURIR_CRASH_AT");
      const char *log_path = g_getenv ("KURIR_CHECKPOINT_LOG");
      Plan *found = NULL;

      if ((crash_at != NULL && *crash_at != '\0') || (log_path != NULL && *log_path != '\0'))
        {
          const char *colon = crash_at != NULL ? strrchr (crash_at, ':') : NULL;
          guint64 nth = 1;

          found = g_new0 (Plan, 1);
          found->log_fd = -1;
          if (colon != NULL &&
              g_ascii_string_to_unsigned (colon + 1, 10, 1, G_MAXUINT, &nth, NULL))
            found->name = g_strndup (crash_at, (gsize) (colon - crash_at));
          else if (crash_at != NULL && *crash_at != '\0')
            found->name = g_strdup (crash_at);
          found->nth = (guint) nth;
          if (log_path != NULL && *log_path != '\0')
            found->log_fd = open (log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        }
      g_once_init_leave (&plan, found != NULL ? found : &no_plan);
    }
  return plan == &no_plan ? NULL : plan;
}

static void
pass (Plan       *plan,
      const char *name)
{
  gboolean kill_now = FALSE;

  g_mutex_lock (&lock);
  if (plan->log_fd >= 0)
    {
      g_autofree char *line = g_strconcat (name, "\n", NULL);
      gsize length = strlen (line);

      /* One write: lines of several threads do not mix. */
      if (write (plan->log_fd, line, length) != (gssize) length)
        g_debug ("Could not log checkpoint %s", name);
    }
  if (plan->name != NULL && strcmp (plan->name, name) == 0 && ++plan->passed == plan->nth)
    kill_now = TRUE;
  g_mutex_unlock (&lock);

  if (kill_now)
    raise (SIGKILL);
}

/**
 * kurir_checkpoint:
 * @name: the checkpoint, e.g. "pop3-dele"
 *
 * Kills the process with SIGKILL when KURIR_CRASH_AT asks for it here.
 */
void
kurir_checkpoint (const char *name)
{
  Plan *plan = get_plan ();

  if (G_LIKELY (plan == NULL))
    return;
  pass (plan, name);
}

/**
 * kurir_checkpoint_with:
 * @prefix: the checkpoint's kind, e.g. "imap-sent"
 * @detail: what it passed, e.g. "UID STORE" (spaces become '-')
 *
 * As kurir_checkpoint() for the name "@prefix-@detail"
 * ("imap-sent-UID-STORE"); builds the name only when a test asks.
 */
void
kurir_checkpoint_with (const char *prefix,
                       const char *detail)
{
  Plan *plan = get_plan ();
  g_autofree char *name = NULL;

  if (G_LIKELY (plan == NULL))
    return;
  name = g_strconcat (prefix, "-", detail, NULL);
  g_strdelimit (name, " :", '-');
  pass (plan, name);
}
