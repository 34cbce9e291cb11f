//! The command line: migrate, seed, user add, and a wrong setting.

use std::process::Command;

use crate::concurrency::assert_no_double_booking;
use crate::helpers::*;

pub fn nattplats(dir: &std::path::Path, url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nattplats"));
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn");
    cmd
}

pub fn url_of(url: &nattplats::config::DatabaseUrl) -> String {
    match url {
        nattplats::config::DatabaseUrl::Sqlite(p) => format!("sqlite://{}", p.display()),
        nattplats::config::DatabaseUrl::Postgres(s) => {
            secrecy::ExposeSecret::expose_secret(s).to_owned()
        }
    }
}

/// A service process, stopped when dropped (also when a test fails).
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `nattplats serve` with the demo seed and JSON logs; returns every
/// line it wrote to stdout up to the one saying where it listens, the port
/// and the process.
fn serve_demo(dir: &std::path::Path, url: &str) -> (Vec<String>, u16, Running) {
    use std::io::BufRead;
    let mut child = nattplats(dir, url)
        .env("RUST_LOG", "info")
        .env("NATTPLATS_SEED", "stockholm-2019")
        .env("NATTPLATS_LOG_FORMAT", "json")
        .env("NATTPLATS_BIND", "127.0.0.1:0")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let child = Running(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            if line.map(|l| tx.send(l)).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    let port = loop {
        let Ok(line) = rx.recv_timeout(std::time::Duration::from_secs(60)) else {
            panic!("no listening line in: {lines:#?}");
        };
        let value: Option<serde_json::Value> = serde_json::from_str(&line).ok();
        lines.push(line);
        if let Some(v) = value
            && v["fields"]["message"] == "nattplats is listening"
        {
            break u16::try_from(v["fields"]["port"].as_u64().unwrap()).unwrap();
        }
    };
    (lines, port, child)
}

backend_tests! {
    // Issue 14, item 14: with JSON logs the demo admin's password line was
    // plain text in the JSON stream. It is a JSON line too, shown once.
    async fn the_demo_admin_password_is_a_json_line_shown_once(b: Backend) {
        let (_db, url) = TestDb::new(b);
        let url = url_of(&url);
        let dir = tempfile::tempdir().unwrap();
        let (lines, port, running) = serve_demo(dir.path(), &url);
        let parsed: Vec<serde_json::Value> = lines
            .iter()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
            .collect();
        let told: Vec<&serde_json::Value> = parsed.iter().filter(|v| v["fields"]["password"].is_string()).collect();
        assert_eq!(told.len(), 1, "{lines:#?}");
        assert_eq!(told[0]["fields"]["username"], "admin");
        assert!(told[0]["level"].is_string() && told[0]["timestamp"].is_string(), "{}", told[0]);
        let password = told[0]["fields"]["password"].as_str().unwrap().to_owned();
        let res = reqwest::Client::new()
            .post(format!("http://127.0.0.1:{port}/api/v1/auth/token"))
            .json(&serde_json::json!({"username": "admin", "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "the printed password logs in");
        // The demo's other users, one per role and a desk per shelter, sign
        // in with the same password and have their roles and shelters.
        let named: Vec<String> = told[0]["fields"]["demo_users"].as_array().unwrap().iter()
            .map(|u| u.as_str().unwrap().to_owned()).collect();
        assert_eq!(named, ["desk.convictus", "desk.fralsningsarmens", "desk.stadsmissionens",
                           "samordnare", "socialjouren", "eu-teamet"]);
        for (user, role) in [("desk.convictus", "shelter_staff"), ("samordnare", "coordinator"),
                             ("socialjouren", "social_emergency"), ("eu-teamet", "outreach")] {
            let res = reqwest::Client::new()
                .post(format!("http://127.0.0.1:{port}/api/v1/auth/token"))
                .json(&serde_json::json!({"username": user, "password": password}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200, "{user} signs in");
            let token = res.json::<serde_json::Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();
            let claims = crate::idp::claims_of(&token);
            assert_eq!(claims["roles"], serde_json::json!([role]), "{user}");
            assert_eq!(claims["shelters"].as_array().unwrap().len(), usize::from(role == "shelter_staff"), "{user}");
        }
        drop(running);
        // The next start says nothing of it.
        let (lines, _, running) = serve_demo(dir.path(), &url);
        drop(running);
        assert!(lines.iter().all(|l| !l.contains(&password) && !l.contains("\"password\"")), "{lines:#?}");
    }

    // Issue 14, item 17: the bootstrap admin's password could be 8
    // characters while the API asked for 10. One rule for every door.
    async fn every_door_refuses_a_nine_character_password(b: Backend) {
        let (_db, url) = TestDb::new(b);
        let url = url_of(&url);
        let dir = tempfile::tempdir().unwrap();
        let out = nattplats(dir.path(), &url)
            .env("NATTPLATS_BOOTSTRAP_ADMIN", "root:123456789")
            .arg("migrate")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("NATTPLATS_BOOTSTRAP_ADMIN") && err.contains("10 to 256"), "{err}");
        assert!(!err.contains("123456789"), "the password is not repeated: {err}");
        let out = nattplats(dir.path(), &url)
            .args(["user", "add", "night.coord", "--role", "coordinator"])
            .env("NATTPLATS_NEW_PASSWORD", "123456789")
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("10 to 256"));
        // Ten characters pass at both.
        let out = nattplats(dir.path(), &url)
            .env("NATTPLATS_BOOTSTRAP_ADMIN", "root:1234567890")
            .arg("migrate")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let out = nattplats(dir.path(), &url)
            .args(["user", "add", "night.coord", "--role", "coordinator"])
            .env("NATTPLATS_NEW_PASSWORD", "1234567890")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }

    async fn migrate_seed_and_add_a_user(b: Backend) {
        let (_db, url) = TestDb::new(b);
        let url = url_of(&url);
        let dir = tempfile::tempdir().unwrap();
        let out = nattplats(dir.path(), &url).arg("migrate").output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let out = nattplats(dir.path(), &url).args(["seed", "stockholm-2019"]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains("115 places"));
        // A second seed is refused: the database is not empty.
        let out = nattplats(dir.path(), &url).args(["seed", "stockholm-2019"]).output().unwrap();
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("empty database"));
        // A user without a password is refused; with one, created.
        let out = nattplats(dir.path(), &url)
            .args(["user", "add", "night.coord", "--role", "coordinator"])
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("NATTPLATS_NEW_PASSWORD"));
        let out = nattplats(dir.path(), &url)
            .args(["user", "add", "night.coord", "--role", "coordinator"])
            .env("NATTPLATS_NEW_PASSWORD", "a-long-password-1")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let out = nattplats(dir.path(), &url)
            .args(["user", "add", "desk", "--role", "shelter_staff"])
            .env("NATTPLATS_NEW_PASSWORD", "a-long-password-1")
            .output()
            .unwrap();
        assert!(!out.status.success());
        let out = nattplats(dir.path(), &url)
            .args(["user", "add", "desk", "--role", "janitor"])
            .env("NATTPLATS_NEW_PASSWORD", "a-long-password-1")
            .output()
            .unwrap();
        assert!(!out.status.success());
    }

    async fn a_world_wider_than_one_insert_is_written_in_bulk(b: Backend) {
        // 2,500 guests of 17 columns: more bound values than SQLite takes
        // in one statement, so the bulk writer must cut them.
        use diesel::prelude::*;
        let (_db, db_url) = TestDb::new(b);
        let url = url_of(&db_url);
        let dir = tempfile::tempdir().unwrap();
        let out = nattplats(dir.path(), &url)
            .args(["seed", "large", "--shelters", "2", "--places-per-shelter", "10", "--guests", "2500", "--history-nights", "1"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let mut conn = nattplats::db::build_pool(&db_url, 1).get().unwrap();
        let guests: i64 = nattplats::db::schema::guests::table.count().get_result(&mut **conn).unwrap();
        assert_eq!(guests, 2500);
    }

    async fn a_large_world_is_written_in_bulk_and_keeps_the_bed_rules(b: Backend) {
        use diesel::prelude::*;
        use nattplats::db::schema::{bookings, places, stays};
        let (_db, db_url) = TestDb::new(b);
        let url = url_of(&db_url);
        let dir = tempfile::tempdir().unwrap();
        let out = nattplats(dir.path(), &url).args(["seed", "stockholm-2019"]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let too_few = nattplats(dir.path(), &url)
            .args(["seed", "large", "--shelters", "2", "--places-per-shelter", "10", "--guests", "39"])
            .output()
            .unwrap();
        assert!(!too_few.status.success());
        assert!(String::from_utf8_lossy(&too_few.stderr).contains("twice as many guests"));
        let out = nattplats(dir.path(), &url)
            .args(["seed", "large", "--shelters", "3", "--places-per-shelter", "10", "--guests", "70", "--history-nights", "40", "--occupancy", "80"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains("wrote 3 shelters, 30 places, 70 guests"));

        let mut conn = nattplats::db::build_pool(&db_url, 1).get().unwrap();
        // Every stay holds exactly its L consecutive nights: 5 regular, 7 women.
        let all: Vec<(String, String, String, chrono::NaiveDate, i32)> = stays::table
            .filter(stays::created_by.eq("bulk"))
            .select((stays::id, stays::guest_id, stays::category, stays::first_night, stays::nights))
            .order((stays::guest_id, stays::first_night))
            .load(&mut **conn)
            .unwrap();
        assert!(all.len() > 100, "{} stays", all.len());
        let nights_of: std::collections::HashMap<String, Vec<chrono::NaiveDate>> = {
            let rows: Vec<(Option<String>, chrono::NaiveDate)> = bookings::table
                .filter(bookings::held.eq(true))
                .select((bookings::stay_id, bookings::night))
                .order(bookings::night)
                .load(&mut **conn)
                .unwrap();
            let mut m = std::collections::HashMap::<String, Vec<chrono::NaiveDate>>::new();
            for (stay, night) in rows {
                m.entry(stay.unwrap()).or_default().push(night);
            }
            m
        };
        for (id, _, category, first, nights) in &all {
            assert_eq!(*nights, if category == "women" { 7 } else { 5 });
            let expected: Vec<chrono::NaiveDate> = (0..*nights).map(|n| *first + chrono::Duration::days(n.into())).collect();
            assert_eq!(nights_of[id], expected, "stay {id}");
        }
        // Nobody comes back inside the two nights of karenstid.
        for pair in all.windows(2) {
            let ((_, g1, _, f1, n1), (_, g2, _, f2, _)) = (&pair[0], &pair[1]);
            if g1 == g2 {
                assert!(*f2 >= *f1 + chrono::Duration::days(i64::from(*n1) + 2), "guest {g1} back on {f2}");
            }
        }
        assert_no_double_booking(&mut conn);
        // Tomorrow's free places, as a screen sees them, against a count of
        // places and held nights.
        let partnership = nattplats::db::partnerships::load(&mut conn).unwrap().unwrap();
        let now = chrono::Utc::now();
        let tomorrow = partnership.calendar.night_of(now).plus(1);
        let question = nattplats::service::coordination::AvailabilityQuestion { night: Some(tomorrow), shelter_id: None, places: false };
        let view = nattplats::service::coordination::availability(&mut conn, &partnership, &question, now).unwrap();
        let regular: i64 = places::table.filter(places::category.eq("regular")).count().get_result(&mut **conn).unwrap();
        let held: i64 = bookings::table
            .inner_join(places::table)
            .filter(places::category.eq("regular"))
            .filter(bookings::night.eq(tomorrow.date()))
            .filter(bookings::held.eq(true))
            .count()
            .get_result(&mut **conn)
            .unwrap();
        assert!(held > 0);
        assert_eq!(i64::from(view.free.regular), regular - held);
        // The load ran with the triggers off: the kept counts were counted
        // once after it, the report summaries filled from the rows, and
        // the triggers are back.
        let report = nattplats::db::invariants::check(&mut conn).unwrap();
        assert!(report.holds(), "{report:?}");
        let one = crate::helpers::number;
        let booked = one(&mut conn, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM bookings");
        assert_eq!(one(&mut conn, "SELECT CAST(SUM(booked) AS BIGINT) AS n FROM report_nights"), booked);
        let begun = one(&mut conn, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM stays WHERE status <> 'voided'");
        assert_eq!(one(&mut conn, "SELECT CAST(SUM(stays) AS BIGINT) AS n FROM report_stays WHERE outcome = 'begun'"), begun);
        let trigger_sql = match b {
            Backend::Sqlite => "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM sqlite_master WHERE type = 'trigger'",
            Backend::Postgres => "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D'",
        };
        let fresh_db = TestDb::new(b);
        let mut fresh = nattplats::db::build_pool(&fresh_db.1, 1).get().unwrap();
        nattplats::db::run_migrations(&mut fresh).unwrap();
        assert_eq!(one(&mut conn, trigger_sql), one(&mut fresh, trigger_sql));
        // The occupancy log missed the load: its last row makes every
        // instance's index read everything again.
        assert_eq!(
            one(&mut conn, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM occupancy_changes \
                 WHERE seq = (SELECT MAX(seq) FROM occupancy_changes) AND night IS NULL AND place_id IS NULL"),
            1
        );
        // PostgreSQL has its planner's statistics of what was loaded.
        if b == Backend::Postgres {
            assert_eq!(
                one(&mut conn, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM pg_stat_user_tables \
                     WHERE relname IN ('bookings', 'places', 'stays', 'guests') AND last_analyze IS NOT NULL"),
                4
            );
        }
    }

    async fn backup_copies_a_running_sqlite_database_consistently(b: Backend) {
        let w = crate::world::world(b).await;
        let url = url_of(&w.app.settings.database);
        let dir = tempfile::tempdir().unwrap();
        let before = w.man().await;
        if b == Backend::Postgres {
            let out = nattplats(dir.path(), &url).args(["backup", "x.db"]).output().unwrap();
            assert!(!out.status.success());
            assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
            return;
        }
        // Desks keep registering guests while the copy is taken.
        let writing = async {
            for _ in 0..20 {
                w.man().await;
            }
        };
        let copy = dir.path().join("copy.db");
        let backup = {
            let mut cmd = nattplats(dir.path(), &url);
            cmd.arg("backup").arg(&copy);
            tokio::task::spawn_blocking(move || cmd.output().unwrap())
        };
        let (out, ()) = tokio::join!(backup, writing);
        let out = out.unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let copied = nattplats::config::DatabaseUrl::Sqlite(copy.clone());
        let mut conn = nattplats::db::build_pool(&copied, 1).get().unwrap();
        use diesel::prelude::*;
        use nattplats::db::schema::guests;
        let ids: Vec<String> = guests::table.select(guests::id).load(&mut **conn).unwrap();
        assert!(ids.contains(&before), "a guest registered before the backup is in it");
        #[derive(diesel::QueryableByName)]
        struct Check {
            #[diesel(sql_type = diesel::sql_types::Text)]
            integrity_check: String,
        }
        let nattplats::db::DbConnection::Sqlite(c) = &mut **conn else { unreachable!() };
        let check: Check = diesel::sql_query("PRAGMA integrity_check").get_result(c).unwrap();
        assert_eq!(check.integrity_check, "ok");
        assert!(nattplats::db::is_migrated(&mut conn).unwrap());
        // A backup never overwrites.
        let again = nattplats(dir.path(), &url).arg("backup").arg(&copy).output().unwrap();
        assert!(!again.status.success());
        assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));
    }
}

#[test]
fn a_wrong_setting_stops_the_start_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = nattplats(dir.path(), "sqlite://x.db")
        .env("NATTPLATS_TOKEN_TTL_SECONDS", "forever")
        .arg("migrate")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("token_ttl_seconds") || err.contains("TOKEN_TTL"),
        "{err}"
    );
    assert!(!dir.path().join("x.db").exists(), "nothing was created");
}
