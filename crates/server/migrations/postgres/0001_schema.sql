-- Parley's schema on PostgreSQL: the same tables as on SQLite, with the writer's lease.
-- Ids compare byte by byte (COLLATE "C"), as restoring open chats a page at a time expects.

CREATE TABLE interactions (
    id TEXT COLLATE "C" PRIMARY KEY,
    contact_name TEXT NOT NULL,
    contact_email TEXT,
    -- Who the contact is across chats: the lower-cased e-mail address, when given.
    contact_key TEXT,
    subject TEXT,
    queue TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    closed BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX interactions_contact ON interactions (contact_key);
CREATE INDEX interactions_open ON interactions (id) WHERE NOT closed;

CREATE TABLE events (
    interaction TEXT COLLATE "C" NOT NULL REFERENCES interactions (id),
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    audience TEXT NOT NULL,
    client_id TEXT,
    body TEXT NOT NULL,
    -- Who sent a message with a client id (`Party::sender_key`): ids are unique per sender.
    sender TEXT,
    PRIMARY KEY (interaction, seq)
);
CREATE UNIQUE INDEX events_sender_client_id
    ON events (interaction, sender, client_id) WHERE client_id IS NOT NULL;

-- Agents who joined an interaction as a party: My History.
CREATE TABLE interaction_agents (
    interaction TEXT COLLATE "C" NOT NULL,
    agent TEXT NOT NULL,
    PRIMARY KEY (agent, interaction)
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    agent TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE contact_tokens (
    token_hash TEXT PRIMARY KEY,
    interaction TEXT COLLATE "C" NOT NULL
);

-- Files sent in chats; the bytes are in the file store under the id.
CREATE TABLE files (
    id TEXT PRIMARY KEY,
    interaction TEXT COLLATE "C" NOT NULL,
    name TEXT NOT NULL,
    mime TEXT NOT NULL,
    size BIGINT NOT NULL,
    uploaded_at BIGINT NOT NULL,
    seq BIGINT
);

-- Domain events in commit order (one writer commits at a time, so positions are in commit
-- order too), and where each consumer has read up to.
CREATE TABLE domain_events (
    position BIGSERIAL PRIMARY KEY,
    interaction TEXT COLLATE "C" NOT NULL,
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE cursors (
    consumer TEXT PRIMARY KEY,
    position BIGINT NOT NULL
);

-- The writer's lease: one row. Its holder renews it before it expires; a node takes it over
-- only once it has expired, with the next epoch. Every commit checks its writer's epoch in
-- the same transaction, so a writer that lost the lease cannot commit.
CREATE TABLE writer_lease (
    id SMALLINT PRIMARY KEY CHECK (id = 1),
    holder TEXT NOT NULL,
    epoch BIGINT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
