//! Trader profiles as analysts, officers and the trader itself see them,
//! and the AEO status administrators set.

use serde::Serialize;
use serde_json::json;
use time::OffsetDateTime;

use tamga_core::codes::Eori;
use tamga_core::profiles::TraderContext;
use tamga_core::traders::{self, Assessment, TraderMetrics};
use tamga_store::ops_sql::{AeoStatus, OpsBatch, TraderSnapshot};
use tamga_store::Role;

use crate::clearance::TraderContexts;
use crate::error::AppError;
use crate::Caller;

use super::{label, require, Twin, Workbench};

/// A trader's profile as analysts and officers see it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TraderProfile {
    pub operator: Eori,
    pub name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub registered_at: OffsetDateTime,
    pub aeo: Option<AeoStatus>,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub metrics: TraderMetrics,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub assessment: Assessment,
    /// What the risk stage receives today.
    pub context: TraderContext,
    /// Snapshots, newest first.
    pub history: Vec<TraderSnapshot>,
}

impl Workbench {
    #[tracing::instrument(skip_all, fields(caller = %caller.label(), operator = %op))]
    pub async fn trader_profile(
        &self,
        caller: &Caller,
        op: &Eori,
        history: u32,
    ) -> Result<TraderProfile, AppError> {
        match caller {
            Caller::Operator(me) if me == op => {}
            Caller::Operator(_) => {
                return Err(AppError::not_found(format!("trader {op}")));
            }
            Caller::User(u) if u.has(Role::Bank) => {
                return Err(AppError::Forbidden(
                    "the bank reports deposits; it does not read trader profiles".into(),
                ));
            }
            Caller::User(_) => {}
        }
        let operator = self
            .store()
            .operator(op)
            .await?
            .ok_or_else(|| AppError::not_found(format!("trader {op}")))?;
        let aeo = self
            .store()
            .aeo_all()
            .await?
            .into_iter()
            .find(|a| &a.operator == op);
        let today = OffsetDateTime::now_utc().date();
        let (metrics, assessment) = {
            let map = self.twin.map.read().expect("lock");
            match map.get(op) {
                Some(e) => (
                    e.metrics.clone(),
                    traders::assess(&e.metrics, e.aeo, e.days(today)),
                ),
                None => {
                    let m = TraderMetrics::default();
                    let days = traders::days_between(operator.created_at.date(), today);
                    let a = traders::assess(&m, false, days);
                    (m, a)
                }
            }
        };
        Ok(TraderProfile {
            context: self.twin.context(op, today),
            operator: operator.id,
            name: operator.name,
            registered_at: operator.created_at,
            aeo,
            metrics,
            assessment,
            history: self
                .store()
                .trader_snapshots(op, history.clamp(1, 1000))
                .await?,
        })
    }

    /// An administrator sets a trader's AEO status (audited); the trader is
    /// reassessed at once.
    #[tracing::instrument(skip_all, fields(caller = %caller.label(), operator = %op))]
    pub async fn set_aeo(
        &self,
        caller: &Caller,
        op: &Eori,
        aeo: bool,
        reference: Option<String>,
    ) -> Result<AeoStatus, AppError> {
        let user = require(caller, &[Role::Admin])?;
        if reference.as_ref().is_some_and(|r| r.len() > 200) {
            return Err(AppError::bad_request(
                "AEO_REFERENCE",
                "/reference",
                "the reference is limited to 200 characters",
            ));
        }
        let operator = self
            .store()
            .operator(op)
            .await?
            .ok_or_else(|| AppError::not_found(format!("trader {op}")))?;
        let now = OffsetDateTime::now_utc();
        let status = AeoStatus {
            operator: op.clone(),
            aeo,
            reference,
            updated_at: now,
            updated_by: user.username.clone(),
        };
        self.store().set_aeo(&status).await?;
        self.store()
            .append_audit(&label(caller), "trader.aeo.set", now, &json!(status))
            .await?;
        {
            let mut map = self.twin.map.write().expect("lock");
            Twin::entry_mut(&mut map, op, Some(operator.created_at.date())).aeo = aeo;
        }
        if let Some(s) = self.twin.reassess(op, now, false) {
            self.store()
                .ops_apply(&OpsBatch {
                    snapshots: vec![s],
                    ..Default::default()
                })
                .await?;
        }
        Ok(status)
    }
}
