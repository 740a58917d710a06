/* kurir-app-test.h: what the app tests share (header only)
 *
 * Include after defining WAIT_SECONDS, the longest a WAIT_FOR may wait.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kurir-account.h"
#include "kurir-application.h"
#include "kurir-message-item.h"
#include "kurir-message-list-model.h"
#include "kurir-secret.h"
#include "kurir-test-util.h"
#include "kurir-window.h"

#ifndef WAIT_SECONDS
#error "define WAIT_SECONDS before including kurir-app-test.h"
#endif

static inline gboolean
kurir_app_test_timeout_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the main context until @cond holds; fails the test after
 * WAIT_SECONDS. No sleeps: it wakes on every event. */
#define WAIT_FOR(cond) \
  G_STMT_START { \
    gboolean timed_out_ = FALSE; \
    guint source_ = g_timeout_add_seconds (WAIT_SECONDS, kurir_app_test_timeout_cb, &timed_out_); \
    while (!(cond) && !timed_out_) \
      g_main_context_iteration (NULL, TRUE); \
    if (timed_out_) \
      g_error ("%s:%d: waited %d s in vain for: %s", __FILE__, __LINE__, WAIT_SECONDS, #cond); \
    g_source_remove (source_); \
  } G_STMT_END

static inline int
kurir_app_test_remove_cb (const char        *path,
                          const struct stat *st,
                          int                flag,
                          struct FTW        *ftw)
{
  return remove (path);
}

/* Removes @path and everything below it (the test's temporary home). */
static inline void
kurir_app_test_remove_tree (const char *path)
{
  nftw (path, kurir_app_test_remove_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Makes the test's temporary home, named after @name, and points the XDG
 * config, data, cache and state folders into it; the system's data folders
 * stay, since GTK needs the MIME database and icon themes from them.
 * Returns the home's path, for kurir_app_test_remove_tree(). */
static inline char *
kurir_app_test_make_home (const char *name)
{
  g_autofree char *template = g_strdup_printf ("kurir-app-%s-XXXXXX", name);
  char *home = g_dir_make_tmp (template, NULL);

  g_assert_nonnull (home);
  for (guint i = 0; i < 4; i++)
    {
      const char *vars[] = { "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME" };
      g_autofree char *dir = g_build_filename (home, vars[i], NULL);
      g_setenv (vars[i], dir, TRUE);
    }
  return home;
}

/* A message into @user's INBOX through doveadm (no password needed). */
static inline void
kurir_app_test_doveadm_save (const char *user,
                             const char *text)
{
  g_auto(GStrv) doveadm = g_strsplit (kurir_test_getenv ("KURIR_TEST_DOVEADM"), " ", -1);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) argv = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;

  g_strv_builder_addv (builder, (const char **) doveadm);
  g_strv_builder_add_many (builder, "save", "-u", user, NULL);
  argv = g_strv_builder_end (builder);
  process = g_subprocess_newv ((const char * const *) argv, G_SUBPROCESS_FLAGS_STDIN_PIPE, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (process, text, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (process));
}

/* Writes @text as the file @name into @maildir's new/, creating cur/, new/
 * and tmp/ as needed, all owned by the mail server's user
 * (KURIR_TEST_MAIL_UID/GID) as if it had delivered the message. */
static inline void
kurir_app_test_write_maildir (const char *maildir,
                              const char *name,
                              const char *text)
{
  g_autoptr(GError) error = NULL;
  guint64 uid, gid;
  g_autofree char *path = g_build_filename (maildir, "new", name, NULL);

  g_assert_true (g_ascii_string_to_unsigned (kurir_test_getenv ("KURIR_TEST_MAIL_UID"), 10, 0, G_MAXUINT32, &uid, NULL));
  g_assert_true (g_ascii_string_to_unsigned (kurir_test_getenv ("KURIR_TEST_MAIL_GID"), 10, 0, G_MAXUINT32, &gid, NULL));
  for (guint i = 0; i < 3; i++)
    {
      const char *sub[] = { "cur", "new", "tmp" };
      g_autofree char *dir = g_build_filename (maildir, sub[i], NULL);
      g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
      g_assert_cmpint (chown (dir, (uid_t) uid, (gid_t) gid), ==, 0);
    }
  g_assert_cmpint (chown (maildir, (uid_t) uid, (gid_t) gid), ==, 0);
  g_assert_true (g_file_set_contents (path, text, -1, &error));
  g_assert_no_error (error);
  g_assert_cmpint (chown (path, (uid_t) uid, (gid_t) gid), ==, 0);
}

/* The first visible toplevel window of @type (a dialog, say), or NULL. */
static inline gpointer
kurir_app_test_find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return window;
    }
  return NULL;
}

/* The first window of @app that is a @type, or NULL. */
static inline gpointer
kurir_app_test_find_window (gpointer app,
                            GType    type)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (app)); l != NULL; l = l->next)
    if (G_TYPE_CHECK_INSTANCE_TYPE (l->data, type))
      return l->data;
  return NULL;
}

/* For the test HTTP listeners (threaded: hence the lock): one more request
 * for @path in @hits (path → count). */
static inline void
kurir_app_test_count_hit (GMutex     *lock,
                          GHashTable *hits,
                          const char *path)
{
  g_mutex_lock (lock);
  g_hash_table_insert (hits, g_strdup (path),
                       GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (hits, path)) + 1));
  g_mutex_unlock (lock);
}

/* How many requests @hits counted for @path. */
static inline guint
kurir_app_test_hits_of (GMutex     *lock,
                        GHashTable *hits,
                        const char *path)
{
  guint n;

  g_mutex_lock (lock);
  n = GPOINTER_TO_UINT (g_hash_table_lookup (hits, path));
  g_mutex_unlock (lock);
  return n;
}

/* Reads an HTTP request line from @in. FALSE if the connection ended
 * first; else TRUE, with *@path the request's path (NULL if the line has
 * none; free it). */
static inline gboolean
kurir_app_test_http_read_request (GDataInputStream  *in,
                                  char             **path)
{
  g_autofree char *request = NULL;
  g_auto(GStrv) words = NULL;
  gsize length;

  *path = NULL;
  g_data_input_stream_set_newline_type (in, G_DATA_STREAM_NEWLINE_TYPE_ANY);
  request = g_data_input_stream_read_line (in, &length, NULL, NULL);
  if (request == NULL)
    return FALSE;
  words = g_strsplit (request, " ", 3);
  if (g_strv_length (words) >= 2)
    *path = g_strdup (words[1]);
  return TRUE;
}

/* Reads the rest of an HTTP request's head from @in and answers 200 with
 * @body (@body_length bytes) of @type, uncached, closing the connection. */
static inline void
kurir_app_test_http_reply (GDataInputStream *in,
                           GOutputStream    *out,
                           const char       *type,
                           const void       *body,
                           gsize             body_length)
{
  g_autofree char *header = NULL;
  gsize length;

  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line (in, &length, NULL, NULL);
      if (line == NULL || *line == '\0' || g_str_equal (line, "\r"))
        break;
    }
  header = g_strdup_printf ("HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                            "Cache-Control: no-store\r\nConnection: close\r\n\r\n", type, body_length);
  g_output_stream_write_all (out, header, strlen (header), NULL, NULL, NULL);
  g_output_stream_write_all (out, body, body_length, NULL, NULL, NULL);
}

/* Whether @window's message list has settled: not busy, and its first
 * page (or all, if fewer) loaded. */
static inline gboolean
kurir_app_test_list_ready (KurirWindow *window)
{
  KurirMessageListModel *model = kurir_window_get_message_model (window);
  guint n;

  if (model == NULL || kurir_window_get_busy (window))
    return FALSE;
  n = g_list_model_get_n_items (G_LIST_MODEL (model));
  return kurir_message_list_model_get_n_loaded (model) >= MIN (n, KURIR_MESSAGE_LIST_PAGE_SIZE);
}

/* Activates @app and waits until its main window is mapped and past its
 * loading page. With @none_before, first asserts that no window is active. */
static inline KurirWindow *
kurir_app_test_open_window (gpointer app,
                            gboolean none_before)
{
  GtkWindow *window;

  if (none_before)
    g_assert_null (gtk_application_get_active_window (GTK_APPLICATION (app)));
  g_application_activate (G_APPLICATION (app));
  window = gtk_application_get_active_window (GTK_APPLICATION (app));
  g_assert_true (KURIR_IS_WINDOW (window));
  WAIT_FOR (gtk_widget_get_mapped (GTK_WIDGET (window)) &&
            g_strcmp0 (kurir_window_get_visible_page (KURIR_WINDOW (window)), "loading") != 0);
  return KURIR_WINDOW (window);
}

/* Destroys @window and lets what that started run out. */
static inline void
kurir_app_test_close_window (KurirWindow *window)
{
  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* Fails the test unless there is a display to open windows on. */
static inline void
kurir_app_test_require_display (void)
{
  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    g_error ("The app tests need a display: run them under tests/servers/with-servers (Xvfb)");
}

/* Opens the display and starts GTK and libadwaita. */
static inline void
kurir_app_test_init_gtk (void)
{
  kurir_app_test_require_display ();
  gtk_init ();
  adw_init ();
}

/* A new, registered, non-unique application with the id @id. */
static inline KurirApplication *
kurir_app_test_new_application (const char *id)
{
  g_autoptr(GError) error = NULL;
  KurirApplication *app = kurir_application_new (id, G_APPLICATION_NON_UNIQUE);

  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  return app;
}

/* Whether @window's message list shows a message with subject @wanted
 * among its first page. */
static inline gboolean
kurir_app_test_shows_subject (KurirWindow *window,
                              const char  *wanted)
{
  KurirMessageListModel *model = kurir_window_get_message_model (window);

  if (model == NULL || kurir_window_get_busy (window))
    return FALSE;
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (model)) && i < KURIR_MESSAGE_LIST_PAGE_SIZE; i++)
    {
      g_autoptr(KurirMessageItem) item = g_list_model_get_item (G_LIST_MODEL (model), i);
      KurirMessage *message = item ? kurir_message_item_get_message (item) : NULL;

      if (message != NULL && g_strcmp0 (kurir_message_get_subject (message), wanted) == 0)
        return TRUE;
    }
  return FALSE;
}

/* A new local account named @prefix and the next value of *@serial, so
 * that each test has one of its own. Returns its name. */
static inline char *
kurir_app_test_add_local_account (const char *prefix,
                                  guint      *serial)
{
  g_autofree char *name = g_strdup_printf ("%s%u", prefix, ++*serial);
  g_autoptr(KurirAccount) account = kurir_account_new (name);
  g_autoptr(GError) error = NULL;
  g_autofree char *email = g_strdup_printf ("%s@example.co.id", name);

  kurir_account_set_email (account, email);
  kurir_account_set_protocol (account, KURIR_PROTOCOL_LOCAL);
  g_assert_true (kurir_account_save (account, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&name);
}

/* An account @name (its server user too) on the test servers over TLS:
 * @port_variable names the port's KURIR_TEST_* variable, @password_variable
 * the password's, which goes into the secret store. */
static inline void
kurir_app_test_add_server_account (const char    *name,
                                   KurirProtocol  protocol,
                                   const char    *port_variable,
                                   const char    *password_variable)
{
  g_autoptr(KurirAccount) account = kurir_account_new (name);
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *email = g_strdup_printf ("%s@example.test", name);

  kurir_account_set_email (account, email);
  kurir_account_set_protocol (account, protocol);
  kurir_account_set_host (account, kurir_test_getenv ("KURIR_TEST_HOST"));
  kurir_account_set_port (account, kurir_test_port (port_variable));
  kurir_account_set_security (account, KURIR_SECURITY_TLS);
  kurir_account_set_user (account, name);
  kurir_account_set_ca_file (account, kurir_test_getenv ("KURIR_TEST_CA"));
  g_assert_true (kurir_account_save (account, &error));
  g_assert_no_error (error);
  kurir_secret_store_async (name, protocol, kurir_account_get_host (account), name,
                            kurir_test_getenv (password_variable), TRUE, NULL,
                            kurir_test_store_result, &result);
  g_assert_true (kurir_secret_store_finish (kurir_test_wait (&result), &error));
  g_assert_no_error (error);
}

/* Starts a private session bus (GTestDBus) for the test and opens GTK on
 * the display: GTestDBus unsets DISPLAY (against X11 autolaunch), so it is
 * put back first. Call before anything connects to the session bus. */
static inline GTestDBus *
kurir_app_test_init_gtk_on_private_bus (void)
{
  g_autofree char *display = NULL;
  GTestDBus *bus;

  kurir_app_test_require_display ();
  display = g_strdup (g_getenv ("DISPLAY"));
  bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (bus);
  if (display != NULL)
    g_setenv ("DISPLAY", display, TRUE);
  gtk_init ();
  adw_init ();
  return bus;
}
