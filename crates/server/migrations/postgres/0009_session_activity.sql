-- When each agent session was last in use (a login, or a socket of it open on some node): a
-- session idle for longer than `server.session_idle_secs`, or older than
-- `server.session_max_secs`, is ended.
ALTER TABLE sessions ADD COLUMN last_seen BIGINT NOT NULL DEFAULT 0;
UPDATE sessions SET last_seen = created_at;
-- A node of the release before writes no last_seen (0): its login time counts instead.
