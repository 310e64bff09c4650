//! Amendments and cancellations sent as WCO DEC-DMS XML (issue 19):
//! function code 13 with type COR or INV, lodged on
//! `POST /api/v1/declarations` as the CDS takes them, the declaration named
//! by the message's `ID` (its MRN).
//!
//! The detached signature covers the XML bytes exactly as sent, and those
//! bytes name the MRN, so a signed message binds to one declaration just
//! as the JSON act's `"mrn"` does. From there each goes the JSON act's
//! way:
//! - an amendment is merged onto the declaration's current version
//!   ([`tamga_messages::wco_amend::merge`]: what it carries replaces what
//!   the declaration has, items by `SequenceNumeric`), then
//!   [`Clearance::amend_record`]: the signature, a replay of the same
//!   bytes (answered, never applied twice), the state, control, the
//!   declarant and a representative's mandate, duties and risk again
//!   (the stricter channel), the new version and its notifications;
//! - a cancellation gives its reason in `AdditionalInformation/
//!   StatementDescription`, then [`Clearance::invalidate_record`].
//!
//! Another operator's declaration is not found (404), as for the JSON acts:
//! whether it exists is not disclosed. The message is stored with the act,
//! in the same commit (`declaration_originals`, act `amendment` or
//! `cancellation`), with its `notUsed`; every violation carries the XPath
//! of the element it concerns where the message gave it.

use std::collections::BTreeMap;

use tamga_core::codes::{Eori, Mrn};
use tamga_core::control::Violation;
use tamga_messages::wco_amend::{self, Carried};
use tamga_messages::{Mapped, MessageKind};
use tamga_store::{Original, AMENDMENT, CANCELLATION, WCO_DEC_DMS_XML};

use super::amendment::AmendedBy;
use super::messages::{message_violation, AcceptedMessage, MessageAct};
use super::signatures::{sha256_hex, Signed};
use super::Clearance;
use crate::acts::SIGNED_MRN;
use crate::error::AppError;

impl Clearance {
    /// Amends the declaration a signed DEC-DMS amendment names with what
    /// it carries.
    pub(super) async fn amend_wco(
        &self,
        op: &Eori,
        s: &Signed<'_>,
        carried: Carried,
        mapped: Mapped,
    ) -> Result<AcceptedMessage, AppError> {
        let declaration_path = mapped.sources.get("").cloned().unwrap_or_default();
        let mrn = named_mrn(&mapped, &declaration_path)?;
        let rec = self.own_declaration(op, &mrn).await?;
        let base = serde_json::to_value(&rec.declaration)
            .map_err(|e| AppError::Unavailable(format!("declaration {mrn} as JSON: {e}")))?;
        let (document, mut sources) = match wco_amend::apply(&base, &mapped, &carried) {
            Ok(m) => (Ok(m.document), m.sources),
            Err(errors) => (
                Err(errors.into_iter().map(message_violation).collect()),
                BTreeMap::new(),
            ),
        };
        sources.insert(String::new(), declaration_path);
        let place = |v: &mut Violation| {
            if v.xpath.is_none() {
                v.xpath = tamga_messages::json_doc::xpath_for(&sources, &v.pointer);
            }
        };
        let original = original(AMENDMENT, s, &mapped);
        let accepted = self
            .amend_record(
                op,
                rec,
                s,
                AmendedBy::Message {
                    document,
                    place: &place,
                    original,
                },
            )
            .await?;
        Ok(AcceptedMessage {
            accepted,
            not_used: mapped.not_used,
            act: MessageAct::Amended,
        })
    }

    /// Invalidates the declaration a signed DEC-DMS cancellation names,
    /// for the reason it gives.
    pub(super) async fn cancel_wco(
        &self,
        op: &Eori,
        s: &Signed<'_>,
        mapped: Mapped,
    ) -> Result<AcceptedMessage, AppError> {
        let declaration_path = mapped.sources.get("").cloned().unwrap_or_default();
        let mrn = named_mrn(&mapped, &declaration_path)?;
        let rec = self.own_declaration(op, &mrn).await?;
        let key_id = self.check_invalidator(op, &rec, s).await?;
        let MessageKind::Cancellation { statements, .. } = &mapped.kind else {
            return Err(AppError::Unavailable(
                "a cancellation that is not one".into(),
            ));
        };
        let reason = wco_amend::cancellation_reason(statements, &declaration_path)
            .map_err(|e| AppError::bad_request(e.code, e.pointer, e.message));
        let original = original(CANCELLATION, s, &mapped);
        let accepted = self
            .invalidate_record(op, rec, &key_id, s.body, reason, Some(original))
            .await?;
        Ok(AcceptedMessage {
            accepted,
            not_used: mapped.not_used,
            act: MessageAct::Invalidated,
        })
    }
}

/// The MRN an additional message names in `ID`: else 400 [`SIGNED_MRN`]
/// at `ID` (the message, like the JSON act, names what it acts on).
fn named_mrn(mapped: &Mapped, declaration_path: &str) -> Result<Mrn, AppError> {
    let named = match &mapped.kind {
        MessageKind::Amendment { mrn, .. } | MessageKind::Cancellation { mrn, .. } => {
            mrn.as_deref()
        }
        _ => None,
    };
    named
        .and_then(|m| Mrn::parse(m.trim()).ok())
        .ok_or_else(|| {
            AppError::bad_request(
                SIGNED_MRN,
                format!("{declaration_path}/ID"),
                format!(
                    "an amendment or cancellation names the declaration it acts on by its MRN in ID{}",
                    named.map(|m| format!(", not {m:?}")).unwrap_or_default()
                ),
            )
        })
}

/// The message, to be stored with the act.
fn original(act: &str, s: &Signed<'_>, mapped: &Mapped) -> Box<Original> {
    Box::new(Original {
        act: act.to_owned(),
        format: WCO_DEC_DMS_XML.to_owned(),
        body: s.body.to_vec(),
        body_sha256: sha256_hex(s.body),
        not_used: mapped.not_used.clone(),
    })
}
