//! Sets of measures and their ratings, shared by the resolvers that count,
//! compare and list them. Every function here costs a fixed number of loader
//! batches, whatever the number of measures.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use entity::definitions;
use entity::escalation::{self, ActionState, MAX_REPORT_CONSECUTIVE, Window};
use entity::model::{measure, plan_node};
use entity::rules::{escalated, status_rank};
use entity::{EscalationCriterion, Frequency, Period, RagStatus};

use super::rated::{MAX_PERIODS, Rating};
use super::ratings::Ratings;
use crate::archive::is_live;
use crate::error::{ApiError, ApiResult};
use crate::loaders::Shared;
use crate::loaders::{Loaders, Rows};

pub async fn plan_nodes(rows: &Loaders, plan_id: i64) -> Shared<Rows<plan_node::Model>> {
    Ok(rows.plan_rows(plan_id).await?.nodes)
}

/// The plan's measures, archived ones left out, that pass `keep`.
pub async fn plan_measures_where(
    rows: &Loaders,
    plan_id: i64,
    keep: impl Fn(&measure::Model) -> bool,
) -> Shared<Vec<measure::Model>> {
    let measures = rows.plan_rows(plan_id).await?.measures;
    Ok(measures
        .iter()
        .filter(|m| is_live(*m) && keep(m))
        .cloned()
        .collect())
}

pub async fn plan_measures(rows: &Loaders, plan_id: i64) -> Shared<Vec<measure::Model>> {
    plan_measures_where(rows, plan_id, |_| true).await
}

/// The measures of a plan under any of `node_ids` (at any depth) or named in
/// `measure_ids`, in the plan's order.
pub async fn measures_under(
    rows: &Loaders,
    plan_id: i64,
    node_ids: &[i64],
    measure_ids: &[i64],
) -> Shared<Vec<measure::Model>> {
    let nodes = plan_nodes(rows, plan_id).await?;
    let inside = subtree(&nodes, node_ids);
    let named: HashSet<i64> = measure_ids.iter().copied().collect();
    plan_measures_where(rows, plan_id, |m| {
        named.contains(&m.id) || m.node_id.is_some_and(|n| inside.contains(&n))
    })
    .await
}

/// The nodes at or beneath `roots`.
fn subtree(nodes: &[plan_node::Model], roots: &[i64]) -> HashSet<i64> {
    let mut children: HashMap<i64, Vec<i64>> = HashMap::new();
    for n in nodes {
        if let Some(p) = n.parent_id {
            children.entry(p).or_default().push(n.id);
        }
    }
    let mut out = HashSet::new();
    let mut stack: Vec<i64> = roots.to_vec();
    while let Some(id) = stack.pop() {
        if out.insert(id) {
            stack.extend(children.get(&id).into_iter().flatten());
        }
    }
    out
}

/// The measures in a panel's remit, across whichever plans it reaches.
pub async fn panel_measures(l: &Loaders, panel_id: i64) -> Shared<Vec<measure::Model>> {
    let remit = l.remit_of_panel.load_one(panel_id).await?.unwrap_or_default();
    let node_ids: Vec<i64> = remit.iter().filter_map(|r| r.node_id).collect();
    let measure_ids: Vec<i64> = remit.iter().filter_map(|r| r.measure_id).collect();
    let nodes = l.node.load_many(node_ids.iter().copied()).await?;
    let named = l.measure.load_many(measure_ids.iter().copied()).await?;
    let mut plan_ids: Vec<i64> = nodes
        .values()
        .map(|n| n.plan_id)
        .chain(named.values().map(|m| m.plan_id))
        .collect();
    plan_ids.sort_unstable();
    plan_ids.dedup();
    let of_plans = l.of_plan.load_many(plan_ids.iter().copied()).await?;
    let named: HashSet<i64> = measure_ids.into_iter().collect();
    let mut out = Vec::new();
    for pid in plan_ids {
        let Some(of_plan) = of_plans.get(&pid) else {
            continue;
        };
        let inside = subtree(&of_plan.nodes, &node_ids);
        out.extend(
            of_plan
                .measures
                .iter()
                .filter(|m| is_live(*m))
                .filter(|m| named.contains(&m.id) || m.node_id.is_some_and(|n| inside.contains(&n)))
                .cloned(),
        );
    }
    Ok(out)
}

pub async fn published_periods(rows: &Loaders, plan_id: i64) -> Shared<Vec<Period>> {
    let publications = rows.plan_rows(plan_id).await?.publications;
    let mut periods: Vec<Period> = publications.iter().map(|p| p.period).collect();
    periods.sort();
    periods.dedup();
    Ok(periods)
}

/// Refuses a series too long to be a chart.
pub fn check_span(frequency: Frequency, from: Option<Period>, to: Option<Period>) -> ApiResult<()> {
    let (Some(from), Some(to)) = (from, to) else {
        return Ok(());
    };
    if to < from {
        return Err(ApiError::BadUserInput(format!(
            "`to` ({to}) is before `from` ({from})"
        )));
    }
    let kind = frequency.period_kind();
    let first = Period::containing(kind, from.start_date());
    let last = Period::containing(kind, to.end_date());
    let n = first
        .offset(i64::from(MAX_PERIODS))
        .is_some_and(|cap| cap <= last);
    if n {
        return Err(ApiError::BadUserInput(format!(
            "a series holds at most {MAX_PERIODS} periods: ask for a shorter range"
        )));
    }
    Ok(())
}

/// The RED and AMBER ratings: what a report's exceptions section discusses.
pub fn exceptions(ratings: Vec<Rating>) -> Vec<Rating> {
    ratings
        .into_iter()
        .filter(|r| matches!(r.rated.status, RagStatus::Red | RagStatus::Amber))
        .collect()
}

/// How each measure's status moved between two periods.
pub struct Moves {
    /// Moved up GREEN > AMBER > RED.
    pub improved: Vec<(Rating, Rating)>,
    pub worsened: Vec<(Rating, Rating)>,
    /// Changed to or from NO_TARGET or NO_DATA: no rank to compare.
    pub unrated: Vec<(Rating, Rating)>,
}

/// Pairs `before` and `after` by position (both rate the same measures in
/// the same order).
pub fn moves(before: &[Rating], after: &[Rating]) -> Moves {
    let mut m = Moves {
        improved: Vec::new(),
        worsened: Vec::new(),
        unrated: Vec::new(),
    };
    for (a, b) in before.iter().zip(after) {
        if a.rated.status == b.rated.status {
            continue;
        }
        let pair = (a.clone(), b.clone());
        // A move across a definition change compares two different measures.
        let crosses = definitions::before(b.rated.since, &a.rated.reported);
        match (status_rank(a.rated.status), status_rank(b.rated.status)) {
            (Some(x), Some(y)) if y > x && !crosses => m.improved.push(pair),
            (Some(_), Some(_)) if !crosses => m.worsened.push(pair),
            _ => m.unrated.push(pair),
        }
    }
    m
}

/// One measure's statuses over a window, oldest first: a period it has no
/// rating for, or from before a definition change in force at the window's
/// last period, is NO_DATA, so no run of reds spans the change.
fn series_statuses(run: &[Option<&Rating>]) -> Vec<RagStatus> {
    let since = run.last().copied().flatten().and_then(|r| r.rated.since);
    run.iter()
        .map(|r| {
            r.filter(|r| !definitions::before(since, &r.rated.reported))
                .map_or(RagStatus::NoData, |r| r.rated.status)
        })
        .collect()
}

/// A client's `consecutive`, refused unless it is 1 to `max`.
fn run_length(consecutive: i32, max: u32) -> ApiResult<u32> {
    u32::try_from(consecutive)
        .ok()
        .filter(|n| (1..=max).contains(n))
        .ok_or_else(|| ApiError::BadUserInput(format!("consecutive must be 1 to {max}")))
}

/// The measures RED at `period` and in each of the `consecutive − 1`
/// periods before it: one loader batch for the whole window.
pub async fn escalations(
    rows: &Loaders,
    ratings: &Ratings,
    measures: Vec<measure::Model>,
    period: Period,
    consecutive: i32,
) -> Shared<Vec<measure::Model>> {
    let n = run_length(consecutive, MAX_PERIODS)?;
    let window = period.window(n);
    let rated = ratings.rate(rows, &measures, &window).await?;
    // rated[i][j]: the j-th measure at the i-th period of the window.
    Ok(measures
        .into_iter()
        .enumerate()
        .filter(|(j, m)| {
            let run: Vec<Option<&Rating>> = rated
                .iter()
                .map(|at| at.get(*j).filter(|r| r.measure_id == m.id))
                .collect();
            escalated(&series_statuses(&run), n)
        })
        .map(|(_, m)| m)
        .collect())
}

/// Croydon's escalation report at `period`: the measures RED there, each
/// with the criteria it meets, most first. The window is rated in one pass
/// through the read model, so a period the viewer may not read is NO_DATA
/// (nothing RED, an empty report) and a hidden earlier period neither makes
/// a run of reds nor a value to worsen from. The action plans of every RED
/// measure, and their actions, are two loader batches.
pub async fn escalation_report(
    rows: &Loaders,
    ratings: &Ratings,
    measures: &[measure::Model],
    period: Period,
    consecutive: i32,
    today: NaiveDate,
) -> Shared<Vec<(Rating, Vec<EscalationCriterion>)>> {
    let n = run_length(consecutive, MAX_REPORT_CONSECUTIVE)?;
    let window = period.window(n);
    let rated = ratings.rate(rows, measures, &window).await?;
    // rated[i][j]: the j-th measure at the i-th period of the window.
    let at = |i: usize, m: &measure::Model, j: usize| rated.get(i)?.get(j).filter(|r| r.measure_id == m.id);
    let last = window.len().saturating_sub(1);
    let red: Vec<(usize, &measure::Model)> = measures
        .iter()
        .enumerate()
        .filter(|(j, m)| at(last, m, *j).is_some_and(|r| r.rated.status == RagStatus::Red))
        .collect();
    // Ids collected first: an iterator of closures held across an await
    // makes the future not `Send`.
    let red_ids: Vec<i64> = red.iter().map(|(_, m)| m.id).collect();
    let plans = rows.action_plans_of_measure.load_many(red_ids).await?;
    let plan_ids: Vec<i64> = plans.values().flat_map(|ps| ps.iter()).map(|p| p.id).collect();
    let actions = rows.actions_of_plan.load_many(plan_ids).await?;
    let mut report = Vec::with_capacity(red.len());
    for (j, m) in red {
        let states: Vec<Vec<ActionState>> = plans
            .get(&m.id)
            .into_iter()
            .flat_map(|ps| ps.iter())
            .map(|p| {
                actions
                    .get(&p.id)
                    .into_iter()
                    .flat_map(|a| a.iter())
                    .map(|a| ActionState {
                        status: a.status,
                        due_on: a.due_on,
                    })
                    .collect()
            })
            .collect();
        let run: Vec<Option<&Rating>> = (0..window.len()).map(|i| at(i, m, j)).collect();
        let since = at(last, m, j).and_then(|r| r.rated.since);
        let w = Window {
            polarity: m.polarity,
            statuses: series_statuses(&run),
            now: at(last, m, j).and_then(|r| r.rated.value),
            // Near the first period there is, the window is shorter than asked:
            // no value `consecutive − 1` periods back to compare with; nor
            // across a definition change.
            then: at(0, m, j)
                .filter(|_| u32::try_from(window.len()) == Ok(n))
                .filter(|r| !definitions::before(since, &r.rated.reported))
                .and_then(|r| r.rated.value),
            no_effective_action_plan: escalation::no_effective_action_plan(&states, today),
        };
        if let (Some(met), Some(r)) = (escalation::criteria(&w, n), at(last, m, j)) {
            report.push((r.clone(), met));
        }
    }
    escalation::order(&mut report);
    Ok(report)
}

/// The periods from `from` to `to`, of `from`'s kind, for a chart.
pub fn span(from: Period, to: Period) -> ApiResult<Vec<Period>> {
    if from.kind() != to.kind() {
        return Err(ApiError::BadUserInput(
            "`from` and `to` must be periods of the same kind".to_owned(),
        ));
    }
    let periods = from.through(&to);
    if periods.is_empty() {
        return Err(ApiError::BadUserInput(format!(
            "`to` ({to}) is before `from` ({from})"
        )));
    }
    if periods.len() > MAX_PERIODS as usize {
        return Err(ApiError::BadUserInput(format!(
            "at most {MAX_PERIODS} periods at once"
        )));
    }
    Ok(periods)
}
