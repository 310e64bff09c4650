//! What a caller may read: declarations, an office's control queue, a
//! declaration's events, and an operator's notifications.
//!
//! Invariants: a declaration the caller may not see ([`can_view`]) is
//! answered as missing; operators read events and notifications as
//! [`crate::disclosure`] lets them (channel only), whoever asks for them.

use tamga_core::codes::{Eori, Mrn, OfficeCode};
use tamga_core::lifecycle::{Event, State};
use tamga_store::{DeclarationQuery, DeclarationRecord, Notification, Role};

use super::access::{can_view, require_user};
use super::{Caller, Clearance};
use crate::error::AppError;

impl Clearance {
    /// A declaration the caller may see.
    pub async fn declaration(
        &self,
        caller: &Caller,
        mrn: &Mrn,
    ) -> Result<DeclarationRecord, AppError> {
        let rec = self
            .store
            .declaration(mrn)
            .await?
            .ok_or_else(|| AppError::not_found(format!("declaration {mrn}")))?;
        if can_view(caller, &rec) {
            Ok(rec)
        } else {
            // Same answer as for a missing one: existence is not disclosed.
            Err(AppError::not_found(format!("declaration {mrn}")))
        }
    }

    /// A declaration's event log as the caller may see it
    /// ([`crate::disclosure::event_log`]): operators get `risk_assessed`
    /// events redacted to their channel (`"redacted": true`); officers,
    /// risk analysts and administrators the events as stored.
    pub async fn events(
        &self,
        caller: &Caller,
        mrn: &Mrn,
    ) -> Result<Vec<serde_json::Value>, AppError> {
        let events = self.stored_events(caller, mrn).await?;
        Ok(crate::disclosure::event_log(caller, events))
    }

    /// A declaration's events as stored (whole risk decisions), if the
    /// caller may see the declaration: for the service's own checks of
    /// them (signatures, draws), never to be shown to an operator as such.
    pub(crate) async fn stored_events(
        &self,
        caller: &Caller,
        mrn: &Mrn,
    ) -> Result<Vec<Event>, AppError> {
        self.declaration(caller, mrn).await?;
        Ok(self.store.events(mrn).await?)
    }

    /// Declarations the caller may see, newest first.
    #[tracing::instrument(skip_all, fields(caller = %caller.label()))]
    pub async fn declarations(
        &self,
        caller: &Caller,
        states: Option<Vec<State>>,
        before: Option<Mrn>,
        limit: u32,
    ) -> Result<Vec<DeclarationRecord>, AppError> {
        let mut q = DeclarationQuery {
            states,
            before,
            limit: limit.clamp(1, 500),
            ..Default::default()
        };
        match caller {
            Caller::Operator(id) => q.party = Some(id.clone()),
            Caller::User(u) if u.office_bound() => q.offices = Some(u.offices.clone()),
            Caller::User(u) if u.has(Role::Bank) => {
                return Err(AppError::Forbidden(
                    "the bank reports deposits; it does not read declarations".into(),
                ))
            }
            Caller::User(_) => {}
        }
        let mut list = self.store.declarations(&q).await?;
        list.retain(|r| can_view(caller, r));
        Ok(list)
    }

    /// How many declarations an operator is declarant or representative
    /// of, per state (counted by the database down its indexes; states
    /// without any left out). Operators only: the count is of the
    /// declarations [`Clearance::declarations`] lists for them.
    pub async fn declaration_counts(&self, caller: &Caller) -> Result<Vec<(State, i64)>, AppError> {
        let Caller::Operator(op) = caller else {
            return Err(AppError::Forbidden(
                "declarations are counted for an economic operator".into(),
            ));
        };
        let mut out = Vec::new();
        for (state, n) in self.store.party_states(op).await? {
            let state = State::parse(&state).ok_or_else(|| {
                tamga_store::StoreError::Corrupt(format!("stored declaration state {state:?}"))
            })?;
            out.push((state, n));
        }
        Ok(out)
    }

    /// An office's control queue (declarations under control).
    #[tracing::instrument(skip_all, fields(caller = %caller.label()))]
    pub async fn queue(
        &self,
        caller: &Caller,
        office: &OfficeCode,
    ) -> Result<Vec<DeclarationRecord>, AppError> {
        let user = require_user(caller, &[Role::Officer, Role::Admin, Role::RiskAnalyst])?;
        if user.office_bound() && !user.offices.contains(office) {
            return Err(AppError::Forbidden(format!(
                "{} is not a member of office {office}",
                user.username
            )));
        }
        if self.reference.office_roles(office).is_none() {
            return Err(AppError::not_found(format!("office {office}")));
        }
        Ok(self
            .store
            .declarations(&DeclarationQuery {
                offices: Some(vec![office.clone()]),
                states: Some(vec![State::UnderControl]),
                limit: 500,
                ..Default::default()
            })
            .await?)
    }

    /// The notifications an operator received about one of the
    /// declarations it may see, oldest first (at most 500; others'
    /// copies are theirs). Customs users get none: notifications are the
    /// parties'.
    pub async fn declaration_notifications(
        &self,
        caller: &Caller,
        mrn: &Mrn,
    ) -> Result<Vec<Notification>, AppError> {
        self.declaration(caller, mrn).await?;
        let Caller::Operator(op) = caller else {
            return Ok(Vec::new());
        };
        Ok(self
            .store
            .declaration_notifications(op, mrn, 500)
            .await?
            .into_iter()
            .map(crate::disclosure::for_operator)
            .collect())
    }

    /// An operator's notifications after `after`, oldest first.
    pub async fn notifications(
        &self,
        op: &Eori,
        after: i64,
        limit: u32,
    ) -> Result<Vec<Notification>, AppError> {
        Ok(self
            .store
            .notifications(op, after, limit.clamp(1, 1000))
            .await?
            .into_iter()
            .map(crate::disclosure::for_operator)
            .collect())
    }
}
