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

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add ("/store/threads/group", Fixture, NULL, fixture_set_up, test_group, fixture_tear_down);
  return g_test_run ();
}
