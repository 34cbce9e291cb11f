//! A small world for the bed rules: two shelters with a few places, a
//! coordinator and a desk, the manual clock.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

pub struct World {
    pub app: TestApp,
    pub coordinator: String,
    /// Shelter staff at shelter A only.
    pub desk_a: String,
    pub a: Shelter,
    pub b: Shelter,
}

pub struct Shelter {
    pub id: String,
    /// Place ids by label.
    pub places: Vec<(String, String)>,
}

impl Shelter {
    pub fn place(&self, label: &str) -> String {
        self.places
            .iter()
            .find(|(l, _)| l == label)
            .map(|(_, id)| id.clone())
            .unwrap_or_else(|| panic!("no place {label}"))
    }
}

async fn shelter(app: &TestApp, name: &str, places: &[(&str, &str)]) -> Shelter {
    let res = app
        .post(
            "/api/v1/shelters",
            Some(&app.admin_token),
            &json!({"name": name, "organization": "Convictus"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut out = Vec::new();
    for (label, category) in places {
        let res = app
            .post(
                &format!("/api/v1/shelters/{id}/places"),
                Some(&app.admin_token),
                &json!({"label": label, "category": category}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let place = res.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        out.push(((*label).to_owned(), place));
    }
    Shelter { id, places: out }
}

/// Shelter A: R1, R2 regular, W1 women. Shelter B: R1 regular, W1 women.
/// The clock stands at 2019-12-01 18:00 local (night 2019-12-01).
pub async fn world(b: Backend) -> World {
    world_with(
        b,
        &[("R1", "regular"), ("R2", "regular"), ("W1", "women")],
        &[("R1", "regular"), ("W1", "women")],
    )
    .await
}

pub async fn world_with(b: Backend, places_a: &[(&str, &str)], places_b: &[(&str, &str)]) -> World {
    let app = spawn_with(
        b,
        Options {
            seed: false,
            manual_clock: true,
        },
    )
    .await;
    let a = shelter(&app, "A", places_a).await;
    let b_ = shelter(&app, "B", places_b).await;
    let coordinator = app.user_token("coord", &["coordinator"], &[]).await;
    let desk_a = app.user_token("desk.a", &["shelter_staff"], &[&a.id]).await;
    app.set_clock("2019-12-01T18:00:00+01:00").await;
    World {
        app,
        coordinator,
        desk_a,
        a,
        b: b_,
    }
}

impl World {
    /// Every place of both shelters: (place id, shelter id, category),
    /// the category read from the label the world gave it (`W…` women's).
    pub fn places_by_category(&self) -> Vec<(String, String, &'static str)> {
        let mut all = Vec::new();
        for s in [&self.a, &self.b] {
            for (label, id) in &s.places {
                let category = if label.starts_with('W') {
                    "women"
                } else {
                    "regular"
                };
                all.push((id.clone(), s.id.clone(), category));
            }
        }
        all
    }

    /// Registers a guest; returns the id.
    pub async fn guest(&self, gender: &str, citizenship: &str, birth_year: i32) -> String {
        let n = uuid::Uuid::new_v4().simple().to_string();
        let given: String = n
            .chars()
            .filter(|c| c.is_ascii_alphabetic())
            .take(6)
            .collect();
        let res = self
            .app
            .post(
                "/api/v1/guests",
                Some(&self.coordinator),
                &json!({"given_name": format!("G{given}"), "family_name": "Test", "birth_year": birth_year,
                        "gender": gender, "citizenship": citizenship}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        res.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn man(&self) -> String {
        self.guest("man", "RO", 1980).await
    }

    pub async fn woman(&self) -> String {
        self.guest("woman", "BG", 1985).await
    }

    pub async fn request_stay(&self, token: &str, body: Value) -> reqwest::Response {
        self.app.post("/api/v1/stays", Some(token), &body).await
    }

    /// A stay that must be granted; returns its JSON.
    pub async fn stay(&self, body: Value) -> Value {
        let res = self.request_stay(&self.coordinator, body.clone()).await;
        let status = res.status();
        let text = res.text().await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{body} -> {text}");
        serde_json::from_str(&text).unwrap()
    }

    pub async fn get_stay(&self, id: &str) -> Value {
        let res = self
            .app
            .get(&format!("/api/v1/stays/{id}"), Some(&self.coordinator))
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    }

    pub async fn act(&self, stay_id: &str, action: &str, body: Value) -> reqwest::Response {
        self.app
            .post(
                &format!("/api/v1/stays/{stay_id}/{action}"),
                Some(&self.coordinator),
                &body,
            )
            .await
    }

    pub async fn eligibility(&self, guest: &str, night: &str) -> Value {
        let res = self
            .app
            .get(
                &format!("/api/v1/guests/{guest}/eligibility?night={night}"),
                Some(&self.coordinator),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    }
}

/// The nights of a stay as (night, state) pairs.
pub fn states(stay: &Value) -> Vec<(String, String)> {
    stay["nights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["night"].as_str().unwrap().to_owned(),
                n["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

pub fn nights(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, s)| ((*n).to_owned(), (*s).to_owned()))
        .collect()
}
