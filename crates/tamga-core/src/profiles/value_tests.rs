//! The value check's item attributes (`value_z`, `undervalued`,
//! `overvalued`, `value_reference_n`) as profiles read them.

use super::tests::{dec, item, profile, subject};
use super::*;
use crate::value_control::{
    check_item, QuantityUnit, ReferenceLevel, RobustStats, ValueChecks, ValueKey, ValueRule,
};

#[test]
fn value_check_attributes_are_read_per_item() {
    let s = subject(vec![
        item(1, "8473300000", "CN", "9"),
        item(2, "8473300000", "CN", "9"),
        item(3, "8473300000", "CN", "9"),
    ]);
    let hit = |s: &RiskSubject, src: &str| {
        CompiledProfile::compile(profile("P", src))
            .unwrap()
            .hit(s)
            .map(|h| h.item)
    };
    // Without a value check every indicator is absent: nothing holds.
    assert_eq!(hit(&s, "undervalued"), None);
    assert_eq!(hit(&s, "value_z < 0"), None);

    let rule = ValueRule::default();
    let values: Vec<_> = [100, 90, 110, 105, 95, 100, 98, 102, 120, 80]
        .iter()
        .map(|x| rust_decimal::Decimal::from(*x))
        .collect();
    let stats = RobustStats::of(&values).unwrap();
    let key = ValueKey::at(
        ReferenceLevel::National,
        "8473300000",
        "CN",
        QuantityUnit::Kg,
    );
    let r = Some((ReferenceLevel::National, &key, &stats));
    let mut checks = ValueChecks::new(&rule, "UZS");
    checks.items = vec![
        check_item(1, QuantityUnit::Kg, dec("101"), r, &rule),
        check_item(2, QuantityUnit::Kg, dec("30"), r, &rule),
        // Item 3: no reference, so no indicator.
        check_item(3, QuantityUnit::Kg, dec("1"), None, &rule),
    ];
    let s = s.with_value_checks(Some(&checks));
    assert_eq!(hit(&s, "undervalued"), Some(Some(2)));
    assert_eq!(
        hit(&s, "value_z <= -3 and value_reference_n >= 10"),
        Some(Some(2))
    );
    assert_eq!(hit(&s, "overvalued"), None);
    assert_eq!(hit(&s, "undervalued == false"), Some(Some(1)));
    // Item 3 is absent: neither true nor false.
    assert_eq!(
        hit(
            &s,
            "hs == \"8473300000\" and not undervalued and value_z > 1"
        ),
        None
    );
    assert_eq!(s.items[2].value_z, None);
    assert_eq!(s.items[1].value_reference_n, Some(10));
}
