//! Counters served at `/metrics` in the Prometheus text format.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

/// SQL statements sent to the database since start.
pub static STATEMENTS: AtomicU64 = AtomicU64::new(0);
/// GraphQL operations executed since start.
pub static OPERATIONS: AtomicU64 = AtomicU64::new(0);
/// GraphQL operations that answered with at least one error.
pub static OPERATION_ERRORS: AtomicU64 = AtomicU64::new(0);

pub fn render(pool_size: u32, pool_idle: u32) -> String {
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, value: u64| {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
        );
    };
    metric(
        "councilperf_db_statements_total",
        "counter",
        "SQL statements sent to the database.",
        STATEMENTS.load(Ordering::Relaxed),
    );
    metric(
        "councilperf_graphql_operations_total",
        "counter",
        "GraphQL operations executed.",
        OPERATIONS.load(Ordering::Relaxed),
    );
    metric(
        "councilperf_graphql_operation_errors_total",
        "counter",
        "GraphQL operations that returned errors.",
        OPERATION_ERRORS.load(Ordering::Relaxed),
    );
    metric(
        "councilperf_db_pool_connections",
        "gauge",
        "Connections open in the pool.",
        u64::from(pool_size),
    );
    metric(
        "councilperf_db_pool_idle",
        "gauge",
        "Idle connections in the pool.",
        u64::from(pool_idle),
    );
    out
}
