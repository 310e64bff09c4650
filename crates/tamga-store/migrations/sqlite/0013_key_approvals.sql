-- Who approved each signing key registered through the API (issue 15): a
-- bearer token alone no longer registers a key. A holder's further key is
-- approved by a request signed with one of its active keys
-- (`approving_key`, and the SHA-256 of the signed body, so the same body
-- again is answered as a replay); a first or replacement key is registered
-- by an administrator (`approved_by` = `user:<admin>`). `owner` is
-- `operator:<EORI>` or `user:<username>`, as in `public_keys`.
CREATE TABLE key_approvals (
    key_id        TEXT PRIMARY KEY,
    owner         TEXT NOT NULL,
    approved_by   TEXT NOT NULL,
    approving_key TEXT,
    body_sha256   TEXT,
    at            BIGINT NOT NULL
);
CREATE INDEX key_approvals_owner ON key_approvals (owner, at);
