-- Risk management (issue 4): profiles with immutable versions and an
-- explicit active version, channel policy, pre-arrival information with
-- its preliminary decisions. Times are unix nanoseconds (UTC).

CREATE TABLE risk_profiles (
    id             TEXT PRIMARY KEY,
    -- 'draft' (never active), 'active', 'retired'
    status         TEXT NOT NULL CHECK (status IN ('draft', 'active', 'retired')),
    active_version INTEGER,
    created_at     INTEGER NOT NULL,
    created_by     TEXT NOT NULL,
    updated_at     INTEGER NOT NULL,
    updated_by     TEXT NOT NULL,
    CHECK ((status = 'active') = (active_version IS NOT NULL))
);

CREATE TABLE risk_profile_versions (
    profile_id TEXT NOT NULL REFERENCES risk_profiles (id),
    version    INTEGER NOT NULL,
    -- the Profile as JSON
    profile    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (profile_id, version)
);

-- Versions are immutable.
CREATE TRIGGER risk_profile_versions_no_update BEFORE UPDATE ON risk_profile_versions
BEGIN
    SELECT RAISE(ABORT, 'profile versions are immutable');
END;

CREATE TABLE risk_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE risk_prearrivals (
    id                 TEXT PRIMARY KEY,
    transport_document TEXT NOT NULL,
    office             TEXT NOT NULL,
    submitted_by       TEXT NOT NULL,
    submitted_at       INTEGER NOT NULL,
    expected_arrival   INTEGER NOT NULL,
    channel            TEXT NOT NULL,
    -- the AdvanceCargo and the RiskDecision as JSON
    info               TEXT NOT NULL,
    decision           TEXT NOT NULL
);
CREATE INDEX risk_prearrivals_office ON risk_prearrivals (office, expected_arrival);
CREATE INDEX risk_prearrivals_document ON risk_prearrivals (transport_document);

-- Period queries (profile tests, analytics) over registered declarations.
CREATE INDEX IF NOT EXISTS declarations_registered_at ON declarations (registered_at);
