/* kurir-cli-send.c: kurir-cli send --account NAME FILE
 *
 * Queues a prepared RFC 5322 message in the account's Outbox (durably),
 * then sends it: recipients from To, Cc and Bcc; the Bcc field is removed
 * from the copy that is sent and stored. One line of output either way.
 *
 * The From address must be one of the account's identities (its own
 * address or one added with `kurir-cli account set NAME --identity`); any
 * other is refused before anything is queued. There is deliberately no
 * switch to send as anyone: the submission server would either refuse or
 * rewrite it, or let the account impersonate others.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-cli"

#include "config.h"

#include <gio/gunixinputstream.h>
#include <glib/gi18n.h>
#include <string.h>
#include <unistd.h>

#include "kurir-cli.h"
#include "kurir-message-builder.h"
#include "kurir-message-info.h"
#include "kurir-outbox.h"
#include "kurir-store.h"

/* A message larger than this is refused before it is queued. */
#define MAX_MESSAGE_SIZE (256 * 1024 * 1024)

/* Helpers */

static GBytes *
read_message (const char  *path,
              GError     **error)
{
  g_autoptr(GInputStream) input = NULL;
  g_autoptr(GByteArray) data = g_byte_array_new ();
  guint8 buffer[65536];

  if (g_strcmp0 (path, "-") == 0)
    input = g_unix_input_stream_new (STDIN_FILENO, FALSE);
  else
    {
      g_autoptr(GFile) file = g_file_new_for_commandline_arg (path);

      input = G_INPUT_STREAM (g_file_read (file, NULL, error));
      if (input == NULL)
        return NULL;
    }
  while (TRUE)
    {
      gssize n = g_input_stream_read (input, buffer, sizeof buffer, NULL, error);

      if (n < 0)
        return NULL;
      if (n == 0)
        break;
      if (data->len + (gsize) n > MAX_MESSAGE_SIZE)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                       _("the message is larger than %u MB"), MAX_MESSAGE_SIZE / (1024 * 1024));
          return NULL;
        }
      g_byte_array_append (data, buffer, n);
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&data));
}

/* The message's From is one of @account's identities. */
static gboolean
check_sender (KurirAccount  *account,
              GBytes        *message,
              GError       **error)
{
  gsize size;
  const char *data = g_bytes_get_data (message, &size);
  g_autoptr(KurirMessageInfo) info = kurir_message_info_new_from_data (data, size);
  g_autoptr(KurirIdentity) identity = NULL;
  g_autoptr(GPtrArray) identities = NULL;
  g_autoptr(GString) known = NULL;

  if (info->from_address == NULL)
    {
      g_set_error_literal (error, KURIR_MESSAGE_BUILDER_ERROR, KURIR_MESSAGE_BUILDER_ERROR_INVALID,
                           _("the message has no From address; give it the account's address "
                             "or one of its identities"));
      return FALSE;
    }
  identity = kurir_account_find_identity (account, info->from_address);
  if (identity != NULL)
    return TRUE;
  identities = kurir_account_dup_identities (account);
  known = g_string_new (NULL);
  for (guint i = 0; i < identities->len; i++)
    g_string_append_printf (known, "%s%s", i > 0 ? ", " : "",
                            ((KurirIdentity *) g_ptr_array_index (identities, i))->address);
  g_set_error (error, KURIR_MESSAGE_BUILDER_ERROR, KURIR_MESSAGE_BUILDER_ERROR_INVALID,
               /* Translators: the From address, the account's addresses, the account */
               _("the From address %s is not one of this account's identities (%s); add it with "
                 "`kurir-cli account set %s --identity \"Name <%s>\"` or change the From line"),
               info->from_address, known->str, kurir_account_get_name (account), info->from_address);
  return FALSE;
}

/* Public API */

int
kurir_cli_send (int    argc,
                char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (_("FILE"));
  g_autofree char *account_name = NULL;
  g_autoptr(KurirAccount) account = NULL;
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(KurirOutbox) outbox = NULL;
  g_autoptr(GBytes) raw = NULL;
  g_autoptr(GBytes) prepared = NULL;
  g_auto(GStrv) recipients = NULL;
  g_autofree char *message_id = NULL;
  g_autoptr(GError) error = NULL;
  KurirOutboxStats stats = { 0 };
  const char *email, *at;
  gint64 id;
  const GOptionEntry entries[] = {
    { "account", 'a', 0, G_OPTION_ARG_STRING, &account_name, N_("The account to send from"), N_("NAME") },
    { NULL }
  };

  g_option_context_set_summary (context,
                                _("Send a prepared RFC 5322 message (FILE, or - for standard input)\n"
                                  "to its To, Cc and Bcc recipients. It waits in the Outbox\n"
                                  "until it is sent; `kurir-cli sync` tries again. Its From must\n"
                                  "be one of the account's identities."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!kurir_cli_parse_options (context, "send", &argc, &argv, &error))
    return kurir_cli_usage_error ("%s", error->message);
  if (account_name == NULL)
    return kurir_cli_usage_error ("%s", _("send: --account NAME is required"));
  if (argc != 2)
    return kurir_cli_usage_error ("%s", _("send: give one FILE, or - for standard input"));

  account = kurir_account_load (account_name, &error);
  if (account == NULL)
    return kurir_cli_fail (account_name, error);
  raw = read_message (argv[1], &error);
  if (raw == NULL)
    {
      g_prefix_error (&error, "%s: ", argv[1]);
      return kurir_cli_fail (account_name, error);
    }

  email = kurir_account_get_email (account);
  at = email != NULL ? strrchr (email, '@') : NULL;
  prepared = kurir_message_builder_prepare (raw, at != NULL ? at + 1 : NULL, &recipients, &message_id,
                                            &error);
  if (prepared == NULL)
    {
      g_prefix_error (&error, "%s: ", argv[1]);
      return kurir_cli_fail (account_name, error);
    }

  if (!check_sender (account, prepared, &error))
    {
      g_prefix_error (&error, "%s: ", argv[1]);
      return kurir_cli_fail (account_name, error);
    }

  store = kurir_store_open (NULL, &error);
  if (store == NULL)
    return kurir_cli_fail (account_name, error);
  outbox = kurir_outbox_new (account, store);
  id = kurir_outbox_queue (outbox, prepared, (const char * const *) recipients, &error);
  if (id == 0)
    return kurir_cli_fail (account_name, error);

  if (!kurir_outbox_flush (outbox, id, TRUE, &stats, NULL, &error))
    {
      {
        g_autoptr(KurirOutboxItem) item = kurir_outbox_get_item (outbox, id, NULL);
        const char *what = item == NULL ? "" :
                           item->state == KURIR_OUTBOX_STATE_WAITING ? _(" (kept in the Outbox; it will be sent later)") :
                           item->state == KURIR_OUTBOX_STATE_UNCERTAIN ? _(" (delivery uncertain: kept in the Outbox, not sent again)") :
                           _(" (kept in the Outbox)");
        g_autoptr(GError) shown = g_error_new (error->domain, error->code, "%s%s", error->message, what);

        return kurir_cli_fail (account_name, shown);
      }
    }
  if (stats.busy)
    {
      /* Translators: the account; another kurir-cli or the app sends its Outbox */
      g_print (_("%s: queued in the Outbox; another Kurir process is sending it\n"), account_name);
      return KURIR_CLI_EXIT_OK;
    }
  if (stats.refused_recipients > 0)
    /* Translators: the Message-ID, recipients, the account */
    g_print (_("Sent <%s> from %s, but the server refused %u of %u recipients\n"), message_id,
             account_name, stats.refused_recipients, g_strv_length (recipients));
  else
    g_print (g_dngettext (GETTEXT_PACKAGE, "Sent <%s> from %s to %u recipient\n",
                          "Sent <%s> from %s to %u recipients\n", g_strv_length (recipients)),
             message_id, account_name, g_strv_length (recipients));
  return KURIR_CLI_EXIT_OK;
}
