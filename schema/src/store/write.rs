//! Every write: each function is one use case's statements, run inside the
//! caller's transaction together with its audit records, so a refused or
//! failed mutation (or import) leaves no row behind. Inputs arrive validated.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use entity::model::{
    action, action_plan, agenda_item, audit_log, authority, commentary, commentary_history, measure, meeting,
    panel, panel_remit, partner, plan, plan_node, publication, result, result_history, target,
};
use entity::{Num, Period};
use sea_orm::sea_query::LockType;
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend,
    DatabaseConnection, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait, TryInsertResult,
};
use serde::Serialize;
use tokio::sync::{Mutex, MutexGuard};

use crate::error::{ApiError, ApiResult};

/// SQLite takes one writer at a time and answers a second with "database is
/// locked"; queueing writers here turns that into waiting.
static SQLITE_WRITER: LazyLock<Mutex<()>> = LazyLock::new(|| Mutex::new(()));

/// Rows in one multi-row insert: well below every engine's parameter limit.
const INSERT_CHUNK: usize = 500;

/// A write transaction: every use case writes through one, with the actor
/// and the moment its audit records name.
pub struct Write {
    pub txn: DatabaseTransaction,
    pub actor: String,
    pub now: DateTime<Utc>,
    _gate: Option<MutexGuard<'static, ()>>,
}

pub async fn begin(db: &DatabaseConnection, actor: &str) -> ApiResult<Write> {
    let gate = match db.get_database_backend() {
        DatabaseBackend::Sqlite => Some(SQLITE_WRITER.lock().await),
        _ => None,
    };
    Ok(Write {
        txn: db.begin().await?,
        actor: actor.to_owned(),
        now: Utc::now(),
        _gate: gate,
    })
}

/// A model's active model, the shape every generic write below takes.
pub trait Row<A: ActiveModelTrait>: IntoActiveModel<A> + Serialize + Audited + Clone + Send + Sync {}
impl<A: ActiveModelTrait, M> Row<A> for M where
    M: IntoActiveModel<A> + Serialize + Audited + Clone + Send + Sync
{
}

type ModelOf<A> = <<A as ActiveModelTrait>::Entity as EntityTrait>::Model;

impl Write {
    pub async fn commit(self) -> ApiResult<()> {
        Ok(self.txn.commit().await?)
    }

    fn record<T: Serialize>(
        &self,
        authority_id: Option<i64>,
        operation: &str,
        entity: &str,
        entity_id: Option<i64>,
        before: Option<&T>,
        after: Option<&T>,
    ) -> ApiResult<audit_log::ActiveModel> {
        let json = |v: Option<&T>| {
            v.map(serde_json::to_string)
                .transpose()
                .map_err(ApiError::internal)
        };
        Ok(audit_log::ActiveModel {
            authority_id: Set(authority_id),
            actor: Set(self.actor.clone()),
            operation: Set(operation.to_owned()),
            entity: Set(entity.to_owned()),
            entity_id: Set(entity_id),
            before: Set(json(before)?),
            after: Set(json(after)?),
            at: Set(self.now),
            ..Default::default()
        })
    }

    /// Records who did what to which entity, with its values before and after.
    pub async fn audit<T: Serialize>(
        &self,
        authority_id: Option<i64>,
        operation: &str,
        entity: &str,
        entity_id: Option<i64>,
        before: Option<&T>,
        after: Option<&T>,
    ) -> ApiResult<()> {
        self.record(authority_id, operation, entity, entity_id, before, after)?
            .insert(&self.txn)
            .await?;
        Ok(())
    }

    /// Inserts a row and audits its creation.
    pub async fn create<A>(&self, operation: &str, entity: &str, row: A) -> ApiResult<ModelOf<A>>
    where
        A: ActiveModelTrait + ActiveModelBehavior + Send,
        ModelOf<A>: Row<A>,
    {
        let mut one = self.create_many(operation, entity, vec![row]).await?;
        one.pop()
            .ok_or_else(|| ApiError::internal("an insert returned no row"))
    }

    /// Inserts rows and audits their creation, a few statements for many
    /// rows (an import's results, say).
    pub async fn create_many<A>(
        &self,
        operation: &str,
        entity: &str,
        rows: Vec<A>,
    ) -> ApiResult<Vec<ModelOf<A>>>
    where
        A: ActiveModelTrait + ActiveModelBehavior + Send,
        ModelOf<A>: Row<A>,
    {
        let mut out = Vec::with_capacity(rows.len());
        for chunk in rows.chunks(INSERT_CHUNK) {
            let models = A::Entity::insert_many(chunk.to_vec())
                .exec_with_returning(&self.txn)
                .await?;
            let records = models
                .iter()
                .map(|m| self.record(m.authority(), operation, entity, Some(m.row_id()), None, Some(m)))
                .collect::<ApiResult<Vec<_>>>()?;
            audit_log::Entity::insert_many(records)
                .exec_without_returning(&self.txn)
                .await?;
            out.extend(models);
        }
        Ok(out)
    }

    /// Saves a changed row and audits both versions.
    pub async fn change<A>(
        &self,
        operation: &str,
        entity: &str,
        before: &ModelOf<A>,
        row: A,
    ) -> ApiResult<ModelOf<A>>
    where
        A: ActiveModelTrait + ActiveModelBehavior + Send,
        ModelOf<A>: Row<A>,
    {
        let m = row.update(&self.txn).await?;
        self.audit_change(operation, entity, before, &m).await?;
        Ok(m)
    }

    /// Audits a row's change, with both versions.
    async fn audit_change<M: Serialize + Audited>(
        &self,
        operation: &str,
        entity: &str,
        before: &M,
        after: &M,
    ) -> ApiResult<()> {
        self.audit(
            after.authority(),
            operation,
            entity,
            Some(after.row_id()),
            Some(before),
            Some(after),
        )
        .await
    }

    /// Saves `changes` to `old`'s row only if its `version` column still
    /// holds `version`, and audits both versions. The check and the update
    /// are one statement, so of two writers holding the same version exactly
    /// one succeeds; the other gets `stale` and the transaction writes nothing.
    pub async fn change_versioned<A>(
        &self,
        operation: &str,
        entity: &str,
        old: &ModelOf<A>,
        version: (<A::Entity as EntityTrait>::Column, i32),
        changes: A,
        stale: impl FnOnce() -> ApiError,
    ) -> ApiResult<ModelOf<A>>
    where
        A: ActiveModelTrait + ActiveModelBehavior + Send,
        ModelOf<A>: Row<A>,
    {
        let id = super::id_column::<A::Entity>().ok_or_else(|| ApiError::internal("no id column"))?;
        let updated = A::Entity::update_many()
            .set(changes)
            .filter(id.eq(old.row_id()))
            .filter(version.0.eq(version.1))
            .exec(&self.txn)
            .await?;
        if updated.rows_affected != 1 {
            return Err(stale());
        }
        let new = super::by_ids::<A::Entity>(&self.txn, &[old.row_id()])
            .await?
            .pop()
            .ok_or_else(|| ApiError::internal("a row vanished inside its transaction"))?;
        self.audit_change(operation, entity, old, &new).await?;
        Ok(new)
    }
}

/// What the audit log needs to know of a row.
pub trait Audited {
    fn row_id(&self) -> i64;
    fn authority(&self) -> Option<i64>;
}

macro_rules! audited {
    (authority) => {
        impl Audited for authority::Model {
            fn row_id(&self) -> i64 {
                self.id
            }
            fn authority(&self) -> Option<i64> {
                Some(self.id)
            }
        }
    };
    ($($m:ident),+) => {$(
        impl Audited for $m::Model {
            fn row_id(&self) -> i64 {
                self.id
            }
            fn authority(&self) -> Option<i64> {
                Some(self.authority_id)
            }
        }
    )+};
}

audited!(authority);
audited!(
    partner,
    plan,
    plan_node,
    measure,
    target,
    result,
    commentary,
    action_plan,
    action,
    panel,
    panel_remit,
    meeting,
    agenda_item,
    publication
);

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

/// Replaces a commentary's body if it is still at `expected_version`.
pub async fn edit_commentary(
    w: &Write,
    old: &commentary::Model,
    body: &str,
    expected_version: i32,
) -> ApiResult<commentary::Model> {
    let stale = || {
        ApiError::Conflict(format!(
            "the commentary has changed since version {expected_version}"
        ))
    };
    if old.version != expected_version {
        return Err(stale());
    }
    let mut changes = old.clone().into_active_model();
    changes.body = Set(body.to_owned());
    changes.version = Set(expected_version + 1);
    changes.author = Set(w.actor.clone());
    changes.updated_at = Set(w.now);
    let new = w
        .change_versioned(
            "editCommentary",
            "commentary",
            old,
            (commentary::Column::Version, expected_version),
            changes,
            stale,
        )
        .await?;
    commentary_history::ActiveModel {
        authority_id: Set(old.authority_id),
        commentary_id: Set(old.id),
        version: Set(old.version),
        body: Set(old.body.clone()),
        author: Set(old.author.clone()),
        edited_at: Set(w.now),
        ..Default::default()
    }
    .insert(&w.txn)
    .await?;
    Ok(new)
}

/// Changes an action if it is still at `expected_version`.
pub async fn update_action(
    w: &Write,
    old: &action::Model,
    status: Option<entity::ActionStatus>,
    note: Option<String>,
    expected_version: i32,
) -> ApiResult<action::Model> {
    let stale = || ApiError::Conflict(format!("the action has changed since version {expected_version}"));
    if old.version != expected_version {
        return Err(stale());
    }
    let mut changes = old.clone().into_active_model();
    changes.status = Set(status.unwrap_or(old.status));
    changes.note = Set(note.or_else(|| old.note.clone()));
    changes.version = Set(expected_version + 1);
    changes.updated_at = Set(w.now);
    w.change_versioned(
        "updateAction",
        "action",
        old,
        (action::Column::Version, expected_version),
        changes,
        stale,
    )
    .await
}

/// Replaces a panel's remit, auditing the old and new lists.
pub async fn set_remit(w: &Write, p: &panel::Model, node_ids: &[i64], measure_ids: &[i64]) -> ApiResult<()> {
    #[derive(Serialize)]
    struct Remit {
        nodes: Vec<i64>,
        measures: Vec<i64>,
    }
    let old = panel_remit::Entity::find()
        .filter(panel_remit::Column::PanelId.eq(p.id))
        .all(&w.txn)
        .await?;
    let before = Remit {
        nodes: old.iter().filter_map(|r| r.node_id).collect(),
        measures: old.iter().filter_map(|r| r.measure_id).collect(),
    };
    panel_remit::Entity::delete_many()
        .filter(panel_remit::Column::PanelId.eq(p.id))
        .exec(&w.txn)
        .await?;
    let rows = node_ids
        .iter()
        .map(|n| (Some(*n), None))
        .chain(measure_ids.iter().map(|m| (None, Some(*m))))
        .map(|(node_id, measure_id)| panel_remit::ActiveModel {
            authority_id: Set(p.authority_id),
            panel_id: Set(p.id),
            node_id: Set(node_id),
            measure_id: Set(measure_id),
            ..Default::default()
        });
    panel_remit::Entity::insert_many(rows).exec(&w.txn).await?;
    let after = Remit {
        nodes: node_ids.to_vec(),
        measures: measure_ids.to_vec(),
    };
    w.audit(
        Some(p.authority_id),
        "setRemit",
        "panelRemit",
        Some(p.id),
        Some(&before),
        Some(&after),
    )
    .await
}
