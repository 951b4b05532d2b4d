//! Year-end forecasts worked by hand: each method, both polarities, the
//! year's last period, monthly measures, and what leaves no forecast.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use rust_decimal::Decimal;

use crate::enums::{Accumulation, ForecastMethod, Frequency, MeasureKind, Polarity, RagMethod, RagStatus};
use crate::forecast::{Forecast, forecast, inputs};
use crate::period::Period;
use crate::rating::{Goal, MeasureRules};
use crate::rules::{DirectionRule, RagRule};

use ForecastMethod::{Entered, Profile, Trend};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn p(s: &str) -> Period {
    s.parse().unwrap()
}

fn rules(polarity: Polarity, method: RagMethod, frequency: Frequency) -> MeasureRules {
    MeasureRules {
        polarity,
        kind: MeasureKind::Council,
        frequency,
        rag: RagRule::new(method, None),
        direction: DirectionRule::default(),
        forecast: Some(Trend),
        accumulation: crate::enums::Accumulation::Period,
        target_profile: None,
        breaks: Vec::new(),
    }
}

/// The forecast at `at` from `values` (period, value) and a year target.
fn run(
    method: ForecastMethod,
    rules: &MeasureRules,
    at: &str,
    values: &[(&str, &str)],
    target: Option<&str>,
    entered: Option<&str>,
) -> Option<Forecast> {
    let values: HashMap<Period, Decimal> = values.iter().map(|(k, v)| (p(k), d(v))).collect();
    let year = p(at).financial_year();
    forecast(
        method,
        rules,
        &p(at),
        |q| values.get(q).copied(),
        |q| {
            target.filter(|_| *q == year).map(|t| Goal {
                target: d(t),
                floor: None,
            })
        },
        entered.map(d),
    )
}

fn value_and_status(f: Option<Forecast>) -> Option<(Decimal, RagStatus)> {
    f.map(|f| (f.value, f.status))
}

#[test]
fn trend_carries_the_years_line_to_its_last_quarter() {
    let r = rules(
        Polarity::HigherIsBetter,
        RagMethod::Tolerance,
        Frequency::Quarterly,
    );
    // Q1 10, Q2 20: ten a quarter, so 40 at Q4; against 35, green.
    let f = run(
        Trend,
        &r,
        "2024-25 Q2",
        &[("2024-25 Q1", "10"), ("2024-25 Q2", "20")],
        Some("35"),
        None,
    )
    .unwrap();
    assert_eq!(
        (f.value, f.status, f.period),
        (d("40"), RagStatus::Green, p("2024-25 Q4"))
    );
    assert_eq!(f.target, Some(d("35")));
    // 10, 20, 27: slope 51/6 = 8.5, intercept 10.5, at Q4 36: exactly 10%
    // short of 40, so amber; 36.01 short of a target of 40.01 is red.
    let year = [("2024-25 Q1", "10"), ("2024-25 Q2", "20"), ("2024-25 Q3", "27")];
    assert_eq!(
        value_and_status(run(Trend, &r, "2024-25 Q3", &year, Some("40"), None)),
        Some((d("36"), RagStatus::Amber))
    );
    assert_eq!(
        run(Trend, &r, "2024-25 Q3", &year, Some("40.1"), None)
            .unwrap()
            .status,
        RagStatus::Red
    );
    // Last year's figures are not this year's trend: one point is none.
    let one = [("2023-24 Q4", "5"), ("2024-25 Q1", "10")];
    assert_eq!(run(Trend, &r, "2024-25 Q1", &one, Some("35"), None), None);
    // A missing quarter leaves the others on their own positions.
    let gap = [("2024-25 Q1", "10"), ("2024-25 Q3", "30")];
    assert_eq!(
        value_and_status(run(Trend, &r, "2024-25 Q3", &gap, Some("40"), None)),
        Some((d("40"), RagStatus::Green))
    );
}

#[test]
fn lower_is_better_mirrors_the_status_not_the_line() {
    let r = rules(
        Polarity::LowerIsBetter,
        RagMethod::Tolerance,
        Frequency::Quarterly,
    );
    let rising = [("2024-25 Q1", "10"), ("2024-25 Q2", "20")];
    // 40 against a ceiling of 30 (amber to 33): red; against 40, green.
    assert_eq!(
        value_and_status(run(Trend, &r, "2024-25 Q2", &rising, Some("30"), None)),
        Some((d("40"), RagStatus::Red))
    );
    assert_eq!(
        run(Trend, &r, "2024-25 Q2", &rising, Some("40"), None)
            .unwrap()
            .status,
        RagStatus::Green
    );
}

#[test]
fn a_monthly_line_runs_to_march() {
    let r = rules(Polarity::HigherIsBetter, RagMethod::Tolerance, Frequency::Monthly);
    // April 1, May 2: one a month, 12 by March.
    let f = run(
        Trend,
        &r,
        "2024-05",
        &[("2024-04", "1"), ("2024-05", "2")],
        Some("12"),
        None,
    )
    .unwrap();
    assert_eq!(
        (f.value, f.period, f.status),
        (d("12"), p("2025-03"), RagStatus::Green)
    );
}

#[test]
fn profile_scales_the_year_to_date_by_the_share_reached() {
    let periodic = rules(
        Polarity::HigherIsBetter,
        RagMethod::Tolerance,
        Frequency::Quarterly,
    );
    let q1 = [("2024-25 Q1", "28.1")];
    assert_eq!(
        run(Profile, &periodic, "2024-25 Q1", &q1, Some("95.5"), None),
        None,
        "only an accumulating year to date scales up"
    );
    // Even steps: a quarter's share is 25% for each quarter gone.
    let r = MeasureRules {
        accumulation: Accumulation::Cumulative,
        ..periodic.clone()
    };
    // The council's own profile: 30% by Q1, so 28.1 is 93.67 (to 28 places), amber.
    let profiled = MeasureRules {
        target_profile: Some(vec![d("30"), d("57.5"), d("85"), d("100")]),
        ..r.clone()
    };
    let f = run(Profile, &profiled, "2024-25 Q1", &q1, Some("95.5"), None).unwrap();
    assert_eq!((f.value.round_dp(2), f.status), (d("93.67"), RagStatus::Amber));
    // 28.1 at a quarter (25%): 112.4 by year end; 54.6 at half: 109.2.
    assert_eq!(
        run(
            Profile,
            &r,
            "2024-25 Q1",
            &[("2024-25 Q1", "28.1")],
            Some("95.5"),
            None
        )
        .unwrap()
        .value,
        d("112.4")
    );
    let f = run(
        Profile,
        &r,
        "2024-25 Q2",
        &[("2024-25 Q2", "54.6")],
        Some("95.5"),
        None,
    )
    .unwrap();
    assert_eq!((f.value, f.status), (d("109.2"), RagStatus::Green));
    // 21 at a quarter is 84 by year end: more than 10% short of 95.5 (85.95).
    assert_eq!(
        run(
            Profile,
            &r,
            "2024-25 Q1",
            &[("2024-25 Q1", "21")],
            Some("95.5"),
            None
        )
        .unwrap()
        .status,
        RagStatus::Red
    );
}

#[test]
fn entered_is_the_officers_own() {
    let r = rules(
        Polarity::HigherIsBetter,
        RagMethod::Tolerance,
        Frequency::Quarterly,
    );
    let q1 = [("2024-25 Q1", "28.1")];
    assert_eq!(
        value_and_status(run(Entered, &r, "2024-25 Q1", &q1, Some("95.5"), Some("90"))),
        Some((d("90"), RagStatus::Amber))
    );
    assert_eq!(
        run(Entered, &r, "2024-25 Q1", &q1, Some("95.5"), None),
        None,
        "nothing entered"
    );
}

#[test]
fn the_years_last_period_forecasts_its_outturn() {
    let r = rules(
        Polarity::HigherIsBetter,
        RagMethod::Tolerance,
        Frequency::Quarterly,
    );
    let q4 = [("2024-25 Q4", "96")];
    for method in [Trend, Profile, Entered] {
        let f = run(method, &r, "2024-25 Q4", &q4, Some("95.5"), None).unwrap();
        assert_eq!((f.value, f.status), (d("96"), RagStatus::Green), "{method:?}");
    }
}

#[test]
fn nothing_to_go_on_leaves_no_forecast() {
    let r = rules(
        Polarity::HigherIsBetter,
        RagMethod::Tolerance,
        Frequency::Quarterly,
    );
    // No result at the period itself.
    assert_eq!(
        run(Trend, &r, "2024-25 Q2", &[("2024-25 Q1", "10")], Some("35"), None),
        None
    );
    // An annual measure: the year is its period.
    let annual = rules(Polarity::HigherIsBetter, RagMethod::Tolerance, Frequency::Annual);
    assert_eq!(
        run(Trend, &annual, "2024-25", &[("2024-25", "10")], Some("35"), None),
        None
    );
    assert_eq!(inputs(&p("2024-25")), Vec::<Period>::new());
    // No year target: a forecast, but nothing to rate it against.
    let f = run(
        Trend,
        &r,
        "2024-25 Q2",
        &[("2024-25 Q1", "10"), ("2024-25 Q2", "20")],
        None,
        None,
    )
    .unwrap();
    assert_eq!((f.value, f.status), (d("40"), RagStatus::NoTarget));
}

#[test]
fn improvement_rates_the_forecast_against_last_years_outturn() {
    let r = rules(
        Polarity::HigherIsBetter,
        RagMethod::Improvement,
        Frequency::Quarterly,
    );
    // 40 by year end against 50: more than 10% short; last year ended at 39.
    let values = [("2023-24 Q4", "39"), ("2024-25 Q1", "10"), ("2024-25 Q2", "20")];
    assert_eq!(
        run(Trend, &r, "2024-25 Q2", &values, Some("50"), None)
            .unwrap()
            .status,
        RagStatus::Amber
    );
    let values = [("2023-24 Q4", "41"), ("2024-25 Q1", "10"), ("2024-25 Q2", "20")];
    assert_eq!(
        run(Trend, &r, "2024-25 Q2", &values, Some("50"), None)
            .unwrap()
            .status,
        RagStatus::Red
    );
    assert_eq!(
        inputs(&p("2024-25 Q2")),
        [p("2024-25 Q1"), p("2024-25 Q2"), p("2023-24 Q4")]
    );
}
