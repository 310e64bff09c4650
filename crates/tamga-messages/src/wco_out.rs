//! tamga's declaration → WCO DEC-DMS XML (function code 9), in the
//! schema's element order, so that [`crate::wco_in`] reads back the same
//! declaration. A field DEC-DMS has no place for is refused
//! (`OUT-UNREPRESENTABLE`), never dropped.
//!
//! DE 4/15 (exchange rate date) has no DEC-DMS element; it is written as a
//! header `AdditionalInformation` with statement code
//! [`crate::wco_in::EXCHANGE_RATE_DATE_STATEMENT`].

use std::fmt::Write as _;

use tamga_core::declaration::{
    AdditionalType, Declaration, DocumentRef, Party, RepresentationKind,
};
use time::Date;

use crate::error::MessageError;
use crate::wco_in::{DEC_NS, DS_NS, EXCHANGE_RATE_DATE_STATEMENT, MD_NS};
use crate::xml_out::XmlWriter;

impl XmlWriter {
    fn date(&mut self, name: &str, d: Date) {
        self.open(name);
        let v = format!("{:04}{:02}{:02}", d.year(), u8::from(d.month()), d.day());
        self.leaf_attr("p1:DateTimeString", Some(("formatCode", "102")), &v);
        self.close(name);
    }
    fn party(&mut self, name: &str, p: &Party) {
        self.open(name);
        self.leaf("Name", &p.name);
        self.opt("ID", p.id.as_ref().map(|i| i.as_str()));
        if let Some(a) = &p.address {
            self.open("Address");
            self.leaf("CityName", &a.city);
            self.leaf("CountryCode", a.country.as_str());
            self.leaf("Line", &a.street);
            self.opt("PostcodeID", a.postcode.as_deref());
            self.close("Address");
        }
        self.close(name);
    }
}

/// Writes `d` as a DEC-DMS lodgement wrapped in its `MetaData` envelope.
pub fn write(d: &Declaration) -> Result<String, Vec<MessageError>> {
    let mut errors = Vec::new();
    for (i, t) in d.transport_documents.iter().enumerate() {
        if t.issued_on.is_some() {
            errors.push(MessageError::new(
                "OUT-UNREPRESENTABLE",
                format!("/transportDocuments/{i}/issuedOn"),
                "a transport document's date: DEC-DMS previous documents carry no date",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut w = XmlWriter::new(
        String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
        0,
        "\t",
    );
    let _ = writeln!(
        w.out,
        "<md:MetaData xmlns:md=\"{MD_NS}\" xmlns=\"{DEC_NS}\" xmlns:p1=\"{DS_NS}\">"
    );
    w.depth = 1;
    w.leaf("md:WCODataModelVersionCode", "3.6");
    w.leaf("md:WCOTypeName", "DEC");
    w.open("Declaration");
    w.leaf("FunctionCode", "9");
    w.leaf("FunctionalReferenceID", d.lrn.as_str());
    let additional = match d.additional_type {
        AdditionalType::Standard => "A",
        AdditionalType::Simplified => "C",
        AdditionalType::Prelodged => "D",
    };
    w.leaf(
        "TypeCode",
        &format!("{}{additional}", d.declaration_type.as_str()),
    );
    w.leaf("GoodsItemQuantity", &d.items.len().to_string());
    w.leaf("DeclarationOfficeID", d.declaration_office.as_str());
    let cur = ("currencyID", d.invoice.currency.as_str());
    w.leaf_attr("InvoiceAmount", Some(cur), &d.invoice.amount.to_string());
    w.leaf_attr(
        "TotalGrossMassMeasure",
        Some(("unitCode", "KGM")),
        &d.totals.gross_mass_kg.to_string(),
    );
    w.leaf("TotalPackageQuantity", &d.totals.packages.to_string());
    if let Some(x) = d.exchange_rate_date {
        w.open("AdditionalInformation");
        w.leaf("StatementCode", EXCHANGE_RATE_DATE_STATEMENT);
        w.leaf("StatementDescription", &x.to_string());
        w.close("AdditionalInformation");
    }
    if let Some(r) = &d.representative {
        w.open("Agent");
        w.leaf("Name", &r.name);
        w.leaf("ID", r.id.as_str());
        let status = match r.kind {
            RepresentationKind::Direct => "2",
            RepresentationKind::Indirect => "3",
        };
        w.leaf("FunctionCode", status);
        w.close("Agent");
    }
    let t = &d.transport;
    w.open("BorderTransportMeans");
    w.opt("ID", t.border_means_id.as_deref());
    w.opt(
        "RegistrationNationalityCode",
        t.border_means_nationality.as_ref().map(|c| c.as_str()),
    );
    w.leaf("ModeCode", &t.border_mode.code().to_string());
    w.close("BorderTransportMeans");
    w.party("Declarant", &d.declarant);
    if let Some(o) = &d.exit_office {
        w.open("ExitOffice");
        w.leaf("ID", o.as_str());
        w.close("ExitOffice");
    }
    if let Some(p) = &d.exporter {
        w.party("Exporter", p);
    }
    goods_shipment(&mut w, d);
    if let Some(o) = &d.presentation_office {
        w.open("PresentationOffice");
        w.leaf("ID", o.as_str());
        w.close("PresentationOffice");
    }
    w.close("Declaration");
    w.depth = 0;
    w.out.push_str("</md:MetaData>\n");
    Ok(w.out)
}

fn goods_shipment(w: &mut XmlWriter, d: &Declaration) {
    w.open("GoodsShipment");
    let t = &d.transport;
    w.open("Consignment");
    w.leaf("ContainerCode", if t.container { "1" } else { "0" });
    if let Some(m) = t.inland_mode {
        let means = if d.declaration_type.as_str() == "IM" {
            "ArrivalTransportMeans"
        } else {
            "DepartureTransportMeans"
        };
        w.open(means);
        w.leaf("ModeCode", &m.code().to_string());
        w.close(means);
    }
    w.close("Consignment");
    if let Some(c) = &d.destination_country {
        w.open("Destination");
        w.leaf("CountryCode", c.as_str());
        w.close("Destination");
    }
    if let Some(c) = &d.dispatch_country {
        w.open("ExportCountry");
        w.leaf("ID", c.as_str());
        w.close("ExportCountry");
    }
    for item in &d.items {
        let cur = Some(("currencyID", d.invoice.currency.as_str()));
        w.open("GovernmentAgencyGoodsItem");
        if let Some(v) = item.customs_value {
            w.leaf_attr("CustomsValueAmount", cur, &v.to_string());
        }
        w.leaf("SequenceNumeric", &item.sequence.to_string());
        for doc in &item.documents {
            document(w, doc);
        }
        w.open("Commodity");
        w.leaf("Description", &item.description);
        w.open("Classification");
        w.leaf("ID", item.hs_code.as_str());
        w.leaf("IdentificationTypeCode", "TSP");
        w.close("Classification");
        w.open("GoodsMeasure");
        let kg = Some(("unitCode", "KGM"));
        w.leaf_attr("GrossMassMeasure", kg, &item.gross_mass_kg.to_string());
        w.leaf_attr("NetNetWeightMeasure", kg, &item.net_mass_kg.to_string());
        if let Some(s) = item.supplementary_units {
            w.leaf("TariffQuantity", &s.to_string());
        }
        w.close("GoodsMeasure");
        w.open("InvoiceLine");
        w.leaf_attr("ItemChargeAmount", cur, &item.item_price.to_string());
        w.close("InvoiceLine");
        w.close("Commodity");
        w.open("CustomsValuation");
        w.leaf("MethodCode", &item.valuation_method.to_string());
        w.close("CustomsValuation");
        w.open("GovernmentProcedure");
        w.leaf("CurrentCode", d.procedure.requested());
        w.leaf("PreviousCode", d.procedure.previous());
        w.close("GovernmentProcedure");
        for a in &d.additional_procedures {
            w.open("GovernmentProcedure");
            w.leaf("CurrentCode", a.as_str());
            w.close("GovernmentProcedure");
        }
        w.open("Origin");
        w.leaf("CountryCode", item.origin.as_str());
        w.leaf("TypeCode", "1");
        w.close("Origin");
        if let Some(p) = &item.preferential_origin {
            w.open("Origin");
            w.leaf("CountryCode", p.as_str());
            w.leaf("TypeCode", "2");
            w.close("Origin");
        }
        w.open("Packaging");
        w.leaf("SequenceNumeric", "1");
        w.opt("MarksNumbersID", item.packages.marks.as_deref());
        w.leaf("QuantityQuantity", &item.packages.count.to_string());
        w.leaf("TypeCode", &item.packages.kind);
        w.close("Packaging");
        w.close("GovernmentAgencyGoodsItem");
    }
    if let Some(p) = &d.importer {
        w.party("Importer", p);
    }
    if let Some(date) = d.invoice.date {
        w.open("Invoice");
        w.date("IssueDateTime", date);
        w.close("Invoice");
    }
    for t in &d.transport_documents {
        let code = t.type_code.as_str();
        w.open("PreviousDocument");
        w.leaf("CategoryCode", &code[..1]);
        w.leaf("ID", &t.reference);
        w.leaf("TypeCode", &code[1..]);
        w.close("PreviousDocument");
    }
    if let Some(p) = &d.seller {
        w.party("Seller", p);
    }
    if let Some(t) = &d.delivery_terms {
        w.open("TradeTerms");
        w.leaf("ConditionCode", &t.incoterm);
        w.leaf("LocationName", &t.place);
        w.close("TradeTerms");
    }
    w.close("GoodsShipment");
}

fn document(w: &mut XmlWriter, doc: &DocumentRef) {
    let code = doc.type_code.as_str();
    w.open("AdditionalDocument");
    w.leaf("CategoryCode", &code[..1]);
    if let Some(d) = doc.issued_on {
        w.date("EffectiveDateTime", d);
    }
    w.leaf("ID", &doc.reference);
    w.leaf("TypeCode", &code[1..]);
    w.close("AdditionalDocument");
}
