//! tamga's learning risk model (issue 17).
//!
//! A declaration is scored by gradient-boosted trees over leakage-free
//! features: what earlier declarations of the same importer, declarant,
//! seller, office, HS code, origin … (and a few pairs of them) revealed when
//! they were inspected, and how the declared value compares with the value
//! ratios seen before. Every score can be explained by the exact
//! contribution of each feature (TreeSHAP).
//!
//! - [`record`]: one declaration as the model sees it ([`Record`]), in the
//!   attributes every source maps to.
//! - [`kcs`]: reading CSV files in the public Korea Customs Service format.
//! - [`features`]: the leakage-free encoder ([`Encoder`]): features of a
//!   declaration come only from declarations dated strictly before it.
//! - [`booster`]: training ([`train`]) and the trained [`GbdtModel`], the
//!   [`RiskModel`] tamga uses (score and explain), saved as one JSON file
//!   with its content hash.
//! - [`predictor`]: the trees flattened for fast scoring.
//! - [`shap`]: exact TreeSHAP contributions without allocation.
//! - [`shap_table`]: the same values from per-leaf tables built once per
//!   model, fast enough for every lodging.
//! - [`source`]: tamga's own declarations as records (one per goods
//!   item), the same for training and for scoring in the lodging path.
//! - [`drift`]: how far feature and score distributions moved between
//!   two periods (PSI).
//! - [`metrics`]: AUC and precision, recall and revenue caught at n %.
//! - [`explore`]: exploration strategies (random, most-uncertain,
//!   adaptive), inclusion probabilities and inverse-probability-weighted
//!   estimators.
//! - [`simulate`]: the inspection-budget simulator (a labelled data set
//!   replayed week by week, labels revealed only for what is inspected).
//!
//! Scores and features are `f64`: they are statistics, not money. No IO
//! here beyond reading from a `Read` and writing to a `Write` the caller
//! opens.

pub mod booster;
pub mod drift;
pub mod features;
pub mod kcs;
pub mod metrics;
pub mod predictor;
pub mod record;
pub mod shap;
pub mod shap_table;
pub mod source;

pub use booster::{train, Contribution, GbdtModel, ModelError, ModelInfo, TrainOptions};
pub use features::Encoder;
pub use metrics::{evaluate, Evaluation};
pub use record::{Attribute, Record};

/// What tamga asks of a risk model: a score per declaration (higher is
/// riskier, in 0..1) and the features that pushed it.
pub trait RiskModel {
    /// The model's feature names, in the order of its contributions.
    fn feature_names(&self) -> &[String];
    /// One score per record, in order.
    fn score(&self, records: &[Record]) -> Vec<f64>;
    /// The `top` features with the largest absolute contribution to the
    /// record's score (log-odds), largest first.
    fn explain(&self, record: &Record, top: usize) -> Vec<Contribution>;
}

pub mod explore;
pub mod simulate;
