//! Croydon's escalation report (Cabinet, May 2024, §8.2–8.3) as
//! docs/contract.md ("Breakdowns, exceptions and escalation") defines it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::enums::ActionStatus::{Done, Dropped, InProgress, NotStarted};
use crate::enums::EscalationCriterion::{NoEffectiveActionPlan, RedConsecutive, Worsening};
use crate::enums::Polarity::{HigherIsBetter, LowerIsBetter, None as NoPolarity};
use crate::enums::RagStatus::{Amber, Green, NoData, NoTarget, Red};
use crate::enums::{EscalationCriterion, Polarity, RagStatus};
use crate::escalation::{
    ActionState, DEFAULT_REPORT_CONSECUTIVE, Window, action_is_overdue, criteria, no_effective_action_plan,
    order, worse,
};

fn d(s: &str) -> Option<Decimal> {
    Some(s.parse().unwrap())
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

const TODAY: &str = "2024-05-15";

fn window(polarity: Polarity, statuses: &[RagStatus], now: &str, then: &str, no_plan: bool) -> Window {
    Window {
        polarity,
        statuses: statuses.to_vec(),
        now: if now.is_empty() { None } else { d(now) },
        then: if then.is_empty() { None } else { d(then) },
        no_effective_action_plan: no_plan,
    }
}

fn met(w: &Window) -> Option<Vec<EscalationCriterion>> {
    criteria(w, DEFAULT_REPORT_CONSECUTIVE)
}

#[test]
fn only_a_measure_red_in_the_period_is_reported() {
    for last in [Green, Amber, NoTarget, NoData] {
        let w = window(HigherIsBetter, &[Red, Red, last], "10", "50", true);
        assert_eq!(met(&w), None, "{last:?}");
    }
    let w = window(HigherIsBetter, &[Green, Green, Red], "60", "50", false);
    assert_eq!(met(&w), Some(vec![]), "red now, meeting nothing");
}

#[test]
fn every_criterion_higher_is_better() {
    let w = window(HigherIsBetter, &[Red, Red, Red], "40", "45", true);
    assert_eq!(
        met(&w),
        Some(vec![RedConsecutive, Worsening, NoEffectiveActionPlan])
    );
    let w = window(HigherIsBetter, &[Red, Red, Red], "46", "45", false);
    assert_eq!(met(&w), Some(vec![RedConsecutive]));
    let w = window(HigherIsBetter, &[Amber, Amber, Red], "40", "45", false);
    assert_eq!(met(&w), Some(vec![Worsening]));
    let w = window(HigherIsBetter, &[Amber, Amber, Red], "45", "45", true);
    assert_eq!(met(&w), Some(vec![NoEffectiveActionPlan]), "equal is not worse");
}

#[test]
fn every_criterion_lower_is_better() {
    let w = window(LowerIsBetter, &[Red, Red, Red], "12", "9", true);
    assert_eq!(
        met(&w),
        Some(vec![RedConsecutive, Worsening, NoEffectiveActionPlan])
    );
    let w = window(LowerIsBetter, &[Red, Red, Red], "8", "9", false);
    assert_eq!(met(&w), Some(vec![RedConsecutive]));
    assert!(worse(LowerIsBetter, d("9.01"), d("9")));
    assert!(!worse(LowerIsBetter, d("8.99"), d("9")));
    assert!(!worse(NoPolarity, d("1"), d("9")), "no polarity, no worse");
}

#[test]
fn a_broken_run_of_reds_is_not_consecutive() {
    for statuses in [[Red, Amber, Red], [Amber, Red, Red], [Red, NoData, Red]] {
        let w = window(HigherIsBetter, &statuses, "40", "40", false);
        assert_eq!(met(&w), Some(vec![]), "{statuses:?}");
    }
    let w = window(HigherIsBetter, &[Red, Red, Red, Red], "40", "40", false);
    assert_eq!(criteria(&w, 4), Some(vec![RedConsecutive]));
    assert_eq!(criteria(&w, 5), Some(vec![]), "a window shorter than asked for");
}

#[test]
fn missing_results_in_the_window_are_not_worsening() {
    let w = window(HigherIsBetter, &[NoData, Red, Red], "40", "", false);
    assert_eq!(met(&w), Some(vec![]));
    let w = window(HigherIsBetter, &[Red, Red, Red], "", "50", false);
    assert!(!worse(HigherIsBetter, w.now, w.then));
}

#[test]
fn action_plans_with_and_without_overdue_actions() {
    let today = day(TODAY);
    let a = |status, due: &str| ActionState {
        status,
        due_on: if due.is_empty() { None } else { Some(day(due)) },
    };
    assert!(no_effective_action_plan(&[], today), "no plan at all");
    let closed = vec![a(Done, "2024-01-01"), a(Dropped, "2024-01-01")];
    assert!(
        no_effective_action_plan(std::slice::from_ref(&closed), today),
        "no open plan"
    );
    let on_track = vec![a(InProgress, "2024-06-30"), a(NotStarted, "")];
    assert!(!no_effective_action_plan(std::slice::from_ref(&on_track), today));
    let slipping = vec![a(InProgress, "2024-05-14"), a(NotStarted, "2024-09-30")];
    assert!(
        no_effective_action_plan(std::slice::from_ref(&slipping), today),
        "its open plan has an overdue action"
    );
    assert!(
        !no_effective_action_plan(&[slipping.clone(), on_track], today),
        "one open plan on track is in effect"
    );
    assert!(no_effective_action_plan(&[slipping, closed], today));
    assert!(
        !action_is_overdue(InProgress, Some(today), today),
        "due today is not overdue"
    );
    assert!(
        !action_is_overdue(Done, Some(day("2020-01-01")), today),
        "done is never overdue"
    );
}

#[test]
fn the_report_reads_most_criteria_first_then_reporting_order() {
    let mut entries = vec![
        ("none", vec![]),
        ("one", vec![Worsening]),
        ("three", vec![RedConsecutive, Worsening, NoEffectiveActionPlan]),
        ("two-a", vec![RedConsecutive, NoEffectiveActionPlan]),
        ("two-b", vec![Worsening, NoEffectiveActionPlan]),
    ];
    order(&mut entries);
    let names: Vec<&str> = entries.iter().map(|e| e.0).collect();
    assert_eq!(names, ["three", "two-a", "two-b", "one", "none"]);
}

#[test]
fn a_plan_without_actions_is_no_plan_in_place() {
    let today = day(TODAY);
    assert!(no_effective_action_plan(&[vec![]], today));
}

#[test]
fn a_window_of_one_period_is_a_run_of_one() {
    let w = window(HigherIsBetter, &[Red], "40", "40", false);
    assert_eq!(criteria(&w, 1), Some(vec![RedConsecutive]));
    let w = window(LowerIsBetter, &[Amber], "40", "40", true);
    assert_eq!(criteria(&w, 1), None);
}
