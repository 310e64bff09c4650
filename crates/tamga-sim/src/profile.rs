//! The generator's public vocabulary: trader behaviours, fraud kinds, the
//! expected outcome of a declaration, the error kinds, trader profiles, the
//! configuration and what the generator yields.

use time::Date;

use tamga_core::codes::{CountryCode, Eori, Lrn, OfficeCode};
use tamga_core::declaration::Address;

use crate::identities::demo_traders;

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
pub(crate) const ERROR_WEIGHTS: [f64; 12] = [
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
