-- Operations (issue 4): the trader digital twin, AEO status, inspectors,
-- inspection tasks with their findings, and labels for the learning
-- model. Times are INTEGER unix nanoseconds; JSON is TEXT as serialized.

-- Position of the operations pump in the event log (events.id).
CREATE TABLE ops_cursor (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);

-- What each declaration contributes to its declarant's metrics.
CREATE TABLE ops_declaration_facts (
    mrn        TEXT PRIMARY KEY,
    declarant  TEXT NOT NULL,
    facts      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX ops_declaration_facts_declarant ON ops_declaration_facts (declarant);

-- Current metrics per trader, with the assessment of its latest snapshot.
CREATE TABLE ops_trader_metrics (
    operator    TEXT PRIMARY KEY,
    metrics     TEXT NOT NULL,
    assessment  TEXT,
    snapshot_at INTEGER,
    updated_at  INTEGER NOT NULL
);

-- Metrics and category over time, with what changed.
CREATE TABLE ops_trader_snapshots (
    id         INTEGER PRIMARY KEY,
    operator   TEXT NOT NULL,
    at         INTEGER NOT NULL,
    category   TEXT NOT NULL,
    assessment TEXT NOT NULL,
    metrics    TEXT NOT NULL,
    changes    TEXT NOT NULL
);
CREATE INDEX ops_trader_snapshots_operator ON ops_trader_snapshots (operator, id);

CREATE TABLE ops_aeo (
    operator   TEXT PRIMARY KEY,
    aeo        BOOLEAN NOT NULL,
    reference  TEXT,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE TABLE ops_inspectors (
    username    TEXT PRIMARY KEY,
    office      TEXT NOT NULL,
    competences TEXT NOT NULL,
    capacity    INTEGER NOT NULL CHECK (capacity > 0),
    active      BOOLEAN NOT NULL,
    supervisor  BOOLEAN NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- One inspection task per controlled declaration.
CREATE TABLE ops_tasks (
    mrn         TEXT PRIMARY KEY,
    office      TEXT NOT NULL,
    channel     TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('open', 'done')),
    inspector   TEXT,
    created_at  INTEGER NOT NULL,
    assigned_at INTEGER,
    dispatch    TEXT NOT NULL,
    outcome     TEXT,
    result_by   TEXT,
    result_at   INTEGER,
    closed_at   INTEGER
);
CREATE INDEX ops_tasks_inspector ON ops_tasks (inspector, status);
CREATE INDEX ops_tasks_office ON ops_tasks (office, status);

CREATE TABLE ops_findings (
    id                INTEGER PRIMARY KEY,
    mrn               TEXT NOT NULL,
    officer           TEXT NOT NULL,
    at                INTEGER NOT NULL,
    kind              TEXT NOT NULL,
    item              INTEGER,
    declared_value    TEXT,
    corrected_value   TEXT,
    additional_duties TEXT NOT NULL,
    description       TEXT
);
CREATE INDEX ops_findings_mrn ON ops_findings (mrn);

-- Released or refused declarations, in the order they became final.
CREATE TABLE ops_labels (
    id        INTEGER PRIMARY KEY,
    mrn       TEXT NOT NULL UNIQUE,
    inspected BOOLEAN NOT NULL,
    outcome   TEXT,
    final_state TEXT NOT NULL,
    at        INTEGER NOT NULL
);
