-- The original bytes of a declaration lodged as a standard message (issue
-- 19: WCO DEC-DMS XML over `POST /api/v1/declarations`), exactly as
-- received and signed, written in the same transaction as the declaration.
-- `format` names the message format (`wco-dec-dms-xml`), `body_sha256` the
-- SHA-256 (hex) of `body` (the `lodged` event's `body_sha256`), `not_used`
-- the elements tamga does not model (JSON array of XPaths), listed in the
-- answer and kept here with the bytes that hold them. A declaration lodged
-- as JSON has no row: its `lodged` event's hash covers the JSON it parsed.
-- Append-only. Times are UTC nanoseconds.
CREATE TABLE declaration_originals (
    mrn          TEXT PRIMARY KEY REFERENCES declarations (mrn),
    format       TEXT NOT NULL,
    body         BYTEA NOT NULL,
    body_sha256  TEXT NOT NULL,
    not_used     TEXT NOT NULL,
    at           BIGINT NOT NULL
);

CREATE FUNCTION declaration_originals_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'declaration originals are append-only';
END;
$$;
CREATE TRIGGER declaration_originals_no_change BEFORE UPDATE OR DELETE ON declaration_originals
    FOR EACH ROW EXECUTE FUNCTION declaration_originals_append_only();
