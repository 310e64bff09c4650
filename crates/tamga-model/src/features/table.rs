//! The encoder's tables: values keyed by a name (an importer, an HS code,
//! a pair `x|y`), found by a 64-bit hash of the name that a record's
//! attributes give without building any string.
//!
//! The hash is FNV-1a over the name's bytes, which can be carried on: the
//! hash of `x|y` continues the hash of `x` with `|` and `y`, so a record's
//! attributes are hashed once and its pairs cost only their second half.
//! A murmur finaliser spreads the bits before the map sees them. A hit is
//! confirmed by comparing the name, so a collision never mixes two values:
//! a name whose hash an earlier name holds lives in a small overflow map
//! keyed by the name itself.
//!
//! A table is saved as a map from name to value, sorted by name: the same
//! bytes as the string-keyed maps before it.

use std::collections::{BTreeMap, HashMap};

use rustc_hash::FxBuildHasher;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// The FNV-1a state after `bytes`, carried on from `state`.
#[inline]
pub fn carry(mut state: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        state ^= u64::from(*b);
        state = state.wrapping_mul(FNV_PRIME);
    }
    state
}

/// The FNV-1a state of `bytes` from the start.
#[inline]
pub fn start(bytes: &[u8]) -> u64 {
    carry(FNV_OFFSET, bytes)
}

/// The key of an FNV state (murmur3's 64-bit finaliser).
#[inline]
pub fn finish(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// A name as a record gives it: one value, or a pair written `x|y`.
#[derive(Clone, Copy, Debug)]
pub enum Name<'a> {
    One(&'a str),
    Pair(&'a str, &'a str),
}

impl Name<'_> {
    /// Whether this is the stored name.
    #[inline]
    fn is(&self, stored: &Stored) -> bool {
        let (x, y) = match *self {
            Name::One(x) => (x.as_bytes(), None),
            Name::Pair(x, y) => (x.as_bytes(), Some(y.as_bytes())),
        };
        let len = x.len() + y.map_or(0, |y| 1 + y.len());
        if len != stored.name.len() {
            return false;
        }
        if len > HEAD {
            return match *self {
                Name::One(x) => x == &*stored.name,
                Name::Pair(x, y) => {
                    let n = stored.name.as_bytes();
                    n.starts_with(x.as_bytes()) && n[x.len()] == b'|' && n.ends_with(y.as_bytes())
                }
            };
        }
        // Short names are compared with the copy kept beside the hash,
        // without reaching for the string.
        let pair = y.map(|y| (b'|', y));
        let bytes = x
            .iter()
            .copied()
            .chain(pair.iter().map(|p| p.0))
            .chain(pair.iter().flat_map(|p| p.1.iter().copied()));
        bytes.zip(stored.head).all(|(a, b)| a == b)
    }

    fn to_owned_string(self) -> String {
        match self {
            Name::One(x) => x.to_owned(),
            Name::Pair(x, y) => format!("{x}|{y}"),
        }
    }
}

/// Bytes of a name kept beside its hash.
const HEAD: usize = 16;

/// A stored name, its first bytes at hand.
#[derive(Clone, Debug)]
struct Stored {
    head: [u8; HEAD],
    name: Box<str>,
}

impl Stored {
    fn new(name: String) -> Stored {
        let mut head = [0; HEAD];
        let n = name.len().min(HEAD);
        head[..n].copy_from_slice(&name.as_bytes()[..n]);
        Stored {
            head,
            name: name.into(),
        }
    }
}

/// Values by name, found by the name's hash.
#[derive(Clone, Debug)]
pub struct Table<V> {
    map: HashMap<u64, (Stored, V), FxBuildHasher>,
    /// Names whose hash an earlier name holds.
    overflow: HashMap<String, V>,
}

impl<V> Default for Table<V> {
    fn default() -> Self {
        Table {
            map: HashMap::default(),
            overflow: HashMap::new(),
        }
    }
}

impl<V> Table<V> {
    /// The value of `name`, whose key ([`finish`] of its FNV state) is `key`.
    #[inline]
    pub fn get(&self, key: u64, name: Name) -> Option<&V> {
        match self.map.get(&key) {
            Some((n, v)) if name.is(n) => Some(v),
            Some(_) if !self.overflow.is_empty() => self.overflow.get(&name.to_owned_string()),
            _ => None,
        }
    }

    /// The value of `name`, inserted as `V::default()` if absent.
    pub fn entry(&mut self, key: u64, name: Name) -> &mut V
    where
        V: Default,
    {
        use std::collections::hash_map::Entry;
        match self.map.entry(key) {
            Entry::Vacant(e) => {
                &mut e
                    .insert((Stored::new(name.to_owned_string()), V::default()))
                    .1
            }
            Entry::Occupied(e) => {
                if name.is(&e.get().0) {
                    &mut e.into_mut().1
                } else {
                    self.overflow.entry(name.to_owned_string()).or_default()
                }
            }
        }
    }

    fn insert(&mut self, name: String, value: V) {
        use std::collections::hash_map::Entry;
        match self.map.entry(finish(start(name.as_bytes()))) {
            Entry::Vacant(e) => {
                e.insert((Stored::new(name), value));
            }
            Entry::Occupied(_) => {
                self.overflow.insert(name, value);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.map.len() + self.overflow.len()
    }

    /// Every name and value, sorted by name.
    fn sorted(&self) -> BTreeMap<&str, &V> {
        self.map
            .values()
            .map(|(n, v)| (&*n.name, v))
            .chain(self.overflow.iter().map(|(n, v)| (n.as_str(), v)))
            .collect()
    }
}

impl<V: PartialEq> PartialEq for Table<V> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.sorted() == other.sorted()
    }
}

impl<V: Serialize> Serialize for Table<V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.sorted().serialize(s)
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Table<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let entries = HashMap::<String, V>::deserialize(d)?;
        let mut table = Table::default();
        for (name, value) in entries {
            table.insert(name, value);
        }
        Ok(table)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_hashes_as_its_written_name() {
        let x = carry(start(b"IMP1"), b"|");
        assert_eq!(carry(x, b"440890"), start(b"IMP1|440890"));
        let mut t: Table<u32> = Table::default();
        *t.entry(finish(carry(x, b"440890")), Name::Pair("IMP1", "440890")) += 3;
        assert_eq!(
            t.get(finish(start(b"IMP1|440890")), Name::One("IMP1|440890")),
            Some(&3)
        );
        // Saved and read back by name.
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, r#"{"IMP1|440890":3}"#);
        let back: Table<u32> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, t);
    }

    #[test]
    fn a_collision_keeps_the_values_apart() {
        // Two names forced onto one key: the second goes to the overflow.
        let mut t: Table<u32> = Table::default();
        *t.entry(7, Name::One("a")) = 1;
        *t.entry(7, Name::One("b")) = 2;
        assert_eq!(t.get(7, Name::One("a")), Some(&1));
        assert_eq!(t.get(7, Name::One("b")), Some(&2));
        assert_eq!(t.get(7, Name::One("c")), None);
        assert_eq!(t.get(8, Name::One("a")), None);
        assert_eq!(t.len(), 2);
        assert_eq!(serde_json::to_string(&t).unwrap(), r#"{"a":1,"b":2}"#);
        // A pair is not confused with a name that only looks alike.
        *t.entry(9, Name::One("ab|c")) = 5;
        assert_eq!(t.get(9, Name::Pair("a", "b|c")), None);
        assert_eq!(t.get(9, Name::Pair("ab", "c")), Some(&5));
        // Names longer than the copy kept at hand are compared in full.
        let long = "IMPORTER-0123456789";
        *t.entry(10, Name::Pair(long, "440890")) = 6;
        assert_eq!(t.get(10, Name::Pair(long, "440890")), Some(&6));
        assert_eq!(t.get(10, Name::Pair(long, "440891")), None);
        assert_eq!(t.get(10, Name::One("IMPORTER-0123456789|440890")), Some(&6));
        assert_eq!(t.get(10, Name::One("IMPORTER-0123456789|440891")), None);
        // A short name differing after its end is not it.
        assert_eq!(t.get(7, Name::One("a\0")), None);
    }
}
