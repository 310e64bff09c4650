//! Building one valid declaration of the stream: its LRN, item count,
//! origins, invoice, transport, delivery terms, seller, goods items and
//! totals, with the trader's fraud (if any) injected.

use rand::distributions::{Distribution, WeightedIndex};
use rand::Rng;
use rust_decimal::Decimal;
use time::Duration;

use tamga_core::codes::{CurrencyCode, Lrn};
use tamga_core::declaration::{
    AdditionalType, Address, Declaration, DeclarationType, DeliveryTerms, DocumentRef, GoodsItem,
    Invoice, Party, Totals, TransportMode,
};

use super::transport::{packages, transport};
use super::{base36, frauds, kg, money, Generator};
use crate::identities::cc;
use crate::knowledge::{fx_per_usd, HUBS, PARTNERS, PREFERENTIAL_PARTNERS};
use crate::profile::FraudKind;

impl Generator {
    pub(super) fn next_lrn(&mut self) -> Lrn {
        self.counter += 1;
        Lrn::parse(&format!("{}-{}", self.lrn_prefix, base36(self.counter, 8)))
            .expect("generated LRN is well formed")
    }

    pub(super) fn item_count(&mut self) -> u32 {
        let (min, max) = self.items;
        if min == max {
            return min;
        }
        let u: f64 = self.rng.gen();
        (min + ((f64::from(max - min + 1)) * u.powf(1.7)) as u32).min(max)
    }

    /// A valid declaration, possibly with the given fraud applied; returns
    /// the fraud actually applied (misclassification falls back to
    /// undervaluation when no decoy exists).
    pub(super) fn build(
        &mut self,
        t: usize,
        fraud: Option<FraudKind>,
    ) -> (Declaration, Option<FraudKind>) {
        let lrn = self.next_lrn();
        let n = self.item_count();
        let rng = &mut self.rng;
        let tr = &self.traders[t];

        // Origins: a consignment mostly comes from one country.
        let first_origin = tr.origins[tr.origin_pick.sample(rng)].clone();
        let first_partner = PARTNERS
            .iter()
            .position(|p| p.code == first_origin.as_str());
        let dispatch_idx = match first_partner {
            Some(i) if rng.gen_bool(0.85) => i,
            _ => {
                let hub = HUBS[rng.gen_range(0..HUBS.len())];
                PARTNERS
                    .iter()
                    .position(|p| p.code == hub)
                    .expect("hub is a partner")
            }
        };
        let partner = &PARTNERS[dispatch_idx];
        let dispatch = cc(partner.code);

        // Invoice.
        let currency_pick =
            WeightedIndex::new(partner.currencies.iter().map(|(_, w)| *w)).expect("weights");
        let currency = partner.currencies[currency_pick.sample(rng)].0;
        let fx = fx_per_usd(currency);
        let invoice_date = self
            .today
            .saturating_sub(Duration::days(rng.gen_range(0..=20)));
        let invoice_no = format!(
            "{}-{}/{}",
            partner.code,
            invoice_date.year() % 100,
            rng.gen_range(1000..1_000_000u32)
        );

        // Transport.
        let mode_pick = WeightedIndex::new(partner.modes).expect("weights");
        let mode = [
            TransportMode::Road,
            TransportMode::Rail,
            TransportMode::Air,
            TransportMode::Sea,
        ][mode_pick.sample(rng)];
        let (transport, transport_doc) = transport(rng, mode, partner);

        // Delivery terms.
        let terms: &[(&str, f64)] = match mode {
            TransportMode::Sea => &[("FOB", 0.3), ("CFR", 0.2), ("CIF", 0.3), ("FCA", 0.2)],
            TransportMode::Air => &[("FCA", 0.4), ("CPT", 0.3), ("CIP", 0.1), ("DAP", 0.2)],
            _ => &[
                ("FCA", 0.3),
                ("DAP", 0.35),
                ("CPT", 0.15),
                ("EXW", 0.15),
                ("DDP", 0.05),
            ],
        };
        let term_pick = WeightedIndex::new(terms.iter().map(|(_, w)| *w)).expect("weights");
        let incoterm = terms[term_pick.sample(rng)].0;
        let seller_city = partner.cities[rng.gen_range(0..partner.cities.len())];
        // E and F terms: transport to the border is not in the price.
        let freight_extra = matches!(incoterm, "EXW" | "FCA" | "FAS" | "FOB");
        let freight_pct = rng.gen_range(0.02..0.08);
        let place = if freight_extra {
            seller_city
        } else {
            self.office_city.as_str()
        };

        // Seller.
        let stems = [
            "Trading",
            "Import-Export",
            "Industrial",
            "Commerce",
            "Global Supply",
            "Manufacturing",
        ];
        let seller = Party {
            id: None,
            name: format!(
                "{}{} {}{}",
                partner.firm.0,
                seller_city,
                stems[rng.gen_range(0..stems.len())],
                partner.firm.1
            ),
            address: Some(Address {
                street: format!(
                    "{} {}",
                    partner.streets[rng.gen_range(0..partner.streets.len())],
                    rng.gen_range(1..300)
                ),
                city: seller_city.to_owned(),
                postcode: None,
                country: dispatch.clone(),
            }),
        };

        // Items.
        let undervalue = frauds::undervaluation_divisor(rng, fraud);
        let mut items = Vec::with_capacity(n as usize);
        let mut total_price = Decimal::ZERO;
        let mut total_gross = Decimal::ZERO;
        let mut total_packages = 0u32;
        for seq in 1..=n {
            let g = &tr.goods[tr.goods_pick.sample(rng)];
            let origin = if seq == 1 || rng.gen_bool(0.7) {
                first_origin.clone()
            } else {
                tr.origins[tr.origin_pick.sample(rng)].clone()
            };
            let usd = tr.value.sample(rng).clamp(5.0, 5_000_000.0);
            let gross_kg = (usd / g.usd_per_kg * rng.gen_range(0.7..1.3)).max(0.05);
            let gross_g = (gross_kg * 1000.0).round() as i64;
            let net_g = ((gross_g as f64 * rng.gen_range(0.82..0.97)) as i64).clamp(1, gross_g - 1);
            let price = money(usd * fx / undervalue);
            let customs_value = if freight_extra {
                price + money(usd * fx / undervalue * freight_pct)
            } else {
                price
            };
            let packages = packages(rng, &g.hs, gross_kg);
            let mut documents = vec![DocumentRef {
                type_code: self.doc_invoice.clone(),
                reference: invoice_no.clone(),
                issued_on: Some(invoice_date),
            }];
            if rng.gen_bool(0.3) {
                documents.push(DocumentRef {
                    type_code: self.doc_commercial.clone(),
                    reference: invoice_no.clone(),
                    issued_on: Some(invoice_date),
                });
            }
            // Honest imports from free-trade partners claim preference.
            let preferential =
                PREFERENTIAL_PARTNERS.contains(&origin.as_str()) && rng.gen_bool(0.5);
            if preferential {
                documents.push(DocumentRef {
                    type_code: self.doc_preference.clone(),
                    reference: format!(
                        "ST-1 {}{:07}",
                        origin.as_str(),
                        rng.gen_range(0..10_000_000u32)
                    ),
                    issued_on: Some(invoice_date),
                });
            }
            total_price += price;
            total_gross += kg(gross_g);
            total_packages += packages.count;
            items.push(GoodsItem {
                sequence: seq,
                description: g.description.clone(),
                hs_code: g.hs.clone(),
                preferential_origin: preferential.then(|| origin.clone()),
                origin,
                net_mass_kg: kg(net_g),
                gross_mass_kg: kg(gross_g),
                supplementary_units: None,
                packages,
                item_price: price,
                valuation_method: 1,
                customs_value: Some(customs_value),
                documents,
            });
        }

        let applied = frauds::inject(
            rng,
            fraud,
            &tr.goods,
            &mut items,
            &first_origin,
            invoice_date,
            &self.doc_preference,
        );
        if applied != fraud {
            // Misclassification without a decoy undervalued the items
            // instead: their prices changed.
            total_price = items.iter().map(|i| i.item_price).sum();
        }
        if let Some(view) = &self.tariff {
            for item in &mut items {
                view.complete(item, rng);
            }
        }

        let decl = Declaration {
            declaration_type: DeclarationType::IM,
            additional_type: AdditionalType::Standard,
            lrn,
            procedure: self.procedure.clone(),
            additional_procedures: vec![self.additional.clone()],
            declarant: tr.party.clone(),
            importer: Some(tr.party.clone()),
            exporter: None,
            seller: Some(seller),
            representative: None,
            declaration_office: self.office.clone(),
            presentation_office: None,
            exit_office: None,
            dispatch_country: Some(dispatch),
            destination_country: Some(self.destination.clone()),
            transport,
            transport_documents: vec![transport_doc],
            delivery_terms: Some(DeliveryTerms {
                incoterm: incoterm.to_owned(),
                place: place.to_owned(),
            }),
            invoice: Invoice {
                currency: CurrencyCode::parse(currency).expect("built-in currency"),
                amount: total_price,
                date: Some(invoice_date),
            },
            exchange_rate_date: Some(invoice_date),
            totals: Totals {
                packages: total_packages,
                gross_mass_kg: total_gross,
            },
            items,
        };
        (decl, applied)
    }
}
