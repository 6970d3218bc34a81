-- Each agent's status (Ready, Not Ready with its reason), so a writer taking over keeps it.
CREATE TABLE agent_status (
    agent TEXT PRIMARY KEY,
    status TEXT NOT NULL
);
