//! The one mapping of [`AppError`] to HTTP: a status and an
//! `application/problem+json` body (RFC 9457) with the error's `code`.
//! 5xx bodies say nothing internal; the log says everything.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use problem_details::ProblemDetails;
use serde_json::{Map, Value};

use crate::error::AppError;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// A blocking task of a handler (`web::block`) that failed to finish is
/// the service's fault.
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
