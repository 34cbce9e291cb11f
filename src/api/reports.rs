//! Reports (issue 7): occupancy per night, the follow-up report as JSON,
//! CSV and a printable HTML page, and the bed-night export.
//!
//! Coordinators and outreach read reports; they are aggregates without
//! names, with small counts of people suppressed (`service::suppression`).
//! The bed-night export is row by row (pseudonymous): coordinators only,
//! and every export is on the audit trail.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use chrono::NaiveDate;
use secrecy::ExposeSecret;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::extract::ApiQuery;
use crate::api::extract::RequestTag;
use crate::api::fields::parse_night;
use crate::api::report_formats;
use crate::api::state::AppState;
use crate::audit::Target;
use crate::auth::Caller;
use crate::domain::{Role, is_id};
use crate::error::{AppError, FieldError};
use crate::rules::Night;
use crate::service::reports::{self as svc, FollowUpReport, ReportInput, ShelterNightUse};

/// Who reads reports.
pub const REPORT_ROLES: &[Role] = &[Role::Coordinator, Role::Outreach];

/// The longest period of a report, in nights (a partnership year and a
/// leap day).
const MAX_NIGHTS: i64 = 366;
/// The longest period of the per-shelter occupancy.
const MAX_OCCUPANCY_NIGHTS: i64 = 92;

fn preset_schema() -> utoipa::openapi::schema::Object {
    crate::api::fields::enum_schema(&["half-year", "partnership-year"])
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// First night of the period (with `to`; not with `preset`).
    #[param(value_type = Option<String>, format = Date)]
    from: Option<String>,
    /// Last night of the period, at most 366 nights after `from`. Nights
    /// that are not over yet are left out (the answer says so in
    /// `period.cut_short_from`).
    #[param(value_type = Option<String>, format = Date)]
    to: Option<String>,
    /// `half-year` (1 May to 31 October, 1 November to 30 April) or
    /// `partnership-year` (1 May to 30 April), around the night `of`.
    #[param(schema_with = preset_schema)]
    preset: Option<String>,
    /// With `preset`: a night in the period wanted; defaults to the last
    /// night that is over.
    #[param(value_type = Option<String>, format = Date)]
    of: Option<String>,
}

impl PeriodQuery {
    /// A period as the pages' form sends it (`web::reports`), checked as
    /// the API's query is.
    pub(crate) fn new(
        from: Option<String>,
        to: Option<String>,
        preset: Option<String>,
        of: Option<String>,
    ) -> Self {
        Self {
            from,
            to,
            preset,
            of,
        }
    }
}

/// A period: nights, all of them over.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub preset: Option<String>,
    pub cut_short_from: Option<NaiveDate>,
    pub last_over: NaiveDate,
}

/// The last night that is over: the one before the current night.
fn last_over(state: &AppState) -> NaiveDate {
    state
        .partnership
        .calendar
        .night_of(state.clock.now())
        .plus(-1)
        .date()
}

fn resolve(q: &PeriodQuery, last_over: NaiveDate, max_nights: i64) -> Result<Resolved, AppError> {
    let mut errors = Vec::new();
    let from = parse_night("from", q.from.as_deref(), &mut errors);
    let to = parse_night("to", q.to.as_deref(), &mut errors);
    let of = parse_night("of", q.of.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let (from, to, preset) = match (&q.preset, from, to) {
        (Some(p), None, None) => {
            let of = of.map(Night::date).unwrap_or(last_over);
            let Some((a, b)) = svc::preset_period(p, of) else {
                return Err(AppError::validation(
                    "preset",
                    "must be one of: half-year, partnership-year",
                ));
            };
            (a, b, Some(p.clone()))
        }
        (Some(_), _, _) => {
            return Err(AppError::validation(
                "preset",
                "is given instead of from and to, not with them",
            ));
        }
        (None, Some(a), Some(b)) => {
            if of.is_some() {
                return Err(AppError::validation("of", "goes with preset only"));
            }
            (a.date(), b.date(), None)
        }
        (None, a, _) => {
            return Err(AppError::validation(
                if a.is_none() { "from" } else { "to" },
                "is required (or give preset)",
            ));
        }
    };
    if to < from || (to - from).num_days() + 1 > max_nights {
        return Err(AppError::validation(
            "to",
            format!("must be from `from` to {} nights after it", max_nights - 1),
        ));
    }
    if from > last_over {
        return Err(AppError::validation(
            "from",
            format!("must be a night that is over (the last is {last_over})"),
        ));
    }
    let cut_short_from = (to > last_over).then_some(to);
    Ok(Resolved {
        from,
        to: to.min(last_over),
        preset,
        cut_short_from,
        last_over,
    })
}

/// The follow-up report of a period and the turn-aways per night, on
/// the audit trail as `action`; the pages (`web::reports`) take theirs
/// through here too, so that both doors count and record alike.
pub(crate) async fn build(
    state: &web::Data<AppState>,
    caller: &Caller,
    tag: &RequestTag,
    query: &PeriodQuery,
    action: &'static str,
) -> Result<(FollowUpReport, Vec<(NaiveDate, i64)>), AppError> {
    let period = resolve(query, last_over(state), MAX_NIGHTS)?;
    let partnership = state.partnership.clone();
    let below = state.reports.suppress_below;
    let generated_at = state.clock.now();
    let (from, to) = (period.from, period.to);
    let report = crate::service::blocking(&state.pool, move |conn| {
        let report = svc::follow_up(
            conn,
            &partnership.calendar,
            ReportInput {
                from: period.from,
                to: period.to,
                preset: period.preset,
                cut_short_from: period.cut_short_from,
                below,
                generated_at,
                last_over: period.last_over,
            },
        )?;
        let turned = svc::turnaways_per_night(conn, from, to)?;
        Ok((report, turned))
    })
    .await?;
    // Aggregates without names; still, who took which report is kept.
    let audit = crate::api::extract::audit(caller, tag, action, Target::default());
    state
        .service()
        .audited(audit, |_| Ok(()), |_: &()| vec![Target::default()])
        .await?;
    Ok(report)
}

#[utoipa::path(tag = "reports", security(("bearer" = [])), params(PeriodQuery), responses(
    (status = 200, body = FollowUpReport, description = "The follow-up report. Every count of people is a number, \"<5\" (1 to 4, with the configured threshold) or \"x\" (withheld so that a \"<5\" cannot be worked out from a total)"),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 422, body = crate::api::Problem)
))]
#[get("/reports/follow-up")]
pub async fn follow_up(
    state: web::Data<AppState>,
    caller: Caller,
    tag: RequestTag,
    query: ApiQuery<PeriodQuery>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(REPORT_ROLES)?;
    let (report, _) = build(&state, &caller, &tag, &query.0, "report.follow-up").await?;
    Ok(HttpResponse::Ok().json(report))
}

/// `GET /reports/follow-up.csv`'s query: the period, and the form.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CsvPeriodQuery {
    /// As for the JSON report.
    #[param(value_type = Option<String>, format = Date)]
    from: Option<String>,
    /// As for the JSON report.
    #[param(value_type = Option<String>, format = Date)]
    to: Option<String>,
    /// As for the JSON report.
    #[param(schema_with = preset_schema)]
    preset: Option<String>,
    /// As for the JSON report.
    #[param(value_type = Option<String>, format = Date)]
    of: Option<String>,
    /// `comma` (default: for machines) or `excel` (UTF-8 with a byte order
    /// mark, semicolons: what Swedish Excel opens on a double click).
    #[param(schema_with = dialect_schema)]
    dialect: Option<String>,
}

fn dialect_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(["comma", "excel"]))
        .build()
}

#[utoipa::path(tag = "reports", security(("bearer" = [])), params(CsvPeriodQuery), responses(
    (status = 200, content_type = "text/csv", body = String, description = "The follow-up report as CSV, one figure a line: `section,table,organization_id,organization,column,value` (README, Reports); with `dialect=excel`, a byte order mark first and semicolons between fields"),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 422, body = crate::api::Problem)
))]
#[get("/reports/follow-up.csv")]
pub async fn follow_up_csv(
    state: web::Data<AppState>,
    caller: Caller,
    tag: RequestTag,
    query: ApiQuery<CsvPeriodQuery>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(REPORT_ROLES)?;
    let q = query.0;
    let dialect = report_formats::Dialect::parse(q.dialect.as_deref())?;
    let period = PeriodQuery {
        from: q.from,
        to: q.to,
        preset: q.preset,
        of: q.of,
    };
    let (report, _) = build(&state, &caller, &tag, &period, "report.follow-up").await?;
    Ok(follow_up_csv_answer(&report, dialect))
}

/// The follow-up CSV of a report as a download, in `dialect`; the pages'
/// download (`web::reports`) answers with the same body.
pub(crate) fn follow_up_csv_answer(
    report: &FollowUpReport,
    dialect: report_formats::Dialect,
) -> HttpResponse {
    let name = format!(
        "attachment; filename=\"follow-up-{}-{}{}.csv\"",
        report.period.from,
        report.period.to,
        if dialect == report_formats::Dialect::Excel {
            "-excel"
        } else {
            ""
        }
    );
    let body = format!(
        "{}{}",
        dialect.preamble(),
        dialect.lines(report_formats::follow_up_csv(report))
    );
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, name))
        .body(body)
}

/// The one page that carries inline styles and SVG: no scripts, nothing
/// fetched.
const HTML_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

#[utoipa::path(tag = "reports", security(("bearer" = [])), params(PeriodQuery), responses(
    (status = 200, content_type = "text/html", body = String, description = "The follow-up report as a printable page with charts (inline SVG; nothing is fetched)"),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 422, body = crate::api::Problem)
))]
#[get("/reports/follow-up.html")]
pub async fn follow_up_html(
    state: web::Data<AppState>,
    caller: Caller,
    tag: RequestTag,
    query: ApiQuery<PeriodQuery>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(REPORT_ROLES)?;
    let (report, turned) = build(&state, &caller, &tag, &query.0, "report.follow-up").await?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, HTML_CSP))
        .body(report_formats::follow_up_html(&report, &turned)))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OccupancyQuery {
    /// First night.
    #[param(value_type = String, format = Date)]
    from: Option<String>,
    /// Last night, at most 91 nights after `from`; nights not over yet are
    /// left out.
    #[param(value_type = String, format = Date)]
    to: Option<String>,
    /// Only this shelter.
    #[param(value_type = Option<crate::api::fields::Id>, inline)]
    shelter_id: Option<String>,
}

#[utoipa::path(tag = "reports", security(("bearer" = [])), params(OccupancyQuery), responses(
    (status = 200, body = Vec<ShelterNightUse>, description = "Per night, shelter and category: places, occupied, no-shows, free; placements; whether it was a cold night"),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 404, body = crate::api::Problem),
    (status = 422, body = crate::api::Problem)
))]
#[get("/reports/occupancy")]
pub async fn occupancy(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<OccupancyQuery>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(REPORT_ROLES)?;
    let q = query.0;
    if let Some(id) = &q.shelter_id
        && !is_id(id)
    {
        return Err(AppError::Validation(vec![FieldError::new(
            "shelter_id",
            "is not a shelter id",
        )]));
    }
    let period = resolve(
        &PeriodQuery {
            from: q.from,
            to: q.to,
            preset: None,
            of: None,
        },
        last_over(&state),
        MAX_OCCUPANCY_NIGHTS,
    )?;
    let shelter = q.shelter_id;
    let rows = crate::service::blocking(&state.pool, move |conn| {
        if let Some(s) = &shelter
            && !crate::db::places::shelter_exists(conn, s)?
        {
            return Err(AppError::not_found("shelter"));
        }
        svc::occupancy_per_shelter(conn, period.from, period.to, shelter.as_deref())
    })
    .await?;
    Ok(HttpResponse::Ok().json(rows))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// First night.
    #[param(value_type = String, format = Date)]
    from: Option<String>,
    /// Last night, at most 365 nights after `from`; nights not over yet are
    /// left out.
    #[param(value_type = String, format = Date)]
    to: Option<String>,
    /// `comma` (default: for machines) or `excel` (UTF-8 with a byte order
    /// mark, semicolons: what Swedish Excel opens on a double click).
    #[param(schema_with = dialect_schema)]
    dialect: Option<String>,
}

#[utoipa::path(tag = "reports", security(("bearer" = [])), params(ExportQuery), responses(
    (status = 200, content_type = "text/csv", body = String, description = "One line per guest per bed night: `guest,night,shelter_id,category,kind` (README, Reports). `guest` is a pseudonym: the first 32 hex digits of HMAC-SHA256 of the guest's id under the service's export secret, the same in every export"),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 422, body = crate::api::Problem)
))]
#[get("/reports/bed-nights.csv")]
pub async fn bed_nights(
    state: web::Data<AppState>,
    caller: Caller,
    tag: RequestTag,
    query: ApiQuery<ExportQuery>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(&[Role::Coordinator])?;
    let q = query.0;
    let dialect = report_formats::Dialect::parse(q.dialect.as_deref())?;
    let period = resolve(
        &PeriodQuery {
            from: q.from,
            to: q.to,
            preset: None,
            of: None,
        },
        last_over(&state),
        MAX_NIGHTS,
    )?;
    // Written down before the first line leaves.
    let audit = crate::api::extract::audit(&caller, &tag, "report.bed-nights", Target::default());
    state
        .service()
        .audited(audit, |_| Ok(()), |_: &()| vec![Target::default()])
        .await?;
    let name = format!(
        "attachment; filename=\"bed-nights-{}-{}{}.csv\"",
        period.from,
        period.to,
        if dialect == report_formats::Dialect::Excel {
            "-excel"
        } else {
            ""
        }
    );
    let pool = state.pool.clone();
    let secret: std::sync::Arc<[u8]> = state
        .reports
        .pseudonym_secret
        .expose_secret()
        .as_bytes()
        .into();
    let header_line = futures_util::stream::once(async move {
        Ok::<_, AppError>(web::Bytes::from(format!(
            "{}{}",
            dialect.preamble(),
            dialect.lines("guest,night,shelter_id,category,kind\r\n".to_owned())
        )))
    });
    let nights = futures_util::stream::unfold(Some(period.from), move |next| {
        let pool = pool.clone();
        let secret = secret.clone();
        let to = period.to;
        async move {
            let night = next?;
            let following = night.succ_opt().filter(|n| *n <= to);
            let chunk = crate::service::blocking(&pool, move |conn| {
                svc::export_night(conn, &secret, night)
            })
            .await
            .map(|lines| web::Bytes::from(dialect.lines(lines)));
            Some((chunk, following))
        }
    });
    use futures_util::StreamExt;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, name))
        .streaming(header_line.chain(nights)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn q(
        from: Option<&str>,
        to: Option<&str>,
        preset: Option<&str>,
        of: Option<&str>,
    ) -> PeriodQuery {
        PeriodQuery {
            from: from.map(str::to_owned),
            to: to.map(str::to_owned),
            preset: preset.map(str::to_owned),
            of: of.map(str::to_owned),
        }
    }

    #[test]
    fn periods_are_cut_at_the_last_night_that_is_over() {
        let r = resolve(
            &q(Some("2019-12-01"), Some("2019-12-31"), None, None),
            d("2019-12-20"),
            366,
        )
        .unwrap();
        assert_eq!(
            (r.from, r.to, r.cut_short_from),
            (d("2019-12-01"), d("2019-12-20"), Some(d("2019-12-31")))
        );
        let r = resolve(
            &q(None, None, Some("half-year"), None),
            d("2020-01-10"),
            366,
        )
        .unwrap();
        assert_eq!((r.from, r.to), (d("2019-11-01"), d("2020-01-10")));
        assert!(
            resolve(
                &q(Some("2019-12-21"), Some("2019-12-31"), None, None),
                d("2019-12-20"),
                366
            )
            .is_err()
        );
        assert!(
            resolve(
                &q(Some("2019-12-01"), None, None, None),
                d("2019-12-20"),
                366
            )
            .is_err()
        );
        assert!(
            resolve(
                &q(Some("2019-12-01"), Some("2019-11-01"), None, None),
                d("2019-12-20"),
                366
            )
            .is_err()
        );
        assert!(resolve(&q(None, None, Some("decade"), None), d("2019-12-20"), 366).is_err());
    }
}
