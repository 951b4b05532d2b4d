//! The HTTP server: routes, request ids, CORS, health, readiness and metrics.

use std::net::TcpListener;
use std::sync::Arc;

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
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
use crate::{auth, db, export, feeds, graphql, import, live, pages, sheets, ws};

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

/// HEAD is GET without the body (RFC 9110 §9.3.2), so monitors and link
/// checkers that probe with it get GET's status and headers: it is routed
/// as GET, and the HTTP/1 codec, which saw the request as HEAD, writes the
/// headers (the body's length included) and drops the body.
async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
}

fn cors(origins: &[String]) -> Cors {
    let base = Cors::default()
        .allowed_methods(["GET", "POST"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::HeaderName::from_static(graphql::IDEMPOTENCY_KEY),
        ])
        .expose_headers([REQUEST_ID, graphql::REPLAYED])
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
    shutdown: Shutdown,
}

/// Stops a server cleanly: its sockets are closed (1001, going away), then
/// it stops accepting and lets in-flight requests finish.
#[derive(Clone)]
pub struct Shutdown {
    sockets: Arc<tokio::sync::watch::Sender<bool>>,
    server: actix_web::dev::ServerHandle,
}

impl Shutdown {
    pub async fn shut_down(&self) {
        self.sockets.send_replace(true);
        self.server.stop(true).await;
    }
}

impl Application {
    /// Connects, migrates, loads the demo councils if asked and the database
    /// is empty, and binds (port 0 picks a free port, as tests do).
    pub async fn build(config: &Config, demo: bool) -> anyhow::Result<Self> {
        let directory = Arc::new(schema::directory::Directory::new(&config.jwt.issuer));
        let mut jwt = config.jwt.clone();
        // The demo signs its people in with the platform's own HS256 key:
        // `serve --demo` passes the development key when no key is
        // configured; one is made for this run when only public keys are.
        let demo = demo.then(|| auth::demo::Demo {
            secret: jwt.secret.get_or_insert_with(auth::demo::random_secret).clone(),
            issuer: jwt.issuer.clone(),
            audience: jwt.audience.clone(),
        });
        let verifier = auth::Verifier::new(&jwt, directory.clone())?;
        let metrics = Arc::new(Metrics::default());
        let db = db::connect(&config.database_url, config.pool_size, metrics.clone()).await?;
        db::migrate(&db).await?;
        if demo.is_some() && import::load_demo(&db).await? {
            tracing::info!("loaded the demo councils");
        }
        let (live, sockets) = live::start(&config.database_url, &db, config.limits.live_buffer).await?;
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
                directory.clone(),
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
            directory,
            in_flight: tokio::sync::Semaphore::new(config.limits.max_in_flight),
            live,
            demo,
        });
        let demo = state.demo.is_some();
        let origins = config.cors_origins.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .wrap(from_fn(head_as_get))
                .wrap(cors(&origins))
                .wrap(from_fn(with_request_id))
                .route("/", web::get().to(pages::dashboard))
                .route("/dashboard/dashboard.js", web::get().to(pages::dashboard_script))
                .route("/dashboard/dashboard.css", web::get().to(pages::dashboard_style))
                .route("/submit", web::get().to(pages::submit))
                .route("/submit/{file}", web::get().to(pages::submit_asset))
                .configure(|c| {
                    if demo {
                        c.route("/auth/demo", web::get().to(auth::demo::people))
                            .route("/auth/demo", web::post().to(auth::demo::sign_in));
                    }
                })
                .route("/graphiql", web::get().to(pages::explorer))
                .route("/graphiql/{file}", web::get().to(pages::explorer_asset))
                .route("/graphql", web::post().to(graphql::post))
                .route("/graphql", web::get().to(graphql::get))
                .route("/graphql/ws", web::get().to(ws::socket))
                .route("/plans/{plan_id}/{file}", web::get().to(sheets::get))
                .route("/feeds/{file}", web::get().to(feeds::results))
                .route("/authorities/{slug}/export.zip", web::get().to(export::zip))
                .route("/auth/providers", web::get().to(auth::providers::get))
                .route("/healthz", web::get().to(healthz))
                .route("/readyz", web::get().to(readyz))
                .route("/metrics", web::get().to(metrics_text))
        })
        .listen(listener)?
        // Signals are ours to handle (`run`): sockets close first.
        .disable_signals()
        // On shutdown, stop accepting and give in-flight requests this long.
        .shutdown_timeout(config.limits.query_timeout.as_secs().max(1))
        .run();
        let shutdown = Shutdown {
            sockets: Arc::new(sockets),
            server: server.handle(),
        };
        Ok(Application {
            port,
            db,
            server,
            shutdown,
        })
    }

    /// What stops this server cleanly, from outside it.
    pub fn shutdown(&self) -> Shutdown {
        self.shutdown.clone()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's pool, for importing data beside it.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Serves until stopped: by [`Shutdown`], SIGINT or SIGTERM.
    pub async fn run(self) -> std::io::Result<()> {
        let shutdown = self.shutdown;
        let on_signal = shutdown.clone();
        let signals = tokio::spawn(async move {
            stop_signal().await;
            tracing::info!("shutting down");
            on_signal.shut_down().await;
        });
        let served = self.server.await;
        signals.abort();
        drop(shutdown);
        served
    }
}

/// SIGINT (Ctrl-C), or SIGTERM as an orchestrator sends.
async fn stop_signal() {
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(cause = %e, "cannot watch for SIGTERM");
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
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
