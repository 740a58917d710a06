/* kurir-mbox.c: reading and writing mbox files
 *
 * Our own From_ splitter rather than GMime's mbox parser: the store needs
 * each message's bytes exactly as they were, and GMime's parser gives
 * parsed objects, not the original bytes, and parses MIME it does not need.
 *
 * Format choices:
 * - A message starts at a line "From <sender> <date>" where the rest of
 *   the line holds a time ("hh:mm"), like mutt's check; a "From " line in a
 *   body of an mboxo file that carries no time stays in the message. The
 *   blank line before a From_ line (and at the end of the file) is the
 *   separator, not part of the message.
 * - Reading undoes mboxrd quoting: ">From ", ">>From " … lose one '>'. For
 *   an mboxo file that is right for every ">From " its writer made, and
 *   takes one '>' off a line that already began ">From " in the original
 *   (rare; mboxo cannot tell them apart).
 * - Writing is mboxrd: "From " and ">…>From " lines get one more '>', so
 *   reading gives back the same bytes. A message without a final newline
 *   gets one (mbox has no way to say it had none).
 * - Line ends are kept as they are: a CRLF file gives CRLF messages, and a
 *   message written with CRLF gets a CRLF From_ line and blank line.
 * - Memory is bounded by the largest message (64 KiB read buffer); a
 *   message over KURIR_MBOX_MESSAGE_MAX is skipped with an error, and the
 *   next call goes on with the following message.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-mime"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "kurir-mbox.h"
#include "kurir-mime-private.h"

#define READ_BUFFER_SIZE       (64 * 1024)
#define FROM_LINE_MAX          4096
#define HEADER_SCAN_MAX        (1024 * 1024)
#define HEADER_VALUE_MAX       4096
#define KURIR_MBOX_MESSAGE_MAX ((gsize) 512 * 1024 * 1024)

struct _KurirMboxReader
{
  char         *path;
  GInputStream *input;
  char         *buf;
  gsize         start;
  gsize         end;
  gboolean      eof;
  gboolean      midline;     /* the last line handed out had no newline */
  gboolean      have_next;   /* the From_ line of the next message was read */
  gint64        next_time;
  gboolean      done;
};

static const char * const month_names[] = {
  "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};
static const char * const day_names[] = {
  "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun",
};

/* Helpers: reading */

static gboolean
fill_buffer (KurirMboxReader  *reader,
             GError          **error)
{
  gssize n;

  if (reader->start > 0)
    {
      memmove (reader->buf, reader->buf + reader->start, reader->end - reader->start);
      reader->end -= reader->start;
      reader->start = 0;
    }
  n = g_input_stream_read (reader->input, reader->buf + reader->end,
                           READ_BUFFER_SIZE - reader->end, NULL, error);
  if (n < 0)
    {
      g_prefix_error (error, "Could not read %s: ", reader->path);
      return FALSE;
    }
  if (n == 0)
    reader->eof = TRUE;
  reader->end += n;
  return TRUE;
}

/* 1: a line (or a piece of an over-long one), 0: end of file, -1: error.
 * @out_at_start: the line begins a line of the file. */
static int
next_line (KurirMboxReader  *reader,
           const char      **out_line,
           gsize            *out_len,
           gboolean         *out_at_start,
           GError          **error)
{
  for (;;)
    {
      char *p = reader->buf + reader->start;
      gsize avail = reader->end - reader->start;
      char *nl = memchr (p, '\n', avail);

      if (nl != NULL || reader->eof || avail == READ_BUFFER_SIZE)
        {
          gsize len = nl != NULL ? (gsize) (nl - p) + 1 : avail;

          if (len == 0)
            return 0;
          *out_line = p;
          *out_len = len;
          *out_at_start = !reader->midline;
          reader->midline = p[len - 1] != '\n';
          reader->start += len;
          return 1;
        }
      if (!fill_buffer (reader, error))
        return -1;
    }
}

static gboolean
is_blank (const char *line,
          gsize       len)
{
  return (len == 1 && line[0] == '\n') || (len == 2 && line[0] == '\r' && line[1] == '\n');
}

static gboolean
has_from_prefix (const char *line,
                 gsize       len)
{
  return len >= 5 && memcmp (line, "From ", 5) == 0;
}

/* A From_ line carries a time: "From sender Sat Nov 28 01:30:00 2026". */
static gboolean
looks_like_from_line (const char *line,
                      gsize       len)
{
  if (!has_from_prefix (line, len) || len > FROM_LINE_MAX || line[len - 1] != '\n')
    return FALSE;
  for (gsize i = 5; i + 5 <= len; i++)
    if (g_ascii_isdigit (line[i]) && g_ascii_isdigit (line[i + 1]) && line[i + 2] == ':' &&
        g_ascii_isdigit (line[i + 3]) && g_ascii_isdigit (line[i + 4]))
      return TRUE;
  return FALSE;
}

/* ">From ", ">>From " …: mboxrd quoting. */
static gboolean
is_quoted_from (const char *line,
                gsize       len)
{
  gsize i = 0;

  while (i < len && line[i] == '>')
    i++;
  return i > 0 && has_from_prefix (line + i, len - i);
}

static gint64
parse_from_time (const char *line,
                 gsize       len)
{
  g_autofree char *text = g_strndup (line + 5, MIN (len - 5, (gsize) FROM_LINE_MAX));

  g_strchomp (text);
  /* the date follows the sender; the sender may hold spaces */
  for (char *p = strchr (text, ' '); p != NULL; p = strchr (p + 1, ' '))
    {
      char weekday[4], month[4];
      int day, hour, minute, second, year;

      if (sscanf (p, " %3s %3s %d %d:%d:%d %d", weekday, month, &day, &hour, &minute, &second, &year) == 7)
        {
          for (guint m = 0; m < G_N_ELEMENTS (month_names); m++)
            if (g_ascii_strcasecmp (month, month_names[m]) == 0)
              {
                g_autoptr(GDateTime) date = g_date_time_new_utc (year, m + 1, day, hour, minute, second);

                return date != NULL ? g_date_time_to_unix (date) : 0;
              }
        }
      {
        g_autoptr(GDateTime) date = g_mime_utils_header_decode_date (p + 1);

        if (date != NULL)
          return g_date_time_to_unix (date);
      }
    }
  return 0;
}

/* Helpers: writing */

/* The unfolded value of the first @name field of the header, bounded. */
static char *
find_header (const char *data,
             gsize       length,
             const char *name)
{
  const char *end = data + MIN (length, (gsize) HEADER_SCAN_MAX);
  gsize name_len = strlen (name);
  const char *p = data;

  while (p < end)
    {
      const char *nl = memchr (p, '\n', end - p);
      const char *line_end = nl != NULL ? nl + 1 : end;

      if (is_blank (p, line_end - p))
        break;
      if ((gsize) (line_end - p) > name_len && g_ascii_strncasecmp (p, name, name_len) == 0 && p[name_len] == ':')
        {
          GString *value = g_string_new (NULL);
          const char *q = p + name_len + 1;

          /* the value with its continuation lines */
          for (;;)
            {
              for (; q < line_end && value->len < HEADER_VALUE_MAX; q++)
                if (*q != '\r' && *q != '\n')
                  g_string_append_c (value, *q);
              if (line_end >= end || (*line_end != ' ' && *line_end != '\t'))
                break;
              q = line_end;
              nl = memchr (q, '\n', end - q);
              line_end = nl != NULL ? nl + 1 : end;
            }
          return g_strstrip (g_string_free (value, FALSE));
        }
      p = line_end;
    }
  return NULL;
}

static gboolean
is_sender_char (char c)
{
  return (guchar) c > 0x20 && (guchar) c < 0x7f;
}

static char *
mbox_sender (const char *data,
             gsize       length)
{
  g_autofree char *return_path = find_header (data, length, "Return-Path");
  g_autofree char *from = NULL;
  g_autofree char *candidate = NULL;

  if (return_path != NULL)
    {
      char *p = return_path;
      gsize len;

      while (*p == '<' || *p == ' ')
        p++;
      len = strcspn (p, ">");
      candidate = g_strndup (p, len);
      g_strstrip (candidate);
      if (*candidate == '\0')
        return g_strdup ("MAILER-DAEMON");  /* "<>": a bounce */
    }
  else if ((from = find_header (data, length, "From")) != NULL)
    {
      g_autoptr(InternetAddressList) list = internet_address_list_parse (kurir_mime_get_parser_options (), from);

      for (int i = 0; list != NULL && i < internet_address_list_length (list); i++)
        {
          InternetAddress *address = internet_address_list_get_address (list, i);

          if (INTERNET_ADDRESS_IS_MAILBOX (address))
            {
              candidate = g_strdup (internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (address)));
              break;
            }
        }
    }

  if (candidate == NULL || *candidate == '\0')
    return g_strdup ("MAILER-DAEMON");
  for (const char *p = candidate; *p != '\0'; p++)
    if (!is_sender_char (*p))
      return g_strdup ("MAILER-DAEMON");
  return g_steal_pointer (&candidate);
}

static char *
asctime_utc (gint64 time)
{
  g_autoptr(GDateTime) date = time != 0 ? g_date_time_new_from_unix_utc (time) : g_date_time_new_now_utc ();

  if (date == NULL)
    date = g_date_time_new_now_utc ();
  return g_strdup_printf ("%s %s %2d %02d:%02d:%02d %d",
                          day_names[g_date_time_get_day_of_week (date) - 1],
                          month_names[g_date_time_get_month (date) - 1],
                          g_date_time_get_day_of_month (date),
                          g_date_time_get_hour (date),
                          g_date_time_get_minute (date),
                          g_date_time_get_second (date),
                          g_date_time_get_year (date));
}

/* Public API */

KurirMboxReader *
kurir_mbox_reader_open (const char  *path,
                        GError     **error)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFileInputStream) input = NULL;
  KurirMboxReader *reader;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  kurir_mime_init ();
  file = g_file_new_for_path (path);
  input = g_file_read (file, NULL, error);
  if (input == NULL)
    {
      g_prefix_error (error, "Could not open %s: ", path);
      return NULL;
    }

  reader = g_new0 (KurirMboxReader, 1);
  reader->path = g_strdup (path);
  reader->input = G_INPUT_STREAM (g_steal_pointer (&input));
  reader->buf = g_malloc (READ_BUFFER_SIZE);
  return reader;
}

GBytes *
kurir_mbox_reader_next (KurirMboxReader  *reader,
                        gint64           *out_from_time,
                        GError          **error)
{
  g_autoptr(GByteArray) message = NULL;
  const char *line;
  gsize len;
  gboolean at_start;
  char pending[2];
  gsize pending_len = 0;
  gboolean too_large = FALSE;
  gint64 time;
  int r;

  g_return_val_if_fail (reader != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (out_from_time != NULL)
    *out_from_time = 0;
  if (reader->done)
    return NULL;

  if (!reader->have_next)
    {
      /* the first message: the file must start with a From_ line */
      do
        r = next_line (reader, &line, &len, &at_start, error);
      while (r == 1 && at_start && is_blank (line, len));

      if (r <= 0)
        {
          reader->done = TRUE;
          return NULL;  /* an empty file, or an error already set */
        }
      if (!at_start || !has_from_prefix (line, len) || len > FROM_LINE_MAX || line[len - 1] != '\n')
        {
          reader->done = TRUE;
          g_set_error (error, KURIR_MIME_ERROR, KURIR_MIME_ERROR_NOT_MBOX,
                       "%s is not an mbox file: it does not start with a “From ” line", reader->path);
          return NULL;
        }
      reader->next_time = parse_from_time (line, len);
      reader->have_next = TRUE;
    }

  time = reader->next_time;
  reader->have_next = FALSE;
  message = g_byte_array_new ();

  for (;;)
    {
      r = next_line (reader, &line, &len, &at_start, error);
      if (r < 0)
        {
          reader->done = TRUE;
          return NULL;
        }
      if (r == 0)
        {
          reader->done = TRUE;
          break;  /* a blank line pending is the final separator */
        }

      if (at_start)
        {
          if (is_blank (line, len))
            {
              if (pending_len > 0 && !too_large)
                g_byte_array_append (message, (const guint8 *) pending, pending_len);
              memcpy (pending, line, len);
              pending_len = len;
              continue;
            }
          if (looks_like_from_line (line, len))
            {
              reader->next_time = parse_from_time (line, len);
              reader->have_next = TRUE;
              break;
            }
          if (is_quoted_from (line, len))
            {
              line++;
              len--;
            }
        }

      if (message->len + pending_len + len > KURIR_MBOX_MESSAGE_MAX)
        too_large = TRUE;
      if (too_large)
        {
          pending_len = 0;
          continue;
        }
      if (pending_len > 0)
        g_byte_array_append (message, (const guint8 *) pending, pending_len);
      pending_len = 0;
      g_byte_array_append (message, (const guint8 *) line, len);
    }

  if (too_large)
    {
      g_set_error (error, KURIR_MIME_ERROR, KURIR_MIME_ERROR_TOO_LARGE,
                   "A message in %s is larger than %" G_GSIZE_FORMAT " MiB and was skipped",
                   reader->path, KURIR_MBOX_MESSAGE_MAX / (1024 * 1024));
      return NULL;
    }

  if (out_from_time != NULL)
    *out_from_time = time;
  return g_byte_array_free_to_bytes (g_steal_pointer (&message));
}

void
kurir_mbox_reader_close (KurirMboxReader *reader)
{
  if (reader == NULL)
    return;

  g_input_stream_close (reader->input, NULL, NULL);
  g_object_unref (reader->input);
  g_free (reader->buf);
  g_free (reader->path);
  g_free (reader);
}

gboolean
kurir_mbox_write (GOutputStream  *stream,
                  const char     *data,
                  gsize           length,
                  gint64          time,
                  GError        **error)
{
  const char *first_nl;
  const char *eol;
  g_autofree char *sender = NULL;
  g_autofree char *date = NULL;
  g_autofree char *from_line = NULL;
  const char *end = data + length;
  const char *chunk = data;

  g_return_val_if_fail (G_IS_OUTPUT_STREAM (stream), FALSE);
  g_return_val_if_fail (data != NULL || length == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  kurir_mime_init ();
  if (data == NULL)
    data = chunk = end = "";

  first_nl = memchr (data, '\n', length);
  eol = first_nl != NULL && first_nl > data && first_nl[-1] == '\r' ? "\r\n" : "\n";
  sender = mbox_sender (data, length);
  date = asctime_utc (time);
  from_line = g_strdup_printf ("From %s %s%s", sender, date, eol);

  if (!g_output_stream_write_all (stream, from_line, strlen (from_line), NULL, NULL, error))
    return FALSE;

  /* copy runs of lines, with one more '>' before each (>*)From line */
  for (const char *p = data; p < end; )
    {
      const char *nl = memchr (p, '\n', end - p);
      const char *next = nl != NULL ? nl + 1 : end;

      if (has_from_prefix (p, next - p) || is_quoted_from (p, next - p))
        {
          if (!g_output_stream_write_all (stream, chunk, p - chunk, NULL, NULL, error) ||
              !g_output_stream_write_all (stream, ">", 1, NULL, NULL, error))
            return FALSE;
          chunk = p;
        }
      p = next;
    }
  if (!g_output_stream_write_all (stream, chunk, end - chunk, NULL, NULL, error))
    return FALSE;

  if (length > 0 && data[length - 1] != '\n' &&
      !g_output_stream_write_all (stream, eol, strlen (eol), NULL, NULL, error))
    return FALSE;
  return g_output_stream_write_all (stream, eol, strlen (eol), NULL, NULL, error);
}
