-- Secrets random selection draws are keyed with (HMAC-SHA256 of the draw's
-- purpose, the officers' seed and the MRN). 256 bits from the OS CSPRNG,
-- hex; `commitment` is the SHA-256 (hex) of the secret's bytes, published
-- while it is in use. Exactly one secret is current (`current` = 1, unique;
-- NULL once retired), so instances starting together on one database
-- create one. A retired secret is revealed for audit. Never deleted: every
-- risk decision names the secret its draws were keyed with.
CREATE TABLE draw_secrets (
    id         INTEGER PRIMARY KEY,
    secret     TEXT NOT NULL,
    commitment TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    retired_at INTEGER,
    current    INTEGER UNIQUE CHECK (current = 1),
    CHECK ((current IS NULL) = (retired_at IS NOT NULL))
);
