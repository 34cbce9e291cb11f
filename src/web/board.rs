//! Socialjouren's night board (issue 17): the free beds right now per
//! shelter and category, kept live, and an emergency placement from it.
//!
//! - The figures are the answer of `GET /availability` (its cache
//!   included: `state.availability`), so the board and the API never
//!   disagree; the shelters' addresses and phones are read beside them.
//! - Live as the desk's list is (`web::desk`): `GET /board/events` is a
//!   session-checked stream of `change` events from `state.changes` (any
//!   instance's changes), and app.js turns each into a fetch of the
//!   board's part through its refresh button.
//! - A placement is `service::coordination::place` with kind emergency
//!   and the action `placement.emergency`, as `POST /placements` calls
//!   it: the same rules, the same audit entries, the same turn-away on a
//!   refusal. The form carries an idempotency key made when it is shown.
//! - Only socialjouren and coordinators see the board (the roles the API
//!   lets place in an emergency); anyone else gets a 403 page.

use std::collections::HashSet;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::form;
use super::i18n::{self, Lang, Texts};
use super::intake::{Found, find};
use super::session::{self, SignedIn};
use super::{PageCtx, page_texts, query_value};
use crate::api::extract::{RequestTag, audit};
use crate::api::state::AppState;
use crate::audit::Target;
use crate::auth::Caller;
use crate::db::guests::GuestRow;
use crate::domain::{Gender, PlaceCategory, Role};
use crate::error::AppError;
use crate::ids::{GuestId, ShelterId};
use crate::service::coordination::{
    self as svc, AvailabilityQuestion, PlacementKind, PlacementRequest,
};

/// The roles the board is for: those `POST /placements` lets place a
/// guest in an emergency.
pub const BOARD_ROLES: &[Role] = &[Role::SocialEmergency, Role::Coordinator];

/// The action an emergency placement is audited as (the API's).
const ACTION: &str = "placement.emergency";

/// The routes of these pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(super::page_resource("/board").route(web::get().to(board)))
        .service(super::page_resource("/board/part").route(web::get().to(part)))
        .service(super::page_resource("/board/events").route(web::get().to(events)))
        .service(
            super::page_resource("/board/place")
                .route(web::get().to(place_form))
                .route(web::post().to(place)),
        );
}

// ------------------------------------------------------------- the figures

/// What the board reads of `GET /availability`'s answer.
#[derive(Debug, Clone, Deserialize)]
struct Availability {
    night: NaiveDate,
    cold_night: bool,
    shelters: Vec<AvailableAt>,
    free: Counts,
}

#[derive(Debug, Clone, Deserialize)]
struct AvailableAt {
    shelter_id: String,
    name: String,
    free: Counts,
    #[serde(default)]
    free_places: Option<Vec<FreePlace>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Counts {
    pub regular: u32,
    pub women: u32,
    pub overflow: u32,
}

#[derive(Debug, Clone, Deserialize)]
struct FreePlace {
    place_id: String,
    label: String,
    category: String,
}

/// A shelter as the board shows it.
#[derive(Debug, Clone)]
pub struct ShelterView {
    pub id: String,
    pub name: String,
    pub free: Counts,
    pub address: Option<String>,
    pub phone: Option<String>,
}

/// The live part of the board.
#[derive(Debug, Clone)]
pub struct Live {
    /// The night, written out in the page's language.
    pub night: String,
    pub cold: bool,
    pub total: Counts,
    pub shelters: Vec<ShelterView>,
    /// When the figures were read (after the last change the page heard
    /// of), in the partnership's zone.
    pub updated: String,
    /// When availability last changed (any desk, socialjouren, the API,
    /// any instance), when this instance knows it.
    pub changed: Option<String>,
    /// `Changes::generation` before the read: the stream says at once
    /// when the figures are behind.
    pub generation: u64,
}

/// The question `GET /availability` asks by default: tonight, every
/// shelter, with the free places.
fn question() -> AvailabilityQuestion {
    AvailabilityQuestion {
        night: None,
        shelter_id: None,
        places: true,
    }
}

async fn availability(state: &AppState) -> Result<Availability, AppError> {
    let json = state
        .availability
        .answer(&state.service(), question(), state.clock.now())
        .await?;
    serde_json::from_slice(&json).map_err(|e| AppError::Internal(e.into()))
}

async fn read_live(state: &AppState, lang: Lang) -> Result<(Live, Availability), AppError> {
    let generation = state.changes.generation();
    let read = availability(state).await?;
    let about = crate::service::blocking(&state.pool, |conn| {
        Ok(crate::db::places::list_shelters(conn)?)
    })
    .await?;
    let zone = state.partnership.calendar.zone;
    let shelters = read
        .shelters
        .iter()
        .map(|s| {
            let found = about.iter().find(|a| a.id == s.shelter_id);
            ShelterView {
                id: s.shelter_id.clone(),
                name: s.name.clone(),
                free: s.free.clone(),
                address: found.and_then(|a| a.address.clone()),
                phone: found.and_then(|a| a.phone.clone()),
            }
        })
        .collect();
    let live = Live {
        night: i18n::date(lang, read.night),
        cold: read.cold_night,
        total: read.free.clone(),
        shelters,
        updated: i18n::time(state.clock.now(), zone),
        changed: state.changes.last_change().map(|at| i18n::time(at, zone)),
        generation,
    };
    Ok((live, read))
}

// ---------------------------------------------------------------- the pages

/// What was said at the top of the board: a placement made.
#[derive(Debug, Clone)]
pub struct Notice {
    pub text: String,
}

#[derive(Template)]
#[template(path = "board.html")]
struct BoardPage {
    page: PageCtx,
    live: Live,
    notice: Option<Notice>,
    q: String,
    asked: bool,
    found: Vec<Found>,
}
page_texts!(BoardPage);

#[derive(Template)]
#[template(path = "board_live.html")]
struct BoardPart {
    page: PageCtx,
    live: Live,
}
page_texts!(BoardPart);

#[derive(Template)]
#[template(path = "board_denied.html")]
struct DeniedPage {
    page: PageCtx,
}
page_texts!(DeniedPage);

/// A shelter the placement form offers, with the bed the service would
/// choose there.
#[derive(Debug, Clone)]
pub struct Choice {
    pub shelter_id: String,
    pub text: String,
}

#[derive(Template)]
#[template(path = "board_place.html")]
struct PlacePage {
    page: PageCtx,
    guest_id: String,
    guest: String,
    choices: Vec<Choice>,
    reason: String,
    key: String,
    refusal: Option<String>,
}
page_texts!(PlacePage);

fn ctx(lang: Lang, signed: &SignedIn) -> PageCtx {
    PageCtx::new(lang, Some(signed.csrf().to_owned()), "/board")
}

fn may_see(caller: &Caller) -> bool {
    caller.require_any(BOARD_ROLES).is_ok()
}

fn denied(page: PageCtx) -> HttpResponse {
    super::html(StatusCode::FORBIDDEN, &DeniedPage { page })
}

/// The session of a page request, and it may see the board; or the
/// answer to give instead.
async fn admitted(req: &HttpRequest, state: &AppState) -> Result<(SignedIn, Lang), HttpResponse> {
    let lang = Lang::of(req);
    let signed = match session::signed_in(req, state).await {
        Ok(Some(s)) => s,
        Ok(None) => return Err(super::to_login(req)),
        Err(e) => return Err(super::failed(req, PageCtx::new(lang, None, "/"), e)),
    };
    if !may_see(&signed.session.caller) {
        return Err(denied(ctx(lang, &signed)));
    }
    Ok((signed, lang))
}

async fn board_page(
    req: &HttpRequest,
    state: &AppState,
    tag: &RequestTag,
    signed: &SignedIn,
    lang: Lang,
    notice: Option<Notice>,
) -> HttpResponse {
    let page = ctx(lang, signed);
    let q = query_value(req, "q").unwrap_or_default();
    let caller = signed.session.caller.clone();
    let found = match find(state, &caller, tag, q.clone()).await {
        Ok(found) => found,
        Err(AppError::Validation(_)) => Vec::new(),
        Err(e) => return super::failed(req, page, e),
    };
    match read_live(state, lang).await {
        Ok((live, _)) => super::html(
            StatusCode::OK,
            &BoardPage {
                page,
                live,
                notice,
                asked: !q.trim().is_empty(),
                q,
                found,
            },
        ),
        Err(e) => super::failed(req, page, e),
    }
}

/// `GET /board[?q=]`: the board, with the search for a guest to place.
async fn board(req: HttpRequest, state: web::Data<AppState>, tag: RequestTag) -> HttpResponse {
    let (signed, lang) = match admitted(&req, &state).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    board_page(&req, &state, &tag, &signed, lang, None).await
}

/// `GET /board/part`: the live part alone, for htmx.
async fn part(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let (signed, lang) = match admitted(&req, &state).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    if !req.headers().contains_key("hx-request") {
        return super::see_other("/board");
    }
    let page = ctx(lang, &signed);
    match read_live(&state, lang).await {
        Ok((live, _)) => super::html(StatusCode::OK, &BoardPart { page, live }),
        Err(e) => super::failed(&req, page, e),
    }
}

// ---------------------------------------------------------- the placement

/// The guest to place, read as the API reads a guest (`guest.read`).
async fn read_guest(
    state: &AppState,
    caller: &Caller,
    tag: &RequestTag,
    id: &str,
) -> Result<GuestRow, AppError> {
    let _: GuestId = crate::api::fields::path_id(id, "guest")?;
    let id = id.to_owned();
    let audit = audit(caller, tag, "guest.read", Target::default());
    state
        .service()
        .audited(
            audit,
            move |conn| {
                crate::db::guests::get(conn, &id)?.ok_or_else(|| AppError::not_found("guest"))
            },
            |g: &GuestRow| vec![Target::guest(&g.id)],
        )
        .await
}

fn category_key(category: &str) -> &'static str {
    match category {
        "women" => "category-women",
        "overflow" => "category-overflow",
        _ => "category-regular",
    }
}

/// The shelters with a bed the guest may be given in an emergency, each
/// with the bed the service would choose there (the rules' order of
/// categories, `placement_order`, and the beds of late guests last, as
/// `place` chooses), the best first.
fn choices(
    lang: Lang,
    read: &Availability,
    gender: Gender,
    awaited: &HashSet<String>,
) -> Vec<Choice> {
    let order = svc::placement_order(PlacementKind::Emergency, gender);
    let mut ranked: Vec<((bool, usize), Choice)> = read
        .shelters
        .iter()
        .filter_map(|s| {
            let mut places: Vec<&FreePlace> = s.free_places.iter().flatten().collect();
            crate::rules::coldnight::best_first_sparing(
                &mut places,
                &order,
                |p| p.category.parse::<PlaceCategory>().ok(),
                |p| awaited.contains(&p.place_id),
            );
            let bed = places.first()?;
            let rank = bed
                .category
                .parse::<PlaceCategory>()
                .ok()
                .and_then(|c| order.iter().position(|o| *o == c))
                .unwrap_or(usize::MAX);
            let rank = (awaited.contains(&bed.place_id), rank);
            let category = i18n::text(lang, category_key(&bed.category), &[]);
            Some((
                rank,
                Choice {
                    shelter_id: s.shelter_id.clone(),
                    text: i18n::text(
                        lang,
                        "board-place-choice",
                        &[
                            ("shelter", &s.name),
                            ("bed", &bed.label),
                            ("category", &category),
                        ],
                    ),
                },
            ))
        })
        .collect();
    ranked.sort_by_key(|(rank, _)| *rank);
    ranked.into_iter().map(|(_, c)| c).collect()
}

async fn place_page(
    state: &AppState,
    tag: &RequestTag,
    signed: &SignedIn,
    lang: Lang,
    guest_id: &str,
    refusal: Option<(StatusCode, String)>,
    reason: String,
) -> Result<HttpResponse, AppError> {
    let caller = signed.session.caller.clone();
    let guest = read_guest(state, &caller, tag, guest_id).await?;
    let (_, read) = read_live(state, lang).await?;
    let gender: Gender = guest.gender.parse().unwrap_or(Gender::Unknown);
    let now = state.service().rules_now()?;
    let tonight = now.night;
    let awaited = crate::service::blocking(&state.pool, move |conn| {
        svc::awaited_places(conn, tonight, &now)
    })
    .await?;
    let (status, refusal) = match refusal {
        Some((status, text)) => (status, Some(text)),
        None => (StatusCode::OK, None),
    };
    Ok(super::html(
        status,
        &PlacePage {
            page: ctx(lang, signed),
            guest_id: guest.id.to_string(),
            guest: format!("{} {}", guest.given_name, guest.family_name),
            choices: choices(lang, &read, gender, &awaited),
            reason,
            key: form::new_key(),
            refusal,
        },
    ))
}

/// `GET /board/place?guest_id=`: the placement form for a guest found.
async fn place_form(req: HttpRequest, state: web::Data<AppState>, tag: RequestTag) -> HttpResponse {
    let (signed, lang) = match admitted(&req, &state).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let id = query_value(&req, "guest_id").unwrap_or_default();
    match place_page(&state, &tag, &signed, lang, &id, None, String::new()).await {
        Ok(res) => res,
        Err(e) => super::failed(&req, ctx(lang, &signed), e),
    }
}

/// The request a placement's key is claimed for.
#[derive(Serialize)]
struct PlaceRequest<'a> {
    guest_id: &'a str,
    shelter_id: &'a str,
    reason: &'a str,
}

/// What the page reads of the service's answer (a `PlacementView`,
/// possibly given again from the key's store).
#[derive(Deserialize)]
struct Placed {
    place_label: String,
    shelter_id: String,
}

/// The codes of RULES.md an emergency placement may be refused with,
/// each a `board-refusal-CODE` text.
const REFUSAL_CODES: &[&str] = &[
    "already-placed",
    "banned",
    "no-free-place",
    "category-not-allowed",
    "outside-target-group",
    "minor",
];

/// A refusal or failure of a placement in the page's words; the status
/// is the one the API gives it.
fn refusal(lang: Lang, e: &AppError) -> (StatusCode, String) {
    let t = |key: &str| i18n::text(lang, key, &[]);
    let text = match e {
        AppError::Refused(r) => {
            let code = r.code();
            if REFUSAL_CODES.contains(&code) {
                t(&format!("board-refusal-{code}"))
            } else {
                t("board-refusal-other")
            }
        }
        AppError::Conflict { code, .. } if *code == "request-in-progress" => {
            t("board-refusal-in-progress")
        }
        AppError::Validation(fields) if fields.iter().any(|f| f.field == "reason") => {
            t("board-refusal-reason")
        }
        AppError::Validation(_) | AppError::NotFound(_) => t("board-refusal-not-found"),
        AppError::Unavailable(_) => t("unavailable-text"),
        _ => t("board-refusal-other"),
    };
    (actix_web::ResponseError::status_code(e), text)
}

/// `POST /board/place` (`guest_id`, `shelter_id`, `reason`): places the
/// guest tonight in an emergency; the board again, with what was done
/// said at its top. A refusal shows the form again, in words.
async fn place(
    req: HttpRequest,
    state: web::Data<AppState>,
    tag: RequestTag,
    body: web::Bytes,
) -> HttpResponse {
    let posted = match form::posted(&req, &state, &body).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let lang = posted.lang;
    let signed = posted.signed.clone();
    if !may_see(posted.caller()) {
        return denied(ctx(lang, &signed));
    }
    let guest_text = posted.text("guest_id").unwrap_or_default();
    let shelter_text = posted.text("shelter_id").unwrap_or_default();
    let reason_typed = posted.field("reason").unwrap_or("").to_owned();
    let acted = async {
        let guest_id: GuestId = crate::api::fields::path_id(&guest_text, "guest")?;
        let shelter_id: ShelterId = crate::api::fields::path_id(&shelter_text, "shelter")?;
        let reason = crate::api::fields::parse_reason(&reason_typed)?;
        let keyed = posted.keyed(
            "POST /board/place",
            &PlaceRequest {
                guest_id: guest_id.as_str(),
                shelter_id: shelter_id.as_str(),
                reason: &reason,
            },
        );
        let request = PlacementRequest {
            guest_id,
            kind: PlacementKind::Emergency,
            shelter_id: Some(shelter_id),
            place_id: None,
            night: None,
            reason,
        };
        let actor = posted.actor(&tag);
        let acted = state
            .service()
            .run(move |ctx| svc::place(ctx, &actor, &keyed, ACTION, &request))
            .await;
        state.changed().await;
        let (_, body) = acted?;
        serde_json::from_value::<Placed>(body).map_err(|e| AppError::Internal(e.into()))
    }
    .await;
    match acted {
        Ok(placed) => {
            let shelter = crate::service::blocking(&state.pool, move |conn| {
                Ok(crate::db::places::shelter(conn, &placed.shelter_id)?
                    .map(|s| s.name)
                    .unwrap_or_default())
            })
            .await
            .unwrap_or_default();
            let guest = posted.text("guest").unwrap_or_default();
            let text = i18n::text(
                lang,
                "board-placed",
                &[
                    ("guest", &guest),
                    ("shelter", &shelter),
                    ("bed", &placed.place_label),
                ],
            );
            board_page(&req, &state, &tag, &signed, lang, Some(Notice { text })).await
        }
        Err(e) => {
            let (status, text) = refusal(lang, &e);
            if status.is_server_error() {
                tracing::error!(error = ?e, "an emergency placement from the board failed");
            }
            let shown = place_page(
                &state,
                &tag,
                &signed,
                lang,
                &guest_text,
                Some((status, text)),
                reason_typed,
            )
            .await;
            match shown {
                Ok(res) => res,
                Err(e) => super::failed(&req, ctx(lang, &signed), e),
            }
        }
    }
}

// ------------------------------------------------------------- the stream

/// `GET /board/events?since=`: a `change` event each time the service
/// announces a change (on any instance). The event carries no data: the
/// page fetches the board's part.
async fn events(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let lang = Lang::of(&req);
    let signed = match session::signed_in(&req, &state).await {
        Ok(Some(s)) => s,
        Ok(None) => return HttpResponse::Unauthorized().finish(),
        Err(e) => return super::failed(&req, PageCtx::new(lang, None, "/"), e),
    };
    if !may_see(&signed.session.caller) {
        return HttpResponse::Forbidden().finish();
    }
    let since = query_value(&req, "since").and_then(|v| v.parse::<u64>().ok());
    super::live::changes(state, &signed, since, Box::new(may_see))
}

/// The keys the code above builds (checked by a test).
#[cfg(test)]
const BUILT_KEYS: &[&str] = &[
    "board-place-choice",
    "board-placed",
    "board-refusal-already-placed",
    "board-refusal-banned",
    "board-refusal-no-free-place",
    "board-refusal-category-not-allowed",
    "board-refusal-outside-target-group",
    "board-refusal-minor",
    "board-refusal-other",
    "board-refusal-in-progress",
    "board-refusal-reason",
    "board-refusal-not-found",
    "unavailable-text",
    "category-women",
    "category-overflow",
    "category-regular",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Refusal;

    #[test]
    fn the_keys_the_board_builds_are_in_every_catalogue() {
        i18n::tests::assert_in_every_catalogue(BUILT_KEYS);
    }

    #[test]
    fn refusals_are_said_in_words_in_both_languages() {
        for lang in Lang::ALL {
            let (status, text) = refusal(lang, &AppError::Refused(Refusal::AlreadyPlaced));
            assert_eq!(status, StatusCode::CONFLICT);
            assert!(!text.starts_with("board-"), "{text}");
            let (status, text) = refusal(lang, &AppError::validation("reason", "blank"));
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
            assert!(!text.starts_with("board-"), "{text}");
        }
    }

    fn read(places: &[(&str, &str, &str)]) -> Availability {
        let mut shelters: Vec<AvailableAt> = Vec::new();
        for (shelter, label, category) in places {
            let place = FreePlace {
                place_id: (*label).to_owned(),
                label: (*label).to_owned(),
                category: (*category).to_owned(),
            };
            match shelters.iter_mut().find(|s| s.shelter_id == *shelter) {
                Some(s) => s.free_places.get_or_insert_with(Vec::new).push(place),
                None => shelters.push(AvailableAt {
                    shelter_id: (*shelter).to_owned(),
                    name: (*shelter).to_owned(),
                    free: Counts::default(),
                    free_places: Some(vec![place]),
                }),
            }
        }
        Availability {
            night: NaiveDate::from_ymd_opt(2019, 12, 1).unwrap_or_default(),
            cold_night: false,
            shelters,
            free: Counts::default(),
        }
    }

    #[test]
    fn a_woman_is_offered_a_women_s_bed_first_and_overflow_last() {
        let r = read(&[
            ("a", "A1", "overflow"),
            ("b", "B1", "regular"),
            ("c", "C1", "women"),
        ]);
        let none = HashSet::new();
        let offered: Vec<String> = choices(Lang::En, &r, Gender::Woman, &none)
            .into_iter()
            .map(|c| c.shelter_id)
            .collect();
        assert_eq!(offered, ["c", "b", "a"]);
        let offered: Vec<String> = choices(Lang::En, &r, Gender::Man, &none)
            .into_iter()
            .map(|c| c.shelter_id)
            .collect();
        assert_eq!(offered, ["b", "a"]);
        // The bed of a guest who may still arrive is offered last.
        let awaited: HashSet<String> = ["B1".to_owned()].into();
        let offered: Vec<String> = choices(Lang::En, &r, Gender::Man, &awaited)
            .into_iter()
            .map(|c| c.shelter_id)
            .collect();
        assert_eq!(offered, ["a", "b"]);
    }
}
