-- Domain events (chat started, accepted, transferred, conferenced, ended, done), committed with
-- the events that made them, in commit order, and where each consumer has read up to.
CREATE TABLE domain_events (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    interaction TEXT NOT NULL,
    seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE cursors (
    consumer TEXT PRIMARY KEY,
    position INTEGER NOT NULL
);
