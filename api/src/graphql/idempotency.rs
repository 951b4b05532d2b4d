//! Safe retries over HTTP: a POST sent with an `Idempotency-Key` (as in the
//! IETF HTTP API working group's draft) is run at most once per subject and
//! key within 24 hours; a retry gets the first answer again, with
//! `Idempotency-Replayed: true`. The rows behind it, and why they are safe
//! on both engines and across replicas, are `schema::store::idempotency`.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use async_graphql::Request;
use schema::Session;
use schema::error::ApiError;
use schema::policy::Viewer;
use schema::store::idempotency::{self as store, Claim, Found, Kept};

use super::{Operations, Replied, refuse, run_operations};
use crate::cache::Parts;
use crate::state::State;

pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
pub const REPLAYED: &str = "idempotency-replayed";

/// The request's key: none, or 1 to 255 visible ASCII characters.
pub fn key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let mut sent = req.headers().get_all(IDEMPOTENCY_KEY);
    let Some(value) = sent.next() else {
        return Ok(None);
    };
    let bytes = value.as_bytes();
    let well_formed =
        sent.next().is_none() && (1..=255).contains(&bytes.len()) && bytes.iter().all(u8::is_ascii_graphic);
    match value.to_str() {
        Ok(k) if well_formed => Ok(Some(k.to_owned())),
        _ => Err(ApiError::BadRequest(
            "Idempotency-Key is one value of 1 to 255 visible ASCII characters".to_owned(),
        )),
    }
}

/// What a request means, whatever its bytes: each operation's text, name
/// and variables (their keys in any order) and the bytes of every file it
/// uploads, not a multipart body's boundary, which a client draws afresh
/// for each try.
fn fingerprint(operations: &Operations) -> String {
    let mut parts = Parts::default();
    match operations {
        Operations::One(r) => operation(&mut parts, r),
        Operations::Many(rs) => {
            parts.part(b"batch");
            for r in rs {
                match r {
                    Ok(r) => operation(&mut parts, r),
                    Err(e) => parts.part(e.to_string().as_bytes()),
                }
            }
        }
    }
    hex::encode(parts.finish())
}

fn operation(parts: &mut Parts, r: &Request) {
    parts.part(r.query.as_bytes());
    parts.part(r.operation_name.as_deref().unwrap_or_default().as_bytes());
    // Through `serde_json::Value`, whose objects sort their keys.
    let variables = serde_json::to_value(&r.variables)
        .and_then(|v| serde_json::to_vec(&v))
        .unwrap_or_default();
    parts.part(&variables);
    parts.part(&r.uploads.len().to_le_bytes());
    for file in &r.uploads {
        parts.part(&file.content);
    }
}

/// How long a key's run may hold it before it is taken for dead: every run
/// ends within the query time limit, and gives the key up if it fails.
fn lease(state: &State) -> Duration {
    state.limits.query_timeout * 2 + Duration::from_secs(5)
}

/// Runs the operations once for this subject and key, or answers as the
/// first run did. The work runs in a task of its own: actix-web drops a
/// handler when its client disconnects, and a run cut off between its
/// commit and keeping its answer would leave a retry nothing to send.
pub async fn once(
    state: web::Data<State>,
    req: HttpRequest,
    key: String,
    operations: Operations,
    session: Session,
) -> HttpResponse {
    let run = actix_web::rt::spawn(async move { claimed(&state, &req, &key, operations, session).await });
    run.await
        .unwrap_or_else(|_| refuse(&ApiError::internal("an idempotent request's task failed")))
}

async fn claimed(
    state: &State,
    req: &HttpRequest,
    key: &str,
    operations: Operations,
    session: Session,
) -> HttpResponse {
    let subject = match &session.viewer {
        Viewer::Anonymous => String::new(),
        // Two providers may name different people alike.
        Viewer::User { subject, issuer, .. } => format!("{subject} {issuer}"),
    };
    let fingerprint = fingerprint(&operations);
    // A run of the same request holding the key ends within its time limit.
    let patience = state.limits.query_timeout + Duration::from_secs(1);
    let started = tokio::time::Instant::now();
    let mut pause = Duration::from_millis(20);
    let request_id = super::request_id(req);
    loop {
        let found = store::claim(&state.db, &subject, key, &fingerprint, lease(state)).await;
        if let Ok(f @ (Found::Answered(_) | Found::Reused | Found::Lost)) = &found {
            tracing::info!(
                request_id,
                subject,
                outcome = f.name(),
                "idempotency key held already"
            );
        }
        match found {
            Ok(Found::Claimed(claim)) => return run(state, req, claim, operations, session).await,
            Ok(Found::Answered(kept)) => return replay(&kept),
            Ok(Found::Reused) => return refuse(&ApiError::IdempotencyKeyReused),
            Ok(Found::Lost) => return refuse(&store::lost()),
            Ok(Found::Running) if started.elapsed() < patience => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(250));
            }
            Ok(Found::Running) => {
                return refuse(&ApiError::Conflict(
                    "a request with this Idempotency-Key is still running: try again shortly".to_owned(),
                ));
            }
            Err(e) => return refuse(&e),
        }
    }
}

/// Runs the operations as the key's holder, then keeps the answer; or, when
/// it says the server failed, gives the key up for a retry to run again,
/// unless the run applied something, which no retry may do again.
async fn run(
    state: &State,
    req: &HttpRequest,
    claim: Claim,
    operations: Operations,
    session: Session,
) -> HttpResponse {
    let replied = store::applying(claim.clone(), run_operations(state, req, operations, session)).await;
    let Replied {
        response,
        server_failed,
    } = replied;
    if server_failed {
        return match store::release(&state.db, &claim).await {
            Ok(false) => response,
            Ok(true) => {
                let lost = refuse(&store::lost());
                keep(state, &claim, lost).await
            }
            // The key stays held until its lease lapses; a retry then finds
            // whether this run applied it.
            Err(_) => response,
        };
    }
    keep(state, &claim, response).await
}

/// Keeps an answer for retries, and sends it.
async fn keep(state: &State, claim: &Claim, response: HttpResponse) -> HttpResponse {
    let (head, body) = response.into_parts();
    let Ok(body) = actix_web::body::to_bytes(body).await else {
        return refuse(&ApiError::internal("an answer's body could not be read"));
    };
    let kept = Kept {
        status: head.status().as_u16(),
        content_type: head
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/json")
            .to_owned(),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    if let Err(e) = store::keep(&state.db, claim, &kept).await {
        // The answer still goes to this client; a retry finds the key
        // applied, or free once its lease lapses.
        tracing::warn!(cause = %e, "an idempotent answer could not be kept");
    }
    head.set_body(body).map_into_boxed_body()
}

/// The first answer, again.
fn replay(kept: &Kept) -> HttpResponse {
    let status = StatusCode::from_u16(kept.status).unwrap_or(StatusCode::OK);
    let mut r = HttpResponse::build(status);
    if let Ok(v) = HeaderValue::from_str(&kept.content_type) {
        r.insert_header((header::CONTENT_TYPE, v));
    }
    r.insert_header((REPLAYED, "true"));
    r.body(kept.body.clone())
}
