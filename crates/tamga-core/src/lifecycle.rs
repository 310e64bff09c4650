//! The declaration's life: events, states and the transitions between them.
//!
//! Invariant: a declaration's state is a pure fold of its events
//! ([`replay`]). Storage keeps a projection of the current state for
//! queries, written in the same transaction as the event that changed it,
//! and the story tests check that the projection equals the replay.

use crate::hash::{sha256_hex, Sha256};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::codes::{Eori, Lrn, Mrn};
use crate::pipeline::{DutyResult, PaymentResult};
use crate::risk::RiskDecision;

/// Where a declaration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum State {
    /// Lodged and registered (has an MRN); decision stages still running.
    Registered,
    /// Selected for documentary check or inspection; in the office queue.
    UnderControl,
    /// Cleared for release but duties are not yet secured.
    AwaitingPayment,
    Released,
    Refused,
    Invalidated,
}

impl State {
    pub const ALL: [State; 6] = [
        State::Registered,
        State::UnderControl,
        State::AwaitingPayment,
        State::Released,
        State::Refused,
        State::Invalidated,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            State::Registered => "registered",
            State::UnderControl => "under_control",
            State::AwaitingPayment => "awaiting_payment",
            State::Released => "released",
            State::Refused => "refused",
            State::Invalidated => "invalidated",
        }
    }
    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|x| x.as_str() == s)
    }
    /// Released, refused or invalidated: nothing more can happen.
    pub fn is_final(self) -> bool {
        matches!(self, State::Released | State::Refused | State::Invalidated)
    }
}

/// Control channel chosen by risk assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Channel {
    /// No control: release once duties are secured.
    Green,
    /// Documentary check.
    Yellow,
    /// Physical inspection.
    Red,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Green => "green",
            Channel::Yellow => "yellow",
            Channel::Red => "red",
        }
    }
    pub fn parse(s: &str) -> Option<Channel> {
        [Channel::Green, Channel::Yellow, Channel::Red]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

/// Who did a legally significant act.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Actor {
    /// An economic operator (trader, broker), by operator id.
    Operator(Eori),
    /// A customs officer, by user name.
    Officer(String),
    /// tamga itself (automatic registration, risk, release).
    System,
}

/// An officer's control result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ControlOutcome {
    Compliant,
    Findings,
}

/// An officer's detached Ed25519 signature over the exact request body of
/// an act, stored with the act's event so it can be verified later: the
/// body is kept as received (its SHA-256 too), with the id of the
/// officer's registered key that signed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficerSignature {
    /// Id of the officer's registered public key.
    pub key_id: String,
    /// Base64 Ed25519 signature.
    pub signature: String,
    /// SHA-256 (hex) of the signed body bytes.
    pub body_sha256: String,
    /// The signed request body, exactly as received (UTF-8 JSON).
    pub body: String,
}

impl OfficerSignature {
    /// Re-verifies the stored signature with the officer's public key: the
    /// body still has its recorded hash and the signature covers it.
    pub fn verify(
        &self,
        key: &ed25519_dalek::VerifyingKey,
    ) -> Result<(), crate::signature::SignatureError> {
        if sha256_hex(self.body.as_bytes()) != self.body_sha256 {
            return Err(crate::signature::SignatureError::Mismatch);
        }
        crate::signature::verify(key, self.body.as_bytes(), &self.signature)
    }
}

/// What happened. Each variant is one legally significant act.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventBody {
    /// The signed declaration was received and passed control.
    Lodged {
        lrn: Lrn,
        /// SHA-256 of the exact signed body bytes.
        body_sha256: String,
        signing_key: String,
        /// Lodged by a representative: the mandate it acted under (absent
        /// when the declarant lodged, and in events stored before mandates).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mandate: Option<i64>,
        /// Whose account pays this declaration's duties when it is not the
        /// declarant's (an indirect representative without the payment
        /// right). Absent: the declarant's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        payer: Option<Eori>,
    },
    /// Automatic registration: the declaration has its MRN.
    Registered {
        mrn: Mrn,
    },
    RiskAssessed {
        decision: RiskDecision,
        /// The declaration version assessed: present when an amendment was
        /// assessed again (absent at lodging, which assesses version 1).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        version: Option<u32>,
        /// On an amendment: the channel in force from now on, the stricter
        /// of the channel before and `decision`'s (absent at lodging, where
        /// it is `decision`'s).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        channel: Option<Channel>,
    },
    DutiesAssessed {
        result: DutyResult,
    },
    PaymentSecured {
        result: PaymentResult,
    },
    ControlResultRecorded {
        outcome: ControlOutcome,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        notes: Option<String>,
        /// The declaration version the result applies to (absent on events
        /// recorded before results named it: then the version in force
        /// where the event stands, see [`controlled_versions`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        version: Option<u32>,
        /// The officer's signature (absent on events recorded before
        /// officers signed, and on automatic acts).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signature: Option<OfficerSignature>,
    },
    /// An officer granted release but the duties are not secured: the
    /// declaration waits and is released automatically once a deposit
    /// covers them.
    ReleaseGrantedPendingPayment {
        currency: crate::codes::CurrencyCode,
        #[serde(with = "rust_decimal::serde::str")]
        amount: rust_decimal::Decimal,
        /// The officer's signature (absent on events recorded before
        /// officers signed, and on automatic acts).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signature: Option<OfficerSignature>,
    },
    Released {
        automatic: bool,
        /// The officer's signature (absent on events recorded before
        /// officers signed, and on automatic acts).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signature: Option<OfficerSignature>,
    },
    Refused {
        reason: String,
        /// The officer's signature (absent on events recorded before
        /// officers signed, and on automatic acts).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signature: Option<OfficerSignature>,
    },
    /// A signed amendment replaced the declaration data.
    Amended {
        version: u32,
        body_sha256: String,
        signing_key: String,
    },
    /// A signed request cancelled the declaration before release.
    Invalidated {
        reason: String,
        signing_key: String,
        /// SHA-256 of the exact signed request body (absent on events
        /// recorded before it was kept).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body_sha256: Option<String>,
    },
}

impl EventBody {
    /// tamga's own release (green and secured, or paid after waiting).
    pub fn automatic_release() -> EventBody {
        EventBody::Released {
            automatic: true,
            signature: None,
        }
    }

    /// The channel in force after a risk assessment: the stricter of the
    /// old and new on an amendment, else the decision's.
    pub fn risk_channel(&self) -> Option<Channel> {
        match self {
            EventBody::RiskAssessed {
                decision, channel, ..
            } => Some(channel.unwrap_or(decision.channel)),
            _ => None,
        }
    }

    /// SHA-256 of the signed request body an act was recorded from (an
    /// officer's act, an amendment, an invalidation), if it is known: the
    /// same signed body is one act, answered as a replay when sent again.
    pub fn signed_body_sha256(&self) -> Option<&str> {
        match self {
            EventBody::Amended { body_sha256, .. } => Some(body_sha256),
            EventBody::Invalidated { body_sha256, .. } => body_sha256.as_deref(),
            _ => self.officer_signature().map(|s| s.body_sha256.as_str()),
        }
    }

    /// The officer's signature of an officer act, if it carries one.
    pub fn officer_signature(&self) -> Option<&OfficerSignature> {
        match self {
            EventBody::ControlResultRecorded { signature, .. }
            | EventBody::ReleaseGrantedPendingPayment { signature, .. }
            | EventBody::Released { signature, .. }
            | EventBody::Refused { signature, .. } => signature.as_ref(),
            _ => None,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            EventBody::Lodged { .. } => "lodged",
            EventBody::Registered { .. } => "registered",
            EventBody::RiskAssessed { .. } => "risk_assessed",
            EventBody::DutiesAssessed { .. } => "duties_assessed",
            EventBody::PaymentSecured { .. } => "payment_secured",
            EventBody::ControlResultRecorded { .. } => "control_result_recorded",
            EventBody::ReleaseGrantedPendingPayment { .. } => "release_granted_pending_payment",
            EventBody::Released { .. } => "released",
            EventBody::Refused { .. } => "refused",
            EventBody::Amended { .. } => "amended",
            EventBody::Invalidated { .. } => "invalidated",
        }
    }
}

/// An event as stored: numbered per declaration and hash-chained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub mrn: Mrn,
    /// 1-based position in the declaration's history.
    pub seq: u32,
    pub actor: Actor,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub body: EventBody,
    /// SHA-256 (hex) of the canonical JSON of `body`.
    pub payload_hash: String,
    /// `hash` of the previous event of this declaration ("" for the first).
    pub prev_hash: String,
    /// SHA-256 over mrn, seq, actor, time, payload hash and previous hash.
    pub hash: String,
    /// The canonical JSON of `body` when this process sealed the event, so
    /// that storing it does not serialize the body again.
    #[serde(skip)]
    pub payload: SealedPayload,
}

/// The canonical JSON an event's `payload_hash` was computed over, kept
/// beside the typed body by [`Event::seal`]. A cache: not serialized, and
/// equal whenever the bodies are (equality of events is that of their
/// other fields).
#[derive(Debug, Clone, Default)]
pub struct SealedPayload(Option<std::sync::Arc<str>>);

impl PartialEq for SealedPayload {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Event {
    /// The canonical JSON of the body: the sealed bytes, or serialized now
    /// for an event read back from storage.
    pub fn payload_json(&self) -> Result<std::borrow::Cow<'_, str>, serde_json::Error> {
        match &self.payload.0 {
            Some(p) => Ok(std::borrow::Cow::Borrowed(p)),
            None => serde_json::to_string(&self.body).map(std::borrow::Cow::Owned),
        }
    }

    /// Seals a new event onto a declaration's chain.
    pub fn seal(
        mrn: &Mrn,
        seq: u32,
        actor: Actor,
        at: OffsetDateTime,
        body: EventBody,
        prev_hash: &str,
    ) -> Event {
        let payload = serde_json::to_string(&body).expect("event bodies serialize");
        let payload_hash = sha256_hex(payload.as_bytes());
        let hash = chain_hash(mrn, seq, &actor, at, &payload_hash, prev_hash);
        Event {
            mrn: mrn.clone(),
            seq,
            actor,
            at,
            body,
            payload_hash,
            prev_hash: prev_hash.to_owned(),
            hash,
            payload: SealedPayload(Some(payload.into())),
        }
    }
}

fn chain_hash(
    mrn: &Mrn,
    seq: u32,
    actor: &Actor,
    at: OffsetDateTime,
    payload_hash: &str,
    prev_hash: &str,
) -> String {
    let mut h = Sha256::new();
    h.update(mrn.as_str());
    h.update([0]);
    h.update(seq.to_be_bytes());
    h.update(serde_json::to_vec(actor).expect("actors serialize"));
    h.update([0]);
    h.update(at.unix_timestamp_nanos().to_be_bytes());
    h.update(payload_hash);
    h.update([0]);
    h.update(prev_hash);
    hex::encode(h.finalize())
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("event {seq}: expected sequence number {expected}")]
    Sequence { seq: u32, expected: u32 },
    #[error("event {seq}: payload hash does not match its body")]
    Payload { seq: u32 },
    #[error("event {seq}: chain hash does not match")]
    Chain { seq: u32 },
}

/// Checks that a declaration's events are complete, in order and untampered.
pub fn verify_chain(events: &[Event]) -> Result<(), ChainError> {
    let mut prev = String::new();
    for (i, e) in events.iter().enumerate() {
        let expected = i as u32 + 1;
        if e.seq != expected {
            return Err(ChainError::Sequence {
                seq: e.seq,
                expected,
            });
        }
        let payload = serde_json::to_vec(&e.body).expect("event bodies serialize");
        if sha256_hex(&*payload) != e.payload_hash {
            return Err(ChainError::Payload { seq: e.seq });
        }
        if e.prev_hash != prev
            || chain_hash(&e.mrn, e.seq, &e.actor, e.at, &e.payload_hash, &prev) != e.hash
        {
            return Err(ChainError::Chain { seq: e.seq });
        }
        prev = e.hash.clone();
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} declaration cannot be {event}", state_phrase(*.state))]
pub struct TransitionError {
    pub state: Option<State>,
    pub event: &'static str,
}

/// "a released", "an awaiting_payment", or "a new" (no state yet): the
/// state as the API spells it, for messages.
fn state_phrase(state: Option<State>) -> String {
    match state {
        None => "a new".to_owned(),
        Some(s) if s.as_str().starts_with(['a', 'e', 'i', 'o', 'u']) => {
            format!("an {}", s.as_str())
        }
        Some(s) => format!("a {}", s.as_str()),
    }
}

/// The declaration's state after `body`, or why that act is not allowed now.
pub fn transition(state: Option<State>, body: &EventBody) -> Result<State, TransitionError> {
    use EventBody as E;
    use State as S;
    let err = || TransitionError {
        state,
        event: body.kind(),
    };
    match (state, body) {
        (None, E::Lodged { .. }) => Ok(S::Registered),
        (Some(S::Registered), E::Registered { .. }) => Ok(S::Registered),
        (Some(S::Registered), E::RiskAssessed { .. }) => Ok(match body.risk_channel() {
            Some(Channel::Yellow | Channel::Red) => S::UnderControl,
            _ => S::Registered,
        }),
        // An amendment is assessed again: a declaration waiting for payment
        // whose channel is no longer green goes under control; one under
        // control stays there (its officer controls the new version).
        (
            Some(S::AwaitingPayment),
            E::RiskAssessed {
                version: Some(_), ..
            },
        ) => Ok(match body.risk_channel() {
            Some(Channel::Yellow | Channel::Red) => S::UnderControl,
            _ => S::AwaitingPayment,
        }),
        (
            Some(S::UnderControl),
            E::RiskAssessed {
                version: Some(_), ..
            },
        ) => Ok(S::UnderControl),
        (
            Some(s @ (S::Registered | S::UnderControl | S::AwaitingPayment)),
            E::DutiesAssessed { .. },
        ) => Ok(s),
        // Cleared but duties not secured: wait for payment.
        (Some(S::Registered), E::PaymentSecured { result }) if !result.secured() => {
            Ok(S::AwaitingPayment)
        }
        (
            Some(s @ (S::Registered | S::UnderControl | S::AwaitingPayment)),
            E::PaymentSecured { .. },
        ) => Ok(s),
        (Some(S::UnderControl), E::ControlResultRecorded { .. }) => Ok(S::UnderControl),
        (Some(S::UnderControl), E::ReleaseGrantedPendingPayment { .. }) => Ok(S::AwaitingPayment),
        (Some(S::Registered | S::AwaitingPayment | S::UnderControl), E::Released { .. }) => {
            Ok(S::Released)
        }
        (Some(S::UnderControl), E::Refused { .. }) => Ok(S::Refused),
        (Some(s @ (S::Registered | S::UnderControl | S::AwaitingPayment)), E::Amended { .. }) => {
            Ok(s)
        }
        (Some(S::Registered | S::UnderControl | S::AwaitingPayment), E::Invalidated { .. }) => {
            Ok(S::Invalidated)
        }
        _ => Err(err()),
    }
}

/// The declaration versions a control result was recorded on, in event
/// order: a result names its version, or (recorded before results named
/// it) applies to the version in force where it stands.
pub fn controlled_versions<'a>(events: impl IntoIterator<Item = &'a EventBody>) -> Vec<u32> {
    let mut current = 1;
    let mut out = Vec::new();
    for e in events {
        match e {
            EventBody::Amended { version, .. } => current = *version,
            EventBody::ControlResultRecorded { version, .. } => {
                out.push(version.unwrap_or(current))
            }
            _ => {}
        }
    }
    out
}

/// Why a declarant may not invalidate its declaration now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvalidationRefused {
    /// Customs announced a documentary check or inspection of the current
    /// version and has not yet recorded its result (UCC art. 174(2)).
    #[error(
        "the declaration is selected for control and its result on version {version} is not recorded yet: it cannot be invalidated before the control has taken place"
    )]
    ControlPending { version: u32 },
}

/// Whether the declarant may invalidate now, given the declaration's
/// events. Once customs has selected the declaration for control, a request
/// for invalidation is not accepted before the control of the current
/// version has taken place (UCC art. 174(2)): otherwise a trader could
/// withdraw a selected declaration and lodge it again under a new MRN until
/// a random selection passes. The state rules of [`transition`] still apply
/// on top (nothing released, refused or invalidated is invalidated).
pub fn check_invalidation<'a>(
    events: impl IntoIterator<Item = &'a EventBody> + Clone,
) -> Result<(), InvalidationRefused> {
    let mut version = 1;
    let mut state = None;
    for e in events.clone() {
        if let EventBody::Amended { version: v, .. } = e {
            version = *v;
        }
        // Stored histories replay (they were accepted when written); an
        // event that would not is ignored here, the transition check
        // reports it when the invalidation is appended.
        if let Ok(s) = transition(state, e) {
            state = Some(s);
        }
    }
    if state == Some(State::UnderControl) && !controlled_versions(events).contains(&version) {
        return Err(InvalidationRefused::ControlPending { version });
    }
    Ok(())
}

/// A declaration's state from its events.
pub fn replay<'a>(
    events: impl IntoIterator<Item = &'a EventBody>,
) -> Result<Option<State>, TransitionError> {
    let mut state = None;
    for e in events {
        state = Some(transition(state, e)?);
    }
    Ok(state)
}

/// A message to a trader about its declaration (the CDS DMS notifications).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum NotificationKind {
    /// Accepted and registered with an MRN (DMSACC).
    Registered,
    /// Rejected by control, with every error (DMSREJ).
    Rejected,
    /// Selected for control (DMSCTL).
    UnderControl,
    /// Duties assessed (DMSTAX).
    DutiesAssessed,
    /// Duties could not be secured: the declaration waits for a deposit
    /// (like CDS DMSCPI); it is released automatically once one covers it.
    AwaitingPayment,
    /// Released (DMSCLE).
    Released,
    /// Refused release (DMSROG-like).
    Refused,
    /// Invalidated (DMSINV).
    Invalidated,
    /// An amendment was accepted (DMSRES).
    Amended,
    /// An amendment or invalidation request was refused.
    RequestRejected,
    /// A signing key was registered for the operator (issue 15): its id,
    /// who approved it and when; no MRN.
    SigningKeyAdded,
    /// The operator's online registration was approved (issue 15): who
    /// approved it; no MRN.
    OperatorApproved,
    /// A signing key of the operator was revoked (issue 15): its id, who
    /// revoked it and when; no MRN.
    SigningKeyRevoked,
    /// An appeal against a decision on the declaration was lodged (issue
    /// 16): the appeal's id and subject.
    AppealLodged,
    /// An appeal was decided (issue 16): the appeal's id, subject, outcome
    /// and the appeals officer's reason.
    AppealDecided,
}

impl NotificationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Registered => "registered",
            Self::Rejected => "rejected",
            Self::UnderControl => "under_control",
            Self::DutiesAssessed => "duties_assessed",
            Self::AwaitingPayment => "awaiting_payment",
            Self::Released => "released",
            Self::Refused => "refused",
            Self::Invalidated => "invalidated",
            Self::Amended => "amended",
            Self::RequestRejected => "request_rejected",
            Self::SigningKeyAdded => "signing_key_added",
            Self::OperatorApproved => "operator_approved",
            Self::SigningKeyRevoked => "signing_key_revoked",
            Self::AppealLodged => "appeal_lodged",
            Self::AppealDecided => "appeal_decided",
        }
    }
}

/// A notification not yet stored (storage gives it its cursor id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewNotification {
    pub recipient: Eori,
    pub kind: NotificationKind,
    pub mrn: Option<Mrn>,
    pub lrn: Option<Lrn>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub payload: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::{CountryCode, MrnCategory};

    fn mrn() -> Mrn {
        Mrn::generate(
            2026,
            &CountryCode::parse("UZ").unwrap(),
            7,
            MrnCategory::Import,
        )
        .unwrap()
    }

    fn lodged() -> EventBody {
        EventBody::Lodged {
            lrn: Lrn::parse("L1").unwrap(),
            body_sha256: "00".into(),
            signing_key: "k1".into(),
            mandate: None,
            payer: None,
        }
    }

    #[test]
    fn transitions_follow_the_pipeline() {
        let s = transition(None, &lodged()).unwrap();
        assert_eq!(s, State::Registered);
        let s = transition(
            Some(s),
            &EventBody::Released {
                automatic: true,
                signature: None,
            },
        )
        .unwrap();
        assert_eq!(s, State::Released);
        // Nothing happens to a released declaration.
        assert!(transition(
            Some(s),
            &EventBody::Invalidated {
                reason: "x".into(),
                signing_key: "k".into(),
                body_sha256: None,
            }
        )
        .is_err());
        assert!(transition(
            Some(State::Registered),
            &EventBody::Refused {
                reason: "x".into(),
                signature: None
            }
        )
        .is_err());
        assert!(transition(
            None,
            &EventBody::Released {
                automatic: true,
                signature: None,
            }
        )
        .is_err());
    }

    fn risk(channel: Channel, version: Option<u32>, in_force: Option<Channel>) -> EventBody {
        EventBody::RiskAssessed {
            decision: RiskDecision {
                channel,
                hits: vec![],
                random: crate::risk::RandomDraw {
                    seed: 1,
                    draw: rust_decimal::Decimal::ONE,
                    yellow_rate: rust_decimal::Decimal::ZERO,
                    red_rate: rust_decimal::Decimal::ZERO,
                    selected: None,
                    secret_id: None,
                    salt: None,
                },
                explanation: String::new(),
                combined: Default::default(),
            },
            version,
            channel: in_force,
        }
    }

    #[test]
    fn a_selected_declaration_is_not_invalidated_before_its_control() {
        use Channel::{Green, Red};
        let result = |version| EventBody::ControlResultRecorded {
            outcome: ControlOutcome::Compliant,
            notes: None,
            version,
            signature: None,
        };
        let amended = EventBody::Amended {
            version: 2,
            body_sha256: "00".into(),
            signing_key: "k1".into(),
        };
        // Green: the declarant may withdraw it.
        let green = [lodged(), risk(Green, None, None)];
        assert_eq!(check_invalidation(green.iter()), Ok(()));
        // Selected for control, no result yet: refused.
        let red = [lodged(), risk(Red, None, None)];
        assert_eq!(
            check_invalidation(red.iter()),
            Err(InvalidationRefused::ControlPending { version: 1 })
        );
        // After the control of the current version: allowed.
        let controlled = [lodged(), risk(Red, None, None), result(Some(1))];
        assert_eq!(check_invalidation(controlled.iter()), Ok(()));
        // A result on an older version does not cover the amended one.
        let amended_after = [
            lodged(),
            risk(Red, None, None),
            result(Some(1)),
            amended.clone(),
            risk(Red, Some(2), Some(Red)),
        ];
        assert_eq!(
            check_invalidation(amended_after.iter()),
            Err(InvalidationRefused::ControlPending { version: 2 })
        );
        // A legacy result without a version applies to the version in force.
        let legacy = [lodged(), risk(Red, None, None), amended, result(None)];
        assert_eq!(check_invalidation(legacy.iter()), Ok(()));
    }

    #[test]
    fn an_amendment_assessed_again_goes_under_control_when_no_longer_green() {
        use Channel::{Green, Red};
        let waiting = Some(State::AwaitingPayment);
        // Waiting for payment, amended: green stays, the stricter red goes
        // under control; a lodging's assessment (no version) is refused.
        assert_eq!(
            transition(waiting, &risk(Green, Some(2), Some(Green))),
            Ok(State::AwaitingPayment)
        );
        assert_eq!(
            transition(waiting, &risk(Red, Some(2), Some(Red))),
            Ok(State::UnderControl)
        );
        assert_eq!(
            transition(waiting, &risk(Green, Some(2), Some(Red))),
            Ok(State::UnderControl)
        );
        assert!(transition(waiting, &risk(Red, None, None)).is_err());
        let controlled = Some(State::UnderControl);
        assert_eq!(
            transition(controlled, &risk(Green, Some(3), Some(Red))),
            Ok(State::UnderControl)
        );
        assert!(transition(Some(State::Released), &risk(Red, Some(2), Some(Red))).is_err());
        // The channel in force is the recorded one, else the decision's.
        assert_eq!(risk(Green, Some(2), Some(Red)).risk_channel(), Some(Red));
        assert_eq!(risk(Red, None, None).risk_channel(), Some(Red));
    }

    #[test]
    fn control_results_apply_to_their_version() {
        let amended = |version| EventBody::Amended {
            version,
            body_sha256: "00".into(),
            signing_key: "k".into(),
        };
        let result = |version| EventBody::ControlResultRecorded {
            outcome: ControlOutcome::Compliant,
            notes: None,
            version,
            signature: None,
        };
        // Older results name no version: the one in force where they stand.
        let events = [
            lodged(),
            result(None),
            amended(2),
            amended(3),
            result(None),
            result(Some(3)),
        ];
        assert_eq!(controlled_versions(&events), vec![1, 3, 3]);
    }

    #[test]
    fn older_events_parse_and_keep_their_hashes() {
        for old in [
            r#"{"kind":"invalidated","reason":"x","signing_key":"k"}"#,
            r#"{"kind":"control_result_recorded","outcome":"findings"}"#,
        ] {
            let body: EventBody = serde_json::from_str(old).unwrap();
            assert_eq!(serde_json::to_string(&body).unwrap(), old);
        }
        // A lodging's assessment is stored as before: no version, no
        // channel beside the decision's.
        let v = serde_json::to_value(risk(Channel::Red, None, None)).unwrap();
        assert!(
            v.get("version").is_none() && v.get("channel").is_none(),
            "{v}"
        );
        let back: EventBody = serde_json::from_value(v).unwrap();
        assert_eq!(back, risk(Channel::Red, None, None));
    }

    #[test]
    fn chain_detects_tampering() {
        let t = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let a = Event::seal(&mrn(), 1, Actor::System, t, lodged(), "");
        let b = Event::seal(
            &mrn(),
            2,
            Actor::System,
            t,
            EventBody::Released {
                automatic: true,
                signature: None,
            },
            &a.hash,
        );
        let mut events = vec![a, b];
        assert_eq!(verify_chain(&events), Ok(()));
        events[1].body = EventBody::Refused {
            reason: "edited".into(),
            signature: None,
        };
        assert_eq!(verify_chain(&events), Err(ChainError::Payload { seq: 2 }));
        events[1].body = EventBody::Released {
            automatic: true,
            signature: None,
        };
        events[0].actor = Actor::Officer("mallory".into());
        assert_eq!(verify_chain(&events), Err(ChainError::Chain { seq: 1 }));
        events.remove(0);
        assert!(matches!(
            verify_chain(&events),
            Err(ChainError::Sequence { .. })
        ));
    }

    #[test]
    fn officer_signatures_are_optional_and_reverify() {
        // Events stored before officers signed parse and serialize as before
        // (so their payload hashes still match).
        let old = r#"{"kind":"released","automatic":false}"#;
        let body: EventBody = serde_json::from_str(old).unwrap();
        assert_eq!(body.officer_signature(), None);
        assert_eq!(serde_json::to_string(&body).unwrap(), old);
        let old = r#"{"kind":"control_result_recorded","outcome":"compliant","notes":"ok"}"#;
        let body: EventBody = serde_json::from_str(old).unwrap();
        assert_eq!(serde_json::to_string(&body).unwrap(), old);

        let key = crate::signature::signing_key_from_seed([3; 32]);
        let signed = br#"{"mrn":"26UZ0000000000007A","reason":"forged invoice"}"#;
        let sig = OfficerSignature {
            key_id: "k".into(),
            signature: crate::signature::sign(&key, signed),
            body_sha256: sha256_hex(signed),
            body: String::from_utf8(signed.to_vec()).unwrap(),
        };
        let body = EventBody::Refused {
            reason: "forged invoice".into(),
            signature: Some(sig.clone()),
        };
        let back: EventBody = serde_json::from_slice(&serde_json::to_vec(&body).unwrap()).unwrap();
        let stored = back.officer_signature().unwrap();
        assert_eq!(stored.verify(&key.verifying_key()), Ok(()));
        let other = crate::signature::signing_key_from_seed([4; 32]);
        assert!(stored.verify(&other.verifying_key()).is_err());
        let mut edited = sig.clone();
        edited.body = edited.body.replace("forged", "genuine");
        assert!(edited.verify(&key.verifying_key()).is_err());
        let mut rehashed = edited.clone();
        rehashed.body_sha256 = sha256_hex(rehashed.body.as_bytes());
        assert!(rehashed.verify(&key.verifying_key()).is_err());
    }
}
