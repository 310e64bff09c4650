//! The mistakes of erroneous declarations: each of [`ERROR_KINDS`] applied
//! to a valid declaration, at the JSON level, so that format-logical
//! control must reject it.

use rand::Rng;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde_json::Value;
use time::Duration;

use tamga_core::declaration::Declaration;

use super::{kg, Generator};
use crate::profile::*;

impl Generator {
    /// Applies the mistake `what` to a valid declaration, at the JSON level.
    pub(super) fn spoil(&mut self, decl: &mut Declaration, what: &'static str) -> Vec<u8> {
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
