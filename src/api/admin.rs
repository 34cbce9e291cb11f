//! `PUT /admin/clock`: sets the clock in training/test mode.

use actix_web::{HttpResponse, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::extract::ApiJson;
use crate::auth::Caller;
use crate::domain::Role;
use crate::error::AppError;
use crate::rules::Night;
use crate::startup::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetClock {
    /// RFC 3339, with an offset.
    now: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct ClockOut {
    now: DateTime<Utc>,
    #[schema(value_type = String, format = Date)]
    night: Night,
}

#[utoipa::path(tag = "admin", security(("bearer" = [])), responses(
    (status = 200, body = ClockOut),
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
    state.clock.set(body.0.now);
    let now = state.clock.now();
    // The cutoff or a new night may have come: screens recompute.
    state.changed().await;
    Ok(HttpResponse::Ok().json(ClockOut {
        now,
        night: state.partnership.calendar.night_of(now),
    }))
}
