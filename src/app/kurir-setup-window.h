/* kurir-setup-window.h: the assistant that adds a mail account
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "kurir-account.h"
#include "kurir-autoconfig.h"

G_BEGIN_DECLS

/* Called with each discovery before it starts (tests point probes at the
 * test servers). */
typedef void (*KurirSetupPrepareFunc) (KurirAutoconfig *autoconfig,
                                       gpointer         user_data);

#define KURIR_TYPE_SETUP_WINDOW (kurir_setup_window_get_type ())
G_DECLARE_FINAL_TYPE (KurirSetupWindow, kurir_setup_window, KURIR, SETUP_WINDOW, AdwWindow)

/* Emits "account-added" (KurirAccount *) once the account is saved and its
 * password is in the keyring, then closes. */
KurirSetupWindow *kurir_setup_window_new              (GtkApplication        *application,
                                                       GtkWindow             *parent);
/* Extra trust anchors (PEM) for discovery, the login test and the account. */
void              kurir_setup_window_set_ca_file      (KurirSetupWindow      *self,
                                                       const char            *ca_file);
void              kurir_setup_window_set_prepare_func (KurirSetupWindow      *self,
                                                       KurirSetupPrepareFunc  func,
                                                       gpointer               user_data);

/* For tests and the command line: "identity", "busy", "choice", "manual". */
const char       *kurir_setup_window_get_page         (KurirSetupWindow      *self);
/* As if typed on the first page and Continue pressed. */
void              kurir_setup_window_start            (KurirSetupWindow      *self,
                                                       const char            *name,
                                                       const char            *address,
                                                       const char            *password);
/* As if @protocol were chosen and Log In pressed. */
void              kurir_setup_window_choose           (KurirSetupWindow      *self,
                                                       KurirProtocol          protocol);
/* The incoming protocol preselected on the choice page. */
KurirProtocol     kurir_setup_window_get_choice       (KurirSetupWindow      *self);
/* The message on the manual page, or NULL. */
const char       *kurir_setup_window_get_error        (KurirSetupWindow      *self);
/* The certificate question being asked, or NULL. */
GtkWindow        *kurir_setup_window_get_certificate_dialog (KurirSetupWindow *self);

G_END_DECLS
