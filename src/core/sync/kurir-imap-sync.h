/* kurir-imap-sync.h: the IMAP workflow of one account
 *
 * Connect and log in as the account says; replay the offline journal;
 * mirror the folder tree (LIST, with special-use roles); per folder, check
 * UIDVALIDITY (a new one drops the folder's cache, journalled edits stay),
 * then fetch what changed: the first time, the summary of every message
 * (headers, flags, date, size), newest first, stored as partial messages;
 * later, by mod-sequence with QRESYNC (VANISHED for expunges), else new
 * UIDs plus a refresh of every flag; bodies too when the account keeps
 * mail offline. kurir_imap_sync_watch() then waits on INBOX with IDLE and
 * follows changes as they come.
 *
 * A sync runs on a main context of its own, so it can run in a worker
 * thread: all its signals are emitted in the thread that runs it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "kurir-account.h"
#include "kurir-imap-client.h"
#include "kurir-journal.h"
#include "kurir-store.h"

G_BEGIN_DECLS

typedef struct
{
  guint folders;         /* folders on the server */
  guint added;           /* message summaries stored */
  guint changed;         /* messages whose flags changed here */
  guint removed;         /* messages gone from the server, removed here */
  guint bodies;          /* partial messages completed */
  guint edits_sent;      /* journalled edits the server applied */
  guint edits_refused;   /* journalled edits the server refused (undone here) */
  guint unchanged;       /* folders not selected: STATUS said nothing changed (QRESYNC) */
  guint adopted;         /* after a switch from POP3: stored messages matched to their UID */
} KurirImapSyncStats;

/* Summaries are fetched and stored this many at a time (one transaction
 * each; their headers go into the index, no file); bodies this many per
 * UID FETCH. Up to four such UID FETCH commands are in flight at once,
 * and two full batches are parsed and stored on two threads meanwhile. When a folder is kept offline,
 * only the newest batch of new messages comes as summaries first; the
 * others come whole right away. */
#define KURIR_IMAP_SYNC_SUMMARY_BATCH 500
#define KURIR_IMAP_SYNC_BODY_BATCH    500
/* keep-offline "auto": bodies of folders with fewer messages than this. */
#define KURIR_IMAP_SYNC_AUTO_OFFLINE_LIMIT 10000

#define KURIR_TYPE_IMAP_SYNC (kurir_imap_sync_get_type ())
G_DECLARE_FINAL_TYPE (KurirImapSync, kurir_imap_sync, KURIR, IMAP_SYNC, GObject)

/* @password: from the keyring; kept (and wiped on finalize) for reconnects. */
KurirImapSync   *kurir_imap_sync_new            (KurirAccount        *account,
                                                 KurirStore          *store,
                                                 const char          *password);
/* Whether bodies are fetched: -1 as the account says (default), 0 never,
 * 1 always. */
void             kurir_imap_sync_set_keep_offline (KurirImapSync     *self,
                                                 int                  keep);
/* Capabilities the session treats as absent (tests of the paths without
 * QRESYNC or CONDSTORE); before the first connect. */
void             kurir_imap_sync_set_ignored_capabilities (KurirImapSync *self,
                                                 const char * const  *capabilities);
/* Messages per UID FETCH and per store batch (default
 * KURIR_IMAP_SYNC_SUMMARY_BATCH); tests make it small to exercise the
 * batching with few messages. */
void             kurir_imap_sync_set_batch_size (KurirImapSync       *self,
                                                 guint                n_messages);
/* The session, once connected (for tests: count its commands). */
KurirImapClient *kurir_imap_sync_get_client     (KurirImapSync       *self);

/* One full sync; blocks the calling thread (it iterates a main context of
 * its own) and leaves the session open for kurir_imap_sync_watch(). */
gboolean         kurir_imap_sync_run            (KurirImapSync       *self,
                                                 KurirImapSyncStats  *out_stats,
                                                 GCancellable        *cancellable,
                                                 GError             **error);
/* Connects when not connected and sends the journal's pending edits
 * only (what `kurir-cli flag` does right after an edit). */
gboolean         kurir_imap_sync_replay         (KurirImapSync       *self,
                                                 KurirJournalStats   *out_stats,
                                                 GCancellable        *cancellable,
                                                 GError             **error);
KurirJournal    *kurir_imap_sync_get_journal    (KurirImapSync       *self);
/* Runs a sync (if none ran yet; ::changed follows it), then IDLEs on
 * INBOX, bringing every change into the store and emitting ::changed
 * after each, until
 * @cancellable is cancelled (then it returns FALSE with
 * G_IO_ERROR_CANCELLED) or the connection fails. Blocks like _run(). */
gboolean         kurir_imap_sync_watch          (KurirImapSync       *self,
                                                 GCancellable        *cancellable,
                                                 GError             **error);
void             kurir_imap_sync_close          (KurirImapSync       *self);

/* The whole message of a partial one (BODY.PEEK[]), stored: the message is
 * complete afterwards. Connects when not connected. */
gboolean         kurir_imap_sync_fetch_body     (KurirImapSync       *self,
                                                 gint64               id,
                                                 GCancellable        *cancellable,
                                                 GError             **error);

/* The same in a worker thread, for a caller with a user interface. */
void             kurir_imap_sync_async          (KurirAccount        *account,
                                                 KurirStore          *store,
                                                 const char          *password,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
gboolean         kurir_imap_sync_finish         (GAsyncResult        *result,
                                                 KurirImapSyncStats  *out_stats,
                                                 GError             **error);

G_END_DECLS
