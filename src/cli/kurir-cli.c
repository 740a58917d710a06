/* kurir-cli.c: the command-line face of Kurir's engine
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "kurir-cli.h"
#include "kurir-net-error.h"

#define MAX_PASSWORD_LENGTH 4096

typedef struct
{
  const char *name;
  int       (*run) (int argc, char **argv);
  const char *summary;
} Command;

static const Command commands[] = {
  { "account", kurir_cli_account, N_("Add, change, list and remove accounts") },
  { "sync", kurir_cli_sync, N_("Fetch new mail and send what waits in the Outbox") },
  { "folders", kurir_cli_folders, N_("List an account's folders") },
  { "list", kurir_cli_list, N_("List messages (the unified inbox by default)") },
  { "show", kurir_cli_show, N_("Print a message") },
  { "search", kurir_cli_search, N_("Search all mail") },
  { "flag", kurir_cli_flag, N_("Mark messages read, flagged or answered") },
  { "delete", kurir_cli_delete, N_("Delete messages") },
  { "move", kurir_cli_move, N_("Move messages to another folder") },
  { "reindex", kurir_cli_reindex, N_("Rebuild the mail index from the mail files") },
  { "import", kurir_cli_import, N_("Import an mbox file or a Maildir folder") },
  { "export", kurir_cli_export, N_("Export a folder as an mbox file") },
  { "send", kurir_cli_send, N_("Send a prepared message") },
  { "storage", kurir_cli_storage, N_("Show how much mail the server and this computer hold") },
};

/* Helpers */

/* The name in GOption's "Usage:" line while a command parses its options. */
#define PROGRAM "kurir-cli"

static void
print_usage (FILE *stream)
{
  fprintf (stream, "%s\n\n%s\n", _("Usage: kurir-cli COMMAND [OPTIONS…]"), _("Commands:"));
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (stream, "  %-9s %s\n", commands[i].name, _(commands[i].summary));
  fprintf (stream, "\n%s\n", _("Run “kurir-cli COMMAND --help” for a command’s options."));
}

static char *
one_line (const char *message)
{
  char *line = g_strdup (message);

  g_strdelimit (line, "\r\n", ' ');
  return line;
}


/* Public API */

/* g_option_context_parse() for @command ("sync", "account add"): its
 * --help reads "kurir-cli COMMAND [OPTION…] ARGS", not "kurir-cli
 * [OPTION…] ARGS" (GOption names the program there, g_get_prgname()). */
gboolean
kurir_cli_parse_options (GOptionContext   *context,
                         const char       *command,
                         int              *argc,
                         char           ***argv,
                         GError          **error)
{
  g_autofree char *name = g_strconcat (PROGRAM " ", command, NULL);
  gboolean ok;

  g_set_prgname (name);
  ok = g_option_context_parse (context, argc, argv, error);
  g_set_prgname (PROGRAM);
  return ok;
}

int
kurir_cli_fail (const char   *account_name,
                const GError *error)
{
  g_autofree char *message = one_line (error->message);

  if (account_name != NULL &&
      g_error_matches (error, KURIR_NET_ERROR, KURIR_NET_ERROR_CERTIFICATE))
    {
      /* Translators: after a certificate error: what to do about it */
      g_printerr (_("kurir-cli: account “%s”: %s; if you trust this server, give the account "
                    "its CA certificate with “kurir-cli account set %s --ca-file PEM”\n"),
                  account_name, message, account_name);
      return KURIR_CLI_EXIT_FAILED;
    }
  if (account_name != NULL)
    g_printerr (_("kurir-cli: account “%s”: %s\n"), account_name, message);
  else
    g_printerr ("kurir-cli: %s\n", message);
  return KURIR_CLI_EXIT_FAILED;
}

int
kurir_cli_usage_error (const char *format,
                       ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_printerr ("kurir-cli: %s\n", message);
  return KURIR_CLI_EXIT_USAGE;
}

void
kurir_cli_store_result (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
}

/**
 * kurir_cli_wait:
 *
 * Runs the main context until an operation that reports to
 * kurir_cli_store_result() with @slot has finished.
 */
GAsyncResult *
kurir_cli_wait (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

/**
 * kurir_cli_read_password:
 *
 * Reads one line from standard input: from a terminal without echo and
 * with a prompt, from a pipe as it comes. The password never goes through
 * argv or the environment.
 */
char *
kurir_cli_read_password (GError **error)
{
  gboolean tty = isatty (STDIN_FILENO);
  struct termios saved, quiet;
  char *buffer = g_malloc0 (MAX_PASSWORD_LENGTH + 2);
  gboolean ok;
  gsize length;

  if (tty)
    {
      g_printerr ("%s", _("Password: "));
      tcgetattr (STDIN_FILENO, &saved);
      quiet = saved;
      quiet.c_lflag &= ~(tcflag_t) ECHO;
      tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet);
    }

  ok = fgets (buffer, MAX_PASSWORD_LENGTH + 2, stdin) != NULL;

  if (tty)
    {
      tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved);
      g_printerr ("\n");
    }

  length = ok ? strlen (buffer) : 0;
  if (length > 0 && buffer[length - 1] == '\n')
    buffer[--length] = '\0';
  if (length > 0 && buffer[length - 1] == '\r')
    buffer[--length] = '\0';

  if (!ok || length == 0 || length > MAX_PASSWORD_LENGTH)
    {
      explicit_bzero (buffer, MAX_PASSWORD_LENGTH + 2);
      g_free (buffer);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("--password-stdin expects the password on one line of standard input "
                     "(at most %d bytes)"), MAX_PASSWORD_LENGTH);
      return NULL;
    }

  return buffer;
}

int
main (int    argc,
      char **argv)
{
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_prgname (PROGRAM);
  /* Standard output is the commands' data (--json, show); debug messages
   * (G_MESSAGES_DEBUG) go to standard error. */
  g_log_writer_default_set_use_stderr (TRUE);

  if (argc < 2)
    {
      print_usage (stderr);
      return KURIR_CLI_EXIT_USAGE;
    }

  if (strcmp (argv[1], "--version") == 0 || strcmp (argv[1], "-V") == 0)
    {
      g_print ("kurir-cli %s\n", PACKAGE_VERSION);
      return KURIR_CLI_EXIT_OK;
    }

  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0 ||
      strcmp (argv[1], "help") == 0)
    {
      print_usage (stdout);
      return KURIR_CLI_EXIT_OK;
    }

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      return commands[i].run (argc - 1, argv + 1);

  print_usage (stderr);
  return kurir_cli_usage_error (_("unknown command “%s”"), argv[1]);
}
