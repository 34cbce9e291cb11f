//! Intake by lottery: a fair draw that anyone can replay.

use diesel::prelude::*;
use nattplats::db::schema::intake_applicants;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::world::*;

backend_tests! {
    async fn a_draw_gives_stays_to_winners_and_replays_exactly(b: Backend) {
        let w = world(b).await;
        // Someone in karenstid, and someone outside the target group.
        let waiting = w.man().await;
        w.app.set_clock("2019-11-28T18:00:00+01:00").await;
        w.stay(json!({"guest_id": waiting, "shelter_id": w.b.id})).await;
        w.app.set_clock("2019-12-01T16:00:00+01:00").await;
        let swede = w.guest("man", "SE", 1980).await;
        let res = w.app.post("/api/v1/intake-sessions", Some(&w.desk_a), &json!({"shelter_ids": [w.b.id]})).await;
        assert_problem(res, 403, "forbidden").await;
        let res = w.app.post("/api/v1/intake-sessions", Some(&w.desk_a), &json!({"shelter_ids": [w.a.id]})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let session: Value = res.json().await.unwrap();
        assert_eq!(session["status"], "open");
        assert_eq!(session["first_night"], "2019-12-01");
        let id = session["id"].as_str().unwrap().to_owned();
        let mut people = vec![waiting.clone(), swede.clone()];
        for _ in 0..3 {
            people.push(w.woman().await);
            people.push(w.man().await);
        }
        for (i, g) in people.iter().enumerate() {
            let res = w.app.post(&format!("/api/v1/intake-sessions/{id}/applicants"), Some(&w.desk_a), &json!({"guest_id": g})).await;
            assert_eq!(res.status(), StatusCode::CREATED);
            assert_eq!(res.json::<Value>().await.unwrap()["position"], i as i64 + 1);
        }
        let res = w.app.post(&format!("/api/v1/intake-sessions/{id}/applicants"), Some(&w.desk_a), &json!({"guest_id": people[3]})).await;
        assert_problem(res, 409, "already-registered").await;
        let res = w.app.post(&format!("/api/v1/intake-sessions/{id}/draw"), Some(&w.desk_a), &json!({})).await;
        assert_eq!(res.status(), StatusCode::OK);
        let drawn: Value = res.json().await.unwrap();
        assert_eq!(drawn["status"], "drawn");
        assert_eq!(drawn["seed"].as_str().unwrap().len(), 32);
        assert_eq!(drawn["women_places"], 1);
        assert_eq!(drawn["regular_places"], 2);
        let applicants = drawn["applicants"].as_array().unwrap();
        let outcome = |g: &str| applicants.iter().find(|a| a["guest_id"] == g).unwrap().clone();
        assert_eq!(outcome(&waiting)["outcome"], "ineligible");
        assert_eq!(outcome(&waiting)["code"], "in-quarantine");
        assert_eq!(outcome(&swede)["code"], "outside-target-group");
        let winners: Vec<&Value> = applicants.iter().filter(|a| a["outcome"] == "won").collect();
        assert_eq!(winners.len(), 3);
        assert_eq!(applicants.iter().filter(|a| a["outcome"] == "lost").count(), 3);
        let mut categories = Vec::new();
        for winner in &winners {
            let stay = w.get_stay(winner["stay_id"].as_str().unwrap()).await;
            assert_eq!(stay["guest_id"], winner["guest_id"]);
            assert_eq!(stay["first_night"], "2019-12-01");
            categories.push(stay["category"].as_str().unwrap().to_owned());
        }
        categories.sort();
        assert_eq!(categories, vec!["regular", "regular", "women"]);
        // Shelter A is now full for the period.
        let res = w.request_stay(&w.coordinator, json!({"guest_id": w.man().await, "shelter_id": w.a.id})).await;
        assert_problem(res, 409, "no-free-place").await;
        // The losers and the ineligible are counted as turned away.
        let reasons: Vec<String> = {
            let mut conn = w.app.conn();
            nattplats::db::bans::turnaways_on(&mut conn, chrono::NaiveDate::from_ymd_opt(2019, 12, 1).unwrap())
                .unwrap()
                .into_iter()
                .filter(|t| t.kind == "lottery")
                .map(|t| t.reason)
                .collect()
        };
        assert_eq!(reasons.iter().filter(|r| *r == "lost-draw").count(), 3);
        assert!(reasons.contains(&"in-quarantine".to_owned()) && reasons.contains(&"outside-target-group".to_owned()));
        // The draw is closed and replays to the same result.
        let res = w.app.post(&format!("/api/v1/intake-sessions/{id}/applicants"), Some(&w.desk_a), &json!({"guest_id": w.man().await})).await;
        assert_problem(res, 409, "session-closed").await;
        assert_problem(w.app.post(&format!("/api/v1/intake-sessions/{id}/draw"), Some(&w.desk_a), &json!({})).await, 409, "session-closed").await;
        let v: Value = w.app.get(&format!("/api/v1/intake-sessions/{id}/verify"), Some(&w.coordinator)).await.json().await.unwrap();
        assert_eq!(v["matches"], true, "{v}");
        assert_eq!(v["seed"], drawn["seed"]);
        let cli = |session: &str| {
            std::process::Command::new(env!("CARGO_BIN_EXE_nattplats"))
                .args(["lottery", "verify", session])
                .env_clear()
                .env("DATABASE_URL", database_url_of(&w.app))
                .env("RUST_LOG", "warn")
                .output()
                .unwrap()
        };
        assert!(cli(&id).status.success());
        // Take a winner off the recorded applicant list: the replay no longer matches.
        {
            let mut conn = w.app.conn();
            diesel::delete(intake_applicants::table.filter(intake_applicants::session_id.eq(&id)).filter(intake_applicants::guest_id.eq(winners[0]["guest_id"].as_str().unwrap())))
                .execute(&mut **conn)
                .unwrap();
        }
        let v: Value = w.app.get(&format!("/api/v1/intake-sessions/{id}/verify"), Some(&w.coordinator)).await.json().await.unwrap();
        assert_eq!(v["matches"], false, "{v}");
        assert!(!v["mismatches"].as_array().unwrap().is_empty());
        let out = cli(&id);
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("differs"));
    }

    async fn a_session_s_acts_sent_again_with_their_key_act_once(b: Backend) {
        let w = world(b).await;
        w.app.set_clock("2019-12-01T16:00:00+01:00").await;
        let send = |path: String, key: &'static str, body: Value| {
            w.app
                .client
                .post(w.app.url(&format!("/api/v1{path}")))
                .bearer_auth(&w.desk_a)
                .header("Idempotency-Key", key)
                .json(&body)
                .send()
        };
        let mut opened = Vec::new();
        for _ in 0..2 {
            let res = send("/intake-sessions".into(), "open-1", json!({"shelter_ids": [w.a.id]})).await.unwrap();
            assert_eq!(res.status(), StatusCode::CREATED);
            opened.push(res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned());
        }
        assert_eq!(opened[0], opened[1], "one session");
        let id = &opened[0];
        let g = w.man().await;
        for _ in 0..2 {
            let res = send(format!("/intake-sessions/{id}/applicants"), "apply-1", json!({"guest_id": g})).await.unwrap();
            assert_eq!(res.status(), StatusCode::CREATED, "the first answer, not already-registered");
            assert_eq!(res.json::<Value>().await.unwrap()["position"], 1);
        }
        let mut draws = Vec::new();
        for _ in 0..2 {
            let res = send(format!("/intake-sessions/{id}/draw"), "draw-1", json!({})).await.unwrap();
            assert_eq!(res.status(), StatusCode::OK, "the first answer, not session-closed");
            draws.push(res.json::<Value>().await.unwrap());
        }
        assert_eq!(draws[0], draws[1]);
        // The same key with another request is refused.
        let res = send("/intake-sessions".into(), "open-1", json!({"shelter_ids": [w.b.id]})).await.unwrap();
        let p = assert_problem(res, 422, "validation-failed").await;
        assert_eq!(error_fields(&p), vec!["Idempotency-Key"]);
        let applicants: i64 = intake_applicants::table
            .filter(intake_applicants::session_id.eq(id))
            .count()
            .get_result(&mut **w.app.conn())
            .unwrap();
        assert_eq!(applicants, 1);
    }

    async fn a_session_is_checked(b: Backend) {
        let w = world(b).await;
        let res = w.app.post("/api/v1/intake-sessions", Some(&w.coordinator), &json!({"shelter_ids": [], "first_night": "12-01"})).await;
        assert_eq!(error_fields(&assert_problem(res, 422, "validation-failed").await), vec!["shelter_ids", "first_night"]);
        let res = w.app.post("/api/v1/intake-sessions", Some(&w.coordinator), &json!({"shelter_ids": [w.a.id], "first_night": "2019-12-05"})).await;
        assert_problem(res, 409, "night-out-of-range").await;
        let res = w.app.post("/api/v1/intake-sessions", Some(&w.coordinator), &json!({"shelter_ids": [uuid::Uuid::new_v4().to_string()]})).await;
        assert_problem(res, 422, "validation-failed").await;
        let res = w.app.post("/api/v1/intake-sessions", Some(&w.coordinator), &json!({"shelter_ids": [w.a.id]})).await;
        let s: Value = res.json().await.unwrap();
        let id = s["id"].as_str().unwrap();
        assert_problem(w.app.get(&format!("/api/v1/intake-sessions/{id}/verify"), Some(&w.coordinator)).await, 409, "not-drawn").await;
        assert_eq!(w.app.get(&format!("/api/v1/intake-sessions/{id}"), Some(&w.coordinator)).await.status(), StatusCode::OK);
        assert_problem(w.app.get("/api/v1/intake-sessions/nope", Some(&w.coordinator)).await, 404, "not-found").await;
    }
}

fn database_url_of(app: &TestApp) -> String {
    match &app.settings.database {
        nattplats::config::DatabaseUrl::Sqlite(p) => format!("sqlite://{}", p.display()),
        nattplats::config::DatabaseUrl::Postgres(s) => {
            secrecy::ExposeSecret::expose_secret(s).to_owned()
        }
    }
}
