/* test-composer.c: the composer under a real X server (Xvfb): a reply
 * fills the recipients, the subject and the quoted text; a mailto: URI
 * fills the fields (attach= ignored); a draft survives closing and
 * reopening; the warning about a missing attachment
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE
#include "config.h"

#include <adwaita.h>
#include <string.h>

#include "kurir-account.h"
#include "kurir-composer.h"
#include "kurir-store.h"
#include "kurir-test-util.h"

#define WAIT_SECONDS 30

#include "kurir-app-test.h"

static KurirStore *store;

static const char original[] =
  "From: Bob Builder <bob@example.com>\r\n"
  "To: Alice <alice@example.org>, carol@example.com\r\n"
  "Cc: dan@example.com\r\n"
  "Subject: Re: Re: =?UTF-8?Q?Laporan_bulanan_=E2=80=94_Juni?=\r\n"
  "Date: Tue, 24 Nov 2026 10:00:00 +0000\r\n"
  "Message-ID: <m2@example.com>\r\n"
  "References: <m1@example.com>\r\n"
  "Content-Type: text/plain; charset=UTF-8\r\n"
  "\r\n"
  "Halo Alice,\r\n"
  "angkanya sudah siap.\r\n";

/* Helpers */

static KurirStore *
open_store (void)
{
  g_autoptr(GError) error = NULL;
  KurirStore *opened = kurir_store_open (NULL, &error);

  g_assert_no_error (error);
  store = opened;
  return opened;
}

static KurirAccount *
local_account (void)
{
  static guint serial;
  g_autofree char *name = g_strdup_printf ("composer-%u", ++serial);
  KurirAccount *account = kurir_account_new (name);

  kurir_account_set_email (account, "alice@example.org");
  kurir_account_set_protocol (account, KURIR_PROTOCOL_LOCAL);
  return account;
}

static KurirComposer *
new_composer (KurirAccount *account)
{
  g_autoptr(GPtrArray) accounts = g_ptr_array_new_with_free_func (g_object_unref);

  g_ptr_array_add (accounts, g_object_ref (account));
  return kurir_composer_new (NULL, store, accounts, account);
}

static void
draft_saved_cb (KurirComposer *composer,
                gint64         id,
                gpointer       user_data)
{
  *(gint64 *) user_data = id;
}

static void
destroyed_cb (GtkWidget *widget,
              gpointer   user_data)
{
  *(gboolean *) user_data = TRUE;
}

/* Tests */

static void
test_reply (void)
{
  g_autoptr(KurirStore) test_store = open_store ();
  g_autoptr(KurirAccount) account = local_account ();
  g_autoptr(GBytes) raw = g_bytes_new_static (original, sizeof original - 1);
  KurirComposer *composer = new_composer (account);
  KurirComposer *reply_all = new_composer (account);
  g_autofree char *body = NULL;

  kurir_composer_start_reply (composer, raw, FALSE);
  gtk_window_present (GTK_WINDOW (composer));
  WAIT_FOR (gtk_widget_get_mapped (GTK_WIDGET (composer)));

  g_assert_cmpstr (kurir_composer_get_to (composer), ==, "Bob Builder <bob@example.com>");
  g_assert_cmpstr (kurir_composer_get_cc (composer), ==, "");
  g_assert_cmpstr (kurir_composer_get_subject (composer), ==, "Re: Laporan bulanan — Juni");
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (composer)), ==, "Re: Laporan bulanan — Juni");
  body = kurir_composer_get_body (composer);
  g_assert_true (g_str_has_prefix (body, "\n\nOn "));
  g_assert_nonnull (strstr (body, ", Bob Builder wrote:\n> Halo Alice,\n> angkanya sudah siap.\n"));
  /* Quoting "attached" or not, nothing is said about an attachment yet. */
  g_assert_false (kurir_composer_get_attachment_warning (composer));

  kurir_composer_start_reply (reply_all, raw, TRUE);
  g_assert_cmpstr (kurir_composer_get_to (reply_all), ==, "Bob Builder <bob@example.com>");
  g_assert_cmpstr (kurir_composer_get_cc (reply_all), ==, "carol@example.com, dan@example.com");

  gtk_window_destroy (GTK_WINDOW (reply_all));
  gtk_window_destroy (GTK_WINDOW (composer));
}

static void
test_mailto (void)
{
  g_autoptr(KurirStore) test_store = open_store ();
  g_autoptr(KurirAccount) account = local_account ();
  KurirComposer *composer = new_composer (account);
  g_autofree char *body = NULL;

  g_assert_false (kurir_composer_fill_mailto (composer, "http://example.com/"));
  g_assert_true (kurir_composer_fill_mailto (composer,
                                             "mailto:peggy@example.com?cc=quentin%40example.com"
                                             "&to=trent@example.com&subject=Hal%C3%B3%20dunia%0D%0ABcc:%20x"
                                             "&body=Baris%20satu%0D%0ABaris+dua&attach=/etc/passwd"));
  g_assert_cmpstr (kurir_composer_get_to (composer), ==, "peggy@example.com, trent@example.com");
  g_assert_cmpstr (kurir_composer_get_cc (composer), ==, "quentin@example.com");
  g_assert_cmpstr (kurir_composer_get_bcc (composer), ==, "");
  g_assert_cmpstr (kurir_composer_get_subject (composer), ==, "Haló dunia  Bcc: x");
  body = kurir_composer_get_body (composer);
  g_assert_cmpstr (body, ==, "Baris satu\nBaris+dua");
  g_assert_cmpuint (kurir_composer_get_n_attachments (composer), ==, 0);

  gtk_window_destroy (GTK_WINDOW (composer));
}

static void
test_draft (void)
{
  g_autoptr(KurirStore) test_store = open_store ();
  g_autoptr(KurirAccount) account = local_account ();
  KurirComposer *composer = new_composer (account);
  KurirComposer *again = NULL;
  g_autoptr(GBytes) raw = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *body = NULL;
  gint64 saved = 0, second = 0;
  gboolean destroyed = FALSE;

  g_signal_connect (composer, "draft-saved", G_CALLBACK (draft_saved_cb), &saved);
  g_signal_connect (composer, "destroy", G_CALLBACK (destroyed_cb), &destroyed);
  gtk_window_present (GTK_WINDOW (composer));
  g_assert_true (kurir_composer_fill_mailto (composer, "mailto:peggy@example.com?subject=Draf"));
  g_assert_true (kurir_composer_fill_mailto (composer,
                                             "mailto:peggy@example.com?bcc=quentin@example.com&subject=Draf%20rapat"
                                             "&body=A%20long%20line%20that%20is%20long%20enough%20to%20be%20wrapped"
                                             "%20by%20format%3Dflowed%20when%20it%20is%20saved%20as%20a%20draft%0D%0A"
                                             "second%20line"));
  kurir_composer_save_draft (composer);
  WAIT_FOR (saved != 0);
  g_assert_cmpint (kurir_composer_get_draft_id (composer), ==, saved);
  g_assert_cmpint (kurir_store_count (store, kurir_account_get_name (account), "Drafts", NULL), ==, 1);

  /* A change and close: saved again (replacing the first), then closed. */
  g_assert_true (kurir_composer_fill_mailto (composer, "mailto:peggy@example.com?bcc=quentin@example.com"
                                                       "&subject=Draf%20rapat%202"));
  g_assert_cmpstr (kurir_composer_get_subject (composer), ==, "Draf rapat 2");
  gtk_window_close (GTK_WINDOW (composer));
  WAIT_FOR (destroyed);
  g_assert_cmpint (kurir_store_count (store, kurir_account_get_name (account), "Drafts", NULL), ==, 1);
  {
    g_autoptr(GPtrArray) drafts = kurir_store_list (store, kurir_account_get_name (account), "Drafts", 0, 10,
                                                    &error);
    g_assert_no_error (error);
    g_assert_cmpuint (drafts->len, ==, 1);
    second = kurir_message_get_id (g_ptr_array_index (drafts, 0));
    g_assert_cmpint (kurir_message_get_flags (g_ptr_array_index (drafts, 0)) & KURIR_MESSAGE_FLAG_DRAFT, !=, 0);
  }

  /* Reopened: it continues where it was. */
  raw = kurir_store_get_raw (store, second, &error);
  g_assert_no_error (error);
  again = new_composer (account);
  kurir_composer_open_draft (again, second, raw);
  g_assert_cmpstr (kurir_composer_get_to (again), ==, "peggy@example.com");
  g_assert_cmpstr (kurir_composer_get_bcc (again), ==, "quentin@example.com");
  g_assert_cmpstr (kurir_composer_get_subject (again), ==, "Draf rapat 2");
  body = kurir_composer_get_body (again);
  g_assert_cmpstr (body, ==, "A long line that is long enough to be wrapped by format=flowed when it is "
                             "saved as a draft\nsecond line\n");
  g_assert_cmpint (kurir_composer_get_draft_id (again), ==, second);
  gtk_window_destroy (GTK_WINDOW (again));
}

static void
test_attachment_warning (void)
{
  g_autoptr(KurirStore) test_store = open_store ();
  g_autoptr(KurirAccount) account = local_account ();
  KurirComposer *composer = new_composer (account);
  g_autofree char *path = g_build_filename (g_get_user_cache_dir (), "laporan.txt", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);

  g_assert_true (kurir_composer_mentions_attachment ("Please see the attached file."));
  g_assert_true (kurir_composer_mentions_attachment ("Laporan TERLAMPIR."));
  g_assert_true (kurir_composer_mentions_attachment ("ada lampiran"));
  g_assert_false (kurir_composer_mentions_attachment ("> see the attachment\nthanks"));
  g_assert_false (kurir_composer_mentions_attachment ("nothing here"));

  g_assert_true (kurir_composer_fill_mailto (composer, "mailto:x@example.com?body=Lihat%20lampiran"));
  g_assert_true (kurir_composer_get_attachment_warning (composer));

  g_assert_cmpint (g_mkdir_with_parents (g_get_user_cache_dir (), 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, "angka\n", -1, NULL));
  kurir_composer_add_file (composer, file);
  WAIT_FOR (kurir_composer_get_n_attachments (composer) == 1);
  g_assert_false (kurir_composer_get_attachment_warning (composer));
  gtk_window_destroy (GTK_WINDOW (composer));
}


/* The body's text view, found in the window as a person would. */
static GtkTextView *
find_text_view (GtkWidget *widget)
{
  if (GTK_IS_TEXT_VIEW (widget))
    return GTK_TEXT_VIEW (widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkTextView *found = find_text_view (child);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* Alice's account with a name, a signature and a further identity (work,
 * its own signature and Reply-To), an account that cannot send (no SMTP
 * server) and one of Carol's without a signature. */
static GPtrArray *
identity_accounts (void)
{
  GPtrArray *accounts = g_ptr_array_new_with_free_func (g_object_unref);
  KurirAccount *alice = local_account ();
  KurirAccount *receive_only = local_account ();
  KurirAccount *carol = local_account ();
  g_autoptr(GPtrArray) identities = NULL;
  KurirIdentity *work = kurir_identity_new ("Alice Work", "alice@work.example");

  kurir_account_set_smtp_host (alice, "smtp.example.org");
  kurir_account_set_display_name (alice, "Alice Ärger");
  kurir_account_set_signature (alice, "Alice\nExample Org");
  identities = kurir_account_dup_identities (alice);
  work->signature = g_strdup ("A. (work)");
  work->reply_to = g_strdup ("desk@work.example");
  g_ptr_array_add (identities, work);
  kurir_account_set_identities (alice, identities);
  kurir_account_set_email (receive_only, "nosend@example.org");
  kurir_account_set_email (carol, "carol@example.net");
  kurir_account_set_smtp_host (carol, "smtp.example.net");
  g_ptr_array_add (accounts, alice);
  g_ptr_array_add (accounts, receive_only);
  g_ptr_array_add (accounts, carol);
  return accounts;
}

static void
test_identities (void)
{
  g_autoptr(KurirStore) test_store = open_store ();
  g_autoptr(GPtrArray) accounts = identity_accounts ();
  KurirAccount *alice = g_ptr_array_index (accounts, 0);
  KurirComposer *composer = kurir_composer_new (NULL, store, accounts, alice);
  GListModel *senders = kurir_composer_get_senders (composer);
  g_autofree char *first = NULL;
  g_autofree char *body = NULL;
  g_autofree char *from = NULL;
  g_autoptr(GBytes) raw = NULL;
  g_autoptr(GError) error = NULL;
  GtkTextView *view;
  GtkTextBuffer *buffer;
  GtkTextIter start;
  gint64 saved = 0;

  /* Every identity of every account that can send. */
  g_assert_cmpuint (g_list_model_get_n_items (senders), ==, 3);
  first = g_strdup_printf ("Alice Ärger <alice@example.org> — %s", kurir_account_get_name (alice));
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (senders), 0), ==, first);
  g_assert_true (g_str_has_prefix (gtk_string_list_get_string (GTK_STRING_LIST (senders), 1),
                                   "Alice Work <alice@work.example> — "));
  g_assert_true (g_str_has_prefix (gtk_string_list_get_string (GTK_STRING_LIST (senders), 2),
                                   "carol@example.net — "));
  from = kurir_composer_get_from (composer);
  g_assert_cmpstr (from, ==, "Alice Ärger <alice@example.org>");

  /* A new message: a line to write on, then the signature. */
  body = kurir_composer_get_body (composer);
  g_assert_cmpstr (body, ==, "\n\n-- \nAlice\nExample Org");
  gtk_window_present (GTK_WINDOW (composer));
  WAIT_FOR (gtk_widget_get_mapped (GTK_WIDGET (composer)));

  /* What is typed stays when From changes; the signature follows. */
  view = find_text_view (GTK_WIDGET (composer));
  g_assert_nonnull (view);
  buffer = gtk_text_view_get_buffer (view);
  gtk_text_buffer_get_start_iter (buffer, &start);
  gtk_text_buffer_insert (buffer, &start, "Halo Bob,", -1);
  g_assert_true (kurir_composer_set_from (composer, "alice@work.example"));
  g_clear_pointer (&body, g_free);
  body = kurir_composer_get_body (composer);
  g_assert_cmpstr (body, ==, "Halo Bob,\n\n-- \nA. (work)");
  g_assert_true (kurir_composer_set_from (composer, "carol@example.net"));
  g_clear_pointer (&body, g_free);
  body = kurir_composer_get_body (composer);
  g_assert_cmpstr (body, ==, "Halo Bob,\n\n");
  g_assert_true (kurir_composer_set_from (composer, "alice@work.example"));
  g_assert_false (kurir_composer_set_from (composer, "nosend@example.org"));

  /* The message carries the identity's name and Reply-To. */
  g_assert_true (kurir_composer_fill_mailto (composer, "mailto:bob@example.com?subject=Identitas"));
  g_signal_connect (composer, "draft-saved", G_CALLBACK (draft_saved_cb), &saved);
  kurir_composer_save_draft (composer);
  WAIT_FOR (saved != 0);
  raw = kurir_store_get_raw (store, saved, &error);
  g_assert_no_error (error);
  {
    g_autofree char *text = g_strndup (g_bytes_get_data (raw, NULL), g_bytes_get_size (raw));

    g_assert_nonnull (strstr (text, "\r\nFrom: Alice Work <alice@work.example>\r\n"));
    g_assert_nonnull (strstr (text, "\r\nReply-To: desk@work.example\r\n"));
    g_assert_nonnull (strstr (text, "\r\n-- \r\nA. (work)"));
  }
  gtk_window_destroy (GTK_WINDOW (composer));
}

static void
test_reply_identity (void)
{
  static const char to_work[] =
    "From: Bob <bob@example.com>\r\n"
    "To: Alice <alice@example.org>, carol@example.com\r\n"
    "Cc: alice@work.example, dan@example.com\r\n"
    "Subject: rapat\r\n"
    "Message-ID: <w1@example.com>\r\n"
    "\r\n"
    "Besok?\r\n";
  static const char via_list[] =
    "Delivered-To: alice@work.example\r\n"
    "From: Bob <bob@example.com>\r\n"
    "To: team@lists.example.com\r\n"
    "Subject: daftar\r\n"
    "Message-ID: <l1@example.com>\r\n"
    "\r\n"
    "Halo tim\r\n";
  static const char to_nobody[] =
    "From: Bob <bob@example.com>\r\n"
    "To: someone@example.com\r\n"
    "Subject: bcc\r\n"
    "Message-ID: <b1@example.com>\r\n"
    "\r\n"
    "x\r\n";
  g_autoptr(KurirStore) test_store = open_store ();
  g_autoptr(GPtrArray) accounts = identity_accounts ();
  KurirAccount *alice = g_ptr_array_index (accounts, 0);
  g_autoptr(GBytes) work_raw = g_bytes_new_static (to_work, sizeof to_work - 1);
  g_autoptr(GBytes) list_raw = g_bytes_new_static (via_list, sizeof via_list - 1);
  g_autoptr(GBytes) nobody_raw = g_bytes_new_static (to_nobody, sizeof to_nobody - 1);
  KurirComposer *reply_all = kurir_composer_new (NULL, store, accounts, alice);
  KurirComposer *list_reply = kurir_composer_new (NULL, store, accounts, alice);
  KurirComposer *fallback = kurir_composer_new (NULL, store, accounts, alice);
  g_autofree char *from = NULL;
  g_autofree char *body = NULL;

  /* Both of Alice's addresses were recipients: the primary one (first
   * of her account's identities) wins; Reply All has neither. */
  kurir_composer_start_reply (reply_all, work_raw, TRUE);
  from = kurir_composer_get_from (reply_all);
  g_assert_cmpstr (from, ==, "Alice Ärger <alice@example.org>");
  g_assert_cmpstr (kurir_composer_get_to (reply_all), ==, "Bob <bob@example.com>");
  g_assert_cmpstr (kurir_composer_get_cc (reply_all), ==, "carol@example.com, dan@example.com");
  body = kurir_composer_get_body (reply_all);
  /* The signature below the quote. */
  g_assert_nonnull (strstr (body, "> Besok?\n"));
  g_assert_true (strstr (body, "> Besok?\n") < strstr (body, "\n-- \nAlice\nExample Org"));
  g_assert_true (g_str_has_suffix (body, "\n-- \nAlice\nExample Org"));

  /* Only the delivery names the work address. */
  kurir_composer_start_reply (list_reply, list_raw, FALSE);
  g_clear_pointer (&from, g_free);
  from = kurir_composer_get_from (list_reply);
  g_assert_cmpstr (from, ==, "Alice Work <alice@work.example>");
  g_clear_pointer (&body, g_free);
  body = kurir_composer_get_body (list_reply);
  g_assert_true (g_str_has_suffix (body, "\n-- \nA. (work)"));
  g_assert_null (strstr (body, "Example Org"));

  /* Addressed to none of them (a Bcc): the account's primary identity. */
  g_assert_true (kurir_composer_set_from (fallback, "alice@work.example"));
  kurir_composer_start_reply (fallback, nobody_raw, FALSE);
  g_clear_pointer (&from, g_free);
  from = kurir_composer_get_from (fallback);
  g_assert_cmpstr (from, ==, "Alice Ärger <alice@example.org>");

  /* Sent to two of the person's accounts: the one it is read in wins. */
  {
    static const char to_both[] =
      "From: Bob <bob@example.com>\r\n"
      "To: alice@example.org, carol@example.net\r\n"
      "Subject: dua\r\n"
      "Message-ID: <t2@example.com>\r\n"
      "\r\n"
      "x\r\n";
    g_autoptr(GBytes) both_raw = g_bytes_new_static (to_both, sizeof to_both - 1);
    KurirComposer *in_carol = kurir_composer_new (NULL, store, accounts, g_ptr_array_index (accounts, 2));

    kurir_composer_start_reply (in_carol, both_raw, TRUE);
    g_clear_pointer (&from, g_free);
    from = kurir_composer_get_from (in_carol);
    g_assert_cmpstr (from, ==, "carol@example.net");
    g_assert_cmpstr (kurir_composer_get_cc (in_carol), ==, "");
    gtk_window_destroy (GTK_WINDOW (in_carol));
  }

  gtk_window_destroy (GTK_WINDOW (reply_all));
  gtk_window_destroy (GTK_WINDOW (list_reply));
  gtk_window_destroy (GTK_WINDOW (fallback));
}


/* The completion of the first address entry (To). */
static GtkTreeModel *
find_completion_model (GtkWidget *widget)
{
  if (GTK_IS_ENTRY (widget) && gtk_entry_get_completion (GTK_ENTRY (widget)) != NULL)
    return gtk_entry_completion_get_model (gtk_entry_get_completion (GTK_ENTRY (widget)));
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkTreeModel *found = find_completion_model (child);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
model_has (GtkTreeModel *model,
           const char   *text)
{
  GtkTreeIter iter;

  if (!gtk_tree_model_get_iter_first (model, &iter))
    return FALSE;
  do
    {
      g_autofree char *value = NULL;

      gtk_tree_model_get (model, &iter, 0, &value, -1);
      if (g_strcmp0 (value, text) == 0)
        return TRUE;
    }
  while (gtk_tree_model_iter_next (model, &iter));
  return FALSE;
}

/* Completion offers whom mail came from and whom the account wrote to
 * (its Sent folder), each once. */
static void
test_completion (void)
{
  static const char received[] =
    "From: Bob Builder <bob@example.com>\r\nTo: alice@example.org\r\nSubject: a\r\n"
    "Message-ID: <c1@example.com>\r\n\r\nx\r\n";
  static const char sent[] =
    "From: alice@example.org\r\nTo: \"Peggy, P.\" <peggy@example.net>, quentin@example.net\r\n"
    "Cc: Bob Builder <bob@example.com>\r\nSubject: b\r\nMessage-ID: <c2@example.org>\r\n\r\ny\r\n";
  g_autoptr(KurirStore) test_store = open_store ();
  g_autoptr(KurirAccount) account = local_account ();
  const char *name = kurir_account_get_name (account);
  g_autoptr(GBytes) in = g_bytes_new_static (received, sizeof received - 1);
  g_autoptr(GBytes) out = g_bytes_new_static (sent, sizeof sent - 1);
  g_autoptr(GError) error = NULL;
  KurirComposer *composer;
  GtkTreeModel *model;

  g_assert_true (kurir_store_create_folder (store, name, "INBOX", "inbox", &error));
  g_assert_true (kurir_store_create_folder (store, name, "Sent", "sent", &error));
  g_assert_no_error (error);
  g_assert_cmpint (kurir_store_add (store, name, "INBOX", in, NULL, 0, 0, &error), >, 0);
  g_assert_cmpint (kurir_store_add (store, name, "Sent", out, NULL, KURIR_MESSAGE_FLAG_SEEN, 0, &error), >, 0);
  g_assert_no_error (error);

  composer = new_composer (account);
  model = find_completion_model (GTK_WIDGET (composer));
  g_assert_nonnull (model);
  WAIT_FOR (gtk_tree_model_iter_n_children (model, NULL) == 3);
  g_assert_true (model_has (model, "Bob Builder <bob@example.com>"));
  g_assert_true (model_has (model, "\"Peggy, P.\" <peggy@example.net>"));
  g_assert_true (model_has (model, "quentin@example.net"));
  gtk_window_destroy (GTK_WINDOW (composer));
}

/* Files dropped on the window are attached. */
static void
test_drop (void)
{
  g_autoptr(KurirStore) test_store = open_store ();
  g_autoptr(KurirAccount) account = local_account ();
  KurirComposer *composer = new_composer (account);
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (composer));
  g_autofree char *path = g_build_filename (g_get_user_cache_dir (), "gambar.png", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  static const guint8 png[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R' };
  GtkDropTarget *target = NULL;
  GSList *files = g_slist_prepend (NULL, file);
  GValue value = G_VALUE_INIT;
  gboolean handled = FALSE;
  gint64 saved = 0;
  g_autoptr(GBytes) raw = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (g_get_user_cache_dir (), 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, (const char *) png, sizeof png, NULL));
  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_DROP_TARGET (controller))
        target = GTK_DROP_TARGET (controller);
    }
  g_assert_nonnull (target);
  g_value_init (&value, GDK_TYPE_FILE_LIST);
  g_value_take_boxed (&value, gdk_file_list_new_from_list (files));
  g_signal_emit_by_name (target, "drop", &value, 10.0, 10.0, &handled);
  g_value_unset (&value);
  g_slist_free (files);
  g_assert_true (handled);
  WAIT_FOR (kurir_composer_get_n_attachments (composer) == 1);

  g_assert_true (kurir_composer_fill_mailto (composer, "mailto:bob@example.com?subject=Gambar"));
  g_signal_connect (composer, "draft-saved", G_CALLBACK (draft_saved_cb), &saved);
  kurir_composer_save_draft (composer);
  WAIT_FOR (saved != 0);
  raw = kurir_store_get_raw (store, saved, &error);
  g_assert_no_error (error);
  /* (Its type is guessed from shared-mime-info, which the isolated test
   * directories hide: the unit tests of the builder check the guess.) */
  g_assert_nonnull (g_strstr_len (g_bytes_get_data (raw, NULL), g_bytes_get_size (raw),
                                  "Content-Disposition: attachment; filename=gambar.png"));
  g_assert_nonnull (g_strstr_len (g_bytes_get_data (raw, NULL), g_bytes_get_size (raw),
                                  "iVBORw0KGgoAAAANSUhEUg=="));
  gtk_window_destroy (GTK_WINDOW (composer));
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  gtk_init ();
  adw_init ();

  g_test_add_func ("/composer/reply", test_reply);
  g_test_add_func ("/composer/mailto", test_mailto);
  g_test_add_func ("/composer/draft", test_draft);
  g_test_add_func ("/composer/attachment-warning", test_attachment_warning);
  g_test_add_func ("/composer/identities", test_identities);
  g_test_add_func ("/composer/reply-identity", test_reply_identity);
  g_test_add_func ("/composer/completion", test_completion);
  g_test_add_func ("/composer/drop", test_drop);

  status = g_test_run ();
  return status;
}
