//! One error type for the whole service: what went wrong, with a
//! machine-readable `code` for each kind. Its mapping to HTTP
//! (`application/problem+json`, RFC 9457) is the API's, once, in
//! `api::problem`; nothing here knows the web framework.

use std::fmt;

use serde::Serialize;

/// One field that failed validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(thiserror::Error)]
pub enum AppError {
    /// The body is not readable JSON (400 `bad-json`) or another malformed
    /// request that has no field to blame.
    #[error("{detail}")]
    BadRequest { code: &'static str, detail: String },
    /// One or more fields fail validation (422 `validation-failed`).
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// The body is larger than the service accepts (413).
    #[error("The body is larger than this service accepts.")]
    PayloadTooLarge,
    /// The body is not JSON (415).
    #[error("The body must be JSON, sent with Content-Type: application/json.")]
    UnsupportedMediaType,
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// A conflict that is not a bed rule: a username taken, a place label
    /// used twice. (409)
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    /// A bed rule refuses (409 with the code of RULES.md).
    #[error("{}", .0.detail())]
    Refused(crate::rules::Refusal),
    /// Too many login attempts for a username or from an address (429
    /// `too-many-attempts` with `Retry-After` in seconds).
    #[error("Too many login attempts; try again in {retry_after_seconds} seconds.")]
    TooManyAttempts { retry_after_seconds: u64 },
    /// The database cannot be reached (503 with `Retry-After`).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl fmt::Debug for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The chain of causes, for the log.
        writeln!(f, "{self}")?;
        let mut current = std::error::Error::source(self);
        while let Some(cause) = current {
            writeln!(f, "caused by: {cause}")?;
            current = cause.source();
        }
        Ok(())
    }
}

impl AppError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    pub fn not_found(what: &str) -> Self {
        Self::NotFound(format!("{what} not found"))
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { code, .. } | Self::Conflict { code, .. } => code,
            Self::Validation(_) => "validation-failed",
            Self::PayloadTooLarge => "body-too-large",
            Self::UnsupportedMediaType => "unsupported-media-type",
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not-found",
            Self::Unavailable(_) => "unavailable",
            Self::TooManyAttempts { .. } => "too-many-attempts",
            Self::Refused(r) => r.code(),
            Self::Internal(_) => "internal",
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        if database_gone(&e) {
            Self::Unavailable(e.to_string())
        } else {
            Self::Internal(anyhow::Error::new(e))
        }
    }
}

/// Whether an error says the database went away or is too busy to answer
/// (the server stopped, the connection broke, SQLite stayed locked past
/// the busy timeout, two writers deadlocked): a 503 to try again, not a
/// fault of the service.
pub fn database_gone(e: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind as K, Error as E};
    match e {
        E::DatabaseError(
            K::ClosedConnection | K::UnableToSendCommand | K::SerializationFailure,
            _,
        ) => true,
        E::DatabaseError(_, info) => {
            let m = info.message();
            [
                "terminating connection",
                "server closed the connection",
                "connection to server",
                "the database system is shutting down",
                "the database system is starting up",
                "no connection to the server",
                "database is locked",
                // Two writers waited on each other (PostgreSQL chose this
                // one to undo); the same request again goes through.
                "deadlock detected",
            ]
            .iter()
            .any(|needle| m.contains(needle))
        }
        E::BrokenTransactionManager => true,
        _ => false,
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        Self::Unavailable(e.to_string())
    }
}

pub type AppResult<T> = Result<T, AppError>;

impl From<crate::rules::Refusal> for AppError {
    fn from(r: crate::rules::Refusal) -> Self {
        Self::Refused(r)
    }
}
