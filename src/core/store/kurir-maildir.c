/* kurir-maildir.c: Maildir files as isync writes them, and names that are
 * safe on disk
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-store"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kurir-maildir.h"
#include "kurir-store.h"

#define MAX_ENCODED_NAME 200

/* Helpers */

static gboolean
is_safe_name_char (guchar c,
                   gboolean first)
{
  if (g_ascii_isalnum (c))
    return TRUE;
  if (first)
    return c == '_' || c == '-' || c == '+' || c == '=' || c == '@' || c == ',';
  return strchr ("_-+=@,. ", c) != NULL && c != '\0';
}

static gboolean
is_key_char (guchar c)
{
  return g_ascii_isalnum (c) || c == '.' || c == '_' || c == '-';
}

static int
hex_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static const char *
host_name (void)
{
  static char *host;
  static gsize once;

  if (g_once_init_enter (&once))
    {
      char *name = g_strdup (g_get_host_name ());

      for (char *p = name; *p; p++)
        if (!g_ascii_isalnum (*p) && *p != '-')
          *p = '_';
      if (*name == '\0' || strlen (name) > 64)
        {
          g_free (name);
          name = g_strdup ("localhost");
        }
      host = name;
      g_once_init_leave (&once, 1);
    }
  return host;
}

static void
append_key (GString    *uniq,
            const char *key)
{
  gboolean plain = TRUE;

  if (key == NULL)
    return;
  for (const char *p = key; *p; p++)
    plain &= is_key_char (*p);
  if (plain)
    g_string_append_printf (uniq, ",K=%s", key);
  else
    {
      g_autofree char *encoded = g_base64_encode ((const guchar *) key, strlen (key));

      g_strdelimit (encoded, "+", '-');
      g_strdelimit (encoded, "/", '_');
      g_strdelimit (encoded, "=", '\0');
      g_string_append_printf (uniq, ",B=%s", encoded);
    }
}

/* Public API */

void
kurir_maildir_set_io_error (GError     **error,
                            int          saved_errno,
                            const char  *what,
                            const char  *path)
{
  if (saved_errno == ENOSPC || saved_errno == EDQUOT)
    g_set_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_IO,
                 _("the disk is full: could not %s %s"), what, path);
  else
    g_set_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_IO,
                 _("could not %s %s: %s"), what, path, g_strerror (saved_errno));
}

/**
 * kurir_maildir_encode_name:
 *
 * Returns: a directory name for the folder or account @name: letters,
 *   digits and a few safe punctuation marks stay, everything else
 *   (including "/", "%", leading dots and non-ASCII bytes) becomes %XX.
 *   Names too long for the file system become "~" and a hash; the store
 *   keeps the real name beside it (KURIR_MAILDIR_NAME_FILE) and in the
 *   index.
 */
char *
kurir_maildir_encode_name (const char *name)
{
  GString *out;
  gsize length;

  g_return_val_if_fail (name != NULL, NULL);

  out = g_string_new (NULL);
  length = strlen (name);
  for (gsize i = 0; i < length; i++)
    {
      guchar c = name[i];
      gboolean last = i + 1 == length;

      if (is_safe_name_char (c, i == 0) && !(last && (c == ' ' || c == '.')))
        g_string_append_c (out, c);
      else
        g_string_append_printf (out, "%%%02X", c);
    }
  if (out->len == 0)
    g_string_append (out, "%");

  if (out->len > MAX_ENCODED_NAME)
    {
      g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, name, -1);

      g_string_free (out, TRUE);
      return g_strconcat ("~", hash, NULL);
    }
  return g_string_free (out, FALSE);
}

/**
 * kurir_maildir_decode_name:
 *
 * Returns: the name kurir_maildir_encode_name() made @dir_name from, or
 *   NULL when @dir_name is not such a name (or is a hashed one)
 */
char *
kurir_maildir_decode_name (const char *dir_name)
{
  g_autoptr(GString) out = g_string_new (NULL);

  g_return_val_if_fail (dir_name != NULL, NULL);

  if (strcmp (dir_name, "%") == 0)
    return g_strdup ("");
  if (*dir_name == '\0' || *dir_name == '.' || *dir_name == '~')
    return NULL;

  for (const char *p = dir_name; *p; p++)
    {
      if (*p == '%')
        {
          int high = hex_value (p[1]);
          int low = high >= 0 ? hex_value (p[2]) : -1;

          if (low < 0 || (high == 0 && low == 0))
            return NULL;
          g_string_append_c (out, (char) (high * 16 + low));
          p += 2;
        }
      else if (is_safe_name_char (*p, p == dir_name))
        g_string_append_c (out, *p);
      else
        return NULL;
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

gboolean
kurir_maildir_key_is_valid (const char *key)
{
  gsize length;

  if (key == NULL)
    return TRUE;
  length = strlen (key);
  return length > 0 && length <= KURIR_MAILDIR_MAX_KEY_LENGTH;
}

/**
 * kurir_maildir_new_uniq:
 *
 * Returns: a new unique part of a Maildir file name (see kurir-maildir.h)
 */
char *
kurir_maildir_new_uniq (gint64      received,
                        gsize       size,
                        const char *key)
{
  static gint counter;
  GString *uniq = g_string_new (NULL);
  gint64 now = g_get_real_time ();

  g_string_append_printf (uniq, "%" G_GINT64_FORMAT ".M%06dP%dQ%uR%08x.%s,S=%" G_GSIZE_FORMAT,
                          received > 0 ? received : now / G_USEC_PER_SEC,
                          (int) (now % G_USEC_PER_SEC), (int) getpid (),
                          (guint) g_atomic_int_add (&counter, 1) + 1,
                          g_random_int (), host_name (), size);
  append_key (uniq, key);
  return g_string_free (uniq, FALSE);
}

/**
 * kurir_maildir_uniq_with_key:
 *
 * Returns: @uniq with its backend key replaced by @key (NULL: none)
 */
char *
kurir_maildir_uniq_with_key (const char *uniq,
                             const char *key)
{
  g_auto(GStrv) fields = g_strsplit (uniq, ",", -1);
  GString *out = g_string_new (fields[0]);
  const char *partial = NULL;

  for (guint i = 1; fields[i] != NULL; i++)
    {
      if (g_str_has_prefix (fields[i], "K=") || g_str_has_prefix (fields[i], "B="))
        continue;
      if (g_str_has_prefix (fields[i], "P="))
        partial = fields[i];
      else
        g_string_append_printf (out, ",%s", fields[i]);
    }
  append_key (out, key);
  if (partial != NULL)
    g_string_append_printf (out, ",%s", partial);
  return g_string_free (out, FALSE);
}

/**
 * kurir_maildir_uniq_with_sizes:
 *
 * Returns: @uniq with its ",S=" field set to @size and its ",P=" field
 *   set to @full_size (dropped when @full_size is 0: a complete message)
 */
char *
kurir_maildir_uniq_with_sizes (const char *uniq,
                               gsize       size,
                               gint64      full_size)
{
  g_auto(GStrv) fields = g_strsplit (uniq, ",", -1);
  GString *out = g_string_new (fields[0]);

  for (guint i = 1; fields[i] != NULL; i++)
    {
      if (g_str_has_prefix (fields[i], "P="))
        continue;
      if (g_str_has_prefix (fields[i], "S="))
        g_string_append_printf (out, ",S=%" G_GSIZE_FORMAT, size);
      else
        g_string_append_printf (out, ",%s", fields[i]);
    }
  if (full_size > 0)
    g_string_append_printf (out, ",P=%" G_GINT64_FORMAT, full_size);
  return g_string_free (out, FALSE);
}

/* The full size of a partial message's unique part, or 0. */
gint64
kurir_maildir_uniq_full_size (const char *uniq)
{
  g_auto(GStrv) fields = g_strsplit (uniq, ",", -1);

  for (guint i = 1; fields[i] != NULL; i++)
    if (g_str_has_prefix (fields[i], "P="))
      {
        gint64 size = g_ascii_strtoll (fields[i] + 2, NULL, 10);

        return size > 0 ? size : 0;
      }
  return 0;
}

/* @uniq without its sizes: a partial message and its completed file share
 * it, so reconciling can tell that they are one message. */
char *
kurir_maildir_uniq_stem (const char *uniq)
{
  g_auto(GStrv) fields = g_strsplit (uniq, ",", -1);
  GString *out = g_string_new (fields[0]);

  for (guint i = 1; fields[i] != NULL; i++)
    if (!g_str_has_prefix (fields[i], "P=") && !g_str_has_prefix (fields[i], "S="))
      g_string_append_printf (out, ",%s", fields[i]);
  return g_string_free (out, FALSE);
}

char *
kurir_maildir_filename (const char        *uniq,
                        KurirMessageFlags  flags)
{
  char info[8];
  int n = 0;

  /* In ASCII order, as the Maildir specification asks. */
  if (flags & KURIR_MESSAGE_FLAG_DRAFT)
    info[n++] = 'D';
  if (flags & KURIR_MESSAGE_FLAG_FLAGGED)
    info[n++] = 'F';
  if (flags & KURIR_MESSAGE_FLAG_ANSWERED)
    info[n++] = 'R';
  if (flags & KURIR_MESSAGE_FLAG_SEEN)
    info[n++] = 'S';
  if (flags & KURIR_MESSAGE_FLAG_DELETED)
    info[n++] = 'T';
  info[n] = '\0';

  return g_strconcat (uniq, ":2,", info, NULL);
}

KurirMessageFlags
kurir_maildir_flags_from_info (const char *info)
{
  KurirMessageFlags flags = 0;

  if (info == NULL)
    return 0;
  for (const char *p = info; *p; p++)
    switch (*p)
      {
      case 'D': flags |= KURIR_MESSAGE_FLAG_DRAFT; break;
      case 'F': flags |= KURIR_MESSAGE_FLAG_FLAGGED; break;
      case 'R': flags |= KURIR_MESSAGE_FLAG_ANSWERED; break;
      case 'S': flags |= KURIR_MESSAGE_FLAG_SEEN; break;
      case 'T': flags |= KURIR_MESSAGE_FLAG_DELETED; break;
      default: break;
      }
  return flags;
}

/**
 * kurir_maildir_parse_filename:
 *
 * Splits a Maildir file name (ours or another program's) into its unique
 * part, flags, our backend key and the received time. Returns: FALSE for
 * names that are no message (hidden files, empty names).
 */
gboolean
kurir_maildir_parse_filename (const char         *filename,
                              char              **out_uniq,
                              KurirMessageFlags  *out_flags,
                              char              **out_key,
                              gint64             *out_received)
{
  g_autofree char *uniq = NULL;
  g_auto(GStrv) fields = NULL;
  const char *info;
  char *key = NULL;
  gint64 received = 0;

  if (filename == NULL || *filename == '\0' || *filename == '.' || strchr (filename, '/'))
    return FALSE;

  info = strstr (filename, ":2,");
  if (info == NULL)
    info = strstr (filename, "!2,");   /* what some programs write on file systems without ":" */
  uniq = info ? g_strndup (filename, info - filename) : g_strdup (filename);
  if (*uniq == '\0')
    return FALSE;

  received = g_ascii_strtoll (uniq, NULL, 10);
  if (received < 0)
    received = 0;

  fields = g_strsplit (uniq, ",", -1);
  for (guint i = 1; fields[i] != NULL; i++)
    {
      if (g_str_has_prefix (fields[i], "K=") && fields[i][2] != '\0' && key == NULL)
        key = g_strdup (fields[i] + 2);
      else if (g_str_has_prefix (fields[i], "B=") && fields[i][2] != '\0' && key == NULL)
        {
          g_autofree char *b64 = g_strdup (fields[i] + 2);
          gsize pad = (4 - strlen (b64) % 4) % 4;
          g_autofree char *padded = NULL;
          guchar *decoded;
          gsize length;

          g_strdelimit (b64, "-", '+');
          g_strdelimit (b64, "_", '/');
          padded = g_strnfill (strlen (b64) + pad, '=');
          memcpy (padded, b64, strlen (b64));
          decoded = g_base64_decode (padded, &length);
          if (decoded != NULL && length > 0 && memchr (decoded, '\0', length) == NULL)
            key = g_strndup ((const char *) decoded, length);
          g_free (decoded);
        }
    }

  if (out_flags)
    *out_flags = info ? kurir_maildir_flags_from_info (info + 3) : 0;
  if (out_received)
    *out_received = received;
  if (out_key)
    *out_key = key;
  else
    g_free (key);
  if (out_uniq)
    *out_uniq = g_steal_pointer (&uniq);
  return TRUE;
}

/**
 * kurir_maildir_ensure:
 *
 * Creates the Maildir @path with its tmp/, new/ and cur/ (mode 0700).
 */
gboolean
kurir_maildir_ensure (const char  *path,
                      GError     **error)
{
  static const char *subdirs[] = { "tmp", "new", "cur" };

  for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree char *sub = g_build_filename (path, subdirs[i], NULL);

      if (g_mkdir_with_parents (sub, 0700) != 0)
        {
          kurir_maildir_set_io_error (error, errno, _("create the folder"), sub);
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
kurir_maildir_fsync_dir (const char  *path,
                         GError     **error)
{
  int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0 || fsync (fd) != 0)
    {
      int saved_errno = errno;

      if (fd >= 0)
        close (fd);
      kurir_maildir_set_io_error (error, saved_errno, _("flush the folder"), path);
      return FALSE;
    }
  close (fd);
  return TRUE;
}

/**
 * kurir_maildir_write_file:
 *
 * Creates @path (which must not exist), writes @data and, with @sync,
 * fsyncs it. On failure the file is removed.
 */
gboolean
kurir_maildir_write_file (const char  *path,
                          const char  *data,
                          gsize        length,
                          gboolean     sync,
                          GError     **error)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  gsize done = 0;

  if (fd < 0)
    {
      kurir_maildir_set_io_error (error, errno, _("create"), path);
      return FALSE;
    }

  while (done < length)
    {
      ssize_t n = write (fd, data + done, MIN (length - done, (gsize) 1 << 30));

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        goto failed;
      done += n;
    }
  if (sync && fdatasync (fd) != 0)
    goto failed;
  if (close (fd) != 0)
    {
      fd = -1;
      goto failed;
    }
  return TRUE;

failed:
  {
    int saved_errno = errno ? errno : EIO;

    if (fd >= 0)
      close (fd);
    g_unlink (path);
    kurir_maildir_set_io_error (error, saved_errno, _("write"), path);
    return FALSE;
  }
}

/**
 * kurir_maildir_syncfs:
 *
 * Flushes the whole file system holding @path (one flush for a batch of
 * files instead of one per file). Returns: FALSE when syncfs() is not
 * available or failed; the caller then flushes each file.
 */
gboolean
kurir_maildir_syncfs (const char *path)
{
  int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int status;

  if (fd < 0)
    return FALSE;
  status = syncfs (fd);
  close (fd);
  return status == 0;
}
