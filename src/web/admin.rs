//! The admin's pages (issue 17): users, shelters and their places, and
//! rule sets. Only the admin may open them; every other role is told so
//! (403), and a visitor without a session is sent to sign in.
//!
//! Each form passes `form::posted` (origin, session, CSRF) and then calls
//! the service function the API calls, audited as the API audits it
//! (`user.create`, `user.update`, `rule_set.create`; the shelter acts are
//! not on the audit trail through the API either). A refusal is shown in
//! words next to the form (and field) it concerns, in the page's
//! language; the service's own texts are English and for machines.
//!
//! A form sent twice (a dropped connection, a double click) creates once
//! because the acts refuse a second identical create: a username is taken,
//! a place's label is taken at its shelter, and a rule set must take
//! effect after the newest one. The second answer says so in words (with
//! the thing already there in the list below it), so no idempotency key
//! is needed; the changes (roles, active, address) are idempotent by
//! nature. A success answers with a redirect to the page (303), so that a
//! reload does not send the form again.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveTime;
use secrecy::SecretString;

use super::form::{self, Posted};
use super::i18n::{self, Lang, Texts};
use super::session::{self, SignedIn};
use super::{PageCtx, page_texts};
use crate::api::extract::{RequestTag, audit};
use crate::api::state::AppState;
use crate::audit::Target;
use crate::db::places::ShelterSummary;
use crate::domain::{PlaceCategory, Role, check_password};
use crate::error::{AppError, FieldError};
use crate::rules::{Night, RuleSet};
use crate::service::act::Created;
use crate::service::users::{NewUser, UserChange, check_username};

/// The routes of these pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        super::page_resource("/admin/users")
            .route(web::get().to(users_page))
            .route(web::post().to(create_user)),
    )
    .service(super::page_resource("/admin/users/{id}").route(web::post().to(change_user)))
    .service(super::page_resource("/admin/shelters").route(web::get().to(shelters_page)))
    .service(super::page_resource("/admin/shelters/{id}").route(web::post().to(change_shelter)))
    .service(super::page_resource("/admin/shelters/{id}/places").route(web::post().to(add_place)))
    .service(
        super::page_resource("/admin/shelters/{id}/places/{place_id}/out-of-service")
            .route(web::post().to(out_of_service)),
    )
    .service(
        super::page_resource("/admin/rule-sets")
            .route(web::get().to(rule_sets_page))
            .route(web::post().to(create_rule_set)),
    );
}

// ------------------------------------------------------------- shared

/// A problem with one field (or with the whole form: field empty), in
/// words.
#[derive(Debug, Clone)]
pub struct Problem {
    pub field: String,
    pub text: String,
}

/// A refused form: which form (its element id) and why.
#[derive(Debug, Clone, Default)]
pub struct Refusal {
    pub form: String,
    pub problems: Vec<Problem>,
}

impl Refusal {
    fn of(form: &str, problems: Vec<Problem>) -> Self {
        Self {
            form: form.to_owned(),
            problems,
        }
    }
}

/// What the pages share: the refusal to show (none after a GET), and a
/// notice of what was just done.
#[derive(Debug, Clone, Default)]
struct Shown {
    refusal: Refusal,
    done: Option<String>,
}

impl Shown {
    fn problems_of(&self, form: &str) -> Vec<Problem> {
        if self.refusal.form == form {
            self.refusal.problems.clone()
        } else {
            Vec::new()
        }
    }

    fn field_problem(&self, form: &str, field: &str) -> Option<String> {
        (self.refusal.form == form)
            .then(|| {
                self.refusal
                    .problems
                    .iter()
                    .find(|p| p.field == field)
                    .map(|p| p.text.clone())
            })
            .flatten()
    }

    /// Problems of the form that name no field shown (said above it).
    fn general_of(&self, form: &str, fields: &[&str]) -> Vec<Problem> {
        self.problems_of(form)
            .into_iter()
            .filter(|p| !fields.contains(&p.field.as_str()))
            .collect()
    }
}

/// The words of a role (the keys of `main.ftl`).
fn role_key(role: Role) -> &'static str {
    match role {
        Role::Admin => "role-admin",
        Role::Coordinator => "role-coordinator",
        Role::ShelterStaff => "role-shelter_staff",
        Role::SocialEmergency => "role-social_emergency",
        Role::Outreach => "role-outreach",
    }
}

fn category_key(category: &str) -> &'static str {
    match category {
        "women" => "category-women",
        "overflow" => "category-overflow",
        _ => "category-regular",
    }
}

/// A field named by the service, without its index (`roles[0]` is the
/// roles field).
fn bare_field(field: &str) -> &str {
    field.split('[').next().unwrap_or(field)
}

/// The words for a field's problem: one text per field the admin's forms
/// have, in the page's language. `first_night` fills in the rule set's
/// first allowed night.
fn field_text(lang: Lang, field: &str, first_night: Option<&str>) -> String {
    let key = match field {
        "username" => "admin-problem-username",
        "password" => "admin-problem-password",
        "roles" => "admin-problem-roles",
        "shelter_ids" => "admin-problem-shelter_ids",
        "address" => "admin-problem-address",
        "phone" => "admin-problem-phone",
        "label" => "admin-problem-label",
        "category" => "admin-problem-category",
        "first_night" | "last_night" => "admin-problem-night",
        "reason" => "admin-problem-reason",
        "effective_from" => {
            return i18n::text(
                lang,
                "admin-problem-effective_from",
                &[("date", first_night.unwrap_or(""))],
            );
        }
        "no_show_cutoff" => "admin-problem-no_show_cutoff",
        "regular_nights" | "women_nights" | "no_show_ends_stay_after" => "admin-problem-nights-one",
        "quarantine_nights" | "booking_horizon_nights" => "admin-problem-nights-zero",
        "cold_night_threshold_c" => "admin-problem-threshold",
        "target_citizenships" | "target_permit_countries" => "admin-problem-countries",
        _ => "admin-problem-other",
    };
    i18n::text(lang, key, &[])
}

/// A refusal of the service in words, or `Err` for a failure that is no
/// refusal (the failure page then says it).
fn refusal_words(
    lang: Lang,
    e: AppError,
    first_night: Option<&str>,
) -> Result<Vec<Problem>, AppError> {
    let whole = |key: &str| {
        vec![Problem {
            field: String::new(),
            text: i18n::text(lang, key, &[]),
        }]
    };
    match e {
        AppError::Validation(errors) => Ok(errors
            .into_iter()
            .map(|FieldError { field, .. }| {
                let field = bare_field(&field).to_owned();
                Problem {
                    text: field_text(lang, &field, first_night),
                    field,
                }
            })
            .collect()),
        AppError::Conflict { code, .. } => Ok(match code {
            "username-taken" => vec![Problem {
                field: "username".into(),
                text: i18n::text(lang, "admin-refused-username-taken", &[]),
            }],
            "own-account" => whole("admin-refused-own-account"),
            "place-label-taken" => vec![Problem {
                field: "label".into(),
                text: i18n::text(lang, "admin-refused-place-label-taken", &[]),
            }],
            "place-held" => whole("admin-refused-place-held"),
            _ => whole("admin-refused-other"),
        }),
        AppError::NotFound(_) => Ok(whole("admin-refused-not-found")),
        e => Err(e),
    }
}

/// The status a refusal is answered with: the API's.
fn refusal_status(e: &AppError) -> StatusCode {
    actix_web::ResponseError::status_code(e)
}

#[derive(Template)]
#[template(path = "admin_denied.html")]
struct DeniedPage {
    page: PageCtx,
}
page_texts!(DeniedPage);

/// The 403 page of anyone but the admin.
fn forbidden(lang: Lang, signed: &SignedIn) -> HttpResponse {
    super::html(
        StatusCode::FORBIDDEN,
        &DeniedPage {
            page: ctx(lang, signed, "/"),
        },
    )
}

fn ctx(lang: Lang, signed: &SignedIn, here: &'static str) -> PageCtx {
    PageCtx::new(lang, Some(signed.csrf().to_owned()), here)
}

/// The admin's session for a page, or the answer to give instead.
async fn admin(req: &HttpRequest, state: &AppState) -> Result<SignedIn, HttpResponse> {
    let lang = Lang::of(req);
    match session::signed_in(req, state).await {
        Ok(Some(s)) if s.session.caller.has(Role::Admin) => Ok(s),
        Ok(Some(s)) => Err(forbidden(lang, &s)),
        Ok(None) => Err(super::to_login(req)),
        Err(e) => Err(super::failed(req, PageCtx::new(lang, None, "/"), e)),
    }
}

/// A form of the admin's, checked, or the answer to give instead.
async fn admin_form(
    req: &HttpRequest,
    state: &AppState,
    body: &[u8],
) -> Result<Posted, HttpResponse> {
    let posted = form::posted(req, state, body).await?;
    if !posted.caller().has(Role::Admin) {
        return Err(forbidden(posted.lang, &posted.signed));
    }
    Ok(posted)
}

/// The notice after a redirect: `?done=` names what was done.
fn done_text(req: &HttpRequest, lang: Lang) -> Option<String> {
    let done = form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "done")
        .map(|(_, v)| v.into_owned())?;
    let key = match done.as_str() {
        "user-created" => "admin-done-user-created",
        "user-changed" => "admin-done-user-changed",
        "shelter-changed" => "admin-done-shelter-changed",
        "place-added" => "admin-done-place-added",
        "out-of-service" => "admin-done-out-of-service",
        "rule-set-created" => "admin-done-rule-set-created",
        _ => return None,
    };
    Some(i18n::text(lang, key, &[]))
}

async fn shelters(state: &AppState) -> Result<Vec<ShelterSummary>, AppError> {
    crate::service::blocking(&state.pool, |conn| {
        Ok(crate::db::places::list_shelters(conn)?)
    })
    .await
}

// ------------------------------------------------------------- users

/// A user as the list shows them.
#[derive(Debug, Clone)]
pub struct UserItem {
    pub id: String,
    pub username: String,
    pub roles: Vec<Role>,
    pub role_words: Vec<String>,
    pub shelter_ids: Vec<String>,
    pub shelter_names: Vec<String>,
    pub active: bool,
    pub external_sign_in: bool,
    pub me: bool,
}

impl UserItem {
    fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r.as_str() == role)
    }
    fn at_shelter(&self, id: &str) -> bool {
        self.shelter_ids.iter().any(|s| s == id)
    }
}

#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub words: String,
}

/// The new-user form as sent (shown again when refused); without the
/// password, which is never shown again nor part of a form's key.
#[derive(Debug, Clone, Default, serde::Serialize)]
struct NewUserForm {
    username: String,
    roles: Vec<String>,
    shelter_ids: Vec<String>,
    external_sign_in: bool,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    page: PageCtx,
    shown: Shown,
    users: Vec<UserItem>,
    roles: Vec<Choice>,
    shelters: Vec<Choice>,
    new: NewUserForm,
}
page_texts!(UsersPage);

impl UsersPage {
    fn field_problem(&self, form: &str, field: &str) -> Option<String> {
        self.shown.field_problem(form, field)
    }
    fn general_of(&self, form: &str) -> Vec<Problem> {
        self.shown
            .general_of(form, &["username", "password", "roles", "shelter_ids"])
    }
    fn user_problems(&self, id: &str) -> Vec<Problem> {
        self.shown.problems_of(&format!("user-{id}"))
    }
    fn role_checked(&self, role: &str) -> bool {
        self.new.roles.iter().any(|r| r == role)
    }
    fn shelter_checked(&self, id: &str) -> bool {
        self.new.shelter_ids.iter().any(|s| s == id)
    }
}

async fn render_users(
    req: &HttpRequest,
    state: &AppState,
    signed: &SignedIn,
    lang: Lang,
    status: StatusCode,
    shown: Shown,
    new: NewUserForm,
) -> HttpResponse {
    let page = ctx(lang, signed, "/admin/users");
    let list = crate::service::blocking(&state.pool, |c| crate::service::users::list(c)).await;
    let (list, all_shelters) = match (list, shelters(state).await) {
        (Ok(l), Ok(s)) => (l, s),
        (Err(e), _) | (_, Err(e)) => return super::failed(req, page, e),
    };
    let name_of = |id: &String| {
        all_shelters
            .iter()
            .find(|s| &s.id == id)
            .map_or_else(|| id.clone(), |s| s.name.clone())
    };
    let users = list
        .into_iter()
        .map(|u| UserItem {
            role_words: u
                .roles
                .iter()
                .map(|r| i18n::text(lang, role_key(*r), &[]))
                .collect(),
            shelter_names: u.shelter_ids.iter().map(name_of).collect(),
            me: u.id == signed.session.caller.user_id,
            id: u.id,
            username: u.username,
            roles: u.roles,
            shelter_ids: u.shelter_ids,
            active: u.active,
            external_sign_in: u.external_sign_in,
        })
        .collect();
    let roles = Role::ALL
        .iter()
        .map(|r| Choice {
            value: r.as_str().to_owned(),
            words: i18n::text(lang, role_key(*r), &[]),
        })
        .collect();
    let shelters = all_shelters
        .into_iter()
        .map(|s| Choice {
            value: s.id,
            words: s.name,
        })
        .collect();
    super::html(
        status,
        &UsersPage {
            page,
            shown,
            users,
            roles,
            shelters,
            new,
        },
    )
}

/// `GET /admin/users`.
async fn users_page(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let signed = match admin(&req, &state).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    let lang = Lang::of(&req);
    let shown = Shown {
        done: done_text(&req, lang),
        ..Shown::default()
    };
    render_users(
        &req,
        &state,
        &signed,
        lang,
        StatusCode::OK,
        shown,
        NewUserForm::default(),
    )
    .await
}

/// Roles as checked: known ones, each once; none is a problem.
fn checked_roles(given: &[String], errors: &mut Vec<FieldError>) -> Vec<Role> {
    let mut roles = Vec::new();
    for r in given {
        match r.parse::<Role>() {
            Ok(role) if !roles.contains(&role) => roles.push(role),
            Ok(_) => {}
            Err(m) => errors.push(FieldError::new("roles", m)),
        }
    }
    if roles.is_empty() {
        errors.push(FieldError::new("roles", "must name at least one role"));
    }
    roles
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids.dedup();
    ids
}

/// The new user of the form, checked as the API checks `POST /users`.
fn new_user(posted: &Posted, form: &NewUserForm) -> Result<NewUser, AppError> {
    let mut errors = Vec::new();
    let username = check_username(&form.username)
        .map_err(|m| errors.push(FieldError::new("username", m)))
        .ok();
    let password = posted.field("password").unwrap_or_default().to_owned();
    if let Err(m) = check_password(&password) {
        errors.push(FieldError::new("password", m));
    }
    let roles = checked_roles(&form.roles, &mut errors);
    if roles.contains(&Role::ShelterStaff) && form.shelter_ids.is_empty() {
        errors.push(FieldError::new(
            "shelter_ids",
            "shelter_staff must be given at least one shelter",
        ));
    }
    match (errors.is_empty(), username) {
        (true, Some(username)) => Ok(NewUser {
            username,
            password: SecretString::from(password),
            roles,
            shelter_ids: sorted(form.shelter_ids.clone()),
            external_sign_in: form.external_sign_in,
        }),
        _ => Err(AppError::Validation(errors)),
    }
}

/// `POST /admin/users`: creates a user, audited `user.create` as the
/// API's `POST /users` is.
async fn create_user(
    req: HttpRequest,
    state: web::Data<AppState>,
    tag: RequestTag,
    body: web::Bytes,
) -> HttpResponse {
    let posted = match admin_form(&req, &state, &body).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let form = NewUserForm {
        username: posted.text("username").unwrap_or_default(),
        roles: form::all_of(&body, "roles"),
        shelter_ids: form::all_of(&body, "shelter_ids"),
        external_sign_in: posted.field("external_sign_in").is_some(),
    };
    let result = async {
        let new = new_user(&posted, &form)?;
        let hash = {
            let new = new.clone();
            web::block(move || crate::service::users::hash_password(&new))
                .await
                .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))??
        };
        let audit = audit(posted.caller(), &tag, "user.create", Target::default());
        // The password is not part of the key's fingerprint.
        let keyed = posted.keyed("POST /admin/users", &form);
        state
            .service()
            .audited_once(
                audit,
                keyed,
                201,
                move |conn| {
                    crate::service::users::create(conn, new, hash).map(|row| Created { id: row.id })
                },
                |c: &Created| vec![Target::subject(&c.id)],
            )
            .await
    }
    .await;
    match result {
        Ok(_) => {
            tracing::info!("user created through the admin's page");
            super::see_other("/admin/users?done=user-created")
        }
        Err(e) => user_refused(&req, &state, &posted, e, "new-user", form).await,
    }
}

async fn user_refused(
    req: &HttpRequest,
    state: &AppState,
    posted: &Posted,
    e: AppError,
    form_id: &str,
    new: NewUserForm,
) -> HttpResponse {
    let status = refusal_status(&e);
    match refusal_words(posted.lang, e, None) {
        Ok(problems) => {
            let shown = Shown {
                refusal: Refusal::of(form_id, problems),
                done: None,
            };
            render_users(req, state, &posted.signed, posted.lang, status, shown, new).await
        }
        Err(e) => super::failed(req, posted.page("/admin/users"), e),
    }
}

/// `POST /admin/users/{id}`: `change=active` (with `active=true|false`)
/// deactivates or reactivates; `change=access` sets the roles, shelters
/// and identity-provider mark as checked. Audited `user.update` as the
/// API's `PATCH /users/{id}` is; open streams hear of it.
async fn change_user(
    req: HttpRequest,
    state: web::Data<AppState>,
    tag: RequestTag,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let posted = match admin_form(&req, &state, &body).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let id = path.into_inner();
    let form_id = format!("user-{id}");
    let change = match posted.field("change") {
        Some("active") => Ok(UserChange {
            active: Some(posted.field("active") == Some("true")),
            ..UserChange::default()
        }),
        _ => {
            let mut errors = Vec::new();
            let roles = checked_roles(&form::all_of(&body, "roles"), &mut errors);
            if errors.is_empty() {
                Ok(UserChange {
                    roles: Some(roles),
                    shelter_ids: Some(sorted(form::all_of(&body, "shelter_ids"))),
                    external_sign_in: Some(posted.field("external_sign_in").is_some()),
                    ..UserChange::default()
                })
            } else {
                Err(AppError::Validation(errors))
            }
        }
    };
    let result = match change {
        Ok(change) => {
            let caller = posted.caller().clone();
            let audit = audit(&caller, &tag, "user.update", Target::subject(&id));
            let subject = id.clone();
            state
                .service()
                .audited(
                    audit,
                    move |conn| crate::service::users::update(conn, &caller, &id, change),
                    move |_| vec![Target::subject(subject)],
                )
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(view) => {
            tracing::info!(
                user_id = %view.id,
                active = view.active,
                external_sign_in = view.external_sign_in,
                "user changed through the admin's page"
            );
            // As the API: open streams check their user again.
            state.changed().await;
            super::see_other("/admin/users?done=user-changed")
        }
        Err(e) => user_refused(&req, &state, &posted, e, &form_id, NewUserForm::default()).await,
    }
}

// ------------------------------------------------------------- shelters

#[derive(Debug, Clone)]
pub struct PlaceItem {
    pub id: String,
    pub label: String,
    pub category: String,
}

#[derive(Debug, Clone)]
pub struct ShelterItem {
    pub id: String,
    pub name: String,
    pub address: String,
    pub phone: String,
    pub places: Vec<PlaceItem>,
}

#[derive(Template)]
#[template(path = "admin_shelters.html")]
struct SheltersPage {
    page: PageCtx,
    shown: Shown,
    shelters: Vec<ShelterItem>,
    categories: Vec<Choice>,
    /// Tonight's date, the first night a place may be taken out from.
    tonight: String,
}
page_texts!(SheltersPage);

/// The shelters' forms are short: each shows its problems above it, in
/// words that name the field.
impl SheltersPage {
    fn problems_of_shelter(&self, id: &str) -> Vec<Problem> {
        self.shown.problems_of(&format!("shelter-{id}"))
    }
    fn problems_of_place(&self, id: &str) -> Vec<Problem> {
        self.shown.problems_of(&format!("oos-{id}"))
    }
    fn problems_of_new_place(&self, id: &str) -> Vec<Problem> {
        self.shown.problems_of(&format!("place-{id}"))
    }
}

async fn render_shelters(
    req: &HttpRequest,
    state: &AppState,
    signed: &SignedIn,
    lang: Lang,
    status: StatusCode,
    shown: Shown,
) -> HttpResponse {
    let page = ctx(lang, signed, "/admin/shelters");
    let read = crate::service::blocking(&state.pool, |conn| {
        let mut out = Vec::new();
        for s in crate::db::places::list_shelters(conn)? {
            let places = crate::db::places::list_places(conn, &s.id)?;
            out.push((s, places));
        }
        Ok(out)
    })
    .await;
    let read = match read {
        Ok(r) => r,
        Err(e) => return super::failed(req, page, e),
    };
    let shelters = read
        .into_iter()
        .map(|(s, places)| ShelterItem {
            id: s.id,
            name: s.name,
            address: s.address.unwrap_or_default(),
            phone: s.phone.unwrap_or_default(),
            places: places
                .into_iter()
                .map(|p| PlaceItem {
                    id: p.id.to_string(),
                    category: i18n::text(lang, category_key(&p.category), &[]),
                    label: p.label,
                })
                .collect(),
        })
        .collect();
    let categories = PlaceCategory::ALL
        .iter()
        .map(|c| Choice {
            value: c.as_str().to_owned(),
            words: i18n::text(lang, category_key(c.as_str()), &[]),
        })
        .collect();
    let tonight = match state.service().rules_now() {
        Ok(now) => now.night.to_string(),
        Err(e) => return super::failed(req, page, e),
    };
    super::html(
        status,
        &SheltersPage {
            page,
            shown,
            shelters,
            categories,
            tonight,
        },
    )
}

/// `GET /admin/shelters`.
async fn shelters_page(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let signed = match admin(&req, &state).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    let lang = Lang::of(&req);
    let shown = Shown {
        done: done_text(&req, lang),
        ..Shown::default()
    };
    render_shelters(&req, &state, &signed, lang, StatusCode::OK, shown).await
}

/// A short display text, as the API checks it: trimmed, 1 to `max`
/// characters, no control characters.
fn short_text(field: &str, value: &str, max: usize, errors: &mut Vec<FieldError>) -> String {
    let v = value.trim();
    let n = v.chars().count();
    if n == 0 || n > max || v.chars().any(char::is_control) {
        errors.push(FieldError::new(field, "too long, empty or not text"));
    }
    v.to_owned()
}

/// A telephone number as the API checks it.
fn phone_field(value: &str, errors: &mut Vec<FieldError>) -> String {
    let v = value.trim();
    let body = v.strip_prefix('+').unwrap_or(v);
    let n = v.chars().count();
    if !(3..=30).contains(&n)
        || !body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')'))
        || !body.chars().any(|c| c.is_ascii_digit())
    {
        errors.push(FieldError::new("phone", "not a telephone number"));
    }
    v.to_owned()
}

async fn shelter_answer(
    req: &HttpRequest,
    state: &AppState,
    posted: &Posted,
    result: Result<(), AppError>,
    form_id: String,
    done: &str,
) -> HttpResponse {
    match result {
        Ok(()) => super::see_other(&format!("/admin/shelters?done={done}")),
        Err(e) => {
            let status = refusal_status(&e);
            match refusal_words(posted.lang, e, None) {
                Ok(problems) => {
                    let shown = Shown {
                        refusal: Refusal::of(&form_id, problems),
                        done: None,
                    };
                    render_shelters(req, state, &posted.signed, posted.lang, status, shown).await
                }
                Err(e) => super::failed(req, posted.page("/admin/shelters"), e),
            }
        }
    }
}

/// `POST /admin/shelters/{id}`: the address and phone, as the API's
/// `PATCH /shelters/{id}` sets them (a blank field clears it).
async fn change_shelter(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let posted = match admin_form(&req, &state, &body).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let shelter_id = path.into_inner();
    let form_id = format!("shelter-{shelter_id}");
    let mut errors = Vec::new();
    let address = posted
        .text("address")
        .map(|a| short_text("address", &a, 200, &mut errors));
    let phone = posted.text("phone").map(|p| phone_field(&p, &mut errors));
    let result = if errors.is_empty() {
        crate::service::blocking(&state.pool, move |conn| {
            crate::service::shelters::update_contact(conn, &shelter_id, Some(address), Some(phone))
        })
        .await
        .map(|_| ())
    } else {
        Err(AppError::Validation(errors))
    };
    shelter_answer(&req, &state, &posted, result, form_id, "shelter-changed").await
}

/// `POST /admin/shelters/{id}/places`: a new place, as the API's
/// `POST /shelters/{id}/places`; a label the shelter has already is
/// refused, so a form sent twice adds one place.
async fn add_place(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let posted = match admin_form(&req, &state, &body).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let shelter_id = path.into_inner();
    let form_id = format!("place-{shelter_id}");
    let mut errors = Vec::new();
    let label = short_text(
        "label",
        posted.field("label").unwrap_or_default(),
        20,
        &mut errors,
    );
    let category = posted
        .field("category")
        .unwrap_or_default()
        .parse::<PlaceCategory>()
        .map_err(|m| errors.push(FieldError::new("category", m)))
        .ok();
    let result = match category.filter(|_| errors.is_empty()) {
        Some(category) => {
            let keyed = posted.keyed(
                &format!("POST /admin/shelters/{shelter_id}/places"),
                &(&label, category.as_str()),
            );
            let r = state
                .service()
                .once(keyed, 201, move |conn| {
                    crate::service::shelters::create_place(conn, &shelter_id, &label, category).map(
                        |row| Created {
                            id: row.id.as_str().to_owned(),
                        },
                    )
                })
                .await
                .map(|_| ());
            if r.is_ok() {
                state.changed().await;
            }
            r
        }
        None => Err(AppError::Validation(errors)),
    };
    shelter_answer(&req, &state, &posted, result, form_id, "place-added").await
}

/// `POST /admin/shelters/{id}/places/{place_id}/out-of-service`: as the
/// API's; refused in words while a guest holds the place on one of the
/// nights.
async fn out_of_service(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> HttpResponse {
    let posted = match admin_form(&req, &state, &body).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let (shelter_id, place_id) = path.into_inner();
    let form_id = format!("oos-{place_id}");
    let mut errors = Vec::new();
    let first = crate::api::fields::parse_night(
        "first_night",
        Some(posted.field("first_night").unwrap_or_default()),
        &mut errors,
    );
    let last = crate::api::fields::parse_night(
        "last_night",
        Some(posted.field("last_night").unwrap_or_default()),
        &mut errors,
    );
    if let (Some(f), Some(l)) = (first, last)
        && l < f
    {
        errors.push(FieldError::new("last_night", "before the first night"));
    }
    let reason =
        crate::api::fields::reason_field(posted.field("reason").unwrap_or_default(), &mut errors);
    let result = match (first, last, reason) {
        (Some(first), Some(last), Some(reason)) if errors.is_empty() => {
            let now = state.clock.now();
            let st = state.clone();
            let keyed = posted.keyed(
                &format!("POST /admin/shelters/{shelter_id}/places/{place_id}/out-of-service"),
                &(first.date(), last.date(), &reason),
            );
            let r = state
                .service()
                .once(keyed, 201, move |conn| {
                    crate::service::shelters::take_out_of_service(
                        conn,
                        &st.partnership,
                        &shelter_id,
                        &place_id,
                        first,
                        last,
                        &reason,
                        now,
                    )
                    .map(|_| ())
                })
                .await
                .map(|_| ());
            if r.is_ok() {
                state.changed().await;
            }
            r
        }
        _ => Err(AppError::Validation(errors)),
    };
    shelter_answer(&req, &state, &posted, result, form_id, "out-of-service").await
}

// ------------------------------------------------------------- rule sets

/// A rule set as the list shows it, every setting in words.
#[derive(Debug, Clone)]
pub struct RuleSetItem {
    pub effective_from: String,
    pub in_force: bool,
    pub no_show_cutoff: String,
    pub regular_nights: String,
    pub women_nights: String,
    pub quarantine_nights: String,
    pub no_show_ends_stay_after: String,
    pub booking_horizon_nights: String,
    pub cold_night_threshold_c: String,
    pub target_citizenships: String,
    pub target_permit_countries: String,
}

/// The form's values, as text (prefilled, or as sent when refused).
#[derive(Debug, Clone, Default, serde::Serialize)]
struct RuleSetForm {
    effective_from: String,
    no_show_cutoff: String,
    regular_nights: String,
    women_nights: String,
    quarantine_nights: String,
    no_show_ends_stay_after: String,
    booking_horizon_nights: String,
    cold_night_threshold_c: String,
    target_citizenships: String,
    target_permit_countries: String,
}

const RULE_FIELDS: [&str; 10] = [
    "effective_from",
    "no_show_cutoff",
    "regular_nights",
    "women_nights",
    "quarantine_nights",
    "no_show_ends_stay_after",
    "booking_horizon_nights",
    "cold_night_threshold_c",
    "target_citizenships",
    "target_permit_countries",
];

impl RuleSetForm {
    fn of(r: &RuleSet, effective_from: Night) -> Self {
        Self {
            effective_from: effective_from.to_string(),
            no_show_cutoff: r.no_show_cutoff.format("%H:%M").to_string(),
            regular_nights: r.regular_nights.to_string(),
            women_nights: r.women_nights.to_string(),
            quarantine_nights: r.quarantine_nights.to_string(),
            no_show_ends_stay_after: r.no_show_ends_stay_after.to_string(),
            booking_horizon_nights: r.booking_horizon_nights.to_string(),
            cold_night_threshold_c: r.cold_night_threshold_c.to_string(),
            target_citizenships: r.target_citizenships.join(", "),
            target_permit_countries: r.target_permit_countries.join(", "),
        }
    }

    fn sent(posted: &Posted) -> Self {
        let f = |name: &str| posted.field(name).unwrap_or_default().trim().to_owned();
        Self {
            effective_from: f("effective_from"),
            no_show_cutoff: f("no_show_cutoff"),
            regular_nights: f("regular_nights"),
            women_nights: f("women_nights"),
            quarantine_nights: f("quarantine_nights"),
            no_show_ends_stay_after: f("no_show_ends_stay_after"),
            booking_horizon_nights: f("booking_horizon_nights"),
            cold_night_threshold_c: f("cold_night_threshold_c"),
            target_citizenships: f("target_citizenships"),
            target_permit_countries: f("target_permit_countries"),
        }
    }

    /// The rule set asked for; each field that is not a value of its kind
    /// is a problem (what the values must be beyond that is
    /// `RuleSet::check_new`, which the service applies).
    fn parse(&self) -> Result<RuleSet, AppError> {
        let mut errors = Vec::new();
        let effective_from = crate::api::fields::parse_night(
            "effective_from",
            Some(&self.effective_from),
            &mut errors,
        );
        let no_show_cutoff = NaiveTime::parse_from_str(&self.no_show_cutoff, "%H:%M")
            .ok()
            .filter(|_| self.no_show_cutoff.len() == 5);
        if no_show_cutoff.is_none() {
            errors.push(FieldError::new("no_show_cutoff", "HH:MM"));
        }
        let mut count = |name: &'static str, v: &str| {
            v.parse::<u32>()
                .map_err(|_| errors.push(FieldError::new(name, "a whole number")))
                .ok()
        };
        let regular = count("regular_nights", &self.regular_nights);
        let women = count("women_nights", &self.women_nights);
        let quarantine = count("quarantine_nights", &self.quarantine_nights);
        let no_show = count("no_show_ends_stay_after", &self.no_show_ends_stay_after);
        let horizon = count("booking_horizon_nights", &self.booking_horizon_nights);
        let threshold = self
            .cold_night_threshold_c
            .replace(',', ".")
            .replace('\u{2212}', "-")
            .parse::<f64>()
            .map_err(|_| errors.push(FieldError::new("cold_night_threshold_c", "a number")))
            .ok();
        let countries = |v: &str| -> Vec<String> {
            v.split(|c: char| c == ',' || c.is_whitespace())
                .filter(|c| !c.is_empty())
                .map(str::to_ascii_uppercase)
                .collect()
        };
        match (
            effective_from,
            no_show_cutoff,
            regular,
            women,
            quarantine,
            no_show,
            horizon,
            threshold,
        ) {
            (Some(e), Some(c), Some(r), Some(w), Some(q), Some(n), Some(h), Some(t))
                if errors.is_empty() =>
            {
                Ok(RuleSet {
                    effective_from: e,
                    no_show_cutoff: c,
                    regular_nights: r,
                    women_nights: w,
                    quarantine_nights: q,
                    no_show_ends_stay_after: n,
                    booking_horizon_nights: h,
                    cold_night_threshold_c: t,
                    target_citizenships: countries(&self.target_citizenships),
                    target_permit_countries: countries(&self.target_permit_countries),
                })
            }
            _ => Err(AppError::Validation(errors)),
        }
    }
}

#[derive(Template)]
#[template(path = "admin_rule_sets.html")]
struct RuleSetsPage {
    page: PageCtx,
    shown: Shown,
    sets: Vec<RuleSetItem>,
    form: RuleSetForm,
    /// The first night a new rule set may take effect, in words.
    first_night: String,
    /// Why it is that night, in words.
    first_night_why: String,
}
page_texts!(RuleSetsPage);

impl RuleSetsPage {
    fn field_problem(&self, field: &str) -> Option<String> {
        self.shown.field_problem("rule-set", field)
    }
    fn general(&self) -> Vec<Problem> {
        self.shown.general_of("rule-set", &RULE_FIELDS)
    }
}

/// A count of nights in words ("1 natt", "3 nätter"): the catalogues'
/// plural forms would need a number, and the templates give text.
fn nights(lang: Lang, n: u32) -> String {
    let key = if n == 1 {
        "admin-nights-one"
    } else {
        "admin-nights-other"
    };
    i18n::text(lang, key, &[("n", &n.to_string())])
}

/// The first night a new rule set may take effect: after tonight plus the
/// booking horizon in force tonight, and after the newest rule set's
/// night (`RuleSet::check_new`), with why, in words.
fn first_allowed(lang: Lang, sets: &[RuleSet], tonight: Night) -> (Night, String) {
    let horizon = RuleSet::in_force(sets, tonight)
        .or_else(|| sets.first())
        .map_or(0, |r| r.booking_horizon_nights);
    let bookable = tonight.plus(i64::from(horizon));
    let newest = sets.iter().map(|s| s.effective_from).max();
    match newest {
        Some(n) if n >= bookable => (
            n.plus(1),
            i18n::text(
                lang,
                "admin-rules-first-night-newest",
                &[("newest", &i18n::date(lang, n.date()))],
            ),
        ),
        _ => (
            bookable.plus(1),
            i18n::text(
                lang,
                "admin-rules-first-night-horizon",
                &[
                    ("tonight", &i18n::date(lang, tonight.date())),
                    ("horizon", &nights(lang, horizon)),
                    ("bookable", &i18n::date(lang, bookable.date())),
                ],
            ),
        ),
    }
}

async fn render_rule_sets(
    req: &HttpRequest,
    state: &AppState,
    signed: &SignedIn,
    lang: Lang,
    status: StatusCode,
    shown: Shown,
    sent: Option<RuleSetForm>,
) -> HttpResponse {
    let page = ctx(lang, signed, "/admin/rule-sets");
    let service = state.service();
    let tonight = match service.rules_now() {
        Ok(now) => now.night,
        Err(e) => return super::failed(req, page, e),
    };
    let stored = match service.run(crate::service::rule_sets::list).await {
        Ok(s) => s,
        Err(e) => return super::failed(req, page, e),
    };
    let rules: Vec<RuleSet> = stored.iter().map(|s| s.rules.clone()).collect();
    let current = RuleSet::in_force(&rules, tonight)
        .or_else(|| rules.first())
        .map(|r| r.effective_from);
    let (first, why) = first_allowed(lang, &rules, tonight);
    let form = match (sent, rules.last()) {
        (Some(f), _) => f,
        (None, Some(newest)) => RuleSetForm::of(newest, first),
        (None, None) => RuleSetForm::of(&RuleSet::defaults(first), first),
    };
    let sets = rules
        .iter()
        .rev()
        .map(|r| RuleSetItem {
            effective_from: i18n::date(lang, r.effective_from.date()),
            in_force: current == Some(r.effective_from),
            no_show_cutoff: r.no_show_cutoff.format("%H:%M").to_string(),
            regular_nights: nights(lang, r.regular_nights),
            women_nights: nights(lang, r.women_nights),
            quarantine_nights: nights(lang, r.quarantine_nights),
            no_show_ends_stay_after: nights(lang, r.no_show_ends_stay_after),
            booking_horizon_nights: nights(lang, r.booking_horizon_nights),
            cold_night_threshold_c: r.cold_night_threshold_c.to_string(),
            target_citizenships: r.target_citizenships.join(", "),
            target_permit_countries: r.target_permit_countries.join(", "),
        })
        .collect();
    super::html(
        status,
        &RuleSetsPage {
            page,
            shown,
            sets,
            form,
            first_night: i18n::date(lang, first.date()),
            first_night_why: why,
        },
    )
}

/// `GET /admin/rule-sets`.
async fn rule_sets_page(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let signed = match admin(&req, &state).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    let lang = Lang::of(&req);
    let shown = Shown {
        done: done_text(&req, lang),
        ..Shown::default()
    };
    render_rule_sets(&req, &state, &signed, lang, StatusCode::OK, shown, None).await
}

/// `POST /admin/rule-sets`: a new rule set, through the service the API's
/// `POST /rule-sets` calls (audited `rule_set.create`; the other
/// instances hear of it). A rule set must take effect after the newest,
/// so the same form sent twice adds one.
async fn create_rule_set(
    req: HttpRequest,
    state: web::Data<AppState>,
    tag: RequestTag,
    body: web::Bytes,
) -> HttpResponse {
    let posted = match admin_form(&req, &state, &body).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let sent = RuleSetForm::sent(&posted);
    let result = match sent.parse() {
        Ok(new) => {
            let audit = audit(posted.caller(), &tag, "rule_set.create", Target::default());
            let keyed = posted.keyed("POST /admin/rule-sets", &sent);
            state
                .service()
                .run(move |ctx| crate::service::rule_sets::create_once(ctx, &audit, &keyed, new))
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(stored) => {
            tracing::info!(rule_set_id = %stored.id, "rule set created through the admin's page");
            state.rules_changed().await;
            super::see_other("/admin/rule-sets?done=rule-set-created")
        }
        Err(e) => {
            let status = refusal_status(&e);
            // The first allowed night, for the words of its problem.
            let service = state.service();
            let first = match (
                service.rules_now(),
                service.run(crate::service::rule_sets::list).await,
            ) {
                (Ok(now), Ok(stored)) => {
                    let rules: Vec<RuleSet> = stored.into_iter().map(|s| s.rules).collect();
                    let (n, _) = first_allowed(posted.lang, &rules, now.night);
                    i18n::date(posted.lang, n.date())
                }
                _ => String::new(),
            };
            match refusal_words(posted.lang, e, Some(&first)) {
                Ok(problems) => {
                    let shown = Shown {
                        refusal: Refusal::of("rule-set", problems),
                        done: None,
                    };
                    render_rule_sets(
                        &req,
                        &state,
                        &posted.signed,
                        posted.lang,
                        status,
                        shown,
                        Some(sent),
                    )
                    .await
                }
                Err(e) => super::failed(&req, posted.page("/admin/rule-sets"), e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys this module builds in code (not in a template), each in
    /// both catalogues.
    #[test]
    fn the_keys_the_code_builds_are_in_both_languages() {
        let mut keys: Vec<&str> = vec![
            "admin-problem-effective_from",
            "admin-refused-username-taken",
            "admin-refused-own-account",
            "admin-refused-place-label-taken",
            "admin-refused-place-held",
            "admin-refused-other",
            "admin-refused-not-found",
            "admin-done-user-created",
            "admin-done-user-changed",
            "admin-done-shelter-changed",
            "admin-done-place-added",
            "admin-done-out-of-service",
            "admin-done-rule-set-created",
            "admin-rules-first-night-newest",
            "admin-rules-first-night-horizon",
            "admin-nights-one",
            "admin-nights-other",
        ];
        keys.extend(Role::ALL.iter().map(|r| role_key(*r)));
        keys.extend(PlaceCategory::ALL.iter().map(|c| category_key(c.as_str())));
        for lang in Lang::ALL {
            for field in [
                "username",
                "password",
                "roles",
                "shelter_ids",
                "address",
                "phone",
                "label",
                "category",
                "first_night",
                "reason",
                "no_show_cutoff",
                "regular_nights",
                "quarantine_nights",
                "cold_night_threshold_c",
                "target_citizenships",
                "something-else",
            ] {
                let text = field_text(lang, field, None);
                assert!(!text.starts_with("admin-problem"), "{field} in {lang:?}");
            }
            for key in &keys {
                assert_ne!(i18n::text(lang, key, &[]), *key, "{key} in {lang:?}");
            }
        }
    }

    #[test]
    fn the_first_allowed_night_is_after_the_horizon_and_the_newest() {
        let tonight: Night = "2019-12-01".parse().unwrap();
        let sets = vec![RuleSet::defaults("2019-11-01".parse().unwrap())];
        let (first, _) = first_allowed(Lang::Sv, &sets, tonight);
        assert_eq!(first.to_string(), "2019-12-03");
        let mut later = sets.clone();
        later.push(RuleSet::defaults("2020-01-10".parse().unwrap()));
        let (first, why) = first_allowed(Lang::En, &later, tonight);
        assert_eq!(first.to_string(), "2020-01-11");
        assert!(why.contains("10 January 2020"), "{why}");
    }

    #[test]
    fn a_field_s_index_is_not_its_name() {
        assert_eq!(bare_field("roles[1]"), "roles");
        assert_eq!(bare_field("phone"), "phone");
    }
}
