//! Declaration drafts (issue 16, the portal's "save as draft"): what a
//! trader or broker typed in the lodging form, kept unchecked.
//!
//! - A draft belongs to the party (the economic operator) of the user who
//!   saved it: every user of that party may read, save, lodge and delete
//!   it; any other caller, another party or a customs user, gets "not
//!   found" for an existing draft exactly as for a missing one (the store
//!   scopes every query by the party), and customs users may not keep
//!   drafts at all (forbidden).
//! - A draft is not validated: only its size is limited
//!   ([`MAX_DRAFT_BYTES`], the largest declaration body, 413-like
//!   `DRAFT_TOO_LARGE`) and the number a party keeps
//!   ([`MAX_DRAFTS_PER_PARTY`], 409 `DRAFTS_LIMIT`); the limit is counted
//!   in the database when the draft is inserted, so it holds across
//!   instances.

use time::OffsetDateTime;

use tamga_core::codes::Eori;
use tamga_store::{DraftHead, DraftRecord};

use crate::clearance::{Caller, Clearance};
use crate::error::AppError;

/// The largest draft body: the largest declaration body the API takes.
pub const MAX_DRAFT_BYTES: usize = 2 * 1024 * 1024;
/// The most drafts a party keeps.
pub const MAX_DRAFTS_PER_PARTY: i64 = 200;
/// The longest draft name kept (characters).
pub const MAX_DRAFT_NAME: usize = 100;

/// Error codes of drafts.
pub const DRAFT_TOO_LARGE: &str = "DRAFT_TOO_LARGE";
pub const DRAFTS_LIMIT: &str = "DRAFTS_LIMIT";

/// A page of a party's drafts: the drafts, last saved first, and how many
/// the party has.
#[derive(Debug, Clone)]
pub struct DraftPage {
    pub drafts: Vec<DraftHead>,
    pub total: i64,
}

fn party(caller: &Caller) -> Result<&Eori, AppError> {
    match caller {
        Caller::Operator(op) => Ok(op),
        Caller::User(_) => Err(AppError::Forbidden(
            "drafts are kept by economic operators (traders and brokers)".into(),
        )),
    }
}

fn not_found(id: i64) -> AppError {
    AppError::not_found(format!("draft {id}"))
}

/// The name kept: trimmed, at most [`MAX_DRAFT_NAME`] characters.
fn clean_name(name: &str) -> String {
    name.trim().chars().take(MAX_DRAFT_NAME).collect()
}

fn check_size(body: &str) -> Result<(), AppError> {
    if body.len() > MAX_DRAFT_BYTES {
        return Err(AppError::bad_request(
            DRAFT_TOO_LARGE,
            "",
            format!("a draft may hold at most {MAX_DRAFT_BYTES} bytes"),
        ));
    }
    Ok(())
}

impl Clearance {
    /// Saves a new draft of the caller's party, saved by `username`.
    pub async fn create_draft(
        &self,
        caller: &Caller,
        username: &str,
        name: &str,
        body: &str,
    ) -> Result<DraftRecord, AppError> {
        let op = party(caller)?;
        check_size(body)?;
        let now = OffsetDateTime::now_utc();
        self.store()
            .create_draft(
                op,
                username,
                &clean_name(name),
                body,
                now,
                MAX_DRAFTS_PER_PARTY,
            )
            .await?
            .ok_or_else(|| AppError::Conflict {
                code: DRAFTS_LIMIT,
                pointer: String::new(),
                message: format!(
                    "a party keeps at most {MAX_DRAFTS_PER_PARTY} drafts: lodge or delete some first"
                ),
            })
    }

    /// The caller's party's draft `id`.
    pub async fn draft(&self, caller: &Caller, id: i64) -> Result<DraftRecord, AppError> {
        let op = party(caller)?;
        self.store()
            .draft(op, id)
            .await?
            .ok_or_else(|| not_found(id))
    }

    /// Saves draft `id` of the caller's party again with a new name and
    /// body.
    pub async fn update_draft(
        &self,
        caller: &Caller,
        id: i64,
        name: &str,
        body: &str,
    ) -> Result<(), AppError> {
        let op = party(caller)?;
        check_size(body)?;
        let now = OffsetDateTime::now_utc();
        if self
            .store()
            .update_draft(op, id, &clean_name(name), body, now)
            .await?
        {
            Ok(())
        } else {
            Err(not_found(id))
        }
    }

    /// Deletes draft `id` of the caller's party.
    pub async fn delete_draft(&self, caller: &Caller, id: i64) -> Result<(), AppError> {
        let op = party(caller)?;
        if self.store().delete_draft(op, id).await? {
            Ok(())
        } else {
            Err(not_found(id))
        }
    }

    /// Page `page` (from 1) of the caller's party's drafts, `per_page` a
    /// page.
    pub async fn drafts(
        &self,
        caller: &Caller,
        page: u32,
        per_page: u32,
    ) -> Result<DraftPage, AppError> {
        let op = party(caller)?;
        let per = i64::from(per_page.max(1));
        let offset = i64::from(page.max(1) - 1) * per;
        let drafts = self.store().drafts_of(op, per, offset).await?;
        let total = self.store().count_drafts(op).await?;
        Ok(DraftPage { drafts, total })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_cut_and_bodies_limited() {
        assert_eq!(clean_name("  LRN-1 "), "LRN-1");
        assert_eq!(clean_name(&"ж".repeat(150)).chars().count(), MAX_DRAFT_NAME);
        assert!(check_size(&"x".repeat(MAX_DRAFT_BYTES)).is_ok());
        let e = check_size(&"x".repeat(MAX_DRAFT_BYTES + 1)).unwrap_err();
        assert_eq!(e.code(), DRAFT_TOO_LARGE);
    }
}
