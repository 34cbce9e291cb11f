//! RULES.md §4 as amended: a stay ends by no-shows at the moment its
//! second missed night is over, for every question and every caller,
//! whether or not anyone has read the stay; and the order of refusals.

use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::coordination::{availability, shelter};
use crate::helpers::*;
use crate::world::*;

/// Availability of one shelter on `night`, asked with `?shelter_id=`.
async fn free_at(w: &World, shelter_id: &str, night: &str) -> Value {
    let res = w
        .app
        .get(
            &format!("/api/v1/availability?night={night}&shelter_id={shelter_id}"),
            Some(&w.coordinator),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let v: Value = res.json().await.unwrap();
    shelter(&v, shelter_id)["free"].clone()
}

/// The reasons of the turn-aways recorded so far.
fn turnaways(w: &World) -> Vec<String> {
    use nattplats::db::schema::turnaways;
    let mut conn = w.app.conn();
    turnaways::table
        .select(turnaways::reason)
        .load(&mut **conn)
        .unwrap()
}

backend_tests! {
    async fn a_stay_ended_by_no_shows_frees_its_nights_for_every_question_at_once(b: Backend) {
        // One shelter with one regular place; another with a place for a
        // placement elsewhere.
        let w = world_with(b, &[("R1", "regular")], &[("R1", "regular")]).await;
        w.app.set_clock("2021-01-11T14:00:00+01:00").await;
        let a = w.man().await;
        let stay = w.stay(json!({"guest_id": a, "shelter_id": w.a.id})).await;
        assert_eq!(stay["last_night"], "2021-01-15");
        // Nights 11 and 12 missed; nobody reads the stay.
        w.app.set_clock("2021-01-13T14:00:00+01:00").await;
        for night in ["2021-01-13", "2021-01-14"] {
            // The list, the counts (checked against each other) and the
            // question about the one shelter all see the place free.
            let v = availability(&w.app, &w.coordinator, Some(night)).await;
            assert_eq!(shelter(&v, &w.a.id)["free"]["regular"], 1, "{night}");
            assert_eq!(free_at(&w, &w.a.id, night).await["regular"], 1, "{night}");
        }
        // The guest's own emergency placement elsewhere is not refused
        // `already-placed`: the stay no longer holds tonight.
        let res = w.app.post("/api/v1/placements", Some(&w.coordinator), &json!({
            "guest_id": a, "kind": "emergency", "shelter_id": w.b.id, "reason": "acute need"})).await;
        assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
        // Another guest's intake takes the place for all five nights.
        let other = w.stay(json!({"guest_id": w.man().await, "shelter_id": w.a.id})).await;
        assert_eq!(other["nights"][0]["place_id"], w.a.place("R1"));
        assert_eq!(other["first_night"], "2021-01-13");
        // And the stay reads as ended, its karenstid where it was.
        let seen = w.get_stay(stay["id"].as_str().unwrap()).await;
        assert_eq!(seen["status"], "ended");
        assert_eq!(seen["eligible_again_from"], "2021-01-18");
        assert_eq!(states(&seen), nights(&[
            ("2021-01-11", "no_show"), ("2021-01-12", "no_show"), ("2021-01-13", "released"),
            ("2021-01-14", "released"), ("2021-01-15", "released"),
        ]));
        let e = w.eligibility(&a, "2021-01-14").await;
        assert_eq!((e["code"].as_str(), e["eligible_from"].as_str()), (Some("in-quarantine"), Some("2021-01-18")));
        let report = nattplats::db::invariants::check(&mut w.app.conn()).unwrap();
        assert!(report.holds(), "{report:?}");
    }

    async fn a_woman_gets_the_womens_place_a_stay_ended_by_no_shows_left(b: Backend) {
        let w = world_with(b, &[("R1", "regular"), ("W1", "women")], &[]).await;
        w.app.set_clock("2021-01-11T14:00:00+01:00").await;
        let first = w.stay(json!({"guest_id": w.woman().await, "shelter_id": w.a.id})).await;
        assert_eq!(first["nights"][0]["place_id"], w.a.place("W1"));
        w.app.set_clock("2021-01-13T14:00:00+01:00").await;
        // The women's place is free for all seven nights: she gets it, not
        // five nights on the regular place.
        let second = w.stay(json!({"guest_id": w.woman().await, "shelter_id": w.a.id})).await;
        assert_eq!(second["nights"][0]["place_id"], w.a.place("W1"));
        assert_eq!(second["category"], "women");
        assert_eq!(second["last_night"], "2021-01-19");
    }

    async fn until_the_second_missed_night_is_over_the_guest_may_still_come(b: Backend) {
        let w = world_with(b, &[("R1", "regular")], &[]).await;
        w.app.set_clock("2021-01-11T14:00:00+01:00").await;
        let stay = w.stay(json!({"guest_id": w.man().await, "shelter_id": w.a.id})).await;
        let id = stay["id"].as_str().unwrap();
        // Late on the second evening: tonight's reservation has lapsed,
        // tomorrow's still holds.
        w.app.set_clock("2021-01-12T23:30:00+01:00").await;
        assert_eq!(free_at(&w, &w.a.id, "2021-01-12").await["regular"], 1);
        assert_eq!(free_at(&w, &w.a.id, "2021-01-13").await["regular"], 0);
        // One minute before the second night is over, it still holds.
        w.app.set_clock("2021-01-13T11:59:00+01:00").await;
        assert_eq!(free_at(&w, &w.a.id, "2021-01-13").await["regular"], 0);
        let res = w.request_stay(&w.coordinator, json!({"guest_id": w.man().await, "shelter_id": w.a.id, "first_night": "2021-01-13"})).await;
        assert_problem(res, 409, "no-free-place").await;
        // A guest who came late on the second evening keeps the stay.
        w.app.set_clock("2021-01-12T23:30:00+01:00").await;
        let res = w.act(id, "check-ins", json!({})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        w.app.set_clock("2021-01-13T14:00:00+01:00").await;
        assert_eq!(free_at(&w, &w.a.id, "2021-01-13").await["regular"], 0);
        assert_eq!(w.get_stay(id).await["status"], "active");
        // Two more missed nights (13, 14) end it from night 15.
        w.app.set_clock("2021-01-14T14:00:00+01:00").await;
        assert_eq!(free_at(&w, &w.a.id, "2021-01-15").await["regular"], 0);
        w.app.set_clock("2021-01-15T12:00:00+01:00").await;
        assert_eq!(free_at(&w, &w.a.id, "2021-01-15").await["regular"], 1);
    }

    async fn a_write_made_while_answering_a_read_is_seen_by_the_next_read(b: Backend) {
        let w = world_with(b, &[("R1", "regular"), ("R2", "regular")], &[("R1", "regular")]).await;
        w.app.set_clock("2021-01-11T14:00:00+01:00").await;
        let stay = w.stay(json!({"guest_id": w.man().await, "shelter_id": w.a.id})).await;
        w.app.set_clock("2021-01-13T14:00:00+01:00").await;
        // The question about one shelter, kept; then a read of the stay;
        // then the same question and a different one must agree.
        let kept = free_at(&w, &w.a.id, "2021-01-13").await;
        w.get_stay(stay["id"].as_str().unwrap()).await;
        let again = free_at(&w, &w.a.id, "2021-01-13").await;
        let v = availability(&w.app, &w.coordinator, Some("2021-01-13")).await;
        assert_eq!(again, shelter(&v, &w.a.id)["free"]);
        assert_eq!(kept, again);
        assert_eq!(again["regular"], 2);
        // A write committed by anything in the process, not only by a
        // request that is not a GET, is seen by the next answer.
        {
            use nattplats::db::schema::place_outages;
            let mut conn = w.app.conn();
            nattplats::db::write_tx(&mut conn, |c| {
                diesel::insert_into(place_outages::table)
                    .values((
                        place_outages::id.eq(uuid::Uuid::new_v4().to_string()),
                        place_outages::place_id.eq(w.a.place("R2")),
                        place_outages::first_night.eq(chrono::NaiveDate::from_ymd_opt(2021, 1, 13).unwrap()),
                        place_outages::last_night.eq(chrono::NaiveDate::from_ymd_opt(2021, 1, 13).unwrap()),
                        place_outages::reason.eq("broken"),
                        place_outages::created_at.eq(chrono::Utc::now().naive_utc()),
                    ))
                    .execute(c)
                    .map(drop)
            })
            .unwrap();
        }
        assert_eq!(free_at(&w, &w.a.id, "2021-01-13").await["regular"], 1);
    }

    async fn refusals_come_in_the_order_of_the_rules(b: Backend) {
        let w = world(b).await;
        // A man outside the target group asking for a women's place.
        let swede = w.guest("man", "SE", 1980).await;
        let res = w.request_stay(&w.coordinator, json!({"guest_id": swede, "shelter_id": w.a.id, "category": "women"})).await;
        assert_problem(res, 409, "outside-target-group").await;
        let res = w.request_stay(&w.coordinator, json!({"guest_id": swede, "shelter_id": w.a.id, "place_id": w.a.place("W1")})).await;
        assert_problem(res, 409, "outside-target-group").await;
        // ... and the same man for a cold-night placement on a night that is not one.
        let res = w.app.post("/api/v1/placements", Some(&w.coordinator), &json!({
            "guest_id": swede, "kind": "cold_night", "reason": "cold"})).await;
        assert_problem(res, 409, "outside-target-group").await;
        // A minor asking for tomorrow plus two nights: minor first.
        let child = w.guest("man", "RO", 2010).await;
        let res = w.request_stay(&w.coordinator, json!({"guest_id": child, "shelter_id": w.a.id, "first_night": "2019-12-04", "category": "women"})).await;
        assert_problem(res, 409, "minor").await;
        // A man with a stay asking for another on a women's place: he has a
        // stay, which is not unmet need.
        let g = w.man().await;
        w.stay(json!({"guest_id": g, "shelter_id": w.a.id})).await;
        let res = w.request_stay(&w.coordinator, json!({"guest_id": g, "shelter_id": w.a.id, "category": "women"})).await;
        assert_problem(res, 409, "already-has-stay").await;
        // A guest placed tonight asking for a cold-night placement on a
        // night that is not one: already placed, not counted.
        let placed = w.man().await;
        let res = w.app.post("/api/v1/placements", Some(&w.coordinator), &json!({
            "guest_id": placed, "kind": "emergency", "shelter_id": w.b.id, "reason": "acute"})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let res = w.app.post("/api/v1/placements", Some(&w.coordinator), &json!({
            "guest_id": placed, "kind": "cold_night", "reason": "cold"})).await;
        assert_problem(res, 409, "already-placed").await;
        // Karenstid and a ban: karenstid first.
        let q = w.man().await;
        let s = w.stay(json!({"guest_id": q, "shelter_id": w.a.id})).await;
        let res = w.act(s["id"].as_str().unwrap(), "end", json!({"reason": "left"})).await;
        assert_eq!(res.status(), StatusCode::OK);
        let res = w.app.post("/api/v1/bans", Some(&w.coordinator), &json!({
            "guest_id": q, "first_night": "2019-12-01", "last_night": "2019-12-20", "reason": "threats"})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let res = w.request_stay(&w.coordinator, json!({"guest_id": q, "shelter_id": w.a.id, "first_night": "2019-12-05", "category": "women"})).await;
        assert_problem(res, 409, "in-quarantine").await;
        // The ban before the night out of range and the category.
        let banned = w.man().await;
        let res = w.app.post("/api/v1/bans", Some(&w.coordinator), &json!({
            "guest_id": banned, "first_night": "2019-12-01", "last_night": "2019-12-20", "reason": "threats"})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let res = w.request_stay(&w.coordinator, json!({"guest_id": banned, "shelter_id": w.a.id, "first_night": "2019-12-05", "category": "women"})).await;
        assert_problem(res, 409, "banned").await;
        // The night out of range before the category.
        let far = w.man().await;
        let res = w.request_stay(&w.coordinator, json!({"guest_id": far, "shelter_id": w.a.id, "first_night": "2019-12-05", "category": "women"})).await;
        assert_problem(res, 409, "night-out-of-range").await;
        // Each turn-away is recorded under the code answered, and the two
        // that are not unmet need are not recorded at all.
        let mut recorded = turnaways(&w);
        recorded.sort();
        assert_eq!(recorded, vec![
            "banned", "in-quarantine", "minor", "night-out-of-range",
            "outside-target-group", "outside-target-group", "outside-target-group",
        ]);
    }
}

backend_tests! {
    async fn the_upgrade_fills_each_stays_ending_as_the_rules_would(b: Backend) {
        use nattplats::db::schema::bookings;
        let w = world(b).await;
        let never = w.stay(json!({"guest_id": w.man().await, "shelter_id": w.a.id})).await;
        let once = w.stay(json!({"guest_id": w.man().await, "shelter_id": w.a.id})).await;
        let woman = w.stay(json!({"guest_id": w.woman().await, "shelter_id": w.b.id})).await;
        for s in [&once, &woman] {
            assert_eq!(w.act(s["id"].as_str().unwrap(), "check-ins", json!({})).await.status(), StatusCode::CREATED);
        }
        w.app.set_clock("2019-12-02T20:00:00+01:00").await;
        assert_eq!(w.act(woman["id"].as_str().unwrap(), "check-ins", json!({})).await.status(), StatusCode::CREATED);
        let ended = w.stay(json!({"guest_id": w.man().await, "shelter_id": w.b.id})).await;
        assert_eq!(w.act(ended["id"].as_str().unwrap(), "end", json!({"reason": "left"})).await.status(), StatusCode::OK);
        let written = |conn: &mut nattplats::db::DbConnection| -> Vec<(String, chrono::NaiveDate, Option<chrono::NaiveDate>)> {
            bookings::table
                .filter(bookings::kind.eq("stay"))
                .order((bookings::stay_id.asc(), bookings::night.asc()))
                .select((bookings::id, bookings::night, bookings::no_show_end))
                .load(conn)
                .unwrap()
        };
        let mut conn = w.app.conn();
        let by_the_service = written(&mut conn);
        let end_of = |s: &Value| {
            let id = s["id"].as_str().unwrap();
            let stay_nights: Vec<Option<chrono::NaiveDate>> = bookings::table
                .filter(bookings::stay_id.eq(id))
                .select(bookings::no_show_end)
                .load(&mut **w.app.conn())
                .unwrap();
            stay_nights[0]
        };
        let day = |s: &str| Some(s.parse::<chrono::NaiveDate>().unwrap());
        drop(conn);
        assert_eq!(end_of(&never), day("2019-12-03"));
        assert_eq!(end_of(&once), day("2019-12-04"));
        assert_eq!(end_of(&woman), day("2019-12-05"));
        let mut conn = w.app.conn();
        let mut reverted = Vec::new();
        while reverted.last().map(String::as_str) != Some("20261125000012") {
            reverted.push(nattplats::db::revert_last_migration(&mut conn).unwrap());
            assert!(reverted.len() < 10, "{reverted:?}");
        }
        assert_eq!(nattplats::db::run_migrations(&mut conn).unwrap(), reverted.len());
        // Ended stays need none: they hold no night any more.
        let filled = written(&mut conn);
        let ended_id = ended["id"].as_str().unwrap();
        let ended_nights: Vec<String> = bookings::table.filter(bookings::stay_id.eq(ended_id)).select(bookings::id).load(&mut **conn).unwrap();
        for (was, now) in by_the_service.iter().zip(&filled) {
            if ended_nights.contains(&was.0) {
                assert_eq!(now.2, None);
            } else {
                assert_eq!(was, now);
            }
        }
        assert_eq!(by_the_service.len(), filled.len());
    }
}
