//! One error type for the whole service, mapped once to
//! `application/problem+json` (RFC 9457) with a machine-readable `code`.
//! 5xx bodies say nothing internal; the log says everything.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use problem_details::ProblemDetails;
use serde::Serialize;
use serde_json::{Map, Value};

pub const PROBLEM_JSON: &str = "application/problem+json";

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

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        Self::Internal(anyhow::anyhow!("blocking task failed: {e}"))
    }
}

/// A problem+json response.
pub fn problem_response(
    status: StatusCode,
    code: &str,
    detail: &str,
    mut extensions: Map<String, Value>,
) -> HttpResponse {
    extensions.insert("code".to_owned(), Value::String(code.to_owned()));
    let status_1 = http::StatusCode::from_u16(status.as_u16())
        .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    // A relative reference, resolved against the service: README lists
    // every code under "Problems".
    let type_uri = format!("/problems/{code}")
        .parse::<http::Uri>()
        .unwrap_or_else(|_| http::Uri::from_static("/problems/error"));
    let problem = ProblemDetails::from_status_code(status_1)
        .with_type(type_uri)
        .with_detail(detail)
        .with_extensions(extensions);
    let body = serde_json::to_vec(&problem).unwrap_or_else(|_| b"{}".to_vec());
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)))
        .body(body)
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict { .. } | Self::Refused(_) => StatusCode::CONFLICT,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let mut ext = Map::new();
        let detail = match self {
            Self::Internal(_) => {
                tracing::error!(error = ?self, "request failed");
                "The service failed to answer; the error is logged.".to_owned()
            }
            Self::Unavailable(_) => {
                tracing::warn!(error = %self, "database unavailable");
                "The database cannot be reached right now; try again shortly.".to_owned()
            }
            Self::Validation(errors) => {
                ext.insert(
                    "errors".to_owned(),
                    serde_json::to_value(errors).unwrap_or(Value::Null),
                );
                let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
                format!("These fields are not valid: {}.", fields.join(", "))
            }
            Self::Refused(r) => {
                refusal_extensions(r, &mut ext);
                r.detail()
            }
            other => other.to_string(),
        };
        let mut response = problem_response(status, self.code(), &detail, ext);
        match self {
            Self::Unavailable(_) => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            Self::TooManyAttempts {
                retry_after_seconds,
            } => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_seconds));
            }
            Self::Unauthorized(_) => {
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"nattplats\""),
                );
            }
            _ => {}
        }
        response
    }
}

pub type AppResult<T> = Result<T, AppError>;

impl From<crate::rules::Refusal> for AppError {
    fn from(r: crate::rules::Refusal) -> Self {
        Self::Refused(r)
    }
}

/// The data a refusal carries, as problem extension members.
fn refusal_extensions(r: &crate::rules::Refusal, ext: &mut Map<String, Value>) {
    use crate::rules::Refusal;
    let mut put = |k: &str, v: Value| {
        ext.insert(k.to_owned(), v);
    };
    match r {
        Refusal::InQuarantine { eligible_from } => {
            put("eligible_from", Value::String(eligible_from.to_string()));
        }
        Refusal::AlreadyHasStay { stay_id } => put("stay_id", Value::String(stay_id.clone())),
        Refusal::Banned { last_night } => {
            put("banned_until", Value::String(last_night.to_string()))
        }
        Refusal::NightOutOfRange { earliest, latest } => {
            put("earliest", Value::String(earliest.to_string()));
            put("latest", Value::String(latest.to_string()));
        }
        Refusal::NoFreePlace { alternatives } => put(
            "alternatives",
            Value::Array(
                alternatives
                    .iter()
                    .map(|a| {
                        serde_json::json!({
                            "shelter_id": a.shelter_id,
                            "free": {"regular": a.regular, "women": a.women}
                        })
                    })
                    .collect(),
            ),
        ),
        Refusal::ReservationReleased { free_places } => put(
            "free_places",
            Value::Array(
                free_places
                    .iter()
                    .map(|p| {
                        serde_json::json!({
                            "place_id": p.place_id,
                            "label": p.label,
                            "category": p.category,
                            "shelter_id": p.shelter_id
                        })
                    })
                    .collect(),
            ),
        ),
        Refusal::OutsideTargetGroup
        | Refusal::Minor
        | Refusal::AlreadyPlaced
        | Refusal::CategoryNotAllowed
        | Refusal::NotAColdNight
        | Refusal::LostDraw => {}
    }
}

#[cfg(test)]
mod database_gone_tests {
    use super::*;
    use diesel::result::{DatabaseErrorKind as K, Error as E};

    fn db_error(kind: K, message: &str) -> E {
        E::DatabaseError(kind, Box::new(message.to_owned()))
    }

    #[test]
    fn a_lost_database_is_a_503_and_a_fault_is_a_500() {
        for gone in [
            db_error(K::ClosedConnection, "x"),
            db_error(
                K::Unknown,
                "terminating connection due to administrator command",
            ),
            db_error(K::Unknown, "server closed the connection unexpectedly"),
            db_error(K::Unknown, "database is locked"),
            db_error(K::Unknown, "deadlock detected"),
            db_error(K::SerializationFailure, "could not serialize access"),
            E::BrokenTransactionManager,
        ] {
            assert_eq!(
                AppError::from(gone).status_code(),
                StatusCode::SERVICE_UNAVAILABLE
            );
        }
        for fault in [
            db_error(K::UniqueViolation, "duplicate key"),
            db_error(K::Unknown, "syntax error"),
            E::NotFound,
        ] {
            assert_eq!(
                AppError::from(fault).status_code(),
                StatusCode::INTERNAL_SERVER_ERROR
            );
        }
    }
}
