-- A declaration keeps every standard message it was acted on with (issue
-- 19): the lodgement, and the amendments and cancellations sent as WCO
-- DEC-DMS XML, each exactly as received and signed, written in the commit
-- that records the act. `act` says which; a declaration has at most one
-- lodgement. Keyed by the message's SHA-256 (the act's event records the
-- same hash; a replayed message is one act and is not stored again).
-- Rebuilt, as SQLite cannot change a primary key; still append-only.
DROP TRIGGER declaration_originals_no_update;
DROP TRIGGER declaration_originals_no_delete;

CREATE TABLE declaration_originals_0028 (
    mrn          TEXT NOT NULL REFERENCES declarations (mrn),
    act          TEXT NOT NULL CHECK (act IN ('lodgement', 'amendment', 'cancellation')),
    format       TEXT NOT NULL,
    body         BLOB NOT NULL,
    body_sha256  TEXT NOT NULL,
    not_used     TEXT NOT NULL,
    at           INTEGER NOT NULL,
    PRIMARY KEY (mrn, body_sha256)
);
INSERT INTO declaration_originals_0028 (mrn, act, format, body, body_sha256, not_used, at)
    SELECT mrn, 'lodgement', format, body, body_sha256, not_used, at FROM declaration_originals;
DROP TABLE declaration_originals;
ALTER TABLE declaration_originals_0028 RENAME TO declaration_originals;
CREATE UNIQUE INDEX declaration_originals_one_lodgement ON declaration_originals (mrn)
    WHERE act = 'lodgement';

CREATE TRIGGER declaration_originals_no_update BEFORE UPDATE ON declaration_originals
BEGIN
    SELECT RAISE(ABORT, 'declaration originals are append-only');
END;
CREATE TRIGGER declaration_originals_no_delete BEFORE DELETE ON declaration_originals
BEGIN
    SELECT RAISE(ABORT, 'declaration originals are append-only');
END;
