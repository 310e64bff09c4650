//! Control results: parsing and checking an inspector's result and
//! findings against the declaration, and their readable summary.

use rust_decimal::Decimal;
use serde_json::Value;

use tamga_core::codes::{CountryCode, HsCode};
use tamga_core::declaration::Declaration;
use tamga_core::lifecycle::ControlOutcome;
use tamga_store::ops_sql::Finding;

use crate::error::AppError;

/// Finding kinds an officer may record.
pub const FINDING_KINDS: [&str; 6] = [
    "misclassification",
    "undervaluation",
    "wrong_origin",
    "quantity",
    "prohibited_goods",
    "other",
];

fn decimal_at(v: &Value, ptr: &str, code: &'static str) -> Result<Decimal, AppError> {
    let s = v.as_str().ok_or_else(|| {
        AppError::bad_request(
            code,
            ptr,
            "give the amount as a decimal string, e.g. \"125.50\"",
        )
    })?;
    // The one amount grammar (`money::DecimalText`): no exponent or spaces,
    // and never more digits than a `Decimal` holds exactly.
    tamga_core::money::DecimalText::lex(s)
        .filter(|l| l.digits() <= 28)
        .and_then(|_| s.parse::<Decimal>().ok())
        .ok_or_else(|| AppError::bad_request(code, ptr, format!("{s:?} is not a decimal number")))
}

fn opt_str<'a>(
    f: &'a Value,
    name: &str,
    ptr: &str,
    max: usize,
) -> Result<Option<&'a str>, AppError> {
    match f.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.len() <= max => Ok(Some(s.as_str())),
        Some(_) => Err(AppError::bad_request(
            "FINDING_FIELD",
            format!("{ptr}/{name}"),
            format!("{name} is a string of at most {max} characters"),
        )),
    }
}

/// Parses and checks a control result against the declaration.
pub fn parse_result(
    body: &Value,
    d: &Declaration,
) -> Result<(ControlOutcome, Vec<Finding>, Option<String>), AppError> {
    if !body.is_object() {
        return Err(AppError::bad_request(
            "RESULT_BODY",
            "",
            "the body is a JSON object",
        ));
    }
    let outcome = match body.get("outcome").and_then(Value::as_str) {
        Some("compliant") => ControlOutcome::Compliant,
        Some("findings") => ControlOutcome::Findings,
        _ => {
            return Err(AppError::bad_request(
                "RESULT_OUTCOME",
                "/outcome",
                "outcome is \"compliant\" or \"findings\"",
            ))
        }
    };
    let notes = opt_str(body, "notes", "", 2000)?.map(str::to_owned);
    let list = match body.get("findings") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) if a.len() <= 100 => a.clone(),
        Some(_) => {
            return Err(AppError::bad_request(
                "RESULT_FINDINGS",
                "/findings",
                "findings is an array of at most 100 findings",
            ))
        }
    };
    match (outcome, list.is_empty()) {
        (ControlOutcome::Compliant, false) => {
            return Err(AppError::bad_request(
                "FINDINGS_NOT_EXPECTED",
                "/findings",
                "a compliant result has no findings",
            ))
        }
        (ControlOutcome::Findings, true) => {
            return Err(AppError::bad_request(
                "FINDINGS_MISSING",
                "/findings",
                "list at least one finding",
            ))
        }
        _ => {}
    }
    let mut findings = Vec::with_capacity(list.len());
    for (i, f) in list.iter().enumerate() {
        let p = format!("/findings/{i}");
        let kind = f
            .get("kind")
            .and_then(Value::as_str)
            .filter(|k| FINDING_KINDS.contains(k))
            .ok_or_else(|| {
                AppError::bad_request(
                    "FINDING_KIND",
                    format!("{p}/kind"),
                    format!("kind is one of: {}", FINDING_KINDS.join(", ")),
                )
            })?;
        let item = match f.get("item") {
            None | Some(Value::Null) => None,
            Some(v) => {
                let n = v.as_u64().and_then(|n| u32::try_from(n).ok());
                let found = n.and_then(|n| d.items.iter().find(|it| it.sequence == n));
                match found {
                    Some(it) => Some(it),
                    None => {
                        return Err(AppError::bad_request(
                            "FINDING_ITEM",
                            format!("{p}/item"),
                            format!(
                                "item is the number of a goods item of the declaration (1 to {})",
                                d.items.len()
                            ),
                        ))
                    }
                }
            }
        };
        let needs_item = matches!(
            kind,
            "misclassification" | "undervaluation" | "wrong_origin" | "quantity"
        );
        if needs_item && item.is_none() {
            return Err(AppError::bad_request(
                "FINDING_ITEM",
                format!("{p}/item"),
                format!("a {kind} finding names the goods item"),
            ));
        }
        let declared = opt_str(f, "declaredValue", &p, 64)?;
        let corrected = opt_str(f, "correctedValue", &p, 64)?;
        let description = opt_str(f, "description", &p, 1000)?;
        let need_corrected = || {
            corrected.ok_or_else(|| {
                AppError::bad_request(
                    "FINDING_CORRECTED_VALUE",
                    format!("{p}/correctedValue"),
                    format!("a {kind} finding gives the corrected value"),
                )
            })
        };
        let mut declared = declared.map(str::to_owned);
        match (kind, item) {
            ("undervaluation" | "quantity", Some(it)) => {
                let c = decimal_at(
                    &Value::from(need_corrected()?),
                    &format!("{p}/correctedValue"),
                    "FINDING_CORRECTED_VALUE",
                )?;
                let dv = match &declared {
                    Some(s) => decimal_at(
                        &Value::from(s.as_str()),
                        &format!("{p}/declaredValue"),
                        "FINDING_DECLARED_VALUE",
                    )?,
                    None => {
                        let v = if kind == "quantity" {
                            it.net_mass_kg
                        } else {
                            it.customs_value.unwrap_or(it.item_price)
                        };
                        declared = Some(v.to_string());
                        v
                    }
                };
                if c < Decimal::ZERO {
                    return Err(AppError::bad_request(
                        "FINDING_CORRECTED_VALUE",
                        format!("{p}/correctedValue"),
                        "the corrected value cannot be negative",
                    ));
                }
                if kind == "undervaluation" && c <= dv {
                    return Err(AppError::bad_request(
                        "FINDING_CORRECTED_VALUE",
                        format!("{p}/correctedValue"),
                        format!("an undervaluation's corrected value exceeds the declared {dv}"),
                    ));
                }
            }
            ("misclassification", Some(it)) => {
                let c = need_corrected()?;
                HsCode::parse(c).map_err(|e| {
                    AppError::bad_request(
                        "FINDING_CORRECTED_VALUE",
                        format!("{p}/correctedValue"),
                        e.message,
                    )
                })?;
                if c == it.hs_code.as_str() {
                    return Err(AppError::bad_request(
                        "FINDING_CORRECTED_VALUE",
                        format!("{p}/correctedValue"),
                        "the corrected code is the declared code",
                    ));
                }
                declared.get_or_insert_with(|| it.hs_code.as_str().to_owned());
            }
            ("wrong_origin", Some(it)) => {
                let c = need_corrected()?;
                let cc = CountryCode::parse(c).map_err(|e| {
                    AppError::bad_request(
                        "FINDING_CORRECTED_VALUE",
                        format!("{p}/correctedValue"),
                        e.message,
                    )
                })?;
                if cc == it.origin {
                    return Err(AppError::bad_request(
                        "FINDING_CORRECTED_VALUE",
                        format!("{p}/correctedValue"),
                        "the corrected origin is the declared origin",
                    ));
                }
                declared.get_or_insert_with(|| it.origin.as_str().to_owned());
            }
            _ => {
                if description.is_none() {
                    return Err(AppError::bad_request(
                        "FINDING_DESCRIPTION",
                        format!("{p}/description"),
                        format!("a {kind} finding is described"),
                    ));
                }
            }
        }
        let duties = match f.get("additionalDuties") {
            None | Some(Value::Null) => Decimal::ZERO,
            Some(v) => decimal_at(
                v,
                &format!("{p}/additionalDuties"),
                "FINDING_ADDITIONAL_DUTIES",
            )?,
        };
        if duties < Decimal::ZERO || duties.scale() > 4 {
            return Err(AppError::bad_request(
                "FINDING_ADDITIONAL_DUTIES",
                format!("{p}/additionalDuties"),
                "additional duties are a non-negative amount with at most 4 decimals",
            ));
        }
        findings.push(Finding {
            kind: kind.to_owned(),
            item: item.map(|it| it.sequence),
            declared_value: declared,
            corrected_value: corrected.map(str::to_owned),
            additional_duties: duties.normalize().to_string(),
            description: description.map(str::to_owned),
        });
    }
    Ok((outcome, findings, notes))
}

/// The readable summary put in the control event's notes.
pub fn summarize(outcome: ControlOutcome, findings: &[Finding], notes: Option<&str>) -> String {
    let mut s = match outcome {
        ControlOutcome::Compliant => "compliant".to_owned(),
        ControlOutcome::Findings => {
            let parts: Vec<String> = findings
                .iter()
                .map(|f| {
                    let mut p = f.kind.clone();
                    if let Some(i) = f.item {
                        p.push_str(&format!(" on item {i}"));
                    }
                    match (&f.declared_value, &f.corrected_value) {
                        (Some(d), Some(c)) => p.push_str(&format!(": declared {d}, corrected {c}")),
                        (None, Some(c)) => p.push_str(&format!(": corrected {c}")),
                        _ => {}
                    }
                    if let Some(d) = &f.description {
                        p.push_str(&format!(" ({d})"));
                    }
                    p.push_str(&format!("; additional duties {}", f.additional_duties));
                    p
                })
                .collect();
            format!("findings: {}", parts.join(" | "))
        }
    };
    if let Some(n) = notes {
        s.push_str(&format!(" — officer's notes: {n}"));
    }
    if s.len() > 4000 {
        let mut cut = 3990;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str(" […]");
    }
    s
}
