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
use crate::lifecycle::{Actor, Channel, EventBody, NotificationKind, State};
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
    fn assess(&self, d: &Declaration, mrn: &Mrn) -> RiskDecision;
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
    fn assess(&self, d: &Declaration, mrn: &Mrn) -> RiskDecision {
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
/// `Registered`, and the notifications to send.
#[derive(Debug, Clone)]
pub struct Decided {
    pub events: Vec<(Actor, EventBody)>,
    pub notifications: Vec<NotificationKind>,
    pub state: State,
    pub channel: Channel,
}

/// Runs risk → duties → payment → release for a registered declaration.
/// Green with nothing outstanding is released at once; yellow and red go to
/// the office queue (state `UnderControl`); green with unsecured duties
/// waits in `AwaitingPayment`.
pub fn decide(d: &Declaration, mrn: &Mrn, stages: &Stages<'_>) -> Decided {
    let decision = stages.risk.assess(d, mrn);
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
    let state = if channel != Channel::Green {
        notifications.push(NotificationKind::UnderControl);
        State::UnderControl
    } else if releasable {
        events.push((Actor::System, EventBody::Released { automatic: true }));
        notifications.push(NotificationKind::Released);
        State::Released
    } else {
        State::AwaitingPayment
    };
    Decided {
        events,
        notifications,
        state,
        channel,
    }
}
