//! The error catalogue: every error a client can see, with its
//! `extensions.code`. Causes are logged here and never sent to the client.

use async_graphql::ErrorExtensions;

/// The codes a client can receive, one place for all of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    Unauthenticated,
    Forbidden,
    NotFound,
    BadUserInput,
    Conflict,
    /// The query ran past the server's time limit.
    Timeout,
    Internal,
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
            Code::Internal => "INTERNAL",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("authentication required: the token is missing, malformed, expired or not trusted")]
    Unauthenticated,
    #[error("not allowed: {0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    BadUserInput(String),
    #[error("{0}")]
    Conflict(String),
    /// The cause is logged when the error is made and never shown.
    #[error("internal error")]
    Internal,
}

impl ApiError {
    pub fn code(&self) -> Code {
        match self {
            ApiError::Unauthenticated => Code::Unauthenticated,
            ApiError::Forbidden(_) => Code::Forbidden,
            ApiError::NotFound(_) => Code::NotFound,
            ApiError::BadUserInput(_) => Code::BadUserInput,
            ApiError::Conflict(_) => Code::Conflict,
            ApiError::Internal => Code::Internal,
        }
    }

    /// An internal failure: logs its cause, returns what the client may see.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        ApiError::Internal
    }
}

impl From<sea_orm::DbErr> for ApiError {
    /// A unique key refused the write: the client's duplicate, not our fault.
    fn from(e: sea_orm::DbErr) -> Self {
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
        async_graphql::Error::new(self.to_string()).extend_with(|_, e| e.set("code", self.code().as_str()))
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
