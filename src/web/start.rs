//! The start page, per role: who is signed in, with which roles, the
//! ways to their pages, and for shelter staff their shelters and "Tonight
//! at my shelter" (the list and its acts are `web::desk`'s; each read of
//! it is on the audit trail as the API's reads are).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::desk::{ShelterTonight, ctx, read_tonight, view};
use super::i18n::{self, Lang, Texts};
use super::session;
use super::{PageCtx, page_texts};
use crate::api::extract::RequestTag;
use crate::api::state::AppState;
use crate::domain::Role;
use crate::service::tonight::BedState;

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
