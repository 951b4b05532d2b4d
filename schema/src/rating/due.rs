//! What a viewer still has to submit for a period: every live measure it
//! may submit, of the period's kind, with no result yet, with its plan's
//! deadline; and every period each such measure reports in within a
//! longer one (the months of a quarter), submitted or not. A handful of
//! statements whatever the number of measures.

use chrono::NaiveDate;
use entity::Period;
use entity::model::{deadline, measure, plan};

use crate::archive::is_live;
use crate::error::ApiResult;
use crate::policy::{Verb, Viewer, allows, measure_scope};
use crate::service::validate::in_span;
use crate::store::{self, Reader};

pub struct Due {
    pub measure: measure::Model,
    pub plan: plan::Model,
    pub due_on: Option<NaiveDate>,
}

/// Every live measure the viewer may submit, in reporting order.
async fn submittable(db: &Reader, viewer: &Viewer) -> ApiResult<Vec<measure::Model>> {
    let Viewer::User { grants, .. } = viewer else {
        return Ok(Vec::new());
    };
    let mut authorities: Vec<i64> = grants.iter().filter_map(|g| g.authority_id).collect();
    // A platform grant names no authority: it may submit in every one.
    if grants.iter().any(|g| g.authority_id.is_none()) {
        authorities = store::authorities(db).await?.iter().map(|a| a.id).collect();
    }
    Ok(store::rows_where_in::<measure::Entity>(
        db,
        measure::Column::AuthorityId,
        &authorities,
        Some(measure::Column::Position),
    )
    .await?
    .into_iter()
    .filter(|m| is_live(m) && allows(viewer, Verb::SubmitResult, Some(measure_scope(m))))
    .collect())
}

pub async fn due(db: &Reader, viewer: &Viewer, period: Period) -> ApiResult<Vec<Due>> {
    let measures: Vec<measure::Model> = submittable(db, viewer)
        .await?
        .into_iter()
        .filter(|m| m.frequency.period_kind() == period.kind())
        .collect();
    let ids: Vec<i64> = measures.iter().map(|m| m.id).collect();
    let results = store::results_in(db, &ids, &[period]).await?;
    let mut plan_ids: Vec<i64> = measures.iter().map(|m| m.plan_id).collect();
    plan_ids.sort_unstable();
    plan_ids.dedup();
    let plans = store::by_ids::<plan::Entity>(db, &plan_ids).await?;
    let deadlines: Vec<deadline::Model> = store::deadlines::of_plans(db, &plan_ids, &[period]).await?;
    Ok(measures
        .into_iter()
        .filter(|m| !results.iter().any(|r| r.measure_id == m.id))
        .filter_map(|m| {
            let plan = plans.iter().find(|p| p.id == m.plan_id && is_live(*p))?.clone();
            let due_on = deadlines.iter().find(|d| d.plan_id == plan.id).map(|d| d.due_on);
            Some(Due {
                measure: m,
                plan,
                due_on,
            })
        })
        .collect())
}

/// One period a measure the viewer may submit reports in.
pub struct Owed {
    pub measure: measure::Model,
    pub plan: plan::Model,
    pub period: Period,
    pub due_on: Option<NaiveDate>,
    /// A result is stored for it.
    pub submitted: bool,
}

/// Every period of its own frequency each measure the viewer may submit
/// (of `plan`, if given) reports in within `asked`, within its plan's years
/// (as the results template lists them), submitted or not. Its deadline is
/// its own period's, else the one set for `asked`.
pub async fn owed(db: &Reader, viewer: &Viewer, asked: Period, plan: Option<i64>) -> ApiResult<Vec<Owed>> {
    let measures: Vec<measure::Model> = submittable(db, viewer)
        .await?
        .into_iter()
        .filter(|m| plan.is_none_or(|p| m.plan_id == p))
        .collect();
    let mut plan_ids: Vec<i64> = measures.iter().map(|m| m.plan_id).collect();
    plan_ids.sort_unstable();
    plan_ids.dedup();
    let plans: Vec<plan::Model> = store::by_ids::<plan::Entity>(db, &plan_ids)
        .await?
        .into_iter()
        .filter(is_live)
        .collect();
    let mut keys: Vec<(measure::Model, plan::Model, Period)> = Vec::new();
    for m in measures {
        let Some(p) = plans.iter().find(|p| p.id == m.plan_id) else {
            continue;
        };
        for period in asked.ending_within(m.frequency.period_kind()) {
            if in_span(period, p.from_year, p.to_year).is_ok() {
                keys.push((m.clone(), p.clone(), period));
            }
        }
    }
    let ids = store::unique(keys.iter().map(|k| k.0.id));
    let mut periods = store::unique(keys.iter().map(|k| k.2));
    let results = store::results_in(db, &ids, &periods).await?;
    periods.push(asked);
    let deadlines = store::deadlines::of_plans(db, &plan_ids, &periods).await?;
    let deadline = |plan: i64, period: Period| {
        deadlines
            .iter()
            .find(|d| d.plan_id == plan && d.period == period)
            .map(|d| d.due_on)
    };
    Ok(keys
        .into_iter()
        .map(|(measure, plan, period)| Owed {
            submitted: results
                .iter()
                .any(|r| r.measure_id == measure.id && r.period == period),
            due_on: deadline(plan.id, period).or_else(|| deadline(plan.id, asked)),
            measure,
            plan,
            period,
        })
        .collect())
}
