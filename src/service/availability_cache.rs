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
//!   [`crate::changes::Changes::touch`]) with the count of write
//!   transactions committed (`db::committed_writes`, which also counts a
//!   write made while answering a GET), read before the read begins.
//!
//! Answers therefore never lag behind what an intake would find. When
//! several screens ask at once after a change, one computes and the others
//! wait for its answer: an answer whose reading began after a request
//! arrived holds every commit that request could have seen, so it is fresh
//! enough for that request even if more was committed since (under a
//! steady stream of writes the stamps never match twice, and every waiting
//! screen would otherwise compute again in turn).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use bytes::Bytes;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::RunQueryDsl;
use diesel::sql_types::Text;

use crate::db::{self, DbConnection};
use crate::error::AppError;
use crate::service::Context;
use crate::service::coordination::{self as svc, AvailabilityQuestion};

/// More different questions than this at once (nights, shelters) and the
/// cache starts over.
const MAX_ENTRIES: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    night: NaiveDate,
    /// Tonight: what no-shows have released depends on it (RULES.md §4),
    /// so an answer read last night is not tonight's.
    tonight: NaiveDate,
    /// Whether tonight's unconfirmed reservations have lapsed.
    lapsed: bool,
    shelter: Option<String>,
    places: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Stamp {
    /// The instance's count of requests that may have written, and the
    /// process's count of committed write transactions.
    Requests(u64, u64),
    Snapshot(String),
}

#[derive(Default)]
pub struct AvailabilityCache {
    /// Per question: the stamp, when its reading began, the JSON.
    entries: Mutex<HashMap<Key, (Stamp, Instant, Bytes)>>,
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
    /// The JSON of `GET /availability` for this question, now, for the API
    /// to send as it is.
    pub async fn answer(
        &self,
        ctx: &Context,
        question: AvailabilityQuestion,
        instant: DateTime<Utc>,
    ) -> Result<Bytes, AppError> {
        let arrived = Instant::now();
        let (pool, partnership, changes) = (&ctx.pool, &ctx.partnership, &ctx.changes);
        let (night, tonight, lapsed) = svc::resolve_night(partnership, question.night, instant)?;
        let key = Key {
            night: night.date(),
            tonight: tonight.date(),
            lapsed,
            shelter: question.shelter_id.clone(),
            places: question.places,
        };
        let current = if changes.is_postgres() {
            let found = crate::service::blocking(pool, |c| snapshot(c)).await?;
            Stamp::Snapshot(found.unwrap_or_default())
        } else {
            Stamp::Requests(changes.generation(), db::committed_writes())
        };
        if let Some(body) = self.fresh(&key, &current) {
            return Ok(body);
        }
        let _turn = self.computing.lock().await;
        // Someone else may have read it, after this request arrived, while
        // this one waited.
        if let Some(body) = self.read_since(&key, arrived) {
            return Ok(body);
        }
        let started = Instant::now();
        let before = (changes.generation(), db::committed_writes());
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
                    None => Stamp::Requests(before.0, before.1),
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
        entries.insert(key, (stamp, started, body.clone()));
        Ok(body)
    }

    /// The kept answer, if nothing was committed since it was read.
    fn fresh(&self, key: &Key, current: &Stamp) -> Option<Bytes> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match entries.get(key) {
            Some((stamp, _, body)) if stamp == current => Some(body.clone()),
            _ => None,
        }
    }

    /// The kept answer, if its reading began at or after `arrived`.
    fn read_since(&self, key: &Key, arrived: Instant) -> Option<Bytes> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match entries.get(key) {
            Some((_, started, body)) if *started >= arrived => Some(body.clone()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_waiting_request_takes_an_answer_read_after_it_arrived_and_no_older() {
        let cache = AvailabilityCache::default();
        let key = Key {
            night: NaiveDate::from_ymd_opt(2019, 12, 1).unwrap_or_default(),
            tonight: NaiveDate::from_ymd_opt(2019, 12, 1).unwrap_or_default(),
            lapsed: false,
            shelter: None,
            places: false,
        };
        let started = Instant::now();
        let before = started - std::time::Duration::from_millis(1);
        let after = started + std::time::Duration::from_millis(1);
        cache
            .entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                key.clone(),
                (Stamp::Requests(7, 1), started, Bytes::from_static(b"{}")),
            );
        assert_eq!(cache.read_since(&key, before).as_deref(), Some(&b"{}"[..]));
        assert_eq!(cache.read_since(&key, started).as_deref(), Some(&b"{}"[..]));
        assert!(cache.read_since(&key, after).is_none());
        assert!(cache.fresh(&key, &Stamp::Requests(7, 1)).is_some());
        assert!(cache.fresh(&key, &Stamp::Requests(8, 1)).is_none());
        assert!(cache.fresh(&key, &Stamp::Requests(7, 2)).is_none());
    }
}
