//! The statements of deadlines: when a plan's results for a period are due.

use chrono::NaiveDate;
use entity::Period;
use entity::model::{deadline, plan};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter};

use super::write::Write;
use crate::error::ApiResult;

/// Sets the plan's deadline for the period, replacing one set before;
/// audited either way.
pub async fn set(
    w: &Write,
    p: &plan::Model,
    period: Period,
    due_on: NaiveDate,
) -> ApiResult<deadline::Model> {
    let old = deadline::Entity::find()
        .filter(deadline::Column::PlanId.eq(p.id))
        .filter(deadline::Column::Period.eq(period))
        .one(&w.txn)
        .await?;
    super::live::plan_changed(w, p.id, p.authority_id);
    match old {
        Some(old) => {
            let mut row = old.clone().into_active_model();
            row.due_on = Set(due_on);
            w.change("setDeadline", "deadline", &old, row).await
        }
        None => {
            let row = deadline::ActiveModel {
                authority_id: Set(p.authority_id),
                plan_id: Set(p.id),
                period: Set(period),
                due_on: Set(due_on),
                ..Default::default()
            };
            w.create("setDeadline", "deadline", row).await
        }
    }
}

/// The deadlines of some plans for some periods, in one statement.
pub async fn of_plans(
    db: &impl ConnectionTrait,
    plan_ids: &[i64],
    periods: &[Period],
) -> ApiResult<Vec<deadline::Model>> {
    Ok(deadline::Entity::find()
        .filter(deadline::Column::PlanId.is_in(plan_ids.iter().copied()))
        .filter(deadline::Column::Period.is_in(periods.iter().copied()))
        .all(db)
        .await?)
}
