//! The declaration form: its fields (named by the JSON pointer of the
//! element they fill, so a control message's pointer names its field),
//! the JSON built from what was typed, the form filled from a stored
//! declaration (amendment), and each control violation placed next to its
//! field.

use serde_json::{Map, Value};

use tamga_core::control::Violation;

use crate::pages::form::{Field, Posted};
use crate::Tr;

/// How a typed value becomes JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// A whole number (a count, a sequence, a method).
    Int,
    /// `true` when ticked (a checkbox sends `true`).
    Bool,
    /// Comma-separated codes.
    List,
}

/// A group of header fields: its legend's message id and its fields
/// (pointer, kind).
pub type Group = (&'static str, &'static [(&'static str, Kind)]);

use Kind::{Bool, Int, List, Text};

/// The header's fields, by group.
pub const HEADER: &[Group] = &[
    (
        "trader-g-general",
        &[
            ("/type", Text),
            ("/additionalType", Text),
            ("/lrn", Text),
            ("/procedure", Text),
            ("/additionalProcedures", List),
            ("/declarationOffice", Text),
            ("/presentationOffice", Text),
            ("/exitOffice", Text),
            ("/dispatchCountry", Text),
            ("/destinationCountry", Text),
        ],
    ),
    (
        "trader-g-declarant",
        &[
            ("/declarant/id", Text),
            ("/declarant/name", Text),
            ("/declarant/address/street", Text),
            ("/declarant/address/city", Text),
            ("/declarant/address/postcode", Text),
            ("/declarant/address/country", Text),
        ],
    ),
    (
        "trader-g-representative",
        &[
            ("/representative/id", Text),
            ("/representative/name", Text),
            ("/representative/kind", Text),
        ],
    ),
    (
        "trader-g-importer",
        &[
            ("/importer/id", Text),
            ("/importer/name", Text),
            ("/importer/address/street", Text),
            ("/importer/address/city", Text),
            ("/importer/address/postcode", Text),
            ("/importer/address/country", Text),
        ],
    ),
    (
        "trader-g-exporter",
        &[
            ("/exporter/id", Text),
            ("/exporter/name", Text),
            ("/exporter/address/street", Text),
            ("/exporter/address/city", Text),
            ("/exporter/address/postcode", Text),
            ("/exporter/address/country", Text),
        ],
    ),
    (
        "trader-g-seller",
        &[
            ("/seller/id", Text),
            ("/seller/name", Text),
            ("/seller/address/street", Text),
            ("/seller/address/city", Text),
            ("/seller/address/postcode", Text),
            ("/seller/address/country", Text),
        ],
    ),
    (
        "trader-g-transport",
        &[
            ("/transport/borderMode", Text),
            ("/transport/inlandMode", Text),
            ("/transport/borderMeansId", Text),
            ("/transport/borderMeansNationality", Text),
            ("/transport/container", Bool),
            ("/transportDocuments/0/type", Text),
            ("/transportDocuments/0/reference", Text),
            ("/transportDocuments/0/issuedOn", Text),
        ],
    ),
    (
        "trader-g-money",
        &[
            ("/deliveryTerms/incoterm", Text),
            ("/deliveryTerms/place", Text),
            ("/invoice/currency", Text),
            ("/invoice/amount", Text),
            ("/invoice/date", Text),
            ("/exchangeRateDate", Text),
            ("/totals/packages", Int),
            ("/totals/grossMassKg", Text),
        ],
    ),
];

/// A goods item's fields (below `/items/<n>`).
pub const ITEM: &[(&str, Kind)] = &[
    ("/description", Text),
    ("/hsCode", Text),
    ("/origin", Text),
    ("/preferentialOrigin", Text),
    ("/netMassKg", Text),
    ("/grossMassKg", Text),
    ("/supplementaryUnits", Text),
    ("/packages/kind", Text),
    ("/packages/count", Int),
    ("/packages/marks", Text),
    ("/itemPrice", Text),
    ("/valuationMethod", Int),
    ("/customsValue", Text),
    ("/documents/0/type", Text),
    ("/documents/0/reference", Text),
    ("/documents/0/issuedOn", Text),
    ("/documents/1/type", Text),
    ("/documents/1/reference", Text),
    ("/documents/1/issuedOn", Text),
    ("/documents/2/type", Text),
    ("/documents/2/reference", Text),
    ("/documents/2/issuedOn", Text),
];

/// The most goods items the form offers (the format allows 999; a
/// longer declaration is uploaded as a file).
pub const MAX_ITEMS: usize = 50;

/// The message id of a field's label: `/items/3/packages/count` →
/// `trader-f-item-packages-count`, `/transportDocuments/0/type` →
/// `trader-f-transportDocuments-type`.
pub fn label_id(pointer: &str) -> String {
    let mut id = String::from("trader-f");
    let mut parts = pointer.trim_start_matches('/').split('/').peekable();
    if parts.peek() == Some(&"items") {
        parts.next();
        id.push_str("-item");
    }
    for p in parts {
        if p.parse::<usize>().is_err() {
            id.push('-');
            id.push_str(p);
        }
    }
    id
}

/// The form's state: every typed value by field name, and how many items.
#[derive(Debug, Clone, Default)]
pub struct Typed {
    pub values: Vec<(String, String)>,
    pub items: usize,
}

impl Typed {
    /// What a posted form carries (`items` is the count the page showed).
    pub fn from_posted(p: &Posted) -> Typed {
        let items = p
            .get("items")
            .parse::<usize>()
            .unwrap_or(1)
            .clamp(1, MAX_ITEMS);
        let values =
            p.0.iter()
                .filter(|(k, _)| k.starts_with('/'))
                .cloned()
                .collect();
        Typed { values, items }
    }

    pub fn get(&self, name: &str) -> &str {
        self.values
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    pub fn set(&mut self, name: &str, value: &str) {
        match self.values.iter_mut().find(|(k, _)| k == name) {
            Some(slot) => slot.1 = value.to_owned(),
            None => self.values.push((name.to_owned(), value.to_owned())),
        }
    }

    /// The form filled from a declaration's JSON (its first three documents
    /// per item, its first transport document).
    pub fn from_json(doc: &Value) -> Typed {
        let items = doc["items"]
            .as_array()
            .map_or(1, Vec::len)
            .clamp(1, MAX_ITEMS);
        let mut t = Typed {
            values: Vec::new(),
            items,
        };
        for name in all_fields(items) {
            let text = match doc.pointer(&name) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                Some(Value::Bool(b)) => b.to_string(),
                Some(Value::Array(a)) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", "),
                _ => continue,
            };
            t.values.push((name, text));
        }
        t
    }

    /// Whether item `i` has anything typed.
    fn item_filled(&self, i: usize) -> bool {
        let prefix = format!("/items/{i}/");
        self.values
            .iter()
            .any(|(k, v)| k.starts_with(&prefix) && !v.trim().is_empty())
    }

    /// The declaration JSON of what was typed, and for each of its items
    /// the form's item it came from (empty items are left out).
    pub fn to_json(&self) -> (Value, Vec<usize>) {
        let mut doc = Value::Object(Map::new());
        for (_, fields) in HEADER {
            for (ptr, kind) in *fields {
                put(&mut doc, ptr, self.get(ptr), *kind);
            }
        }
        let rows: Vec<usize> = (0..self.items).filter(|i| self.item_filled(*i)).collect();
        let mut items = Vec::new();
        for (seq, i) in rows.iter().enumerate() {
            let mut item = Value::Object(Map::new());
            item["sequence"] = Value::from(seq + 1);
            for (ptr, kind) in ITEM {
                put(&mut item, ptr, self.get(&format!("/items/{i}{ptr}")), *kind);
            }
            compact(&mut item);
            items.push(item);
        }
        doc["items"] = Value::Array(items);
        compact(&mut doc);
        (doc, rows)
    }
}

/// Every field name of a form with `items` items.
pub fn all_fields(items: usize) -> Vec<String> {
    let mut out: Vec<String> = HEADER
        .iter()
        .flat_map(|(_, f)| f.iter().map(|(p, _)| (*p).to_owned()))
        .collect();
    for i in 0..items {
        out.extend(ITEM.iter().map(|(p, _)| format!("/items/{i}{p}")));
    }
    out
}

/// Sets the element at `pointer` to the typed `value` (nothing when empty).
fn put(doc: &mut Value, pointer: &str, value: &str, kind: Kind) {
    let v = value.trim();
    if v.is_empty() {
        return;
    }
    let json = match kind {
        Text => Value::String(v.to_owned()),
        Int => v
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(v.to_owned())),
        Bool => Value::Bool(v == "true" || v == "on"),
        List => Value::Array(
            v.split(|c: char| c == ',' || c.is_whitespace())
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.to_owned()))
                .collect(),
        ),
    };
    let mut at = doc;
    let parts: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
    for (n, part) in parts.iter().enumerate() {
        let last = n + 1 == parts.len();
        let next_is_index = parts.get(n + 1).is_some_and(|p| p.parse::<usize>().is_ok());
        let empty = || {
            if next_is_index {
                Value::Array(Vec::new())
            } else {
                Value::Object(Map::new())
            }
        };
        at = match (part.parse::<usize>(), at) {
            (Ok(i), Value::Array(a)) => {
                while a.len() <= i {
                    a.push(Value::Null);
                }
                if last {
                    a[i] = json;
                    return;
                }
                if a[i].is_null() {
                    a[i] = empty();
                }
                &mut a[i]
            }
            (_, Value::Object(o)) => {
                if last {
                    o.insert((*part).to_owned(), json);
                    return;
                }
                o.entry((*part).to_owned()).or_insert_with(empty)
            }
            _ => return,
        };
    }
}

/// Drops the gaps (`null`) of arrays left by unfilled rows.
fn compact(v: &mut Value) {
    match v {
        Value::Array(a) => {
            a.retain(|x| !x.is_null());
            a.iter_mut().for_each(compact);
        }
        Value::Object(o) => o.values_mut().for_each(compact),
        _ => {}
    }
}

/// The form field of a violation's pointer: the item index mapped back
/// through `rows`, then the field itself, else the first field below it,
/// else the nearest field above it; "" when it is about the whole form.
pub fn field_of(pointer: &str, rows: &[usize], names: &[String]) -> String {
    let mut parts: Vec<String> = pointer
        .trim_start_matches('/')
        .split('/')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    if parts.first().map(String::as_str) == Some("items") {
        if let Some(i) = parts.get(1).and_then(|i| i.parse::<usize>().ok()) {
            parts[1] = rows.get(i).copied().unwrap_or(i).to_string();
        }
    }
    while !parts.is_empty() {
        let p = format!("/{}", parts.join("/"));
        if names.contains(&p) {
            return p;
        }
        let below = format!("{p}/");
        if let Some(n) = names.iter().find(|n| n.starts_with(&below)) {
            return n.clone();
        }
        parts.pop();
    }
    String::new()
}

/// A violation's text in the page's language: on a page in another
/// language than English the rule's text of the API's error messages
/// (`api-<code>`, the same Russian as the API's), else the rule's own
/// message with its code.
pub fn violation_text(tr: &Tr, v: &Violation) -> String {
    let id = format!("api-{}", v.code);
    if tr.lang != "en" && tr.has(&id) {
        tr.t(&id)
    } else {
        tr.t2(
            "trader-violation",
            ("code", &v.code),
            ("message", &v.message),
        )
    }
}

/// The form's fields with what was typed and the violations placed next
/// to their fields; returns them and the violations about no field.
pub fn place(
    tr: &Tr,
    typed: &Typed,
    violations: &[Violation],
    rows: &[usize],
) -> (Vec<Field>, Vec<(String, String)>) {
    let names = all_fields(typed.items);
    let mut fields: Vec<Field> = names
        .iter()
        .map(|n| Field::new(n, tr.t(&label_id(n)), "text").value(typed.get(n)))
        .collect();
    let mut general = Vec::new();
    for v in violations {
        let text = violation_text(tr, v);
        let name = field_of(&v.pointer, rows, &names);
        match fields
            .iter_mut()
            .find(|f| !name.is_empty() && f.name == name)
        {
            Some(f) if f.invalid() => {
                f.error = format!("{}; {}", f.error, text);
                f.code = format!("{} {}", f.code, v.code);
            }
            Some(f) => f.fail(&v.code, text),
            None => general.push((v.code.clone(), text)),
        }
    }
    (fields, general)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_follows_the_pointers_and_errors_find_their_fields() {
        let mut t = Typed {
            values: vec![],
            items: 3,
        };
        t.set("/lrn", " L-1 ");
        t.set("/additionalProcedures", "000, C07");
        t.set("/transport/container", "true");
        t.set("/totals/packages", "12");
        t.set("/items/2/hsCode", "847130");
        t.set("/items/2/packages/count", "x1");
        t.set("/items/2/documents/1/type", "N935");
        let (doc, rows) = t.to_json();
        assert_eq!(rows, vec![2]);
        assert_eq!(doc["lrn"], "L-1");
        assert_eq!(
            doc["additionalProcedures"],
            serde_json::json!(["000", "C07"])
        );
        assert_eq!(doc["transport"]["container"], true);
        assert_eq!(doc["totals"]["packages"], 12);
        assert_eq!(doc["items"][0]["sequence"], 1);
        assert_eq!(doc["items"][0]["packages"]["count"], "x1");
        assert_eq!(doc["items"][0]["documents"][0]["type"], "N935");
        let names = all_fields(3);
        assert_eq!(
            field_of("/items/0/hsCode", &rows, &names),
            "/items/2/hsCode"
        );
        assert_eq!(
            field_of("/declarant/address", &rows, &names),
            "/declarant/address/street"
        );
        assert_eq!(
            field_of("/items/0/packages/count/x", &rows, &names),
            "/items/2/packages/count"
        );
        assert_eq!(field_of("", &rows, &names), "");
        assert_eq!(
            label_id("/items/2/packages/count"),
            "trader-f-item-packages-count"
        );
        assert_eq!(
            label_id("/transportDocuments/0/type"),
            "trader-f-transportDocuments-type"
        );
        let back = Typed::from_json(&doc);
        assert_eq!(back.items, 1);
        assert_eq!(back.get("/items/0/hsCode"), "847130");
        assert_eq!(back.get("/additionalProcedures"), "000, C07");
    }
}
