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

backend_tests! {
    // Issue 14, item 7: a NUL in free text gave 500 on PostgreSQL, which
    // cannot store one, and was stored on SQLite. Every reason and the
    // incident description follow the complaint texts' rule: 422 naming
    // the field, on both backends, and nothing written.
    async fn a_nul_in_free_text_is_refused_on_both_backends(b: Backend) {
        let w = crate::world::world(b).await;
        let man = w.man().await;
        let stay = w.stay(json!({"guest_id": man, "shelter_id": w.a.id})).await;
        let stay_id = stay["id"].as_str().unwrap().to_owned();
        for bad in ["left\u{0}early", "\u{0}", "bell\u{7}", "escape\u{1b}[2J"] {
            let coord = Some(w.coordinator.as_str());
            let cases = [
                ("end", w.act(&stay_id, "end", json!({"reason": bad})).await, "reason"),
                ("void", w.act(&stay_id, "void", json!({"reason": bad})).await, "reason"),
                ("cold night", w.app.put("/api/v1/cold-nights/2019-12-01", coord,
                    &json!({"reason": bad, "overflow": [{"shelter_id": w.b.id, "places": 1}]})).await, "reason"),
                ("placement", w.app.post("/api/v1/placements", coord,
                    &json!({"guest_id": w.man().await, "kind": "emergency", "reason": bad})).await, "reason"),
                ("ban", w.app.post("/api/v1/bans", coord, &json!({"guest_id": man, "shelter_id": w.b.id,
                    "first_night": "2019-12-01", "last_night": "2019-12-31", "reason": bad})).await, "reason"),
                ("incident", w.app.post("/api/v1/incidents", coord,
                    &json!({"shelter_id": w.a.id, "kind": "threat", "description": bad})).await, "description"),
            ];
            for (what, res, field) in cases {
                let p = assert_problem(res, 422, "validation-failed").await;
                assert_eq!(error_fields(&p), vec![field], "{what} with {bad:?}");
            }
        }
        // Nothing was written: the stay runs, no cold night, no ban.
        assert_eq!(w.get_stay(&stay_id).await["status"], "active");
        let cold: Vec<serde_json::Value> = w.app.get("/api/v1/cold-nights?from=2019-12-01&to=2019-12-01", Some(&w.coordinator)).await.json().await.unwrap();
        assert!(cold.iter().all(|c| c["declared"] == false), "{cold:?}");
        // Line breaks and tabs are text; a browser's form sends a
        // textarea's line breaks as CR LF, kept as LF.
        let res = w.app.post("/api/v1/bans", Some(&w.coordinator), &json!({"guest_id": man, "shelter_id": w.b.id,
            "first_night": "2019-12-01", "last_night": "2019-12-02", "reason": "threats\r\nat the door\twith a knife"})).await;
        assert_eq!(res.status(), 201);
        assert_eq!(res.json::<serde_json::Value>().await.unwrap()["reason"], "threats\nat the door\twith a knife");
        let res = w.act(&stay_id, "end", json!({"reason": "left\nearly"})).await;
        assert_eq!(res.status(), 200);
    }

    // Issue 14, item 7: `from=-001-01-01` gave 500 on PostgreSQL (the date
    // was written into the SQL as text). Nights outside 2000-01-01 to
    // 2200-12-31 are 422 wherever a night is read.
    async fn report_periods_outside_the_service_nights_are_422(b: Backend) {
        let app = spawn_app(b).await;
        app.set_clock("2019-12-01T18:00:00+01:00").await;
        let coord = app.user_token("coord", &["coordinator"], &[]).await;
        for (from, to) in [("-001-01-01", "-001-01-02"), ("0000-01-01", "0000-01-02"), ("1999-12-30", "1999-12-31"), ("2019-11-01", "2201-01-01")] {
            for report in ["follow-up", "follow-up.csv", "follow-up.html", "occupancy", "bed-nights.csv"] {
                let res = app.client.get(app.url(&format!("/api/v1/reports/{report}")))
                    .query(&[("from", from), ("to", to)]).bearer_auth(&coord).send().await.unwrap();
                let p = assert_problem(res, 422, "validation-failed").await;
                let fields = error_fields(&p);
                assert!(fields == ["from"] || fields == ["to"] || fields == ["from", "to"], "{report} {from}..{to}: {p}");
            }
        }
        let res = app.get("/api/v1/reports/follow-up?preset=half-year&of=-001-06-01", Some(&coord)).await;
        assert_eq!(error_fields(&assert_problem(res, 422, "validation-failed").await), ["of"]);
        for path in ["/api/v1/availability?night=0000-01-01", "/api/v1/cold-nights?from=-001-01-01&to=2019-12-01", "/api/v1/incidents?from=-001-01-01&to=2019-12-01"] {
            assert_problem(app.get(path, Some(&coord)).await, 422, "validation-failed").await;
        }
        let res = app.put("/api/v1/cold-nights/-001-12-01", Some(&coord), &json!({"reason": "cold"})).await;
        assert_problem(res, 422, "validation-failed").await;
        // The service still answers a good period.
        let res = app.get("/api/v1/reports/follow-up?from=2019-11-01&to=2019-11-30", Some(&coord)).await;
        assert_eq!(res.status(), 200);
    }

    // Issue 14, item 7: the report's query takes its dates as bound
    // parameters, so even a date PostgreSQL cannot read as text is only a
    // date that matches nothing.
    async fn report_queries_take_dates_as_parameters(b: Backend) {
        let app = spawn_app(b).await;
        let mut conn = app.conn();
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        for (from, to) in [("0000-01-01", "0000-01-31"), ("-0001-01-05", "0000-02-10"), ("2019-11-20", "2020-01-10")] {
            let rows = nattplats::db::reports::guest_groups(&mut conn, d(from), d(to));
            assert!(rows.is_ok(), "{from}..{to}: {:?}", rows.err());
        }
    }
}
