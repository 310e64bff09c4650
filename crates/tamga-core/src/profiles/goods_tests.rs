//! The goods check's item attributes (`hs_rank`, `hs_mismatch`,
//! `description_vague`, `controlled_goods`, `controlled_licence_missing`)
//! as profiles read them.

use super::tests::{dec, item, profile, subject};
use super::*;

#[test]
fn goods_check_attributes_are_read_per_item() {
    use crate::goods_check::{GoodsChecks, ItemGoodsCheck, Vagueness};
    let s = subject(vec![
        item(1, "0811900000", "CN", "9"),
        item(2, "8703231000", "CN", "9"),
        item(3, "6403990000", "CN", "9"),
    ]);
    let hit = |s: &RiskSubject, src: &str| {
        CompiledProfile::compile(profile("P", src))
            .unwrap()
            .hit(s)
            .map(|h| h.item)
    };
    // Without a goods check every indicator is absent: nothing holds.
    assert_eq!(hit(&s, "hs_mismatch"), None);
    assert_eq!(hit(&s, "hs_rank > 5"), None);
    assert_eq!(hit(&s, "description_vague"), None);
    let goods = GoodsChecks {
        top_k: 5,
        min_gap: dec("0.3"),
        items: vec![
            ItemGoodsCheck {
                sequence: 1,
                heading_rank: Some(37),
                score_gap: Some(dec("0.5")),
                mismatch: true,
                vague: None,
                suggestions: vec![],
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
        controlled_list: Some("test".into()),
        controlled: vec![crate::goods_check::ControlledGoodsHit {
            sequence: 2,
            entry: "DU-DRONES".into(),
            regime: "dual_use".into(),
            matched: "code".into(),
            term: None,
            licence: vec!["C084".into()],
            licence_produced: false,
            source: "test".into(),
        }],
    };
    let s = s.with_goods_checks(Some(&goods));
    assert_eq!(hit(&s, "controlled_goods"), Some(Some(2)));
    assert_eq!(hit(&s, "controlled_licence_missing"), Some(Some(2)));
    assert_eq!(hit(&s, "controlled_goods == false"), Some(Some(1)));
    assert_eq!(hit(&s, "hs_mismatch"), Some(Some(1)));
    assert_eq!(hit(&s, "hs_rank > 20 and origin == \"CN\""), Some(Some(1)));
    assert_eq!(hit(&s, "description_vague"), Some(Some(2)));
    assert_eq!(hit(&s, "hs_mismatch and description_vague"), None);
    // Item 3 was not checked (over budget): its indicators stay absent,
    // so `== false` does not hold there (while `not`, a negation, does).
    assert_eq!(hit(&s, "hs6 == \"640399\" and hs_mismatch == false"), None);
    assert_eq!(
        hit(&s, "hs6 == \"640399\" and not hs_mismatch"),
        Some(Some(3))
    );
    assert_eq!(
        hit(&s, "hs2 == \"87\" and hs_mismatch == false"),
        Some(Some(2))
    );
}
