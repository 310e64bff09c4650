//! tamga's notifications as CDS DMS responses: which function code each
//! kind is written as and what it carries (the table is in
//! docs/messages.md, "DMS notifications").
//!
//! | tamga kind | DMS |
//! |---|---|
//! | `registered` | 01 DMSACC (warnings as errors, as CDS writes its credibility warnings), then 13 DMSTAX in the same envelope when the duties were assessed |
//! | `rejected`, `request_rejected` | 03 DMSREJ, every error |
//! | `under_control` | 06 DMSDOC on the yellow channel (documentary check), 05 DMSCTL on the red (physical) |
//! | `duties_assessed` | 13 DMSTAX |
//! | `awaiting_payment` | 14 DMSCPI: amount due and payment reference |
//! | `released` | 09 DMSCLE |
//! | `refused` | 03 DMSREJ with the officer's reason as a statement (CDS has no refusal of release) |
//! | `invalidated` | 10 DMSINV with the reason |
//! | `amended` | 11 DMSREQ, then 13 DMSTAX when the amendment assessed the duties again |
//! | key, registration and appeal notices | none: they stay JSON |
//!
//! A trader's notification says the channel, never why: the responses are
//! built from the notification's payload (the channel only) and the
//! declaration's duty, invalidation and lodging events; a risk assessment
//! event is never read.

use rust_decimal::Decimal;
use time::OffsetDateTime;

use tamga_core::control::Violation;
use tamga_core::lifecycle::{Channel, Event, EventBody, NotificationKind};
use tamga_core::pipeline::DutyResult;
use tamga_core::tariff::{DutyExpression, MeasureKind, Term};
use tamga_core::tariff::{DutyLine, ItemAssessment};

use crate::dms_codes::validation_code;
use crate::dms_out::{
    Charge, DeclarationRef, DmsError, DmsResponse, FunctionCode, ItemDuties, Payment, Statement,
};
use crate::dms_pointer::{pointers, Pointer};

/// A notification and what its DMS form needs of its declaration.
#[derive(Debug, Clone, Copy)]
pub struct Notice<'a> {
    /// The notification's id (its cursor): responses are referenced from it.
    pub id: i64,
    pub kind: NotificationKind,
    pub at: OffsetDateTime,
    pub mrn: Option<&'a str>,
    pub lrn: Option<&'a str>,
    /// The payload as the recipient may see it.
    pub payload: &'a serde_json::Value,
    /// The declaration's events (empty without an MRN).
    pub events: &'a [Event],
    /// The payment reference of whoever pays the declaration's duties.
    pub payment_reference: Option<&'a str>,
}

/// The function codes of a kind: `channel` for `under_control`,
/// `duties` whether duties were assessed with it. Empty: no DMS form.
pub fn function_codes(
    kind: NotificationKind,
    channel: Option<Channel>,
    duties: bool,
) -> Vec<FunctionCode> {
    use FunctionCode as F;
    use NotificationKind as K;
    match kind {
        K::Registered if duties => vec![F::Accepted, F::DutiesCalculated],
        K::Registered => vec![F::Accepted],
        K::Rejected | K::RequestRejected | K::Refused => vec![F::Rejected],
        K::UnderControl if channel == Some(Channel::Yellow) => vec![F::DocumentsRequested],
        K::UnderControl => vec![F::UnderControl],
        K::DutiesAssessed => vec![F::DutiesCalculated],
        K::AwaitingPayment => vec![F::AwaitingPayment],
        K::Released => vec![F::Cleared],
        K::Invalidated => vec![F::Invalidated],
        K::Amended if duties => vec![F::AmendmentAccepted, F::DutiesCalculated],
        K::Amended => vec![F::AmendmentAccepted],
        K::SigningKeyAdded
        | K::OperatorApproved
        | K::SigningKeyRevoked
        | K::AppealLodged
        | K::AppealDecided => Vec::new(),
    }
}

/// The notification as DMS responses (in the order written); `None` for a
/// kind with no DMS form.
pub fn responses(n: &Notice<'_>) -> Option<Vec<DmsResponse>> {
    let channel = n
        .payload
        .get("channel")
        .and_then(|c| serde_json::from_value::<Channel>(c.clone()).ok());
    let duties = duties_of(n);
    let codes = function_codes(n.kind, channel, duties.is_some());
    if codes.is_empty() {
        return None;
    }
    let version = n
        .payload
        .get("version")
        .and_then(|v| v.as_u64())
        .and_then(|v| u32::try_from(v).ok());
    let base = DeclarationRef {
        lrn: n.lrn.map(str::to_owned),
        mrn: n.mrn.map(str::to_owned),
        version,
        ..Default::default()
    };
    let out = codes
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let mut r = DmsResponse {
                function: *f,
                reference: format!("tamga-{}-{}", n.id, i + 1),
                issued_at: n.at,
                statements: Vec::new(),
                errors: Vec::new(),
                declaration: base.clone(),
            };
            fill(&mut r, n, duties);
            r
        })
        .collect();
    Some(out)
}

/// What each function carries beyond the declaration reference.
fn fill(r: &mut DmsResponse, n: &Notice<'_>, duties: Option<&DutyResult>) {
    use FunctionCode as F;
    match r.function {
        F::Accepted => {
            r.declaration.accepted_at = n
                .payload
                .get("registeredAt")
                .and_then(|t| t.as_str())
                .and_then(|t| {
                    OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
                })
                .or(Some(n.at));
            r.errors = errors(n.payload.get("warnings"));
        }
        F::Rejected => {
            r.declaration.rejected_at = Some(n.at);
            r.errors = errors(n.payload.get("errors"));
            if let Some(reason) = n.payload.get("reason").and_then(|x| x.as_str()) {
                r.statements.push(Statement {
                    code: None,
                    description: Some(reason.to_owned()),
                    type_code: Some("AFB".into()),
                });
            }
        }
        F::Invalidated => {
            r.declaration.cancelled_at = Some(n.at);
            let reason = n.events.iter().rev().find_map(|e| match &e.body {
                EventBody::Invalidated { reason, .. } => Some(reason.clone()),
                _ => None,
            });
            if let Some(reason) = reason {
                r.statements.push(Statement {
                    code: None,
                    description: Some(reason),
                    type_code: Some("AFB".into()),
                });
            }
        }
        F::DutiesCalculated => {
            if let Some(DutyResult::Assessed {
                currency,
                total,
                assessment,
                ..
            }) = duties
            {
                r.declaration.currency = Some(currency.as_str().to_owned());
                r.declaration.payment = Some(Payment {
                    reference: n.payment_reference.map(str::to_owned),
                    assessed: Some(*total),
                    payable: Some(*total),
                });
                r.declaration.items = assessment
                    .items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| ItemDuties {
                        sequence: u32::try_from(i + 1).unwrap_or(u32::MAX),
                        charges: item.lines.iter().filter_map(|l| charge(item, l)).collect(),
                    })
                    .collect();
            }
        }
        F::AwaitingPayment => {
            let due = n
                .payload
                .get("amountDue")
                .and_then(|a| a.as_str())
                .and_then(|a| a.parse::<Decimal>().ok());
            r.declaration.currency = n
                .payload
                .get("currency")
                .and_then(|c| c.as_str())
                .map(str::to_owned);
            r.declaration.payment = Some(Payment {
                reference: n
                    .payload
                    .get("paymentReference")
                    .and_then(|p| p.as_str())
                    .or(n.payment_reference)
                    .map(str::to_owned),
                assessed: None,
                payable: due,
            });
        }
        F::UnderControl | F::DocumentsRequested | F::Cleared | F::AmendmentAccepted => {}
    }
}

/// The duties a notification announces: for `registered`, those assessed
/// at lodging; for `duties_assessed`, the last assessment by then; for
/// `amended`, the assessment its amendment made (none if the amendment
/// left the duties as they were).
fn duties_of<'a>(n: &Notice<'a>) -> Option<&'a DutyResult> {
    // Stored times may lose precision (PostgreSQL keeps microseconds).
    let by = n.at + time::Duration::milliseconds(1);
    let assessed = |e: &'a Event| match &e.body {
        EventBody::DutiesAssessed { result } if e.at <= by => Some(result),
        _ => None,
    };
    let found = match n.kind {
        NotificationKind::Registered => n.events.iter().find_map(assessed),
        NotificationKind::DutiesAssessed => n.events.iter().rev().find_map(assessed),
        NotificationKind::Amended => {
            let amended = n
                .events
                .iter()
                .rposition(|e| matches!(e.body, EventBody::Amended { .. }) && e.at <= by)?;
            n.events[amended..]
                .iter()
                .skip(1)
                .take_while(|e| !matches!(e.body, EventBody::Amended { .. }))
                .find_map(assessed)
        }
        _ => None,
    }?;
    matches!(found, DutyResult::Assessed { .. }).then_some(found)
}

/// Violations (as stored in the payload) as DMS errors.
fn errors(list: Option<&serde_json::Value>) -> Vec<DmsError> {
    let Some(list) = list else {
        return Vec::new();
    };
    let Ok(violations) = serde_json::from_value::<Vec<Violation>>(list.clone()) else {
        return Vec::new();
    };
    violations.iter().map(error).collect()
}

/// One violation: the CDS code for its code, its own code and message
/// (and JSON pointer) in the description, the pointer of its XPath.
pub fn error(v: &Violation) -> DmsError {
    let mut description = format!("{}: {}", v.code, v.message);
    if !v.pointer.is_empty() {
        description.push_str(&format!(" (JSON pointer {})", v.pointer));
    }
    let pointers = v
        .xpath
        .as_deref()
        .and_then(pointers)
        .unwrap_or_else(declaration_pointer);
    DmsError {
        validation_code: validation_code(&v.code).to_owned(),
        description,
        pointers,
    }
}

/// Where an error without an element is: the declaration as a whole.
fn declaration_pointer() -> Vec<Pointer> {
    vec![Pointer {
        sequence: None,
        section: "42A".into(),
        tag: None,
    }]
}

/// The CDS tax type of a measure kind (`E00`, tamga's, for excise: CDS
/// writes the excise product's own code, which tamga's tariff lacks).
pub fn tax_type(kind: MeasureKind) -> Option<&'static str> {
    Some(match kind {
        MeasureKind::ThirdCountryDuty
        | MeasureKind::TariffPreference
        | MeasureKind::Suspension
        | MeasureKind::TariffQuota => "A00",
        MeasureKind::AdditionalDuty => "A20",
        MeasureKind::AntiDumping => "A30",
        MeasureKind::Countervailing => "A40",
        MeasureKind::Vat => "B00",
        MeasureKind::Excise => "E00",
        MeasureKind::Prohibition | MeasureKind::Restriction => return None,
    })
}

/// One charged line of an item.
fn charge(item: &ItemAssessment, l: &DutyLine) -> Option<Charge> {
    let type_code = tax_type(l.kind)?;
    let regime = match l.kind {
        MeasureKind::ThirdCountryDuty => Some("100".to_owned()),
        MeasureKind::TariffPreference => Some("300".to_owned()),
        _ => None,
    };
    let cv = item.customs_value_national.amount;
    let ad_valorem_base = if l.kind == MeasureKind::Vat {
        cv + item.customs_duty.amount + item.additional_duties.amount + item.excise.amount
    } else {
        cv
    };
    let (mut base_amount, mut base_quantity, mut rate) = (None, None, None);
    if let Ok(expr) = DutyExpression::parse(&l.expression) {
        let of_value = |t: &Term| matches!(t, Term::Percent { of_unit: None, .. });
        if expr.components.iter().any(|c| of_value(&c.term)) {
            base_amount = Some(ad_valorem_base);
        }
        if let [only] = expr.components.as_slice() {
            match &only.term {
                Term::Percent {
                    rate: r,
                    of_unit: None,
                } => rate = Some(*r),
                Term::Specific { amount, unit, .. } => {
                    rate = Some(*amount);
                    base_quantity =
                        quantity_used(&l.base, unit.key).map(|q| (q, unit.key.to_owned()));
                }
                Term::Percent { .. } => {}
            }
        }
    }
    Some(Charge {
        type_code: type_code.to_owned(),
        regime,
        base_amount,
        base_quantity,
        rate,
        assessed: l.amount.amount,
        payable: l.amount.amount,
    })
}

/// The quantity of `unit` a line's base text names (`"40 KGM"` among
/// `"; "`-separated parts).
fn quantity_used(base: &str, unit: &str) -> Option<Decimal> {
    base.split("; ").find_map(|part| {
        let (q, u) = part.trim().split_once(' ')?;
        u.eq_ignore_ascii_case(unit)
            .then(|| q.parse().ok())
            .flatten()
    })
}

#[cfg(test)]
mod tests;
