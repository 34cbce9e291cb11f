//! Migrations go up, down and up again, leaving the same schema.

use diesel::sql_types::Text;
use diesel::{QueryableByName, RunQueryDsl};
use nattplats::db::{self, DbConnection};

use crate::helpers::*;

#[derive(QueryableByName, Debug, PartialEq, Eq)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

fn schema(conn: &mut DbConnection) -> Vec<String> {
    let lines: Vec<Line> = match conn {
        DbConnection::Sqlite(c) => diesel::sql_query(
            "SELECT type || ' ' || name || ': ' || COALESCE(sql, '') AS line FROM sqlite_master
             WHERE name NOT LIKE 'sqlite_%' AND name <> '__diesel_schema_migrations' ORDER BY name",
        )
        .load(c),
        DbConnection::Postgres(c) => diesel::sql_query(
            "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable AS line
               FROM information_schema.columns
              WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'
             UNION ALL
             SELECT indexname || ': ' || indexdef FROM pg_indexes
              WHERE schemaname = 'public' AND tablename <> '__diesel_schema_migrations'
             UNION ALL
             SELECT conname || ': ' || pg_get_constraintdef(oid) FROM pg_constraint
              WHERE connamespace = 'public'::regnamespace
                AND conrelid::regclass::text <> '__diesel_schema_migrations'
             ORDER BY 1",
        )
        .load(c),
    }
    .expect("schema query");
    lines.into_iter().map(|l| l.line).collect()
}

backend_tests! {
    async fn migrations_go_up_down_and_up_again(b: Backend) {
        let (_db, url) = TestDb::new(b);
        let pool = db::build_pool(&url, 1);
        let mut conn = pool.get().expect("connection");
        assert!(schema(&mut conn).is_empty());
        assert!(!db::is_migrated(&mut conn).unwrap());
        let applied = db::run_migrations(&mut conn).unwrap();
        assert!(applied >= 1);
        assert!(db::is_migrated(&mut conn).unwrap());
        let first = schema(&mut conn);
        assert!(first.iter().any(|l| l.contains("guests")), "{first:?}");
        let reverted = db::revert_all_migrations(&mut conn).unwrap();
        assert_eq!(reverted, applied);
        assert!(schema(&mut conn).is_empty(), "{:?}", schema(&mut conn));
        assert_eq!(db::run_migrations(&mut conn).unwrap(), applied);
        assert_eq!(schema(&mut conn), first);
        assert_eq!(db::run_migrations(&mut conn).unwrap(), 0);
    }
}

backend_tests! {
    async fn a_trail_of_one_chain_still_verifies_after_the_upgrade_to_several(b: Backend) {
        use nattplats::audit::{self, Entry, Target, Who};
        let (_db, url) = TestDb::new(b);
        let pool = db::build_pool(&url, 1);
        let mut conn = pool.get().expect("connection");
        db::run_migrations(&mut conn).unwrap();
        // Back to before the upgrade to several audit chains (and whatever
        // came after it).
        let mut reverted = Vec::new();
        while reverted.last().map(String::as_str) != Some("20261123000011") {
            reverted.push(db::revert_last_migration(&mut conn).unwrap());
            assert!(reverted.len() < 20, "never reached the audit chains: {reverted:?}");
        }
        // Three entries as the one chain wrote them: link = seq, old hash.
        let at = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap().and_hms_opt(22, 0, 0).unwrap();
        let mut prev_hash = String::new();
        for seq in 1..=3 {
            let mut e = Entry {
                seq,
                at,
                user_id: "u1".into(),
                roles: "coordinator".into(),
                action: "guest.read".into(),
                guest_id: Some("g1".into()),
                subject_id: None,
                request_id: Some(format!("r{seq}")),
                prev_hash: prev_hash.clone(),
                hash: String::new(),
                chain: 0,
                link: seq,
            };
            e.hash = e.digest();
            let insert = format!(
                "INSERT INTO audit_entries (seq, at, user_id, roles, action, guest_id, request_id, prev_hash, hash)
                 VALUES ({seq}, '2026-11-01 22:00:00', 'u1', 'coordinator', 'guest.read', 'g1', 'r{seq}', '{prev_hash}', '{}')",
                e.hash
            );
            let head = format!("UPDATE audit_head SET seq = {seq}, hash = '{}'", e.hash);
            for statement in [insert, head] {
                match &mut **conn {
                    DbConnection::Sqlite(c) => diesel::sql_query(statement).execute(c),
                    DbConnection::Postgres(c) => diesel::sql_query(statement).execute(c),
                }
                .unwrap();
            }
            prev_hash = e.hash;
        }
        assert_eq!(db::run_migrations(&mut conn).unwrap(), reverted.len());
        let found = audit::verify(&mut conn).unwrap();
        assert_eq!((found.entries, found.problems.clone()), (3, vec![]), "{found:?}");
        // New acts go to the new chains, after the old entries in `seq`.
        let who = Who::system("upgrade-test");
        db::write_tx(&mut conn, |c| audit::record(c, &who, "guest.read", &Target::guest("g1"), at)).unwrap();
        let found = audit::verify(&mut conn).unwrap();
        assert_eq!((found.entries, found.problems), (4, vec![]));
        let page = audit::query(&mut conn, &audit::Filter::default(), 10).unwrap();
        assert_eq!(page[0].seq, 4);
        assert_eq!((page[0].chain, page[0].link), (audit::chain_of(&who), 1));
        assert!(page[0].chain >= 1);
    }
}

#[test]
fn both_backends_have_the_same_migration_versions() {
    let names = |dir: &str| {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let sqlite = names(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"));
    let postgres = names(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"));
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, postgres);
}

#[derive(QueryableByName, Debug)]
struct Pragma {
    #[diesel(sql_type = Text)]
    value: String,
}

fn pragma(conn: &mut DbConnection, name: &str) -> String {
    match conn {
        DbConnection::Sqlite(c) => {
            let rows: Vec<Pragma> = diesel::sql_query(format!(
                "SELECT CAST((SELECT * FROM pragma_{name}) AS TEXT) AS value"
            ))
            .load(c)
            .expect("pragma");
            rows.into_iter().next().map(|p| p.value).unwrap_or_default()
        }
        DbConnection::Postgres(_) => unreachable!("SQLite only"),
    }
}

#[test]
fn sqlite_runs_as_a_server_database() {
    let (_db, url) = TestDb::new(Backend::Sqlite);
    let pool = db::build_pool(&url, 2);
    let mut conn = pool.get().expect("connection");
    assert_eq!(pragma(&mut conn, "journal_mode"), "wal");
    assert_eq!(pragma(&mut conn, "foreign_keys"), "1");
    assert_eq!(pragma(&mut conn, "busy_timeout"), "10000");
    assert_eq!(pragma(&mut conn, "synchronous"), "1", "NORMAL");
    // A write transaction holds the write lock from its start: a second
    // IMMEDIATE transaction cannot begin until it ends.
    db::run_migrations(&mut conn).unwrap();
    let mut other = pool.get().expect("second connection");
    if let DbConnection::Sqlite(c) = &mut **other {
        diesel::sql_query("PRAGMA busy_timeout = 0")
            .execute(c)
            .unwrap();
    }
    db::write_tx(&mut conn, |_| {
        let blocked = db::write_tx(&mut other, |_| Ok::<_, diesel::result::Error>(()));
        assert!(blocked.is_err(), "a second writer must wait");
        Ok::<_, diesel::result::Error>(())
    })
    .unwrap();
    if let DbConnection::Sqlite(c) = &mut **other {
        diesel::sql_query("PRAGMA busy_timeout = 10000")
            .execute(c)
            .unwrap();
    }
    db::write_tx(&mut other, |_| Ok::<_, diesel::result::Error>(())).unwrap();
}

#[derive(QueryableByName, Debug)]
struct PlanLine {
    #[diesel(sql_type = Text)]
    detail: String,
}

/// The queries an intake makes, as the service writes them, must be index
/// searches: an intake reads the guest's own history and the night's
/// places, never the archive.
#[test]
fn intake_queries_search_indexes_and_never_scan_the_archive() {
    let (_db, url) = TestDb::new(Backend::Sqlite);
    let pool = db::build_pool(&url, 1);
    let mut conn = pool.get().expect("connection");
    db::run_migrations(&mut conn).unwrap();
    let queries = [
        // free places of a shelter on the nights of a stay, tonight lapsed
        "SELECT places.id FROM places WHERE places.category IN ('regular') AND NOT EXISTS (SELECT 1 FROM place_outages WHERE place_outages.place_id = places.id AND place_outages.first_night <= '2019-12-05' AND place_outages.last_night >= '2019-12-01') AND places.shelter_id = 'x' AND NOT EXISTS (SELECT 1 FROM bookings WHERE bookings.place_id = places.id AND bookings.held AND bookings.night BETWEEN '2019-12-01' AND '2019-12-05' AND (bookings.night <> '2019-12-01' OR bookings.kind <> 'stay' OR bookings.checked_in_at IS NOT NULL OR bookings.created_at >= '2019-12-01 22:00:00'))",
        // the guest's held nights
        "SELECT id FROM bookings WHERE bookings.guest_id = 'g' AND bookings.held AND bookings.night BETWEEN '2019-12-01' AND '2019-12-07'",
        // the guest's latest stay
        "SELECT id FROM stays WHERE stays.guest_id = 'g' AND stays.status <> 'voided' ORDER BY stays.first_night DESC LIMIT 1",
        // its nights
        "SELECT id FROM bookings WHERE bookings.stay_id = 's' ORDER BY bookings.night",
        // the guest's bans
        "SELECT id FROM bans WHERE bans.guest_id = 'g' AND bans.last_night >= '2019-12-01'",
        // releasing a lapsed reservation
        "UPDATE bookings SET held = 0 WHERE bookings.night = '2019-12-01' AND bookings.held AND bookings.kind = 'stay' AND bookings.checked_in_at IS NULL AND bookings.created_at < 'x' AND bookings.place_id = 'p'",
        // duplicate candidates at registration
        "SELECT guests.id, guests.name_key FROM guests WHERE guests.birth_year IN (1979, 1980, 1981) AND guests.given_block = 'ma'",
        "SELECT guests.id, guests.name_key FROM guests WHERE guests.birth_year IN (1979, 1980, 1981) AND guests.family_block = 'po' AND guests.given_block <> 'ma'",
        // the kept counts of a night
        "SELECT held_counts.shelter_id FROM held_counts WHERE held_counts.night = '2019-12-01' AND held_counts.category IN ('regular', 'women')",
        // tonight's reservations made after the cutoff
        "SELECT bookings.shelter_id, places.category FROM bookings INNER JOIN places ON places.id = bookings.place_id WHERE bookings.night = '2019-12-01' AND bookings.held AND bookings.checked_in_at IS NULL AND bookings.created_at >= '2019-12-01 22:00:00' AND bookings.kind = 'stay' AND places.category IN ('regular', 'women')",
    ];
    // Where more than one index would do, the one meant.
    let meant = [
        ("guests.given_block = 'ma'", "guests_given_block"),
        ("guests.family_block = 'po'", "guests_family_block"),
        ("INNER JOIN places", "bookings_unconfirmed"),
    ];
    for q in queries {
        let plan: Vec<PlanLine> = match &mut **conn {
            DbConnection::Sqlite(c) => diesel::sql_query(format!("EXPLAIN QUERY PLAN {q}"))
                .load(c)
                .unwrap(),
            DbConnection::Postgres(_) => unreachable!(),
        };
        let text: Vec<&str> = plan.iter().map(|l| l.detail.as_str()).collect();
        assert!(
            text.iter().all(|l| !l.starts_with("SCAN bookings")
                && !l.starts_with("SCAN stays")
                && !l.starts_with("SCAN bans")
                && !l.starts_with("SCAN guests")
                && !l.starts_with("SCAN held_counts")),
            "{q}\n{text:?}"
        );
        for (part, index) in meant {
            if q.contains(part) {
                assert!(text.iter().any(|l| l.contains(index)), "{q}\n{text:?}");
            }
        }
        assert!(
            text.iter()
                .any(|l| l.contains("USING INDEX") || l.contains("USING COVERING INDEX")),
            "{q}\n{text:?}"
        );
    }
}

backend_tests! {
    async fn instances_started_together_on_an_empty_database_all_start(b: Backend) {
        // deploy/compose.yaml and deploy/k8s start two instances at once
        // after the migration: both make the partnership and the first
        // admin when none exist. Whichever commits second must find what
        // the first made, not stop on the unique constraint.
        for _round in 0..3 {
            let (_db, url) = TestDb::new(b);
            let mut settings = nattplats::config::Settings::for_database(url);
            settings.bootstrap_admin = Some(nattplats::config::BootstrapAdmin {
                username: ADMIN.to_owned(),
                password: secrecy::SecretString::from(ADMIN_PASSWORD.to_owned()),
            });
            let mut conn = db::build_pool(&settings.database, 1).get().unwrap();
            db::run_migrations(&mut conn).unwrap();
            drop(conn);
            let barrier = std::sync::Arc::new(std::sync::Barrier::new(3));
            let handles: Vec<_> = (0..3)
                .map(|_| {
                    let settings = settings.clone();
                    let barrier = barrier.clone();
                    std::thread::spawn(move || {
                        barrier.wait();
                        nattplats::startup::prepare(&settings).map(|_| ()).map_err(|e| e.to_string())
                    })
                })
                .collect();
            for h in handles {
                h.join().unwrap().unwrap();
            }
        }
    }
}
