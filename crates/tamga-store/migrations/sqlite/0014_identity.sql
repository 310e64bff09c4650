-- People, parties and identity (issue 15).
--
-- Operators have a kind and registration details; an operator registered
-- online waits for an administrator's decision (approved or refused, with
-- the reason) before its first user may log in. Operators created before
-- this migration (the demo set-up) are approved traders.
ALTER TABLE operators ADD COLUMN kind TEXT NOT NULL DEFAULT 'trader'
    CHECK (kind IN ('trader', 'broker', 'carrier', 'agency', 'bank'));
ALTER TABLE operators ADD COLUMN status TEXT NOT NULL DEFAULT 'approved'
    CHECK (status IN ('pending', 'approved', 'refused'));
-- JSON: legal address, contact, representative, as registered.
ALTER TABLE operators ADD COLUMN details TEXT NOT NULL DEFAULT '{}';
ALTER TABLE operators ADD COLUMN decided_by TEXT;
ALTER TABLE operators ADD COLUMN decided_at INTEGER;
ALTER TABLE operators ADD COLUMN decision_reason TEXT;

-- A user belongs to one operator (operator_id) or to customs (offices in
-- user_offices), has one or more roles (user_roles), and may log in with
-- a password (argon2id PHC string) and a second factor (TOTP secret,
-- base32; totp_pending is a secret offered and not yet confirmed). A
-- TOTP code is accepted once: totp_last_step is the last time step used.
ALTER TABLE users ADD COLUMN operator_id TEXT REFERENCES operators (id);
ALTER TABLE users ADD COLUMN email TEXT;
ALTER TABLE users ADD COLUMN active INTEGER NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN password_hash TEXT;
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN totp_required INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_pending TEXT;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;
CREATE INDEX users_operator ON users (operator_id);

CREATE TABLE user_roles (
    username TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    role     TEXT NOT NULL,
    PRIMARY KEY (username, role)
);
INSERT INTO user_roles (username, role) SELECT username, role FROM users;
ALTER TABLE users DROP COLUMN role;

-- Earlier password hashes of a user: a new password may not be one of
-- the last few.
CREATE TABLE password_history (
    username TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    hash     TEXT NOT NULL,
    at       INTEGER NOT NULL
);
CREATE INDEX password_history_user ON password_history (username, at);

-- Login throttling, shared by every instance: consecutive failures per
-- subject (`user:<name>`, `totp:<name>`, `ip:<address>`) and until when
-- the subject is locked out.
CREATE TABLE login_throttle (
    subject      TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    locked_until INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);

-- Browser sessions: the cookie carries a random id, stored hashed. A
-- session is `second_factor` after the password and before the TOTP code
-- (it may then only complete the second factor or log out), `full` after.
-- A new id is issued at login and when the second factor completes (no
-- session fixation). `csrf` is the token a state-changing request made
-- with the cookie must echo.
CREATE TABLE sessions (
    id_sha256  TEXT PRIMARY KEY,
    username   TEXT NOT NULL REFERENCES users (username),
    stage      TEXT NOT NULL CHECK (stage IN ('second_factor', 'full')),
    csrf       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX sessions_user ON sessions (username);

-- API tokens: a public id (the first 16 hex digits of the hash), who
-- created it, an expiry, and revocation (by its owner or an
-- administrator). A revoked or expired token authenticates nobody.
ALTER TABLE api_tokens ADD COLUMN id TEXT;
ALTER TABLE api_tokens ADD COLUMN created_by TEXT;
ALTER TABLE api_tokens ADD COLUMN expires_at INTEGER;
ALTER TABLE api_tokens ADD COLUMN revoked_at INTEGER;
ALTER TABLE api_tokens ADD COLUMN revoked_by TEXT;
UPDATE api_tokens SET id = substr(token_sha256, 1, 16);
CREATE UNIQUE INDEX api_tokens_id ON api_tokens (id);

-- Signing keys: when and by whom a key was revoked. A signature made
-- after revoked_at is refused; one made before stays verifiable.
ALTER TABLE signing_keys ADD COLUMN revoked_at INTEGER;
ALTER TABLE signing_keys ADD COLUMN revoked_by TEXT;
ALTER TABLE officer_keys ADD COLUMN revoked_at INTEGER;
ALTER TABLE officer_keys ADD COLUMN revoked_by TEXT;

-- Bumped by every act that must reach every instance's caches at once
-- (a token, session, key or user revoked or changed): each instance
-- watches it and forgets what it cached when it moves.
INSERT INTO counters (name, next) VALUES ('identity_epoch', 1);
