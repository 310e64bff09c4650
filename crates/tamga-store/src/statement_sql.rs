//! An account's statement a page at a time, and a party's declarations
//! counted by state: what the portal's account page, printable statement
//! and trader dashboard read, without reading a whole period.
//!
//! Balances come from SQL sums: `ledger_days` (an account's movements
//! summed per day and bucket, kept by a trigger with every entry, see
//! migration `0021_portal_aggregates.sql`) for the whole days before a
//! point in time, plus the entries of that point's own day before it. A
//! page's movements are read down the `(account, at, id)` index in the
//! statement's order, time then entry id, after or before a cursor (an
//! entry id): a page never reads more than its rows and one day's
//! entries.
//!
//! Everything one call reads is read in one transaction (PostgreSQL:
//! repeatable read), so a page's balances and rows agree.

use async_trait::async_trait;
use sqlx::Row;
use time::OffsetDateTime;

use tamga_core::codes::Eori;
use tamga_core::ledger::{AccountId, Balances, Bucket, Movement, TxnKind};

use crate::dashboard_sql::DAY_NANOS;
use crate::placeholders::{numbered as pg_sql, plain as sqlite_sql};
use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;
use crate::{Result, StoreError};

/// Which movements of the period a page holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementCursor {
    /// The first movements of the period.
    Oldest,
    /// The movements right after this entry.
    After(i64),
    /// The last movements of the period.
    Newest,
    /// The movements right before this entry.
    Before(i64),
}

/// A page of an account's statement of `[from, to)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementPage {
    /// Balances at `from` and at `to`.
    pub opening: Balances,
    pub closing: Balances,
    /// Movements in the whole period.
    pub movements: i64,
    /// Balances just before the first of `rows`.
    pub start: Balances,
    /// In the statement's order: time, then entry id.
    pub rows: Vec<Movement>,
    /// Whether the period has movements before the first of `rows`, and
    /// after the last.
    pub earlier: bool,
    pub later: bool,
}

#[async_trait]
pub trait StatementStore: Send + Sync {
    /// A page of at most `limit` movements of `account` in `[from, to)`;
    /// `None` when the cursor is not an entry of the account.
    async fn statement_page(
        &self,
        account: AccountId,
        from: OffsetDateTime,
        to: OffsetDateTime,
        cursor: StatementCursor,
        limit: u32,
    ) -> Result<Option<StatementPage>>;

    /// How many declarations `party` is declarant or representative of,
    /// per state (states without any left out).
    async fn party_states(&self, party: &Eori) -> Result<Vec<(String, i64)>>;
}

fn nanos(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos()).unwrap_or(i64::MAX)
}

fn corrupt(what: &str, v: &str) -> StoreError {
    StoreError::Corrupt(format!("bad stored {what} {v:?}"))
}

fn bucket(s: &str) -> Result<Bucket> {
    Bucket::parse(s).ok_or_else(|| corrupt("bucket", s))
}

const ROW: &str = "SELECT e.id, e.txn, e.at, t.kind, e.bucket, e.delta, e.mrn, t.reference \
     FROM ledger_entries e JOIN ledger_txns t ON t.id = e.txn WHERE e.account = ?";

/// Whole days before a day, per bucket.
const DAYS_BEFORE: &str = "SELECT bucket, CAST(SUM(total) AS BIGINT) AS total, \
       CAST(SUM(entries) AS BIGINT) AS n FROM ledger_days WHERE account = ? AND day < ? GROUP BY bucket";

/// Entries from `?` (a midnight) to a point: before a time, or at that
/// time up to an entry id (`<=`/`<` as asked).
const DAY_PART: &str = "SELECT bucket, CAST(COALESCE(SUM(delta), 0) AS BIGINT) AS total, \
       COUNT(*) AS n FROM ledger_entries \
       WHERE account = ? AND at >= ? AND (at < ? OR (at = ? AND id {cmp} ?)) GROUP BY bucket";

const STATES: &str =
    "SELECT state, COUNT(*) AS n FROM declarations WHERE declarant = ? GROUP BY state \
     UNION ALL SELECT state, COUNT(*) AS n FROM declarations \
       WHERE representative = ? AND declarant <> ? GROUP BY state";

macro_rules! statement_backend {
    ($store:ty, $conn:ty, $read:ident, $sql:ident, $begin:expr) => {
        impl $store {
            fn movement(
                r: &<<$conn as sqlx::Connection>::Database as sqlx::Database>::Row,
            ) -> Result<Movement> {
                let b: String = r.try_get("bucket")?;
                let kind: String = r.try_get("kind")?;
                Ok(Movement {
                    entry: r.try_get("id")?,
                    txn: r.try_get("txn")?,
                    at_nanos: r.try_get("at")?,
                    kind: TxnKind::parse(&kind).ok_or_else(|| corrupt("txn kind", &kind))?,
                    bucket: bucket(&b)?,
                    delta: r.try_get("delta")?,
                    mrn: crate::ledger_sql::mrn_col(r.try_get("mrn")?)?,
                    reference: r.try_get("reference")?,
                })
            }

            /// Sums of the movements before a point: entries before
            /// `at`, and at `at` those with an id below `id` (or up to
            /// it when `through`). With their count.
            async fn sum_before(
                c: &mut $conn,
                account: AccountId,
                at: i64,
                id: Option<(i64, bool)>,
            ) -> Result<(Balances, i64)> {
                let day = at.div_euclid(DAY_NANOS);
                let mut b = Balances::default();
                let mut n = 0;
                for r in sqlx::query(&$sql(DAYS_BEFORE))
                    .bind(account)
                    .bind(day)
                    .fetch_all(&mut *c)
                    .await?
                {
                    let name: String = r.try_get("bucket")?;
                    b.apply(bucket(&name)?, r.try_get("total")?);
                    n += r.try_get::<i64, _>("n")?;
                }
                let (cmp, last) = match id {
                    Some((id, true)) => ("<=", id),
                    Some((id, false)) => ("<", id),
                    // Nothing at `at` itself.
                    None => ("<", i64::MIN),
                };
                let sql = DAY_PART.replace("{cmp}", cmp);
                for r in sqlx::query(&$sql(&sql))
                    .bind(account)
                    .bind(day.saturating_mul(DAY_NANOS))
                    .bind(at)
                    .bind(at)
                    .bind(last)
                    .fetch_all(&mut *c)
                    .await?
                {
                    let name: String = r.try_get("bucket")?;
                    b.apply(bucket(&name)?, r.try_get("total")?);
                    n += r.try_get::<i64, _>("n")?;
                }
                Ok((b, n))
            }

            async fn page_in(
                c: &mut $conn,
                account: AccountId,
                from: i64,
                to: i64,
                cursor: StatementCursor,
                limit: u32,
            ) -> Result<Option<StatementPage>> {
                let (opening, before) = Self::sum_before(c, account, from, None).await?;
                let (closing, through) = Self::sum_before(c, account, to, None).await?;
                let take = i64::from(limit.max(1)) + 1;
                // The cursor's entry: its time, on this account.
                let mut at_of = None;
                if let StatementCursor::After(id) | StatementCursor::Before(id) = cursor {
                    let at: Option<i64> = sqlx::query_scalar(&$sql(
                        "SELECT at FROM ledger_entries WHERE id = ? AND account = ?",
                    ))
                    .bind(id)
                    .bind(account)
                    .fetch_optional(&mut *c)
                    .await?;
                    match at {
                        Some(at) => at_of = Some((at, id)),
                        None => return Ok(None),
                    }
                }
                let ascending =
                    matches!(cursor, StatementCursor::Oldest | StatementCursor::After(_));
                let mut sql = format!("{ROW} AND e.at >= ? AND e.at < ?");
                if at_of.is_some() {
                    sql.push_str(if ascending {
                        " AND (e.at > ? OR (e.at = ? AND e.id > ?))"
                    } else {
                        " AND (e.at < ? OR (e.at = ? AND e.id < ?))"
                    });
                }
                sql.push_str(if ascending {
                    " ORDER BY e.at, e.id LIMIT ?"
                } else {
                    " ORDER BY e.at DESC, e.id DESC LIMIT ?"
                });
                let sql = $sql(&sql);
                let mut q = sqlx::query(&sql).bind(account).bind(from).bind(to);
                if let Some((at, id)) = at_of {
                    q = q.bind(at).bind(at).bind(id);
                }
                let found = q.bind(take).fetch_all(&mut *c).await?;
                let more = found.len() as i64 >= take;
                let mut rows = found
                    .iter()
                    .take(limit.max(1) as usize)
                    .map(Self::movement)
                    .collect::<Result<Vec<_>>>()?;
                if !ascending {
                    rows.reverse();
                }
                let sum = |rows: &[Movement]| {
                    let mut b = Balances::default();
                    for m in rows {
                        b.apply(m.bucket, m.delta);
                    }
                    b
                };
                // Balances before the first row, and whether the period
                // goes on beyond the page at the cursor's side.
                let (start, earlier, later) = match (cursor, at_of) {
                    (StatementCursor::Oldest, _) => (opening, false, more),
                    (StatementCursor::Newest, _) => {
                        let s = sum(&rows);
                        (
                            Balances {
                                available: closing.available - s.available,
                                reserved: closing.reserved - s.reserved,
                            },
                            more,
                            false,
                        )
                    }
                    (StatementCursor::After(_), Some((at, id))) => {
                        let (b, n) = Self::sum_before(c, account, at, Some((id, true))).await?;
                        (b, n > before, more)
                    }
                    (StatementCursor::Before(_), Some((at, id))) => {
                        let (b, n) = Self::sum_before(c, account, at, Some((id, false))).await?;
                        let s = sum(&rows);
                        (
                            Balances {
                                available: b.available - s.available,
                                reserved: b.reserved - s.reserved,
                            },
                            more,
                            n < through,
                        )
                    }
                    _ => (opening, false, false),
                };
                Ok(Some(StatementPage {
                    opening,
                    closing,
                    movements: through - before,
                    start,
                    rows,
                    earlier,
                    later,
                }))
            }
        }

        #[async_trait]
        impl StatementStore for $store {
            async fn statement_page(
                &self,
                account: AccountId,
                from: OffsetDateTime,
                to: OffsetDateTime,
                cursor: StatementCursor,
                limit: u32,
            ) -> Result<Option<StatementPage>> {
                let mut c = self.$read.begin().await?;
                $begin(&mut c).await?;
                let page =
                    Self::page_in(&mut c, account, nanos(from), nanos(to), cursor, limit).await?;
                c.commit().await?;
                Ok(page)
            }

            async fn party_states(&self, party: &Eori) -> Result<Vec<(String, i64)>> {
                let rows = sqlx::query(&$sql(STATES))
                    .bind(party.as_str())
                    .bind(party.as_str())
                    .bind(party.as_str())
                    .fetch_all(&self.$read)
                    .await?;
                let mut out: Vec<(String, i64)> = Vec::new();
                for r in &rows {
                    let state: String = r.try_get("state")?;
                    let n: i64 = r.try_get("n")?;
                    match out.iter_mut().find(|(s, _)| *s == state) {
                        Some(o) => o.1 += n,
                        None => out.push((state, n)),
                    }
                }
                out.sort();
                Ok(out)
            }
        }
    };
}

/// A read transaction as it begins on SQLite: nothing to set.
pub(crate) async fn sqlite_begin(_: &mut sqlx::Transaction<'static, sqlx::Sqlite>) -> Result<()> {
    Ok(())
}

/// Repeatable read, so everything one call reads agrees.
pub(crate) async fn pg_begin(c: &mut sqlx::Transaction<'static, sqlx::Postgres>) -> Result<()> {
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        .execute(&mut **c)
        .await?;
    Ok(())
}

statement_backend!(
    SqliteStore,
    sqlx::SqliteConnection,
    reader,
    sqlite_sql,
    sqlite_begin
);
statement_backend!(PgStore, sqlx::PgConnection, pool, pg_sql, pg_begin);
