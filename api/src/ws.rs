//! GraphQL over WebSocket at `GET /graphql/ws`: the `graphql-transport-ws`
//! protocol (what the `graphql-ws` library speaks), written here over
//! actix-ws so that every refusal closes with a code of our own table
//! ([`Close`], listed in the README) and every limit is one of `Limits`.
//!
//! The token travels in `connection_init`'s payload as
//! `{"authorization": "Bearer <jwt>"}` and is checked as HTTP checks it;
//! the socket closes when it expires. Queries and mutations run through
//! the HTTP handler's own path (measurement, limits, time limit, metrics);
//! subscriptions are measured the same way, then stream.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::{AggregatedMessage, AggregatedMessageStream, CloseCode, CloseReason, ProtocolError};
use async_graphql::futures_util::StreamExt;
use async_graphql::futures_util::stream::BoxStream;
use async_graphql::parser::types::OperationType;
use async_graphql::{Request, Response};
use schema::Session;
use schema::error::ApiError;
use schema::live::Listening;
use schema::store::Reader;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until};

use crate::graphql::{
    Answer, bearer, error_response, execute, is_request_error, operation_type, refusal, request_id,
    with_codes,
};
use crate::metrics::Metrics;
use crate::state::State;

pub const PROTOCOL: &str = "graphql-transport-ws";

/// Why the server closes a socket: the protocol's codes, and ours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Close {
    /// A message that is not one of the protocol's, or binary.
    BadMessage,
    /// `subscribe` before the connection was acknowledged.
    Unauthorized,
    /// The token in `connection_init` does not verify.
    Forbidden,
    /// The token expired.
    Expired,
    /// The client did not offer `graphql-transport-ws`.
    NotAcceptable,
    /// No `connection_init` within the init timeout.
    InitTimeout,
    /// A `subscribe` reused the id of an operation still running.
    Duplicate,
    /// A second `connection_init`.
    TooManyInits,
    /// A message larger than the message limit.
    TooBig,
    /// The server holds its limit of sockets, or cannot reach the database.
    TryAgain,
    /// The socket fell behind its events, or did not take a message in time.
    TooSlow,
    /// The server is shutting down.
    GoingAway,
}

impl Close {
    fn code(self) -> u16 {
        match self {
            Close::BadMessage => 4400,
            Close::Unauthorized => 4401,
            Close::Forbidden | Close::Expired => 4403,
            Close::NotAcceptable => 4406,
            Close::InitTimeout => 4408,
            Close::Duplicate => 4409,
            Close::TooManyInits => 4429,
            Close::TooSlow => 4499,
            Close::TooBig => 1009,
            Close::TryAgain => 1013,
            Close::GoingAway => 1001,
        }
    }

    fn reason(self) -> &'static str {
        match self {
            Close::BadMessage => "Invalid message received",
            Close::Unauthorized => "Unauthorized",
            Close::Forbidden => "Forbidden",
            Close::Expired => "Forbidden: the token expired",
            Close::NotAcceptable => "Subprotocol not acceptable",
            Close::InitTimeout => "Connection initialisation timeout",
            Close::Duplicate => "Subscriber for this id already exists",
            Close::TooManyInits => "Too many initialisation requests",
            Close::TooBig => "Message too big",
            Close::TryAgain => "Try again later",
            Close::TooSlow => "Too slow: events were being missed",
            Close::GoingAway => "The server is shutting down",
        }
    }
}

/// What a client sends.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientMessage {
    ConnectionInit {
        #[serde(default)]
        payload: Option<Value>,
    },
    Ping {},
    Pong {},
    Subscribe {
        id: String,
        payload: Box<Request>,
    },
    Complete {
        id: String,
    },
}

/// What an operation's task hands the socket, in order.
enum Out {
    Message {
        id: String,
        run: u64,
        text: String,
    },
    /// The operation ended; `complete`: tell the client so (an `error`
    /// message ends an operation by itself).
    Done {
        id: String,
        run: u64,
        complete: bool,
    },
}

/// Messages an operation may have waiting for the socket.
const OUT_BUFFER: usize = 16;

pub async fn socket(
    state: web::Data<State>,
    req: HttpRequest,
    body: web::Payload,
) -> actix_web::Result<HttpResponse> {
    let offered = req
        .headers()
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim() == PROTOCOL);
    let (mut response, session, messages) = actix_ws::handle(&req, body)?;
    if offered {
        response
            .headers_mut()
            .insert(header::SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static(PROTOCOL));
    }
    let limit = state.limits.max_message_bytes;
    let messages = messages
        .max_frame_size(limit)
        .aggregate_continuations()
        .max_continuation_size(limit);
    let request_id = request_id(&req);
    actix_web::rt::spawn(async move {
        let metrics = state.metrics.clone();
        let _open = Metrics::hold(&metrics.sockets);
        let mut c = Connection::new(state, session, request_id);
        let end = if !offered {
            Some(Close::NotAcceptable)
        } else if metrics.sockets.load(std::sync::atomic::Ordering::Relaxed)
            > c.state.limits.max_sockets as u64
        {
            Some(Close::TryAgain)
        } else {
            c.serve(messages).await
        };
        c.end(end).await;
    });
    Ok(response)
}

struct Connection {
    state: web::Data<State>,
    session: actix_ws::Session,
    request_id: String,
    /// Raised by a subscription that fell behind the feed.
    lagged: Arc<Notify>,
    /// Who the socket speaks for, once `connection_init` is accepted.
    viewer: Option<Session>,
    /// Who its token names, whose roles each operation resolves afresh.
    identity: Option<schema::directory::Identity>,
    /// When the viewer's token expires.
    expires: Option<Instant>,
    /// Operations running, by the client's id, with the number of the run.
    ops: HashMap<String, (u64, JoinHandle<()>)>,
    runs: u64,
    out_tx: mpsc::Sender<Out>,
    out_rx: mpsc::Receiver<Out>,
}

impl Connection {
    fn new(state: web::Data<State>, session: actix_ws::Session, request_id: String) -> Self {
        let (out_tx, out_rx) = mpsc::channel(OUT_BUFFER);
        Connection {
            lagged: Arc::default(),
            state,
            session,
            request_id,
            viewer: None,
            identity: None,
            expires: None,
            ops: HashMap::new(),
            runs: 0,
            out_tx,
            out_rx,
        }
    }

    /// Runs the protocol until the client leaves (`None`) or the socket
    /// must close.
    async fn serve(&mut self, mut messages: AggregatedMessageStream) -> Option<Close> {
        let init_by = Instant::now() + self.state.limits.init_timeout;
        let mut stopping = self.state.live.stopping.clone();
        let lagged = self.lagged.clone();
        loop {
            let expires = self.expires;
            tokio::select! {
                biased;
                Ok(_) = stopping.wait_for(|s| *s) => return Some(Close::GoingAway),
                () = lagged.notified() => return Some(Close::TooSlow),
                () = sleep_until(init_by), if self.viewer.is_none() => return Some(Close::InitTimeout),
                () = sleep_until(expires.unwrap_or(init_by)), if expires.is_some() => return Some(Close::Expired),
                Some(out) = self.out_rx.recv() => {
                    if let Some(close) = self.forward(out).await {
                        return Some(close);
                    }
                }
                msg = messages.next() => match msg {
                    None | Some(Ok(AggregatedMessage::Close(_))) => return None,
                    Some(Err(ProtocolError::Overflow)) => return Some(Close::TooBig),
                    Some(Err(_)) | Some(Ok(AggregatedMessage::Binary(_))) => return Some(Close::BadMessage),
                    Some(Ok(AggregatedMessage::Ping(bytes))) => {
                        if self.session.pong(&bytes).await.is_err() {
                            return None;
                        }
                    }
                    Some(Ok(AggregatedMessage::Pong(_))) => {}
                    Some(Ok(AggregatedMessage::Text(text))) => {
                        if let Some(close) = self.receive(&text).await {
                            return Some(close);
                        }
                    }
                },
            }
        }
    }

    /// Sends a message, within the time a client has to take it.
    async fn send(&mut self, text: String) -> Option<Close> {
        match tokio::time::timeout(self.state.limits.body_timeout, self.session.text(text)).await {
            Ok(Ok(())) => None,
            Ok(Err(_)) => Some(Close::GoingAway),
            Err(_) => Some(Close::TooSlow),
        }
    }

    /// Whether run `run` of operation `id` is still wanted: the client
    /// may have completed it, and reused its id since.
    fn running(&self, id: &str, run: u64) -> bool {
        self.ops.get(id).is_some_and(|(r, _)| *r == run)
    }

    /// Passes on what an operation produced, unless the client completed
    /// it meanwhile.
    async fn forward(&mut self, out: Out) -> Option<Close> {
        match out {
            Out::Message { id, run, text } => {
                if self.running(&id, run) {
                    return self.send(text).await;
                }
                None
            }
            Out::Done { id, run, complete } => {
                if !self.running(&id, run) {
                    return None;
                }
                self.ops.remove(&id);
                if complete {
                    return self
                        .send(json!({ "id": id, "type": "complete" }).to_string())
                        .await;
                }
                None
            }
        }
    }

    async fn receive(&mut self, text: &str) -> Option<Close> {
        let Ok(message) = serde_json::from_str::<ClientMessage>(text) else {
            return Some(Close::BadMessage);
        };
        match message {
            ClientMessage::ConnectionInit { payload } => self.init(payload).await,
            ClientMessage::Ping {} => self.send(json!({ "type": "pong" }).to_string()).await,
            ClientMessage::Pong {} => None,
            ClientMessage::Subscribe { id, payload } => self.subscribe(id, *payload).await,
            ClientMessage::Complete { id } => {
                if let Some((_, task)) = self.ops.remove(&id) {
                    task.abort();
                }
                None
            }
        }
    }

    async fn init(&mut self, payload: Option<Value>) -> Option<Close> {
        if self.viewer.is_some() {
            return Some(Close::TooManyInits);
        }
        let authorization = payload.as_ref().and_then(Value::as_object).and_then(|o| {
            o.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
                .map(|(_, v)| v)
        });
        let session = match authorization {
            None | Some(Value::Null) => Session::anonymous(),
            Some(Value::String(v)) => match bearer(&self.state, v).await {
                Ok(signed) => {
                    let now = SystemTime::now()
                        .duration_since(UNIX_EPOCH)
                        .map_or(0, |d| d.as_secs());
                    self.expires =
                        Some(Instant::now() + Duration::from_secs(signed.expires.saturating_sub(now)));
                    self.identity = Some(signed.identity);
                    signed.session
                }
                Err(ApiError::Unavailable) => return Some(Close::TryAgain),
                Err(_) => return Some(Close::Forbidden),
            },
            Some(_) => return Some(Close::Forbidden),
        };
        self.viewer = Some(session);
        self.send(json!({ "type": "connection_ack" }).to_string()).await
    }

    async fn subscribe(&mut self, id: String, mut r: Request) -> Option<Close> {
        let Some(session) = self.viewer.clone() else {
            return Some(Close::Unauthorized);
        };
        // Roles as they are now, not as they were at `connection_init`: a
        // role revoked since stops working on the socket's next operation.
        let session = match &self.identity {
            None => session,
            Some(identity) => match self
                .state
                .directory
                .resolve(&self.state.db, identity.clone())
                .await
            {
                Ok(now) => now,
                Err(e) => return self.send(error_message(&id, &error_response(&e))).await,
            },
        };
        if self.ops.contains_key(&id) {
            return Some(Close::Duplicate);
        }
        let max = self.state.limits.max_subscriptions;
        if self.ops.len() >= max {
            let refused = ApiError::BadUserInput(format!(
                "at most {max} operations may run at once on one socket: complete one first"
            ));
            return self.send(error_message(&id, &error_response(&refused))).await;
        }
        self.runs += 1;
        let run = self.runs;
        let op = Operation {
            state: self.state.clone(),
            id: id.clone(),
            run,
            out: self.out_tx.clone(),
        };
        let task = if operation_type(&mut r) == Some(OperationType::Subscription) {
            let stream = refusal(&self.state.limits, &mut r).map_or_else(
                || {
                    let request = schema::request_data(r, Reader::Pool(self.state.db.clone()), session)
                        .data(Listening::new(&self.state.live.feed, self.lagged.clone()));
                    self.state.schema.execute_stream(request)
                },
                |refused| {
                    async_graphql::futures_util::stream::once(async move { error_response(&refused) }).boxed()
                },
            );
            actix_web::rt::spawn(op.stream(stream))
        } else {
            let request_id = self.request_id.clone();
            actix_web::rt::spawn(op.once(r, session, request_id))
        };
        self.ops.insert(id, (run, task));
        None
    }

    /// Closes the socket with `close`'s code, or plainly when the client
    /// left, and stops its operations.
    async fn end(self, close: Option<Close>) {
        for (_, task) in self.ops.values() {
            task.abort();
        }
        if close == Some(Close::TooSlow) {
            Metrics::count(&self.state.metrics.subscribers_dropped);
        }
        let reason = close.map(|c| CloseReason {
            code: CloseCode::from(c.code()),
            description: Some(c.reason().to_owned()),
        });
        if let Some(c) = close {
            tracing::info!(
                request_id = self.request_id,
                code = c.code(),
                reason = c.reason(),
                "socket closed"
            );
        }
        // A client too slow to take messages may not take this one either.
        let _ = tokio::time::timeout(self.state.limits.body_timeout, self.session.close(reason)).await;
    }
}

fn error_message(id: &str, resp: &Response) -> String {
    message(id, "error", &resp.errors)
}

fn next_message(id: &str, resp: &impl serde::Serialize) -> String {
    message(id, "next", resp)
}

/// A message with a payload, serialised straight to text: through a
/// `json!` value its objects would sort their keys, and an answer's fields
/// come in the order of the selection set.
fn message(id: &str, kind: &str, payload: &impl serde::Serialize) -> String {
    #[derive(serde::Serialize)]
    struct Message<'a, P> {
        id: &'a str,
        #[serde(rename = "type")]
        kind: &'a str,
        payload: P,
    }
    serde_json::to_string(&Message { id, kind, payload }).unwrap_or_else(|e| {
        let e = ApiError::internal(format!("serialising a message failed: {e}"));
        json!({ "id": id, "type": "error", "payload": [{ "message": e.to_string(), "extensions": { "code": e.code().as_str() } }] })
            .to_string()
    })
}

/// One operation of a socket, run as a task of its own.
struct Operation {
    state: web::Data<State>,
    id: String,
    run: u64,
    out: mpsc::Sender<Out>,
}

impl Operation {
    async fn put(&self, text: String) -> bool {
        self.out
            .send(Out::Message {
                id: self.id.clone(),
                run: self.run,
                text,
            })
            .await
            .is_ok()
    }

    async fn done(&self, complete: bool) {
        let _ = self
            .out
            .send(Out::Done {
                id: self.id.clone(),
                run: self.run,
                complete,
            })
            .await;
    }

    /// A query or mutation: one answer, as HTTP would give it.
    async fn once(self, r: Request, session: Session, request_id: String) {
        let answer = match execute(&self.state, &request_id, r, session).await {
            Answer::Run(resp) if is_request_error(&resp) => {
                self.put(error_message(&self.id, &resp)).await;
                return self.done(false).await;
            }
            answer => answer,
        };
        if self.put(next_message(&self.id, &answer)).await {
            self.done(true).await;
        }
    }

    /// A subscription: refused as a whole (an `error`), or each event as
    /// `next` until the stream ends.
    async fn stream(self, mut stream: BoxStream<'static, Response>) {
        let _running = Metrics::hold(&self.state.metrics.subscriptions);
        let mut first = true;
        while let Some(resp) = stream.next().await {
            let resp = with_codes(resp);
            if first && is_request_error(&resp) {
                self.put(error_message(&self.id, &resp)).await;
                return self.done(false).await;
            }
            first = false;
            if !self.put(next_message(&self.id, &resp)).await {
                return;
            }
            Metrics::count(&self.state.metrics.events_delivered);
        }
        self.done(true).await;
    }
}
