-- Parley's schema as of event format 3. Every statement is written to be a no-op on a database
-- that already has it: a database made before migrations existed adopts this migration by
-- running it (after an event-format-2 database has been brought to format 3 in code).

CREATE TABLE IF NOT EXISTS interactions (
    id TEXT PRIMARY KEY,
    contact_name TEXT NOT NULL,
    contact_email TEXT,
    -- Who the contact is across chats: the lower-cased e-mail address, when given.
    contact_key TEXT,
    subject TEXT,
    queue TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    closed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS events (
    interaction TEXT NOT NULL REFERENCES interactions(id),
    seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    audience TEXT NOT NULL,
    client_id TEXT,
    body TEXT NOT NULL,
    -- Who sent a message with a client id (`Party::sender_key`): ids are unique per sender.
    sender TEXT,
    PRIMARY KEY (interaction, seq)
);
CREATE INDEX IF NOT EXISTS interactions_contact ON interactions(contact_key);
-- Message ids are unique per sender and interaction (a contact cannot take an agent's id).
CREATE UNIQUE INDEX IF NOT EXISTS events_sender_client_id
    ON events(interaction, sender, client_id) WHERE client_id IS NOT NULL;
-- Agents who joined an interaction as a party: My History.
CREATE TABLE IF NOT EXISTS interaction_agents (
    interaction TEXT NOT NULL,
    agent TEXT NOT NULL,
    PRIMARY KEY (agent, interaction)
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    agent TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS contact_tokens (
    token_hash TEXT PRIMARY KEY,
    interaction TEXT NOT NULL
);
-- Files sent in chats; the bytes are in the files directory under the id.
CREATE TABLE IF NOT EXISTS files (
    id TEXT PRIMARY KEY,
    interaction TEXT NOT NULL,
    name TEXT NOT NULL,
    mime TEXT NOT NULL,
    size INTEGER NOT NULL,
    uploaded_at INTEGER NOT NULL,
    -- The file event's seq, committed with it: who may fetch the file is who may read that event.
    seq INTEGER
);
-- Servers from before migrations read this to refuse formats they do not know.
PRAGMA user_version = 3;
