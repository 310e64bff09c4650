//! The value check on the officer's declaration page (issue 18, part 4):
//! each item's unit value against the reference prices of released
//! declarations, its robust z-score and the indicator.

use tamga_core::value_control::{ReferenceLevel, ValueCheckAbsence, ValueChecks};

use crate::i18n::Tr;

/// One table row: item, unit value, reference (level, key, size,
/// quartiles), z-score, finding.
pub(super) type Row = Vec<String>;

/// The value check's table rows and its note (rule, absence).
pub(super) fn value_check_rows(tr: &Tr, v: &ValueChecks) -> (Vec<Row>, String) {
    let cur = &v.currency;
    let rows = v
        .items
        .iter()
        .map(|c| {
            let unit = tr.t(&format!("officer-value-unit-{}", c.unit.as_str()));
            let value = format!("{} {cur} / {unit}", tr.number(&c.unit_value.to_string()));
            let (reference, z, finding) = match (&c.reference, c.z) {
                (Some(r), Some(z)) => {
                    let level = tr.t(match r.level {
                        ReferenceLevel::National => "officer-value-level-national",
                        ReferenceLevel::Hs6 => "officer-value-level-hs6",
                        ReferenceLevel::Hs6AnyOrigin => "officer-value-level-hs6-any",
                    });
                    let key = match &r.origin {
                        Some(o) => format!("{} {o}", r.code),
                        None => r.code.clone(),
                    };
                    let reference = format!(
                        "{level} {key}: n = {}, {} – {} – {}",
                        r.n,
                        tr.number(&r.q1.to_string()),
                        tr.number(&r.median.to_string()),
                        tr.number(&r.q3.to_string()),
                    );
                    let finding = if c.undervalued {
                        tr.t("officer-value-undervalued")
                    } else if c.overvalued {
                        tr.t("officer-value-overvalued")
                    } else {
                        tr.t("officer-value-within")
                    };
                    (reference, tr.number(&z.to_string()), finding)
                }
                _ => (
                    tr.t("officer-value-no-reference"),
                    String::new(),
                    String::new(),
                ),
            };
            vec![c.sequence.to_string(), value, reference, z, finding]
        })
        .collect();
    let mut note = tr.t2(
        "officer-value-rule",
        ("under", &tr.number(&v.under_z.to_string())),
        ("over", &tr.number(&v.over_z.to_string())),
    );
    note.push(' ');
    note.push_str(&tr.ta(
        "officer-value-sample",
        &[
            ("n", &v.min_observations.to_string()),
            ("declarants", &v.min_declarants.to_string()),
            ("days", &v.window_days.to_string()),
        ],
    ));
    if let Some(a) = v.absent {
        let why = match a {
            ValueCheckAbsence::NotAssessed => "officer-value-absent-not-assessed",
            ValueCheckAbsence::OverBudget => "officer-value-absent-over-budget",
            ValueCheckAbsence::Failed => "officer-value-absent-failed",
        };
        note.push(' ');
        note.push_str(&tr.t(why));
    }
    (rows, note)
}
