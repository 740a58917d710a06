-- version-002.sql: what was deleted here, for backends that must remember it
--
-- A message with a backend key (a POP3 UIDL, an IMAP UID) that the user
-- deletes here leaves its key behind, so that a POP3 sync does not download
-- it again while the server keeps it, and can delete it on the server when
-- the account asks for that. Written before the file is removed. The only
-- table the Maildir cannot rebuild: an index rebuilt from scratch forgets it.
CREATE TABLE deleted_keys (
  account     TEXT NOT NULL,
  folder      TEXT NOT NULL,
  backend_key TEXT NOT NULL,
  received    INTEGER NOT NULL,  -- when the message was first stored here
  deleted     INTEGER NOT NULL,  -- when it was deleted here
  PRIMARY KEY (account, backend_key, folder)
) WITHOUT ROWID;
