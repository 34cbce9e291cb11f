//! The availability stream: a screen sees changes at once, also changes
//! made through another instance of the service (PostgreSQL).

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::world::*;

/// Reads the next `availability` event, skipping comments.
async fn next_event<S>(stream: &mut S, buffer: &mut String) -> Value
where
    S: futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin,
{
    loop {
        while let Some(end) = buffer.find("\n\n") {
            let event: String = buffer.drain(..end + 2).collect();
            if let Some(data) = event.lines().find_map(|l| l.strip_prefix("data: ")) {
                assert!(event.starts_with("event: availability"), "{event}");
                return serde_json::from_str(data).expect("event data is JSON");
            }
        }
        let chunk = tokio::time::timeout(Duration::from_secs(5), stream.next())
            .await
            .expect("an event within five seconds")
            .expect("the stream is open")
            .expect("a chunk");
        buffer.push_str(std::str::from_utf8(&chunk).unwrap());
    }
}

backend_tests! {
    async fn a_screen_sees_intakes_check_ins_and_cold_nights(b: Backend) {
        let w = world(b).await;
        let sj = w.app.user_token("sj.night", &["social_emergency"], &[]).await;
        let res = w.app.get("/api/v1/availability/stream", Some(&sj)).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "text/event-stream");
        let mut stream = res.bytes_stream();
        let mut buffer = String::new();
        let first = next_event(&mut stream, &mut buffer).await;
        assert_eq!(first["free"], json!({"regular": 3, "women": 2, "overflow": 0}));
        w.stay(json!({"guest_id": w.man().await, "shelter_id": w.a.id})).await;
        let after = next_event(&mut stream, &mut buffer).await;
        assert_eq!(after["free"]["regular"], 2);
        let res = w.app.put("/api/v1/cold-nights/2019-12-01", Some(&w.coordinator), &json!({"reason": "cold", "overflow": [{"shelter_id": w.b.id, "places": 2}]})).await;
        assert_eq!(res.status(), 200);
        let cold = next_event(&mut stream, &mut buffer).await;
        assert_eq!(cold["cold_night"], true);
        assert_eq!(cold["free"]["overflow"], 2);
        // The cutoff passes: the unclaimed reservation frees its place tonight.
        w.app.set_clock("2019-12-01T23:00:00+01:00").await;
        let released = next_event(&mut stream, &mut buffer).await;
        assert_eq!(released["free"]["regular"], 3);
        assert_problem(w.app.get("/api/v1/availability/stream", None).await, 401, "unauthorized").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_screen_sees_a_change_made_through_another_instance() {
    if !postgres_enabled() {
        return;
    }
    let w = world(Backend::Postgres).await;
    let sj = w
        .app
        .user_token("sj.night", &["social_emergency"], &[])
        .await;
    let res = w.app.get("/api/v1/availability/stream", Some(&sj)).await;
    let mut stream = res.bytes_stream();
    let mut buffer = String::new();
    let first = next_event(&mut stream, &mut buffer).await;
    assert_eq!(first["free"]["regular"], 3);
    // Another instance of the service, its clock set to the same evening.
    let other = w.app.another_instance();
    let res = w
        .app
        .client
        .put(format!("{other}/api/v1/admin/clock"))
        .bearer_auth(&w.app.admin_token)
        .json(&json!({"now": "2019-12-01T18:00:00+01:00"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let g = w.man().await;
    let res = w
        .app
        .client
        .post(format!("{other}/api/v1/stays"))
        .bearer_auth(&w.coordinator)
        .json(&json!({"guest_id": g, "shelter_id": w.a.id}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    // The clock change on the other instance and the intake may come as
    // one event or two; within five seconds the intake shows.
    let mut seen = next_event(&mut stream, &mut buffer).await;
    if seen["free"]["regular"] == 3 {
        seen = next_event(&mut stream, &mut buffer).await;
    }
    assert_eq!(seen["free"]["regular"], 2);
}
