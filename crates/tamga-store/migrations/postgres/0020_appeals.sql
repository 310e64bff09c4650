-- Appeals against customs decisions (issue 16; tamga_core::appeal).
-- `lodging_body` is the exact signed appeal body (with the attachments in
-- base64, which the signature covers), kept with the key and signature so
-- the appeal can be verified later; a signed body is lodged once (its
-- SHA-256 is unique: sending it again is a replay). The decoded
-- attachments are kept beside it in `appeal_attachments` for download,
-- and their names, types, sizes and hashes in `attachments` (JSON).
-- `appealed_*` name the event of the declaration appealed against.
-- At most one appeal per declaration and subject is open (`lodged`) at a
-- time (the partial unique index). A decision sets the status and the
-- decision columns once; appeals are never deleted.
CREATE TABLE appeals (
    id                    BIGSERIAL PRIMARY KEY,
    mrn                   TEXT NOT NULL,
    office                TEXT NOT NULL,
    declarant             TEXT NOT NULL,
    appellant             TEXT NOT NULL,
    subject               TEXT NOT NULL CHECK (subject IN ('refusal', 'duty_assessment', 'control_result')),
    status                TEXT NOT NULL CHECK (status IN ('lodged', 'upheld', 'dismissed')),
    reason                TEXT NOT NULL,
    appealed_seq          BIGINT NOT NULL,
    appealed_kind         TEXT NOT NULL,
    appealed_actor        TEXT NOT NULL,
    attachments           TEXT NOT NULL,
    lodged_at             BIGINT NOT NULL,
    lodging_body          TEXT NOT NULL,
    body_sha256           TEXT NOT NULL UNIQUE,
    signing_key           TEXT NOT NULL,
    signature             TEXT NOT NULL,
    decided_at            BIGINT,
    decided_by            TEXT,
    decision_reason       TEXT,
    decision_body         TEXT,
    decision_body_sha256  TEXT UNIQUE,
    decision_key          TEXT,
    decision_signature    TEXT
);
CREATE UNIQUE INDEX appeals_open ON appeals (mrn, subject) WHERE status = 'lodged';
CREATE INDEX appeals_declarant ON appeals (declarant);
CREATE INDEX appeals_appellant ON appeals (appellant);
CREATE INDEX appeals_office ON appeals (office);
CREATE TABLE appeal_attachments (
    appeal_id   BIGINT NOT NULL REFERENCES appeals (id),
    n           INTEGER NOT NULL,
    content     BYTEA NOT NULL,
    PRIMARY KEY (appeal_id, n)
);
