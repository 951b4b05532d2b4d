//! What every request handler shares: the schema, the pool, the limits, the
//! metrics, the token verifier and the live feed; and the id that tags one request.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::dev::ServiceRequest;
use schema::CouncilSchema;
use sea_orm::DatabaseConnection;

use crate::auth;
use crate::cache::Cache;
use crate::config::Limits;
use crate::live::Live;
use crate::metrics::Metrics;
use crate::persisted::Persisted;

pub struct State {
    pub schema: CouncilSchema,
    pub db: DatabaseConnection,
    pub limits: Limits,
    pub metrics: Arc<Metrics>,
    pub verifier: auth::Verifier,
    /// Who holds which role, held against the directory's version.
    pub directory: Arc<schema::directory::Directory>,
    /// Permits to execute an operation: `limits.max_in_flight` of them.
    pub in_flight: tokio::sync::Semaphore,
    /// The live feed the sockets listen to.
    pub live: Live,
    /// The exact response cache, unless turned off.
    pub cache: Option<Cache>,
    pub persisted: Persisted,
    /// The demo's sign-in, only in a server started with `--demo`.
    pub demo: Option<auth::demo::Demo>,
}

/// The id of one request: the client's `x-request-id` if it sent a sane one,
/// else a new one. Echoed in the response and in every log line.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

pub const REQUEST_ID: &str = "x-request-id";

impl RequestId {
    pub fn of(req: &ServiceRequest) -> Self {
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let sent = req
            .headers()
            .get(REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .filter(|v| {
                !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        RequestId(sent.map_or_else(
            || {
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos());
                format!("{nanos:x}-{:x}", SEQ.fetch_add(1, Ordering::Relaxed))
            },
            str::to_owned,
        ))
    }
}
