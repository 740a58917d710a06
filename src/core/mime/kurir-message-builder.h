/* kurir-message-builder.h: new RFC 5322 messages (new, reply, forward),
 * built with GMime, and the preparation of a message for submission
 *
 * Every field is checked: CR or LF in a name or the subject is folded
 * into a space, an address with CR, LF, spaces or angle brackets is
 * refused (no header injection). Bcc goes only to the envelope
 * (kurir_message_builder_get_recipients()), never into the headers.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define KURIR_MESSAGE_BUILDER_ERROR (kurir_message_builder_error_quark ())

/* The codes say what the caller can do. */
typedef enum {
  KURIR_MESSAGE_BUILDER_ERROR_INVALID,   /* an address or field is not acceptable: fix it */
  KURIR_MESSAGE_BUILDER_ERROR_NO_RECIPIENT, /* nobody to send to: add a recipient */
  KURIR_MESSAGE_BUILDER_ERROR_IO,        /* an attachment could not be read */
} KurirMessageBuilderError;

GQuark kurir_message_builder_error_quark (void);

/* Lines of the text body are wrapped (format=flowed) before this width. */
#define KURIR_MESSAGE_BUILDER_WRAP 76
/* References kept in a reply: the first and the last ones (RFC 5322 3.6.4,
 * as Thunderbird trims). */
#define KURIR_MESSAGE_BUILDER_MAX_REFERENCES 20

typedef enum {
  KURIR_RECIPIENT_TO,
  KURIR_RECIPIENT_CC,
  KURIR_RECIPIENT_BCC,
} KurirRecipientKind;

typedef enum {
  KURIR_FORWARD_INLINE,
  KURIR_FORWARD_ATTACHMENT,
} KurirForwardMode;

#define KURIR_TYPE_MESSAGE_BUILDER (kurir_message_builder_get_type ())
G_DECLARE_FINAL_TYPE (KurirMessageBuilder, kurir_message_builder, KURIR, MESSAGE_BUILDER, GObject)

KurirMessageBuilder *kurir_message_builder_new            (void);

/* A reply to @original (its raw bytes) from @from_address: To is the
 * original's Reply-To, else From; with @all, Cc gets the other To and Cc
 * addresses, without @from_address. Subject "Re: …" without stacking,
 * In-Reply-To, References (trimmed), the text quoted under an
 * attribution line. */
KurirMessageBuilder *kurir_message_builder_new_reply      (GBytes               *original,
                                                           const char           *from_address,
                                                           gboolean              all,
                                                           GError              **error);
/* The same, for a person with several addresses (identities):
 * @own_addresses (NULL-terminated; the From address first) are never
 * recipients of Reply All, and a reply to a message one sent goes to its
 * recipients. */
KurirMessageBuilder *kurir_message_builder_new_reply_from (GBytes              *original,
                                                           const char * const  *own_addresses,
                                                           gboolean             all,
                                                           GError             **error);
/* Which of @addresses (NULL-terminated) @original was sent to: To and Cc
 * first, then Delivered-To, X-Original-To and Envelope-To.
 * Returns: its index, or -1. */
int                  kurir_message_builder_find_recipient (GBytes              *original,
                                                           const char * const  *addresses);
/* A forward of @original: "Fwd: …"; inline (the headers and text in the
 * body) or as a message/rfc822 attachment. */
KurirMessageBuilder *kurir_message_builder_new_forward    (GBytes               *original,
                                                           KurirForwardMode      mode,
                                                           GError              **error);

/* A draft saved by kurir_message_builder_build_draft() (or any message),
 * to continue: addresses (Bcc too), subject, the text body unflowed,
 * In-Reply-To, References, Message-ID and attachments. */
KurirMessageBuilder *kurir_message_builder_new_from_draft (GBytes               *draft,
                                                           GError              **error);
/* An independent copy (attachment bytes shared, they are immutable), to
 * build in a worker thread while the original is still edited. */
KurirMessageBuilder *kurir_message_builder_copy           (KurirMessageBuilder  *self);

void          kurir_message_builder_set_from             (KurirMessageBuilder  *self,
                                                          const char           *name,
                                                          const char           *address);
void          kurir_message_builder_set_reply_to         (KurirMessageBuilder  *self,
                                                          const char           *address);
/* Adds one address, or a list as a user types it ("A <a@x>, b@y").
 * Returns: FALSE (nothing added) when a part is not an address. */
gboolean      kurir_message_builder_add_recipients       (KurirMessageBuilder  *self,
                                                          KurirRecipientKind    kind,
                                                          const char           *text,
                                                          GError              **error);
void          kurir_message_builder_clear_recipients     (KurirMessageBuilder  *self,
                                                          KurirRecipientKind    kind);
/* "Name <addr>, …" of one kind, for showing in an entry; never NULL. */
char         *kurir_message_builder_format_recipients    (KurirMessageBuilder  *self,
                                                          KurirRecipientKind    kind);
void          kurir_message_builder_set_subject          (KurirMessageBuilder  *self,
                                                          const char           *subject);
const char   *kurir_message_builder_get_subject          (KurirMessageBuilder  *self);
/* The body as typed (UTF-8, LF line ends). */
void          kurir_message_builder_set_body             (KurirMessageBuilder  *self,
                                                          const char           *text);
const char   *kurir_message_builder_get_body             (KurirMessageBuilder  *self);
/* Without angle brackets. */
void          kurir_message_builder_set_in_reply_to      (KurirMessageBuilder  *self,
                                                          const char           *message_id);
const char   *kurir_message_builder_get_in_reply_to      (KurirMessageBuilder  *self);
void          kurir_message_builder_set_references       (KurirMessageBuilder  *self,
                                                          const char * const   *references);
/* Default: now. */
void          kurir_message_builder_set_date             (KurirMessageBuilder  *self,
                                                          GDateTime            *date);
/* Without angle brackets; default: a new one at the From address's domain. */
void          kurir_message_builder_set_message_id       (KurirMessageBuilder  *self,
                                                          const char           *message_id);
const char   *kurir_message_builder_get_message_id       (KurirMessageBuilder  *self);
/* Whether a non-ASCII text body with short lines goes as 8bit (the
 * default) rather than quoted-printable. */
void          kurir_message_builder_set_8bit             (KurirMessageBuilder  *self,
                                                          gboolean              allowed);
/* @content_type NULL: guessed from the name and bytes. */
void          kurir_message_builder_add_attachment       (KurirMessageBuilder  *self,
                                                          const char           *filename,
                                                          const char           *content_type,
                                                          GBytes               *data);
/* Reads @file (blocking: call it from a worker thread). */
gboolean      kurir_message_builder_add_attachment_file  (KurirMessageBuilder  *self,
                                                          GFile                *file,
                                                          GCancellable         *cancellable,
                                                          GError              **error);
/* A whole message attached as message/rfc822. */
void          kurir_message_builder_add_message_attachment (KurirMessageBuilder *self,
                                                          GBytes               *message,
                                                          const char           *filename);
guint         kurir_message_builder_get_n_attachments    (KurirMessageBuilder  *self);
const char   *kurir_message_builder_get_attachment_name  (KurirMessageBuilder  *self,
                                                          guint                 index);
void          kurir_message_builder_remove_attachment    (KurirMessageBuilder  *self,
                                                          guint                 index);

/* The envelope recipients: To, Cc and Bcc addresses, each once.
 * Returns: (transfer full): NULL-terminated. */
char        **kurir_message_builder_get_recipients       (KurirMessageBuilder  *self);

/* The message, CRLF line ends. Fails without a From address. A draft may
 * have no recipient; kurir_message_builder_build() for sending needs one. */
GBytes       *kurir_message_builder_build                (KurirMessageBuilder  *self,
                                                          GError              **error);
GBytes       *kurir_message_builder_build_draft          (KurirMessageBuilder  *self,
                                                          GError              **error);

/* Helpers. */
/* "Re: " + @subject without its reply/forward prefixes ("Re:", "RE:",
 * "Aw:", "SV:", "Fwd:", "Fw:", "[n]" counts): "Re: Re: x" → "Re: x". */
char         *kurir_message_builder_reply_subject        (const char           *subject);
char         *kurir_message_builder_forward_subject      (const char           *subject);
/* "On DATE, NAME wrote:\n" then @text with "> " before each line. */
char         *kurir_message_builder_quote                (const char           *text,
                                                          const char           *name,
                                                          gint64                date);
/* The References of a reply to a message with @references, @in_reply_to
 * and @message_id (each without <>): trimmed to the first and the last
 * ones. Returns: (transfer full): NULL-terminated. */
char        **kurir_message_builder_reply_references     (const char * const   *references,
                                                          const char           *in_reply_to,
                                                          const char           *message_id);
/* @text as format=flowed (RFC 3676) lines, LF line ends: wrapped at
 * KURIR_MESSAGE_BUILDER_WRAP, trailing spaces of hard breaks removed,
 * space-stuffed. */
char         *kurir_message_builder_flow                 (const char           *text);

/* The text of a format=flowed body (RFC 3676) as typed: soft line
 * breaks joined, space-stuffing removed. */
char         *kurir_message_builder_unflow               (const char           *text);

/* The line that starts a signature (RFC 3676 4.3). */
#define KURIR_MESSAGE_BUILDER_SIGNATURE_SEPARATOR "-- \n"

/* @text with the signature block "-- \n@old_signature" at its end replaced
 * by "-- \n@new_signature" (removed when @new_signature is NULL or empty;
 * added at the end when @old_signature is NULL or empty, after a blank
 * line in an empty text). A block the person edited is theirs: @text
 * comes back unchanged. Everything above the block is kept as it is. */
char         *kurir_message_builder_swap_signature       (const char           *text,
                                                          const char           *old_signature,
                                                          const char           *new_signature);

/* @message for a server without 8BITMIME: its 8bit and binary parts
 * re-encoded (quoted-printable for text, base64 otherwise), at any depth;
 * the same bytes when its body is 7-bit already. Header bytes are not
 * touched (8-bit headers need SMTPUTF8, RFC 6532). */
GBytes       *kurir_message_builder_to_7bit              (GBytes               *message,
                                                          GError              **error);

/* A prepared message for submission: its envelope recipients (To, Cc,
 * Bcc, Resent-* ignored) and a copy without Bcc fields, with a
 * Message-ID and Date added when missing (@domain: for the Message-ID).
 * The rest of the bytes is left exactly as it was. */
GBytes       *kurir_message_builder_prepare              (GBytes               *message,
                                                          const char           *domain,
                                                          char               ***out_recipients,
                                                          char                **out_message_id,
                                                          GError              **error);

G_END_DECLS
