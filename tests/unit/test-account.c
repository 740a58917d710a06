/* test-account.c: account settings, defaults and the plaintext rule
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "kurir-account.h"
#include "kurir-test-util.h"

/* Helpers */

static char *
account_file (const char *name)
{
  g_autofree char *dir = kurir_account_get_config_dir ();
  g_autofree char *file = g_strconcat (name, ".conf", NULL);

  return g_build_filename (dir, file, NULL);
}

/* Tests */

static void
test_defaults (void)
{
  g_autoptr(KurirAccount) account = kurir_account_new ("work");

  g_assert_cmpuint (kurir_protocol_default_port (KURIR_PROTOCOL_IMAP, KURIR_SECURITY_TLS), ==, 993);
  g_assert_cmpuint (kurir_protocol_default_port (KURIR_PROTOCOL_IMAP, KURIR_SECURITY_STARTTLS), ==, 143);
  g_assert_cmpuint (kurir_protocol_default_port (KURIR_PROTOCOL_IMAP, KURIR_SECURITY_NONE), ==, 143);
  g_assert_cmpuint (kurir_protocol_default_port (KURIR_PROTOCOL_POP3, KURIR_SECURITY_TLS), ==, 995);
  g_assert_cmpuint (kurir_protocol_default_port (KURIR_PROTOCOL_POP3, KURIR_SECURITY_STARTTLS), ==, 110);
  g_assert_cmpuint (kurir_protocol_default_port (KURIR_PROTOCOL_SMTP, KURIR_SECURITY_TLS), ==, 465);
  g_assert_cmpuint (kurir_protocol_default_port (KURIR_PROTOCOL_SMTP, KURIR_SECURITY_STARTTLS), ==, 587);

  /* A new account: IMAP over implicit TLS, user = email. */
  kurir_account_set_email (account, "ana@example.org");
  kurir_account_set_host (account, "imap.example.org");
  g_assert_cmpint (kurir_account_get_protocol (account), ==, KURIR_PROTOCOL_IMAP);
  g_assert_cmpint (kurir_account_get_security (account), ==, KURIR_SECURITY_TLS);
  g_assert_cmpint (kurir_account_get_smtp_security (account), ==, KURIR_SECURITY_TLS);
  g_assert_cmpuint (kurir_account_get_port (account), ==, 993);
  g_assert_cmpuint (kurir_account_get_smtp_port (account), ==, 465);
  g_assert_cmpstr (kurir_account_get_user (account), ==, "ana@example.org");
  g_assert_cmpstr (kurir_account_get_smtp_user (account), ==, "ana@example.org");
  g_assert_true (kurir_account_get_leave_on_server (account));
  g_assert_cmpuint (kurir_account_get_delete_after_days (account), ==, 0);

  /* The default port follows the protocol and the security. */
  kurir_account_set_protocol (account, KURIR_PROTOCOL_POP3);
  g_assert_cmpuint (kurir_account_get_port (account), ==, 995);
  kurir_account_set_security (account, KURIR_SECURITY_STARTTLS);
  g_assert_cmpuint (kurir_account_get_port (account), ==, 110);
  kurir_account_set_smtp_security (account, KURIR_SECURITY_STARTTLS);
  g_assert_cmpuint (kurir_account_get_smtp_port (account), ==, 587);

  /* An explicit port and users win. */
  kurir_account_set_port (account, 1110);
  g_assert_cmpuint (kurir_account_get_port (account), ==, 1110);
  kurir_account_set_user (account, "ana");
  g_assert_cmpstr (kurir_account_get_user (account), ==, "ana");
  g_assert_cmpstr (kurir_account_get_smtp_user (account), ==, "ana");
  kurir_account_set_smtp_user (account, "ana-smtp");
  g_assert_cmpstr (kurir_account_get_smtp_user (account), ==, "ana-smtp");
}

static void
test_round_trip (void)
{
  g_autoptr(KurirAccount) account = kurir_account_new ("Kantor ü");
  g_autoptr(KurirAccount) loaded = NULL;
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = account_file ("Kantor ü");
  g_autofree char *value = NULL;
  GStatBuf st;

  g_object_set (account,
                "email", "budi@example.co.id",
                "protocol", KURIR_PROTOCOL_POP3,
                "host", "pop.example.co.id",
                "port", 1995,
                "security", KURIR_SECURITY_STARTTLS,
                "user", "budi",
                "ca-file", "/etc/ssl/example-ca.pem",
                "smtp-host", "smtp.example.co.id",
                "smtp-port", 2525,
                "smtp-security", KURIR_SECURITY_NONE,
                "smtp-user", "budi-out",
                "allow-plaintext", TRUE,
                "leave-on-server", TRUE,
                "delete-after-days", 14,
                "delete-when-deleted-here", TRUE,
                NULL);
  g_assert_true (kurir_account_save (account, &error));
  g_assert_no_error (error);

  /* Private to the user. */
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  /* A key from a newer version survives a save. */
  g_assert_true (g_key_file_load_from_file (key_file, path, G_KEY_FILE_KEEP_COMMENTS, &error));
  g_key_file_set_string (key_file, "Future", "colour", "teal");
  g_assert_true (g_key_file_save_to_file (key_file, path, &error));

  loaded = kurir_account_load ("Kantor ü", &error);
  g_assert_no_error (error);
  g_assert_nonnull (loaded);
  g_assert_cmpstr (kurir_account_get_name (loaded), ==, "Kantor ü");
  g_assert_cmpstr (kurir_account_get_email (loaded), ==, "budi@example.co.id");
  g_assert_cmpint (kurir_account_get_protocol (loaded), ==, KURIR_PROTOCOL_POP3);
  g_assert_cmpstr (kurir_account_get_host (loaded), ==, "pop.example.co.id");
  g_assert_cmpuint (kurir_account_get_port (loaded), ==, 1995);
  g_assert_cmpint (kurir_account_get_security (loaded), ==, KURIR_SECURITY_STARTTLS);
  g_assert_cmpstr (kurir_account_get_user (loaded), ==, "budi");
  g_assert_cmpstr (kurir_account_get_ca_file (loaded), ==, "/etc/ssl/example-ca.pem");
  g_assert_cmpstr (kurir_account_get_smtp_host (loaded), ==, "smtp.example.co.id");
  g_assert_cmpuint (kurir_account_get_smtp_port (loaded), ==, 2525);
  g_assert_cmpint (kurir_account_get_smtp_security (loaded), ==, KURIR_SECURITY_NONE);
  g_assert_cmpstr (kurir_account_get_smtp_user (loaded), ==, "budi-out");
  g_assert_true (kurir_account_get_allow_plaintext (loaded));
  g_assert_true (kurir_account_get_leave_on_server (loaded));
  g_assert_cmpuint (kurir_account_get_delete_after_days (loaded), ==, 14);
  g_assert_true (kurir_account_get_delete_when_deleted_here (loaded));

  kurir_account_set_delete_after_days (loaded, 0);
  g_assert_true (kurir_account_save (loaded, &error));
  g_assert_true (g_key_file_load_from_file (key_file, path, G_KEY_FILE_NONE, &error));
  value = g_key_file_get_string (key_file, "Future", "colour", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (value, ==, "teal");

  /* Default ports are not written down, so they follow later changes. */
  kurir_account_set_port (loaded, 0);
  g_assert_true (kurir_account_save (loaded, &error));
  g_assert_true (g_key_file_load_from_file (key_file, path, G_KEY_FILE_NONE, &error));
  g_assert_false (g_key_file_has_key (key_file, "Incoming", "port", NULL));

  /* And no key ever holds a password. */
  {
    g_autofree char *contents = NULL;
    g_auto(GStrv) lines = NULL;

    g_assert_true (g_file_get_contents (path, &contents, NULL, &error));
    lines = g_strsplit (contents, "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++)
      if (!g_str_has_prefix (lines[i], "remember-password="))
        g_assert_null (strstr (lines[i], "password"));
  }
}

static void
test_identities (void)
{
  g_autoptr(KurirAccount) account = kurir_account_new ("identities");
  g_autoptr(KurirAccount) loaded = NULL;
  g_autoptr(GPtrArray) identities = NULL;
  g_autoptr(KurirIdentity) found = NULL;
  g_autoptr(GError) error = NULL;
  KurirIdentity *extra;
  char *text;

  g_object_set (account, "email", "siti@example.co.id", "host", "imap.example.co.id",
                "display-name", "Siti Nurhaliza", "reply-to", "siti.reply@example.co.id",
                "signature", "Siti\nKantor Jakarta\ttel. 021", "size-limit-kb", 512,
                "check-interval", 15, "remember-password", FALSE, NULL);
  identities = kurir_account_dup_identities (account);
  g_assert_cmpuint (identities->len, ==, 1);
  extra = kurir_identity_new ("Dr. \"Siti\" N.", "s.nurhaliza@univ.example.ac.id");
  extra->signature = g_strdup ("-- sent from the lab");
  g_ptr_array_add (identities, extra);
  kurir_account_set_identities (account, identities);
  g_assert_true (kurir_account_save (account, &error));
  g_assert_no_error (error);

  loaded = kurir_account_load ("identities", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (kurir_account_get_display_name (loaded), ==, "Siti Nurhaliza");
  g_assert_cmpstr (kurir_account_get_reply_to (loaded), ==, "siti.reply@example.co.id");
  g_assert_cmpstr (kurir_account_get_signature (loaded), ==, "Siti\nKantor Jakarta\ttel. 021");
  g_assert_cmpuint (kurir_account_get_size_limit_kb (loaded), ==, 512);
  g_assert_cmpuint (kurir_account_get_check_interval (loaded), ==, 15);
  g_assert_false (kurir_account_get_remember_password (loaded));

  g_clear_pointer (&identities, g_ptr_array_unref);
  identities = kurir_account_dup_identities (loaded);
  g_assert_cmpuint (identities->len, ==, 2);
  g_assert_cmpstr (((KurirIdentity *) identities->pdata[0])->address, ==, "siti@example.co.id");
  g_assert_cmpstr (((KurirIdentity *) identities->pdata[1])->name, ==, "Dr. \"Siti\" N.");
  g_assert_cmpstr (((KurirIdentity *) identities->pdata[1])->signature, ==, "-- sent from the lab");

  found = kurir_account_find_identity (loaded, "S.Nurhaliza@UNIV.example.ac.id");
  g_assert_nonnull (found);
  text = kurir_identity_to_string (found);
  g_assert_cmpstr (text, ==, "\"Dr. \\\"Siti\\\" N.\" <s.nurhaliza@univ.example.ac.id>");
  g_free (text);
  g_assert_null (kurir_account_find_identity (loaded, "nobody@example.org"));
  g_clear_pointer (&found, kurir_identity_free);
  found = kurir_account_find_identity (loaded, "siti@example.co.id");
  text = kurir_identity_to_string (found);
  g_assert_cmpstr (text, ==, "Siti Nurhaliza <siti@example.co.id>");
  g_free (text);

  /* A name or reply-to that would inject a header is refused. */
  kurir_account_set_display_name (loaded, "Siti\r\nBcc: victim@example.org");
  g_assert_false (kurir_account_save (loaded, &error));
  g_assert_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID);
  g_clear_error (&error);
  kurir_account_set_display_name (loaded, "Siti");
  kurir_account_set_reply_to (loaded, "a@example.org, b@example.org");
  g_assert_false (kurir_account_check (loaded, &error));
  g_assert_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID);
  g_clear_error (&error);
  kurir_account_set_reply_to (loaded, NULL);
  g_assert_true (kurir_account_check (loaded, &error));
}

static void
test_cli_identities (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *signature = g_build_filename (g_get_tmp_dir (), "signature.txt", NULL);
  int status;

  g_assert_true (g_file_set_contents (signature, "Budi\nPT Contoh\n\n", -1, NULL));
  status = kurir_test_run_cli (NULL, &out, &err, "account", "add", "ident", "--email", "budi@example.org", "--protocol", "imap",
                               "--host", "imap.example.org", "--display-name", "Budi Santoso",
                               "--signature-file", signature, "--identity", "Budi di Kantor <budi@kerja.example>",
                               "--size-limit", "2048", "--remember-password", "no", NULL);
  g_assert_cmpint (status, ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = kurir_test_run_cli (NULL, &out, &err, "account", "list", "--json", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "\"Budi Santoso\""));
  g_assert_nonnull (strstr (out, "\"budi@kerja.example\""));
  g_assert_nonnull (strstr (out, "\"Budi di Kantor\""));
  g_assert_nonnull (strstr (out, "\"Budi\\nPT Contoh\""));
  g_assert_nonnull (strstr (out, "\"size_limit_kb\" : 2048"));
  g_assert_nonnull (strstr (out, "\"remember_password\" : false"));

  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = kurir_test_run_cli (NULL, &out, &err, "account", "set", "ident", "--identity", "not an address", NULL);
  g_assert_cmpint (status, !=, 0);
  g_assert_nonnull (strstr (err, "--identity"));

  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = kurir_test_run_cli (NULL, &out, &err, "account", "set", "ident", "--identity", "", NULL);
  g_assert_cmpint (status, ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = kurir_test_run_cli (NULL, &out, &err, "account", "list", "--json", NULL);
  g_assert_null (strstr (out, "budi@kerja.example"));
}

static void
test_load_all (void)
{
  g_autoptr(GPtrArray) accounts = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = kurir_account_get_config_dir ();
  g_autofree char *damaged = account_file ("damaged");
  const char *names[] = { "zeta", "alpha", "mid" };

  accounts = kurir_account_load_all (&error);
  g_assert_no_error (error);
  g_assert_cmpuint (accounts->len, ==, 0);
  g_clear_pointer (&accounts, g_ptr_array_unref);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(KurirAccount) account = kurir_account_new (names[i]);
      g_autofree char *email = g_strdup_printf ("%s@example.org", names[i]);

      g_object_set (account, "email", email, "host", "mail.example.org", NULL);
      g_assert_true (kurir_account_save (account, &error));
    }
  g_assert_true (g_file_set_contents (damaged, "[Account]\nprotocol=carrier-pigeon\n", -1, &error));

  g_test_expect_message ("kurir-account", G_LOG_LEVEL_WARNING, "*damaged*carrier-pigeon*");
  accounts = kurir_account_load_all (&error);
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_assert_cmpuint (accounts->len, ==, 3);
  g_assert_cmpstr (kurir_account_get_name (g_ptr_array_index (accounts, 0)), ==, "alpha");
  g_assert_cmpstr (kurir_account_get_name (g_ptr_array_index (accounts, 1)), ==, "mid");
  g_assert_cmpstr (kurir_account_get_name (g_ptr_array_index (accounts, 2)), ==, "zeta");

  g_assert_null (kurir_account_load ("nobody", &error));
  g_assert_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_NOT_FOUND);
}

static void
test_names (void)
{
  const char *bad[] = { "", ".hidden", "../escape", "a/b", "a\\b", "tab\there", "..",
                        "12345678901234567890123456789012345678901234567890123456789012345" };
  const char *good[] = { "work", "Kantor ü", "me@example.org", "a.b-c_d" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_assert_false (kurir_account_name_is_valid (bad[i], &error));
      g_assert_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID);
    }
  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    g_assert_true (kurir_account_name_is_valid (good[i], NULL));
}

static void
test_plaintext_refused (void)
{
  g_autoptr(KurirAccount) account = kurir_account_new ("plain");
  g_autoptr(GError) error = NULL;

  g_object_set (account, "email", "x@example.org", "host", "mail.example.org",
                "security", KURIR_SECURITY_NONE, NULL);
  g_assert_false (kurir_account_check (account, &error));
  g_assert_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_PLAINTEXT_REFUSED);
  g_clear_error (&error);
  g_assert_false (kurir_account_save (account, &error));
  g_assert_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_PLAINTEXT_REFUSED);
  g_clear_error (&error);
  g_assert_false (kurir_account_exists ("plain"));

  /* The outgoing server is held to the same rule. */
  g_object_set (account, "security", KURIR_SECURITY_TLS, "smtp-host", "smtp.example.org",
                "smtp-security", KURIR_SECURITY_NONE, NULL);
  g_assert_false (kurir_account_check (account, &error));
  g_assert_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_PLAINTEXT_REFUSED);
  g_clear_error (&error);

  kurir_account_set_allow_plaintext (account, TRUE);
  g_assert_true (kurir_account_check (account, &error));
  g_assert_no_error (error);
}

static void
test_cli_plaintext_refused (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status;

  status = kurir_test_run_cli (NULL, &out, &err, "account", "add", "plain", "--email", "p@example.org",
                    "--protocol", "imap", "--host", "mail.example.org",
                    "--security", "none", NULL);
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (err, "--allow-plaintext"));
  g_assert_nonnull (strstr (err, "plain"));
  /* One line on stderr. */
  g_assert_true (g_str_has_suffix (err, "\n") && strchr (err, '\n') == err + strlen (err) - 1);
  g_assert_false (kurir_account_exists ("plain"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  status = kurir_test_run_cli (NULL, &out, &err, "account", "add", "plain", "--email", "p@example.org",
                    "--protocol", "pop3", "--host", "mail.example.org",
                    "--smtp-host", "smtp.example.org", "--smtp-security", "none", NULL);
  g_assert_cmpint (status, ==, 1);
  g_assert_false (kurir_account_exists ("plain"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  status = kurir_test_run_cli (NULL, &out, &err, "account", "add", "plain", "--email", "p@example.org",
                    "--protocol", "imap", "--host", "mail.example.org",
                    "--security", "none", "--allow-plaintext", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (kurir_account_exists ("plain"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* Back to TLS: the permission is not kept once nothing needs it. */
  status = kurir_test_run_cli (NULL, &out, &err, "account", "set", "plain", "--security", "tls", NULL);
  g_assert_cmpint (status, ==, 0);
  {
    g_autoptr(KurirAccount) account = kurir_account_load ("plain", NULL);
    g_assert_false (kurir_account_get_allow_plaintext (account));
    g_assert_cmpuint (kurir_account_get_port (account), ==, 993);
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* Choosing none again needs the flag again. */
  status = kurir_test_run_cli (NULL, &out, &err, "account", "set", "plain", "--security", "none", NULL);
  g_assert_cmpint (status, ==, 1);
  {
    g_autoptr(KurirAccount) account = kurir_account_load ("plain", NULL);
    g_assert_cmpint (kurir_account_get_security (account), ==, KURIR_SECURITY_TLS);
  }
}

static void
test_cli_add_list_set (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  JsonArray *array;
  JsonObject *object;
  int status;

  status = kurir_test_run_cli (NULL, &out, &err, "account", "add", "home", "--email", "siti@example.net",
                    "--protocol", "imap", "--host", "imap.example.net",
                    "--smtp-host", "smtp.example.net", "--smtp-security", "starttls", NULL);
  g_assert_cmpint (status, ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* The name is taken now. */
  status = kurir_test_run_cli (NULL, &out, &err, "account", "add", "home", "--email", "x@example.net",
                    "--protocol", "pop3", "--host", "pop.example.net", NULL);
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (err, "home"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  status = kurir_test_run_cli (NULL, &out, &err, "account", "list", "--json", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  array = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  object = json_array_get_object_element (array, 0);
  g_assert_cmpstr (json_object_get_string_member (object, "name"), ==, "home");
  g_assert_cmpstr (json_object_get_string_member (object, "protocol"), ==, "imap");
  g_assert_cmpint (json_object_get_int_member (object, "port"), ==, 993);
  g_assert_cmpstr (json_object_get_string_member (object, "security"), ==, "tls");
  g_assert_cmpstr (json_object_get_string_member (object, "user"), ==, "siti@example.net");
  object = json_object_get_object_member (object, "smtp");
  g_assert_cmpint (json_object_get_int_member (object, "port"), ==, 587);
  g_assert_cmpstr (json_object_get_string_member (object, "security"), ==, "starttls");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* The POP3 policy (switching protocols moves the password, so that is
   * tested with the keyring, in the integration suite). */
  status = kurir_test_run_cli (NULL, &out, &err, "account", "set", "home", "--delete-after-days", "30",
                    "--smtp-port", "2587", "--delete-when-deleted-here", "yes", NULL);
  g_assert_cmpint (status, ==, 0);
  {
    g_autoptr(KurirAccount) account = kurir_account_load ("home", &error);
    g_assert_no_error (error);
    g_assert_cmpint (kurir_account_get_protocol (account), ==, KURIR_PROTOCOL_IMAP);
    g_assert_cmpuint (kurir_account_get_port (account), ==, 993);
    g_assert_true (kurir_account_get_leave_on_server (account));
    g_assert_cmpuint (kurir_account_get_delete_after_days (account), ==, 30);
    g_assert_cmpuint (kurir_account_get_smtp_port (account), ==, 2587);
    g_assert_true (kurir_account_get_delete_when_deleted_here (account));
    g_assert_cmpstr (kurir_account_get_smtp_host (account), ==, "smtp.example.net");
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  status = kurir_test_run_cli (NULL, &out, &err, "account", "set", "home", "--delete-from-server", NULL);
  g_assert_cmpint (status, ==, 0);
  {
    g_autoptr(KurirAccount) account = kurir_account_load ("home", &error);
    g_assert_false (kurir_account_get_leave_on_server (account));
    g_assert_cmpuint (kurir_account_get_delete_after_days (account), ==, 0);
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* IMAP: which bodies are kept offline (auto by default). */
  {
    g_autoptr(KurirAccount) account = kurir_account_load ("home", &error);
    g_assert_cmpint (kurir_account_get_keep_offline (account), ==, KURIR_KEEP_OFFLINE_AUTO);
  }
  status = kurir_test_run_cli (NULL, &out, &err, "account", "set", "home", "--keep-offline", "none", NULL);
  g_assert_cmpint (status, ==, 0);
  {
    g_autoptr(KurirAccount) account = kurir_account_load ("home", &error);
    g_assert_no_error (error);
    g_assert_cmpint (kurir_account_get_keep_offline (account), ==, KURIR_KEEP_OFFLINE_NONE);
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = kurir_test_run_cli (NULL, &out, &err, "account", "set", "home", "--keep-offline", "some", NULL);
  g_assert_cmpint (status, ==, 1);
  {
    g_autoptr(KurirAccount) account = kurir_account_load ("home", &error);
    g_assert_cmpint (kurir_account_get_keep_offline (account), ==, KURIR_KEEP_OFFLINE_NONE);
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = kurir_test_run_cli (NULL, &out, &err, "account", "set", "home", "--keep-offline", "all", NULL);
  g_assert_cmpint (status, ==, 0);
  {
    g_autoptr(KurirAccount) account = kurir_account_load ("home", &error);
    g_assert_cmpint (kurir_account_get_keep_offline (account), ==, KURIR_KEEP_OFFLINE_ALL);
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* Contradictions and nonsense are refused and change nothing. */
  status = kurir_test_run_cli (NULL, &out, &err, "account", "set", "home", "--leave-on-server",
                    "--delete-from-server", NULL);
  g_assert_cmpint (status, ==, 1);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = kurir_test_run_cli (NULL, &out, &err, "account", "set", "home", "--port", "70000", NULL);
  g_assert_cmpint (status, ==, 1);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = kurir_test_run_cli (NULL, &out, &err, "account", "set", "home", "--ca-file", "/nonexistent.pem", NULL);
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (err, "nonexistent.pem"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = kurir_test_run_cli (NULL, &out, &err, "account", "set", "nobody", "--port", "1", NULL);
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (err, "nobody"));
  {
    g_autoptr(KurirAccount) account = kurir_account_load ("home", &error);
    g_assert_false (kurir_account_get_leave_on_server (account));
    g_assert_cmpuint (kurir_account_get_port (account), ==, 993);
    g_assert_null (kurir_account_get_ca_file (account));
  }
}

static void
test_cli_version_and_unknown (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status;

  status = kurir_test_run_cli (NULL, &out, &err, "--version", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpstr (out, ==, "kurir-cli " PACKAGE_VERSION "\n");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  status = kurir_test_run_cli (NULL, &out, &err, "frobnicate", NULL);
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (err, "frobnicate"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* A command on an account that does not exist names it, in one line. */
  status = kurir_test_run_cli (NULL, &out, &err, "sync", "nowhere", NULL);
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (err, "nowhere"));
  g_assert_true (strchr (err, '\n') == err + strlen (err) - 1);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/account/defaults", test_defaults);
  g_test_add_func ("/account/round-trip", test_round_trip);
  g_test_add_func ("/account/load-all", test_load_all);
  g_test_add_func ("/account/names", test_names);
  g_test_add_func ("/account/identities", test_identities);
  g_test_add_func ("/cli/identities", test_cli_identities);
  g_test_add_func ("/account/plaintext-refused", test_plaintext_refused);
  g_test_add_func ("/cli/plaintext-refused", test_cli_plaintext_refused);
  g_test_add_func ("/cli/add-list-set", test_cli_add_list_set);
  g_test_add_func ("/cli/version-and-unknown", test_cli_version_and_unknown);

  return g_test_run ();
}
