//! The [`Caller`] extractor: a handler that takes a `Caller` argument runs
//! only for a request with a valid bearer token of an active user. Handlers
//! never read the `Authorization` header themselves.
//!
//! A valid signature is not enough: every request reads the user's row
//! (by primary key for our tokens, by username for the identity
//! provider's), so deactivating a user refuses their unexpired tokens at
//! once, and roles and shelters come from the row, not from the token, so
//! a change of either holds from the next request on.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use crate::domain::Role;
use crate::error::AppError;
use crate::startup::AppState;

#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: String,
    pub roles: Vec<Role>,
    pub shelters: Vec<String>,
}

/// The shelters a caller may act at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Shelters(Vec<String>),
}

impl Scope {
    pub fn allows(&self, shelter_id: &str) -> bool {
        match self {
            Self::All => true,
            Self::Shelters(list) => list.iter().any(|s| s == shelter_id),
        }
    }

    /// 403 unless the shelter is in scope.
    pub fn require(&self, shelter_id: &str) -> Result<(), AppError> {
        if self.allows(shelter_id) {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                "This is at a shelter your account does not work at.".into(),
            ))
        }
    }
}

impl Caller {
    /// Coordinators, social emergency and admins act at every shelter;
    /// shelter staff only at the shelters in their token.
    pub fn scope(&self) -> Scope {
        let everywhere = [Role::Admin, Role::Coordinator, Role::SocialEmergency];
        if everywhere.iter().any(|r| self.has(*r)) {
            Scope::All
        } else {
            Scope::Shelters(self.shelters.clone())
        }
    }

    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Passes when the caller holds any of `roles`; 403 otherwise.
    pub fn require_any(&self, roles: &[Role]) -> Result<(), AppError> {
        if roles.iter().any(|r| self.has(*r)) {
            Ok(())
        } else {
            Err(needs_one_of(roles))
        }
    }
}

/// The 403 for a caller without any of `roles`.
pub fn needs_one_of(roles: &[Role]) -> AppError {
    AppError::Forbidden(format!(
        "This needs one of the roles: {}.",
        roles
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

impl FromRequest for Caller {
    type Error = AppError;
    type Future = futures_util::future::LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // The access check before the handler identified the caller already.
        if let Some(caller) = req.extensions().get::<Caller>().cloned() {
            return Box::pin(async move { Ok(caller) });
        }
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer(req);
        Box::pin(async move {
            let state = state
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("application state missing")))?;
            let identity = state.tokens.identify(&token?).await?;
            crate::service::blocking(&state.pool, move |conn| {
                crate::service::users::caller(conn, &identity)
            })
            .await
        })
    }
}

/// The token of `Authorization: Bearer <token>`.
fn bearer(req: &HttpRequest) -> Result<String, AppError> {
    let value = req.headers().get(header::AUTHORIZATION).ok_or_else(|| {
        AppError::Unauthorized("An Authorization: Bearer token is required.".into())
    })?;
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| {
            AppError::Unauthorized("The Authorization header must be Bearer <token>.".into())
        })?;
    Ok(token)
}
