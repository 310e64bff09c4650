-- Officers' (and administrators') Ed25519 public keys: every legally
-- significant officer act carries a detached signature made with one of
-- them. Keys are never deleted, so a signature stored with an act can be
-- verified later; a revoked key no longer signs new acts.
CREATE TABLE officer_keys (
    key_id     TEXT PRIMARY KEY,
    username   TEXT NOT NULL REFERENCES users (username),
    public_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked    BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX officer_keys_username ON officer_keys (username);
