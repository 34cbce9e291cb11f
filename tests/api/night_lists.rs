//! The night's lists a desk reads (issue 16): `GET /stays?shelter_id=&night=`
//! and `GET /placements?night=&shelter_id=`, with names and bed labels,
//! only at the caller's shelters, each guest listed on the audit trail.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::world::*;

async fn list(w: &World, token: &str, path: &str) -> Vec<Value> {
    let res = w.app.get(path, Some(token)).await;
    let status = res.status();
    let text = res.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{path} -> {text}");
    serde_json::from_str::<Vec<Value>>(&text).unwrap()
}

/// (guest, subject) of every audit entry with `action`.
async fn audited(w: &World, action: &str) -> Vec<(String, String)> {
    let audit: Value = w
        .app
        .get("/api/v1/audit?limit=200", Some(&w.app.admin_token))
        .await
        .json()
        .await
        .unwrap();
    audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == action)
        .map(|e| {
            (
                e["guest_id"].as_str().unwrap_or_default().to_owned(),
                e["subject_id"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn labels(list: &[Value]) -> Vec<&str> {
    list.iter()
        .map(|s| s["place_label"].as_str().unwrap())
        .collect()
}

fn stay_id(s: &Value) -> String {
    s["id"].as_str().unwrap().to_owned()
}

backend_tests! {
    async fn the_nights_stays_at_a_shelter_in_the_order_of_their_beds(b: Backend) {
        let w = world_with(
            b,
            &[("R1", "regular"), ("R2", "regular"), ("R3", "regular"), ("R4", "regular"), ("W1", "women")],
            &[("R1", "regular"), ("W1", "women")],
        )
        .await;
        let woman = w.stay(json!({"guest_id": w.woman().await, "shelter_id": w.a.id})).await;
        let on_r2 = w.stay(json!({"guest_id": w.man().await, "shelter_id": w.a.id, "place_id": w.a.place("R2")})).await;
        let on_r1 = w.stay(json!({"guest_id": w.man().await, "shelter_id": w.a.id, "place_id": w.a.place("R1")})).await;
        let elsewhere = w.stay(json!({"guest_id": w.man().await, "shelter_id": w.b.id})).await;
        // Ended before arriving: tonight is released, so not held.
        let ended = w.stay(json!({"guest_id": w.man().await, "shelter_id": w.a.id, "place_id": w.a.place("R3")})).await;
        assert_eq!(w.act(&stay_id(&ended), "end", json!({"reason": "left town"})).await.status(), StatusCode::OK);
        // Voided: as if it never was.
        let voided = w.stay(json!({"guest_id": w.man().await, "shelter_id": w.a.id, "place_id": w.a.place("R4")})).await;
        assert_eq!(w.act(&stay_id(&voided), "void", json!({"reason": "entered in error"})).await.status(), StatusCode::OK);

        let path = format!("/api/v1/stays?shelter_id={}", w.a.id);
        let tonight = list(&w, &w.desk_a, &path).await;
        assert_eq!(labels(&tonight), ["R1", "R2", "W1"], "{tonight:?}");
        let ids: Vec<String> = tonight.iter().map(stay_id).collect();
        assert_eq!(ids, [stay_id(&on_r1), stay_id(&on_r2), stay_id(&woman)]);
        let first = &tonight[0];
        // The stay as GET /stays/{id} gives it, with the name and the bed.
        let mut as_stay = first.as_object().unwrap().clone();
        for k in ["given_name", "family_name", "place_id", "place_label"] {
            assert!(as_stay.remove(k).is_some(), "{k} in {first}");
        }
        assert_eq!(Value::Object(as_stay), w.get_stay(&stay_id(&on_r1)).await);
        assert_eq!(first["family_name"], "Test");
        assert!(first["given_name"].as_str().unwrap().starts_with('G'));
        assert_eq!(first["place_id"], w.a.place("R1"));
        assert_eq!(first["status"], "active");
        assert!(!ids.contains(&stay_id(&elsewhere)));

        // A guest checked in and then ended is still there tonight (the
        // night is kept), not tomorrow.
        assert_eq!(w.act(&stay_id(&on_r2), "check-ins", json!({})).await.status(), StatusCode::CREATED);
        assert_eq!(w.act(&stay_id(&on_r2), "end", json!({"reason": "moved on"})).await.status(), StatusCode::OK);
        let tonight = list(&w, &w.coordinator, &format!("{path}&night=2019-12-01")).await;
        assert_eq!(labels(&tonight), ["R1", "R2", "W1"]);
        assert_eq!(tonight[1]["status"], "ended");
        let tomorrow = list(&w, &w.coordinator, &format!("{path}&night=2019-12-02")).await;
        assert_eq!(labels(&tomorrow), ["R1", "W1"]);
        // A night none of them holds.
        assert!(list(&w, &w.coordinator, &format!("{path}&night=2019-12-20")).await.is_empty());
        // Social emergency may see names too (API.md).
        let sj = w.app.user_token("socialjouren", &["social_emergency"], &[]).await;
        assert_eq!(list(&w, &sj, &format!("/api/v1/stays?shelter_id={}", w.b.id)).await.len(), 1);
    }

    async fn every_guest_listed_is_a_stay_list_entry_on_the_audit_trail(b: Backend) {
        let w = world(b).await;
        let one = w.stay(json!({"guest_id": w.man().await, "shelter_id": w.a.id})).await;
        let two = w.stay(json!({"guest_id": w.woman().await, "shelter_id": w.a.id})).await;
        assert!(audited(&w, "stay.list").await.is_empty());
        let listed = list(&w, &w.desk_a, &format!("/api/v1/stays?shelter_id={}", w.a.id)).await;
        assert_eq!(listed.len(), 2);
        let mut entries = audited(&w, "stay.list").await;
        entries.sort();
        let mut want: Vec<(String, String)> = [&one, &two]
            .iter()
            .map(|s| (s["guest_id"].as_str().unwrap().to_owned(), stay_id(s)))
            .collect();
        want.sort();
        assert_eq!(entries, want);
        // An empty list names nobody.
        list(&w, &w.desk_a, &format!("/api/v1/stays?shelter_id={}&night=2019-12-24", w.a.id)).await;
        assert_eq!(audited(&w, "stay.list").await.len(), 2);
    }

    async fn the_stay_list_is_refused_outside_the_callers_shelters_and_roles(b: Backend) {
        let w = world(b).await;
        w.stay(json!({"guest_id": w.man().await, "shelter_id": w.b.id})).await;
        let res = w.app.get(&format!("/api/v1/stays?shelter_id={}", w.b.id), Some(&w.desk_a)).await;
        assert_problem(res, 403, "forbidden").await;
        let outreach = w.app.user_token("eu.team", &["outreach"], &[]).await;
        let res = w.app.get(&format!("/api/v1/stays?shelter_id={}", w.a.id), Some(&outreach)).await;
        assert_problem(res, 403, "forbidden").await;
        assert!(audited(&w, "stay.list").await.is_empty());
        // Malformed input is 422 naming the field; an unknown shelter 404.
        let res = w.app.get(&format!("/api/v1/stays?shelter_id={}&night=2019-13-01", w.a.id), Some(&w.desk_a)).await;
        let p = assert_problem(res, 422, "validation-failed").await;
        assert_eq!(error_fields(&p), ["night"]);
        let res = w.app.get("/api/v1/stays?shelter_id=not-an-id", Some(&w.coordinator)).await;
        let p = assert_problem(res, 422, "validation-failed").await;
        assert_eq!(error_fields(&p), ["shelter_id"]);
        let res = w.app.get("/api/v1/stays", Some(&w.coordinator)).await;
        let p = assert_problem(res, 422, "validation-failed").await;
        assert_eq!(error_fields(&p), ["shelter_id"]);
        let res = w.app.get("/api/v1/stays?shelter_id=00000000-0000-4000-8000-000000000009", Some(&w.coordinator)).await;
        assert_problem(res, 404, "not-found").await;
    }

    async fn the_nights_placements_with_names_and_labels_at_the_callers_shelters(b: Backend) {
        let w = world(b).await;
        w.stay(json!({"guest_id": w.man().await, "shelter_id": w.a.id, "place_id": w.a.place("R1")})).await;
        let sj = w.app.user_token("socialjouren", &["social_emergency"], &[]).await;
        let place = |token: String, body: Value| {
            let app = &w.app;
            async move {
                let res = app.post("/api/v1/placements", Some(&token), &body).await;
                let status = res.status();
                let text = res.text().await.unwrap();
                assert_eq!(status, StatusCode::CREATED, "{text}");
                serde_json::from_str::<Value>(&text).unwrap()
            }
        };
        let at_a = place(w.coordinator.clone(), json!({"guest_id": w.man().await, "kind": "emergency", "shelter_id": w.a.id, "reason": "acute"})).await;
        assert_eq!(at_a["place_id"], w.a.place("R2"));
        assert_eq!(at_a["place_label"], "R2");
        let at_b = place(sj.clone(), json!({"guest_id": w.man().await, "kind": "emergency", "shelter_id": w.b.id, "reason": "acute"})).await;
        assert_eq!(at_b["place_label"], "R1");

        // Everywhere, for those who act everywhere.
        let all = list(&w, &sj, "/api/v1/placements").await;
        assert_eq!(all.len(), 2, "{all:?}");
        for p in [&at_a, &at_b] {
            let listed = all.iter().find(|l| l["id"] == p["id"]).unwrap();
            assert_eq!(listed["kind"], "emergency");
            assert_eq!(listed["night"], "2019-12-01");
            assert_eq!(listed["place_label"], p["place_label"]);
            assert_eq!(listed["guest_id"], p["guest_id"]);
            assert_eq!(listed["family_name"], "Test");
            assert!(listed["given_name"].as_str().unwrap().starts_with('G'));
        }
        // One shelter; another night.
        let at_own = list(&w, &w.desk_a, &format!("/api/v1/placements?shelter_id={}&night=2019-12-01", w.a.id)).await;
        assert_eq!(at_own.len(), 1);
        assert_eq!(at_own[0]["id"], at_a["id"]);
        assert!(list(&w, &w.coordinator, "/api/v1/placements?night=2019-12-02").await.is_empty());
        // Each guest listed is on the audit trail.
        let mut entries = audited(&w, "placement.list").await;
        entries.sort();
        let mut want: Vec<(String, String)> = [&at_a, &at_b, &at_a]
            .iter()
            .map(|p| (p["guest_id"].as_str().unwrap().to_owned(), p["id"].as_str().unwrap().to_owned()))
            .collect();
        want.sort();
        assert_eq!(entries, want);

        // Shelter staff name one of their shelters.
        let res = w.app.get("/api/v1/placements", Some(&w.desk_a)).await;
        let p = assert_problem(res, 422, "validation-failed").await;
        assert_eq!(error_fields(&p), ["shelter_id"]);
        let res = w.app.get(&format!("/api/v1/placements?shelter_id={}", w.b.id), Some(&w.desk_a)).await;
        assert_problem(res, 403, "forbidden").await;
        let outreach = w.app.user_token("eu.team", &["outreach"], &[]).await;
        assert_problem(w.app.get("/api/v1/placements", Some(&outreach)).await, 403, "forbidden").await;
        let res = w.app.get("/api/v1/placements?night=yesterday", Some(&w.coordinator)).await;
        let p = assert_problem(res, 422, "validation-failed").await;
        assert_eq!(error_fields(&p), ["night"]);
        assert_eq!(audited(&w, "placement.list").await.len(), 3);
    }
}
