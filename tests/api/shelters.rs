use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

backend_tests! {
    async fn the_stockholm_seed_has_three_shelters_and_115_places(b: Backend) {
        let app = spawn_app(b).await;
        let shelters = app.shelters().await;
        assert_eq!(shelters.len(), 3);
        let sum = |cat: &str| shelters.iter().map(|s| s["places"][cat].as_i64().unwrap()).sum::<i64>();
        assert_eq!(sum("regular") + sum("women"), 115);
        assert_eq!(sum("women"), 20);
        assert_eq!(sum("overflow"), 0);
        let orgs: Vec<&str> = shelters.iter().map(|s| s["organization"].as_str().unwrap()).collect();
        for o in &orgs {
            assert!(["Convictus", "Frälsningsarmén", "Ny Gemenskap", "Stockholms stadsmission"].contains(o));
        }
        // The decision of 2019-04-16: Stockholms stadsmission runs the night
        // shelter Filadelfiaförsamlingen ran.
        assert!(orgs.contains(&"Stockholms stadsmission"), "{orgs:?}");
        // Any role may list shelters and places.
        let outreach = app.user_token("eu.team", &["outreach"], &[]).await;
        let res = app.get("/api/v1/shelters", Some(&outreach)).await;
        assert_eq!(res.status(), StatusCode::OK);
        let id = shelters[0]["id"].as_str().unwrap();
        let res = app.get(&format!("/api/v1/shelters/{id}/places"), Some(&outreach)).await;
        assert_eq!(res.status(), StatusCode::OK);
        let places: Vec<Value> = res.json().await.unwrap();
        assert_eq!(places.len() as i64, shelters[0]["places"]["regular"].as_i64().unwrap() + shelters[0]["places"]["women"].as_i64().unwrap());
        assert!(places.iter().all(|p| p["shelter_id"] == id));
    }

    async fn an_admin_creates_a_shelter_and_its_places(b: Backend) {
        let app = spawn_with(b, Options { seed: false, manual_clock: true }).await;
        assert!(app.shelters().await.is_empty());
        let res = app
            .post("/api/v1/shelters", Some(&app.admin_token), &json!({"name": "Nattcafé Syd", "organization": "Convictus"}))
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let shelter: Value = res.json().await.unwrap();
        assert_eq!(shelter["name"], "Nattcafé Syd");
        assert_eq!(shelter["organization"], "Convictus");
        assert_eq!(shelter["places"], json!({"regular": 0, "women": 0, "overflow": 0}));
        let id = shelter["id"].as_str().unwrap();
        for (label, category) in [("A1", "regular"), ("A2", "women"), ("X1", "overflow")] {
            let res = app
                .post(&format!("/api/v1/shelters/{id}/places"), Some(&app.admin_token), &json!({"label": label, "category": category}))
                .await;
            assert_eq!(res.status(), StatusCode::CREATED);
            let place: Value = res.json().await.unwrap();
            assert_eq!(place["label"], label);
            assert_eq!(place["category"], category);
            assert_eq!(place["shelter_id"], id);
        }
        let shelters = app.shelters().await;
        assert_eq!(shelters[0]["places"], json!({"regular": 1, "women": 1, "overflow": 1}));
        let res = app.get(&format!("/api/v1/shelters/{id}/places"), Some(&app.admin_token)).await;
        let places: Vec<Value> = res.json().await.unwrap();
        let labels: Vec<&str> = places.iter().map(|p| p["label"].as_str().unwrap()).collect();
        assert_eq!(labels, vec!["A1", "A2", "X1"]);
    }

    async fn shelter_and_place_refusals(b: Backend) {
        let app = spawn_app(b).await;
        let id = app.shelters().await[0]["id"].as_str().unwrap().to_owned();
        let name = app.shelters().await[0]["name"].as_str().unwrap().to_owned();
        let res = app.post("/api/v1/shelters", Some(&app.admin_token), &json!({"name": name, "organization": "Convictus"})).await;
        assert_problem(res, 409, "shelter-name-taken").await;
        let res = app.post("/api/v1/shelters", Some(&app.admin_token), &json!({"name": " ", "organization": ""})).await;
        let p = assert_problem(res, 422, "validation-failed").await;
        assert_eq!(error_fields(&p), vec!["name", "organization"]);
        let places = format!("/api/v1/shelters/{id}/places");
        let res = app.post(&places, Some(&app.admin_token), &json!({"label": "R01", "category": "regular"})).await;
        assert_problem(res, 409, "place-label-taken").await;
        let res = app.post(&places, Some(&app.admin_token), &json!({"label": "Z9", "category": "vip"})).await;
        let p = assert_problem(res, 422, "validation-failed").await;
        assert_eq!(error_fields(&p), vec!["category"]);
        let res = app.post(&places, Some(&app.admin_token), &json!({"label": "", "category": "regular"})).await;
        let p = assert_problem(res, 422, "validation-failed").await;
        assert_eq!(error_fields(&p), vec!["label"]);
        let res = app.post("/api/v1/shelters/no-such/places", Some(&app.admin_token), &json!({"label": "Z9", "category": "regular"})).await;
        assert_problem(res, 404, "not-found").await;
        assert_problem(app.get("/api/v1/shelters/no-such/places", Some(&app.admin_token)).await, 404, "not-found").await;
        let coordinator = app.user_token("coord", &["coordinator"], &[]).await;
        let res = app.post("/api/v1/shelters", Some(&coordinator), &json!({"name": "New", "organization": "Convictus"})).await;
        assert_problem(res, 403, "forbidden").await;
        let res = app.post(&places, Some(&coordinator), &json!({"label": "Z9", "category": "regular"})).await;
        assert_problem(res, 403, "forbidden").await;
        assert_problem(app.get(&places, None).await, 401, "unauthorized").await;
    }
}
