//! What an early end, a no-show ending and a void release is one rule,
//! `rules::stay::Release::releases`; the storage applies it as one update
//! (`db::stays::release`). The update takes exactly the nights the rule
//! takes, and nothing of another stay, on random stays, on both backends.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use nattplats::db::schema::{bookings, stays};
use nattplats::db::stays::{BookingRow, StayRow};
use nattplats::db::{self, DbConnection};
use nattplats::rules::Night;
use nattplats::rules::stay::Release;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use crate::world::*;

fn day(offset: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2021, 1, 10).unwrap() + Duration::days(offset)
}

fn evening(offset: i64) -> NaiveDateTime {
    day(offset).and_hms_opt(17, 0, 0).unwrap()
}

/// A stay: its first night and, per night, whether the guest checked in.
#[derive(Debug, Clone)]
struct RandomStay {
    first: i64,
    checked_in: Vec<bool>,
}

fn random_stay() -> impl Strategy<Value = RandomStay> {
    (0i64..4, prop::collection::vec(any::<bool>(), 1..=7))
        .prop_map(|(first, checked_in)| RandomStay { first, checked_in })
}

fn random_release() -> impl Strategy<Value = Release> {
    prop_oneof![
        (0i64..12).prop_map(|n| Release::early_end(Night::new(day(n)))),
        (0i64..12).prop_map(|n| Release::no_show_end(Night::new(day(n)))),
        Just(Release::void()),
    ]
}

fn write(
    conn: &mut DbConnection,
    places: &[(String, String)],
    guests: &[String],
    history: &[RandomStay],
) -> Vec<(nattplats::ids::StayId, Vec<BookingRow>)> {
    db::write_tx(conn, |c| {
        diesel::delete(bookings::table).execute(c)?;
        diesel::delete(stays::table).execute(c)?;
        let mut written = Vec::new();
        for (k, s) in history.iter().enumerate() {
            let (place, shelter) = &places[k];
            let stay = StayRow {
                id: nattplats::ids::StayId::new(),
                guest_id: nattplats::ids::GuestId::stored(guests[k].clone()),
                shelter_id: nattplats::ids::ShelterId::stored(shelter.clone()),
                category: "regular".into(),
                status: nattplats::ids::StayStatus::Active,
                first_night: day(s.first),
                nights: s.checked_in.len() as i32,
                quarantine_nights: 2,
                no_show_limit: 2,
                end_reason: None,
                ended_at: None,
                void_reason: None,
                voided_at: None,
                created_at: evening(s.first - 1),
                created_by: "test".into(),
            };
            let rows: Vec<BookingRow> = s
                .checked_in
                .iter()
                .enumerate()
                .map(|(i, checked_in)| BookingRow {
                    id: format!("b{k}-{i}"),
                    guest_id: nattplats::ids::GuestId::stored(guests[k].clone()),
                    place_id: nattplats::ids::PlaceId::stored(place.clone()),
                    shelter_id: nattplats::ids::ShelterId::stored(shelter.clone()),
                    night: day(s.first + i as i64),
                    kind: nattplats::ids::BookingKind::Stay,
                    stay_id: Some(stay.id.clone()),
                    released: false,
                    held: true,
                    checked_in_at: checked_in.then(|| evening(s.first + i as i64)),
                    created_at: evening(s.first - 1),
                    no_show_end: None,
                })
                .collect();
            nattplats::db::stays::insert_stay(c, &stay, &rows)?;
            written.push((stay.id, rows));
        }
        Ok::<_, diesel::result::Error>(written)
    })
    .unwrap()
}

fn check(
    conn: &mut DbConnection,
    written: &[(nattplats::ids::StayId, Vec<BookingRow>)],
    release: &Release,
) -> Result<(), TestCaseError> {
    let (released_stay, _) = &written[0];
    db::write_tx(conn, |c| {
        nattplats::db::stays::release(c, released_stay, release).map(drop)
    })
    .unwrap();
    for (stay_id, rows) in written {
        for row in rows {
            let (released, held): (bool, bool) = bookings::table
                .find(&row.id)
                .select((bookings::released, bookings::held))
                .first(conn)
                .unwrap();
            let pure = stay_id == released_stay
                && release.releases(Night::new(row.night), row.checked_in_at.is_some());
            prop_assert_eq!(
                released,
                pure,
                "night {} of {} stay, checked in {}, by {:?}",
                row.night,
                if stay_id == released_stay {
                    "the"
                } else {
                    "another"
                },
                row.checked_in_at.is_some(),
                release
            );
            prop_assert_eq!(held, !pure, "held follows released on {}", row.night);
        }
    }
    Ok(())
}

backend_tests! {
    async fn what_an_end_releases_is_what_the_rule_releases(b: Backend) {
        let w = world_with(b, &[("R1", "regular")], &[("R1", "regular")]).await;
        let places = vec![(w.a.place("R1"), w.a.id.clone()), (w.b.place("R1"), w.b.id.clone())];
        let guests = vec![w.man().await, w.man().await];
        let conn = std::cell::RefCell::new(w.app.conn());
        let strategy = ((random_stay(), random_stay()), random_release());
        let mut runner = TestRunner::new(Config { cases: 64, failure_persistence: None, ..Config::default() });
        runner
            .run(&strategy, |((one, other), release)| {
                let mut conn = conn.borrow_mut();
                let written = write(&mut conn, &places, &guests, &[one, other]);
                check(&mut conn, &written, &release)
            })
            .unwrap();
    }
}
