//! The reference-price database of customs value control (issue 18, part
//! 4): `value_observations` (`0029_value_observations.sql` of each
//! backend).
//!
//! Rows are derived by the group commit from the typed events it stores,
//! in the same transaction, so every instance sees them and nothing is
//! read back ([`value_rows`]):
//!
//! - a `duties_assessed` event with an assessment writes the observations
//!   of the declaration's items ([`tamga_core::value_control::observations`]),
//!   replacing those of an earlier version (an amendment);
//! - an `amended` event without a new assessment (the duties did not
//!   change) drops them: the amended values were not converted again, and
//!   an unconverted value does not enter the reference;
//! - a `released` event (automatic, after payment, or an officer's) marks
//!   the declaration's observations released at the event's time: only
//!   released observations are read ([`ValueStore::value_sample`]).
//!
//! The SQL is written once (`?` placeholders, rewritten to `$n` for
//! PostgreSQL).

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use rust_decimal::Decimal;
use sqlx::Row;
use time::OffsetDateTime;

use tamga_core::lifecycle::EventBody;
use tamga_core::pipeline::DutyResult;
use tamga_core::value_control::{observations, ValueKey};

use crate::codec::nanos;
use crate::group_commit::PreparedKind;
use crate::placeholders::{numbered as pg_sql, plain as sqlite_sql};
use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;
use crate::{Result, StoreError};

/// A released observation as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObservation {
    /// National currency per unit.
    pub unit_value: Decimal,
    pub declarant: String,
    pub released_at: OffsetDateTime,
}

#[async_trait]
pub trait ValueStore: Send + Sync {
    /// The released observations of `key` in `currency` released at or
    /// after `since`, most recent first, at most `limit`.
    async fn value_sample(
        &self,
        key: &ValueKey,
        currency: &str,
        since: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<StoredObservation>>;
}

/// One `value_observations` row.
#[derive(Debug, Clone)]
pub(crate) struct ValueRow {
    mrn: String,
    item: i64,
    unit: &'static str,
    code: String,
    hs6: String,
    origin: String,
    declarant: String,
    unit_value: String,
    currency: String,
    assessed_at: i64,
    released_at: Option<i64>,
}

/// What a commit does to `value_observations`, in this order: delete the
/// rows of `replace`, insert `insert`, mark `release` released.
#[derive(Debug, Default)]
pub(crate) struct ValueRows {
    replace: Vec<String>,
    insert: Vec<ValueRow>,
    release: Vec<(String, i64)>,
}

impl ValueRows {
    pub(crate) fn is_empty(&self) -> bool {
        self.replace.is_empty() && self.insert.is_empty() && self.release.is_empty()
    }
}

/// The rows of the writes a commit stores (see the module doc).
pub(crate) fn value_rows(committed: &[&crate::group_commit::Prepared<'_>]) -> Result<ValueRows> {
    let mut out = ValueRows::default();
    // One row per key: a later write of the same declaration wins.
    let mut at: HashMap<(String, i64, &'static str), usize> = HashMap::new();
    let mut replaced: HashSet<String> = HashSet::new();
    for p in committed {
        let Some(decl) = &p.decl else { continue };
        let record = decl.record;
        let mrn = record.mrn.as_str();
        let mut assessed = None;
        let mut amended = false;
        let mut released = None;
        for e in &p.events {
            match &e.event.body {
                EventBody::DutiesAssessed {
                    result: DutyResult::Assessed { assessment, .. },
                } => assessed = Some((assessment, e.at)),
                EventBody::DutiesAssessed { .. } | EventBody::Amended { .. } => amended = true,
                EventBody::Released { .. } => released = Some(e.at),
                _ => {}
            }
        }
        if (assessed.is_some() || amended) && p.kind == PreparedKind::Update {
            if replaced.insert(mrn.to_owned()) {
                out.replace.push(mrn.to_owned());
            }
            out.insert.retain(|r| r.mrn != mrn);
            // Indices moved: rebuild them.
            at = out
                .insert
                .iter()
                .enumerate()
                .map(|(i, r)| ((r.mrn.clone(), r.item, r.unit), i))
                .collect();
        }
        if let Some((a, assessed_at)) = assessed {
            for o in observations(&record.declaration, a) {
                let row = ValueRow {
                    mrn: mrn.to_owned(),
                    item: i64::from(o.item),
                    unit: o.unit.as_str(),
                    code: o.code,
                    hs6: o.hs6,
                    origin: o.origin,
                    declarant: record.declarant.as_str().to_owned(),
                    unit_value: o.unit_value.to_string(),
                    currency: o.currency,
                    assessed_at,
                    released_at: released,
                };
                let key = (row.mrn.clone(), row.item, row.unit);
                match at.get(&key) {
                    Some(&i) => out.insert[i] = row,
                    None => {
                        at.insert(key, out.insert.len());
                        out.insert.push(row);
                    }
                }
            }
        } else if let Some(t) = released {
            out.release.push((mrn.to_owned(), t));
        }
    }
    Ok(out)
}

const DELETE: &str = "DELETE FROM value_observations WHERE mrn = ?";
const RELEASE: &str =
    "UPDATE value_observations SET released_at = ? WHERE mrn = ? AND released_at IS NULL";
const INSERT: &str = "INSERT INTO value_observations (mrn, item, unit, code, hs6, origin, declarant, unit_value, currency, assessed_at, released_at) ";
/// Columns per inserted row.
const COLUMNS: usize = 11;

const SELECT_CODE: &str = "SELECT unit_value, declarant, released_at FROM value_observations \
     WHERE code = ? AND unit = ? AND currency = ? AND origin = ? \
     AND released_at IS NOT NULL AND released_at >= ? ORDER BY released_at DESC LIMIT ?";
const SELECT_HS6: &str = "SELECT unit_value, declarant, released_at FROM value_observations \
     WHERE hs6 = ? AND unit = ? AND currency = ? AND origin = ? \
     AND released_at IS NOT NULL AND released_at >= ? ORDER BY released_at DESC LIMIT ?";
const SELECT_CODE_ANY: &str = "SELECT unit_value, declarant, released_at FROM value_observations \
     WHERE code = ? AND unit = ? AND currency = ? \
     AND released_at IS NOT NULL AND released_at >= ? ORDER BY released_at DESC LIMIT ?";
const SELECT_HS6_ANY: &str = "SELECT unit_value, declarant, released_at FROM value_observations \
     WHERE hs6 = ? AND unit = ? AND currency = ? \
     AND released_at IS NOT NULL AND released_at >= ? ORDER BY released_at DESC LIMIT ?";

fn observation<R>(r: &R) -> Result<StoredObservation>
where
    R: Row,
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'q> i64: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
    for<'q> String: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
{
    let v: String = r.try_get("unit_value")?;
    Ok(StoredObservation {
        unit_value: v
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("value observation: unit value {v:?}")))?,
        declarant: r.try_get("declarant")?,
        released_at: crate::codec::from_nanos(r.try_get("released_at")?)?,
    })
}

macro_rules! values_backend {
    ($store:ty, $read:ident, $db:ty, $write:ident, $sql:path, $max_params:expr) => {
        #[async_trait]
        impl ValueStore for $store {
            async fn value_sample(
                &self,
                key: &ValueKey,
                currency: &str,
                since: OffsetDateTime,
                limit: u32,
            ) -> Result<Vec<StoredObservation>> {
                let since = nanos(since)?;
                let limit = i64::from(limit);
                let unit = key.unit.as_str();
                // Every query binds code, unit, currency, [origin], since, limit.
                let text = match (&key.origin, key.is_hs6()) {
                    (Some(_), false) => SELECT_CODE,
                    (Some(_), true) => SELECT_HS6,
                    (None, false) => SELECT_CODE_ANY,
                    (None, true) => SELECT_HS6_ANY,
                };
                let sql = $sql(text);
                let mut q = sqlx::query(&sql)
                    .bind(key.code.as_str())
                    .bind(unit)
                    .bind(currency);
                if let Some(origin) = &key.origin {
                    q = q.bind(origin.as_str());
                }
                q.bind(since)
                    .bind(limit)
                    .fetch_all(&self.$read)
                    .await?
                    .iter()
                    .map(observation)
                    .collect()
            }
        }

        /// Writes a commit's value observations in its transaction.
        pub(crate) async fn $write(
            c: &mut <$db as sqlx::Database>::Connection,
            rows: &ValueRows,
        ) -> Result<()> {
            for mrn in &rows.replace {
                sqlx::query(&$sql(DELETE))
                    .bind(mrn.as_str())
                    .execute(&mut *c)
                    .await?;
            }
            for chunk in rows.insert.chunks(($max_params / COLUMNS).max(1)) {
                let mut qb = sqlx::QueryBuilder::<$db>::new(INSERT);
                qb.push_values(chunk, |mut b, r| {
                    b.push_bind(r.mrn.as_str())
                        .push_bind(r.item)
                        .push_bind(r.unit)
                        .push_bind(r.code.as_str())
                        .push_bind(r.hs6.as_str())
                        .push_bind(r.origin.as_str())
                        .push_bind(r.declarant.as_str())
                        .push_bind(r.unit_value.as_str())
                        .push_bind(r.currency.as_str())
                        .push_bind(r.assessed_at)
                        .push_bind(r.released_at);
                });
                qb.build().execute(&mut *c).await?;
            }
            for (mrn, at) in &rows.release {
                sqlx::query(&$sql(RELEASE))
                    .bind(*at)
                    .bind(mrn.as_str())
                    .execute(&mut *c)
                    .await?;
            }
            Ok(())
        }
    };
}

values_backend!(
    SqliteStore,
    reader,
    sqlx::Sqlite,
    write_sqlite,
    sqlite_sql,
    crate::codec::SQLITE_MAX_PARAMS
);
values_backend!(PgStore, pool, sqlx::Postgres, write_pg, pg_sql, 65_535usize);
