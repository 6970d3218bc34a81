-- Keys the server makes for itself once per database and every node reads: `agent_alias`
-- keys the names contacts see for agents (src/alias.rs).
CREATE TABLE IF NOT EXISTS secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
