use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use time::macros::date;
use time::Date;

use super::engine::render;
use super::schema::{check, Node};
use super::syntax::parse;
use super::*;
use crate::codes::OfficeCode;
use crate::lifecycle::Channel;

pub(super) fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn compile_expr(src: &str) -> Result<Node, ProfileError> {
    check(&parse(src)?)
}

fn err(src: &str) -> ProfileError {
    compile_expr(src).expect_err(src)
}

pub(super) fn item(seq: u32, hs: &str, origin: &str, per_kg: &str) -> ItemSubject {
    ItemSubject {
        sequence: seq,
        hs: Some(hs.into()),
        origin: Some(origin.into()),
        preferential_origin: None,
        value_per_unit: Some(dec("10")),
        value_per_kg: Some(dec(per_kg)),
        customs_value: Some(dec("1000")),
        net_mass_kg: Some(dec("100")),
        tax_rate: None,
        documents: vec!["N380".into()],
        hs_rank: None,
        hs_mismatch: None,
        description_vague: None,
        controlled_goods: None,
        controlled_licence_missing: None,
        value_z: None,
        undervalued: None,
        overvalued: None,
        value_reference_n: None,
    }
}

pub(super) fn subject(items: Vec<ItemSubject>) -> RiskSubject {
    RiskSubject {
        declaration_type: Some("IM".into()),
        procedure: Some("4000".into()),
        office: Some("UZ000100".into()),
        transport_mode: Some("road".into()),
        dispatch_country: Some("KZ".into()),
        destination_country: Some("UZ".into()),
        route: vec!["KZ".into(), "RU".into()],
        declarant: Some("UZ000000000101".into()),
        importer: Some("UZ000000000101".into()),
        representative: None,
        seller_country: Some("CN".into()),
        trader: TraderContext {
            category: TraderCategory::Medium,
            aeo: false,
            first_time: false,
            days_since_registration: 400,
        },
        items,
    }
}

pub(super) fn profile(id: &str, expr: &str) -> Profile {
    Profile {
        id: id.into(),
        version: 1,
        rationale: "test".into(),
        expression: expr.into(),
        valid_from: date!(2020 - 01 - 01),
        valid_to: None,
        offices: vec![],
        priority: 0,
        control: Control::DocumentaryCheck,
        channel: Channel::Yellow,
    }
}

const DAY: Date = date!(2026 - 11 - 21);

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

#[test]
fn precedence_and_binds_tighter_than_or_and_not_tighter_than_and() {
    let n = compile_expr("origin == \"CN\" or origin == \"RU\" and not trader.aeo").unwrap();
    assert_eq!(
        render(&n),
        "origin == \"CN\" or origin == \"RU\" and not trader.aeo"
    );
    match &n {
        Node::Or(v) => {
            assert_eq!(v.len(), 2);
            assert!(matches!(&v[1], Node::And(a) if a.len() == 2 && matches!(a[1], Node::Not(_))));
        }
        other => panic!("{other:?}"),
    }
    let p = compile_expr("(origin == \"CN\" or origin == \"RU\") and trader.aeo").unwrap();
    assert!(matches!(&p, Node::And(a) if matches!(a[0], Node::Or(_))));
    assert_eq!(
        render(&p),
        "(origin == \"CN\" or origin == \"RU\") and trader.aeo"
    );
}

#[test]
fn parses_the_full_grammar() {
    let src = r#"
        # cars from China declared cheap
        hs6 in ["870323", "870324",] and origin == "CN"
          and value_per_kg < 2.5 and not trader.aeo
          and hs starts_with "8703" and hs4 == "8703"
          and origin not in ["KZ"] and route contains "RU"
          and has_document("N380") and trader.days_since_registration >= 30
          and customs_value != -1.5 and trader.first_time == false
    "#;
    let n = compile_expr(src).unwrap();
    assert_eq!(n.leaves().len(), 12);
    // `not trader.aeo` is required too, but it is not a leaf of the
    // conjunction (so never an index anchor).
    assert_eq!(n.required().len(), 11);
}

#[test]
fn syntax_errors_have_code_line_and_column() {
    let cases: &[(&str, &str, u32, u32)] = &[
        ("origin = \"CN\"", "PROFILE_SYNTAX_OPERATOR", 1, 8),
        (
            "origin == \"CN\" && trader.aeo",
            "PROFILE_SYNTAX_OPERATOR",
            1,
            16,
        ),
        (
            "origin == \"CN",
            "PROFILE_SYNTAX_UNTERMINATED_STRING",
            1,
            11,
        ),
        ("origin == 'CN'", "PROFILE_SYNTAX_CHARACTER", 1, 11),
        ("origin == \"C\\N\"", "PROFILE_SYNTAX_ESCAPE", 1, 13),
        ("value_per_kg < 1.2.3", "PROFILE_SYNTAX_NUMBER", 1, 16),
        ("hs4 == 8703x", "PROFILE_SYNTAX_NUMBER", 1, 8),
        (
            "origin == \"CN\" and\n  trader.aeo $",
            "PROFILE_SYNTAX_CHARACTER",
            2,
            14,
        ),
        ("origin ==", "PROFILE_SYNTAX_END", 1, 10),
        ("", "PROFILE_SYNTAX_END", 1, 1),
        ("(origin == \"CN\"", "PROFILE_SYNTAX_END", 1, 16),
        ("origin == \"CN\" trader.aeo", "PROFILE_SYNTAX_TOKEN", 1, 16),
        ("\"CN\" == origin", "PROFILE_SYNTAX_TOKEN", 1, 1),
        ("origin in []", "PROFILE_EMPTY_LIST", 1, 12),
        ("origin in [\"CN\" \"RU\"]", "PROFILE_SYNTAX_TOKEN", 1, 17),
        ("has_document(5)", "PROFILE_SYNTAX_TOKEN", 1, 14),
    ];
    for (src, code, line, col) in cases {
        let e = err(src);
        assert_eq!(
            (e.code, e.line, e.column),
            (*code, *line, *col),
            "{src}: {e}"
        );
        assert!(!e.message.is_empty());
    }
    let deep = format!("{}trader.aeo{}", "(".repeat(200), ")".repeat(200));
    assert_eq!(err(&deep).code, "PROFILE_TOO_DEEP");
    let nots = format!("{}trader.aeo", "not ".repeat(100));
    assert_eq!(err(&nots).code, "PROFILE_TOO_DEEP");
    let long = format!("trader.aeo{}", " or trader.aeo".repeat(2000));
    assert_eq!(err(&long).code, "PROFILE_TOO_LONG");
}

#[test]
fn an_unknown_attribute_suggests_the_near_names() {
    assert!(err("trader.aoe")
        .message
        .ends_with("did you mean trader.aeo?"));
    assert!(err("orign == \"CN\"")
        .message
        .contains("did you mean origin"));
    // Nothing within two edits: no suggestion, and a long name is refused
    // as quickly as a short one.
    assert_eq!(err("colour").message, "unknown attribute \"colour\"");
    let long = "x".repeat(5000);
    assert!(!err(&long).message.contains("did you mean"));
}

#[test]
fn type_and_schema_errors_are_precise() {
    let cases: &[(&str, &str, u32, u32, &str)] = &[
        (
            "orign == \"CN\"",
            "PROFILE_UNKNOWN_ATTRIBUTE",
            1,
            1,
            "orign",
        ),
        (
            "trader.aoe",
            "PROFILE_UNKNOWN_ATTRIBUTE",
            1,
            1,
            "trader.aoe",
        ),
        (
            "value_per_kg < \"2.5\"",
            "PROFILE_TYPE_MISMATCH",
            1,
            16,
            "decimal",
        ),
        ("hs4 == 8703", "PROFILE_TYPE_MISMATCH", 1, 8, "strings"),
        (
            "trader.aeo == \"yes\"",
            "PROFILE_TYPE_MISMATCH",
            1,
            15,
            "bool",
        ),
        (
            "trader.days_since_registration < 2.5",
            "PROFILE_TYPE_MISMATCH",
            1,
            34,
            "integer",
        ),
        ("origin", "PROFILE_TYPE_MISMATCH", 1, 1, "not a condition"),
        ("origin < \"CN\"", "PROFILE_BAD_OPERATOR", 1, 1, "'<'"),
        (
            "value_per_kg in [1, 2]",
            "PROFILE_BAD_OPERATOR",
            1,
            1,
            "'in'",
        ),
        (
            "origin starts_with \"C\"",
            "PROFILE_BAD_CODE",
            1,
            20,
            "starts_with",
        ),
        (
            "origin contains \"CN\"",
            "PROFILE_BAD_OPERATOR",
            1,
            1,
            "contains",
        ),
        (
            "origin == \"cn\"",
            "PROFILE_BAD_CODE",
            1,
            11,
            "two upper-case",
        ),
        (
            "origin in [\"CN\", \"RUS\"]",
            "PROFILE_BAD_CODE",
            1,
            18,
            "\"RUS\"",
        ),
        (
            "hs starts_with \"87A\"",
            "PROFILE_BAD_CODE",
            1,
            16,
            "digits",
        ),
        ("hs == \"8703\"", "PROFILE_BAD_CODE", 1, 7, "starts_with"),
        ("hs2 == \"870\"", "PROFILE_BAD_CODE", 1, 8, "2 digits"),
        (
            "transport_mode == \"boat\"",
            "PROFILE_BAD_CODE",
            1,
            19,
            "sea",
        ),
        (
            "trader.category == \"severe\"",
            "PROFILE_BAD_CODE",
            1,
            20,
            "low",
        ),
        (
            "has_document(\"c5\")",
            "PROFILE_BAD_CODE",
            1,
            14,
            "document",
        ),
        ("office == \"UZ01\"", "PROFILE_BAD_CODE", 1, 11, "office"),
    ];
    for (src, code, line, col, needle) in cases {
        let e = err(src);
        assert_eq!(
            (e.code, e.line, e.column),
            (*code, *line, *col),
            "{src}: {e}"
        );
        assert!(e.message.contains(needle), "{src}: {}", e.message);
    }
    assert!(
        err("orign == \"CN\"").message.contains("origin"),
        "suggests"
    );
}

#[test]
fn contradictions_are_refused_at_the_second_condition() {
    let cases: &[(&str, u32)] = &[
        ("origin == \"CN\" and origin == \"RU\"", 20),
        ("value_per_kg < 1 and value_per_kg > 5", 22),
        (
            "value_per_kg <= 1 and (trader.aeo and value_per_kg > 1)",
            39,
        ),
        (
            "value_per_kg >= 2 and value_per_kg <= 2 and value_per_kg != 2",
            45,
        ),
        ("hs2 == \"87\" and hs4 == \"8501\"", 17),
        (
            "hs starts_with \"8703\" and hs6 in [\"850110\", \"850120\"]",
            27,
        ),
        ("hs == \"870323\" and hs6 == \"870324\"", 20),
        (
            "origin in [\"CN\", \"RU\"] and origin not in [\"RU\", \"CN\"]",
            28,
        ),
        // a negated condition is located at its attribute
        ("trader.aeo and not trader.aeo", 20),
        ("origin in [\"CN\"] and not origin == \"CN\"", 26),
        (
            "trader.days_since_registration > 10 and trader.days_since_registration < 5",
            41,
        ),
    ];
    for (src, col) in cases {
        let e = err(src);
        assert_eq!(e.code, "PROFILE_CONTRADICTION", "{src}: {e}");
        assert_eq!((e.line, e.column), (1, *col), "{src}: {e}");
        assert!(e.message.contains("never"), "{}", e.message);
    }
    // Not contradictions.
    for ok in [
        "origin == \"CN\" or origin == \"RU\"",
        "value_per_kg >= 2 and value_per_kg <= 2",
        "hs2 == \"87\" and hs starts_with \"8703\" and hs6 == \"870323\"",
        "origin in [\"CN\", \"RU\"] and origin != \"CN\"",
        "not (value_per_kg < 1) and value_per_kg < 1 or trader.aeo",
        "value_per_kg < 1 and not value_per_kg < 5",
    ] {
        compile_expr(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
}

#[test]
fn profile_fields_are_checked() {
    let mut p = profile("P1", "trader.aeo");
    p.channel = Channel::Green;
    assert_eq!(
        CompiledProfile::compile(p).unwrap_err().code,
        "PROFILE_CHANNEL"
    );
    let mut p = profile("P1", "trader.aeo");
    p.valid_to = Some(date!(2019 - 01 - 01));
    assert_eq!(
        CompiledProfile::compile(p).unwrap_err().code,
        "PROFILE_VALIDITY"
    );
    let a = CompiledProfile::compile(profile("P1", "trader.aeo")).unwrap();
    let b = CompiledProfile::compile(profile("P1", "trader.first_time")).unwrap();
    assert_eq!(
        ProfileEngine::new(vec![a, b]).err().unwrap().code,
        "PROFILE_DUPLICATE_ID"
    );
    let errs = ProfileEngine::compile(vec![profile("A", "origin = 1"), profile("B", "trader.aeo")])
        .err()
        .unwrap();
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].0, "A");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn parser_never_panics_on_random_text(s in ".{0,200}") {
        let _ = compile_expr(&s);
    }

    #[test]
    fn parser_never_panics_on_token_soup(toks in proptest::collection::vec(0usize..TOKENS.len(), 0..40)) {
        let src: Vec<&str> = toks.iter().map(|i| TOKENS[*i]).collect();
        let src = src.join(" ");
        if let Err(e) = compile_expr(&src) {
            prop_assert!(e.line >= 1 && e.column >= 1, "{src}: {e:?}");
        }
    }
}

const TOKENS: &[&str] = &[
    "and",
    "or",
    "not",
    "(",
    ")",
    "[",
    "]",
    ",",
    "in",
    "starts_with",
    "contains",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "origin",
    "hs",
    "hs4",
    "trader.aeo",
    "value_per_kg",
    "documents",
    "\"CN\"",
    "\"8703\"",
    "2.5",
    "-1",
    "true",
    "false",
    "has_document",
    "\"",
    "#",
    "\n",
    "trader.days_since_registration",
    "=",
    "!",
    "\"870323\"",
    "\\",
];

// ---------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------

#[test]
fn explanation_names_conditions_and_actual_values() {
    let p = CompiledProfile::compile(profile(
        "CARS",
        "hs6 in [\"870323\", \"870324\"] and origin == \"CN\" and value_per_kg < 2.5 and not trader.aeo",
    ))
    .unwrap();
    let s = subject(vec![
        item(1, "8703231000", "CN", "7.5"),
        item(2, "8703241000", "CN", "1.93"),
    ]);
    let h = p.hit(&s).expect("hits item 2");
    assert_eq!(h.item, Some(2));
    assert_eq!(
        h.explanation,
        "item 2: hs6 in [\"870323\", \"870324\"] (was 870324), origin == \"CN\" (was CN), \
         value_per_kg < 2.5 (was 1.93), not trader.aeo (was false)"
    );
    // Or: only the branch that held is explained.
    let q = CompiledProfile::compile(profile(
        "Q",
        "(origin == \"RU\" or seller_country == \"CN\") and not (trader.aeo or trader.first_time)",
    ))
    .unwrap();
    let h = q.hit(&s).unwrap();
    assert_eq!(h.item, Some(1));
    assert!(
        h.explanation.contains("seller_country == \"CN\" (was CN)"),
        "{}",
        h.explanation
    );
    assert!(
        !h.explanation.contains("origin == \"RU\""),
        "{}",
        h.explanation
    );
    assert!(
        h.explanation.contains("not (trader.aeo or trader.first_time) (trader.aeo was false, trader.first_time was false)"),
        "{}",
        h.explanation
    );
}

#[test]
fn item_conditions_hold_together_on_one_item() {
    // Item 1 is from CN, item 2 is cheap: no single item is both.
    let s = subject(vec![
        item(1, "8703231000", "CN", "9"),
        item(2, "8703231000", "KZ", "1"),
    ]);
    let p =
        CompiledProfile::compile(profile("P", "origin == \"CN\" and value_per_kg < 2")).unwrap();
    assert!(p.hit(&s).is_none());
    let e = ProfileEngine::new(vec![p]).unwrap();
    assert!(e.evaluate(&s, DAY).is_empty());
}

#[test]
fn absent_values_compare_false_except_negations() {
    let mut it = item(1, "8703231000", "CN", "1");
    it.tax_rate = None;
    let s = subject(vec![it]);
    let hit = |src: &str| {
        CompiledProfile::compile(profile("P", src))
            .unwrap()
            .hit(&s)
            .is_some()
    };
    assert!(!hit("tax_rate > 0"));
    assert!(!hit("tax_rate <= 0"));
    assert!(hit("tax_rate != 5"));
    assert!(!hit("representative == \"UZ1\""));
    assert!(hit("representative != \"UZ1\""));
    assert!(hit("representative not in [\"UZ1\"]"));
    assert!(!hit("preferential_claimed"));
    let s2 = s.clone().with_tax_rates(&[Some(dec("12.5"))]);
    let p = CompiledProfile::compile(profile("P", "tax_rate > 10")).unwrap();
    assert!(p.hit(&s2).unwrap().explanation.contains("(was 12.5)"));
}

#[test]
fn validity_dates_and_office_scope_are_respected() {
    let s = subject(vec![item(1, "8703231000", "CN", "1")]);
    let mut dated = profile("DATED", "origin == \"CN\"");
    dated.valid_from = date!(2026 - 11 - 22);
    dated.valid_to = Some(date!(2026 - 11 - 30));
    let mut elsewhere = profile("ELSEWHERE", "origin == \"CN\"");
    elsewhere.offices = vec![OfficeCode::parse("UZ000200").unwrap()];
    let mut here = profile("HERE", "trader.days_since_registration > 10");
    here.offices = vec![
        OfficeCode::parse("UZ000200").unwrap(),
        OfficeCode::parse("UZ000100").unwrap(),
    ];
    let e = ProfileEngine::compile(vec![dated, elsewhere, here]).unwrap();
    let ids = |day| {
        e.evaluate(&s, day)
            .into_iter()
            .map(|h| h.profile_id)
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(DAY), ["HERE"]);
    assert_eq!(ids(date!(2026 - 11 - 22)), ["DATED", "HERE"]);
    assert_eq!(ids(date!(2026 - 11 - 30)), ["DATED", "HERE"]);
    assert_eq!(ids(date!(2026 - 12 - 01)), ["HERE"]);
    let here = e
        .profiles()
        .iter()
        .find(|p| p.profile.id == "HERE")
        .unwrap();
    assert!(here.is_indexed(), "office scope anchors the profile");
    let h = &e.evaluate(&s, DAY)[0];
    assert_eq!(h.item, None);
    assert!(
        h.explanation.ends_with("at office UZ000100"),
        "{}",
        h.explanation
    );
}

#[test]
fn hits_are_ordered_by_priority_then_id_and_anchors_are_chosen() {
    let mut a = profile("A", "origin == \"CN\" and hs2 == \"87\"");
    a.priority = 1;
    let mut b = profile("B", "office == \"UZ000100\"");
    b.priority = 5;
    b.channel = Channel::Red;
    let c = profile("C", "value_per_kg < 5 or trader.aeo");
    let e = ProfileEngine::compile(vec![c, a, b]).unwrap();
    let s = subject(vec![item(1, "8703231000", "CN", "1")]);
    let hits = e.evaluate(&s, DAY);
    let ids: Vec<_> = hits.iter().map(|h| h.profile_id.as_str()).collect();
    assert_eq!(ids, ["B", "A", "C"]);
    assert_eq!(hits[0].channel, Channel::Red);
    assert_eq!(
        e.stats(),
        EngineStats {
            profiles: 3,
            indexed: 2,
            unindexed: 1,
            keys: 2
        }
    );
}

#[test]
fn what_would_hit_reports_the_past_subjects_hit() {
    let p = CompiledProfile::compile(profile("P", "hs starts_with \"8703\" and origin == \"CN\""))
        .unwrap();
    let past = vec![
        subject(vec![item(1, "8703231000", "KZ", "1")]),
        subject(vec![
            item(1, "0101210000", "CN", "1"),
            item(2, "8703239000", "CN", "3"),
        ]),
        subject(vec![item(1, "8703231000", "CN", "1")]),
    ];
    let hits = what_would_hit(&p, &past);
    assert_eq!(
        hits.iter().map(|(i, h)| (*i, h.item)).collect::<Vec<_>>(),
        [(1, Some(2)), (2, Some(1))]
    );
    assert_eq!(
        p.referenced_codes(),
        [("hs", "8703".to_string()), ("origin", "CN".to_string())]
    );
}

// ---------------------------------------------------------------------------
// The index gives exactly the linear result
// ---------------------------------------------------------------------------

const HS: &[&str] = &[
    "8703231000",
    "8703241000",
    "8703239000",
    "8704210000",
    "8501100000",
    "8501200000",
    "6109100000",
    "6110200000",
    "2402200000",
    "0101210000",
];
const COUNTRIES: &[&str] = &["CN", "RU", "KZ", "TR", "DE", "UZ"];
const OFFICES: &[&str] = &["UZ000100", "UZ000200", "UZ000300"];

fn pick<'a>(r: &mut ChaCha8Rng, xs: &[&'a str]) -> &'a str {
    xs[r.gen_range(0..xs.len())]
}

fn random_leaf(r: &mut ChaCha8Rng) -> String {
    let hs = pick(r, HS);
    match r.gen_range(0..16) {
        0 => format!("hs == \"{hs}\""),
        1 => format!("hs2 == \"{}\"", &hs[..2]),
        2 => format!("hs4 in [\"{}\", \"{}\"]", &hs[..4], &pick(r, HS)[..4]),
        3 => format!("hs6 == \"{}\"", &hs[..6]),
        4 => format!("hs starts_with \"{}\"", &hs[..r.gen_range(1..=8)]),
        5 => format!("origin == \"{}\"", pick(r, COUNTRIES)),
        6 => format!(
            "origin in [\"{}\", \"{}\"]",
            pick(r, COUNTRIES),
            pick(r, COUNTRIES)
        ),
        7 => format!("dispatch_country == \"{}\"", pick(r, COUNTRIES)),
        8 => format!("office == \"{}\"", pick(r, OFFICES)),
        9 => format!(
            "procedure starts_with \"{}\"",
            ["4", "40", "4000", "1000"][r.gen_range(0..4)]
        ),
        10 => format!(
            "value_per_kg {} {}",
            ["<", "<=", ">", ">=", "==", "!="][r.gen_range(0..6)],
            r.gen_range(0..20)
        ),
        11 => ["trader.aeo", "trader.first_time", "preferential_claimed"][r.gen_range(0..3)].into(),
        12 => format!(
            "trader.category == \"{}\"",
            ["low", "medium", "high"][r.gen_range(0..3)]
        ),
        13 => format!("route contains \"{}\"", pick(r, COUNTRIES)),
        14 => format!("origin != \"{}\"", pick(r, COUNTRIES)),
        _ => format!("tax_rate > {}", r.gen_range(0..10)),
    }
}

fn random_expr(r: &mut ChaCha8Rng, depth: u32) -> String {
    if depth == 0 || r.gen_bool(0.35) {
        let l = random_leaf(r);
        return if r.gen_bool(0.15) {
            format!("not {l}")
        } else {
            l
        };
    }
    let n = r.gen_range(2..4);
    let parts: Vec<String> = (0..n).map(|_| random_expr(r, depth - 1)).collect();
    if r.gen_bool(0.75) {
        parts
            .into_iter()
            .map(|p| format!("({p})"))
            .collect::<Vec<_>>()
            .join(" and ")
    } else {
        format!("({})", parts.join(" or "))
    }
}

fn random_subject(r: &mut ChaCha8Rng) -> RiskSubject {
    let items = (1..=r.gen_range(1..5))
        .map(|i| {
            let mut it = item(
                i,
                pick(r, HS),
                pick(r, COUNTRIES),
                &r.gen_range(0..20).to_string(),
            );
            if r.gen_bool(0.3) {
                it.preferential_origin = Some(pick(r, COUNTRIES).into());
            }
            if r.gen_bool(0.5) {
                it.tax_rate = Some(Decimal::from(r.gen_range(0..10)));
            }
            it
        })
        .collect();
    let mut s = subject(items);
    s.office = Some(pick(r, OFFICES).into());
    s.procedure = Some(["4000", "1000", "4071"][r.gen_range(0..3)].into());
    s.dispatch_country = if r.gen_bool(0.8) {
        Some(pick(r, COUNTRIES).into())
    } else {
        None
    };
    s.route = vec![pick(r, COUNTRIES).into()];
    s.trader.aeo = r.gen_bool(0.3);
    s.trader.first_time = r.gen_bool(0.2);
    s.trader.category = TraderCategory::ALL[r.gen_range(0..3)];
    s
}

#[test]
fn index_gives_exactly_the_linear_hits() {
    let mut r = ChaCha8Rng::seed_from_u64(7);
    let mut profiles = Vec::new();
    let mut tried = 0;
    while profiles.len() < 600 {
        tried += 1;
        let mut p = profile(&format!("P{tried:04}"), &random_expr(&mut r, 3));
        p.priority = r.gen_range(0..3);
        if r.gen_bool(0.1) {
            p.offices = vec![OfficeCode::parse(pick(&mut r, OFFICES)).unwrap()];
        }
        if r.gen_bool(0.1) {
            p.valid_from = DAY.next_day().unwrap();
        }
        // Random expressions can be contradictory: those are refused.
        if let Ok(c) = CompiledProfile::compile(p) {
            profiles.push(c);
        }
    }
    let engine = ProfileEngine::new(profiles).unwrap();
    let stats = engine.stats();
    assert!(stats.indexed > stats.profiles / 2, "{stats:?}");
    assert!(stats.unindexed > 0, "{stats:?}");
    let mut total_hits = 0;
    let mut candidates = 0;
    for _ in 0..1500 {
        let s = random_subject(&mut r);
        let (fast, c) = engine.evaluate_counting(&s, DAY);
        assert_eq!(fast, engine.evaluate_linear(&s, DAY), "{s:?}");
        total_hits += fast.len();
        candidates += c;
    }
    assert!(total_hits > 1500, "the test exercises hits: {total_hits}");
    assert!(
        candidates < 1500 * stats.profiles,
        "{candidates} evaluations"
    );
}

#[test]
fn the_index_evaluates_only_matching_and_unanchored_profiles() {
    let mut profiles: Vec<Profile> = (0..10_000)
        .map(|i| {
            profile(
                &format!("H{i:05}"),
                &format!("hs6 == \"{i:06}\" and value_per_kg < 5"),
            )
        })
        .collect();
    profiles.extend((0..10).map(|i| profile(&format!("U{i}"), "value_per_kg < 5 or trader.aeo")));
    let e = ProfileEngine::compile(profiles).unwrap();
    let s = subject(vec![
        item(1, "0000421000", "CN", "1"),
        item(2, "0099991000", "CN", "9"),
        item(3, "8703231000", "CN", "1"),
    ]);
    let (hits, candidates) = e.evaluate_counting(&s, DAY);
    assert_eq!(candidates, 10 + 2, "10 unanchored, H00042 and H09999");
    let ids: Vec<_> = hits
        .iter()
        .map(|h| (h.profile_id.as_str(), h.item))
        .collect();
    assert_eq!(ids.len(), 11);
    assert!(ids.contains(&("H00042", Some(1))));
    assert!(!ids.iter().any(|(id, _)| *id == "H09999"), "too dear");
}

#[test]
fn extreme_numbers_and_positions_on_later_lines() {
    for src in [
        "value_per_kg < 99999999999999999999999999999999999999",
        "value_per_kg < 0.0000000000000000000000000000000000001",
        "value_per_kg < -79228162514264337593543950335",
        "trader.days_since_registration < 99999999999999999999999999",
    ] {
        // Refused or accepted, never a panic; a refusal is located.
        if let Err(e) = compile_expr(src) {
            assert_eq!((e.line, e.column), (1, 16), "{src}: {e}");
        }
    }
    let e = err("origin == \"CN\"\n  and not trader.aeo\n  and value_per_kg < \"cheap\"");
    assert_eq!((e.code, e.line, e.column), ("PROFILE_TYPE_MISMATCH", 3, 22));
    let e = err("origin == \"CN\"\n\tand hs4 == \"8703\"\n\tand hs4 == \"8501\"");
    assert_eq!((e.code, e.line, e.column), ("PROFILE_CONTRADICTION", 3, 6));
}

#[test]
fn profiles_have_a_camel_case_json_form() {
    let mut p = profile("CARS-1", "hs4 == \"8703\" and origin == \"CN\"");
    p.offices = vec![OfficeCode::parse("UZ000100").unwrap()];
    p.valid_to = Some(date!(2026 - 12 - 31));
    let v = serde_json::to_value(&p).unwrap();
    assert_eq!(v["validFrom"], "2020-01-01");
    assert_eq!(v["validTo"], "2026-12-31");
    assert_eq!(v["control"], "documentary_check");
    assert_eq!(v["channel"], "yellow");
    let back: Profile = serde_json::from_value(v).unwrap();
    assert_eq!(back, p);
    let hit = CompiledProfile::compile(p)
        .unwrap()
        .hit(&subject(vec![item(1, "8703231000", "CN", "1")]))
        .unwrap();
    let h = serde_json::to_value(&hit).unwrap();
    assert_eq!(h["profileId"], "CARS-1");
    assert_eq!(h["item"], 1);
    assert_eq!(
        h["explanation"],
        "item 1: hs4 == \"8703\" (was 8703), origin == \"CN\" (was CN), at office UZ000100"
    );
    assert_eq!(schema().len(), schema::Attr::ALL.len());
}

#[test]
fn subject_from_a_parsed_declaration() {
    let doc = crate::control::structure::fixtures::im();
    let d = crate::control::parse_declaration(&doc).0.unwrap();
    let trader = TraderContext {
        category: TraderCategory::High,
        aeo: false,
        first_time: true,
        days_since_registration: 3,
    };
    let s = RiskSubject::from_declaration(&d, &trader);
    assert_eq!(s.declaration_type.as_deref(), Some("IM"));
    assert_eq!(s.procedure.as_deref(), Some("4000"));
    assert_eq!(s.office.as_deref(), Some("UZ000100"));
    assert_eq!(s.transport_mode.as_deref(), Some("road"));
    assert_eq!(s.route, ["CN", "UZ"]);
    assert_eq!(s.seller_country.as_deref(), Some("CN"));
    assert_eq!(s.items.len(), 2);
    let (a, b) = (&s.items[0], &s.items[1]);
    // 12000 over 20 supplementary units and 50 kg.
    assert_eq!(
        (a.value_per_unit, a.value_per_kg),
        (Some(dec("600")), Some(dec("240")))
    );
    assert_eq!(a.customs_value, Some(dec("12500.00")));
    // No supplementary units: per package (3000 over 2), and over 60 kg.
    assert_eq!(
        (b.value_per_unit, b.value_per_kg),
        (Some(dec("1500")), Some(dec("50")))
    );
    assert_eq!(b.documents, ["N935"]);
    let p = CompiledProfile::compile(profile(
        "PHONES",
        "hs4 == \"8517\" and value_per_kg < 60 and has_document(\"N935\") and route contains \"CN\" \
         and trader.category == \"high\" and trader.days_since_registration < 30",
    ))
    .unwrap();
    let h = p.hit(&s).unwrap();
    assert_eq!(h.item, Some(2));
    assert!(
        h.explanation.contains("value_per_kg < 60 (was 50)"),
        "{}",
        h.explanation
    );
    assert!(
        h.explanation.contains("route contains \"CN\" (was CN, UZ)"),
        "{}",
        h.explanation
    );
    assert!(h
        .explanation
        .contains("trader.days_since_registration < 30 (was 3)"));
}

#[test]
fn empty_engines_and_subjects_without_items() {
    let e = ProfileEngine::new(vec![]).unwrap();
    assert!(e.evaluate(&subject(vec![]), DAY).is_empty());
    let e = ProfileEngine::compile(vec![
        profile("I", "origin == \"CN\""),
        profile("D", "office == \"UZ000100\""),
        profile("N", "not (origin == \"CN\")"),
    ])
    .unwrap();
    let s = subject(vec![]);
    // No item: item profiles cannot hit, declaration ones can.
    let ids: Vec<_> = e
        .evaluate(&s, DAY)
        .into_iter()
        .map(|h| h.profile_id)
        .collect();
    assert_eq!(ids, ["D"]);
    assert_eq!(e.evaluate(&s, DAY), e.evaluate_linear(&s, DAY));
}

#[test]
fn a_hit_records_its_deciding_conditions_as_data() {
    let mut p = profile(
        "CIG",
        "hs == \"2402200000\" and origin == \"CN\" and not (trader.aeo or trader.first_time)",
    );
    p.offices = vec![OfficeCode::parse("UZ000100").unwrap()];
    let e = ProfileEngine::compile(vec![p]).unwrap();
    let s = subject(vec![
        item(1, "8703231000", "CN", "1"),
        item(2, "2402200000", "CN", "1"),
    ]);
    let hits = e.evaluate(&s, DAY);
    assert_eq!(hits, e.evaluate_linear(&s, DAY));
    let h = &hits[0];
    assert_eq!(h.item, Some(2));
    assert_eq!(h.office.as_deref(), Some("UZ000100"));
    let held: Vec<(&str, Vec<(&str, &str)>)> = h
        .held
        .iter()
        .map(|c| {
            (
                c.condition.as_str(),
                c.values
                    .iter()
                    .map(|v| (v.attr.as_str(), v.value.as_str()))
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        held,
        [
            ("hs == \"2402200000\"", vec![("hs", "2402200000")]),
            ("origin == \"CN\"", vec![("origin", "CN")]),
            (
                "not (trader.aeo or trader.first_time)",
                vec![("trader.aeo", "false"), ("trader.first_time", "false")]
            ),
        ]
    );
    // Stored without them, an older hit reads back with none.
    let mut old = serde_json::to_value(h).unwrap();
    old.as_object_mut().unwrap().remove("held");
    old.as_object_mut().unwrap().remove("office");
    let back: ProfileHit = serde_json::from_value(old).unwrap();
    assert!(back.held.is_empty() && back.office.is_none());
}
