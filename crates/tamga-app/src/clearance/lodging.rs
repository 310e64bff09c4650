//! The lodging pipeline, as its stages: parse → control (with the
//! signature) → representation → duties → registration → risk and
//! payment decision → sealing → one durable commit → answer.
//!
//! Invariants:
//! - Nothing is written for a declaration that fails a stage before
//!   registration; the trader gets a `rejected` notification listing every
//!   violation (control reports them all at once).
//! - The risk stage is called in one place, [`Clearance::decide`].
//! - Tariff quota draws taken by the duty assessment are stored with the
//!   declaration or given back (a failure, or a replay).
//! - An identical re-send of an accepted declaration is answered with it
//!   (`replay`); a different body under a used LRN is a conflict.
//! - A declaration lodged as a standard message ([`super::messages`])
//!   runs the same stages from its mapped document on: its signature and
//!   replay check cover the message's bytes, its violations name the
//!   element they are in ([`Lodgement::place`]), and its original bytes
//!   are stored with it.

use time::OffsetDateTime;

use tamga_core::codes::Mrn;
use tamga_core::codes::{Eori, Lrn};
use tamga_core::control::{self, violation, ControlContext, Severity, Violation};
use tamga_core::declaration::Declaration;
use tamga_core::goods_check::GoodsChecks;
use tamga_core::lifecycle::{
    Actor, Channel, Event, EventBody, NewNotification, NotificationKind, State,
};
use tamga_core::pipeline::{self, Decided, DutyResult, ItemChecks};
use tamga_core::value_control::ValueChecks;
use tamga_store::{
    Alternative, DeclarationRecord, Original, Payment, PaymentOp, QuotaDrawRecord, Write,
    WriteOutcome,
};

use super::access::is_party;
use super::changes::seal;
use super::notify::{make_notifications, notification_payload, recipients};
use super::signatures::{sha256_hex, Signed};
use super::{Accepted, Clearance};
use crate::error::AppError;

/// Lodging assesses the duties at most this often when a tariff quota it
/// draws on is drawn by another instance meanwhile.
const QUOTA_TRIES: u32 = 3;
/// 409 when the quota changed on every try.
pub(crate) const QUOTA_CHANGED: &str = "QUOTA_CHANGED";

/// Fills in where a violation is in the body as it was sent (the XPath of
/// a standard message's element).
pub(crate) type Place<'a> = &'a (dyn Fn(&mut Violation) + Send + Sync);

/// The document to lodge and what it was lodged as.
pub(crate) struct Lodgement<'a> {
    /// tamga's wire JSON (the body itself, or a message mapped into it).
    pub doc: serde_json::Value,
    /// SHA-256 (hex) of the signed body's bytes.
    pub body_sha256: String,
    /// For a message: places violations in it.
    pub place: Option<Place<'a>>,
    /// For a message: its bytes, stored with the declaration.
    pub original: Option<Box<Original>>,
}

impl Lodgement<'_> {
    /// `violations` placed in the body as sent.
    fn placed(&self, mut violations: Vec<Violation>) -> Vec<Violation> {
        if let Some(place) = self.place {
            violations.iter_mut().for_each(place);
        }
        violations
    }
}

/// What control, the signature and the representation check found.
struct Checks {
    declaration: Option<Declaration>,
    /// The key that verified the signature.
    key_id: Option<String>,
    /// Lodged under a mandate: its id and who pays.
    represented: Option<(i64, Eori)>,
    violations: Vec<Violation>,
}

impl Checks {
    /// Whether a violation rejects the lodging.
    fn has_errors(&self) -> bool {
        self.violations
            .iter()
            .any(|v| v.severity == Severity::Error)
    }

    /// The lodging that passed every check, or the violations refusing it.
    fn passed(self, original: Option<Box<Original>>) -> Result<Passed, Vec<Violation>> {
        let errors = self.has_errors();
        match (self.declaration, self.key_id, errors) {
            (Some(declaration), Some(key_id), false) => Ok(Passed {
                declaration,
                key_id,
                represented: self.represented,
                warnings: self.violations,
                original,
                goods: None,
                values: None,
            }),
            _ => Err(self.violations),
        }
    }
}

/// A declaration that passed control, signed and (if a representative
/// lodged it) authorised.
#[derive(Clone)]
struct Passed {
    declaration: Declaration,
    key_id: String,
    represented: Option<(i64, Eori)>,
    /// Control warnings (did not reject).
    warnings: Vec<Violation>,
    /// The message it was lodged as, if not JSON.
    original: Option<Box<Original>>,
    /// The goods check of its items, when it ran.
    goods: Option<GoodsChecks>,
    /// The value check of its items, when it ran.
    values: Option<ValueChecks>,
}

/// A lodging given its MRN: who lodged it, who declares and who pays.
struct Registered<'a> {
    lodged_by: &'a Eori,
    mrn: Mrn,
    declarant: Eori,
    /// Who pays when it is not the declarant: an indirect representative
    /// lodging without the right to pay from the declarant's account.
    payer: Option<Eori>,
    body_sha256: String,
    now: OffsetDateTime,
}

impl Registered<'_> {
    /// Whose accounts pay the duties.
    fn pays(&self) -> &Eori {
        self.payer.as_ref().unwrap_or(&self.declarant)
    }
}

/// The events both forms of a lodging start with, sealed once.
struct Shared {
    events: Vec<Event>,
    state: State,
    hash: String,
}

/// One form of the lodged declaration: its record, its events after the
/// shared ones and its notifications.
type Form = (DeclarationRecord, Vec<Event>, Vec<NewNotification>);

impl Clearance {
    /// Lodges a signed declaration. On success it is registered, assessed
    /// and, if green with nothing outstanding, released, all in one durable
    /// commit.
    #[tracing::instrument(skip_all, fields(operator = %lodged_by))]
    pub async fn lodge(&self, lodged_by: &Eori, s: Signed<'_>) -> Result<Accepted, AppError> {
        let body_sha256 = sha256_hex(s.body);
        let doc = self.parse(lodged_by, s.body).await?;
        let lodgement = Lodgement {
            doc,
            body_sha256,
            place: None,
            original: None,
        };
        self.lodge_document(lodged_by, &s, lodgement).await
    }

    /// Stages 2 to 9 on a parsed document, `s` its signed bytes.
    pub(crate) async fn lodge_document(
        &self,
        lodged_by: &Eori,
        s: &Signed<'_>,
        mut lodgement: Lodgement<'_>,
    ) -> Result<Accepted, AppError> {
        let now = OffsetDateTime::now_utc();
        let doc = std::mem::take(&mut lodgement.doc);
        let mut checks = self.control(lodged_by, s, &doc, now).await;
        self.authorise_representation(lodged_by, &mut checks, now)
            .await?;
        checks.violations = lodgement.placed(checks.violations);
        let body_sha256 = lodgement.body_sha256.clone();
        // A refused message's rejection names its format (`reject_as`).
        let lodged_as = lodgement.original.as_ref().map(|o| o.format.clone());
        let mut passed = match checks.passed(lodgement.original.take()) {
            Ok(p) => p,
            Err(violations) => {
                return self
                    .refuse_lodging(
                        lodged_by,
                        &doc,
                        violations,
                        &lodgement,
                        lodged_as.as_deref(),
                    )
                    .await
            }
        };
        self.check_goods(&mut passed, &lodgement);
        let mut tries = 0;
        loop {
            tries += 1;
            let (duties, draws) = self
                .assess_lodged_duties(lodged_by, &passed, now, &lodgement)
                .await?;
            self.check_values(&mut passed, &duties, now).await;
            // Another try needs the declaration again (only when it draws
            // on a quota, whose balance another instance may change).
            let again = (!draws.is_empty() && tries < QUOTA_TRIES).then(|| passed.clone());
            // Everything from here on either stores the declaration with
            // its quota draws or gives the draws back.
            let result = self
                .register_and_commit(lodged_by, passed, duties, &draws, body_sha256.clone(), now)
                .await;
            match &result {
                Ok(a) if !a.replay => {}
                _ => self.return_quota(&draws),
            }
            match (result, again) {
                (Err(AppError::Conflict { code, .. }), Some(p)) if code == QUOTA_CHANGED => {
                    // Assess again with the balances every instance drew.
                    self.refresh_quota().await?;
                    passed = p;
                }
                (result, _) => return result,
            }
        }
    }

    /// Stage 1: the body as JSON; a syntax error rejects the lodging.
    async fn parse(&self, lodged_by: &Eori, body: &[u8]) -> Result<serde_json::Value, AppError> {
        match serde_json::from_slice(body) {
            Ok(doc) => Ok(doc),
            Err(e) => {
                let v = violation(
                    "FLC-JSON-SYNTAX",
                    "",
                    format!(
                        "body is not valid JSON: {e} (line {}, column {})",
                        e.line(),
                        e.column()
                    ),
                );
                Err(self
                    .reject(lodged_by, None, NotificationKind::Rejected, None, vec![v])
                    .await)
            }
        }
    }

    /// Stage 2: format-logical control and the signature, every violation
    /// at once (a signature's first).
    async fn control(
        &self,
        lodged_by: &Eori,
        s: &Signed<'_>,
        doc: &serde_json::Value,
        now: OffsetDateTime,
    ) -> Checks {
        let ctx = ControlContext {
            reference: &self.reference,
            today: now.date(),
            lodged_by,
        };
        let report = control::run(doc, &ctx);
        let mut violations = report.violations;
        let key_id = match self.verify(lodged_by, s).await {
            Ok(k) => Some(k),
            Err(v) => {
                violations.insert(0, v);
                None
            }
        };
        Checks {
            declaration: report.declaration,
            key_id,
            represented: None,
            violations,
        }
    }

    /// Stage 3: lodged by a representative, a mandate from the declarant
    /// must cover it, and says who pays (`mandates`). The declarant's own
    /// lodgings, and lodgings already refused, read nothing.
    async fn authorise_representation(
        &self,
        lodged_by: &Eori,
        checks: &mut Checks,
        now: OffsetDateTime,
    ) -> Result<(), AppError> {
        if checks.has_errors() {
            return Ok(());
        }
        let Some(d) = checks
            .declaration
            .as_ref()
            .filter(|d| d.declarant_id() != Some(lodged_by))
        else {
            return Ok(());
        };
        match self.representation(lodged_by, d, now).await? {
            Ok(m) => match m.terms.payer() {
                Ok(payer) => checks.represented = Some((m.id, payer.clone())),
                Err(v) => checks.violations.push(v),
            },
            Err(v) => checks.violations.push(v),
        }
        Ok(())
    }

    /// A lodging that failed its checks. An identical re-send of an
    /// accepted declaration is answered with it even if it would not pass
    /// control today (dates move on); a different body under a used LRN
    /// gets the conflict listed with its other violations. Accepted ones
    /// meet their twin at commit instead, so the happy path pays no lookup.
    async fn refuse_lodging(
        &self,
        lodged_by: &Eori,
        doc: &serde_json::Value,
        mut violations: Vec<Violation>,
        lodgement: &Lodgement<'_>,
        lodged_as: Option<&str>,
    ) -> Result<Accepted, AppError> {
        let (lrn, declarant) = lrn_and_declarant(doc);
        if let (Some(lrn), Some(declarant)) = (&lrn, &declarant) {
            if let Some(existing) = self.store.declaration_by_lrn(declarant, lrn).await? {
                match replay_or_conflict(lodged_by, existing, &lodgement.body_sha256) {
                    Err(AppError::LrnConflict { lrn, mrn }) => violations.extend(lodgement.placed(vec![violation(
                        "FLC-LRN-CONFLICT",
                        "/lrn",
                        format!("LRN {lrn} was already used by this declarant for a different declaration ({mrn})"),
                    )])),
                    answer => return answer,
                }
            }
        }
        Err(self
            .reject_as(
                lodged_by,
                lrn.as_ref(),
                NotificationKind::Rejected,
                None,
                violations,
                lodged_as,
            )
            .await)
    }

    /// Stage 3b: the goods check (vague descriptions, declared headings
    /// that do not match their description): warnings and what the risk
    /// stage reads; never a refusal, never a wait ([`crate::goods`]).
    fn check_goods(&self, passed: &mut Passed, lodgement: &Lodgement<'_>) {
        if let Some(checked) = self.goods.check(&passed.declaration) {
            passed.warnings.extend(lodgement.placed(checked.warnings));
            passed.goods = Some(checked.checks);
        }
    }

    /// Stage 4b: the value check (unit values against the reference
    /// prices of released declarations): what the risk stage reads; never
    /// a refusal, and within its time budget ([`crate::values`]).
    async fn check_values(&self, passed: &mut Passed, duties: &DutyResult, now: OffsetDateTime) {
        let currency = self.accounts.currency().code.clone();
        passed.values = self
            .values
            .check(&passed.declaration, duties, currency.as_str(), now)
            .await;
    }

    /// Stage 4: duties on the lodging day, with tariff quota draws taken;
    /// an item that cannot be assessed rejects the lodging.
    async fn assess_lodged_duties(
        &self,
        lodged_by: &Eori,
        passed: &Passed,
        now: OffsetDateTime,
        lodgement: &Lodgement<'_>,
    ) -> Result<(DutyResult, Vec<QuotaDrawRecord>), AppError> {
        let declaration = &passed.declaration;
        match self.assess_duties(declaration, now.date()) {
            Ok(assessed) => Ok(assessed),
            Err(v) => Err(self
                .reject_as(
                    lodged_by,
                    Some(&declaration.lrn),
                    NotificationKind::Rejected,
                    None,
                    lodgement.placed(vec![v]),
                    passed.original.as_ref().map(|o| o.format.as_str()),
                )
                .await),
        }
    }

    /// Stages 5 to 8, for a declaration whose duties are assessed:
    /// registration, the risk and payment decision, securing the duties,
    /// and the commit.
    async fn register_and_commit(
        &self,
        lodged_by: &Eori,
        passed: Passed,
        duties: DutyResult,
        draws: &[QuotaDrawRecord],
        body_sha256: String,
        now: OffsetDateTime,
    ) -> Result<Accepted, AppError> {
        let registered = self.register(lodged_by, &passed, body_sha256, now).await?;
        let decided = self.decide(
            &passed.declaration,
            &registered,
            duties,
            ItemChecks {
                goods: passed.goods.as_ref(),
                values: passed.values.as_ref(),
            },
        );
        let payment = self.secure_duties(&registered, &decided).await?;
        self.commit(&registered, passed, decided, payment, draws)
            .await
    }

    /// Stage 5: the MRN, and who declares and who pays.
    async fn register<'a>(
        &self,
        lodged_by: &'a Eori,
        passed: &Passed,
        body_sha256: String,
        now: OffsetDateTime,
    ) -> Result<Registered<'a>, AppError> {
        let mrn = self
            .next_mrn(passed.declaration.declaration_type, now)
            .await?;
        let declarant = passed.declaration.declarant_id().cloned().ok_or_else(|| {
            AppError::Rejected(vec![violation(
                "FLC-DECLARANT-ID-MISSING",
                "/declarant/id",
                "declarant id is missing",
            )])
        })?;
        let payer = passed
            .represented
            .as_ref()
            .map(|(_, p)| p)
            .filter(|p| **p != declarant)
            .cloned();
        Ok(Registered {
            lodged_by,
            mrn,
            declarant,
            payer,
            body_sha256,
            now,
        })
    }

    /// Stage 6: the risk stage (its one call in lodging), then duties →
    /// payment → release, in the secured and unsecured forms.
    fn decide(
        &self,
        declaration: &Declaration,
        registered: &Registered<'_>,
        duties: DutyResult,
        checks: ItemChecks<'_>,
    ) -> Decided {
        let risk = self.risk_stage();
        let trader = self.trader_context(&registered.declarant, registered.now.date());
        pipeline::decide(
            declaration,
            &registered.mrn,
            &trader,
            risk.as_ref(),
            duties,
            checks,
            &self.accounts.currency().code,
        )
    }

    /// Stage 7: the ledger operation that secures the duties due on the
    /// payer's accounts (and debits them when the declaration is released
    /// at once); none when nothing is due.
    async fn secure_duties(
        &self,
        registered: &Registered<'_>,
        decided: &Decided,
    ) -> Result<Option<PaymentOp>, AppError> {
        if decided.due.is_zero() {
            return Ok(None);
        }
        Ok(Some(PaymentOp::Secure {
            accounts: self.paying_accounts(registered.pays()).await?.to_vec(),
            amount: self.minor(decided.due)?,
            debit: decided.release_if_secured,
        }))
    }

    /// Stage 8: seals both forms (secured, and unsecured when the duties
    /// may not be covered) and commits them with the payment and the quota
    /// draws in one durable write; answers with the form stored.
    async fn commit(
        &self,
        registered: &Registered<'_>,
        passed: Passed,
        decided: Decided,
        payment: Option<PaymentOp>,
        draws: &[QuotaDrawRecord],
    ) -> Result<Accepted, AppError> {
        let Passed {
            declaration,
            key_id,
            represented,
            warnings,
            original,
            ..
        } = passed;
        // Both forms start with the same events, sealed once.
        let shared = registered.seal_shared(
            &declaration,
            key_id,
            represented.map(|(id, _)| id),
            decided.shared,
        )?;
        let otherwise = match decided.unsecured {
            Some(b) => {
                let (record, events, notifications) =
                    registered.form(&shared, decided.channel, b, declaration.clone(), &warnings)?;
                Some(Box::new(Alternative {
                    record: Box::new(record),
                    shared_events: shared.events.len(),
                    events,
                    notifications,
                }))
            }
            None => None,
        };
        // What the caller gets back if that form is stored.
        let other_record = otherwise.as_ref().map(|a| {
            (
                a.record.state,
                a.record.last_seq,
                a.record.last_hash.clone(),
            )
        });
        let (record, tail, notifications) = registered.form(
            &shared,
            decided.channel,
            decided.secured,
            declaration,
            &warnings,
        )?;
        let mut events = shared.events;
        events.extend(tail);
        let outcome = self
            .writer
            .write(Write::Insert {
                record: Box::new(record.clone()),
                events,
                notifications,
                payment: payment.map(|op| Payment { op, otherwise }),
                quota_draws: draws.to_vec(),
                original,
            })
            .await?;
        self.answer(
            registered.lodged_by,
            outcome,
            record,
            other_record,
            warnings,
        )
        .await
    }

    /// Stage 9: the answer from what the commit stored: the secured form,
    /// the unsecured one, or the twin that a concurrent lodging with the
    /// same LRN stored first.
    async fn answer(
        &self,
        lodged_by: &Eori,
        outcome: WriteOutcome,
        record: DeclarationRecord,
        other_record: Option<(State, u32, String)>,
        warnings: Vec<Violation>,
    ) -> Result<Accepted, AppError> {
        let accepted = |record: DeclarationRecord| Accepted {
            record,
            warnings,
            replay: false,
        };
        match outcome {
            WriteOutcome::Committed => Ok(accepted(record)),
            WriteOutcome::Unsecured => match other_record {
                Some((state, last_seq, last_hash)) => Ok(accepted(DeclarationRecord {
                    state,
                    last_seq,
                    last_hash,
                    ..record
                })),
                None => Err(AppError::Unavailable(
                    "stored an unsecured form that does not exist".into(),
                )),
            },
            WriteOutcome::DuplicateLrn { existing } => {
                // A concurrent lodging with the same LRN won the race.
                let existing = self
                    .store
                    .declaration(&existing)
                    .await?
                    .ok_or_else(|| AppError::not_found(format!("declaration {existing}")))?;
                replay_or_conflict(lodged_by, existing, &record.body_sha256)
            }
            WriteOutcome::Stale | WriteOutcome::Insufficient { .. } => Err(AppError::Stale),
            WriteOutcome::QuotaExhausted { order_number } => Err(AppError::Conflict {
                code: QUOTA_CHANGED,
                pointer: String::new(),
                message: format!(
                    "tariff quota {order_number} changed while the declaration was assessed; lodge it again"
                ),
            }),
        }
    }
}

impl Registered<'_> {
    /// The events both forms start with (lodged, registered, and the
    /// decision's shared ones: risk, duties), sealed from the chain's start.
    fn seal_shared(
        &self,
        declaration: &Declaration,
        key_id: String,
        mandate: Option<i64>,
        decided: Vec<(Actor, EventBody)>,
    ) -> Result<Shared, AppError> {
        let mut bodies = vec![
            (
                Actor::Operator(self.lodged_by.clone()),
                EventBody::Lodged {
                    lrn: declaration.lrn.clone(),
                    body_sha256: self.body_sha256.clone(),
                    signing_key: key_id,
                    mandate,
                    payer: self.payer.clone(),
                },
            ),
            (
                Actor::System,
                EventBody::Registered {
                    mrn: self.mrn.clone(),
                },
            ),
        ];
        bodies.extend(decided);
        let (events, state, hash) = seal(&self.mrn, 0, "", None, self.now, bodies)?;
        Ok(Shared {
            events,
            state,
            hash,
        })
    }

    /// One form of the declaration: its record, its events after the
    /// shared ones, and its notifications (whose payloads may read any of
    /// its events).
    fn form(
        &self,
        shared: &Shared,
        channel: Channel,
        branch: pipeline::Branch,
        declaration: Declaration,
        warnings: &[Violation],
    ) -> Result<Form, AppError> {
        let shared_seq = shared.events.len() as u32;
        let (tail, state, last_hash) = seal(
            &self.mrn,
            shared_seq,
            &shared.hash,
            Some(shared.state),
            self.now,
            branch.events,
        )?;
        let record = DeclarationRecord {
            mrn: self.mrn.clone(),
            lrn: declaration.lrn.clone(),
            declaration_type: declaration.declaration_type,
            declarant: self.declarant.clone(),
            representative: declaration.representative_id().cloned(),
            lodged_by: self.lodged_by.clone(),
            office: declaration.declaration_office.clone(),
            state,
            channel,
            version: 1,
            body_sha256: self.body_sha256.clone(),
            registered_at: self.now,
            updated_at: self.now,
            last_seq: shared_seq + tail.len() as u32,
            last_hash,
            declaration,
        };
        let recipients = recipients(self.lodged_by, Some(&self.declarant));
        let mut notifications = Vec::new();
        for kind in branch.notifications {
            let payload = notification_payload(
                kind,
                &record,
                shared.events.iter().chain(&tail),
                warnings,
                Some(self.pays()),
            );
            notifications.extend(make_notifications(
                &recipients,
                kind,
                Some(&self.mrn),
                Some(&record.lrn),
                self.now,
                payload,
            ));
        }
        Ok((record, tail, notifications))
    }
}

/// The LRN and declarant a body names, where they parse (to find an
/// earlier lodging of the same declaration).
fn lrn_and_declarant(doc: &serde_json::Value) -> (Option<Lrn>, Option<Eori>) {
    let lrn = doc
        .get("lrn")
        .and_then(|v| v.as_str())
        .and_then(|s| Lrn::parse(s).ok());
    let declarant = doc
        .pointer("/declarant/id")
        .and_then(|v| v.as_str())
        .and_then(|s| Eori::parse(s).ok());
    (lrn, declarant)
}

/// A lodging that meets an accepted declaration under its LRN: a replay
/// when the body is the same, else a conflict. Another trader's
/// declaration is not revealed.
fn replay_or_conflict(
    lodged_by: &Eori,
    existing: DeclarationRecord,
    body_sha256: &str,
) -> Result<Accepted, AppError> {
    if !is_party(lodged_by, &existing) {
        // Do not reveal another trader's declaration.
        return Err(AppError::LrnConflict {
            lrn: existing.lrn.to_string(),
            mrn: "(not yours)".into(),
        });
    }
    if existing.body_sha256 == body_sha256 {
        Ok(Accepted {
            record: existing,
            warnings: Vec::new(),
            replay: true,
        })
    } else {
        Err(AppError::LrnConflict {
            lrn: existing.lrn.to_string(),
            mrn: existing.mrn.to_string(),
        })
    }
}
