//! The planner's statistics of tables that an import grew.
//!
//! PostgreSQL plans from statistics that only `ANALYZE` (or autovacuum,
//! which may be off) gathers. A table that grows from empty has none, so
//! the planner guesses: it read every result of the database for each
//! chunk of an import's submissions, and a prepared statement planned while
//! a table was small kept its sequential scan as the table grew, because
//! only new statistics make PostgreSQL plan it again. Each import then cost
//! more than the one before (issue 22).

use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::error::ApiResult;

/// Tables whose files have more than doubled since their statistics were
/// gathered (`relpages` is the size `ANALYZE` saw; never analysed, it is 0),
/// as a list `ANALYZE` takes. Doubling keeps the work a constant share of
/// what was written: a table of the national set is analysed about ten
/// times over 400 imports, each reading a sample of 30,000 rows at most.
const GROWN: &str = "SELECT string_agg(format('%I', c.relname), ', ' ORDER BY c.relname) AS grown \
     FROM pg_class c \
     WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' \
     AND pg_relation_size(c.oid) > 2 * c.relpages::bigint * current_setting('block_size')::bigint";

/// Gathers fresh statistics of the tables that have doubled since they were
/// last gathered; SQLite plans without them.
pub async fn refresh_grown(db: &impl ConnectionTrait) -> ApiResult<()> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let grown = db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, GROWN))
        .await?
        .map(|row| row.try_get::<Option<String>>("", "grown"))
        .transpose()?
        .flatten();
    if let Some(tables) = grown {
        db.execute_unprepared(&format!("ANALYZE {tables}")).await?;
    }
    Ok(())
}
