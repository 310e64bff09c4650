//! The HS code assistant page (`/hs`): a goods description in, the HS 2022
//! subheadings it most likely belongs to, each with its score, its place
//! in the nomenclature and why (matching words, the nearest labelled
//! descriptions). A `GET` form: it works without script and changes
//! nothing.
//!
//! The HTTP layer runs the assistant (`tamga_http::hs_assistant`, the
//! service of `GET /api/v1/hs/suggestions`) and hands this page its
//! answer ([`HsAnswer`]); the page only shows it. The nomenclature's texts
//! and the labelled descriptions are English data, marked `lang="en"`.

use askama::Template;

use super::form::Field;
use super::{render, spaced_code, Frame, PageError};
use crate::{Ctx, Portal, Rendered, Tr};

/// The counts of candidates the form offers.
pub const TOP_CHOICES: &[u32] = &[5, 10, 20];

/// A code and its text in the nomenclature.
#[derive(Debug, Clone, PartialEq)]
pub struct HsNode {
    pub code: String,
    pub text: String,
}

/// A labelled description near the one asked about.
#[derive(Debug, Clone, PartialEq)]
pub struct HsExample {
    pub description: String,
    /// Cosine similarity, 0 to 1.
    pub similarity: f64,
}

/// A candidate subheading and its reasons.
#[derive(Debug, Clone, PartialEq)]
pub struct HsCandidate {
    /// 6 digits.
    pub code: String,
    pub score: f64,
    pub chapter: HsNode,
    pub heading: HsNode,
    pub subheading: HsNode,
    pub matching_terms: Vec<String>,
    /// (word of the description, the kind of goods it is) by the goods
    /// lexicon, shown as `moccasins → footwear`.
    pub related_terms: Vec<(String, String)>,
    pub nearest: Vec<HsExample>,
}

/// What the assistant answered for the page's request.
#[derive(Debug, Clone, PartialEq)]
pub enum HsAnswer {
    /// Nothing asked yet (no `q`).
    Form,
    /// The candidates, best first; `recognised` is false when no word of
    /// the description is known to the assistant (then there are none).
    Candidates {
        recognised: bool,
        candidates: Vec<HsCandidate>,
    },
    /// A parameter was refused: `q` or `top`, with the API's code.
    Refused { param: &'static str, code: String },
    /// The assistant cannot answer now (the API's 503 code:
    /// `HS_NOT_READY`, `HS_BUSY`, `HS_UNAVAILABLE`).
    Unavailable { code: String },
}

struct ExampleView {
    description: String,
    similarity: String,
}

struct CandidateView {
    code: String,
    spaced: String,
    score: String,
    subheading: String,
    chapter: String,
    chapter_text: String,
    heading: String,
    heading_text: String,
    terms: String,
    examples: Vec<ExampleView>,
}

#[derive(Template)]
#[template(path = "hs.html")]
struct HsPage {
    f: Frame,
    q: Field,
    top: Field,
    top_value: u32,
    top_choices: &'static [u32],
    /// The assistant cannot answer now.
    notice: String,
    /// A description was asked about (the results section is shown).
    asked: bool,
    results_title: String,
    /// Said when there is no candidate.
    nothing: String,
    candidates: Vec<CandidateView>,
}

/// The message of a refused parameter or an unavailable assistant.
fn message(tr: &Tr, code: &str) -> String {
    let id = match code {
        "HS_QUERY_EMPTY" => "hs-q-empty",
        "HS_QUERY_TOO_LONG" => "hs-q-too-long",
        "HS_QUERY_NOT_TEXT" => "hs-q-not-text",
        "HS_NOT_READY" => "hs-not-ready",
        "HS_BUSY" => "hs-busy",
        "HS_UNAVAILABLE" => "hs-unavailable",
        _ => "hs-top-invalid",
    };
    tr.t(id)
}

/// A score or similarity with `places` decimals, in the page's numbers.
fn decimal(tr: &Tr, x: f64, places: usize) -> String {
    tr.number(&format!("{x:.places$}"))
}

fn candidate(tr: &Tr, c: &HsCandidate) -> CandidateView {
    CandidateView {
        code: c.code.clone(),
        spaced: spaced_code(&c.code),
        score: decimal(tr, c.score, 3),
        subheading: c.subheading.text.clone(),
        chapter: c.chapter.code.clone(),
        chapter_text: c.chapter.text.clone(),
        heading: c.heading.code.clone(),
        heading_text: c.heading.text.clone(),
        terms: c
            .matching_terms
            .iter()
            .cloned()
            .chain(
                c.related_terms
                    .iter()
                    .map(|(word, kind)| format!("{word} → {kind}")),
            )
            .collect::<Vec<_>>()
            .join(", "),
        examples: c
            .nearest
            .iter()
            .map(|e| ExampleView {
                description: e.description.clone(),
                similarity: decimal(tr, e.similarity, 2),
            })
            .collect(),
    }
}

pub(super) fn page(ctx: &Ctx, answer: &HsAnswer) -> Result<Rendered, PageError> {
    let tr = ctx.tr;
    let asked_q = ctx.param("q");
    let top_text = ctx.param("top").unwrap_or_default();
    let top_value = top_text.trim().parse::<u32>().unwrap_or(TOP_CHOICES[0]);
    let mut page = HsPage {
        f: Frame::new(ctx, tr.t("hs-title")),
        q: Field::new("q", tr.t("hs-q-label"), "text")
            .hint(tr.t("hs-q-hint"))
            .value(asked_q.unwrap_or_default()),
        top: Field::new("top", tr.t("hs-top-label"), "select").value(top_text),
        top_value,
        top_choices: TOP_CHOICES,
        notice: String::new(),
        asked: false,
        results_title: String::new(),
        nothing: String::new(),
        candidates: Vec::new(),
    };
    let status = match answer {
        HsAnswer::Form => 200,
        HsAnswer::Candidates {
            recognised,
            candidates,
        } => {
            page.asked = true;
            page.results_title = tr.t1("hs-results-for", "query", asked_q.unwrap_or_default());
            page.candidates = candidates.iter().map(|c| candidate(&tr, c)).collect();
            if page.candidates.is_empty() {
                page.nothing = tr.t(if *recognised {
                    "hs-nothing"
                } else {
                    "hs-unrecognised"
                });
            }
            200
        }
        HsAnswer::Refused { param, code } => {
            let field = if *param == "top" {
                &mut page.top
            } else {
                &mut page.q
            };
            field.fail(code, message(&tr, code));
            400
        }
        HsAnswer::Unavailable { code } => {
            page.notice = message(&tr, code);
            503
        }
    };
    render(&page, status)
}

impl Portal {
    /// The HS code assistant page with the assistant's answer.
    pub fn hs_assistant(&self, ctx: &Ctx, answer: &HsAnswer) -> Result<Rendered, PageError> {
        page(ctx, answer)
    }
}
