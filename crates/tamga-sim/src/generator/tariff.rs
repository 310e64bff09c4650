//! Declaring goods as a tariff needs them: the [`TariffView`] prepared once
//! from a tariff (usable national codes, supplementary units, documents its
//! restrictions require) and the completion of a goods item with them.

use std::collections::HashMap;

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use time::Date;

use tamga_core::codes::{DocumentTypeCode, HsCode};
use tamga_core::declaration::{DocumentRef, GoodsItem};
use tamga_core::tariff::Tariff;

/// What the generator needs of a tariff, prepared once.
pub(crate) struct TariffView {
    /// Subheading → its usable national codes (absent: not subdivided).
    pub(crate) national: HashMap<String, Vec<HsCode>>,
    /// Declarable code → (supplementary unit, documents its restrictions
    /// require).
    pub(crate) needs: HashMap<String, (Option<String>, Vec<DocumentTypeCode>)>,
}

impl TariffView {
    pub(super) fn new(t: &Tariff, date: Date) -> TariffView {
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
    pub(super) fn declarable(&self, hs: &HsCode, pick: usize) -> Option<HsCode> {
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

    pub(super) fn usable(&self, hs: &HsCode) -> bool {
        self.declarable(hs, 0).is_some()
    }

    pub(super) fn complete(&self, item: &mut GoodsItem, rng: &mut ChaCha8Rng) {
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
