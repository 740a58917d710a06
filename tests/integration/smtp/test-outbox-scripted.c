/* test-outbox-scripted.c: the Outbox against a scripted SMTP server, for
 * what an honest server rarely does on demand: the connection cut after
 * the final "." (delivery uncertain: never sent again until the user
 * resends it), a 4xx after the data (waits, backoff, then goes once), and
 * a crash while sending (found "sending" at the next start: uncertain
 * once the final "." was marked as going out, else sent again, once).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "kurir-account.h"
#include "kurir-mime.h"
#include "kurir-outbox.h"
#include "kurir-scripted-server.h"
#include "kurir-smtp-client.h"
#include "kurir-store.h"
#include "kurir-test-util.h"

#define GREETING "220 scripted.example ESMTP ready\r\n"
#define EHLO     "250-scripted.example\r\n250-SIZE 100000\r\n250 8BITMIME\r\n"

/* Seven lines, then the final dot. */
#define MESSAGE_LINES \
  { "From: ", "" }, { "To: ", "" }, { "Subject: ", "" }, { "Message-ID: ", "" }, \
  { "Date: ", "" }, { "", "" }, { "body", "" }

typedef struct
{
  KurirStore   *store;
  KurirAccount *account;
  KurirOutbox  *outbox;
  gint64        id;
} Fixture;

/* Helpers */

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  static guint serial;
  g_autofree char *name = g_strdup_printf ("compose-scripted-%u", ++serial);
  g_autofree char *message_id = g_strdup_printf ("scripted-%u-%08x@localhost", serial, g_random_int ());
  g_autofree char *raw = g_strdup_printf ("From: alice@localhost\r\n"
                                          "To: peggy@localhost\r\n"
                                          "Subject: scripted\r\n"
                                          "Message-ID: <%s>\r\n"
                                          "Date: Sat, 28 Nov 2026 10:00:00 +0000\r\n"
                                          "\r\n"
                                          "body\r\n", message_id);
  g_autoptr(GBytes) bytes = g_bytes_new (raw, strlen (raw));
  g_autoptr(GError) error = NULL;

  fixture->store = kurir_store_open (NULL, &error);
  g_assert_no_error (error);
  fixture->account = kurir_account_new (name);
  kurir_account_set_email (fixture->account, "alice@localhost");
  kurir_account_set_protocol (fixture->account, KURIR_PROTOCOL_POP3);
  kurir_account_set_host (fixture->account, "127.0.0.1");
  kurir_account_set_smtp_host (fixture->account, "127.0.0.1");
  kurir_account_set_smtp_security (fixture->account, KURIR_SECURITY_NONE);
  kurir_account_set_allow_plaintext (fixture->account, TRUE);
  fixture->outbox = kurir_outbox_new (fixture->account, fixture->store);
  fixture->id = kurir_outbox_queue (fixture->outbox, bytes, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (fixture->id, >, 0);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_object (&fixture->outbox);
  g_clear_object (&fixture->account);
  g_clear_object (&fixture->store);
}

static KurirScriptedServer *
start (Fixture               *fixture,
       const KurirScriptStep *steps)
{
  KurirScriptedServer *server = kurir_scripted_server_start (steps);

  kurir_account_set_smtp_port (fixture->account, kurir_scripted_server_get_port (server));
  return server;
}

static KurirOutboxItem *
item (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  KurirOutboxItem *found = kurir_outbox_get_item (fixture->outbox, fixture->id, &error);

  g_assert_no_error (error);
  return found;
}

static const KurirScriptStep success_steps[] = {
  { NULL, GREETING },
  { "EHLO ", EHLO },
  { "MAIL FROM:<alice@localhost>", "250 OK\r\n" },
  { "RCPT TO:<peggy@localhost>", "250 OK\r\n" },
  { "DATA", "354 go\r\n" },
  MESSAGE_LINES,
  { ".\r", "250 2.0.0 queued as 1234\r\n" },
  { "QUIT", "221 bye\r\n" },
  { NULL, NULL },
};

static void
assert_sent_once (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  KurirScriptedServer *server = start (fixture, success_steps);
  KurirOutboxStats stats;

  g_assert_true (kurir_outbox_flush (fixture->outbox, 0, FALSE, &stats, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.sent, ==, 1);
  kurir_scripted_server_join (server);
  kurir_scripted_server_stop (server);
  g_assert_cmpint (kurir_store_count (fixture->store, kurir_account_get_name (fixture->account),
                                      KURIR_OUTBOX_FOLDER, NULL), ==, 0);
  g_assert_cmpint (kurir_store_count (fixture->store, kurir_account_get_name (fixture->account),
                                      "Sent", NULL), ==, 1);
}

/* Tests */

static void
test_uncertain (Fixture       *fixture,
                gconstpointer  data)
{
  static const KurirScriptStep steps[] = {
    { NULL, GREETING },
    { "EHLO ", EHLO },
    { "MAIL", "250 OK\r\n" },
    { "RCPT", "250 OK\r\n" },
    { "DATA", "354 go\r\n" },
    MESSAGE_LINES,
    { ".\r", NULL },   /* cut before the reply */
    { NULL, NULL },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(KurirOutboxItem) after = NULL;
  KurirScriptedServer *server = start (fixture, steps);
  KurirOutboxStats stats;

  g_assert_false (kurir_outbox_flush (fixture->outbox, 0, FALSE, &stats, NULL, &error));
  g_assert_error (error, KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_UNCERTAIN);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  g_assert_cmpuint (stats.uncertain, ==, 1);
  kurir_scripted_server_join (server);
  kurir_scripted_server_stop (server);

  after = item (fixture);
  g_assert_cmpint (after->state, ==, KURIR_OUTBOX_STATE_UNCERTAIN);
  g_assert_nonnull (after->reason);

  /* Not sent again, even forced, and no connection is made (nobody
   * listens on the port any more). */
  g_assert_true (kurir_outbox_flush (fixture->outbox, 0, TRUE, &stats, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.uncertain, ==, 1);
  g_assert_cmpuint (stats.sent, ==, 0);

  /* The state survives a restart: a new Outbox object reads it back. */
  g_clear_object (&fixture->outbox);
  fixture->outbox = kurir_outbox_new (fixture->account, fixture->store);
  g_clear_pointer (&after, kurir_outbox_item_free);
  after = item (fixture);
  g_assert_cmpint (after->state, ==, KURIR_OUTBOX_STATE_UNCERTAIN);

  /* The user decides to send it again. */
  g_assert_true (kurir_outbox_resend (fixture->outbox, fixture->id, &error));
  g_assert_no_error (error);
  assert_sent_once (fixture);
}

static void
test_temporary (Fixture       *fixture,
                gconstpointer  data)
{
  static const KurirScriptStep steps[] = {
    { NULL, GREETING },
    { "EHLO ", EHLO },
    { "MAIL", "250 OK\r\n" },
    { "RCPT", "250 OK\r\n" },
    { "DATA", "354 go\r\n" },
    MESSAGE_LINES,
    { ".\r", "451 4.3.0 queue full, try later\r\n" },
    { "QUIT", "221 bye\r\n" },
    { NULL, NULL },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(KurirOutboxItem) after = NULL;
  KurirScriptedServer *server = start (fixture, steps);
  KurirOutboxStats stats;

  g_assert_false (kurir_outbox_flush (fixture->outbox, 0, FALSE, &stats, NULL, &error));
  g_assert_error (error, KURIR_SMTP_ERROR, KURIR_SMTP_ERROR_TEMPORARY);
  g_clear_error (&error);
  kurir_scripted_server_join (server);
  kurir_scripted_server_stop (server);

  after = item (fixture);
  g_assert_cmpint (after->state, ==, KURIR_OUTBOX_STATE_WAITING);
  g_assert_nonnull (strstr (after->reason, "queue full"));
  g_assert_cmpuint (after->attempts, ==, 1);
  g_assert_cmpint (after->next_attempt, >=,
                   g_get_real_time () / G_USEC_PER_SEC + KURIR_OUTBOX_BACKOFF_MIN - 5);

  /* Not due: left alone, no connection. */
  g_assert_true (kurir_outbox_flush (fixture->outbox, 0, FALSE, &stats, NULL, &error));
  g_assert_cmpuint (stats.waiting, ==, 1);
  g_assert_cmpuint (stats.sent, ==, 0);

  /* Due (as "send now" does): goes once. */
  {
    KurirScriptedServer *again = start (fixture, success_steps);

    g_assert_true (kurir_outbox_flush (fixture->outbox, 0, TRUE, &stats, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (stats.sent, ==, 1);
    kurir_scripted_server_join (again);
    kurir_scripted_server_stop (again);
  }
  g_assert_cmpint (kurir_store_count (fixture->store, kurir_account_get_name (fixture->account),
                                      "Sent", NULL), ==, 1);
}

/* A process that died "sending": before the mark of the final "." the
 * server never had a whole message (it dropped the data with the
 * connection), so it goes again, once; after the mark it may have gone:
 * uncertain, the user decides. */
static void
test_crash_while_sending (Fixture       *fixture,
                          gconstpointer  data)
{
  gboolean marked = GPOINTER_TO_INT (data);
  g_autofree char *dir = kurir_store_get_folder_dir (fixture->store,
                                                     kurir_account_get_name (fixture->account),
                                                     KURIR_OUTBOX_FOLDER);
  g_autofree char *path = g_build_filename (dir, KURIR_OUTBOX_STATE_FILE, NULL);
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(KurirOutboxItem) before = item (fixture);
  g_autoptr(KurirOutboxItem) after = NULL;
  g_autoptr(GError) error = NULL;
  KurirOutboxStats stats;

  /* What a process that died after writing "sending" (and the mark) leaves behind. */
  g_assert_true (g_key_file_load_from_file (key_file, path, G_KEY_FILE_NONE, &error));
  g_key_file_set_string (key_file, before->message_id, "state", "sending");
  if (marked)
    g_key_file_set_boolean (key_file, before->message_id, "final-dot", TRUE);
  g_assert_true (g_key_file_save_to_file (key_file, path, &error));

  if (!marked)
    {
      assert_sent_once (fixture);
      return;
    }

  g_assert_true (kurir_outbox_flush (fixture->outbox, 0, TRUE, &stats, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.uncertain, ==, 1);
  g_assert_cmpuint (stats.sent, ==, 0);
  after = item (fixture);
  g_assert_cmpint (after->state, ==, KURIR_OUTBOX_STATE_UNCERTAIN);

  /* Sent again on the user's word, the mark is gone with the new state. */
  g_assert_true (kurir_outbox_resend (fixture->outbox, fixture->id, &error));
  g_assert_no_error (error);
  g_assert_true (g_key_file_load_from_file (key_file, path, G_KEY_FILE_NONE, &error));
  g_assert_false (g_key_file_has_key (key_file, before->message_id, "final-dot", NULL));

  g_assert_true (kurir_outbox_discard (fixture->outbox, fixture->id, &error));
  g_assert_no_error (error);
  g_assert_cmpint (kurir_store_count (fixture->store, kurir_account_get_name (fixture->account),
                                      KURIR_OUTBOX_FOLDER, NULL), ==, 0);
}

/* 250 for one recipient, 450 for the other: delivered to the first, a
 * copy in Sent, the Outbox keeps it for the second only; then it goes to
 * the second alone and no second copy lands in Sent. */
static void
test_partial (Fixture       *fixture,
              gconstpointer  data)
{
  static const KurirScriptStep first[] = {
    { NULL, GREETING },
    { "EHLO ", EHLO },
    { "MAIL", "250 OK\r\n" },
    { "RCPT TO:<peggy@localhost>", "250 OK\r\n" },
    { "RCPT TO:<quentin@localhost>", "450 4.2.1 mailbox busy\r\n" },
    { "DATA", "354 go\r\n" },
    MESSAGE_LINES,
    { ".\r", "250 OK\r\n" },
    { "QUIT", "221 bye\r\n" },
    { NULL, NULL },
  };
  static const KurirScriptStep second[] = {
    { NULL, GREETING },
    { "EHLO ", EHLO },
    { "MAIL", "250 OK\r\n" },
    { "RCPT TO:<quentin@localhost>", "250 OK\r\n" },
    { "DATA", "354 go\r\n" },
    MESSAGE_LINES,
    { ".\r", "250 OK\r\n" },
    { "QUIT", "221 bye\r\n" },
    { NULL, NULL },
  };
  const char *recipients[] = { "peggy@localhost", "quentin@localhost", NULL };
  const char *name = kurir_account_get_name (fixture->account);
  g_autoptr(GError) error = NULL;
  g_autoptr(KurirOutboxItem) after = NULL;
  g_autoptr(GBytes) raw = kurir_store_get_raw (fixture->store, fixture->id, &error);
  KurirScriptedServer *server;
  KurirOutboxStats stats;

  /* The same message again, to both. */
  g_assert_true (kurir_outbox_discard (fixture->outbox, fixture->id, &error));
  fixture->id = kurir_outbox_queue (fixture->outbox, raw, recipients, &error);
  g_assert_no_error (error);

  server = start (fixture, first);
  g_assert_true (kurir_outbox_flush (fixture->outbox, 0, FALSE, &stats, NULL, &error));
  g_assert_no_error (error);
  kurir_scripted_server_join (server);
  kurir_scripted_server_stop (server);
  g_assert_cmpuint (stats.sent, ==, 1);
  g_assert_cmpuint (stats.waiting, ==, 1);
  g_assert_cmpint (kurir_store_count (fixture->store, name, "Sent", NULL), ==, 1);
  after = item (fixture);
  g_assert_cmpint (after->state, ==, KURIR_OUTBOX_STATE_WAITING);
  g_assert_nonnull (strstr (after->reason, "mailbox busy"));
  g_assert_cmpuint (g_strv_length (after->recipients), ==, 1);
  g_assert_cmpstr (after->recipients[0], ==, "quentin@localhost");

  server = start (fixture, second);
  g_assert_true (kurir_outbox_flush (fixture->outbox, 0, TRUE, &stats, NULL, &error));
  g_assert_no_error (error);
  kurir_scripted_server_join (server);
  kurir_scripted_server_stop (server);
  g_assert_cmpuint (stats.sent, ==, 1);
  g_assert_cmpint (kurir_store_count (fixture->store, name, KURIR_OUTBOX_FOLDER, NULL), ==, 0);
  g_assert_cmpint (kurir_store_count (fixture->store, name, "Sent", NULL), ==, 1);
}


/* An 8bit UTF-8 message from a further identity of the account. */
#define EIGHT_BIT_MESSAGE \
  "From: Dewi <dewi@localhost>\r\n" \
  "To: peggy@localhost\r\n" \
  "Subject: 8bit\r\n" \
  "Message-ID: <eight-%s@localhost>\r\n" \
  "Date: Sat, 28 Nov 2026 10:00:00 +0000\r\n" \
  "MIME-Version: 1.0\r\n" \
  "Content-Type: text/plain; charset=utf-8; format=flowed\r\n" \
  "Content-Transfer-Encoding: 8bit\r\n" \
  "\r\n" \
  "Gr\xc3\xbc\xc3\x9f" "e aus Jakarta\r\n"

/* With 8BITMIME in EHLO the bytes go as built, with BODY=8BITMIME; without
 * it they are re-encoded as quoted-printable before DATA and MAIL has no
 * BODY=. Either way the copy in Sent is the message as built, and the
 * envelope sender is the identity in From, not the account's address. */
static void
test_8bitmime (Fixture       *fixture,
               gconstpointer  data)
{
  gboolean offered = GPOINTER_TO_INT (data);
  const KurirScriptStep steps[] = {
    { NULL, GREETING },
    { "EHLO ", offered ? EHLO : "250-scripted.example\r\n250 SIZE 100000\r\n" },
    { offered ? "MAIL FROM:<dewi@localhost> SIZE=" : "MAIL FROM:<dewi@localhost> SIZE=", "250 OK\r\n" },
    { "RCPT TO:<peggy@localhost>", "250 OK\r\n" },
    { "DATA", "354 go\r\n" },
    { "", "" }, { "", "" }, { "", "" }, { "", "" }, { "", "" }, { "", "" }, { "", "" }, { "", "" },
    { "", "" }, { "", "" },
    { ".\r", "250 2.0.0 queued\r\n" },
    { "QUIT", "221 bye\r\n" },
    { NULL, NULL },
  };
  const char *name = kurir_account_get_name (fixture->account);
  g_autofree char *raw = g_strdup_printf (EIGHT_BIT_MESSAGE, offered ? "on" : "off");
  g_autoptr(GBytes) message = g_bytes_new (raw, strlen (raw));
  g_autoptr(GPtrArray) identities = kurir_account_dup_identities (fixture->account);
  g_autoptr(GPtrArray) sent = NULL;
  g_autoptr(GBytes) sent_raw = NULL;
  g_autoptr(GError) error = NULL;
  KurirScriptedServer *server;
  KurirOutboxStats stats;
  const char *received, *mail, *body;

  g_ptr_array_add (identities, kurir_identity_new ("Dewi", "dewi@localhost"));
  kurir_account_set_identities (fixture->account, identities);
  g_assert_true (kurir_outbox_discard (fixture->outbox, fixture->id, &error));
  fixture->id = kurir_outbox_queue (fixture->outbox, message, NULL, &error);
  g_assert_no_error (error);

  server = start (fixture, steps);
  g_assert_true (kurir_outbox_flush (fixture->outbox, 0, FALSE, &stats, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.sent, ==, 1);
  kurir_scripted_server_join (server);
  received = kurir_scripted_server_get_received (server);
  g_test_message ("%s", received);
  mail = strstr (received, "MAIL FROM:");
  body = strstr (received, "\r\n\r\nGr");
  g_assert_nonnull (mail);
  g_assert_nonnull (body);
  if (offered)
    {
      g_assert_nonnull (strstr (mail, " BODY=8BITMIME\r\n"));
      g_assert_true (g_str_has_prefix (body, "\r\n\r\nGr\xc3\xbc\xc3\x9f" "e aus Jakarta\r\n.\r\n"));
      g_assert_nonnull (strstr (received, "Content-Transfer-Encoding: 8bit\r\n"));
    }
  else
    {
      g_assert_null (strstr (received, "BODY="));
      for (const char *p = received; *p != '\0'; p++)
        g_assert_cmpuint ((guchar) *p, <, 0x80);
      g_assert_true (g_str_has_prefix (body, "\r\n\r\nGr=C3=BC=C3=9Fe aus Jakarta\r\n.\r\n"));
      g_assert_nonnull (strstr (received, "Content-Transfer-Encoding: quoted-printable\r\n"));
      g_assert_nonnull (strstr (received, "\r\nSubject: 8bit\r\n"));
    }
  kurir_scripted_server_stop (server);

  /* Sent keeps the bytes as built. */
  sent = kurir_store_list (fixture->store, name, "Sent", 0, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sent->len, ==, 1);
  sent_raw = kurir_store_get_raw (fixture->store, kurir_message_get_id (g_ptr_array_index (sent, 0)), &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (sent_raw, NULL), g_bytes_get_size (sent_raw), raw, strlen (raw));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  kurir_test_require_servers ();   /* the keyring (no SMTP password: no login) */
  kurir_mime_init ();

  g_test_add ("/outbox-scripted/uncertain", Fixture, NULL, fixture_set_up, test_uncertain,
              fixture_tear_down);
  g_test_add ("/outbox-scripted/temporary", Fixture, NULL, fixture_set_up, test_temporary,
              fixture_tear_down);
  g_test_add ("/outbox-scripted/partial", Fixture, NULL, fixture_set_up, test_partial,
              fixture_tear_down);
  g_test_add ("/outbox-scripted/8bitmime-offered", Fixture, GINT_TO_POINTER (TRUE), fixture_set_up,
              test_8bitmime, fixture_tear_down);
  g_test_add ("/outbox-scripted/8bitmime-missing", Fixture, GINT_TO_POINTER (FALSE), fixture_set_up,
              test_8bitmime, fixture_tear_down);
  g_test_add ("/outbox-scripted/crash-while-sending", Fixture, GINT_TO_POINTER (TRUE), fixture_set_up,
              test_crash_while_sending, fixture_tear_down);
  g_test_add ("/outbox-scripted/crash-before-final-dot", Fixture, GINT_TO_POINTER (FALSE),
              fixture_set_up, test_crash_while_sending, fixture_tear_down);

  return g_test_run ();
}
