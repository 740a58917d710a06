/* kurir-imap-parser.h: an incremental parser of IMAP4rev1/IMAP4rev2
 * responses (RFC 3501, RFC 9051) and a small tree for what they carry
 *
 * Feed it bytes as they come off the wire, in any chunks; take complete
 * responses out with kurir_imap_parser_next(). Everything is bounded: line
 * length, literal size, response size, list depth and number of values.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define KURIR_IMAP_DEFAULT_MAX_LINE_LENGTH   (16 * 1024 * 1024)
#define KURIR_IMAP_DEFAULT_MAX_LITERAL_SIZE  (64 * 1024 * 1024)
#define KURIR_IMAP_DEFAULT_MAX_RESPONSE_SIZE (128 * 1024 * 1024)
#define KURIR_IMAP_DEFAULT_MAX_DEPTH         64
#define KURIR_IMAP_DEFAULT_MAX_VALUES        (1024 * 1024)

/* Values */

typedef enum {
  KURIR_IMAP_VALUE_NIL,
  KURIR_IMAP_VALUE_ATOM,     /* also flags (\Seen), FETCH item names (BODY[1]<0>), sequence sets */
  KURIR_IMAP_VALUE_NUMBER,   /* an atom of digits that fits 64 bits */
  KURIR_IMAP_VALUE_STRING,   /* a quoted string, unescaped */
  KURIR_IMAP_VALUE_LITERAL,  /* {N} or literal8 ~{N}: bytes */
  KURIR_IMAP_VALUE_LIST,     /* ( ... ) */
} KurirImapValueKind;

/* Owned by its response; valid as long as the response is. Reading a
 * response is not thread-safe (strings of numbers and literals are made on
 * first use): read it from one thread at a time. */
typedef struct _KurirImapValue KurirImapValue;

KurirImapValueKind    kurir_imap_value_get_kind         (const KurirImapValue *value);
gboolean              kurir_imap_value_is_nil           (const KurirImapValue *value);
/* TRUE for a number; *out_number is set. */
gboolean              kurir_imap_value_get_number       (const KurirImapValue *value,
                                                         guint64              *out_number);
/* The text of an atom, number, quoted string or literal (NULL for NIL, a
 * list, or a literal that holds a NUL byte). Not checked for UTF-8. */
const char           *kurir_imap_value_get_string       (const KurirImapValue *value);
/* The bytes of a string, literal or atom (a new reference; a literal's
 * bytes are shared with the response, not copied), or NULL (NIL, list,
 * number). */
GBytes               *kurir_imap_value_dup_bytes        (const KurirImapValue *value);
gboolean              kurir_imap_value_is_literal8      (const KurirImapValue *value);
/* Case-insensitive comparison of an atom with name. */
gboolean              kurir_imap_value_is_atom          (const KurirImapValue *value,
                                                         const char           *name);
guint                 kurir_imap_value_get_n_children   (const KurirImapValue *value);
const KurirImapValue *kurir_imap_value_get_child        (const KurirImapValue *value,
                                                         guint                 index);
/* A canonical one-line form for logs and tests: atoms bare, strings quoted,
 * literals as {N}"escaped", lists in parentheses. */
char                 *kurir_imap_value_to_string        (const KurirImapValue *value);

/* Responses */

typedef enum {
  KURIR_IMAP_RESPONSE_UNTAGGED,      /* "* ..." */
  KURIR_IMAP_RESPONSE_TAGGED,        /* "A0001 OK ..." */
  KURIR_IMAP_RESPONSE_CONTINUATION,  /* "+ ..." */
} KurirImapResponseKind;

typedef enum {
  KURIR_IMAP_STATUS_NONE,   /* a data response or a continuation */
  KURIR_IMAP_STATUS_OK,
  KURIR_IMAP_STATUS_NO,
  KURIR_IMAP_STATUS_BAD,
  KURIR_IMAP_STATUS_BYE,
  KURIR_IMAP_STATUS_PREAUTH,
} KurirImapStatus;

typedef struct _KurirImapResponse KurirImapResponse;

#define KURIR_TYPE_IMAP_RESPONSE (kurir_imap_response_get_type ())
GType                 kurir_imap_response_get_type      (void) G_GNUC_CONST;
KurirImapResponse    *kurir_imap_response_ref           (KurirImapResponse *self);
void                  kurir_imap_response_unref         (KurirImapResponse *self);

KurirImapResponseKind kurir_imap_response_get_kind      (const KurirImapResponse *self);
/* The tag of a tagged response, else NULL. */
const char           *kurir_imap_response_get_tag       (const KurirImapResponse *self);
KurirImapStatus       kurir_imap_response_get_status    (const KurirImapResponse *self);
/* The keyword in upper case: "OK", "BYE", "FETCH", "EXISTS", "LIST", ...;
 * NULL for a continuation. */
const char           *kurir_imap_response_get_name      (const KurirImapResponse *self);
/* The number of "* 12 EXISTS", "* 3 FETCH (...)". */
gboolean              kurir_imap_response_get_number    (const KurirImapResponse *self,
                                                         guint32                 *out_number);
/* The human-readable text of a status response or a continuation ("" when
 * the server sent none). */
const char           *kurir_imap_response_get_text      (const KurirImapResponse *self);
/* The response code in brackets, upper case ("UIDNEXT", "ALERT"), or NULL. */
const char           *kurir_imap_response_get_code      (const KurirImapResponse *self);
/* The code's arguments as a list (may be empty), or NULL when they do not
 * parse as values (then only the raw text is kept). */
const KurirImapValue *kurir_imap_response_get_code_args (const KurirImapResponse *self);
/* The code's arguments as raw text ("" when none). */
const char           *kurir_imap_response_get_code_text (const KurirImapResponse *self);
/* The single numeric argument of UIDNEXT, UIDVALIDITY, UNSEEN, HIGHESTMODSEQ... */
gboolean              kurir_imap_response_get_code_number (const KurirImapResponse *self,
                                                           guint64                 *out_number);
/* A data response's values after the keyword, as a list; NULL for status
 * responses, continuations, and unknown responses kept only as text. */
const KurirImapValue *kurir_imap_response_get_data      (const KurirImapResponse *self);
/* The response exactly as received, literals included (not a new reference). */
GBytes               *kurir_imap_response_get_raw       (const KurirImapResponse *self);
/* A canonical one-line form for logs and tests. */
char                 *kurir_imap_response_to_string     (const KurirImapResponse *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KurirImapResponse, kurir_imap_response_unref)

/* The parser */

#define KURIR_TYPE_IMAP_PARSER (kurir_imap_parser_get_type ())
G_DECLARE_FINAL_TYPE (KurirImapParser, kurir_imap_parser, KURIR, IMAP_PARSER, GObject)

KurirImapParser      *kurir_imap_parser_new                   (void);
void                  kurir_imap_parser_set_max_line_length   (KurirImapParser *self,
                                                               gsize            max_length);
void                  kurir_imap_parser_set_max_literal_size  (KurirImapParser *self,
                                                               guint64          max_size);
void                  kurir_imap_parser_set_max_response_size (KurirImapParser *self,
                                                               guint64          max_size);
void                  kurir_imap_parser_set_max_depth         (KurirImapParser *self,
                                                               guint            max_depth);
void                  kurir_imap_parser_set_max_values        (KurirImapParser *self,
                                                               guint            max_values);
void                  kurir_imap_parser_feed                  (KurirImapParser *self,
                                                               const char      *data,
                                                               gsize            length);
/* TRUE and *out set when a complete response is available; FALSE without
 * an error when more bytes are needed; FALSE with an error when the server
 * broke the protocol or a bound. After an error the parser keeps failing:
 * drop the connection. */
gboolean              kurir_imap_parser_next                  (KurirImapParser    *self,
                                                               KurirImapResponse **out,
                                                               GError            **error);
/* Call at the end of the stream, after next() returned FALSE: an error
 * (KURIR_IMAP_ERROR_CLOSED) when it ended inside a response. */
gboolean              kurir_imap_parser_finish                (KurirImapParser  *self,
                                                               GError          **error);
/* Bytes fed but not yet returned as responses. */
gsize                 kurir_imap_parser_get_pending           (KurirImapParser *self);

G_END_DECLS
