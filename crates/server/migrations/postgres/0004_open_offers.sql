-- Each interaction's open offer (a queued chat offered to an agent, or its consultation,
-- transfer or conference request offered to a target), as JSON, so that a restarted server or a
-- new writer offers the same thing to the same agent until the same time.
CREATE TABLE open_offers (
    interaction TEXT PRIMARY KEY,
    offer TEXT NOT NULL
);
