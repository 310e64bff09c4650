//! tamga's own declarations as the model sees them: one [`Record`] per
//! goods item.
//!
//! The same mapping serves training (a declaration read back with its
//! assessed duties and the outcome of its control) and scoring in the
//! lodging path (the declaration being registered, with the duties just
//! computed), so a feature means the same in both. The attributes:
//!
//! | attribute | from |
//! |---|---|
//! | office | the office of declaration |
//! | process | the procedure code |
//! | import type | the declaration type and additional type (`IM-A`) |
//! | import use | the additional procedure codes, sorted |
//! | payment | the invoice currency |
//! | transport | the mode of transport at the border |
//! | declarant, importer, seller | the party's EORI, else its name upper-cased |
//! | courier | the representative's EORI |
//! | HS | the goods item's first six digits |
//! | departure | the country of dispatch |
//! | origin | the goods item's origin |
//! | tax type | `preference` with a preferential origin, else `mfn` |
//! | origin indicator | the preferential origin country |
//!
//! The numbers: the net mass; the customs value in national currency as
//! the tariff assessed it (the item price in the invoice currency when no
//! tariff assessed the declaration); the customs duty in percent of the
//! customs value ([`DutyResult::item_tax_rates`]).

use rust_decimal::prelude::ToPrimitive;
use time::Date;

use tamga_core::declaration::{Declaration, Party};
use tamga_core::pipeline::DutyResult;

use crate::record::{Attribute, Record};

fn party(p: Option<&Party>) -> String {
    match p {
        Some(Party { id: Some(id), .. }) => id.as_str().to_owned(),
        Some(p) => p.name.trim().to_uppercase(),
        None => String::new(),
    }
}

/// One record per goods item of `d`, dated `date`, labelled `label`
/// (`None` when not inspected). The record ids are `<id>/<item sequence>`.
pub fn records_of(
    id: &str,
    d: &Declaration,
    date: Date,
    duties: &DutyResult,
    label: Option<bool>,
) -> Vec<Record> {
    let rates = duties.item_tax_rates();
    let values: Vec<Option<f64>> = match duties {
        DutyResult::Assessed { assessment, .. } => assessment
            .items
            .iter()
            .map(|i| i.customs_value_national.amount.to_f64())
            .collect(),
        DutyResult::NotAssessed { .. } => Vec::new(),
    };
    let mut additional: Vec<&str> = d.additional_procedures.iter().map(|a| a.as_str()).collect();
    additional.sort_unstable();
    let common = {
        let mut c = vec![String::new(); Attribute::ALL.len()];
        let mut set = |a: Attribute, v: String| c[a.index()] = v;
        set(Attribute::Office, d.declaration_office.as_str().to_owned());
        set(Attribute::ProcessType, d.procedure.as_str().to_owned());
        set(
            Attribute::ImportType,
            format!(
                "{}-{}",
                d.declaration_type.as_str(),
                d.additional_type.as_str()
            ),
        );
        set(Attribute::ImportUse, additional.join(";"));
        set(
            Attribute::PaymentType,
            d.invoice.currency.as_str().to_owned(),
        );
        set(
            Attribute::Transport,
            d.transport.border_mode.as_str().to_owned(),
        );
        set(Attribute::Declarant, party(Some(&d.declarant)));
        set(Attribute::Importer, party(d.importer.as_ref()));
        set(
            Attribute::Seller,
            party(d.seller.as_ref().or(d.exporter.as_ref())),
        );
        set(
            Attribute::Courier,
            d.representative
                .as_ref()
                .map(|r| r.id.as_str().to_owned())
                .unwrap_or_default(),
        );
        set(
            Attribute::Departure,
            d.dispatch_country
                .as_ref()
                .map(|c| c.as_str().to_owned())
                .unwrap_or_default(),
        );
        c
    };
    d.items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let mut cats = common.clone();
            let hs = item.hs_code.as_str();
            cats[Attribute::Hs6.index()] = hs.get(..6).unwrap_or(hs).to_owned();
            cats[Attribute::Origin.index()] = item.origin.as_str().to_owned();
            cats[Attribute::TaxType.index()] = if item.preferential_origin.is_some() {
                "preference"
            } else {
                "mfn"
            }
            .to_owned();
            cats[Attribute::OriginIndicator.index()] = item
                .preferential_origin
                .as_ref()
                .map(|c| c.as_str().to_owned())
                .unwrap_or_default();
            let value = values
                .get(i)
                .copied()
                .flatten()
                .or_else(|| item.item_price.to_f64());
            Record {
                id: format!("{id}/{}", item.sequence),
                date,
                cats,
                net_mass_kg: item.net_mass_kg.to_f64(),
                item_price: value,
                tax_rate: rates.get(i).copied().flatten().and_then(|r| r.to_f64()),
                label,
                revenue: None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declaration() -> Declaration {
        serde_json::from_str(include_str!(
            "../../tamga-core/src/testdata/declaration.json"
        ))
        .expect("the core's valid declaration")
    }

    #[test]
    fn every_item_maps_with_its_own_code_origin_and_value() {
        let d = declaration();
        let date = time::macros::date!(2026 - 12 - 01);
        let not = DutyResult::NotAssessed {
            reason: "no tariff".into(),
        };
        let rs = records_of("M1", &d, date, &not, Some(true));
        assert_eq!(rs.len(), d.items.len());
        for (r, item) in rs.iter().zip(&d.items) {
            assert_eq!(r.id, format!("M1/{}", item.sequence));
            assert_eq!(r.date, date);
            assert_eq!(r.label, Some(true));
            assert_eq!(r.cat(Attribute::Hs6), &item.hs_code.as_str()[..6]);
            assert_eq!(r.cat(Attribute::Origin), item.origin.as_str());
            assert_eq!(r.cat(Attribute::Office), d.declaration_office.as_str());
            assert_eq!(
                r.cat(Attribute::Declarant),
                d.declarant.id.as_ref().unwrap().as_str()
            );
            // Without an assessment: the item price, and no duty rate.
            assert_eq!(r.item_price, item.item_price.to_f64());
            assert_eq!(r.tax_rate, None);
            assert_eq!(r.net_mass_kg, item.net_mass_kg.to_f64());
        }
        assert!(rs[0]
            .cat(Attribute::ImportType)
            .starts_with(d.declaration_type.as_str()));
    }

    #[test]
    fn a_party_without_an_id_is_known_by_its_name() {
        let mut d = declaration();
        d.importer = Some(Party {
            id: None,
            name: "  Acme Trading ".into(),
            address: None,
        });
        let not = DutyResult::NotAssessed {
            reason: String::new(),
        };
        let rs = records_of("M", &d, time::macros::date!(2026 - 01 - 01), &not, None);
        assert_eq!(rs[0].cat(Attribute::Importer), "ACME TRADING");
        assert_eq!(rs[0].label, None);
    }
}
