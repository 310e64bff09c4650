//! Robust statistics of a sample of unit values: quantiles (median,
//! quartiles, the 5th and 95th percentiles) and a trimmed mean in exact
//! decimal arithmetic, for what is shown and published; the median and
//! median absolute deviation of their natural logarithms in `f64`, for the
//! robust z-score only (no amount is ever stored or shown from them).

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

/// 0.6745 ≈ Φ⁻¹(0.75): scales a median absolute deviation to a normal
/// standard deviation, so a robust z-score reads like a z-score.
pub const MAD_SCALE: f64 = 0.6745;
/// The smallest spread (of log unit values) a z-score divides by: a
/// sample whose unit values are (nearly) all equal would otherwise flag
/// a 1 % difference. ln(1.05): differences of about 5 % are one unit.
pub const MIN_LOG_SPREAD: f64 = 0.048_790_164;
/// Decimal places kept for unit values and the figures derived from them.
pub const UNIT_VALUE_DP: u32 = 4;

/// The robust summary of a sample of (positive) unit values.
#[derive(Debug, Clone, PartialEq)]
pub struct RobustStats {
    pub n: usize,
    pub min: Decimal,
    pub max: Decimal,
    pub p05: Decimal,
    pub q1: Decimal,
    pub median: Decimal,
    pub q3: Decimal,
    pub p95: Decimal,
    /// The mean of the values between the 5th and 95th percentiles.
    pub trimmed_mean: Decimal,
    /// Median of ln(value).
    pub log_median: f64,
    /// Median absolute deviation of ln(value) from `log_median`.
    pub log_mad: f64,
}

/// The `p`-quantile (0 ≤ p ≤ 1) of `sorted`, by linear interpolation
/// between order statistics (type 7, as R and NumPy default).
pub fn quantile(sorted: &[Decimal], p: Decimal) -> Option<Decimal> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let h = p.clamp(Decimal::ZERO, Decimal::ONE) * Decimal::from(n - 1);
    let lo = h.floor();
    let i = lo.to_usize()?;
    let frac = h - lo;
    let a = sorted[i];
    let b = sorted.get(i + 1).copied().unwrap_or(a);
    Some(a + (b - a) * frac)
}

fn median_f64(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

fn round(d: Decimal) -> Decimal {
    d.round_dp(UNIT_VALUE_DP).normalize()
}

impl RobustStats {
    /// The summary of `values` (zero and negative values are ignored:
    /// they have no logarithm and are not prices); `None` when none is
    /// left.
    pub fn of(values: &[Decimal]) -> Option<RobustStats> {
        let mut v: Vec<Decimal> = values
            .iter()
            .copied()
            .filter(|x| *x > Decimal::ZERO)
            .collect();
        if v.is_empty() {
            return None;
        }
        v.sort_unstable();
        let q = |p: Decimal| quantile(&v, p).map(round);
        let p05 = q(Decimal::new(5, 2))?;
        let p95 = q(Decimal::new(95, 2))?;
        let inner: Vec<Decimal> = v
            .iter()
            .copied()
            .filter(|x| *x >= p05 && *x <= p95)
            .collect();
        let inner = if inner.is_empty() { &v } else { &inner };
        let sum = inner
            .iter()
            .try_fold(Decimal::ZERO, |s, x| s.checked_add(*x))?;
        let trimmed_mean = round(sum.checked_div(Decimal::from(inner.len()))?);
        let logs: Vec<f64> = v
            .iter()
            .map(|x| x.to_f64().unwrap_or(f64::MIN_POSITIVE).ln())
            .collect();
        let log_median = median_f64(&logs);
        let mut dev: Vec<f64> = logs.iter().map(|l| (l - log_median).abs()).collect();
        dev.sort_unstable_by(f64::total_cmp);
        let log_mad = median_f64(&dev);
        Some(RobustStats {
            n: v.len(),
            min: v[0],
            max: v[v.len() - 1],
            p05,
            q1: q(Decimal::new(25, 2))?,
            median: q(Decimal::new(5, 1))?,
            q3: q(Decimal::new(75, 2))?,
            p95,
            trimmed_mean,
            log_median,
            log_mad,
        })
    }

    /// The robust z-score of a unit value: 0.6745 · (ln x − median) / MAD
    /// over log unit values, with the MAD floored at [`MIN_LOG_SPREAD`];
    /// `None` for a value that is not positive.
    pub fn z(&self, value: Decimal) -> Option<f64> {
        if value <= Decimal::ZERO {
            return None;
        }
        let x = value.to_f64()?.ln();
        Some(MAD_SCALE * (x - self.log_median) / self.log_mad.max(MIN_LOG_SPREAD))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn ds(xs: &[i64]) -> Vec<Decimal> {
        xs.iter().map(|x| Decimal::from(*x)).collect()
    }

    #[test]
    fn quantiles_interpolate_between_order_statistics() {
        let v = ds(&[1, 2, 3, 4]);
        assert_eq!(quantile(&v, d("0.5")), Some(d("2.5")));
        assert_eq!(quantile(&v, d("0.25")), Some(d("1.75")));
        assert_eq!(quantile(&v, Decimal::ZERO), Some(d("1")));
        assert_eq!(quantile(&v, Decimal::ONE), Some(d("4")));
        assert_eq!(quantile(&[], d("0.5")), None);
        assert_eq!(quantile(&ds(&[7]), d("0.95")), Some(d("7")));
    }

    #[test]
    fn summary_is_robust_to_one_extreme_value() {
        // Ten honest prices and one absurd one: the median and the
        // quartiles barely move, the trimmed mean drops the extreme.
        let mut v = ds(&[10, 11, 9, 10, 12, 10, 8, 11, 10, 9]);
        v.push(Decimal::from(10_000));
        let s = RobustStats::of(&v).unwrap();
        assert_eq!(s.n, 11);
        assert_eq!(s.median, d("10"));
        assert_eq!(s.q1, d("9.5"));
        assert_eq!(s.q3, d("11"));
        assert_eq!(s.min, d("8"));
        assert_eq!(s.max, d("10000"));
        assert!(s.p95 < d("5100"), "{s:?}");
        assert!(s.trimmed_mean < d("11"), "{s:?}");
        assert!((s.log_median - 10f64.ln()).abs() < 1e-12);
        // MAD of logs: half the values are within ln(11/10) of the median.
        assert!((s.log_mad - (11f64 / 10.0).ln()).abs() < 1e-9, "{s:?}");
    }

    #[test]
    fn z_scores_flag_undervaluation_and_overvaluation() {
        let v = ds(&[100, 90, 110, 105, 95, 100, 98, 102, 120, 80]);
        let s = RobustStats::of(&v).unwrap();
        let at_median = s.z(d("100")).unwrap();
        assert!(at_median.abs() < 0.2, "{at_median}");
        let under = s.z(d("30")).unwrap();
        assert!(under < -3.0, "{under}");
        let over = s.z(d("400")).unwrap();
        assert!(over > 3.0, "{over}");
        assert!(s.z(Decimal::ZERO).is_none());
        assert!(s.z(d("-5")).is_none());
    }

    #[test]
    fn identical_prices_use_the_spread_floor() {
        // Every value equal: MAD 0, floored, so a 2 % difference is not
        // an alarm but a halving is.
        let s = RobustStats::of(&ds(&[50; 12])).unwrap();
        assert_eq!(s.log_mad, 0.0);
        assert!(s.z(d("49")).unwrap().abs() < 1.0);
        assert!(s.z(d("25")).unwrap() < -9.0);
    }

    #[test]
    fn non_positive_values_are_not_prices() {
        assert!(RobustStats::of(&[Decimal::ZERO, d("-1")]).is_none());
        let s = RobustStats::of(&[Decimal::ZERO, d("3"), d("5")]).unwrap();
        assert_eq!(s.n, 2);
        assert_eq!(s.median, d("4"));
    }
}
