/* kurir-maildir.h: Maildir files as isync writes them, and names that are
 * safe on disk
 *
 * File names: UNIQ ":2," FLAGS, where UNIQ is
 *   SECONDS ".M" MICROS "P" PID "Q" COUNTER "R" RANDOM "." HOST
 *   ",S=" SIZE [",K=" KEY | ",B=" BASE64URL(KEY)]
 * SECONDS is the time the message was received; KEY the backend's key for
 * the message (IMAP UID, POP3 UIDL), so that a rebuilt index still knows
 * what was downloaded. FLAGS are the Maildir letters D F R S T.
 *
 * Folder and account names become directory names by kurir_maildir_encode_name():
 * reversible, never "." or "..", never a "/", never starting with ".".
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "kurir-message.h"

G_BEGIN_DECLS

#define KURIR_MAILDIR_MAX_KEY_LENGTH 200
#define KURIR_MAILDIR_NAME_FILE      ".kurir-folder-name"

char     *kurir_maildir_encode_name        (const char     *name);
char     *kurir_maildir_decode_name        (const char     *dir_name);

gboolean  kurir_maildir_key_is_valid       (const char     *key);
char     *kurir_maildir_new_uniq           (gint64          received,
                                            gsize           size,
                                            const char     *key);
/* Partial messages (only the headers stored) carry ",P=FULLSIZE" in their
 * unique part. */
char     *kurir_maildir_uniq_with_sizes    (const char     *uniq,
                                            gsize           size,
                                            gint64          full_size);
gint64    kurir_maildir_uniq_full_size     (const char     *uniq);
char     *kurir_maildir_uniq_with_key      (const char     *uniq,
                                            const char     *key);
char     *kurir_maildir_uniq_stem          (const char     *uniq);
char     *kurir_maildir_filename           (const char     *uniq,
                                            KurirMessageFlags flags);
gboolean  kurir_maildir_parse_filename     (const char     *filename,
                                            char          **out_uniq,
                                            KurirMessageFlags *out_flags,
                                            char          **out_key,
                                            gint64         *out_received);
KurirMessageFlags kurir_maildir_flags_from_info (const char *info);

gboolean  kurir_maildir_ensure             (const char     *path,
                                            GError        **error);
gboolean  kurir_maildir_fsync_dir          (const char     *path,
                                            GError        **error);
gboolean  kurir_maildir_write_file         (const char     *path,
                                            const char     *data,
                                            gsize           length,
                                            gboolean        sync,
                                            GError        **error);
gboolean  kurir_maildir_syncfs             (const char     *path);
void      kurir_maildir_set_io_error       (GError        **error,
                                            int             saved_errno,
                                            const char     *what,
                                            const char     *path);

G_END_DECLS
