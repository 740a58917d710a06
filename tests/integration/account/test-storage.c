/* test-storage.c: what an account's server holds and allows, and what
 * this computer holds for it
 *
 * Against the test Dovecot, which keeps a 100 MiB Maildir++ quota per
 * user: IMAP GETQUOTAROOT gives the same numbers as `doveadm quota get`;
 * POP3 STAT gives the maildrop's totals; the store's message files add up
 * to what was stored; the hint speaks when a server or a disk is nearly
 * full; `kurir-cli storage` prints it all. A scripted server sends QUOTA
 * responses no honest server sends.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "kurir-account.h"
#include "kurir-account-usage.h"
#include "kurir-imap-client.h"
#include "kurir-imap-error.h"
#include "kurir-scripted-server.h"
#include "kurir-store.h"
#include "kurir-test-util.h"

#define USER "uma"
#define N_MESSAGES 3

/* The octets of what was delivered, counted as POP3 counts them (CRLF). */
static guint64 delivered_octets;

/* Helpers */

static char **
doveadm_argv (const char *first,
              ...)
{
  g_auto(GStrv) doveadm = g_strsplit (kurir_test_getenv ("KURIR_TEST_DOVEADM"), " ", -1);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  va_list ap;

  g_strv_builder_addv (builder, (const char **) doveadm);
  va_start (ap, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (ap, const char *))
    g_strv_builder_add (builder, arg);
  va_end (ap);
  return g_strv_builder_end (builder);
}

static void
deliver (guint n)
{
  g_auto(GStrv) argv = doveadm_argv ("save", "-u", USER, NULL);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) text = g_string_new (NULL);

  g_string_append_printf (text, "From: a@example.test\nTo: uma@example.test\n"
                          "Subject: Kuota %u\nMessage-ID: <kuota-%u@storage.test>\n\n", n, n);
  /* Some kilobytes, so the quota's KiB are not all rounding. */
  for (guint i = 0; i < 200 * (n + 1); i++)
    g_string_append (text, "Isi surat untuk menguji kuota penyimpanan.\n");

  process = g_subprocess_newv ((const char * const *) argv, G_SUBPROCESS_FLAGS_STDIN_PIPE, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (process, text->str, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (process));

  delivered_octets += text->len;
  for (const char *p = text->str; (p = strchr (p, '\n')) != NULL; p++)
    delivered_octets++;
}

/* `doveadm quota get`'s STORAGE value and limit, in KiB. */
static void
doveadm_quota (gint64 *out_used,
               gint64 *out_limit)
{
  g_auto(GStrv) argv = doveadm_argv ("quota", "get", "-u", USER, NULL);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_auto(GStrv) lines = NULL;

  process = g_subprocess_newv ((const char * const *) argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, &error));
  g_assert_no_error (error);

  *out_used = *out_limit = -1;
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(GRegex) regex = g_regex_new ("STORAGE\\s+(\\d+)\\s+(\\d+)", 0, 0, NULL);
      g_autoptr(GMatchInfo) match = NULL;

      if (g_regex_match (regex, lines[i], 0, &match))
        {
          g_autofree char *used = g_match_info_fetch (match, 1);
          g_autofree char *limit = g_match_info_fetch (match, 2);

          *out_used = g_ascii_strtoll (used, NULL, 10);
          *out_limit = g_ascii_strtoll (limit, NULL, 10);
        }
    }
  g_assert_cmpint (*out_used, >=, 0);
}

static KurirAccount *
make_account (const char    *name,
              KurirProtocol  protocol)
{
  KurirAccount *account = kurir_account_new (name);

  kurir_account_set_email (account, "uma@localhost");
  kurir_account_set_protocol (account, protocol);
  kurir_account_set_host (account, kurir_test_getenv ("KURIR_TEST_HOST"));
  kurir_account_set_port (account, kurir_test_port (protocol == KURIR_PROTOCOL_IMAP ?
                                                    "KURIR_TEST_IMAPS_PORT" : "KURIR_TEST_POP3S_PORT"));
  kurir_account_set_security (account, KURIR_SECURITY_TLS);
  kurir_account_set_user (account, USER);
  kurir_account_set_ca_file (account, kurir_test_getenv ("KURIR_TEST_CA"));
  kurir_account_set_smtp_host (account, kurir_test_getenv ("KURIR_TEST_HOST"));
  return account;
}

static KurirServerUsage *
server_usage (KurirAccount *account,
              GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kurir_account_server_usage_async (account, kurir_test_getenv ("KURIR_TEST_PASSWORD_UMA"), NULL,
                                    kurir_test_store_result, &result);
  return kurir_account_server_usage_finish (kurir_test_wait (&result), error);
}

/* Tests */

static void
test_imap_quota (void)
{
  g_autoptr(KurirAccount) account = make_account ("uma-imap", KURIR_PROTOCOL_IMAP);
  g_autoptr(KurirServerUsage) usage = NULL;
  g_autoptr(GError) error = NULL;
  gint64 used_kib, limit_kib;

  usage = server_usage (account, &error);
  g_assert_no_error (error);
  doveadm_quota (&used_kib, &limit_kib);

  g_assert_cmpint (usage->source, ==, KURIR_USAGE_SOURCE_IMAP_QUOTA);
  g_assert_cmpstr (usage->quota_root, ==, "User quota");
  /* quota_rule = *:storage=100M */
  g_assert_cmpint (limit_kib, ==, 100 * 1024);
  g_assert_cmpint (usage->limit_bytes, ==, limit_kib * 1024);
  g_assert_cmpint (usage->used_bytes, ==, used_kib * 1024);
  /* What was delivered is counted (Dovecot stores LF line ends, so a bit
   * less than the CRLF count). */
  g_assert_cmpint (usage->used_bytes, >, (gint64) delivered_octets * 9 / 10);
  g_assert_cmpint (usage->used_bytes, <=, (gint64) delivered_octets + 1024);
}

static void
test_pop3_stat (void)
{
  g_autoptr(KurirAccount) account = make_account ("uma-pop3", KURIR_PROTOCOL_POP3);
  g_autoptr(KurirServerUsage) usage = NULL;
  g_autoptr(GError) error = NULL;

  usage = server_usage (account, &error);
  g_assert_no_error (error);
  g_assert_cmpint (usage->source, ==, KURIR_USAGE_SOURCE_POP3_STAT);
  g_assert_cmpint (usage->messages, ==, N_MESSAGES);
  g_assert_cmpint (usage->used_bytes, ==, (gint64) delivered_octets);
  /* POP3 has no way to say a limit. */
  g_assert_cmpint (usage->limit_bytes, ==, -1);
}

static void
test_wrong_password (void)
{
  g_autoptr(KurirAccount) account = make_account ("uma-imap", KURIR_PROTOCOL_IMAP);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  KurirServerUsage *usage;

  kurir_account_server_usage_async (account, "not-the-password", NULL, kurir_test_store_result, &result);
  usage = kurir_account_server_usage_finish (kurir_test_wait (&result), &error);
  g_assert_null (usage);
  g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_AUTH_FAILED);
}

static void
test_local_usage (void)
{
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  KurirLocalUsage usage = { 0 };
  guint64 expected = 0;

  store = kurir_store_open (NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *raw = g_strdup_printf ("From: a@example.test\r\nSubject: Lokal %u\r\n"
                                              "Message-ID: <lokal-%u@storage.test>\r\n\r\n%*s\r\n",
                                              i, i, (int) (i * 1000 + 10), "x");
      g_autoptr(GBytes) bytes = g_bytes_new (raw, strlen (raw));

      g_assert_cmpint (kurir_store_add (store, "uma-local", i < 3 ? KURIR_STORE_INBOX : "Arsip",
                                        bytes, NULL, 0, 0, &error), >, 0);
      g_assert_no_error (error);
      expected += strlen (raw);
    }
  /* Another account's mail is not counted. */
  {
    g_autoptr(GBytes) other = g_bytes_new_static ("Subject: lain\r\n\r\nlain\r\n", 22);

    g_assert_cmpint (kurir_store_add (store, "orang-lain", KURIR_STORE_INBOX, other, NULL, 0, 0, &error), >, 0);
    g_assert_no_error (error);
  }

  kurir_account_local_usage_async (store, "uma-local", NULL, kurir_test_store_result, &result);
  g_assert_true (kurir_account_local_usage_finish (kurir_test_wait (&result), &usage, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (usage.messages, ==, 4);
  g_assert_cmpuint (usage.bytes, ==, expected);
  g_assert_cmpint (usage.disk_size_bytes, >, 0);
  g_assert_cmpint (usage.disk_free_bytes, >=, 0);
}

static void
test_hint (void)
{
  g_autoptr(KurirAccount) imap = make_account ("uma-imap", KURIR_PROTOCOL_IMAP);
  g_autoptr(KurirAccount) pop3 = make_account ("uma-pop3", KURIR_PROTOCOL_POP3);
  KurirServerUsage roomy = { KURIR_USAGE_SOURCE_IMAP_QUOTA, NULL, 10 << 20, 100 << 20, -1, -1 };
  KurirServerUsage full = { KURIR_USAGE_SOURCE_IMAP_QUOTA, NULL, 95 << 20, 100 << 20, -1, -1 };
  KurirServerUsage messages_full = { KURIR_USAGE_SOURCE_IMAP_QUOTA, NULL, -1, -1, 990, 1000 };
  KurirLocalUsage disk_ok = { 1 << 20, 10, G_GINT64_CONSTANT (50) << 30, G_GINT64_CONSTANT (100) << 30 };
  KurirLocalUsage disk_full = { 1 << 20, 10, G_GINT64_CONSTANT (2) << 30, G_GINT64_CONSTANT (100) << 30 };
  g_autofree char *none = kurir_account_usage_hint (imap, &roomy, &disk_ok);
  g_autofree char *unknown = kurir_account_usage_hint (imap, NULL, NULL);
  g_autofree char *server_imap = kurir_account_usage_hint (imap, &full, &disk_ok);
  g_autofree char *server_messages = kurir_account_usage_hint (imap, &messages_full, &disk_ok);
  g_autofree char *server_pop3 = kurir_account_usage_hint (pop3, &full, &disk_ok);
  g_autofree char *disk_imap = kurir_account_usage_hint (imap, &roomy, &disk_full);
  g_autofree char *disk_pop3 = kurir_account_usage_hint (pop3, NULL, &disk_full);

  g_assert_null (none);
  g_assert_null (unknown);
  g_assert_nonnull (strstr (server_imap, "POP3 with deletion would free the server"));
  g_assert_nonnull (strstr (server_messages, "POP3 with deletion"));
  g_assert_nonnull (strstr (server_pop3, "Deleting mail from the server"));
  g_assert_nonnull (strstr (disk_imap, "IMAP without offline copies"));
  g_assert_nonnull (strstr (disk_pop3, "IMAP without offline copies"));
}

static void
test_cli (void)
{
  g_autoptr(KurirAccount) account = make_account ("uma-cli", KURIR_PROTOCOL_IMAP);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *input = g_strconcat (kurir_test_getenv ("KURIR_TEST_PASSWORD_UMA"), "\n", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  JsonObject *root, *server;
  int status;

  g_assert_true (kurir_account_save (account, &error));
  g_assert_no_error (error);
  status = kurir_test_run_cli (input, &out, &err, "storage", "uma-cli", "--json", "--password-stdin", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_null (strstr (out, input));
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  server = json_object_get_object_member (root, "server");
  g_assert_cmpstr (json_object_get_string_member (server, "source"), ==, "imap-quota");
  g_assert_cmpint (json_object_get_int_member (server, "limit_bytes"), ==, 100 * 1024 * 1024);
  g_assert_true (json_object_has_member (json_object_get_object_member (root, "local"), "bytes"));

  /* In words, too. */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = kurir_test_run_cli (input, &out, &err, "storage", "uma-cli", "--password-stdin", NULL);
  g_assert_cmpint (status, ==, 0);
  g_test_message ("%s", out);
  /* (the space before the unit may be a no-break one) */
  g_assert_nonnull (strstr (out, "of 100.0"));
  g_assert_nonnull (strstr (out, "MiB used"));

  /* An unknown account is an error that names it. */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = kurir_test_run_cli (NULL, &out, &err, "storage", "nobody-here", "--local", NULL);
  g_assert_cmpint (status, !=, 0);
  g_assert_nonnull (strstr (err, "nobody-here"));
}

/* QUOTA responses no honest server sends: a clear error, nothing kept. */
static void
run_quota_script (const char  *responses,
                  GPtrArray  **out_roots,
                  GError     **error)
{
  g_autofree char *reply = g_strconcat (responses, "A0001 OK done\r\n", NULL);
  const KurirScriptStep script[] = {
    { NULL, "* PREAUTH [CAPABILITY IMAP4rev1 QUOTA] ready\r\n" },
    { "A0001 GETQUOTAROOT INBOX", reply },
    { "", NULL },
    { NULL, NULL },
  };
  KurirScriptedServer *server = kurir_scripted_server_start (script);
  g_autoptr(KurirConnection) connection =
    kurir_connection_new ("127.0.0.1", kurir_scripted_server_get_port (server), KURIR_SECURITY_NONE);
  g_autoptr(KurirImapClient) client = kurir_imap_client_new (connection);
  g_autoptr(GAsyncResult) result = NULL;

  kurir_imap_client_set_allow_plaintext (client, TRUE);
  kurir_imap_client_set_timeout (client, KURIR_TEST_TIMEOUT_SECONDS);
  kurir_imap_client_connect_async (client, NULL, kurir_test_store_result, &result);
  g_assert_true (kurir_imap_client_connect_finish (client, kurir_test_wait (&result), NULL));
  g_clear_object (&result);

  kurir_imap_client_get_quota_root_async (client, "INBOX", NULL, kurir_test_store_result, &result);
  *out_roots = kurir_imap_client_get_quota_root_finish (client, kurir_test_wait (&result), error);
  kurir_imap_client_close (client);
  kurir_scripted_server_stop (server);
}

static void
test_quota_responses (void)
{
  g_autoptr(GPtrArray) roots = NULL;
  g_autoptr(GError) error = NULL;
  const KurirImapQuota *quota;
  const char *broken[] = {
    "* QUOTA \"\" (STORAGE 10)\r\n",                  /* a resource without its limit */
    "* QUOTA \"\" (STORAGE ten 512)\r\n",             /* a usage that is no number */
    "* QUOTA \"\" (STORAGE 99999999999999999999 1)\r\n", /* beyond 63 bits */
    "* QUOTA \"\" STORAGE 10 512\r\n",                /* no list */
    "* QUOTAROOT (INBOX)\r\n",                        /* a list for a mailbox */
  };

  /* Two roots, one with both resources, an unknown resource skipped. */
  run_quota_script ("* QUOTAROOT INBOX \"\" \"shared\"\r\n"
                    "* QUOTA \"\" (STORAGE 10 512 MESSAGE 3 1000 X-UNKNOWN 1 2)\r\n"
                    "* QUOTA \"shared\" (STORAGE 400 500)\r\n", &roots, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (roots->len, ==, 2);
  quota = g_ptr_array_index (roots, 0);
  g_assert_cmpstr (quota->root, ==, "");
  g_assert_cmpint (quota->storage_used, ==, 10);
  g_assert_cmpint (quota->storage_limit, ==, 512);
  g_assert_cmpint (quota->messages_used, ==, 3);
  g_assert_cmpint (quota->messages_limit, ==, 1000);
  quota = g_ptr_array_index (roots, 1);
  g_assert_cmpstr (quota->root, ==, "shared");
  g_assert_cmpint (quota->messages_used, ==, -1);
  g_clear_pointer (&roots, g_ptr_array_unref);

  /* No quota on the mailbox: an empty answer, not an error. */
  run_quota_script ("* QUOTAROOT INBOX\r\n", &roots, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (roots->len, ==, 0);
  g_clear_pointer (&roots, g_ptr_array_unref);

  for (guint i = 0; i < G_N_ELEMENTS (broken); i++)
    {
      run_quota_script (broken[i], &roots, &error);
      g_assert_null (roots);
      g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_PROTOCOL);
      g_assert_nonnull (strstr (error->message, "127.0.0.1"));
      g_clear_error (&error);
    }

  /* A flood of roots is bounded. */
  {
    g_autoptr(GString) flood = g_string_new ("* QUOTAROOT INBOX");

    for (guint i = 0; i < 1000; i++)
      g_string_append_printf (flood, " r%u", i);
    g_string_append (flood, "\r\n");
    run_quota_script (flood->str, &roots, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (roots->len, <=, 64);
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/storage/quota-responses", test_quota_responses);
  g_test_add_func ("/storage/local-usage", test_local_usage);
  g_test_add_func ("/storage/hint", test_hint);
  if (g_getenv ("KURIR_TEST_PASSWORD_UMA") == NULL)
    {
      g_test_message ("No test servers: the server tests are left out");
      return g_test_run ();
    }
  for (guint i = 0; i < N_MESSAGES; i++)
    deliver (i);

  g_test_add_func ("/storage/imap-quota", test_imap_quota);
  g_test_add_func ("/storage/pop3-stat", test_pop3_stat);
  g_test_add_func ("/storage/wrong-password", test_wrong_password);
  g_test_add_func ("/storage/cli", test_cli);
  return g_test_run ();
}
