/* kurir-test-util.h: what the test programs share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define KURIR_TEST_TIMEOUT_SECONDS 30

void          kurir_test_require_servers  (void);
const char   *kurir_test_getenv           (const char    *name);
guint16       kurir_test_port             (const char    *name);
GAsyncResult *kurir_test_wait             (GAsyncResult **slot);
void          kurir_test_store_result     (GObject       *source,
                                           GAsyncResult  *result,
                                           gpointer       user_data);
int           kurir_test_run_cli          (const char    *stdin_text,
                                           char         **out_stdout,
                                           char         **out_stderr,
                                           const char    *first_arg,
                                           ...) G_GNUC_NULL_TERMINATED;
/* TRUE when @text is one line (ending in a newline), not counting the
 * GLib debug lines G_MESSAGES_DEBUG adds (tests/check-secrets runs the
 * suite with them on). */
gboolean      kurir_test_is_one_line      (const char    *text);
gboolean      kurir_test_tree_contains    (const char    *root,
                                           const char    *needle,
                                           char         **out_path);

G_END_DECLS
