//! The goods check of lodging (issue 18, parts 2 and 3): for every goods
//! item, is its description too vague to classify, does its declared
//! heading rank among the best the HS classification assistant
//! (`tamga-hs`) finds for the description, and does it match an entry of
//! the controlled and dual-use goods list (by code, description or both,
//! `tamga_hs::controlled`), and if so, does it produce a licence?
//!
//! - **Where it goes.** Control warnings (`FLC-DESCRIPTION-VAGUE` at the
//!   item's `description`, `FLC-HS-MISMATCH` at its `hsCode`, naming the
//!   rank and the suggested codes: an honest trader sees a likely
//!   misclassification before an officer does; `FLC-CONTROLLED-GOODS` at
//!   its `documents` when a controlled item produces no licence), the risk
//!   profiles' item attributes `hs_rank`, `hs_mismatch`,
//!   `description_vague`, `controlled_goods` and
//!   `controlled_licence_missing`, and the risk decision (`goods`), which
//!   the officer's task shows with the suggested codes and the list
//!   entries matched. It never refuses a declaration. The screening needs
//!   no model: it runs on every item even before the model is built.
//! - **Never in the way.** It runs in the lodging task after duties,
//!   within a time budget ([`GoodsCheckSettings::budget`]): items it has
//!   no time for are left unchecked and the absence is recorded
//!   (`over_budget`), as it is when the model is not built yet
//!   (`not_ready`: lodging never starts the build nor waits for it,
//!   [`model::HsModel`]) or could not be (`unavailable`), or an item's
//!   check fails or panics (`failed`, logged).
//! - **Cheap for repeated goods.** What the assistant says of a
//!   description does not depend on the declared code, so it is kept per
//!   description (a bounded cache of this process, derived from the
//!   model: emptied when a relearned model is installed).
//! - **Rule.** A declared heading ranked below the
//!   [`GoodsCheckSettings::top_k`] best for its description and scoring at
//!   least [`GoodsCheckSettings::min_gap`] below the best is a mismatch;
//!   the defaults come from the calibration in
//!   `docs/hs-classification.md` ("Goods check").

pub mod learning;
pub mod model;
#[cfg(test)]
mod tests;

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use quick_cache::sync::Cache;
use rust_decimal::Decimal;

use tamga_core::control::{violation, Violation};
use tamga_core::declaration::Declaration;
use tamga_core::goods_check::{
    ControlledGoodsHit, GoodsCheckAbsence, GoodsChecks, ItemGoodsCheck, SuggestedCode, Vagueness,
    CONTROLLED_GOODS, DESCRIPTION_VAGUE, HS_MISMATCH,
};
use tamga_hs::controlled::Matched;
use tamga_hs::{Assessment, ControlledList, HeadingRank, MismatchRule, VagueKind};

pub use model::{HsModel, ModelRef, ModelState, Recipe};

/// Subheadings suggested per item.
pub const SUGGESTIONS: usize = 3;
/// Descriptions whose assessment is kept.
pub const CACHE_CAPACITY: usize = 20_000;

/// How the goods check runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GoodsCheckSettings {
    /// Off: no check runs and nothing is recorded.
    pub enabled: bool,
    /// A declared heading ranked below the `top_k` best headings for its
    /// description, and scoring at least `min_gap` below the best, is a
    /// mismatch.
    pub top_k: u32,
    pub min_gap: Decimal,
    /// Most time one declaration's check may take; items after it are not
    /// checked.
    pub budget: Duration,
    /// Descriptions whose assessment is kept (0: none, every item is
    /// ranked).
    pub cache: usize,
}

/// The calibrated rule (`docs/hs-classification.md`, "Goods check"): the
/// most same-chapter misdeclarations found with at most 10 % false alarms
/// on held-out honest descriptions.
pub const DEFAULT_TOP_K: u32 = 10;
/// See [`DEFAULT_TOP_K`].
pub const DEFAULT_MIN_GAP: Decimal = Decimal::from_parts(60, 0, 0, false, 2);

impl Default for GoodsCheckSettings {
    fn default() -> Self {
        GoodsCheckSettings {
            enabled: true,
            top_k: DEFAULT_TOP_K,
            min_gap: DEFAULT_MIN_GAP,
            budget: Duration::from_millis(20),
            cache: CACHE_CAPACITY,
        }
    }
}

/// The goods check of a declaration: what is recorded and what control
/// warns.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub checks: GoodsChecks,
    /// `FLC-DESCRIPTION-VAGUE` and `FLC-HS-MISMATCH`, pointing into the
    /// declaration's JSON.
    pub warnings: Vec<Violation>,
}

/// The goods check service of this process (see the module doc).
pub struct GoodsCheck {
    model: Arc<HsModel>,
    settings: GoodsCheckSettings,
    cache: Option<Cache<String, Arc<Assessment>>>,
    /// The model generation the kept assessments come from.
    cache_generation: AtomicU64,
}

impl GoodsCheck {
    pub fn new(model: Arc<HsModel>, settings: GoodsCheckSettings) -> Self {
        GoodsCheck {
            model,
            settings,
            cache: (settings.cache > 0).then(|| Cache::new(settings.cache)),
            cache_generation: AtomicU64::new(0),
        }
    }

    /// The assistant's model (shared with its page and API).
    pub fn model(&self) -> &Arc<HsModel> {
        &self.model
    }

    /// Checks every goods item of `d` (see the module doc); `None` when
    /// the check is off.
    pub fn check(&self, d: &Declaration) -> Option<Checked> {
        if !self.settings.enabled {
            return None;
        }
        let top_k = self.settings.top_k;
        let min_gap = self.settings.min_gap;
        let rule = MismatchRule {
            top_k: top_k as usize,
            min_gap: min_gap.try_into().unwrap_or(0.0),
        };
        // Controlled goods first: a list, no model, every item.
        let (controlled_list, controlled, mut warnings) = screen_controlled(d);
        // Read before the model: a model installed in between clears the
        // kept assessments at the next check, never keeps old ones.
        let generation = self.model.generation();
        let classifier = match self.model.built() {
            Ok(c) => c,
            Err(state) => {
                let why = match state {
                    ModelState::NotReady => GoodsCheckAbsence::NotReady,
                    ModelState::Failed => GoodsCheckAbsence::Unavailable,
                };
                return Some(Checked {
                    checks: GoodsChecks {
                        controlled_list,
                        controlled,
                        ..GoodsChecks::absent(top_k, min_gap, why)
                    },
                    warnings,
                });
            }
        };
        if let Some(cache) = &self.cache {
            if self.cache_generation.swap(generation, Ordering::AcqRel) != generation {
                cache.clear();
            }
        }
        let started = Instant::now();
        let mut checks = GoodsChecks {
            top_k,
            min_gap,
            items: Vec::with_capacity(d.items.len()),
            absent: None,
            controlled_list,
            controlled,
        };
        for (index, item) in d.items.iter().enumerate() {
            if started.elapsed() > self.settings.budget {
                checks.absent = Some(GoodsCheckAbsence::OverBudget);
                break;
            }
            let Some(assessment) = self.assessment(&classifier, &item.description) else {
                checks.absent = Some(GoodsCheckAbsence::Failed);
                continue;
            };
            let code = item.hs_code.as_str();
            let known = classifier.knows_heading(code);
            let rank = if known {
                assessment.heading_rank(code)
            } else {
                HeadingRank::NotAssessed
            };
            let c = ItemGoodsCheck {
                sequence: item.sequence,
                heading_rank: rank.as_number().map(|n| n as u32),
                score_gap: known
                    .then(|| assessment.score_gap(code))
                    .flatten()
                    .map(decimal),
                mismatch: known && assessment.mismatch(code, rule),
                vague: assessment.vague.map(vagueness),
                suggestions: assessment
                    .suggestions
                    .iter()
                    .map(|(code, score)| SuggestedCode {
                        code: code.clone(),
                        score: decimal(*score),
                    })
                    .collect(),
            };
            warnings.extend(item_warnings(index, code, &item.description, top_k, &c));
            checks.items.push(c);
        }
        Some(Checked { checks, warnings })
    }

    /// What the assistant says of a description: kept, or computed (a
    /// refusal or a panic is logged and gives `None`).
    fn assessment(
        &self,
        classifier: &tamga_hs::Classifier,
        description: &str,
    ) -> Option<Arc<Assessment>> {
        if let Some(a) = self.cache.as_ref().and_then(|c| c.get(description)) {
            return Some(a);
        }
        let assessed = std::panic::catch_unwind(AssertUnwindSafe(|| {
            classifier.assess(description, SUGGESTIONS)
        }));
        match assessed {
            Ok(Ok(a)) => {
                let a = Arc::new(a);
                if let Some(c) = &self.cache {
                    c.insert(description.to_owned(), a.clone());
                }
                Some(a)
            }
            Ok(Err(e)) => {
                tracing::warn!(code = e.code(), error = %e, "the goods check could not read a description");
                None
            }
            Err(_) => {
                tracing::error!("the goods check panicked on a description");
                None
            }
        }
    }
}

/// Screens every item against the shipped controlled-goods list: its
/// version, the hits, and a warning for each item that matches an entry
/// without producing one of its documents. A list that does not parse (a
/// defect, logged) screens nothing and records no version.
fn screen_controlled(d: &Declaration) -> (Option<String>, Vec<ControlledGoodsHit>, Vec<Violation>) {
    let list = match ControlledList::shipped() {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(error = %e, "the controlled-goods list cannot be read");
            return (None, Vec::new(), Vec::new());
        }
    };
    let mut hits = Vec::new();
    let mut warnings = Vec::new();
    for (index, item) in d.items.iter().enumerate() {
        let code = item.hs_code.as_str();
        for h in list.screen(code, &item.description) {
            let e = h.entry;
            let produced = item
                .documents
                .iter()
                .any(|doc| e.licence.iter().any(|l| l == doc.type_code.as_str()));
            if !produced {
                let by = match (h.matched, h.term) {
                    (Matched::Code, _) | (_, None) => format!("its code {code}"),
                    (Matched::Description, Some(t)) => format!("the term {t:?} in its description"),
                    (Matched::CodeAndDescription, Some(t)) => {
                        format!("its code {code} and the term {t:?} in its description")
                    }
                };
                warnings.push(violation(
                    CONTROLLED_GOODS,
                    format!("/items/{index}/documents"),
                    format!(
                        "item {}: by {by} the goods match controlled-goods entry {} ({}; {}): produce one of the documents {} (licence or authorisation)",
                        item.sequence,
                        e.id,
                        e.regime.replace('_', " "),
                        e.source,
                        e.licence.join(", ")
                    ),
                ));
            }
            hits.push(ControlledGoodsHit {
                sequence: item.sequence,
                entry: e.id.clone(),
                regime: e.regime.clone(),
                matched: h.matched.as_str().to_owned(),
                term: h.term.map(str::to_owned),
                licence: e.licence.clone(),
                licence_produced: produced,
                source: e.source.clone(),
            });
        }
    }
    (Some(list.version().to_owned()), hits, warnings)
}

/// A model score as recorded: 4 decimal places.
fn decimal(x: f64) -> Decimal {
    Decimal::from_f64_retain(x)
        .unwrap_or_default()
        .round_dp(4)
        .normalize()
}

fn vagueness(v: VagueKind) -> Vagueness {
    match v {
        VagueKind::Listed => Vagueness::Listed,
        VagueKind::Generic => Vagueness::Generic,
        VagueKind::Unrecognised => Vagueness::Unrecognised,
    }
}

/// The control warnings of one checked item (`index` its place in
/// `items`).
fn item_warnings(
    index: usize,
    code: &str,
    description: &str,
    top_k: u32,
    c: &ItemGoodsCheck,
) -> Vec<Violation> {
    let mut out = Vec::new();
    if let Some(v) = c.vague {
        let why = match v {
            Vagueness::Listed => "it is on the list of descriptions too vague to classify",
            Vagueness::Generic => "it has only generic words (such as gift, parts, samples)",
            Vagueness::Unrecognised => {
                "no word of it names goods the HS assistant knows (a brand or a code alone?)"
            }
        };
        out.push(violation(
            DESCRIPTION_VAGUE,
            format!("/items/{index}/description"),
            format!(
                "item {}: the description {description:?} is too vague to classify: {why}; describe the goods as the tariff does (what they are, what they are made of, what they are for)",
                c.sequence
            ),
        ));
    }
    if c.mismatch {
        let heading = code.get(..4).unwrap_or(code);
        let rank = match c.heading_rank {
            Some(n) if n < tamga_core::goods_check::RANK_BEYOND => format!("ranks {n}"),
            _ => "is not among the 50 best".to_owned(),
        };
        let suggested: Vec<&str> = c.suggestions.iter().map(|s| s.code.as_str()).collect();
        out.push(violation(
            HS_MISMATCH,
            format!("/items/{index}/hsCode"),
            format!(
                "item {}: heading {heading} {rank} of the headings for the description {description:?}, well below the best (the check flags a heading outside the {} best); the HS assistant suggests {}",
                c.sequence,
                top_k,
                suggested.join(", ")
            ),
        ));
    }
    out
}
