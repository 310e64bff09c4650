//! The learning risk model's registry (issue 17): every trained model with
//! its file, content hash, training-data range and metrics; the history of
//! which model is live; the labelled declarations training reads; and
//! named leases for work that must run once across instances.
//!
//! One trait, implemented for both backends in this file with the SQL
//! written once (`?` placeholders, rewritten to `$n` for PostgreSQL); the
//! tables are created by each backend's `0025_risk_models.sql`.
//!
//! Invariants:
//! - A model's row is never changed but for its validation, written once
//!   ([`ModelStore::set_model_validation`] answers false the second time).
//! - The active model is the version of the latest activation row; an
//!   activation naming a model without validation is not written (the
//!   check is in the same `INSERT`), so no instance can ever load an
//!   unvalidated model as the live one.
//! - A lease is taken by one holder at a time, and not again before it
//!   expires: the claim is one conditional upsert, atomic on both
//!   backends.

use async_trait::async_trait;
use sqlx::Row;
use time::{Date, OffsetDateTime};

use tamga_core::codes::Mrn;
use tamga_core::declaration::Declaration;

use crate::placeholders::{numbered as pg_sql, plain as sqlite_sql};
use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;
use crate::{Result, StoreError};

/// A model to register.
#[derive(Debug, Clone, PartialEq)]
pub struct NewModel {
    pub created_at: OffsetDateTime,
    /// The user (or `scheduler`) that trained or uploaded it.
    pub created_by: String,
    /// `database` (trained from tamga's own declarations) or `upload`.
    pub source: String,
    pub data_from: Option<Date>,
    pub data_to: Option<Date>,
    pub rows: i64,
    pub frauds: i64,
    pub features: Vec<String>,
    /// What training reported (options, timing), as JSON.
    pub training: serde_json::Value,
    pub content_hash: String,
    pub body: Vec<u8>,
}

/// A registered model, without its file.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelHead {
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub created_by: String,
    pub source: String,
    pub data_from: Option<Date>,
    pub data_to: Option<Date>,
    pub rows: i64,
    pub frauds: i64,
    pub features: Vec<String>,
    pub training: serde_json::Value,
    pub content_hash: String,
    pub validation: Option<serde_json::Value>,
    pub validated_at: Option<OffsetDateTime>,
}

/// One change of the live model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelActivation {
    pub id: i64,
    /// The model live from then on (`None`: none, the rules alone).
    pub version: Option<i64>,
    /// `activate`, `rollback` or `deactivate`.
    pub action: String,
    pub by: String,
    pub reason: String,
    pub at: OffsetDateTime,
}

/// An inspected declaration with its outcome, for training.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelledDeclaration {
    /// The label's cursor.
    pub id: i64,
    pub mrn: Mrn,
    pub registered_at: OffsetDateTime,
    /// Whether the control found something.
    pub findings: bool,
    /// An officer recorded the control's result (compliant or findings).
    pub result_recorded: bool,
    /// Released (not refused): the goods went as declared, or as the
    /// officer corrected them.
    pub released: bool,
    pub declaration: Declaration,
}

/// Findings and controls by how declarations were selected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SelectionYields {
    /// (findings, controls) of exploratory selections.
    pub explore: (u64, u64),
    /// (findings, controls) of the other selections.
    pub other: (u64, u64),
}

#[async_trait]
pub trait ModelStore: Send + Sync {
    /// Registers a model; returns its version.
    async fn insert_model(&self, m: &NewModel) -> Result<i64>;
    /// The registered models, newest first.
    async fn models(&self, limit: i64) -> Result<Vec<ModelHead>>;
    async fn model_head(&self, version: i64) -> Result<Option<ModelHead>>;
    /// The model file as registered.
    async fn model_body(&self, version: i64) -> Result<Option<Vec<u8>>>;
    /// Writes a model's validation once; false when it has one already or
    /// there is no such model.
    async fn set_model_validation(
        &self,
        version: i64,
        validation: &serde_json::Value,
        at: OffsetDateTime,
    ) -> Result<bool>;
    /// Appends an activation. For a `Some` version the row is written only
    /// if that model exists and was validated (else `None`).
    async fn record_activation(
        &self,
        version: Option<i64>,
        action: &str,
        by: &str,
        reason: &str,
        at: OffsetDateTime,
    ) -> Result<Option<i64>>;
    /// The activation history, newest first.
    async fn activations(&self, limit: i64) -> Result<Vec<ModelActivation>>;
    /// The live model's version (the latest activation's).
    async fn active_model(&self) -> Result<Option<i64>>;
    /// Inspected declarations (with their outcome) whose label id is above
    /// `after`, in label order, at most `limit`.
    async fn labelled_declarations(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<LabelledDeclaration>>;
    /// The declarations assessed in `[from, to)` with the model score
    /// recorded, at most `limit` (the latest first).
    async fn model_scores(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
        limit: i64,
    ) -> Result<Vec<(Mrn, f64)>>;
    /// Findings and controls among inspected declarations assessed in
    /// `[from, to)`: of those selected to explore, and of the others the
    /// risk stage selected (with a model score recorded).
    async fn selection_yields(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<SelectionYields>;
    /// Takes the lease `name` for `holder` until `until` when it is free
    /// (never taken, or expired at `now`); true if taken. Work that must
    /// run once per period takes the lease for the period.
    async fn claim_lease(
        &self,
        name: &str,
        holder: &str,
        until: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<bool>;
}

const HEAD_COLUMNS: &str = "version, created_at, created_by, source, data_from, data_to, rows_trained, frauds, features, training, content_hash, validation, validated_at";

fn date(s: Option<String>, what: &str) -> Result<Option<Date>> {
    s.map(|s| {
        Date::parse(&s, &time::format_description::well_known::Iso8601::DATE)
            .map_err(|_| StoreError::Corrupt(format!("risk model {what}: {s}")))
    })
    .transpose()
}

fn date_text(d: Option<Date>) -> Option<String> {
    d.map(|d| d.to_string())
}

fn json(s: &str, what: &str) -> Result<serde_json::Value> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("risk model {what}: {e}")))
}

fn head<R>(r: &R) -> Result<ModelHead>
where
    R: Row,
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'q> i64: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
    for<'q> Option<i64>: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
    for<'q> String: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
    for<'q> Option<String>: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
{
    let features: String = r.try_get("features")?;
    let training: String = r.try_get("training")?;
    let validation: Option<String> = r.try_get("validation")?;
    Ok(ModelHead {
        version: r.try_get("version")?,
        created_at: crate::codec::from_nanos(r.try_get("created_at")?)?,
        created_by: r.try_get("created_by")?,
        source: r.try_get("source")?,
        data_from: date(r.try_get("data_from")?, "data_from")?,
        data_to: date(r.try_get("data_to")?, "data_to")?,
        rows: r.try_get("rows_trained")?,
        frauds: r.try_get("frauds")?,
        features: serde_json::from_str(&features)
            .map_err(|e| StoreError::Corrupt(format!("risk model features: {e}")))?,
        training: json(&training, "training")?,
        content_hash: r.try_get("content_hash")?,
        validation: validation
            .as_deref()
            .map(|v| json(v, "validation"))
            .transpose()?,
        validated_at: r
            .try_get::<Option<i64>, _>("validated_at")?
            .map(crate::codec::from_nanos)
            .transpose()?,
    })
}

fn activation<R>(r: &R) -> Result<ModelActivation>
where
    R: Row,
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'q> i64: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
    for<'q> Option<i64>: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
    for<'q> String: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
{
    Ok(ModelActivation {
        id: r.try_get("id")?,
        version: r.try_get("version")?,
        action: r.try_get("action")?,
        by: r.try_get("by_user")?,
        reason: r.try_get("reason")?,
        at: crate::codec::from_nanos(r.try_get("at")?)?,
    })
}

fn labelled<R>(r: &R) -> Result<LabelledDeclaration>
where
    R: Row,
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'q> i64: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
    for<'q> String: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
    for<'q> Option<String>: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
{
    let mrn: String = r.try_get("mrn")?;
    let doc: String = r.try_get("doc")?;
    let outcome: Option<String> = r.try_get("outcome")?;
    let final_state: String = r.try_get("final_state")?;
    Ok(LabelledDeclaration {
        id: r.try_get("id")?,
        mrn: Mrn::parse(&mrn).map_err(|_| StoreError::Corrupt(format!("label mrn {mrn}")))?,
        registered_at: crate::codec::from_nanos(r.try_get("registered_at")?)?,
        findings: outcome.as_deref() == Some("findings"),
        result_recorded: outcome.is_some(),
        released: final_state == "released",
        declaration: serde_json::from_str(&doc)
            .map_err(|e| StoreError::Corrupt(format!("declaration {mrn}: {e}")))?,
    })
}

macro_rules! model_backend {
    ($store:ty, $read:ident, $write:ident, $sql:path) => {
        #[async_trait]
        impl ModelStore for $store {
            async fn insert_model(&self, m: &NewModel) -> Result<i64> {
                let features = serde_json::to_string(&m.features)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                Ok(sqlx::query_scalar(&$sql(
                    "INSERT INTO risk_models (created_at, created_by, source, data_from, data_to, rows_trained, frauds, features, training, content_hash, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING version",
                ))
                .bind(crate::codec::nanos(m.created_at)?)
                .bind(&m.created_by)
                .bind(&m.source)
                .bind(date_text(m.data_from))
                .bind(date_text(m.data_to))
                .bind(m.rows)
                .bind(m.frauds)
                .bind(features)
                .bind(m.training.to_string())
                .bind(&m.content_hash)
                .bind(&m.body)
                .fetch_one(&self.$write)
                .await?)
            }

            async fn models(&self, limit: i64) -> Result<Vec<ModelHead>> {
                sqlx::query(&$sql(&format!(
                    "SELECT {HEAD_COLUMNS} FROM risk_models ORDER BY version DESC LIMIT ?"
                )))
                .bind(limit)
                .fetch_all(&self.$read)
                .await?
                .iter()
                .map(head)
                .collect()
            }

            async fn model_head(&self, version: i64) -> Result<Option<ModelHead>> {
                sqlx::query(&$sql(&format!(
                    "SELECT {HEAD_COLUMNS} FROM risk_models WHERE version = ?"
                )))
                .bind(version)
                .fetch_optional(&self.$read)
                .await?
                .as_ref()
                .map(head)
                .transpose()
            }

            async fn model_body(&self, version: i64) -> Result<Option<Vec<u8>>> {
                Ok(sqlx::query_scalar(&$sql(
                    "SELECT body FROM risk_models WHERE version = ?",
                ))
                .bind(version)
                .fetch_optional(&self.$read)
                .await?)
            }

            async fn set_model_validation(
                &self,
                version: i64,
                validation: &serde_json::Value,
                at: OffsetDateTime,
            ) -> Result<bool> {
                let done = sqlx::query(&$sql(
                    "UPDATE risk_models SET validation = ?, validated_at = ? WHERE version = ? AND validation IS NULL",
                ))
                .bind(validation.to_string())
                .bind(crate::codec::nanos(at)?)
                .bind(version)
                .execute(&self.$write)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn record_activation(
                &self,
                version: Option<i64>,
                action: &str,
                by: &str,
                reason: &str,
                at: OffsetDateTime,
            ) -> Result<Option<i64>> {
                let t = crate::codec::nanos(at)?;
                Ok(match version {
                    Some(v) => sqlx::query_scalar(&$sql(
                        "INSERT INTO risk_model_activations (version, action, by_user, reason, at) SELECT version, ?, ?, ?, ? FROM risk_models WHERE version = ? AND validation IS NOT NULL RETURNING id",
                    ))
                    .bind(action)
                    .bind(by)
                    .bind(reason)
                    .bind(t)
                    .bind(v)
                    .fetch_optional(&self.$write)
                    .await?,
                    None => Some(
                        sqlx::query_scalar(&$sql(
                            "INSERT INTO risk_model_activations (version, action, by_user, reason, at) VALUES (NULL, ?, ?, ?, ?) RETURNING id",
                        ))
                        .bind(action)
                        .bind(by)
                        .bind(reason)
                        .bind(t)
                        .fetch_one(&self.$write)
                        .await?,
                    ),
                })
            }

            async fn activations(&self, limit: i64) -> Result<Vec<ModelActivation>> {
                sqlx::query(&$sql(
                    "SELECT id, version, action, by_user, reason, at FROM risk_model_activations ORDER BY id DESC LIMIT ?",
                ))
                .bind(limit)
                .fetch_all(&self.$read)
                .await?
                .iter()
                .map(activation)
                .collect()
            }

            async fn active_model(&self) -> Result<Option<i64>> {
                Ok(sqlx::query_scalar::<_, Option<i64>>(&$sql(
                    "SELECT version FROM risk_model_activations ORDER BY id DESC LIMIT 1",
                ))
                .fetch_optional(&self.$read)
                .await?
                .flatten())
            }

            async fn labelled_declarations(
                &self,
                after: i64,
                limit: i64,
            ) -> Result<Vec<LabelledDeclaration>> {
                sqlx::query(&$sql(
                    "SELECT l.id, l.mrn, l.outcome, l.final_state, d.registered_at, d.doc FROM ops_labels l JOIN declarations d ON d.mrn = l.mrn WHERE l.id > ? AND l.inspected ORDER BY l.id LIMIT ?",
                ))
                .bind(after)
                .bind(limit)
                .fetch_all(&self.$read)
                .await?
                .iter()
                .map(labelled)
                .collect()
            }

            async fn model_scores(
                &self,
                from: OffsetDateTime,
                to: OffsetDateTime,
                limit: i64,
            ) -> Result<Vec<(Mrn, f64)>> {
                sqlx::query(&$sql(
                    "SELECT mrn, score FROM risk_scores WHERE at >= ? AND at < ? ORDER BY at DESC LIMIT ?",
                ))
                .bind(crate::codec::nanos(from)?)
                .bind(crate::codec::nanos(to)?)
                .bind(limit)
                .fetch_all(&self.$read)
                .await?
                .iter()
                .map(|r| {
                    let mrn: String = r.try_get("mrn")?;
                    let score: f64 = r.try_get("score")?;
                    Ok((
                        Mrn::parse(&mrn)
                            .map_err(|_| StoreError::Corrupt(format!("risk score mrn {mrn}")))?,
                        score,
                    ))
                })
                .collect()
            }

            async fn selection_yields(
                &self,
                from: OffsetDateTime,
                to: OffsetDateTime,
            ) -> Result<SelectionYields> {
                let rows = sqlx::query(&$sql(
                    "SELECT CASE WHEN s.explored THEN 1 ELSE 0 END AS explore, SUM(CASE WHEN l.outcome = 'findings' THEN 1 ELSE 0 END) AS findings, COUNT(*) AS controls FROM risk_scores s JOIN ops_labels l ON l.mrn = s.mrn WHERE s.at >= ? AND s.at < ? AND l.inspected AND s.channel <> 'green' GROUP BY CASE WHEN s.explored THEN 1 ELSE 0 END",
                ))
                .bind(crate::codec::nanos(from)?)
                .bind(crate::codec::nanos(to)?)
                .fetch_all(&self.$read)
                .await?;
                let mut y = SelectionYields::default();
                for r in rows {
                    let explore: i32 = r.try_get("explore")?;
                    let findings: i64 = r.try_get("findings")?;
                    let controls: i64 = r.try_get("controls")?;
                    let v = (findings.max(0) as u64, controls.max(0) as u64);
                    if explore == 1 {
                        y.explore = v;
                    } else {
                        y.other = v;
                    }
                }
                Ok(y)
            }

            async fn claim_lease(
                &self,
                name: &str,
                holder: &str,
                until: OffsetDateTime,
                now: OffsetDateTime,
            ) -> Result<bool> {
                let done = sqlx::query(&$sql(
                    "INSERT INTO leases (name, holder, until) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until WHERE leases.until <= ?",
                ))
                .bind(name)
                .bind(holder)
                .bind(crate::codec::nanos(until)?)
                .bind(crate::codec::nanos(now)?)
                .execute(&self.$write)
                .await?;
                Ok(done.rows_affected() == 1)
            }
        }
    };
}

model_backend!(SqliteStore, reader, writer, sqlite_sql);
model_backend!(PgStore, pool, pool, pg_sql);
