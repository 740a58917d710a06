-- version-005.sql: partial messages kept in the index, not in files
--
-- A partial message (an IMAP summary: its header only, the body comes
-- when it is opened or kept offline) has its header here and no file:
-- creating one file per summary cost more than the whole download.
-- messages.filename keeps the name its file would have (with ",P=SIZE"),
-- so flags and moves read the same for both kinds. Completing the
-- message writes its file and deletes this row in the same transaction
-- as the messages row's update. Like the journal, a rebuild from the
-- files cannot bring these back; the next sync fetches them again.
-- Partial messages stored as files by schema 3 and 4 stay valid.
CREATE TABLE message_headers (
  id     INTEGER PRIMARY KEY,   -- messages.id
  header BLOB NOT NULL
);

CREATE TRIGGER message_headers_delete AFTER DELETE ON messages
BEGIN
  DELETE FROM message_headers WHERE id = old.id;
END;

-- Whether a folder kept offline still has bodies to fetch, without
-- reading its rows (kurir_store_count_partial()).
CREATE INDEX messages_folder_partial ON messages (folder_id) WHERE full_size > 0;
