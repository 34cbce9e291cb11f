//! Users of the service and the shelters they work at.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{user_shelters, users};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub password_hash: String,
    pub roles: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
    /// Signs in with a token of the city's identity provider (its `sub` is
    /// the username); no provider token reaches a user without this mark.
    pub external_sign_in: bool,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = user_shelters)]
pub struct UserShelterRow {
    pub user_id: String,
    pub shelter_id: String,
}

pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

pub fn insert(conn: &mut DbConnection, user: &UserRow, shelter_ids: &[String]) -> QueryResult<()> {
    diesel::insert_into(users::table)
        .values(user)
        .execute(conn)?;
    let links: Vec<UserShelterRow> = shelter_ids
        .iter()
        .map(|s| UserShelterRow {
            user_id: user.id.clone(),
            shelter_id: s.clone(),
        })
        .collect();
    if !links.is_empty() {
        // Multi-row inserts exist per backend only.
        match conn {
            DbConnection::Sqlite(c) => diesel::insert_into(user_shelters::table)
                .values(&links)
                .execute(c),
            DbConnection::Postgres(c) => diesel::insert_into(user_shelters::table)
                .values(&links)
                .execute(c),
        }?;
    }
    Ok(())
}

pub fn by_username(conn: &mut DbConnection, username: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::username.eq(username))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

/// How a user is looked up.
#[derive(Debug, Clone, Copy)]
pub enum UserKey<'a> {
    Id(&'a str),
    Username(&'a str),
}

/// The user with the shelters they work at, in one statement (it runs
/// for every request: who calls).
pub fn with_shelters(
    conn: &mut DbConnection,
    key: UserKey<'_>,
) -> QueryResult<Option<(UserRow, Vec<String>)>> {
    let joined = users::table
        .left_join(user_shelters::table)
        .order(user_shelters::shelter_id.asc())
        .select((UserRow::as_select(), user_shelters::shelter_id.nullable()));
    let rows = match key {
        UserKey::Id(id) => joined.filter(users::id.eq(id)).load(conn)?,
        UserKey::Username(name) => joined.filter(users::username.eq(name)).load(conn)?,
    };
    Ok(one_with_shelters(rows))
}

/// One user's rows of a join with their shelters (a user without a
/// shelter is one row without one), folded.
fn one_with_shelters(rows: Vec<(UserRow, Option<String>)>) -> Option<(UserRow, Vec<String>)> {
    let mut rows = rows.into_iter();
    let (user, first) = rows.next()?;
    let shelters = first
        .into_iter()
        .chain(rows.filter_map(|(_, shelter)| shelter))
        .collect();
    Some((user, shelters))
}

/// Every user, by username, with the shelters of each: two queries.
pub fn all_with_shelters(conn: &mut DbConnection) -> QueryResult<Vec<(UserRow, Vec<String>)>> {
    let users: Vec<UserRow> = users::table
        .order(users::username.asc())
        .select(UserRow::as_select())
        .load(conn)?;
    let links: Vec<UserShelterRow> = user_shelters::table
        .order((
            user_shelters::user_id.asc(),
            user_shelters::shelter_id.asc(),
        ))
        .select(UserShelterRow::as_select())
        .load(conn)?;
    let mut by_user: std::collections::HashMap<String, Vec<String>> =
        std::collections::HashMap::new();
    for l in links {
        by_user.entry(l.user_id).or_default().push(l.shelter_id);
    }
    Ok(users
        .into_iter()
        .map(|u| {
            let shelters = by_user.remove(&u.id).unwrap_or_default();
            (u, shelters)
        })
        .collect())
}

pub fn shelters_of(conn: &mut DbConnection, user_id: &str) -> QueryResult<Vec<String>> {
    user_shelters::table
        .filter(user_shelters::user_id.eq(user_id))
        .order(user_shelters::shelter_id.asc())
        .select(user_shelters::shelter_id)
        .load(conn)
}

/// Roles are stored as one comma-separated text.
pub fn join_roles(roles: &[crate::domain::Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

pub fn split_roles(roles: &str) -> Vec<crate::domain::Role> {
    roles.split(',').filter_map(|r| r.parse().ok()).collect()
}
