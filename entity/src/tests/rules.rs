//! RAG status, direction of travel, breakdowns and escalation, as
//! docs/contract.md defines them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use rust_decimal::Decimal;

use crate::enums::{Direction, DirectionMethod, MeasureKind, Polarity, RagMethod, RagStatus};
use crate::period::Period;
use crate::rules::{
    Breakdown, DEFAULT_AMBER_TOLERANCE_PERCENT, DEFAULT_ESCALATION_CONSECUTIVE, DEFAULT_STABLE_BAND_PERCENT,
    DEFAULT_TREND_PERIODS, DirectionRule, MIN_TREND_POINTS, RagRule, Reading, comparison_period, direction,
    direction_inputs, escalated, rag_status, status_rank,
};

use Direction::{Declining, Improving, NotComparable, Stable};
use Polarity::{HigherIsBetter, LowerIsBetter};
use RagStatus::{Amber, Green, NoData, NoTarget, Red};

fn d(s: &str) -> Decimal {
    s.parse::<Decimal>()
        .unwrap_or_else(|e| panic!("{s:?} should be a decimal: {e}"))
}

fn p(s: &str) -> Period {
    s.parse()
        .unwrap_or_else(|e| panic!("{s:?} should be a period: {e}"))
}

fn ps(list: &[&str]) -> Vec<Period> {
    list.iter().map(|s| p(s)).collect()
}

// ================================================================ RAG status

fn tolerance(percent: &str) -> RagRule {
    RagRule::new(RagMethod::Tolerance, Some(d(percent)))
}

fn floor_rule() -> RagRule {
    RagRule {
        method: RagMethod::Floor,
        ..RagRule::default()
    }
}

fn reading(value: Option<&str>, target: Option<&str>, floor: Option<&str>) -> Reading {
    Reading {
        value: value.map(d),
        target: target.map(d),
        floor: floor.map(d),
        last_year: None,
    }
}

/// A COUNCIL measure's status with a value, a target and an optional floor.
fn rag(rule: &RagRule, polarity: Polarity, value: &str, target: &str, floor: Option<&str>) -> RagStatus {
    rag_status(
        rule,
        polarity,
        MeasureKind::Council,
        &reading(Some(value), Some(target), floor),
    )
}

fn check_rag(
    rule: &RagRule,
    polarity: Polarity,
    target: &str,
    floor: Option<&str>,
    cases: &[(&str, RagStatus)],
) {
    for &(value, want) in cases {
        assert_eq!(
            rag(rule, polarity, value, target, floor),
            want,
            "{rule:?} {polarity:?} value {value} target {target} floor {floor:?}"
        );
    }
}

#[test]
fn rag_defaults() {
    assert_eq!(DEFAULT_AMBER_TOLERANCE_PERCENT, d("10"));
    assert_eq!(
        RagRule::default(),
        RagRule {
            method: RagMethod::Tolerance,
            amber_tolerance_percent: d("10"),
            amber_tolerance_units: None,
            blue_margin: None,
            rate_provisional: true,
        }
    );
}

#[test]
fn rag_no_value_is_no_data_whatever_else() {
    for rule in [RagRule::default(), floor_rule()] {
        for polarity in [HigherIsBetter, LowerIsBetter, Polarity::None] {
            for kind in [
                MeasureKind::Council,
                MeasureKind::Partnership,
                MeasureKind::Tracking,
            ] {
                for r in [
                    reading(None, None, None),
                    reading(None, Some("80"), None),
                    reading(None, Some("80"), Some("70")),
                    Reading::default(),
                ] {
                    assert_eq!(
                        rag_status(&rule, polarity, kind, &r),
                        NoData,
                        "{rule:?} {polarity:?} {kind:?} {r:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn rag_value_without_target_is_no_target() {
    for rule in [RagRule::default(), floor_rule()] {
        for polarity in [HigherIsBetter, LowerIsBetter, Polarity::None] {
            for kind in [
                MeasureKind::Council,
                MeasureKind::Partnership,
                MeasureKind::Tracking,
            ] {
                let r = reading(Some("50"), None, Some("40"));
                assert_eq!(rag_status(&rule, polarity, kind, &r), NoTarget);
            }
        }
    }
}

#[test]
fn rag_tracking_measure_is_no_target_even_with_a_target() {
    for rule in [RagRule::default(), floor_rule()] {
        for polarity in [HigherIsBetter, LowerIsBetter, Polarity::None] {
            for value in ["0", "50", "80", "100", "-5"] {
                let r = reading(Some(value), Some("80"), Some("70"));
                assert_eq!(rag_status(&rule, polarity, MeasureKind::Tracking, &r), NoTarget);
            }
        }
    }
}

#[test]
fn rag_polarity_none_is_no_target_even_with_a_target() {
    for rule in [RagRule::default(), floor_rule()] {
        for kind in [MeasureKind::Council, MeasureKind::Partnership] {
            for value in ["0", "50", "80", "100", "-5"] {
                let r = reading(Some(value), Some("80"), Some("70"));
                assert_eq!(rag_status(&rule, Polarity::None, kind, &r), NoTarget);
            }
        }
    }
}

#[test]
fn rag_partnership_measures_are_rated_like_council_ones() {
    let rule = RagRule::default();
    for (value, want) in [("80", Green), ("72", Amber), ("71.99", Red)] {
        let r = reading(Some(value), Some("80"), None);
        assert_eq!(
            rag_status(&rule, HigherIsBetter, MeasureKind::Partnership, &r),
            want
        );
        assert_eq!(rag_status(&rule, HigherIsBetter, MeasureKind::Council, &r), want);
    }
}

#[test]
fn rag_tolerance_higher_is_better_boundaries() {
    // Target 80, band 10 %: amber from 72.
    check_rag(
        &RagRule::default(),
        HigherIsBetter,
        "80",
        None,
        &[
            ("100", Green),
            ("80.01", Green),
            ("80", Green),
            ("80.00", Green),
            ("79.99", Amber),
            ("75", Amber),
            ("72.01", Amber),
            ("72", Amber),
            ("72.000", Amber),
            ("71.99", Red),
            ("71.9999999", Red),
            ("0", Red),
            ("-80", Red),
        ],
    );
}

#[test]
fn rag_tolerance_lower_is_better_boundaries() {
    // Target 20, band 10 %: amber up to 22.
    check_rag(
        &RagRule::default(),
        LowerIsBetter,
        "20",
        None,
        &[
            ("-5", Green),
            ("0", Green),
            ("19.99", Green),
            ("20", Green),
            ("20.01", Amber),
            ("21", Amber),
            ("21.99", Amber),
            ("22", Amber),
            ("22.01", Red),
            ("22.0000001", Red),
            ("100", Red),
        ],
    );
}

#[test]
fn rag_tolerance_negative_target_higher_is_better() {
    // Target −20, band 10 % of |−20| = 2: amber from −22.
    check_rag(
        &RagRule::default(),
        HigherIsBetter,
        "-20",
        None,
        &[
            ("0", Green),
            ("-19.99", Green),
            ("-20", Green),
            ("-20.01", Amber),
            ("-21.99", Amber),
            ("-22", Amber),
            ("-22.01", Red),
            ("-30", Red),
        ],
    );
}

#[test]
fn rag_tolerance_negative_target_lower_is_better() {
    // Target −20, band 10 % of |−20| = 2: amber up to −18.
    check_rag(
        &RagRule::default(),
        LowerIsBetter,
        "-20",
        None,
        &[
            ("-30", Green),
            ("-20.01", Green),
            ("-20", Green),
            ("-19.99", Amber),
            ("-18.01", Amber),
            ("-18", Amber),
            ("-17.99", Red),
            ("0", Red),
        ],
    );
}

#[test]
fn rag_tolerance_zero_target_has_no_amber_band() {
    check_rag(
        &RagRule::default(),
        HigherIsBetter,
        "0",
        None,
        &[
            ("0.01", Green),
            ("0", Green),
            ("-0.00", Green),
            ("-0.01", Red),
            ("-100", Red),
        ],
    );
    check_rag(
        &RagRule::default(),
        LowerIsBetter,
        "0",
        None,
        &[("-0.01", Green), ("0", Green), ("0.01", Red), ("100", Red)],
    );
}

#[test]
fn rag_tolerance_is_exact_in_decimal() {
    // 33.3 − 3.33 = 29.97 exactly; in binary floating point it is not.
    check_rag(
        &RagRule::default(),
        HigherIsBetter,
        "33.3",
        None,
        &[
            ("33.3", Green),
            ("33.29", Amber),
            ("29.97", Amber),
            ("29.9699", Red),
            ("29.96", Red),
        ],
    );
    // 0.7 + 0.07 = 0.77 exactly.
    check_rag(
        &RagRule::default(),
        LowerIsBetter,
        "0.7",
        None,
        &[("0.7", Green), ("0.77", Amber), ("0.7700001", Red)],
    );
    // 0.1 + 0.2 against a target of 0.3.
    let sum = (d("0.1") + d("0.2")).to_string();
    check_rag(
        &RagRule::default(),
        HigherIsBetter,
        "0.3",
        None,
        &[(sum.as_str(), Green)],
    );
    check_rag(
        &RagRule::default(),
        LowerIsBetter,
        "0.3",
        None,
        &[(sum.as_str(), Green)],
    );
}

#[test]
fn rag_tolerance_custom_band_one_percent() {
    // A measure-level rule overriding the plan's: the caller passes it in.
    let rule = tolerance("1");
    check_rag(
        &rule,
        HigherIsBetter,
        "200",
        None,
        &[
            ("200", Green),
            ("199.99", Amber),
            ("198.01", Amber),
            ("198", Amber),
            ("197.99", Red),
        ],
    );
    check_rag(
        &rule,
        LowerIsBetter,
        "200",
        None,
        &[("200", Green), ("200.01", Amber), ("202", Amber), ("202.01", Red)],
    );
    // The default band would have called 190 amber; 1 % does not.
    check_rag(&rule, HigherIsBetter, "200", None, &[("190", Red)]);
    check_rag(
        &RagRule::default(),
        HigherIsBetter,
        "200",
        None,
        &[("190", Amber)],
    );
}

#[test]
fn rag_tolerance_custom_band_zero_percent() {
    let rule = tolerance("0");
    check_rag(
        &rule,
        HigherIsBetter,
        "200",
        None,
        &[("200.01", Green), ("200", Green), ("199.99", Red), ("0", Red)],
    );
    check_rag(
        &rule,
        LowerIsBetter,
        "200",
        None,
        &[("199.99", Green), ("200", Green), ("200.01", Red)],
    );
}

#[test]
fn rag_tolerance_custom_fractional_and_wide_bands() {
    // 2.5 % of 80 = 2: amber from 78.
    check_rag(
        &tolerance("2.5"),
        HigherIsBetter,
        "80",
        None,
        &[("80", Green), ("78", Amber), ("77.99", Red)],
    );
    // 100 % of 50 = 50: amber down to 0.
    check_rag(
        &tolerance("100"),
        HigherIsBetter,
        "50",
        None,
        &[("0", Amber), ("-0.01", Red)],
    );
    // 25 % of 4 = 1: amber up to 5.
    check_rag(
        &tolerance("25"),
        LowerIsBetter,
        "4",
        None,
        &[("4", Green), ("5", Amber), ("5.01", Red)],
    );
}

#[test]
fn rag_tolerance_ignores_the_floor() {
    // Floor 50 would make 60 amber under FLOOR; TOLERANCE (10 %) says red.
    check_rag(
        &RagRule::default(),
        HigherIsBetter,
        "80",
        Some("50"),
        &[("60", Red), ("72", Amber), ("80", Green)],
    );
    // A floor above the tolerance edge does not narrow the band either.
    check_rag(
        &RagRule::default(),
        HigherIsBetter,
        "80",
        Some("79"),
        &[("72", Amber)],
    );
    check_rag(
        &RagRule::default(),
        LowerIsBetter,
        "20",
        Some("30"),
        &[("25", Red), ("22", Amber)],
    );
}

#[test]
fn rag_floor_higher_is_better_boundaries() {
    // Target 80, floor 70.
    check_rag(
        &floor_rule(),
        HigherIsBetter,
        "80",
        Some("70"),
        &[
            ("90", Green),
            ("80.01", Green),
            ("80", Green),
            ("79.99", Amber),
            ("72", Amber),
            ("70.01", Amber),
            ("70", Amber),
            ("69.99", Red),
            ("0", Red),
        ],
    );
}

#[test]
fn rag_floor_lower_is_better_boundaries() {
    // Target 10, floor 15.
    check_rag(
        &floor_rule(),
        LowerIsBetter,
        "10",
        Some("15"),
        &[
            ("0", Green),
            ("9.99", Green),
            ("10", Green),
            ("10.01", Amber),
            ("14.99", Amber),
            ("15", Amber),
            ("15.01", Red),
            ("100", Red),
        ],
    );
}

#[test]
fn rag_floor_negative_values() {
    // Higher is better: target −5, floor −8.
    check_rag(
        &floor_rule(),
        HigherIsBetter,
        "-5",
        Some("-8"),
        &[
            ("-4.99", Green),
            ("-5", Green),
            ("-5.01", Amber),
            ("-8", Amber),
            ("-8.01", Red),
        ],
    );
    // Lower is better: target −5, floor −2.
    check_rag(
        &floor_rule(),
        LowerIsBetter,
        "-5",
        Some("-2"),
        &[
            ("-5.01", Green),
            ("-5", Green),
            ("-4.99", Amber),
            ("-2", Amber),
            ("-1.99", Red),
        ],
    );
}

#[test]
fn rag_floor_zero_target_and_zero_floor() {
    check_rag(
        &floor_rule(),
        HigherIsBetter,
        "0",
        Some("-1"),
        &[("0", Green), ("-0.01", Amber), ("-1", Amber), ("-1.01", Red)],
    );
    check_rag(
        &floor_rule(),
        HigherIsBetter,
        "10",
        Some("0"),
        &[("10", Green), ("0", Amber), ("-0.01", Red)],
    );
    check_rag(
        &floor_rule(),
        LowerIsBetter,
        "0",
        Some("3"),
        &[("0", Green), ("0.01", Amber), ("3", Amber), ("3.01", Red)],
    );
}

#[test]
fn rag_floor_missing_means_no_amber() {
    for polarity in [HigherIsBetter, LowerIsBetter] {
        let just_off = if polarity == HigherIsBetter {
            "79.99"
        } else {
            "80.01"
        };
        let far_off = if polarity == HigherIsBetter { "0" } else { "1000" };
        check_rag(
            &floor_rule(),
            polarity,
            "80",
            None,
            &[("80", Green), (just_off, Red), (far_off, Red)],
        );
    }
}

#[test]
fn rag_floor_ignores_the_tolerance_percent() {
    // A huge tolerance does not create an amber band under FLOOR.
    let rule = RagRule::new(RagMethod::Floor, Some(d("50")));
    check_rag(&rule, HigherIsBetter, "80", None, &[("79", Red), ("80", Green)]);
    check_rag(
        &rule,
        HigherIsBetter,
        "80",
        Some("78"),
        &[("79", Amber), ("78", Amber), ("77.99", Red)],
    );
    // And a zero tolerance does not remove the floor's band.
    let rule = RagRule::new(RagMethod::Floor, Some(d("0")));
    check_rag(&rule, HigherIsBetter, "80", Some("60"), &[("60", Amber)]);
}

#[test]
fn rag_floor_beyond_target_gives_no_amber() {
    // A floor on the wrong side of the target: nothing can be ≥ floor yet < target.
    check_rag(
        &floor_rule(),
        HigherIsBetter,
        "80",
        Some("90"),
        &[("85", Green), ("80", Green), ("79.99", Red)],
    );
    check_rag(
        &floor_rule(),
        LowerIsBetter,
        "10",
        Some("5"),
        &[("7", Green), ("10", Green), ("10.01", Red)],
    );
    // Floor equal to the target: just below is red.
    check_rag(
        &floor_rule(),
        HigherIsBetter,
        "80",
        Some("80"),
        &[("80", Green), ("79.99", Red)],
    );
}

#[test]
fn status_rank_orders_green_amber_red() {
    assert_eq!(status_rank(Green), Some(3));
    assert_eq!(status_rank(Amber), Some(2));
    assert_eq!(status_rank(Red), Some(1));
    assert!(status_rank(Green) > status_rank(Amber));
    assert!(status_rank(Amber) > status_rank(Red));
    assert_eq!(status_rank(NoTarget), None);
    assert_eq!(status_rank(NoData), None);
}

// ================================================================ direction

fn rule(method: DirectionMethod, band: &str) -> DirectionRule {
    DirectionRule {
        method,
        stable_band_percent: d(band),
        trend_periods: DEFAULT_TREND_PERIODS,
    }
}

fn prev(band: &str) -> DirectionRule {
    rule(DirectionMethod::PreviousPeriod, band)
}

fn sply(band: &str) -> DirectionRule {
    rule(DirectionMethod::SamePeriodLastYear, band)
}

fn trend(periods: u32, band: &str) -> DirectionRule {
    DirectionRule {
        method: DirectionMethod::Trend,
        stable_band_percent: d(band),
        trend_periods: periods,
    }
}

fn series(data: &[(&str, &str)]) -> HashMap<Period, Decimal> {
    data.iter().map(|&(per, v)| (p(per), d(v))).collect()
}

fn dir(rule: &DirectionRule, polarity: Polarity, at: &str, data: &[(&str, &str)]) -> Direction {
    let values = series(data);
    direction(rule, polarity, &p(at), |per| values.get(per).copied())
}

/// Direction comparing `current` in 2023-24 Q2 against `earlier` in Q1.
fn prev_dir(band: &str, polarity: Polarity, earlier: &str, current: &str) -> Direction {
    dir(
        &prev(band),
        polarity,
        "2023-24 Q2",
        &[("2023-24 Q1", earlier), ("2023-24 Q2", current)],
    )
}

#[test]
fn direction_defaults() {
    assert_eq!(DEFAULT_STABLE_BAND_PERCENT, d("0"));
    assert_eq!(DEFAULT_TREND_PERIODS, 4);
    assert_eq!(MIN_TREND_POINTS, 3);
    assert_eq!(
        DirectionRule::default(),
        DirectionRule {
            method: DirectionMethod::PreviousPeriod,
            stable_band_percent: d("0"),
            trend_periods: 4,
        }
    );
}

#[test]
fn previous_period_band_zero() {
    assert_eq!(prev_dir("0", HigherIsBetter, "50", "51"), Improving);
    assert_eq!(prev_dir("0", HigherIsBetter, "50", "50.01"), Improving);
    assert_eq!(prev_dir("0", HigherIsBetter, "50", "50"), Stable);
    assert_eq!(prev_dir("0", HigherIsBetter, "50", "50.00"), Stable);
    assert_eq!(prev_dir("0", HigherIsBetter, "50", "49.99"), Declining);
    assert_eq!(prev_dir("0", LowerIsBetter, "50", "49.99"), Improving);
    assert_eq!(prev_dir("0", LowerIsBetter, "50", "50"), Stable);
    assert_eq!(prev_dir("0", LowerIsBetter, "50", "50.01"), Declining);
    // The default rule is PREVIOUS_PERIOD with band 0.
    let data = [("2023-24 Q1", "50"), ("2023-24 Q2", "50.01")];
    assert_eq!(
        dir(&DirectionRule::default(), HigherIsBetter, "2023-24 Q2", &data),
        Improving
    );
}

#[test]
fn previous_period_stable_band_boundaries_higher_is_better() {
    // Band 10 % of 50 = 5.
    for (current, want) in [
        ("60", Improving),
        ("55.01", Improving),
        ("55", Stable),
        ("54.99", Stable),
        ("50", Stable),
        ("45.01", Stable),
        ("45", Stable),
        ("44.99", Declining),
        ("0", Declining),
    ] {
        assert_eq!(prev_dir("10", HigherIsBetter, "50", current), want, "{current}");
    }
}

#[test]
fn previous_period_stable_band_boundaries_lower_is_better() {
    // Band 10 % of 50 = 5, mirrored.
    for (current, want) in [
        ("60", Declining),
        ("55.01", Declining),
        ("55", Stable),
        ("50", Stable),
        ("45", Stable),
        ("44.99", Improving),
        ("0", Improving),
    ] {
        assert_eq!(prev_dir("10", LowerIsBetter, "50", current), want, "{current}");
    }
}

#[test]
fn stable_band_is_of_the_magnitude_of_the_earlier_result() {
    // Earlier −50: band 10 % of |−50| = 5.
    assert_eq!(prev_dir("10", HigherIsBetter, "-50", "-45"), Stable);
    assert_eq!(prev_dir("10", HigherIsBetter, "-50", "-44.99"), Improving);
    assert_eq!(prev_dir("10", HigherIsBetter, "-50", "-55"), Stable);
    assert_eq!(prev_dir("10", HigherIsBetter, "-50", "-55.01"), Declining);
    assert_eq!(prev_dir("10", LowerIsBetter, "-50", "-55.01"), Improving);
    assert_eq!(prev_dir("10", LowerIsBetter, "-50", "-44.99"), Declining);
    // Earlier value, not the current one: 50 → 55.5 is 11 % of 50 but under 10 % of 55.5.
    assert_eq!(prev_dir("10", HigherIsBetter, "50", "55.5"), Improving);
    // 55.5 → 50 is 9.9 % of 55.5: stable, though it is 11 % of 50.
    assert_eq!(prev_dir("10", HigherIsBetter, "55.5", "50"), Stable);
}

#[test]
fn stable_band_is_exact_in_decimal() {
    // 10 % of 3 is 0.3 exactly.
    assert_eq!(prev_dir("10", HigherIsBetter, "3", "3.3"), Stable);
    assert_eq!(prev_dir("10", HigherIsBetter, "3", "3.31"), Improving);
    assert_eq!(prev_dir("10", HigherIsBetter, "3", "2.7"), Stable);
    assert_eq!(prev_dir("10", HigherIsBetter, "3", "2.69"), Declining);
    // 2.5 % of 33.3 is 0.8325.
    assert_eq!(prev_dir("2.5", HigherIsBetter, "33.3", "34.1325"), Stable);
    assert_eq!(prev_dir("2.5", HigherIsBetter, "33.3", "34.1326"), Improving);
    // 1/3 % of 300 is 1 only approximately: 301 is just over 0.333… % band.
    assert_eq!(prev_dir("0.3333333333", HigherIsBetter, "300", "301"), Improving);
}

#[test]
fn stable_band_from_zero() {
    // From zero any change is more than any percentage of zero.
    assert_eq!(prev_dir("10", HigherIsBetter, "0", "0.01"), Improving);
    assert_eq!(prev_dir("10", HigherIsBetter, "0", "-0.01"), Declining);
    assert_eq!(prev_dir("10", HigherIsBetter, "0", "0"), Stable);
    assert_eq!(prev_dir("10", LowerIsBetter, "0", "0.01"), Declining);
    assert_eq!(prev_dir("0", HigherIsBetter, "0", "0"), Stable);
}

#[test]
fn stable_band_with_values_near_the_decimal_limit() {
    // good × 100 overflows a Decimal here: the comparison still lands on the
    // documented side of the band.
    let e = "1000000000000000000000000000"; // 10^27
    let twice = "2000000000000000000000000000";
    assert_eq!(prev_dir("10", HigherIsBetter, e, twice), Improving);
    assert_eq!(prev_dir("100", HigherIsBetter, e, twice), Stable);
    assert_eq!(prev_dir("100", LowerIsBetter, twice, "0"), Stable);
    assert_eq!(prev_dir("99", LowerIsBetter, twice, "0"), Improving);
    assert_eq!(prev_dir("99", HigherIsBetter, twice, "0"), Declining);
}

#[test]
fn previous_period_missing_results_are_not_comparable() {
    for pol in [HigherIsBetter, LowerIsBetter] {
        // No previous result.
        assert_eq!(
            dir(&prev("0"), pol, "2023-24 Q2", &[("2023-24 Q2", "50")]),
            NotComparable
        );
        // No current result.
        assert_eq!(
            dir(&prev("0"), pol, "2023-24 Q2", &[("2023-24 Q1", "50")]),
            NotComparable
        );
        // Neither.
        assert_eq!(dir(&prev("0"), pol, "2023-24 Q2", &[]), NotComparable);
        // A result two periods back does not stand in for the missing previous one.
        assert_eq!(
            dir(
                &prev("0"),
                pol,
                "2023-24 Q3",
                &[("2023-24 Q1", "40"), ("2023-24 Q3", "50")]
            ),
            NotComparable
        );
    }
}

#[test]
fn polarity_none_is_not_comparable_for_every_method() {
    let data = [
        ("2022-23 Q1", "10"),
        ("2022-23 Q2", "20"),
        ("2022-23 Q3", "30"),
        ("2022-23 Q4", "40"),
        ("2023-24 Q1", "50"),
    ];
    for r in [prev("0"), sply("0"), trend(4, "0"), prev("10")] {
        assert_eq!(
            dir(&r, Polarity::None, "2023-24 Q1", &data),
            NotComparable,
            "{r:?}"
        );
        // The same data does have a direction with a polarity.
        assert_eq!(dir(&r, HigherIsBetter, "2023-24 Q1", &data), Improving, "{r:?}");
        assert_eq!(dir(&r, LowerIsBetter, "2023-24 Q1", &data), Declining, "{r:?}");
    }
}

#[test]
fn previous_period_across_year_boundaries() {
    // Quarter: Q1 compares with Q4 of the year before.
    assert_eq!(
        dir(
            &prev("0"),
            HigherIsBetter,
            "2023-24 Q1",
            &[("2022-23 Q4", "10"), ("2023-24 Q1", "11")]
        ),
        Improving
    );
    // Month: January compares with December.
    assert_eq!(
        dir(
            &prev("0"),
            HigherIsBetter,
            "2024-01",
            &[("2023-12", "10"), ("2024-01", "9")]
        ),
        Declining
    );
    // Year: with the previous year.
    assert_eq!(
        dir(
            &prev("0"),
            LowerIsBetter,
            "2023-24",
            &[("2022-23", "10"), ("2023-24", "9")]
        ),
        Improving
    );
}

#[test]
fn previous_period_reads_only_the_previous_period() {
    // Last year's same quarter would say declining; the previous quarter says improving.
    let data = [("2022-23 Q2", "100"), ("2023-24 Q1", "10"), ("2023-24 Q2", "20")];
    assert_eq!(dir(&prev("0"), HigherIsBetter, "2023-24 Q2", &data), Improving);
}

#[test]
fn same_period_last_year_compares_a_year_back() {
    // The previous quarter would say declining; the same quarter last year says improving.
    let data = [("2022-23 Q2", "10"), ("2023-24 Q1", "100"), ("2023-24 Q2", "20")];
    assert_eq!(dir(&sply("0"), HigherIsBetter, "2023-24 Q2", &data), Improving);
    assert_eq!(dir(&sply("0"), LowerIsBetter, "2023-24 Q2", &data), Declining);
    // Months: February against February.
    let data = [("2023-02", "10"), ("2024-01", "100"), ("2024-02", "5")];
    assert_eq!(dir(&sply("0"), HigherIsBetter, "2024-02", &data), Declining);
    // Years: the previous year.
    let data = [("2022-23", "10"), ("2023-24", "10")];
    assert_eq!(dir(&sply("0"), HigherIsBetter, "2023-24", &data), Stable);
}

#[test]
fn same_period_last_year_missing_results() {
    for pol in [HigherIsBetter, LowerIsBetter] {
        // Only the previous quarter is there: not the one needed.
        assert_eq!(
            dir(
                &sply("0"),
                pol,
                "2023-24 Q2",
                &[("2023-24 Q1", "10"), ("2023-24 Q2", "20")]
            ),
            NotComparable
        );
        assert_eq!(
            dir(&sply("0"), pol, "2023-24 Q2", &[("2022-23 Q2", "10")]),
            NotComparable
        );
        assert_eq!(dir(&sply("0"), pol, "2023-24 Q2", &[]), NotComparable);
    }
}

#[test]
fn same_period_last_year_band_boundaries() {
    // Band 5 % of 200 = 10.
    let at = "2023-24 Q3";
    let run = |pol, cur: &str| dir(&sply("5"), pol, at, &[("2022-23 Q3", "200"), (at, cur)]);
    assert_eq!(run(HigherIsBetter, "210"), Stable);
    assert_eq!(run(HigherIsBetter, "210.01"), Improving);
    assert_eq!(run(HigherIsBetter, "190"), Stable);
    assert_eq!(run(HigherIsBetter, "189.99"), Declining);
    assert_eq!(run(LowerIsBetter, "210"), Stable);
    assert_eq!(run(LowerIsBetter, "210.01"), Declining);
    assert_eq!(run(LowerIsBetter, "190"), Stable);
    assert_eq!(run(LowerIsBetter, "189.99"), Improving);
}

#[test]
fn direction_only_asks_for_the_periods_it_needs() {
    use std::cell::RefCell;
    for r in [prev("0"), sply("0"), trend(4, "0"), trend(6, "0")] {
        let at = p("2023-24 Q2");
        let asked = RefCell::new(Vec::new());
        let _ = direction(&r, HigherIsBetter, &at, |per| {
            asked.borrow_mut().push(*per);
            Some(Decimal::ONE)
        });
        let mut allowed = direction_inputs(&r, &at);
        allowed.push(at);
        for per in asked.into_inner() {
            assert!(
                allowed.contains(&per),
                "{r:?} asked for {per}, not in {allowed:?}"
            );
        }
    }
}

// ---------------------------------------------------------------- trend

/// Quarters ending with 2023-24 Q4, oldest first.
const QUARTERS: [&str; 8] = [
    "2022-23 Q1",
    "2022-23 Q2",
    "2022-23 Q3",
    "2022-23 Q4",
    "2023-24 Q1",
    "2023-24 Q2",
    "2023-24 Q3",
    "2023-24 Q4",
];

/// The last `values.len()` quarters ending 2023-24 Q4, `None` for a gap.
fn quarters(values: &[Option<&'static str>]) -> Vec<(&'static str, &'static str)> {
    let skip = QUARTERS.len() - values.len();
    QUARTERS[skip..]
        .iter()
        .zip(values)
        .filter_map(|(per, v)| v.map(|v| (*per, v)))
        .collect()
}

fn trend_q(periods: u32, band: &str, polarity: Polarity, values: &[Option<&'static str>]) -> Direction {
    dir(&trend(periods, band), polarity, "2023-24 Q4", &quarters(values))
}

#[test]
fn trend_rising_and_falling() {
    let up = [Some("10"), Some("12"), Some("14"), Some("16")];
    let down = [Some("16"), Some("14"), Some("12"), Some("10")];
    assert_eq!(trend_q(4, "0", HigherIsBetter, &up), Improving);
    assert_eq!(trend_q(4, "0", HigherIsBetter, &down), Declining);
    assert_eq!(trend_q(4, "0", LowerIsBetter, &up), Declining);
    assert_eq!(trend_q(4, "0", LowerIsBetter, &down), Improving);
}

#[test]
fn trend_flat_is_stable() {
    let flat = [Some("7"), Some("7"), Some("7.0"), Some("7")];
    assert_eq!(trend_q(4, "0", HigherIsBetter, &flat), Stable);
    assert_eq!(trend_q(4, "0", LowerIsBetter, &flat), Stable);
    // Symmetric wobble: slope zero.
    let wobble = [Some("5"), Some("9"), Some("9"), Some("5")];
    assert_eq!(trend_q(4, "0", HigherIsBetter, &wobble), Stable);
}

#[test]
fn trend_is_a_regression_not_first_against_last() {
    // Last equals first, but the least-squares line rises: 10, 10, 30, 10 (slope 2).
    assert_eq!(
        trend_q(
            4,
            "0",
            HigherIsBetter,
            &[Some("10"), Some("10"), Some("30"), Some("10")]
        ),
        Improving
    );
    // First lower than last, but the line falls: 10, 40, 5, 12 (slope −2.9).
    assert_eq!(
        trend_q(
            4,
            "0",
            HigherIsBetter,
            &[Some("10"), Some("40"), Some("5"), Some("12")]
        ),
        Declining
    );
}

#[test]
fn trend_uses_only_the_last_trend_periods() {
    // Earlier quarters fall steeply; the last four rise.
    let values = [
        Some("1000"),
        Some("500"),
        Some("100"),
        Some("10"),
        Some("11"),
        Some("12"),
        Some("13"),
        Some("14"),
    ];
    assert_eq!(trend_q(4, "0", HigherIsBetter, &values), Improving);
    assert_eq!(trend_q(8, "0", HigherIsBetter, &values), Declining);
}

#[test]
fn trend_exactly_three_points() {
    assert_eq!(
        trend_q(3, "0", HigherIsBetter, &[Some("1"), Some("2"), Some("3")]),
        Improving
    );
    assert_eq!(
        trend_q(3, "0", LowerIsBetter, &[Some("1"), Some("2"), Some("3")]),
        Declining
    );
    assert_eq!(
        trend_q(3, "0", HigherIsBetter, &[Some("3"), Some("3"), Some("3")]),
        Stable
    );
    // Three of four in the window.
    assert_eq!(
        trend_q(4, "0", HigherIsBetter, &[None, Some("1"), Some("2"), Some("3")]),
        Improving
    );
}

#[test]
fn trend_fewer_than_three_points_is_not_comparable() {
    for pol in [HigherIsBetter, LowerIsBetter] {
        assert_eq!(
            trend_q(4, "0", pol, &[None, None, Some("1"), Some("5")]),
            NotComparable
        );
        assert_eq!(
            trend_q(4, "0", pol, &[Some("1"), None, None, Some("5")]),
            NotComparable
        );
        assert_eq!(
            trend_q(4, "0", pol, &[None, None, None, Some("5")]),
            NotComparable
        );
        // A window too short to hold three points.
        assert_eq!(trend_q(2, "0", pol, &[Some("1"), Some("5")]), NotComparable);
        assert_eq!(trend_q(1, "0", pol, &[Some("5")]), NotComparable);
        assert_eq!(trend_q(0, "0", pol, &[Some("5")]), NotComparable);
        // Results outside the window don't count toward the three.
        assert_eq!(
            trend_q(3, "0", pol, &[Some("1"), Some("2"), Some("3"), None, Some("5")]),
            NotComparable
        );
    }
}

#[test]
fn trend_missing_current_result_is_not_comparable() {
    for pol in [HigherIsBetter, LowerIsBetter] {
        assert_eq!(
            trend_q(4, "0", pol, &[Some("1"), Some("2"), Some("3"), None]),
            NotComparable
        );
        assert_eq!(
            trend_q(
                6,
                "0",
                pol,
                &[Some("1"), Some("2"), Some("3"), Some("4"), Some("5"), None]
            ),
            NotComparable
        );
    }
}

#[test]
fn trend_gaps_keep_their_place_in_the_window() {
    // Window of 4 with the third missing: points (0, 0), (1, 10), (3, 30) lie
    // on a line of slope 10; change = slope × (points − 1) = 20; mean
    // magnitude 40/3; 20 is exactly 150 % of 40/3. Compacting the gap
    // (x = 0, 1, 2) would give slope 15 and change 30.
    let values = [Some("0"), Some("10"), None, Some("30")];
    assert_eq!(trend_q(4, "150", HigherIsBetter, &values), Stable);
    assert_eq!(trend_q(4, "149.99", HigherIsBetter, &values), Improving);
    assert_eq!(trend_q(4, "150", LowerIsBetter, &values), Stable);
    assert_eq!(trend_q(4, "149.99", LowerIsBetter, &values), Declining);
}

#[test]
fn trend_gap_at_the_start_of_the_window() {
    // Points (1, 10), (2, 10), (3, 13): the same as x = 0, 1, 2 after a shift,
    // slope 1.5, change 3, mean magnitude 11; threshold 300/11 ≈ 27.27 %.
    let values = [None, Some("10"), Some("10"), Some("13")];
    assert_eq!(trend_q(4, "27.27", HigherIsBetter, &values), Improving);
    assert_eq!(trend_q(4, "27.28", HigherIsBetter, &values), Stable);
    // With a gap in the middle instead, (0, 10), (2, 10), (3, 13): slope 6/7,
    // change 12/7, threshold 1200/77 ≈ 15.58 %.
    let values = [Some("10"), None, Some("10"), Some("13")];
    assert_eq!(trend_q(4, "15.58", HigherIsBetter, &values), Improving);
    assert_eq!(trend_q(4, "15.59", HigherIsBetter, &values), Stable);
    assert_eq!(trend_q(4, "20", HigherIsBetter, &values), Stable);
}

#[test]
fn trend_mean_magnitude_threshold() {
    // 90, 100, 110: slope 10, change 20, mean magnitude 100: 20 % exactly.
    let up = [Some("90"), Some("100"), Some("110")];
    assert_eq!(trend_q(3, "20", HigherIsBetter, &up), Stable);
    assert_eq!(trend_q(3, "19.99", HigherIsBetter, &up), Improving);
    assert_eq!(trend_q(3, "20", LowerIsBetter, &up), Stable);
    assert_eq!(trend_q(3, "19.99", LowerIsBetter, &up), Declining);
    let down = [Some("110"), Some("100"), Some("90")];
    assert_eq!(trend_q(3, "20", HigherIsBetter, &down), Stable);
    assert_eq!(trend_q(3, "19.99", HigherIsBetter, &down), Declining);
    assert_eq!(trend_q(3, "19.99", LowerIsBetter, &down), Improving);
}

#[test]
fn trend_change_is_slope_times_points_minus_one() {
    // 100, 102, 104, 106: slope 2, change 6 (not 2), mean magnitude 103:
    // threshold 600/103 ≈ 5.825 %.
    let up = [Some("100"), Some("102"), Some("104"), Some("106")];
    assert_eq!(trend_q(4, "5.82", HigherIsBetter, &up), Improving);
    assert_eq!(trend_q(4, "5.83", HigherIsBetter, &up), Stable);
    assert_eq!(trend_q(4, "2", HigherIsBetter, &up), Improving);
}

#[test]
fn trend_mean_magnitude_is_of_absolute_values() {
    // −10, 0, 10: change 20; mean magnitude (10 + 0 + 10)/3 = 20/3, so 20 is
    // exactly 300 % of it. (|mean| would be 0 and everything would move.)
    let values = [Some("-10"), Some("0"), Some("10")];
    assert_eq!(trend_q(3, "300", HigherIsBetter, &values), Stable);
    assert_eq!(trend_q(3, "299.99", HigherIsBetter, &values), Improving);
    // Negative series: −90, −100, −110 has mean magnitude 100.
    let values = [Some("-90"), Some("-100"), Some("-110")];
    assert_eq!(trend_q(3, "20", HigherIsBetter, &values), Stable);
    assert_eq!(trend_q(3, "19.99", HigherIsBetter, &values), Declining);
    assert_eq!(trend_q(3, "19.99", LowerIsBetter, &values), Improving);
}

#[test]
fn trend_all_zero_is_stable() {
    assert_eq!(
        trend_q(3, "0", HigherIsBetter, &[Some("0"), Some("0"), Some("0")]),
        Stable
    );
    assert_eq!(
        trend_q(3, "10", HigherIsBetter, &[Some("0"), Some("0"), Some("0")]),
        Stable
    );
}

#[test]
fn trend_over_months_across_january() {
    let r = trend(4, "0");
    let data = [
        ("2023-11", "10"),
        ("2023-12", "11"),
        ("2024-01", "12"),
        ("2024-02", "13"),
    ];
    assert_eq!(dir(&r, HigherIsBetter, "2024-02", &data), Improving);
    assert_eq!(dir(&r, LowerIsBetter, "2024-02", &data), Declining);
    // The month before the window does not count.
    let data = [
        ("2023-10", "1000"),
        ("2023-12", "11"),
        ("2024-01", "12"),
        ("2024-02", "13"),
    ];
    assert_eq!(dir(&r, HigherIsBetter, "2024-02", &data), Improving);
    let data = [("2023-10", "1000"), ("2024-01", "12"), ("2024-02", "13")];
    assert_eq!(dir(&r, HigherIsBetter, "2024-02", &data), NotComparable);
    // Quarters with the same labels do not stand in for months.
    let data = [("2023-24 Q2", "1"), ("2023-24 Q3", "2"), ("2024-02", "3")];
    assert_eq!(dir(&r, HigherIsBetter, "2024-02", &data), NotComparable);
}

#[test]
fn trend_over_years() {
    let r = trend(3, "0");
    let data = [("2021-22", "30"), ("2022-23", "20"), ("2023-24", "10")];
    assert_eq!(dir(&r, LowerIsBetter, "2023-24", &data), Improving);
    assert_eq!(dir(&r, HigherIsBetter, "2023-24", &data), Declining);
    // 30, 20, 10: change −20, mean magnitude 20: exactly 100 %.
    assert_eq!(dir(&trend(3, "100"), LowerIsBetter, "2023-24", &data), Stable);
    assert_eq!(
        dir(&trend(3, "99.99"), LowerIsBetter, "2023-24", &data),
        Improving
    );
    let r = trend(5, "0");
    let data = [("2019-20", "1"), ("2021-22", "2"), ("2023-24", "3")];
    assert_eq!(dir(&r, HigherIsBetter, "2023-24", &data), Improving);
}

#[test]
fn trend_default_window_is_four() {
    let r = DirectionRule {
        method: DirectionMethod::Trend,
        ..DirectionRule::default()
    };
    // Three rising points, but the first is outside the default window of 4,
    // leaving two inside it.
    let data = [("2022-23 Q4", "1"), ("2023-24 Q3", "3"), ("2023-24 Q4", "4")];
    assert_eq!(dir(&r, HigherIsBetter, "2023-24 Q4", &data), NotComparable);
    let data = [("2023-24 Q1", "1"), ("2023-24 Q3", "3"), ("2023-24 Q4", "4")];
    assert_eq!(dir(&r, HigherIsBetter, "2023-24 Q4", &data), Improving);
}

#[test]
fn trend_with_large_values_stays_exact() {
    let values = [Some("1000000000"), Some("1000000001"), Some("1000000002")];
    assert_eq!(trend_q(3, "0", HigherIsBetter, &values), Improving);
    // change 2, mean magnitude 1000000001: 2 / 1000000001 × 100 ≈ 1.9999999980e-7 %.
    assert_eq!(trend_q(3, "0.0000002", HigherIsBetter, &values), Stable);
    assert_eq!(trend_q(3, "0.0000001999", HigherIsBetter, &values), Improving);
}

// ---------------------------------------------------------------- comparison period and inputs

#[test]
fn comparison_period_for_each_method() {
    let q = p("2023-24 Q1");
    assert_eq!(
        comparison_period(DirectionMethod::PreviousPeriod, &q),
        Some(p("2022-23 Q4"))
    );
    assert_eq!(
        comparison_period(DirectionMethod::SamePeriodLastYear, &q),
        Some(p("2022-23 Q1"))
    );
    assert_eq!(
        comparison_period(DirectionMethod::Trend, &q),
        Some(p("2022-23 Q4"))
    );
    let m = p("2024-01");
    assert_eq!(
        comparison_period(DirectionMethod::PreviousPeriod, &m),
        Some(p("2023-12"))
    );
    assert_eq!(
        comparison_period(DirectionMethod::SamePeriodLastYear, &m),
        Some(p("2023-01"))
    );
    let y = p("2023-24");
    assert_eq!(
        comparison_period(DirectionMethod::PreviousPeriod, &y),
        Some(p("2022-23"))
    );
    assert_eq!(
        comparison_period(DirectionMethod::SamePeriodLastYear, &y),
        Some(p("2022-23"))
    );
    // Nothing before the first supported year.
    let first = p("1900-01");
    assert_eq!(comparison_period(DirectionMethod::PreviousPeriod, &first), None);
    assert_eq!(
        comparison_period(DirectionMethod::SamePeriodLastYear, &first),
        None
    );
}

#[test]
fn direction_inputs_previous_and_same_period_last_year() {
    assert_eq!(
        direction_inputs(&prev("0"), &p("2023-24 Q1")),
        ps(&["2022-23 Q4"])
    );
    assert_eq!(
        direction_inputs(&sply("0"), &p("2023-24 Q1")),
        ps(&["2022-23 Q1"])
    );
    assert_eq!(direction_inputs(&prev("0"), &p("2024-01")), ps(&["2023-12"]));
    assert_eq!(direction_inputs(&sply("0"), &p("2024-01")), ps(&["2023-01"]));
    assert!(direction_inputs(&prev("0"), &p("1900-01")).is_empty());
}

fn as_set(mut v: Vec<Period>) -> Vec<Period> {
    v.sort();
    v.dedup();
    v
}

#[test]
fn direction_inputs_trend_is_the_window_before_the_period() {
    let inputs = direction_inputs(&trend(4, "0"), &p("2023-24 Q2"));
    assert!(!inputs.contains(&p("2023-24 Q2")));
    assert_eq!(as_set(inputs), ps(&["2022-23 Q3", "2022-23 Q4", "2023-24 Q1"]));
    let inputs = direction_inputs(&trend(3, "0"), &p("2024-02"));
    assert_eq!(as_set(inputs), ps(&["2023-12", "2024-01"]));
    // A window of one still names the previous period (shown as previousValue).
    assert_eq!(
        as_set(direction_inputs(&trend(1, "0"), &p("2023-24"))),
        ps(&["2022-23"])
    );
    assert_eq!(
        as_set(direction_inputs(&trend(0, "0"), &p("2023-24"))),
        ps(&["2022-23"])
    );
}

#[test]
fn direction_inputs_cover_everything_direction_reads() {
    for r in [prev("5"), sply("5"), trend(3, "5"), trend(4, "5"), trend(6, "5")] {
        for at in ["2023-24 Q1", "2024-01", "2023-24"] {
            let at = p(at);
            let needed: Vec<Period> = match r.method {
                DirectionMethod::Trend => at
                    .window(r.trend_periods)
                    .into_iter()
                    .filter(|x| *x != at)
                    .collect(),
                _ => comparison_period(r.method, &at).into_iter().collect(),
            };
            let inputs = direction_inputs(&r, &at);
            for n in needed {
                assert!(inputs.contains(&n), "{r:?} at {at}: {n} missing from {inputs:?}");
            }
        }
    }
}

// ================================================================ escalation

#[test]
fn escalation_default_is_two() {
    assert_eq!(DEFAULT_ESCALATION_CONSECUTIVE, 2);
    assert!(escalated(&[Red, Red], DEFAULT_ESCALATION_CONSECUTIVE));
    assert!(!escalated(&[Amber, Red], DEFAULT_ESCALATION_CONSECUTIVE));
}

#[test]
fn escalation_consecutive_one() {
    assert!(escalated(&[Red], 1));
    assert!(escalated(&[Green, Red], 1));
    assert!(escalated(&[Amber, Amber, Red], 1));
    assert!(!escalated(&[Red, Amber], 1));
    assert!(!escalated(&[Red, Green], 1));
    assert!(!escalated(&[Red, NoData], 1));
    assert!(!escalated(&[Red, NoTarget], 1));
    assert!(!escalated(&[], 1));
}

#[test]
fn escalation_consecutive_two() {
    assert!(escalated(&[Red, Red], 2));
    assert!(escalated(&[Green, Red, Red], 2));
    assert!(escalated(&[Red, Red, Red], 2));
    assert!(!escalated(&[Red, Amber], 2));
    assert!(!escalated(&[Amber, Red], 2));
    assert!(!escalated(&[Red, Red, Amber], 2));
    assert!(!escalated(&[Red, Red, Green], 2));
    assert!(!escalated(&[NoData, Red], 2));
    assert!(!escalated(&[NoTarget, Red], 2));
}

#[test]
fn escalation_consecutive_three() {
    assert!(escalated(&[Red, Red, Red], 3));
    assert!(escalated(&[Green, Amber, Red, Red, Red], 3));
    assert!(!escalated(&[Red, Red], 3));
    assert!(!escalated(&[Amber, Red, Red], 3));
    assert!(!escalated(&[Red, Amber, Red], 3));
    assert!(!escalated(&[Red, Red, Amber], 3));
}

#[test]
fn escalation_broken_by_one_amber_quarter() {
    let history = [Red, Red, Red, Amber, Red, Red];
    assert!(escalated(&history, 2));
    assert!(!escalated(&history, 3));
    assert!(!escalated(&history[..4], 1));
    assert!(escalated(&history[..3], 3));
}

#[test]
fn escalation_history_too_short() {
    assert!(!escalated(&[], 2));
    assert!(!escalated(&[Red], 2));
    assert!(!escalated(&[Red, Red], 3));
    assert!(!escalated(&[Red, Red, Red], 4));
    assert!(escalated(&[Red, Red, Red, Red], 4));
}

#[test]
fn escalation_consecutive_zero_behaves_as_one() {
    assert!(escalated(&[Red], 0));
    assert!(!escalated(&[Amber], 0));
    assert!(!escalated(&[], 0));
}

#[test]
fn escalation_huge_consecutive_is_never_met() {
    assert!(!escalated(&[Red; 10], u32::MAX));
}

// ================================================================ breakdown

#[test]
fn breakdown_starts_empty() {
    let b = Breakdown::default();
    assert_eq!(b.total, 0);
    assert_eq!(b.percent_green(), None);
    assert_eq!(b.percent_improving(), None);
}

#[test]
fn breakdown_counts_each_status_and_direction() {
    let b: Breakdown = [
        (Green, Improving),
        (Green, Stable),
        (Amber, Declining),
        (Red, NotComparable),
        (NoTarget, Improving),
        (NoData, NotComparable),
        (Red, Declining),
    ]
    .into_iter()
    .collect();
    assert_eq!(
        b,
        Breakdown {
            total: 7,
            blue: 0,
            green: 2,
            amber: 1,
            red: 2,
            no_target: 1,
            no_data: 1,
            improving: 2,
            stable: 1,
            declining: 2,
            not_comparable: 2,
        }
    );
    // 2 of 5 rated; 2 of 5 judged.
    assert_eq!(b.percent_green(), Some(d("40")));
    assert_eq!(b.percent_improving(), Some(d("40")));
}

#[test]
fn breakdown_add_matches_collect() {
    let items = [(Green, Improving), (Red, Stable), (NoData, NotComparable)];
    let mut b = Breakdown::default();
    for (s, dn) in items {
        b.add(s, dn);
    }
    assert_eq!(b, items.into_iter().collect::<Breakdown>());
    assert_eq!(b.total, 3);
}

#[test]
fn breakdown_percentages_null_when_nothing_rated_or_judged() {
    let b: Breakdown = [(NoTarget, NotComparable), (NoData, NotComparable)]
        .into_iter()
        .collect();
    assert_eq!(b.total, 2);
    assert_eq!(b.percent_green(), None);
    assert_eq!(b.percent_improving(), None);
    // Rated but not judged, and judged but not rated.
    let b: Breakdown = [(Red, NotComparable)].into_iter().collect();
    assert_eq!(b.percent_green(), Some(d("0")));
    assert_eq!(b.percent_improving(), None);
    let b: Breakdown = [(NoData, Stable)].into_iter().collect();
    assert_eq!(b.percent_green(), None);
    assert_eq!(b.percent_improving(), Some(d("0")));
}

#[test]
fn breakdown_unrated_do_not_count_in_the_divisor() {
    let mut items = vec![(Green, Improving), (Amber, Declining)];
    items.extend(std::iter::repeat_n((NoTarget, NotComparable), 10));
    items.extend(std::iter::repeat_n((NoData, NotComparable), 10));
    let b: Breakdown = items.into_iter().collect();
    assert_eq!(b.total, 22);
    assert_eq!(b.percent_green(), Some(d("50")));
    assert_eq!(b.percent_improving(), Some(d("50")));
}

#[test]
fn breakdown_all_green_and_none_green() {
    let b: Breakdown = [(Green, Improving), (Green, Improving)].into_iter().collect();
    assert_eq!(b.percent_green(), Some(d("100")));
    assert_eq!(b.percent_improving(), Some(d("100")));
    let b: Breakdown = [(Amber, Stable), (Red, Declining)].into_iter().collect();
    assert_eq!(b.percent_green(), Some(d("0")));
    assert_eq!(b.percent_improving(), Some(d("0")));
}

#[test]
fn breakdown_rotherham_28_of_54() {
    // "28 measures (52%)": 28 green of 54 rated, plus unrated ones that don't count.
    let mut items = Vec::new();
    items.extend(std::iter::repeat_n((Green, Improving), 28));
    items.extend(std::iter::repeat_n((Amber, Stable), 14));
    items.extend(std::iter::repeat_n((Red, Declining), 12));
    items.extend(std::iter::repeat_n((NoTarget, NotComparable), 5));
    items.extend(std::iter::repeat_n((NoData, NotComparable), 3));
    let b: Breakdown = items.into_iter().collect();
    assert_eq!(b.total, 62);
    assert_eq!(b.green + b.amber + b.red, 54);
    let pg = b.percent_green().unwrap();
    assert_eq!(pg.round_dp(2), d("51.85"));
    assert_eq!(pg.round_dp(0), d("52"));
    assert!(pg.to_string().starts_with("51.851851851851"), "{pg}");
    assert!((pg - d("51.851851851851851851851851852")).abs() < d("0.000000000000000000000001"));
    // 28 improving of 54 judged, too.
    assert_eq!(b.percent_improving().unwrap().round_dp(2), d("51.85"));
}

#[test]
fn breakdown_thirds() {
    let b: Breakdown = [(Green, Improving), (Amber, Stable), (Red, Declining)]
        .into_iter()
        .collect();
    assert_eq!(b.percent_green().unwrap().round_dp(2), d("33.33"));
    assert_eq!(b.percent_improving().unwrap().round_dp(4), d("33.3333"));
    let b: Breakdown = [(Green, Improving), (Green, Improving), (Red, Declining)]
        .into_iter()
        .collect();
    assert_eq!(b.percent_green().unwrap().round_dp(2), d("66.67"));
}
