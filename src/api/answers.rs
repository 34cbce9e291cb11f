//! The answer of an act run once per `Idempotency-Key`: as stored with the
//! key, and as sent (the first time and again).

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use serde::Serialize;

use crate::error::AppError;
use crate::service::idempotency::Answer;

/// The response of an act that may have been answered before (see
/// `Idempotency-Key`).
pub fn answer(status: u16, body: serde_json::Value) -> HttpResponse {
    HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::OK)).json(body)
}

/// An answer to store for `Idempotency-Key`.
pub fn json<T: Serialize>(status: u16, value: &T) -> Result<Answer, AppError> {
    Ok((
        status,
        serde_json::to_value(value).map_err(|e| AppError::Internal(e.into()))?,
    ))
}
