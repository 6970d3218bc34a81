-- One-time sign-in tokens a host system asked for an agent (`/api/v1`), by the hash of the
-- token: used once, within a minute, to open an agent session without a second password.
CREATE TABLE sign_in_tokens (
    token_hash TEXT PRIMARY KEY,
    agent TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
