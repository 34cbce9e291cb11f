//! `POST /bans` (coordinator).

use actix_web::{HttpResponse, post, web};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::extract::ApiJson;
use crate::api::extract::RequestTag;
use crate::api::fields::reason_field;
use crate::api::state::AppState;
use crate::auth::Caller;
use crate::domain::Role;
use crate::error::{AppError, FieldError};
use crate::rules::Night;
use crate::service::stays::{self as svc, BanView, NewBan};

/// A ban's shelter, as the document states it (`schema_with` leaves out
/// the field's doc comment).
fn ban_shelter_schema() -> utoipa::openapi::schema::Object {
    crate::api::fields::described_id_schema("Without it the ban holds at every shelter.")
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBan {
    #[schema(schema_with = crate::api::fields::id_schema)]
    guest_id: String,
    /// Without it the ban holds at every shelter (`ban_shelter_schema`).
    #[schema(schema_with = ban_shelter_schema)]
    shelter_id: Option<String>,
    #[schema(value_type = String, format = Date)]
    first_night: String,
    /// Not before first_night.
    #[schema(value_type = String, format = Date)]
    last_night: String,
    /// 1 to 500 characters besides white space; no control characters
    /// but line breaks.
    #[schema(
        max_length = 500,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    reason: String,
    /// Incidents the ban rests on (each must involve the guest).
    #[serde(default)]
    #[schema(schema_with = crate::api::fields::id_list_schema)]
    incident_ids: Vec<String>,
}

#[utoipa::path(tag = "bans", security(("bearer" = [])), request_body = CreateBan, responses(
    (status = 201, body = BanView),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 404, body = crate::api::Problem),
    (status = 422, body = crate::api::Problem)
))]
#[post("/bans")]
pub async fn create_ban(
    state: web::Data<AppState>,
    caller: Caller,
    tag: RequestTag,
    body: ApiJson<CreateBan>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(&[Role::Coordinator])?;
    let b = body.0;
    let mut errors = Vec::new();
    let guest_id = crate::api::fields::id_field("guest_id", &b.guest_id, &mut errors);
    let shelter_id = match b.shelter_id.as_deref() {
        Some(s) => crate::api::fields::id_field("shelter_id", s, &mut errors),
        None => None,
    };
    let first = b
        .first_night
        .parse::<Night>()
        .map_err(|e| errors.push(FieldError::new("first_night", e.to_string())))
        .ok();
    let last = b
        .last_night
        .parse::<Night>()
        .map_err(|e| errors.push(FieldError::new("last_night", e.to_string())))
        .ok();
    if let (Some(f), Some(l)) = (first, last)
        && l < f
    {
        errors.push(FieldError::new(
            "last_night",
            "must not be before first_night",
        ));
    }
    let reason = reason_field(&b.reason, &mut errors);
    let (Some(first_night), Some(last_night), Some(reason), Some(guest_id)) =
        (first, last, reason, guest_id)
    else {
        return Err(AppError::Validation(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let mut incident_ids = b.incident_ids;
    incident_ids.sort();
    incident_ids.dedup();
    let new = NewBan {
        guest_id,
        incident_ids,
        shelter_id,
        first_night,
        last_night,
        reason,
    };
    let actor = crate::api::extract::actor(&caller, &tag);
    let ban = state
        .service()
        .run(move |ctx| svc::ban(ctx, &actor, &new))
        .await?;
    state.changed().await;
    Ok(HttpResponse::Created().json(ban))
}
