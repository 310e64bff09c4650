//! tamga's synthetic traffic, kept out of the domain crate: the declaration
//! generator, the fuzz mutator and the demo trader identities. It depends on
//! `tamga-core` only and is used by the `tamga` binary (`simulate`, `bench`,
//! `example`, the tour) and, as a dev-dependency, by the tests of
//! `tamga-app` and `tamga-http`; nothing in the product's request path uses it.
//!
//! Synthetic declaration traffic for `tamga simulate` (HTTP load) and
//! `tamga bench pipeline` (in-process).
//!
//! A [`Generator`] turns a [`GeneratorConfig`] (traders with behaviours and
//! goods/origin mixes, the lodging office, the date and a seed) into an
//! endless, deterministic stream of [`Synthetic`] declarations: the exact JSON
//! bytes to sign and lodge plus what the receiving side should make of them.
//!
//! - Valid declarations are import declarations (IM / standard / `4000`)
//!   whose figures add up exactly and whose codes all exist in the
//!   reference data.
//! - Erroneous ones carry one realistic mistake that format-logical control
//!   must reject (see [`ERROR_KINDS`]); the mistake is applied to the JSON.
//! - Frauds ([`FraudKind`]) are format-valid and pass control: the data is
//!   plausible but wrong, which is what risk analysis is for.
//!
//! [`mutate`] produces malformed variants of a body for fuzz-style tests.
//!
//! Pure: no IO, no clock; time and seeds are arguments, and the same
//! configuration always yields the same bytes.

use std::collections::{HashMap, HashSet};

use rand::distributions::{Distribution, WeightedIndex};
use rand::seq::SliceRandom;
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

// ---------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------

/// How a trader behaves: drives the default error and fraud rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Behaviour {
    /// Large, careful importer: few mistakes, no fraud.
    Reliable,
    /// Small or occasional importer: some mistakes.
    Occasional,
    /// Careless declarant: many mistakes.
    Sloppy,
    /// Declares plausible but wrong values, classifications or origins.
    Fraudster,
}

impl Behaviour {
    pub const ALL: [Behaviour; 4] = [
        Self::Reliable,
        Self::Occasional,
        Self::Sloppy,
        Self::Fraudster,
    ];

    /// Default share of erroneous declarations.
    pub fn default_error_rate(self) -> f64 {
        match self {
            Self::Reliable => 0.025,
            Self::Occasional => 0.06,
            Self::Sloppy => 0.25,
            Self::Fraudster => 0.04,
        }
    }

    /// Default share of (format-valid) fraudulent declarations.
    pub fn default_fraud_rate(self) -> f64 {
        match self {
            Self::Reliable => 0.0,
            Self::Occasional => 0.005,
            Self::Sloppy => 0.01,
            Self::Fraudster => 0.35,
        }
    }

    /// Default relative share of the traffic a trader of this kind lodges.
    pub fn default_activity(self) -> f64 {
        match self {
            Self::Reliable => 2.0,
            Self::Occasional => 1.0,
            Self::Sloppy => 0.8,
            Self::Fraudster => 1.0,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reliable => "reliable",
            Self::Occasional => "occasional",
            Self::Sloppy => "sloppy",
            Self::Fraudster => "fraudster",
        }
    }
}

/// Kinds of fraud: the declaration stays format-valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FraudKind {
    /// Item prices 5 to 20 times too low for the goods (masses unchanged).
    Undervaluation,
    /// A lower-duty subheading of the same chapter replaces the true one;
    /// the description still describes the true goods.
    Misclassification,
    /// Origin switched to a preferential (CIS free-trade) partner, with a
    /// preference claim and certificate.
    FalseOrigin,
}

impl FraudKind {
    pub const ALL: [FraudKind; 3] = [
        Self::Undervaluation,
        Self::Misclassification,
        Self::FalseOrigin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Undervaluation => "undervaluation",
            Self::Misclassification => "misclassification",
            Self::FalseOrigin => "false-origin",
        }
    }
}

/// What the receiving side should conclude about a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Expectation {
    /// Passes format-logical control.
    Valid,
    /// Must be rejected; `what` is one of [`ERROR_KINDS`].
    Erroneous { what: &'static str },
}

impl Expectation {
    pub fn is_valid(&self) -> bool {
        matches!(self, Self::Valid)
    }
}

/// The mistakes erroneous declarations carry (the `what` of
/// [`Expectation::Erroneous`]).
pub const ERROR_KINDS: [&str; 12] = [
    ERR_NET_MASS,
    ERR_TOTAL_PACKAGES,
    ERR_TOTAL_MASS,
    ERR_UNKNOWN_HS,
    ERR_UNKNOWN_COUNTRY,
    ERR_MISSING_IMPORTER,
    ERR_NEGATIVE_PRICE,
    ERR_FUTURE_DATE,
    ERR_CURRENCY,
    ERR_WRONG_TYPE,
    ERR_TRUNCATED,
    ERR_HUGE_STRING,
];

/// An item's net mass exceeds its gross mass.
pub const ERR_NET_MASS: &str = "net-mass-exceeds-gross";
/// `totals.packages` differs from the sum of the items' package counts.
pub const ERR_TOTAL_PACKAGES: &str = "total-packages-mismatch";
/// `totals.grossMassKg` differs from the sum of the items' gross masses.
pub const ERR_TOTAL_MASS: &str = "total-gross-mass-mismatch";
/// A well-formed HS code that is not in the nomenclature.
pub const ERR_UNKNOWN_HS: &str = "unknown-hs-code";
/// A well-formed country code that is not in ISO 3166 (`XX`, `QZ`).
pub const ERR_UNKNOWN_COUNTRY: &str = "unknown-country";
/// The importer (mandatory for IM standard declarations) is missing.
pub const ERR_MISSING_IMPORTER: &str = "missing-importer";
/// An item price is negative.
pub const ERR_NEGATIVE_PRICE: &str = "negative-price";
/// The invoice (and exchange-rate) date lies after the lodging date.
pub const ERR_FUTURE_DATE: &str = "future-invoice-date";
/// A well-formed currency code that is not in ISO 4217 (`ZZZ`).
pub const ERR_CURRENCY: &str = "invalid-currency";
/// A JSON number where a string is expected or the other way round.
pub const ERR_WRONG_TYPE: &str = "wrong-json-type";
/// The body is cut in the middle: not JSON.
pub const ERR_TRUNCATED: &str = "truncated-json";
/// A goods description of 100 KiB.
pub const ERR_HUGE_STRING: &str = "huge-description";

/// Relative frequencies of the error kinds, in [`ERROR_KINDS`] order.
const ERROR_WEIGHTS: [f64; 12] = [
    12.0, 8.0, 10.0, 12.0, 8.0, 8.0, 5.0, 8.0, 7.0, 8.0, 6.0, 4.0,
];

/// Size of the huge description of [`ERR_HUGE_STRING`] and of [`mutate`]'s
/// huge strings.
pub const HUGE_STRING_BYTES: usize = 100 * 1024;

/// A simulated trader.
#[derive(Debug, Clone, PartialEq)]
pub struct TraderProfile {
    /// Operator id; the trader is declarant and importer.
    pub id: Eori,
    pub name: String,
    /// Address in the customs territory.
    pub address: Address,
    pub behaviour: Behaviour,
    /// Share of this trader's declarations that are erroneous (unless
    /// [`GeneratorConfig::error_share`] overrides it).
    pub error_rate: f64,
    /// Share of this trader's non-erroneous declarations that are frauds.
    pub fraud_rate: f64,
    /// Which frauds, with weights.
    pub fraud_mix: Vec<(FraudKind, f64)>,
    /// 6-digit HS subheadings the trader imports, with weights; each must
    /// exist in the nomenclature.
    pub hs_mix: Vec<(String, f64)>,
    /// Countries of origin, with weights.
    pub origin_mix: Vec<(CountryCode, f64)>,
    /// Median price of one goods item (line), in USD; prices are log-normal.
    pub median_item_value: f64,
    /// Standard deviation of the logarithm of item prices.
    pub value_sigma: f64,
    /// Relative share of the traffic this trader lodges.
    pub activity: f64,
}

impl TraderProfile {
    /// A profile with the behaviour's default rates and activity.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: Eori,
        name: impl Into<String>,
        address: Address,
        behaviour: Behaviour,
        hs_mix: Vec<(String, f64)>,
        origin_mix: Vec<(CountryCode, f64)>,
        median_item_value: f64,
    ) -> Self {
        Self {
            id,
            name: name.into(),
            address,
            behaviour,
            error_rate: behaviour.default_error_rate(),
            fraud_rate: behaviour.default_fraud_rate(),
            fraud_mix: vec![
                (FraudKind::Undervaluation, 0.5),
                (FraudKind::Misclassification, 0.3),
                (FraudKind::FalseOrigin, 0.2),
            ],
            hs_mix,
            origin_mix,
            median_item_value,
            value_sigma: 1.0,
            activity: behaviour.default_activity(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct GeneratorConfig {
    pub traders: Vec<TraderProfile>,
    /// Office of lodgement (`declarationOffice`).
    pub office: OfficeCode,
    /// Inclusive (min, max) goods items per declaration; small counts are
    /// more frequent. Benches use `(5, 5)`.
    pub items_per_declaration: (u32, u32),
    /// `Some(share)` overrides every trader's `error_rate`; `None` uses them.
    pub error_share: Option<f64>,
    /// Whether traders commit frauds at their `fraud_rate`.
    pub frauds: bool,
    /// The lodging date: invoices are dated up to 20 days before.
    pub today: Date,
    pub seed: u64,
}

/// The demo office (Tashkent Central Customs Office).
pub const DEMO_OFFICE: &str = "UZ000100";

impl GeneratorConfig {
    /// [`demo_traders`] lodging at [`DEMO_OFFICE`], 1 to 8 items, per-trader
    /// error rates (about 5 % over the demo population), frauds on.
    pub fn demo(traders: usize, today: Date, seed: u64) -> Self {
        Self {
            traders: demo_traders(traders),
            office: OfficeCode::parse(DEMO_OFFICE).expect("demo office is well formed"),
            items_per_declaration: (1, 8),
            error_share: None,
            frauds: true,
            today,
            seed,
        }
    }

    /// Like [`GeneratorConfig::demo`] with exactly 5 items per declaration.
    pub fn bench(traders: usize, today: Date, seed: u64) -> Self {
        Self {
            items_per_declaration: (5, 5),
            ..Self::demo(traders, today, seed)
        }
    }
}

/// One generated declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Synthetic {
    /// The lodging trader (declarant).
    pub trader: Eori,
    pub lrn: Lrn,
    /// The exact JSON bytes to sign and lodge.
    pub body: Vec<u8>,
    pub expect: Expectation,
    /// Set on format-valid fraudulent declarations (never on erroneous ones).
    pub fraud: Option<FraudKind>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SynthError {
    #[error("no traders configured")]
    NoTraders,
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("trader {trader}: {message}")]
    Trader { trader: String, message: String },
}

// ---------------------------------------------------------------------------
// Static knowledge: trade partners, value densities, decoys
// ---------------------------------------------------------------------------

/// A trade partner the generator knows how to dress up: sellers, carriers,
/// cities, currencies and transport.
struct Partner {
    code: &'static str,
    cities: &'static [&'static str],
    streets: &'static [&'static str],
    /// Seller name: prefix + city + stem + suffix.
    firm: (&'static str, &'static str),
    currencies: &'static [(&'static str, f64)],
    /// Weights of road, rail, air, sea at the border.
    modes: [f64; 4],
    /// IATA airline designator and air waybill prefix of the flag carrier.
    airline: (&'static str, &'static str),
}

const PARTNERS: &[Partner] = &[
    Partner {
        code: "CN",
        cities: &[
            "Shenzhen",
            "Guangzhou",
            "Yiwu",
            "Urumqi",
            "Shanghai",
            "Ningbo",
        ],
        streets: &["Shennan Road", "Huangpu Avenue", "Futian Street"],
        firm: ("", " Co., Ltd."),
        currencies: &[("USD", 0.6), ("CNY", 0.4)],
        modes: [0.45, 0.4, 0.15, 0.0],
        airline: ("CA", "999"),
    },
    Partner {
        code: "RU",
        cities: &["Moscow", "Novosibirsk", "Yekaterinburg", "Kazan", "Samara"],
        streets: &["Leninsky Prospekt", "Tverskaya Street", "Sadovaya Street"],
        firm: ("OOO ", ""),
        currencies: &[("RUB", 0.6), ("USD", 0.4)],
        modes: [0.6, 0.35, 0.05, 0.0],
        airline: ("SU", "555"),
    },
    Partner {
        code: "TR",
        cities: &["Istanbul", "Izmir", "Bursa", "Mersin", "Gaziantep"],
        streets: &["Ataturk Caddesi", "Cumhuriyet Bulvari", "Istiklal Caddesi"],
        firm: ("", " A.S."),
        currencies: &[("USD", 0.5), ("EUR", 0.5)],
        modes: [0.7, 0.1, 0.2, 0.0],
        airline: ("TK", "235"),
    },
    Partner {
        code: "DE",
        cities: &[
            "Hamburg",
            "Munich",
            "Stuttgart",
            "Duisburg",
            "Frankfurt am Main",
        ],
        streets: &["Hauptstrasse", "Industriestrasse", "Hafenstrasse"],
        firm: ("", " GmbH"),
        currencies: &[("EUR", 0.85), ("USD", 0.15)],
        modes: [0.55, 0.1, 0.3, 0.05],
        airline: ("LH", "020"),
    },
    Partner {
        code: "KR",
        cities: &["Seoul", "Busan", "Incheon", "Ulsan"],
        streets: &["Teheran-ro", "Gangnam-daero", "Jungang-daero"],
        firm: ("", " Co., Ltd."),
        currencies: &[("USD", 1.0)],
        modes: [0.1, 0.3, 0.4, 0.2],
        airline: ("KE", "180"),
    },
    Partner {
        code: "KZ",
        cities: &["Almaty", "Shymkent", "Astana", "Karaganda"],
        streets: &["Abay Avenue", "Dostyk Avenue", "Tole Bi Street"],
        firm: ("TOO ", ""),
        currencies: &[("USD", 0.6), ("RUB", 0.4)],
        modes: [0.75, 0.25, 0.0, 0.0],
        airline: ("KC", "465"),
    },
    Partner {
        code: "US",
        cities: &["Chicago", "Houston", "Los Angeles", "Newark"],
        streets: &["Main Street", "Commerce Drive", "Harbor Boulevard"],
        firm: ("", " Inc."),
        currencies: &[("USD", 1.0)],
        modes: [0.05, 0.15, 0.5, 0.3],
        airline: ("5X", "406"),
    },
    Partner {
        code: "IN",
        cities: &["Mumbai", "Kolkata", "Chennai", "New Delhi"],
        streets: &["MG Road", "Nehru Place", "Marine Drive"],
        firm: ("", " Pvt. Ltd."),
        currencies: &[("USD", 1.0)],
        modes: [0.1, 0.2, 0.5, 0.2],
        airline: ("AI", "098"),
    },
    Partner {
        code: "IT",
        cities: &["Milan", "Bologna", "Turin", "Verona"],
        streets: &["Via Roma", "Via Garibaldi", "Corso Italia"],
        firm: ("", " S.r.l."),
        currencies: &[("EUR", 0.9), ("USD", 0.1)],
        modes: [0.6, 0.1, 0.25, 0.05],
        airline: ("AZ", "055"),
    },
    Partner {
        code: "JP",
        cities: &["Tokyo", "Osaka", "Nagoya", "Yokohama"],
        streets: &["Chuo-dori", "Meiji-dori", "Showa-dori"],
        firm: ("", " K.K."),
        currencies: &[("USD", 1.0)],
        modes: [0.05, 0.25, 0.4, 0.3],
        airline: ("JL", "131"),
    },
    Partner {
        code: "KG",
        cities: &["Bishkek", "Osh"],
        streets: &["Chuy Avenue", "Manas Avenue"],
        firm: ("OsOO ", ""),
        currencies: &[("USD", 0.7), ("RUB", 0.3)],
        modes: [0.9, 0.1, 0.0, 0.0],
        airline: ("QH", "561"),
    },
];

/// Transit hubs consignments are often dispatched from.
const HUBS: [&str; 3] = ["KZ", "RU", "TR"];

/// CIS free-trade partners of Uzbekistan: the targets of false origin.
const PREFERENTIAL_PARTNERS: [&str; 6] = ["KZ", "KG", "RU", "BY", "TJ", "AM"];

/// Document type of the proof of preferential origin (the CIS ST-1
/// certificate): "proof of preferential origin, see the arrangement".
const PROOF_OF_ORIGIN: &str = "U045";

/// Flags of convenience for sea vessels.
const SEA_FLAGS: [&str; 4] = ["PA", "LR", "MT", "SG"];

/// Approximate units of currency per USD (only to make prices look right).
const FX_PER_USD: [(&str, f64); 4] = [("USD", 1.0), ("EUR", 0.92), ("CNY", 7.2), ("RUB", 90.0)];

fn fx_per_usd(currency: &str) -> f64 {
    FX_PER_USD
        .iter()
        .find(|(c, _)| *c == currency)
        .map_or(1.0, |(_, r)| *r)
}

/// Typical value density (USD per kg gross) by the longest matching prefix.
const DENSITY: &[(&str, f64)] = &[
    ("8703", 14.0),
    ("8708", 8.0),
    ("8471", 120.0),
    ("8473", 60.0),
    ("8517", 250.0),
    ("8528", 25.0),
    ("8504", 20.0),
    ("8516", 12.0),
    ("8418", 5.0),
    ("8450", 4.0),
    ("8428", 8.0),
    ("8429", 9.0),
    ("8431", 6.0),
    ("8443", 30.0),
    ("4011", 4.0),
    ("0902", 5.0),
    ("0901", 6.0),
    ("2402", 40.0),
    ("61", 25.0),
    ("62", 30.0),
    ("08", 1.2),
    ("09", 5.0),
    ("18", 5.0),
    ("19", 3.5),
    ("20", 1.1),
    ("24", 15.0),
    ("28", 0.6),
    ("30", 60.0),
    ("31", 0.4),
    ("32", 4.0),
    ("33", 15.0),
    ("34", 3.0),
    ("38", 6.0),
    ("39", 1.6),
    ("84", 10.0),
    ("85", 20.0),
    ("87", 10.0),
    ("94", 5.0),
];

fn usd_per_kg(hs6: &str) -> f64 {
    DENSITY
        .iter()
        .filter(|(p, _)| hs6.starts_with(p))
        .max_by_key(|(p, _)| p.len())
        .map_or(6.0, |(_, d)| *d)
}

/// Classic low-duty decoys, by heading or chapter prefix: what a fraudster
/// declares instead of the true subheading.
const DECOYS: &[(&str, &str)] = &[
    ("8703", "870899"),
    ("8471", "847330"),
    ("8517", "851779"),
    ("8528", "852852"),
    ("8418", "841899"),
    ("8428", "843139"),
    ("8429", "843149"),
    ("2402", "240120"),
    ("0902", "090240"),
    ("2009", "200990"),
    ("1806", "180690"),
    ("9403", "940399"),
    ("9401", "940199"),
    ("61", "611790"),
    ("62", "621790"),
    ("08", "081340"),
    ("30", "300490"),
];

// ---------------------------------------------------------------------------
// Demo traders
// ---------------------------------------------------------------------------

struct Sector {
    word: &'static str,
    hs: &'static [(&'static str, f64)],
    origins: &'static [(&'static str, f64)],
    median: f64,
    sigma: f64,
}

const SECTORS: &[Sector] = &[
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

const BEHAVIOUR_CYCLE: [Behaviour; 10] = [
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

const DEMO_NAME_STEMS: [&str; 12] = [
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
const DEMO_NAME_SUFFIXES: [&str; 4] = ["LLC", "Import LLC", "Trade JSC", "Group LLC"];
const UZ_ADDRESSES: [(&str, &str, &str); 6] = [
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

fn cc(s: &str) -> CountryCode {
    CountryCode::parse(s).expect("built-in country code is well formed")
}

// ---------------------------------------------------------------------------
// Generator
// ---------------------------------------------------------------------------

struct Goods {
    hs: HsCode,
    description: String,
    usd_per_kg: f64,
    /// Lower-duty subheading of the same chapter for misclassification.
    decoy: Option<HsCode>,
}

struct TraderState {
    id: Eori,
    party: Party,
    error_rate: f64,
    fraud_rate: f64,
    fraud_kinds: Vec<FraudKind>,
    fraud_pick: Option<WeightedIndex<f64>>,
    goods: Vec<Goods>,
    goods_pick: WeightedIndex<f64>,
    origins: Vec<CountryCode>,
    origin_pick: WeightedIndex<f64>,
    value: LogNormal<f64>,
}

/// Deterministic synthetic declaration stream; see the module docs.
pub struct Generator {
    rng: ChaCha8Rng,
    traders: Vec<TraderState>,
    trader_pick: WeightedIndex<f64>,
    /// Trader activity weights (the distribution of `trader_pick`).
    activity: Vec<f64>,
    office: OfficeCode,
    destination: CountryCode,
    /// City of the office: the named place of C and D delivery terms.
    office_city: String,
    items: (u32, u32),
    error_share: Option<f64>,
    frauds: bool,
    today: Date,
    lrn_prefix: String,
    counter: u64,
    unknown_hs: Vec<String>,
    error_pick: WeightedIndex<f64>,
    procedure: ProcedureCode,
    additional: AdditionalProcedureCode,
    /// When set, goods are declared as the tariff needs them.
    tariff: Option<TariffView>,
    doc_invoice: DocumentTypeCode,
    doc_commercial: DocumentTypeCode,
    doc_preference: DocumentTypeCode,
}

fn weighted<T: Clone>(
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

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

const BASE36: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

fn base36(mut n: u64, width: usize) -> String {
    let mut out = Vec::with_capacity(13);
    while n > 0 || out.len() < width {
        out.push(BASE36[(n % 36) as usize]);
        n /= 36;
    }
    out.reverse();
    String::from_utf8(out).expect("ascii")
}

fn money(x: f64) -> Decimal {
    Decimal::new(((x * 100.0).round() as i64).max(1), 2)
}

fn kg(grams: i64) -> Decimal {
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

fn transport(
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

fn packages(rng: &mut ChaCha8Rng, hs: &HsCode, gross_kg: f64) -> Packages {
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

// ---------------------------------------------------------------------------
// Fuzz mutations
// ---------------------------------------------------------------------------

/// What [`mutate_with_kind`] did to a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mutation {
    /// Cut at a random byte (possibly to nothing).
    Truncate,
    /// One byte's bit flipped (may produce invalid UTF-8).
    FlipByte,
    /// An object member or array element removed.
    DeleteField,
    /// A value replaced by one of another JSON type.
    WrongType,
    /// A value replaced by a 100 KiB string.
    HugeString,
    /// A value replaced by 1000 nested arrays.
    DeepNesting,
    /// A code replaced by a well-formed unknown one of the same shape.
    UnknownCode,
    /// A number or numeric string negated.
    NegativeNumber,
    /// A value replaced by `null`.
    Null,
}

impl Mutation {
    pub const ALL: [Mutation; 9] = [
        Self::Truncate,
        Self::FlipByte,
        Self::DeleteField,
        Self::WrongType,
        Self::HugeString,
        Self::DeepNesting,
        Self::UnknownCode,
        Self::NegativeNumber,
        Self::Null,
    ];
}

/// One random malformed or mutated variant of `body` (usually, not always,
/// a body control must reject: deleting an optional field or flipping a bit
/// in a description can leave it valid).
pub fn mutate(body: &[u8], rng: &mut impl Rng) -> Vec<u8> {
    mutate_with_kind(body, rng).0
}

#[derive(Debug, Clone)]
enum Seg {
    Key(String),
    Index(usize),
}

fn collect_paths(v: &Value, prefix: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                prefix.push(Seg::Key(k.clone()));
                out.push(prefix.clone());
                collect_paths(c, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                prefix.push(Seg::Index(i));
                out.push(prefix.clone());
                collect_paths(c, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn at_mut<'a>(v: &'a mut Value, path: &[Seg]) -> Option<&'a mut Value> {
    path.iter().try_fold(v, |v, seg| match seg {
        Seg::Key(k) => v.get_mut(k.as_str()),
        Seg::Index(i) => v.get_mut(*i),
    })
}

fn at<'a>(v: &'a Value, path: &[Seg]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, seg| match seg {
        Seg::Key(k) => v.get(k.as_str()),
        Seg::Index(i) => v.get(*i),
    })
}

/// A well-formed code of the same shape as `s` that no code list contains.
fn unknown_code_like(s: &str) -> String {
    let b = s.as_bytes();
    let upper = |b: &[u8]| b.iter().all(u8::is_ascii_uppercase);
    let digits = |b: &[u8]| b.iter().all(u8::is_ascii_digit);
    match b.len() {
        2 if upper(b) => "XX".into(),
        3 if upper(b) => "ZZZ".into(),
        3 => "Z99".into(),
        4 if digits(b) => "9999".into(),
        4 => "Z999".into(),
        6 if digits(b) => UNKNOWN_HS6.into(),
        8 if upper(&b[..2]) => format!("{}999999", &s[..2]),
        _ => "UNKNOWN".into(),
    }
}

/// HS chapter 77 is reserved for future use: no code starts with 77.
const UNKNOWN_HS6: &str = "770000";

const DEEP_SENTINEL: &str = "\u{1}tamga-deep-nesting\u{1}";

/// Like [`mutate`], also saying which mutation was applied. Bodies that are
/// not JSON get byte-level mutations only.
pub fn mutate_with_kind(body: &[u8], rng: &mut impl Rng) -> (Vec<u8>, Mutation) {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let mut kind = Mutation::ALL[rng.gen_range(0..Mutation::ALL.len())];
    let mut doc = match parsed {
        Some(v) if !matches!(kind, Mutation::Truncate | Mutation::FlipByte) => v,
        _ => {
            if !matches!(kind, Mutation::Truncate | Mutation::FlipByte) {
                kind = if rng.gen_bool(0.5) {
                    Mutation::Truncate
                } else {
                    Mutation::FlipByte
                };
            }
            let mut out = body.to_vec();
            if kind == Mutation::Truncate {
                out.truncate(rng.gen_range(0..body.len().max(1)));
            } else if !out.is_empty() {
                let i = rng.gen_range(0..out.len());
                out[i] ^= 1 << rng.gen_range(0..8);
            }
            return (out, kind);
        }
    };
    let mut paths = Vec::new();
    collect_paths(&doc, &mut Vec::new(), &mut paths);
    if paths.is_empty() {
        return (b"{".to_vec(), Mutation::Truncate);
    }
    let pick = |rng: &mut dyn rand::RngCore, filter: &dyn Fn(&Value) -> bool| -> Option<usize> {
        let candidates: Vec<usize> = (0..paths.len())
            .filter(|&i| at(&doc, &paths[i]).is_some_and(filter))
            .collect();
        candidates.choose(rng).copied()
    };
    let is_code = |v: &Value| {
        v.as_str()
            .is_some_and(|s| unknown_code_like(s) != "UNKNOWN")
    };
    let is_numeric =
        |v: &Value| v.is_number() || v.as_str().is_some_and(|s| s.parse::<f64>().is_ok());
    let target = match kind {
        Mutation::UnknownCode => pick(rng, &is_code),
        Mutation::NegativeNumber => pick(rng, &is_numeric),
        _ => None,
    };
    let (kind, idx) = match (kind, target) {
        (Mutation::UnknownCode | Mutation::NegativeNumber, None) => {
            (Mutation::Null, rng.gen_range(0..paths.len()))
        }
        (k, Some(i)) => (k, i),
        (k, None) => (k, rng.gen_range(0..paths.len())),
    };
    let path = &paths[idx];
    match kind {
        Mutation::DeleteField => {
            let (last, parent) = path.split_last().expect("non-empty path");
            match (at_mut(&mut doc, parent), last) {
                (Some(Value::Object(m)), Seg::Key(k)) => {
                    m.remove(k);
                }
                (Some(Value::Array(a)), Seg::Index(i)) => {
                    a.remove(*i);
                }
                _ => {}
            }
        }
        _ => {
            let v = at_mut(&mut doc, path).expect("collected path exists");
            *v = match kind {
                Mutation::WrongType => match v {
                    Value::String(s) => match s.parse::<f64>() {
                        Ok(x) => {
                            serde_json::Number::from_f64(x).map_or(Value::Bool(true), Value::Number)
                        }
                        Err(_) => Value::from(rng.gen_range(0..1000)),
                    },
                    Value::Number(n) => Value::String(n.to_string()),
                    Value::Bool(b) => Value::String(b.to_string()),
                    Value::Object(_) => Value::Array(vec![Value::from(1)]),
                    Value::Array(_) => Value::Object(serde_json::Map::new()),
                    Value::Null => Value::from(0),
                },
                Mutation::HugeString => Value::String("X".repeat(HUGE_STRING_BYTES)),
                Mutation::DeepNesting => Value::String(DEEP_SENTINEL.to_owned()),
                Mutation::UnknownCode => Value::String(unknown_code_like(v.as_str().unwrap_or(""))),
                Mutation::NegativeNumber => match v {
                    Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                        (Some(i), _) if i != 0 => Value::from(-i),
                        (_, Some(f)) => Value::from(-(f.abs().max(1.0))),
                        _ => Value::from(-1),
                    },
                    Value::String(s) => Value::String(match s.strip_prefix('-') {
                        Some(_) => s.clone(),
                        None => format!("-{s}"),
                    }),
                    _ => Value::from(-1),
                },
                _ => Value::Null,
            };
        }
    }
    let mut out = serde_json::to_vec(&doc).expect("value serializes");
    if kind == Mutation::DeepNesting {
        let quoted = serde_json::to_string(DEEP_SENTINEL).expect("string serializes");
        let nested = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
        let text = String::from_utf8(out).expect("serde_json writes UTF-8");
        out = text.replacen(&quoted, &nested, 1).into_bytes();
    }
    (out, kind)
}

/// What the generator needs of a tariff, prepared once.
struct TariffView {
    /// Subheading → its usable national codes (absent: not subdivided).
    national: HashMap<String, Vec<HsCode>>,
    /// Declarable code → (supplementary unit, documents its restrictions
    /// require).
    needs: HashMap<String, (Option<String>, Vec<DocumentTypeCode>)>,
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

/// The reference data shipped in `reference/` (tests of this crate only).
#[cfg(test)]
fn shipped_for_tests() -> &'static ReferenceBundle {
    use tamga_core::reference::ReferenceCsv;
    static B: std::sync::OnceLock<ReferenceBundle> = std::sync::OnceLock::new();
    B.get_or_init(|| {
        ReferenceBundle::from_csv(&ReferenceCsv {
            hs: include_str!("../../../reference/hs2022.csv"),
            countries: include_str!("../../../reference/countries.csv"),
            currencies: include_str!("../../../reference/currencies.csv"),
            procedures: include_str!("../../../reference/procedures.csv"),
            additional_procedures: include_str!("../../../reference/additional_procedures.csv"),
            procedure_combinations: include_str!("../../../reference/procedure_combinations.csv"),
            document_types: include_str!("../../../reference/document_types.csv"),
            procedure_documents: include_str!("../../../reference/procedure_documents.csv"),
            offices: include_str!("../../../reference/offices.csv"),
        })
        .expect("shipped reference data loads")
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::OnceLock;

    use super::*;
    use tamga_core::declaration::INCOTERMS;
    use tamga_core::reference::ReferenceData;

    const TODAY: Date = time::macros::date!(2026 - 03 - 15);

    fn bundle() -> &'static ReferenceBundle {
        crate::shipped_for_tests()
    }

    fn refdata() -> &'static ReferenceData {
        static R: OnceLock<ReferenceData> = OnceLock::new();
        R.get_or_init(|| ReferenceData::new(bundle()))
    }

    fn generator(cfg: GeneratorConfig) -> Generator {
        Generator::new(cfg, bundle()).expect("config is valid")
    }

    /// An independent statement of everything a valid synthetic declaration
    /// promises; returns the first broken promise.
    fn check(d: &Declaration, office: &OfficeCode) -> Result<(), String> {
        let r = refdata();
        let today = TODAY;
        let fail = |m: String| Err(m);
        if d.declaration_type != DeclarationType::IM
            || d.additional_type != AdditionalType::Standard
        {
            return fail("type".into());
        }
        if d.procedure.as_str() != "4000"
            || d.additional_procedures
                .iter()
                .map(|a| a.as_str())
                .ne(["000"])
        {
            return fail("procedure".into());
        }
        if r.procedure_types(&d.procedure)
            .is_none_or(|t| !t.contains(&DeclarationType::IM))
            || !r.combination_allowed(&d.procedure, &d.additional_procedures[0])
        {
            return fail("procedure not allowed".into());
        }
        if &d.declaration_office != office || r.office_roles(office).is_none() {
            return fail("office".into());
        }
        if d.destination_country.as_ref().map(|c| c.as_str()) != Some("UZ") {
            return fail("destination".into());
        }
        let declarant = &d.declarant;
        if declarant.id.is_none()
            || declarant
                .address
                .as_ref()
                .is_none_or(|a| a.country.as_str() != "UZ")
        {
            return fail("declarant".into());
        }
        if d.importer.as_ref() != Some(declarant) {
            return fail(format!("importer {:?}", d.importer));
        }
        match &d.seller {
            Some(Party {
                id: None,
                address: Some(a),
                ..
            }) if a.country.as_str() != "UZ" && r.country_exists(&a.country) => {}
            other => return fail(format!("seller {other:?}")),
        }
        let dispatch = d.dispatch_country.as_ref().ok_or("dispatch")?;
        if !r.country_exists(dispatch) {
            return fail(format!("dispatch {dispatch}"));
        }
        let t = &d.transport;
        if t.border_means_id.as_deref().is_none_or(str::is_empty)
            || t.border_means_nationality
                .as_ref()
                .is_none_or(|c| !r.country_exists(c))
        {
            return fail("transport means".into());
        }
        let expected_doc = match t.border_mode {
            TransportMode::Road => "N730",
            TransportMode::Rail => "N720",
            TransportMode::Air => "N740",
            TransportMode::Sea => "N705",
            m => return fail(format!("mode {m:?}")),
        };
        if d.transport_documents.len() != 1
            || d.transport_documents[0].type_code.as_str() != expected_doc
            || d.transport_documents[0].reference.is_empty()
        {
            return fail(format!("transport documents {:?}", d.transport_documents));
        }
        let terms = d.delivery_terms.as_ref().ok_or("delivery terms")?;
        if !INCOTERMS.contains(&terms.incoterm.as_str()) || terms.place.is_empty() {
            return fail(format!("terms {terms:?}"));
        }
        let minor = r
            .currency_minor_units(&d.invoice.currency)
            .ok_or(format!("currency {}", d.invoice.currency))?;
        let date = d.invoice.date.ok_or("invoice date")?;
        if date > today || date < today - Duration::days(20) {
            return fail(format!("invoice date {date}"));
        }
        if d.exchange_rate_date != Some(date) {
            return fail("exchange rate date".into());
        }
        if d.items.is_empty() {
            return fail("no items".into());
        }
        let required = r.required_documents(&d.procedure);
        if required.is_empty() {
            return fail("4000 requires documents in the reference data".into());
        }
        let invoice_ref = &d.items[0].documents[0].reference;
        for (i, item) in d.items.iter().enumerate() {
            let at = |m: &str| format!("item {}: {m}", i + 1);
            if item.sequence as usize != i + 1 {
                return fail(at("sequence"));
            }
            if item.description.is_empty() || item.description.len() > 512 {
                return fail(at("description"));
            }
            if item.hs_code.as_str().len() != 6 || !r.hs_code_valid(&item.hs_code, today) {
                return fail(at(&format!("hs {}", item.hs_code)));
            }
            if !r.country_exists(&item.origin)
                || item
                    .preferential_origin
                    .as_ref()
                    .is_some_and(|c| !r.country_exists(c))
            {
                return fail(at("origin"));
            }
            let (net, gross) = (item.net_mass_kg, item.gross_mass_kg);
            if !(Decimal::ZERO < net && net < gross) || net.scale() > 3 || gross.scale() > 3 {
                return fail(at(&format!("masses {net} {gross}")));
            }
            if item.item_price <= Decimal::ZERO || item.item_price.scale() > minor {
                return fail(at(&format!("price {}", item.item_price)));
            }
            match item.customs_value {
                Some(v) if v >= item.item_price && v.scale() <= minor => {}
                v => return fail(at(&format!("customs value {v:?}"))),
            }
            if item.preferential_origin.is_some()
                && !item
                    .documents
                    .iter()
                    .any(|doc| doc.type_code.as_str() == PROOF_OF_ORIGIN)
            {
                return fail(at("preference without proof of origin"));
            }
            if item.valuation_method != 1 {
                return fail(at("valuation method"));
            }
            if !["CT", "PK", "PL", "BX"].contains(&item.packages.kind.as_str())
                || item.packages.count == 0
            {
                return fail(at("packages"));
            }
            if item
                .documents
                .iter()
                .any(|doc| !r.document_type_exists(&doc.type_code))
            {
                return fail(at("document type"));
            }
            for (code, _) in required {
                if !item
                    .documents
                    .iter()
                    .any(|doc| doc.type_code.as_str() == code)
                {
                    return fail(at(&format!("missing {code}")));
                }
            }
            if !item
                .documents
                .iter()
                .any(|doc| doc.type_code.as_str() == "N935" && &doc.reference == invoice_ref)
            {
                return fail(at("N935 reference"));
            }
        }
        if d.totals.packages != d.items.iter().map(|i| i.packages.count).sum::<u32>() {
            return fail("total packages".into());
        }
        if d.totals.gross_mass_kg != d.items.iter().map(|i| i.gross_mass_kg).sum::<Decimal>() {
            return fail("total gross mass".into());
        }
        if d.invoice.amount != d.items.iter().map(|i| i.item_price).sum::<Decimal>() {
            return fail("invoice amount".into());
        }
        Ok(())
    }

    fn parse(body: &[u8]) -> Declaration {
        serde_json::from_slice(body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(body)))
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let run = |seed| {
            let mut g = generator(GeneratorConfig::demo(20, TODAY, seed));
            (0..500).map(|_| g.next()).collect::<Vec<_>>()
        };
        let (a, b, c) = (run(7), run(7), run(8));
        assert_eq!(a, b);
        assert_ne!(
            a.iter().map(|s| &s.body).collect::<Vec<_>>(),
            c.iter().map(|s| &s.body).collect::<Vec<_>>()
        );
        // Different seeds use different LRN prefixes.
        assert_ne!(a[0].lrn.as_str()[..6], c[0].lrn.as_str()[..6]);
    }

    #[test]
    fn valid_bodies_keep_every_promise_over_10000() {
        let cfg = GeneratorConfig::demo(40, TODAY, 42);
        let office = cfg.office.clone();
        let mut g = generator(cfg);
        let mut lrns = HashSet::new();
        let (mut valid, mut modes, mut currencies, mut item_counts) =
            (0, HashSet::new(), HashSet::new(), HashSet::new());
        for _ in 0..10_000 {
            let s = g.next();
            assert!(s.lrn.as_str().len() <= 22);
            assert!(lrns.insert(s.lrn.clone()), "duplicate LRN {}", s.lrn);
            if !s.expect.is_valid() {
                continue;
            }
            valid += 1;
            let d = parse(&s.body);
            assert_eq!(d.lrn, s.lrn);
            assert_eq!(d.declarant.id.as_ref(), Some(&s.trader));
            if let Err(e) = check(&d, &office) {
                panic!("{e} in {}", String::from_utf8_lossy(&s.body));
            }
            // The body is the canonical wire form of the declaration.
            assert_eq!(serde_json::to_vec(&d).unwrap(), s.body);
            modes.insert(d.transport.border_mode);
            currencies.insert(d.invoice.currency.as_str().to_owned());
            item_counts.insert(d.items.len());
        }
        assert!(valid > 9_000, "{valid}");
        assert_eq!(modes.len(), 4, "{modes:?}");
        assert_eq!(currencies.len(), 4, "{currencies:?}");
        assert_eq!(
            item_counts,
            (1..=8).collect(),
            "items per declaration 1..=8"
        );
        assert_eq!(g.generated(), 10_000);
    }

    #[test]
    fn bench_config_has_exactly_five_items() {
        let mut g = generator(GeneratorConfig::bench(10, TODAY, 3));
        for _ in 0..2_000 {
            let s = g.next();
            if s.expect.is_valid() {
                assert_eq!(parse(&s.body).items.len(), 5);
            }
        }
    }

    #[test]
    fn configured_error_share_is_respected() {
        let mut cfg = GeneratorConfig::demo(20, TODAY, 11);
        cfg.error_share = Some(0.05);
        let mut g = generator(cfg);
        assert_eq!(g.expected_error_share(), 0.05);
        let errors = (0..10_000).filter(|_| !g.next().expect.is_valid()).count();
        let share = errors as f64 / 10_000.0;
        assert!((share - 0.05).abs() < 0.015, "{share}");

        let mut cfg = GeneratorConfig::demo(20, TODAY, 12);
        cfg.error_share = Some(0.0);
        let mut g = generator(cfg);
        assert!((0..2_000).all(|_| g.next().expect.is_valid()));
    }

    #[test]
    fn per_trader_error_rates_average_about_five_percent() {
        let mut g = generator(GeneratorConfig::demo(20, TODAY, 13));
        let expected = g.expected_error_share();
        assert!((0.03..=0.07).contains(&expected), "{expected}");
        let mut per_trader: HashMap<Eori, (u32, u32)> = HashMap::new();
        for _ in 0..10_000 {
            let s = g.next();
            let e = per_trader.entry(s.trader).or_default();
            e.0 += 1;
            e.1 += u32::from(!s.expect.is_valid());
        }
        let errors: u32 = per_trader.values().map(|v| v.1).sum();
        let share = f64::from(errors) / 10_000.0;
        assert!((share - expected).abs() < 0.015, "{share} vs {expected}");
        // The sloppy trader (index 4) errs far more than a reliable one (0).
        let rate = |i| {
            let (n, e) = per_trader[&demo_trader_id(i)];
            f64::from(e) / f64::from(n)
        };
        assert!(rate(4) > 3.0 * rate(0), "{} vs {}", rate(4), rate(0));
        // Reliable traders are more active than occasional ones.
        assert!(per_trader[&demo_trader_id(0)].0 > per_trader[&demo_trader_id(2)].0);
    }

    #[test]
    fn every_error_kind_occurs_and_breaks_what_it_says() {
        let mut cfg = GeneratorConfig::demo(20, TODAY, 5);
        cfg.error_share = Some(1.0);
        let office = cfg.office.clone();
        let mut g = generator(cfg);
        let r = refdata();
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for _ in 0..3_000 {
            let s = g.next();
            let Expectation::Erroneous { what } = s.expect else {
                panic!("expected an error")
            };
            assert_eq!(s.fraud, None);
            *seen.entry(what).or_default() += 1;
            let parsed = serde_json::from_slice::<Declaration>(&s.body);
            match what {
                ERR_TRUNCATED => {
                    assert!(serde_json::from_slice::<Value>(&s.body).is_err());
                    continue;
                }
                ERR_WRONG_TYPE => {
                    assert!(parsed.is_err(), "{}", String::from_utf8_lossy(&s.body));
                    assert!(serde_json::from_slice::<Value>(&s.body).is_ok());
                    continue;
                }
                _ => {}
            }
            let d = parsed.unwrap_or_else(|e| panic!("{what}: {e}"));
            let problem = check(&d, &office).expect_err(what);
            let items = || d.items.iter();
            let ok = match what {
                ERR_NET_MASS => items().any(|i| i.net_mass_kg > i.gross_mass_kg),
                ERR_TOTAL_PACKAGES => problem == "total packages",
                ERR_TOTAL_MASS => problem == "total gross mass",
                ERR_UNKNOWN_HS => items().any(|i| !r.hs_code_valid(&i.hs_code, TODAY)),
                ERR_UNKNOWN_COUNTRY => {
                    d.dispatch_country
                        .as_ref()
                        .is_some_and(|c| !r.country_exists(c))
                        || items().any(|i| !r.country_exists(&i.origin))
                }
                ERR_MISSING_IMPORTER => d.importer.is_none(),
                ERR_NEGATIVE_PRICE => items().any(|i| i.item_price < Decimal::ZERO),
                ERR_FUTURE_DATE => d.invoice.date.is_some_and(|x| x > TODAY),
                ERR_CURRENCY => r.currency_minor_units(&d.invoice.currency).is_none(),
                ERR_HUGE_STRING => items().any(|i| i.description.len() >= HUGE_STRING_BYTES),
                other => panic!("unexpected kind {other}"),
            };
            assert!(ok, "{what}: {problem}");
        }
        for kind in ERROR_KINDS {
            assert!(
                seen.get(kind).copied().unwrap_or(0) >= 20,
                "{kind}: {seen:?}"
            );
        }
    }

    fn usd_per_kg_of(d: &Declaration, i: &GoodsItem) -> f64 {
        let price = i.item_price.to_f64().unwrap() / fx_per_usd(d.invoice.currency.as_str());
        price / i.gross_mass_kg.to_f64().unwrap()
    }

    fn median(v: &mut [f64]) -> f64 {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    }

    #[test]
    fn frauds_are_format_valid_and_plausibly_wrong() {
        let mut cfg = GeneratorConfig::demo(14, TODAY, 9);
        cfg.error_share = Some(0.0);
        for t in &mut cfg.traders {
            t.fraud_rate = 0.5;
            t.fraud_mix = FraudKind::ALL.iter().map(|k| (*k, 1.0)).collect();
        }
        let office = cfg.office.clone();
        let mut g = generator(cfg);
        let by_code: HashMap<&str, &str> = bundle()
            .hs
            .iter()
            .map(|e| (e.code.as_str(), e.description.as_str()))
            .collect();
        let mut counts: HashMap<Option<FraudKind>, usize> = HashMap::new();
        let mut honest: HashMap<String, Vec<f64>> = HashMap::new();
        let mut under: HashMap<String, Vec<f64>> = HashMap::new();
        for _ in 0..6_000 {
            let s = g.next();
            assert!(s.expect.is_valid());
            let d = parse(&s.body);
            check(&d, &office).unwrap_or_else(|e| panic!("{:?}: {e}", s.fraud));
            *counts.entry(s.fraud).or_default() += 1;
            match s.fraud {
                None => {
                    for i in &d.items {
                        // Honest items describe their own subheading.
                        assert_eq!(by_code[i.hs_code.as_str()], i.description);
                        honest
                            .entry(i.hs_code.to_string())
                            .or_default()
                            .push(usd_per_kg_of(&d, i));
                    }
                }
                Some(FraudKind::Undervaluation) => {
                    for i in &d.items {
                        under
                            .entry(i.hs_code.to_string())
                            .or_default()
                            .push(usd_per_kg_of(&d, i));
                    }
                }
                Some(FraudKind::Misclassification) => {
                    let wrong: Vec<_> = d
                        .items
                        .iter()
                        .filter(|i| by_code[i.hs_code.as_str()] != i.description)
                        .collect();
                    assert!(!wrong.is_empty(), "no misclassified item");
                    for i in wrong {
                        let true_code = by_code
                            .iter()
                            .find(|(_, desc)| **desc == i.description)
                            .unwrap()
                            .0;
                        assert_eq!(
                            &true_code[..2],
                            i.hs_code.chapter(),
                            "decoy stays in the chapter"
                        );
                    }
                }
                Some(FraudKind::FalseOrigin) => {
                    for i in &d.items {
                        assert!(PREFERENTIAL_PARTNERS.contains(&i.origin.as_str()));
                        assert_eq!(i.preferential_origin.as_ref(), Some(&i.origin));
                        assert!(i
                            .documents
                            .iter()
                            .any(|doc| doc.type_code.as_str() == PROOF_OF_ORIGIN));
                    }
                }
            }
        }
        for k in FraudKind::ALL {
            assert!(
                counts.get(&Some(k)).copied().unwrap_or(0) > 300,
                "{counts:?}"
            );
        }
        let mut compared = 0;
        for (code, u) in &mut under {
            let Some(h) = honest.get_mut(code) else {
                continue;
            };
            if u.len() < 20 || h.len() < 20 {
                continue;
            }
            let (mu, mh) = (median(u), median(h));
            assert!(
                mu < mh / 3.0,
                "{code}: undervalued {mu} vs honest {mh} USD/kg"
            );
            compared += 1;
        }
        assert!(compared >= 10, "{compared}");
    }

    #[test]
    fn reliable_traders_do_not_commit_fraud_and_frauds_can_be_disabled() {
        let mut g = generator(GeneratorConfig::demo(20, TODAY, 21));
        for _ in 0..5_000 {
            let s = g.next();
            if s.fraud.is_some() {
                let i = demo_traders(20)
                    .iter()
                    .position(|t| t.id == s.trader)
                    .unwrap();
                assert_ne!(BEHAVIOUR_CYCLE[i % 10], Behaviour::Reliable);
            }
        }
        let mut cfg = GeneratorConfig::demo(20, TODAY, 21);
        cfg.frauds = false;
        let mut g = generator(cfg);
        assert!((0..5_000).all(|_| g.next().fraud.is_none()));
    }

    #[test]
    fn demo_traders_match_the_demo_setup() {
        let t = demo_traders(30);
        assert_eq!(t[0].id.as_str(), "UZ000000000101");
        assert_eq!(t[29].id.as_str(), "UZ000000000130");
        assert_eq!(t.iter().map(|p| &p.id).collect::<HashSet<_>>().len(), 30);
        assert_eq!(t.iter().map(|p| &p.name).collect::<HashSet<_>>().len(), 30);
        assert!(t.iter().all(|p| p.address.country.as_str() == "UZ"));
        // Every sector's codes, decoys and origins exist in the reference data.
        let g = generator(GeneratorConfig::demo(SECTORS.len() * 10, TODAY, 1));
        let r = refdata();
        for tr in &g.traders {
            assert!(tr.origins.iter().all(|c| r.country_exists(c)));
            for goods in &tr.goods {
                let decoy = goods.decoy.as_ref().expect("every demo good has a decoy");
                assert!(r.hs_code_valid(decoy, TODAY));
                assert_ne!(decoy, &goods.hs);
                assert_eq!(decoy.chapter(), goods.hs.chapter());
            }
        }
        for code in &g.unknown_hs {
            assert!(
                !r.hs_code_valid(&HsCode::parse(code).unwrap(), TODAY),
                "{code}"
            );
        }
        let office = OfficeCode::parse(DEMO_OFFICE).unwrap();
        assert!(r
            .office_roles(&office)
            .is_some_and(|roles| roles.iter().any(|x| x == "IMP")));
        for p in PARTNERS {
            assert!(r.country_exists(&cc(p.code)));
            assert!(p
                .currencies
                .iter()
                .all(|(c, _)| r.currency_minor_units(&CurrencyCode::parse(c).unwrap()) == Some(2)));
        }
        assert!(SEA_FLAGS
            .iter()
            .chain(&PREFERENTIAL_PARTNERS)
            .all(|c| r.country_exists(&cc(c))));
        for code in ["XX", "QZ"] {
            assert!(!r.country_exists(&cc(code)));
        }
        assert!(r
            .currency_minor_units(&CurrencyCode::parse("ZZZ").unwrap())
            .is_none());
    }

    #[test]
    fn bad_configurations_are_refused() {
        let refuse = |cfg: GeneratorConfig| Generator::new(cfg, bundle()).err().expect("refused");
        let mut cfg = GeneratorConfig::demo(3, TODAY, 1);
        cfg.traders[1].hs_mix.push(("770000".into(), 1.0));
        assert!(
            matches!(refuse(cfg), SynthError::Trader { trader, .. } if trader == "UZ000000000102")
        );
        // The pseudo-code for unspecified commodities is not goods.
        let mut cfg = GeneratorConfig::demo(3, TODAY, 1);
        cfg.traders[0].hs_mix.push(("999999".into(), 1.0));
        refuse(cfg);
        let mut cfg = GeneratorConfig::demo(3, TODAY, 1);
        cfg.traders[0].hs_mix.push(("8471".into(), 1.0));
        refuse(cfg);
        let mut cfg = GeneratorConfig::demo(3, TODAY, 1);
        cfg.traders[2].origin_mix.clear();
        refuse(cfg);
        let mut cfg = GeneratorConfig::demo(3, TODAY, 1);
        cfg.items_per_declaration = (3, 2);
        refuse(cfg);
        let mut cfg = GeneratorConfig::demo(3, TODAY, 1);
        cfg.error_share = Some(1.5);
        refuse(cfg);
        let mut cfg = GeneratorConfig::demo(3, TODAY, 1);
        cfg.traders.push(cfg.traders[0].clone());
        refuse(cfg);
        assert_eq!(
            refuse(GeneratorConfig::demo(0, TODAY, 1)),
            SynthError::NoTraders
        );
    }

    #[test]
    fn mutate_10000_bodies() {
        let mut g = generator(GeneratorConfig::demo(10, TODAY, 77));
        let bodies: Vec<Vec<u8>> = std::iter::repeat_with(|| g.next())
            .filter(|s| s.expect.is_valid())
            .take(200)
            .map(|s| s.body)
            .collect();
        let mut rng = ChaCha8Rng::seed_from_u64(99);
        let mut seen: HashMap<Mutation, usize> = HashMap::new();
        for n in 0..10_000 {
            let body = &bodies[n % bodies.len()];
            let (out, kind) = mutate_with_kind(body, &mut rng);
            *seen.entry(kind).or_default() += 1;
            assert_ne!(&out, body, "{kind:?} left the body unchanged");
            let parsed = serde_json::from_slice::<Declaration>(&out);
            match kind {
                Mutation::Truncate => assert!(serde_json::from_slice::<Value>(&out).is_err()),
                Mutation::DeepNesting => {
                    assert!(out.windows(1000).any(|w| w.iter().all(|b| *b == b'[')));
                    assert!(parsed.is_err());
                }
                Mutation::WrongType => {
                    assert!(parsed.is_err(), "{}", String::from_utf8_lossy(&out))
                }
                Mutation::HugeString => assert!(out.len() > HUGE_STRING_BYTES),
                _ => {}
            }
        }
        for k in Mutation::ALL {
            assert!(seen.get(&k).copied().unwrap_or(0) > 800, "{seen:?}");
        }
        // Same seed, same mutations; garbage in still mutates.
        let a = mutate(&bodies[0], &mut ChaCha8Rng::seed_from_u64(1));
        let b = mutate(&bodies[0], &mut ChaCha8Rng::seed_from_u64(1));
        assert_eq!(a, b);
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        for _ in 0..100 {
            let _ = mutate(b"not json", &mut rng);
            let _ = mutate(b"", &mut rng);
            let _ = mutate(b"[]", &mut rng);
        }
    }

    /// The point of the generator: format-logical control passes every
    /// valid and fraudulent body without even a warning, and rejects every
    /// erroneous one.
    #[test]
    fn control_agrees_with_expectations() {
        use tamga_core::control::{run, ControlContext};
        let mut cfg = GeneratorConfig::demo(40, TODAY, 4);
        cfg.error_share = Some(0.3);
        let mut g = generator(cfg);
        let mut rejected: HashMap<&str, usize> = HashMap::new();
        for _ in 0..3_000 {
            let s = g.next();
            let Ok(doc) = serde_json::from_slice::<Value>(&s.body) else {
                assert_eq!(
                    s.expect,
                    Expectation::Erroneous {
                        what: ERR_TRUNCATED
                    }
                );
                continue;
            };
            let ctx = ControlContext {
                reference: refdata(),
                today: TODAY,
                lodged_by: &s.trader,
            };
            let report = run(&doc, &ctx);
            match s.expect {
                Expectation::Valid => assert!(
                    report.passed() && report.violations.is_empty(),
                    "{:?}: {:?}",
                    s.fraud,
                    report.violations
                ),
                Expectation::Erroneous { what } => {
                    assert!(!report.passed(), "{what} passed control");
                    *rejected.entry(what).or_default() += 1;
                }
            }
        }
        assert_eq!(rejected.len(), ERROR_KINDS.len() - 1, "{rejected:?}");
    }
}
