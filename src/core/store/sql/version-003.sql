-- version-003.sql: partial messages and the IMAP offline journal
--
-- full_size: a message stored with its headers only (what the message
-- list needs) has its size on the server here, and ",P=SIZE" in its file
-- name so that a rebuilt index knows it; 0 for a complete message.
ALTER TABLE messages ADD COLUMN full_size INTEGER NOT NULL DEFAULT 0;

-- Edits made here on accounts whose server keeps the mail (IMAP), applied
-- to the store at once and replayed on the server in id order. Like
-- deleted_keys, the Maildir cannot rebuild it.
CREATE TABLE journal (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  account     TEXT NOT NULL,
  op          INTEGER NOT NULL,  -- KurirStoreJournalOp
  folder      TEXT,              -- the server folder the edit applies to
  target      TEXT,              -- move: the destination; create: the name
  backend_key TEXT,              -- the message's UID in folder
  uidvalidity INTEGER NOT NULL DEFAULT 0,  -- of folder when the edit was made
  message_id  TEXT,              -- to find the message again after a UIDVALIDITY change
  add_flags   INTEGER NOT NULL DEFAULT 0,
  remove_flags INTEGER NOT NULL DEFAULT 0,
  message     INTEGER,           -- messages.id here, or NULL
  failed      INTEGER NOT NULL DEFAULT 0,  -- the server refused it: kept to be shown
  error       TEXT,              -- the server's words
  created     INTEGER NOT NULL
);
CREATE INDEX journal_account ON journal (account, failed, id);
