//! The demo trader identities (ids, names, addresses, sectors and
//! behaviours), matching the demo set-up of `tamga-app`.

use tamga_core::codes::{CountryCode, Eori};
use tamga_core::declaration::Address;

use crate::profile::{Behaviour, TraderProfile};

pub(crate) struct Sector {
    pub(crate) word: &'static str,
    pub(crate) hs: &'static [(&'static str, f64)],
    pub(crate) origins: &'static [(&'static str, f64)],
    pub(crate) median: f64,
    pub(crate) sigma: f64,
}

pub(crate) const SECTORS: &[Sector] = &[
    Sector {
        word: "Electronics",
        hs: &[
            ("847130", 0.25),
            ("847141", 0.05),
            ("851713", 0.3),
            ("851762", 0.1),
            ("852852", 0.1),
            ("852872", 0.1),
            ("847330", 0.05),
            ("850440", 0.05),
        ],
        origins: &[
            ("CN", 0.6),
            ("KR", 0.15),
            ("VN", 0.05),
            ("US", 0.05),
            ("DE", 0.05),
            ("JP", 0.05),
            ("TR", 0.05),
        ],
        median: 4000.0,
        sigma: 1.1,
    },
    Sector {
        word: "Textile",
        hs: &[
            ("610910", 0.2),
            ("611020", 0.12),
            ("611030", 0.08),
            ("620342", 0.15),
            ("620462", 0.1),
            ("620443", 0.05),
            ("610462", 0.05),
            ("611710", 0.05),
            ("620130", 0.1),
            ("610443", 0.1),
        ],
        origins: &[
            ("CN", 0.45),
            ("TR", 0.3),
            ("IN", 0.1),
            ("BD", 0.1),
            ("KG", 0.05),
        ],
        median: 2500.0,
        sigma: 1.0,
    },
    Sector {
        word: "Auto",
        hs: &[
            ("870323", 0.35),
            ("870322", 0.2),
            ("870380", 0.15),
            ("870360", 0.05),
            ("870899", 0.1),
            ("870830", 0.05),
            ("401110", 0.1),
        ],
        origins: &[
            ("KR", 0.35),
            ("CN", 0.3),
            ("DE", 0.1),
            ("JP", 0.1),
            ("RU", 0.1),
            ("US", 0.05),
        ],
        median: 18000.0,
        sigma: 0.9,
    },
    Sector {
        word: "Food",
        hs: &[
            ("080510", 0.15),
            ("080521", 0.15),
            ("080550", 0.1),
            ("090230", 0.15),
            ("090240", 0.05),
            ("200971", 0.1),
            ("200912", 0.05),
            ("180632", 0.1),
            ("190531", 0.1),
            ("240220", 0.05),
        ],
        origins: &[
            ("TR", 0.3),
            ("CN", 0.15),
            ("IN", 0.15),
            ("RU", 0.1),
            ("EG", 0.1),
            ("KZ", 0.1),
            ("LK", 0.1),
        ],
        median: 3000.0,
        sigma: 1.0,
    },
    Sector {
        word: "Chemical",
        hs: &[
            ("300490", 0.2),
            ("330499", 0.15),
            ("340130", 0.1),
            ("281511", 0.1),
            ("390761", 0.15),
            ("310210", 0.1),
            ("380893", 0.1),
            ("320820", 0.1),
        ],
        origins: &[
            ("RU", 0.25),
            ("CN", 0.25),
            ("DE", 0.15),
            ("IN", 0.15),
            ("TR", 0.1),
            ("KZ", 0.1),
        ],
        median: 5000.0,
        sigma: 1.1,
    },
    Sector {
        word: "Machinery",
        hs: &[
            ("842890", 0.15),
            ("842833", 0.1),
            ("842952", 0.15),
            ("842951", 0.05),
            ("843149", 0.1),
            ("841810", 0.1),
            ("845011", 0.1),
            ("850421", 0.1),
            ("844331", 0.05),
            ("842870", 0.1),
        ],
        origins: &[
            ("CN", 0.4),
            ("DE", 0.2),
            ("KR", 0.1),
            ("IT", 0.1),
            ("TR", 0.1),
            ("RU", 0.1),
        ],
        median: 12000.0,
        sigma: 1.2,
    },
    Sector {
        word: "Retail",
        hs: &[
            ("940360", 0.2),
            ("940171", 0.15),
            ("940370", 0.1),
            ("851650", 0.1),
            ("851671", 0.05),
            ("610910", 0.1),
            ("190531", 0.1),
            ("240220", 0.05),
            ("330499", 0.1),
            ("847130", 0.05),
        ],
        origins: &[
            ("CN", 0.5),
            ("TR", 0.25),
            ("IT", 0.1),
            ("RU", 0.1),
            ("KZ", 0.05),
        ],
        median: 2000.0,
        sigma: 1.0,
    },
];

pub(crate) const BEHAVIOUR_CYCLE: [Behaviour; 10] = [
    Behaviour::Reliable,
    Behaviour::Reliable,
    Behaviour::Occasional,
    Behaviour::Reliable,
    Behaviour::Sloppy,
    Behaviour::Reliable,
    Behaviour::Occasional,
    Behaviour::Fraudster,
    Behaviour::Reliable,
    Behaviour::Occasional,
];

pub(crate) const DEMO_NAME_STEMS: [&str; 12] = [
    "Silk Road",
    "Registan",
    "Navoi",
    "Turon",
    "Afrosiyob",
    "Chorsu",
    "Zarafshan",
    "Amu",
    "Ferghana",
    "Humo",
    "Bukhara",
    "Orient",
];
pub(crate) const DEMO_NAME_SUFFIXES: [&str; 4] = ["LLC", "Import LLC", "Trade JSC", "Group LLC"];
pub(crate) const UZ_ADDRESSES: [(&str, &str, &str); 6] = [
    ("Amir Temur Avenue", "Tashkent", "100000"),
    ("Navoi Street", "Tashkent", "100011"),
    ("Bunyodkor Avenue", "Tashkent", "100043"),
    ("Mustaqillik Avenue", "Tashkent", "100017"),
    ("Registan Street", "Samarkand", "140100"),
    ("Bakhouddin Nakshbandi Street", "Bukhara", "200100"),
];

/// The id of the `i`-th demo trader (0-based): `UZ` + 12 digits from 101.
pub fn demo_trader_id(i: usize) -> Eori {
    Eori::parse(&format!("UZ{:012}", 101 + i)).expect("demo id is well formed")
}

/// `n` demo traders with ids `UZ000000000101`, `UZ000000000102`, ...
/// (matching the demo set-up), cycling through sectors (electronics,
/// textiles, cars, food, chemicals, machinery, retail) and behaviours
/// (mostly reliable; one in ten sloppy, one in ten a fraudster).
pub fn demo_traders(n: usize) -> Vec<TraderProfile> {
    (0..n)
        .map(|i| {
            let sector = &SECTORS[i % SECTORS.len()];
            let behaviour = BEHAVIOUR_CYCLE[i % BEHAVIOUR_CYCLE.len()];
            let stem = DEMO_NAME_STEMS[i % DEMO_NAME_STEMS.len()];
            let suffix = DEMO_NAME_SUFFIXES[(i / DEMO_NAME_STEMS.len()) % DEMO_NAME_SUFFIXES.len()];
            let (street, city, postcode) = UZ_ADDRESSES[(i * 7) % UZ_ADDRESSES.len()];
            let mut name = format!("{stem} {} {suffix}", sector.word);
            if i >= DEMO_NAME_STEMS.len() * DEMO_NAME_SUFFIXES.len() {
                name = format!("{name} {}", i + 1);
            }
            let mut p = TraderProfile::new(
                demo_trader_id(i),
                name,
                Address {
                    street: format!("{street} {}", 1 + (i * 13) % 120),
                    city: city.to_owned(),
                    postcode: Some(postcode.to_owned()),
                    country: cc("UZ"),
                },
                behaviour,
                sector
                    .hs
                    .iter()
                    .map(|(c, w)| ((*c).to_owned(), *w))
                    .collect(),
                sector.origins.iter().map(|(c, w)| (cc(c), *w)).collect(),
                sector.median,
            );
            p.value_sigma = sector.sigma;
            p
        })
        .collect()
}

pub(crate) fn cc(s: &str) -> CountryCode {
    CountryCode::parse(s).expect("built-in country code is well formed")
}
