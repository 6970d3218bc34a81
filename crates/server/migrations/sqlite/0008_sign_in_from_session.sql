-- A sign-in token the desktop minted from its own session (a pop-up handing the sign-in to a
-- framed desktop, or a framed desktop leaving its host the means to sign in again after a
-- reload): the session it came from. Using the token ends that session (the session moves),
-- and logging out of it revokes the token. NULL for tokens a host system asked for.
ALTER TABLE sign_in_tokens ADD COLUMN session_hash TEXT;
CREATE INDEX sign_in_tokens_by_session ON sign_in_tokens (session_hash);
