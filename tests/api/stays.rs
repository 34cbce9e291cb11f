//! The bed rules through the HTTP API (RULES.md §3, §4, §7), with the
//! manual clock, on both backends.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::world::*;

backend_tests! {
    async fn example_1_a_regular_stay_and_its_karenstid(b: Backend) {
        let w = world(b).await;
        let g = w.man().await;
        let s = w.stay(json!({"guest_id": g, "shelter_id": w.a.id})).await;
        assert_eq!(s["guest_id"], g);
        assert_eq!(s["shelter_id"], w.a.id);
        assert_eq!(s["category"], "regular");
        assert_eq!(s["status"], "active");
        assert_eq!(s["first_night"], "2019-12-01");
        assert_eq!(s["last_night"], "2019-12-05");
        assert_eq!(s["quarantine_last_night"], "2019-12-07");
        assert_eq!(s["eligible_again_from"], "2019-12-08");
        assert_eq!(states(&s), nights(&[
            ("2019-12-01", "reserved"), ("2019-12-02", "reserved"), ("2019-12-03", "reserved"),
            ("2019-12-04", "reserved"), ("2019-12-05", "reserved"),
        ]));
        let place = s["nights"][0]["place_id"].as_str().unwrap();
        assert_eq!(place, w.a.place("R1"));
        assert!(s["nights"].as_array().unwrap().iter().all(|n| n["place_id"] == place));
        let keys: Vec<&String> = s.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 10, "exactly the fields of API.md: {keys:?}");
        assert_eq!(w.get_stay(s["id"].as_str().unwrap()).await, s);
        let e = w.eligibility(&g, "2019-12-08").await;
        assert_eq!(e, json!({"night": "2019-12-08", "eligible": true}));
    }

    async fn example_2_a_woman_is_given_a_womens_place_for_seven_nights(b: Backend) {
        let w = world(b).await;
        let g = w.woman().await;
        let s = w.stay(json!({"guest_id": g, "shelter_id": w.a.id})).await;
        assert_eq!(s["category"], "women");
        assert_eq!(s["last_night"], "2019-12-07");
        assert_eq!(s["quarantine_last_night"], "2019-12-09");
        assert_eq!(s["eligible_again_from"], "2019-12-10");
        assert_eq!(s["nights"].as_array().unwrap().len(), 7);
        assert_eq!(s["nights"][0]["place_id"], w.a.place("W1"));
    }

    async fn example_3_women_places_full_a_regular_place_for_five_nights(b: Backend) {
        let w = world(b).await;
        w.stay(json!({"guest_id": w.woman().await, "shelter_id": w.a.id})).await;
        let g = w.woman().await;
        let s = w.stay(json!({"guest_id": g, "shelter_id": w.a.id})).await;
        assert_eq!(s["category"], "regular");
        assert_eq!(s["last_night"], "2019-12-05");
        assert_eq!(s["nights"].as_array().unwrap().len(), 5);
        // A woman may also ask for a regular place.
        let s = w.stay(json!({"guest_id": w.woman().await, "shelter_id": w.b.id, "category": "regular"})).await;
        assert_eq!(s["category"], "regular");
        assert_eq!(s["nights"][0]["place_id"], w.b.place("R1"));
    }

    async fn example_4_a_new_stay_in_karenstid_is_refused(b: Backend) {
        let w = world(b).await;
        let g = w.man().await;
        w.stay(json!({"guest_id": g, "shelter_id": w.a.id})).await;
        w.app.set_clock("2019-12-07T15:00:00+01:00").await;
        let res = w.request_stay(&w.coordinator, json!({"guest_id": g, "shelter_id": w.b.id})).await;
        let p = assert_problem(res, 409, "in-quarantine").await;
        assert_eq!(p["eligible_from"], "2019-12-08");
        let e = w.eligibility(&g, "2019-12-07").await;
        assert_eq!(e, json!({"night": "2019-12-07", "eligible": false, "code": "in-quarantine", "eligible_from": "2019-12-08"}));
        w.app.set_clock("2019-12-08T15:00:00+01:00").await;
        w.stay(json!({"guest_id": g, "shelter_id": w.b.id})).await;
    }

    async fn example_5_ending_early_releases_but_keeps_karenstid(b: Backend) {
        let w = world(b).await;
        let g = w.man().await;
        let s = w.stay(json!({"guest_id": g, "shelter_id": w.a.id})).await;
        let id = s["id"].as_str().unwrap();
        w.app.set_clock("2019-12-02T19:00:00+01:00").await;
        let res = w.act(id, "check-ins", json!({})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let res = w.act(id, "end", json!({"reason": "left for a job in Göteborg"})).await;
        assert_eq!(res.status(), StatusCode::OK);
        let s: Value = res.json().await.unwrap();
        assert_eq!(s["status"], "ended");
        assert_eq!(s["eligible_again_from"], "2019-12-08");
        assert_eq!(states(&s), nights(&[
            ("2019-12-01", "no_show"), ("2019-12-02", "checked_in"), ("2019-12-03", "released"),
            ("2019-12-04", "released"), ("2019-12-05", "released"),
        ]));
        // Another guest can have the released nights.
        w.app.set_clock("2019-12-03T15:00:00+01:00").await;
        let other = w.stay(json!({"guest_id": w.man().await, "shelter_id": w.a.id, "place_id": w.a.place("R1")})).await;
        assert_eq!(other["first_night"], "2019-12-03");
        // The period is fixed: no new stay before 12-08.
        w.app.set_clock("2019-12-07T15:00:00+01:00").await;
        let res = w.request_stay(&w.coordinator, json!({"guest_id": g, "shelter_id": w.b.id})).await;
        assert_eq!(assert_problem(res, 409, "in-quarantine").await["eligible_from"], "2019-12-08");
        // Ending twice is refused with a reason.
        assert_problem(w.act(id, "end", json!({"reason": "again"})).await, 409, "stay-not-active").await;
    }

    async fn ending_before_check_in_releases_tonight_too(b: Backend) {
        let w = world(b).await;
        let s = w.stay(json!({"guest_id": w.man().await, "shelter_id": w.a.id})).await;
        let res = w.act(s["id"].as_str().unwrap(), "end", json!({"reason": "found a room"})).await;
        let s: Value = res.json().await.unwrap();
        assert!(states(&s).iter().all(|(_, st)| st == "released"), "{s}");
        // Tonight's place is free again.
        let again = w.stay(json!({"guest_id": w.man().await, "shelter_id": w.a.id, "place_id": w.a.place("R1")})).await;
        assert_eq!(again["first_night"], "2019-12-01");
    }

    async fn example_6_a_voided_stay_never_counts(b: Backend) {
        let w = world(b).await;
        let g = w.man().await;
        let s = w.stay(json!({"guest_id": g, "shelter_id": w.a.id})).await;
        let id = s["id"].as_str().unwrap();
        let desk = w.app.post(&format!("/api/v1/stays/{id}/void"), Some(&w.desk_a), &json!({"reason": "wrong guest"})).await;
        assert_problem(desk, 403, "forbidden").await;
        let res = w.act(id, "void", json!({"reason": ""})).await;
        let p = assert_problem(res, 422, "validation-failed").await;
        assert_eq!(error_fields(&p), vec!["reason"]);
        let res = w.act(id, "void", json!({"reason": "registered the wrong guest"})).await;
        assert_eq!(res.status(), StatusCode::OK);
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["status"], "voided");
        assert!(states(&v).iter().all(|(_, st)| st == "released"));
        assert_eq!(w.eligibility(&g, "2019-12-01").await["eligible"], true);
        let again = w.stay(json!({"guest_id": g, "shelter_id": w.a.id})).await;
        assert_eq!(again["first_night"], "2019-12-01");
        assert_problem(w.act(id, "void", json!({"reason": "again"})).await, 409, "stay-not-active").await;
    }

    async fn already_has_stay_names_the_stay(b: Backend) {
        let w = world(b).await;
        let g = w.man().await;
        let s = w.stay(json!({"guest_id": g, "shelter_id": w.a.id})).await;
        for shelter in [&w.a.id, &w.b.id] {
            let res = w.request_stay(&w.coordinator, json!({"guest_id": g, "shelter_id": shelter})).await;
            let p = assert_problem(res, 409, "already-has-stay").await;
            assert_eq!(p["stay_id"], s["id"]);
        }
        let e = w.eligibility(&g, "2019-12-03").await;
        assert_eq!(e["code"], "already-has-stay");
        assert_eq!(e["stay_id"], s["id"]);
        // A stay booked for tomorrow blocks a stay tonight too.
        let h = w.man().await;
        let t = w.stay(json!({"guest_id": h, "shelter_id": w.b.id, "first_night": "2019-12-02"})).await;
        let res = w.request_stay(&w.coordinator, json!({"guest_id": h, "shelter_id": w.a.id})).await;
        assert_eq!(assert_problem(res, 409, "already-has-stay").await["stay_id"], t["id"]);
    }

    async fn the_target_group_and_minors(b: Backend) {
        let w = world(b).await;
        let swede = w.guest("man", "SE", 1980).await;
        let res = w.request_stay(&w.coordinator, json!({"guest_id": swede, "shelter_id": w.a.id})).await;
        assert_problem(res, 409, "outside-target-group").await;
        assert_eq!(w.eligibility(&swede, "2019-12-01").await["code"], "outside-target-group");
        // A citizen of a non-EU country with a residence permit in an EU country is in.
        let res = w.app.post("/api/v1/guests", Some(&w.coordinator), &json!({
            "given_name": "Ion", "family_name": "Rusu", "birth_year": 1970, "gender": "man",
            "citizenship": "MD", "residence_permit_country": "RO"})).await;
        let permit: Value = res.json().await.unwrap();
        w.stay(json!({"guest_id": permit["id"], "shelter_id": w.a.id})).await;
        let child = w.guest("man", "RO", 2005).await;
        let res = w.request_stay(&w.coordinator, json!({"guest_id": child, "shelter_id": w.a.id})).await;
        assert_problem(res, 409, "minor").await;
        // The refusal opened an acute referral.
        let referrals = {
            let mut conn = w.app.conn();
            nattplats::db::bans::referrals_of(&mut conn, &child).unwrap()
        };
        assert_eq!(referrals.len(), 1);
        assert_eq!(referrals[0].reason, "minor");
        assert!(referrals[0].acute);
        assert_eq!(referrals[0].status, "open");
    }

    async fn the_booking_horizon(b: Backend) {
        let w = world(b).await;
        let g = w.man().await;
        for night in ["2019-11-30", "2019-12-03"] {
            let res = w.request_stay(&w.coordinator, json!({"guest_id": g, "shelter_id": w.a.id, "first_night": night})).await;
            let p = assert_problem(res, 409, "night-out-of-range").await;
            assert_eq!(p["earliest"], "2019-12-01");
            assert_eq!(p["latest"], "2019-12-02");
        }
        let s = w.stay(json!({"guest_id": g, "shelter_id": w.a.id, "first_night": "2019-12-02"})).await;
        assert_eq!(s["first_night"], "2019-12-02");
        assert_eq!(states(&s)[0], ("2019-12-02".to_owned(), "reserved".to_owned()));
    }

    async fn categories_that_do_not_fit_are_refused(b: Backend) {
        let w = world_with(b, &[("R1", "regular"), ("W1", "women"), ("X1", "overflow")], &[("R1", "regular")]).await;
        let man = w.man().await;
        let res = w.request_stay(&w.coordinator, json!({"guest_id": man, "shelter_id": w.a.id, "category": "women"})).await;
        assert_problem(res, 409, "category-not-allowed").await;
        let res = w.request_stay(&w.coordinator, json!({"guest_id": man, "shelter_id": w.a.id, "place_id": w.a.place("W1")})).await;
        assert_problem(res, 409, "category-not-allowed").await;
        let woman = w.woman().await;
        let res = w.request_stay(&w.coordinator, json!({"guest_id": woman, "shelter_id": w.a.id, "category": "overflow"})).await;
        assert_problem(res, 409, "category-not-allowed").await;
        let res = w.request_stay(&w.coordinator, json!({"guest_id": woman, "shelter_id": w.a.id, "place_id": w.a.place("X1")})).await;
        assert_problem(res, 409, "category-not-allowed").await;
        // A place of another shelter is not a place of this one.
        let res = w.request_stay(&w.coordinator, json!({"guest_id": woman, "shelter_id": w.a.id, "place_id": w.b.place("R1")})).await;
        let p = assert_problem(res, 422, "validation-failed").await;
        assert_eq!(error_fields(&p), vec!["place_id"]);
        // New stays never use overflow places: with R1 and W1 taken there is no place.
        w.stay(json!({"guest_id": woman, "shelter_id": w.a.id})).await;
        w.stay(json!({"guest_id": man, "shelter_id": w.a.id})).await;
        let res = w.request_stay(&w.coordinator, json!({"guest_id": w.man().await, "shelter_id": w.a.id})).await;
        let p = assert_problem(res, 409, "no-free-place").await;
        assert_eq!(p["alternatives"], json!([{"shelter_id": w.b.id, "free": {"regular": 1, "women": 0}}]));
    }

    async fn a_named_place_that_is_taken_is_no_free_place(b: Backend) {
        let w = world(b).await;
        w.stay(json!({"guest_id": w.man().await, "shelter_id": w.a.id, "place_id": w.a.place("R2"), "first_night": "2019-12-02"})).await;
        // R2 is free tonight but not tomorrow: a five-night stay does not fit.
        let res = w.request_stay(&w.coordinator, json!({"guest_id": w.man().await, "shelter_id": w.a.id, "place_id": w.a.place("R2")})).await;
        let p = assert_problem(res, 409, "no-free-place").await;
        assert_eq!(p["alternatives"], json!([{"shelter_id": w.b.id, "free": {"regular": 1, "women": 1}}]));
        // Without a named place R1 is chosen.
        let s = w.stay(json!({"guest_id": w.man().await, "shelter_id": w.a.id})).await;
        assert_eq!(s["nights"][0]["place_id"], w.a.place("R1"));
    }

    async fn a_ban_at_one_shelter_but_not_another(b: Backend) {
        let w = world(b).await;
        let g = w.man().await;
        let body = json!({"guest_id": g, "shelter_id": w.a.id, "first_night": "2019-12-01", "last_night": "2019-12-10", "reason": "threatened staff"});
        assert_problem(w.app.post("/api/v1/bans", Some(&w.desk_a), &body).await, 403, "forbidden").await;
        let res = w.app.post("/api/v1/bans", Some(&w.coordinator), &body).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let ban: Value = res.json().await.unwrap();
        assert_eq!(ban["shelter_id"], w.a.id);
        assert_eq!(ban["last_night"], "2019-12-10");
        let res = w.request_stay(&w.coordinator, json!({"guest_id": g, "shelter_id": w.a.id})).await;
        assert_eq!(assert_problem(res, 409, "banned").await["banned_until"], "2019-12-10");
        let s = w.stay(json!({"guest_id": g, "shelter_id": w.b.id})).await;
        assert_eq!(s["shelter_id"], w.b.id);
        // Banned there too, everywhere: the running stay ends.
        let res = w.app.post("/api/v1/bans", Some(&w.coordinator), &json!({"guest_id": g, "first_night": "2019-12-02", "last_night": "2019-12-03", "reason": "violence"})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let after = w.get_stay(s["id"].as_str().unwrap()).await;
        assert_eq!(after["status"], "ended");
        assert_eq!(w.eligibility(&g, "2019-12-09").await["eligible"], true);
        // A ban's fields are checked.
        let res = w.app.post("/api/v1/bans", Some(&w.coordinator), &json!({"guest_id": g, "first_night": "2019-12-05", "last_night": "2019-12-02", "reason": " "})).await;
        let p = assert_problem(res, 422, "validation-failed").await;
        assert_eq!(error_fields(&p), vec!["last_night", "reason"]);
        let res = w.app.post("/api/v1/bans", Some(&w.coordinator), &json!({"guest_id": uuid::Uuid::new_v4().to_string(), "first_night": "2019-12-05", "last_night": "2019-12-06", "reason": "x"})).await;
        assert_problem(res, 404, "not-found").await;
    }

    async fn a_move_across_shelters_keeps_the_period(b: Backend) {
        let w = world(b).await;
        let g = w.man().await;
        let s = w.stay(json!({"guest_id": g, "shelter_id": w.a.id})).await;
        let id = s["id"].as_str().unwrap();
        w.app.set_clock("2019-12-02T19:00:00+01:00").await;
        assert_eq!(w.act(id, "check-ins", json!({})).await.status(), StatusCode::CREATED);
        w.app.set_clock("2019-12-03T14:00:00+01:00").await;
        let res = w.act(id, "move", json!({"place_id": w.b.place("R1")})).await;
        assert_eq!(res.status(), StatusCode::OK);
        let m: Value = res.json().await.unwrap();
        assert_eq!(m["shelter_id"], w.b.id);
        assert_eq!(m["first_night"], "2019-12-01");
        assert_eq!(m["last_night"], "2019-12-05");
        assert_eq!(m["eligible_again_from"], "2019-12-08");
        let places: Vec<&str> = m["nights"].as_array().unwrap().iter().map(|n| n["place_id"].as_str().unwrap()).collect();
        let (r1a, r1b) = (w.a.place("R1"), w.b.place("R1"));
        assert_eq!(places, vec![r1a.as_str(), r1a.as_str(), r1b.as_str(), r1b.as_str(), r1b.as_str()]);
        assert_eq!(states(&m)[1].1, "checked_in");
        // A's R1 is free again from tonight.
        let other = w.stay(json!({"guest_id": w.man().await, "shelter_id": w.a.id, "place_id": w.a.place("R1")})).await;
        assert_eq!(other["first_night"], "2019-12-03");
        // A man cannot be moved to a women's place; a taken place is no free place.
        assert_problem(w.act(id, "move", json!({"place_id": w.b.place("W1")})).await, 409, "category-not-allowed").await;
        assert_problem(w.act(id, "move", json!({"place_id": w.a.place("R1")})).await, 409, "no-free-place").await;
        assert_problem(w.act(id, "move", json!({"place_id": uuid::Uuid::new_v4().to_string()})).await, 404, "not-found").await;
        // Shelter staff at A cannot move a stay that is now at B.
        let res = w.app.post(&format!("/api/v1/stays/{id}/move"), Some(&w.desk_a), &json!({"place_id": w.a.place("R2")})).await;
        assert_problem(res, 403, "forbidden").await;
    }

    async fn a_daylight_saving_night(b: Backend) {
        let w = world(b).await;
        w.app.set_clock("2019-10-26T18:00:00+02:00").await;
        let g = w.man().await;
        let s = w.stay(json!({"guest_id": g, "shelter_id": w.a.id})).await;
        assert_eq!(s["first_night"], "2019-10-26");
        assert_eq!(s["last_night"], "2019-10-30");
        // 02:30 after the clocks went back still belongs to the night of the 26th.
        w.app.set_clock("2019-10-27T02:30:00+01:00").await;
        let res = w.act(s["id"].as_str().unwrap(), "check-ins", json!({})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let c: Value = res.json().await.unwrap();
        assert_eq!(c["night"], "2019-10-26");
        // 11:59 is still that night; 12:00 begins the next.
        w.app.set_clock("2019-10-27T11:59:00+01:00").await;
        assert_eq!(states(&w.get_stay(s["id"].as_str().unwrap()).await)[0].1, "checked_in");
        w.app.set_clock("2019-10-27T12:00:00+01:00").await;
        let now = w.get_stay(s["id"].as_str().unwrap()).await;
        assert_eq!(states(&now)[1], ("2019-10-27".to_owned(), "reserved".to_owned()));
    }

    async fn a_no_show_is_released_at_the_cutoff_and_reclaimed_late(b: Backend) {
        let w = world_with(b, &[("R1", "regular")], &[("R1", "regular")]).await;
        let g = w.man().await;
        let s = w.stay(json!({"guest_id": g, "shelter_id": w.a.id})).await;
        let id = s["id"].as_str().unwrap();
        // Before the cutoff the place is held.
        w.app.set_clock("2019-12-01T22:59:00+01:00").await;
        let res = w.request_stay(&w.coordinator, json!({"guest_id": w.man().await, "shelter_id": w.a.id, "first_night": "2019-12-01"})).await;
        assert_problem(res, 409, "no-free-place").await;
        // At 23:00 it lapses: the night shows as a no-show.
        w.app.set_clock("2019-12-01T23:00:00+01:00").await;
        assert_eq!(states(&w.get_stay(id).await)[0].1, "no_show");
        // Nobody has taken it: the guest arriving late still checks in.
        w.app.set_clock("2019-12-01T23:40:00+01:00").await;
        let res = w.act(id, "check-ins", json!({})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let again = w.act(id, "check-ins", json!({})).await;
        assert_eq!(again.status(), StatusCode::CREATED, "a repeated check-in is the same check-in");
        assert_eq!(states(&w.get_stay(id).await)[0].1, "checked_in");
    }

    async fn a_lapsed_place_taken_by_another_is_reservation_released(b: Backend) {
        let w = world_with(b, &[("R1", "regular")], &[("R1", "regular")]).await;
        // X's stay at B ends tonight (its last night is 12-01).
        w.app.set_clock("2019-11-27T18:00:00+01:00").await;
        let x = w.stay(json!({"guest_id": w.man().await, "shelter_id": w.b.id})).await;
        for day in 27..=30 {
            w.app.set_clock(&format!("2019-11-{day}T19:00:00+01:00")).await;
            let res = w.act(x["id"].as_str().unwrap(), "check-ins", json!({})).await;
            assert_eq!(res.status(), StatusCode::CREATED);
        }
        w.app.set_clock("2019-12-01T18:00:00+01:00").await;
        let g = w.stay(json!({"guest_id": w.man().await, "shelter_id": w.a.id})).await;
        let id = g["id"].as_str().unwrap();
        // Before the cutoff G's place is held: X cannot be moved onto it.
        w.app.set_clock("2019-12-01T22:30:00+01:00").await;
        let res = w.act(x["id"].as_str().unwrap(), "move", json!({"place_id": w.a.place("R1")})).await;
        assert_problem(res, 409, "no-free-place").await;
        // After the cutoff G's unclaimed reservation no longer holds tonight.
        w.app.set_clock("2019-12-01T23:10:00+01:00").await;
        let res = w.act(x["id"].as_str().unwrap(), "move", json!({"place_id": w.a.place("R1")})).await;
        assert_eq!(res.status(), StatusCode::OK);
        // G arrives late: the place is taken, and the free places are offered.
        let res = w.act(id, "check-ins", json!({})).await;
        let p = assert_problem(res, 409, "reservation-released").await;
        let free: Vec<&str> = p["free_places"].as_array().unwrap().iter().map(|f| f["place_id"].as_str().unwrap()).collect();
        assert_eq!(free, vec![w.b.place("R1").as_str()]);
        // G keeps the following nights.
        let after = w.get_stay(id).await;
        assert_eq!(after["status"], "active");
        assert_eq!(states(&after)[0].1, "no_show");
        assert_eq!(states(&after)[1].1, "reserved");
    }

    async fn a_reservation_made_after_the_cutoff_holds_that_night(b: Backend) {
        let w = world_with(b, &[("R1", "regular")], &[("R1", "regular")]).await;
        w.app.set_clock("2019-12-01T23:30:00+01:00").await;
        let s = w.stay(json!({"guest_id": w.man().await, "shelter_id": w.a.id})).await;
        assert_eq!(states(&s)[0].1, "reserved");
        let res = w.request_stay(&w.coordinator, json!({"guest_id": w.man().await, "shelter_id": w.a.id})).await;
        assert_problem(res, 409, "no-free-place").await;
    }

    async fn two_no_shows_end_the_stay(b: Backend) {
        let w = world(b).await;
        let g = w.man().await;
        let s = w.stay(json!({"guest_id": g, "shelter_id": w.a.id})).await;
        let id = s["id"].as_str().unwrap();
        // After the first missed night the stay still runs.
        w.app.set_clock("2019-12-02T13:00:00+01:00").await;
        let one = w.get_stay(id).await;
        assert_eq!(one["status"], "active");
        assert_eq!(states(&one)[0].1, "no_show");
        // After the second, it ends: later nights are released, karenstid stays.
        w.app.set_clock("2019-12-03T13:00:00+01:00").await;
        let two = w.get_stay(id).await;
        assert_eq!(two["status"], "ended");
        assert_eq!(two["eligible_again_from"], "2019-12-08");
        assert_eq!(states(&two), nights(&[
            ("2019-12-01", "no_show"), ("2019-12-02", "no_show"), ("2019-12-03", "released"),
            ("2019-12-04", "released"), ("2019-12-05", "released"),
        ]));
        assert_eq!(w.eligibility(&g, "2019-12-03").await["code"], "in-quarantine");
        // The place is free for someone else tonight.
        let other = w.stay(json!({"guest_id": w.man().await, "shelter_id": w.a.id, "place_id": w.a.place("R1")})).await;
        assert_eq!(other["first_night"], "2019-12-03");
        // The guest arriving is told the reservation was released.
        let res = w.act(id, "check-ins", json!({})).await;
        let p = assert_problem(res, 409, "reservation-released").await;
        assert!(p["free_places"].as_array().unwrap().iter().any(|f| f["place_id"] == w.a.place("R2")));
    }

    async fn every_instance_sees_the_no_shows_without_a_background_job(b: Backend) {
        let w = world(b).await;
        let s = w.stay(json!({"guest_id": w.man().await, "shelter_id": w.a.id})).await;
        let id = s["id"].as_str().unwrap();
        // A second instance on the same database, its clock set two days on.
        let other = w.app.another_instance();
        let res = w.app.client.put(format!("{other}/api/v1/admin/clock")).bearer_auth(&w.app.admin_token)
            .json(&json!({"now": "2019-12-03T13:00:00+01:00"})).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let res = w.app.client.get(format!("{other}/api/v1/stays/{id}")).bearer_auth(&w.coordinator).send().await.unwrap();
        let seen: Value = res.json().await.unwrap();
        assert_eq!(seen["status"], "ended");
        assert_eq!(states(&seen)[2].1, "released");
        // The first instance, at the same time, reads the same.
        w.app.set_clock("2019-12-03T13:00:00+01:00").await;
        assert_eq!(w.get_stay(id).await, seen);
    }

    async fn an_ended_stay_is_seen_ended_by_intake_without_reading_it_first(b: Backend) {
        // Nobody looks at the stay: the intake itself settles the no-shows.
        let w = world(b).await;
        let g = w.man().await;
        w.stay(json!({"guest_id": g, "shelter_id": w.a.id})).await;
        w.app.set_clock("2019-12-04T13:00:00+01:00").await;
        let res = w.request_stay(&w.coordinator, json!({"guest_id": g, "shelter_id": w.b.id})).await;
        assert_eq!(assert_problem(res, 409, "in-quarantine").await["eligible_from"], "2019-12-08");
    }

    async fn check_in_only_tonight_and_within_the_stay(b: Backend) {
        let w = world(b).await;
        let s = w.stay(json!({"guest_id": w.man().await, "shelter_id": w.a.id, "first_night": "2019-12-02"})).await;
        let id = s["id"].as_str().unwrap();
        let res = w.act(id, "check-ins", json!({"night": "2019-12-02"})).await;
        let p = assert_problem(res, 409, "night-out-of-range").await;
        assert_eq!(p["earliest"], "2019-12-01");
        let res = w.act(id, "check-ins", json!({})).await;
        let p = assert_problem(res, 409, "night-out-of-range").await;
        assert_eq!(p["earliest"], "2019-12-02");
        assert_eq!(p["latest"], "2019-12-06");
        let res = w.act(id, "check-ins", json!({"night": "tonight"})).await;
        assert_eq!(error_fields(&assert_problem(res, 422, "validation-failed").await), vec!["night"]);
        // No body at all is tonight.
        w.app.set_clock("2019-12-02T20:00:00+01:00").await;
        let res = w.app.client.post(w.app.url(&format!("/api/v1/stays/{id}/check-ins"))).bearer_auth(&w.coordinator).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let c: Value = res.json().await.unwrap();
        assert_eq!(c["stay_id"], s["id"]);
        assert_eq!(c["night"], "2019-12-02");
        assert_eq!(c["place_id"], s["nights"][0]["place_id"]);
        assert_eq!(c["checked_in_at"], "2019-12-02T19:00:00Z");
    }

    async fn shelter_staff_work_only_at_their_shelters(b: Backend) {
        let w = world(b).await;
        let g = w.man().await;
        let res = w.request_stay(&w.desk_a, json!({"guest_id": g, "shelter_id": w.b.id})).await;
        assert_problem(res, 403, "forbidden").await;
        let res = w.request_stay(&w.desk_a, json!({"guest_id": g, "shelter_id": w.a.id})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let other = w.stay(json!({"guest_id": w.man().await, "shelter_id": w.b.id})).await;
        let id = other["id"].as_str().unwrap();
        assert_problem(w.app.get(&format!("/api/v1/stays/{id}"), Some(&w.desk_a)).await, 403, "forbidden").await;
        let res = w.app.post(&format!("/api/v1/stays/{id}/check-ins"), Some(&w.desk_a), &json!({})).await;
        assert_problem(res, 403, "forbidden").await;
        let emergency = w.app.user_token("sj.night", &["social_emergency"], &[]).await;
        let res = w.request_stay(&emergency, json!({"guest_id": w.man().await, "shelter_id": w.a.id})).await;
        assert_problem(res, 403, "forbidden").await;
        assert_problem(w.app.get(&format!("/api/v1/stays/{id}"), None).await, 401, "unauthorized").await;
        assert_problem(w.app.get("/api/v1/stays/not-an-id", Some(&w.coordinator)).await, 404, "not-found").await;
    }

    async fn stay_requests_are_validated(b: Backend) {
        let w = world(b).await;
        let g = w.man().await;
        let res = w.request_stay(&w.coordinator, json!({"guest_id": "x", "shelter_id": "y", "place_id": "z", "category": "vip", "first_night": "12/01"})).await;
        let p = assert_problem(res, 422, "validation-failed").await;
        assert_eq!(error_fields(&p), vec!["guest_id", "shelter_id", "place_id", "category", "first_night"]);
        let res = w.request_stay(&w.coordinator, json!({"guest_id": g})).await;
        assert_eq!(error_fields(&assert_problem(res, 422, "validation-failed").await), vec!["shelter_id"]);
        let res = w.request_stay(&w.coordinator, json!({"guest_id": uuid::Uuid::new_v4().to_string(), "shelter_id": w.a.id})).await;
        assert_problem(res, 404, "not-found").await;
        let res = w.request_stay(&w.coordinator, json!({"guest_id": g, "shelter_id": uuid::Uuid::new_v4().to_string()})).await;
        assert_problem(res, 404, "not-found").await;
    }

    async fn refusals_are_counted_as_turnaways_without_names(b: Backend) {
        let w = world_with(b, &[("R1", "regular")], &[]).await;
        w.stay(json!({"guest_id": w.man().await, "shelter_id": w.a.id})).await;
        let woman = w.guest("woman", "PL", 1990).await;
        let res = w.request_stay(&w.coordinator, json!({"guest_id": woman, "shelter_id": w.a.id})).await;
        assert_problem(res, 409, "no-free-place").await;
        let swede = w.guest("man", "SE", 1950).await;
        assert_problem(w.request_stay(&w.coordinator, json!({"guest_id": swede, "shelter_id": w.a.id})).await, 409, "outside-target-group").await;
        let child = w.guest("other", "RO", 2003).await;
        assert_problem(w.request_stay(&w.coordinator, json!({"guest_id": child, "shelter_id": w.a.id})).await, 409, "minor").await;
        let rows = {
            let mut conn = w.app.conn();
            nattplats::db::bans::turnaways_on(&mut conn, chrono::NaiveDate::from_ymd_opt(2019, 12, 1).unwrap()).unwrap()
        };
        let seen: Vec<(String, String, String, String)> = rows
            .iter()
            .map(|t| (t.reason.clone(), t.gender.clone(), t.age_band.clone(), t.citizenship.clone()))
            .collect();
        assert_eq!(seen, vec![
            ("no-free-place".into(), "woman".into(), "26-35".into(), "PL".into()),
            ("outside-target-group".into(), "man".into(), "66+".into(), "SE".into()),
            ("minor".into(), "other".into(), "under-18".into(), "RO".into()),
        ]);
        assert!(rows.iter().all(|t| t.shelter_id.as_deref() == Some(w.a.id.as_str()) && t.kind == "stay"));
    }

    async fn every_answer_that_names_a_place_gives_its_label(b: Backend) {
        let w = world(b).await;
        let s = w.stay(json!({"guest_id": w.man().await, "shelter_id": w.a.id})).await;
        let id = s["id"].as_str().unwrap();
        let labels = |s: &Value| -> Vec<(String, String, String)> {
            s["nights"].as_array().unwrap().iter().map(|n| (
                n["place_id"].as_str().unwrap().to_owned(),
                n["place_label"].as_str().unwrap().to_owned(),
                n["label"].as_str().unwrap().to_owned(),
            )).collect()
        };
        let r1 = (w.a.place("R1"), "R1".to_owned(), "R1".to_owned());
        assert_eq!(labels(&s), vec![r1; 5]);
        // Moved from tonight on: every night names its new bed.
        let res = w.act(id, "move", json!({"place_id": w.a.place("R2")})).await;
        assert_eq!(res.status(), StatusCode::OK);
        let moved: Value = res.json().await.unwrap();
        let r2 = (w.a.place("R2"), "R2".to_owned(), "R2".to_owned());
        assert_eq!(labels(&moved), vec![r2.clone(); 5]);
        assert_eq!(labels(&w.get_stay(id).await), vec![r2; 5]);
        let res = w.act(id, "check-ins", json!({})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let checked_in: Value = res.json().await.unwrap();
        assert_eq!(checked_in["place_id"], w.a.place("R2"));
        assert_eq!(checked_in["place_label"], "R2");
        // The same check-in again answers the same.
        let again: Value = w.act(id, "check-ins", json!({})).await.json().await.unwrap();
        assert_eq!(again["place_label"], "R2");
        // A late guest whose bed was taken is offered free beds by label.
        let late = w.stay(json!({"guest_id": w.man().await, "shelter_id": w.b.id, "place_id": w.b.place("R1")})).await;
        w.app.set_clock("2019-12-01T23:30:00+01:00").await;
        let taken = w.app.post("/api/v1/placements", Some(&w.coordinator),
            &json!({"guest_id": w.man().await, "kind": "emergency", "shelter_id": w.b.id, "reason": "acute"})).await;
        assert_eq!(taken.status(), StatusCode::CREATED);
        let taken: Value = taken.json().await.unwrap();
        assert_eq!((&taken["place_id"], &taken["place_label"]), (&json!(w.b.place("R1")), &json!("R1")));
        let res = w.act(late["id"].as_str().unwrap(), "check-ins", json!({})).await;
        let p = assert_problem(res, 409, "reservation-released").await;
        let free = p["free_places"].as_array().unwrap();
        assert!(!free.is_empty() && free.iter().all(|f| f["label"].is_string()), "{p}");
    }
}
