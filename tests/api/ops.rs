use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

backend_tests! {
    async fn health_and_ready_answer_without_a_token(b: Backend) {
        let app = spawn_app(b).await;
        let res = app.get("/health", None).await;
        assert_eq!(res.status(), StatusCode::OK);
        let res = app.get("/ready", None).await;
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["status"], "ready");
    }

    async fn no_name_reaches_the_log(b: Backend) {
        let app = spawn_app(b).await;
        let token = app.user_token("coord", &["coordinator"], &[]).await;
        let unique = format!("Zamfirescu{}", uuid::Uuid::new_v4().simple().to_string().chars().filter(|c| c.is_ascii_alphabetic()).collect::<String>());
        let res = app.post("/api/v1/guests", Some(&token), &serde_json::json!({
            "given_name": "Ioana", "family_name": unique, "birth_date": "1977-03-04",
            "gender": "woman", "citizenship": "RO", "needs": ["pregnant"]})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let id = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
        app.client.get(app.url("/api/v1/guests")).query(&[("q", unique.as_str())]).bearer_auth(&token).send().await.unwrap();
        app.get(&format!("/api/v1/guests/{id}"), Some(&token)).await;
        let bad = app.post("/api/v1/guests", Some(&token), &serde_json::json!({"given_name": unique, "family_name": "", "birth_year": 1977, "gender": "woman", "citizenship": "RO"})).await;
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let log = log_text();
        assert!(log.contains("request finished"), "the log is captured");
        assert!(!log.contains(&unique), "a name reached the log");
        assert!(!log.contains("1977-03-04"), "a birth date reached the log");
    }

    async fn ready_says_not_ready_when_the_schema_is_behind(b: Backend) {
        let app = spawn_app(b).await;
        nattplats::db::revert_all_migrations(&mut app.conn()).unwrap();
        let res = app.get("/ready", None).await;
        assert!(res.headers().get("retry-after").is_some());
        assert_problem(res, 503, "unavailable").await;
        assert_eq!(app.get("/health", None).await.status(), StatusCode::OK);
    }

    async fn every_response_carries_a_request_id(b: Backend) {
        let app = spawn_app(b).await;
        let a = app.get("/health", None).await;
        let c = app.get("/nowhere", None).await;
        let id_a = a.headers().get("x-request-id").expect("id").to_str().unwrap().to_owned();
        let id_c = c.headers().get("x-request-id").expect("id").to_str().unwrap().to_owned();
        assert_eq!(id_a.len(), 36);
        assert_ne!(id_a, id_c);
    }

    async fn metrics_are_prometheus_text(b: Backend) {
        let app = spawn_app(b).await;
        app.get("/health", None).await;
        let res = app.get("/metrics", None).await;
        assert_eq!(res.status(), StatusCode::OK);
        let text = res.text().await.unwrap();
        assert!(text.contains("nattplats_http_requests_total"), "{text}");
        // Labels are route patterns: no id and no query string in metrics.
        let token = app.user_token("coord", &["coordinator"], &[]).await;
        app.get("/api/v1/guests/4a1b9e4c-0d1e-4f7a-9a53-2f1e8f3c9b10", Some(&token)).await;
        app.get("/api/v1/guests?q=Popescu", Some(&token)).await;
        let text = app.get("/metrics", None).await.text().await.unwrap();
        assert!(!text.contains("4a1b9e4c"), "{text}");
        assert!(!text.contains("Popescu"), "{text}");
    }

    // Issue 14, item 4: 30,000 requests to random addresses made each its
    // own label, and /metrics grew without bound. Unknown addresses share
    // one label, unknown methods are answered before they are counted,
    // and the docs page's assets are counted under their route pattern
    // without a warning each.
    async fn unknown_addresses_and_methods_do_not_grow_the_metrics(b: Backend) {
        let app = spawn_app(b).await;
        let before = app.get("/metrics", None).await.text().await.unwrap().len();
        for i in 0..100 {
            let tag = format!("zq{i}x{}", uuid::Uuid::new_v4().simple());
            for path in [
                format!("/{tag}"),
                format!("/{tag}/{tag}"),
                format!("/api/v1/{tag}"),
                format!("/api/v1/guests/{tag}/{tag}"),
                format!("/docs/{tag}"),
            ] {
                let res = app.get(&path, None).await;
                assert!(res.status().is_client_error(), "{path}: {}", res.status());
            }
            let method = reqwest::Method::from_bytes(format!("ZQ{i}").as_bytes()).unwrap();
            let res = app.client.request(method, app.url("/health")).send().await.unwrap();
            assert!(res.status().is_client_error() || res.status() == StatusCode::NOT_IMPLEMENTED, "{}", res.status());
            assert_eq!(res.headers()["content-type"], "application/problem+json");
        }
        for asset in ["/docs/", "/docs/swagger-ui.css", "/docs/swagger-initializer.js"] {
            assert_eq!(app.get(asset, None).await.status(), StatusCode::OK, "{asset}");
        }
        // Refused before routing: the route's parameters are not filled in.
        let stay = format!("/api/v1/stays/{}", uuid::Uuid::new_v4());
        assert_eq!(app.get(&stay, None).await.status(), StatusCode::UNAUTHORIZED);
        let text = app.get("/metrics", None).await.text().await.unwrap();
        assert!(!text.contains("zq") && !text.contains("ZQ"), "an address or method became a label");
        let mut endpoints = std::collections::BTreeSet::new();
        let mut methods = std::collections::BTreeSet::new();
        for line in text.lines().filter(|l| l.starts_with("nattplats_http_requests_total{")) {
            for (name, set) in [("endpoint=\"", &mut endpoints), ("method=\"", &mut methods)] {
                let value = line.split(name).nth(1).and_then(|v| v.split('"').next()).unwrap();
                set.insert(value.to_owned());
            }
        }
        assert!(endpoints.len() <= 8, "{endpoints:?}");
        assert!(methods.is_subset(&["GET", "POST"].iter().map(|m| (*m).to_owned()).collect()), "{methods:?}");
        assert!(text.len() < before + 20_000, "/metrics grew from {before} to {} bytes", text.len());
        assert!(!log_text().contains("mixed cardinality pattern"), "a warning for each request");
    }

    async fn the_openapi_document_lists_the_api(b: Backend) {
        let app = spawn_app(b).await;
        let res = app.get("/openapi.json", None).await;
        assert_eq!(res.status(), StatusCode::OK);
        let doc: Value = res.json().await.unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        for path in [
            "/api/v1/auth/token",
            "/api/v1/users",
            "/api/v1/shelters",
            "/api/v1/shelters/{id}/places",
            "/api/v1/guests",
            "/api/v1/guests/{id}",
            "/api/v1/admin/clock",
            "/health",
            "/ready",
        ] {
            assert!(doc["paths"][path].is_object(), "{path} missing");
        }
        assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
        // Errors are documented as they are sent: problem+json, with the
        // statuses any request can meet.
        let post = &doc["paths"]["/api/v1/guests"]["post"]["responses"];
        for status in ["400", "401", "403", "413", "415", "422", "503"] {
            assert!(post[status]["content"]["application/problem+json"].is_object(), "{status}: {post}");
            assert!(post[status]["content"]["application/json"].is_null(), "{status}");
        }
        let get = &doc["paths"]["/api/v1/availability"]["get"]["responses"];
        assert!(get["422"]["content"]["application/problem+json"].is_object());
        assert!(get["413"].is_null(), "no body, no 413");
    }

    async fn every_response_in_the_openapi_document_has_a_description(b: Backend) {
        // OpenAPI 3 requires `description` on every Response Object; a
        // document without it is not valid (openapi-spec-validator).
        let app = spawn_app(b).await;
        let doc: Value = app.get("/openapi.json", None).await.json().await.unwrap();
        let mut missing = Vec::new();
        let mut seen = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let Some(responses) = op["responses"].as_object() else { continue };
                for (status, response) in responses {
                    seen += 1;
                    let ok = response["description"].as_str().is_some_and(|d| !d.trim().is_empty());
                    if !ok {
                        missing.push(format!("{method} {path} {status}"));
                    }
                }
            }
        }
        if let Some(shared) = doc["components"]["responses"].as_object() {
            for (name, response) in shared {
                seen += 1;
                if response["description"].as_str().is_none_or(|d| d.trim().is_empty()) {
                    missing.push(format!("components/responses/{name}"));
                }
            }
        }
        assert!(seen > 300, "only {seen} responses");
        assert!(missing.is_empty(), "{} of {seen} responses have no description: {missing:?}", missing.len());
        // A response declared without words gets its status's reason phrase.
        let stay = &doc["paths"]["/api/v1/stays/{id}"]["get"]["responses"];
        assert_eq!(stay["200"]["description"], "OK");
        assert_eq!(stay["404"]["description"], "Not Found");
    }

    async fn the_docs_page_is_served_from_the_binary(b: Backend) {
        let app = spawn_app(b).await;
        let res = app.get("/docs/", None).await;
        assert_eq!(res.status(), StatusCode::OK);
        let html = res.text().await.unwrap();
        assert!(html.contains("swagger"), "{html}");
        let res = app.get("/docs/swagger-ui-bundle.js", None).await;
        assert_eq!(res.status(), StatusCode::OK);
    }

    async fn every_answer_carries_the_security_headers(b: Backend) {
        let app = spawn_app(b).await;
        for (path, token) in [("/api/v1/shelters", Some(app.admin_token.as_str())), ("/api/v1/shelters", None), ("/nowhere", None), ("/health", None)] {
            let res = app.get(path, token).await;
            let h = res.headers();
            assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
            assert_eq!(h["x-frame-options"], "DENY");
            assert_eq!(h["referrer-policy"], "no-referrer");
            assert_eq!(h["content-security-policy"], "default-src 'none'; frame-ancestors 'none'");
            assert_eq!(h["cache-control"], "no-store");
            // Refusals before the handler (401 without a token) too.
            assert!(h.get("x-request-id").is_some(), "{path}");
            // No CORS unless configured: browsers elsewhere cannot read answers.
            assert!(h.get("access-control-allow-origin").is_none());
        }
        let res = app.get("/docs/", None).await;
        let csp = res.headers()["content-security-policy"].to_str().unwrap().to_owned();
        assert!(csp.starts_with("default-src 'self'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"));
    }

    async fn cors_lets_in_only_the_configured_origins(b: Backend) {
        let app = spawn_app(b).await;
        let other = app.instance_with(|s| s.cors_origins = vec!["https://skarm.stad.example".into()]);
        let preflight = |base: String, origin: &'static str| {
            app.client
                .request(reqwest::Method::OPTIONS, format!("{base}/api/v1/availability"))
                .header("Origin", origin)
                .header("Access-Control-Request-Method", "GET")
                .header("Access-Control-Request-Headers", "authorization")
                .send()
        };
        let res = preflight(other.clone(), "https://skarm.stad.example").await.unwrap();
        assert!(res.status().is_success());
        assert_eq!(res.headers()["access-control-allow-origin"], "https://skarm.stad.example");
        let res = preflight(other.clone(), "https://evil.example").await.unwrap();
        assert!(res.headers().get("access-control-allow-origin").is_none());
        let res = app.client.get(format!("{other}/api/v1/availability")).bearer_auth(&app.admin_token)
            .header("Origin", "https://skarm.stad.example").send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["access-control-allow-origin"], "https://skarm.stad.example");
        // Not configured: no CORS answer for anyone, and requests still work.
        let res = preflight(app.address.clone(), "https://skarm.stad.example").await.unwrap();
        assert!(res.headers().get("access-control-allow-origin").is_none());
        let res = app.client.get(app.url("/api/v1/availability")).bearer_auth(&app.admin_token)
            .header("Origin", "https://skarm.stad.example").send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers().get("access-control-allow-origin").is_none());
    }

    async fn the_log_watch_recognises_a_name_only_as_a_word(b: Backend) {
        // The watch every test relies on (helpers.rs): each log line of the
        // suite is searched for every guest name sent so far.
        let _ = b;
        let names: std::collections::HashSet<String> = ["Popescu", "Ion", "Ştefan"].iter().map(|s| (*s).to_owned()).collect();
        assert_eq!(names_in(r#"{"msg":"registered Popescu"}"#, &names), vec!["Popescu"]);
        assert_eq!(names_in(r#"{"msg":"Ştefan."}"#, &names), vec!["Ştefan"]);
        assert!(names_in(r#"{"msg":"Version PopescuX Ionic"}"#, &names).is_empty());
    }

    async fn an_unknown_address_is_a_404_problem(b: Backend) {
        let app = spawn_app(b).await;
        assert_problem(app.get("/nowhere", None).await, 404, "not-found").await;
        assert_problem(app.get("/api/v1/nowhere", Some(&app.admin_token)).await, 404, "not-found").await;
    }

    async fn a_wrong_method_is_a_405_problem_with_allow(b: Backend) {
        let app = spawn_app(b).await;
        let res = app
            .client
            .delete(app.url("/api/v1/shelters"))
            .bearer_auth(&app.admin_token)
            .send()
            .await
            .unwrap();
        let allow = res.headers().get("allow").expect("Allow").to_str().unwrap().to_owned();
        assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
        assert_problem(res, 405, "method-not-allowed").await;
    }

    async fn the_manual_clock_is_set_by_an_admin(b: Backend) {
        let app = spawn_app(b).await;
        let body = app.set_clock("2019-12-02T01:30:00+01:00").await;
        assert_eq!(body["night"], "2019-12-01");
        assert_eq!(body["now"], "2019-12-02T00:30:00Z");
        let body = app.set_clock("2019-12-02T12:00:00+01:00").await;
        assert_eq!(body["night"], "2019-12-02");
        let staff = app.user_token("desk", &["coordinator"], &[]).await;
        let res = app
            .put("/api/v1/admin/clock", Some(&staff), &serde_json::json!({"now": "2019-12-03T12:00:00Z"}))
            .await;
        assert_problem(res, 403, "forbidden").await;
        let res = app
            .put("/api/v1/admin/clock", None, &serde_json::json!({"now": "2019-12-03T12:00:00Z"}))
            .await;
        assert_problem(res, 401, "unauthorized").await;
        let res = app
            .put("/api/v1/admin/clock", Some(&app.admin_token), &serde_json::json!({"now": "yesterday"}))
            .await;
        let p = assert_problem(res, 422, "validation-failed").await;
        assert_eq!(error_fields(&p), vec!["now"]);
    }

    // Issue 14, item 8: a clock of year 262142 was taken, and then every
    // request that needed tonight panicked.
    async fn a_clock_outside_the_service_years_is_refused_and_nothing_panics(b: Backend) {
        let app = spawn_app(b).await;
        app.set_clock("2019-12-01T18:00:00+01:00").await;
        for now in ["+262142-12-31T23:59:59Z", "-262143-01-01T00:00:00Z", "1999-12-31T10:00:00Z", "2201-01-01T12:00:00Z", "0000-01-01T00:00:00Z"] {
            let res = app.put("/api/v1/admin/clock", Some(&app.admin_token), &serde_json::json!({"now": now})).await;
            let p = assert_problem(res, 422, "validation-failed").await;
            assert_eq!(error_fields(&p), vec!["now"], "{now}");
        }
        // The clock did not move, and the service answers.
        let res = app.get("/api/v1/availability", Some(&app.admin_token)).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.json::<Value>().await.unwrap()["night"], "2019-12-01");
        // The first and last nights of the range are fine.
        assert_eq!(app.set_clock("2000-01-01T12:00:00+01:00").await["night"], "2000-01-01");
        assert_eq!(app.get("/api/v1/availability", Some(&app.admin_token)).await.status(), StatusCode::OK);
        assert_eq!(app.set_clock("2200-12-31T23:00:00+01:00").await["night"], "2200-12-31");
        let coord = app.user_token("coord", &["coordinator"], &[]).await;
        for path in ["/api/v1/availability", "/api/v1/cold-nights", "/api/v1/reports/follow-up?preset=half-year"] {
            let res = app.get(path, Some(&coord)).await;
            assert_eq!(res.status(), StatusCode::OK, "{path}");
        }
    }

    async fn the_system_clock_cannot_be_set(b: Backend) {
        let app = spawn_with(b, Options { seed: false, manual_clock: false }).await;
        let res = app
            .put("/api/v1/admin/clock", Some(&app.admin_token), &serde_json::json!({"now": "2019-12-03T12:00:00Z"}))
            .await;
        assert_problem(res, 404, "not-found").await;
    }
}

#[test]
fn enums_are_documented_as_they_are_sent() {
    use utoipa::PartialSchema;
    let schema = serde_json::to_value(nattplats::domain::PlaceCategory::schema()).unwrap();
    assert_eq!(
        schema["enum"],
        serde_json::json!(["regular", "women", "overflow"]),
        "{schema}"
    );
    let roles = serde_json::to_value(nattplats::domain::Role::schema()).unwrap();
    assert_eq!(
        roles["enum"],
        serde_json::json!([
            "admin",
            "coordinator",
            "shelter_staff",
            "social_emergency",
            "outreach"
        ])
    );
}
