-- When a contact token's chat was seen closed: the token reads the chat for
-- `server.contact_read_secs` after that, then is deleted. Empty while the chat is open.
ALTER TABLE contact_tokens ADD COLUMN closed_at BIGINT;
CREATE INDEX contact_tokens_by_close ON contact_tokens (closed_at);
