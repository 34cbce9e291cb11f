//! Health, readiness and the answer for unknown addresses.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::state::AppState;
use crate::error::AppError;

#[derive(Serialize, ToSchema)]
pub struct Status {
    status: &'static str,
}

/// Alive: the process answers.
#[utoipa::path(tag = "operations", responses((status = 200, body = Status)))]
#[get("/health")]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(Status { status: "ok" })
}

/// Ready: the database answers and is fully migrated.
#[utoipa::path(tag = "operations", responses(
    (status = 200, body = Status),
    (status = 503, body = crate::api::Problem)
))]
#[get("/ready")]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let migrated = crate::service::blocking(&state.pool, |conn| {
        crate::db::is_migrated(conn).map_err(|e| AppError::Unavailable(e.to_string()))
    })
    .await?;
    if migrated {
        Ok(HttpResponse::Ok().json(Status { status: "ready" }))
    } else {
        Err(AppError::Unavailable("migrations pending".into()))
    }
}

/// The methods each route pattern takes, read from the OpenAPI document.
#[derive(Debug, Default)]
pub struct AllowedMethods(pub std::collections::HashMap<String, Vec<String>>);

impl AllowedMethods {
    pub fn from_openapi(doc: &utoipa::openapi::OpenApi) -> Self {
        let value = serde_json::to_value(&doc.paths).unwrap_or_default();
        let mut map = std::collections::HashMap::new();
        if let Some(paths) = value.as_object() {
            for (path, item) in paths {
                let methods: Vec<String> = item
                    .as_object()
                    .map(|o| {
                        o.keys()
                            .filter(|k| {
                                matches!(k.as_str(), "get" | "post" | "put" | "patch" | "delete")
                            })
                            .map(|k| k.to_ascii_uppercase())
                            .collect()
                    })
                    .unwrap_or_default();
                map.insert(path.clone(), methods);
            }
        }
        Self(map)
    }
}

/// No route answered: 405 when the address exists with other methods,
/// otherwise 404.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    let allowed = req
        .match_pattern()
        .and_then(|p| {
            req.app_data::<web::Data<AllowedMethods>>()
                .and_then(|m| m.0.get(&p).cloned())
        })
        .filter(|m| !m.is_empty());
    match allowed {
        Some(methods) => {
            let mut res = crate::api::problem::problem_response(
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                &format!("This address takes only: {}.", methods.join(", ")),
                serde_json::Map::new(),
            );
            if let Ok(v) = HeaderValue::from_str(&methods.join(", ")) {
                res.headers_mut().insert(header::ALLOW, v);
            }
            res
        }
        None => AppError::NotFound("There is nothing at this address.".into()).error_response(),
    }
}
