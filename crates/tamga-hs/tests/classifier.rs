//! The assistant through its public API, on the shipped model: obvious
//! descriptions rank the right heading first, the reasons are filled, the
//! declared-heading check works, bad input is refused with a stable code,
//! and the same description always ranks the same way.

use tamga_hs::{Classifier, Example, Params, Source, MAX_DESCRIPTION_BYTES};

fn hs() -> &'static Classifier {
    Classifier::shipped().expect("the shipped model builds")
}

fn best_heading(description: &str) -> String {
    hs().rank(description).unwrap().top_codes(1)[0].0[..4].to_owned()
}

#[test]
fn obvious_descriptions_rank_their_heading_first() {
    for (description, heading) in [
        ("mens leather boots", "6403"),
        ("red wine", "2204"),
        ("laptop computer", "8471"),
        ("mobile phone", "8517"),
        ("cotton t-shirt", "6109"),
        ("frozen shrimps", "0306"),
        ("live horses", "0101"),
    ] {
        assert_eq!(best_heading(description), heading, "{description}");
    }
}

#[test]
fn a_suggestion_carries_its_path_terms_and_neighbours() {
    let s = hs().suggest("mens leather boots", 5).unwrap();
    assert_eq!(s.len(), 5);
    assert!(s.windows(2).all(|w| w[0].score >= w[1].score));
    let first = &s[0];
    assert_eq!(first.path.chapter.code, "64");
    assert_eq!(first.path.heading.code, &first.code[..4]);
    assert_eq!(first.path.subheading.code, first.code);
    assert!(first.path.chapter.text.to_lowercase().contains("footwear"));
    assert!(
        first.matching_terms.contains(&"leather".to_owned()),
        "{first:?}"
    );
    assert!(s.iter().any(|c| !c.nearest_examples.is_empty()), "{s:?}");
}

/// A word neither the labelled data nor the nomenclature uses is placed
/// by what the goods lexicon says it is, and the reason says so.
#[test]
fn a_word_only_the_lexicon_knows_is_placed_by_its_kind() {
    let s = hs().suggest("espadrilles", 3).unwrap();
    let first = &s[0];
    assert_eq!(first.path.chapter.code, "64", "{first:?}");
    assert!(first.matching_terms.is_empty(), "{first:?}");
    assert!(
        first.related_terms.contains(&tamga_hs::RelatedTerm {
            word: "espadrilles".into(),
            kind: "sandal".into(),
        }),
        "{first:?}"
    );
}

#[test]
fn the_declared_heading_check_is_one_call() {
    let hs = hs();
    assert!(hs.heading_in_top("red wine", "22042110", 3).unwrap());
    assert!(!hs.heading_in_top("red wine", "8471", 5).unwrap());
    let ranking = hs.rank("red wine").unwrap();
    assert_eq!(ranking.heading_rank("2204").unwrap(), 1);
    assert!(ranking.heading_rank("8703").unwrap() > 50);
    assert!(ranking.subheading_rank("220421").unwrap() <= 5);
    assert_eq!(
        ranking.heading_rank("0100").unwrap_err().code(),
        "hs.code_unknown"
    );
    assert_eq!(
        ranking.heading_rank("22").unwrap_err().code(),
        "hs.code_invalid"
    );
    assert_eq!(
        ranking.heading_rank("22x4").unwrap_err().code(),
        "hs.code_invalid"
    );
    assert_eq!(
        ranking.subheading_rank("2204").unwrap_err().code(),
        "hs.code_invalid"
    );
}

#[test]
fn bad_descriptions_are_refused_with_a_stable_code() {
    let hs = hs();
    assert_eq!(
        hs.suggest("", 5).unwrap_err().code(),
        "hs.description_empty"
    );
    assert_eq!(
        hs.suggest("  \t\n", 5).unwrap_err().code(),
        "hs.description_empty"
    );
    let huge = "shoes ".repeat(MAX_DESCRIPTION_BYTES / 6 + 1);
    assert_eq!(
        hs.suggest(&huge, 5).unwrap_err().code(),
        "hs.description_too_long"
    );
    let e = hs.suggest("shoes\0boots", 5).unwrap_err();
    assert_eq!(e.code(), "hs.description_not_text");
    assert!(e.to_string().contains("U+0000 at character 6"), "{e}");
}

#[test]
fn descriptions_without_known_words_still_get_candidates() {
    let hs = hs();
    for text in ["12345", "£5", "zzqxv"] {
        let s = hs.suggest(text, 3).unwrap();
        assert_eq!(s.len(), 3, "{text}");
    }
    assert!(!hs.rank("12345").unwrap().has_known_terms());
    assert!(hs.rank("shoes").unwrap().has_known_terms());
    assert_eq!(hs.suggest("shoes", 500).unwrap().len(), tamga_hs::MAX_TOP);
}

#[test]
fn the_same_input_gives_the_same_ranking_and_models_rebuild_identically() {
    let a = hs()
        .suggest("stainless steel kitchen knife set", 10)
        .unwrap();
    let b = hs()
        .suggest("stainless steel kitchen knife set", 10)
        .unwrap();
    assert_eq!(a, b);
    let rebuilt = Classifier::build_shipped().unwrap();
    assert_eq!(
        rebuilt
            .suggest("stainless steel kitchen knife set", 10)
            .unwrap(),
        a
    );
}

#[test]
fn a_new_labelled_description_teaches_the_model() {
    // A made-up word the shipped data does not know, confirmed as 9503 toys.
    let mut examples = tamga_hs::corpus::shipped_examples().unwrap();
    let before = Classifier::build(
        tamga_hs::nomenclature::SHIPPED_HS2022,
        examples.clone(),
        Params::default(),
    )
    .unwrap();
    assert_ne!(before.suggest("glorbix", 1).unwrap()[0].code, "950300");
    examples.push(Example {
        description: "glorbix plush figure".into(),
        code: "950300".into(),
        source: Source::Confirmed,
    });
    let after = Classifier::build(
        tamga_hs::nomenclature::SHIPPED_HS2022,
        examples,
        Params::default(),
    )
    .unwrap();
    let s = after.suggest("glorbix", 1).unwrap();
    assert_eq!(s[0].code, "950300");
    assert_eq!(s[0].nearest_examples[0].description, "glorbix plush figure");
}

#[test]
fn a_withheld_nomenclature_text_does_not_train_but_its_code_still_ranks() {
    let csv = "section,hscode,description,parent,level\n\
               XX,95,Toys,TOTAL,2\n\
               XX,9501,Wheeled toys,95,4\n\
               XX,950110,Zorblat scooters,9501,6\n\
               XX,950120,Plain tricycles,9501,6\n\
               XX,9502,Dolls,95,4\n\
               XX,950210,Rag dolls,9502,6\n";
    let example = |description: &str, code: &str| Example {
        description: description.into(),
        code: code.into(),
        source: Source::Confirmed,
    };
    let examples = vec![
        example("shiny gizmo", "950110"),
        example("red tricycle", "950120"),
        example("cloth doll", "950210"),
    ];
    let build = |withheld: &[&str]| {
        let mut nomenclature = tamga_hs::Nomenclature::from_csv(csv).unwrap();
        nomenclature.withhold_texts(withheld.iter().copied());
        Classifier::build_from(nomenclature, examples.clone(), Params::default())
    };
    let full = build(&[]);
    assert!(!full.model().score("zorblat").words.is_empty());
    let s = full.suggest("zorblat gizmo", 1).unwrap();
    assert_eq!(s[0].code, "950110");
    assert!(s[0].matching_terms.iter().any(|t| t == "zorblat"), "{s:?}");

    let held = build(&["950110", "999999"]);
    // Its words are not in the vocabulary (so in no index, no document
    // frequency, no linear weight) nor among its matching terms.
    assert!(held.model().score("zorblat").words.is_empty());
    assert!(held.model().feature_count() < full.model().feature_count());
    // The code is still a candidate, learnt from its descriptions, and
    // still shown with its text.
    let s = held.suggest("zorblat gizmo", 1).unwrap();
    assert_eq!(s[0].code, "950110");
    assert_eq!(s[0].path.subheading.text, "Zorblat scooters");
    assert!(!s[0].matching_terms.iter().any(|t| t == "zorblat"), "{s:?}");
    assert!(
        held.rank("rag doll")
            .unwrap()
            .subheading_rank("950110")
            .unwrap()
            <= 3
    );
    // The other texts still train.
    assert!(!held.model().score("tricycles").words.is_empty());
}
