//! Guests: register, search, read. Names are personal data: they go only
//! to the roles that do intake and placements.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::extract::RequestTag;
use crate::api::extract::{ApiJson, ApiQuery};
use crate::api::state::AppState;
use crate::audit::Target;
use crate::auth::Caller;
use crate::db::guests::GuestRow;
use crate::domain::{Birth, CountryCode, Gender, Language, Need, PersonName, Role};
use crate::error::{AppError, FieldError};
use crate::service::guests::NewGuest;

/// The roles that may see and register guests.
pub const GUEST_ROLES: &[Role] = &[Role::Coordinator, Role::ShelterStaff, Role::SocialEmergency];

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterGuest {
    /// 1 to 100 characters, with a letter, without control characters.
    #[schema(
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[A-Za-z][^\x00-\x1f\x7f-\x9f]*$"
    )]
    given_name: String,
    #[schema(
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[A-Za-z][^\x00-\x1f\x7f-\x9f]*$"
    )]
    family_name: String,
    /// `YYYY-MM-DD`, from 1900 to today; one of birth_date or birth_year
    /// is required, and when both are given they agree.
    #[schema(value_type = Option<String>, format = Date)]
    birth_date: Option<String>,
    /// From 1900 to this year.
    #[schema(minimum = 1900)]
    birth_year: Option<i32>,
    #[schema(value_type = Gender)]
    gender: String,
    /// ISO 3166-1 alpha-2.
    #[schema(schema_with = country_schema)]
    citizenship: String,
    #[schema(schema_with = optional_country_schema)]
    residence_permit_country: Option<String>,
    /// Acute needs; each opens a referral.
    #[serde(default)]
    #[schema(value_type = Vec<Need>)]
    needs: Vec<String>,
    /// The language the guest reads (the slip's): `ro`, `bg`, `pl`, `hu`,
    /// `en` or `sv`; `sv` unless given.
    #[schema(value_type = Option<Language>, nullable = false)]
    language: Option<String>,
}

/// What may be changed of a guest.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateGuest {
    /// The language the guest reads: `ro`, `bg`, `pl`, `hu`, `en` or `sv`.
    #[schema(value_type = Option<Language>, nullable = false)]
    language: Option<String>,
}

/// An ISO 3166-1 alpha-2 code: the document lists them, so that a client
/// (or a fuzzer) knows which two letters are countries.
fn country_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .description(Some("ISO 3166-1 alpha-2, upper case"))
        .enum_values(Some(
            isocountry::CountryCode::as_array()
                .iter()
                .map(|c| c.alpha2()),
        ))
        .build()
}

fn optional_country_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
            utoipa::openapi::schema::Type::String,
            utoipa::openapi::schema::Type::Null,
        ]))
        .description(Some("ISO 3166-1 alpha-2, upper case"))
        .enum_values(Some(
            isocountry::CountryCode::as_array()
                .iter()
                .map(|c| Some(c.alpha2()))
                .chain([None]),
        ))
        .build()
}

/// The value, or `None` with the field's error recorded.
fn field<T>(errors: &mut Vec<FieldError>, name: &str, r: Result<T, String>) -> Option<T> {
    r.map_err(|m| errors.push(FieldError::new(name, m))).ok()
}

impl RegisterGuest {
    /// A parse, not `validator` rules (see `api::validation`): every field
    /// becomes the typed value the service takes. Names become
    /// `PersonName`s (trimmed, white space folded, checked as stored),
    /// gender and needs enums, countries `CountryCode`s, and the birth date
    /// and year are checked against each other and today.
    fn parse(self, today: NaiveDate) -> Result<NewGuest, AppError> {
        let mut errors = Vec::new();
        let given_name = field(
            &mut errors,
            "given_name",
            PersonName::parse(&self.given_name),
        );
        let family_name = field(
            &mut errors,
            "family_name",
            PersonName::parse(&self.family_name),
        );
        let gender = field(&mut errors, "gender", self.gender.parse::<Gender>());
        let citizenship = field(
            &mut errors,
            "citizenship",
            CountryCode::parse(&self.citizenship),
        );
        let permit = match &self.residence_permit_country {
            None => Some(None),
            Some(c) => field(
                &mut errors,
                "residence_permit_country",
                CountryCode::parse(c),
            )
            .map(Some),
        };
        let mut needs = Vec::new();
        for (i, n) in self.needs.iter().enumerate() {
            if let Some(need) = field(&mut errors, &format!("needs[{i}]"), n.parse::<Need>()) {
                needs.push(need);
            }
        }
        let birth = Birth::parse(self.birth_date.as_deref(), self.birth_year, today)
            .map_err(|e| errors.push(e))
            .ok();
        let language = match &self.language {
            None => Some(Language::default()),
            Some(l) => field(&mut errors, "language", l.parse::<Language>()),
        };
        match (
            given_name,
            family_name,
            gender,
            citizenship,
            permit,
            birth,
            language,
        ) {
            (
                Some(given_name),
                Some(family_name),
                Some(gender),
                Some(citizenship),
                Some(permit),
                Some(birth),
                Some(language),
            ) if errors.is_empty() => Ok(NewGuest {
                given_name,
                family_name,
                birth,
                gender,
                citizenship,
                residence_permit_country: permit,
                needs,
                language,
            }),
            _ => Err(AppError::Validation(errors)),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct GuestOut {
    id: String,
    card_number: String,
    given_name: String,
    family_name: String,
    birth_date: Option<NaiveDate>,
    birth_year: i32,
    gender: String,
    citizenship: String,
    residence_permit_country: Option<String>,
    needs: Vec<String>,
    /// The language the guest reads: `ro`, `bg`, `pl`, `hu`, `en` or `sv`.
    #[schema(value_type = Language)]
    language: String,
    created_at: DateTime<Utc>,
    /// Set once the guest was pseudonymised (retention or erasure): the
    /// names, birth date, card number and needs are gone.
    pseudonymised_at: Option<DateTime<Utc>>,
}

impl From<GuestRow> for GuestOut {
    fn from(g: GuestRow) -> Self {
        Self {
            needs: serde_json::from_str(&g.needs).unwrap_or_default(),
            id: g.id.into(),
            card_number: g.card_number,
            given_name: g.given_name,
            family_name: g.family_name,
            birth_date: g.birth_date,
            birth_year: g.birth_year,
            gender: g.gender,
            citizenship: g.citizenship,
            residence_permit_country: g.residence_permit_country,
            language: g.language,
            created_at: g.created_at.and_utc(),
            pseudonymised_at: g.pseudonymised_at.map(|t| t.and_utc()),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DuplicateOut {
    id: String,
    given_name: String,
    family_name: String,
    birth_year: i32,
}

#[derive(Serialize, ToSchema)]
pub struct RegisteredGuest {
    #[serde(flatten)]
    guest: GuestOut,
    /// Guests already registered who may be the same person.
    possible_duplicates: Vec<DuplicateOut>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// A name (any words of it), a card number or a birth year.
    #[param(max_length = 100)]
    q: String,
}

#[utoipa::path(tag = "guests", security(("bearer" = [])), request_body = RegisterGuest, responses(
    (status = 201, body = RegisteredGuest),
    (status = 400, body = crate::api::Problem),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 422, body = crate::api::Problem)
))]
#[post("/guests")]
pub async fn register_guest(
    state: web::Data<AppState>,
    caller: Caller,
    tag: RequestTag,
    body: ApiJson<RegisterGuest>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(GUEST_ROLES)?;
    let now = state.clock.now();
    let today = state.partnership.calendar.local(now).date();
    let new = body.0.parse(today)?;
    let audit = crate::api::extract::audit(&caller, &tag, "guest.register", Target::default());
    let (guest, duplicates) = state
        .service()
        .audited(
            audit,
            move |conn| {
                crate::service::guests::register(conn, new, &caller.user_id, now.naive_utc())
            },
            |(guest, duplicates): &(GuestRow, Vec<GuestRow>)| {
                // The possible duplicates are shown by name: a read of each.
                std::iter::once(Target::guest(&guest.id))
                    .chain(duplicates.iter().map(|d| {
                        Target::both(&d.id, &guest.id).as_action("guest.shown-as-duplicate")
                    }))
                    .collect()
            },
        )
        .await?;
    Ok(HttpResponse::Created().json(RegisteredGuest {
        guest: guest.into(),
        possible_duplicates: duplicates
            .into_iter()
            .map(|d| DuplicateOut {
                id: d.id.into(),
                given_name: d.given_name,
                family_name: d.family_name,
                birth_year: d.birth_year,
            })
            .collect(),
    }))
}

#[utoipa::path(tag = "guests", security(("bearer" = [])), params(SearchQuery), responses(
    (status = 200, body = Vec<GuestOut>),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 422, body = crate::api::Problem)
))]
#[get("/guests")]
pub async fn search_guests(
    state: web::Data<AppState>,
    caller: Caller,
    tag: RequestTag,
    query: ApiQuery<SearchQuery>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(GUEST_ROLES)?;
    let q = query.0.q;
    if q.chars().count() > 100 {
        return Err(AppError::validation("q", "must be at most 100 characters"));
    }
    let audit = crate::api::extract::audit(&caller, &tag, "guest.search", Target::default());
    let found = state
        .service()
        .audited(
            audit,
            move |conn| crate::service::guests::search(conn, &q, 50),
            |found: &Vec<GuestRow>| found.iter().map(|g| Target::guest(&g.id)).collect(),
        )
        .await?;
    Ok(HttpResponse::Ok().json(found.into_iter().map(GuestOut::from).collect::<Vec<_>>()))
}

#[utoipa::path(tag = "guests", security(("bearer" = [])), params(("id" = inline(crate::api::fields::Id), Path, description = "The guest")), responses(
    (status = 200, body = GuestOut),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 404, body = crate::api::Problem)
))]
#[get("/guests/{id}")]
pub async fn get_guest(
    state: web::Data<AppState>,
    caller: Caller,
    tag: RequestTag,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(GUEST_ROLES)?;
    let id = path.into_inner();
    let audit = crate::api::extract::audit(&caller, &tag, "guest.read", Target::default());
    let guest = state
        .service()
        .audited(
            audit,
            move |conn| {
                crate::db::guests::get(conn, &id)?.ok_or_else(|| AppError::not_found("guest"))
            },
            |g: &GuestRow| vec![Target::guest(&g.id)],
        )
        .await?;
    Ok(HttpResponse::Ok().json(GuestOut::from(guest)))
}

#[utoipa::path(tag = "guests", security(("bearer" = [])), params(("id" = inline(crate::api::fields::Id), Path, description = "The guest")), request_body = UpdateGuest, responses(
    (status = 200, body = GuestOut),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 404, body = crate::api::Problem),
    (status = 422, body = crate::api::Problem)
))]
#[patch("/guests/{id}")]
pub async fn update_guest(
    state: web::Data<AppState>,
    caller: Caller,
    tag: RequestTag,
    path: web::Path<String>,
    body: ApiJson<UpdateGuest>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(GUEST_ROLES)?;
    let mut errors = Vec::new();
    let language = body
        .0
        .language
        .as_deref()
        .and_then(|l| field(&mut errors, "language", l.parse::<Language>()));
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let id = path.into_inner();
    let audit =
        crate::api::extract::audit(&caller, &tag, "guest.update", Target::guest(id.clone()));
    let guest = state
        .service()
        .audited(
            audit,
            move |conn| crate::service::guests::update(conn, &id, language),
            |g: &GuestRow| vec![Target::guest(&g.id)],
        )
        .await?;
    Ok(HttpResponse::Ok().json(GuestOut::from(guest)))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EligibilityQuery {
    /// `YYYY-MM-DD`; defaults to the current night.
    #[param(value_type = Option<String>, format = Date)]
    night: Option<String>,
}

#[utoipa::path(tag = "guests", security(("bearer" = [])), params(("id" = inline(crate::api::fields::Id), Path, description = "The guest"), EligibilityQuery), responses(
    (status = 200, body = crate::service::stays::EligibilityView),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 404, body = crate::api::Problem),
    (status = 422, body = crate::api::Problem)
))]
#[get("/guests/{id}/eligibility")]
pub async fn guest_eligibility(
    state: web::Data<AppState>,
    caller: Caller,
    tag: RequestTag,
    path: web::Path<String>,
    query: ApiQuery<EligibilityQuery>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(GUEST_ROLES)?;
    let mut errors = Vec::new();
    let night = crate::api::fields::parse_night("night", query.0.night.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let id: crate::ids::GuestId = crate::api::fields::path_id(&path.into_inner(), "guest")?;
    let actor = crate::api::extract::actor(&caller, &tag);
    let view = state
        .service()
        .run(move |ctx| crate::service::stays::eligibility(ctx, &actor, &id, night))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[utoipa::path(tag = "guests", security(("bearer" = [])), params(("id" = inline(crate::api::fields::Id), Path, description = "The guest")), responses(
    (status = 200, description = "Everything held about the guest: the record, stays and every night, placements, bans, referrals, incident links, lottery applications, and who read or changed what about them", content_type = "application/json"),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 404, body = crate::api::Problem)
))]
#[get("/guests/{id}/export")]
pub async fn export_guest(
    state: web::Data<AppState>,
    caller: Caller,
    tag: RequestTag,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let audit = crate::api::extract::audit(&caller, &tag, "guest.export", Target::guest(&id));
    let export = state
        .service()
        .audited(
            audit,
            move |conn| crate::service::privacy::export(conn, &id),
            |e: &crate::service::privacy::Export| vec![Target::guest(&e.guest.id)],
        )
        .await?;
    Ok(HttpResponse::Ok().json(export))
}

#[utoipa::path(tag = "guests", security(("bearer" = [])), params(("id" = inline(crate::api::fields::Id), Path, description = "The guest")), responses(
    (status = 204, description = "The guest is pseudonymised: names, birth date, card number, needs and referral notes are gone; birth year, gender, citizenship and the history stay for the counts"),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 404, body = crate::api::Problem)
))]
#[delete("/guests/{id}")]
pub async fn erase_guest(
    state: web::Data<AppState>,
    caller: Caller,
    tag: RequestTag,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let who = crate::api::extract::who(&caller, &tag);
    crate::service::blocking(&state.pool, move |conn| {
        crate::service::privacy::erase(conn, &id, &who, chrono::Utc::now().naive_utc())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
