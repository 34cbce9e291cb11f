//! The [`Caller`] extractor: a handler that takes a `Caller` argument runs
//! only for a request with a valid bearer token of an active user. Handlers
//! never read the `Authorization` header themselves.
//!
//! A valid signature is not enough: every request reads the user's row
//! (by primary key for our tokens, by username for the identity
//! provider's, `service::users::caller`), so deactivating a user refuses
//! their unexpired tokens at once, and roles and shelters come from the
//! row, not from the token, so a change of either holds from the next
//! request on.
//!
//! The impl lives in the API, not beside `Caller` in `auth`: it needs the
//! application's state and the service, which both sit above `auth`.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use crate::api::state::AppState;
use crate::auth::Caller;
use crate::error::AppError;

impl FromRequest for Caller {
    type Error = AppError;
    type Future = futures_util::future::LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // The access check before the handler identified the caller already.
        if let Some(caller) = req.extensions().get::<Caller>().cloned() {
            return Box::pin(async move { Ok(caller) });
        }
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer(req);
        Box::pin(async move {
            let state = state
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("application state missing")))?;
            let identity = state.tokens.identify(&token?).await?;
            crate::service::blocking(&state.pool, move |conn| {
                crate::service::users::caller(conn, &identity)
            })
            .await
        })
    }
}

/// The token of `Authorization: Bearer <token>`.
fn bearer(req: &HttpRequest) -> Result<String, AppError> {
    let value = req.headers().get(header::AUTHORIZATION).ok_or_else(|| {
        AppError::Unauthorized("An Authorization: Bearer token is required.".into())
    })?;
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| {
            AppError::Unauthorized("The Authorization header must be Bearer <token>.".into())
        })?;
    Ok(token)
}
