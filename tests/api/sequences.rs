//! Random sequences of what desks, socialjouren and coordinators do
//! through the HTTP API (intakes, check-ins around the cutoff, ends,
//! voids, moves, bans, cold nights, placements, the clock moving on), with
//! availability and the stays read in between. After every step the free
//! places that availability gives must be exactly the places that no stay
//! (as its own view shows it) and no placement holds: a stay that has
//! ended, by no-shows too, never holds a bed.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, FixedOffset, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::world::*;

const SEQUENCES: u64 = 4;
const STEPS: usize = 60;

struct Model {
    clock: DateTime<FixedOffset>,
    guests: Vec<String>,
    /// Stay ids by guest, in the order made.
    stays: BTreeMap<usize, Vec<String>>,
    /// (night, place id) of every placement made.
    placements: BTreeSet<(NaiveDate, String)>,
    /// Every place: id → (shelter id, category, label).
    places: BTreeMap<String, (String, String)>,
}

impl Model {
    fn tonight(&self) -> NaiveDate {
        (self.clock - Duration::hours(12)).date_naive()
    }
}

async fn ok_or_refused(res: reqwest::Response, what: &str) -> Option<Value> {
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert!(status.as_u16() < 500, "{what}: {status} {body}");
    assert!(
        status.is_success() || status == StatusCode::CONFLICT || status == StatusCode::NOT_FOUND,
        "{what}: {status} {body}"
    );
    status.is_success().then_some(body)
}

/// What availability says is free on `night`, and what the stays' own
/// views and the placements say is held, must be complements.
async fn check(w: &World, m: &Model, night: NaiveDate, step: usize) {
    // Availability first: reading a stay must not be what frees its bed.
    let res = w
        .app
        .get(
            &format!("/api/v1/availability?night={night}"),
            Some(&w.coordinator),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let v: Value = res.json().await.unwrap();
    let free: BTreeSet<String> = v["shelters"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| {
            s["free_places"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["place_id"].as_str().unwrap().to_owned())
        })
        .collect();
    let counted = w
        .app
        .get(
            &format!("/api/v1/availability?night={night}&places=false"),
            Some(&w.coordinator),
        )
        .await;
    let counted: Value = counted.json().await.unwrap();
    assert_eq!(
        counted["free"], v["free"],
        "step {step}: counts and list of {night}"
    );
    let mut held: BTreeSet<String> = m
        .placements
        .iter()
        .filter(|(n, _)| *n == night)
        .map(|(_, p)| p.clone())
        .collect();
    let tonight = m.tonight();
    for ids in m.stays.values() {
        for id in ids {
            let s = w.get_stay(id).await;
            let active = s["status"] == "active";
            for n in s["nights"].as_array().unwrap() {
                let on: NaiveDate = n["night"].as_str().unwrap().parse().unwrap();
                let state = n["state"].as_str().unwrap();
                if !active && on > tonight {
                    assert_eq!(
                        state, "released",
                        "step {step}: night {on} of an ended stay {s}"
                    );
                }
                if on == night && (state == "reserved" || state == "checked_in") {
                    assert!(
                        held.insert(n["place_id"].as_str().unwrap().to_owned()),
                        "step {step}: a place held twice on {night}"
                    );
                }
            }
        }
    }
    let cold = v["cold_night"] == true;
    for (id, (_, category)) in &m.places {
        if category == "overflow" && !cold {
            continue;
        }
        let is_free = free.contains(id);
        let is_held = held.contains(id);
        // An overflow place may be open or not; one that is listed free is not held.
        if category == "overflow" {
            assert!(
                !(is_free && is_held),
                "step {step}: overflow {id} free and held on {night}"
            );
            continue;
        }
        assert!(
            is_free != is_held,
            "step {step}: place {id} on {night}: free {is_free}, held {is_held}; {v}"
        );
    }
}

async fn run(w: &World, seed: u64, start: &str) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut m = Model {
        clock: DateTime::parse_from_rfc3339(start).unwrap(),
        guests: Vec::new(),
        stays: BTreeMap::new(),
        placements: BTreeSet::new(),
        places: BTreeMap::new(),
    };
    w.app.set_clock(&m.clock.to_rfc3339()).await;
    for (id, shelter, category) in w.places_by_category() {
        m.places.insert(id, (shelter, category.to_owned()));
    }
    for g in 0..5 {
        m.guests.push(if g % 2 == 0 {
            w.woman().await
        } else {
            w.man().await
        });
    }
    let shelters = [w.a.id.clone(), w.b.id.clone()];
    for step in 0..STEPS {
        let g = rng.random_range(0..m.guests.len());
        let guest = m.guests[g].clone();
        let latest = m.stays.get(&g).and_then(|v| v.last()).cloned();
        let tonight = m.tonight();
        match rng.random_range(0..100) {
            0..=24 => {
                let mut body =
                    json!({"guest_id": guest, "shelter_id": shelters[rng.random_range(0..2)]});
                if rng.random_bool(0.2) {
                    body["first_night"] = json!((tonight + Duration::days(1)).to_string());
                }
                if rng.random_bool(0.2) {
                    body["category"] = json!(["regular", "women"][rng.random_range(0..2)]);
                }
                let res = w.request_stay(&w.coordinator, body).await;
                if let Some(s) = ok_or_refused(res, "intake").await {
                    m.stays
                        .entry(g)
                        .or_default()
                        .push(s["id"].as_str().unwrap().to_owned());
                }
            }
            25..=44 => {
                if let Some(id) = latest {
                    ok_or_refused(w.act(&id, "check-ins", json!({})).await, "check-in").await;
                }
            }
            45..=49 => {
                if let Some(id) = latest {
                    ok_or_refused(w.act(&id, "end", json!({"reason": "left"})).await, "end").await;
                }
            }
            50..=52 => {
                if let Some(id) = latest {
                    ok_or_refused(
                        w.act(&id, "void", json!({"reason": "entered in error"}))
                            .await,
                        "void",
                    )
                    .await;
                }
            }
            53..=57 => {
                if let Some(id) = latest {
                    let place = m
                        .places
                        .keys()
                        .nth(rng.random_range(0..m.places.len()))
                        .unwrap()
                        .clone();
                    ok_or_refused(w.act(&id, "move", json!({"place_id": place})).await, "move")
                        .await;
                }
            }
            58..=60 => {
                let mut body = json!({"guest_id": guest, "first_night": tonight.to_string(),
                    "last_night": (tonight + Duration::days(rng.random_range(0..3))).to_string(), "reason": "threats"});
                if rng.random_bool(0.5) {
                    body["shelter_id"] = json!(shelters[rng.random_range(0..2)]);
                }
                ok_or_refused(
                    w.app
                        .post("/api/v1/bans", Some(&w.coordinator), &body)
                        .await,
                    "ban",
                )
                .await;
            }
            61..=65 => {
                let body = json!({"reason": "cold", "overflow": [{"shelter_id": w.a.id, "places": rng.random_range(0..3)}]});
                let res = w
                    .app
                    .put(
                        &format!("/api/v1/cold-nights/{tonight}"),
                        Some(&w.coordinator),
                        &body,
                    )
                    .await;
                ok_or_refused(res, "cold night").await;
            }
            66..=67 => {
                let res = w
                    .app
                    .client
                    .delete(w.app.url(&format!("/api/v1/cold-nights/{tonight}")))
                    .bearer_auth(&w.coordinator)
                    .send()
                    .await
                    .unwrap();
                assert!(res.status().as_u16() < 500);
            }
            68..=74 => {
                let kind = ["emergency", "cold_night"][rng.random_range(0..2)];
                let body = json!({"guest_id": guest, "kind": kind, "reason": "acute"});
                let res = w
                    .app
                    .post("/api/v1/placements", Some(&w.coordinator), &body)
                    .await;
                if let Some(p) = ok_or_refused(res, "placement").await {
                    let place = p["place_id"].as_str().unwrap().to_owned();
                    m.places.entry(place.clone()).or_insert_with(|| {
                        (
                            p["shelter_id"].as_str().unwrap().to_owned(),
                            "overflow".to_owned(),
                        )
                    });
                    m.placements
                        .insert((p["night"].as_str().unwrap().parse().unwrap(), place));
                }
            }
            _ => {
                // The clock moves on, often across a cutoff or a night.
                m.clock += Duration::hours([1, 2, 3, 5, 6, 12, 18, 24][rng.random_range(0..8)]);
                w.app.set_clock(&m.clock.to_rfc3339()).await;
            }
        }
        let tonight = m.tonight();
        for night in [tonight, tonight + Duration::days(1)] {
            check(w, &m, night, step).await;
        }
    }
    let report = nattplats::db::invariants::check(&mut w.app.conn()).unwrap();
    assert!(report.holds(), "seed {seed}: {report:?}");
}

backend_tests! {
    async fn random_sequences_never_find_a_bed_held_by_a_stay_that_has_ended(b: Backend) {
        for seed in 0..SEQUENCES {
            let w = world(b).await;
            run(&w, seed, "2019-12-01T14:00:00+01:00").await;
        }
    }
}
