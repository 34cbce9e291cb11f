//! Nothing a client sends gives a 5xx.

use serde_json::json;

use crate::helpers::*;

backend_tests! {
    async fn unreadable_bodies_are_client_errors(b: Backend) {
        let app = spawn_app(b).await;
        let token = app.user_token("coord", &["coordinator"], &[]).await;
        let send = |body: &'static str, content_type: &'static str| {
            let app = &app;
            let token = token.clone();
            async move {
                app.client
                    .post(app.url("/api/v1/guests"))
                    .bearer_auth(token)
                    .header("content-type", content_type)
                    .body(body)
                    .send()
                    .await
                    .unwrap()
            }
        };
        assert_problem(send("{\"given_name\": ", "application/json").await, 400, "bad-json").await;
        assert_problem(send("", "application/json").await, 400, "bad-json").await;
        assert_problem(send("{} {}", "application/json").await, 400, "bad-json").await;
        assert_problem(send("not json", "application/json").await, 400, "bad-json").await;
        assert_problem(send("{\"a\":1}", "text/plain").await, 415, "unsupported-media-type").await;
        let p = assert_problem(send("[1,2]", "application/json").await, 422, "validation-failed").await;
        assert_eq!(error_fields(&p), vec!["body"]);
        let p = assert_problem(send("null", "application/json").await, 422, "validation-failed").await;
        assert_eq!(error_fields(&p), vec!["body"]);
    }

    async fn a_huge_body_is_413(b: Backend) {
        let app = spawn_app(b).await;
        let token = app.user_token("coord", &["coordinator"], &[]).await;
        let big = json!({"given_name": "a".repeat(2 * 1024 * 1024), "family_name": "b",
                         "birth_year": 1980, "gender": "man", "citizenship": "PL"});
        let res = app.post("/api/v1/guests", Some(&token), &big).await;
        assert_problem(res, 413, "body-too-large").await;
        // The service still answers.
        assert_eq!(app.get("/health", None).await.status(), 200);
    }

    async fn wrong_types_and_odd_values_never_give_5xx(b: Backend) {
        let app = spawn_app(b).await;
        let token = app.user_token("coord", &["coordinator"], &[]).await;
        let bodies = [
            json!({"given_name": 1, "family_name": [], "birth_year": "x", "gender": null, "citizenship": {}}),
            json!({"given_name": "a", "family_name": "b", "birth_year": 1e40, "gender": "man", "citizenship": "PL"}),
            json!({"given_name": "a", "family_name": "b", "birth_year": -5, "gender": "man", "citizenship": "PL"}),
            json!({"given_name": "a", "family_name": "b", "birth_date": "1980-02-30", "gender": "man", "citizenship": "PL"}),
            json!({"given_name": "\u{202e}", "family_name": "b", "birth_year": 1980, "gender": "man", "citizenship": "PL"}),
            json!("just a string"),
        ];
        for body in bodies {
            for path in ["/api/v1/guests", "/api/v1/users", "/api/v1/shelters", "/api/v1/auth/token"] {
                let res = app.post(path, Some(&app.admin_token), &body).await;
                assert!(res.status().is_client_error(), "{path} {body}: {}", res.status());
                assert_eq!(res.headers()["content-type"], "application/problem+json");
            }
            let _ = token.len();
        }
        let res = app.put("/api/v1/admin/clock", Some(&app.admin_token), &json!({"now": 5})).await;
        assert_problem(res, 422, "validation-failed").await;
        let res = app.client.get(app.url("/api/v1/guests/%00%ff")).bearer_auth(&token).send().await.unwrap();
        assert!(res.status().is_client_error(), "{}", res.status());
        let res = app.client.get(app.url("/api/v1/guests?q=%ff%fe&q=2")).bearer_auth(&token).send().await.unwrap();
        assert!(res.status().is_client_error() || res.status().is_success(), "{}", res.status());
    }
}

backend_tests! {
    // Found by schemathesis (scripts/schemathesis.sh): the document had no
    // request bodies and put query parameters in the path, so a client
    // generated from it could not call the API. Every parameter named "in
    // path" is in the path, every body-taking operation declares its body.
    async fn the_openapi_document_declares_bodies_and_parameters(b: Backend) {
        let app = spawn_app(b).await;
        let doc: serde_json::Value = app.get("/openapi.json", None).await.json().await.unwrap();
        let without_body = ["/api/v1/intake-sessions/{id}/draw"];
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                for p in op["parameters"].as_array().into_iter().flatten() {
                    if p["in"] == "path" {
                        let name = p["name"].as_str().unwrap();
                        assert!(path.contains(&format!("{{{name}}}")), "{method} {path}: {name}");
                    }
                }
                if ["post", "put", "patch"].contains(&method.as_str()) && !without_body.contains(&path.as_str()) {
                    assert!(op.get("requestBody").is_some(), "{method} {path} declares no body");
                }
            }
        }
    }
}
