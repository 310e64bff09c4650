//! Prohibitions and restrictions: a selected prohibition or restriction
//! whose conditions are not complied with refuses the goods item.

use super::super::{Measure, MeasureKind};
use super::conditions::{conditions, required_documents, Outcome};
use super::error_codes;
use super::lines::kind_text;
use super::types::{derr, DutyError};
use super::Item;

/// Checks every selected prohibition and restriction; one complied with
/// through its conditions gets a note, any other refuses the item.
pub(super) fn check_prohibitions_and_restrictions(
    item: &Item<'_>,
    selected: &[&Measure],
    notes: &mut Vec<String>,
) -> Result<(), DutyError> {
    for m in selected
        .iter()
        .filter(|m| matches!(m.kind, MeasureKind::Prohibition | MeasureKind::Restriction))
    {
        let outcome = conditions(m, item.input, item.cv);
        let (ok, why) = match outcome {
            Outcome::Apply(_, w) => (true, w.unwrap_or_default()),
            Outcome::Waive(w) => (true, w),
            Outcome::Stop(w) | Outcome::NotMet(w) => (false, w),
        };
        if ok && !m.conditions.is_empty() {
            notes.push(format!(
                "{} {} ({}) complied with: {why}",
                m.measure_type,
                m.id,
                kind_text(m.kind)
            ));
            continue;
        }
        return Err(refusal(item, m, &why));
    }
    Ok(())
}

/// The error for goods that `m` prohibits or restricts, naming the
/// documents that would let them through.
fn refusal(item: &Item<'_>, m: &Measure, why: &str) -> DutyError {
    let code = item.code;
    let docs = required_documents(m);
    if m.kind == MeasureKind::Prohibition {
        derr(
            error_codes::PROHIBITED,
            format!(
                "import of {code} from {} is prohibited by measure {} ({}){}",
                item.input.origin,
                m.id,
                m.legal_base.as_deref().unwrap_or("no legal base given"),
                if docs.is_empty() {
                    String::new()
                } else {
                    format!(" unless document {} is presented", docs.join(" or "))
                }
            ),
        )
    } else {
        derr(
            error_codes::RESTRICTION_DOCUMENT_MISSING,
            format!(
                "measure {} restricts {code}: {why}; present document {}",
                m.id,
                if docs.is_empty() {
                    "(none accepted)".into()
                } else {
                    docs.join(" or ")
                }
            ),
        )
    }
}
