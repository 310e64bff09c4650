//! Growing the trees: gradient boosting with histogram splits (log loss),
//! written for this model's size — tens of thousands of rows, about 50
//! features — and its need that a seed gives the same model byte for byte.
//!
//! The trees come out as `forust-ml` trees, so forust's exact TreeSHAP
//! explains them, forust's `predict` checks the flat predictor, and a model
//! file has the same layout as before. Only the fitting is ours: forust's
//! builds every node's histograms in freshly allocated `f64` bins that carry
//! their cut values, on one core when it must be deterministic, and it
//! ignores `subsample` unless a sampling method is also set.
//!
//! The algorithm is XGBoost's `hist` method, depth-wise:
//! - each feature is cut into at most 255 value bins (its distinct values,
//!   or 255 quantiles), bin 0 holding missing values; a split "value below
//!   cut k" is "bin below k", so training and scoring agree exactly;
//! - a level's nodes are split at the best gain
//!   `G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ)` (λ = 1, each child at least
//!   hessian 1, as XGBoost's and forust's defaults), missing values sent
//!   to whichever side gains more (to the larger child when the node had
//!   none);
//! - only the smaller child's histograms are counted, the larger one's are
//!   its parent's minus the smaller's;
//! - leaves weigh `−G/(H+λ)` times the learning rate;
//! - each tree learns from a share `subsample` of the rows, drawn with a
//!   SplitMix64 stream from the seed.
//!
//! Histograms are counted in parallel **by feature**: each feature's bins
//! are summed by one thread, rows in index order, so the sums — and the
//! model — are the same whatever the number of threads.

use forust_ml::tree::Tree;
use serde::Serialize;

/// How to grow.
#[derive(Clone, Copy, Debug)]
pub struct Params {
    pub trees: usize,
    pub learning_rate: f64,
    pub max_depth: usize,
    pub subsample: f64,
    pub seed: u64,
    /// Threads counting histograms (the result does not depend on it).
    pub threads: usize,
}

/// L2 regularisation of leaf weights.
const LAMBDA: f64 = 1.0;
/// The least hessian sum of a child.
const MIN_CHILD_WEIGHT: f64 = 1.0;
/// The least gain worth a split (XGBoost's `kRtEps`).
const MIN_GAIN: f64 = 1e-6;
/// Bins per feature: 0 for missing, 1..=255 for values.
const BINS: usize = 256;
/// Below this many row × feature visits a level is counted on one thread.
const PARALLEL_WORK: usize = 200_000;

/// One feature's histogram: gradient and hessian sums per bin.
type FeatureHist = [[f64; 2]; BINS];

/// The training matrix cut into bins, column-major.
struct Binned {
    rows: usize,
    cols: usize,
    /// Column-major (a feature's bins together, for partitioning).
    bins: Vec<u8>,
    /// Row-major (a row's bins together, for counting).
    by_row: Vec<u8>,
    /// Per feature, its cuts ascending: a value's bin is the number of
    /// cuts at or below it.
    cuts: Vec<Vec<f64>>,
}

impl Binned {
    fn new(x: &[f64], rows: usize, cols: usize, threads: usize) -> Binned {
        let mut bins = vec![0u8; rows * cols];
        let mut cuts = vec![Vec::new(); cols];
        let per = cols.div_ceil(threads.max(1)).max(1);
        std::thread::scope(|s| {
            for ((b, c), f0) in bins
                .chunks_mut(per * rows)
                .zip(cuts.chunks_mut(per))
                .zip((0..cols).step_by(per))
            {
                s.spawn(move || {
                    for (k, (out, cut)) in b.chunks_mut(rows).zip(c).enumerate() {
                        let f = f0 + k;
                        *cut = bin_column(&x[f * rows..(f + 1) * rows], out);
                    }
                });
            }
        });
        let mut by_row = vec![0u8; rows * cols];
        for (f, col) in bins.chunks(rows.max(1)).enumerate() {
            for (i, b) in col.iter().enumerate() {
                by_row[i * cols + f] = *b;
            }
        }
        Binned {
            rows,
            cols,
            bins,
            by_row,
            cuts,
        }
    }

    fn col(&self, f: usize) -> &[u8] {
        &self.bins[f * self.rows..(f + 1) * self.rows]
    }
}

/// Cuts a column (its distinct values, or 255 quantiles when there are
/// more) and writes each row's bin.
fn bin_column(col: &[f64], out: &mut [u8]) -> Vec<f64> {
    let mut values: Vec<f64> = col.iter().copied().filter(|v| !v.is_nan()).collect();
    values.sort_unstable_by(f64::total_cmp);
    let mut cuts = values.clone();
    cuts.dedup();
    if cuts.len() >= BINS {
        cuts = (0..BINS - 1)
            .map(|j| values[j * values.len() / (BINS - 1)])
            .collect();
        cuts.dedup();
    }
    for (o, v) in out.iter_mut().zip(col) {
        *o = if v.is_nan() {
            0
        } else {
            // At most 255 cuts, and the smallest is at or below every value.
            cuts.partition_point(|c| c <= v) as u8
        };
    }
    cuts
}

/// A node while growing.
struct Grown {
    depth: usize,
    g: f64,
    h: f64,
    split: Option<Split>,
}

#[derive(Clone, Copy, Debug)]
struct Split {
    feature: usize,
    /// Left when the bin is below this (and not missing).
    bin: usize,
    missing_left: bool,
    gain: f64,
    /// Sums of the left child.
    gl: f64,
    hl: f64,
    left: usize,
    right: usize,
}

impl Split {
    fn goes_left(&self, bin: u8) -> bool {
        if bin == 0 {
            self.missing_left
        } else {
            (bin as usize) < self.bin
        }
    }
}

/// A node still to split: its rows `idx[start..end]` and histograms.
struct Open {
    node: usize,
    start: usize,
    end: usize,
    hist: Vec<FeatureHist>,
}

/// The best split of a node from its histograms, if any gains.
fn best_split(hist: &[FeatureHist], cuts: &[Vec<f64>], g: f64, h: f64) -> Option<Split> {
    let parent = g * g / (h + LAMBDA);
    let mut best: Option<Split> = None;
    let mut best_gain = MIN_GAIN;
    for (f, fh) in hist.iter().enumerate() {
        let [gm, hm] = fh[0];
        let (mut gv, mut hv) = (0.0, 0.0);
        let mut same = false;
        for (k, bin) in fh.iter().enumerate().take(cuts[f].len() + 1).skip(1) {
            // Left: value bins 1..k, and the missing ones or not. (After an
            // empty bin the candidates are the last ones again: skipped.)
            for missing_left in [false, true] {
                if same {
                    break;
                }
                if missing_left && hm == 0.0 {
                    continue;
                }
                let (gl, hl) = if missing_left {
                    (gv + gm, hv + hm)
                } else {
                    (gv, hv)
                };
                let (gr, hr) = (g - gl, h - hl);
                if hl < MIN_CHILD_WEIGHT || hr < MIN_CHILD_WEIGHT {
                    continue;
                }
                let gain = gl * gl / (hl + LAMBDA) + gr * gr / (hr + LAMBDA) - parent;
                if gain > best_gain {
                    best_gain = gain;
                    // With no missing values here, unseen ones follow the
                    // larger child.
                    let missing_left = if hm == 0.0 { hl > hr } else { missing_left };
                    best = Some(Split {
                        feature: f,
                        bin: k,
                        missing_left,
                        gain,
                        gl,
                        hl,
                        left: 0,
                        right: 0,
                    });
                }
            }
            same = bin[1] == 0.0;
            gv += bin[0];
            hv += bin[1];
        }
    }
    best
}

/// Counts the histograms of several nodes, features spread over threads.
fn count(
    binned: &Binned,
    gh: &[[f64; 2]],
    jobs: Vec<(&[u32], &mut [FeatureHist])>,
    threads: usize,
) {
    let cols = binned.cols;
    let work: usize = jobs.iter().map(|(idx, _)| idx.len()).sum::<usize>() * cols;
    let threads = if work < PARALLEL_WORK {
        1
    } else {
        threads.clamp(1, cols.max(1))
    };
    let per = cols.div_ceil(threads);
    // Per thread: its features' slices of every job.
    let mut parts: Vec<Vec<(&[u32], &mut [FeatureHist])>> =
        (0..threads).map(|_| Vec::new()).collect();
    for (idx, hist) in jobs {
        for (t, chunk) in hist.chunks_mut(per).enumerate() {
            parts[t].push((idx, chunk));
        }
    }
    let run = |t: usize, part: Vec<(&[u32], &mut [FeatureHist])>| {
        let f0 = t * per;
        for (idx, hist) in part {
            hist.iter_mut().for_each(|fh| fh.fill([0.0; 2]));
            let f1 = f0 + hist.len();
            for &i in idx {
                let i = i as usize;
                let [g, h] = gh[i];
                let row = &binned.by_row[i * cols + f0..i * cols + f1];
                for (fh, b) in hist.iter_mut().zip(row) {
                    let bin = &mut fh[*b as usize];
                    bin[0] += g;
                    bin[1] += h;
                }
            }
        }
    };
    if threads == 1 {
        for (t, part) in parts.into_iter().enumerate() {
            run(t, part);
        }
        return;
    }
    std::thread::scope(|s| {
        let mut parts = parts.into_iter().enumerate();
        let first = parts.next();
        for (t, part) in parts {
            s.spawn(move || run(t, part));
        }
        if let Some((t, part)) = first {
            run(t, part);
        }
    });
}

/// Reused histogram buffers.
struct Pool {
    cols: usize,
    free: Vec<Vec<FeatureHist>>,
}

impl Pool {
    fn take(&mut self) -> Vec<FeatureHist> {
        self.free
            .pop()
            .unwrap_or_else(|| vec![[[0.0; 2]; BINS]; self.cols])
    }
}

/// Grows one tree on the rows `idx` (ascending); returns its nodes and,
/// per leaf, its range of `idx` (reordered so each leaf's rows are
/// contiguous).
fn grow(
    binned: &Binned,
    gh: &[[f64; 2]],
    idx: &mut [u32],
    params: &Params,
    pool: &mut Pool,
) -> (Vec<Grown>, Vec<(usize, usize, usize)>) {
    let (g, h) = idx.iter().fold((0.0, 0.0), |(g, h), &i| {
        (g + gh[i as usize][0], h + gh[i as usize][1])
    });
    let mut nodes = vec![Grown {
        depth: 0,
        g,
        h,
        split: None,
    }];
    let mut leaves = Vec::new();
    let mut root = pool.take();
    count(binned, gh, vec![(&idx[..], &mut root[..])], params.threads);
    let mut level = vec![Open {
        node: 0,
        start: 0,
        end: idx.len(),
        hist: root,
    }];
    let mut scratch: Vec<u32> = Vec::with_capacity(idx.len());
    for depth in 0..=params.max_depth {
        let mut next: Vec<Open> = Vec::new();
        // (smaller child's position in `next`, larger's)
        let mut pairs: Vec<(usize, usize)> = Vec::new();
        for open in level {
            let (g, h) = (nodes[open.node].g, nodes[open.node].h);
            let split = if depth < params.max_depth {
                best_split(&open.hist, &binned.cuts, g, h)
            } else {
                None
            };
            let Some(mut split) = split else {
                leaves.push((open.node, open.start, open.end));
                pool.free.push(open.hist);
                continue;
            };
            // Stable partition: left rows first.
            let col = binned.col(split.feature);
            let rows = &mut idx[open.start..open.end];
            scratch.clear();
            let mut n_left = 0;
            for k in 0..rows.len() {
                let i = rows[k];
                if split.goes_left(col[i as usize]) {
                    rows[n_left] = i;
                    n_left += 1;
                } else {
                    scratch.push(i);
                }
            }
            rows[n_left..].copy_from_slice(&scratch);
            split.left = nodes.len();
            split.right = nodes.len() + 1;
            for (cg, ch) in [(split.gl, split.hl), (g - split.gl, h - split.hl)] {
                nodes.push(Grown {
                    depth: depth + 1,
                    g: cg,
                    h: ch,
                    split: None,
                });
            }
            nodes[open.node].split = Some(split);
            let mid = open.start + n_left;
            let left = (split.left, open.start, mid);
            let right = (split.right, mid, open.end);
            let (small, large) = if n_left <= open.end - mid {
                (left, right)
            } else {
                (right, left)
            };
            pairs.push((next.len(), next.len() + 1));
            next.push(Open {
                node: small.0,
                start: small.1,
                end: small.2,
                hist: pool.take(),
            });
            next.push(Open {
                node: large.0,
                start: large.1,
                end: large.2,
                hist: open.hist,
            });
        }
        if depth + 1 < params.max_depth {
            // Children that may split need their histograms.
            let idx: &[u32] = idx;
            let jobs = next
                .iter_mut()
                .step_by(2)
                .map(|o| (&idx[o.start..o.end], &mut o.hist[..]))
                .collect();
            count(binned, gh, jobs, params.threads);
            for (small, large) in pairs {
                let (a, b) = next.split_at_mut(large);
                for (l, s) in b[0].hist.iter_mut().zip(&a[small].hist) {
                    for (lb, sb) in l.iter_mut().zip(s) {
                        lb[0] -= sb[0];
                        lb[1] -= sb[1];
                    }
                }
            }
        }
        level = next;
        if level.is_empty() {
            break;
        }
    }
    (nodes, leaves)
}

/// A node as forust saves it.
#[derive(Serialize)]
struct ForustNode {
    num: usize,
    weight_value: f32,
    hessian_sum: f32,
    depth: usize,
    split_value: f64,
    split_feature: usize,
    split_gain: f32,
    missing_node: usize,
    left_child: usize,
    right_child: usize,
    is_leaf: bool,
}

fn leaf_weight(g: f64, h: f64, learning_rate: f64) -> f64 {
    -g / (h + LAMBDA) * learning_rate
}

/// The grown tree as a forust tree (forust's nodes are built only by
/// deserialising).
fn to_forust(nodes: &[Grown], cuts: &[Vec<f64>], learning_rate: f64) -> Result<Tree, String> {
    let nodes: Vec<ForustNode> = nodes
        .iter()
        .enumerate()
        .map(|(num, n)| {
            let weight_value = leaf_weight(n.g, n.h, learning_rate) as f32;
            match n.split {
                None => ForustNode {
                    num,
                    weight_value,
                    hessian_sum: n.h as f32,
                    depth: n.depth,
                    split_value: 0.0,
                    split_feature: 0,
                    split_gain: 0.0,
                    missing_node: 0,
                    left_child: 0,
                    right_child: 0,
                    is_leaf: true,
                },
                Some(s) => ForustNode {
                    num,
                    weight_value,
                    hessian_sum: n.h as f32,
                    depth: n.depth,
                    split_value: cuts[s.feature][s.bin - 1],
                    split_feature: s.feature,
                    split_gain: s.gain as f32,
                    missing_node: if s.missing_left { s.left } else { s.right },
                    left_child: s.left,
                    right_child: s.right,
                    is_leaf: false,
                },
            }
        })
        .collect();
    serde_json::from_value(serde_json::json!({ "nodes": nodes })).map_err(|e| e.to_string())
}

/// SplitMix64: a small, fixed stream for row sampling.
struct SplitMix(u64);

impl SplitMix {
    fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Fits log-loss trees to `x` (column-major, `rows × cols`, NaN missing)
/// and labels `y` (0 or 1, both present). Returns the base score (the log
/// odds of the labels' mean) and the trees.
pub fn fit(
    x: &[f64],
    rows: usize,
    cols: usize,
    y: &[f64],
    params: &Params,
) -> Result<(f64, Vec<Tree>), String> {
    let binned = Binned::new(x, rows, cols, params.threads);
    let mean = y.iter().sum::<f64>() / rows as f64;
    let base = (mean / (1.0 - mean)).ln();
    let mut yhat = vec![base; rows];
    let mut gh = vec![[0.0; 2]; rows];
    let mut rng = SplitMix(params.seed);
    let mut pool = Pool {
        cols,
        free: Vec::new(),
    };
    let mut trees = Vec::with_capacity(params.trees);
    let mut idx: Vec<u32> = Vec::with_capacity(rows);
    let mut out_of_sample: Vec<u32> = Vec::new();
    for _ in 0..params.trees {
        for ((o, p), t) in gh.iter_mut().zip(&yhat).zip(y) {
            let p = 1.0 / (1.0 + (-p).exp());
            *o = [p - t, (p * (1.0 - p)).max(1e-16)];
        }
        idx.clear();
        out_of_sample.clear();
        for i in 0..rows as u32 {
            if params.subsample >= 1.0 || rng.next_f64() < params.subsample {
                idx.push(i);
            } else {
                out_of_sample.push(i);
            }
        }
        let (nodes, leaves) = grow(&binned, &gh, &mut idx, params, &mut pool);
        for (node, start, end) in leaves {
            let w =
                f64::from(leaf_weight(nodes[node].g, nodes[node].h, params.learning_rate) as f32);
            for &i in &idx[start..end] {
                yhat[i as usize] += w;
            }
        }
        for &i in &out_of_sample {
            let mut n = 0;
            while let Some(s) = nodes[n].split {
                n = if s.goes_left(binned.col(s.feature)[i as usize]) {
                    s.left
                } else {
                    s.right
                };
            }
            yhat[i as usize] +=
                f64::from(leaf_weight(nodes[n].g, nodes[n].h, params.learning_rate) as f32);
        }
        trees.push(to_forust(&nodes, &binned.cuts, params.learning_rate)?);
    }
    Ok((base, trees))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_agree_with_the_cut_values() {
        let col = [3.0, f64::NAN, 1.0, 2.0, 2.0, -0.0, 0.0];
        let mut out = [9u8; 7];
        let cuts = bin_column(&col, &mut out);
        assert_eq!(cuts, vec![-0.0, 1.0, 2.0, 3.0]);
        assert_eq!(out, [4, 0, 2, 3, 3, 1, 1]);
        // "Bin below k" is "value below cut k".
        for (v, b) in col.iter().zip(out) {
            for k in 1..=cuts.len() {
                if !v.is_nan() {
                    assert_eq!((b as usize) < k, *v < cuts[k - 1]);
                }
            }
        }
        // Many distinct values: at most 255 cuts, bins in order.
        let col: Vec<f64> = (0..10_000).map(|i| ((i * 7919) % 10_000) as f64).collect();
        let mut out = vec![0u8; col.len()];
        let cuts = bin_column(&col, &mut out);
        assert!(cuts.len() <= 255 && cuts.len() > 200);
        assert!(out.iter().all(|b| *b >= 1));
        assert_eq!(out[col.iter().position(|v| *v == 0.0).unwrap()], 1);
    }

    #[test]
    fn the_model_does_not_depend_on_the_threads() {
        // y depends on feature 1 (with missing values) and feature 3.
        let rows = 3000;
        let cols = 5;
        let mut x = vec![0.0; rows * cols];
        let mut y = vec![0.0; rows];
        let mut rng = SplitMix(7);
        for i in 0..rows {
            for f in 0..cols {
                x[f * rows + i] = rng.next_f64();
            }
            if i % 7 == 0 {
                x[rows + i] = f64::NAN;
            }
            let a = x[rows + i];
            y[i] = f64::from(u8::from(a.is_nan() || a > 0.7 || x[3 * rows + i] < 0.1));
        }
        let params = |threads| Params {
            trees: 20,
            learning_rate: 0.3,
            max_depth: 3,
            subsample: 0.8,
            seed: 3,
            threads,
        };
        let one = fit(&x, rows, cols, &y, &params(1)).unwrap();
        let three = fit(&x, rows, cols, &y, &params(3)).unwrap();
        let bytes = |t: &(f64, Vec<Tree>)| serde_json::to_string(&t.1).unwrap();
        assert_eq!(bytes(&one), bytes(&three));
        // It learnt the rule: the first split is on feature 1 or 3, and
        // missing values of feature 1 go the fraudulent way.
        let root = &one.1[0].nodes[0];
        assert!(
            [1, 3].contains(&root.split_feature),
            "{}",
            root.split_feature
        );
        let mut row = vec![0.5; cols];
        row[1] = f64::NAN;
        let fraud: f64 = one
            .1
            .iter()
            .map(|t| t.predict_row_from_row_slice(&row, &f64::NAN))
            .sum();
        row[1] = 0.5;
        let clean: f64 = one
            .1
            .iter()
            .map(|t| t.predict_row_from_row_slice(&row, &f64::NAN))
            .sum();
        assert!(fraud > 1.0 && clean < -1.0, "{fraud} {clean}");
    }
}
