//! A result's data quality: a rule that does not rate PROVISIONAL results
//! holds them NO_DATA (value and direction still shown), every other quality
//! rates as a final one, and no provisional figure counts in a benchmark.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use rust_decimal::Decimal;

use crate::benchmark::counts;
use crate::enums::{DataQuality, Direction, Frequency, MeasureKind, Polarity, RagMethod, RagStatus};
use crate::period::Period;
use crate::rating::{Goal, MeasureRules, hold_provisional, rate};
use crate::rules::{DirectionRule, RagRule};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn rules(rate_provisional: bool, polarity: Polarity) -> MeasureRules {
    MeasureRules {
        polarity,
        kind: MeasureKind::Council,
        frequency: Frequency::Quarterly,
        rag: RagRule {
            rate_provisional,
            ..RagRule::new(RagMethod::Tolerance, None)
        },
        direction: DirectionRule::default(),
        forecast: None,
        accumulation: crate::enums::Accumulation::Period,
        target_profile: None,
        breaks: Vec::new(),
    }
}

/// Q2 rated with Q1 at 40, a target of 50, and Q2's value `value` of `quality`.
fn rated(rules: &MeasureRules, value: Option<&str>, quality: Option<DataQuality>) -> (RagStatus, Direction) {
    let (q1, q2): (Period, Period) = ("2024-25 Q1".parse().unwrap(), "2024-25 Q2".parse().unwrap());
    let value_at = |p: &Period| match p {
        p if *p == q1 => Some(d("40")),
        p if *p == q2 => value.map(d),
        _ => None,
    };
    let goal_at = |p: &Period| {
        (p.kind() == crate::PeriodKind::Year).then(|| Goal {
            target: d("50"),
            floor: None,
        })
    };
    let mut r = rate(rules, &q2, value_at, goal_at);
    hold_provisional(rules, &mut r, quality);
    (r.status, r.direction)
}

#[test]
fn a_rule_that_does_not_rate_provisional_results_holds_them_no_data() {
    let held = rules(false, Polarity::HigherIsBetter);
    assert_eq!(
        rated(&held, Some("60"), Some(DataQuality::Provisional)),
        (RagStatus::NoData, Direction::Improving),
        "the value still shows its direction"
    );
    for quality in [DataQuality::Final, DataQuality::Revised, DataQuality::Estimated] {
        assert_eq!(
            rated(&held, Some("60"), Some(quality)).0,
            RagStatus::Green,
            "{quality:?}"
        );
        assert_eq!(
            rated(&held, Some("30"), Some(quality)).0,
            RagStatus::Red,
            "{quality:?}"
        );
    }
    // No value stays NO_DATA; lower is better holds the same.
    assert_eq!(rated(&held, None, None).0, RagStatus::NoData);
    let lower = rules(false, Polarity::LowerIsBetter);
    assert_eq!(
        rated(&lower, Some("30"), Some(DataQuality::Provisional)).0,
        RagStatus::NoData
    );
    assert_eq!(
        rated(&lower, Some("30"), Some(DataQuality::Final)).0,
        RagStatus::Green
    );
}

#[test]
fn by_default_provisional_results_rate_as_any_other() {
    let rating = rules(true, Polarity::HigherIsBetter);
    assert!(RagRule::default().rate_provisional);
    assert_eq!(
        rated(&rating, Some("60"), Some(DataQuality::Provisional)).0,
        RagStatus::Green
    );
    assert_eq!(
        rated(&rating, Some("44"), Some(DataQuality::Provisional)).0,
        RagStatus::Red
    );
    assert_eq!(
        rated(&rating, Some("45"), Some(DataQuality::Provisional)).0,
        RagStatus::Amber
    );
}

#[test]
fn a_result_with_no_target_stays_no_target_unless_held() {
    let r = rules(false, Polarity::None);
    assert_eq!(
        rated(&r, Some("60"), Some(DataQuality::Final)).0,
        RagStatus::NoTarget
    );
    assert_eq!(
        rated(&r, Some("60"), Some(DataQuality::Provisional)).0,
        RagStatus::NoData
    );
}

#[test]
fn only_provisional_figures_stay_out_of_benchmarks() {
    assert!(!counts(DataQuality::Provisional));
    for quality in [DataQuality::Final, DataQuality::Revised, DataQuality::Estimated] {
        assert!(counts(quality), "{quality:?}");
    }
}
