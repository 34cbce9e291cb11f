//! `Idempotency-Key`: the same key and body give the first answer and no
//! second effect, also from another instance after a restart.

use diesel::prelude::*;
use nattplats::db::schema::stays;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::world::*;

async fn post_with_key(
    app: &TestApp,
    base: &str,
    token: &str,
    path: &str,
    key: &str,
    body: &Value,
) -> reqwest::Response {
    app.client
        .post(format!("{base}{path}"))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// The rows of the kind the `i`th case of the admin's test makes.
fn count(app: &TestApp, i: usize) -> i64 {
    use nattplats::db::schema::{place_outages, places, shelters, users};
    let mut conn = app.conn();
    match i {
        0 => users::table.count().get_result(&mut **conn),
        1 => shelters::table.count().get_result(&mut **conn),
        2 => places::table.count().get_result(&mut **conn),
        _ => place_outages::table.count().get_result(&mut **conn),
    }
    .unwrap()
}

fn stays_of(app: &TestApp, guest: &str) -> i64 {
    let mut conn = app.conn();
    stays::table
        .filter(stays::guest_id.eq(guest))
        .count()
        .get_result(&mut **conn)
        .unwrap()
}

backend_tests! {
    async fn a_repeated_intake_gives_the_first_answer(b: Backend) {
        let w = world(b).await;
        let g = w.man().await;
        let body = json!({"guest_id": g, "shelter_id": w.a.id});
        let base = w.app.address.clone();
        let first = post_with_key(&w.app, &base, &w.coordinator, "/api/v1/stays", "intake-1", &body).await;
        assert_eq!(first.status(), StatusCode::CREATED);
        let first: Value = first.json().await.unwrap();
        let again = post_with_key(&w.app, &base, &w.coordinator, "/api/v1/stays", "intake-1", &body).await;
        assert_eq!(again.status(), StatusCode::CREATED);
        assert_eq!(again.json::<Value>().await.unwrap(), first);
        assert_eq!(stays_of(&w.app, &g), 1);
        // Another body with the same key is refused, and writes nothing.
        let other = json!({"guest_id": w.man().await, "shelter_id": w.a.id});
        let res = post_with_key(&w.app, &base, &w.coordinator, "/api/v1/stays", "intake-1", &other).await;
        let p = assert_problem(res, 422, "validation-failed").await;
        assert_eq!(error_fields(&p), vec!["Idempotency-Key"]);
        // Without a key the same body is a second request: refused by the rules.
        let res = w.request_stay(&w.coordinator, body.clone()).await;
        assert_problem(res, 409, "already-has-stay").await;
        // After a restart, another instance answers the same.
        let second = w.app.another_instance();
        let res = post_with_key(&w.app, &second, &w.coordinator, "/api/v1/stays", "intake-1", &body).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        assert_eq!(res.json::<Value>().await.unwrap(), first);
        assert_eq!(stays_of(&w.app, &g), 1);
    }

    async fn a_repeated_check_in_gives_the_first_answer(b: Backend) {
        let w = world(b).await;
        let s = w.stay(json!({"guest_id": w.man().await, "shelter_id": w.a.id})).await;
        let path = format!("/api/v1/stays/{}/check-ins", s["id"].as_str().unwrap());
        let base = w.app.address.clone();
        w.app.set_clock("2019-12-01T19:00:00+01:00").await;
        let first = post_with_key(&w.app, &base, &w.coordinator, &path, "ci-1", &json!({})).await;
        assert_eq!(first.status(), StatusCode::CREATED);
        let first: Value = first.json().await.unwrap();
        w.app.set_clock("2019-12-01T19:30:00+01:00").await;
        let again = post_with_key(&w.app, &base, &w.coordinator, &path, "ci-1", &json!({})).await;
        assert_eq!(again.json::<Value>().await.unwrap(), first);
        assert_eq!(first["checked_in_at"], "2019-12-01T18:00:00Z");
    }

    async fn a_refused_request_may_be_sent_again_with_its_key(b: Backend) {
        let w = world_with(b, &[("R1", "regular")], &[]).await;
        let blocker = w.stay(json!({"guest_id": w.man().await, "shelter_id": w.a.id})).await;
        let body = json!({"guest_id": w.man().await, "shelter_id": w.a.id});
        let base = w.app.address.clone();
        let res = post_with_key(&w.app, &base, &w.coordinator, "/api/v1/stays", "k", &body).await;
        assert_problem(res, 409, "no-free-place").await;
        let res = w.act(blocker["id"].as_str().unwrap(), "void", json!({"reason": "entered twice"})).await;
        assert_eq!(res.status(), StatusCode::OK);
        let res = post_with_key(&w.app, &base, &w.coordinator, "/api/v1/stays", "k", &body).await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }

    async fn a_key_whose_request_is_still_being_answered_is_not_answered_twice(b: Backend) {
        use nattplats::db::schema::{idempotency_keys as k, users};
        let w = world(b).await;
        let g = w.man().await;
        let coordinator: String = users::table
            .filter(users::username.eq("coord"))
            .select(users::id)
            .first(&mut **w.app.conn())
            .unwrap();
        // A claim with no answer yet, as a request being served holds it.
        diesel::insert_into(k::table)
            .values((
                k::user_id.eq(&coordinator),
                k::key.eq("intake-in-flight"),
                k::request_hash.eq("a request being answered"),
                k::status.eq(0),
                k::body.eq(""),
                k::created_at.eq(chrono::Utc::now().naive_utc()),
            ))
            .execute(&mut **w.app.conn())
            .unwrap();
        let body = json!({"guest_id": g, "shelter_id": w.a.id});
        let base = w.app.address.clone();
        let res = post_with_key(&w.app, &base, &w.coordinator, "/api/v1/stays", "intake-in-flight", &body).await;
        let p = assert_problem(res, 409, "request-in-progress").await;
        assert!(p["detail"].as_str().unwrap().contains("send it again"));
        assert_eq!(stays_of(&w.app, &g), 0);
    }

    async fn one_key_sent_from_several_desks_at_once_books_once(b: Backend) {
        // A dropped connection makes a desk send its intake again while the
        // first is still being answered: the claim of the key is what keeps
        // the second from booking. 20 rounds of four at once, on both
        // backends (PostgreSQL answers them truly in parallel).
        let labels: Vec<String> = (1..=20).map(|i| format!("R{i}")).collect();
        let places: Vec<(&str, &str)> = labels.iter().map(|l| (l.as_str(), "regular")).collect();
        let w = world_with(b, &places, &[]).await;
        let base = w.app.address.clone();
        for round in 0..20 {
            let g = w.man().await;
            let body = json!({"guest_id": g, "shelter_id": w.a.id});
            let key = format!("resent-{round}");
            let sends = (0..4).map(|_| {
                post_with_key(&w.app, &base, &w.coordinator, "/api/v1/stays", &key, &body)
            });
            let mut created: Vec<Value> = Vec::new();
            for res in futures_util::future::join_all(sends).await {
                match res.status() {
                    StatusCode::CREATED => created.push(res.json().await.unwrap()),
                    _ => {
                        // Only "still being answered, send it again" may
                        // come instead of the first answer.
                        assert_problem(res, 409, "request-in-progress").await;
                    }
                }
            }
            assert!(!created.is_empty(), "round {round}: nobody got the stay");
            assert!(
                created.iter().all(|c| c == &created[0]),
                "round {round}: two different answers to one key: {created:?}"
            );
            assert_eq!(stays_of(&w.app, &g), 1, "round {round}");
        }
    }

    async fn the_admin_s_creating_requests_sent_again_with_their_key_create_once(b: Backend) {
        let w = world(b).await;
        let admin = w.app.admin_token.clone();
        let base = w.app.address.clone();
        let place = w.a.places[0].1.clone();
        // Each: the route, its body, and how many rows of its kind there are.
        let cases: Vec<(String, Value)> = vec![
            ("/api/v1/users".into(), json!({"username": "keyed.desk", "password": "a-password-1", "roles": ["shelter_staff"], "shelter_ids": [w.a.id]})),
            ("/api/v1/shelters".into(), json!({"name": "Keyed shelter", "organization": "Convictus"})),
            (format!("/api/v1/shelters/{}/places", w.a.id), json!({"label": "K01", "category": "regular"})),
            (format!("/api/v1/shelters/{}/places/{place}/out-of-service", w.a.id), json!({"first_night": "2019-12-10", "last_night": "2019-12-11", "reason": "Repair"})),
        ];
        for (i, (path, body)) in cases.iter().enumerate() {
            let before = count(&w.app, i);
            let key = format!("admin-create-{i}");
            let first = post_with_key(&w.app, &base, &admin, path, &key, body).await;
            assert_eq!(first.status(), StatusCode::CREATED, "{path}");
            let first: Value = first.json().await.unwrap();
            let again = post_with_key(&w.app, &base, &admin, path, &key, body).await;
            assert_eq!(again.status(), StatusCode::CREATED, "{path}: the first answer again");
            assert_eq!(again.json::<Value>().await.unwrap(), first, "{path}");
            assert_eq!(count(&w.app, i), before + 1, "{path}: made once");
        }
    }

    async fn a_bad_key_is_refused(b: Backend) {
        let w = world(b).await;
        let body = json!({"guest_id": w.man().await, "shelter_id": w.a.id});
        let base = w.app.address.clone();
        let long = "k".repeat(256);
        for key in [long.as_str(), "has space"] {
            let res = post_with_key(&w.app, &base, &w.coordinator, "/api/v1/stays", key, &body).await;
            let p = assert_problem(res, 422, "validation-failed").await;
            assert_eq!(error_fields(&p), vec!["Idempotency-Key"]);
        }
    }
}
