//! Pre-arrival (advance cargo) information: assessed at submission, stored,
//! and indexed by transport document for the declaration to come.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::json;
use time::{Date, OffsetDateTime};

use tamga_core::channel::{self, Inputs};
use tamga_core::codes::{Eori, OfficeCode};
use tamga_core::prearrival::{self, Preliminary};
use tamga_core::profiles::TraderContext;
use tamga_store::risk_sql::PrearrivalRecord;
use tamga_store::Role;

use crate::error::AppError;
use crate::Caller;

use super::{RiskAdmin, RiskError};

/// What the submitter of pre-arrival information is told: that it was
/// received, under which id. Nothing of the preliminary decision (channel,
/// profiles, conditions, hits): that is for the office of arrival.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrearrivalReceipt {
    pub id: String,
    /// Always `received`.
    pub status: &'static str,
    pub transport_document: String,
    pub office_of_arrival: OfficeCode,
    #[serde(with = "time::serde::rfc3339")]
    pub submitted_at: OffsetDateTime,
}

impl From<&PrearrivalRecord> for PrearrivalReceipt {
    fn from(r: &PrearrivalRecord) -> Self {
        PrearrivalReceipt {
            id: r.id.clone(),
            status: "received",
            transport_document: r.info.transport_document.clone(),
            office_of_arrival: r.info.office_of_arrival.clone(),
            submitted_at: r.submitted_at,
        }
    }
}

impl RiskAdmin {
    /// Advance cargo information from an operator: parsed, assessed at
    /// once with the active profiles, the trader's category and the
    /// channel policy (no random draw: that is made at lodging), stored,
    /// and indexed by transport document for the declaration to come.
    #[tracing::instrument(skip_all, fields(caller = %caller.label()))]
    pub async fn submit_prearrival(
        &self,
        caller: &Caller,
        body: &serde_json::Value,
    ) -> Result<PrearrivalRecord, RiskError> {
        let Caller::Operator(op) = caller else {
            return Err(AppError::Forbidden(
                "pre-arrival information is submitted by carriers and traders".into(),
            )
            .into());
        };
        let now = OffsetDateTime::now_utc();
        let info =
            prearrival::parse(body, self.clearance.reference(), now).map_err(RiskError::Cargo)?;
        let trader = self.trader(op, now.date());
        let subject = info.subject(&trader);
        let hits = self.stage.engine().evaluate(&subject, now.date());
        let decision = channel::decide(
            Inputs {
                criteria_hits: Vec::new(),
                profile_hits: hits,
                trader: &trader,
                model_score: None,
                model: None,
                model_fallback: None,
                exploration: None,
                preliminary: None,
                draws: None,
            },
            &self.stage.policy(),
        );
        let n = self
            .clearance
            .store()
            .reserve_sequence("prearrival", 1)
            .await?;
        let rec = PrearrivalRecord {
            id: format!("PA{n:010}"),
            submitted_by: op.to_string(),
            submitted_at: now,
            channel: decision.channel,
            info,
            decision,
        };
        self.clearance.store().add_prearrival(&rec).await?;
        keep_strictest(
            &mut self.stage.prearrivals.write().expect("lock"),
            preliminary_of(&rec),
        );
        crate::epochs::bump(self.clearance.store().as_ref(), crate::epochs::PREARRIVAL).await;
        self.audit(
            caller,
            "prearrival.submit",
            json!({"id": rec.id, "transportDocument": rec.info.transport_document,
                   "office": rec.info.office_of_arrival, "channel": rec.channel}),
        )
        .await?;
        Ok(rec)
    }

    fn trader(&self, op: &Eori, today: Date) -> TraderContext {
        self.clearance.trader_context(op, today)
    }

    /// Pre-arrival information for an office of arrival (its officers,
    /// analysts, administrators), latest expected arrival first.
    #[tracing::instrument(skip_all, fields(caller = %caller.label()))]
    pub async fn prearrivals(
        &self,
        caller: &Caller,
        office: &OfficeCode,
        limit: u32,
    ) -> Result<Vec<PrearrivalRecord>, AppError> {
        match caller {
            Caller::User(u) if u.office_bound() && !u.offices.contains(office) => {
                return Err(AppError::Forbidden(format!(
                    "{} is not a member of office {office}",
                    u.username
                )))
            }
            Caller::User(u) if u.has(Role::Bank) => {
                return Err(AppError::Forbidden(
                    "officers, risk analysts and administrators only".into(),
                ));
            }
            Caller::User(_) => {}
            Caller::Operator(_) => {
                return Err(AppError::Forbidden("customs users only".into()));
            }
        }
        if self.clearance.reference().office_roles(office).is_none() {
            return Err(AppError::not_found(format!("office {office}")));
        }
        Ok(self
            .clearance
            .store()
            .prearrivals(Some(office), limit.clamp(1, 500))
            .await?)
    }
}

pub(super) fn preliminary_of(r: &PrearrivalRecord) -> Preliminary {
    Preliminary {
        id: r.id.clone(),
        transport_document: r.info.transport_document.clone(),
        channel: r.decision.channel,
        controls: r.decision.combined.controls.clone(),
        blue: r.decision.combined.blue,
    }
}

/// Indexes a preliminary decision by its transport document; of several
/// for one document the strictest stays, so a later, milder submission
/// (by anyone) cannot lift a control another submission led to.
pub(super) fn keep_strictest(index: &mut HashMap<String, Preliminary>, p: Preliminary) {
    match index.get(&p.transport_document) {
        Some(old)
            if old.channel > p.channel || (old.channel == p.channel && old.blue && !p.blue) => {}
        _ => {
            index.insert(p.transport_document.clone(), p);
        }
    }
}
