//! The error catalogue: every error a client can see, with its
//! `extensions.code` and the HTTP status it takes when it refuses a whole
//! request. Resolvers and the HTTP handler both answer from here. Causes are
//! logged here and never sent to the client.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_graphql::ErrorExtensions;
use sea_orm::{DbErr, RuntimeErr};

/// The codes a client can receive, one place for all of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    Unauthenticated,
    Forbidden,
    NotFound,
    BadUserInput,
    Conflict,
    /// The request ran, or arrived, past the server's time limit.
    Timeout,
    /// The database cannot be reached; the client should retry.
    Unavailable,
    Internal,
    /// A query sent by its hash alone that the server does not know: send
    /// it again with its text (Apollo's automatic persisted queries).
    PersistedQueryNotFound,
    /// An `Idempotency-Key` sent again with a different request.
    IdempotencyKeyReused,
    /// An operation whose computed cost is over the limit.
    TooComplex,
    /// A subscription asked to resume from a position whose events are no
    /// longer kept: read afresh, then subscribe from the position read.
    Resync,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Unauthenticated => "UNAUTHENTICATED",
            Code::Forbidden => "FORBIDDEN",
            Code::NotFound => "NOT_FOUND",
            Code::BadUserInput => "BAD_USER_INPUT",
            Code::Conflict => "CONFLICT",
            Code::Timeout => "TIMEOUT",
            Code::Unavailable => "UNAVAILABLE",
            Code::Internal => "INTERNAL",
            Code::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            Code::IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            Code::TooComplex => "QUERY_TOO_COMPLEX",
            Code::Resync => "RESYNC",
        }
    }
}

/// Seconds a client is told to wait (`Retry-After`) when the database is away.
pub const RETRY_AFTER_SECS: u64 = 1;

#[derive(Clone, Debug, thiserror::Error)]
pub enum ApiError {
    #[error("authentication required: the token is missing, malformed, expired or not trusted")]
    Unauthenticated,
    #[error("not allowed: {0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    BadUserInput(String),
    /// Bad input about one field of it, named by its GraphQL name, so that a
    /// client (`extensions.field`) or a sheet (the column) can point at it
    /// without reading the message.
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
    /// A refusal of one item of a batch, by its index from 0: a client
    /// reads it from `extensions.index`.
    #[error("row {index}: {source}")]
    AtIndex { index: usize, source: Box<ApiError> },
    #[error("{0}")]
    Conflict(String),
    /// Refused before it ran; the figures are also `extensions.cost`.
    #[error("the query costs {requested}; at most {limit} is allowed: ask for fewer fields or smaller pages")]
    TooComplex { requested: usize, limit: usize },
    #[error("the query ran longer than {}s", .0.as_secs_f32())]
    Timeout(Duration),
    #[error("the database is unavailable: try again shortly")]
    Unavailable,
    /// The cause is logged when the error is made and never shown.
    #[error("internal error")]
    Internal,
    /// A write's commit lost its connection and the database stayed away:
    /// whether it was written cannot be told.
    #[error(
        "the database went away while this write was committed: it may have been written; read before sending it again, or send it again with the same Idempotency-Key"
    )]
    Unconfirmed,
    /// A replica's live updates lost their database connection, or got it
    /// back: events may have been missed in between.
    #[error("live updates were interrupted and may have missed events: read again")]
    LiveInterrupted,
    #[error(
        "the events since this position are no longer kept (they are kept {0} minutes): read afresh, then subscribe since the position the answer carries"
    )]
    Resync(i64),

    // Refusals of a whole HTTP request, before any GraphQL runs.
    #[error("the body is larger than {0} bytes")]
    BodyTooLarge(usize),
    #[error("the request body did not arrive within {}s", .0.as_secs_f32())]
    BodyTimeout(Duration),
    #[error(
        "send the request as application/json (charset utf-8), or as multipart/form-data to upload a file"
    )]
    UnsupportedMediaType,
    #[error("mutations must be sent by POST")]
    MutationByGet,
    #[error("{0}")]
    BadRequest(String),
    /// The message is the one Apollo's clients look for.
    #[error("PersistedQueryNotFound")]
    PersistedQueryNotFound,
    #[error("not allowed: this server runs only its trusted documents")]
    UntrustedDocument,
    #[error("this Idempotency-Key was sent before with a different request: use a new key for a new request")]
    IdempotencyKeyReused,
}

impl ApiError {
    pub fn code(&self) -> Code {
        match self {
            ApiError::Unauthenticated => Code::Unauthenticated,
            ApiError::Forbidden(_) | ApiError::UntrustedDocument => Code::Forbidden,
            ApiError::NotFound(_) => Code::NotFound,
            ApiError::BadUserInput(_)
            | ApiError::Invalid { .. }
            | ApiError::BodyTooLarge(_)
            | ApiError::UnsupportedMediaType
            | ApiError::MutationByGet
            | ApiError::BadRequest(_) => Code::BadUserInput,
            ApiError::Conflict(_) => Code::Conflict,
            ApiError::Timeout(_) | ApiError::BodyTimeout(_) => Code::Timeout,
            ApiError::Unavailable | ApiError::LiveInterrupted | ApiError::Unconfirmed => Code::Unavailable,
            ApiError::Internal => Code::Internal,
            ApiError::PersistedQueryNotFound => Code::PersistedQueryNotFound,
            ApiError::IdempotencyKeyReused => Code::IdempotencyKeyReused,
            ApiError::TooComplex { .. } => Code::TooComplex,
            ApiError::Resync(_) => Code::Resync,
            ApiError::AtIndex { source, .. } => source.code(),
        }
    }

    /// Bad input about `field` (its GraphQL name).
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        ApiError::Invalid {
            field,
            message: message.into(),
        }
    }

    /// The same refusal, about item `index` of a batch; failures of the
    /// server are no item's fault and stay as they are.
    pub fn at_index(self, index: usize) -> Self {
        match self.code() {
            Code::BadUserInput | Code::Forbidden | Code::Conflict | Code::NotFound => ApiError::AtIndex {
                index,
                source: Box::new(self),
            },
            _ => self,
        }
    }

    /// The input field the error is about, when it is about one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            ApiError::Invalid { field, .. } => Some(field),
            ApiError::AtIndex { source, .. } => source.field(),
            _ => None,
        }
    }

    /// The item of a batch the error is about.
    pub fn index(&self) -> Option<usize> {
        match self {
            ApiError::AtIndex { index, .. } => Some(*index),
            _ => None,
        }
    }

    /// What the error says without the item it is about: a sheet names the
    /// row its own way.
    pub fn unplaced(&self) -> &ApiError {
        match self {
            ApiError::AtIndex { source, .. } => source.unplaced(),
            other => other,
        }
    }

    /// The HTTP status of a response that carries this error and nothing else.
    pub fn http_status(&self) -> u16 {
        match self {
            ApiError::Unauthenticated => 401,
            ApiError::Forbidden(_) | ApiError::UntrustedDocument => 403,
            ApiError::NotFound(_) | ApiError::PersistedQueryNotFound => 404,
            ApiError::BadUserInput(_)
            | ApiError::Invalid { .. }
            | ApiError::BadRequest(_)
            | ApiError::TooComplex { .. } => 400,
            ApiError::AtIndex { source, .. } => source.http_status(),
            ApiError::Conflict(_) => 409,
            ApiError::Timeout(_) => 504,
            ApiError::Unavailable | ApiError::LiveInterrupted | ApiError::Unconfirmed => 503,
            ApiError::Internal => 500,
            ApiError::BodyTooLarge(_) => 413,
            ApiError::BodyTimeout(_) => 408,
            ApiError::UnsupportedMediaType => 415,
            ApiError::MutationByGet => 405,
            ApiError::IdempotencyKeyReused => 422,
            ApiError::Resync(_) => 410,
        }
    }

    /// The error as a whole request's refusal, with its code: what
    /// validation and the transports answer with.
    pub fn server_error(&self) -> async_graphql::ServerError {
        let mut e = async_graphql::ServerError::new(self.to_string(), None);
        e.extensions = self.extend().extensions;
        e
    }

    /// An internal failure: logs its cause, returns what the client may see.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        ApiError::Internal
    }
}

/// When this process last saw the database fail to answer, in milliseconds
/// since the Unix epoch: pooled connections idle since before then may have
/// died with it and are checked before use (see `api::db`).
static LAST_UNAVAILABLE_MS: AtomicU64 = AtomicU64::new(0);

fn millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Whether the database failed to answer at or after `since`.
pub fn unavailable_since(since: SystemTime) -> bool {
    LAST_UNAVAILABLE_MS.load(Ordering::Relaxed) >= millis(since)
}

/// A failure of the connection rather than of the statement: the database
/// is down, restarting, refusing connections or cut us off.
pub fn is_connection_failure(e: &DbErr) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    let runtime = match e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return true,
        DbErr::Exec(r) | DbErr::Query(r) => r,
        _ => return false,
    };
    let RuntimeErr::SqlxError(s) = runtime else {
        return false;
    };
    match s.as_ref() {
        Sqlx::Io(_) | Sqlx::Tls(_) | Sqlx::PoolTimedOut | Sqlx::PoolClosed | Sqlx::WorkerCrashed => true,
        Sqlx::Database(d) => d.code().is_some_and(|c| {
            // Class 08: connection exception; 57P0x: the server is shutting
            // down or starting; 53300: too many connections.
            c.starts_with("08") || c.starts_with("57P0") || c == "53300"
        }),
        _ => false,
    }
}

/// Text PostgreSQL cannot store or compare (a NUL byte, an invalid
/// encoding): the client's bad input, which lookups should have kept away.
fn is_unrepresentable_text(e: &DbErr) -> bool {
    let (DbErr::Exec(RuntimeErr::SqlxError(s)) | DbErr::Query(RuntimeErr::SqlxError(s))) = e else {
        return false;
    };
    matches!(s.as_ref(), sea_orm::sqlx::Error::Database(d) if d.code().is_some_and(|c| c == "22021" || c == "22P05"))
}

impl From<DbErr> for ApiError {
    /// A unique key refused the write: the client's duplicate, not our fault.
    fn from(e: DbErr) -> Self {
        if is_connection_failure(&e) {
            LAST_UNAVAILABLE_MS.fetch_max(millis(SystemTime::now()), Ordering::Relaxed);
            tracing::warn!(cause = %e, "the database is unavailable");
            return ApiError::Unavailable;
        }
        if is_unrepresentable_text(&e) {
            return ApiError::BadUserInput("the input holds characters that cannot be stored".to_owned());
        }
        match e.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => ApiError::Conflict(
                "that already exists (a slug or code in use, or a concurrent change): nothing was written"
                    .to_owned(),
            ),
            _ => ApiError::internal(e),
        }
    }
}

impl ErrorExtensions for ApiError {
    fn extend(&self) -> async_graphql::Error {
        async_graphql::Error::new(self.to_string()).extend_with(|_, e| {
            e.set("code", self.code().as_str());
            if let Some(field) = self.field() {
                e.set("field", field);
            }
            if let Some(index) = self.index() {
                e.set("index", index);
            }
            // Also on the error itself: a WebSocket `error` message carries
            // the errors alone, not the response's extensions.
            if let ApiError::TooComplex { requested, limit } = self {
                e.set("cost", crate::cost::report(Some(*requested), *limit));
            }
        })
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Resolvers return `async_graphql::Result`; `.gql()` carries the code
/// across (a bare `?` would keep the message and drop the code).
pub trait Gql<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> Gql<T> for ApiResult<T> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|e| <ApiError as ErrorExtensions>::extend(&e))
    }
}

/// DataLoader shares one error between every key of a batch.
impl<T> Gql<T> for Result<T, std::sync::Arc<ApiError>> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|e| <ApiError as ErrorExtensions>::extend(&e))
    }
}
