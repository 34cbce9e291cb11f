//! The first answer to each request sent with an `Idempotency-Key`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::prepared::prepared;
use super::schema::idempotency_keys;
use diesel::sql_types::{Integer, Text, Timestamp};

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
    // Prepared once per connection (diesel prepares an upsert anew at
    // every call); the same statement on both backends.
    let inserted = prepared(
        "INSERT INTO idempotency_keys (user_id, \"key\", request_hash, status, body, created_at) \
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
    )
    .bind::<Text, _>(row.user_id.as_str())
    .bind::<Text, _>(row.key.as_str())
    .bind::<Text, _>(row.request_hash.as_str())
    .bind::<Integer, _>(row.status)
    .bind::<Text, _>(row.body.as_str())
    .bind::<Timestamp, _>(row.created_at)
    .execute(conn)?;
    Ok(inserted == 1)
}

pub fn finish(
    conn: &mut DbConnection,
    user_id: &str,
    key: &str,
    status: i32,
    body: &str,
) -> QueryResult<()> {
    prepared("UPDATE idempotency_keys SET status = ?, body = ? WHERE user_id = ? AND \"key\" = ?")
        .bind::<Integer, _>(status)
        .bind::<Text, _>(body)
        .bind::<Text, _>(user_id)
        .bind::<Text, _>(key)
        .execute(conn)
        .map(drop)
}

/// Drops a claim whose request was refused, so the key may be sent again.
pub fn forget(conn: &mut DbConnection, user_id: &str, key: &str) -> QueryResult<()> {
    diesel::delete(idempotency_keys::table.find((user_id, key)))
        .execute(conn)
        .map(drop)
}
