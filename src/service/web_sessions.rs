//! Sessions of the pages (issue 16): opened at sign-in, found again on
//! every request by the SHA-256 of the browser's token, closed at sign-out.
//!
//! The database keeps them, so every instance on it shares them and a
//! sign-out through one holds on all. Every request reads the user as the
//! API's `Caller` does: a deactivated user's session is refused (and
//! deleted) on the next request, and roles and shelters come from the
//! users table at that moment. Times are the real time, never the manual
//! clock of training mode, so moving that clock neither ends nor prolongs
//! a session.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::auth::{Caller, Identity};
use crate::db::web_sessions::{self, WebSessionRow};
use crate::db::{self, DbConnection};
use crate::error::AppError;

/// `last_seen_at` is written at most this often per session, so that a
/// page's requests do not each take the database's write lock.
const TOUCH_EVERY_SECONDS: i64 = 60;

/// A session just opened: the token goes to the browser once, in its
/// cookie; the database keeps only its hash.
#[derive(Debug)]
pub struct Opened {
    pub token: String,
    pub row: WebSessionRow,
}

/// A session found again, with its user as the users table has it now.
#[derive(Debug, Clone)]
pub struct Resumed {
    pub row: WebSessionRow,
    pub username: String,
    pub caller: Caller,
}

/// 32 random bytes as 64 hex digits.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What the database keeps of a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Opens a session for `user_id` that ends `hours` after `now`, and sweeps
/// the sessions that have ended.
pub fn open(
    conn: &mut DbConnection,
    user_id: &str,
    hours: u32,
    now: NaiveDateTime,
) -> Result<Opened, AppError> {
    let token = random_token();
    let row = WebSessionRow {
        token_hash: token_hash(&token),
        user_id: user_id.to_owned(),
        csrf_token: random_token(),
        created_at: now,
        expires_at: now + Duration::hours(i64::from(hours)),
        last_seen_at: now,
    };
    db::write_tx(conn, |c| {
        web_sessions::delete_expired(c, now)?;
        web_sessions::insert(c, &row)?;
        Ok::<_, AppError>(())
    })?;
    Ok(Opened { token, row })
}

/// The session of `token`, if it exists, has not ended and its user is
/// active; `None` otherwise (a session that has ended, or whose user was
/// deactivated or is gone, is deleted on the way).
pub fn resume(
    conn: &mut DbConnection,
    token: &str,
    now: NaiveDateTime,
) -> Result<Option<Resumed>, AppError> {
    use crate::db::schema::{users, web_sessions as ws};
    let hash = token_hash(token);
    let found: Option<(WebSessionRow, String)> = ws::table
        .inner_join(users::table)
        .filter(ws::token_hash.eq(&hash))
        .select((WebSessionRow::as_select(), users::username))
        .first(conn)
        .optional()?;
    let Some((row, username)) = found else {
        return Ok(None);
    };
    if row.expires_at <= now {
        forget(conn, &hash)?;
        return Ok(None);
    }
    let caller = match crate::service::users::caller(conn, &Identity::UserId(row.user_id.clone())) {
        Ok(caller) => caller,
        Err(AppError::Unauthorized(_)) => {
            forget(conn, &hash)?;
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    if (now - row.last_seen_at).num_seconds() >= TOUCH_EVERY_SECONDS {
        db::write_tx(conn, |c| web_sessions::touch(c, &hash, now))?;
    }
    Ok(Some(Resumed {
        row,
        username,
        caller,
    }))
}

/// Ends the session of `token`; whether there was one.
pub fn close(conn: &mut DbConnection, token: &str) -> Result<bool, AppError> {
    forget(conn, &token_hash(token))
}

fn forget(conn: &mut DbConnection, hash: &str) -> Result<bool, AppError> {
    Ok(db::write_tx(conn, |c| web_sessions::delete(c, hash))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_kept_only_as_hashes() {
        let a = random_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, random_token());
        let h = token_hash(&a);
        assert_eq!(h.len(), 64);
        assert_ne!(h, a);
        assert_eq!(h, token_hash(&a));
    }
}
