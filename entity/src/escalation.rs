//! Croydon's escalation report, as its Cabinet report (May 2024, §8.2–8.3)
//! defines it: a measure RED in the period enters the report with the
//! criteria it meets, and the report reads most criteria first.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::enums::{ActionStatus, EscalationCriterion, Polarity, RagStatus};
use crate::rules::escalated;

/// Periods the report looks back over, by default: three quarters.
pub const DEFAULT_REPORT_CONSECUTIVE: u32 = 3;

/// The longest window a report may ask for: three years of quarters.
pub const MAX_REPORT_CONSECUTIVE: u32 = 12;

/// Neither done nor dropped.
pub fn action_is_open(status: ActionStatus) -> bool {
    !matches!(status, ActionStatus::Done | ActionStatus::Dropped)
}

/// Open and past its due date.
pub fn action_is_overdue(status: ActionStatus, due_on: Option<NaiveDate>, today: NaiveDate) -> bool {
    action_is_open(status) && due_on.is_some_and(|d| d < today)
}

/// One action of an action plan, as the report needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActionState {
    pub status: ActionStatus,
    pub due_on: Option<NaiveDate>,
}

/// No open action plan (one with an open action), or every open one has an
/// overdue action: the plan in place is having no effect.
pub fn no_effective_action_plan(plans: &[Vec<ActionState>], today: NaiveDate) -> bool {
    let mut open = plans
        .iter()
        .filter(|actions| actions.iter().any(|a| action_is_open(a.status)))
        .peekable();
    open.peek().is_none()
        || open.all(|actions| {
            actions
                .iter()
                .any(|a| action_is_overdue(a.status, a.due_on, today))
        })
}

/// Whether `now` is worse than `then` by the measure's polarity; unknown
/// when either is missing or the polarity is NONE.
pub fn worse(polarity: Polarity, now: Option<Decimal>, then: Option<Decimal>) -> bool {
    match (polarity, now, then) {
        (Polarity::HigherIsBetter, Some(now), Some(then)) => now < then,
        (Polarity::LowerIsBetter, Some(now), Some(then)) => now > then,
        _ => false,
    }
}

/// What the report knows of one measure over its window.
#[derive(Clone, Debug)]
pub struct Window {
    pub polarity: Polarity,
    /// Statuses of the `consecutive` periods up to and including the one
    /// reported, oldest first.
    pub statuses: Vec<RagStatus>,
    /// The result in the period reported.
    pub now: Option<Decimal>,
    /// The result `consecutive − 1` periods earlier.
    pub then: Option<Decimal>,
    pub no_effective_action_plan: bool,
}

/// The criteria a measure meets, in the report's order; `None` when it is
/// not RED in the period reported and so is not in the report at all.
pub fn criteria(w: &Window, consecutive: u32) -> Option<Vec<EscalationCriterion>> {
    if w.statuses.last() != Some(&RagStatus::Red) {
        return None;
    }
    let met = [
        (
            escalated(&w.statuses, consecutive),
            EscalationCriterion::RedConsecutive,
        ),
        (worse(w.polarity, w.now, w.then), EscalationCriterion::Worsening),
        (
            w.no_effective_action_plan,
            EscalationCriterion::NoEffectiveActionPlan,
        ),
    ];
    Some(met.into_iter().filter_map(|(yes, c)| yes.then_some(c)).collect())
}

/// Orders report entries by how many criteria each meets, most first;
/// entries meeting as many keep the order given (reporting order).
pub fn order<T>(entries: &mut [(T, Vec<EscalationCriterion>)]) {
    entries.sort_by_key(|(_, c)| std::cmp::Reverse(c.len()));
}
