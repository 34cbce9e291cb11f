//! Many desks at once: the database keeps one guest per place per night
//! and one place per guest per night, whatever the timing.

use std::collections::HashSet;

use diesel::prelude::*;
use futures_util::future::join_all;
use nattplats::db::DbConnection;
use nattplats::db::schema::{bookings, stays};
use nattplats::db::stays::BookingRow;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;
use crate::world::*;

/// Every held night, checked for double bookings.
pub fn assert_no_double_booking(conn: &mut DbConnection) -> usize {
    let held: Vec<BookingRow> = bookings::table
        .filter(bookings::held.eq(true))
        .select(BookingRow::as_select())
        .load(conn)
        .unwrap();
    let mut places = HashSet::new();
    let mut guests = HashSet::new();
    for b in &held {
        assert!(
            places.insert((b.place_id.clone(), b.night)),
            "place {} twice on {}",
            b.place_id,
            b.night
        );
        assert!(
            guests.insert((b.guest_id.clone(), b.night)),
            "guest {} twice on {}",
            b.guest_id,
            b.night
        );
    }
    held.len()
}

backend_tests! {
    async fn sixty_four_desks_race_for_the_last_ten_places(b: Backend) {
        let labels: Vec<String> = (1..=10).map(|i| format!("R{i:02}")).collect();
        let places: Vec<(&str, &str)> = labels.iter().map(|l| (l.as_str(), "regular")).collect();
        let w = world_with(b, &places, &[]).await;
        let mut guests = Vec::new();
        for _ in 0..64 {
            guests.push(w.man().await);
        }
        let requests = guests.iter().map(|g| w.request_stay(&w.coordinator, json!({"guest_id": g, "shelter_id": w.a.id})));
        let responses = join_all(requests).await;
        let mut granted = 0;
        for res in responses {
            match res.status() {
                StatusCode::CREATED => granted += 1,
                _ => {
                    assert_problem(res, 409, "no-free-place").await;
                }
            }
        }
        assert_eq!(granted, 10);
        let mut conn = w.app.conn();
        let n: i64 = stays::table.filter(stays::status.eq("active")).count().get_result(&mut *conn).unwrap();
        assert_eq!(n, 10);
        assert_eq!(assert_no_double_booking(&mut conn), 50);
    }

    async fn one_guest_at_two_shelters_at_once_gets_one_stay(b: Backend) {
        let w = world(b).await;
        for _ in 0..5 {
            let g = w.man().await;
            let requests = [&w.a.id, &w.b.id, &w.a.id, &w.b.id]
                .into_iter()
                .map(|s| w.request_stay(&w.coordinator, json!({"guest_id": g, "shelter_id": s})));
            let responses = join_all(requests).await;
            let mut granted = 0;
            for res in responses {
                if res.status() == StatusCode::CREATED {
                    granted += 1;
                } else {
                    assert_problem(res, 409, "already-has-stay").await;
                }
            }
            assert_eq!(granted, 1);
            let mut conn = w.app.conn();
            let n: i64 = stays::table.filter(stays::guest_id.eq(&g)).count().get_result(&mut *conn).unwrap();
            assert_eq!(n, 1);
            // Free the places for the next round.
            let id: String = stays::table.filter(stays::guest_id.eq(&g)).select(stays::id).first(&mut *conn).unwrap();
            drop(conn);
            let res = w.act(&id, "void", json!({"reason": "test round over"})).await;
            assert_eq!(res.status(), StatusCode::OK);
        }
        assert_no_double_booking(&mut w.app.conn());
    }

    async fn the_database_itself_refuses_a_double_booking(b: Backend) {
        // The invariants are constraints, not only code: write around the
        // service and the database still says no.
        let w = world(b).await;
        let s = w.stay(json!({"guest_id": w.man().await, "shelter_id": w.a.id})).await;
        let mut conn = w.app.conn();
        let first: BookingRow = bookings::table
            .filter(bookings::stay_id.eq(s["id"].as_str().unwrap()))
            .order(bookings::night.asc())
            .select(BookingRow::as_select())
            .first(&mut *conn)
            .unwrap();
        let other_guest = {
            drop(conn);
            let g = w.man().await;
            conn = w.app.conn();
            g
        };
        let same_place = BookingRow { id: uuid::Uuid::new_v4().to_string(), guest_id: other_guest, stay_id: None, kind: "emergency".into(), ..first.clone() };
        let e = diesel::insert_into(bookings::table).values(&same_place).execute(&mut *conn).unwrap_err();
        assert!(nattplats::db::is_unique_violation(&e), "{e}");
        let same_guest = BookingRow { id: uuid::Uuid::new_v4().to_string(), place_id: w.a.place("R2"), stay_id: None, kind: "emergency".into(), ..first.clone() };
        let e = diesel::insert_into(bookings::table).values(&same_guest).execute(&mut *conn).unwrap_err();
        assert!(nattplats::db::is_unique_violation(&e), "{e}");
        // A row that no longer holds its place does not block.
        let released = BookingRow { held: false, released: true, ..same_place };
        diesel::insert_into(bookings::table).values(&released).execute(&mut *conn).unwrap();
    }

    async fn the_invariant_check_finds_a_stay_inside_the_karenstid_and_a_short_one(b: Backend) {
        // The check the load tool and the crash tests end with must see
        // what the constraints cannot.
        let w = world(b).await;
        let g = w.man().await;
        let s = w.stay(json!({"guest_id": g, "shelter_id": w.a.id})).await;
        let mut conn = w.app.conn();
        let report = nattplats::db::invariants::check(&mut conn).unwrap();
        assert!(report.holds(), "{report:?}");
        assert_eq!((report.stays, report.held_nights), (1, 5));
        // A second stay for the same guest the night after the first ends:
        // inside the two nights of karenstid.
        let first: nattplats::db::stays::StayRow = stays::table.find(s["id"].as_str().unwrap()).select(nattplats::db::stays::StayRow::as_select()).first(&mut *conn).unwrap();
        let start = first.first_night + chrono::Duration::days(5);
        let again = nattplats::db::stays::StayRow { id: uuid::Uuid::new_v4().to_string(), first_night: start, ..first.clone() };
        let nights: Vec<BookingRow> = (0..5).map(|k| BookingRow {
            id: uuid::Uuid::new_v4().to_string(), guest_id: g.clone(), place_id: w.a.place("R2"), shelter_id: w.a.id.clone(),
            night: start + chrono::Duration::days(k), kind: "stay".into(), stay_id: Some(again.id.clone()),
            released: false, held: true, checked_in_at: None, created_at: first.created_at, no_show_end: None,
        }).collect();
        nattplats::db::stays::insert_stay(&mut conn, &again, &nights).unwrap();
        let report = nattplats::db::invariants::check(&mut conn).unwrap();
        assert!(!report.holds());
        assert_eq!(report.stays_inside_karenstid.len(), 1, "{report:?}");
        assert!(report.stays_of_wrong_length.is_empty());
        // One night of it gone: a stay shorter than L.
        diesel::delete(bookings::table.filter(bookings::id.eq(&nights[4].id))).execute(&mut *conn).unwrap();
        let report = nattplats::db::invariants::check(&mut conn).unwrap();
        assert_eq!(report.stays_of_wrong_length.len(), 1, "{report:?}");
        assert!(report.counts_off.is_empty(), "the triggers kept the counts: {report:?}");
        // A kept count that no longer matches its rows.
        diesel::sql_query("UPDATE held_counts SET held = held + 1").execute(&mut *conn).unwrap();
        let report = nattplats::db::invariants::check(&mut conn).unwrap();
        assert!(!report.counts_off.is_empty(), "{report:?}");
        assert!(!report.holds());
    }
}
