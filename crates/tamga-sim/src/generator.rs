//! The [`Generator`]: a deterministic stream of synthetic declarations,
//! valid, erroneous or fraudulent.

use std::collections::{HashMap, HashSet};

use rand::distributions::{Distribution, WeightedIndex};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::LogNormal;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde_json::Value;
use time::{Date, Duration};

use tamga_core::codes::{
    AdditionalProcedureCode, CountryCode, CurrencyCode, DocumentTypeCode, Eori, HsCode, Lrn,
    OfficeCode, ProcedureCode,
};
use tamga_core::declaration::{
    AdditionalType, Address, Declaration, DeclarationType, DeliveryTerms, DocumentRef, GoodsItem,
    Invoice, Packages, Party, Totals, Transport, TransportMode,
};
use tamga_core::reference::ReferenceBundle;
use tamga_core::tariff::Tariff;

use crate::identities::cc;
use crate::knowledge::{
    fx_per_usd, usd_per_kg, Partner, DECOYS, HUBS, PARTNERS, PREFERENTIAL_PARTNERS,
    PROOF_OF_ORIGIN, SEA_FLAGS,
};
use crate::mutate::UNKNOWN_HS6;
use crate::profile::*;

pub(crate) struct Goods {
    pub(crate) hs: HsCode,
    pub(crate) description: String,
    pub(crate) usd_per_kg: f64,
    /// Lower-duty subheading of the same chapter for misclassification.
    pub(crate) decoy: Option<HsCode>,
}

pub(crate) struct TraderState {
    pub(crate) id: Eori,
    pub(crate) party: Party,
    pub(crate) error_rate: f64,
    pub(crate) fraud_rate: f64,
    pub(crate) fraud_kinds: Vec<FraudKind>,
    pub(crate) fraud_pick: Option<WeightedIndex<f64>>,
    pub(crate) goods: Vec<Goods>,
    pub(crate) goods_pick: WeightedIndex<f64>,
    pub(crate) origins: Vec<CountryCode>,
    pub(crate) origin_pick: WeightedIndex<f64>,
    pub(crate) value: LogNormal<f64>,
}

/// Deterministic synthetic declaration stream; see the module docs.
pub struct Generator {
    pub(crate) rng: ChaCha8Rng,
    pub(crate) traders: Vec<TraderState>,
    pub(crate) trader_pick: WeightedIndex<f64>,
    /// Trader activity weights (the distribution of `trader_pick`).
    pub(crate) activity: Vec<f64>,
    pub(crate) office: OfficeCode,
    pub(crate) destination: CountryCode,
    /// City of the office: the named place of C and D delivery terms.
    pub(crate) office_city: String,
    pub(crate) items: (u32, u32),
    pub(crate) error_share: Option<f64>,
    pub(crate) frauds: bool,
    pub(crate) today: Date,
    pub(crate) lrn_prefix: String,
    pub(crate) counter: u64,
    pub(crate) unknown_hs: Vec<String>,
    pub(crate) error_pick: WeightedIndex<f64>,
    pub(crate) procedure: ProcedureCode,
    pub(crate) additional: AdditionalProcedureCode,
    /// When set, goods are declared as the tariff needs them.
    pub(crate) tariff: Option<TariffView>,
    pub(crate) doc_invoice: DocumentTypeCode,
    pub(crate) doc_commercial: DocumentTypeCode,
    pub(crate) doc_preference: DocumentTypeCode,
}

pub(crate) fn weighted<T: Clone>(
    what: &str,
    trader: &str,
    mix: &[(T, f64)],
) -> Result<(Vec<T>, WeightedIndex<f64>), SynthError> {
    let pick = WeightedIndex::new(mix.iter().map(|(_, w)| *w)).map_err(|e| SynthError::Trader {
        trader: trader.to_owned(),
        message: format!("{what}: {e}"),
    })?;
    Ok((mix.iter().map(|(t, _)| t.clone()).collect(), pick))
}

pub(crate) fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

pub(crate) const BASE36: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

pub(crate) fn base36(mut n: u64, width: usize) -> String {
    let mut out = Vec::with_capacity(13);
    while n > 0 || out.len() < width {
        out.push(BASE36[(n % 36) as usize]);
        n /= 36;
    }
    out.reverse();
    String::from_utf8(out).expect("ascii")
}

pub(crate) fn money(x: f64) -> Decimal {
    Decimal::new(((x * 100.0).round() as i64).max(1), 2)
}

pub(crate) fn kg(grams: i64) -> Decimal {
    Decimal::new(grams, 3)
}

impl Generator {
    /// Checks the configuration against the reference data (every HS code
    /// in a mix must be a subheading valid on `today`) and prepares the
    /// stream.
    pub fn new(cfg: GeneratorConfig, reference: &ReferenceBundle) -> Result<Self, SynthError> {
        if cfg.traders.is_empty() {
            return Err(SynthError::NoTraders);
        }
        let (min, max) = cfg.items_per_declaration;
        if min == 0 || min > max || max > 999 {
            return Err(SynthError::Config(format!(
                "items_per_declaration {:?} must satisfy 1 <= min <= max <= 999",
                cfg.items_per_declaration
            )));
        }
        if let Some(s) = cfg.error_share {
            if !(0.0..=1.0).contains(&s) {
                return Err(SynthError::Config(format!(
                    "error_share {s} must be within 0..=1"
                )));
            }
        }
        let today = cfg.today;
        let subheadings: HashMap<&str, &str> = reference
            .hs
            .iter()
            .filter(|e| {
                // Section `TOTAL` holds the 99/9999/999999 "commodities not
                // specified according to kind" pseudo-codes: not real goods.
                e.level == 6
                    && e.section != "TOTAL"
                    && e.valid_from <= today
                    && e.valid_to.is_none_or(|t| today <= t)
            })
            .map(|e| (e.code.as_str(), e.description.as_str()))
            .collect();
        // Subheadings per chapter in nomenclature order, for fallback decoys.
        let mut by_chapter: HashMap<&str, Vec<&str>> = HashMap::new();
        for e in &reference.hs {
            if subheadings.contains_key(e.code.as_str()) {
                by_chapter
                    .entry(&e.code[..2])
                    .or_default()
                    .push(e.code.as_str());
            }
        }
        let decoy_for = |hs6: &str| -> Option<HsCode> {
            let curated = DECOYS
                .iter()
                .filter(|(p, d)| hs6.starts_with(p) && *d != hs6 && subheadings.contains_key(d))
                .max_by_key(|(p, _)| p.len())
                .map(|(_, d)| *d);
            let fallback = || {
                let same = by_chapter.get(&hs6[..2])?;
                let parts = same.iter().find(|c| {
                    **c != hs6 && subheadings[**c].to_ascii_lowercase().contains("parts")
                });
                parts.or_else(|| same.iter().find(|c| **c != hs6)).copied()
            };
            curated
                .or_else(fallback)
                .map(|c| HsCode::parse(c).expect("nomenclature code"))
        };

        let mut traders = Vec::with_capacity(cfg.traders.len());
        let mut ids = HashSet::new();
        // Codes absent from the nomenclature. Not `999999`: the shipped
        // nomenclature has it (section TOTAL), so control accepts it.
        let known: HashSet<&str> = reference.hs.iter().map(|e| e.code.as_str()).collect();
        let mut unknown_hs: Vec<String> = vec![UNKNOWN_HS6.to_owned()];
        for p in &cfg.traders {
            let tid = p.id.as_str();
            let terr = |message: String| SynthError::Trader {
                trader: tid.to_owned(),
                message,
            };
            if !ids.insert(tid) {
                return Err(terr("duplicate trader id".into()));
            }
            for (what, r) in [("error_rate", p.error_rate), ("fraud_rate", p.fraud_rate)] {
                if !(0.0..=1.0).contains(&r) {
                    return Err(terr(format!("{what} {r} must be within 0..=1")));
                }
            }
            if !(p.median_item_value.is_finite() && p.median_item_value > 0.0) {
                return Err(terr("median_item_value must be positive".into()));
            }
            if !(p.activity.is_finite() && p.activity > 0.0) {
                return Err(terr("activity must be positive".into()));
            }
            let value = LogNormal::new(p.median_item_value.ln(), p.value_sigma)
                .map_err(|e| terr(format!("value_sigma: {e}")))?;
            let mut goods = Vec::with_capacity(p.hs_mix.len());
            for (code, _) in &p.hs_mix {
                let description = subheadings.get(code.as_str()).ok_or_else(|| {
                    terr(format!(
                        "HS code {code:?} is not a subheading valid on {today}"
                    ))
                })?;
                let hs = HsCode::parse(code).map_err(|e| terr(e.to_string()))?;
                for suffix in ["00", "99"] {
                    let fake = format!("{}{suffix}", hs.heading());
                    if !known.contains(fake.as_str()) && !unknown_hs.contains(&fake) {
                        unknown_hs.push(fake);
                    }
                }
                goods.push(Goods {
                    decoy: decoy_for(code),
                    usd_per_kg: usd_per_kg(code),
                    description: (*description).to_owned(),
                    hs,
                });
            }
            let (_, goods_pick) = weighted("hs_mix", tid, &p.hs_mix)?;
            let (origins, origin_pick) = weighted("origin_mix", tid, &p.origin_mix)?;
            let (fraud_kinds, fraud_pick) = if p.fraud_rate > 0.0 {
                let (k, w) = weighted("fraud_mix", tid, &p.fraud_mix)?;
                (k, Some(w))
            } else {
                (Vec::new(), None)
            };
            traders.push(TraderState {
                id: p.id.clone(),
                party: Party {
                    id: Some(p.id.clone()),
                    name: p.name.clone(),
                    address: Some(p.address.clone()),
                },
                error_rate: p.error_rate,
                fraud_rate: p.fraud_rate,
                fraud_kinds,
                fraud_pick,
                goods,
                goods_pick,
                origins,
                origin_pick,
                value,
            });
        }
        let trader_pick = WeightedIndex::new(cfg.traders.iter().map(|t| t.activity))
            .map_err(|e| SynthError::Config(format!("trader activity: {e}")))?;
        let office_city = reference
            .offices
            .iter()
            .find(|o| o.code == cfg.office.as_str())
            .map_or_else(|| "Tashkent".to_owned(), |o| o.city.clone());
        let destination = CountryCode::parse(cfg.office.country())
            .map_err(|e| SynthError::Config(e.to_string()))?;
        let lrn_prefix = base36(splitmix64(cfg.seed) % 36u64.pow(6), 6);
        let code = |s: &str| DocumentTypeCode::parse(s).expect("built-in document type");
        Ok(Self {
            rng: ChaCha8Rng::seed_from_u64(cfg.seed),
            traders,
            trader_pick,
            activity: cfg.traders.iter().map(|t| t.activity).collect(),
            office: cfg.office,
            destination,
            office_city,
            items: cfg.items_per_declaration,
            error_share: cfg.error_share,
            frauds: cfg.frauds,
            today,
            lrn_prefix,
            counter: 0,
            unknown_hs,
            error_pick: WeightedIndex::new(ERROR_WEIGHTS).expect("positive weights"),
            procedure: ProcedureCode::parse("4000").expect("built-in"),
            additional: AdditionalProcedureCode::parse("000").expect("built-in"),
            tariff: None,
            doc_invoice: code("N935"),
            doc_commercial: code("N380"),
            doc_preference: code(PROOF_OF_ORIGIN),
        })
    }

    /// Declares `item` as the generator's tariff needs it (national code
    /// under its subheading, supplementary unit, documents its
    /// restrictions require). False when there is no tariff or the tariff
    /// cannot assess any code under the item's.
    pub fn fit_to_tariff(&mut self, item: &mut GoodsItem) -> bool {
        match &self.tariff {
            Some(t) if t.usable(&item.hs_code) => {
                t.complete(item, &mut self.rng);
                true
            }
            _ => false,
        }
    }

    /// Declares goods as `tariff` needs them: the national (10-digit) code
    /// where the tariff subdivides a subheading, the supplementary unit
    /// where its nomenclature names one, and the documents its
    /// restrictions require. Goods (and misclassification decoys) whose
    /// duties the tariff cannot assess from a declaration's data (e.g.
    /// measures per % vol or retail price) are no longer generated.
    pub fn with_tariff(mut self, tariff: &Tariff) -> Self {
        let view = TariffView::new(tariff, self.today);
        for tr in &mut self.traders {
            let usable: Vec<bool> = tr.goods.iter().map(|g| view.usable(&g.hs)).collect();
            if usable.iter().any(|u| *u) {
                let zero = 0.0f64;
                let updates: Vec<(usize, &f64)> = usable
                    .iter()
                    .enumerate()
                    .filter(|(_, u)| !**u)
                    .map(|(i, _)| (i, &zero))
                    .collect();
                if !updates.is_empty() {
                    tr.goods_pick
                        .update_weights(&updates)
                        .expect("some weights stay positive");
                }
            }
            for g in &mut tr.goods {
                if g.decoy.as_ref().is_some_and(|d| !view.usable(d)) {
                    g.decoy = None;
                }
            }
        }
        self.tariff = Some(view);
        self
    }

    /// The share of erroneous declarations the stream converges to.
    pub fn expected_error_share(&self) -> f64 {
        if let Some(s) = self.error_share {
            return s;
        }
        let total: f64 = self.activity.iter().sum();
        self.traders
            .iter()
            .zip(&self.activity)
            .map(|(t, a)| a * t.error_rate)
            .sum::<f64>()
            / total
    }

    /// Number of declarations generated so far.
    pub fn generated(&self) -> u64 {
        self.counter
    }

    /// The next declaration of the stream.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Synthetic {
        let t = self.trader_pick.sample(&mut self.rng);
        let error_rate = self.error_share.unwrap_or(self.traders[t].error_rate);
        let erroneous = self.rng.gen_bool(error_rate);
        let fraud = if !erroneous && self.frauds {
            let tr = &self.traders[t];
            match &tr.fraud_pick {
                Some(pick) if self.rng.gen_bool(tr.fraud_rate) => {
                    Some(tr.fraud_kinds[pick.sample(&mut self.rng)])
                }
                _ => None,
            }
        } else {
            None
        };
        let (mut decl, fraud) = self.build(t, fraud);
        let lrn = decl.lrn.clone();
        let trader = self.traders[t].id.clone();
        if !erroneous {
            let body = serde_json::to_vec(&decl).expect("declaration serializes");
            return Synthetic {
                trader,
                lrn,
                body,
                expect: Expectation::Valid,
                fraud,
            };
        }
        let what = ERROR_KINDS[self.error_pick.sample(&mut self.rng)];
        let body = self.spoil(&mut decl, what);
        Synthetic {
            trader,
            lrn,
            body,
            expect: Expectation::Erroneous { what },
            fraud: None,
        }
    }

    fn next_lrn(&mut self) -> Lrn {
        self.counter += 1;
        Lrn::parse(&format!("{}-{}", self.lrn_prefix, base36(self.counter, 8)))
            .expect("generated LRN is well formed")
    }

    fn item_count(&mut self) -> u32 {
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
    fn build(&mut self, t: usize, fraud: Option<FraudKind>) -> (Declaration, Option<FraudKind>) {
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
        let undervalue = if fraud == Some(FraudKind::Undervaluation) {
            rng.gen_range(5.0..20.0)
        } else {
            1.0
        };
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

        let mut applied = fraud;
        match fraud {
            Some(FraudKind::Misclassification) => {
                let mut any = false;
                for item in &mut items {
                    let decoy = tr
                        .goods
                        .iter()
                        .find(|g| g.hs == item.hs_code)
                        .and_then(|g| g.decoy.clone());
                    if let Some(d) = decoy {
                        if !any || rng.gen_bool(0.5) {
                            item.hs_code = d;
                            any = true;
                        }
                    }
                }
                if !any {
                    // No decoy for these goods: undervalue instead (totals
                    // recomputed below).
                    let factor = Decimal::from(rng.gen_range(5i64..=20));
                    for item in &mut items {
                        item.item_price = (item.item_price / factor)
                            .round_dp(2)
                            .max(Decimal::new(1, 2));
                        item.customs_value = Some(item.item_price);
                    }
                    total_price = items.iter().map(|i| i.item_price).sum();
                    applied = Some(FraudKind::Undervaluation);
                }
            }
            Some(FraudKind::FalseOrigin) => {
                let partners: Vec<&str> = PREFERENTIAL_PARTNERS
                    .iter()
                    .copied()
                    .filter(|p| *p != first_origin.as_str())
                    .collect();
                let fake = cc(partners[rng.gen_range(0..partners.len())]);
                let certificate = format!(
                    "ST-1 {}{:07}",
                    fake.as_str(),
                    rng.gen_range(0..10_000_000u32)
                );
                for item in &mut items {
                    item.origin = fake.clone();
                    item.preferential_origin = Some(fake.clone());
                    item.documents
                        .retain(|d| d.type_code != self.doc_preference);
                    item.documents.push(DocumentRef {
                        type_code: self.doc_preference.clone(),
                        reference: certificate.clone(),
                        issued_on: Some(invoice_date),
                    });
                }
            }
            Some(FraudKind::Undervaluation) | None => {}
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

    /// Applies the mistake `what` to a valid declaration, at the JSON level.
    fn spoil(&mut self, decl: &mut Declaration, what: &'static str) -> Vec<u8> {
        let rng = &mut self.rng;
        let k = rng.gen_range(0..decl.items.len());
        match what {
            ERR_TRUNCATED => {
                let body = serde_json::to_vec(decl).expect("declaration serializes");
                let cut = rng.gen_range(1..body.len());
                return body[..cut].to_vec();
            }
            ERR_HUGE_STRING => {
                let base = decl.items[k].description.clone();
                let mut s = String::with_capacity(HUGE_STRING_BYTES + base.len() + 2);
                while s.len() < HUGE_STRING_BYTES {
                    s.push_str(&base);
                    s.push_str("; ");
                }
                decl.items[k].description = s;
                return serde_json::to_vec(decl).expect("declaration serializes");
            }
            _ => {}
        }
        let mut doc = serde_json::to_value(&*decl).expect("declaration serializes");
        let item = &mut doc["items"][k];
        match what {
            ERR_NET_MASS => {
                let gross = decl.items[k].gross_mass_kg;
                let gross_g = (gross * Decimal::from(1000)).to_i64().unwrap_or(1000);
                let extra = kg(rng.gen_range(1..=(gross_g / 2).max(2)));
                item["netMassKg"] = Value::String((gross + extra).to_string());
            }
            ERR_TOTAL_PACKAGES => {
                let total = decl.totals.packages;
                let wrong = if total > 1 && rng.gen_bool(0.4) {
                    total - rng.gen_range(1..total)
                } else {
                    total + rng.gen_range(1..=5)
                };
                doc["totals"]["packages"] = Value::from(wrong);
            }
            ERR_TOTAL_MASS => {
                let total = decl.totals.gross_mass_kg;
                // A forgotten item, a typo, or net instead of gross.
                let wrong = match rng.gen_range(0..3) {
                    0 if decl.items.len() > 1 => total - decl.items[k].gross_mass_kg,
                    1 => decl.items.iter().map(|i| i.net_mass_kg).sum(),
                    _ => total + kg(rng.gen_range(1..=100_000)),
                };
                doc["totals"]["grossMassKg"] = Value::String(wrong.to_string());
            }
            ERR_UNKNOWN_HS => {
                item["hsCode"] =
                    Value::String(self.unknown_hs[rng.gen_range(0..self.unknown_hs.len())].clone());
            }
            ERR_UNKNOWN_COUNTRY => {
                let bad = Value::String(if rng.gen_bool(0.7) { "XX" } else { "QZ" }.to_owned());
                if rng.gen_bool(0.7) {
                    item["origin"] = bad;
                } else {
                    doc["dispatchCountry"] = bad;
                }
            }
            ERR_MISSING_IMPORTER => {
                doc.as_object_mut().expect("object").remove("importer");
            }
            ERR_NEGATIVE_PRICE => {
                item["itemPrice"] = Value::String((-decl.items[k].item_price).to_string());
            }
            ERR_FUTURE_DATE => {
                let future = self.today + Duration::days(rng.gen_range(1..=30));
                let v = serde_json::to_value(future).expect("date serializes");
                doc["invoice"]["date"] = v.clone();
                doc["exchangeRateDate"] = v;
            }
            ERR_CURRENCY => {
                doc["invoice"]["currency"] = Value::String("ZZZ".to_owned());
            }
            // Control reads decimals given as JSON numbers, so the wrong
            // types are numbers for codes and strings for integers.
            ERR_WRONG_TYPE => match rng.gen_range(0..4) {
                0 => {
                    let code: u64 = decl.items[k].hs_code.as_str().parse().expect("digits");
                    item["hsCode"] = Value::from(code);
                }
                1 => item["sequence"] = Value::String(decl.items[k].sequence.to_string()),
                2 => {
                    item["packages"]["count"] =
                        Value::String(decl.items[k].packages.count.to_string());
                }
                _ => doc["totals"]["packages"] = Value::String(decl.totals.packages.to_string()),
            },
            other => unreachable!("unhandled error kind {other}"),
        }
        serde_json::to_vec(&doc).expect("value serializes")
    }
}

pub(crate) fn transport(
    rng: &mut ChaCha8Rng,
    mode: TransportMode,
    partner: &Partner,
) -> (Transport, DocumentRef) {
    let letter = |rng: &mut ChaCha8Rng| char::from(b'A' + rng.gen_range(0..26u8));
    let doc = |code: &str, reference: String| DocumentRef {
        type_code: DocumentTypeCode::parse(code).expect("built-in document type"),
        reference,
        issued_on: None,
    };
    match mode {
        TransportMode::Road => {
            let nat = match rng.gen_range(0..20) {
                0..=9 => "UZ",
                10..=16 => partner.code,
                _ => "KZ",
            };
            let plate = if nat == "UZ" {
                format!(
                    "{:02}{}{:03}{}{}",
                    rng.gen_range(1..=95),
                    letter(rng),
                    rng.gen_range(1..1000),
                    letter(rng),
                    letter(rng)
                )
            } else {
                format!(
                    "{}{}{:04}{}",
                    letter(rng),
                    letter(rng),
                    rng.gen_range(1..10000),
                    letter(rng)
                )
            };
            (
                Transport {
                    border_mode: mode,
                    inland_mode: None,
                    border_means_id: Some(plate),
                    border_means_nationality: Some(cc(nat)),
                    container: false,
                },
                doc(
                    "N730",
                    format!("CMR {}{:07}", partner.code, rng.gen_range(0..10_000_000u32)),
                ),
            )
        }
        TransportMode::Rail => {
            let nat = if rng.gen_bool(0.5) { "UZ" } else { "KZ" };
            let container = rng.gen_bool(0.5);
            (
                Transport {
                    border_mode: mode,
                    inland_mode: rng.gen_bool(0.3).then_some(TransportMode::Road),
                    border_means_id: Some(format!(
                        "{:08}",
                        rng.gen_range(20_000_000..99_999_999u32)
                    )),
                    border_means_nationality: Some(cc(nat)),
                    container,
                },
                doc(
                    "N720",
                    format!("SMGS {:08}", rng.gen_range(0..100_000_000u32)),
                ),
            )
        }
        TransportMode::Air => {
            let (airline, prefix, nat) = if rng.gen_bool(0.4) {
                ("HY", "250", "UZ")
            } else {
                (partner.airline.0, partner.airline.1, partner.code)
            };
            // Air waybill serial: 7 digits + check digit (mod 7).
            let serial = rng.gen_range(0..10_000_000u32);
            (
                Transport {
                    border_mode: mode,
                    inland_mode: Some(TransportMode::Road),
                    border_means_id: Some(format!("{airline}{}", rng.gen_range(100..10_000))),
                    border_means_nationality: Some(cc(nat)),
                    container: false,
                },
                doc("N740", format!("{prefix}-{serial:07}{}", serial % 7)),
            )
        }
        _ => {
            let scac = ["MAEU", "MSCU", "CMDU", "COSU", "HLCU"][rng.gen_range(0..5)];
            (
                Transport {
                    border_mode: TransportMode::Sea,
                    inland_mode: Some(if rng.gen_bool(0.6) {
                        TransportMode::Rail
                    } else {
                        TransportMode::Road
                    }),
                    border_means_id: Some(format!("IMO9{:06}", rng.gen_range(0..1_000_000u32))),
                    border_means_nationality: Some(
                        cc(SEA_FLAGS[rng.gen_range(0..SEA_FLAGS.len())]),
                    ),
                    container: true,
                },
                doc(
                    "N705",
                    format!("{scac}{:09}", rng.gen_range(0..1_000_000_000u32)),
                ),
            )
        }
    }
}

pub(crate) fn packages(rng: &mut ChaCha8Rng, hs: &HsCode, gross_kg: f64) -> Packages {
    let (kind, count) = if hs.heading() == "8703" {
        ("PK", (gross_kg / 1400.0).round().max(1.0))
    } else if gross_kg > 800.0 {
        ("PL", (gross_kg / rng.gen_range(300.0..900.0)).ceil())
    } else {
        let kind = ["CT", "CT", "BX", "PK"][rng.gen_range(0..4)];
        (kind, (gross_kg / rng.gen_range(5.0..25.0)).ceil())
    };
    Packages {
        kind: kind.to_owned(),
        count: (count as u32).clamp(1, 9999),
        marks: None,
    }
}

/// What the generator needs of a tariff, prepared once.
pub(crate) struct TariffView {
    /// Subheading → its usable national codes (absent: not subdivided).
    pub(crate) national: HashMap<String, Vec<HsCode>>,
    /// Declarable code → (supplementary unit, documents its restrictions
    /// require).
    pub(crate) needs: HashMap<String, (Option<String>, Vec<DocumentTypeCode>)>,
}

impl TariffView {
    fn new(t: &Tariff, date: Date) -> TariffView {
        use tamga_core::tariff::{
            ConditionAction, ConditionTest, ItemInput, MeasureKind, Quantity,
        };
        let mut national: HashMap<String, Vec<HsCode>> = HashMap::new();
        let mut needs = HashMap::new();
        let mut codes: Vec<&tamga_core::tariff::GoodsCode> = t
            .goods_codes()
            .filter(|g| g.validity.contains(date))
            .collect();
        codes.sort_by(|a, b| a.code.cmp(&b.code));
        for g in codes {
            let Ok(hs) = HsCode::parse(&g.code) else {
                continue;
            };
            let docs: Vec<String> = t
                .measures_for_code(&g.code)
                .filter(|m| m.kind == MeasureKind::Restriction && m.validity.contains(date))
                .filter_map(|m| {
                    m.conditions.iter().find_map(|c| match (&c.test, c.action) {
                        (ConditionTest::Document(d), ConditionAction::Apply) => Some(d.clone()),
                        _ => None,
                    })
                })
                .collect();
            let mut quantities = vec![
                Quantity::new("KGM", Decimal::ONE_HUNDRED),
                Quantity::new("KGMG", Decimal::ONE_HUNDRED),
            ];
            if let Some(u) = &g.supplementary_unit {
                quantities.push(Quantity::new(u, Decimal::ONE_HUNDRED));
            }
            let probe = ItemInput {
                goods_code: g.code.clone(),
                origin: "CN".into(),
                preferential_origin: None,
                customs_value: Decimal::from(100_000),
                currency: t.national_currency.clone(),
                quantities,
                date,
                additional_code: None,
                documents: docs.clone(),
            };
            if tamga_core::tariff::assess_item(t, &probe, &tamga_core::tariff::FullVolume).is_err()
            {
                continue;
            }
            let docs = docs
                .iter()
                .filter_map(|d| DocumentTypeCode::parse(d).ok())
                .collect();
            needs.insert(g.code.clone(), (g.supplementary_unit.clone(), docs));
            if !g.code.ends_with("0000") || g.code.len() != 10 {
                national.entry(g.code[..6].to_owned()).or_default().push(hs);
            }
        }
        TariffView { national, needs }
    }

    /// The declarable code for `hs` (itself, padded, or one of its usable
    /// national codes).
    fn declarable(&self, hs: &HsCode, pick: usize) -> Option<HsCode> {
        let code = hs.as_str();
        if self.needs.contains_key(code) {
            return Some(hs.clone());
        }
        if let Some(v) = code.get(..6).and_then(|s| self.national.get(s)) {
            return v.get(pick % v.len()).cloned();
        }
        let padded = format!("{code:0<10}");
        self.needs
            .contains_key(&padded)
            .then(|| HsCode::parse(&padded).ok())
            .flatten()
    }

    fn usable(&self, hs: &HsCode) -> bool {
        self.declarable(hs, 0).is_some()
    }

    fn complete(&self, item: &mut GoodsItem, rng: &mut ChaCha8Rng) {
        let Some(code) = self.declarable(&item.hs_code, rng.gen_range(0..64)) else {
            return;
        };
        let key = if self.needs.contains_key(code.as_str()) {
            code.as_str().to_owned()
        } else {
            format!("{:0<10}", code.as_str())
        };
        // Keep a 6-digit code that the tariff does not subdivide (it stands
        // for its padded form); otherwise declare the national code.
        if key != format!("{:0<10}", item.hs_code.as_str()) || item.hs_code.as_str().len() != 6 {
            item.hs_code = code;
        }
        if let Some((unit, docs)) = self.needs.get(&key) {
            if let Some(u) = unit {
                let q = match u.as_str() {
                    "NAR" | "NPR" | "NCL" => Decimal::from(item.packages.count.max(1)),
                    _ => item.net_mass_kg.round_dp(3).max(Decimal::new(1, 3)),
                };
                item.supplementary_units = Some(q);
            }
            for d in docs {
                if !item.documents.iter().any(|x| &x.type_code == d) {
                    item.documents.push(DocumentRef {
                        type_code: d.clone(),
                        reference: format!(
                            "{}-{:08}",
                            d.as_str(),
                            rng.gen_range(0..100_000_000u32)
                        ),
                        issued_on: None,
                    });
                }
            }
        }
    }
}
