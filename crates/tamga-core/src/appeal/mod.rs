//! Appeals against customs decisions (issue 16): what a trader signs to
//! appeal a decision on its declaration, and what an appeals officer
//! signs to decide it. Pure: no IO, the bodies come in as bytes.
//!
//! - The appeal body is signed by the appellant (the declarant, or its
//!   representative under a mandate) with its registered key, exactly as
//!   sent: `{"act": "appeal", "mrn": "<MRN>", "subject": "refusal" |
//!   "duty_assessment" | "control_result", "reason": "...", "attachments":
//!   [{"name": "...", "mediaType": "...", "contentBase64": "..."}]}`. The
//!   attachments' content travels *inside* the signed body (base64), so the
//!   signature covers the documents themselves, not a hash a client might
//!   compute wrongly; a separate upload would need its own binding. The
//!   price is a larger body (at most [`MAX_ATTACHMENTS`] ×
//!   [`MAX_ATTACHMENT_BYTES`] of content, about 13.4 MiB of base64: see
//!   [`MAX_APPEAL_BODY`]).
//! - The decision body is signed by the appeals officer: `{"act":
//!   "appeal_decision", "appeal": <id>, "mrn": "<MRN>", "outcome": "upheld"
//!   | "dismissed", "reason": "..."}`; naming the appeal and the MRN, it
//!   cannot be replayed on another appeal.
//! - Both parses are strict: unknown members are refused, every problem
//!   has a stable code and a JSON pointer. Reasons are 1 to
//!   [`MAX_REASON_CHARS`] characters once trimmed; attachment names have no
//!   path separators, quotes or control characters and at most
//!   [`MAX_NAME_CHARS`] characters; media types are PDF, PNG, JPEG or plain
//!   text, and the content must look like its type (magic bytes; plain
//!   text is UTF-8 without NUL), so a file is never served as something it
//!   is not.
//! - [`appealed_act`] finds the decision an appeal is against in the
//!   declaration's events: the refusal, the last control result or the last
//!   duty assessment.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::codes::Mrn;
use crate::lifecycle::{Actor, Event, EventBody};
pub use crate::mandate::BodyError;

/// The most attachments one appeal carries.
pub const MAX_ATTACHMENTS: usize = 5;
/// The largest attachment (decoded bytes): 2 MiB.
pub const MAX_ATTACHMENT_BYTES: usize = 2 * 1024 * 1024;
/// The longest attachment name, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// The longest reason (appeal or decision), in characters after trimming.
pub const MAX_REASON_CHARS: usize = 4000;
/// The largest signed appeal body: the attachments at their largest in
/// base64 (5 × 2,796,204 bytes) and room for the rest (reason, names).
pub const MAX_APPEAL_BODY: usize = 14 * 1024 * 1024;

/// The body is not a well-formed appeal or decision (JSON, object,
/// unknown or missing members, wrong types, a bad MRN).
pub const APPEAL_INVALID: &str = "APPEAL_INVALID";
/// `"act"` is not the act of the endpoint (`appeal`, `appeal_decision`).
pub const APPEAL_ACT: &str = "APPEAL_ACT";
/// `"subject"` is not one of refusal, duty_assessment, control_result.
pub const APPEAL_SUBJECT: &str = "APPEAL_SUBJECT";
/// `"reason"` is empty or longer than [`MAX_REASON_CHARS`].
pub const APPEAL_REASON: &str = "APPEAL_REASON";
/// `"attachments"` is not an array of at most [`MAX_ATTACHMENTS`].
pub const APPEAL_ATTACHMENTS: &str = "APPEAL_ATTACHMENTS";
/// An attachment name is empty, too long, or has a path separator, a quote
/// or a control character, or starts with a dot.
pub const APPEAL_ATTACHMENT_NAME: &str = "APPEAL_ATTACHMENT_NAME";
/// An attachment's media type is not one of [`MediaType`]'s.
pub const APPEAL_ATTACHMENT_MEDIA_TYPE: &str = "APPEAL_ATTACHMENT_MEDIA_TYPE";
/// An attachment is larger than [`MAX_ATTACHMENT_BYTES`].
pub const APPEAL_ATTACHMENT_TOO_LARGE: &str = "APPEAL_ATTACHMENT_TOO_LARGE";
/// An attachment's content is not base64, is empty, or does not look like
/// its media type.
pub const APPEAL_ATTACHMENT_CONTENT: &str = "APPEAL_ATTACHMENT_CONTENT";
/// `"outcome"` is not upheld or dismissed.
pub const APPEAL_OUTCOME: &str = "APPEAL_OUTCOME";

fn err(code: &'static str, pointer: impl Into<String>, message: impl Into<String>) -> BodyError {
    BodyError {
        code,
        pointer: pointer.into(),
        message: message.into(),
    }
}

/// An appeal's id: a positive integer the store gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AppealId(i64);

impl AppealId {
    pub fn new(id: i64) -> Option<AppealId> {
        (id >= 1).then_some(AppealId(id))
    }
    /// The id in a path or a signed body: decimal digits, at least 1.
    pub fn parse(s: &str) -> Option<AppealId> {
        if s.is_empty() || s.len() > 18 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok().and_then(AppealId::new)
    }
    pub fn get(self) -> i64 {
        self.0
    }
}

impl std::fmt::Display for AppealId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// The decision an appeal is against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AppealSubject {
    /// The refusal of release.
    Refusal,
    /// The duties assessed.
    DutyAssessment,
    /// An officer's control result (the last one recorded).
    ControlResult,
}

impl AppealSubject {
    pub const ALL: [AppealSubject; 3] = [
        AppealSubject::Refusal,
        AppealSubject::DutyAssessment,
        AppealSubject::ControlResult,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            AppealSubject::Refusal => "refusal",
            AppealSubject::DutyAssessment => "duty_assessment",
            AppealSubject::ControlResult => "control_result",
        }
    }
    pub fn parse(s: &str) -> Option<AppealSubject> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// Where an appeal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AppealStatus {
    /// Lodged, not decided yet.
    Lodged,
    /// Decided in the appellant's favour.
    Upheld,
    /// Decided against the appellant.
    Dismissed,
}

impl AppealStatus {
    pub const ALL: [AppealStatus; 3] = [
        AppealStatus::Lodged,
        AppealStatus::Upheld,
        AppealStatus::Dismissed,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            AppealStatus::Lodged => "lodged",
            AppealStatus::Upheld => "upheld",
            AppealStatus::Dismissed => "dismissed",
        }
    }
    pub fn parse(s: &str) -> Option<AppealStatus> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// What an appeals officer decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AppealOutcome {
    Upheld,
    Dismissed,
}

impl AppealOutcome {
    pub fn as_str(self) -> &'static str {
        self.status().as_str()
    }
    /// The status an appeal has once decided so.
    pub fn status(self) -> AppealStatus {
        match self {
            AppealOutcome::Upheld => AppealStatus::Upheld,
            AppealOutcome::Dismissed => AppealStatus::Dismissed,
        }
    }
    pub fn parse(s: &str) -> Option<AppealOutcome> {
        match s {
            "upheld" => Some(AppealOutcome::Upheld),
            "dismissed" => Some(AppealOutcome::Dismissed),
            _ => None,
        }
    }
}

/// The media types an attachment may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MediaType {
    #[serde(rename = "application/pdf")]
    Pdf,
    #[serde(rename = "image/png")]
    Png,
    #[serde(rename = "image/jpeg")]
    Jpeg,
    #[serde(rename = "text/plain")]
    PlainText,
}

impl MediaType {
    pub const ALL: [MediaType; 4] = [
        MediaType::Pdf,
        MediaType::Png,
        MediaType::Jpeg,
        MediaType::PlainText,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::Pdf => "application/pdf",
            MediaType::Png => "image/png",
            MediaType::Jpeg => "image/jpeg",
            MediaType::PlainText => "text/plain",
        }
    }
    /// The exact type (no parameters; `text/plain` is read as UTF-8).
    pub fn parse(s: &str) -> Option<MediaType> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
    /// The `Content-Type` a download is served with.
    pub fn content_type(self) -> &'static str {
        match self {
            MediaType::PlainText => "text/plain; charset=utf-8",
            other => other.as_str(),
        }
    }
    /// Whether `bytes` look like this type: the PDF, PNG and JPEG magic
    /// numbers; plain text is UTF-8 without NUL.
    pub fn matches(self, bytes: &[u8]) -> bool {
        match self {
            MediaType::Pdf => bytes.starts_with(b"%PDF-"),
            MediaType::Png => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
            MediaType::Jpeg => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
            MediaType::PlainText => std::str::from_utf8(bytes).is_ok() && !bytes.contains(&0),
        }
    }
}

/// A reason given by the appellant or the appeals officer: trimmed, 1 to
/// [`MAX_REASON_CHARS`] characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Reason(String);

impl Reason {
    pub fn parse(s: &str) -> Option<Reason> {
        let t = s.trim();
        let n = t.chars().count();
        (1..=MAX_REASON_CHARS)
            .contains(&n)
            .then(|| Reason(t.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An attachment's file name: no path, nothing a header or a file system
/// would read otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AttachmentName(String);

impl AttachmentName {
    pub fn parse(s: &str) -> Option<AttachmentName> {
        let n = s.chars().count();
        let clean = s.chars().all(|c| {
            !c.is_control() && !matches!(c, '/' | '\\' | '"' | ':' | '*' | '?' | '<' | '>' | '|')
        });
        ((1..=MAX_NAME_CHARS).contains(&n) && clean && !s.starts_with('.') && s.trim() == s)
            .then(|| AttachmentName(s.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An attachment as received: its name, type and decoded content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub name: AttachmentName,
    pub media_type: MediaType,
    pub content: Vec<u8>,
}

/// A signed appeal body, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppealBody {
    pub mrn: Mrn,
    pub subject: AppealSubject,
    pub reason: Reason,
    pub attachments: Vec<Attachment>,
}

/// A signed decision body, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionBody {
    pub appeal: AppealId,
    pub mrn: Mrn,
    pub outcome: AppealOutcome,
    pub reason: Reason,
}

fn object(body: &[u8], known: &[&str]) -> Result<Map<String, Value>, BodyError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        err(
            APPEAL_INVALID,
            "",
            format!("the body is not valid JSON: {e}"),
        )
    })?;
    let Value::Object(m) = v else {
        return Err(err(APPEAL_INVALID, "", "the body must be a JSON object"));
    };
    members(&m, known, "")?;
    Ok(m)
}

/// Refuses a member not in `known` (at `/<at>/<member>`).
fn members(m: &Map<String, Value>, known: &[&str], at: &str) -> Result<(), BodyError> {
    if let Some(k) = m.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(err(
            APPEAL_INVALID,
            format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
            format!("unknown member {k:?}; known: {}", known.join(", ")),
        ));
    }
    Ok(())
}

fn string<'a>(m: &'a Map<String, Value>, field: &str, at: &str) -> Result<&'a str, BodyError> {
    match m.get(field) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(err(
            APPEAL_INVALID,
            format!("{at}/{field}"),
            format!("{field} must be a string"),
        )),
        None => Err(err(
            APPEAL_INVALID,
            format!("{at}/{field}"),
            format!("{field} is required"),
        )),
    }
}

fn act(m: &Map<String, Value>, expected: &str) -> Result<(), BodyError> {
    if m.get("act").and_then(Value::as_str) != Some(expected) {
        return Err(err(
            APPEAL_ACT,
            "/act",
            format!("the signed body names the act it is for: \"act\": \"{expected}\""),
        ));
    }
    Ok(())
}

fn mrn(m: &Map<String, Value>) -> Result<Mrn, BodyError> {
    Mrn::parse(string(m, "mrn", "")?).map_err(|e| err(APPEAL_INVALID, "/mrn", e.message))
}

fn reason(m: &Map<String, Value>) -> Result<Reason, BodyError> {
    let s = string(m, "reason", "").map_err(|mut e| {
        e.code = APPEAL_REASON;
        e
    })?;
    Reason::parse(s).ok_or_else(|| {
        err(
            APPEAL_REASON,
            "/reason",
            format!("give a reason of 1 to {MAX_REASON_CHARS} characters"),
        )
    })
}

/// The largest base64 text of [`MAX_ATTACHMENT_BYTES`] (padded).
const MAX_ATTACHMENT_B64: usize = MAX_ATTACHMENT_BYTES.div_ceil(3) * 4;

// The largest appeal (every attachment at its largest, with room for the
// reason, names and JSON around them) fits the body limit.
const _: () = assert!(MAX_ATTACHMENTS * MAX_ATTACHMENT_B64 + 64 * 1024 < MAX_APPEAL_BODY);

fn attachment(v: &Value, i: usize) -> Result<Attachment, BodyError> {
    let at = format!("/attachments/{i}");
    let Value::Object(m) = v else {
        return Err(err(
            APPEAL_ATTACHMENTS,
            at,
            "an attachment is {\"name\", \"mediaType\", \"contentBase64\"}",
        ));
    };
    members(m, &["name", "mediaType", "contentBase64"], &at)?;
    let name = string(m, "name", &at)?;
    let name = AttachmentName::parse(name).ok_or_else(|| {
        err(
            APPEAL_ATTACHMENT_NAME,
            format!("{at}/name"),
            format!("a file name of 1 to {MAX_NAME_CHARS} characters, without path separators, quotes, control characters or a leading dot"),
        )
    })?;
    let media = string(m, "mediaType", &at)?;
    let media_type = MediaType::parse(media).ok_or_else(|| {
        err(
            APPEAL_ATTACHMENT_MEDIA_TYPE,
            format!("{at}/mediaType"),
            format!(
                "{media:?} is not accepted: one of {}",
                MediaType::ALL.map(MediaType::as_str).join(", ")
            ),
        )
    })?;
    let text = string(m, "contentBase64", &at)?;
    let too_large = || {
        err(
            APPEAL_ATTACHMENT_TOO_LARGE,
            format!("{at}/contentBase64"),
            format!(
                "an attachment is at most {} MiB",
                MAX_ATTACHMENT_BYTES / (1024 * 1024)
            ),
        )
    };
    if text.len() > MAX_ATTACHMENT_B64 {
        return Err(too_large());
    }
    let content = B64.decode(text).map_err(|e| {
        err(
            APPEAL_ATTACHMENT_CONTENT,
            format!("{at}/contentBase64"),
            format!("the content is not base64 (standard alphabet, padded): {e}"),
        )
    })?;
    if content.len() > MAX_ATTACHMENT_BYTES {
        return Err(too_large());
    }
    if content.is_empty() || !media_type.matches(&content) {
        return Err(err(
            APPEAL_ATTACHMENT_CONTENT,
            format!("{at}/contentBase64"),
            format!("the content is empty or is not {}", media_type.as_str()),
        ));
    }
    Ok(Attachment {
        name,
        media_type,
        content,
    })
}

impl AppealBody {
    /// The signed appeal body, every member checked (see the module doc).
    pub fn parse(body: &[u8]) -> Result<AppealBody, BodyError> {
        let m = object(body, &["act", "mrn", "subject", "reason", "attachments"])?;
        act(&m, "appeal")?;
        let mrn = mrn(&m)?;
        let subject = string(&m, "subject", "")
            .ok()
            .and_then(AppealSubject::parse)
            .ok_or_else(|| {
                err(
                    APPEAL_SUBJECT,
                    "/subject",
                    "the decision appealed: refusal, duty_assessment or control_result",
                )
            })?;
        let reason = reason(&m)?;
        let none = Vec::new();
        let items = match m.get("attachments") {
            None | Some(Value::Null) => &none,
            Some(Value::Array(a)) => a,
            Some(_) => {
                return Err(err(
                    APPEAL_ATTACHMENTS,
                    "/attachments",
                    "attachments is an array",
                ))
            }
        };
        if items.len() > MAX_ATTACHMENTS {
            return Err(err(
                APPEAL_ATTACHMENTS,
                "/attachments",
                format!("at most {MAX_ATTACHMENTS} attachments"),
            ));
        }
        let attachments = items
            .iter()
            .enumerate()
            .map(|(i, v)| attachment(v, i))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(AppealBody {
            mrn,
            subject,
            reason,
            attachments,
        })
    }
}

impl DecisionBody {
    /// The signed decision body, every member checked.
    pub fn parse(body: &[u8]) -> Result<DecisionBody, BodyError> {
        let m = object(body, &["act", "appeal", "mrn", "outcome", "reason"])?;
        act(&m, "appeal_decision")?;
        let appeal = m
            .get("appeal")
            .and_then(Value::as_i64)
            .and_then(AppealId::new)
            .ok_or_else(|| {
                err(
                    APPEAL_INVALID,
                    "/appeal",
                    "the signed decision names the appeal it decides: \"appeal\": <id>",
                )
            })?;
        let mrn = mrn(&m)?;
        let outcome = string(&m, "outcome", "")
            .ok()
            .and_then(AppealOutcome::parse)
            .ok_or_else(|| err(APPEAL_OUTCOME, "/outcome", "upheld or dismissed"))?;
        let reason = reason(&m)?;
        Ok(DecisionBody {
            appeal,
            mrn,
            outcome,
            reason,
        })
    }
}

/// The decision an appeal is against, as recorded in the declaration's
/// events: its position, kind and who made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppealedAct {
    /// The event's `seq`.
    pub seq: u32,
    /// The event's kind (`refused`, `control_result_recorded`,
    /// `duties_assessed`).
    pub kind: String,
    pub actor: Actor,
}

impl AppealedAct {
    /// The customs user who made the act, if an officer did (duties are
    /// assessed by tamga itself).
    pub fn officer(&self) -> Option<&str> {
        match &self.actor {
            Actor::Officer(u) => Some(u),
            _ => None,
        }
    }
}

/// The act an appeal on `subject` is against: the refusal, the last
/// control result, or the last duty assessment; `None` when the
/// declaration has no such decision.
pub fn appealed_act(subject: AppealSubject, events: &[Event]) -> Option<AppealedAct> {
    events
        .iter()
        .rev()
        .find(|e| {
            matches!(
                (&e.body, subject),
                (EventBody::Refused { .. }, AppealSubject::Refusal)
                    | (
                        EventBody::ControlResultRecorded { .. },
                        AppealSubject::ControlResult
                    )
                    | (
                        EventBody::DutiesAssessed { .. },
                        AppealSubject::DutyAssessment
                    )
            )
        })
        .map(|e| AppealedAct {
            seq: e.seq,
            kind: e.body.kind().to_owned(),
            actor: e.actor.clone(),
        })
}

#[cfg(test)]
mod tests;
