-- Commands acted on, by the request that carried them (the actor, the client instance its
-- `hello` named, the request id), kept ten minutes: a command sent again acts once.
CREATE TABLE requests (
    actor TEXT NOT NULL,
    client TEXT NOT NULL,
    req INTEGER NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (actor, client, req)
);
CREATE INDEX requests_at ON requests (at);
