//! The audit trail: every read or change of a guest's personal data, every
//! rule override, login, user change and ban, written in the same
//! transaction as the act (who, which roles, what, which guest, when, the
//! request id). Entries carry no names, only ids.
//!
//! Entries are hash-chained: entry `n` stores the hash of entry `n - 1` and
//! a SHA-256 over its own fields and that hash; the head row holds the last
//! sequence number and hash. Appending locks the head row, so the chain has
//! one order even with several instances on one PostgreSQL. [`verify`]
//! walks the chain and names every entry that was edited, removed or
//! re-ordered since it was written.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use chrono::{NaiveDateTime, SubsecRound};
use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::auth::Caller;
use crate::db::schema::{audit_entries, audit_head};
use crate::db::{self, DbConnection, DbPool};
use crate::error::AppError;

/// Who acts, as the audit records it.
#[derive(Debug, Clone)]
pub struct Who {
    pub user_id: String,
    pub roles: String,
    pub request_id: Option<String>,
}

/// The request id of the request being served, for the audit.
#[derive(Debug, Clone)]
pub struct RequestTag(pub Option<String>);

impl FromRequest for RequestTag {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let id = req
            .extensions()
            .get::<tracing_actix_web::RequestId>()
            .map(|id| id.to_string());
        ready(Ok(Self(id)))
    }
}

impl Who {
    pub fn new(caller: &Caller, tag: &RequestTag) -> Self {
        Self {
            user_id: caller.user_id.clone(),
            roles: caller
                .roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(","),
            request_id: tag.0.clone(),
        }
    }

    /// The service itself or an operator at the command line.
    pub fn system(name: &str) -> Self {
        Self {
            user_id: name.to_owned(),
            roles: "system".to_owned(),
            request_id: None,
        }
    }
}

/// What an entry is about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    pub guest_id: Option<String>,
    pub subject_id: Option<String>,
    /// Recorded as this action instead of the act's own.
    pub action: Option<&'static str>,
}

/// An act to audit: who, what, and about whom it was attempted.
#[derive(Debug, Clone)]
pub struct Audit {
    pub who: Who,
    pub action: &'static str,
    pub attempted: Target,
}

impl Audit {
    pub fn new(caller: &Caller, tag: &RequestTag, action: &'static str, attempted: Target) -> Self {
        Self {
            who: Who::new(caller, tag),
            action,
            attempted,
        }
    }
}

impl Target {
    pub fn guest(id: impl Into<String>) -> Self {
        Self {
            guest_id: Some(id.into()),
            ..Self::default()
        }
    }

    pub fn subject(id: impl Into<String>) -> Self {
        Self {
            subject_id: Some(id.into()),
            ..Self::default()
        }
    }

    pub fn both(guest_id: impl Into<String>, subject_id: impl Into<String>) -> Self {
        Self {
            guest_id: Some(guest_id.into()),
            subject_id: Some(subject_id.into()),
            action: None,
        }
    }

    pub fn as_action(self, action: &'static str) -> Self {
        Self {
            action: Some(action),
            ..self
        }
    }

    /// The guest and the object an answer names (`guest_id`, and `id` or
    /// `stay_id`), for acts answered as JSON.
    pub fn of_answer(body: &serde_json::Value) -> Self {
        let text = |k: &str| body.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        Self {
            guest_id: text("guest_id"),
            subject_id: text("id").or_else(|| text("stay_id")),
            action: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = audit_entries, treat_none_as_default_value = false)]
pub struct Entry {
    pub seq: i64,
    pub at: NaiveDateTime,
    pub user_id: String,
    pub roles: String,
    pub action: String,
    pub guest_id: Option<String>,
    pub subject_id: Option<String>,
    pub request_id: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl Entry {
    /// SHA-256 over every field but the hash itself, as one JSON array (an
    /// unambiguous encoding: no two different entries give the same text).
    pub fn digest(&self) -> String {
        let fields = serde_json::json!([
            self.seq,
            self.at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
            self.user_id,
            self.roles,
            self.action,
            self.guest_id,
            self.subject_id,
            self.request_id,
            self.prev_hash,
        ]);
        hex::encode(Sha256::digest(fields.to_string().as_bytes()))
    }
}

/// Appends one entry. Call inside the write transaction of the act.
pub fn record(
    conn: &mut DbConnection,
    who: &Who,
    action: &str,
    target: &Target,
    at: NaiveDateTime,
) -> QueryResult<()> {
    let head = audit_head::table
        .find(1)
        .select((audit_head::seq, audit_head::hash));
    // The head row is the chain's lock: one appender at a time.
    let (last, prev_hash): (i64, String) = match conn {
        DbConnection::Postgres(c) => head.for_update().first(c)?,
        DbConnection::Sqlite(c) => head.first(c)?,
    };
    let mut entry = Entry {
        seq: last + 1,
        // Stored to the microsecond on both backends, so the hash holds.
        at: at.trunc_subsecs(6),
        user_id: who.user_id.clone(),
        roles: who.roles.clone(),
        action: action.to_owned(),
        guest_id: target.guest_id.clone(),
        subject_id: target.subject_id.clone(),
        request_id: who.request_id.clone(),
        prev_hash,
        hash: String::new(),
    };
    entry.hash = entry.digest();
    diesel::insert_into(audit_entries::table)
        .values(&entry)
        .execute(conn)?;
    diesel::update(audit_head::table.find(1))
        .set((
            audit_head::seq.eq(entry.seq),
            audit_head::hash.eq(&entry.hash),
        ))
        .execute(conn)?;
    Ok(())
}

fn now() -> NaiveDateTime {
    // The real time, also in training mode with its manual clock.
    chrono::Utc::now().naive_utc()
}

/// Runs an act and its audit entries in one write transaction, on a
/// pooled connection off the reactor.
///
/// `targets` names what a successful act touched (each entry under the
/// act's action unless the target names its own). A refused act (a bed
/// rule said no) is audited too, as `ACTION.refused` about `attempted`,
/// and what the refusal itself wrote (the turn-away) is kept. Any other
/// error rolls everything back and is not audited.
pub async fn audited<T, F, G>(
    pool: &DbPool,
    audit: Audit,
    act: F,
    targets: G,
) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
    G: FnOnce(&T) -> Vec<Target> + Send + 'static,
    T: Send + 'static,
{
    let Audit {
        who,
        action,
        attempted,
    } = audit;
    crate::service::blocking(pool, move |conn| {
        db::write_tx(conn, |c| match act(c) {
            Ok(value) => {
                let at = now();
                for target in targets(&value) {
                    record(c, &who, target.action.unwrap_or(action), &target, at)?;
                }
                Ok(Ok(value))
            }
            Err(AppError::Refused(refusal)) => {
                record(c, &who, &format!("{action}.refused"), &attempted, now())?;
                Ok(Err(AppError::Refused(refusal)))
            }
            Err(e) => Err(e),
        })?
    })
    .await
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub entries: u64,
    /// One line per broken link, oldest first; empty when the chain holds.
    pub problems: Vec<String>,
}

/// Walks the whole chain in order and checks every link and the head.
pub fn verify(conn: &mut DbConnection) -> QueryResult<Verification> {
    const BATCH: i64 = 10_000;
    let mut problems = Vec::new();
    let mut expected_seq = 1i64;
    let mut prev_hash = String::new();
    let mut entries = 0u64;
    loop {
        let batch: Vec<Entry> = audit_entries::table
            .filter(audit_entries::seq.ge(expected_seq.min(i64::MAX - 1)))
            .order(audit_entries::seq.asc())
            .limit(BATCH)
            .select(Entry::as_select())
            .load(conn)?;
        if batch.is_empty() {
            break;
        }
        for e in &batch {
            entries += 1;
            if e.seq != expected_seq {
                problems.push(format!(
                    "entries {expected_seq} to {} are missing",
                    e.seq - 1
                ));
            } else if e.prev_hash != prev_hash {
                problems.push(format!(
                    "entry {} does not follow the entry before it",
                    e.seq
                ));
            }
            if e.digest() != e.hash {
                problems.push(format!("entry {} was changed after it was written", e.seq));
            }
            expected_seq = e.seq + 1;
            prev_hash = e.hash.clone();
        }
    }
    let (head_seq, head_hash): (i64, String) = audit_head::table
        .find(1)
        .select((audit_head::seq, audit_head::hash))
        .first(conn)?;
    if head_seq != expected_seq - 1 {
        problems.push(format!(
            "the trail ends at entry {} but {head_seq} were written",
            expected_seq - 1
        ));
    } else if head_hash != prev_hash {
        problems.push(format!(
            "the last entry, {head_seq}, is not the one that was written"
        ));
    }
    Ok(Verification { entries, problems })
}

/// Which entries an admin asks for.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub guest_id: Option<String>,
    pub user_id: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
    /// Entries before this sequence number (to page backwards).
    pub before: Option<i64>,
}

/// The newest entries that match, newest first.
pub fn query(conn: &mut DbConnection, f: &Filter, limit: i64) -> QueryResult<Vec<Entry>> {
    let mut q = audit_entries::table
        .select(Entry::as_select())
        .order(audit_entries::seq.desc())
        .limit(limit)
        .into_boxed();
    if let Some(g) = &f.guest_id {
        q = q.filter(audit_entries::guest_id.eq(g.clone()));
    }
    if let Some(u) = &f.user_id {
        q = q.filter(audit_entries::user_id.eq(u.clone()));
    }
    if let Some(from) = f.from {
        q = q.filter(audit_entries::at.ge(from));
    }
    if let Some(to) = f.to {
        q = q.filter(audit_entries::at.lt(to));
    }
    if let Some(before) = f.before {
        q = q.filter(audit_entries::seq.lt(before));
    }
    q.load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Entry {
        let mut e = Entry {
            seq: 7,
            at: chrono::NaiveDate::from_ymd_opt(2019, 12, 1)
                .and_then(|d| d.and_hms_micro_opt(22, 30, 0, 123_456))
                .unwrap_or_default(),
            user_id: "u1".into(),
            roles: "coordinator".into(),
            action: "guest.read".into(),
            guest_id: Some("g1".into()),
            subject_id: None,
            request_id: Some("r1".into()),
            prev_hash: "ab".into(),
            hash: String::new(),
        };
        e.hash = e.digest();
        e
    }

    #[test]
    fn every_field_is_covered_by_the_hash() {
        let e = entry();
        type Change = fn(&mut Entry);
        let changes: [Change; 9] = [
            |e| e.seq += 1,
            |e| e.at += chrono::Duration::microseconds(1),
            |e| e.user_id.push('x'),
            |e| e.roles = "admin".into(),
            |e| e.action = "guest.export".into(),
            |e| e.guest_id = None,
            |e| e.subject_id = Some(String::new()),
            |e| e.request_id = None,
            |e| e.prev_hash = "ac".into(),
        ];
        for change in changes {
            let mut changed = e.clone();
            change(&mut changed);
            assert_ne!(changed.digest(), e.hash, "{changed:?}");
        }
        assert_eq!(e.clone().digest(), e.hash);
        assert_eq!(e.hash.len(), 64);
    }

    #[test]
    fn a_missing_value_and_an_empty_one_hash_differently() {
        let mut a = entry();
        let mut b = entry();
        a.guest_id = None;
        b.guest_id = Some(String::new());
        assert_ne!(a.digest(), b.digest());
    }
}
