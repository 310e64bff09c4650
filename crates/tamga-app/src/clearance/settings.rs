//! What officers and operators set: the officers' selectivity criteria
//! and random selection (installed into the risk stage at once), and an
//! operator's webhook.
//!
//! Invariants: every change is checked before it is stored (clear error
//! with a pointer), written to the audit log, and in force for the next
//! lodging.

use std::sync::Arc;

use serde_json::json;
use time::OffsetDateTime;

use tamga_core::codes::Eori;
use tamga_core::pipeline::SelectivityStage;
use tamga_core::risk::{RandomSelection, SelectivityCriterion};
use tamga_store::Role;

use super::access::require_user;
use super::{Caller, Clearance};
use crate::error::AppError;

impl Clearance {
    /// Follows what other instances change: the selectivity settings and
    /// the tariff (see [`crate::epochs`]).
    pub(crate) fn watch_epochs(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        let alive = weak.clone();
        crate::epochs::spawn_watch(
            self.store.clone(),
            &[crate::epochs::SELECTIVITY, crate::epochs::TARIFF],
            move || alive.strong_count() > 0,
            Box::new(move |topic| {
                let weak = weak.clone();
                Box::pin(async move {
                    let Some(c) = weak.upgrade() else { return true };
                    let done = if topic == crate::epochs::TARIFF {
                        c.reload_tariff().await
                    } else {
                        c.reload_selectivity().await
                    };
                    done.map_err(|e| tracing::warn!(topic, error = %e, "could not reload"))
                        .is_ok()
                })
            }),
        );
    }

    /// Reads the criteria, the random selection and the current draw
    /// secret again and installs them.
    pub(crate) async fn reload_selectivity(&self) -> Result<(), AppError> {
        let criteria = self.store.criteria().await?;
        let random = self.store.random_selection().await?.unwrap_or_default();
        let key = crate::draw_secrets::current_key(self.store.as_ref()).await?;
        *self.selectivity.write().expect("lock") = Arc::new(SelectivityStage {
            criteria,
            random,
            key,
        });
        Ok(())
    }

    /// The officers' selectivity criteria and random selection, as now.
    pub fn selectivity(&self) -> Arc<SelectivityStage> {
        self.selectivity.read().expect("lock").clone()
    }

    /// Stores a selectivity criterion (new or changed) and uses it from now on.
    #[tracing::instrument(skip_all, fields(caller = %caller.label()))]
    pub async fn put_criterion(
        &self,
        caller: &Caller,
        c: SelectivityCriterion,
    ) -> Result<SelectivityCriterion, AppError> {
        require_user(caller, &[Role::Officer, Role::RiskAnalyst, Role::Admin])?;
        c.check()
            .map_err(|e| AppError::bad_request(e.code, e.field, e.message))?;
        if c.id.is_empty()
            || c.id.len() > 64
            || !c
                .id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(AppError::bad_request(
                "CRITERION_ID",
                "/id",
                "id must be 1 to 64 letters, digits, '-' or '_'",
            ));
        }
        for (field, code) in [
            ("/origin", &c.origin),
            ("/dispatchCountry", &c.dispatch_country),
        ] {
            if let Some(cc) = code {
                if !self.reference.country_exists(cc) {
                    return Err(AppError::bad_request(
                        "CRITERION_COUNTRY",
                        field,
                        format!("unknown country {cc}"),
                    ));
                }
            }
        }
        if let Some(o) = &c.office {
            if self.reference.office_roles(o).is_none() {
                return Err(AppError::bad_request(
                    "CRITERION_OFFICE",
                    "/office",
                    format!("unknown office {o}"),
                ));
            }
        }
        self.store.put_criterion(&c).await?;
        self.store
            .append_audit(
                &caller.label(),
                "criterion.put",
                OffsetDateTime::now_utc(),
                &json!(c),
            )
            .await?;
        self.reload_selectivity().await?;
        crate::epochs::bump(self.store.as_ref(), crate::epochs::SELECTIVITY).await;
        Ok(c)
    }

    /// The stored selectivity criteria.
    pub async fn criteria(&self, caller: &Caller) -> Result<Vec<SelectivityCriterion>, AppError> {
        require_user(caller, &[Role::Officer, Role::RiskAnalyst, Role::Admin])?;
        Ok(self.store.criteria().await?)
    }

    /// The random selection in force.
    pub async fn random_selection(&self, caller: &Caller) -> Result<RandomSelection, AppError> {
        require_user(caller, &[Role::Officer, Role::RiskAnalyst, Role::Admin])?;
        Ok(self.store.random_selection().await?.unwrap_or_default())
    }

    /// Stores the random selection and uses it from now on.
    #[tracing::instrument(skip_all, fields(caller = %caller.label()))]
    pub async fn set_random_selection(
        &self,
        caller: &Caller,
        r: RandomSelection,
    ) -> Result<RandomSelection, AppError> {
        require_user(caller, &[Role::RiskAnalyst, Role::Admin, Role::Officer])?;
        r.check()
            .map_err(|e| AppError::bad_request(e.code, e.field, e.message))?;
        self.store.set_random_selection(&r).await?;
        self.store
            .append_audit(
                &caller.label(),
                "random_selection.set",
                OffsetDateTime::now_utc(),
                &json!(r),
            )
            .await?;
        self.reload_selectivity().await?;
        crate::epochs::bump(self.store.as_ref(), crate::epochs::SELECTIVITY).await;
        Ok(r)
    }

    /// Sets a checked webhook URL with a new signing secret (returned with
    /// the stored URL: the only time the secret is shown) or removes the
    /// webhook (`crate::webhooks`).
    #[tracing::instrument(skip_all, fields(operator = %op))]
    pub async fn set_webhook(
        &self,
        op: &Eori,
        url: Option<&str>,
    ) -> Result<Option<(String, String)>, AppError> {
        crate::webhooks::set(
            self.store.as_ref(),
            self.settings.webhook_allow_loopback,
            op,
            url,
        )
        .await
    }
}
