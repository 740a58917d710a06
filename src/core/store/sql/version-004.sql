-- version-004.sql: unread counts without reading every row
--
-- The folder list shows each folder's unread count; with this partial
-- index that count reads only the index entries of unread messages.
CREATE INDEX messages_folder_unread ON messages (folder_id) WHERE (flags & 1) = 0;
