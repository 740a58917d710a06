/* kurir-composer.h: the window where a message is written: new, reply,
 * reply all, forward, a draft continued, or a mailto: link
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "kurir-account.h"
#include "kurir-message-builder.h"
#include "kurir-store.h"

G_BEGIN_DECLS

/* Drafts are saved this long after the last change, and on close. */
#define KURIR_COMPOSER_AUTOSAVE_SECONDS 5

#define KURIR_TYPE_COMPOSER (kurir_composer_get_type ())
G_DECLARE_FINAL_TYPE (KurirComposer, kurir_composer, KURIR, COMPOSER, AdwApplicationWindow)

/* @accounts: (element-type KurirAccount): From offers every identity of
 * those that can send (have an SMTP server; all of them when none can);
 * @account: its primary identity is chosen first (NULL: the first one).
 * A new message starts with the identity's signature under "-- ". */
KurirComposer *kurir_composer_new             (GtkApplication     *application,
                                               KurirStore         *store,
                                               GPtrArray          *accounts,
                                               KurirAccount       *account);

/* Fill it in (call one, once, before showing it). @original: the raw
 * message replied to or forwarded. A reply is sent from the identity the
 * original was addressed to (To, Cc, then Delivered-To), else from the
 * account's primary identity; Reply All leaves out every identity's
 * address; the signature goes below the quote. */
void           kurir_composer_start_reply     (KurirComposer      *self,
                                               GBytes             *original,
                                               gboolean            all);
void           kurir_composer_start_forward   (KurirComposer      *self,
                                               GBytes             *original,
                                               KurirForwardMode    mode);
/* A saved draft (@id in the store): saving again replaces it. */
void           kurir_composer_open_draft      (KurirComposer      *self,
                                               gint64              id,
                                               GBytes             *draft);
/* to, cc, bcc, subject and body of a mailto: URI (RFC 6068); other
 * parameters (attach=, ...) are ignored. Returns: FALSE if it is not one. */
gboolean       kurir_composer_fill_mailto     (KurirComposer      *self,
                                               const char         *uri);

/* What is in the fields now (for tests and the window). */
const char    *kurir_composer_get_to          (KurirComposer      *self);
const char    *kurir_composer_get_cc          (KurirComposer      *self);
const char    *kurir_composer_get_bcc         (KurirComposer      *self);
const char    *kurir_composer_get_subject     (KurirComposer      *self);
char          *kurir_composer_get_body        (KurirComposer      *self);
guint          kurir_composer_get_n_attachments (KurirComposer    *self);
gboolean       kurir_composer_get_attachment_warning (KurirComposer *self);
/* The From choices, "Name <address> — account", one per identity of
 * each account that can send (a GtkStringList; transfer none). */
GListModel    *kurir_composer_get_senders     (KurirComposer      *self);
/* The chosen identity, "Name <address>", or NULL when there is none. */
char          *kurir_composer_get_from        (KurirComposer      *self);
/* Chooses the identity with @address, as the person does in the list
 * (the signature follows). Returns: FALSE when there is none. */
gboolean       kurir_composer_set_from        (KurirComposer      *self,
                                               const char         *address);
/* The draft's id in the store, or 0 while none is saved. */
gint64         kurir_composer_get_draft_id    (KurirComposer      *self);
/* Saves the draft now (also done every few seconds after a change and on
 * close); ::draft-saved follows. */
void           kurir_composer_save_draft      (KurirComposer      *self);
void           kurir_composer_add_file        (KurirComposer      *self,
                                               GFile              *file);

/* Whether @text (quoted lines skipped) speaks of an attachment:
 * "attach…", "terlampir", "lampiran", "enclosed". */
gboolean       kurir_composer_mentions_attachment (const char     *text);

G_END_DECLS
