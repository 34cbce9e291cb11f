//! The HTTP API of API.md: one module per resource. Handlers parse the
//! request, check the caller's rights, call the service and map the result.

pub mod access;
pub mod admin;
pub mod answers;
pub mod audit;
pub mod auth;
pub mod bans;
pub mod caller;
pub mod coordination;
pub mod extract;
pub mod fields;
pub mod followup;
pub mod guests;
pub mod lottery;
pub mod ops;
pub mod problem;
pub mod rule_sets;
pub mod shelters;
pub mod state;
pub mod stays;
pub mod text;
pub mod users;
pub mod validation;
// reports (issue 7)
pub mod feedback;
pub mod report_formats;
pub mod reports;
pub mod response_descriptions;

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
        .service(users::list_users)
        .service(users::create_user)
        .service(users::update_user)
        .service(rule_sets::list_rule_sets)
        .service(rule_sets::create_rule_set)
        .service(shelters::list_shelters)
        .service(shelters::create_shelter)
        .service(shelters::update_shelter)
        .service(shelters::create_place)
        .service(shelters::list_places)
        .service(shelters::out_of_service)
        .service(guests::register_guest)
        .service(guests::search_guests)
        .service(guests::get_guest)
        .service(guests::update_guest)
        .service(guests::guest_eligibility)
        .service(guests::export_guest)
        .service(guests::erase_guest)
        .service(stays::create_stay)
        .service(stays::list_stays)
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
        .service(coordination::list_placements)
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
        .service(admin::set_clock)
        .service(admin::run_retention)
        .service(audit::list_audit)
        // reports (issue 7)
        .service(reports::follow_up)
        .service(reports::follow_up_csv)
        .service(reports::follow_up_html)
        .service(reports::occupancy)
        .service(reports::bed_nights)
        .service(feedback::create_complaint)
        .service(feedback::list_complaints)
        .service(feedback::update_complaint)
        .service(feedback::questionnaire)
        .service(feedback::answer_survey);
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
/// components exist, and a description on every response (OpenAPI
/// requires one).
pub fn finish_openapi(mut doc: OpenApiDoc) -> OpenApiDoc {
    Security.modify(&mut doc);
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let mut doc = describe_problems(doc);
    response_descriptions::ResponseDescriptions.modify(&mut doc);
    doc
}

/// Every error is `application/problem+json`, and every operation can
/// answer the errors any request can meet (unreadable or oversized body,
/// a missing token, an unreachable database): the document says so once
/// here rather than on each handler.
fn describe_problems(doc: OpenApiDoc) -> OpenApiDoc {
    let Ok(mut value) = serde_json::to_value(&doc) else {
        return doc;
    };
    let problem = serde_json::json!({
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    });
    let common: [(&str, &str, bool); 6] = [
        ("400", "The body is not readable JSON (bad-json)", true),
        ("401", "No valid bearer token (unauthorized)", false),
        ("413", "The body is too large (body-too-large)", true),
        (
            "415",
            "The body is not sent as application/json (unsupported-media-type)",
            true,
        ),
        (
            "422",
            "A field or query parameter fails validation (validation-failed)",
            false,
        ),
        (
            "503",
            "The database cannot be reached (unavailable); see Retry-After",
            false,
        ),
    ];
    if let Some(paths) = value.get_mut("paths").and_then(|p| p.as_object_mut()) {
        for item in paths.values_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for (method, op) in item.iter_mut() {
                // A body that may be left out is written `Option<T>` in the
                // path attribute, which utoipa also makes nullable; but a
                // body that is sent must be an object (`null` is 422).
                let optional = op.pointer("/requestBody/required") != Some(&true.into());
                if optional
                    && let Some(schema) =
                        op.pointer_mut("/requestBody/content/application~1json/schema")
                {
                    let non_null = schema
                        .get("oneOf")
                        .and_then(|o| o.as_array())
                        .and_then(|o| {
                            let rest: Vec<_> = o
                                .iter()
                                .filter(|s| s.get("type") != Some(&"null".into()))
                                .collect();
                            (rest.len() == 1).then(|| rest[0].clone())
                        });
                    if let Some(s) = non_null {
                        *schema = s;
                    }
                }
                let Some(responses) = op.get_mut("responses").and_then(|r| r.as_object_mut())
                else {
                    continue;
                };
                for (status, response) in responses.iter_mut() {
                    if (status.starts_with('4') || status.starts_with('5'))
                        && let Some(r) = response.as_object_mut()
                    {
                        r.insert("content".to_owned(), problem.clone());
                    }
                }
                let has_body = matches!(method.as_str(), "post" | "put" | "patch");
                for (status, description, needs_body) in common {
                    if needs_body && !has_body {
                        continue;
                    }
                    responses.entry(status.to_owned()).or_insert_with(|| {
                        serde_json::json!({"description": description, "content": problem.clone()})
                    });
                }
            }
        }
    }
    serde_json::from_value(value).unwrap_or(doc)
}

/// The OpenAPI document and a docs page that works offline.
pub fn docs(doc: OpenApiDoc) -> SwaggerUi {
    // A tail written `{tail}*`, not `{_:.*}`: the metrics turn a route
    // pattern into their label and warned on every request to the page
    // about the regular expression.
    SwaggerUi::new("/docs/{tail}*").url(OPENAPI_PATH, doc)
}
