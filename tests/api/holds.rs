//! One definition of what holds a place (`rules::checkin::holds`): the
//! queries of the storage layer that filter on it for speed give the same
//! answer as the pure function, on random histories, on both backends.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use diesel::prelude::*;
use nattplats::db::schema::{bookings, stays};
use nattplats::db::stays::{BookingRow, StayRow};
use nattplats::db::{self, DbConnection};
use nattplats::rules::Night;
use nattplats::rules::checkin::{self, Now};
use nattplats::service::occupancy::Shared;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use crate::helpers::{Backend, postgres_enabled};
use crate::world::*;

const FIRST: (i32, u32, u32) = (2021, 1, 10);

fn day(offset: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(FIRST.0, FIRST.1, FIRST.2).unwrap() + Duration::days(offset)
}

/// 18:00 local (17:00 UTC) on the evening of `offset`, plus `hours`.
fn evening(offset: i64, hours: i64) -> NaiveDateTime {
    day(offset).and_hms_opt(17, 0, 0).unwrap() + Duration::hours(hours)
}

#[derive(Debug, Clone)]
struct RandomStay {
    guest: usize,
    place: usize,
    first: i64,
    length: i64,
    /// Per night: checked in, and whether the flag still says held.
    nights: Vec<(bool, bool)>,
    /// Hours after the first evening the stay was made.
    made: i64,
    /// Nights after the first night its no-show ending begins, if any.
    ending: Option<i64>,
    placement: bool,
}

fn random_stay(guests: usize, places: usize) -> impl Strategy<Value = RandomStay> {
    (
        0..guests,
        0..places,
        0i64..8,
        1i64..=5,
        prop::collection::vec((any::<bool>(), prop::bool::weighted(0.85)), 5),
        -30i64..12,
        prop::option::of(1i64..7),
        prop::bool::weighted(0.2),
    )
        .prop_map(
            |(guest, place, first, length, nights, made, ending, placement)| RandomStay {
                guest,
                place,
                first,
                length: if placement { 1 } else { length },
                nights,
                made,
                ending,
                placement,
            },
        )
}

/// Now: on the evening of `night` plus `hours` (0..18, past the 23:00 cutoff from 5 on).
fn now_at(night: i64, hours: i64) -> Now {
    let n = Night::new(day(night));
    Now {
        instant: Utc.from_utc_datetime(&evening(night, hours)),
        night: n,
        cutoff: Utc.from_utc_datetime(&(day(night).and_hms_opt(22, 0, 0).unwrap())),
    }
}

struct Places {
    /// (id, shelter id, category)
    all: Vec<(String, String, String)>,
}

/// Writes the history: every booking whose place or guest is already held
/// that night is written as no longer held, as the unique indexes demand.
fn write(
    conn: &mut DbConnection,
    places: &Places,
    guests: &[String],
    history: &[RandomStay],
) -> Vec<BookingRow> {
    db::write_tx(conn, |c| {
        diesel::delete(bookings::table).execute(c)?;
        diesel::delete(stays::table).execute(c)?;
        let mut place_nights = BTreeSet::new();
        let mut guest_nights = BTreeSet::new();
        let mut written = Vec::new();
        for (k, s) in history.iter().enumerate() {
            let (place, shelter, category) = &places.all[s.place];
            let made = evening(s.first, s.made);
            let stay_id = uuid::Uuid::new_v4().to_string();
            let rows: Vec<BookingRow> = (0..s.length)
                .map(|i| {
                    let night = day(s.first + i);
                    let (checked_in, flag) = s.nights[i as usize];
                    let held = flag
                        && place_nights.insert((s.place, night))
                        && guest_nights.insert((s.guest, night));
                    BookingRow {
                        id: format!("b{k}-{i}"),
                        guest_id: nattplats::ids::GuestId::stored(guests[s.guest].clone()),
                        place_id: nattplats::ids::PlaceId::stored(place.clone()),
                        shelter_id: nattplats::ids::ShelterId::stored(shelter.clone()),
                        night,
                        kind: if s.placement {
                            nattplats::ids::BookingKind::Emergency
                        } else {
                            nattplats::ids::BookingKind::Stay
                        },
                        stay_id: (!s.placement)
                            .then(|| nattplats::ids::StayId::stored(stay_id.clone())),
                        released: !flag,
                        held,
                        checked_in_at: checked_in.then(|| evening(s.first + i, 1)),
                        created_at: made,
                        no_show_end: (!s.placement)
                            .then_some(())
                            .and(s.ending)
                            .map(|e| day(s.first + e)),
                    }
                })
                .collect();
            if s.placement {
                for r in &rows {
                    nattplats::db::stays::insert_booking(c, r)?;
                }
            } else {
                let stay = StayRow {
                    id: nattplats::ids::StayId::stored(stay_id),
                    guest_id: nattplats::ids::GuestId::stored(guests[s.guest].clone()),
                    shelter_id: nattplats::ids::ShelterId::stored(shelter.clone()),
                    category: category.clone(),
                    status: nattplats::ids::StayStatus::Active,
                    first_night: day(s.first),
                    nights: s.length as i32,
                    quarantine_nights: 2,
                    no_show_limit: 2,
                    end_reason: None,
                    ended_at: None,
                    void_reason: None,
                    voided_at: None,
                    created_at: made,
                    created_by: "test".into(),
                };
                nattplats::db::stays::insert_stay(c, &stay, &rows)?;
            }
            written.extend(rows);
        }
        Ok::<_, diesel::result::Error>(written)
    })
    .unwrap()
}

/// Tonight's lapse, by the rule.
fn lapsed(b: &BookingRow, now: &Now) -> bool {
    checkin::lapsed(
        &checkin::NightFacts {
            night: Night::new(b.night),
            checked_in: b.checked_in_at.is_some(),
            released: b.released,
            created_at: b.created_at.and_utc(),
        },
        now,
    )
}

enum Undo {
    Answer(Vec<String>, BTreeSet<String>),
    Db(diesel::result::Error),
}

impl From<diesel::result::Error> for Undo {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(e)
    }
}

fn check(
    conn: &mut DbConnection,
    places: &Places,
    guests: &[String],
    written: &[BookingRow],
    now: &Now,
) -> Result<(), TestCaseError> {
    let holding: Vec<&BookingRow> = written.iter().filter(|b| b.holds(now)).collect();
    for q in 0..12 {
        for span in [0, 2] {
            let (first, last) = (day(q), day(q + span));
            // Free places over a range of nights.
            let sql: BTreeSet<String> = nattplats::db::stays::free_places(
                conn,
                None,
                &["regular", "women", "overflow"],
                first,
                last,
                now,
            )
            .unwrap()
            .into_iter()
            .map(|p| String::from(p.id))
            .collect();
            let pure: BTreeSet<String> = places
                .all
                .iter()
                .filter(|(id, _, _)| {
                    !holding
                        .iter()
                        .any(|b| &b.place_id == id && b.night >= first && b.night <= last)
                })
                .map(|(id, _, _)| id.clone())
                .collect();
            prop_assert_eq!(&sql, &pure, "free places {}..{} at {:?}", first, last, now);
            // The intake's one-row question: the first of the shelter's
            // list by label, and a named place exactly when it is free.
            let kinds: BTreeSet<(String, String)> = places
                .all
                .iter()
                .map(|(_, s, c)| (s.clone(), c.clone()))
                .collect();
            for (shelter, category) in &kinds {
                let list = nattplats::db::stays::free_places(
                    conn,
                    Some(shelter),
                    &[category],
                    first,
                    last,
                    now,
                )
                .unwrap();
                use nattplats::db::stays::Seek;
                let first_free = nattplats::db::stays::first_free_place(
                    conn,
                    shelter,
                    category,
                    Seek::First,
                    first,
                    last,
                    now,
                )
                .unwrap();
                prop_assert_eq!(
                    first_free.as_ref(),
                    list.first(),
                    "first free place {}..{}",
                    first,
                    last
                );
                // From a label on (where the occupancy index says the
                // first free place is): the first of the list from there.
                for from in ["R1", "R2", "R3", "W1", "W2"] {
                    let found = nattplats::db::stays::first_free_place(
                        conn,
                        shelter,
                        category,
                        Seek::From(from),
                        first,
                        last,
                        now,
                    )
                    .unwrap();
                    prop_assert_eq!(
                        found.as_ref(),
                        list.iter().find(|p| p.label.as_str() >= from),
                        "first free place from {} {}..{}",
                        from,
                        first,
                        last
                    );
                }
            }
            for (id, shelter, category) in &places.all {
                let named = nattplats::db::stays::first_free_place(
                    conn,
                    shelter,
                    category,
                    nattplats::db::stays::Seek::Place(id),
                    first,
                    last,
                    now,
                )
                .unwrap();
                prop_assert_eq!(
                    named.is_some(),
                    pure.contains(id),
                    "named place {} {}..{}",
                    id,
                    first,
                    last
                );
            }
            // Each guest's held nights.
            for g in guests {
                let sql: BTreeSet<String> =
                    nattplats::db::stays::guest_held_nights(conn, g, first, last, now)
                        .unwrap()
                        .into_iter()
                        .map(|b| b.id)
                        .collect();
                let pure: BTreeSet<String> = holding
                    .iter()
                    .filter(|b| &b.guest_id == g && b.night >= first && b.night <= last)
                    .map(|b| b.id.clone())
                    .collect();
                prop_assert_eq!(&sql, &pure, "held nights of a guest {}..{}", first, last);
            }
        }
        // The counts, from the kept counts and the corrections.
        let counted = nattplats::db::counts::free_counts(conn, day(q), now, None).unwrap();
        let mut pure: BTreeMap<(String, String), i64> = BTreeMap::new();
        for (id, shelter, category) in &places.all {
            let held = holding
                .iter()
                .any(|b| &b.place_id == id && b.night == day(q));
            *pure.entry((shelter.clone(), category.clone())).or_default() += i64::from(!held);
        }
        for (key, n) in pure {
            prop_assert_eq!(
                counted.get(&key).copied().unwrap_or(0),
                n,
                "free count of {:?} on {}",
                key,
                day(q)
            );
        }
    }
    // What a write would have to clear out of its way: flagged held, but
    // not holding by the rule.
    for (id, _, _) in &places.all {
        let (first, last) = (day(0), day(12));
        // A question, not an act: the transaction is rolled back with the
        // answer as its error.
        let cleared = db::write_tx(conn, |c| -> Result<(), Undo> {
            let ended = nattplats::db::stays::release_idle(c, now, Some(id), None, first, last)?;
            let still: BTreeSet<String> = bookings::table
                .filter(bookings::place_id.eq(id))
                .filter(bookings::held)
                .select(bookings::id)
                .load::<String>(c)?
                .into_iter()
                .collect();
            Err(Undo::Answer(ended, still))
        });
        let (ended, still) = match cleared {
            Err(Undo::Answer(ended, still)) => (ended, still),
            Err(Undo::Db(e)) => return Err(TestCaseError::fail(e.to_string())),
            Ok(()) => unreachable!(),
        };
        let pure_ended: BTreeSet<String> = written
            .iter()
            .filter(|b| &b.place_id == id && b.held && b.kind == nattplats::ids::BookingKind::Stay)
            .filter(|b| {
                checkin::released_by_no_shows(
                    b.no_show_end.map(Night::new),
                    Night::new(b.night),
                    now,
                )
            })
            .filter(|b| !lapsed(b, now))
            .filter_map(|b| b.stay_id.as_ref().map(String::from))
            .collect();
        prop_assert_eq!(
            ended.into_iter().collect::<BTreeSet<_>>(),
            pure_ended,
            "stays to end at a place"
        );
        // After the lapses are let go, every row still flagged either holds
        // or belongs to a stay the caller ends.
        for b in written
            .iter()
            .filter(|b| &b.place_id == id && still.contains(&b.id))
        {
            prop_assert!(
                !(b.kind == nattplats::ids::BookingKind::Stay && lapsed(b, now)),
                "a lapsed reservation left held"
            );
        }
    }
    Ok(())
}

/// The world the random histories are written in: two shelters of
/// regular and women's places, four guests.
async fn random_world(b: Backend) -> (World, Places, Vec<String>) {
    let w = world_with(
        b,
        &[("R1", "regular"), ("R2", "regular"), ("W1", "women")],
        &[("R1", "regular"), ("W1", "women")],
    )
    .await;
    let all = w
        .places_by_category()
        .into_iter()
        .map(|(id, shelter, category)| (id, shelter, category.to_owned()))
        .collect();
    let mut guests = Vec::new();
    for _ in 0..4 {
        guests.push(w.man().await);
    }
    (w, Places { all }, guests)
}

backend_tests! {
    async fn the_queries_of_what_holds_a_place_agree_with_the_rule(b: Backend) {
        let (w, places, guests) = random_world(b).await;
        let conn = std::cell::RefCell::new(w.app.conn());
        // `fold`: the kept counts read from their tables (the log folded
        // into them) or from the log the history's writes appended to.
        let strategy = (prop::collection::vec(random_stay(guests.len(), places.all.len()), 0..10), 0i64..12, 0i64..18, any::<bool>());
        let mut runner = TestRunner::new(Config { cases: 48, failure_persistence: None, ..Config::default() });
        runner
            .run(&strategy, |(history, night, hours, fold)| {
                let mut conn = conn.borrow_mut();
                let written = write(&mut conn, &places, &guests, &history);
                if fold {
                    nattplats::db::summaries::fold(&mut conn).unwrap();
                }
                let summaries = nattplats::db::invariants::check(&mut conn).unwrap().counts_off;
                prop_assert!(summaries.is_empty(), "the summaries differ from the rows: {:?}", summaries);
                check(&mut conn, &places, &guests, &written, &now_at(night, hours))
            })
            .unwrap();
    }
}

/// The occupancy index (`service::occupancy`) after each random history,
/// read from the log of what changed since the history before: per night,
/// the places it finds free are those no booking holds by the rule.
fn check_index(
    conn: &mut DbConnection,
    occupancy: &Shared,
    places: &Places,
    written: &[BookingRow],
    now: &Now,
) -> Result<(), TestCaseError> {
    let ours: BTreeSet<&String> = places.all.iter().map(|(id, _, _)| id).collect();
    for q in 0..12 {
        occupancy
            .catch_up(conn, &[day(q)], std::time::Instant::now())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let view = occupancy
            .lock()
            .view(Night::new(day(q)), now, None, true)
            .expect("the night was just read")
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let index: BTreeSet<String> = view
            .shelters
            .iter()
            .flat_map(|s| s.free_places.iter().flatten())
            .map(|p| p.place_id.clone())
            .filter(|id| ours.contains(id))
            .collect();
        let pure: BTreeSet<String> = places
            .all
            .iter()
            .filter(|(id, _, _)| {
                !written
                    .iter()
                    .any(|b| &b.place_id == id && b.night == day(q) && b.holds(now))
            })
            .map(|(id, _, _)| id.clone())
            .collect();
        prop_assert_eq!(
            &index,
            &pure,
            "free places of the index on {} at {:?}",
            day(q),
            now
        );
        // The counts agree with the list.
        for s in &view.shelters {
            let listed = s.free_places.as_ref().map_or(0, Vec::len);
            let counted = (s.free.regular + s.free.women + s.free.overflow) as usize;
            prop_assert_eq!(listed, counted, "counts of {} on {}", &s.shelter_id, day(q));
        }
    }
    first_free_agrees(conn, occupancy, places, written, now)
}

/// The index's first free place of a stay's nights (where an intake's
/// query starts) is the first by label of those the rule leaves free on
/// every night, at each shelter, category and first night.
fn first_free_agrees(
    conn: &mut DbConnection,
    occupancy: &Shared,
    places: &Places,
    written: &[BookingRow],
    now: &Now,
) -> Result<(), TestCaseError> {
    let ids: Vec<String> = places.all.iter().map(|(id, _, _)| id.clone()).collect();
    let labels = nattplats::db::places::labels(conn, &ids)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let shelters: BTreeSet<&String> = places.all.iter().map(|(_, s, _)| s).collect();
    for shelter in shelters {
        for category in ["regular", "women"] {
            for (start, length) in [(0, 5), (3, 7), (7, 5), (11, 1)] {
                let nights: Vec<NaiveDate> = (start..start + length)
                    .map(day)
                    .filter(|d| *d <= day(11))
                    .collect();
                let index = occupancy.lock().first_free(shelter, category, &nights, now);
                let pure = places
                    .all
                    .iter()
                    .filter(|(id, s, c)| {
                        s == shelter
                            && c == category
                            && !written.iter().any(|b| {
                                &b.place_id == id && nights.contains(&b.night) && b.holds(now)
                            })
                    })
                    .filter_map(|(id, _, _)| labels.get(id).cloned())
                    .min();
                prop_assert_eq!(
                    index,
                    Some(pure),
                    "first free {} place of {} from {} for {} nights at {:?}",
                    category,
                    shelter,
                    day(start),
                    length,
                    now
                );
            }
        }
    }
    Ok(())
}

backend_tests! {
    async fn the_occupancy_index_read_from_the_log_agrees_with_the_rule(b: Backend) {
        let (w, places, guests) = random_world(b).await;
        let conn = std::cell::RefCell::new(w.app.conn());
        // One index for every case: after the first, each history reaches
        // it through the log (the one before deleted, this one written).
        let occupancy = Shared::default();
        let strategy = (prop::collection::vec(random_stay(guests.len(), places.all.len()), 0..10), 0i64..12, 0i64..18);
        let mut runner = TestRunner::new(Config { cases: 48, failure_persistence: None, ..Config::default() });
        runner
            .run(&strategy, |(history, night, hours)| {
                let mut conn = conn.borrow_mut();
                let now = now_at(night, hours);
                // Every night answered at this instant first, so the index
                // patches its kept answers with the history below.
                for q in 0..12 {
                    occupancy
                        .catch_up(&mut conn, &[day(q)], std::time::Instant::now())
                        .map_err(|e| TestCaseError::fail(e.to_string()))?;
                    let _ = occupancy.lock().view(Night::new(day(q)), &now, None, false);
                }
                let written = write(&mut conn, &places, &guests, &history);
                check_index(&mut conn, &occupancy, &places, &written, &now)
            })
            .unwrap();
    }
}

/// PostgreSQL: a transaction that wrote before the index read and commits
/// after a later one is still read (the log is read by visibility in the
/// index's last snapshot, not by `seq`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_occupancy_index_reads_a_transaction_that_commits_late() {
    if !postgres_enabled() {
        return;
    }
    // One place at each shelter: the two writes touch no common row (the
    // kept counts are per shelter).
    let w = world_with(
        Backend::Postgres,
        &[("R1", "regular")],
        &[("R1", "regular")],
    )
    .await;
    let places = Places {
        all: [&w.a, &w.b]
            .iter()
            .map(|s| (s.places[0].1.clone(), s.id.clone(), "regular".to_owned()))
            .collect(),
    };
    let guests = vec![w.man().await, w.man().await];
    let stay = |guest, place| RandomStay {
        guest,
        place,
        first: 0,
        length: 1,
        nights: vec![(false, true); 5],
        made: -5,
        ending: None,
        placement: false,
    };
    let mut conn = w.app.conn();
    write(&mut conn, &places, &guests, &[stay(0, 0), stay(1, 1)]);
    let now = now_at(0, 0);
    let occupancy = Shared::default();
    let free = |conn: &mut DbConnection| -> BTreeSet<String> {
        occupancy
            .catch_up(conn, &[day(0)], std::time::Instant::now())
            .unwrap();
        let view = occupancy
            .lock()
            .view(Night::new(day(0)), &now, None, true)
            .unwrap()
            .unwrap();
        view.shelters
            .iter()
            .filter(|s| s.shelter_id == w.a.id || s.shelter_id == w.b.id)
            .flat_map(|s| s.free_places.iter().flatten())
            .map(|p| p.place_id.clone())
            .collect()
    };
    assert!(free(&mut conn).is_empty(), "both places held");
    let release = |c: &mut DbConnection, place: &str| {
        diesel::update(bookings::table.filter(bookings::place_id.eq(place)))
            .set(bookings::held.eq(false))
            .execute(c)
            .unwrap();
    };
    let (first, second) = (&places.all[0].0, &places.all[1].0);
    // The early one: begun, written, not committed.
    let mut early = w.app.conn();
    diesel::sql_query("BEGIN").execute(&mut **early).unwrap();
    release(&mut early, first);
    assert!(free(&mut conn).is_empty(), "nothing committed yet");
    // The late one commits first.
    release(&mut w.app.conn(), second);
    assert_eq!(free(&mut conn), BTreeSet::from([second.clone()]));
    diesel::sql_query("COMMIT").execute(&mut **early).unwrap();
    assert_eq!(
        free(&mut conn),
        BTreeSet::from([first.clone(), second.clone()]),
        "the transaction that committed late is read"
    );
}

backend_tests! {
    async fn the_occupancy_log_read_long_ago_is_deleted_and_the_index_reads_on(b: Backend) {
        let (w, places, guests) = random_world(b).await;
        let stay = |guest, place, first| RandomStay {
            guest,
            place,
            first,
            length: 2,
            nights: vec![(false, true); 5],
            made: -5,
            ending: None,
            placement: false,
        };
        let mut conn = w.app.conn();
        let now = now_at(0, 0);
        let occupancy = Shared::default();
        let written = write(&mut conn, &places, &guests, &[stay(0, 0, 0)]);
        check_index(&mut conn, &occupancy, &places, &written, &now).unwrap();
        let written = write(&mut conn, &places, &guests, &[stay(1, 1, 0)]);
        check_index(&mut conn, &occupancy, &places, &written, &now).unwrap();
        let one = crate::helpers::number;
        let read = one(&mut conn, "SELECT CAST(MAX(seq) AS BIGINT) AS n FROM occupancy_changes");
        nattplats::service::occupancy::forget(&mut conn, read).unwrap();
        assert_eq!(one(&mut conn, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM occupancy_changes"), 0);
        // What is written after is read from where the index stands.
        let written = write(&mut conn, &places, &guests, &[stay(2, 2, 1), stay(3, 3, 0)]);
        assert!(one(&mut conn, "SELECT CAST(MIN(seq) AS BIGINT) AS n FROM occupancy_changes") > read);
        check_index(&mut conn, &occupancy, &places, &written, &now).unwrap();
    }
}

backend_tests! {
    async fn the_occupancy_log_is_deleted_in_bounded_steps_to_the_end(b: Backend) {
        let w = crate::world::world(b).await;
        let mut conn = w.app.conn();
        // More rows than one step deletes: two and a half steps' worth.
        let rows = 2 * nattplats::db::occupancy::FORGET_AT_ONCE + 5_000;
        let fill = match b {
            Backend::Sqlite => format!(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows}) \
                 INSERT INTO occupancy_changes (night, place_id) SELECT NULL, NULL FROM n"
            ),
            Backend::Postgres => format!(
                "INSERT INTO occupancy_changes (night, place_id) SELECT NULL, NULL FROM generate_series(1, {rows})"
            ),
        };
        diesel::sql_query(fill).execute(&mut **conn).unwrap();
        let one = crate::helpers::number;
        let last = one(&mut conn, "SELECT CAST(MAX(seq) AS BIGINT) AS n FROM occupancy_changes");
        nattplats::service::occupancy::forget(&mut conn, last - 7).unwrap();
        assert_eq!(
            one(&mut conn, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM occupancy_changes"),
            7,
            "every row up to the one named is gone, the newer ones are kept"
        );
    }
}
