-- Tariff quota draws, first come first served: one row per declaration,
-- quota order number and quota period. Written in the same transaction as
-- the declaration; deleted (the quantity returns to the balance) when the
-- declaration is invalidated or refused. Quantities are decimal strings.
CREATE TABLE quota_draws (
    mrn          TEXT NOT NULL,
    order_number TEXT NOT NULL,
    period_from  TEXT NOT NULL,
    quantity     TEXT NOT NULL,
    PRIMARY KEY (mrn, order_number, period_from)
);
