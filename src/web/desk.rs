//! The acts of "Tonight at my shelter" (issue 16): check a guest in, end
//! a stay, move a stay to a free bed, and the list kept live.
//!
//! - Each act is the API's own service call (`service::stays::check_in`,
//!   `end_keyed`, `move_keyed`: the same rules, the same audit entries),
//!   followed by `state.changed()` as the API does, so every other desk
//!   and screen hears of it.
//! - Every form passes `web::form::posted` (origin, session, CSRF token)
//!   and carries an idempotency key made when it was shown, claimed in
//!   the act's transaction: a form sent again after a dropped connection
//!   acts once and shows the first answer.
//! - The answer is the shelter's list read again (an audited read, as the
//!   start page's), with what happened said in words at its top; htmx
//!   swaps it in place of the list, refusals (409, 422) as well.
//! - Only shelter staff at the shelter act here; anyone else gets 403.
//! - `GET /tonight/events` is a stream of server-sent events: one
//!   `change` event each time the service announces a change (any desk,
//!   socialjouren, the API, any instance). app.js then fetches the list
//!   again, and falls back to a slow poll when the stream is lost.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::form::{self, Posted};
use super::i18n::{self, Lang, Texts};
use super::session::{self, SignedIn};
use super::{PageCtx, page_texts};
use crate::api::extract::{RequestTag, audit};
use crate::api::state::AppState;
use crate::audit::Target;
use crate::auth::Caller;
use crate::domain::Role;
use crate::error::AppError;
use crate::ids::{PlaceId, StayId};
use crate::rules::Refusal;
use crate::service::tonight::{BedState, Tonight};

/// The routes of these pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(super::page_resource("/tonight/check-in").route(web::post().to(check_in)))
        .service(super::page_resource("/tonight/end").route(web::post().to(end)))
        .service(super::page_resource("/tonight/move").route(web::post().to(move_stay)))
        .service(super::page_resource("/tonight/events").route(web::get().to(events)));
}

/// The idempotency keys of one row's forms, each made as the row is shown
/// (one per form: a key is claimed for one kind of request only).
#[derive(Debug, Clone)]
pub struct RowKeys {
    pub check_in: String,
    pub end: String,
    pub moved: String,
}

impl RowKeys {
    pub fn new() -> Self {
        Self {
            check_in: form::new_key(),
            end: form::new_key(),
            moved: form::new_key(),
        }
    }
}

/// A bed the move form offers: free tonight.
#[derive(Debug, Clone)]
pub struct FreeBed {
    pub place_id: String,
    /// The label and the category, in the page's language.
    pub text: String,
}

/// What happened, said at the top of the list.
#[derive(Debug, Clone)]
pub struct Notice {
    pub text: String,
    /// A refusal (an alert), or a done act (a status).
    pub alert: bool,
}

/// The second step of ending a stay: the reason given, asked to confirm.
#[derive(Debug, Clone)]
pub struct ConfirmEnd {
    pub stay_id: String,
    pub guest: String,
    pub bed: String,
    pub reason: String,
    pub key: String,
}

/// A late guest whose bed was given away (`service::tonight::Late`).
#[derive(Debug, Clone)]
pub struct LateView {
    pub stay_id: String,
    pub guest: String,
    /// The bed the stay had tonight.
    pub bed: String,
    pub keys: RowKeys,
}

/// What the desk's forms need besides the beds.
#[derive(Debug, Clone)]
pub struct DeskView {
    pub free_beds: Vec<FreeBed>,
    pub late: Vec<LateView>,
    pub notice: Option<Notice>,
    pub confirm_end: Option<ConfirmEnd>,
    /// The key of the check-in-by-bed form.
    pub key: String,
    /// The form's field gets the focus again (it was just used).
    pub focus_bed: bool,
    /// What was typed in it, kept when it was refused.
    pub bed_typed: String,
    /// The count of changes (`Changes::generation`) read before the
    /// list: the list's stream says at once when it has moved on since.
    pub generation: u64,
}

impl DeskView {
    pub fn of(lang: Lang, t: &Tonight, generation: u64) -> Self {
        let free_beds = t
            .beds
            .iter()
            .filter(|b| b.state == BedState::Free)
            .map(|b| FreeBed {
                place_id: b.place_id.clone(),
                text: i18n::text(
                    lang,
                    "desk-free-bed",
                    &[
                        ("bed", &b.label),
                        (
                            "category",
                            &i18n::text(lang, category_key(&b.category), &[]),
                        ),
                    ],
                ),
            })
            .collect();
        let late = t
            .late
            .iter()
            .map(|l| LateView {
                stay_id: l.occupant.subject_id.clone(),
                guest: format!("{} {}", l.occupant.given_name, l.occupant.family_name),
                bed: l.label.clone(),
                keys: RowKeys::new(),
            })
            .collect();
        Self {
            free_beds,
            late,
            notice: None,
            confirm_end: None,
            key: form::new_key(),
            focus_bed: false,
            bed_typed: String::new(),
            generation,
        }
    }
}

fn category_key(category: &str) -> &'static str {
    match category {
        "women" => "category-women",
        "overflow" => "category-overflow",
        _ => "category-regular",
    }
}

/// The list of one shelter after an act, for htmx to swap in.
#[derive(Template)]
#[template(path = "tonight.html")]
struct DeskPart {
    page: PageCtx,
    shelter: ShelterTonight,
}
page_texts!(DeskPart);

/// The answer to an act on a shelter the caller does not work at.
#[derive(Template)]
#[template(path = "desk_refused.html")]
struct DeskRefused {
    page: PageCtx,
    shelter_id: String,
}
page_texts!(DeskRefused);

/// Whether the caller may act on the shelter's list.
fn may_act(caller: &Caller, shelter_id: &str) -> bool {
    caller.has(Role::ShelterStaff) && caller.shelters.iter().any(|s| s == shelter_id)
}

fn is_htmx(req: &HttpRequest) -> bool {
    req.headers().contains_key("hx-request")
}

/// The 403 of a shelter that is not the caller's: a part for htmx, the
/// message page otherwise.
fn not_yours(req: &HttpRequest, page: PageCtx, shelter_id: String) -> HttpResponse {
    if is_htmx(req) {
        super::html(StatusCode::FORBIDDEN, &DeskRefused { page, shelter_id })
    } else {
        let e = AppError::Forbidden("This is at a shelter your account does not work at.".into());
        super::failed(req, page, e)
    }
}

/// What an act came to: its words, its status, and what the list shows
/// besides.
struct Outcome {
    status: StatusCode,
    /// The words, given the list read after the act (for the guest's
    /// name and bed).
    words: Words,
    focus_bed: bool,
    bed_typed: String,
    confirm_end: Option<ConfirmEnd>,
}

enum Words {
    CheckedIn {
        stay_id: String,
        bed: String,
        at: DateTime<Utc>,
    },
    Ended,
    Moved {
        stay_id: String,
    },
    Refused(String),
    None,
}

impl Outcome {
    fn done(words: Words) -> Self {
        Self {
            status: StatusCode::OK,
            words,
            focus_bed: false,
            bed_typed: String::new(),
            confirm_end: None,
        }
    }

    fn refused(status: StatusCode, text: String) -> Self {
        Self {
            status,
            words: Words::Refused(text),
            focus_bed: false,
            bed_typed: String::new(),
            confirm_end: None,
        }
    }
}

/// A refusal or failure of an act, in the page's words, with what to do
/// next. The status is the one the API gives it.
fn refusal(lang: Lang, e: &AppError) -> (StatusCode, String) {
    let t = |key: &str| i18n::text(lang, key, &[]);
    let text = match e {
        AppError::Refused(r) => match r {
            Refusal::ReservationReleased { .. } => t("desk-refused-released"),
            Refusal::NoFreePlace { .. } => t("desk-refused-no-free-place"),
            Refusal::CategoryNotAllowed => t("desk-refused-category"),
            Refusal::Banned { last_night } => i18n::text(
                lang,
                "desk-refused-banned",
                &[("date", &i18n::date(lang, last_night.date()))],
            ),
            Refusal::NightOutOfRange { .. } => t("desk-refused-night"),
            _ => t("desk-refused-other"),
        },
        AppError::Conflict { code, .. } => match *code {
            "stay-not-active" => t("desk-refused-not-active"),
            "request-in-progress" => t("desk-refused-in-progress"),
            "busy" => t("desk-refused-busy"),
            _ => t("desk-refused-other"),
        },
        AppError::Validation(fields) if fields.iter().any(|f| f.field == "reason") => {
            t("desk-refused-reason")
        }
        AppError::Validation(fields) if fields.iter().any(|f| f.field == "Idempotency-Key") => {
            t("desk-refused-key-reused")
        }
        AppError::Validation(_) | AppError::NotFound(_) => t("desk-refused-not-found"),
        AppError::Forbidden(_) => t("desk-not-your-shelter"),
        AppError::Unavailable(_) => t("unavailable-text"),
        _ => t("desk-failed"),
    };
    (actix_web::ResponseError::status_code(e), text)
}

/// The outcome of an act the service refused or failed; a failure of
/// the service itself is logged as the API logs it.
fn failed(lang: Lang, e: &AppError) -> Outcome {
    let (status, text) = refusal(lang, e);
    if status.is_server_error() {
        tracing::error!(error = ?e, "an act of the desk failed");
    }
    Outcome::refused(status, text)
}

/// The list read again after an act, with the act's words: the answer
/// of every form here. Not an htmx request (a form sent without
/// scripts): back to the start page, which shows the list.
async fn answer(
    req: &HttpRequest,
    state: &AppState,
    tag: &RequestTag,
    posted: &Posted,
    shelter_id: String,
    outcome: Outcome,
) -> HttpResponse {
    if !is_htmx(req) {
        return super::see_other("/");
    }
    let lang = posted.lang;
    let page = posted.page("/");
    let caller = posted.caller().clone();
    let zone = state.partnership.calendar.zone;
    let generation = state.changes.generation();
    let read = read_tonight(state, &caller, tag, vec![shelter_id]).await;
    let (id, name, t) = match read {
        Ok(mut found) => match found.pop() {
            Some(f) => f,
            None => return super::failed(req, page, AppError::not_found("shelter")),
        },
        Err(e) => return super::failed(req, page, e),
    };
    let mut shelter = view(lang, zone, id, name, t, generation);
    let row_of = |stay_id: &str| {
        shelter
            .beds
            .iter()
            .find(|b| b.stay_id.as_deref() == Some(stay_id))
            .map(|b| (b.guest.clone().unwrap_or_default(), b.label.clone()))
    };
    let text = |key: &str, args: &[(&str, &str)]| i18n::text(lang, key, args);
    let notice = match &outcome.words {
        Words::CheckedIn { stay_id, bed, at } => {
            let (guest, _) = row_of(stay_id).unwrap_or_default();
            let time = i18n::time(*at, zone);
            Some((
                text(
                    "desk-checked-in",
                    &[("guest", &guest), ("bed", bed), ("time", &time)],
                ),
                false,
            ))
        }
        Words::Moved { stay_id } => row_of(stay_id).map(|(guest, bed)| {
            (
                text("desk-moved", &[("guest", &guest), ("bed", &bed)]),
                false,
            )
        }),
        Words::Ended => Some((text("desk-ended", &[]), false)),
        Words::Refused(words) => Some((words.clone(), true)),
        Words::None => None,
    };
    shelter.desk.notice = notice.map(|(text, alert)| Notice { text, alert });
    shelter.desk.focus_bed = outcome.focus_bed;
    shelter.desk.bed_typed = outcome.bed_typed;
    shelter.desk.confirm_end = outcome.confirm_end;
    super::html(outcome.status, &DeskPart { page, shelter })
}

/// The checks every act here begins with: the form's (`posted`), then
/// the shelter's. `Err` is the answer to give instead.
async fn admitted(
    req: &HttpRequest,
    state: &AppState,
    body: &[u8],
) -> Result<(Posted, String), HttpResponse> {
    let posted = form::posted(req, state, body).await?;
    let shelter_id = posted.text("shelter_id").unwrap_or_default();
    if !may_act(posted.caller(), &shelter_id) {
        tracing::info!(
            path = req.path(),
            "desk act refused: not the caller's shelter"
        );
        return Err(not_yours(req, posted.page("/"), shelter_id));
    }
    Ok((posted, shelter_id))
}

/// The request a check-in's key is claimed for: the stay, however it
/// was found (its row's button, or its bed's label typed).
#[derive(Serialize)]
struct CheckInRequest<'a> {
    stay_id: &'a str,
}

/// What the page reads of a check-in's answer (the service's
/// `CheckInView`, possibly given again from the key's store).
#[derive(Deserialize)]
struct CheckedIn {
    stay_id: String,
    place_label: String,
    checked_in_at: DateTime<Utc>,
}

/// The stay that holds (or held) a bed, by the bed's label as typed:
/// letters in any case, spaces around ignored.
async fn stay_at_bed(
    state: &AppState,
    shelter_id: &str,
    typed: &str,
) -> Result<Option<String>, AppError> {
    let now = state.service().rules_now()?;
    let shelter_id = shelter_id.to_owned();
    let typed = typed.trim().to_uppercase();
    crate::service::blocking(&state.pool, move |conn| {
        let t = crate::service::tonight::tonight(conn, &shelter_id, &now)?;
        Ok(t.beds
            .into_iter()
            .find(|b| b.label.to_uppercase() == typed)
            .and_then(|b| b.occupant)
            .filter(|o| o.kind == "stay")
            .map(|o| o.subject_id))
    })
    .await
}

/// `POST /tonight/check-in` (`shelter_id`, and `stay_id` from a row's
/// button or `bed`, a bed's label typed): checks the guest in tonight.
async fn check_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    tag: RequestTag,
    body: web::Bytes,
) -> HttpResponse {
    let (posted, shelter_id) = match admitted(&req, &state, &body).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let lang = posted.lang;
    let typed = posted.text("bed");
    let by_bed = typed.is_some() && posted.text("stay_id").is_none();
    let stay_id = match (posted.text("stay_id"), &typed) {
        (Some(id), _) => Some(id),
        (None, Some(bed)) => match stay_at_bed(&state, &shelter_id, bed).await {
            Ok(found) => found,
            Err(e) => {
                let outcome = failed(lang, &e);
                return answer(&req, &state, &tag, &posted, shelter_id, outcome).await;
            }
        },
        (None, None) => None,
    };
    let Some(stay) = stay_id.as_deref().and_then(StayId::parse) else {
        let mut outcome = Outcome::refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            match &typed {
                Some(bed) => i18n::text(lang, "desk-no-guest-at-bed", &[("bed", bed)]),
                None => i18n::text(lang, "desk-refused-not-found", &[]),
            },
        );
        outcome.focus_bed = by_bed;
        outcome.bed_typed = typed.unwrap_or_default();
        return answer(&req, &state, &tag, &posted, shelter_id, outcome).await;
    };
    let keyed = posted.keyed(
        "POST /tonight/check-in",
        &CheckInRequest {
            stay_id: stay.as_str(),
        },
    );
    let actor = posted.actor(&tag);
    let acted = state
        .service()
        .run(move |ctx| crate::service::stays::check_in(ctx, &actor, &keyed, &stay, None))
        .await;
    state.changed().await;
    let mut outcome = match acted.and_then(|(_, body)| {
        serde_json::from_value::<CheckedIn>(body).map_err(|e| AppError::Internal(e.into()))
    }) {
        Ok(done) => Outcome::done(Words::CheckedIn {
            stay_id: done.stay_id,
            bed: done.place_label,
            at: done.checked_in_at,
        }),
        Err(e) => {
            let mut o = failed(lang, &e);
            if by_bed {
                o.bed_typed = typed.clone().unwrap_or_default();
            }
            o
        }
    };
    outcome.focus_bed = by_bed;
    answer(&req, &state, &tag, &posted, shelter_id, outcome).await
}

/// The request an end's key is claimed for.
#[derive(Serialize)]
struct EndRequest<'a> {
    stay_id: &'a str,
    reason: &'a str,
}

/// `POST /tonight/end` (`shelter_id`, `stay_id`, `reason`): first asks
/// to confirm, with the reason shown; with `confirm=yes` ends the stay.
async fn end(
    req: HttpRequest,
    state: web::Data<AppState>,
    tag: RequestTag,
    body: web::Bytes,
) -> HttpResponse {
    let (posted, shelter_id) = match admitted(&req, &state, &body).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let lang = posted.lang;
    let Some(stay) = posted.text("stay_id").as_deref().and_then(StayId::parse) else {
        let e = AppError::not_found("stay");
        return answer(&req, &state, &tag, &posted, shelter_id, failed(lang, &e)).await;
    };
    let reason = match crate::api::fields::parse_reason(posted.field("reason").unwrap_or("")) {
        Ok(r) => r,
        Err(e) => {
            return answer(&req, &state, &tag, &posted, shelter_id, failed(lang, &e)).await;
        }
    };
    if posted.field("confirm") != Some("yes") {
        // The first step: nothing is done; the list shows the question.
        let confirm = ConfirmEnd {
            stay_id: stay.as_str().to_owned(),
            guest: posted.text("guest").unwrap_or_default(),
            bed: posted.text("bed").unwrap_or_default(),
            reason,
            key: posted.text(form::KEY_FIELD).unwrap_or_else(form::new_key),
        };
        let mut outcome = Outcome::done(Words::None);
        outcome.confirm_end = Some(confirm);
        return answer(&req, &state, &tag, &posted, shelter_id, outcome).await;
    }
    let keyed = posted.keyed(
        "POST /tonight/end",
        &EndRequest {
            stay_id: stay.as_str(),
            reason: &reason,
        },
    );
    let actor = posted.actor(&tag);
    let acted = state
        .service()
        .run(move |ctx| crate::service::stays::end_keyed(ctx, &actor, &keyed, &stay, &reason))
        .await;
    state.changed().await;
    let outcome = match acted {
        Ok(_) => Outcome::done(Words::Ended),
        Err(e) => failed(lang, &e),
    };
    answer(&req, &state, &tag, &posted, shelter_id, outcome).await
}

/// The request a move's key is claimed for.
#[derive(Serialize)]
struct MoveRequest<'a> {
    stay_id: &'a str,
    place_id: &'a str,
}

/// `POST /tonight/move` (`shelter_id`, `stay_id`, `place_id`): moves the
/// stay's nights from tonight on to the bed chosen.
async fn move_stay(
    req: HttpRequest,
    state: web::Data<AppState>,
    tag: RequestTag,
    body: web::Bytes,
) -> HttpResponse {
    let (posted, shelter_id) = match admitted(&req, &state, &body).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let lang = posted.lang;
    let stay = posted.text("stay_id").as_deref().and_then(StayId::parse);
    let place = posted.text("place_id").as_deref().and_then(PlaceId::parse);
    let (Some(stay), Some(place)) = (stay, place) else {
        let e = AppError::not_found("stay or place");
        return answer(&req, &state, &tag, &posted, shelter_id, failed(lang, &e)).await;
    };
    let keyed = posted.keyed(
        "POST /tonight/move",
        &MoveRequest {
            stay_id: stay.as_str(),
            place_id: place.as_str(),
        },
    );
    let actor = posted.actor(&tag);
    let stay_id = stay.as_str().to_owned();
    let acted = state
        .service()
        .run(move |ctx| crate::service::stays::move_keyed(ctx, &actor, &keyed, &stay, &place))
        .await;
    state.changed().await;
    let outcome = match acted {
        Ok(_) => Outcome::done(Words::Moved { stay_id }),
        Err(e) => failed(lang, &e),
    };
    answer(&req, &state, &tag, &posted, shelter_id, outcome).await
}

/// `GET /tonight/events?shelter_id=`: a `change` event each time the
/// service announces a change, for shelter staff at the shelter. The
/// event carries no data: the page fetches the list, an audited read.
async fn events(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let lang = Lang::of(&req);
    let signed = match session::signed_in(&req, &state).await {
        Ok(Some(s)) => s,
        Ok(None) => return HttpResponse::Unauthorized().finish(),
        Err(e) => return super::failed(&req, PageCtx::new(lang, None, "/"), e),
    };
    let query: Vec<(String, String)> = form_urlencoded::parse(req.query_string().as_bytes())
        .into_owned()
        .collect();
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let shelter_id = param("shelter_id").unwrap_or_default();
    if !may_act(&signed.session.caller, &shelter_id) {
        return HttpResponse::Forbidden().finish();
    }
    let since = param("since").and_then(|v| v.parse::<u64>().ok());
    let admits: super::live::Admits = Box::new(move |caller| may_act(caller, &shelter_id));
    super::live::changes(state, &signed, since, admits)
}

/// The keys the code above turns into texts (checked by a test).
#[cfg(test)]
const BUILT_KEYS: &[&str] = &[
    "desk-free-bed",
    "desk-refused-released",
    "desk-refused-no-free-place",
    "desk-refused-category",
    "desk-refused-banned",
    "desk-refused-night",
    "desk-refused-other",
    "desk-refused-not-active",
    "desk-refused-in-progress",
    "desk-refused-busy",
    "desk-refused-reason",
    "desk-refused-key-reused",
    "desk-refused-not-found",
    "desk-not-your-shelter",
    "desk-failed",
    "desk-no-guest-at-bed",
    "desk-checked-in",
    "desk-moved",
    "desk-ended",
    "unavailable-text",
    "category-women",
    "category-overflow",
    "category-regular",
];

/// The context of a signed-in page whose language switch leads to the
/// start page.
pub(super) fn ctx(lang: Lang, signed: &SignedIn) -> PageCtx {
    PageCtx::new(lang, Some(signed.csrf().to_owned()), "/")
}

// ---- Tonight's list (read through `service::tonight`; the start page
// shows it, the acts above answer with it) ----

/// A bed as the list shows it.
#[derive(Debug, Clone)]
pub struct BedView {
    pub label: String,
    pub category: String,
    pub state: BedState,
    pub guest: Option<String>,
    /// `stay`, `emergency`, `cold_night` (empty for a free bed).
    pub kind: String,
    /// The time of the check-in, in the partnership's zone.
    pub checked_in: Option<String>,
    /// The stay that holds (or held) the bed tonight: what the desk's
    /// forms act on (`web::desk`); none for a placement or a free bed.
    pub stay_id: Option<String>,
    /// The idempotency keys of the row's forms, made as it is shown.
    pub keys: RowKeys,
}

/// One shelter's night.
#[derive(Debug, Clone)]
pub struct ShelterTonight {
    pub id: String,
    pub name: String,
    /// The night's date, written out in the page's language.
    pub night: String,
    pub beds: Vec<BedView>,
    /// What the desk's forms need besides the beds (`web::desk`).
    pub desk: DeskView,
}

/// The list of one shelter alone, for htmx to swap in.
#[derive(Template)]
#[template(path = "tonight.html")]
struct TonightPart {
    page: PageCtx,
    shelter: ShelterTonight,
}
page_texts!(TonightPart);

pub(super) fn view(
    lang: Lang,
    zone: chrono_tz::Tz,
    id: String,
    name: String,
    t: Tonight,
    generation: u64,
) -> ShelterTonight {
    let desk = DeskView::of(lang, &t, generation);
    ShelterTonight {
        id,
        name,
        night: i18n::date(lang, t.night.date()),
        desk,
        beds: t
            .beds
            .into_iter()
            .map(|b| {
                let (guest, kind, checked_in, stay_id) = match b.occupant {
                    Some(o) => (
                        Some(format!("{} {}", o.given_name, o.family_name)),
                        o.kind.clone(),
                        o.checked_in_at.map(|at| i18n::time(at, zone)),
                        (o.kind == "stay").then_some(o.subject_id),
                    ),
                    None => (None, String::new(), None, None),
                };
                BedView {
                    label: b.label,
                    category: b.category,
                    state: b.state,
                    guest,
                    kind,
                    checked_in,
                    stay_id,
                    keys: RowKeys::new(),
                }
            })
            .collect(),
    }
}

/// The shelters' nights for the caller, read in one audited act: the
/// read and its audit entries commit together.
pub(super) async fn read_tonight(
    state: &AppState,
    caller: &Caller,
    tag: &RequestTag,
    shelter_ids: Vec<String>,
) -> Result<Vec<(String, String, Tonight)>, AppError> {
    let service = state.service();
    let now = service.rules_now()?;
    let audit = audit(caller, tag, "stay.list", Target::default());
    service
        .audited(
            audit,
            move |conn| {
                let mut out = Vec::new();
                for id in shelter_ids {
                    let Some(shelter) = crate::db::places::shelter(conn, &id)? else {
                        continue;
                    };
                    let t = crate::service::tonight::tonight(conn, &id, &now)?;
                    out.push((id, shelter.name, t));
                }
                Ok(out)
            },
            |found: &Vec<(String, String, Tonight)>| {
                found
                    .iter()
                    .flat_map(|(_, _, t)| t.occupants())
                    .map(|o| {
                        let target = Target::both(&o.guest_id, &o.subject_id);
                        if o.kind == "stay" {
                            target
                        } else {
                            target.as_action("placement.list")
                        }
                    })
                    .collect()
            },
        )
        .await
}

/// `GET /tonight?shelter_id=`: one shelter's list again (the refresh
/// button, through htmx), for shelter staff at that shelter.
pub async fn tonight(
    req: HttpRequest,
    state: web::Data<AppState>,
    tag: RequestTag,
) -> HttpResponse {
    let lang = Lang::of(&req);
    let signed = match session::signed_in(&req, &state).await {
        Ok(Some(s)) => s,
        Ok(None) => return super::to_login(&req),
        Err(e) => return super::failed(&req, PageCtx::new(lang, None, "/"), e),
    };
    if !req.headers().contains_key("hx-request") {
        return super::see_other("/");
    }
    let caller = signed.session.caller.clone();
    let shelter_id = super::query_value(&req, "shelter_id").unwrap_or_default();
    let allowed = caller.has(Role::ShelterStaff) && caller.shelters.contains(&shelter_id);
    if !allowed {
        let e = AppError::Forbidden("This is at a shelter your account does not work at.".into());
        return super::failed(&req, ctx(lang, &signed), e);
    }
    let zone = state.partnership.calendar.zone;
    let generation = state.changes.generation();
    match read_tonight(&state, &caller, &tag, vec![shelter_id]).await {
        Ok(mut found) => match found.pop() {
            Some((id, name, t)) => super::html(
                StatusCode::OK,
                &TonightPart {
                    page: ctx(lang, &signed),
                    shelter: view(lang, zone, id, name, t, generation),
                },
            ),
            None => super::failed(&req, ctx(lang, &signed), AppError::not_found("shelter")),
        },
        Err(e) => super::failed(&req, ctx(lang, &signed), e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keys_the_desk_builds_are_in_every_catalogue() {
        i18n::tests::assert_in_every_catalogue(BUILT_KEYS);
    }

    #[test]
    fn refusals_say_what_to_do_in_both_languages() {
        for lang in Lang::ALL {
            let released = AppError::Refused(Refusal::ReservationReleased {
                free_places: vec![],
            });
            let (status, text) = refusal(lang, &released);
            assert_eq!(status, StatusCode::CONFLICT);
            assert!(!text.starts_with("desk-"), "{text}");
            let (status, _) = refusal(lang, &AppError::validation("reason", "blank"));
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        }
    }
}
