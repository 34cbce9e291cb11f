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

    async fn the_seeded_shelters_have_an_address_and_a_fictional_phone(b: Backend) {
        let app = spawn_app(b).await;
        for s in app.shelters().await {
            let address = s["address"].as_str().unwrap();
            assert!(address.ends_with("Stockholm") || address.ends_with("Johanneshov"), "{s}");
            assert!(s["phone"].as_str().unwrap().starts_with("08-000 "), "{s}");
        }
    }

    async fn an_admin_sets_a_shelters_address_and_phone(b: Backend) {
        let app = spawn_with(b, Options { seed: false, manual_clock: true }).await;
        let res = app
            .post("/api/v1/shelters", Some(&app.admin_token), &json!({
                "name": "Nattcafé Syd", "organization": "Convictus",
                "address": " Ringvägen 1, 118 60 Stockholm ", "phone": "08-000 22 01"}))
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let created: Value = res.json().await.unwrap();
        assert_eq!(created["address"], "Ringvägen 1, 118 60 Stockholm");
        assert_eq!(created["phone"], "08-000 22 01");
        let id = created["id"].as_str().unwrap().to_owned();
        // Without them, both are null.
        let res = app.post("/api/v1/shelters", Some(&app.admin_token), &json!({"name": "Nattcafé Norr", "organization": "Convictus"})).await;
        let bare: Value = res.json().await.unwrap();
        assert_eq!((&bare["address"], &bare["phone"]), (&Value::Null, &Value::Null));

        let patch = |token: String, id: String, body: Value| {
            let app = &app;
            async move {
                app.client.patch(app.url(&format!("/api/v1/shelters/{id}"))).bearer_auth(token).json(&body).send().await.unwrap()
            }
        };
        // A field left out stays; null clears.
        let res = patch(app.admin_token.clone(), id.clone(), json!({"phone": "+46 8 000 22 02"})).await;
        assert_eq!(res.status(), StatusCode::OK);
        let changed: Value = res.json().await.unwrap();
        assert_eq!(changed["phone"], "+46 8 000 22 02");
        assert_eq!(changed["address"], "Ringvägen 1, 118 60 Stockholm");
        let res = patch(app.admin_token.clone(), id.clone(), json!({"address": null})).await;
        let cleared: Value = res.json().await.unwrap();
        assert_eq!((&cleared["address"], &cleared["phone"]), (&Value::Null, &json!("+46 8 000 22 02")));
        let listed = app.shelters().await.into_iter().find(|s| s["id"] == id.as_str()).unwrap();
        assert_eq!(listed, cleared);

        // Bad values are 422 naming the field; others than admins 403; an
        // unknown shelter 404.
        let res = patch(app.admin_token.clone(), id.clone(), json!({"phone": "call me", "address": ""})).await;
        let p = assert_problem(res, 422, "validation-failed").await;
        let mut fields = error_fields(&p);
        fields.sort();
        assert_eq!(fields, ["address", "phone"]);
        let res = app.post("/api/v1/shelters", Some(&app.admin_token), &json!({"name": "X", "organization": "Convictus", "phone": "12\n3"})).await;
        let p = assert_problem(res, 422, "validation-failed").await;
        assert_eq!(error_fields(&p), ["phone"]);
        let coordinator = app.user_token("coord", &["coordinator"], &[]).await;
        assert_problem(patch(coordinator, id.clone(), json!({"phone": "08-000 22 03"})).await, 403, "forbidden").await;
        let unknown = "00000000-0000-4000-8000-000000000009".to_owned();
        assert_problem(patch(app.admin_token.clone(), unknown, json!({"phone": "08-000 22 03"})).await, 404, "not-found").await;
    }
}
