//! The cost of an operation, in the open. async-graphql computes an
//! operation's complexity while it validates the document, but its own
//! limit refuses an operation without saying what it cost, and keeps the
//! figure to itself when it passes. So the schema carries no built-in
//! complexity or depth limit: this extension takes the computed figures
//! (the same rules), enforces both limits from the catalogue, and records
//! the cost in the request's [`Meter`] for the transport to report as
//! `extensions.cost`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextValidation};
use async_graphql::{ServerError, ValidationResult, Value};

use crate::error::ApiError;

/// The complexity of one operation, once validation has computed it:
/// attached to the request as its data, and shared with the transport,
/// which reports it even when the operation is then refused or times out.
#[derive(Clone)]
pub struct Meter(Arc<AtomicUsize>);

/// Nothing recorded yet. An atomic rather than a lock: no poisoning to
/// handle; no document's complexity comes near `usize::MAX`.
const UNMEASURED: usize = usize::MAX;

impl Default for Meter {
    fn default() -> Self {
        Meter(Arc::new(AtomicUsize::new(UNMEASURED)))
    }
}

impl Meter {
    fn record(&self, complexity: usize) {
        self.0.store(complexity, Ordering::Relaxed);
    }

    /// The complexity computed, if the document got as far as validation.
    pub fn requested(&self) -> Option<usize> {
        Some(self.0.load(Ordering::Relaxed)).filter(|&c| c != UNMEASURED)
    }
}

/// `extensions.cost`: what the operation asked for (null when its document
/// never passed validation, so no figure exists) and the limit.
pub fn report(requested: Option<usize>, limit: usize) -> Value {
    let number = |n: usize| Value::from(u64::try_from(n).unwrap_or(u64::MAX));
    let mut cost = async_graphql::indexmap::IndexMap::new();
    cost.insert(
        async_graphql::Name::new("requested"),
        requested.map_or(Value::Null, number),
    );
    cost.insert(async_graphql::Name::new("limit"), number(limit));
    Value::Object(cost)
}

/// The limits an operation's validation is held to.
pub struct Cost {
    pub max_complexity: usize,
    pub max_depth: usize,
}

impl ExtensionFactory for Cost {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Check {
            max_complexity: self.max_complexity,
            max_depth: self.max_depth,
        })
    }
}

struct Check {
    max_complexity: usize,
    max_depth: usize,
}

fn refused(e: &ApiError) -> Vec<ServerError> {
    vec![e.server_error()]
}

#[async_trait::async_trait]
impl Extension for Check {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        // Recorded before the limits are applied: a refusal reports it too.
        if let Some(meter) = ctx.data_opt::<Meter>() {
            meter.record(result.complexity);
        }
        if result.complexity > self.max_complexity {
            return Err(refused(&ApiError::TooComplex {
                requested: result.complexity,
                limit: self.max_complexity,
            }));
        }
        if result.depth > self.max_depth {
            return Err(refused(&ApiError::BadUserInput(format!(
                "the query nests {} levels deep; at most {} are allowed",
                result.depth, self.max_depth
            ))));
        }
        Ok(result)
    }
}
