//! Sets of measures and their ratings, shared by the resolvers that count,
//! compare and list them. Every function here costs a fixed number of loader
//! batches, whatever the number of measures.

use std::collections::{HashMap, HashSet};

use async_graphql::{Context, Result};
use entity::model::{measure, plan_node};
use entity::{Frequency, Period};

use crate::error::{ApiError, ApiResult, Gql};
use crate::loaders::Rating;
use crate::objects::loaders;

/// Longest series one `results` call returns: ten years of months.
pub const MAX_SERIES: usize = 120;

pub async fn plan_nodes(ctx: &Context<'_>, plan_id: i64) -> Result<Vec<plan_node::Model>> {
    Ok(loaders(ctx)?
        .nodes_of_plan
        .load_one(plan_id)
        .await
        .gql()?
        .unwrap_or_default())
}

pub async fn plan_measures(ctx: &Context<'_>, plan_id: i64) -> Result<Vec<measure::Model>> {
    let rows = loaders(ctx)?
        .measures_of_plan
        .load_one(plan_id)
        .await
        .gql()?;
    Ok(rows
        .unwrap_or_default()
        .into_iter()
        .filter(|m| !m.archived)
        .collect())
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
    Ok(plan_measures(ctx, plan_id)
        .await?
        .into_iter()
        .filter(|m| named.contains(&m.id) || m.node_id.is_some_and(|n| inside.contains(&n)))
        .collect())
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
    let named = l
        .measure
        .load_many(measure_ids.iter().copied())
        .await
        .gql()?;
    let mut plan_ids: Vec<i64> = nodes
        .values()
        .map(|n| n.plan_id)
        .chain(named.values().map(|m| m.plan_id))
        .collect();
    plan_ids.sort_unstable();
    plan_ids.dedup();
    let all_nodes = l
        .nodes_of_plan
        .load_many(plan_ids.iter().copied())
        .await
        .gql()?;
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
                .flatten()
                .filter(|m| !m.archived)
                .filter(|m| named.contains(&m.id) || m.node_id.is_some_and(|n| inside.contains(&n)))
                .cloned(),
        );
    }
    Ok(out)
}

/// Every measure rated at `period`, in the order given: one loader batch.
pub async fn rate(
    ctx: &Context<'_>,
    measures: &[measure::Model],
    period: Period,
) -> Result<Vec<Rating>> {
    let keys: Vec<(i64, Period)> = measures.iter().map(|m| (m.id, period)).collect();
    let mut got = loaders(ctx)?
        .ratings
        .load_many(keys.iter().copied())
        .await
        .gql()?;
    Ok(keys.iter().filter_map(|k| got.remove(k)).collect())
}

pub async fn published_periods(ctx: &Context<'_>, plan_id: i64) -> Result<Vec<Period>> {
    let rows = loaders(ctx)?
        .publications_of_plan
        .load_one(plan_id)
        .await
        .gql()?;
    let mut periods: Vec<Period> = rows
        .unwrap_or_default()
        .into_iter()
        .map(|p| p.period)
        .collect();
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
        .offset(MAX_SERIES as i64)
        .map_or(false, |cap| cap <= last);
    if n {
        return Err(ApiError::BadUserInput(format!(
            "a series holds at most {MAX_SERIES} periods: ask for a shorter range"
        )));
    }
    Ok(())
}
