//! The write transaction every use case writes through, with the audit
//! record of each row it creates or changes, so a refused or failed mutation
//! (or import) leaves no row behind. Inputs arrive validated.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{LazyLock, PoisonError};

use chrono::{DateTime, Utc};
use entity::model::{
    action, action_plan, agenda_item, audit_log, authority, commentary, comparison_group,
    comparison_group_member, deadline, identity_provider, measure, meeting, membership, metric, metric_value,
    panel, panel_remit, partner, plan, plan_node, publication, result, target,
};
use sea_orm::sea_query::{OnConflict, SimpleExpr};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend,
    DatabaseConnection, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter, Statement,
    TransactionTrait,
};
use serde::Serialize;
use tokio::sync::{Mutex, MutexGuard};

use crate::error::{ApiError, ApiResult, Code};
use crate::live::{self, Event, Feed};

/// SQLite takes one writer at a time and answers a second with "database is
/// locked"; queueing writers here turns that into waiting.
static SQLITE_WRITER: LazyLock<Mutex<()>> = LazyLock::new(|| Mutex::new(()));

/// Bound parameters in one multi-row statement: below SQLite's limit
/// (32,766) and PostgreSQL's (65,535).
const MAX_PARAMETERS: usize = 30_000;

/// Rows of `E` in one multi-row statement: a batch of a few thousand rows
/// is one statement, and no batch meets an engine's parameter limit.
fn rows_per_statement<E: EntityTrait>() -> usize {
    MAX_PARAMETERS / <E::Column as sea_orm::Iterable>::iter().count().max(1)
}

/// What the audit log calls the rows a person's roles are decided by: a
/// write that records one of them bumps the directory's version, so every
/// replica reads it again before the next request.
pub const DIRECTORY_ENTITIES: &[&str] = &["authority", "partner", "identityProvider", "membership"];

/// A write transaction: every use case writes through one, with the actor
/// and the moment its audit records name.
pub struct Write {
    pub txn: DatabaseTransaction,
    pub actor: String,
    pub now: DateTime<Utc>,
    _gate: Option<MutexGuard<'static, ()>>,
    /// What this write announces once it has committed (see [`live`]).
    events: std::sync::Mutex<Vec<Event>>,
    /// SQLite's in-process feed, when a server of this process listens.
    local: Option<Feed>,
    /// An audit record this write made (0: none). Every write is audited,
    /// so none means nothing was written, and a write that changed nothing
    /// leaves the data version (and so every cached answer) as it was. After
    /// a commit whose answer was lost with the connection, the record says
    /// whether it committed.
    marker: AtomicI64,
    /// Whether it changed what decides a person's roles (see
    /// [`DIRECTORY_ENTITIES`]).
    directory: AtomicBool,
    /// Where to look for that record, on a connection of its own.
    db: DatabaseConnection,
    /// Whether audit records are left unwritten: an import of an export
    /// brings the records of the writes it replays, and adds its own.
    quiet: AtomicBool,
}

/// How [`Write::read_then`] ends a write.
pub enum Finish {
    Commit,
    /// A dry run: nothing it wrote stays.
    RollBack,
}

impl Write {
    /// Reads through this write's own transaction, what it wrote included,
    /// then finishes it: a mutation decides its answer before its commit,
    /// so no answer says a write failed when it had committed, and a dry
    /// run answers with what it would have written.
    pub async fn read_then<T, F, Fut>(self, finish: Finish, read: F) -> ApiResult<T>
    where
        F: FnOnce(super::Reader) -> Fut,
        Fut: Future<Output = ApiResult<T>>,
    {
        let Write {
            txn,
            actor,
            now,
            _gate,
            events,
            local,
            marker,
            directory,
            db,
            quiet,
        } = self;
        let txn = std::sync::Arc::new(txn);
        let answer = read(super::Reader::Snapshot(txn.clone())).await?;
        let txn = last_holder(txn).await?;
        let w = Write {
            txn,
            actor,
            now,
            _gate,
            events,
            local,
            marker,
            directory,
            db,
            quiet,
        };
        match finish {
            Finish::Commit => w.commit().await?,
            Finish::RollBack => w.txn.rollback().await?,
        }
        Ok(answer)
    }
}

/// The transaction back from readers that shared it: a loader's task lets
/// go of its copy just after its answer arrives, so this waits a moment for
/// that; one still held then is refused, before any commit, which writes
/// nothing.
async fn last_holder(mut txn: std::sync::Arc<DatabaseTransaction>) -> ApiResult<DatabaseTransaction> {
    for _ in 0..200 {
        match std::sync::Arc::try_unwrap(txn) {
            Ok(txn) => return Ok(txn),
            Err(shared) => txn = shared,
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    Err(ApiError::internal("a reader kept the write's transaction"))
}

/// Whether a write whose commit lost its connection had committed, told by
/// the audit record it made: PostgreSQL never hands a record's id out twice.
/// Asked for a few seconds while the database comes back; past that, the
/// write's fate is unknown, and the answer says so.
async fn committed(db: &DatabaseConnection, audit_id: i64) -> ApiResult<bool> {
    for _ in 0..30 {
        match audit_log::Entity::find_by_id(audit_id).one(db).await {
            Ok(found) => return Ok(found.is_some()),
            Err(e) if crate::error::is_connection_failure(&e) => {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(e) => return Err(ApiError::from(e)),
        }
    }
    Err(ApiError::Unconfirmed)
}

/// On SQLite, a place in the queue of writers; on PostgreSQL, nothing to wait for.
pub(crate) async fn sqlite_gate(db: &DatabaseConnection) -> Option<MutexGuard<'static, ()>> {
    match db.get_database_backend() {
        DatabaseBackend::Sqlite => Some(SQLITE_WRITER.lock().await),
        _ => None,
    }
}

pub async fn begin(db: &DatabaseConnection, actor: &str) -> ApiResult<Write> {
    let gate = sqlite_gate(db).await;
    Ok(Write {
        txn: db.begin().await?,
        actor: actor.to_owned(),
        now: Utc::now(),
        _gate: gate,
        events: std::sync::Mutex::default(),
        local: live::existing_local_feed(db),
        marker: AtomicI64::new(0),
        directory: AtomicBool::new(false),
        db: db.clone(),
        quiet: AtomicBool::new(false),
    })
}

/// Sends the payloads on the live channel, in order, in one statement per
/// few thousand (a bulk write's thousands of events are a few statements).
async fn notify(txn: &DatabaseTransaction, payloads: Vec<String>) -> ApiResult<()> {
    for chunk in payloads.chunks(MAX_PARAMETERS - 1) {
        // A VALUES list is scanned in the order written.
        let rows: Vec<String> = (0..chunk.len()).map(|i| format!("(${}::text)", i + 2)).collect();
        let sql = format!(
            "SELECT pg_notify($1, p) FROM (VALUES {}) AS t(p)",
            rows.join(", ")
        );
        let values = std::iter::once(live::CHANNEL.into()).chain(chunk.iter().map(|p| p.clone().into()));
        txn.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            sql,
            values,
        ))
        .await?;
    }
    Ok(())
}

/// A model's active model, the shape every generic write below takes.
pub trait Row<A: ActiveModelTrait>: IntoActiveModel<A> + Serialize + Audited + Clone + Send + Sync {}
impl<A: ActiveModelTrait, M> Row<A> for M where
    M: IntoActiveModel<A> + Serialize + Audited + Clone + Send + Sync
{
}

type ModelOf<A> = <<A as ActiveModelTrait>::Entity as EntityTrait>::Model;

impl Write {
    /// Commits, announcing the events raised, numbered in their authorities'
    /// sequences and kept for replay (`store::live::number`): on PostgreSQL by `NOTIFY`
    /// inside the transaction, which PostgreSQL delivers only on commit; on
    /// SQLite to this process's feed once the commit has succeeded. The
    /// idempotency key of the request it runs for, if any, is marked applied
    /// in the same transaction, so a retry can never apply it again.
    pub async fn commit(self) -> ApiResult<()> {
        super::idempotency::mark_applied(&self.txn).await?;
        let marker = self.marker.load(Ordering::Relaxed);
        if marker != 0 {
            super::version::bump(&self.txn, self.directory.load(Ordering::Relaxed)).await?;
        }
        let events = std::mem::take(&mut *self.events.lock().unwrap_or_else(PoisonError::into_inner));
        let events = if events.is_empty() {
            Vec::new()
        } else {
            super::live::number(&self.txn, events, self.now).await?
        };
        if self.txn.get_database_backend() == DatabaseBackend::Postgres {
            notify(&self.txn, live::payloads(&events)).await?;
        }
        if let Err(e) = self.txn.commit().await {
            let e = ApiError::from(e);
            if e.code() != Code::Unavailable || marker == 0 || !committed(&self.db, marker).await? {
                return Err(e);
            }
        }
        if let Some(feed) = &self.local {
            live::announce(feed, events);
        }
        Ok(())
    }

    /// Raises an event, announced when (and only if) the write commits.
    pub fn raise(&self, event: Event) {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(event);
    }

    /// Leaves audit records unwritten (`true`) or writes them again.
    pub fn hush(&self, quiet: bool) {
        self.quiet.store(quiet, Ordering::Relaxed);
    }

    fn wrote(&self, audit_id: i64) {
        let _ = self
            .marker
            .compare_exchange(0, audit_id, Ordering::Relaxed, Ordering::Relaxed);
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
        if DIRECTORY_ENTITIES.contains(&entity) {
            self.directory.store(true, Ordering::Relaxed);
        }
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
        let record = self.record(authority_id, operation, entity, entity_id, before, after)?;
        if self.quiet.load(Ordering::Relaxed) {
            return Ok(());
        }
        let record = record.insert(&self.txn).await?;
        self.wrote(record.id);
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
        for chunk in rows.chunks(rows_per_statement::<A::Entity>()) {
            out.extend(
                A::Entity::insert_many(chunk.to_vec())
                    .exec_with_returning(&self.txn)
                    .await?,
            );
        }
        let created: Vec<(Option<&ModelOf<A>>, &ModelOf<A>)> = out.iter().map(|m| (None, m)).collect();
        self.audit_all(operation, entity, &created).await?;
        Ok(out)
    }

    /// Inserts rows or, where a row with the same `key` exists, replaces
    /// its `columns` (where `guard` holds of it), and audits each with its
    /// version before from `before`; a few statements for many rows. A row
    /// the guard kept from being replaced does not come back.
    pub async fn upsert_many<A>(
        &self,
        operation: &str,
        entity: &str,
        rows: Vec<A>,
        before: &[&ModelOf<A>],
        how: Upsert<'_, <A::Entity as EntityTrait>::Column>,
    ) -> ApiResult<Vec<ModelOf<A>>>
    where
        A: ActiveModelTrait + ActiveModelBehavior + Send,
        ModelOf<A>: Row<A>,
    {
        let mut on_conflict = OnConflict::columns(how.key.iter().copied());
        on_conflict.update_columns(how.columns.iter().copied());
        on_conflict.action_and_where_option(how.guard);
        let mut out = Vec::with_capacity(rows.len());
        for chunk in rows.chunks(rows_per_statement::<A::Entity>()) {
            out.extend(
                A::Entity::insert_many(chunk.to_vec())
                    .on_conflict(on_conflict.clone())
                    .exec_with_returning(&self.txn)
                    .await?,
            );
        }
        let before: HashMap<i64, &ModelOf<A>> = before.iter().map(|m| (m.row_id(), *m)).collect();
        let changes: Vec<(Option<&ModelOf<A>>, &ModelOf<A>)> = out
            .iter()
            .map(|m| (before.get(&m.row_id()).copied(), m))
            .collect();
        self.audit_all(operation, entity, &changes).await?;
        Ok(out)
    }

    /// Audits rows written together, each with its version before (none
    /// for a new row) and after, in a few statements.
    async fn audit_all<M: Serialize + Audited>(
        &self,
        operation: &str,
        entity: &str,
        changes: &[(Option<&M>, &M)],
    ) -> ApiResult<()> {
        let records = changes
            .iter()
            .map(|(before, after)| {
                self.record(
                    after.authority(),
                    operation,
                    entity,
                    Some(after.row_id()),
                    *before,
                    Some(*after),
                )
            })
            .collect::<ApiResult<Vec<_>>>()?;
        if self.quiet.load(Ordering::Relaxed) {
            return Ok(());
        }
        for chunk in records.chunks(rows_per_statement::<audit_log::Entity>()) {
            let ids = audit_log::Entity::insert_many(chunk.to_vec())
                .exec_with_returning_keys(&self.txn)
                .await?;
            if let Some(id) = ids.first() {
                self.wrote(*id);
            }
        }
        Ok(())
    }

    /// Inserts rows that need no audit record of their own, as the values a
    /// change replaced (the change's own record holds them too), in a few
    /// statements.
    pub async fn insert_all<A>(&self, rows: Vec<A>) -> ApiResult<()>
    where
        A: ActiveModelTrait + ActiveModelBehavior + Send,
    {
        for chunk in rows.chunks(rows_per_statement::<A::Entity>()) {
            A::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(&self.txn)
                .await?;
        }
        Ok(())
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

/// How [`Write::upsert_many`] meets a row that exists: the unique `key`
/// that finds it, the `columns` it replaces, and the `guard` that must hold
/// of it.
pub struct Upsert<'c, C> {
    pub key: &'c [C],
    pub columns: &'c [C],
    pub guard: Option<SimpleExpr>,
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
    // National rows: in no authority's log but the platform's.
    (national $m:ident) => {
        impl Audited for $m::Model {
            fn row_id(&self) -> i64 {
                self.id
            }
            fn authority(&self) -> Option<i64> {
                None
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
audited!(national metric);
audited!(national identity_provider);
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
    publication,
    deadline,
    metric_value,
    comparison_group_member
);

/// A membership is in its authority's log; a platform role in the platform's.
impl Audited for membership::Model {
    fn row_id(&self) -> i64 {
        self.id
    }
    fn authority(&self) -> Option<i64> {
        self.authority_id
    }
}

/// A comparison group is in its owner's log; one owned by no authority is
/// national.
impl Audited for comparison_group::Model {
    fn row_id(&self) -> i64 {
        self.id
    }
    fn authority(&self) -> Option<i64> {
        self.owner_id
    }
}
