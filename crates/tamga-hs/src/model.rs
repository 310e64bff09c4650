//! The model: TF-IDF vectors (word stems and pairs in one block, character
//! n-grams in another, each block normalised, so a cosine is a weighted
//! sum of the two blocks' cosines), and three scorers over inverted
//! indexes, blended per subheading:
//!
//! - the subheading's centroid: its nomenclature text (with its heading's)
//!   plus every labelled description of it, so a subheading without any
//!   example is still reachable;
//! - its heading's centroid (the nomenclature path one level up: every
//!   text and description under the heading), the hierarchical part;
//! - the nearest labelled descriptions (k nearest neighbours), which vote
//!   for their subheading with their similarity.
//!
//! Everything is built from the texts in well under a second; a query is
//! a few thousand multiply-adds over the postings of its features.

use rustc_hash::{FxHashMap, FxHashSet};

use crate::corpus::Example;
use crate::nomenclature::Nomenclature;
use crate::text::{self, Block};

/// How the model is built and blended (the defaults were chosen on a
/// validation split of the training part, never on the held-out set: see
/// `docs/hs-classification.md`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// Share of the word block in a cosine (the rest: character n-grams).
    pub word_share: f32,
    /// Weight of a subheading's own nomenclature text in its centroid,
    /// against 1 for each labelled description.
    pub nomenclature_weight: f32,
    /// Weight of the heading's text in each subheading's centroid.
    pub parent_weight: f32,
    /// Neighbours that vote.
    pub neighbours: usize,
    /// Blend: the subheading centroid's cosine.
    pub centroid: f32,
    /// Blend: the neighbours' votes.
    pub knn: f32,
    /// Blend: the heading centroid's cosine.
    pub heading: f32,
    /// The learned correction ([`crate::rerank`]).
    pub rerank: crate::rerank::RerankParams,
    /// The linear models ([`crate::linear`]).
    pub linear: crate::linear::LinearParams,
    /// Blend: the heading model's score of the subheading's heading.
    pub linear_heading: f32,
    /// Blend: the subheading model's score.
    pub linear_subheading: f32,
    /// Weight of a word the lexicon adds ([`crate::lexicon`]; 0: none).
    pub lexicon: f32,
    /// Weight of the description's head word feature ([`text::head`]; 0: none).
    pub head: f32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            word_share: 0.5,
            nomenclature_weight: 2.0,
            parent_weight: 0.5,
            neighbours: 10,
            centroid: 1.0,
            knn: 0.5,
            heading: 0.5,
            rerank: crate::rerank::RerankParams::default(),
            linear: crate::linear::LinearParams::default(),
            linear_heading: 1.2,
            linear_subheading: 0.4,
            lexicon: crate::lexicon::EXPANSION_WEIGHT,
            head: 1.0,
        }
    }
}

/// Sparse vectors in compressed rows: feature id → (row, weight).
#[derive(Debug, Default)]
struct Postings {
    offsets: Vec<u32>,
    entries: Vec<(u32, f32)>,
}

impl Postings {
    fn build(rows: &[Vec<(u32, f32)>], features: usize) -> Self {
        let mut counts = vec![0u32; features + 1];
        for row in rows {
            for &(f, _) in row {
                counts[f as usize + 1] += 1;
            }
        }
        for i in 1..counts.len() {
            counts[i] += counts[i - 1];
        }
        let mut entries = vec![(0u32, 0f32); counts[features] as usize];
        let mut next = counts.clone();
        for (r, row) in rows.iter().enumerate() {
            for &(f, w) in row {
                let slot = &mut next[f as usize];
                entries[*slot as usize] = (r as u32, w);
                *slot += 1;
            }
        }
        Postings {
            offsets: counts,
            entries,
        }
    }

    fn accumulate(&self, query: &[(u32, f32)], scores: &mut [f32]) {
        for &(f, qw) in query {
            let (a, b) = (
                self.offsets[f as usize] as usize,
                self.offsets[f as usize + 1] as usize,
            );
            for &(r, w) in &self.entries[a..b] {
                scores[r as usize] += qw * w;
            }
        }
    }
}

/// A built model.
#[derive(Debug)]
pub struct Model {
    pub(crate) nomenclature: Nomenclature,
    pub(crate) examples: Vec<Example>,
    /// Subheading index of each example.
    pub(crate) example_class: Vec<u32>,
    /// Word-stem features of each subheading's path texts and descriptions
    /// (for the matching terms).
    pub(crate) class_words: Vec<FxHashSet<u64>>,
    pub(crate) params: Params,
    vocabulary: FxHashMap<u64, u32>,
    /// The feature hash of each feature id.
    hashes: Vec<u64>,
    idf: Vec<f32>,
    blocks: Vec<Block>,
    unknown_idf: f32,
    subheadings: Postings,
    headings: Postings,
    neighbours: Postings,
    /// Share of labelled descriptions per subheading, tiny: breaks ties
    /// and ranks something when no feature is known.
    prior: Vec<f32>,
}

/// Feature counts of a text.
type Counts = FxHashMap<u64, (f32, Block)>;

/// A text's feature counts; with `expansion > 0`, the words the lexicon
/// says the text's words are kinds of ([`crate::lexicon`]), each counted
/// `expansion`; with `head > 0`, its head word ([`text::head`]) counted
/// `head`.
fn counts(text: &str, expansion: f32, head: f32) -> Counts {
    let tokens = text::tokens(text);
    let mut feats = Vec::new();
    text::features(&tokens, &mut feats);
    let mut out = Counts::default();
    for (f, b) in feats {
        out.entry(f).or_insert((0.0, b)).0 += 1.0;
    }
    if head > 0.0 {
        if let Some(h) = text::head(text) {
            out.entry(text::head_feature(&h))
                .or_insert((0.0, Block::Word))
                .0 += head;
        }
    }
    if expansion > 0.0 {
        for (kind, _) in crate::lexicon::Lexicon::shipped().kinds(&tokens) {
            out.entry(text::word_feature(&kind))
                .or_insert((0.0, Block::Word))
                .0 += expansion;
        }
    }
    out
}

/// Sublinear term frequency; a count under 1 (an expansion alone) is its
/// own weight.
fn tf(count: f32) -> f32 {
    if count >= 1.0 {
        1.0 + count.ln()
    } else {
        count
    }
}

fn add(into: &mut FxHashMap<u32, f32>, v: &[(u32, f32)], scale: f32) {
    for &(f, w) in v {
        *into.entry(f).or_insert(0.0) += w * scale;
    }
}

fn normalise(v: FxHashMap<u32, f32>) -> Vec<(u32, f32)> {
    let norm = v.values().map(|w| w * w).sum::<f32>().sqrt();
    let mut out: Vec<(u32, f32)> = if norm > 0.0 {
        v.into_iter().map(|(f, w)| (f, w / norm)).collect()
    } else {
        Vec::new()
    };
    out.sort_unstable_by_key(|&(f, _)| f);
    out
}

/// What a query scored: every subheading's blended score and the nearest
/// labelled descriptions.
#[derive(Debug, Clone)]
pub struct Scores {
    pub subheadings: Vec<f32>,
    /// (example index, cosine), most similar first.
    pub neighbours: Vec<(u32, f32)>,
    /// The word block of the description's TF-IDF vector (stems and
    /// pairs): (feature hash, weight).
    pub words: Vec<(u64, f32)>,
    /// The description's TF-IDF vector: (feature id, weight), sorted.
    pub vector: Vec<(u32, f32)>,
}

impl Model {
    /// Builds the model from a nomenclature and labelled descriptions
    /// (examples whose subheading is not in the nomenclature are left out;
    /// [`Model::left_out`] counts them).
    pub fn build(nomenclature: Nomenclature, examples: Vec<Example>, params: Params) -> Self {
        let (examples, example_class): (Vec<Example>, Vec<u32>) = examples
            .into_iter()
            .filter_map(|e| {
                let c = nomenclature.subheading(&e.code)? as u32;
                Some((e, c))
            })
            .unzip();
        let example_counts: Vec<Counts> = examples
            .iter()
            .map(|e| counts(&e.description, params.lexicon, params.head))
            .collect();
        // Withheld subheading texts are no document (`None`).
        let sub_counts: Vec<Option<Counts>> = (0..nomenclature.subheadings.len())
            .map(|i| {
                nomenclature
                    .training_text(i)
                    .map(|t| counts(t, params.lexicon, params.head))
            })
            .collect();
        let head_counts: Vec<Counts> = nomenclature
            .headings
            .iter()
            .map(|h| counts(&h.text, params.lexicon, params.head))
            .collect();
        // Vocabulary and document frequencies over every text.
        let mut vocabulary = FxHashMap::default();
        let mut df: Vec<f32> = Vec::new();
        let mut blocks = Vec::new();
        let mut hashes = Vec::new();
        let all = example_counts
            .iter()
            .chain(sub_counts.iter().flatten())
            .chain(&head_counts);
        let documents =
            example_counts.len() + sub_counts.iter().flatten().count() + head_counts.len();
        for c in all {
            for (&f, &(_, b)) in c {
                let id = *vocabulary.entry(f).or_insert_with(|| {
                    hashes.push(f);
                    df.push(0.0);
                    blocks.push(b);
                    (df.len() - 1) as u32
                });
                df[id as usize] += 1.0;
            }
        }
        let n = documents as f32;
        let idf: Vec<f32> = df
            .iter()
            .map(|d| ((1.0 + n) / (1.0 + d)).ln() + 1.0)
            .collect();
        let mut model = Model {
            nomenclature,
            examples,
            example_class,
            class_words: Vec::new(),
            params,
            vocabulary,
            hashes,
            idf,
            blocks,
            unknown_idf: (1.0 + n).ln() + 1.0,
            subheadings: Postings::default(),
            headings: Postings::default(),
            neighbours: Postings::default(),
            prior: Vec::new(),
        };
        let ex_vecs: Vec<Vec<(u32, f32)>> =
            example_counts.iter().map(|c| model.vector(c).0).collect();
        let sub_vecs: Vec<Vec<(u32, f32)>> = sub_counts
            .iter()
            .map(|c| c.as_ref().map_or_else(Vec::new, |c| model.vector(c).0))
            .collect();
        let head_vecs: Vec<Vec<(u32, f32)>> =
            head_counts.iter().map(|c| model.vector(c).0).collect();
        let nom = &model.nomenclature;
        let mut sub_sum: Vec<FxHashMap<u32, f32>> = nom
            .subheadings
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mut m = FxHashMap::default();
                add(&mut m, &sub_vecs[i], params.nomenclature_weight);
                add(&mut m, &head_vecs[s.heading], params.parent_weight);
                m
            })
            .collect();
        let mut head_sum: Vec<FxHashMap<u32, f32>> = head_vecs
            .iter()
            .map(|v| {
                let mut m = FxHashMap::default();
                add(&mut m, v, params.nomenclature_weight);
                m
            })
            .collect();
        for (i, s) in nom.subheadings.iter().enumerate() {
            add(
                &mut head_sum[s.heading],
                &sub_vecs[i],
                params.nomenclature_weight,
            );
        }
        let mut class_words: Vec<FxHashSet<u64>> = nom
            .subheadings
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let own = nom.training_text(i).unwrap_or("");
                let text = format!("{own} {}", nom.headings[s.heading].text);
                text::tokens(&text)
                    .iter()
                    .map(|t| text::word_feature(&t.stem))
                    .collect()
            })
            .collect();
        let mut prior = vec![0f32; nom.subheadings.len()];
        for (i, (e, &c)) in model.examples.iter().zip(&model.example_class).enumerate() {
            let c = c as usize;
            add(&mut sub_sum[c], &ex_vecs[i], 1.0);
            add(&mut head_sum[nom.subheadings[c].heading], &ex_vecs[i], 1.0);
            class_words[c].extend(
                text::tokens(&e.description)
                    .iter()
                    .map(|t| text::word_feature(&t.stem)),
            );
            prior[c] += 1.0;
        }
        let total = model.examples.len().max(1) as f32;
        prior.iter_mut().for_each(|p| *p /= total);
        let features = model.idf.len();
        let sub_rows: Vec<_> = sub_sum.into_iter().map(normalise).collect();
        let head_rows: Vec<_> = head_sum.into_iter().map(normalise).collect();
        model.subheadings = Postings::build(&sub_rows, features);
        model.headings = Postings::build(&head_rows, features);
        model.neighbours = Postings::build(&ex_vecs, features);
        model.class_words = class_words;
        model.prior = prior;
        model
    }

    /// The TF-IDF vector of feature counts (known features only, sorted)
    /// and the share of its weight that the model knows.
    fn vector(&self, counts: &Counts) -> (Vec<(u32, f32)>, f32) {
        let mut norms = [0f32; 2];
        let mut known = Vec::with_capacity(counts.len());
        for (f, &(c, b)) in counts {
            let tf = tf(c);
            let id = self.vocabulary.get(f).copied();
            let w = tf * id.map_or(self.unknown_idf, |i| self.idf[i as usize]);
            norms[b as usize] += w * w;
            if let Some(id) = id {
                known.push((id, w));
            }
        }
        let scale = [
            self.params.word_share.sqrt() / norms[0].sqrt().max(f32::MIN_POSITIVE),
            (1.0 - self.params.word_share).sqrt() / norms[1].sqrt().max(f32::MIN_POSITIVE),
        ];
        let mut coverage = 0.0;
        for (id, w) in &mut known {
            *w *= scale[self.blocks[*id as usize] as usize];
            coverage += *w * *w;
        }
        known.sort_unstable_by_key(|&(f, _)| f);
        (known, coverage)
    }

    /// A text's feature counts under the model's parameters.
    fn text_counts(&self, text: &str) -> Counts {
        counts(text, self.params.lexicon, self.params.head)
    }

    /// The TF-IDF vector of a text (known features only, sorted by id).
    pub fn text_vector(&self, text: &str) -> Vec<(u32, f32)> {
        self.vector(&self.text_counts(text)).0
    }

    /// Scores every subheading for a description (already checked).
    pub fn score(&self, description: &str) -> Scores {
        let (q, _) = self.vector(&self.text_counts(description));
        let nom = &self.nomenclature;
        let mut sub = vec![0f32; nom.subheadings.len()];
        let mut head = vec![0f32; nom.headings.len()];
        let mut ex = vec![0f32; self.examples.len()];
        self.subheadings.accumulate(&q, &mut sub);
        self.headings.accumulate(&q, &mut head);
        self.neighbours.accumulate(&q, &mut ex);
        let k = self.params.neighbours.min(ex.len());
        let mut neighbours: Vec<(u32, f32)> = ex
            .iter()
            .enumerate()
            .filter(|(_, &s)| s > 0.0)
            .map(|(i, &s)| (i as u32, s))
            .collect();
        let by_score = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if neighbours.len() > k && k > 0 {
            neighbours.select_nth_unstable_by(k - 1, by_score);
            neighbours.truncate(k);
        }
        neighbours.sort_unstable_by(by_score);
        let p = &self.params;
        let mut knn = vec![0f32; sub.len()];
        for &(i, s) in &neighbours {
            knn[self.example_class[i as usize] as usize] += s;
        }
        let knn_total: f32 = neighbours.iter().map(|n| n.1).sum::<f32>().max(1e-6);
        let top_sim = neighbours.first().map_or(0.0, |n| n.1);
        let subheadings = sub
            .iter()
            .zip(&knn)
            .zip(&nom.subheadings)
            .zip(&self.prior)
            .map(|(((&c, &v), s), &prior)| {
                p.centroid * c
                    + p.knn * top_sim * v / knn_total
                    + p.heading * head[s.heading]
                    + 1e-4 * prior
            })
            .collect();
        Scores {
            subheadings,
            neighbours,
            words: q
                .iter()
                .filter(|&&(id, _)| self.blocks[id as usize] == Block::Word)
                .map(|&(id, w)| (self.hashes[id as usize], w))
                .collect(),
            vector: q,
        }
    }

    /// Labelled descriptions the model holds.
    /// The nomenclature the model ranks.
    pub fn nomenclature(&self) -> &Nomenclature {
        &self.nomenclature
    }

    pub fn example_count(&self) -> usize {
        self.examples.len()
    }

    /// Distinct features (the vocabulary).
    pub fn feature_count(&self) -> usize {
        self.idf.len()
    }

    /// Non-zero weights in the three indexes.
    pub fn weight_count(&self) -> usize {
        self.subheadings.entries.len() + self.headings.entries.len() + self.neighbours.entries.len()
    }
}
