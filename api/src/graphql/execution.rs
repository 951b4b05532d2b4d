//! Running one GraphQL operation, whichever transport brought it (HTTP or
//! the WebSocket): the document's limits, the in-flight permit and the time
//! limit, a read snapshot or the response cache, the retry after a lost
//! connection, and the count and log line of each operation.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use actix_web::web;
use async_graphql::futures_util::FutureExt;
use async_graphql::parser::types::OperationType;
use async_graphql::{Request, Response};
use chrono::Utc;
use schema::Session;
use schema::cost::{self, Meter};
use schema::error::{ApiError, Code};
use schema::policy::Viewer;
use schema::store::{self, Reader};
use serde::Serialize;
use serde_json::value::RawValue;

use crate::cache;
use crate::config::Limits;
use crate::document::{self, Bounds};
use crate::state::State;

pub(crate) fn error_response(e: &ApiError) -> Response {
    Response::from_errors(vec![e.server_error()])
}

/// Every error carries a code. Those async-graphql makes itself (parse,
/// validation, argument coercion) have none: they are the client's.
pub(crate) fn with_codes(mut resp: Response) -> Response {
    for e in &mut resp.errors {
        let ext = e.extensions.get_or_insert_with(Default::default);
        if ext.get("code").is_none() {
            ext.set("code", Code::BadUserInput.as_str());
        }
    }
    resp
}

pub(crate) fn has_code(resp: &Response, code: Code) -> bool {
    let code = async_graphql::Value::from(code.as_str());
    resp.errors
        .iter()
        .any(|e| e.extensions.as_ref().and_then(|x| x.get("code")) == Some(&code))
}

/// Why a document may not run, measured before anything else reads it:
/// the same limits whichever transport brought it.
pub(crate) fn refusal(limits: &Limits, r: &mut Request) -> Option<ApiError> {
    let bounds = Bounds {
        fields: limits.max_fields,
        aliases: limits.max_aliases,
        root_fields: limits.max_root_fields,
        depth: limits.max_depth,
        spreads: limits.max_spreads,
    };
    if r.query.len() > limits.max_query_bytes {
        return Some(ApiError::BadUserInput(format!(
            "the query is {} bytes long; at most {} are allowed",
            r.query.len(),
            limits.max_query_bytes
        )));
    }
    if forged_file_reference(r) {
        return Some(ApiError::BadUserInput(
            "a file is named that this request did not upload: send files as multipart parts".to_owned(),
        ));
    }
    // A query that does not parse is reported by execute itself.
    let refused = document::check(r.parsed_query().ok()?, &bounds).err()?;
    Some(ApiError::BadUserInput(refused.to_string()))
}

/// An answer: one executed now, or the body of one the cache kept.
// Moved a few times per request, as the bare `Response` was: boxing it would
// cost an allocation per executed answer for nothing.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Answer {
    Run(Response),
    Kept(Arc<cache::Entry>),
}

impl Answer {
    pub(crate) fn has_code(&self, code: Code) -> bool {
        matches!(self, Answer::Run(r) if has_code(r, code))
    }

    pub(crate) fn is_request_error(&self) -> bool {
        matches!(self, Answer::Run(r) if is_request_error(r))
    }

    /// OK, or the first error's code.
    pub(crate) fn outcome(&self) -> String {
        let Answer::Run(resp) = self else {
            return "OK".to_owned();
        };
        resp.errors
            .first()
            .and_then(|e| {
                e.extensions
                    .as_ref()?
                    .get("code")
                    .map(|c| c.to_string().trim_matches('"').to_owned())
            })
            .unwrap_or_else(|| "OK".to_owned())
    }

    /// The body and entity tag of a successful answer.
    pub(crate) fn tagged_body(&self) -> Option<(web::Bytes, String)> {
        match self {
            Answer::Kept(e) => Some((e.body.clone(), e.etag.clone())),
            Answer::Run(r) if r.errors.is_empty() => {
                let body = web::Bytes::from(serde_json::to_vec(r).ok()?);
                let tag = cache::etag(&body);
                Some((body, tag))
            }
            Answer::Run(_) => None,
        }
    }
}

impl Serialize for Answer {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Answer::Run(r) => r.serialize(s),
            Answer::Kept(e) => serde_json::from_slice::<&RawValue>(&e.body)
                .map_err(serde::ser::Error::custom)?
                .serialize(s),
        }
    }
}

/// Parses, measures and runs one operation while holding an in-flight
/// permit: the caller bounds all of it by the query timeout.
async fn run(state: &State, mut r: Request, session: Session, meter: &Meter) -> Answer {
    // Waiting for a permit counts against the timeout.
    let _permit = state.in_flight.acquire().await;
    if let Some(refused) = refusal(&state.limits, &mut r) {
        return Answer::Run(error_response(&refused));
    }
    if operation_type(&mut r) == Some(OperationType::Subscription) {
        return Answer::Run(error_response(&ApiError::BadUserInput(
            "subscriptions are served over the WebSocket at /graphql/ws (graphql-transport-ws)".to_owned(),
        )));
    }
    let reads_only = r.parsed_query().is_ok_and(|doc| {
        doc.operations
            .iter()
            .all(|(_, op)| op.node.ty == OperationType::Query)
    });
    if !reads_only {
        return Answer::Run(run_on(state, r, Reader::Pool(state.db.clone()), session, meter).await);
    }
    // A read met a connection that died with the database: once more, on a
    // connection the pool has checked.
    let again = retry_copy(&mut r);
    let first = read(state, r, session.clone(), meter).await;
    match again {
        Some(r) if first.has_code(Code::Unavailable) => read(state, r, session, meter).await,
        _ => first,
    }
}

/// How the multipart handler names an uploaded file in the variables.
const FILE_REFERENCE: &str = "#__graphql_file__:";

/// A file reference the request's own uploads do not back. async-graphql's
/// `Upload` input panics on one that is not a number and on an index past
/// the files sent, so they are refused before anything parses them.
fn forged_file_reference(r: &Request) -> bool {
    // A reference is the prefix, an index, then the end of the string
    // (`"` closes a literal in the query's text).
    fn forged(s: &str, files: usize, end: Option<char>) -> bool {
        s.match_indices(FILE_REFERENCE).any(|(at, _)| {
            let rest = &s[at + FILE_REFERENCE.len()..];
            let n = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
            rest[n..].chars().next() != end || rest[..n].parse::<usize>().map_or(true, |i| i >= files)
        })
    }
    fn in_value(v: &async_graphql::Value, files: usize) -> bool {
        match v {
            async_graphql::Value::String(s) => forged(s, files, None),
            async_graphql::Value::List(items) => items.iter().any(|i| in_value(i, files)),
            async_graphql::Value::Object(fields) => fields.values().any(|f| in_value(f, files)),
            _ => false,
        }
    }
    let files = r.uploads.len();
    forged(&r.query, files, Some('"')) || r.variables.values().any(|v| in_value(v, files))
}

/// The request as it came, to run again.
fn retry_copy(r: &mut Request) -> Option<Request> {
    let doc = r.parsed_query().ok()?.clone();
    let mut again = Request::new(r.query.clone()).variables(r.variables.clone());
    again.operation_name = r.operation_name.clone();
    again.extensions = r.extensions.clone();
    again.set_parsed_query(doc);
    Some(again)
}

/// A query reads through one snapshot, so every resolver sees one moment.
async fn snapshot_read(state: &State, r: Request, session: Session, meter: &Meter) -> Response {
    match Reader::snapshot(&state.db).await {
        Ok(reader) => run_on(state, r, reader, session, meter).await,
        Err(e) => error_response(&e),
    }
}

/// A query, from the cache when it holds the answer at the current data
/// version. That version is read on its own first: one statement, exact at
/// the moment it runs. A miss runs the query in a snapshot whose own version
/// keys the answer, so what is kept is exactly what that version holds.
async fn read(state: &State, r: Request, session: Session, meter: &Meter) -> Answer {
    let Some(cache) = &state.cache else {
        return Answer::Run(snapshot_read(state, r, session, meter).await);
    };
    let today = Utc::now().date_naive();
    let inputs = cache::Inputs {
        today,
        session: &session,
        request: &r,
    };
    // A signed-in session read the version as it resolved its roles.
    let now = match &session.version {
        Some(v) => Ok(v.clone()),
        None => store::data_version(&state.db).await,
    };
    match now {
        Ok(now) => {
            if let Some(kept) = cache.get(&inputs.key(&now.data)) {
                return Answer::Kept(kept);
            }
        }
        Err(e) => return Answer::Run(error_response(&e)),
    }
    let reader = match Reader::snapshot(&state.db).await {
        Ok(reader) => reader,
        Err(e) => return Answer::Run(error_response(&e)),
    };
    let version = match store::data_version(&reader).await {
        Ok(v) => v,
        Err(e) => {
            let _ = reader.close().await;
            return Answer::Run(error_response(&e));
        }
    };
    let key = inputs.key(&version.data);
    let resp = run_on(state, r, reader, session, meter).await;
    // Errors are not kept (a timeout or a lost database says nothing of the
    // next try), nor an answer that straddled midnight.
    if !resp.errors.is_empty() || Utc::now().date_naive() != today {
        return Answer::Run(resp);
    }
    match serde_json::to_vec(&resp) {
        Ok(body) => Answer::Kept(cache.put(key, body.into())),
        Err(_) => Answer::Run(resp),
    }
}

/// Executes on `reader`; a panic in a resolver is answered as INTERNAL
/// rather than a dropped connection. The answer carries its cost, so that
/// a cached body has it too.
async fn run_on(state: &State, r: Request, reader: Reader, session: Session, meter: &Meter) -> Response {
    let request = schema::request_data(r, reader.clone(), session).data(meter.clone());
    let run = state.schema.execute(request);
    let resp = AssertUnwindSafe(run).catch_unwind().await;
    if let Err(e) = reader.close().await {
        tracing::warn!(cause = %e, "closing a read snapshot failed");
    }
    let resp = resp.unwrap_or_else(|_| {
        tracing::error!("a resolver panicked");
        error_response(&ApiError::Internal)
    });
    costed(resp, meter.requested(), state.limits.max_complexity)
}

/// The answer with `extensions.cost`, unless it has it already.
pub(crate) fn costed(mut resp: Response, requested: Option<usize>, limit: usize) -> Response {
    resp.extensions
        .entry("cost".to_owned())
        .or_insert_with(|| cost::report(requested, limit));
    resp
}

/// Runs one operation under the time limit, and counts and logs it.
pub(crate) async fn execute(state: &State, request_id: &str, r: Request, session: Session) -> Answer {
    let started = Instant::now();
    let operation = r.operation_name.clone().unwrap_or_default();
    let subject = match &session.viewer {
        Viewer::Anonymous => String::new(),
        Viewer::User { subject, .. } => subject.clone(),
    };
    let timeout = state.limits.query_timeout;
    let meter = Meter::default();
    let answer = match tokio::time::timeout(timeout, run(state, r, session, &meter)).await {
        Ok(Answer::Run(resp)) => Answer::Run(with_codes(resp)),
        Ok(kept) => kept,
        Err(_) => Answer::Run(with_codes(error_response(&ApiError::Timeout(timeout)))),
    };
    // Refusals before validation and timeouts did not pass through `run_on`.
    let answer = match answer {
        Answer::Run(resp) => Answer::Run(costed(resp, meter.requested(), state.limits.max_complexity)),
        kept => kept,
    };
    let outcome = answer.outcome();
    let elapsed = started.elapsed();
    state.metrics.observe(&operation, &outcome, elapsed);
    tracing::info!(
        request_id,
        operation,
        subject,
        outcome,
        cached = matches!(answer, Answer::Kept(_)),
        elapsed_ms = elapsed.as_millis() as u64,
        "graphql"
    );
    answer
}

/// A response failed as a whole (nothing executed) when it has no data and
/// its errors point at no field.
pub(crate) fn is_request_error(resp: &Response) -> bool {
    resp.data == async_graphql::Value::Null && resp.errors.iter().all(|e| e.path.is_empty())
}

/// The type of the operation a request would run, if it names one the
/// document holds (or the document holds only one).
pub(crate) fn operation_type(r: &mut Request) -> Option<OperationType> {
    let name = r.operation_name.clone();
    let doc = r.parsed_query().ok()?;
    match name {
        Some(name) => doc
            .operations
            .iter()
            .find(|(n, _)| n.is_some_and(|n| n.as_str() == name))
            .map(|(_, op)| op.node.ty),
        None => {
            let mut ops = doc.operations.iter();
            match (ops.next(), ops.next()) {
                (Some((_, op)), None) => Some(op.node.ty),
                _ => None,
            }
        }
    }
}
