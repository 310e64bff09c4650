//! A DEC-DMS additional message applied to the declaration it names:
//! an amendment (function code 13, type COR) merged onto the declaration's
//! current version, and a cancellation's (INV) reason.
//!
//! A DEC-DMS amendment carries only what changes (and, as the CDS samples
//! do, the rest of the group around it), with an `Amendment` per change
//! whose `Pointer`s (document section codes `42A` Declaration, `67A`
//! GoodsShipment, `68A` GovernmentAgencyGoodsItem … and the data element's
//! `TagID`) say where. [`merge`] applies what the message carries:
//!
//! - every value mapped from the message (the same mapping as a lodgement,
//!   [`crate::wco_in`]) replaces the declaration's, objects (parties,
//!   totals, transport …) merged member by member;
//! - goods items are matched by `SequenceNumeric`; a sequence the
//!   declaration does not have adds the item as carried (control then
//!   checks it is complete);
//! - a repeated group tamga holds as a list (an item's documents, the
//!   transport documents, the additional procedures) is replaced whole by
//!   the one carried, as CDS carries it (TT_IM016a repeats an item's
//!   documents to add two); carrying fewer members than the declaration
//!   has would remove some, and is refused ([`AMEND_GROUP`]);
//! - `FunctionalReferenceID` is the additional message's own reference,
//!   not the declaration's LRN, and is not applied;
//! - a value DEC-DMS gives per item and tamga holds once (procedure,
//!   additional procedures, dispatch and destination country) changes only
//!   when every goods item is carried (`WCO-CONFLICT`), and an item amount's
//!   currency must be the invoice's (`WCO-CONFLICT`);
//! - every `Amendment` pointer must name an element of the schema
//!   ([`AMEND_POINTER`]) that the message carries ([`AMEND_NOT_CARRIED`]):
//!   the public samples show no way CDS expresses removing an element or a
//!   goods item, so tamga supports none, and a pointer at something not
//!   carried is refused rather than guessed at. `ChangeReasonCode` (the
//!   amendment type) is kept with the message; it does not change what is
//!   applied.
//!
//! Elements tamga does not model are listed in the message's `notUsed`
//! and kept in the stored original, as for a lodgement.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::dms_pointer::{self, Pointer, Step};
use crate::error::MessageError;
use crate::json_doc;
use crate::wco_in::{self, Mapped, Statement, DEC_NS};
use crate::xml::Element;

/// An `Amendment` pointer that names no element of the DEC-DMS schema.
pub const AMEND_POINTER: &str = "WCO-AMEND-POINTER";
/// An `Amendment` pointer at an element the message does not carry (a
/// removal, which tamga does not support).
pub const AMEND_NOT_CARRIED: &str = "WCO-AMEND-NOT-CARRIED";
/// An amended goods item without a usable `SequenceNumeric`, or twice.
pub const AMEND_ITEM: &str = "WCO-AMEND-ITEM";
/// A repeated group carried with fewer members than the declaration has.
pub const AMEND_GROUP: &str = "WCO-AMEND-GROUP";
/// A cancellation without a reason (`AdditionalInformation/StatementDescription`):
/// the code of the JSON invalidation's missing reason.
pub const CANCEL_REASON: &str = "INVALIDATION_REASON";

/// The groups tamga holds as lists, replaced whole when carried.
const GROUPS: &[&str] = &["documents", "transportDocuments", "additionalProcedures"];

/// Header values DEC-DMS may give per goods item and tamga holds once.
const PER_ITEM: &[&str] = &[
    "procedure",
    "additionalProcedures",
    "dispatchCountry",
    "destinationCountry",
];

/// The declaration after an amendment.
#[derive(Debug, Clone)]
pub struct Merged {
    /// The whole declaration (tamga's wire JSON), for control.
    pub document: Value,
    /// JSON pointer (into `document`) → XPath in the amendment of each
    /// value the amendment gave.
    pub sources: BTreeMap<String, String>,
    /// JSON pointers whose value the amendment changed (or added).
    pub changed: Vec<String>,
    /// Sequence numbers of the goods items the amendment added.
    pub added_items: Vec<u64>,
}

/// The `Declaration` of a parsed message (in its envelope or wrapper).
pub fn declaration_element<'a, 'm>(root: &'a Element<'m>) -> Option<&'a Element<'m>> {
    let r = wco_in::unwrap(root);
    if r.name == "Declaration" {
        return Some(r);
    }
    r.children
        .iter()
        .find(|c| c.name == "Declaration" && c.ns.as_deref() == Some(DEC_NS))
}

/// What [`apply`] needs of the message's element tree, read from it at
/// once (so the tree need not be kept while the declaration is fetched):
/// where each goods item is, the item count it declares, and what its
/// `Amendment` pointers say ([`AMEND_POINTER`], [`AMEND_NOT_CARRIED`]:
/// they depend on the message alone).
#[derive(Debug, Clone, Default)]
pub struct Carried {
    /// The XPath of each `GovernmentAgencyGoodsItem`, in the message's order.
    items: Vec<String>,
    /// `GoodsItemQuantity`: its text and XPath.
    item_quantity: Option<(String, String)>,
    /// The pointers' errors.
    errors: Vec<MessageError>,
}

/// Reads what [`apply`] needs of a parsed additional message.
pub fn read_carried(message: &Element) -> Carried {
    let Some(decl) = declaration_element(message) else {
        return Carried {
            errors: vec![MessageError::new(
                "WCO-NOT-DECLARATION",
                message.path.clone(),
                "no DEC-DMS Declaration in the message",
            )],
            ..Carried::default()
        };
    };
    Carried {
        items: decl
            .child("GoodsShipment")
            .map(|gs| {
                gs.children_named("GovernmentAgencyGoodsItem")
                    .map(|e| e.path.clone())
                    .collect()
            })
            .unwrap_or_default(),
        item_quantity: decl
            .child("GoodsItemQuantity")
            .map(|q| (q.text.trim().to_owned(), q.path.clone())),
        errors: pointer_errors(decl),
    }
}

/// Applies the amendment `mapped` (read from `message`) to `base`, the
/// declaration's current version as wire JSON: [`read_carried`], then
/// [`apply`].
pub fn merge(
    base: &Value,
    mapped: &Mapped,
    message: &Element,
) -> Result<Merged, Vec<MessageError>> {
    apply(base, mapped, &read_carried(message))
}

/// Applies the amendment `mapped` to `base`, the declaration's current
/// version as wire JSON. Every error at once, each at the XPath of the
/// element it concerns.
pub fn apply(
    base: &Value,
    mapped: &Mapped,
    carried: &Carried,
) -> Result<Merged, Vec<MessageError>> {
    let mut m = Merger {
        out: base.clone(),
        mapped,
        sources: BTreeMap::new(),
        changed: Vec::new(),
        added: Vec::new(),
        errors: Vec::new(),
    };
    let empty = serde_json::Map::new();
    let partial = mapped.document.as_object().unwrap_or(&empty);
    let all_items = m.items(&carried.items, partial.get("items"));
    for (key, v) in partial {
        match key.as_str() {
            // The additional message's own reference, not the LRN.
            "lrn" | "items" => {}
            "invoice" => m.invoice(v),
            k if PER_ITEM.contains(&k) => m.per_item(k, v, all_items),
            k => m.overlay(&format!("/{k}"), &format!("/{k}"), v),
        }
    }
    if let Some((q, at)) = &carried.item_quantity {
        let n = m
            .out
            .get("items")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        if *q != n.to_string() {
            m.errors.push(MessageError::new(
                "WCO-CONFLICT",
                at.clone(),
                format!("{q} goods items declared, the amended declaration has {n}"),
            ));
        }
    }
    m.errors.extend(carried.errors.iter().cloned());
    if !m.errors.is_empty() {
        return Err(m.errors);
    }
    Ok(Merged {
        document: m.out,
        sources: m.sources,
        changed: m.changed,
        added_items: m.added,
    })
}

/// The reason of a cancellation: the first header `AdditionalInformation`
/// with a `StatementDescription` (CDS writes it with statement type AES),
/// at most 512 characters. `declaration_path` is the XPath of the
/// message's `Declaration`, where a missing reason is reported.
pub fn cancellation_reason(
    statements: &[Statement],
    declaration_path: &str,
) -> Result<String, MessageError> {
    let reason = statements
        .iter()
        .filter_map(|s| s.description.as_deref())
        .map(str::trim)
        .find(|d| !d.is_empty());
    match reason {
        Some(r) if r.chars().count() <= 512 => Ok(r.to_owned()),
        Some(_) => Err(MessageError::new(
            CANCEL_REASON,
            format!("{declaration_path}/AdditionalInformation/StatementDescription"),
            "the reason of a cancellation is at most 512 characters",
        )),
        None => Err(MessageError::new(
            CANCEL_REASON,
            format!("{declaration_path}/AdditionalInformation"),
            "a cancellation gives its reason: AdditionalInformation with a StatementDescription (statement type AES)",
        )),
    }
}

struct Merger<'a> {
    out: Value,
    mapped: &'a Mapped,
    sources: BTreeMap<String, String>,
    changed: Vec<String>,
    added: Vec<u64>,
    errors: Vec<MessageError>,
}

impl Merger<'_> {
    /// The XPath a value of the amendment came from (or its nearest
    /// container's).
    fn xpath(&self, src: &str) -> String {
        json_doc::xpath_for(&self.mapped.sources, src).unwrap_or_else(|| "/".to_owned())
    }

    /// Copies the sources under `src` (in the amendment's document) to
    /// `out` (in the merged one).
    fn copy_sources(&mut self, out: &str, src: &str) {
        for (p, x) in self.mapped.sources.range(src.to_owned()..) {
            let Some(rest) = p.strip_prefix(src) else {
                break;
            };
            if rest.is_empty() || rest.starts_with('/') {
                self.sources.insert(format!("{out}{rest}"), x.clone());
            }
        }
    }

    /// Sets `out` to the amendment's `v` (at `src` in its document):
    /// objects member by member, anything else whole.
    fn overlay(&mut self, out: &str, src: &str, v: &Value) {
        let current = self.out.pointer(out);
        if let (Value::Object(new), Some(Value::Object(_))) = (v, current) {
            if let Some(x) = self.mapped.sources.get(src) {
                self.sources.insert(out.to_owned(), x.clone());
            }
            for (k, x) in new {
                self.overlay(&format!("{out}/{k}"), &format!("{src}/{k}"), x);
            }
            return;
        }
        let name = out.rsplit('/').next().unwrap_or("");
        let shrinks = match (v, current) {
            (Value::Array(new), Some(Value::Array(old))) if GROUPS.contains(&name) => {
                (new.len() < old.len()).then_some((new.len(), old.len()))
            }
            _ => None,
        };
        if let Some((carried, held)) = shrinks {
            let at = self.xpath(src);
            self.errors.push(MessageError::new(
                AMEND_GROUP,
                at,
                format!(
                    "the amendment carries {carried} of the {held} {name} ({out}): a repeated group is replaced by the one carried, so carry every member; removing one is not supported"
                ),
            ));
            return;
        }
        let current = self.out.pointer(out);
        if current != Some(v) {
            json_doc::set(&mut self.out, out, v.clone());
            self.changed.push(out.to_owned());
        }
        self.copy_sources(out, src);
    }

    /// Merges the carried goods items by `SequenceNumeric`; whether every
    /// item of the declaration is carried.
    fn items(&mut self, elements: &[String], items: Option<&Value>) -> bool {
        let mut carried = BTreeSet::new();
        for (i, path) in elements.iter().enumerate() {
            let v = items.and_then(|a| a.get(i)).filter(|v| v.is_object());
            let seq = v.and_then(|v| v.get("sequence")).and_then(Value::as_u64);
            let (Some(v), Some(seq)) = (v, seq) else {
                self.errors.push(MessageError::new(
                    AMEND_ITEM,
                    format!("{path}/SequenceNumeric"),
                    "an amended goods item names the item it amends or adds by its SequenceNumeric (DE 1/6), a whole number",
                ));
                continue;
            };
            if !carried.insert(seq) {
                self.errors.push(MessageError::new(
                    AMEND_ITEM,
                    format!("{path}/SequenceNumeric"),
                    format!("goods item {seq} is carried twice"),
                ));
                continue;
            }
            let existing = self.out.get("items").and_then(Value::as_array);
            let at = existing.and_then(|a| {
                a.iter()
                    .position(|b| b.get("sequence").and_then(Value::as_u64) == Some(seq))
            });
            let j = match at {
                Some(j) => j,
                None => {
                    self.added.push(seq);
                    existing.map_or(0, Vec::len)
                }
            };
            self.overlay(&format!("/items/{j}"), &format!("/items/{i}"), v);
        }
        let base: BTreeSet<u64> = self
            .out
            .get("items")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|b| b.get("sequence").and_then(Value::as_u64))
            .collect();
        base.is_subset(&carried)
    }

    /// The invoice: an item amount's currency (mapped to the invoice
    /// currency when the message has no `InvoiceAmount`) must be the
    /// declaration's.
    fn invoice(&mut self, v: &Value) {
        let Some(members) = v.as_object() else {
            return;
        };
        for (k, x) in members {
            if k == "currency" {
                let src = self.xpath("/invoice/currency");
                let from_header = src.ends_with("/InvoiceAmount");
                let current = self.out.pointer("/invoice/currency");
                if !from_header && current.is_some() {
                    if current != Some(x) {
                        let have = current.and_then(Value::as_str).unwrap_or("").to_owned();
                        self.errors.push(MessageError::new(
                            "WCO-CONFLICT",
                            format!("{src}/@currencyID"),
                            format!(
                                "amount in {}, the declaration's invoice is in {have}: tamga holds item amounts in the invoice currency",
                                x.as_str().unwrap_or("")
                            ),
                        ));
                    }
                    continue;
                }
            }
            self.overlay(&format!("/invoice/{k}"), &format!("/invoice/{k}"), x);
        }
    }

    /// A value DEC-DMS gives per item: it changes the declaration's only
    /// when the amendment carries every goods item.
    fn per_item(&mut self, key: &str, v: &Value, all_items: bool) {
        let ptr = format!("/{key}");
        let src = self
            .mapped
            .sources
            .range(ptr.clone()..)
            .next()
            .filter(|(p, _)| p.starts_with(&ptr))
            .map(|(_, x)| x.clone())
            .unwrap_or_else(|| self.xpath(&ptr));
        let changes = self.out.pointer(&ptr) != Some(v);
        if changes && src.contains("/GovernmentAgencyGoodsItem") && !all_items {
            self.errors.push(MessageError::new(
                "WCO-CONFLICT",
                src,
                format!(
                    "{key} is given per goods item in DEC-DMS and held once per declaration in tamga: an amendment that changes it carries every goods item"
                ),
            ));
            return;
        }
        self.overlay(&ptr, &ptr, v);
    }
}

/// Every `Amendment`'s pointers name an element the message carries.
fn pointer_errors(decl: &Element) -> Vec<MessageError> {
    let mut errors = Vec::new();
    'amendments: for a in decl.children_named("Amendment") {
        let steps: Vec<&Element> = a.children_named("Pointer").collect();
        if steps.is_empty() {
            continue;
        }
        let mut chain = Vec::new();
        for p in &steps {
            let text = |n: &str| p.child(n).map(|c| c.text.trim().to_owned());
            let sequence = match text("SequenceNumeric") {
                None => None,
                Some(t) => match t.parse::<u32>() {
                    Ok(n) => Some(n),
                    Err(_) => {
                        errors.push(MessageError::new(
                            AMEND_POINTER,
                            format!("{}/SequenceNumeric", p.path),
                            format!("sequence {t:?} is not a whole number"),
                        ));
                        continue 'amendments;
                    }
                },
            };
            chain.push(Pointer {
                sequence,
                section: text("DocumentSectionCode").unwrap_or_default(),
                tag: text("TagID"),
            });
        }
        match dms_pointer::resolve(&chain) {
            Err(i) => {
                let p = &chain[i];
                errors.push(MessageError::new(
                    AMEND_POINTER,
                    steps[i].path.clone(),
                    format!(
                        "pointer step {} (section {}{}) names no element of the DEC-DMS declaration there",
                        i + 1,
                        p.section,
                        p.tag.as_deref().map(|t| format!(", tag {t}")).unwrap_or_default()
                    ),
                ));
            }
            Ok(resolved) => {
                if !carries(decl, &resolved[1..]) {
                    errors.push(MessageError::new(
                        AMEND_NOT_CARRIED,
                        a.path.clone(),
                        format!(
                            "the amendment points at {} but does not carry it: tamga applies the elements an amendment carries; removing an element or a goods item is not supported (invalidate the declaration and lodge it anew)",
                            describe(&resolved)
                        ),
                    ));
                }
            }
        }
    }
    errors
}

/// Whether `el` has the element `steps` name: a repeating element with a
/// sequence is the one whose own `SequenceNumeric` is it, or (when it has
/// none) its occurrence.
fn carries(el: &Element, steps: &[Step]) -> bool {
    let Some((step, rest)) = steps.split_first() else {
        return true;
    };
    let candidates: Vec<&Element> = el.children_named(&step.name).collect();
    let picked: Vec<&Element> = match step.sequence {
        None => candidates,
        Some(n)
            if candidates
                .iter()
                .any(|c| c.child("SequenceNumeric").is_some()) =>
        {
            candidates
                .into_iter()
                .filter(|c| {
                    c.child("SequenceNumeric")
                        .and_then(|s| s.text.trim().parse::<u32>().ok())
                        == Some(n)
                })
                .collect()
        }
        Some(n) => candidates
            .get((n as usize).wrapping_sub(1))
            .copied()
            .into_iter()
            .collect(),
    };
    picked.into_iter().any(|c| carries(c, rest))
}

fn describe(steps: &[Step]) -> String {
    steps
        .iter()
        .map(|s| match s.sequence {
            Some(n) => format!("{}[sequence {n}]", s.name),
            None => s.name.clone(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
#[path = "wco_amend_tests.rs"]
mod tests;
