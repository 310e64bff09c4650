//! What the goods check found on a declaration's goods items (issue 18,
//! part 2): whether each description is too vague to classify, and where
//! the declared heading ranks among the headings the HS classification
//! assistant ranks for the description (the mismatch indicator).
//!
//! The check itself runs in the application layer (`tamga_app::goods`,
//! with `tamga-hs`); this is what it hands to control (as warnings), to the
//! risk profiles (as item attributes `hs_rank`, `hs_mismatch`,
//! `description_vague`) and to the risk decision, where officers read it.
//! Its absence is recorded, never fatal: a declaration is never refused or
//! delayed because the assistant was not ready.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Warning: the declared heading is not among the best for the description.
pub const HS_MISMATCH: &str = "FLC-HS-MISMATCH";
/// Warning: the description is too vague to classify.
pub const DESCRIPTION_VAGUE: &str = "FLC-DESCRIPTION-VAGUE";
/// Warning: the item matches a controlled-goods entry and produces none of
/// the documents that satisfy it.
pub const CONTROLLED_GOODS: &str = "FLC-CONTROLLED-GOODS";

/// A controlled-goods entry an item matched (issue 18, part 3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ControlledGoodsHit {
    /// DE 1/6 item number.
    pub sequence: u32,
    /// The list entry's id (`PREC-EPHEDRINES`, `DU-DRONES` …).
    pub entry: String,
    /// The kind of control (`drug_precursor`, `dual_use`, `firearms` …).
    pub regime: String,
    /// `code`, `description` or `code_and_description`.
    pub matched: String,
    /// The term found in the description, if one was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term: Option<String>,
    /// The document codes any one of which satisfies the entry.
    pub licence: Vec<String>,
    /// Whether the item produces one of them.
    pub licence_produced: bool,
    /// The public instrument the entry comes from.
    pub source: String,
}

/// Why a description is too vague to classify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Vagueness {
    /// In the maintained list of vague descriptions.
    Listed,
    /// Only generic words ("gift", "parts", "samples") and filler.
    Generic,
    /// No word the assistant knows (a brand or a code alone).
    Unrecognised,
}

impl Vagueness {
    pub fn as_str(self) -> &'static str {
        match self {
            Vagueness::Listed => "listed",
            Vagueness::Generic => "generic",
            Vagueness::Unrecognised => "unrecognised",
        }
    }
}

/// Why some or all items were not checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum GoodsCheckAbsence {
    /// The assistant's model was still being built.
    NotReady,
    /// The assistant's model could not be built.
    Unavailable,
    /// The time budget ran out: the items after the last one listed were
    /// not checked.
    OverBudget,
    /// The check failed on an item (a defect, logged); the others stand.
    Failed,
}

/// A subheading the assistant suggests, with its score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SuggestedCode {
    pub code: String,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub score: Decimal,
}

/// The check of one goods item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemGoodsCheck {
    /// DE 1/6 item number.
    pub sequence: u32,
    /// The rank of the declared heading among the headings for the
    /// description (1 = best; [`RANK_BEYOND`] = below the 50 best);
    /// absent when not assessed (a vague or unrecognised description, or
    /// a heading not in the nomenclature).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heading_rank: Option<u32>,
    /// How far the declared heading's score is below the best heading's
    /// (for a heading below the 50 best, at least this much); absent when
    /// not assessed.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub score_gap: Option<Decimal>,
    /// The declared heading ranks below `topK` and scores at least
    /// `minGap` below the best.
    pub mismatch: bool,
    /// Why the description is too vague to classify, if it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vague: Option<Vagueness>,
    /// The best subheadings for the description, best first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suggestions: Vec<SuggestedCode>,
}

/// A heading rank below the 50 the assistant ranks.
pub const RANK_BEYOND: u32 = 51;

/// The goods check of a declaration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GoodsChecks {
    /// The rule: a declared heading ranked below the `top_k` best for its
    /// description and scoring at least `min_gap` below the best is a
    /// mismatch.
    pub top_k: u32,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub min_gap: Decimal,
    /// The items checked, in item order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<ItemGoodsCheck>,
    /// Why some or all items were not checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub absent: Option<GoodsCheckAbsence>,
    /// The version of the controlled-goods list every item was screened
    /// against (screening needs no model and runs on every item).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controlled_list: Option<String>,
    /// The controlled-goods entries the items matched.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub controlled: Vec<ControlledGoodsHit>,
}

impl GoodsChecks {
    /// No item checked, for `why`.
    pub fn absent(top_k: u32, min_gap: Decimal, why: GoodsCheckAbsence) -> Self {
        GoodsChecks {
            top_k,
            min_gap,
            items: Vec::new(),
            absent: Some(why),
            controlled_list: None,
            controlled: Vec::new(),
        }
    }

    /// The check of item `sequence`, if it was checked.
    pub fn item(&self, sequence: u32) -> Option<&ItemGoodsCheck> {
        self.items.iter().find(|i| i.sequence == sequence)
    }

    /// The controlled-goods entries item `sequence` matched.
    pub fn controlled_for(&self, sequence: u32) -> impl Iterator<Item = &ControlledGoodsHit> {
        self.controlled
            .iter()
            .filter(move |h| h.sequence == sequence)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_form_is_compact_and_reads_back() {
        let c = GoodsChecks {
            top_k: 5,
            min_gap: Decimal::new(3, 1),
            items: vec![
                ItemGoodsCheck {
                    sequence: 1,
                    heading_rank: Some(37),
                    score_gap: Some(Decimal::new(412, 3)),
                    mismatch: true,
                    vague: None,
                    suggestions: vec![SuggestedCode {
                        code: "030617".into(),
                        score: Decimal::new(4717, 4),
                    }],
                },
                ItemGoodsCheck {
                    sequence: 2,
                    heading_rank: None,
                    score_gap: None,
                    mismatch: false,
                    vague: Some(Vagueness::Generic),
                    suggestions: vec![],
                },
            ],
            absent: None,
            controlled_list: None,
            controlled: Vec::new(),
        };
        let j = serde_json::to_value(&c).unwrap();
        assert_eq!(
            j,
            serde_json::json!({"topK": 5, "minGap": "0.3", "items": [
                {"sequence": 1, "headingRank": 37, "scoreGap": "0.412", "mismatch": true,
                 "suggestions": [{"code": "030617", "score": "0.4717"}]},
                {"sequence": 2, "mismatch": false, "vague": "generic"}]})
        );
        let back: GoodsChecks = serde_json::from_value(j).unwrap();
        assert_eq!(back, c);
        assert_eq!(back.item(2).unwrap().vague, Some(Vagueness::Generic));
        let none = GoodsChecks::absent(5, Decimal::new(3, 1), GoodsCheckAbsence::NotReady);
        assert_eq!(
            serde_json::to_value(&none).unwrap(),
            serde_json::json!({"topK": 5, "minGap": "0.3", "absent": "not_ready"})
        );
    }
}
