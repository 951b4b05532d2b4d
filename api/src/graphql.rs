//! GraphQL over HTTP: our own handler around `Schema::execute`, rather than
//! async-graphql-actix-web's stock one, which runs mutations sent by GET,
//! reads bodies without a size limit, accepts batches of any length and
//! always answers 200 with one content type.

use std::panic::AssertUnwindSafe;
use std::time::Instant;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use async_graphql::futures_util::{FutureExt, StreamExt};
use async_graphql::http::GraphiQLSource;
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet,
};
use async_graphql::{BatchRequest, Request, Response, ServerError};
use schema::Session;
use schema::error::{ApiError, Code};
use schema::policy::Viewer;
use schema::store::Reader;

use crate::auth;
use crate::config::Limits;
use crate::server::{RequestId, State};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// A request-level refusal, shaped like a GraphQL response.
pub fn refuse(status: StatusCode, code: Code, message: &str) -> HttpResponse {
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

/// A request error in the media type the client asked for: 4xx for
/// `application/graphql-response+json`, 200 for `application/json`.
fn request_error(req: &HttpRequest, status: StatusCode, code: Code, message: &str) -> HttpResponse {
    let resp = Response::from_errors(vec![coded(ServerError::new(message, None), code)]);
    respond(req, serde_json::to_vec(&resp), Some(status))
}

fn coded(mut e: ServerError, code: Code) -> ServerError {
    e.extensions
        .get_or_insert_with(Default::default)
        .set("code", code.as_str());
    e
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
async fn session_of(state: &State, req: &HttpRequest) -> Result<Session, HttpResponse> {
    let Some(h) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(Session::anonymous());
    };
    let unauthenticated = || {
        let mut r = refuse(
            StatusCode::UNAUTHORIZED,
            Code::Unauthenticated,
            &ApiError::Unauthenticated.to_string(),
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
        .await
        .map_err(|_| unauthenticated())?;
    auth::session(&state.db, claims).await.map_err(|e| {
        tracing::error!(cause = %e, "resolving a token's grants failed");
        refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            Code::Internal,
            "internal error",
        )
    })
}

/// Counts what async-graphql's depth and complexity limits do not see:
/// aliases anywhere in the document and fields at the root of each operation.
fn check_shape(doc: &ExecutableDocument, limits: &Limits) -> Result<(), String> {
    fn aliases(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|s| match &s.node {
                Selection::Field(f) => {
                    usize::from(f.node.alias.is_some()) + aliases(&f.node.selection_set.node)
                }
                Selection::InlineFragment(i) => aliases(&i.node.selection_set.node),
                Selection::FragmentSpread(_) => 0,
            })
            .sum()
    }
    let ops: Vec<&SelectionSet> = doc
        .operations
        .iter()
        .map(|(_, op)| &op.node.selection_set.node)
        .collect();
    let total = ops.iter().map(|s| aliases(s)).sum::<usize>()
        + doc
            .fragments
            .values()
            .map(|f| aliases(&f.node.selection_set.node))
            .sum::<usize>();
    if total > limits.max_aliases {
        return Err(format!(
            "the query uses {total} aliases; at most {} are allowed",
            limits.max_aliases
        ));
    }
    if let Some(n) = ops
        .iter()
        .map(|s| s.items.len())
        .max()
        .filter(|n| *n > limits.max_root_fields)
    {
        return Err(format!(
            "the query asks for {n} root fields; at most {} are allowed",
            limits.max_root_fields
        ));
    }
    Ok(())
}

fn internal() -> Response {
    Response::from_errors(vec![coded(
        ServerError::new("internal error", None),
        Code::Internal,
    )])
}

/// Runs one operation: shape limits, time limit, and a panic in a resolver
/// answered as INTERNAL rather than a dropped connection.
async fn execute(state: &State, req: &HttpRequest, r: Request, session: Session) -> Response {
    let started = Instant::now();
    let operation = r.operation_name.clone().unwrap_or_default();
    let subject = match &session.viewer {
        Viewer::Anonymous => String::new(),
        Viewer::User { subject, .. } => subject.clone(),
    };
    let parsed = async_graphql::parser::parse_query(&r.query);
    // Only a document of queries reads through a snapshot; a mutation must
    // see its own writes.
    let reads_only = parsed.as_ref().is_ok_and(|doc| {
        doc.operations
            .iter()
            .all(|(_, op)| op.node.ty == OperationType::Query)
    });
    let resp = match parsed.map(|doc| check_shape(&doc, &state.limits)) {
        Ok(Err(refusal)) => {
            Response::from_errors(vec![coded(ServerError::new(refusal, None), Code::BadUserInput)])
        }
        // A query that does not parse is reported by execute itself.
        _ => {
            let run = async {
                // Waiting for a permit counts against the timeout.
                let _permit = state.in_flight.acquire().await;
                let reader = if reads_only {
                    match Reader::snapshot(&state.db).await {
                        Ok(r) => r,
                        Err(e) => {
                            tracing::error!(cause = %e, "opening a read snapshot failed");
                            return Ok(internal());
                        }
                    }
                } else {
                    Reader::Pool(state.db.clone())
                };
                let run = state
                    .schema
                    .execute(schema::request_data(r, reader.clone(), session));
                let resp = AssertUnwindSafe(run).catch_unwind().await;
                if let Err(e) = reader.close().await {
                    tracing::warn!(cause = %e, "closing a read snapshot failed");
                }
                resp
            };
            match tokio::time::timeout(state.limits.query_timeout, run).await {
                Ok(Ok(resp)) => resp,
                Ok(Err(_)) => {
                    tracing::error!(operation, "a resolver panicked");
                    internal()
                }
                Err(_) => Response::from_errors(vec![coded(
                    ServerError::new(
                        format!(
                            "the query ran longer than {}s",
                            state.limits.query_timeout.as_secs_f32()
                        ),
                        None,
                    ),
                    Code::Timeout,
                )]),
            }
        }
    };
    let resp = with_codes(resp);
    let outcome = resp
        .errors
        .first()
        .and_then(|e| {
            e.extensions
                .as_ref()?
                .get("code")
                .map(|c| c.to_string().trim_matches('"').to_owned())
        })
        .unwrap_or_else(|| "OK".to_owned());
    let elapsed = started.elapsed();
    state.metrics.observe(&operation, &outcome, elapsed);
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    tracing::info!(
        request_id,
        operation,
        subject,
        outcome,
        elapsed_ms = elapsed.as_millis() as u64,
        "graphql"
    );
    resp
}

/// A response failed as a whole (nothing executed) when it has no data and
/// its errors point at no field.
fn is_request_error(resp: &Response) -> bool {
    resp.data == async_graphql::Value::Null && resp.errors.iter().all(|e| e.path.is_empty())
}

/// Answers in the media type asked for; `error_status` is the status a
/// request error takes under `application/graphql-response+json`.
fn respond(
    req: &HttpRequest,
    body: Result<Vec<u8>, serde_json::Error>,
    error_status: Option<StatusCode>,
) -> HttpResponse {
    let Ok(body) = body else {
        return refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            Code::Internal,
            "internal error",
        );
    };
    if wants_graphql_response(req) {
        HttpResponse::build(error_status.unwrap_or(StatusCode::OK))
            .insert_header((header::CONTENT_TYPE, format!("{GRAPHQL_RESPONSE}; charset=utf-8")))
            .body(body)
    } else {
        HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, "application/json; charset=utf-8"))
            .body(body)
    }
}

/// A request error (nothing executed) has no `data` entry at all.
fn respond_one(req: &HttpRequest, resp: &Response) -> HttpResponse {
    if is_request_error(resp) {
        let body = serde_json::to_vec(&serde_json::json!({ "errors": resp.errors }));
        return respond(req, body, Some(StatusCode::BAD_REQUEST));
    }
    respond(req, serde_json::to_vec(resp), None)
}

/// Reads the body up to the limit; a larger one is refused with 413 before
/// it is all read.
async fn read_body(mut payload: web::Payload, limit: usize) -> Result<web::BytesMut, HttpResponse> {
    let too_large = || {
        refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            Code::BadUserInput,
            &format!("the body is larger than {limit} bytes"),
        )
    };
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| too_large())?;
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

pub async fn post(state: web::Data<State>, req: HttpRequest, payload: web::Payload) -> HttpResponse {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|n| n > state.limits.max_body_bytes) {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            Code::BadUserInput,
            &format!("the body is larger than {} bytes", state.limits.max_body_bytes),
        );
    }
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/json"));
    if !json {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Code::BadUserInput,
            "send the request as application/json",
        );
    }
    let body = match read_body(payload, state.limits.max_body_bytes).await {
        Ok(b) => b,
        Err(refusal) => return refusal,
    };
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
    let session = match session_of(&state, &req).await {
        Ok(v) => v,
        Err(refusal) => return refusal,
    };
    match batch {
        BatchRequest::Single(r) => respond_one(&req, &execute(&state, &req, r, session).await),
        BatchRequest::Batch(rs) => {
            if rs.is_empty() || rs.len() > state.limits.max_batch {
                return request_error(
                    &req,
                    StatusCode::BAD_REQUEST,
                    Code::BadUserInput,
                    &format!("a batch holds 1 to {} operations", state.limits.max_batch),
                );
            }
            let mut out = Vec::with_capacity(rs.len());
            for r in rs {
                out.push(execute(&state, &req, r, session.clone()).await);
            }
            let status = out
                .iter()
                .all(is_request_error)
                .then_some(StatusCode::BAD_REQUEST);
            respond(&req, serde_json::to_vec(&out), status)
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

pub async fn get(state: web::Data<State>, req: HttpRequest) -> HttpResponse {
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
            return request_error(
                &req,
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
    let session = match session_of(&state, &req).await {
        Ok(v) => v,
        Err(refusal) => return refusal,
    };
    respond_one(&req, &execute(&state, &req, r, session).await)
}
