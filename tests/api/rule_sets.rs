//! Rule sets an admin can add (issue 17): `GET /rule-sets`, `POST
//! /rule-sets`; a new one is used for the stays whose first night is on or
//! after its night, without a restart and on every instance; stays already
//! granted keep theirs.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::world::*;

async fn rule_sets(w: &World, token: &str) -> Vec<Value> {
    let res = w.app.get("/api/v1/rule-sets", Some(token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

async fn add(w: &World, body: Value) -> reqwest::Response {
    w.app
        .post("/api/v1/rule-sets", Some(&w.app.admin_token), &body)
        .await
}

backend_tests! {
    async fn a_new_karenstid_applies_to_stays_from_its_night_and_not_to_those_granted(b: Backend) {
        let w = world(b).await;
        let before = rule_sets(&w, &w.desk_a).await;
        assert_eq!(before.len(), 1, "{before:?}");
        assert_eq!(before[0]["quarantine_nights"], 2);
        assert_eq!(before[0]["in_force_tonight"], true);

        // Tonight is 2019-12-01; tomorrow's stays may already be granted,
        // so the first night a new rule set may take is the 3rd.
        let res = add(&w, json!({"effective_from": "2019-12-03", "quarantine_nights": 3})).await;
        let status = res.status();
        let created: Value = res.json().await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!(created["effective_from"], "2019-12-03");
        assert_eq!(created["quarantine_nights"], 3);
        // What was left out is as in the newest rule set.
        assert_eq!(created["regular_nights"], 5);
        assert_eq!(created["women_nights"], 7);
        assert_eq!(created["no_show_cutoff"], "23:00");
        assert_eq!(created["in_force_tonight"], false);
        let after = rule_sets(&w, &w.coordinator).await;
        assert_eq!(after.len(), 2);
        assert_eq!(after[1]["id"], created["id"]);
        assert_eq!(after[0]["in_force_tonight"], true);

        // Granted tonight, under the old rules: karenstid 2.
        let tonight = w.stay(json!({"guest_id": w.man().await, "shelter_id": w.a.id})).await;
        assert_eq!(tonight["quarantine_last_night"], "2019-12-07");
        assert_eq!(tonight["eligible_again_from"], "2019-12-08");

        // A stay beginning on the 3rd: karenstid 3 (nights 8, 9, 10).
        w.app.set_clock("2019-12-03T18:00:00+01:00").await;
        let guest = w.man().await;
        let later = w.stay(json!({"guest_id": guest, "shelter_id": w.b.id})).await;
        assert_eq!(later["first_night"], "2019-12-03");
        assert_eq!(later["last_night"], "2019-12-07");
        assert_eq!(later["quarantine_last_night"], "2019-12-10");
        assert_eq!(later["eligible_again_from"], "2019-12-11");
        // The stay granted before keeps its two nights.
        let kept = w.get_stay(tonight["id"].as_str().unwrap()).await;
        assert_eq!(kept["eligible_again_from"], "2019-12-08");

        // The next intake after the stay: refused with the date it implies.
        w.app.set_clock("2019-12-09T18:00:00+01:00").await;
        let res = w.request_stay(&w.coordinator, json!({"guest_id": guest, "shelter_id": w.a.id})).await;
        let p = assert_problem(res, 409, "in-quarantine").await;
        assert_eq!(p["eligible_from"], "2019-12-11", "{p}");
        assert_eq!(w.eligibility(&guest, "2019-12-10").await["eligible"], false);
        assert_eq!(w.eligibility(&guest, "2019-12-11").await["eligible"], true);

        // On the audit trail, with the admin and the new rule set's id.
        let audit: Value = w.app.get("/api/v1/audit?limit=200", Some(&w.app.admin_token)).await.json().await.unwrap();
        let entry = audit["entries"].as_array().unwrap().iter()
            .find(|e| e["action"] == "rule_set.create")
            .unwrap_or_else(|| panic!("no rule_set.create in {audit}"));
        assert_eq!(entry["subject_id"], created["id"]);
    }

    async fn a_rule_set_that_could_catch_a_granted_stay_or_comes_before_the_newest_is_refused(b: Backend) {
        let w = world(b).await;
        for night in ["2019-11-30", "2019-12-01", "2019-12-02"] {
            let p = assert_problem(add(&w, json!({"effective_from": night})).await, 422, "validation-failed").await;
            assert_eq!(error_fields(&p), ["effective_from"], "{night}: {p}");
        }
        assert_eq!(add(&w, json!({"effective_from": "2019-12-10"})).await.status(), StatusCode::CREATED);
        for night in ["2019-12-05", "2019-12-10"] {
            let p = assert_problem(add(&w, json!({"effective_from": night})).await, 422, "validation-failed").await;
            assert_eq!(error_fields(&p), ["effective_from"], "{night}: {p}");
            assert!(p["errors"][0]["message"].as_str().unwrap().contains("2019-12-10"), "{p}");
        }
        assert_eq!(rule_sets(&w, &w.coordinator).await.len(), 2, "nothing half-written");
    }

    async fn rule_sets_added_at_once_are_kept_in_the_order_of_their_nights(b: Backend) {
        // Many at once, their nights in a shuffled order: each is checked
        // against the newest there is when it commits (the partnership's
        // row is locked on PostgreSQL), so in the order they were written
        // (their audit entries, taken under that lock) the nights rise.
        let w = world(b).await;
        let mut first = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
        let mut refused = 0;
        for round in 0..15u32 {
            let mut offsets: Vec<i64> = (1..=6).collect();
            offsets.rotate_left((round as usize * 5) % 6);
            if round % 2 == 1 {
                offsets.reverse();
            }
            let url = w.app.url("/api/v1/rule-sets");
            let sends = offsets.iter().map(|d| {
                let night = first + chrono::Duration::days(*d);
                w.app.client.post(&url).bearer_auth(&w.app.admin_token).json(&json!({"effective_from": night.to_string()})).send()
            });
            for res in futures_util::future::join_all(sends).await {
                let res = res.unwrap();
                match res.status() {
                    StatusCode::CREATED => {}
                    StatusCode::UNPROCESSABLE_ENTITY => {
                        let p: Value = res.json().await.unwrap();
                        assert_eq!(p["code"], "validation-failed", "{p}");
                        assert_eq!(error_fields(&p), ["effective_from"], "{p}");
                        refused += 1;
                    }
                    other => panic!("round {round}: {other} {}", res.text().await.unwrap()),
                }
            }
            first += chrono::Duration::days(7);
        }
        let nights: std::collections::HashMap<String, String> = rule_sets(&w, &w.app.admin_token)
            .await
            .iter()
            .map(|r| (r["id"].as_str().unwrap().to_owned(), r["effective_from"].as_str().unwrap().to_owned()))
            .collect();
        let audit: Value = w.app.get("/api/v1/audit?limit=500", Some(&w.app.admin_token)).await.json().await.unwrap();
        let mut written: Vec<(i64, String)> = audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "rule_set.create")
            .map(|e| (e["seq"].as_i64().unwrap(), nights[e["subject_id"].as_str().unwrap()].clone()))
            .collect();
        written.sort();
        assert_eq!(written.len(), nights.len() - 1, "one entry per rule set added");
        assert!(written.windows(2).all(|p| p[0].1 < p[1].1), "{written:?}");
        assert_eq!(written.len() + refused, 15 * 6);
        assert!(refused > 0, "the nights came in order every time: nothing was tried");
    }

    async fn each_setting_out_of_range_is_named(b: Backend) {
        let w = world(b).await;
        let cases = [
            (json!({"regular_nights": 0}), "regular_nights"),
            (json!({"women_nights": 0}), "women_nights"),
            (json!({"no_show_ends_stay_after": 0}), "no_show_ends_stay_after"),
            (json!({"quarantine_nights": 367}), "quarantine_nights"),
            (json!({"booking_horizon_nights": 1000}), "booking_horizon_nights"),
            (json!({"cold_night_threshold_c": -100.0}), "cold_night_threshold_c"),
            (json!({"no_show_cutoff": "25:00"}), "no_show_cutoff"),
            (json!({"no_show_cutoff": "9:00"}), "no_show_cutoff"),
            (json!({"target_citizenships": ["ro"]}), "target_citizenships"),
            (json!({"target_permit_countries": ["RO", "RO"]}), "target_permit_countries"),
        ];
        for (change, field) in cases {
            let mut body = json!({"effective_from": "2019-12-05"});
            for (k, v) in change.as_object().unwrap() {
                body[k] = v.clone();
            }
            let p = assert_problem(add(&w, body.clone()).await, 422, "validation-failed").await;
            assert_eq!(error_fields(&p), [field], "{body}: {p}");
        }
        let p = assert_problem(add(&w, json!({"effective_from": "2019-12-05", "karenstid": 3})).await, 422, "validation-failed").await;
        assert!(p["detail"].as_str().unwrap().contains("karenstid"), "{p}");
        assert_eq!(rule_sets(&w, &w.coordinator).await.len(), 1);
    }

    async fn only_the_admin_adds_a_rule_set_and_every_role_reads_them(b: Backend) {
        let w = world(b).await;
        let body = json!({"effective_from": "2019-12-05"});
        for token in [&w.coordinator, &w.desk_a] {
            assert_problem(w.app.post("/api/v1/rule-sets", Some(token), &body).await, 403, "forbidden").await;
            assert_eq!(rule_sets(&w, token).await.len(), 1);
        }
        assert_problem(w.app.get("/api/v1/rule-sets", None).await, 401, "unauthorized").await;
    }
}

/// PostgreSQL: another instance uses a new rule set without a restart, as
/// soon as it has heard of the change (the screens' stream tells when).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_instance_uses_a_new_rule_set_without_a_restart() {
    if !postgres_enabled() {
        return;
    }
    let w = world(Backend::Postgres).await;
    let other = w.app.another_instance();
    let call = |method: reqwest::Method, path: &str, token: &str, body: Value| {
        w.app
            .client
            .request(method, format!("{other}/api/v1{path}"))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    let res = call(
        reqwest::Method::PUT,
        "/admin/clock",
        &w.app.admin_token,
        json!({"now": "2019-12-03T18:00:00+01:00"}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    let sj = w
        .app
        .user_token("sj.rules", &["social_emergency"], &[])
        .await;
    let res = w
        .app
        .client
        .get(format!("{other}/api/v1/availability/stream"))
        .bearer_auth(&sj)
        .send()
        .await
        .unwrap();
    let mut stream = res.bytes_stream();
    let mut buffer = String::new();
    crate::stream::next_event(&mut stream, &mut buffer).await;

    // Added through this instance, with tonight the 1st here.
    let res = add(
        &w,
        json!({"effective_from": "2019-12-03", "regular_nights": 4}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    // Any change after it, heard by the other instance, tells that it has
    // read the rule sets again (it reads them before telling its screens):
    // here a stay from tomorrow, the 2nd, which holds a bed on the 3rd.
    w.stay(json!({"guest_id": w.man().await, "shelter_id": w.a.id, "first_night": "2019-12-02"}))
        .await;
    let heard = crate::stream::next_event(&mut stream, &mut buffer).await;
    eprintln!("HEARD {heard}");

    let guest = w.man().await;
    let res = call(
        reqwest::Method::POST,
        "/stays",
        &w.coordinator,
        json!({"guest_id": guest, "shelter_id": w.b.id}),
    )
    .await
    .unwrap();
    let status = res.status();
    let stay: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{stay}");
    assert_eq!(stay["first_night"], "2019-12-03");
    assert_eq!(stay["last_night"], "2019-12-06", "four nights: {stay}");
}
