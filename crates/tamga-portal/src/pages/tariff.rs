//! The tariff browser: search the nomenclature by code or words, and a
//! heading's lines with the measures in force today.

use askama::Template;
use time::OffsetDateTime;

use tamga_app::tariff_browser;

use super::{render, spaced_code, Frame, PageError};
use crate::{Ctx, Portal, Rendered};

/// Most search results shown.
const LIMIT: usize = 50;

struct CodeView {
    code: String,
    spaced: String,
    description: String,
    heading: String,
}

struct MeasureView {
    kind: String,
    area: String,
    duty: String,
    extra: String,
    validity: String,
}

struct HeadingCode {
    code: CodeView,
    measures: Vec<MeasureView>,
}

#[derive(Template)]
#[template(path = "tariff.html")]
struct TariffPage {
    f: Frame,
    query: String,
    tariff: String,
    /// "Results for …" (empty: no search).
    results_title: String,
    results: Vec<CodeView>,
    more: bool,
    heading_title: String,
    heading: Vec<HeadingCode>,
    /// A message when a search or heading found nothing.
    nothing: String,
}

fn code_view(l: &tariff_browser::CodeLine) -> CodeView {
    CodeView {
        code: l.code.clone(),
        spaced: spaced_code(&l.code),
        description: l.description.clone(),
        heading: l.heading.clone(),
    }
}

pub(super) async fn page(portal: &Portal, ctx: &Ctx) -> Result<Rendered, PageError> {
    let tr = ctx.tr;
    let today = OffsetDateTime::now_utc().date();
    let query = ctx.param("q").unwrap_or_default().trim().to_owned();
    let wanted = ctx.param("heading").unwrap_or_default().trim().to_owned();
    let mut page = TariffPage {
        f: Frame::new(ctx, tr.t("tariff-title")),
        query: query.clone(),
        tariff: String::new(),
        results_title: String::new(),
        results: Vec::new(),
        more: false,
        heading_title: String::new(),
        heading: Vec::new(),
        nothing: String::new(),
    };
    let Some(current) = portal.clearance().tariff() else {
        page.nothing = tr.t("calc-no-tariff");
        return render(&page, 200);
    };
    page.tariff = tr.t1("calc-result-tariff", "name", &current.name);
    let mut status = 200;
    if !wanted.is_empty() {
        match tariff_browser::heading(&current, &wanted, today) {
            Some(lines) => {
                page.heading_title = tr.t1("tariff-heading-title", "heading", &wanted);
                page.heading = lines
                    .iter()
                    .map(|l| HeadingCode {
                        code: code_view(&l.code),
                        measures: l
                            .measures
                            .iter()
                            .map(|m| MeasureView {
                                kind: if m.type_description.is_empty() {
                                    m.measure_type.clone()
                                } else {
                                    format!("{} ({})", m.type_description, m.measure_type)
                                },
                                area: if m.area_description.is_empty() {
                                    m.area.clone()
                                } else {
                                    format!("{} ({})", m.area_description, m.area)
                                },
                                duty: m.duty.clone(),
                                extra: [
                                    m.additional_code
                                        .as_ref()
                                        .map(|c| tr.t1("tariff-additional-code", "code", c)),
                                    m.quota.as_ref().map(|q| tr.t1("tariff-quota", "order", q)),
                                    (m.conditions > 0).then(|| {
                                        tr.t1(
                                            "tariff-conditions",
                                            "count",
                                            &m.conditions.to_string(),
                                        )
                                    }),
                                ]
                                .into_iter()
                                .flatten()
                                .collect::<Vec<_>>()
                                .join("; "),
                                validity: match m.to {
                                    Some(to) => tr.t2(
                                        "tariff-valid-from-to",
                                        ("from", &m.from.to_string()),
                                        ("to", &to.to_string()),
                                    ),
                                    None => tr.t1("tariff-valid-from", "from", &m.from.to_string()),
                                },
                            })
                            .collect(),
                    })
                    .collect();
            }
            None => {
                status = 404;
                page.nothing = tr.t1("tariff-no-heading", "heading", &wanted);
            }
        }
    } else if !query.is_empty() {
        let r = tariff_browser::search(&current.tariff, &query, today, LIMIT);
        page.results_title = tr.t1("tariff-results-for", "query", &query);
        page.results = r.lines.iter().map(code_view).collect();
        page.more = r.more;
        if page.results.is_empty() {
            page.nothing = tr.t1("tariff-nothing-found", "query", &query);
        }
    }
    render(&page, status)
}
