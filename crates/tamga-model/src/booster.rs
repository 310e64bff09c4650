//! Training and the trained model.
//!
//! Gradient-boosted trees over the features of [`crate::features`], grown
//! by the `grow` module (XGBoost's histogram method, on every core, the same model
//! for the same seed whatever the cores) and kept as a `forust-ml` booster,
//! whose exact TreeSHAP explains a score. A model is saved as one JSON
//! document: what it was trained on ([`ModelInfo`]), the encoder and the
//! trees. Its content hash is the SHA-256 of those bytes, so two trainings
//! on the same data with the same seed give the same file and the same
//! hash.

use forust_ml::objective::ObjectiveType;
use forust_ml::sampler::SampleMethod;
use forust_ml::GradientBooster;
use serde::{Deserialize, Serialize};
use time::Date;

use crate::features::Encoder;
use crate::predictor::{probability, Predictor, GROUPS, LANES};
use crate::record::Record;
use crate::RiskModel;

mod grow;

/// The file format's name and version.
pub const FORMAT: &str = "tamga-risk-model/1";

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("no inspected declarations to learn from")]
    NoLabels,
    #[error("the inspected declarations are all fraudulent or all not: nothing to tell apart")]
    OneClass,
    #[error("training failed: {0}")]
    Training(String),
    #[error("not a tamga risk model: {0}")]
    Format(String),
}

/// How to train.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainOptions {
    /// Seed of the booster's row sampling.
    pub seed: u64,
    /// Trees.
    pub trees: usize,
    pub learning_rate: f32,
    pub max_depth: usize,
    /// Share of the rows each tree learns from.
    pub subsample: f32,
}

/// 150 trees of depth 5 at learning rate 0.1, each on 80 % of the rows:
/// the shrinkage budget (rate × trees = 15) of the 300 trees at 0.05 used
/// before, at the rate usual for boosted trees, so half the trees to grow
/// and to walk. Fixed beforehand, not tuned on the validation period.
impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            seed: 1,
            trees: 150,
            learning_rate: 0.1,
            max_depth: 5,
            subsample: 0.8,
        }
    }
}

/// What a model was trained on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub format: String,
    pub options: TrainOptions,
    /// First and last declaration date learnt from.
    pub data_from: Date,
    pub data_to: Date,
    /// Inspected declarations learnt from, and the fraudulent ones.
    pub rows: usize,
    pub frauds: usize,
    pub features: Vec<String>,
    pub trees: usize,
}

/// One feature's push on a score, in log-odds (positive: riskier).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    pub feature: String,
    /// The feature's value for this declaration (`None` when absent).
    pub value: Option<f64>,
    pub contribution: f64,
}

/// A trained model.
#[derive(Serialize, Deserialize)]
pub struct GbdtModel {
    pub info: ModelInfo,
    encoder: Encoder,
    booster: GradientBooster,
    /// The trees flattened, built on training and on load.
    #[serde(skip)]
    predictor: Predictor,
    /// The trees' TreeSHAP tables, built on the first explanation (or by
    /// [`GbdtModel::prepare_explaining`]).
    #[serde(skip)]
    explainer: std::sync::OnceLock<crate::shap_table::Tables>,
}

/// Trains on the inspected records (those with a label); the rest still
/// teach the value ratios.
pub fn train(records: &[Record], options: TrainOptions) -> Result<GbdtModel, ModelError> {
    let (encoder, data) = Encoder::fit_transform(records);
    let names = encoder.feature_names();
    let cols = names.len();
    let labelled: Vec<usize> = (0..records.len())
        .filter(|i| records[*i].label.is_some())
        .collect();
    if labelled.is_empty() {
        return Err(ModelError::NoLabels);
    }
    let y: Vec<f64> = labelled
        .iter()
        .map(|i| f64::from(u8::from(records[*i].label == Some(true))))
        .collect();
    let frauds = y.iter().filter(|v| **v > 0.5).count();
    if frauds == 0 || frauds == y.len() {
        return Err(ModelError::OneClass);
    }
    let rows = records.len();
    let mut x = Vec::with_capacity(cols * labelled.len());
    for c in 0..cols {
        x.extend(labelled.iter().map(|i| data[c * rows + i]));
    }
    // Histograms are split by feature: a few threads are enough for ~50.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let params = grow::Params {
        trees: options.trees,
        learning_rate: f64::from(options.learning_rate),
        max_depth: options.max_depth,
        subsample: f64::from(options.subsample),
        seed: options.seed,
        threads,
    };
    let (base_score, trees) =
        grow::fit(&x, labelled.len(), cols, &y, &params).map_err(ModelError::Training)?;
    // A forust booster holding our trees: forust explains (TreeSHAP) and
    // saves them.
    let mut booster = GradientBooster::default()
        .set_objective_type(ObjectiveType::LogLoss)
        .set_iterations(options.trees)
        .set_learning_rate(options.learning_rate)
        .set_max_depth(options.max_depth)
        .set_subsample(options.subsample)
        .set_seed(options.seed)
        .set_parallel(false);
    booster.sample_method = SampleMethod::Random;
    booster.base_score = base_score;
    booster.trees = trees;
    let dates = labelled.iter().map(|i| records[*i].date);
    let info = ModelInfo {
        format: FORMAT.to_owned(),
        options,
        data_from: dates.clone().min().expect("labelled is not empty"),
        data_to: dates.max().expect("labelled is not empty"),
        rows: labelled.len(),
        frauds,
        features: names,
        trees: booster.trees.len(),
    };
    let predictor = Predictor::new(&booster, cols).map_err(ModelError::Training)?;
    Ok(GbdtModel {
        info,
        encoder,
        booster,
        predictor,
        explainer: Default::default(),
    })
}

impl GbdtModel {
    /// The model as JSON bytes (deterministic for the same model).
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a model serialises")
    }

    /// The model's feature encoder (what training learnt of each entity).
    pub fn encoder(&self) -> &Encoder {
        &self.encoder
    }

    /// Reads a model saved by [`GbdtModel::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<GbdtModel, ModelError> {
        let mut model: GbdtModel =
            serde_json::from_slice(bytes).map_err(|e| ModelError::Format(e.to_string()))?;
        if model.info.format != FORMAT {
            return Err(ModelError::Format(format!(
                "format {:?}, expected {FORMAT:?}",
                model.info.format
            )));
        }
        if model.info.features != model.encoder.feature_names() {
            return Err(ModelError::Format(
                "its features are not this version's".to_owned(),
            ));
        }
        model.predictor = Predictor::new(&model.booster, model.info.features.len())
            .map_err(ModelError::Format)?;
        Ok(model)
    }

    /// Builds the explaining tables now rather than on the first
    /// explanation (a live model does so when it is loaded, so that no
    /// lodging waits for them).
    pub fn prepare_explaining(&self) -> &crate::shap_table::Tables {
        self.explainer
            .get_or_init(|| crate::shap_table::Tables::new(&self.booster.trees))
    }

    /// The SHA-256 of the saved bytes, in hex: the model's identity.
    pub fn content_hash(&self) -> String {
        tamga_core::hash::sha256_hex(self.to_bytes())
    }

    /// Scores a slice on this thread, a block of rows at a time.
    fn score_chunk(&self, records: &[Record], out: &mut [f64]) {
        const BLOCK: usize = GROUPS * LANES;
        // (A declaration's few goods items need a few rows, not a block.)
        let mut rows = Vec::with_capacity(self.info.features.len() * BLOCK.min(records.len()));
        for (records, out) in records.chunks(BLOCK).zip(out.chunks_mut(BLOCK)) {
            rows.clear();
            for r in records {
                self.encoder.encode(r, &mut rows);
            }
            self.predictor.log_odds_many(&rows, out);
            for o in out {
                *o = probability(*o);
            }
        }
    }
}

impl RiskModel for GbdtModel {
    fn feature_names(&self) -> &[String] {
        &self.info.features
    }

    fn score(&self, records: &[Record]) -> Vec<f64> {
        let mut out = vec![0.0; records.len()];
        // Large batches on every core; a few declarations on this thread.
        // (Asking for the cores reads the cgroup's files: not per declaration.)
        let threads = if records.len() < 4096 {
            1
        } else {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        };
        if threads == 1 {
            self.score_chunk(records, &mut out);
            return out;
        }
        let chunk = records.len().div_ceil(threads);
        std::thread::scope(|s| {
            for (r, o) in records.chunks(chunk).zip(out.chunks_mut(chunk)) {
                s.spawn(move || self.score_chunk(r, o));
            }
        });
        out
    }

    fn explain(&self, record: &Record, top: usize) -> Vec<Contribution> {
        let mut x = Vec::new();
        self.encoder.encode(record, &mut x);
        let cols = x.len();
        // Every tree is at most the predictor's depth (checked when the
        // model was built or loaded), so the paths of the trees explained
        // recursively fit `shap::MAX_PATH`.
        let mut contributions = vec![0.0; cols];
        self.prepare_explaining()
            .contributions(&self.booster.trees, &x, &mut contributions);
        let mut out: Vec<Contribution> = self
            .info
            .features
            .iter()
            .zip(&contributions)
            .zip(&x)
            .map(|((feature, c), v)| Contribution {
                feature: feature.clone(),
                value: (!v.is_nan()).then_some(*v),
                contribution: *c,
            })
            .filter(|c| c.contribution != 0.0)
            .collect();
        out.sort_by(|a, b| {
            b.contribution
                .abs()
                .total_cmp(&a.contribution.abs())
                .then_with(|| a.feature.cmp(&b.feature))
        });
        out.truncate(top);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Attribute;
    use forust_ml::gradientbooster::ContributionsMethod;
    use forust_ml::Matrix;
    use time::macros::date;

    /// Importers "BAD*" cheat three times in four, the others once in
    /// twenty, over 60 days.
    fn history() -> Vec<Record> {
        let mut out = Vec::new();
        for day in 0..60i64 {
            for k in 0..20usize {
                let bad = k % 5 == 0;
                let mut cats = vec![String::new(); Attribute::ALL.len()];
                cats[Attribute::Importer.index()] =
                    format!("{}{}", if bad { "BAD" } else { "OK" }, k);
                cats[Attribute::Hs6.index()] = format!("8471{:02}", k % 3);
                let n = day as usize * 20 + k;
                let fraud = if bad {
                    !(day as u64).is_multiple_of(4)
                } else {
                    (day as usize + k).is_multiple_of(20)
                };
                out.push(Record {
                    id: n.to_string(),
                    date: date!(2020 - 01 - 01) + time::Duration::days(day),
                    cats,
                    net_mass_kg: Some(10.0 + k as f64),
                    item_price: Some(1000.0 + (n % 7) as f64 * 10.0),
                    tax_rate: Some(5.0),
                    label: Some(fraud),
                    revenue: None,
                });
            }
        }
        out
    }

    #[test]
    fn it_learns_who_cheats_explains_why_and_is_deterministic() {
        let records = history();
        let (train_part, later) = records.split_at(1000);
        let model = train(train_part, TrainOptions::default()).unwrap();
        assert_eq!(model.info.rows, 1000);
        assert_eq!(model.info.data_from, date!(2020 - 01 - 01));
        let scores = model.score(later);
        let labels: Vec<bool> = later.iter().map(|r| r.label == Some(true)).collect();
        let auc = crate::metrics::auc(&scores, &labels).unwrap();
        assert!(auc > 0.8, "auc {auc}");
        // The explanation of a cheat's score names the importer's history.
        let bad = later
            .iter()
            .find(|r| r.cat(Attribute::Importer).starts_with("BAD"))
            .unwrap();
        let why = model.explain(bad, 3);
        assert!(why[0].feature.starts_with("importer"), "{why:?}");
        assert!(
            why[0].contribution > 0.0,
            "{why:?} {}",
            model.score(std::slice::from_ref(bad))[0]
        );
        // Same data, same seed: the same bytes; they load back and score alike.
        let again = train(train_part, TrainOptions::default()).unwrap();
        assert_eq!(model.content_hash(), again.content_hash());
        let loaded = GbdtModel::from_bytes(&model.to_bytes()).unwrap();
        assert_eq!(loaded.score(later), scores);
        assert!(GbdtModel::from_bytes(b"{\"info\":1}").is_err());
        // A tree the flat predictor cannot walk is refused, not misread.
        let mut json: serde_json::Value = serde_json::from_slice(&model.to_bytes()).unwrap();
        json["booster"]["trees"][0]["nodes"][0]["missing_node"] = 99.into();
        let err = GbdtModel::from_bytes(json.to_string().as_bytes())
            .err()
            .unwrap();
        assert!(err.to_string().contains("missing values"), "{err}");
    }

    #[test]
    fn contributions_add_up_to_the_score() {
        let records = history();
        let model = train(&records[..600], TrainOptions::default()).unwrap();
        let r = &records[700];
        let all = model.explain(r, usize::MAX);
        let mut x = Vec::new();
        model.encoder.encode(r, &mut x);
        let matrix = Matrix::new(&x, 1, x.len());
        let raw = model.booster.predict(&matrix, false)[0];
        let bias =
            model
                .booster
                .predict_contributions(&matrix, ContributionsMethod::Shapley, false)[x.len()];
        let sum: f64 = all.iter().map(|c| c.contribution).sum::<f64>() + bias;
        assert!((sum - raw).abs() < 1e-6, "{sum} vs {raw}");
    }

    #[test]
    fn our_tree_shap_gives_forusts_contributions() {
        let records = history();
        let model = train(&records[..600], TrainOptions::default()).unwrap();
        for r in &records[600..700] {
            let mut x = Vec::new();
            model.encoder.encode(r, &mut x);
            let matrix = Matrix::new(&x, 1, x.len());
            let theirs =
                model
                    .booster
                    .predict_contributions(&matrix, ContributionsMethod::Shapley, false);
            let mut ours = vec![0.0; x.len()];
            crate::shap::contributions(&model.booster.trees, &x, &mut ours);
            for f in 0..x.len() {
                assert!(
                    (ours[f] - theirs[f]).abs() < 1e-9,
                    "feature {f}: {} vs {}",
                    ours[f],
                    theirs[f]
                );
            }
        }
    }

    #[test]
    fn the_tables_give_the_recursive_contributions() {
        let records = history();
        let model = train(&records[..600], TrainOptions::default()).unwrap();
        let tables = model.prepare_explaining();
        assert_eq!(tables.tabled(), model.booster.trees.len());
        // With no room for tables every tree is explained recursively,
        // through the same entry.
        let untabled = crate::shap_table::Tables::with_budget(&model.booster.trees, 0);
        assert_eq!(untabled.tabled(), 0);
        for r in &records[600..700] {
            let mut x = Vec::new();
            model.encoder.encode(r, &mut x);
            let mut recursive = vec![0.0; x.len()];
            crate::shap::contributions(&model.booster.trees, &x, &mut recursive);
            let mut tabled = vec![0.0; x.len()];
            tables.contributions(&model.booster.trees, &x, &mut tabled);
            let mut fallback = vec![0.0; x.len()];
            untabled.contributions(&model.booster.trees, &x, &mut fallback);
            assert_eq!(fallback, recursive);
            for f in 0..x.len() {
                assert!(
                    (tabled[f] - recursive[f]).abs() < 1e-5 * (1.0 + recursive[f].abs()),
                    "feature {f}: {} vs {}",
                    tabled[f],
                    recursive[f]
                );
            }
            // And they add up to the model's log-odds, less the bias.
            let total: f64 = tabled.iter().sum();
            let recursive_total: f64 = recursive.iter().sum();
            assert!(
                (total - recursive_total).abs() < 1e-5,
                "{total} vs {recursive_total}"
            );
        }
    }

    #[test]
    fn the_flat_trees_score_exactly_as_the_booster() {
        let records = history();
        let model = train(&records[..800], TrainOptions::default()).unwrap();
        let x = model.encoder.transform(&records[800..]);
        let rows = records.len() - 800;
        let matrix = Matrix::new(&x, rows, model.info.features.len());
        let booster = model.booster.predict(&matrix, false);
        let mut row = Vec::new();
        for (i, r) in records[800..].iter().enumerate() {
            row.clear();
            model.encoder.encode(r, &mut row);
            assert_eq!(model.predictor.log_odds(&row), booster[i], "row {i}");
        }
        // Many rows at a time (full blocks and the rest): the same bits.
        let part = rows - 5;
        assert_ne!(part % LANES, 0, "the test covers a partial block");
        let mut rows_major = Vec::new();
        for r in &records[800..800 + part] {
            model.encoder.encode(r, &mut rows_major);
        }
        let mut many_odds = vec![0.0; part];
        model.predictor.log_odds_many(&rows_major, &mut many_odds);
        assert_eq!(many_odds, booster[..part]);
        // Large batches are split over threads and give the same scores.
        let mut many = Vec::new();
        while many.len() < 10_000 {
            many.extend_from_slice(&records[800..]);
        }
        let scores = model.score(&many);
        assert_eq!(scores[..rows], model.score(&records[800..])[..]);
        assert_eq!(scores[rows..2 * rows], scores[..rows]);
    }

    #[test]
    fn nothing_to_learn_is_an_error() {
        let mut records = history();
        records.iter_mut().for_each(|r| r.label = None);
        assert!(matches!(
            train(&records, TrainOptions::default()),
            Err(ModelError::NoLabels)
        ));
        records.iter_mut().for_each(|r| r.label = Some(false));
        assert!(matches!(
            train(&records, TrainOptions::default()),
            Err(ModelError::OneClass)
        ));
    }
}
