//! Who is calling and what they may see.
//!
//! Invariants: operators see their own and represented declarations
//! ([`is_party`]); officers their offices'; risk analysts and
//! administrators all; the bank none. A declaration the caller may not see
//! is answered as missing (existence is not disclosed).

use tamga_core::codes::Eori;
use tamga_core::lifecycle::Actor;
use tamga_store::{DeclarationRecord, Role, User};

use crate::error::AppError;

/// Who is calling, once authenticated.
#[derive(Debug, Clone)]
pub enum Caller {
    Operator(Eori),
    User(User),
}

impl Caller {
    pub fn actor(&self) -> Actor {
        match self {
            Caller::Operator(id) => Actor::Operator(id.clone()),
            Caller::User(u) => Actor::Officer(u.username.clone()),
        }
    }
    /// The customs-side user behind the call, if it has one of `roles`;
    /// else `Forbidden`.
    pub fn require(&self, roles: &[Role]) -> Result<&User, AppError> {
        match self {
            Caller::User(u) if u.active && u.has_any(roles) => Ok(u),
            _ => Err(AppError::Forbidden(format!(
                "this needs one of the roles: {}",
                roles
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// Who acted, as written in the audit log (`operator:…`, `user:…`).
    pub fn label(&self) -> String {
        match self {
            Caller::Operator(id) => format!("operator:{id}"),
            Caller::User(u) => format!("user:{}", u.username),
        }
    }
}

/// Whether the operator is a party of the declaration.
pub fn is_party(op: &Eori, r: &DeclarationRecord) -> bool {
    &r.declarant == op || r.representative.as_ref() == Some(op) || &r.lodged_by == op
}

/// Access rule: operators see their own and represented declarations;
/// officers their offices'; risk analysts and administrators all.
pub fn can_view(caller: &Caller, r: &DeclarationRecord) -> bool {
    match caller {
        Caller::Operator(op) => is_party(op, r),
        Caller::User(u) => {
            if u.has_any(&[
                Role::RiskAnalyst,
                Role::Admin,
                Role::Manager,
                Role::AppealsOfficer,
            ]) {
                true
            } else if u.has_any(&[Role::Officer, Role::Inspector]) {
                u.offices.contains(&r.office)
            } else {
                false
            }
        }
    }
}

/// The customs-side user behind the call, if it has one of `roles`.
pub(super) fn require_user<'a>(caller: &'a Caller, roles: &[Role]) -> Result<&'a User, AppError> {
    caller.require(roles)
}
