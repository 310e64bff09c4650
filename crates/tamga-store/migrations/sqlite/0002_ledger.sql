-- The single personal account: a double-entry ledger (see
-- tamga_core::ledger). Amounts are INTEGER minor units of the account's
-- currency (UZS: tiyin), exact; balances are kept on the normal side of
-- each account, so every balance is >= 0 (also enforced by CHECK).

CREATE TABLE ledger_accounts (
    id                INTEGER PRIMARY KEY,
    -- operator id; '' for the internal accounts of a currency
    owner             TEXT NOT NULL,
    kind              TEXT NOT NULL,
    currency          TEXT NOT NULL,
    available         INTEGER NOT NULL DEFAULT 0 CHECK (available >= 0),
    reserved          INTEGER NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    -- ISO 11649 reference traders quote on bank transfers (cash accounts)
    payment_reference TEXT UNIQUE,
    created_at        INTEGER NOT NULL,
    UNIQUE (owner, kind, currency)
);

CREATE TABLE ledger_txns (
    id        INTEGER PRIMARY KEY,
    kind      TEXT NOT NULL,
    at        INTEGER NOT NULL,
    mrn       TEXT,
    reference TEXT,
    actor     TEXT
);

-- Signed amounts: credit > 0, debit < 0; each transaction sums to 0.
-- delta is the change to the bucket's normal-side balance.
CREATE TABLE ledger_entries (
    id      INTEGER PRIMARY KEY,
    txn     INTEGER NOT NULL REFERENCES ledger_txns (id),
    account INTEGER NOT NULL REFERENCES ledger_accounts (id),
    bucket  TEXT NOT NULL,
    amount  INTEGER NOT NULL,
    delta   INTEGER NOT NULL,
    at      INTEGER NOT NULL,
    mrn     TEXT
);
CREATE INDEX ledger_entries_account_at ON ledger_entries (account, at, id);

-- Idempotency of bank payments: the bank's reference is unique.
CREATE TABLE ledger_deposits (
    bank_reference TEXT PRIMARY KEY,
    account        INTEGER NOT NULL REFERENCES ledger_accounts (id),
    amount         INTEGER NOT NULL,
    txn            INTEGER NOT NULL REFERENCES ledger_txns (id)
);

-- One reservation per declaration (a released one may be replaced).
CREATE TABLE ledger_reservations (
    mrn        TEXT PRIMARY KEY,
    account    INTEGER NOT NULL REFERENCES ledger_accounts (id),
    amount     INTEGER NOT NULL CHECK (amount > 0),
    status     TEXT NOT NULL,
    txn        INTEGER NOT NULL REFERENCES ledger_txns (id),
    settle_txn INTEGER REFERENCES ledger_txns (id)
);

CREATE TABLE ledger_refunds (
    id          INTEGER PRIMARY KEY,
    account     INTEGER NOT NULL REFERENCES ledger_accounts (id),
    amount      INTEGER NOT NULL CHECK (amount > 0),
    status      TEXT NOT NULL,
    txn         INTEGER NOT NULL REFERENCES ledger_txns (id),
    decide_txn  INTEGER REFERENCES ledger_txns (id),
    decided_by  TEXT
);
