/* kurir-mbox.h: reading and writing mbox files (mboxrd/mboxo as mail
 * clients leave them), with GMime's parser in mbox mode
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "kurir-mime.h"

G_BEGIN_DECLS

typedef struct _KurirMboxReader KurirMboxReader;

/* Opens @path for reading, message by message, in bounded memory. */
KurirMboxReader *kurir_mbox_reader_open  (const char       *path,
                                          GError          **error);
/* The next message's bytes as they were before mbox quoting (">From "
 * unquoted, the From_ line not included), or NULL at the end (no error)
 * or on an error. @out_from_time: the date of the From_ line as Unix time,
 * or 0. Errors: KURIR_MIME_ERROR_NOT_MBOX (the file does not start with a
 * From_ line: nothing more to read), KURIR_MIME_ERROR_TOO_LARGE (one
 * message over 512 MiB was skipped: call again for the next one), or the
 * GIO error of a failed read. */
GBytes          *kurir_mbox_reader_next  (KurirMboxReader  *reader,
                                          gint64           *out_from_time,
                                          GError          **error);
void             kurir_mbox_reader_close (KurirMboxReader  *reader);

/* Appends one message to an open mbox stream: a From_ line (sender from
 * the message's Return-Path or From, @time or now) and the bytes with
 * "From " lines quoted (mboxrd), ending in a blank line. */
gboolean         kurir_mbox_write        (GOutputStream    *stream,
                                          const char       *data,
                                          gsize             length,
                                          gint64            time,
                                          GError          **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KurirMboxReader, kurir_mbox_reader_close)

G_END_DECLS
