/* kurir-imap-command.h: building IMAP commands safely
 *
 * A command is built from typed arguments; strings are sent as atoms,
 * quoted strings or literals as their bytes require, so no argument can
 * break out of its place (no CR/LF injection). The result is a list of
 * chunks to write in order; after a chunk marked wait_continuation the
 * client must wait for the server's "+" (a synchronising literal).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Quoted strings longer than this become literals. */
#define KURIR_IMAP_MAX_QUOTED_LENGTH  1024
/* LITERAL- (RFC 7888) allows non-synchronising literals up to this size. */
#define KURIR_IMAP_LITERAL_MINUS_MAX  4096

typedef enum {
  KURIR_IMAP_LITERAL_SYNC,    /* {N}: wait for "+" before the bytes */
  KURIR_IMAP_LITERAL_PLUS,    /* LITERAL+: {N+} always */
  KURIR_IMAP_LITERAL_MINUS,   /* LITERAL-: {N+} up to 4096 bytes, {N} above */
} KurirImapLiteralMode;

typedef struct {
  GBytes   *data;
  gboolean  wait_continuation;  /* after writing it, wait for "+" */
  gboolean  sensitive;          /* carries a credential: the wire log shows "***" */
} KurirImapChunk;

void              kurir_imap_chunk_free                 (KurirImapChunk   *chunk);

typedef struct _KurirImapCommand KurirImapCommand;

/* "A0001", "A0002", ... for serial 1, 2, ...; more digits past 9999. */
char             *kurir_imap_make_tag                   (guint             serial);
/* Sorted, de-duplicated UIDs compressed into ranges: "1:5,7,9:12". UIDs
 * of 0 are dropped; NULL when none is left. */
char             *kurir_imap_sequence_set_from_uids     (const guint32    *uids,
                                                         gsize             n_uids);

/* name: one or more atoms, "UID FETCH". Argument errors are kept and
 * reported by kurir_imap_command_build(). */
KurirImapCommand *kurir_imap_command_new                (const char       *tag,
                                                         const char       *name);
void              kurir_imap_command_free               (KurirImapCommand *self);
const char       *kurir_imap_command_get_tag            (KurirImapCommand *self);
void              kurir_imap_command_set_literal_mode   (KurirImapCommand *self,
                                                         KurirImapLiteralMode mode);
/* UTF8=ACCEPT enabled or IMAP4rev2: quoted strings may carry UTF-8 and
 * mailbox names are sent as UTF-8. */
void              kurir_imap_command_set_utf8           (KurirImapCommand *self,
                                                         gboolean          utf8);

void              kurir_imap_command_add_atom           (KurirImapCommand *self,
                                                         const char       *atom);
void              kurir_imap_command_add_number         (KurirImapCommand *self,
                                                         guint64           number);
/* An atom when it can be one, else quoted, else a literal. */
void              kurir_imap_command_add_astring        (KurirImapCommand *self,
                                                         const char       *text);
/* Quoted or a literal, never an atom (SEARCH keys, passwords). */
void              kurir_imap_command_add_string         (KurirImapCommand *self,
                                                         const char       *text);
/* A credential: like add_string, and its chunk is marked sensitive. */
void              kurir_imap_command_add_secret         (KurirImapCommand *self,
                                                         const char       *text);
/* A credential that the grammar wants as an atom, such as a SASL-IR
 * initial response in base64 (RFC 4959); its chunk is marked sensitive. */
void              kurir_imap_command_add_secret_atom    (KurirImapCommand *self,
                                                         const char       *atom);
/* Always a literal (APPEND); binary: literal8 ~{N} (RFC 3516), which may
 * hold NUL bytes. The bytes are not copied. */
void              kurir_imap_command_add_literal        (KurirImapCommand *self,
                                                         GBytes           *bytes,
                                                         gboolean          binary);
/* A UTF-8 mailbox name, encoded as the server expects. */
void              kurir_imap_command_add_mailbox        (KurirImapCommand *self,
                                                         const char       *name);
void              kurir_imap_command_add_sequence_set   (KurirImapCommand *self,
                                                         const guint32    *uids,
                                                         gsize             n_uids);
/* "(\\Seen $Forwarded)"; each flag a system flag or a keyword atom. */
void              kurir_imap_command_add_flag_list      (KurirImapCommand *self,
                                                         const char * const *flags);
/* Trusted syntax such as "(UID FLAGS BODY.PEEK[HEADER.FIELDS (FROM)])":
 * printable ASCII only. */
void              kurir_imap_command_add_raw            (KurirImapCommand *self,
                                                         const char       *syntax);
void              kurir_imap_command_open_list          (KurirImapCommand *self);
void              kurir_imap_command_close_list         (KurirImapCommand *self);

/* The chunks to send (KurirImapChunk), the last one ending in CRLF; or
 * NULL and KURIR_IMAP_ERROR_INVALID_ARGUMENT naming the bad argument. */
GPtrArray        *kurir_imap_command_build              (KurirImapCommand *self,
                                                         GError          **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KurirImapCommand, kurir_imap_command_free)

G_END_DECLS
