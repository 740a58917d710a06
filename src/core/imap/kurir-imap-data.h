/* kurir-imap-data.h: typed views of the responses a client handles: FETCH
 * items, ENVELOPE, BODYSTRUCTURE, LIST, STATUS, SEARCH, ESEARCH, VANISHED,
 * CAPABILITY, FLAGS, and the UIDPLUS response codes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "kurir-imap-parser.h"

G_BEGIN_DECLS

/* Sequence sets */

typedef struct {
  guint32 first;
  guint32 last;   /* >= first; "*" is G_MAXUINT32 */
} KurirImapRange;

/* "1:5,7,9:*" to an array of KurirImapRange, as sent (not merged). */
GArray   *kurir_imap_sequence_set_parse  (const char  *set,
                                          GError     **error);
/* The UIDs of ranges, in order, or NULL and KURIR_IMAP_ERROR_TOO_LARGE
 * when there would be more than max_count (a server's "1:4294967295"). */
GArray   *kurir_imap_ranges_expand       (GArray      *ranges,
                                          guint        max_count,
                                          GError     **error);

/* CAPABILITY, ENABLED, and [CAPABILITY ...] codes */

/* The capabilities in upper case, or NULL when the response carries none. */
GStrv     kurir_imap_response_dup_capabilities (const KurirImapResponse *self);
/* "* FLAGS (...)" or a [PERMANENTFLAGS (...)] code, as sent; or NULL. */
GStrv     kurir_imap_response_dup_flags        (const KurirImapResponse *self);

/* LIST and LSUB */

typedef enum {
  KURIR_IMAP_MAILBOX_NOSELECT        = 1 << 0,
  KURIR_IMAP_MAILBOX_NOINFERIORS     = 1 << 1,
  KURIR_IMAP_MAILBOX_HAS_CHILDREN    = 1 << 2,
  KURIR_IMAP_MAILBOX_HAS_NO_CHILDREN = 1 << 3,
  KURIR_IMAP_MAILBOX_MARKED          = 1 << 4,
  KURIR_IMAP_MAILBOX_UNMARKED        = 1 << 5,
  KURIR_IMAP_MAILBOX_NONEXISTENT     = 1 << 6,
  KURIR_IMAP_MAILBOX_SUBSCRIBED      = 1 << 7,
  KURIR_IMAP_MAILBOX_REMOTE          = 1 << 8,
  KURIR_IMAP_MAILBOX_INBOX           = 1 << 9,
  /* RFC 6154 SPECIAL-USE, and Gmail's older XLIST names mapped to them */
  KURIR_IMAP_MAILBOX_ALL             = 1 << 10,
  KURIR_IMAP_MAILBOX_ARCHIVE         = 1 << 11,
  KURIR_IMAP_MAILBOX_DRAFTS          = 1 << 12,
  KURIR_IMAP_MAILBOX_FLAGGED         = 1 << 13,
  KURIR_IMAP_MAILBOX_JUNK            = 1 << 14,
  KURIR_IMAP_MAILBOX_SENT            = 1 << 15,
  KURIR_IMAP_MAILBOX_TRASH           = 1 << 16,
  KURIR_IMAP_MAILBOX_IMPORTANT       = 1 << 17,
} KurirImapMailboxFlags;

typedef struct {
  KurirImapMailboxFlags  flags;
  GStrv                  attributes;  /* as sent: "\\HasNoChildren", "\\Sent", ... */
  char                   delimiter;   /* '\0' for NIL (a flat namespace) */
  char                  *raw_name;    /* as on the wire; "INBOX" in any case becomes "INBOX" */
  char                  *name;        /* UTF-8, or NULL when raw_name could not be decoded */
  GError                *name_error;  /* why name is NULL */
} KurirImapListEntry;

KurirImapListEntry *kurir_imap_list_entry_parse (const KurirImapResponse *self,
                                                 gboolean                 utf8_accept,
                                                 GError                 **error);
void                kurir_imap_list_entry_free  (KurirImapListEntry      *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KurirImapListEntry, kurir_imap_list_entry_free)

/* STATUS */

typedef enum {
  KURIR_IMAP_STATUS_ITEM_MESSAGES      = 1 << 0,
  KURIR_IMAP_STATUS_ITEM_RECENT        = 1 << 1,
  KURIR_IMAP_STATUS_ITEM_UIDNEXT       = 1 << 2,
  KURIR_IMAP_STATUS_ITEM_UIDVALIDITY   = 1 << 3,
  KURIR_IMAP_STATUS_ITEM_UNSEEN        = 1 << 4,
  KURIR_IMAP_STATUS_ITEM_DELETED       = 1 << 5,
  KURIR_IMAP_STATUS_ITEM_SIZE          = 1 << 6,
  KURIR_IMAP_STATUS_ITEM_HIGHESTMODSEQ = 1 << 7,
} KurirImapStatusItems;

typedef struct {
  char                 *raw_name;
  char                 *name;         /* NULL when raw_name could not be decoded */
  KurirImapStatusItems  present;
  guint32               messages;
  guint32               recent;
  guint32               uidnext;
  guint32               uidvalidity;
  guint32               unseen;
  guint32               deleted;
  guint64               size;
  guint64               highestmodseq;
} KurirImapStatusData;

KurirImapStatusData *kurir_imap_status_data_parse (const KurirImapResponse *self,
                                                   gboolean                 utf8_accept,
                                                   GError                 **error);
void                 kurir_imap_status_data_free  (KurirImapStatusData     *data);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KurirImapStatusData, kurir_imap_status_data_free)

/* SEARCH, ESEARCH, VANISHED */

/* "* SEARCH 2 84 882 (MODSEQ 917162500)": the numbers (guint32) and the
 * MODSEQ, 0 when none. */
GArray   *kurir_imap_response_parse_search   (const KurirImapResponse *self,
                                              guint64                 *out_modseq,
                                              GError                 **error);

typedef enum {
  KURIR_IMAP_ESEARCH_MIN    = 1 << 0,
  KURIR_IMAP_ESEARCH_MAX    = 1 << 1,
  KURIR_IMAP_ESEARCH_COUNT  = 1 << 2,
  KURIR_IMAP_ESEARCH_ALL    = 1 << 3,
  KURIR_IMAP_ESEARCH_MODSEQ = 1 << 4,
} KurirImapEsearchItems;

typedef struct {
  char                  *tag;      /* the command's tag, or NULL */
  gboolean               uid;
  KurirImapEsearchItems  present;
  guint32                min;
  guint32                max;
  guint32                count;
  guint64                modseq;
  GArray                *all;      /* KurirImapRange, or NULL */
} KurirImapEsearch;

KurirImapEsearch *kurir_imap_esearch_parse (const KurirImapResponse *self,
                                            GError                 **error);
void              kurir_imap_esearch_free  (KurirImapEsearch        *esearch);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KurirImapEsearch, kurir_imap_esearch_free)

/* "* VANISHED (EARLIER) 300:310,405,411": KurirImapRange of UIDs. */
GArray   *kurir_imap_response_parse_vanished (const KurirImapResponse *self,
                                              gboolean                *out_earlier,
                                              GError                 **error);

/* UIDPLUS: [APPENDUID uidvalidity uids] and [COPYUID uidvalidity from to] */
gboolean  kurir_imap_response_parse_appenduid (const KurirImapResponse *self,
                                               guint32                 *out_uidvalidity,
                                               GArray                 **out_uids,
                                               GError                 **error);
gboolean  kurir_imap_response_parse_copyuid   (const KurirImapResponse *self,
                                               guint32                 *out_uidvalidity,
                                               GArray                 **out_from,
                                               GArray                 **out_to,
                                               GError                 **error);

/* FETCH */

typedef struct {
  char                 *name;     /* "UID", "FLAGS", "BODY[1.2]", "BODY[HEADER.FIELDS (FROM)]" */
  char                 *section;  /* "1.2", or NULL when the name has no brackets */
  gint64                origin;   /* the <N> of a partial fetch, -1 when none */
  const KurirImapValue *value;
} KurirImapFetchItem;

guint                     kurir_imap_response_get_n_fetch_items (const KurirImapResponse *self);
const KurirImapFetchItem *kurir_imap_response_get_fetch_item    (const KurirImapResponse *self,
                                                                 guint                    index);
/* The item named like a FETCH request names it: case, spacing,
 * BODY.PEEK and a partial <0.100> do not matter. NULL when absent. */
const KurirImapFetchItem *kurir_imap_response_lookup_fetch      (const KurirImapResponse *self,
                                                                 const char              *name);
gboolean   kurir_imap_response_get_fetch_uid          (const KurirImapResponse *self,
                                                       guint32                 *out_uid);
gboolean   kurir_imap_response_get_fetch_size         (const KurirImapResponse *self,
                                                       guint64                 *out_size);
gboolean   kurir_imap_response_get_fetch_modseq       (const KurirImapResponse *self,
                                                       guint64                 *out_modseq);
GStrv      kurir_imap_response_dup_fetch_flags        (const KurirImapResponse *self);
GDateTime *kurir_imap_response_dup_fetch_internaldate (const KurirImapResponse *self);
/* The bytes of BODY[...], BINARY[...], RFC822...: NULL when absent or NIL
 * (then *out_present tells which). */
GBytes    *kurir_imap_response_dup_fetch_body         (const KurirImapResponse *self,
                                                       const char              *name,
                                                       gboolean                *out_present);

/* "17-Jul-1996 02:44:25 -0700" */
GDateTime *kurir_imap_parse_date_time                 (const char              *text);

/* ENVELOPE */

typedef struct {
  char *name;      /* display name, RFC 2047 decoded, or NULL */
  char *mailbox;   /* local part */
  char *host;
  char *address;   /* mailbox@host, or mailbox alone */
  char *group;     /* the group it was listed in, or NULL */
} KurirImapAddress;

typedef struct {
  char       *date_raw;
  GDateTime  *date;          /* NULL when date_raw does not parse */
  char       *subject;       /* decoded, valid UTF-8, or NULL */
  GPtrArray  *from;          /* KurirImapAddress, never NULL */
  GPtrArray  *sender;
  GPtrArray  *reply_to;
  GPtrArray  *to;
  GPtrArray  *cc;
  GPtrArray  *bcc;
  char       *in_reply_to;
  char       *message_id;
} KurirImapEnvelope;

KurirImapEnvelope *kurir_imap_envelope_parse (const KurirImapValue *value,
                                              GError              **error);
void               kurir_imap_envelope_free  (KurirImapEnvelope    *envelope);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KurirImapEnvelope, kurir_imap_envelope_free)

/* BODYSTRUCTURE and BODY */

typedef struct _KurirImapBodyPart KurirImapBodyPart;
struct _KurirImapBodyPart {
  char              *section;      /* "1", "1.2"; "" for a multipart message's top */
  char              *type;         /* lower case: "text", "multipart", ... */
  char              *subtype;      /* lower case: "plain", "alternative", ... */
  GHashTable        *params;       /* lower-case name -> value (charset, boundary, name) */
  char              *id;
  char              *description;
  char              *encoding;     /* lower case, or NULL */
  guint64            size;
  guint64            lines;
  char              *disposition;  /* lower case: "attachment", "inline", or NULL */
  GHashTable        *disposition_params;
  KurirImapEnvelope *envelope;     /* message/rfc822 */
  GPtrArray         *children;     /* KurirImapBodyPart, never NULL */
};

KurirImapBodyPart *kurir_imap_body_part_parse (const KurirImapValue *value,
                                               GError              **error);
void               kurir_imap_body_part_free  (KurirImapBodyPart    *part);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KurirImapBodyPart, kurir_imap_body_part_free)

G_END_DECLS
