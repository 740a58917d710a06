/* kurir-cli-sync.c: kurir-cli sync [NAME...]
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <unistd.h>

#include "kurir-cli.h"
#include "kurir-imap-sync.h"
#include "kurir-outbox.h"
#include "kurir-pop3-sync.h"
#include "kurir-secret.h"
#include "kurir-store.h"

/* Helpers */

static void
progress_cb (guint    done,
             guint    total,
             gpointer user_data)
{
  const char *name = user_data;

  /* Translators: shown while downloading: account, messages stored, to store */
  g_printerr (_("\r%s: downloading %u of %u…"), name, done, total);
}

static char *
lookup_password (KurirAccount  *account,
                 GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kurir_secret_lookup_async (kurir_account_get_name (account), kurir_account_get_protocol (account),
                             NULL, kurir_cli_store_result, &result);
  return kurir_secret_lookup_finish (kurir_cli_wait (&result), error);
}

/* The keyring's answer to a lookup started before the sync connected. */
static char *
password_cb (gpointer   user_data,
             GError   **error)
{
  GAsyncResult **result = user_data;
  char *password = kurir_secret_lookup_finish (kurir_cli_wait (result), error);
  char *copy = g_strdup (password);

  if (password != NULL)
    kurir_secret_free (password);
  return copy;
}

static gboolean
sync_pop3 (KurirAccount  *account,
           KurirStore    *store,
           GError       **error)
{
  KurirPop3SyncStats stats = { 0 };
  g_autoptr(GAsyncResult) looked_up = NULL;
  const char *name = kurir_account_get_name (account);
  gboolean tty = isatty (STDERR_FILENO);
  gboolean ok;

  /* The keyring answers while the sync connects. */
  kurir_secret_lookup_async (name, kurir_account_get_protocol (account), NULL,
                             kurir_cli_store_result, &looked_up);
  ok = kurir_pop3_sync_run_full (account, store, password_cb, &looked_up,
                                 tty ? progress_cb : NULL, (gpointer) name, &stats, NULL, error);
  /* A sync that failed before it asked: the lookup ends all the same. */
  kurir_cli_wait (&looked_up);
  if (tty && stats.downloaded > 0)
    g_printerr ("\r\033[K");
  if (!ok)
    return FALSE;

  /* Translators: the account, then counts of messages */
  g_print (_("%s: %u downloaded, %u deleted on the server, %u kept on the server"),
           name, stats.downloaded, stats.deleted_on_server, stats.kept_on_server);
  if (stats.headers_only > 0)
    /* Translators: follows the counts above; messages over the size limit */
    g_print (_("; %u of them as headers only (over the size limit)"), stats.headers_only);
  if (stats.found_here > 0)
    /* Translators: follows the counts above; mail cached before a switch from IMAP */
    g_print (_("; %u were here already"), stats.found_here);
  g_print ("\n");
  return TRUE;
}

static gboolean
sync_imap (KurirAccount  *account,
           KurirStore    *store,
           GError       **error)
{
  KurirImapSyncStats stats = { 0 };
  g_autoptr(KurirImapSync) sync = NULL;
  const char *name = kurir_account_get_name (account);
  char *password;
  gboolean ok;

  password = lookup_password (account, error);
  if (password == NULL && error != NULL && *error != NULL)
    return FALSE;
  sync = kurir_imap_sync_new (account, store, password);
  if (password != NULL)
    kurir_secret_free (password);

  ok = kurir_imap_sync_run (sync, &stats, NULL, error);
  kurir_imap_sync_close (sync);
  if (!ok)
    return FALSE;

  /* Translators: the account, then counts of messages and of edits */
  g_print (_("%s: %u new, %u changed, %u removed, %u edits sent\n"),
           name, stats.added, stats.changed, stats.removed, stats.edits_sent);
  if (stats.edits_refused > 0)
    {
      g_autoptr(GPtrArray) failed = kurir_journal_list_failed (kurir_imap_sync_get_journal (sync), NULL);

      for (guint i = 0; failed != NULL && i < failed->len; i++)
        /* Translators: the account, then the server's words */
        g_printerr (_("%s: the server refused a change, which was undone here: %s\n"), name,
                    ((KurirStoreJournalEntry *) g_ptr_array_index (failed, i))->error);
    }
  return TRUE;
}

static gboolean
flush_outbox (KurirAccount  *account,
              KurirStore    *store,
              GError       **error)
{
  KurirOutboxStats stats = { 0 };

  if (!kurir_outbox_flush_run (account, store, &stats, NULL, error))
    return FALSE;

  if (stats.sent + stats.waiting + stats.uncertain + stats.failed > 0)
    /* Translators: the account, then counts of messages in its Outbox */
    g_print (_("%s: %u sent from the Outbox, %u waiting, %u delivery uncertain, %u refused\n"),
             kurir_account_get_name (account), stats.sent, stats.waiting,
             stats.uncertain, stats.failed);
  return TRUE;
}

/* Public API */

int
kurir_cli_sync (int    argc,
                char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (_("[NAME…]"));
  g_autoptr(GPtrArray) accounts = NULL;
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(GError) error = NULL;
  int status = KURIR_CLI_EXIT_OK;

  g_option_context_set_summary (context,
                                _("Fetch new mail of the named accounts, or of all of them."));
  if (!kurir_cli_parse_options (context, "sync", &argc, &argv, &error))
    return kurir_cli_usage_error ("%s", error->message);

  if (argc > 1)
    {
      accounts = g_ptr_array_new_with_free_func (g_object_unref);
      for (int i = 1; i < argc; i++)
        {
          KurirAccount *account = kurir_account_load (argv[i], &error);

          if (account == NULL)
            return kurir_cli_fail (argv[i], error);
          g_ptr_array_add (accounts, account);
        }
    }
  else
    {
      accounts = kurir_account_load_all (&error);
      if (accounts == NULL)
        return kurir_cli_fail (NULL, error);
    }

  store = kurir_store_open (NULL, &error);
  if (store == NULL)
    return kurir_cli_fail (NULL, error);

  for (guint i = 0; i < accounts->len; i++)
    {
      KurirAccount *account = g_ptr_array_index (accounts, i);
      g_autoptr(GError) sync_error = NULL;

      /* The Outbox first: for IMAP accounts, the copies for Sent it files
       * through the journal are then replayed by the sync. */
      if (!flush_outbox (account, store, &sync_error))
        {
          status = kurir_cli_fail (kurir_account_get_name (account), sync_error);
          g_clear_error (&sync_error);
        }

      switch (kurir_account_get_protocol (account))
        {
        case KURIR_PROTOCOL_POP3:
          if (!sync_pop3 (account, store, &sync_error))
            status = kurir_cli_fail (kurir_account_get_name (account), sync_error);
          break;

        case KURIR_PROTOCOL_IMAP:
          if (!sync_imap (account, store, &sync_error))
            status = kurir_cli_fail (kurir_account_get_name (account), sync_error);
          break;

        default:
          /* A local account has no server to sync with. */
          break;
        }
    }

  return status;
}
