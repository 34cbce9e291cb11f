//! `GET /rule-sets` (any role) and `POST /rule-sets` (admin): the
//! versioned settings of RULES.md (`service::rule_sets`).

use actix_web::{HttpResponse, get, post, web};
use chrono::NaiveTime;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::extract::{ApiJson, RequestTag};
use crate::api::fields::parse_night;
use crate::api::state::AppState;
use crate::audit::Target;
use crate::auth::Caller;
use crate::db::partnerships::StoredRuleSet;
use crate::domain::Role;
use crate::error::{AppError, FieldError};
use crate::rules::RuleSet;
use crate::service::rule_sets as svc;

/// A rule set: every setting RULES.md calls configurable, and the night
/// from which it is used.
#[derive(Serialize, ToSchema)]
pub struct RuleSetOut {
    id: String,
    /// Used for the stays whose first night is on or after this night.
    #[schema(format = Date, example = "2019-12-10")]
    effective_from: String,
    /// Local time (HH:MM) after which an expected guest is a no-show (§4).
    #[schema(example = "23:00")]
    no_show_cutoff: String,
    /// A stay's nights on a regular place (§3).
    regular_nights: u32,
    /// A stay's nights on a women's place (§3).
    women_nights: u32,
    /// Karenstid: nights after a stay before a new one may begin (§3).
    quarantine_nights: u32,
    /// Consecutive no-show nights that end a stay (§4).
    no_show_ends_stay_after: u32,
    /// How many nights ahead a stay may begin (§3).
    booking_horizon_nights: u32,
    /// The forecast minimum at or below which a night is suggested cold (§6).
    cold_night_threshold_c: f64,
    /// The target group by citizenship (§7), ISO 3166-1 alpha-2.
    target_citizenships: Vec<String>,
    /// The target group by residence permit (§7), ISO 3166-1 alpha-2.
    target_permit_countries: Vec<String>,
    /// Whether it is the rule set of tonight's new stays.
    in_force_tonight: bool,
    created_at: chrono::DateTime<chrono::Utc>,
}

impl RuleSetOut {
    fn of(s: StoredRuleSet, in_force: bool) -> Self {
        let r = s.rules;
        Self {
            id: s.id,
            effective_from: r.effective_from.to_string(),
            no_show_cutoff: r.no_show_cutoff.format("%H:%M").to_string(),
            regular_nights: r.regular_nights,
            women_nights: r.women_nights,
            quarantine_nights: r.quarantine_nights,
            no_show_ends_stay_after: r.no_show_ends_stay_after,
            booking_horizon_nights: r.booking_horizon_nights,
            cold_night_threshold_c: r.cold_night_threshold_c,
            target_citizenships: r.target_citizenships,
            target_permit_countries: r.target_permit_countries,
            in_force_tonight: in_force,
            created_at: s.created_at.and_utc(),
        }
    }
}

/// A new rule set. `effective_from` is required; every setting left out
/// is as in the newest rule set.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRuleSet {
    /// A night after the current night and after the newest rule set's.
    #[schema(format = Date, example = "2019-12-10")]
    effective_from: String,
    #[schema(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$", example = "23:00")]
    no_show_cutoff: Option<String>,
    #[schema(minimum = 1, maximum = 366)]
    regular_nights: Option<u32>,
    #[schema(minimum = 1, maximum = 366)]
    women_nights: Option<u32>,
    #[schema(minimum = 0, maximum = 366)]
    quarantine_nights: Option<u32>,
    #[schema(minimum = 1, maximum = 366)]
    no_show_ends_stay_after: Option<u32>,
    #[schema(minimum = 0, maximum = 366)]
    booking_horizon_nights: Option<u32>,
    #[schema(minimum = -60, maximum = 30)]
    cold_night_threshold_c: Option<f64>,
    #[schema(value_type = Option<Vec<String>>, example = json!(["RO", "BG"]))]
    target_citizenships: Option<Vec<String>>,
    #[schema(value_type = Option<Vec<String>>, example = json!(["RO", "BG"]))]
    target_permit_countries: Option<Vec<String>>,
}

impl NewRuleSet {
    /// The rule set asked for, on top of `newest`. What the service checks
    /// beyond the form of each field is `RuleSet::check_new`.
    fn parse(self, newest: RuleSet) -> Result<RuleSet, AppError> {
        let mut errors = Vec::new();
        let effective_from = parse_night("effective_from", Some(&self.effective_from), &mut errors);
        let no_show_cutoff = match self.no_show_cutoff.as_deref() {
            None => Some(newest.no_show_cutoff),
            Some(v) => match NaiveTime::parse_from_str(v, "%H:%M") {
                Ok(t) if v.len() == 5 => Some(t),
                _ => {
                    errors.push(FieldError::new(
                        "no_show_cutoff",
                        "must be a local time HH:MM, like 23:00",
                    ));
                    None
                }
            },
        };
        match (effective_from, no_show_cutoff, errors.is_empty()) {
            (Some(effective_from), Some(no_show_cutoff), true) => Ok(RuleSet {
                effective_from,
                no_show_cutoff,
                regular_nights: self.regular_nights.unwrap_or(newest.regular_nights),
                women_nights: self.women_nights.unwrap_or(newest.women_nights),
                quarantine_nights: self.quarantine_nights.unwrap_or(newest.quarantine_nights),
                no_show_ends_stay_after: self
                    .no_show_ends_stay_after
                    .unwrap_or(newest.no_show_ends_stay_after),
                booking_horizon_nights: self
                    .booking_horizon_nights
                    .unwrap_or(newest.booking_horizon_nights),
                cold_night_threshold_c: self
                    .cold_night_threshold_c
                    .unwrap_or(newest.cold_night_threshold_c),
                target_citizenships: self
                    .target_citizenships
                    .unwrap_or(newest.target_citizenships),
                target_permit_countries: self
                    .target_permit_countries
                    .unwrap_or(newest.target_permit_countries),
            }),
            _ => Err(AppError::Validation(errors)),
        }
    }
}

/// The rule sets, oldest first, each with whether tonight's new stays
/// are granted by it.
#[utoipa::path(tag = "rule-sets", security(("bearer" = [])), responses(
    (status = 200, body = Vec<RuleSetOut>),
    (status = 401, body = crate::api::Problem)
))]
#[get("/rule-sets")]
pub async fn list_rule_sets(
    state: web::Data<AppState>,
    _caller: Caller,
) -> Result<HttpResponse, AppError> {
    let service = state.service();
    let tonight = service.rules_now()?.night;
    let sets = service.run(svc::list).await?;
    let current = sets
        .iter()
        .filter(|s| s.rules.effective_from <= tonight)
        .map(|s| s.id.clone())
        .next_back()
        .or_else(|| sets.first().map(|s| s.id.clone()));
    let out: Vec<RuleSetOut> = sets
        .into_iter()
        .map(|s| {
            let in_force = current.as_deref() == Some(s.id.as_str());
            RuleSetOut::of(s, in_force)
        })
        .collect();
    Ok(HttpResponse::Ok().json(out))
}

/// Adds a rule set, used for the stays whose first night is on or after
/// its `effective_from`, on every instance, without a restart. Stays
/// already granted keep the length, karenstid and no-show limit they were
/// granted with.
#[utoipa::path(tag = "rule-sets", security(("bearer" = [])), request_body = NewRuleSet, responses(
    (status = 201, body = RuleSetOut),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 422, body = crate::api::Problem, description = "A setting out of range, or effective_from not after the current night and the newest rule set's night")
))]
#[post("/rule-sets")]
pub async fn create_rule_set(
    state: web::Data<AppState>,
    caller: Caller,
    tag: RequestTag,
    body: ApiJson<NewRuleSet>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(&[Role::Admin])?;
    let service = state.service();
    let new = body.0.parse(service.run(svc::newest).await?)?;
    let audit = crate::api::extract::audit(&caller, &tag, "rule_set.create", Target::default());
    let stored = service
        .run(move |ctx| svc::create(ctx, &audit, new))
        .await?;
    // Tells the other instances: they read the rule sets again.
    state.rules_changed().await;
    Ok(HttpResponse::Created().json(RuleSetOut::of(stored, false)))
}
