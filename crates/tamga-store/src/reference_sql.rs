//! Reference data as [`crate::Store`] loads and reads it: HS codes,
//! countries, currencies, procedures and their combinations, document
//! types and customs offices, from a [`ReferenceBundle`].
//!
//! A load upserts every table in one transaction, a few hundred rows per
//! statement, and changes only rows that differ (so loading the same
//! bundle again reports 0); the rows are bound by `load_reference_fn!` in
//! `codec.rs`, the statements built by this file's `upsert`. A read takes
//! every table in a snapshot the caller holds (each backend's
//! [`crate::Store::reference`]: a read transaction on SQLite, repeatable
//! read on PostgreSQL).
//!
//! The code is written once, in the `reference_backend!` macro, which
//! gives each backend a module of functions (`sqlite`, `pg`); the
//! backends differ only in their parameter limit and how "the value
//! differs" is spelled (`IS NOT`, `IS DISTINCT FROM`).

use sqlx::query_builder::Separated;
use sqlx::{PgConnection, Postgres, QueryBuilder, Row, Sqlite, SqliteConnection};

use tamga_core::reference::ReferenceBundle;

use crate::codec::{self, SQLITE_MAX_PARAMS};
use crate::postgres::{PgStore, PG_MAX_PARAMS};
use crate::sqlite::SqliteStore;
use crate::{LoadReport, Result};

macro_rules! reference_backend {
    (
        $mod:ident, $store:ty, $conn:ty, $db:ty, $max_params:expr, $differs:literal
    ) => {
        /// The family's functions over this backend's store.
        pub(crate) mod $mod {
            use super::*;

            async fn upsert<'a, T>(
                conn: &mut $conn,
                table: &str,
                cols: &[&str],
                key: &[&str],
                rows: &'a [T],
                mut bind: impl FnMut(&mut Separated<'_, 'a, $db, &'static str>, &'a T),
            ) -> Result<u64> {
                let mut changed = 0;
                let tail = codec::upsert_tail(table, cols, key, $differs);
                // Reference data loads once: its statements are not kept.
                for chunk in rows.chunks($max_params / cols.len()) {
                    let mut qb = QueryBuilder::<$db>::new(format!(
                        "INSERT INTO {table} ({}) ",
                        cols.join(", ")
                    ));
                    qb.push_values(chunk, |mut b, r| bind(&mut b, r));
                    qb.push(&tail);
                    changed += qb
                        .build()
                        .persistent(false)
                        .execute(&mut *conn)
                        .await?
                        .rows_affected();
                }
                Ok(changed)
            }

            crate::codec::load_reference_fn!($conn);

            pub(crate) async fn load_reference(
                s: &$store,
                b: &ReferenceBundle,
            ) -> Result<LoadReport> {
                let mut tx = s.begin().await?;
                let changed = load_reference_rows(&mut tx, b).await?;
                tx.commit().await?;
                Ok(LoadReport { changed })
            }

            /// Every table, read on `c`: the caller holds the snapshot.
            pub(crate) async fn read_reference(c: &mut $conn) -> Result<ReferenceBundle> {
                async fn all<T>(
                    c: &mut $conn,
                    sql: &str,
                    f: fn(&<$db as sqlx::Database>::Row) -> Result<T>,
                ) -> Result<Vec<T>> {
                    sqlx::query(sql)
                        .fetch_all(&mut *c)
                        .await?
                        .iter()
                        .map(f)
                        .collect()
                }
                Ok(ReferenceBundle {
                    hs: all(c, codec::SQL_HS, codec::hs_entry).await?,
                    countries: all(c, codec::SQL_COUNTRIES, codec::country).await?,
                    currencies: all(c, codec::SQL_CURRENCIES, codec::currency).await?,
                    procedures: all(c, codec::SQL_PROCEDURES, codec::procedure).await?,
                    additional_procedures: all(c, codec::SQL_ADDITIONAL_PROCEDURES, |r| {
                        codec::code_description(r)
                    })
                    .await?,
                    procedure_combinations: all(c, codec::SQL_COMBINATIONS, |r| {
                        Ok((r.try_get("procedure")?, r.try_get("additional_procedure")?))
                    })
                    .await?,
                    document_types: all(c, codec::SQL_DOCUMENT_TYPES, codec::code_description)
                        .await?,
                    procedure_documents: all(c, codec::SQL_PROCEDURE_DOCUMENTS, |r| {
                        codec::procedure_document(r)
                    })
                    .await?,
                    offices: all(c, codec::SQL_OFFICES, codec::office_row).await?,
                })
            }
        }
    };
}

reference_backend!(
    sqlite,
    SqliteStore,
    SqliteConnection,
    Sqlite,
    SQLITE_MAX_PARAMS,
    "IS NOT"
);
reference_backend!(
    pg,
    PgStore,
    PgConnection,
    Postgres,
    PG_MAX_PARAMS,
    "IS DISTINCT FROM"
);
