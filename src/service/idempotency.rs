//! `Idempotency-Key` (API.md): the same key with the same request gives
//! the first answer again and has no second effect, also after a restart.
//! The key is claimed in the same transaction as the act, so two requests
//! with one key queue and the second reads the first one's answer.

use sha2::{Digest, Sha256};

use crate::db::idempotency::{self as store, StoredResponse};
use crate::db::{self, DbConnection};
use crate::error::AppError;

/// A successful answer: status and JSON body.
pub type Answer = (u16, serde_json::Value);

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

/// Runs `act` once per key. Without a key it simply runs.
pub fn run(
    conn: &mut DbConnection,
    user_id: &str,
    key: Option<&str>,
    hash: &str,
    act: impl FnOnce(&mut DbConnection) -> Result<Answer, AppError>,
) -> Result<Answer, AppError> {
    let Some(key) = key else {
        return act(conn);
    };

    db::write_tx(conn, |c| -> Result<Result<Answer, AppError>, AppError> {
        if let Some(stored) = store::get(c, user_id, key)? {
            return Ok(replay(stored, hash));
        }
        let claim = StoredResponse {
            user_id: user_id.to_owned(),
            key: key.to_owned(),
            request_hash: hash.to_owned(),
            status: 0,
            body: String::new(),
            created_at: chrono::Utc::now().naive_utc(),
        };
        let claimed = db::write_tx(c, |c2| store::insert(c2, &claim));
        match claimed {
            Ok(()) => {}
            Err(e) if db::is_unique_violation(&e) => {
                // Another request with this key committed while we waited.
                return Ok(match store::get(c, user_id, key)? {
                    Some(stored) => replay(stored, hash),
                    None => Err(in_progress()),
                });
            }
            Err(e) => return Err(e.into()),
        }
        let result = act(c);
        match &result {
            Ok((status, body)) => {
                store::finish(c, user_id, key, i32::from(*status), &body.to_string())?
            }
            Err(_) => store::forget(c, user_id, key)?,
        }
        Ok(result)
    })?
}
