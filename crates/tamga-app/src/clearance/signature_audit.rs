//! Re-verifying the officer signatures stored in a declaration's events,
//! from what is stored: the signed body, its hash, the signature and the
//! officer's registered key.
//!
//! Invariant: a stored act is valid only when its body still has its
//! recorded hash, the key is that officer's, the signature verifies, and
//! the body names this declaration, the act that records this kind of
//! event and (control results) the version the event applies to.

use time::OffsetDateTime;

use tamga_core::codes::Mrn;
use tamga_core::lifecycle::{Actor, Event, EventBody};
use tamga_core::signature;
use tamga_store::OfficerKeyRecord;

use super::signatures::{check_act, check_act_mrn, signed_json, OfficerAct};
use super::{Caller, Clearance};
use crate::error::AppError;

/// What re-verifying an officer act's stored signature found.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignatureCheck {
    pub seq: u32,
    pub kind: &'static str,
    pub actor: Actor,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// False for officer acts recorded before officers signed.
    pub signed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_sha256: Option<String>,
    /// The signature verifies, with a key of the officer who acted, over
    /// the stored body, which still has its recorded hash.
    pub valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// When the key was revoked, if it is: a signature made before stays
    /// valid; one made at or after the revocation is not.
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub key_revoked_at: Option<OffsetDateTime>,
    /// A remark on a valid signature, e.g. "key revoked at T, after the
    /// signature".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Clearance {
    /// Re-verifies the stored signature of every officer act of a
    /// declaration, from what is stored: the signed body, its hash, the
    /// signature and the officer's registered key (revoked keys too: the
    /// act was signed while the key was active).
    #[tracing::instrument(skip_all, fields(caller = %caller.label(), mrn = %mrn))]
    pub async fn signature_checks(
        &self,
        caller: &Caller,
        mrn: &Mrn,
    ) -> Result<Vec<SignatureCheck>, AppError> {
        let events = self.stored_events(caller, mrn).await?;
        let mut checks = Vec::new();
        for e in &events {
            let key = match e.body.officer_signature() {
                Some(sig) if matches!(e.actor, Actor::Officer(_)) => {
                    self.store.officer_key(&sig.key_id).await?
                }
                _ => None,
            };
            let mut check = check_officer_event(mrn, e, key.as_ref());
            if let (Some(c), Some(k)) = (check.as_mut(), key.as_ref()) {
                if k.revoked {
                    let revocation = self.store.key_revocation(&k.key_id).await?;
                    judge_revocation(c, revocation.and_then(|r| r.revoked_at));
                }
            }
            checks.extend(check);
        }
        Ok(checks)
    }
}

/// A signature by a key revoked at `revoked_at` (`None`: revoked before
/// times were kept) stays valid if it was made before the revocation;
/// at or after it, it is not.
pub fn judge_revocation(check: &mut SignatureCheck, revoked_at: Option<OffsetDateTime>) {
    let rfc = |t: OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    };
    check.key_revoked_at = revoked_at;
    match revoked_at {
        Some(t) if t <= check.at => {
            check.valid = false;
            check.problem.get_or_insert_with(|| {
                format!(
                    "signed at {} with a key revoked at {}",
                    rfc(check.at),
                    rfc(t)
                )
            });
        }
        Some(t) if check.valid => {
            check.note = Some(format!("key revoked at {}, after the signature", rfc(t)));
        }
        None if check.valid => {
            check.note = Some("key revoked (the time of its revocation was not recorded)".into());
        }
        _ => {}
    }
}

/// The acts whose signed body an event of this kind may record: a control
/// result comes from `/control-result` or from a task result.
fn acts_of(body: &EventBody) -> &'static [OfficerAct] {
    match body {
        EventBody::ControlResultRecorded { .. } => {
            &[OfficerAct::ControlResult, OfficerAct::TaskResult]
        }
        EventBody::Released { .. } | EventBody::ReleaseGrantedPendingPayment { .. } => {
            &[OfficerAct::Release]
        }
        EventBody::Refused { .. } => &[OfficerAct::Refusal],
        _ => &[],
    }
}

/// Re-verifies an officer event of declaration `mrn` from what is stored,
/// with `key`, the registered key its signature names (looked up by id,
/// revoked ones too); `None` for events that are not officers' acts. Valid
/// when the body still has its hash, the key is that officer's, the
/// signature verifies, and the body names this declaration and an act
/// that records this kind of event.
pub fn check_officer_event(
    mrn: &Mrn,
    e: &Event,
    key: Option<&OfficerKeyRecord>,
) -> Option<SignatureCheck> {
    let Actor::Officer(officer) = &e.actor else {
        return None;
    };
    let mut check = SignatureCheck {
        seq: e.seq,
        kind: e.body.kind(),
        actor: e.actor.clone(),
        at: e.at,
        signed: false,
        key_id: None,
        body_sha256: None,
        valid: false,
        problem: None,
        key_revoked_at: None,
        note: None,
    };
    let Some(sig) = e.body.officer_signature() else {
        check.problem = Some("recorded without an officer signature".into());
        return Some(check);
    };
    check.signed = true;
    check.key_id = Some(sig.key_id.clone());
    check.body_sha256 = Some(sig.body_sha256.clone());
    check.problem = match key {
        None => Some(format!("no officer key {:?} is registered", sig.key_id)),
        Some(k) if k.key_id != sig.key_id => {
            Some(format!("key {} is not the key {}", k.key_id, sig.key_id))
        }
        Some(k) if &k.username != officer => Some(format!(
            "key {} belongs to {}, not to {officer}",
            k.key_id, k.username
        )),
        Some(k) => {
            match signature::parse_public_key(&k.public_key).and_then(|key| sig.verify(&key)) {
                Err(err) => Some(err.to_string()),
                Ok(()) => {
                    let acts = acts_of(&e.body);
                    match signed_json(&sig.body) {
                        Err(err) => Some(err.to_string()),
                        Ok(doc) => {
                            if check_act_mrn(&doc, mrn).is_err() {
                                Some(format!("the signed body does not name {mrn}"))
                            } else if let Some(v) = signed_version_differs(&e.body, &doc) {
                                Some(format!("the signed body does not name version {v}"))
                            } else if !acts.iter().any(|a| check_act(&doc, *a).is_ok()) {
                                Some(format!(
                                    "the signed body does not name the act of a {} event ({})",
                                    e.body.kind(),
                                    acts.iter()
                                        .map(|a| a.as_str())
                                        .collect::<Vec<_>>()
                                        .join(" or ")
                                ))
                            } else {
                                None
                            }
                        }
                    }
                }
            }
        }
    };
    check.valid = check.problem.is_none();
    Some(check)
}

/// The version a control result event applies to, when its signed body
/// names another (or none).
fn signed_version_differs(body: &EventBody, doc: &serde_json::Value) -> Option<u32> {
    match body {
        EventBody::ControlResultRecorded {
            version: Some(v), ..
        } => (doc.get("version").and_then(|n| n.as_u64()) != Some(u64::from(*v))).then_some(*v),
        _ => None,
    }
}
