//! Announcing that availability changed, to every screen that listens.
//!
//! On SQLite one process owns the database, so a broadcast channel in the
//! process suffices. On PostgreSQL several instances may share the
//! database: a change is announced with `NOTIFY`, and every instance
//! (this one included) hears it on a connection of its own that `LISTEN`s,
//! and passes it on to its screens.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::{Connection, PgConnection, RunQueryDsl};
use secrecy::ExposeSecret;
use tokio::sync::broadcast;

use crate::config::DatabaseUrl;
use crate::db::{DbConnection, DbPool};

const CHANNEL: &str = "nattplats_availability";

/// The start of a notification's payload that says the rule sets changed
/// too (the rest is the time of the change, as for any other change).
const RULES: &str = "rules ";

/// The payload of a notification: whether the rule sets changed, and the
/// time of the change by the service's clock, if one was made.
fn payload(rules: bool, at: Option<DateTime<Utc>>) -> String {
    let at = at.map(|at| at.to_rfc3339()).unwrap_or_default();
    if rules { format!("{RULES}{at}") } else { at }
}

/// What a payload says: whether the rule sets changed, and when.
fn heard(payload: &str) -> (bool, Option<DateTime<Utc>>) {
    let (rules, at) = match payload.strip_prefix(RULES) {
        Some(at) => (true, at),
        None => (false, payload),
    };
    let at = DateTime::parse_from_rfc3339(at)
        .ok()
        .map(|at| at.with_timezone(&Utc));
    (rules, at)
}

/// What an instance does when it hears that another changed the rule
/// sets (see [`Changes::on_heard`]).
type Hook = Box<dyn Fn() + Send + Sync>;

pub struct Changes {
    tx: broadcast::Sender<()>,
    hooks: std::sync::Mutex<Vec<Hook>>,
    postgres: bool,
    /// Counts the changes this instance made or heard of; an answer cached
    /// under an older count may be out of date.
    generation: AtomicU64,
    /// When the last change this instance made or heard of was made, by
    /// the service's clock (carried in the `NOTIFY` payload to the other
    /// instances); unknown until the first change after start.
    last: std::sync::Mutex<Option<DateTime<Utc>>>,
}

impl Changes {
    /// Starts listening (on PostgreSQL) for changes made by any instance.
    pub fn start(url: &DatabaseUrl) -> Arc<Self> {
        let (tx, _) = broadcast::channel(64);
        let changes = Arc::new(Self {
            tx,
            hooks: std::sync::Mutex::new(Vec::new()),
            postgres: !url.is_sqlite(),
            generation: AtomicU64::new(0),
            last: std::sync::Mutex::new(None),
        });
        if let DatabaseUrl::Postgres(secret) = url {
            let weak = Arc::downgrade(&changes);
            let url = secret.expose_secret().to_owned();
            let spawned = std::thread::Builder::new()
                .name("nattplats-listen".into())
                .spawn(move || listen(&url, &weak));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start the change listener");
            }
        }
        changes
    }

    /// Runs `hook` on the listener's thread (PostgreSQL only: on SQLite one
    /// process owns the database and hears nothing from others) each time
    /// a change of the rule sets is heard ([`Changes::announce_rules`]),
    /// before the screens are told, and each time the listener has
    /// (re)connected, since changes made while it was away were not heard.
    /// What an instance keeps of the database besides the availability
    /// answers (the rule sets) is read again here; not at every change of
    /// availability, which would cost every instance a read per write.
    pub fn on_heard(&self, hook: impl Fn() + Send + Sync + 'static) {
        match self.hooks.lock() {
            Ok(mut hooks) => hooks.push(Box::new(hook)),
            Err(poisoned) => poisoned.into_inner().push(Box::new(hook)),
        }
    }

    fn run_hooks(&self) {
        let hooks = match self.hooks.lock() {
            Ok(h) => h,
            Err(poisoned) => poisoned.into_inner(),
        };
        for hook in hooks.iter() {
            hook();
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<()> {
        self.tx.subscribe()
    }

    pub fn is_postgres(&self) -> bool {
        self.postgres
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Marks what was cached so far as possibly out of date. Called after
    /// every request that may have written, before its answer leaves.
    pub fn touch(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// When the last change was made that this instance made or heard of
    /// since it started.
    pub fn last_change(&self) -> Option<DateTime<Utc>> {
        match self.last.lock() {
            Ok(last) => *last,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }

    fn mark(&self, at: DateTime<Utc>) {
        match self.last.lock() {
            Ok(mut last) => *last = Some(at),
            Err(poisoned) => *poisoned.into_inner() = Some(at),
        }
    }

    /// Says that availability changed, at `at` by the service's clock
    /// (`None`: the screens should read again, but nothing was changed).
    /// Call after the change committed.
    pub async fn announce(&self, pool: &DbPool, at: Option<DateTime<Utc>>) {
        self.send(pool, false, at).await;
    }

    /// [`Changes::announce`] for a change of the rule sets: the other
    /// instances read them again before they tell their screens.
    pub async fn announce_rules(&self, pool: &DbPool, at: DateTime<Utc>) {
        self.send(pool, true, Some(at)).await;
    }

    async fn send(&self, pool: &DbPool, rules: bool, at: Option<DateTime<Utc>>) {
        if let Some(at) = at {
            self.mark(at);
        }
        self.touch();
        if !self.postgres {
            let _ = self.tx.send(());
            return;
        }
        let pool = pool.clone();
        let sent = tokio::task::spawn_blocking(move || -> Result<(), String> {
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            match &mut **conn {
                DbConnection::Postgres(c) => {
                    crate::db::prepared::prepared("SELECT pg_notify(?, ?)")
                        .bind::<diesel::sql_types::Text, _>(CHANNEL)
                        .bind::<diesel::sql_types::Text, _>(payload(rules, at))
                        .execute(c)
                        .map(drop)
                        .map_err(|e| e.to_string())
                }
                DbConnection::Sqlite(_) => Ok(()),
            }
        })
        .await;
        if let Ok(Err(e)) | Err(e) = sent.map_err(|e| e.to_string()) {
            // Screens then catch up at their next change or keep-alive.
            tracing::warn!(error = %e, "cannot announce a change");
        }
    }
}

/// The listening loop: reconnects when the database goes away, and ends
/// when the application that owns `changes` has stopped.
fn listen(url: &str, changes: &Weak<Changes>) {
    while changes.strong_count() > 0 {
        let mut conn = match PgConnection::establish(url) {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "change listener cannot connect; retrying");
                std::thread::sleep(Duration::from_secs(2));
                continue;
            }
        };
        if let Err(e) = diesel::sql_query(format!("LISTEN {CHANNEL}")).execute(&mut conn) {
            tracing::warn!(error = %e, "change listener cannot LISTEN; retrying");
            std::thread::sleep(Duration::from_secs(2));
            continue;
        }
        // Whatever was changed while no one listened is read again now.
        if let Some(owner) = changes.upgrade() {
            owner.run_hooks();
            owner.touch();
            let _ = owner.tx.send(());
        }
        let mut idle = 0u32;
        loop {
            let Some(owner) = changes.upgrade() else {
                return;
            };
            let (mut any, mut rules_changed) = (false, false);
            let mut broken = false;
            for n in conn.notifications_iter() {
                match n {
                    Ok(n) => {
                        any = true;
                        let (rules, at) = heard(&n.payload);
                        rules_changed |= rules;
                        if let Some(at) = at {
                            owner.mark(at);
                        }
                    }
                    Err(_) => {
                        broken = true;
                        break;
                    }
                }
            }
            if rules_changed {
                owner.run_hooks();
            }
            if any {
                owner.touch();
                let _ = owner.tx.send(());
            }
            drop(owner);
            idle += 1;
            // Every few seconds make sure the connection still answers.
            if broken
                || (idle.is_multiple_of(25)
                    && diesel::sql_query("SELECT 1").execute(&mut conn).is_err())
            {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payload_says_whether_the_rule_sets_changed_and_when() {
        let at = DateTime::parse_from_rfc3339("2019-12-01T18:00:00+01:00")
            .map(|at| at.with_timezone(&Utc))
            .ok();
        assert_eq!(heard(&payload(false, at)), (false, at));
        assert_eq!(heard(&payload(true, at)), (true, at));
        assert_eq!(heard(&payload(false, None)), (false, None));
        assert_eq!(heard(&payload(true, None)), (true, None));
        // What an instance of the version before sends: the time alone.
        assert_eq!(heard("2019-12-01T17:00:00+00:00"), (false, at));
    }
}
