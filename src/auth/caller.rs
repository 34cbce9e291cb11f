//! Who is calling, as the handlers and the service see it: a [`Caller`]
//! (an active user, with the roles and shelters the users table gives them
//! now) and the [`Scope`] of shelters they may act at. The API's extractor
//! (`api::caller`) makes one from a request's bearer token.

use crate::domain::Role;
use crate::error::AppError;

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
