use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

backend_tests! {
    async fn a_token_for_good_credentials(b: Backend) {
        let app = spawn_app(b).await;
        let res = app
            .post("/api/v1/auth/token", None, &json!({"username": ADMIN, "password": ADMIN_PASSWORD}))
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 8 * 3600);
        let token = body["access_token"].as_str().unwrap();
        assert_eq!(token.split('.').count(), 3);
        let res = app.get("/api/v1/shelters", Some(token)).await;
        assert_eq!(res.status(), StatusCode::OK);
    }

    async fn wrong_password_and_unknown_user_get_the_same_401(b: Backend) {
        let app = spawn_app(b).await;
        let wrong = app
            .post("/api/v1/auth/token", None, &json!({"username": ADMIN, "password": "not-the-password"}))
            .await;
        let wrong = assert_problem(wrong, 401, "unauthorized").await;
        let unknown = app
            .post("/api/v1/auth/token", None, &json!({"username": "nobody", "password": "not-the-password"}))
            .await;
        let unknown = assert_problem(unknown, 401, "unauthorized").await;
        assert_eq!(wrong["detail"], unknown["detail"]);
    }

    async fn a_login_needs_both_fields(b: Backend) {
        let app = spawn_app(b).await;
        let res = app.post("/api/v1/auth/token", None, &json!({"username": ADMIN})).await;
        let p = assert_problem(res, 422, "validation-failed").await;
        assert_eq!(error_fields(&p), vec!["password"]);
    }

    async fn requests_without_a_valid_token_are_401(b: Backend) {
        let app = spawn_app(b).await;
        for path in ["/api/v1/shelters", "/api/v1/guests?q=a"] {
            let res = app.get(path, None).await;
            assert!(res.headers().get("www-authenticate").is_some());
            assert_problem(res, 401, "unauthorized").await;
            assert_problem(app.get(path, Some("not-a-jwt")).await, 401, "unauthorized").await;
            let res = app
                .client
                .get(app.url(path))
                .header("Authorization", format!("Basic {}", app.admin_token))
                .send()
                .await
                .unwrap();
            assert_problem(res, 401, "unauthorized").await;
        }
        // A token signed with another secret.
        let forged = nattplats::auth::TokenKeys::from_secret(b"someone-elses-secret-0123456789abc", 600)
            .issue("x", vec![nattplats::domain::Role::Admin], vec![])
            .unwrap();
        assert_problem(app.get("/api/v1/shelters", Some(&forged)).await, 401, "unauthorized").await;
    }
}
