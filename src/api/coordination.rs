//! Availability, cold nights and single-night placements (API.md).

use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::extract::RequestTag;
use crate::api::extract::{ApiJson, ApiQuery, IdempotencyKey};
use crate::api::fields::{id_field, parse_night, reason_field};
use crate::api::state::AppState;
use crate::auth::Caller;
use crate::domain::{Role, is_id};
use crate::error::{AppError, FieldError};
use crate::rules::Night;
use crate::service::coordination::{
    self as svc, AvailabilityQuestion, AvailabilityView, ColdNightView, Declaration, Opening,
    PlacementKind, PlacementListItem, PlacementRequest, PlacementView,
};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AvailabilityQuery {
    /// `YYYY-MM-DD`; defaults to the current night.
    #[param(value_type = Option<String>, format = Date)]
    night: Option<String>,
    /// Only this shelter (its counts are then also the totals).
    #[param(value_type = Option<crate::api::fields::Id>, inline)]
    shelter_id: Option<String>,
    /// `false` leaves out the lists of free places and answers with the
    /// counts only: the light answer for a large system. Default `true`.
    places: Option<bool>,
}

impl AvailabilityQuery {
    fn question(&self) -> Result<AvailabilityQuestion, AppError> {
        let mut errors = Vec::new();
        let night = parse_night("night", self.night.as_deref(), &mut errors);
        if let Some(id) = &self.shelter_id
            && !is_id(id)
        {
            errors.push(FieldError::new("shelter_id", "is not a shelter id"));
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        Ok(AvailabilityQuestion {
            night,
            shelter_id: self.shelter_id.clone(),
            places: self.places.unwrap_or(true),
        })
    }
}

#[utoipa::path(tag = "coordination", security(("bearer" = [])), params(AvailabilityQuery), responses(
    (status = 200, body = AvailabilityView),
    (status = 401, body = crate::api::Problem),
    (status = 404, body = crate::api::Problem, description = "No such shelter"),
    (status = 422, body = crate::api::Problem)
))]
#[get("/availability")]
pub async fn availability(
    state: web::Data<AppState>,
    _caller: Caller,
    query: ApiQuery<AvailabilityQuery>,
) -> Result<HttpResponse, AppError> {
    let question = query.0.question()?;
    let body = state
        .availability
        .answer(&state.service(), question, state.clock.now())
        .await?;
    Ok(HttpResponse::Ok()
        .content_type(actix_web::http::header::ContentType::json())
        .body(body))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpeningIn {
    #[schema(schema_with = crate::api::fields::id_schema)]
    shelter_id: String,
    /// Overflow places to open there, at most 200.
    #[schema(maximum = 200)]
    places: u32,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclareColdNight {
    /// 1 to 500 characters besides white space; no control characters
    /// but line breaks.
    #[schema(
        max_length = 500,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    reason: String,
    /// Degrees Celsius, -60 to 50.
    #[schema(minimum = -60, maximum = 50)]
    forecast_min_c: Option<f64>,
    /// Each shelter at most once.
    #[serde(default)]
    overflow: Vec<OpeningIn>,
}

fn path_night(raw: &str) -> Result<Night, AppError> {
    raw.parse::<Night>()
        .map_err(|e| AppError::validation("night", e.to_string()))
}

#[utoipa::path(tag = "coordination", security(("bearer" = [])), params(("night" = String, Path, format = Date, description = "`YYYY-MM-DD`")), request_body = DeclareColdNight, responses(
    (status = 200, body = ColdNightView),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 409, body = crate::api::Problem, description = "overflow-place-held, night-out-of-range"),
    (status = 422, body = crate::api::Problem)
))]
#[put("/cold-nights/{night}")]
pub async fn declare_cold_night(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<DeclareColdNight>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(&[Role::Coordinator])?;
    let night = path_night(&path.into_inner())?;
    let b = body.0;
    let mut errors = Vec::new();
    let reason = reason_field(&b.reason, &mut errors);
    if b.forecast_min_c
        .is_some_and(|t| !(-60.0..=50.0).contains(&t))
    {
        errors.push(FieldError::new(
            "forecast_min_c",
            "must be between -60 and 50",
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, o) in b.overflow.iter().enumerate() {
        if !is_id(&o.shelter_id) {
            errors.push(FieldError::new(
                format!("overflow[{i}].shelter_id"),
                "is not an id of this service",
            ));
        } else if !seen.insert(o.shelter_id.clone()) {
            errors.push(FieldError::new(
                format!("overflow[{i}].shelter_id"),
                "is named twice",
            ));
        }
        if o.places > 200 {
            errors.push(FieldError::new(
                format!("overflow[{i}].places"),
                "must be at most 200",
            ));
        }
    }
    let Some(reason) = reason.filter(|_| errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let d = Declaration {
        night,
        reason,
        forecast_min_c: b.forecast_min_c,
        overflow: b
            .overflow
            .into_iter()
            .map(|o| Opening {
                shelter_id: o.shelter_id,
                places: o.places,
            })
            .collect(),
    };
    let now = state.clock.now();
    let st = state.clone();
    let view = crate::service::blocking(&state.pool, move |conn| {
        svc::declare(conn, &st.partnership, &d, &caller.user_id, now)
    })
    .await?;
    state.changed().await;
    Ok(HttpResponse::Ok().json(view))
}

#[utoipa::path(tag = "coordination", security(("bearer" = [])), params(("night" = String, Path, format = Date, description = "`YYYY-MM-DD`")), responses(
    (status = 204),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 404, body = crate::api::Problem),
    (status = 409, body = crate::api::Problem, description = "overflow-place-held")
))]
#[delete("/cold-nights/{night}")]
pub async fn withdraw_cold_night(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(&[Role::Coordinator])?;
    let night = path_night(&path.into_inner())?;
    crate::service::blocking(&state.pool, move |conn| svc::withdraw(conn, night)).await?;
    state.changed().await;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    /// First night; defaults to the current night.
    #[param(value_type = Option<String>, format = Date)]
    from: Option<String>,
    /// Last night; defaults to a week after `from`; at most 400 nights after it.
    #[param(value_type = Option<String>, format = Date)]
    to: Option<String>,
}

#[utoipa::path(tag = "coordination", security(("bearer" = [])), params(RangeQuery), responses(
    (status = 200, body = Vec<crate::service::coordination::ColdNightEntry>),
    (status = 401, body = crate::api::Problem),
    (status = 422, body = crate::api::Problem)
))]
#[get("/cold-nights")]
pub async fn list_cold_nights(
    state: web::Data<AppState>,
    _caller: Caller,
    query: ApiQuery<RangeQuery>,
) -> Result<HttpResponse, AppError> {
    let mut errors = Vec::new();
    let from = parse_night("from", query.0.from.as_deref(), &mut errors);
    let to = parse_night("to", query.0.to.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let current = state.partnership.calendar.night_of(state.clock.now());
    let from = from.unwrap_or(current);
    let to = to.unwrap_or(from.plus(7));
    if to < from || from.nights_until(to) > 400 {
        return Err(AppError::validation(
            "to",
            "must be from `from` to 400 nights after it",
        ));
    }
    let st = state.clone();
    let list = crate::service::blocking(&state.pool, move |conn| {
        svc::list(conn, &st.partnership, from, to, st.forecast.as_deref())
    })
    .await?;
    Ok(HttpResponse::Ok().json(list))
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePlacement {
    #[schema(schema_with = crate::api::fields::id_schema)]
    guest_id: String,
    #[schema(schema_with = placement_kind_schema)]
    kind: String,
    #[schema(schema_with = crate::api::fields::id_schema)]
    shelter_id: Option<String>,
    #[schema(schema_with = crate::api::fields::id_schema)]
    place_id: Option<String>,
    /// Defaults to the current night (the only night one can place for).
    #[schema(value_type = Option<String>, format = Date)]
    night: Option<String>,
    /// 1 to 500 characters besides white space; no control characters
    /// but line breaks.
    #[schema(
        max_length = 500,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    reason: String,
}

fn placement_kind_schema() -> utoipa::openapi::schema::Object {
    crate::api::fields::enum_schema(&["emergency", "cold_night"])
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PlacementListQuery {
    /// `YYYY-MM-DD`; defaults to the current night.
    #[param(value_type = Option<String>, format = Date)]
    night: Option<String>,
    /// Only this shelter; shelter staff must name one of theirs.
    #[param(value_type = Option<crate::api::fields::Id>, inline)]
    shelter_id: Option<String>,
}

/// Who may read the night's placements, names and all (API.md).
const PLACEMENT_LIST_ROLES: &[Role] =
    &[Role::Coordinator, Role::ShelterStaff, Role::SocialEmergency];

#[utoipa::path(tag = "coordination", security(("bearer" = [])), params(PlacementListQuery), responses(
    (status = 200, body = Vec<PlacementListItem>, description = "The night's single-night placements (emergency and cold night), each with its guest's name and its bed's label, by shelter and label; one placement.list audit entry per guest listed"),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem, description = "A role that may not see names, or a shelter outside the caller's shelters"),
    (status = 404, body = crate::api::Problem, description = "No such shelter"),
    (status = 422, body = crate::api::Problem, description = "A malformed shelter id or night, or shelter staff naming no shelter")
))]
#[get("/placements")]
pub async fn list_placements(
    state: web::Data<AppState>,
    caller: Caller,
    tag: RequestTag,
    query: ApiQuery<PlacementListQuery>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(PLACEMENT_LIST_ROLES)?;
    let q = query.0;
    let mut errors = Vec::new();
    let shelter_id = q
        .shelter_id
        .as_deref()
        .and_then(|s| id_field("shelter_id", s, &mut errors));
    let night = parse_night("night", q.night.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let actor = crate::api::extract::actor(&caller, &tag);
    let list = state
        .service()
        .run(move |ctx| svc::night_placements(ctx, &actor, shelter_id.as_ref(), night))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

#[utoipa::path(tag = "coordination", security(("bearer" = [])), params(
    ("Idempotency-Key" = Option<String>, Header, description = "Repeat a request safely", min_length = 1, max_length = 255, pattern = r"^[!-~]+$")
), request_body = CreatePlacement, responses(
    (status = 201, body = PlacementView),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 404, body = crate::api::Problem),
    (status = 409, body = crate::api::Problem, description = "not-a-cold-night, already-placed, banned, no-free-place, category-not-allowed, outside-target-group, minor, night-out-of-range"),
    (status = 422, body = crate::api::Problem)
))]
#[post("/placements")]
pub async fn create_placement(
    state: web::Data<AppState>,
    caller: Caller,
    tag: RequestTag,
    key: IdempotencyKey,
    body: ApiJson<CreatePlacement>,
) -> Result<HttpResponse, AppError> {
    let b = &body.0;
    let mut errors = Vec::new();
    let kind = match b.kind.as_str() {
        "emergency" => Some(PlacementKind::Emergency),
        "cold_night" => Some(PlacementKind::ColdNight),
        _ => {
            errors.push(FieldError::new(
                "kind",
                "must be one of: emergency, cold_night",
            ));
            None
        }
    };
    let guest_id = id_field("guest_id", &b.guest_id, &mut errors);
    let shelter_id = match b.shelter_id.as_deref() {
        Some(s) => id_field("shelter_id", s, &mut errors),
        None => None,
    };
    let place_id = match b.place_id.as_deref() {
        Some(p) => id_field("place_id", p, &mut errors),
        None => None,
    };
    let night = parse_night("night", b.night.as_deref(), &mut errors);
    let reason = reason_field(&b.reason, &mut errors);
    let (Some(kind), Some(reason), Some(guest_id)) = (kind, reason, guest_id) else {
        return Err(AppError::Validation(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    match kind {
        PlacementKind::Emergency => {
            caller.require_any(&[Role::SocialEmergency, Role::Coordinator])?
        }
        PlacementKind::ColdNight => {
            caller.require_any(&[Role::SocialEmergency, Role::Coordinator, Role::ShelterStaff])?
        }
    }
    let req = PlacementRequest {
        guest_id,
        kind,
        shelter_id,
        place_id,
        night,
        reason,
    };
    let keyed = key.keyed(&caller, "POST /placements", &body.0);
    // An emergency placement passes over the karenstid: a rule override.
    let action = match kind {
        PlacementKind::Emergency => "placement.emergency",
        PlacementKind::ColdNight => "placement.cold-night",
    };
    let actor = crate::api::extract::actor(&caller, &tag);
    let (status, placement) = state
        .service()
        .run(move |ctx| svc::place(ctx, &actor, &keyed, action, &req))
        .await?;
    state.changed().await;
    Ok(crate::api::answers::answer(status, placement))
}

/// At most this long between two messages on a stream.
const STREAM_TICK: std::time::Duration = std::time::Duration::from_secs(15);

async fn availability_event(
    state: &web::Data<AppState>,
    question: &AvailabilityQuestion,
) -> Result<String, AppError> {
    let json = state
        .availability
        .answer(&state.service(), question.clone(), state.clock.now())
        .await?;
    Ok(format!(
        "event: availability\ndata: {}\n\n",
        String::from_utf8_lossy(&json)
    ))
}

/// How long until tonight's cutoff or the next night begins, whichever
/// comes first: then the free places change without anyone writing.
fn until_boundary(state: &AppState) -> std::time::Duration {
    let now = state.clock.now();
    let cal = state.partnership.calendar;
    let night = cal.night_of(now);
    let cutoff = crate::service::beds::rules_for(&state.partnership, night)
        .map(|r| cal.during(night, r.no_show_cutoff))
        .unwrap_or_else(|_| cal.night_begins(night.plus(1)));
    let next = [cutoff, cal.night_begins(night.plus(1))]
        .into_iter()
        .filter(|t| *t > now)
        .min()
        .unwrap_or(now);
    (next - now)
        .to_std()
        .unwrap_or_default()
        .saturating_add(std::time::Duration::from_millis(50))
        .min(STREAM_TICK)
}

struct StreamState {
    state: web::Data<AppState>,
    rx: tokio::sync::broadcast::Receiver<()>,
    question: AvailabilityQuestion,
    last: String,
    pending: Option<String>,
    holder: Holder,
}

/// Whom a stream was opened for. A stream outlives the request that
/// opened it, so what the door checked once is checked again before every
/// message: the stream ends when the token expires (at its `exp`), when
/// the user is deactivated, and when they lose a role they held when it
/// opened (a change of users is announced like a change of availability,
/// so open streams check at once, on every instance).
struct Holder {
    token: String,
    caller: Caller,
    expires: tokio::time::Instant,
}

impl Holder {
    /// The token of a request the access check has admitted.
    fn of(req: &HttpRequest, caller: Caller) -> Result<Self, AppError> {
        let unauthorized = || AppError::Unauthorized("A bearer token is required.".into());
        let token = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, rest) = v.split_at_checked(7)?;
                scheme
                    .eq_ignore_ascii_case("bearer ")
                    .then(|| rest.trim().to_owned())
            })
            .ok_or_else(unauthorized)?;
        #[derive(Deserialize)]
        struct Expiry {
            exp: i64,
        }
        // Its signature and expiry were checked by the door just now; only
        // the instant it expires is read here.
        let exp = jsonwebtoken::dangerous::insecure_decode_claims::<Expiry>(&token)
            .map_err(|_| unauthorized())?
            .exp;
        let left_ms = exp
            .saturating_mul(1000)
            .saturating_sub(chrono::Utc::now().timestamp_millis());
        let left = std::time::Duration::from_millis(u64::try_from(left_ms).unwrap_or(0));
        Ok(Self {
            token,
            caller,
            expires: tokio::time::Instant::now() + left,
        })
    }

    /// Whether the stream may go on: the token has not expired and is still
    /// valid, its user is active and holds every role they held at the start.
    async fn still_admitted(&self, state: &web::Data<AppState>) -> bool {
        if tokio::time::Instant::now() >= self.expires {
            return false;
        }
        let Ok(identity) = state.tokens.identify(&self.token).await else {
            return false;
        };
        let now = crate::service::blocking(&state.pool, move |conn| {
            crate::service::users::caller(conn, &identity)
        })
        .await;
        match now {
            Ok(now) => {
                now.user_id == self.caller.user_id && self.caller.roles.iter().all(|r| now.has(*r))
            }
            Err(_) => false,
        }
    }
}

#[utoipa::path(tag = "coordination", security(("bearer" = [])), params(AvailabilityQuery), responses(
    (status = 200, content_type = "text/event-stream", description = "An `availability` event with the JSON of GET /availability at once, and again within a second of every change: an intake, a check-in, a release at the cutoff, a cold night. A comment line at least every 15 s keeps the connection open. The stream ends when the token expires, when the user is deactivated and when they lose a role they held when it opened."),
    (status = 401, body = crate::api::Problem),
    (status = 404, body = crate::api::Problem, description = "No shelter has this id"),
    (status = 422, body = crate::api::Problem)
))]
#[get("/availability/stream")]
pub async fn availability_stream(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    query: ApiQuery<AvailabilityQuery>,
) -> Result<HttpResponse, AppError> {
    let holder = Holder::of(&req, caller)?;
    let question = query.0.question()?;
    let rx = state.changes.subscribe();
    let first = availability_event(&state, &question).await?;
    let start = StreamState {
        state,
        rx,
        question,
        last: first.clone(),
        pending: Some(first),
        holder,
    };
    let stream = futures_util::stream::unfold(start, |mut s| async move {
        if let Some(event) = s.pending.take() {
            return Some((Ok::<_, actix_web::Error>(web::Bytes::from(event)), s));
        }
        let wait = until_boundary(&s.state).min(
            s.holder
                .expires
                .saturating_duration_since(tokio::time::Instant::now()),
        );
        tokio::select! {
            heard = s.rx.recv() => {
                if let Err(tokio::sync::broadcast::error::RecvError::Closed) = heard {
                    return None;
                }
                // Several changes at once make one event.
                while s.rx.try_recv().is_ok() {}
            }
            () = tokio::time::sleep(wait) => {}
        }
        if !s.holder.still_admitted(&s.state).await {
            return None;
        }
        let message = match availability_event(&s.state, &s.question).await {
            Ok(event) if event != s.last => {
                s.last = event.clone();
                event
            }
            Ok(_) => ": nothing changed\n\n".to_owned(),
            Err(_) => ": availability could not be read; retrying\n\n".to_owned(),
        };
        Some((Ok(web::Bytes::from(message)), s))
    });
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-cache"))
        .streaming(stream))
}
