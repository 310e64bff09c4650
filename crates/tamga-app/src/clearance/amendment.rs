//! A trader's changes to a lodged declaration: amendments (the whole
//! declaration again, controlled, assessed for duties and risk again) and
//! invalidation, sent as tamga's JSON acts or as DEC-DMS XML messages
//! (`message_acts`, which form the amended declaration and call the same
//! [`Clearance::amend_record`] and [`Clearance::invalidate_record`]).
//!
//! Invariants:
//! - Both are signed by the declarant, or by a representative under a
//!   mandate that covers the declaration; the same signed body sent again
//!   is answered as a replay and records nothing.
//! - An amendment keeps the LRN, the declarant and the declaration type;
//!   it passes control or changes nothing.
//! - An amendment's channel is the stricter of the one in force and the
//!   new decision's.
//! - An amendment may not change duties already reserved, the tariff quota
//!   draws, or the duties charged to an indirect representative who did
//!   not sign it.
//! - An invalidation gives the reservation back to the trader's available
//!   funds and the quota draws back to the balances.

use time::OffsetDateTime;

use tamga_core::codes::{Eori, Mrn};
use tamga_core::control::{self, violation, ControlContext, Severity, Violation};
use tamga_core::declaration::Declaration;
use tamga_core::lifecycle::{Actor, Channel, Event, EventBody, NotificationKind, State};
use tamga_core::pipeline::DutyResult;
use tamga_store::{DeclarationRecord, Original};

use super::lodging::Place;
use super::signatures::{sha256_hex, signed_json, Signed};
use super::{Accepted, Caller, Clearance};
use crate::error::AppError;

/// How an amendment came.
pub(super) enum AmendedBy<'a> {
    /// tamga's signed JSON act, `{"mrn": ..., "declaration": {...}}`.
    Json,
    /// A DEC-DMS amendment merged onto the current version
    /// ([`tamga_messages::wco_amend`]): the whole declaration (or the
    /// merge's violations), how a violation is placed in the message, and
    /// the message, stored with the new version.
    Message {
        document: Result<serde_json::Value, Vec<Violation>>,
        place: Place<'a>,
        original: Box<Original>,
    },
}

impl Clearance {
    /// One of the operator's own (or represented) declarations.
    pub(super) async fn own_declaration(
        &self,
        op: &Eori,
        mrn: &Mrn,
    ) -> Result<DeclarationRecord, AppError> {
        self.declaration(&Caller::Operator(op.clone()), mrn).await
    }

    /// A signed amendment: `{"mrn": "<this MRN>", "declaration": {...}}`,
    /// the whole declaration again with the same LRN and declarant. It
    /// passes control or changes nothing; it is assessed for risk again
    /// ([`crate::acts`], [`Clearance::reassess_risk`]). The same signed body
    /// sent again is answered as a replay.
    #[tracing::instrument(skip_all, fields(mrn = %mrn, operator = %op))]
    pub async fn amend(&self, op: &Eori, mrn: &Mrn, s: Signed<'_>) -> Result<Accepted, AppError> {
        let rec = self.own_declaration(op, mrn).await?;
        self.amend_record(op, rec, &s, AmendedBy::Json).await
    }

    /// Amends `rec`, one of the operator's own (or represented)
    /// declarations, with the signed amendment `s`, however it came: the
    /// signature, a replay of the same bytes, the state, control,
    /// identity and mandate, duties and risk again, then the new version.
    pub(super) async fn amend_record(
        &self,
        op: &Eori,
        rec: DeclarationRecord,
        s: &Signed<'_>,
        by: AmendedBy<'_>,
    ) -> Result<Accepted, AppError> {
        let mrn = rec.mrn.clone();
        let now = OffsetDateTime::now_utc();
        let mut violations = Vec::new();
        let key_id = match self.verify(op, s).await {
            Ok(k) => Some(k),
            Err(v) => {
                violations.push(v);
                None
            }
        };
        let body_sha256 = sha256_hex(s.body);
        // Read once: for the replay check and the duty reassessment.
        let events = self.store.events(&mrn).await?;
        if key_id.is_some() && crate::acts::already_recorded(&events, &body_sha256) {
            return Ok(Accepted {
                record: rec,
                warnings: Vec::new(),
                replay: true,
            });
        }
        if rec.state.is_final() {
            return Err(AppError::InvalidState(
                tamga_core::lifecycle::TransitionError {
                    state: Some(rec.state),
                    event: "amended",
                },
            ));
        }
        let (declaration, prefix, place, original) = match by {
            AmendedBy::Json => (
                self.control_amendment(op, &mrn, s.body, key_id.is_some(), now, &mut violations)?,
                "/declaration",
                None,
                None,
            ),
            AmendedBy::Message {
                document,
                place,
                original,
            } => {
                let d = match document {
                    Ok(doc) => self.control_amended(op, &doc, "", now, &mut violations),
                    Err(v) => {
                        violations.extend(v);
                        None
                    }
                };
                (d, "", Some(place), Some(original))
            }
        };
        if let Some(d) = &declaration {
            self.authorise_amendment(op, &rec, d, prefix, now, &mut violations)
                .await?;
        }
        if let Some(place) = place {
            violations.iter_mut().for_each(place);
        }
        let errors = violations.iter().any(|v| v.severity == Severity::Error);
        let (Some(declaration), Some(key_id), false) = (declaration, key_id, errors) else {
            return Err(self
                .reject(
                    op,
                    Some(&rec.lrn),
                    NotificationKind::RequestRejected,
                    Some(&mrn),
                    violations,
                )
                .await);
        };
        let version = rec.version + 1;
        let amended = EventBody::Amended {
            version,
            body_sha256,
            signing_key: key_id,
        };
        let (duties, changed) = self.reassess(op, &rec, &events, &declaration).await?;
        let risk = self
            .reassess_risk(&rec, &declaration, &duties, version, now)
            .await;
        let duties = changed.then_some(duties);
        let rec = self
            .record_amendment(
                op,
                rec,
                (declaration, version),
                amended,
                risk,
                duties,
                original,
            )
            .await?;
        Ok(Accepted {
            record: rec,
            warnings: violations,
            replay: false,
        })
    }

    /// The amended declaration, if its body is JSON that names this
    /// declaration in the one form ([`crate::acts`]) and its declaration
    /// parses; control's violations are added under `/declaration`. A
    /// signed body that does not name this declaration (or not in the one
    /// form) is refused, nothing written; unsigned, the signature's
    /// rejection says enough.
    fn control_amendment(
        &self,
        op: &Eori,
        mrn: &Mrn,
        body: &[u8],
        signed: bool,
        now: OffsetDateTime,
        violations: &mut Vec<Violation>,
    ) -> Result<Option<Declaration>, AppError> {
        let doc = match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(doc) => doc,
            Err(e) => {
                violations.push(violation(
                    "FLC-JSON-SYNTAX",
                    "",
                    format!("body is not valid JSON: {e}"),
                ));
                return Ok(None);
            }
        };
        match crate::acts::amendment_declaration(&doc, mrn).and_then(|inner| {
            signed_json(std::str::from_utf8(body).unwrap_or_default()).map(|_| inner)
        }) {
            Err(e) if signed => Err(e),
            Err(_) => Ok(None),
            Ok(inner) => Ok(self.control_amended(op, inner, "/declaration", now, violations)),
        }
    }

    /// Control of an amended declaration (wire JSON), its violations
    /// added with their pointers under `prefix`.
    fn control_amended(
        &self,
        op: &Eori,
        doc: &serde_json::Value,
        prefix: &str,
        now: OffsetDateTime,
        violations: &mut Vec<Violation>,
    ) -> Option<Declaration> {
        let report = control::run(
            doc,
            &ControlContext {
                reference: &self.reference,
                today: now.date(),
                lodged_by: op,
            },
        );
        violations.extend(report.violations.into_iter().map(|mut v| {
            v.pointer = format!("{prefix}{}", v.pointer);
            v
        }));
        report.declaration
    }

    /// An amendment keeps the LRN, the declarant and the declaration type;
    /// a representative amends under a mandate that covers the amended
    /// declaration.
    async fn authorise_amendment(
        &self,
        op: &Eori,
        rec: &DeclarationRecord,
        d: &Declaration,
        prefix: &str,
        now: OffsetDateTime,
        violations: &mut Vec<Violation>,
    ) -> Result<(), AppError> {
        if d.lrn != rec.lrn {
            violations.push(violation(
                "FLC-AMEND-IDENTITY",
                format!("{prefix}/lrn"),
                format!("an amendment keeps the LRN {}; got {}", rec.lrn, d.lrn),
            ));
        }
        if d.declarant_id() != Some(&rec.declarant) || d.declaration_type != rec.declaration_type {
            violations.push(violation(
                "FLC-AMEND-IDENTITY",
                format!("{prefix}/declarant/id"),
                "an amendment keeps the declarant and the declaration type",
            ));
        } else if *op != rec.declarant {
            if let Err(mut v) = self.representation(op, d, now).await? {
                v.pointer = format!("{prefix}{}", v.pointer);
                violations.push(v);
            }
        }
        Ok(())
    }

    /// Commits the amendment (the new version), its risk assessment and its
    /// duties if they changed, and the message it came as; under control
    /// from now on when the channel in force is not green.
    #[allow(clippy::too_many_arguments)]
    async fn record_amendment(
        &self,
        op: &Eori,
        mut rec: DeclarationRecord,
        new_declaration: (Declaration, u32),
        amended: EventBody,
        risk: EventBody,
        duties: Option<DutyResult>,
        original: Option<Box<Original>>,
    ) -> Result<DeclarationRecord, AppError> {
        let mut kinds = vec![NotificationKind::Amended];
        let was_controlled = rec.state == State::UnderControl;
        if let Some(c) = risk.risk_channel() {
            rec.channel = c;
            if c != Channel::Green && !was_controlled {
                kinds.push(NotificationKind::UnderControl);
            }
        }
        let mut bodies = vec![
            (Actor::Operator(op.clone()), amended),
            (Actor::System, risk),
        ];
        if let Some(d) = duties {
            bodies.push((Actor::System, EventBody::DutiesAssessed { result: d }));
        }
        self.change_with(rec, bodies, Some(new_declaration), &kinds, original)
            .await
    }

    /// The risk assessment of an amended declaration (`version`), by the
    /// installed risk stage as at lodging: the stricter of the channel in
    /// force and the new decision's applies from now on.
    async fn reassess_risk(
        &self,
        rec: &DeclarationRecord,
        amended: &Declaration,
        duties: &DutyResult,
        version: u32,
        now: OffsetDateTime,
    ) -> EventBody {
        let trader = self.trader_context(&rec.declarant, now.date());
        // The amended goods and values are checked again, as at lodging
        // (an amendment must not dodge either); the amendment's answer
        // does not repeat the goods check's warnings, the decision
        // records them.
        let goods = self.goods.check(amended).map(|c| c.checks);
        let currency = self.accounts.currency().code.clone();
        let values = self
            .values
            .check(amended, duties, currency.as_str(), now)
            .await;
        let checks = tamga_core::pipeline::ItemChecks {
            goods: goods.as_ref(),
            values: values.as_ref(),
        };
        let decision = self
            .risk_stage()
            .assess(amended, &rec.mrn, &trader, duties, checks);
        let channel = decision.channel.max(rec.channel);
        EventBody::RiskAssessed {
            decision,
            version: Some(version),
            channel: Some(channel),
        }
    }

    /// Duties of an amended declaration, on its acceptance date, and
    /// whether the amount due changed. An amendment that changes duties already
    /// reserved, or the declaration's tariff quota draws, is refused: the
    /// trader invalidates and lodges anew (or the officer records the
    /// difference as findings).
    async fn reassess(
        &self,
        op: &Eori,
        rec: &DeclarationRecord,
        events: &[Event],
        amended: &Declaration,
    ) -> Result<(DutyResult, bool), AppError> {
        let (due, reserved) = Self::payment_position(events);
        let old_draws = Self::quota_draws_of(events);
        // Assess as if this declaration's own draws were not taken.
        self.return_quota(&old_draws);
        let assessed = self.assess_duties(amended, rec.registered_at.date());
        let (duties, draws) = match assessed {
            Ok(x) => x,
            Err(v) => {
                self.take_quota(&old_draws);
                return Err(self
                    .reject(
                        op,
                        Some(&rec.lrn),
                        NotificationKind::RequestRejected,
                        Some(&rec.mrn),
                        vec![v],
                    )
                    .await);
            }
        };
        if draws != old_draws {
            self.return_quota(&draws);
            self.take_quota(&old_draws);
            return Err(AppError::bad_request(
                "AMEND_CHANGES_QUOTA_DRAWS",
                "/items",
                "the amendment changes the declaration's tariff quota draws: invalidate it and lodge a new declaration",
            ));
        }
        let new_due = duties.amount_due();
        if new_due == due {
            return Ok((duties, false));
        }
        if reserved {
            return Err(AppError::bad_request(
                "AMEND_CHANGES_SECURED_DUTIES",
                "/items",
                format!(
                    "the amendment changes duties already reserved ({due} → {new_due}): invalidate it and lodge a new declaration, or ask the officer to record the difference as findings"
                ),
            ));
        }
        // Duties charged to an indirect representative (who lodged without
        // the right to pay from the declarant's account) change only when
        // that representative signs the amendment.
        let payer = crate::mandates::payer_of(events, &rec.declarant);
        if payer != rec.declarant && payer != *op {
            return Err(AppError::bad_request(
                "AMEND_CHANGES_PAYER_DUTIES",
                "/declaration/items",
                format!(
                    "the duties of this declaration are charged to {payer}, who lodged it: only {payer} may amend them ({due} → {new_due})"
                ),
            ));
        }
        Ok((duties, true))
    }

    /// A signed invalidation request: `{"mrn": "<this MRN>", "reason":
    /// "..."}`. The same signed body sent again is answered as a replay.
    #[tracing::instrument(skip_all, fields(mrn = %mrn, operator = %op))]
    pub async fn invalidate(
        &self,
        op: &Eori,
        mrn: &Mrn,
        s: Signed<'_>,
    ) -> Result<Accepted, AppError> {
        let rec = self.own_declaration(op, mrn).await?;
        let key_id = self.check_invalidator(op, &rec, &s).await?;
        let doc = signed_json(std::str::from_utf8(s.body).map_err(|_| {
            AppError::bad_request("REQUEST_JSON", "", "the body is not UTF-8 JSON")
        })?)?;
        crate::acts::check_trader_mrn(&doc, mrn)?;
        let reason = invalidation_reason(&doc);
        self.invalidate_record(op, rec, &key_id, s.body, reason, None)
            .await
    }

    /// Who may invalidate `rec`: the signature over `s` is the operator's
    /// (else 422), and a representative holds a mandate that covers the
    /// declaration. The signing key's id.
    pub(super) async fn check_invalidator(
        &self,
        op: &Eori,
        rec: &DeclarationRecord,
        s: &Signed<'_>,
    ) -> Result<String, AppError> {
        let key_id = self
            .verify(op, s)
            .await
            .map_err(|v| AppError::Rejected(vec![v]))?;
        if *op != rec.declarant {
            // A representative invalidates under a mandate that covers the
            // declaration.
            let now = OffsetDateTime::now_utc();
            if let Err(v) = self.representation(op, &rec.declaration, now).await? {
                return Err(self
                    .reject(
                        op,
                        Some(&rec.lrn),
                        NotificationKind::RequestRejected,
                        Some(&rec.mrn),
                        vec![v],
                    )
                    .await);
            }
        }
        Ok(key_id)
    }

    /// Invalidates `rec` with the signed `body` (checked by
    /// [`Self::check_invalidator`]), for `reason`: the same body again is
    /// a replay; not while a control of the current version is pending.
    /// `original` is the message it came as, stored with the act.
    pub(super) async fn invalidate_record(
        &self,
        op: &Eori,
        rec: DeclarationRecord,
        key_id: &str,
        body: &[u8],
        reason: Result<String, AppError>,
        original: Option<Box<Original>>,
    ) -> Result<Accepted, AppError> {
        let body_sha256 = sha256_hex(body);
        let events = self.store.events(&rec.mrn).await?;
        if crate::acts::already_recorded(&events, &body_sha256) {
            return Ok(Accepted {
                record: rec,
                warnings: Vec::new(),
                replay: true,
            });
        }
        let reason = reason?;
        // Not while a control announced on the current version is pending
        // (a trader could otherwise withdraw a selected declaration and
        // lodge it again until a random selection passes).
        tamga_core::lifecycle::check_invalidation(events.iter().map(|e| &e.body)).map_err(
            |refused| AppError::Conflict {
                code: "INVALIDATION_UNDER_CONTROL",
                pointer: String::new(),
                message: refused.to_string(),
            },
        )?;
        let event = EventBody::Invalidated {
            reason,
            signing_key: key_id.to_owned(),
            body_sha256: Some(body_sha256),
        };
        self.close_unreleased(
            rec,
            &events,
            (Actor::Operator(op.clone()), event),
            NotificationKind::Invalidated,
            original,
        )
        .await
    }
}

/// The reason an invalidation request gives: not empty, at most 512
/// characters.
fn invalidation_reason(doc: &serde_json::Value) -> Result<String, AppError> {
    doc.get("reason")
        .and_then(|r| r.as_str())
        .map(str::to_owned)
        .filter(|r| !r.trim().is_empty() && r.len() <= 512)
        .ok_or_else(|| {
            AppError::bad_request(
                "INVALIDATION_REASON",
                "/reason",
                "give a non-empty reason of at most 512 characters: {\"mrn\": \"...\", \"reason\": \"...\"}",
            )
        })
}
