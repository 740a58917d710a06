/* test-imap-command.c: building commands, tags, sequence sets, and
 * attempts to inject commands through arguments
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "kurir-imap-command.h"
#include "kurir-imap-error.h"
#include "kurir-imap-parser.h"

/* Helpers */

/* The chunks joined, with "|" after each chunk that waits for "+". */
static char *
render (GPtrArray *chunks)
{
  GString *out = g_string_new (NULL);

  g_assert_nonnull (chunks);
  for (guint i = 0; i < chunks->len; i++)
    {
      KurirImapChunk *chunk = chunks->pdata[i];
      gsize size = 0;
      const char *data = g_bytes_get_data (chunk->data, &size);

      g_string_append_len (out, data, size);
      if (chunk->wait_continuation)
        g_string_append_c (out, '|');
    }
  return g_string_free (out, FALSE);
}

static char *
build (KurirImapCommand *command)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) chunks = kurir_imap_command_build (command, &error);

  g_assert_no_error (error);
  return render (chunks);
}

static void
assert_invalid (KurirImapCommand *command)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) chunks = kurir_imap_command_build (command, &error);

  g_assert_null (chunks);
  g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_INVALID_ARGUMENT);
}

/* Tests */

static void
test_tags_and_sets (void)
{
  static const guint32 uids[] = { 12, 1, 2, 3, 4, 5, 7, 9, 10, 11, 5, 0, 4294967295u, 4294967294u };
  static const guint32 one[] = { 42 };
  static const guint32 zero[] = { 0 };
  g_autofree char *tag1 = kurir_imap_make_tag (1);
  g_autofree char *tag2 = kurir_imap_make_tag (12345);
  g_autofree char *set = kurir_imap_sequence_set_from_uids (uids, G_N_ELEMENTS (uids));
  g_autofree char *single = kurir_imap_sequence_set_from_uids (one, 1);
  g_autofree char *none = kurir_imap_sequence_set_from_uids (zero, 1);

  g_assert_cmpstr (tag1, ==, "A0001");
  g_assert_cmpstr (tag2, ==, "A12345");
  g_assert_cmpstr (set, ==, "1:5,7,9:12,4294967294:4294967295");
  g_assert_cmpstr (single, ==, "42");
  g_assert_null (none);
}

static void
test_simple_commands (void)
{
  g_autoptr(KurirImapCommand) fetch = kurir_imap_command_new ("A0007", "UID FETCH");
  g_autoptr(KurirImapCommand) store = kurir_imap_command_new ("A0008", "UID STORE");
  g_autoptr(KurirImapCommand) select = kurir_imap_command_new ("A0009", "SELECT");
  static const guint32 uids[] = { 1, 2, 3, 10 };
  static const char * const flags[] = { "\\Seen", "$Forwarded", NULL };
  g_autofree char *text = NULL;

  kurir_imap_command_add_sequence_set (fetch, uids, G_N_ELEMENTS (uids));
  kurir_imap_command_add_raw (fetch, "(UID FLAGS BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)])");
  kurir_imap_command_open_list (fetch);
  kurir_imap_command_add_atom (fetch, "CHANGEDSINCE");
  kurir_imap_command_add_number (fetch, G_GUINT64_CONSTANT (90060115194045000));
  kurir_imap_command_add_atom (fetch, "VANISHED");
  kurir_imap_command_close_list (fetch);
  text = build (fetch);
  g_assert_cmpstr (text, ==, "A0007 UID FETCH 1:3,10 (UID FLAGS BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)]) "
                             "(CHANGEDSINCE 90060115194045000 VANISHED)\r\n");
  g_clear_pointer (&text, g_free);

  kurir_imap_command_add_sequence_set (store, uids, 1);
  kurir_imap_command_add_atom (store, "+FLAGS.SILENT");
  kurir_imap_command_add_flag_list (store, flags);
  text = build (store);
  g_assert_cmpstr (text, ==, "A0008 UID STORE 1 +FLAGS.SILENT (\\Seen $Forwarded)\r\n");
  g_clear_pointer (&text, g_free);

  kurir_imap_command_add_mailbox (select, "inbox");
  kurir_imap_command_open_list (select);
  kurir_imap_command_add_atom (select, "CONDSTORE");
  kurir_imap_command_close_list (select);
  text = build (select);
  g_assert_cmpstr (text, ==, "A0009 SELECT INBOX (CONDSTORE)\r\n");
}

static void
test_strings (void)
{
  static const struct { const char *in; const char *astring; const char *string; } cases[] = {
    { "simple", "simple", "\"simple\"" },
    { "with space", "\"with space\"", "\"with space\"" },
    { "", "\"\"", "\"\"" },
    { "NIL", "\"NIL\"", "\"NIL\"" },
    { "quo\"te\\back", "\"quo\\\"te\\\\back\"", "\"quo\\\"te\\\\back\"" },
    { "paren(", "\"paren(\"", "\"paren(\"" },
    { "brace{5}", "\"brace{5}\"", "\"brace{5}\"" },
    { "star*pct%", "\"star*pct%\"", "\"star*pct%\"" },
    { "x]y", "\"x]y\"", "\"x]y\"" },
    /* CR, LF or 8-bit: a literal; a synchronising one waits for "+". */
    { "line\r\nA2 DELETE INBOX", "{21}\r\n|line\r\nA2 DELETE INBOX", "{21}\r\n|line\r\nA2 DELETE INBOX" },
    { "only\nLF", "{7}\r\n|only\nLF", "{7}\r\n|only\nLF" },
    { "Café", "{5}\r\n|Café", "{5}\r\n|Café" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(KurirImapCommand) a = kurir_imap_command_new ("A1", "X");
      g_autoptr(KurirImapCommand) s = kurir_imap_command_new ("A1", "X");
      g_autofree char *expected_a = g_strdup_printf ("A1 X %s\r\n", cases[i].astring);
      g_autofree char *expected_s = g_strdup_printf ("A1 X %s\r\n", cases[i].string);
      g_autofree char *text_a = NULL;
      g_autofree char *text_s = NULL;

      kurir_imap_command_add_astring (a, cases[i].in);
      kurir_imap_command_add_string (s, cases[i].in);
      text_a = build (a);
      text_s = build (s);
      g_assert_cmpstr (text_a, ==, expected_a);
      g_assert_cmpstr (text_s, ==, expected_s);
    }

  /* Long strings become literals. */
  {
    g_autoptr(KurirImapCommand) command = kurir_imap_command_new ("A1", "X");
    g_autofree char *lng = g_strnfill (KURIR_IMAP_MAX_QUOTED_LENGTH + 1, 'a');
    g_autofree char *text = NULL;

    kurir_imap_command_add_string (command, lng);
    text = build (command);
    g_assert_true (g_str_has_prefix (text, "A1 X {1025}\r\n|aaa"));
  }

  /* With UTF8=ACCEPT, UTF-8 may be quoted, CR/LF still may not. */
  {
    g_autoptr(KurirImapCommand) command = kurir_imap_command_new ("A1", "X");
    g_autofree char *text = NULL;

    kurir_imap_command_set_utf8 (command, TRUE);
    kurir_imap_command_add_string (command, "Café");
    kurir_imap_command_add_string (command, "a\rb");
    text = build (command);
    g_assert_cmpstr (text, ==, "A1 X \"Café\" {3}\r\n|a\rb\r\n");
  }
}

static void
test_literal_modes (void)
{
  g_autoptr(KurirImapCommand) sync = kurir_imap_command_new ("A1", "APPEND");
  g_autoptr(KurirImapCommand) plus = kurir_imap_command_new ("A2", "APPEND");
  g_autoptr(KurirImapCommand) minus = kurir_imap_command_new ("A3", "APPEND");
  g_autoptr(KurirImapCommand) binary = kurir_imap_command_new ("A4", "APPEND");
  g_autoptr(GBytes) message = g_bytes_new_static ("Subject: x\r\n\r\nhi\r\n", 18);
  g_autofree char *big_data = g_strnfill (KURIR_IMAP_LITERAL_MINUS_MAX + 1, 'b');
  g_autoptr(GBytes) big = g_bytes_new (big_data, strlen (big_data));
  g_autoptr(GBytes) with_nul = g_bytes_new_static ("a\0b", 3);
  g_autoptr(GPtrArray) chunks = NULL;
  g_autoptr(GError) error = NULL;
  static const char * const flags[] = { "\\Seen", NULL };
  g_autofree char *text = NULL;

  kurir_imap_command_add_mailbox (sync, "Sent");
  kurir_imap_command_add_flag_list (sync, flags);
  kurir_imap_command_add_literal (sync, message, FALSE);
  chunks = kurir_imap_command_build (sync, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (chunks->len, ==, 3);
  g_assert_true (((KurirImapChunk *) chunks->pdata[0])->wait_continuation);
  /* The message bytes are not copied. */
  g_assert_true (((KurirImapChunk *) chunks->pdata[1])->data == message);
  text = render (chunks);
  g_assert_cmpstr (text, ==, "A1 APPEND Sent (\\Seen) {18}\r\n|Subject: x\r\n\r\nhi\r\n\r\n");
  g_clear_pointer (&text, g_free);

  kurir_imap_command_set_literal_mode (plus, KURIR_IMAP_LITERAL_PLUS);
  kurir_imap_command_add_mailbox (plus, "Sent");
  kurir_imap_command_add_literal (plus, big, FALSE);
  text = build (plus);
  g_assert_true (g_str_has_prefix (text, "A2 APPEND Sent {4097+}\r\nbbbb"));
  g_assert_null (strchr (text, '|'));
  g_clear_pointer (&text, g_free);

  kurir_imap_command_set_literal_mode (minus, KURIR_IMAP_LITERAL_MINUS);
  kurir_imap_command_add_mailbox (minus, "Sent");
  kurir_imap_command_add_literal (minus, message, FALSE);
  kurir_imap_command_add_literal (minus, big, FALSE);
  text = build (minus);
  g_assert_true (g_str_has_prefix (text, "A3 APPEND Sent {18+}\r\nSubject: x\r\n\r\nhi\r\n {4097}\r\n|bbbb"));
  g_clear_pointer (&text, g_free);

  kurir_imap_command_add_mailbox (binary, "Sent");
  kurir_imap_command_add_literal (binary, with_nul, TRUE);
  text = build (binary);
  g_assert_cmpmem (text, 27, "A4 APPEND Sent ~{3}\r\n|a\0b\r\n", 27);
  g_clear_pointer (&text, g_free);

  /* A NUL is refused in a plain literal. */
  {
    g_autoptr(KurirImapCommand) bad = kurir_imap_command_new ("A5", "APPEND");

    kurir_imap_command_add_mailbox (bad, "Sent");
    kurir_imap_command_add_literal (bad, with_nul, FALSE);
    assert_invalid (bad);
  }
}

static void
test_mailboxes_and_secrets (void)
{
  g_autoptr(KurirImapCommand) create = kurir_imap_command_new ("A1", "CREATE");
  g_autoptr(KurirImapCommand) create_utf8 = kurir_imap_command_new ("A2", "CREATE");
  g_autoptr(KurirImapCommand) login = kurir_imap_command_new ("A3", "LOGIN");
  g_autoptr(KurirImapCommand) login_literal = kurir_imap_command_new ("A4", "LOGIN");
  g_autoptr(GPtrArray) chunks = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  kurir_imap_command_add_mailbox (create, "Arsip/工作 & Proyek");
  text = build (create);
  g_assert_cmpstr (text, ==, "A1 CREATE \"Arsip/&XeVPXA- &- Proyek\"\r\n");
  g_clear_pointer (&text, g_free);

  kurir_imap_command_set_utf8 (create_utf8, TRUE);
  kurir_imap_command_add_mailbox (create_utf8, "Arsip/工作");
  text = build (create_utf8);
  g_assert_cmpstr (text, ==, "A2 CREATE \"Arsip/工作\"\r\n");
  g_clear_pointer (&text, g_free);

  /* Credentials mark their chunk sensitive. */
  kurir_imap_command_add_astring (login, "ana@example.org");
  kurir_imap_command_add_secret (login, "pa\"ss");
  chunks = kurir_imap_command_build (login, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (chunks->len, ==, 1);
  g_assert_true (((KurirImapChunk *) chunks->pdata[0])->sensitive);
  text = render (chunks);
  g_assert_cmpstr (text, ==, "A3 LOGIN ana@example.org \"pa\\\"ss\"\r\n");
  g_clear_pointer (&text, g_free);
  g_clear_pointer (&chunks, g_ptr_array_unref);

  {
    g_autoptr(KurirImapCommand) auth = kurir_imap_command_new ("A5", "AUTHENTICATE PLAIN");
    g_autoptr(KurirImapCommand) bad = kurir_imap_command_new ("A6", "AUTHENTICATE PLAIN");
    g_autoptr(GPtrArray) auth_chunks = NULL;
    g_autofree char *auth_text = NULL;

    kurir_imap_command_add_secret_atom (auth, "AGFuYQBwYXNz");
    auth_chunks = kurir_imap_command_build (auth, &error);
    g_assert_no_error (error);
    g_assert_true (((KurirImapChunk *) auth_chunks->pdata[0])->sensitive);
    auth_text = render (auth_chunks);
    g_assert_cmpstr (auth_text, ==, "A5 AUTHENTICATE PLAIN AGFuYQBwYXNz\r\n");
    kurir_imap_command_add_secret_atom (bad, "AGFu\r\nA7 LOGOUT");
    assert_invalid (bad);
  }

  kurir_imap_command_add_astring (login_literal, "ana");
  kurir_imap_command_add_secret (login_literal, "pässword");
  chunks = kurir_imap_command_build (login_literal, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (chunks->len, ==, 3);
  g_assert_false (((KurirImapChunk *) chunks->pdata[0])->sensitive);
  g_assert_true (((KurirImapChunk *) chunks->pdata[1])->sensitive);
  g_assert_false (((KurirImapChunk *) chunks->pdata[2])->sensitive);
}

/* Whatever the arguments, the command the server reads has exactly the
 * arguments given: no extra line, no extra command. */
static void
test_injection (void)
{
  static const char *attacks[] = {
    "x\r\nA0002 DELETE INBOX",
    "x\" \"y",
    "x\\\" DELETE INBOX",
    "\r\n",
    "\n* OK",
    "{5}\r\nhello",
    "x)\r\nA2 LOGOUT\r\n(",
    "\"",
    "\\",
  };

  for (guint i = 0; i < G_N_ELEMENTS (attacks); i++)
    {
      g_autoptr(KurirImapCommand) command = kurir_imap_command_new ("A0001", "SEARCH");
      g_autoptr(GPtrArray) chunks = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(GByteArray) wire = g_byte_array_new ();
      gsize lines = 0;

      kurir_imap_command_add_atom (command, "CHARSET");
      kurir_imap_command_add_atom (command, "UTF-8");
      kurir_imap_command_add_atom (command, "SUBJECT");
      kurir_imap_command_add_string (command, attacks[i]);
      kurir_imap_command_add_atom (command, "FROM");
      kurir_imap_command_add_astring (command, attacks[i]);
      chunks = kurir_imap_command_build (command, &error);
      g_assert_no_error (error);

      /* Read the command back as a server would: the line ends only
       * where literals are announced and at the very end. */
      for (guint c = 0; c < chunks->len; c++)
        {
          KurirImapChunk *chunk = chunks->pdata[c];
          gsize size = 0;
          const guint8 *data = g_bytes_get_data (chunk->data, &size);

          g_byte_array_append (wire, data, size);
        }
      {
        /* Parse it with the response parser, as if it were untagged data:
         * the same grammar of strings and literals. */
        g_autoptr(KurirImapParser) parser = kurir_imap_parser_new ();
        g_autoptr(KurirImapResponse) response = NULL;
        g_autofree char *as_response = NULL;
        const guint8 *start = wire->data + strlen ("A0001 SEARCH");
        g_autoptr(GByteArray) fake = g_byte_array_new ();
        const KurirImapValue *data;

        g_byte_array_append (fake, (const guint8 *) "* SEARCHX", 9);
        g_byte_array_append (fake, start, wire->len - (start - wire->data));
        /* Non-synchronising literals are not allowed from servers; this
         * command used synchronising ones. */
        kurir_imap_parser_feed (parser, (const char *) fake->data, fake->len);
        g_assert_true (kurir_imap_parser_next (parser, &response, &error));
        g_assert_no_error (error);
        g_assert_cmpuint (kurir_imap_parser_get_pending (parser), ==, 0);
        data = kurir_imap_response_get_data (response);
        g_assert_cmpuint (kurir_imap_value_get_n_children (data), ==, 6);
        g_assert_cmpstr (kurir_imap_value_get_string (kurir_imap_value_get_child (data, 3)), ==, attacks[i]);
        g_assert_cmpstr (kurir_imap_value_get_string (kurir_imap_value_get_child (data, 5)), ==, attacks[i]);
      }
      for (guint b = 0; b < wire->len; b++)
        lines += wire->data[b] == '\n';
      g_assert_cmpuint (lines, >=, 1);
    }

  /* Atoms, flags, tags and raw syntax refuse what would break out. */
  {
    g_autoptr(KurirImapCommand) command = kurir_imap_command_new ("A1", "FETCH");

    kurir_imap_command_add_atom (command, "1:*\r\nA2 LOGOUT");
    assert_invalid (command);
  }
  {
    g_autoptr(KurirImapCommand) command = kurir_imap_command_new ("A1", "STORE");
    static const char * const flags[] = { "\\Seen)\r\nA2 LOGOUT", NULL };

    kurir_imap_command_add_flag_list (command, flags);
    assert_invalid (command);
  }
  {
    g_autoptr(KurirImapCommand) command = kurir_imap_command_new ("A1", "STORE");
    static const char * const flags[] = { "\\*", NULL };

    kurir_imap_command_add_flag_list (command, flags);
    assert_invalid (command);
  }
  {
    g_autoptr(KurirImapCommand) command = kurir_imap_command_new ("A1\r\n", "NOOP");

    assert_invalid (command);
  }
  {
    g_autoptr(KurirImapCommand) command = kurir_imap_command_new ("A1", "FETCH");

    kurir_imap_command_add_raw (command, "(UID)\r\nA2 LOGOUT");
    assert_invalid (command);
  }
  {
    g_autoptr(KurirImapCommand) command = kurir_imap_command_new ("A1", "FETCH");

    kurir_imap_command_open_list (command);
    assert_invalid (command);
  }
  {
    g_autoptr(KurirImapCommand) command = kurir_imap_command_new ("A1", "SELECT");

    kurir_imap_command_add_mailbox (command, "bad \xff");
    assert_invalid (command);
  }
  {
    g_autoptr(KurirImapCommand) command = kurir_imap_command_new ("A1", "UID FETCH");

    kurir_imap_command_add_sequence_set (command, NULL, 0);
    assert_invalid (command);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/imap/command/tags-and-sets", test_tags_and_sets);
  g_test_add_func ("/imap/command/simple", test_simple_commands);
  g_test_add_func ("/imap/command/strings", test_strings);
  g_test_add_func ("/imap/command/literal-modes", test_literal_modes);
  g_test_add_func ("/imap/command/mailboxes-and-secrets", test_mailboxes_and_secrets);
  g_test_add_func ("/imap/command/injection", test_injection);
  return g_test_run ();
}
