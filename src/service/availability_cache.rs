//! Availability is read constantly through the night by many screens and
//! changes only when someone writes. Each instance answers it from its
//! occupancy index (`service::occupancy`), read again only when something
//! has been committed since it last read, and keeps the last answer per
//! question while nothing has:
//!
//! - on PostgreSQL, the index and each answer are stamped with the
//!   snapshot they were read in (`pg_current_snapshot()`); a later
//!   snapshot that is the same string means no transaction has committed
//!   since, whichever instance wrote;
//! - on SQLite one process owns the database, and the stamp is the
//!   instance's count of requests that may have written (see
//!   [`crate::changes::Changes::touch`]) with the count of write
//!   transactions committed (`db::committed_writes`, which also counts a
//!   write made while answering a GET), read before the read begins.
//!
//! Answers therefore never lag behind what an intake would find. Reading
//! the index again costs what was committed since, not the size of the
//! system: the log of changes names the (night, place) entries to read.
//! When several screens ask at once after a change, one reads and the
//! others wait for it: a reading that began after a request arrived holds
//! every commit that request could have seen, so it is fresh enough for
//! that request even if more was committed since.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::RunQueryDsl;
use diesel::sql_types::Text;

use crate::db::{self, DbConnection};
use crate::error::AppError;
use crate::rules::checkin::Now;
use crate::service::Context;
use crate::service::beds::now_for;
#[cfg(debug_assertions)]
use crate::service::coordination::AvailabilityView;
use crate::service::coordination::{self as svc, AvailabilityQuestion};
use crate::service::occupancy::{self, Shared};

/// More different questions than this at once (nights, shelters) and the
/// kept answers start over.
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
    /// Per question: the stamp of the index it was computed from, the JSON.
    entries: Mutex<HashMap<Key, (Stamp, Bytes)>>,
    occupancy: Arc<Shared>,
    /// The stamp of the index's last reading, and when that reading began.
    read: Mutex<Option<(Stamp, Instant)>>,
    reading: tokio::sync::Mutex<()>,
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
    /// The occupancy index these answers come from, for the intakes to
    /// start their search for a free place where it says.
    pub fn occupancy(&self) -> Arc<Shared> {
        Arc::clone(&self.occupancy)
    }

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
        let now = now_for(partnership, instant)?;
        let (night, tonight, lapsed) = svc::resolve_night(&now, question.night);
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
        if let Some(body) = self.kept(&key, &current) {
            return Ok(body);
        }
        // The index as of this very stamp: nothing committed since it read.
        if self.read_as_of(&current) {
            self.occupancy.lock().still_true();
            if let Some(body) = self.answer_from_index(&key, &current, night, &now)? {
                return Ok(body);
            }
        }
        let _turn = self.reading.lock().await;
        // Someone else may have read, after this request arrived, while
        // this one waited.
        if let Some(stamp) = self.read_since(arrived)
            && let Some(body) = self.answer_from_index(&key, &stamp, night, &now)?
        {
            return Ok(body);
        }
        let started = Instant::now();
        let before = (changes.generation(), db::committed_writes());
        let o = Arc::clone(&self.occupancy);
        let date = night.date();
        #[cfg(debug_assertions)]
        let check = (
            partnership.clone(),
            AvailabilityQuestion {
                night: Some(night),
                ..question.clone()
            },
            instant,
        );
        let stamp = crate::service::blocking(pool, move |conn| {
            // The turn before the snapshot: a reading that landed before
            // it read in an older snapshot, so the index is read up to
            // exactly this one, as the comparison below needs.
            let turn = o.turn();
            let (stamp, forget) = db::read_tx(conn, |c| {
                // First, so the stamp is the snapshot the index is read in.
                let stamp = match snapshot(c)? {
                    Some(s) => Stamp::Snapshot(s),
                    None => Stamp::Requests(before.0, before.1),
                };
                let forget = turn.catch_up(c, &[date], started)?;
                #[cfg(debug_assertions)]
                agrees_with_sql(c, &turn, &check)?;
                Ok::<_, AppError>((stamp, forget))
            })?;
            drop(turn);
            if let Some(seq) = forget
                && let Err(e) = occupancy::forget(conn, seq)
            {
                // The log is only trimmed later; nothing is wrong with the
                // answer.
                tracing::warn!(error = %e, "could not trim the occupancy log");
            }
            Ok::<_, AppError>(stamp)
        })
        .await?;
        *self.read.lock().unwrap_or_else(|e| e.into_inner()) = Some((stamp.clone(), started));
        match self.answer_from_index(&key, &stamp, night, &now)? {
            Some(body) => Ok(body),
            None => Err(AppError::Internal(anyhow::anyhow!(
                "the occupancy index lacks the night it has just read"
            ))),
        }
    }

    /// The kept answer, if the index has not read again since it was
    /// computed and that reading is as of `current`.
    fn kept(&self, key: &Key, current: &Stamp) -> Option<Bytes> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match entries.get(key) {
            Some((stamp, body)) if stamp == current => Some(body.clone()),
            _ => None,
        }
    }

    fn read_as_of(&self, current: &Stamp) -> bool {
        let read = self.read.lock().unwrap_or_else(|e| e.into_inner());
        read.as_ref().is_some_and(|(stamp, _)| stamp == current)
    }

    /// The stamp of the index's last reading, if it began at or after
    /// `arrived`.
    fn read_since(&self, arrived: Instant) -> Option<Stamp> {
        let read = self.read.lock().unwrap_or_else(|e| e.into_inner());
        match read.as_ref() {
            Some((stamp, started)) if *started >= arrived => Some(stamp.clone()),
            _ => None,
        }
    }

    /// The answer from the index as it stands (read as of `stamp`), kept
    /// for the question; `None` when the index does not hold the night.
    fn answer_from_index(
        &self,
        key: &Key,
        stamp: &Stamp,
        night: crate::rules::Night,
        now: &Now,
    ) -> Result<Option<Bytes>, AppError> {
        let view = {
            let mut o = self.occupancy.lock();
            if !o.holds_night(night.date()) {
                return Ok(None);
            }
            match o.view(night, now, key.shelter.as_deref(), key.places) {
                Some(view) => view?,
                None => return Ok(None),
            }
        };
        let body =
            Bytes::from(serde_json::to_vec(&view).map_err(|e| AppError::Internal(e.into()))?);
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key.clone(), (stamp.clone(), body.clone()));
        Ok(Some(body))
    }
}

/// In debug builds (every test run), each reading of the index is held
/// to the SQL definition of availability in the same snapshot: any act
/// that changes occupancy without the log knowing fails the request that
/// reads after it.
#[cfg(debug_assertions)]
fn agrees_with_sql(
    c: &mut DbConnection,
    o: &occupancy::Turn<'_>,
    (p, question, instant): &(
        Arc<crate::db::partnerships::Partnership>,
        AvailabilityQuestion,
        DateTime<Utc>,
    ),
) -> Result<(), AppError> {
    let now = now_for(p, *instant)?;
    let Some(night) = question.night else {
        return Ok(());
    };
    let sql = svc::availability_in(c, p, question, *instant);
    let index = o
        .lock()
        .view(night, &now, question.shelter_id.as_deref(), question.places);
    let json = |v: AvailabilityView| serde_json::to_value(v).ok();
    let (sql, index) = match (sql, index) {
        (Ok(a), Some(Ok(b))) => (json(a), json(b)),
        (Err(_), Some(Err(_))) => return Ok(()),
        (a, b) => {
            return Err(AppError::Internal(anyhow::anyhow!(
                "the occupancy index and SQL disagree on availability: {:?} against {:?}",
                a.map(|_| ()),
                b.map(|r| r.map(|_| ()))
            )));
        }
    };
    if sql != index {
        return Err(AppError::Internal(anyhow::anyhow!(
            "the occupancy index and SQL disagree on availability:\n{sql:?}\nagainst\n{index:?}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_waiting_request_takes_a_reading_begun_after_it_arrived_and_no_older() {
        let cache = AvailabilityCache::default();
        let started = Instant::now();
        let before = started - std::time::Duration::from_millis(1);
        let after = started + std::time::Duration::from_millis(1);
        assert!(cache.read_since(before).is_none(), "nothing read yet");
        *cache.read.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((Stamp::Requests(7, 1), started));
        assert_eq!(cache.read_since(before), Some(Stamp::Requests(7, 1)));
        assert_eq!(cache.read_since(started), Some(Stamp::Requests(7, 1)));
        assert!(cache.read_since(after).is_none());
        assert!(cache.read_as_of(&Stamp::Requests(7, 1)));
        assert!(!cache.read_as_of(&Stamp::Requests(8, 1)));
        assert!(!cache.read_as_of(&Stamp::Requests(7, 2)));
    }

    #[test]
    fn a_kept_answer_serves_its_stamp_only() {
        let cache = AvailabilityCache::default();
        let key = Key {
            night: NaiveDate::from_ymd_opt(2019, 12, 1).unwrap_or_default(),
            tonight: NaiveDate::from_ymd_opt(2019, 12, 1).unwrap_or_default(),
            lapsed: false,
            shelter: None,
            places: false,
        };
        cache
            .entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                key.clone(),
                (Stamp::Snapshot("5:5:".into()), Bytes::from_static(b"{}")),
            );
        assert_eq!(
            cache.kept(&key, &Stamp::Snapshot("5:5:".into())).as_deref(),
            Some(&b"{}"[..])
        );
        assert!(cache.kept(&key, &Stamp::Snapshot("5:6:".into())).is_none());
        assert!(
            cache
                .kept(
                    &Key {
                        lapsed: true,
                        ..key
                    },
                    &Stamp::Snapshot("5:5:".into())
                )
                .is_none()
        );
    }
}
