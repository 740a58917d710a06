/* kurir-cli.h: what the commands of kurir-cli share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Exit statuses */
enum {
  KURIR_CLI_EXIT_OK = 0,
  KURIR_CLI_EXIT_FAILED = 1,
  KURIR_CLI_EXIT_USAGE = 2,
};

int           kurir_cli_sync           (int           argc,
                                        char        **argv);
int           kurir_cli_account        (int           argc,
                                        char        **argv);
int           kurir_cli_list           (int           argc,
                                        char        **argv);
int           kurir_cli_show           (int           argc,
                                        char        **argv);
int           kurir_cli_search         (int           argc,
                                        char        **argv);
int           kurir_cli_folders        (int           argc,
                                        char        **argv);
int           kurir_cli_flag           (int           argc,
                                        char        **argv);
int           kurir_cli_delete         (int           argc,
                                        char        **argv);
int           kurir_cli_move           (int           argc,
                                        char        **argv);
int           kurir_cli_reindex        (int           argc,
                                        char        **argv);
int           kurir_cli_import         (int           argc,
                                        char        **argv);
int           kurir_cli_export         (int           argc,
                                        char        **argv);
int           kurir_cli_send           (int           argc,
                                        char        **argv);
int           kurir_cli_storage        (int           argc,
                                        char        **argv);

gboolean      kurir_cli_parse_options  (GOptionContext *context,
                                        const char   *command,
                                        int          *argc,
                                        char       ***argv,
                                        GError      **error);
int           kurir_cli_fail           (const char   *account_name,
                                        const GError *error);
int           kurir_cli_usage_error    (const char   *format,
                                        ...) G_GNUC_PRINTF (1, 2);
GAsyncResult *kurir_cli_wait           (GAsyncResult **slot);
void          kurir_cli_store_result   (GObject      *source,
                                        GAsyncResult *result,
                                        gpointer      user_data);
char         *kurir_cli_read_password  (GError      **error);

G_END_DECLS
