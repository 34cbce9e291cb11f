//! The lean ceiling (issue 18): the same logical work as a granted intake
//! on a lean schema, measured beside the service in one run, so the
//! service's rate is a ratio and not a figure of one machine.
//!
//! Per intake, in one transaction: five indexed reads (the guest, their
//! bans, their latest stay, the first free place of the shelter by label
//! for all the stay's nights, the head of an audit chain), then the stay,
//! its nights in one statement, a hash-chained audit row and the chain's
//! new head. Integer keys, bookings keyed night first with two more
//! indexes, every statement prepared once per connection
//! ([`nattplats::db::prepared`]), no triggers, no savepoints.
//!
//! - SQLite: one writer, on a file of its own beside the service's (the
//!   service's database is not touched), with the service's pragmas.
//! - PostgreSQL: as many clients as desks, in a schema of its own
//!   (`nattplats_lean`, dropped first); each locks the place it takes as
//!   it reads it and passes over places other clients have locked, as the
//!   service's intake does; one that still chose a place another took
//!   meanwhile meets the key and does its intake again.
//!
//! The world is the service's: its regular places (shelters and labels),
//! its number of guests and of booked nights, copied as integers.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Binary, Integer, Text};
use sha2::{Digest, Sha256};

use nattplats::config::DatabaseUrl;
use nattplats::db::prepared::prepared;

/// What one lean run wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Lean {
    pub intakes_per_second: f64,
    pub intakes: u64,
    pub retried: u64,
    pub writers: usize,
    pub places: usize,
    pub shelters: usize,
    pub guests: i64,
    pub history_nights: i64,
    pub seconds: f64,
}

/// The world to copy.
pub struct World {
    /// (shelter, label) of every regular place, shelters numbered from 0.
    pub places: Vec<(i64, String)>,
    pub guests: i64,
    pub booked_nights: i64,
    /// Nights of a regular stay and karenstid after it.
    pub nights: i64,
    pub quarantine: i64,
}

impl World {
    /// The service's world, read from its database.
    pub fn of_service(
        conn: &mut nattplats::db::DbConnection,
        nights: i64,
        quarantine: i64,
    ) -> anyhow::Result<Self> {
        use nattplats::db::schema::{bookings, guests, places};
        let rows: Vec<(String, String)> = places::table
            .filter(places::category.eq("regular"))
            .order((places::shelter_id, places::label))
            .select((places::shelter_id, places::label))
            .load(conn)?;
        let mut numbers = std::collections::HashMap::new();
        let places = rows
            .into_iter()
            .map(|(shelter, label)| {
                let n = numbers.len() as i64;
                (*numbers.entry(shelter).or_insert(n), label)
            })
            .collect();
        let guests = guests::table.count().get_result(conn)?;
        let booked_nights = bookings::table.count().get_result(conn)?;
        Ok(Self {
            places,
            guests,
            booked_nights,
            nights,
            quarantine,
        })
    }
}

/// The statements, in each backend's placeholders.
struct Sql {
    guest: &'static str,
    bans: &'static str,
    latest: &'static str,
    free_place: &'static str,
    head: &'static str,
    stay: &'static str,
    nights: &'static str,
    audit: &'static str,
    move_head: &'static str,
}

const CHAINS: i64 = 16;

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

impl Sql {
    fn new(postgres: bool, nights: i64) -> Self {
        let values = vec!["(?, ?, ?)"; usize::try_from(nights).unwrap_or(5)].join(", ");
        Self {
            guest: "SELECT id AS n FROM lean_guest WHERE id = ?",
            bans: "SELECT COUNT(*) AS n FROM lean_ban WHERE guest = ? AND first_night <= ? AND last_night >= ?",
            latest: "SELECT first_night + nights + quarantine AS n FROM lean_stay WHERE guest = ? ORDER BY first_night DESC LIMIT 1",
            // On PostgreSQL the place is locked as it is read, passing
            // over places other clients are taking, as the service does.
            free_place: if postgres {
                "SELECT p.id AS n FROM lean_place p WHERE p.shelter = ? AND p.category = 0 AND NOT EXISTS \
                 (SELECT 1 FROM lean_booking b WHERE b.place = p.id AND b.night BETWEEN ? AND ?) \
                 ORDER BY p.label LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED"
            } else {
                "SELECT p.id AS n FROM lean_place p WHERE p.shelter = ? AND p.category = 0 AND NOT EXISTS \
                 (SELECT 1 FROM lean_booking b WHERE b.place = p.id AND b.night BETWEEN ? AND ?) \
                 ORDER BY p.label LIMIT 1"
            },
            head: if postgres {
                "SELECT seq AS n, hash FROM lean_audit_head WHERE chain = ? FOR UPDATE"
            } else {
                "SELECT seq AS n, hash FROM lean_audit_head WHERE chain = ?"
            },
            stay: "INSERT INTO lean_stay (guest, place, first_night, nights, quarantine) VALUES (?, ?, ?, ?, ?) RETURNING id AS n",
            nights: leak(format!(
                "INSERT INTO lean_booking (night, place, stay) VALUES {values}"
            )),
            audit: "INSERT INTO lean_audit (chain, seq, action, target, hash) VALUES (?, ?, ?, ?, ?)",
            move_head: "UPDATE lean_audit_head SET seq = ?, hash = ? WHERE chain = ?",
        }
    }
}

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Head {
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = Binary)]
    hash: Vec<u8>,
}

const SQLITE_SCHEMA: &str = "
CREATE TABLE lean_place (id INTEGER PRIMARY KEY, shelter INTEGER NOT NULL, category INTEGER NOT NULL, label TEXT NOT NULL);
CREATE INDEX lean_place_order ON lean_place (shelter, category, label);
CREATE TABLE lean_guest (id INTEGER PRIMARY KEY, birth_year INTEGER NOT NULL);
CREATE TABLE lean_ban (id INTEGER PRIMARY KEY, guest INTEGER NOT NULL, first_night INTEGER NOT NULL, last_night INTEGER NOT NULL);
CREATE INDEX lean_ban_guest ON lean_ban (guest);
CREATE TABLE lean_stay (id INTEGER PRIMARY KEY, guest INTEGER NOT NULL, place INTEGER NOT NULL, first_night INTEGER NOT NULL, nights INTEGER NOT NULL, quarantine INTEGER NOT NULL);
CREATE INDEX lean_stay_guest ON lean_stay (guest, first_night);
CREATE TABLE lean_booking (night INTEGER NOT NULL, place INTEGER NOT NULL, stay INTEGER NOT NULL, PRIMARY KEY (night, place)) WITHOUT ROWID;
CREATE INDEX lean_booking_place ON lean_booking (place, night);
CREATE INDEX lean_booking_stay ON lean_booking (stay);
CREATE TABLE lean_audit (chain INTEGER NOT NULL, seq INTEGER NOT NULL, action TEXT NOT NULL, target INTEGER NOT NULL, hash BLOB NOT NULL, PRIMARY KEY (chain, seq)) WITHOUT ROWID;
CREATE TABLE lean_audit_head (chain INTEGER PRIMARY KEY, seq INTEGER NOT NULL, hash BLOB NOT NULL);
";

const POSTGRES_SCHEMA: &str = "
DROP SCHEMA IF EXISTS nattplats_lean CASCADE;
CREATE SCHEMA nattplats_lean;
SET search_path TO nattplats_lean;
CREATE TABLE lean_place (id BIGINT PRIMARY KEY, shelter BIGINT NOT NULL, category INTEGER NOT NULL, label TEXT COLLATE \"C\" NOT NULL);
CREATE INDEX lean_place_order ON lean_place (shelter, category, label);
CREATE TABLE lean_guest (id BIGINT PRIMARY KEY, birth_year INTEGER NOT NULL);
CREATE TABLE lean_ban (id BIGSERIAL PRIMARY KEY, guest BIGINT NOT NULL, first_night BIGINT NOT NULL, last_night BIGINT NOT NULL);
CREATE INDEX lean_ban_guest ON lean_ban (guest);
CREATE TABLE lean_stay (id BIGSERIAL PRIMARY KEY, guest BIGINT NOT NULL, place BIGINT NOT NULL, first_night BIGINT NOT NULL, nights BIGINT NOT NULL, quarantine BIGINT NOT NULL);
CREATE INDEX lean_stay_guest ON lean_stay (guest, first_night);
CREATE TABLE lean_booking (night BIGINT NOT NULL, place BIGINT NOT NULL, stay BIGINT NOT NULL, PRIMARY KEY (night, place));
CREATE INDEX lean_booking_place ON lean_booking (place, night);
CREATE INDEX lean_booking_stay ON lean_booking (stay);
CREATE TABLE lean_audit (chain BIGINT NOT NULL, seq BIGINT NOT NULL, action TEXT NOT NULL, target BIGINT NOT NULL, hash BYTEA NOT NULL, PRIMARY KEY (chain, seq));
CREATE TABLE lean_audit_head (chain BIGINT PRIMARY KEY, seq BIGINT NOT NULL, hash BYTEA NOT NULL);
";

/// The nights of the run: far after the history, a day as an integer.
const FIRST_NIGHT: i64 = 100_000;

/// A connection of either backend, with the lean schema in reach.
enum Conn {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

macro_rules! on {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            Conn::Sqlite($c) => $body,
            Conn::Postgres($c) => $body,
        }
    };
}

fn open(target: &Target) -> anyhow::Result<Conn> {
    Ok(match target {
        Target::Sqlite(path) => {
            let mut c = SqliteConnection::establish(path)?;
            c.batch_execute(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000;",
            )?;
            Conn::Sqlite(c)
        }
        Target::Postgres(url) => {
            let mut c = PgConnection::establish(url)?;
            c.batch_execute("SET search_path TO nattplats_lean")?;
            Conn::Postgres(c)
        }
    })
}

enum Target {
    Sqlite(String),
    Postgres(String),
}

/// Writes the lean world, then measures intakes for `seconds`.
pub fn ceiling(
    url: &DatabaseUrl,
    world: &World,
    clients: usize,
    seconds: u64,
) -> anyhow::Result<Lean> {
    let target = match url {
        DatabaseUrl::Sqlite(path) => {
            let lean = format!("{}.lean", path.to_string_lossy());
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{lean}{suffix}"));
            }
            Target::Sqlite(lean)
        }
        DatabaseUrl::Postgres(secret) => {
            use secrecy::ExposeSecret;
            Target::Postgres(secret.expose_secret().to_owned())
        }
    };
    let postgres = matches!(target, Target::Postgres(_));
    anyhow::ensure!(!world.places.is_empty(), "no regular places to copy");
    let sql = Arc::new(Sql::new(postgres, world.nights));
    write_world(&target, world)?;

    // SQLite has one writer; PostgreSQL as many clients as desks.
    let writers = if postgres { clients.max(1) } else { 1 };
    // The shelters in turn (the first place of each, then the second, …),
    // so that writers at once are at different shelters, as desks are.
    let places = {
        let mut rank = std::collections::HashMap::<i64, usize>::new();
        let mut ranked: Vec<(usize, i64)> = world
            .places
            .iter()
            .map(|(shelter, _)| {
                let r = rank.entry(*shelter).or_default();
                *r += 1;
                (*r, *shelter)
            })
            .collect();
        ranked.sort_unstable();
        Arc::new(ranked.into_iter().map(|(_, s)| s).collect::<Vec<_>>())
    };
    let counter = Arc::new(AtomicU64::new(0));
    let retried = Arc::new(AtomicU64::new(0));
    let target = Arc::new(target);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let (guests, nights, quarantine) = (world.guests.max(1), world.nights, world.quarantine);
    let mut threads = Vec::new();
    for _ in 0..writers {
        let (target, sql, places, counter, retried) = (
            target.clone(),
            sql.clone(),
            places.clone(),
            counter.clone(),
            retried.clone(),
        );
        threads.push(std::thread::spawn(move || -> anyhow::Result<u64> {
            let mut conn = open(&target)?;
            let mut done = 0;
            while Instant::now() < deadline {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let total = places.len() as u64;
                // Every place once a week: the shelter of the n-th place,
                // which has a free place that week.
                let shelter = places[(n % total) as usize];
                let first = FIRST_NIGHT + 7 * i64::try_from(n / total)?;
                let guest = 1 + i64::try_from(n)? % guests;
                let act = Act {
                    guest,
                    shelter,
                    first,
                    nights,
                    quarantine,
                };
                loop {
                    match on!(&mut conn, c => intake(c, &sql, &act, postgres)) {
                        Ok(()) => break,
                        Err(diesel::result::Error::DatabaseError(
                            diesel::result::DatabaseErrorKind::UniqueViolation
                            | diesel::result::DatabaseErrorKind::SerializationFailure,
                            _,
                        )) => {
                            retried.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
                done += 1;
            }
            Ok(done)
        }));
    }
    let mut intakes = 0;
    for t in threads {
        intakes += t
            .join()
            .map_err(|_| anyhow::anyhow!("a lean writer panicked"))??;
    }
    let elapsed = started.elapsed().as_secs_f64();
    if let Target::Postgres(_) = &*target {
        let mut conn = open(&target)?;
        on!(&mut conn, c => c.batch_execute("DROP SCHEMA nattplats_lean CASCADE"))?;
    }
    Ok(Lean {
        intakes_per_second: intakes as f64 / elapsed,
        intakes,
        retried: retried.load(Ordering::Relaxed),
        writers,
        places: world.places.len(),
        shelters: places
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        guests: world.guests,
        history_nights: world.booked_nights,
        seconds: elapsed,
    })
}

struct Act {
    guest: i64,
    shelter: i64,
    first: i64,
    nights: i64,
    quarantine: i64,
}

/// One granted intake, as one transaction.
fn intake<C>(conn: &mut C, sql: &Sql, act: &Act, postgres: bool) -> diesel::QueryResult<()>
where
    C: Connection,
    C::Backend: diesel::backend::Backend
        + 'static
        + diesel::sql_types::HasSqlType<BigInt>
        + diesel::sql_types::HasSqlType<Binary>
        + diesel::sql_types::HasSqlType<Text>
        + diesel::sql_types::HasSqlType<Integer>,
    i64: diesel::serialize::ToSql<BigInt, C::Backend>
        + diesel::deserialize::FromSql<BigInt, C::Backend>,
    Vec<u8>: diesel::deserialize::FromSql<Binary, C::Backend>,
    for<'a> &'a [u8]: diesel::serialize::ToSql<Binary, C::Backend>,
    str: diesel::serialize::ToSql<Text, C::Backend>,
    N: QueryableByName<C::Backend>,
    Head: QueryableByName<C::Backend>,
    C: diesel::connection::LoadConnection,
{
    let last = act.first + act.nights - 1;
    conn.batch_execute(if postgres { "BEGIN" } else { "BEGIN IMMEDIATE" })?;
    let result = (|| {
        let guest: Option<N> = prepared(sql.guest)
            .bind::<BigInt, _>(act.guest)
            .get_result(conn)
            .optional()?;
        let Some(guest) = guest else {
            return Err(diesel::result::Error::NotFound);
        };
        let banned: N = prepared(sql.bans)
            .bind::<BigInt, _>(guest.n)
            .bind::<BigInt, _>(last)
            .bind::<BigInt, _>(act.first)
            .get_result(conn)?;
        let latest: Option<N> = prepared(sql.latest)
            .bind::<BigInt, _>(guest.n)
            .get_result(conn)
            .optional()?;
        // The ceiling's guests are never banned and never in karenstid;
        // the reads are made as a rule check would make them.
        if banned.n > 0 || latest.is_some_and(|l| l.n > act.first) {
            return Err(diesel::result::Error::RollbackTransaction);
        }
        let place: N = prepared(sql.free_place)
            .bind::<BigInt, _>(act.shelter)
            .bind::<BigInt, _>(act.first)
            .bind::<BigInt, _>(last)
            .get_result(conn)?;
        let chain = 1 + act.guest % CHAINS;
        let head: Head = prepared(sql.head)
            .bind::<BigInt, _>(chain)
            .get_result(conn)?;
        let stay: N = prepared(sql.stay)
            .bind::<BigInt, _>(guest.n)
            .bind::<BigInt, _>(place.n)
            .bind::<BigInt, _>(act.first)
            .bind::<BigInt, _>(act.nights)
            .bind::<BigInt, _>(act.quarantine)
            .get_result(conn)?;
        let rows: Vec<[i64; 3]> = (0..act.nights)
            .map(|k| [act.first + k, place.n, stay.n])
            .collect();
        insert_nights(conn, sql.nights, &rows)?;
        let hash = Sha256::new()
            .chain_update(&head.hash)
            .chain_update(b"stay.create")
            .chain_update(stay.n.to_be_bytes())
            .finalize()
            .to_vec();
        prepared(sql.audit)
            .bind::<BigInt, _>(chain)
            .bind::<BigInt, _>(head.n + 1)
            .bind::<Text, _>("stay.create")
            .bind::<BigInt, _>(stay.n)
            .bind::<Binary, _>(hash.as_slice())
            .execute(conn)?;
        prepared(sql.move_head)
            .bind::<BigInt, _>(head.n + 1)
            .bind::<Binary, _>(hash.as_slice())
            .bind::<BigInt, _>(chain)
            .execute(conn)?;
        Ok(())
    })();
    match result {
        Ok(()) => conn.batch_execute("COMMIT"),
        Err(e) => {
            conn.batch_execute("ROLLBACK")?;
            Err(e)
        }
    }
}

/// The stay's nights in one statement of fixed text (five nights, or as
/// many as the rule set grants: one text per length).
fn insert_nights<C>(conn: &mut C, sql: &'static str, rows: &[[i64; 3]]) -> diesel::QueryResult<()>
where
    C: Connection,
    C::Backend: diesel::sql_types::HasSqlType<BigInt> + 'static,
    i64: diesel::serialize::ToSql<BigInt, C::Backend>,
{
    /// The binds of any number of rows, in order.
    struct Rows<'r>(&'r [[i64; 3]]);
    impl<DB> nattplats::db::prepared::Binds<DB> for Rows<'_>
    where
        DB: diesel::backend::Backend + diesel::sql_types::HasSqlType<BigInt>,
        i64: diesel::serialize::ToSql<BigInt, DB>,
    {
        fn walk<'b>(
            &'b self,
            out: &mut diesel::query_builder::AstPass<'_, 'b, DB>,
            text: &mut nattplats::db::prepared::Text<'_>,
        ) -> QueryResult<()> {
            for row in self.0 {
                for v in row {
                    text.bind::<DB, BigInt, i64>(out, v)?;
                }
            }
            Ok(())
        }
    }
    nattplats::db::prepared::with_binds(sql, Rows(rows)).execute(conn)?;
    Ok(())
}

/// The lean copy of the service's world: places, guests, and as many
/// booked nights in the past, five a stay.
fn write_world(target: &Target, world: &World) -> anyhow::Result<()> {
    let mut conn = open(target)?;
    let postgres = matches!(target, Target::Postgres(_));
    on!(&mut conn, c => c.batch_execute(if postgres { POSTGRES_SCHEMA } else { SQLITE_SCHEMA }))?;
    let place = "INSERT INTO lean_place (id, shelter, category, label) VALUES (?, ?, 0, ?)";
    let guest = "INSERT INTO lean_guest (id, birth_year) VALUES (?, 1980)";
    let stay = "INSERT INTO lean_stay (id, guest, place, first_night, nights, quarantine) VALUES (?, ?, ?, ?, 5, 2)";
    let night = "INSERT INTO lean_booking (night, place, stay) VALUES (?, ?, ?)";
    let head = "INSERT INTO lean_audit_head (chain, seq, hash) VALUES (?, 0, ?)";
    let total = world.places.len() as i64;
    on!(&mut conn, c => c.transaction(|c| -> diesel::QueryResult<()> {
        for (i, (shelter, label)) in world.places.iter().enumerate() {
            prepared(place)
                .bind::<BigInt, _>(1 + i as i64)
                .bind::<BigInt, _>(*shelter)
                .bind::<Text, _>(label.as_str())
                .execute(c)?;
        }
        if postgres {
            // Written by the server from series: a statement per row takes
            // half an hour at the large size over a connection.
            prepared(
                "INSERT INTO lean_guest (id, birth_year) SELECT g, 1980 FROM generate_series(1, ?) g",
            )
            .bind::<BigInt, _>(world.guests.max(1))
            .execute(c)?;
            prepared(
                "INSERT INTO lean_stay (id, guest, place, first_night, nights, quarantine) \
                 SELECT s + 1, 1 + s % ?, 1 + s % ?, ? - 7 - 5 * (s / ?), 5, 2 \
                 FROM generate_series(0, ? - 1) s",
            )
            .bind::<BigInt, _>(world.guests.max(1))
            .bind::<BigInt, _>(total)
            .bind::<BigInt, _>(FIRST_NIGHT)
            .bind::<BigInt, _>(total)
            .bind::<BigInt, _>(world.booked_nights / 5)
            .execute(c)?;
            prepared(
                "INSERT INTO lean_booking (night, place, stay) \
                 SELECT s.first_night + k, s.place, s.id FROM lean_stay s, generate_series(0, 4) k",
            )
            .execute(c)?;
        } else {
            for g in 1..=world.guests.max(1) {
                prepared(guest).bind::<BigInt, _>(g).execute(c)?;
            }
            // History: stays of five nights back from the run's first
            // night, every place in turn.
            for s in 0..world.booked_nights / 5 {
                let place = 1 + s % total;
                let first = FIRST_NIGHT - 7 - 5 * (s / total);
                let id = 1 + s;
                prepared(stay)
                    .bind::<BigInt, _>(id)
                    .bind::<BigInt, _>(1 + s % world.guests.max(1))
                    .bind::<BigInt, _>(place)
                    .bind::<BigInt, _>(first)
                    .execute(c)?;
                for k in 0..5 {
                    prepared(night)
                        .bind::<BigInt, _>(first + k)
                        .bind::<BigInt, _>(place)
                        .bind::<BigInt, _>(id)
                        .execute(c)?;
                }
            }
        }
        for chain in 1..=CHAINS {
            prepared(head)
                .bind::<BigInt, _>(chain)
                .bind::<Binary, _>(&[0u8; 32][..])
                .execute(c)?;
        }
        Ok(())
    }))?;
    if postgres {
        on!(&mut conn, c => c.batch_execute("SELECT setval('lean_stay_id_seq', (SELECT COALESCE(MAX(id), 0) + 1 FROM lean_stay)); ANALYZE"))?;
    } else {
        on!(&mut conn, c => c.batch_execute("ANALYZE"))?;
    }
    Ok(())
}
