/* test-outbox.c: sending through the Outbox against the real servers of
 * tests/servers: alice sends to peggy with quentin in Bcc; the message
 * arrives with the same non-ASCII subject, body and attachment bytes;
 * quentin gets it and is in no header; the copy lands in the server's
 * Sent (IMAP account) or the local Sent (POP3 account, `kurir-cli send`);
 * with the SMTP server unreachable the message waits in the Outbox and
 * goes out exactly once when it is reachable again.
 *
 * Only alice (sender), peggy and quentin (recipients) are used; each test
 * message has a unique marker in its subject, and the copies are removed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "kurir-account.h"
#include "kurir-message-builder.h"
#include "kurir-message-info.h"
#include "kurir-message-parts.h"
#include "kurir-mime.h"
#include "kurir-outbox.h"
#include "kurir-store.h"
#include "kurir-test-util.h"

/* Helpers */

static char *
user_env (const char *prefix,
          const char *user)
{
  g_autofree char *name = g_strconcat (prefix, user, NULL);
  g_autofree char *upper = g_ascii_strup (name, -1);

  return g_strdup (kurir_test_getenv (upper));
}

static char *
new_marker (void)
{
  return g_strdup_printf ("kurir-outbox-%u-%08x", (guint) getpid (), g_random_int ());
}

/* An account of alice's on the test servers, sending over SMTPS (or to
 * @smtp_port when not 0). */
static char *
add_account (const char *protocol,
             guint16     smtp_port)
{
  static guint serial;
  char *name = g_strdup_printf ("compose-%s-%u-%u", protocol, (guint) getpid (), ++serial);
  g_autofree char *password = user_env ("KURIR_TEST_PASSWORD_", "alice");
  g_autofree char *input = g_strconcat (password, "\n", NULL);
  g_autofree char *port = g_strdup_printf ("%u", smtp_port != 0 ? smtp_port
                                                                : kurir_test_port ("KURIR_TEST_SMTPS_PORT"));
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  gboolean imap = g_str_equal (protocol, "imap");
  int status;

  status = kurir_test_run_cli (input, &out, &err, "account", "add", name,
                               "--email", "alice@localhost", "--user", "alice",
                               "--protocol", protocol,
                               "--host", kurir_test_getenv ("KURIR_TEST_HOST"),
                               "--port", kurir_test_getenv (imap ? "KURIR_TEST_IMAPS_PORT"
                                                                 : "KURIR_TEST_POP3S_PORT"),
                               "--security", "tls",
                               "--smtp-host", kurir_test_getenv ("KURIR_TEST_HOST"),
                               "--smtp-port", port, "--smtp-security", "tls",
                               "--ca-file", kurir_test_getenv ("KURIR_TEST_CA"),
                               "--password-stdin", NULL);
  if (status != 0)
    g_error ("account add failed: %s", err);
  return name;
}

static KurirStore *
open_store (void)
{
  g_autoptr(GError) error = NULL;
  KurirStore *store = kurir_store_open (NULL, &error);

  g_assert_no_error (error);
  return store;
}

/* The files under @maildir (new/ and cur/) that contain @marker. */
static GPtrArray *
find_copies (const char *maildir,
             const char *marker)
{
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);
  static const char *const subdirs[] = { "new", "cur" };

  for (guint s = 0; s < G_N_ELEMENTS (subdirs); s++)
    {
      g_autofree char *dir_path = g_build_filename (maildir, subdirs[s], NULL);
      g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
      const char *entry;

      while (dir != NULL && (entry = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *path = g_build_filename (dir_path, entry, NULL);
          g_autofree char *contents = NULL;

          if (g_file_get_contents (path, &contents, NULL, NULL) && strstr (contents, marker) != NULL)
            g_ptr_array_add (paths, g_steal_pointer (&path));
        }
    }
  return paths;
}

/* The one copy of @marker in @user's INBOX (or @subfolder), read and
 * removed. */
static char *
take_delivered (const char *user,
                const char *subfolder,
                const char *marker)
{
  g_autofree char *root = user_env ("KURIR_TEST_MAILDIR_", user);
  g_autofree char *maildir = subfolder != NULL ? g_build_filename (root, subfolder, NULL)
                                               : g_strdup (root);
  g_autoptr(GPtrArray) copies = find_copies (maildir, marker);
  char *contents = NULL;

  g_assert_cmpuint (copies->len, ==, 1);
  g_assert_true (g_file_get_contents (g_ptr_array_index (copies, 0), &contents, NULL, NULL));
  g_assert_cmpint (g_unlink (g_ptr_array_index (copies, 0)), ==, 0);
  return contents;
}

static char *
header_block (const char *message)
{
  const char *end = strstr (message, "\n\n");
  const char *crlf = strstr (message, "\r\n\r\n");

  if (crlf != NULL && (end == NULL || crlf < end))
    end = crlf;
  g_assert_nonnull (end);
  return g_strndup (message, end - message);
}

static GBytes *
attachment_bytes (void)
{
  guint8 data[5000];

  for (guint i = 0; i < sizeof data; i++)
    data[i] = (guint8) ((i * 31) ^ (i >> 7));
  return g_bytes_new (data, sizeof data);
}

/* The message as delivered: subject, body and attachment as sent. */
static void
assert_same_message (const char *delivered,
                     const char *subject,
                     const char *body_text,
                     GBytes     *attachment)
{
  g_autoptr(KurirMessageInfo) info = kurir_message_info_new_from_data (delivered, strlen (delivered));
  g_autoptr(KurirMessageParts) parts = kurir_message_parts_new_from_data (delivered, strlen (delivered));
  g_autofree char *text = kurir_mime_get_text (delivered, strlen (delivered));
  g_autoptr(GFileIOStream) io = NULL;
  g_autoptr(GFile) out = g_file_new_tmp ("kurir-outbox-XXXXXX", &io, NULL);
  g_autofree char *saved = NULL;
  gsize saved_len;
  KurirAttachment *first;

  g_assert_cmpstr (info->subject, ==, subject);
  g_assert_nonnull (strstr (text, body_text));
  if (attachment == NULL)
    return;
  g_assert_cmpuint (parts->attachments->len, ==, 1);
  first = g_ptr_array_index (parts->attachments, 0);
  g_assert_cmpstr (first->filename, ==, "Lampiran ü.bin");
  g_assert_true (kurir_message_parts_save_attachment (delivered, strlen (delivered), first->index, out,
                                                      NULL, NULL));
  g_assert_true (g_file_load_contents (out, NULL, &saved, &saved_len, NULL, NULL));
  g_assert_cmpmem (saved, saved_len, g_bytes_get_data (attachment, NULL), g_bytes_get_size (attachment));
  g_file_delete (out, NULL, NULL);
}

/* A TCP port on 127.0.0.1 with nobody listening. */
static guint16
closed_port (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  guint16 port;

  g_assert_true (g_socket_bind (socket, any, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_close (socket, NULL);
  return port;
}

/* Tests */

static void
test_imap_send (void)
{
  g_autofree char *name = add_account ("imap", 0);
  g_autofree char *marker = new_marker ();
  g_autofree char *subject = g_strdup_printf ("Grüße, ĉu vi? %s", marker);
  const char *body = "Halo Peggy,\nini laporannya — naïve café.\n\nSalam,\nAlice\n";
  g_autoptr(GBytes) attachment = attachment_bytes ();
  g_autoptr(KurirMessageBuilder) builder = kurir_message_builder_new ();
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(KurirAccount) account = NULL;
  g_autoptr(KurirOutbox) outbox = NULL;
  g_autoptr(GBytes) message = NULL;
  g_autoptr(GPtrArray) left = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) recipients = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *peggy = NULL;
  g_autofree char *quentin = NULL;
  g_autofree char *sent = NULL;
  g_autofree char *headers = NULL;
  KurirOutboxStats stats;

  /* Sync first: the folders and their roles (Sent) are known. */
  g_assert_cmpint (kurir_test_run_cli (NULL, &out, &err, "sync", name, NULL), ==, 0);

  kurir_message_builder_set_from (builder, "Alice Ærø", "alice@localhost");
  g_assert_true (kurir_message_builder_add_recipients (builder, KURIR_RECIPIENT_TO,
                                                       "Peggy <peggy@localhost>", &error));
  g_assert_true (kurir_message_builder_add_recipients (builder, KURIR_RECIPIENT_BCC,
                                                       "quentin@localhost", &error));
  kurir_message_builder_set_subject (builder, subject);
  kurir_message_builder_set_body (builder, body);
  kurir_message_builder_add_attachment (builder, "Lampiran ü.bin", NULL, attachment);
  message = kurir_message_builder_build (builder, &error);
  g_assert_no_error (error);
  recipients = kurir_message_builder_get_recipients (builder);

  store = open_store ();
  account = kurir_account_load (name, &error);
  g_assert_no_error (error);
  outbox = kurir_outbox_new (account, store);
  g_assert_cmpint (kurir_outbox_queue (outbox, message, (const char * const *) recipients, &error), >, 0);
  g_assert_no_error (error);
  /* Durable before anything is sent. */
  g_assert_cmpint (kurir_store_count (store, name, KURIR_OUTBOX_FOLDER, NULL), ==, 1);

  g_assert_true (kurir_outbox_flush (outbox, 0, FALSE, &stats, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.sent, ==, 1);
  g_assert_cmpuint (stats.waiting + stats.failed + stats.uncertain, ==, 0);

  peggy = take_delivered ("peggy", NULL, marker);
  assert_same_message (peggy, subject, "ini laporannya — naïve café.", attachment);
  quentin = take_delivered ("quentin", NULL, marker);
  assert_same_message (quentin, subject, "naïve café", attachment);
  headers = header_block (peggy);
  g_assert_null (strstr (headers, "quentin"));
  g_assert_null (strstr (headers, "Bcc"));
  g_free (headers);
  headers = header_block (quentin);
  g_assert_null (strstr (headers, "quentin"));

  /* The Outbox is empty; the copy is in the server's Sent folder. */
  left = kurir_outbox_list (outbox, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (left->len, ==, 0);
  sent = take_delivered ("alice", ".Sent", marker);
  assert_same_message (sent, subject, "naïve café", attachment);
  g_assert_null (strstr (sent, "quentin"));
}

static void
test_pop3_cli_send (void)
{
  g_autofree char *name = add_account ("pop3", 0);
  g_autofree char *marker = new_marker ();
  g_autofree char *subject = g_strdup_printf ("Rapat besok — %s", marker);
  g_autofree char *raw = g_strdup_printf ("From: Alice <alice@localhost>\n"
                                          "To: peggy@localhost\n"
                                          "Bcc: Quentin <quentin@localhost>\n"
                                          "Subject: =?UTF-8?Q?Rapat_besok_=E2=80=94_%s?=\n"
                                          "MIME-Version: 1.0\n"
                                          "Content-Type: text/plain; charset=UTF-8\n"
                                          "Content-Transfer-Encoding: 8bit\n"
                                          "\n"
                                          "Sampai jumpa, Peggy. Grüße.\n", marker);
  g_autofree char *path = g_build_filename (g_get_user_cache_dir (), "prepared.eml", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *peggy = NULL;
  g_autofree char *quentin = NULL;
  g_autofree char *headers = NULL;
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(GPtrArray) sent = NULL;
  g_autoptr(GBytes) sent_raw = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  g_assert_cmpint (g_mkdir_with_parents (g_get_user_cache_dir (), 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, raw, -1, NULL));
  status = kurir_test_run_cli (NULL, &out, &err, "send", "--account", name, path, NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (g_str_has_prefix (out, "Sent <"));
  g_assert_nonnull (strstr (out, "to 2 recipients"));
  g_assert_true (strchr (out, '\n') == out + strlen (out) - 1);

  peggy = take_delivered ("peggy", NULL, marker);
  assert_same_message (peggy, subject, "Sampai jumpa, Peggy. Grüße.", NULL);
  quentin = take_delivered ("quentin", NULL, marker);
  headers = header_block (peggy);
  g_assert_null (strstr (headers, "quentin"));
  g_assert_nonnull (strstr (headers, "Message-ID: <"));

  /* Kept in the local Sent folder, without the Bcc field. */
  store = open_store ();
  g_assert_cmpint (kurir_store_count (store, name, KURIR_OUTBOX_FOLDER, NULL), ==, 0);
  sent = kurir_store_list (store, name, "Sent", 0, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sent->len, ==, 1);
  sent_raw = kurir_store_get_raw (store, kurir_message_get_id (g_ptr_array_index (sent, 0)), &error);
  g_assert_no_error (error);
  g_assert_nonnull (g_strstr_len (g_bytes_get_data (sent_raw, NULL), g_bytes_get_size (sent_raw), marker));
  g_assert_null (g_strstr_len (g_bytes_get_data (sent_raw, NULL), g_bytes_get_size (sent_raw), "quentin"));
}

static void
test_offline_then_once (void)
{
  guint16 port = closed_port ();
  g_autofree char *name = add_account ("pop3", port);
  g_autofree char *marker = new_marker ();
  g_autofree char *raw = g_strdup_printf ("From: alice@localhost\n"
                                          "To: peggy@localhost\n"
                                          "Subject: offline %s\n"
                                          "\n"
                                          "Sent when the server is back.\n", marker);
  g_autofree char *path = g_build_filename (g_get_user_cache_dir (), "offline.eml", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *port_text = g_strdup_printf (":%u", port);
  g_autofree char *peggy_root = user_env ("KURIR_TEST_MAILDIR_", "peggy");
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(KurirAccount) account = NULL;
  g_autoptr(KurirOutbox) outbox = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GPtrArray) copies = NULL;
  g_autoptr(GError) error = NULL;
  KurirOutboxItem *item;
  KurirOutboxStats stats;
  int status;

  g_assert_cmpint (g_mkdir_with_parents (g_get_user_cache_dir (), 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, raw, -1, NULL));
  status = kurir_test_run_cli (NULL, &out, &err, "send", "--account", name, path, NULL);
  /* One line naming the account, the server and the cause. */
  g_test_message ("%s", err);
  g_assert_cmpint (status, !=, 0);
  g_assert_nonnull (strstr (err, name));
  g_assert_nonnull (strstr (err, port_text));
  g_assert_nonnull (strstr (err, "Outbox"));
  g_assert_true (kurir_test_is_one_line (err));

  store = open_store ();
  account = kurir_account_load (name, &error);
  g_assert_no_error (error);
  outbox = kurir_outbox_new (account, store);
  items = kurir_outbox_list (outbox, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (items->len, ==, 1);
  item = g_ptr_array_index (items, 0);
  g_assert_cmpint (item->state, ==, KURIR_OUTBOX_STATE_WAITING);
  g_assert_nonnull (item->reason);
  g_assert_cmpint (item->next_attempt, >, g_get_real_time () / G_USEC_PER_SEC);
  g_assert_cmpuint (item->attempts, ==, 1);

  /* Not due yet: a flush leaves it alone. */
  g_assert_true (kurir_outbox_flush (outbox, 0, FALSE, &stats, NULL, &error));
  g_assert_cmpuint (stats.waiting, ==, 1);
  g_assert_cmpuint (stats.sent, ==, 0);

  /* The server is reachable again. */
  kurir_account_set_smtp_port (account, kurir_test_port ("KURIR_TEST_SMTPS_PORT"));
  g_assert_true (kurir_account_save (account, &error));
  g_assert_no_error (error);
  g_clear_object (&outbox);
  outbox = kurir_outbox_new (account, store);
  g_assert_true (kurir_outbox_flush (outbox, 0, TRUE, &stats, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.sent, ==, 1);
  g_assert_true (kurir_outbox_flush (outbox, 0, TRUE, &stats, NULL, &error));
  g_assert_cmpuint (stats.sent, ==, 0);
  /* `kurir-cli sync` flushes too (nothing left to send). */
  g_assert_true (kurir_outbox_flush_run (account, store, &stats, NULL, &error));
  g_assert_cmpuint (stats.sent, ==, 0);

  copies = find_copies (peggy_root, marker);
  g_assert_cmpuint (copies->len, ==, 1);
  g_assert_cmpint (g_unlink (g_ptr_array_index (copies, 0)), ==, 0);
  g_assert_cmpint (kurir_store_count (store, name, KURIR_OUTBOX_FOLDER, NULL), ==, 0);
  g_assert_cmpint (kurir_store_count (store, name, "Sent", NULL), ==, 1);
}

/* A permanent refusal (unknown recipient: 550) keeps the message with the
 * server's words and does not retry it; discard drops it. */
static void
test_permanent (void)
{
  g_autofree char *name = add_account ("pop3", 0);
  g_autofree char *marker = new_marker ();
  g_autofree char *raw = g_strdup_printf ("From: alice@localhost\n"
                                          "To: nobody-here-%s@localhost\n"
                                          "Subject: refused %s\n"
                                          "\n"
                                          "x\n", marker, marker);
  g_autofree char *path = g_build_filename (g_get_user_cache_dir (), "refused.eml", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(KurirAccount) account = NULL;
  g_autoptr(KurirOutbox) outbox = NULL;
  g_autoptr(KurirOutboxItem) item = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GError) error = NULL;
  KurirOutboxStats stats;

  g_assert_cmpint (g_mkdir_with_parents (g_get_user_cache_dir (), 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, raw, -1, NULL));
  g_assert_cmpint (kurir_test_run_cli (NULL, &out, &err, "send", "--account", name, path, NULL), !=, 0);
  g_test_message ("%s", err);
  g_assert_nonnull (strstr (err, "550"));

  store = open_store ();
  account = kurir_account_load (name, &error);
  outbox = kurir_outbox_new (account, store);
  items = kurir_outbox_list (outbox, &error);
  g_assert_cmpuint (items->len, ==, 1);
  item = g_ptr_array_steal_index (items, 0);
  g_assert_cmpint (item->state, ==, KURIR_OUTBOX_STATE_FAILED);
  g_assert_nonnull (strstr (item->reason, "550"));
  g_assert_true (kurir_outbox_flush (outbox, 0, TRUE, &stats, NULL, &error));
  g_assert_cmpuint (stats.failed, ==, 1);
  g_assert_cmpuint (stats.sent, ==, 0);
  g_assert_true (kurir_outbox_discard (outbox, item->id, &error));
  g_assert_no_error (error);
  g_assert_cmpint (kurir_store_count (store, name, KURIR_OUTBOX_FOLDER, NULL), ==, 0);
}


/* Identities end to end: the display name (non-ASCII, RFC 2047 on the
 * wire) and Reply-To of the primary identity as peggy's mailbox receives
 * them through the real SMTP server (the bytes her POP3 server serves);
 * `kurir-cli send` sends as a further identity (envelope sender too) and
 * refuses a From that is none of the account's identities. */
static void
test_identities (void)
{
  g_autofree char *name = add_account ("pop3", 0);
  g_autofree char *marker = new_marker ();
  g_autofree char *subject = g_strdup_printf ("Identitas %s", marker);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *peggy = NULL;
  g_autofree char *headers = NULL;
  g_autoptr(KurirStore) store = open_store ();
  g_autoptr(KurirAccount) account = NULL;
  g_autoptr(KurirOutbox) outbox = NULL;
  g_autoptr(KurirMessageBuilder) builder = kurir_message_builder_new ();
  g_autoptr(KurirIdentity) primary = NULL;
  g_autoptr(KurirMessageInfo) info = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) recipients = NULL;
  KurirOutboxStats stats;

  g_assert_cmpint (kurir_test_run_cli (NULL, &out, &err, "account", "set", name,
                                       "--display-name", "Alice Ärger",
                                       "--reply-to", "alice.replies@localhost",
                                       "--identity", "Dewi Lestari <dewi@localhost>", NULL), ==, 0);
  account = kurir_account_load (name, &error);
  g_assert_no_error (error);
  primary = kurir_account_find_identity (account, "alice@localhost");
  g_assert_nonnull (primary);

  /* As the composer builds it from the primary identity. */
  kurir_message_builder_set_from (builder, primary->name, primary->address);
  kurir_message_builder_set_reply_to (builder, primary->reply_to);
  g_assert_true (kurir_message_builder_add_recipients (builder, KURIR_RECIPIENT_TO, "peggy@localhost", NULL));
  kurir_message_builder_set_subject (builder, subject);
  kurir_message_builder_set_body (builder, "Salam dari Alice. Grüße — sampai jumpa.\n");
  bytes = kurir_message_builder_build (builder, &error);
  g_assert_no_error (error);
  recipients = kurir_message_builder_get_recipients (builder);
  outbox = kurir_outbox_new (account, store);
  g_assert_cmpint (kurir_outbox_queue (outbox, bytes, (const char * const *) recipients, &error), >, 0);
  g_assert_true (kurir_outbox_flush (outbox, 0, TRUE, &stats, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.sent, ==, 1);

  peggy = take_delivered ("peggy", NULL, marker);
  headers = header_block (peggy);
  g_test_message ("%s", headers);
  g_assert_nonnull (strstr (headers, "\nFrom: Alice =?UTF-8?"));
  g_assert_nonnull (strstr (headers, "<alice@localhost>"));
  g_assert_nonnull (strstr (headers, "\nReply-To: alice.replies@localhost"));
  g_assert_true (g_str_has_prefix (headers, "Return-Path: <alice@localhost>"));
  info = kurir_message_info_new_from_data (peggy, strlen (peggy));
  g_assert_cmpstr (info->from, ==, "Alice Ärger <alice@localhost>");
  /* The real server offers 8BITMIME: the UTF-8 text went as built. */
  g_assert_nonnull (strstr (peggy, "Content-Transfer-Encoding: 8bit\n"));
  g_assert_nonnull (strstr (peggy, "\n\nSalam dari Alice. Grüße — sampai jumpa.\n"));
  {
    const char *spool = kurir_test_getenv ("KURIR_TEST_SMTP_SPOOL");
    g_autoptr(GDir) dir = g_dir_open (spool, 0, NULL);
    const char *entry;
    gboolean found = FALSE;

    g_assert_nonnull (dir);
    while ((entry = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *path = g_build_filename (spool, entry, NULL);
        g_autofree char *eml = NULL;
        g_autofree char *json = NULL;
        g_autofree char *json_path = NULL;
        g_autofree char *stem = NULL;

        if (!g_str_has_suffix (entry, ".eml") || !g_file_get_contents (path, &eml, NULL, NULL) ||
            strstr (eml, subject) == NULL)
          continue;
        stem = g_strndup (path, strlen (path) - strlen (".eml"));
        json_path = g_strconcat (stem, ".json", NULL);
        g_assert_true (g_file_get_contents (json_path, &json, NULL, NULL));
        g_assert_nonnull (strstr (json, "BODY=8BITMIME"));
        g_assert_null (strstr (json, "SMTPUTF8"));
        found = TRUE;
      }
    g_assert_true (found);
  }

  /* kurir-cli send as the further identity. */
  {
    g_autofree char *path = g_build_filename (g_get_user_cache_dir (), "identity.eml", NULL);
    g_autofree char *raw = g_strdup_printf ("From: Dewi Lestari <dewi@localhost>\n"
                                            "To: peggy@localhost\n"
                                            "Subject: dewi %s\n"
                                            "\n"
                                            "dari Dewi\n", marker);
    g_autofree char *dewi = NULL;
    g_autofree char *dewi_headers = NULL;

    g_assert_cmpint (g_mkdir_with_parents (g_get_user_cache_dir (), 0700), ==, 0);
    g_assert_true (g_file_set_contents (path, raw, -1, NULL));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (kurir_test_run_cli (NULL, &out, &err, "send", "--account", name, path, NULL), ==, 0);
    dewi = take_delivered ("peggy", NULL, marker);
    dewi_headers = header_block (dewi);
    g_assert_true (g_str_has_prefix (dewi_headers, "Return-Path: <dewi@localhost>"));
    g_assert_nonnull (strstr (dewi_headers, "\nFrom: Dewi Lestari <dewi@localhost>"));
  }

  /* Not an identity: refused, nothing queued, nothing delivered. */
  {
    g_autofree char *path = g_build_filename (g_get_user_cache_dir (), "stranger.eml", NULL);
    g_autofree char *raw = g_strdup_printf ("From: Mallory <mallory@localhost>\n"
                                            "To: peggy@localhost\n"
                                            "Subject: mallory %s\n"
                                            "\n"
                                            "x\n", marker);
    g_autofree char *peggy_root = user_env ("KURIR_TEST_MAILDIR_", "peggy");
    g_autoptr(GPtrArray) copies = NULL;

    g_assert_true (g_file_set_contents (path, raw, -1, NULL));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (kurir_test_run_cli (NULL, &out, &err, "send", "--account", name, path, NULL), !=, 0);
    g_test_message ("%s", err);
    g_assert_nonnull (strstr (err, "mallory@localhost is not one of this account's identities"));
    g_assert_nonnull (strstr (err, "alice@localhost, dewi@localhost"));
    g_assert_cmpint (kurir_store_count (store, name, KURIR_OUTBOX_FOLDER, NULL), ==, 0);
    copies = find_copies (peggy_root, marker);
    g_assert_cmpuint (copies->len, ==, 0);
  }
}


/* How many copies of @marker @user's @subfolder holds on the server. */
static guint
count_on_server (const char *user,
                 const char *subfolder,
                 const char *marker)
{
  g_autofree char *root = user_env ("KURIR_TEST_MAILDIR_", user);
  g_autofree char *maildir = g_build_filename (root, subfolder, NULL);
  g_autoptr(GPtrArray) copies = find_copies (maildir, marker);

  return copies->len;
}

/* How many messages of the local @folder have @marker in their subject. */
static guint
count_here (KurirStore *store,
            const char *account,
            const char *folder,
            const char *marker)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) messages = kurir_store_list (store, account, folder, 0, 1000, &error);
  guint n = 0;

  g_assert_no_error (error);
  for (guint i = 0; i < messages->len; i++)
    n += strstr (kurir_message_get_subject (g_ptr_array_index (messages, i)), marker) != NULL;
  return n;
}

/* Drafts of an IMAP account, as the composer saves them: each new version
 * is appended to the server's Drafts and the old one expunged there, never
 * moved to the Trash; after sending, Drafts is empty of it and the Trash
 * untouched. Counted in alice's mailboxes on the server (Dovecot's
 * Maildir: a \Deleted copy not expunged would count too). */
static void
test_imap_drafts (void)
{
  g_autofree char *name = add_account ("imap", 0);
  g_autofree char *marker = new_marker ();
  g_autofree char *subject = g_strdup_printf ("Konsep %s", marker);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(KurirAccount) account = NULL;
  g_autoptr(KurirOutbox) outbox = NULL;
  g_autoptr(KurirMessageBuilder) builder = kurir_message_builder_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) message = NULL;
  g_auto(GStrv) recipients = NULL;
  g_autofree char *peggy = NULL;
  KurirOutboxStats stats;
  gint64 draft = 0;
  guint trash_before;

  g_assert_cmpint (kurir_test_run_cli (NULL, &out, &err, "sync", name, NULL), ==, 0);
  store = open_store ();
  account = kurir_account_load (name, &error);
  g_assert_no_error (error);
  trash_before = count_on_server ("alice", ".Trash", marker);
  g_assert_cmpuint (trash_before, ==, 0);

  kurir_message_builder_set_from (builder, NULL, "alice@localhost");
  g_assert_true (kurir_message_builder_add_recipients (builder, KURIR_RECIPIENT_TO, "peggy@localhost", NULL));
  kurir_message_builder_set_subject (builder, subject);
  for (guint version = 1; version <= 3; version++)
    {
      g_autofree char *body = g_strdup_printf ("version %u\n", version);
      g_autoptr(GBytes) bytes = NULL;

      kurir_message_builder_set_body (builder, body);
      {
        /* As the composer does: a copy, with a Message-ID of its own. */
        g_autoptr(KurirMessageBuilder) copy = kurir_message_builder_copy (builder);

        kurir_message_builder_set_message_id (copy, NULL);
        bytes = kurir_message_builder_build_draft (copy, &error);
        g_assert_no_error (error);
      }
      draft = kurir_outbox_save_draft (account, store, bytes, draft, &error);
      g_assert_no_error (error);
      g_assert_cmpint (draft, >, 0);
      /* One draft here at any time, before and after the replay. */
      g_assert_cmpuint (count_here (store, name, "Drafts", marker), ==, 1);
      /* Version 2 is saved offline: its replay comes with version 3's. */
      if (version == 2)
        continue;
      g_clear_pointer (&out, g_free);
      g_clear_pointer (&err, g_free);
      g_assert_cmpint (kurir_test_run_cli (NULL, &out, &err, "sync", name, NULL), ==, 0);
      g_assert_cmpuint (count_on_server ("alice", ".Drafts", marker), ==, 1);
      g_assert_cmpuint (count_here (store, name, "Drafts", marker), ==, 1);
    }
  g_assert_cmpuint (count_on_server ("alice", ".Trash", marker), ==, 0);
  {
    g_autofree char *root = user_env ("KURIR_TEST_MAILDIR_", "alice");
    g_autofree char *drafts = g_build_filename (root, ".Drafts", NULL);
    g_autoptr(GPtrArray) copies = find_copies (drafts, marker);
    g_autofree char *contents = NULL;

    g_assert_true (g_file_get_contents (g_ptr_array_index (copies, 0), &contents, NULL, NULL));
    g_assert_nonnull (strstr (contents, "version 3"));
  }

  /* Sent: the draft goes, by expunge; the Trash stays as it was. */
  message = kurir_message_builder_build (builder, &error);
  g_assert_no_error (error);
  recipients = kurir_message_builder_get_recipients (builder);
  outbox = kurir_outbox_new (account, store);
  g_assert_cmpint (kurir_outbox_queue (outbox, message, (const char * const *) recipients, &error), >, 0);
  g_assert_true (kurir_outbox_drop_draft (account, store, draft, &error));
  g_assert_no_error (error);
  g_assert_true (kurir_outbox_flush (outbox, 0, FALSE, &stats, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.sent, ==, 1);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (kurir_test_run_cli (NULL, &out, &err, "sync", name, NULL), ==, 0);
  g_assert_cmpuint (count_on_server ("alice", ".Drafts", marker), ==, 0);
  g_assert_cmpuint (count_on_server ("alice", ".Trash", marker), ==, 0);
  g_assert_cmpuint (count_on_server ("alice", ".Sent", marker), ==, 1);
  g_assert_cmpuint (count_here (store, name, "Drafts", marker), ==, 0);
  peggy = take_delivered ("peggy", NULL, marker);
  g_assert_nonnull (strstr (peggy, "version 3"));
  g_free (take_delivered ("alice", ".Sent", marker));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  kurir_test_require_servers ();
  kurir_mime_init ();

  g_test_add_func ("/outbox/imap-send", test_imap_send);
  g_test_add_func ("/outbox/pop3-cli-send", test_pop3_cli_send);
  g_test_add_func ("/outbox/offline-then-once", test_offline_then_once);
  g_test_add_func ("/outbox/permanent", test_permanent);
  g_test_add_func ("/outbox/identities", test_identities);
  g_test_add_func ("/outbox/imap-drafts", test_imap_drafts);

  return g_test_run ();
}
