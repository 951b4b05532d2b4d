//! The statements of a reporting cycle: targets, results, publication.

use chrono::{DateTime, NaiveDate, Utc};
use entity::model::{measure, plan, publication, result, result_history, target};
use entity::{DataQuality, Num, Period};
use std::collections::HashMap;

use sea_orm::sea_query::{Alias, Expr, ExprTrait, LockType};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TryInsertResult,
};

use super::live::Affected;
use super::write::{Upsert, Write};
use crate::error::{ApiError, ApiResult};
use crate::live::Event;

/// One target to set.
pub struct NewTarget {
    pub measure: measure::Model,
    pub period: Period,
    pub target: Num,
    pub floor: Option<Num>,
}

/// Sets the targets (and floors) of measures for periods, replacing any; a
/// target set again as it stands is left as it is (no audit record). A few
/// statements for any number of targets.
pub async fn set_targets(w: &Write, items: &[NewTarget]) -> ApiResult<()> {
    let measure_ids = super::unique(items.iter().map(|i| i.measure.id));
    let existing =
        super::rows_where_in::<target::Entity>(&w.txn, target::Column::MeasureId, &measure_ids, None).await?;
    let existing: HashMap<(i64, Period), &target::Model> =
        existing.iter().map(|t| ((t.measure_id, t.period), t)).collect();
    let mut before = Vec::new();
    let mut rows = Vec::new();
    let mut changed = Vec::new();
    for item in items {
        let old = existing.get(&(item.measure.id, item.period)).copied();
        if old.is_some_and(|o| o.target == item.target && o.floor == item.floor) {
            continue;
        }
        changed.push((item.measure.id, item.period));
        before.extend(old);
        rows.push(target::ActiveModel {
            authority_id: Set(item.measure.authority_id),
            measure_id: Set(item.measure.id),
            period: Set(item.period),
            target: Set(item.target),
            floor: Set(item.floor),
            set_by: Set(w.actor.clone()),
            set_at: Set(w.now),
            ..Default::default()
        });
    }
    if rows.is_empty() {
        return Ok(());
    }
    use target::Column as T;
    w.upsert_many(
        "setTarget",
        "target",
        rows,
        &before,
        Upsert {
            key: &[T::MeasureId, T::Period],
            columns: &[T::Target, T::Floor, T::SetBy, T::SetAt],
            guard: None,
        },
    )
    .await?;
    super::live::results_changed(w, Affected::Within(&changed)).await
}

/// One result to store.
pub struct NewResult {
    pub measure: measure::Model,
    pub period: Period,
    pub value: Num,
    pub note: Option<String>,
    /// `Some`: refuse unless the stored version is this one (0: no result yet).
    pub expected_version: Option<i32>,
    pub quality: DataQuality,
    pub as_at: Option<NaiveDate>,
    pub forecast: Option<Num>,
}

impl NewResult {
    fn key(&self) -> (i64, Period) {
        (self.measure.id, self.period)
    }

    /// The stored result says what this one says already.
    fn repeats(&self, stored: &result::Model) -> bool {
        stored.value == self.value
            && stored.note == self.note
            && stored.quality == self.quality
            && stored.as_at == self.as_at
            && stored.forecast == self.forecast
    }
}

/// Stores results, replacing earlier values of the same measure and period:
/// the replaced value goes to the history, and a value changed after its
/// period was published is marked restated. A result submitted again as it
/// stands changes nothing and answers as stored. Answers in the order given;
/// a few statements for any number of results.
pub async fn submit_results(w: &Write, items: &[NewResult]) -> ApiResult<Vec<result::Model>> {
    let measure_ids = super::unique(items.iter().map(|i| i.measure.id));
    let periods = super::unique(items.iter().map(|i| i.period));
    let mut existing = super::results_in(&w.txn, &measure_ids, &periods).await?;
    let changes = |existing: &[result::Model]| {
        let by_key: HashMap<(i64, Period), &result::Model> =
            existing.iter().map(|r| ((r.measure_id, r.period), r)).collect();
        items
            .iter()
            .any(|i| i.expected_version.is_some() || by_key.get(&i.key()).is_none_or(|r| !i.repeats(r)))
    };
    // A batch that repeats what is stored takes no lock: on PostgreSQL a row
    // lock starts a transaction id, which is a new data version.
    if changes(&existing) && serialise_submissions(w, &measure_ids).await? {
        existing = super::results_in(&w.txn, &measure_ids, &periods).await?;
    }
    let stored: HashMap<(i64, Period), &result::Model> =
        existing.iter().map(|r| ((r.measure_id, r.period), r)).collect();
    let plan_ids = super::unique(items.iter().map(|i| i.measure.plan_id));
    let mut published: HashMap<i64, Vec<(Period, DateTime<Utc>)>> = HashMap::new();
    for p in super::rows_where_in::<publication::Entity>(&w.txn, publication::Column::PlanId, &plan_ids, None)
        .await?
    {
        published
            .entry(p.plan_id)
            .or_default()
            .push((p.period, p.published_at));
    }
    let mut before = Vec::new();
    let mut history = Vec::new();
    let mut rows = Vec::new();
    for item in items {
        let old = stored.get(&item.key()).copied();
        let version = old.map_or(0, |o| o.version);
        if item.expected_version.is_some_and(|v| v != version) {
            return Err(ApiError::Conflict(format!(
                "the result of {} for {} is at version {version}, not the version expected: nothing was written",
                item.measure.code, item.period
            )));
        }
        if old.is_some_and(|o| item.repeats(o)) {
            continue;
        }
        if item.quality == DataQuality::Revised && old.is_none() {
            return Err(ApiError::invalid(
                "quality",
                format!(
                    "{} has no value for {} to revise: submit it as FINAL, PROVISIONAL or ESTIMATED",
                    item.measure.code, item.period
                ),
            ));
        }
        let was_published = old.is_some() && {
            let of_plan = published
                .get(&item.measure.plan_id)
                .map_or(&[][..], Vec::as_slice);
            entity::rules::published_at(of_plan, &item.period).is_some()
        };
        if let Some(old) = old {
            before.push(old);
            history.push(result_history::ActiveModel {
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
                quality: Set(old.quality),
                as_at: Set(old.as_at),
                forecast: Set(old.forecast),
                ..Default::default()
            });
        }
        rows.push(result::ActiveModel {
            authority_id: Set(item.measure.authority_id),
            measure_id: Set(item.measure.id),
            period: Set(item.period),
            period_start: Set(item.period.start_date()),
            value: Set(item.value),
            note: Set(item.note.clone()),
            submitted_by: Set(w.actor.clone()),
            submitted_at: Set(w.now),
            restated: Set(old.is_some_and(|o| o.restated) || was_published),
            version: Set(version + 1),
            quality: Set(item.quality),
            as_at: Set(item.as_at),
            forecast: Set(item.forecast),
            ..Default::default()
        });
    }
    let written = if rows.is_empty() {
        Vec::new()
    } else {
        w.insert_all(history).await?;
        let count = rows.len();
        use result::Column as R;
        // The measures are locked, so the versions read above are current;
        // the guard is a second line, never expected to trip.
        let guard =
            Expr::col((result::Entity, R::Version))
                .eq(Expr::col((Alias::new("excluded"), R::Version)).sub(1));
        let written = w
            .upsert_many(
                "submitResult",
                "result",
                rows,
                &before,
                Upsert {
                    key: &[R::MeasureId, R::Period],
                    columns: &[
                        R::Value,
                        R::Note,
                        R::SubmittedBy,
                        R::SubmittedAt,
                        R::Restated,
                        R::Version,
                        R::Quality,
                        R::AsAt,
                        R::Forecast,
                    ],
                    guard: Some(guard),
                },
            )
            .await?;
        if written.len() != count {
            return Err(ApiError::Conflict(
                "a result changed while this was submitted: submit again".to_owned(),
            ));
        }
        written
    };
    let mut written: HashMap<(i64, Period), result::Model> = written
        .into_iter()
        .map(|r| ((r.measure_id, r.period), r))
        .collect();
    // The results whose direction of travel compares with a written value.
    let compared: Vec<(i64, Period)> = written
        .keys()
        .flat_map(|(m, p)| p.compared_by().into_iter().map(move |later| (*m, later)))
        .filter(|k| !written.contains_key(k))
        .collect();
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        if let Some(r) = written.remove(&item.key()) {
            w.raise(Event::Result {
                measure: r.measure_id,
                period: r.period,
                plan: item.measure.plan_id,
                authority: r.authority_id,
            });
            out.push(r);
        } else {
            let stored = stored
                .get(&item.key())
                .ok_or_else(|| ApiError::internal("a result neither stored nor written"))?;
            out.push((*stored).clone());
        }
    }
    if !compared.is_empty() {
        super::live::results_changed(w, Affected::Within(&compared)).await?;
    }
    Ok(out)
}

/// Concurrent resubmissions of the same measures queue here until the one
/// before commits, then read its result and replace it: last writer wins,
/// and every replaced value reaches the history. Row locks on the measures,
/// taken in id order so two batches cannot deadlock; `NO KEY UPDATE` leaves
/// inserts of rows that refer to the measures unblocked. SQLite's writers
/// are already one at a time.
/// Whether it took locks (and so what was read before may have changed).
async fn serialise_submissions(w: &Write, measure_ids: &[i64]) -> ApiResult<bool> {
    if w.txn.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(false);
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
    Ok(true)
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
        super::live::results_changed(w, Affected::PlanWithin(p.id, period)).await?;
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
