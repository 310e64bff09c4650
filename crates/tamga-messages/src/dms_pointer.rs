//! A DMS error's pointer: where in the declaration an error is, in the WCO
//! data model's own terms, as the CDS writes it.
//!
//! CDS points at an element by the chain of WCO classes down to it, each a
//! `Pointer` with the class's document section code (its WCO id: `42A`
//! Declaration, `67A` GoodsShipment, `68A` GovernmentAgencyGoodsItem …)
//! and, for a class that may repeat, the occurrence (`SequenceNumeric`);
//! the last pointer names the data element by its WCO id (`TagID`: `D026`
//! the LRN, `337` a classification's ID …). For example the third
//! classification's ID of the first item:
//! `42A / 67A / 68A#1 / 23A / 21A#3 tag 337`.
//!
//! The WCO ids are read from the shipped DEC-DMS schema's own annotations
//! (`<WCOID>` of every element of `WCO_DEC_2_DMS.xsd`), so the ids are not
//! typed in by hand; the one element the schema leaves without an id
//! (`Classification/IdentificationTypeCode`) gets the id CDS uses for it
//! ([`MISSING_IDS`], as in the CDS sample TT_IM116a's DMSREJ).

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::xml::{self, Element, Limits};

const DEC_XSD: &str = include_str!("../schemas/declaration/WCO_DEC_2_DMS.xsd");

/// WCO ids of elements the schema annotates without one: (parent, element,
/// id), as the CDS writes them.
pub const MISSING_IDS: &[(&str, &str, &str)] =
    &[("Classification", "IdentificationTypeCode", "337")];

/// One step of a DMS pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pointer {
    /// The occurrence of a class that may repeat (1-based).
    pub sequence: Option<u32>,
    /// The class's WCO id (document section code), e.g. `68A`.
    pub section: String,
    /// On the last step: the data element's WCO id, e.g. `337`.
    pub tag: Option<String>,
}

/// An element of the declaration schema: its WCO id and whether it may
/// repeat, and its child elements.
#[derive(Debug, Default)]
struct Node {
    wco_id: Option<String>,
    repeats: bool,
    children: HashMap<String, Node>,
}

fn tree() -> &'static Node {
    static TREE: OnceLock<Node> = OnceLock::new();
    TREE.get_or_init(|| {
        let limits = Limits {
            max_bytes: 16 * 1024 * 1024,
            max_depth: 256,
            max_elements: 2_000_000,
        };
        let root =
            xml::parse(DEC_XSD.as_bytes(), &limits).expect("the shipped DEC-DMS schema parses");
        let named: HashMap<&str, &Element> = root
            .children
            .iter()
            .filter(|c| c.name == "complexType")
            .filter_map(|c| c.attribute("name").map(|n| (n, c)))
            .collect();
        let mut top = Node::default();
        for e in root.children.iter().filter(|c| c.name == "element") {
            if let Some(name) = e.attribute("name") {
                top.children.insert(name.to_owned(), node(e, &named));
            }
        }
        fill_missing(&mut top);
        top
    })
}

fn fill_missing(n: &mut Node) {
    for (name, child) in n.children.iter_mut() {
        for (parent, element, id) in MISSING_IDS {
            if name == parent {
                if let Some(c) = child.children.get_mut(*element) {
                    c.wco_id.get_or_insert_with(|| (*id).to_owned());
                }
            }
        }
        fill_missing(child);
    }
}

/// The node of an `xs:element` declaration.
fn node(e: &Element, named: &HashMap<&str, &Element>) -> Node {
    let wco_id = e
        .child("annotation")
        .into_iter()
        .flat_map(|a| a.children_named("documentation"))
        .find_map(|d| d.child("WCOID"))
        .map(|id| id.text.trim().to_owned())
        .filter(|id| !id.is_empty());
    let repeats = e
        .attribute("maxOccurs")
        .is_some_and(|m| m == "unbounded" || m.parse::<u32>().is_ok_and(|n| n > 1));
    // The content: an anonymous complex type, or a complex type of this
    // file (the `ds:` types are simple content: leaves).
    let content = e.child("complexType").or_else(|| {
        e.attribute("type")
            .filter(|t| !t.contains(':'))
            .and_then(|t| named.get(t).copied())
    });
    let mut children = HashMap::new();
    if let Some(ct) = content {
        collect(ct, named, &mut children);
    }
    Node {
        wco_id,
        repeats,
        children,
    }
}

fn collect(e: &Element, named: &HashMap<&str, &Element>, out: &mut HashMap<String, Node>) {
    for c in &e.children {
        match c.name {
            "element" => {
                if let Some(name) = c.attribute("name") {
                    out.insert(name.to_owned(), node(c, named));
                }
            }
            "sequence" | "choice" => collect(c, named, out),
            _ => {}
        }
    }
}

/// A class (document section) id ends in a letter (`42A`, `07B`); a data
/// element's does not end so, or starts with one (`337`, `D026`, `R144`).
fn is_class(id: &str) -> bool {
    id.len() == 3
        && id.starts_with(|c: char| c.is_ascii_digit())
        && id.ends_with(|c: char| c.is_ascii_uppercase())
}

/// The DMS pointer of an XPath into a DEC-DMS message (as tamga's reader
/// reports them: `/MetaData/Declaration/GoodsShipment/GovernmentAgencyGoodsItem[2]/…`,
/// also inside a wrapper). Steps below the data element (its
/// `DateTimeString`, an attribute) are the element itself; a step the
/// schema does not know ends the pointer at its parent. `None` when the
/// path is not inside a `Declaration`.
pub fn pointers(xpath: &str) -> Option<Vec<Pointer>> {
    let mut steps = xpath
        .split('/')
        .filter(|s| !s.is_empty() && !s.starts_with('@') && !s.ends_with("()"))
        .map(|s| match s.split_once('[') {
            Some((name, rest)) => (name, rest.trim_end_matches(']').parse::<u32>().ok()),
            None => (s, None),
        })
        .skip_while(|(name, _)| *name != "Declaration");
    steps.next()?;
    let root = tree().children.get("Declaration")?;
    let mut out = vec![Pointer {
        sequence: None,
        section: root.wco_id.clone().unwrap_or_else(|| "42A".to_owned()),
        tag: None,
    }];
    let mut here = root;
    for (name, index) in steps {
        let Some(next) = here.children.get(name) else {
            break;
        };
        let Some(id) = next.wco_id.as_deref() else {
            break;
        };
        if is_class(id) {
            out.push(Pointer {
                sequence: next.repeats.then_some(index.unwrap_or(1)),
                section: id.to_owned(),
                tag: None,
            });
            here = next;
        } else {
            if let Some(last) = out.last_mut() {
                last.tag = Some(id.to_owned());
            }
            break;
        }
    }
    Some(out)
}

/// One step of a resolved pointer: the schema element a CDS pointer step
/// names, and the occurrence it names when the element may repeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The element's local name (`GovernmentAgencyGoodsItem`).
    pub name: String,
    /// The pointer's `SequenceNumeric`, when the element may repeat (on an
    /// element that does not repeat CDS writes sequences that mean
    /// nothing, and they are dropped).
    pub sequence: Option<u32>,
}

/// The reverse of [`pointers`]: the element names a CDS pointer chain
/// names, from `Declaration` (`42A`) down, each further section a class
/// within the previous one, and the last step's `TagID` a data element
/// of its class. `Err(i)`: step `i` names no class (or its tag no data
/// element) of the DEC-DMS schema there.
pub fn resolve(chain: &[Pointer]) -> Result<Vec<Step>, usize> {
    let root = tree().children.get("Declaration").ok_or(0usize)?;
    let mut here = root;
    let mut out = Vec::new();
    for (i, p) in chain.iter().enumerate() {
        let (name, node) = if i == 0 {
            if root.wco_id.as_deref().unwrap_or("42A") != p.section {
                return Err(0);
            }
            ("Declaration", root)
        } else {
            here.children
                .iter()
                .find(|(_, c)| {
                    c.wco_id.as_deref() == Some(p.section.as_str()) && is_class(&p.section)
                })
                .map(|(n, c)| (n.as_str(), c))
                .ok_or(i)?
        };
        out.push(Step {
            name: name.to_owned(),
            sequence: p.sequence.filter(|_| node.repeats),
        });
        here = node;
        if let Some(tag) = &p.tag {
            if i + 1 != chain.len() {
                return Err(i);
            }
            let name = here
                .children
                .iter()
                .find(|(_, c)| c.wco_id.as_deref() == Some(tag.as_str()) && !is_class(tag))
                .map(|(n, _)| n.clone())
                .ok_or(i)?;
            out.push(Step {
                name,
                sequence: None,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(seq: Option<u32>, section: &str, tag: Option<&str>) -> Pointer {
        Pointer {
            sequence: seq,
            section: section.into(),
            tag: tag.map(str::to_owned),
        }
    }

    #[test]
    fn the_cds_sample_pointers_are_reproduced() {
        // TT_IM116a's DMSREJ: the third classification of item 1, its type
        // code (337) and its ID (145).
        let classification =
            "/MetaData/Declaration/GoodsShipment/GovernmentAgencyGoodsItem/Commodity/Classification[3]";
        for (element, tag) in [("IdentificationTypeCode", "337"), ("ID", "145")] {
            let got = pointers(&format!("{classification}/{element}")).unwrap();
            assert_eq!(
                got,
                vec![
                    p(None, "42A", None),
                    p(None, "67A", None),
                    p(Some(1), "68A", None),
                    p(None, "23A", None),
                    p(Some(3), "21A", Some(tag)),
                ]
            );
        }
    }

    #[test]
    fn header_elements_dates_and_attributes() {
        assert_eq!(
            pointers("/MetaData/Declaration/FunctionalReferenceID").unwrap(),
            vec![p(None, "42A", Some("D026"))]
        );
        // The date's element, not its DateTimeString; an attribute is its element.
        let inv =
            pointers("/MetaData/Declaration/GoodsShipment/Invoice/IssueDateTime/DateTimeString")
                .unwrap();
        assert_eq!(
            inv.last().unwrap().tag.as_deref().map(|t| t.is_empty()),
            Some(false)
        );
        let amount = pointers("/MetaData/Declaration/InvoiceAmount/@currencyID").unwrap();
        assert_eq!(amount.len(), 1);
        assert!(amount[0].tag.is_some());
        // A missing value points at the class that should hold it.
        assert_eq!(
            pointers("/MetaData/Declaration/Declarant").unwrap(),
            vec![p(None, "42A", None), p(None, "57B", None)]
        );
    }

    #[test]
    fn outside_a_declaration_or_unknown_steps() {
        assert_eq!(pointers("/"), None);
        assert_eq!(pointers("/MetaData/WCOTypeName"), None);
        // An element the schema does not declare ends at its parent.
        assert_eq!(
            pointers("/MetaData/Declaration/GoodsShipment/Nonsense/Deeper").unwrap(),
            vec![p(None, "42A", None), p(None, "67A", None)]
        );
        // Inside HMRC's submit wrapper.
        assert_eq!(
            pointers("/submitDeclarationRequest/MetaData/Declaration/GoodsShipment").unwrap(),
            vec![p(None, "42A", None), p(None, "67A", None)]
        );
    }

    #[test]
    fn every_declared_element_has_a_wco_id() {
        fn walk(n: &Node, path: &str, missing: &mut Vec<String>) {
            for (name, c) in &n.children {
                let here = format!("{path}/{name}");
                if c.wco_id.is_none() {
                    missing.push(here.clone());
                }
                walk(c, &here, missing);
            }
        }
        let mut missing = Vec::new();
        walk(tree(), "", &mut missing);
        let total = count(tree());
        assert!(total > 400, "{total}");
        assert!(missing.is_empty(), "{missing:?}");
    }

    #[test]
    fn cds_amendment_pointers_resolve_to_elements() {
        // TT_IM002b: the first item's item price.
        let chain = vec![
            p(Some(1), "42A", None),
            p(Some(1), "67A", None),
            p(Some(1), "68A", None),
            p(Some(1), "23A", None),
            p(Some(1), "79A", Some("112")),
        ];
        let names: Vec<(String, Option<u32>)> = resolve(&chain)
            .unwrap()
            .into_iter()
            .map(|s| (s.name, s.sequence))
            .collect();
        assert_eq!(
            names,
            vec![
                ("Declaration".to_owned(), None),
                ("GoodsShipment".to_owned(), None),
                ("GovernmentAgencyGoodsItem".to_owned(), Some(1)),
                ("Commodity".to_owned(), None),
                ("InvoiceLine".to_owned(), None),
                ("ItemChargeAmount".to_owned(), None),
            ]
        );
        // TT_IM002c: the exporter's name and the header package count.
        let exporter =
            resolve(&[p(Some(1), "42A", None), p(Some(2), "57A", Some("R031"))]).unwrap();
        assert_eq!(exporter[1].name, "Exporter");
        assert_eq!(exporter[1].sequence, None);
        assert_eq!(exporter[2].name, "Name");
        let total = resolve(&[p(Some(1), "42A", Some("146"))]).unwrap();
        assert_eq!(total[1].name, "TotalPackageQuantity");
        // Every pointer made from an element's XPath resolves back to it.
        let xpath = "/MetaData/Declaration/GoodsShipment/GovernmentAgencyGoodsItem[2]/Commodity/GoodsMeasure/NetNetWeightMeasure";
        let back = resolve(&pointers(xpath).unwrap()).unwrap();
        let names: Vec<&str> = back.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Declaration",
                "GoodsShipment",
                "GovernmentAgencyGoodsItem",
                "Commodity",
                "GoodsMeasure",
                "NetNetWeightMeasure"
            ]
        );
        assert_eq!(back[2].sequence, Some(2));
    }

    #[test]
    fn pointers_that_name_nothing_say_where() {
        assert_eq!(resolve(&[p(None, "67A", None)]), Err(0));
        assert_eq!(
            resolve(&[p(None, "42A", None), p(None, "99Z", None)]),
            Err(1)
        );
        // 68A is not a class of the declaration itself, only of GoodsShipment.
        assert_eq!(
            resolve(&[p(None, "42A", None), p(Some(1), "68A", None)]),
            Err(1)
        );
        // A tag that is no data element of its class; a tag before the last step.
        assert_eq!(resolve(&[p(None, "42A", Some("ZZZ9"))]), Err(0));
        assert_eq!(
            resolve(&[p(None, "42A", Some("146")), p(None, "67A", None)]),
            Err(0)
        );
    }

    fn count(n: &Node) -> usize {
        n.children.values().map(|c| 1 + count(c)).sum()
    }
}
