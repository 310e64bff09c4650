-- `risk_scores` rows are written by the store with each stored risk
-- decision (score_rows.rs), from the typed event: the trigger of 0025
-- cast every stored event's JSON again inside the writer's transaction.
DROP TRIGGER IF EXISTS risk_scores_insert ON events;
DROP FUNCTION IF EXISTS risk_scores_inserted();
-- Nothing looks scores up by declaration (the yields' join goes from the
-- period's scores to `ops_labels`, unique by MRN): one index less to keep
-- on every stored decision.
DROP INDEX IF EXISTS risk_scores_mrn;
