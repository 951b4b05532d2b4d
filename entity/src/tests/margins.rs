//! Margins a council states in units or beyond the target: BLUE for
//! exceeding a target by a margin (a percentage of it or a number of units),
//! and a tolerance or floor of a number of units or percentage points
//! instead of a percentage of the target. Each boundary worked by hand, in
//! both polarities, with values and targets missing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use rust_decimal::Decimal;

use crate::enums::{Direction, MeasureKind, Polarity, RagMethod, RagStatus};
use crate::rules::{Band, Breakdown, RagRule, Reading, escalated, rag_status, status_rank};

use Polarity::{HigherIsBetter, LowerIsBetter};
use RagStatus::{Amber, Blue, Green, NoData, NoTarget, Red};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn rule(method: RagMethod, units: Option<&str>, blue: Option<Band>) -> RagRule {
    RagRule {
        amber_tolerance_units: units.map(d),
        blue_margin: blue,
        ..RagRule::new(method, None)
    }
}

fn status(rule: &RagRule, polarity: Polarity, value: &str, target: &str, floor: Option<&str>) -> RagStatus {
    let r = Reading {
        value: Some(d(value)),
        target: Some(d(target)),
        floor: floor.map(d),
        last_year: None,
    };
    rag_status(rule, polarity, MeasureKind::Council, &r)
}

#[test]
fn blue_by_a_percentage_of_the_target_from_exactly_the_margin() {
    // Target 80, 5% margin: 4 beyond it, 84 (higher) or 76 (lower).
    let r = rule(RagMethod::Tolerance, None, Some(Band::Percent(d("5"))));
    for (value, want) in [
        ("84", Blue),
        ("83.99", Green),
        ("80", Green),
        ("79", Amber),
        ("71.99", Red),
    ] {
        assert_eq!(status(&r, HigherIsBetter, value, "80", None), want, "{value}");
    }
    for (value, want) in [
        ("76", Blue),
        ("76.01", Green),
        ("80", Green),
        ("88", Amber),
        ("88.01", Red),
    ] {
        assert_eq!(status(&r, LowerIsBetter, value, "80", None), want, "{value}");
    }
}

#[test]
fn blue_by_a_number_of_units() {
    // Target 95%, blue 2 percentage points beyond: 97 (higher), 93 (lower).
    let r = rule(RagMethod::Tolerance, None, Some(Band::Units(d("2"))));
    for (value, want) in [("97", Blue), ("96.9", Green), ("95", Green)] {
        assert_eq!(status(&r, HigherIsBetter, value, "95", None), want, "{value}");
    }
    for (value, want) in [("93", Blue), ("93.1", Green), ("95", Green), ("95.1", Amber)] {
        assert_eq!(status(&r, LowerIsBetter, value, "95", None), want, "{value}");
    }
    // A negative target (a budget variance) measures the margin the same way.
    assert_eq!(status(&r, HigherIsBetter, "-3", "-5", None), Blue);
    assert_eq!(status(&r, HigherIsBetter, "-3.5", "-5", None), Green);
}

#[test]
fn a_zero_target_is_beaten_blue_only_when_beaten() {
    // 5% of zero reaches nowhere: any value beyond it is blue, the target itself green.
    let r = rule(RagMethod::Tolerance, None, Some(Band::Percent(d("5"))));
    assert_eq!(status(&r, HigherIsBetter, "0", "0", None), Green);
    assert_eq!(status(&r, HigherIsBetter, "0.01", "0", None), Blue);
    assert_eq!(status(&r, LowerIsBetter, "-0.01", "0", None), Blue);
    assert_eq!(status(&r, LowerIsBetter, "0.01", "0", None), Red);
}

#[test]
fn blue_applies_under_every_method() {
    let blue = Some(Band::Units(d("1")));
    for method in [RagMethod::Tolerance, RagMethod::Floor, RagMethod::Improvement] {
        let r = rule(method, None, blue);
        assert_eq!(
            status(&r, HigherIsBetter, "11", "10", Some("8")),
            Blue,
            "{method:?}"
        );
        assert_eq!(
            status(&r, HigherIsBetter, "10.5", "10", Some("8")),
            Green,
            "{method:?}"
        );
    }
}

#[test]
fn without_a_margin_nothing_is_blue() {
    let r = RagRule::default();
    assert_eq!(status(&r, HigherIsBetter, "1000", "1", None), Green);
    assert_eq!(status(&r, LowerIsBetter, "-1000", "1", None), Green);
}

#[test]
fn unrated_results_stay_unrated_with_margins() {
    let r = rule(RagMethod::Tolerance, Some("2"), Some(Band::Units(d("1"))));
    let no_value = Reading {
        target: Some(d("10")),
        ..Reading::default()
    };
    assert_eq!(
        rag_status(&r, HigherIsBetter, MeasureKind::Council, &no_value),
        NoData
    );
    let no_target = Reading {
        value: Some(d("50")),
        ..Reading::default()
    };
    assert_eq!(
        rag_status(&r, HigherIsBetter, MeasureKind::Council, &no_target),
        NoTarget
    );
    assert_eq!(
        rag_status(
            &r,
            HigherIsBetter,
            MeasureKind::Tracking,
            &Reading {
                value: Some(d("50")),
                target: Some(d("10")),
                ..Reading::default()
            }
        ),
        NoTarget
    );
    assert_eq!(status(&r, Polarity::None, "50", "10", None), NoTarget);
}

#[test]
fn tolerance_in_percentage_points_not_percent_of_the_target() {
    // "Amber within 2 percentage points": target 60%, amber from 58 (higher)
    // or to 62 (lower), where 10% of the target would reach 54 or 66.
    let r = rule(RagMethod::Tolerance, Some("2"), None);
    for (value, want) in [("60", Green), ("58", Amber), ("57.99", Red), ("55", Red)] {
        assert_eq!(status(&r, HigherIsBetter, value, "60", None), want, "{value}");
    }
    for (value, want) in [("60", Green), ("62", Amber), ("62.01", Red)] {
        assert_eq!(status(&r, LowerIsBetter, value, "60", None), want, "{value}");
    }
    // Zero units: nothing short of the target is amber.
    let r = rule(RagMethod::Tolerance, Some("0"), None);
    assert_eq!(status(&r, HigherIsBetter, "59.99", "60", None), Red);
}

#[test]
fn a_floor_in_units_where_a_target_sets_none() {
    // FLOOR with 3 units: the floor of a target without one is target − 3
    // (higher) or target + 3 (lower); a floor set beside the target wins.
    let r = rule(RagMethod::Floor, Some("3"), None);
    for (value, want) in [("20", Green), ("17", Amber), ("16.99", Red)] {
        assert_eq!(status(&r, HigherIsBetter, value, "20", None), want, "{value}");
    }
    for (value, want) in [("23", Amber), ("23.01", Red)] {
        assert_eq!(status(&r, LowerIsBetter, value, "20", None), want, "{value}");
    }
    assert_eq!(status(&r, HigherIsBetter, "17", "20", Some("18")), Red);
    assert_eq!(status(&r, HigherIsBetter, "15", "20", Some("10")), Amber);
    // Without units, a target with no floor has no amber, as before.
    let plain = rule(RagMethod::Floor, None, None);
    assert_eq!(status(&plain, HigherIsBetter, "19.99", "20", None), Red);
}

#[test]
fn improvement_green_band_in_units() {
    // Havering's rule with a 1-point band: 49 is green against 50; 48.99 is
    // judged against last year.
    let r = rule(RagMethod::Improvement, Some("1"), None);
    let reading = |value: &str, last: Option<&str>| Reading {
        value: Some(d(value)),
        target: Some(d("50")),
        floor: None,
        last_year: last.map(d),
    };
    let rate = |value, last| rag_status(&r, HigherIsBetter, MeasureKind::Council, &reading(value, last));
    assert_eq!(rate("49", None), Green);
    assert_eq!(rate("48.99", Some("48.99")), Amber);
    assert_eq!(rate("48.99", Some("49")), Red);
    assert_eq!(rate("48.99", None), Red);
}

#[test]
fn blue_counts_as_met_in_breakdowns_and_ranks_above_green() {
    let b: Breakdown = [
        (Blue, Direction::Improving),
        (Green, Direction::Stable),
        (Amber, Direction::Declining),
        (Red, Direction::NotComparable),
        (NoTarget, Direction::NotComparable),
    ]
    .into_iter()
    .collect();
    assert_eq!(
        (b.total, b.blue, b.green, b.amber, b.red, b.no_target),
        (5, 1, 1, 1, 1, 1)
    );
    // (1 blue + 1 green) of 4 rated.
    assert_eq!(b.percent_green(), Some(d("50")));
    assert!(status_rank(Blue) > status_rank(Green));
    assert!(!escalated(&[Red, Blue], 2));
    assert!(!escalated(&[Blue, Blue], 1));
}

#[test]
fn a_stored_band_prefers_units_and_may_be_absent() {
    assert_eq!(Band::stored(None, None), None);
    assert_eq!(Band::stored(Some(d("5")), None), Some(Band::Percent(d("5"))));
    assert_eq!(Band::stored(None, Some(d("2"))), Some(Band::Units(d("2"))));
    assert_eq!(
        Band::stored(Some(d("5")), Some(d("2"))),
        Some(Band::Units(d("2")))
    );
}
