/* test-keyring.c: passwords reach gnome-keyring through kurir-cli, follow
 * the account, leave with it, and are never written anywhere else
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "kurir-account.h"
#include "kurir-secret.h"
#include "kurir-test-util.h"

typedef struct
{
  char *name;       /* unique per run: the keyring outlives one test */
  char *password;
} Fixture;

/* Helpers */

static char *
lookup (const char    *name,
        KurirProtocol  protocol)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  char *password;

  kurir_secret_lookup_async (name, protocol, NULL, kurir_test_store_result, &result);
  password = kurir_secret_lookup_finish (kurir_test_wait (&result), &error);
  g_assert_no_error (error);
  return password;
}

static char *
secret_tool_lookup (const char *name,
                    const char *protocol)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  char *out = NULL;

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                              &error, "secret-tool", "lookup", "account", name,
                              "protocol", protocol, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  return out;
}

static void
assert_nowhere_on_disk (const char *password)
{
  const char *dirs[] = {
    g_get_user_config_dir (), g_get_user_data_dir (), g_get_user_cache_dir (),
    g_get_user_state_dir (),
  };

  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *path = NULL;

      if (kurir_test_tree_contains (dirs[i], password, &path))
        g_error ("The password was written to %s", path);
    }
}

static void
store (const char *name,
       const char *password,
       gboolean    remember)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  kurir_secret_store_async (name, KURIR_PROTOCOL_IMAP, "127.0.0.1", "alice", password,
                            remember, NULL, kurir_test_store_result, &result);
  kurir_secret_store_finish (kurir_test_wait (&result), &error);
  g_assert_no_error (error);
}

/* The D-Bus object path of the collection that holds the account's item. */
static char *
collection_of (const char *name)
{
  g_autoptr(GHashTable) attributes = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GError) error = NULL;
  GList *items;
  const char *path;
  char *collection;

  g_hash_table_insert (attributes, "account", (gpointer) name);
  items = secret_service_search_sync (NULL, kurir_secret_get_schema (), attributes,
                                      SECRET_SEARCH_ALL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_length (items), ==, 1);
  path = g_dbus_proxy_get_object_path (G_DBUS_PROXY (items->data));
  g_assert_nonnull (strrchr (path, '/'));
  collection = g_strndup (path, strrchr (path, '/') - path);
  g_list_free_full (items, g_object_unref);
  return collection;
}

static void
add_account (Fixture *fixture)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *input = g_strconcat (fixture->password, "\n", NULL);
  int status;

  status = kurir_test_run_cli (input, &out, &err,
                               "account", "add", fixture->name,
                               "--email", "alice@localhost",
                               "--user", "alice",
                               "--protocol", "imap",
                               "--host", kurir_test_getenv ("KURIR_TEST_HOST"),
                               "--port", kurir_test_getenv ("KURIR_TEST_IMAPS_PORT"),
                               "--ca-file", kurir_test_getenv ("KURIR_TEST_CA"),
                               "--password-stdin", NULL);
  if (status != 0)
    g_error ("kurir-cli account add failed: %s", err);
  g_assert_null (strstr (out, fixture->password));
  g_assert_null (strstr (err, fixture->password));
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *random = g_uuid_string_random ();

  fixture->name = g_strdup_printf ("keyring-test-%.8s", random);
  fixture->password = g_strdup_printf ("pw-%s-ü", random);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;

  /* Leave the shared keyring as it was found. */
  kurir_secret_clear_async (fixture->name, KURIR_SECRET_ALL_PROTOCOLS, NULL,
                            kurir_test_store_result, &result);
  kurir_secret_clear_finish (kurir_test_wait (&result), NULL);
  g_free (fixture->name);
  g_free (fixture->password);
}

/* Tests */

static void
test_add_stores_in_keyring_only (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autofree char *stored = NULL;
  g_autofree char *from_tool = NULL;
  g_autoptr(KurirAccount) account = NULL;
  g_autoptr(GError) error = NULL;

  add_account (fixture);

  stored = lookup (fixture->name, KURIR_PROTOCOL_IMAP);
  g_assert_cmpstr (stored, ==, fixture->password);

  /* Another libsecret client sees the same item, by its attributes. */
  from_tool = secret_tool_lookup (fixture->name, "imap");
  g_assert_cmpstr (from_tool, ==, fixture->password);

  account = kurir_account_load (fixture->name, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (kurir_account_get_user (account), ==, "alice");
  g_assert_cmpstr (kurir_account_get_ca_file (account), ==, kurir_test_getenv ("KURIR_TEST_CA"));

  assert_nowhere_on_disk (fixture->password);
}

static void
test_password_follows_protocol_switch (Fixture       *fixture,
                                       gconstpointer  data)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *pop3 = NULL;
  g_autofree char *imap = NULL;
  g_autoptr(KurirAccount) account = NULL;
  int status;

  add_account (fixture);

  status = kurir_test_run_cli (NULL, &out, &err, "account", "set", fixture->name,
                               "--protocol", "pop3",
                               "--port", kurir_test_getenv ("KURIR_TEST_POP3S_PORT"), NULL);
  g_assert_cmpint (status, ==, 0);

  account = kurir_account_load (fixture->name, NULL);
  g_assert_cmpint (kurir_account_get_protocol (account), ==, KURIR_PROTOCOL_POP3);
  pop3 = lookup (fixture->name, KURIR_PROTOCOL_POP3);
  imap = lookup (fixture->name, KURIR_PROTOCOL_IMAP);
  g_assert_cmpstr (pop3, ==, fixture->password);
  g_assert_null (imap);
  assert_nowhere_on_disk (fixture->password);
}

static void
test_set_new_password (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *stored = NULL;
  g_autofree char *new_password = g_strconcat (fixture->password, "-new", NULL);
  g_autofree char *input = g_strconcat (new_password, "\r\n", NULL);
  int status;

  add_account (fixture);

  status = kurir_test_run_cli (input, &out, &err, "account", "set", fixture->name,
                               "--password-stdin", NULL);
  g_assert_cmpint (status, ==, 0);
  stored = lookup (fixture->name, KURIR_PROTOCOL_IMAP);
  g_assert_cmpstr (stored, ==, new_password);
  assert_nowhere_on_disk (new_password);

  /* An empty line is no password: refused, the old one stays. */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_clear_pointer (&stored, g_free);
  status = kurir_test_run_cli ("\n", &out, &err, "account", "set", fixture->name,
                               "--password-stdin", NULL);
  g_assert_cmpint (status, ==, 1);
  stored = lookup (fixture->name, KURIR_PROTOCOL_IMAP);
  g_assert_cmpstr (stored, ==, new_password);
}

static void
test_remove_deletes_secrets (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *stored = NULL;
  int status;

  add_account (fixture);
  g_assert_true (kurir_account_exists (fixture->name));

  status = kurir_test_run_cli (NULL, &out, &err, "account", "remove", fixture->name, NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_false (kurir_account_exists (fixture->name));
  stored = lookup (fixture->name, KURIR_PROTOCOL_IMAP);
  g_assert_null (stored);

  /* Removing it again names the account and fails. */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = kurir_test_run_cli (NULL, &out, &err, "account", "remove", fixture->name, NULL);
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (err, fixture->name));
}

/* Not remembered: the session collection, which the keyring forgets at
 * logout; remembered: the default one, which it keeps. */
static void
test_remember_chooses_collection (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_autofree char *session = NULL;
  g_autofree char *kept = NULL;
  g_autofree char *stored = NULL;

  store (fixture->name, fixture->password, FALSE);
  session = collection_of (fixture->name);
  g_assert_cmpstr (session, ==, "/org/freedesktop/secrets/collection/session");
  stored = lookup (fixture->name, KURIR_PROTOCOL_IMAP);
  g_assert_cmpstr (stored, ==, fixture->password);

  /* Stored again, remembered: it moves, and only one item is left. */
  store (fixture->name, fixture->password, TRUE);
  kept = collection_of (fixture->name);
  g_assert_cmpstr (kept, !=, "/org/freedesktop/secrets/collection/session");
  assert_nowhere_on_disk (fixture->password);
}

/* kurir-cli account set --remember-password moves the stored password
 * between the collections without asking for it again. */
static void
test_cli_remember_moves_password (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *stored = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status;

  add_account (fixture);
  before = collection_of (fixture->name);
  g_assert_cmpstr (before, !=, "/org/freedesktop/secrets/collection/session");

  status = kurir_test_run_cli (NULL, &out, &err, "account", "set", fixture->name,
                               "--remember-password", "no", NULL);
  if (status != 0)
    g_error ("kurir-cli account set failed: %s", err);
  after = collection_of (fixture->name);
  g_assert_cmpstr (after, ==, "/org/freedesktop/secrets/collection/session");
  stored = lookup (fixture->name, KURIR_PROTOCOL_IMAP);
  g_assert_cmpstr (stored, ==, fixture->password);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  kurir_test_require_servers ();

  g_test_add ("/keyring/add-stores-in-keyring-only", Fixture, NULL,
              fixture_set_up, test_add_stores_in_keyring_only, fixture_tear_down);
  g_test_add ("/keyring/password-follows-protocol-switch", Fixture, NULL,
              fixture_set_up, test_password_follows_protocol_switch, fixture_tear_down);
  g_test_add ("/keyring/set-new-password", Fixture, NULL,
              fixture_set_up, test_set_new_password, fixture_tear_down);
  g_test_add ("/keyring/remember-chooses-collection", Fixture, NULL,
              fixture_set_up, test_remember_chooses_collection, fixture_tear_down);
  g_test_add ("/keyring/cli-remember-moves-password", Fixture, NULL,
              fixture_set_up, test_cli_remember_moves_password, fixture_tear_down);
  g_test_add ("/keyring/remove-deletes-secrets", Fixture, NULL,
              fixture_set_up, test_remove_deletes_secrets, fixture_tear_down);

  return g_test_run ();
}
