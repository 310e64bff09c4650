//! The portal's aggregates (migration `0021_portal_aggregates.sql`), on
//! SQLite and (when `TAMGA_TEST_PG_URL` is set) PostgreSQL: on a small
//! data set written with plain SQL (declarations, events with risk
//! decisions and releases, inspection tasks, ledger entries,
//! notifications), the dashboard's figures read from the summary tables
//! equal what the queries they replace computed from the rows themselves
//! (the old SQL, kept here verbatim), both as the triggers keep them and
//! as the migration's backfill builds them from existing rows; a
//! statement read a page at a time agrees with the whole-period
//! statement; a party's counts by state and the unread notifications
//! agree with plain counts.

use std::sync::Arc;

use sqlx::Row;
use time::OffsetDateTime;

use tamga_core::codes::Eori;
use tamga_store::statement_sql::StatementCursor;
use tamga_store::testing::TestDb;
use tamga_store::Store;

mod sqlite {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn aggregates_equal_the_old_queries() {
        super::aggregates_equal_the_old_queries(tamga_store::testing::TestDb::sqlite().await).await;
    }
}

mod postgres {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(not(tamga_pg), ignore = "set TAMGA_TEST_PG_URL to run on PostgreSQL")]
    async fn aggregates_equal_the_old_queries() {
        super::aggregates_equal_the_old_queries(
            tamga_store::testing::TestDb::postgres_variant().await,
        )
        .await;
    }
}

const DAY: i64 = 86_400_000_000_000;
const SEC: i64 = 1_000_000_000;

/// Plain SQL on the test database, beside the store.
enum Raw {
    Sqlite(sqlx::SqlitePool),
    Pg(sqlx::PgPool),
}

impl Raw {
    async fn connect(db: &TestDb) -> Raw {
        if db.backend() == "sqlite" {
            Raw::Sqlite(
                sqlx::SqlitePool::connect(&format!("sqlite://{}", db.url))
                    .await
                    .unwrap(),
            )
        } else {
            Raw::Pg(sqlx::PgPool::connect(&db.url).await.unwrap())
        }
    }

    fn pg(&self) -> bool {
        matches!(self, Raw::Pg(_))
    }

    async fn exec(&self, sql: &str) {
        match self {
            Raw::Sqlite(p) => {
                sqlx::raw_sql(sql).execute(p).await.unwrap();
            }
            Raw::Pg(p) => {
                sqlx::raw_sql(sql).execute(p).await.unwrap();
            }
        }
    }

    /// Rows of `sql` as (text key, integers): column `k` and the
    /// integer columns `cols`.
    async fn rows(&self, sql: &str, cols: &[&str]) -> Vec<(String, Vec<i64>)> {
        macro_rules! read {
            ($p:expr) => {{
                let rows = sqlx::query(sql).fetch_all($p).await.unwrap();
                rows.iter()
                    .map(|r| {
                        (
                            r.try_get::<Option<String>, _>("k")
                                .unwrap()
                                .unwrap_or_default(),
                            cols.iter()
                                .map(|c| r.try_get::<i64, _>(*c).unwrap())
                                .collect(),
                        )
                    })
                    .collect()
            }};
        }
        match self {
            Raw::Sqlite(p) => read!(p),
            Raw::Pg(p) => read!(p),
        }
    }
}

fn t(nanos: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(nanos)).unwrap()
}

/// Day 20400 (2025-11-08) and the two after it are the period; day 20399
/// and 20403 are outside it.
const D0: i64 = 20_400;

fn decl(
    n: u32,
    day: i64,
    offset_s: i64,
    channel: &str,
    state: &str,
    declarant: &str,
    rep: Option<&str>,
) -> String {
    let rep = rep.map_or("NULL".to_owned(), |r| format!("'{r}'"));
    let at = day * DAY + offset_s * SEC;
    format!(
        "INSERT INTO declarations (mrn, lrn, declarant, representative, lodged_by, office, declaration_type, \
         state, channel, version, body_sha256, registered_at, updated_at, last_seq, last_hash, doc) VALUES \
         ('25UZ0000000000{n:04}', 'L{n}', '{declarant}', {rep}, '{declarant}', 'UZ000100', 'IM', '{state}', \
         '{channel}', 1, 'x', {at}, {at}, 1, 'h', '{{}}');\n"
    )
}

fn event(n: u32, seq: u32, at: i64, kind: &str, body: &str) -> String {
    format!(
        "INSERT INTO events (mrn, seq, actor, at, kind, body, payload_hash, prev_hash, hash) VALUES \
         ('25UZ0000000000{n:04}', {seq}, '\"system\"', {at}, '{kind}', '{body}', 'p', 'q', 'h{n}-{seq}');\n"
    )
}

fn hits(ids: &[&str]) -> String {
    let list: Vec<String> = ids
        .iter()
        .map(|p| format!("{{\"profileId\":\"{p}\",\"priority\":1}}"))
        .collect();
    format!(
        "{{\"kind\":\"risk_assessed\",\"decision\":{{\"channel\":\"red\",\"profileHits\":[{}]}}}}",
        list.join(",")
    )
}

/// A declaration of the data set: number, day, seconds into the day,
/// channel, state, declarant, representative.
type Decl = (
    u32,
    i64,
    i64,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
);

/// The data set: declarations over five days, risk decisions (one
/// declaration assessed twice), releases, tasks, a channel changed after
/// registration, ledger entries on a trader's account and the revenue
/// account, notifications.
fn data() -> String {
    let mut s = String::new();
    let rows: [Decl; 10] = [
        (1, D0 - 1, 100, "green", "released", "UZ000000000101", None),
        (2, D0, 10, "green", "released", "UZ000000000101", None),
        (
            3,
            D0,
            20,
            "red",
            "under_control",
            "UZ000000000101",
            Some("UZ000000000202"),
        ),
        (4, D0, 30, "yellow", "released", "UZ000000000202", None),
        (
            5,
            D0 + 1,
            40,
            "green",
            "released",
            "UZ000000000202",
            Some("UZ000000000101"),
        ),
        (6, D0 + 1, 50, "red", "refused", "UZ000000000101", None),
        (
            7,
            D0 + 2,
            60,
            "yellow",
            "released",
            "UZ000000000303",
            Some("UZ000000000101"),
        ),
        (8, D0 + 2, 70, "green", "registered", "UZ000000000101", None),
        (9, D0 + 2, 80, "none", "registered", "UZ000000000303", None),
        (10, D0 + 3, 90, "green", "released", "UZ000000000101", None),
    ];
    for (n, day, off, ch, st, d, r) in rows {
        s += &decl(n, day, off, ch, st, d, r);
    }
    let reg = |n: u32| {
        let (_, day, off, ..) = rows[(n - 1) as usize];
        day * DAY + off * SEC
    };
    // Risk decisions; declaration 3 is assessed twice, overlapping.
    for (n, ids) in [
        (1, vec!["P1"]),
        (2, vec![]),
        (3, vec!["P1", "P2"]),
        (4, vec!["P2"]),
        (5, vec!["P3", "P1"]),
        (6, vec!["P1"]),
        (7, vec!["P2", "P3"]),
        (8, vec!["P3"]),
        (10, vec!["P1"]),
    ] {
        s += &event(n, 2, reg(n) + SEC, "risk_assessed", &hits(&ids));
    }
    s += &event(
        3,
        3,
        reg(3) + 5 * SEC,
        "risk_assessed",
        &hits(&["P2", "P4"]),
    );
    // Releases, seconds after registration (2.5 s, 61 s, …).
    for (n, after) in [
        (1, 7 * SEC),
        (2, 2 * SEC + SEC / 2),
        (4, 61 * SEC),
        (5, 3 * SEC),
        (7, 3_600 * SEC + 7),
        (10, SEC),
    ] {
        s += &event(n, 4, reg(n) + after, "released", "{\"kind\":\"released\"}");
    }
    // Declaration 4 was yellow at release; 7 goes from yellow to red after.
    s += "UPDATE declarations SET channel = 'red' WHERE mrn = '25UZ00000000000007';\n";
    // Tasks: results on 3 (findings), 4 (compliant), 6 (findings); 7 open.
    for (n, outcome, closed) in [
        (3, Some("findings"), Some(D0 * DAY + 3_000 * SEC)),
        (4, Some("compliant"), Some((D0 + 1) * DAY + 10 * SEC)),
        (6, Some("findings"), Some((D0 + 1) * DAY + 900 * SEC)),
        (7, None, None),
    ] {
        let status = if closed.is_some() { "done" } else { "open" };
        let outcome = outcome.map_or("NULL".to_owned(), |o| format!("'{o}'"));
        let closed = closed.map_or("NULL".to_owned(), |c| c.to_string());
        s += &format!(
            "INSERT INTO ops_tasks (mrn, office, channel, status, created_at, dispatch, outcome, closed_at) VALUES \
             ('25UZ0000000000{n:04}', 'UZ000100', 'red', '{status}', {}, '{{}}', {outcome}, {closed});\n",
            reg(n)
        );
    }
    // Accounts: a trader's cash account and the revenue account.
    s += "INSERT INTO ledger_accounts (id, owner, kind, currency, created_at) VALUES \
         (9001, 'UZ000000000101', 'cash', 'UZS', 0), (9002, '', 'revenue', 'UZS', 0);\n";
    // 30 transactions over the days, several at the same instant.
    for i in 0..30i64 {
        let day = D0 - 1 + i / 7;
        let at = day * DAY + (i % 4) * 600 * SEC;
        let kind = ["deposit", "reserve", "debit"][(i % 3) as usize];
        s += &format!(
            "INSERT INTO ledger_txns (id, kind, at, mrn, reference, actor) VALUES ({}, '{kind}', {at}, NULL, 'R{i}', NULL);\n",
            9100 + i
        );
        let (bucket, delta) = match i % 3 {
            0 => ("available", 1_000 + i),
            1 => ("reserved", 200 + i),
            _ => ("reserved", -(50 + i)),
        };
        s += &format!(
            "INSERT INTO ledger_entries (txn, account, bucket, amount, delta, at, mrn) VALUES \
             ({}, 9001, '{bucket}', {}, {delta}, {at}, NULL);\n",
            9100 + i,
            delta.abs()
        );
        if i % 3 == 2 {
            s += &format!(
                "INSERT INTO ledger_entries (txn, account, bucket, amount, delta, at, mrn) VALUES \
                 ({}, 9002, 'available', {}, {}, {at}, NULL);\n",
                9100 + i,
                50 + i,
                50 + i
            );
        }
    }
    // Notifications of trader 101: five.
    for i in 0..5 {
        s += &format!(
            "INSERT INTO notifications (recipient, kind, mrn, lrn, at, payload) VALUES \
             ('UZ000000000101', 'signing_key_added', NULL, NULL, {}, '{{}}');\n",
            (D0 + i) * DAY
        );
    }
    s
}

/// The dashboard's figures as the store reads them now, as text rows.
async fn figures(store: &Arc<dyn Store>, from: OffsetDateTime, to: OffsetDateTime) -> Vec<String> {
    let mut out = Vec::new();
    for d in store.dash_declarations(from, to).await.unwrap() {
        out.push(format!("decl {}:{} {}", d.day, d.channel, d.declarations));
    }
    for r in store.dash_release_times(from, to).await.unwrap() {
        out.push(format!(
            "release {} {} {} {}",
            r.channel, r.released, r.median_seconds, r.p90_seconds
        ));
    }
    for r in store.dash_revenue(from, to).await.unwrap() {
        out.push(format!(
            "revenue {}:{} {} {}",
            r.day, r.currency, r.amount_minor, r.places
        ));
    }
    for i in store.dash_inspections(from, to).await.unwrap() {
        out.push(format!("inspections {} {} {}", i.day, i.closed, i.findings));
    }
    for y in store.dash_profile_yields(from, to).await.unwrap() {
        out.push(format!(
            "yield {} {} {} {}",
            y.profile_id, y.hits, y.controls, y.findings
        ));
    }
    out
}

/// The same figures as the replaced queries computed them from the rows.
async fn old_figures(raw: &Raw, from: i64, to: i64) -> Vec<String> {
    let mut out = Vec::new();
    let sql = format!(
        "SELECT CAST(registered_at / 86400000000000 AS TEXT) || ':' || channel AS k, COUNT(*) AS n \
         FROM declarations WHERE registered_at >= {from} AND registered_at < {to} \
         GROUP BY registered_at / 86400000000000, channel ORDER BY k"
    );
    for (k, v) in raw.rows(&sql, &["n"]).await {
        out.push(format!("decl {k} {}", v[0]));
    }
    // Release times: nearest rank over nanoseconds, as the old statement
    // picked them, then whole seconds as the dashboard showed them.
    let sql = format!(
        "SELECT channel AS k, n, rn, dur FROM ( \
           SELECT d.channel AS channel, e.at - d.registered_at AS dur, \
                  ROW_NUMBER() OVER (PARTITION BY d.channel ORDER BY e.at - d.registered_at) AS rn, \
                  COUNT(*) OVER (PARTITION BY d.channel) AS n \
           FROM declarations d JOIN events e ON e.mrn = d.mrn AND e.kind = 'released' \
           WHERE d.registered_at >= {from} AND d.registered_at < {to}) t \
         WHERE rn = (n + 1) / 2 OR rn = (9 * n + 9) / 10 ORDER BY channel, rn"
    );
    let mut rel: Vec<(String, i64, i64, i64)> = Vec::new();
    for (ch, v) in raw.rows(&sql, &["n", "rn", "dur"]).await {
        let (n, rn, dur) = (v[0], v[1], v[2]);
        if rel.last().map(|r| &r.0) != Some(&ch) {
            rel.push((ch.clone(), n, dur, dur));
        }
        let o = rel.last_mut().unwrap();
        if rn == (n + 1) / 2 {
            o.2 = dur;
        }
        if rn == (9 * n + 9) / 10 {
            o.3 = dur;
        }
    }
    for (ch, n, m, p) in rel {
        out.push(format!("release {ch} {n} {} {}", m / SEC, p / SEC));
    }
    let sql = format!(
        "SELECT CAST(e.at / 86400000000000 AS TEXT) || ':' || a.currency AS k, \
           CAST(SUM(e.delta) AS BIGINT) AS amount, CAST(COALESCE(MAX(c.minor_units), 2) AS BIGINT) AS places \
         FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account \
         LEFT JOIN currencies c ON c.code = a.currency \
         WHERE a.owner = '' AND a.kind = 'revenue' AND e.at >= {from} AND e.at < {to} \
         GROUP BY e.at / 86400000000000, a.currency ORDER BY k"
    );
    for (k, v) in raw.rows(&sql, &["amount", "places"]).await {
        out.push(format!("revenue {k} {} {}", v[0], v[1]));
    }
    let sql = format!(
        "SELECT CAST(closed_at / 86400000000000 AS TEXT) AS k, COUNT(*) AS closed, \
           CAST(SUM(CASE WHEN outcome = 'findings' THEN 1 ELSE 0 END) AS BIGINT) AS findings \
         FROM ops_tasks WHERE status = 'done' AND closed_at >= {from} AND closed_at < {to} \
         GROUP BY closed_at / 86400000000000 ORDER BY k"
    );
    for (k, v) in raw.rows(&sql, &["closed", "findings"]).await {
        out.push(format!("inspections {k} {} {}", v[0], v[1]));
    }
    // Profile yields from the decisions' JSON.
    let hits = if raw.pg() {
        "SELECT e.mrn AS mrn, j.value ->> 'profileId' AS pid \
         FROM declarations d JOIN events e ON e.mrn = d.mrn AND e.kind = 'risk_assessed' \
         CROSS JOIN LATERAL jsonb_array_elements(COALESCE(e.body::jsonb #> '{decision,profileHits}', '[]'::jsonb)) j \
         WHERE d.registered_at >= {from} AND d.registered_at < {to}"
    } else {
        "SELECT e.mrn AS mrn, json_extract(j.value, '$.profileId') AS pid \
         FROM declarations d JOIN events e ON e.mrn = d.mrn AND e.kind = 'risk_assessed', \
              json_each(e.body, '$.decision.profileHits') j \
         WHERE d.registered_at >= {from} AND d.registered_at < {to}"
    };
    let hits = hits
        .replace("{from}", &from.to_string())
        .replace("{to}", &to.to_string());
    let sql = format!(
        "SELECT h.pid AS k, COUNT(DISTINCT h.mrn) AS hits, \
           COUNT(DISTINCT CASE WHEN t.outcome IS NOT NULL THEN h.mrn END) AS controls, \
           COUNT(DISTINCT CASE WHEN t.outcome = 'findings' THEN h.mrn END) AS findings \
         FROM ({hits}) h LEFT JOIN ops_tasks t ON t.mrn = h.mrn \
         GROUP BY h.pid ORDER BY h.pid"
    );
    for (k, v) in raw.rows(&sql, &["hits", "controls", "findings"]).await {
        out.push(format!("yield {k} {} {} {}", v[0], v[1], v[2]));
    }
    out
}

/// A statement read a page at a time, in both directions, agrees with
/// the whole-period statement: same balances, same movements, and each
/// page's start balance is the running balance before its first row.
async fn pages_agree(store: &Arc<dyn Store>, from: OffsetDateTime, to: OffsetDateTime) {
    let whole = store.statement(9001, from, to).await.unwrap().unwrap();
    let mut running = vec![whole.opening];
    for m in &whole.movements {
        let mut b = *running.last().unwrap();
        b.apply(m.bucket, m.delta);
        running.push(b);
    }
    assert_eq!(*running.last().unwrap(), whole.closing);
    let n = whole.movements.len();
    assert!(n > 10, "{n}");
    for limit in [1u32, 4, 7, 100] {
        // Oldest first, page after page.
        let mut seen = Vec::new();
        let mut cursor = StatementCursor::Oldest;
        loop {
            let p = store
                .statement_page(9001, from, to, cursor, limit)
                .await
                .unwrap()
                .unwrap();
            assert_eq!((p.opening, p.closing), (whole.opening, whole.closing));
            assert_eq!(p.movements, n as i64);
            assert_eq!(
                p.start,
                running[seen.len()],
                "limit {limit} at {}",
                seen.len()
            );
            assert_eq!(p.earlier, !seen.is_empty());
            seen.extend(p.rows.iter().cloned());
            assert_eq!(p.later, seen.len() < n, "limit {limit}");
            if !p.later {
                break;
            }
            cursor = StatementCursor::After(p.rows.last().unwrap().entry);
        }
        assert_eq!(seen, whole.movements);
        // Newest first, page before page.
        let mut seen: Vec<tamga_core::ledger::Movement> = Vec::new();
        let mut cursor = StatementCursor::Newest;
        loop {
            let p = store
                .statement_page(9001, from, to, cursor, limit)
                .await
                .unwrap()
                .unwrap();
            let first = n - seen.len() - p.rows.len();
            assert_eq!(p.start, running[first], "limit {limit} newest, at {first}");
            assert_eq!(p.later, !seen.is_empty());
            assert_eq!(p.earlier, first > 0);
            let mut rows = p.rows.clone();
            rows.extend(seen);
            seen = rows;
            if !p.earlier {
                break;
            }
            cursor = StatementCursor::Before(p.rows.first().unwrap().entry);
        }
        assert_eq!(seen, whole.movements);
    }
    // A cursor that is no entry of the account.
    assert!(store
        .statement_page(9001, from, to, StatementCursor::After(-5), 5)
        .await
        .unwrap()
        .is_none());
}

async fn aggregates_equal_the_old_queries(db: TestDb) {
    let store = db.open().await;
    let raw = Raw::connect(&db).await;
    raw.exec(&data()).await;
    let (from, to) = (D0 * DAY, (D0 + 3) * DAY);
    let old = old_figures(&raw, from, to).await;
    assert!(
        old.iter().any(|l| l.starts_with("yield P2 3 2 1")),
        "{old:?}"
    );
    assert!(old.iter().any(|l| l.starts_with("release ")), "{old:?}");
    assert!(old.iter().any(|l| l.starts_with("revenue ")), "{old:?}");
    assert_eq!(
        figures(&store, t(from), t(to)).await,
        old,
        "kept by the triggers"
    );
    // Periods of one day, and one beyond the data.
    for (a, b) in [(D0 - 1, D0), (D0 + 2, D0 + 3), (D0 + 9, D0 + 12)] {
        assert_eq!(
            figures(&store, t(a * DAY), t(b * DAY)).await,
            old_figures(&raw, a * DAY, b * DAY).await
        );
    }

    // A party's counts by state: declarant or representative.
    let p101 = Eori::parse("UZ000000000101").unwrap();
    let counts = store.party_states(&p101).await.unwrap();
    let plain = raw
        .rows(
            "SELECT state AS k, COUNT(*) AS n FROM declarations \
             WHERE declarant = 'UZ000000000101' OR representative = 'UZ000000000101' \
             GROUP BY state ORDER BY state",
            &["n"],
        )
        .await;
    assert_eq!(
        counts,
        plain
            .into_iter()
            .map(|(k, v)| (k, v[0]))
            .collect::<Vec<_>>()
    );

    // Statements by page, over the whole data and over part of a day.
    pages_agree(&store, t((D0 - 1) * DAY), t((D0 + 5) * DAY)).await;
    pages_agree(
        &store,
        t(D0 * DAY + 300 * SEC),
        t((D0 + 3) * DAY + 1_200 * SEC),
    )
    .await;

    // Unread notifications: all five, then after a mark none, then a
    // lower mark changes nothing.
    let u = store.unread_notifications(&p101, 3, 2).await.unwrap();
    assert_eq!(u.count, 3, "counted up to the cap");
    assert_eq!(u.latest.len(), 2);
    assert_eq!(u.latest[0].id, u.newest);
    assert!(u.latest[0].id > u.latest[1].id);
    let mid = u.latest[1].id;
    store.mark_notifications_read(&p101, mid).await.unwrap();
    let u = store.unread_notifications(&p101, 10, 10).await.unwrap();
    assert_eq!(u.count, 1);
    store
        .mark_notifications_read(&p101, u.newest)
        .await
        .unwrap();
    store.mark_notifications_read(&p101, mid).await.unwrap();
    let u = store.unread_notifications(&p101, 10, 10).await.unwrap();
    assert_eq!((u.count, u.latest.len()), (0, 0));
    let other = Eori::parse("UZ000000000202").unwrap();
    assert_eq!(
        store
            .unread_notifications(&other, 10, 10)
            .await
            .unwrap()
            .newest,
        0
    );

    // The migration's backfill: without the summary tables, as before
    // the migration, then migrated again on open, the figures are the
    // same.
    let kept = figures(&store, t(from), t(to)).await;
    drop(store);
    raw.exec(if raw.pg() {
        "DROP TRIGGER dash_declarations_insert ON declarations; \
         DROP TRIGGER dash_declarations_update ON declarations; \
         DROP TRIGGER dash_events_insert ON events; \
         DROP TRIGGER ledger_days_insert ON ledger_entries; \
         DROP FUNCTION dash_declarations_inserted(); DROP FUNCTION dash_declarations_updated(); \
         DROP FUNCTION dash_events_inserted(); DROP FUNCTION ledger_days_inserted(); \
         DROP TABLE dash_declarations, risk_hits, dash_profile_hits, dash_release, ledger_days, notification_reads; \
         DROP INDEX declarations_declarant_state; DROP INDEX declarations_representative_state; \
         DROP INDEX ops_tasks_closed_at; \
         DELETE FROM _sqlx_migrations WHERE version = 21;"
    } else {
        "DROP TRIGGER dash_declarations_insert; DROP TRIGGER dash_declarations_channel; \
         DROP TRIGGER risk_hits_insert; DROP TRIGGER dash_release_insert; DROP TRIGGER ledger_days_insert; \
         DROP TABLE dash_declarations; DROP TABLE risk_hits; DROP TABLE dash_profile_hits; \
         DROP TABLE dash_release; DROP TABLE ledger_days; DROP TABLE notification_reads; \
         DROP INDEX declarations_declarant_state; DROP INDEX declarations_representative_state; \
         DROP INDEX ops_tasks_closed_at; \
         DELETE FROM _sqlx_migrations WHERE version = 21;"
    })
    .await;
    let store = db.open().await;
    assert_eq!(
        figures(&store, t(from), t(to)).await,
        kept,
        "built by the backfill"
    );
    pages_agree(&store, t((D0 - 1) * DAY), t((D0 + 5) * DAY)).await;
    // And kept by the triggers again afterwards.
    raw.exec(&decl(
        11,
        D0 + 1,
        5,
        "green",
        "registered",
        "UZ000000000101",
        None,
    ))
    .await;
    raw.exec(&event(
        11,
        2,
        (D0 + 1) * DAY + 6 * SEC,
        "risk_assessed",
        &hits(&["P9"]),
    ))
    .await;
    assert_eq!(
        figures(&store, t(from), t(to)).await,
        old_figures(&raw, from, to).await
    );
}
