//! The declaration's field table, as published in `docs/declaration.md`.
//!
//! [`HEADER_FIELDS`] and [`ITEM_FIELDS`] list every field of the wire form
//! with its data element number and format. Whether a field is required is
//! said here only for fields whose presence the structure layer or a named
//! rule decides ([`Required::Yes`], [`Required::No`], [`Required::Rule`]);
//! for every element of the obligation table ([`Required::Table`]) the data
//! element number and the "required" text are rendered from
//! [`OBLIGATIONS`], so the document cannot say a field is optional while
//! control rejects a declaration without it.
//!
//! [`render_markdown`] renders both tables; a test compares them with the
//! document and rewrites it when `TAMGA_BLESS=1` is set.

use super::obligations::{Condition, Obligation, Presence, NATIONAL_CURRENCY, OBLIGATIONS};
use crate::declaration::{AdditionalType, DeclarationType};

/// Whether a field must be present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Required {
    /// Always: the structure layer (`FLC-REQUIRED`) or a logic rule rejects
    /// a declaration without it.
    Yes,
    /// Never required by itself.
    No,
    /// Required by the named rule, said in words.
    Rule(&'static str),
    /// Per declaration type and additional type: the element's row of
    /// [`OBLIGATIONS`] decides, and gives the data element number.
    Table,
}

/// One row of the published field table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldDoc {
    /// The name shown: the wire name, dotted below the top level
    /// (`transport.borderMeansId`).
    pub name: &'static str,
    /// JSON pointer of the element; `*` for every array index. For
    /// [`Required::Table`] rows it is the obligation table's element.
    pub element: &'static str,
    /// Data element number (unused for [`Required::Table`] rows, which take
    /// the obligation table's).
    pub de: &'static str,
    pub required: Required,
    pub format: &'static str,
}

const fn f(
    name: &'static str,
    element: &'static str,
    de: &'static str,
    required: Required,
    format: &'static str,
) -> FieldDoc {
    FieldDoc {
        name,
        element,
        de,
        required,
        format,
    }
}

use Required::{No, Table, Yes};

/// The header's fields, in document order.
#[rustfmt::skip]
pub static HEADER_FIELDS: &[FieldDoc] = &[
    f("type", "/type", "1/1", Yes, "`IM` import, `EX` export, `CO` customs status"),
    f("additionalType", "/additionalType", "1/2", Yes, "`standard`, `simplified`, `prelodged`"),
    f("lrn", "/lrn", "2/5", Yes, "the declarant's own reference, 1–22 printable ASCII; unique per declarant"),
    f("procedure", "/procedure", "1/10", Yes, "4 digits: requested + previous procedure (e.g. `4000`)"),
    f("additionalProcedures", "/additionalProcedures", "1/11", No, "list of 3-character codes (e.g. `[\"000\"]`), each allowed with the procedure"),
    f("declarant", "/declarant", "3/17", Yes, "party"),
    f("declarant.id", "/declarant/id", "3/18", Yes, "operator id; the sender must be the declarant or its representative"),
    f("declarant.address", "/declarant/address", "", Table, "address"),
    f("importer", "/importer", "", Table, "party"),
    f("importer.id", "/importer/id", "", Table, "operator id"),
    f("importer.address", "/importer/address", "", Table, "address"),
    f("exporter", "/exporter", "", Table, "party"),
    f("exporter.id", "/exporter/id", "", Table, "operator id"),
    f("exporter.address", "/exporter/address", "", Table, "address"),
    f("seller", "/seller", "", Table, "party"),
    f("representative", "/representative", "3/19–21", No, "`{id, name, kind: direct\\|indirect}`; differs from the declarant; needs a mandate (below)"),
    f("declarationOffice", "/declarationOffice", "WCO 065", Yes, "office code, 8 characters (`UZ000100`), with the IMP/EXP role"),
    f("presentationOffice", "/presentationOffice", "", Table, "office code"),
    f("exitOffice", "/exitOffice", "", Table, "office code with the EXT role"),
    f("dispatchCountry", "/dispatchCountry", "", Table, "ISO 3166 alpha-2"),
    f("destinationCountry", "/destinationCountry", "", Table, "ISO 3166 alpha-2"),
    f("transport", "/transport", "7/x", Yes, "object: the fields below"),
    f("transport.borderMode", "/transport/borderMode", "7/4", Yes, "`sea rail road air post fixed inlandwater own`"),
    f("transport.inlandMode", "/transport/inlandMode", "7/5", No, "a mode as above"),
    f("transport.borderMeansId", "/transport/borderMeansId", "", Table, "identity of the active means of transport crossing the border (plate, vessel, flight)"),
    f("transport.borderMeansNationality", "/transport/borderMeansNationality", "", Table, "ISO 3166 alpha-2"),
    f("transport.container", "/transport/container", "7/2", No, "`true` when the goods are in containers (default `false`)"),
    f("transportDocuments", "/transportDocuments", "", Table, "list of `{type, reference, issuedOn?}` with N7xx transport document codes"),
    f("deliveryTerms", "/deliveryTerms", "", Table, "`{incoterm, place}` (Incoterms 2020)"),
    f("invoice", "/invoice", "4/10–11", Yes, "`{currency, amount, date?}`; `amount` = sum of item prices, decimals within the currency's minor unit"),
    f("invoice.date", "/invoice/date", "", Table, "date"),
    f("exchangeRateDate", "/exchangeRateDate", "", Table, "date"),
    f("totals", "/totals", "6/18, 6/5", Yes, "`{packages, grossMassKg}` = sums over the items"),
    f("items", "/items", "", Yes, "1 to 999 goods items"),
];

/// A goods item's fields, in document order.
#[rustfmt::skip]
pub static ITEM_FIELDS: &[FieldDoc] = &[
    f("sequence", "/items/*/sequence", "1/6", Yes, "1, 2, 3 … in order"),
    f("description", "/items/*/description", "6/8", Yes, "up to 512 characters"),
    f("hsCode", "/items/*/hsCode", "6/14–15", Yes, "6, 8 or 10 digits; the 6-digit subheading must exist in HS 2022 on the lodging date"),
    f("origin", "/items/*/origin", "5/15", Yes, "ISO 3166 alpha-2"),
    f("preferentialOrigin", "/items/*/preferentialOrigin", "", Table, "needs a proof-of-origin document on the item"),
    f("netMassKg", "/items/*/netMassKg", "6/1", Yes, "positive, at most the gross mass, at most 3 decimals"),
    f("grossMassKg", "/items/*/grossMassKg", "6/5", Yes, "positive, at most 3 decimals"),
    f("supplementaryUnits", "/items/*/supplementaryUnits", "6/2", No, "positive"),
    f("packages", "/items/*/packages", "6/9–11", Yes, "`{kind, count, marks?}`; `kind` a 2-character UN/ECE Rec. 21 code"),
    f("itemPrice", "/items/*/itemPrice", "4/14", Yes, "positive, invoice currency"),
    f("valuationMethod", "/items/*/valuationMethod", "4/16", Yes, "1–6"),
    f("customsValue", "/items/*/customsValue", "", Table, "positive, invoice currency"),
    f("documents", "/items/*/documents", "2/3", Required::Rule("per procedure (`FLC-DOCUMENT-REQUIRED`)"), "list of `{type, reference, issuedOn?}`; e.g. imports need `N935` (invoice on which the customs value is based)"),
];

/// The obligation table's row for `element`.
pub fn obligation(element: &str) -> Option<&'static Obligation> {
    OBLIGATIONS.iter().find(|o| o.element == element)
}

impl FieldDoc {
    /// The data element number shown (the obligation table's for
    /// [`Required::Table`] rows).
    pub fn data_element(&self) -> &'static str {
        match self.required {
            Table => obligation(self.element).map_or("", |o| o.data_element),
            _ => self.de,
        }
    }

    /// The "required" column.
    pub fn required_text(&self) -> String {
        match self.required {
            Yes => "yes".into(),
            No => "no".into(),
            Required::Rule(s) => s.into(),
            Table => obligation(self.element).map_or_else(|| "no".into(), presence_text),
        }
    }
}

/// For each declaration type, the additional types in which `o` has
/// presence `p`.
fn cells(o: &Obligation, p: Presence) -> Vec<(DeclarationType, Vec<AdditionalType>)> {
    DeclarationType::ALL
        .into_iter()
        .map(|t| {
            let cols = AdditionalType::ALL
                .into_iter()
                .filter(|a| o.presence(t, *a) == p)
                .collect();
            (t, cols)
        })
        .collect()
}

/// `IM standard, prelodged`, `IM, EX`, `prelodged`…: the types with a
/// non-empty set of additional types, grouped by equal sets.
fn cells_text(cells: &[(DeclarationType, Vec<AdditionalType>)]) -> String {
    let mut groups: Vec<(Vec<DeclarationType>, &Vec<AdditionalType>)> = Vec::new();
    for (t, cols) in cells.iter().filter(|(_, c)| !c.is_empty()) {
        match groups.iter_mut().find(|(_, c)| *c == cols) {
            Some((ts, _)) => ts.push(*t),
            None => groups.push((vec![*t], cols)),
        }
    }
    groups
        .into_iter()
        .map(|(types, cols)| {
            let types_text = if types.len() == DeclarationType::ALL.len() {
                String::new()
            } else {
                types
                    .iter()
                    .map(|t| t.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let cols_text = if cols.len() == AdditionalType::ALL.len() {
                String::new()
            } else {
                cols.iter()
                    .map(|a| a.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            match (types_text.is_empty(), cols_text.is_empty()) {
                (true, true) => "always".to_owned(),
                (false, true) => types_text,
                (true, false) => cols_text,
                (false, false) => format!("{types_text} {cols_text}"),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The "required" text of an obligation row: where it is mandatory (and
/// under which condition), and where it is not allowed.
pub fn presence_text(o: &Obligation) -> String {
    let mandatory = cells(o, Presence::Mandatory);
    let forbidden = cells(o, Presence::Forbidden);
    let mut text = if mandatory.iter().all(|(_, c)| c.is_empty()) {
        "no".to_owned()
    } else {
        let mut t = cells_text(&mandatory);
        match o.condition {
            Condition::Always => {}
            Condition::ForeignInvoiceCurrency => t.push_str(&format!(
                ", when the invoice currency is not {NATIONAL_CURRENCY}"
            )),
            Condition::IdentifiableBorderMeans => {
                t.push_str(", unless the border mode is `post` or `fixed`")
            }
        }
        t
    };
    if forbidden.iter().any(|(_, c)| !c.is_empty()) {
        text.push_str(&format!("; not allowed in {}", cells_text(&forbidden)));
    }
    text
}

fn render_table(fields: &[FieldDoc]) -> String {
    let mut s = String::from("| field | DE | required | format |\n|---|---|---|---|\n");
    for fd in fields {
        s.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            fd.name,
            fd.data_element(),
            fd.required_text(),
            fd.format
        ));
    }
    s
}

/// The marker lines around a generated table in `docs/declaration.md`.
pub fn markers(table: &str) -> (String, String) {
    (
        format!("<!-- generated: {table} fields (cargo test -p tamga-core --lib fields; TAMGA_BLESS=1 rewrites) -->"),
        format!("<!-- end of generated {table} fields -->"),
    )
}

/// The header and goods item tables, as Markdown.
pub fn render_markdown() -> [(&'static str, String); 2] {
    [
        ("header", render_table(HEADER_FIELDS)),
        ("item", render_table(ITEM_FIELDS)),
    ]
}

/// `doc` with the text between each table's markers replaced by the
/// rendered table; `Err` names a table whose markers are missing.
pub fn splice(doc: &str) -> Result<String, String> {
    let mut out = doc.to_owned();
    for (table, rendered) in render_markdown() {
        let (begin, end) = markers(table);
        let (Some(b), Some(e)) = (out.find(&begin), out.find(&end)) else {
            return Err(format!("the markers of the {table} table are missing"));
        };
        let start = b + begin.len();
        if e < start {
            return Err(format!("the markers of the {table} table are out of order"));
        }
        out.replace_range(start..e, &format!("\n{rendered}"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::structure::fixtures::{ctx, ex, im};
    use crate::control::{run, Severity};
    use serde_json::Value;

    fn all() -> impl Iterator<Item = &'static FieldDoc> {
        HEADER_FIELDS.iter().chain(ITEM_FIELDS)
    }

    /// `doc` without the element (for items, in the first item).
    fn without(doc: &Value, element: &str) -> Option<Value> {
        let ptr = element.replace('*', "0");
        let (parent, last) = ptr.rsplit_once('/')?;
        let mut d = doc.clone();
        let p = if parent.is_empty() {
            &mut d
        } else {
            d.pointer_mut(parent)?
        };
        p.as_object_mut()?.remove(last)?;
        Some(d)
    }

    fn errors(doc: &Value) -> Vec<(String, String)> {
        run(doc, &ctx())
            .violations
            .into_iter()
            .filter(|v| v.severity == Severity::Error)
            .map(|v| (v.code, v.pointer))
            .collect()
    }

    #[test]
    fn the_document_shows_the_rendered_tables() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/declaration.md");
        let doc = std::fs::read_to_string(path).expect("docs/declaration.md");
        let want = splice(&doc).unwrap_or_else(|e| panic!("docs/declaration.md: {e}"));
        if want != doc {
            if std::env::var_os("TAMGA_BLESS").is_some() {
                std::fs::write(path, &want).expect("write docs/declaration.md");
                return;
            }
            let diff = similar_lines(&doc, &want);
            panic!(
                "docs/declaration.md's field tables differ from the code (control/fields.rs, \
                 control/obligations.rs).\nRegenerate them with \
                 `TAMGA_BLESS=1 cargo test -p tamga-core --lib fields`.\n{diff}"
            );
        }
    }

    /// The lines that differ, `-` in the document, `+` rendered.
    fn similar_lines(have: &str, want: &str) -> String {
        let h: Vec<&str> = have.lines().collect();
        let w: Vec<&str> = want.lines().collect();
        let mut out = String::new();
        for l in h.iter().filter(|l| !w.contains(l)) {
            out.push_str(&format!("- {l}\n"));
        }
        for l in w.iter().filter(|l| !h.contains(l)) {
            out.push_str(&format!("+ {l}\n"));
        }
        out
    }

    #[test]
    fn every_obligation_has_exactly_one_table_row() {
        for o in OBLIGATIONS {
            let rows: Vec<_> = all().filter(|f| f.element == o.element).collect();
            assert_eq!(rows.len(), 1, "{}", o.element);
            assert_eq!(rows[0].required, Table, "{}", o.element);
        }
        for fd in all().filter(|f| f.required == Table) {
            assert!(
                obligation(fd.element).is_some(),
                "{} has no obligation",
                fd.element
            );
            assert!(
                fd.de.is_empty(),
                "{}: the DE comes from the obligation table",
                fd.name
            );
        }
        let mut seen = std::collections::HashSet::new();
        for fd in all() {
            assert!(seen.insert(fd.element), "duplicate {}", fd.element);
        }
    }

    #[test]
    fn required_fields_are_rejected_when_missing() {
        for fd in all().filter(|f| f.required == Yes) {
            let doc =
                without(&im(), fd.element).unwrap_or_else(|| panic!("{} in im()", fd.element));
            let errs = errors(&doc);
            let ptr = fd.element.replace('*', "0");
            assert!(
                errs.iter().any(|(_, p)| *p == ptr),
                "{}: no error at {ptr} without it: {errs:?}",
                fd.name
            );
        }
    }

    #[test]
    fn optional_fields_may_be_left_out() {
        for fd in all().filter(|f| f.required == No) {
            let mut tried = 0;
            for base in [im(), ex()] {
                if let Some(doc) = without(&base, fd.element) {
                    tried += 1;
                    assert_eq!(errors(&doc), vec![], "{} left out", fd.name);
                }
            }
            // `representative` is in neither fixture: add one and leave it
            // out again would prove nothing; the others must be tried.
            if fd.name != "representative" {
                assert!(tried > 0, "{} is in no fixture", fd.name);
            }
        }
    }

    #[test]
    fn table_rows_required_in_a_standard_import_are_rejected_when_missing() {
        let mut checked = 0;
        for fd in all().filter(|f| f.required == Table) {
            let o = obligation(fd.element).expect("row");
            let mandatory =
                o.presence(DeclarationType::IM, AdditionalType::Standard) == Presence::Mandatory;
            let Some(doc) = without(&im(), fd.element) else {
                continue;
            };
            let ptr = fd.element.replace('*', "0");
            let rejected = errors(&doc)
                .iter()
                .any(|(c, p)| c == "FLC-OBL-MISSING" && *p == ptr);
            assert_eq!(rejected, mandatory, "{}", fd.name);
            checked += 1;
        }
        assert!(checked >= 10, "{checked}");
    }

    #[test]
    fn the_required_text_says_where() {
        let text = |e: &str| obligation(e).map(presence_text).unwrap();
        assert_eq!(text("/seller"), "IM standard, prelodged");
        assert_eq!(text("/importer"), "IM");
        assert_eq!(text("/presentationOffice"), "prelodged");
        assert_eq!(text("/declarant/address"), "standard, prelodged");
        assert_eq!(
            text("/exitOffice"),
            "EX standard, prelodged; not allowed in IM"
        );
        assert_eq!(
            text("/transport/borderMeansId"),
            "IM, EX standard, prelodged, unless the border mode is `post` or `fixed`"
        );
        assert_eq!(
            text("/exchangeRateDate"),
            "IM standard, prelodged, when the invoice currency is not UZS"
        );
        assert_eq!(text("/items/*/customsValue"), "IM; not allowed in EX");
        assert_eq!(
            text("/items/*/preferentialOrigin"),
            "no; not allowed in EX, CO"
        );
    }
}
