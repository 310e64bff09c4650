-- A declaration keeps every standard message it was acted on with (issue
-- 19): the lodgement, and the amendments and cancellations sent as WCO
-- DEC-DMS XML, each exactly as received and signed, written in the commit
-- that records the act. `act` says which; a declaration has at most one
-- lodgement. Keyed by the message's SHA-256 (the act's event records the
-- same hash; a replayed message is one act and is not stored again).
-- Still append-only (the trigger of 0026 stays).
ALTER TABLE declaration_originals
    ADD COLUMN act TEXT NOT NULL DEFAULT 'lodgement'
    CHECK (act IN ('lodgement', 'amendment', 'cancellation'));
ALTER TABLE declaration_originals ALTER COLUMN act DROP DEFAULT;
ALTER TABLE declaration_originals DROP CONSTRAINT declaration_originals_pkey;
ALTER TABLE declaration_originals ADD PRIMARY KEY (mrn, body_sha256);
CREATE UNIQUE INDEX declaration_originals_one_lodgement ON declaration_originals (mrn)
    WHERE act = 'lodgement';
