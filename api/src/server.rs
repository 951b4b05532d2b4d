//! The HTTP server: routes, request ids, CORS, health, readiness and metrics.

use std::net::TcpListener;
use std::sync::Arc;

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, ContentType};
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, HttpMessage, HttpResponse, HttpServer, web};
use sea_orm::{DatabaseBackend, DatabaseConnection};
use tracing::Instrument;

use crate::cache::Cache;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::persisted::{self, Persisted};
use crate::state::{REQUEST_ID, RequestId, State};
use crate::{auth, db, graphql, import, sheets};

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
        let trusted = config
            .trusted_documents
            .as_deref()
            .map(persisted::trusted_documents)
            .transpose()?;
        let listener = TcpListener::bind(config.bind)?;
        let port = listener.local_addr()?.port();
        let state = web::Data::new(State {
            schema: schema::build(
                db.clone(),
                &config.limits,
                config.introspection,
                config.development,
            ),
            db: db.clone(),
            limits: config.limits.clone(),
            cache: Cache::new(config.cache_mb, metrics.clone()),
            persisted: Persisted::new(config.persisted_queries_mb, trusted),
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
                .route("/plans/{plan_id}/{file}", web::get().to(sheets::get))
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

async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::plaintext())
        .body("ok")
}

/// A load balancer's readiness probe waits about a second: answer within it
/// whether or not the database does.
const READY_WITHIN: std::time::Duration = std::time::Duration::from_millis(800);

async fn readyz(state: web::Data<State>) -> HttpResponse {
    let unready = |why: &'static str| {
        HttpResponse::ServiceUnavailable()
            .insert_header((header::RETRY_AFTER, schema::error::RETRY_AFTER_SECS))
            .content_type(ContentType::plaintext())
            .body(why)
    };
    match tokio::time::timeout(READY_WITHIN, state.db.ping()).await {
        Ok(Ok(())) => HttpResponse::Ok()
            .content_type(ContentType::plaintext())
            .body("ready"),
        Ok(Err(e)) => {
            tracing::warn!(cause = %e, "database unreachable");
            unready("database unreachable")
        }
        Err(_) => {
            tracing::warn!("the database did not answer a ping in time");
            unready("database not answering")
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
