//! Cumulative and rolling measures: a cumulative measure's quarter or month
//! is rated against its own target, else the share of the annual target its
//! profile gives (even steps by default); an accumulating measure's
//! direction compares the same period last year. Each figure worked by
//! hand, in both polarities.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use rust_decimal::Decimal;

use crate::enums::{
    Accumulation, Direction, DirectionMethod, Frequency, MeasureKind, Polarity, RagMethod, RagStatus,
};
use crate::period::Period;
use crate::rating::{Goal, MeasureRules, Rated, inputs, rate, reported_candidates};
use crate::rules::{DirectionRule, RagRule, direction_method, profiled};
use crate::values::Profile;

use Accumulation::{Cumulative, Rolling};
use Direction::{Declining, Improving, NotComparable, Stable};
use Polarity::{HigherIsBetter, LowerIsBetter};
use RagStatus::{Amber, Green, NoData, NoTarget, Red};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn p(s: &str) -> Period {
    s.parse().unwrap()
}

fn measure(accumulation: Accumulation, frequency: Frequency, polarity: Polarity) -> MeasureRules {
    MeasureRules {
        polarity,
        kind: MeasureKind::Council,
        frequency,
        rag: RagRule::default(),
        direction: DirectionRule {
            method: direction_method(accumulation, DirectionMethod::PreviousPeriod),
            ..DirectionRule::default()
        },
        accumulation,
        target_profile: None,
        breaks: Vec::new(),
        forecast: None,
    }
}

fn quarterly(accumulation: Accumulation) -> MeasureRules {
    measure(accumulation, Frequency::Quarterly, HigherIsBetter)
}

fn with_profile(rules: MeasureRules, profile: &str) -> MeasureRules {
    MeasureRules {
        target_profile: Some(profile.parse::<Profile>().unwrap().0),
        ..rules
    }
}

/// Values and targets as "period=figure" pairs; a goal "80/60" has a floor.
fn rated(rules: &MeasureRules, at: &str, values: &[(&str, &str)], goals: &[(&str, &str)]) -> Rated {
    let value_at = |q: &Period| values.iter().find(|(k, _)| p(k) == *q).map(|(_, v)| d(v));
    let goal_at = |q: &Period| {
        goals
            .iter()
            .find(|(k, _)| p(k) == *q)
            .map(|(_, g)| match g.split_once('/') {
                Some((t, f)) => Goal {
                    target: d(t),
                    floor: Some(d(f)),
                },
                None => Goal {
                    target: d(g),
                    floor: None,
                },
            })
    };
    rate(rules, &p(at), value_at, goal_at)
}

const ANNUAL_80: &[(&str, &str)] = &[("2023-24", "80")];

#[test]
fn a_quarter_aims_at_an_even_share_of_the_annual_target() {
    let c = quarterly(Cumulative);
    // 80 a year: 20, 40, 60, 80 by the end of Q1 … Q4.
    for (q, target) in [("Q1", "20"), ("Q2", "40"), ("Q3", "60"), ("Q4", "80")] {
        let at = format!("2023-24 {q}");
        let r = rated(&c, &at, &[(&at, target)], ANNUAL_80);
        assert_eq!(r.target, Some(d(target)), "{q}");
        assert_eq!(r.status, Green, "exactly at its share, {q}");
    }
    // Q2: green at 40, amber down to 36 (10% of 40), red below.
    let status = |v: &str| rated(&c, "2023-24 Q2", &[("2023-24 Q2", v)], ANNUAL_80).status;
    assert_eq!(status("39.99"), Amber);
    assert_eq!(status("36"), Amber);
    assert_eq!(status("35.99"), Red);
    // The same value as a PERIOD measure is rated against the whole 80.
    let r = rated(
        &quarterly(Accumulation::Period),
        "2023-24 Q2",
        &[("2023-24 Q2", "40")],
        ANNUAL_80,
    );
    assert_eq!((r.target, r.status), (Some(d("80")), Red));
}

#[test]
fn a_target_set_for_the_quarter_wins_over_the_profile() {
    let c = with_profile(quarterly(Cumulative), "10;30;60;100");
    let goals = [("2023-24", "80"), ("2023-24 Q2", "45")];
    let r = rated(&c, "2023-24 Q2", &[("2023-24 Q2", "40.5")], &goals);
    assert_eq!(
        (r.target, r.status),
        (Some(d("45")), Amber),
        "45 less 10% is 40.5"
    );
    // Q3 has none of its own: 60% of 80.
    let r = rated(&c, "2023-24 Q3", &[("2023-24 Q3", "48")], &goals);
    assert_eq!((r.target, r.status), (Some(d("48")), Green));
    let r = rated(&c, "2023-24 Q1", &[("2023-24 Q1", "7.19")], &goals);
    assert_eq!(
        (r.target, r.status),
        (Some(d("8")), Red),
        "10% of 80 is 8; amber from 7.2"
    );
}

#[test]
fn lower_is_better_mirrors() {
    // Complaints so far this year, 40 a year at most: 20 by the end of Q2.
    let c = measure(Cumulative, Frequency::Quarterly, LowerIsBetter);
    let status = |v: &str| rated(&c, "2023-24 Q2", &[("2023-24 Q2", v)], &[("2023-24", "40")]).status;
    assert_eq!(status("20"), Green);
    assert_eq!(status("22"), Amber);
    assert_eq!(status("22.01"), Red);
    assert_eq!(status("3"), Green);
}

#[test]
fn the_floor_is_profiled_like_the_target() {
    let c = MeasureRules {
        rag: RagRule::new(RagMethod::Floor, None),
        ..quarterly(Cumulative)
    };
    let goals = [("2023-24", "80/60")];
    let r = rated(&c, "2023-24 Q2", &[("2023-24 Q2", "30")], &goals);
    assert_eq!(
        (r.target, r.floor, r.status),
        (Some(d("40")), Some(d("30")), Amber)
    );
    let r = rated(&c, "2023-24 Q2", &[("2023-24 Q2", "29.99")], &goals);
    assert_eq!(r.status, Red);
    // A quarter's own target brings its own floor, or none.
    let goals = [("2023-24", "80/60"), ("2023-24 Q2", "50")];
    let r = rated(&c, "2023-24 Q2", &[("2023-24 Q2", "45")], &goals);
    assert_eq!((r.target, r.floor, r.status), (Some(d("50")), None, Red));
}

#[test]
fn a_month_aims_at_twelfths() {
    let c = measure(Cumulative, Frequency::Monthly, HigherIsBetter);
    let annual = [("2023-24", "120")];
    for (month, target) in [
        ("2023-04", "10"),
        ("2023-05", "20"),
        ("2023-12", "90"),
        ("2024-03", "120"),
    ] {
        let r = rated(&c, month, &[(month, target)], &annual);
        assert_eq!((r.target, r.status), (Some(d(target)), Green), "{month}");
    }
    // A quarter's target is not a month's: May still aims at 20.
    let goals = [("2023-24", "120"), ("2023-24 Q1", "35")];
    assert_eq!(
        rated(&c, "2023-05", &[("2023-05", "20")], &goals).target,
        Some(d("20"))
    );
    // A profile of twelve.
    let c = with_profile(c, "5;10;20;30;40;50;60;70;80;90;95;100");
    assert_eq!(
        rated(&c, "2023-06", &[("2023-06", "24")], &annual).target,
        Some(d("24"))
    );
}

#[test]
fn missing_values_and_targets() {
    let c = quarterly(Cumulative);
    let r = rated(&c, "2023-24 Q2", &[], ANNUAL_80);
    assert_eq!(
        (r.status, r.direction, r.target),
        (NoData, NotComparable, Some(d("40")))
    );
    let r = rated(&c, "2023-24 Q2", &[("2023-24 Q2", "40")], &[]);
    assert_eq!((r.status, r.target), (NoTarget, None));
    // Another year's annual target is not this year's.
    let r = rated(&c, "2023-24 Q2", &[("2023-24 Q2", "40")], &[("2022-23", "80")]);
    assert_eq!(r.status, NoTarget);
}

#[test]
fn direction_compares_the_same_quarter_last_year() {
    let c = quarterly(Cumulative);
    // Up on Q1 (a year to date always is) but down on Q2 last year.
    let values = [("2023-24 Q1", "30"), ("2023-24 Q2", "50"), ("2022-23 Q2", "55")];
    let r = rated(&c, "2023-24 Q2", &values, ANNUAL_80);
    assert_eq!((r.direction, r.previous_value), (Declining, Some(d("55"))));
    assert!(inputs(&c, &p("2023-24 Q2")).contains(&p("2022-23 Q2")));
    // Without Q2 last year there is nothing like to compare with.
    let r = rated(&c, "2023-24 Q2", &values[..2], ANNUAL_80);
    assert_eq!((r.direction, r.previous_value), (NotComparable, None));
    // Lower is better: 50 after 55 is better.
    let lower = measure(Cumulative, Frequency::Quarterly, LowerIsBetter);
    assert_eq!(
        rated(&lower, "2023-24 Q2", &values, ANNUAL_80).direction,
        Improving
    );
    // The plan's stable band applies: 5 off 55 is within 10% of it (5.5).
    let banded = MeasureRules {
        direction: DirectionRule {
            stable_band_percent: d("10"),
            ..c.direction
        },
        ..c.clone()
    };
    assert_eq!(rated(&banded, "2023-24 Q2", &values, ANNUAL_80).direction, Stable);
    // Equal: maintained.
    let r = rated(
        &c,
        "2023-24 Q2",
        &[("2023-24 Q2", "55"), ("2022-23 Q2", "55")],
        ANNUAL_80,
    );
    assert_eq!(r.direction, Stable);
}

#[test]
fn whatever_the_plans_direction_method() {
    for plan in [
        DirectionMethod::PreviousPeriod,
        DirectionMethod::SamePeriodLastYear,
        DirectionMethod::Trend,
    ] {
        for a in [Cumulative, Rolling] {
            assert_eq!(direction_method(a, plan), DirectionMethod::SamePeriodLastYear);
        }
        assert_eq!(direction_method(Accumulation::Period, plan), plan, "as today");
    }
}

#[test]
fn a_rolling_value_is_rated_against_the_annual_target_as_is() {
    let r = with_profile(quarterly(Rolling), "10;30;60;100");
    let values = [("2023-24 Q2", "75"), ("2023-24 Q1", "70"), ("2022-23 Q2", "76")];
    let got = rated(&r, "2023-24 Q2", &values, ANNUAL_80);
    assert_eq!((got.target, got.status), (Some(d("80")), Amber));
    assert_eq!((got.direction, got.previous_value), (Declining, Some(d("76"))));
    // Its quarter's own target as for any measure.
    let goals = [("2023-24", "80"), ("2023-24 Q2", "75")];
    assert_eq!(rated(&r, "2023-24 Q2", &values, &goals).status, Green);
}

#[test]
fn asked_for_the_year_a_cumulative_measure_answers_with_its_outturn() {
    let c = quarterly(Cumulative);
    assert_eq!(
        reported_candidates(Frequency::Quarterly, &p("2023-24")),
        [p("2023-24 Q1"), p("2023-24 Q2"), p("2023-24 Q3"), p("2023-24 Q4")]
    );
    let values = [
        ("2023-24 Q1", "20"),
        ("2023-24 Q2", "41"),
        ("2023-24 Q3", "59"),
        ("2023-24 Q4", "78"),
        ("2022-23 Q4", "75"),
    ];
    let r = rated(&c, "2023-24", &values, ANNUAL_80);
    assert_eq!(r.reported, p("2023-24 Q4"));
    assert_eq!(
        (r.value, r.target, r.status),
        (Some(d("78")), Some(d("80")), Amber)
    );
    assert_eq!((r.direction, r.previous_value), (Improving, Some(d("75"))));
    // Before Q4 is in, the year to date so far, against its share.
    let r = rated(&c, "2023-24", &values[..3], ANNUAL_80);
    assert_eq!(r.reported, p("2023-24 Q3"));
    assert_eq!(
        (r.value, r.target, r.status),
        (Some(d("59")), Some(d("60")), Amber)
    );
}

#[test]
fn profiled_shares() {
    let annual = d("95.5");
    assert_eq!(profiled(annual, None, &p("2023-24 Q1")), d("23.875"));
    assert_eq!(profiled(annual, None, &p("2023-24 Q4")), annual);
    assert_eq!(profiled(annual, None, &p("2023-24")), annual, "a year is its own");
    let profile = [d("30"), d("57.5"), d("85"), d("100")];
    assert_eq!(profiled(annual, Some(&profile), &p("2023-24 Q2")), d("54.9125"));
    // A profile of another frequency's length is not this one's.
    assert_eq!(profiled(d("120"), Some(&profile), &p("2023-05")), d("20"));
    assert_eq!(profiled(d("120"), None, &p("2024-03")), d("120"));
    assert_eq!(profiled(d("120"), None, &p("2024-01")), d("100"));
}

#[test]
fn positions_in_the_year() {
    assert_eq!(p("2023-04").position_in_year(), (1, 12));
    assert_eq!(p("2023-12").position_in_year(), (9, 12));
    assert_eq!(p("2024-03").position_in_year(), (12, 12));
    assert_eq!(p("2023-24 Q3").position_in_year(), (3, 4));
    assert_eq!(p("2023-24").position_in_year(), (1, 1));
}

#[test]
fn a_profile_reads_and_writes_as_semicolon_separated_percents() {
    let profile: Profile = "25; 50;75.0;100".parse().unwrap();
    assert_eq!(profile.0, [d("25"), d("50"), d("75"), d("100")]);
    assert_eq!(profile.to_string(), "25;50;75;100");
    assert!("25;;100".parse::<Profile>().is_err());
    assert!("a".parse::<Profile>().is_err());
}
