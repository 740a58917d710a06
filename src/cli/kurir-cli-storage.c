/* kurir-cli-storage.c: `kurir-cli storage NAME`: how much the account's
 * server holds and allows, and how much this computer holds for it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-cli"

#include "config.h"

#include <inttypes.h>

#include <string.h>

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "kurir-account-usage.h"
#include "kurir-cli.h"
#include "kurir-secret.h"
#include "kurir-store.h"

/* Helpers */

static void
add_int (JsonBuilder *builder,
         const char  *name,
         gint64       value)
{
  json_builder_set_member_name (builder, name);
  if (value < 0)
    json_builder_add_null_value (builder);
  else
    json_builder_add_int_value (builder, value);
}

static const char *
source_name (KurirUsageSource source)
{
  switch (source)
    {
    case KURIR_USAGE_SOURCE_IMAP_QUOTA: return "imap-quota";
    case KURIR_USAGE_SOURCE_POP3_STAT: return "pop3-stat";
    case KURIR_USAGE_SOURCE_NONE:
    default: return "none";
    }
}

static void
print_json (KurirAccount           *account,
            const KurirServerUsage *server,
            const GError           *server_error,
            const KurirLocalUsage  *local,
            const char             *hint)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "account");
  json_builder_add_string_value (builder, kurir_account_get_name (account));
  json_builder_set_member_name (builder, "server");
  if (server != NULL)
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "source");
      json_builder_add_string_value (builder, source_name (server->source));
      json_builder_set_member_name (builder, "quota_root");
      if (server->quota_root != NULL)
        json_builder_add_string_value (builder, server->quota_root);
      else
        json_builder_add_null_value (builder);
      add_int (builder, "used_bytes", server->used_bytes);
      add_int (builder, "limit_bytes", server->limit_bytes);
      add_int (builder, "messages", server->messages);
      add_int (builder, "messages_limit", server->messages_limit);
      json_builder_end_object (builder);
    }
  else
    json_builder_add_null_value (builder);
  if (server_error != NULL)
    {
      json_builder_set_member_name (builder, "server_error");
      json_builder_add_string_value (builder, server_error->message);
    }
  json_builder_set_member_name (builder, "local");
  json_builder_begin_object (builder);
  add_int (builder, "bytes", (gint64) MIN (local->bytes, (guint64) G_MAXINT64));
  add_int (builder, "messages", (gint64) MIN (local->messages, (guint64) G_MAXINT64));
  add_int (builder, "disk_free_bytes", local->disk_free_bytes);
  add_int (builder, "disk_size_bytes", local->disk_size_bytes);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "hint");
  if (hint != NULL)
    json_builder_add_string_value (builder, hint);
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
}

static void
print_text (KurirAccount           *account,
            const KurirServerUsage *server,
            const GError           *server_error,
            const KurirLocalUsage  *local,
            const char             *hint)
{
  g_autofree char *local_size = g_format_size_full (local->bytes, G_FORMAT_SIZE_IEC_UNITS);

  if (server_error != NULL)
    /* Translators: the server could not be asked; the reason follows */
    g_print (_("Server: not known (%s)\n"), server_error->message);
  else if (server == NULL)
    ;
  else if (server->used_bytes >= 0)
    {
      g_autofree char *used = g_format_size_full ((guint64) server->used_bytes, G_FORMAT_SIZE_IEC_UNITS);

      if (server->limit_bytes >= 0)
        {
          g_autofree char *limit = g_format_size_full ((guint64) server->limit_bytes, G_FORMAT_SIZE_IEC_UNITS);
          int percent = server->limit_bytes > 0 ?
                        (int) (100.0 * (double) server->used_bytes / (double) server->limit_bytes) : 100;

          /* Translators: used of limit, then a percentage */
          g_print (_("Server: %s of %s used (%d%%)\n"), used, limit, percent);
        }
      else
        /* Translators: how much the server holds; it reports no limit */
        g_print (_("Server: %s held, no limit reported\n"), used);
    }
  else
    g_print (_("Server: does not report how much it holds\n"));

  if (server != NULL && server->messages >= 0)
    {
      if (server->messages_limit >= 0)
        g_print (_("Messages on the server: %" PRId64 " of at most %" PRId64 "\n"),
                 server->messages, server->messages_limit);
      else
        g_print (_("Messages on the server: %" PRId64 "\n"), server->messages);
    }

  g_print (g_dngettext (GETTEXT_PACKAGE, "This computer: %s in %" PRIu64 " message\n",
                        "This computer: %s in %" PRIu64 " messages\n", local->messages),
           local_size, local->messages);
  if (local->disk_free_bytes >= 0)
    {
      g_autofree char *free_size = g_format_size_full ((guint64) local->disk_free_bytes, G_FORMAT_SIZE_IEC_UNITS);

      g_print (_("Free on this computer’s disk: %s\n"), free_size);
    }
  if (hint != NULL)
    g_print ("%s\n", hint);
}

/* Public API */

int
kurir_cli_storage (int    argc,
                   char **argv)
{
  gboolean json = FALSE;
  gboolean local_only = FALSE;
  gboolean password_stdin = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { "local", 0, 0, G_OPTION_ARG_NONE, &local_only, N_("Do not ask the server, only count what this computer holds"), NULL },
    { "password-stdin", 0, 0, G_OPTION_ARG_NONE, &password_stdin, N_("Read the password from standard input instead of the keyring"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (_("NAME"));
  g_autoptr(KurirAccount) account = NULL;
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(KurirServerUsage) server = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) server_error = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *hint = NULL;
  KurirLocalUsage local = { 0 };
  const char *name;

  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context, _("Show how much mail the account's server holds and allows "
                                           "(IMAP QUOTA or POP3 totals), and how much this computer holds."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!kurir_cli_parse_options (context, "storage", &argc, &argv, &error))
    return kurir_cli_usage_error ("%s", error->message);
  if (argc != 2)
    return kurir_cli_usage_error (_("storage takes one account NAME"));
  name = argv[1];

  account = kurir_account_load (name, &error);
  if (account == NULL)
    return kurir_cli_fail (name, error);
  store = kurir_store_open (NULL, &error);
  if (store == NULL)
    return kurir_cli_fail (name, error);

  if (!local_only && kurir_account_get_protocol (account) != KURIR_PROTOCOL_LOCAL)
    {
      char *password = NULL;

      if (password_stdin)
        password = kurir_cli_read_password (&server_error);
      else
        {
          kurir_secret_lookup_async (name, kurir_account_get_protocol (account), NULL,
                                     kurir_cli_store_result, &result);
          password = kurir_secret_lookup_finish (kurir_cli_wait (&result), &server_error);
          g_clear_object (&result);
          if (password == NULL && server_error == NULL)
            server_error = g_error_new (KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_KEYRING,
                                        _("No password is stored in the keyring: use --password-stdin"));
        }
      if (password != NULL)
        {
          kurir_account_server_usage_async (account, password, NULL, kurir_cli_store_result, &result);
          if (password_stdin)
            {
              memset (password, 0, strlen (password));
              g_free (password);
            }
          else
            kurir_secret_free (password);
          server = kurir_account_server_usage_finish (kurir_cli_wait (&result), &server_error);
          g_clear_object (&result);
        }
    }

  kurir_account_local_usage_async (store, name, NULL, kurir_cli_store_result, &result);
  if (!kurir_account_local_usage_finish (kurir_cli_wait (&result), &local, &error))
    return kurir_cli_fail (name, error);

  hint = kurir_account_usage_hint (account, server, &local);
  if (json)
    print_json (account, server, server_error, &local, hint);
  else
    print_text (account, server, server_error, &local, hint);
  /* What this computer holds was shown; a server that could not be asked
   * is still a failure for a script. */
  return server_error != NULL ? KURIR_CLI_EXIT_FAILED : KURIR_CLI_EXIT_OK;
}
