/* kurir-test-util.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "kurir-test-util.h"

/**
 * kurir_test_require_servers:
 *
 * The integration tests run against the real servers that
 * tests/servers/with-servers starts. Without them the test fails: a
 * skipped test would hide a broken feature.
 */
void
kurir_test_require_servers (void)
{
  if (g_getenv ("KURIR_TEST_ENV") == NULL)
    g_error ("The integration tests need the test servers: run "
             "tests/servers/with-servers meson test -C build --suite integration");
}

const char *
kurir_test_getenv (const char *name)
{
  const char *value = g_getenv (name);

  if (value == NULL || *value == '\0')
    g_error ("%s is not set: is tests/servers/with-servers running the tests?", name);
  return value;
}

guint16
kurir_test_port (const char *name)
{
  guint64 port = 0;

  if (!g_ascii_string_to_unsigned (kurir_test_getenv (name), 10, 1, 65535, &port, NULL))
    g_error ("%s is not a port number", name);
  return (guint16) port;
}

static gboolean
timeout_cb (gpointer user_data)
{
  g_error ("An operation did not finish within %d seconds", KURIR_TEST_TIMEOUT_SECONDS);
  return G_SOURCE_REMOVE;
}

void
kurir_test_store_result (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  g_assert_null (*slot);
  *slot = g_object_ref (result);
}

/**
 * kurir_test_wait:
 *
 * Iterates the main context until the operation reporting to
 * kurir_test_store_result() with @slot finished; fails the test when that
 * takes longer than KURIR_TEST_TIMEOUT_SECONDS.
 */
GAsyncResult *
kurir_test_wait (GAsyncResult **slot)
{
  guint source = g_timeout_add_seconds (KURIR_TEST_TIMEOUT_SECONDS, timeout_cb, NULL);

  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (source);
  return *slot;
}

/**
 * kurir_test_run_cli:
 *
 * Runs kurir-cli (KURIR_CLI) with the test's XDG folders, feeding it
 * @stdin_text. Returns: its exit status.
 */
int
kurir_test_run_cli (const char  *stdin_text,
                    char       **out_stdout,
                    char       **out_stderr,
                    const char  *first_arg,
                    ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  va_list args;

  g_ptr_array_add (argv, (gpointer) kurir_test_getenv ("KURIR_CLI"));
  va_start (args, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", g_get_user_config_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", g_get_user_data_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", g_get_user_cache_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_STATE_HOME", g_get_user_state_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  /* The system's data folders, not the test's isolated ones: GIO finds its
   * modules' settings schemas (the proxy resolver's) there. */
  g_subprocess_launcher_unsetenv (launcher, "XDG_DATA_DIRS");
  g_subprocess_launcher_unsetenv (launcher, "XDG_CONFIG_DIRS");
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, stdin_text ? stdin_text : "", NULL,
                                 out_stdout, out_stderr, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));

  return g_subprocess_get_exit_status (process);
}

/**
 * kurir_test_tree_contains:
 *
 * Returns: whether any regular file under @root holds the bytes of
 *   @needle; the first such file in @out_path
 */
gboolean
kurir_test_tree_contains (const char  *root,
                          const char  *needle,
                          char       **out_path)
{
  g_autoptr(GDir) dir = g_dir_open (root, 0, NULL);
  const char *name;

  if (dir == NULL)
    return FALSE;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (root, name, NULL);
      g_autofree char *contents = NULL;
      gsize length;

      if (g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        continue;
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        {
          if (kurir_test_tree_contains (path, needle, out_path))
            return TRUE;
          continue;
        }
      if (g_file_get_contents (path, &contents, &length, NULL) &&
          memmem (contents, length, needle, strlen (needle)) != NULL)
        {
          if (out_path != NULL)
            *out_path = g_steal_pointer (&path);
          return TRUE;
        }
    }

  return FALSE;
}

gboolean
kurir_test_is_one_line (const char *text)
{
  g_auto(GStrv) lines = NULL;
  guint n = 0;

  if (text == NULL || !g_str_has_suffix (text, "\n"))
    return FALSE;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (*lines[i] != '\0' && strstr (lines[i], "-DEBUG: ") == NULL)
      n++;
  return n == 1;
}
