//! One declaration as the model sees it.
//!
//! Every source (a KCS-format CSV file, tamga's own declarations) maps to
//! [`Record`]: an id, a date, the categorical [`Attribute`]s, three numbers
//! and, where an inspection recorded one, the label.

use serde::{Deserialize, Serialize};
use time::Date;

/// The categorical attributes, in a fixed order ([`Record::cats`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Attribute {
    Office,
    ProcessType,
    ImportType,
    ImportUse,
    PaymentType,
    Transport,
    Declarant,
    Importer,
    Seller,
    Courier,
    Hs6,
    Departure,
    Origin,
    TaxType,
    OriginIndicator,
}

impl Attribute {
    pub const ALL: [Attribute; 15] = [
        Attribute::Office,
        Attribute::ProcessType,
        Attribute::ImportType,
        Attribute::ImportUse,
        Attribute::PaymentType,
        Attribute::Transport,
        Attribute::Declarant,
        Attribute::Importer,
        Attribute::Seller,
        Attribute::Courier,
        Attribute::Hs6,
        Attribute::Departure,
        Attribute::Origin,
        Attribute::TaxType,
        Attribute::OriginIndicator,
    ];

    /// The attribute's index in [`Record::cats`].
    pub fn index(self) -> usize {
        Attribute::ALL
            .iter()
            .position(|a| *a == self)
            .expect("every attribute is in ALL")
    }

    /// A short stable name, used in feature names.
    pub fn name(self) -> &'static str {
        match self {
            Attribute::Office => "office",
            Attribute::ProcessType => "process",
            Attribute::ImportType => "import_type",
            Attribute::ImportUse => "import_use",
            Attribute::PaymentType => "payment",
            Attribute::Transport => "transport",
            Attribute::Declarant => "declarant",
            Attribute::Importer => "importer",
            Attribute::Seller => "seller",
            Attribute::Courier => "courier",
            Attribute::Hs6 => "hs6",
            Attribute::Departure => "departure",
            Attribute::Origin => "origin",
            Attribute::TaxType => "tax_type",
            Attribute::OriginIndicator => "origin_indicator",
        }
    }
}

/// One declaration (or one goods item of it).
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// The source's own id, written back with the score.
    pub id: String,
    /// The declaration's date (UTC).
    pub date: Date,
    /// One value per [`Attribute::ALL`], empty when absent.
    pub cats: Vec<String>,
    pub net_mass_kg: Option<f64>,
    /// The goods' price or customs value (any one currency per source).
    pub item_price: Option<f64>,
    /// The duty rate in percent.
    pub tax_rate: Option<f64>,
    /// Whether an inspection found fraud; `None` when not inspected.
    pub label: Option<bool>,
    /// The revenue an inspection recovered, where the source has it.
    pub revenue: Option<f64>,
}

impl Record {
    /// The value of an attribute ("" when absent).
    pub fn cat(&self, a: Attribute) -> &str {
        self.cats.get(a.index()).map(String::as_str).unwrap_or("")
    }

    /// The HS code's first `digits` digits ("" when shorter).
    pub fn hs(&self, digits: usize) -> &str {
        let hs = self.cat(Attribute::Hs6);
        hs.get(..digits).unwrap_or("")
    }

    /// Price per kilogram, when both are known and the mass is positive.
    pub fn unit_value_per_kg(&self) -> Option<f64> {
        match (self.item_price, self.net_mass_kg) {
            (Some(p), Some(m)) if m > 0.0 && p >= 0.0 => Some(p / m),
            _ => None,
        }
    }
}
