//! Labels for the learning model: which declarations get one (released
//! or refused, with whether and how they were inspected), and reading
//! them.

use time::OffsetDateTime;

use tamga_core::codes::Mrn;
use tamga_core::lifecycle::{ControlOutcome, State};
use tamga_core::traders::DeclarationFacts;
use tamga_store::ops_sql::{Label, NewLabel};
use tamga_store::Role;

use crate::error::AppError;
use crate::Caller;

use super::{require, Workbench};

impl Workbench {
    /// Labelled declarations for the learning model (analysts, admins).
    #[tracing::instrument(skip_all, fields(caller = %caller.label()))]
    pub async fn labels(
        &self,
        caller: &Caller,
        after: i64,
        limit: u32,
    ) -> Result<Vec<Label>, AppError> {
        require(caller, &[Role::RiskAnalyst, Role::Admin])?;
        Ok(self.store().labels(after, limit.clamp(1, 10_000)).await?)
    }
}

/// The label of a declaration that has just reached a final state
/// (released or refused, and was not final before): whether it was
/// inspected, and with what outcome.
pub(super) fn label_of(
    mrn: &Mrn,
    at: OffsetDateTime,
    facts: &DeclarationFacts,
    before: Option<State>,
    after: Option<State>,
) -> Option<NewLabel> {
    let (Some(s @ (State::Released | State::Refused)), false) =
        (after, before.is_some_and(State::is_final))
    else {
        return None;
    };
    Some(NewLabel {
        mrn: mrn.clone(),
        inspected: facts.controls > 0,
        outcome: (facts.controls > 0).then_some(if facts.findings {
            ControlOutcome::Findings
        } else {
            ControlOutcome::Compliant
        }),
        final_state: s.as_str().to_owned(),
        at,
    })
}
