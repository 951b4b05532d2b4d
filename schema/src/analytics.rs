//! Sets of measures and their ratings, shared by the resolvers that count,
//! compare and list them. Every function here costs a fixed number of loader
//! batches, whatever the number of measures.

use std::collections::{HashMap, HashSet};

use async_graphql::futures_util::future::join_all;
use async_graphql::{Context, Result};
use entity::model::{measure, plan_node};
use entity::rules::{escalated, status_rank};
use entity::{Frequency, Period, RagStatus};

use crate::error::{ApiError, ApiResult, Gql};
use crate::loaders::{Rating, Rows};
use crate::objects::loaders;

/// Longest run of periods one series, trend or escalation looks at: ten
/// years of months.
pub const MAX_PERIODS: u32 = 120;

pub async fn plan_nodes(ctx: &Context<'_>, plan_id: i64) -> Result<Rows<plan_node::Model>> {
    Ok(loaders(ctx)?
        .nodes_of_plan
        .load_one(plan_id)
        .await
        .gql()?
        .unwrap_or_default())
}

/// The plan's measures, archived ones left out, that pass `keep`.
pub async fn plan_measures_where(
    ctx: &Context<'_>,
    plan_id: i64,
    keep: impl Fn(&measure::Model) -> bool,
) -> Result<Vec<measure::Model>> {
    let rows = loaders(ctx)?.measures_of_plan.load_one(plan_id).await.gql()?;
    Ok(rows
        .unwrap_or_default()
        .iter()
        .filter(|m| !m.archived && keep(m))
        .cloned()
        .collect())
}

pub async fn plan_measures(ctx: &Context<'_>, plan_id: i64) -> Result<Vec<measure::Model>> {
    plan_measures_where(ctx, plan_id, |_| true).await
}

/// The measures of a plan under any of `node_ids` (at any depth) or named in
/// `measure_ids`, in the plan's order.
pub async fn measures_under(
    ctx: &Context<'_>,
    plan_id: i64,
    node_ids: &[i64],
    measure_ids: &[i64],
) -> Result<Vec<measure::Model>> {
    let nodes = plan_nodes(ctx, plan_id).await?;
    let inside = subtree(&nodes, node_ids);
    let named: HashSet<i64> = measure_ids.iter().copied().collect();
    plan_measures_where(ctx, plan_id, |m| {
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
pub async fn panel_measures(ctx: &Context<'_>, panel_id: i64) -> Result<Vec<measure::Model>> {
    let l = loaders(ctx)?;
    let remit = l
        .remit_of_panel
        .load_one(panel_id)
        .await
        .gql()?
        .unwrap_or_default();
    let node_ids: Vec<i64> = remit.iter().filter_map(|r| r.node_id).collect();
    let measure_ids: Vec<i64> = remit.iter().filter_map(|r| r.measure_id).collect();
    let nodes = l.node.load_many(node_ids.iter().copied()).await.gql()?;
    let named = l.measure.load_many(measure_ids.iter().copied()).await.gql()?;
    let mut plan_ids: Vec<i64> = nodes
        .values()
        .map(|n| n.plan_id)
        .chain(named.values().map(|m| m.plan_id))
        .collect();
    plan_ids.sort_unstable();
    plan_ids.dedup();
    let all_nodes = l.nodes_of_plan.load_many(plan_ids.iter().copied()).await.gql()?;
    let all_measures = l
        .measures_of_plan
        .load_many(plan_ids.iter().copied())
        .await
        .gql()?;
    let named: HashSet<i64> = measure_ids.into_iter().collect();
    let mut out = Vec::new();
    for pid in plan_ids {
        let inside = subtree(all_nodes.get(&pid).map_or(&[][..], |v| v), &node_ids);
        out.extend(
            all_measures
                .get(&pid)
                .into_iter()
                .flat_map(|v| v.iter())
                .filter(|m| !m.archived)
                .filter(|m| named.contains(&m.id) || m.node_id.is_some_and(|n| inside.contains(&n)))
                .cloned(),
        );
    }
    Ok(out)
}

/// Every measure rated at `period`, in the order given: one rating pass
/// per plan the measures belong to.
pub async fn rate(ctx: &Context<'_>, measures: &[measure::Model], period: Period) -> Result<Vec<Rating>> {
    Ok(rate_each(ctx, measures, &[period])
        .await?
        .into_iter()
        .next()
        .unwrap_or_default())
}

/// Every measure rated at every period: one rating pass per plan the
/// measures belong to, for all the periods at once.
pub async fn rate_each(
    ctx: &Context<'_>,
    measures: &[measure::Model],
    periods: &[Period],
) -> Result<Vec<Vec<Rating>>> {
    let l = loaders(ctx)?;
    let mut plan_ids: Vec<i64> = measures.iter().map(|m| m.plan_id).collect();
    plan_ids.sort_unstable();
    plan_ids.dedup();
    let rated = join_all(plan_ids.iter().map(|p| l.plan_ratings(*p, periods))).await;
    let mut by_plan = HashMap::new();
    for (p, r) in plan_ids.iter().zip(rated) {
        by_plan.insert(*p, r.gql()?);
    }
    Ok((0..periods.len())
        .map(|i| {
            measures
                .iter()
                .filter_map(|m| by_plan.get(&m.plan_id)?.get(i)?.get(&m.id).cloned())
                .collect()
        })
        .collect())
}

pub async fn published_periods(ctx: &Context<'_>, plan_id: i64) -> Result<Vec<Period>> {
    let rows = loaders(ctx)?.publications_of_plan.load_one(plan_id).await.gql()?;
    let mut periods: Vec<Period> = rows.unwrap_or_default().iter().map(|p| p.period).collect();
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
        match (status_rank(a.rated.status), status_rank(b.rated.status)) {
            (Some(x), Some(y)) if y > x => m.improved.push(pair),
            (Some(_), Some(_)) => m.worsened.push(pair),
            _ => m.unrated.push(pair),
        }
    }
    m
}

/// The measures RED at `period` and in each of the `consecutive − 1`
/// periods before it: one loader batch for the whole window.
pub async fn escalations(
    ctx: &Context<'_>,
    measures: Vec<measure::Model>,
    period: Period,
    consecutive: i32,
) -> Result<Vec<measure::Model>> {
    let n = u32::try_from(consecutive)
        .ok()
        .filter(|n| (1..=MAX_PERIODS).contains(n))
        .ok_or_else(|| ApiError::BadUserInput(format!("consecutive must be 1 to {MAX_PERIODS}")))
        .gql()?;
    let window = period.window(n);
    let rated = rate_each(ctx, &measures, &window).await?;
    // rated[i][j]: the j-th measure at the i-th period of the window.
    Ok(measures
        .into_iter()
        .enumerate()
        .filter(|(j, m)| {
            let statuses: Vec<RagStatus> = rated
                .iter()
                .map(|at| {
                    at.get(*j)
                        .filter(|r| r.measure_id == m.id)
                        .map_or(RagStatus::NoData, |r| r.rated.status)
                })
                .collect();
            escalated(&statuses, n)
        })
        .map(|(_, m)| m)
        .collect())
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
