/* test-switch.c: an account switched from IMAP to POP3 and back keeps
 * every message and its password (kurir-cli account set, as the
 * preferences window does); whether anything is downloaded twice is
 * reported as a known gap of the sync layer (see the test)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "kurir-test-util.h"

#define N_MESSAGES 3

static char *stamp;

static void
deliver_to_sybil (const char *subject)
{
  g_auto(GStrv) doveadm = g_strsplit (kurir_test_getenv ("KURIR_TEST_DOVEADM"), " ", -1);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) argv = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_strdup_printf ("From: a@example.test\nTo: sybil@example.test\n"
                                           "Subject: %s\nMessage-ID: <%s@switch.test>\n\nbody\n",
                                           subject, subject);

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

/* How many times each of this run's subjects is in the account's INBOX;
 * fails when one is missing. Returns: the total. */
static guint
count_messages (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  guint total = 0;

  g_assert_cmpint (kurir_test_run_cli (NULL, &out, &err, "list", "--account", "S", "--limit", "10000", NULL),
                   ==, 0);
  for (guint i = 0; i < N_MESSAGES; i++)
    {
      g_autofree char *subject = g_strdup_printf ("switch-%u-%s", i, stamp);
      guint count = 0;

      for (const char *p = strstr (out, subject); p != NULL; p = strstr (p + 1, subject))
        count++;
      if (count == 0)
        g_error ("“%s” is missing:\n%s", subject, out);
      total += count;
    }
  return total;
}

static void
test_switch (void)
{
  const char *host;
  g_autofree char *password = NULL;
  guint after_pop3, after_imap;

  kurir_test_require_servers ();
  host = kurir_test_getenv ("KURIR_TEST_HOST");
  password = g_strdup_printf ("%s\n", kurir_test_getenv ("KURIR_TEST_PASSWORD_SYBIL"));
  stamp = g_strdup_printf ("%" G_GINT64_FORMAT, g_get_real_time ());

  for (guint i = 0; i < N_MESSAGES; i++)
    {
      g_autofree char *subject = g_strdup_printf ("switch-%u-%s", i, stamp);
      deliver_to_sybil (subject);
    }

  cli_ok (password, "account", "add", "S", "--email", "sybil@example.test", "--protocol", "imap",
          "--host", host, "--port", kurir_test_getenv ("KURIR_TEST_IMAPS_PORT"), "--user", "sybil",
          "--ca-file", kurir_test_getenv ("KURIR_TEST_CA"), "--password-stdin", NULL);
  cli_ok (NULL, "sync", "S", NULL);
  g_assert_cmpuint (count_messages (), ==, N_MESSAGES);

  /* To POP3: the password follows, the IMAP mail stays. */
  cli_ok (NULL, "account", "set", "S", "--protocol", "pop3",
          "--port", kurir_test_getenv ("KURIR_TEST_POP3S_PORT"), NULL);
  cli_ok (NULL, "sync", "S", NULL);
  after_pop3 = count_messages ();

  /* And back to IMAP: every message still there. */
  cli_ok (NULL, "account", "set", "S", "--protocol", "imap",
          "--port", kurir_test_getenv ("KURIR_TEST_IMAPS_PORT"), NULL);
  cli_ok (NULL, "sync", "S", NULL);
  after_imap = count_messages ();
  g_assert_cmpuint (after_imap, >=, after_pop3);

  /* Known gap (sync layer, issue 8): the POP3 sync knows stored messages
   * only by the UIDLs it stored itself, so after IMAP it downloads the
   * INBOX again; the IMAP sync then keeps those copies as local mail. */
  if (after_pop3 > N_MESSAGES || after_imap > N_MESSAGES)
    g_test_incomplete ("switching IMAP to POP3 downloads the INBOX again (duplicates: "
                       "POP3 has no way yet to recognise what IMAP stored)");
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/account/switch/imap-pop3-imap", test_switch);
  ret = g_test_run ();
  g_free (stamp);
  return ret;
}
