//! The notifications a change sends its declaration's parties, and the
//! rejection notice of a request that changed nothing.
//!
//! Invariants:
//! - Notifications go to whoever lodged the declaration and to its
//!   declarant (once, when they are the same).
//! - A notification tells a trader the channel only: never the hits,
//!   factors or draw behind it.

use serde_json::json;
use time::OffsetDateTime;

use tamga_core::codes::{Eori, Lrn, Mrn};
use tamga_core::control::Violation;
use tamga_core::lifecycle::{Event, EventBody, NewNotification, NotificationKind};
use tamga_core::pipeline::PaymentResult;
use tamga_store::{DeclarationRecord, Write};

use super::Clearance;
use crate::error::AppError;

/// Who is told about a declaration: whoever lodged it, and its declarant.
pub(super) fn recipients(lodged_by: &Eori, declarant: Option<&Eori>) -> Vec<Eori> {
    let mut r = vec![lodged_by.clone()];
    if let Some(d) = declarant {
        if d != lodged_by {
            r.push(d.clone());
        }
    }
    r
}

/// One notification of `kind` to each recipient.
pub(super) fn make_notifications(
    recipients: &[Eori],
    kind: NotificationKind,
    mrn: Option<&Mrn>,
    lrn: Option<&Lrn>,
    at: OffsetDateTime,
    payload: serde_json::Value,
) -> Vec<NewNotification> {
    recipients
        .iter()
        .map(|r| NewNotification {
            recipient: r.clone(),
            kind,
            mrn: mrn.cloned(),
            lrn: lrn.cloned(),
            at,
            payload: payload.clone(),
        })
        .collect()
}

impl Clearance {
    /// Records a rejection (a notification only) and returns the error.
    pub(super) async fn reject(
        &self,
        lodged_by: &Eori,
        lrn: Option<&Lrn>,
        kind: NotificationKind,
        mrn: Option<&Mrn>,
        violations: Vec<Violation>,
    ) -> AppError {
        self.reject_as(lodged_by, lrn, kind, mrn, violations, None)
            .await
    }

    /// [`Self::reject`] for a lodging sent as a standard message: the
    /// payload says its format (`lodgedAs`, e.g. `wco-dec-dms-xml`), so
    /// that the rejection of a declaration that was never registered (no
    /// MRN, no stored original) still goes out in the language it came in
    /// (`super::dms`).
    pub(super) async fn reject_as(
        &self,
        lodged_by: &Eori,
        lrn: Option<&Lrn>,
        kind: NotificationKind,
        mrn: Option<&Mrn>,
        violations: Vec<Violation>,
        lodged_as: Option<&str>,
    ) -> AppError {
        let now = OffsetDateTime::now_utc();
        let mut payload = json!({ "errors": violations });
        if let Some(format) = lodged_as {
            payload["lodgedAs"] = json!(format);
        }
        let notifications = make_notifications(
            std::slice::from_ref(lodged_by),
            kind,
            mrn,
            lrn,
            now,
            payload,
        );
        if let Err(e) = self.writer.write(Write::Notify { notifications }).await {
            return e;
        }
        AppError::Rejected(violations)
    }
}

/// What a notification tells its recipients beyond its kind. Waiting for
/// payment names the amount due, its currency and the payment reference of
/// `payer` (whose account pays) to quote on the transfer.
pub(super) fn notification_payload<'e>(
    kind: NotificationKind,
    r: &DeclarationRecord,
    mut events: impl Iterator<Item = &'e Event>,
    warnings: &[Violation],
    payer: Option<&Eori>,
) -> serde_json::Value {
    let mut p = json!({
        "mrn": r.mrn,
        "lrn": r.lrn,
        "state": r.state,
        "channel": r.channel,
        "version": r.version,
    });
    let obj = p.as_object_mut().expect("object");
    match kind {
        NotificationKind::Registered => {
            obj.insert(
                "registeredAt".into(),
                json!(r
                    .registered_at
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default()),
            );
            if !warnings.is_empty() {
                obj.insert("warnings".into(), json!(warnings));
            }
        }
        NotificationKind::UnderControl => {
            if let Some(d) = events.find_map(|e| match &e.body {
                EventBody::RiskAssessed { decision, .. } => Some(decision),
                _ => None,
            }) {
                // The channel only: hits and draws are not for the trader.
                obj.insert(
                    "explanation".into(),
                    json!(tamga_core::risk::trader_explanation(d.channel)),
                );
            }
        }
        NotificationKind::Refused => {
            if let Some(reason) = events.find_map(|e| match &e.body {
                EventBody::Refused { reason, .. } => Some(reason),
                _ => None,
            }) {
                obj.insert("reason".into(), json!(reason));
            }
        }
        NotificationKind::AwaitingPayment => {
            if let Some((currency, amount)) = events
                .filter_map(|e| match &e.body {
                    EventBody::PaymentSecured {
                        result:
                            PaymentResult::Unsecured {
                                currency, amount, ..
                            },
                    }
                    | EventBody::ReleaseGrantedPendingPayment {
                        currency, amount, ..
                    } => Some((currency, amount)),
                    _ => None,
                })
                .last()
            {
                obj.insert("amountDue".into(), json!(amount.to_string()));
                obj.insert("currency".into(), json!(currency));
            }
            if let Some(payer) = payer {
                obj.insert(
                    "paymentReference".into(),
                    json!(tamga_core::ledger::payment_reference(payer)),
                );
            }
        }
        NotificationKind::Released => {
            obj.insert(
                "automatic".into(),
                json!(events.any(|e| matches!(
                    e.body,
                    EventBody::Released {
                        automatic: true,
                        ..
                    }
                ))),
            );
        }
        _ => {}
    }
    p
}
