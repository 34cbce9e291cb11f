//! `GET /users`, `POST /users` and `PATCH /users/{id}` (admin).

use actix_web::{HttpResponse, get, patch, post, web};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::extract::{ApiJson, IdempotencyKey, RequestTag};
use crate::api::state::AppState;
use crate::audit::Target;
use crate::auth::Caller;
use crate::domain::{Role, check_password};
use crate::error::{AppError, FieldError};
use crate::service::users::{NewUser, UserChange, check_username};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// 3 to 64 characters of a-z, 0-9, `.`, `_`, `-`.
    #[schema(pattern = r"^[a-z0-9._-]{3,64}$")]
    username: String,
    #[schema(value_type = String, format = Password, min_length = 10, max_length = 256)]
    password: SecretString,
    /// At least one, each once.
    #[schema(value_type = Vec<Role>, min_items = 1)]
    roles: Vec<String>,
    /// The shelters a `shelter_staff` user works at (at least one for that role).
    #[serde(default)]
    #[schema(schema_with = crate::api::fields::id_list_schema)]
    shelter_ids: Vec<String>,
    /// Whether the user signs in with a token of the city's identity
    /// provider, whose `sub` must then be this username. A provider token
    /// reaches no user without it. Default false.
    #[serde(default)]
    external_sign_in: bool,
}

#[derive(Serialize, ToSchema)]
pub struct UserOut {
    id: String,
    username: String,
    roles: Vec<Role>,
    shelter_ids: Vec<String>,
    /// An inactive user cannot log in, and their tokens are refused.
    active: bool,
    /// Signs in with a token of the city's identity provider.
    external_sign_in: bool,
}

/// A change to a user; fields left out stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(min_properties = 1)]
pub struct ChangeUser {
    #[serde(default)]
    #[schema(nullable = false)]
    active: Option<bool>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<Role>>, nullable = false, min_items = 1)]
    roles: Option<Vec<String>>,
    #[serde(default)]
    #[schema(schema_with = crate::api::fields::id_list_schema)]
    shelter_ids: Option<Vec<String>>,
    /// Whether a token of the city's identity provider may sign in as
    /// this user (its `sub` being the username).
    #[serde(default)]
    #[schema(nullable = false)]
    external_sign_in: Option<bool>,
}

/// Roles as given: known, each once, at least one.
fn parse_roles(given: &[String], errors: &mut Vec<FieldError>) -> Vec<Role> {
    let mut roles = Vec::new();
    for (i, r) in given.iter().enumerate() {
        match r.parse::<Role>() {
            Ok(role) if !roles.contains(&role) => roles.push(role),
            Ok(_) => errors.push(FieldError::new(format!("roles[{i}]"), "is given twice")),
            Err(m) => errors.push(FieldError::new(format!("roles[{i}]"), m)),
        }
    }
    if given.is_empty() {
        errors.push(FieldError::new("roles", "must name at least one role"));
    }
    roles
}

impl ChangeUser {
    fn parse(self) -> Result<UserChange, AppError> {
        let mut errors = Vec::new();
        if self.active.is_none()
            && self.roles.is_none()
            && self.shelter_ids.is_none()
            && self.external_sign_in.is_none()
        {
            errors.push(FieldError::new(
                "active",
                "give at least one of active, roles, shelter_ids, external_sign_in",
            ));
        }
        let roles = self.roles.map(|r| parse_roles(&r, &mut errors));
        let shelter_ids = self.shelter_ids.map(|mut s| {
            s.sort();
            s.dedup();
            s
        });
        if errors.is_empty() {
            Ok(UserChange {
                active: self.active,
                roles,
                shelter_ids,
                external_sign_in: self.external_sign_in,
            })
        } else {
            Err(AppError::Validation(errors))
        }
    }
}

impl CreateUser {
    /// A parse, not `validator` rules: the username is parsed into the
    /// form stored (trimmed) by the rule the command line shares, the roles
    /// into `Role`s, and the password is checked by the one password rule
    /// (`check_password`, also the command line's and the bootstrap
    /// admin's); a `validator` rule on it would copy the secret into the
    /// error it builds.
    fn parse(self) -> Result<NewUser, AppError> {
        let mut errors = Vec::new();
        let username = check_username(&self.username)
            .map_err(|m| errors.push(FieldError::new("username", m)))
            .ok();
        if let Err(m) = check_password(secrecy::ExposeSecret::expose_secret(&self.password)) {
            errors.push(FieldError::new("password", m));
        }
        let roles = parse_roles(&self.roles, &mut errors);
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
                external_sign_in: self.external_sign_in,
            }),
            _ => Err(AppError::Validation(errors)),
        }
    }
}

/// Every user, by username, with roles, shelters and whether active; never
/// a password hash.
#[utoipa::path(tag = "users", security(("bearer" = [])), responses(
    (status = 200, body = Vec<UserOut>),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem)
))]
#[get("/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, AppError> {
    caller.require_any(&[Role::Admin])?;
    let users = crate::service::blocking(&state.pool, |c| crate::service::users::list(c)).await?;
    let out: Vec<UserOut> = users
        .into_iter()
        .map(|v| UserOut {
            id: v.id,
            username: v.username,
            roles: v.roles,
            shelter_ids: v.shelter_ids,
            active: v.active,
            external_sign_in: v.external_sign_in,
        })
        .collect();
    Ok(HttpResponse::Ok().json(out))
}

#[utoipa::path(tag = "users", security(("bearer" = [])), params(
    ("Idempotency-Key" = Option<String>, Header, description = "Repeat a request safely", min_length = 1, max_length = 255, pattern = r"^[!-~]+$")
), request_body = CreateUser, responses(
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
    tag: RequestTag,
    key: IdempotencyKey,
    body: ApiJson<CreateUser>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(&[Role::Admin])?;
    let new = body.0.parse()?;
    // The password is not part of the key's fingerprint (a fast hash of
    // it would be kept beside the slow one).
    let keyed = key.keyed(
        &caller,
        "POST /users",
        &(
            &new.username,
            &new.roles,
            &new.shelter_ids,
            new.external_sign_in,
        ),
    );
    let shelter_ids = new.shelter_ids.clone();
    // Hashed before the audited write transaction, on a blocking thread.
    let hash = {
        let new = new.clone();
        web::block(move || crate::service::users::hash_password(&new)).await??
    };
    let audit = crate::api::extract::audit(&caller, &tag, "user.create", Target::default());
    let (status, body) = state
        .service()
        .audited_once(
            audit,
            keyed,
            201,
            move |conn| {
                crate::service::users::create(conn, new, hash).map(|row| UserOut {
                    id: row.id,
                    username: row.username,
                    roles: crate::db::users::split_roles(&row.roles),
                    shelter_ids,
                    active: row.active,
                    external_sign_in: row.external_sign_in,
                })
            },
            |user: &UserOut| vec![Target::subject(&user.id)],
        )
        .await?;
    Ok(crate::api::answers::answer(status, body))
}

/// Deactivates or reactivates a user, changes their roles or shelters, or
/// marks whether they sign in through the city's identity provider.
/// Holds from the user's next request on, for tokens already issued too.
#[utoipa::path(tag = "users", security(("bearer" = [])), params(("id" = inline(crate::api::fields::Id), Path, description = "The user")), request_body = ChangeUser, responses(
    (status = 200, body = UserOut),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 404, body = crate::api::Problem),
    (status = 409, body = crate::api::Problem, description = "own-account: an admin cannot deactivate themselves or drop their own admin role"),
    (status = 422, body = crate::api::Problem)
))]
#[patch("/users/{id}")]
pub async fn update_user(
    state: web::Data<AppState>,
    caller: Caller,
    tag: RequestTag,
    id: web::Path<String>,
    body: ApiJson<ChangeUser>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(&[Role::Admin])?;
    let change = body.0.parse()?;
    let id = id.into_inner();
    let audit = crate::api::extract::audit(&caller, &tag, "user.update", Target::subject(&id));
    let subject = id.clone();
    let view = state
        .service()
        .audited(
            audit,
            move |conn| crate::service::users::update(conn, &caller, &id, change),
            move |_| vec![Target::subject(subject)],
        )
        .await?;
    tracing::info!(
        user_id = %view.id,
        active = view.active,
        external_sign_in = view.external_sign_in,
        "user changed"
    );
    // Open availability streams check their user again (a deactivated user
    // or a role taken away ends them), on every instance.
    state.changed().await;
    Ok(HttpResponse::Ok().json(UserOut {
        id: view.id,
        username: view.username,
        roles: view.roles,
        shelter_ids: view.shelter_ids,
        active: view.active,
        external_sign_in: view.external_sign_in,
    }))
}
