//! `Idempotency-Key` (API.md): the same key with the same request gives
//! the first answer again and has no second effect, also after a restart.
//! The key is claimed in the same transaction as the act, so two requests
//! with one key queue and the second reads the first one's answer.

use sha2::{Digest, Sha256};

use crate::db::DbConnection;
use crate::db::idempotency::{self as store, StoredResponse};
use crate::error::AppError;

/// A successful answer: status and JSON body.
pub type Answer = (u16, serde_json::Value);

/// An answer to store for `Idempotency-Key`: the status and the value as
/// JSON.
pub fn answer<T: serde::Serialize>(status: u16, value: &T) -> Result<Answer, AppError> {
    let body = serde_json::to_value(value).map_err(|e| AppError::Internal(e.into()))?;
    Ok((status, body))
}

/// A fingerprint of a request: its route and its canonical body.
pub fn fingerprint(route: &str, body: &impl serde::Serialize) -> String {
    let mut h = Sha256::new();
    h.update(route.as_bytes());
    h.update([0]);
    h.update(serde_json::to_vec(body).unwrap_or_default());
    hex::encode(h.finalize())
}

fn reused() -> AppError {
    AppError::Validation(vec![crate::error::FieldError::new(
        "Idempotency-Key",
        "was used before with another request; use a new key for a new request",
    )])
}

fn in_progress() -> AppError {
    AppError::Conflict {
        code: "request-in-progress",
        detail: "A request with this Idempotency-Key is still being answered; send it again in a moment to get its answer."
            .into(),
    }
}

/// The stored answer again. A claim without an answer yet (status 0) is a
/// request still being answered, never an answer.
fn replay(stored: StoredResponse, hash: &str) -> Result<Answer, AppError> {
    if stored.status == 0 {
        return Err(in_progress());
    }
    if stored.request_hash != hash {
        return Err(reused());
    }
    let status = u16::try_from(stored.status).map_err(|e| AppError::Internal(e.into()))?;
    let body = serde_json::from_str(&stored.body).map_err(|e| AppError::Internal(e.into()))?;
    Ok((status, body))
}

/// A request's `Idempotency-Key`, if it came with one: whose it is, the
/// key, and the fingerprint of the request ([`fingerprint`]).
#[derive(Debug, Clone)]
pub struct Keyed {
    pub user_id: String,
    pub key: Option<String>,
    pub fingerprint: String,
}

/// What claiming a key found.
pub enum Claim {
    /// The request was answered before: this is its answer, to give again.
    Answered(Answer),
    /// The request is this act's to answer; the claim is held to the
    /// commit.
    Ours(Ticket),
}

/// The claim of a key this act answers: saved with the answer, or
/// forgotten when the act is refused (so the key may be sent again).
#[must_use]
pub struct Ticket {
    user_id: String,
    key: Option<String>,
}

impl Ticket {
    /// Saves the answer under the key, in the act's transaction.
    pub fn save(self, conn: &mut DbConnection, answer: &Answer) -> Result<(), AppError> {
        if let Some(key) = &self.key {
            store::finish(
                conn,
                &self.user_id,
                key,
                i32::from(answer.0),
                &answer.1.to_string(),
            )?;
        }
        Ok(())
    }

    /// Lets go of the key: the request was refused and may be sent again.
    pub fn forget(self, conn: &mut DbConnection) -> Result<(), AppError> {
        if let Some(key) = &self.key {
            store::forget(conn, &self.user_id, key)?;
        }
        Ok(())
    }
}

/// Claims the request's key in the act's transaction, or finds its first
/// answer. A second request with the same key waits for the first one's
/// transaction (the key's row is unique) and then reads its answer.
pub fn claim(conn: &mut DbConnection, keyed: &Keyed) -> Result<Claim, AppError> {
    let Some(key) = &keyed.key else {
        return Ok(Claim::Ours(Ticket {
            user_id: keyed.user_id.clone(),
            key: None,
        }));
    };
    if let Some(stored) = store::get(conn, &keyed.user_id, key)? {
        return replay(stored, &keyed.fingerprint).map(Claim::Answered);
    }
    let row = StoredResponse {
        user_id: keyed.user_id.clone(),
        key: key.clone(),
        request_hash: keyed.fingerprint.clone(),
        status: 0,
        body: String::new(),
        created_at: chrono::Utc::now().naive_utc(),
    };
    if store::claim(conn, &row)? {
        return Ok(Claim::Ours(Ticket {
            user_id: keyed.user_id.clone(),
            key: Some(key.clone()),
        }));
    }
    // Another request with this key committed while we waited.
    match store::get(conn, &keyed.user_id, key)? {
        Some(stored) => replay(stored, &keyed.fingerprint).map(Claim::Answered),
        None => Err(in_progress()),
    }
}
