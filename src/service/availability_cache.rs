//! Availability is read constantly through the night by many screens and
//! changes only when someone writes. Each instance keeps the last answer
//! per question and serves it again while nothing has been committed since
//! it was read:
//!
//! - on PostgreSQL, the answer is stamped with the snapshot it was read in
//!   (`pg_current_snapshot()`); a later snapshot that is the same string
//!   means no transaction has committed since, whichever instance wrote;
//! - on SQLite one process owns the database, and the stamp is the
//!   instance's count of requests that may have written (see
//!   [`crate::changes::Changes::touch`]), read before the read begins.
//!
//! Answers therefore never lag behind what an intake would find. When
//! several screens ask at once after a change, one computes and the others
//! wait for its answer.

use std::collections::HashMap;
use std::sync::Mutex;

use actix_web::web::Bytes;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::RunQueryDsl;
use diesel::sql_types::Text;

use crate::db::{self, DbConnection};
use crate::error::AppError;
use crate::service::coordination::{self as svc, AvailabilityQuestion};
use crate::startup::AppState;

/// More different questions than this at once (nights, shelters) and the
/// cache starts over.
const MAX_ENTRIES: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    night: NaiveDate,
    /// Whether tonight's unconfirmed reservations have lapsed.
    lapsed: bool,
    shelter: Option<String>,
    places: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Stamp {
    Requests(u64),
    Snapshot(String),
}

#[derive(Default)]
pub struct AvailabilityCache {
    entries: Mutex<HashMap<Key, (Stamp, Bytes)>>,
    computing: tokio::sync::Mutex<()>,
}

#[derive(diesel::QueryableByName)]
struct SnapshotRow {
    #[diesel(sql_type = Text)]
    snapshot: String,
}

fn snapshot(conn: &mut DbConnection) -> Result<Option<String>, AppError> {
    match conn {
        DbConnection::Sqlite(_) => Ok(None),
        DbConnection::Postgres(c) => {
            let row: SnapshotRow =
                diesel::sql_query("SELECT pg_current_snapshot()::text AS snapshot")
                    .get_result(c)?;
            Ok(Some(row.snapshot))
        }
    }
}

impl AvailabilityCache {
    /// The JSON of `GET /availability` for this question, now.
    pub async fn answer(
        &self,
        state: &AppState,
        question: AvailabilityQuestion,
        instant: DateTime<Utc>,
    ) -> Result<Bytes, AppError> {
        let (pool, partnership, changes) = (&state.pool, &state.partnership, &state.changes);
        let (night, lapsed) = svc::resolve_night(partnership, question.night, instant)?;
        let key = Key {
            night: night.date(),
            lapsed,
            shelter: question.shelter_id.clone(),
            places: question.places,
        };
        let current = if changes.is_postgres() {
            let found = crate::service::blocking(pool, |c| snapshot(c)).await?;
            Stamp::Snapshot(found.unwrap_or_default())
        } else {
            Stamp::Requests(changes.generation())
        };
        if let Some(body) = self.fresh(&key, &current) {
            return Ok(body);
        }
        let _turn = self.computing.lock().await;
        // Someone else may have read it while this one waited.
        if let Some(body) = self.fresh(&key, &current) {
            return Ok(body);
        }
        let before = changes.generation();
        let p = partnership.clone();
        let question = AvailabilityQuestion {
            night: Some(night),
            ..question
        };
        let (stamp, body) = crate::service::blocking(pool, move |conn| {
            db::read_tx(conn, |c| {
                // First, so the stamp is the snapshot the answer is read in.
                let stamp = match snapshot(c)? {
                    Some(s) => Stamp::Snapshot(s),
                    None => Stamp::Requests(before),
                };
                let view = svc::availability(c, &p, &question, instant)?;
                let body = serde_json::to_vec(&view).map_err(|e| AppError::Internal(e.into()))?;
                Ok::<_, AppError>((stamp, Bytes::from(body)))
            })
        })
        .await?;
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, (stamp, body.clone()));
        Ok(body)
    }

    fn fresh(&self, key: &Key, current: &Stamp) -> Option<Bytes> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match entries.get(key) {
            Some((stamp, body)) if stamp == current => Some(body.clone()),
            _ => None,
        }
    }
}
