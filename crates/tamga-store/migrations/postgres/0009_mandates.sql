-- Mandates (issue 13, finding 1): a declarant's signed authorisation of a
-- representative to lodge, amend and invalidate declarations in its name.
-- `terms` is the parsed grant (tamga_core::mandate::MandateTerms, JSON);
-- `body` the exact signed grant body, kept with its signing key and
-- detached signature so the grant can be verified later. A body is granted once (its SHA-256 is
-- unique), so a revoked mandate cannot be brought back by sending its
-- signed body again. Mandates are never deleted; a revocation sets
-- `revoked_at` and keeps its own signed body.
CREATE TABLE mandates (
    id              BIGSERIAL PRIMARY KEY,
    declarant       TEXT NOT NULL REFERENCES operators (id),
    representative  TEXT NOT NULL REFERENCES operators (id),
    terms           TEXT NOT NULL,
    body            TEXT NOT NULL,
    body_sha256     TEXT NOT NULL UNIQUE,
    signing_key     TEXT NOT NULL,
    signature       TEXT NOT NULL,
    granted_at      BIGINT NOT NULL,
    revoked_at      BIGINT,
    revocation_body TEXT,
    revocation_key  TEXT,
    revocation_signature TEXT
);
CREATE INDEX mandates_pair ON mandates (declarant, representative);
CREATE INDEX mandates_representative ON mandates (representative);
