-- The learning risk model's registry (issue 17). `risk_models` holds every
-- trained model, append-only but for its validation, which is written once:
-- the model file (`body`, the bytes `tamga_model::GbdtModel::to_bytes`
-- wrote), its SHA-256 (`content_hash`), the training data's range and
-- size, the feature names (JSON array) and what training reported (JSON).
-- `validation` (JSON: the metrics on the latest period, the comparison
-- with the model active then) is NULL until the model was validated; a
-- model without it can never be activated (checked in the INSERT of the
-- activation itself).
-- `risk_model_activations` is the append-only history of which model is
-- live: the latest row's `version` is the active model (NULL: none, the
-- rules alone). Rolling back appends a row too. Times are UTC nanoseconds.
-- `leases` lets work that must run once across instances (retraining)
-- claim a named lease until a time.
CREATE TABLE risk_models (
    version       BIGSERIAL PRIMARY KEY,
    created_at    BIGINT NOT NULL,
    created_by    TEXT NOT NULL,
    source        TEXT NOT NULL,
    data_from     TEXT,
    data_to       TEXT,
    rows_trained  BIGINT NOT NULL,
    frauds        BIGINT NOT NULL,
    features      TEXT NOT NULL,
    training      TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    body          BYTEA NOT NULL,
    validation    TEXT,
    validated_at  BIGINT
);

CREATE TABLE risk_model_activations (
    id        BIGSERIAL PRIMARY KEY,
    version   BIGINT REFERENCES risk_models (version),
    action    TEXT NOT NULL,
    by_user   TEXT NOT NULL,
    reason    TEXT NOT NULL,
    at        BIGINT NOT NULL
);

CREATE TABLE leases (
    name    TEXT PRIMARY KEY,
    holder  TEXT NOT NULL,
    until   BIGINT NOT NULL
);

-- Every risk decision the model scored, kept by trigger in the writing
-- transaction (from the `risk_assessed` event's `decision.model` and
-- `decision.exploration`): the score distribution per period (drift) and
-- the yields of exploratory and other selections (the adaptive share)
-- are read from here, never from the events' JSON.
CREATE TABLE risk_scores (
    mrn          TEXT NOT NULL,
    at           BIGINT NOT NULL,
    version      BIGINT NOT NULL,
    score        DOUBLE PRECISION NOT NULL,
    channel      TEXT NOT NULL,
    explored     BOOLEAN,
    probability  DOUBLE PRECISION
);
CREATE INDEX risk_scores_at ON risk_scores (at);
CREATE INDEX risk_scores_mrn ON risk_scores (mrn);
CREATE FUNCTION risk_scores_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO risk_scores (mrn, at, version, score, channel, explored, probability)
        SELECT e.mrn, e.at,
               (e.body::jsonb #>> '{decision,model,version}')::bigint,
               (e.body::jsonb #>> '{decision,model,score}')::double precision,
               e.body::jsonb #>> '{decision,channel}',
               (e.body::jsonb #>> '{decision,exploration,selected}')::boolean,
               (e.body::jsonb #>> '{decision,exploration,probability}')::double precision
        FROM new_rows e
        WHERE e.kind = 'risk_assessed' AND e.body::jsonb #> '{decision,model,version}' IS NOT NULL;
    RETURN NULL;
END;
$$;
CREATE TRIGGER risk_scores_insert AFTER INSERT ON events
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk_scores_inserted();
