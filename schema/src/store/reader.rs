//! The connection a request reads through.

use std::sync::Arc;

use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult,
    IsolationLevel, QueryResult, Statement, TransactionTrait,
};

use crate::error::{ApiResult, is_connection_failure};

/// Where a request's loaders read. A query reads through one read-only
/// transaction for the whole request: one connection instead of a checkout
/// (and, on PostgreSQL, a ping when it is handed back) per statement, and
/// one snapshot, so a dashboard's counts and rows agree even while officers
/// submit. A mutation reads through the pool, so it sees its own writes; a
/// read there that met a connection the database had dropped (a restart,
/// a failover) is read once more on another, so that a write that has
/// committed is not answered as failed for want of a connection.
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
            Reader::Pool(db) => match db.query_one_raw(stmt.clone()).await {
                Err(e) if is_connection_failure(&e) => db.query_one_raw(stmt).await,
                answer => answer,
            },
            Reader::Snapshot(txn) => txn.query_one_raw(stmt).await,
        }
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match self {
            Reader::Pool(db) => match db.query_all_raw(stmt.clone()).await {
                Err(e) if is_connection_failure(&e) => db.query_all_raw(stmt).await,
                answer => answer,
            },
            Reader::Snapshot(txn) => txn.query_all_raw(stmt).await,
        }
    }
}
