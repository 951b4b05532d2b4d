//! The data version: what a reader compares to know that nothing has been
//! written since an answer was computed, on any replica. Read in a snapshot
//! it names exactly what that snapshot holds, so an answer computed in a
//! snapshot is the answer wherever the same version is read again.
//!
//! On PostgreSQL the version is the snapshot itself (`pg_current_snapshot()`:
//! the oldest transaction still running, the next to be numbered and those in
//! between still running). Two snapshots that print the same see the same
//! committed transactions, hence the same rows, and every write transaction
//! that commits changes it, with nothing to write: a counter row bumped by
//! every writer would make commits queue on its lock, each holding it through
//! its WAL flush (writes fell from about 1,100 to 300 a second in the
//! harness). Any transaction of the cluster that writes changes it, so a
//! cluster shared with busy databases invalidates more often; never less.
//!
//! SQLite takes one writer at a time already, so there every write
//! transaction bumps a counter row as its last statement.

use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, Statement};

use crate::error::{ApiError, ApiResult};

const TABLE: &str = "data_version";
const VERSION: &str = "version";

/// The data version as `db` sees it: on a snapshot, the version of what that
/// snapshot reads.
pub async fn data_version(db: &impl ConnectionTrait) -> ApiResult<String> {
    let row = match db.get_database_backend() {
        DbBackend::Postgres => {
            db.query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT pg_current_snapshot()::text AS version",
            ))
            .await?
        }
        _ => {
            let q = Query::select()
                .expr_as(Expr::col(VERSION).cast_as("text"), VERSION)
                .from(TABLE)
                .and_where(Expr::col("id").eq(1))
                .to_owned();
            db.query_one(&q).await?
        }
    };
    let row = row.ok_or_else(|| ApiError::internal("the data version row is missing"))?;
    Ok(row.try_get::<String>("", VERSION)?)
}

/// Bumps the version inside a write transaction, as its last statement, where
/// the version is a counter (see above).
pub(crate) async fn bump(txn: &DatabaseTransaction) -> ApiResult<()> {
    if txn.get_database_backend() == DbBackend::Postgres {
        return Ok(());
    }
    let q = Query::update()
        .table(TABLE)
        .value(VERSION, Expr::col(VERSION).add(1))
        .and_where(Expr::col("id").eq(1))
        .to_owned();
    txn.execute(&q).await?;
    Ok(())
}
