//! Statements prepared once per connection (issue 18): at the desk,
//! registering a guest, taking a stay and checking in prepare no
//! statement again on a connection that has run it before. (On SQLite a
//! statement prepared again also compiles again the programs of the
//! triggers it fires.) Transaction control (`BEGIN`, `COMMIT`,
//! `SAVEPOINT`, …) is left out: it has no plan and fires no trigger. So is
//! the pool's `SELECT 1` before it hands out a PostgreSQL connection: it
//! is what finds a connection the server dropped (the outage test), and
//! costs a round trip, not a plan.
//!
//! Every connection of this test binary carries a [`Watch`] (diesel's
//! default instrumentation, set once); a test asks for the statements of
//! its own database only, so tests running beside it do not count.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock, Mutex};

use diesel::connection::{Instrumentation, InstrumentationEvent};
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::world::*;

/// The statements prepared again, per database watched.
type Report = Arc<Mutex<Vec<String>>>;
static WATCHED: LazyLock<Mutex<HashMap<String, Report>>> = LazyLock::new(Mutex::default);

/// What one connection has run and kept.
#[derive(Default)]
struct Watch {
    url: String,
    seen: HashSet<String>,
    cached: HashSet<String>,
    running: Option<(String, bool)>,
}

impl Instrumentation for Watch {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match event {
            InstrumentationEvent::StartEstablishConnection { url, .. } => self.url = url.to_owned(),
            InstrumentationEvent::StartQuery { query, .. } => {
                let Some(report) = WATCHED.lock().ok().and_then(|w| w.get(&self.url).cloned())
                else {
                    return;
                };
                drop(report);
                let text = query.to_string();
                let sql = text
                    .split(" -- binds: ")
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_owned();
                let was_cached = self.cached.contains(&sql);
                self.running = Some((sql, was_cached));
            }
            InstrumentationEvent::CacheQuery { sql, .. } => {
                self.cached.insert(sql.trim().to_owned());
            }
            InstrumentationEvent::FinishQuery { .. } => {
                let Some((sql, was_cached)) = self.running.take() else {
                    return;
                };
                let control = ["BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"]
                    .iter()
                    .any(|k| sql.to_uppercase().starts_with(k))
                    || sql == "SELECT 1";
                // Run before here and not kept: prepared again.
                if !was_cached
                    && !self.cached.contains(&sql)
                    && !control
                    && !self.seen.insert(sql.clone())
                    && let Some(report) =
                        WATCHED.lock().ok().and_then(|w| w.get(&self.url).cloned())
                    && let Ok(mut r) = report.lock()
                {
                    r.push(sql);
                }
            }
            _ => {}
        }
    }
}

/// Every connection opened from now on carries a [`Watch`].
fn install() {
    static INSTALLED: LazyLock<()> = LazyLock::new(|| {
        diesel::connection::set_default_instrumentation(|| Some(Box::new(Watch::default())))
            .expect("instrumentation");
    });
    LazyLock::force(&INSTALLED);
}

fn watch(url: &nattplats::config::DatabaseUrl) -> Report {
    let key = match url {
        nattplats::config::DatabaseUrl::Sqlite(path) => path.to_string_lossy().into_owned(),
        nattplats::config::DatabaseUrl::Postgres(secret) => secret.expose_secret().to_owned(),
    };
    let report = Report::default();
    WATCHED.lock().expect("watched").insert(key, report.clone());
    report
}

backend_tests! {
    async fn a_desk_loop_prepares_no_statement_twice_on_a_connection(b: Backend) {
        let regular: Vec<(String, &str)> = (1..=8).map(|n| (format!("R{n}"), "regular")).collect();
        let places: Vec<(&str, &str)> = regular.iter().map(|(l, c)| (l.as_str(), *c)).collect();
        install();
        let w = world_with(b, &places, &[("R1", "regular")]).await;
        // The connections the world's set-up opened are watched from here
        // on: the URL is looked up at each statement.
        let report = watch(&w.app.settings.database);
        for _ in 0..6 {
            let g = w.man().await;
            let s = w.stay(json!({"guest_id": g, "shelter_id": w.a.id})).await;
            let id = s["id"].as_str().unwrap();
            let res = w
                .app
                .post(&format!("/api/v1/stays/{id}/check-ins"), Some(&w.desk_a), &json!({}))
                .await;
            let status = res.status();
            let body: Value = res.json().await.unwrap();
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
        let again: Vec<String> = report.lock().unwrap().clone();
        let distinct: std::collections::BTreeSet<&String> = again.iter().collect();
        assert!(again.is_empty(), "prepared again on a connection that had run them:\n{distinct:#?}");
    }
}
