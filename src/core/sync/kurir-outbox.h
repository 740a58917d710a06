/* kurir-outbox.h: the Outbox of one account: messages waiting to be sent
 *
 * kurir_outbox_queue() writes a message durably into the account's
 * "Outbox" folder of the store (role "outbox") before anything is sent.
 * kurir_outbox_flush() submits what is due over SMTP (the account's
 * outgoing server, CA file and plaintext setting; the password stored for
 * "smtp", else the incoming server's one). A sent message moves to Sent:
 * for an IMAP account appended to the server's Sent folder through the
 * journal (not for Gmail, which files sent mail itself), for POP3 and
 * local accounts kept in the local Sent folder.
 *
 * What cannot go now stays in the Outbox with the reason: offline or a
 * temporary refusal (4xx) waits for its next attempt (backoff, 1 min
 * doubling up to 1 h); a permanent refusal (5xx) keeps the server's
 * words; a connection cut after the final "." marks it "delivery
 * uncertain". Those two are never sent again until the user decides
 * (kurir_outbox_resend() or kurir_outbox_discard()).
 *
 * The state survives restarts in a key file beside the messages:
 * <Outbox folder dir>/kurir-outbox.ini, one group per Message-ID, written
 * durably before and after each submission, and once more just before
 * the final "." ("final-dot" in its group). A message found "sending"
 * after a crash is sent again when that mark is missing (the server never
 * got a complete message), else marked uncertain, never resent silently
 * (a crash between the mark and the "." also lands there: no file write
 * and socket write happen as one). Envelope
 * recipients live there too (Bcc is not in the stored copy).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "kurir-account.h"
#include "kurir-store.h"

G_BEGIN_DECLS

#define KURIR_OUTBOX_FOLDER "Outbox"
#define KURIR_OUTBOX_ROLE   "outbox"
#define KURIR_OUTBOX_STATE_FILE "kurir-outbox.ini"

#define KURIR_OUTBOX_BACKOFF_MIN 60     /* seconds before the first retry */
#define KURIR_OUTBOX_BACKOFF_MAX 3600

typedef enum {
  KURIR_OUTBOX_STATE_QUEUED,     /* waiting for the next flush */
  KURIR_OUTBOX_STATE_WAITING,    /* offline or refused for now: retried at next_attempt */
  KURIR_OUTBOX_STATE_SENDING,    /* being submitted now */
  KURIR_OUTBOX_STATE_UNCERTAIN,  /* may have been delivered: the user decides */
  KURIR_OUTBOX_STATE_FAILED,     /* refused for good: the user changes it or discards it */
  KURIR_OUTBOX_STATE_SENT,       /* delivered, being filed in Sent */
} KurirOutboxState;

const char *kurir_outbox_state_to_string (KurirOutboxState state);

typedef struct
{
  gint64            id;            /* in the store */
  char             *message_id;
  char             *subject;
  KurirOutboxState  state;
  char             *reason;        /* why it waits or failed, or NULL */
  gint64            next_attempt;  /* Unix time, for WAITING */
  guint             attempts;
  char            **recipients;    /* the envelope */
  gboolean          final_dot;     /* SENDING: the final "." may have gone out */
} KurirOutboxItem;

void kurir_outbox_item_free (KurirOutboxItem *item);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KurirOutboxItem, kurir_outbox_item_free)

typedef struct
{
  guint sent;        /* delivered and filed */
  guint waiting;     /* left for a later attempt */
  guint uncertain;   /* delivery uncertain (new or earlier) */
  guint failed;      /* refused for good (new or earlier) */
  guint refused_recipients; /* of sent messages: recipients the server refused */
  gboolean busy;     /* another process was sending: nothing done */
} KurirOutboxStats;

#define KURIR_TYPE_OUTBOX (kurir_outbox_get_type ())
G_DECLARE_FINAL_TYPE (KurirOutbox, kurir_outbox, KURIR, OUTBOX, GObject)

KurirOutbox *kurir_outbox_new           (KurirAccount        *account,
                                         KurirStore          *store);
/* Use this password instead of the keyring's (wiped on finalize). */
void         kurir_outbox_set_password  (KurirOutbox         *self,
                                         const char          *password);

/* Stores @message (it must have a Message-ID: kurir_message_builder_build()
 * or kurir_message_builder_prepare() output) in the Outbox, durably, with
 * its envelope @recipients. Returns: its id in the store, or 0. */
gint64       kurir_outbox_queue         (KurirOutbox         *self,
                                         GBytes              *message,
                                         const char * const  *recipients,
                                         GError             **error);
/* Returns: (element-type KurirOutboxItem): what is in the Outbox. */
GPtrArray   *kurir_outbox_list          (KurirOutbox         *self,
                                         GError             **error);
KurirOutboxItem *kurir_outbox_get_item  (KurirOutbox         *self,
                                         gint64               id,
                                         GError             **error);

/* Sends what is due (@force: also what waits for its next attempt; never
 * the uncertain or failed ones), blocking the calling thread (it iterates
 * a main context of its own). @only_id: just that message, or 0.
 * Returns: FALSE when a message due could not be sent: @error names the
 * account, the server and the cause; the message stays in the Outbox. */
gboolean     kurir_outbox_flush         (KurirOutbox         *self,
                                         gint64               only_id,
                                         gboolean             force,
                                         KurirOutboxStats    *out_stats,
                                         GCancellable        *cancellable,
                                         GError             **error);
/* The user decided: send an uncertain or failed message again (now). */
gboolean     kurir_outbox_resend        (KurirOutbox         *self,
                                         gint64               id,
                                         GError             **error);
/* The user decided: drop it from the Outbox. */
gboolean     kurir_outbox_discard       (KurirOutbox         *self,
                                         gint64               id,
                                         GError             **error);

/* For `kurir-cli sync` and the app: flush the account's Outbox (what is
 * due; nothing to do is success). _run blocks; _async runs it in a
 * worker thread. */
gboolean     kurir_outbox_flush_run     (KurirAccount        *account,
                                         KurirStore          *store,
                                         KurirOutboxStats    *out_stats,
                                         GCancellable        *cancellable,
                                         GError             **error);
void         kurir_outbox_flush_async   (KurirAccount        *account,
                                         KurirStore          *store,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
gboolean     kurir_outbox_flush_finish  (GAsyncResult        *result,
                                         KurirOutboxStats    *out_stats,
                                         GError             **error);

/* Drafts, blocking (disk): call them from a worker thread.
 *
 * kurir_outbox_save_draft() stores @draft (built by
 * kurir_message_builder_build_draft(), with a Message-ID of its own for
 * each version: an APPEND cut by a crash is found again by it) in the
 * account's Drafts folder: on the server through the journal (APPEND with
 * \Draft \Seen) for IMAP, locally for POP3. Only then the version it
 * @replaces (0: none) goes, never to the Trash: for IMAP \Deleted and
 * UID EXPUNGE of that UID. Returns: the new draft's id, or 0.
 * kurir_outbox_drop_draft() drops a draft that was sent or thrown away,
 * the same way. */
gint64       kurir_outbox_save_draft    (KurirAccount        *account,
                                         KurirStore          *store,
                                         GBytes              *draft,
                                         gint64               replaces,
                                         GError             **error);
gboolean     kurir_outbox_drop_draft    (KurirAccount        *account,
                                         KurirStore          *store,
                                         gint64               id,
                                         GError             **error);

G_END_DECLS
