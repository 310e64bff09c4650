//! Leakage-free features.
//!
//! The features of a declaration come only from declarations dated
//! strictly before it: [`Encoder::fit_transform`] walks the training rows
//! day by day, encodes a day's rows with what the days before taught, and
//! only then learns from them. The encoder that comes out holds what the
//! whole training period taught, and encodes later declarations with it.
//!
//! Per group (an attribute such as the importer, the HS code at 2, 4 and 6
//! digits, or a pair such as importer × HS code):
//! - `<group>.rate`: the share of its inspected declarations that were
//!   fraudulent, smoothed toward the overall share (`m` pseudo-declarations);
//! - `<group>.seen`: `ln(1 + inspected declarations)`.
//!
//! And value ratios: the duty rate, `ln` of price, mass, price per kg and
//! duty amount, and how far the price per kg lies from the mean (in `ln`)
//! of the same HS subheading before.

use serde::{Deserialize, Serialize};

use crate::record::{Attribute, Record};

mod table;

use table::{carry, finish, start, Name, Table};

/// Pseudo-declarations of smoothing toward the overall fraud share.
const SMOOTHING: f64 = 10.0;

/// What a group is keyed by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Key {
    Attr(Attribute),
    /// The HS code's first 2 or 4 digits.
    Hs(usize),
    Pair(Attribute, Attribute),
}

impl Key {
    fn name(self) -> String {
        match self {
            Key::Attr(a) => a.name().to_owned(),
            Key::Hs(d) => format!("hs{d}"),
            Key::Pair(a, b) => format!("{}×{}", a.name(), b.name()),
        }
    }

    /// The record's name for this key and its hash key; `None` when a
    /// part is absent.
    #[inline]
    fn lookup<'a>(self, r: &'a Record, h: &Hashes) -> Option<(u64, Name<'a>)> {
        match self {
            Key::Attr(a) => {
                let i = a as usize;
                h.attrs[i].map(|s| (finish(s), Name::One(cat(r, i))))
            }
            Key::Hs(d) => {
                let hs = cat(r, Attribute::Hs6 as usize);
                let state = match d {
                    2 => h.hs2,
                    4 => h.hs4,
                    _ => hs
                        .get(..d)
                        .filter(|p| !p.is_empty())
                        .map(|p| start(p.as_bytes())),
                }?;
                Some((finish(state), Name::One(&hs[..d])))
            }
            Key::Pair(a, b) => {
                let (i, j) = (a as usize, b as usize);
                let x = h.attrs[i]?;
                h.attrs[j]?;
                let y = cat(r, j);
                let state = carry(carry(x, b"|"), y.as_bytes());
                Some((finish(state), Name::Pair(cat(r, i), y)))
            }
        }
    }
}

/// The record's value of the attribute at `i` ("" when absent).
#[inline]
fn cat(r: &Record, i: usize) -> &str {
    r.cats.get(i).map_or("", String::as_str)
}

/// A record's attributes hashed once (FNV states; `None` when absent).
struct Hashes {
    attrs: [Option<u64>; Attribute::ALL.len()],
    hs2: Option<u64>,
    hs4: Option<u64>,
}

impl Hashes {
    #[inline]
    fn of(r: &Record) -> Hashes {
        let mut attrs = [None; Attribute::ALL.len()];
        for (i, h) in attrs.iter_mut().enumerate() {
            let v = cat(r, i);
            if !v.is_empty() {
                *h = Some(start(v.as_bytes()));
            }
        }
        let hs = cat(r, Attribute::Hs6 as usize);
        let prefix = |d: usize| hs.get(..d).map(|p| start(p.as_bytes()));
        Hashes {
            attrs,
            hs2: prefix(2),
            hs4: prefix(4),
        }
    }
}

/// The groups the encoder keeps, in feature order.
fn keys() -> Vec<Key> {
    let mut keys: Vec<Key> = Attribute::ALL.iter().map(|a| Key::Attr(*a)).collect();
    keys.push(Key::Hs(2));
    keys.push(Key::Hs(4));
    keys.extend([
        Key::Pair(Attribute::Importer, Attribute::Hs6),
        Key::Pair(Attribute::Declarant, Attribute::Importer),
        Key::Pair(Attribute::Hs6, Attribute::Origin),
        Key::Pair(Attribute::Importer, Attribute::Seller),
        Key::Pair(Attribute::Office, Attribute::Hs6),
    ]);
    keys
}

const VALUE_FEATURES: [&str; 6] = [
    "tax_rate",
    "ln_price",
    "ln_mass",
    "ln_price_per_kg",
    "ln_tax",
    "price_per_kg_vs_hs6",
];

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
struct Stat {
    n: u32,
    frauds: u32,
}

/// A group value's counts, with `ln(1 + n)` kept (saved as [`Stat`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "Stat", into = "Stat")]
struct Counted {
    stat: Stat,
    seen: f64,
}

impl From<Stat> for Counted {
    fn from(stat: Stat) -> Counted {
        Counted {
            stat,
            seen: f64::from(stat.n).ln_1p(),
        }
    }
}

impl From<Counted> for Stat {
    fn from(c: Counted) -> Stat {
        c.stat
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
struct Mean {
    n: u32,
    sum: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Group {
    key: Key,
    /// Found by hash, written sorted by name (a model's bytes are the same
    /// for the same data).
    table: Table<Counted>,
}

/// The encoder: what the declarations it learnt from revealed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Encoder {
    overall: Stat,
    groups: Vec<Group>,
    /// Mean `ln(price per kg)` per HS subheading.
    hs6_price: Table<Mean>,
}

impl Default for Encoder {
    fn default() -> Self {
        Encoder {
            overall: Stat::default(),
            groups: keys()
                .into_iter()
                .map(|key| Group {
                    key,
                    table: Table::default(),
                })
                .collect(),
            hs6_price: Table::default(),
        }
    }
}

fn ln(v: Option<f64>) -> f64 {
    match v {
        Some(v) if v > 0.0 => v.ln(),
        Some(_) => 0.0,
        None => f64::NAN,
    }
}

impl Encoder {
    /// The feature names, in the order of [`Encoder::encode`].
    pub fn feature_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        for g in &self.groups {
            names.push(format!("{}.rate", g.key.name()));
            names.push(format!("{}.seen", g.key.name()));
        }
        names.extend(VALUE_FEATURES.iter().map(|s| s.to_string()));
        names
    }

    /// Inspected declarations learnt from, and how many were fraudulent.
    pub fn learnt(&self) -> (u32, u32) {
        (self.overall.n, self.overall.frauds)
    }

    fn prior(&self) -> f64 {
        (self.overall.frauds as f64 + 0.5) / (self.overall.n as f64 + 1.0)
    }

    /// Appends the record's features to `out`.
    pub fn encode(&self, r: &Record, out: &mut Vec<f64>) {
        let prior = self.prior();
        let h = Hashes::of(r);
        let unseen = [prior, 0.0];
        for g in &self.groups {
            out.extend(match g.key.lookup(r, &h) {
                None => [f64::NAN, f64::NAN],
                Some((key, name)) => match g.table.get(key, name) {
                    None => unseen,
                    Some(c) => {
                        let s = c.stat;
                        let rate = (f64::from(s.frauds) + SMOOTHING * prior)
                            / (f64::from(s.n) + SMOOTHING);
                        [rate, c.seen]
                    }
                },
            });
        }
        let per_kg = r.unit_value_per_kg();
        let tax = match (r.item_price, r.tax_rate) {
            (Some(p), Some(t)) => Some(p * t / 100.0),
            _ => None,
        };
        let hs6 = Attribute::Hs6 as usize;
        let mean = h.attrs[hs6].and_then(|s| self.hs6_price.get(finish(s), Name::One(cat(r, hs6))));
        let vs_hs6 = match (per_kg, mean) {
            (Some(v), Some(m)) if m.n > 0 && v > 0.0 => v.ln() - m.sum / m.n as f64,
            _ => f64::NAN,
        };
        out.extend([
            r.tax_rate.unwrap_or(f64::NAN),
            ln(r.item_price),
            ln(r.net_mass_kg),
            ln(per_kg),
            ln(tax),
            vs_hs6,
        ]);
    }

    /// Learns from one record: its value always, its label if inspected.
    pub fn learn(&mut self, r: &Record) {
        let h = Hashes::of(r);
        let hs6 = Attribute::Hs6 as usize;
        if let (Some(v), Some(s)) = (r.unit_value_per_kg().filter(|v| *v > 0.0), h.attrs[hs6]) {
            let m = self.hs6_price.entry(finish(s), Name::One(cat(r, hs6)));
            m.n += 1;
            m.sum += v.ln();
        }
        let Some(fraud) = r.label else { return };
        self.overall.n += 1;
        self.overall.frauds += u32::from(fraud);
        for g in &mut self.groups {
            if let Some((key, name)) = g.key.lookup(r, &h) {
                let c = g.table.entry(key, name);
                c.stat.n += 1;
                c.stat.frauds += u32::from(fraud);
                c.seen = f64::from(c.stat.n).ln_1p();
            }
        }
    }

    /// Encodes `records` in date order, each day with only what the days
    /// before taught, learning from each day after encoding it. Returns
    /// the encoder that learnt from them all and the features
    /// column-major (`features[col * rows + row]`, rows in input order).
    pub fn fit_transform(records: &[Record]) -> (Encoder, Vec<f64>) {
        let mut enc = Encoder::default();
        let cols = enc.feature_names().len();
        let rows = records.len();
        let mut order: Vec<usize> = (0..rows).collect();
        order.sort_by_key(|i| records[*i].date);
        let mut data = vec![f64::NAN; cols * rows];
        let mut row = Vec::with_capacity(cols);
        let mut start = 0;
        while start < order.len() {
            let day = records[order[start]].date;
            let end = start
                + order[start..]
                    .iter()
                    .take_while(|i| records[**i].date == day)
                    .count();
            for &i in &order[start..end] {
                row.clear();
                enc.encode(&records[i], &mut row);
                for (c, v) in row.iter().enumerate() {
                    data[c * rows + i] = *v;
                }
            }
            for &i in &order[start..end] {
                enc.learn(&records[i]);
            }
            start = end;
        }
        (enc, data)
    }

    /// The features of `records` with this encoder, column-major.
    pub fn transform(&self, records: &[Record]) -> Vec<f64> {
        let cols = self.feature_names().len();
        let rows = records.len();
        let mut data = vec![f64::NAN; cols * rows];
        let mut row = Vec::with_capacity(cols);
        for (i, r) in records.iter().enumerate() {
            row.clear();
            self.encode(r, &mut row);
            for (c, v) in row.iter().enumerate() {
                data[c * rows + i] = *v;
            }
        }
        data
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn rec(id: &str, day: time::Date, importer: &str, fraud: bool) -> Record {
        let mut cats = vec![String::new(); Attribute::ALL.len()];
        cats[Attribute::Importer.index()] = importer.to_owned();
        cats[Attribute::Hs6.index()] = "440890".to_owned();
        Record {
            id: id.to_owned(),
            date: day,
            cats,
            net_mass_kg: Some(10.0),
            item_price: Some(100.0),
            tax_rate: Some(8.0),
            label: Some(fraud),
            revenue: None,
        }
    }

    fn col(enc: &Encoder, name: &str) -> usize {
        enc.feature_names().iter().position(|n| n == name).unwrap()
    }

    #[test]
    fn an_attribute_is_found_at_its_index() {
        for a in Attribute::ALL {
            assert_eq!(a as usize, a.index());
        }
    }

    #[test]
    fn a_declaration_sees_only_earlier_days() {
        let records = vec![
            rec("a", date!(2020 - 01 - 02), "X", true),
            rec("b", date!(2020 - 01 - 01), "X", true),
            rec("c", date!(2020 - 01 - 02), "X", false),
            rec("d", date!(2020 - 01 - 03), "X", false),
        ];
        let (enc, data) = Encoder::fit_transform(&records);
        let rows = records.len();
        let seen = col(&enc, "importer.seen");
        let at = |row: usize| data[seen * rows + row];
        // b (day 1) saw nothing; a and c (day 2) saw b only, not each other;
        // d (day 3) saw b, a and c.
        assert_eq!(at(1), 0.0);
        assert_eq!(at(0), 1f64.ln_1p());
        assert_eq!(at(2), 1f64.ln_1p());
        assert_eq!(at(3), 3f64.ln_1p());
        // The rate of a and c does not know their own labels.
        let rate = col(&enc, "importer.rate");
        assert_eq!(data[rate * rows], data[rate * rows + 2]);
        // Learnt from all four.
        assert_eq!(enc.learnt(), (4, 2));
    }

    #[test]
    fn fraud_history_raises_the_rate_and_unseen_values_get_the_prior() {
        let mut records: Vec<Record> = (0..20)
            .map(|i| rec(&i.to_string(), date!(2020 - 01 - 01), "BAD", true))
            .collect();
        records
            .extend((0..20).map(|i| rec(&format!("g{i}"), date!(2020 - 01 - 01), "GOOD", false)));
        let (enc, _) = Encoder::fit_transform(&records);
        let later = [
            rec("x", date!(2020 - 02 - 01), "BAD", false),
            rec("y", date!(2020 - 02 - 01), "GOOD", false),
            rec("z", date!(2020 - 02 - 01), "NEW", false),
        ];
        let data = enc.transform(&later);
        let rate = col(&enc, "importer.rate");
        let (bad, good, new) = (data[rate * 3], data[rate * 3 + 1], data[rate * 3 + 2]);
        assert!(bad > new && new > good, "{bad} {new} {good}");
        assert!((new - 0.5).abs() < 0.02, "unseen: the overall share, {new}");
        // A missing attribute is missing, not zero.
        let seller = col(&enc, "seller.rate");
        assert!(data[seller * 3].is_nan());
    }

    #[test]
    fn value_ratios_compare_with_the_subheading_before() {
        let (enc, _) = Encoder::fit_transform(&[rec("a", date!(2020 - 01 - 01), "X", false)]);
        let mut cheap = rec("b", date!(2020 - 02 - 01), "X", false);
        cheap.item_price = Some(10.0); // 1 per kg against 10 before
        let mut row = Vec::new();
        enc.encode(&cheap, &mut row);
        let v = row[col(&enc, "price_per_kg_vs_hs6")];
        assert!((v - (0.1f64).ln()).abs() < 1e-12, "{v}");
        assert!((row[col(&enc, "ln_tax")] - 0.8f64.ln()).abs() < 1e-12);
    }
}
