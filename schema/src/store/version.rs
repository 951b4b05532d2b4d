//! The data version: a number every write transaction bumps as it commits,
//! stored in the database (one row), so that every replica reading it in a
//! snapshot knows exactly which writes that snapshot holds. An answer
//! computed at one version is the answer at every moment the version holds.

use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction};

use crate::error::{ApiError, ApiResult};

const TABLE: &str = "data_version";
const VERSION: &str = "version";

/// The data version as `db` sees it: on a snapshot, the version of what that
/// snapshot reads.
pub async fn data_version(db: &impl ConnectionTrait) -> ApiResult<i64> {
    let q = Query::select()
        .column(VERSION)
        .from(TABLE)
        .and_where(Expr::col("id").eq(1))
        .to_owned();
    let row = db
        .query_one(&q)
        .await?
        .ok_or_else(|| ApiError::internal("the data version row is missing"))?;
    Ok(row.try_get::<i64>("", VERSION)?)
}

/// Bumps the version inside a write transaction, as its last statement: the
/// row stays locked only from here to the commit, so writers queue on it for
/// one round trip at most.
pub(crate) async fn bump(txn: &DatabaseTransaction) -> ApiResult<()> {
    let q = Query::update()
        .table(TABLE)
        .value(VERSION, Expr::col(VERSION).add(1))
        .and_where(Expr::col("id").eq(1))
        .to_owned();
    txn.execute(&q).await?;
    Ok(())
}
