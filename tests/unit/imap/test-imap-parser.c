/* test-imap-parser.c: the IMAP response parser against a corpus of real
 * server output, split at every byte, and against hostile input
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "imap-test-corpus.h"
#include "kurir-imap-data.h"
#include "kurir-imap-error.h"
#include "kurir-imap-parser.h"

/* Helpers */

typedef enum {
  SPLIT_WHOLE,
  SPLIT_BYTES,
  SPLIT_RANDOM,
} Split;

/* Feeds data as told; returns the responses. Asserts a clean end. */
static GPtrArray *
parse_data (const guint8 *data,
            gsize         size,
            Split         split,
            guint32       seed)
{
  g_autoptr(KurirImapParser) parser = kurir_imap_parser_new ();
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  GPtrArray *responses = g_ptr_array_new_with_free_func ((GDestroyNotify) kurir_imap_response_unref);
  gsize pos = 0;

  while (pos < size)
    {
      gsize chunk = size - pos;
      g_autoptr(GError) error = NULL;
      KurirImapResponse *response;

      if (split == SPLIT_BYTES)
        chunk = 1;
      else if (split == SPLIT_RANDOM)
        {
          gsize random_size = g_rand_int_range (rand, 1, 200);

          chunk = MIN (chunk, random_size);
        }
      kurir_imap_parser_feed (parser, (const char *) data + pos, chunk);
      pos += chunk;
      while (kurir_imap_parser_next (parser, &response, &error))
        g_ptr_array_add (responses, response);
      g_assert_no_error (error);
    }
  {
    g_autoptr(GError) error = NULL;

    kurir_imap_parser_finish (parser, &error);
    if (error != NULL)
      g_test_message ("split %d, seed %u, size %" G_GSIZE_FORMAT, split, seed, size);
    g_assert_no_error (error);
  }
  return responses;
}

static GPtrArray *
parse_corpus (const char *name)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "imap", name, NULL);
  g_autoptr(GBytes) bytes = imap_test_corpus_load (path);
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (bytes, &size);

  return parse_data (data, size, SPLIT_WHOLE, 0);
}

static char *
canonical (GPtrArray *responses)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < responses->len; i++)
    {
      g_autofree char *line = kurir_imap_response_to_string (responses->pdata[i]);

      g_string_append (out, line);
      g_string_append_c (out, '\n');
    }
  return g_string_free (out, FALSE);
}

/* The first response whose canonical form starts with prefix. */
static KurirImapResponse *
find (GPtrArray  *responses,
      const char *prefix)
{
  for (guint i = 0; i < responses->len; i++)
    {
      g_autofree char *line = kurir_imap_response_to_string (responses->pdata[i]);

      if (g_str_has_prefix (line, prefix))
        return responses->pdata[i];
    }
  g_error ("no response starts with “%s”", prefix);
  return NULL;
}

static void
assert_strv (GStrv       strv,
             const char *joined)
{
  g_autofree char *got = NULL;

  g_assert_nonnull (strv);
  got = g_strjoinv (" ", strv);
  g_assert_cmpstr (got, ==, joined);
}

static char *
ranges_to_string (GArray *ranges)
{
  GString *out = g_string_new (NULL);

  g_assert_nonnull (ranges);
  for (guint i = 0; i < ranges->len; i++)
    {
      KurirImapRange *range = &g_array_index (ranges, KurirImapRange, i);

      if (i > 0)
        g_string_append_c (out, ',');
      if (range->first == range->last)
        g_string_append_printf (out, "%u", range->first);
      else
        g_string_append_printf (out, "%u:%u", range->first, range->last);
    }
  return g_string_free (out, FALSE);
}

static void
assert_ranges (GArray     *ranges,
               const char *expected)
{
  g_autofree char *got = ranges_to_string (ranges);

  g_assert_cmpstr (got, ==, expected);
}

/* Feeds text whole; returns the error the parser reports (asserted). */
static GError *
parse_error (KurirImapParser *parser,
             const char      *data,
             gsize            size,
             gboolean         then_finish)
{
  GError *error = NULL;
  KurirImapResponse *response;

  if (parser == NULL)
    parser = kurir_imap_parser_new ();
  else
    g_object_ref (parser);
  kurir_imap_parser_feed (parser, data, size);
  while (kurir_imap_parser_next (parser, &response, &error))
    kurir_imap_response_unref (response);
  if (error == NULL && then_finish)
    kurir_imap_parser_finish (parser, &error);
  g_assert_nonnull (error);
  g_assert_true (error->domain == KURIR_IMAP_ERROR);
  g_assert_cmpuint (strlen (error->message), >, 20);

  /* The error sticks. */
  {
    g_autoptr(GError) again = NULL;

    g_assert_false (kurir_imap_parser_next (parser, &response, &again));
    g_assert_error (again, KURIR_IMAP_ERROR, error->code);
  }
  g_object_unref (parser);
  return error;
}

/* Tests: the corpus as a whole */

/* Every corpus file parses the same whole, one byte at a time, in random
 * chunks, and cut in two at every byte; and matches its .expected file. */
static void
test_corpus_split_anywhere (void)
{
  g_autoptr(GPtrArray) files = imap_test_corpus_files ();

  for (guint f = 0; f < files->len; f++)
    {
      g_autoptr(GBytes) bytes = imap_test_corpus_load (files->pdata[f]);
      g_autoptr(GPtrArray) whole = NULL;
      g_autoptr(GPtrArray) bytewise = NULL;
      g_autofree char *expected_path = NULL;
      g_autofree char *expected = NULL;
      g_autofree char *reference = NULL;
      g_autofree char *bytewise_text = NULL;
      g_autoptr(GError) error = NULL;
      gsize size = 0;
      const guint8 *data = g_bytes_get_data (bytes, &size);

      whole = parse_data (data, size, SPLIT_WHOLE, 0);
      reference = canonical (whole);
      g_assert_cmpuint (whole->len, >, 5);

      expected_path = g_strconcat (files->pdata[f], ".expected", NULL);
      if (g_getenv ("KURIR_IMAP_WRITE_EXPECTED") != NULL)
        g_file_set_contents (expected_path, reference, -1, NULL);
      g_file_get_contents (expected_path, &expected, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (reference, ==, expected);

      bytewise = parse_data (data, size, SPLIT_BYTES, 0);
      bytewise_text = canonical (bytewise);
      g_assert_cmpstr (bytewise_text, ==, reference);

      for (guint32 seed = 1; seed <= 20; seed++)
        {
          g_autoptr(GPtrArray) chunked = parse_data (data, size, SPLIT_RANDOM, seed);
          g_autofree char *chunked_text = canonical (chunked);

          g_assert_cmpstr (chunked_text, ==, reference);
        }

      for (gsize cut = 0; cut <= size; cut++)
        {
          g_autoptr(KurirImapParser) parser = kurir_imap_parser_new ();
          g_autoptr(GString) text = g_string_new (NULL);
          KurirImapResponse *response;

          kurir_imap_parser_feed (parser, (const char *) data, cut);
          while (kurir_imap_parser_next (parser, &response, &error))
            {
              g_autofree char *line = kurir_imap_response_to_string (response);

              g_string_append_printf (text, "%s\n", line);
              kurir_imap_response_unref (response);
            }
          g_assert_no_error (error);
          kurir_imap_parser_feed (parser, (const char *) data + cut, size - cut);
          while (kurir_imap_parser_next (parser, &response, &error))
            {
              g_autofree char *line = kurir_imap_response_to_string (response);

              g_string_append_printf (text, "%s\n", line);
              kurir_imap_response_unref (response);
            }
          g_assert_no_error (error);
          g_assert_cmpstr (text->str, ==, reference);
          g_assert_cmpuint (kurir_imap_parser_get_pending (parser), ==, 0);
        }
    }
}

/* Tests: concrete values per server */

static void
test_dovecot (void)
{
  g_autoptr(GPtrArray) r = parse_corpus ("dovecot.txt");
  g_auto(GStrv) caps = NULL;
  g_autoptr(KurirImapListEntry) entry = NULL;
  g_autoptr(KurirImapStatusData) status = NULL;
  g_autoptr(KurirImapEsearch) esearch = NULL;
  g_autoptr(GArray) search = NULL;
  g_autoptr(GArray) vanished = NULL;
  g_autoptr(GArray) from = NULL;
  g_autoptr(GArray) to = NULL;
  g_autoptr(GArray) uids = NULL;
  g_autoptr(GError) error = NULL;
  KurirImapResponse *resp;
  gboolean earlier = FALSE;
  guint64 number = 0;
  guint32 uid = 0;
  guint32 uidvalidity = 0;

  g_assert_cmpuint (r->len, ==, 62);

  /* Greeting: an untagged OK with capabilities in its code. */
  resp = r->pdata[0];
  g_assert_cmpint (kurir_imap_response_get_kind (resp), ==, KURIR_IMAP_RESPONSE_UNTAGGED);
  g_assert_cmpint (kurir_imap_response_get_status (resp), ==, KURIR_IMAP_STATUS_OK);
  g_assert_cmpstr (kurir_imap_response_get_code (resp), ==, "CAPABILITY");
  g_assert_cmpstr (kurir_imap_response_get_text (resp), ==, "Dovecot (Debian) ready.");
  caps = kurir_imap_response_dup_capabilities (resp);
  g_assert_true (g_strv_contains ((const char * const *) caps, "STARTTLS"));
  g_assert_true (g_strv_contains ((const char * const *) caps, "AUTH=SCRAM-SHA-256"));
  g_assert_cmpuint (g_strv_length (caps), ==, 10);
  g_clear_pointer (&caps, g_strfreev);

  caps = kurir_imap_response_dup_capabilities (r->pdata[1]);
  g_assert_true (g_strv_contains ((const char * const *) caps, "QRESYNC"));
  g_assert_true (g_strv_contains ((const char * const *) caps, "SPECIAL-USE"));
  g_assert_true (g_strv_contains ((const char * const *) caps, "LITERAL+"));
  g_clear_pointer (&caps, g_strfreev);

  resp = r->pdata[2];
  g_assert_cmpint (kurir_imap_response_get_kind (resp), ==, KURIR_IMAP_RESPONSE_TAGGED);
  g_assert_cmpstr (kurir_imap_response_get_tag (resp), ==, "A0001");
  g_assert_cmpstr (kurir_imap_response_get_text (resp), ==, "Logged in");

  caps = kurir_imap_response_dup_capabilities (find (r, "* ENABLED"));
  assert_strv (caps, "CONDSTORE QRESYNC");
  g_clear_pointer (&caps, g_strfreev);

  /* LIST with SPECIAL-USE, an escaped "&-", and modified UTF-7. */
  entry = kurir_imap_list_entry_parse (find (r, "* LIST (\\HasNoChildren) \"/\" INBOX"), FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (entry->name, ==, "INBOX");
  g_assert_cmpint (entry->delimiter, ==, '/');
  g_assert_true (entry->flags & KURIR_IMAP_MAILBOX_INBOX);
  g_assert_true (entry->flags & KURIR_IMAP_MAILBOX_HAS_NO_CHILDREN);
  g_clear_pointer (&entry, kurir_imap_list_entry_free);

  {
    static const struct { const char *prefix; const char *name; KurirImapMailboxFlags flag; } lists[] = {
      { "* LIST (\\HasNoChildren \\Drafts)", "Drafts", KURIR_IMAP_MAILBOX_DRAFTS },
      { "* LIST (\\HasNoChildren \\Sent)", "Sent", KURIR_IMAP_MAILBOX_SENT },
      { "* LIST (\\HasNoChildren \\Trash)", "Trash", KURIR_IMAP_MAILBOX_TRASH },
      { "* LIST (\\HasNoChildren \\Junk)", "Junk", KURIR_IMAP_MAILBOX_JUNK },
      { "* LIST (\\HasChildren \\Archive)", "Archive", KURIR_IMAP_MAILBOX_ARCHIVE },
      { "* LIST (\\HasNoChildren \\Flagged)", "Virtual/Flagged", KURIR_IMAP_MAILBOX_FLAGGED },
      { "* LIST (\\HasNoChildren \\All)", "Virtual/All", KURIR_IMAP_MAILBOX_ALL },
      { "* LIST (\\Noselect \\HasChildren)", "Projects", KURIR_IMAP_MAILBOX_NOSELECT },
      { "* LIST (\\HasNoChildren) \"/\" \"Kotak", "Kotak Masuk & Pekerjaan", KURIR_IMAP_MAILBOX_HAS_NO_CHILDREN },
      { "* LIST (\\HasNoChildren) \"/\" &ZeVn", "日本語", KURIR_IMAP_MAILBOX_HAS_NO_CHILDREN },
    };

    for (guint i = 0; i < G_N_ELEMENTS (lists); i++)
      {
        entry = kurir_imap_list_entry_parse (find (r, lists[i].prefix), FALSE, &error);
        g_assert_no_error (error);
        g_assert_cmpstr (entry->name, ==, lists[i].name);
        g_assert_true (entry->flags & lists[i].flag);
        g_clear_pointer (&entry, kurir_imap_list_entry_free);
      }
  }

  status = kurir_imap_status_data_parse (find (r, "* STATUS"), FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (status->name, ==, "INBOX");
  g_assert_cmpuint (status->messages, ==, 231);
  g_assert_cmpuint (status->uidnext, ==, 44292);
  g_assert_cmpuint (status->uidvalidity, ==, 1690000000);
  g_assert_cmpuint (status->unseen, ==, 3);
  g_assert_cmpuint (status->highestmodseq, ==, G_GUINT64_CONSTANT (90060115194045000));
  g_assert_cmpuint (status->size, ==, 10485760);
  g_assert_cmpuint (status->present, ==, KURIR_IMAP_STATUS_ITEM_MESSAGES | KURIR_IMAP_STATUS_ITEM_UIDNEXT |
                    KURIR_IMAP_STATUS_ITEM_UIDVALIDITY | KURIR_IMAP_STATUS_ITEM_UNSEEN |
                    KURIR_IMAP_STATUS_ITEM_HIGHESTMODSEQ | KURIR_IMAP_STATUS_ITEM_SIZE);

  /* SELECT. */
  caps = kurir_imap_response_dup_flags (find (r, "* FLAGS"));
  assert_strv (caps, "\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded $MDNSent $Junk $NotJunk");
  g_clear_pointer (&caps, g_strfreev);
  caps = kurir_imap_response_dup_flags (find (r, "* OK [PERMANENTFLAGS"));
  g_assert_cmpuint (g_strv_length (caps), ==, 10);
  g_assert_cmpstr (caps[9], ==, "\\*");
  g_clear_pointer (&caps, g_strfreev);

  resp = find (r, "* 231 EXISTS");
  g_assert_true (kurir_imap_response_get_number (resp, &uid));
  g_assert_cmpuint (uid, ==, 231);
  g_assert_cmpstr (kurir_imap_response_get_name (resp), ==, "EXISTS");
  g_assert_true (kurir_imap_response_get_number (find (r, "* 0 RECENT"), &uid));
  g_assert_cmpuint (uid, ==, 0);

  g_assert_true (kurir_imap_response_get_code_number (find (r, "* OK [UNSEEN"), &number));
  g_assert_cmpuint (number, ==, 229);
  g_assert_true (kurir_imap_response_get_code_number (find (r, "* OK [UIDVALIDITY"), &number));
  g_assert_cmpuint (number, ==, 1690000000);
  g_assert_true (kurir_imap_response_get_code_number (find (r, "* OK [UIDNEXT"), &number));
  g_assert_cmpuint (number, ==, 44292);
  g_assert_true (kurir_imap_response_get_code_number (find (r, "* OK [HIGHESTMODSEQ"), &number));
  g_assert_cmpuint (number, ==, G_GUINT64_CONSTANT (90060115194045000));
  g_assert_cmpstr (kurir_imap_response_get_code (find (r, "A0007")), ==, "READ-WRITE");

  vanished = kurir_imap_response_parse_vanished (find (r, "* VANISHED (EARLIER)"), &earlier, &error);
  g_assert_no_error (error);
  g_assert_true (earlier);
  assert_ranges (vanished, "41,43:116,118,120:211,214:540");
  g_clear_pointer (&vanished, g_array_unref);
  vanished = kurir_imap_response_parse_vanished (find (r, "* VANISHED 405"), &earlier, &error);
  g_assert_no_error (error);
  g_assert_false (earlier);
  assert_ranges (vanished, "405,411");

  resp = find (r, "* 49 FETCH");
  g_assert_true (kurir_imap_response_get_fetch_uid (resp, &uid));
  g_assert_cmpuint (uid, ==, 117);
  g_assert_true (kurir_imap_response_get_fetch_modseq (resp, &number));
  g_assert_cmpuint (number, ==, G_GUINT64_CONSTANT (90060115194045001));
  caps = kurir_imap_response_dup_fetch_flags (resp);
  assert_strv (caps, "\\Seen \\Answered");
  g_clear_pointer (&caps, g_strfreev);

  /* ESEARCH, SEARCH. */
  esearch = kurir_imap_esearch_parse (find (r, "* ESEARCH (TAG \"A0008\")"), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (esearch->tag, ==, "A0008");
  g_assert_true (esearch->uid);
  g_assert_cmpuint (esearch->min, ==, 7);
  g_assert_cmpuint (esearch->max, ==, 3800);
  g_assert_cmpuint (esearch->count, ==, 15);
  assert_ranges (esearch->all, "7,11:13,20:26,3800");
  g_clear_pointer (&esearch, kurir_imap_esearch_free);
  esearch = kurir_imap_esearch_parse (find (r, "* ESEARCH (TAG \"A0009\")"), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (esearch->present, ==, KURIR_IMAP_ESEARCH_COUNT);
  g_assert_cmpuint (esearch->count, ==, 0);
  g_assert_null (esearch->all);

  search = kurir_imap_response_parse_search (find (r, "* SEARCH 2"), &number, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (search->len, ==, 3);
  g_assert_cmpuint (g_array_index (search, guint32, 2), ==, 882);
  g_assert_cmpuint (number, ==, 917162500);
  g_clear_pointer (&search, g_array_unref);
  search = kurir_imap_response_parse_search (r->pdata[42], &number, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (search->len, ==, 0);
  g_assert_cmpuint (number, ==, 0);

  /* Response codes. */
  g_assert_cmpstr (kurir_imap_response_get_code (find (r, "A0012")), ==, "MODIFIED");
  g_assert_cmpstr (kurir_imap_response_get_code_text (find (r, "A0012")), ==, "7,9");
  g_assert_true (kurir_imap_response_get_number (find (r, "* 3 EXPUNGE"), &uid));
  g_assert_cmpuint (uid, ==, 3);

  g_assert_true (kurir_imap_response_parse_copyuid (find (r, "A0013"), &uidvalidity, &from, &to, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (uidvalidity, ==, 1690000000);
  assert_ranges (from, "304,319:320");
  assert_ranges (to, "3956:3958");
  g_assert_true (kurir_imap_response_parse_appenduid (find (r, "A0014"), &uidvalidity, &uids, &error));
  g_assert_no_error (error);
  assert_ranges (uids, "44292");
  g_assert_false (kurir_imap_response_parse_copyuid (find (r, "A0014"), NULL, NULL, NULL, NULL));

  resp = find (r, "+ idling");
  g_assert_cmpint (kurir_imap_response_get_kind (resp), ==, KURIR_IMAP_RESPONSE_CONTINUATION);
  g_assert_cmpstr (kurir_imap_response_get_text (resp), ==, "idling");

  resp = find (r, "A0016");
  g_assert_cmpint (kurir_imap_response_get_status (resp), ==, KURIR_IMAP_STATUS_NO);
  g_assert_cmpstr (kurir_imap_response_get_code (resp), ==, "TRYCREATE");
  g_assert_cmpstr (kurir_imap_response_get_text (resp), ==, "Mailbox doesn't exist: Nowhere");
  g_assert_cmpint (kurir_imap_response_get_status (find (r, "A0018")), ==, KURIR_IMAP_STATUS_BAD);
  g_assert_null (kurir_imap_response_get_code (find (r, "A0018")));
  g_assert_cmpstr (kurir_imap_response_get_code (find (r, "A0019")), ==, "CLOSED");
  g_assert_cmpstr (kurir_imap_response_get_code (find (r, "A0020")), ==, "NOMODSEQ");
  g_assert_cmpstr (kurir_imap_response_get_code (find (r, "A0022")), ==, "AUTHENTICATIONFAILED");
  g_assert_cmpint (kurir_imap_response_get_status (find (r, "* BYE")), ==, KURIR_IMAP_STATUS_BYE);
  g_assert_cmpstr (kurir_imap_response_get_text (find (r, "* BYE")), ==, "Logging out");
}

static void
test_gmail (void)
{
  g_autoptr(GPtrArray) r = parse_corpus ("gmail.txt");
  g_autoptr(GError) error = NULL;
  g_autoptr(KurirImapListEntry) entry = NULL;
  g_autoptr(KurirImapEnvelope) envelope = NULL;
  g_autoptr(KurirImapBodyPart) body = NULL;
  g_autoptr(GDateTime) date = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_auto(GStrv) strv = NULL;
  const KurirImapFetchItem *item;
  const KurirImapValue *labels;
  const KurirImapAddress *address;
  KurirImapResponse *resp;
  KurirImapBodyPart *part;
  guint64 number = 0;
  guint32 uid = 0;

  g_assert_cmpuint (r->len, ==, 36);
  g_assert_cmpstr (kurir_imap_response_get_text (r->pdata[0]), ==,
                   "Gimap ready for requests from 203.0.113.7 d9443c01a7336-2148f6sm1234567pjb.25");
  strv = kurir_imap_response_dup_capabilities (r->pdata[1]);
  g_assert_true (g_strv_contains ((const char * const *) strv, "X-GM-EXT-1"));
  g_assert_true (g_strv_contains ((const char * const *) strv, "UTF8=ACCEPT"));
  g_assert_true (g_strv_contains ((const char * const *) strv, "APPENDLIMIT=35651584"));
  g_clear_pointer (&strv, g_strfreev);

  {
    static const struct { const char *prefix; const char *name; KurirImapMailboxFlags flags; } lists[] = {
      { "* LIST (\\HasChildren \\Noselect)", "[Gmail]", KURIR_IMAP_MAILBOX_NOSELECT | KURIR_IMAP_MAILBOX_HAS_CHILDREN },
      { "* LIST (\\All", "[Gmail]/All Mail", KURIR_IMAP_MAILBOX_ALL | KURIR_IMAP_MAILBOX_HAS_NO_CHILDREN },
      { "* LIST (\\HasNoChildren \\Important)", "[Gmail]/Important", KURIR_IMAP_MAILBOX_IMPORTANT | KURIR_IMAP_MAILBOX_HAS_NO_CHILDREN },
      { "* LIST (\\HasNoChildren \\Sent)", "[Gmail]/Sent Mail", KURIR_IMAP_MAILBOX_SENT | KURIR_IMAP_MAILBOX_HAS_NO_CHILDREN },
      { "* LIST (\\HasNoChildren \\Junk)", "[Gmail]/Spam", KURIR_IMAP_MAILBOX_JUNK | KURIR_IMAP_MAILBOX_HAS_NO_CHILDREN },
      { "* LIST (\\Flagged", "[Gmail]/Starred", KURIR_IMAP_MAILBOX_FLAGGED | KURIR_IMAP_MAILBOX_HAS_NO_CHILDREN },
      { "* LIST (\\HasNoChildren) \"/\" \"&ZeVn", "日本語/共享文件", KURIR_IMAP_MAILBOX_HAS_NO_CHILDREN },
      { "* XLIST (\\HasNoChildren \\Inbox)", "INBOX", KURIR_IMAP_MAILBOX_INBOX | KURIR_IMAP_MAILBOX_HAS_NO_CHILDREN },
      { "* XLIST (\\HasNoChildren \\AllMail)", "[Gmail]/All Mail", KURIR_IMAP_MAILBOX_ALL | KURIR_IMAP_MAILBOX_HAS_NO_CHILDREN },
      { "* XLIST (\\HasNoChildren \\Spam)", "[Gmail]/Spam", KURIR_IMAP_MAILBOX_JUNK | KURIR_IMAP_MAILBOX_HAS_NO_CHILDREN },
    };

    for (guint i = 0; i < G_N_ELEMENTS (lists); i++)
      {
        entry = kurir_imap_list_entry_parse (find (r, lists[i].prefix), FALSE, &error);
        g_assert_no_error (error);
        g_assert_cmpstr (entry->name, ==, lists[i].name);
        g_assert_cmpint (entry->delimiter, ==, '/');
        g_assert_cmpuint (entry->flags, ==, lists[i].flags);
        g_clear_pointer (&entry, kurir_imap_list_entry_free);
      }
  }

  /* X-GM-* items are kept as values; 64-bit ids are numbers. */
  resp = find (r, "* 1 FETCH");
  g_assert_cmpuint (kurir_imap_response_get_n_fetch_items (resp), ==, 6);
  item = kurir_imap_response_lookup_fetch (resp, "x-gm-msgid");
  g_assert_nonnull (item);
  g_assert_true (kurir_imap_value_get_number (item->value, &number));
  g_assert_cmpuint (number, ==, G_GUINT64_CONSTANT (1278455344230334865));
  labels = kurir_imap_response_lookup_fetch (resp, "X-GM-LABELS")->value;
  g_assert_cmpuint (kurir_imap_value_get_n_children (labels), ==, 5);
  g_assert_cmpstr (kurir_imap_value_get_string (kurir_imap_value_get_child (labels, 0)), ==, "\\Important");
  g_assert_cmpint (kurir_imap_value_get_kind (kurir_imap_value_get_child (labels, 3)), ==, KURIR_IMAP_VALUE_ATOM);
  g_assert_cmpstr (kurir_imap_value_get_string (kurir_imap_value_get_child (labels, 4)), ==, "Family Stuff");
  g_assert_true (kurir_imap_response_get_fetch_uid (resp, &uid));
  g_assert_cmpuint (uid, ==, 4);
  g_assert_true (kurir_imap_response_get_fetch_modseq (resp, &number));
  g_assert_cmpuint (number, ==, 4321);
  strv = kurir_imap_response_dup_fetch_flags (find (r, "* 2 FETCH"));
  g_assert_cmpuint (g_strv_length (strv), ==, 0);
  g_clear_pointer (&strv, g_strfreev);

  /* ENVELOPE with RFC 2047 words, BODYSTRUCTURE in upper case. */
  resp = find (r, "* 3 FETCH");
  g_assert_true (kurir_imap_response_get_fetch_size (resp, &number));
  g_assert_cmpuint (number, ==, 4567);
  date = kurir_imap_response_dup_fetch_internaldate (resp);
  g_assert_nonnull (date);
  g_assert_cmpint (g_date_time_to_unix (date), ==, 1795511702);
  envelope = kurir_imap_envelope_parse (kurir_imap_response_lookup_fetch (resp, "ENVELOPE")->value, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (envelope->subject, ==, "Rapat mingguan ini");
  g_assert_nonnull (envelope->date);
  g_assert_cmpint (g_date_time_to_unix (envelope->date), ==, 1795511700);
  g_assert_cmpuint (envelope->from->len, ==, 1);
  address = envelope->from->pdata[0];
  g_assert_cmpstr (address->name, ==, "Budi Santoso");
  g_assert_cmpstr (address->address, ==, "budi@example.co.id");
  g_assert_cmpuint (envelope->to->len, ==, 1);
  address = envelope->to->pdata[0];
  g_assert_null (address->name);
  g_assert_cmpstr (address->address, ==, "ana@gmail.com");
  g_assert_cmpuint (envelope->cc->len, ==, 0);
  g_assert_null (envelope->in_reply_to);
  g_assert_cmpstr (envelope->message_id, ==, "<CAF=abc123@mail.gmail.com>");
  g_clear_pointer (&envelope, kurir_imap_envelope_free);

  body = kurir_imap_body_part_parse (kurir_imap_response_lookup_fetch (resp, "BODYSTRUCTURE")->value, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (body->type, ==, "multipart");
  g_assert_cmpstr (body->subtype, ==, "alternative");
  g_assert_cmpstr (g_hash_table_lookup (body->params, "boundary"), ==, "000000000000f1e2d3c4b5a6");
  g_assert_cmpuint (body->children->len, ==, 2);
  part = body->children->pdata[1];
  g_assert_cmpstr (part->section, ==, "2");
  g_assert_cmpstr (part->type, ==, "text");
  g_assert_cmpstr (part->subtype, ==, "html");
  g_assert_cmpstr (part->encoding, ==, "quoted-printable");
  g_assert_cmpuint (part->size, ==, 1024);
  g_assert_cmpuint (part->lines, ==, 21);
  g_assert_cmpstr (g_hash_table_lookup (part->params, "charset"), ==, "UTF-8");
  g_clear_pointer (&body, kurir_imap_body_part_free);

  /* Nested multiparts, an attachment, and an attached message. */
  resp = find (r, "* 4 FETCH");
  body = kurir_imap_body_part_parse (kurir_imap_response_lookup_fetch (resp, "BODYSTRUCTURE")->value, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (body->subtype, ==, "mixed");
  g_assert_cmpuint (body->children->len, ==, 3);
  part = body->children->pdata[0];
  g_assert_cmpstr (part->subtype, ==, "alternative");
  g_assert_cmpstr (((KurirImapBodyPart *) part->children->pdata[1])->section, ==, "1.2");
  g_assert_cmpstr (g_hash_table_lookup (((KurirImapBodyPart *) part->children->pdata[0])->params, "format"), ==, "flowed");
  part = body->children->pdata[1];
  g_assert_cmpstr (part->section, ==, "2");
  g_assert_cmpstr (part->type, ==, "application");
  g_assert_cmpstr (part->subtype, ==, "pdf");
  g_assert_cmpstr (part->id, ==, "<f_lmn123>");
  g_assert_cmpuint (part->size, ==, 98312);
  g_assert_cmpstr (part->disposition, ==, "attachment");
  g_assert_cmpstr (g_hash_table_lookup (part->disposition_params, "filename"), ==, "Faktur 2026-11.pdf");
  part = body->children->pdata[2];
  g_assert_cmpstr (part->section, ==, "3");
  g_assert_cmpstr (part->type, ==, "message");
  g_assert_nonnull (part->envelope);
  g_assert_cmpstr (part->envelope->subject, ==, "Fwd: test");
  g_assert_cmpuint (part->lines, ==, 25);
  g_assert_cmpstr (part->disposition, ==, "inline");
  g_assert_cmpuint (part->children->len, ==, 1);
  g_assert_cmpstr (((KurirImapBodyPart *) part->children->pdata[0])->section, ==, "3.1");

  /* A subject sent as a literal with a quote inside; group syntax. */
  envelope = kurir_imap_envelope_parse (kurir_imap_response_lookup_fetch (find (r, "* 5 FETCH"), "ENVELOPE")->value, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (envelope->subject, ==, "Re: [kurir] 中文主题 \"quoted\" subject");
  g_assert_null (envelope->date_raw);
  g_assert_cmpuint (envelope->from->len, ==, 0);

  /* BODY[HEADER.FIELDS (...)] found however the request spelt it. */
  resp = find (r, "* 6 FETCH");
  item = kurir_imap_response_lookup_fetch (resp, "BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)]");
  g_assert_nonnull (item);
  g_assert_cmpstr (item->section, ==, "HEADER.FIELDS (SUBJECT FROM)");
  g_assert_cmpint (item->origin, ==, -1);
  bytes = kurir_imap_response_dup_fetch_body (resp, "body[header.fields ( subject  from )]", NULL);
  g_assert_nonnull (bytes);
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                   "Subject: hello\r\nFrom: Ana <ana@gmail.com>\r\n\r\n", 45);

  g_assert_cmpint (kurir_imap_response_get_status (r->pdata[35]), ==, KURIR_IMAP_STATUS_BYE);
}

static void
test_exchange (void)
{
  g_autoptr(GPtrArray) r = parse_corpus ("exchange.txt");
  g_autoptr(GError) error = NULL;
  g_autoptr(KurirImapListEntry) entry = NULL;
  g_autoptr(KurirImapBodyPart) body = NULL;
  g_autoptr(KurirImapEnvelope) envelope = NULL;
  g_autoptr(GDateTime) date = NULL;
  g_autoptr(GArray) search = NULL;
  g_auto(GStrv) flags = NULL;
  KurirImapResponse *resp;
  guint64 number = 0;
  guint32 uid = 0;

  g_assert_cmpuint (r->len, ==, 36);
  /* Brackets inside the greeting's text are not a response code. */
  g_assert_null (kurir_imap_response_get_code (r->pdata[0]));
  g_assert_true (g_str_has_suffix (kurir_imap_response_get_text (r->pdata[0]), "LgBjAG8AbQA=]") ||
                 g_str_has_suffix (kurir_imap_response_get_text (r->pdata[0]), "AG0A]"));

  entry = kurir_imap_list_entry_parse (find (r, "* LIST (\\HasNoChildren \\Trash)"), FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (entry->name, ==, "Deleted Items");
  g_clear_pointer (&entry, kurir_imap_list_entry_free);
  entry = kurir_imap_list_entry_parse (find (r, "* LIST (\\Marked \\HasNoChildren) \"/\" INBOX"), FALSE, &error);
  g_assert_no_error (error);
  g_assert_true (entry->flags & KURIR_IMAP_MAILBOX_MARKED);
  g_assert_true (entry->flags & KURIR_IMAP_MAILBOX_INBOX);
  g_clear_pointer (&entry, kurir_imap_list_entry_free);
  /* NIL delimiters, and an empty name. */
  entry = kurir_imap_list_entry_parse (find (r, "* LIST (\\HasNoChildren) NIL"), FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (entry->delimiter, ==, '\0');
  g_assert_cmpstr (entry->name, ==, "Conversation History");
  g_clear_pointer (&entry, kurir_imap_list_entry_free);
  entry = kurir_imap_list_entry_parse (find (r, "* LIST (\\Noselect \\HasChildren) NIL"), FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (entry->name, ==, "");

  /* Spaces before ")" and doubled between items. */
  resp = find (r, "* 1 FETCH");
  g_assert_true (kurir_imap_response_get_fetch_uid (resp, &uid));
  g_assert_cmpuint (uid, ==, 11);
  resp = find (r, "* 2 FETCH");
  g_assert_cmpuint (kurir_imap_response_get_n_fetch_items (resp), ==, 3);
  g_assert_true (kurir_imap_response_get_fetch_size (resp, &number));
  g_assert_cmpuint (number, ==, 8410);
  flags = kurir_imap_response_dup_fetch_flags (resp);
  g_assert_cmpuint (g_strv_length (flags), ==, 0);

  /* A date with a leading space; lower-case BODYSTRUCTURE with extra NILs. */
  resp = find (r, "* 3 FETCH");
  date = kurir_imap_response_dup_fetch_internaldate (resp);
  g_assert_nonnull (date);
  g_assert_cmpint (g_date_time_get_day_of_month (date), ==, 7);
  g_assert_cmpint (g_date_time_get_hour (date), ==, 23);
  body = kurir_imap_body_part_parse (kurir_imap_response_lookup_fetch (resp, "BODYSTRUCTURE")->value, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (body->subtype, ==, "alternative");
  g_assert_cmpuint (body->children->len, ==, 2);
  g_assert_cmpuint (((KurirImapBodyPart *) body->children->pdata[0])->lines, ==, 39);
  g_clear_pointer (&body, kurir_imap_body_part_free);

  /* A single-part message is part 1; a size of 0 and a string "size". */
  body = kurir_imap_body_part_parse (kurir_imap_response_lookup_fetch (find (r, "* 4 FETCH"), "BODYSTRUCTURE")->value, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (body->section, ==, "1");
  g_assert_cmpstr (body->disposition, ==, "attachment");
  g_assert_cmpstr (g_hash_table_lookup (body->disposition_params, "size"), ==, "12345");
  g_assert_cmpstr (g_hash_table_lookup (body->params, "name"), ==, "rapport.xlsx");

  envelope = kurir_imap_envelope_parse (kurir_imap_response_lookup_fetch (find (r, "* 5 FETCH"), "ENVELOPE")->value, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (((KurirImapAddress *) envelope->from->pdata[0])->name, ==, "Zhang, Wei");
  g_assert_cmpstr (((KurirImapAddress *) envelope->from->pdata[0])->address, ==, "wei.zhang@contoso.com");

  search = kurir_imap_response_parse_search (find (r, "* SEARCH"), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (search->len, ==, 3);

  g_assert_cmpstr (kurir_imap_response_get_code (find (r, "A0007")), ==, "ALERT");
  g_assert_cmpstr (kurir_imap_response_get_text (find (r, "A0007")), ==, "Command Error. 12");
  /* "+ " and "+ text" continuations. */
  g_assert_cmpint (kurir_imap_response_get_kind (r->pdata[33]), ==, KURIR_IMAP_RESPONSE_CONTINUATION);
  g_assert_cmpstr (kurir_imap_response_get_text (r->pdata[33]), ==, "");
  g_assert_cmpstr (kurir_imap_response_get_text (r->pdata[34]), ==, "IDLE accepted, awaiting DONE command.");
  g_assert_cmpint (kurir_imap_response_get_status (r->pdata[35]), ==, KURIR_IMAP_STATUS_BYE);
}

static void
test_cyrus_fastmail (void)
{
  g_autoptr(GPtrArray) r = parse_corpus ("cyrus-fastmail.txt");
  g_autoptr(GError) error = NULL;
  g_autoptr(KurirImapListEntry) entry = NULL;
  g_autoptr(KurirImapStatusData) status = NULL;
  g_autoptr(GArray) vanished = NULL;
  g_autoptr(GBytes) bytes = NULL;
  const KurirImapFetchItem *item;
  KurirImapResponse *resp;
  gboolean present = FALSE;

  g_assert_cmpuint (r->len, ==, 39);

  /* UTF8=ACCEPT names pass through; the same bytes are refused as UTF-7. */
  entry = kurir_imap_list_entry_parse (find (r, "* LIST (\\HasNoChildren) \".\" \"\\xe5"), TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (entry->name, ==, "工作.项目");
  g_assert_cmpint (entry->delimiter, ==, '.');
  g_clear_pointer (&entry, kurir_imap_list_entry_free);
  entry = kurir_imap_list_entry_parse (find (r, "* LIST (\\HasNoChildren) \".\" \"\\xe5"), FALSE, &error);
  g_assert_no_error (error);
  g_assert_null (entry->name);
  g_assert_error (entry->name_error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_MAILBOX_NAME);
  g_assert_cmpstr (entry->raw_name, ==, "工作.项目");
  g_clear_pointer (&entry, kurir_imap_list_entry_free);

  /* LIST-EXTENDED data after the name; a name sent as a literal. */
  entry = kurir_imap_list_entry_parse (find (r, "* LIST (\\HasNoChildren \\Subscribed)"), TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (entry->name, ==, "Receipts");
  g_assert_true (entry->flags & KURIR_IMAP_MAILBOX_SUBSCRIBED);
  g_clear_pointer (&entry, kurir_imap_list_entry_free);
  entry = kurir_imap_list_entry_parse (find (r, "* LIST (\\HasNoChildren) \".\" {"), TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (entry->name, ==, "Name with \"quotes\" and \\ backslash");
  g_clear_pointer (&entry, kurir_imap_list_entry_free);

  status = kurir_imap_status_data_parse (find (r, "* STATUS \"Kotak"), TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (status->name, ==, "Kotak Keluar");
  g_assert_cmpuint (status->present, ==, KURIR_IMAP_STATUS_ITEM_MESSAGES | KURIR_IMAP_STATUS_ITEM_UIDNEXT |
                    KURIR_IMAP_STATUS_ITEM_UIDVALIDITY);
  g_assert_cmpuint (status->uidvalidity, ==, 1512345679);

  /* Unknown response codes are kept as atom and text. */
  resp = find (r, "* OK [URLMECH");
  g_assert_cmpstr (kurir_imap_response_get_code (resp), ==, "URLMECH");
  g_assert_cmpstr (kurir_imap_response_get_code_text (resp), ==, "INTERNAL");
  g_assert_cmpstr (kurir_imap_response_get_text (resp), ==, "Ok");
  g_assert_cmpstr (kurir_imap_response_get_code (find (r, "* OK [CLOSED]")), ==, "CLOSED");
  g_assert_cmpstr (kurir_imap_response_get_code (find (r, "A0008")), ==, "OVERQUOTA");

  vanished = kurir_imap_response_parse_vanished (find (r, "* VANISHED"), NULL, &error);
  g_assert_no_error (error);
  assert_ranges (vanished, "4990:4995");

  /* Fastmail's own items; PREVIEW as a quoted string. */
  resp = find (r, "* 16 FETCH");
  item = kurir_imap_response_lookup_fetch (resp, "EMAILID");
  g_assert_cmpstr (kurir_imap_value_get_string (kurir_imap_value_get_child (item->value, 0)), ==,
                   "M6d0a1bf2c3d4e5f6a7b8c9d0");
  g_assert_cmpstr (kurir_imap_value_get_string (kurir_imap_response_lookup_fetch (resp, "PREVIEW")->value), ==,
                   "Halo, ini pratinjau pesan");

  /* BINARY[1] as literal8. */
  resp = find (r, "* 17 FETCH");
  item = kurir_imap_response_lookup_fetch (resp, "BINARY.PEEK[1]");
  g_assert_nonnull (item);
  g_assert_true (kurir_imap_value_is_literal8 (item->value));
  bytes = kurir_imap_response_dup_fetch_body (resp, "BINARY[1]", &present);
  g_assert_true (present);
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), "Binary part", 11);
  g_assert_nonnull (kurir_imap_response_lookup_fetch (resp, "BINARY.SIZE[1]"));

  resp = find (r, "* METADATA");
  g_assert_cmpuint (kurir_imap_value_get_n_children (kurir_imap_response_get_data (resp)), ==, 2);
}

static void
test_icloud (void)
{
  g_autoptr(GPtrArray) r = parse_corpus ("icloud.txt");
  g_autoptr(GError) error = NULL;
  g_autoptr(KurirImapListEntry) entry = NULL;
  g_autoptr(KurirImapEsearch) esearch = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_auto(GStrv) caps = NULL;
  const KurirImapFetchItem *item;
  KurirImapResponse *resp;
  gboolean present = FALSE;
  guint64 number = 0;

  g_assert_cmpuint (r->len, ==, 31);
  caps = kurir_imap_response_dup_capabilities (r->pdata[0]);
  g_assert_true (g_strv_contains ((const char * const *) caps, "XAPPLEPUSHSERVICE"));
  g_clear_pointer (&caps, g_strfreev);
  caps = kurir_imap_response_dup_capabilities (r->pdata[1]);
  g_assert_true (g_strv_contains ((const char * const *) caps, "QRESYNC"));

  entry = kurir_imap_list_entry_parse (find (r, "* LIST (\\HasNoChildren \\Sent)"), FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (entry->name, ==, "Sent Messages");
  g_clear_pointer (&entry, kurir_imap_list_entry_free);
  entry = kurir_imap_list_entry_parse (find (r, "* LIST (\\HasNoChildren \\Trash)"), FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (entry->name, ==, "Deleted Messages");

  /* Header fields in lower case, then MODSEQ after the literal. */
  resp = find (r, "* 1 FETCH");
  item = kurir_imap_response_lookup_fetch (resp, "BODY.PEEK[HEADER.FIELDS (FROM SUBJECT DATE)]");
  g_assert_nonnull (item);
  g_assert_cmpint (kurir_imap_value_get_kind (item->value), ==, KURIR_IMAP_VALUE_LITERAL);
  g_assert_true (g_str_has_prefix (kurir_imap_value_get_string (item->value), "From: Apple <no_reply@email.apple.com>\r\n"));
  g_assert_true (kurir_imap_response_get_fetch_modseq (resp, &number));
  g_assert_cmpuint (number, ==, 98001);
  g_assert_true (kurir_imap_response_get_fetch_size (resp, &number));
  g_assert_cmpuint (number, ==, 2001);

  /* A partial fetch's origin. */
  item = kurir_imap_response_lookup_fetch (find (r, "* 2 FETCH"), "BODY.PEEK[1]<0.100>");
  g_assert_nonnull (item);
  g_assert_cmpint (item->origin, ==, 0);
  g_assert_cmpstr (item->section, ==, "1");
  g_assert_cmpstr (kurir_imap_value_get_string (item->value), ==, "Partial body start");

  /* NIL, an empty quoted string and an empty literal. */
  bytes = kurir_imap_response_dup_fetch_body (find (r, "* 3 FETCH"), "BODY[]", &present);
  g_assert_null (bytes);
  g_assert_true (present);
  g_assert_null (kurir_imap_response_dup_fetch_body (find (r, "* 3 FETCH"), "BODY[TEXT]", &present));
  g_assert_false (present);
  bytes = kurir_imap_response_dup_fetch_body (find (r, "* 4 FETCH"), "BODY[TEXT]", &present);
  g_assert_nonnull (bytes);
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, 0);
  g_clear_pointer (&bytes, g_bytes_unref);
  bytes = kurir_imap_response_dup_fetch_body (find (r, "* 5 FETCH"), "BODY[]", &present);
  g_assert_nonnull (bytes);
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, 0);

  esearch = kurir_imap_esearch_parse (find (r, "* ESEARCH"), &error);
  g_assert_no_error (error);
  assert_ranges (esearch->all, "1900:1904");
  g_assert_cmpint (kurir_imap_response_get_status (find (r, "A0007")), ==, KURIR_IMAP_STATUS_BAD);
}

static void
test_literals (void)
{
  g_autoptr(GPtrArray) r = parse_corpus ("literals.txt");
  g_autoptr(GError) error = NULL;
  g_autoptr(KurirImapListEntry) entry = NULL;
  g_autoptr(KurirImapEnvelope) envelope = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_auto(GStrv) flags = NULL;
  KurirImapResponse *resp;

  g_assert_cmpuint (r->len, ==, 9);

  /* Parentheses, quotes and a "{5}" inside a literal are bytes. */
  bytes = kurir_imap_response_dup_fetch_body (r->pdata[0], "BODY[]", NULL);
  g_assert_nonnull (bytes);
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, 121);
  g_assert_true (g_str_has_suffix (kurir_imap_value_get_string (kurir_imap_response_lookup_fetch (r->pdata[0], "BODY[]")->value),
                                   "\"quotes\" and {5}\r\n"));
  g_clear_pointer (&bytes, g_bytes_unref);

  /* Two literals in one response, and items after them. */
  resp = r->pdata[1];
  bytes = kurir_imap_response_dup_fetch_body (resp, "BODY[TEXT]", NULL);
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), "body {3}\r\nabc\r\n", 15);
  flags = kurir_imap_response_dup_fetch_flags (resp);
  g_assert_cmpstr (flags[0], ==, "\\Seen");

  entry = kurir_imap_list_entry_parse (r->pdata[2], FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (entry->name, ==, "Literal Folder");
  g_clear_pointer (&entry, kurir_imap_list_entry_free);
  /* A name with a line break in it: kept raw, not decoded. */
  entry = kurir_imap_list_entry_parse (r->pdata[3], FALSE, &error);
  g_assert_no_error (error);
  g_assert_null (entry->name);
  g_assert_cmpstr (entry->raw_name, ==, "Two\r\nLines");

  envelope = kurir_imap_envelope_parse (kurir_imap_response_lookup_fetch (r->pdata[4], "ENVELOPE")->value, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (envelope->subject, ==, "Rapat ) (penting");
  g_assert_cmpstr (envelope->message_id, ==, "<id{1}@example.id>");

  g_assert_true (kurir_imap_value_is_literal8 (kurir_imap_response_lookup_fetch (r->pdata[5], "BINARY[]")->value));

  /* Status text ending in what looks like a literal is text. */
  g_assert_cmpstr (kurir_imap_response_get_text (r->pdata[6]), ==, "Text ending with a brace {12}");
  g_assert_cmpstr (kurir_imap_response_get_text (r->pdata[7]), ==, "Another {4}");
  /* A quote inside a literal does not open a quoted string. */
  bytes = kurir_imap_response_dup_fetch_body (r->pdata[8], "BODY[HEADER.FIELDS (X-TEST)]", NULL);
  g_assert_nonnull (bytes);
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, 16);
}

/* Tests: bounds and hostile input */

static void
test_large_literal (void)
{
  g_autoptr(KurirImapParser) parser = kurir_imap_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(KurirImapResponse) response = NULL;
  g_autoptr(GBytes) bytes = NULL;
  gsize size = 4 * 1024 * 1024;
  g_autofree char *body = g_malloc (size);
  g_autofree char *head = g_strdup_printf ("* 1 FETCH (UID 1 BODY[] {%" G_GSIZE_FORMAT "}\r\n", size);

  for (gsize i = 0; i < size; i++)
    body[i] = "abc\r\n(){}\"\\"[i % 12];

  kurir_imap_parser_feed (parser, head, strlen (head));
  for (gsize pos = 0; pos < size; pos += 65536)
    {
      kurir_imap_parser_feed (parser, body + pos, MIN (65536, size - pos));
      g_assert_false (kurir_imap_parser_next (parser, &response, &error));
      g_assert_no_error (error);
    }
  kurir_imap_parser_feed (parser, ")\r\n* 2 EXISTS\r\n", 15);
  g_assert_true (kurir_imap_parser_next (parser, &response, &error));
  g_assert_no_error (error);
  bytes = kurir_imap_response_dup_fetch_body (response, "BODY[]", NULL);
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), body, size);
  g_clear_pointer (&response, kurir_imap_response_unref);
  g_assert_true (kurir_imap_parser_next (parser, &response, &error));
  g_assert_cmpstr (kurir_imap_response_get_name (response), ==, "EXISTS");
}

static void
test_hostile (void)
{
  g_autoptr(KurirImapParser) small = NULL;
  GError *error;
  g_autoptr(GString) deep = g_string_new ("* 1 FETCH (X ");

  /* A list never closed, then the end of the line. */
  error = parse_error (NULL, "* 1 FETCH (UID 1\r\n", 18, FALSE);
  g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_PROTOCOL);
  g_clear_error (&error);

  /* A list never closed, then the end of the stream. */
  error = parse_error (NULL, "* 1 FETCH (", 11, TRUE);
  g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_CLOSED);
  g_clear_error (&error);
  error = parse_error (NULL, "* FETCH (", 9, TRUE);
  g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_CLOSED);
  g_clear_error (&error);
  error = parse_error (NULL, "* FETCH (\r\n", 11, FALSE);
  g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_PROTOCOL);
  g_clear_error (&error);

  /* An endless literal: a huge announcement fails at once. */
  error = parse_error (NULL, "* 1 FETCH (BODY[] {4294967296}\r\n", 32, FALSE);
  g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, "4294967296"));
  g_clear_error (&error);
  error = parse_error (NULL, "* 1 FETCH (BODY[] {999999999999999999999999}\r\n", 46, FALSE);
  g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_TOO_LARGE);
  g_clear_error (&error);

  /* A literal within bounds whose bytes never come: the end of the stream. */
  error = parse_error (NULL, "* 1 FETCH (BODY[] {100}\r\nshort", 30, TRUE);
  g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_CLOSED);
  g_clear_error (&error);

  /* A "{100}" inside an unterminated quoted string announces no literal:
   * the error comes at once, without waiting for 100 more bytes. */
  error = parse_error (NULL, "* 1 FETCH (X \"abc {100}\r\n", 26, FALSE);
  g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_PROTOCOL);
  g_clear_error (&error);

  /* Non-synchronising literals are for clients. */
  error = parse_error (NULL, "* 1 FETCH (BODY[] {5+}\r\nhello)\r\n", 32, FALSE);
  g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_PROTOCOL);
  g_clear_error (&error);

  /* CR inside a quoted string; a NUL; no tag; junk after a response. */
  error = parse_error (NULL, "* LIST () \"/\" \"a\rb\"\r\n", 21, FALSE);
  g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_PROTOCOL);
  g_clear_error (&error);
  error = parse_error (NULL, "* SEARCH 1 \0 2\r\n", 16, FALSE);
  g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_PROTOCOL);
  g_clear_error (&error);
  error = parse_error (NULL, " OK\r\n", 5, FALSE);
  g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_PROTOCOL);
  g_clear_error (&error);
  error = parse_error (NULL, "* 1 FETCH (UID 1) junk (\r\n", 26, FALSE);
  g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_PROTOCOL);
  g_clear_error (&error);
  error = parse_error (NULL, "* 1 FETCH (UID)\r\n", 17, FALSE);
  g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_PROTOCOL);
  g_clear_error (&error);
  error = parse_error (NULL, "* FETCH (UID 1)\r\n", 17, FALSE);
  g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_PROTOCOL);
  g_clear_error (&error);
  error = parse_error (NULL, "* 99999999999 EXISTS\r\n", 22, FALSE);
  g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_PROTOCOL);
  g_clear_error (&error);
  error = parse_error (NULL, "A1 FETCH (UID 1)\r\n", 18, FALSE);
  g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_PROTOCOL);
  g_clear_error (&error);

  /* Nesting beyond the bound. */
  for (guint i = 0; i < 100; i++)
    g_string_append_c (deep, '(');
  for (guint i = 0; i < 100; i++)
    g_string_append_c (deep, ')');
  g_string_append (deep, ")\r\n");
  error = parse_error (NULL, deep->str, deep->len, FALSE);
  g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_TOO_LARGE);
  g_clear_error (&error);

  /* A line without end, and too many values. */
  small = kurir_imap_parser_new ();
  kurir_imap_parser_set_max_line_length (small, 1024);
  {
    g_autofree char *line = g_strnfill (4096, 'x');

    error = parse_error (small, line, 4096, FALSE);
    g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_TOO_LARGE);
    g_clear_error (&error);
  }
  g_clear_object (&small);
  small = kurir_imap_parser_new ();
  kurir_imap_parser_set_max_values (small, 100);
  {
    g_autoptr(GString) search = g_string_new ("* SEARCH");

    for (guint i = 1; i <= 200; i++)
      g_string_append_printf (search, " %u", i);
    g_string_append (search, "\r\n");
    error = parse_error (small, search->str, search->len, FALSE);
    g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_TOO_LARGE);
    g_clear_error (&error);
  }
  g_clear_object (&small);

  /* A literal over a configured limit; a response over its limit. */
  small = kurir_imap_parser_new ();
  kurir_imap_parser_set_max_literal_size (small, 1000);
  error = parse_error (small, "* 1 FETCH (BODY[] {1001}\r\n", 26, FALSE);
  g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_TOO_LARGE);
  g_clear_error (&error);
  g_clear_object (&small);
  small = kurir_imap_parser_new ();
  kurir_imap_parser_set_max_response_size (small, 100);
  {
    const char *text = "* 1 FETCH (BODY[1] {60}\r\n012345678901234567890123456789012345678901234567890123456789 BODY[2] {60}\r\n";

    error = parse_error (small, text, strlen (text), FALSE);
  }
  g_assert_error (error, KURIR_IMAP_ERROR, KURIR_IMAP_ERROR_TOO_LARGE);
  g_clear_error (&error);
}

/* Random bytes, and random mutations of the corpus, never crash or hang
 * and end in a response, a need for more, or a clear error. */
static void
test_garbage (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (5);
  g_autoptr(GPtrArray) files = imap_test_corpus_files ();

  for (guint round = 0; round < 2000; round++)
    {
      g_autoptr(KurirImapParser) parser = kurir_imap_parser_new ();
      g_autoptr(GError) error = NULL;
      g_autofree guint8 *data = NULL;
      KurirImapResponse *response;
      gsize size;

      if (round % 2 == 0)
        {
          size = g_rand_int_range (rand, 1, 512);
          data = g_malloc (size);
          for (gsize i = 0; i < size; i++)
            data[i] = (guint8) g_rand_int_range (rand, 0, 256);
          if (round % 4 == 0)
            data[0] = '*', data[MIN (1, size - 1)] = ' ';
        }
      else
        {
          g_autoptr(GBytes) bytes = imap_test_corpus_load (files->pdata[round % files->len]);

          data = g_bytes_unref_to_data (g_steal_pointer (&bytes), &size);
          for (guint m = 0; m < 4; m++)
            {
              gsize where = g_rand_int_range (rand, 0, size);

              data[where] = "(){}\"\\\r\n 0~[]*+"[g_rand_int_range (rand, 0, 16)];
            }
        }

      kurir_imap_parser_feed (parser, (const char *) data, size);
      while (kurir_imap_parser_next (parser, &response, &error))
        {
          g_autofree char *text = kurir_imap_response_to_string (response);

          g_assert_nonnull (text);
          kurir_imap_response_unref (response);
        }
      if (error == NULL)
        kurir_imap_parser_finish (parser, &error);
      if (error != NULL)
        g_assert_true (error->domain == KURIR_IMAP_ERROR);
    }
}

static void
test_values (void)
{
  g_autoptr(KurirImapParser) parser = kurir_imap_parser_new ();
  g_autoptr(KurirImapResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  static const char text[] = "* XTEST NIL nil 18446744073709551615 18446744073709551616 \"a\\\"b\\\\c\" {3}\r\nx\0y ~{2}\r\nzz (a (b (c))) \\Seen\r\n\r\n* 1 EXPUNGE\r\n";
  const KurirImapValue *data;

  kurir_imap_parser_feed (parser, text, sizeof text - 1);
  g_assert_true (kurir_imap_parser_next (parser, &response, &error));
  g_assert_no_error (error);
  data = kurir_imap_response_get_data (response);
  g_assert_cmpuint (kurir_imap_value_get_n_children (data), ==, 9);
  g_assert_true (kurir_imap_value_is_nil (kurir_imap_value_get_child (data, 0)));
  g_assert_true (kurir_imap_value_is_nil (kurir_imap_value_get_child (data, 1)));
  {
    guint64 n = 0;

    g_assert_true (kurir_imap_value_get_number (kurir_imap_value_get_child (data, 2), &n));
    g_assert_cmpuint (n, ==, G_MAXUINT64);
    /* Past 64 bits it stays an atom. */
    g_assert_cmpint (kurir_imap_value_get_kind (kurir_imap_value_get_child (data, 3)), ==, KURIR_IMAP_VALUE_ATOM);
  }
  g_assert_cmpstr (kurir_imap_value_get_string (kurir_imap_value_get_child (data, 4)), ==, "a\"b\\c");
  /* A literal with a NUL has bytes but no string. */
  g_assert_null (kurir_imap_value_get_string (kurir_imap_value_get_child (data, 5)));
  {
    g_autoptr(GBytes) bytes = kurir_imap_value_dup_bytes (kurir_imap_value_get_child (data, 5));

    g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), "x\0y", 3);
  }
  g_assert_true (kurir_imap_value_is_literal8 (kurir_imap_value_get_child (data, 6)));
  {
    g_autofree char *list = kurir_imap_value_to_string (kurir_imap_value_get_child (data, 7));

    g_assert_cmpstr (list, ==, "(a (b (c)))");
  }
  g_assert_true (kurir_imap_value_is_atom (kurir_imap_value_get_child (data, 8), "\\SEEN"));
  g_clear_pointer (&response, kurir_imap_response_unref);

  /* The empty line between responses is skipped. */
  g_assert_true (kurir_imap_parser_next (parser, &response, &error));
  g_assert_cmpstr (kurir_imap_response_get_name (response), ==, "EXPUNGE");
  g_assert_true (kurir_imap_parser_finish (parser, &error));
}

/* Mailbox names that are odd atoms keep their exact text. */
static void
test_atom_names (void)
{
  static const char text[] =
    "* LIST () \"/\" 007\r\n"
    "* LIST () \"/\" foo[bar\r\n"
    "* LIST () \"/\" [Gmail]/Sent\r\n"
    "* LIST () \"/\" a]b\r\n";
  static const char *names[] = { "007", "foo[bar", "[Gmail]/Sent", "a]b" };
  g_autoptr(GPtrArray) responses = parse_data ((const guint8 *) text, sizeof text - 1, SPLIT_BYTES, 0);

  g_assert_cmpuint (responses->len, ==, G_N_ELEMENTS (names));
  for (guint i = 0; i < responses->len; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(KurirImapListEntry) entry = kurir_imap_list_entry_parse (responses->pdata[i], FALSE, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (entry->raw_name, ==, names[i]);
      g_assert_cmpstr (entry->name, ==, names[i]);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/imap/parser/corpus-split-anywhere", test_corpus_split_anywhere);
  g_test_add_func ("/imap/parser/dovecot", test_dovecot);
  g_test_add_func ("/imap/parser/gmail", test_gmail);
  g_test_add_func ("/imap/parser/exchange", test_exchange);
  g_test_add_func ("/imap/parser/cyrus-fastmail", test_cyrus_fastmail);
  g_test_add_func ("/imap/parser/icloud", test_icloud);
  g_test_add_func ("/imap/parser/literals", test_literals);
  g_test_add_func ("/imap/parser/values", test_values);
  g_test_add_func ("/imap/parser/atom-names", test_atom_names);
  g_test_add_func ("/imap/parser/large-literal", test_large_literal);
  g_test_add_func ("/imap/parser/hostile", test_hostile);
  g_test_add_func ("/imap/parser/garbage", test_garbage);

  return g_test_run ();
}
