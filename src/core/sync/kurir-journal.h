/* kurir-journal.h: the offline journal of an IMAP account
 *
 * An edit made here (flags, delete, move, new folder) is written to the
 * journal (a table of the store's index) first, then applied to the store,
 * so it shows at once; kurir_journal_replay() later sends the pending
 * edits to the server in order. Every step is idempotent: a crash or a
 * lost connection at any point, then a replay, reaches the same state.
 * An edit the server refuses (NO) is undone here and kept as "failed"
 * with the server's words (kurir_journal_list_failed()), never dropped
 * silently.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "kurir-account.h"
#include "kurir-imap-client.h"
#include "kurir-store.h"

G_BEGIN_DECLS

#define KURIR_SYNC_ERROR (kurir_sync_error_quark ())

/* The codes say what the caller can do. */
typedef enum {
  KURIR_SYNC_ERROR_OFFLINE,    /* the server cannot be reached: edits stay journalled, retry later */
  KURIR_SYNC_ERROR_REFUSED,    /* the server refused an edit: it was undone here; tell the user */
  KURIR_SYNC_ERROR_INVALID,    /* not an edit this account can take (a POP3 account, no such folder) */
} KurirSyncError;

GQuark kurir_sync_error_quark (void);

typedef struct
{
  guint sent;       /* edits the server applied (or had already) */
  guint refused;    /* edits the server refused: undone here, kept as failed */
} KurirJournalStats;

#define KURIR_TYPE_JOURNAL (kurir_journal_get_type ())
G_DECLARE_FINAL_TYPE (KurirJournal, kurir_journal, KURIR, JOURNAL, GObject)

KurirJournal *kurir_journal_new            (KurirStore         *store,
                                            const char         *account);

/* Edits: journalled, then applied to the store. */
gboolean      kurir_journal_set_flags      (KurirJournal       *self,
                                            gint64              id,
                                            KurirMessageFlags   add,
                                            KurirMessageFlags   remove,
                                            GError            **error);
/* To the account's Trash; expunged when the message is in the Trash or
 * the account has none. */
gboolean      kurir_journal_delete         (KurirJournal       *self,
                                            gint64              id,
                                            GError            **error);
/* Like kurir_journal_delete() but never to the Trash (a draft that was
 * replaced or sent): \Deleted and UID EXPUNGE of that UID on the server. */
gboolean      kurir_journal_expunge        (KurirJournal       *self,
                                            gint64              id,
                                            GError            **error);
gboolean      kurir_journal_move           (KurirJournal       *self,
                                            gint64              id,
                                            const char         *folder,
                                            GError            **error);
gboolean      kurir_journal_create_folder  (KurirJournal       *self,
                                            const char         *name,
                                            GError            **error);

/* Stores @message in @folder here (a draft being saved) and journals its
 * upload (APPEND). Returns: its local id, or 0. */
gint64        kurir_journal_append         (KurirJournal       *self,
                                            const char         *folder,
                                            GBytes             *message,
                                            KurirMessageFlags   flags,
                                            GError            **error);

guint         kurir_journal_count_pending  (KurirJournal       *self);
/* Returns: (element-type KurirStoreJournalEntry): refused edits, with the
 * server's words in their error field. */
GPtrArray    *kurir_journal_list_failed    (KurirJournal       *self,
                                            GError            **error);

/* Sends the pending edits over @client (authenticated, on the calling
 * thread's default main context, which this iterates until done). A lost
 * connection stops it with the edits left pending; a refusal is undone
 * here, recorded as failed and counted in @out_stats. Leaves the client
 * with some mailbox selected, or none. */
gboolean      kurir_journal_replay         (KurirJournal       *self,
                                            KurirImapClient    *client,
                                            KurirJournalStats  *out_stats,
                                            GCancellable       *cancellable,
                                            GError            **error);

G_END_DECLS
