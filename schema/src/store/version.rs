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

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, Statement};

use crate::error::{ApiError, ApiResult};

const TABLE: &str = "data_version";
const VERSION: &str = "version";
/// What decides a person's roles (providers, memberships, authorities and
/// partners), versioned apart so that a replica re-reads it only when it
/// changed, not on every write (`crate::directory`). A counter on both
/// engines: such writes are rare.
const DIRECTORY_TABLE: &str = "directory_version";
const DIRECTORY: &str = "directory";

/// The data version, and the directory's, as one statement reads them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    pub data: String,
    pub directory: i64,
}

/// The versions as `db` sees them: on a snapshot, those of what that
/// snapshot reads.
pub async fn data_version(db: &impl ConnectionTrait) -> ApiResult<Version> {
    let directory = format!("(SELECT version FROM {DIRECTORY_TABLE} WHERE id = 1) AS {DIRECTORY}");
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => format!("SELECT pg_current_snapshot()::text AS {VERSION}, {directory}"),
        _ => format!("SELECT CAST({VERSION} AS text) AS {VERSION}, {directory} FROM {TABLE} WHERE id = 1"),
    };
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .ok_or_else(|| ApiError::internal("the data version row is missing"))?;
    Ok(Version {
        data: row.try_get::<String>("", VERSION)?,
        directory: row.try_get::<i64>("", DIRECTORY)?,
    })
}

/// Bumps the version inside a write transaction, as its last statement, where
/// the version is a counter (see above); and the directory's, when the
/// write changed it.
pub(crate) async fn bump(txn: &DatabaseTransaction, directory: bool) -> ApiResult<()> {
    let counter = |table: &str| {
        Query::update()
            .table(Alias::new(table))
            .value(VERSION, Expr::col(VERSION).add(1))
            .and_where(Expr::col("id").eq(1))
            .to_owned()
    };
    if directory {
        txn.execute(&counter(DIRECTORY_TABLE)).await?;
    }
    if txn.get_database_backend() != DbBackend::Postgres {
        txn.execute(&counter(TABLE)).await?;
    }
    Ok(())
}
