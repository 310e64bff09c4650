//! tamga's declaration → UN/EDIFACT CUSDEC (D:96B or D:99B, message
//! function 9), so that [`crate::cusdec_in`] reads back the same
//! declaration. The segments are those of the mapping table in
//! docs/messages.md. A value EDIFACT cannot carry through tamga's reader
//! (a line break: readers drop them) is refused (`OUT-UNREPRESENTABLE`),
//! never dropped.

use tamga_core::declaration::{
    AdditionalType, Declaration, DocumentRef, Party, RepresentationKind,
};
use time::{Date, OffsetDateTime};

use crate::cusdec_in::{
    ADDITIONAL_PROCEDURE_LIST, PREFERENTIAL, PROCEDURE_LIST, REPRESENTATION_LIST,
    SUPPLEMENTARY_UNITS, VALUATION_LIST,
};
use crate::edifact_out::{reference_from, Addressing, EdiWriter};
use crate::error::MessageError;

/// The CUSDEC directory to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Directory {
    D96B,
    D99B,
}

impl Directory {
    pub fn release(self) -> &'static str {
        match self {
            Self::D96B => "96B",
            Self::D99B => "99B",
        }
    }
}

/// The receiving party tamga writes in `UNB` when it writes a CUSDEC.
pub const TAMGA_PARTY: &str = "TAMGA";

fn date(d: Date) -> String {
    format!("{:04}{:02}{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Every text field with a line break (a reader drops line breaks, so
/// the value would not come back).
fn line_breaks(d: &Declaration) -> Vec<MessageError> {
    let v = serde_json::to_value(d).unwrap_or_default();
    let mut out = Vec::new();
    walk(&v, String::new(), &mut out);
    out
}

fn walk(v: &serde_json::Value, pointer: String, out: &mut Vec<MessageError>) {
    match v {
        serde_json::Value::String(s) if s.contains(['\r', '\n']) => {
            out.push(MessageError::new(
                "OUT-UNREPRESENTABLE",
                pointer,
                "a line break: EDIFACT readers drop line breaks, so it would not come back",
            ));
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                walk(x, format!("{pointer}/{i}"), out);
            }
        }
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                walk(x, format!("{pointer}/{k}"), out);
            }
        }
        _ => {}
    }
}

/// Writes `d` as a CUSDEC interchange prepared at `prepared`.
pub fn write(
    d: &Declaration,
    directory: Directory,
    prepared: OffsetDateTime,
) -> Result<String, Vec<MessageError>> {
    let errors = line_breaks(d);
    if !errors.is_empty() {
        return Err(errors);
    }
    let sender = d
        .declarant_id()
        .map_or_else(|| d.declarant.name.clone(), |i| i.as_str().to_owned());
    let mut w = EdiWriter::new(&Addressing {
        syntax: ("UNOC".to_owned(), "3".to_owned()),
        sender,
        recipient: TAMGA_PARTY.to_owned(),
        prepared,
        reference: reference_from(d.lrn.as_str()),
    });
    w.open_message("1", ["CUSDEC", "D", directory.release(), "UN"]);
    let additional = match d.additional_type {
        AdditionalType::Standard => "A",
        AdditionalType::Simplified => "C",
        AdditionalType::Prelodged => "D",
    };
    let ty = d.declaration_type.as_str();
    let code = match ty {
        "IM" => "929",
        "EX" => "830",
        _ => "",
    };
    let name = format!("{ty}{additional}");
    w.segment("BGM", &[&[code, "", "", &name], &[d.lrn.as_str()], &["9"]]);
    let office = |w: &mut EdiWriter, q: &str, v: &str| w.segment("LOC", &[&[q], &[v]]);
    office(&mut w, "22", d.declaration_office.as_str());
    if let Some(o) = &d.exit_office {
        office(&mut w, "41", o.as_str());
    }
    if let Some(o) = &d.presentation_office {
        office(&mut w, "42", o.as_str());
    }
    if let Some(c) = &d.dispatch_country {
        office(&mut w, "35", c.as_str());
    }
    if let Some(c) = &d.destination_country {
        office(&mut w, "28", c.as_str());
    }
    if let Some(x) = d.invoice.date {
        w.segment("DTM", &[&["3", &date(x), "102"]]);
    }
    if let Some(x) = d.exchange_rate_date {
        w.segment("DTM", &[&["134", &date(x), "102"]]);
    }
    w.segment(
        "GIS",
        &[&[
            &format!("{}{}", d.procedure.requested(), d.procedure.previous()),
            PROCEDURE_LIST,
        ]],
    );
    for a in &d.additional_procedures {
        w.segment("GIS", &[&[a.as_str(), ADDITIONAL_PROCEDURE_LIST]]);
    }
    let amount = d.invoice.amount.to_string();
    w.segment("MOA", &[&["39", &amount, d.invoice.currency.as_str()]]);
    let gross = d.totals.gross_mass_kg.to_string();
    w.segment("MEA", &[&["WT"], &["G"], &["KGM", &gross]]);
    w.segment("PAC", &[&[&d.totals.packages.to_string()]]);
    party(&mut w, "DT", &d.declarant);
    for (q, p) in [("IM", &d.importer), ("EX", &d.exporter), ("SE", &d.seller)] {
        if let Some(p) = p {
            party(&mut w, q, p);
        }
    }
    if let Some(r) = &d.representative {
        w.segment("NAD", &[&["CB"], &[r.id.as_str()], &[], &[&r.name]]);
        let status = match r.kind {
            RepresentationKind::Direct => "2",
            RepresentationKind::Indirect => "3",
        };
        w.segment("GIS", &[&[status, REPRESENTATION_LIST]]);
    }
    let t = &d.transport;
    let border = t.border_mode.code().to_string();
    let means = t.border_means_id.as_deref().unwrap_or("");
    let nationality = t
        .border_means_nationality
        .as_ref()
        .map_or("", |c| c.as_str());
    w.segment(
        "TDT",
        &[
            &["11"],
            &[],
            &[&border],
            &[],
            &[],
            &[],
            &[],
            &[means, "", "", "", nationality],
        ],
    );
    if let Some(m) = t.inland_mode {
        w.segment("TDT", &[&["1"], &[], &[&m.code().to_string()]]);
    }
    if t.container {
        w.segment("EQD", &[&["CN"]]);
    }
    if let Some(terms) = &d.delivery_terms {
        w.segment("TOD", &[&[], &[], &[&terms.incoterm, "", "", &terms.place]]);
    }
    for doc in &d.transport_documents {
        document(&mut w, doc);
    }
    w.segment("UNS", &[&["D"]]);
    for item in &d.items {
        w.segment(
            "CST",
            &[&[&item.sequence.to_string()], &[item.hs_code.as_str()]],
        );
        w.segment("FTX", &[&["AAA"], &[], &[], &[&item.description]]);
        w.segment("LOC", &[&["27"], &[item.origin.as_str()]]);
        if let Some(p) = &item.preferential_origin {
            w.segment("LOC", &[&["27"], &[p.as_str(), PREFERENTIAL]]);
        }
        let kg = |w: &mut EdiWriter, q: &str, v: &str| {
            w.segment("MEA", &[&["WT"], &[q], &["KGM", v]]);
        };
        kg(&mut w, "G", &item.gross_mass_kg.to_string());
        kg(&mut w, "N", &item.net_mass_kg.to_string());
        if let Some(s) = item.supplementary_units {
            w.segment("QTY", &[&[SUPPLEMENTARY_UNITS, &s.to_string()]]);
        }
        let cur = d.invoice.currency.as_str();
        w.segment("MOA", &[&["38", &item.item_price.to_string(), cur]]);
        if let Some(v) = item.customs_value {
            w.segment("MOA", &[&["40", &v.to_string(), cur]]);
        }
        w.segment(
            "GIS",
            &[&[&item.valuation_method.to_string(), VALUATION_LIST]],
        );
        let p = &item.packages;
        w.segment("PAC", &[&[&p.count.to_string()], &[], &[&p.kind]]);
        if let Some(m) = &p.marks {
            w.segment("PCI", &[&[], &[m]]);
        }
        for doc in &item.documents {
            document(&mut w, doc);
        }
    }
    w.segment("UNS", &[&["S"]]);
    w.close_message();
    Ok(w.finish())
}

fn party(w: &mut EdiWriter, qualifier: &str, p: &Party) {
    let id = p.id.as_ref().map_or("", |i| i.as_str());
    match &p.address {
        Some(a) => w.segment(
            "NAD",
            &[
                &[qualifier],
                &[id],
                &[],
                &[&p.name],
                &[&a.street],
                &[&a.city],
                &[],
                &[a.postcode.as_deref().unwrap_or("")],
                &[a.country.as_str()],
            ],
        ),
        None => w.segment("NAD", &[&[qualifier], &[id], &[], &[&p.name]]),
    }
}

fn document(w: &mut EdiWriter, doc: &DocumentRef) {
    w.segment("DOC", &[&[doc.type_code.as_str()], &[&doc.reference]]);
    if let Some(x) = doc.issued_on {
        w.segment("DTM", &[&["182", &date(x), "102"]]);
    }
}
