//! Users: creating them, changing them (active, roles, shelters), logging
//! in, and who the caller of a request is.

use diesel::prelude::*;
use secrecy::SecretString;

use crate::auth::{Caller, Identity, password};
use crate::db::users::{self, UserRow};
use crate::db::{self, DbConnection, places};
use crate::domain::Role;
use crate::error::{AppError, FieldError};

/// A user to create, already checked.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub password: SecretString,
    pub roles: Vec<Role>,
    pub shelter_ids: Vec<String>,
    /// May sign in with a token of the city's identity provider.
    pub external_sign_in: bool,
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

/// The password's hash for `create`. Argon2 takes tens of milliseconds of
/// CPU on purpose: run it before any transaction (and off the request
/// threads), never while holding the database's write lock.
pub fn hash_password(new: &NewUser) -> Result<String, AppError> {
    Ok(password::hash(&new.password)?)
}

/// Creates a user with the hash from `hash_password`.
pub fn create(conn: &mut DbConnection, new: NewUser, hash: String) -> Result<UserRow, AppError> {
    let row = UserRow {
        id: db::new_id(),
        username: new.username,
        password_hash: hash,
        roles: users::join_roles(&new.roles),
        active: true,
        created_at: chrono::Utc::now().naive_utc(),
        external_sign_in: new.external_sign_in,
    };
    db::write_tx(conn, |c| {
        check_shelters(c, &new.shelter_ids)?;
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
    let new = NewUser {
        username,
        password: password.clone(),
        roles: vec![Role::Admin],
        shelter_ids: vec![],
        external_sign_in: false,
    };
    let hash = hash_password(&new)?;
    create(conn, new, hash)
        .map_err(|e| anyhow::anyhow!("cannot create the bootstrap admin: {e}"))?;
    Ok(true)
}

/// The demo's users besides its admin, on a database just seeded with the
/// demo data: a desk at each shelter (`desk.` and the first word of the
/// shelter's name, folded: `desk.convictus`), a coordinator
/// (`samordnare`), socialjouren (`socialjouren`) and the EU team
/// (`eu-teamet`), all with `password` (the admin's, printed once), so
/// that each role's pages can be tried at once. Returns (username, role)
/// in that order. Never made outside a demo (see `startup::prepare`).
pub fn demo_users(
    conn: &mut DbConnection,
    password: &SecretString,
) -> anyhow::Result<Vec<(String, Role)>> {
    let mut wanted: Vec<(String, Role, Vec<String>)> = Vec::new();
    for shelter in places::list_shelters(conn)? {
        let first = shelter.name.split_whitespace().next().unwrap_or("shelter");
        let folded: String = deunicode::deunicode(first)
            .to_lowercase()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        wanted.push((
            format!("desk.{folded}"),
            Role::ShelterStaff,
            vec![shelter.id],
        ));
    }
    for (name, role) in [
        ("samordnare", Role::Coordinator),
        ("socialjouren", Role::SocialEmergency),
        ("eu-teamet", Role::Outreach),
    ] {
        wanted.push((name.to_owned(), role, vec![]));
    }
    // One hash for all: they share the demo's password.
    let hash = password::hash(password)?;
    let mut made = Vec::new();
    for (username, role, shelter_ids) in wanted {
        let username = check_username(&username).map_err(|m| anyhow::anyhow!("{username}: {m}"))?;
        let new = NewUser {
            username: username.clone(),
            password: password.clone(),
            roles: vec![role],
            shelter_ids,
            external_sign_in: false,
        };
        create(conn, new, hash.clone())
            .map_err(|e| anyhow::anyhow!("cannot create the demo user {username}: {e}"))?;
        made.push((username, role));
    }
    Ok(made)
}

/// A logged-in user: id, roles and shelters for the token.
#[derive(Debug)]
pub struct LoggedIn {
    pub user_id: String,
    pub roles: Vec<Role>,
    pub shelters: Vec<String>,
}

/// Checks credentials. Unknown user, inactive user and wrong password give
/// the same answer after the same work. The password is verified (argon2,
/// tens of milliseconds) holding no pooled connection, so a burst of
/// logins does not keep the pool from the night's other requests. Call off
/// the reactor.
pub fn login(
    pool: &db::DbPool,
    username: &str,
    password: &SecretString,
    request_id: Option<String>,
) -> Result<LoggedIn, AppError> {
    let refused = || AppError::Unauthorized("Wrong username or password.".into());
    let username = check_username(username).ok();
    let user = match username {
        Some(name) => users::by_username(&mut *pool.get()?, &name)?,
        None => None,
    };
    // Unknown and inactive users cost one verification against a dummy
    // hash, so neither answers faster than a wrong password.
    let Some(user) = user.filter(|u| u.active) else {
        password::verify_against_nothing(password);
        return Err(refused());
    };
    if !password::verify(password, &user.password_hash) {
        return Err(refused());
    }
    let conn = &mut pool.get()?;
    let shelters = users::shelters_of(conn, &user.id)?;
    // A login is on the audit trail (a refused one is not: it would have
    // to name a username, which may be a mistyped password).
    let who = crate::audit::Who {
        user_id: user.id.clone(),
        roles: user.roles.clone(),
        request_id,
    };
    db::write_tx(conn, |c| {
        crate::audit::record(
            c,
            &who,
            "login",
            &crate::audit::Target::subject(&user.id),
            chrono::Utc::now().naive_utc(),
        )
    })?;
    Ok(LoggedIn {
        roles: users::split_roles(&user.roles),
        user_id: user.id,
        shelters,
    })
}

/// The caller a verified token speaks for: an active user, with the roles
/// and shelters the users table gives them now. A token of the identity
/// provider speaks only for a user an admin marked as signing in through
/// it (`external_sign_in`); for anyone else, the bootstrap admin and every
/// local account, it names no user.
pub fn caller(conn: &mut DbConnection, identity: &Identity) -> Result<Caller, AppError> {
    let found = match identity {
        Identity::UserId(id) => users::with_shelters(conn, users::UserKey::Id(id))?,
        Identity::Username(name) => users::with_shelters(conn, users::UserKey::Username(name))?
            .filter(|(u, _)| u.external_sign_in),
    };
    let Some((user, shelters)) = found else {
        return Err(AppError::Unauthorized(
            "The token names no user of this service.".into(),
        ));
    };
    if !user.active {
        return Err(AppError::Unauthorized(
            "The account of this token is deactivated.".into(),
        ));
    }
    Ok(Caller {
        roles: users::split_roles(&user.roles),
        user_id: user.id,
        shelters,
    })
}

// The queries below belong in `db::users`; they live here until that
// module takes them.
fn by_id(conn: &mut DbConnection, id: &str) -> QueryResult<Option<UserRow>> {
    use crate::db::schema::users::dsl;
    dsl::users
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

fn set_active(conn: &mut DbConnection, id: &str, active: bool) -> QueryResult<usize> {
    use crate::db::schema::users::dsl;
    diesel::update(dsl::users.find(id))
        .set(dsl::active.eq(active))
        .execute(conn)
}

fn set_roles(conn: &mut DbConnection, id: &str, roles: &[Role]) -> QueryResult<usize> {
    use crate::db::schema::users::dsl;
    diesel::update(dsl::users.find(id))
        .set(dsl::roles.eq(users::join_roles(roles)))
        .execute(conn)
}

fn set_external_sign_in(conn: &mut DbConnection, id: &str, on: bool) -> QueryResult<usize> {
    use crate::db::schema::users::dsl;
    diesel::update(dsl::users.find(id))
        .set(dsl::external_sign_in.eq(on))
        .execute(conn)
}

fn set_shelters(conn: &mut DbConnection, id: &str, shelter_ids: &[String]) -> QueryResult<()> {
    use crate::db::schema::user_shelters::dsl;
    diesel::delete(dsl::user_shelters.filter(dsl::user_id.eq(id))).execute(conn)?;
    for s in shelter_ids {
        diesel::insert_into(dsl::user_shelters)
            .values(&users::UserShelterRow {
                user_id: id.to_owned(),
                shelter_id: s.clone(),
            })
            .execute(conn)?;
    }
    Ok(())
}

/// A change to a user, already checked field by field.
#[derive(Debug, Default)]
pub struct UserChange {
    pub active: Option<bool>,
    pub roles: Option<Vec<Role>>,
    pub shelter_ids: Option<Vec<String>>,
    pub external_sign_in: Option<bool>,
}

/// A user as an admin sees it.
#[derive(Debug)]
pub struct UserView {
    pub id: String,
    pub username: String,
    pub roles: Vec<Role>,
    pub shelter_ids: Vec<String>,
    pub active: bool,
    pub external_sign_in: bool,
}

/// Every user as the admin sees them (no password hash), by username.
pub fn list(conn: &mut DbConnection) -> Result<Vec<UserView>, AppError> {
    Ok(users::all_with_shelters(conn)?
        .into_iter()
        .map(|(u, shelter_ids)| UserView {
            roles: users::split_roles(&u.roles),
            id: u.id,
            username: u.username,
            shelter_ids,
            active: u.active,
            external_sign_in: u.external_sign_in,
        })
        .collect())
}

/// Changes a user. Takes effect on the user's next request: the caller
/// of every request is read from these rows. An admin cannot deactivate
/// themselves or take their own admin role away, so the service is never
/// left without the admin who could undo it.
pub fn update(
    conn: &mut DbConnection,
    by: &Caller,
    id: &str,
    change: UserChange,
) -> Result<UserView, AppError> {
    db::write_tx(conn, |c| {
        let user = by_id(c, id)?.ok_or_else(|| AppError::not_found("user"))?;
        if user.id == by.user_id
            && (change.active == Some(false)
                || change
                    .roles
                    .as_ref()
                    .is_some_and(|r| !r.contains(&Role::Admin)))
        {
            return Err(AppError::Conflict {
                code: "own-account",
                detail: "An admin cannot deactivate their own account or take away their own admin role; another admin can.".into(),
            });
        }
        if let Some(shelter_ids) = &change.shelter_ids {
            check_shelters(c, shelter_ids)?;
        }
        let roles = change
            .roles
            .clone()
            .unwrap_or_else(|| users::split_roles(&user.roles));
        let shelter_ids = match &change.shelter_ids {
            Some(s) => s.clone(),
            None => users::shelters_of(c, &user.id)?,
        };
        if roles.contains(&Role::ShelterStaff) && shelter_ids.is_empty() {
            return Err(AppError::validation(
                "shelter_ids",
                "shelter_staff must be given at least one shelter",
            ));
        }
        if let Some(active) = change.active {
            set_active(c, &user.id, active)?;
        }
        if let Some(r) = &change.roles {
            set_roles(c, &user.id, r)?;
        }
        if let Some(s) = &change.shelter_ids {
            set_shelters(c, &user.id, s)?;
        }
        if let Some(on) = change.external_sign_in {
            set_external_sign_in(c, &user.id, on)?;
        }
        Ok(UserView {
            active: change.active.unwrap_or(user.active),
            external_sign_in: change.external_sign_in.unwrap_or(user.external_sign_in),
            id: user.id,
            username: user.username,
            roles,
            shelter_ids,
        })
    })
}

/// 422 naming each of `ids` that is not a shelter.
fn check_shelters(conn: &mut DbConnection, ids: &[String]) -> Result<(), AppError> {
    let mut unknown = Vec::new();
    for (i, s) in ids.iter().enumerate() {
        if !places::shelter_exists(conn, s)? {
            unknown.push(FieldError::new(
                format!("shelter_ids[{i}]"),
                "no shelter has this id",
            ));
        }
    }
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(unknown))
    }
}
