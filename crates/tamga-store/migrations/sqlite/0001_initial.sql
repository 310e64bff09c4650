-- tamga storage schema, SQLite flavour. Times are INTEGER unix nanoseconds
-- (UTC): event hashes cover nanoseconds, so times must round-trip exactly.
-- JSON is stored as TEXT exactly as serialized. Dates are ISO 8601 text.

CREATE TABLE hs_codes (
    code        TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    parent      TEXT,
    level       INTEGER NOT NULL,
    section     TEXT NOT NULL,
    valid_from  TEXT NOT NULL,
    valid_to    TEXT
);

CREATE TABLE countries (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE currencies (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    minor_units INTEGER NOT NULL
);

CREATE TABLE procedures (
    code              TEXT PRIMARY KEY,
    -- ';'-separated declaration types, e.g. 'IM;CO'
    declaration_types TEXT NOT NULL,
    description       TEXT NOT NULL
);

CREATE TABLE additional_procedures (
    code        TEXT PRIMARY KEY,
    description TEXT NOT NULL
);

CREATE TABLE procedure_combinations (
    procedure            TEXT NOT NULL,
    additional_procedure TEXT NOT NULL,
    PRIMARY KEY (procedure, additional_procedure)
);

CREATE TABLE document_types (
    code        TEXT PRIMARY KEY,
    description TEXT NOT NULL
);

CREATE TABLE procedure_documents (
    procedure     TEXT NOT NULL,
    document_code TEXT NOT NULL,
    reason        TEXT NOT NULL,
    PRIMARY KEY (procedure, document_code)
);

CREATE TABLE offices (
    code      TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    country   TEXT NOT NULL,
    -- ';'-separated roles, e.g. 'IMP;EXP'
    roles     TEXT NOT NULL,
    city      TEXT NOT NULL,
    latitude  REAL NOT NULL,
    longitude REAL NOT NULL
);

CREATE TABLE operators (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE users (
    username   TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE user_offices (
    username TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    office   TEXT NOT NULL,
    PRIMARY KEY (username, position)
);

CREATE TABLE api_tokens (
    token_sha256 TEXT PRIMARY KEY,
    -- 'operator' or 'user'
    kind         TEXT NOT NULL CHECK (kind IN ('operator', 'user')),
    operator_id  TEXT REFERENCES operators (id),
    username     TEXT REFERENCES users (username),
    label        TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    CHECK ((kind = 'operator') = (operator_id IS NOT NULL)),
    CHECK ((kind = 'user') = (username IS NOT NULL))
);

CREATE TABLE signing_keys (
    key_id     TEXT PRIMARY KEY,
    operator   TEXT NOT NULL REFERENCES operators (id),
    public_key TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX signing_keys_operator ON signing_keys (operator);

CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    next INTEGER NOT NULL
);

CREATE TABLE declarations (
    -- registration order (rowid alias)
    id               INTEGER PRIMARY KEY,
    mrn              TEXT NOT NULL UNIQUE,
    lrn              TEXT NOT NULL,
    declarant        TEXT NOT NULL,
    representative   TEXT,
    lodged_by        TEXT NOT NULL,
    office           TEXT NOT NULL,
    declaration_type TEXT NOT NULL,
    state            TEXT NOT NULL,
    channel          TEXT NOT NULL,
    version          INTEGER NOT NULL,
    body_sha256      TEXT NOT NULL,
    registered_at    INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    last_seq         INTEGER NOT NULL,
    last_hash        TEXT NOT NULL,
    -- the Declaration as JSON
    doc              TEXT NOT NULL,
    UNIQUE (declarant, lrn)
);
CREATE INDEX declarations_declarant ON declarations (declarant);
CREATE INDEX declarations_representative ON declarations (representative) WHERE representative IS NOT NULL;
CREATE INDEX declarations_office_state ON declarations (office, state);

CREATE TABLE events (
    id           INTEGER PRIMARY KEY,
    mrn          TEXT NOT NULL REFERENCES declarations (mrn),
    seq          INTEGER NOT NULL,
    actor        TEXT NOT NULL,
    at           INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    body         TEXT NOT NULL,
    payload_hash TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL,
    UNIQUE (mrn, seq)
);

-- Events are append-only.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;

CREATE TABLE notifications (
    -- the pull cursor
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient TEXT NOT NULL,
    kind      TEXT NOT NULL,
    mrn       TEXT,
    lrn       TEXT,
    at        INTEGER NOT NULL,
    payload   TEXT NOT NULL
);
CREATE INDEX notifications_recipient ON notifications (recipient, id);

CREATE TABLE webhooks (
    operator        TEXT PRIMARY KEY,
    url             TEXT NOT NULL,
    delivered_up_to INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE selectivity_criteria (
    id        TEXT PRIMARY KEY,
    criterion TEXT NOT NULL
);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    at      INTEGER NOT NULL,
    payload TEXT NOT NULL
);
