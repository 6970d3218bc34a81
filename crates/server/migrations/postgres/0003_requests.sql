-- Commands acted on, by the request that carried them (the actor, the client instance its
-- `hello` named, the request id), kept ten minutes: a command sent again acts once, whichever
-- writer it reaches.
CREATE TABLE requests (
    actor TEXT NOT NULL,
    client TEXT NOT NULL,
    req BIGINT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (actor, client, req)
);
CREATE INDEX requests_at ON requests (at);
