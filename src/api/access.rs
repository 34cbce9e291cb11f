//! Who may call which route: one declaration per route, enforced before
//! the handler runs, deny by default. A route under `/api/v1` without a
//! declaration answers 403 to everyone, so a new route is closed until
//! someone says who may use it. Handlers keep their own finer checks (the
//! kind of a placement, the caller's shelters); `shelters` says that the
//! handler checks the shelter touched against the caller's shelters.
//!
//! `tests/api/access.rs` walks the route table of the OpenAPI document
//! against every role and checks each cell against API.md.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, ResponseError};

use crate::auth::Caller;
use crate::domain::Role;
use crate::error::AppError;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Callers {
    /// No token needed (logging in).
    Public,
    /// Any valid token.
    AnyRole,
    /// A token with one of these roles.
    Roles(&'static [Role]),
}

#[derive(Debug, Clone, Copy)]
pub struct Declaration {
    pub method: &'static str,
    /// The route pattern under `/api/v1`, as the router writes it.
    pub path: &'static str,
    pub callers: Callers,
    /// The handler refuses a shelter outside the caller's shelters.
    pub shelters: bool,
}

use Callers::{AnyRole, Public, Roles};
use Role::{Admin, Coordinator, Outreach, ShelterStaff, SocialEmergency};

const fn route(
    method: &'static str,
    path: &'static str,
    callers: Callers,
    shelters: bool,
) -> Declaration {
    Declaration {
        method,
        path,
        callers,
        shelters,
    }
}

const INTAKE: &[Role] = &[Coordinator, ShelterStaff];
const PEOPLE: &[Role] = &[Coordinator, ShelterStaff, SocialEmergency];
const INBOX: &[Role] = &[SocialEmergency, Outreach, Coordinator];
const REPORTS: &[Role] = &[Coordinator, Outreach];

/// Every route under `/api/v1` and who may call it (API.md).
pub const DECLARATIONS: &[Declaration] = &[
    route("POST", "/auth/token", Public, false),
    route("GET", "/users", Roles(&[Admin]), false),
    route("POST", "/users", Roles(&[Admin]), false),
    route("PATCH", "/users/{id}", Roles(&[Admin]), false),
    route("GET", "/rule-sets", AnyRole, false),
    route("POST", "/rule-sets", Roles(&[Admin]), false),
    route("GET", "/shelters", AnyRole, false),
    route("POST", "/shelters", Roles(&[Admin]), false),
    route("PATCH", "/shelters/{id}", Roles(&[Admin]), false),
    route("GET", "/shelters/{id}/places", AnyRole, false),
    route("POST", "/shelters/{id}/places", Roles(&[Admin]), false),
    route(
        "POST",
        "/shelters/{id}/places/{place_id}/out-of-service",
        Roles(&[Admin, Coordinator]),
        false,
    ),
    route("POST", "/guests", Roles(PEOPLE), false),
    route("GET", "/guests", Roles(PEOPLE), false),
    route("GET", "/guests/{id}", Roles(PEOPLE), false),
    route("PATCH", "/guests/{id}", Roles(PEOPLE), false),
    route("GET", "/guests/{id}/eligibility", Roles(PEOPLE), false),
    route("GET", "/guests/{id}/export", Roles(&[Coordinator]), false),
    route("DELETE", "/guests/{id}", Roles(&[Admin]), false),
    route("POST", "/stays", Roles(INTAKE), true),
    route("GET", "/stays", Roles(PEOPLE), true),
    route("GET", "/stays/{id}", Roles(INTAKE), true),
    route("POST", "/stays/{id}/check-ins", Roles(INTAKE), true),
    route("POST", "/stays/{id}/end", Roles(INTAKE), true),
    route("POST", "/stays/{id}/move", Roles(INTAKE), true),
    route("POST", "/stays/{id}/void", Roles(&[Coordinator]), false),
    route("POST", "/bans", Roles(&[Coordinator]), false),
    route("GET", "/availability", AnyRole, false),
    route("GET", "/availability/stream", AnyRole, false),
    route("PUT", "/cold-nights/{night}", Roles(&[Coordinator]), false),
    route(
        "DELETE",
        "/cold-nights/{night}",
        Roles(&[Coordinator]),
        false,
    ),
    route("GET", "/cold-nights", AnyRole, false),
    // Emergency placements: social_emergency and coordinator; cold-night
    // placements also shelter_staff, at their shelters (the handler).
    route("GET", "/placements", Roles(PEOPLE), true),
    route(
        "POST",
        "/placements",
        Roles(&[SocialEmergency, Coordinator, ShelterStaff]),
        true,
    ),
    route(
        "POST",
        "/referrals",
        Roles(&[SocialEmergency, Outreach, Coordinator, ShelterStaff]),
        false,
    ),
    route("GET", "/referrals", Roles(INBOX), false),
    route("PATCH", "/referrals/{id}", Roles(INBOX), false),
    route("POST", "/incidents", Roles(INTAKE), true),
    route("GET", "/incidents", Roles(&[Coordinator]), false),
    route("POST", "/intake-sessions", Roles(INTAKE), true),
    route(
        "POST",
        "/intake-sessions/{id}/applicants",
        Roles(INTAKE),
        true,
    ),
    route("POST", "/intake-sessions/{id}/draw", Roles(INTAKE), true),
    route("GET", "/intake-sessions/{id}", Roles(INTAKE), true),
    route(
        "GET",
        "/intake-sessions/{id}/verify",
        Roles(&[Coordinator, ShelterStaff, Outreach, Admin]),
        false,
    ),
    route("PUT", "/admin/clock", Roles(&[Admin]), false),
    route("POST", "/admin/retention", Roles(&[Admin]), false),
    route("GET", "/audit", Roles(&[Admin]), false),
    // Reports (issue 7): aggregates without names for coordinators and
    // outreach; the row-by-row export and complaint texts (which may name
    // people) for coordinators only.
    route("GET", "/reports/follow-up", Roles(REPORTS), false),
    route("GET", "/reports/follow-up.csv", Roles(REPORTS), false),
    route("GET", "/reports/follow-up.html", Roles(REPORTS), false),
    route("GET", "/reports/occupancy", Roles(REPORTS), false),
    route(
        "GET",
        "/reports/bed-nights.csv",
        Roles(&[Coordinator]),
        false,
    ),
    route("POST", "/complaints", Roles(INTAKE), true),
    route("GET", "/complaints", Roles(&[Coordinator]), false),
    route("PATCH", "/complaints/{id}", Roles(&[Coordinator]), false),
    route("GET", "/survey", AnyRole, false),
    route("POST", "/survey/responses", Roles(INTAKE), true),
];

const PREFIX: &str = "/api/v1";

fn declared(method: &str, pattern: &str) -> Result<Option<&'static Declaration>, ()> {
    let Some(path) = pattern.strip_prefix(PREFIX) else {
        return Ok(None);
    };
    if let Some(d) = DECLARATIONS
        .iter()
        .find(|d| d.path == path && d.method == method)
    {
        return Ok(Some(d));
    }
    // Another method on a declared path is the router's 405, not ours.
    if DECLARATIONS.iter().any(|d| d.path == path) {
        Ok(None)
    } else {
        Err(())
    }
}

/// The middleware: refuses a caller whose roles the route does not admit,
/// before the handler runs, and leaves the caller it identified for the
/// handler.
pub async fn enforce(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let refusal = match req.match_pattern() {
        None => None,
        Some(pattern) => match declared(req.method().as_str(), &pattern) {
            Ok(None) => None,
            Ok(Some(d)) => match d.callers {
                Public => None,
                AnyRole | Roles(_) => match req.extract::<Caller>().await {
                    Err(e) => Some(e),
                    Ok(caller) => {
                        let admitted = match d.callers {
                            Roles(roles) => roles.iter().any(|r| caller.has(*r)),
                            _ => true,
                        };
                        if admitted {
                            req.extensions_mut().insert(caller);
                            None
                        } else {
                            Some(refused(d.callers))
                        }
                    }
                },
            },
            Err(()) => Some(AppError::Forbidden(
                "This route has no access declaration, so nobody may use it.".into(),
            )),
        },
    };
    match refusal {
        Some(e) => {
            let res = e.error_response();
            Ok(req.into_response(res).map_into_right_body())
        }
        None => Ok(next.call(req).await?.map_into_left_body()),
    }
}

fn refused(callers: Callers) -> AppError {
    match callers {
        Roles(roles) => crate::auth::caller::needs_one_of(roles),
        _ => crate::auth::caller::needs_one_of(&[]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_route_is_declared_once() {
        let mut seen = std::collections::HashSet::new();
        for d in DECLARATIONS {
            assert!(seen.insert((d.method, d.path)), "{} {}", d.method, d.path);
        }
    }

    #[test]
    fn undeclared_routes_are_closed_and_other_methods_left_to_the_router() {
        assert!(declared("GET", "/api/v1/stays/{id}").unwrap().is_some());
        assert!(declared("DELETE", "/api/v1/stays/{id}").unwrap().is_none());
        assert!(declared("GET", "/api/v1/secrets").is_err());
        assert!(declared("GET", "/health").unwrap().is_none());
    }
}
