//! The fraud injections: how a valid declaration is made plausibly wrong
//! (undervalued prices, a lower-duty decoy code, a false preferential
//! origin) while it still passes format-logical control.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use time::Date;

use tamga_core::codes::{CountryCode, DocumentTypeCode};
use tamga_core::declaration::{DocumentRef, GoodsItem};

use super::Goods;
use crate::identities::cc;
use crate::knowledge::PREFERENTIAL_PARTNERS;
use crate::profile::FraudKind;

/// What the items' prices are divided by: a draw for undervaluation, 1
/// otherwise. Drawn before the items.
pub(super) fn undervaluation_divisor(rng: &mut ChaCha8Rng, fraud: Option<FraudKind>) -> f64 {
    if fraud == Some(FraudKind::Undervaluation) {
        rng.gen_range(5.0..20.0)
    } else {
        1.0
    }
}

/// Applies `fraud` to the items of a valid declaration (undervaluation is
/// already in their prices, see [`undervaluation_divisor`]); returns the
/// fraud actually applied: misclassification falls back to undervaluation
/// when none of the goods has a decoy, and then the items' prices change.
pub(super) fn inject(
    rng: &mut ChaCha8Rng,
    fraud: Option<FraudKind>,
    goods: &[Goods],
    items: &mut [GoodsItem],
    first_origin: &CountryCode,
    invoice_date: Date,
    doc_preference: &DocumentTypeCode,
) -> Option<FraudKind> {
    match fraud {
        Some(FraudKind::Misclassification) => {
            if misclassify(rng, goods, items) {
                fraud
            } else {
                // No decoy for these goods: undervalue instead.
                undervalue(rng, items);
                Some(FraudKind::Undervaluation)
            }
        }
        Some(FraudKind::FalseOrigin) => {
            false_origin(rng, items, first_origin, invoice_date, doc_preference);
            fraud
        }
        Some(FraudKind::Undervaluation) | None => fraud,
    }
}

/// Declares goods under their lower-duty decoy: the first item that has
/// one, then each further one at even odds. False when no item has a decoy.
fn misclassify(rng: &mut ChaCha8Rng, goods: &[Goods], items: &mut [GoodsItem]) -> bool {
    let mut any = false;
    for item in items {
        let decoy = goods
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
    any
}

/// Divides every item's price (and customs value) by 5 to 20.
fn undervalue(rng: &mut ChaCha8Rng, items: &mut [GoodsItem]) {
    let factor = Decimal::from(rng.gen_range(5i64..=20));
    for item in items {
        item.item_price = (item.item_price / factor)
            .round_dp(2)
            .max(Decimal::new(1, 2));
        item.customs_value = Some(item.item_price);
    }
}

/// Declares every item as originating in another preferential partner,
/// with a (false) proof of origin replacing any genuine one.
fn false_origin(
    rng: &mut ChaCha8Rng,
    items: &mut [GoodsItem],
    first_origin: &CountryCode,
    invoice_date: Date,
    doc_preference: &DocumentTypeCode,
) {
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
    for item in items {
        item.origin = fake.clone();
        item.preferential_origin = Some(fake.clone());
        item.documents.retain(|d| d.type_code != *doc_preference);
        item.documents.push(DocumentRef {
            type_code: doc_preference.clone(),
            reference: certificate.clone(),
            issued_on: Some(invoice_date),
        });
    }
}
