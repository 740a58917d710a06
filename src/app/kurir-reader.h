/* kurir-reader.h: one message: headers, each body part on its own,
 * attachments
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "kurir-store.h"

G_BEGIN_DECLS

#define KURIR_TYPE_READER (kurir_reader_get_type ())
G_DECLARE_FINAL_TYPE (KurirReader, kurir_reader, KURIR, READER, GtkWidget)

GtkWidget    *kurir_reader_new                  (void);
void          kurir_reader_set_store            (KurirReader  *self,
                                                 KurirStore   *store);
/* NULL: the empty page. */
void          kurir_reader_set_message          (KurirReader  *self,
                                                 KurirMessage *message);
KurirMessage *kurir_reader_get_message          (KurirReader  *self);
/* Loads remote content of the message shown (the "Show Remote Content"
 * button; also the action reader.show-remote-content). */
void          kurir_reader_allow_remote_content (KurirReader  *self);
gboolean      kurir_reader_get_prefer_plain     (KurirReader  *self);
void          kurir_reader_set_prefer_plain     (KurirReader  *self,
                                                 gboolean      prefer_plain);

/* For tests: TRUE while the message or one of its HTML views loads. */
gboolean      kurir_reader_get_loading          (KurirReader  *self);
/* The text of every plain text view shown, joined by blank lines. */
char         *kurir_reader_get_text             (KurirReader  *self);
/* The HTML views shown (WebKitWebView), in order; empty without WebKit. */
GPtrArray    *kurir_reader_get_web_views        (KurirReader  *self);

/* A message of the Outbox: why it waits or failed (@text, NULL: no bar),
 * with "Send Again" and "Discard" (win.outbox-resend / win.outbox-discard
 * with @id) when @can_decide. kurir_reader_set_message() clears it. */
void          kurir_reader_set_outbox_status    (KurirReader  *self,
                                                 gint64        id,
                                                 const char   *text,
                                                 gboolean      can_decide);
/* The bar's text, or NULL when none is shown; for tests. */
const char   *kurir_reader_get_outbox_status    (KurirReader  *self);
gboolean      kurir_reader_get_outbox_can_decide (KurirReader *self);

G_END_DECLS
