//! Intake at the desk (issue 16): finding a guest as one types, registering
//! a new one (possible duplicates and the warnings of the rules shown
//! before saving), the guest's page with eligibility tonight, and a stay
//! given with one click.
//!
//! Each handler reads the session, checks the role as the API does
//! (`api::guests::GUEST_ROLES` to find, read and register;
//! `api::stays::STAY_ROLES` to give a stay), and calls the service
//! functions the API calls, audited the same way. Every form carries an
//! idempotency key made when it is shown, so a form sent again after a
//! dropped connection registers or books once and shows the first answer.
//! A refusal comes back in words, with what to do next, one text per code
//! of RULES.md (`refusal-CODE` in `locales/*/intake.ftl`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::form::{self, KEY_FIELD, Posted};
use super::i18n::{self, Lang, Texts};
use super::session::{self, SignedIn};
use super::{PageCtx, page_texts, query_value};
use crate::api::extract::{RequestTag, audit};
use crate::api::guests::GUEST_ROLES;
use crate::api::state::AppState;
use crate::api::stays::STAY_ROLES;
use crate::audit::Target;
use crate::auth::Caller;
use crate::db::guests::GuestRow;
use crate::domain::{Birth, CountryCode, Gender, Language, Need, PersonName, PlaceCategory, Role};
use crate::error::AppError;
use crate::ids::{GuestId, PlaceId, ShelterId};
use crate::rules::Refusal;
use crate::rules::checkin::Now;
use crate::rules::eligibility::{self, GuestFacts};
use crate::rules::stay::{self, Period};
use crate::service::guests::NewGuest;
use crate::service::stays::{self as svc, IntakeRequest};

/// The routes of these pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(super::page_resource("/intake").route(web::get().to(intake)))
        .service(super::page_resource("/intake/search").route(web::get().to(search_part)))
        .service(
            super::page_resource("/guests/new")
                .route(web::get().to(new_guest))
                .route(web::post().to(register)),
        )
        .service(super::page_resource("/guests/{id}").route(web::get().to(guest_page)))
        .service(super::page_resource("/guests/{id}/stay").route(web::post().to(take_stay)));
}

// ------------------------------------------------------------- shared

/// A guest found, as a list shows them.
#[derive(Debug, Clone)]
pub struct Found {
    pub id: String,
    pub name: String,
    pub birth_year: i32,
    pub card_number: String,
}

impl From<&GuestRow> for Found {
    fn from(g: &GuestRow) -> Self {
        Self {
            id: g.id.to_string(),
            name: format!("{} {}", g.given_name, g.family_name),
            birth_year: g.birth_year,
            card_number: g.card_number.clone(),
        }
    }
}

/// The session of a page request, or the answer to give instead (the way
/// to sign in, or the failure).
async fn signed(req: &HttpRequest, state: &AppState) -> Result<SignedIn, HttpResponse> {
    match session::signed_in(req, state).await {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(super::to_login(req)),
        Err(e) => Err(super::failed(
            req,
            PageCtx::new(Lang::of(req), None, "/"),
            e,
        )),
    }
}

fn ctx(lang: Lang, signed: &SignedIn, here: &'static str) -> PageCtx {
    PageCtx::new(lang, Some(signed.csrf().to_owned()), here)
}

fn is_htmx(req: &HttpRequest) -> bool {
    req.headers().contains_key("hx-request")
}

/// What a role that may not do this is told (403), in words: who may.
#[derive(Template)]
#[template(path = "intake_denied.html")]
struct DeniedPage {
    page: PageCtx,
    /// Giving stays (shelter staff, coordinators), not finding guests.
    stays: bool,
}
page_texts!(DeniedPage);

/// The 403 page of a role that may not do this; for htmx the words alone
/// would do as well, but the page is short and whole.
fn forbidden(page: PageCtx, roles: &[Role]) -> HttpResponse {
    let page = PageCtx { here: "/", ..page };
    let stays = roles == STAY_ROLES;
    super::html(StatusCode::FORBIDDEN, &DeniedPage { page, stays })
}

/// The search the API's `GET /guests?q=` makes, audited as it is
/// (`guest.search`, one entry per guest found). A blank search finds
/// nobody and reads nothing. The board's search is this one too.
pub(super) async fn find(
    state: &AppState,
    caller: &Caller,
    tag: &RequestTag,
    q: String,
) -> Result<Vec<Found>, AppError> {
    if q.trim().is_empty() {
        return Ok(Vec::new());
    }
    if q.chars().count() > 100 {
        return Err(AppError::validation("q", "must be at most 100 characters"));
    }
    let audit = audit(caller, tag, "guest.search", Target::default());
    let found = state
        .service()
        .audited(
            audit,
            move |conn| crate::service::guests::search(conn, &q, 50),
            |found: &Vec<GuestRow>| found.iter().map(|g| Target::guest(&g.id)).collect(),
        )
        .await?;
    Ok(found.iter().map(Found::from).collect())
}

// ------------------------------------------------------------- search

#[derive(Template)]
#[template(path = "intake.html")]
struct IntakePage {
    page: PageCtx,
    q: String,
    results: Results,
}
page_texts!(IntakePage);

/// The results of a search, alone: what htmx swaps in as one types.
#[derive(Template)]
#[template(path = "intake_results.html")]
struct ResultsPart {
    page: PageCtx,
    results: Results,
}
page_texts!(ResultsPart);

#[derive(Debug, Clone, Default)]
struct Results {
    /// Whether anything was asked (no "nobody found" before one types).
    asked: bool,
    found: Vec<Found>,
    too_long: bool,
}

async fn results(
    state: &AppState,
    caller: &Caller,
    tag: &RequestTag,
    q: &str,
) -> Result<Results, AppError> {
    match find(state, caller, tag, q.to_owned()).await {
        Ok(found) => Ok(Results {
            asked: !q.trim().is_empty(),
            found,
            too_long: false,
        }),
        Err(AppError::Validation(_)) => Ok(Results {
            asked: true,
            found: Vec::new(),
            too_long: true,
        }),
        Err(e) => Err(e),
    }
}

/// `GET /intake[?q=]`: the intake page, with the search box (and its
/// results, for a browser that sends the form without htmx).
async fn intake(req: HttpRequest, state: web::Data<AppState>, tag: RequestTag) -> HttpResponse {
    let lang = Lang::of(&req);
    let signed = match signed(&req, &state).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    let caller = signed.session.caller.clone();
    let page = ctx(lang, &signed, "/intake");
    if caller.require_any(GUEST_ROLES).is_err() {
        return forbidden(page, GUEST_ROLES);
    }
    let q = query_value(&req, "q").unwrap_or_default();
    match results(&state, &caller, &tag, &q).await {
        Ok(results) => super::html(StatusCode::OK, &IntakePage { page, q, results }),
        Err(e) => super::failed(&req, page, e),
    }
}

/// `GET /intake/search?q=`: the results alone, for htmx; a browser
/// without it is sent to the intake page with its search.
async fn search_part(
    req: HttpRequest,
    state: web::Data<AppState>,
    tag: RequestTag,
) -> HttpResponse {
    let lang = Lang::of(&req);
    let signed = match signed(&req, &state).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    let q = query_value(&req, "q").unwrap_or_default();
    if !is_htmx(&req) {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("q", &q)
            .finish();
        return super::see_other(&format!("/intake?{query}"));
    }
    let caller = signed.session.caller.clone();
    let page = ctx(lang, &signed, "/intake");
    if caller.require_any(GUEST_ROLES).is_err() {
        return forbidden(page, GUEST_ROLES);
    }
    match results(&state, &caller, &tag, &q).await {
        Ok(results) => super::html(StatusCode::OK, &ResultsPart { page, results }),
        Err(e) => super::failed(&req, page, e),
    }
}

// ------------------------------------------------------- registration

/// The registration form's fields, as sent (shown again as sent).
#[derive(Debug, Clone, Default)]
struct GuestForm {
    given_name: String,
    family_name: String,
    birth_date: String,
    birth_year: String,
    gender: String,
    citizenship: String,
    residence_permit_country: String,
    needs: Vec<String>,
    language: String,
}

impl GuestForm {
    fn of(posted: &Posted) -> Self {
        let text = |name: &str| posted.text(name).unwrap_or_default();
        Self {
            given_name: text("given_name"),
            family_name: text("family_name"),
            birth_date: text("birth_date"),
            birth_year: text("birth_year"),
            gender: text("gender"),
            citizenship: text("citizenship").to_ascii_uppercase(),
            residence_permit_country: text("residence_permit_country").to_ascii_uppercase(),
            needs: Need::ALL
                .iter()
                .filter(|n| posted.field(&format!("need-{}", n.as_str())).is_some())
                .map(|n| n.as_str().to_owned())
                .collect(),
            language: text("language"),
        }
    }

    /// The guest to register, or the fields that are wrong (by name).
    fn parse(&self, today: NaiveDate) -> Result<NewGuest, Vec<&'static str>> {
        let mut wrong = Vec::new();
        let given_name = PersonName::parse(&self.given_name)
            .map_err(|_| wrong.push("given_name"))
            .ok();
        let family_name = PersonName::parse(&self.family_name)
            .map_err(|_| wrong.push("family_name"))
            .ok();
        let year = if self.birth_year.is_empty() {
            Some(None)
        } else {
            self.birth_year.parse::<i32>().ok().map(Some)
        };
        let birth = match year {
            None => {
                wrong.push("birth_year");
                None
            }
            Some(year) => {
                let date = (!self.birth_date.is_empty()).then_some(self.birth_date.as_str());
                match Birth::parse(date, year, today) {
                    Ok(b) => Some(b),
                    Err(e) => {
                        wrong.push(if e.field == "birth_year" {
                            "birth_year"
                        } else {
                            "birth_date"
                        });
                        None
                    }
                }
            }
        };
        let gender = self
            .gender
            .parse::<Gender>()
            .map_err(|_| wrong.push("gender"))
            .ok();
        let citizenship = CountryCode::parse(&self.citizenship)
            .map_err(|_| wrong.push("citizenship"))
            .ok();
        let permit = if self.residence_permit_country.is_empty() {
            Some(None)
        } else {
            CountryCode::parse(&self.residence_permit_country)
                .map_err(|_| wrong.push("residence_permit_country"))
                .ok()
                .map(Some)
        };
        let mut needs = Vec::new();
        for n in &self.needs {
            match n.parse::<Need>() {
                Ok(need) => needs.push(need),
                Err(_) => wrong.push("needs"),
            }
        }
        let language = if self.language.is_empty() {
            Some(Language::default())
        } else {
            self.language
                .parse::<Language>()
                .map_err(|_| wrong.push("language"))
                .ok()
        };
        match (
            given_name,
            family_name,
            birth,
            gender,
            citizenship,
            permit,
            language,
        ) {
            (
                Some(given_name),
                Some(family_name),
                Some(birth),
                Some(gender),
                Some(citizenship),
                Some(residence_permit_country),
                Some(language),
            ) if wrong.is_empty() => Ok(NewGuest {
                given_name,
                family_name,
                birth,
                gender,
                citizenship,
                residence_permit_country,
                needs,
                language,
            }),
            _ => Err(wrong),
        }
    }
}

/// What the rules say of a guest about to be registered, at once.
#[derive(Debug, Clone, Default)]
struct Warnings {
    outside_target_group: bool,
    minor: bool,
    /// The acute needs ticked: each opens a referral when saved.
    needs: Vec<String>,
}

impl Warnings {
    fn any(&self) -> bool {
        self.outside_target_group || self.minor || !self.needs.is_empty()
    }
}

fn warnings_of(state: &AppState, new: &NewGuest) -> Result<Warnings, AppError> {
    let now = state.service().rules_now()?;
    let rules = &crate::service::beds::rules_for(&state.partnership, now.night)?;
    let facts = GuestFacts {
        birth_date: new.birth.date,
        birth_year: new.birth.year,
        citizenship: new.citizenship.as_str().to_owned(),
        residence_permit_country: new
            .residence_permit_country
            .as_ref()
            .map(|c| c.as_str().to_owned()),
    };
    Ok(Warnings {
        outside_target_group: !eligibility::in_target_group(&facts, rules),
        minor: eligibility::is_minor(&facts, now.night),
        needs: new.needs.iter().map(|n| n.as_str().to_owned()).collect(),
    })
}

#[derive(Template)]
#[template(path = "guest_new.html")]
struct NewGuestPage {
    page: PageCtx,
    key: String,
    form: GuestForm,
    wrong: Vec<&'static str>,
    warnings: Warnings,
    duplicates: Vec<Found>,
    /// Whether the checks were made and shown: the next send saves.
    checked: bool,
}
page_texts!(NewGuestPage);

impl NewGuestPage {
    fn is_wrong(&self, field: &str) -> bool {
        self.wrong.contains(&field)
    }

    /// Whether the need is ticked.
    fn has(&self, need: &str) -> bool {
        self.form.needs.iter().any(|n| n == need)
    }
}

/// The warnings alone, for htmx to show as the form is filled in.
#[derive(Template)]
#[template(path = "guest_warnings.html")]
struct WarningsPart {
    page: PageCtx,
    warnings: Warnings,
}
page_texts!(WarningsPart);

/// `GET /guests/new`: the registration form, with a fresh key.
async fn new_guest(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let lang = Lang::of(&req);
    let signed = match signed(&req, &state).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    let page = ctx(lang, &signed, "/guests/new");
    if signed.session.caller.require_any(GUEST_ROLES).is_err() {
        return forbidden(page, GUEST_ROLES);
    }
    let form = GuestForm::default();
    super::html(
        StatusCode::OK,
        &NewGuestPage {
            page,
            key: form::new_key(),
            form,
            wrong: Vec::new(),
            warnings: Warnings::default(),
            duplicates: Vec::new(),
            checked: false,
        },
    )
}

/// What the form's fingerprint is made of: the guest as sent, not the
/// step (a form checked and then saved with one key is one request).
#[derive(Serialize)]
struct Fingerprint<'a> {
    given_name: &'a str,
    family_name: &'a str,
    birth_date: &'a str,
    birth_year: &'a str,
    gender: &'a str,
    citizenship: &'a str,
    residence_permit_country: &'a str,
    needs: &'a [String],
    language: &'a str,
}

impl<'a> From<&'a GuestForm> for Fingerprint<'a> {
    fn from(f: &'a GuestForm) -> Self {
        Self {
            given_name: &f.given_name,
            family_name: &f.family_name,
            birth_date: &f.birth_date,
            birth_year: &f.birth_year,
            gender: &f.gender,
            citizenship: &f.citizenship,
            residence_permit_country: &f.residence_permit_country,
            needs: &f.needs,
            language: &f.language,
        }
    }
}

/// `POST /guests/new`: `step=warn` (htmx, as the form is filled in) gives
/// the warnings alone; `step=check` shows possible duplicates and
/// warnings before saving, or saves when there are none; `step=save`
/// saves as it is. A saved guest's page follows (303).
async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    tag: RequestTag,
    body: web::Bytes,
) -> HttpResponse {
    let posted = match form::posted(&req, &state, &body).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let page = posted.page("/guests/new");
    if posted.caller().require_any(GUEST_ROLES).is_err() {
        return forbidden(page, GUEST_ROLES);
    }
    let step = posted.field("step").unwrap_or("check").to_owned();
    let form = GuestForm::of(&posted);
    let key = posted
        .field(KEY_FIELD)
        .map(str::to_owned)
        .unwrap_or_else(form::new_key);
    let now = state.clock.now();
    let today = state.partnership.calendar.local(now).date();
    let parsed = form.parse(today);
    if step == "warn" {
        let warnings = match &parsed {
            Ok(new) => match warnings_of(&state, new) {
                Ok(w) => w,
                Err(e) => return super::failed(&req, page, e),
            },
            Err(_) => Warnings::default(),
        };
        return super::html(StatusCode::OK, &WarningsPart { page, warnings });
    }
    let new = match parsed {
        Ok(new) => new,
        Err(wrong) => {
            let shown = NewGuestPage {
                page,
                key,
                form,
                wrong,
                warnings: Warnings::default(),
                duplicates: Vec::new(),
                checked: false,
            };
            return super::html(StatusCode::UNPROCESSABLE_ENTITY, &shown);
        }
    };
    let warnings = match warnings_of(&state, &new) {
        Ok(w) => w,
        Err(e) => return super::failed(&req, page, e),
    };
    let ask_first = step != "save";
    let keyed = posted.keyed("POST /guests/new", &Fingerprint::from(&form));
    let actor = posted.actor(&tag);
    let now_naive = now.naive_utc();
    let hold = warnings.any();
    let registered = state
        .service()
        .run(move |ctx| {
            crate::service::guests::register_once(
                ctx, &actor, &keyed, new, ask_first, hold, now_naive,
            )
        })
        .await;
    use crate::service::guests::Registered;
    match registered {
        Ok(Registered::Saved((_, body))) => match body.get("id").and_then(|v| v.as_str()) {
            Some(id) => super::see_other(&format!("/guests/{id}")),
            None => super::failed(
                &req,
                page,
                AppError::Internal(anyhow::anyhow!("a registration answered without an id")),
            ),
        },
        Ok(Registered::Alike(alike)) => super::html(
            StatusCode::OK,
            &NewGuestPage {
                page,
                key,
                form,
                wrong: Vec::new(),
                warnings,
                duplicates: alike.iter().map(Found::from).collect(),
                checked: true,
            },
        ),
        Err(e) => super::failed(&req, page, e),
    }
}

// ------------------------------------------------------ the guest page

/// The guest as the page shows them.
#[derive(Debug, Clone)]
struct GuestShown {
    id: String,
    name: String,
    card_number: String,
    /// The date of birth in words, or the year.
    birth: String,
    gender: String,
    citizenship: String,
    residence_permit_country: Option<String>,
    language: String,
    needs: Vec<String>,
}

impl GuestShown {
    fn of(lang: Lang, g: &GuestRow) -> Self {
        Self {
            id: g.id.to_string(),
            name: format!("{} {}", g.given_name, g.family_name),
            card_number: g.card_number.clone(),
            birth: g
                .birth_date
                .map(|d| i18n::date(lang, d))
                .unwrap_or_else(|| g.birth_year.to_string()),
            gender: g.gender.clone(),
            citizenship: g.citizenship.clone(),
            residence_permit_country: g.residence_permit_country.clone(),
            language: g.language.clone(),
            needs: serde_json::from_str(&g.needs).unwrap_or_default(),
        }
    }
}

/// A refusal (or an eligibility that is not), in words: the reason with
/// its dates and what to do next, and for `no-free-place` the shelters
/// with free beds, by name.
#[derive(Debug, Clone)]
pub struct RefusalShown {
    pub code: String,
    pub reason: String,
    pub next: String,
    pub alternatives: Vec<String>,
}

/// The codes of RULES.md a desk can meet, each with `refusal-CODE` and
/// `refusal-CODE-next` in the catalogues (a test checks).
pub const REFUSAL_CODES: [&str; 11] = [
    "outside-target-group",
    "minor",
    "in-quarantine",
    "already-has-stay",
    "already-placed",
    "banned",
    "no-free-place",
    "category-not-allowed",
    "night-out-of-range",
    "reservation-released",
    "not-a-cold-night",
];

fn words(lang: Lang, code: &str, dates: &[(&str, String)]) -> (String, String) {
    let known = REFUSAL_CODES.contains(&code);
    let code = if known { code } else { "other" };
    let args: Vec<(&str, &str)> = dates.iter().map(|(k, v)| (*k, v.as_str())).collect();
    (
        i18n::text(lang, &format!("refusal-{code}"), &args),
        i18n::text(lang, &format!("refusal-{code}-next"), &args),
    )
}

fn refusal_shown(lang: Lang, r: &Refusal, shelters: &[(String, String)]) -> RefusalShown {
    let d = |n: crate::rules::Night| i18n::date(lang, n.date());
    let mut dates = Vec::new();
    let mut alternatives = Vec::new();
    match r {
        Refusal::InQuarantine { eligible_from } => dates.push(("date", d(*eligible_from))),
        Refusal::Banned { last_night } => {
            dates.push(("last", d(*last_night)));
            dates.push(("date", d(last_night.plus(1))));
        }
        Refusal::NightOutOfRange { earliest, latest } => {
            dates.push(("earliest", d(*earliest)));
            dates.push(("latest", d(*latest)));
        }
        Refusal::NoFreePlace { alternatives: alts } => {
            for a in alts {
                let name = shelters
                    .iter()
                    .find(|(id, _)| *id == a.shelter_id)
                    .map(|(_, n)| n.clone())
                    .unwrap_or_else(|| a.shelter_id.clone());
                let (regular, women) = (a.regular.to_string(), a.women.to_string());
                alternatives.push(i18n::text(
                    lang,
                    "intake-alternative",
                    &[("shelter", &name), ("regular", &regular), ("women", &women)],
                ));
            }
        }
        Refusal::ReservationReleased { free_places } => {
            for p in free_places {
                let name = shelters
                    .iter()
                    .find(|(id, _)| *id == p.shelter_id)
                    .map(|(_, n)| n.clone())
                    .unwrap_or_default();
                alternatives.push(i18n::text(
                    lang,
                    "intake-free-bed",
                    &[("shelter", &name), ("bed", &p.label)],
                ));
            }
        }
        _ => {}
    }
    let (reason, next) = words(lang, r.code(), &dates);
    RefusalShown {
        code: r.code().to_owned(),
        reason,
        next,
        alternatives,
    }
}

/// A stay as the page shows it.
#[derive(Debug, Clone)]
pub struct StayShown {
    pub id: String,
    pub shelter: String,
    pub bed: String,
    pub category: String,
    pub first: String,
    pub last: String,
    pub nights: usize,
    pub quarantine_first: String,
    pub quarantine_last: String,
    pub again: String,
}

/// The stay of an answer (`StayView` as JSON: the first answer of a key
/// is kept so), for the page.
#[derive(Deserialize)]
struct StayJson {
    id: String,
    shelter_id: String,
    category: String,
    first_night: NaiveDate,
    last_night: NaiveDate,
    quarantine_last_night: NaiveDate,
    eligible_again_from: NaiveDate,
    nights: Vec<NightJson>,
}

#[derive(Deserialize)]
struct NightJson {
    label: String,
}

fn stay_shown(
    lang: Lang,
    value: &serde_json::Value,
    shelters: &[(String, String)],
) -> Result<StayShown, AppError> {
    let s: StayJson =
        serde_json::from_value(value.clone()).map_err(|e| AppError::Internal(e.into()))?;
    let shelter = shelters
        .iter()
        .find(|(id, _)| *id == s.shelter_id)
        .map(|(_, n)| n.clone())
        .unwrap_or_default();
    let nights = usize::try_from((s.last_night - s.first_night).num_days() + 1).unwrap_or(0);
    let quarantine_first = s.last_night.succ_opt().unwrap_or(s.last_night);
    Ok(StayShown {
        id: s.id,
        shelter,
        bed: s
            .nights
            .first()
            .map(|n| n.label.clone())
            .unwrap_or_default(),
        category: s.category,
        first: i18n::date(lang, s.first_night),
        last: i18n::date(lang, s.last_night),
        nights,
        quarantine_first: i18n::date(lang, quarantine_first),
        quarantine_last: i18n::date(lang, s.quarantine_last_night),
        again: i18n::date(lang, s.eligible_again_from),
    })
}

/// A free bed offered in the stay form.
#[derive(Debug, Clone)]
pub struct BedOption {
    pub id: String,
    pub label: String,
    pub category: String,
}

/// The stay form of the guest page.
#[derive(Debug, Clone)]
struct StayForm {
    key: String,
    shelters: Vec<(String, String)>,
    shelter_id: String,
    /// The bed the service would choose; the first of `beds`.
    suggested: Option<BedOption>,
    beds: Vec<BedOption>,
}

/// Eligibility tonight in words.
#[derive(Debug, Clone)]
struct EligibilityShown {
    night: String,
    eligible: bool,
    refusal: Option<RefusalShown>,
}

#[derive(Template)]
#[template(path = "guest.html")]
struct GuestPage {
    page: PageCtx,
    guest: GuestShown,
    eligibility: EligibilityShown,
    current: Option<StayShown>,
    /// The stay the guest has is at a shelter the desk does not work at.
    elsewhere: bool,
    stay_form: Option<StayForm>,
    outcome: Option<Outcome>,
}
page_texts!(GuestPage);

impl GuestPage {
    /// The name of the shelter the stay form gives a stay at.
    fn shelter_name(&self, f: &StayForm) -> String {
        f.shelters
            .iter()
            .find(|(id, _)| *id == f.shelter_id)
            .map(|(_, n)| n.clone())
            .unwrap_or_default()
    }
}

/// What a stay form came to.
#[derive(Debug, Clone)]
pub enum Outcome {
    Granted(StayShown),
    Refused(RefusalShown),
    /// Anything else (a shelter the desk may not use, a bed not of the
    /// shelter, the service failing), in words.
    Problem(String),
}

#[derive(Template)]
#[template(path = "guest_stay.html")]
struct OutcomePart {
    page: PageCtx,
    outcome: Option<Outcome>,
}
page_texts!(OutcomePart);

/// Every shelter by id and name, sorted by name.
async fn shelter_names(state: &AppState) -> Result<Vec<(String, String)>, AppError> {
    let mut all = crate::service::blocking(&state.pool, |conn| {
        Ok(crate::db::places::list_shelters(conn)?)
    })
    .await?;
    all.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(all.into_iter().map(|s| (s.id, s.name)).collect())
}

/// The beds free at `shelter_id` for a stay of the guest from tonight, in
/// the order the service tries them (`stays::take_stay`): for a woman the
/// women's places first (free for the seven nights), then the regular
/// ones (for five). The first is the one the service would choose.
async fn free_beds(
    state: &AppState,
    guest: &GuestRow,
    shelter_id: String,
) -> Result<Vec<BedOption>, AppError> {
    let now: Now = state.service().rules_now()?;
    let rules = crate::service::beds::rules_for(&state.partnership, now.night)?.clone();
    let gender = crate::service::beds::gender_of(guest);
    let categories =
        stay::stay_categories(None, gender).unwrap_or_else(|_| vec![PlaceCategory::Regular]);
    crate::service::blocking(&state.pool, move |conn| {
        let mut out = Vec::new();
        for category in categories {
            let period = Period::granted(now.night, category, &rules);
            let free = crate::db::stays::free_places(
                conn,
                Some(&shelter_id),
                &[category.as_str()],
                now.night.date(),
                period.last_night().date(),
                &now,
            )?;
            out.extend(free.into_iter().map(|f| BedOption {
                id: f.id.to_string(),
                label: f.label,
                category: f.category,
            }));
        }
        Ok(out)
    })
    .await
}

/// The shelters the caller may give stays at: their own, or every one
/// for a coordinator.
fn stay_shelters(caller: &Caller, all: &[(String, String)]) -> Vec<(String, String)> {
    let scope = caller.scope();
    all.iter()
        .filter(|(id, _)| match &scope {
            crate::auth::Scope::All => true,
            crate::auth::Scope::Shelters(own) => own.contains(id),
        })
        .cloned()
        .collect()
}

/// `GET /guests/{id}[?shelter_id=]`: the guest, eligibility tonight with
/// the reason and the date it changes, the stay they hold, and (for the
/// roles that give stays) the form that gives one at the desk's shelter.
/// The reads are audited as the API's: `guest.read`,
/// `guest.eligibility`, `stay.read`.
async fn guest_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    tag: RequestTag,
    path: web::Path<String>,
) -> HttpResponse {
    let lang = Lang::of(&req);
    let signed = match signed(&req, &state).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    let caller = signed.session.caller.clone();
    // The language switch comes back here: "" keeps the address.
    let page = ctx(lang, &signed, "");
    if caller.require_any(GUEST_ROLES).is_err() {
        return forbidden(page, GUEST_ROLES);
    }
    let shelter = query_value(&req, "shelter_id");
    match read_guest_page(&state, &caller, &tag, lang, path.into_inner(), shelter).await {
        Ok((guest, eligibility, current, elsewhere, stay_form)) => super::html(
            StatusCode::OK,
            &GuestPage {
                page,
                guest,
                eligibility,
                current,
                elsewhere,
                stay_form,
                outcome: None,
            },
        ),
        Err(e) => super::failed(&req, page, e),
    }
}

type GuestPageParts = (
    GuestShown,
    EligibilityShown,
    Option<StayShown>,
    bool,
    Option<StayForm>,
);

async fn read_guest_page(
    state: &AppState,
    caller: &Caller,
    tag: &RequestTag,
    lang: Lang,
    id: String,
    shelter: Option<String>,
) -> Result<GuestPageParts, AppError> {
    let guest_id: GuestId = crate::api::fields::path_id(&id, "guest")?;
    let audit = audit(caller, tag, "guest.read", Target::default());
    let row = state
        .service()
        .audited(
            audit,
            move |conn| {
                crate::db::guests::get(conn, &id)?.ok_or_else(|| AppError::not_found("guest"))
            },
            |g: &GuestRow| vec![Target::guest(&g.id)],
        )
        .await?;
    let actor = crate::api::extract::actor(caller, tag);
    let seen = guest_id.clone();
    let view = state
        .service()
        .run(move |ctx| svc::eligibility(ctx, &actor, &seen, None))
        .await?;
    let shelters = shelter_names(state).await?;
    let refusal = view.code.as_deref().map(|code| {
        let mut dates = Vec::new();
        if let Some(from) = view.eligible_from {
            dates.push(("date", i18n::date(lang, from.date())));
            dates.push(("last", i18n::date(lang, from.plus(-1).date())));
        }
        let (reason, next) = words(lang, code, &dates);
        RefusalShown {
            code: code.to_owned(),
            reason,
            next,
            alternatives: Vec::new(),
        }
    });
    let eligibility = EligibilityShown {
        night: i18n::date(lang, view.night.date()),
        eligible: view.eligible,
        refusal,
    };
    let mut current = None;
    let mut elsewhere = false;
    if let Some(stay_id) = view.stay_id.clone() {
        let stay_id: crate::ids::StayId = crate::api::fields::path_id(&stay_id, "stay")?;
        let actor = crate::api::extract::actor(caller, tag);
        let read = state
            .service()
            .run(move |ctx| svc::get(ctx, &actor, &stay_id))
            .await;
        match read {
            Ok(stay) => {
                let value =
                    serde_json::to_value(&stay).map_err(|e| AppError::Internal(e.into()))?;
                current = Some(stay_shown(lang, &value, &shelters)?);
            }
            // The stay is at a shelter the desk does not work at: say so,
            // without what only that shelter's staff may read.
            Err(AppError::Forbidden(_)) => elsewhere = true,
            Err(e) => return Err(e),
        }
    }
    let stay_form = if caller.require_any(STAY_ROLES).is_ok() && view.stay_id.is_none() {
        let own = stay_shelters(caller, &shelters);
        let chosen = shelter
            .filter(|s| own.iter().any(|(id, _)| id == s))
            .or_else(|| own.first().map(|(id, _)| id.clone()));
        match chosen {
            Some(shelter_id) => {
                let beds = free_beds(state, &row, shelter_id.clone()).await?;
                Some(StayForm {
                    key: form::new_key(),
                    shelters: own,
                    shelter_id,
                    suggested: beds.first().cloned(),
                    beds,
                })
            }
            None => None,
        }
    } else {
        None
    };
    Ok((
        GuestShown::of(lang, &row),
        eligibility,
        current,
        elsewhere,
        stay_form,
    ))
}

/// What the stay form's fingerprint is made of.
#[derive(Serialize)]
struct StayRequest<'a> {
    guest_id: &'a str,
    shelter_id: &'a str,
    place_id: Option<&'a str>,
}

/// `POST /guests/{id}/stay`: gives the guest a stay from tonight at the
/// shelter sent, on the bed chosen or the one the service chooses, once
/// per idempotency key (`stays::take_stay`, as `POST /stays`). The answer
/// is the stay, or the refusal in words; for htmx the part alone, else
/// the guest's page with it.
async fn take_stay(
    req: HttpRequest,
    state: web::Data<AppState>,
    tag: RequestTag,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let posted = match form::posted(&req, &state, &body).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let lang = posted.lang;
    let page = posted.page("/intake");
    if posted.caller().require_any(STAY_ROLES).is_err() {
        return forbidden(page, STAY_ROLES);
    }
    let guest = path.into_inner();
    let shelter = posted.text("shelter_id").unwrap_or_default();
    let place = posted.text("place_id");
    let (status, outcome) =
        match stay_outcome(&state, &posted, &tag, lang, &guest, &shelter, place).await {
            Ok(o) => o,
            Err(e) => return super::failed(&req, page, e),
        };
    if status == StatusCode::CREATED {
        state.changed().await;
    }
    let outcome = Some(outcome);
    if is_htmx(&req) {
        return super::html(status, &OutcomePart { page, outcome });
    }
    let caller = posted.caller().clone();
    match read_guest_page(&state, &caller, &tag, lang, guest, Some(shelter)).await {
        Ok((guest, eligibility, current, elsewhere, stay_form)) => super::html(
            status,
            &GuestPage {
                page,
                guest,
                eligibility,
                current,
                elsewhere,
                stay_form,
                outcome,
            },
        ),
        Err(e) => super::failed(&req, page, e),
    }
}

async fn stay_outcome(
    state: &AppState,
    posted: &Posted,
    tag: &RequestTag,
    lang: Lang,
    guest: &str,
    shelter: &str,
    place: Option<String>,
) -> Result<(StatusCode, Outcome), AppError> {
    let (Some(guest_id), Some(shelter_id)) = (GuestId::parse(guest), ShelterId::parse(shelter))
    else {
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            Outcome::Problem(i18n::text(lang, "intake-problem-input", &[])),
        ));
    };
    let place_id = match place.as_deref() {
        None => None,
        Some(p) => match PlaceId::parse(p) {
            Some(p) => Some(p),
            None => {
                return Ok((
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Outcome::Problem(i18n::text(lang, "intake-problem-input", &[])),
                ));
            }
        },
    };
    let keyed = posted.keyed(
        &format!("POST /guests/{guest}/stay"),
        &StayRequest {
            guest_id: guest,
            shelter_id: shelter,
            place_id: place.as_deref(),
        },
    );
    let request = IntakeRequest {
        guest_id,
        shelter_id,
        place_id,
        category: None,
        first_night: None,
    };
    let actor = posted.actor(tag);
    let taken = state
        .service()
        .run(move |ctx| svc::take_stay(ctx, &actor, &keyed, &request))
        .await;
    let shelters = shelter_names(state).await?;
    match taken {
        Ok((_, value)) => Ok((
            StatusCode::CREATED,
            Outcome::Granted(stay_shown(lang, &value, &shelters)?),
        )),
        Err(AppError::Refused(r)) => Ok((
            StatusCode::CONFLICT,
            Outcome::Refused(refusal_shown(lang, &r, &shelters)),
        )),
        Err(AppError::Forbidden(_)) => Ok((
            StatusCode::FORBIDDEN,
            Outcome::Problem(i18n::text(lang, "intake-problem-shelter", &[])),
        )),
        Err(AppError::Validation(_)) | Err(AppError::NotFound(_)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            Outcome::Problem(i18n::text(lang, "intake-problem-input", &[])),
        )),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::SOURCES;
    use crate::web::i18n::tests::keys;

    #[test]
    fn every_refusal_code_has_its_words_and_what_to_do_next() {
        for (lang, source) in SOURCES {
            let known = keys(source);
            for code in REFUSAL_CODES.iter().chain(["other"].iter()) {
                for key in [format!("refusal-{code}"), format!("refusal-{code}-next")] {
                    assert!(known.contains(&key), "locales/{}/ lacks {key}", lang.code());
                }
            }
            for key in [
                "intake-alternative",
                "intake-free-bed",
                "intake-problem-input",
                "intake-problem-shelter",
            ] {
                assert!(known.contains(key), "locales/{}/ lacks {key}", lang.code());
            }
        }
    }

    #[test]
    fn a_refusal_in_karenstid_names_the_date_it_ends() {
        let r = Refusal::InQuarantine {
            eligible_from: "2019-12-08".parse().unwrap(),
        };
        let sv = refusal_shown(Lang::Sv, &r, &[]);
        assert_eq!(sv.code, "in-quarantine");
        assert!(sv.reason.contains("8 december 2019"), "{}", sv.reason);
        let en = refusal_shown(Lang::En, &r, &[]);
        assert!(en.reason.contains("8 December 2019"), "{}", en.reason);
    }

    #[test]
    fn no_free_place_names_the_other_shelters() {
        let r = Refusal::NoFreePlace {
            alternatives: vec![crate::rules::refusal::Alternative {
                shelter_id: "s2".into(),
                regular: 3,
                women: 1,
            }],
        };
        let shown = refusal_shown(Lang::En, &r, &[("s2".into(), "Hägersten".into())]);
        assert_eq!(shown.alternatives.len(), 1);
        assert!(
            shown.alternatives[0].contains("Hägersten"),
            "{:?}",
            shown.alternatives
        );
    }

    #[test]
    fn the_form_is_read_as_the_api_reads_a_guest() {
        let today = NaiveDate::from_ymd_opt(2019, 12, 1).unwrap();
        let form = GuestForm {
            given_name: "Ion".into(),
            family_name: "Rusu".into(),
            birth_year: "1980".into(),
            gender: "man".into(),
            citizenship: "RO".into(),
            language: "ro".into(),
            ..GuestForm::default()
        };
        let new = form.parse(today).unwrap();
        assert_eq!(new.birth.year, 1980);
        assert_eq!(new.language, Language::Ro);
        let bad = GuestForm {
            citizenship: "XX".into(),
            birth_year: "next year".into(),
            ..form
        };
        let wrong = bad.parse(today).unwrap_err();
        assert!(
            wrong.contains(&"citizenship") && wrong.contains(&"birth_year"),
            "{wrong:?}"
        );
    }
}
