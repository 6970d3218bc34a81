-- Who read or exported which chat, beside what the domain events already say (accepted,
-- transferred, conferenced, done): kept with the chat and forgotten with it.
CREATE TABLE IF NOT EXISTS audit (
    interaction TEXT NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT
);
CREATE INDEX IF NOT EXISTS audit_by_chat ON audit (interaction, at);
