//! Operations storage (issue 4): the trader digital twin (metrics over time and category changes), inspectors with their competences, dispatching of controlled declarations and inspection tasks with their findings.
//!
//! One trait, implemented for both backends in this file; its tables are
//! created by this module's own migration on each backend
//! (`0005_ops.sql`). The SQL is written once, in the `ops_backend!` macro,
//! with `?` placeholders that the PostgreSQL instance rewrites to `$n`.
//!
//! The operations pump (tamga-app's workbench) reads the event log after
//! its cursor ([`OpsStore::ops_events_after`]) and writes everything it
//! derives, with the new cursor, in one transaction ([`OpsStore::ops_apply`]).
//! Event ids become visible in increasing order on both backends (SQLite
//! has one writer; PostgreSQL group commits take an advisory lock before
//! inserting), so a cursor never skips an event.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use tamga_core::codes::{Eori, Mrn, OfficeCode};
use tamga_core::dispatch::{Competences, DispatchDecision};
use tamga_core::lifecycle::{Channel, ControlOutcome};
use tamga_core::traders::{Assessment, DeclarationFacts, TraderMetrics};

use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;
use crate::{DeclarationRecord, Operator, Result};

/// An event as the operations pump reads it (body as stored JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpsEvent {
    pub id: i64,
    pub mrn: Mrn,
    pub kind: String,
    pub at: OffsetDateTime,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactsRow {
    pub mrn: Mrn,
    pub declarant: Eori,
    pub facts: DeclarationFacts,
}

/// A trader's stored metrics and the assessment of its latest snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraderMetricsRow {
    pub operator: Eori,
    pub metrics: TraderMetrics,
    pub assessment: Option<Assessment>,
    pub snapshot_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TraderSnapshot {
    pub id: i64,
    pub operator: Eori,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub assessment: Assessment,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub metrics: TraderMetrics,
    /// What changed since the previous snapshot.
    pub changes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AeoStatus {
    pub operator: Eori,
    pub aeo: bool,
    /// Authorisation number or note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub updated_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Inspector {
    pub username: String,
    pub office: OfficeCode,
    pub competences: Competences,
    pub capacity: u32,
    pub active: bool,
    /// May reassign tasks of its office.
    pub supervisor: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TaskStatus {
    Open,
    Done,
}

impl TaskStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Open => "open",
            TaskStatus::Done => "done",
        }
    }
}

/// The inspection task of a controlled declaration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Task {
    pub mrn: Mrn,
    pub office: OfficeCode,
    pub channel: Channel,
    pub status: TaskStatus,
    /// `None`: in the office queue, unassigned.
    pub inspector: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub assigned_at: Option<OffsetDateTime>,
    /// The latest dispatch decision (automatic or a reassignment).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub dispatch: DispatchDecision,
    pub outcome: Option<ControlOutcome>,
    pub result_by: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub result_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub closed_at: Option<OffsetDateTime>,
}

/// One finding of a control, as stored (validated by the workbench).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Finding {
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declared_value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrected_value: Option<String>,
    /// Decimal string.
    pub additional_duties: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A finding with who recorded it and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FindingRecord {
    pub officer: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    #[serde(flatten)]
    pub finding: Finding,
}

/// A declaration that became final (released or refused), labelled for
/// the learning model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Label {
    /// Export cursor.
    pub id: i64,
    pub mrn: Mrn,
    pub inspected: bool,
    pub outcome: Option<ControlOutcome>,
    /// Kinds of the findings recorded through the workbench, sorted, unique.
    pub finding_kinds: Vec<String>,
    /// "released" or "refused".
    pub final_state: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSnapshot {
    pub operator: Eori,
    pub at: OffsetDateTime,
    pub assessment: Assessment,
    pub metrics: TraderMetrics,
    pub changes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLabel {
    pub mrn: Mrn,
    pub inspected: bool,
    pub outcome: Option<ControlOutcome>,
    pub final_state: String,
    pub at: OffsetDateTime,
}

/// Everything one pass of the operations pump derived, written at once.
#[derive(Debug, Clone, Default)]
pub struct OpsBatch {
    /// New event cursor (`None` leaves it).
    pub cursor: Option<i64>,
    /// The cursor the batch was derived from: when given, the batch is
    /// written only if the stored cursor is still this one (another
    /// instance's pump did not apply these events first); else nothing is
    /// written and [`OpsStore::ops_apply`] answers false.
    pub from_cursor: Option<i64>,
    /// Unique by MRN.
    pub facts: Vec<FactsRow>,
    pub metrics: Vec<(Eori, TraderMetrics)>,
    pub snapshots: Vec<NewSnapshot>,
    /// Inserted unless the declaration already has a task.
    pub new_tasks: Vec<Task>,
    /// Declarations that left control: their open tasks are closed.
    pub closed_tasks: Vec<(Mrn, OffsetDateTime)>,
    /// Queued tasks dispatched again (only while open and unassigned).
    pub assignments: Vec<(Mrn, String, DispatchDecision, OffsetDateTime)>,
    pub labels: Vec<NewLabel>,
}

/// Filter for task lists; every field given must match. Oldest first.
#[derive(Debug, Clone, Default)]
pub struct TaskQuery {
    pub inspector: Option<String>,
    pub office: Option<OfficeCode>,
    pub status: Option<TaskStatus>,
    pub unassigned: bool,
    pub limit: u32,
}

#[async_trait]
pub trait OpsStore: Send + Sync {
    /// The pump's position in the event log (0 at first).
    async fn ops_cursor(&self) -> Result<i64>;
    /// Events with id > `after`, in id order.
    async fn ops_events_after(&self, after: i64, limit: u32) -> Result<Vec<OpsEvent>>;
    async fn ops_facts(&self, mrns: &[Mrn]) -> Result<Vec<FactsRow>>;
    async fn ops_declarations(&self, mrns: &[Mrn]) -> Result<Vec<DeclarationRecord>>;
    /// Writes the batch in one transaction; false (and nothing written)
    /// when [`OpsBatch::from_cursor`] is no longer the stored cursor.
    async fn ops_apply(&self, batch: &OpsBatch) -> Result<bool>;
    /// Claims the named periodic job for this run: true for exactly one
    /// caller (of any instance) per `every_nanos`, counted from the last
    /// claim (`now_nanos`: the caller's clock, UTC nanoseconds).
    async fn ops_claim(&self, job: &str, now_nanos: i64, every_nanos: i64) -> Result<bool>;
    async fn ops_operators(&self) -> Result<Vec<Operator>>;

    async fn trader_metrics_all(&self) -> Result<Vec<TraderMetricsRow>>;
    /// Newest first.
    async fn trader_snapshots(&self, operator: &Eori, limit: u32) -> Result<Vec<TraderSnapshot>>;
    async fn aeo_all(&self) -> Result<Vec<AeoStatus>>;
    async fn set_aeo(&self, a: &AeoStatus) -> Result<()>;

    /// Inserts or replaces by username.
    async fn put_inspector(&self, i: &Inspector) -> Result<()>;
    async fn inspectors(&self) -> Result<Vec<Inspector>>;
    /// (inspector, open tasks assigned)
    async fn open_task_counts(&self) -> Result<Vec<(String, u32)>>;

    async fn task(&self, mrn: &Mrn) -> Result<Option<Task>>;
    async fn tasks(&self, q: &TaskQuery) -> Result<Vec<Task>>;
    /// Assigns (or with `None` unassigns) an open task; false when the task
    /// is missing or done.
    async fn assign_task(
        &self,
        mrn: &Mrn,
        inspector: Option<&str>,
        dispatch: &DispatchDecision,
        at: OffsetDateTime,
    ) -> Result<bool>;
    /// Stores the result of a control and its findings.
    async fn record_task_result(
        &self,
        mrn: &Mrn,
        officer: &str,
        outcome: ControlOutcome,
        findings: &[Finding],
        at: OffsetDateTime,
    ) -> Result<()>;
    /// Oldest first.
    async fn findings(&self, mrn: &Mrn) -> Result<Vec<FindingRecord>>;
    /// Labels with id > `after`, in id order.
    async fn labels(&self, after: i64, limit: u32) -> Result<Vec<Label>>;
}

use crate::placeholders::numbered as pg_sql;

use crate::placeholders::plain as sqlite_sql;

mod rows {
    use super::OptInt;
    use super::*;
    use crate::codec::{self, from_json, from_nanos, Get};

    pub(super) const TASK_COLUMNS: &str = "mrn, office, channel, status, inspector, created_at, assigned_at, dispatch, outcome, result_by, result_at, closed_at";

    pub(super) fn opt_time(r: &(impl Get + OptInt), c: &str) -> Result<Option<OffsetDateTime>> {
        let v: Option<i64> = r.oi(c)?;
        v.map(from_nanos).transpose()
    }

    pub(super) fn task(r: &(impl Get + OptInt)) -> Result<Task> {
        Ok(Task {
            mrn: codec::mrn(r.s("mrn")?)?,
            office: codec::office(r.s("office")?)?,
            channel: codec::enum_from_str("channel", &r.s("channel")?)?,
            status: codec::enum_from_str("task status", &r.s("status")?)?,
            inspector: r.os("inspector")?,
            created_at: from_nanos(r.i("created_at")?)?,
            assigned_at: opt_time(r, "assigned_at")?,
            dispatch: from_json("dispatch", &r.s("dispatch")?)?,
            outcome: r
                .os("outcome")?
                .map(|o| codec::enum_from_str("outcome", &o))
                .transpose()?,
            result_by: r.os("result_by")?,
            result_at: opt_time(r, "result_at")?,
            closed_at: opt_time(r, "closed_at")?,
        })
    }

    pub(super) fn inspector(r: &(impl Get + OptInt)) -> Result<Inspector> {
        Ok(Inspector {
            username: r.s("username")?,
            office: codec::office(r.s("office")?)?,
            competences: from_json("competences", &r.s("competences")?)?,
            capacity: u32::try_from(r.i("capacity")?).map_err(codec::corrupt)?,
            active: r.b("active")?,
            supervisor: r.b("supervisor")?,
            updated_at: from_nanos(r.i("updated_at")?)?,
        })
    }

    pub(super) fn finding(r: &(impl Get + OptInt)) -> Result<FindingRecord> {
        Ok(FindingRecord {
            officer: r.s("officer")?,
            at: from_nanos(r.i("at")?)?,
            finding: Finding {
                kind: r.s("kind")?,
                item: r
                    .oi("item")?
                    .map(|i| u32::try_from(i).map_err(codec::corrupt))
                    .transpose()?,
                declared_value: r.os("declared_value")?,
                corrected_value: r.os("corrected_value")?,
                additional_duties: r.s("additional_duties")?,
                description: r.os("description")?,
            },
        })
    }
}

/// Optional integer column access (not in the shared `Get`).
trait OptInt {
    fn oi(&self, c: &str) -> Result<Option<i64>>;
}

impl OptInt for sqlx::sqlite::SqliteRow {
    fn oi(&self, c: &str) -> Result<Option<i64>> {
        use sqlx::Row as _;
        Ok(self.try_get(c)?)
    }
}

impl OptInt for sqlx::postgres::PgRow {
    fn oi(&self, c: &str) -> Result<Option<i64>> {
        use sqlx::Row as _;
        Ok(self.try_get(c)?)
    }
}

macro_rules! ops_backend {
    ($store:ty, $db:ty, $read:ident, $write:ident, $sql:path) => {
        #[async_trait]
        impl OpsStore for $store {
            async fn ops_cursor(&self) -> Result<i64> {
                let v: Option<i64> =
                    sqlx::query_scalar(&$sql("SELECT value FROM ops_cursor WHERE name = 'events'"))
                        .fetch_optional(&self.$read)
                        .await?;
                Ok(v.unwrap_or(0))
            }

            async fn ops_events_after(&self, after: i64, limit: u32) -> Result<Vec<OpsEvent>> {
                use sqlx::Row as _;
                let rows = sqlx::query(&$sql(
                    // Duty assessments (the largest bodies) change no fact: their
                    // bodies stay in the database.
                    "SELECT id, mrn, kind, at, CASE WHEN kind = 'duties_assessed' THEN '' ELSE body END AS body \
                     FROM events WHERE id > ? ORDER BY id LIMIT ?",
                ))
                .bind(after)
                .bind(i64::from(limit))
                .fetch_all(&self.$read)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(OpsEvent {
                            id: r.try_get("id")?,
                            mrn: crate::codec::mrn(r.try_get("mrn")?)?,
                            kind: r.try_get("kind")?,
                            at: crate::codec::from_nanos(r.try_get("at")?)?,
                            body: r.try_get("body")?,
                        })
                    })
                    .collect()
            }

            async fn ops_facts(&self, mrns: &[Mrn]) -> Result<Vec<FactsRow>> {
                use crate::codec::Get as _;
                let mut out = Vec::with_capacity(mrns.len());
                for chunk in crate::codec::row_chunks::<$db, _>(mrns, 500) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "SELECT mrn, declarant, facts FROM ops_declaration_facts WHERE mrn IN (",
                    );
                    let mut sep = qb.separated(", ");
                    for m in chunk {
                        sep.push_bind(m.as_str().to_owned());
                    }
                    qb.push(")");
                    let keep = crate::codec::keep_prepared::<$db>(chunk.len());
                    for r in qb.build().persistent(keep).fetch_all(&self.$read).await? {
                        out.push(FactsRow {
                            mrn: crate::codec::mrn(r.s("mrn")?)?,
                            declarant: crate::codec::eori(r.s("declarant")?)?,
                            facts: crate::codec::from_json("facts", &r.s("facts")?)?,
                        });
                    }
                }
                Ok(out)
            }

            async fn ops_declarations(&self, mrns: &[Mrn]) -> Result<Vec<DeclarationRecord>> {
                let mut out = Vec::with_capacity(mrns.len());
                for chunk in crate::codec::row_chunks::<$db, _>(mrns, 500) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(format!(
                        "SELECT {} FROM declarations WHERE mrn IN (",
                        crate::codec::DECLARATION_COLUMNS
                    ));
                    let mut sep = qb.separated(", ");
                    for m in chunk {
                        sep.push_bind(m.as_str().to_owned());
                    }
                    qb.push(")");
                    let keep = crate::codec::keep_prepared::<$db>(chunk.len());
                    for r in qb.build().persistent(keep).fetch_all(&self.$read).await? {
                        out.push(crate::codec::declaration(&r)?);
                    }
                }
                Ok(out)
            }

            async fn ops_apply(&self, b: &OpsBatch) -> Result<bool> {
                use crate::codec::{nanos, to_json};
                let mut tx = self.$write.begin().await?;
                let c = &mut *tx;
                if let Some(from) = b.from_cursor {
                    // First, so that a second pump on the same events
                    // waits here for the first and then finds the cursor
                    // moved (the row lock, on PostgreSQL).
                    sqlx::query(&$sql(
                        "INSERT INTO ops_cursor (name, value) VALUES ('events', 0) ON CONFLICT (name) DO NOTHING",
                    ))
                    .execute(&mut *c)
                    .await?;
                    let moved = sqlx::query(&$sql(
                        "UPDATE ops_cursor SET value = ? WHERE name = 'events' AND value = ?",
                    ))
                    .bind(b.cursor.unwrap_or(from))
                    .bind(from)
                    .execute(&mut *c)
                    .await?
                    .rows_affected();
                    if moved == 0 {
                        return Ok(false);
                    }
                }
                for chunk in crate::codec::row_chunks::<$db, _>(&b.facts, 1000) {
                    let mut rows = Vec::with_capacity(chunk.len());
                    for f in chunk {
                        rows.push((
                            f.mrn.as_str().to_owned(),
                            f.declarant.as_str().to_owned(),
                            to_json(&f.facts)?,
                        ));
                    }
                    let now = nanos(OffsetDateTime::now_utc())?;
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO ops_declaration_facts (mrn, declarant, facts, updated_at) ",
                    );
                    qb.push_values(rows, |mut s, (m, d, f)| {
                        s.push_bind(m).push_bind(d).push_bind(f).push_bind(now);
                    });
                    qb.push(
                        " ON CONFLICT (mrn) DO UPDATE SET facts = excluded.facts, updated_at = excluded.updated_at",
                    );
                    let keep = crate::codec::keep_prepared::<$db>(chunk.len());
                    qb.build().persistent(keep).execute(&mut *c).await?;
                }
                let now = nanos(OffsetDateTime::now_utc())?;
                for (op, m) in &b.metrics {
                    sqlx::query(&$sql(
                        "INSERT INTO ops_trader_metrics (operator, metrics, updated_at) VALUES (?, ?, ?) \
                         ON CONFLICT (operator) DO UPDATE SET metrics = excluded.metrics, updated_at = excluded.updated_at",
                    ))
                    .bind(op.as_str())
                    .bind(to_json(m)?)
                    .bind(now)
                    .execute(&mut *c)
                    .await?;
                }
                for s in &b.snapshots {
                    let at = nanos(s.at)?;
                    let assessment = to_json(&s.assessment)?;
                    let metrics = to_json(&s.metrics)?;
                    sqlx::query(&$sql(
                        "INSERT INTO ops_trader_snapshots (operator, at, category, assessment, metrics, changes) VALUES (?, ?, ?, ?, ?, ?)",
                    ))
                    .bind(s.operator.as_str())
                    .bind(at)
                    .bind(s.assessment.category.as_str())
                    .bind(&assessment)
                    .bind(&metrics)
                    .bind(to_json(&s.changes)?)
                    .execute(&mut *c)
                    .await?;
                    sqlx::query(&$sql(
                        "INSERT INTO ops_trader_metrics (operator, metrics, assessment, snapshot_at, updated_at) VALUES (?, ?, ?, ?, ?) \
                         ON CONFLICT (operator) DO UPDATE SET assessment = excluded.assessment, snapshot_at = excluded.snapshot_at",
                    ))
                    .bind(s.operator.as_str())
                    .bind(&metrics)
                    .bind(&assessment)
                    .bind(at)
                    .bind(now)
                    .execute(&mut *c)
                    .await?;
                }
                // One statement per chunk: a pass may open hundreds of tasks.
                for chunk in crate::codec::row_chunks::<$db, _>(&b.new_tasks, 500) {
                    let mut rows = Vec::with_capacity(chunk.len());
                    for t in chunk {
                        rows.push((
                            t,
                            nanos(t.created_at)?,
                            t.assigned_at.map(nanos).transpose()?,
                            to_json(&t.dispatch)?,
                        ));
                    }
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO ops_tasks (mrn, office, channel, status, inspector, created_at, assigned_at, dispatch) ",
                    );
                    qb.push_values(rows, |mut s, (t, created, assigned, dispatch)| {
                        s.push_bind(t.mrn.as_str().to_owned())
                            .push_bind(t.office.as_str().to_owned())
                            .push_bind(t.channel.as_str())
                            .push_bind(t.status.as_str())
                            .push_bind(t.inspector.clone())
                            .push_bind(created)
                            .push_bind(assigned)
                            .push_bind(dispatch);
                    });
                    // A task is opened once; a done one opens again when
                    // its declaration goes back under control (an amended
                    // declaration assessed again), as a new task.
                    qb.push(
                        " ON CONFLICT (mrn) DO UPDATE SET office = excluded.office, \
                         channel = excluded.channel, status = excluded.status, \
                         inspector = excluded.inspector, created_at = excluded.created_at, \
                         assigned_at = excluded.assigned_at, dispatch = excluded.dispatch, \
                         outcome = NULL, result_by = NULL, result_at = NULL, closed_at = NULL \
                         WHERE ops_tasks.status = 'done' AND excluded.status = 'open'",
                    );
                    let keep = crate::codec::keep_prepared::<$db>(chunk.len());
                    qb.build().persistent(keep).execute(&mut *c).await?;
                }
                for (mrn, inspector, d, at) in &b.assignments {
                    sqlx::query(&$sql(
                        "UPDATE ops_tasks SET inspector = ?, assigned_at = ?, dispatch = ? \
                         WHERE mrn = ? AND status = 'open' AND inspector IS NULL",
                    ))
                    .bind(inspector)
                    .bind(nanos(*at)?)
                    .bind(to_json(d)?)
                    .bind(mrn.as_str())
                    .execute(&mut *c)
                    .await?;
                }
                for (mrn, at) in &b.closed_tasks {
                    sqlx::query(&$sql(
                        "UPDATE ops_tasks SET status = 'done', closed_at = ? WHERE mrn = ? AND status = 'open'",
                    ))
                    .bind(nanos(*at)?)
                    .bind(mrn.as_str())
                    .execute(&mut *c)
                    .await?;
                }
                // Every released or refused declaration gets one: one
                // statement per chunk, not per label.
                for chunk in crate::codec::row_chunks::<$db, _>(&b.labels, 1000) {
                    let mut rows = Vec::with_capacity(chunk.len());
                    for l in chunk {
                        rows.push((l, nanos(l.at)?));
                    }
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO ops_labels (mrn, inspected, outcome, final_state, at) ",
                    );
                    qb.push_values(rows, |mut s, (l, at)| {
                        s.push_bind(l.mrn.as_str().to_owned())
                            .push_bind(l.inspected)
                            .push_bind(l.outcome.map(outcome_str))
                            .push_bind(l.final_state.clone())
                            .push_bind(at);
                    });
                    qb.push(" ON CONFLICT (mrn) DO NOTHING");
                    let keep = crate::codec::keep_prepared::<$db>(chunk.len());
                    qb.build().persistent(keep).execute(&mut *c).await?;
                }
                if let (Some(cursor), None) = (b.cursor, b.from_cursor) {
                    sqlx::query(&$sql(
                        "INSERT INTO ops_cursor (name, value) VALUES ('events', ?) \
                         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                    ))
                    .bind(cursor)
                    .execute(&mut *c)
                    .await?;
                }
                tx.commit().await?;
                Ok(true)
            }

            async fn ops_claim(&self, job: &str, now_nanos: i64, every_nanos: i64) -> Result<bool> {
                let name = format!("claim:{job}");
                sqlx::query(&$sql(
                    "INSERT INTO ops_cursor (name, value) VALUES (?, 0) ON CONFLICT (name) DO NOTHING",
                ))
                .bind(&name)
                .execute(&self.$write)
                .await?;
                let n = sqlx::query(&$sql(
                    "UPDATE ops_cursor SET value = ? WHERE name = ? AND value <= ?",
                ))
                .bind(now_nanos)
                .bind(&name)
                .bind(now_nanos.saturating_sub(every_nanos))
                .execute(&self.$write)
                .await?
                .rows_affected();
                Ok(n == 1)
            }

            async fn ops_operators(&self) -> Result<Vec<Operator>> {
                sqlx::query(&$sql("SELECT id, name, created_at FROM operators"))
                    .fetch_all(&self.$read)
                    .await?
                    .iter()
                    .map(crate::codec::operator)
                    .collect()
            }

            async fn trader_metrics_all(&self) -> Result<Vec<TraderMetricsRow>> {
                use crate::codec::{from_json, Get as _};
                let rows = sqlx::query(&$sql(
                    "SELECT operator, metrics, assessment, snapshot_at FROM ops_trader_metrics",
                ))
                .fetch_all(&self.$read)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(TraderMetricsRow {
                            operator: crate::codec::eori(r.s("operator")?)?,
                            metrics: from_json("metrics", &r.s("metrics")?)?,
                            assessment: r
                                .os("assessment")?
                                .map(|a| from_json("assessment", &a))
                                .transpose()?,
                            snapshot_at: rows::opt_time(r, "snapshot_at")?,
                        })
                    })
                    .collect()
            }

            async fn trader_snapshots(
                &self,
                operator: &Eori,
                limit: u32,
            ) -> Result<Vec<TraderSnapshot>> {
                use crate::codec::{from_json, from_nanos, Get as _};
                let rows = sqlx::query(&$sql(
                    "SELECT id, operator, at, assessment, metrics, changes FROM ops_trader_snapshots \
                     WHERE operator = ? ORDER BY id DESC LIMIT ?",
                ))
                .bind(operator.as_str())
                .bind(i64::from(limit))
                .fetch_all(&self.$read)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(TraderSnapshot {
                            id: r.i("id")?,
                            operator: crate::codec::eori(r.s("operator")?)?,
                            at: from_nanos(r.i("at")?)?,
                            assessment: from_json("assessment", &r.s("assessment")?)?,
                            metrics: from_json("metrics", &r.s("metrics")?)?,
                            changes: from_json("changes", &r.s("changes")?)?,
                        })
                    })
                    .collect()
            }

            async fn aeo_all(&self) -> Result<Vec<AeoStatus>> {
                use crate::codec::{from_nanos, Get as _};
                let rows = sqlx::query(&$sql(
                    "SELECT operator, aeo, reference, updated_at, updated_by FROM ops_aeo",
                ))
                .fetch_all(&self.$read)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(AeoStatus {
                            operator: crate::codec::eori(r.s("operator")?)?,
                            aeo: r.b("aeo")?,
                            reference: r.os("reference")?,
                            updated_at: from_nanos(r.i("updated_at")?)?,
                            updated_by: r.s("updated_by")?,
                        })
                    })
                    .collect()
            }

            async fn set_aeo(&self, a: &AeoStatus) -> Result<()> {
                sqlx::query(&$sql(
                    "INSERT INTO ops_aeo (operator, aeo, reference, updated_at, updated_by) VALUES (?, ?, ?, ?, ?) \
                     ON CONFLICT (operator) DO UPDATE SET aeo = excluded.aeo, reference = excluded.reference, \
                     updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                ))
                .bind(a.operator.as_str())
                .bind(a.aeo)
                .bind(a.reference.as_deref())
                .bind(crate::codec::nanos(a.updated_at)?)
                .bind(&a.updated_by)
                .execute(&self.$write)
                .await?;
                Ok(())
            }

            async fn put_inspector(&self, i: &Inspector) -> Result<()> {
                sqlx::query(&$sql(
                    "INSERT INTO ops_inspectors (username, office, competences, capacity, active, supervisor, updated_at) \
                     VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (username) DO UPDATE SET office = excluded.office, \
                     competences = excluded.competences, capacity = excluded.capacity, active = excluded.active, \
                     supervisor = excluded.supervisor, updated_at = excluded.updated_at",
                ))
                .bind(&i.username)
                .bind(i.office.as_str())
                .bind(crate::codec::to_json(&i.competences)?)
                .bind(i64::from(i.capacity))
                .bind(i.active)
                .bind(i.supervisor)
                .bind(crate::codec::nanos(i.updated_at)?)
                .execute(&self.$write)
                .await?;
                Ok(())
            }

            async fn inspectors(&self) -> Result<Vec<Inspector>> {
                sqlx::query(&$sql(
                    "SELECT username, office, competences, capacity, active, supervisor, updated_at \
                     FROM ops_inspectors ORDER BY username",
                ))
                .fetch_all(&self.$read)
                .await?
                .iter()
                .map(rows::inspector)
                .collect()
            }

            async fn open_task_counts(&self) -> Result<Vec<(String, u32)>> {
                use sqlx::Row as _;
                let rows = sqlx::query(&$sql(
                    "SELECT inspector, COUNT(*) AS n FROM ops_tasks \
                     WHERE status = 'open' AND inspector IS NOT NULL GROUP BY inspector",
                ))
                .fetch_all(&self.$read)
                .await?;
                rows.iter()
                    .map(|r| {
                        let n: i64 = r.try_get("n")?;
                        Ok((r.try_get("inspector")?, n.clamp(0, u32::MAX as i64) as u32))
                    })
                    .collect()
            }

            async fn task(&self, mrn: &Mrn) -> Result<Option<Task>> {
                sqlx::query(&$sql(&format!(
                    "SELECT {} FROM ops_tasks WHERE mrn = ?",
                    rows::TASK_COLUMNS
                )))
                .bind(mrn.as_str())
                .fetch_optional(&self.$read)
                .await?
                .map(|r| rows::task(&r))
                .transpose()
            }

            async fn tasks(&self, q: &TaskQuery) -> Result<Vec<Task>> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(format!(
                    "SELECT {} FROM ops_tasks WHERE 1 = 1",
                    rows::TASK_COLUMNS
                ));
                if let Some(i) = &q.inspector {
                    qb.push(" AND inspector = ").push_bind(i.clone());
                }
                if let Some(o) = &q.office {
                    qb.push(" AND office = ").push_bind(o.as_str().to_owned());
                }
                if let Some(s) = q.status {
                    qb.push(" AND status = ").push_bind(s.as_str());
                }
                if q.unassigned {
                    qb.push(" AND inspector IS NULL");
                }
                qb.push(" ORDER BY created_at, mrn LIMIT ")
                    .push_bind(i64::from(q.limit.clamp(1, 1000)));
                qb.build()
                    .persistent(false)
                    .fetch_all(&self.$read)
                    .await?
                    .iter()
                    .map(rows::task)
                    .collect()
            }

            async fn assign_task(
                &self,
                mrn: &Mrn,
                inspector: Option<&str>,
                dispatch: &DispatchDecision,
                at: OffsetDateTime,
            ) -> Result<bool> {
                let n = sqlx::query(&$sql(
                    "UPDATE ops_tasks SET inspector = ?, assigned_at = ?, dispatch = ? \
                     WHERE mrn = ? AND status = 'open'",
                ))
                .bind(inspector)
                .bind(inspector.map(|_| crate::codec::nanos(at)).transpose()?)
                .bind(crate::codec::to_json(dispatch)?)
                .bind(mrn.as_str())
                .execute(&self.$write)
                .await?
                .rows_affected();
                Ok(n == 1)
            }

            async fn record_task_result(
                &self,
                mrn: &Mrn,
                officer: &str,
                outcome: ControlOutcome,
                findings: &[Finding],
                at: OffsetDateTime,
            ) -> Result<()> {
                let at = crate::codec::nanos(at)?;
                let mut tx = self.$write.begin().await?;
                let c = &mut *tx;
                sqlx::query(&$sql(
                    "UPDATE ops_tasks SET outcome = ?, result_by = ?, result_at = ? WHERE mrn = ?",
                ))
                .bind(outcome_str(outcome))
                .bind(officer)
                .bind(at)
                .bind(mrn.as_str())
                .execute(&mut *c)
                .await?;
                for f in findings {
                    sqlx::query(&$sql(
                        "INSERT INTO ops_findings (mrn, officer, at, kind, item, declared_value, corrected_value, \
                         additional_duties, description) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    ))
                    .bind(mrn.as_str())
                    .bind(officer)
                    .bind(at)
                    .bind(&f.kind)
                    .bind(f.item.map(i64::from))
                    .bind(f.declared_value.as_deref())
                    .bind(f.corrected_value.as_deref())
                    .bind(&f.additional_duties)
                    .bind(f.description.as_deref())
                    .execute(&mut *c)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn findings(&self, mrn: &Mrn) -> Result<Vec<FindingRecord>> {
                sqlx::query(&$sql(
                    "SELECT officer, at, kind, item, declared_value, corrected_value, additional_duties, description \
                     FROM ops_findings WHERE mrn = ? ORDER BY id",
                ))
                .bind(mrn.as_str())
                .fetch_all(&self.$read)
                .await?
                .iter()
                .map(rows::finding)
                .collect()
            }

            async fn labels(&self, after: i64, limit: u32) -> Result<Vec<Label>> {
                use crate::codec::{from_nanos, Get as _};
                let rows = sqlx::query(&$sql(
                    "SELECT id, mrn, inspected, outcome, final_state, at FROM ops_labels \
                     WHERE id > ? ORDER BY id LIMIT ?",
                ))
                .bind(after)
                .bind(i64::from(limit.clamp(1, 10_000)))
                .fetch_all(&self.$read)
                .await?;
                let mut labels = rows
                    .iter()
                    .map(|r| {
                        Ok(Label {
                            id: r.i("id")?,
                            mrn: crate::codec::mrn(r.s("mrn")?)?,
                            inspected: r.b("inspected")?,
                            outcome: r
                                .os("outcome")?
                                .map(|o| crate::codec::enum_from_str("outcome", &o))
                                .transpose()?,
                            finding_kinds: Vec::new(),
                            final_state: r.s("final_state")?,
                            at: from_nanos(r.i("at")?)?,
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                let inspected: Vec<String> = labels
                    .iter()
                    .filter(|l| l.inspected)
                    .map(|l| l.mrn.as_str().to_owned())
                    .collect();
                for chunk in inspected.chunks(500) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "SELECT DISTINCT mrn, kind FROM ops_findings WHERE mrn IN (",
                    );
                    let mut sep = qb.separated(", ");
                    for m in chunk {
                        sep.push_bind(m.clone());
                    }
                    qb.push(") ORDER BY mrn, kind");
                    for r in qb.build().persistent(false).fetch_all(&self.$read).await? {
                        let mrn = r.s("mrn")?;
                        let kind = r.s("kind")?;
                        for l in labels.iter_mut().filter(|l| l.mrn.as_str() == mrn) {
                            l.finding_kinds.push(kind.clone());
                        }
                    }
                }
                Ok(labels)
            }
        }
    };
}

fn outcome_str(o: ControlOutcome) -> &'static str {
    match o {
        ControlOutcome::Compliant => "compliant",
        ControlOutcome::Findings => "findings",
    }
}

ops_backend!(SqliteStore, sqlx::Sqlite, reader, writer, sqlite_sql);
ops_backend!(PgStore, sqlx::Postgres, pool, pool, pg_sql);
