//! How well scores select fraud: AUC, and precision, recall and revenue
//! caught when the declarations with the top n % of scores are inspected.
//!
//! The declarations selected at n % are those whose score is strictly
//! above the (100 − n)th percentile of the evaluated scores (the
//! percentile with linear interpolation between ranks, as numpy's default
//! computes it). Ties at the threshold are therefore not selected, and a
//! model that gives everyone the same score selects nobody.

use serde::Serialize;

/// The inspection rates reported, in percent.
pub const RATES: [u32; 4] = [1, 2, 5, 10];

/// One figure per inspection rate of [`RATES`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct At<T> {
    #[serde(rename = "1")]
    pub p1: T,
    #[serde(rename = "2")]
    pub p2: T,
    #[serde(rename = "5")]
    pub p5: T,
    #[serde(rename = "10")]
    pub p10: T,
}

impl<T: Copy> At<T> {
    fn from_fn(mut f: impl FnMut(u32) -> T) -> Self {
        At {
            p1: f(RATES[0]),
            p2: f(RATES[1]),
            p5: f(RATES[2]),
            p10: f(RATES[3]),
        }
    }

    pub fn get(&self, rate: u32) -> Option<T> {
        match rate {
            1 => Some(self.p1),
            2 => Some(self.p2),
            5 => Some(self.p5),
            10 => Some(self.p10),
            _ => None,
        }
    }
}

/// What `tamga risk evaluate --json` prints.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evaluation {
    pub rows: usize,
    pub frauds: usize,
    /// `None` when the rows are all fraudulent or all not.
    pub auc: Option<f64>,
    pub precision_at: At<f64>,
    pub recall_at: At<f64>,
    /// Share of the revenue column caught; `None` without that column.
    pub revenue_at: At<Option<f64>>,
}

/// The `p`th percentile (0..=100) of `sorted`, interpolated linearly.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = p / 100.0 * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f64;
    sorted[lo] + (sorted[hi] - sorted[lo]) * frac
}

/// The area under the ROC curve (Mann–Whitney, ties share their rank).
pub fn auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let pos = labels.iter().filter(|l| **l).count();
    let neg = labels.len() - pos;
    if pos == 0 || neg == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|a, b| scores[*a].total_cmp(&scores[*b]));
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        // Ranks i+1 ..= j+1 share their mean.
        let mean_rank = (i + j + 2) as f64 / 2.0;
        for k in &order[i..=j] {
            if labels[*k] {
                rank_sum += mean_rank;
            }
        }
        i = j + 1;
    }
    let (pos, neg) = (pos as f64, neg as f64);
    Some((rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg))
}

/// Evaluates scores against labels (and revenue, where known).
pub fn evaluate(scores: &[f64], labels: &[bool], revenue: Option<&[f64]>) -> Evaluation {
    assert_eq!(scores.len(), labels.len());
    let frauds = labels.iter().filter(|l| **l).count();
    let mut sorted = scores.to_vec();
    sorted.sort_by(f64::total_cmp);
    let selected = |rate: u32| {
        let threshold = percentile(&sorted, 100.0 - rate as f64);
        (0..scores.len()).filter(move |i| scores[*i] > threshold)
    };
    let precision_at = At::from_fn(|rate| {
        let (n, hits) =
            selected(rate).fold((0, 0), |(n, h), i| (n + 1, h + usize::from(labels[i])));
        if n == 0 {
            0.0
        } else {
            hits as f64 / n as f64
        }
    });
    let recall_at = At::from_fn(|rate| {
        if frauds == 0 {
            return 0.0;
        }
        selected(rate).filter(|i| labels[*i]).count() as f64 / frauds as f64
    });
    let revenue_at = At::from_fn(|rate| {
        let revenue = revenue?;
        let total: f64 = revenue.iter().sum();
        if total <= 0.0 {
            return Some(0.0);
        }
        Some(selected(rate).map(|i| revenue[i]).sum::<f64>() / total)
    });
    Evaluation {
        rows: scores.len(),
        frauds,
        auc: auc(scores, labels),
        precision_at,
        recall_at,
        revenue_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_interpolates_like_numpy() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile(&v, 0.0), 1.0);
        assert_eq!(percentile(&v, 100.0), 4.0);
        assert!((percentile(&v, 90.0) - 3.7).abs() < 1e-12);
        assert_eq!(percentile(&v, 50.0), 2.5);
    }

    #[test]
    fn auc_counts_pairs_and_ties() {
        assert_eq!(
            auc(&[0.1, 0.2, 0.3, 0.4], &[false, false, true, true]),
            Some(1.0)
        );
        assert_eq!(
            auc(&[0.4, 0.3, 0.2, 0.1], &[false, false, true, true]),
            Some(0.0)
        );
        assert_eq!(auc(&[0.5; 4], &[false, true, false, true]), Some(0.5));
        // One positive above one of two negatives.
        assert_eq!(auc(&[0.1, 0.3, 0.2], &[false, false, true]), Some(0.5));
        assert_eq!(auc(&[0.1, 0.2], &[true, true]), None);
    }

    #[test]
    fn selection_is_strictly_above_the_percentile() {
        // 100 rows, scores 0..99; frauds are the top 3.
        let scores: Vec<f64> = (0..100).map(f64::from).collect();
        let labels: Vec<bool> = (0..100).map(|i| i >= 97).collect();
        let revenue: Vec<f64> = (0..100).map(|i| if i >= 97 { 10.0 } else { 0.0 }).collect();
        let e = evaluate(&scores, &labels, Some(&revenue));
        // 99th percentile = 98.01: selects 99 only.
        assert_eq!(e.precision_at.p1, 1.0);
        assert!((e.recall_at.p1 - 1.0 / 3.0).abs() < 1e-12);
        assert!((e.revenue_at.p1.unwrap() - 1.0 / 3.0).abs() < 1e-12);
        // 90th percentile = 89.1: selects 90..=99 (10 rows, 3 frauds).
        assert!((e.precision_at.p10 - 0.3).abs() < 1e-12);
        assert_eq!(e.recall_at.p10, 1.0);
        assert_eq!(e.auc, Some(1.0));
        // Equal scores select nobody; no revenue column gives null.
        let flat = evaluate(&[0.5; 10], &labels[..10], None);
        assert_eq!(flat.precision_at.p10, 0.0);
        assert_eq!(flat.revenue_at.p5, None);
        let json = serde_json::to_string(&flat).unwrap();
        assert!(json.starts_with("{\"rows\":10,\"frauds\":0,\"auc\":null,\"precision_at\":{\"1\":0.0,\"2\":0.0,\"5\":0.0,\"10\":0.0}"), "{json}");
    }
}
