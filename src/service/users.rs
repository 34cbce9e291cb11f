//! Users: creating them and logging in.

use secrecy::SecretString;

use crate::auth::password;
use crate::db::users::{self, UserRow};
use crate::db::{self, DbConnection, places};
use crate::domain::Role;
use crate::error::{AppError, FieldError};

/// A user to create, already checked.
#[derive(Debug)]
pub struct NewUser {
    pub username: String,
    pub password: SecretString,
    pub roles: Vec<Role>,
    pub shelter_ids: Vec<String>,
}

/// Checks a username: 3 to 64 characters of a-z, 0-9, `.`, `_`, `-`.
pub fn check_username(name: &str) -> Result<String, String> {
    let name = name.trim();
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if !(3..=64).contains(&name.len()) || !ok_chars {
        return Err("must be 3 to 64 characters of a-z, 0-9, '.', '_' or '-'".into());
    }
    Ok(name.to_owned())
}

pub fn check_password(pw: &str) -> Result<(), String> {
    let n = pw.chars().count();
    if !(10..=256).contains(&n) {
        return Err("must be 10 to 256 characters".into());
    }
    Ok(())
}

/// Creates a user. Hashing runs before the transaction so the write lock
/// is held only for the inserts.
pub fn create(conn: &mut DbConnection, new: NewUser) -> Result<UserRow, AppError> {
    let hash = password::hash(&new.password)?;
    let row = UserRow {
        id: db::new_id(),
        username: new.username,
        password_hash: hash,
        roles: users::join_roles(&new.roles),
        active: true,
        created_at: chrono::Utc::now().naive_utc(),
    };
    db::write_tx(conn, |c| {
        let mut unknown = Vec::new();
        for (i, s) in new.shelter_ids.iter().enumerate() {
            if !places::shelter_exists(c, s)? {
                unknown.push(FieldError::new(
                    format!("shelter_ids[{i}]"),
                    "no shelter has this id",
                ));
            }
        }
        if !unknown.is_empty() {
            return Err(AppError::Validation(unknown));
        }
        if users::by_username(c, &row.username)?.is_some() {
            return Err(AppError::Conflict {
                code: "username-taken",
                detail: "A user with this username exists already; choose another.".into(),
            });
        }
        users::insert(c, &row, &new.shelter_ids).map_err(|e| {
            if db::is_unique_violation(&e) {
                AppError::Conflict {
                    code: "username-taken",
                    detail: "A user with this username exists already; choose another.".into(),
                }
            } else {
                e.into()
            }
        })?;
        Ok(row)
    })
}

/// Creates the first admin when no user exists. Returns whether it did.
pub fn bootstrap_admin(
    conn: &mut DbConnection,
    username: &str,
    password: &SecretString,
) -> anyhow::Result<bool> {
    if users::count(conn)? > 0 {
        return Ok(false);
    }
    let username = check_username(username)
        .map_err(|m| anyhow::anyhow!("NATTPLATS_BOOTSTRAP_ADMIN user name {m}"))?;
    create(
        conn,
        NewUser {
            username,
            password: password.clone(),
            roles: vec![Role::Admin],
            shelter_ids: vec![],
        },
    )
    .map_err(|e| anyhow::anyhow!("cannot create the bootstrap admin: {e}"))?;
    Ok(true)
}

/// A logged-in user: id, roles and shelters for the token.
#[derive(Debug)]
pub struct LoggedIn {
    pub user_id: String,
    pub roles: Vec<Role>,
    pub shelters: Vec<String>,
}

/// Checks credentials. Unknown user, inactive user and wrong password give
/// the same answer after the same work.
pub fn login(
    conn: &mut DbConnection,
    username: &str,
    password: &SecretString,
) -> Result<LoggedIn, AppError> {
    let refused = || AppError::Unauthorized("Wrong username or password.".into());
    let username = check_username(username).ok();
    let user = match username {
        Some(name) => users::by_username(conn, &name)?,
        None => None,
    };
    let Some(user) = user else {
        password::verify_against_nothing(password);
        return Err(refused());
    };
    if !password::verify(password, &user.password_hash) || !user.active {
        return Err(refused());
    }
    let shelters = users::shelters_of(conn, &user.id)?;
    Ok(LoggedIn {
        roles: users::split_roles(&user.roles),
        user_id: user.id,
        shelters,
    })
}
