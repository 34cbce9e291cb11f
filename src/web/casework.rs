//! Incidents and bans, complaints and feedback, the survey entry form
//! (issue 17): another door onto the service functions the API calls.
//!
//! - The roles are the API's. Recording an incident (`POST /incidents`), a
//!   complaint (`POST /complaints`) or a survey answer
//!   (`POST /survey/responses`) is for coordinators and shelter staff, at
//!   their own shelters; the list of incidents (`GET /incidents`), a ban
//!   (`POST /bans`), the list of complaints with their texts
//!   (`GET /complaints`) and moving a complaint along
//!   (`PATCH /complaints/{id}`) are for coordinators. Anyone else gets a
//!   403 page saying who may.
//! - Reads are audited as the API's: `incident.list` (an entry per guest
//!   of each incident shown; the names are read in the same act),
//!   `complaint.list` (one per complaint read), `guest.search` (the
//!   intake search that finds the guests of an incident). Acts too:
//!   `incident.create`, `ban.create`, `complaint.create`,
//!   `complaint.update`.
//! - Every acting form carries an idempotency key made when it is shown:
//!   sent again, it acts once and leads to the first answer.
//! - The survey is not on the audit trail (as the API's): its form's key
//!   is claimed under no user's name and for no answer (see [`survey_keyed`]),
//!   so nothing kept of it joins an answer to who wrote it down.
//! - Refusals are said in words, with the status the API gives them.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::form::{self, Posted};
use super::i18n::{self, Lang, Texts};
use super::intake::{Found, find};
use super::session::{self, SignedIn};
use super::{PageCtx, page_texts, query_value};
use crate::api::extract::{RequestTag, audit};
use crate::api::state::AppState;
use crate::audit::Target;
use crate::auth::Caller;
use crate::domain::{Role, is_id};
use crate::error::{AppError, FieldError};
use crate::ids::{GuestId, ShelterId};
use crate::rules::Night;
use crate::service::feedback::{
    self as fb, COMPLAINT_CATEGORIES, COMPLAINT_KINDS, COMPLAINT_SOURCES, COMPLAINT_STATUSES,
    ComplaintView, NewComplaint, QUESTIONS, SurveyAnswer, YES_PARTLY_NO,
};
use crate::service::followup::{self as fu, IncidentView, NewIncident};
use crate::service::idempotency::Keyed;
use crate::service::stays::{self as stays, NewBan};

/// The roles that record incidents, complaints and survey answers (at
/// their own shelters): `POST /incidents`, `/complaints`,
/// `/survey/responses`.
pub const RECORD_ROLES: &[Role] = &[Role::Coordinator, Role::ShelterStaff];
/// The roles of `GET /incidents`, `POST /bans`, `GET /complaints` and
/// `PATCH /complaints/{id}`.
pub const COORDINATOR_ROLES: &[Role] = &[Role::Coordinator];

/// The kinds of incident (`POST /incidents`).
const INCIDENT_KINDS: [&str; 2] = ["threat", "violence"];
/// How many nights back the lists reach by default, as the API's.
const LISTED_NIGHTS: i64 = 30;
/// The widest period a list may show, as the API's.
const MAX_NIGHTS: i64 = 400;
/// The owner of the survey form's keys (see [`survey_keyed`]).
const SURVEY_KEYS: &str = "survey-form";

/// The routes of these pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(super::page_resource("/incidents").route(web::get().to(incidents)))
        .service(
            super::page_resource("/incidents/new")
                .route(web::get().to(new_incident))
                .route(web::post().to(record_incident)),
        )
        .service(super::page_resource("/incidents/{id}/ban").route(web::post().to(ban)))
        .service(super::page_resource("/complaints").route(web::get().to(complaints)))
        .service(
            super::page_resource("/complaints/new")
                .route(web::get().to(new_complaint))
                .route(web::post().to(record_complaint)),
        )
        .service(super::page_resource("/complaints/{id}").route(web::post().to(move_complaint)))
        .service(
            super::page_resource("/survey")
                .route(web::get().to(survey))
                .route(web::post().to(answer_survey)),
        );
}

// ------------------------------------------------------------- shared

fn ctx(lang: Lang, signed: &SignedIn, here: &'static str) -> PageCtx {
    PageCtx::new(lang, Some(signed.csrf().to_owned()), here)
}

fn t(lang: Lang, key: &str) -> String {
    i18n::text(lang, key, &[])
}

#[derive(Template)]
#[template(path = "case_denied.html")]
struct DeniedPage {
    page: PageCtx,
    /// Denied a coordinator's page (else a recording form).
    coordinator: bool,
}
page_texts!(DeniedPage);

fn denied(page: PageCtx, roles: &[Role]) -> HttpResponse {
    let page = PageCtx { here: "/", ..page };
    let coordinator = roles == COORDINATOR_ROLES;
    super::html(StatusCode::FORBIDDEN, &DeniedPage { page, coordinator })
}

/// The session of a page request, and it may use a page for `roles`; or
/// the answer to give instead.
async fn admitted(
    req: &HttpRequest,
    state: &AppState,
    roles: &[Role],
) -> Result<(SignedIn, Lang), HttpResponse> {
    let lang = Lang::of(req);
    let signed = match session::signed_in(req, state).await {
        Ok(Some(s)) => s,
        Ok(None) => return Err(super::to_login(req)),
        Err(e) => return Err(super::failed(req, PageCtx::new(lang, None, "/"), e)),
    };
    if signed.session.caller.require_any(roles).is_err() {
        return Err(denied(ctx(lang, &signed, "/"), roles));
    }
    Ok((signed, lang))
}

/// A form that passed its checks, from a role that may send it.
async fn posted_by(
    req: &HttpRequest,
    state: &AppState,
    body: &[u8],
    roles: &[Role],
) -> Result<Posted, HttpResponse> {
    let posted = form::posted(req, state, body).await?;
    if posted.caller().require_any(roles).is_err() {
        return Err(denied(posted.page("/"), roles));
    }
    Ok(posted)
}

/// The shelters by id with their names.
async fn shelter_names(state: &AppState) -> Result<HashMap<String, String>, AppError> {
    let all = crate::service::blocking(&state.pool, |conn| {
        Ok(crate::db::places::list_shelters(conn)?)
    })
    .await?;
    Ok(all.into_iter().map(|s| (s.id, s.name)).collect())
}

/// A shelter a form offers.
#[derive(Debug, Clone)]
pub struct ShelterChoice {
    pub id: String,
    pub name: String,
    pub selected: bool,
}

/// The shelters the caller may record for, by name; `chosen` selected.
async fn shelter_choices(
    state: &AppState,
    caller: &Caller,
    chosen: &str,
) -> Result<Vec<ShelterChoice>, AppError> {
    let scope = caller.scope();
    let mut out: Vec<ShelterChoice> = shelter_names(state)
        .await?
        .into_iter()
        .filter(|(id, _)| scope.allows(id))
        .map(|(id, name)| ShelterChoice {
            selected: id == chosen,
            id,
            name,
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// A choice of a closed set (a radio button or an option), in words.
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: &'static str,
    pub words: String,
    pub checked: bool,
}

fn choices(lang: Lang, prefix: &str, values: &[&'static str], chosen: &str) -> Vec<Choice> {
    values
        .iter()
        .map(|v| Choice {
            value: v,
            words: t(lang, &format!("{prefix}{v}")),
            checked: *v == chosen,
        })
        .collect()
}

/// Tonight, by the service's clock and the partnership's calendar.
fn tonight(state: &AppState) -> Night {
    state.partnership.calendar.night_of(state.clock.now())
}

/// A night typed into a form: blank is tonight (as the API's default).
fn typed_night(field: &str, typed: &str, errors: &mut Vec<FieldError>) -> Option<Night> {
    match typed.trim() {
        "" => None,
        t => crate::api::fields::parse_night(field, Some(t), errors),
    }
}

/// When something was recorded, in the partnership's zone and the page's
/// words.
fn when(state: &AppState, lang: Lang, at: DateTime<Utc>) -> String {
    let zone = state.partnership.calendar.zone;
    format!(
        "{} {}",
        i18n::date(lang, i18n::local_date(at, zone)),
        i18n::time(at, zone)
    )
}

/// A problem of a form, in words, with the status the API gives it.
#[derive(Debug, Clone)]
pub struct Problem {
    pub status: StatusCode,
    pub text: String,
}

/// The conflicts of these routes, each a `case-problem-CODE`.
const CONFLICT_CODES: &[&str] = &["complaint-transition", "request-in-progress"];

/// The fields a refusal may name, each a `case-field-FIELD` that says
/// what to mend (`guest_ids[2]` is `guest_ids`).
const FIELDS: &[&str] = &[
    "shelter_id",
    "night",
    "kind",
    "description",
    "guest_ids",
    "guest_id",
    "first_night",
    "last_night",
    "reason",
    "incident_ids",
    "source",
    "category",
    "text",
    "status",
    "response",
    "safe",
    "respected",
    "clean",
    "informed",
    "overall",
    "from",
    "to",
];

fn field_words(lang: Lang, field: &str) -> String {
    let name = field.split('[').next().unwrap_or(field);
    if name == "Idempotency-Key" {
        return t(lang, "case-field-key");
    }
    match FIELDS.iter().find(|f| **f == name) {
        Some(f) => t(lang, &format!("case-field-{f}")),
        None => t(lang, "case-problem-input"),
    }
}

fn problem(lang: Lang, e: &AppError) -> Problem {
    let text = match e {
        AppError::Conflict { code, .. } if CONFLICT_CODES.contains(code) => {
            t(lang, &format!("case-problem-{code}"))
        }
        AppError::Forbidden(_) => t(lang, "case-problem-shelter"),
        AppError::NotFound(_) => t(lang, "case-problem-not-found"),
        AppError::Validation(fields) => {
            let mut said: Vec<String> = Vec::new();
            for f in fields {
                let words = field_words(lang, &f.field);
                if !said.contains(&words) {
                    said.push(words);
                }
            }
            if said.is_empty() {
                t(lang, "case-problem-input")
            } else {
                said.join(" ")
            }
        }
        _ => t(lang, "case-problem-other"),
    };
    Problem {
        status: actix_web::ResponseError::status_code(e),
        text,
    }
}

/// Whether an error is one the page shows in words (else the failure
/// page: the database is gone, or something broke).
fn shown_in_words(e: &AppError) -> bool {
    !matches!(e, AppError::Unavailable(_) | AppError::Internal(_))
}

/// A period of nights asked of a list (`from`, `to`), as the API reads
/// it: `to` defaults to tonight, `from` to 30 nights before `to`, at most
/// 400 nights.
fn period(
    state: &AppState,
    from: &str,
    to: &str,
) -> Result<(Night, Night), (AppError, Night, Night)> {
    let mut errors = Vec::new();
    let f = typed_night("from", from, &mut errors);
    let t = typed_night("to", to, &mut errors);
    let to_night = t.unwrap_or_else(|| tonight(state));
    let from_night = f.unwrap_or(to_night.plus(-LISTED_NIGHTS));
    if !errors.is_empty() {
        return Err((AppError::Validation(errors), from_night, to_night));
    }
    if to_night < from_night || from_night.nights_until(to_night) > MAX_NIGHTS {
        return Err((
            AppError::validation("to", "must be from `from` to 400 nights after it"),
            from_night,
            to_night,
        ));
    }
    Ok((from_night, to_night))
}

// ---------------------------------------------------------- incidents

/// A guest of an incident, with the form that bans them from it.
#[derive(Debug, Clone)]
pub struct Involved {
    pub guest_id: String,
    pub name: String,
    pub key: String,
    /// The ban form's values (typed before, or the defaults).
    pub all_shelters: bool,
    pub first_night: String,
    pub last_night: String,
    pub reason: String,
    /// A refusal of this form, in words.
    pub problem: Option<String>,
}

/// An incident as the list shows it.
#[derive(Debug, Clone)]
pub struct IncidentShown {
    pub id: String,
    pub night: String,
    pub shelter_id: String,
    pub shelter: String,
    pub kind: String,
    pub kind_words: String,
    pub description: String,
    pub recorded: String,
    pub guests: Vec<Involved>,
}

#[derive(Template)]
#[template(path = "case_incidents.html")]
struct IncidentsPage {
    page: PageCtx,
    from: String,
    to: String,
    items: Vec<IncidentShown>,
    notice: Option<String>,
    problem: Option<Problem>,
}
page_texts!(IncidentsPage);

/// A ban form as it was sent, to show again with its refusal.
#[derive(Debug, Clone)]
struct BanTyped {
    incident_id: String,
    guest_id: String,
    all_shelters: bool,
    first_night: String,
    last_night: String,
    reason: String,
    problem: String,
}

/// The incidents as `GET /incidents` reads them (audited `incident.list`,
/// an entry per guest of each incident), with the guests' names read in
/// the same act.
async fn read_incidents(
    state: &AppState,
    caller: &Caller,
    tag: &RequestTag,
    from: Night,
    to: Night,
) -> Result<(Vec<IncidentView>, HashMap<String, String>), AppError> {
    let audit = audit(caller, tag, "incident.list", Target::default());
    state
        .service()
        .audited(
            audit,
            move |conn| {
                let list = fu::list_incidents(conn, from.date(), to.date())?;
                let mut ids: Vec<String> = list.iter().flat_map(|i| i.guest_ids.clone()).collect();
                ids.sort();
                ids.dedup();
                let mut names = HashMap::new();
                for chunk in ids.chunks(500) {
                    for g in crate::db::guests::get_many(conn, chunk)? {
                        names.insert(
                            g.id.to_string(),
                            format!("{} {}", g.given_name, g.family_name),
                        );
                    }
                }
                Ok((list, names))
            },
            |(list, _): &(Vec<IncidentView>, HashMap<String, String>)| {
                list.iter()
                    .flat_map(|i| i.guest_ids.iter().map(|g| Target::both(g, &i.id)))
                    .collect()
            },
        )
        .await
}

#[allow(clippy::too_many_arguments)]
async fn incidents_page(
    state: &AppState,
    tag: &RequestTag,
    signed: &SignedIn,
    page: PageCtx,
    from: &str,
    to: &str,
    notice: Option<String>,
    problem: Option<Problem>,
    typed: Option<BanTyped>,
) -> Result<HttpResponse, AppError> {
    let lang = page.lang;
    let caller = signed.session.caller.clone();
    let (period, problem) = match period(state, from, to) {
        Ok(p) => (Some(p), problem),
        Err((e, _, _)) if shown_in_words(&e) => (None, Some(self::problem(lang, &e))),
        Err((e, _, _)) => return Err(e),
    };
    let (items, from, to) = match period {
        Some((from, to)) => {
            let (list, names) = read_incidents(state, &caller, tag, from, to).await?;
            let shelters = shelter_names(state).await?;
            let tonight = tonight(state).date().to_string();
            let items = list
                .into_iter()
                .rev()
                .map(|i| {
                    let guests = i
                        .guest_ids
                        .iter()
                        .map(|g| {
                            let typed = typed
                                .as_ref()
                                .filter(|b| b.incident_id == i.id && b.guest_id == *g);
                            Involved {
                                guest_id: g.clone(),
                                name: names.get(g).cloned().unwrap_or_default(),
                                key: form::new_key(),
                                all_shelters: typed.is_some_and(|b| b.all_shelters),
                                first_night: typed
                                    .map_or_else(|| tonight.clone(), |b| b.first_night.clone()),
                                last_night: typed
                                    .map_or_else(|| tonight.clone(), |b| b.last_night.clone()),
                                reason: typed.map(|b| b.reason.clone()).unwrap_or_default(),
                                problem: typed.map(|b| b.problem.clone()),
                            }
                        })
                        .collect();
                    IncidentShown {
                        night: i18n::date(lang, i.night.date()),
                        shelter: shelters
                            .get(&i.shelter_id)
                            .cloned()
                            .unwrap_or_else(|| i.shelter_id.clone()),
                        kind_words: t(lang, &format!("case-incident-kind-{}", i.kind)),
                        recorded: when(state, lang, i.created_at),
                        shelter_id: i.shelter_id,
                        kind: i.kind,
                        description: i.description,
                        guests,
                        id: i.id,
                    }
                })
                .collect();
            (items, from.date().to_string(), to.date().to_string())
        }
        None => (Vec::new(), from.to_owned(), to.to_owned()),
    };
    let status = problem.as_ref().map_or(StatusCode::OK, |p| p.status);
    // A refused ban is said beside its form; once is enough.
    let shown_beside = items
        .iter()
        .any(|i| i.guests.iter().any(|g| g.problem.is_some()));
    Ok(super::html(
        status,
        &IncidentsPage {
            page,
            from,
            to,
            items,
            notice,
            problem: problem.filter(|_| !shown_beside),
        },
    ))
}

/// `GET /incidents[?from=&to=&done=]`: the coordinator's list of
/// incidents, newest first, each guest involved with the form that bans
/// them from it.
async fn incidents(req: HttpRequest, state: web::Data<AppState>, tag: RequestTag) -> HttpResponse {
    let (signed, lang) = match admitted(&req, &state, COORDINATOR_ROLES).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let page = ctx(lang, &signed, "/incidents");
    let from = query_value(&req, "from").unwrap_or_default();
    let to = query_value(&req, "to").unwrap_or_default();
    let notice = match query_value(&req, "done").as_deref() {
        Some("recorded") => Some(t(lang, "case-done-incident")),
        Some("banned") => Some(t(lang, "case-done-banned")),
        _ => None,
    };
    incidents_page(
        &state,
        &tag,
        &signed,
        page.clone(),
        &from,
        &to,
        notice,
        None,
        None,
    )
    .await
    .unwrap_or_else(|e| super::failed(&req, page, e))
}

/// A guest the search found, offered as one of the incident's guests.
#[derive(Debug, Clone)]
pub struct FoundChoice {
    pub found: Found,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "case_incident_new.html")]
struct IncidentFormPage {
    page: PageCtx,
    shelters: Vec<ShelterChoice>,
    night: String,
    kinds: Vec<Choice>,
    description: String,
    q: String,
    asked: bool,
    found: Vec<FoundChoice>,
    key: String,
    coordinator: bool,
    notice: Option<String>,
    problem: Option<Problem>,
}
page_texts!(IncidentFormPage);

/// What the incident form had (typed, or the defaults).
#[derive(Debug, Clone, Default)]
struct IncidentTyped {
    shelter_id: String,
    night: String,
    kind: String,
    description: String,
    q: String,
    guest_ids: Vec<String>,
}

async fn incident_form(
    state: &AppState,
    tag: &RequestTag,
    signed: &SignedIn,
    page: PageCtx,
    typed: IncidentTyped,
    notice: Option<String>,
    problem: Option<Problem>,
) -> Result<HttpResponse, AppError> {
    let lang = page.lang;
    let caller = signed.session.caller.clone();
    let (found, problem) = match find(state, &caller, tag, typed.q.clone()).await {
        Ok(found) => (found, problem),
        Err(e @ AppError::Validation(_)) => (Vec::new(), problem.or(Some(self::problem(lang, &e)))),
        Err(e) => return Err(e),
    };
    let found = found
        .into_iter()
        .map(|f| FoundChoice {
            checked: typed.guest_ids.contains(&f.id),
            found: f,
        })
        .collect();
    let night = if typed.night.is_empty() {
        tonight(state).date().to_string()
    } else {
        typed.night
    };
    let status = problem.as_ref().map_or(StatusCode::OK, |p| p.status);
    Ok(super::html(
        status,
        &IncidentFormPage {
            page,
            shelters: shelter_choices(state, &caller, &typed.shelter_id).await?,
            night,
            kinds: choices(lang, "case-incident-kind-", &INCIDENT_KINDS, &typed.kind),
            description: typed.description,
            asked: !typed.q.trim().is_empty(),
            q: typed.q,
            found,
            key: form::new_key(),
            coordinator: caller.has(Role::Coordinator),
            notice,
            problem,
        },
    ))
}

/// `GET /incidents/new[?q=&done=]`: the form that records an incident,
/// with the intake search to find the guests involved.
async fn new_incident(
    req: HttpRequest,
    state: web::Data<AppState>,
    tag: RequestTag,
) -> HttpResponse {
    let (signed, lang) = match admitted(&req, &state, RECORD_ROLES).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let page = ctx(lang, &signed, "/incidents/new");
    let notice = (query_value(&req, "done").as_deref() == Some("recorded"))
        .then(|| t(lang, "case-done-incident"));
    let typed = IncidentTyped {
        q: query_value(&req, "q").unwrap_or_default(),
        ..IncidentTyped::default()
    };
    incident_form(&state, &tag, &signed, page.clone(), typed, notice, None)
        .await
        .unwrap_or_else(|e| super::failed(&req, page, e))
}

/// The request an incident form's key is claimed for.
#[derive(Serialize)]
struct IncidentRequest<'a> {
    shelter_id: &'a str,
    night: NaiveDate,
    kind: &'a str,
    description: &'a str,
    guest_ids: &'a [String],
}

/// `POST /incidents/new` (`shelter_id`, `night`, `kind`, `description`,
/// `guest_ids`): records an incident as `POST /incidents` does.
async fn record_incident(
    req: HttpRequest,
    state: web::Data<AppState>,
    tag: RequestTag,
    body: web::Bytes,
) -> HttpResponse {
    let posted = match posted_by(&req, &state, &body, RECORD_ROLES).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let page = posted.page("/incidents/new");
    let mut guest_ids = form::all_of(&body, "guest_ids");
    guest_ids.sort();
    guest_ids.dedup();
    let typed = IncidentTyped {
        shelter_id: posted.text("shelter_id").unwrap_or_default(),
        night: posted.text("night").unwrap_or_default(),
        kind: posted.text("kind").unwrap_or_default(),
        description: posted.field("description").unwrap_or_default().to_owned(),
        q: posted.text("q").unwrap_or_default(),
        guest_ids,
    };
    let recorded = async {
        let mut errors = Vec::new();
        if !is_id(&typed.shelter_id) {
            errors.push(FieldError::new(
                "shelter_id",
                "is not an id of this service",
            ));
        }
        let night = typed_night("night", &typed.night, &mut errors);
        if !INCIDENT_KINDS.contains(&typed.kind.as_str()) {
            errors.push(FieldError::new("kind", "must be one of: threat, violence"));
        }
        let description = crate::api::text::free_text(&typed.description, 4000)
            .map_err(|m| errors.push(FieldError::new("description", m)))
            .unwrap_or_default();
        for (i, g) in typed.guest_ids.iter().enumerate() {
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
        let new = NewIncident {
            shelter_id: typed.shelter_id.clone(),
            night: night.unwrap_or_else(|| state.partnership.calendar.night_of(now)),
            kind: typed.kind.clone(),
            description,
            guest_ids: typed.guest_ids.clone(),
        };
        let keyed = posted.keyed(
            "POST /incidents",
            &IncidentRequest {
                shelter_id: &new.shelter_id,
                night: new.night.date(),
                kind: &new.kind,
                description: &new.description,
                guest_ids: &new.guest_ids,
            },
        );
        let caller = posted.caller().clone();
        let audit = audit(&caller, &tag, "incident.create", Target::default());
        state
            .service()
            .audited_once(
                audit,
                keyed,
                201,
                move |conn| fu::record_incident(conn, &new, &caller.scope(), &caller.user_id, now),
                |i: &IncidentView| i.guest_ids.iter().map(|g| Target::both(g, &i.id)).collect(),
            )
            .await
            .map(drop)
    }
    .await;
    match recorded {
        Ok(()) if posted.caller().has(Role::Coordinator) => {
            super::see_other("/incidents?done=recorded")
        }
        Ok(()) => super::see_other("/incidents/new?done=recorded"),
        Err(e) if shown_in_words(&e) => {
            let problem = problem(posted.lang, &e);
            incident_form(
                &state,
                &tag,
                &posted.signed,
                page.clone(),
                typed,
                None,
                Some(problem),
            )
            .await
            .unwrap_or_else(|e| super::failed(&req, page, e))
        }
        Err(e) => super::failed(&req, page, e),
    }
}

/// The request a ban form's key is claimed for: the API's body.
#[derive(Serialize)]
struct BanRequest<'a> {
    guest_id: &'a str,
    shelter_id: Option<&'a str>,
    first_night: NaiveDate,
    last_night: NaiveDate,
    reason: &'a str,
    incident_ids: [&'a str; 1],
}

/// `POST /incidents/{id}/ban` (`guest_id`, `shelter_id` (blank: all
/// shelters), `first_night`, `last_night`, `reason`): bans a guest of the
/// incident as `POST /bans` does, resting on the incident.
async fn ban(
    req: HttpRequest,
    state: web::Data<AppState>,
    tag: RequestTag,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let posted = match posted_by(&req, &state, &body, COORDINATOR_ROLES).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let page = posted.page("/incidents");
    let incident_id = path.into_inner();
    let guest_typed = posted.text("guest_id").unwrap_or_default();
    let shelter_typed = posted.text("shelter_id");
    let first_typed = posted.text("first_night").unwrap_or_default();
    let last_typed = posted.text("last_night").unwrap_or_default();
    let reason_typed = posted.field("reason").unwrap_or_default().to_owned();
    let banned = async {
        let mut errors = Vec::new();
        let guest_id: Option<GuestId> =
            crate::api::fields::id_field("guest_id", &guest_typed, &mut errors);
        let shelter_id: Option<ShelterId> = match shelter_typed.as_deref() {
            Some(s) => crate::api::fields::id_field("shelter_id", s, &mut errors),
            None => None,
        };
        let first = crate::api::fields::parse_night("first_night", Some(&first_typed), &mut errors);
        let last = crate::api::fields::parse_night("last_night", Some(&last_typed), &mut errors);
        if let (Some(f), Some(l)) = (first, last)
            && l < f
        {
            errors.push(FieldError::new(
                "last_night",
                "must not be before first_night",
            ));
        }
        let reason = crate::api::fields::reason_field(&reason_typed, &mut errors);
        if !is_id(&incident_id) {
            errors.push(FieldError::new(
                "incident_ids[0]",
                "is not an id of this service",
            ));
        }
        let (Some(guest_id), Some(first_night), Some(last_night), Some(reason), true) =
            (guest_id, first, last, reason, errors.is_empty())
        else {
            return Err(AppError::Validation(errors));
        };
        let keyed = posted.keyed(
            "POST /bans",
            &BanRequest {
                guest_id: guest_id.as_str(),
                shelter_id: shelter_id.as_ref().map(ShelterId::as_str),
                first_night: first_night.date(),
                last_night: last_night.date(),
                reason: &reason,
                incident_ids: [&incident_id],
            },
        );
        let new = NewBan {
            guest_id,
            incident_ids: vec![incident_id.clone()],
            shelter_id,
            first_night,
            last_night,
            reason,
        };
        let actor = posted.actor(&tag);
        state
            .service()
            .run(move |ctx| stays::ban_keyed(ctx, &actor, &keyed, &new))
            .await
            .map(drop)
    }
    .await;
    match banned {
        Ok(()) => {
            // A ban ends the stays it covers: the screens are told.
            state.changed().await;
            super::see_other("/incidents?done=banned")
        }
        Err(e) if shown_in_words(&e) => {
            let problem = problem(posted.lang, &e);
            let typed = BanTyped {
                incident_id,
                guest_id: guest_typed,
                all_shelters: shelter_typed.is_none(),
                first_night: first_typed,
                last_night: last_typed,
                reason: reason_typed,
                problem: problem.text.clone(),
            };
            incidents_page(
                &state,
                &tag,
                &posted.signed,
                page.clone(),
                "",
                "",
                None,
                Some(problem),
                Some(typed),
            )
            .await
            .unwrap_or_else(|e| super::failed(&req, page, e))
        }
        Err(e) => super::failed(&req, page, e),
    }
}

// --------------------------------------------------------- complaints

/// A step a complaint may take from where it is, in words.
#[derive(Debug, Clone)]
pub struct Step {
    pub status: &'static str,
    pub words: String,
}

/// A complaint as the coordinator's list shows it.
#[derive(Debug, Clone)]
pub struct ComplaintShown {
    pub id: String,
    pub shelter: String,
    pub night: String,
    pub source: String,
    pub kind: String,
    pub category: String,
    pub text: String,
    pub status: String,
    pub status_words: String,
    pub response: Option<String>,
    pub recorded: String,
    pub steps: Vec<Step>,
    pub key: String,
    /// The response field's value (typed before, or the answer given).
    pub response_typed: String,
    pub problem: Option<String>,
}

#[derive(Template)]
#[template(path = "case_complaints.html")]
struct ComplaintsPage {
    page: PageCtx,
    from: String,
    to: String,
    statuses: Vec<Choice>,
    items: Vec<ComplaintShown>,
    notice: Option<String>,
    problem: Option<Problem>,
}
page_texts!(ComplaintsPage);

/// A move of a complaint as it was sent, to show again with its refusal.
#[derive(Debug, Clone)]
struct MoveTyped {
    id: String,
    response: String,
    problem: String,
}

/// The filter of the list, as asked.
#[derive(Debug, Clone, Default)]
struct ComplaintFilter {
    from: String,
    to: String,
    status: String,
}

impl ComplaintFilter {
    fn of(get: impl Fn(&str) -> Option<String>) -> Self {
        Self {
            from: get("from").unwrap_or_default(),
            to: get("to").unwrap_or_default(),
            status: get("status").unwrap_or_default(),
        }
    }

    /// The list's address with this filter and `done`.
    fn address(&self, done: &str) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("from", &self.from),
            ("to", &self.to),
            ("status", &self.status),
        ] {
            if !v.is_empty() {
                q.append_pair(k, v);
            }
        }
        q.append_pair("done", done);
        format!("/complaints?{}", q.finish())
    }
}

#[allow(clippy::too_many_arguments)]
async fn complaints_page(
    state: &AppState,
    tag: &RequestTag,
    signed: &SignedIn,
    page: PageCtx,
    filter: &ComplaintFilter,
    notice: Option<String>,
    problem: Option<Problem>,
    typed: Option<MoveTyped>,
) -> Result<HttpResponse, AppError> {
    let lang = page.lang;
    let caller = signed.session.caller.clone();
    let status = filter.status.trim().to_owned();
    let mut problem = problem;
    let asked = match period(state, &filter.from, &filter.to) {
        Ok(_) if !status.is_empty() && !COMPLAINT_STATUSES.contains(&status.as_str()) => {
            problem = Some(self::problem(
                lang,
                &AppError::validation("status", "must be one of the statuses"),
            ));
            None
        }
        Ok(p) => Some(p),
        Err((e, _, _)) if shown_in_words(&e) => {
            problem = Some(self::problem(lang, &e));
            None
        }
        Err((e, _, _)) => return Err(e),
    };
    let (items, from, to) = match asked {
        Some((from, to)) => {
            // The texts may name people: each complaint read is an entry.
            let audit = audit(&caller, tag, "complaint.list", Target::default());
            let wanted = (!status.is_empty()).then(|| status.clone());
            let list = state
                .service()
                .audited(
                    audit,
                    move |conn| {
                        fb::list_complaints(conn, from.date(), to.date(), wanted.as_deref())
                    },
                    |list: &Vec<ComplaintView>| {
                        list.iter().map(|c| Target::subject(&c.id)).collect()
                    },
                )
                .await?;
            let shelters = shelter_names(state).await?;
            let items = list
                .into_iter()
                .rev()
                .map(|c| {
                    let typed = typed.as_ref().filter(|m| m.id == c.id);
                    ComplaintShown {
                        shelter: shelters
                            .get(&c.shelter_id)
                            .cloned()
                            .unwrap_or_else(|| c.shelter_id.clone()),
                        night: i18n::date(lang, c.night.date()),
                        source: t(lang, &format!("case-source-{}", c.source)),
                        kind: t(lang, &format!("case-kind-{}", c.kind)),
                        category: t(lang, &format!("case-category-{}", c.category)),
                        status_words: t(lang, &format!("case-status-{}", c.status)),
                        recorded: when(state, lang, c.created_at),
                        steps: COMPLAINT_STATUSES
                            .iter()
                            .filter(|s| fb::may_move(&c.status, s))
                            .map(|s| Step {
                                status: s,
                                words: t(lang, &format!("case-move-{s}")),
                            })
                            .collect(),
                        key: form::new_key(),
                        response_typed: typed.map_or_else(
                            || c.response.clone().unwrap_or_default(),
                            |m| m.response.clone(),
                        ),
                        problem: typed.map(|m| m.problem.clone()),
                        text: c.text,
                        status: c.status,
                        response: c.response,
                        id: c.id,
                    }
                })
                .collect();
            (items, from.date().to_string(), to.date().to_string())
        }
        None => (Vec::new(), filter.from.clone(), filter.to.clone()),
    };
    let code = problem.as_ref().map_or(StatusCode::OK, |p| p.status);
    // A refused move is said beside its form; once is enough.
    let shown_beside = items.iter().any(|c| c.problem.is_some());
    Ok(super::html(
        code,
        &ComplaintsPage {
            page,
            from,
            to,
            statuses: choices(lang, "case-status-", &COMPLAINT_STATUSES, &status),
            items,
            notice,
            problem: problem.filter(|_| !shown_beside),
        },
    ))
}

/// `GET /complaints[?from=&to=&status=&done=]`: the coordinator's list of
/// complaints and feedback with their texts, newest first, each with the
/// steps it may take.
async fn complaints(req: HttpRequest, state: web::Data<AppState>, tag: RequestTag) -> HttpResponse {
    let (signed, lang) = match admitted(&req, &state, COORDINATOR_ROLES).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let page = ctx(lang, &signed, "/complaints");
    let filter = ComplaintFilter::of(|k| query_value(&req, k));
    let notice =
        (query_value(&req, "done").as_deref() == Some("moved")).then(|| t(lang, "case-done-moved"));
    complaints_page(
        &state,
        &tag,
        &signed,
        page.clone(),
        &filter,
        notice,
        None,
        None,
    )
    .await
    .unwrap_or_else(|e| super::failed(&req, page, e))
}

/// The request a move form's key is claimed for: the API's body.
#[derive(Serialize)]
struct MoveRequest<'a> {
    id: &'a str,
    status: &'a str,
    response: Option<&'a str>,
}

/// `POST /complaints/{id}` (`status`, `response`): moves a complaint
/// along, as `PATCH /complaints/{id}` does.
async fn move_complaint(
    req: HttpRequest,
    state: web::Data<AppState>,
    tag: RequestTag,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let posted = match posted_by(&req, &state, &body, COORDINATOR_ROLES).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let page = posted.page("/complaints");
    let id = path.into_inner();
    let filter = ComplaintFilter::of(|k| posted.text(&format!("shown_{k}")));
    let response_typed = posted.field("response").unwrap_or_default().to_owned();
    let status = posted.text("status").unwrap_or_default();
    let moved = async {
        let mut errors = Vec::new();
        if !COMPLAINT_STATUSES.contains(&status.as_str()) {
            errors.push(FieldError::new("status", "must be one of the statuses"));
        }
        // Blank is "no response" (the API's field left out).
        let response = if response_typed.trim().is_empty() {
            None
        } else {
            crate::api::text::free_text(&response_typed, 4000)
                .map_err(|m| errors.push(FieldError::new("response", m)))
                .ok()
        };
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        if !is_id(&id) {
            return Err(AppError::not_found("complaint"));
        }
        let keyed = posted.keyed(
            &format!("PATCH /complaints/{id}"),
            &MoveRequest {
                id: &id,
                status: &status,
                response: response.as_deref(),
            },
        );
        let caller = posted.caller().clone();
        let audit = audit(&caller, &tag, "complaint.update", Target::subject(&id));
        let now = state.clock.now();
        let (id, status) = (id.clone(), status.clone());
        state
            .service()
            .audited_once(
                audit,
                keyed,
                200,
                move |conn| {
                    fb::update_complaint(
                        conn,
                        &id,
                        &status,
                        response.as_deref(),
                        &caller.user_id,
                        now,
                    )
                },
                |c: &ComplaintView| vec![Target::subject(&c.id)],
            )
            .await
            .map(drop)
    }
    .await;
    match moved {
        Ok(()) => super::see_other(&filter.address("moved")),
        Err(e) if shown_in_words(&e) => {
            let problem = problem(posted.lang, &e);
            let typed = MoveTyped {
                id,
                response: response_typed,
                problem: problem.text.clone(),
            };
            complaints_page(
                &state,
                &tag,
                &posted.signed,
                page.clone(),
                &filter,
                None,
                Some(problem),
                Some(typed),
            )
            .await
            .unwrap_or_else(|e| super::failed(&req, page, e))
        }
        Err(e) => super::failed(&req, page, e),
    }
}

#[derive(Template)]
#[template(path = "case_complaint_new.html")]
struct ComplaintFormPage {
    page: PageCtx,
    shelters: Vec<ShelterChoice>,
    night: String,
    sources: Vec<Choice>,
    kinds: Vec<Choice>,
    categories: Vec<Choice>,
    text: String,
    key: String,
    coordinator: bool,
    notice: Option<String>,
    problem: Option<Problem>,
}
page_texts!(ComplaintFormPage);

/// What the complaint form had (typed, or the defaults).
#[derive(Debug, Clone, Default)]
struct ComplaintTyped {
    shelter_id: String,
    night: String,
    source: String,
    kind: String,
    category: String,
    text: String,
}

async fn complaint_form(
    state: &AppState,
    signed: &SignedIn,
    page: PageCtx,
    typed: ComplaintTyped,
    notice: Option<String>,
    problem: Option<Problem>,
) -> Result<HttpResponse, AppError> {
    let lang = page.lang;
    let caller = &signed.session.caller;
    let night = if typed.night.is_empty() {
        tonight(state).date().to_string()
    } else {
        typed.night
    };
    let status = problem.as_ref().map_or(StatusCode::OK, |p| p.status);
    Ok(super::html(
        status,
        &ComplaintFormPage {
            shelters: shelter_choices(state, caller, &typed.shelter_id).await?,
            night,
            sources: choices(lang, "case-source-", &COMPLAINT_SOURCES, &typed.source),
            kinds: choices(lang, "case-kind-", &COMPLAINT_KINDS, &typed.kind),
            categories: choices(
                lang,
                "case-category-",
                &COMPLAINT_CATEGORIES,
                &typed.category,
            ),
            text: typed.text,
            key: form::new_key(),
            coordinator: caller.has(Role::Coordinator),
            notice,
            problem,
            page,
        },
    ))
}

/// `GET /complaints/new[?done=]`: the form that records a complaint or
/// feedback.
async fn new_complaint(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let (signed, lang) = match admitted(&req, &state, RECORD_ROLES).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let page = ctx(lang, &signed, "/complaints/new");
    let notice = (query_value(&req, "done").as_deref() == Some("recorded"))
        .then(|| t(lang, "case-done-complaint"));
    complaint_form(
        &state,
        &signed,
        page.clone(),
        ComplaintTyped::default(),
        notice,
        None,
    )
    .await
    .unwrap_or_else(|e| super::failed(&req, page, e))
}

/// The request a complaint form's key is claimed for: the API's body.
#[derive(Serialize)]
struct ComplaintRequest<'a> {
    shelter_id: &'a str,
    night: NaiveDate,
    source: &'a str,
    kind: &'a str,
    category: &'a str,
    text: &'a str,
}

fn one_of(field: &str, value: &str, allowed: &[&str], errors: &mut Vec<FieldError>) {
    if !allowed.contains(&value) {
        errors.push(FieldError::new(
            field,
            format!("must be one of: {}", allowed.join(", ")),
        ));
    }
}

/// `POST /complaints/new` (`shelter_id`, `night`, `source`, `kind`,
/// `category`, `text`): records a complaint as `POST /complaints` does.
async fn record_complaint(
    req: HttpRequest,
    state: web::Data<AppState>,
    tag: RequestTag,
    body: web::Bytes,
) -> HttpResponse {
    let posted = match posted_by(&req, &state, &body, RECORD_ROLES).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let page = posted.page("/complaints/new");
    let typed = ComplaintTyped {
        shelter_id: posted.text("shelter_id").unwrap_or_default(),
        night: posted.text("night").unwrap_or_default(),
        source: posted.text("source").unwrap_or_default(),
        kind: posted.text("kind").unwrap_or_default(),
        category: posted.text("category").unwrap_or_default(),
        text: posted.field("text").unwrap_or_default().to_owned(),
    };
    let recorded = async {
        let mut errors = Vec::new();
        if !is_id(&typed.shelter_id) {
            errors.push(FieldError::new(
                "shelter_id",
                "is not an id of this service",
            ));
        }
        let night = typed_night("night", &typed.night, &mut errors);
        one_of("source", &typed.source, &COMPLAINT_SOURCES, &mut errors);
        one_of("kind", &typed.kind, &COMPLAINT_KINDS, &mut errors);
        one_of(
            "category",
            &typed.category,
            &COMPLAINT_CATEGORIES,
            &mut errors,
        );
        let text = crate::api::text::free_text(&typed.text, 4000)
            .map_err(|m| errors.push(FieldError::new("text", m)))
            .unwrap_or_default();
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let now = state.clock.now();
        let new = NewComplaint {
            shelter_id: typed.shelter_id.clone(),
            night: night.unwrap_or_else(|| state.partnership.calendar.night_of(now)),
            source: typed.source.clone(),
            kind: typed.kind.clone(),
            category: typed.category.clone(),
            text,
        };
        let keyed = posted.keyed(
            "POST /complaints",
            &ComplaintRequest {
                shelter_id: &new.shelter_id,
                night: new.night.date(),
                source: &new.source,
                kind: &new.kind,
                category: &new.category,
                text: &new.text,
            },
        );
        let caller = posted.caller().clone();
        let audit = audit(&caller, &tag, "complaint.create", Target::default());
        state
            .service()
            .audited_once(
                audit,
                keyed,
                201,
                move |conn| fb::record_complaint(conn, &new, &caller.scope(), &caller.user_id, now),
                |c: &ComplaintView| vec![Target::subject(&c.id)],
            )
            .await
            .map(drop)
    }
    .await;
    match recorded {
        Ok(()) => super::see_other("/complaints/new?done=recorded"),
        Err(e) if shown_in_words(&e) => {
            let problem = problem(posted.lang, &e);
            complaint_form(
                &state,
                &posted.signed,
                page.clone(),
                typed,
                None,
                Some(problem),
            )
            .await
            .unwrap_or_else(|e| super::failed(&req, page, e))
        }
        Err(e) => super::failed(&req, page, e),
    }
}

// ------------------------------------------------------------ the survey

/// A question of the survey with its answers in words, the first "no
/// answer" (the question left out).
#[derive(Debug, Clone)]
pub struct QuestionShown {
    pub id: &'static str,
    pub text: String,
    pub answers: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "case_survey.html")]
struct SurveyPage {
    page: PageCtx,
    shelters: Vec<ShelterChoice>,
    night: String,
    questions: Vec<QuestionShown>,
    key: String,
    notice: Option<String>,
    problem: Option<Problem>,
}
page_texts!(SurveyPage);

/// The questionnaire of `GET /survey` in the page's words; `chosen` gives
/// each question's answer as sent.
fn questions(lang: Lang, chosen: &dyn Fn(&str) -> String) -> Vec<QuestionShown> {
    QUESTIONS
        .iter()
        .map(|q| {
            let picked = chosen(q.id);
            let mut answers = vec![Choice {
                value: "",
                words: t(lang, "case-survey-no-answer"),
                checked: picked.is_empty(),
            }];
            answers.extend(q.answers.iter().map(|a| Choice {
                value: a,
                words: t(lang, &format!("case-survey-a-{}-{a}", q.id)),
                checked: picked == *a,
            }));
            QuestionShown {
                id: q.id,
                text: t(lang, &format!("case-survey-q-{}", q.id)),
                answers,
            }
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
async fn survey_form(
    state: &AppState,
    signed: &SignedIn,
    page: PageCtx,
    shelter_id: &str,
    night: String,
    chosen: &dyn Fn(&str) -> String,
    notice: Option<String>,
    problem: Option<Problem>,
) -> Result<HttpResponse, AppError> {
    let lang = page.lang;
    let night = if night.is_empty() {
        tonight(state).date().to_string()
    } else {
        night
    };
    let status = problem.as_ref().map_or(StatusCode::OK, |p| p.status);
    Ok(super::html(
        status,
        &SurveyPage {
            shelters: shelter_choices(state, &signed.session.caller, shelter_id).await?,
            night,
            questions: questions(lang, chosen),
            key: form::new_key(),
            notice,
            problem,
            page,
        },
    ))
}

/// `GET /survey[?done=&shelter_id=]`: the survey's entry form, one
/// guest's answers at a time (after an answer, the same shelter again).
async fn survey(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let (signed, lang) = match admitted(&req, &state, RECORD_ROLES).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let page = ctx(lang, &signed, "/survey");
    let notice = (query_value(&req, "done").as_deref() == Some("saved"))
        .then(|| t(lang, "case-done-survey"));
    let shelter = query_value(&req, "shelter_id").unwrap_or_default();
    survey_form(
        &state,
        &signed,
        page.clone(),
        &shelter,
        String::new(),
        &|_| String::new(),
        notice,
        None,
    )
    .await
    .unwrap_or_else(|e| super::failed(&req, page, e))
}

/// The survey form's key, claimed so that nothing kept of it joins an
/// answer to who wrote it down (the API keeps the answer without its
/// user, its time of day and an audit entry, for that reason): the claim
/// is under no user's name ([`SURVEY_KEYS`]; the key is a fresh random id
/// made when the form was shown, so no two forms share one) and for no
/// request (a fingerprint of the answers would give them away: there are
/// few), and the answer kept with it is empty.
fn survey_keyed(posted: &Posted) -> Keyed {
    let mut keyed = posted.keyed("POST /survey/responses", &());
    keyed.user_id = SURVEY_KEYS.to_owned();
    keyed
}

/// `POST /survey` (`shelter_id`, `night`, `safe`, `respected`, `clean`,
/// `informed`, `overall`; each answer may be blank): records one guest's
/// answers as `POST /survey/responses` does. All blank is a guest who
/// declined: still an answer, counted.
async fn answer_survey(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    let posted = match posted_by(&req, &state, &body, RECORD_ROLES).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let page = posted.page("/survey");
    let shelter_id = posted.text("shelter_id").unwrap_or_default();
    let night_typed = posted.text("night").unwrap_or_default();
    let answer_of = |q: &str| posted.text(q).unwrap_or_default();
    let saved = async {
        let mut errors = Vec::new();
        if !is_id(&shelter_id) {
            errors.push(FieldError::new(
                "shelter_id",
                "is not an id of this service",
            ));
        }
        let night = typed_night("night", &night_typed, &mut errors);
        let mut yes_partly_no = |field: &str| {
            let v = answer_of(field);
            if v.is_empty() {
                return None;
            }
            one_of(field, &v, YES_PARTLY_NO, &mut errors);
            Some(v)
        };
        let (safe, respected, clean, informed) = (
            yes_partly_no("safe"),
            yes_partly_no("respected"),
            yes_partly_no("clean"),
            yes_partly_no("informed"),
        );
        let overall = match answer_of("overall").as_str() {
            "" => None,
            v => match v.parse::<i32>() {
                Ok(n) if (1..=5).contains(&n) => Some(n),
                _ => {
                    errors.push(FieldError::new("overall", "must be 1 to 5"));
                    None
                }
            },
        };
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let answer = SurveyAnswer {
            shelter_id: shelter_id.clone(),
            night: night.unwrap_or_else(|| tonight(&state)),
            safe,
            respected,
            clean,
            informed,
            overall,
        };
        let keyed = survey_keyed(&posted);
        let scope = posted.caller().scope();
        // Not audited, as the API's: see `survey_keyed`.
        state
            .service()
            .once(keyed, 201, move |conn| {
                fb::record_answer(conn, &answer, &scope).map(drop)
            })
            .await
            .map(drop)
    }
    .await;
    match saved {
        Ok(()) => {
            let q = form_urlencoded::Serializer::new(String::new())
                .append_pair("done", "saved")
                .append_pair("shelter_id", &shelter_id)
                .finish();
            super::see_other(&format!("/survey?{q}"))
        }
        Err(e) if shown_in_words(&e) => {
            let problem = problem(posted.lang, &e);
            survey_form(
                &state,
                &posted.signed,
                page.clone(),
                &shelter_id,
                night_typed,
                &answer_of,
                None,
                Some(problem),
            )
            .await
            .unwrap_or_else(|e| super::failed(&req, page, e))
        }
        Err(e) => super::failed(&req, page, e),
    }
}

/// The keys the code above builds (checked by a test).
#[cfg(test)]
fn built_keys() -> Vec<String> {
    let mut keys: Vec<String> = CONFLICT_CODES
        .iter()
        .map(|c| format!("case-problem-{c}"))
        .chain(FIELDS.iter().map(|f| format!("case-field-{f}")))
        .chain(
            INCIDENT_KINDS
                .iter()
                .map(|k| format!("case-incident-kind-{k}")),
        )
        .chain(COMPLAINT_SOURCES.iter().map(|k| format!("case-source-{k}")))
        .chain(COMPLAINT_KINDS.iter().map(|k| format!("case-kind-{k}")))
        .chain(
            COMPLAINT_CATEGORIES
                .iter()
                .map(|k| format!("case-category-{k}")),
        )
        .chain(
            COMPLAINT_STATUSES
                .iter()
                .map(|k| format!("case-status-{k}")),
        )
        .chain(COMPLAINT_STATUSES.iter().map(|k| format!("case-move-{k}")))
        .collect();
    for q in &QUESTIONS {
        keys.push(format!("case-survey-q-{}", q.id));
        for a in q.answers {
            keys.push(format!("case-survey-a-{}-{a}", q.id));
        }
    }
    keys.extend(
        [
            "case-field-key",
            "case-problem-shelter",
            "case-problem-not-found",
            "case-problem-input",
            "case-problem-other",
            "case-done-incident",
            "case-done-banned",
            "case-done-moved",
            "case-done-complaint",
            "case-done-survey",
            "case-survey-no-answer",
        ]
        .map(str::to_owned),
    );
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keys_the_casework_builds_are_in_every_catalogue() {
        i18n::tests::assert_in_every_catalogue(built_keys());
    }

    #[test]
    fn problems_are_said_in_words_with_the_api_s_status() {
        for lang in Lang::ALL {
            let transition = AppError::Conflict {
                code: "complaint-transition",
                detail: String::new(),
            };
            let p = problem(lang, &transition);
            assert_eq!(p.status, StatusCode::CONFLICT);
            assert!(!p.text.starts_with("case-"), "{}", p.text);
            let p = problem(lang, &AppError::not_found("complaint"));
            assert_eq!(p.status, StatusCode::NOT_FOUND);
            let p = problem(lang, &AppError::validation("guest_ids[3]", "no"));
            assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(p.text, t(lang, "case-field-guest_ids"));
            let p = problem(lang, &AppError::Forbidden("x".into()));
            assert_eq!(p.status, StatusCode::FORBIDDEN);
        }
    }

    #[test]
    fn every_question_of_the_survey_has_a_blank_first() {
        let shown = questions(Lang::Sv, &|_| String::new());
        assert_eq!(shown.len(), QUESTIONS.len());
        for q in shown {
            assert_eq!(q.answers[0].value, "");
            assert!(q.answers[0].checked);
        }
    }
}
