//! The reads of the rating read model and of the audit log.

use chrono::{DateTime, NaiveDate, Utc};
use entity::model::{audit_log, measure, plan, plan_node, publication, result, target};
use entity::{DataQuality, Num, Period};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Order};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DerivePartialModel, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};

use super::together::{self, Part};
use super::{CHUNK, by_ids, chunked, rows_where_in};
use crate::error::ApiResult;

/// What rating needs of a set of measures: their plans (for the rules) and
/// each plan's publications.
pub struct RatingContext {
    pub measures: Vec<measure::Model>,
    pub plans: Vec<plan::Model>,
    pub publications: Vec<publication::Model>,
}

pub async fn rating_context(db: &impl ConnectionTrait, measure_ids: &[i64]) -> ApiResult<RatingContext> {
    let measures = by_ids::<measure::Entity>(db, measure_ids).await?;
    let mut plan_ids: Vec<i64> = measures.iter().map(|m| m.plan_id).collect();
    plan_ids.sort_unstable();
    plan_ids.dedup();
    let plans = by_ids::<plan::Entity>(db, &plan_ids).await?;
    let publications =
        rows_where_in::<publication::Entity>(db, publication::Column::PlanId, &plan_ids, None).await?;
    Ok(RatingContext {
        measures,
        plans,
        publications,
    })
}

/// What rating reads of a stored result: a rating pass reads many, so it
/// leaves the rest of the row behind.
#[derive(Clone, Debug, DerivePartialModel)]
#[sea_orm(entity = "result::Entity")]
pub struct ResultValue {
    pub id: i64,
    pub measure_id: i64,
    pub period: Period,
    pub value: Num,
    pub restated: bool,
    pub version: i32,
    pub submitted_by: String,
    pub submitted_at: DateTime<Utc>,
    pub quality: DataQuality,
    pub as_at: Option<NaiveDate>,
    pub forecast: Option<Num>,
}

/// What rating reads of a stored target.
#[derive(Clone, Debug, DerivePartialModel)]
#[sea_orm(entity = "target::Entity")]
pub struct TargetValue {
    pub measure_id: i64,
    pub period: Period,
    pub target: Num,
    pub floor: Option<Num>,
}

/// The results of some measures in exactly the given periods.
fn results_of(measure_ids: Vec<i64>, periods: &[Period]) -> Select<result::Entity> {
    result::Entity::find()
        .filter(result::Column::MeasureId.is_in(measure_ids))
        .filter(result::Column::Period.is_in(periods.iter().copied()))
}

/// Results of the measures in exactly the given periods.
pub async fn results_in(
    db: &impl ConnectionTrait,
    measure_ids: &[i64],
    periods: &[Period],
) -> ApiResult<Vec<result::Model>> {
    chunked(measure_ids, |chunk| results_of(chunk, periods).all(db)).await
}

/// What rating reads of some measures in exactly the given periods: their
/// results and targets, in one statement (per chunk of measures).
pub async fn rating_values_in(
    db: &impl ConnectionTrait,
    measure_ids: &[i64],
    periods: &[Period],
) -> ApiResult<(Vec<ResultValue>, Vec<TargetValue>)> {
    use entity::model::result::Column as R;
    use entity::model::target::Column as T;
    let (mut results, mut targets) = (Vec::new(), Vec::new());
    for chunk in measure_ids.chunks(CHUNK) {
        let [r, t] = together::read(
            db,
            &[
                Part::columns::<result::Entity>(
                    [
                        R::Id,
                        R::MeasureId,
                        R::Period,
                        R::Value,
                        R::Restated,
                        R::Version,
                        R::SubmittedBy,
                        R::SubmittedAt,
                        R::Quality,
                        R::AsAt,
                        R::Forecast,
                    ],
                    R::MeasureId
                        .is_in(chunk.iter().copied())
                        .and(R::Period.is_in(periods.iter().copied())),
                ),
                Part::columns::<target::Entity>(
                    [T::MeasureId, T::Period, T::Target, T::Floor],
                    T::MeasureId
                        .is_in(chunk.iter().copied())
                        .and(T::Period.is_in(periods.iter().copied())),
                ),
            ],
        )
        .await?;
        results.extend(r.decode::<ResultValue>()?);
        targets.extend(t.decode::<TargetValue>()?);
    }
    Ok((results, targets))
}

/// A plan's own rows: its nodes and measures in their order, and its
/// publications.
pub struct PlanRows {
    pub nodes: Vec<plan_node::Model>,
    pub measures: Vec<measure::Model>,
    pub publications: Vec<publication::Model>,
}

/// The nodes, measures and publications of plans: what a dashboard shows
/// and a rating pass reads of a plan, in one statement (per chunk of plans).
pub async fn plan_rows(db: &impl ConnectionTrait, plan_ids: &[i64]) -> ApiResult<PlanRows> {
    let mut out = PlanRows {
        nodes: Vec::new(),
        measures: Vec::new(),
        publications: Vec::new(),
    };
    for chunk in plan_ids.chunks(CHUNK) {
        let [nodes, measures, publications] = together::read(
            db,
            &[
                Part::rows::<plan_node::Entity>(plan_node::Column::PlanId.is_in(chunk.iter().copied())),
                Part::rows::<measure::Entity>(measure::Column::PlanId.is_in(chunk.iter().copied())),
                Part::rows::<publication::Entity>(publication::Column::PlanId.is_in(chunk.iter().copied())),
            ],
        )
        .await?;
        out.nodes.extend(nodes.decode::<plan_node::Model>()?);
        out.measures.extend(measures.decode::<measure::Model>()?);
        out.publications
            .extend(publications.decode::<publication::Model>()?);
    }
    out.nodes.sort_by_key(|n| (n.position, n.id));
    out.measures.sort_by_key(|m| (m.position, m.id));
    out.publications.sort_by_key(|p| p.id);
    Ok(out)
}

/// Result values of the measures for periods starting within `[from, to]`,
/// either end open.
pub async fn result_values_between(
    db: &impl ConnectionTrait,
    measure_ids: &[i64],
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> ApiResult<Vec<ResultValue>> {
    chunked(measure_ids, |chunk| {
        let mut q = result::Entity::find().filter(result::Column::MeasureId.is_in(chunk));
        if let Some(from) = from {
            q = q.filter(result::Column::PeriodStart.gte(from));
        }
        if let Some(to) = to {
            q = q.filter(result::Column::PeriodStart.lte(to));
        }
        q.order_by_asc(result::Column::PeriodStart)
            .into_partial_model::<ResultValue>()
            .all(db)
    })
    .await
}

/// Target values of the measures in the given periods, or in every period.
pub async fn target_values_in(
    db: &impl ConnectionTrait,
    measure_ids: &[i64],
    periods: Option<&[Period]>,
) -> ApiResult<Vec<TargetValue>> {
    chunked(measure_ids, |chunk| {
        let mut q = target::Entity::find().filter(target::Column::MeasureId.is_in(chunk));
        if let Some(periods) = periods {
            q = q.filter(target::Column::Period.is_in(periods.iter().copied()));
        }
        q.into_partial_model::<TargetValue>().all(db)
    })
    .await
}

/// The position after the last of a plan's measures: a new measure reports
/// after those there are.
pub async fn next_measure_position(db: &impl ConnectionTrait, plan_id: i64) -> ApiResult<i32> {
    let max: Option<Option<i32>> = measure::Entity::find()
        .select_only()
        .column_as(Expr::col(measure::Column::Position).max(), "max")
        .filter(measure::Column::PlanId.eq(plan_id))
        .into_tuple()
        .one(db)
        .await?;
    Ok(max.flatten().map_or(0, |m| m + 1))
}

/// The position after the last of a node's siblings.
pub async fn next_node_position(
    db: &impl ConnectionTrait,
    plan_id: i64,
    parent_id: Option<i64>,
) -> ApiResult<i32> {
    let parent = match parent_id {
        Some(p) => plan_node::Column::ParentId.eq(p),
        None => plan_node::Column::ParentId.is_null(),
    };
    let max: Option<Option<i32>> = plan_node::Entity::find()
        .select_only()
        .column_as(Expr::col(plan_node::Column::Position).max(), "max")
        .filter(plan_node::Column::PlanId.eq(plan_id))
        .filter(parent)
        .into_tuple()
        .one(db)
        .await?;
    Ok(max.flatten().map_or(0, |m| m + 1))
}

/// Up to `limit` entries of an authority's audit log strictly between two
/// ids, oldest first, or newest first when `backward`.
pub async fn audit_page(
    db: &impl ConnectionTrait,
    authority_id: i64,
    (from, to): (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
    (after, before): (Option<i64>, Option<i64>),
    backward: bool,
    limit: u64,
) -> ApiResult<Vec<audit_log::Model>> {
    let mut q = audit_log::Entity::find().filter(audit_in(authority_id, from, to));
    if let Some(after) = after {
        q = q.filter(audit_log::Column::Id.gt(after));
    }
    if let Some(before) = before {
        q = q.filter(audit_log::Column::Id.lt(before));
    }
    let order = if backward { Order::Desc } else { Order::Asc };
    Ok(q.order_by(audit_log::Column::Id, order)
        .limit(limit)
        .all(db)
        .await?)
}

/// How many entries an authority's audit log holds between two moments.
pub async fn audit_count(
    db: &impl ConnectionTrait,
    authority_id: i64,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> ApiResult<i64> {
    let n = audit_log::Entity::find()
        .filter(audit_in(authority_id, from, to))
        .count(db)
        .await?;
    Ok(i64::try_from(n).unwrap_or(i64::MAX))
}

fn audit_in(authority_id: i64, from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> Condition {
    let mut c = Condition::all().add(audit_log::Column::AuthorityId.eq(authority_id));
    if let Some(from) = from {
        c = c.add(audit_log::Column::At.gte(from));
    }
    if let Some(to) = to {
        c = c.add(audit_log::Column::At.lte(to));
    }
    c
}
