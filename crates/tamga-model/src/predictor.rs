//! The trees flattened for scoring: one array of nodes for the whole
//! ensemble, walked over row-major feature vectors.
//!
//! forust evaluates one tree over every row of a column-major matrix before
//! the next tree; for one declaration, or a batch encoded row by row, a
//! walk over compact nodes in one array is many times faster. The walk has
//! no data-dependent branch: every tree is laid out complete to its depth
//! (children found by arithmetic, not pointers) and walked exactly that
//! deep; a split sends a row left when `value < split` or, where missing
//! values go left, when the value is missing (NaN). Rows are walked
//! [`LANES`] at a time so that their independent walks overlap in the
//! processor.
//!
//! Built from the trained booster and checked against it: the same leaves,
//! added in the same order, so the same score to the last bit.

use forust_ml::GradientBooster;

/// Rows walked together by [`Predictor::log_odds_many`].
pub const LANES: usize = 8;

/// Groups of [`LANES`] rows taken through the trees together.
pub const GROUPS: usize = 8;

/// The high bit of `feature`: missing values go left.
const MISSING_LEFT: u32 = 1 << 31;

/// A split: left when `value < split`, or when the value is missing and
/// missing values go left.
#[derive(Clone, Copy, Debug)]
struct Split {
    split: f64,
    /// Feature, with [`MISSING_LEFT`].
    feature: u32,
}

impl Split {
    #[inline(always)]
    fn feature(&self) -> usize {
        (self.feature & !MISSING_LEFT) as usize
    }

    /// 0 to go left, 1 to go right.
    #[inline(always)]
    fn right(&self, v: f64) -> usize {
        let left = (v < self.split) | (v.is_nan() & (self.feature & MISSING_LEFT != 0));
        usize::from(!left)
    }
}

/// One tree, laid out complete to its depth: node `i`'s children are
/// `2i + 1` and `2i + 2`; a leaf above the last level is repeated into
/// every leaf below it (the splits on the way there are never decisive).
#[derive(Clone, Copy, Debug)]
struct Layout {
    /// First split in `splits` and first leaf in `leaves`.
    splits: u32,
    leaves: u32,
    depth: u32,
}

/// The ensemble's trees, flattened.
#[derive(Clone, Debug, Default)]
pub struct Predictor {
    splits: Vec<Split>,
    leaves: Vec<f64>,
    trees: Vec<Layout>,
    base: f64,
    cols: usize,
}

/// The deepest a tree may be to be laid out complete.
pub(crate) const MAX_DEPTH: usize = 16;

impl Predictor {
    /// Flattens the booster's trees, or says why it cannot: a tree with a
    /// separate branch for missing values (tamga's trees send them left or
    /// right), a split on a feature beyond `cols`, or a tree deeper than
    /// 16.
    pub fn new(booster: &GradientBooster, cols: usize) -> Result<Predictor, String> {
        let mut p = Predictor {
            base: booster.base_score,
            cols,
            ..Predictor::default()
        };
        for (t, tree) in booster.trees.iter().enumerate() {
            let nodes = &tree.nodes;
            let ok = |i: usize, depth: usize| i < nodes.len() && nodes[i].depth == depth;
            let depth = nodes.iter().map(|n| n.depth).max().unwrap_or(0);
            if depth > MAX_DEPTH || !ok(0, 0) {
                return Err(format!(
                    "tree {t} is not a tree of depth at most {MAX_DEPTH}"
                ));
            }
            let layout = Layout {
                splits: p.splits.len() as u32,
                leaves: p.leaves.len() as u32,
                depth: depth as u32,
            };
            p.splits.resize(
                p.splits.len() + (1 << depth) - 1,
                Split {
                    split: 0.0,
                    feature: 0,
                },
            );
            p.leaves.resize(p.leaves.len() + (1 << depth), 0.0);
            // (node in forust's tree, position in the complete tree, level)
            let mut stack = vec![(0usize, 0usize, 0usize)];
            while let Some((i, at, level)) = stack.pop() {
                let n = &nodes[i];
                if n.is_leaf {
                    // Every leaf below `at` on the last level.
                    let first = ((at + 1) << (depth - level)) - 1 - ((1 << depth) - 1);
                    let count = 1 << (depth - level);
                    let start = layout.leaves as usize + first;
                    p.leaves[start..start + count].fill(f64::from(n.weight_value));
                    continue;
                }
                let missing_left = if n.missing_node == n.left_child {
                    true
                } else if n.missing_node == n.right_child {
                    false
                } else {
                    return Err(format!("tree {t} has a separate branch for missing values"));
                };
                if n.split_feature >= cols
                    || !ok(n.left_child, level + 1)
                    || !ok(n.right_child, level + 1)
                {
                    return Err(format!("tree {t}, node {i}: not a well-formed split"));
                }
                p.splits[layout.splits as usize + at] = Split {
                    split: n.split_value,
                    feature: n.split_feature as u32 | if missing_left { MISSING_LEFT } else { 0 },
                };
                stack.push((n.left_child, 2 * at + 1, level + 1));
                stack.push((n.right_child, 2 * at + 2, level + 1));
            }
            p.trees.push(layout);
        }
        Ok(p)
    }

    /// The raw score (log-odds) of one row of features.
    pub fn log_odds(&self, row: &[f64]) -> f64 {
        let row = &row[..self.cols];
        let mut sum = self.base;
        for t in &self.trees {
            let splits = &self.splits[t.splits as usize..];
            let mut i = 0;
            for _ in 0..t.depth {
                let s = &splits[i];
                i = 2 * i + 1 + s.right(row[s.feature()]);
            }
            sum += self.leaves[t.leaves as usize + (i - ((1 << t.depth) - 1))];
        }
        sum
    }

    /// The raw scores of rows laid one after another (`cols` features
    /// each) into `out`: the same values as [`Predictor::log_odds`], faster.
    ///
    /// A block of up to [`GROUPS`] × [`LANES`] rows goes through the trees
    /// one tree at a time, so that a tree's nodes are read from the
    /// nearest cache for every group of the block; within a group the
    /// `LANES` walks overlap. Each row still adds its trees' leaves in
    /// tree order, so the sums are the same bits.
    pub fn log_odds_many(&self, rows: &[f64], out: &mut [f64]) {
        let cols = self.cols;
        assert_eq!(rows.len(), out.len() * cols, "rows of {cols} features");
        for (block, o) in rows
            .chunks(cols * LANES * GROUPS)
            .zip(out.chunks_mut(LANES * GROUPS))
        {
            o.fill(self.base);
            for t in &self.trees {
                let splits =
                    &self.splits[t.splits as usize..t.splits as usize + (1 << t.depth) - 1];
                let (first, inner) = (t.leaves as usize, (1 << t.depth) - 1);
                for (group, o) in block.chunks(cols * LANES).zip(o.chunks_mut(LANES)) {
                    // A partial group (the goods items of one declaration,
                    // say) walks its rows together too.
                    let lanes = o.len();
                    let mut at = [0usize; LANES];
                    for _ in 0..t.depth {
                        for (l, i) in at[..lanes].iter_mut().enumerate() {
                            // SAFETY: `i` is a split of this tree (below
                            // 2^depth − 1: `depth` steps from 0 by `2i + 1` or
                            // `2i + 2` end on the last level, which is
                            // leaves), and a split's feature is below `cols`
                            // (checked in `new`); `group` holds `lanes` rows
                            // of `cols` features (the assertion above).
                            let s = unsafe { splits.get_unchecked(*i) };
                            let v = unsafe { *group.get_unchecked(l * cols + s.feature()) };
                            *i = 2 * *i + 1 + s.right(v);
                        }
                    }
                    for (s, i) in o.iter_mut().zip(at) {
                        *s += self.leaves[first + (i - inner)];
                    }
                }
            }
        }
    }

    /// The probability of fraud of one row of features.
    pub fn probability(&self, row: &[f64]) -> f64 {
        probability(self.log_odds(row))
    }
}

/// The probability from log-odds.
pub fn probability(log_odds: f64) -> f64 {
    1.0 / (1.0 + (-log_odds).exp())
}
