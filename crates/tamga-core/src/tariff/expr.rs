//! Duty expressions: ordered components, TARIC style.
//!
//! Text form (what the tariff file holds), components separated by an
//! operator:
//!
//! ```text
//! 12 %                              ad valorem on the customs value
//! 16.5 % RET                        ad valorem on a money quantity (retail price)
//! 35.1 EUR/DTN                      specific: amount in a currency per unit key
//! 20 % + 0.5 USD/KGM                compound
//! 10 % MIN 0.3 USD/KGM MAX 2 USD/KGM
//! 13.8 % MIN 13 GBP/DTN MAX 15 GBP/DTN - 7 GBP/DTN
//! ```
//!
//! Evaluation (the UK duty calculator's, which splits at the last MIN/MAX;
//! folding left to right is the same thing): the components are cut into
//! groups at each `MIN`/`MAX`; a group's value is the sum of its components
//! (`+` adds, `-` subtracts); the first group is the running amount; a `MIN`
//! group is a floor (amount = max(amount, group)), a `MAX` group a ceiling
//! (amount = min(amount, group)). Everything is computed at full decimal
//! precision; rounding is the caller's (see [`super::assess`]).

use rust_decimal::Decimal;
use serde::Serialize;

use super::units::{self, Quantity, UnitDef, UnitKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Plus,
    Minus,
    Min,
    Max,
}

impl Op {
    fn text(self) -> &'static str {
        match self {
            Op::Plus => "+",
            Op::Minus => "-",
            Op::Min => "MIN",
            Op::Max => "MAX",
        }
    }
    /// TARIC duty expression id → operator (15 minimum; 17, 35 maximum;
    /// 02, 36 minus; every other id adds).
    pub fn from_taric(id: &str) -> Op {
        match id {
            "15" => Op::Min,
            "17" | "35" => Op::Max,
            "02" | "36" => Op::Minus,
            _ => Op::Plus,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    /// `rate` % of the customs value, or of a money quantity (`RET`).
    Percent {
        rate: Decimal,
        of_unit: Option<&'static UnitDef>,
    },
    /// `amount` `currency` per `unit`.
    Specific {
        amount: Decimal,
        currency: String,
        unit: &'static UnitDef,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    pub op: Op,
    pub term: Term,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DutyExpression {
    pub components: Vec<Component>,
}

/// Why an expression text does not parse. `code` is stable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    pub code: &'static str,
    pub message: String,
}

fn err(code: &'static str, message: String) -> ExprError {
    ExprError { code, message }
}

impl DutyExpression {
    /// Parses the text form. Currencies must be three upper-case letters;
    /// whether they are known is the loader's check.
    pub fn parse(text: &str) -> Result<Self, ExprError> {
        let spaced = text.replace('%', " % ");
        let toks: Vec<&str> = spaced.split_whitespace().collect();
        if toks.is_empty() {
            return Err(err("TARIFF-BAD-EXPRESSION", "empty duty expression".into()));
        }
        let mut i = 0;
        let mut comps = Vec::new();
        while i < toks.len() {
            let op = if comps.is_empty() {
                Op::Plus
            } else {
                let op = match toks[i] {
                    "+" => Op::Plus,
                    "-" => Op::Minus,
                    "MIN" => Op::Min,
                    "MAX" => Op::Max,
                    t => {
                        return Err(err(
                            "TARIFF-BAD-EXPRESSION",
                            format!("expected +, -, MIN or MAX in {text:?}, found {t:?}"),
                        ))
                    }
                };
                i += 1;
                op
            };
            let num = toks.get(i).ok_or_else(|| {
                err(
                    "TARIFF-BAD-EXPRESSION",
                    format!("{text:?} ends after an operator"),
                )
            })?;
            let value: Decimal = num.parse().map_err(|_| {
                err(
                    "TARIFF-BAD-EXPRESSION",
                    format!("{num:?} is not a decimal number in {text:?}"),
                )
            })?;
            if value.is_sign_negative() {
                return Err(err(
                    "TARIFF-BAD-EXPRESSION",
                    format!("negative amount {num} in {text:?}: use the - operator"),
                ));
            }
            i += 1;
            let term = match toks.get(i) {
                Some(&"%") => {
                    i += 1;
                    let of_unit = match toks.get(i).and_then(|t| units::unit(t)) {
                        Some(u) if u.kind == UnitKind::Money => {
                            i += 1;
                            Some(u)
                        }
                        _ => None,
                    };
                    Term::Percent {
                        rate: value,
                        of_unit,
                    }
                }
                Some(t) if t.contains('/') => {
                    i += 1;
                    let (cur, key) = t.split_once('/').unwrap_or_default();
                    if cur.len() != 3 || !cur.bytes().all(|b| b.is_ascii_uppercase()) {
                        return Err(err(
                            "TARIFF-BAD-EXPRESSION",
                            format!("{cur:?} is not a currency code in {text:?}"),
                        ));
                    }
                    let unit = units::unit(key).ok_or_else(|| {
                        err(
                            "TARIFF-UNKNOWN-UNIT",
                            format!("unknown measurement unit {key:?} in {text:?}"),
                        )
                    })?;
                    Term::Specific {
                        amount: value,
                        currency: cur.to_string(),
                        unit,
                    }
                }
                _ => {
                    return Err(err(
                        "TARIFF-BAD-EXPRESSION",
                        format!("{num} must be followed by % or CURRENCY/UNIT in {text:?}"),
                    ))
                }
            };
            comps.push(Component { op, term });
        }
        Ok(Self { components: comps })
    }

    /// Canonical text form.
    pub fn text(&self) -> String {
        let mut s = String::new();
        for (i, c) in self.components.iter().enumerate() {
            if i > 0 {
                s.push(' ');
                s.push_str(c.op.text());
                s.push(' ');
            }
            match &c.term {
                Term::Percent { rate, of_unit } => {
                    s.push_str(&rate.normalize().to_string());
                    s.push_str(" %");
                    if let Some(u) = of_unit {
                        s.push(' ');
                        s.push_str(u.key);
                    }
                }
                Term::Specific {
                    amount,
                    currency,
                    unit,
                } => {
                    s.push_str(&amount.normalize().to_string());
                    s.push(' ');
                    s.push_str(currency);
                    s.push('/');
                    s.push_str(unit.key);
                }
            }
        }
        s
    }

    pub fn is_pure_ad_valorem(&self) -> bool {
        self.components.len() == 1
            && matches!(self.components[0].term, Term::Percent { of_unit: None, .. })
    }

    /// Currencies of the specific components.
    pub fn currencies(&self) -> impl Iterator<Item = &str> {
        self.components.iter().filter_map(|c| match &c.term {
            Term::Specific { currency, .. } => Some(currency.as_str()),
            _ => None,
        })
    }
}

/// What an expression is evaluated against.
pub struct EvalContext<'a> {
    /// Customs value in national currency (the ad valorem base).
    pub customs_value: Decimal,
    pub quantities: &'a [Quantity],
    /// National-currency units per one unit of `currency`.
    pub rate: &'a dyn Fn(&str) -> Option<Decimal>,
}

/// Why an expression cannot be evaluated for an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvalError {
    QuantityMissing(&'static str),
    NoRate(String),
    Overflow,
}

/// The quantities an evaluation used, by unit key.
pub type UsedQuantities = Vec<(&'static str, Decimal)>;

/// Full-precision amount in national currency, and the quantities used (for
/// the explanation).
pub fn evaluate(
    e: &DutyExpression,
    ctx: &EvalContext<'_>,
) -> Result<(Decimal, UsedQuantities), EvalError> {
    let hundred = Decimal::ONE_HUNDRED;
    let mut used = Vec::new();
    let mut acc: Option<Decimal> = None;
    let mut group_op = Op::Plus;
    let mut group = Decimal::ZERO;
    let close = |acc: Option<Decimal>, op: Op, g: Decimal| -> Decimal {
        match (acc, op) {
            (None, _) => g,
            (Some(a), Op::Min) => a.max(g),
            (Some(a), Op::Max) => a.min(g),
            (Some(a), _) => a, // unreachable: only the first group is + / -
        }
    };
    for c in &e.components {
        let v = match &c.term {
            Term::Percent { rate, of_unit } => {
                let base = match of_unit {
                    None => ctx.customs_value,
                    Some(u) => {
                        let q = units::resolve(u, ctx.quantities)
                            .ok_or(EvalError::QuantityMissing(u.key))?;
                        used.push((u.key, q));
                        q
                    }
                };
                base.checked_mul(*rate)
                    .and_then(|x| x.checked_div(hundred))
                    .ok_or(EvalError::Overflow)?
            }
            Term::Specific {
                amount,
                currency,
                unit,
            } => {
                let q = units::resolve(unit, ctx.quantities)
                    .ok_or(EvalError::QuantityMissing(unit.key))?;
                used.push((unit.key, q));
                let r = (ctx.rate)(currency).ok_or_else(|| EvalError::NoRate(currency.clone()))?;
                amount
                    .checked_mul(q)
                    .and_then(|x| x.checked_mul(r))
                    .ok_or(EvalError::Overflow)?
            }
        };
        match c.op {
            Op::Plus => group = group.checked_add(v).ok_or(EvalError::Overflow)?,
            Op::Minus => group = group.checked_sub(v).ok_or(EvalError::Overflow)?,
            Op::Min | Op::Max => {
                acc = Some(close(acc, group_op, group));
                group_op = c.op;
                group = v;
            }
        }
    }
    Ok((close(acc, group_op, group), used))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn eval(text: &str, cv: &str, qs: &[Quantity]) -> Result<Decimal, EvalError> {
        let e = DutyExpression::parse(text).unwrap();
        let rate = |c: &str| match c {
            "UZS" => Some(Decimal::ONE),
            "USD" => Some(d("12500")),
            _ => None,
        };
        evaluate(
            &e,
            &EvalContext {
                customs_value: d(cv),
                quantities: qs,
                rate: &rate,
            },
        )
        .map(|x| x.0)
    }

    #[test]
    fn parses_and_prints_canonically() {
        let e = DutyExpression::parse("13.8% MIN 13 GBP/DTN MAX 15 GBP/dtn - 7 GBP/DTN").unwrap();
        assert_eq!(e.components.len(), 4);
        assert_eq!(e.text(), "13.8 % MIN 13 GBP/DTN MAX 15 GBP/DTN - 7 GBP/DTN");
        assert_eq!(
            DutyExpression::parse("16.5 % RET").unwrap().text(),
            "16.5 % RET"
        );
        assert!(DutyExpression::parse("12 %").unwrap().is_pure_ad_valorem());
    }

    #[test]
    fn bad_expressions_have_codes() {
        for (t, code) in [
            ("", "TARIFF-BAD-EXPRESSION"),
            ("12", "TARIFF-BAD-EXPRESSION"),
            ("x %", "TARIFF-BAD-EXPRESSION"),
            ("12 % *", "TARIFF-BAD-EXPRESSION"),
            ("12 % +", "TARIFF-BAD-EXPRESSION"),
            ("-3 %", "TARIFF-BAD-EXPRESSION"),
            ("3 usd/KGM", "TARIFF-BAD-EXPRESSION"),
            ("3 USD/FOO", "TARIFF-UNKNOWN-UNIT"),
        ] {
            assert_eq!(DutyExpression::parse(t).unwrap_err().code, code, "{t}");
        }
    }

    #[test]
    fn ad_valorem_specific_compound_min_max() {
        let qs = [
            Quantity::new("KGM", d("1000")),
            Quantity::new("NAR", d("3")),
        ];
        assert_eq!(eval("12 %", "1000000", &qs), Ok(d("120000")));
        // 0.5 USD/kg * 1000 kg * 12500
        assert_eq!(eval("0.5 USD/KGM", "0", &qs), Ok(d("6250000")));
        assert_eq!(eval("10 % + 100 UZS/NAR", "1000", &qs), Ok(d("400")));
        // MIN: floor
        assert_eq!(eval("1 % MIN 2 UZS/KGM", "1000", &qs), Ok(d("2000")));
        assert_eq!(eval("10 % MIN 2 UZS/KGM", "100000", &qs), Ok(d("10000")));
        // MAX: ceiling
        assert_eq!(eval("10 % MAX 2 UZS/KGM", "100000", &qs), Ok(d("2000")));
        assert_eq!(eval("1 % MAX 2 UZS/KGM", "100000", &qs), Ok(d("1000")));
        assert_eq!(eval("5 % - 10 UZS/NAR", "1000", &qs), Ok(d("20")));
        assert_eq!(
            eval("1 EUR/KGM", "1", &qs),
            Err(EvalError::NoRate("EUR".into()))
        );
        assert_eq!(
            eval("1 UZS/LTR", "1", &qs),
            Err(EvalError::QuantityMissing("LTR"))
        );
    }
}
