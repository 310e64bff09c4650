//! The HS code assistant page, `GET /hs` (public): the same service as
//! `GET /api/v1/hs/suggestions` ([`crate::hs_assistant`]), with the same
//! parsing, slots and per-address rate ([`crate::guard::hs_rate_limit`]),
//! shown by [`tamga_portal::pages::hs`]. Without `q` it shows the form and
//! runs nothing; a refused parameter is 400 with the message beside its
//! field; an assistant not built yet is 503 with `Retry-After`.

use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use tamga_portal::pages::error_page;
use tamga_portal::pages::hs::{HsAnswer, HsCandidate, HsExample, HsNode};

use crate::hs_assistant::{Description, Refusal, Unavailable, DEFAULT_TOP, MAX_TOP};
use crate::observe::RequestId;
use crate::AppState;

/// The route (behind the assistant's rate limit, added by
/// [`crate::router_with`]).
pub fn routes() -> Router<AppState> {
    Router::new().route("/hs", get(page))
}

fn node(n: &tamga_hs::Node) -> HsNode {
    HsNode {
        code: n.code.clone(),
        text: n.text.clone(),
    }
}

fn candidate(s: tamga_hs::Suggestion) -> HsCandidate {
    HsCandidate {
        chapter: node(&s.path.chapter),
        heading: node(&s.path.heading),
        subheading: node(&s.path.subheading),
        code: s.code,
        score: s.score,
        matching_terms: s.matching_terms,
        related_terms: s
            .related_terms
            .into_iter()
            .map(|r| (r.word, r.kind))
            .collect(),
        nearest: s
            .nearest_examples
            .into_iter()
            .map(|n| HsExample {
                description: n.description,
                similarity: n.similarity,
            })
            .collect(),
    }
}

/// What the assistant answers the page's query, and the reason it could
/// not when it could not (for `Retry-After`); `Err` when it failed (a
/// defect, logged by the assistant: the error page shows the request id).
async fn answer(
    s: &AppState,
    q: Option<&str>,
    top: Option<&str>,
) -> Result<(HsAnswer, Option<Unavailable>), ()> {
    let Some(q) = q else {
        return Ok((HsAnswer::Form, None));
    };
    let description = match Description::parse(q) {
        Ok(d) => d,
        Err(e) => {
            return Ok((
                HsAnswer::Refused {
                    param: "q",
                    code: e.code().to_owned(),
                },
                None,
            ))
        }
    };
    let top = match crate::routes::count(top, "top", DEFAULT_TOP, MAX_TOP) {
        Ok(n) => n,
        Err(e) => {
            return Ok((
                HsAnswer::Refused {
                    param: "top",
                    code: e.code,
                },
                None,
            ))
        }
    };
    match s.hs.suggest(&description, top).await {
        Ok(a) => Ok((
            HsAnswer::Candidates {
                recognised: a.recognised,
                candidates: a.suggestions.into_iter().map(candidate).collect(),
            },
            None,
        )),
        Err(Refusal::Unavailable(u)) => Ok((
            HsAnswer::Unavailable {
                code: u.code().to_owned(),
            },
            Some(u),
        )),
        Err(Refusal::Internal(_)) => Err(()),
    }
}

async fn page(State(s): State<AppState>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let ctx = super::context(&parts.method, &parts.uri, &parts.headers)
        .with_me(super::viewer::viewer(&parts, &s).await);
    let id = parts.extensions.get::<RequestId>().map(|r| r.0.as_str());
    let mut res = match answer(&s, ctx.param("q"), ctx.param("top")).await {
        Ok((answer, unavailable)) => {
            let mut res = match s.portal.hs_assistant(&ctx, &answer) {
                Ok(r) => super::html(r, ctx.tr.lang),
                Err(e) => super::page_failed(&ctx, &e, id),
            };
            if let Some(u) = unavailable {
                u.add_retry_after(&mut res);
            }
            res
        }
        Err(()) => super::html(error_page(&ctx, 500, id), ctx.tr.lang),
    };
    super::remember_language(&ctx, &mut res);
    res
}
