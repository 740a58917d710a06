/* kurir-cli-store.c: kurir-cli list|show|search|folders|flag|delete|move|
 * reindex|import|export, on the local mail store
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-cli"

#include "config.h"

#include <inttypes.h>

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "kurir-account.h"
#include "kurir-cli.h"
#include "kurir-imap-sync.h"
#include "kurir-journal.h"
#include "kurir-message-parts.h"
#include "kurir-pop3-sync.h"
#include "kurir-secret.h"
#include "kurir-store.h"

/* Helpers */

static KurirStore *
open_store (GError **error)
{
  return kurir_store_open (NULL, error);
}

static gboolean
parse_options (const char    *parameter,
               const char    *summary,
               GOptionEntry  *entries,
               int           *argc,
               char        ***argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (parameter);
  g_autoptr(GError) error = NULL;

  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context, summary);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  /* argv[0] is the command, as kurir-cli's main() matched it. */
  if (!kurir_cli_parse_options (context, (*argv)[0], argc, argv, &error))
    {
      kurir_cli_usage_error ("%s", error->message);
      return FALSE;
    }
  return TRUE;
}

/* An account named on the command line must exist (in the settings or,
 * for mail left from a removed account, in the store). */
static gboolean
check_account (KurirStore  *store,
               const char  *account,
               GError     **error)
{
  g_autoptr(GPtrArray) folders = NULL;

  if (account == NULL || kurir_account_exists (account))
    return TRUE;
  folders = kurir_store_list_folders (store, account, NULL);
  if (folders != NULL && folders->len > 0)
    return TRUE;
  g_set_error_literal (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_NOT_FOUND,
                       _("there is no such account"));
  return FALSE;
}

static char *
format_date (gint64 time)
{
  g_autoptr(GDateTime) date = g_date_time_new_from_unix_utc (time);

  return date ? g_date_time_format_iso8601 (date) : g_strdup ("");
}

static void
add_string_member (JsonBuilder *builder,
                   const char  *name,
                   const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static JsonNode *
message_to_json (KurirMessage *message)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *date = format_date (kurir_message_get_date (message));
  const char * const *names = kurir_message_get_attachment_names (message);
  KurirMessageFlags flags = kurir_message_get_flags (message);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, kurir_message_get_id (message));
  add_string_member (builder, "account", kurir_message_get_account (message));
  add_string_member (builder, "folder", kurir_message_get_folder (message));
  add_string_member (builder, "message_id", kurir_message_get_message_id (message));
  add_string_member (builder, "date", date);
  add_string_member (builder, "from", kurir_message_get_from (message));
  add_string_member (builder, "to", kurir_message_get_to (message));
  add_string_member (builder, "cc", kurir_message_get_cc (message));
  add_string_member (builder, "subject", kurir_message_get_subject (message));
  json_builder_set_member_name (builder, "flags");
  json_builder_begin_array (builder);
  for (KurirMessageFlags flag = KURIR_MESSAGE_FLAG_SEEN; flag <= KURIR_MESSAGE_FLAG_DELETED; flag <<= 1)
    if (flags & flag)
      json_builder_add_string_value (builder, kurir_message_flag_to_string (flag));
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "size");
  json_builder_add_int_value (builder, kurir_message_get_size (message));
  json_builder_set_member_name (builder, "attachments");
  json_builder_add_int_value (builder, kurir_message_get_n_attachments (message));
  json_builder_set_member_name (builder, "attachment_names");
  json_builder_begin_array (builder);
  for (guint i = 0; names[i] != NULL; i++)
    json_builder_add_string_value (builder, names[i]);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "thread");
  json_builder_add_int_value (builder, kurir_message_get_thread_id (message));
  add_string_member (builder, "preview", kurir_message_get_preview (message));
  add_string_member (builder, "backend_key", kurir_message_get_backend_key (message));
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static void
print_json (JsonNode *root)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
}

static void
print_messages (GPtrArray *messages,
                gboolean   json)
{
  if (json)
    {
      g_autoptr(JsonNode) root = json_node_new (JSON_NODE_ARRAY);
      g_autoptr(JsonArray) array = json_array_sized_new (messages->len);

      for (guint i = 0; i < messages->len; i++)
        json_array_add_element (array, message_to_json (g_ptr_array_index (messages, i)));
      json_node_set_array (root, array);
      print_json (root);
      return;
    }

  /* One time zone for the whole listing: making it reads the system's
   * zone files, which per row cost more than the listing itself. */
  g_autoptr(GTimeZone) zone = g_time_zone_new_local ();

  for (guint i = 0; i < messages->len; i++)
    {
      KurirMessage *message = g_ptr_array_index (messages, i);
      g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (kurir_message_get_date (message));
      g_autoptr(GDateTime) date = utc ? g_date_time_to_timezone (utc, zone) : NULL;
      g_autofree char *when = date ? g_date_time_format (date, "%Y-%m-%d %H:%M") : g_strdup ("");
      KurirMessageFlags flags = kurir_message_get_flags (message);
      g_autofree char *subject = g_strdup (kurir_message_get_subject (message));
      g_autofree char *from = g_strdup (kurir_message_get_from (message));

      if (subject)
        g_strdelimit (subject, "\t\r\n", ' ');
      if (from)
        g_strdelimit (from, "\t\r\n", ' ');
      g_print ("%" G_GINT64_FORMAT "\t%s\t%c%c%c\t%s/%s\t%s\t%s\n",
               kurir_message_get_id (message), when,
               flags & KURIR_MESSAGE_FLAG_SEEN ? ' ' : 'N',
               flags & KURIR_MESSAGE_FLAG_FLAGGED ? '!' : ' ',
               flags & KURIR_MESSAGE_FLAG_ANSWERED ? 'r' : ' ',
               kurir_message_get_account (message), kurir_message_get_folder (message),
               from ? from : "", subject ? subject : _("(no subject)"));
    }
}

static gboolean
parse_id (const char *text,
          gint64     *out_id)
{
  guint64 value;

  if (!g_ascii_string_to_unsigned (text, 10, 1, G_MAXINT64, &value, NULL))
    return FALSE;
  *out_id = (gint64) value;
  return TRUE;
}

/* Reads the message IDs argv[first..last) into @ids. */
static gboolean
parse_ids (char   **argv,
           int      first,
           int      last,
           GArray  *ids)
{
  for (int i = first; i < last; i++)
    {
      gint64 id;

      if (!parse_id (argv[i], &id))
        {
          kurir_cli_usage_error (_("“%s” is not a message ID"), argv[i]);
          return FALSE;
        }
      g_array_append_val (ids, id);
    }
  return TRUE;
}

static gboolean
wants_help (int    argc,
            char **argv)
{
  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
      return TRUE;
  return FALSE;
}

/* Fails naming the message's account when it is known. */
static int
fail_for_message (KurirStore   *store,
                  gint64        id,
                  const GError *error)
{
  g_autoptr(KurirMessage) message = store ? kurir_store_get_message (store, id, NULL) : NULL;
  g_autoptr(GError) wrapped = g_error_new (error->domain, error->code, _("message %" PRId64 ": %s"),
                                           id, error->message);

  return kurir_cli_fail (message ? kurir_message_get_account (message) : NULL, wrapped);
}

/* Helpers: IMAP accounts, whose edits go through the offline journal */

/* The settings of the IMAP account @id belongs to, or NULL (another kind
 * of account, or one removed since). */
static KurirAccount *
imap_account_of (KurirStore *store,
                 gint64      id)
{
  g_autoptr(KurirMessage) message = kurir_store_get_message (store, id, NULL);
  g_autoptr(KurirAccount) account = NULL;

  if (message == NULL || !kurir_account_exists (kurir_message_get_account (message)))
    return NULL;
  account = kurir_account_load (kurir_message_get_account (message), NULL);
  if (account == NULL || kurir_account_get_protocol (account) != KURIR_PROTOCOL_IMAP)
    return NULL;
  return g_steal_pointer (&account);
}

static KurirImapSync *
imap_session (KurirStore    *store,
              KurirAccount  *account,
              GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  KurirImapSync *sync;
  char *password;

  kurir_secret_lookup_async (kurir_account_get_name (account), kurir_account_get_protocol (account),
                             NULL, kurir_cli_store_result, &result);
  password = kurir_secret_lookup_finish (kurir_cli_wait (&result), error);
  if (password == NULL && error != NULL && *error != NULL)
    return NULL;
  sync = kurir_imap_sync_new (account, store, password);
  if (password != NULL)
    kurir_secret_free (password);
  return sync;
}

/* A POP3 message stored as its headers only (over the size limit): the
 * rest from the server. Mail of other accounts is left as it is. */
static gboolean
fetch_pop3_body (KurirStore    *store,
                 KurirMessage  *message,
                 GError       **error)
{
  const char *name = kurir_message_get_account (message);
  g_autoptr(KurirAccount) account = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  char *password;
  gboolean ok;

  if (!kurir_account_exists (name))
    return TRUE;
  account = kurir_account_load (name, NULL);
  if (account == NULL || kurir_account_get_protocol (account) != KURIR_PROTOCOL_POP3)
    return TRUE;
  kurir_secret_lookup_async (name, KURIR_PROTOCOL_POP3, NULL, kurir_cli_store_result, &result);
  password = kurir_secret_lookup_finish (kurir_cli_wait (&result), error);
  if (password == NULL && error != NULL && *error != NULL)
    return FALSE;
  ok = kurir_pop3_sync_fetch_body (account, store, password, kurir_message_get_id (message),
                                   NULL, error);
  if (password != NULL)
    kurir_secret_free (password);
  return ok;
}

/* Sends the journalled edits of @accounts (name → KurirAccount) now; when
 * the server cannot be reached they stay for the next sync. */
static int
replay_edits (KurirStore *store,
              GHashTable *accounts)
{
  GHashTableIter iter;
  gpointer value;
  int status = KURIR_CLI_EXIT_OK;

  g_hash_table_iter_init (&iter, accounts);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      KurirAccount *account = value;
      g_autoptr(GError) error = NULL;
      g_autoptr(KurirImapSync) sync = imap_session (store, account, &error);
      KurirJournalStats stats = { 0 };

      if (sync == NULL || !kurir_imap_sync_replay (sync, &stats, NULL, &error))
        {
          /* Translators: the account, then why its server was not reached */
          g_printerr (_("%s: the change is saved and will be sent at the next sync (%s)\n"),
                      kurir_account_get_name (account), error->message);
          continue;
        }
      kurir_imap_sync_close (sync);
      if (stats.refused > 0)
        {
          g_autoptr(GPtrArray) failed = kurir_journal_list_failed (kurir_imap_sync_get_journal (sync), NULL);

          for (guint i = 0; failed != NULL && i < failed->len; i++)
            {
              KurirStoreJournalEntry *entry = g_ptr_array_index (failed, i);

              /* Translators: the account, then the server's words */
              g_printerr (_("%s: the server refused a change, which was undone here: %s\n"),
                          kurir_account_get_name (account), entry->error);
            }
          status = KURIR_CLI_EXIT_FAILED;
        }
    }
  return status;
}

/* Applies one edit: through the journal for an IMAP account (remembered
 * in @accounts for replay_edits()), else on the store directly. */
typedef enum { EDIT_FLAGS, EDIT_DELETE, EDIT_MOVE } EditKind;

static gboolean
apply_edit (KurirStore         *store,
            GHashTable         *accounts,
            EditKind            kind,
            gint64              id,
            KurirMessageFlags   add,
            KurirMessageFlags   remove,
            const char         *folder,
            GError            **error)
{
  g_autoptr(KurirAccount) account = imap_account_of (store, id);
  g_autoptr(KurirJournal) journal = NULL;

  if (account == NULL)
    {
      switch (kind)
        {
        case EDIT_FLAGS:
          return kurir_store_set_flags (store, id, add, remove, error);
        case EDIT_DELETE:
          return kurir_store_delete (store, id, error);
        default:
          return kurir_store_move (store, id, folder, error);
        }
    }

  journal = kurir_journal_new (store, kurir_account_get_name (account));
  g_hash_table_replace (accounts, g_strdup (kurir_account_get_name (account)),
                        g_object_ref (account));
  switch (kind)
    {
    case EDIT_FLAGS:
      return kurir_journal_set_flags (journal, id, add, remove, error);
    case EDIT_DELETE:
      return kurir_journal_delete (journal, id, error);
    default:
      return kurir_journal_move (journal, id, folder, error);
    }
}

static GHashTable *
new_account_table (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
}

/* Commands */

int
kurir_cli_list (int    argc,
                char **argv)
{
  g_autofree char *account = NULL;
  g_autofree char *folder = NULL;
  gboolean json = FALSE;
  int offset = 0, limit = -1;
  GOptionEntry entries[] = {
    { "account", 0, 0, G_OPTION_ARG_STRING, &account, N_("Only this account (default: the unified inbox of all)"), N_("NAME") },
    { "folder", 0, 0, G_OPTION_ARG_STRING, &folder, N_("This folder (default: INBOX)"), N_("PATH") },
    { "offset", 0, 0, G_OPTION_ARG_INT, &offset, N_("Skip the N newest messages"), "N" },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, N_("At most N messages"), "N" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { NULL }
  };
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GError) error = NULL;

  if (!parse_options (NULL, _("List messages, newest first. With no --account: the INBOX of every account."),
                      entries, &argc, &argv))
    return KURIR_CLI_EXIT_USAGE;
  if (argc != 1)
    return kurir_cli_usage_error (_("list takes no arguments"));
  if (offset < 0)
    return kurir_cli_usage_error (_("--offset must not be negative"));

  store = open_store (&error);
  if (store == NULL || !check_account (store, account, &error))
    return kurir_cli_fail (account, error);

  if (account != NULL && folder != NULL && g_strcmp0 (folder, KURIR_STORE_INBOX) != 0)
    {
      g_autoptr(GPtrArray) folders = kurir_store_list_folders (store, account, &error);
      gboolean found = FALSE;

      for (guint i = 0; folders && i < folders->len; i++)
        found |= strcmp (((KurirStoreFolder *) g_ptr_array_index (folders, i))->name, folder) == 0;
      if (!found)
        {
          g_clear_error (&error);
          g_set_error (&error, KURIR_STORE_ERROR, KURIR_STORE_ERROR_NOT_FOUND,
                       _("there is no folder “%s”"), folder);
          return kurir_cli_fail (account, error);
        }
    }

  messages = kurir_store_list (store, account, folder, (guint) offset,
                               limit < 0 ? G_MAXINT : (guint) limit, &error);
  if (messages == NULL)
    return kurir_cli_fail (account, error);
  print_messages (messages, json);
  return KURIR_CLI_EXIT_OK;
}

int
kurir_cli_show (int    argc,
                char **argv)
{
  gboolean raw = FALSE, text = FALSE, headers = FALSE;
  GOptionEntry entries[] = {
    { "raw", 0, 0, G_OPTION_ARG_NONE, &raw, N_("The exact bytes as stored"), NULL },
    { "text", 0, 0, G_OPTION_ARG_NONE, &text, N_("The body as text (default)"), NULL },
    { "headers", 0, 0, G_OPTION_ARG_NONE, &headers, N_("The decoded headers"), NULL },
    { NULL }
  };
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(GBytes) data = NULL;
  g_autoptr(GError) error = NULL;
  const char *bytes;
  gsize length;
  gint64 id;

  if (!parse_options (_("ID"), _("Print a message."), entries, &argc, &argv))
    return KURIR_CLI_EXIT_USAGE;
  if (argc != 2 || !parse_id (argv[1], &id))
    return kurir_cli_usage_error (_("show takes one message ID (a number from “kurir-cli list”)"));
  if (raw + text + headers > 1)
    return kurir_cli_usage_error (_("--raw, --text and --headers exclude each other"));

  store = open_store (&error);
  if (store == NULL)
    return kurir_cli_fail (NULL, error);
  {
    /* Only the headers are here yet: fetch the rest from the server. */
    g_autoptr(KurirMessage) message = kurir_store_get_message (store, id, NULL);
    g_autoptr(KurirAccount) account = NULL;
    g_autoptr(KurirImapSync) sync = NULL;

    if (message != NULL && (kurir_message_get_flags (message) & KURIR_MESSAGE_FLAG_PARTIAL))
      account = imap_account_of (store, id);
    if (account != NULL)
      {
        sync = imap_session (store, account, &error);
        if (sync == NULL || !kurir_imap_sync_fetch_body (sync, id, NULL, &error))
          return fail_for_message (store, id, error);
        kurir_imap_sync_close (sync);
      }
    else if (message != NULL && (kurir_message_get_flags (message) & KURIR_MESSAGE_FLAG_PARTIAL) &&
             !fetch_pop3_body (store, message, &error))
      return fail_for_message (store, id, error);
  }
  data = kurir_store_get_raw (store, id, &error);
  if (data == NULL)
    return fail_for_message (store, id, error);

  bytes = g_bytes_get_data (data, &length);
  if (raw)
    {
      if ((length > 0 && fwrite (bytes, 1, length, stdout) != length) || fflush (stdout) != 0)
        {
          g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_FAILED, _("could not write to standard output"));
          return kurir_cli_fail (NULL, error);
        }
      return KURIR_CLI_EXIT_OK;
    }
  else
    {
      g_autofree char *out = headers ? kurir_mime_format_headers (bytes ? bytes : "", length)
                                     : kurir_mime_get_text (bytes ? bytes : "", length);
      gsize out_length = out ? strlen (out) : 0;

      if (out_length > 0)
        {
          fwrite (out, 1, out_length, stdout);
          if (out[out_length - 1] != '\n')
            fputc ('\n', stdout);
        }
      fflush (stdout);
    }
  return KURIR_CLI_EXIT_OK;
}

int
kurir_cli_search (int    argc,
                  char **argv)
{
  gboolean json = FALSE;
  int offset = 0, limit = -1;
  GOptionEntry entries[] = {
    { "offset", 0, 0, G_OPTION_ARG_INT, &offset, N_("Skip the N newest matches"), "N" },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, N_("At most N messages"), "N" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { NULL }
  };
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *query = NULL;

  if (!parse_options (_("QUERY…"),
                      _("Search all mail. Words, \"phrases\", from: to: subject: attachment: "
                        "has:attachment is:unread is:flagged before:YYYY-MM-DD after:YYYY-MM-DD "
                        "folder: account:, all combined with AND."),
                      entries, &argc, &argv))
    return KURIR_CLI_EXIT_USAGE;
  if (argc < 2)
    return kurir_cli_usage_error (_("search needs a QUERY"));
  if (offset < 0)
    return kurir_cli_usage_error (_("--offset must not be negative"));
  query = g_strjoinv (" ", argv + 1);

  store = open_store (&error);
  if (store == NULL)
    return kurir_cli_fail (NULL, error);
  messages = kurir_store_search (store, query, (guint) offset, limit < 0 ? G_MAXINT : (guint) limit, &error);
  if (messages == NULL)
    return kurir_cli_fail (NULL, error);
  print_messages (messages, json);
  return KURIR_CLI_EXIT_OK;
}

int
kurir_cli_folders (int    argc,
                   char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { NULL }
  };
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(GPtrArray) folders = NULL;
  g_autoptr(GError) error = NULL;
  const char *account;

  if (!parse_options (_("[NAME]"), _("List the folders of an account (default: of all)."),
                      entries, &argc, &argv))
    return KURIR_CLI_EXIT_USAGE;
  if (argc > 2)
    return kurir_cli_usage_error (_("folders takes at most one account NAME"));
  account = argc == 2 ? argv[1] : NULL;

  store = open_store (&error);
  if (store == NULL || !check_account (store, account, &error))
    return kurir_cli_fail (account, error);
  folders = kurir_store_list_folders (store, account, &error);
  if (folders == NULL)
    return kurir_cli_fail (account, error);

  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_array (builder);
      for (guint i = 0; i < folders->len; i++)
        {
          KurirStoreFolder *folder = g_ptr_array_index (folders, i);

          json_builder_begin_object (builder);
          add_string_member (builder, "account", folder->account);
          add_string_member (builder, "name", folder->name);
          add_string_member (builder, "role", folder->role);
          json_builder_set_member_name (builder, "total");
          json_builder_add_int_value (builder, folder->total);
          json_builder_set_member_name (builder, "unread");
          json_builder_add_int_value (builder, folder->unread);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      root = json_builder_get_root (builder);
      print_json (root);
      return KURIR_CLI_EXIT_OK;
    }

  for (guint i = 0; i < folders->len; i++)
    {
      KurirStoreFolder *folder = g_ptr_array_index (folders, i);

      g_print ("%s\t%s\t%u\t%u\n", folder->account, folder->name, folder->total, folder->unread);
    }
  return KURIR_CLI_EXIT_OK;
}

int
kurir_cli_flag (int    argc,
                char **argv)
{
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GHashTable) accounts = new_account_table ();
  const char *spec;
  KurirMessageFlags flag;
  gboolean set;

  if (wants_help (argc, argv))
    {
      g_print ("%s\n", _("Usage: kurir-cli flag ID… (+|-)seen|flagged|answered|draft"));
      return KURIR_CLI_EXIT_OK;
    }
  if (argc < 3)
    return kurir_cli_usage_error (_("flag takes message IDs and then +FLAG or -FLAG"));
  spec = argv[argc - 1];
  if ((spec[0] != '+' && spec[0] != '-') || !kurir_message_flag_from_string (spec + 1, &flag) ||
      flag == KURIR_MESSAGE_FLAG_DELETED)
    return kurir_cli_usage_error (_("“%s” is not +FLAG or -FLAG (seen, flagged, answered, draft)"), spec);
  set = spec[0] == '+';
  if (!parse_ids (argv, 1, argc - 1, ids))
    return KURIR_CLI_EXIT_USAGE;

  store = open_store (&error);
  if (store == NULL)
    return kurir_cli_fail (NULL, error);
  for (guint i = 0; i < ids->len; i++)
    {
      gint64 id = g_array_index (ids, gint64, i);

      if (!apply_edit (store, accounts, EDIT_FLAGS, id, set ? flag : 0, set ? 0 : flag, NULL, &error))
        {
          replay_edits (store, accounts);
          return fail_for_message (store, id, error);
        }
    }
  return replay_edits (store, accounts);
}

int
kurir_cli_delete (int    argc,
                  char **argv)
{
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GHashTable) accounts = new_account_table ();

  if (wants_help (argc, argv))
    {
      g_print ("%s\n", _("Usage: kurir-cli delete ID…"));
      return KURIR_CLI_EXIT_OK;
    }
  if (argc < 2)
    return kurir_cli_usage_error (_("delete takes message IDs"));
  if (!parse_ids (argv, 1, argc, ids))
    return KURIR_CLI_EXIT_USAGE;

  store = open_store (&error);
  if (store == NULL)
    return kurir_cli_fail (NULL, error);
  for (guint i = 0; i < ids->len; i++)
    {
      gint64 id = g_array_index (ids, gint64, i);

      if (!apply_edit (store, accounts, EDIT_DELETE, id, 0, 0, NULL, &error))
        {
          replay_edits (store, accounts);
          return fail_for_message (store, id, error);
        }
    }
  return replay_edits (store, accounts);
}

int
kurir_cli_move (int    argc,
                char **argv)
{
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GHashTable) accounts = new_account_table ();
  const char *folder;

  if (wants_help (argc, argv))
    {
      g_print ("%s\n", _("Usage: kurir-cli move ID… FOLDER"));
      return KURIR_CLI_EXIT_OK;
    }
  if (argc < 3)
    return kurir_cli_usage_error (_("move takes message IDs and then a FOLDER"));
  folder = argv[argc - 1];
  if (!parse_ids (argv, 1, argc - 1, ids))
    return KURIR_CLI_EXIT_USAGE;

  store = open_store (&error);
  if (store == NULL)
    return kurir_cli_fail (NULL, error);
  for (guint i = 0; i < ids->len; i++)
    {
      gint64 id = g_array_index (ids, gint64, i);

      if (!apply_edit (store, accounts, EDIT_MOVE, id, 0, 0, folder, &error))
        {
          replay_edits (store, accounts);
          return fail_for_message (store, id, error);
        }
    }
  return replay_edits (store, accounts);
}

int
kurir_cli_reindex (int    argc,
                   char **argv)
{
  g_autofree char *account = NULL;
  GOptionEntry entries[] = {
    { "account", 0, 0, G_OPTION_ARG_STRING, &account, N_("Only this account"), N_("NAME") },
    { NULL }
  };
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(GError) error = NULL;

  if (!parse_options (NULL, _("Rebuild the mail index from the mail files."), entries, &argc, &argv))
    return KURIR_CLI_EXIT_USAGE;
  if (argc != 1)
    return kurir_cli_usage_error (_("reindex takes no arguments"));

  store = open_store (&error);
  if (store == NULL || !check_account (store, account, &error) ||
      !kurir_store_reindex (store, account, &error))
    return kurir_cli_fail (account, error);
  return KURIR_CLI_EXIT_OK;
}

int
kurir_cli_import (int    argc,
                  char **argv)
{
  g_autofree char *account = NULL;
  g_autofree char *folder = NULL;
  GOptionEntry entries[] = {
    { "account", 0, 0, G_OPTION_ARG_STRING, &account, N_("Into this account"), N_("NAME") },
    { "folder", 0, 0, G_OPTION_ARG_STRING, &folder, N_("Into this folder (default: INBOX)"), N_("F") },
    { NULL }
  };
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(GError) error = NULL;
  KurirStoreImportStats stats = { 0 };

  if (!parse_options (_("PATH"), _("Import an mbox file or a Maildir folder."), entries, &argc, &argv))
    return KURIR_CLI_EXIT_USAGE;
  if (account == NULL || argc != 2)
    return kurir_cli_usage_error (_("import needs --account NAME and one PATH"));
  if (!kurir_account_exists (account))
    {
      g_set_error_literal (&error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_NOT_FOUND,
                           _("there is no such account; add one with "
                             "“kurir-cli account add NAME --protocol local --email ADDRESS”"));
      return kurir_cli_fail (account, error);
    }
  if (!g_file_test (argv[1], G_FILE_TEST_EXISTS))
    {
      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("%s does not exist"), argv[1]);
      return kurir_cli_fail (account, error);
    }

  store = open_store (&error);
  if (store == NULL)
    return kurir_cli_fail (account, error);
  if (!kurir_store_import (store, account, folder, argv[1], &stats, NULL, &error))
    {
      g_prefix_error (&error, _("import stopped after %u messages: "), stats.added);
      return kurir_cli_fail (account, error);
    }
  g_print (_("Imported %u messages into %s/%s (%u already there, %u unreadable)\n"),
           stats.added, account, folder ? folder : KURIR_STORE_INBOX, stats.duplicates, stats.failed);
  return KURIR_CLI_EXIT_OK;
}

int
kurir_cli_export (int    argc,
                  char **argv)
{
  g_autofree char *account = NULL;
  g_autofree char *folder = NULL;
  g_autofree char *mbox = NULL;
  GOptionEntry entries[] = {
    { "account", 0, 0, G_OPTION_ARG_STRING, &account, N_("From this account"), N_("NAME") },
    { "folder", 0, 0, G_OPTION_ARG_STRING, &folder, N_("This folder (default: INBOX)"), N_("F") },
    { "mbox", 0, 0, G_OPTION_ARG_FILENAME, &mbox, N_("Write this mbox file"), N_("FILE") },
    { NULL }
  };
  g_autoptr(KurirStore) store = NULL;
  g_autoptr(GError) error = NULL;
  guint count = 0;

  if (!parse_options (NULL, _("Export a folder as an mbox file."), entries, &argc, &argv))
    return KURIR_CLI_EXIT_USAGE;
  if (account == NULL || mbox == NULL || argc != 1)
    return kurir_cli_usage_error (_("export needs --account NAME, --folder F and --mbox FILE"));

  store = open_store (&error);
  if (store == NULL || !check_account (store, account, &error) ||
      !kurir_store_export_mbox (store, account, folder, mbox, &count, NULL, &error))
    return kurir_cli_fail (account, error);
  g_print (_("Exported %u messages to %s\n"), count, mbox);
  return KURIR_CLI_EXIT_OK;
}
