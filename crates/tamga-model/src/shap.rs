//! Exact TreeSHAP contributions (Lundberg, Erion & Lee 2018, algorithm 2)
//! over the booster's trees, without allocating.
//!
//! The same algorithm and arithmetic as `forust-ml`'s Shapley
//! contributions (`f32` path weights, the node's hessian sum as its
//! cover, the missing branch as a third child), so the numbers agree with
//! it (tested). Forust clones a `Vec` path at every node and recomputes
//! every tree's expected value on every call; here a path is a prefix of a
//! fixed array copied per node visited and the expected values are summed
//! once per model, which makes explaining a declaration cheap enough for
//! every lodging.

use forust_ml::tree::Tree;

/// The longest unique path explained here: a tree of depth `d` needs
/// `d + 2`, and a model with a tree deeper than the predictor's limit is
/// refused at load and at training (`Predictor::new`).
pub const MAX_PATH: usize = crate::predictor::MAX_DEPTH + 2;

#[derive(Clone, Copy, Default)]
struct El {
    feature: usize,
    zero: f32,
    one: f32,
    weight: f32,
}

type Path = [El; MAX_PATH];

fn extend(path: &mut Path, depth: usize, zero: f32, one: f32, feature: usize) {
    path[depth] = El {
        feature,
        zero,
        one,
        weight: if depth == 0 { 1.0 } else { 0.0 },
    };
    for i in (0..depth).rev() {
        path[i + 1].weight += (one * path[i].weight * (i + 1) as f32) / (depth + 1) as f32;
        path[i].weight = (zero * path[i].weight * (depth - i) as f32) / (depth + 1) as f32;
    }
}

fn unwind(path: &mut Path, depth: usize, index: usize) {
    let one = path[index].one;
    let zero = path[index].zero;
    let mut next = path[depth].weight;
    for i in (0..depth).rev() {
        if one != 0.0 {
            let tmp = path[i].weight;
            path[i].weight = (next * (depth + 1) as f32) / ((i + 1) as f32 * one);
            next = tmp - (path[i].weight * zero * (depth - i) as f32) / (depth + 1) as f32;
        } else {
            path[i].weight = (path[i].weight * (depth + 1) as f32) / (zero * (depth - i) as f32);
        }
    }
    for i in index..depth {
        path[i].feature = path[i + 1].feature;
        path[i].zero = path[i + 1].zero;
        path[i].one = path[i + 1].one;
    }
}

fn unwound_sum(path: &Path, depth: usize, index: usize) -> f32 {
    let one = path[index].one;
    let zero = path[index].zero;
    let mut next = path[depth].weight;
    let mut total = 0.0;
    for i in (0..depth).rev() {
        if one != 0.0 {
            let tmp = (next * (depth + 1) as f32) / ((i + 1) as f32 * one);
            total += tmp;
            next = path[i].weight - tmp * zero * ((depth - i) as f32 / (depth + 1) as f32);
        } else if zero != 0.0 {
            total += (path[i].weight / zero) / ((depth - i) as f32 / (depth + 1) as f32);
        }
    }
    total
}

#[allow(clippy::too_many_arguments)]
fn recurse(
    tree: &Tree,
    row: &[f64],
    out: &mut [f64],
    node: usize,
    parent: &Path,
    mut depth: usize,
    zero: f32,
    one: f32,
    feature: usize,
) {
    let mut path: Path = [El::default(); MAX_PATH];
    path[..depth].copy_from_slice(&parent[..depth]);
    extend(&mut path, depth, zero, one, feature);
    let n = &tree.nodes[node];
    if n.is_leaf {
        for i in 1..=depth {
            let w = unwound_sum(&path, depth, i);
            let e = path[i];
            out[e.feature] += f64::from(w * (e.one - e.zero) * n.weight_value);
        }
        return;
    }
    let v = row[n.split_feature];
    let hot = if v.is_nan() {
        n.missing_node
    } else if v < n.split_value {
        n.left_child
    } else {
        n.right_child
    };
    let has_missing = n.missing_node != n.left_child && n.missing_node != n.right_child;
    let all = [n.left_child, n.right_child, n.missing_node];
    let mut children = [hot, 0, 0];
    let mut k = 1;
    for c in &all[..if has_missing { 3 } else { 2 }] {
        if *c != hot {
            children[k] = *c;
            k += 1;
        }
    }
    let mut incoming_zero = 1.0;
    let mut incoming_one = 1.0;
    if let Some(index) = (0..=depth).find(|i| path[*i].feature == n.split_feature) {
        incoming_zero = path[index].zero;
        incoming_one = path[index].one;
        unwind(&mut path, depth, index);
        depth -= 1;
    }
    for (i, c) in children[..k].iter().enumerate() {
        let z = (tree.nodes[*c].hessian_sum / n.hessian_sum) * incoming_zero;
        let o = if i == 0 { incoming_one } else { 0.0 };
        recurse(tree, row, out, *c, &path, depth + 1, z, o, n.split_feature);
    }
}

/// Adds each feature's contribution to `out[feature]` for one row; the
/// caller adds the bias (the base score and the trees' expected values).
/// Missing values are NaN.
pub fn contributions(trees: &[Tree], row: &[f64], out: &mut [f64]) {
    let root: Path = [El::default(); MAX_PATH];
    for t in trees {
        recurse(t, row, out, 0, &root, 0, 1.0, 1.0, usize::MAX);
    }
}
