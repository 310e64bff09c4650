//! What economic operators see of risk decisions (issue 13, finding 3).
//!
//! A declarant learns its declaration's channel, never what led to it:
//! no criterion or risk-profile hits, factors, rates, seed, secret id or
//! draw. The stored `risk_assessed` event keeps the whole decision (its
//! hash covers it); operators get a redacted view of that event:
//!
//! - its `body.decision` is [`tamga_core::risk::RiskDecision::trader_view`]
//!   (channel and a sentence naming the channel only);
//! - the event is marked `"redacted": true` and carries no `payload` (the
//!   stored text would disclose the decision); its `payloadHash`, `hash`
//!   and `prevHash` are the stored ones, so an operator can still check
//!   that the chain links up (every hash over the previous one, and the
//!   payload of every other event), but cannot recompute the payload hash
//!   of a redacted event: officers, risk analysts and administrators, who
//!   see the whole body, can.
//!
//! Every event is served in the API's camelCase view, with the canonical
//! stored text beside it ([`tamga_core::event_view`]).
//!
//! Notifications about a declaration under control carry the same
//! channel-only explanation; those stored before this change are
//! rewritten when read (pull and webhook push).

use serde_json::Value;

use tamga_core::lifecycle::{Event, EventBody, NotificationKind};
use tamga_core::risk::trader_explanation;
use tamga_store::Notification;

use crate::Caller;

/// The event log as `caller` may see it.
pub fn event_log(caller: &Caller, events: Vec<Event>) -> Vec<Value> {
    let redact = matches!(caller, Caller::Operator(_));
    events
        .into_iter()
        .map(|e| {
            let view = match (&e.body, redact) {
                (
                    EventBody::RiskAssessed {
                        decision,
                        version,
                        channel,
                    },
                    true,
                ) => Some((decision.trader_view(), *version, *channel)),
                _ => None,
            };
            let mut v = tamga_core::event_view::api_view(&e);
            if let (Some((view, version, channel)), Some(obj)) = (view, v.as_object_mut()) {
                // An amendment's assessment also says which version it
                // assessed and the channel in force (the stricter one).
                let mut body = serde_json::json!({"kind": "risk_assessed", "decision": view});
                if let Some(version) = version {
                    body["version"] = version.into();
                }
                if let Some(channel) = channel {
                    body["channel"] = serde_json::to_value(channel).expect("channels serialize");
                }
                obj.insert("body".into(), tamga_core::event_view::camel_case_keys(body));
                obj.remove("payload");
                obj.insert("redacted".into(), Value::Bool(true));
            }
            v
        })
        .collect()
}

/// A notification as its recipient (an operator) may see it: an
/// `under_control` notification's explanation names the channel only.
pub fn for_operator(mut n: Notification) -> Notification {
    if n.kind == NotificationKind::UnderControl {
        let channel = n
            .payload
            .get("channel")
            .and_then(|c| serde_json::from_value(c.clone()).ok());
        if let (Some(obj), Some(channel)) = (n.payload.as_object_mut(), channel) {
            if obj.contains_key("explanation") {
                obj.insert(
                    "explanation".into(),
                    Value::String(trader_explanation(channel)),
                );
            }
        }
    }
    n
}
