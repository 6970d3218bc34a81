-- What a contact's host page keeps for a chat instead of the contact's token: an opaque handle
-- (by its hash) the widget exchanges for a fresh contact token after a reload. The server
-- forgets it when the chat is over, when the contact starts another chat, or after `uses`
-- reaches its bound; the tokens minted with it go when it is revoked.
CREATE TABLE contact_handles (
    handle_hash TEXT PRIMARY KEY,
    interaction TEXT NOT NULL,
    uses INTEGER NOT NULL DEFAULT 0
);
ALTER TABLE contact_tokens ADD COLUMN handle_hash TEXT;
CREATE INDEX contact_tokens_by_handle ON contact_tokens (handle_hash);
CREATE INDEX contact_handles_by_chat ON contact_handles (interaction);
