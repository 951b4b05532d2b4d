//! Every SQL query of the service. Functions take `&impl ConnectionTrait`,
//! so the same code runs on a pooled connection or inside a transaction, on
//! SQLite or PostgreSQL. Each one issues a fixed number of statements,
//! whatever the number of ids it is given.

use entity::model::{authority, partner};
use sea_orm::sea_query::{Query, ValueType, ValueTypeErr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, Iterable, ModelTrait, PrimaryKeyToColumn, QueryFilter,
    QueryOrder,
};

use crate::error::ApiResult;

pub mod benchmarks;
pub mod deadlines;
pub mod directory;
pub mod edits;
pub mod export;
pub mod feeds;
pub mod idempotency;
pub mod live;
pub mod measures;
mod reader;
mod reads;
pub mod reporting;
pub mod statistics;
mod together;
mod version;
pub mod write;

pub use reader::Reader;
pub use reads::*;
use together::Part;
pub use version::{Version, data_version};

/// Lists of ids are sent in chunks below every engine's bound-parameter limit.
const CHUNK: usize = 10_000;

/// Runs `query` once per chunk of `ids` and gathers the rows: the one place
/// a list of ids meets the engines' parameter limits.
pub(crate) async fn chunked<T, F, Fut>(ids: &[i64], mut query: F) -> ApiResult<Vec<T>>
where
    F: FnMut(Vec<i64>) -> Fut,
    Fut: Future<Output = Result<Vec<T>, DbErr>>,
{
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        out.extend(query(chunk.to_vec()).await?);
    }
    Ok(out)
}

pub async fn authorities(db: &impl ConnectionTrait) -> ApiResult<Vec<authority::Model>> {
    Ok(authority::Entity::find()
        .order_by_asc(authority::Column::Slug)
        .all(db)
        .await?)
}

pub async fn authority_by_slug(db: &impl ConnectionTrait, slug: &str) -> ApiResult<Option<authority::Model>> {
    // What cannot be a slug names nothing, and never reaches SQL: PostgreSQL
    // refuses a NUL byte in text outright.
    if !entity::values::is_slug(slug) {
        return Ok(None);
    }
    Ok(authority::Entity::find()
        .filter(authority::Column::Slug.eq(slug))
        .one(db)
        .await?)
}

/// Authorities by slug, and the partners of those authorities, in one
/// statement: what a provider's registration or a granted role names.
pub async fn grant_targets(
    db: &impl ConnectionTrait,
    slugs: &[String],
) -> ApiResult<(Vec<authority::Model>, Vec<partner::Model>)> {
    let slugs: Vec<String> = slugs
        .iter()
        .filter(|s| entity::values::is_slug(s))
        .cloned()
        .collect();
    if slugs.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let named = Query::select()
        .column(authority::Column::Id)
        .from(authority::Entity)
        .and_where(authority::Column::Slug.is_in(slugs.clone()))
        .to_owned();
    let [auths, partners] = together::read(
        db,
        &[
            Part::rows::<authority::Entity>(authority::Column::Slug.is_in(slugs)),
            Part::rows::<partner::Entity>(partner::Column::AuthorityId.in_subquery(named)),
        ],
    )
    .await?;
    let mut partners: Vec<partner::Model> = partners.decode()?;
    partners.sort_by_key(|p| p.id);
    Ok((auths.decode()?, partners))
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
    // Callers pass a key per input row (a batch of 1,000 results names some
    // 30 measures): each repeat is a parameter that a scan compares every
    // row with, and finds nothing more.
    let keys = unique(keys.iter().copied());
    chunked(&keys, |chunk| {
        let mut q = E::find().filter(column.is_in(chunk));
        if let Some(o) = order {
            q = q.order_by_asc(o);
        }
        if let Some(id) = id_column::<E>() {
            q = q.order_by_asc(id);
        }
        q.all(db)
    })
    .await
}

pub async fn by_ids<E: EntityTrait>(db: &impl ConnectionTrait, ids: &[i64]) -> ApiResult<Vec<E::Model>> {
    match id_column::<E>() {
        Some(col) => rows_where_in::<E>(db, col, ids, None).await,
        None => Ok(Vec::new()),
    }
}

/// The distinct keys a query asks for, in order.
pub fn unique<T: Ord>(keys: impl Iterator<Item = T>) -> Vec<T> {
    let mut v: Vec<T> = keys.collect();
    v.sort_unstable();
    v.dedup();
    v
}
