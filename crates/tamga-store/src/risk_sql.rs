//! Risk-management storage (issue 4): risk profiles with their versions, activation and audit; risk decisions with their hits; pre-arrival information and its preliminary decisions.
//!
//! One trait, implemented for both backends in this file; its tables are
//! created by this module's own migration on each backend
//! (`migrations/{sqlite,postgres}/0004_risk.sql`). The SQL is written once
//! (the `risk_backend!` macro) with `?` placeholders, rewritten to `$n`
//! for PostgreSQL.
//!
//! Profile versions are immutable (a trigger refuses updates); a profile's
//! active version is explicit (`status = 'active'` with `active_version`).
//! Risk decisions themselves live in the declarations' `RiskAssessed`
//! events; the period queries here read them for tests and analytics.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use tamga_core::codes::OfficeCode;
use tamga_core::lifecycle::{Channel, Event};
use tamga_core::prearrival::AdvanceCargo;
use tamga_core::profiles::Profile;
use tamga_core::risk::RiskDecision;

use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;
use crate::{DeclarationRecord, Result};

/// Where a profile is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ProfileStatus {
    /// Created, never activated.
    Draft,
    /// One version is active.
    Active,
    /// Was active, is no longer.
    Retired,
}

impl ProfileStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ProfileStatus::Draft => "draft",
            ProfileStatus::Active => "active",
            ProfileStatus::Retired => "retired",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Draft, Self::Active, Self::Retired]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// One stored, immutable version of a profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProfileVersionRecord {
    pub profile: Profile,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: String,
}

/// A profile with its state and every version (oldest first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProfileRecord {
    pub id: String,
    pub status: ProfileStatus,
    pub active_version: Option<u32>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub updated_by: String,
    pub versions: Vec<ProfileVersionRecord>,
}

impl ProfileRecord {
    pub fn latest(&self) -> Option<&ProfileVersionRecord> {
        self.versions.last()
    }
    pub fn version(&self, v: u32) -> Option<&ProfileVersionRecord> {
        self.versions.iter().find(|x| x.profile.version == v)
    }
}

/// Advance cargo information with its preliminary decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrearrivalRecord {
    pub id: String,
    pub submitted_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub submitted_at: OffsetDateTime,
    pub channel: Channel,
    pub info: AdvanceCargo,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub decision: RiskDecision,
}

/// Event kinds the period queries return.
const RISK_EVENT_KINDS: &str =
    "'registered', 'risk_assessed', 'control_result_recorded', 'released', 'refused'";

#[async_trait]
pub trait RiskStore: Send + Sync {
    /// Stores a new profile version. Version 1 creates the profile (as a
    /// draft); an existing (id, version) is refused with `AlreadyExists`,
    /// as is version 1 of an existing profile.
    async fn add_profile_version(&self, v: &ProfileVersionRecord) -> Result<()>;
    async fn profile(&self, id: &str) -> Result<Option<ProfileRecord>>;
    /// Every profile with its versions, by id.
    async fn profiles(&self) -> Result<Vec<ProfileRecord>>;
    /// Sets the state (`active_version` must be given exactly when the
    /// status is active and name a stored version). Whether it existed.
    async fn set_profile_status(
        &self,
        id: &str,
        status: ProfileStatus,
        active_version: Option<u32>,
        at: OffsetDateTime,
        by: &str,
    ) -> Result<bool>;
    /// The active version of every active profile.
    async fn active_profiles(&self) -> Result<Vec<Profile>>;

    async fn risk_setting(&self, key: &str) -> Result<Option<serde_json::Value>>;
    async fn put_risk_setting(&self, key: &str, value: &serde_json::Value) -> Result<()>;

    async fn add_prearrival(&self, p: &PrearrivalRecord) -> Result<()>;
    /// Newest expected arrival first; all offices with `None`.
    async fn prearrivals(
        &self,
        office: Option<&OfficeCode>,
        limit: u32,
    ) -> Result<Vec<PrearrivalRecord>>;
    /// Submissions expected to arrive at or after `since`, oldest
    /// submission first (for the in-memory index: the latest wins).
    async fn prearrivals_expected_since(
        &self,
        since: OffsetDateTime,
    ) -> Result<Vec<PrearrivalRecord>>;
    /// Submissions made at or after `since`, oldest first (what other
    /// instances added to the index since it was last read).
    async fn prearrivals_submitted_since(
        &self,
        since: OffsetDateTime,
    ) -> Result<Vec<PrearrivalRecord>>;

    /// Declarations registered in `[from, to)`, oldest first, at most `limit`.
    async fn declarations_registered(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<DeclarationRecord>>;
    /// The registration, risk, control, release and refusal events of the
    /// declarations registered in `[from, to)`, by MRN then sequence.
    async fn risk_events(&self, from: OffsetDateTime, to: OffsetDateTime) -> Result<Vec<Event>>;
}

fn status_of(s: &str) -> Result<ProfileStatus> {
    ProfileStatus::parse(s)
        .ok_or_else(|| crate::codec::corrupt(format!("bad profile status {s:?}")))
}

fn version_of(n: i64) -> Result<u32> {
    u32::try_from(n).map_err(|_| crate::codec::corrupt(format!("bad profile version {n}")))
}

/// `?` placeholders as they are (SQLite).
use crate::placeholders::plain as lite;

use crate::placeholders::numbered;

macro_rules! risk_backend {
    ($store:ty, $sql:path, $read:ident, $write:ident) => {
        #[async_trait]
        impl RiskStore for $store {
            async fn add_profile_version(&self, v: &ProfileVersionRecord) -> Result<()> {
                use crate::codec::{exists_or, nanos, to_json};
                let id = v.profile.id.as_str();
                let at = nanos(v.created_at)?;
                let mut tx = self.$write.begin().await?;
                if v.profile.version == 1 {
                    sqlx::query(&$sql(
                        "INSERT INTO risk_profiles (id, status, active_version, created_at, \
                         created_by, updated_at, updated_by) VALUES (?, 'draft', NULL, ?, ?, ?, ?)",
                    ))
                    .bind(id)
                    .bind(at)
                    .bind(&v.created_by)
                    .bind(at)
                    .bind(&v.created_by)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| exists_or(e, format!("profile {id}")))?;
                } else {
                    let n = sqlx::query(&$sql(
                        "UPDATE risk_profiles SET updated_at = ?, updated_by = ? WHERE id = ?",
                    ))
                    .bind(at)
                    .bind(&v.created_by)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if n != 1 {
                        return Err(crate::StoreError::NotFound(format!("profile {id}")));
                    }
                }
                sqlx::query(&$sql(
                    "INSERT INTO risk_profile_versions (profile_id, version, profile, created_at, \
                     created_by) VALUES (?, ?, ?, ?, ?)",
                ))
                .bind(id)
                .bind(i64::from(v.profile.version))
                .bind(to_json(&v.profile)?)
                .bind(at)
                .bind(&v.created_by)
                .execute(&mut *tx)
                .await
                .map_err(|e| exists_or(e, format!("profile {id} version {}", v.profile.version)))?;
                tx.commit().await?;
                Ok(())
            }

            async fn profile(&self, id: &str) -> Result<Option<ProfileRecord>> {
                let rows = sqlx::query(&$sql(
                    "SELECT id, status, COALESCE(active_version, 0) AS active_version, created_at, created_by, updated_at, \
                     updated_by FROM risk_profiles WHERE id = ?",
                ))
                .bind(id)
                .fetch_all(&self.$read)
                .await?;
                let versions = sqlx::query(&$sql(
                    "SELECT profile_id, profile, created_at, created_by FROM \
                     risk_profile_versions WHERE profile_id = ? ORDER BY version",
                ))
                .bind(id)
                .fetch_all(&self.$read)
                .await?;
                Ok(assemble(&rows, &versions)?.pop())
            }

            async fn profiles(&self) -> Result<Vec<ProfileRecord>> {
                let rows = sqlx::query(
                    "SELECT id, status, COALESCE(active_version, 0) AS active_version, created_at, created_by, updated_at, \
                     updated_by FROM risk_profiles ORDER BY id",
                )
                .fetch_all(&self.$read)
                .await?;
                let versions = sqlx::query(
                    "SELECT profile_id, profile, created_at, created_by FROM \
                     risk_profile_versions ORDER BY profile_id, version",
                )
                .fetch_all(&self.$read)
                .await?;
                assemble(&rows, &versions)
            }

            async fn set_profile_status(
                &self,
                id: &str,
                status: ProfileStatus,
                active_version: Option<u32>,
                at: OffsetDateTime,
                by: &str,
            ) -> Result<bool> {
                let n = sqlx::query(&$sql(
                    "UPDATE risk_profiles SET status = ?, active_version = ?, updated_at = ?, \
                     updated_by = ? WHERE id = ? AND (? IS NULL OR EXISTS (SELECT 1 FROM \
                     risk_profile_versions WHERE profile_id = ? AND version = ?))",
                ))
                .bind(status.as_str())
                .bind(active_version.map(i64::from))
                .bind(crate::codec::nanos(at)?)
                .bind(by)
                .bind(id)
                .bind(active_version.map(i64::from))
                .bind(id)
                .bind(active_version.map(i64::from))
                .execute(&self.$write)
                .await?
                .rows_affected();
                Ok(n == 1)
            }

            async fn active_profiles(&self) -> Result<Vec<Profile>> {
                use crate::codec::{from_json, Get};
                let rows = sqlx::query(
                    "SELECT v.profile FROM risk_profile_versions v JOIN risk_profiles p \
                     ON p.id = v.profile_id AND p.active_version = v.version \
                     WHERE p.status = 'active' ORDER BY v.profile_id",
                )
                .fetch_all(&self.$read)
                .await?;
                rows.iter()
                    .map(|r| from_json("profile", &r.s("profile")?))
                    .collect()
            }

            async fn risk_setting(&self, key: &str) -> Result<Option<serde_json::Value>> {
                use crate::codec::from_json;
                let v: Option<String> =
                    sqlx::query_scalar(&$sql("SELECT value FROM risk_settings WHERE key = ?"))
                        .bind(key)
                        .fetch_optional(&self.$read)
                        .await?;
                v.map(|s| from_json("risk setting", &s)).transpose()
            }

            async fn put_risk_setting(&self, key: &str, value: &serde_json::Value) -> Result<()> {
                sqlx::query(&$sql(
                    "INSERT INTO risk_settings (key, value) VALUES (?, ?) \
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                ))
                .bind(key)
                .bind(crate::codec::to_json(value)?)
                .execute(&self.$write)
                .await?;
                Ok(())
            }

            async fn add_prearrival(&self, p: &PrearrivalRecord) -> Result<()> {
                use crate::codec::{exists_or, nanos, to_json};
                sqlx::query(&$sql(
                    "INSERT INTO risk_prearrivals (id, transport_document, office, submitted_by, \
                     submitted_at, expected_arrival, channel, info, decision) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                ))
                .bind(&p.id)
                .bind(&p.info.transport_document)
                .bind(p.info.office_of_arrival.as_str())
                .bind(&p.submitted_by)
                .bind(nanos(p.submitted_at)?)
                .bind(nanos(p.info.expected_arrival)?)
                .bind(p.channel.as_str())
                .bind(to_json(&p.info)?)
                .bind(to_json(&p.decision)?)
                .execute(&self.$write)
                .await
                .map_err(|e| exists_or(e, format!("pre-arrival {}", p.id)))?;
                Ok(())
            }

            async fn prearrivals(
                &self,
                office: Option<&OfficeCode>,
                limit: u32,
            ) -> Result<Vec<PrearrivalRecord>> {
                let rows = sqlx::query(&$sql(
                    "SELECT id, submitted_by, submitted_at, channel, info, decision \
                     FROM risk_prearrivals WHERE (? IS NULL OR office = ?) \
                     ORDER BY expected_arrival DESC, id DESC LIMIT ?",
                ))
                .bind(office.map(|o| o.as_str()))
                .bind(office.map(|o| o.as_str()))
                .bind(i64::from(limit))
                .fetch_all(&self.$read)
                .await?;
                rows.iter().map(prearrival).collect()
            }

            async fn prearrivals_expected_since(
                &self,
                since: OffsetDateTime,
            ) -> Result<Vec<PrearrivalRecord>> {
                let rows = sqlx::query(&$sql(
                    "SELECT id, submitted_by, submitted_at, channel, info, decision \
                     FROM risk_prearrivals WHERE expected_arrival >= ? \
                     ORDER BY submitted_at, id",
                ))
                .bind(crate::codec::nanos(since)?)
                .fetch_all(&self.$read)
                .await?;
                rows.iter().map(prearrival).collect()
            }

            async fn prearrivals_submitted_since(
                &self,
                since: OffsetDateTime,
            ) -> Result<Vec<PrearrivalRecord>> {
                let rows = sqlx::query(&$sql(
                    "SELECT id, submitted_by, submitted_at, channel, info, decision \
                     FROM risk_prearrivals WHERE submitted_at >= ? \
                     ORDER BY submitted_at, id",
                ))
                .bind(crate::codec::nanos(since)?)
                .fetch_all(&self.$read)
                .await?;
                rows.iter().map(prearrival).collect()
            }

            async fn declarations_registered(
                &self,
                from: OffsetDateTime,
                to: OffsetDateTime,
                limit: u32,
            ) -> Result<Vec<DeclarationRecord>> {
                use crate::codec::{declaration, nanos, DECLARATION_COLUMNS};
                let rows = sqlx::query(&$sql(&format!(
                    "SELECT {DECLARATION_COLUMNS} FROM declarations \
                     WHERE registered_at >= ? AND registered_at < ? \
                     ORDER BY registered_at, mrn LIMIT ?"
                )))
                .bind(nanos(from)?)
                .bind(nanos(to)?)
                .bind(i64::from(limit))
                .fetch_all(&self.$read)
                .await?;
                rows.iter().map(declaration).collect()
            }

            async fn risk_events(
                &self,
                from: OffsetDateTime,
                to: OffsetDateTime,
            ) -> Result<Vec<Event>> {
                use crate::codec::{event, nanos, EVENT_COLUMNS};
                let rows = sqlx::query(&$sql(&format!(
                    "SELECT {EVENT_COLUMNS} FROM events WHERE kind IN ({RISK_EVENT_KINDS}) \
                     AND mrn IN (SELECT mrn FROM declarations \
                     WHERE registered_at >= ? AND registered_at < ?) ORDER BY mrn, seq"
                )))
                .bind(nanos(from)?)
                .bind(nanos(to)?)
                .fetch_all(&self.$read)
                .await?;
                rows.iter().map(event).collect()
            }
        }
    };
}

/// Profiles from their rows and their versions' rows.
fn assemble(
    rows: &[impl crate::codec::Get],
    versions: &[impl crate::codec::Get],
) -> Result<Vec<ProfileRecord>> {
    use crate::codec::{from_json, from_nanos};
    let mut out: Vec<ProfileRecord> = Vec::with_capacity(rows.len());
    for r in rows {
        // 0 stands for none (versions start at 1).
        let active = Some(r.i("active_version")?).filter(|v| *v != 0);
        out.push(ProfileRecord {
            id: r.s("id")?,
            status: status_of(&r.s("status")?)?,
            active_version: active.map(version_of).transpose()?,
            created_at: from_nanos(r.i("created_at")?)?,
            created_by: r.s("created_by")?,
            updated_at: from_nanos(r.i("updated_at")?)?,
            updated_by: r.s("updated_by")?,
            versions: Vec::new(),
        });
    }
    let at: std::collections::HashMap<String, usize> = out
        .iter()
        .enumerate()
        .map(|(k, p)| (p.id.clone(), k))
        .collect();
    for v in versions {
        let id = v.s("profile_id")?;
        if let Some(k) = at.get(&id) {
            out[*k].versions.push(ProfileVersionRecord {
                profile: from_json("profile", &v.s("profile")?)?,
                created_at: from_nanos(v.i("created_at")?)?,
                created_by: v.s("created_by")?,
            });
        }
    }
    Ok(out)
}

fn prearrival(r: &impl crate::codec::Get) -> Result<PrearrivalRecord> {
    use crate::codec::{from_json, from_nanos};
    let channel = r.s("channel")?;
    Ok(PrearrivalRecord {
        id: r.s("id")?,
        submitted_by: r.s("submitted_by")?,
        submitted_at: from_nanos(r.i("submitted_at")?)?,
        channel: Channel::parse(&channel)
            .ok_or_else(|| crate::codec::corrupt(format!("bad stored channel {channel:?}")))?,
        info: from_json("pre-arrival information", &r.s("info")?)?,
        decision: from_json("pre-arrival decision", &r.s("decision")?)?,
    })
}

risk_backend!(SqliteStore, lite, reader, writer);
risk_backend!(PgStore, numbered, pool, pool);
