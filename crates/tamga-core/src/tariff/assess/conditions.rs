//! Measure conditions: the first condition whose test holds decides what
//! the measure does for the item (apply, possibly with its own duty; waive;
//! stop the goods).

use rust_decimal::Decimal;

use super::super::expr::DutyExpression;
use super::super::units;
use super::super::{ConditionAction, ConditionTest, Measure};
use super::error_codes;
use super::types::{derr, DutyError, ItemInput};

/// What a measure's conditions decide; each carries the test that held
/// (or, for `NotMet`, the tests required).
pub(super) enum Outcome<'m> {
    /// Applies, with the condition's own duty if it has one.
    Apply(Option<&'m DutyExpression>, Option<String>),
    Waive(String),
    Stop(String),
    NotMet(String),
}

fn describe_test(t: &ConditionTest) -> String {
    match t {
        ConditionTest::Document(d) => format!("document {d} presented"),
        ConditionTest::QuantityAtMost { unit, value } => format!("quantity {unit} <= {value}"),
        ConditionTest::QuantityAbove { unit, value } => format!("quantity {unit} > {value}"),
        ConditionTest::ValueAtMost(v) => format!("customs value <= {v}"),
        ConditionTest::ValueAbove(v) => format!("customs value > {v}"),
        ConditionTest::Always => "otherwise".into(),
    }
}

/// Whether `test` holds for the item, `cv` being its customs value in
/// national currency.
fn holds(test: &ConditionTest, input: &ItemInput, cv: Decimal) -> bool {
    match test {
        ConditionTest::Document(d) => input.documents.iter().any(|x| x == d),
        ConditionTest::QuantityAtMost { unit, value } => units::unit(unit)
            .and_then(|u| units::resolve(u, &input.quantities))
            .is_some_and(|q| q <= *value),
        ConditionTest::QuantityAbove { unit, value } => units::unit(unit)
            .and_then(|u| units::resolve(u, &input.quantities))
            .is_some_and(|q| q > *value),
        ConditionTest::ValueAtMost(v) => cv <= *v,
        ConditionTest::ValueAbove(v) => cv > *v,
        ConditionTest::Always => true,
    }
}

/// First condition whose test holds decides; none holding is `NotMet`.
pub(super) fn conditions<'m>(m: &'m Measure, input: &ItemInput, cv: Decimal) -> Outcome<'m> {
    if m.conditions.is_empty() {
        return Outcome::Apply(None, None);
    }
    for c in &m.conditions {
        if holds(&c.test, input, cv) {
            let why = describe_test(&c.test);
            return match c.action {
                ConditionAction::Apply => Outcome::Apply(c.duty.as_ref(), Some(why)),
                ConditionAction::Waive => Outcome::Waive(why),
                ConditionAction::Stop => Outcome::Stop(why),
            };
        }
    }
    let needed: Vec<String> = m
        .conditions
        .iter()
        .map(|c| describe_test(&c.test))
        .collect();
    Outcome::NotMet(format!("requires {}", needed.join(" or ")))
}

/// The documents that would let the goods through `m` (those of its
/// document conditions that do not stop the goods).
pub(super) fn required_documents(m: &Measure) -> Vec<&str> {
    m.conditions
        .iter()
        .filter_map(|c| match &c.test {
            ConditionTest::Document(d) if c.action != ConditionAction::Stop => Some(d.as_str()),
            _ => None,
        })
        .collect()
}

/// The error for a condition of `m` that stops the goods.
pub(super) fn stopped(m: &Measure, why: String) -> DutyError {
    derr(
        error_codes::STOPPED_BY_CONDITION,
        format!("measure {} stops the goods: {why}", m.id),
    )
}
