/* test-store-imap.c: what the IMAP sync needs of the store: partial
 * messages and their completion (with a crash between the steps), folder
 * state, renames and deletes, lookups and changes by backend key, the
 * journal table. Partial messages keep their header in the index (no file).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "kurir-journal.h"
#include "kurir-maildir.h"
#include "kurir-store.h"

#define ACCOUNT "imap"

static const char full_text[] =
  "From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: Partial one\r\n"
  "Message-ID: <partial-1@example.org>\r\nDate: Tue, 1 Sep 2026 10:00:00 +0000\r\n"
  "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
  "The body says zanzibar.\r\n";

static KurirStore *
open_store (void)
{
  g_autoptr(GError) error = NULL;
  KurirStore *store = kurir_store_open (NULL, &error);

  g_assert_no_error (error);
  return store;
}

static GBytes *
header_part (void)
{
  const char *end = strstr (full_text, "\r\n\r\n");

  return g_bytes_new (full_text, end + 4 - full_text);
}

static gint64
add_partial (KurirStore *store,
             const char *key)
{
  g_autoptr(GBytes) headers = header_part ();
  g_autoptr(GArray) ids = NULL;
  g_autoptr(GError) error = NULL;
  KurirStoreNewMessage message = { headers, key, KURIR_MESSAGE_FLAG_SEEN, 1000, strlen (full_text) };

  g_assert_true (kurir_store_add_batch (store, ACCOUNT, "INBOX", &message, 1, &ids, &error));
  g_assert_no_error (error);
  return g_array_index (ids, gint64, 0);
}

static guint
count_files (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (d && g_dir_read_name (d))
    n++;
  return n;
}

static guint
search_count (KurirStore *store,
              const char *query)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) found = kurir_store_search (store, query, 0, 100, &error);

  g_assert_no_error (error);
  return found->len;
}

static void
test_partial_complete (void)
{
  g_autoptr(KurirStore) store = open_store ();
  g_autoptr(GError) error = NULL;
  g_autoptr(KurirMessage) message = NULL;
  g_autoptr(GBytes) full = g_bytes_new_static (full_text, strlen (full_text));
  g_autoptr(GBytes) raw = NULL;
  gint64 id = add_partial (store, "42");

  message = kurir_store_get_message (store, id, &error);
  g_assert_no_error (error);
  g_assert_true (kurir_message_get_flags (message) & KURIR_MESSAGE_FLAG_PARTIAL);
  g_assert_true (kurir_message_get_flags (message) & KURIR_MESSAGE_FLAG_SEEN);
  g_assert_cmpint (kurir_message_get_full_size (message), ==, strlen (full_text));
  g_assert_cmpstr (kurir_message_get_subject (message), ==, "Partial one");
  g_assert_nonnull (strstr (kurir_message_get_filename (message), ",P="));
  g_assert_cmpuint (search_count (store, "zanzibar"), ==, 0);
  g_assert_cmpuint (search_count (store, "partial"), ==, 1);
  g_clear_object (&message);
  /* Its header is in the index: no file, and read back as it came. */
  {
    g_autofree char *dir = kurir_store_get_folder_dir (store, ACCOUNT, "INBOX");
    g_autofree char *cur = g_build_filename (dir, "cur", NULL);
    g_autoptr(GBytes) header = header_part ();

    g_assert_cmpuint (count_files (cur), ==, 0);
    raw = kurir_store_get_raw (store, id, &error);
    g_assert_no_error (error);
    g_assert_true (g_bytes_equal (raw, header));
    g_clear_pointer (&raw, g_bytes_unref);
  }

  /* A rebuilt index still knows it is partial. */
  g_assert_true (kurir_store_reindex (store, ACCOUNT, &error));
  g_assert_no_error (error);
  {
    g_autoptr(GPtrArray) list = kurir_store_list (store, ACCOUNT, "INBOX", 0, 10, &error);

    g_assert_cmpuint (list->len, ==, 1);
    id = kurir_message_get_id (g_ptr_array_index (list, 0));
    g_assert_true (kurir_message_get_flags (g_ptr_array_index (list, 0)) & KURIR_MESSAGE_FLAG_PARTIAL);
  }

  g_assert_true (kurir_store_complete_message (store, id, full, &error));
  g_assert_no_error (error);
  message = kurir_store_get_message (store, id, &error);
  g_assert_false (kurir_message_get_flags (message) & KURIR_MESSAGE_FLAG_PARTIAL);
  g_assert_true (kurir_message_get_flags (message) & KURIR_MESSAGE_FLAG_SEEN);
  g_assert_cmpint (kurir_message_get_size (message), ==, strlen (full_text));
  g_assert_null (strstr (kurir_message_get_filename (message), ",P="));
  g_assert_cmpstr (kurir_message_get_backend_key (message), ==, "42");
  raw = kurir_store_get_raw (store, id, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (raw, full));
  g_assert_cmpuint (search_count (store, "zanzibar"), ==, 1);
  /* Again: nothing to do. */
  g_assert_true (kurir_store_complete_message (store, id, full, &error));
  {
    g_autofree char *dir = kurir_store_get_folder_dir (store, ACCOUNT, "INBOX");
    g_autofree char *cur = g_build_filename (dir, "cur", NULL);

    g_assert_cmpuint (count_files (cur), ==, 1);
  }
}

/* A crash after the complete file was renamed in but before the partial
 * one went: reconciling keeps the complete one, once, under the same id. */
static void
test_partial_crash (void)
{
  g_autoptr(KurirStore) store = open_store ();
  g_autoptr(GError) error = NULL;
  g_autoptr(KurirMessage) message = NULL;
  g_autoptr(KurirMessage) before = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *cur = NULL;
  g_autofree char *uniq = NULL;
  g_autofree char *complete_uniq = NULL;
  g_autofree char *complete_name = NULL;
  g_autofree char *complete_path = NULL;
  g_autofree char *marker = NULL;
  gint64 id = add_partial (store, "43");

  before = kurir_store_get_message (store, id, &error);
  dir = kurir_store_get_folder_dir (store, ACCOUNT, "INBOX");
  cur = g_build_filename (dir, "cur", NULL);
  g_assert_true (kurir_maildir_parse_filename (kurir_message_get_filename (before), &uniq,
                                               NULL, NULL, NULL));
  complete_uniq = kurir_maildir_uniq_with_sizes (uniq, strlen (full_text), 0);
  complete_name = kurir_maildir_filename (complete_uniq, KURIR_MESSAGE_FLAG_SEEN);
  complete_path = g_build_filename (cur, complete_name, NULL);
  g_assert_true (g_file_set_contents (complete_path, full_text, -1, NULL));
  marker = g_build_filename (g_get_user_data_dir (), "kurir", "mail", ACCOUNT, ".kurir-writing", NULL);
  g_assert_true (g_file_set_contents (marker, "", 0, NULL));

  g_clear_object (&store);
  store = open_store ();
  g_assert_true (kurir_store_set_folder_state (store, ACCOUNT, "INBOX", 1, 2, 3, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_files (cur), ==, 1);
  message = kurir_store_get_message (store, id, &error);
  g_assert_no_error (error);
  g_assert_false (kurir_message_get_flags (message) & KURIR_MESSAGE_FLAG_PARTIAL);
  g_assert_cmpint (kurir_message_get_size (message), ==, strlen (full_text));
  g_assert_cmpint (kurir_store_count (store, ACCOUNT, "INBOX", &error), ==, 1);
}

/* Flags, moves, new keys and deletes of a partial message whose header
 * is in the index: no file is touched, the header follows the row, and
 * it goes with the row. */
static void
test_partial_edits (void)
{
  g_autoptr(KurirStore) store = open_store ();
  g_autoptr(GError) error = NULL;
  g_autoptr(KurirMessage) message = NULL;
  g_autoptr(GBytes) header = header_part ();
  g_autoptr(GBytes) raw = NULL;
  gint64 id = add_partial (store, "44");
  gint64 other = add_partial (store, "45");

  g_assert_cmpint (kurir_store_count_partial (store, ACCOUNT, "INBOX", &error), ==, 2);

  g_assert_true (kurir_store_set_flags (store, id, KURIR_MESSAGE_FLAG_FLAGGED,
                                        KURIR_MESSAGE_FLAG_SEEN, &error));
  g_assert_no_error (error);
  g_assert_true (kurir_store_move (store, id, "Archive", &error));
  g_assert_no_error (error);
  g_assert_true (kurir_store_move_with_key (store, id, "Archive", "7", &error));
  g_assert_no_error (error);
  message = kurir_store_get_message (store, id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (kurir_message_get_folder (message), ==, "Archive");
  g_assert_cmpstr (kurir_message_get_backend_key (message), ==, "7");
  g_assert_cmpint (kurir_message_get_flags (message) & KURIR_MESSAGE_FLAGS_ALL, ==,
                   KURIR_MESSAGE_FLAG_FLAGGED);
  g_assert_true (kurir_message_get_flags (message) & KURIR_MESSAGE_FLAG_PARTIAL);
  raw = kurir_store_get_raw (store, id, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (raw, header));
  g_clear_pointer (&raw, g_bytes_unref);

  /* Reconciling and a full reindex keep it (it has no file to find). */
  g_assert_true (kurir_store_reindex (store, ACCOUNT, &error));
  g_assert_no_error (error);
  g_assert_cmpint (kurir_store_lookup_key (store, ACCOUNT, "Archive", "7", &error), ==, id);
  g_assert_cmpint (kurir_store_lookup_key (store, ACCOUNT, "INBOX", "45", &error), ==, other);

  g_assert_true (kurir_store_delete_full (store, id, KURIR_STORE_DELETE_FORGET, &error));
  g_assert_no_error (error);
  g_assert_null (kurir_store_get_raw (store, id, &error));
  g_assert_error (error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  raw = kurir_store_get_raw (store, other, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (raw, header));
  g_assert_cmpint (kurir_store_count_partial (store, ACCOUNT, "Archive", &error), ==, 0);
  g_assert_cmpint (kurir_store_count_partial (store, ACCOUNT, "INBOX", &error), ==, 1);
  {
    g_autoptr(GBytes) full = g_bytes_new_static (full_text, strlen (full_text));

    g_assert_true (kurir_store_complete_message (store, other, full, &error));
    g_assert_no_error (error);
    g_assert_cmpint (kurir_store_count_partial (store, ACCOUNT, "INBOX", &error), ==, 0);
  }
  {
    g_autofree char *dir = kurir_store_get_folder_dir (store, ACCOUNT, "Archive");
    g_autofree char *cur = g_build_filename (dir, "cur", NULL);

    g_assert_cmpuint (count_files (cur), ==, 0);
  }
}

static void
test_folders (void)
{
  g_autoptr(KurirStore) store = open_store ();
  g_autoptr(GError) error = NULL;
  g_autoptr(KurirStoreFolder) folder = NULL;
  g_autoptr(GBytes) data = g_bytes_new_static (full_text, strlen (full_text));
  gint64 keyed, local;

  g_assert_true (kurir_store_create_folder (store, ACCOUNT, "Old", NULL, &error));
  g_assert_true (kurir_store_set_folder_state (store, ACCOUNT, "Old", 77, 10, 500, &error));
  g_assert_true (kurir_store_set_folder_role (store, ACCOUNT, "Old", "trash", &error));
  g_assert_no_error (error);
  keyed = kurir_store_add (store, ACCOUNT, "Old", data, "5", 0, 0, &error);
  local = kurir_store_add (store, ACCOUNT, "Old", data, NULL, 0, 0, &error);
  g_assert_no_error (error);

  g_assert_true (kurir_store_rename_folder (store, ACCOUNT, "Old", "New/Name", &error));
  g_assert_no_error (error);
  folder = kurir_store_get_folder (store, ACCOUNT, "New/Name", &error);
  g_assert_no_error (error);
  g_assert_cmpint (folder->uidvalidity, ==, 77);
  g_assert_cmpint (folder->uidnext, ==, 10);
  g_assert_cmpint (folder->highestmodseq, ==, 500);
  g_assert_cmpstr (folder->role, ==, "trash");
  g_assert_cmpuint (folder->total, ==, 2);
  g_clear_pointer (&folder, kurir_store_folder_free);
  g_assert_null (kurir_store_get_folder (store, ACCOUNT, "Old", NULL));
  g_assert_cmpint (kurir_store_lookup_key (store, ACCOUNT, "New/Name", "5", &error), ==, keyed);
  /* Rebuilt from the files, the name comes back. */
  g_assert_true (kurir_store_reindex (store, ACCOUNT, &error));
  g_assert_cmpint (kurir_store_count (store, ACCOUNT, "New/Name", &error), ==, 2);

  /* A new role moves from the old folder. */
  g_assert_true (kurir_store_set_folder_role (store, ACCOUNT, "Bin", "trash", &error));
  folder = kurir_store_get_folder (store, ACCOUNT, "New/Name", &error);
  g_assert_null (folder->role);
  g_clear_pointer (&folder, kurir_store_folder_free);

  /* UIDVALIDITY change: keyed messages go, the local one stays, no tombstone. */
  {
    guint removed = 0;
    g_autoptr(GHashTable) known = NULL;

    g_assert_true (kurir_store_clear_folder (store, ACCOUNT, "New/Name", &removed, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (removed, ==, 1);
    g_assert_cmpint (kurir_store_count (store, ACCOUNT, "New/Name", &error), ==, 1);
    g_assert_cmpint (kurir_store_lookup_key (store, ACCOUNT, "New/Name", "5", &error), ==, 0);
    g_assert_nonnull (kurir_store_get_message (store, local, NULL));
    known = kurir_store_get_account_keys (store, ACCOUNT, &error);
    g_assert_false (g_hash_table_contains (known, "5"));
  }

  g_assert_true (kurir_store_delete_folder (store, ACCOUNT, "New/Name", &error));
  g_assert_no_error (error);
  g_assert_null (kurir_store_get_folder (store, ACCOUNT, "New/Name", NULL));
  g_assert_null (kurir_store_get_message (store, local, NULL));
  {
    g_autofree char *dir = kurir_store_get_folder_dir (store, ACCOUNT, "New/Name");

    g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
  }
  /* Gone already: fine. */
  g_assert_true (kurir_store_delete_folder (store, ACCOUNT, "New/Name", &error));
}

static void
test_keys (void)
{
  g_autoptr(KurirStore) store = open_store ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) data = g_bytes_new_static (full_text, strlen (full_text));
  g_autoptr(GHashTable) keys = NULL;
  g_autoptr(GHashTable) known = NULL;
  g_autoptr(KurirMessage) message = NULL;
  KurirStoreKeyState *state;
  gint64 a, b;

  a = kurir_store_add (store, ACCOUNT, "INBOX", data, "7", KURIR_MESSAGE_FLAG_FLAGGED, 0, &error);
  b = kurir_store_add (store, ACCOUNT, "INBOX", data, "8", 0, 0, &error);
  g_assert_no_error (error);

  keys = kurir_store_get_folder_keys (store, ACCOUNT, "INBOX", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (keys), ==, 2);
  state = g_hash_table_lookup (keys, "7");
  g_assert_cmpint (state->id, ==, a);
  g_assert_cmpint (state->flags, ==, KURIR_MESSAGE_FLAG_FLAGGED);
  g_assert_cmpint (kurir_store_lookup_key (store, ACCOUNT, "INBOX", "8", &error), ==, b);
  g_assert_cmpint (kurir_store_lookup_key (store, ACCOUNT, "INBOX", "9", &error), ==, 0);
  g_assert_no_error (error);

  /* A removal from the server leaves no tombstone; a user's does. */
  g_assert_true (kurir_store_delete_full (store, a, KURIR_STORE_DELETE_FORGET, &error));
  g_assert_true (kurir_store_delete (store, b, &error));
  known = kurir_store_get_account_keys (store, ACCOUNT, &error);
  g_assert_false (g_hash_table_contains (known, "7"));
  g_assert_true (g_hash_table_contains (known, "8"));

  /* Moved with a new key, in one rename; it survives a reindex. */
  a = kurir_store_add (store, ACCOUNT, "INBOX", data, "10", 0, 0, &error);
  g_assert_true (kurir_store_move_with_key (store, a, "Archive", "3", &error));
  g_assert_no_error (error);
  g_assert_true (kurir_store_reindex (store, ACCOUNT, &error));
  g_assert_cmpint (kurir_store_lookup_key (store, ACCOUNT, "Archive", "3", &error), ==, a);
  g_assert_cmpint (kurir_store_lookup_key (store, ACCOUNT, "INBOX", "10", &error), ==, 0);
  g_assert_true (kurir_store_move_with_key (store, a, "Archive", NULL, &error));
  message = kurir_store_get_message (store, a, &error);
  g_assert_null (kurir_message_get_backend_key (message));
  g_assert_cmpstr (kurir_message_get_folder (message), ==, "Archive");
}

static void
test_journal_table (void)
{
  g_autoptr(KurirStore) store = open_store ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(GPtrArray) failed = NULL;
  KurirStoreJournalEntry entry = { 0 };
  KurirStoreJournalEntry *got;
  gint64 first, second;

  entry.account = (char *) ACCOUNT;
  entry.op = KURIR_STORE_JOURNAL_FLAGS;
  entry.folder = (char *) "INBOX";
  entry.backend_key = (char *) "5";
  entry.uidvalidity = 99;
  entry.add_flags = KURIR_MESSAGE_FLAG_SEEN;
  first = kurir_store_journal_add (store, &entry, &error);
  entry.op = KURIR_STORE_JOURNAL_MOVE;
  entry.target = (char *) "Archive";
  second = kurir_store_journal_add (store, &entry, &error);
  g_assert_no_error (error);
  g_assert_cmpint (second, >, first);

  pending = kurir_store_journal_list (store, ACCOUNT, FALSE, &error);
  g_assert_cmpuint (pending->len, ==, 2);
  got = g_ptr_array_index (pending, 0);
  g_assert_cmpint (got->id, ==, first);
  g_assert_cmpint (got->op, ==, KURIR_STORE_JOURNAL_FLAGS);
  g_assert_cmpint (got->add_flags, ==, KURIR_MESSAGE_FLAG_SEEN);
  g_assert_cmpstr (got->backend_key, ==, "5");
  g_assert_cmpint (got->uidvalidity, ==, 99);

  g_assert_true (kurir_store_journal_set_failed (store, first, "NO [CANNOT] nope", &error));
  g_assert_true (kurir_store_journal_update_key (store, second, "INBOX", "6", 100, &error));
  g_clear_pointer (&pending, g_ptr_array_unref);
  pending = kurir_store_journal_list (store, ACCOUNT, FALSE, &error);
  failed = kurir_store_journal_list (store, NULL, TRUE, &error);
  g_assert_cmpuint (pending->len, ==, 1);
  g_assert_cmpuint (failed->len, ==, 1);
  g_assert_cmpstr (((KurirStoreJournalEntry *) g_ptr_array_index (pending, 0))->backend_key, ==, "6");
  g_assert_cmpstr (((KurirStoreJournalEntry *) g_ptr_array_index (failed, 0))->error, ==, "NO [CANNOT] nope");
  g_assert_true (kurir_store_journal_remove (store, second, &error));
  g_clear_pointer (&pending, g_ptr_array_unref);
  pending = kurir_store_journal_list (store, ACCOUNT, FALSE, &error);
  g_assert_cmpuint (pending->len, ==, 0);
}

/* The journal's local half: each edit shows at once and leaves one entry
 * that says what the server must do; no deleted_keys tombstones. */
static void
test_journal_local_edits (void)
{
  g_autoptr(KurirStore) store = open_store ();
  g_autoptr(KurirJournal) journal = kurir_journal_new (store, ACCOUNT);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) data = g_bytes_new_static (full_text, strlen (full_text));
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GHashTable) known = NULL;
  g_autoptr(KurirMessage) message = NULL;
  KurirStoreJournalEntry *entry;
  gint64 a, b, c, draft;

  g_assert_true (kurir_store_create_folder (store, ACCOUNT, "INBOX", NULL, &error));
  g_assert_true (kurir_store_set_folder_state (store, ACCOUNT, "INBOX", 55, 10, 0, &error));
  a = kurir_store_add (store, ACCOUNT, "INBOX", data, "1", 0, 0, &error);
  b = kurir_store_add (store, ACCOUNT, "INBOX", data, "2", 0, 0, &error);
  c = kurir_store_add (store, ACCOUNT, "INBOX", data, "3", 0, 0, &error);
  g_assert_no_error (error);

  g_assert_true (kurir_journal_set_flags (journal, a, KURIR_MESSAGE_FLAG_SEEN, 0, &error));
  g_assert_true (kurir_journal_move (journal, b, "Archive", &error));
  /* No Trash yet: a delete expunges. */
  g_assert_true (kurir_journal_delete (journal, c, &error));
  g_assert_no_error (error);

  message = kurir_store_get_message (store, a, NULL);
  g_assert_true (kurir_message_get_flags (message) & KURIR_MESSAGE_FLAG_SEEN);
  g_clear_object (&message);
  message = kurir_store_get_message (store, b, NULL);
  g_assert_cmpstr (kurir_message_get_folder (message), ==, "Archive");
  g_assert_null (kurir_message_get_backend_key (message));
  g_assert_null (kurir_store_get_message (store, c, NULL));
  known = kurir_store_get_account_keys (store, ACCOUNT, &error);
  {
    GHashTableIter iter;
    gpointer value;

    g_hash_table_iter_init (&iter, known);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      g_assert_cmpint (((KurirStoreKeyInfo *) value)->deleted, ==, 0);
    g_assert_false (g_hash_table_contains (known, "3"));
  }

  entries = kurir_store_journal_list (store, ACCOUNT, FALSE, &error);
  g_assert_cmpuint (entries->len, ==, 3);
  entry = g_ptr_array_index (entries, 0);
  g_assert_cmpint (entry->op, ==, KURIR_STORE_JOURNAL_FLAGS);
  g_assert_cmpstr (entry->backend_key, ==, "1");
  g_assert_cmpint (entry->uidvalidity, ==, 55);
  g_assert_cmpstr (entry->message_id, !=, NULL);
  entry = g_ptr_array_index (entries, 1);
  g_assert_cmpint (entry->op, ==, KURIR_STORE_JOURNAL_MOVE);
  g_assert_cmpstr (entry->folder, ==, "INBOX");
  g_assert_cmpstr (entry->target, ==, "Archive");
  g_assert_cmpstr (entry->backend_key, ==, "2");
  entry = g_ptr_array_index (entries, 2);
  g_assert_cmpint (entry->op, ==, KURIR_STORE_JOURNAL_DELETE);
  g_assert_null (entry->target);

  /* With a Trash: a delete is a move there; in the Trash, an expunge. */
  g_assert_true (kurir_store_set_folder_role (store, ACCOUNT, "Trash", "trash", &error));
  g_assert_true (kurir_journal_delete (journal, a, &error));
  message = kurir_store_get_message (store, a, NULL);
  g_assert_cmpstr (kurir_message_get_folder (message), ==, "Trash");
  g_assert_true (kurir_journal_delete (journal, a, &error));
  g_assert_null (kurir_store_get_message (store, a, NULL));
  g_clear_pointer (&entries, g_ptr_array_unref);
  entries = kurir_store_journal_list (store, ACCOUNT, FALSE, &error);
  g_assert_cmpuint (entries->len, ==, 5);
  g_assert_cmpstr (((KurirStoreJournalEntry *) g_ptr_array_index (entries, 3))->target, ==, "Trash");
  g_assert_null (((KurirStoreJournalEntry *) g_ptr_array_index (entries, 4))->target);

  /* A new folder and a draft: here at once, journalled. */
  g_assert_true (kurir_journal_create_folder (journal, "Projects", &error));
  g_assert_no_error (error);
  {
    g_autoptr(KurirStoreFolder) folder = kurir_store_get_folder (store, ACCOUNT, "Projects", &error);

    g_assert_no_error (error);
  }
  draft = kurir_journal_append (journal, "Drafts", data, KURIR_MESSAGE_FLAG_DRAFT, &error);
  g_assert_no_error (error);
  g_assert_cmpint (draft, >, 0);
  g_assert_cmpuint (kurir_journal_count_pending (journal), ==, 7);

  /* Another account's message is refused. */
  {
    gint64 other = kurir_store_add (store, "other", "INBOX", data, NULL, 0, 0, &error);

    g_assert_false (kurir_journal_set_flags (journal, other, KURIR_MESSAGE_FLAG_SEEN, 0, &error));
    g_assert_error (error, KURIR_SYNC_ERROR, KURIR_SYNC_ERROR_INVALID);
    g_clear_error (&error);
    g_assert_cmpuint (kurir_journal_count_pending (journal), ==, 7);
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/store-imap/partial-complete", test_partial_complete);
  g_test_add_func ("/store-imap/partial-crash", test_partial_crash);
  g_test_add_func ("/store-imap/partial-edits", test_partial_edits);
  g_test_add_func ("/store-imap/folders", test_folders);
  g_test_add_func ("/store-imap/keys", test_keys);
  g_test_add_func ("/store-imap/journal-table", test_journal_table);
  g_test_add_func ("/store-imap/journal-local-edits", test_journal_local_edits);

  return g_test_run ();
}
