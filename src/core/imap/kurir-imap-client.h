/* kurir-imap-client.h: an IMAP client session (RFC 9051, RFC 3501) over a
 * KurirConnection, with pipelined commands
 *
 * Every operation is a cancellable _async/_finish pair. Commands go out in
 * the order they are asked for; those the protocol lets a client pipeline
 * are sent without waiting (each finishes on its tagged response), the
 * others (STARTTLS, authentication, COMPRESS, ENABLE, SELECT, IDLE, LOGOUT)
 * wait for the commands before them and hold back the ones after them.
 *
 * Untagged responses go to the command they belong to; those that belong
 * to none (new mail, expunges, flag changes from other clients) are
 * emitted as signals: ::exists, ::expunge, ::vanished, ::fetch, ::alert,
 * ::bye. ::closed is emitted once when the session ends for any reason.
 *
 * A broken server (garbage, a literal over the bound, BYE in the middle of
 * a command, a connection cut) fails every pending command with one clear
 * error and closes the connection; later commands fail at once with it.
 *
 * Threads: a client belongs to the thread-default main context of the
 * thread that made it; use it only there (its timers run there, and the
 * async callbacks too when the calls are made there).
 *
 * Errors: KURIR_IMAP_ERROR (kurir-imap-error.h) for the protocol and the
 * server's NO/BAD; KURIR_NET_ERROR and KURIR_SASL_ERROR pass unchanged.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "kurir-connection.h"
#include "kurir-imap-data.h"
#include "kurir-imap-parser.h"

G_BEGIN_DECLS

/* Seconds between re-issued IDLE commands (RFC 2177: servers may drop an
 * IDLE after 30 minutes), and between NOOPs when the server has no IDLE. */
#define KURIR_IMAP_CLIENT_DEFAULT_IDLE_INTERVAL  (25 * 60)
#define KURIR_IMAP_CLIENT_DEFAULT_POLL_INTERVAL  (5 * 60)

/* The items a message list needs; the header fields are those a
 * threading view needs beyond the ENVELOPE. */
#define KURIR_IMAP_SUMMARY_ITEMS \
  "(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE " \
  "BODY.PEEK[HEADER.FIELDS (REFERENCES IN-REPLY-TO LIST-ID LIST-UNSUBSCRIBE)])"
#define KURIR_IMAP_SUMMARY_HEADER_SECTION \
  "BODY[HEADER.FIELDS (REFERENCES IN-REPLY-TO LIST-ID LIST-UNSUBSCRIBE)]"

typedef enum {
  KURIR_IMAP_CLIENT_STATE_DISCONNECTED,
  KURIR_IMAP_CLIENT_STATE_NOT_AUTHENTICATED,
  KURIR_IMAP_CLIENT_STATE_AUTHENTICATED,
  KURIR_IMAP_CLIENT_STATE_SELECTED,
  KURIR_IMAP_CLIENT_STATE_LOGOUT,
} KurirImapClientState;

/* What SELECT or EXAMINE reported. */
typedef struct {
  char       *name;             /* UTF-8, as asked */
  gboolean    read_only;        /* EXAMINE, or [READ-ONLY] */
  guint32     exists;
  guint32     recent;
  guint32     uidvalidity;      /* 0 when the server sent none */
  guint32     uidnext;          /* 0 when the server sent none */
  guint64     highestmodseq;    /* 0: no CONDSTORE, or [NOMODSEQ] */
  gboolean    nomodseq;
  GStrv       flags;            /* "* FLAGS", or NULL */
  GStrv       permanent_flags;  /* [PERMANENTFLAGS], or NULL */
  /* With QRESYNC: what changed since the modseq given, reported by the
   * server with the SELECT itself. */
  GArray     *vanished;         /* KurirImapRange of UIDs, never NULL */
  GPtrArray  *fetches;          /* KurirImapResponse (FETCH), never NULL */
} KurirImapMailbox;

void kurir_imap_mailbox_free (KurirImapMailbox *mailbox);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KurirImapMailbox, kurir_imap_mailbox_free)

/* The UIDPLUS result of COPY, MOVE ([COPYUID]) and APPEND ([APPENDUID]). */
typedef struct {
  guint32  uidvalidity;   /* of the destination; 0 when the server sent no code */
  GArray  *source_uids;   /* guint32, in the server's order; empty for APPEND */
  GArray  *dest_uids;     /* guint32, paired with source_uids */
} KurirImapCopyResult;

void kurir_imap_copy_result_free (KurirImapCopyResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KurirImapCopyResult, kurir_imap_copy_result_free)

/**
 * KurirImapFetchFunc:
 * @response: one FETCH response (a new reference is not given: ref it to
 *   keep it)
 *
 * Receives each FETCH response of a UID FETCH as it arrives, on the
 * client's main context, so a fetch of any number of messages holds only
 * one response at a time.
 */
typedef void (*KurirImapFetchFunc) (KurirImapResponse *response,
                                    gpointer           user_data);

typedef enum {
  KURIR_IMAP_STORE_ADD,
  KURIR_IMAP_STORE_REMOVE,
  KURIR_IMAP_STORE_REPLACE,
} KurirImapStoreAction;

#define KURIR_TYPE_IMAP_CLIENT (kurir_imap_client_get_type ())
G_DECLARE_FINAL_TYPE (KurirImapClient, kurir_imap_client, KURIR, IMAP_CLIENT, GObject)

KurirImapClient     *kurir_imap_client_new                     (KurirConnection      *connection);
KurirConnection     *kurir_imap_client_get_connection          (KurirImapClient      *self);

/* Options, before connecting */
void                 kurir_imap_client_set_allow_plaintext     (KurirImapClient      *self,
                                                                gboolean              allow);
/* NULL: the strongest offered; "LOGIN": the LOGIN command; else a SASL name. */
void                 kurir_imap_client_set_mechanism           (KurirImapClient      *self,
                                                                const char           *mechanism);
/* Capabilities to treat as absent ("MOVE", "COMPRESS=DEFLATE", ...). */
void                 kurir_imap_client_set_ignored_capabilities (KurirImapClient     *self,
                                                                const char * const   *capabilities);
/* Bounds of one literal and one response (default: the parser's). */
void                 kurir_imap_client_set_max_literal_size    (KurirImapClient      *self,
                                                                guint64               max_size);
/* Seconds a command may wait for the server's next byte (default: 60). */
void                 kurir_imap_client_set_timeout             (KurirImapClient      *self,
                                                                guint                 seconds);
void                 kurir_imap_client_set_idle_interval       (KurirImapClient      *self,
                                                                guint                 seconds);
void                 kurir_imap_client_set_poll_interval       (KurirImapClient      *self,
                                                                guint                 seconds);

/* State */
KurirImapClientState kurir_imap_client_get_state               (KurirImapClient      *self);
gboolean             kurir_imap_client_has_capability          (KurirImapClient      *self,
                                                                const char           *name);
/* Sorted, upper case, ignored ones left out. */
GStrv                kurir_imap_client_dup_capabilities        (KurirImapClient      *self);
gboolean             kurir_imap_client_is_enabled              (KurirImapClient      *self,
                                                                const char           *extension);
const char          *kurir_imap_client_get_greeting            (KurirImapClient      *self);
/* The SASL mechanism used, "LOGIN" for the LOGIN command, or NULL. */
const char          *kurir_imap_client_get_auth_mechanism      (KurirImapClient      *self);
/* The mailbox SELECT or EXAMINE opened, or NULL. */
const char          *kurir_imap_client_get_selected            (KurirImapClient      *self);
/* Messages in the selected mailbox, as EXISTS/EXPUNGE keep it. */
guint32              kurir_imap_client_get_exists              (KurirImapClient      *self);
gboolean             kurir_imap_client_is_idling               (KurirImapClient      *self);
/* Tagged commands sent so far (for tests: "nothing changed" costs one). */
guint                kurir_imap_client_get_n_commands          (KurirImapClient      *self);

/* Ends the session at once without LOGOUT: pending commands fail with
 * G_IO_ERROR_CLOSED. */
void                 kurir_imap_client_close                   (KurirImapClient      *self);

/* Greeting, STARTTLS as the connection's security says, capabilities. */
void                 kurir_imap_client_connect_async           (KurirImapClient      *self,
                                                                GCancellable         *cancellable,
                                                                GAsyncReadyCallback   callback,
                                                                gpointer              user_data);
gboolean             kurir_imap_client_connect_finish          (KurirImapClient      *self,
                                                                GAsyncResult         *result,
                                                                GError              **error);
void                 kurir_imap_client_authenticate_async      (KurirImapClient      *self,
                                                                const char           *username,
                                                                const char           *password,
                                                                GCancellable         *cancellable,
                                                                GAsyncReadyCallback   callback,
                                                                gpointer              user_data);
gboolean             kurir_imap_client_authenticate_finish     (KurirImapClient      *self,
                                                                GAsyncResult         *result,
                                                                GError              **error);
/* ENABLE of what a sync uses and the server offers: QRESYNC, CONDSTORE,
 * UTF8=ACCEPT. Succeeds (doing nothing) when none is offered. */
void                 kurir_imap_client_enable_async            (KurirImapClient      *self,
                                                                GCancellable         *cancellable,
                                                                GAsyncReadyCallback   callback,
                                                                gpointer              user_data);
gboolean             kurir_imap_client_enable_finish           (KurirImapClient      *self,
                                                                GAsyncResult         *result,
                                                                GError              **error);
/* COMPRESS=DEFLATE; *out_started FALSE when the server does not offer it. */
void                 kurir_imap_client_compress_async          (KurirImapClient      *self,
                                                                GCancellable         *cancellable,
                                                                GAsyncReadyCallback   callback,
                                                                gpointer              user_data);
gboolean             kurir_imap_client_compress_finish         (KurirImapClient      *self,
                                                                GAsyncResult         *result,
                                                                gboolean             *out_started,
                                                                GError              **error);
/* All folders: KurirImapListEntry, with special-use and subscription
 * flags when the server can say them. */
void                 kurir_imap_client_list_async              (KurirImapClient      *self,
                                                                GCancellable         *cancellable,
                                                                GAsyncReadyCallback   callback,
                                                                gpointer              user_data);
GPtrArray           *kurir_imap_client_list_finish             (KurirImapClient      *self,
                                                                GAsyncResult         *result,
                                                                GError              **error);
/* SELECT (or EXAMINE when read_only). With QRESYNC enabled and a known
 * uidvalidity and modseq (both non-zero), asks for the changes since then
 * (known_uids may be NULL); with CONDSTORE only, asks for modseqs. */
void                 kurir_imap_client_select_async            (KurirImapClient      *self,
                                                                const char           *mailbox,
                                                                gboolean              read_only,
                                                                guint32               uidvalidity,
                                                                guint64               modseq,
                                                                const guint32        *known_uids,
                                                                gsize                 n_known_uids,
                                                                GCancellable         *cancellable,
                                                                GAsyncReadyCallback   callback,
                                                                gpointer              user_data);
KurirImapMailbox    *kurir_imap_client_select_finish           (KurirImapClient      *self,
                                                                GAsyncResult         *result,
                                                                GError              **error);
/* UID FETCH uid_set items [(CHANGEDSINCE changedsince [VANISHED])].
 * uid_set: "1:*", "5,7:9" (see kurir_imap_sequence_set_from_uids());
 * items: "(UID FLAGS)", KURIR_IMAP_SUMMARY_ITEMS, ... Each FETCH goes to
 * func as it arrives. With vanished (needs QRESYNC), the UIDs expunged
 * since changedsince are returned by the finish function. */
void                 kurir_imap_client_fetch_async             (KurirImapClient      *self,
                                                                const char           *uid_set,
                                                                const char           *items,
                                                                guint64               changedsince,
                                                                gboolean              vanished,
                                                                KurirImapFetchFunc    func,
                                                                gpointer              func_data,
                                                                GDestroyNotify        func_data_destroy,
                                                                GCancellable         *cancellable,
                                                                GAsyncReadyCallback   callback,
                                                                gpointer              user_data);
/* TRUE on success; *out_vanished (KurirImapRange) when asked for. */
gboolean             kurir_imap_client_fetch_finish            (KurirImapClient      *self,
                                                                GAsyncResult         *result,
                                                                guint                *out_n_fetched,
                                                                GArray              **out_vanished,
                                                                GError              **error);
/* One message's BODY.PEEK[section] (section NULL: the whole message,
 * bytes exactly as the server holds them; "1.2": one part). */
void                 kurir_imap_client_fetch_body_async        (KurirImapClient      *self,
                                                                guint32               uid,
                                                                const char           *section,
                                                                GCancellable         *cancellable,
                                                                GAsyncReadyCallback   callback,
                                                                gpointer              user_data);
GBytes              *kurir_imap_client_fetch_body_finish       (KurirImapClient      *self,
                                                                GAsyncResult         *result,
                                                                GError              **error);
/* UID STORE uids [(UNCHANGEDSINCE n)] +FLAGS.SILENT/-FLAGS.SILENT/FLAGS.SILENT.
 * unchangedsince 0: none (needs CONDSTORE otherwise). The finish returns
 * the UIDs the server did not change ([MODIFIED]), possibly empty. */
void                 kurir_imap_client_store_async             (KurirImapClient      *self,
                                                                const guint32        *uids,
                                                                gsize                 n_uids,
                                                                KurirImapStoreAction  action,
                                                                const char * const   *flags,
                                                                guint64               unchangedsince,
                                                                GCancellable         *cancellable,
                                                                GAsyncReadyCallback   callback,
                                                                gpointer              user_data);
GArray              *kurir_imap_client_store_finish            (KurirImapClient      *self,
                                                                GAsyncResult         *result,
                                                                GError              **error);
void                 kurir_imap_client_copy_async              (KurirImapClient      *self,
                                                                const guint32        *uids,
                                                                gsize                 n_uids,
                                                                const char           *destination,
                                                                GCancellable         *cancellable,
                                                                GAsyncReadyCallback   callback,
                                                                gpointer              user_data);
KurirImapCopyResult *kurir_imap_client_copy_finish             (KurirImapClient      *self,
                                                                GAsyncResult         *result,
                                                                GError              **error);
/* UID MOVE when offered; else UID COPY, then UID STORE +FLAGS.SILENT
 * (\Deleted), then UID EXPUNGE of those UIDs only (needs UIDPLUS: without
 * it, KURIR_IMAP_ERROR_NOT_SUPPORTED and nothing is touched). */
void                 kurir_imap_client_move_async              (KurirImapClient      *self,
                                                                const guint32        *uids,
                                                                gsize                 n_uids,
                                                                const char           *destination,
                                                                GCancellable         *cancellable,
                                                                GAsyncReadyCallback   callback,
                                                                gpointer              user_data);
KurirImapCopyResult *kurir_imap_client_move_finish             (KurirImapClient      *self,
                                                                GAsyncResult         *result,
                                                                GError              **error);
/* STATUS (MESSAGES UIDNEXT UIDVALIDITY UNSEEN [HIGHESTMODSEQ]) of a
 * mailbox that is not selected: whether a sync has anything to do. */
void                 kurir_imap_client_status_async            (KurirImapClient      *self,
                                                                const char           *mailbox,
                                                                GCancellable         *cancellable,
                                                                GAsyncReadyCallback   callback,
                                                                gpointer              user_data);
KurirImapStatusData *kurir_imap_client_status_finish           (KurirImapClient      *self,
                                                                GAsyncResult         *result,
                                                                GError              **error);
/* UID EXPUNGE (UIDPLUS) of these UIDs only. */
void                 kurir_imap_client_expunge_async           (KurirImapClient      *self,
                                                                const guint32        *uids,
                                                                gsize                 n_uids,
                                                                GCancellable         *cancellable,
                                                                GAsyncReadyCallback   callback,
                                                                gpointer              user_data);
gboolean             kurir_imap_client_expunge_finish          (KurirImapClient      *self,
                                                                GAsyncResult         *result,
                                                                GError              **error);
/* flags and date may be NULL. */
void                 kurir_imap_client_append_async            (KurirImapClient      *self,
                                                                const char           *mailbox,
                                                                const char * const   *flags,
                                                                GDateTime            *date,
                                                                GBytes               *message,
                                                                GCancellable         *cancellable,
                                                                GAsyncReadyCallback   callback,
                                                                gpointer              user_data);
/* dest_uids holds the new UID when the server has UIDPLUS. */
KurirImapCopyResult *kurir_imap_client_append_finish           (KurirImapClient      *self,
                                                                GAsyncResult         *result,
                                                                GError              **error);

typedef enum {
  KURIR_IMAP_MAILBOX_OP_CREATE,
  KURIR_IMAP_MAILBOX_OP_DELETE,
  KURIR_IMAP_MAILBOX_OP_RENAME,
  KURIR_IMAP_MAILBOX_OP_SUBSCRIBE,
  KURIR_IMAP_MAILBOX_OP_UNSUBSCRIBE,
} KurirImapMailboxOp;

/* CREATE, DELETE, RENAME (to new_name), SUBSCRIBE, UNSUBSCRIBE. */
void                 kurir_imap_client_mailbox_op_async        (KurirImapClient      *self,
                                                                KurirImapMailboxOp    op,
                                                                const char           *mailbox,
                                                                const char           *new_name,
                                                                GCancellable         *cancellable,
                                                                GAsyncReadyCallback   callback,
                                                                gpointer              user_data);
gboolean             kurir_imap_client_mailbox_op_finish       (KurirImapClient      *self,
                                                                GAsyncResult         *result,
                                                                GError              **error);
void                 kurir_imap_client_noop_async              (KurirImapClient      *self,
                                                                GCancellable         *cancellable,
                                                                GAsyncReadyCallback   callback,
                                                                gpointer              user_data);
gboolean             kurir_imap_client_noop_finish             (KurirImapClient      *self,
                                                                GAsyncResult         *result,
                                                                GError              **error);
void                 kurir_imap_client_logout_async            (KurirImapClient      *self,
                                                                GCancellable         *cancellable,
                                                                GAsyncReadyCallback   callback,
                                                                gpointer              user_data);
gboolean             kurir_imap_client_logout_finish           (KurirImapClient      *self,
                                                                GAsyncResult         *result,
                                                                GError              **error);
/* Waits for changes to the selected mailbox: IDLE, re-issued every idle
 * interval; NOOP every poll interval when the server has no IDLE. Changes
 * arrive as signals. Finishes (TRUE) after kurir_imap_client_idle_stop(),
 * or when another command is asked for (the caller starts it again), or
 * with an error; cancelling ends it too (with G_IO_ERROR_CANCELLED). */
void                 kurir_imap_client_idle_async              (KurirImapClient      *self,
                                                                GCancellable         *cancellable,
                                                                GAsyncReadyCallback   callback,
                                                                gpointer              user_data);
gboolean             kurir_imap_client_idle_finish             (KurirImapClient      *self,
                                                                GAsyncResult         *result,
                                                                GError              **error);
void                 kurir_imap_client_idle_stop               (KurirImapClient      *self);

/* QUOTA (RFC 9208): one quota root and what it holds and allows; -1 where
 * the server did not report the resource. */
typedef struct {
  char    *root;
  gint64   storage_used;     /* STORAGE, in KiB (units of 1024 octets) */
  gint64   storage_limit;
  gint64   messages_used;    /* MESSAGE */
  gint64   messages_limit;
} KurirImapQuota;

void                 kurir_imap_quota_free                     (KurirImapQuota       *quota);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KurirImapQuota, kurir_imap_quota_free)

/* GETQUOTAROOT mailbox: KurirImapQuota per root, possibly none. */
void                 kurir_imap_client_get_quota_root_async    (KurirImapClient      *self,
                                                                const char           *mailbox,
                                                                GCancellable         *cancellable,
                                                                GAsyncReadyCallback   callback,
                                                                gpointer              user_data);
GPtrArray           *kurir_imap_client_get_quota_root_finish   (KurirImapClient      *self,
                                                                GAsyncResult         *result,
                                                                GError              **error);

G_END_DECLS
