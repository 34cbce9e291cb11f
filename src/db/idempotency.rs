//! The first answer to each request sent with an `Idempotency-Key`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::idempotency_keys;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = idempotency_keys)]
pub struct StoredResponse {
    pub user_id: String,
    pub key: String,
    pub request_hash: String,
    pub status: i32,
    pub body: String,
    pub created_at: NaiveDateTime,
}

pub fn get(
    conn: &mut DbConnection,
    user_id: &str,
    key: &str,
) -> QueryResult<Option<StoredResponse>> {
    idempotency_keys::table
        .find((user_id, key))
        .select(StoredResponse::as_select())
        .first(conn)
        .optional()
}

pub fn insert(conn: &mut DbConnection, row: &StoredResponse) -> QueryResult<()> {
    diesel::insert_into(idempotency_keys::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// Claims a key for a request about to be answered; `false` when a row
/// for it is there already (on PostgreSQL, after waiting for the
/// transaction that wrote it to end).
pub fn claim(conn: &mut DbConnection, row: &StoredResponse) -> QueryResult<bool> {
    let query = diesel::insert_into(idempotency_keys::table)
        .values(row)
        .on_conflict_do_nothing();
    let inserted = super::on_backend!(conn, c => query.execute(c)?);
    Ok(inserted == 1)
}

pub fn finish(
    conn: &mut DbConnection,
    user_id: &str,
    key: &str,
    status: i32,
    body: &str,
) -> QueryResult<()> {
    diesel::update(idempotency_keys::table.find((user_id, key)))
        .set((
            idempotency_keys::status.eq(status),
            idempotency_keys::body.eq(body),
        ))
        .execute(conn)
        .map(drop)
}

/// Drops a claim whose request was refused, so the key may be sent again.
pub fn forget(conn: &mut DbConnection, user_id: &str, key: &str) -> QueryResult<()> {
    diesel::delete(idempotency_keys::table.find((user_id, key)))
        .execute(conn)
        .map(drop)
}
