//! What both backends share: encoding domain values to column values and
//! decoding rows back. Times are stored as unix nanoseconds (UTC) so they
//! round-trip exactly (event hashes cover nanoseconds); JSON is stored as
//! the text serde produced.

use serde::de::DeserializeOwned;
use serde::Serialize;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;
use time::{Date, OffsetDateTime};

use tamga_core::codes::{Eori, Lrn, Mrn, OfficeCode};
use tamga_core::declaration::DeclarationType;
use tamga_core::lifecycle::{Channel, Event, State};
use tamga_core::reference::{
    CodeDescription, Country, Currency, HsEntry, Office, Procedure, ProcedureDocument,
};
use tamga_core::risk::SelectivityCriterion;

use crate::{
    AuditEntry, DeclarationRecord, Notification, Operator, Principal, QuotaDrawRecord, Result,
    Role, SigningKeyRecord, StoreError,
};

/// Sums stored quota draws (order number, period start, quantity) per
/// quota period.
pub(crate) fn sum_quota_draws(rows: Vec<(String, String, String)>) -> Result<Vec<QuotaDrawRecord>> {
    let mut sums: std::collections::BTreeMap<(String, Date), rust_decimal::Decimal> =
        std::collections::BTreeMap::new();
    for (order, from, qty) in rows {
        let from = tamga_core::tariff::parse_date(&from)
            .ok_or_else(|| StoreError::Corrupt(format!("bad quota period {from:?}")))?;
        let qty: rust_decimal::Decimal = qty
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("bad quota quantity {qty:?}")))?;
        *sums.entry((order, from)).or_default() += qty;
    }
    Ok(sums
        .into_iter()
        .map(|((order_number, period_from), quantity)| QuotaDrawRecord {
            order_number,
            period_from,
            quantity,
            volume: None,
        })
        .collect())
}

/// SQLite allows 32766 bound parameters per statement; stay below.
pub(crate) const SQLITE_MAX_PARAMS: usize = 32_000;

/// The row counts a multi-row statement is cut into, largest first: the
/// powers of two, so the rest after the 256-row chunks takes one
/// statement per binary digit (a commit's statements are round trips to
/// the connection's thread on its serial path; with the shapes 256, 64,
/// 16, 4, 1 a batch took about half as many more).
const SHAPES: [usize; 9] = [256, 128, 64, 32, 16, 8, 4, 2, 1];

/// How a backend cuts the multi-row statements shared by both backends
/// (`ledger_sql`, `ops_sql`).
pub(crate) trait MultiRow {
    /// SQLite runs in-process: parsing and compiling a statement of
    /// hundreds of rows for every batch size costs more than executing it,
    /// and another statement costs no round trip, so statements come in
    /// a few fixed shapes that stay prepared ([`shaped_chunks`]).
    /// PostgreSQL answers each statement over the network on the commit
    /// path: one statement per `max` rows, as before.
    const SHAPED: bool;
}

impl MultiRow for sqlx::Sqlite {
    const SHAPED: bool = true;
}

impl MultiRow for sqlx::Postgres {
    const SHAPED: bool = false;
}

/// `rows` cut for backend `D` (at most `max` rows a statement).
pub(crate) fn row_chunks<D: MultiRow, T>(rows: &[T], max: usize) -> RowChunks<'_, T> {
    RowChunks {
        rest: rows,
        max: max.max(1),
        shaped: D::SHAPED,
    }
}

/// Whether backend `D` keeps a statement of `rows` rows prepared: every
/// shape on SQLite; single rows (common, and the same text every time) on
/// PostgreSQL.
pub(crate) fn keep_prepared<D: MultiRow>(rows: usize) -> bool {
    D::SHAPED || rows == 1
}

/// Cuts `rows` into chunks of at most `max` rows whose lengths come from
/// [`SHAPES`] (largest that fits first), so each multi-row statement has
/// at most nine shapes, which stay prepared in sqlx's statement cache.
pub(crate) fn shaped_chunks<T>(rows: &[T], max: usize) -> RowChunks<'_, T> {
    row_chunks::<sqlx::Sqlite, T>(rows, max)
}

pub(crate) struct RowChunks<'a, T> {
    rest: &'a [T],
    max: usize,
    shaped: bool,
}

impl<'a, T> Iterator for RowChunks<'a, T> {
    type Item = &'a [T];

    fn next(&mut self) -> Option<&'a [T]> {
        if self.rest.is_empty() {
            return None;
        }
        let fits = self.rest.len().min(self.max);
        let n = if self.shaped {
            SHAPES.iter().copied().find(|&s| s <= fits).unwrap_or(1)
        } else {
            fits
        };
        let (chunk, rest) = self.rest.split_at(n);
        self.rest = rest;
        Some(chunk)
    }
}

pub(crate) const RANDOM_SELECTION_KEY: &str = "random_selection";

pub(crate) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

pub(crate) fn nanos(t: OffsetDateTime) -> Result<i64> {
    i64::try_from(t.unix_timestamp_nanos())
        .map_err(|_| corrupt(format!("time {t} is outside the storable range")))
}

pub(crate) fn from_nanos(n: i64) -> Result<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(n))
        .map_err(|e| corrupt(format!("bad stored time {n}: {e}")))
}

pub(crate) fn to_json<T: Serialize + ?Sized>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| corrupt(format!("cannot serialize: {e}")))
}

pub(crate) fn from_json<T: DeserializeOwned>(what: &str, s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| corrupt(format!("bad stored {what}: {e}")))
}

/// A unit enum from its serde name (`"under_control"`).
pub(crate) fn enum_from_str<T: DeserializeOwned>(what: &str, s: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|_| corrupt(format!("bad stored {what} {s:?}")))
}

fn parse_code<T>(
    what: &str,
    s: String,
    parse: impl Fn(&str) -> Result<T, tamga_core::codes::CodeError>,
) -> Result<T> {
    parse(&s).map_err(|e| corrupt(format!("bad stored {what}: {e}")))
}

pub(crate) fn eori(s: String) -> Result<Eori> {
    parse_code("operator id", s, Eori::parse)
}
pub(crate) fn mrn(s: String) -> Result<Mrn> {
    parse_code("MRN", s, Mrn::parse)
}
pub(crate) fn lrn(s: String) -> Result<Lrn> {
    parse_code("LRN", s, Lrn::parse)
}
pub(crate) fn office(s: String) -> Result<OfficeCode> {
    parse_code("office", s, OfficeCode::parse)
}

fn u32_col(what: &str, n: i64) -> Result<u32> {
    u32::try_from(n).map_err(|_| corrupt(format!("bad stored {what} {n}")))
}

/// Whether an error is a unique-constraint violation.
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// Maps unique violations to [`StoreError::AlreadyExists`].
pub(crate) fn exists_or(e: sqlx::Error, what: impl Into<String>) -> StoreError {
    if is_unique_violation(&e) {
        StoreError::AlreadyExists(what.into())
    } else {
        StoreError::Db(e)
    }
}

pub(crate) fn split_list(s: &str) -> Vec<String> {
    if s.is_empty() {
        Vec::new()
    } else {
        s.split(';').map(str::to_owned).collect()
    }
}

pub(crate) fn procedure_types(p: &Procedure) -> String {
    p.declaration_types
        .iter()
        .map(|t| t.as_str())
        .collect::<Vec<_>>()
        .join(";")
}

// --- rows ------------------------------------------------------------------

/// Typed column access shared by both backends' rows.
pub(crate) trait Get {
    fn s(&self, c: &str) -> Result<String>;
    fn os(&self, c: &str) -> Result<Option<String>>;
    fn i(&self, c: &str) -> Result<i64>;
    fn f(&self, c: &str) -> Result<f64>;
    fn b(&self, c: &str) -> Result<bool>;
    fn d(&self, c: &str) -> Result<Date>;
    fn od(&self, c: &str) -> Result<Option<Date>>;
}

macro_rules! impl_get {
    ($row:ty) => {
        impl Get for $row {
            fn s(&self, c: &str) -> Result<String> {
                Ok(self.try_get(c)?)
            }
            fn os(&self, c: &str) -> Result<Option<String>> {
                Ok(self.try_get(c)?)
            }
            fn i(&self, c: &str) -> Result<i64> {
                Ok(self.try_get(c)?)
            }
            fn f(&self, c: &str) -> Result<f64> {
                Ok(self.try_get(c)?)
            }
            fn b(&self, c: &str) -> Result<bool> {
                Ok(self.try_get(c)?)
            }
            fn d(&self, c: &str) -> Result<Date> {
                Ok(self.try_get(c)?)
            }
            fn od(&self, c: &str) -> Result<Option<Date>> {
                Ok(self.try_get(c)?)
            }
        }
    };
}
impl_get!(SqliteRow);
impl_get!(PgRow);

pub(crate) const DECLARATION_COLUMNS: &str = "mrn, lrn, declarant, representative, lodged_by, office, declaration_type, state, channel, version, body_sha256, registered_at, updated_at, last_seq, last_hash, doc";

pub(crate) fn declaration(r: &impl Get) -> Result<DeclarationRecord> {
    let declaration_type = r.s("declaration_type")?;
    let state = r.s("state")?;
    let channel = r.s("channel")?;
    Ok(DeclarationRecord {
        mrn: mrn(r.s("mrn")?)?,
        lrn: lrn(r.s("lrn")?)?,
        declaration_type: DeclarationType::parse(&declaration_type)
            .ok_or_else(|| corrupt(format!("bad stored declaration type {declaration_type:?}")))?,
        declarant: eori(r.s("declarant")?)?,
        representative: r.os("representative")?.map(eori).transpose()?,
        lodged_by: eori(r.s("lodged_by")?)?,
        office: office(r.s("office")?)?,
        state: State::parse(&state)
            .ok_or_else(|| corrupt(format!("bad stored state {state:?}")))?,
        channel: Channel::parse(&channel)
            .ok_or_else(|| corrupt(format!("bad stored channel {channel:?}")))?,
        version: u32_col("version", r.i("version")?)?,
        body_sha256: r.s("body_sha256")?,
        registered_at: from_nanos(r.i("registered_at")?)?,
        updated_at: from_nanos(r.i("updated_at")?)?,
        last_seq: u32_col("last_seq", r.i("last_seq")?)?,
        last_hash: r.s("last_hash")?,
        declaration: from_json("declaration", &r.s("doc")?)?,
    })
}

pub(crate) const EVENT_COLUMNS: &str = "mrn, seq, actor, at, body, payload_hash, prev_hash, hash";

pub(crate) fn event(r: &impl Get) -> Result<Event> {
    Ok(Event {
        mrn: mrn(r.s("mrn")?)?,
        seq: u32_col("seq", r.i("seq")?)?,
        actor: from_json("event actor", &r.s("actor")?)?,
        at: from_nanos(r.i("at")?)?,
        body: from_json("event body", &r.s("body")?)?,
        payload_hash: r.s("payload_hash")?,
        prev_hash: r.s("prev_hash")?,
        hash: r.s("hash")?,
        payload: Default::default(),
    })
}

pub(crate) const NOTIFICATION_COLUMNS: &str = "id, recipient, kind, mrn, lrn, at, payload";

pub(crate) fn notification(r: &impl Get) -> Result<Notification> {
    Ok(Notification {
        id: r.i("id")?,
        recipient: eori(r.s("recipient")?)?,
        kind: enum_from_str("notification kind", &r.s("kind")?)?,
        mrn: r.os("mrn")?.map(mrn).transpose()?,
        lrn: r.os("lrn")?.map(lrn).transpose()?,
        at: from_nanos(r.i("at")?)?,
        payload: from_json("notification payload", &r.s("payload")?)?,
    })
}

pub(crate) fn operator(r: &impl Get) -> Result<Operator> {
    Ok(Operator {
        id: eori(r.s("id")?)?,
        name: r.s("name")?,
        created_at: from_nanos(r.i("created_at")?)?,
    })
}

pub(crate) fn role(s: &str) -> Result<Role> {
    Role::parse(s).ok_or_else(|| corrupt(format!("bad stored role {s:?}")))
}

pub(crate) fn principal(r: &impl Get) -> Result<Principal> {
    match r.s("kind")?.as_str() {
        "operator" => Ok(Principal::Operator {
            id: eori(
                r.os("operator_id")?
                    .ok_or_else(|| corrupt("operator token without operator"))?,
            )?,
        }),
        "user" => Ok(Principal::User {
            username: r
                .os("username")?
                .ok_or_else(|| corrupt("user token without user"))?,
        }),
        k => Err(corrupt(format!("bad stored principal kind {k:?}"))),
    }
}

pub(crate) fn signing_key(r: &impl Get) -> Result<SigningKeyRecord> {
    Ok(SigningKeyRecord {
        key_id: r.s("key_id")?,
        operator: eori(r.s("operator")?)?,
        public_key: r.s("public_key")?,
        created_at: from_nanos(r.i("created_at")?)?,
        revoked: r.b("revoked")?,
    })
}

pub(crate) fn criterion(r: &impl Get) -> Result<SelectivityCriterion> {
    from_json("selectivity criterion", &r.s("criterion")?)
}

pub(crate) fn audit(r: &impl Get) -> Result<AuditEntry> {
    Ok(AuditEntry {
        id: r.i("id")?,
        actor: r.s("actor")?,
        action: r.s("action")?,
        at: from_nanos(r.i("at")?)?,
        payload: from_json("audit payload", &r.s("payload")?)?,
    })
}

pub(crate) fn hs_entry(r: &impl Get) -> Result<HsEntry> {
    let level = r.i("level")?;
    Ok(HsEntry {
        code: r.s("code")?,
        description: r.s("description")?,
        parent: r.os("parent")?,
        level: u8::try_from(level).map_err(|_| corrupt(format!("bad stored HS level {level}")))?,
        section: r.s("section")?,
        valid_from: r.d("valid_from")?,
        valid_to: r.od("valid_to")?,
    })
}

pub(crate) fn country(r: &impl Get) -> Result<Country> {
    Ok(Country {
        code: r.s("code")?,
        name: r.s("name")?,
    })
}

pub(crate) fn currency(r: &impl Get) -> Result<Currency> {
    Ok(Currency {
        code: r.s("code")?,
        name: r.s("name")?,
        minor_units: u32_col("minor units", r.i("minor_units")?)?,
    })
}

pub(crate) fn procedure(r: &impl Get) -> Result<Procedure> {
    let types = r.s("declaration_types")?;
    Ok(Procedure {
        code: r.s("code")?,
        declaration_types: split_list(&types)
            .iter()
            .map(|t| {
                DeclarationType::parse(t)
                    .ok_or_else(|| corrupt(format!("bad stored declaration type {t:?}")))
            })
            .collect::<Result<_>>()?,
        description: r.s("description")?,
    })
}

pub(crate) fn code_description(r: &impl Get) -> Result<CodeDescription> {
    Ok(CodeDescription {
        code: r.s("code")?,
        description: r.s("description")?,
    })
}

pub(crate) fn procedure_document(r: &impl Get) -> Result<ProcedureDocument> {
    Ok(ProcedureDocument {
        procedure: r.s("procedure")?,
        document_code: r.s("document_code")?,
        reason: r.s("reason")?,
    })
}

pub(crate) fn office_row(r: &impl Get) -> Result<Office> {
    Ok(Office {
        code: r.s("code")?,
        name: r.s("name")?,
        country: r.s("country")?,
        roles: split_list(&r.s("roles")?),
        city: r.s("city")?,
        latitude: r.f("latitude")?,
        longitude: r.f("longitude")?,
        hours: match r.s("hours")?.as_str() {
            "" => None,
            h => Some(
                tamga_core::office_hours::OpeningHours::parse(h)
                    .map_err(|e| corrupt(format!("stored office hours: {e}")))?,
            ),
        },
        services: tamga_core::office_hours::OfficeService::parse_list(&r.s("services")?)
            .map_err(|e| corrupt(format!("stored office services: {e}")))?,
    })
}

// --- reference reads (same SQL on both backends) ------------------------------

pub(crate) const SQL_HS: &str =
    "SELECT code, description, parent, level, section, valid_from, valid_to FROM hs_codes ORDER BY code";
pub(crate) const SQL_COUNTRIES: &str = "SELECT code, name FROM countries ORDER BY code";
pub(crate) const SQL_CURRENCIES: &str =
    "SELECT code, name, minor_units FROM currencies ORDER BY code";
pub(crate) const SQL_PROCEDURES: &str =
    "SELECT code, declaration_types, description FROM procedures ORDER BY code";
pub(crate) const SQL_ADDITIONAL_PROCEDURES: &str =
    "SELECT code, description FROM additional_procedures ORDER BY code";
pub(crate) const SQL_COMBINATIONS: &str = "SELECT procedure, additional_procedure FROM procedure_combinations ORDER BY procedure, additional_procedure";
pub(crate) const SQL_DOCUMENT_TYPES: &str =
    "SELECT code, description FROM document_types ORDER BY code";
pub(crate) const SQL_PROCEDURE_DOCUMENTS: &str =
    "SELECT procedure, document_code, reason FROM procedure_documents ORDER BY procedure, document_code";
pub(crate) const SQL_OFFICES: &str =
    "SELECT code, name, country, roles, city, latitude, longitude, hours, services FROM offices ORDER BY code";

/// Upsert-changes-only tail: `ON CONFLICT (key) DO UPDATE SET … WHERE any
/// column differs` (or `DO NOTHING` for all-key tables).
pub(crate) fn upsert_tail(table: &str, cols: &[&str], key: &[&str], differs: &str) -> String {
    let rest: Vec<&&str> = cols.iter().filter(|c| !key.contains(c)).collect();
    if rest.is_empty() {
        return format!(" ON CONFLICT ({}) DO NOTHING", key.join(", "));
    }
    let sets: Vec<String> = rest.iter().map(|c| format!("{c} = excluded.{c}")).collect();
    let diffs: Vec<String> = rest
        .iter()
        .map(|c| format!("{table}.{c} {differs} excluded.{c}"))
        .collect();
    format!(
        " ON CONFLICT ({}) DO UPDATE SET {} WHERE {}",
        key.join(", "),
        sets.join(", "),
        diffs.join(" OR ")
    )
}

/// The reference-data load, written once for both backends: expands to
/// `load_reference_rows(conn, bundle)`, which upserts every table with the
/// backend's own `upsert` (in scope where the macro is used) and returns
/// the rows changed per table. The caller owns the transaction.
macro_rules! load_reference_fn {
    ($conn:ty) => {
        async fn load_reference_rows(
            c: &mut $conn,
            b: &ReferenceBundle,
        ) -> Result<Vec<(String, u64)>> {
            let procedure_types: Vec<String> =
                b.procedures.iter().map(codec::procedure_types).collect();
            let office_roles: Vec<String> = b.offices.iter().map(|o| o.roles.join(";")).collect();
            let office_hours: Vec<(String, String)> = b
                .offices
                .iter()
                .map(|o| {
                    (
                        o.hours.as_ref().map(|h| h.to_string()).unwrap_or_default(),
                        tamga_core::office_hours::OfficeService::list_text(&o.services),
                    )
                })
                .collect();
            let mut changed = Vec::new();
            let n = upsert(
                c,
                "hs_codes",
                &[
                    "code",
                    "description",
                    "parent",
                    "level",
                    "section",
                    "valid_from",
                    "valid_to",
                ],
                &["code"],
                &b.hs,
                |q, r| {
                    q.push_bind(&r.code)
                        .push_bind(&r.description)
                        .push_bind(&r.parent)
                        .push_bind(i64::from(r.level))
                        .push_bind(&r.section)
                        .push_bind(r.valid_from)
                        .push_bind(r.valid_to);
                },
            )
            .await?;
            changed.push(("hs".to_owned(), n));
            let n = upsert(
                c,
                "countries",
                &["code", "name"],
                &["code"],
                &b.countries,
                |q, r| {
                    q.push_bind(&r.code).push_bind(&r.name);
                },
            )
            .await?;
            changed.push(("countries".to_owned(), n));
            let n = upsert(
                c,
                "currencies",
                &["code", "name", "minor_units"],
                &["code"],
                &b.currencies,
                |q, r| {
                    q.push_bind(&r.code)
                        .push_bind(&r.name)
                        .push_bind(i64::from(r.minor_units));
                },
            )
            .await?;
            changed.push(("currencies".to_owned(), n));
            let procs: Vec<_> = b.procedures.iter().zip(&procedure_types).collect();
            let n = upsert(
                c,
                "procedures",
                &["code", "declaration_types", "description"],
                &["code"],
                &procs,
                |q, (r, types)| {
                    q.push_bind(&r.code)
                        .push_bind(*types)
                        .push_bind(&r.description);
                },
            )
            .await?;
            changed.push(("procedures".to_owned(), n));
            let n = upsert(
                c,
                "additional_procedures",
                &["code", "description"],
                &["code"],
                &b.additional_procedures,
                |q, r| {
                    q.push_bind(&r.code).push_bind(&r.description);
                },
            )
            .await?;
            changed.push(("additional_procedures".to_owned(), n));
            let n = upsert(
                c,
                "procedure_combinations",
                &["procedure", "additional_procedure"],
                &["procedure", "additional_procedure"],
                &b.procedure_combinations,
                |q, (p, a)| {
                    q.push_bind(p).push_bind(a);
                },
            )
            .await?;
            changed.push(("procedure_combinations".to_owned(), n));
            let n = upsert(
                c,
                "document_types",
                &["code", "description"],
                &["code"],
                &b.document_types,
                |q, r| {
                    q.push_bind(&r.code).push_bind(&r.description);
                },
            )
            .await?;
            changed.push(("document_types".to_owned(), n));
            let n = upsert(
                c,
                "procedure_documents",
                &["procedure", "document_code", "reason"],
                &["procedure", "document_code"],
                &b.procedure_documents,
                |q, r| {
                    q.push_bind(&r.procedure)
                        .push_bind(&r.document_code)
                        .push_bind(&r.reason);
                },
            )
            .await?;
            changed.push(("procedure_documents".to_owned(), n));
            let offices: Vec<_> = b
                .offices
                .iter()
                .zip(office_roles.iter().zip(&office_hours))
                .collect();
            let n = upsert(
                c,
                "offices",
                &[
                    "code",
                    "name",
                    "country",
                    "roles",
                    "city",
                    "latitude",
                    "longitude",
                    "hours",
                    "services",
                ],
                &["code"],
                &offices,
                |q, (r, (roles, (hours, services)))| {
                    q.push_bind(&r.code)
                        .push_bind(&r.name)
                        .push_bind(&r.country)
                        .push_bind(*roles)
                        .push_bind(&r.city)
                        .push_bind(r.latitude)
                        .push_bind(r.longitude)
                        .push_bind(hours)
                        .push_bind(services);
                },
            )
            .await?;
            changed.push(("offices".to_owned(), n));
            Ok(changed)
        }
    };
}
pub(crate) use load_reference_fn;

#[cfg(test)]
mod tests {
    use super::shaped_chunks;

    #[test]
    fn shaped_chunks_cover_every_row_in_order_with_few_shapes() {
        for n in [0usize, 1, 3, 4, 5, 17, 255, 256, 257, 1000, 3001] {
            let rows: Vec<usize> = (0..n).collect();
            let chunks: Vec<&[usize]> = shaped_chunks(&rows, 1000).collect();
            let flat: Vec<usize> = chunks.iter().flat_map(|c| c.iter().copied()).collect();
            assert_eq!(flat, rows, "n = {n}");
            assert!(chunks
                .iter()
                .all(|c| c.len().is_power_of_two() && c.len() <= 256));
            // Largest first: after the full 256-row chunks, at most one of
            // each smaller shape (the binary digits of the rest), so a
            // batch of n rows takes at most n / 256 + 8 statements.
            for s in [128, 64, 32, 16, 8, 4, 2, 1] {
                assert!(chunks.iter().filter(|c| c.len() == s).count() <= 1);
            }
            assert_eq!(chunks.len(), n / 256 + (n % 256).count_ones() as usize);
        }
        // A parameter limit below the largest shape is respected.
        let rows: Vec<u8> = vec![0; 100];
        let lens: Vec<usize> = shaped_chunks(&rows, 20).map(<[u8]>::len).collect();
        assert_eq!(lens, vec![16, 16, 16, 16, 16, 16, 4]);
        // PostgreSQL: one statement per `max` rows.
        let rows: Vec<u8> = vec![0; 2500];
        let lens: Vec<usize> = super::row_chunks::<sqlx::Postgres, _>(&rows, 1000)
            .map(<[u8]>::len)
            .collect();
        assert_eq!(lens, vec![1000, 1000, 500]);
        assert!(super::keep_prepared::<sqlx::Postgres>(1));
        assert!(!super::keep_prepared::<sqlx::Postgres>(2));
        assert!(super::keep_prepared::<sqlx::Sqlite>(256));
    }
}
