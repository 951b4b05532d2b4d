//! Definition changes break a series, worked by hand: direction (against
//! the previous period, the same period last year, and a trend), the
//! compared value, improvement-based amber, forecasts, and a year asked of
//! quarters; each with the change before, at and after the period.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use rust_decimal::Decimal;

use crate::definitions::{Definitions, before, series_start};
use crate::enums::{
    Accumulation, Direction, DirectionMethod, ForecastMethod, Frequency, MeasureKind, Polarity, RagMethod,
    RagStatus,
};
use crate::forecast::forecast;
use crate::period::Period;
use crate::rating::{Goal, MeasureRules, Rated, rate};
use crate::rules::{DirectionRule, RagRule};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn p(s: &str) -> Period {
    s.parse().unwrap()
}

fn rules(method: DirectionMethod, rag: RagMethod, breaks: &[&str]) -> MeasureRules {
    MeasureRules {
        polarity: Polarity::HigherIsBetter,
        kind: MeasureKind::Council,
        frequency: Frequency::Quarterly,
        rag: RagRule::new(rag, None),
        direction: DirectionRule {
            method,
            ..DirectionRule::default()
        },
        forecast: Some(ForecastMethod::Trend),
        accumulation: Accumulation::Period,
        target_profile: None,
        breaks: breaks.iter().map(|b| p(b)).collect(),
    }
}

/// Quarters of 2023-24 and 2024-25 rising by ten, a year target of 50.
fn rated(rules: &MeasureRules, at: &str) -> Rated {
    let values: HashMap<Period, Decimal> = [
        ("2023-24 Q1", "10"),
        ("2023-24 Q2", "20"),
        ("2023-24 Q3", "30"),
        ("2023-24 Q4", "40"),
        ("2024-25 Q1", "50"),
        ("2024-25 Q2", "60"),
        ("2024-25 Q3", "70"),
    ]
    .into_iter()
    .map(|(k, v)| (p(k), d(v)))
    .collect();
    rate(
        rules,
        &p(at),
        |q| values.get(q).copied(),
        |q| {
            (q.kind() == crate::PeriodKind::Year).then(|| Goal {
                target: d("50"),
                floor: None,
            })
        },
    )
}

#[test]
fn a_series_starts_at_its_latest_change_by_start_date() {
    let breaks = [p("2023-24 Q3"), p("2024-25")];
    assert_eq!(series_start(&breaks, &p("2023-24 Q2")), None);
    assert_eq!(series_start(&breaks, &p("2023-24 Q3")), Some(p("2023-24 Q3")));
    assert_eq!(series_start(&breaks, &p("2023-24 Q4")), Some(p("2023-24 Q3")));
    // A year's change starts with its first quarter.
    assert_eq!(series_start(&breaks, &p("2024-25 Q1")), Some(p("2024-25")));
    assert!(before(Some(p("2024-25")), &p("2023-24 Q4")));
    assert!(!before(Some(p("2024-25")), &p("2024-25 Q1")));
    assert!(!before(None, &p("2001-02")));
}

#[test]
fn the_previous_period_across_a_change_is_not_compared() {
    // Changed from 2024-25 Q1: Q1 is not compared with 2023-24 Q4.
    let r = rules(
        DirectionMethod::PreviousPeriod,
        RagMethod::Tolerance,
        &["2024-25 Q1"],
    );
    let q1 = rated(&r, "2024-25 Q1");
    assert_eq!(
        (q1.direction, q1.previous_value, q1.definition_changed),
        (Direction::NotComparable, None, true)
    );
    assert_eq!(q1.since, Some(p("2024-25 Q1")));
    // Q2 compares with Q1, inside the new series.
    let q2 = rated(&r, "2024-25 Q2");
    assert_eq!(
        (q2.direction, q2.previous_value, q2.definition_changed),
        (Direction::Improving, Some(d("50")), false)
    );
    // Before the change nothing moves: 2023-24 Q4 against Q3 as ever.
    let q4 = rated(&r, "2023-24 Q4");
    assert_eq!(
        (q4.direction, q4.definition_changed, q4.since),
        (Direction::Improving, false, None)
    );
    // With no change at all, 2024-25 Q1 compares with 2023-24 Q4.
    let plain = rules(DirectionMethod::PreviousPeriod, RagMethod::Tolerance, &[]);
    assert_eq!(rated(&plain, "2024-25 Q1").previous_value, Some(d("40")));
}

#[test]
fn the_same_period_last_year_across_a_change_is_not_compared() {
    let r = rules(
        DirectionMethod::SamePeriodLastYear,
        RagMethod::Tolerance,
        &["2024-25 Q2"],
    );
    // 2024-25 Q1 is before the change: compared with 2023-24 Q1 as ever.
    assert_eq!(rated(&r, "2024-25 Q1").direction, Direction::Improving);
    let q3 = rated(&r, "2024-25 Q3");
    assert_eq!(
        (q3.direction, q3.previous_value, q3.definition_changed),
        (Direction::NotComparable, None, true)
    );
}

#[test]
fn a_trend_draws_only_through_the_new_series() {
    // Four quarters to 2024-25 Q2; changed at 2024-25 Q1, two points are
    // left: fewer than three is not comparable.
    let r = rules(DirectionMethod::Trend, RagMethod::Tolerance, &["2024-25 Q1"]);
    assert_eq!(rated(&r, "2024-25 Q2").direction, Direction::NotComparable);
    // Changed at 2023-24 Q4: Q4, Q1, Q2, Q3 of the new series make a line.
    let r = rules(DirectionMethod::Trend, RagMethod::Tolerance, &["2023-24 Q4"]);
    assert_eq!(rated(&r, "2024-25 Q3").direction, Direction::Improving);
}

#[test]
fn improvement_based_amber_does_not_compare_last_year_across_a_change() {
    // 2024-25 Q1 at 30, more than 10% short of 50: amber for improving on
    // last year's 10; across a change at 2024-25 Q1 there is no last year
    // to improve on, so red.
    let r = rules(DirectionMethod::PreviousPeriod, RagMethod::Improvement, &[]);
    let values = |q: &Period| match q.to_string().as_str() {
        "2023-24 Q1" => Some(d("10")),
        "2024-25 Q1" => Some(d("30")),
        _ => None,
    };
    let goal = |q: &Period| {
        (q.kind() == crate::PeriodKind::Year).then(|| Goal {
            target: d("50"),
            floor: None,
        })
    };
    let q1 = p("2024-25 Q1");
    assert_eq!(
        rate(&r, &q1, values, goal).status,
        RagStatus::Amber,
        "improved on 10"
    );
    let changed = rules(
        DirectionMethod::PreviousPeriod,
        RagMethod::Improvement,
        &["2024-25 Q1"],
    );
    assert_eq!(
        rate(&changed, &q1, values, goal).status,
        RagStatus::Red,
        "nothing to compare with"
    );
}

#[test]
fn a_forecast_is_drawn_only_through_the_new_series() {
    let goal = |q: &Period| {
        (q.kind() == crate::PeriodKind::Year).then(|| Goal {
            target: d("50"),
            floor: None,
        })
    };
    let values = |q: &Period| match q.to_string().as_str() {
        "2024-25 Q1" => Some(d("10")),
        "2024-25 Q2" => Some(d("20")),
        "2024-25 Q3" => Some(d("25")),
        _ => None,
    };
    // Without a change: 10, 20, 25 make 8 a quarter, 33.33… by Q4.
    let plain = rules(DirectionMethod::PreviousPeriod, RagMethod::Tolerance, &[]);
    let f = forecast(
        ForecastMethod::Trend,
        &plain,
        &p("2024-25 Q3"),
        values,
        goal,
        None,
    )
    .unwrap();
    assert_eq!(f.value.round_dp(2), d("33.33"));
    // Changed at Q2: 20 and 25 only, 5 a quarter, 30 by Q4.
    let changed = rules(
        DirectionMethod::PreviousPeriod,
        RagMethod::Tolerance,
        &["2024-25 Q2"],
    );
    let f = forecast(
        ForecastMethod::Trend,
        &changed,
        &p("2024-25 Q3"),
        values,
        goal,
        None,
    )
    .unwrap();
    assert_eq!(f.value, d("30"));
    // Changed at Q3: one point, no line.
    let changed = rules(
        DirectionMethod::PreviousPeriod,
        RagMethod::Tolerance,
        &["2024-25 Q3"],
    );
    assert_eq!(
        forecast(
            ForecastMethod::Trend,
            &changed,
            &p("2024-25 Q3"),
            values,
            goal,
            None
        ),
        None
    );
}

#[test]
fn definitions_are_stored_as_json_text() {
    let text = r#"[{"effectiveFrom":"2024-25 Q1","description":"New data source","changedBy":"ana","changedAt":"2024-04-02T09:00:00Z"}]"#;
    let defs: Definitions = text.parse().unwrap();
    assert_eq!(defs.breaks(), [p("2024-25 Q1")]);
    assert_eq!(defs.to_string(), text);
    assert!("not json".parse::<Definitions>().is_err());
}
