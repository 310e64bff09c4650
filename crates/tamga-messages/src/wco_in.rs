//! WCO DEC-DMS XML → tamga's declaration.
//!
//! The element tree (see [`crate::xml`]) is mapped into tamga's wire JSON,
//! the document `POST /api/v1/declarations` takes, element by element (the
//! table is in `docs/messages.md`). Values are carried as written where
//! tamga's own control checks their format, so control reports the problem
//! with its rule code and the XPath of the element (through
//! [`Mapped::sources`]); only conversions between the two vocabularies
//! (transport mode digits, representation status, dates, units) are
//! checked here (`WCO-VALUE`, `WCO-UNIT`). Where the message gives one
//! value per goods item and tamga holds one per declaration (procedure,
//! additional procedures, dispatch and destination country), the items must
//! agree (`WCO-CONFLICT`).
//!
//! Every element and attribute tamga does not model is listed in
//! [`Mapped::not_used`]: it is kept in the stored original, never dropped.

use serde::Serialize;
use serde_json::{json, Value};

use crate::error::MessageError;
use crate::json_doc::JsonDoc;
use crate::xml::Element;

/// The DEC-DMS namespace of `Declaration`.
pub const DEC_NS: &str = "urn:wco:datamodel:WCO:DEC-DMS:2";
/// The namespace of the DEC-DMS data types (`DateTimeString`).
pub const DS_NS: &str = "urn:wco:datamodel:WCO:Declaration_DS:DMS:2";
/// The namespace of the `MetaData` envelope.
pub const MD_NS: &str = "urn:wco:datamodel:WCO:DocumentMetaData-DMS:2";

/// What the message asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum MessageKind {
    /// Function code 9: an original declaration.
    #[serde(rename = "lodgement")]
    Lodgement,
    /// Function code 13, type COR: an amendment of the declaration `mrn`;
    /// the document holds only the elements the message carries.
    #[serde(rename = "amendment", rename_all = "camelCase")]
    Amendment {
        mrn: Option<String>,
        /// `Amendment` elements: the amendment type
        /// (`ChangeReasonCode`) and what it points at.
        changes: Vec<Change>,
        statements: Vec<Statement>,
    },
    /// Function code 13, type INV: invalidation (cancellation) of `mrn`.
    #[serde(rename = "cancellation", rename_all = "camelCase")]
    Cancellation {
        mrn: Option<String>,
        changes: Vec<Change>,
        statements: Vec<Statement>,
    },
    /// Function code 13, type GPR: goods presentation for `mrn`.
    #[serde(rename = "goodsPresentation")]
    GoodsPresentation { mrn: Option<String> },
}

/// A free-text reason of an amendment or cancellation (header
/// `AdditionalInformation`) with the pointers to what it changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Statement {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub type_code: Option<String>,
    /// `Pointer` steps: (sequence, document section, tag).
    pub pointers: Vec<(Option<String>, Option<String>, Option<String>)>,
}

/// One `Amendment` element of an amendment or cancellation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<String>,
    /// `Pointer` steps: (sequence, document section, tag).
    pub pointers: Vec<(Option<String>, Option<String>, Option<String>)>,
}

/// The `MetaData` envelope.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_model_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub type_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub responsible_country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub responsible_agency: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customization: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customization_version: Option<String>,
}

/// A mapped message.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Mapped {
    #[serde(flatten)]
    pub kind: MessageKind,
    pub envelope: Envelope,
    /// `FunctionCode` and `TypeCode` as written.
    pub function_code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub type_code: Option<String>,
    /// tamga's wire JSON of the declaration (complete for a lodgement
    /// when the message carries everything tamga needs; control says).
    pub document: Value,
    /// JSON pointer → XPath of the element each value came from.
    #[serde(skip)]
    pub sources: std::collections::BTreeMap<String, String>,
    /// Every element (subtree) and attribute tamga does not model.
    pub not_used: Vec<String>,
    /// Elements in the message.
    pub elements: usize,
}

/// The message inside HMRC's MDG submission wrapper
/// (`submitDeclarationRequest/requestDetail/MetaData`, as some CDS samples
/// are stored), or the root itself. The wrapper's own elements
/// (`requestCommon`: regime, receipt date, client and party ids) are not
/// used and so listed.
pub fn unwrap<'a, 'm>(root: &'a Element<'m>) -> &'a Element<'m> {
    if root.name == "submitDeclarationRequest" {
        if let Some(detail) = root.child("requestDetail") {
            if let Some(inner) = detail.children.iter().find(|c| c.name == "MetaData") {
                root.mark_used();
                detail.mark_used();
                return inner;
            }
        }
    }
    root
}

/// Whether the tree is a DEC-DMS declaration at all (before its schema is
/// checked): `Declaration` in the DEC-DMS namespace, alone or in a
/// `MetaData` envelope whose `WCOTypeName` (if any) is `DEC`.
pub fn is_declaration(root: &Element) -> Result<(), MessageError> {
    let ok = match (root.name, root.ns.as_deref()) {
        ("MetaData", Some(MD_NS)) => {
            let ty = root.child("WCOTypeName").map(|t| t.text.trim());
            ty.is_none_or(|t| t == "DEC")
                && root
                    .children
                    .iter()
                    .any(|c| c.name == "Declaration" && c.ns.as_deref() == Some(DEC_NS))
        }
        ("Declaration", Some(DEC_NS)) => true,
        _ => false,
    };
    let claims_dec = root
        .children
        .iter()
        .any(|c| c.name.ends_with("WCOTypeName") && c.text.trim() == "DEC");
    if ok {
        Ok(())
    } else if claims_dec {
        Err(MessageError::new(
            "WCO-NAMESPACE",
            root.path.clone(),
            format!(
                "the message says it is a declaration (WCOTypeName DEC) but its root {} is in {:?}: a DEC-DMS declaration is in {DEC_NS} within a MetaData envelope in {MD_NS}",
                root.name,
                root.ns.as_deref().unwrap_or("no namespace")
            ),
        ))
    } else {
        Err(MessageError::new(
            "WCO-NOT-DECLARATION",
            root.path.clone(),
            format!(
                "the message is {} in {:?}, not a WCO DEC-DMS Declaration (in {DEC_NS}, alone or in a MetaData envelope of type DEC)",
                root.name,
                root.ns.as_deref().unwrap_or("no namespace")
            ),
        ))
    }
}

/// Maps a parsed DEC-DMS message. Every error at once, or the mapping.
pub fn map(outer: &Element) -> Result<Mapped, Vec<MessageError>> {
    map_with(outer, true)
}

/// [`map`] without [`Mapped::sources`] (left empty): for a reader that
/// needs them only when something is wrong with the declaration.
pub fn map_untracked(outer: &Element) -> Result<Mapped, Vec<MessageError>> {
    map_with(outer, false)
}

fn map_with(outer: &Element, track: bool) -> Result<Mapped, Vec<MessageError>> {
    let root = unwrap(outer);
    let mut m = Mapper {
        doc: JsonDoc::tracking(track),
        errors: Vec::new(),
    };
    let mut envelope = Envelope::default();
    let declaration = match (root.name, root.ns.as_deref()) {
        ("MetaData", Some(MD_NS)) => {
            root.mark_used();
            envelope = Envelope {
                data_model_version: text(root, "WCODataModelVersionCode"),
                type_name: text(root, "WCOTypeName"),
                responsible_country: text(root, "ResponsibleCountryCode"),
                responsible_agency: text(root, "ResponsibleAgencyName"),
                customization: text(root, "AgencyAssignedCustomizationCode"),
                customization_version: text(root, "AgencyAssignedCustomizationVersionCode"),
            };
            if let Some(t) = envelope.type_name.as_deref().filter(|t| *t != "DEC") {
                return Err(vec![MessageError::new(
                    "WCO-NOT-DECLARATION",
                    format!("{}/WCOTypeName", root.path),
                    format!("WCOTypeName is {t:?}; a declaration is DEC"),
                )]);
            }
            root.children
                .iter()
                .find(|c| c.name == "Declaration" && c.ns.as_deref() == Some(DEC_NS))
        }
        ("Declaration", Some(DEC_NS)) => Some(root),
        _ => None,
    };
    let Some(d) = declaration else {
        return Err(vec![MessageError::new(
            "WCO-NOT-DECLARATION",
            root.path.clone(),
            format!(
                "the message is {} in {:?}, not a WCO DEC-DMS Declaration (in {DEC_NS}, alone or in MetaData)",
                root.name,
                root.ns.as_deref().unwrap_or("no namespace")
            ),
        )]);
    };
    d.mark_used();
    m.doc.source("", d);
    let function_code = text(d, "FunctionCode").unwrap_or_default();
    let type_code = text(d, "TypeCode");
    let mrn = text(d, "ID");
    let kind = match (function_code.as_str(), type_code.as_deref()) {
        ("9", _) => MessageKind::Lodgement,
        ("13", Some("COR")) => MessageKind::Amendment {
            mrn,
            changes: changes(d),
            statements: statements(d),
        },
        ("13", Some("INV")) => MessageKind::Cancellation {
            mrn,
            changes: changes(d),
            statements: statements(d),
        },
        ("13", Some("GPR")) => MessageKind::GoodsPresentation { mrn },
        (f, t) => {
            return Err(vec![MessageError::new(
                "WCO-FUNCTION-CODE",
                format!("{}/FunctionCode", d.path),
                format!(
                    "function code {f:?} with type code {:?}: tamga takes 9 (lodgement) and 13 with COR (amendment), INV (cancellation) or GPR (goods presentation)",
                    t.unwrap_or("")
                ),
            )])
        }
    };
    if kind == MessageKind::Lodgement {
        if let Some(t) = d.child("TypeCode") {
            m.type_code(t);
        }
    }
    m.header(d);
    if let Some(gs) = d.child("GoodsShipment") {
        m.goods_shipment(gs, type_code.as_deref().unwrap_or(""));
    }
    if let Some(q) = d.child("GoodsItemQuantity") {
        // DE 1/9 is the count of items: tamga's items array says it.
        let items = d.child("GoodsShipment").map_or(0, |gs| {
            gs.children_named("GovernmentAgencyGoodsItem").count()
        });
        if q.take_text() != items.to_string() && kind == MessageKind::Lodgement {
            m.errors.push(MessageError::new(
                "WCO-CONFLICT",
                q.path.clone(),
                format!(
                    "{} goods items declared, {items} in the message",
                    q.text.trim()
                ),
            ));
        }
    }
    if !m.errors.is_empty() {
        return Err(m.errors);
    }
    let mut not_used = Vec::new();
    outer.unused(&mut not_used);
    let (document, sources) = m.doc.finish();
    Ok(Mapped {
        kind,
        envelope,
        function_code,
        type_code,
        document,
        sources,
        not_used,
        elements: outer.count(),
    })
}

fn text(e: &Element, name: &str) -> Option<String> {
    e.child(name).map(|c| c.take_text().to_owned())
}

fn pointers(e: &Element) -> Vec<(Option<String>, Option<String>, Option<String>)> {
    e.children_named("Pointer")
        .map(|p| {
            p.mark_used();
            (
                text(p, "SequenceNumeric"),
                text(p, "DocumentSectionCode"),
                text(p, "TagID"),
            )
        })
        .collect()
}

fn changes(d: &Element) -> Vec<Change> {
    d.children_named("Amendment")
        .map(|a| {
            a.mark_used();
            Change {
                reason_code: text(a, "ChangeReasonCode"),
                pointers: pointers(a),
            }
        })
        .collect()
}

fn statements(d: &Element) -> Vec<Statement> {
    d.children_named("AdditionalInformation")
        .map(|a| {
            a.mark_used();
            Statement {
                code: text(a, "StatementCode"),
                description: text(a, "StatementDescription"),
                type_code: text(a, "StatementTypeCode"),
                pointers: pointers(a),
            }
        })
        .collect()
}

/// The header `AdditionalInformation` statement code tamga writes DE 4/15
/// (exchange rate date) under: DEC-DMS has no element of its own for it.
pub const EXCHANGE_RATE_DATE_STATEMENT: &str = "TAMGA415";

struct Mapper {
    doc: JsonDoc,
    errors: Vec<MessageError>,
}

impl Mapper {
    fn str(&mut self, pointer: &str, e: Option<&Element>) {
        if let Some(e) = e {
            self.doc.put(pointer, json!(e.take_text()), e);
        }
    }

    /// A whole number when it is one, else the text (control rejects it).
    fn int(&mut self, pointer: &str, e: Option<&Element>) {
        if let Some(e) = e {
            let t = e.take_text();
            let v = t.parse::<u32>().map_or_else(|_| json!(t), |n| json!(n));
            self.doc.put(pointer, v, e);
        }
    }

    /// A mass: in kilograms (`unitCode` absent or `KGM`).
    fn mass(&mut self, pointer: &str, e: Option<&Element>) {
        if let Some(e) = e {
            if let Some(unit) = e.attribute("unitCode") {
                if unit != "KGM" {
                    self.errors.push(MessageError::new(
                        "WCO-UNIT",
                        format!("{}/@unitCode", e.path),
                        format!("mass in {unit:?}; tamga takes kilograms (KGM)"),
                    ));
                }
            }
            self.str(pointer, Some(e));
        }
    }

    /// An amount: its `currencyID` must be the invoice currency.
    fn amount(&mut self, pointer: &str, e: Option<&Element>) {
        if let Some(e) = e {
            if let Some(cur) = e.attribute("currencyID") {
                match self.doc.get("/invoice/currency").and_then(Value::as_str) {
                    Some(inv) if inv != cur => self.errors.push(MessageError::new(
                        "WCO-CONFLICT",
                        format!("{}/@currencyID", e.path),
                        format!("amount in {cur}, the invoice is in {inv}: tamga holds item amounts in the invoice currency"),
                    )),
                    Some(_) => {}
                    None => self.doc.put("/invoice/currency", json!(cur), e),
                }
            }
            self.str(pointer, Some(e));
        }
    }

    /// A `DateTimeString` (format 102 `CCYYMMDD` or 304 `CCYYMMDDHHMMSS`
    /// and zone) as tamga's `YYYY-MM-DD`; anything else as written, for
    /// control to reject with its pointer.
    fn date(&mut self, pointer: &str, e: Option<&Element>) {
        let Some(s) = e.and_then(|e| e.child("DateTimeString")) else {
            return;
        };
        let format = s.attribute("formatCode").unwrap_or("102").to_owned();
        let t = s.take_text();
        let ok = (format == "102" && t.len() == 8 || format == "304" && t.len() >= 14)
            && t.bytes().take(8).all(|b| b.is_ascii_digit());
        let v = if ok {
            format!("{}-{}-{}", &t[..4], &t[4..6], &t[6..8])
        } else {
            t.to_owned()
        };
        self.doc.put(pointer, json!(v), s);
    }

    /// A UN/ECE Rec. 19 mode digit as tamga's mode name; a code tamga has
    /// no mode for as written (control rejects it).
    fn mode(&mut self, pointer: &str, e: Option<&Element>) {
        let Some(e) = e else { return };
        let t = e.take_text();
        let mode = tamga_core::declaration::TransportMode::ALL
            .into_iter()
            .find(|m| m.code().to_string() == t);
        match mode {
            Some(m) => self.doc.put(pointer, json!(m.as_str()), e),
            None => self.doc.put(pointer, json!(t), e),
        }
    }

    fn type_code(&mut self, t: &Element) {
        let code = t.take_text();
        if code.len() == 3 && code.is_ascii() {
            self.doc.put("/type", json!(&code[..2]), t);
            let additional = match &code[2..] {
                "A" => "standard",
                "B" | "C" => "simplified",
                "D" => "prelodged",
                other => other,
            };
            self.doc.put("/additionalType", json!(additional), t);
        } else {
            self.doc.put("/type", json!(code), t);
        }
    }

    fn party(&mut self, pointer: &str, e: Option<&Element>) {
        let Some(e) = e else { return };
        self.doc.source(pointer, e);
        self.str(&format!("{pointer}/id"), e.child("ID"));
        self.str(&format!("{pointer}/name"), e.child("Name"));
        if let Some(a) = e.child("Address") {
            let p = format!("{pointer}/address");
            self.doc.source(&p, a);
            self.str(&format!("{p}/street"), a.child("Line"));
            self.str(&format!("{p}/city"), a.child("CityName"));
            self.str(&format!("{p}/postcode"), a.child("PostcodeID"));
            self.str(&format!("{p}/country"), a.child("CountryCode"));
        }
    }

    fn header(&mut self, d: &Element) {
        self.str("/lrn", d.child("FunctionalReferenceID"));
        self.str("/declarationOffice", d.child("DeclarationOfficeID"));
        self.amount("/invoice/amount", d.child("InvoiceAmount"));
        self.mass("/totals/grossMassKg", d.child("TotalGrossMassMeasure"));
        self.int("/totals/packages", d.child("TotalPackageQuantity"));
        if let Some(a) = d.child("Agent") {
            self.doc.source("/representative", a);
            self.str("/representative/id", a.child("ID"));
            self.str("/representative/name", a.child("Name"));
            if let Some(f) = a.child("FunctionCode") {
                let kind = match f.take_text() {
                    "2" => "direct",
                    "3" => "indirect",
                    other => other,
                };
                self.doc.put("/representative/kind", json!(kind), f);
            }
        }
        if let Some(b) = d.child("BorderTransportMeans") {
            self.doc.source("/transport", b);
            self.mode("/transport/borderMode", b.child("ModeCode"));
            self.str("/transport/borderMeansId", b.child("ID"));
            self.str(
                "/transport/borderMeansNationality",
                b.child("RegistrationNationalityCode"),
            );
        }
        self.party("/declarant", d.child("Declarant"));
        self.party("/exporter", d.child("Exporter"));
        self.str(
            "/exitOffice",
            d.child("ExitOffice").and_then(|o| o.child("ID")),
        );
        self.str(
            "/presentationOffice",
            d.child("PresentationOffice").and_then(|o| o.child("ID")),
        );
        for a in d.children_named("AdditionalInformation") {
            if a.child("StatementCode").map(|c| c.text.trim()) == Some(EXCHANGE_RATE_DATE_STATEMENT)
            {
                text(a, "StatementCode");
                self.str("/exchangeRateDate", a.child("StatementDescription"));
            }
        }
    }

    fn goods_shipment(&mut self, gs: &Element, type_code: &str) {
        if let Some(c) = gs.child("Consignment") {
            if let Some(code) = c.child("ContainerCode") {
                let v = match code.take_text() {
                    "1" => json!(true),
                    "0" => json!(false),
                    other => json!(other),
                };
                self.doc.put("/transport/container", v, code);
            }
            let inland = if type_code.starts_with("IM") {
                "ArrivalTransportMeans"
            } else {
                "DepartureTransportMeans"
            };
            self.mode(
                "/transport/inlandMode",
                c.child(inland).and_then(|m| m.child("ModeCode")),
            );
        }
        self.str(
            "/destinationCountry",
            gs.child("Destination").and_then(|x| x.child("CountryCode")),
        );
        self.str(
            "/dispatchCountry",
            gs.child("ExportCountry").and_then(|x| x.child("ID")),
        );
        self.party("/importer", gs.child("Importer"));
        self.party("/seller", gs.child("Seller"));
        if let Some(inv) = gs.child("Invoice") {
            self.date("/invoice/date", inv.child("IssueDateTime"));
        }
        let mut n = 0;
        for p in gs.children_named("PreviousDocument") {
            let cat = p.child("CategoryCode").map(|c| c.text.trim());
            let ty = p.child("TypeCode").map(|c| c.text.trim()).unwrap_or("");
            if cat == Some("N") && ty.starts_with('7') {
                let base = format!("/transportDocuments/{n}");
                self.doc.source(&base, p);
                let (c, t) = (p.child("CategoryCode"), p.child("TypeCode"));
                if let (Some(c), Some(t)) = (c, t) {
                    let code = format!("{}{}", c.take_text(), t.take_text());
                    self.doc.put(&format!("{base}/type"), json!(code), t);
                }
                self.str(&format!("{base}/reference"), p.child("ID"));
                n += 1;
            }
        }
        if let Some(t) = gs.child("TradeTerms") {
            self.doc.source("/deliveryTerms", t);
            self.str("/deliveryTerms/incoterm", t.child("ConditionCode"));
            let place = t.child("LocationName").or_else(|| t.child("LocationID"));
            self.str("/deliveryTerms/place", place);
        }
        for (i, item) in gs.children_named("GovernmentAgencyGoodsItem").enumerate() {
            self.item(i, item, i == 0);
        }
    }

    /// A header value given per item: the first item sets it, the others
    /// must agree.
    fn per_item(&mut self, pointer: &str, e: Option<&Element>) {
        let Some(e) = e else { return };
        let t = e.take_text();
        match self.doc.get(pointer).and_then(Value::as_str) {
            None => self.doc.put(pointer, json!(t), e),
            Some(v) if v == t => {}
            Some(v) => {
                let v = v.to_owned();
                self.errors.push(MessageError::new(
                    "WCO-CONFLICT",
                    e.path.clone(),
                    format!("{t:?} here, {v:?} elsewhere: tamga holds one value per declaration ({pointer})"),
                ));
            }
        }
    }

    fn item(&mut self, i: usize, item: &Element, first: bool) {
        let base = format!("/items/{i}");
        self.doc.source(&base, item);
        self.doc.enter(&base);
        self.int(&format!("{base}/sequence"), item.child("SequenceNumeric"));
        self.amount(
            &format!("{base}/customsValue"),
            item.child("CustomsValueAmount"),
        );
        if let Some(c) = item.child("Commodity") {
            self.str(&format!("{base}/description"), c.child("Description"));
            let class = |code: &str| {
                c.children_named("Classification").find(|k| {
                    k.child("IdentificationTypeCode").map(|t| t.text.trim()) == Some(code)
                })
            };
            if let Some(tsp) = class("TSP") {
                let mut hs = text(tsp, "ID").unwrap_or_default();
                text(tsp, "IdentificationTypeCode");
                if let Some(trc) = class("TRC") {
                    hs.push_str(&text(trc, "ID").unwrap_or_default());
                    text(trc, "IdentificationTypeCode");
                }
                self.doc.put(&format!("{base}/hsCode"), json!(hs), tsp);
            }
            if let Some(g) = c.child("GoodsMeasure") {
                self.mass(&format!("{base}/grossMassKg"), g.child("GrossMassMeasure"));
                self.mass(&format!("{base}/netMassKg"), g.child("NetNetWeightMeasure"));
                if let Some(q) = g.child("TariffQuantity") {
                    q.attribute("unitCode");
                    self.str(&format!("{base}/supplementaryUnits"), Some(q));
                }
            }
            self.amount(
                &format!("{base}/itemPrice"),
                c.child("InvoiceLine")
                    .and_then(|l| l.child("ItemChargeAmount")),
            );
        }
        self.int(
            &format!("{base}/valuationMethod"),
            item.child("CustomsValuation")
                .and_then(|v| v.child("MethodCode")),
        );
        for o in item.children_named("Origin") {
            let ty = o.child("TypeCode").map(|t| t.text.trim());
            let field = match ty {
                None | Some("1") => "origin",
                Some("2") => "preferentialOrigin",
                _ => continue,
            };
            if let Some(t) = o.child("TypeCode") {
                t.take_text();
            }
            self.str(&format!("{base}/{field}"), o.child("CountryCode"));
        }
        if let Some(p) = item.child("Packaging") {
            let pb = format!("{base}/packages");
            self.doc.source(&pb, p);
            text(p, "SequenceNumeric");
            self.str(&format!("{pb}/kind"), p.child("TypeCode"));
            self.int(&format!("{pb}/count"), p.child("QuantityQuantity"));
            self.str(&format!("{pb}/marks"), p.child("MarksNumbersID"));
        }
        for (n, a) in item.children_named("AdditionalDocument").enumerate() {
            let db = format!("{base}/documents/{n}");
            self.doc.source(&db, a);
            let code = format!(
                "{}{}",
                text(a, "CategoryCode").unwrap_or_default(),
                text(a, "TypeCode").unwrap_or_default()
            );
            self.doc.put(&format!("{db}/type"), json!(code), a);
            self.str(&format!("{db}/reference"), a.child("ID"));
            self.date(&format!("{db}/issuedOn"), a.child("EffectiveDateTime"));
        }
        self.per_item(
            "/dispatchCountry",
            item.child("ExportCountry").and_then(|x| x.child("ID")),
        );
        self.per_item(
            "/destinationCountry",
            item.child("Destination")
                .and_then(|x| x.child("CountryCode")),
        );
        let mut additional = Vec::new();
        for g in item.children_named("GovernmentProcedure") {
            let Some(cur) = g.child("CurrentCode") else {
                continue;
            };
            let c = cur.text.trim();
            if c.len() == 2 {
                let code = format!("{}{}", c, text(g, "PreviousCode").unwrap_or_default());
                cur.take_text();
                let holder = g.child("PreviousCode").unwrap_or(cur);
                match self.doc.get("/procedure").and_then(Value::as_str) {
                    None => self.doc.put("/procedure", json!(code), holder),
                    Some(v) if v == code => {}
                    Some(v) => {
                        let v = v.to_owned();
                        self.errors.push(MessageError::new(
                            "WCO-CONFLICT",
                            g.path.clone(),
                            format!("procedure {code} here, {v} on an earlier item: tamga holds one procedure per declaration"),
                        ));
                    }
                }
            } else {
                additional.push((cur.take_text().to_owned(), cur));
            }
        }
        if first {
            for (k, (code, e)) in additional.iter().enumerate() {
                self.doc
                    .put(&format!("/additionalProcedures/{k}"), json!(code), e);
            }
        } else {
            let header: Vec<&str> = self
                .doc
                .get("/additionalProcedures")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let mine: Vec<&str> = additional.iter().map(|(c, _)| c.as_str()).collect();
            if header != mine {
                let msg = format!(
                    "additional procedures {mine:?} here, {header:?} on the first item: tamga holds one list per declaration"
                );
                self.errors
                    .push(MessageError::new("WCO-CONFLICT", item.path.clone(), msg));
            }
        }
        self.doc.leave();
    }
}
