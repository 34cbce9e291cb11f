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

/// A world whose shelter A has `n` regular places, R01, R02, ….
async fn shelter_of(b: Backend, n: usize) -> World {
    let labels: Vec<String> = (1..=n).map(|i| format!("R{i:02}")).collect();
    let places: Vec<(&str, &str)> = labels.iter().map(|l| (l.as_str(), "regular")).collect();
    world_with(b, &places, &[]).await
}

/// `n` new guests.
async fn new_guests(w: &World, n: usize) -> Vec<String> {
    let mut guests = Vec::new();
    for _ in 0..n {
        guests.push(w.man().await);
    }
    guests
}

/// An intake at shelter A for each guest, all sent at once.
fn intakes_at_once<'a>(
    w: &'a World,
    guests: &'a [String],
) -> impl std::future::Future<Output = Vec<reqwest::Response>> + 'a {
    join_all(
        guests
            .iter()
            .map(|g| w.request_stay(&w.coordinator, json!({"guest_id": g, "shelter_id": w.a.id}))),
    )
}

backend_tests! {
    async fn sixty_four_desks_race_for_the_last_ten_places(b: Backend) {
        let w = shelter_of(b, 10).await;
        let guests = new_guests(&w, 64).await;
        let responses = intakes_at_once(&w, &guests).await;
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
        let n: i64 = stays::table.filter(stays::status.eq("active")).count().get_result(&mut **conn).unwrap();
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
            let n: i64 = stays::table.filter(stays::guest_id.eq(&g)).count().get_result(&mut **conn).unwrap();
            assert_eq!(n, 1);
            // Free the places for the next round.
            let id: String = stays::table.filter(stays::guest_id.eq(&g)).select(stays::id).first(&mut **conn).unwrap();
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
            .first(&mut **conn)
            .unwrap();
        let other_guest = {
            drop(conn);
            let g = w.man().await;
            conn = w.app.conn();
            g
        };
        let same_place = BookingRow { id: uuid::Uuid::new_v4().to_string(), guest_id: nattplats::ids::GuestId::stored(other_guest), stay_id: None, kind: nattplats::ids::BookingKind::Emergency, ..first.clone() };
        let e = diesel::insert_into(bookings::table).values(&same_place).execute(&mut **conn).unwrap_err();
        assert!(nattplats::db::is_unique_violation(&e), "{e}");
        let same_guest = BookingRow { id: uuid::Uuid::new_v4().to_string(), place_id: nattplats::ids::PlaceId::stored(w.a.place("R2")), stay_id: None, kind: nattplats::ids::BookingKind::Emergency, ..first.clone() };
        let e = diesel::insert_into(bookings::table).values(&same_guest).execute(&mut **conn).unwrap_err();
        assert!(nattplats::db::is_unique_violation(&e), "{e}");
        // A row that no longer holds its place does not block.
        let released = BookingRow { held: false, released: true, ..same_place };
        diesel::insert_into(bookings::table).values(&released).execute(&mut **conn).unwrap();
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
        let first: nattplats::db::stays::StayRow = stays::table.find(s["id"].as_str().unwrap()).select(nattplats::db::stays::StayRow::as_select()).first(&mut **conn).unwrap();
        let start = first.first_night + chrono::Duration::days(5);
        let again = nattplats::db::stays::StayRow { id: nattplats::ids::StayId::new(), first_night: start, ..first.clone() };
        let nights: Vec<BookingRow> = (0..5).map(|k| BookingRow {
            id: uuid::Uuid::new_v4().to_string(), guest_id: nattplats::ids::GuestId::stored(g.clone()), place_id: nattplats::ids::PlaceId::stored(w.a.place("R2")), shelter_id: nattplats::ids::ShelterId::stored(w.a.id.clone()),
            night: start + chrono::Duration::days(k), kind: nattplats::ids::BookingKind::Stay, stay_id: Some(again.id.clone()),
            released: false, held: true, checked_in_at: None, created_at: first.created_at, no_show_end: None,
        }).collect();
        nattplats::db::stays::insert_stay(&mut conn, &again, &nights).unwrap();
        let report = nattplats::db::invariants::check(&mut conn).unwrap();
        assert!(!report.holds());
        assert_eq!(report.stays_inside_karenstid.len(), 1, "{report:?}");
        assert!(report.stays_of_wrong_length.is_empty());
        // One night of it gone: a stay shorter than L.
        diesel::delete(bookings::table.filter(bookings::id.eq(&nights[4].id))).execute(&mut **conn).unwrap();
        let report = nattplats::db::invariants::check(&mut conn).unwrap();
        assert_eq!(report.stays_of_wrong_length.len(), 1, "{report:?}");
        assert!(report.counts_off.is_empty(), "the triggers kept the counts: {report:?}");
        // A kept count, or a report summary, that no longer matches its
        // rows: in the tables once the log is folded into them.
        assert!(nattplats::db::summaries::fold(&mut conn).unwrap() > 0);
        for (damage, repair) in [
            ("UPDATE held_counts SET held = held + 1", "UPDATE held_counts SET held = held - 1"),
            ("UPDATE report_nights SET occupied = occupied + 1", "UPDATE report_nights SET occupied = occupied - 1"),
            ("UPDATE report_stays SET stays = stays + 1", "UPDATE report_stays SET stays = stays - 1"),
        ] {
            assert!(diesel::sql_query(damage).execute(&mut **conn).unwrap() > 0, "{damage}");
            let report = nattplats::db::invariants::check(&mut conn).unwrap();
            assert!(!report.counts_off.is_empty(), "{damage}: {report:?}");
            assert!(!report.holds());
            diesel::sql_query(repair).execute(&mut **conn).unwrap();
            let report = nattplats::db::invariants::check(&mut conn).unwrap();
            assert!(report.counts_off.is_empty(), "{repair}: {report:?}");
        }
    }
}

/// How many times each race below is run.
const ROUNDS: i64 = 30;

/// The night `i` rounds after 2019-12-01, and its evening.
fn round_night(i: i64) -> (String, String) {
    let night = chrono::NaiveDate::from_ymd_opt(2019, 12, 1).unwrap() + chrono::Duration::days(i);
    (night.to_string(), format!("{night}T18:00:00+01:00"))
}

/// Guests holding an overflow place on `night`.
fn held_overflow(conn: &mut DbConnection, night: &str) -> usize {
    use nattplats::db::schema::places;
    let night: chrono::NaiveDate = night.parse().unwrap();
    bookings::table
        .inner_join(places::table)
        .filter(bookings::night.eq(night))
        .filter(bookings::held)
        .filter(places::category.eq("overflow"))
        .count()
        .get_result::<i64>(conn)
        .unwrap() as usize
}

/// How a coordinator closes a cold night's overflow place.
#[derive(Clone, Copy)]
enum Closing {
    /// `DELETE /cold-nights/N`: then a placement is `not-a-cold-night`.
    Withdraw,
    /// Narrowed to no places: then a placement is `no-free-place`.
    Narrow,
}

/// A cold night with one overflow place and no standing places, closed
/// while a guest is placed on it, `ROUNDS` times: never both.
async fn race_closing_overflow(b: Backend, closing: Closing) {
    let w = world_with(b, &[], &[]).await;
    for i in 0..ROUNDS {
        let (night, evening) = round_night(i);
        w.app.set_clock(&evening).await;
        let url = format!("/api/v1/cold-nights/{night}");
        let res = w
            .app
            .put(
                &url,
                Some(&w.coordinator),
                &json!({
            "reason": "cold", "overflow": [{"shelter_id": w.a.id, "places": 1}]}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let cold = json!({"guest_id": w.man().await, "kind": "cold_night", "reason": "cold"});
        let milder = json!({"reason": "milder", "overflow": [{"shelter_id": w.a.id, "places": 0}]});
        let close = async {
            match closing {
                Closing::Withdraw => w
                    .app
                    .client
                    .delete(w.app.url(&url))
                    .bearer_auth(&w.coordinator)
                    .send()
                    .await
                    .unwrap(),
                Closing::Narrow => w.app.put(&url, Some(&w.coordinator), &milder).await,
            }
        };
        let placement = w
            .app
            .post("/api/v1/placements", Some(&w.coordinator), &cold);
        let (closed, placed) = futures_util::join!(close, placement);
        let held = held_overflow(&mut w.app.conn(), &night);
        let (closed_ok, refused) = match closing {
            Closing::Withdraw => (StatusCode::NO_CONTENT, "not-a-cold-night"),
            Closing::Narrow => (StatusCode::OK, "no-free-place"),
        };
        match (closed.status(), placed.status()) {
            (s, _) if s == closed_ok => {
                assert_problem(placed, 409, refused).await;
                assert_eq!(
                    held, 0,
                    "round {i}: a guest holds an overflow place that was closed"
                );
            }
            (_, StatusCode::CREATED) => {
                assert_problem(closed, 409, "overflow-place-held").await;
                assert_eq!(held, 1);
            }
            (c, p) => panic!("round {i}: closing {c}, placement {p}"),
        }
    }
    assert!(
        nattplats::db::invariants::check(&mut w.app.conn())
            .unwrap()
            .holds()
    );
}

backend_tests! {
    async fn withdrawing_a_cold_night_and_a_placement_on_its_overflow_place_never_both_succeed(b: Backend) {
        race_closing_overflow(b, Closing::Withdraw).await;
    }

    async fn narrowing_a_cold_night_and_a_placement_on_its_overflow_place_never_both_succeed(b: Backend) {
        race_closing_overflow(b, Closing::Narrow).await;
    }

    async fn taking_a_place_out_of_service_and_an_intake_on_it_never_both_succeed(b: Backend) {
        let w = world_with(b, &[("R1", "regular")], &[]).await;
        let path = format!("/api/v1/shelters/{}/places/{}/out-of-service", w.a.id, w.a.place("R1"));
        for i in 0..ROUNDS {
            // Six nights a round: five of a stay, one after.
            let (night, evening) = round_night(i * 6);
            let (last, _) = round_night(i * 6 + 4);
            w.app.set_clock(&evening).await;
            let g = w.man().await;
            let out_body = json!({"first_night": night, "last_night": last, "reason": "bedbugs"});
            let intake = w.request_stay(&w.coordinator, json!({"guest_id": g, "shelter_id": w.a.id}));
            let outage = w.app.post(&path, Some(&w.coordinator), &out_body);
            let (taken, out) = futures_util::join!(intake, outage);
            match (taken.status(), out.status()) {
                (StatusCode::CREATED, _) => {
                    assert_problem(out, 409, "place-held").await;
                }
                (_, StatusCode::CREATED) => {
                    assert_problem(taken, 409, "no-free-place").await;
                }
                (t, o) => panic!("round {i}: intake {t}, out of service {o}"),
            }
        }
        assert!(nattplats::db::invariants::check(&mut w.app.conn()).unwrap().holds());
    }
}

/// Sets its flag when dropped.
struct StopOnDrop(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

backend_tests! {
    async fn folds_of_the_summaries_while_desks_book_and_check_in_lose_and_double_nothing(b: Backend) {
        // The fold deletes the log rows it adds into the summaries while
        // desks append to the log; on PostgreSQL a row committed during a
        // fold must wait for the next one, neither lost nor added twice.
        // Round after round: eight intakes and their check-ins sent at
        // once while folds run back to back, then the summaries, as they
        // stand and once all folded, against the rows.
        let w = shelter_of(b, 8).await;
        let mut folded = 0;
        for i in 0..ROUNDS {
            w.app.set_clock(&round_night(i * 7).1).await;
            let guests = new_guests(&w, 8).await;
            let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            // Stops the folds however this round ends, so a failed
            // assertion is reported instead of waiting on them forever.
            let _stop = StopOnDrop(done.clone());
            let folding = {
                let (done, mut conn) = (done.clone(), w.app.conn());
                tokio::task::spawn_blocking(move || {
                    let mut folded = 0;
                    while !done.load(std::sync::atomic::Ordering::SeqCst) {
                        folded += nattplats::db::summaries::fold(&mut conn).unwrap();
                    }
                    folded
                })
            };
            let stays = intakes_at_once(&w, &guests).await;
            let mut check_ins = Vec::new();
            for res in stays {
                assert_eq!(res.status(), StatusCode::CREATED);
                let stay: serde_json::Value = res.json().await.unwrap();
                let path = format!("/api/v1/stays/{}/check-ins", stay["id"].as_str().unwrap());
                let (app, coordinator) = (&w.app, &w.coordinator);
                check_ins.push(async move { app.post(&path, Some(coordinator), &json!({})).await });
            }
            for res in join_all(check_ins).await {
                assert!(res.status().is_success(), "round {i}: check-in {}", res.status());
            }
            done.store(true, std::sync::atomic::Ordering::SeqCst);
            folded += folding.await.unwrap();
            let mut conn = w.app.conn();
            let report = nattplats::db::invariants::check(&mut conn).unwrap();
            assert!(report.counts_off.is_empty(), "round {i}, as they stand: {report:?}");
            nattplats::db::summaries::fold(&mut conn).unwrap();
            let report = nattplats::db::invariants::check(&mut conn).unwrap();
            assert!(report.counts_off.is_empty(), "round {i}, folded: {report:?}");
            assert_eq!(crate::helpers::number(&mut conn, "SELECT COUNT(*) AS n FROM booking_changes"), 0);
        }
        assert!(folded > 0, "the folds ran while the desks wrote");
    }
}

backend_tests! {
    async fn desks_at_one_shelter_fill_it_at_once_without_a_false_refusal(b: Backend) {
        // Eight desks at once for four places, round after round: on
        // PostgreSQL each intake locks the place it takes and passes over
        // the places other desks are taking, so four are granted on four
        // different places and the other four are refused only because
        // the shelter is full.
        let w = shelter_of(b, 4).await;
        for i in 0..ROUNDS {
            w.app.set_clock(&round_night(i * 7).1).await;
            let guests = new_guests(&w, 8).await;
            let mut taken = HashSet::new();
            for res in intakes_at_once(&w, &guests).await {
                if res.status() == StatusCode::CREATED {
                    let stay: serde_json::Value = res.json().await.unwrap();
                    taken.insert(stay["nights"][0]["place_id"].as_str().unwrap().to_owned());
                } else {
                    assert_problem(res, 409, "no-free-place").await;
                }
            }
            assert_eq!(taken.len(), 4, "round {i}: each place taken once");
        }
        assert_eq!(assert_no_double_booking(&mut w.app.conn()), ROUNDS as usize * 4 * 5);
    }
}

/// Another desk's intake at shelter A, half done: the shelter's turn
/// shared and `place` locked, as `db::stays::share_existing_shelter` and
/// `first_unclaimed_free_place` take them, not yet committed.
fn intake_in_flight(w: &World, place: &str) -> nattplats::db::PooledConn {
    let mut other = w.app.conn();
    for sql in [
        "BEGIN".to_owned(),
        format!(
            "SELECT pg_advisory_xact_lock_shared(1, hashtext('{}'))",
            w.a.id
        ),
        format!("SELECT id FROM places WHERE id = '{place}' FOR NO KEY UPDATE"),
    ] {
        diesel::sql_query(sql).execute(&mut **other).unwrap();
    }
    other
}

/// Waits until a statement of the test's database waits for a lock: the
/// intake sent has reached the place that `intake_in_flight` holds.
async fn until_one_waits_for_a_lock(w: &World) {
    until_waiting_for_locks(w, 1).await;
}

/// Waits until `n` statements of the test's database wait for locks.
pub(crate) async fn until_waiting_for_locks(w: &World, n: i64) {
    let mut watch = w.app.conn();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let waiting = crate::helpers::number(
            &mut watch,
            "SELECT count(*) AS n FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        );
        if waiting >= n {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "fewer than {n} statements waited for a lock"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_intake_takes_the_next_place_while_another_desk_takes_the_first() {
    if !postgres_enabled() {
        return;
    }
    let w = shelter_of(Backend::Postgres, 2).await;
    let g = w.man().await;
    let other = intake_in_flight(&w, &w.a.place("R01"));
    // Desks at one shelter no longer take turns on it: this one is
    // answered while the other's act is still open.
    let res = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        w.request_stay(&w.coordinator, json!({"guest_id": g, "shelter_id": w.a.id})),
    )
    .await
    .expect("the intake waited for another desk's act at the shelter");
    assert_eq!(res.status(), StatusCode::CREATED);
    let stay: serde_json::Value = res.json().await.unwrap();
    for night in stay["nights"].as_array().unwrap() {
        assert_eq!(night["label"], "R02", "{stay}");
    }
    drop(other);
}

/// An intake at a shelter of one place, R1, that another desk's intake
/// has locked: once the intake waits for it, `end` ends the other act
/// (given its connection and R1's id). Returns the intake's answer.
async fn intake_behind_another_desk(
    end: impl FnOnce(&mut nattplats::db::PooledConn, &str),
) -> reqwest::Response {
    let w = world_with(Backend::Postgres, &[("R1", "regular")], &[]).await;
    let r1 = w.a.place("R1");
    let g = w.man().await;
    let mut other = intake_in_flight(&w, &r1);
    let (res, ()) = futures_util::join!(
        w.request_stay(&w.coordinator, json!({"guest_id": g, "shelter_id": w.a.id})),
        async {
            until_one_waits_for_a_lock(&w).await;
            end(&mut other, &r1);
        }
    );
    res
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_intake_waits_for_a_desk_taking_the_last_place_instead_of_refusing() {
    if !postgres_enabled() {
        return;
    }
    // The other desk's act fails (rolled back): the place was free after
    // all, and the waiting intake takes it.
    let res = intake_behind_another_desk(|other, _| {
        diesel::sql_query("ROLLBACK")
            .execute(&mut ***other)
            .unwrap();
    })
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let stay: serde_json::Value = res.json().await.unwrap();
    assert_eq!(stay["nights"][0]["label"], "R1");
    // The other desk's act takes the place (here: out of service for
    // good) and commits: the waiting intake is refused, the shelter full.
    let res = intake_behind_another_desk(|other, r1| {
        diesel::sql_query(format!(
            "INSERT INTO place_outages (id, place_id, first_night, last_night, reason, created_at) \
             VALUES ('{}', '{r1}', '2000-01-01', '2100-12-31', 'broken', now())",
            uuid::Uuid::new_v4()
        ))
        .execute(&mut ***other)
        .unwrap();
        diesel::sql_query("COMMIT").execute(&mut ***other).unwrap();
    })
    .await;
    assert_problem(res, 409, "no-free-place").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_act_waiting_for_the_shelter_is_not_overtaken_by_intakes_after_it() {
    if !postgres_enabled() {
        return;
    }
    // While two desks' intakes are in flight at the shelter (on R01 and
    // R02), a coordinator takes R03 out of service: that waits for them. An
    // intake sent after it waits behind it too, instead of slipping in
    // (intakes share the shelter among themselves): otherwise a busy door
    // at 18:00 would keep the coordinator, or socialjouren's placement,
    // waiting for as long as desks overlap.
    let w = shelter_of(Backend::Postgres, 3).await;
    w.app.set_clock("2019-12-01T18:00:00+01:00").await;
    let g = w.man().await;
    let mut first = intake_in_flight(&w, &w.a.place("R01"));
    let mut second = intake_in_flight(&w, &w.a.place("R02"));
    let path = format!(
        "/api/v1/shelters/{}/places/{}/out-of-service",
        w.a.id,
        w.a.place("R03")
    );
    let body =
        json!({"first_night": "2019-12-01", "last_night": "2019-12-05", "reason": "bedbugs"});
    let (out, taken) = futures_util::join!(w.app.post(&path, Some(&w.coordinator), &body), async {
        until_waiting_for_locks(&w, 1).await;
        let (res, ()) = futures_util::join!(
            w.request_stay(&w.coordinator, json!({"guest_id": g, "shelter_id": w.a.id})),
            async {
                until_waiting_for_locks(&w, 2).await;
                diesel::sql_query("ROLLBACK").execute(&mut **first).unwrap();
                diesel::sql_query("ROLLBACK")
                    .execute(&mut **second)
                    .unwrap();
            }
        );
        res
    });
    assert_eq!(
        out.status(),
        StatusCode::CREATED,
        "R03 taken out of service first"
    );
    assert_eq!(taken.status(), StatusCode::CREATED);
    let stay: serde_json::Value = taken.json().await.unwrap();
    assert_eq!(stay["nights"][0]["label"], "R01", "{stay}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_intake_does_not_wait_for_the_summaries_another_desks_act_writes() {
    if !postgres_enabled() {
        return;
    }
    // Another desk checks a guest in at shelter A and its act is not yet
    // committed. Its change is in the summaries' log (a row appended), not
    // in the summary rows of the night, shelter and category, which every
    // intake there writes too: held until commit, those made each desk at
    // a shelter wait for the one before.
    let w = shelter_of(Backend::Postgres, 2).await;
    w.app.set_clock("2019-12-01T18:00:00+01:00").await;
    let first = w.man().await;
    let res = w
        .request_stay(
            &w.coordinator,
            json!({"guest_id": first, "shelter_id": w.a.id}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let mut other = w.app.conn();
    for sql in [
        "BEGIN".to_owned(),
        format!(
            "UPDATE bookings SET checked_in_at = now() \
             WHERE guest_id = '{first}' AND night = '2019-12-01'"
        ),
    ] {
        diesel::sql_query(sql).execute(&mut **other).unwrap();
    }
    let second = w.man().await;
    let res = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        w.request_stay(
            &w.coordinator,
            json!({"guest_id": second, "shelter_id": w.a.id}),
        ),
    )
    .await
    .expect("the intake waited for another desk's summary rows");
    assert_eq!(res.status(), StatusCode::CREATED);
    diesel::sql_query("COMMIT").execute(&mut **other).unwrap();
    let report = nattplats::db::invariants::check(&mut other).unwrap();
    assert!(report.holds(), "{report:?}");
    assert_eq!(report.held_nights, 10);
}

backend_tests! {
    async fn availability_read_while_desks_book_agrees_with_the_database_every_time(b: Backend) {
        // Availability comes from an index in memory patched from a log of
        // changes; a debug build compares every reading with the SQL
        // definition in the same snapshot and answers 500 on a difference.
        // Readings at the same moment as eight intakes, round after round,
        // and one after they all committed, which must count them all.
        let w = shelter_of(b, 12).await;
        for i in 0..ROUNDS {
            let (night, evening) = round_night(i * 7);
            w.app.set_clock(&evening).await;
            let guests = new_guests(&w, 8).await;
            let intakes = intakes_at_once(&w, &guests);
            let paths: Vec<String> = (0..4)
                .map(|k| format!("/api/v1/availability?night={night}{}", if k % 2 == 0 { "" } else { "&places=false" }))
                .collect();
            let reads = join_all(paths.iter().map(|p| w.app.get(p, Some(&w.coordinator))));
            let (granted, read) = futures_util::join!(intakes, reads);
            for res in read {
                let status = res.status();
                assert_eq!(status, StatusCode::OK, "round {i}: {}", res.text().await.unwrap());
            }
            assert!(granted.iter().all(|r| r.status() == StatusCode::CREATED), "round {i}");
            let view = crate::coordination::availability(&w.app, &w.coordinator, Some(&night)).await;
            assert_eq!(crate::coordination::shelter(&view, &w.a.id)["free"]["regular"], 12 - 8, "round {i}");
        }
        assert_eq!(assert_no_double_booking(&mut w.app.conn()), ROUNDS as usize * 8 * 5);
    }
}
