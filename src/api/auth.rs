//! `POST /auth/token`: a username and password for a bearer token.

use actix_web::{HttpResponse, post, web};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::extract::ApiJson;
use crate::error::AppError;
use crate::startup::AppState;

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

#[utoipa::path(tag = "auth", responses(
    (status = 200, body = TokenResponse),
    (status = 401, body = crate::api::Problem),
    (status = 422, body = crate::api::Problem)
))]
#[post("/auth/token")]
pub async fn issue_token(
    state: web::Data<AppState>,
    body: ApiJson<TokenRequest>,
) -> Result<HttpResponse, AppError> {
    let TokenRequest { username, password } = body.0;
    let user = crate::service::blocking(&state.pool, move |conn| {
        crate::service::users::login(conn, &username, &password)
    })
    .await?;
    let token = state
        .tokens
        .issue(&user.user_id, user.roles, user.shelters)?;
    Ok(HttpResponse::Ok().json(TokenResponse {
        access_token: token,
        token_type: "Bearer",
        expires_in: state.tokens.ttl_seconds,
    }))
}
