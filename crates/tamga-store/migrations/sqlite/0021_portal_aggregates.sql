-- Aggregates the portal's dashboards and statements read (issue 16),
-- kept by triggers in the transaction that writes the rows they count,
-- so every instance on the database reads the same figures. Every write
-- to `declarations` and `events` is a group commit (SQLite's single
-- writer; PostgreSQL's commit lock), every ledger entry is written with
-- its account's balance: the counters are never written concurrently.
-- A day is `time / 86400000000000` (UTC days since 1970-01-01).

-- Declarations registered per day and channel (the current channel).
CREATE TABLE dash_declarations (
    day     INTEGER NOT NULL,
    channel TEXT NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (day, channel)
);
INSERT INTO dash_declarations (day, channel, n)
    SELECT registered_at / 86400000000000, channel, COUNT(*) FROM declarations
    GROUP BY registered_at / 86400000000000, channel;
CREATE TRIGGER dash_declarations_insert AFTER INSERT ON declarations
BEGIN
    INSERT INTO dash_declarations (day, channel, n)
        VALUES (NEW.registered_at / 86400000000000, NEW.channel, 1)
        ON CONFLICT (day, channel) DO UPDATE SET n = n + 1;
END;

-- The risk profiles each declaration's risk decisions hit (one row per
-- declaration and profile, whatever the number of decisions), with the
-- declaration's registration time: profile yields are counted from
-- here, never from the decisions' JSON.
CREATE TABLE risk_hits (
    mrn           TEXT NOT NULL,
    profile_id    TEXT NOT NULL,
    registered_at INTEGER NOT NULL,
    PRIMARY KEY (mrn, profile_id)
);
CREATE INDEX risk_hits_registered_at ON risk_hits (registered_at, profile_id, mrn);
INSERT OR IGNORE INTO risk_hits (mrn, profile_id, registered_at)
    SELECT e.mrn, json_extract(j.value, '$.profileId'), d.registered_at
    FROM events e JOIN declarations d ON d.mrn = e.mrn,
         json_each(e.body, '$.decision.profileHits') j
    WHERE e.kind = 'risk_assessed' AND json_extract(j.value, '$.profileId') IS NOT NULL;
CREATE TRIGGER risk_hits_insert AFTER INSERT ON events WHEN NEW.kind = 'risk_assessed'
BEGIN
    INSERT OR IGNORE INTO risk_hits (mrn, profile_id, registered_at)
        SELECT NEW.mrn, json_extract(j.value, '$.profileId'), d.registered_at
        FROM declarations d, json_each(NEW.body, '$.decision.profileHits') j
        WHERE d.mrn = NEW.mrn AND json_extract(j.value, '$.profileId') IS NOT NULL;
END;

-- Hits per day of registration and profile.
CREATE TABLE dash_profile_hits (
    day        INTEGER NOT NULL,
    profile_id TEXT NOT NULL,
    hits       INTEGER NOT NULL,
    PRIMARY KEY (day, profile_id)
);
INSERT INTO dash_profile_hits (day, profile_id, hits)
    SELECT registered_at / 86400000000000, profile_id, COUNT(*) FROM risk_hits
    GROUP BY registered_at / 86400000000000, profile_id;
CREATE TRIGGER dash_profile_hits_insert AFTER INSERT ON risk_hits
BEGIN
    INSERT INTO dash_profile_hits (day, profile_id, hits)
        VALUES (NEW.registered_at / 86400000000000, NEW.profile_id, 1)
        ON CONFLICT (day, profile_id) DO UPDATE SET hits = hits + 1;
END;

-- Releases per day of registration, channel and whole seconds from
-- registration to release: the percentiles of release times in whole
-- seconds are read from this histogram.
CREATE TABLE dash_release (
    day     INTEGER NOT NULL,
    channel TEXT NOT NULL,
    seconds INTEGER NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (day, channel, seconds)
);
INSERT INTO dash_release (day, channel, seconds, n)
    SELECT d.registered_at / 86400000000000, d.channel, (e.at - d.registered_at) / 1000000000, COUNT(*)
    FROM events e JOIN declarations d ON d.mrn = e.mrn
    WHERE e.kind = 'released'
    GROUP BY d.registered_at / 86400000000000, d.channel, (e.at - d.registered_at) / 1000000000;
CREATE TRIGGER dash_release_insert AFTER INSERT ON events WHEN NEW.kind = 'released'
BEGIN
    INSERT INTO dash_release (day, channel, seconds, n)
        SELECT d.registered_at / 86400000000000, d.channel, (NEW.at - d.registered_at) / 1000000000, 1
        FROM declarations d WHERE d.mrn = NEW.mrn
        ON CONFLICT (day, channel, seconds) DO UPDATE SET n = n + 1;
END;

-- A declaration whose channel changes moves to its new channel, with
-- its releases (the figures are by current channel).
CREATE TRIGGER dash_declarations_channel AFTER UPDATE OF channel ON declarations
    WHEN OLD.channel <> NEW.channel
BEGIN
    UPDATE dash_declarations SET n = n - 1
        WHERE day = OLD.registered_at / 86400000000000 AND channel = OLD.channel;
    INSERT INTO dash_declarations (day, channel, n)
        VALUES (NEW.registered_at / 86400000000000, NEW.channel, 1)
        ON CONFLICT (day, channel) DO UPDATE SET n = n + 1;
    UPDATE dash_release SET n = n - (
            SELECT COUNT(*) FROM events e
            WHERE e.mrn = NEW.mrn AND e.kind = 'released'
              AND (e.at - NEW.registered_at) / 1000000000 = dash_release.seconds)
        WHERE day = NEW.registered_at / 86400000000000 AND channel = OLD.channel;
    INSERT INTO dash_release (day, channel, seconds, n)
        SELECT NEW.registered_at / 86400000000000, NEW.channel, (e.at - NEW.registered_at) / 1000000000, COUNT(*)
        FROM events e WHERE e.mrn = NEW.mrn AND e.kind = 'released'
        GROUP BY (e.at - NEW.registered_at) / 1000000000
        ON CONFLICT (day, channel, seconds) DO UPDATE SET n = n + excluded.n;
END;

-- Each account's movements summed per day and bucket: opening and
-- closing balances of a statement and the revenue per day read a row
-- per day instead of every entry.
CREATE TABLE ledger_days (
    account INTEGER NOT NULL,
    day     INTEGER NOT NULL,
    bucket  TEXT NOT NULL,
    total   INTEGER NOT NULL,
    entries INTEGER NOT NULL,
    PRIMARY KEY (account, day, bucket)
);
INSERT INTO ledger_days (account, day, bucket, total, entries)
    SELECT account, at / 86400000000000, bucket, SUM(delta), COUNT(*) FROM ledger_entries
    GROUP BY account, at / 86400000000000, bucket;
CREATE TRIGGER ledger_days_insert AFTER INSERT ON ledger_entries
BEGIN
    INSERT INTO ledger_days (account, day, bucket, total, entries)
        VALUES (NEW.account, NEW.at / 86400000000000, NEW.bucket, NEW.delta, 1)
        ON CONFLICT (account, day, bucket) DO UPDATE
        SET total = total + excluded.total, entries = entries + 1;
END;

-- What each operator has read of its notifications in the portal: the
-- id of the newest notification it marked as read (only moves forward).
CREATE TABLE notification_reads (
    recipient  TEXT PRIMARY KEY,
    read_up_to INTEGER NOT NULL
);

-- A party's declarations by state, and inspections closed per day.
CREATE INDEX declarations_declarant_state ON declarations (declarant, state);
CREATE INDEX declarations_representative_state ON declarations (representative, state)
    WHERE representative IS NOT NULL;
CREATE INDEX ops_tasks_closed_at ON ops_tasks (closed_at) WHERE status = 'done';
