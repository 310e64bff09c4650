//! Mandates (issue 13, finding 1): a declarant's signed authorisation of a
//! representative ([`tamga_core::mandate`]).
//!
//! One trait, implemented for both backends in this file with the SQL
//! written once (`?` placeholders, rewritten to `$n` for PostgreSQL); the
//! table is created by each backend's `0009_mandates.sql`. A grant and a
//! revocation are each written in one transaction with their audit-log
//! entry. Mandates are never deleted, and a signed grant body is stored
//! once: sending it again finds the mandate it created
//! ([`MandateStore::mandate_by_body`]), revoked or not.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use time::OffsetDateTime;

use tamga_core::codes::Eori;
use tamga_core::mandate::{Mandate, MandateTerms};

use crate::placeholders::{numbered as pg_sql, plain as sqlite_sql};
use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;
use crate::Result;

/// A signed body as received: the exact bytes (UTF-8 JSON), their SHA-256,
/// the id of the key that verified the signature and the signature
/// (base64 detached Ed25519), so it can be verified again later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedBody {
    pub body: String,
    pub body_sha256: String,
    pub signing_key: String,
    pub signature: String,
}

/// A stored mandate with the signed bodies that granted and revoked it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MandateRecord {
    #[serde(flatten)]
    pub mandate: Mandate,
    pub grant: SignedBody,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation: Option<SignedBody>,
}

#[async_trait]
pub trait MandateStore: Send + Sync {
    /// Stores a mandate granted by `terms.declarant` with its audit entry.
    /// [`crate::StoreError::AlreadyExists`] when this exact body was
    /// granted before.
    async fn grant_mandate(
        &self,
        terms: &MandateTerms,
        grant: &SignedBody,
        at: OffsetDateTime,
    ) -> Result<MandateRecord>;
    async fn mandate(&self, id: i64) -> Result<Option<MandateRecord>>;
    /// The mandate granted by the body with this SHA-256.
    async fn mandate_by_body(&self, body_sha256: &str) -> Result<Option<MandateRecord>>;
    /// Every mandate (revoked ones too) `declarant` granted to
    /// `representative`, oldest first: what a represented lodging reads.
    async fn mandates_between(
        &self,
        declarant: &Eori,
        representative: &Eori,
    ) -> Result<Vec<Mandate>>;
    /// The mandates `party` granted or received, newest first.
    async fn mandates_of(&self, party: &Eori) -> Result<Vec<MandateRecord>>;
    /// Revokes mandate `id` at `at` with its audit entry; `false` (nothing
    /// written) when it does not exist or is already revoked.
    async fn revoke_mandate(
        &self,
        id: i64,
        revocation: &SignedBody,
        at: OffsetDateTime,
    ) -> Result<bool>;
}

const COLUMNS: &str = "id, terms, body, body_sha256, signing_key, signature, granted_at, revoked_at, revocation_body, revocation_key, revocation_signature";

fn record<R>(r: &R) -> Result<MandateRecord>
where
    R: Row,
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'q> i64: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
    for<'q> Option<i64>: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
    for<'q> String: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
    for<'q> Option<String>: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
{
    let revoked_at: Option<i64> = r.try_get("revoked_at")?;
    let revocation_body: Option<String> = r.try_get("revocation_body")?;
    let revocation_key: Option<String> = r.try_get("revocation_key")?;
    let revocation_signature: Option<String> = r.try_get("revocation_signature")?;
    let revocation = match (revocation_body, revocation_key, revocation_signature) {
        (Some(body), Some(signing_key), Some(signature)) => Some(SignedBody {
            body_sha256: tamga_core::hash::sha256_hex(body.as_bytes()),
            body,
            signing_key,
            signature,
        }),
        _ => None,
    };
    Ok(MandateRecord {
        mandate: Mandate {
            id: r.try_get("id")?,
            terms: crate::codec::from_json("mandate terms", &r.try_get::<String, _>("terms")?)?,
            granted_at: crate::codec::from_nanos(r.try_get("granted_at")?)?,
            revoked_at: revoked_at.map(crate::codec::from_nanos).transpose()?,
        },
        grant: SignedBody {
            body: r.try_get("body")?,
            body_sha256: r.try_get("body_sha256")?,
            signing_key: r.try_get("signing_key")?,
            signature: r.try_get("signature")?,
        },
        revocation,
    })
}

macro_rules! mandates_backend {
    ($store:ty, $read:ident, $write:ident, $sql:path) => {
        #[async_trait]
        impl MandateStore for $store {
            async fn grant_mandate(
                &self,
                terms: &MandateTerms,
                grant: &SignedBody,
                at: OffsetDateTime,
            ) -> Result<MandateRecord> {
                let mut tx = self.$write.begin().await?;
                let id: i64 = sqlx::query_scalar(&$sql(
                    "INSERT INTO mandates (declarant, representative, terms, body, body_sha256, signing_key, signature, granted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                ))
                .bind(terms.declarant.as_str())
                .bind(terms.representative.as_str())
                .bind(crate::codec::to_json(terms)?)
                .bind(&grant.body)
                .bind(&grant.body_sha256)
                .bind(&grant.signing_key)
                .bind(&grant.signature)
                .bind(crate::codec::nanos(at)?)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| {
                    crate::codec::exists_or(e, format!("mandate body {}", grant.body_sha256))
                })?;
                let record = MandateRecord {
                    mandate: Mandate {
                        id,
                        terms: terms.clone(),
                        granted_at: at,
                        revoked_at: None,
                    },
                    grant: grant.clone(),
                    revocation: None,
                };
                sqlx::query(&$sql(
                    "INSERT INTO audit_log (actor, action, at, payload) VALUES (?, ?, ?, ?)",
                ))
                .bind(terms.declarant.as_str())
                .bind("mandate.grant")
                .bind(crate::codec::nanos(at)?)
                .bind(crate::codec::to_json(&serde_json::json!({
                    "mandate": id,
                    "terms": terms,
                    "bodySha256": grant.body_sha256,
                    "signingKey": grant.signing_key,
                }))?)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(record)
            }

            async fn mandate(&self, id: i64) -> Result<Option<MandateRecord>> {
                sqlx::query(&$sql(&format!("SELECT {COLUMNS} FROM mandates WHERE id = ?")))
                    .bind(id)
                    .fetch_optional(&self.$read)
                    .await?
                    .as_ref()
                    .map(record)
                    .transpose()
            }

            async fn mandate_by_body(&self, body_sha256: &str) -> Result<Option<MandateRecord>> {
                sqlx::query(&$sql(&format!(
                    "SELECT {COLUMNS} FROM mandates WHERE body_sha256 = ?"
                )))
                .bind(body_sha256)
                .fetch_optional(&self.$read)
                .await?
                .as_ref()
                .map(record)
                .transpose()
            }

            async fn mandates_between(
                &self,
                declarant: &Eori,
                representative: &Eori,
            ) -> Result<Vec<Mandate>> {
                sqlx::query(&$sql(&format!(
                    "SELECT {COLUMNS} FROM mandates WHERE declarant = ? AND representative = ? ORDER BY id"
                )))
                .bind(declarant.as_str())
                .bind(representative.as_str())
                .fetch_all(&self.$read)
                .await?
                .iter()
                .map(|r| record(r).map(|m| m.mandate))
                .collect()
            }

            async fn mandates_of(&self, party: &Eori) -> Result<Vec<MandateRecord>> {
                sqlx::query(&$sql(&format!(
                    "SELECT {COLUMNS} FROM mandates WHERE declarant = ? OR representative = ? ORDER BY id DESC"
                )))
                .bind(party.as_str())
                .bind(party.as_str())
                .fetch_all(&self.$read)
                .await?
                .iter()
                .map(record)
                .collect()
            }

            async fn revoke_mandate(
                &self,
                id: i64,
                revocation: &SignedBody,
                at: OffsetDateTime,
            ) -> Result<bool> {
                let mut tx = self.$write.begin().await?;
                let declarant: Option<String> = sqlx::query_scalar(&$sql(
                    "UPDATE mandates SET revoked_at = ?, revocation_body = ?, revocation_key = ?, revocation_signature = ? WHERE id = ? AND revoked_at IS NULL RETURNING declarant",
                ))
                .bind(crate::codec::nanos(at)?)
                .bind(&revocation.body)
                .bind(&revocation.signing_key)
                .bind(&revocation.signature)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(declarant) = declarant else {
                    return Ok(false);
                };
                sqlx::query(&$sql(
                    "INSERT INTO audit_log (actor, action, at, payload) VALUES (?, ?, ?, ?)",
                ))
                .bind(&declarant)
                .bind("mandate.revoke")
                .bind(crate::codec::nanos(at)?)
                .bind(crate::codec::to_json(&serde_json::json!({
                    "mandate": id,
                    "bodySha256": revocation.body_sha256,
                    "signingKey": revocation.signing_key,
                }))?)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(true)
            }
        }
    };
}

mandates_backend!(SqliteStore, reader, writer, sqlite_sql);
mandates_backend!(PgStore, pool, pool, pg_sql);
