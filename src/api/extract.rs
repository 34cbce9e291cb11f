//! Request bodies and query strings, read so that every failure is a clear
//! problem: 415 for a body that is not JSON, 413 for one that is too large,
//! 400 for unreadable JSON, 422 naming the field for a value of the wrong
//! type, a missing field or an unknown one.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;

use crate::audit::{Audit, Target, Who};
use crate::auth::Caller;
use crate::error::{AppError, FieldError};
use crate::service::act::Actor;
use crate::service::idempotency::{Keyed, fingerprint};

/// The request id of the request being served, for the audit.
#[derive(Debug, Clone)]
pub struct RequestTag(pub Option<String>);

impl FromRequest for RequestTag {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        use actix_web::HttpMessage;
        let id = req
            .extensions()
            .get::<tracing_actix_web::RequestId>()
            .map(|id| id.to_string());
        std::future::ready(Ok(Self(id)))
    }
}

/// The caller as the audit records them.
pub fn who(caller: &Caller, tag: &RequestTag) -> Who {
    Who {
        user_id: caller.user_id.clone(),
        roles: caller
            .roles
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(","),
        request_id: tag.0.clone(),
    }
}

/// An act to audit: the caller, the action, and about whom it was
/// attempted.
pub fn audit(caller: &Caller, tag: &RequestTag, action: &'static str, attempted: Target) -> Audit {
    Audit {
        who: who(caller, tag),
        action,
        attempted,
    }
}

/// Who acts, for the service: the caller as the audit records them, and
/// the shelters they may act on.
pub fn actor(caller: &Caller, tag: &RequestTag) -> Actor {
    Actor {
        who: who(caller, tag),
        scope: caller.scope(),
    }
}

/// A JSON body, deserialized strictly.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|m| {
                let m = m.trim().to_ascii_lowercase();
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            })
            .unwrap_or(false);
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(AppError::UnsupportedMediaType);
            }
            let body = bytes.await.map_err(payload_error)?;
            parse_json(&body).map(ApiJson)
        })
    }
}

fn payload_error(e: actix_web::Error) -> AppError {
    match e.as_error::<PayloadError>() {
        Some(PayloadError::Overflow) => AppError::PayloadTooLarge,
        _ => AppError::BadRequest {
            code: "bad-body",
            detail: "The body could not be read.".into(),
        },
    }
}

/// Deserializes JSON, telling a syntax error (400) from a value that does
/// not fit the expected shape (422, with the path of the field).
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    // Syntax first, so that "{} {}" is unreadable JSON, not a missing field.
    let json: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| AppError::BadRequest {
            code: "bad-json",
            detail: format!("The body is not valid JSON: {}.", clean_message(&e)),
        })?;
    // Every body of this API is an object.
    if !json.is_object() {
        return Err(AppError::validation("body", "must be a JSON object"));
    }
    let result: Result<T, _> = serde_path_to_error::deserialize(json);
    match result {
        Ok(v) => Ok(v),
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let field = if path == "." {
                missing_field(&inner.to_string()).unwrap_or_else(|| "body".into())
            } else {
                path
            };
            Err(AppError::Validation(vec![FieldError::new(
                field,
                clean_message(&inner),
            )]))
        }
    }
}

/// serde's message without its " at line 1 column 5" tail.
fn clean_message(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

fn missing_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    Some(rest.split('`').next()?.to_owned())
}

/// A query string, deserialized with the same care.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned> FromRequest for ApiQuery<T> {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(
            req.query_string().as_bytes(),
        ));
        let result = serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| {
                let path = e.path().to_string();
                let message = e.into_inner().to_string();
                let field = if path == "." {
                    missing_field(&message).unwrap_or_else(|| "query".into())
                } else {
                    path
                };
                AppError::Validation(vec![FieldError::new(field, message)])
            });
        std::future::ready(result)
    }
}

/// The optional `Idempotency-Key` header: 1 to 255 visible ASCII characters.
#[derive(Debug, Clone)]
pub struct IdempotencyKey(pub Option<String>);

impl IdempotencyKey {
    /// The key as the service claims it: the caller's, with the
    /// fingerprint of the request (its route and its body).
    pub fn keyed(self, caller: &Caller, route: &str, body: &impl serde::Serialize) -> Keyed {
        Keyed {
            user_id: caller.user_id.clone(),
            key: self.0,
            fingerprint: fingerprint(route, body),
        }
    }
}

impl FromRequest for IdempotencyKey {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let result = match req.headers().get("idempotency-key") {
            None => Ok(IdempotencyKey(None)),
            Some(v) => match v.to_str() {
                Ok(s)
                    if (1..=255).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_graphic()) =>
                {
                    Ok(IdempotencyKey(Some(s.to_owned())))
                }
                _ => Err(AppError::validation(
                    "Idempotency-Key",
                    "must be 1 to 255 visible ASCII characters",
                )),
            },
        };
        std::future::ready(result)
    }
}

/// A JSON body that may be left out entirely (then `T::default()`); a body
/// that is sent is read as strictly as [`ApiJson`].
#[derive(Debug)]
pub struct OptionalJson<T>(pub T);

impl<T: DeserializeOwned + Default + 'static> FromRequest for OptionalJson<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let declared_empty = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() == "0")
            || (req.headers().get(header::CONTENT_LENGTH).is_none()
                && req.headers().get(header::TRANSFER_ENCODING).is_none());
        if declared_empty {
            return Box::pin(async { Ok(OptionalJson(T::default())) });
        }
        let json = ApiJson::<T>::from_request(req, payload);
        Box::pin(async move { json.await.map(|j| OptionalJson(j.0)) })
    }
}
