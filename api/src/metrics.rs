//! Counters served at `/metrics` in the Prometheus text format. Each
//! server has its own, so servers sharing a process (tests) count apart.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct Metrics {
    /// SQL statements sent to the database.
    pub statements: AtomicU64,
    /// GraphQL operations executed.
    pub operations: AtomicU64,
    /// GraphQL operations that answered with at least one error.
    pub operation_errors: AtomicU64,
}

impl Metrics {
    pub fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn render(&self, pool_size: u32, pool_idle: u32) -> String {
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, value: u64| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
        };
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        metric(
            "councilperf_db_statements_total",
            "counter",
            "SQL statements sent to the database.",
            get(&self.statements),
        );
        metric(
            "councilperf_graphql_operations_total",
            "counter",
            "GraphQL operations executed.",
            get(&self.operations),
        );
        metric(
            "councilperf_graphql_operation_errors_total",
            "counter",
            "GraphQL operations that returned errors.",
            get(&self.operation_errors),
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
}
