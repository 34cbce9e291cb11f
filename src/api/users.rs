//! `POST /users` (admin).

use actix_web::{HttpResponse, post, web};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::extract::ApiJson;
use crate::auth::Caller;
use crate::domain::Role;
use crate::error::{AppError, FieldError};
use crate::service::users::{NewUser, check_password, check_username};
use crate::startup::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    username: String,
    #[schema(value_type = String, format = Password)]
    password: SecretString,
    roles: Vec<String>,
    #[serde(default)]
    shelter_ids: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct UserOut {
    id: String,
    username: String,
    roles: Vec<Role>,
    shelter_ids: Vec<String>,
}

impl CreateUser {
    fn parse(self) -> Result<NewUser, AppError> {
        let mut errors = Vec::new();
        let username = check_username(&self.username)
            .map_err(|m| errors.push(FieldError::new("username", m)))
            .ok();
        if let Err(m) = check_password(secrecy::ExposeSecret::expose_secret(&self.password)) {
            errors.push(FieldError::new("password", m));
        }
        let mut roles = Vec::new();
        for (i, r) in self.roles.iter().enumerate() {
            match r.parse::<Role>() {
                Ok(role) if !roles.contains(&role) => roles.push(role),
                Ok(_) => errors.push(FieldError::new(format!("roles[{i}]"), "is given twice")),
                Err(m) => errors.push(FieldError::new(format!("roles[{i}]"), m)),
            }
        }
        if self.roles.is_empty() {
            errors.push(FieldError::new("roles", "must name at least one role"));
        }
        if roles.contains(&Role::ShelterStaff) && self.shelter_ids.is_empty() {
            errors.push(FieldError::new(
                "shelter_ids",
                "shelter_staff must be given at least one shelter",
            ));
        }
        let mut shelter_ids = self.shelter_ids;
        shelter_ids.sort();
        shelter_ids.dedup();
        match (errors.is_empty(), username) {
            (true, Some(username)) => Ok(NewUser {
                username,
                password: self.password,
                roles,
                shelter_ids,
            }),
            _ => Err(AppError::Validation(errors)),
        }
    }
}

#[utoipa::path(tag = "users", security(("bearer" = [])), responses(
    (status = 201, body = UserOut),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 409, body = crate::api::Problem),
    (status = 422, body = crate::api::Problem)
))]
#[post("/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<CreateUser>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(&[Role::Admin])?;
    let new = body.0.parse()?;
    let shelter_ids = new.shelter_ids.clone();
    let row = crate::service::blocking(&state.pool, move |conn| {
        crate::service::users::create(conn, new)
    })
    .await?;
    Ok(HttpResponse::Created().json(UserOut {
        id: row.id,
        username: row.username,
        roles: crate::db::users::split_roles(&row.roles),
        shelter_ids,
    }))
}
