//! `POST /auth/token`: a username and password for a bearer token.
//!
//! Each attempt first takes from the login budgets of its username and its
//! client address, kept in the database for every instance (429
//! `too-many-attempts` with `Retry-After` when one is spent, see
//! `auth::login_guard`); an unknown user, an inactive user and a wrong
//! password then get the same 401 after the same argon2 work, and a
//! successful login gives the attempt back.

use actix_web::FromRequest;
use actix_web::{HttpRequest, HttpResponse, post, web};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::extract::ApiJson;
use crate::api::state::AppState;
use crate::error::AppError;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    username: String,
    #[schema(value_type = String, format = Password)]
    password: SecretString,
}

#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
}

#[utoipa::path(tag = "auth", request_body = TokenRequest, responses(
    (status = 200, body = TokenResponse),
    (status = 401, body = crate::api::Problem),
    (status = 422, body = crate::api::Problem),
    (status = 429, body = crate::api::Problem, description = "too-many-attempts, with Retry-After in seconds")
))]
#[post("/auth/token")]
pub async fn issue_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ApiJson<TokenRequest>,
) -> Result<HttpResponse, AppError> {
    let TokenRequest { username, password } = body.0;
    let user = sign_in(&state, &req, username, password).await?;
    let token = state
        .tokens
        .issue(&user.user_id, user.roles, user.shelters)?;
    Ok(HttpResponse::Ok().json(TokenResponse {
        access_token: token,
        token_type: "Bearer",
        expires_in: state.tokens.ttl_seconds,
    }))
}

/// A username and password checked within the login limits: the door of
/// `POST /auth/token` and of the pages' sign-in form alike. Takes one
/// attempt from the budgets of the username and of the request's client
/// address first (429 `too-many-attempts` when one is spent, with no
/// argon2 work), then checks the password (401 for an unknown or inactive
/// user and a wrong password alike), and gives the attempt back on
/// success. A login is on the audit trail.
pub async fn sign_in(
    state: &AppState,
    req: &HttpRequest,
    username: String,
    password: SecretString,
) -> Result<crate::service::users::LoggedIn, AppError> {
    let request_id =
        crate::api::extract::RequestTag::from_request(req, &mut actix_web::dev::Payload::None)
            .await
            .map(|t| t.0)
            .unwrap_or_default();
    let address = state.tokens.client_address(req);
    let tokens = state.tokens.clone();
    let pool = state.pool.clone();
    web::block(move || {
        let attempt = tokens.login_attempt(&pool, &username, address)?;
        let user = crate::service::users::login(&pool, &username, &password, request_id);
        match &user {
            Ok(_) => attempt.succeeded(&pool),
            Err(AppError::Unauthorized(_)) => attempt.failed(&pool),
            // Not a guess judged: the attempt stays taken, nothing more.
            Err(_) => {}
        }
        user
    })
    .await?
    .inspect_err(|e| {
        if matches!(e, AppError::Unauthorized(_)) {
            // Never the username: it is personal data, and a mistyped one
            // is often the password.
            tracing::info!("login refused");
        }
    })
}
