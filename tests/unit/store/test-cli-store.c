/* test-cli-store.c: kurir-cli list, show, search, folders, flag, move,
 * delete, reindex, import and export, as a user runs them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "kurir-maildir.h"
#include "kurir-mbox.h"
#include "kurir-test-util.h"

static const char *messages[] = {
  "From: Ann Example <ann@example.net>\nTo: me@example.org\nSubject: =?utf-8?q?Caf=C3=A9_tonight?=\n"
  "Date: Mon, 1 Jan 2024 10:00:00 +0000\nMessage-ID: <one@example.net>\n\nShall we meet at the cafe?\n",
  "From: Bob <bob@example.net>\nTo: me@example.org\nSubject: Re: Cafe tonight\n"
  "Date: Mon, 1 Jan 2024 11:00:00 +0000\nMessage-ID: <two@example.net>\nIn-Reply-To: <one@example.net>\n"
  "References: <one@example.net>\n\nYes, at eight.\nFrom the station I walk.\n",
  "From: Cy <cy@example.net>\nTo: me@example.org\nSubject: Invoice\n"
  "Date: Tue, 2 Jan 2024 09:00:00 +0000\nMessage-ID: <three@example.net>\n\nPlease pay the invoice.\n",
};

/* Helpers */

static JsonArray *
run_json (JsonParser *parser,
          const char *first_arg,
          ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  va_list args;
  int status;

  va_start (args, first_arg);
  for (const char *arg = first_arg; arg; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  while (argv->len < 6)
    g_ptr_array_add (argv, NULL);

  status = kurir_test_run_cli (NULL, &out, &err, g_ptr_array_index (argv, 0),
                               g_ptr_array_index (argv, 1), g_ptr_array_index (argv, 2),
                               g_ptr_array_index (argv, 3), g_ptr_array_index (argv, 4),
                               g_ptr_array_index (argv, 5), NULL);
  if (status != 0)
    g_error ("kurir-cli %s failed: %s", first_arg, err);
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  g_assert_no_error (error);
  return json_node_get_array (json_parser_get_root (parser));
}

static gint64
id_of (JsonArray *array,
       guint      index)
{
  return json_object_get_int_member (json_array_get_object_element (array, index), "id");
}

static const char *
subject_of (JsonArray *array,
            guint      index)
{
  return json_object_get_string_member (json_array_get_object_element (array, index), "subject");
}

static void
write_mbox (const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GFileOutputStream) out = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (messages); i++)
    g_assert_true (kurir_mbox_write (G_OUTPUT_STREAM (out), messages[i], strlen (messages[i]),
                                     1704100000 + i, &error));
  g_assert_true (g_output_stream_close (G_OUTPUT_STREAM (out), NULL, &error));
}

/* Tests */

static void
test_cli_mail (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *mbox = g_build_filename (g_get_user_cache_dir (), "in.mbox", NULL);
  g_autofree char *export = g_build_filename (g_get_user_cache_dir (), "out.mbox", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *id_text = NULL;
  JsonArray *array;
  JsonObject *object;
  gint64 invoice, reply;
  int status;

  g_assert_cmpint (g_mkdir_with_parents (g_get_user_cache_dir (), 0700), ==, 0);
  write_mbox (mbox);

  status = kurir_test_run_cli (NULL, &out, &err, "account", "add", "loc", "--email", "me@example.org",
                               "--protocol", "local", NULL);
  g_assert_cmpint (status, ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* import, twice: no duplicates. */
  status = kurir_test_run_cli (NULL, &out, &err, "import", "--account", "loc", mbox, NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "Imported 3 messages"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = kurir_test_run_cli (NULL, &out, &err, "import", "--account", "loc", mbox, NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "Imported 0 messages"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* list --json: the contract's fields, newest first. */
  array = run_json (parser, "list", "--account", "loc", "--json", NULL);
  g_assert_cmpuint (json_array_get_length (array), ==, 3);
  object = json_array_get_object_element (array, 0);
  g_assert_cmpstr (json_object_get_string_member (object, "subject"), ==, "Invoice");
  g_assert_cmpstr (json_object_get_string_member (object, "account"), ==, "loc");
  g_assert_cmpstr (json_object_get_string_member (object, "folder"), ==, "INBOX");
  g_assert_cmpstr (json_object_get_string_member (object, "message_id"), ==, "three@example.net");
  g_assert_cmpstr (json_object_get_string_member (object, "date"), ==, "2024-01-02T09:00:00Z");
  g_assert_cmpstr (json_object_get_string_member (object, "from"), ==, "Cy <cy@example.net>");
  g_assert_cmpstr (json_object_get_string_member (object, "to"), ==, "me@example.org");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object, "flags")), ==, 0);
  g_assert_cmpint (json_object_get_int_member (object, "size"), ==, strlen (messages[2]));
  g_assert_cmpint (json_object_get_int_member (object, "attachments"), ==, 0);
  g_assert_true (json_object_has_member (object, "thread"));
  g_assert_cmpstr (subject_of (array, 2), ==, "Caf\xc3\xa9 tonight");
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (array, 1), "thread"), ==,
                   json_object_get_int_member (json_array_get_object_element (array, 2), "thread"));
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (array, 0), "thread"), !=,
                   json_object_get_int_member (json_array_get_object_element (array, 2), "thread"));
  invoice = id_of (array, 0);
  reply = id_of (array, 1);

  /* The unified inbox holds them too. */
  array = run_json (parser, "list", "--json", NULL);
  g_assert_cmpuint (json_array_get_length (array), ==, 3);

  /* show: raw bytes exactly; headers decoded. */
  id_text = g_strdup_printf ("%" G_GINT64_FORMAT, reply);
  status = kurir_test_run_cli (NULL, &out, &err, "show", id_text, "--raw", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpstr (out, ==, messages[1]);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = kurir_test_run_cli (NULL, &out, &err, "show", id_text, "--headers", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "Re: Cafe tonight"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = kurir_test_run_cli (NULL, &out, &err, "show", id_text, "--text", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "Yes, at eight."));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* search --json, newest first. */
  array = run_json (parser, "search", "cafe", "--json", NULL);
  g_assert_cmpuint (json_array_get_length (array), ==, 2);
  g_assert_cmpstr (subject_of (array, 0), ==, "Re: Cafe tonight");
  array = run_json (parser, "search", "from:cy is:unread", "--json", NULL);
  g_assert_cmpuint (json_array_get_length (array), ==, 1);

  /* flag, move, delete. */
  g_clear_pointer (&id_text, g_free);
  id_text = g_strdup_printf ("%" G_GINT64_FORMAT, invoice);
  status = kurir_test_run_cli (NULL, &out, &err, "flag", id_text, "+flagged", NULL);
  g_assert_cmpint (status, ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = kurir_test_run_cli (NULL, &out, &err, "flag", id_text, "+seen", NULL);
  g_assert_cmpint (status, ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = kurir_test_run_cli (NULL, &out, &err, "flag", id_text, "-seen", NULL);
  g_assert_cmpint (status, ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  array = run_json (parser, "search", "is:flagged", "--json", NULL);
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  {
    JsonArray *flags = json_object_get_array_member (json_array_get_object_element (array, 0), "flags");

    g_assert_cmpuint (json_array_get_length (flags), ==, 1);
    g_assert_cmpstr (json_array_get_string_element (flags, 0), ==, "flagged");
  }

  status = kurir_test_run_cli (NULL, &out, &err, "move", id_text, "Bills", NULL);
  g_assert_cmpint (status, ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  array = run_json (parser, "list", "--account", "loc", "--folder", "Bills", "--json", NULL);
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  g_assert_cmpint (id_of (array, 0), ==, invoice);
  array = run_json (parser, "folders", "loc", "--json", NULL);
  g_assert_cmpuint (json_array_get_length (array), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (array, 0), "name"), ==, "INBOX");

  /* export writes mbox. */
  status = kurir_test_run_cli (NULL, &out, &err, "export", "--account", "loc", "--folder", "INBOX",
                               "--mbox", export, NULL);
  g_assert_cmpint (status, ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  {
    g_autofree char *contents = NULL;

    g_assert_true (g_file_get_contents (export, &contents, NULL, NULL));
    g_assert_true (g_str_has_prefix (contents, "From "));
    g_assert_nonnull (strstr (contents, "\n>From the station"));
    g_assert_null (strstr (contents, "Invoice"));
  }

  status = kurir_test_run_cli (NULL, &out, &err, "delete", id_text, NULL);
  g_assert_cmpint (status, ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  array = run_json (parser, "list", "--account", "loc", "--folder", "Bills", "--json", NULL);
  g_assert_cmpuint (json_array_get_length (array), ==, 0);

  /* reindex keeps what there is. */
  status = kurir_test_run_cli (NULL, &out, &err, "reindex", NULL);
  g_assert_cmpint (status, ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  array = run_json (parser, "list", "--account", "loc", "--json", NULL);
  g_assert_cmpuint (json_array_get_length (array), ==, 2);
  g_assert_cmpint (id_of (array, 0), ==, reply);

  /* Failures: non-zero, one line naming the account and the cause. */
  status = kurir_test_run_cli (NULL, &out, &err, "list", "--account", "nosuch", NULL);
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (err, "nosuch"));
  g_assert_cmpuint (strchr (err, '\n') - err, ==, strlen (err) - 1);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = kurir_test_run_cli (NULL, &out, &err, "import", "--account", "nosuch", mbox, NULL);
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (err, "nosuch"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = kurir_test_run_cli (NULL, &out, &err, "show", "999999", NULL);
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (err, "999999"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = kurir_test_run_cli (NULL, &out, &err, "flag", id_text, "+bogus", NULL);
  g_assert_cmpint (status, ==, 2);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = kurir_test_run_cli (NULL, &out, &err, "search", "before:soon", NULL);
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (err, "before"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* Another process writing the account: busy, named. */
  {
    g_autofree char *account = kurir_maildir_encode_name ("loc");
    g_autofree char *lock = g_build_filename (g_get_user_data_dir (), "kurir", "mail", account,
                                              ".kurir-lock", NULL);
    int fd = open (lock, O_RDWR | O_CLOEXEC);

    g_assert_cmpint (fd, >=, 0);
    g_assert_cmpint (flock (fd, LOCK_EX), ==, 0);
    g_clear_pointer (&id_text, g_free);
    id_text = g_strdup_printf ("%" G_GINT64_FORMAT, reply);
    status = kurir_test_run_cli (NULL, &out, &err, "flag", id_text, "+seen", NULL);
    close (fd);
    g_assert_cmpint (status, ==, 1);
    g_assert_nonnull (strstr (err, "loc"));
    g_assert_nonnull (strstr (err, "busy"));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/cli/store/mail", test_cli_mail);

  return g_test_run ();
}
