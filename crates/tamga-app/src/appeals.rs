//! Appeals against customs decisions (issue 16): a trader (or its
//! representative under a mandate) appeals a refusal, a duty assessment
//! or a control result on its declaration, with a reason and attachments;
//! an appeals officer decides: upheld or dismissed, with a reason. Both
//! acts are signed (detached Ed25519 over the exact body,
//! [`tamga_core::appeal`] says what the bodies are).
//!
//! The service API, for the HTTP routes and the portal's pages alike:
//! [`lodge`], [`list`], [`get`], [`attachment`] and [`decide`], each taking
//! the [`Caller`].
//!
//! Rules:
//! - Lodging: an economic operator, the declaration's declarant or a
//!   representative with a mandate covering the declaration now (read
//!   from the database, like an amendment's: 403 `APPEAL_MANDATE`);
//!   the declaration must be one the caller may see (else 404) and have
//!   the decision appealed (409 `APPEAL_NO_SUCH_DECISION`); one open appeal
//!   per declaration and subject (409 `APPEAL_OPEN`); the same signed body
//!   again is a replay (`replay: true`, recorded once). Signature problems
//!   are 422 `APPEAL_SIGNATURE_*`.
//! - Deciding: appeals officers only, with a registered key (422
//!   `OFFICER_SIGNATURE_*` as for every officer act); not the officer who
//!   made the act appealed (403 `APPEAL_OWN_ACT`; duties are assessed by
//!   tamga, so no officer made that one); once (409 `APPEAL_DECIDED`; the
//!   same signed decision again is a replay).
//! - Reading: an operator reads the appeals it lodged or that are on its
//!   declarations (another's is 404, never 403, so existence is not
//!   disclosed); appeals officers and administrators read all; officers
//!   read those of their offices' declarations.
//!
//! An appeal does not change the declaration or its event chain: it is a
//! record of its own (with an audit entry and the trader's notifications
//! for each act). What follows an upheld appeal (a new assessment, a
//! refund, a new lodging) is a separate act.

use time::OffsetDateTime;

use tamga_core::appeal::{
    appealed_act, AppealBody, AppealId, AppealStatus, AppealSubject, BodyError, DecisionBody,
    MAX_APPEAL_BODY,
};
use tamga_core::codes::{Eori, Lrn, Mrn};
use tamga_core::lifecycle::{NewNotification, NotificationKind};
use tamga_store::{
    AppealAudit, AppealDecision, AppealLodging, AppealQuery, AppealRecord, AttachmentMeta,
    NewAppeal, NewAttachment, Role, SignedBody,
};

use crate::clearance::{sha256_hex, signed_json, Caller, Clearance, Signed};
use crate::error::AppError;

/// A signed appeal body above [`MAX_APPEAL_BODY`] bytes (400).
pub const APPEAL_TOO_LARGE: &str = "APPEAL_TOO_LARGE";
/// The declaration has no decision of the subject appealed (409).
pub const APPEAL_NO_SUCH_DECISION: &str = "APPEAL_NO_SUCH_DECISION";
/// An appeal on the same declaration and subject is still open (409).
pub const APPEAL_OPEN: &str = "APPEAL_OPEN";
/// A representative without a mandate covering the declaration (403).
pub const APPEAL_MANDATE: &str = "APPEAL_MANDATE";
/// The appeals officer made the act appealed (403).
pub const APPEAL_OWN_ACT: &str = "APPEAL_OWN_ACT";
/// The appeal is decided already, by another signed decision (409).
pub const APPEAL_DECIDED: &str = "APPEAL_DECIDED";
/// The signed decision names another appeal than the path's (400).
pub const APPEAL_SIGNED_ID: &str = "APPEAL_SIGNED_ID";
/// The signed decision names another declaration than the appeal's (400).
pub const APPEAL_SIGNED_MRN: &str = "APPEAL_SIGNED_MRN";
/// Signature problems of an appeal (422).
pub const APPEAL_SIGNATURE_MISSING: &str = "APPEAL_SIGNATURE_MISSING";
pub const APPEAL_SIGNATURE_INVALID: &str = "APPEAL_SIGNATURE_INVALID";
pub const APPEAL_SIGNING_KEY_UNKNOWN: &str = "APPEAL_SIGNING_KEY_UNKNOWN";
pub const APPEAL_SIGNING_KEY_REVOKED: &str = "APPEAL_SIGNING_KEY_REVOKED";

/// The most appeals one list answers.
pub const MAX_LIST: u32 = 500;

/// Who reads appeals beyond their parties.
const READERS: &[Role] = &[Role::AppealsOfficer, Role::Admin, Role::Officer];
/// Who decides appeals.
const DECIDERS: &[Role] = &[Role::AppealsOfficer];

/// A lodging as answered: the appeal, and whether this signed body was
/// lodged before (nothing was written now).
#[derive(Debug, Clone)]
pub struct Lodged {
    pub appeal: AppealRecord,
    pub replay: bool,
}

/// A decision as answered: the decided appeal, and whether this signed
/// decision was recorded before.
#[derive(Debug, Clone)]
pub struct Decided {
    pub appeal: AppealRecord,
    pub replay: bool,
}

/// Which of the caller's appeals to list.
#[derive(Debug, Clone, Copy)]
pub struct AppealFilter {
    pub status: Option<AppealStatus>,
    /// 1 to [`MAX_LIST`].
    pub limit: u32,
}

/// An attachment to download: what it is and its bytes.
#[derive(Debug, Clone)]
pub struct AttachmentFile {
    pub meta: AttachmentMeta,
    pub content: Vec<u8>,
}

/// One step of an appeal's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineStep {
    /// `lodged`, then `upheld` or `dismissed`.
    pub status: AppealStatus,
    pub at: OffsetDateTime,
    /// `operator:<EORI>` or `user:<username>`.
    pub by: String,
}

/// What happened to an appeal, in order: lodged, then decided.
pub fn timeline(a: &AppealRecord) -> Vec<TimelineStep> {
    let mut t = vec![TimelineStep {
        status: AppealStatus::Lodged,
        at: a.lodged_at,
        by: format!("operator:{}", a.appellant),
    }];
    if let Some(d) = &a.decision {
        t.push(TimelineStep {
            status: d.status,
            at: d.decided_at,
            by: format!("user:{}", d.decided_by),
        });
    }
    t
}

fn body_error(e: BodyError) -> AppError {
    AppError::bad_request(e.code, e.pointer, e.message)
}

/// Whether the caller may read the appeal (see the module doc).
pub fn can_see(caller: &Caller, a: &AppealRecord) -> bool {
    match caller {
        Caller::Operator(op) => &a.declarant == op || &a.appellant == op,
        Caller::User(u) if !u.active => false,
        Caller::User(u) if u.has_any(&[Role::AppealsOfficer, Role::Admin]) => true,
        Caller::User(u) if u.has(Role::Officer) => u.offices.contains(&a.office),
        Caller::User(_) => false,
    }
}

/// Customs users without a reading role are refused outright (403);
/// operators always read their own.
fn require_reader(caller: &Caller) -> Result<(), AppError> {
    match caller {
        Caller::Operator(_) => Ok(()),
        Caller::User(_) => caller.require(READERS).map(|_| ()),
    }
}

/// The declarant and, when another lodged the appeal, the appellant.
fn notify(
    a: (&Eori, &Eori),
    kind: NotificationKind,
    mrn: &Mrn,
    lrn: Option<&Lrn>,
    at: OffsetDateTime,
    payload: serde_json::Value,
) -> Vec<NewNotification> {
    let (declarant, appellant) = a;
    let mut to = vec![declarant.clone()];
    if appellant != declarant {
        to.push(appellant.clone());
    }
    to.into_iter()
        .map(|recipient| NewNotification {
            recipient,
            kind,
            mrn: Some(mrn.clone()),
            lrn: lrn.cloned(),
            at,
            payload: payload.clone(),
        })
        .collect()
}

/// Lodges a signed appeal (see the module doc for who may and when).
#[tracing::instrument(skip_all, fields(caller = %caller.label()))]
pub async fn lodge(c: &Clearance, caller: &Caller, s: Signed<'_>) -> Result<Lodged, AppError> {
    let Caller::Operator(op) = caller else {
        return Err(AppError::Forbidden(
            "appeals are lodged by economic operators (the declarant or its representative)".into(),
        ));
    };
    if s.body.len() > MAX_APPEAL_BODY {
        return Err(AppError::bad_request(
            APPEAL_TOO_LARGE,
            "",
            format!("a signed appeal body is at most {MAX_APPEAL_BODY} bytes"),
        ));
    }
    let text = std::str::from_utf8(s.body).map_err(|_| {
        AppError::bad_request(
            tamga_core::appeal::APPEAL_INVALID,
            "",
            "the body is not UTF-8",
        )
    })?;
    let body = AppealBody::parse(s.body).map_err(body_error)?;
    // A repeated key reads two ways: refused (400 `REQUEST_JSON`).
    signed_json(text)?;
    let signing_key = c.verify(op, &s).await.map_err(|v| {
        let code = match v.code.as_str() {
            "FLC-SIGNATURE-MISSING" => APPEAL_SIGNATURE_MISSING,
            "FLC-SIGNING-KEY-UNKNOWN" => APPEAL_SIGNING_KEY_UNKNOWN,
            "FLC-SIGNING-KEY-REVOKED" => APPEAL_SIGNING_KEY_REVOKED,
            _ => APPEAL_SIGNATURE_INVALID,
        };
        AppError::Signature {
            code,
            message: format!(
                "{} (the appellant signs the exact body with its registered key)",
                v.message
            ),
        }
    })?;
    let body_sha256 = sha256_hex(s.body);
    if let Some(existing) = c.store().appeal_by_body(&body_sha256).await? {
        if can_see(caller, &existing) {
            return Ok(Lodged {
                appeal: existing,
                replay: true,
            });
        }
    }
    let rec = c.declaration(caller, &body.mrn).await?;
    let now = OffsetDateTime::now_utc();
    if *op != rec.declarant {
        if let Err(v) = c.representation(op, &rec.declaration, now).await? {
            return Err(AppError::Denied {
                code: APPEAL_MANDATE,
                message: format!(
                    "only the declarant {} or its representative under a mandate covering the declaration appeals: {}",
                    rec.declarant, v.message
                ),
            });
        }
    }
    let events = c.store().events(&rec.mrn).await?;
    let appealed = appealed_act(body.subject, &events).ok_or_else(|| AppError::Conflict {
        code: APPEAL_NO_SUCH_DECISION,
        pointer: "/subject".into(),
        message: format!(
            "declaration {} has no {} to appeal",
            rec.mrn,
            describe(body.subject)
        ),
    })?;
    let attachments = body
        .attachments
        .into_iter()
        .enumerate()
        .map(|(i, a)| NewAttachment {
            meta: AttachmentMeta {
                n: i as u32 + 1,
                name: a.name.as_str().to_owned(),
                media_type: a.media_type,
                size: a.content.len() as u64,
                sha256: sha256_hex(&a.content),
            },
            content: a.content,
        })
        .collect();
    let new = NewAppeal {
        mrn: rec.mrn.clone(),
        office: rec.office.clone(),
        declarant: rec.declarant.clone(),
        appellant: op.clone(),
        subject: body.subject,
        reason: body.reason.as_str().to_owned(),
        appealed,
        attachments,
        lodged_at: now,
        lodging: SignedBody {
            body: text.to_owned(),
            body_sha256,
            signing_key,
            signature: s.signature.unwrap_or_default().trim().to_owned(),
        },
    };
    let notifications = notify(
        (&rec.declarant, op),
        NotificationKind::AppealLodged,
        &rec.mrn,
        Some(&rec.lrn),
        now,
        serde_json::json!({"mrn": rec.mrn, "subject": body.subject, "status": AppealStatus::Lodged}),
    );
    let audit = AppealAudit {
        actor: caller.label(),
    };
    match c.store().lodge_appeal(&new, &notifications, &audit).await? {
        AppealLodging::Lodged(appeal) => Ok(Lodged {
            appeal,
            replay: false,
        }),
        AppealLodging::Replay(appeal) => Ok(Lodged {
            appeal,
            replay: true,
        }),
        AppealLodging::Open { existing } => Err(AppError::Conflict {
            code: APPEAL_OPEN,
            pointer: "/subject".into(),
            message: format!(
                "appeal {existing} against the {} of {} is still open: wait for its decision",
                describe(body.subject),
                rec.mrn
            ),
        }),
    }
}

fn describe(s: AppealSubject) -> &'static str {
    match s {
        AppealSubject::Refusal => "refusal",
        AppealSubject::DutyAssessment => "duty assessment",
        AppealSubject::ControlResult => "control result",
    }
}

/// The appeals the caller may read, newest first.
#[tracing::instrument(skip_all, fields(caller = %caller.label()))]
pub async fn list(
    c: &Clearance,
    caller: &Caller,
    filter: AppealFilter,
) -> Result<Vec<AppealRecord>, AppError> {
    require_reader(caller)?;
    let mut q = AppealQuery {
        status: filter.status,
        limit: filter.limit.clamp(1, MAX_LIST),
        ..Default::default()
    };
    match caller {
        Caller::Operator(op) => q.party = Some(op.clone()),
        Caller::User(u) if !u.has_any(&[Role::AppealsOfficer, Role::Admin]) => {
            q.offices = Some(u.offices.clone())
        }
        Caller::User(_) => {}
    }
    Ok(c.store().appeals(&q).await?)
}

/// One appeal the caller may read; any other is missing (404).
#[tracing::instrument(skip(c, caller), fields(caller = %caller.label()))]
pub async fn get(c: &Clearance, caller: &Caller, id: AppealId) -> Result<AppealRecord, AppError> {
    require_reader(caller)?;
    match c.store().appeal(id).await? {
        Some(a) if can_see(caller, &a) => Ok(a),
        _ => Err(AppError::not_found(format!("appeal {id}"))),
    }
}

/// Attachment `n` (1-based) of an appeal the caller may read.
#[tracing::instrument(skip(c, caller), fields(caller = %caller.label()))]
pub async fn attachment(
    c: &Clearance,
    caller: &Caller,
    id: AppealId,
    n: u32,
) -> Result<AttachmentFile, AppError> {
    let appeal = get(c, caller, id).await?;
    let missing = || AppError::not_found(format!("attachment {n} of appeal {id}"));
    let meta = appeal
        .attachments
        .into_iter()
        .find(|a| a.n == n)
        .ok_or_else(missing)?;
    let content = c
        .store()
        .appeal_attachment(id, n)
        .await?
        .ok_or_else(missing)?;
    Ok(AttachmentFile { meta, content })
}

/// An appeals officer decides an appeal (see the module doc).
#[tracing::instrument(skip(c, caller, s), fields(caller = %caller.label()))]
pub async fn decide(
    c: &Clearance,
    caller: &Caller,
    id: AppealId,
    s: Signed<'_>,
) -> Result<Decided, AppError> {
    let user = caller.require(DECIDERS)?.clone();
    let appeal = get(c, caller, id).await?;
    let v = c.verify_user_act(caller, DECIDERS, &s).await?;
    let d = DecisionBody::parse(v.body().as_bytes()).map_err(body_error)?;
    signed_json(v.body())?;
    if d.appeal != id {
        return Err(AppError::bad_request(
            APPEAL_SIGNED_ID,
            "/appeal",
            format!("the signed decision names the appeal it decides: \"appeal\": {id}"),
        ));
    }
    if d.mrn != appeal.mrn {
        return Err(AppError::bad_request(
            APPEAL_SIGNED_MRN,
            "/mrn",
            format!(
                "the signed decision names the appeal's declaration: \"mrn\": \"{}\"",
                appeal.mrn
            ),
        ));
    }
    let sig = v.signature().clone();
    if let Some(replay) = decided(&appeal, &sig.body_sha256)? {
        return Ok(replay);
    }
    if appeal.appealed.officer() == Some(user.username.as_str()) {
        return Err(AppError::Denied {
            code: APPEAL_OWN_ACT,
            message: format!(
                "{} made the {} appealed: another appeals officer decides",
                user.username,
                describe(appeal.subject)
            ),
        });
    }
    let now = OffsetDateTime::now_utc();
    let decision = AppealDecision {
        status: d.outcome.status(),
        reason: d.reason.as_str().to_owned(),
        decided_by: user.username.clone(),
        decided_at: now,
        signed: SignedBody {
            body: sig.body,
            body_sha256: sig.body_sha256.clone(),
            signing_key: sig.key_id,
            signature: sig.signature,
        },
    };
    let lrn = c.store().declaration(&appeal.mrn).await?.map(|r| r.lrn);
    let notifications = notify(
        (&appeal.declarant, &appeal.appellant),
        NotificationKind::AppealDecided,
        &appeal.mrn,
        lrn.as_ref(),
        now,
        serde_json::json!({
            "mrn": appeal.mrn,
            "subject": appeal.subject,
            "status": decision.status,
            "reason": decision.reason,
        }),
    );
    let audit = AppealAudit {
        actor: caller.label(),
    };
    let written = c
        .store()
        .decide_appeal(id, &decision, &notifications, &audit)
        .await?;
    let stored = c
        .store()
        .appeal(id)
        .await?
        .ok_or_else(|| AppError::not_found(format!("appeal {id}")))?;
    if written {
        return Ok(Decided {
            appeal: stored,
            replay: false,
        });
    }
    // Decided meanwhile (by this body on another instance, or another).
    decided(&stored, &sig.body_sha256)?
        .ok_or_else(|| AppError::Unavailable(format!("appeal {id} could not be decided")))
}

/// For a decided appeal: the replay of its own signed decision, or 409
/// [`APPEAL_DECIDED`]; `None` for an open one.
fn decided(appeal: &AppealRecord, body_sha256: &str) -> Result<Option<Decided>, AppError> {
    match &appeal.decision {
        None => Ok(None),
        Some(d) if d.signed.body_sha256 == body_sha256 => Ok(Some(Decided {
            appeal: appeal.clone(),
            replay: true,
        })),
        Some(d) => Err(AppError::Conflict {
            code: APPEAL_DECIDED,
            pointer: String::new(),
            message: format!(
                "appeal {} was decided already ({} by {})",
                appeal.id,
                d.status.as_str(),
                d.decided_by
            ),
        }),
    }
}
