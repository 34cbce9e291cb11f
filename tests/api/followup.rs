//! The referral inbox and incidents.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::world::*;

async fn inbox(w: &World, token: &str, status: &str) -> Vec<Value> {
    let res = w
        .app
        .get(&format!("/api/v1/referrals?status={status}"), Some(token))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

backend_tests! {
    async fn acute_needs_at_intake_open_referrals(b: Backend) {
        let w = world(b).await;
        let res = w.app.post("/api/v1/guests", Some(&w.desk_a), &json!({
            "given_name": "Elena", "family_name": "Marin", "birth_year": 1990, "gender": "woman",
            "citizenship": "RO", "needs": ["pregnant", "mental_illness"]})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let g: Value = res.json().await.unwrap();
        let sj = w.app.user_token("sj.night", &["social_emergency"], &[]).await;
        let open = inbox(&w, &sj, "open").await;
        let mut reasons: Vec<&str> = open.iter().map(|r| r["reason"].as_str().unwrap()).collect();
        reasons.sort();
        assert_eq!(reasons, vec!["mental_illness", "pregnant"]);
        assert!(open.iter().all(|r| r["guest_id"] == g["id"] && r["acute"] == true && r["status"] == "open"));
        // The inbox never carries names: outreach sees it too.
        let outreach = w.app.user_token("eu.team", &["outreach"], &[]).await;
        let seen = inbox(&w, &outreach, "open").await;
        assert_eq!(seen.len(), 2);
        assert!(!serde_json::to_string(&seen).unwrap().contains("Elena"));
        // Shelter staff may open referrals but not read the inbox.
        assert_problem(w.app.get("/api/v1/referrals", Some(&w.desk_a)).await, 403, "forbidden").await;
    }

    async fn a_referral_is_taken_and_closed_by_someone(b: Backend) {
        let w = world(b).await;
        let g = w.man().await;
        let res = w.app.post("/api/v1/referrals", Some(&w.desk_a), &json!({"guest_id": g, "reason": "elderly", "note": "82 years old"})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let r: Value = res.json().await.unwrap();
        assert_eq!(r["status"], "open");
        assert_eq!(r["acute"], false);
        assert_eq!(r["note"], "82 years old");
        let id = r["id"].as_str().unwrap();
        let path = format!("/api/v1/referrals/{id}");
        let sj = w.app.user_token("sj.night", &["social_emergency"], &[]).await;
        let res = w.app.client.patch(w.app.url(&path)).bearer_auth(&sj).json(&json!({"status": "taken"})).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let taken: Value = res.json().await.unwrap();
        assert_eq!(taken["status"], "taken");
        assert!(taken["updated_by"].is_string());
        assert_eq!(inbox(&w, &sj, "taken").await.len(), 1);
        let res = w.app.client.patch(w.app.url(&path)).bearer_auth(&sj).json(&json!({"status": "closed", "note": "placed at an elderly home"})).send().await.unwrap();
        let closed: Value = res.json().await.unwrap();
        assert_eq!(closed["status"], "closed");
        assert_eq!(closed["note"], "placed at an elderly home");
        let res = w.app.client.patch(w.app.url(&path)).bearer_auth(&sj).json(&json!({"status": "open"})).send().await.unwrap();
        assert_problem(res, 409, "referral-transition").await;
        let res = w.app.client.patch(w.app.url(&path)).bearer_auth(&w.desk_a).json(&json!({"status": "open"})).send().await.unwrap();
        assert_problem(res, 403, "forbidden").await;
        let res = w.app.client.patch(w.app.url(&path)).bearer_auth(&sj).json(&json!({"status": "lost"})).send().await.unwrap();
        assert_problem(res, 422, "validation-failed").await;
        let res = w.app.client.patch(w.app.url("/api/v1/referrals/nope")).bearer_auth(&sj).json(&json!({"status": "closed"})).send().await.unwrap();
        assert_problem(res, 404, "not-found").await;
        let res = w.app.post("/api/v1/referrals", Some(&sj), &json!({"guest_id": g, "reason": "tired"})).await;
        assert_eq!(error_fields(&assert_problem(res, 422, "validation-failed").await), vec!["reason"]);
        let res = w.app.get("/api/v1/referrals?status=done", Some(&sj)).await;
        assert_problem(res, 422, "validation-failed").await;
    }

    async fn incidents_reach_coordinators_and_ground_a_ban(b: Backend) {
        let w = world(b).await;
        let g = w.man().await;
        let other = w.man().await;
        let res = w.app.post("/api/v1/incidents", Some(&w.desk_a), &json!({
            "shelter_id": w.a.id, "kind": "violence", "description": "hit another guest", "guest_ids": [g]})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let inc: Value = res.json().await.unwrap();
        assert_eq!(inc["night"], "2019-12-01");
        assert_eq!(inc["guest_ids"], json!([g]));
        let res = w.app.post("/api/v1/incidents", Some(&w.desk_a), &json!({"shelter_id": w.b.id, "kind": "threat", "description": "x"})).await;
        assert_problem(res, 403, "forbidden").await;
        let res = w.app.post("/api/v1/incidents", Some(&w.desk_a), &json!({"shelter_id": w.a.id, "kind": "rude", "description": ""})).await;
        assert_eq!(error_fields(&assert_problem(res, 422, "validation-failed").await), vec!["kind", "description"]);
        let list: Vec<Value> = w.app.get("/api/v1/incidents?from=2019-11-01&to=2019-12-31", Some(&w.coordinator)).await.json().await.unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0]["id"], inc["id"]);
        assert_problem(w.app.get("/api/v1/incidents", Some(&w.desk_a)).await, 403, "forbidden").await;
        // A ban resting on the incident; one that does not involve the guest is refused.
        let ban = json!({"guest_id": g, "shelter_id": w.a.id, "first_night": "2019-12-01", "last_night": "2019-12-31",
                         "reason": "violence", "incident_ids": [inc["id"]]});
        let res = w.app.post("/api/v1/bans", Some(&w.coordinator), &ban).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        assert_eq!(res.json::<Value>().await.unwrap()["incident_ids"], json!([inc["id"]]));
        let mut wrong = ban.clone();
        wrong["guest_id"] = json!(other);
        let res = w.app.post("/api/v1/bans", Some(&w.coordinator), &wrong).await;
        assert_eq!(error_fields(&assert_problem(res, 422, "validation-failed").await), vec!["incident_ids[0]"]);
    }
}
