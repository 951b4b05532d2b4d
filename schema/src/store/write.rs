//! Every write: each function is one mutation's statements, run inside the
//! caller's transaction together with its audit record, so a refused or
//! failed mutation leaves no row behind. Inputs arrive validated.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use entity::model::{
    action, action_plan, agenda_item, audit_log, authority, commentary, commentary_history, measure, meeting,
    panel, panel_remit, partner, plan, plan_node, publication, result, result_history, target,
};
use entity::{Num, Period};
use sea_orm::sea_query::{Expr, LockType};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait, TryInsertResult,
};
use serde::Serialize;
use tokio::sync::{Mutex, MutexGuard};

use crate::error::{ApiError, ApiResult};

/// SQLite takes one writer at a time and answers a second with "database is
/// locked"; queueing writers here turns that into waiting.
static SQLITE_WRITER: LazyLock<Mutex<()>> = LazyLock::new(|| Mutex::new(()));

/// A write transaction.
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

impl Write {
    pub async fn commit(self) -> ApiResult<()> {
        Ok(self.txn.commit().await?)
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
        let json = |v: Option<&T>| {
            v.map(serde_json::to_string)
                .transpose()
                .map_err(ApiError::internal)
        };
        audit_log::ActiveModel {
            authority_id: Set(authority_id),
            actor: Set(self.actor.clone()),
            operation: Set(operation.to_owned()),
            entity: Set(entity.to_owned()),
            entity_id: Set(entity_id),
            before: Set(json(before)?),
            after: Set(json(after)?),
            at: Set(self.now),
            ..Default::default()
        }
        .insert(&self.txn)
        .await?;
        Ok(())
    }

    /// Inserts a row and audits its creation.
    pub async fn create<A>(
        &self,
        operation: &str,
        entity: &str,
        row: A,
    ) -> ApiResult<<A::Entity as EntityTrait>::Model>
    where
        A: ActiveModelTrait + sea_orm::ActiveModelBehavior + Send,
        <A::Entity as EntityTrait>::Model: sea_orm::IntoActiveModel<A> + Serialize + Audited,
    {
        let m = row.insert(&self.txn).await?;
        self.audit(m.authority(), operation, entity, Some(m.row_id()), None, Some(&m))
            .await?;
        Ok(m)
    }

    /// Saves a changed row and audits both versions.
    pub async fn change<A>(
        &self,
        operation: &str,
        entity: &str,
        before: &<A::Entity as EntityTrait>::Model,
        row: A,
    ) -> ApiResult<<A::Entity as EntityTrait>::Model>
    where
        A: ActiveModelTrait + sea_orm::ActiveModelBehavior + Send,
        <A::Entity as EntityTrait>::Model: sea_orm::IntoActiveModel<A> + Serialize + Audited,
    {
        let m = row.update(&self.txn).await?;
        self.audit(
            m.authority(),
            operation,
            entity,
            Some(m.row_id()),
            Some(before),
            Some(&m),
        )
        .await?;
        Ok(m)
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

/// Sets the target (and floor) of a measure for a period, replacing any.
pub async fn set_target(
    w: &Write,
    m: &measure::Model,
    period: Period,
    value: Num,
    floor: Option<Num>,
) -> ApiResult<target::Model> {
    let existing = target::Entity::find()
        .filter(target::Column::MeasureId.eq(m.id))
        .filter(target::Column::Period.eq(period))
        .one(&w.txn)
        .await?;
    match existing {
        Some(old) => {
            let mut row: target::ActiveModel = old.clone().into();
            row.target = Set(value);
            row.floor = Set(floor);
            row.set_by = Set(w.actor.clone());
            row.set_at = Set(w.now);
            w.change("setTarget", "target", &old, row).await
        }
        None => {
            let row = target::ActiveModel {
                authority_id: Set(m.authority_id),
                measure_id: Set(m.id),
                period: Set(period),
                target: Set(value),
                floor: Set(floor),
                set_by: Set(w.actor.clone()),
                set_at: Set(w.now),
                ..Default::default()
            };
            w.create("setTarget", "target", row).await
        }
    }
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
/// period was published is marked restated.
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
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let of_plan: Vec<(Period, DateTime<Utc>)> = published
            .iter()
            .filter(|p| p.plan_id == item.measure.plan_id)
            .map(|p| (p.period, p.published_at))
            .collect();
        let was_published = entity::rules::published_at(&of_plan, &item.period).is_some();
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
        let saved = match old {
            Some(old) => {
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
                let new = result::Model {
                    value: item.value,
                    note: item.note.clone(),
                    submitted_by: w.actor.clone(),
                    submitted_at: w.now,
                    version: old.version + 1,
                    restated: old.restated || was_published,
                    ..old.clone()
                };
                // The measures are locked, so the version read above is
                // current; the guard is a second line, never expected to trip.
                let mut changes = old.clone().into_active_model();
                changes.value = Set(new.value);
                changes.note = Set(new.note.clone());
                changes.submitted_by = Set(new.submitted_by.clone());
                changes.submitted_at = Set(new.submitted_at);
                changes.version = Set(new.version);
                changes.restated = Set(new.restated);
                let updated = result::Entity::update_many()
                    .set(changes)
                    .filter(result::Column::Id.eq(old.id))
                    .filter(result::Column::Version.eq(old.version))
                    .exec(&w.txn)
                    .await?;
                if updated.rows_affected != 1 {
                    return Err(ApiError::Conflict(format!(
                        "the result for {} changed while this was submitted: submit again",
                        item.period
                    )));
                }
                w.audit(
                    Some(old.authority_id),
                    "submitResult",
                    "result",
                    Some(old.id),
                    Some(old),
                    Some(&new),
                )
                .await?;
                new
            }
            None => {
                let row = result::ActiveModel {
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
                };
                w.create("submitResult", "result", row).await?
            }
        };
        out.push(saved);
    }
    Ok(out)
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
    for chunk in measure_ids.chunks(super::CHUNK) {
        measure::Entity::find()
            .select_only()
            .column(measure::Column::Id)
            .filter(measure::Column::Id.is_in(chunk.iter().copied()))
            .order_by_asc(measure::Column::Id)
            .lock(LockType::NoKeyUpdate)
            .into_tuple::<i64>()
            .all(&w.txn)
            .await?;
    }
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
    // The version check and the update are one statement, so of two editors
    // holding the same version exactly one succeeds.
    let updated = commentary::Entity::update_many()
        .col_expr(commentary::Column::Body, Expr::value(body.to_owned()))
        .col_expr(commentary::Column::Version, Expr::value(expected_version + 1))
        .col_expr(commentary::Column::Author, Expr::value(w.actor.clone()))
        .col_expr(commentary::Column::UpdatedAt, Expr::value(w.now))
        .filter(commentary::Column::Id.eq(old.id))
        .filter(commentary::Column::Version.eq(expected_version))
        .exec(&w.txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(stale());
    }
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
    let new = commentary::Entity::find_by_id(old.id)
        .one(&w.txn)
        .await?
        .ok_or_else(|| ApiError::internal("commentary vanished inside its transaction"))?;
    w.audit(
        Some(old.authority_id),
        "editCommentary",
        "commentary",
        Some(old.id),
        Some(old),
        Some(&new),
    )
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
    let updated = action::Entity::update_many()
        .col_expr(action::Column::Status, Expr::value(status.unwrap_or(old.status)))
        .col_expr(
            action::Column::Note,
            Expr::value(note.or_else(|| old.note.clone())),
        )
        .col_expr(action::Column::Version, Expr::value(expected_version + 1))
        .col_expr(action::Column::UpdatedAt, Expr::value(w.now))
        .filter(action::Column::Id.eq(old.id))
        .filter(action::Column::Version.eq(expected_version))
        .exec(&w.txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(stale());
    }
    let new = action::Entity::find_by_id(old.id)
        .one(&w.txn)
        .await?
        .ok_or_else(|| ApiError::internal("action vanished inside its transaction"))?;
    w.audit(
        Some(old.authority_id),
        "updateAction",
        "action",
        Some(old.id),
        Some(old),
        Some(&new),
    )
    .await?;
    Ok(new)
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

/// A page of an authority's audit log, oldest first, after the `after` id.
pub async fn audit_page(
    db: &impl ConnectionTrait,
    authority_id: i64,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    after: Option<i64>,
    limit: u64,
) -> ApiResult<Vec<audit_log::Model>> {
    let mut q = audit_log::Entity::find().filter(audit_log::Column::AuthorityId.eq(authority_id));
    if let Some(from) = from {
        q = q.filter(audit_log::Column::At.gte(from));
    }
    if let Some(to) = to {
        q = q.filter(audit_log::Column::At.lte(to));
    }
    if let Some(after) = after {
        q = q.filter(audit_log::Column::Id.gt(after));
    }
    Ok(q.order_by_asc(audit_log::Column::Id).limit(limit).all(db).await?)
}
