//! Statements prepared once per connection (issue 18): at the desk,
//! registering a guest, taking a stay and checking in prepare no
//! statement again on a connection that has run it before. (On SQLite a
//! statement prepared again also compiles again the programs of the
//! triggers it fires.) Transaction control (`BEGIN`, `COMMIT`,
//! `SAVEPOINT`, …) is left out: it has no plan and fires no trigger. So is
//! the pool's `SELECT 1` before it hands out a PostgreSQL connection that
//! has lain idle (`tests/api/pool.rs`): it finds a connection the server
//! dropped (the outage test), and costs a round trip, not a plan; whether
//! it runs depends on the time between acts, which a test does not set.
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

use crate::helpers::Backend;
use crate::world::*;

/// What the connections of one database watched have run.
#[derive(Default)]
struct Seen {
    /// Statements prepared again on a connection that had run them.
    again: Vec<String>,
    /// Every statement, transaction control included, in order.
    run: Vec<String>,
}

type Report = Arc<Mutex<Seen>>;
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
                let text = query.to_string();
                let sql = text
                    .split(" -- binds: ")
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_owned();
                let was_cached = self.cached.contains(&sql);
                if let Ok(mut r) = report.lock() {
                    r.run.push(sql.clone());
                }
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
                    r.again.push(sql);
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

/// A world whose shelter A has eight regular places: room for the loops.
async fn eight_regular(b: Backend) -> World {
    let regular: Vec<(String, &str)> = (1..=8).map(|n| (format!("R{n}"), "regular")).collect();
    let places: Vec<(&str, &str)> = regular.iter().map(|(l, c)| (l.as_str(), *c)).collect();
    world_with(b, &places, &[("R1", "regular")]).await
}

backend_tests! {
    async fn a_desk_loop_prepares_no_statement_twice_on_a_connection(b: Backend) {
        install();
        let w = eight_regular(b).await;
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
        let again: Vec<String> = report.lock().unwrap().again.clone();
        let distinct: std::collections::BTreeSet<&String> = again.iter().collect();
        assert!(again.is_empty(), "prepared again on a connection that had run them:\n{distinct:#?}");
    }
}

/// The statements run since `from` whose text begins with `SAVEPOINT`.
fn savepoints(report: &Report, from: usize) -> Vec<String> {
    let run = &report.lock().unwrap().run;
    run.iter()
        .enumerate()
        .skip(from)
        .filter(|(_, sql)| sql.to_uppercase().starts_with("SAVEPOINT"))
        .map(|(i, sql)| format!("{sql}, after: {}", run[i.saturating_sub(2)..i].join("; ")))
        .collect()
}

fn ran(report: &Report) -> usize {
    report.lock().unwrap().run.len()
}

backend_tests! {
    async fn the_acts_on_beds_granted_or_refused_run_no_savepoint(b: Backend) {
        // Each act here is alone with the database, so on SQLite it begins
        // its own group on the writing connection and needs no savepoint
        // there either: a refusal comes before any write (`act::decided`),
        // and is recorded in the same transaction.
        install();
        let w = world(b).await;
        let report = watch(&w.app.settings.database);
        let code = |v: &Value| v["code"].as_str().unwrap_or_default().to_owned();

        let from = ran(&report);
        let g = w.man().await;
        let s = w.stay(json!({"guest_id": g, "shelter_id": w.a.id})).await;
        let id = s["id"].as_str().unwrap().to_owned();
        assert_eq!(savepoints(&report, from), Vec::<String>::new(), "registration, granted intake");

        let from = ran(&report);
        let res = w.request_stay(&w.coordinator, json!({"guest_id": g, "shelter_id": w.a.id})).await;
        assert_eq!(code(&res.json().await.unwrap()), "already-has-stay");
        assert_eq!(savepoints(&report, from), Vec::<String>::new(), "refused intake");

        let from = ran(&report);
        let res = w.act(&id, "check-ins", json!({"night": "2019-12-02"})).await;
        assert_eq!(code(&res.json().await.unwrap()), "night-out-of-range");
        let res = w.act(&id, "check-ins", json!({})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        assert_eq!(savepoints(&report, from), Vec::<String>::new(), "check-ins");

        let from = ran(&report);
        let res = w.act(&id, "move", json!({"place_id": w.a.place("W1")})).await;
        assert_eq!(code(&res.json().await.unwrap()), "category-not-allowed");
        let res = w.act(&id, "move", json!({"place_id": w.a.place("R2")})).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(savepoints(&report, from), Vec::<String>::new(), "moves");

        let from = ran(&report);
        let placement = json!({"guest_id": g, "kind": "emergency", "reason": "again"});
        let res = w.app.post("/api/v1/placements", Some(&w.coordinator), &placement).await;
        assert_eq!(code(&res.json().await.unwrap()), "already-placed");
        let other = json!({"guest_id": w.man().await, "kind": "emergency", "shelter_id": w.b.id, "reason": "acute"});
        let res = w.app.post("/api/v1/placements", Some(&w.coordinator), &other).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        assert_eq!(savepoints(&report, from), Vec::<String>::new(), "placements");

        let res = w.app.post("/api/v1/intake-sessions", Some(&w.desk_a), &json!({"shelter_ids": [w.a.id]})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let session = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
        for _ in 0..2 {
            let applicant = json!({"guest_id": w.woman().await});
            let res = w.app.post(&format!("/api/v1/intake-sessions/{session}/applicants"), Some(&w.desk_a), &applicant).await;
            assert_eq!(res.status(), StatusCode::CREATED);
        }
        let from = ran(&report);
        let draw = format!("/api/v1/intake-sessions/{session}/draw");
        let res = w.app.post(&draw, Some(&w.desk_a), &json!({})).await;
        assert_eq!(res.status(), StatusCode::OK);
        let res = w.app.post(&draw, Some(&w.desk_a), &json!({})).await;
        assert_eq!(code(&res.json().await.unwrap()), "session-closed");
        assert_eq!(savepoints(&report, from), Vec::<String>::new(), "draws");
    }
}

/// The statements of one desk loop (register, intake, check-in) as they
/// stand, transaction control included: on PostgreSQL each is a round
/// trip. Left out: the pool's `SELECT 1` at each checkout (PostgreSQL: one
/// for who calls, one for the act, one for the `NOTIFY` after a write,
/// eight a loop), and what threads of their own run beside the loop when
/// their moment comes: the rule sets read again on hearing that they
/// changed (PostgreSQL's listener), the write-ahead log's checkpoint
/// (SQLite's `db::Checkpointer`). Issue 18 asks for at most 15 round trips; this
/// bound only holds what has been won (58 on PostgreSQL before the
/// savepoints, the caller's second read, the intake's separate locks and
/// the check-in's second read of the stay's nights went) until that is
/// reached. The intake's reading of the occupancy index before its act
/// added three (its own read transaction and one statement); the
/// comparison a debug build makes in that reading's snapshot is left out
/// ([`debug_comparison`]). Then the audit trail's head, numbers, rows and
/// head's move went from four round trips an act to two on PostgreSQL
/// (three statements on SQLite), the intake's answer took its place's
/// label from the search that chose it, and a registration resembling no
/// one stopped fetching an empty list of guests: 49 → 41 and 52 → 48.
/// The intake's clearing of the way reads and writes the place's and the
/// guest's bookings in one statement each instead of two: → 39 and 46;
/// the duplicate search's two block reads became one: → 38 and 45; the
/// check-in's update returns its place's label: → 37 and 44.
const DESK_LOOP_STATEMENTS: [(Backend, usize); 2] =
    [(Backend::Sqlite, 44), (Backend::Postgres, 37)];

/// The statements only a debug build runs in a desk loop: the first free
/// places the intake's reading of the occupancy index compares with SQL
/// in its snapshot (`service::occupancy::read_for_intake`), between the
/// reading's statement and its commit.
fn debug_comparison(run: &[String]) -> Vec<bool> {
    let mut inside = false;
    run.iter()
        .map(|sql| {
            if sql.contains("FROM occupancy_changes") {
                inside = true;
            } else if sql.starts_with("COMMIT") {
                inside = false;
            }
            inside && sql.starts_with("SELECT") && !sql.contains("FROM occupancy_changes")
        })
        .collect()
}

/// Whether a statement is the loop's own: not the pool's check, not the
/// rule sets read again, not a checkpoint.
fn in_loop(sql: &str) -> bool {
    sql != "SELECT 1" && !sql.contains("rule_sets") && !sql.starts_with("PRAGMA wal_checkpoint")
}

backend_tests! {
    async fn a_desk_loop_runs_no_more_statements_than_counted(b: Backend) {
        install();
        let w = eight_regular(b).await;
        let desk = &w.desk_a;
        let report = watch(&w.app.settings.database);
        let mut per_loop = Vec::new();
        // Names and years far apart: no loop shows a possible duplicate.
        let people = [("Andrei", "Popescu", 1960), ("Ion", "Marin", 1970), ("Vasile", "Dumitru", 1980), ("Gheorghe", "Stan", 1990)];
        for (given, family, year) in people {
            let from = ran(&report);
            let res = w.app.post("/api/v1/guests", Some(desk), &json!({"given_name": given, "family_name": family, "birth_year": year, "gender": "man", "citizenship": "RO"})).await;
            assert_eq!(res.status(), StatusCode::CREATED);
            let g = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
            let res = w.request_stay(desk, json!({"guest_id": g, "shelter_id": w.a.id})).await;
            assert_eq!(res.status(), StatusCode::CREATED);
            let id = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
            let res = w.app.post(&format!("/api/v1/stays/{id}/check-ins"), Some(desk), &json!({})).await;
            assert_eq!(res.status(), StatusCode::CREATED);
            let run: Vec<String> = report.lock().unwrap().run[from..].iter().filter(|sql| in_loop(sql)).cloned().collect();
            let debug = debug_comparison(&run);
            let run: Vec<String> = run.into_iter().zip(debug).filter(|(_, d)| !d).map(|(sql, _)| sql).collect();
            per_loop.push(run);
        }
        let last = per_loop.last().unwrap();
        let bound = DESK_LOOP_STATEMENTS.iter().find(|(k, _)| *k == b).map(|(_, n)| *n).unwrap();
        assert!(last.len() <= bound, "{} statements, {bound} allowed:\n{}", last.len(), last.join("\n"));
        // Every loop's requests ran: the bound is not met by an empty loop.
        assert!(per_loop.iter().all(|l| l.iter().any(|sql| sql.starts_with("COMMIT"))));
    }
}

/// The statements run since `from` that read the rule sets.
fn rule_set_reads(report: &Report, from: usize) -> usize {
    report.lock().unwrap().run[from..]
        .iter()
        .filter(|sql| sql.contains("rule_sets") && sql.starts_with("SELECT"))
        .count()
}

backend_tests! {
    async fn an_intake_does_not_make_the_instances_read_the_rule_sets_again(b: Backend) {
        install();
        let w = world(b).await;
        let report = watch(&w.app.settings.database);
        let sj = w.app.user_token("sj.watch", &["social_emergency"], &[]).await;
        let res = w.app.get("/api/v1/availability/stream", Some(&sj)).await;
        assert_eq!(res.status(), StatusCode::OK);
        let mut stream = res.bytes_stream();
        let mut buffer = String::new();
        crate::stream::next_event(&mut stream, &mut buffer).await;

        // An intake: the screens hear of it (on PostgreSQL through the
        // instance's listener, which runs its hooks before it tells them).
        let from = ran(&report);
        w.stay(json!({"guest_id": w.man().await, "shelter_id": w.a.id})).await;
        crate::stream::next_event(&mut stream, &mut buffer).await;
        assert_eq!(rule_set_reads(&report, from), 0, "an intake made the rule sets be read again");

        // That a new rule set is read again by every instance is
        // `rule_sets::another_instance_uses_a_new_rule_set_without_a_restart`.
    }
}
