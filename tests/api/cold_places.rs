//! Which places a night offers (RULES.md §2, §6) is one rule,
//! `rules::coldnight::offered`: an overflow place only where a cold night
//! has opened it. The storage answers it two ways for speed: the list of
//! free places (`availability` with `places=true`) and the kept counts
//! with their corrections (`places=false`, `db::counts`). Both give the
//! rule's answer on random openings, outages and placements, on both
//! backends.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use diesel::prelude::*;
use nattplats::db::coldnights::{self, ColdNightRow, OpeningRow};
use nattplats::db::places::OutageRow;
use nattplats::db::schema::{bookings, cold_night_openings, cold_nights, place_outages};
use nattplats::db::stays::BookingRow;
use nattplats::db::{self, DbConnection};
use nattplats::rules::checkin::Now;
use nattplats::rules::coldnight;
use nattplats::rules::{Night, PlaceCategory};
use nattplats::service::coordination::{AvailabilityQuestion, availability};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use crate::world::*;

const NIGHTS: i64 = 3;
const OVERFLOW: usize = 3;

fn day(offset: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2021, 1, 10).unwrap() + Duration::days(offset)
}

/// 18:00 local (17:00 UTC) on the evening of `offset`, plus `hours`.
fn evening(offset: i64, hours: i64) -> NaiveDateTime {
    day(offset).and_hms_opt(17, 0, 0).unwrap() + Duration::hours(hours)
}

/// A place: id, shelter, category, and its rank among the shelter's
/// overflow places (the order they are opened in).
#[derive(Debug, Clone)]
struct Place {
    id: String,
    shelter: String,
    category: PlaceCategory,
    rank: usize,
}

#[derive(Debug, Clone)]
struct Case {
    /// Per night and shelter: the overflow places opened, if the night is
    /// a cold night there.
    openings: Vec<Vec<Option<usize>>>,
    /// (place, first night, nights) out of service.
    outages: Vec<(usize, i64, i64)>,
    /// (guest, place, night, checked in): single-night placements.
    held: Vec<(usize, usize, i64, bool)>,
    /// Now: the evening of this night, plus hours.
    now: (i64, i64),
}

fn case(shelters: usize, places: usize, guests: usize) -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(
            prop::collection::vec(prop::option::of(1..=OVERFLOW), shelters),
            NIGHTS as usize,
        ),
        prop::collection::vec((0..places, 0..NIGHTS, 1i64..3), 0..4),
        prop::collection::vec((0..guests, 0..places, 0..NIGHTS, any::<bool>()), 0..10),
        (0..NIGHTS, 0i64..18),
    )
        .prop_map(|(openings, outages, held, now)| Case {
            openings,
            outages,
            held,
            now,
        })
}

fn now_at(night: i64, hours: i64) -> Now {
    Now {
        instant: Utc.from_utc_datetime(&evening(night, hours)),
        night: Night::new(day(night)),
        cutoff: Utc.from_utc_datetime(&(day(night).and_hms_opt(22, 0, 0).unwrap())),
    }
}

/// Writes the case over the last one; a placement on a place or for a
/// guest already held that night is left out, as the unique indexes
/// demand.
fn write(
    conn: &mut DbConnection,
    shelters: &[String],
    places: &[Place],
    guests: &[String],
    c: &Case,
) -> Vec<BookingRow> {
    db::write_tx(conn, |conn| {
        diesel::delete(bookings::table).execute(conn)?;
        diesel::delete(place_outages::table).execute(conn)?;
        diesel::delete(cold_night_openings::table).execute(conn)?;
        diesel::delete(cold_nights::table).execute(conn)?;
        for (q, per_shelter) in c.openings.iter().enumerate() {
            let open: Vec<OpeningRow> = shelters
                .iter()
                .zip(per_shelter)
                .filter_map(|(s, n)| {
                    n.map(|n| OpeningRow {
                        night: day(q as i64),
                        shelter_id: s.clone(),
                        places: n as i32,
                    })
                })
                .collect();
            if !open.is_empty() {
                let row = ColdNightRow {
                    night: day(q as i64),
                    reason: "test".into(),
                    forecast_min_c: None,
                    declared_at: evening(0, -30),
                    declared_by: "test".into(),
                };
                coldnights::save(conn, &row, &open)?;
            }
        }
        for (k, (place, first, n)) in c.outages.iter().enumerate() {
            nattplats::db::places::insert_outage(
                conn,
                &OutageRow {
                    id: format!("outage-{k}"),
                    place_id: places[*place].id.clone(),
                    first_night: day(*first),
                    last_night: day(first + n - 1),
                    reason: "test".into(),
                    created_at: evening(0, -30),
                },
            )?;
        }
        let (mut place_nights, mut guest_nights) = (BTreeSet::new(), BTreeSet::new());
        let mut written = Vec::new();
        for (k, (guest, place, night, checked_in)) in c.held.iter().enumerate() {
            if !place_nights.insert((*place, *night)) || !guest_nights.insert((*guest, *night)) {
                continue;
            }
            let p = &places[*place];
            let row = BookingRow {
                id: format!("b{k}"),
                guest_id: nattplats::ids::GuestId::stored(guests[*guest].clone()),
                place_id: nattplats::ids::PlaceId::stored(p.id.clone()),
                shelter_id: nattplats::ids::ShelterId::stored(p.shelter.clone()),
                night: day(*night),
                kind: if p.category == PlaceCategory::Overflow {
                    nattplats::ids::BookingKind::ColdNight
                } else {
                    nattplats::ids::BookingKind::Emergency
                },
                stay_id: None,
                released: false,
                held: true,
                checked_in_at: checked_in.then(|| evening(*night, 1)),
                created_at: evening(*night, -2),
                no_show_end: None,
            };
            nattplats::db::stays::insert_booking(conn, &row)?;
            written.push(row);
        }
        Ok::<_, diesel::result::Error>(written)
    })
    .unwrap()
}

/// The rule's answer: the free places of night `q`.
fn pure_free(
    places: &[Place],
    shelters: &[String],
    c: &Case,
    held: &[BookingRow],
    now: &Now,
    q: i64,
) -> BTreeSet<String> {
    places
        .iter()
        .filter(|p| {
            let shelter = shelters.iter().position(|s| *s == p.shelter).unwrap();
            let opened = c.openings[q as usize][shelter].is_some_and(|n| p.rank < n);
            let out = c
                .outages
                .iter()
                .any(|(o, first, n)| places[*o].id == p.id && *first <= q && q < first + n);
            let taken = held
                .iter()
                .any(|b| b.place_id == p.id && b.night == day(q) && b.holds(now));
            coldnight::offered(p.category, opened) && !out && !taken
        })
        .map(|p| p.id.clone())
        .collect()
}

fn check(
    conn: &mut DbConnection,
    partnership: &nattplats::db::partnerships::Partnership,
    shelters: &[String],
    places: &[Place],
    c: &Case,
    held: &[BookingRow],
) -> Result<(), TestCaseError> {
    let now = now_at(c.now.0, c.now.1);
    for q in 0..NIGHTS {
        let pure = pure_free(places, shelters, c, held, &now, q);
        let ask = |places: bool| AvailabilityQuestion {
            night: Some(Night::new(day(q))),
            shelter_id: None,
            places,
        };
        let listed: BTreeSet<String> = availability(conn, partnership, &ask(true), now.instant)
            .unwrap()
            .shelters
            .into_iter()
            .flat_map(|s| s.free_places.unwrap_or_default())
            .map(|p| p.place_id)
            .collect();
        prop_assert_eq!(&listed, &pure, "the free places listed on {}", day(q));
        let counted = availability(conn, partnership, &ask(false), now.instant).unwrap();
        let mut pure_counts: BTreeMap<(String, PlaceCategory), u32> = BTreeMap::new();
        for p in places.iter().filter(|p| pure.contains(&p.id)) {
            *pure_counts
                .entry((p.shelter.clone(), p.category))
                .or_default() += 1;
        }
        for s in &counted.shelters {
            for (category, n) in [
                (PlaceCategory::Regular, s.free.regular),
                (PlaceCategory::Women, s.free.women),
                (PlaceCategory::Overflow, s.free.overflow),
            ] {
                let want = pure_counts
                    .get(&(s.shelter_id.clone(), category))
                    .copied()
                    .unwrap_or(0);
                prop_assert_eq!(
                    n,
                    want,
                    "free {} places counted at {} on {}",
                    category,
                    s.shelter_id,
                    day(q)
                );
            }
        }
    }
    Ok(())
}

backend_tests! {
    async fn the_places_a_night_offers_agree_with_the_rule_in_lists_and_counts(b: Backend) {
        let w = world_with(b, &[("R1", "regular"), ("W1", "women")], &[("R1", "regular")]).await;
        let shelters = vec![w.a.id.clone(), w.b.id.clone()];
        let mut guests = Vec::new();
        for _ in 0..4 {
            guests.push(w.man().await);
        }
        let mut conn = w.app.conn();
        let partnership = nattplats::db::partnerships::load(&mut conn).unwrap().unwrap();
        let mut places = Vec::new();
        for s in [&w.a, &w.b] {
            for (label, id) in &s.places {
                let category = if label.starts_with('W') { PlaceCategory::Women } else { PlaceCategory::Regular };
                places.push(Place { id: id.clone(), shelter: s.id.clone(), category, rank: 0 });
            }
            let overflow = coldnights::ensure_overflow_places(&mut conn, &s.id, OVERFLOW, evening(0, -30)).unwrap();
            for (rank, p) in overflow.into_iter().enumerate() {
                places.push(Place { id: p.id.into(), shelter: s.id.clone(), category: PlaceCategory::Overflow, rank });
            }
        }
        let conn = std::cell::RefCell::new(conn);
        let mut runner = TestRunner::new(Config { cases: 40, failure_persistence: None, ..Config::default() });
        runner
            .run(&case(shelters.len(), places.len(), guests.len()), |c| {
                let mut conn = conn.borrow_mut();
                let held = write(&mut conn, &shelters, &places, &guests, &c);
                check(&mut conn, &partnership, &shelters, &places, &c, &held)
            })
            .unwrap();
    }
}
