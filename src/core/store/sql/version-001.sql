-- version-001.sql: the first schema of the mail index (index.sqlite)
--
-- The Maildir under mail/ is the truth for bodies; everything here can be
-- rebuilt from it (kurir-cli reindex). Applied by kurir-store.c in one
-- transaction, then PRAGMA user_version = 1.

-- Mailboxes: the real (server) name; dir is its name on disk, encoded
-- so that no server name escapes the account's tree.
CREATE TABLE folders (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  account       TEXT NOT NULL,
  name          TEXT NOT NULL,
  dir           TEXT NOT NULL,
  role          TEXT,               -- special use: inbox, sent, drafts, trash, junk, archive
  uidvalidity   INTEGER,            -- IMAP, for the sync engine
  uidnext       INTEGER,
  highestmodseq INTEGER,
  UNIQUE (account, name),
  UNIQUE (account, dir)
);

-- One row per file in a Maildir cur/. Ids are never reused (AUTOINCREMENT),
-- so they are stable local ids and stale full-text rows never match.
CREATE TABLE messages (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  folder_id        INTEGER NOT NULL REFERENCES folders (id),
  uniq             TEXT NOT NULL UNIQUE,  -- Maildir file name before ":2,"
  filename         TEXT NOT NULL,         -- the whole name in cur/
  backend_key      TEXT,                  -- IMAP UID or POP3 UIDL
  message_id       TEXT,
  in_reply_to      TEXT,
  refs             TEXT,                  -- References, space-separated
  date             INTEGER NOT NULL,      -- Date:, else the received time
  received         INTEGER NOT NULL,
  sender           TEXT,
  recipients       TEXT,
  cc               TEXT,
  subject          TEXT,
  size             INTEGER NOT NULL,
  flags            INTEGER NOT NULL DEFAULT 0,
  n_attachments    INTEGER NOT NULL DEFAULT 0,
  attachment_names TEXT,                  -- newline-separated
  preview          TEXT,
  thread_id        INTEGER NOT NULL,
  content_hash     TEXT NOT NULL,         -- SHA-1 of the bytes
  in_inbox         INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX messages_folder_date ON messages (folder_id, date DESC, id DESC);
CREATE INDEX messages_inbox_date ON messages (date DESC, id DESC) WHERE in_inbox = 1;
CREATE INDEX messages_date ON messages (date DESC, id DESC);
CREATE INDEX messages_backend_key ON messages (folder_id, backend_key) WHERE backend_key IS NOT NULL;
CREATE INDEX messages_message_id ON messages (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX messages_thread ON messages (thread_id);
CREATE INDEX messages_hash ON messages (content_hash);

-- Every Message-ID seen (present or only referenced) and its conversation.
CREATE TABLE thread_map (
  message_id TEXT PRIMARY KEY,
  thread_id  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX thread_map_thread ON thread_map (thread_id);

-- Full-text search, contentless: rowid = messages.id.
CREATE VIRTUAL TABLE messages_fts USING fts5 (
  subject, sender, recipients, body, attachments,
  content = '',
  tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value
) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('next_thread_id', 1);
