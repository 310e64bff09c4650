//! The trees flattened for scoring: one array of nodes for the whole
//! ensemble, walked row by row over a row-major feature vector.
//!
//! forust evaluates one tree over every row of a column-major matrix before
//! the next tree; for one declaration, or a batch encoded row by row, a
//! walk over compact nodes in one array is several times faster. Built
//! from the trained booster and checked against it: the same leaves, added
//! in the same order, so the same score to the last bit.

use forust_ml::GradientBooster;

#[derive(Clone, Copy, Debug)]
struct Flat {
    /// Feature to split on; `u32::MAX` for a leaf.
    feature: u32,
    left: u32,
    right: u32,
    missing: u32,
    /// Split value (go left when below), or the leaf's weight.
    value: f64,
}

/// The ensemble's trees, flattened.
#[derive(Clone, Debug, Default)]
pub struct Predictor {
    nodes: Vec<Flat>,
    roots: Vec<u32>,
    base: f64,
}

const LEAF: u32 = u32::MAX;

impl Predictor {
    pub fn new(booster: &GradientBooster) -> Predictor {
        let mut nodes = Vec::new();
        let mut roots = Vec::new();
        for tree in &booster.trees {
            let offset = nodes.len() as u32;
            roots.push(offset);
            for n in &tree.nodes {
                nodes.push(if n.is_leaf {
                    Flat {
                        feature: LEAF,
                        left: 0,
                        right: 0,
                        missing: 0,
                        value: f64::from(n.weight_value),
                    }
                } else {
                    Flat {
                        feature: n.split_feature as u32,
                        left: offset + n.left_child as u32,
                        right: offset + n.right_child as u32,
                        missing: offset + n.missing_node as u32,
                        value: n.split_value,
                    }
                });
            }
        }
        Predictor {
            nodes,
            roots,
            base: booster.base_score,
        }
    }

    /// The raw score (log-odds) of one row of features.
    pub fn log_odds(&self, row: &[f64]) -> f64 {
        let mut sum = self.base;
        for &root in &self.roots {
            let mut i = root as usize;
            loop {
                let n = &self.nodes[i];
                if n.feature == LEAF {
                    sum += n.value;
                    break;
                }
                let v = row[n.feature as usize];
                i = if v.is_nan() {
                    n.missing
                } else if v < n.value {
                    n.left
                } else {
                    n.right
                } as usize;
            }
        }
        sum
    }

    /// The probability of fraud of one row of features.
    pub fn probability(&self, row: &[f64]) -> f64 {
        1.0 / (1.0 + (-self.log_odds(row)).exp())
    }
}
