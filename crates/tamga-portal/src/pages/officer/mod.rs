//! The officer's and inspector's work area (`/officer…`): the office
//! queue with my own inspection tasks ([`queue`]), and a declaration's
//! task page with its risk hits, goods, documents, history and duties and
//! the acts possible now ([`declaration`]).
//!
//! Every act is signed in the browser (`static/sign.js`): the server
//! builds the exact compact JSON body the API's officer act takes
//! ([`act_body`]), the page shows what is signed, and the browser signs
//! that text with the officer's WebCrypto Ed25519 key. The HTTP layer
//! hands the signed text to the same service function the API route
//! calls, so the rules and error codes are the API's.

pub mod declaration;
pub mod queue;
mod values;

use serde_json::{json, Value};

use crate::Ctx;

/// An officer act the pages can prepare and sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// `POST …/control-result`: a control result (compliant or findings).
    Control,
    /// `POST …/release`.
    Release,
    /// `POST …/refusal`, with a reason.
    Refusal,
    /// `POST /api/v1/workbench/tasks/{mrn}/result`: an inspection task's
    /// result with its findings.
    TaskResult,
}

impl Act {
    /// The act's name in page paths and queries.
    pub fn slug(self) -> &'static str {
        match self {
            Act::Control => "control",
            Act::Release => "release",
            Act::Refusal => "refusal",
            Act::TaskResult => "task-result",
        }
    }

    pub fn parse(s: &str) -> Option<Act> {
        [Act::Control, Act::Release, Act::Refusal, Act::TaskResult]
            .into_iter()
            .find(|a| a.slug() == s)
    }

    /// The `"act"` the signed body names.
    fn wire(self) -> &'static str {
        match self {
            Act::Control => "control_result",
            Act::Release => "release",
            Act::Refusal => "refusal",
            Act::TaskResult => "task_result",
        }
    }
}

/// What the officer typed for an act before signing it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActInput {
    /// `compliant` or `findings`.
    pub outcome: String,
    pub notes: String,
    pub reason: String,
    /// A task result's finding (with outcome `findings`): its kind, goods
    /// item, corrected value and description.
    pub kind: String,
    pub item: String,
    pub corrected: String,
    pub description: String,
}

impl ActInput {
    /// The input of a page query or a posted form (`get` of a name).
    pub fn read<'a>(get: impl Fn(&str) -> Option<&'a str>) -> ActInput {
        let g = |n: &str| get(n).unwrap_or_default().trim().to_owned();
        ActInput {
            outcome: g("outcome"),
            notes: g("notes"),
            reason: g("reason"),
            kind: g("kind"),
            item: g("item"),
            corrected: g("correctedValue"),
            description: g("description"),
        }
    }
}

/// The exact compact JSON body of `act` on `version` of `mrn` (one line:
/// newlines in texts are escaped, so the browser keeps the text as is).
/// The service checks every field; this only writes what was typed.
pub fn act_body(act: Act, mrn: &str, version: u32, input: &ActInput) -> String {
    let mut b = json!({"mrn": mrn, "act": act.wire(), "version": version});
    let set = |b: &mut Value, k: &str, v: &str| {
        if !v.is_empty() {
            b[k] = Value::String(v.to_owned());
        }
    };
    match act {
        Act::Release => {}
        Act::Refusal => b["reason"] = Value::String(input.reason.clone()),
        Act::Control => {
            b["outcome"] = Value::String(input.outcome.clone());
            set(&mut b, "notes", &input.notes);
        }
        Act::TaskResult => {
            b["outcome"] = Value::String(input.outcome.clone());
            if input.outcome == "findings" {
                let mut f = json!({"kind": input.kind});
                if !input.item.is_empty() {
                    f["item"] = match input.item.parse::<u64>() {
                        Ok(n) => Value::from(n),
                        Err(_) => Value::String(input.item.clone()),
                    };
                }
                set(&mut f, "correctedValue", &input.corrected);
                set(&mut f, "description", &input.description);
                b["findings"] = json!([f]);
            }
            set(&mut b, "notes", &input.notes);
        }
    }
    b.to_string()
}

/// The message of an act's error code in the page's language (the code
/// itself is shown beside it).
pub fn act_error(ctx: &Ctx, code: &str) -> String {
    let id = format!("officer-error-{code}");
    if ctx.tr.has(&id) {
        ctx.tr.t(&id)
    } else {
        ctx.tr.t1("officer-error-other", "code", code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn act_bodies_are_one_line_and_name_the_act() {
        let input = ActInput {
            outcome: "findings".into(),
            notes: "two\nlines".into(),
            kind: "undervaluation".into(),
            item: "1".into(),
            corrected: "2500".into(),
            ..Default::default()
        };
        let b = act_body(Act::TaskResult, "26XX", 2, &input);
        assert!(!b.contains('\n'));
        let v: Value = serde_json::from_str(&b).unwrap();
        assert_eq!(v["act"], "task_result");
        assert_eq!(v["version"], 2);
        assert_eq!(v["findings"][0]["item"], 1);
        assert_eq!(v["notes"], "two\nlines");
        let r: Value = serde_json::from_str(&act_body(Act::Release, "26XX", 1, &input)).unwrap();
        assert_eq!(r, json!({"mrn": "26XX", "act": "release", "version": 1}));
        let c: Value = serde_json::from_str(&act_body(
            Act::Control,
            "M",
            1,
            &ActInput {
                outcome: "compliant".into(),
                ..Default::default()
            },
        ))
        .unwrap();
        assert_eq!(
            c,
            json!({"mrn": "M", "act": "control_result", "version": 1, "outcome": "compliant"})
        );
        assert_eq!(Act::parse("task-result"), Some(Act::TaskResult));
        assert_eq!(Act::parse("x"), None);
    }
}
