//! The HTTP server: routes, request ids, CORS, health, readiness and metrics.

use std::net::TcpListener;
use std::sync::Arc;

use std::sync::atomic::{AtomicU64, Ordering};

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, ContentType};
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, HttpMessage, HttpResponse, HttpServer, web};
use schema::CouncilSchema;
use sea_orm::{DatabaseBackend, DatabaseConnection};
use tracing::Instrument;

use crate::config::{Config, Limits};
use crate::metrics::Metrics;
use crate::{auth, db, graphql, import};

pub struct State {
    pub schema: CouncilSchema,
    pub db: DatabaseConnection,
    pub limits: Limits,
    pub metrics: Arc<Metrics>,
    pub verifier: auth::Verifier,
    /// Permits to execute an operation: `limits.max_in_flight` of them.
    pub in_flight: tokio::sync::Semaphore,
}

/// The id of one request: the client's `x-request-id` if it sent a sane one,
/// else a new one. Echoed in the response and in every log line.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

const REQUEST_ID: &str = "x-request-id";

impl RequestId {
    fn of(req: &ServiceRequest) -> Self {
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

/// Tags the request with its id, runs it inside a span that carries the id,
/// and echoes the id in the response.
async fn with_request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = RequestId::of(&req);
    req.extensions_mut().insert(id.clone());
    let span = tracing::info_span!("http", request_id = %id.0, method = %req.method(), path = %req.path());
    let mut res = next.call(req).instrument(span).await?;
    if let Ok(v) = header::HeaderValue::from_str(&id.0) {
        res.headers_mut()
            .insert(header::HeaderName::from_static(REQUEST_ID), v);
    }
    Ok(res)
}

fn cors(origins: &[String]) -> Cors {
    let base = Cors::default()
        .allowed_methods(["GET", "POST"])
        .allowed_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
        .expose_headers([REQUEST_ID])
        .max_age(3600);
    if origins.iter().any(|o| o == "*") {
        return base.allow_any_origin();
    }
    origins.iter().fold(base, |c, o| c.allowed_origin(o))
}

/// A server bound and ready to run.
pub struct Application {
    port: u16,
    db: DatabaseConnection,
    server: actix_web::dev::Server,
}

impl Application {
    /// Connects, migrates, loads the demo councils if asked and the database
    /// is empty, and binds (port 0 picks a free port, as tests do).
    pub async fn build(config: &Config, demo: bool) -> anyhow::Result<Self> {
        let verifier = auth::Verifier::new(&config.jwt)?;
        let metrics = Arc::new(Metrics::default());
        let db = db::connect(&config.database_url, config.pool_size, metrics.clone()).await?;
        db::migrate(&db).await?;
        if demo && import::load_demo(&db).await? {
            tracing::info!("loaded the demo councils");
        }
        let listener = TcpListener::bind(config.bind)?;
        let port = listener.local_addr()?.port();
        let state = web::Data::new(State {
            schema: schema::build(db.clone(), schema_limits(config)),
            db: db.clone(),
            limits: config.limits.clone(),
            metrics,
            verifier,
            in_flight: tokio::sync::Semaphore::new(config.limits.max_in_flight),
        });
        let origins = config.cors_origins.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .wrap(cors(&origins))
                .wrap(from_fn(with_request_id))
                .route("/graphql", web::post().to(graphql::post))
                .route("/graphql", web::get().to(graphql::get))
                .route("/healthz", web::get().to(healthz))
                .route("/readyz", web::get().to(readyz))
                .route("/metrics", web::get().to(metrics_text))
        })
        .listen(listener)?
        // On SIGTERM, stop accepting and give in-flight requests this long.
        .shutdown_timeout(config.limits.query_timeout.as_secs().max(1))
        .run();
        Ok(Application { port, db, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's pool, for importing data beside it.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    pub async fn run(self) -> std::io::Result<()> {
        self.server.await
    }
}

fn schema_limits(config: &Config) -> schema::Limits {
    schema::Limits {
        max_depth: config.limits.max_depth,
        max_complexity: config.limits.max_complexity,
        introspection: config.introspection,
        suggestions: config.development,
    }
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::plaintext())
        .body("ok")
}

async fn readyz(state: web::Data<State>) -> HttpResponse {
    match state.db.ping().await {
        Ok(()) => HttpResponse::Ok()
            .content_type(ContentType::plaintext())
            .body("ready"),
        Err(e) => {
            tracing::warn!(cause = %e, "database unreachable");
            HttpResponse::ServiceUnavailable()
                .content_type(ContentType::plaintext())
                .body("database unreachable")
        }
    }
}

async fn metrics_text(state: web::Data<State>) -> HttpResponse {
    let (size, idle) = pool_usage(&state.db);
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render(size, idle))
}

/// Connections open and idle; the backend is checked first because the
/// pool getters panic on the other engine.
fn pool_usage(db: &DatabaseConnection) -> (u32, u32) {
    let idle = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    match db.get_database_backend() {
        DatabaseBackend::Sqlite => {
            let p = db.get_sqlite_connection_pool();
            (p.size(), idle(p.num_idle()))
        }
        DatabaseBackend::Postgres => {
            let p = db.get_postgres_connection_pool();
            (p.size(), idle(p.num_idle()))
        }
        _ => (0, 0),
    }
}
