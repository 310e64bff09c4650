use std::collections::BTreeSet;
use std::sync::Arc;

use tamga_app::{Clearance, Settings};
use tamga_portal::i18n::{self, Tr};
use tamga_portal::pages::error_page;
use tamga_portal::pages::hs::{HsAnswer, HsCandidate, HsExample, HsNode};
use tamga_portal::{assets, Ctx, Portal, Rendered};
use tamga_store::testing::TestDb;

struct Fixture {
    portal: Portal,
    _db: TestDb,
}

async fn fixture() -> Fixture {
    let db = TestDb::sqlite().await;
    let store = db.open().await;
    tamga_app::bootstrap(&store, false).await.unwrap();
    let clearance = Clearance::start(store, Settings::default()).await.unwrap();
    Fixture {
        portal: Portal::new(Arc::clone(&clearance)),
        _db: db,
    }
}

fn ctx(lang: &str, path: &str, query: &[(&str, &str)]) -> Ctx {
    Ctx::new(
        lang,
        path,
        query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    )
}

/// A valid calculation of the demo tariff: a computer from China.
const COMPUTER: &[(&str, &str)] = &[
    ("goodsCode", "8471300000"),
    ("origin", "CN"),
    ("customsValue", "1000.00"),
    ("currency", "USD"),
    ("date", "2026-03-01"),
];

fn node(code: &str, text: &str) -> HsNode {
    HsNode {
        code: code.into(),
        text: text.into(),
    }
}

/// An answer of the HS assistant as the HTTP layer hands it to the page
/// (the assistant itself runs in `tamga-http`; its tests ask it).
fn shrimp() -> HsAnswer {
    HsAnswer::Candidates {
        recognised: true,
        candidates: vec![
            HsCandidate {
                code: "030617".into(),
                score: 0.8123,
                chapter: node(
                    "03",
                    "Fish and crustaceans, molluscs and other aquatic invertebrates",
                ),
                heading: node(
                    "0306",
                    "Crustaceans; in shell or not, live, fresh, chilled, frozen",
                ),
                subheading: node("030617", "Crustaceans; frozen, shrimps and prawns"),
                matching_terms: vec!["frozen".into(), "shrimp".into()],
                related_terms: vec![("prawns".into(), "shellfish".into())],
                nearest: vec![HsExample {
                    description: "frozen king prawns".into(),
                    similarity: 0.61,
                }],
            },
            HsCandidate {
                code: "160521".into(),
                score: 0.4,
                chapter: node("16", "Meat, fish or crustaceans preparations"),
                heading: node("1605", "Crustaceans, molluscs; prepared or preserved"),
                subheading: node("160521", "Shrimps and prawns; not in airtight containers"),
                matching_terms: vec![],
                related_terms: vec![],
                nearest: vec![],
            },
        ],
    }
}

/// A page name, its query, and the answer the page shows.
type HsCase = (&'static str, Vec<(&'static str, &'static str)>, HsAnswer);

/// The HS assistant page's answers, by page name, with the query each
/// answers.
fn hs_answers() -> Vec<HsCase> {
    vec![
        ("hs", vec![], HsAnswer::Form),
        ("hs candidates", vec![("q", "frozen shrimp")], shrimp()),
        (
            "hs unrecognised",
            vec![("q", "12345")],
            HsAnswer::Candidates {
                recognised: false,
                candidates: vec![],
            },
        ),
        (
            "hs refused",
            vec![("q", " ")],
            HsAnswer::Refused {
                param: "q",
                code: "HS_QUERY_EMPTY".into(),
            },
        ),
        (
            "hs refused top",
            vec![("q", "tea"), ("top", "99")],
            HsAnswer::Refused {
                param: "top",
                code: "QUERY_TOP".into(),
            },
        ),
        (
            "hs not ready",
            vec![("q", "tea")],
            HsAnswer::Unavailable {
                code: "HS_NOT_READY".into(),
            },
        ),
    ]
}

/// Every page of the portal in `lang`, by name.
async fn every_page(p: &Portal, lang: &str) -> Vec<(String, Rendered)> {
    let mut out = Vec::new();
    let mut add = |name: &str, r: Rendered| out.push((name.to_owned(), r));
    add("home", p.home(&ctx(lang, "/", &[])).await.unwrap());
    add(
        "calculator",
        p.calculator(&ctx(lang, "/calculator", &[])).await.unwrap(),
    );
    add(
        "calculation",
        p.calculator(&ctx(lang, "/calculator", COMPUTER))
            .await
            .unwrap(),
    );
    let mut bad = COMPUTER.to_vec();
    bad[0] = ("goodsCode", "9999999999");
    add(
        "calculation error",
        p.calculator(&ctx(lang, "/calculator", &bad)).await.unwrap(),
    );
    add(
        "tariff",
        p.tariff(&ctx(lang, "/tariff", &[])).await.unwrap(),
    );
    add(
        "tariff search",
        p.tariff(&ctx(lang, "/tariff", &[("q", "8471")]))
            .await
            .unwrap(),
    );
    add(
        "tariff heading",
        p.tariff(&ctx(lang, "/tariff", &[("heading", "8471")]))
            .await
            .unwrap(),
    );
    for (name, query, answer) in hs_answers() {
        add(
            name,
            p.hs_assistant(&ctx(lang, "/hs", &query), &answer).unwrap(),
        );
    }
    add(
        "offices",
        p.offices_page(&ctx(lang, "/offices", &[])).await.unwrap(),
    );
    add(
        "status",
        p.status(&ctx(lang, "/status", &[])).await.unwrap(),
    );
    for status in [404, 429, 500] {
        add(
            &format!("error {status}"),
            error_page(&ctx(lang, "/nope", &[]), status, Some("req-1")),
        );
    }
    out
}

fn unescape(html: &str) -> String {
    html.replace("&#39;", "'")
        .replace("&#34;", "\"")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#38;", "&")
}

/// Pages that show the tariff's lines with their own descriptions.
const TARIFF_DATA_PAGES: &[&str] = &["tariff heading", "calculation"];

#[tokio::test]
async fn every_page_renders_in_every_language() {
    let f = fixture().await;
    for lang in i18n::languages() {
        let tr = Tr::new(lang);
        for (name, r) in every_page(&f.portal, lang).await {
            let expected = match name.as_str() {
                "error 404" => 404,
                "error 429" => 429,
                "error 500" => 500,
                "hs refused" | "hs refused top" => 400,
                "hs not ready" => 503,
                _ => 200,
            };
            assert_eq!(r.status, expected, "{lang} {name}");
            let html = &r.html;
            assert!(html.starts_with("<!DOCTYPE html>"), "{lang} {name}");
            assert!(
                html.contains(&format!("<html lang=\"{lang}\">")),
                "{lang} {name}"
            );
            for landmark in ["<header", "<nav class=\"main\"", "<main", "<footer"] {
                assert!(html.contains(landmark), "{lang} {name}: {landmark}");
            }
            assert!(html.contains(&assets::CSS.path()), "{lang} {name}");
            // No inline script or style: the Content-Security-Policy allows none.
            for inline in ["<style", " style=", "javascript:", " onclick="] {
                assert!(!html.contains(inline), "{lang} {name}: {inline}");
            }
            // Scripts only from the site's own hashed files.
            assert_eq!(
                html.matches("<script").count(),
                html.matches(&format!(
                    "<script src=\"{}\" defer></script>",
                    assets::JS.path()
                ))
                .count(),
                "{lang} {name}: an inline script"
            );
            // Every language can be chosen from every page.
            for other in i18n::languages() {
                assert!(
                    html.contains(&format!("hreflang=\"{other}\"")),
                    "{lang} {name}"
                );
            }
            assert!(html.contains(&tr.t("nav-calculator")), "{lang} {name}");
            // The tariff's own descriptions (measure types, areas, goods)
            // are data in the tariff's language, shown as they are on the
            // pages that show tariff lines; every other text is checked.
            let left: Vec<_> = i18n::untranslated(lang, html)
                .into_iter()
                .filter(|l| !(TARIFF_DATA_PAGES.contains(&name.as_str()) && l.starts_with("kind-")))
                .collect();
            assert!(left.is_empty(), "{lang} {name}: untranslated {left:?}");
        }
    }
}

#[tokio::test]
async fn pages_show_what_the_services_answer() {
    let f = fixture().await;
    let p = &f.portal;
    // The calculation: VAT of 12 % on the customs value in UZS, each line shown.
    let r = p
        .calculator(&ctx("en", "/calculator", COMPUTER))
        .await
        .unwrap();
    assert!(
        r.html.contains("Duties for 8471 30 00 00 from CN"),
        "{}",
        r.html
    );
    assert!(r.html.contains("VAT"), "{}", r.html);
    assert!(r.html.contains("id=\"total\""));
    assert!(
        r.html.contains("value=\"1000.00\""),
        "keeps the typed value"
    );
    // The same in Russian, with Russian number formatting.
    let ru = p
        .calculator(&ctx("ru", "/calculator", COMPUTER))
        .await
        .unwrap();
    assert!(ru.html.contains("Итого к уплате"));
    assert!(ru.html.contains(",00 UZS"), "{}", ru.html);
    // A bad code: the message next to the field, with the API's code, and
    // every typed value kept.
    let mut bad = COMPUTER.to_vec();
    bad[0] = ("goodsCode", "9999999999");
    bad.push(("q0unit", "KGM"));
    bad.push(("q0value", "12.5"));
    let r = p.calculator(&ctx("en", "/calculator", &bad)).await.unwrap();
    assert!(r.html.contains("id=\"goodsCode-error\""), "{}", r.html);
    assert!(
        r.html.contains("<code>DUTY-UNKNOWN-GOODS-CODE</code>"),
        "{}",
        r.html
    );
    assert!(r.html.contains("aria-invalid=\"true\""));
    for v in [
        "9999999999",
        "CN",
        "1000.00",
        "USD",
        "2026-03-01",
        "KGM",
        "12.5",
    ] {
        assert!(r.html.contains(&format!("value=\"{v}\"")), "{v}");
    }
    assert!(!r.html.contains("id=\"total\""));
    // A bad amount in the second quantity row: the error is on that row.
    let mut bad = COMPUTER.to_vec();
    bad.push(("q1unit", "KGM"));
    bad.push(("q1value", "1e3"));
    let r = p.calculator(&ctx("en", "/calculator", &bad)).await.unwrap();
    assert!(r.html.contains("id=\"q1value-error\""), "{}", r.html);
    assert!(r.html.contains("<code>AMOUNT_FORMAT</code>"));
    let r = p
        .calculator(&ctx(
            "ru",
            "/calculator",
            &[
                ("goodsCode", "8471300000"),
                ("origin", "CN"),
                ("customsValue", "1"),
                ("currency", "USD"),
                ("date", "1.3.2026"),
            ],
        ))
        .await
        .unwrap();
    assert!(r.html.contains("<code>CALCULATOR_DATE</code>"));
    assert!(r.html.contains("не дата"), "{}", r.html);
    // Tariff: search and heading.
    let r = p
        .tariff(&ctx("en", "/tariff", &[("q", "8471")]))
        .await
        .unwrap();
    assert!(r.html.contains("href=\"/tariff?heading=8471\""));
    let r = p
        .tariff(&ctx("en", "/tariff", &[("heading", "8471")]))
        .await
        .unwrap();
    assert!(r.html.contains("8471 30 00 00"));
    assert!(r.html.contains("12 %"), "the chapter's VAT applies");
    let r = p
        .tariff(&ctx("en", "/tariff", &[("heading", "0000")]))
        .await
        .unwrap();
    assert_eq!(r.status, 404);
    // Offices: the list and the map.
    let r = p.offices_page(&ctx("en", "/offices", &[])).await.unwrap();
    assert!(r.html.contains("id=\"office-UZ000100\""));
    assert!(r.html.contains("<svg id=\"offices-map\""));
    assert_eq!(
        r.html.matches("<a href=\"#office-").count(),
        f.portal.offices().await.unwrap().len()
    );
    assert!(r.html.contains("import (IMP)"));
    // Working hours and services from the reference data, with "open now"
    // (the shipped offices are all in countries of a known offset).
    assert!(r.html.contains("Round the clock"), "24/7 offices");
    assert!(
        r.html.contains("Mon–Fri 09:00–13:00, 14:00–18:00"),
        "lunch break"
    );
    assert!(r.html.contains("veterinary control"));
    assert_eq!(
        r.html.matches("class=\"open-now\"").count()
            + r.html.matches("class=\"closed-now\"").count(),
        f.portal.offices().await.unwrap().len()
    );
    assert!(!r.html.contains("not yet part of the reference data"));
    // Status: the database answers.
    let r = p.status(&ctx("en", "/status", &[])).await.unwrap();
    assert!(r.html.contains("reachable (sqlite)"), "{}", r.html);
}

#[tokio::test]
async fn the_hs_page_shows_the_assistants_answer() {
    let f = fixture().await;
    let p = &f.portal;
    let r = p
        .hs_assistant(&ctx("en", "/hs", &[("q", "frozen shrimp")]), &shrimp())
        .unwrap();
    let html = &r.html;
    // The description kept in the form; the candidates in order, each with
    // its path, a link to its heading in the tariff, terms and examples.
    assert!(html.contains(">frozen shrimp</textarea>"), "{html}");
    let first = html.find("id=\"hs-030617\"").expect("the first candidate");
    let second = html.find("id=\"hs-160521\"").expect("the second candidate");
    assert!(first < second);
    assert!(html.contains("<code>0306 17</code>"), "{html}");
    assert!(html.contains("href=\"/tariff?heading=0306\""));
    assert!(html.contains(">0.812<"), "three decimals: {html}");
    assert!(
        html.contains("frozen, shrimp, prawns → shellfish"),
        "{html}"
    );
    assert!(html.contains("<q lang=\"en\">frozen king prawns</q>"));
    assert!(
        html.contains("none of the description"),
        "no matching terms"
    );
    assert!(html.contains("Candidates for “frozen shrimp”"));
    // In Russian: the numbers of the language, the data left in English
    // and marked so.
    let ru = p
        .hs_assistant(&ctx("ru", "/hs", &[("q", "frozen shrimp")]), &shrimp())
        .unwrap();
    assert!(ru.html.contains(">0,812<"), "{}", ru.html);
    assert!(ru.html.contains("Варианты для «frozen shrimp»"));
    assert!(ru
        .html
        .contains("<span lang=\"en\">Crustaceans; frozen, shrimps and prawns</span>"));
    // A refused description: the message and the code beside the field.
    let (_, query, refused) = &hs_answers()[3];
    let r = p.hs_assistant(&ctx("en", "/hs", query), refused).unwrap();
    assert_eq!(r.status, 400);
    assert!(r.html.contains("id=\"q-error\""), "{}", r.html);
    assert!(r.html.contains("<code>HS_QUERY_EMPTY</code>"));
    assert!(r.html.contains("aria-describedby=\"q-hint q-error\""));
    assert!(r.html.contains("aria-invalid=\"true\""));
    assert!(!r.html.contains("id=\"candidates\""));
    // The chosen count stays chosen.
    let r = p
        .hs_assistant(&ctx("en", "/hs", &[("q", "tea"), ("top", "10")]), &shrimp())
        .unwrap();
    assert!(
        r.html.contains("<option value=\"10\" selected>"),
        "{}",
        r.html
    );
    // Not ready: said, nothing else.
    let (_, query, not_ready) = &hs_answers()[5];
    let r = p.hs_assistant(&ctx("en", "/hs", query), not_ready).unwrap();
    assert_eq!(r.status, 503);
    assert!(r.html.contains("id=\"hs-notice\""));
    assert!(r.html.contains("still starting"));
    // Text typed into the form is escaped.
    let attack = "<script>alert(1)</script>";
    let r = p
        .hs_assistant(&ctx("en", "/hs", &[("q", attack)]), &shrimp())
        .unwrap();
    assert!(!r.html.contains("<script>alert"), "{}", r.html);
}

#[tokio::test]
async fn user_text_is_escaped() {
    let f = fixture().await;
    let attack = "<script>alert(1)</script>\"'&";
    let r = f
        .portal
        .tariff(&ctx("en", "/tariff", &[("q", attack)]))
        .await
        .unwrap();
    assert!(!r.html.contains("<script>"), "{}", r.html);
    assert!(
        r.html
            .contains("value=\"&#60;script&#62;alert(1)&#60;/script&#62;&#34;&#39;&#38;\""),
        "{}",
        r.html
    );
    let r = f
        .portal
        .calculator(&ctx(
            "ru",
            "/calculator",
            &[("goodsCode", attack), ("origin", "\"><b>x")],
        ))
        .await
        .unwrap();
    assert!(
        !r.html.contains("<script>") && !r.html.contains("<b>x"),
        "{}",
        r.html
    );
    // The language switch keeps the query, encoded.
    assert!(r.html.contains("goodsCode=%3Cscript%3E"), "{}", r.html);
}

/// The message ids the templates and the code name literally.
fn literal_ids() -> BTreeSet<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["templates", "src", "src/pages"] {
        for e in std::fs::read_dir(root.join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                files.push(p);
            }
        }
    }
    let mut ids = BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for call in [".t(\"", ".t1(\"", ".t2(\""] {
            for (i, _) in text.match_indices(call) {
                let rest = &text[i + call.len()..];
                let id = &rest[..rest.find('"').unwrap()];
                ids.insert(id.to_owned());
            }
        }
        // The calculator's fields name their label and hint ids.
        for (_, label, hint) in tamga_portal::pages::CALCULATOR_FIELDS {
            ids.insert((*label).to_owned());
            ids.insert((*hint).to_owned());
        }
        for (_, id) in tamga_portal::pages::NAV {
            ids.insert((*id).to_owned());
        }
    }
    ids
}

#[test]
fn every_message_the_portal_uses_exists_in_every_language() {
    let mut ids = literal_ids();
    assert!(ids.len() > 60, "{}", ids.len());
    // The ids made from data: measure kinds, office roles, error codes
    // and error pages.
    for k in tamga_core::tariff::MeasureKind::ALL {
        let name = serde_json::to_value(k).unwrap();
        ids.insert(format!("kind-{}", name.as_str().unwrap().replace('_', "-")));
    }
    let shipped = tamga_app::reference::shipped().unwrap();
    for o in &shipped.offices {
        for r in &o.roles {
            ids.insert(format!("office-role-{r}"));
        }
    }
    for s in tamga_core::office_hours::OfficeService::ALL {
        ids.insert(format!("office-service-{}", s.as_str()));
    }
    for d in tamga_core::office_hours::DAYS {
        ids.insert(format!("office-day-{}", d.to_lowercase()));
    }
    let tariff_src = include_str!("../../../tamga-core/src/tariff/assess.rs");
    for (i, _) in tariff_src.match_indices("\"DUTY-") {
        let rest = &tariff_src[i + 1..];
        ids.insert(format!("error-{}", &rest[..rest.find('"').unwrap()]));
    }
    ids.insert("error-AMOUNT_FORMAT".into());
    ids.insert("error-CALCULATOR_DATE".into());
    for s in [400, 401, 403, 404, 405, 408, 413, 429, 500, 503] {
        let key = tamga_portal::pages::error_key(s);
        ids.insert(format!("{key}-title"));
        ids.insert(format!("{key}-text"));
    }
    for lang in i18n::languages() {
        let tr = Tr::new(lang);
        let missing: Vec<&String> = ids.iter().filter(|id| !tr.has(id)).collect();
        assert!(missing.is_empty(), "i18n/{lang} lacks {missing:?}");
    }
}

#[tokio::test]
async fn the_russian_pages_show_no_english_sentence() {
    let f = fixture().await;
    let en = Tr::new("en");
    let ru = Tr::new("ru");
    // The tariff's own descriptions are data (in the tariff's language),
    // not texts of the portal.
    let data: BTreeSet<String> = {
        let t = f.portal.clearance().tariff().unwrap();
        let t = &t.tariff;
        t.measure_types
            .values()
            .map(|m| m.description.clone())
            .chain(t.areas.values().map(|a| a.description.clone()))
            .collect()
    };
    // Every English text of more than one word that Russian says otherwise.
    let english: Vec<String> = Tr::message_ids("en")
        .into_iter()
        .map(|id| (en.t(&id), ru.t(&id)))
        .filter(|(e, r)| e != r && e.contains(' ') && !e.contains('{') && !data.contains(e))
        .map(|(e, _)| e)
        .collect();
    assert!(english.len() > 50, "{}", english.len());
    for (name, r) in every_page(&f.portal, "ru").await {
        let text = unescape(&r.html);
        for sentence in &english {
            assert!(
                !text.contains(sentence.as_str()),
                "ru {name} shows {sentence:?}"
            );
        }
    }
}

#[tokio::test]
async fn home_and_calculator_weigh_less_than_100_kb() {
    let f = fixture().await;
    let css = assets::CSS.body.len();
    for lang in i18n::languages() {
        let home = f.portal.home(&ctx(lang, "/", &[])).await.unwrap();
        let calc = f
            .portal
            .calculator(&ctx(lang, "/calculator", COMPUTER))
            .await
            .unwrap();
        for (name, page) in [("home", home), ("calculator", calc)] {
            // HTML + CSS (the portal has no JavaScript).
            let weight = page.html.len() + css;
            assert!(weight < 100 * 1024, "{lang} {name}: {weight} bytes");
        }
    }
}
