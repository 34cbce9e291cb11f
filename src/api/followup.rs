//! The referral inbox and incidents (API.md, RULES.md §7).

use actix_web::{HttpResponse, get, patch, post, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::api::extract::RequestTag;
use crate::api::extract::{ApiJson, ApiQuery};
use crate::api::fields::parse_night;
use crate::api::state::AppState;
use crate::audit::Target;
use crate::auth::Caller;
use crate::domain::{Role, is_id};
use crate::error::{AppError, FieldError};
use crate::service::followup::{
    self as svc, IncidentView, NewIncident, REFERRAL_REASONS, ReferralView,
};

/// Who works the inbox.
pub const INBOX_ROLES: &[Role] = &[Role::SocialEmergency, Role::Outreach, Role::Coordinator];

fn note(value: Option<String>, errors: &mut Vec<FieldError>) -> Option<String> {
    crate::api::text::optional_free_text(&value?, 2000)
        .map_err(|m| errors.push(FieldError::new("note", m)))
        .ok()
        .flatten()
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateReferral {
    #[schema(schema_with = crate::api::fields::id_schema)]
    guest_id: String,
    #[schema(schema_with = referral_reason_schema)]
    reason: String,
    #[serde(default)]
    acute: bool,
    /// At most 2000 characters; no control characters but line breaks.
    #[schema(
        max_length = 2000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    note: Option<String>,
}

fn referral_reason_schema() -> utoipa::openapi::schema::Object {
    crate::api::fields::enum_schema(&REFERRAL_REASONS)
}

fn referral_status_schema() -> utoipa::openapi::schema::Object {
    crate::api::fields::enum_schema(&["open", "taken", "closed"])
}

fn incident_kind_schema() -> utoipa::openapi::schema::Object {
    crate::api::fields::enum_schema(&["threat", "violence"])
}

#[utoipa::path(tag = "referrals", security(("bearer" = [])), request_body = CreateReferral, responses(
    (status = 201, body = ReferralView),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 404, body = crate::api::Problem),
    (status = 422, body = crate::api::Problem)
))]
#[post("/referrals")]
pub async fn create_referral(
    state: web::Data<AppState>,
    caller: Caller,
    tag: RequestTag,
    body: ApiJson<CreateReferral>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(&[
        Role::SocialEmergency,
        Role::Outreach,
        Role::Coordinator,
        Role::ShelterStaff,
    ])?;
    let b = body.0;
    let mut errors = Vec::new();
    if !is_id(&b.guest_id) {
        errors.push(FieldError::new("guest_id", "is not an id of this service"));
    }
    if !REFERRAL_REASONS.contains(&b.reason.as_str()) {
        errors.push(FieldError::new(
            "reason",
            format!("must be one of: {}", REFERRAL_REASONS.join(", ")),
        ));
    }
    let note = note(b.note, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let now = state.clock.now();
    let audit =
        crate::api::extract::audit(&caller, &tag, "referral.create", Target::guest(&b.guest_id));
    let view = state
        .service()
        .audited(
            audit,
            move |conn| {
                svc::create_referral(
                    conn,
                    &b.guest_id,
                    &b.reason,
                    b.acute,
                    note,
                    &caller.user_id,
                    now,
                )
            },
            |r: &svc::ReferralView| vec![Target::both(&r.guest_id, &r.id)],
        )
        .await?;
    Ok(HttpResponse::Created().json(view))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatusQuery {
    /// `open`, `taken` or `closed`; all when left out.
    #[param(schema_with = referral_status_schema)]
    status: Option<String>,
}

const STATUSES: [&str; 3] = ["open", "taken", "closed"];

#[utoipa::path(tag = "referrals", security(("bearer" = [])), params(StatusQuery), responses(
    (status = 200, body = Vec<ReferralView>, description = "The newest 500, newest first"),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 422, body = crate::api::Problem)
))]
#[get("/referrals")]
pub async fn list_referrals(
    state: web::Data<AppState>,
    caller: Caller,
    tag: RequestTag,
    query: ApiQuery<StatusQuery>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(INBOX_ROLES)?;
    let status = query.0.status;
    if status.as_deref().is_some_and(|s| !STATUSES.contains(&s)) {
        return Err(AppError::validation(
            "status",
            "must be one of: open, taken, closed",
        ));
    }
    let audit = crate::api::extract::audit(&caller, &tag, "referral.list", Target::default());
    let list = state
        .service()
        .audited(
            audit,
            move |conn| svc::list_referrals(conn, status.as_deref()),
            |list: &Vec<svc::ReferralView>| {
                list.iter()
                    .map(|r| Target::both(&r.guest_id, &r.id))
                    .collect()
            },
        )
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateReferral {
    #[schema(schema_with = referral_status_schema)]
    status: String,
    /// At most 2000 characters; no control characters but line breaks.
    #[schema(
        max_length = 2000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    note: Option<String>,
}

#[utoipa::path(tag = "referrals", security(("bearer" = [])), params(("id" = inline(crate::api::fields::Id), Path, description = "The referral")), request_body = UpdateReferral, responses(
    (status = 200, body = ReferralView),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 404, body = crate::api::Problem),
    (status = 409, body = crate::api::Problem, description = "referral-transition"),
    (status = 422, body = crate::api::Problem)
))]
#[patch("/referrals/{id}")]
pub async fn update_referral(
    state: web::Data<AppState>,
    caller: Caller,
    tag: RequestTag,
    path: web::Path<String>,
    body: ApiJson<UpdateReferral>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(INBOX_ROLES)?;
    let b = body.0;
    let mut errors = Vec::new();
    if !STATUSES.contains(&b.status.as_str()) {
        errors.push(FieldError::new(
            "status",
            "must be one of: open, taken, closed",
        ));
    }
    let note = note(b.note, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let id = path.into_inner();
    let now = state.clock.now();
    let audit = crate::api::extract::audit(&caller, &tag, "referral.update", Target::subject(&id));
    let view = state
        .service()
        .audited(
            audit,
            move |conn| {
                svc::update_referral(conn, &id, &b.status, note.as_deref(), &caller.user_id, now)
            },
            |r: &svc::ReferralView| vec![Target::both(&r.guest_id, &r.id)],
        )
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateIncident {
    #[schema(schema_with = crate::api::fields::id_schema)]
    shelter_id: String,
    /// Defaults to the current night.
    #[schema(value_type = Option<String>, format = Date)]
    night: Option<String>,
    #[schema(schema_with = incident_kind_schema)]
    kind: String,
    /// 1 to 4000 characters besides white space; no control characters
    /// but line breaks.
    #[schema(
        max_length = 4000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    description: String,
    #[serde(default)]
    #[schema(schema_with = crate::api::fields::id_list_schema)]
    guest_ids: Vec<String>,
}

#[utoipa::path(tag = "incidents", security(("bearer" = [])), request_body = CreateIncident, responses(
    (status = 201, body = IncidentView),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 404, body = crate::api::Problem),
    (status = 422, body = crate::api::Problem)
))]
#[post("/incidents")]
pub async fn create_incident(
    state: web::Data<AppState>,
    caller: Caller,
    tag: RequestTag,
    body: ApiJson<CreateIncident>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(&[Role::Coordinator, Role::ShelterStaff])?;
    let b = body.0;
    let mut errors = Vec::new();
    if !is_id(&b.shelter_id) {
        errors.push(FieldError::new(
            "shelter_id",
            "is not an id of this service",
        ));
    }
    let night = parse_night("night", b.night.as_deref(), &mut errors);
    if !["threat", "violence"].contains(&b.kind.as_str()) {
        errors.push(FieldError::new("kind", "must be one of: threat, violence"));
    }
    let description = crate::api::text::free_text(&b.description, 4000)
        .map_err(|m| errors.push(FieldError::new("description", m)))
        .unwrap_or_default();
    for (i, g) in b.guest_ids.iter().enumerate() {
        if !is_id(g) {
            errors.push(FieldError::new(
                format!("guest_ids[{i}]"),
                "is not an id of this service",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let now = state.clock.now();
    let mut guest_ids = b.guest_ids;
    guest_ids.sort();
    guest_ids.dedup();
    let new = NewIncident {
        shelter_id: b.shelter_id,
        night: night.unwrap_or_else(|| state.partnership.calendar.night_of(now)),
        kind: b.kind,
        description,
        guest_ids,
    };
    let audit = crate::api::extract::audit(&caller, &tag, "incident.create", Target::default());
    let view = state
        .service()
        .audited(
            audit,
            move |conn| svc::record_incident(conn, &new, &caller.scope(), &caller.user_id, now),
            |i: &svc::IncidentView| i.guest_ids.iter().map(|g| Target::both(g, &i.id)).collect(),
        )
        .await?;
    Ok(HttpResponse::Created().json(view))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct IncidentRange {
    /// First night; defaults to 30 nights ago.
    #[param(value_type = Option<String>, format = Date)]
    from: Option<String>,
    /// Last night; defaults to the current night; at most 400 nights after `from`.
    #[param(value_type = Option<String>, format = Date)]
    to: Option<String>,
}

#[utoipa::path(tag = "incidents", security(("bearer" = [])), params(IncidentRange), responses(
    (status = 200, body = Vec<IncidentView>),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 422, body = crate::api::Problem)
))]
#[get("/incidents")]
pub async fn list_incidents(
    state: web::Data<AppState>,
    caller: Caller,
    tag: RequestTag,
    query: ApiQuery<IncidentRange>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(&[Role::Coordinator])?;
    let mut errors = Vec::new();
    let from = parse_night("from", query.0.from.as_deref(), &mut errors);
    let to = parse_night("to", query.0.to.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let current = state.partnership.calendar.night_of(state.clock.now());
    let to = to.unwrap_or(current);
    let from = from.unwrap_or(to.plus(-30));
    if to < from || from.nights_until(to) > 400 {
        return Err(AppError::validation(
            "to",
            "must be from `from` to 400 nights after it",
        ));
    }
    let audit = crate::api::extract::audit(&caller, &tag, "incident.list", Target::default());
    let list = state
        .service()
        .audited(
            audit,
            move |conn| svc::list_incidents(conn, from.date(), to.date()),
            |list: &Vec<svc::IncidentView>| {
                list.iter()
                    .flat_map(|i| i.guest_ids.iter().map(|g| Target::both(g, &i.id)))
                    .collect()
            },
        )
        .await?;
    Ok(HttpResponse::Ok().json(list))
}
