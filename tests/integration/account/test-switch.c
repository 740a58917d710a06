/* test-switch.c: an account switched from IMAP to POP3 and back keeps
 * every message and its password (kurir-cli account set, as the
 * preferences window does), and downloads none twice: POP3 recognises
 * what IMAP cached, IMAP leaves what POP3 stored in a local folder and
 * adopts from it what the server still has
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "kurir-store.h"
#include "kurir-test-util.h"

#define N_MESSAGES 3

static char *stamp;

/* @message_id: "" for none, NULL for one of the subject's; @body: the
 * text, NULL for "body". */
static void
deliver_full (const char *subject,
              const char *message_id,
              const char *body)
{
  g_auto(GStrv) doveadm = g_strsplit (kurir_test_getenv ("KURIR_TEST_DOVEADM"), " ", -1);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) argv = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = message_id == NULL ? g_strdup_printf ("<%s@switch.test>", subject)
                                           : g_strdup (message_id);
  g_autofree char *text = g_strdup_printf ("From: a@example.test\nTo: sybil@example.test\n"
                                           "Subject: %s\n%s%s%s\n%s\n",
                                           subject, *id ? "Message-ID: " : "", id,
                                           *id ? "\n" : "", body != NULL ? body : "body");

  g_strv_builder_addv (builder, (const char **) doveadm);
  g_strv_builder_add_many (builder, "save", "-u", "sybil", NULL);
  argv = g_strv_builder_end (builder);
  process = g_subprocess_newv ((const char * const *) argv, G_SUBPROCESS_FLAGS_STDIN_PIPE, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (process, text, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (process));
}

static void
deliver_to_sybil (const char *subject)
{
  deliver_full (subject, NULL, NULL);
}

static void
cli_ok (const char *stdin_text,
        const char *first_arg,
        ...)
{
  /* At most 16 arguments here. */
  const char *args[17] = { NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  va_list ap;
  guint n = 0;
  int status;

  va_start (ap, first_arg);
  for (const char *arg = first_arg; arg != NULL && n < 16; arg = va_arg (ap, const char *))
    args[n++] = arg;
  va_end (ap);

  status = kurir_test_run_cli (stdin_text, &out, &err, args[0], args[1], args[2], args[3], args[4],
                               args[5], args[6], args[7], args[8], args[9], args[10], args[11],
                               args[12], args[13], args[14], args[15], NULL);
  if (status != 0)
    g_error ("kurir-cli %s failed (%d): %s%s", first_arg, status, out, err);
}

/* The account's messages in every folder: subject → times seen. */
static GHashTable *
account_subjects (void)
{
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(GPtrArray) folders = NULL;
  g_autoptr(GError) error = NULL;
  GHashTable *subjects = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  store = kurir_store_open (NULL, &error);
  g_assert_no_error (error);
  folders = kurir_store_list_folders (store, "S", &error);
  g_assert_no_error (error);
  for (guint i = 0; i < folders->len; i++)
    {
      KurirStoreFolder *folder = g_ptr_array_index (folders, i);
      g_autoptr(GPtrArray) messages = kurir_store_list (store, "S", folder->name, 0, 10000, &error);

      g_assert_no_error (error);
      for (guint j = 0; j < messages->len; j++)
        {
          const char *subject = kurir_message_get_subject (g_ptr_array_index (messages, j));
          guint count = GPOINTER_TO_UINT (g_hash_table_lookup (subjects, subject));

          g_hash_table_insert (subjects, g_strdup (subject), GUINT_TO_POINTER (count + 1));
        }
    }
  return subjects;
}

/* The folder that holds this run's message @i (exactly one does). */
static char *
folder_of (guint i)
{
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(GPtrArray) folders = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *subject = g_strdup_printf ("switch-%u-%s", i, stamp);

  store = kurir_store_open (NULL, &error);
  g_assert_no_error (error);
  folders = kurir_store_list_folders (store, "S", &error);
  g_assert_no_error (error);
  for (guint f = 0; f < folders->len; f++)
    {
      KurirStoreFolder *folder = g_ptr_array_index (folders, f);
      g_autoptr(GPtrArray) messages = kurir_store_list (store, "S", folder->name, 0, 10000, &error);

      g_assert_no_error (error);
      for (guint j = 0; j < messages->len; j++)
        if (g_strcmp0 (kurir_message_get_subject (g_ptr_array_index (messages, j)), subject) == 0)
          return g_strdup (folder->name);
    }
  g_assert_not_reached ();
}

/* Each of this run's first @n subjects is in the account exactly once. */
static void
assert_each_once (guint n)
{
  g_autoptr(GHashTable) subjects = account_subjects ();

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *subject = g_strdup_printf ("switch-%u-%s", i, stamp);

      g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (subjects, subject)), ==, 1);
    }
  g_assert_cmpuint (g_hash_table_size (subjects), ==, n);
}

/* kurir-cli sync S; returns its output. */
static char *
sync_s (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  if (kurir_test_run_cli (NULL, &out, &err, "sync", "S", NULL) != 0)
    g_error ("kurir-cli sync failed: %s%s", out, err);
  return g_steal_pointer (&out);
}

static void
deliver (guint i)
{
  g_autofree char *subject = g_strdup_printf ("switch-%u-%s", i, stamp);

  deliver_to_sybil (subject);
}

static void
test_switch (void)
{
  const char *host;
  g_autofree char *password = NULL;
  g_autofree char *out = NULL;

  kurir_test_require_servers ();
  host = kurir_test_getenv ("KURIR_TEST_HOST");
  password = g_strdup_printf ("%s\n", kurir_test_getenv ("KURIR_TEST_PASSWORD_SYBIL"));
  stamp = g_strdup_printf ("%" G_GINT64_FORMAT, g_get_real_time ());

  for (guint i = 0; i < N_MESSAGES; i++)
    deliver (i);

  cli_ok (password, "account", "add", "S", "--email", "sybil@example.test", "--protocol", "imap",
          "--host", host, "--port", kurir_test_getenv ("KURIR_TEST_IMAPS_PORT"), "--user", "sybil",
          "--ca-file", kurir_test_getenv ("KURIR_TEST_CA"), "--password-stdin", NULL);
  cli_ok (NULL, "sync", "S", NULL);
  assert_each_once (N_MESSAGES);

  /* To POP3: the password follows, the IMAP mail stays and is recognised
   * on the server, so none of it is downloaded again. */
  cli_ok (NULL, "account", "set", "S", "--protocol", "pop3",
          "--port", kurir_test_getenv ("KURIR_TEST_POP3S_PORT"), NULL);
  out = sync_s ();
  g_assert_nonnull (strstr (out, "S: 0 downloaded, 0 deleted on the server, 3 kept on the server; "
                                 "3 were here already"));
  assert_each_once (N_MESSAGES);

  /* New mail comes by POP3; then the account deletes what it downloaded:
   * the server is left empty, every message is only here. */
  deliver (N_MESSAGES);
  g_clear_pointer (&out, g_free);
  out = sync_s ();
  g_assert_nonnull (strstr (out, "S: 1 downloaded, 0 deleted on the server, 4 kept on the server\n"));
  cli_ok (NULL, "account", "set", "S", "--delete-from-server", NULL);
  g_clear_pointer (&out, g_free);
  out = sync_s ();
  g_assert_nonnull (strstr (out, "S: 0 downloaded, 4 deleted on the server, 0 kept on the server\n"));
  assert_each_once (N_MESSAGES + 1);

  /* Back to IMAP: the POP3 mail stays (in a local folder), and what
   * arrives by IMAP comes once. */
  cli_ok (NULL, "account", "set", "S", "--protocol", "imap", "--leave-on-server",
          "--port", kurir_test_getenv ("KURIR_TEST_IMAPS_PORT"), NULL);
  deliver (N_MESSAGES + 1);
  cli_ok (NULL, "sync", "S", NULL);
  assert_each_once (N_MESSAGES + 2);
  g_clear_pointer (&out, g_free);
  out = sync_s ();
  g_assert_nonnull (strstr (out, "S: 0 new"));
  assert_each_once (N_MESSAGES + 2);

  /* And to POP3 once more: nothing is downloaded twice. */
  cli_ok (NULL, "account", "set", "S", "--protocol", "pop3",
          "--port", kurir_test_getenv ("KURIR_TEST_POP3S_PORT"), NULL);
  g_clear_pointer (&out, g_free);
  out = sync_s ();
  g_assert_nonnull (strstr (out, "S: 0 downloaded, 0 deleted on the server, 1 kept on the server; "
                                 "1 were here already"));
  assert_each_once (N_MESSAGES + 2);

  /* POP3 leaving the mail on the server downloads three more: one
   * without a Message-ID, and two that share one (told apart by their
   * size). */
  {
    g_autofree char *subject = g_strdup_printf ("switch-%u-%s", N_MESSAGES + 2, stamp);
    g_autofree char *shared = g_strdup_printf ("<%s@switch.test>", subject);
    g_autofree char *subject3 = g_strdup_printf ("switch-%u-%s", N_MESSAGES + 3, stamp);
    g_autofree char *subject4 = g_strdup_printf ("switch-%u-%s", N_MESSAGES + 4, stamp);

    deliver_full (subject, shared, NULL);
    deliver_full (subject3, "", "no message id\n");
    deliver_full (subject4, shared, "the same Message-ID, a longer body\n");
  }
  g_clear_pointer (&out, g_free);
  out = sync_s ();
  g_assert_nonnull (strstr (out, "S: 3 downloaded, 0 deleted on the server, 4 kept on the server\n"));
  assert_each_once (N_MESSAGES + 5);

  /* Back to IMAP: what POP3 downloaded and the server still has is
   * matched to its UID and moves into INBOX; nothing is downloaded again
   * and nothing is there twice. What only POP3 had stays local. */
  cli_ok (NULL, "account", "set", "S", "--protocol", "imap",
          "--port", kurir_test_getenv ("KURIR_TEST_IMAPS_PORT"), NULL);
  g_clear_pointer (&out, g_free);
  out = sync_s ();
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, "S: 0 new"));
  assert_each_once (N_MESSAGES + 5);
  for (guint i = 0; i < N_MESSAGES + 5; i++)
    {
      g_autofree char *folder = folder_of (i);

      g_assert_cmpstr (folder, ==, i <= N_MESSAGES ? "POP3 (local)" : "INBOX");
    }
  g_clear_pointer (&out, g_free);
  out = sync_s ();
  g_assert_nonnull (strstr (out, "S: 0 new, 0 changed, 0 removed"));
  assert_each_once (N_MESSAGES + 5);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/account/switch/imap-pop3-imap-pop3", test_switch);
  ret = g_test_run ();
  g_free (stamp);
  return ret;
}
