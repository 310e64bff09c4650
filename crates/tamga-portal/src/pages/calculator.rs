//! The duty calculator page: a form (sent with GET, so a result can be
//! bookmarked and nothing changes on the server) read by the API's own
//! service, [`tamga_app::calculator`]. An error is shown next to its field
//! with the same code as the API's, and the form keeps what was typed.

use askama::Template;

use tamga_app::calculator::{self, CalculatorError, CalculatorInput};

use super::{render, spaced_code, Frame, PageError};
use crate::{Ctx, Portal, Rendered, Tr};

/// The form's fields: name (the API's JSON name where there is one) and
/// the message ids of its label and hint.
pub const FIELDS: &[(&str, &str, &str)] = &[
    ("goodsCode", "calc-goods-code", "calc-goods-code-hint"),
    ("origin", "calc-origin", "calc-origin-hint"),
    (
        "preferentialOrigin",
        "calc-preferential-origin",
        "calc-preferential-origin-hint",
    ),
    (
        "customsValue",
        "calc-customs-value",
        "calc-customs-value-hint",
    ),
    ("currency", "calc-currency", "calc-currency-hint"),
    ("date", "calc-date", "calc-date-hint"),
    (
        "additionalCode",
        "calc-additional-code",
        "calc-additional-code-hint",
    ),
    ("documents", "calc-documents", "calc-documents-hint"),
];

/// Quantity rows of the form.
const QUANTITY_ROWS: usize = 2;

/// One input with its label, hint, typed value and error.
#[derive(Debug, Clone)]
struct FieldView {
    name: String,
    label: String,
    hint: String,
    value: String,
    error: String,
    code: String,
}

impl FieldView {
    fn invalid(&self) -> bool {
        !self.error.is_empty()
    }

    /// The ids that describe the input (hint, error).
    fn described_by(&self) -> String {
        let mut ids = Vec::new();
        if !self.hint.is_empty() {
            ids.push(format!("{}-hint", self.name));
        }
        if self.invalid() {
            ids.push(format!("{}-error", self.name));
        }
        ids.join(" ")
    }
}

struct LineView {
    measure: String,
    kind: String,
    area: String,
    expression: String,
    base: String,
    amount: String,
    note: String,
}

struct ResultView {
    heading: String,
    tariff: String,
    value_national: String,
    rate: String,
    lines: Vec<LineView>,
    totals: Vec<(String, String)>,
    total: String,
    notes: Vec<String>,
}

#[derive(Template)]
#[template(path = "calculator.html")]
struct CalculatorPage {
    f: Frame,
    fields: Vec<FieldView>,
    quantities: Vec<(FieldView, FieldView)>,
    /// Errors not about one field (no tariff loaded).
    form_error: String,
    /// Links of the error summary: field id and message.
    summary: Vec<(String, String)>,
    result: Option<ResultView>,
}

fn money(tr: &Tr, m: &tamga_core::money::Money) -> String {
    format!("{} {}", tr.number(&m.amount.to_string()), m.currency)
}

/// The message of an error, in the page's language, with the typed value.
fn message(tr: &Tr, code: &str, value: &str) -> String {
    let id = format!("error-{code}");
    if tr.has(&id) {
        tr.t1(&id, "value", value)
    } else {
        tr.t1("error-generic", "code", code)
    }
}

fn kind_name(tr: &Tr, kind: tamga_core::tariff::MeasureKind) -> String {
    let name = serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    tr.t(&format!("kind-{}", name.replace('_', "-")))
}

pub(super) async fn page(portal: &Portal, ctx: &Ctx) -> Result<Rendered, PageError> {
    let tr = ctx.tr;
    let typed = |name: &str| ctx.param(name).unwrap_or_default().to_owned();
    let mut fields: Vec<FieldView> = FIELDS
        .iter()
        .map(|(name, label, hint)| FieldView {
            name: (*name).to_owned(),
            label: tr.t(label),
            hint: tr.t(hint),
            value: typed(name),
            error: String::new(),
            code: String::new(),
        })
        .collect();
    let mut quantities: Vec<(FieldView, FieldView)> = (0..QUANTITY_ROWS)
        .map(|i| {
            let f = |part: &str, label: &str, hint: &str| FieldView {
                name: format!("q{i}{part}"),
                label: tr.t(label),
                hint: if hint.is_empty() {
                    String::new()
                } else {
                    tr.t(hint)
                },
                value: typed(&format!("q{i}{part}")),
                error: String::new(),
                code: String::new(),
            };
            (
                f("unit", "calc-quantity-unit", "calc-quantity-unit-hint"),
                f("value", "calc-quantity-value", ""),
            )
        })
        .collect();
    let mut form_error = String::new();
    let mut summary = Vec::new();
    let mut result = None;
    // The form was sent (a first visit shows it empty).
    if ctx.param("goodsCode").is_some() {
        let opt = |name: &str| Some(typed(name)).filter(|v| !v.trim().is_empty());
        // The rows filled in, and which row each quantity came from.
        let rows: Vec<usize> = (0..QUANTITY_ROWS)
            .filter(|i| {
                !typed(&format!("q{i}unit")).trim().is_empty()
                    || !typed(&format!("q{i}value")).trim().is_empty()
            })
            .collect();
        let input = CalculatorInput {
            goods_code: typed("goodsCode"),
            origin: typed("origin"),
            preferential_origin: opt("preferentialOrigin"),
            customs_value: typed("customsValue"),
            currency: typed("currency"),
            quantities: rows
                .iter()
                .map(|i| (typed(&format!("q{i}unit")), typed(&format!("q{i}value"))))
                .collect(),
            date: opt("date"),
            additional_code: opt("additionalCode").map(|v| v.trim().to_owned()),
            documents: typed("documents")
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|d| !d.is_empty())
                .map(str::to_owned)
                .collect(),
        };
        match calculator::calculate(portal.clearance(), &input) {
            Ok(c) => result = Some(result_view(&tr, &c)),
            Err(e) => {
                let field = field_of(e.pointer(), &rows);
                let slot = fields.iter_mut().find(|f| f.name == field).or_else(|| {
                    quantities
                        .iter_mut()
                        .flat_map(|(u, v)| [u, v])
                        .find(|f| f.name == field)
                });
                match (slot, &e) {
                    (Some(f), _) => {
                        f.error = message(&tr, e.code(), &f.value);
                        f.code = e.code().to_owned();
                        summary.push((f.name.clone(), f.error.clone()));
                    }
                    (None, CalculatorError::NoTariff) => form_error = tr.t("calc-no-tariff"),
                    (None, _) => form_error = message(&tr, e.code(), ""),
                }
            }
        }
    }
    render(
        &CalculatorPage {
            f: Frame::new(ctx, tr.t("calc-title")),
            fields,
            quantities,
            form_error,
            summary,
            result,
        },
        200,
    )
}

/// The form field of an error's JSON pointer (`/quantities/1/value` is the
/// value of the row the second quantity came from).
fn field_of(pointer: &str, rows: &[usize]) -> String {
    let parts: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
    match parts.as_slice() {
        ["quantities", i, "value"] => {
            let row = i
                .parse::<usize>()
                .ok()
                .and_then(|i| rows.get(i).copied())
                .unwrap_or(0);
            format!("q{row}value")
        }
        ["quantities", ..] => format!("q{}unit", rows.first().copied().unwrap_or(0)),
        [name] => (*name).to_owned(),
        _ => String::new(),
    }
}

fn result_view(tr: &Tr, c: &calculator::Calculation) -> ResultView {
    let a = &c.assessment;
    let t = &c.tariff.tariff;
    let lines = a
        .lines
        .iter()
        .map(|l| LineView {
            measure: t
                .measure_types
                .get(&l.measure_type)
                .map(|m| format!("{} ({})", m.description, l.measure_type))
                .unwrap_or_else(|| l.measure_type.clone()),
            kind: kind_name(tr, l.kind),
            area: t
                .areas
                .get(&l.area)
                .map(|x| format!("{} ({})", x.description, l.area))
                .unwrap_or_else(|| l.area.clone()),
            expression: l.expression.clone(),
            base: tr.engine(&l.base),
            amount: money(tr, &l.amount),
            note: l.note.clone().unwrap_or_default(),
        })
        .collect();
    ResultView {
        heading: tr.t2(
            "calc-result-heading",
            ("code", &spaced_code(&a.goods_code)),
            ("origin", &a.origin),
        ),
        tariff: tr.t1("calc-result-tariff", "name", &c.tariff.name),
        value_national: money(tr, &a.customs_value_national),
        rate: a
            .exchange_rate
            .as_ref()
            .map(|r| {
                tr.t2(
                    "calc-rate",
                    ("currency", &r.currency),
                    ("rate", &tr.number(&r.rate.to_string())),
                )
            })
            .unwrap_or_default(),
        lines,
        totals: vec![
            (tr.t("calc-total-customs-duty"), money(tr, &a.customs_duty)),
            (
                tr.t("calc-total-additional"),
                money(tr, &a.additional_duties),
            ),
            (tr.t("calc-total-excise"), money(tr, &a.excise)),
            (tr.t("calc-total-vat"), money(tr, &a.vat)),
        ],
        total: money(tr, &a.total),
        notes: a.notes.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_name_form_fields() {
        assert_eq!(field_of("/goodsCode", &[]), "goodsCode");
        assert_eq!(field_of("/quantities/0/value", &[1]), "q1value");
        assert_eq!(field_of("/quantities", &[1]), "q1unit");
        assert_eq!(field_of("/quantities", &[]), "q0unit");
        assert_eq!(field_of("", &[]), "");
    }
}
