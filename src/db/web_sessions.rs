//! Sessions of the pages (migration 000015): one row per signed-in
//! browser, found by the SHA-256 of its token.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::web_sessions;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = web_sessions)]
pub struct WebSessionRow {
    pub token_hash: String,
    pub user_id: String,
    pub csrf_token: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, row: &WebSessionRow) -> QueryResult<()> {
    diesel::insert_into(web_sessions::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn get(conn: &mut DbConnection, token_hash: &str) -> QueryResult<Option<WebSessionRow>> {
    web_sessions::table
        .find(token_hash)
        .select(WebSessionRow::as_select())
        .first(conn)
        .optional()
}

pub fn touch(conn: &mut DbConnection, token_hash: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(web_sessions::table.find(token_hash))
        .set(web_sessions::last_seen_at.eq(at))
        .execute(conn)
        .map(drop)
}

/// Deletes one session; whether it existed.
pub fn delete(conn: &mut DbConnection, token_hash: &str) -> QueryResult<bool> {
    diesel::delete(web_sessions::table.find(token_hash))
        .execute(conn)
        .map(|n| n > 0)
}

/// Deletes the sessions that ended before `now`.
pub fn delete_expired(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(web_sessions::table.filter(web_sessions::expires_at.le(now))).execute(conn)
}

/// The sessions of a user (for tests and for an admin's view later).
pub fn of_user(conn: &mut DbConnection, user_id: &str) -> QueryResult<Vec<WebSessionRow>> {
    web_sessions::table
        .filter(web_sessions::user_id.eq(user_id))
        .order(web_sessions::created_at.asc())
        .select(WebSessionRow::as_select())
        .load(conn)
}
