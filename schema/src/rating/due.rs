//! What a viewer still has to submit for a period: every live measure it
//! may submit, of the period's kind, with no result yet, with its plan's
//! deadline. Four statements whatever the number of measures.

use chrono::NaiveDate;
use entity::Period;
use entity::model::{deadline, measure, plan};

use crate::archive::is_live;
use crate::error::ApiResult;
use crate::policy::{Verb, Viewer, allows, measure_scope};
use crate::store::{self, Reader};

pub struct Due {
    pub measure: measure::Model,
    pub plan: plan::Model,
    pub due_on: Option<NaiveDate>,
}

pub async fn due(db: &Reader, viewer: &Viewer, period: Period) -> ApiResult<Vec<Due>> {
    let Viewer::User { grants, .. } = viewer else {
        return Ok(Vec::new());
    };
    let mut authorities: Vec<i64> = grants.iter().filter_map(|g| g.authority_id).collect();
    // A platform grant names no authority: it may submit in every one.
    if grants.iter().any(|g| g.authority_id.is_none()) {
        authorities = store::authorities(db).await?.iter().map(|a| a.id).collect();
    }
    let measures: Vec<measure::Model> = store::rows_where_in::<measure::Entity>(
        db,
        measure::Column::AuthorityId,
        &authorities,
        Some(measure::Column::Position),
    )
    .await?
    .into_iter()
    .filter(|m| {
        is_live(m)
            && m.frequency.period_kind() == period.kind()
            && allows(viewer, Verb::SubmitResult, Some(measure_scope(m)))
    })
    .collect();
    let ids: Vec<i64> = measures.iter().map(|m| m.id).collect();
    let results = store::results_in(db, &ids, &[period]).await?;
    let mut plan_ids: Vec<i64> = measures.iter().map(|m| m.plan_id).collect();
    plan_ids.sort_unstable();
    plan_ids.dedup();
    let plans = store::by_ids::<plan::Entity>(db, &plan_ids).await?;
    let deadlines: Vec<deadline::Model> = store::deadlines::of_plans(db, &plan_ids, period).await?;
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
