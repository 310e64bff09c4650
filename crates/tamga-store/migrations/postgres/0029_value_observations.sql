-- Customs value control (issue 18, part 4): one observation per goods item
-- and quantity unit of an assessed declaration (value_sql.rs), written by
-- the store in the transaction that stores the duty assessment, from the
-- typed event: the customs value in national currency as the assessment
-- converted it, per kg of net mass (`unit` = 'kg') or per supplementary
-- unit ('supplementary'), as decimal text. `released_at` is set in the
-- transaction that appends the declaration's `released` event (automatic
-- or an officer's): only released observations are in the reference
-- database. An amendment replaces the declaration's rows. Times are UTC
-- nanoseconds.
CREATE TABLE value_observations (
    mrn          TEXT NOT NULL,
    item         BIGINT NOT NULL,
    unit         TEXT NOT NULL,
    code         TEXT NOT NULL,
    hs6          TEXT NOT NULL,
    origin       TEXT NOT NULL,
    declarant    TEXT NOT NULL,
    unit_value   TEXT NOT NULL,
    currency     TEXT NOT NULL,
    assessed_at  BIGINT NOT NULL,
    released_at  BIGINT,
    PRIMARY KEY (mrn, item, unit)
);
-- The reference of a national code and origin, and of a subheading with
-- or without an origin, over a window of release times; observations not
-- released are not indexed.
CREATE INDEX value_observations_code ON value_observations (code, origin, unit, currency, released_at)
    WHERE released_at IS NOT NULL;
CREATE INDEX value_observations_hs6 ON value_observations (hs6, unit, currency, origin, released_at)
    WHERE released_at IS NOT NULL;
