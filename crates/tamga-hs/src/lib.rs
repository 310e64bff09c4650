//! tamga's HS classification assistant: given a goods description, the
//! HS 2022 subheadings it most likely belongs to, ranked, each with its
//! reasons (the matching terms, the nearest labelled descriptions, the
//! nomenclature path).
//!
//! Pure: no IO, no network, nothing downloaded. The model is built in
//! process from data compiled into the crate — the HS 2022 nomenclature
//! (`reference/hs2022.csv`) and HMRC's labelled parcel descriptions and
//! search terms (`data/hmrc-fpo/`, MIT, Crown copyright) — in seconds,
//! once per process ([`Classifier::shipped`]): TF-IDF indexes (centroids
//! and nearest neighbours, [`model`]), a learned correction ([`rerank`])
//! and linear heading and subheading classifiers ([`linear`]). More labelled
//! descriptions (e.g. classifications an officer confirmed) are one
//! [`Classifier::build`] away.
//!
//! ```
//! let hs = tamga_hs::Classifier::shipped().unwrap();
//! let ranking = hs.rank("mens leather boots").unwrap();
//! assert_eq!(&ranking.top_codes(1)[0].0[..2], "64"); // footwear
//! // Does the declared heading rank in the top 5?
//! assert!(ranking.heading_rank("6403").unwrap() <= 5);
//! ```
//!
//! The goods check (is the description too vague, does the declared
//! heading rank among the description's best?) is [`Classifier::assess`]
//! with [`vague`].
//!
//! How it works and how well: `docs/hs-classification.md`.

pub mod check;
pub mod controlled;
pub mod corpus;
pub mod error;
pub mod evaluate;
pub mod lexicon;
pub mod linear;
pub mod model;
pub mod nomenclature;
pub mod ranking;
pub mod rerank;
pub mod text;
pub mod vague;

use std::sync::OnceLock;

pub use check::{Assessment, HeadingRank, MismatchRule, RANKED_HEADINGS};
pub use controlled::ControlledList;
pub use corpus::{Example, Source};
pub use error::{HsError, MAX_DESCRIPTION_BYTES};
pub use evaluate::{Accuracy, Tally, TopK};
pub use linear::{Discriminative, LinearParams};
pub use model::{Model, Params};
pub use nomenclature::Nomenclature;
pub use ranking::{Neighbour, Node, Path, Ranking, RelatedTerm, Suggestion};
pub use rerank::{RerankParams, Reranker};
pub use vague::{VagueKind, VagueList};

/// The most candidates one call returns.
pub const MAX_TOP: usize = 50;

/// A built classification assistant.
#[derive(Debug)]
pub struct Classifier {
    model: Model,
    reranker: Reranker,
    linear: Discriminative,
}

impl Classifier {
    /// Builds from a nomenclature CSV (`section,hscode,description,parent,level`)
    /// and labelled descriptions.
    pub fn build(
        nomenclature_csv: &str,
        examples: Vec<Example>,
        params: Params,
    ) -> Result<Self, HsError> {
        Ok(Self::build_from(
            Nomenclature::from_csv(nomenclature_csv)?,
            examples,
            params,
        ))
    }

    /// Builds from a read nomenclature (e.g. one with withheld texts,
    /// [`Nomenclature::withhold_texts`]) and labelled descriptions.
    pub fn build_from(nomenclature: Nomenclature, examples: Vec<Example>, params: Params) -> Self {
        let model = Model::build(nomenclature, examples.clone(), params);
        // The correction (its fold models) and the linear models are
        // independent: trained side by side.
        let (reranker, linear) = std::thread::scope(|scope| {
            let reranker = scope
                .spawn(|| Reranker::train(&model.nomenclature, &examples, params, params.rerank));
            let linear = Discriminative::train(
                &model,
                &examples,
                params.linear,
                (params.linear_heading, params.linear_subheading),
            );
            let reranker = reranker
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
            (reranker, linear)
        });
        Classifier {
            model,
            reranker,
            linear,
        }
    }

    /// Builds from the shipped data with the default parameters.
    pub fn build_shipped() -> Result<Self, HsError> {
        Self::build(
            nomenclature::SHIPPED_HS2022,
            corpus::shipped_examples()?,
            Params::default(),
        )
    }

    /// The classifier built from the shipped data, once per process.
    pub fn shipped() -> Result<&'static Classifier, HsError> {
        static SHIPPED: OnceLock<Result<Classifier, HsError>> = OnceLock::new();
        SHIPPED
            .get_or_init(Self::build_shipped)
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Scores every subheading for a description (rejected if empty,
    /// longer than [`MAX_DESCRIPTION_BYTES`] or with control characters).
    pub fn rank(&self, description: &str) -> Result<Ranking<'_>, HsError> {
        error::check_description(description)?;
        Ok(Ranking::new(
            &self.model,
            &self.reranker,
            &self.linear,
            description,
        ))
    }

    /// The `top` best subheadings (at most [`MAX_TOP`]) with their reasons.
    pub fn suggest(&self, description: &str, top: usize) -> Result<Vec<Suggestion>, HsError> {
        Ok(self.rank(description)?.suggestions(top.min(MAX_TOP)))
    }

    /// Whether the heading of `declared` (4 or more digits) is among the
    /// `k` best for the description: the mismatch check.
    pub fn heading_in_top(
        &self,
        description: &str,
        declared: &str,
        k: usize,
    ) -> Result<bool, HsError> {
        Ok(self.rank(description)?.heading_rank(declared)? <= k)
    }

    /// Whether the heading of `code` (its first 4 digits) is in the
    /// nomenclature.
    pub fn knows_heading(&self, code: &str) -> bool {
        code.get(..4)
            .is_some_and(|h| self.model.nomenclature.heading(h).is_some())
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    pub fn reranker(&self) -> &Reranker {
        &self.reranker
    }

    pub fn linear(&self) -> &Discriminative {
        &self.linear
    }

    /// The same classifier with other blend weights for the linear models
    /// (for tuning without retraining).
    pub fn set_linear_weights(&mut self, heading: f32, subheading: f32) {
        self.linear.heading_weight = heading;
        self.linear.subheading_weight = subheading;
    }
}
