//! The start page, per role: who is signed in, with which roles, and for
//! shelter staff their shelters and "Tonight at my shelter", read through
//! `service::tonight`. Each read of the list is on the audit trail as the
//! API's reads are (`Context::audited`): one entry per guest it names,
//! `stay.list` for a stay's night and `placement.list` for a single-night
//! placement.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::i18n::{self, Lang, Texts};
use super::session::{self, SignedIn};
use super::{PageCtx, page_texts};
use crate::api::extract::{RequestTag, audit};
use crate::api::state::AppState;
use crate::audit::Target;
use crate::auth::Caller;
use crate::domain::Role;
use crate::error::AppError;
use crate::service::tonight::{BedState, Tonight};

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
    pub keys: super::desk::RowKeys,
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
    pub desk: super::desk::DeskView,
}

#[derive(Template)]
#[template(path = "start.html")]
struct StartPage {
    page: PageCtx,
    username: String,
    roles: Vec<Role>,
    now_date: String,
    now_time: String,
    shelter_staff: bool,
    shelters: Vec<String>,
    tonight: Vec<ShelterTonight>,
}
page_texts!(StartPage);

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
    let desk = super::desk::DeskView::of(lang, &t, generation);
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
                    keys: super::desk::RowKeys::new(),
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

pub(super) fn ctx(lang: Lang, signed: &SignedIn) -> PageCtx {
    PageCtx::new(lang, Some(signed.csrf().to_owned()), "/")
}

/// `GET /`: the start page of the signed-in user; the sign-in page for
/// anyone else.
pub async fn start(req: HttpRequest, state: web::Data<AppState>, tag: RequestTag) -> HttpResponse {
    let lang = Lang::of(&req);
    let signed = match session::signed_in(&req, &state).await {
        Ok(Some(s)) => s,
        Ok(None) => return super::to_login(&req),
        Err(e) => return super::failed(&req, PageCtx::new(lang, None, "/"), e),
    };
    let caller = signed.session.caller.clone();
    let zone = state.partnership.calendar.zone;
    let instant = state.clock.now();
    let shelter_staff = caller.has(Role::ShelterStaff);
    let mut shelters = Vec::new();
    let mut tonight = Vec::new();
    if shelter_staff {
        // Read before the list: a change while it is read makes the
        // list's stream (`web::desk`) say so at once.
        let generation = state.changes.generation();
        match read_tonight(&state, &caller, &tag, caller.shelters.clone()).await {
            Ok(found) => {
                for (id, name, t) in found {
                    shelters.push(name.clone());
                    tonight.push(view(lang, zone, id, name, t, generation));
                }
            }
            Err(e) => return super::failed(&req, ctx(lang, &signed), e),
        }
    }
    let page = StartPage {
        page: ctx(lang, &signed),
        username: signed.session.username.clone(),
        roles: caller.roles.clone(),
        now_date: i18n::date(lang, i18n::local_date(instant, zone)),
        now_time: i18n::time(instant, zone),
        shelter_staff,
        shelters,
        tonight,
    };
    super::html(StatusCode::OK, &page)
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
    let shelter_id = form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "shelter_id")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
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
