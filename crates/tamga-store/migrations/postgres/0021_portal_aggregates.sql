-- Aggregates the portal's dashboards and statements read (issue 16),
-- kept by triggers in the transaction that writes the rows they count,
-- so every instance on the database reads the same figures. Every write
-- to `declarations` and `events` is a group commit holding the commit
-- lock, and every ledger entry is written after its account's balance
-- row is updated (locked): the counters are never written by two
-- transactions at once, so they cannot deadlock. The triggers are per
-- statement (transition tables) and touch the counters in key order.
-- A day is `time / 86400000000000` (UTC days since 1970-01-01).

-- Declarations registered per day and channel (the current channel).
CREATE TABLE dash_declarations (
    day     BIGINT NOT NULL,
    channel TEXT NOT NULL,
    n       BIGINT NOT NULL,
    PRIMARY KEY (day, channel)
);
INSERT INTO dash_declarations (day, channel, n)
    SELECT registered_at / 86400000000000, channel, COUNT(*) FROM declarations
    GROUP BY registered_at / 86400000000000, channel;

CREATE FUNCTION dash_declarations_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO dash_declarations (day, channel, n)
        SELECT registered_at / 86400000000000, channel, COUNT(*) FROM new_rows
        GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (day, channel) DO UPDATE SET n = dash_declarations.n + excluded.n;
    RETURN NULL;
END;
$$;
CREATE TRIGGER dash_declarations_insert AFTER INSERT ON declarations
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION dash_declarations_inserted();

-- The risk profiles each declaration's risk decisions hit (one row per
-- declaration and profile, whatever the number of decisions), with the
-- declaration's registration time: profile yields are counted from
-- here, never from the decisions' JSON.
CREATE TABLE risk_hits (
    mrn           TEXT NOT NULL,
    profile_id    TEXT NOT NULL,
    registered_at BIGINT NOT NULL,
    PRIMARY KEY (mrn, profile_id)
);
CREATE INDEX risk_hits_registered_at ON risk_hits (registered_at, profile_id, mrn);
INSERT INTO risk_hits (mrn, profile_id, registered_at)
    SELECT DISTINCT e.mrn, j.value ->> 'profileId', d.registered_at
    FROM events e JOIN declarations d ON d.mrn = e.mrn
    CROSS JOIN LATERAL jsonb_array_elements(
        COALESCE(e.body::jsonb #> '{decision,profileHits}', '[]'::jsonb)) j
    WHERE e.kind = 'risk_assessed' AND j.value ->> 'profileId' IS NOT NULL
    ON CONFLICT DO NOTHING;

-- Hits per day of registration and profile.
CREATE TABLE dash_profile_hits (
    day        BIGINT NOT NULL,
    profile_id TEXT NOT NULL,
    hits       BIGINT NOT NULL,
    PRIMARY KEY (day, profile_id)
);
INSERT INTO dash_profile_hits (day, profile_id, hits)
    SELECT registered_at / 86400000000000, profile_id, COUNT(*) FROM risk_hits
    GROUP BY registered_at / 86400000000000, profile_id;

-- Releases per day of registration, channel and whole seconds from
-- registration to release: the percentiles of release times in whole
-- seconds are read from this histogram.
CREATE TABLE dash_release (
    day     BIGINT NOT NULL,
    channel TEXT NOT NULL,
    seconds BIGINT NOT NULL,
    n       BIGINT NOT NULL,
    PRIMARY KEY (day, channel, seconds)
);
INSERT INTO dash_release (day, channel, seconds, n)
    SELECT d.registered_at / 86400000000000, d.channel, (e.at - d.registered_at) / 1000000000, COUNT(*)
    FROM events e JOIN declarations d ON d.mrn = e.mrn
    WHERE e.kind = 'released'
    GROUP BY 1, 2, 3;

CREATE FUNCTION dash_events_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH hit AS (
        INSERT INTO risk_hits (mrn, profile_id, registered_at)
            SELECT DISTINCT e.mrn, j.value ->> 'profileId', d.registered_at
            FROM new_rows e JOIN declarations d ON d.mrn = e.mrn
            CROSS JOIN LATERAL jsonb_array_elements(
                COALESCE(e.body::jsonb #> '{decision,profileHits}', '[]'::jsonb)) j
            WHERE e.kind = 'risk_assessed' AND j.value ->> 'profileId' IS NOT NULL
            ORDER BY 1, 2
            ON CONFLICT DO NOTHING
            RETURNING profile_id, registered_at
    )
    INSERT INTO dash_profile_hits (day, profile_id, hits)
        SELECT registered_at / 86400000000000, profile_id, COUNT(*) FROM hit
        GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (day, profile_id) DO UPDATE SET hits = dash_profile_hits.hits + excluded.hits;
    INSERT INTO dash_release (day, channel, seconds, n)
        SELECT d.registered_at / 86400000000000, d.channel, (e.at - d.registered_at) / 1000000000, COUNT(*)
        FROM new_rows e JOIN declarations d ON d.mrn = e.mrn
        WHERE e.kind = 'released'
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (day, channel, seconds) DO UPDATE SET n = dash_release.n + excluded.n;
    RETURN NULL;
END;
$$;
CREATE TRIGGER dash_events_insert AFTER INSERT ON events
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION dash_events_inserted();

-- A declaration whose channel changes moves to its new channel, with
-- its releases (the figures are by current channel).
CREATE FUNCTION dash_declarations_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO dash_declarations (day, channel, n)
        SELECT day, channel, SUM(n) FROM (
            SELECT o.registered_at / 86400000000000 AS day, o.channel AS channel, -1 AS n
            FROM old_rows o JOIN new_rows w ON w.mrn = o.mrn WHERE o.channel <> w.channel
            UNION ALL
            SELECT w.registered_at / 86400000000000, w.channel, 1
            FROM old_rows o JOIN new_rows w ON w.mrn = o.mrn WHERE o.channel <> w.channel
        ) c
        GROUP BY day, channel ORDER BY day, channel
        ON CONFLICT (day, channel) DO UPDATE SET n = dash_declarations.n + excluded.n;
    INSERT INTO dash_release (day, channel, seconds, n)
        SELECT day, channel, seconds, SUM(n) FROM (
            SELECT o.registered_at / 86400000000000 AS day, o.channel AS channel,
                   (e.at - o.registered_at) / 1000000000 AS seconds, -1 AS n
            FROM old_rows o JOIN new_rows w ON w.mrn = o.mrn
            JOIN events e ON e.mrn = o.mrn AND e.kind = 'released' WHERE o.channel <> w.channel
            UNION ALL
            SELECT w.registered_at / 86400000000000, w.channel, (e.at - w.registered_at) / 1000000000, 1
            FROM old_rows o JOIN new_rows w ON w.mrn = o.mrn
            JOIN events e ON e.mrn = w.mrn AND e.kind = 'released' WHERE o.channel <> w.channel
        ) c
        GROUP BY day, channel, seconds ORDER BY day, channel, seconds
        ON CONFLICT (day, channel, seconds) DO UPDATE SET n = dash_release.n + excluded.n;
    RETURN NULL;
END;
$$;
CREATE TRIGGER dash_declarations_update AFTER UPDATE ON declarations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION dash_declarations_updated();

-- Each account's movements summed per day and bucket: opening and
-- closing balances of a statement and the revenue per day read a row
-- per day instead of every entry.
CREATE TABLE ledger_days (
    account BIGINT NOT NULL,
    day     BIGINT NOT NULL,
    bucket  TEXT NOT NULL,
    total   BIGINT NOT NULL,
    entries BIGINT NOT NULL,
    PRIMARY KEY (account, day, bucket)
);
INSERT INTO ledger_days (account, day, bucket, total, entries)
    SELECT account, at / 86400000000000, bucket, SUM(delta), COUNT(*) FROM ledger_entries
    GROUP BY 1, 2, 3;

CREATE FUNCTION ledger_days_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ledger_days (account, day, bucket, total, entries)
        SELECT account, at / 86400000000000, bucket, SUM(delta), COUNT(*) FROM new_rows
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (account, day, bucket) DO UPDATE
        SET total = ledger_days.total + excluded.total, entries = ledger_days.entries + excluded.entries;
    RETURN NULL;
END;
$$;
CREATE TRIGGER ledger_days_insert AFTER INSERT ON ledger_entries
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_days_inserted();

-- What each operator has read of its notifications in the portal: the
-- id of the newest notification it marked as read (only moves forward).
CREATE TABLE notification_reads (
    recipient  TEXT PRIMARY KEY,
    read_up_to BIGINT NOT NULL
);

-- A party's declarations by state, and inspections closed per day.
CREATE INDEX declarations_declarant_state ON declarations (declarant, state, id);
CREATE INDEX declarations_representative_state ON declarations (representative, state, id)
    WHERE representative IS NOT NULL;
CREATE INDEX ops_tasks_closed_at ON ops_tasks (closed_at) WHERE status = 'done';
