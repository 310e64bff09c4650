//! Exact TreeSHAP from precomputed path tables, for explaining on the
//! lodging path.
//!
//! Path-dependent TreeSHAP (the values [`crate::shap`] computes) is a sum
//! over the leaves of one small game per leaf. For the leaf `l` with value
//! `v` whose root path tests the distinct features `P` (`d` of them), let
//! `z_j` be the share of the training cover that follows the path at the
//! splits on feature `j` (the product over those splits) and `o_j` be 1
//! when the row follows the path at every split on `j`, else 0. Then
//!
//! ```text
//! φ_i += v · (o_i − z_i) · Σ_{S ⊆ P∖{i}} |S|!(d−|S|−1)!/d! · Π_{j∈S} o_j · Π_{j∉S, j≠i} z_j
//! ```
//!
//! (Lundberg et al. 2020, the path-dependent value function; features not
//! on the path are null players of the leaf's game and change nothing).
//! Since every `o_j` is 0 or 1, a leaf's contributions depend on the row
//! only through which of its `d` features the row follows, a `d`-bit mask:
//! the `2^d × d` numbers are computed once per model (the idea of Yang's
//! Fast TreeSHAP v2), and explaining a row is a lookup and `d` additions
//! per leaf instead of TreeSHAP's `O(d²)` path arithmetic per leaf.
//!
//! A tree with a leaf testing more than [`MAX_FEATURES`] distinct
//! features, or a model whose tables would pass [`MAX_COEFFICIENTS`], is
//! explained by the recursive algorithm for those trees: the values are
//! the same either way (tested against each other and against the
//! model's own score).

use forust_ml::tree::Tree;

/// The most distinct features on a path a table is built for (`2^8 × 8`
/// numbers per leaf).
pub const MAX_FEATURES: usize = 8;

/// The most numbers all of a model's tables may hold (16 MiB); trees past
/// it are explained recursively.
pub const MAX_COEFFICIENTS: usize = 1 << 21;

/// The model's trees, each tabled or left to the recursive algorithm.
#[derive(Debug, Default)]
pub struct Tables {
    trees: Vec<Option<TreeTable>>,
    /// The most nodes of a tabled tree (the scratch buffer's size).
    max_nodes: usize,
}

#[derive(Debug)]
struct TreeTable {
    /// Per node of the tree, its split (leaves' entries are unused).
    splits: Vec<Split>,
    leaves: Vec<Leaf>,
    steps: Vec<Step>,
    /// Per leaf element, the feature.
    features: Vec<u32>,
    /// Per leaf, `2^d` rows of `d` contributions (leaf value included).
    coefficients: Vec<f64>,
}

#[derive(Clone, Copy, Debug)]
struct Split {
    feature: u32,
    value: f64,
    left: u32,
    right: u32,
    missing: u32,
    leaf: bool,
}

/// One split on a leaf's path: the node, the child the path takes and
/// which of the leaf's distinct features it tests.
#[derive(Clone, Copy, Debug)]
struct Step {
    node: u32,
    child: u32,
    element: u8,
}

/// A split on the way to a node, while the tables are built: the node,
/// the child taken, the split's feature and the child's share of the
/// node's cover.
type PathStep = (usize, usize, usize, f64);

#[derive(Clone, Copy, Debug)]
struct Leaf {
    steps: u32,
    step_count: u8,
    elements: u32,
    d: u8,
    table: u32,
}

/// The child a row with value `v` takes at `s` (as the recursive
/// algorithm and the predictor do: missing values take the missing node).
fn branch(s: &Split, v: f64) -> u32 {
    if v.is_nan() {
        s.missing
    } else if v < s.value {
        s.left
    } else {
        s.right
    }
}

impl Tables {
    /// Builds the tables of `trees`.
    pub fn new(trees: &[Tree]) -> Tables {
        Tables::with_budget(trees, MAX_COEFFICIENTS)
    }

    /// Builds tables holding at most `budget` numbers in all.
    pub fn with_budget(trees: &[Tree], mut budget: usize) -> Tables {
        let mut t = Tables::default();
        for tree in trees {
            let table = TreeTable::new(tree, budget);
            if let Some(table) = &table {
                budget -= table.coefficients.len();
                t.max_nodes = t.max_nodes.max(table.splits.len());
            }
            t.trees.push(table);
        }
        t
    }

    /// How many of the trees are tabled (the rest are explained
    /// recursively).
    pub fn tabled(&self) -> usize {
        self.trees.iter().filter(|t| t.is_some()).count()
    }

    /// Adds each feature's contribution to `out[feature]` for one row, as
    /// [`crate::shap::contributions`] does; `trees` are the trees the
    /// tables were built from.
    pub fn contributions(&self, trees: &[Tree], row: &[f64], out: &mut [f64]) {
        debug_assert_eq!(trees.len(), self.trees.len());
        let mut hot = vec![0u32; self.max_nodes];
        for (tree, table) in trees.iter().zip(&self.trees) {
            match table {
                Some(t) => t.add(row, &mut hot, out),
                None => crate::shap::contributions(std::slice::from_ref(tree), row, out),
            }
        }
    }
}

impl TreeTable {
    /// The tables of one tree, or `None` when a path tests too many
    /// distinct features or the tables would pass `budget` numbers.
    fn new(tree: &Tree, budget: usize) -> Option<TreeTable> {
        let splits: Vec<Split> = tree
            .nodes
            .iter()
            .map(|n| Split {
                feature: n.split_feature as u32,
                value: n.split_value,
                left: n.left_child as u32,
                right: n.right_child as u32,
                missing: n.missing_node as u32,
                leaf: n.is_leaf,
            })
            .collect();
        let mut t = TreeTable {
            splits,
            leaves: Vec::new(),
            steps: Vec::new(),
            features: Vec::new(),
            coefficients: Vec::new(),
        };
        // Depth-first over the root paths: (node, the path to it).
        let mut stack: Vec<(usize, Vec<PathStep>)> = vec![(0, Vec::new())];
        while let Some((i, path)) = stack.pop() {
            let n = tree.nodes.get(i)?;
            if !n.is_leaf {
                let mut children = vec![n.left_child, n.right_child];
                if n.missing_node != n.left_child && n.missing_node != n.right_child {
                    children.push(n.missing_node);
                }
                for c in children {
                    let child = tree.nodes.get(c)?;
                    let share = f64::from(child.hessian_sum) / f64::from(n.hessian_sum);
                    let mut p = path.clone();
                    p.push((i, c, n.split_feature, share));
                    stack.push((c, p));
                }
                continue;
            }
            // The leaf's distinct features, in path order, and their
            // cover shares.
            let mut features: Vec<usize> = Vec::new();
            let mut zero: Vec<f64> = Vec::new();
            let step_start = t.steps.len();
            for &(node, child, feature, share) in &path {
                let e = match features.iter().position(|f| *f == feature) {
                    Some(e) => {
                        zero[e] *= share;
                        e
                    }
                    None => {
                        features.push(feature);
                        zero.push(share);
                        features.len() - 1
                    }
                };
                t.steps.push(Step {
                    node: node as u32,
                    child: child as u32,
                    element: e as u8,
                });
            }
            let d = features.len();
            if d > MAX_FEATURES {
                return None;
            }
            let table = t.coefficients.len();
            if table + (d << d) > budget {
                return None;
            }
            t.leaves.push(Leaf {
                steps: step_start as u32,
                step_count: (t.steps.len() - step_start) as u8,
                elements: t.features.len() as u32,
                d: d as u8,
                table: table as u32,
            });
            t.features.extend(features.iter().map(|f| *f as u32));
            leaf_table(f64::from(n.weight_value), &zero, &mut t.coefficients);
        }
        Some(t)
    }

    fn add(&self, row: &[f64], hot: &mut [u32], out: &mut [f64]) {
        for (i, s) in self.splits.iter().enumerate() {
            if !s.leaf {
                hot[i] = branch(s, row[s.feature as usize]);
            }
        }
        for leaf in &self.leaves {
            let d = usize::from(leaf.d);
            let mut mask = (1usize << d) - 1;
            let steps = leaf.steps as usize;
            for s in &self.steps[steps..steps + usize::from(leaf.step_count)] {
                if hot[s.node as usize] != s.child {
                    mask &= !(1 << s.element);
                }
            }
            let row_start = leaf.table as usize + mask * d;
            let features = leaf.elements as usize;
            for (f, c) in self.features[features..features + d]
                .iter()
                .zip(&self.coefficients[row_start..row_start + d])
            {
                out[*f as usize] += *c;
            }
        }
    }
}

/// Appends a leaf's table: for every mask of the features the row follows
/// (bit `j` set: `o_j = 1`), each feature's contribution.
fn leaf_table(value: f64, zero: &[f64], out: &mut Vec<f64>) {
    let d = zero.len();
    // The Shapley weight of a coalition of k of the other d − 1 features:
    // k!(d−1−k)!/d! = 1 / (d · C(d−1, k)).
    let mut weights = vec![0.0; d];
    let mut binom = 1.0;
    for (k, w) in weights.iter_mut().enumerate() {
        *w = 1.0 / (d as f64 * binom);
        binom = binom * (d - 1 - k) as f64 / (k + 1) as f64;
    }
    let mut poly = vec![0.0; d + 1];
    for mask in 0..1usize << d {
        for i in 0..d {
            // Π_{j≠i} (o_j·t + z_j): the coefficient of t^k sums the
            // coalitions of k followed features.
            poly.fill(0.0);
            poly[0] = 1.0;
            let mut len = 1;
            for (j, z) in zero.iter().enumerate() {
                if j == i {
                    continue;
                }
                let o = if mask >> j & 1 == 1 { 1.0 } else { 0.0 };
                for k in (0..=len).rev() {
                    let shifted = if k > 0 { poly[k - 1] * o } else { 0.0 };
                    poly[k] = poly[k] * z + shifted;
                }
                len += 1;
            }
            let sum: f64 = weights.iter().zip(&poly).map(|(w, p)| w * p).sum();
            let o_i = if mask >> i & 1 == 1 { 1.0 } else { 0.0 };
            out.push(value * (o_i - zero[i]) * sum);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_feature_leaf_gives_its_value_minus_its_expectation() {
        // One feature, followed (o = 1) or not (o = 0), share z = 0.25:
        // φ = v·(o − z).
        let mut out = Vec::new();
        leaf_table(2.0, &[0.25], &mut out);
        assert_eq!(out, vec![2.0 * -0.25, 2.0 * 0.75]);
    }

    #[test]
    fn a_leaf_table_is_the_shapley_value_of_its_game() {
        // Three features: check every mask and feature against the
        // Shapley formula summed over coalitions by brute force.
        let zero = [0.3, 0.6, 0.9];
        let v = 1.5;
        let mut table = Vec::new();
        leaf_table(v, &zero, &mut table);
        let d = zero.len();
        let fact = |n: usize| (1..=n).product::<usize>() as f64;
        for mask in 0..1usize << d {
            let o = |j: usize| (mask >> j & 1) as f64;
            let f = |s: usize| -> f64 {
                (0..d)
                    .map(|j| if s >> j & 1 == 1 { o(j) } else { zero[j] })
                    .product::<f64>()
                    * v
            };
            for i in 0..d {
                let mut phi = 0.0;
                for s in 0..1usize << d {
                    if s >> i & 1 == 1 {
                        continue;
                    }
                    let k = s.count_ones() as usize;
                    let w = fact(k) * fact(d - k - 1) / fact(d);
                    phi += w * (f(s | 1 << i) - f(s));
                }
                let ours = table[mask * d + i];
                assert!(
                    (ours - phi).abs() < 1e-12,
                    "mask {mask} i {i}: {ours} vs {phi}"
                );
            }
        }
    }
}
