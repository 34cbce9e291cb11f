use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

backend_tests! {
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
