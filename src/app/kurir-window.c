/* kurir-window.c: the main window
 *
 * With no account it shows the welcome page that leads to the setup
 * wizard; otherwise three panes: the sidebar (All Inboxes, then each
 * account's state and folders), the message list (a KurirMessageListModel
 * over the store, page by page) and the reader. Everything that touches
 * the disk or the network is asynchronous: the store's _async calls, the
 * accounts' syncs in worker threads.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-app"

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "kurir-account.h"
#include "kurir-mail-account.h"
#include "kurir-message-row.h"
#include "kurir-composer.h"
#include "kurir-message-window.h"
#include "kurir-outbox.h"
#include "kurir-preferences-window.h"
#include "kurir-secret.h"
#include "kurir-store-threads.h"
#include "kurir-thread-view.h"
#include "kurir-window.h"

struct _KurirWindow
{
  AdwApplicationWindow   parent_instance;

  GCancellable          *cancellable;
  GSettings             *settings;

  KurirStore            *store;
  GPtrArray             *loaded_accounts;  /* KurirAccount, until the store is open too */
  GError                *load_error;
  guint                  loads_pending;
  GPtrArray             *accounts;         /* KurirMailAccount */
  GPtrArray             *folders;          /* KurirStoreFolder */
  gboolean               folders_loading;
  gboolean               folders_again;
  gboolean               folders_seen;     /* listed once: the accounts' first syncs are known */

  char                  *account;          /* the folder shown; both NULL: All Inboxes */
  char                  *folder;
  char                  *query;            /* the search shown, or NULL */
  KurirMessageListModel *model;
  GtkMultiSelection     *selection;
  KurirMessageItem      *waiting_item;     /* selected, its message not loaded yet */
  gulong                 waiting_id;
  guint                  changes_pending;
  guint                  select_after_refresh;
  guint                  timing_tick;
  gboolean               timing_reported;
  gboolean               folders_after_list;
  gboolean               reloading;        /* the account files are read again */
  GFileMonitor          *accounts_monitor; /* the account files, for their check intervals */
  guint                  accounts_changed_source;
  gboolean               reload_again;

  /* Template widgets */
  AdwToastOverlay       *toast_overlay;
  GtkStack              *stack;
  AdwStatusPage         *error_page;
  KurirSidebar          *sidebar;
  AdwWindowTitle        *list_title;
  GtkStack              *refresh_stack;
  GtkSpinner            *refresh_spinner;
  GtkToggleButton       *search_button;
  GtkSearchBar          *search_bar;
  GtkSearchEntry        *search_entry;
  GtkStack              *list_stack;
  GtkListView           *list_view;
  AdwStatusPage         *empty_page;
  GtkMenuButton         *move_button;
  GtkButton             *flag_button;
  GtkButton             *read_button;
  KurirThreadView       *thread_view;
  KurirReader           *reader;

  GCancellable          *thread_cancellable;  /* the conversation being read */
  gboolean               conversations;      /* one row per thread */
};

G_DEFINE_FINAL_TYPE (KurirWindow, kurir_window, ADW_TYPE_APPLICATION_WINDOW)

static void load_folders (KurirWindow *self);
static void show_outbox_status (KurirWindow *self, KurirMessage *message);
typedef struct
{
  KurirWindow  *self;
  KurirMessage *message;
  char         *action;
} ComposeData;
static void compose_raw_cb (GObject *source, GAsyncResult *result, gpointer user_data);
static void show_list (KurirWindow *self, const char *account, const char *folder, const char *query);

/* Helpers */

/* Milliseconds since this process started, for KURIR_DEBUG_TIMING. */
static gint64
ms_since_process_start (void)
{
  g_autofree char *stat = NULL;
  struct timespec now;
  const char *p;
  unsigned long long start_ticks = 0;

  if (!g_file_get_contents ("/proc/self/stat", &stat, NULL, NULL) ||
      (p = strrchr (stat, ')')) == NULL ||
      clock_gettime (CLOCK_BOOTTIME, &now) != 0)
    return -1;
  /* Field 22 (starttime); p is at the end of field 2. */
  for (int field = 2; field < 22 && p != NULL; field++)
    p = strchr (p + 1, ' ');
  if (p == NULL || sscanf (p + 1, "%llu", &start_ticks) != 1)
    return -1;
  return (gint64) now.tv_sec * 1000 + now.tv_nsec / 1000000 -
         (gint64) (start_ticks * 1000 / (unsigned long long) sysconf (_SC_CLK_TCK));
}

/* With KURIR_DEBUG_TIMING=1: when each step of the start-up ended. */
static void
timing_mark (const char *what)
{
  if (g_strcmp0 (g_getenv ("KURIR_DEBUG_TIMING"), "1") == 0)
    g_printerr ("timing %s %" G_GINT64_FORMAT "\n", what, ms_since_process_start ());
}

static KurirMailAccount *
find_account (KurirWindow *self,
              const char  *name)
{
  for (guint i = 0; self->accounts != NULL && i < self->accounts->len; i++)
    {
      KurirMailAccount *account = g_ptr_array_index (self->accounts, i);
      if (g_strcmp0 (kurir_mail_account_get_name (account), name) == 0)
        return account;
    }
  return NULL;
}

static KurirStoreFolder *
find_folder_with_role (KurirWindow *self,
                       const char  *account,
                       const char  *role)
{
  for (guint i = 0; self->folders != NULL && i < self->folders->len; i++)
    {
      KurirStoreFolder *folder = g_ptr_array_index (self->folders, i);
      const char *folder_role = kurir_sidebar_folder_role (folder->name, folder->role);

      if (g_strcmp0 (folder->account, account) == 0 && folder_role != NULL &&
          g_ascii_strcasecmp (folder_role, role) == 0)
        return folder;
    }
  return NULL;
}

/* The loaded messages selected: a selection of all 100,000 rows reads
 * none of the rows not loaded. */
static GPtrArray *
get_selected_messages (KurirWindow *self)
{
  GPtrArray *messages = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GtkBitset) selected = NULL;
  GtkBitsetIter iter;
  guint position;

  if (self->selection == NULL)
    return messages;

  selected = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  /* One conversation open: the message of it being read. */
  if (gtk_bitset_get_size (selected) == 1 && gtk_widget_get_visible (GTK_WIDGET (self->thread_view)) &&
      kurir_thread_view_get_selected (self->thread_view) != NULL)
    {
      g_ptr_array_add (messages, g_object_ref (kurir_thread_view_get_selected (self->thread_view)));
      return messages;
    }
  for (gboolean ok = gtk_bitset_iter_init_first (&iter, selected, &position); ok;
       ok = gtk_bitset_iter_next (&iter, &position))
    {
      KurirMessage *message = kurir_message_list_model_peek (self->model, position);

      if (message != NULL)
        g_ptr_array_add (messages, g_object_ref (message));
    }
  return messages;
}

static guint
get_first_selected (KurirWindow *self)
{
  g_autoptr(GtkBitset) selected = NULL;

  if (self->selection == NULL)
    return G_MAXUINT;
  selected = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  return gtk_bitset_is_empty (selected) ? G_MAXUINT : gtk_bitset_get_minimum (selected);
}

typedef void (*SelectionFunc) (KurirWindow *self,
                               GPtrArray   *messages,
                               GVariant    *parameter);

typedef struct
{
  KurirWindow   *self;
  SelectionFunc  func;
  GVariant      *parameter;
} SelectionOp;

static void
selection_collected_cb (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  SelectionOp *op = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) messages = kurir_message_list_model_get_messages_finish (KURIR_MESSAGE_LIST_MODEL (source),
                                                                                result, &error);

  if (messages != NULL)
    op->func (op->self, messages, op->parameter);
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    kurir_window_show_toast (op->self, error->message);
  g_object_unref (op->self);
  g_clear_pointer (&op->parameter, g_variant_unref);
  g_free (op);
}

/* Runs @func on the selected messages: at once when their rows are
 * loaded, else once the others are read from the store (a selection of
 * every row of a long folder). */
static void
with_selected_messages (KurirWindow   *self,
                        SelectionFunc  func,
                        GVariant      *parameter)
{
  g_autoptr(GtkBitset) selected = NULL;
  g_autoptr(GPtrArray) messages = NULL;

  if (self->selection != NULL && self->model != NULL)
    selected = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  if (selected != NULL && gtk_bitset_get_size (selected) > 1 &&
      !kurir_message_list_model_all_loaded (self->model, selected))
    {
      SelectionOp *op = g_new0 (SelectionOp, 1);

      op->self = g_object_ref (self);
      op->func = func;
      op->parameter = parameter ? g_variant_ref (parameter) : NULL;
      kurir_message_list_model_get_messages_async (self->model, selected, self->cancellable,
                                                   selection_collected_cb, op);
      return;
    }
  messages = get_selected_messages (self);
  func (self, messages, parameter);
}

static void
set_action_enabled (KurirWindow *self,
                    const char  *name,
                    gboolean     enabled)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), name);

  if (action != NULL)
    g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
}

static void
update_move_menu (KurirWindow *self,
                  const char  *account)
{
  g_autoptr(GMenu) menu = g_menu_new ();

  for (guint i = 0; account != NULL && self->folders != NULL && i < self->folders->len; i++)
    {
      KurirStoreFolder *folder = g_ptr_array_index (self->folders, i);
      g_autoptr(GMenuItem) item = NULL;

      if (g_strcmp0 (folder->account, account) != 0)
        continue;
      item = g_menu_item_new (kurir_sidebar_folder_title (folder->name, folder->role), NULL);
      g_menu_item_set_action_and_target (item, "win.move-to", "s", folder->name);
      g_menu_append_item (menu, item);
    }
  gtk_menu_button_set_menu_model (self->move_button, G_MENU_MODEL (menu));
  gtk_widget_set_sensitive (GTK_WIDGET (self->move_button), g_menu_model_get_n_items (G_MENU_MODEL (menu)) > 0);
}

static void
update_actions (KurirWindow *self)
{
  g_autoptr(GPtrArray) messages = get_selected_messages (self);
  gboolean any = messages->len > 0;
  gboolean unread = FALSE, flagged = FALSE;
  guint position = get_first_selected (self);
  guint n = self->model ? g_list_model_get_n_items (G_LIST_MODEL (self->model)) : 0;

  for (guint i = 0; i < messages->len; i++)
    {
      KurirMessageFlags flags = kurir_message_get_flags (g_ptr_array_index (messages, i));
      unread |= !(flags & KURIR_MESSAGE_FLAG_SEEN);
      flagged |= (flags & KURIR_MESSAGE_FLAG_FLAGGED) != 0;
    }

  set_action_enabled (self, "delete", any);
  set_action_enabled (self, "mark-read", any);
  set_action_enabled (self, "mark-unread", any);
  set_action_enabled (self, "toggle-read", any);
  set_action_enabled (self, "toggle-flag", any);
  set_action_enabled (self, "move-to", any);
  set_action_enabled (self, "open-in-window", messages->len == 1);
  set_action_enabled (self, "view-source", messages->len == 1);
  set_action_enabled (self, "reply", messages->len == 1);
  set_action_enabled (self, "reply-all", messages->len == 1);
  set_action_enabled (self, "forward", messages->len == 1);
  set_action_enabled (self, "forward-attachment", messages->len == 1);
  set_action_enabled (self, "next-message", n > 0 && (position == G_MAXUINT || position + 1 < n));
  set_action_enabled (self, "previous-message", n > 0 && position != G_MAXUINT && position > 0);

  gtk_button_set_icon_name (self->flag_button, flagged ? "starred-symbolic" : "non-starred-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->flag_button), flagged ? _("Remove Flag") : _("Flag"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->flag_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  gtk_widget_get_tooltip_text (GTK_WIDGET (self->flag_button)), -1);
  gtk_button_set_icon_name (self->read_button, unread ? "mail-unread-symbolic" : "mail-read-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->read_button), unread ? _("Mark as Read") : _("Mark as Unread"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->read_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  gtk_widget_get_tooltip_text (GTK_WIDGET (self->read_button)), -1);
  update_move_menu (self, any ? kurir_message_get_account (g_ptr_array_index (messages, 0)) : NULL);
}

static void
update_list_page (KurirWindow *self)
{
  guint n = self->model ? g_list_model_get_n_items (G_LIST_MODEL (self->model)) : 0;
  g_autofree char *subtitle = NULL;

  if (self->model == NULL || (n == 0 && kurir_message_list_model_get_loading (self->model)))
    gtk_stack_set_visible_child_name (self->list_stack, "loading");
  else if (n == 0)
    {
      const GError *error = kurir_message_list_model_get_error (self->model);

      adw_status_page_set_title (self->empty_page, self->query ? _("No Results") : _("No Messages"));
      adw_status_page_set_description (self->empty_page, error ? error->message : NULL);
      adw_status_page_set_icon_name (self->empty_page,
                                     self->query ? "system-search-symbolic" : "kurir-inbox-symbolic");
      gtk_stack_set_visible_child_name (self->list_stack, "empty");
    }
  else
    gtk_stack_set_visible_child_name (self->list_stack, "list");

  if (n > 0 && kurir_message_list_model_get_threads (self->model))
    /* Translators: the number of conversations in the list */
    subtitle = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u conversation", "%u conversations", n), n);
  else if (n > 0)
    /* Translators: the number of messages in the list */
    subtitle = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u message", "%u messages", n), n);
  adw_window_title_set_subtitle (self->list_title, subtitle);
  update_actions (self);
}

static void
update_title (KurirWindow *self)
{
  const char *title;
  const char *role = NULL;

  for (guint i = 0; self->folders != NULL && i < self->folders->len; i++)
    {
      KurirStoreFolder *folder = g_ptr_array_index (self->folders, i);
      if (g_strcmp0 (folder->account, self->account) == 0 && g_strcmp0 (folder->name, self->folder) == 0)
        role = folder->role;
    }

  if (self->query != NULL)
    title = _("Search Results");
  else if (self->folder == NULL)
    title = _("All Inboxes");
  else
    title = kurir_sidebar_folder_title (self->folder, role);
  adw_window_title_set_title (self->list_title, title);
}

static void
update_refresh_state (KurirWindow *self)
{
  gboolean syncing = FALSE;

  for (guint i = 0; self->accounts != NULL && i < self->accounts->len; i++)
    syncing |= kurir_mail_account_get_state (g_ptr_array_index (self->accounts, i)) == KURIR_MAIL_ACCOUNT_SYNCING;
  gtk_spinner_set_spinning (self->refresh_spinner, syncing);
  gtk_stack_set_visible_child_name (self->refresh_stack, syncing ? "spinner" : "button");
}

static void
select_position (KurirWindow *self,
                 guint        position)
{
  if (self->selection == NULL || position >= g_list_model_get_n_items (G_LIST_MODEL (self->selection)))
    return;
  gtk_selection_model_select_item (GTK_SELECTION_MODEL (self->selection), position, TRUE);
  gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u", position);
}

static void
refresh_after_change (KurirWindow *self)
{
  if (self->model != NULL)
    kurir_message_list_model_refresh (self->model);
  load_folders (self);
}

static void change_done_cb (GObject *source, GAsyncResult *result, gpointer user_data);

/* The account whose edits go through the journal (IMAP), or NULL. */
static KurirMailAccount *
find_journalled (KurirWindow  *self,
                 KurirMessage *message)
{
  KurirMailAccount *account = find_account (self, kurir_message_get_account (message));

  return account != NULL && kurir_mail_account_get_journalled (account) ? account : NULL;
}

static void
change_flags (KurirWindow       *self,
              KurirMessage      *message,
              KurirMessageFlags  add,
              KurirMessageFlags  remove)
{
  KurirMailAccount *account = find_journalled (self, message);

  self->changes_pending++;
  if (account != NULL)
    kurir_mail_account_set_flags_async (account, kurir_message_get_id (message), add, remove,
                                        self->cancellable, change_done_cb, g_object_ref (self));
  else
    kurir_store_set_flags_async (self->store, kurir_message_get_id (message), add, remove,
                                 self->cancellable, change_done_cb, g_object_ref (self));
}

static void
move_message (KurirWindow  *self,
              KurirMessage *message,
              const char   *folder)
{
  KurirMailAccount *account = find_journalled (self, message);

  self->changes_pending++;
  if (account != NULL)
    kurir_mail_account_move_async (account, kurir_message_get_id (message), folder,
                                   self->cancellable, change_done_cb, g_object_ref (self));
  else
    kurir_store_move_async (self->store, kurir_message_get_id (message), folder,
                            self->cancellable, change_done_cb, g_object_ref (self));
}

static void
set_flags_on (KurirWindow       *self,
              GPtrArray         *messages,
              KurirMessageFlags  add,
              KurirMessageFlags  remove)
{
  for (guint i = 0; i < messages->len; i++)
    {
      KurirMessage *message = g_ptr_array_index (messages, i);
      KurirMessageFlags flags = kurir_message_get_flags (message);

      if ((flags & add) == add && (flags & remove) == 0)
        continue;
      change_flags (self, message, add, remove);
    }
}

/* A message whose body is being fetched (POP3, over the size limit). */
typedef struct
{
  GWeakRef      window;
  KurirMessage *message;
} BodyFetch;

static void
body_fetched_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  BodyFetch *fetch = user_data;
  g_autoptr(KurirWindow) self = g_weak_ref_get (&fetch->window);
  g_autoptr(GError) error = NULL;

  if (!kurir_mail_account_fetch_body_finish (KURIR_MAIL_ACCOUNT (source), result, &error))
    {
      if (self != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        kurir_window_show_toast (self, error->message);
    }
  else if (self != NULL && kurir_reader_get_message (self->reader) == fetch->message)
    kurir_reader_set_message (self->reader, fetch->message);  /* still shown: whole now */

  g_weak_ref_clear (&fetch->window);
  g_object_unref (fetch->message);
  g_free (fetch);
}

/* Only the headers of @message are here (POP3, over the size limit): the
 * rest from the server, then the reader shows it whole. */
static void
fetch_body_if_partial (KurirWindow  *self,
                       KurirMessage *message)
{
  KurirMailAccount *account;
  BodyFetch *fetch;

  if (!(kurir_message_get_flags (message) & KURIR_MESSAGE_FLAG_PARTIAL))
    return;
  account = find_account (self, kurir_message_get_account (message));
  if (account == NULL)
    return;
  fetch = g_new0 (BodyFetch, 1);
  g_weak_ref_init (&fetch->window, self);
  fetch->message = g_object_ref (message);
  kurir_mail_account_fetch_body_async (account, kurir_message_get_id (message), NULL,
                                       body_fetched_cb, fetch);
}

static void
show_message (KurirWindow  *self,
              KurirMessage *message)
{
  kurir_reader_set_message (self->reader, message);
  fetch_body_if_partial (self, message);
  show_outbox_status (self, message);
  if (!(kurir_message_get_flags (message) & KURIR_MESSAGE_FLAG_SEEN))
    change_flags (self, message, KURIR_MESSAGE_FLAG_SEEN, 0);
}

static void
hide_thread (KurirWindow *self)
{
  if (self->thread_cancellable != NULL)
    {
      g_cancellable_cancel (self->thread_cancellable);
      g_clear_object (&self->thread_cancellable);
    }
  kurir_thread_view_set_messages (self->thread_view, NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->thread_view), FALSE);
}

static void
thread_listed_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(KurirWindow) self = user_data;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GError) error = NULL;
  guint show = 0;

  messages = kurir_store_get_thread_in_finish (KURIR_STORE (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (messages == NULL)
    {
      kurir_window_show_toast (self, error->message);
      return;
    }
  kurir_thread_view_set_messages (self->thread_view, messages);
  gtk_widget_set_visible (GTK_WIDGET (self->thread_view), messages->len > 0);
  /* The first unread message, else the newest. */
  for (show = 0; show < messages->len; show++)
    if (!(kurir_message_get_flags (g_ptr_array_index (messages, show)) & KURIR_MESSAGE_FLAG_SEEN))
      break;
  if (show == messages->len && show > 0)
    show--;
  kurir_thread_view_select (self->thread_view, show);
}

static void
thread_message_selected_cb (KurirThreadView *view,
                            KurirMessage    *message,
                            KurirWindow     *self)
{
  show_message (self, message);
  update_actions (self);
}

static void
show_selected_message (KurirWindow *self)
{
  g_autoptr(GtkBitset) selected = NULL;
  g_autoptr(KurirMessageItem) item = NULL;
  const KurirStoreThread *thread;
  KurirMessage *message;

  if (self->waiting_item != NULL)
    {
      g_clear_signal_handler (&self->waiting_id, self->waiting_item);
      g_clear_object (&self->waiting_item);
    }

  if (self->selection == NULL)
    {
      hide_thread (self);
      kurir_reader_set_message (self->reader, NULL);
      return;
    }
  selected = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  if (gtk_bitset_get_size (selected) != 1)
    {
      hide_thread (self);
      kurir_reader_set_message (self->reader, NULL);
      return;
    }

  item = g_list_model_get_item (G_LIST_MODEL (self->model), gtk_bitset_get_minimum (selected));
  message = item ? kurir_message_item_get_message (item) : NULL;
  if (message == NULL)
    {
      /* Its page is loading: show it when it arrives. */
      if (item != NULL)
        {
          self->waiting_item = g_object_ref (item);
          self->waiting_id = g_signal_connect_swapped (item, "notify::message",
                                                       G_CALLBACK (show_selected_message), self);
        }
      return;
    }

  thread = kurir_message_item_get_thread (item);
  if (thread != NULL && thread->n_messages > 1)
    {
      /* A conversation: its messages above the reader, from the store. */
      g_cancellable_cancel (self->thread_cancellable);
      g_clear_object (&self->thread_cancellable);
      self->thread_cancellable = g_cancellable_new ();
      kurir_store_get_thread_in_async (self->store, thread->thread_id,
                                       kurir_message_list_model_get_account (self->model),
                                       kurir_message_list_model_get_folder (self->model),
                                       self->thread_cancellable, thread_listed_cb,
                                       g_object_ref (self));
      return;
    }
  hide_thread (self);
  show_message (self, message);
}

static void
sync_all (KurirWindow *self)
{
  for (guint i = 0; self->accounts != NULL && i < self->accounts->len; i++)
    kurir_mail_account_sync (g_ptr_array_index (self->accounts, i));
}

/* Each account checks at its own interval, else at the app's. Called
 * again when the accounts are read again (an account file saved) and when
 * check-interval-minutes changes. */
static void
start_check_timer (KurirWindow *self)
{
  guint minutes = self->settings ? g_settings_get_uint (self->settings, "check-interval-minutes") : 10;

  for (guint i = 0; self->accounts != NULL && i < self->accounts->len; i++)
    {
      KurirMailAccount *account = g_ptr_array_index (self->accounts, i);
      KurirAccount *settings = kurir_mail_account_get_account (account);

      kurir_mail_account_set_check_interval (account,
                                             kurir_mail_account_choose_check_interval (settings, minutes));
    }
}

/* Callbacks */

static void
check_interval_changed_cb (KurirWindow *self)
{
  start_check_timer (self);
}

/* The account files as they are now: each account's interval follows its
 * file (say, after kurir-cli account set --check-interval). Only the
 * intervals: a change of servers needs the accounts read again. */
static void
intervals_loaded_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(KurirWindow) self = user_data;
  g_autoptr(GPtrArray) loaded = NULL;
  g_autoptr(GError) error = NULL;

  loaded = kurir_account_load_all_finish (result, &error);
  if (loaded == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Reading the account files again: %s", error->message);
      return;
    }
  for (guint i = 0; i < loaded->len; i++)
    {
      KurirAccount *fresh = g_ptr_array_index (loaded, i);
      KurirMailAccount *account = find_account (self, kurir_account_get_name (fresh));

      if (account != NULL)
        kurir_account_set_check_interval (kurir_mail_account_get_account (account),
                                          kurir_account_get_check_interval (fresh));
    }
  start_check_timer (self);
}

static gboolean
accounts_changed_timeout_cb (gpointer user_data)
{
  KurirWindow *self = user_data;

  self->accounts_changed_source = 0;
  kurir_account_load_all_async (self->cancellable, intervals_loaded_cb, g_object_ref (self));
  return G_SOURCE_REMOVE;
}

static void
accounts_changed_cb (GFileMonitor      *monitor,
                     GFile             *file,
                     GFile             *other_file,
                     GFileMonitorEvent  event,
                     gpointer           user_data)
{
  KurirWindow *self = user_data;

  /* A save is several events (a new file renamed over the old): read
   * them once, when they have settled. */
  g_clear_handle_id (&self->accounts_changed_source, g_source_remove);
  self->accounts_changed_source = g_timeout_add (200, accounts_changed_timeout_cb, self);
}

static void
change_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(KurirWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  gboolean ok;

  /* An IMAP account's edits went through its journal. */
  if (KURIR_IS_MAIL_ACCOUNT (source))
    ok = kurir_mail_account_edit_finish (KURIR_MAIL_ACCOUNT (source), result, &error);
  else
    ok = kurir_store_change_finish (KURIR_STORE (source), result, &error);
  if (!ok)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      kurir_window_show_toast (self, error->message);
    }
  if (self->changes_pending > 0 && --self->changes_pending == 0)
    refresh_after_change (self);
}

typedef struct {
  KurirWindow      *window;
  KurirMailAccount *account;
  gint64            started;
  gboolean          notify;
} NotifyData;

static void
notify_data_free (NotifyData *data)
{
  g_object_unref (data->window);
  g_object_unref (data->account);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NotifyData, notify_data_free)

static void
notification_listed_cb (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(NotifyData) data = user_data;
  KurirWindow *self = data->window;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GNotification) notification = NULL;
  g_autoptr(GPtrArray) fresh = g_ptr_array_new ();
  g_autofree char *id = NULL;
  GApplication *app = G_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
  gint64 *after;
  gint64 newest_id;
  KurirMessage *first;
  const char *account;

  messages = kurir_store_list_finish (KURIR_STORE (source), result, NULL);
  if (messages == NULL || app == NULL)
    return;

  /* Arrival times have whole seconds, so a message stored in the second
   * this sync started may have been told of already (or muted): the
   * highest message id seen per account tells them apart. */
  after = g_object_get_data (G_OBJECT (data->account), "kurir-notified-id");
  if (after == NULL)
    {
      after = g_new0 (gint64, 1);
      g_object_set_data_full (G_OBJECT (data->account), "kurir-notified-id", after, g_free);
    }
  newest_id = *after;
  for (guint i = 0; i < messages->len; i++)
    {
      KurirMessage *message = g_ptr_array_index (messages, i);

      if (kurir_message_get_received (message) < data->started ||
          kurir_message_get_id (message) <= *after)
        continue;
      newest_id = MAX (newest_id, kurir_message_get_id (message));
      if (!(kurir_message_get_flags (message) & KURIR_MESSAGE_FLAG_SEEN))
        g_ptr_array_add (fresh, message);
    }
  *after = newest_id;
  if (fresh->len == 0 || !data->notify)
    return;

  /* One notification per batch: how many, and the newest one's sender
   * and subject; a click opens that message. */
  first = g_ptr_array_index (fresh, 0);
  account = kurir_message_get_account (first);
  {
    g_autofree char *title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u new message",
                                                           "%u new messages", fresh->len), fresh->len);
    g_autofree char *sender = kurir_message_row_format_sender (kurir_message_get_from (first));
    const char *subject = kurir_message_get_subject (first);
    g_autofree char *body = NULL;

    /* Translators: a new message in a notification: %s the sender, %s the subject */
    body = g_strdup_printf (_("%s: %s"), sender && *sender ? sender : _("Unknown sender"),
                            subject && *subject ? subject : _("(No subject)"));
    notification = g_notification_new (title);
    g_notification_set_body (notification, body);
    g_notification_set_default_action_and_target (notification, "app.open-message", "x",
                                                  kurir_message_get_id (first));
  }
  id = g_strdup_printf ("new-mail-%s", account);
  g_application_send_notification (app, id, notification);
}

/* The Outbox: why a message waits, and the user's decision */

static gboolean
is_outbox_folder (KurirWindow *self,
                  const char  *account,
                  const char  *folder)
{
  for (guint i = 0; self->folders != NULL && i < self->folders->len; i++)
    {
      KurirStoreFolder *f = g_ptr_array_index (self->folders, i);
      if (g_strcmp0 (f->account, account) == 0 && g_strcmp0 (f->name, folder) == 0)
        return g_strcmp0 (f->role, KURIR_OUTBOX_ROLE) == 0;
    }
  return g_strcmp0 (folder, KURIR_OUTBOX_FOLDER) == 0;
}

typedef struct
{
  KurirAccount *account;
  gint64        id;
  gboolean      discard;
} OutboxData;

static void
outbox_data_free (OutboxData *data)
{
  g_clear_object (&data->account);
  g_free (data);
}

static void
outbox_item_thread (GTask        *task,
                    gpointer      source,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  KurirWindow *self = source;
  OutboxData *data = task_data;
  g_autoptr(KurirOutbox) outbox = kurir_outbox_new (data->account, self->store);
  g_autoptr(GError) error = NULL;
  KurirOutboxItem *item = kurir_outbox_get_item (outbox, data->id, &error);

  if (item == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, item, (GDestroyNotify) kurir_outbox_item_free);
}

/* The words for an Outbox message's state. */
static char *
describe_outbox_item (const KurirOutboxItem *item,
                      gboolean              *can_decide)
{
  *can_decide = FALSE;
  switch (item->state)
    {
    case KURIR_OUTBOX_STATE_QUEUED:
      return g_strdup (_("Waiting to be sent."));
    case KURIR_OUTBOX_STATE_WAITING:
      {
        g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (item->next_attempt);
        g_autofree char *time = when != NULL ? g_date_time_format (when, "%X") : g_strdup ("?");

        if (item->reason != NULL)
          /* Translators: %s: why (the server's or the network's words), %s: a time */
          return g_strdup_printf (_("Not sent yet: %s. Next attempt at %s."), item->reason, time);
        /* Translators: %s is a time */
        return g_strdup_printf (_("Not sent yet. Next attempt at %s."), time);
      }
    case KURIR_OUTBOX_STATE_SENDING:
      return g_strdup (_("Being sent now."));
    case KURIR_OUTBOX_STATE_UNCERTAIN:
      *can_decide = TRUE;
      return g_strdup (_("Delivery uncertain: the connection broke after the message was handed over, so it may have arrived. Send it again or discard it."));
    case KURIR_OUTBOX_STATE_FAILED:
      *can_decide = TRUE;
      if (item->reason != NULL)
        /* Translators: %s is the server's answer */
        return g_strdup_printf (_("The server refused this message: %s"), item->reason);
      return g_strdup (_("The server refused this message."));
    case KURIR_OUTBOX_STATE_SENT:
    default:
      return g_strdup (_("Sent: being filed in Sent."));
    }
}

static void
outbox_item_loaded_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  KurirWindow *self = KURIR_WINDOW (source);
  OutboxData *data = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  g_autoptr(KurirOutboxItem) item = g_task_propagate_pointer (G_TASK (result), &error);
  KurirMessage *shown;
  g_autofree char *text = NULL;
  gboolean can_decide = FALSE;

  /* The window is closing. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->reader == NULL)
    return;
  shown = kurir_reader_get_message (self->reader);
  /* Another message is shown by now. */
  if (shown == NULL || kurir_message_get_id (shown) != data->id)
    return;
  /* Sent or discarded meanwhile: the list drops it at its refresh. */
  if (item == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Outbox message %" G_GINT64_FORMAT ": %s", data->id, error->message);
      kurir_reader_set_outbox_status (self->reader, data->id, NULL, FALSE);
      return;
    }
  text = describe_outbox_item (item, &can_decide);
  kurir_reader_set_outbox_status (self->reader, data->id, text, can_decide);
}

static void
show_outbox_status (KurirWindow  *self,
                    KurirMessage *message)
{
  KurirMailAccount *account;
  g_autoptr(GTask) task = NULL;
  OutboxData *data;

  if (message == NULL ||
      !is_outbox_folder (self, kurir_message_get_account (message), kurir_message_get_folder (message)))
    return;
  account = find_account (self, kurir_message_get_account (message));
  if (account == NULL)
    return;

  data = g_new0 (OutboxData, 1);
  data->account = g_object_ref (kurir_mail_account_get_account (account));
  data->id = kurir_message_get_id (message);
  task = g_task_new (self, self->cancellable, outbox_item_loaded_cb, NULL);
  g_task_set_task_data (task, data, (GDestroyNotify) outbox_data_free);
  g_task_run_in_thread (task, outbox_item_thread);
}

static void
outbox_flushed_cb (KurirWindow *self)
{
  /* The window is closing. */
  if (self->reader == NULL || self->cancellable == NULL)
    return;
  refresh_after_change (self);
  show_outbox_status (self, kurir_reader_get_message (self->reader));
}

static void
outbox_decide_thread (GTask        *task,
                      gpointer      source,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  KurirWindow *self = source;
  OutboxData *data = task_data;
  g_autoptr(KurirOutbox) outbox = kurir_outbox_new (data->account, self->store);
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if (data->discard)
    ok = kurir_outbox_discard (outbox, data->id, &error);
  else
    ok = kurir_outbox_resend (outbox, data->id, &error);
  if (!ok)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
outbox_decided_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  KurirWindow *self = KURIR_WINDOW (source);
  OutboxData *data = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  KurirMailAccount *account;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        kurir_window_show_toast (self, error->message);
      return;
    }
  if (data->discard)
    {
      kurir_window_show_toast (self, _("Message discarded"));
      refresh_after_change (self);
      return;
    }
  account = find_account (self, kurir_account_get_name (data->account));
  show_outbox_status (self, kurir_reader_get_message (self->reader));
  if (account != NULL)
    kurir_mail_account_flush_outbox (account);
}

static void
outbox_decide (KurirWindow *self,
               gint64       id,
               gboolean     discard)
{
  KurirMessage *shown = kurir_reader_get_message (self->reader);
  KurirMailAccount *account;
  g_autoptr(GTask) task = NULL;
  OutboxData *data;

  /* The buttons act on the message shown. */
  if (shown == NULL || kurir_message_get_id (shown) != id)
    return;
  account = find_account (self, kurir_message_get_account (shown));
  if (account == NULL)
    return;
  kurir_reader_set_outbox_status (self->reader, id, discard ? _("Discarding…") : _("Sending again…"), FALSE);

  data = g_new0 (OutboxData, 1);
  data->account = g_object_ref (kurir_mail_account_get_account (account));
  data->id = id;
  data->discard = discard;
  task = g_task_new (self, self->cancellable, outbox_decided_cb, NULL);
  g_task_set_task_data (task, data, (GDestroyNotify) outbox_data_free);
  g_task_run_in_thread (task, outbox_decide_thread);
}

static void
outbox_resend_activated_cb (GSimpleAction *action,
                            GVariant      *parameter,
                            gpointer       user_data)
{
  outbox_decide (user_data, g_variant_get_int64 (parameter), FALSE);
}

static void
outbox_discard_activated_cb (GSimpleAction *action,
                             GVariant      *parameter,
                             gpointer       user_data)
{
  outbox_decide (user_data, g_variant_get_int64 (parameter), TRUE);
}

/* Removing an account */

typedef struct
{
  KurirWindow *self;
  KurirStore  *store;
  char        *name;
  gboolean     keep_mail;
  GError      *secret_error;
} RemoveData;

static void
remove_data_free (RemoveData *data)
{
  g_clear_object (&data->self);
  g_clear_object (&data->store);
  g_free (data->name);
  g_clear_error (&data->secret_error);
  g_free (data);
}

static void
account_file_deleted_cb (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  KurirWindow *self = KURIR_WINDOW (source);
  g_autoptr(GError) error = NULL;
  RemoveData *data = g_task_get_task_data (G_TASK (result));
  g_autofree char *text = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      kurir_window_show_toast (self, error->message);
      kurir_window_reload_accounts (self);
      return;
    }
  if (data->secret_error != NULL)
    /* Translators: %s: the account, %s: why the keyring failed */
    text = g_strdup_printf (_("Account “%s” removed, but its passwords stay in the keyring: %s"),
                            data->name, data->secret_error->message);
  else
    /* Translators: %s is the account's name */
    text = g_strdup_printf (_("Account “%s” removed"), data->name);
  kurir_window_show_toast (self, text);
  kurir_window_reload_accounts (self);
  /* Its mail leaves the list shown at once: All Inboxes, or its folder. */
  if (g_strcmp0 (self->account, data->name) == 0)
    show_list (self, NULL, NULL, NULL);
  else if (self->model != NULL)
    kurir_message_list_model_refresh (self->model);
  load_folders (self);
}

/* In a worker thread: the account's journal goes (no server to replay it
 * on); its mail either goes with its folders, or stays, its INBOX emptied
 * into KURIR_SIDEBAR_KEPT_INBOX so it leaves All Inboxes and shows under
 * "Local mail of NAME" in the sidebar. */
static gboolean
remove_account_mail (RemoveData  *data,
                     GError     **error)
{
  g_autoptr(GPtrArray) folders = NULL;

  if (data->store == NULL)
    return TRUE;
  for (int failed = 0; failed < 2; failed++)
    {
      g_autoptr(GPtrArray) entries = kurir_store_journal_list (data->store, data->name, failed, error);

      if (entries == NULL)
        return FALSE;
      for (guint i = 0; i < entries->len; i++)
        if (!kurir_store_journal_remove (data->store,
                                         ((KurirStoreJournalEntry *) g_ptr_array_index (entries, i))->id, error))
          return FALSE;
    }

  folders = kurir_store_list_folders (data->store, data->name, error);
  if (folders == NULL)
    return FALSE;
  if (!data->keep_mail)
    {
      for (guint i = 0; i < folders->len; i++)
        if (!kurir_store_delete_folder (data->store, data->name,
                                        ((KurirStoreFolder *) g_ptr_array_index (folders, i))->name, error))
          return FALSE;
      return TRUE;
    }

  if (!kurir_store_create_folder (data->store, data->name, KURIR_SIDEBAR_KEPT_INBOX, NULL, error))
    return FALSE;
  for (;;)
    {
      g_autoptr(GPtrArray) page = kurir_store_list (data->store, data->name, KURIR_STORE_INBOX, 0, 500, error);

      if (page == NULL)
        return FALSE;
      if (page->len == 0)
        break;
      for (guint i = 0; i < page->len; i++)
        if (!kurir_store_move (data->store, kurir_message_get_id (g_ptr_array_index (page, i)),
                               KURIR_SIDEBAR_KEPT_INBOX, error))
          return FALSE;
    }
  return TRUE;
}

static void
account_file_delete_thread (GTask        *task,
                            gpointer      source,
                            gpointer      task_data,
                            GCancellable *cancellable)
{
  RemoveData *data = task_data;
  g_autoptr(GError) error = NULL;

  if (!remove_account_mail (data, &error) || !kurir_account_delete (data->name, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
secrets_cleared_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  RemoveData *data = user_data;
  g_autoptr(GTask) task = NULL;
  KurirWindow *self = data->self;

  /* The passwords first; the file goes in any case (the user asked for
   * it), and a keyring that failed is said in the toast. */
  kurir_secret_clear_finish (result, &data->secret_error);
  task = g_task_new (self, self->cancellable, account_file_deleted_cb, NULL);
  g_task_set_task_data (task, data, (GDestroyNotify) remove_data_free);
  g_task_run_in_thread (task, account_file_delete_thread);
}

static void
remove_account (KurirWindow *self,
                const char  *name,
                gboolean     keep_mail)
{
  KurirMailAccount *account = find_account (self, name);
  RemoveData *data;

  /* Its sync and IDLE session end first. */
  if (account != NULL)
    kurir_mail_account_cancel (account);
  data = g_new0 (RemoveData, 1);
  data->self = g_object_ref (self);
  data->name = g_strdup (name);
  data->keep_mail = keep_mail;
  data->store = self->store ? g_object_ref (self->store) : NULL;
  /* The core's keyring call reads the name until it ends: data's copy
   * lives that long. */
  kurir_secret_clear_async (data->name, KURIR_SECRET_ALL_PROTOCOLS, NULL, secrets_cleared_cb, data);
}

static void
remove_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    KurirWindow      *self)
{
  const char *name = g_object_get_data (G_OBJECT (dialog), "kurir-account");

  if (g_strcmp0 (response, "remove") == 0 || g_strcmp0 (response, "remove-mail") == 0)
    remove_account (self, name, g_strcmp0 (response, "remove") == 0);
}

static void
preferences_activated_cb (GSimpleAction *action,
                          GVariant      *parameter,
                          gpointer       user_data)
{
  gtk_window_present (GTK_WINDOW (kurir_preferences_window_new (GTK_WINDOW (user_data))));
}

static void
remove_account_activated_cb (GSimpleAction *action,
                             GVariant      *parameter,
                             gpointer       user_data)
{
  KurirWindow *self = user_data;
  const char *name = g_variant_get_string (parameter, NULL);
  g_autofree char *heading = NULL;
  GtkWidget *dialog;

  /* Translators: %s is the account's name */
  heading = g_strdup_printf (_("Remove Account “%s”?"), name);
  dialog = adw_message_dialog_new (GTK_WINDOW (self), heading,
                                   _("Its settings and its passwords in the keyring are removed. "
                                     "Its mail on this computer can stay, readable under "
                                     "“Local mail” in the sidebar, or be deleted too. "
                                     "Mail on the server is not touched."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "remove-mail", _("Remove and _Delete Mail"),
                                    "remove", _("_Remove, Keep Mail"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "remove",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "remove-mail",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "kurir-account", g_strdup (name), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (remove_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
account_synced_cb (KurirMailAccount *account,
                   guint             n_new,
                   gint64            started,
                   KurirWindow      *self)
{
  const char *name = kurir_mail_account_get_name (account);
  NotifyData *data;
  gboolean watching;

  refresh_after_change (self);
  if (g_object_get_data (G_OBJECT (account), "kurir-quiet-sync") != NULL)
    {
      g_object_set_data (G_OBJECT (account), "kurir-quiet-sync", NULL);
      return;
    }
  if (n_new == 0)
    return;

  /* No notification for what the user is looking at, or when they are
   * off; the new mail is still listed, to know it is no news later. */
  watching = gtk_window_is_active (GTK_WINDOW (self)) && self->query == NULL &&
             ((self->account == NULL && self->folder == NULL) ||
              (g_strcmp0 (self->account, name) == 0 && g_strcmp0 (self->folder, KURIR_STORE_INBOX) == 0));
  data = g_new0 (NotifyData, 1);
  data->window = g_object_ref (self);
  data->account = g_object_ref (account);
  data->started = started;
  data->notify = !watching &&
                 (self->settings == NULL || g_settings_get_boolean (self->settings, "notifications"));
  kurir_store_list_async (self->store, name, KURIR_STORE_INBOX, 0, MIN (n_new, 50),
                          self->cancellable, notification_listed_cb, data);
}

static void
account_state_cb (KurirWindow *self)
{
  update_refresh_state (self);
}

static void
folders_loaded_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(KurirWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  GPtrArray *folders;

  folders = kurir_store_list_folders_finish (KURIR_STORE (source), result, &error);
  timing_mark ("folders-listed");
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->folders_loading = FALSE;
  if (folders == NULL)
    kurir_window_show_toast (self, error->message);
  else
    {
      /* An account with nothing in the store yet: its first sync brings
       * all its mail, which is no news to notify. */
      if (!self->folders_seen)
        for (guint i = 0; self->accounts != NULL && i < self->accounts->len; i++)
          {
            const char *name = kurir_mail_account_get_name (g_ptr_array_index (self->accounts, i));
            gboolean known = FALSE;

            for (guint j = 0; j < folders->len && !known; j++)
              known = g_strcmp0 (((KurirStoreFolder *) g_ptr_array_index (folders, j))->account, name) == 0;
            if (!known)
              g_object_set_data (g_ptr_array_index (self->accounts, i), "kurir-quiet-sync", GINT_TO_POINTER (1));
          }
      self->folders_seen = TRUE;
      g_clear_pointer (&self->folders, g_ptr_array_unref);
      self->folders = folders;
      kurir_sidebar_set_content (self->sidebar, self->accounts, self->folders);
      update_title (self);
      update_actions (self);
    }
  if (self->folders_again)
    {
      self->folders_again = FALSE;
      load_folders (self);
    }
}

static void
folder_selected_cb (KurirSidebar *sidebar,
                    const char   *account,
                    const char   *folder,
                    KurirWindow  *self)
{
  if (self->query == NULL && self->model != NULL &&
      g_strcmp0 (account, self->account) == 0 && g_strcmp0 (folder, self->folder) == 0)
    return;
  gtk_toggle_button_set_active (self->search_button, FALSE);
  show_list (self, account, folder, NULL);
}

static void
selection_changed_cb (KurirWindow *self)
{
  show_selected_message (self);
  update_actions (self);
}

static void
model_changed_cb (KurirWindow *self)
{
  update_list_page (self);
}

static void
model_loading_cb (KurirWindow *self)
{
  /* The model going away as the window closes. */
  if (self->model == NULL)
    return;
  timing_mark (kurir_message_list_model_get_loading (self->model) ? "list-loading" : "list-loaded");
  if (self->folders_after_list && !kurir_message_list_model_get_loading (self->model))
    {
      self->folders_after_list = FALSE;
      load_folders (self);
    }
  update_list_page (self);
  /* Once the list shows the result of every change made. */
  if (!kurir_message_list_model_get_loading (self->model) && self->changes_pending == 0 &&
      self->select_after_refresh != G_MAXUINT)
    {
      guint n = g_list_model_get_n_items (G_LIST_MODEL (self->model));
      guint position = MIN (self->select_after_refresh, n > 0 ? n - 1 : 0);

      self->select_after_refresh = G_MAXUINT;
      if (n > 0)
        select_position (self, position);
    }
}

/* Dragging rows: the selected messages when the row is one of them,
 * else its own. */
static GdkContentProvider *
drag_prepare_cb (GtkDragSource *source,
                 double         x,
                 double         y,
                 GtkListItem   *list_item)
{
  KurirWindow *self = g_object_get_data (G_OBJECT (source), "kurir-window");
  g_autofree char *payload = NULL;

  payload = kurir_window_get_drag_payload (self, gtk_list_item_get_position (list_item));
  if (payload == NULL)
    return NULL;
  return gdk_content_provider_new_typed (G_TYPE_STRING, payload);
}

static void
setup_row_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *list_item,
              gpointer                  user_data)
{
  GtkWidget *row = kurir_message_row_new ();
  GtkDragSource *source = gtk_drag_source_new ();

  gtk_drag_source_set_actions (source, GDK_ACTION_MOVE);
  g_object_set_data (G_OBJECT (source), "kurir-window", user_data);
  g_signal_connect (source, "prepare", G_CALLBACK (drag_prepare_cb), list_item);
  gtk_widget_add_controller (row, GTK_EVENT_CONTROLLER (source));
  gtk_list_item_set_child (list_item, row);
}

static void
messages_dropped_cb (KurirSidebar *sidebar,
                     const char   *account,
                     const char   *folder,
                     GVariant     *ids,
                     KurirWindow  *self)
{
  gsize n_ids = 0;
  const gint64 *values = g_variant_get_fixed_array (ids, &n_ids, sizeof (gint64));
  guint elsewhere = 0;

  if (self->model == NULL)
    return;
  self->select_after_refresh = get_first_selected (self);
  for (gsize i = 0; i < n_ids; i++)
    {
      guint position = kurir_message_list_model_find (self->model, values[i]);
      KurirMessage *message = position != G_MAXUINT ? kurir_message_list_model_peek (self->model, position) : NULL;

      /* Gone from the list meanwhile. */
      if (message == NULL)
        continue;
      /* The same path as "Move to": within the message's account. */
      if (g_strcmp0 (kurir_message_get_account (message), account) != 0)
        {
          elsewhere++;
          continue;
        }
      if (g_strcmp0 (kurir_message_get_folder (message), folder) == 0)
        continue;
      move_message (self, message, folder);
    }
  if (elsewhere > 0)
    kurir_window_show_toast (self, _("Mail can only be moved to a folder of its own account"));
}

static void
bind_row_cb (GtkSignalListItemFactory *factory,
             GtkListItem              *list_item,
             gpointer                  user_data)
{
  kurir_message_row_set_item (KURIR_MESSAGE_ROW (gtk_list_item_get_child (list_item)),
                              gtk_list_item_get_item (list_item));
}

static void
unbind_row_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *list_item,
               gpointer                  user_data)
{
  kurir_message_row_set_item (KURIR_MESSAGE_ROW (gtk_list_item_get_child (list_item)), NULL);
}

static void
list_activated_cb (GtkListView *view,
                   guint        position,
                   KurirWindow *self)
{
  g_autoptr(KurirMessageItem) item = g_list_model_get_item (G_LIST_MODEL (self->model), position);
  KurirMessage *message = item ? kurir_message_item_get_message (item) : NULL;

  if (message == NULL)
    return;
  /* A draft opens in the composer, to be continued. */
  for (guint i = 0; self->folders != NULL && i < self->folders->len; i++)
    {
      KurirStoreFolder *folder = g_ptr_array_index (self->folders, i);

      if (g_strcmp0 (folder->role, "drafts") == 0 &&
          g_strcmp0 (folder->account, kurir_message_get_account (message)) == 0 &&
          g_strcmp0 (folder->name, kurir_message_get_folder (message)) == 0)
        {
          ComposeData *data = g_new0 (ComposeData, 1);

          data->self = g_object_ref (self);
          data->message = g_object_ref (message);
          data->action = g_strdup ("open-draft");
          kurir_store_get_raw_async (self->store, kurir_message_get_id (message), self->cancellable,
                                     compose_raw_cb, data);
          return;
        }
    }
  kurir_window_open_message (self, kurir_message_get_id (message));
}

static void
after_paint_cb (GdkFrameClock *clock,
                KurirWindow   *self)
{
  g_printerr ("first-list-frame %" G_GINT64_FORMAT "\n", ms_since_process_start ());
  g_signal_handlers_disconnect_by_func (clock, after_paint_cb, self);
}

static gboolean
has_real_row (GtkWidget *widget)
{
  if (KURIR_IS_MESSAGE_ROW (widget))
    {
      KurirMessageItem *item = kurir_message_row_get_item (KURIR_MESSAGE_ROW (widget));
      return item != NULL && kurir_message_item_get_message (item) != NULL && gtk_widget_get_mapped (widget);
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    if (has_real_row (child))
      return TRUE;
  return FALSE;
}

/* Waits for the first frame with a real message row in it. */
static gboolean
timing_tick_cb (GtkWidget     *widget,
                GdkFrameClock *clock,
                gpointer       user_data)
{
  KurirWindow *self = user_data;

  if (!has_real_row (widget))
    return G_SOURCE_CONTINUE;
  self->timing_tick = 0;
  self->timing_reported = TRUE;
  g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), self);
  return G_SOURCE_REMOVE;
}

static void
search_changed_cb (KurirWindow *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  g_autofree char *query = g_strstrip (g_strdup (text));

  if (*query == '\0')
    {
      if (self->query != NULL)
        show_list (self, self->account, self->folder, NULL);
      return;
    }
  if (g_strcmp0 (query, self->query) != 0)
    show_list (self, self->account, self->folder, query);
}

static void
search_mode_cb (KurirWindow *self)
{
  if (!gtk_search_bar_get_search_mode (self->search_bar))
    {
      gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
      if (self->query != NULL)
        show_list (self, self->account, self->folder, NULL);
    }
}

static void
show_accounts (KurirWindow *self)
{
  /* Their syncs and IDLE sessions end with them. */
  for (guint i = 0; self->accounts != NULL && i < self->accounts->len; i++)
    kurir_mail_account_cancel (g_ptr_array_index (self->accounts, i));
  g_clear_pointer (&self->accounts, g_ptr_array_unref);
  self->accounts = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < self->loaded_accounts->len; i++)
    {
      KurirAccount *account = g_ptr_array_index (self->loaded_accounts, i);
      KurirMailAccount *mail_account;

      /* The outgoing-only settings of an account are no mailbox. */
      if (kurir_account_get_protocol (account) == KURIR_PROTOCOL_SMTP)
        continue;
      mail_account = kurir_mail_account_new (account, self->store);
      g_signal_connect_object (mail_account, "synced", G_CALLBACK (account_synced_cb), self, 0);
      g_signal_connect_object (mail_account, "outbox-flushed", G_CALLBACK (outbox_flushed_cb), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (mail_account, "notify::state", G_CALLBACK (account_state_cb), self,
                               G_CONNECT_SWAPPED);
      g_ptr_array_add (self->accounts, mail_account);
    }

  if (self->accounts->len == 0)
    {
      gtk_stack_set_visible_child_name (self->stack, "welcome");
      return;
    }

  gtk_stack_set_visible_child_name (self->stack, "accounts");
  /* All Inboxes first: its count and first page go to the store before
   * the folders' unread counts, which take longer with much mail (the
   * store runs one call at a time). */
  if (self->model == NULL)
    show_list (self, NULL, NULL, NULL);
  if (self->model != NULL && kurir_message_list_model_get_loading (self->model))
    self->folders_after_list = TRUE;
  else
    load_folders (self);
  start_check_timer (self);
  if (self->settings == NULL || g_settings_get_boolean (self->settings, "check-on-startup"))
    sync_all (self);
  /* IMAP accounts follow INBOX with IDLE while the window is open. */
  for (guint i = 0; i < self->accounts->len; i++)
    kurir_mail_account_watch (g_ptr_array_index (self->accounts, i));
}

static void
load_finished (KurirWindow *self)
{
  if (--self->loads_pending > 0)
    return;

  if (self->load_error != NULL)
    {
      adw_status_page_set_description (self->error_page, self->load_error->message);
      gtk_stack_set_visible_child_name (self->stack, "error");
      return;
    }
  show_accounts (self);
  if (self->reload_again)
    {
      self->reload_again = FALSE;
      kurir_window_reload_accounts (self);
    }
}

static void
accounts_loaded_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(KurirWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  self->loaded_accounts = kurir_account_load_all_finish (result, &error);
  timing_mark ("accounts-loaded");
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (self->loaded_accounts == NULL && self->load_error == NULL)
    self->load_error = g_steal_pointer (&error);
  load_finished (self);
}

static void
store_opened_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(KurirWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  self->store = kurir_store_open_finish (result, &error);
  timing_mark ("store-opened");
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (self->store == NULL && self->load_error == NULL)
    {
      g_prefix_error (&error, _("The mail store cannot be opened: "));
      self->load_error = g_steal_pointer (&error);
    }
  if (self->store != NULL)
    kurir_reader_set_store (self->reader, self->store);
  load_finished (self);
}

/* Actions */

static void
delete_messages (KurirWindow *self,
                 GPtrArray   *messages,
                 GVariant    *parameter)
{
  for (guint i = 0; i < messages->len; i++)
    {
      KurirMessage *message = g_ptr_array_index (messages, i);
      KurirStoreFolder *trash = find_folder_with_role (self, kurir_message_get_account (message), "trash");
      KurirMailAccount *account = find_journalled (self, message);

      /* The journal knows the account's Trash. */
      if (account != NULL)
        {
          self->changes_pending++;
          kurir_mail_account_delete_async (account, kurir_message_get_id (message), self->cancellable,
                                           change_done_cb, g_object_ref (self));
          continue;
        }
      /* To the Trash, unless it is there already or there is none. */
      if (trash != NULL && g_strcmp0 (trash->name, kurir_message_get_folder (message)) != 0)
        move_message (self, message, trash->name);
      else
        {
          self->changes_pending++;
          kurir_store_delete_async (self->store, kurir_message_get_id (message),
                                    self->cancellable, change_done_cb, g_object_ref (self));
        }
    }
}

static void
delete_activated_cb (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  KurirWindow *self = user_data;

  if (get_first_selected (self) == G_MAXUINT)
    return;
  self->select_after_refresh = get_first_selected (self);
  with_selected_messages (self, delete_messages, NULL);
}

static void
mark_read (KurirWindow *self,
           GPtrArray   *messages,
           GVariant    *parameter)
{
  set_flags_on (self, messages, KURIR_MESSAGE_FLAG_SEEN, 0);
}

static void
mark_unread (KurirWindow *self,
             GPtrArray   *messages,
             GVariant    *parameter)
{
  set_flags_on (self, messages, 0, KURIR_MESSAGE_FLAG_SEEN);
}

static void
mark_read_activated_cb (GSimpleAction *action,
                        GVariant      *parameter,
                        gpointer       user_data)
{
  with_selected_messages (user_data, mark_read, NULL);
}

static void
mark_unread_activated_cb (GSimpleAction *action,
                          GVariant      *parameter,
                          gpointer       user_data)
{
  with_selected_messages (user_data, mark_unread, NULL);
}

static void
toggle_read (KurirWindow *self,
             GPtrArray   *messages,
             GVariant    *parameter)
{
  gboolean unread = FALSE;

  for (guint i = 0; i < messages->len; i++)
    unread |= !(kurir_message_get_flags (g_ptr_array_index (messages, i)) & KURIR_MESSAGE_FLAG_SEEN);
  if (unread)
    set_flags_on (self, messages, KURIR_MESSAGE_FLAG_SEEN, 0);
  else
    set_flags_on (self, messages, 0, KURIR_MESSAGE_FLAG_SEEN);
}

static void
toggle_read_activated_cb (GSimpleAction *action,
                          GVariant      *parameter,
                          gpointer       user_data)
{
  with_selected_messages (user_data, toggle_read, NULL);
}

static void
toggle_flag (KurirWindow *self,
             GPtrArray   *messages,
             GVariant    *parameter)
{
  gboolean all_flagged = messages->len > 0;

  for (guint i = 0; i < messages->len; i++)
    all_flagged &= (kurir_message_get_flags (g_ptr_array_index (messages, i)) & KURIR_MESSAGE_FLAG_FLAGGED) != 0;
  if (all_flagged)
    set_flags_on (self, messages, 0, KURIR_MESSAGE_FLAG_FLAGGED);
  else
    set_flags_on (self, messages, KURIR_MESSAGE_FLAG_FLAGGED, 0);
}

static void
toggle_flag_activated_cb (GSimpleAction *action,
                          GVariant      *parameter,
                          gpointer       user_data)
{
  with_selected_messages (user_data, toggle_flag, NULL);
}

static void
move_messages (KurirWindow *self,
               GPtrArray   *messages,
               GVariant    *parameter)
{
  const char *folder = g_variant_get_string (parameter, NULL);

  for (guint i = 0; i < messages->len; i++)
    {
      KurirMessage *message = g_ptr_array_index (messages, i);

      if (g_strcmp0 (kurir_message_get_folder (message), folder) == 0)
        continue;
      move_message (self, message, folder);
    }
}

static void
move_to_activated_cb (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  KurirWindow *self = user_data;

  self->select_after_refresh = get_first_selected (self);
  with_selected_messages (self, move_messages, parameter);
}

static void
refresh_activated_cb (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  KurirWindow *self = user_data;

  sync_all (self);
  refresh_after_change (self);
}

static void
sync_account_activated_cb (GSimpleAction *action,
                           GVariant      *parameter,
                           gpointer       user_data)
{
  KurirMailAccount *account = find_account (user_data, g_variant_get_string (parameter, NULL));

  if (account != NULL)
    kurir_mail_account_sync (account);
}

static void
next_message_activated_cb (GSimpleAction *action,
                           GVariant      *parameter,
                           gpointer       user_data)
{
  KurirWindow *self = user_data;
  guint position = get_first_selected (self);

  select_position (self, position == G_MAXUINT ? 0 : position + 1);
}

static void
previous_message_activated_cb (GSimpleAction *action,
                               GVariant      *parameter,
                               gpointer       user_data)
{
  KurirWindow *self = user_data;
  guint position = get_first_selected (self);

  if (position != G_MAXUINT && position > 0)
    select_position (self, position - 1);
}

static void
open_in_window_activated_cb (GSimpleAction *action,
                             GVariant      *parameter,
                             gpointer       user_data)
{
  KurirWindow *self = user_data;
  g_autoptr(GPtrArray) messages = get_selected_messages (self);

  if (messages->len == 1)
    kurir_window_open_message (self, kurir_message_get_id (g_ptr_array_index (messages, 0)));
}

static void
search_activated_cb (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  KurirWindow *self = user_data;

  gtk_toggle_button_set_active (self->search_button, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static void
plain_text_activated_cb (GSimpleAction *action,
                         GVariant      *parameter,
                         gpointer       user_data)
{
  KurirWindow *self = user_data;

  kurir_reader_set_prefer_plain (self->reader, !kurir_reader_get_prefer_plain (self->reader));
}

static void
conversations_change_cb (GSimpleAction *action,
                         GVariant      *value,
                         gpointer       user_data)
{
  KurirWindow *self = user_data;
  gboolean on = g_variant_get_boolean (value);

  g_simple_action_set_state (action, value);
  if (self->settings != NULL && g_settings_get_boolean (self->settings, "conversation-view") != on)
    g_settings_set_boolean (self->settings, "conversation-view", on);
  if (self->conversations == on)
    return;
  self->conversations = on;
  if (self->model != NULL && self->query == NULL)
    show_list (self, self->account, self->folder, NULL);
}

static void
conversation_setting_cb (KurirWindow *self)
{
  g_action_group_change_action_state (G_ACTION_GROUP (self), "conversations",
                                      g_variant_new_boolean (g_settings_get_boolean (self->settings,
                                                                                     "conversation-view")));
}

static void
view_source_activated_cb (GSimpleAction *action,
                          GVariant      *parameter,
                          gpointer       user_data)
{
  KurirWindow *self = user_data;

  gtk_widget_activate_action (GTK_WIDGET (self->reader), "reader.view-source", NULL);
}

static void
composer_sent_cb (KurirComposer *composer,
                  gboolean       delivered,
                  const char    *text,
                  gpointer       user_data)
{
  KurirWindow *self = user_data;

  kurir_window_show_toast (self, text);
  refresh_after_change (self);
}

/* A composer with every account as an identity; @message's own first. */
static KurirComposer *
new_composer (KurirWindow  *self,
              KurirMessage *message)
{
  g_autoptr(GPtrArray) identities = g_ptr_array_new_with_free_func (g_object_unref);
  KurirMailAccount *chosen = message != NULL ? find_account (self, kurir_message_get_account (message)) : NULL;
  KurirComposer *composer;

  for (guint i = 0; self->accounts != NULL && i < self->accounts->len; i++)
    g_ptr_array_add (identities,
                     g_object_ref (kurir_mail_account_get_account (g_ptr_array_index (self->accounts, i))));
  composer = kurir_composer_new (gtk_window_get_application (GTK_WINDOW (self)), self->store, identities,
                                 chosen != NULL ? kurir_mail_account_get_account (chosen) : NULL);
  g_signal_connect_object (composer, "sent", G_CALLBACK (composer_sent_cb), self, 0);
  return composer;
}

static void
compose_raw_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  ComposeData *data = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) raw = kurir_store_get_raw_finish (KURIR_STORE (source), result, &error);

  if (raw == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        kurir_window_show_toast (data->self, error->message);
    }
  else
    {
      KurirComposer *composer = new_composer (data->self, data->message);

      if (g_str_equal (data->action, "reply"))
        kurir_composer_start_reply (composer, raw, FALSE);
      else if (g_str_equal (data->action, "reply-all"))
        kurir_composer_start_reply (composer, raw, TRUE);
      else if (g_str_equal (data->action, "forward-attachment"))
        kurir_composer_start_forward (composer, raw, KURIR_FORWARD_ATTACHMENT);
      else if (g_str_equal (data->action, "open-draft"))
        kurir_composer_open_draft (composer, kurir_message_get_id (data->message), raw);
      else
        kurir_composer_start_forward (composer, raw, KURIR_FORWARD_INLINE);
      gtk_window_present (GTK_WINDOW (composer));
    }
  g_object_unref (data->self);
  g_object_unref (data->message);
  g_free (data->action);
  g_free (data);
}

static gboolean compose_when_ready_cb (gpointer user_data);

static void
compose_activated_cb (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  KurirWindow *self = user_data;
  const char *name = g_action_get_name (G_ACTION (action));
  g_autoptr(GPtrArray) messages = NULL;
  KurirMessage *message;
  ComposeData *data;

  if (self->store == NULL)
    {
      /* Still loading: again in a moment (an app.new-message or a mailto:
       * link may come before the store is open). */
      if (g_str_equal (name, "compose"))
        {
          g_object_set_data_full (G_OBJECT (self), "kurir-pending-compose",
                                  g_variant_dup_string (parameter, NULL), g_free);
          g_timeout_add (100, compose_when_ready_cb, g_object_ref (self));
        }
      return;
    }
  if (g_str_equal (name, "compose"))
    {
      KurirComposer *composer = new_composer (self, NULL);
      const char *uri = g_variant_get_string (parameter, NULL);

      if (*uri != '\0')
        kurir_composer_fill_mailto (composer, uri);
      gtk_window_present (GTK_WINDOW (composer));
      return;
    }

  message = kurir_reader_get_message (self->reader);
  if (message == NULL)
    {
      messages = get_selected_messages (self);
      message = messages->len == 1 ? g_ptr_array_index (messages, 0) : NULL;
    }
  if (message == NULL)
    return;
  data = g_new0 (ComposeData, 1);
  data->self = g_object_ref (self);
  data->message = g_object_ref (message);
  data->action = g_strdup (name);
  kurir_store_get_raw_async (self->store, kurir_message_get_id (message), self->cancellable,
                             compose_raw_cb, data);
}

static gboolean
compose_when_ready_cb (gpointer user_data)
{
  g_autoptr(KurirWindow) self = user_data;
  const char *uri = g_object_get_data (G_OBJECT (self), "kurir-pending-compose");

  if (uri == NULL || gtk_widget_in_destruction (GTK_WIDGET (self)))
    return G_SOURCE_REMOVE;
  if (self->store == NULL && self->load_error == NULL)
    {
      g_timeout_add (100, compose_when_ready_cb, g_object_ref (self));
      return G_SOURCE_REMOVE;
    }
  if (self->store != NULL)
    g_action_group_activate_action (G_ACTION_GROUP (self), "compose", g_variant_new_string (uri));
  g_object_set_data (G_OBJECT (self), "kurir-pending-compose", NULL);
  return G_SOURCE_REMOVE;
}

/* Overrides */

static gboolean
kurir_window_close_request (GtkWindow *window)
{
  KurirWindow *self = KURIR_WINDOW (window);
  int width, height;

  if (self->settings != NULL)
    {
      gtk_window_get_default_size (window, &width, &height);
      g_settings_delay (self->settings);
      g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));
      if (!gtk_window_is_maximized (window) && width > 0 && height > 0)
        {
          g_settings_set_int (self->settings, "window-width", width);
          g_settings_set_int (self->settings, "window-height", height);
        }
      g_settings_apply (self->settings);
    }

  return GTK_WINDOW_CLASS (kurir_window_parent_class)->close_request (window);
}

static void
kurir_window_dispose (GObject *object)
{
  KurirWindow *self = KURIR_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  if (self->accounts_monitor != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->accounts_monitor, self);
      g_file_monitor_cancel (self->accounts_monitor);
      g_clear_object (&self->accounts_monitor);
    }
  g_clear_handle_id (&self->accounts_changed_source, g_source_remove);
  if (self->thread_cancellable != NULL)
    g_cancellable_cancel (self->thread_cancellable);
  g_clear_object (&self->thread_cancellable);
  for (guint i = 0; self->accounts != NULL && i < self->accounts->len; i++)
    kurir_mail_account_cancel (g_ptr_array_index (self->accounts, i));
  if (self->timing_tick != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self->list_view), self->timing_tick);
  self->timing_tick = 0;
  if (self->waiting_item != NULL)
    g_clear_signal_handler (&self->waiting_id, self->waiting_item);
  g_clear_object (&self->waiting_item);
  if (self->list_view != NULL)
    gtk_list_view_set_model (self->list_view, NULL);
  if (self->model != NULL)
    g_signal_handlers_disconnect_by_data (self->model, self);
  if (self->selection != NULL)
    g_signal_handlers_disconnect_by_data (self->selection, self);
  g_clear_object (&self->selection);
  g_clear_object (&self->model);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->accounts, g_ptr_array_unref);
  g_clear_pointer (&self->loaded_accounts, g_ptr_array_unref);
  g_clear_pointer (&self->folders, g_ptr_array_unref);
  g_clear_object (&self->store);

  gtk_widget_dispose_template (GTK_WIDGET (self), KURIR_TYPE_WINDOW);
  G_OBJECT_CLASS (kurir_window_parent_class)->dispose (object);
}

static void
kurir_window_finalize (GObject *object)
{
  KurirWindow *self = KURIR_WINDOW (object);

  g_clear_error (&self->load_error);
  g_free (self->account);
  g_free (self->folder);
  g_free (self->query);
  G_OBJECT_CLASS (kurir_window_parent_class)->finalize (object);
}

static void
kurir_window_constructed (GObject *object)
{
  KurirWindow *self = KURIR_WINDOW (object);

  G_OBJECT_CLASS (kurir_window_parent_class)->constructed (object);

  timing_mark ("window-constructed");
  self->loads_pending = 2;
  kurir_account_load_all_async (self->cancellable, accounts_loaded_cb, g_object_ref (self));
  kurir_store_open_async (NULL, self->cancellable, store_opened_cb, g_object_ref (self));
}

static void
kurir_window_class_init (KurirWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  window_class->close_request = kurir_window_close_request;
  object_class->dispose = kurir_window_dispose;
  object_class->finalize = kurir_window_finalize;
  object_class->constructed = kurir_window_constructed;

  g_type_ensure (KURIR_TYPE_SIDEBAR);
  g_type_ensure (KURIR_TYPE_READER);
  g_type_ensure (KURIR_TYPE_THREAD_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/kurir/Kurir/kurir-window.ui");
  gtk_widget_class_bind_template_child (widget_class, KurirWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, KurirWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, KurirWindow, error_page);
  gtk_widget_class_bind_template_child (widget_class, KurirWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, KurirWindow, list_title);
  gtk_widget_class_bind_template_child (widget_class, KurirWindow, refresh_stack);
  gtk_widget_class_bind_template_child (widget_class, KurirWindow, refresh_spinner);
  gtk_widget_class_bind_template_child (widget_class, KurirWindow, search_button);
  gtk_widget_class_bind_template_child (widget_class, KurirWindow, search_bar);
  gtk_widget_class_bind_template_child (widget_class, KurirWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, KurirWindow, list_stack);
  gtk_widget_class_bind_template_child (widget_class, KurirWindow, list_view);
  gtk_widget_class_bind_template_child (widget_class, KurirWindow, empty_page);
  gtk_widget_class_bind_template_child (widget_class, KurirWindow, move_button);
  gtk_widget_class_bind_template_child (widget_class, KurirWindow, flag_button);
  gtk_widget_class_bind_template_child (widget_class, KurirWindow, read_button);
  gtk_widget_class_bind_template_child (widget_class, KurirWindow, reader);
  gtk_widget_class_bind_template_child (widget_class, KurirWindow, thread_view);
}

static void
kurir_window_init (KurirWindow *self)
{
  static const GActionEntry actions[] = {
    { "delete", delete_activated_cb },
    { "mark-read", mark_read_activated_cb },
    { "mark-unread", mark_unread_activated_cb },
    { "toggle-read", toggle_read_activated_cb },
    { "toggle-flag", toggle_flag_activated_cb },
    { "move-to", move_to_activated_cb, "s" },
    { "outbox-resend", outbox_resend_activated_cb, "x" },
    { "remove-account", remove_account_activated_cb, "s" },
    { "preferences", preferences_activated_cb },
    { "outbox-discard", outbox_discard_activated_cb, "x" },
    { "refresh", refresh_activated_cb },
    { "sync-account", sync_account_activated_cb, "s" },
    { "next-message", next_message_activated_cb },
    { "previous-message", previous_message_activated_cb },
    { "open-in-window", open_in_window_activated_cb },
    { "search", search_activated_cb },
    { "plain-text", plain_text_activated_cb },
    { "view-source", view_source_activated_cb },
    { "reply", compose_activated_cb },
    { "reply-all", compose_activated_cb },
    { "forward", compose_activated_cb },
    { "forward-attachment", compose_activated_cb },
    { "compose", compose_activated_cb, "s" },
    { "conversations", NULL, NULL, "false", conversations_change_cb },
  };
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();

  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->select_after_refresh = G_MAXUINT;
  gtk_stack_set_visible_child_name (self->stack, "loading");

  g_action_map_add_action_entries (G_ACTION_MAP (self), actions, G_N_ELEMENTS (actions), self);
  /* Until one message is selected. */
  set_action_enabled (self, "reply", FALSE);
  set_action_enabled (self, "reply-all", FALSE);
  set_action_enabled (self, "forward", FALSE);
  set_action_enabled (self, "forward-attachment", FALSE);

  g_signal_connect (factory, "setup", G_CALLBACK (setup_row_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row_cb), NULL);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_row_cb), NULL);
  gtk_list_view_set_factory (self->list_view, factory);
  g_signal_connect (self->list_view, "activate", G_CALLBACK (list_activated_cb), self);
  g_signal_connect (self->sidebar, "folder-selected", G_CALLBACK (folder_selected_cb), self);
  g_signal_connect (self->sidebar, "messages-dropped", G_CALLBACK (messages_dropped_cb), self);
  g_signal_connect (self->thread_view, "message-selected", G_CALLBACK (thread_message_selected_cb), self);
  g_signal_connect_swapped (self->search_entry, "search-changed", G_CALLBACK (search_changed_cb), self);
  g_signal_connect_swapped (self->search_bar, "notify::search-mode-enabled", G_CALLBACK (search_mode_cb), self);
  gtk_search_bar_connect_entry (self->search_bar, GTK_EDITABLE (self->search_entry));

  if (g_strcmp0 (g_getenv ("KURIR_DEBUG_TIMING"), "1") == 0)
    self->timing_tick = gtk_widget_add_tick_callback (GTK_WIDGET (self->list_view), timing_tick_cb, self, NULL);

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, APP_ID, TRUE);
  if (schema != NULL)
    {
      self->settings = g_settings_new (APP_ID);
      gtk_window_set_default_size (GTK_WINDOW (self),
                                   g_settings_get_int (self->settings, "window-width"),
                                   g_settings_get_int (self->settings, "window-height"));
      if (g_settings_get_boolean (self->settings, "window-maximized"))
        gtk_window_maximize (GTK_WINDOW (self));
      g_signal_connect_swapped (self->settings, "changed::check-interval-minutes",
                                G_CALLBACK (check_interval_changed_cb), self);
      g_signal_connect_swapped (self->settings, "changed::conversation-view",
                                G_CALLBACK (conversation_setting_cb), self);
      conversation_setting_cb (self);
    }
  else
    g_warning ("The settings schema %s is not installed; window size will not be kept", APP_ID);

  {
    g_autofree char *dir = kurir_account_get_config_dir ();
    g_autoptr(GFile) file = g_file_new_for_path (dir);
    g_autoptr(GError) error = NULL;

    self->accounts_monitor = g_file_monitor_directory (file, G_FILE_MONITOR_NONE, NULL, &error);
    if (self->accounts_monitor != NULL)
      g_signal_connect (self->accounts_monitor, "changed", G_CALLBACK (accounts_changed_cb), self);
    else
      g_debug ("Not following %s: %s", dir, error->message);
  }

  update_actions (self);
}

/* Loaders */

static void
load_folders (KurirWindow *self)
{
  if (self->store == NULL)
    return;
  if (self->folders_loading)
    {
      self->folders_again = TRUE;
      return;
    }
  self->folders_loading = TRUE;
  kurir_store_list_folders_async (self->store, NULL, self->cancellable, folders_loaded_cb, g_object_ref (self));
}

static void
show_list (KurirWindow *self,
           const char  *account,
           const char  *folder,
           const char  *query)
{
  g_autoptr(KurirMessageListModel) model = NULL;
  char *tmp;

  if (self->store == NULL)
    return;

  tmp = g_strdup (account);
  g_free (self->account);
  self->account = tmp;
  tmp = g_strdup (folder);
  g_free (self->folder);
  self->folder = tmp;
  tmp = g_strdup (query);
  g_free (self->query);
  self->query = tmp;
  /* The arguments may have been these fields, freed just now. */
  account = self->account;
  folder = self->folder;
  query = self->query;

  if (self->model != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->model, self);
      g_signal_handlers_disconnect_by_data (self->selection, self);
    }

  if (query != NULL)
    model = kurir_message_list_model_new_search (self->store, query);
  else if (self->conversations)
    model = kurir_message_list_model_new_threads (self->store, account, folder);
  else
    model = kurir_message_list_model_new (self->store, account, folder);
  g_set_object (&self->model, model);
  g_clear_object (&self->selection);
  self->selection = gtk_multi_selection_new (g_object_ref (G_LIST_MODEL (model)));
  self->select_after_refresh = G_MAXUINT;
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (self->selection));

  g_signal_connect_swapped (self->selection, "selection-changed", G_CALLBACK (selection_changed_cb), self);
  g_signal_connect_swapped (self->selection, "items-changed", G_CALLBACK (model_changed_cb), self);
  g_signal_connect_swapped (model, "notify::loading", G_CALLBACK (model_loading_cb), self);

  hide_thread (self);
  kurir_reader_set_message (self->reader, NULL);
  update_title (self);
  update_list_page (self);
}

/* Public API */

KurirWindow *
kurir_window_new (GtkApplication *application)
{
  return g_object_new (KURIR_TYPE_WINDOW, "application", application, NULL);
}

const char *
kurir_window_get_visible_page (KurirWindow *self)
{
  g_return_val_if_fail (KURIR_IS_WINDOW (self), NULL);
  return gtk_stack_get_visible_child_name (self->stack);
}

void
kurir_window_show_toast (KurirWindow *self,
                         const char  *message)
{
  g_return_if_fail (KURIR_IS_WINDOW (self));
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
}

static void
get_message_thread (GTask        *task,
                    gpointer      source,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  KurirWindow *self = source;
  GError *error = NULL;
  KurirMessage *message = kurir_store_get_message (self->store, *(gint64 *) task_data, &error);

  if (message == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, message, g_object_unref);
}

static void
message_got_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  KurirWindow *self = KURIR_WINDOW (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(KurirMessage) message = g_task_propagate_pointer (G_TASK (result), &error);
  KurirMessageWindow *window;

  if (message == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        kurir_window_show_toast (self, error->message);
      return;
    }
  window = kurir_message_window_new (gtk_window_get_application (GTK_WINDOW (self)), self->store, message);
  gtk_window_present (GTK_WINDOW (window));
}

void
kurir_window_open_message (KurirWindow *self,
                           gint64       id)
{
  g_autoptr(GTask) task = NULL;
  gint64 *data;

  g_return_if_fail (KURIR_IS_WINDOW (self));

  if (self->store == NULL)
    return;
  task = g_task_new (self, self->cancellable, message_got_cb, NULL);
  g_task_set_source_tag (task, kurir_window_open_message);
  data = g_new (gint64, 1);
  *data = id;
  g_task_set_task_data (task, data, g_free);
  g_task_run_in_thread (task, get_message_thread);
}

KurirStore *
kurir_window_get_store (KurirWindow *self)
{
  g_return_val_if_fail (KURIR_IS_WINDOW (self), NULL);
  return self->store;
}

KurirSidebar *
kurir_window_get_sidebar (KurirWindow *self)
{
  g_return_val_if_fail (KURIR_IS_WINDOW (self), NULL);
  return self->sidebar;
}

KurirReader *
kurir_window_get_reader (KurirWindow *self)
{
  g_return_val_if_fail (KURIR_IS_WINDOW (self), NULL);
  return self->reader;
}

KurirMessageListModel *
kurir_window_get_message_model (KurirWindow *self)
{
  g_return_val_if_fail (KURIR_IS_WINDOW (self), NULL);
  return self->model;
}

GtkSelectionModel *
kurir_window_get_selection (KurirWindow *self)
{
  g_return_val_if_fail (KURIR_IS_WINDOW (self), NULL);
  return self->selection ? GTK_SELECTION_MODEL (self->selection) : NULL;
}

gboolean
kurir_window_get_busy (KurirWindow *self)
{
  g_return_val_if_fail (KURIR_IS_WINDOW (self), FALSE);
  return self->loads_pending > 0 || self->reloading || self->folders_loading || self->changes_pending > 0 ||
         (self->model != NULL && kurir_message_list_model_get_loading (self->model));
}

void
kurir_window_search (KurirWindow *self,
                     const char  *query)
{
  g_return_if_fail (KURIR_IS_WINDOW (self));

  gtk_toggle_button_set_active (self->search_button, query != NULL && *query != '\0');
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), query ? query : "");
  /* Now, not after the entry's typing delay. */
  search_changed_cb (self);
}

KurirMailAccount *
kurir_window_find_account (KurirWindow *self,
                           const char  *name)
{
  g_return_val_if_fail (KURIR_IS_WINDOW (self), NULL);
  return find_account (self, name);
}

static void
accounts_reloaded_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(KurirWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  GPtrArray *accounts;

  accounts = kurir_account_load_all_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->reloading = FALSE;
  if (accounts == NULL)
    kurir_window_show_toast (self, error->message);
  else
    {
      g_clear_pointer (&self->loaded_accounts, g_ptr_array_unref);
      self->loaded_accounts = accounts;
      show_accounts (self);
      /* The first sync after a reload brings a new account's mail, or
       * all of an account whose server changed: no news to notify. */
      for (guint i = 0; self->accounts != NULL && i < self->accounts->len; i++)
        g_object_set_data (g_ptr_array_index (self->accounts, i), "kurir-quiet-sync", GINT_TO_POINTER (1));
    }
  if (self->reload_again)
    {
      self->reload_again = FALSE;
      kurir_window_reload_accounts (self);
    }
}

void
kurir_window_reload_accounts (KurirWindow *self)
{
  g_return_if_fail (KURIR_IS_WINDOW (self));

  /* Still loading: read them again once that is done. */
  if (self->loads_pending > 0 || self->reloading || self->store == NULL)
    {
      self->reload_again = TRUE;
      return;
    }
  self->reloading = TRUE;
  kurir_account_load_all_async (self->cancellable, accounts_reloaded_cb, g_object_ref (self));
}

char *
kurir_window_get_drag_payload (KurirWindow *self,
                               guint        position)
{
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  KurirMessage *message;

  g_return_val_if_fail (KURIR_IS_WINDOW (self), NULL);

  if (self->model == NULL || self->selection == NULL)
    return NULL;
  if (gtk_selection_model_is_selected (GTK_SELECTION_MODEL (self->selection), position))
    {
      g_autoptr(GPtrArray) messages = get_selected_messages (self);

      for (guint i = 0; i < messages->len; i++)
        {
          gint64 id = kurir_message_get_id (g_ptr_array_index (messages, i));
          g_array_append_val (ids, id);
        }
    }
  else if ((message = kurir_message_list_model_peek (self->model, position)) != NULL)
    {
      gint64 id = kurir_message_get_id (message);
      g_array_append_val (ids, id);
    }
  if (ids->len == 0)
    return NULL;
  return kurir_sidebar_drag_payload ((const gint64 *) ids->data, ids->len);
}

KurirThreadView *
kurir_window_get_thread_view (KurirWindow *self)
{
  g_return_val_if_fail (KURIR_IS_WINDOW (self), NULL);
  return self->thread_view;
}
