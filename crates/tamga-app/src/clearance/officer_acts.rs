//! Officer acts on a declaration: control results, release and refusal.
//! Each is signed by the officer (`signatures`) and names the
//! declaration, the act and the version it acts on.
//!
//! Invariants:
//! - An officer acts only on a declaration of an office they belong to,
//!   and not on an open task assigned to another inspector (the installed
//!   [`OfficerActGuard`]).
//! - The signature stored with the act is the acting officer's own.
//! - A signed body already recorded on the declaration records nothing
//!   again: it is answered as a replay.
//! - Under control, a release needs a control result on the version it
//!   releases.

use tamga_core::codes::Mrn;
use tamga_core::lifecycle::{
    Actor, ControlOutcome, Event, EventBody, NotificationKind, OfficerSignature, State,
};
use tamga_store::{DeclarationRecord, Role, User};

use super::access::require_user;
use super::signatures::{act_json, OfficerAct, Signed, VerifiedSignature};
use super::{Accepted, Caller, Clearance};
use crate::error::AppError;

/// Decides whether an officer may act on a declaration beyond the office
/// rule (an open inspection task assigned to another inspector: only that
/// inspector or an administrator may); installed by the workbench.
pub trait OfficerActGuard: Send + Sync {
    /// `Err(AppError::Forbidden)` when `user` may not act on `mrn` now.
    fn check<'a>(
        &'a self,
        user: &'a User,
        mrn: &'a Mrn,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), AppError>> + Send + 'a>>;
}

/// Who records control results: officers, inspectors (the workbench's
/// task results), administrators.
const CONTROLLERS: &[Role] = &[Role::Officer, Role::Inspector, Role::Admin];
/// Who releases and refuses: officers and administrators.
const DECIDERS: &[Role] = &[Role::Officer, Role::Admin];

impl Clearance {
    /// The declaration an officer (or administrator) acts on: visible to
    /// the caller (officers: their offices), and not an open task assigned
    /// to another inspector (the installed [`OfficerActGuard`]).
    async fn office_declaration(
        &self,
        caller: &Caller,
        mrn: &Mrn,
        roles: &[Role],
    ) -> Result<(User, DeclarationRecord), AppError> {
        let user = require_user(caller, roles)?.clone();
        let rec = self.declaration(caller, mrn).await?;
        let guard = self.officer_guard.read().expect("lock").clone();
        if let Some(g) = guard {
            g.check(&user, mrn).await?;
        }
        Ok((user, rec))
    }

    /// An officer records the result of a documentary check or inspection
    /// of the declaration's current version. Signed body: `{"mrn": "...",
    /// "act": "control_result", "version": N, "outcome": "compliant" |
    /// "findings", "notes": "..."}`. The same signed body sent again is
    /// answered as a replay (nothing is recorded twice).
    #[tracing::instrument(skip_all, fields(caller = %caller.label(), mrn = %mrn))]
    pub async fn record_control(
        &self,
        caller: &Caller,
        mrn: &Mrn,
        s: Signed<'_>,
    ) -> Result<Accepted, AppError> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Body {
            outcome: ControlOutcome,
            #[serde(default)]
            notes: Option<String>,
        }
        let (user, rec) = self.office_declaration(caller, mrn, CONTROLLERS).await?;
        let v = self.verify_officer(caller, &s).await?;
        let doc = act_json(&v, mrn, OfficerAct::ControlResult)?;
        let fields = |doc| {
            let b: Body = crate::acts::act_fields(doc)?;
            Ok((b.outcome, b.notes))
        };
        self.control_act(user, rec, doc, fields, v).await
    }

    /// Records a control result whose request the caller signed and
    /// [`Clearance::verify_officer`] verified (the workbench's task result,
    /// whose body has the findings). The signed body must name `mrn`, the
    /// act `task_result` and the current version (400 `OFFICER_SIGNED_MRN`
    /// / `OFFICER_SIGNED_ACT` / `OFFICER_SIGNED_VERSION`, 409
    /// `VERSION_NOT_CURRENT`), whatever the caller checked before. A replay
    /// of a recorded body records nothing (`replay` in the answer).
    #[tracing::instrument(skip_all, fields(caller = %caller.label(), mrn = %mrn))]
    pub async fn record_control_verified(
        &self,
        caller: &Caller,
        mrn: &Mrn,
        outcome: ControlOutcome,
        notes: Option<String>,
        v: VerifiedSignature,
    ) -> Result<Accepted, AppError> {
        let doc = act_json(&v, mrn, OfficerAct::TaskResult)?;
        let (user, rec) = self.office_declaration(caller, mrn, CONTROLLERS).await?;
        let fields =
            move |_| -> Result<(ControlOutcome, Option<String>), AppError> { Ok((outcome, notes)) };
        self.control_act(user, rec, doc, fields, v).await
    }

    /// A control result on the version the signed body names (the current
    /// one), unless the same body was recorded already (a replay).
    async fn control_act<F>(
        &self,
        user: User,
        rec: DeclarationRecord,
        doc: serde_json::Value,
        fields: F,
        v: VerifiedSignature,
    ) -> Result<Accepted, AppError>
    where
        F: FnOnce(serde_json::Value) -> Result<(ControlOutcome, Option<String>), AppError>,
    {
        let signature = v.for_user(&user)?;
        let events = self.store.events(&rec.mrn).await?;
        if let Some(replay) = replayed(&rec, &signature, &events) {
            return Ok(replay);
        }
        let version = crate::acts::signed_version(&doc, rec.version)?;
        let (outcome, notes) = fields(doc)?;
        if notes.as_ref().is_some_and(|n| n.len() > 4000) {
            return Err(AppError::bad_request(
                "NOTES_TOO_LONG",
                "/notes",
                "notes are limited to 4000 characters",
            ));
        }
        let rec = self
            .change(
                rec,
                vec![(
                    Actor::Officer(user.username),
                    EventBody::ControlResultRecorded {
                        outcome,
                        notes,
                        version: Some(version),
                        signature: Some(signature),
                    },
                )],
                None,
                &[],
            )
            .await?;
        Ok(Accepted {
            record: rec,
            warnings: Vec::new(),
            replay: false,
        })
    }

    /// An officer releases the declaration's current version; under
    /// control, a control result must have been recorded on that version.
    /// Signed body: `{"mrn": "...", "act": "release", "version": N}`.
    #[tracing::instrument(skip_all, fields(caller = %caller.label(), mrn = %mrn))]
    pub async fn release(
        &self,
        caller: &Caller,
        mrn: &Mrn,
        s: Signed<'_>,
    ) -> Result<Accepted, AppError> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Body {}
        let (user, rec) = self.office_declaration(caller, mrn, DECIDERS).await?;
        let v = self.verify_officer(caller, &s).await?;
        let doc = act_json(&v, mrn, OfficerAct::Release)?;
        let signature = v.for_user(&user)?;
        // Read once: for the replay check, the control result and the
        // payment.
        let events = self.store.events(mrn).await?;
        if let Some(replay) = replayed(&rec, &signature, &events) {
            return Ok(replay);
        }
        let version = crate::acts::signed_version(&doc, rec.version)?;
        let Body {} = crate::acts::act_fields(doc)?;
        if rec.state == State::UnderControl && !crate::acts::controlled(&events, version) {
            return Err(AppError::bad_request(
                "CONTROL_RESULT_MISSING",
                "/version",
                format!("record the control result of version {version} before releasing it"),
            ));
        }
        // Debits the reservation, or secures and debits now; under control
        // an unsecured declaration then waits for payment.
        let wait = rec.state == State::UnderControl;
        let rec = self
            .release_paying(
                rec,
                &events,
                Actor::Officer(user.username),
                false,
                wait,
                Some(signature),
            )
            .await?;
        Ok(Accepted {
            record: rec,
            warnings: Vec::new(),
            replay: false,
        })
    }

    /// An officer refuses release of the declaration's current version.
    /// Signed body: `{"mrn": "...", "act": "refusal", "version": N,
    /// "reason": "..."}`.
    #[tracing::instrument(skip_all, fields(caller = %caller.label(), mrn = %mrn))]
    pub async fn refuse(
        &self,
        caller: &Caller,
        mrn: &Mrn,
        s: Signed<'_>,
    ) -> Result<Accepted, AppError> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Body {
            reason: String,
        }
        let (user, rec) = self.office_declaration(caller, mrn, DECIDERS).await?;
        let v = self.verify_officer(caller, &s).await?;
        let doc = act_json(&v, mrn, OfficerAct::Refusal)?;
        let signature = v.for_user(&user)?;
        let events = self.store.events(mrn).await?;
        if let Some(replay) = replayed(&rec, &signature, &events) {
            return Ok(replay);
        }
        crate::acts::signed_version(&doc, rec.version)?;
        let Body { reason } = crate::acts::act_fields(doc)?;
        if reason.trim().is_empty() || reason.len() > 4000 {
            return Err(AppError::bad_request(
                "REFUSAL_REASON",
                "/reason",
                "give a reason of 1 to 4000 characters",
            ));
        }
        let event = EventBody::Refused {
            reason,
            signature: Some(signature),
        };
        self.close_unreleased(
            rec,
            &events,
            (Actor::Officer(user.username), event),
            NotificationKind::Refused,
            None,
        )
        .await
    }
}

/// The answer to an officer act whose signed body is already recorded on
/// the declaration (`events`): the declaration as it stands, `replay: true`.
fn replayed(
    rec: &DeclarationRecord,
    signature: &OfficerSignature,
    events: &[Event],
) -> Option<Accepted> {
    crate::acts::already_recorded(events, &signature.body_sha256).then(|| Accepted {
        record: rec.clone(),
        warnings: Vec::new(),
        replay: true,
    })
}
