//! Intake by lottery (RULES.md §9).

use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::extract::{ApiJson, IdempotencyKey, RequestTag};
use crate::api::fields::parse_night;
use crate::api::state::AppState;
use crate::audit::Target;
use crate::auth::Caller;
use crate::domain::{Role, is_id};
use crate::error::{AppError, FieldError};
use crate::service::lottery::{self as svc, ApplicantView, SessionView, VerifyView};

const INTAKE_ROLES: &[Role] = &[Role::Coordinator, Role::ShelterStaff];

#[derive(Deserialize, ToSchema, validator::Validate)]
#[serde(deny_unknown_fields)]
pub struct OpenSession {
    /// At least one.
    #[schema(schema_with = shelter_ids_schema)]
    #[validate(length(min = 1, message = "must name at least one shelter"))]
    shelter_ids: Vec<String>,
    /// Defaults to the current night.
    #[schema(value_type = Option<String>, format = Date)]
    first_night: Option<String>,
}

fn shelter_ids_schema() -> utoipa::openapi::schema::Array {
    let mut schema = crate::api::fields::id_list_schema();
    schema.min_items = Some(1);
    schema
}

#[utoipa::path(tag = "lottery", security(("bearer" = [])), params(
    ("Idempotency-Key" = Option<String>, Header, description = "Repeat a request safely", min_length = 1, max_length = 255, pattern = r"^[!-~]+$")
), request_body = OpenSession, responses(
    (status = 201, body = SessionView),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 409, body = crate::api::Problem, description = "night-out-of-range"),
    (status = 422, body = crate::api::Problem)
))]
#[post("/intake-sessions")]
pub async fn open_session(
    state: web::Data<AppState>,
    caller: Caller,
    tag: RequestTag,
    key: IdempotencyKey,
    body: ApiJson<OpenSession>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(INTAKE_ROLES)?;
    let b = body.0;
    let mut errors = Vec::new();
    crate::api::validation::check(&b, &["shelter_ids"], &mut errors);
    // Each id, and the night, are parsed: the id's form is the service's
    // own (`is_id`), the night a `Night`.
    for (i, s) in b.shelter_ids.iter().enumerate() {
        if !is_id(s) {
            errors.push(FieldError::new(
                format!("shelter_ids[{i}]"),
                "is not an id of this service",
            ));
        }
    }
    let first = parse_night("first_night", b.first_night.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let mut shelters = b.shelter_ids;
    shelters.sort();
    shelters.dedup();
    let keyed = key.keyed(
        &caller,
        "POST /intake-sessions",
        &(&shelters, first.map(|n| n.date())),
    );
    let actor = crate::api::extract::actor(&caller, &tag);
    let (status, view) = state
        .service()
        .run(move |ctx| svc::open_keyed(ctx, &actor, &keyed, &shelters, first))
        .await?;
    Ok(crate::api::answers::answer(status, view))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Register {
    #[schema(schema_with = crate::api::fields::id_schema)]
    guest_id: String,
}

#[utoipa::path(tag = "lottery", security(("bearer" = [])), params(("id" = inline(crate::api::fields::Id), Path, description = "The intake session"), ("Idempotency-Key" = Option<String>, Header, description = "Repeat a request safely", min_length = 1, max_length = 255, pattern = r"^[!-~]+$")), request_body = Register, responses(
    (status = 201, body = ApplicantView),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 404, body = crate::api::Problem),
    (status = 409, body = crate::api::Problem, description = "session-closed, already-registered"),
    (status = 422, body = crate::api::Problem)
))]
#[post("/intake-sessions/{id}/applicants")]
pub async fn register(
    state: web::Data<AppState>,
    caller: Caller,
    tag: RequestTag,
    key: IdempotencyKey,
    path: web::Path<String>,
    body: ApiJson<Register>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(INTAKE_ROLES)?;
    let guest_id = body.0.guest_id;
    if !is_id(&guest_id) {
        return Err(AppError::validation(
            "guest_id",
            "is not an id of this service",
        ));
    }
    let id = path.into_inner();
    let keyed = key.keyed(
        &caller,
        &format!("POST /intake-sessions/{id}/applicants"),
        &guest_id,
    );
    let audit =
        crate::api::extract::audit(&caller, &tag, "lottery.apply", Target::both(&guest_id, &id));
    let scope = caller.scope();
    let (status, view) = state
        .service()
        .run(move |ctx| svc::register_keyed(ctx, &audit, &keyed, &scope, &id, &guest_id))
        .await?;
    Ok(crate::api::answers::answer(status, view))
}

#[utoipa::path(tag = "lottery", security(("bearer" = [])), params(("id" = inline(crate::api::fields::Id), Path, description = "The intake session"), ("Idempotency-Key" = Option<String>, Header, description = "Repeat a request safely", min_length = 1, max_length = 255, pattern = r"^[!-~]+$")), responses(
    (status = 200, body = SessionView),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 404, body = crate::api::Problem),
    (status = 409, body = crate::api::Problem, description = "session-closed")
))]
#[post("/intake-sessions/{id}/draw")]
pub async fn draw(
    state: web::Data<AppState>,
    caller: Caller,
    tag: RequestTag,
    key: IdempotencyKey,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(INTAKE_ROLES)?;
    let id = path.into_inner();
    let keyed = key.keyed(&caller, &format!("POST /intake-sessions/{id}/draw"), &());
    let actor = crate::api::extract::actor(&caller, &tag);
    let drawn = state
        .service()
        .run(move |ctx| svc::draw(ctx, &actor, &keyed, &id))
        .await;
    state.changed().await;
    let (status, view) = drawn?;
    Ok(crate::api::answers::answer(status, view))
}

#[utoipa::path(tag = "lottery", security(("bearer" = [])), params(("id" = inline(crate::api::fields::Id), Path, description = "The intake session")), responses(
    (status = 200, body = SessionView),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 404, body = crate::api::Problem)
))]
#[get("/intake-sessions/{id}")]
pub async fn get_session(
    state: web::Data<AppState>,
    caller: Caller,
    tag: RequestTag,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(INTAKE_ROLES)?;
    let id = path.into_inner();
    let audit = crate::api::extract::audit(&caller, &tag, "lottery.read", Target::subject(&id));
    let view = state
        .service()
        .audited(
            audit,
            move |conn| svc::get(conn, &id, &caller.scope()),
            |s: &svc::SessionView| {
                s.applicants
                    .iter()
                    .map(|a| Target::both(&a.guest_id, &s.id))
                    .collect()
            },
        )
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[utoipa::path(tag = "lottery", security(("bearer" = [])), params(("id" = inline(crate::api::fields::Id), Path, description = "The intake session")), responses(
    (status = 200, body = VerifyView),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 404, body = crate::api::Problem),
    (status = 409, body = crate::api::Problem, description = "not-drawn")
))]
#[get("/intake-sessions/{id}/verify")]
pub async fn verify(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(&[
        Role::Coordinator,
        Role::ShelterStaff,
        Role::Outreach,
        Role::Admin,
    ])?;
    let id = path.into_inner();
    let view = crate::service::blocking(&state.pool, move |conn| svc::verify(conn, &id)).await?;
    Ok(HttpResponse::Ok().json(view))
}
