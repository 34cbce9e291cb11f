//! The coordinator's cold nights and the referrals inbox (issue 17).
//!
//! - **Cold nights** (`/cold-nights`, coordinators: the role of `PUT` and
//!   `DELETE /cold-nights`): tonight and the nights a declaration may
//!   reach (`rules::coldnight::COLD_NIGHT_HORIZON`), each with its
//!   forecast minimum, the service's suggestion and what is declared. The
//!   list and the suggestion are `service::coordination::list`'s, as
//!   `GET /cold-nights` answers; the forecast minimum of a night the
//!   service does not suggest is read from the same forecast source.
//!   `/cold-nights/night?night=` declares, widens or narrows (one form:
//!   the reason, the forecast minimum and, for each shelter by name, the
//!   number of overflow places to open) and withdraws, with
//!   `service::coordination::declare` and `withdraw` as the API calls
//!   them; a refusal (`overflow-place-held`, `night-out-of-range`, …) is
//!   shown in words with what to do, with the API's status.
//! - **Referrals** (`/referrals`, the inbox roles of `GET /referrals`):
//!   the newest first, with who opened, took or closed each and when,
//!   moved open → taken → closed (or handed back) with
//!   `service::followup::update_referral`; which moves a referral offers
//!   is `service::followup::may_move`. The list is audited as the API's
//!   (`referral.list`), a move as the API's (`referral.update`). Guests'
//!   names are shown only to the roles that may read guests
//!   (`api::guests::GUEST_ROLES`): the EU team sees the reason, not the
//!   name, as the API gives it.
//! - Every acting form carries an idempotency key made when it is shown.
//!   The API's cold-night and referral routes take no key, so the pages
//!   claim it around the same service call (`service::act::once` and
//!   `audited_once`): the claim, the
//!   act and its audit entries in one transaction; a form sent again
//!   acts once and shows the first answer.
//! - Anyone else gets a 403 page; a visitor without a session is sent to
//!   sign in.

use std::collections::{BTreeMap, HashMap};

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};

use super::form::{self, Posted};
use super::i18n::{self, Lang, Texts};
use super::session::{self, SignedIn};
use super::{PageCtx, page_texts, query_value};
use crate::api::extract::{RequestTag, audit};
use crate::api::state::AppState;
use crate::audit::Target;
use crate::auth::Caller;
use crate::domain::Role;
use crate::error::AppError;
use crate::rules::Night;
use crate::rules::coldnight::COLD_NIGHT_HORIZON;
use crate::service::act;
use crate::service::coordination::{self as svc, ColdNightEntry, Declaration, Opening};
use crate::service::followup::{self as followup, ReferralView};

/// Who declares and withdraws cold nights: the role of `PUT` and `DELETE
/// /cold-nights`.
pub const COLD_NIGHT_ROLES: &[Role] = &[Role::Coordinator];

/// Who works the referral inbox: the roles of `GET` and `PATCH
/// /referrals`.
pub const INBOX_ROLES: &[Role] = crate::api::followup::INBOX_ROLES;

/// The most overflow places one shelter may open on a night (the API's
/// limit on `overflow[].places`).
const MAX_PLACES: u32 = 200;

/// The routes of these pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(super::page_resource("/cold-nights").route(web::get().to(cold_nights)))
        .service(super::page_resource("/cold-nights/night").route(web::get().to(night_form)))
        .service(super::page_resource("/cold-nights/declare").route(web::post().to(declare)))
        .service(super::page_resource("/cold-nights/withdraw").route(web::post().to(withdraw)))
        .service(super::page_resource("/referrals").route(web::get().to(referrals)))
        .service(super::page_resource("/referrals/move").route(web::post().to(move_referral)));
}

// ------------------------------------------------------------ who may see

#[derive(Template)]
#[template(path = "coordination_denied.html")]
struct DeniedPage {
    page: PageCtx,
}
page_texts!(DeniedPage);

fn denied(page: PageCtx) -> HttpResponse {
    super::html(StatusCode::FORBIDDEN, &DeniedPage { page })
}

fn may(caller: &Caller, roles: &[Role]) -> bool {
    caller.require_any(roles).is_ok()
}

fn ctx(lang: Lang, signed: &SignedIn, here: &'static str) -> PageCtx {
    PageCtx::new(lang, Some(signed.csrf().to_owned()), here)
}

/// The session of a page request whose caller holds one of `roles`; or
/// the answer to give instead.
async fn admitted(
    req: &HttpRequest,
    state: &AppState,
    roles: &[Role],
    here: &'static str,
) -> Result<(SignedIn, Lang), HttpResponse> {
    let lang = Lang::of(req);
    let signed = match session::signed_in(req, state).await {
        Ok(Some(s)) => s,
        Ok(None) => return Err(super::to_login(req)),
        Err(e) => return Err(super::failed(req, PageCtx::new(lang, None, "/"), e)),
    };
    if !may(&signed.session.caller, roles) {
        return Err(denied(ctx(lang, &signed, here)));
    }
    Ok((signed, lang))
}

/// A checked form whose caller holds one of `roles`; or the answer to
/// give instead.
async fn admitted_form(
    req: &HttpRequest,
    state: &AppState,
    body: &[u8],
    roles: &[Role],
    here: &'static str,
) -> Result<Posted, HttpResponse> {
    let posted = form::posted(req, state, body).await?;
    if !may(posted.caller(), roles) {
        return Err(denied(posted.page(here)));
    }
    Ok(posted)
}

// ------------------------------------------------------- acting once a key

// ------------------------------------------------------------ cold nights

/// A shelter as the cold-night form offers it.
#[derive(Debug, Clone)]
pub struct ShelterChoice {
    pub id: String,
    pub name: String,
    /// Overflow places opened there on the night (0 when none).
    pub places: u32,
}

/// A night of the list, in words.
#[derive(Debug, Clone)]
pub struct NightView {
    /// `YYYY-MM-DD`, for links and forms.
    pub night: String,
    /// The night written out in the page's language, with its weekday.
    pub name: String,
    pub tonight: bool,
    /// The forecast minimum written out ("−9 °C"), when the source knows
    /// it.
    pub forecast: Option<String>,
    pub suggested: bool,
    pub declared: bool,
    pub reason: String,
    /// The shelters with overflow places opened, by name.
    pub openings: Vec<(String, u32)>,
}

impl NightView {
    pub fn open_total(&self) -> u32 {
        self.openings.iter().map(|(_, n)| n).sum()
    }
}

#[derive(Template)]
#[template(path = "coordination_cold_nights.html")]
struct ColdNightsPage {
    page: PageCtx,
    nights: Vec<NightView>,
    threshold: String,
    forecast_known: bool,
    notice: Option<String>,
    refusal: Option<String>,
}
page_texts!(ColdNightsPage);

#[derive(Template)]
#[template(path = "coordination_cold_night.html")]
struct NightPage {
    page: PageCtx,
    night: NightView,
    shelters: Vec<ShelterChoice>,
    reason: String,
    forecast_min: String,
    declare_key: String,
    withdraw_key: String,
    refusal: Option<String>,
}
page_texts!(NightPage);

/// A temperature as the page's language writes it: "−9 °C", "−8,5 °C".
fn degrees(lang: Lang, c: f64) -> String {
    let rounded = (c * 10.0).round() / 10.0;
    let mut text = if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded:.1}")
    };
    if lang == Lang::Sv {
        text = text.replace('.', ",");
    }
    // A true minus sign reads better and is read out as "minus".
    let text = text.replace('-', "\u{2212}");
    i18n::text(lang, "coord-degrees", &[("value", &text)])
}

/// A night with its weekday: "måndag 10 januari 2022".
fn night_name(lang: Lang, night: Night) -> String {
    let d = night.date();
    let weekday = i18n::text(
        lang,
        &format!("coord-weekday-{}", d.weekday().number_from_monday()),
        &[],
    );
    i18n::text(
        lang,
        "coord-night-name",
        &[("weekday", &weekday), ("date", &i18n::date(lang, d))],
    )
}

/// What the cold-night pages read: the nights from tonight to the
/// horizon as `GET /cold-nights` answers them, the forecast's minimums
/// for the same nights, the shelters, and the suggestion's threshold.
struct Read {
    tonight: Night,
    entries: Vec<ColdNightEntry>,
    minimums: BTreeMap<Night, f64>,
    forecast_known: bool,
    shelters: Vec<(String, String)>,
    threshold: f64,
}

async fn read_nights(state: &AppState) -> Result<Read, AppError> {
    let partnership = state.partnership.clone();
    let forecast = state.forecast.clone();
    let tonight = partnership.calendar.night_of(state.clock.now());
    let last = tonight.plus(COLD_NIGHT_HORIZON);
    let threshold = crate::service::beds::rules_for(&partnership, tonight)?.cold_night_threshold_c;
    let (entries, minimums, shelters) = crate::service::blocking(&state.pool, move |conn| {
        let entries = svc::list(conn, &partnership, tonight, last, forecast.as_deref())?;
        let minimums = match &forecast {
            Some(source) => source
                .minimums(&partnership.calendar, tonight, last)
                .unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "the forecast cannot be read");
                    BTreeMap::new()
                }),
            None => BTreeMap::new(),
        };
        let shelters = crate::db::places::list_shelters(conn)?
            .into_iter()
            .map(|s| (s.id, s.name))
            .collect::<Vec<_>>();
        Ok((entries, minimums, shelters))
    })
    .await?;
    Ok(Read {
        tonight,
        entries,
        minimums,
        forecast_known: state.forecast.is_some(),
        shelters,
        threshold,
    })
}

impl Read {
    fn nights(&self) -> impl Iterator<Item = Night> + '_ {
        (0..=COLD_NIGHT_HORIZON).map(|i| self.tonight.plus(i))
    }

    fn view(&self, lang: Lang, night: Night) -> NightView {
        let entry = self.entries.iter().find(|e| e.night.night == night);
        let declared = entry.is_some_and(|e| e.declared);
        // The forecast's minimum; for a declared night without one, the
        // minimum the coordinator gave.
        let minimum = self.minimums.get(&night).copied().or_else(|| {
            entry
                .filter(|e| e.declared)
                .and_then(|e| e.night.forecast_min_c)
        });
        let name_of = |id: &str| {
            self.shelters
                .iter()
                .find(|(s, _)| s == id)
                .map(|(_, n)| n.clone())
                .unwrap_or_default()
        };
        NightView {
            night: night.to_string(),
            name: night_name(lang, night),
            tonight: night == self.tonight,
            forecast: minimum.map(|m| degrees(lang, m)),
            suggested: entry.is_some_and(|e| e.suggested),
            declared,
            reason: entry
                .filter(|e| e.declared)
                .map(|e| e.night.reason.clone())
                .unwrap_or_default(),
            openings: entry
                .filter(|e| e.declared)
                .map(|e| {
                    e.night
                        .overflow
                        .iter()
                        .filter(|o| o.places > 0)
                        .map(|o| (name_of(&o.shelter_id), o.places))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    fn choices(&self, night: Night) -> Vec<ShelterChoice> {
        let opened = self
            .entries
            .iter()
            .find(|e| e.night.night == night && e.declared)
            .map(|e| e.night.overflow.clone())
            .unwrap_or_default();
        self.shelters
            .iter()
            .map(|(id, name)| ShelterChoice {
                id: id.clone(),
                name: name.clone(),
                places: opened
                    .iter()
                    .find(|o| &o.shelter_id == id)
                    .map_or(0, |o| o.places),
            })
            .collect()
    }
}

async fn cold_nights_page(
    req: &HttpRequest,
    state: &AppState,
    signed: &SignedIn,
    lang: Lang,
    said: Result<Option<String>, (StatusCode, String)>,
) -> HttpResponse {
    let page = ctx(lang, signed, "/cold-nights");
    let (code, notice, refusal) = match said {
        Ok(notice) => (StatusCode::OK, notice, None),
        Err((code, text)) => (code, None, Some(text)),
    };
    match read_nights(state).await {
        Ok(read) => super::html(
            code,
            &ColdNightsPage {
                page,
                nights: read.nights().map(|n| read.view(lang, n)).collect(),
                threshold: degrees(lang, read.threshold),
                forecast_known: read.forecast_known,
                notice,
                refusal,
            },
        ),
        Err(e) => super::failed(req, page, e),
    }
}

/// `GET /cold-nights`: the coming nights.
async fn cold_nights(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let (signed, lang) = match admitted(&req, &state, COLD_NIGHT_ROLES, "/cold-nights").await {
        Ok(a) => a,
        Err(res) => return res,
    };
    cold_nights_page(&req, &state, &signed, lang, Ok(None)).await
}

/// What a declaration form sent, as typed (shown again after a refusal).
struct Typed {
    reason: String,
    forecast_min: String,
    places: HashMap<String, String>,
}

async fn night_page(
    state: &AppState,
    signed: &SignedIn,
    lang: Lang,
    night: Night,
    typed: Option<Typed>,
    refusal: Option<(StatusCode, String)>,
) -> Result<HttpResponse, AppError> {
    let read = read_nights(state).await?;
    let view = read.view(lang, night);
    let mut shelters = read.choices(night);
    let (reason, forecast_min) = match typed {
        Some(t) => {
            for s in &mut shelters {
                if let Some(n) = t.places.get(&s.id).and_then(|v| v.trim().parse().ok()) {
                    s.places = n;
                }
            }
            (t.reason, t.forecast_min)
        }
        None => {
            let entry = read.entries.iter().find(|e| e.night.night == night);
            let minimum = read.minimums.get(&night).copied().or_else(|| {
                entry
                    .filter(|e| e.declared)
                    .and_then(|e| e.night.forecast_min_c)
            });
            (
                view.reason.clone(),
                minimum.map(|m| m.to_string()).unwrap_or_default(),
            )
        }
    };
    let (status, refusal) = match refusal {
        Some((status, text)) => (status, Some(text)),
        None => (StatusCode::OK, None),
    };
    Ok(super::html(
        status,
        &NightPage {
            page: ctx(lang, signed, "/cold-nights"),
            night: view,
            shelters,
            reason,
            forecast_min,
            declare_key: form::new_key(),
            withdraw_key: form::new_key(),
            refusal,
        },
    ))
}

/// A night one may act on now: from tonight to the horizon. Any other
/// night has no form (404); the service refuses it too.
fn night_in_reach(state: &AppState, raw: &str) -> Option<Night> {
    let night: Night = raw.trim().parse().ok()?;
    let tonight = state.partnership.calendar.night_of(state.clock.now());
    (night >= tonight && night <= tonight.plus(COLD_NIGHT_HORIZON)).then_some(night)
}

/// `GET /cold-nights/night?night=`: declare, widen, narrow or withdraw.
async fn night_form(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let (signed, lang) = match admitted(&req, &state, COLD_NIGHT_ROLES, "/cold-nights").await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let raw = query_value(&req, "night").unwrap_or_default();
    let Some(night) = night_in_reach(&state, &raw) else {
        return super::failed(
            &req,
            ctx(lang, &signed, "/cold-nights"),
            AppError::not_found("night"),
        );
    };
    match night_page(&state, &signed, lang, night, None, None).await {
        Ok(res) => res,
        Err(e) => super::failed(&req, ctx(lang, &signed, "/cold-nights"), e),
    }
}

/// The request a declaration's key is claimed for.
#[derive(Serialize)]
struct DeclareRequest<'a> {
    night: String,
    reason: &'a str,
    forecast_min_c: Option<f64>,
    overflow: &'a [Opening],
}

/// What the page reads of a cold-night act's answer (possibly given
/// again from the key's store).
#[derive(Deserialize)]
struct Acted {
    night: String,
}

/// The codes a cold-night act may be refused with, each a
/// `coord-refusal-CODE` text.
const COLD_REFUSALS: &[&str] = &[
    "overflow-place-held",
    "night-out-of-range",
    "request-in-progress",
];

/// A refusal or failure of a cold-night or referral act in the page's
/// words, with the status the API gives it.
fn refusal(lang: Lang, e: &AppError) -> (StatusCode, String) {
    let t = |key: &str| i18n::text(lang, key, &[]);
    let text = match e {
        AppError::Refused(crate::rules::Refusal::NightOutOfRange { earliest, latest }) => {
            i18n::text(
                lang,
                "coord-refusal-night-out-of-range",
                &[
                    ("earliest", &i18n::date(lang, earliest.date())),
                    ("latest", &i18n::date(lang, latest.date())),
                ],
            )
        }
        AppError::Conflict { code, .. } if COLD_REFUSALS.contains(code) => {
            t(&format!("coord-refusal-{code}"))
        }
        AppError::Conflict { code, .. } if *code == "referral-transition" => {
            t("coord-refusal-referral-transition")
        }
        AppError::Validation(fields) => {
            let field = fields.first().map(|f| f.field.as_str()).unwrap_or("");
            match field {
                "reason" => t("coord-refusal-reason"),
                "forecast_min_c" => t("coord-refusal-forecast"),
                "note" => t("coord-refusal-note"),
                f if f.starts_with("overflow") => t("coord-refusal-places"),
                _ => t("coord-refusal-other"),
            }
        }
        AppError::NotFound(what) if what.contains("referral") => {
            t("coord-refusal-referral-not-found")
        }
        AppError::NotFound(_) => t("coord-refusal-not-declared"),
        AppError::Unavailable(_) => t("unavailable-text"),
        _ => t("coord-refusal-other"),
    };
    (actix_web::ResponseError::status_code(e), text)
}

/// The declaration a form describes, parsed as the API parses its body.
fn declaration(
    posted: &Posted,
    night: Night,
    shelters: &[(String, String)],
) -> Result<Declaration, AppError> {
    let reason = crate::api::fields::parse_reason(posted.field("reason").unwrap_or(""))?;
    let forecast_min_c = match posted.text("forecast_min_c") {
        None => None,
        Some(v) => match v.replace(',', ".").replace('\u{2212}', "-").parse::<f64>() {
            Ok(c) if (-60.0..=50.0).contains(&c) => Some(c),
            _ => {
                return Err(AppError::validation(
                    "forecast_min_c",
                    "must be between -60 and 50",
                ));
            }
        },
    };
    let mut overflow = Vec::new();
    for (id, _) in shelters {
        let places = match posted.text(&format!("places_{id}")) {
            None => 0,
            Some(v) => match v.parse::<u32>() {
                Ok(n) if n <= MAX_PLACES => n,
                _ => {
                    return Err(AppError::validation(
                        "overflow",
                        "must be whole numbers from 0 to 200",
                    ));
                }
            },
        };
        if places > 0 {
            overflow.push(Opening {
                shelter_id: id.clone(),
                places,
            });
        }
    }
    Ok(Declaration {
        night,
        reason,
        forecast_min_c,
        overflow,
    })
}

/// `POST /cold-nights/declare` (`night`, `reason`, `forecast_min_c`,
/// `places_SHELTER` for each shelter): declares the night, or widens or
/// narrows its declaration, as `PUT /cold-nights/{night}`. The list
/// again with what was done said at its top; a refusal shows the form
/// again, in words.
async fn declare(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    let posted = match admitted_form(&req, &state, &body, COLD_NIGHT_ROLES, "/cold-nights").await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let lang = posted.lang;
    let signed = posted.signed.clone();
    let page = || posted.page("/cold-nights");
    let Ok(night) = posted.text("night").unwrap_or_default().parse::<Night>() else {
        return super::failed(&req, page(), AppError::not_found("night"));
    };
    let shelters = match crate::service::blocking(&state.pool, |conn| {
        Ok(crate::db::places::list_shelters(conn)?)
    })
    .await
    {
        Ok(list) => list.into_iter().map(|s| (s.id, s.name)).collect::<Vec<_>>(),
        Err(e) => return super::failed(&req, page(), e),
    };
    let was_declared = posted.field("declared") == Some("true");
    let acted = async {
        let d = declaration(&posted, night, &shelters)?;
        let keyed = posted.keyed(
            "POST /cold-nights/declare",
            &DeclareRequest {
                night: night.to_string(),
                reason: &d.reason,
                forecast_min_c: d.forecast_min_c,
                overflow: &d.overflow,
            },
        );
        let user_id = posted.caller().user_id.clone();
        let acted = state
            .service()
            .run(move |ctx| {
                let partnership = ctx.partnership.clone();
                let now = ctx.now();
                act::once(ctx, &keyed, 200, |conn| {
                    svc::declare(conn, &partnership, &d, &user_id, now)
                })
            })
            .await;
        state.changed().await;
        let (_, body) = acted?;
        serde_json::from_value::<Acted>(body).map_err(|e| AppError::Internal(e.into()))
    }
    .await;
    match acted {
        Ok(done) => {
            let name = done
                .night
                .parse::<Night>()
                .map(|n| night_name(lang, n))
                .unwrap_or(done.night);
            let key = if was_declared {
                "coord-changed"
            } else {
                "coord-declared"
            };
            let text = i18n::text(lang, key, &[("night", &name)]);
            cold_nights_page(&req, &state, &signed, lang, Ok(Some(text))).await
        }
        Err(e) => {
            let (status, text) = refusal(lang, &e);
            if status.is_server_error() {
                tracing::error!(error = ?e, "a cold night from the page failed");
            }
            let typed = Typed {
                reason: posted.field("reason").unwrap_or("").to_owned(),
                forecast_min: posted.field("forecast_min_c").unwrap_or("").to_owned(),
                places: shelters
                    .iter()
                    .filter_map(|(id, _)| {
                        posted
                            .field(&format!("places_{id}"))
                            .map(|v| (id.clone(), v.to_owned()))
                    })
                    .collect(),
            };
            let shown = night_page(
                &state,
                &signed,
                lang,
                night,
                Some(typed),
                Some((status, text)),
            )
            .await;
            match shown {
                Ok(res) => res,
                Err(e) => super::failed(&req, page(), e),
            }
        }
    }
}

/// The request a withdrawal's key is claimed for.
#[derive(Serialize)]
struct WithdrawRequest {
    night: String,
}

/// `POST /cold-nights/withdraw` (`night`): withdraws the declaration, as
/// `DELETE /cold-nights/{night}`.
async fn withdraw(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    let posted = match admitted_form(&req, &state, &body, COLD_NIGHT_ROLES, "/cold-nights").await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let lang = posted.lang;
    let signed = posted.signed.clone();
    let page = || posted.page("/cold-nights");
    let Ok(night) = posted.text("night").unwrap_or_default().parse::<Night>() else {
        return super::failed(&req, page(), AppError::not_found("night"));
    };
    let keyed = posted.keyed(
        "POST /cold-nights/withdraw",
        &WithdrawRequest {
            night: night.to_string(),
        },
    );
    let acted = state
        .service()
        .run(move |ctx| {
            act::once(ctx, &keyed, 204, |conn| {
                svc::withdraw(conn, night)?;
                Ok(WithdrawAnswer {
                    night: night.to_string(),
                })
            })
        })
        .await;
    state.changed().await;
    match acted {
        Ok(_) => {
            let text = i18n::text(
                lang,
                "coord-withdrawn",
                &[("night", &night_name(lang, night))],
            );
            cold_nights_page(&req, &state, &signed, lang, Ok(Some(text))).await
        }
        Err(e) => {
            let (status, text) = refusal(lang, &e);
            if status.is_server_error() {
                tracing::error!(error = ?e, "a withdrawal from the page failed");
            }
            if night_in_reach(&state, &night.to_string()).is_none() {
                return cold_nights_page(&req, &state, &signed, lang, Err((status, text))).await;
            }
            match night_page(&state, &signed, lang, night, None, Some((status, text))).await {
                Ok(res) => res,
                Err(e) => super::failed(&req, page(), e),
            }
        }
    }
}

#[derive(Serialize)]
struct WithdrawAnswer {
    night: String,
}

// -------------------------------------------------------------- referrals

/// A referral as the inbox shows it, in words.
#[derive(Debug, Clone)]
pub struct ReferralItem {
    pub id: String,
    /// The guest's name, for the roles that may read guests.
    pub guest: Option<String>,
    pub guest_id: String,
    pub reason: String,
    pub acute: bool,
    /// `open`, `taken` or `closed`, and the same in words.
    pub status: String,
    pub status_words: String,
    pub note: Option<String>,
    /// "10 januari 2022 18:05 av samordnare".
    pub opened: String,
    /// The last move in words ("Tagen", "Stängd", "Lämnad tillbaka") and
    /// when and by whom; none while it was never moved.
    pub last_move: Option<(String, String)>,
    /// The moves it may make (`may_move`).
    pub moves: Vec<Move>,
    pub key: String,
}

/// A move a referral offers: the status it leads to, and its button.
#[derive(Debug, Clone)]
pub struct Move {
    pub status: &'static str,
    pub words: String,
}

#[derive(Template)]
#[template(path = "coordination_referrals.html")]
struct ReferralsPage {
    page: PageCtx,
    status: String,
    items: Vec<ReferralItem>,
    notice: Option<String>,
    refusal: Option<String>,
}
page_texts!(ReferralsPage);

const STATUSES: [&str; 3] = ["open", "taken", "closed"];

fn when(lang: Lang, instant: DateTime<Utc>, state: &AppState) -> String {
    let zone = state.partnership.calendar.zone;
    i18n::text(
        lang,
        "coord-when",
        &[
            ("date", &i18n::date(lang, i18n::local_date(instant, zone))),
            ("time", &i18n::time(instant, zone)),
        ],
    )
}

/// The inbox's list, read and audited as `GET /referrals` reads it
/// (`referral.list`, naming each referral and its guest), with the
/// guests' names for the roles that may read guests and the usernames of
/// who opened and moved each, read in the same transaction.
async fn read_referrals(
    state: &AppState,
    caller: &Caller,
    tag: &RequestTag,
    status: Option<String>,
) -> Result<
    (
        Vec<ReferralView>,
        HashMap<String, String>,
        HashMap<String, String>,
    ),
    AppError,
> {
    let names = may(caller, crate::api::guests::GUEST_ROLES);
    let audit = audit(caller, tag, "referral.list", Target::default());
    state
        .service()
        .audited(
            audit,
            move |conn| {
                let list = followup::list_referrals(conn, status.as_deref())?;
                let mut guests = HashMap::new();
                if names {
                    let ids: Vec<String> = list.iter().map(|r| r.guest_id.clone()).collect();
                    for g in crate::db::guests::get_many(conn, &ids)? {
                        if g.pseudonymised_at.is_none() {
                            guests.insert(
                                g.id.to_string(),
                                format!("{} {}", g.given_name, g.family_name),
                            );
                        }
                    }
                }
                let users = crate::db::users::all_with_shelters(conn)?
                    .into_iter()
                    .map(|(u, _)| (u.id, u.username))
                    .collect();
                Ok((list, guests, users))
            },
            |(list, _, _): &(Vec<ReferralView>, _, _)| {
                list.iter()
                    .map(|r| Target::both(&r.guest_id, &r.id))
                    .collect()
            },
        )
        .await
}

async fn referrals_page(
    req: &HttpRequest,
    state: &AppState,
    tag: &RequestTag,
    signed: &SignedIn,
    lang: Lang,
    status: Option<String>,
    said: Result<Option<String>, (StatusCode, String)>,
) -> HttpResponse {
    let page = ctx(lang, signed, "/referrals");
    let status = status.filter(|s| STATUSES.contains(&s.as_str()));
    let caller = signed.session.caller.clone();
    let (list, guests, users) = match read_referrals(state, &caller, tag, status.clone()).await {
        Ok(read) => read,
        Err(e) => return super::failed(req, page, e),
    };
    let who = |id: &str| users.get(id).cloned().unwrap_or_default();
    let t = |key: &str| i18n::text(lang, key, &[]);
    let by = |instant: DateTime<Utc>, user: &str| {
        i18n::text(
            lang,
            "coord-by",
            &[("when", &when(lang, instant, state)), ("who", &who(user))],
        )
    };
    let items = list
        .into_iter()
        .map(|r| {
            let last_move = r.updated_by.as_deref().map(|user| {
                let label = match r.status.as_str() {
                    "taken" => t("coord-last-taken"),
                    "closed" => t("coord-last-closed"),
                    _ => t("coord-last-handed-back"),
                };
                (label, by(r.updated_at, user))
            });
            ReferralItem {
                guest: guests.get(&r.guest_id).cloned(),
                reason: t(&format!("coord-reason-{}", r.reason)),
                acute: r.acute,
                status_words: t(&format!("coord-status-{}", r.status)),
                opened: by(r.created_at, &r.created_by),
                last_move,
                moves: ["taken", "closed", "open"]
                    .into_iter()
                    .filter(|to| followup::may_move(&r.status, to))
                    .map(|to| Move {
                        status: to,
                        words: t(&format!("coord-move-{to}")),
                    })
                    .collect(),
                key: form::new_key(),
                note: r.note,
                status: r.status,
                guest_id: r.guest_id,
                id: r.id,
            }
        })
        .collect();
    let (code, notice, refusal) = match said {
        Ok(notice) => (StatusCode::OK, notice, None),
        Err((code, text)) => (code, None, Some(text)),
    };
    super::html(
        code,
        &ReferralsPage {
            page,
            status: status.unwrap_or_default(),
            items,
            notice,
            refusal,
        },
    )
}

/// `GET /referrals[?status=open|taken|closed]`: the inbox.
async fn referrals(req: HttpRequest, state: web::Data<AppState>, tag: RequestTag) -> HttpResponse {
    let (signed, lang) = match admitted(&req, &state, INBOX_ROLES, "/referrals").await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let status = query_value(&req, "status");
    referrals_page(&req, &state, &tag, &signed, lang, status, Ok(None)).await
}

/// The request a move's key is claimed for.
#[derive(Serialize)]
struct MoveRequest<'a> {
    id: &'a str,
    status: &'a str,
    note: Option<&'a str>,
}

/// `POST /referrals/move` (`id`, `status`, `note`, and `shown`, the
/// inbox's filter to come back to): moves a referral, as `PATCH
/// /referrals/{id}`, audited as its `referral.update`.
async fn move_referral(
    req: HttpRequest,
    state: web::Data<AppState>,
    tag: RequestTag,
    body: web::Bytes,
) -> HttpResponse {
    let posted = match admitted_form(&req, &state, &body, INBOX_ROLES, "/referrals").await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let lang = posted.lang;
    let signed = posted.signed.clone();
    let shown = posted.text("shown");
    let id = posted.text("id").unwrap_or_default();
    let status = posted.text("status").unwrap_or_default();
    let acted = async {
        if !STATUSES.contains(&status.as_str()) {
            return Err(AppError::validation(
                "status",
                "must be one of: open, taken, closed",
            ));
        }
        let note = crate::api::text::optional_free_text(posted.field("note").unwrap_or(""), 2000)
            .map_err(|m| AppError::validation("note", m))?;
        let keyed = posted.keyed(
            "POST /referrals/move",
            &MoveRequest {
                id: &id,
                status: &status,
                note: note.as_deref(),
            },
        );
        let caller = posted.caller().clone();
        let audit = audit(&caller, &tag, "referral.update", Target::subject(&id));
        let (id, status) = (id.clone(), status.clone());
        let (_, body) = state
            .service()
            .run(move |ctx| {
                let now = ctx.now();
                act::audited_once(
                    ctx,
                    &audit,
                    &keyed,
                    200,
                    |conn| {
                        followup::update_referral(
                            conn,
                            &id,
                            &status,
                            note.as_deref(),
                            &caller.user_id,
                            now,
                        )
                    },
                    |view| vec![Target::both(&view.guest_id, &view.id)],
                )
            })
            .await?;
        serde_json::from_value::<Moved>(body).map_err(|e| AppError::Internal(e.into()))
    }
    .await;
    let said = match acted {
        Ok(moved) => Ok(Some(i18n::text(
            lang,
            "coord-moved",
            &[(
                "status",
                &i18n::text(lang, &format!("coord-status-{}", moved.status), &[]),
            )],
        ))),
        Err(e) => {
            let (code, text) = refusal(lang, &e);
            if code.is_server_error() {
                tracing::error!(error = ?e, "a referral move from the page failed");
            }
            Err((code, text))
        }
    };
    referrals_page(&req, &state, &tag, &signed, lang, shown, said).await
}

/// What the page reads of a move's answer.
#[derive(Deserialize)]
struct Moved {
    status: String,
}

/// The keys the code above builds (checked by a test).
#[cfg(test)]
fn built_keys() -> Vec<String> {
    let mut keys: Vec<String> = [
        "coord-degrees",
        "coord-night-name",
        "coord-declared",
        "coord-changed",
        "coord-withdrawn",
        "coord-moved",
        "coord-when",
        "coord-by",
        "coord-last-taken",
        "coord-last-closed",
        "coord-last-handed-back",
        "coord-refusal-night-out-of-range",
        "coord-refusal-overflow-place-held",
        "coord-refusal-request-in-progress",
        "coord-refusal-referral-transition",
        "coord-refusal-reason",
        "coord-refusal-forecast",
        "coord-refusal-note",
        "coord-refusal-places",
        "coord-refusal-other",
        "coord-refusal-referral-not-found",
        "coord-refusal-not-declared",
        "unavailable-text",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    keys.extend((1..=7).map(|d| format!("coord-weekday-{d}")));
    keys.extend(STATUSES.iter().map(|s| format!("coord-status-{s}")));
    keys.extend(STATUSES.iter().map(|s| format!("coord-move-{s}")));
    keys.extend(
        followup::REFERRAL_REASONS
            .iter()
            .map(|r| format!("coord-reason-{r}")),
    );
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Refusal;

    #[test]
    fn the_keys_the_pages_build_are_in_every_catalogue() {
        i18n::tests::assert_in_every_catalogue(built_keys());
    }

    #[test]
    fn refusals_are_said_in_words_with_the_api_s_status() {
        let night: Night = "2022-01-10".parse().unwrap();
        let held = AppError::Conflict {
            code: "overflow-place-held",
            detail: String::new(),
        };
        let range = AppError::Refused(Refusal::NightOutOfRange {
            earliest: night,
            latest: night.plus(7),
        });
        for lang in Lang::ALL {
            for e in [&held, &range] {
                let (status, text) = refusal(lang, e);
                assert_eq!(status, StatusCode::CONFLICT);
                assert!(!text.starts_with("coord-"), "{text}");
            }
            let (_, text) = refusal(lang, &range);
            assert!(text.contains("2022"), "{text}");
            let (status, text) = refusal(lang, &AppError::validation("reason", "blank"));
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
            assert!(!text.starts_with("coord-"), "{text}");
        }
    }

    #[test]
    fn temperatures_are_written_as_each_language_writes_them() {
        assert_eq!(degrees(Lang::Sv, -8.5), "\u{2212}8,5 °C");
        assert_eq!(degrees(Lang::En, -8.5), "\u{2212}8.5 °C");
        assert_eq!(degrees(Lang::En, -7.0), "\u{2212}7 °C");
        assert_eq!(degrees(Lang::Sv, 2.0), "2 °C");
    }
}
