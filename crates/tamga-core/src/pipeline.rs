//! The decision pipeline: risk assessment → duty assessment → payment →
//! release, each result stored on the declaration as an event.
//!
//! [`decide`] is pure: given the risk stage, the trader context and the
//! duty result it returns the events of a freshly registered declaration
//! in two forms, one for when its duties are secured (reserved on the
//! declarant's single personal account; debited at once if it is released
//! now) and one for when they cannot be ([`Decided::unsecured`]). The
//! storage commits the reservation and the chosen form together, so money
//! and record never disagree (see `tamga_store::Payment`).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::codes::{CurrencyCode, Mrn};
use crate::declaration::Declaration;
use crate::goods_check::GoodsChecks;
use crate::lifecycle::{Actor, Channel, EventBody, NotificationKind};
use crate::money::Money;
use crate::profiles::TraderContext;
use crate::risk::{self, DrawKey, RandomSelection, RiskDecision, SelectivityCriterion};
use crate::value_control::ValueChecks;

/// Result of the duty-assessment stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum DutyResult {
    /// No tariff is configured: nothing was computed, nothing is owed.
    NotAssessed { reason: String },
    /// Assessed with the tariff: totals in national currency, exact to the
    /// minor unit, and the full explanation (per item, per measure).
    Assessed {
        currency: CurrencyCode,
        #[serde(with = "rust_decimal::serde::str")]
        customs_duty: Decimal,
        #[serde(with = "rust_decimal::serde::str")]
        additional_duties: Decimal,
        #[serde(with = "rust_decimal::serde::str")]
        excise: Decimal,
        #[serde(with = "rust_decimal::serde::str")]
        vat: Decimal,
        #[serde(with = "rust_decimal::serde::str")]
        total: Decimal,
        /// Which tariff (its stored id and name).
        tariff: String,
        /// The explanation: per item, every measure with its expression,
        /// base and amount, the exchange rate and the rounding rule.
        assessment: Box<crate::tariff::DeclarationAssessment>,
    },
}

impl DutyResult {
    /// The amount to secure before release (zero when nothing is owed).
    pub fn amount_due(&self) -> Decimal {
        match self {
            DutyResult::NotAssessed { .. } => Decimal::ZERO,
            DutyResult::Assessed { total, .. } => *total,
        }
    }

    /// Each goods item's tax rate (the risk attribute `tax_rate`), in item
    /// order: the customs duty charged on the item (the one duty option
    /// chosen: third-country duty, preference, suspension or quota rate),
    /// at full precision, in percent of the item's customs value in
    /// national currency, to 4 decimals. An ad valorem duty gives its own
    /// rate (12 % → 12), a specific duty its ad valorem equivalent, an
    /// item charged no customs duty 0. Empty when no tariff assessed the
    /// declaration; absent for an item whose customs value is zero.
    pub fn item_tax_rates(&self) -> Vec<Option<Decimal>> {
        let DutyResult::Assessed { assessment, .. } = self else {
            return Vec::new();
        };
        assessment
            .items
            .iter()
            .map(|item| {
                let base = item.customs_value_national.amount;
                if base <= Decimal::ZERO {
                    return None;
                }
                let duty: Decimal = item
                    .lines
                    .iter()
                    .filter(|l| l.kind.is_duty_option())
                    .map(|l| l.full_precision)
                    .sum();
                duty.checked_mul(Decimal::ONE_HUNDRED)
                    .and_then(|x| x.checked_div(base))
                    .map(|r| r.round_dp(4).normalize())
            })
            .collect()
    }

    /// The amount to secure with its currency; `None` when nothing was
    /// assessed (and so nothing is owed, in no currency).
    ///
    /// The variants keep a currency beside bare decimals because that is
    /// their stored, hash-covered form (`"currency":"UZS","total":"…"`);
    /// this is the typed view of it.
    pub fn due(&self) -> Option<Money> {
        match self {
            DutyResult::NotAssessed { .. } => None,
            DutyResult::Assessed {
                currency, total, ..
            } => Some(Money::new(*total, currency.clone())),
        }
    }
}

/// Result of the payment stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PaymentResult {
    /// Nothing had to be paid or secured.
    NothingDue { reason: String },
    /// Reserved on the declarant's account (cash, else its guarantee); the
    /// ledger's reservation for the MRN says which.
    Reserved {
        currency: CurrencyCode,
        #[serde(with = "rust_decimal::serde::str")]
        amount: Decimal,
    },
    /// The declarant's accounts could not cover the amount.
    Unsecured {
        currency: CurrencyCode,
        #[serde(with = "rust_decimal::serde::str")]
        amount: Decimal,
        reason: String,
    },
}

impl PaymentResult {
    pub fn secured(&self) -> bool {
        !matches!(self, PaymentResult::Unsecured { .. })
    }

    /// The amount reserved, or that could not be, with its currency; `None`
    /// when nothing was due.
    pub fn money(&self) -> Option<Money> {
        match self {
            PaymentResult::NothingDue { .. } => None,
            PaymentResult::Reserved { currency, amount }
            | PaymentResult::Unsecured {
                currency, amount, ..
            } => Some(Money::new(*amount, currency.clone())),
        }
    }
}

pub trait RiskStage: Send + Sync {
    /// `trader` is what is known of the declarant (its digital twin);
    /// `duties` is the declaration's duty assessment, which runs first so
    /// that risk can see each item's tax rate
    /// ([`DutyResult::item_tax_rates`]); `checks` are the goods and value
    /// checks of its items, when they ran ([`crate::goods_check`],
    /// [`crate::value_control`]).
    fn assess(
        &self,
        d: &Declaration,
        mrn: &Mrn,
        trader: &TraderContext,
        duties: &DutyResult,
        checks: ItemChecks<'_>,
    ) -> RiskDecision;
}

/// What lodging's checks of the goods items found, for the risk stage.
#[derive(Debug, Clone, Copy, Default)]
pub struct ItemChecks<'a> {
    /// The goods check (descriptions, headings, controlled goods).
    pub goods: Option<&'a GoodsChecks>,
    /// The value check (unit values against the reference prices).
    pub values: Option<&'a ValueChecks>,
}

/// Selectivity criteria and random selection, as configured by officers,
/// with the service's secret draw key.
#[derive(Debug, Clone, Default)]
pub struct SelectivityStage {
    pub criteria: Vec<SelectivityCriterion>,
    pub random: RandomSelection,
    pub key: DrawKey,
}

impl RiskStage for SelectivityStage {
    fn assess(
        &self,
        d: &Declaration,
        mrn: &Mrn,
        _: &TraderContext,
        _: &DutyResult,
        _: ItemChecks<'_>,
    ) -> RiskDecision {
        risk::assess(d, mrn, &self.criteria, &self.random, &self.key)
    }
}

pub const NO_TARIFF_REASON: &str =
    "duty assessment not configured: no tariff is loaded, so no duties were computed or charged";

pub const NOTHING_DUE_REASON: &str = "no duties or taxes are due, so nothing was reserved";

pub const UNSECURED_REASON: &str = "the declarant's single personal account (and guarantee, if any) could not cover the amount; the declaration waits for a deposit";

/// The events of one outcome of the payment stage, after the events both
/// outcomes share ([`Decided::shared`]).
#[derive(Debug, Clone)]
pub struct Branch {
    pub events: Vec<(Actor, EventBody)>,
    pub notifications: Vec<NotificationKind>,
}

/// What the automatic part of the pipeline decided for a freshly
/// registered declaration: the events to append after `Lodged` and
/// `Registered`, and the notifications to send. The resulting state is not
/// stored here: [`crate::lifecycle::transition`] derives it from the events.
#[derive(Debug, Clone)]
pub struct Decided {
    pub channel: Channel,
    /// The events both outcomes start with (risk and duty assessment): a
    /// form is `shared` followed by its branch's events, so the large duty
    /// explanation is built and sealed once.
    pub shared: Vec<(Actor, EventBody)>,
    /// Duties are secured (or nothing is due).
    pub secured: Branch,
    /// Duties are due but cannot be secured; `None` when nothing is due.
    pub unsecured: Option<Branch>,
    /// The amount to reserve (national currency), zero when nothing is due.
    pub due: Decimal,
    /// Released now if secured (green).
    pub release_if_secured: bool,
}

/// Runs risk → duties → payment → release for a registered declaration.
/// Green with its duties secured (or nothing due) is released at once;
/// yellow and red go to the office queue (state `UnderControl`), with their
/// duties reserved if the account covers them; green whose duties cannot
/// be secured waits in `AwaitingPayment`.
pub fn decide(
    d: &Declaration,
    mrn: &Mrn,
    trader: &TraderContext,
    risk: &dyn RiskStage,
    duties: DutyResult,
    checks: ItemChecks<'_>,
    currency: &CurrencyCode,
) -> Decided {
    let decision = risk.assess(d, mrn, trader, &duties, checks);
    let channel = decision.channel;
    let due = duties.amount_due();
    let green = channel == Channel::Green;
    let shared = vec![
        (
            Actor::System,
            EventBody::RiskAssessed {
                decision,
                version: None,
                channel: None,
            },
        ),
        (Actor::System, EventBody::DutiesAssessed { result: duties }),
    ];
    let mut base_notes = vec![NotificationKind::Registered];
    if !green {
        base_notes.push(NotificationKind::UnderControl);
    }
    let secured_payment = if due.is_zero() {
        PaymentResult::NothingDue {
            reason: NOTHING_DUE_REASON.to_owned(),
        }
    } else {
        PaymentResult::Reserved {
            currency: currency.clone(),
            amount: due,
        }
    };
    let mut secured = Branch {
        events: Vec::with_capacity(2),
        notifications: base_notes.clone(),
    };
    secured.events.push((
        Actor::System,
        EventBody::PaymentSecured {
            result: secured_payment,
        },
    ));
    if green {
        secured
            .events
            .push((Actor::System, EventBody::automatic_release()));
        secured.notifications.push(NotificationKind::Released);
    }
    let unsecured = (!due.is_zero()).then(|| {
        let mut b = Branch {
            events: Vec::with_capacity(1),
            notifications: base_notes,
        };
        b.events.push((
            Actor::System,
            EventBody::PaymentSecured {
                result: PaymentResult::Unsecured {
                    currency: currency.clone(),
                    amount: due,
                    reason: UNSECURED_REASON.to_owned(),
                },
            },
        ));
        if green {
            b.notifications.push(NotificationKind::AwaitingPayment);
        }
        b
    });
    Decided {
        channel,
        shared,
        secured,
        unsecured,
        due,
        release_if_secured: green,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::{CountryCode, Lrn, MrnCategory};
    use crate::lifecycle::{replay, State};

    /// A valid standard import (produced once by `tamga_sim::Generator`,
    /// seed 3, 2026-11-21, no errors or frauds; kept as a file so that the
    /// domain crate does not depend on the generator).
    const DECLARATION_JSON: &str = include_str!("testdata/declaration.json");

    fn declaration() -> (Declaration, Mrn) {
        let mrn = Mrn::generate(
            2026,
            &CountryCode::parse("UZ").unwrap(),
            1,
            MrnCategory::Import,
        )
        .unwrap();
        (serde_json::from_str(DECLARATION_JSON).unwrap(), mrn)
    }

    /// The stored (hash-covered) form of payment results is unchanged by
    /// their typed `Money` view, which carries the same amount and currency.
    #[test]
    fn payment_results_keep_their_stored_form_and_give_money() {
        let uzs = crate::codes::CurrencyCode::parse("UZS").unwrap();
        let reserved = PaymentResult::Reserved {
            currency: uzs.clone(),
            amount: Decimal::new(250_000_000, 2),
        };
        assert_eq!(
            serde_json::to_string(&reserved).unwrap(),
            r#"{"status":"reserved","currency":"UZS","amount":"2500000.00"}"#
        );
        assert_eq!(
            reserved.money(),
            Some(Money::new(Decimal::new(250_000_000, 2), uzs.clone()))
        );
        let unsecured = PaymentResult::Unsecured {
            currency: uzs.clone(),
            amount: Decimal::new(1, 0),
            reason: "r".into(),
        };
        assert_eq!(
            serde_json::to_string(&unsecured).unwrap(),
            r#"{"status":"unsecured","currency":"UZS","amount":"1","reason":"r"}"#
        );
        assert_eq!(unsecured.money().unwrap().currency, uzs);
        assert_eq!(
            PaymentResult::NothingDue { reason: "n".into() }.money(),
            None
        );
        let not_assessed = DutyResult::NotAssessed { reason: "x".into() };
        assert_eq!(not_assessed.due(), None);
        assert_eq!(not_assessed.amount_due(), Decimal::ZERO);
        assert_eq!(
            serde_json::to_string(&not_assessed).unwrap(),
            r#"{"status":"not_assessed","reason":"x"}"#
        );
        let due = assessed(Decimal::new(123_456, 2)).due().unwrap();
        assert_eq!(due, Money::new(Decimal::new(123_456, 2), uzs));
    }

    /// The state the events lead to, from lodging on.
    fn state_after(d: &Declaration, mrn: &Mrn, decided: &Decided, branch: &Branch) -> State {
        let head = [
            EventBody::Lodged {
                lrn: Lrn::parse(d.lrn.as_str()).unwrap(),
                body_sha256: String::new(),
                signing_key: String::new(),
                mandate: None,
                payer: None,
            },
            EventBody::Registered { mrn: mrn.clone() },
        ];
        replay(
            head.iter()
                .chain(decided.shared.iter().map(|(_, e)| e))
                .chain(branch.events.iter().map(|(_, e)| e)),
        )
        .unwrap()
        .unwrap()
    }

    fn no_random() -> RandomSelection {
        RandomSelection {
            yellow_rate: Decimal::ZERO,
            red_rate: Decimal::ZERO,
            seed: 1,
        }
    }

    fn uzs() -> CurrencyCode {
        CurrencyCode::parse("UZS").unwrap()
    }

    fn assessed(total: Decimal) -> DutyResult {
        DutyResult::Assessed {
            currency: uzs(),
            customs_duty: total,
            additional_duties: Decimal::ZERO,
            excise: Decimal::ZERO,
            vat: Decimal::ZERO,
            total,
            tariff: "test".into(),
            assessment: Box::new(crate::tariff::DeclarationAssessment {
                national_currency: "UZS".into(),
                acceptance_date: time::macros::date!(2026 - 11 - 21),
                rounding: crate::tariff::ROUNDING_RULE.into(),
                items: vec![],
                customs_duty: crate::money::Money::new(total, uzs()),
                additional_duties: crate::money::Money::new(Decimal::ZERO, uzs()),
                excise: crate::money::Money::new(Decimal::ZERO, uzs()),
                vat: crate::money::Money::new(Decimal::ZERO, uzs()),
                total: crate::money::Money::new(total, uzs()),
            }),
        }
    }

    #[test]
    fn green_with_nothing_due_is_released_and_says_so() {
        let (d, mrn) = declaration();
        let risk = SelectivityStage {
            criteria: vec![],
            random: no_random(),
            key: DrawKey::default(),
        };
        let no_tariff = DutyResult::NotAssessed {
            reason: NO_TARIFF_REASON.into(),
        };
        let decided = decide(
            &d,
            &mrn,
            &TraderContext::default(),
            &risk,
            no_tariff,
            ItemChecks::default(),
            &uzs(),
        );
        assert_eq!(decided.channel, Channel::Green);
        assert!(decided.unsecured.is_none());
        assert!(decided.due.is_zero());
        assert_eq!(
            state_after(&d, &mrn, &decided, &decided.secured),
            State::Released
        );
        assert_eq!(
            decided.secured.notifications,
            [NotificationKind::Registered, NotificationKind::Released]
        );
        assert!(matches!(
            &decided.secured.events[0].1,
            EventBody::PaymentSecured {
                result: PaymentResult::NothingDue { .. }
            }
        ));
    }

    #[test]
    fn green_with_duties_is_released_if_secured_and_waits_if_not() {
        let (d, mrn) = declaration();
        let risk = SelectivityStage {
            criteria: vec![],
            random: no_random(),
            key: DrawKey::default(),
        };
        let decided = decide(
            &d,
            &mrn,
            &TraderContext::default(),
            &risk,
            assessed(Decimal::new(123_456, 2)),
            ItemChecks::default(),
            &uzs(),
        );
        assert_eq!(decided.due, Decimal::new(123_456, 2));
        assert!(decided.release_if_secured);
        assert_eq!(
            state_after(&d, &mrn, &decided, &decided.secured),
            State::Released
        );
        let unsecured = decided.unsecured.as_ref().expect("an unsecured form");
        assert_eq!(
            state_after(&d, &mrn, &decided, unsecured),
            State::AwaitingPayment
        );
        assert_eq!(
            unsecured.notifications,
            [
                NotificationKind::Registered,
                NotificationKind::AwaitingPayment
            ]
        );
        assert!(!unsecured
            .events
            .iter()
            .any(|(_, e)| matches!(e, EventBody::Released { .. })));
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
            key: DrawKey::default(),
        };
        let decided = decide(
            &d,
            &mrn,
            &TraderContext::default(),
            &risk,
            assessed(Decimal::ONE),
            ItemChecks::default(),
            &uzs(),
        );
        assert_eq!(decided.channel, Channel::Yellow);
        assert!(!decided.release_if_secured);
        for branch in [&decided.secured, decided.unsecured.as_ref().unwrap()] {
            assert_eq!(state_after(&d, &mrn, &decided, branch), State::UnderControl);
            assert!(!branch
                .events
                .iter()
                .any(|(_, e)| matches!(e, EventBody::Released { .. })));
        }
    }

    /// One assessed item: customs value `cv` (national), charged `lines`
    /// (kind, full-precision amount).
    fn item(
        cv: &str,
        lines: &[(crate::tariff::MeasureKind, &str)],
    ) -> crate::tariff::ItemAssessment {
        let m = |x: &str| crate::money::Money::new(x.parse().unwrap(), uzs());
        crate::tariff::ItemAssessment {
            goods_code: "0101210000".into(),
            origin: "CN".into(),
            date: time::macros::date!(2026 - 11 - 21),
            customs_value: m(cv),
            exchange_rate: None,
            customs_value_national: m(cv),
            lines: lines
                .iter()
                .map(|(kind, full)| crate::tariff::DutyLine {
                    measure_id: "m".into(),
                    measure_type: "103".into(),
                    kind: *kind,
                    goods_code: "0101210000".into(),
                    area: "1011".into(),
                    additional_code: None,
                    expression: String::new(),
                    base: String::new(),
                    amount: m(&full.parse::<Decimal>().unwrap().round_dp(2).to_string()),
                    full_precision: full.parse().unwrap(),
                    note: None,
                })
                .collect(),
            notes: vec![],
            quota_draws: vec![],
            customs_duty: m("0"),
            additional_duties: m("0"),
            excise: m("0"),
            vat: m("0"),
            total: m("0"),
        }
    }

    #[test]
    fn item_tax_rates_are_the_customs_duty_in_percent_of_the_customs_value() {
        use crate::tariff::MeasureKind::*;
        assert!(DutyResult::NotAssessed { reason: "x".into() }
            .item_tax_rates()
            .is_empty());
        let DutyResult::Assessed { mut assessment, .. } = assessed(Decimal::ONE) else {
            unreachable!()
        };
        assessment.items = vec![
            // 12 % ad valorem on 1234.57: the full-precision amount, not
            // the rounded 148.15, so the rate is exactly 12.
            item("1234.57", &[(ThirdCountryDuty, "148.1484"), (Vat, "250")]),
            // A specific duty of 30 on 200: its ad valorem equivalent.
            item("200", &[(TariffPreference, "30"), (AntiDumping, "99")]),
            // Charged no customs duty.
            item("500", &[(Vat, "60")]),
            // No customs value: no rate.
            item("0", &[(ThirdCountryDuty, "0")]),
        ];
        let duties = DutyResult::Assessed {
            currency: uzs(),
            customs_duty: Decimal::ONE,
            additional_duties: Decimal::ZERO,
            excise: Decimal::ZERO,
            vat: Decimal::ZERO,
            total: Decimal::ONE,
            tariff: "test".into(),
            assessment,
        };
        assert_eq!(
            duties.item_tax_rates(),
            vec![
                Some(Decimal::from(12)),
                Some(Decimal::from(15)),
                Some(Decimal::ZERO),
                None
            ]
        );
    }
}
