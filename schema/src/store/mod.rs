//! Every SQL query of the service. Functions take `&impl ConnectionTrait`,
//! so the same code runs on a pooled connection or inside a transaction, on
//! SQLite or PostgreSQL. Each one issues a fixed number of statements,
//! whatever the number of ids it is given.

use chrono::NaiveDate;
use entity::model::{authority, measure, partner, plan, publication, result, target};
use entity::{Num, Period};
use std::sync::Arc;

use sea_orm::sea_query::{ValueType, ValueTypeErr};
use sea_orm::{
    AccessMode, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    DerivePartialModel, EntityTrait, ExecResult, IsolationLevel, Iterable, ModelTrait, PrimaryKeyToColumn,
    QueryFilter, QueryOrder, QueryResult, Select, Statement, TransactionTrait,
};

use crate::error::ApiResult;

pub mod import;
pub mod write;

/// Where a request's loaders read. A query reads through one read-only
/// transaction for the whole request: one connection instead of a checkout
/// (and, on PostgreSQL, a ping when it is handed back) per statement, and
/// one snapshot, so a dashboard's counts and rows agree even while officers
/// submit. A mutation reads through the pool, so it sees its own writes.
#[derive(Clone, Debug)]
pub enum Reader {
    Pool(DatabaseConnection),
    Snapshot(Arc<DatabaseTransaction>),
}

impl Reader {
    /// Opens the snapshot one query reads through.
    pub async fn snapshot(db: &DatabaseConnection) -> ApiResult<Self> {
        let txn = match db.get_database_backend() {
            // SQLite reads in a transaction see one snapshot already, and
            // warns about settings it does not have.
            DbBackend::Sqlite => db.begin().await?,
            _ => {
                db.begin_with_config(Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly))
                    .await?
            }
        };
        Ok(Reader::Snapshot(Arc::new(txn)))
    }

    /// Ends a snapshot once nothing else holds it; a holder still running
    /// (a loader's task) ends it when it lets go, by rolling back, which for
    /// a read-only transaction is the same.
    pub async fn close(self) -> ApiResult<()> {
        if let Reader::Snapshot(txn) = self
            && let Ok(txn) = Arc::try_unwrap(txn)
        {
            txn.commit().await?;
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Reader {
    fn get_database_backend(&self) -> DbBackend {
        match self {
            Reader::Pool(db) => db.get_database_backend(),
            Reader::Snapshot(txn) => txn.get_database_backend(),
        }
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        match self {
            Reader::Pool(db) => db.execute_raw(stmt).await,
            Reader::Snapshot(txn) => txn.execute_raw(stmt).await,
        }
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        match self {
            Reader::Pool(db) => db.execute_unprepared(sql).await,
            Reader::Snapshot(txn) => txn.execute_unprepared(sql).await,
        }
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        match self {
            Reader::Pool(db) => db.query_one_raw(stmt).await,
            Reader::Snapshot(txn) => txn.query_one_raw(stmt).await,
        }
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match self {
            Reader::Pool(db) => db.query_all_raw(stmt).await,
            Reader::Snapshot(txn) => txn.query_all_raw(stmt).await,
        }
    }
}

/// Lists of ids are sent in chunks below every engine's bound-parameter limit.
const CHUNK: usize = 10_000;

pub async fn authorities(db: &impl ConnectionTrait) -> ApiResult<Vec<authority::Model>> {
    Ok(authority::Entity::find()
        .order_by_asc(authority::Column::Slug)
        .all(db)
        .await?)
}

pub async fn authority_by_slug(db: &impl ConnectionTrait, slug: &str) -> ApiResult<Option<authority::Model>> {
    // What cannot be a slug names nothing, and never reaches SQL: PostgreSQL
    // refuses a NUL byte in text outright.
    if crate::validate::slug(slug).is_err() {
        return Ok(None);
    }
    Ok(authority::Entity::find()
        .filter(authority::Column::Slug.eq(slug))
        .one(db)
        .await?)
}

/// Authorities by slug, and the partners of those authorities: what a
/// token's grants name.
pub async fn grant_targets(
    db: &impl ConnectionTrait,
    slugs: &[String],
) -> ApiResult<(Vec<authority::Model>, Vec<partner::Model>)> {
    let slugs = slugs.iter().filter(|s| crate::validate::slug(s).is_ok()).cloned();
    let auths = authority::Entity::find()
        .filter(authority::Column::Slug.is_in(slugs))
        .all(db)
        .await?;
    let ids: Vec<i64> = auths.iter().map(|a| a.id).collect();
    let partners = rows_where_in::<partner::Entity>(db, partner::Column::AuthorityId, &ids, None).await?;
    Ok((auths, partners))
}

/// The id column of an entity whose primary key is a single `i64`.
fn id_column<E: EntityTrait>() -> Option<E::Column> {
    E::PrimaryKey::iter().next().map(|pk| pk.into_column())
}

pub fn id_of<M: ModelTrait>(m: &M) -> Result<i64, ValueTypeErr> {
    let col = id_column::<M::Entity>().ok_or(ValueTypeErr)?;
    <i64 as ValueType>::try_from(m.get(col))
}

/// Rows of `E` whose `column` is one of `keys`, ordered by `order` then id.
pub async fn rows_where_in<E: EntityTrait>(
    db: &impl ConnectionTrait,
    column: E::Column,
    keys: &[i64],
    order: Option<E::Column>,
) -> ApiResult<Vec<E::Model>> {
    let mut out = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(CHUNK) {
        let mut q = E::find().filter(column.is_in(chunk.iter().copied()));
        if let Some(o) = order {
            q = q.order_by_asc(o);
        }
        if let Some(id) = id_column::<E>() {
            q = q.order_by_asc(id);
        }
        out.extend(q.all(db).await?);
    }
    Ok(out)
}

pub async fn by_ids<E: EntityTrait>(db: &impl ConnectionTrait, ids: &[i64]) -> ApiResult<Vec<E::Model>> {
    match id_column::<E>() {
        Some(col) => rows_where_in::<E>(db, col, ids, None).await,
        None => Ok(Vec::new()),
    }
}

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
fn results_of(measure_ids: &[i64], periods: &[Period]) -> Select<result::Entity> {
    result::Entity::find()
        .filter(result::Column::MeasureId.is_in(measure_ids.iter().copied()))
        .filter(result::Column::Period.is_in(periods.iter().copied()))
}

/// Results of the measures in exactly the given periods.
pub async fn results_in(
    db: &impl ConnectionTrait,
    measure_ids: &[i64],
    periods: &[Period],
) -> ApiResult<Vec<result::Model>> {
    let mut out = Vec::new();
    for chunk in measure_ids.chunks(CHUNK) {
        out.extend(results_of(chunk, periods).all(db).await?);
    }
    Ok(out)
}

/// Result values of the measures in exactly the given periods.
pub async fn result_values_in(
    db: &impl ConnectionTrait,
    measure_ids: &[i64],
    periods: &[Period],
) -> ApiResult<Vec<ResultValue>> {
    let mut out = Vec::new();
    for chunk in measure_ids.chunks(CHUNK) {
        out.extend(
            results_of(chunk, periods)
                .into_partial_model::<ResultValue>()
                .all(db)
                .await?,
        );
    }
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
    let mut out = Vec::new();
    for chunk in measure_ids.chunks(CHUNK) {
        let mut q = result::Entity::find().filter(result::Column::MeasureId.is_in(chunk.iter().copied()));
        if let Some(from) = from {
            q = q.filter(result::Column::PeriodStart.gte(from));
        }
        if let Some(to) = to {
            q = q.filter(result::Column::PeriodStart.lte(to));
        }
        out.extend(
            q.order_by_asc(result::Column::PeriodStart)
                .into_partial_model::<ResultValue>()
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

/// Target values of the measures in the given periods, or in every period.
pub async fn target_values_in(
    db: &impl ConnectionTrait,
    measure_ids: &[i64],
    periods: Option<&[Period]>,
) -> ApiResult<Vec<TargetValue>> {
    let mut out = Vec::new();
    for chunk in measure_ids.chunks(CHUNK) {
        let mut q = target::Entity::find().filter(target::Column::MeasureId.is_in(chunk.iter().copied()));
        if let Some(periods) = periods {
            q = q.filter(target::Column::Period.is_in(periods.iter().copied()));
        }
        out.extend(q.into_partial_model::<TargetValue>().all(db).await?);
    }
    Ok(out)
}
