//! Stays: intake, read, check-in, end, move, void (API.md).

use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::answers::{answer, json};
use crate::api::extract::{ApiJson, IdempotencyKey, OptionalJson};
use crate::api::fields::{parse_night, parse_reason};
use crate::api::state::AppState;
use crate::audit::{Audit, RequestTag, Target, audited};
use crate::auth::Caller;
use crate::db::DbConnection;
use crate::db::partnerships::Partnership;
use crate::domain::{PlaceCategory, Role, is_id};
use crate::error::{AppError, FieldError};
use crate::service::idempotency::{self, Answer};
use crate::service::stays::{self as svc, CheckInView, IntakeRequest, StayView};
use chrono::{DateTime, Utc};

/// Who works with stays.
pub const STAY_ROLES: &[Role] = &[Role::Coordinator, Role::ShelterStaff];

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateStay {
    #[schema(schema_with = crate::api::fields::id_schema)]
    guest_id: String,
    #[schema(schema_with = crate::api::fields::id_schema)]
    shelter_id: String,
    #[schema(schema_with = crate::api::fields::id_schema)]
    place_id: Option<String>,
    /// `regular` or `women`; without it a woman is offered a women's place first.
    #[schema(value_type = Option<PlaceCategory>, nullable = false)]
    category: Option<String>,
    /// Defaults to the current night.
    #[schema(value_type = Option<String>, format = Date)]
    first_night: Option<String>,
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct CheckIn {
    /// Defaults to the current night (the only night one can check in for).
    #[schema(value_type = Option<String>, format = Date)]
    night: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    /// 1 to 500 characters besides white space; no control characters
    /// but line breaks.
    #[schema(
        max_length = 500,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    reason: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveStay {
    #[schema(schema_with = crate::api::fields::id_schema)]
    place_id: String,
}

impl CreateStay {
    fn parse(&self) -> Result<IntakeRequest, AppError> {
        let mut errors = Vec::new();
        if !is_id(&self.guest_id) {
            errors.push(FieldError::new("guest_id", "is not an id of this service"));
        }
        if !is_id(&self.shelter_id) {
            errors.push(FieldError::new(
                "shelter_id",
                "is not an id of this service",
            ));
        }
        if self.place_id.as_deref().is_some_and(|p| !is_id(p)) {
            errors.push(FieldError::new("place_id", "is not an id of this service"));
        }
        let category = match self.category.as_deref() {
            None => None,
            Some(c) => match c.parse::<PlaceCategory>() {
                Ok(c) => Some(c),
                Err(m) => {
                    errors.push(FieldError::new("category", m));
                    None
                }
            },
        };
        let first_night = parse_night("first_night", self.first_night.as_deref(), &mut errors);
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        Ok(IntakeRequest {
            guest_id: self.guest_id.clone(),
            shelter_id: self.shelter_id.clone(),
            place_id: self.place_id.clone(),
            category,
            first_night,
        })
    }
}

/// Runs an act on a stay with its audit entry, answers with the stay, and
/// tells the screens.
async fn stay_act<F>(
    state: &web::Data<AppState>,
    audit: Audit,
    act: F,
) -> Result<HttpResponse, AppError>
where
    F: FnOnce(&mut DbConnection, &Partnership, DateTime<Utc>) -> Result<StayView, AppError>
        + Send
        + 'static,
{
    let now = state.clock.now();
    let st = state.clone();
    let stay = audited(
        &state.pool,
        audit,
        move |conn| act(conn, &st.partnership, now),
        |stay: &StayView| vec![Target::both(&stay.guest_id, &stay.id)],
    )
    .await?;
    state.changed().await;
    Ok(HttpResponse::Ok().json(stay))
}

/// Runs an act that creates something, once per `Idempotency-Key`, with
/// its audit entry, answers 201 (or the first answer again), and tells the
/// screens.
pub async fn created_once<T, F>(
    state: &web::Data<AppState>,
    audit: Audit,
    key: IdempotencyKey,
    fingerprint: String,
    act: F,
) -> Result<HttpResponse, AppError>
where
    T: Serialize,
    F: FnOnce(&mut DbConnection, &Partnership, DateTime<Utc>) -> Result<T, AppError>
        + Send
        + 'static,
{
    let now = state.clock.now();
    let st = state.clone();
    let user_id = audit.who.user_id.clone();
    let (status, body) = audited(
        &state.pool,
        audit,
        move |conn| {
            idempotency::run(conn, &user_id, key.0.as_deref(), &fingerprint, |c| {
                json(201, &act(c, &st.partnership, now)?)
            })
        },
        |(_, body): &Answer| vec![Target::of_answer(body)],
    )
    .await?;
    state.changed().await;
    Ok(answer(status, body))
}

#[utoipa::path(tag = "stays", security(("bearer" = [])), params(
    ("Idempotency-Key" = Option<String>, Header, description = "Repeat a request safely", min_length = 1, max_length = 255, pattern = r"^[!-~]+$")
), request_body = CreateStay, responses(
    (status = 201, body = StayView),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 404, body = crate::api::Problem),
    (status = 409, body = crate::api::Problem, description = "A bed rule refuses: outside-target-group, minor, in-quarantine, already-has-stay, already-placed, banned, no-free-place, category-not-allowed, night-out-of-range"),
    (status = 422, body = crate::api::Problem)
))]
#[post("/stays")]
pub async fn create_stay(
    state: web::Data<AppState>,
    caller: Caller,
    tag: RequestTag,
    key: IdempotencyKey,
    body: ApiJson<CreateStay>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(STAY_ROLES)?;
    let req = body.0.parse()?;
    let hash = idempotency::fingerprint("POST /stays", &body.0);
    let audit = Audit::new(&caller, &tag, "stay.create", Target::guest(&req.guest_id));
    created_once(&state, audit, key, hash, move |c, p, now| {
        svc::grant(c, p, &req, &caller.scope(), &caller.user_id, now)
    })
    .await
}

#[utoipa::path(tag = "stays", security(("bearer" = [])), params(("id" = inline(crate::api::fields::Id), Path, description = "The stay")), responses(
    (status = 200, body = StayView),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 404, body = crate::api::Problem)
))]
#[get("/stays/{id}")]
pub async fn get_stay(
    state: web::Data<AppState>,
    caller: Caller,
    tag: RequestTag,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(STAY_ROLES)?;
    let id = path.into_inner();
    let now = state.clock.now();
    let st = state.clone();
    let audit = Audit::new(&caller, &tag, "stay.read", Target::subject(&id));
    let stay = audited(
        &state.pool,
        audit,
        move |conn| svc::get(conn, &st.partnership, &id, &caller.scope(), now),
        |stay: &StayView| vec![Target::both(&stay.guest_id, &stay.id)],
    )
    .await?;
    Ok(HttpResponse::Ok().json(stay))
}

#[utoipa::path(tag = "stays", security(("bearer" = [])), params(
    ("Idempotency-Key" = Option<String>, Header, description = "Repeat a request safely", min_length = 1, max_length = 255, pattern = r"^[!-~]+$"),
    ("id" = inline(crate::api::fields::Id), Path, description = "The stay")
), request_body(content = Option<CheckIn>, description = "May be left out"), responses(
    (status = 201, body = CheckInView),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 404, body = crate::api::Problem),
    (status = 409, body = crate::api::Problem, description = "reservation-released (with free_places), night-out-of-range"),
    (status = 422, body = crate::api::Problem)
))]
#[post("/stays/{id}/check-ins")]
pub async fn check_in(
    state: web::Data<AppState>,
    caller: Caller,
    tag: RequestTag,
    key: IdempotencyKey,
    path: web::Path<String>,
    body: OptionalJson<CheckIn>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(STAY_ROLES)?;
    let body = body.0;
    let mut errors = Vec::new();
    let night = parse_night("night", body.night.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let id = path.into_inner();
    let hash = idempotency::fingerprint(&format!("POST /stays/{id}/check-ins"), &body);
    let audit = Audit::new(&caller, &tag, "stay.check-in", Target::stay(&id));
    created_once(&state, audit, key, hash, move |c, p, now| {
        svc::check_in(c, p, &id, night, &caller.scope(), now)
    })
    .await
}

#[utoipa::path(tag = "stays", security(("bearer" = [])), params(("id" = inline(crate::api::fields::Id), Path, description = "The stay")), request_body = Reason, responses(
    (status = 200, body = StayView),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 404, body = crate::api::Problem),
    (status = 409, body = crate::api::Problem, description = "stay-not-active"),
    (status = 422, body = crate::api::Problem)
))]
#[post("/stays/{id}/end")]
pub async fn end_stay(
    state: web::Data<AppState>,
    caller: Caller,
    tag: RequestTag,
    path: web::Path<String>,
    body: ApiJson<Reason>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(STAY_ROLES)?;
    let reason = parse_reason(&body.0.reason)?;
    let id = path.into_inner();
    let audit = Audit::new(&caller, &tag, "stay.end", Target::stay(&id));
    stay_act(&state, audit, move |c, p, now| {
        svc::end(c, p, &id, &reason, &caller.scope(), now)
    })
    .await
}

#[utoipa::path(tag = "stays", security(("bearer" = [])), params(("id" = inline(crate::api::fields::Id), Path, description = "The stay")), request_body = MoveStay, responses(
    (status = 200, body = StayView),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 404, body = crate::api::Problem),
    (status = 409, body = crate::api::Problem, description = "no-free-place, category-not-allowed, banned, stay-not-active"),
    (status = 422, body = crate::api::Problem)
))]
#[post("/stays/{id}/move")]
pub async fn move_stay(
    state: web::Data<AppState>,
    caller: Caller,
    tag: RequestTag,
    path: web::Path<String>,
    body: ApiJson<MoveStay>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(STAY_ROLES)?;
    let place_id = body.0.place_id;
    if !is_id(&place_id) {
        return Err(AppError::validation(
            "place_id",
            "is not an id of this service",
        ));
    }
    let id = path.into_inner();
    let audit = Audit::new(&caller, &tag, "stay.move", Target::stay(&id));
    stay_act(&state, audit, move |c, p, now| {
        svc::move_to(c, p, &id, &place_id, &caller.scope(), now)
    })
    .await
}

#[utoipa::path(tag = "stays", security(("bearer" = [])), params(("id" = inline(crate::api::fields::Id), Path, description = "The stay")), request_body = Reason, responses(
    (status = 200, body = StayView),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 404, body = crate::api::Problem),
    (status = 409, body = crate::api::Problem, description = "stay-not-active"),
    (status = 422, body = crate::api::Problem)
))]
#[post("/stays/{id}/void")]
pub async fn void_stay(
    state: web::Data<AppState>,
    caller: Caller,
    tag: RequestTag,
    path: web::Path<String>,
    body: ApiJson<Reason>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(&[Role::Coordinator])?;
    let reason = parse_reason(&body.0.reason)?;
    let id = path.into_inner();
    let audit = Audit::new(&caller, &tag, "stay.void", Target::stay(&id));
    stay_act(&state, audit, move |c, p, now| {
        svc::void(c, p, &id, &reason, &caller.scope(), now)
    })
    .await
}
