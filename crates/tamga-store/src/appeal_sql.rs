//! Appeals against customs decisions (issue 16; [`tamga_core::appeal`]).
//!
//! One trait, implemented for both backends in this file with the SQL
//! written once (`?` placeholders, rewritten to `$n` for PostgreSQL); the
//! tables are created by each backend's `0020_appeals.sql`.
//!
//! Invariants:
//! - Lodging writes the appeal, its attachments, its audit entry and its
//!   notifications in one transaction; so does a decision.
//! - A signed appeal body is stored once (its SHA-256 is unique): lodging
//!   it again answers [`AppealLodging::Replay`] with the appeal it created.
//! - At most one appeal per declaration and subject is open (`lodged`)
//!   (a partial unique index, so two instances lodging at once cannot both
//!   succeed): another is [`AppealLodging::Open`].
//! - An appeal is decided once: the decision is a conditional update of an
//!   open appeal, and a second one writes nothing.
//! - The exact signed bodies are kept with their keys and signatures, so
//!   both acts can be verified again later; reads of appeals leave the
//!   (large) lodging body out.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use time::OffsetDateTime;

use tamga_core::appeal::{AppealId, AppealStatus, AppealSubject, AppealedAct, MediaType};
use tamga_core::codes::{Eori, Mrn, OfficeCode};
use tamga_core::lifecycle::{Actor, NewNotification};

use crate::mandate_sql::SignedBody;
use crate::placeholders::{numbered as pg_sql, plain as sqlite_sql};
use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;
use crate::{Result, StoreError};

/// What an attachment is, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentMeta {
    /// 1-based position in the appeal.
    pub n: u32,
    pub name: String,
    pub media_type: MediaType,
    /// Decoded bytes.
    pub size: u64,
    /// SHA-256 (hex) of the decoded bytes.
    pub sha256: String,
}

/// An attachment to store: what it is and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttachment {
    pub meta: AttachmentMeta,
    pub content: Vec<u8>,
}

/// An appeal to lodge.
#[derive(Debug, Clone)]
pub struct NewAppeal {
    pub mrn: Mrn,
    /// The declaration's office (officers read the appeals of theirs).
    pub office: OfficeCode,
    pub declarant: Eori,
    /// Who lodged and signed it: the declarant or its representative.
    pub appellant: Eori,
    pub subject: AppealSubject,
    pub reason: String,
    pub appealed: AppealedAct,
    pub attachments: Vec<NewAttachment>,
    pub lodged_at: OffsetDateTime,
    /// The exact signed appeal body with its key and signature.
    pub lodging: SignedBody,
}

/// The decision of an appeal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppealDecision {
    /// `upheld` or `dismissed`.
    pub status: AppealStatus,
    pub reason: String,
    /// The appeals officer (user name).
    pub decided_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub decided_at: OffsetDateTime,
    /// The exact signed decision body with the officer's key and signature.
    pub signed: SignedBody,
}

/// A stored appeal (without the lodging body and the attachments' bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppealRecord {
    pub id: AppealId,
    pub mrn: Mrn,
    pub office: OfficeCode,
    pub declarant: Eori,
    pub appellant: Eori,
    pub subject: AppealSubject,
    pub status: AppealStatus,
    pub reason: String,
    pub appealed: AppealedAct,
    pub attachments: Vec<AttachmentMeta>,
    #[serde(with = "time::serde::rfc3339")]
    pub lodged_at: OffsetDateTime,
    /// SHA-256 of the signed appeal body.
    pub body_sha256: String,
    /// The appellant's key that signed it.
    pub signing_key: String,
    pub signature: String,
    pub decision: Option<AppealDecision>,
}

/// What lodging stored, or why it stored nothing.
#[derive(Debug, Clone)]
pub enum AppealLodging {
    Lodged(AppealRecord),
    /// This signed body was lodged before: the appeal it created.
    Replay(AppealRecord),
    /// An appeal on the same declaration and subject is still open.
    Open {
        existing: AppealId,
    },
}

/// Which appeals to list, newest first. Every field given must match.
#[derive(Debug, Clone, Default)]
pub struct AppealQuery {
    /// Declarant or appellant.
    pub party: Option<Eori>,
    /// Declaration office in this set.
    pub offices: Option<Vec<OfficeCode>>,
    pub status: Option<AppealStatus>,
    pub limit: u32,
}

/// Who did an act on an appeal and what the audit log says of it.
#[derive(Debug, Clone)]
pub struct AppealAudit {
    /// `operator:<EORI>` or `user:<username>`.
    pub actor: String,
}

#[async_trait]
pub trait AppealStore: Send + Sync {
    /// Lodges an appeal with its attachments, its audit entry
    /// (`appeal.lodge`) and `notifications`, in one transaction. Each
    /// notification's payload (an object) gets the new appeal's id as
    /// `"appeal"`.
    async fn lodge_appeal(
        &self,
        appeal: &NewAppeal,
        notifications: &[NewNotification],
        audit: &AppealAudit,
    ) -> Result<AppealLodging>;
    async fn appeal(&self, id: AppealId) -> Result<Option<AppealRecord>>;
    /// The appeal lodged with the signed body of this SHA-256.
    async fn appeal_by_body(&self, body_sha256: &str) -> Result<Option<AppealRecord>>;
    /// Newest first, at most `q.limit`.
    async fn appeals(&self, q: &AppealQuery) -> Result<Vec<AppealRecord>>;
    /// The bytes of attachment `n` (1-based) of an appeal.
    async fn appeal_attachment(&self, id: AppealId, n: u32) -> Result<Option<Vec<u8>>>;
    /// Decides an open appeal with its audit entry (`appeal.decide`) and
    /// `notifications`, in one transaction; `false` (nothing written) when
    /// it is not open (decided already, or missing).
    async fn decide_appeal(
        &self,
        id: AppealId,
        decision: &AppealDecision,
        notifications: &[NewNotification],
        audit: &AppealAudit,
    ) -> Result<bool>;
}

const COLUMNS: &str = "id, mrn, office, declarant, appellant, subject, status, reason, appealed_seq, appealed_kind, appealed_actor, attachments, lodged_at, body_sha256, signing_key, signature, decided_at, decided_by, decision_reason, decision_body, decision_key, decision_signature";

fn corrupt(what: &str, v: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("bad stored appeal {what}: {v}"))
}

fn record<R>(r: &R) -> Result<AppealRecord>
where
    R: Row,
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'q> i64: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
    for<'q> Option<i64>: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
    for<'q> String: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
    for<'q> Option<String>: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
{
    let s = |c: &str| -> Result<String> { Ok(r.try_get::<String, _>(c)?) };
    let id: i64 = r.try_get("id")?;
    let status = AppealStatus::parse(&s("status")?).ok_or_else(|| corrupt("status", id))?;
    let decided_at: Option<i64> = r.try_get("decided_at")?;
    let decision = match decided_at {
        None => None,
        Some(at) => {
            let get = |c: &str| -> Result<String> {
                r.try_get::<Option<String>, _>(c)?
                    .ok_or_else(|| corrupt(c, id))
            };
            let body = get("decision_body")?;
            Some(AppealDecision {
                status,
                reason: get("decision_reason")?,
                decided_by: get("decided_by")?,
                decided_at: crate::codec::from_nanos(at)?,
                signed: SignedBody {
                    body_sha256: tamga_core::hash::sha256_hex(body.as_bytes()),
                    body,
                    signing_key: get("decision_key")?,
                    signature: get("decision_signature")?,
                },
            })
        }
    };
    let seq: i64 = r.try_get("appealed_seq")?;
    Ok(AppealRecord {
        id: AppealId::new(id).ok_or_else(|| corrupt("id", id))?,
        mrn: Mrn::parse(&s("mrn")?).map_err(|e| corrupt("mrn", e))?,
        office: OfficeCode::parse(&s("office")?).map_err(|e| corrupt("office", e))?,
        declarant: Eori::parse(&s("declarant")?).map_err(|e| corrupt("declarant", e))?,
        appellant: Eori::parse(&s("appellant")?).map_err(|e| corrupt("appellant", e))?,
        subject: AppealSubject::parse(&s("subject")?).ok_or_else(|| corrupt("subject", id))?,
        status,
        reason: s("reason")?,
        appealed: AppealedAct {
            seq: u32::try_from(seq).map_err(|e| corrupt("appealed_seq", e))?,
            kind: s("appealed_kind")?,
            actor: crate::codec::from_json::<Actor>("appeal actor", &s("appealed_actor")?)?,
        },
        attachments: crate::codec::from_json("appeal attachments", &s("attachments")?)?,
        lodged_at: crate::codec::from_nanos(r.try_get("lodged_at")?)?,
        body_sha256: s("body_sha256")?,
        signing_key: s("signing_key")?,
        signature: s("signature")?,
        decision,
    })
}

/// Adds `"appeal": id` to each notification's payload.
fn with_id(notifications: &[NewNotification], id: i64) -> Vec<NewNotification> {
    notifications
        .iter()
        .cloned()
        .map(|mut n| {
            if let Some(o) = n.payload.as_object_mut() {
                o.insert("appeal".into(), serde_json::json!(id));
            }
            n
        })
        .collect()
}

macro_rules! appeals_backend {
    ($store:ty, $conn:ty, $read:ident, $write:ident, $sql:path) => {
        impl $store {
            /// Inserts the appeal and its attachments in `tx`; `None` on a
            /// unique violation (the same body, or an open appeal).
            async fn insert_appeal(
                tx: &mut $conn,
                a: &NewAppeal,
                notifications: &[NewNotification],
                audit: &AppealAudit,
            ) -> Result<Option<i64>> {
                let metas: Vec<&AttachmentMeta> = a.attachments.iter().map(|x| &x.meta).collect();
                let inserted = sqlx::query_scalar::<_, i64>(&$sql(
                    "INSERT INTO appeals (mrn, office, declarant, appellant, subject, status, reason, appealed_seq, appealed_kind, appealed_actor, attachments, lodged_at, lodging_body, body_sha256, signing_key, signature) VALUES (?, ?, ?, ?, ?, 'lodged', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                ))
                .bind(a.mrn.as_str())
                .bind(a.office.as_str())
                .bind(a.declarant.as_str())
                .bind(a.appellant.as_str())
                .bind(a.subject.as_str())
                .bind(&a.reason)
                .bind(i64::from(a.appealed.seq))
                .bind(&a.appealed.kind)
                .bind(crate::codec::to_json(&a.appealed.actor)?)
                .bind(crate::codec::to_json(&metas)?)
                .bind(crate::codec::nanos(a.lodged_at)?)
                .bind(&a.lodging.body)
                .bind(&a.lodging.body_sha256)
                .bind(&a.lodging.signing_key)
                .bind(&a.lodging.signature)
                .fetch_one(&mut *tx)
                .await;
                let id = match inserted {
                    Ok(id) => id,
                    Err(e) => {
                        return match crate::codec::exists_or(e, "appeal") {
                            StoreError::AlreadyExists(_) => Ok(None),
                            other => Err(other),
                        }
                    }
                };
                for x in &a.attachments {
                    sqlx::query(&$sql(
                        "INSERT INTO appeal_attachments (appeal_id, n, content) VALUES (?, ?, ?)",
                    ))
                    .bind(id)
                    .bind(i32::try_from(x.meta.n).map_err(|e| corrupt("attachment n", e))?)
                    .bind(&x.content)
                    .execute(&mut *tx)
                    .await?;
                }
                crate::records::Records::audit(
                    &mut *tx,
                    &audit.actor,
                    "appeal.lodge",
                    a.lodged_at,
                    &serde_json::json!({
                        "appeal": id,
                        "mrn": a.mrn,
                        "subject": a.subject,
                        "appellant": a.appellant,
                        "bodySha256": a.lodging.body_sha256,
                        "signingKey": a.lodging.signing_key,
                        "attachments": metas,
                    }),
                )
                .await?;
                for n in with_id(notifications, id) {
                    crate::records::Records::notify(&mut *tx, &n).await?;
                }
                Ok(Some(id))
            }
        }

        #[async_trait]
        impl AppealStore for $store {
            async fn lodge_appeal(
                &self,
                a: &NewAppeal,
                notifications: &[NewNotification],
                audit: &AppealAudit,
            ) -> Result<AppealLodging> {
                let mut tx = self.$write.begin().await?;
                match Self::insert_appeal(&mut *tx, a, notifications, audit).await? {
                    Some(id) => {
                        tx.commit().await?;
                        let id = AppealId::new(id).ok_or_else(|| corrupt("id", id))?;
                        let stored = self
                            .appeal(id)
                            .await?
                            .ok_or_else(|| corrupt("vanished", id))?;
                        Ok(AppealLodging::Lodged(stored))
                    }
                    None => {
                        drop(tx);
                        if let Some(r) = self.appeal_by_body(&a.lodging.body_sha256).await? {
                            return Ok(AppealLodging::Replay(r));
                        }
                        let open: Option<i64> = sqlx::query_scalar(&$sql(
                            "SELECT id FROM appeals WHERE mrn = ? AND subject = ? AND status = 'lodged'",
                        ))
                        .bind(a.mrn.as_str())
                        .bind(a.subject.as_str())
                        .fetch_optional(&self.$write)
                        .await?;
                        match open.and_then(AppealId::new) {
                            Some(existing) => Ok(AppealLodging::Open { existing }),
                            None => Err(StoreError::Corrupt(
                                "an appeal conflicted with nothing stored".into(),
                            )),
                        }
                    }
                }
            }

            async fn appeal(&self, id: AppealId) -> Result<Option<AppealRecord>> {
                sqlx::query(&$sql(&format!("SELECT {COLUMNS} FROM appeals WHERE id = ?")))
                    .bind(id.get())
                    .fetch_optional(&self.$read)
                    .await?
                    .as_ref()
                    .map(record)
                    .transpose()
            }

            async fn appeal_by_body(&self, body_sha256: &str) -> Result<Option<AppealRecord>> {
                sqlx::query(&$sql(&format!(
                    "SELECT {COLUMNS} FROM appeals WHERE body_sha256 = ?"
                )))
                .bind(body_sha256)
                .fetch_optional(&self.$write)
                .await?
                .as_ref()
                .map(record)
                .transpose()
            }

            async fn appeals(&self, q: &AppealQuery) -> Result<Vec<AppealRecord>> {
                let mut sql = format!("SELECT {COLUMNS} FROM appeals WHERE 1 = 1");
                if q.party.is_some() {
                    sql.push_str(" AND (declarant = ? OR appellant = ?)");
                }
                if let Some(offices) = &q.offices {
                    if offices.is_empty() {
                        return Ok(Vec::new());
                    }
                    sql.push_str(" AND office IN (");
                    sql.push_str(&vec!["?"; offices.len()].join(", "));
                    sql.push(')');
                }
                if q.status.is_some() {
                    sql.push_str(" AND status = ?");
                }
                sql.push_str(" ORDER BY id DESC LIMIT ?");
                let sql = $sql(&sql);
                let mut query = sqlx::query(&sql);
                if let Some(p) = &q.party {
                    query = query.bind(p.as_str()).bind(p.as_str());
                }
                for o in q.offices.iter().flatten() {
                    query = query.bind(o.as_str());
                }
                if let Some(s) = q.status {
                    query = query.bind(s.as_str());
                }
                query
                    .bind(i64::from(q.limit.max(1)))
                    .fetch_all(&self.$read)
                    .await?
                    .iter()
                    .map(record)
                    .collect()
            }

            async fn appeal_attachment(&self, id: AppealId, n: u32) -> Result<Option<Vec<u8>>> {
                let Ok(n) = i32::try_from(n) else {
                    return Ok(None);
                };
                Ok(sqlx::query_scalar(&$sql(
                    "SELECT content FROM appeal_attachments WHERE appeal_id = ? AND n = ?",
                ))
                .bind(id.get())
                .bind(n)
                .fetch_optional(&self.$read)
                .await?)
            }

            async fn decide_appeal(
                &self,
                id: AppealId,
                d: &AppealDecision,
                notifications: &[NewNotification],
                audit: &AppealAudit,
            ) -> Result<bool> {
                let mut tx = self.$write.begin().await?;
                let updated: Option<String> = sqlx::query_scalar(&$sql(
                    "UPDATE appeals SET status = ?, decided_at = ?, decided_by = ?, decision_reason = ?, decision_body = ?, decision_body_sha256 = ?, decision_key = ?, decision_signature = ? WHERE id = ? AND status = 'lodged' RETURNING mrn",
                ))
                .bind(d.status.as_str())
                .bind(crate::codec::nanos(d.decided_at)?)
                .bind(&d.decided_by)
                .bind(&d.reason)
                .bind(&d.signed.body)
                .bind(&d.signed.body_sha256)
                .bind(&d.signed.signing_key)
                .bind(&d.signed.signature)
                .bind(id.get())
                .fetch_optional(&mut *tx)
                .await
                .map_err(|e| crate::codec::exists_or(e, format!("decision body {}", d.signed.body_sha256)))?;
                let Some(mrn) = updated else {
                    return Ok(false);
                };
                crate::records::Records::audit(
                    &mut *tx,
                    &audit.actor,
                    "appeal.decide",
                    d.decided_at,
                    &serde_json::json!({
                        "appeal": id,
                        "mrn": mrn,
                        "outcome": d.status,
                        "bodySha256": d.signed.body_sha256,
                        "signingKey": d.signed.signing_key,
                    }),
                )
                .await?;
                for n in with_id(notifications, id.get()) {
                    crate::records::Records::notify(&mut *tx, &n).await?;
                }
                tx.commit().await?;
                Ok(true)
            }
        }
    };
}

appeals_backend!(
    SqliteStore,
    sqlx::SqliteConnection,
    reader,
    writer,
    sqlite_sql
);
appeals_backend!(PgStore, sqlx::PgConnection, pool, pool, pg_sql);
