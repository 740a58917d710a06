/* kurir-remote-senders.c: the senders allowed to load remote content
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-app"

#include "config.h"

#include <errno.h>
#include <string.h>

#include "kurir-remote-senders.h"

/* Addresses longer than this are not addresses (RFC 5321: 254). */
#define MAX_ADDRESS 320
/* A file larger than this is not ours: it is ignored. */
#define MAX_FILE (1024 * 1024)

static GHashTable *senders;   /* address → TRUE; main thread only */
static GMutex save_lock;      /* one write of the file at a time */
static guint save_generation; /* of the last list handed to a writer; main thread */
static guint saved_generation; /* of the list on disk; under save_lock */

typedef struct
{
  char  *contents;
  guint  generation;
} SaveData;

static void
save_data_free (SaveData *data)
{
  g_free (data->contents);
  g_free (data);
}

static char *
file_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "kurir", "remote-content-senders", NULL);
}

static void
ensure_loaded (void)
{
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  gsize length = 0;

  if (senders != NULL)
    return;
  senders = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  path = file_path ();
  if (!g_file_get_contents (path, &contents, &length, &error))
    {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_warning ("Cannot read %s: %s", path, error->message);
      return;
    }
  if (length > MAX_FILE)
    {
      g_warning ("%s is too large: ignored", path);
      return;
    }
  {
    g_auto(GStrv) lines = g_strsplit (contents, "\n", -1);

    for (guint i = 0; lines[i] != NULL; i++)
      {
        char *address = g_strstrip (lines[i]);

        if (*address != '\0' && *address != '#' && strlen (address) <= MAX_ADDRESS &&
            g_utf8_validate (address, -1, NULL))
          g_hash_table_add (senders, g_ascii_strdown (address, -1));
      }
  }
}

static void
save_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  SaveData *data = task_data;
  g_autofree char *path = file_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;

  g_mutex_lock (&save_lock);
  /* A newer list was written already: this one is out of date. */
  if (data->generation > saved_generation)
    {
      if (g_mkdir_with_parents (dir, 0700) != 0 ||
          /* A temporary file, fsync, rename: never half written. */
          !g_file_set_contents_full (path, data->contents, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
        g_warning ("Cannot save %s: %s", path, error ? error->message : g_strerror (errno));
      else
        saved_generation = data->generation;
    }
  g_mutex_unlock (&save_lock);
  g_task_return_boolean (task, TRUE);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char **) a, *(const char **) b);
}

char *
kurir_remote_senders_address_of (const char *from)
{
  const char *start, *end;
  g_autofree char *address = NULL;

  if (from == NULL)
    return NULL;
  start = strrchr (from, '<');
  if (start != NULL)
    {
      start++;
      end = strchr (start, '>');
      if (end == NULL)
        return NULL;
    }
  else
    {
      start = from;
      end = from + strlen (from);
    }
  address = g_strstrip (g_strndup (start, end - start));
  /* One address, nothing that would break a line of the file. */
  if (*address == '\0' || strchr (address, '@') == NULL || strpbrk (address, " \t\r\n,;<>\"") != NULL ||
      strlen (address) > MAX_ADDRESS || !g_utf8_validate (address, -1, NULL))
    return NULL;
  return g_ascii_strdown (address, -1);
}

gboolean
kurir_remote_senders_contains (const char *address)
{
  g_autofree char *lower = NULL;

  if (address == NULL)
    return FALSE;
  ensure_loaded ();
  lower = g_ascii_strdown (address, -1);
  return g_hash_table_contains (senders, lower);
}

void
kurir_remote_senders_add (const char *address)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GPtrArray) sorted = NULL;
  GString *contents;
  SaveData *data;
  GHashTableIter iter;
  gpointer key;

  g_return_if_fail (address != NULL);
  g_return_if_fail (strpbrk (address, "\r\n") == NULL);

  ensure_loaded ();
  if (!g_hash_table_add (senders, g_ascii_strdown (address, -1)))
    return;

  sorted = g_ptr_array_new ();
  g_hash_table_iter_init (&iter, senders);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (sorted, key);
  g_ptr_array_sort (sorted, compare_strings);
  contents = g_string_new (NULL);
  for (guint i = 0; i < sorted->len; i++)
    g_string_append_printf (contents, "%s\n", (const char *) g_ptr_array_index (sorted, i));

  data = g_new0 (SaveData, 1);
  data->contents = g_string_free (contents, FALSE);
  data->generation = ++save_generation;
  task = g_task_new (NULL, NULL, NULL, NULL);
  g_task_set_source_tag (task, kurir_remote_senders_add);
  g_task_set_task_data (task, data, (GDestroyNotify) save_data_free);
  g_task_run_in_thread (task, save_thread);
}

void
kurir_remote_senders_reset (void)
{
  g_clear_pointer (&senders, g_hash_table_unref);
}
