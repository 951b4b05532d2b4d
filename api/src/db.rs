//! Connecting to the database and migrating it: one code path for SQLite and
//! PostgreSQL.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, Statement,
    TransactionTrait,
};
use sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};

use crate::metrics::Metrics;

#[derive(Debug, thiserror::Error)]
pub enum DbSetupError {
    #[error("DATABASE_URL must start with sqlite:// or postgres:// (got {0:?})")]
    BadUrl(String),
    #[error("cannot connect to the database at {url}: {cause}")]
    Unreachable { url: String, cause: String },
    #[error("migrating the database failed: {0}")]
    Migration(String),
}

/// The URL with any password masked, for messages.
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}://{user}:***@{}", &url[..s], &url[at + 1..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Opens the pool; every statement it runs is counted in `metrics`.
pub async fn connect(
    url: &str,
    pool_size: Option<u32>,
    metrics: Arc<Metrics>,
) -> Result<DatabaseConnection, DbSetupError> {
    let sqlite = url.starts_with("sqlite:");
    if !sqlite && !url.starts_with("postgres://") && !url.starts_with("postgresql://") {
        return Err(DbSetupError::BadUrl(redacted(url)));
    }
    let mut opts = ConnectOptions::new(url.to_owned());
    // Each query holds one connection for its snapshot, and up to 32 run at
    // once (COUNCILPERF_MAX_IN_FLIGHT): 32 lets them all start without
    // queueing; 8 to 64 were measured (BENCHMARKS.md).
    opts.max_connections(pool_size.unwrap_or(if sqlite { 8 } else { 32 }))
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        // A ping on every checkout is a round trip per statement; a
        // connection in steady use is known to be alive.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        .sqlx_logging(false);
    // A connection that sat idle while the database went away may be dead
    // without knowing it: once this process has seen the database fail,
    // connections idle since before then are pinged (and replaced if dead)
    // before use, so requests after it returns do not draw them.
    opts.map_sqlx_postgres_before_acquire(|conn, meta| {
        Box::pin(async move {
            let idle_since = SystemTime::now()
                .checked_sub(meta.idle_for)
                .unwrap_or(SystemTime::UNIX_EPOCH);
            if schema::error::unavailable_since(idle_since) {
                return Ok(sqlx::Connection::ping(conn).await.is_ok());
            }
            Ok(true)
        })
    });
    // A request's statements each read a few hundred rows through an index.
    // PostgreSQL plans the UNION ALL of a rating's results and targets as a
    // Parallel Append, and starting its workers costs ten times the
    // statement (15 ms against 1.3 ms on the national dataset); under load
    // the workers run out and requests queue for them. Sent at connection
    // start, so it costs no statement.
    opts.map_sqlx_postgres_opts(|o| o.options([("max_parallel_workers_per_gather", "0")]));
    // Every pooled SQLite connection gets these, not only the first.
    opts.map_sqlx_sqlite_opts(|o| {
        o.journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true)
    });
    let mut db = Database::connect(opts)
        .await
        .map_err(|e| DbSetupError::Unreachable {
            url: redacted(url),
            cause: e.to_string(),
        })?;
    db.set_metric_callback(move |_| Metrics::count(&metrics.statements));
    Ok(db)
}

/// Any fixed key: replicas starting together queue on it.
const MIGRATION_LOCK: i64 = 0x0063_6f75_6e63_696c;

/// Brings the schema up to date. On PostgreSQL an advisory lock makes
/// replicas that start together migrate one at a time.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbSetupError> {
    let fail = |e: sea_orm::DbErr| DbSetupError::Migration(e.to_string());
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Migrator::up(db, None).await.map_err(fail);
    }
    // The lock belongs to a session, so hold one connection for the whole run.
    let conn = db.begin().await.map_err(fail)?;
    let lock =
        |sql: &str| Statement::from_sql_and_values(DatabaseBackend::Postgres, sql, [MIGRATION_LOCK.into()]);
    conn.execute_raw(lock("SELECT pg_advisory_xact_lock($1)"))
        .await
        .map_err(fail)?;
    Migrator::up(&conn, None).await.map_err(fail)?;
    conn.commit().await.map_err(fail)
}
