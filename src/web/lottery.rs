//! Intake by lottery (RULES.md §9, issue 17): open an intake session,
//! register applicants (found with the intake search), draw, see the
//! winners and the others, and the verification a person can check by
//! hand (the seed, every applicant's ticket, the order).
//!
//! - The roles are the API's: `POST /intake-sessions`, its applicants,
//!   its draw and `GET /intake-sessions/{id}` are for coordinators and
//!   shelter staff (at the session's shelters); the verification also for
//!   outreach and admins. Anyone else gets a 403 page.
//! - Every act is the service's (`service::lottery`), with the audit
//!   entries the API writes (`lottery.apply`, `lottery.draw`); the reads
//!   too (`lottery.read`, `guest.search`). The draw and its replay are the
//!   rules' (`rules::lottery`): this module only shows them.
//! - Every acting form carries an idempotency key made when it is shown
//!   (`service::lottery::*_keyed`): a form sent again acts once and leads
//!   to the first answer.
//! - The verification shows guests' ids, never names (outreach and admins
//!   see no names; the ticket is computed from the id).

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
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
use crate::domain::{PlaceCategory, Role, is_id};
use crate::error::AppError;
use crate::rules::Night;
use crate::service::lottery::{self as svc, DrawRecord, SessionView};

/// The roles of `POST /intake-sessions` and its neighbours.
pub const INTAKE_ROLES: &[Role] = &[Role::Coordinator, Role::ShelterStaff];
/// The roles of `GET /intake-sessions/{id}/verify`.
pub const VERIFY_ROLES: &[Role] = &[
    Role::Coordinator,
    Role::ShelterStaff,
    Role::Outreach,
    Role::Admin,
];

/// How many nights back the list of sessions reaches.
const LISTED_NIGHTS: i64 = 14;

/// The routes of these pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        super::page_resource("/lottery")
            .route(web::get().to(index))
            .route(web::post().to(open)),
    )
    .service(super::page_resource("/lottery/verify").route(web::get().to(find_verification)))
    .service(super::page_resource("/lottery/sessions/{id}").route(web::get().to(session_page)))
    .service(
        super::page_resource("/lottery/sessions/{id}/applicants").route(web::post().to(register)),
    )
    .service(super::page_resource("/lottery/sessions/{id}/draw").route(web::post().to(draw)))
    .service(super::page_resource("/lottery/sessions/{id}/verify").route(web::get().to(verify)));
}

// ------------------------------------------------------------- shared

fn ctx(lang: Lang, signed: &SignedIn, here: &'static str) -> PageCtx {
    PageCtx::new(lang, Some(signed.csrf().to_owned()), here)
}

#[derive(Template)]
#[template(path = "lottery_denied.html")]
struct DeniedPage {
    page: PageCtx,
    /// Denied the verification (then only outreach and admins are named
    /// besides the intake roles).
    verify: bool,
}
page_texts!(DeniedPage);

fn denied(page: PageCtx, verify: bool) -> HttpResponse {
    let page = PageCtx { here: "/", ..page };
    super::html(StatusCode::FORBIDDEN, &DeniedPage { page, verify })
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
        return Err(denied(ctx(lang, &signed, "/"), roles == VERIFY_ROLES));
    }
    Ok((signed, lang))
}

/// A form that passed its checks, from a role that may use it.
async fn posted_by(
    req: &HttpRequest,
    state: &AppState,
    body: &[u8],
) -> Result<Posted, HttpResponse> {
    let posted = form::posted(req, state, body).await?;
    if posted.caller().require_any(INTAKE_ROLES).is_err() {
        return Err(denied(posted.page("/"), false));
    }
    Ok(posted)
}

/// The shelters by id, and the names of a list of them.
async fn shelter_names(state: &AppState) -> Result<HashMap<String, String>, AppError> {
    let all = crate::service::blocking(&state.pool, |conn| {
        Ok(crate::db::places::list_shelters(conn)?)
    })
    .await?;
    Ok(all.into_iter().map(|s| (s.id, s.name)).collect())
}

fn names_of(names: &HashMap<String, String>, ids: &[String]) -> String {
    let mut shown: Vec<&str> = ids
        .iter()
        .map(|id| names.get(id).map_or(id.as_str(), String::as_str))
        .collect();
    shown.sort_unstable();
    shown.join(", ")
}

/// A problem of a form, in words, with the status the API gives it.
#[derive(Debug, Clone)]
pub struct Problem {
    pub status: StatusCode,
    pub text: String,
}

/// The conflicts of the lottery's routes, each a `lottery-problem-CODE`.
const CONFLICT_CODES: &[&str] = &[
    "session-closed",
    "already-registered",
    "not-drawn",
    "request-in-progress",
];

fn problem(lang: Lang, e: &AppError) -> Problem {
    let t = |key: &str| i18n::text(lang, key, &[]);
    let text = match e {
        AppError::Conflict { code, .. } if CONFLICT_CODES.contains(code) => {
            t(&format!("lottery-problem-{code}"))
        }
        AppError::Refused(r) if r.code() == "night-out-of-range" => t("lottery-problem-night"),
        AppError::Forbidden(_) => t("lottery-problem-shelter"),
        AppError::NotFound(_) => t("lottery-problem-not-found"),
        AppError::Validation(fields) if fields.iter().any(|f| f.field == "first_night") => {
            t("lottery-problem-night")
        }
        AppError::Validation(fields) if fields.iter().any(|f| f.field == "shelter_ids") => {
            t("lottery-problem-no-shelter")
        }
        AppError::Validation(fields) if fields.iter().any(|f| f.field == "Idempotency-Key") => {
            t("lottery-problem-key")
        }
        AppError::Validation(_) => t("lottery-problem-input"),
        _ => t("lottery-problem-other"),
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

// ------------------------------------------------------------- the index

/// A shelter the open form offers.
#[derive(Debug, Clone)]
pub struct ShelterChoice {
    pub id: String,
    pub name: String,
    pub checked: bool,
}

/// A session as the list shows it.
#[derive(Debug, Clone)]
pub struct Listed {
    pub id: String,
    pub night: String,
    pub shelters: String,
    pub drawn: bool,
    pub applicants: usize,
}

#[derive(Template)]
#[template(path = "lottery.html")]
struct IndexPage {
    page: PageCtx,
    shelters: Vec<ShelterChoice>,
    first_night: String,
    sessions: Vec<Listed>,
    key: String,
    problem: Option<Problem>,
}
page_texts!(IndexPage);

async fn index_page(
    state: &AppState,
    signed: &SignedIn,
    page: PageCtx,
    chosen: &[String],
    first_night: String,
    problem: Option<Problem>,
) -> Result<HttpResponse, AppError> {
    let lang = page.lang;
    let caller = signed.session.caller.clone();
    let scope = caller.scope();
    let names = shelter_names(state).await?;
    let mut shelters: Vec<ShelterChoice> = names
        .iter()
        .filter(|(id, _)| scope.allows(id))
        .map(|(id, name)| ShelterChoice {
            id: id.clone(),
            name: name.clone(),
            checked: chosen.contains(id),
        })
        .collect();
    shelters.sort_by(|a, b| a.name.cmp(&b.name));
    let tonight = state.service().rules_now()?.night;
    let from = Night::new(tonight.date() - chrono::Days::new(LISTED_NIGHTS.unsigned_abs()));
    let listed =
        crate::service::blocking(&state.pool, move |conn| svc::list(conn, &scope, from)).await?;
    let sessions = listed
        .into_iter()
        .map(|s| Listed {
            night: i18n::date(lang, s.first_night.date()),
            shelters: names_of(&names, &s.shelter_ids),
            drawn: s.status == "drawn",
            applicants: s.applicants,
            id: s.id,
        })
        .collect();
    let first_night = if first_night.is_empty() {
        tonight.date().to_string()
    } else {
        first_night
    };
    let status = problem.as_ref().map_or(StatusCode::OK, |p| p.status);
    Ok(super::html(
        status,
        &IndexPage {
            page,
            shelters,
            first_night,
            sessions,
            key: form::new_key(),
            problem,
        },
    ))
}

/// `GET /lottery`: the form that opens a session, and the sessions of
/// the last two weeks at the caller's shelters.
async fn index(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let (signed, lang) = match admitted(&req, &state, INTAKE_ROLES).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let page = ctx(lang, &signed, "/lottery");
    match index_page(&state, &signed, page.clone(), &[], String::new(), None).await {
        Ok(res) => res,
        Err(e) => super::failed(&req, page, e),
    }
}

/// The request an open form's key is claimed for.
#[derive(Serialize)]
struct OpenRequest<'a> {
    shelter_ids: &'a [String],
    first_night: Option<NaiveDate>,
}

/// What the page reads of an answer of the service: the session's id.
#[derive(serde::Deserialize)]
struct Answered {
    id: String,
}

/// `POST /lottery` (`shelter_ids`, `first_night`): opens a session and
/// leads to it.
async fn open(
    req: HttpRequest,
    state: web::Data<AppState>,
    tag: RequestTag,
    body: web::Bytes,
) -> HttpResponse {
    let posted = match posted_by(&req, &state, &body).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let page = posted.page("/lottery");
    let mut chosen: Vec<String> = form_urlencoded::parse(&body)
        .filter(|(k, _)| k == "shelter_ids")
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect();
    chosen.sort();
    chosen.dedup();
    let night_typed = posted.text("first_night").unwrap_or_default();
    let opened = async {
        if chosen.is_empty() {
            return Err(AppError::validation(
                "shelter_ids",
                "must name at least one shelter",
            ));
        }
        if !chosen.iter().all(|s| is_id(s)) {
            return Err(AppError::validation(
                "shelter_ids",
                "is not an id of this service",
            ));
        }
        let first_night = match night_typed.as_str() {
            "" => None,
            typed => Some(
                typed
                    .parse::<Night>()
                    .map_err(|e| AppError::validation("first_night", e.to_string()))?,
            ),
        };
        let keyed = posted.keyed(
            "POST /lottery",
            &OpenRequest {
                shelter_ids: &chosen,
                first_night: first_night.map(Night::date),
            },
        );
        let actor = posted.actor(&tag);
        let shelters = chosen.clone();
        let (_, answer) = state
            .service()
            .run(move |ctx| svc::open_keyed(ctx, &actor, &keyed, &shelters, first_night))
            .await?;
        serde_json::from_value::<Answered>(answer).map_err(|e| AppError::Internal(e.into()))
    }
    .await;
    match opened {
        Ok(session) => super::see_other(&format!("/lottery/sessions/{}", session.id)),
        Err(e) if shown_in_words(&e) => {
            let problem = problem(posted.lang, &e);
            index_page(
                &state,
                &posted.signed,
                page.clone(),
                &chosen,
                night_typed,
                Some(problem),
            )
            .await
            .unwrap_or_else(|e| super::failed(&req, page, e))
        }
        Err(e) => super::failed(&req, page, e),
    }
}

// ------------------------------------------------------------- a session

/// An applicant as the session's page shows them.
#[derive(Debug, Clone)]
pub struct Applicant {
    pub position: i32,
    pub guest_id: String,
    pub name: String,
    /// After the draw: what came of it, in words.
    pub outcome: String,
}

/// A guest found by the search, with the form that registers them.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub found: Found,
    pub registered: bool,
    pub key: String,
}

#[derive(Template)]
#[template(path = "lottery_session.html")]
struct SessionPage {
    page: PageCtx,
    id: String,
    night: String,
    shelters: String,
    open: bool,
    applicants: Vec<Applicant>,
    winners: Vec<Applicant>,
    others: Vec<Applicant>,
    q: String,
    asked: bool,
    candidates: Vec<Candidate>,
    draw_key: String,
    notice: Option<String>,
    problem: Option<Problem>,
}
page_texts!(SessionPage);

/// The codes an applicant may be found ineligible with at the draw,
/// each a `lottery-why-CODE` text.
const WHY_CODES: &[&str] = &[
    "outside-target-group",
    "minor",
    "already-has-stay",
    "already-placed",
    "in-quarantine",
    "banned",
    "night-out-of-range",
];

fn outcome_words(lang: Lang, outcome: Option<&str>, code: Option<&str>) -> String {
    let t = |key: &str| i18n::text(lang, key, &[]);
    match (outcome, code) {
        (Some("won"), _) => t("lottery-outcome-won"),
        (Some("lost"), _) => t("lottery-outcome-lost"),
        (Some("ineligible"), Some(code)) if WHY_CODES.contains(&code) => {
            t(&format!("lottery-why-{code}"))
        }
        (Some("ineligible"), _) => t("lottery-why-other"),
        _ => String::new(),
    }
}

/// The session as `GET /intake-sessions/{id}` reads it (audited
/// `lottery.read`, an entry per applicant), with the applicants' names
/// read in the same act.
async fn read_session(
    state: &AppState,
    caller: &Caller,
    tag: &RequestTag,
    id: &str,
) -> Result<(SessionView, HashMap<String, String>), AppError> {
    let audit = audit(caller, tag, "lottery.read", Target::subject(id));
    let scope = caller.scope();
    let id = id.to_owned();
    state
        .service()
        .audited(
            audit,
            move |conn| {
                let view = svc::get(conn, &id, &scope)?;
                let mut names = HashMap::new();
                for a in &view.applicants {
                    if let Some(g) = crate::db::guests::get(conn, &a.guest_id)? {
                        names.insert(
                            a.guest_id.clone(),
                            format!("{} {}", g.given_name, g.family_name),
                        );
                    }
                }
                Ok((view, names))
            },
            |(s, _): &(SessionView, HashMap<String, String>)| {
                s.applicants
                    .iter()
                    .map(|a| Target::both(&a.guest_id, &s.id))
                    .collect()
            },
        )
        .await
}

#[allow(clippy::too_many_arguments)]
async fn show_session(
    state: &AppState,
    tag: &RequestTag,
    signed: &SignedIn,
    page: PageCtx,
    id: &str,
    q: String,
    notice: Option<String>,
    problem: Option<Problem>,
) -> Result<HttpResponse, AppError> {
    let lang = page.lang;
    let caller = signed.session.caller.clone();
    let (view, names) = read_session(state, &caller, tag, id).await?;
    let open = view.status == "open";
    let candidates = if open {
        match find(state, &caller, tag, q.clone()).await {
            Ok(found) => found,
            Err(AppError::Validation(_)) => Vec::new(),
            Err(e) => return Err(e),
        }
    } else {
        Vec::new()
    }
    .into_iter()
    .map(|found| Candidate {
        registered: view.applicants.iter().any(|a| a.guest_id == found.id),
        found,
        key: form::new_key(),
    })
    .collect();
    let shelters = names_of(&shelter_names(state).await?, &view.shelter_ids);
    let shown: Vec<(Applicant, Option<String>)> = view
        .applicants
        .iter()
        .map(|a| {
            (
                Applicant {
                    position: a.position,
                    guest_id: a.guest_id.clone(),
                    name: names.get(&a.guest_id).cloned().unwrap_or_default(),
                    outcome: outcome_words(lang, a.outcome.as_deref(), a.code.as_deref()),
                },
                a.outcome.clone(),
            )
        })
        .collect();
    let (winners, others): (Vec<_>, Vec<_>) = shown
        .iter()
        .cloned()
        .partition(|(_, o)| o.as_deref() == Some("won"));
    let status = problem.as_ref().map_or(StatusCode::OK, |p| p.status);
    Ok(super::html(
        status,
        &SessionPage {
            page,
            id: view.id.clone(),
            night: i18n::date(lang, view.first_night.date()),
            shelters,
            open,
            applicants: shown.into_iter().map(|(a, _)| a).collect(),
            winners: winners.into_iter().map(|(a, _)| a).collect(),
            others: others.into_iter().map(|(a, _)| a).collect(),
            asked: !q.trim().is_empty(),
            q,
            candidates,
            draw_key: form::new_key(),
            notice,
            problem,
        },
    ))
}

/// `GET /lottery/sessions/{id}[?q=&done=]`: the session; open, its
/// applicants, the search to register more and the draw; drawn, the
/// winners and the others.
async fn session_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    tag: RequestTag,
    path: web::Path<String>,
) -> HttpResponse {
    let (signed, lang) = match admitted(&req, &state, INTAKE_ROLES).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    // The language switch comes back here: "" keeps the address.
    let page = ctx(lang, &signed, "");
    let q = query_value(&req, "q").unwrap_or_default();
    let notice = match query_value(&req, "done").as_deref() {
        Some("registered") => Some(i18n::text(lang, "lottery-done-registered", &[])),
        Some("drawn") => Some(i18n::text(lang, "lottery-done-drawn", &[])),
        _ => None,
    };
    let id = path.into_inner();
    match show_session(&state, &tag, &signed, page.clone(), &id, q, notice, None).await {
        Ok(res) => res,
        Err(e) if shown_in_words(&e) && !matches!(e, AppError::Forbidden(_)) => {
            not_shown(&req, page, &e)
        }
        Err(AppError::Forbidden(_)) => denied(page, false),
        Err(e) => super::failed(&req, page, e),
    }
}

#[derive(Template)]
#[template(path = "lottery_problem.html")]
struct ProblemPage {
    page: PageCtx,
    problem: Problem,
}
page_texts!(ProblemPage);

/// A session that cannot be shown (unknown, or not drawn yet for its
/// verification), in words.
fn not_shown(_req: &HttpRequest, page: PageCtx, e: &AppError) -> HttpResponse {
    let problem = problem(page.lang, e);
    super::html(problem.status, &ProblemPage { page, problem })
}

/// After an act on a session: the session's page, or the problem in
/// words on it.
async fn after_act(
    req: &HttpRequest,
    state: &AppState,
    tag: &RequestTag,
    posted: &Posted,
    id: &str,
    acted: Result<(), AppError>,
    done: &str,
) -> HttpResponse {
    let page = posted.page("/lottery");
    match acted {
        Ok(()) => super::see_other(&format!("/lottery/sessions/{id}?done={done}")),
        Err(e) if shown_in_words(&e) => {
            let problem = problem(posted.lang, &e);
            let shown = show_session(
                state,
                tag,
                &posted.signed,
                page.clone(),
                id,
                String::new(),
                None,
                Some(problem.clone()),
            )
            .await;
            match shown {
                Ok(res) => res,
                // The session itself cannot be shown: the problem alone.
                Err(_) => super::html(problem.status, &ProblemPage { page, problem }),
            }
        }
        Err(e) => super::failed(req, page, e),
    }
}

#[derive(Serialize)]
struct RegisterRequest<'a> {
    guest_id: &'a str,
}

/// `POST /lottery/sessions/{id}/applicants` (`guest_id`): registers a
/// guest for the draw, as `POST /intake-sessions/{id}/applicants` does.
async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    tag: RequestTag,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let posted = match posted_by(&req, &state, &body).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let id = path.into_inner();
    let guest_id = posted.text("guest_id").unwrap_or_default();
    let acted = async {
        if !is_id(&guest_id) {
            return Err(AppError::validation(
                "guest_id",
                "is not an id of this service",
            ));
        }
        let keyed = posted.keyed(
            &format!("POST /lottery/sessions/{id}/applicants"),
            &RegisterRequest {
                guest_id: &guest_id,
            },
        );
        let audit = audit(
            posted.caller(),
            &tag,
            "lottery.apply",
            Target::both(&guest_id, &id),
        );
        let scope = posted.caller().scope();
        let (session, guest) = (id.clone(), guest_id.clone());
        state
            .service()
            .run(move |ctx| svc::register_keyed(ctx, &audit, &keyed, &scope, &session, &guest))
            .await
            .map(drop)
    }
    .await;
    after_act(&req, &state, &tag, &posted, &id, acted, "registered").await
}

#[derive(Serialize)]
struct DrawRequest<'a> {
    session_id: &'a str,
}

/// `POST /lottery/sessions/{id}/draw`: closes the session and draws, as
/// `POST /intake-sessions/{id}/draw` does.
async fn draw(
    req: HttpRequest,
    state: web::Data<AppState>,
    tag: RequestTag,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let posted = match posted_by(&req, &state, &body).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let id = path.into_inner();
    let keyed = posted.keyed(
        &format!("POST /lottery/sessions/{id}/draw"),
        &DrawRequest { session_id: &id },
    );
    let actor = posted.actor(&tag);
    let session = id.clone();
    let acted = state
        .service()
        .run(move |ctx| svc::draw(ctx, &actor, &keyed, &session))
        .await
        .map(drop);
    if acted.is_ok() {
        state.changed().await;
    }
    after_act(&req, &state, &tag, &posted, &id, acted, "drawn").await
}

// ------------------------------------------------------- the verification

/// An applicant's ticket as the verification shows it.
#[derive(Debug, Clone)]
pub struct TicketShown {
    /// The place in the order of the draw (eligible applicants only).
    pub rank: Option<usize>,
    pub position: i32,
    pub guest_id: String,
    pub woman: bool,
    pub ticket: String,
    /// What the replay gives, in words.
    pub replayed: String,
    /// What was recorded, in words.
    pub recorded: String,
    pub matches: bool,
}

/// The verification, in the page's words.
#[derive(Debug, Clone)]
pub struct Verification {
    pub id: String,
    pub night: String,
    pub seed: String,
    pub women_places: i32,
    pub regular_places: i32,
    pub eligible: Vec<TicketShown>,
    pub ineligible: Vec<TicketShown>,
    pub matches: bool,
    pub mismatches: usize,
    /// How to compute the first eligible applicant's ticket by hand.
    pub example: Option<String>,
}

#[derive(Template)]
#[template(path = "lottery_verify.html")]
struct VerifyPage {
    page: PageCtx,
    session: String,
    verification: Option<Verification>,
    problem: Option<Problem>,
}
page_texts!(VerifyPage);

fn verification(lang: Lang, r: &DrawRecord) -> Verification {
    let t = |key: &str| i18n::text(lang, key, &[]);
    let verdict = r.verdict();
    let recorded = |o: &str| match o {
        "won" => t("lottery-verify-won"),
        "lost" => t("lottery-verify-lost"),
        _ => t("lottery-verify-ineligible"),
    };
    let mut rank = 0;
    let (eligible, ineligible): (Vec<TicketShown>, Vec<TicketShown>) = r
        .tickets
        .iter()
        .map(|x| {
            let replayed = match (x.eligible, x.replayed) {
                (false, _) => t("lottery-verify-ineligible"),
                (true, Some(PlaceCategory::Women)) => t("lottery-verify-won-women"),
                (true, Some(_)) => t("lottery-verify-won-regular"),
                (true, None) => t("lottery-verify-lost"),
            };
            let shown_rank = x.eligible.then(|| {
                rank += 1;
                rank
            });
            TicketShown {
                rank: shown_rank,
                position: x.position,
                guest_id: x.guest_id.clone(),
                woman: x.woman,
                ticket: x.ticket.clone(),
                replayed,
                recorded: if x.eligible {
                    recorded(&x.outcome)
                } else {
                    outcome_words(lang, Some("ineligible"), x.code.as_deref())
                },
                matches: x.matches,
            }
        })
        .partition(|x| x.rank.is_some());
    let example = eligible.first().map(|x| {
        i18n::text(
            lang,
            "lottery-verify-command",
            &[("input", &format!("{}:{}", r.seed, x.guest_id))],
        )
    });
    Verification {
        id: r.session_id.clone(),
        night: i18n::date(lang, r.first_night.date()),
        seed: r.seed.clone(),
        women_places: r.women_places,
        regular_places: r.regular_places,
        eligible,
        ineligible,
        matches: verdict.matches,
        mismatches: verdict.mismatches.len(),
        example,
    }
}

/// `GET /lottery/sessions/{id}/verify`: the draw replayed from its record
/// (`GET /intake-sessions/{id}/verify`), with everything a person needs
/// to check it by hand.
async fn verify(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> HttpResponse {
    let (signed, lang) = match admitted(&req, &state, VERIFY_ROLES).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let page = ctx(lang, &signed, "");
    let id = path.into_inner();
    let session = id.clone();
    let read = crate::service::blocking(&state.pool, move |conn| svc::record(conn, &session)).await;
    match read {
        Ok(record) => super::html(
            StatusCode::OK,
            &VerifyPage {
                page,
                session: id,
                verification: Some(verification(lang, &record)),
                problem: None,
            },
        ),
        Err(e) if shown_in_words(&e) => {
            let problem = problem(lang, &e);
            super::html(
                problem.status,
                &VerifyPage {
                    page,
                    session: id,
                    verification: None,
                    problem: Some(problem),
                },
            )
        }
        Err(e) => super::failed(&req, page, e),
    }
}

/// `GET /lottery/verify[?session=]`: the way to a session's verification
/// for those who have its id (outreach and admins see no list).
async fn find_verification(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let (signed, lang) = match admitted(&req, &state, VERIFY_ROLES).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let page = ctx(lang, &signed, "/lottery/verify");
    let session = query_value(&req, "session")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default();
    if is_id(&session) {
        return super::see_other(&format!("/lottery/sessions/{session}/verify"));
    }
    let problem = (!session.is_empty()).then(|| Problem {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        text: i18n::text(lang, "lottery-problem-session-id", &[]),
    });
    let status = problem.as_ref().map_or(StatusCode::OK, |p| p.status);
    super::html(
        status,
        &VerifyPage {
            page,
            session,
            verification: None,
            problem,
        },
    )
}

/// The keys the code above builds (checked by a test).
#[cfg(test)]
fn built_keys() -> Vec<String> {
    let mut keys: Vec<String> = CONFLICT_CODES
        .iter()
        .map(|c| format!("lottery-problem-{c}"))
        .chain(WHY_CODES.iter().map(|c| format!("lottery-why-{c}")))
        .collect();
    keys.extend(
        [
            "lottery-problem-night",
            "lottery-problem-shelter",
            "lottery-problem-not-found",
            "lottery-problem-no-shelter",
            "lottery-problem-key",
            "lottery-problem-input",
            "lottery-problem-other",
            "lottery-problem-session-id",
            "lottery-outcome-won",
            "lottery-outcome-lost",
            "lottery-why-other",
            "lottery-done-registered",
            "lottery-done-drawn",
            "lottery-verify-won",
            "lottery-verify-lost",
            "lottery-verify-ineligible",
            "lottery-verify-won-women",
            "lottery-verify-won-regular",
            "lottery-verify-command",
        ]
        .map(str::to_owned),
    );
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keys_the_lottery_builds_are_in_every_catalogue() {
        i18n::tests::assert_in_every_catalogue(built_keys());
    }

    #[test]
    fn problems_are_said_in_words_with_the_api_s_status() {
        for lang in Lang::ALL {
            let closed = AppError::Conflict {
                code: "session-closed",
                detail: String::new(),
            };
            let p = problem(lang, &closed);
            assert_eq!(p.status, StatusCode::CONFLICT);
            assert!(!p.text.starts_with("lottery-"), "{}", p.text);
            let p = problem(lang, &AppError::not_found("intake session"));
            assert_eq!(p.status, StatusCode::NOT_FOUND);
            let p = problem(lang, &AppError::validation("shelter_ids", "none"));
            assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        }
    }

    #[test]
    fn the_hand_check_command_is_the_ticket_s_input() {
        let text = i18n::text(Lang::En, "lottery-verify-command", &[("input", "s:g")]);
        assert!(
            text.contains("'s:g'") && text.contains("sha256sum"),
            "{text}"
        );
    }
}
