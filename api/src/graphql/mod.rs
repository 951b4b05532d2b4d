//! GraphQL over HTTP: our own handler around `Schema::execute`, rather than
//! async-graphql-actix-web's stock one, which runs mutations sent by GET,
//! reads bodies without a size limit, accepts batches of any length and
//! always answers 200 with one content type. Every refusal comes from the
//! error catalogue (`schema::error`). This module is the HTTP side (bodies,
//! media types, GET caching); running an operation, which the WebSocket
//! shares, is `execution`.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType, HeaderValue};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use async_graphql::futures_util::StreamExt;
use async_graphql::http::{MultipartOptions, receive_batch_body};
use async_graphql::parser::types::OperationType;
use async_graphql::{BatchRequest, ParseRequestError, Request, Variables};
use schema::Session;
use schema::directory::Identity;
use schema::error::{ApiError, Code, RETRY_AFTER_SECS};
use schema::policy::Viewer;
use schema::service::import::sheet::MAX_SHEET_BYTES;
use serde::{Deserialize, Serialize};

use crate::state::{RequestId, State};

mod execution;
mod idempotency;

pub(crate) use execution::{
    Answer, costed, error_response, execute, has_code, is_request_error, operation_type, refusal, with_codes,
};
pub(crate) use idempotency::{IDEMPOTENCY_KEY, REPLAYED};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// A whole request refused: the catalogue's status, code and message,
/// shaped like a GraphQL response.
pub fn refuse(e: &ApiError) -> HttpResponse {
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut r = HttpResponse::build(status);
    r.content_type(ContentType::json());
    match e {
        ApiError::Unauthenticated => {
            r.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        ApiError::Unavailable => {
            r.insert_header((header::RETRY_AFTER, RETRY_AFTER_SECS));
        }
        ApiError::MutationByGet => {
            r.insert_header((header::ALLOW, "POST"));
        }
        // The rest of a stalled body may never come: the connection is not
        // worth keeping.
        ApiError::BodyTimeout(_) => {
            r.force_close();
        }
        _ => {}
    }
    r.body(
        serde_json::json!({
            "errors": [{ "message": e.to_string(), "extensions": { "code": e.code().as_str() } }]
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
fn request_error(req: &HttpRequest, e: &ApiError) -> HttpResponse {
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    respond(req, json_body(&error_response(e)), Some(status), false)
}

fn json_body<T: Serialize>(value: &T) -> Result<web::Bytes, serde_json::Error> {
    serde_json::to_vec(value).map(web::Bytes::from)
}

/// A subject is an identity we record in the audit log: one with control
/// characters is no identity, however it was signed.
fn sane_subject(sub: &str) -> bool {
    !sub.trim().is_empty() && sub.len() <= 256 && !sub.chars().any(char::is_control)
}

/// Who the request is made as: anonymous without a token; a token that does
/// not verify refuses the whole request with 401.
pub(crate) async fn session_of(state: &State, req: &HttpRequest) -> Result<Session, ApiError> {
    let Some(h) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(Session::anonymous());
    };
    let token = h.to_str().map_err(|_| ApiError::Unauthenticated)?;
    Ok(bearer(state, token).await?.session)
}

/// A verified token: who it names, when it expires (seconds since the Unix
/// epoch), and the session it speaks for.
pub(crate) struct Signed {
    pub identity: Identity,
    pub expires: u64,
    pub session: Session,
}

/// What an `Authorization` value (`Bearer <jwt>`) speaks for. The versions
/// are read first, the one statement a signed-in request's cached answer
/// costs: the token is verified by the providers registered at them, and
/// its roles resolved there.
pub(crate) async fn bearer(state: &State, authorization: &str) -> Result<Signed, ApiError> {
    let token = authorization
        .strip_prefix("Bearer ")
        .ok_or(ApiError::Unauthenticated)?;
    let version = schema::store::data_version(&state.db).await?;
    let held = state.directory.at(&state.db, version.directory).await?;
    let (identity, expires) = state.verifier.verify(token.trim(), &held).await?;
    if !sane_subject(&identity.subject) {
        return Err(ApiError::Unauthenticated);
    }
    let mut session = state.directory.session(&held, identity.clone());
    session.version = Some(version);
    Ok(Signed {
        identity,
        expires,
        session,
    })
}

/// The id the request was tagged with.
pub(crate) fn request_id(req: &HttpRequest) -> String {
    req.extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default()
}

/// Answers in the media type asked for; `error_status` is the status a
/// request error takes under `application/graphql-response+json`. An
/// answer the database could not give is 503 in either, so that clients and
/// load balancers retry.
fn respond(
    req: &HttpRequest,
    body: Result<web::Bytes, serde_json::Error>,
    error_status: Option<StatusCode>,
    unavailable: bool,
) -> HttpResponse {
    let Ok(body) = body else {
        return refuse(&ApiError::internal("serialising a response failed"));
    };
    let (mut r, media) = if unavailable {
        let mut r = HttpResponse::ServiceUnavailable();
        r.insert_header((header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS)));
        let media = if wants_graphql_response(req) {
            GRAPHQL_RESPONSE
        } else {
            "application/json"
        };
        (r, media)
    } else if wants_graphql_response(req) {
        (
            HttpResponse::build(error_status.unwrap_or(StatusCode::OK)),
            GRAPHQL_RESPONSE,
        )
    } else {
        (HttpResponse::Ok(), "application/json")
    };
    r.insert_header((header::CONTENT_TYPE, format!("{media}; charset=utf-8")))
        .body(body)
}

/// A request error's body: no `data` entry at all, and the extensions
/// (its cost). A struct, not `json!`, whose map would sort the keys.
#[derive(Serialize)]
struct RequestError<'a> {
    errors: &'a [async_graphql::ServerError],
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    extensions: &'a std::collections::BTreeMap<String, async_graphql::Value>,
}

/// A request error (nothing executed) has no `data` entry at all.
fn respond_one(req: &HttpRequest, answer: &Answer) -> HttpResponse {
    let resp = match answer {
        Answer::Kept(e) => return respond(req, Ok(e.body.clone()), None, false),
        Answer::Run(resp) => resp,
    };
    let unavailable = has_code(resp, Code::Unavailable);
    if is_request_error(resp) {
        let body = json_body(&RequestError {
            errors: &resp.errors,
            extensions: &resp.extensions,
        });
        return respond(req, body, Some(StatusCode::BAD_REQUEST), unavailable);
    }
    respond(req, json_body(resp), None, unavailable)
}

/// Reads the body up to the limit and within the body timeout; a larger
/// one is refused with 413 before it is all read, a stalled one with 408.
async fn read_body(
    payload: web::Payload,
    limit: usize,
    timeout: std::time::Duration,
) -> Result<web::BytesMut, ApiError> {
    let read = async {
        let mut payload = payload;
        let mut body = web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|_| ApiError::BodyTooLarge(limit))?;
            if body.len() + chunk.len() > limit {
                return Err(ApiError::BodyTooLarge(limit));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    };
    tokio::time::timeout(timeout, read)
        .await
        .unwrap_or(Err(ApiError::BodyTimeout(timeout)))
}

/// The media types the GraphQL-over-HTTP spec names for a request body:
/// `application/json`, with an optional UTF-8 charset.
fn is_json_body(req: &HttpRequest) -> bool {
    let Some(v) = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mut parts = v.split(';').map(str::trim);
    let essence = parts.next().unwrap_or_default();
    essence.eq_ignore_ascii_case("application/json")
        && parts.all(|p| match p.split_once('=') {
            Some((k, v)) if k.trim().eq_ignore_ascii_case("charset") => {
                v.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
            }
            Some(_) => true,
            None => p.is_empty(),
        })
}

/// A multipart request (the GraphQL multipart request spec) carries one
/// sheet for `importResults`; its body may be as large as the sheet allowed
/// and the parts around it, and no larger.
const MAX_MULTIPART_BYTES: usize = MAX_SHEET_BYTES + 64 * 1024;

fn is_multipart_body(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("multipart/form-data"))
}

/// The request a body holds: JSON, or the multipart request spec's parts
/// with at most one file of at most `MAX_SHEET_BYTES`. Bearer tokens, not
/// cookies, say who calls, so a form posted across sites acts as nobody.
async fn parse_body(req: &HttpRequest, body: &[u8]) -> Result<BatchRequest, ApiError> {
    if !is_multipart_body(req) {
        return serde_json::from_slice(body)
            .map_err(|e| ApiError::BadRequest(format!("the body is not a GraphQL request: {e}")));
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let opts = MultipartOptions::default()
        .max_file_size(MAX_SHEET_BYTES)
        .max_num_files(1);
    receive_batch_body(content_type, body, opts)
        .await
        .map_err(|e| match e {
            ParseRequestError::PayloadTooLarge => ApiError::BodyTooLarge(MAX_SHEET_BYTES),
            e => ApiError::BadRequest(format!("the body is not a GraphQL multipart request: {e}")),
        })
}

pub async fn post(state: web::Data<State>, req: HttpRequest, payload: web::Payload) -> HttpResponse {
    let key = match idempotency::key(&req) {
        Ok(k) => k,
        Err(e) => return refuse(&e),
    };
    let multipart = is_multipart_body(&req);
    let limit = if multipart {
        MAX_MULTIPART_BYTES
    } else {
        state.limits.max_body_bytes
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return refuse(&ApiError::BodyTooLarge(limit));
    }
    if !multipart && !is_json_body(&req) {
        return refuse(&ApiError::UnsupportedMediaType);
    }
    let body = match read_body(payload, limit, state.limits.body_timeout).await {
        Ok(b) => b,
        Err(e) => return refuse(&e),
    };
    let batch = match parse_body(&req, &body).await {
        Ok(b) => b,
        Err(e) => return refuse(&e),
    };
    let session = match session_of(&state, &req).await {
        Ok(v) => v,
        Err(e) => return refuse(&e),
    };
    let mut operations = match prepare(&state, batch) {
        Ok(ops) => ops,
        Err(e) => return request_error(&req, &e),
    };
    match key {
        // A request without a mutation changes nothing: it is answered
        // afresh each time, as by GET, and keeps no row.
        Some(key) if operations.mutate() => idempotency::once(state, req, key, operations, session).await,
        _ => run_operations(&state, &req, operations, session).await.response,
    }
}

/// The operations of a POST, each with its persisted query's text found:
/// one, or a batch whose operations are each run or refused on their own.
pub(crate) enum Operations {
    One(Box<Request>),
    Many(Vec<Result<Request, ApiError>>),
}

impl Operations {
    /// Whether any operation would run a mutation.
    fn mutate(&mut self) -> bool {
        let is_mutation = |r: &mut Request| operation_type(r) == Some(OperationType::Mutation);
        match self {
            Operations::One(r) => is_mutation(r),
            Operations::Many(rs) => rs.iter_mut().flatten().any(is_mutation),
        }
    }
}

/// What is wrong with a request as a whole, before anything runs.
fn prepare(state: &State, batch: BatchRequest) -> Result<Operations, ApiError> {
    let resolve = |mut r: Request| {
        state
            .persisted
            .resolve(&mut r, state.limits.max_query_bytes)
            .map(|()| r)
    };
    match batch {
        BatchRequest::Single(r) => Ok(Operations::One(Box::new(resolve(r)?))),
        BatchRequest::Batch(rs) => {
            if rs.is_empty() || rs.len() > state.limits.max_batch {
                return Err(ApiError::BadRequest(format!(
                    "a batch holds 1 to {} operations",
                    state.limits.max_batch
                )));
            }
            Ok(Operations::Many(rs.into_iter().map(resolve).collect()))
        }
    }
}

/// The HTTP answer to a POST's operations, and whether it says the server
/// failed (an answer not worth keeping for a retry).
pub(crate) struct Replied {
    pub response: HttpResponse,
    pub server_failed: bool,
}

/// Codes that say the server failed, not the request: a retry may succeed.
const SERVER_FAILURES: [Code; 3] = [Code::Unavailable, Code::Timeout, Code::Internal];

fn server_failed(answer: &Answer) -> bool {
    SERVER_FAILURES.iter().any(|c| answer.has_code(*c))
}

pub(crate) async fn run_operations(
    state: &State,
    req: &HttpRequest,
    operations: Operations,
    session: Session,
) -> Replied {
    match operations {
        Operations::One(r) => {
            let answer = execute(state, &request_id(req), *r, session).await;
            Replied {
                server_failed: server_failed(&answer),
                response: respond_one(req, &answer),
            }
        }
        Operations::Many(rs) => {
            let mut out = Vec::with_capacity(rs.len());
            for r in rs {
                let answer = match r {
                    Ok(r) => execute(state, &request_id(req), r, session.clone()).await,
                    // Refused before it was parsed: no cost was computed.
                    Err(e) => Answer::Run(costed(error_response(&e), None, state.limits.max_complexity)),
                };
                out.push(answer);
            }
            let status = out
                .iter()
                .all(Answer::is_request_error)
                .then_some(StatusCode::BAD_REQUEST);
            let unavailable = out.iter().any(|r| r.has_code(Code::Unavailable));
            Replied {
                server_failed: out.iter().any(server_failed),
                response: respond(req, json_body(&out), status, unavailable),
            }
        }
    }
}

/// The parameters of a GraphQL GET request, as the spec names them.
#[derive(Deserialize)]
struct GetParams {
    /// Absent when the query is sent by its hash alone.
    query: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    /// JSON, URL-encoded.
    variables: Option<String>,
    extensions: Option<String>,
}

fn get_request(query_string: &str) -> Result<Request, ApiError> {
    let bad = |e: &dyn std::fmt::Display| ApiError::BadRequest(format!("bad GraphQL GET request: {e}"));
    let p = web::Query::<GetParams>::from_query(query_string)
        .map_err(|e| bad(&e))?
        .into_inner();
    let mut r = Request::new(p.query.unwrap_or_default());
    r.operation_name = p.operation_name.filter(|n| !n.is_empty());
    if let Some(v) = p.variables.filter(|v| !v.trim().is_empty()) {
        r.variables = serde_json::from_str::<Variables>(&v).map_err(|e| bad(&e))?;
    }
    if let Some(x) = p.extensions.filter(|x| !x.trim().is_empty()) {
        r.extensions = serde_json::from_str(&x).map_err(|e| bad(&e))?;
    }
    Ok(r)
}

pub async fn get(state: web::Data<State>, req: HttpRequest) -> HttpResponse {
    let browser = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if browser && req.query_string().is_empty() {
        return crate::pages::explorer_page();
    }
    let mut r = match get_request(req.query_string()) {
        Ok(r) => r,
        Err(e) => return request_error(&req, &e),
    };
    if let Err(e) = state.persisted.resolve(&mut r, state.limits.max_query_bytes) {
        return request_error(&req, &e);
    }
    // GET must never change data.
    if operation_type(&mut r) == Some(OperationType::Mutation) {
        return refuse(&ApiError::MutationByGet);
    }
    let session = match session_of(&state, &req).await {
        Ok(v) => v,
        Err(e) => return refuse(&e),
    };
    let private = matches!(session.viewer, Viewer::User { .. });
    let answer = execute(&state, &request_id(&req), r, session).await;
    let Some((body, tag)) = answer.tagged_body() else {
        return respond_one(&req, &answer);
    };
    revalidated(&req, body, &tag, private)
}

/// Whether the client holds the answer tagged `tag` (`If-None-Match`).
pub(crate) fn held(req: &HttpRequest, tag: &str) -> bool {
    req.headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(str::trim)
                .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == tag)
        })
}

/// A successful answer to a GET, with what browsers and a CDN need to
/// revalidate it: its entity tag, and that it must be revalidated each
/// time (`no-cache`) — by anyone for the public, by the token's holder
/// alone otherwise. A client that holds the same answer gets 304.
fn revalidated(req: &HttpRequest, body: web::Bytes, tag: &str, private: bool) -> HttpResponse {
    let mut r = if held(req, tag) {
        HttpResponse::NotModified().finish()
    } else {
        respond(req, Ok(body), None, false)
    };
    let headers = r.headers_mut();
    let control = if private {
        "private, no-cache"
    } else {
        "public, no-cache"
    };
    for (name, value) in [
        (header::ETAG, tag),
        (header::CACHE_CONTROL, control),
        // A shared cache must not answer a token's holder with the public's
        // copy, nor the reverse.
        (header::VARY, "Authorization"),
    ] {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    }
    r
}
