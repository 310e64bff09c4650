//! WCO DMS response XML, as the CDS sends its notifications: a `MetaData`
//! envelope (`WCOTypeName` RES) around one or more `Response`s, each with
//! its function code, its own reference, the time it was issued, the
//! errors (validation code, description, pointer), the declaration it is
//! about (LRN, MRN, version, acceptance, rejection or cancellation time)
//! and, for duties, the amounts per goods item and the payment.
//!
//! Elements are written in the schema's order, in its namespaces
//! (`DocumentMetaData-DMS:2` for the envelope, `RES-DMS:2` for the
//! response, `Response_DS:DMS:2` for `DateTimeString`), and every document
//! [`write`] makes is valid against the shipped DMS response schema
//! (`schemas/notification`, HMRC's, Apache-2.0; see [`schema`]), which
//! the tests check for every kind.
//!
//! What each of tamga's notification kinds is written as is
//! [`crate::dms_notice`]'s; this module only writes.

use std::fmt::Write as _;
use std::sync::OnceLock;

use rust_decimal::Decimal;
use time::OffsetDateTime;

use crate::dms_pointer::Pointer;
use crate::schema::Schema;
use crate::xml_out::XmlWriter;

/// The envelope's namespace.
pub const MD_NS: &str = "urn:wco:datamodel:WCO:DocumentMetaData-DMS:2";
/// The response's namespace.
pub const RES_NS: &str = "urn:wco:datamodel:WCO:RES-DMS:2";
/// The response data types' namespace (`DateTimeString`).
pub const RES_DS_NS: &str = "urn:wco:datamodel:WCO:Response_DS:DMS:2";

/// Most characters of a `Description` or `StatementDescription`.
pub const MAX_TEXT: usize = 512;

/// The DMS notification types tamga writes (the CDS's function codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum FunctionCode {
    /// 01 DMSACC: accepted, with its MRN.
    Accepted,
    /// 03 DMSREJ: rejected, every error with its validation code.
    Rejected,
    /// 05 DMSCTL: goods under control (physical inspection).
    UnderControl,
    /// 06 DMSDOC: documents requested (documentary check).
    DocumentsRequested,
    /// 09 DMSCLE: cleared, the goods released.
    Cleared,
    /// 10 DMSINV: invalidated.
    Invalidated,
    /// 11 DMSREQ: an amendment request accepted.
    AmendmentAccepted,
    /// 13 DMSTAX: duties calculated.
    DutiesCalculated,
    /// 14 DMSCPI: the duties are not secured, payment awaited.
    AwaitingPayment,
}

impl FunctionCode {
    /// The two-digit code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Accepted => "01",
            Self::Rejected => "03",
            Self::UnderControl => "05",
            Self::DocumentsRequested => "06",
            Self::Cleared => "09",
            Self::Invalidated => "10",
            Self::AmendmentAccepted => "11",
            Self::DutiesCalculated => "13",
            Self::AwaitingPayment => "14",
        }
    }

    /// The CDS name of the notification (`DMSACC` …).
    pub fn name(self) -> &'static str {
        match self {
            Self::Accepted => "DMSACC",
            Self::Rejected => "DMSREJ",
            Self::UnderControl => "DMSCTL",
            Self::DocumentsRequested => "DMSDOC",
            Self::Cleared => "DMSCLE",
            Self::Invalidated => "DMSINV",
            Self::AmendmentAccepted => "DMSREQ",
            Self::DutiesCalculated => "DMSTAX",
            Self::AwaitingPayment => "DMSCPI",
        }
    }
}

/// A statement (`AdditionalInformation`): a reason, a remark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub code: Option<String>,
    /// At most [`MAX_TEXT`] characters are written.
    pub description: Option<String>,
    pub type_code: Option<String>,
}

/// An error or a warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DmsError {
    /// The CDS validation code ([`crate::dms_codes::validation_code`]).
    pub validation_code: String,
    /// tamga's code and message (at most [`MAX_TEXT`] characters written).
    pub description: String,
    /// Where it is; empty when it concerns no element.
    pub pointers: Vec<Pointer>,
}

/// One charge on a goods item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    /// The CDS tax type (`A00` customs duty, `B00` VAT …).
    pub type_code: String,
    /// DE 4/17 preference (`100`, `300`), when tamga knows it.
    pub regime: Option<String>,
    /// The ad valorem base (national currency).
    pub base_amount: Option<Decimal>,
    /// The specific base: quantity and unit.
    pub base_quantity: Option<(Decimal, String)>,
    /// The rate: percent for an ad valorem charge, the amount per unit for
    /// a specific one; absent for a compound expression.
    pub rate: Option<Decimal>,
    /// The amount assessed.
    pub assessed: Decimal,
    /// The amount to pay.
    pub payable: Decimal,
}

/// The duties of one goods item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemDuties {
    pub sequence: u32,
    pub charges: Vec<Charge>,
}

/// The payment, at declaration level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    /// The reference to quote on the transfer.
    pub reference: Option<String>,
    /// The total assessed.
    pub assessed: Option<Decimal>,
    /// The amount due.
    pub payable: Option<Decimal>,
}

/// The declaration a response is about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeclarationRef {
    /// DE 2/5.
    pub lrn: Option<String>,
    /// The MRN.
    pub mrn: Option<String>,
    pub version: Option<u32>,
    pub accepted_at: Option<OffsetDateTime>,
    pub rejected_at: Option<OffsetDateTime>,
    pub cancelled_at: Option<OffsetDateTime>,
    /// The currency of the amounts below.
    pub currency: Option<String>,
    pub payment: Option<Payment>,
    pub items: Vec<ItemDuties>,
}

/// One DMS response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DmsResponse {
    pub function: FunctionCode,
    /// The response's own reference (at most 35 characters).
    pub reference: String,
    pub issued_at: OffsetDateTime,
    pub statements: Vec<Statement>,
    pub errors: Vec<DmsError>,
    pub declaration: DeclarationRef,
}

/// The DMS response schema set (envelope and response), compiled once.
pub fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        Schema::load(&[
            (
                "DocumentMetaData_2_DMS.xsd",
                include_str!("../schemas/notification/DocumentMetaData_2_DMS.xsd"),
            ),
            (
                "WCO_RES_2_DMS.xsd",
                include_str!("../schemas/notification/WCO_RES_2_DMS.xsd"),
            ),
            (
                "WCO_DS/WCO_RES_DS_2_DMS.xsd",
                include_str!("../schemas/notification/WCO_DS/WCO_RES_DS_2_DMS.xsd"),
            ),
            (
                "WCO_DS/WCO_METADATA_2_DMS.xsd",
                include_str!("../schemas/notification/WCO_DS/WCO_METADATA_2_DMS.xsd"),
            ),
            (
                "UNECE/UnqualifiedDataType_6_DMS.xsd",
                include_str!("../schemas/notification/UNECE/UnqualifiedDataType_6_DMS.xsd"),
            ),
            (
                "UNECE/ISO_ISO3AlphaCurrencyCode_2012-08-31.xsd",
                include_str!(
                    "../schemas/notification/UNECE/ISO_ISO3AlphaCurrencyCode_2012-08-31.xsd"
                ),
            ),
            (
                "UNECE/UNECE_AgencyIdentificationCode_D12B.xsd",
                include_str!(
                    "../schemas/notification/UNECE/UNECE_AgencyIdentificationCode_D12B.xsd"
                ),
            ),
        ])
        .expect("the shipped DMS response schemas compile")
    })
}

/// `YYYYMMDDhhmmssZ`, format 304, in UTC.
pub fn date_time_304(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// At most `max` characters of `s`.
fn clip(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// An amount as DMS writes it: at most 3 decimals (tamga's amounts are
/// rounded to the currency's minor unit already).
fn amount(d: Decimal) -> String {
    let mut d = d.round_dp(3);
    if d.scale() < 2 {
        d.rescale(2);
    }
    d.to_string()
}

impl XmlWriter {
    fn money(&mut self, name: &str, currency: Option<&str>, d: Decimal) {
        self.leaf_attr(name, currency.map(|c| ("currencyID", c)), &amount(d));
    }
    fn date_time(&mut self, name: &str, t: OffsetDateTime) {
        self.open(name);
        self.leaf_attr(
            "ds:DateTimeString",
            Some(("formatCode", "304")),
            &date_time_304(t),
        );
        self.close(name);
    }
    fn pointers(&mut self, pointers: &[Pointer]) {
        for p in pointers {
            self.open("Pointer");
            if let Some(s) = p.sequence {
                self.leaf("SequenceNumeric", &s.to_string());
            }
            self.leaf("DocumentSectionCode", &p.section);
            if let Some(t) = &p.tag {
                self.leaf("TagID", t);
            }
            self.close("Pointer");
        }
    }
}

/// The responses as one DMS document: the XML declaration, then the
/// `MetaData` envelope holding them in order.
pub fn write(responses: &[DmsResponse]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&write_element(responses, 0));
    out
}

/// The `MetaData` element alone (no XML declaration), indented `depth`
/// levels: for embedding in a list.
pub fn write_element(responses: &[DmsResponse], depth: usize) -> String {
    let mut w = XmlWriter::new(String::new(), depth, "  ");
    w.indent();
    let _ = writeln!(
        w.out,
        "<md:MetaData xmlns:md=\"{MD_NS}\" xmlns=\"{RES_NS}\" xmlns:ds=\"{RES_DS_NS}\">"
    );
    w.depth += 1;
    w.leaf("md:WCODataModelVersionCode", "3.6");
    w.leaf("md:WCOTypeName", "RES");
    for r in responses {
        response(&mut w, r);
    }
    w.depth -= 1;
    w.indent();
    w.out.push_str("</md:MetaData>\n");
    w.out
}

fn response(w: &mut XmlWriter, r: &DmsResponse) {
    w.open("Response");
    w.leaf("FunctionCode", r.function.code());
    w.leaf("FunctionalReferenceID", clip(&r.reference, 35));
    w.date_time("IssueDateTime", r.issued_at);
    for s in &r.statements {
        w.open("AdditionalInformation");
        if let Some(c) = &s.code {
            w.leaf("StatementCode", clip(c, 17));
        }
        if let Some(d) = &s.description {
            w.leaf("StatementDescription", clip(d, MAX_TEXT));
        }
        if let Some(t) = &s.type_code {
            w.leaf("StatementTypeCode", clip(t, 3));
        }
        w.close("AdditionalInformation");
    }
    for e in &r.errors {
        w.open("Error");
        w.leaf("Description", clip(&e.description, MAX_TEXT));
        w.leaf("ValidationCode", clip(&e.validation_code, 8));
        w.pointers(&e.pointers);
        w.close("Error");
    }
    declaration(w, &r.declaration);
    w.close("Response");
}

fn declaration(w: &mut XmlWriter, d: &DeclarationRef) {
    w.open("Declaration");
    if let Some(t) = d.accepted_at {
        w.date_time("AcceptanceDateTime", t);
    }
    if let Some(t) = d.cancelled_at {
        w.date_time("CancellationDateTime", t);
    }
    if let Some(lrn) = &d.lrn {
        w.leaf("FunctionalReferenceID", clip(lrn, 35));
    }
    if let Some(mrn) = &d.mrn {
        w.leaf("ID", clip(mrn, 70));
    }
    if let Some(t) = d.rejected_at {
        w.date_time("RejectionDateTime", t);
    }
    if let Some(v) = d.version {
        w.leaf("VersionID", &v.to_string());
    }
    let currency = d.currency.as_deref();
    if let Some(p) = &d.payment {
        w.open("DutyTaxFee");
        w.open("Payment");
        if let Some(r) = &p.reference {
            w.leaf("ReferenceID", clip(r, 35));
        }
        if let Some(a) = p.assessed {
            w.money("TaxAssessedAmount", currency, a);
        }
        if let Some(a) = p.payable {
            w.money("PaymentAmount", currency, a);
        }
        w.close("Payment");
        w.close("DutyTaxFee");
    }
    if !d.items.is_empty() {
        w.open("GoodsShipment");
        for item in &d.items {
            w.open("GovernmentAgencyGoodsItem");
            w.leaf("SequenceNumeric", &item.sequence.to_string());
            if !item.charges.is_empty() {
                w.open("Commodity");
                for c in &item.charges {
                    charge(w, currency, c);
                }
                w.close("Commodity");
            }
            w.close("GovernmentAgencyGoodsItem");
        }
        w.close("GoodsShipment");
    }
    w.close("Declaration");
}

fn charge(w: &mut XmlWriter, currency: Option<&str>, c: &Charge) {
    w.open("DutyTaxFee");
    if let Some(b) = c.base_amount {
        w.money("AdValoremTaxBaseAmount", currency, b);
    }
    if let Some(r) = &c.regime {
        w.leaf("DutyRegimeCode", clip(r, 3));
    }
    if let Some((q, unit)) = &c.base_quantity {
        let attr =
            (unit.chars().count() <= 5 && !unit.is_empty()).then_some(("unitCode", unit.as_str()));
        w.leaf_attr(
            "SpecificTaxBaseQuantity",
            attr,
            &q.round_dp(6).normalize().to_string(),
        );
    }
    if let Some(r) = c.rate {
        w.leaf("TaxRateNumeric", &r.normalize().to_string());
    }
    w.leaf("TypeCode", clip(&c.type_code, 3));
    w.open("Payment");
    w.money("TaxAssessedAmount", currency, c.assessed);
    w.money("PaymentAmount", currency, c.payable);
    w.close("Payment");
    w.close("DutyTaxFee");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::{self, Limits};
    use time::macros::datetime;

    pub(crate) fn valid(doc: &str) -> crate::xml::Element<'_> {
        let root = xml::parse(doc.as_bytes(), &Limits::default()).expect("well-formed");
        let errors = schema().validate(&root);
        assert!(errors.is_empty(), "{errors:?}\n{doc}");
        root
    }

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn base(function: FunctionCode) -> DmsResponse {
        DmsResponse {
            function,
            reference: "tamga-1".into(),
            issued_at: datetime!(2026-12-07 10:11:12 UTC),
            statements: Vec::new(),
            errors: Vec::new(),
            declaration: DeclarationRef {
                lrn: Some("LRN-1".into()),
                mrn: Some("26UZ00000000000017".into()),
                version: Some(1),
                ..Default::default()
            },
        }
    }

    #[test]
    fn the_shipped_schema_accepts_the_cds_samples_with_namespaces() {
        // A CDS DMSACC as published (TT_EX039a), namespaced.
        let sample = r#"<_2:MetaData xmlns:_2="urn:wco:datamodel:WCO:DocumentMetaData-DMS:2">
    <_2:WCODataModelVersionCode>3.6</_2:WCODataModelVersionCode>
    <_2:WCOTypeName>RES</_2:WCOTypeName>
    <_2:ResponsibleCountryCode/>
    <_2:ResponsibleAgencyName/>
    <_2:AgencyAssignedCustomizationCode/>
    <_2:AgencyAssignedCustomizationVersionCode/>
    <_2_1:Response xmlns:_2_1="urn:wco:datamodel:WCO:RES-DMS:2">
        <_2_1:FunctionCode>01</_2_1:FunctionCode>
        <_2_1:FunctionalReferenceID>0ea063cb553449ee9ce0a49303cfb361</_2_1:FunctionalReferenceID>
        <_2_1:IssueDateTime>
            <_2_2:DateTimeString formatCode="304" xmlns:_2_2="urn:wco:datamodel:WCO:Response_DS:DMS:2">20230526205509+01</_2_2:DateTimeString>
        </_2_1:IssueDateTime>
        <_2_1:Declaration>
            <_2_1:FunctionalReferenceID>4.1.0CDSP10284_TC02_18</_2_1:FunctionalReferenceID>
            <_2_1:ID>23GB5SCPZSPYDAUAA1</_2_1:ID>
            <_2_1:VersionID>2</_2_1:VersionID>
        </_2_1:Declaration>
    </_2_1:Response>
</_2:MetaData>"#;
        valid(sample);
        // And refuses what the schema forbids: a function code of letters,
        // a response without its Declaration.
        for bad in [
            sample.replace(">01<", ">AB<"),
            sample
                .replace("<_2_1:Declaration>", "<_2_1:Nope>")
                .replace("</_2_1:Declaration>", "</_2_1:Nope>"),
        ] {
            let root = xml::parse(bad.as_bytes(), &Limits::default()).unwrap();
            assert!(!schema().validate(&root).is_empty(), "{bad}");
        }
    }

    #[test]
    fn accepted_is_schema_valid_with_its_mrn() {
        let mut r = base(FunctionCode::Accepted);
        r.declaration.accepted_at = Some(datetime!(2026-12-07 10:11:00 UTC));
        let doc = write(&[r]);
        let root = valid(&doc);
        assert!(doc.contains("<FunctionCode>01</FunctionCode>"), "{doc}");
        assert!(doc.contains("<ID>26UZ00000000000017</ID>"));
        assert!(doc.contains("<FunctionalReferenceID>LRN-1</FunctionalReferenceID>"));
        assert!(doc.contains(
            r#"<ds:DateTimeString formatCode="304">20261207101100Z</ds:DateTimeString>"#
        ));
        assert_eq!(root.name, "MetaData");
    }

    #[test]
    fn rejected_carries_every_error_with_code_and_pointer() {
        let mut r = base(FunctionCode::Rejected);
        r.declaration.mrn = None;
        r.declaration.rejected_at = Some(datetime!(2026-12-07 10:11:12 UTC));
        r.errors = vec![
            DmsError {
                validation_code: "CDS10001".into(),
                description: "FLC-REQUIRED: declarant name is required".into(),
                pointers: crate::dms_pointer::pointers("/MetaData/Declaration/Declarant").unwrap(),
            },
            DmsError {
                validation_code: "CDS12056".into(),
                description: "x".repeat(2000),
                pointers: crate::dms_pointer::pointers(
                    "/MetaData/Declaration/GoodsShipment/GovernmentAgencyGoodsItem[2]/Commodity/Classification/ID",
                )
                .unwrap(),
            },
        ];
        let doc = write(&[r]);
        valid(&doc);
        assert_eq!(doc.matches("<Error>").count(), 2);
        assert!(doc.contains("<ValidationCode>CDS10001</ValidationCode>"));
        assert!(doc.contains("<DocumentSectionCode>57B</DocumentSectionCode>"));
        assert!(doc.contains("<SequenceNumeric>2</SequenceNumeric>\n"));
        assert!(doc.contains("<RejectionDateTime>"));
        assert!(!doc.contains(&"x".repeat(513)));
    }

    #[test]
    fn duties_per_item_with_payment_reference() {
        let mut r = base(FunctionCode::DutiesCalculated);
        r.declaration.currency = Some("UZS".into());
        r.declaration.payment = Some(Payment {
            reference: Some("RF45UZ123".into()),
            assessed: Some(d("1320.00")),
            payable: Some(d("1320.00")),
        });
        r.declaration.items = vec![ItemDuties {
            sequence: 1,
            charges: vec![
                Charge {
                    type_code: "A00".into(),
                    regime: Some("100".into()),
                    base_amount: Some(d("10000.00")),
                    base_quantity: None,
                    rate: Some(d("12")),
                    assessed: d("1200.00"),
                    payable: d("1200.00"),
                },
                Charge {
                    type_code: "A00".into(),
                    regime: None,
                    base_amount: None,
                    base_quantity: Some((d("40"), "KGM".into())),
                    rate: Some(d("3")),
                    assessed: d("120"),
                    payable: d("120"),
                },
            ],
        }];
        let doc = write(&[r]);
        valid(&doc);
        assert!(doc.contains("<ReferenceID>RF45UZ123</ReferenceID>"));
        assert!(doc.contains(
            r#"<AdValoremTaxBaseAmount currencyID="UZS">10000.00</AdValoremTaxBaseAmount>"#
        ));
        assert!(doc.contains("<TaxRateNumeric>12</TaxRateNumeric>"));
        assert!(
            doc.contains(r#"<SpecificTaxBaseQuantity unitCode="KGM">40</SpecificTaxBaseQuantity>"#)
        );
        assert!(doc.contains(r#"<TaxAssessedAmount currencyID="UZS">120.00</TaxAssessedAmount>"#));
        assert!(doc.contains("<TypeCode>A00</TypeCode>"));
    }

    #[test]
    fn statements_and_several_responses_in_one_envelope() {
        let mut inv = base(FunctionCode::Invalidated);
        inv.declaration.cancelled_at = Some(datetime!(2026-12-07 11:00:00 UTC));
        inv.statements.push(Statement {
            code: None,
            description: Some("withdrawn <by> the declarant & co".into()),
            type_code: Some("AFB".into()),
        });
        let doc = write(&[base(FunctionCode::Accepted), inv]);
        valid(&doc);
        assert_eq!(doc.matches("<Response>").count(), 2);
        assert!(doc.contains("withdrawn &lt;by&gt; the declarant &amp; co"));
        assert!(doc.contains("<CancellationDateTime>"));
    }

    #[test]
    fn every_function_code_is_written_valid() {
        for f in [
            FunctionCode::Accepted,
            FunctionCode::Rejected,
            FunctionCode::UnderControl,
            FunctionCode::DocumentsRequested,
            FunctionCode::Cleared,
            FunctionCode::Invalidated,
            FunctionCode::AmendmentAccepted,
            FunctionCode::DutiesCalculated,
            FunctionCode::AwaitingPayment,
        ] {
            let doc = write(&[base(f)]);
            valid(&doc);
            assert!(doc.contains(&format!("<FunctionCode>{}</FunctionCode>", f.code())));
        }
        // An empty declaration reference (a message that could not be read).
        let mut r = base(FunctionCode::Rejected);
        r.declaration = DeclarationRef::default();
        valid(&write(&[r]));
    }

    #[test]
    fn times_are_utc_format_304() {
        let t = datetime!(2026-01-02 03:04:05 +05:00);
        assert_eq!(date_time_304(t), "20260101220405Z");
    }
}
