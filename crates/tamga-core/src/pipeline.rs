//! The decision pipeline: risk assessment → duty assessment → payment →
//! release, each stage behind its own interface, each result stored on the
//! declaration as an event.
//!
//! The duty and payment stages of the clearance core pass through: they
//! charge nothing and say so in the declaration's record. The tariff and
//! single-personal-account work replaces them behind the same traits.

use serde::{Deserialize, Serialize};

use crate::codes::Mrn;
use crate::declaration::Declaration;
use crate::lifecycle::{Actor, Channel, EventBody, NotificationKind};
use crate::profiles::TraderContext;
use crate::risk::{self, RandomSelection, RiskDecision, SelectivityCriterion};

/// Result of the duty-assessment stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum DutyResult {
    /// No tariff is configured: nothing was computed, nothing is owed.
    NotAssessed { reason: String },
}

impl DutyResult {
    /// Whether an amount remains to be secured before release.
    pub fn outstanding(&self) -> bool {
        match self {
            DutyResult::NotAssessed { .. } => false,
        }
    }
}

/// Result of the payment stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PaymentResult {
    /// Nothing had to be paid or secured.
    NothingDue { reason: String },
}

impl PaymentResult {
    pub fn secured(&self) -> bool {
        match self {
            PaymentResult::NothingDue { .. } => true,
        }
    }
}

pub trait RiskStage: Send + Sync {
    /// `trader` is what is known of the declarant (its digital twin).
    fn assess(&self, d: &Declaration, mrn: &Mrn, trader: &TraderContext) -> RiskDecision;
}

pub trait DutyStage: Send + Sync {
    fn assess(&self, d: &Declaration, mrn: &Mrn) -> DutyResult;
}

pub trait PaymentStage: Send + Sync {
    fn secure(&self, d: &Declaration, mrn: &Mrn, duties: &DutyResult) -> PaymentResult;
}

/// Selectivity criteria and random selection, as configured by officers.
#[derive(Debug, Clone, Default)]
pub struct SelectivityStage {
    pub criteria: Vec<SelectivityCriterion>,
    pub random: RandomSelection,
}

impl RiskStage for SelectivityStage {
    fn assess(&self, d: &Declaration, mrn: &Mrn, _: &TraderContext) -> RiskDecision {
        risk::assess(d, mrn, &self.criteria, &self.random)
    }
}

/// Duty stage of the clearance core: no tariff yet.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoTariff;

pub const NO_TARIFF_REASON: &str =
    "duty assessment not configured: no tariff is loaded, so no duties were computed or charged";

impl DutyStage for NoTariff {
    fn assess(&self, _: &Declaration, _: &Mrn) -> DutyResult {
        DutyResult::NotAssessed {
            reason: NO_TARIFF_REASON.to_owned(),
        }
    }
}

/// Payment stage of the clearance core: nothing is ever due.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoPayment;

pub const NO_PAYMENT_REASON: &str = "no duties were assessed, so nothing was reserved or debited";

impl PaymentStage for NoPayment {
    fn secure(&self, _: &Declaration, _: &Mrn, _: &DutyResult) -> PaymentResult {
        PaymentResult::NothingDue {
            reason: NO_PAYMENT_REASON.to_owned(),
        }
    }
}

/// The stages a pipeline runs, in order.
pub struct Stages<'a> {
    pub risk: &'a dyn RiskStage,
    pub duties: &'a dyn DutyStage,
    pub payment: &'a dyn PaymentStage,
}

/// What the automatic part of the pipeline decided for a freshly
/// registered declaration: the events to append after `Lodged` and
/// `Registered`, and the notifications to send. The resulting state is not
/// stored here: [`crate::lifecycle::transition`] derives it from the events.
#[derive(Debug, Clone)]
pub struct Decided {
    pub events: Vec<(Actor, EventBody)>,
    pub notifications: Vec<NotificationKind>,
    pub channel: Channel,
}

/// Runs risk → duties → payment → release for a registered declaration.
/// Green with nothing outstanding is released at once; yellow and red go to
/// the office queue (state `UnderControl`); green with unsecured duties
/// waits in `AwaitingPayment`.
pub fn decide(d: &Declaration, mrn: &Mrn, trader: &TraderContext, stages: &Stages<'_>) -> Decided {
    let decision = stages.risk.assess(d, mrn, trader);
    let channel = decision.channel;
    let duties = stages.duties.assess(d, mrn);
    let payment = stages.payment.secure(d, mrn, &duties);
    let mut notifications = vec![NotificationKind::Registered];
    let releasable = channel == Channel::Green && (!duties.outstanding() || payment.secured());
    let mut events = vec![
        (Actor::System, EventBody::RiskAssessed { decision }),
        (Actor::System, EventBody::DutiesAssessed { result: duties }),
        (Actor::System, EventBody::PaymentSecured { result: payment }),
    ];
    if channel != Channel::Green {
        notifications.push(NotificationKind::UnderControl);
    } else if releasable {
        events.push((Actor::System, EventBody::Released { automatic: true }));
        notifications.push(NotificationKind::Released);
    }
    Decided {
        events,
        notifications,
        channel,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::{CountryCode, Lrn, MrnCategory};
    use crate::lifecycle::{replay, State};
    use crate::synth::{Generator, GeneratorConfig};

    fn declaration() -> (Declaration, Mrn) {
        let reference =
            crate::reference::ReferenceBundle::from_csv(&crate::reference::ReferenceCsv {
                hs: include_str!("../../../reference/hs2022.csv"),
                countries: include_str!("../../../reference/countries.csv"),
                currencies: include_str!("../../../reference/currencies.csv"),
                procedures: include_str!("../../../reference/procedures.csv"),
                additional_procedures: include_str!("../../../reference/additional_procedures.csv"),
                procedure_combinations: include_str!(
                    "../../../reference/procedure_combinations.csv"
                ),
                document_types: include_str!("../../../reference/document_types.csv"),
                procedure_documents: include_str!("../../../reference/procedure_documents.csv"),
                offices: include_str!("../../../reference/offices.csv"),
            })
            .unwrap();
        let mut cfg = GeneratorConfig::bench(1, time::macros::date!(2026 - 11 - 21), 3);
        cfg.error_share = Some(0.0);
        cfg.frauds = false;
        let body = Generator::new(cfg, &reference).unwrap().next().body;
        let mrn = Mrn::generate(
            2026,
            &CountryCode::parse("UZ").unwrap(),
            1,
            MrnCategory::Import,
        )
        .unwrap();
        (serde_json::from_slice(&body).unwrap(), mrn)
    }

    /// The state the events lead to, from lodging on.
    fn state_after(d: &Declaration, mrn: &Mrn, decided: &Decided) -> State {
        let head = [
            EventBody::Lodged {
                lrn: Lrn::parse(d.lrn.as_str()).unwrap(),
                body_sha256: String::new(),
                signing_key: String::new(),
            },
            EventBody::Registered { mrn: mrn.clone() },
        ];
        replay(head.iter().chain(decided.events.iter().map(|(_, e)| e)))
            .unwrap()
            .unwrap()
    }

    fn no_random() -> RandomSelection {
        RandomSelection {
            yellow_rate: rust_decimal::Decimal::ZERO,
            red_rate: rust_decimal::Decimal::ZERO,
            seed: 1,
        }
    }

    #[test]
    fn green_is_released_and_says_nothing_was_charged() {
        let (d, mrn) = declaration();
        let risk = SelectivityStage {
            criteria: vec![],
            random: no_random(),
        };
        let decided = decide(
            &d,
            &mrn,
            &TraderContext::default(),
            &Stages {
                risk: &risk,
                duties: &NoTariff,
                payment: &NoPayment,
            },
        );
        assert_eq!(decided.channel, Channel::Green);
        assert_eq!(state_after(&d, &mrn, &decided), State::Released);
        assert_eq!(
            decided.notifications,
            [NotificationKind::Registered, NotificationKind::Released]
        );
        assert!(matches!(
            &decided.events[1].1,
            EventBody::DutiesAssessed { result: DutyResult::NotAssessed { reason } } if reason == NO_TARIFF_REASON
        ));
    }

    #[test]
    fn a_criterion_hit_goes_to_the_queue_without_release() {
        let (d, mrn) = declaration();
        let prefix = d.items[0].hs_code.chapter().to_owned();
        let risk = SelectivityStage {
            criteria: vec![crate::risk::SelectivityCriterion {
                id: "C1".into(),
                description: "chapter".into(),
                hs_prefix: Some(prefix),
                origin: None,
                dispatch_country: None,
                office: None,
                declaration_type: None,
                channel: Channel::Yellow,
                active: true,
            }],
            random: no_random(),
        };
        let decided = decide(
            &d,
            &mrn,
            &TraderContext::default(),
            &Stages {
                risk: &risk,
                duties: &NoTariff,
                payment: &NoPayment,
            },
        );
        assert_eq!(decided.channel, Channel::Yellow);
        assert_eq!(state_after(&d, &mrn, &decided), State::UnderControl);
        assert!(!decided
            .events
            .iter()
            .any(|(_, e)| matches!(e, EventBody::Released { .. })));
        assert_eq!(
            decided.notifications,
            [NotificationKind::Registered, NotificationKind::UnderControl]
        );
    }
}
