//! Stays: intake, read, check-in, end, move, void (API.md).

use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::answers::answer;
use crate::api::extract::{ApiJson, ApiQuery, IdempotencyKey, OptionalJson, RequestTag, actor};
use crate::api::fields::{id_field, parse_night, parse_reason, path_id};
use crate::api::state::AppState;
use crate::auth::Caller;
use crate::domain::{PlaceCategory, Role};
use crate::error::{AppError, FieldError};
use crate::ids::{PlaceId, StayId};
use crate::service::stays::{self as svc, CheckInView, IntakeRequest, StayListItem, StayView};

/// Who works with stays.
pub const STAY_ROLES: &[Role] = &[Role::Coordinator, Role::ShelterStaff];

/// Who may read a night's list of stays, names and all (API.md): shelter
/// staff at their own shelters only.
pub const LIST_ROLES: &[Role] = &[Role::Coordinator, Role::ShelterStaff, Role::SocialEmergency];

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StayListQuery {
    /// The shelter whose night is listed.
    #[param(value_type = crate::api::fields::Id, inline)]
    shelter_id: String,
    /// `YYYY-MM-DD`; defaults to the current night.
    #[param(value_type = Option<String>, format = Date)]
    night: Option<String>,
}

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
        let guest_id = id_field("guest_id", &self.guest_id, &mut errors);
        let shelter_id = id_field("shelter_id", &self.shelter_id, &mut errors);
        let place_id = match self.place_id.as_deref() {
            Some(p) => id_field("place_id", p, &mut errors),
            None => None,
        };
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
        let (Some(guest_id), Some(shelter_id), true) = (guest_id, shelter_id, errors.is_empty())
        else {
            return Err(AppError::Validation(errors));
        };
        Ok(IntakeRequest {
            guest_id,
            shelter_id,
            place_id,
            category,
            first_night,
        })
    }
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
    let keyed = key.keyed(&caller, "POST /stays", &body.0);
    let actor = actor(&caller, &tag);
    let (status, stay) = state
        .service()
        .run(move |ctx| svc::take_stay(ctx, &actor, &keyed, &req))
        .await?;
    state.changed().await;
    Ok(answer(status, stay))
}

#[utoipa::path(tag = "stays", security(("bearer" = [])), params(StayListQuery), responses(
    (status = 200, body = Vec<StayListItem>, description = "The stays that hold a bed at the shelter on the night (not voided, the night not released), each with its guest's name and the night's bed, in the order of the beds' labels; one stay.list audit entry per guest listed"),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem, description = "A role that may not see names, or a shelter outside the caller's shelters"),
    (status = 404, body = crate::api::Problem, description = "No such shelter"),
    (status = 422, body = crate::api::Problem, description = "A malformed shelter id or night")
))]
#[get("/stays")]
pub async fn list_stays(
    state: web::Data<AppState>,
    caller: Caller,
    tag: RequestTag,
    query: ApiQuery<StayListQuery>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(LIST_ROLES)?;
    let q = query.0;
    let mut errors = Vec::new();
    let shelter_id = id_field("shelter_id", &q.shelter_id, &mut errors);
    let night = parse_night("night", q.night.as_deref(), &mut errors);
    let (Some(shelter_id), true) = (shelter_id, errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let actor = actor(&caller, &tag);
    let list = state
        .service()
        .run(move |ctx| svc::night_list(ctx, &actor, &shelter_id, night))
        .await?;
    Ok(HttpResponse::Ok().json(list))
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
    let id: StayId = path_id(&path.into_inner(), "stay")?;
    let actor = actor(&caller, &tag);
    let stay = state
        .service()
        .run(move |ctx| svc::get(ctx, &actor, &id))
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
    let id: StayId = path_id(&path.into_inner(), "stay")?;
    let keyed = key.keyed(&caller, &format!("POST /stays/{id}/check-ins"), &body);
    let actor = actor(&caller, &tag);
    let (status, checked_in) = state
        .service()
        .run(move |ctx| svc::check_in(ctx, &actor, &keyed, &id, night))
        .await?;
    state.changed().await;
    Ok(answer(status, checked_in))
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
    let id: StayId = path_id(&path.into_inner(), "stay")?;
    let actor = actor(&caller, &tag);
    let stay = state
        .service()
        .run(move |ctx| svc::end(ctx, &actor, &id, &reason))
        .await?;
    state.changed().await;
    Ok(HttpResponse::Ok().json(stay))
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
    let Some(place_id) = PlaceId::parse(&body.0.place_id) else {
        return Err(AppError::validation(
            "place_id",
            "is not an id of this service",
        ));
    };
    let id: StayId = path_id(&path.into_inner(), "stay")?;
    let actor = actor(&caller, &tag);
    let stay = state
        .service()
        .run(move |ctx| svc::move_to(ctx, &actor, &id, &place_id))
        .await?;
    state.changed().await;
    Ok(HttpResponse::Ok().json(stay))
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
    let id: StayId = path_id(&path.into_inner(), "stay")?;
    let actor = actor(&caller, &tag);
    let stay = state
        .service()
        .run(move |ctx| svc::void(ctx, &actor, &id, &reason))
        .await?;
    state.changed().await;
    Ok(HttpResponse::Ok().json(stay))
}
