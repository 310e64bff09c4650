//! Runs worked duty cases in the format of
//! `uk_duty_calculator_reference_cases.json` (transcribed from the UK duty
//! calculator's specs) through tamga's own expression engine and VAT/total
//! rules, and compares every amount exactly.
//!
//! Each case is recognised by its input:
//! - `components` (or `spq_component_amount`): a duty expression evaluated
//!   against `monetary_value + shipping_cost + insurance_cost` and
//!   `quantity` (unit keys, coerced per [`super::units`]), with
//!   `eur_gbp_rate` for EUR amounts; `variant` is checked too;
//! - `vat_rate_pct`: VAT on customs value + `duty_total`;
//! - `import_duty`: option totals (import duty, additional duties, VAT),
//!   the import duty recomputed from its `calculation`;
//! - an `expected` array of `uk`/`eu`/`chosen`: the Northern Ireland rule
//!   (UK duty if |EU − UK| ≤ 3 % of the customs value, rounded to 2 dp);
//! - anything needing live tariff data (`commodity`) is `not_applicable`.
//!
//! `value` is compared at full precision; `formatted_value` and the other
//! money strings after rounding half-up to 2 dp (the calculator floors for
//! display; no case differs).

use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use serde_json::Value;

use super::expr::{evaluate, Component, DutyExpression, EvalContext, Op, Term};
use super::units::{self, Quantity};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Passed,
    Failed,
    NotApplicable,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub what: String,
    pub computed: String,
    pub expected: String,
    pub ok: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseResult {
    pub id: String,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub checks: Vec<Check>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub struct Report {
    pub passed: usize,
    pub failed: usize,
    pub not_applicable: usize,
    pub cases: Vec<CaseResult>,
}

fn dec(v: Option<&Value>) -> Option<Decimal> {
    match v? {
        Value::Number(n) => n.to_string().parse().ok(),
        Value::String(s) => parse_money(s),
        _ => None,
    }
}

/// `"£3,008.42"` → 3008.42.
fn parse_money(s: &str) -> Option<Decimal> {
    let t: String = s
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '.' || *c == '-')
        .collect();
    t.parse().ok()
}

fn r2(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// `£1,030.00`
fn fmt_money(d: Decimal) -> String {
    let s = format!("{:.2}", r2(d));
    let (int, frac) = s.split_once('.').unwrap_or((&s, "00"));
    let (sign, int) = int.strip_prefix('-').map_or(("", int), |i| ("-", i));
    let mut out = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    format!("{sign}£{out}.{frac}")
}

fn check(what: &str, computed: Decimal, expected: Decimal) -> Check {
    Check {
        what: what.into(),
        computed: computed.normalize().to_string(),
        expected: expected.normalize().to_string(),
        ok: computed == expected,
    }
}

fn check_str(what: &str, computed: String, expected: &str) -> Check {
    Check {
        what: what.into(),
        ok: computed == expected,
        computed,
        expected: expected.into(),
    }
}

fn customs_value(input: &Value) -> Decimal {
    ["monetary_value", "shipping_cost", "insurance_cost"]
        .iter()
        .filter_map(|k| dec(input.get(*k)))
        .fold(Decimal::ZERO, |a, b| a + b)
}

fn quantities(v: Option<&Value>) -> Result<Vec<Quantity>, String> {
    let mut out = Vec::new();
    if let Some(Value::Object(o)) = v {
        for (k, v) in o {
            let key = k.to_ascii_uppercase();
            if units::unit(&key).is_none() {
                return Err(format!("unknown unit {k:?}"));
            }
            out.push(Quantity::new(&key, dec(Some(v)).ok_or("bad quantity")?));
        }
    }
    Ok(out)
}

fn components(input: &Value) -> Result<DutyExpression, String> {
    let mut comps = Vec::new();
    if let Some(a) = dec(input.get("spq_component_amount")) {
        comps.push(Component {
            op: Op::Plus,
            term: Term::Specific {
                amount: a,
                currency: "GBP".into(),
                unit: units::unit("SPQLPA").ok_or("SPQLPA")?,
            },
        });
    }
    for c in input
        .get("components")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let s = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or("");
        let mut op = Op::from_taric(s("duty_expression_id"));
        match s("abbr") {
            "MIN" => op = Op::Min,
            "MAX" => op = Op::Max,
            "-" => op = Op::Minus,
            _ => {}
        }
        if comps.is_empty() {
            op = Op::Plus;
        }
        let amount = dec(c.get("duty_amount")).ok_or("component without duty_amount")?;
        let key = format!(
            "{}{}",
            s("measurement_unit_code"),
            s("measurement_unit_qualifier_code")
        );
        let unit = if key.is_empty() {
            None
        } else {
            Some(units::unit(&key).ok_or_else(|| format!("unknown unit {key}"))?)
        };
        let term = match (s("monetary_unit_code"), unit) {
            ("", of_unit) => Term::Percent {
                rate: amount,
                of_unit,
            },
            (cur, Some(unit)) => Term::Specific {
                amount,
                currency: cur.to_string(),
                unit,
            },
            (_, None) => return Err("specific component without unit".into()),
        };
        comps.push(Component { op, term });
    }
    if comps.is_empty() {
        return Err("no components".into());
    }
    Ok(DutyExpression { components: comps })
}

fn run_expression(
    input: &Value,
    expected: &Value,
    variant: Option<&Value>,
) -> Result<Vec<Check>, String> {
    let expr = components(input)?;
    let cv = customs_value(input);
    let eur = dec(input.get("eur_gbp_rate"));
    let rate = move |c: &str| match c {
        "GBP" => Some(Decimal::ONE),
        "EUR" => eur,
        _ => None,
    };
    let eval = |qs: &[Quantity]| {
        evaluate(
            &expr,
            &EvalContext {
                customs_value: cv,
                quantities: qs,
                rate: &rate,
            },
        )
        .map_err(|e| format!("{e:?}"))
    };
    let qs = quantities(input.get("quantity"))?;
    let (value, used) = eval(&qs)?;
    let mut checks = Vec::new();
    if let Some(exp) = dec(expected.get("value")) {
        checks.push(check("value", value, exp));
    }
    if let Some(f) = expected.get("formatted_value").and_then(Value::as_str) {
        checks.push(check_str("formatted_value", fmt_money(value), f));
    }
    if let Some(exp) = dec(expected.get("total_quantity")) {
        let q = used.first().map(|u| u.1).unwrap_or_default();
        checks.push(check("total_quantity", q, exp));
    }
    if let Some(calc) = expected.get("calculation").and_then(Value::as_str) {
        if let [Component {
            term: Term::Percent { rate, of_unit },
            ..
        }] = expr.components.as_slice()
        {
            let base = match of_unit {
                None => cv,
                Some(u) => units::resolve(u, &qs).unwrap_or_default(),
            };
            checks.push(check_str(
                "calculation",
                format!("{:.2}% * {}", rate, fmt_money(base)),
                calc,
            ));
        }
    }
    if let Some(var) = variant {
        let vq = quantities(var.get("quantity"))?;
        let (v, _) = eval(&vq)?;
        if let Some(exp) = dec(var.get("expected_value")) {
            checks.push(check("variant value", v, exp));
        }
    }
    Ok(checks)
}

/// `"8.00% * £1200.00"` → (8.00, 1200.00).
fn parse_calculation(s: &str) -> Option<(Decimal, Decimal)> {
    let (r, b) = s.split_once('*')?;
    Some((parse_money(r)?, parse_money(b)?))
}

fn ad_valorem(rate: Decimal, base: Decimal) -> Result<Decimal, String> {
    let e = DutyExpression {
        components: vec![Component {
            op: Op::Plus,
            term: Term::Percent {
                rate,
                of_unit: None,
            },
        }],
    };
    let no_rate = |_: &str| None;
    evaluate(
        &e,
        &EvalContext {
            customs_value: base,
            quantities: &[],
            rate: &no_rate,
        },
    )
    .map(|x| x.0)
    .map_err(|e| format!("{e:?}"))
}

fn run_case(c: &Value) -> CaseResult {
    let id = c
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_string();
    let input = c.get("input").cloned().unwrap_or(Value::Null);
    let expected = c.get("expected").cloned().unwrap_or(Value::Null);
    let na = |reason: &str| CaseResult {
        id: id.clone(),
        status: Status::NotApplicable,
        reason: Some(reason.into()),
        checks: vec![],
    };
    let result: Result<Vec<Check>, String> = if input.get("commodity").is_some() {
        return na("needs the live UK/EU tariff for the commodity (its rate is not part of the input) and the GB→Northern Ireland duty choice; tamga's engine only computes from tariff data it is given");
    } else if let Value::Array(rows) = &expected {
        // Northern Ireland rule: UK duty if |EU - UK| <= 3 % of customs value.
        let cv = dec(input.get("customs_value")).unwrap_or_default();
        ad_valorem(Decimal::from(3), cv).map(|limit| {
            let limit = r2(limit);
            rows.iter()
                .enumerate()
                .map(|(i, r)| {
                    let uk = dec(r.get("uk")).unwrap_or_default();
                    let eu = dec(r.get("eu")).unwrap_or_default();
                    let chosen = if (eu - uk).abs() <= limit { "uk" } else { "eu" };
                    check_str(
                        &format!("row {i} chosen"),
                        chosen.into(),
                        r.get("chosen").and_then(Value::as_str).unwrap_or(""),
                    )
                })
                .collect()
        })
    } else if input.get("components").is_some() || input.get("spq_component_amount").is_some() {
        run_expression(&input, &expected, c.get("variant").or(input.get("variant")))
    } else if let Some(rate) = dec(input.get("vat_rate_pct")) {
        let base = customs_value(&input) + dec(input.get("duty_total")).unwrap_or_default();
        ad_valorem(rate, base).map(|v| {
            let mut ch = vec![];
            if let Some(e) = dec(expected.get("value")) {
                ch.push(check("value", v, e));
            }
            if let Some(f) = expected.get("formatted_value").and_then(Value::as_str) {
                ch.push(check_str("formatted_value", fmt_money(v), f));
            }
            if let Some(calc) = expected.get("calculation").and_then(Value::as_str) {
                ch.push(check_str(
                    "calculation",
                    format!("{:.2}% * {}", rate, fmt_money(base)),
                    calc,
                ));
            }
            ch
        })
    } else if let Some(imp) = input.get("import_duty") {
        (|| {
            let mut ch = vec![];
            let imp_v = dec(imp.get("value")).ok_or("import_duty.value")?;
            if let Some((rate, base)) = imp
                .get("calculation")
                .and_then(Value::as_str)
                .and_then(parse_calculation)
            {
                ch.push(check(
                    "import duty recomputed",
                    ad_valorem(rate, base)?,
                    imp_v,
                ));
            }
            let mut adds = Decimal::ZERO;
            for (i, row) in input
                .get("additional_duty_rows")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let v = dec(row.get("value")).ok_or("additional row value")?;
                if let Some((rate, base)) = row
                    .get("calculation")
                    .and_then(Value::as_str)
                    .and_then(parse_calculation)
                {
                    ch.push(check(
                        &format!("additional duty {i} recomputed"),
                        ad_valorem(rate, base)?,
                        v,
                    ));
                }
                adds += v;
            }
            let vat = input
                .get("vat")
                .and_then(|v| dec(v.get("value")))
                .unwrap_or_default();
            for (k, v) in [
                ("duty_total", imp_v + adds + vat),
                ("without_vat", imp_v + adds),
                ("without_additional_duties", imp_v + vat),
            ] {
                if let Some(e) = expected.get(k).and_then(Value::as_str) {
                    ch.push(check_str(k, fmt_money(v), e));
                }
            }
            Ok::<_, String>(ch)
        })()
    } else {
        Err("unrecognised case shape".into())
    };
    match result {
        Ok(checks) if !checks.is_empty() => CaseResult {
            id,
            status: if checks.iter().all(|c| c.ok) {
                Status::Passed
            } else {
                Status::Failed
            },
            reason: None,
            checks,
        },
        Ok(_) => CaseResult {
            id,
            status: Status::Failed,
            reason: Some("nothing to compare".into()),
            checks: vec![],
        },
        Err(e) => CaseResult {
            id,
            status: Status::Failed,
            reason: Some(e),
            checks: vec![],
        },
    }
}

/// Runs every case of a reference file.
pub fn run(json: &str) -> Result<Report, String> {
    let v: Value = serde_json::from_str(json).map_err(|e| format!("not JSON: {e}"))?;
    let cases = v
        .get("cases")
        .and_then(Value::as_array)
        .ok_or("no \"cases\" array")?;
    let cases: Vec<CaseResult> = cases.iter().map(run_case).collect();
    let n = |s: Status| cases.iter().filter(|c| c.status == s).count();
    Ok(Report {
        passed: n(Status::Passed),
        failed: n(Status::Failed),
        not_applicable: n(Status::NotApplicable),
        cases,
    })
}

/// The reference file shipped with the crate (MIT, see `testdata/LICENSE`).
pub const UK_REFERENCE_CASES: &str =
    include_str!("testdata/uk_duty_calculator_reference_cases.json");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_uk_reference_case_is_reproduced_exactly() {
        let r = run(UK_REFERENCE_CASES).unwrap();
        for c in &r.cases {
            assert_ne!(c.status, Status::Failed, "{c:#?}");
        }
        assert_eq!(r.cases.len(), 13);
        assert_eq!(r.failed, 0);
        assert_eq!(r.passed, 12);
        assert_eq!(r.not_applicable, 1);
        let asv = r.cases.iter().find(|c| c.id == "alcohol_asvx").unwrap();
        assert_eq!(asv.checks.len(), 3, "{asv:#?}"); // value, formatted, variant
        let eur = r
            .cases
            .iter()
            .find(|c| c.id == "specific_eur_converted")
            .unwrap();
        assert_eq!(eur.checks[0].computed, "3008.421");
    }

    #[test]
    fn a_wrong_expectation_fails() {
        let bad = UK_REFERENCE_CASES.replace("\"value\": 3510.0", "\"value\": 3510.01");
        let r = run(&bad).unwrap();
        assert_eq!(r.failed, 1);
        assert!(run("[]").is_err());
    }

    #[test]
    fn money_format() {
        assert_eq!(fmt_money("3008.421".parse().unwrap()), "£3,008.42");
        assert_eq!(fmt_money("1030".parse().unwrap()), "£1,030.00");
        assert_eq!(fmt_money("2.4".parse().unwrap()), "£2.40");
        assert_eq!(fmt_money("1234567.005".parse().unwrap()), "£1,234,567.01");
    }
}
