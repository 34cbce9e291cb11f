//! The authorization matrix: the route table of the service's own OpenAPI
//! document, walked against every role (and no token), each cell checked
//! against who API.md lets in. A route added without an expectation here,
//! or whose declaration in `src/api/access.rs` goes missing, fails.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::world::*;

const ROLES: [&str; 5] = [
    "admin",
    "coordinator",
    "shelter_staff",
    "social_emergency",
    "outreach",
];

/// API.md's "who" column: `public`, `any`, or the roles let in.
const EXPECTED: &[(&str, &str, &str)] = &[
    ("POST", "/api/v1/auth/token", "public"),
    ("GET", "/api/v1/users", "admin"),
    ("POST", "/api/v1/users", "admin"),
    ("PATCH", "/api/v1/users/{id}", "admin"),
    ("GET", "/api/v1/rule-sets", "any"),
    ("POST", "/api/v1/rule-sets", "admin"),
    ("GET", "/api/v1/shelters", "any"),
    ("POST", "/api/v1/shelters", "admin"),
    ("PATCH", "/api/v1/shelters/{id}", "admin"),
    ("GET", "/api/v1/shelters/{id}/places", "any"),
    ("POST", "/api/v1/shelters/{id}/places", "admin"),
    (
        "POST",
        "/api/v1/shelters/{id}/places/{place_id}/out-of-service",
        "admin coordinator",
    ),
    (
        "POST",
        "/api/v1/guests",
        "coordinator shelter_staff social_emergency",
    ),
    (
        "GET",
        "/api/v1/guests",
        "coordinator shelter_staff social_emergency",
    ),
    (
        "GET",
        "/api/v1/guests/{id}",
        "coordinator shelter_staff social_emergency",
    ),
    (
        "PATCH",
        "/api/v1/guests/{id}",
        "coordinator shelter_staff social_emergency",
    ),
    (
        "GET",
        "/api/v1/guests/{id}/eligibility",
        "coordinator shelter_staff social_emergency",
    ),
    ("GET", "/api/v1/guests/{id}/export", "coordinator"),
    ("DELETE", "/api/v1/guests/{id}", "admin"),
    ("POST", "/api/v1/stays", "coordinator shelter_staff"),
    (
        "GET",
        "/api/v1/stays",
        "coordinator shelter_staff social_emergency",
    ),
    ("GET", "/api/v1/stays/{id}", "coordinator shelter_staff"),
    (
        "POST",
        "/api/v1/stays/{id}/check-ins",
        "coordinator shelter_staff",
    ),
    (
        "POST",
        "/api/v1/stays/{id}/end",
        "coordinator shelter_staff",
    ),
    (
        "POST",
        "/api/v1/stays/{id}/move",
        "coordinator shelter_staff",
    ),
    ("POST", "/api/v1/stays/{id}/void", "coordinator"),
    ("POST", "/api/v1/bans", "coordinator"),
    ("GET", "/api/v1/availability", "any"),
    ("GET", "/api/v1/availability/stream", "any"),
    ("PUT", "/api/v1/cold-nights/{night}", "coordinator"),
    ("DELETE", "/api/v1/cold-nights/{night}", "coordinator"),
    ("GET", "/api/v1/cold-nights", "any"),
    (
        "GET",
        "/api/v1/placements",
        "coordinator shelter_staff social_emergency",
    ),
    (
        "POST",
        "/api/v1/placements",
        "social_emergency coordinator shelter_staff",
    ),
    (
        "POST",
        "/api/v1/referrals",
        "social_emergency outreach coordinator shelter_staff",
    ),
    (
        "GET",
        "/api/v1/referrals",
        "social_emergency outreach coordinator",
    ),
    (
        "PATCH",
        "/api/v1/referrals/{id}",
        "social_emergency outreach coordinator",
    ),
    ("POST", "/api/v1/incidents", "coordinator shelter_staff"),
    ("GET", "/api/v1/incidents", "coordinator"),
    (
        "POST",
        "/api/v1/intake-sessions",
        "coordinator shelter_staff",
    ),
    (
        "POST",
        "/api/v1/intake-sessions/{id}/applicants",
        "coordinator shelter_staff",
    ),
    (
        "POST",
        "/api/v1/intake-sessions/{id}/draw",
        "coordinator shelter_staff",
    ),
    (
        "GET",
        "/api/v1/intake-sessions/{id}",
        "coordinator shelter_staff",
    ),
    (
        "GET",
        "/api/v1/intake-sessions/{id}/verify",
        "coordinator shelter_staff outreach admin",
    ),
    ("PUT", "/api/v1/admin/clock", "admin"),
    ("POST", "/api/v1/admin/retention", "admin"),
    ("GET", "/api/v1/audit", "admin"),
    // Reports (issue 7): aggregates for coordinators and outreach; rows
    // and complaint texts for coordinators only.
    ("GET", "/api/v1/reports/follow-up", "coordinator outreach"),
    (
        "GET",
        "/api/v1/reports/follow-up.csv",
        "coordinator outreach",
    ),
    (
        "GET",
        "/api/v1/reports/follow-up.html",
        "coordinator outreach",
    ),
    ("GET", "/api/v1/reports/occupancy", "coordinator outreach"),
    ("GET", "/api/v1/reports/bed-nights.csv", "coordinator"),
    ("POST", "/api/v1/complaints", "coordinator shelter_staff"),
    ("GET", "/api/v1/complaints", "coordinator"),
    ("PATCH", "/api/v1/complaints/{id}", "coordinator"),
    ("GET", "/api/v1/survey", "any"),
    (
        "POST",
        "/api/v1/survey/responses",
        "coordinator shelter_staff",
    ),
];

/// Every (method, path) under /api/v1 in the OpenAPI document.
async fn route_table(app: &TestApp) -> BTreeSet<(String, String)> {
    let doc: Value = app.get("/openapi.json", None).await.json().await.unwrap();
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/api/v1/") {
            continue;
        }
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                routes.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    routes
}

fn concrete(path: &str) -> String {
    path.replace("{id}", "00000000-0000-4000-8000-000000000001")
        .replace("{place_id}", "00000000-0000-4000-8000-000000000002")
        .replace("{night}", "2019-12-24")
}

async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &Value,
) -> reqwest::Response {
    let mut req = app.client.request(
        Method::from_bytes(method.as_bytes()).unwrap(),
        app.url(path),
    );
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if method != "GET" && method != "DELETE" {
        req = req.json(body);
    }
    req.send().await.unwrap()
}

backend_tests! {
    async fn every_route_lets_in_exactly_the_roles_api_md_names(b: Backend) {
        let w = world(b).await;
        let routes = route_table(&w.app).await;
        let expected: BTreeSet<(String, String)> = EXPECTED.iter().map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned())).collect();
        assert_eq!(routes, expected, "the route table and the expected matrix differ");
        let mut tokens = Vec::new();
        for role in ROLES {
            let token = match role {
                "admin" => w.app.admin_token.clone(),
                "coordinator" => w.coordinator.clone(),
                "shelter_staff" => w.desk_a.clone(),
                other => w.app.user_token(&format!("matrix.{other}"), &[other], &[]).await,
            };
            tokens.push((role, token));
        }
        let mut cells = 0;
        for (method, path, who) in EXPECTED {
            let url = concrete(path);
            // Without a token only logging in is open.
            let res = call(&w.app, method, &url, None, &json!({})).await;
            if *who == "public" {
                assert_ne!(res.status(), StatusCode::UNAUTHORIZED, "{method} {path} without a token");
            } else {
                assert_problem(res, 401, "unauthorized").await;
            }
            for (role, token) in &tokens {
                let admitted = matches!(*who, "public" | "any") || who.split(' ').any(|r| r == *role);
                let res = call(&w.app, method, &url, Some(token), &json!({})).await;
                let status = res.status();
                if admitted {
                    assert!(status != StatusCode::FORBIDDEN && status != StatusCode::UNAUTHORIZED && !status.is_server_error(),
                        "{method} {path} as {role}: {status}");
                } else {
                    let p = assert_problem(res, 403, "forbidden").await;
                    assert!(p["detail"].as_str().unwrap().contains("roles"), "{method} {path} as {role}: {p}");
                }
                cells += 1;
            }
        }
        assert_eq!(cells, EXPECTED.len() * ROLES.len());
    }

    async fn shelter_staff_are_refused_at_a_shelter_they_do_not_work_at(b: Backend) {
        let w = world(b).await;
        let desk_b = w.app.user_token("desk.b", &["shelter_staff"], &[&w.b.id]).await;
        let g = w.man().await;
        let stay = w.stay(json!({"guest_id": g, "shelter_id": w.a.id})).await;
        let stay_id = stay["id"].as_str().unwrap();
        let other = w.man().await;
        // In an order where each act still makes sense at the own shelter.
        let cells: Vec<(&str, String, Value)> = vec![
            ("GET", format!("/api/v1/stays/{stay_id}"), json!({})),
            ("POST", format!("/api/v1/stays/{stay_id}/check-ins"), json!({})),
            ("POST", format!("/api/v1/stays/{stay_id}/move"), json!({"place_id": w.a.place("R2")})),
            ("POST", format!("/api/v1/stays/{stay_id}/end"), json!({"reason": "left"})),
            ("POST", "/api/v1/stays".into(), json!({"guest_id": other, "shelter_id": w.a.id})),
            ("POST", "/api/v1/incidents".into(), json!({"shelter_id": w.a.id, "kind": "threat", "description": "shouting"})),
            ("POST", "/api/v1/intake-sessions".into(), json!({"shelter_ids": [w.a.id]})),
            ("POST", "/api/v1/complaints".into(), json!({"shelter_id": w.a.id, "source": "guest", "kind": "complaint", "category": "food", "text": "cold soup"})),
            ("POST", "/api/v1/survey/responses".into(), json!({"shelter_id": w.a.id, "safe": "yes"})),
        ];
        for (method, path, body) in &cells {
            let res = call(&w.app, method, path, Some(&desk_b), body).await;
            assert_problem(res, 403, "forbidden").await;
            // The same request from the shelter's own desk is let in.
            let res = call(&w.app, method, path, Some(&w.desk_a), body).await;
            assert!(res.status().is_success(), "{method} {path} at their own shelter: {}", res.status());
        }
    }
}
