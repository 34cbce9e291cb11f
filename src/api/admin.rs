//! `PUT /admin/clock`: sets the clock in training/test mode.

use actix_web::{HttpResponse, post, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::extract::ApiJson;
use crate::api::state::AppState;
use crate::auth::Caller;
use crate::domain::Role;
use crate::error::AppError;
use crate::rules::Night;
use crate::rules::night::{FIRST_NIGHT, LAST_NIGHT};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetClock {
    /// RFC 3339, with an offset; its night must be from 2000-01-01 to
    /// 2200-12-31.
    now: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct ClockOut {
    now: DateTime<Utc>,
    #[schema(value_type = String, format = Date)]
    night: Night,
}

#[utoipa::path(tag = "admin", security(("bearer" = [])), request_body = SetClock, responses(
    (status = 200, body = ClockOut),
    (status = 422, body = crate::api::Problem),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 404, body = crate::api::Problem, description = "The server runs on the system clock")
))]
#[put("/admin/clock")]
pub async fn set_clock(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<SetClock>,
) -> Result<HttpResponse, AppError> {
    if !state.clock.is_manual() {
        return Err(AppError::NotFound(
            "The clock can be set only when the server runs with NATTPLATS_CLOCK=manual.".into(),
        ));
    }
    caller.require_any(&[Role::Admin])?;
    // Only a night the service speaks of: a clock in year 262142 was taken
    // and then every request that needed tonight failed.
    if !state.partnership.calendar.night_of(body.0.now).in_range() {
        return Err(AppError::validation(
            "now",
            format!("must fall on a night from {FIRST_NIGHT} to {LAST_NIGHT}"),
        ));
    }
    state.clock.set(body.0.now);
    let now = state.clock.now();
    // The cutoff or a new night may have come: every screen reads again.
    // Not a change of availability itself, so not its time of last change.
    state.changes.announce(&state.pool, None).await;
    Ok(HttpResponse::Ok().json(ClockOut {
        now,
        night: state.partnership.calendar.night_of(now),
    }))
}

#[derive(Deserialize, ToSchema, Default, validator::Validate)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    /// Months without a stay or placement; default 24.
    #[schema(nullable = false, minimum = 1, maximum = 600)]
    #[validate(range(min = 1, max = 600, message = "must be 1 to 600"))]
    months: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct RetentionOut {
    months: u32,
    pseudonymised: u64,
}

#[utoipa::path(tag = "admin", security(("bearer" = [])), request_body(content = Option<Retention>, description = "May be left out"), responses(
    (status = 200, body = RetentionOut),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 422, body = crate::api::Problem)
))]
#[post("/admin/retention")]
pub async fn run_retention(
    state: web::Data<AppState>,
    caller: Caller,
    tag: crate::api::extract::RequestTag,
    body: crate::api::extract::OptionalJson<Retention>,
) -> Result<HttpResponse, AppError> {
    let mut errors = Vec::new();
    crate::api::validation::check(&body.0, &["months"], &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let months = body
        .0
        .months
        .unwrap_or(crate::service::privacy::DEFAULT_RETENTION_MONTHS);
    let who = crate::api::extract::who(&caller, &tag);
    // The service's clock, so training mode can try the rule.
    let now = state.clock.now().naive_utc();
    let pseudonymised = crate::service::blocking(&state.pool, move |conn| {
        crate::service::privacy::apply_retention(conn, months, now, &who)
    })
    .await?;
    Ok(HttpResponse::Ok().json(RetentionOut {
        months,
        pseudonymised,
    }))
}
