//! `GET /api/v1/hs/suggestions`: the HS classification assistant over
//! HTTP (issue 18). Given a goods description, the HS 2022 subheadings it
//! most likely belongs to, ranked, each with its score and its reasons:
//! the description's words found in the candidate's texts or labelled
//! descriptions, the nearest labelled descriptions classified under it,
//! and its nomenclature path (chapter, heading, subheading with their
//! texts).
//!
//! Public: classification help is public information, so anyone may ask,
//! with or without a token. It is bounded instead: the description is
//! parsed first ([`Description::parse`], 400 `HS_QUERY_*` at `/q`), `top`
//! is 1 to 20 (400 `QUERY_TOP`), each client address has its own rate
//! ([`crate::guard::hs_rate_limit`], 429), and the ranking runs off the
//! runtime within a bounded number of slots ([`crate::hs_assistant`],
//! 503 `HS_BUSY`). Until the model is built: 503 `HS_NOT_READY` with
//! `Retry-After`.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiQuery;
use crate::hs_assistant::{Answer, Description, DEFAULT_TOP, MAX_TOP};
use crate::routes::count;
use crate::AppState;

#[derive(OpenApi)]
#[openapi(paths(suggestions))]
pub struct Api;

/// The route (the page's is [`crate::portal::hs`]); both behind
/// [`crate::guard::hs_rate_limit`], added by [`crate::router_with`].
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/hs/suggestions", get(suggestions))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SuggestionParams {
    /// The goods description, in English: 1 to 500 characters, not only
    /// blanks, no control characters but tab and line breaks (400
    /// `HS_QUERY_EMPTY`, `HS_QUERY_TOO_LONG`, `HS_QUERY_NOT_TEXT`).
    #[param(min_length = 1, max_length = 500, example = "frozen shrimp")]
    pub q: String,
    /// How many candidates: 1 to 20, default 5 (else 400 `QUERY_TOP`).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 20)]
    pub top: Option<String>,
}

/// The candidates for one description.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HsSuggestions {
    /// The description as read (blanks around it trimmed).
    pub description: String,
    /// The nomenclature the codes belong to.
    #[schema(example = "HS 2022")]
    pub nomenclature: String,
    /// Whether any word of the description is known to the assistant.
    /// When none is, `suggestions` is empty: it has nothing to go on.
    pub recognised: bool,
    /// The candidates, best first (at most `top`).
    pub suggestions: Vec<HsSuggestion>,
}

/// A candidate subheading and why.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HsSuggestion {
    /// 1 for the best candidate.
    #[schema(minimum = 1)]
    pub rank: u32,
    /// The HS subheading, 6 digits.
    #[schema(pattern = "^[0-9]{6}$", example = "030617")]
    pub code: String,
    /// The blended score: higher is better; comparable between the
    /// candidates of one answer, not a probability.
    pub score: f64,
    pub path: HsPath,
    /// Words of the description found in the candidate's nomenclature
    /// texts or in its labelled descriptions.
    pub matching_terms: Vec<String>,
    /// Words of the description that are kinds of goods the candidate's
    /// texts name, by the goods lexicon (WordNet): `moccasins` is a kind
    /// of `footwear` (at most 5; only words not already matching).
    pub related_terms: Vec<HsRelatedTerm>,
    /// The nearest labelled descriptions classified under the candidate
    /// (at most 3).
    pub nearest_examples: Vec<HsExample>,
}

/// A word of the description and the kind of goods it is.
#[derive(Debug, Serialize, ToSchema)]
pub struct HsRelatedTerm {
    /// The word as read (lower case, letters only).
    #[schema(example = "moccasins")]
    pub word: String,
    /// The kind the candidate's texts name (a stem: plurals are singular).
    #[schema(example = "footwear")]
    pub kind: String,
}

/// A candidate's place in the nomenclature.
#[derive(Debug, Serialize, ToSchema)]
pub struct HsPath {
    /// The chapter (2 digits).
    pub chapter: HsNode,
    /// The heading (4 digits).
    pub heading: HsNode,
    /// The subheading (6 digits).
    pub subheading: HsNode,
}

/// A code and its text in the nomenclature.
#[derive(Debug, Serialize, ToSchema)]
pub struct HsNode {
    #[schema(pattern = "^[0-9]{2}([0-9]{2}([0-9]{2})?)?$", example = "0306")]
    pub code: String,
    /// The nomenclature's text (English).
    pub text: String,
}

/// A labelled description close to the one asked about.
#[derive(Debug, Serialize, ToSchema)]
pub struct HsExample {
    pub description: String,
    /// The subheading it is classified under.
    #[schema(pattern = "^[0-9]{6}$")]
    pub code: String,
    /// Cosine similarity to the description asked about, 0 to 1.
    #[schema(minimum = 0, maximum = 1)]
    pub similarity: f64,
}

fn node(n: &tamga_hs::Node) -> HsNode {
    HsNode {
        code: n.code.clone(),
        text: n.text.clone(),
    }
}

impl HsSuggestions {
    pub fn new(description: &Description, answer: Answer) -> HsSuggestions {
        HsSuggestions {
            description: description.as_str().to_owned(),
            nomenclature: "HS 2022".into(),
            recognised: answer.recognised,
            suggestions: answer
                .suggestions
                .into_iter()
                .zip(1..)
                .map(|(s, rank)| HsSuggestion {
                    rank,
                    code: s.code,
                    score: s.score,
                    path: HsPath {
                        chapter: node(&s.path.chapter),
                        heading: node(&s.path.heading),
                        subheading: node(&s.path.subheading),
                    },
                    matching_terms: s.matching_terms,
                    related_terms: s
                        .related_terms
                        .into_iter()
                        .map(|r| HsRelatedTerm {
                            word: r.word,
                            kind: r.kind,
                        })
                        .collect(),
                    nearest_examples: s
                        .nearest_examples
                        .into_iter()
                        .map(|n| HsExample {
                            description: n.description,
                            code: n.code,
                            similarity: n.similarity,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// The most likely HS 2022 subheadings for a goods description, with
/// their reasons. Anyone may ask (no token needed); rate-limited per
/// client address.
#[utoipa::path(get, path = "/api/v1/hs/suggestions", tag = "hs", params(SuggestionParams),
    responses(
        (status = 200, description = "the candidates, best first", body = HsSuggestions),
        (status = 400, description = "`q` missing (`QUERY_PARAMETERS`), empty or only blanks (`HS_QUERY_EMPTY`), longer than 500 characters (`HS_QUERY_TOO_LONG`) or with control characters (`HS_QUERY_NOT_TEXT`), at `/q`; `top` not 1 to 20 (`QUERY_TOP`) or not an integer (`QUERY_PARAMETERS`), at `/top`", body = ErrorBody),
        (status = 429, description = "too many requests from this address (`RATE_LIMITED`)", body = ErrorBody,
            headers(("Retry-After" = u64, description = "seconds to wait"))),
        (status = 503, description = "the assistant's model is still being built after a start (`HS_NOT_READY`), every ranking slot is taken (`HS_BUSY`), or it cannot be built (`HS_UNAVAILABLE`)", body = ErrorBody,
            headers(("Retry-After" = u64, description = "seconds to wait (not sent with `HS_UNAVAILABLE`)")))))]
pub async fn suggestions(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<SuggestionParams>,
) -> Result<Json<HsSuggestions>, Response> {
    let description = Description::parse(&q.q).map_err(|e| e.api_error().into_response())?;
    let top =
        count(q.top.as_deref(), "top", DEFAULT_TOP, MAX_TOP).map_err(ApiError::into_response)?;
    let answer =
        s.hs.suggest(&description, top)
            .await
            .map_err(IntoResponse::into_response)?;
    Ok(Json(HsSuggestions::new(&description, answer)))
}
