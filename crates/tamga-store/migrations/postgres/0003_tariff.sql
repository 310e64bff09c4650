-- Tariff files as imported (`tamga tariff import`); the current tariff is
-- the one imported last. The text is kept exactly as imported.
CREATE TABLE tariffs (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT   NOT NULL,
    sha256      TEXT   NOT NULL UNIQUE,
    imported_at BIGINT NOT NULL,
    body        TEXT   NOT NULL
);
CREATE INDEX tariffs_imported_at ON tariffs (imported_at);
