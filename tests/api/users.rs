use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::idp::{claims_of, patch_user, patch_user_as, refused_at};

/// The id of the user a token of ours speaks for.
fn id_of(token: &str) -> String {
    claims_of(token)["sub"].as_str().expect("sub").to_owned()
}

backend_tests! {
    async fn the_admin_lists_every_user_without_a_password_hash(b: Backend) {
        let app = spawn_app(b).await;
        let shelters: Vec<String> = app.shelters().await.iter().map(|s| s["id"].as_str().unwrap().to_owned()).collect();
        app.user_token("zed.desk", &["shelter_staff"], &[&shelters[1], &shelters[0]]).await;
        let coord = app.user_token("ann.coord", &["coordinator", "outreach"], &[]).await;
        let res = app.get("/api/v1/users", Some(&app.admin_token)).await;
        assert_eq!(res.status(), StatusCode::OK);
        let text = res.text().await.unwrap();
        assert!(!text.contains("password") && !text.contains("$argon2"), "{text}");
        let users: Vec<Value> = serde_json::from_str(&text).unwrap();
        let names: Vec<&str> = users.iter().map(|u| u["username"].as_str().unwrap()).collect();
        assert_eq!(names, ["admin", "ann.coord", "zed.desk"], "by username");
        let desk = &users[2];
        let mut expected = vec![shelters[0].clone(), shelters[1].clone()];
        expected.sort();
        assert_eq!(desk["shelter_ids"], json!(expected));
        assert_eq!(desk["roles"], json!(["shelter_staff"]));
        assert_eq!(desk["active"], true);
        assert_eq!(users[1]["roles"], json!(["coordinator", "outreach"]));
        assert_eq!(users[1]["shelter_ids"], json!([]));
        // A deactivated user is listed as such.
        let id = users[2]["id"].as_str().unwrap();
        let res = app.client.patch(app.url(&format!("/api/v1/users/{id}"))).bearer_auth(&app.admin_token)
            .json(&json!({"active": false})).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let users: Vec<Value> = app.get("/api/v1/users", Some(&app.admin_token)).await.json().await.unwrap();
        assert_eq!(users[2]["active"], false);
        // Nobody else may list them.
        assert_problem(app.get("/api/v1/users", Some(&coord)).await, 403, "forbidden").await;
    }

    async fn an_admin_creates_a_user_who_can_log_in(b: Backend) {
        let app = spawn_app(b).await;
        let shelter = app.shelters().await[0]["id"].as_str().unwrap().to_owned();
        let res = app
            .post(
                "/api/v1/users",
                Some(&app.admin_token),
                &json!({"username": "desk.one", "password": "a-long-password-1",
                        "roles": ["shelter_staff"], "shelter_ids": [shelter]}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["username"], "desk.one");
        assert_eq!(body["roles"], json!(["shelter_staff"]));
        assert_eq!(body["shelter_ids"], json!([shelter]));
        assert!(body["id"].is_string());
        assert!(body.get("password").is_none() && body.get("password_hash").is_none());
        let token = app.login("desk.one", "a-long-password-1").await;
        // The token carries the roles and shelters.
        let payload = token.split('.').nth(1).unwrap();
        let claims: Value = serde_json::from_slice(&base64_url(payload)).unwrap();
        assert_eq!(claims["roles"], json!(["shelter_staff"]));
        assert_eq!(claims["shelters"], json!([shelter]));
        assert_eq!(claims["iss"], "nattplats");
        assert_eq!(claims["aud"], "nattplats-api");
        assert!(claims["exp"].as_i64().unwrap() > claims["iat"].as_i64().unwrap());
    }

    // Issue 14, item 17: one password rule for the API and the bootstrap
    // admin (tests/api/cli.rs tries the other doors).
    async fn a_nine_character_password_is_refused(b: Backend) {
        let app = spawn_app(b).await;
        let res = app.post("/api/v1/users", Some(&app.admin_token),
            &json!({"username": "nine", "password": "123456789", "roles": ["outreach"]})).await;
        let p = assert_problem(res, 422, "validation-failed").await;
        assert_eq!(error_fields(&p), vec!["password"]);
        assert!(p["errors"][0]["message"].as_str().unwrap().contains("10 to 256"), "{p}");
        let res = app.post("/api/v1/users", Some(&app.admin_token),
            &json!({"username": "ten", "password": "1234567890", "roles": ["outreach"]})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }

    async fn only_an_admin_creates_users(b: Backend) {
        let app = spawn_app(b).await;
        let coordinator = app.user_token("coord", &["coordinator"], &[]).await;
        let res = app
            .post("/api/v1/users", Some(&coordinator),
                &json!({"username": "x1x", "password": "a-long-password-1", "roles": ["admin"]}))
            .await;
        assert_problem(res, 403, "forbidden").await;
        let res = app
            .post("/api/v1/users", None,
                &json!({"username": "x1x", "password": "a-long-password-1", "roles": ["admin"]}))
            .await;
        assert_problem(res, 401, "unauthorized").await;
    }

    async fn a_taken_username_is_409(b: Backend) {
        let app = spawn_app(b).await;
        app.user_token("twice", &["coordinator"], &[]).await;
        let res = app
            .post("/api/v1/users", Some(&app.admin_token),
                &json!({"username": "twice", "password": "a-long-password-1", "roles": ["outreach"]}))
            .await;
        assert_problem(res, 409, "username-taken").await;
    }

    async fn every_user_field_is_validated(b: Backend) {
        let app = spawn_app(b).await;
        let cases = [
            (json!({"username": "A b", "password": "a-long-password-1", "roles": ["admin"]}), "username"),
            (json!({"username": "ab", "password": "a-long-password-1", "roles": ["admin"]}), "username"),
            (json!({"username": "abc", "password": "short", "roles": ["admin"]}), "password"),
            (json!({"username": "abc", "password": "a-long-password-1", "roles": []}), "roles"),
            (json!({"username": "abc", "password": "a-long-password-1", "roles": ["janitor"]}), "roles[0]"),
            (json!({"username": "abc", "password": "a-long-password-1", "roles": ["admin", "admin"]}), "roles[1]"),
            (json!({"username": "abc", "password": "a-long-password-1", "roles": ["shelter_staff"]}), "shelter_ids"),
            (json!({"username": "abc", "password": "a-long-password-1", "roles": ["shelter_staff"], "shelter_ids": ["nope"]}), "shelter_ids[0]"),
            (json!({"username": "abc", "password": "a-long-password-1", "roles": "admin"}), "roles"),
            (json!({"username": "abc", "password": "a-long-password-1", "roles": ["admin"], "is_root": true}), "is_root"),
            (json!({"password": "a-long-password-1", "roles": ["admin"]}), "username"),
        ];
        for (body, field) in cases {
            let res = app.post("/api/v1/users", Some(&app.admin_token), &body).await;
            let p = assert_problem(res, 422, "validation-failed").await;
            let fields = error_fields(&p);
            assert!(fields.iter().any(|f| f == field), "{field} not in {fields:?} for {body}");
        }
    }
}

backend_tests! {
    async fn deactivating_a_user_refuses_their_tokens_at_once(b: Backend) {
        let app = spawn_with(b, Options::default()).await;
        let token = app.user_token("leaving", &["coordinator"], &[]).await;
        assert_eq!(app.get("/api/v1/shelters", Some(&token)).await.status(), StatusCode::OK);
        let res = patch_user(&app, &id_of(&token), &json!({"active": false})).await;
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["active"], false);
        assert_eq!(body["username"], "leaving");
        // The unexpired token is refused by this instance and any other.
        refused_at(&app, &app.address, &token).await;
        refused_at(&app, &app.another_instance(), &token).await;
        // Logging in answers exactly as a wrong password does.
        let res = app.post("/api/v1/auth/token", None, &json!({"username": "leaving", "password": "a-long-password-1"})).await;
        let inactive = assert_problem(res, 401, "unauthorized").await;
        let res = app.post("/api/v1/auth/token", None, &json!({"username": ADMIN, "password": "not-the-password"})).await;
        let wrong = assert_problem(res, 401, "unauthorized").await;
        assert_eq!(inactive["detail"], wrong["detail"]);
        // Reactivated, the same token holds again.
        let res = patch_user(&app, &id_of(&token), &json!({"active": true})).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(app.get("/api/v1/shelters", Some(&token)).await.status(), StatusCode::OK);
    }

    async fn a_role_change_holds_at_once(b: Backend) {
        let app = spawn_with(b, Options::default()).await;
        let token = app.user_token("changing", &["coordinator"], &[]).await;
        assert_eq!(app.get("/api/v1/guests?q=ab", Some(&token)).await.status(), StatusCode::OK);
        let res = patch_user(&app, &id_of(&token), &json!({"roles": ["outreach"]})).await;
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["roles"], json!(["outreach"]));
        // The token still says coordinator; the users table decides.
        assert_eq!(claims_of(&token)["roles"], json!(["coordinator"]));
        assert_problem(app.get("/api/v1/guests?q=ab", Some(&token)).await, 403, "forbidden").await;
    }

    async fn only_an_admin_changes_users(b: Backend) {
        let app = spawn_with(b, Options::default()).await;
        let coordinator = app.user_token("coord", &["coordinator"], &[]).await;
        let admin_id = id_of(&app.admin_token);
        let res = patch_user_as(&app, &coordinator, &admin_id, &json!({"active": false})).await;
        assert_problem(res, 403, "forbidden").await;
        let res = patch_user_as(&app, "not-a-token", &admin_id, &json!({"active": false})).await;
        assert_problem(res, 401, "unauthorized").await;
        assert_eq!(app.get("/api/v1/shelters", Some(&app.admin_token)).await.status(), StatusCode::OK);
    }

    async fn an_admin_cannot_lock_themselves_out(b: Backend) {
        let app = spawn_with(b, Options::default()).await;
        let admin_id = id_of(&app.admin_token);
        let res = patch_user(&app, &admin_id, &json!({"active": false})).await;
        assert_problem(res, 409, "own-account").await;
        let res = patch_user(&app, &admin_id, &json!({"roles": ["coordinator"]})).await;
        assert_problem(res, 409, "own-account").await;
        assert_eq!(app.get("/api/v1/shelters", Some(&app.admin_token)).await.status(), StatusCode::OK);
    }

    async fn changing_an_unknown_user_is_404(b: Backend) {
        let app = spawn_with(b, Options::default()).await;
        let res = patch_user(&app, "no-such-user", &json!({"active": false})).await;
        assert_problem(res, 404, "not-found").await;
    }

    async fn every_change_field_is_validated(b: Backend) {
        let app = spawn_app(b).await;
        let token = app.user_token("desk.two", &["coordinator"], &[]).await;
        let id = id_of(&token);
        let cases = [
            (json!({}), "active"),
            (json!({"active": "no"}), "active"),
            (json!({"roles": []}), "roles"),
            (json!({"roles": ["janitor"]}), "roles[0]"),
            (json!({"roles": ["shelter_staff"]}), "shelter_ids"),
            (json!({"shelter_ids": ["nope"]}), "shelter_ids[0]"),
            (json!({"password": "x"}), "password"),
        ];
        for (body, field) in cases {
            let p = assert_problem(patch_user(&app, &id, &body).await, 422, "validation-failed").await;
            let fields = error_fields(&p);
            assert!(fields.iter().any(|f| f == field), "{field} not in {fields:?} for {body}");
        }
        // Shelter staff at a real shelter is fine.
        let shelter = app.shelters().await[0]["id"].as_str().unwrap().to_owned();
        let res = patch_user(&app, &id, &json!({"roles": ["shelter_staff"], "shelter_ids": [shelter]})).await;
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["shelter_ids"], json!([shelter]));
        assert_eq!(body["active"], true);
    }
}

/// Decodes base64url without padding (a JWT segment).
fn base64_url(s: &str) -> Vec<u8> {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = Vec::new();
    let mut buf = 0u32;
    let mut bits = 0;
    for c in s.bytes() {
        let v = A.iter().position(|&a| a == c).expect("base64url") as u32;
        buf = (buf << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
            buf &= (1 << bits) - 1;
        }
    }
    out
}
