//! The HTTP server: GraphQL over HTTP, GraphiQL, health and metrics.
//!
//! The GraphQL handler is our own rather than async-graphql-actix-web's stock
//! one, which runs mutations sent by GET, reads bodies without a size limit,
//! accepts batches of any length and always answers 200 with one content type.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use async_graphql::http::GraphiQLSource;
use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{BatchRequest, Request, Response};
use schema::CouncilSchema;
use schema::error::Code;
use schema::policy::Viewer;
use sea_orm::{DatabaseBackend, DatabaseConnection};

use crate::config::{Config, Limits};
use crate::metrics::Metrics;
use crate::{auth, db, import};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

struct State {
    schema: CouncilSchema,
    db: DatabaseConnection,
    limits: Limits,
    metrics: Arc<Metrics>,
    verifier: auth::Verifier,
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
        let jwt = &config.jwt;
        let verifier = auth::Verifier::new(
            jwt.secret.as_deref(),
            jwt.public_key_pem.as_deref(),
            &jwt.issuer,
            &jwt.audience,
        )?;
        let metrics = Arc::new(Metrics::default());
        let db = db::connect(&config.database_url, config.pool_size, metrics.clone()).await?;
        db::migrate(&db).await?;
        if demo && import::load_demo(&db).await? {
            tracing::info!("loaded the demo councils");
        }
        let listener = TcpListener::bind(config.bind)?;
        let port = listener.local_addr()?.port();
        let state = web::Data::new(State {
            schema: schema::build(db.clone(), schema_limits(&config.limits)),
            db: db.clone(),
            limits: config.limits.clone(),
            metrics,
            verifier,
        });
        let body_limit = config.limits.max_body_bytes;
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(web::PayloadConfig::new(body_limit))
                .route("/graphql", web::post().to(graphql_post))
                .route("/graphql", web::get().to(graphql_get))
                .route("/healthz", web::get().to(healthz))
                .route("/readyz", web::get().to(readyz))
                .route("/metrics", web::get().to(metrics_text))
        })
        .listen(listener)?
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

fn schema_limits(l: &Limits) -> schema::Limits {
    schema::Limits {
        max_depth: l.max_depth,
        max_complexity: l.max_complexity,
    }
}

/// A request-level refusal, shaped like a GraphQL response.
fn refuse(status: StatusCode, code: Code, message: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(ContentType::json())
        .body(
            serde_json::json!({
                "errors": [{ "message": message, "extensions": { "code": code.as_str() } }]
            })
            .to_string(),
        )
}

/// Whether the client asked for `application/graphql-response+json`, which
/// carries request errors as HTTP 4xx instead of 200.
fn wants_graphql_response(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains(GRAPHQL_RESPONSE))
}

/// Every error carries a code. Those async-graphql makes itself (parse,
/// validation, argument coercion) have none: they are the client's.
fn with_codes(mut resp: Response) -> Response {
    for e in &mut resp.errors {
        let ext = e.extensions.get_or_insert_with(Default::default);
        if ext.get("code").is_none() {
            ext.set("code", Code::BadUserInput.as_str());
        }
    }
    resp
}

/// Who the request is made as: anonymous without a token; a token that does
/// not verify refuses the whole request with 401.
async fn viewer_of(state: &State, req: &HttpRequest) -> Result<Viewer, HttpResponse> {
    let Some(h) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(Viewer::Anonymous);
    };
    let unauthenticated = || {
        let mut r = refuse(
            StatusCode::UNAUTHORIZED,
            Code::Unauthenticated,
            &schema::error::ApiError::Unauthenticated.to_string(),
        );
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
        r
    };
    let token = h
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(unauthenticated)?;
    let claims = state
        .verifier
        .verify(token.trim())
        .map_err(|_| unauthenticated())?;
    auth::viewer(&state.db, claims).await.map_err(|e| {
        tracing::error!(cause = %e, "resolving a token's grants failed");
        refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            Code::Internal,
            "internal error",
        )
    })
}

async fn execute(state: &State, req: Request, viewer: Viewer) -> Response {
    let resp = state
        .schema
        .execute(schema::request_data(req, &state.db, viewer))
        .await;
    Metrics::count(&state.metrics.operations);
    if resp.is_err() {
        Metrics::count(&state.metrics.operation_errors);
    }
    with_codes(resp)
}

/// A response failed as a whole (nothing executed) when it has no data and
/// its errors point at no field.
fn is_request_error(resp: &Response) -> bool {
    resp.data == async_graphql::Value::Null && resp.errors.iter().all(|e| e.path.is_empty())
}

fn respond(req: &HttpRequest, body: Result<Vec<u8>, serde_json::Error>, request_error: bool) -> HttpResponse {
    let Ok(body) = body else {
        return refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            Code::Internal,
            "internal error",
        );
    };
    if wants_graphql_response(req) {
        let status = if request_error {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        };
        HttpResponse::build(status)
            .insert_header((header::CONTENT_TYPE, format!("{GRAPHQL_RESPONSE}; charset=utf-8")))
            .body(body)
    } else {
        HttpResponse::Ok().content_type(ContentType::json()).body(body)
    }
}

async fn graphql_post(state: web::Data<State>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !json {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Code::BadUserInput,
            "send the request as application/json",
        );
    }
    let batch: BatchRequest = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                Code::BadUserInput,
                &format!("the body is not a GraphQL request: {e}"),
            );
        }
    };
    let viewer = match viewer_of(&state, &req).await {
        Ok(v) => v,
        Err(refusal) => return refusal,
    };
    match batch {
        BatchRequest::Single(r) => {
            let resp = execute(&state, r, viewer).await;
            let failed = is_request_error(&resp);
            respond(&req, serde_json::to_vec(&resp), failed)
        }
        BatchRequest::Batch(rs) => {
            if rs.is_empty() || rs.len() > state.limits.max_batch {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    Code::BadUserInput,
                    &format!("a batch holds 1 to {} operations", state.limits.max_batch),
                );
            }
            let mut out = Vec::with_capacity(rs.len());
            for r in rs {
                out.push(execute(&state, r, viewer.clone()).await);
            }
            let failed = out.iter().all(is_request_error);
            respond(&req, serde_json::to_vec(&out), failed)
        }
    }
}

/// The operation a GET would run is a mutation (GET must never change data).
fn is_mutation(r: &Request) -> bool {
    let Ok(doc) = async_graphql::parser::parse_query(&r.query) else {
        return false;
    };
    let ty = match &doc.operations {
        DocumentOperations::Single(op) => Some(op.node.ty),
        DocumentOperations::Multiple(ops) => match &r.operation_name {
            Some(name) => ops.get(name.as_str()).map(|op| op.node.ty),
            None if ops.len() == 1 => ops.values().next().map(|op| op.node.ty),
            None => None,
        },
    };
    ty == Some(OperationType::Mutation)
}

async fn graphql_get(state: web::Data<State>, req: HttpRequest) -> HttpResponse {
    let browser = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if browser && req.query_string().is_empty() {
        return HttpResponse::Ok()
            .content_type(ContentType::html())
            .body(GraphiQLSource::build().endpoint("/graphql").finish());
    }
    let r = match async_graphql::http::parse_query_string(req.query_string()) {
        Ok(r) => r,
        Err(e) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                Code::BadUserInput,
                &format!("bad GraphQL GET request: {e}"),
            );
        }
    };
    if is_mutation(&r) {
        let mut resp = refuse(
            StatusCode::METHOD_NOT_ALLOWED,
            Code::BadUserInput,
            "mutations must be sent by POST",
        );
        resp.headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("POST"));
        return resp;
    }
    let viewer = match viewer_of(&state, &req).await {
        Ok(v) => v,
        Err(refusal) => return refusal,
    };
    let resp = execute(&state, r, viewer).await;
    let failed = is_request_error(&resp);
    respond(&req, serde_json::to_vec(&resp), failed)
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
