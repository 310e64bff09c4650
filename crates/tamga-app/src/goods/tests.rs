//! The goods check on a small model built here: what it records, what it
//! warns and where, its absences (model not built, budget spent) and the
//! controlled-goods screening that needs no model.

use std::sync::Arc;
use std::time::Duration;

use tamga_core::declaration::{Declaration, DocumentRef};
use tamga_core::goods_check::{GoodsCheckAbsence, Vagueness};
use tamga_hs::{Classifier, Example, Params, Source};

use super::*;

const NOMENCLATURE: &str = "section,hscode,description,parent,level
I,03,Fish and crustaceans,TOTAL,2
I,0306,Crustaceans; frozen or live,03,4
I,030617,Crustaceans; frozen shrimps and prawns,0306,6
I,030619,Crustaceans; frozen crabs and lobsters n.e.c.,0306,6
XII,64,Footwear,TOTAL,2
XII,6403,Footwear; with uppers of leather,64,4
XII,640399,Footwear; leather boots and shoes n.e.c.,6403,6
XVI,84,Machinery,TOTAL,2
XVI,8471,Automatic data processing machines,84,4
XVI,847130,Portable computers; laptops,8471,6
XVI,8473,Parts and accessories of computers,84,4
XVI,847330,Computer parts and accessories,8473,6
XVI,85,Electrical machinery,TOTAL,2
XVI,8517,Telephone sets; smartphones,85,4
XVI,851713,Smartphones for cellular networks,8517,6
XVI,8528,Monitors and television receivers,85,4
XVI,852872,Television receivers with colour display,8528,6
";

fn small_examples() -> Result<Vec<Example>, tamga_hs::HsError> {
    let ex = |d: &str, c: &str| Example {
        description: d.into(),
        code: c.into(),
        source: Source::Parcel,
    };
    Ok(vec![
        ex("frozen shrimp", "030617"),
        ex("king prawns frozen", "030617"),
        ex("frozen crab legs", "030619"),
        ex("mens leather boots", "640399"),
        ex("leather shoes", "640399"),
        ex("laptop computer", "847130"),
        ex("keyboard for computer", "847330"),
        ex("mobile phone", "851713"),
        ex("smart tv", "852872"),
    ])
}

fn small_recipe() -> Recipe {
    Recipe {
        nomenclature: NOMENCLATURE,
        examples: small_examples,
        params: Params::default(),
    }
}

fn classifier() -> Classifier {
    Classifier::build(NOMENCLATURE, small_examples().unwrap(), Params::default()).expect("builds")
}

fn declaration() -> Declaration {
    serde_json::from_str(include_str!(
        "../../../tamga-core/src/testdata/declaration.json"
    ))
    .unwrap()
}

fn service(budget: Duration) -> GoodsCheck {
    GoodsCheck::new(
        Arc::new(HsModel::with(classifier())),
        GoodsCheckSettings {
            budget,
            ..Default::default()
        },
    )
}

fn codes(c: &Checked) -> Vec<(String, String)> {
    c.warnings
        .iter()
        .map(|w| (w.code.clone(), w.pointer.clone()))
        .collect()
}

#[test]
fn consistent_items_are_recorded_without_warnings() {
    let c = service(Duration::from_secs(60))
        .check(&declaration())
        .unwrap();
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert_eq!(c.checks.items.len(), 5);
    assert_eq!(c.checks.absent, None);
    assert_eq!(c.checks.top_k, DEFAULT_TOP_K);
    assert_eq!(c.checks.min_gap, DEFAULT_MIN_GAP);
    for i in &c.checks.items {
        assert!(!i.mismatch, "{i:?}");
        assert_eq!(i.vague, None, "{i:?}");
        assert!(i.heading_rank.unwrap() <= 2, "{i:?}");
        assert!(!i.suggestions.is_empty());
    }
    assert!(c.checks.controlled_list.is_some());
    assert!(c.checks.controlled.is_empty());
}

#[test]
fn mismatch_and_vague_are_warned_at_their_fields() {
    let mut d = declaration();
    d.items[1].description = "frozen shrimp".into(); // declared 851713
    d.items[3].description = "gift".into();
    // Seven headings in this nomenclature: the rule's k is 2 here.
    let s = GoodsCheck::new(
        Arc::new(HsModel::with(classifier())),
        GoodsCheckSettings {
            top_k: 2,
            budget: Duration::from_secs(60),
            ..Default::default()
        },
    );
    let c = s.check(&d).unwrap();
    assert_eq!(
        codes(&c),
        vec![
            ("FLC-HS-MISMATCH".to_owned(), "/items/1/hsCode".to_owned()),
            (
                "FLC-DESCRIPTION-VAGUE".to_owned(),
                "/items/3/description".to_owned()
            ),
        ]
    );
    let shrimp = c.checks.item(2).unwrap();
    assert!(shrimp.mismatch);
    assert!(shrimp.heading_rank > Some(2), "{shrimp:?}");
    assert!(shrimp.score_gap >= Some(DEFAULT_MIN_GAP), "{shrimp:?}");
    assert_eq!(shrimp.suggestions[0].code, "030617");
    let gift = c.checks.item(4).unwrap();
    assert_eq!(gift.vague, Some(Vagueness::Listed));
    assert_eq!(gift.heading_rank, None);
    assert!(!gift.mismatch);
    assert!(
        c.warnings[0].message.contains("030617"),
        "{}",
        c.warnings[0].message
    );
}

#[test]
fn a_spent_budget_and_a_model_not_built_are_recorded_not_fatal() {
    let c = service(Duration::ZERO).check(&declaration()).unwrap();
    assert_eq!(c.checks.absent, Some(GoodsCheckAbsence::OverBudget));
    assert!(c.checks.items.is_empty());

    let mut d = declaration();
    d.items[0].description = "Ephedrine hydrochloride".into();
    let not_built = GoodsCheck::new(Arc::new(HsModel::default()), GoodsCheckSettings::default());
    let c = not_built.check(&d).unwrap();
    assert_eq!(c.checks.absent, Some(GoodsCheckAbsence::NotReady));
    assert!(c.checks.items.is_empty());
    // The controlled-goods screening needs no model.
    assert_eq!(c.checks.controlled.len(), 1);
    assert_eq!(c.checks.controlled[0].entry, "PREC-EPHEDRINES");
    assert_eq!(
        codes(&c),
        vec![(
            "FLC-CONTROLLED-GOODS".to_owned(),
            "/items/0/documents".to_owned()
        )]
    );
    // Lodging never starts the build.
    assert!(!not_built.model().is_ready());
    assert!(matches!(
        not_built.model().built(),
        Err(ModelState::NotReady)
    ));

    let off = GoodsCheck::new(
        Arc::new(HsModel::with(classifier())),
        GoodsCheckSettings {
            enabled: false,
            ..Default::default()
        },
    );
    assert_eq!(off.check(&d), None);
}

#[test]
fn a_produced_licence_satisfies_the_entry() {
    let mut d = declaration();
    d.items[0].description = "Ephedrine hydrochloride".into();
    d.items[0].documents.push(DocumentRef {
        type_code: tamga_core::codes::DocumentTypeCode::parse("C084").unwrap(),
        reference: "LIC-1".into(),
        issued_on: None,
    });
    let c = service(Duration::from_secs(60)).check(&d).unwrap();
    assert!(codes(&c)
        .iter()
        .all(|(code, _)| code != "FLC-CONTROLLED-GOODS"));
    assert!(c.checks.controlled[0].licence_produced);
}

#[test]
fn a_description_comes_from_the_cache_the_second_time() {
    let s = service(Duration::from_secs(60));
    let first = s.check(&declaration()).unwrap();
    let second = s.check(&declaration()).unwrap();
    assert_eq!(first, second);
    assert_eq!(s.cache.as_ref().unwrap().len(), 4); // two items share a description
    let uncached = GoodsCheck::new(
        Arc::new(HsModel::with(classifier())),
        GoodsCheckSettings {
            cache: 0,
            ..Default::default()
        },
    );
    assert_eq!(uncached.check(&declaration()).unwrap(), first);
}

/// A rebuilt model learns what officers confirmed, replaces the old one
/// (a new generation) and the goods check forgets what it kept of the old.
#[tokio::test]
async fn a_rebuilt_model_learns_confirmed_classifications_and_the_check_forgets_the_old() {
    let model = Arc::new(HsModel::new(small_recipe()));
    assert!(model.rebuild(Vec::new()).await);
    assert_eq!((model.generation(), model.confirmed()), (1, 0));
    let check = GoodsCheck::new(model.clone(), GoodsCheckSettings::default());
    let mut d = declaration();
    d.items.truncate(1);
    d.items[0].description = "zenbook flip".into();
    d.items[0].hs_code = tamga_core::codes::HsCode::parse("847130").unwrap();
    let before = check.check(&d).unwrap().checks;
    assert!(
        before.items[0]
            .suggestions
            .iter()
            .all(|s| s.code != "847130"),
        "{before:?}"
    );
    let confirmed = vec![Example {
        description: "zenbook flip 14".into(),
        code: "847130".into(),
        source: Source::Confirmed,
    }];
    assert!(model.rebuild(confirmed).await);
    assert_eq!((model.generation(), model.confirmed()), (2, 1));
    let after = check.check(&d).unwrap().checks;
    assert_eq!(after.items[0].suggestions[0].code, "847130", "{after:?}");
}

/// A model that cannot be built leaves the one in service in place; with
/// none in service the assistant is unavailable.
#[tokio::test]
async fn a_failed_rebuild_keeps_the_model_in_service() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    fn flaky() -> Result<Vec<Example>, tamga_hs::HsError> {
        if CALLS.fetch_add(1, Ordering::SeqCst) == 0 {
            small_examples()
        } else {
            Err(tamga_hs::HsError::Data {
                source_name: "test",
                line: 0,
                message: "gone".into(),
            })
        }
    }
    let model = HsModel::new(Recipe {
        nomenclature: NOMENCLATURE,
        examples: flaky,
        params: Params::default(),
    });
    assert!(model.rebuild(Vec::new()).await);
    assert!(!model.rebuild(Vec::new()).await);
    assert!(model.built().is_ok());
    assert_eq!(model.generation(), 1);

    let never = HsModel::new(Recipe {
        nomenclature: "not a nomenclature",
        examples: small_examples,
        params: Params::default(),
    });
    assert!(!never.rebuild(Vec::new()).await);
    assert_eq!(never.built().unwrap_err(), ModelState::Failed);
}
