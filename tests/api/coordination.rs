//! Free beds overnight, cold nights and single-night placements
//! (RULES.md §5, §6), on both backends.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::world::*;

pub(crate) async fn availability(app: &TestApp, token: &str, night: Option<&str>) -> Value {
    let path = match night {
        Some(n) => format!("/api/v1/availability?night={n}"),
        None => "/api/v1/availability".to_owned(),
    };
    let res = app.get(&path, Some(token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let view: Value = res.json().await.unwrap();
    assert_counts_agree(app, token, &view).await;
    view
}

/// The counts question (`places=false`, answered from the counts kept by
/// triggers) must give what the list of free places gives, per shelter
/// and category, for the same night.
async fn assert_counts_agree(app: &TestApp, token: &str, listed: &Value) {
    let night = listed["night"].as_str().unwrap();
    let res = app
        .get(
            &format!("/api/v1/availability?places=false&night={night}"),
            Some(token),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let counted: Value = res.json().await.unwrap();
    assert_eq!(counted["free"], listed["free"], "totals of {night}");
    for s in listed["shelters"].as_array().unwrap() {
        let mut by_category = json!({"regular": 0, "women": 0, "overflow": 0});
        for p in s["free_places"].as_array().unwrap() {
            let c = p["category"].as_str().unwrap();
            by_category[c] = json!(by_category[c].as_u64().unwrap() + 1);
        }
        assert_eq!(s["free"], by_category, "list of {}", s["shelter_id"]);
        assert_eq!(
            shelter(&counted, s["shelter_id"].as_str().unwrap())["free"],
            by_category,
            "counts of {} on {night}",
            s["shelter_id"]
        );
    }
}

pub(crate) fn shelter<'a>(view: &'a Value, id: &str) -> &'a Value {
    view["shelters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["shelter_id"] == id)
        .expect("shelter in availability")
}

async fn place(w: &World, token: &str, body: Value) -> reqwest::Response {
    w.app.post("/api/v1/placements", Some(token), &body).await
}

backend_tests! {
    async fn availability_of_the_stockholm_seed(b: Backend) {
        let app = spawn_app(b).await;
        let outreach = app.user_token("eu.team", &["outreach"], &[]).await;
        let v = availability(&app, &outreach, None).await;
        assert_eq!(v["cold_night"], false);
        assert_eq!(v["free"], json!({"regular": 95, "women": 20, "overflow": 0}));
        assert_eq!(v["shelters"].as_array().unwrap().len(), 3);
        for s in v["shelters"].as_array().unwrap() {
            let listed = s["free_places"].as_array().unwrap().len() as u64;
            let counted = s["free"]["regular"].as_u64().unwrap() + s["free"]["women"].as_u64().unwrap();
            assert_eq!(listed, counted);
            assert!(s["name"].is_string());
        }
        let p = assert_problem(app.get("/api/v1/availability?night=soon", Some(&outreach)).await, 422, "validation-failed").await;
        assert_eq!(error_fields(&p), vec!["night"]);
        assert_problem(app.get("/api/v1/availability", None).await, 401, "unauthorized").await;
    }

    async fn availability_follows_stays_no_shows_and_outages(b: Backend) {
        let w = world(b).await;
        let v = availability(&w.app, &w.coordinator, None).await;
        assert_eq!(v["night"], "2019-12-01");
        assert_eq!(v["free"], json!({"regular": 3, "women": 2, "overflow": 0}));
        let s = w.stay(json!({"guest_id": w.man().await, "shelter_id": w.a.id})).await;
        let v = availability(&w.app, &w.coordinator, None).await;
        assert_eq!(shelter(&v, &w.a.id)["free"], json!({"regular": 1, "women": 1, "overflow": 0}));
        let listed: Vec<&str> = shelter(&v, &w.a.id)["free_places"].as_array().unwrap().iter().map(|p| p["label"].as_str().unwrap()).collect();
        assert_eq!(listed, vec!["R2", "W1"]);
        // Tomorrow the place is held too.
        let t = availability(&w.app, &w.coordinator, Some("2019-12-02")).await;
        assert_eq!(shelter(&t, &w.a.id)["free"]["regular"], 1);
        // After the cutoff tonight's unclaimed reservation frees the place tonight only.
        w.app.set_clock("2019-12-01T23:00:00+01:00").await;
        let v = availability(&w.app, &w.coordinator, None).await;
        assert_eq!(shelter(&v, &w.a.id)["free"]["regular"], 2);
        let t = availability(&w.app, &w.coordinator, Some("2019-12-02")).await;
        assert_eq!(shelter(&t, &w.a.id)["free"]["regular"], 1);
        // A checked-in guest holds the place after the cutoff.
        let res = w.act(s["id"].as_str().unwrap(), "check-ins", json!({})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let v = availability(&w.app, &w.coordinator, None).await;
        assert_eq!(shelter(&v, &w.a.id)["free"]["regular"], 1);
        // A place out of service is never free; one a guest holds cannot be taken out.
        let path = format!("/api/v1/shelters/{}/places/{}/out-of-service", w.b.id, w.b.place("R1"));
        let res = w.app.post(&path, Some(&w.desk_a), &json!({"first_night": "2019-12-01", "last_night": "2019-12-01", "reason": "bedbugs"})).await;
        assert_problem(res, 403, "forbidden").await;
        let res = w.app.post(&path, Some(&w.coordinator), &json!({"first_night": "2019-12-01", "last_night": "2019-12-01", "reason": "bedbugs"})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let held = format!("/api/v1/shelters/{}/places/{}/out-of-service", w.a.id, w.a.place("R1"));
        let res = w.app.post(&held, Some(&w.coordinator), &json!({"first_night": "2019-12-02", "last_night": "2019-12-03", "reason": "paint"})).await;
        assert_problem(res, 409, "place-held").await;
        let res = w.app.post(&held, Some(&w.coordinator), &json!({"first_night": "2019-12-03", "last_night": "2019-12-02", "reason": ""})).await;
        assert_eq!(error_fields(&assert_problem(res, 422, "validation-failed").await), vec!["last_night", "reason"]);
        let v = availability(&w.app, &w.coordinator, None).await;
        assert_eq!(shelter(&v, &w.b.id)["free"]["regular"], 0);
        let t = availability(&w.app, &w.coordinator, Some("2019-12-02")).await;
        assert_eq!(shelter(&t, &w.b.id)["free"]["regular"], 1);
    }

    async fn availability_answers_counts_only_or_one_shelter(b: Backend) {
        let w = world(b).await;
        w.stay(json!({"guest_id": w.man().await, "shelter_id": w.a.id})).await;
        let full = availability(&w.app, &w.coordinator, None).await;
        // Counts only: the same figures without the lists.
        let res = w.app.get("/api/v1/availability?places=false", Some(&w.coordinator)).await;
        assert_eq!(res.status(), StatusCode::OK);
        let counts: Value = res.json().await.unwrap();
        assert_eq!(counts["free"], full["free"]);
        for s in counts["shelters"].as_array().unwrap() {
            assert!(s.get("free_places").is_none(), "{s}");
            assert_eq!(s["free"], shelter(&full, s["shelter_id"].as_str().unwrap())["free"]);
        }
        // One shelter: its figures are the totals.
        let res = w.app.get(&format!("/api/v1/availability?shelter_id={}", w.b.id), Some(&w.coordinator)).await;
        let one: Value = res.json().await.unwrap();
        assert_eq!(one["shelters"].as_array().unwrap().len(), 1);
        assert_eq!(one["free"], json!({"regular": 1, "women": 1, "overflow": 0}));
        assert_eq!(one["shelters"][0]["free_places"].as_array().unwrap().len(), 2);
        let res = w.app.get(&format!("/api/v1/availability?shelter_id={}", w.a.id), Some(&w.coordinator)).await;
        let one: Value = res.json().await.unwrap();
        assert_eq!(one["free"], json!({"regular": 1, "women": 1, "overflow": 0}));
        assert_eq!(one["shelters"][0]["free_places"][0]["label"], "R2");
        // Refusals name what is wrong.
        let unknown = "00000000-0000-4000-8000-000000000000";
        assert_problem(w.app.get(&format!("/api/v1/availability?shelter_id={unknown}"), Some(&w.coordinator)).await, 404, "not-found").await;
        let p = assert_problem(w.app.get("/api/v1/availability?shelter_id=A", Some(&w.coordinator)).await, 422, "validation-failed").await;
        assert_eq!(error_fields(&p), vec!["shelter_id"]);
        let p = assert_problem(w.app.get("/api/v1/availability?places=maybe", Some(&w.coordinator)).await, 422, "validation-failed").await;
        assert_eq!(error_fields(&p), vec!["places"]);
    }

    async fn kept_counts_follow_every_act_on_a_booking(b: Backend) {
        // `availability` checks at each step that the counts question,
        // answered from the counts the triggers keep, says what the list
        // of free places says; the figures are checked here as well.
        let w = world(b).await;
        let free = |v: &Value, s: &str| shelter(v, s)["free"].clone();
        let man = w.stay(json!({"guest_id": w.man().await, "shelter_id": w.a.id})).await;
        let woman = w.stay(json!({"guest_id": w.woman().await, "shelter_id": w.a.id})).await;
        let other = w.stay(json!({"guest_id": w.man().await, "shelter_id": w.b.id})).await;
        let v = availability(&w.app, &w.coordinator, None).await;
        assert_eq!(free(&v, &w.a.id), json!({"regular": 1, "women": 0, "overflow": 0}));
        assert_eq!(free(&v, &w.b.id), json!({"regular": 0, "women": 1, "overflow": 0}));
        // A move takes the remaining nights to the other shelter's free place ...
        let id = man["id"].as_str().unwrap();
        let res = w.act(other["id"].as_str().unwrap(), "move", json!({"place_id": w.a.place("R2")})).await;
        assert_eq!(res.status(), StatusCode::OK);
        let v = availability(&w.app, &w.coordinator, None).await;
        assert_eq!(free(&v, &w.a.id), json!({"regular": 0, "women": 0, "overflow": 0}));
        assert_eq!(free(&v, &w.b.id), json!({"regular": 1, "women": 1, "overflow": 0}));
        // ... a void gives every night back ...
        let res = w.act(other["id"].as_str().unwrap(), "void", json!({"reason": "wrong guest"})).await;
        assert_eq!(res.status(), StatusCode::OK);
        let t = availability(&w.app, &w.coordinator, Some("2019-12-03")).await;
        assert_eq!(free(&t, &w.a.id), json!({"regular": 1, "women": 0, "overflow": 0}));
        // ... a checked-in guest who ends the stay keeps tonight only.
        assert_eq!(w.act(id, "check-ins", json!({})).await.status(), StatusCode::CREATED);
        assert_eq!(w.act(id, "end", json!({"reason": "found a room"})).await.status(), StatusCode::OK);
        let v = availability(&w.app, &w.coordinator, None).await;
        assert_eq!(free(&v, &w.a.id), json!({"regular": 1, "women": 0, "overflow": 0}));
        let t = availability(&w.app, &w.coordinator, Some("2019-12-02")).await;
        assert_eq!(free(&t, &w.a.id), json!({"regular": 2, "women": 0, "overflow": 0}));
        // After the cutoff the woman's unclaimed reservation no longer holds
        // tonight; a stay granted after the cutoff does.
        w.app.set_clock("2019-12-01T23:30:00+01:00").await;
        let v = availability(&w.app, &w.coordinator, None).await;
        assert_eq!(free(&v, &w.a.id), json!({"regular": 1, "women": 1, "overflow": 0}));
        let late = w.stay(json!({"guest_id": w.man().await, "shelter_id": w.b.id})).await;
        assert_eq!(late["first_night"], "2019-12-01");
        let v = availability(&w.app, &w.coordinator, None).await;
        assert_eq!(free(&v, &w.b.id), json!({"regular": 0, "women": 1, "overflow": 0}));
        assert_eq!(v["free"], json!({"regular": 1, "women": 2, "overflow": 0}));
        // The woman arrives late: her place was still free, so it holds again.
        assert_eq!(w.act(woman["id"].as_str().unwrap(), "check-ins", json!({})).await.status(), StatusCode::CREATED);
        let v = availability(&w.app, &w.coordinator, None).await;
        assert_eq!(free(&v, &w.a.id), json!({"regular": 1, "women": 0, "overflow": 0}));
        // An emergency placement on the last regular place.
        let res = place(&w, &w.coordinator, json!({"guest_id": w.man().await, "kind": "emergency", "shelter_id": w.a.id, "reason": "acute"})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let v = availability(&w.app, &w.coordinator, None).await;
        assert_eq!(v["free"], json!({"regular": 0, "women": 1, "overflow": 0}));
        // The kept counts are what the rows say.
        let mut conn = w.app.conn();
        let report = nattplats::db::invariants::check(&mut conn).unwrap();
        assert!(report.holds(), "{report:?}");
    }

    async fn repeated_answers_never_lag_behind_a_change(b: Backend) {
        // Each read below follows a write and would show the old figure if
        // a cached answer outlived the write.
        let w = world(b).await;
        let before = availability(&w.app, &w.coordinator, None).await;
        assert_eq!(before["shelters"].as_array().unwrap().len(), 2);
        assert_eq!(availability(&w.app, &w.coordinator, None).await, before);
        // A new shelter with a place (writes that tell no screen explicitly).
        let res = w.app.post("/api/v1/shelters", Some(&w.app.admin_token), &json!({"name": "Nytt härbärge", "organization": "Convictus"})).await;
        let c: Value = res.json().await.unwrap();
        let v = availability(&w.app, &w.coordinator, None).await;
        assert_eq!(v["shelters"].as_array().unwrap().len(), 3);
        let path = format!("/api/v1/shelters/{}/places", c["id"].as_str().unwrap());
        let res = w.app.post(&path, Some(&w.app.admin_token), &json!({"label": "R1", "category": "regular"})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let v = availability(&w.app, &w.coordinator, Some("2019-12-01")).await;
        assert_eq!(v["free"]["regular"], 4);
        // An intake, and the counts-only and one-shelter answers follow too.
        w.stay(json!({"guest_id": w.man().await, "shelter_id": w.a.id})).await;
        let res = w.app.get("/api/v1/availability?places=false", Some(&w.coordinator)).await;
        assert_eq!(res.json::<Value>().await.unwrap()["free"]["regular"], 3);
        let res = w.app.get(&format!("/api/v1/availability?shelter_id={}", w.a.id), Some(&w.coordinator)).await;
        assert_eq!(res.json::<Value>().await.unwrap()["free"]["regular"], 1);
        // The clock passing the cutoff frees tonight's unclaimed place.
        w.app.set_clock("2019-12-01T23:30:00+01:00").await;
        let v = availability(&w.app, &w.coordinator, None).await;
        assert_eq!(v["free"]["regular"], 4);
    }

    async fn a_cold_night_opens_overflow_places_for_anyone_in_the_target_group(b: Backend) {
        let w = world(b).await;
        // A guest in karenstid.
        let g = w.man().await;
        w.app.set_clock("2019-11-25T18:00:00+01:00").await;
        w.stay(json!({"guest_id": g, "shelter_id": w.b.id})).await;
        w.app.set_clock("2019-12-01T18:00:00+01:00").await;
        assert_eq!(w.eligibility(&g, "2019-12-01").await["code"], "in-quarantine");
        // Not a cold night yet.
        let res = place(&w, &w.desk_a, json!({"guest_id": g, "kind": "cold_night", "reason": "minus fifteen"})).await;
        assert_problem(res, 409, "not-a-cold-night").await;
        let staff_declares = w.app.put("/api/v1/cold-nights/2019-12-01", Some(&w.desk_a), &json!({"reason": "x", "overflow": []})).await;
        assert_problem(staff_declares, 403, "forbidden").await;
        let res = w.app.put("/api/v1/cold-nights/2019-12-01", Some(&w.coordinator), &json!({
            "reason": "SMHI: minus 15", "forecast_min_c": -15.0,
            "overflow": [{"shelter_id": w.a.id, "places": 2}]})).await;
        assert_eq!(res.status(), StatusCode::OK);
        let declared: Value = res.json().await.unwrap();
        assert_eq!(declared, json!({"night": "2019-12-01", "reason": "SMHI: minus 15", "forecast_min_c": -15.0,
                                    "overflow": [{"shelter_id": w.a.id, "places": 2}]}));
        let v = availability(&w.app, &w.coordinator, None).await;
        assert_eq!(v["cold_night"], true);
        assert_eq!(shelter(&v, &w.a.id)["free"], json!({"regular": 2, "women": 1, "overflow": 2}));
        let list: Value = w.app.get("/api/v1/cold-nights?from=2019-11-30&to=2019-12-02", Some(&w.desk_a)).await.json().await.unwrap();
        assert_eq!(list.as_array().unwrap().len(), 1);
        // The guest in karenstid is given an overflow place, first.
        let res = place(&w, &w.desk_a, json!({"guest_id": g, "kind": "cold_night", "reason": "cold night"})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let pl: Value = res.json().await.unwrap();
        assert_eq!(pl["kind"], "cold_night");
        assert_eq!(pl["night"], "2019-12-01");
        assert_eq!(pl["shelter_id"], w.a.id);
        let overflow: Vec<String> = shelter(&v, &w.a.id)["free_places"].as_array().unwrap().iter()
            .filter(|p| p["category"] == "overflow").map(|p| p["place_id"].as_str().unwrap().to_owned()).collect();
        assert_eq!(pl["place_id"], overflow[0]);
        // Once placed, not twice.
        let res = place(&w, &w.coordinator, json!({"guest_id": g, "kind": "emergency", "reason": "again"})).await;
        assert_problem(res, 409, "already-placed").await;
        // The placement is not a stay: karenstid is where it was.
        let e = w.eligibility(&g, "2019-12-01").await;
        assert_eq!(e["code"], "in-quarantine");
        assert_eq!(e["eligible_from"], "2019-12-02");
        // Withdrawing or narrowing below the held place is refused; widening is fine.
        assert_problem(w.app.client.delete(w.app.url("/api/v1/cold-nights/2019-12-01")).bearer_auth(&w.coordinator).send().await.unwrap(), 409, "overflow-place-held").await;
        let res = w.app.put("/api/v1/cold-nights/2019-12-01", Some(&w.coordinator), &json!({"reason": "milder", "overflow": []})).await;
        assert_problem(res, 409, "overflow-place-held").await;
        let res = w.app.put("/api/v1/cold-nights/2019-12-01", Some(&w.coordinator), &json!({"reason": "colder", "overflow": [{"shelter_id": w.a.id, "places": 3}, {"shelter_id": w.b.id, "places": 1}]})).await;
        assert_eq!(res.status(), StatusCode::OK);
        let v = availability(&w.app, &w.coordinator, None).await;
        assert_eq!(v["free"]["overflow"], 3);
        // New stays never take overflow places.
        let stay = w.stay(json!({"guest_id": w.man().await, "shelter_id": w.b.id})).await;
        assert_ne!(stay["nights"][0]["place_id"], shelter(&v, &w.b.id)["free_places"].as_array().unwrap().iter().find(|p| p["category"] == "overflow").unwrap()["place_id"]);
        let res = w.request_stay(&w.coordinator, json!({"guest_id": w.man().await, "shelter_id": w.b.id})).await;
        assert_problem(res, 409, "no-free-place").await;
    }

    async fn the_forecast_suggests_cold_nights_but_opens_nothing(b: Backend) {
        let w = world(b).await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("forecast.json");
        std::fs::write(&file, r#"{"2019-12-01": -15.0, "2019-12-02": -3.0, "2019-12-03": -8.5, "2019-12-04": -7.0}"#).unwrap();
        let other = w.app.instance_with(|s| s.forecast = Some(nattplats::config::ForecastFile::Nights(file.clone())));
        let res = w.app.client.put(format!("{other}/api/v1/admin/clock")).bearer_auth(&w.app.admin_token)
            .json(&json!({"now": "2019-12-01T15:00:00+01:00"})).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let res = w.app.client.put(format!("{other}/api/v1/cold-nights/2019-12-01")).bearer_auth(&w.coordinator)
            .json(&json!({"reason": "declared", "overflow": []})).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let list: Vec<Value> = w.app.client.get(format!("{other}/api/v1/cold-nights?from=2019-12-01&to=2019-12-05")).bearer_auth(&w.desk_a)
            .send().await.unwrap().json().await.unwrap();
        let summary: Vec<(String, bool, bool)> = list.iter()
            .map(|e| (e["night"].as_str().unwrap().to_owned(), e["declared"].as_bool().unwrap(), e["suggested"].as_bool().unwrap()))
            .collect();
        assert_eq!(summary, vec![
            ("2019-12-01".into(), true, true),
            ("2019-12-03".into(), false, true),
            ("2019-12-04".into(), false, true),
        ]);
        assert_eq!(list[1]["forecast_min_c"], -8.5);
        // A suggestion opens no place and makes no cold night.
        let v: Value = w.app.client.get(format!("{other}/api/v1/availability?night=2019-12-03")).bearer_auth(&w.coordinator)
            .send().await.unwrap().json().await.unwrap();
        assert_eq!(v["cold_night"], false);
        assert_eq!(v["free"]["overflow"], 0);
    }

    async fn withdrawing_an_unused_cold_night_closes_its_places(b: Backend) {
        let w = world(b).await;
        let res = w.app.put("/api/v1/cold-nights/2019-12-02", Some(&w.coordinator), &json!({"reason": "forecast", "overflow": [{"shelter_id": w.b.id, "places": 4}]})).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(availability(&w.app, &w.coordinator, Some("2019-12-02")).await["free"]["overflow"], 4);
        assert_eq!(availability(&w.app, &w.coordinator, None).await["free"]["overflow"], 0);
        let res = w.app.client.delete(w.app.url("/api/v1/cold-nights/2019-12-02")).bearer_auth(&w.coordinator).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        let v = availability(&w.app, &w.coordinator, Some("2019-12-02")).await;
        assert_eq!(v["cold_night"], false);
        assert_eq!(v["free"]["overflow"], 0);
        let res = w.app.client.delete(w.app.url("/api/v1/cold-nights/2019-12-02")).bearer_auth(&w.coordinator).send().await.unwrap();
        assert_problem(res, 404, "not-found").await;
        // Past nights and nights far ahead cannot be declared; fields are checked.
        let res = w.app.put("/api/v1/cold-nights/2019-11-30", Some(&w.coordinator), &json!({"reason": "late"})).await;
        assert_problem(res, 409, "night-out-of-range").await;
        let res = w.app.put("/api/v1/cold-nights/2019-12-01", Some(&w.coordinator), &json!({"reason": "", "forecast_min_c": -90.0, "overflow": [{"shelter_id": "x", "places": 1}]})).await;
        let p = assert_problem(res, 422, "validation-failed").await;
        assert_eq!(error_fields(&p), vec!["reason", "forecast_min_c", "overflow[0].shelter_id"]);
        let res = w.app.put("/api/v1/cold-nights/tonight", Some(&w.coordinator), &json!({"reason": "x"})).await;
        assert_problem(res, 422, "validation-failed").await;
    }

    async fn socialjouren_places_a_guest_in_karenstid(b: Backend) {
        let w = world(b).await;
        let g = w.woman().await;
        w.app.set_clock("2019-11-23T18:00:00+01:00").await;
        w.stay(json!({"guest_id": g, "shelter_id": w.b.id})).await;
        w.app.set_clock("2019-12-01T02:00:00+01:00").await;
        assert_eq!(w.eligibility(&g, "2019-11-30").await["code"], "in-quarantine");
        let sj = w.app.user_token("sj.night", &["social_emergency"], &[]).await;
        let res = place(&w, &sj, json!({"guest_id": g, "kind": "emergency", "reason": "found outside at -12"})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let pl: Value = res.json().await.unwrap();
        assert_eq!(pl["night"], "2019-11-30");
        assert_eq!(pl["kind"], "emergency");
        // A woman is given a women's place first.
        let women: Vec<String> = [&w.a, &w.b].iter().map(|s| s.place("W1")).collect();
        assert!(women.contains(&pl["place_id"].as_str().unwrap().to_owned()), "{pl}");
        // Shelter staff may not make emergency placements.
        let res = place(&w, &w.desk_a, json!({"guest_id": w.man().await, "kind": "emergency", "reason": "x"})).await;
        assert_problem(res, 403, "forbidden").await;
        // Only tonight.
        let res = place(&w, &sj, json!({"guest_id": w.man().await, "kind": "emergency", "reason": "x", "night": "2019-12-01"})).await;
        assert_problem(res, 409, "night-out-of-range").await;
    }

    async fn placements_respect_bans_categories_age_and_the_target_group(b: Backend) {
        let w = world(b).await;
        let man = w.man().await;
        let res = place(&w, &w.coordinator, json!({"guest_id": man, "kind": "emergency", "place_id": w.a.place("W1"), "reason": "x"})).await;
        assert_problem(res, 409, "category-not-allowed").await;
        let res = w.app.post("/api/v1/bans", Some(&w.coordinator), &json!({"guest_id": man, "shelter_id": w.a.id, "first_night": "2019-12-01", "last_night": "2019-12-31", "reason": "threats"})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let res = place(&w, &w.coordinator, json!({"guest_id": man, "kind": "emergency", "shelter_id": w.a.id, "reason": "x"})).await;
        assert_problem(res, 409, "banned").await;
        let res = place(&w, &w.coordinator, json!({"guest_id": man, "kind": "emergency", "reason": "x"})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        assert_eq!(res.json::<Value>().await.unwrap()["shelter_id"], w.b.id);
        let swede = w.guest("woman", "SE", 1970).await;
        assert_problem(place(&w, &w.coordinator, json!({"guest_id": swede, "kind": "emergency", "reason": "x"})).await, 409, "outside-target-group").await;
        let child = w.guest("man", "RO", 2006).await;
        assert_problem(place(&w, &w.coordinator, json!({"guest_id": child, "kind": "emergency", "reason": "x"})).await, 409, "minor").await;
        // A guest with a place tonight cannot be given a stay from tonight either.
        let res = w.request_stay(&w.coordinator, json!({"guest_id": man, "shelter_id": w.b.id})).await;
        assert_problem(res, 409, "already-placed").await;
        // Validation.
        let res = place(&w, &w.coordinator, json!({"guest_id": "x", "kind": "hotel", "reason": ""})).await;
        let p = assert_problem(res, 422, "validation-failed").await;
        assert_eq!(error_fields(&p), vec!["kind", "guest_id", "reason"]);
    }

    async fn shelter_staff_place_on_cold_nights_at_their_shelters_only(b: Backend) {
        let w = world(b).await;
        let res = w.app.put("/api/v1/cold-nights/2019-12-01", Some(&w.coordinator), &json!({"reason": "cold", "overflow": [{"shelter_id": w.b.id, "places": 1}]})).await;
        assert_eq!(res.status(), StatusCode::OK);
        let g = w.man().await;
        let res = place(&w, &w.desk_a, json!({"guest_id": g, "kind": "cold_night", "shelter_id": w.b.id, "reason": "x"})).await;
        assert_problem(res, 403, "forbidden").await;
        // Without a shelter, only the desk's own shelter is searched: A has no overflow, so a regular place.
        let res = place(&w, &w.desk_a, json!({"guest_id": g, "kind": "cold_night", "reason": "x"})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let pl: Value = res.json().await.unwrap();
        assert_eq!(pl["shelter_id"], w.a.id);
        assert_eq!(pl["place_id"], w.a.place("R1"));
    }

    async fn a_full_night_is_no_free_place_with_alternatives(b: Backend) {
        let w = world_with(b, &[("R1", "regular")], &[("R1", "regular")]).await;
        w.stay(json!({"guest_id": w.man().await, "shelter_id": w.a.id})).await;
        let res = place(&w, &w.coordinator, json!({"guest_id": w.man().await, "kind": "emergency", "shelter_id": w.a.id, "reason": "x"})).await;
        let p = assert_problem(res, 409, "no-free-place").await;
        assert_eq!(p["alternatives"], json!([{"shelter_id": w.b.id, "free": {"regular": 1, "women": 0}}]));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_read_through_one_instance_follows_a_write_through_another() {
    if !postgres_enabled() {
        return;
    }
    let w = world(Backend::Postgres).await;
    let other = w.app.another_instance();
    let read_other = || async {
        let res = w
            .app
            .client
            .get(format!("{other}/api/v1/availability?night=2019-12-01"))
            .bearer_auth(&w.coordinator)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        res.json::<Value>().await.unwrap()
    };
    // The other instance has answered (and kept) the question twice.
    assert_eq!(read_other().await["free"]["regular"], 3);
    assert_eq!(read_other().await["free"]["regular"], 3);
    // An intake through this instance; the other answers the change at
    // once, not when it hears of it.
    w.stay(json!({"guest_id": w.man().await, "shelter_id": w.a.id}))
        .await;
    assert_eq!(read_other().await["free"]["regular"], 2);
    // A place taken out of service directly in the database shows as well.
    let mut conn = w.app.conn();
    nattplats::db::places::insert_outage(
        &mut conn,
        &nattplats::db::places::OutageRow {
            id: "00000000-0000-4000-8000-00000000000a".into(),
            place_id: w.b.place("R1"),
            first_night: "2019-12-01".parse().unwrap(),
            last_night: "2019-12-01".parse().unwrap(),
            reason: "flood".into(),
            created_at: chrono::Utc::now().naive_utc(),
        },
    )
    .unwrap();
    assert_eq!(read_other().await["free"]["regular"], 1);
}
