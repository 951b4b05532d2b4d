//! Havering's improvement-based amber (RagMethod::IMPROVEMENT): green on or
//! within the tolerance of the target, amber further off but improved or
//! maintained against the same period last year, red otherwise. Each
//! boundary worked by hand, in both polarities.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use rust_decimal::Decimal;

use crate::enums::{Accumulation, Frequency, MeasureKind, Polarity, RagMethod, RagStatus};
use crate::period::Period;
use crate::rating::{MeasureRules, inputs, rate};
use crate::rules::{DirectionRule, RagRule, Reading, rag_status};

use Polarity::{HigherIsBetter, LowerIsBetter};
use RagStatus::{Amber, Green, NoData, NoTarget, Red};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn improvement() -> RagRule {
    RagRule::new(RagMethod::Improvement, None)
}

fn status(polarity: Polarity, value: &str, target: &str, last_year: Option<&str>) -> RagStatus {
    let r = Reading {
        value: Some(d(value)),
        target: Some(d(target)),
        floor: None,
        last_year: last_year.map(d),
    };
    rag_status(&improvement(), polarity, MeasureKind::Council, &r)
}

#[test]
fn green_on_or_within_ten_percent_of_target_whatever_last_year_says() {
    // Target 50, 10%: green from 45 (higher is better), to 55 (lower).
    assert_eq!(status(HigherIsBetter, "50", "50", None), Green);
    assert_eq!(status(HigherIsBetter, "45", "50", Some("99")), Green);
    assert_eq!(status(LowerIsBetter, "55", "50", Some("1")), Green);
    assert_eq!(status(LowerIsBetter, "40", "50", None), Green);
}

#[test]
fn amber_further_off_but_improved_or_maintained() {
    // 44.99 is more than 10% short of 50.
    assert_eq!(status(HigherIsBetter, "44.99", "50", Some("40")), Amber);
    assert_eq!(
        status(HigherIsBetter, "44", "50", Some("44")),
        Amber,
        "maintained"
    );
    assert_eq!(status(HigherIsBetter, "44", "50", Some("44.01")), Red);
    // Lower is better: 55.01 is more than 10% over 50.
    assert_eq!(status(LowerIsBetter, "55.01", "50", Some("60")), Amber);
    assert_eq!(status(LowerIsBetter, "56", "50", Some("56")), Amber, "maintained");
    assert_eq!(status(LowerIsBetter, "56", "50", Some("55.99")), Red);
}

#[test]
fn red_further_off_with_nothing_to_compare_with() {
    // Not shown to have improved.
    assert_eq!(status(HigherIsBetter, "44", "50", None), Red);
}

#[test]
fn the_tolerance_is_the_rules_own() {
    let rule = RagRule::new(RagMethod::Improvement, Some(d("5")));
    let r = Reading {
        value: Some(d("47")),
        target: Some(d("50")),
        ..Reading::default()
    };
    assert_eq!(rag_status(&rule, HigherIsBetter, MeasureKind::Council, &r), Red);
}

#[test]
fn no_value_no_data_and_no_target_no_target() {
    let r = Reading {
        target: Some(d("50")),
        last_year: Some(d("40")),
        ..Reading::default()
    };
    assert_eq!(
        rag_status(&improvement(), HigherIsBetter, MeasureKind::Council, &r),
        NoData
    );
    let r = Reading {
        value: Some(d("40")),
        last_year: Some(d("30")),
        ..Reading::default()
    };
    assert_eq!(
        rag_status(&improvement(), HigherIsBetter, MeasureKind::Council, &r),
        NoTarget
    );
}

fn p(s: &str) -> Period {
    s.parse().unwrap()
}

#[test]
fn rating_reads_the_same_quarter_last_year() {
    let rules = MeasureRules {
        polarity: HigherIsBetter,
        kind: MeasureKind::Council,
        frequency: Frequency::Quarterly,
        rag: improvement(),
        direction: DirectionRule::default(),
        forecast: None,
        accumulation: Accumulation::Period,
        target_profile: None,
        breaks: Vec::new(),
    };
    let q4 = p("2013-14 Q4");
    assert!(inputs(&rules, &q4).contains(&p("2012-13 Q4")));
    let value_at = |at: &Period| match at.to_string().as_str() {
        "2013-14 Q4" => Some(d("40")),
        "2013-14 Q3" => Some(d("10")),
        "2012-13 Q4" => Some(d("39")),
        _ => None,
    };
    let goal_at = |at: &Period| {
        (*at == q4).then_some(crate::rating::Goal {
            target: d("50"),
            floor: None,
        })
    };
    // Improved on the same quarter last year (39), not on the quarter before.
    assert_eq!(rate(&rules, &q4, value_at, goal_at).status, Amber);
    // Under the default rule the same figures are red.
    let tolerance = MeasureRules {
        rag: RagRule::default(),
        ..rules
    };
    assert_eq!(rate(&tolerance, &q4, value_at, goal_at).status, Red);
}
