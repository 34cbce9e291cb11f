use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

fn maria() -> Value {
    json!({
        "given_name": "Maria", "family_name": "Popescu", "birth_date": "1980-05-02",
        "gender": "woman", "citizenship": "RO"
    })
}

async fn register(app: &TestApp, token: &str, body: &Value) -> Value {
    let res = app.post("/api/v1/guests", Some(token), body).await;
    assert_eq!(res.status(), StatusCode::CREATED, "register {body}");
    res.json().await.unwrap()
}

backend_tests! {
    async fn intake_roles_register_a_guest(b: Backend) {
        let app = spawn_app(b).await;
        let shelter = app.shelters().await[0]["id"].as_str().unwrap().to_owned();
        for (name, roles) in [("c", ["coordinator"]), ("s", ["shelter_staff"]), ("e", ["social_emergency"])] {
            let token = app.user_token(&format!("user.{name}"), &roles, &[&shelter]).await;
            let mut body = maria();
            body["family_name"] = json!(format!("Popescu-{name}"));
            let g = register(&app, &token, &body).await;
            assert_eq!(g["given_name"], "Maria");
            assert_eq!(g["birth_year"], 1980);
            assert_eq!(g["birth_date"], "1980-05-02");
            assert_eq!(g["gender"], "woman");
            assert_eq!(g["citizenship"], "RO");
            assert_eq!(g["needs"], json!([]));
            assert_eq!(g["card_number"].as_str().unwrap().len(), 8);
            assert!(g["possible_duplicates"].is_array());
        }
    }

    async fn other_roles_may_not_see_guests(b: Backend) {
        let app = spawn_app(b).await;
        let g = register(&app, &app.user_token("coord", &["coordinator"], &[]).await, &maria()).await;
        let outreach = app.user_token("eu.team", &["outreach"], &[]).await;
        for token in [&outreach, &app.admin_token] {
            assert_problem(app.post("/api/v1/guests", Some(token), &maria()).await, 403, "forbidden").await;
            assert_problem(app.get("/api/v1/guests?q=maria", Some(token)).await, 403, "forbidden").await;
            let path = format!("/api/v1/guests/{}", g["id"].as_str().unwrap());
            assert_problem(app.get(&path, Some(token)).await, 403, "forbidden").await;
        }
        assert_problem(app.post("/api/v1/guests", None, &maria()).await, 401, "unauthorized").await;
    }

    async fn a_guest_is_read_back_and_searched(b: Backend) {
        let app = spawn_app(b).await;
        let token = app.user_token("coord", &["coordinator"], &[]).await;
        let g = register(&app, &token, &json!({
            "given_name": "Ștefan", "family_name": "Țăranu", "birth_year": 1975,
            "gender": "man", "citizenship": "md", "residence_permit_country": "ro",
            "needs": ["elderly", "disability"]
        })).await;
        assert_eq!(g["citizenship"], "MD");
        assert_eq!(g["residence_permit_country"], "RO");
        assert_eq!(g["birth_date"], Value::Null);
        assert_eq!(g["needs"], json!(["elderly", "disability"]));
        register(&app, &token, &maria()).await;
        let id = g["id"].as_str().unwrap();
        let res = app.get(&format!("/api/v1/guests/{id}"), Some(&token)).await;
        assert_eq!(res.status(), StatusCode::OK);
        let read: Value = res.json().await.unwrap();
        assert_eq!(read["given_name"], "Ștefan");
        assert_eq!(read["card_number"], g["card_number"]);
        let search = |q: String| {
            let app = &app;
            let token = token.clone();
            async move {
                let res = app.client.get(app.url("/api/v1/guests")).query(&[("q", q)]).bearer_auth(token).send().await.unwrap();
                assert_eq!(res.status(), StatusCode::OK);
                let found: Vec<Value> = res.json().await.unwrap();
                found.into_iter().map(|g| g["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
            }
        };
        assert_eq!(search("stefan".into()).await, vec![id.to_owned()]);
        assert_eq!(search("ȚĂRANU ștef".into()).await, vec![id.to_owned()]);
        assert_eq!(search("1975".into()).await, vec![id.to_owned()]);
        assert_eq!(search(g["card_number"].as_str().unwrap().to_lowercase()).await, vec![id.to_owned()]);
        assert_eq!(search("1980".into()).await.len(), 1);
        assert!(search("nobody".into()).await.is_empty());
        assert!(search("%".into()).await.is_empty());
        assert_problem(app.get("/api/v1/guests/does-not-exist", Some(&token)).await, 404, "not-found").await;
        let p = assert_problem(app.get("/api/v1/guests", Some(&token)).await, 422, "validation-failed").await;
        assert_eq!(error_fields(&p), vec!["q"]);
    }

    async fn registration_suggests_possible_duplicates(b: Backend) {
        let app = spawn_app(b).await;
        let token = app.user_token("coord", &["coordinator"], &[]).await;
        let first = register(&app, &token, &maria()).await;
        assert_eq!(first["possible_duplicates"], json!([]));
        // Same person written without diacritics and with the year only.
        let second = register(&app, &token, &json!({
            "given_name": "MARIA", "family_name": "Popéscu", "birth_year": 1980,
            "gender": "woman", "citizenship": "RO"
        })).await;
        let dups = second["possible_duplicates"].as_array().unwrap();
        assert_eq!(dups.len(), 1);
        assert_eq!(dups[0]["id"], first["id"]);
        assert_eq!(dups[0]["given_name"], "Maria");
        assert_eq!(dups[0]["family_name"], "Popescu");
        assert_eq!(dups[0]["birth_year"], 1980);
        // A different person of the same name, born ten years later.
        let other = register(&app, &token, &json!({
            "given_name": "Maria", "family_name": "Popescu", "birth_year": 1990,
            "gender": "woman", "citizenship": "RO"
        })).await;
        assert_eq!(other["possible_duplicates"], json!([]));
        // Another name, same birth date.
        let mut ana = maria();
        ana["given_name"] = json!("Ana");
        ana["family_name"] = json!("Ionescu");
        assert_eq!(register(&app, &token, &ana).await["possible_duplicates"], json!([]));
        // The search reads guests whose given or family name begins like
        // the new one's: a slip in the first letters of one name is found
        // through the other.
        let typo_given = register(&app, &token, &json!({
            "given_name": "Mraia", "family_name": "Popescu", "birth_year": 1981,
            "gender": "woman", "citizenship": "RO"
        })).await;
        let ids: Vec<&Value> = typo_given["possible_duplicates"].as_array().unwrap().iter().map(|d| &d["id"]).collect();
        assert!(ids.len() == 2 && ids.contains(&&first["id"]) && ids.contains(&&second["id"]), "{ids:?}");
        let typo_family = register(&app, &token, &json!({
            "given_name": "Maria", "family_name": "Opopescu", "birth_year": 1980,
            "gender": "woman", "citizenship": "RO"
        })).await;
        let ids: Vec<&Value> = typo_family["possible_duplicates"].as_array().unwrap().iter().map(|d| &d["id"]).collect();
        assert!(ids.contains(&&first["id"]) && ids.contains(&&second["id"]), "{ids:?}");
    }

    async fn every_guest_field_is_validated(b: Backend) {
        let app = spawn_app(b).await;
        let token = app.user_token("coord", &["coordinator"], &[]).await;
        let with = |key: &str, value: Value| {
            let mut body = maria();
            body[key] = value;
            body
        };
        let without = |key: &str| {
            let mut body = maria();
            body.as_object_mut().unwrap().remove(key);
            body
        };
        let cases = vec![
            (with("given_name", json!("")), "given_name"),
            (with("given_name", json!("   ")), "given_name"),
            (with("given_name", json!("x".repeat(101))), "given_name"),
            (with("given_name", json!("12")), "given_name"),
            (with("family_name", json!("Ion\u{0000}")), "family_name"),
            (without("family_name"), "family_name"),
            (with("gender", json!("female")), "gender"),
            (with("citizenship", json!("XX")), "citizenship"),
            (with("citizenship", json!("ROU")), "citizenship"),
            (with("residence_permit_country", json!("EU")), "residence_permit_country"),
            (with("needs", json!(["hungry"])), "needs[0]"),
            (with("needs", json!("pregnant")), "needs"),
            (without("birth_date"), "birth_date"),
            (with("birth_date", json!("02/05/1980")), "birth_date"),
            (with("birth_date", json!("2999-01-01")), "birth_date"),
            (with("birth_year", json!(1981)), "birth_year"),
            (with("birth_year", json!("1980")), "birth_year"),
            (with("nickname", json!("M")), "nickname"),
        ];
        for (body, field) in cases {
            let res = app.post("/api/v1/guests", Some(&token), &body).await;
            let p = assert_problem(res, 422, "validation-failed").await;
            let fields = error_fields(&p);
            assert!(fields.iter().any(|f| f == field), "{field} not in {fields:?} for {body}");
        }
        // Several wrong fields are all named at once.
        let res = app.post("/api/v1/guests", Some(&token), &json!({
            "given_name": "", "family_name": "", "birth_year": 1980, "gender": "x", "citizenship": "x"
        })).await;
        let p = assert_problem(res, 422, "validation-failed").await;
        assert_eq!(error_fields(&p), vec!["given_name", "family_name", "gender", "citizenship"]);
        // Nothing was written by any refused registration.
        let res = app.client.get(app.url("/api/v1/guests")).query(&[("q", "1980")]).bearer_auth(&token).send().await.unwrap();
        let found: Vec<Value> = res.json().await.unwrap();
        assert!(found.is_empty(), "{found:?}");
    }

    async fn a_guest_reads_a_language_set_at_registration_and_changed_later(b: Backend) {
        let app = spawn_app(b).await;
        let token = app.user_token("desk.lang", &["coordinator"], &[]).await;
        // Swedish unless given.
        let g = register(&app, &token, &maria()).await;
        assert_eq!(g["language"], "sv");
        let mut body = maria();
        body["family_name"] = json!("Ionescu");
        body["language"] = json!("ro");
        let ro = register(&app, &token, &body).await;
        assert_eq!(ro["language"], "ro");
        let id = ro["id"].as_str().unwrap().to_owned();
        let read: Value = app.get(&format!("/api/v1/guests/{id}"), Some(&token)).await.json().await.unwrap();
        assert_eq!(read["language"], "ro");
        body["language"] = json!("de");
        let res = app.post("/api/v1/guests", Some(&token), &body).await;
        let p = assert_problem(res, 422, "validation-failed").await;
        assert_eq!(error_fields(&p), ["language"]);

        let patch = |token: String, id: String, body: Value| {
            let app = &app;
            async move {
                app.client.patch(app.url(&format!("/api/v1/guests/{id}"))).bearer_auth(token).json(&body).send().await.unwrap()
            }
        };
        let res = patch(token.clone(), id.clone(), json!({"language": "hu"})).await;
        assert_eq!(res.status(), StatusCode::OK);
        let changed: Value = res.json().await.unwrap();
        assert_eq!(changed["language"], "hu");
        assert_eq!(changed["family_name"], "Ionescu");
        let read: Value = app.get(&format!("/api/v1/guests/{id}"), Some(&token)).await.json().await.unwrap();
        assert_eq!(read["language"], "hu");
        // Nothing given changes nothing.
        let res = patch(token.clone(), id.clone(), json!({})).await;
        assert_eq!(res.json::<Value>().await.unwrap()["language"], "hu");
        let p = assert_problem(patch(token.clone(), id.clone(), json!({"language": "xx"})).await, 422, "validation-failed").await;
        assert_eq!(error_fields(&p), ["language"]);
        let unknown = "00000000-0000-4000-8000-000000000009".to_owned();
        assert_problem(patch(token.clone(), unknown, json!({"language": "en"})).await, 404, "not-found").await;
        let outreach = app.user_token("eu.team", &["outreach"], &[]).await;
        assert_problem(patch(outreach, id.clone(), json!({"language": "en"})).await, 403, "forbidden").await;
        // The change is on the guest's audit trail.
        let audit: Value = app.get(&format!("/api/v1/audit?guest_id={id}"), Some(&app.admin_token)).await.json().await.unwrap();
        let updates = audit["entries"].as_array().unwrap().iter().filter(|e| e["action"] == "guest.update").count();
        assert_eq!(updates, 2);
        // Erasure forgets it with the names.
        let res = app.client.delete(app.url(&format!("/api/v1/guests/{id}"))).bearer_auth(&app.admin_token).send().await.unwrap();
        assert!(res.status().is_success(), "{}", res.status());
        let read: Value = app.get(&format!("/api/v1/guests/{id}"), Some(&token)).await.json().await.unwrap();
        assert_eq!((&read["language"], &read["family_name"]), (&json!("sv"), &json!("")));
    }
}
