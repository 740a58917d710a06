/* test-keyring-bound.c: a keyring that is missing or never answers gives a
 * clear KURIR_ACCOUNT_ERROR_KEYRING within the bound, not a hang
 *
 * Runs on a private D-Bus bus of its own (GTestDBus), not on the test
 * servers' bus where gnome-keyring answers.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "kurir-account.h"
#include "kurir-secret.h"
#include "kurir-test-util.h"

#define SECRETS_NAME "org.freedesktop.secrets"

/* Helpers */

/* Looks the password up and returns how long the answer took, in ms. */
static gint64
lookup_expecting_keyring_error (void)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  char *password;

  kurir_secret_lookup_async ("bound-test", KURIR_PROTOCOL_IMAP, NULL,
                             kurir_test_store_result, &result);
  password = kurir_secret_lookup_finish (kurir_test_wait (&result), &error);
  g_assert_null (password);
  g_assert_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_KEYRING);
  g_test_message ("%s", error->message);
  return (g_get_monotonic_time () - start) / 1000;
}

/* Drops every call to the name it owns: a service that never answers. */
static GDBusMessage *
drop_calls_filter (GDBusConnection *connection,
                   GDBusMessage    *message,
                   gboolean         incoming,
                   gpointer         user_data)
{
  if (incoming && g_dbus_message_get_message_type (message) == G_DBUS_MESSAGE_TYPE_METHOD_CALL)
    {
      g_object_unref (message);
      return NULL;
    }
  return message;
}

/* Tests */

static void
test_no_keyring (void)
{
  gint64 ms;

  /* Nothing owns the name and nothing can be started for it. */
  ms = lookup_expecting_keyring_error ();
  g_assert_cmpint (ms, <, 10000);
}

static void
test_keyring_never_answers (void)
{
  g_autoptr(GDBusConnection) owner = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  guint32 answer;
  gint64 ms;

  owner = g_dbus_connection_new_for_address_sync (g_getenv ("DBUS_SESSION_BUS_ADDRESS"),
                                                  G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                  G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                  NULL, NULL, &error);
  g_assert_no_error (error);
  reply = g_dbus_connection_call_sync (owner, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "RequestName",
                                       g_variant_new ("(su)", SECRETS_NAME, 0x4 /* do not queue */),
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1,
                                       NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(u)", &answer);
  g_assert_cmpuint (answer, ==, 1);   /* the primary owner */
  g_dbus_connection_add_filter (owner, drop_calls_filter, NULL, NULL);

  /* D-Bus itself would wait 25 s; the bound, shortened for the test, wins. */
  kurir_secret_set_timeout (500);
  ms = lookup_expecting_keyring_error ();
  kurir_secret_set_timeout (0);
  g_assert_cmpint (ms, >=, 450);
  g_assert_cmpint (ms, <, 5000);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GTestDBus) bus = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (bus);

  g_test_add_func ("/keyring-bound/no-keyring", test_no_keyring);
  g_test_add_func ("/keyring-bound/never-answers", test_keyring_never_answers);
  status = g_test_run ();
  g_test_dbus_down (bus);
  return status;
}
