/* kurir-application.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define KURIR_TYPE_APPLICATION (kurir_application_get_type ())
G_DECLARE_FINAL_TYPE (KurirApplication, kurir_application, KURIR, APPLICATION, AdwApplication)

KurirApplication *kurir_application_new (const char        *application_id,
                                         GApplicationFlags  flags);

G_END_DECLS
