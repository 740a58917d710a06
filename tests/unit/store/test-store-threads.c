/* test-store-threads.c: the index grouped by conversation
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "kurir-store.h"
#include "kurir-store-threads.h"

typedef struct
{
  char       *dir;
  KurirStore *store;
} Fixture;

static gint64
add (Fixture    *fixture,
     const char *account,
     const char *folder,
     const char *from,
     const char *message_id,
     const char *in_reply_to,
     int         hour,
     KurirMessageFlags flags)
{
  g_autofree char *reply = in_reply_to ? g_strdup_printf ("In-Reply-To: <%s>\r\n", in_reply_to) : g_strdup ("");
  g_autofree char *text = g_strdup_printf ("From: %s\r\nSubject: s %s\r\nDate: Sat, 28 Nov 2026 %02d:00:00 +0000\r\n"
                                           "Message-ID: <%s>\r\n%s\r\nbody\r\n",
                                           from, message_id, hour, message_id, reply);
  g_autoptr(GBytes) data = g_bytes_new (text, strlen (text));
  g_autoptr(GError) error = NULL;
  gint64 id = kurir_store_add (fixture->store, account, folder, data, NULL, flags, 0, &error);

  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  return id;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("kurir-threads-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->store = kurir_store_open (fixture->dir, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *command = g_strdup_printf ("rm -rf '%s'", fixture->dir);

  g_clear_object (&fixture->store);
  g_assert_true (g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL));
  g_free (fixture->dir);
}

/* One row per thread, newest thread first, counts within the folder. */
static void
test_group (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) threads = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  KurirStoreThread *thread;
  gint64 newest;

  add (fixture, "a", "INBOX", "Ann <ann@x>", "t1@x", NULL, 1, KURIR_MESSAGE_FLAG_SEEN);
  add (fixture, "a", "INBOX", "Bob <bob@x>", "t2@x", "t1@x", 3, 0);
  newest = add (fixture, "a", "INBOX", "Ann <ann@x>", "t3@x", "t2@x", 5, KURIR_MESSAGE_FLAG_SEEN);
  add (fixture, "a", "INBOX", "Cid <cid@x>", "solo@x", NULL, 4, 0);
  add (fixture, "a", "Other", "Dee <dee@x>", "t4@x", "t3@x", 6, 0);
  add (fixture, "b", "INBOX", "Eve <eve@x>", "b1@x", NULL, 2, 0);

  g_assert_cmpint (kurir_store_count_threads (fixture->store, "a", "INBOX", &error), ==, 2);
  g_assert_no_error (error);
  threads = kurir_store_list_threads (fixture->store, "a", "INBOX", 0, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (threads->len, ==, 2);
  thread = g_ptr_array_index (threads, 0);
  g_assert_cmpint (kurir_message_get_id (thread->newest), ==, newest);
  g_assert_cmpuint (thread->n_messages, ==, 3);
  g_assert_cmpuint (thread->n_unread, ==, 1);
  g_assert_cmpuint (g_strv_length (thread->senders), ==, 2);
  thread = g_ptr_array_index (threads, 1);
  g_assert_cmpuint (thread->n_messages, ==, 1);
  g_assert_cmpstr (thread->senders[0], ==, "Cid <cid@x>");

  /* Paging. */
  g_clear_pointer (&threads, g_ptr_array_unref);
  threads = kurir_store_list_threads (fixture->store, "a", "INBOX", 1, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (threads->len, ==, 1);

  /* A new conversation after the order was read: seen at once. */
  add (fixture, "a", "INBOX", "Fay <fay@x>", "new@x", NULL, 7, 0);
  g_assert_cmpint (kurir_store_count_threads (fixture->store, "a", "INBOX", &error), ==, 3);
  g_assert_no_error (error);
  g_clear_pointer (&threads, g_ptr_array_unref);
  threads = kurir_store_list_threads (fixture->store, "a", "INBOX", 0, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (kurir_message_get_from (((KurirStoreThread *) g_ptr_array_index (threads, 0))->newest), ==,
                   "Fay <fay@x>");

  /* The unified inbox: a's three and b's one. */
  g_assert_cmpint (kurir_store_count_threads (fixture->store, NULL, NULL, &error), ==, 4);
  g_assert_no_error (error);

  /* The thread in INBOX: three, oldest first; everywhere it has four. */
  g_clear_pointer (&threads, g_ptr_array_unref);
  threads = kurir_store_list_threads (fixture->store, "a", "INBOX", 1, 1, &error);
  g_assert_no_error (error);
  thread = g_ptr_array_index (threads, 0);
  messages = kurir_store_get_thread_in (fixture->store, kurir_message_get_thread_id (thread->newest),
                                        "a", "INBOX", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (messages->len, ==, 3);
  g_assert_cmpint (kurir_message_get_id (g_ptr_array_index (messages, 2)), ==, newest);
  g_assert_cmpint (kurir_message_get_date (g_ptr_array_index (messages, 0)), <,
                   kurir_message_get_date (g_ptr_array_index (messages, 1)));
}

/* More messages than one chunk of the lazy thread order, with equal dates
 * and threads whose newest message lies far down: the pages, read one at
 * a time from a fresh order and from a complete one, give every thread
 * once, newest (date, id) first, and the count agrees. */
static void
test_order_in_chunks (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GHashTable) newest = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_object_unref);
  g_autoptr(GHashTable) listed = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_autoptr(GRand) rand = g_rand_new_with_seed (6);
  const guint n_messages = 1300, n_roots = 1100, page = 97;
  gint64 n_threads, last_date = G_MAXINT64, last_id = G_MAXINT64;

  g_autofree KurirStoreNewMessage *batch = g_new0 (KurirStoreNewMessage, n_messages);

  for (guint i = 0; i < n_messages; i++)
    {
      g_autofree char *id = g_strdup_printf ("m%u@x", i);
      g_autofree char *parent = i >= n_roots ? g_strdup_printf ("m%u@x", g_rand_int_range (rand, 0, i)) : NULL;
      g_autofree char *reply = parent ? g_strdup_printf ("In-Reply-To: <%s>\r\n", parent) : g_strdup ("");
      gint32 second = g_rand_int_range (rand, 0, 100);  /* 13 a second */
      char *text = g_strdup_printf ("From: a@x\r\nSubject: s\r\nDate: Sat, 28 Nov 2026 10:%02d:%02d +0000\r\n"
                                    "Message-ID: <%s>\r\n%s\r\nbody\r\n",
                                    second / 60, second % 60, id, reply);

      batch[i].data = g_bytes_new_take (text, strlen (text));
    }
  /* In one batch: one fsync, not 1,300. */
  kurir_store_add_batch (fixture->store, "a", "INBOX", batch, n_messages, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < n_messages; i++)
    g_bytes_unref (batch[i].data);

  /* The newest message of each thread, from the flat list. */
  all = kurir_store_list (fixture->store, "a", "INBOX", 0, n_messages, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, n_messages);
  for (guint i = 0; i < all->len; i++)
    {
      KurirMessage *message = g_ptr_array_index (all, i);
      gint64 thread_id = kurir_message_get_thread_id (message);
      KurirMessage *known = g_hash_table_lookup (newest, &thread_id);

      if (known == NULL || kurir_message_get_date (message) > kurir_message_get_date (known) ||
          (kurir_message_get_date (message) == kurir_message_get_date (known) &&
           kurir_message_get_id (message) > kurir_message_get_id (known)))
        g_hash_table_replace (newest, g_memdup2 (&thread_id, sizeof thread_id), g_object_ref (message));
    }
  g_assert_cmpuint (g_hash_table_size (newest), <=, n_roots);

  /* Pages first (the order read lazily), the count after. */
  for (guint offset = 0; ; offset += page)
    {
      g_autoptr(GPtrArray) threads = kurir_store_list_threads (fixture->store, "a", "INBOX", offset, page, &error);

      g_assert_no_error (error);
      for (guint i = 0; i < threads->len; i++)
        {
          KurirStoreThread *thread = g_ptr_array_index (threads, i);
          KurirMessage *expected = g_hash_table_lookup (newest, &thread->thread_id);
          gint64 date = kurir_message_get_date (thread->newest), id = kurir_message_get_id (thread->newest);

          g_assert_nonnull (expected);
          g_assert_cmpint (date, ==, kurir_message_get_date (expected));
          g_assert_true (date < last_date || (date == last_date && id < last_id));
          last_date = date;
          last_id = kurir_message_get_id (expected);
          g_assert_false (g_hash_table_contains (listed, &thread->thread_id));
          g_hash_table_add (listed, g_memdup2 (&thread->thread_id, sizeof thread->thread_id));
        }
      if (threads->len < page)
        break;
    }
  g_assert_cmpuint (g_hash_table_size (listed), ==, g_hash_table_size (newest));
  n_threads = kurir_store_count_threads (fixture->store, "a", "INBOX", &error);
  g_assert_no_error (error);
  g_assert_cmpint (n_threads, ==, g_hash_table_size (newest));

  /* A page far down first, on an order read afresh after a change: the
   * same threads as the complete order's. */
  add (fixture, "a", "Other", "Fay <fay@x>", "elsewhere@x", NULL, 1, 0);
  {
    g_autoptr(GPtrArray) far = kurir_store_list_threads (fixture->store, "a", "INBOX", (guint) n_threads - 3, 10, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (far->len, ==, 3);
    g_assert_cmpint (kurir_store_count_threads (fixture->store, "a", "INBOX", &error), ==, n_threads);
    g_assert_no_error (error);
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add ("/store/threads/group", Fixture, NULL, fixture_set_up, test_group, fixture_tear_down);
  g_test_add ("/store/threads/order-in-chunks", Fixture, NULL, fixture_set_up, test_order_in_chunks,
              fixture_tear_down);
  return g_test_run ();
}
