//! Counters served at `/metrics` in the Prometheus text format. Each
//! server has its own, so servers sharing a process (tests) count apart.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// Operation names are chosen by clients; past this many distinct ones the
/// rest are counted as `other`, so a client cannot grow the metrics at will.
const MAX_OPERATION_NAMES: usize = 200;

/// Longer names (or text that is no GraphQL name) count as `other`: a label
/// is kept for the server's life and served to anyone, so its size is ours
/// to bound. Names in the example operations are far shorter.
const MAX_OPERATION_NAME_BYTES: usize = 64;

/// The label of operations with no name.
const ANONYMOUS: &str = "anonymous";
/// The label of names past either bound.
const OTHER: &str = "other";

#[derive(Debug, Default)]
pub struct Metrics {
    /// SQL statements sent to the database.
    pub statements: AtomicU64,
    /// WebSockets open now.
    pub sockets: AtomicU64,
    /// Subscriptions running now.
    pub subscriptions: AtomicU64,
    /// Events delivered to subscribers.
    pub events_delivered: AtomicU64,
    /// Sockets dropped for falling behind their events.
    pub subscribers_dropped: AtomicU64,
    /// Queries answered from the response cache, and those it did not hold.
    pub cache_hits: AtomicU64,
    pub cache_misses: AtomicU64,
    /// Answers dropped to make room for newer ones.
    pub cache_evictions: AtomicU64,
    /// Bytes the cache holds.
    pub cache_bytes: AtomicU64,
    requests: Mutex<Requests>,
}

#[derive(Debug, Default)]
struct Requests {
    /// Client-chosen names given a label of their own, at most
    /// [`MAX_OPERATION_NAMES`].
    names: BTreeSet<String>,
    /// (operation label, outcome code) → count.
    by_operation: BTreeMap<(String, String), u64>,
    /// Cumulative counts per bucket, then +Inf.
    buckets: [u64; BUCKETS.len() + 1],
    sum_seconds: f64,
    count: u64,
}

/// A GraphQL name: `[_A-Za-z][_0-9A-Za-z]*`.
fn is_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

impl Requests {
    /// The label `operation` is counted under, admitting it to the set of
    /// names while there is room.
    fn label(&mut self, operation: &str) -> String {
        if operation.is_empty() {
            return ANONYMOUS.to_owned();
        }
        if operation.len() > MAX_OPERATION_NAME_BYTES || !is_name(operation) {
            return OTHER.to_owned();
        }
        if self.names.contains(operation) {
            return operation.to_owned();
        }
        if self.names.len() < MAX_OPERATION_NAMES {
            self.names.insert(operation.to_owned());
            return operation.to_owned();
        }
        OTHER.to_owned()
    }
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metrics {
    pub fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// One more of a gauge, until the guard returned is dropped.
    pub fn hold(gauge: &AtomicU64) -> Held<'_> {
        gauge.fetch_add(1, Ordering::Relaxed);
        Held(gauge)
    }

    /// Records one GraphQL operation: its name, outcome (OK or the first
    /// error's code) and latency.
    pub fn observe(&self, operation: &str, outcome: &str, elapsed: Duration) {
        let mut r = self.requests.lock().unwrap_or_else(PoisonError::into_inner);
        let label = r.label(operation);
        *r.by_operation.entry((label, outcome.to_owned())).or_default() += 1;
        let secs = elapsed.as_secs_f64();
        for (i, le) in BUCKETS.iter().enumerate() {
            if secs <= *le {
                r.buckets[i] += 1;
            }
        }
        r.buckets[BUCKETS.len()] += 1;
        r.sum_seconds += secs;
        r.count += 1;
    }

    pub fn render(&self, pool_size: u32, pool_idle: u32) -> String {
        let mut out = String::new();
        let mut head = |name: &str, kind: &str, help: &str| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        };
        head(
            "councilperf_db_statements_total",
            "counter",
            "SQL statements sent to the database.",
        );
        let _ = writeln!(
            out,
            "councilperf_db_statements_total {}",
            self.statements.load(Ordering::Relaxed)
        );
        for (name, kind, help, value) in [
            (
                "councilperf_ws_sockets",
                "gauge",
                "WebSockets open.",
                &self.sockets,
            ),
            (
                "councilperf_ws_subscriptions",
                "gauge",
                "Subscriptions running.",
                &self.subscriptions,
            ),
            (
                "councilperf_live_events_delivered_total",
                "counter",
                "Events delivered to subscribers.",
                &self.events_delivered,
            ),
            (
                "councilperf_live_subscribers_dropped_total",
                "counter",
                "Sockets closed because they fell behind their events.",
                &self.subscribers_dropped,
            ),
            (
                "councilperf_cache_hits_total",
                "counter",
                "Queries answered from the response cache.",
                &self.cache_hits,
            ),
            (
                "councilperf_cache_misses_total",
                "counter",
                "Queries the response cache did not hold.",
                &self.cache_misses,
            ),
            (
                "councilperf_cache_evictions_total",
                "counter",
                "Answers dropped from the response cache to make room.",
                &self.cache_evictions,
            ),
            (
                "councilperf_cache_bytes",
                "gauge",
                "Bytes held by the response cache.",
                &self.cache_bytes,
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {}",
                value.load(Ordering::Relaxed)
            );
        }
        let r = self.requests.lock().unwrap_or_else(PoisonError::into_inner);
        let mut head = |name: &str, kind: &str, help: &str| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        };
        head(
            "councilperf_graphql_operations_total",
            "counter",
            "GraphQL operations by name and outcome.",
        );
        for ((name, outcome), n) in &r.by_operation {
            let _ = writeln!(
                out,
                "councilperf_graphql_operations_total{{operation=\"{}\",outcome=\"{}\"}} {n}",
                escape(name),
                escape(outcome)
            );
        }
        let _ = writeln!(
            out,
            "# HELP councilperf_graphql_duration_seconds GraphQL operation latency.\n# TYPE councilperf_graphql_duration_seconds histogram"
        );
        for (i, le) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "councilperf_graphql_duration_seconds_bucket{{le=\"{le}\"}} {}",
                r.buckets[i]
            );
        }
        let _ = writeln!(
            out,
            "councilperf_graphql_duration_seconds_bucket{{le=\"+Inf\"}} {}",
            r.buckets[BUCKETS.len()]
        );
        let _ = writeln!(out, "councilperf_graphql_duration_seconds_sum {}", r.sum_seconds);
        let _ = writeln!(out, "councilperf_graphql_duration_seconds_count {}", r.count);
        let _ = writeln!(
            out,
            "# HELP councilperf_db_pool_connections Connections open in the pool.\n# TYPE councilperf_db_pool_connections gauge\ncouncilperf_db_pool_connections {pool_size}"
        );
        let _ = writeln!(
            out,
            "# HELP councilperf_db_pool_idle Idle connections in the pool.\n# TYPE councilperf_db_pool_idle gauge\ncouncilperf_db_pool_idle {pool_idle}"
        );
        out
    }
}

/// A unit of a gauge, given back when dropped.
pub struct Held<'a>(&'a AtomicU64);

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(m: &Metrics) -> BTreeSet<String> {
        let r = m.requests.lock().unwrap_or_else(PoisonError::into_inner);
        r.by_operation.keys().map(|(name, _)| name.clone()).collect()
    }

    fn observe(m: &Metrics, name: &str) {
        m.observe(name, "OK", Duration::from_millis(1));
    }

    #[test]
    fn long_names_and_non_names_count_as_other() {
        let m = Metrics::default();
        observe(&m, &"a".repeat(MAX_OPERATION_NAME_BYTES));
        observe(&m, &"b".repeat(MAX_OPERATION_NAME_BYTES + 1));
        observe(&m, &"x".repeat(1 << 20));
        for bad in ["1st", "two words", "quote\"", "é", "new\nline"] {
            observe(&m, bad);
        }
        observe(&m, "");
        let want: BTreeSet<String> = [
            "a".repeat(MAX_OPERATION_NAME_BYTES),
            OTHER.to_owned(),
            ANONYMOUS.to_owned(),
        ]
        .into_iter()
        .collect();
        assert_eq!(labels(&m), want);
        assert!(m.render(1, 1).len() < 4096);
    }

    #[test]
    fn past_the_set_new_names_count_as_other_and_known_ones_still_count() {
        let m = Metrics::default();
        for i in 0..MAX_OPERATION_NAMES + 50 {
            observe(&m, &format!("Op{i}"));
        }
        observe(&m, "Op0");
        let got = labels(&m);
        assert_eq!(got.len(), MAX_OPERATION_NAMES + 1);
        assert!(got.contains(OTHER) && got.contains("Op0") && !got.contains("Op200"));
        let text = m.render(1, 1);
        assert!(text.contains("operation=\"Op0\",outcome=\"OK\"} 2"), "{text}");
        assert!(text.contains("operation=\"other\",outcome=\"OK\"} 50"), "{text}");
    }
}
