//! `/trader/declarations/{mrn}`: one declaration as its operator may see
//! it: the status timeline (its events, risk redacted to the channel),
//! the duties explained per item and measure, the decisions with their
//! reasons, every notification the operator received about it, and the
//! acts possible in its state.

use askama::Template;
use serde_json::Value;

use tamga_app::{AppError, Caller, Clearance};
use tamga_core::codes::Mrn;
use tamga_core::lifecycle::{Channel, NotificationKind, State};

use super::{channel_name, state_name, when, when_text, Failure};
use crate::pages::{render, Frame};
use crate::{Ctx, Rendered, Tr};

struct Step {
    at: String,
    what: String,
    detail: String,
}

struct DutyLineView {
    measure: String,
    expression: String,
    base: String,
    amount: String,
}

struct ItemDuties {
    heading: String,
    value: String,
    lines: Vec<DutyLineView>,
    total: String,
}

struct Goods {
    sequence: String,
    code: String,
    description: String,
    origin: String,
    value: String,
}

#[derive(Template)]
#[template(path = "trader/detail.html")]
struct DetailPage {
    f: Frame,
    mrn: String,
    lrn: String,
    declarant: String,
    lodged_by: String,
    office: String,
    state: String,
    channel: String,
    channel_text: String,
    version: String,
    registered: String,
    timeline: Vec<Step>,
    notifications: Vec<Step>,
    goods: Vec<Goods>,
    duties: Vec<ItemDuties>,
    duties_total: String,
    open: bool,
}

/// A money object `{"amount", "currency"}` as text.
fn money(tr: &Tr, v: &Value) -> String {
    match (v["amount"].as_str(), v["currency"].as_str()) {
        (Some(a), Some(c)) => format!("{} {c}", tr.number(a)),
        _ => String::new(),
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// One event as a step of the timeline, in the page's language.
fn step(tr: &Tr, e: &Value) -> Step {
    let body = &e["body"];
    let kind = body["kind"].as_str().unwrap_or_default();
    let detail = match kind {
        "risk_assessed" => {
            let c = body["channel"]
                .as_str()
                .or(body["decision"]["channel"].as_str())
                .and_then(Channel::parse);
            c.map(|c| {
                format!(
                    "{}: {}",
                    channel_name(tr, c),
                    tr.t(&format!("trader-channel-{}-explain", c.as_str()))
                )
            })
            .unwrap_or_default()
        }
        "control_result_recorded" => {
            let outcome = tr.t(&format!(
                "trader-outcome-{}",
                body["outcome"].as_str().unwrap_or("unknown")
            ));
            match body["notes"].as_str() {
                Some(n) if !n.is_empty() => format!("{outcome}: {n}"),
                _ => outcome,
            }
        }
        "refused" | "invalidated" => text(&body["reason"]),
        "amended" => tr.t1("trader-version", "version", &text(&body["version"])),
        "registered" => text(&body["mrn"]),
        "duties_assessed" => money_total(tr, &body["result"]),
        "release_granted_pending_payment" => format!(
            "{} {}",
            tr.number(&text(&body["amount"])),
            text(&body["currency"])
        ),
        _ => String::new(),
    };
    let id = format!("trader-event-{}", kind.replace('_', "-"));
    Step {
        at: when_text(e["at"].as_str().unwrap_or_default()),
        what: if tr.has(&id) {
            tr.t(&id)
        } else {
            tr.t1("trader-event-other", "kind", kind)
        },
        detail,
    }
}

/// One notification the operator received, in the page's language.
fn notice(tr: &Tr, n: &tamga_store::Notification) -> Step {
    let p = &n.payload;
    let detail = match n.kind {
        NotificationKind::AwaitingPayment => tr.t2(
            "td-note-due",
            (
                "amount",
                &format!(
                    "{} {}",
                    tr.number(&text(&p["amountDue"])),
                    text(&p["currency"])
                ),
            ),
            ("reference", &text(&p["paymentReference"])),
        ),
        NotificationKind::Released if p["automatic"] == Value::Bool(true) => {
            tr.t("td-note-automatic")
        }
        NotificationKind::Refused | NotificationKind::AppealDecided => text(&p["reason"]),
        NotificationKind::Rejected | NotificationKind::RequestRejected => p["errors"]
            .as_array()
            .map(|es| {
                es.iter()
                    .filter_map(|e| e["code"].as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default(),
        _ => String::new(),
    };
    let id = format!("td-note-{}", n.kind.as_str().replace('_', "-"));
    Step {
        at: when(n.at),
        what: if tr.has(&id) {
            tr.t(&id)
        } else {
            n.kind.as_str().to_owned()
        },
        detail,
    }
}

fn money_total(tr: &Tr, result: &Value) -> String {
    match (result["total"].as_str(), result["currency"].as_str()) {
        (Some(t), Some(c)) => format!("{} {c}", tr.number(t)),
        _ => tr.t("trader-duties-not-assessed"),
    }
}

fn duties(tr: &Tr, result: &Value, goods: &[Goods]) -> Vec<ItemDuties> {
    let Some(items) = result["assessment"]["items"].as_array() else {
        return Vec::new();
    };
    items
        .iter()
        .enumerate()
        .map(|(i, it)| ItemDuties {
            heading: tr.t2(
                "trader-duties-item",
                (
                    "n",
                    &goods
                        .get(i)
                        .map(|g| g.sequence.clone())
                        .unwrap_or_else(|| (i + 1).to_string()),
                ),
                ("code", &text(&it["goodsCode"])),
            ),
            value: money(tr, &it["customsValueNational"]),
            lines: it["lines"]
                .as_array()
                .map(|ls| {
                    ls.iter()
                        .map(|l| DutyLineView {
                            measure: text(&l["measureType"]),
                            expression: text(&l["expression"]),
                            base: tr.engine(&text(&l["base"])),
                            amount: money(tr, &l["amount"]),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            total: money(tr, &it["total"]),
        })
        .collect()
}

pub async fn detail(
    c: &Clearance,
    ctx: &Ctx,
    caller: &Caller,
    mrn: &str,
) -> Result<Rendered, Failure> {
    let tr = ctx.tr;
    let mrn = Mrn::parse(mrn).map_err(|_| AppError::not_found(format!("declaration {mrn}")))?;
    let r = c.declaration(caller, &mrn).await?;
    let events = c.events(caller, &mrn).await?;
    let notifications = c.declaration_notifications(caller, &mrn).await?;
    let d = &r.declaration;
    let doc = serde_json::to_value(d).unwrap_or(Value::Null);
    let goods: Vec<Goods> = doc["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|it| Goods {
                    sequence: text(&it["sequence"]),
                    code: text(&it["hsCode"]),
                    description: text(&it["description"]),
                    origin: text(&it["origin"]),
                    value: format!(
                        "{} {}",
                        tr.number(&text(&it["itemPrice"])),
                        text(&doc["invoice"]["currency"])
                    ),
                })
                .collect()
        })
        .unwrap_or_default();
    let last_duties = events
        .iter()
        .rev()
        .find(|e| e["body"]["kind"] == "duties_assessed")
        .map(|e| e["body"]["result"].clone())
        .unwrap_or(Value::Null);
    let open = matches!(
        r.state,
        State::Registered | State::UnderControl | State::AwaitingPayment
    );
    Ok(render(
        &DetailPage {
            f: Frame::new(ctx, tr.t1("trader-detail-title", "mrn", mrn.as_str())),
            mrn: mrn.to_string(),
            lrn: r.lrn.to_string(),
            declarant: r.declarant.to_string(),
            lodged_by: r.lodged_by.to_string(),
            office: r.office.to_string(),
            state: state_name(&tr, r.state),
            channel: channel_name(&tr, r.channel),
            channel_text: tr.t(&format!("trader-channel-{}-explain", r.channel.as_str())),
            version: r.version.to_string(),
            registered: when(r.registered_at),
            timeline: events.iter().map(|e| step(&tr, e)).collect(),
            notifications: notifications.iter().map(|n| notice(&tr, n)).collect(),
            duties: duties(&tr, &last_duties, &goods),
            duties_total: if last_duties.is_null() {
                String::new()
            } else {
                money_total(&tr, &last_duties)
            },
            goods,
            open,
        },
        200,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_notification_kind_is_named_in_every_language() {
        let kinds = [
            "registered",
            "rejected",
            "under_control",
            "duties_assessed",
            "awaiting_payment",
            "released",
            "refused",
            "invalidated",
            "amended",
            "request_rejected",
            "signing_key_added",
            "operator_approved",
            "signing_key_revoked",
            "appeal_lodged",
            "appeal_decided",
        ];
        for lang in ["en", "ru"] {
            let tr = Tr::new(lang);
            for k in kinds {
                let kind: NotificationKind = serde_json::from_value(serde_json::json!(k)).unwrap();
                assert_eq!(kind.as_str(), k);
                assert!(
                    tr.has(&format!("td-note-{}", k.replace('_', "-"))),
                    "{lang} {k}"
                );
            }
        }
        // Waiting for payment names the amount and the reference.
        let n = tamga_store::Notification {
            id: 1,
            recipient: tamga_core::codes::Eori::parse("UZ000000000101").unwrap(),
            kind: NotificationKind::AwaitingPayment,
            mrn: None,
            lrn: None,
            at: time::OffsetDateTime::UNIX_EPOCH,
            payload: serde_json::json!({"amountDue": "1250.50", "currency": "UZS", "paymentReference": "TG-42"}),
        };
        let s = notice(&Tr::new("en"), &n);
        assert_eq!(s.what, "Waiting for payment");
        assert!(
            s.detail.contains("1,250.50 UZS") && s.detail.contains("TG-42"),
            "{}",
            s.detail
        );
    }
}
