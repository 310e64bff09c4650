//! The [`Generator`]: a deterministic stream of synthetic declarations,
//! valid, erroneous or fraudulent.
//!
//! This module holds the generator's state (traders, goods, the stream's
//! counters), its construction and validation from a [`GeneratorConfig`],
//! the stream itself ([`Generator::next`]) and the small numeric helpers
//! its parts share. The parts: `build` (a valid declaration), `frauds`
//! (the fraud injections), `spoil` (the mistakes of erroneous ones),
//! `transport` (means of transport, transport documents and packages) and
//! `tariff` (declaring goods as a tariff needs them).

mod build;
mod frauds;
mod spoil;
mod tariff;
mod transport;

use std::collections::{HashMap, HashSet};

use rand::distributions::{Distribution, WeightedIndex};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::LogNormal;
use rust_decimal::Decimal;
use time::Date;

use tamga_core::codes::{
    AdditionalProcedureCode, CountryCode, DocumentTypeCode, Eori, HsCode, OfficeCode, ProcedureCode,
};
use tamga_core::declaration::{GoodsItem, Party};
use tamga_core::reference::ReferenceBundle;
use tamga_core::tariff::Tariff;

use crate::knowledge::{usd_per_kg, DECOYS, PROOF_OF_ORIGIN};
use crate::mutate::UNKNOWN_HS6;
use crate::profile::*;

use tariff::TariffView;

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
}
