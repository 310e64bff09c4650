//! Measurement units: every unit and compound unit of the UK Trade Tariff's
//! `measurement_units.json` (TARIC3 codes + qualifiers), and how a quantity
//! for a unit is found among the quantities declared for a goods item.
//!
//! A unit is named by its *key*: the TARIC measurement unit code followed by
//! its qualifier, if any (`DTN`, `DTNE`, `ASVX`, `SPQLPA`).
//!
//! Resolution of the quantity for a unit key, first rule that applies:
//! 1. a quantity declared under exactly that key (a compound unit too: a
//!    trader may declare `ASVX` = 1,000 % vol × hl directly);
//! 2. a **compound** unit (`ASVX` = `ASV` × `HLT`, `DTNZ` = `DTN` × `BRX`,
//!    `SPQLPA` = `SPR` × `LPA`, `SPQLTR` = `SPR` × `ASV` × `HLT`, and `SPQ`
//!    without qualifier = `SPR` × `LPA`) is the product of the quantities of
//!    its parts, each resolved by these same rules (so `HLT` may come from
//!    `LTR`);
//! 3. for a unit with a multiplier, a quantity declared in its base unit
//!    times the multiplier: `DTN` from `KGM` × 0.01, `TNE` from `KGM` ×
//!    0.001, `HLT` from `LTR` × 0.01, `KLT` from `LTR` × 0.001, `CEN` from
//!    `NAR` × 0.01, `MIL` from `NAR` × 0.001, `MPR` from `NPR` × 0.001. A
//!    qualified unit coerces only from the base unit with the *same*
//!    qualifier (`DTNE` from `KGME`, never from plain `KGM`).
//!
//! Otherwise the quantity is missing.

use rust_decimal::Decimal;

pub use super::units_table::UNITS as ALL_UNITS;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitKind {
    Weight,
    Volume,
    Number,
    Pairs,
    Length,
    Money,
    Percentage,
    Discount,
    Compound,
}

#[derive(Debug, PartialEq, Eq)]
pub struct UnitDef {
    pub key: &'static str,
    pub code: &'static str,
    pub qualifier: &'static str,
    pub abbreviation: &'static str,
    /// Multiplier applied to a quantity declared in `coerced_from`.
    pub multiplier: Option<&'static str>,
    pub coerced_from: Option<&'static str>,
    pub compound: &'static [&'static str],
    pub kind: UnitKind,
}

/// Looks a unit up by key (case-insensitive).
pub fn unit(key: &str) -> Option<&'static UnitDef> {
    ALL_UNITS.iter().find(|u| u.key.eq_ignore_ascii_case(key))
}

/// A declared quantity: a unit key and a value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Quantity {
    pub unit: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub value: Decimal,
}

impl Quantity {
    pub fn new(unit: &str, value: Decimal) -> Self {
        Self {
            unit: unit.to_ascii_uppercase(),
            value,
        }
    }
}

fn direct(qs: &[Quantity], key: &str) -> Option<Decimal> {
    qs.iter()
        .find(|q| q.unit.eq_ignore_ascii_case(key))
        .map(|q| q.value)
}

/// The quantity for `u` among `qs`, following the rules in the module doc.
/// `None` if it is missing (or the product overflows).
pub fn resolve(u: &UnitDef, qs: &[Quantity]) -> Option<Decimal> {
    if let Some(v) = direct(qs, u.key) {
        return Some(v);
    }
    if !u.compound.is_empty() {
        let mut acc = Decimal::ONE;
        for part in u.compound {
            let pu = unit(part)?;
            acc = acc.checked_mul(resolve(pu, qs)?)?;
        }
        return Some(acc);
    }
    if let (Some(m), Some(from)) = (u.multiplier, u.coerced_from) {
        let base_key = format!("{from}{}", u.qualifier);
        if let Some(v) = direct(qs, &base_key) {
            let m: Decimal = m.parse().ok()?;
            return v.checked_mul(m);
        }
    }
    None
}

/// Why the quantity for `u` cannot be found among `qs`: the units that
/// are missing, innermost first (for `ASVX` with only `LTR` declared:
/// `[ASV]`; with nothing declared: `[ASV, HLT]`). Empty when the quantity
/// resolves (or only the product overflows).
pub fn missing_parts(u: &'static UnitDef, qs: &[Quantity]) -> Vec<&'static UnitDef> {
    if resolve(u, qs).is_some() {
        return Vec::new();
    }
    if u.compound.is_empty() {
        return vec![u];
    }
    let mut out = Vec::new();
    for part in u.compound {
        match unit(part) {
            Some(pu) => out.extend(missing_parts(pu, qs)),
            None => return vec![u],
        }
    }
    out
}

/// How a unit is declared, for error messages: `HLT (hl, or LTR × 0.01)`,
/// `ASVX (% vol/hl = ASV × HLT)`.
pub fn describe(u: &UnitDef) -> String {
    let mut s = format!("{} ({}", u.key, u.abbreviation);
    if !u.compound.is_empty() {
        s.push_str(" = ");
        s.push_str(&u.compound.join(" × "));
    }
    if let (Some(m), Some(from)) = (u.multiplier, u.coerced_from) {
        s.push_str(&format!(", or {from}{} × {m}", u.qualifier));
    }
    s.push(')');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn every_unit_of_the_uk_list_is_known_with_its_compound_parts() {
        assert_eq!(ALL_UNITS.len(), 72);
        for u in ALL_UNITS {
            for p in u.compound {
                assert!(unit(p).is_some(), "{} part {p}", u.key);
            }
            if let Some(m) = u.multiplier {
                assert!(m.parse::<Decimal>().is_ok());
            }
        }
        assert_eq!(unit("asvx").unwrap().compound, &["ASV", "HLT"]);
    }

    #[test]
    fn coercion_and_compounds() {
        let qs = vec![
            Quantity::new("KGM", d("250")),
            Quantity::new("LTR", d("45")),
            Quantity::new("ASV", d("40")),
            Quantity::new("NAR", d("2000")),
            Quantity::new("LPA", d("34.9")),
            Quantity::new("SPR", d("5")),
            Quantity::new("BRX", d("12")),
            Quantity::new("KGME", d("80")),
        ];
        let r = |k: &str| resolve(unit(k).unwrap(), &qs);
        assert_eq!(r("DTN"), Some(d("2.50")));
        assert_eq!(r("TNE"), Some(d("0.250")));
        assert_eq!(r("HLT"), Some(d("0.45")));
        assert_eq!(r("ASVX"), Some(d("18.00")));
        assert_eq!(r("MIL"), Some(d("2.000")));
        assert_eq!(r("CEN"), Some(d("20.00")));
        assert_eq!(r("SPQLPA"), Some(d("174.5")));
        assert_eq!(r("SPQ"), Some(d("174.5")));
        assert_eq!(r("SPQLTR"), Some(d("90.00")));
        assert_eq!(r("DTNZ"), Some(d("30.00")));
        assert_eq!(r("DTNE"), Some(d("0.80")));
        // a qualified unit never falls back to the unqualified base
        assert_eq!(r("DTNG"), None);
        assert_eq!(r("MPR"), None);
    }

    #[test]
    fn a_compound_unit_is_declared_directly_or_by_its_parts() {
        let asvx = unit("ASVX").unwrap();
        // 40 % vol × 2.5 hl = 100 % vol × hl
        let parts = [
            Quantity::new("ASV", d("40")),
            Quantity::new("HLT", d("2.5")),
        ];
        assert_eq!(resolve(asvx, &parts), Some(d("100.0")));
        // hl from litres: 40 × (250 l × 0.01 = 2.50 hl) = 100.00
        let litres = [
            Quantity::new("ASV", d("40")),
            Quantity::new("LTR", d("250")),
        ];
        assert_eq!(resolve(asvx, &litres), Some(d("100.00")));
        // declared in the compound unit itself: taken as is, before the parts
        let direct = [
            Quantity::new("ASVX", d("75")),
            Quantity::new("ASV", d("40")),
            Quantity::new("HLT", d("2.5")),
        ];
        assert_eq!(resolve(asvx, &direct), Some(d("75")));
        assert!(missing_parts(asvx, &direct).is_empty());
        // what is missing, by part
        let keys = |qs: &[Quantity]| -> Vec<&str> {
            missing_parts(asvx, qs).iter().map(|u| u.key).collect()
        };
        assert_eq!(keys(&[Quantity::new("LTR", d("250"))]), ["ASV"]);
        assert_eq!(keys(&[Quantity::new("ASV", d("40"))]), ["HLT"]);
        assert_eq!(keys(&[]), ["ASV", "HLT"]);
        assert_eq!(describe(asvx), "ASVX (% vol/hl = ASV × HLT)");
        assert_eq!(describe(unit("HLT").unwrap()), "HLT (hl, or LTR × 0.01)");
        assert_eq!(
            describe(unit("DTNE").unwrap()),
            "DTNE (100 kg/net eda, or KGME × 0.01)"
        );
    }
}
