//! Duty assessment: pure, exact, explained.
//!
//! Rounding ([`ROUNDING_RULE`]): every amount is computed at full decimal
//! precision and each *line* is then rounded half-up (midpoint away from
//! zero) to the national currency's minor unit: the customs value converted
//! into national currency, each duty/excise/VAT line. The VAT base is the
//! rounded customs value plus the rounded customs-duty, additional-duty and
//! excise lines; totals are sums of rounded lines, so they always add up.

use std::cell::RefCell;
use std::collections::HashMap;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use time::Date;

use super::expr::{evaluate, DutyExpression, EvalContext, EvalError};
use super::units::{self, Quantity};
use super::{ConditionAction, ConditionTest, Measure, MeasureKind, Quota, Tariff};
use crate::declaration::Declaration;
use crate::money::Money;

pub const ROUNDING_RULE: &str = "each line (customs value in national currency, every duty, excise and VAT line) is computed at full precision and rounded half-up to the national currency's minor unit; VAT base = rounded customs value + rounded duty and excise lines; totals are sums of rounded lines";

/// Quota balances, kept in storage; the engine only reads them.
pub trait QuotaBalances {
    /// The remaining balance of `quota` (in `quota.unit`), `None` if no
    /// draw has been recorded (the full volume is then available).
    fn balance(&self, quota: &Quota) -> Option<Decimal>;
}

/// Every quota at its full volume.
pub struct FullVolume;

impl QuotaBalances for FullVolume {
    fn balance(&self, _: &Quota) -> Option<Decimal> {
        None
    }
}

/// Balances by order number.
impl QuotaBalances for HashMap<String, Decimal> {
    fn balance(&self, q: &Quota) -> Option<Decimal> {
        self.get(&q.order_number).copied()
    }
}

/// One goods item to assess.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemInput {
    pub goods_code: String,
    /// Country of (non-preferential) origin.
    pub origin: String,
    /// Country of preferential origin, when it differs (DE 5/16).
    pub preferential_origin: Option<String>,
    pub customs_value: Decimal,
    pub currency: String,
    pub quantities: Vec<Quantity>,
    /// Acceptance date: measures, nomenclature and exchange rate of this day.
    pub date: Date,
    pub additional_code: Option<String>,
    /// Document codes presented (certificates, licences, proofs of origin).
    pub documents: Vec<String>,
}

/// Why an item cannot be assessed; `code` is stable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct DutyError {
    pub code: &'static str,
    pub message: String,
    /// 1-based goods item number in a declaration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<u32>,
}

fn derr(code: &'static str, message: String) -> DutyError {
    DutyError {
        code,
        message,
        item: None,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RateUsed {
    pub currency: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub rate: Decimal,
    pub from: Date,
    pub to: Option<Date>,
}

/// One charged measure, explained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DutyLine {
    pub measure_id: String,
    pub measure_type: String,
    pub kind: MeasureKind,
    pub goods_code: String,
    pub area: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_code: Option<String>,
    pub expression: String,
    pub base: String,
    /// Rounded to the national currency's minor unit.
    pub amount: Money,
    #[serde(with = "rust_decimal::serde::str")]
    pub full_precision: Decimal,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The draw a quota line would make on its balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuotaDraw {
    pub order_number: String,
    /// Start of the quota period drawn on (a quota is one per period).
    pub period_from: Date,
    pub unit: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub quantity: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub balance_before: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemAssessment {
    pub goods_code: String,
    pub origin: String,
    pub date: Date,
    pub customs_value: Money,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exchange_rate: Option<RateUsed>,
    pub customs_value_national: Money,
    pub lines: Vec<DutyLine>,
    /// Why options were not taken, conditions that waived measures, etc.
    pub notes: Vec<String>,
    pub quota_draws: Vec<QuotaDraw>,
    pub customs_duty: Money,
    pub additional_duties: Money,
    pub excise: Money,
    pub vat: Money,
    pub total: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeclarationAssessment {
    pub national_currency: String,
    pub acceptance_date: Date,
    pub rounding: String,
    pub items: Vec<ItemAssessment>,
    pub customs_duty: Money,
    pub additional_duties: Money,
    pub excise: Money,
    pub vat: Money,
    pub total: Money,
}

/// Half-up to `minor` decimals, always written with exactly `minor` decimals.
fn round(d: Decimal, minor: u32) -> Decimal {
    let mut r = d.round_dp_with_strategy(minor, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(minor);
    r
}

fn add(a: Decimal, b: Decimal) -> Result<Decimal, DutyError> {
    a.checked_add(b)
        .ok_or_else(|| derr("DUTY-OVERFLOW", "amount overflow".into()))
}

enum Outcome<'m> {
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

/// First condition whose test holds decides; none holding is `NotMet`.
fn conditions<'m>(m: &'m Measure, input: &ItemInput, cv: Decimal) -> Outcome<'m> {
    if m.conditions.is_empty() {
        return Outcome::Apply(None, None);
    }
    for c in &m.conditions {
        let holds = match &c.test {
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
        };
        if holds {
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

fn required_documents(m: &Measure) -> Vec<&str> {
    m.conditions
        .iter()
        .filter_map(|c| match &c.test {
            ConditionTest::Document(d) if c.action != ConditionAction::Stop => Some(d.as_str()),
            _ => None,
        })
        .collect()
}

fn option_rank(k: MeasureKind) -> u8 {
    match k {
        MeasureKind::ThirdCountryDuty => 0,
        MeasureKind::Suspension => 1,
        MeasureKind::TariffPreference => 2,
        _ => 3,
    }
}

struct Line<'m> {
    m: &'m Measure,
    expr: Option<&'m DutyExpression>,
    full: Decimal,
    amount: Decimal,
    base: String,
    note: Option<String>,
}

/// Assesses one goods item. See the module doc for rounding.
pub fn assess_item(
    tariff: &Tariff,
    input: &ItemInput,
    quotas: &dyn QuotaBalances,
) -> Result<ItemAssessment, DutyError> {
    let date = input.date;
    let nat = tariff.national_currency.as_str();
    let minor = tariff.national_minor_units();

    // goods code
    let declared = input.goods_code.as_str();
    let code = match tariff.resolve_code(declared) {
        Some((code, entries)) => {
            if !entries.iter().any(|e| e.validity.contains(date)) {
                return Err(derr(
                    "DUTY-GOODS-CODE-NOT-VALID",
                    format!("goods code {code} is not valid on {date}"),
                ));
            }
            code
        }
        None => {
            let is_parent =
                !declared.is_empty() && tariff.goods_codes().any(|g| g.code.starts_with(declared));
            return Err(if is_parent {
                derr(
                    "DUTY-GOODS-CODE-NOT-DECLARABLE",
                    format!("goods code {declared} has subdivisions: declare the national code"),
                )
            } else {
                derr(
                    "DUTY-UNKNOWN-GOODS-CODE",
                    format!("goods code {declared:?} is not in the nomenclature"),
                )
            });
        }
    };
    // origins
    for o in std::iter::once(&input.origin).chain(input.preferential_origin.iter()) {
        if tariff.areas.get(o).is_none_or(|a| a.group) {
            return Err(derr(
                "DUTY-UNKNOWN-ORIGIN",
                format!("origin {o:?} is not a country of the tariff"),
            ));
        }
    }
    let pref_origin = input
        .preferential_origin
        .as_deref()
        .unwrap_or(&input.origin);
    // currency and amount
    let cur = input.currency.as_str();
    let Some(&cur_minor) = tariff.currencies.get(cur) else {
        return Err(derr(
            "DUTY-UNKNOWN-CURRENCY",
            format!("currency {cur:?} is not in the tariff"),
        ));
    };
    if input.customs_value.is_sign_negative() {
        return Err(derr(
            "DUTY-NEGATIVE-AMOUNT",
            "customs value must not be negative".into(),
        ));
    }
    if input.customs_value.normalize().scale() > cur_minor {
        return Err(derr(
            "DUTY-AMOUNT-PRECISION",
            format!(
                "customs value {} has more decimals than {cur} allows ({cur_minor})",
                input.customs_value
            ),
        ));
    }
    for q in &input.quantities {
        if units::unit(&q.unit).is_none() {
            return Err(derr(
                "DUTY-UNKNOWN-UNIT",
                format!("unknown measurement unit {:?}", q.unit),
            ));
        }
        if q.value.is_sign_negative() {
            return Err(derr(
                "DUTY-NEGATIVE-AMOUNT",
                format!("quantity {} {} is negative", q.value, q.unit),
            ));
        }
    }
    if let Some(ac) = &input.additional_code {
        if !tariff.additional_codes.contains_key(ac) {
            return Err(derr(
                "DUTY-UNKNOWN-ADDITIONAL-CODE",
                format!("additional code {ac:?} is not in the tariff"),
            ));
        }
    }
    // exchange rate
    let (rate, rate_used) = if cur == nat {
        (Decimal::ONE, None)
    } else {
        let r = tariff.rate_on(cur, date).ok_or_else(|| {
            derr(
                "DUTY-NO-EXCHANGE-RATE",
                format!("no {cur} exchange rate valid on {date}"),
            )
        })?;
        (
            r.rate,
            Some(RateUsed {
                currency: cur.to_string(),
                rate: r.rate,
                from: r.validity.from,
                to: r.validity.to,
            }),
        )
    };
    let cv_full = input
        .customs_value
        .checked_mul(rate)
        .ok_or_else(|| derr("DUTY-OVERFLOW", "amount overflow".into()))?;
    let cv = round(cv_full, minor);
    let rate_of = |c: &str| -> Option<Decimal> {
        if c == nat {
            Some(Decimal::ONE)
        } else {
            tariff.rate_on(c, date).map(|r| r.rate)
        }
    };
    let ctx = EvalContext {
        customs_value: cv,
        quantities: &input.quantities,
        rate: &rate_of,
    };

    // applicable measures: code hierarchy (most specific first), origin,
    // exclusions, date
    let mut any_expired = false;
    let mut cands: Vec<&Measure> = Vec::new();
    for m in tariff.measures_for_code(code) {
        let o = if matches!(
            m.kind,
            MeasureKind::TariffPreference | MeasureKind::TariffQuota
        ) {
            pref_origin
        } else {
            input.origin.as_str()
        };
        if !tariff.area_contains(&m.area, o, date)
            || m.excluded_areas
                .iter()
                .any(|x| tariff.area_contains(x, o, date))
        {
            continue;
        }
        if !m.validity.contains(date) {
            any_expired = true;
            continue;
        }
        cands.push(m);
    }
    // additional codes, per measure type
    let mut selected: Vec<&Measure> = Vec::with_capacity(cands.len());
    let mut types: Vec<&str> = Vec::new();
    for m in &cands {
        if !types.contains(&m.measure_type.as_str()) {
            types.push(&m.measure_type);
        }
    }
    for t in types {
        let of_type = cands.iter().filter(|m| m.measure_type == t);
        let with_code: Vec<&Measure> = of_type
            .clone()
            .filter(|m| m.additional_code.is_some())
            .copied()
            .collect();
        let matching: Vec<&Measure> = with_code
            .iter()
            .filter(|m| m.additional_code == input.additional_code)
            .copied()
            .collect();
        let chosen: Vec<&Measure> = if !matching.is_empty() {
            matching
        } else {
            let plain: Vec<&Measure> = of_type
                .filter(|m| m.additional_code.is_none())
                .copied()
                .collect();
            if plain.is_empty() && !with_code.is_empty() {
                let codes: Vec<&str> = with_code
                    .iter()
                    .filter_map(|m| m.additional_code.as_deref())
                    .collect();
                return Err(derr(
                    "DUTY-ADDITIONAL-CODE-REQUIRED",
                    format!(
                        "measure type {t} applies to {code} only with an additional code: one of {}",
                        codes.join(", ")
                    ),
                ));
            }
            plain
        };
        // options keep every measure (each is an alternative) except the
        // third-country duty; other kinds keep the most specific measure
        // (candidates come most-specific code first; a country beats a group).
        let kind = chosen.first().map(|m| m.kind);
        match kind {
            Some(k)
                if k.is_duty_option() && k != MeasureKind::ThirdCountryDuty
                    || k.is_additional() =>
            {
                selected.extend(chosen)
            }
            Some(_) => {
                let best_len = chosen.iter().map(|m| m.goods_code.len()).max().unwrap_or(0);
                let best = chosen
                    .iter()
                    .filter(|m| m.goods_code.len() == best_len)
                    .min_by_key(|m| tariff.areas.get(&m.area).is_some_and(|a| a.group));
                selected.extend(best.copied());
            }
            None => {}
        }
    }

    let mut notes: Vec<String> = Vec::new();

    // prohibitions and restrictions
    for m in selected
        .iter()
        .filter(|m| matches!(m.kind, MeasureKind::Prohibition | MeasureKind::Restriction))
    {
        let outcome = conditions(m, input, cv);
        let (ok, why) = match outcome {
            Outcome::Apply(_, w) => (true, w.unwrap_or_default()),
            Outcome::Waive(w) => (true, w),
            Outcome::Stop(w) | Outcome::NotMet(w) => (false, w),
        };
        if ok && !m.conditions.is_empty() {
            notes.push(format!(
                "{} {} ({}) complied with: {why}",
                m.measure_type,
                m.id,
                kind_text(m.kind)
            ));
            continue;
        }
        let docs = required_documents(m);
        return Err(if m.kind == MeasureKind::Prohibition {
            derr(
                "DUTY-PROHIBITED",
                format!(
                    "import of {code} from {} is prohibited by measure {} ({}){}",
                    input.origin,
                    m.id,
                    m.legal_base.as_deref().unwrap_or("no legal base given"),
                    if docs.is_empty() {
                        String::new()
                    } else {
                        format!(" unless document {} is presented", docs.join(" or "))
                    }
                ),
            )
        } else {
            derr(
                "DUTY-RESTRICTION-DOCUMENT-MISSING",
                format!(
                    "measure {} restricts {code}: {why}; present document {}",
                    m.id,
                    if docs.is_empty() {
                        "(none accepted)".into()
                    } else {
                        docs.join(" or ")
                    }
                ),
            )
        });
    }

    let eval_err = |m: &Measure, e: EvalError| -> DutyError {
        match e {
            EvalError::QuantityMissing(u) => {
                let (unit_text, missing) = match units::unit(u) {
                    Some(x) => {
                        let parts = units::missing_parts(x, &input.quantities);
                        let missing = if x.compound.is_empty() || parts.is_empty() {
                            String::new()
                        } else {
                            let p: Vec<String> = parts.iter().map(|p| units::describe(p)).collect();
                            format!(
                                "; declare {u} itself or each part, missing: {}",
                                p.join(", ")
                            )
                        };
                        (units::describe(x), missing)
                    }
                    None => (u.to_string(), String::new()),
                };
                derr(
                    "DUTY-QUANTITY-MISSING",
                    format!(
                        "measure {} ({}) needs the quantity in {unit_text}{missing}",
                        m.id, m.duty_text
                    ),
                )
            }
            EvalError::NoRate(c) => derr(
                "DUTY-NO-EXCHANGE-RATE",
                format!(
                    "measure {} ({}) has an amount in {c}, which needs a {c} exchange rate valid on {date}; the tariff has none",
                    m.id, m.duty_text
                ),
            ),
            EvalError::Overflow => derr("DUTY-OVERFLOW", "amount overflow".into()),
        }
    };
    let compute = |m: &'_ Measure,
                   expr: &DutyExpression,
                   ctx: &EvalContext<'_>|
     -> Result<(Decimal, String), EvalError> {
        let (full, used) = evaluate(expr, ctx)?;
        let mut base = String::new();
        if expr
            .components
            .iter()
            .any(|c| matches!(c.term, super::Term::Percent { of_unit: None, .. }))
        {
            base.push_str(&format!("customs value {} {nat}", ctx.customs_value));
        }
        for (u, q) in used {
            if !base.is_empty() {
                base.push_str("; ");
            }
            base.push_str(&format!("{} {u}", q.normalize()));
        }
        for c in expr.currencies() {
            if c != nat {
                if let Some(r) = (ctx.rate)(c) {
                    base.push_str(&format!("; 1 {c} = {r} {nat}"));
                }
            }
        }
        let _ = m;
        Ok((full, base))
    };

    // customs duty options
    let mut options: Vec<(Line, Option<QuotaDraw>)> = Vec::new();
    let mut third_country_seen = false;
    for m in selected.iter().filter(|m| m.kind.is_duty_option()) {
        let is_tc = m.kind == MeasureKind::ThirdCountryDuty;
        third_country_seen |= is_tc;
        let (expr, cond_note) = match conditions(m, input, cv) {
            Outcome::Apply(over, why) => (over.or(m.duty.as_ref()), why),
            Outcome::Waive(why) => {
                options.push((
                    Line {
                        m,
                        expr: None,
                        full: Decimal::ZERO,
                        amount: Decimal::ZERO,
                        base: String::new(),
                        note: Some(format!("waived: {why}")),
                    },
                    None,
                ));
                continue;
            }
            Outcome::Stop(why) => {
                return Err(derr(
                    "DUTY-STOPPED-BY-CONDITION",
                    format!("measure {} stops the goods: {why}", m.id),
                ))
            }
            Outcome::NotMet(why) => {
                notes.push(format!(
                    "{} {} ({}) not applied: {why} was not presented{}",
                    kind_text(m.kind),
                    m.id,
                    m.duty_text,
                    if is_tc {
                        ""
                    } else {
                        "; the third-country duty or another option applies"
                    }
                ));
                continue;
            }
        };
        let Some(expr) = expr else { continue };
        let mut draw = None;
        if m.kind == MeasureKind::TariffQuota {
            let on = m.quota.as_deref().unwrap_or_default();
            let Some(q) = tariff.quota_on(on, date) else {
                notes.push(format!(
                    "tariff quota {on} (measure {}) is not open on {date}",
                    m.id
                ));
                continue;
            };
            let Some(qty) = units::unit(&q.unit).and_then(|u| units::resolve(u, &input.quantities))
            else {
                notes.push(format!(
                    "tariff quota {on} (measure {}) not used: quantity in {} not declared",
                    m.id, q.unit
                ));
                continue;
            };
            let balance = quotas.balance(q).unwrap_or(q.volume);
            if balance < qty {
                notes.push(format!(
                    "tariff quota {on} (measure {}, {}) exhausted: balance {balance} {} < {qty} requested; falls back to the non-quota rate",
                    m.id, m.duty_text, q.unit
                ));
                continue;
            }
            draw = Some(QuotaDraw {
                order_number: on.to_string(),
                period_from: q.validity.from,
                unit: q.unit.clone(),
                quantity: qty,
                balance_before: balance,
            });
        }
        match compute(m, expr, &ctx) {
            Ok((full, base)) => options.push((
                Line {
                    m,
                    expr: Some(expr),
                    full,
                    amount: round(full, minor),
                    base,
                    note: cond_note.map(|w| format!("condition: {w}")),
                },
                draw,
            )),
            Err(e @ EvalError::QuantityMissing(_)) if !is_tc => {
                notes.push(format!(
                    "{} {} not applied: {}",
                    kind_text(m.kind),
                    m.id,
                    eval_err(m, e).message
                ));
            }
            Err(e) => return Err(eval_err(m, e)),
        }
    }
    if !third_country_seen {
        return Err(if any_expired {
            derr(
                "DUTY-MEASURES-EXPIRED",
                format!(
                    "the measures for {code} from {} are not valid on {date}",
                    input.origin
                ),
            )
        } else {
            derr(
                "DUTY-NO-THIRD-COUNTRY-DUTY",
                format!(
                    "no third-country duty applies to {code} from {} on {date}",
                    input.origin
                ),
            )
        });
    }
    let mut lines: Vec<DutyLine> = Vec::new();
    let mut quota_draws = Vec::new();
    let mut customs_duty = Decimal::ZERO;
    if let Some(best) = options
        .iter()
        .enumerate()
        .min_by_key(|(_, (l, _))| (l.amount, option_rank(l.m.kind)))
        .map(|(i, _)| i)
    {
        let n = options.len();
        for (i, (l, _)) in options.iter().enumerate() {
            if i != best {
                notes.push(format!(
                    "{} {} ({}) = {} {nat} not chosen: higher than the chosen option",
                    kind_text(l.m.kind),
                    l.m.id,
                    l.m.duty_text,
                    l.amount
                ));
            }
        }
        let (l, draw) = options.swap_remove(best);
        customs_duty = l.amount;
        let mut note = l.note.clone();
        if n > 1 {
            let s = format!("lowest of {n} duty options");
            note = Some(match note {
                Some(x) => format!("{x}; {s}"),
                None => s,
            });
        }
        lines.push(to_line(&l, note, nat));
        quota_draws.extend(draw);
    }

    // additional duties and excise
    let mut additional = Decimal::ZERO;
    let mut excise = Decimal::ZERO;
    for m in selected
        .iter()
        .filter(|m| m.kind.is_additional() || m.kind == MeasureKind::Excise)
    {
        let (expr, cond_note) = match conditions(m, input, cv) {
            Outcome::Apply(over, why) => (over.or(m.duty.as_ref()), why),
            Outcome::Waive(why) => {
                notes.push(format!("{} {} waived: {why}", kind_text(m.kind), m.id));
                continue;
            }
            Outcome::NotMet(why) => {
                notes.push(format!(
                    "{} {} does not apply: {why}",
                    kind_text(m.kind),
                    m.id
                ));
                continue;
            }
            Outcome::Stop(why) => {
                return Err(derr(
                    "DUTY-STOPPED-BY-CONDITION",
                    format!("measure {} stops the goods: {why}", m.id),
                ))
            }
        };
        let Some(expr) = expr else { continue };
        let (full, base) = compute(m, expr, &ctx).map_err(|e| eval_err(m, e))?;
        let amount = round(full, minor);
        if m.kind == MeasureKind::Excise {
            excise = add(excise, amount)?;
        } else {
            additional = add(additional, amount)?;
        }
        let l = Line {
            m,
            expr: Some(expr),
            full,
            amount,
            base,
            note: cond_note.map(|w| format!("condition: {w}")),
        };
        lines.push(to_line(&l, l.note.clone(), nat));
    }

    // VAT on customs value + duties + excise
    let mut vat = Decimal::ZERO;
    let vat_base = add(add(add(cv, customs_duty)?, additional)?, excise)?;
    if let Some(m) = selected.iter().find(|m| m.kind == MeasureKind::Vat) {
        let outcome = conditions(m, input, cv);
        let expr = match outcome {
            Outcome::Apply(over, _) => over.or(m.duty.as_ref()),
            Outcome::Waive(why) | Outcome::NotMet(why) => {
                notes.push(format!("VAT {} not charged: {why}", m.id));
                None
            }
            Outcome::Stop(why) => {
                return Err(derr(
                    "DUTY-STOPPED-BY-CONDITION",
                    format!("measure {} stops the goods: {why}", m.id),
                ))
            }
        };
        if let Some(expr) = expr {
            let vctx = EvalContext {
                customs_value: vat_base,
                quantities: &input.quantities,
                rate: &rate_of,
            };
            let (full, _) = evaluate(expr, &vctx).map_err(|e| eval_err(m, e))?;
            vat = round(full, minor);
            let l = Line {
                m,
                expr: Some(expr),
                full,
                amount: vat,
                base: format!(
                    "customs value {cv} + duties {} + excise {excise} = {vat_base} {nat}",
                    add(customs_duty, additional)?
                ),
                note: None,
            };
            lines.push(to_line(&l, None, nat));
        }
    } else {
        notes.push("no VAT measure applies".into());
    }
    let total = add(add(add(customs_duty, additional)?, excise)?, vat)?;
    let money = |d: Decimal| Money::new(round(d, minor), national_code(nat));
    Ok(ItemAssessment {
        goods_code: code.to_string(),
        origin: input.origin.clone(),
        date,
        customs_value: Money::new(input.customs_value, national_code(cur)),
        exchange_rate: rate_used,
        customs_value_national: money(cv),
        lines,
        notes,
        quota_draws,
        customs_duty: money(customs_duty),
        additional_duties: money(additional),
        excise: money(excise),
        vat: money(vat),
        total: money(total),
    })
}

fn national_code(c: &str) -> crate::codes::CurrencyCode {
    // Codes reaching here were validated by the loader (three upper-case
    // letters); the fallback is unreachable but must not panic.
    crate::codes::CurrencyCode::parse(c)
        .unwrap_or_else(|_| crate::codes::CurrencyCode::parse("XXX").expect("XXX is well formed"))
}

fn kind_text(k: MeasureKind) -> &'static str {
    match k {
        MeasureKind::ThirdCountryDuty => "third-country duty",
        MeasureKind::TariffPreference => "tariff preference",
        MeasureKind::Suspension => "suspension",
        MeasureKind::TariffQuota => "tariff quota",
        MeasureKind::AntiDumping => "anti-dumping duty",
        MeasureKind::Countervailing => "countervailing duty",
        MeasureKind::AdditionalDuty => "additional duty",
        MeasureKind::Vat => "VAT",
        MeasureKind::Excise => "excise",
        MeasureKind::Prohibition => "prohibition",
        MeasureKind::Restriction => "restriction",
    }
}

fn to_line(l: &Line<'_>, note: Option<String>, nat: &str) -> DutyLine {
    DutyLine {
        measure_id: l.m.id.clone(),
        measure_type: l.m.measure_type.clone(),
        kind: l.m.kind,
        goods_code: l.m.goods_code.clone(),
        area: l.m.area.clone(),
        additional_code: l.m.additional_code.clone(),
        expression: l.expr.map_or_else(|| l.m.duty_text.clone(), |e| e.text()),
        base: l.base.clone(),
        amount: Money::new(l.amount, national_code(nat)),
        full_precision: l.full,
        note,
    }
}

/// Quota balances seen through the draws already made by earlier items of
/// the same declaration.
struct Drawn<'a> {
    inner: &'a dyn QuotaBalances,
    drawn: RefCell<HashMap<String, Decimal>>,
}

impl QuotaBalances for Drawn<'_> {
    fn balance(&self, q: &Quota) -> Option<Decimal> {
        let d = self.drawn.borrow().get(&q.order_number).copied();
        match d {
            None => self.inner.balance(q),
            Some(d) => Some(self.inner.balance(q).unwrap_or(q.volume) - d),
        }
    }
}

/// The [`ItemInput`] for a declaration's goods item: goods code from
/// `hsCode`, origin and preferential origin, customs value (else item
/// price) in the invoice currency, quantities `KGM` = net mass, `KGMG` =
/// gross mass and the supplementary units in the nomenclature's
/// supplementary unit, documents from the item's documents.
pub fn item_input(tariff: &Tariff, d: &Declaration, index: usize, date: Date) -> Option<ItemInput> {
    let it = d.items.get(index)?;
    let code = it.hs_code.as_str();
    let mut quantities = vec![
        Quantity::new("KGM", it.net_mass_kg),
        Quantity::new("KGMG", it.gross_mass_kg),
    ];
    if let (Some(su), Some(unit)) = (
        it.supplementary_units,
        tariff
            .resolve_code(code)
            .and_then(|(_, v)| v.iter().find(|g| g.validity.contains(date)))
            .and_then(|g| g.supplementary_unit.as_deref()),
    ) {
        quantities.push(Quantity::new(unit, su));
    }
    Some(ItemInput {
        goods_code: code.to_string(),
        origin: it.origin.as_str().to_string(),
        preferential_origin: it
            .preferential_origin
            .as_ref()
            .map(|c| c.as_str().to_string()),
        customs_value: it.customs_value.unwrap_or(it.item_price),
        currency: d.invoice.currency.as_str().to_string(),
        quantities,
        date,
        additional_code: None,
        documents: it
            .documents
            .iter()
            .map(|x| x.type_code.as_str().to_string())
            .collect(),
    })
}

/// Assesses every goods item of a declaration on its acceptance date.
/// Quota draws of earlier items reduce the balance seen by later ones. The
/// first item that cannot be assessed stops it (`DutyError::item` says which).
pub fn assess_declaration(
    tariff: &Tariff,
    d: &Declaration,
    acceptance_date: Date,
    quotas: &dyn QuotaBalances,
) -> Result<DeclarationAssessment, DutyError> {
    let drawn = Drawn {
        inner: quotas,
        drawn: RefCell::new(HashMap::new()),
    };
    let nat = tariff.national_currency.as_str();
    let mut items = Vec::with_capacity(d.items.len());
    let (mut cd, mut ad, mut ex, mut vat, mut tot) = (
        Decimal::ZERO,
        Decimal::ZERO,
        Decimal::ZERO,
        Decimal::ZERO,
        Decimal::ZERO,
    );
    for (i, it) in d.items.iter().enumerate() {
        let with_item = |mut e: DutyError| {
            e.item = Some(it.sequence);
            e
        };
        let input = item_input(tariff, d, i, acceptance_date)
            .ok_or_else(|| with_item(derr("DUTY-BAD-ITEM", "no such item".into())))?;
        let a = assess_item(tariff, &input, &drawn).map_err(with_item)?;
        for q in &a.quota_draws {
            *drawn
                .drawn
                .borrow_mut()
                .entry(q.order_number.clone())
                .or_default() += q.quantity;
        }
        cd = add(cd, a.customs_duty.amount).map_err(with_item)?;
        ad = add(ad, a.additional_duties.amount).map_err(with_item)?;
        ex = add(ex, a.excise.amount).map_err(with_item)?;
        vat = add(vat, a.vat.amount).map_err(with_item)?;
        tot = add(tot, a.total.amount).map_err(with_item)?;
        items.push(a);
    }
    let minor = tariff.national_minor_units();
    let money = |x: Decimal| Money::new(round(x, minor), national_code(nat));
    Ok(DeclarationAssessment {
        national_currency: nat.to_string(),
        acceptance_date,
        rounding: ROUNDING_RULE.to_owned(),
        items,
        customs_duty: money(cd),
        additional_duties: money(ad),
        excise: money(ex),
        vat: money(vat),
        total: money(tot),
    })
}
