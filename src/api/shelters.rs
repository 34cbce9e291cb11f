//! Shelters and their places.

use actix_web::{HttpResponse, get, patch, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::extract::{ApiJson, IdempotencyKey};
use crate::api::state::AppState;
use crate::auth::Caller;
use crate::db::places::{PlaceRow, ShelterSummary};
use crate::domain::{PlaceCategory, Role};
use crate::error::{AppError, FieldError};

#[derive(Serialize, ToSchema)]
pub struct PlaceCounts {
    regular: i64,
    women: i64,
    overflow: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ShelterOut {
    id: String,
    name: String,
    organization: String,
    /// Where the shelter is; `null` when not known.
    address: Option<String>,
    /// Its telephone number; `null` when not known.
    phone: Option<String>,
    places: PlaceCounts,
}

impl From<ShelterSummary> for ShelterOut {
    fn from(s: ShelterSummary) -> Self {
        let n = |c: PlaceCategory| s.places.get(c.as_str()).copied().unwrap_or(0);
        Self {
            places: PlaceCounts {
                regular: n(PlaceCategory::Regular),
                women: n(PlaceCategory::Women),
                overflow: n(PlaceCategory::Overflow),
            },
            id: s.id,
            name: s.name,
            organization: s.organization,
            address: s.address,
            phone: s.phone,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PlaceOut {
    id: String,
    label: String,
    category: PlaceCategory,
    shelter_id: String,
}

impl TryFrom<PlaceRow> for PlaceOut {
    type Error = AppError;
    fn try_from(p: PlaceRow) -> Result<Self, AppError> {
        Ok(Self {
            category: p
                .category
                .parse()
                .map_err(|e: String| AppError::Internal(anyhow::anyhow!(e)))?,
            id: p.id.into(),
            label: p.label,
            shelter_id: p.shelter_id.into(),
        })
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateShelter {
    /// 1 to 100 characters, without control characters.
    #[schema(
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    name: String,
    /// 1 to 100 characters, without control characters.
    #[schema(
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    organization: String,
    /// 1 to 200 characters, without control characters.
    #[schema(
        max_length = 200,
        nullable = false,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    address: Option<String>,
    /// 3 to 30 characters: digits, spaces, and `+ - ( )`.
    #[schema(max_length = 30, pattern = r"^\+?[0-9 ()-]{3,30}$", nullable = false)]
    phone: Option<String>,
}

/// What an admin may change of a shelter: a field left out stays, `null`
/// clears it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateShelter {
    /// 1 to 200 characters, without control characters; `null` clears it.
    #[serde(default, deserialize_with = "given")]
    #[schema(value_type = Option<String>, max_length = 200, nullable, pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$")]
    address: Option<Option<String>>,
    /// 3 to 30 characters: digits, spaces, and `+ - ( )`; `null` clears it.
    #[serde(default, deserialize_with = "given")]
    #[schema(value_type = Option<String>, max_length = 30, pattern = r"^\+?[0-9 ()-]{3,30}$", nullable)]
    phone: Option<Option<String>>,
}

/// A field that is given, as `null` or a value (a field left out is
/// `None` by `serde(default)`).
fn given<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// A telephone number as a desk would dial it: 3 to 30 characters of
/// digits, spaces, `-`, `(`, `)`, and a leading `+`.
fn phone_field(value: &str, errors: &mut Vec<FieldError>) -> String {
    let v = value.trim();
    let body = v.strip_prefix('+').unwrap_or(v);
    let n = v.chars().count();
    if !(3..=30).contains(&n)
        || !body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')'))
        || !body.chars().any(|c| c.is_ascii_digit())
    {
        errors.push(FieldError::new(
            "phone",
            "must be 3 to 30 characters of digits, spaces, -, ( and ), with an optional leading +",
        ));
    }
    v.to_owned()
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePlace {
    /// 1 to 20 characters, without control characters.
    #[schema(
        max_length = 20,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    label: String,
    #[schema(value_type = PlaceCategory)]
    category: String,
}

/// A short display text: trimmed, 1 to `max` characters, no control
/// characters. A parse rather than a `validator` length rule, which would
/// count the untrimmed text (see `api::validation`).
fn short_text(field: &str, value: &str, max: usize, errors: &mut Vec<FieldError>) -> String {
    let v = value.trim();
    let n = v.chars().count();
    if n == 0 || n > max || v.chars().any(char::is_control) {
        errors.push(FieldError::new(
            field,
            format!("must be 1 to {max} characters without control characters"),
        ));
    }
    v.to_owned()
}

#[utoipa::path(tag = "shelters", security(("bearer" = [])), responses(
    (status = 200, body = Vec<ShelterOut>),
    (status = 401, body = crate::api::Problem)
))]
#[get("/shelters")]
pub async fn list_shelters(
    state: web::Data<AppState>,
    _caller: Caller,
) -> Result<HttpResponse, AppError> {
    let list = crate::service::blocking(&state.pool, |conn| {
        Ok(crate::db::places::list_shelters(conn)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(list.into_iter().map(ShelterOut::from).collect::<Vec<_>>()))
}

#[utoipa::path(tag = "shelters", security(("bearer" = [])), params(
    ("Idempotency-Key" = Option<String>, Header, description = "Repeat a request safely", min_length = 1, max_length = 255, pattern = r"^[!-~]+$")
), request_body = CreateShelter, responses(
    (status = 201, body = ShelterOut),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 409, body = crate::api::Problem),
    (status = 422, body = crate::api::Problem)
))]
#[post("/shelters")]
pub async fn create_shelter(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    body: ApiJson<CreateShelter>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(&[Role::Admin])?;
    let mut errors = Vec::new();
    let name = short_text("name", &body.0.name, 100, &mut errors);
    let organization = short_text("organization", &body.0.organization, 100, &mut errors);
    let contact = crate::service::shelters::Contact {
        address: body
            .0
            .address
            .as_deref()
            .map(|a| short_text("address", a, 200, &mut errors)),
        phone: body.0.phone.as_deref().map(|p| phone_field(p, &mut errors)),
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let keyed = key.keyed(
        &caller,
        "POST /shelters",
        &(&name, &organization, &contact.address, &contact.phone),
    );
    let partnership = state.partnership.id.clone();
    let (status, body) = state
        .service()
        .once(keyed, 201, move |conn| {
            crate::service::shelters::create_shelter(
                conn,
                &partnership,
                &name,
                &organization,
                contact,
            )
            .map(ShelterOut::from)
        })
        .await?;
    Ok(crate::api::answers::answer(status, body))
}

#[utoipa::path(tag = "shelters", security(("bearer" = [])), params(("id" = inline(crate::api::fields::Id), Path, description = "The shelter")), request_body = UpdateShelter, responses(
    (status = 200, body = ShelterOut),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 404, body = crate::api::Problem),
    (status = 422, body = crate::api::Problem)
))]
#[patch("/shelters/{id}")]
pub async fn update_shelter(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<UpdateShelter>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(&[Role::Admin])?;
    let mut errors = Vec::new();
    let b = body.0;
    let address = b
        .address
        .map(|a| a.map(|a| short_text("address", &a, 200, &mut errors)));
    let phone = b.phone.map(|p| p.map(|p| phone_field(&p, &mut errors)));
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let shelter_id = path.into_inner();
    let shelter = crate::service::blocking(&state.pool, move |conn| {
        crate::service::shelters::update_contact(conn, &shelter_id, address, phone)
    })
    .await?;
    Ok(HttpResponse::Ok().json(ShelterOut::from(shelter)))
}

#[utoipa::path(tag = "shelters", security(("bearer" = [])), params(("id" = inline(crate::api::fields::Id), Path, description = "The shelter"), ("Idempotency-Key" = Option<String>, Header, description = "Repeat a request safely", min_length = 1, max_length = 255, pattern = r"^[!-~]+$")), request_body = CreatePlace, responses(
    (status = 201, body = PlaceOut),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 404, body = crate::api::Problem),
    (status = 409, body = crate::api::Problem),
    (status = 422, body = crate::api::Problem)
))]
#[post("/shelters/{id}/places")]
pub async fn create_place(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    path: web::Path<String>,
    body: ApiJson<CreatePlace>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(&[Role::Admin])?;
    let mut errors = Vec::new();
    let label = short_text("label", &body.0.label, 20, &mut errors);
    let category = body
        .0
        .category
        .parse::<PlaceCategory>()
        .map_err(|m| errors.push(FieldError::new("category", m)))
        .ok();
    let Some(category) = category.filter(|_| errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let shelter_id = path.into_inner();
    let keyed = key.keyed(
        &caller,
        &format!("POST /shelters/{shelter_id}/places"),
        &(&label, category.as_str()),
    );
    let (status, body) = state
        .service()
        .once(keyed, 201, move |conn| {
            crate::service::shelters::create_place(conn, &shelter_id, &label, category)
                .and_then(PlaceOut::try_from)
        })
        .await?;
    state.changed().await;
    Ok(crate::api::answers::answer(status, body))
}

#[utoipa::path(tag = "shelters", security(("bearer" = [])), params(("id" = inline(crate::api::fields::Id), Path, description = "The shelter")), responses(
    (status = 200, body = Vec<PlaceOut>),
    (status = 401, body = crate::api::Problem),
    (status = 404, body = crate::api::Problem)
))]
#[get("/shelters/{id}/places")]
pub async fn list_places(
    state: web::Data<AppState>,
    _caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let shelter_id = path.into_inner();
    let places = crate::service::blocking(&state.pool, move |conn| {
        crate::service::shelters::list_places(conn, &shelter_id)
    })
    .await?;
    let out = places
        .into_iter()
        .map(PlaceOut::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(out))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutOfService {
    #[schema(value_type = String, format = Date)]
    first_night: String,
    /// Not before first_night.
    #[schema(value_type = String, format = Date)]
    last_night: String,
    /// 1 to 500 characters, without control characters.
    #[schema(
        max_length = 500,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct OutageOut {
    id: String,
    place_id: String,
    first_night: chrono::NaiveDate,
    last_night: chrono::NaiveDate,
    reason: String,
}

#[utoipa::path(tag = "shelters", security(("bearer" = [])), params(("id" = inline(crate::api::fields::Id), Path, description = "The shelter"), ("place_id" = inline(crate::api::fields::Id), Path, description = "The place"), ("Idempotency-Key" = Option<String>, Header, description = "Repeat a request safely", min_length = 1, max_length = 255, pattern = r"^[!-~]+$")), request_body = OutOfService, responses(
    (status = 201, body = OutageOut),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 404, body = crate::api::Problem),
    (status = 409, body = crate::api::Problem, description = "place-held"),
    (status = 422, body = crate::api::Problem)
))]
#[post("/shelters/{id}/places/{place_id}/out-of-service")]
pub async fn out_of_service(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    path: web::Path<(String, String)>,
    body: ApiJson<OutOfService>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(&[Role::Admin, Role::Coordinator])?;
    let b = body.0;
    let mut errors = Vec::new();
    let first = crate::api::fields::parse_night("first_night", Some(&b.first_night), &mut errors);
    let last = crate::api::fields::parse_night("last_night", Some(&b.last_night), &mut errors);
    if let (Some(f), Some(l)) = (first, last)
        && l < f
    {
        errors.push(FieldError::new(
            "last_night",
            "must not be before first_night",
        ));
    }
    let reason = short_text("reason", &b.reason, 500, &mut errors);
    let (Some(first), Some(last)) = (first, last) else {
        return Err(AppError::Validation(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let (shelter_id, place_id) = path.into_inner();
    let keyed = key.keyed(
        &caller,
        &format!("POST /shelters/{shelter_id}/places/{place_id}/out-of-service"),
        &(first.date(), last.date(), &reason),
    );
    let now = state.clock.now();
    let st = state.clone();
    let (status, body) = state
        .service()
        .once(keyed, 201, move |conn| {
            crate::service::shelters::take_out_of_service(
                conn,
                &st.partnership,
                &shelter_id,
                &place_id,
                first,
                last,
                &reason,
                now,
            )
            .map(|row| OutageOut {
                id: row.id,
                place_id: row.place_id,
                first_night: row.first_night,
                last_night: row.last_night,
                reason: row.reason,
            })
        })
        .await?;
    state.changed().await;
    Ok(crate::api::answers::answer(status, body))
}
