//! The HTTP API of API.md: one module per resource. Handlers parse the
//! request, check the caller's rights, call the service and map the result.

pub mod admin;
pub mod auth;
pub mod bans;
pub mod coordination;
pub mod extract;
pub mod followup;
pub mod guests;
pub mod lottery;
pub mod ops;
pub mod shelters;
pub mod stays;
pub mod users;

use serde::Serialize;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_swagger_ui::SwaggerUi;

/// Where the OpenAPI document is served.
pub const OPENAPI_PATH: &str = "/openapi.json";

/// Every route under `/api/v1`.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(auth::issue_token)
        .service(users::create_user)
        .service(shelters::list_shelters)
        .service(shelters::create_shelter)
        .service(shelters::create_place)
        .service(shelters::list_places)
        .service(shelters::out_of_service)
        .service(guests::register_guest)
        .service(guests::search_guests)
        .service(guests::get_guest)
        .service(guests::guest_eligibility)
        .service(stays::create_stay)
        .service(stays::get_stay)
        .service(stays::check_in)
        .service(stays::end_stay)
        .service(stays::move_stay)
        .service(stays::void_stay)
        .service(bans::create_ban)
        .service(coordination::availability)
        .service(coordination::availability_stream)
        .service(coordination::declare_cold_night)
        .service(coordination::withdraw_cold_night)
        .service(coordination::list_cold_nights)
        .service(coordination::create_placement)
        .service(followup::create_referral)
        .service(followup::list_referrals)
        .service(followup::update_referral)
        .service(followup::create_incident)
        .service(followup::list_incidents)
        .service(lottery::open_session)
        .service(lottery::register)
        .service(lottery::draw)
        .service(lottery::get_session)
        .service(lottery::verify)
        .service(admin::set_clock);
}

/// An error, as every error response is (RFC 9457).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Machine-readable, kebab-case.
    pub code: String,
    /// For 422: the fields that failed.
    pub errors: Option<Vec<crate::error::FieldError>>,
}

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "bearer",
                SecurityScheme::Http(
                    Http::builder()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("JWT")
                        .build(),
                ),
            );
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "nattplats",
        description = "Night-shelter places and check-in for the City of Stockholm's partnership for homeless EU citizens."
    ),
    components(schemas(Problem)),
    modifiers(&Security)
)]
struct ApiDoc;

pub fn openapi_base() -> OpenApiDoc {
    ApiDoc::openapi()
}

/// The collected document, with the security scheme added once the
/// components exist.
pub fn finish_openapi(mut doc: OpenApiDoc) -> OpenApiDoc {
    Security.modify(&mut doc);
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc
}

/// The OpenAPI document and a docs page that works offline.
pub fn docs(doc: OpenApiDoc) -> SwaggerUi {
    SwaggerUi::new("/docs/{_:.*}").url(OPENAPI_PATH, doc)
}
