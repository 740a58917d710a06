/* kurir-app-test.h: what the app tests share (header only)
 *
 * Include after defining WAIT_SECONDS, the longest a WAIT_FOR may wait.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <ftw.h>
#include <glib.h>
#include <stdio.h>

#ifndef WAIT_SECONDS
#error "define WAIT_SECONDS before including kurir-app-test.h"
#endif

static inline gboolean
kurir_app_test_timeout_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the main context until @cond holds; fails the test after
 * WAIT_SECONDS. No sleeps: it wakes on every event. */
#define WAIT_FOR(cond) \
  G_STMT_START { \
    gboolean timed_out_ = FALSE; \
    guint source_ = g_timeout_add_seconds (WAIT_SECONDS, kurir_app_test_timeout_cb, &timed_out_); \
    while (!(cond) && !timed_out_) \
      g_main_context_iteration (NULL, TRUE); \
    if (timed_out_) \
      g_error ("%s:%d: waited %d s in vain for: %s", __FILE__, __LINE__, WAIT_SECONDS, #cond); \
    g_source_remove (source_); \
  } G_STMT_END

static inline int
kurir_app_test_remove_cb (const char        *path,
                          const struct stat *st,
                          int                flag,
                          struct FTW        *ftw)
{
  return remove (path);
}

/* Removes @path and everything below it (the test's temporary home). */
static inline void
kurir_app_test_remove_tree (const char *path)
{
  nftw (path, kurir_app_test_remove_cb, 16, FTW_DEPTH | FTW_PHYS);
}
