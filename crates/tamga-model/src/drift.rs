//! Drift: how far a distribution moved from one period to the next, as
//! the population stability index (PSI).
//!
//! The reference period's values are cut into bins at its deciles and
//! its maximum (a bin holds the values up to and including its edge);
//! values above the maximum, and missing values, have bins of their own. PSI is
//! `Σ (c − r) · ln(c / r)` over the bins' shares in the current (`c`) and
//! reference (`r`) periods, each share floored at 1e-4. By the usual
//! reading, below 0.1 nothing moved, 0.1 to 0.25 something did, and above
//! [`ALERT`] the model should be looked at (and probably retrained).

use serde::Serialize;

use crate::booster::GbdtModel;
use crate::record::Record;
use crate::RiskModel;

/// The PSI above which drift is alerted.
pub const ALERT: f64 = 0.25;

const FLOOR: f64 = 1e-4;

/// The PSI of `current` against `reference`; `None` when either is empty.
pub fn psi(reference: &[f64], current: &[f64]) -> Option<f64> {
    if reference.is_empty() || current.is_empty() {
        return None;
    }
    let mut sorted: Vec<f64> = reference.iter().copied().filter(|v| !v.is_nan()).collect();
    sorted.sort_by(f64::total_cmp);
    // The deciles and the maximum: a value above every reference value
    // has a bin of its own.
    let mut edges: Vec<f64> = (1..10)
        .filter_map(|k| sorted.get(k * sorted.len() / 10).copied())
        .chain(sorted.last().copied())
        .collect();
    edges.dedup();
    let bins = edges.len() + 2;
    let bin = |v: f64| {
        if v.is_nan() {
            bins - 1
        } else {
            edges.partition_point(|e| *e < v)
        }
    };
    let shares = |values: &[f64]| {
        let mut n = vec![0usize; bins];
        for v in values {
            n[bin(*v)] += 1;
        }
        n.into_iter()
            .map(|k| (k as f64 / values.len() as f64).max(FLOOR))
            .collect::<Vec<f64>>()
    };
    let (r, c) = (shares(reference), shares(current));
    Some(r.iter().zip(&c).map(|(r, c)| (c - r) * (c / r).ln()).sum())
}

/// One feature's drift.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FeatureDrift {
    pub feature: String,
    pub psi: f64,
}

/// The drift of every feature of `model` between the declarations of two
/// periods, largest first.
pub fn feature_drift(
    model: &GbdtModel,
    reference: &[Record],
    current: &[Record],
) -> Vec<FeatureDrift> {
    let names = model.feature_names();
    let (a, b) = (
        model.encoder().transform(reference),
        model.encoder().transform(current),
    );
    let (ra, rb) = (reference.len(), current.len());
    let mut out: Vec<FeatureDrift> = names
        .iter()
        .enumerate()
        .filter_map(|(c, name)| {
            psi(&a[c * ra..(c + 1) * ra], &b[c * rb..(c + 1) * rb]).map(|psi| FeatureDrift {
                feature: name.clone(),
                psi,
            })
        })
        .collect();
    out.sort_by(|x, y| {
        y.psi
            .total_cmp(&x.psi)
            .then_with(|| x.feature.cmp(&y.feature))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_distribution_does_not_drift_and_a_shifted_one_does() {
        let a: Vec<f64> = (0..1000).map(|i| (i % 100) as f64).collect();
        let b: Vec<f64> = (0..800).map(|i| (i % 100) as f64).collect();
        assert!(psi(&a, &b).unwrap() < 0.01);
        let shifted: Vec<f64> = a.iter().map(|v| v + 50.0).collect();
        assert!(psi(&a, &shifted).unwrap() > ALERT);
        // A feature that goes missing drifts too.
        let missing = vec![f64::NAN; 500];
        assert!(psi(&a, &missing).unwrap() > ALERT);
        assert_eq!(psi(&a, &[]), None);
        assert_eq!(psi(&[], &a), None);
    }

    #[test]
    fn a_constant_reference_still_bins() {
        let a = vec![1.0; 100];
        assert!(psi(&a, &a).unwrap().abs() < 1e-12);
        assert!(psi(&a, &[2.0; 100]).unwrap() > ALERT);
    }
}
