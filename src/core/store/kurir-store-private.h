/* kurir-store-private.h: SQL the store and its tests share
 *
 * The tests check with EXPLAIN QUERY PLAN that these page through an
 * index and never sort the whole folder.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#define MESSAGE_COLUMNS \
  "m.id, f.account, f.name, m.message_id, m.in_reply_to, m.date, m.received, " \
  "m.sender, m.recipients, m.cc, m.subject, m.flags, m.size, m.n_attachments, " \
  "m.attachment_names, m.thread_id, m.preview, m.backend_key, m.filename, m.full_size"

/* The unified inbox: ?1 limit, ?2 offset. */
#define KURIR_STORE_SQL_PAGE_UNIFIED \
  "SELECT " MESSAGE_COLUMNS " FROM messages m INDEXED BY messages_inbox_date " \
  "CROSS JOIN folders f ON f.id = m.folder_id WHERE m.in_inbox = 1 " \
  "ORDER BY m.date DESC, m.id DESC LIMIT ? OFFSET ?"

/* One folder of one account: ?1 account, ?2 folder, ?3 limit, ?4 offset. */
#define KURIR_STORE_SQL_PAGE_FOLDER \
  "SELECT " MESSAGE_COLUMNS " FROM messages m INDEXED BY messages_folder_date " \
  "CROSS JOIN folders f ON f.id = m.folder_id " \
  "WHERE m.folder_id = (SELECT id FROM folders WHERE account = ? AND name = ?) " \
  "ORDER BY m.date DESC, m.id DESC LIMIT ? OFFSET ?"
