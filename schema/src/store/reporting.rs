//! The statements of a reporting cycle: targets, results, publication.

use chrono::{DateTime, Utc};
use entity::model::{measure, plan, publication, result, result_history, target};
use entity::{Num, Period};
use sea_orm::sea_query::LockType;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, TryInsertResult,
};

use super::write::Write;
use crate::error::{ApiError, ApiResult};
use crate::live::Event;

/// One target to set.
pub struct NewTarget<'a> {
    pub measure: &'a measure::Model,
    pub period: Period,
    pub target: Num,
    pub floor: Option<Num>,
}

/// Sets the targets (and floors) of measures for periods, replacing any.
pub async fn set_targets(w: &Write, items: &[NewTarget<'_>]) -> ApiResult<()> {
    let measure_ids: Vec<i64> = items.iter().map(|i| i.measure.id).collect();
    let existing =
        super::rows_where_in::<target::Entity>(&w.txn, target::Column::MeasureId, &measure_ids, None).await?;
    let mut fresh = Vec::new();
    for item in items {
        match existing
            .iter()
            .find(|t| t.measure_id == item.measure.id && t.period == item.period)
        {
            Some(old) => {
                let mut row = old.clone().into_active_model();
                row.target = Set(item.target);
                row.floor = Set(item.floor);
                row.set_by = Set(w.actor.clone());
                row.set_at = Set(w.now);
                w.change("setTarget", "target", old, row).await?;
            }
            None => fresh.push(target::ActiveModel {
                authority_id: Set(item.measure.authority_id),
                measure_id: Set(item.measure.id),
                period: Set(item.period),
                target: Set(item.target),
                floor: Set(item.floor),
                set_by: Set(w.actor.clone()),
                set_at: Set(w.now),
                ..Default::default()
            }),
        }
    }
    w.create_many("setTarget", "target", fresh).await?;
    Ok(())
}

/// One result to store.
pub struct NewResult<'a> {
    pub measure: &'a measure::Model,
    pub period: Period,
    pub value: Num,
    pub note: Option<String>,
    /// `Some`: refuse unless the stored version is this one (0: no result yet).
    pub expected_version: Option<i32>,
}

/// Stores results, replacing earlier values of the same measure and period:
/// the replaced value goes to the history, and a value changed after its
/// period was published is marked restated. Answers in the order given.
pub async fn submit_results(w: &Write, items: &[NewResult<'_>]) -> ApiResult<Vec<result::Model>> {
    let mut measure_ids: Vec<i64> = items.iter().map(|i| i.measure.id).collect();
    measure_ids.sort_unstable();
    measure_ids.dedup();
    serialise_submissions(w, &measure_ids).await?;
    let periods: Vec<Period> = items.iter().map(|i| i.period).collect();
    let existing = super::results_in(&w.txn, &measure_ids, &periods).await?;
    let mut plan_ids: Vec<i64> = items.iter().map(|i| i.measure.plan_id).collect();
    plan_ids.sort_unstable();
    plan_ids.dedup();
    let published =
        super::rows_where_in::<publication::Entity>(&w.txn, publication::Column::PlanId, &plan_ids, None)
            .await?;
    let mut replaced = Vec::new();
    let mut fresh = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let old = existing
            .iter()
            .find(|r| r.measure_id == item.measure.id && r.period == item.period);
        let stored = old.map_or(0, |o| o.version);
        if item.expected_version.is_some_and(|v| v != stored) {
            return Err(ApiError::Conflict(format!(
                "the result for {} is at version {stored}, not the version expected: nothing was written",
                item.period
            )));
        }
        let Some(old) = old else {
            fresh.push((
                i,
                result::ActiveModel {
                    authority_id: Set(item.measure.authority_id),
                    measure_id: Set(item.measure.id),
                    period: Set(item.period),
                    period_start: Set(item.period.start_date()),
                    value: Set(item.value),
                    note: Set(item.note.clone()),
                    submitted_by: Set(w.actor.clone()),
                    submitted_at: Set(w.now),
                    restated: Set(false),
                    version: Set(1),
                    ..Default::default()
                },
            ));
            continue;
        };
        let of_plan: Vec<(Period, DateTime<Utc>)> = published
            .iter()
            .filter(|p| p.plan_id == item.measure.plan_id)
            .map(|p| (p.period, p.published_at))
            .collect();
        let was_published = entity::rules::published_at(&of_plan, &item.period).is_some();
        result_history::ActiveModel {
            authority_id: Set(old.authority_id),
            result_id: Set(old.id),
            measure_id: Set(old.measure_id),
            period: Set(old.period),
            value: Set(old.value),
            note: Set(old.note.clone()),
            submitted_by: Set(old.submitted_by.clone()),
            submitted_at: Set(old.submitted_at),
            version: Set(old.version),
            replaced_at: Set(w.now),
            ..Default::default()
        }
        .insert(&w.txn)
        .await?;
        let mut changes = old.clone().into_active_model();
        changes.value = Set(item.value);
        changes.note = Set(item.note.clone());
        changes.submitted_by = Set(w.actor.clone());
        changes.submitted_at = Set(w.now);
        changes.version = Set(old.version + 1);
        changes.restated = Set(old.restated || was_published);
        // The measures are locked, so the version read above is current;
        // the guard is a second line, never expected to trip.
        let new = w
            .change_versioned(
                "submitResult",
                "result",
                old,
                (result::Column::Version, old.version),
                changes,
                || {
                    ApiError::Conflict(format!(
                        "the result for {} changed while this was submitted: submit again",
                        item.period
                    ))
                },
            )
            .await?;
        replaced.push((i, new));
    }
    let (positions, rows): (Vec<usize>, Vec<result::ActiveModel>) = fresh.into_iter().unzip();
    let created = w.create_many("submitResult", "result", rows).await?;
    let mut all: Vec<(usize, result::Model)> = replaced
        .into_iter()
        .chain(positions.into_iter().zip(created))
        .collect();
    all.sort_by_key(|(i, _)| *i);
    for (i, r) in &all {
        w.raise(Event::Result {
            result: r.id,
            measure: r.measure_id,
            plan: items[*i].measure.plan_id,
            authority: r.authority_id,
        });
    }
    Ok(all.into_iter().map(|(_, r)| r).collect())
}

/// Concurrent resubmissions of the same measures queue here until the one
/// before commits, then read its result and replace it: last writer wins,
/// and every replaced value reaches the history. Row locks on the measures,
/// taken in id order so two batches cannot deadlock; `NO KEY UPDATE` leaves
/// inserts of rows that refer to the measures unblocked. SQLite's writers
/// are already one at a time.
async fn serialise_submissions(w: &Write, measure_ids: &[i64]) -> ApiResult<()> {
    if w.txn.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    super::chunked(measure_ids, |chunk| {
        measure::Entity::find()
            .select_only()
            .column(measure::Column::Id)
            .filter(measure::Column::Id.is_in(chunk))
            .order_by_asc(measure::Column::Id)
            .lock(LockType::NoKeyUpdate)
            .into_tuple::<i64>()
            .all(&w.txn)
    })
    .await?;
    Ok(())
}

/// Publishes a plan's period; publishing it again, even at the same moment
/// from two replicas, changes nothing.
pub async fn publish(w: &Write, p: &plan::Model, period: Period) -> ApiResult<()> {
    let row = publication::ActiveModel {
        authority_id: Set(p.authority_id),
        plan_id: Set(p.id),
        period: Set(period),
        published_by: Set(w.actor.clone()),
        published_at: Set(w.now),
        ..Default::default()
    };
    let inserted = publication::Entity::insert(row)
        .on_conflict_do_nothing_on([publication::Column::PlanId, publication::Column::Period])
        .exec(&w.txn)
        .await?;
    if let TryInsertResult::Inserted(r) = inserted {
        w.raise(Event::Published {
            publication: r.last_insert_id,
            plan: p.id,
            authority: p.authority_id,
        });
        let after = publication::Entity::find_by_id(r.last_insert_id)
            .one(&w.txn)
            .await?;
        w.audit(
            Some(p.authority_id),
            "publishPeriod",
            "publication",
            Some(r.last_insert_id),
            None,
            after.as_ref(),
        )
        .await?;
    }
    Ok(())
}
