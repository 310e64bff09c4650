//! The secret random-selection draws are keyed with (issue 13, finding 3).
//!
//! A draw is HMAC-SHA256 under a 256-bit secret of the draw's purpose
//! (`random` for yellow/red selection, `blue` for post-release audit), the
//! officers' seed and the MRN ([`tamga_core::risk::DrawKey`]). Without the
//! secret nobody can predict a draw, whatever they know of the seed and the
//! MRNs to come.
//!
//! The secret lives in the database (`draw_secrets`): the first instance to
//! start creates it from the operating system's CSPRNG, every instance on
//! the database reads the same one at start, when selectivity changes,
//! after a rotation it made itself, and every [`REFRESH`] in the
//! background. While in use only its SHA-256 commitment is shown. A risk
//! analyst or administrator can rotate it; the retired secret is then
//! revealed, with its commitment, so that auditors can recompute every
//! draw made with it. Each decision records the id of the secret its draws
//! were keyed with, so a draw made by an instance that had not reloaded
//! yet stays verifiable.

use std::sync::{Arc, Weak};
use std::time::Duration;

use ring::rand::SecureRandom;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::json;
use time::OffsetDateTime;

use tamga_core::channel;
use tamga_core::codes::Mrn;
use tamga_core::lifecycle::EventBody;
use tamga_core::risk::{self, DrawKey, RandomSelection, PURPOSE_BLUE, PURPOSE_RANDOM};
use tamga_store::{DrawSecretRecord, Role, Store};

use crate::{AppError, Caller, Clearance};

/// How often each instance re-reads the current secret, so that one that
/// did not make a rotation stops using the retired (revealed) secret.
pub const REFRESH: Duration = Duration::from_secs(5);

/// 256 bits from the operating system's CSPRNG, and their commitment.
fn fresh_secret() -> Result<([u8; 32], String), AppError> {
    let mut secret = [0u8; 32];
    ring::rand::SystemRandom::new()
        .fill(&mut secret)
        .map_err(|_| AppError::Unavailable("the system random generator failed".into()))?;
    let commitment = risk::commitment(&secret);
    Ok((secret, commitment))
}

fn key_of(r: &DrawSecretRecord) -> DrawKey {
    DrawKey::new(r.id, r.secret)
}

/// The current secret of the database, created when there is none.
pub(crate) async fn current_key(store: &dyn Store) -> Result<DrawKey, AppError> {
    let rec = store
        .current_draw_secret(fresh_secret()?, OffsetDateTime::now_utc())
        .await?;
    Ok(key_of(&rec))
}

/// Re-reads the current secret every [`REFRESH`] while the service lives.
pub(crate) fn spawn_refresh(clearance: Weak<Clearance>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(REFRESH);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            let Some(c) = clearance.upgrade() else { return };
            if let Err(e) = c.refresh_draw_key().await {
                tracing::warn!(error = %e, "could not re-read the draw secret");
            }
        }
    });
}

/// A secret as listed for audit: the secret itself only once retired.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DrawSecretView {
    pub id: i64,
    /// SHA-256 (hex) of the secret's 32 bytes.
    pub commitment: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// True for the secret draws are keyed with now.
    pub current: bool,
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub retired_at: Option<OffsetDateTime>,
    /// Hex of the 32 bytes, revealed once retired.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl From<&DrawSecretRecord> for DrawSecretView {
    fn from(r: &DrawSecretRecord) -> Self {
        DrawSecretView {
            id: r.id,
            commitment: r.commitment.clone(),
            created_at: r.created_at,
            current: r.retired_at.is_none(),
            retired_at: r.retired_at,
            secret: r.retired_at.map(|_| hex::encode(r.secret)),
        }
    }
}

/// One recorded draw recomputed.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DrawCheck {
    /// Sequence number of the `risk_assessed` event.
    pub seq: u32,
    /// `purpose` of the draw: `random` (yellow/red) or `blue`.
    pub purpose: &'static str,
    /// `hmac-sha256` (keyed) or `sha256-seed` (decisions made before draws
    /// were keyed, recomputable from the seed alone).
    pub scheme: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_id: Option<i64>,
    pub seed: u64,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$"))]
    pub recorded: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$"))]
    pub recomputed: Decimal,
    pub matches: bool,
}

/// Every draw of a declaration, recomputed.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DrawVerification {
    pub mrn: String,
    pub draws: Vec<DrawCheck>,
    /// True when every draw matches.
    pub valid: bool,
}

fn auditor(caller: &Caller) -> Result<(), AppError> {
    caller
        .require(&[Role::RiskAnalyst, Role::Admin])
        .map(|_| ())
}

impl Clearance {
    /// Re-reads the current secret; installs it when it changed.
    pub(crate) async fn refresh_draw_key(&self) -> Result<(), AppError> {
        let key = current_key(self.store().as_ref()).await?;
        if self.selectivity().key.id != key.id {
            self.reload_selectivity().await?;
        }
        Ok(())
    }

    /// Every draw secret, oldest first: commitments, and the secrets once
    /// retired (officers, risk analysts, administrators).
    #[tracing::instrument(skip_all, fields(caller = %caller.label()))]
    pub async fn draw_secrets(&self, caller: &Caller) -> Result<Vec<DrawSecretView>, AppError> {
        caller.require(&[Role::Officer, Role::RiskAnalyst, Role::Admin])?;
        Ok(self
            .store()
            .draw_secrets()
            .await?
            .iter()
            .map(DrawSecretView::from)
            .collect())
    }

    /// Retires the current secret (revealing it) and starts using a fresh
    /// one (risk analysts, administrators). Returns the new one's view.
    #[tracing::instrument(skip_all, fields(caller = %caller.label()))]
    pub async fn rotate_draw_secret(&self, caller: &Caller) -> Result<DrawSecretView, AppError> {
        auditor(caller)?;
        let old = self.selectivity().key.id;
        let rec = self
            .store()
            .rotate_draw_secret(fresh_secret()?, OffsetDateTime::now_utc())
            .await
            .map_err(|e| match e {
                tamga_store::StoreError::AlreadyExists(_) => AppError::Stale,
                e => AppError::Store(e),
            })?;
        self.reload_selectivity().await?;
        crate::epochs::bump(self.store().as_ref(), crate::epochs::SELECTIVITY).await;
        self.store()
            .append_audit(
                &caller.label(),
                "draw_secret.rotate",
                OffsetDateTime::now_utc(),
                &json!({"retired": old, "current": rec.id, "commitment": rec.commitment}),
            )
            .await?;
        Ok(DrawSecretView::from(&rec))
    }

    /// Recomputes every draw recorded on a declaration (risk analysts,
    /// administrators): with the secret the decision names (the service
    /// holds it, current or retired), or from the seed for decisions made
    /// before draws were keyed.
    #[tracing::instrument(skip_all, fields(caller = %caller.label(), %mrn))]
    pub async fn verify_draws(
        &self,
        caller: &Caller,
        mrn: &Mrn,
    ) -> Result<DrawVerification, AppError> {
        auditor(caller)?;
        let events = self.stored_events(caller, mrn).await?;
        let mut draws = Vec::new();
        for e in &events {
            let EventBody::RiskAssessed { decision, .. } = &e.body else {
                continue;
            };
            let r = &decision.random;
            let blue = decision.combined.blue_draw.as_ref();
            if decision.combined.configured_rates.is_none() && r.secret_id.is_none() && r.seed == 0
            {
                // A pre-arrival style decision without a draw.
                continue;
            }
            match r.secret_id {
                Some(id) => {
                    let rec = self.store().draw_secret(id).await?.ok_or_else(|| {
                        AppError::Store(tamga_store::StoreError::Corrupt(format!(
                            "draw secret {id} of {mrn} is missing"
                        )))
                    })?;
                    let key = key_of(&rec);
                    let mut check = |purpose, recorded: Decimal| {
                        let recomputed = key.draw(purpose, r.seed, mrn.as_str());
                        draws.push(DrawCheck {
                            seq: e.seq,
                            purpose,
                            scheme: "hmac-sha256",
                            secret_id: Some(id),
                            seed: r.seed,
                            recorded,
                            recomputed,
                            matches: recorded == recomputed,
                        })
                    };
                    check(PURPOSE_RANDOM, r.draw);
                    if let Some(b) = blue {
                        check(PURPOSE_BLUE, b.draw);
                    }
                }
                None => {
                    let recomputed = RandomSelection::legacy_draw(r.seed, mrn);
                    draws.push(DrawCheck {
                        seq: e.seq,
                        purpose: PURPOSE_RANDOM,
                        scheme: "sha256-seed",
                        secret_id: None,
                        seed: r.seed,
                        recorded: r.draw,
                        recomputed,
                        matches: recomputed == r.draw,
                    });
                    if let Some(b) = blue {
                        let recomputed = channel::draw(r.seed, PURPOSE_BLUE, mrn.as_str());
                        draws.push(DrawCheck {
                            seq: e.seq,
                            purpose: PURPOSE_BLUE,
                            scheme: "sha256-seed",
                            secret_id: None,
                            seed: r.seed,
                            recorded: b.draw,
                            recomputed,
                            matches: recomputed == b.draw,
                        });
                    }
                }
            }
        }
        let valid = draws.iter().all(|d| d.matches);
        Ok(DrawVerification {
            mrn: mrn.to_string(),
            draws,
            valid,
        })
    }
}

/// Keeps the service's handle alive for [`spawn_refresh`].
pub(crate) fn start(clearance: &Arc<Clearance>) {
    spawn_refresh(Arc::downgrade(clearance));
}
