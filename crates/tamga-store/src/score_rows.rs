//! The `risk_scores` summary rows: one per model-scored risk decision
//! stored, written with its event in the same transaction.
//!
//! Drift and the adaptive exploration share read scores, channels and
//! exploration draws from this table, never from the events' JSON. The
//! rows are taken from the typed events as they are written (migration
//! 0027 replaced the trigger of 0025, which parsed every stored decision's
//! JSON again inside the single writer's transaction).

use rust_decimal::prelude::ToPrimitive;
use sqlx::{QueryBuilder, Sqlite};

use tamga_core::lifecycle::EventBody;

use crate::group_commit::EventRow;
use crate::Result;

/// One `risk_scores` row.
pub(crate) struct ScoreRow<'a> {
    pub mrn: &'a str,
    pub at: i64,
    pub version: i64,
    pub score: f64,
    pub channel: &'static str,
    pub explored: Option<bool>,
    pub probability: Option<f64>,
}

/// The rows of the model-scored risk decisions among `events`.
pub(crate) fn score_rows<'a>(events: &[&EventRow<'a>]) -> Vec<ScoreRow<'a>> {
    events
        .iter()
        .filter_map(|e| match &e.event.body {
            EventBody::RiskAssessed { decision, .. } => {
                let model = decision.combined.model.as_ref()?;
                let exploration = decision.combined.exploration.as_ref();
                Some(ScoreRow {
                    mrn: e.mrn,
                    at: e.at,
                    version: model.version,
                    score: model.score.to_f64().unwrap_or(0.0),
                    channel: decision.channel.as_str(),
                    explored: exploration.map(|x| x.selected),
                    probability: exploration.and_then(|x| x.probability.to_f64()),
                })
            }
            _ => None,
        })
        .collect()
}

const INSERT: &str =
    "INSERT INTO risk_scores (mrn, at, version, score, channel, explored, probability) ";

/// Writes `rows` in the SQLite transaction `c`.
pub(crate) async fn insert_sqlite(
    c: &mut sqlx::SqliteConnection,
    rows: &[ScoreRow<'_>],
    max_params: usize,
) -> Result<()> {
    for chunk in rows.chunks((max_params / 7).max(1)) {
        let mut qb = QueryBuilder::<Sqlite>::new(INSERT);
        qb.push_values(chunk, |mut b, r| {
            b.push_bind(r.mrn)
                .push_bind(r.at)
                .push_bind(r.version)
                .push_bind(r.score)
                .push_bind(r.channel)
                .push_bind(r.explored)
                .push_bind(r.probability);
        });
        qb.build().execute(&mut *c).await?;
    }
    Ok(())
}

/// Writes `rows` in the PostgreSQL transaction `c`.
pub(crate) async fn insert_postgres(
    c: &mut sqlx::PgConnection,
    rows: &[ScoreRow<'_>],
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    sqlx::query(&format!(
        "{INSERT}SELECT * FROM unnest($1::text[], $2::int8[], $3::int8[], $4::float8[], \
         $5::text[], $6::bool[], $7::float8[])"
    ))
    .bind(rows.iter().map(|r| r.mrn).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.at).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.version).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.score).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.channel).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.explored).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.probability).collect::<Vec<_>>())
    .execute(&mut *c)
    .await?;
    Ok(())
}
