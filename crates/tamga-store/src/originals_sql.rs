//! The original bytes of the standard messages a declaration was acted on
//! with (issue 19: WCO DEC-DMS XML, UN/EDIFACT CUSDEC), exactly as received
//! and signed: its lodgement, and amendments and cancellations sent as
//! DEC-DMS XML.
//!
//! They are written by the group commit, in the transaction that records
//! the act ([`crate::Write::Insert`]'s and [`crate::Write::Update`]'s
//! `original`), so a declaration lodged or amended as XML is never stored
//! without the XML it was lodged or amended with. The table
//! (`0026_declaration_originals.sql`, keyed by declaration and message hash
//! since `0028_declaration_original_acts.sql`) is append-only. The SQL is written once (`?` placeholders, rewritten to
//! `$n` for PostgreSQL).

use async_trait::async_trait;
use sqlx::Row;
use time::OffsetDateTime;

use tamga_core::codes::Mrn;

use crate::placeholders::{numbered as pg_sql, plain as sqlite_sql};
use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;
use crate::{Result, StoreError};

/// The format name of a WCO DEC-DMS XML message.
pub const WCO_DEC_DMS_XML: &str = "wco-dec-dms-xml";
/// The format name of a UN/EDIFACT CUSDEC interchange.
pub const UNEDIFACT_CUSDEC: &str = "unedifact-cusdec";

/// The act of a lodgement's original.
pub const LODGEMENT: &str = "lodgement";
/// The act of an amendment's original.
pub const AMENDMENT: &str = "amendment";
/// The act of a cancellation's (invalidation's) original.
pub const CANCELLATION: &str = "cancellation";

/// A message a declaration was lodged, amended or cancelled with, when it
/// was not tamga's JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Original {
    /// [`LODGEMENT`], [`AMENDMENT`] or [`CANCELLATION`].
    pub act: String,
    /// The message format ([`WCO_DEC_DMS_XML`], [`UNEDIFACT_CUSDEC`]).
    pub format: String,
    /// The bytes as received (the signature covers them).
    pub body: Vec<u8>,
    /// SHA-256 (hex) of `body`: the `lodged`, `amended` or `invalidated`
    /// event's `body_sha256`.
    pub body_sha256: String,
    /// What tamga does not model: XPaths of elements and attributes, or
    /// EDIFACT segment positions (`segment 12 (FTX)`).
    pub not_used: Vec<String>,
}

/// A stored original.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOriginal {
    pub mrn: Mrn,
    pub original: Original,
    /// When it was stored (the commit's time).
    pub at: OffsetDateTime,
}

#[async_trait]
pub trait OriginalStore: Send + Sync {
    /// The original the declaration `mrn` was lodged as; `None` for a
    /// declaration lodged as JSON (or no such declaration).
    async fn original(&self, mrn: &Mrn) -> Result<Option<StoredOriginal>>;

    /// The format alone of the original `mrn` was lodged as (without
    /// reading its bytes): whether its notifications go out in that
    /// format; `None` for JSON.
    async fn original_format(&self, mrn: &Mrn) -> Result<Option<String>>;

    /// Every original of the declaration `mrn` (its lodgement, amendments
    /// and cancellation), oldest first.
    async fn originals(&self, mrn: &Mrn) -> Result<Vec<StoredOriginal>>;
}

const INSERT: &str = "INSERT INTO declaration_originals (mrn, act, format, body, body_sha256, not_used, at) VALUES (?, ?, ?, ?, ?, ?, ?)";
const SELECT_FORMAT: &str =
    "SELECT format FROM declaration_originals WHERE mrn = ? AND act = 'lodgement'";
const SELECT: &str = "SELECT mrn, act, format, body, body_sha256, not_used, at FROM declaration_originals WHERE mrn = ? AND act = 'lodgement'";
const SELECT_ALL: &str = "SELECT mrn, act, format, body, body_sha256, not_used, at FROM declaration_originals WHERE mrn = ? ORDER BY at, body_sha256";

fn stored<R>(r: &R) -> Result<StoredOriginal>
where
    R: Row,
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'q> i64: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
    for<'q> String: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
    for<'q> Vec<u8>: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
{
    let mrn: String = r.try_get("mrn")?;
    let not_used: String = r.try_get("not_used")?;
    Ok(StoredOriginal {
        mrn: Mrn::parse(&mrn)
            .map_err(|_| StoreError::Corrupt(format!("original of {mrn:?}: MRN")))?,
        original: Original {
            act: r.try_get("act")?,
            format: r.try_get("format")?,
            body: r.try_get("body")?,
            body_sha256: r.try_get("body_sha256")?,
            not_used: serde_json::from_str(&not_used)
                .map_err(|e| StoreError::Corrupt(format!("original of {mrn}: not_used: {e}")))?,
        },
        at: crate::codec::from_nanos(r.try_get("at")?)?,
    })
}

macro_rules! originals_backend {
    ($store:ty, $read:ident, $conn:ty, $insert:ident, $sql:path) => {
        #[async_trait]
        impl OriginalStore for $store {
            async fn original(&self, mrn: &Mrn) -> Result<Option<StoredOriginal>> {
                sqlx::query(&$sql(SELECT))
                    .bind(mrn.as_str())
                    .fetch_optional(&self.$read)
                    .await?
                    .map(|r| stored(&r))
                    .transpose()
            }

            async fn original_format(&self, mrn: &Mrn) -> Result<Option<String>> {
                Ok(sqlx::query(&$sql(SELECT_FORMAT))
                    .bind(mrn.as_str())
                    .fetch_optional(&self.$read)
                    .await?
                    .map(|r| r.try_get::<String, _>("format"))
                    .transpose()?)
            }

            async fn originals(&self, mrn: &Mrn) -> Result<Vec<StoredOriginal>> {
                sqlx::query(&$sql(SELECT_ALL))
                    .bind(mrn.as_str())
                    .fetch_all(&self.$read)
                    .await?
                    .iter()
                    .map(stored)
                    .collect()
            }
        }

        /// Inserts the originals of the acts a commit stores, in its
        /// transaction.
        pub(crate) async fn $insert(
            c: &mut $conn,
            rows: &[(&str, &Original)],
            at: OffsetDateTime,
        ) -> Result<()> {
            let at = crate::codec::nanos(at)?;
            for (mrn, o) in rows {
                let not_used = serde_json::to_string(&o.not_used)
                    .map_err(|e| StoreError::Corrupt(format!("original of {mrn}: {e}")))?;
                sqlx::query(&$sql(INSERT))
                    .bind(*mrn)
                    .bind(&o.act)
                    .bind(&o.format)
                    .bind(&o.body)
                    .bind(&o.body_sha256)
                    .bind(not_used)
                    .bind(at)
                    .execute(&mut *c)
                    .await?;
            }
            Ok(())
        }
    };
}

originals_backend!(
    SqliteStore,
    reader,
    sqlx::SqliteConnection,
    insert_sqlite,
    sqlite_sql
);
originals_backend!(PgStore, pool, sqlx::PgConnection, insert_pg, pg_sql);
