-- version-006.sql: full-text indexing off the durable commit path
--
-- A message's row (and so its backend key) is committed with its files;
-- its full-text row follows in a later, larger transaction of the same
-- writer. Until then its id is here. A writer that dies in between leaves
-- the id behind: the next open (and any search) indexes it from its file
-- (or its header in message_headers) and removes it.
CREATE TABLE fts_pending (
  id INTEGER PRIMARY KEY        -- messages.id
);

CREATE TRIGGER fts_pending_delete AFTER DELETE ON messages
BEGIN
  DELETE FROM fts_pending WHERE id = old.id;
END;
