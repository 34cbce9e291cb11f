//! Reports (issue 7): a known month of activity is built through the API
//! with the manual clock; the test keeps its own ledger of what the API
//! answered (stays granted, check-ins, placements, refusals, ...) and
//! computes every figure of the report from that ledger, independently of
//! the service's SQL and summaries, then compares.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{Datelike, NaiveDate};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

pub fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[derive(Debug, Clone)]
pub struct GuestM {
    pub id: String,
    pub name: String,
    pub gender: &'static str,
    pub citizenship: &'static str,
    pub birth_year: i32,
}

#[derive(Debug, Clone)]
pub struct StayM {
    pub id: String,
    pub guest: usize,
    pub shelter: usize,
    pub first_night: NaiveDate,
    /// (night, place category)
    pub nights: Vec<(NaiveDate, String)>,
    pub checked: HashSet<NaiveDate>,
    /// Ended by staff during this night (checked in or not).
    pub ended_at: Option<NaiveDate>,
    pub voided: bool,
}

/// What a night of a stay came to, by the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    Occupied,
    NoShow,
    Released,
}

impl StayM {
    /// The night after which the stay ended by two consecutive no-shows,
    /// counting the nights up to `until`.
    pub fn no_show_end(&self, until: NaiveDate) -> Option<NaiveDate> {
        let mut run = 0;
        let mut prev: Option<NaiveDate> = None;
        for (n, _) in &self.nights {
            if self.ended_at.is_some_and(|e| *n >= e) || *n > until {
                break;
            }
            let missed = !self.checked.contains(n);
            run = if !missed {
                0
            } else if prev.and_then(|p| p.succ_opt()) == Some(*n) && run > 0 {
                run + 1
            } else {
                1
            };
            prev = Some(*n);
            if run >= 2 {
                return Some(*n);
            }
        }
        None
    }

    pub fn fate(&self, night: NaiveDate) -> Fate {
        if self.checked.contains(&night) {
            return Fate::Occupied;
        }
        if self.ended_at.is_some_and(|e| night >= e) {
            return Fate::Released;
        }
        if self.no_show_end(LAST_OVER()).is_some_and(|x| night > x) {
            return Fate::Released;
        }
        Fate::NoShow
    }
}

/// The last night that is over when the month is reported.
#[allow(non_snake_case)]
pub fn LAST_OVER() -> NaiveDate {
    d("2019-12-31")
}

/// A single-night placement.
#[derive(Debug, Clone)]
pub struct PlacementM {
    pub guest: usize,
    pub night: NaiveDate,
    pub shelter: usize,
    pub category: String,
    pub kind: &'static str,
}

/// One survey answer: night, [safe, respected, clean, informed], overall.
pub type SurveyM = (NaiveDate, [Option<&'static str>; 4], Option<i32>);

/// Everything the month did, as the API answered.
pub struct Month {
    pub app: TestApp,
    pub coordinator: String,
    pub outreach: String,
    pub desk_a: String,
    pub shelters: Vec<String>,
    pub orgs: Vec<String>,
    pub org_names: Vec<&'static str>,
    pub places: HashMap<String, String>,
    pub guests: Vec<GuestM>,
    pub stays: Vec<StayM>,
    pub placements: Vec<PlacementM>,
    /// (night, shelter index, code)
    pub turnaways: Vec<(NaiveDate, Option<usize>, String)>,
    /// (night created, reason, final status)
    pub referrals: Vec<(NaiveDate, String, String)>,
    /// (night, shelter, kind)
    pub incidents: Vec<(NaiveDate, usize, &'static str)>,
    /// (night, shelter, kind, category, status)
    pub complaints: Vec<(NaiveDate, usize, &'static str, &'static str, &'static str)>,
    /// (night, [safe, respected, clean, informed], overall)
    pub survey: Vec<SurveyM>,
    pub cold_nights: BTreeMap<NaiveDate, i64>,
    /// (shelter, category, first, last)
    pub outages: Vec<(usize, String, NaiveDate, NaiveDate)>,
    /// Places per shelter index and category.
    pub place_counts: HashMap<(usize, String), i64>,
}

const PLACES_A: &[(&str, &str)] = &[
    ("R1", "regular"),
    ("R2", "regular"),
    ("R3", "regular"),
    ("R4", "regular"),
    ("W1", "women"),
    ("W2", "women"),
];
const PLACES_B: &[(&str, &str)] = &[
    ("R1", "regular"),
    ("R2", "regular"),
    ("R3", "regular"),
    ("W1", "women"),
];

/// (gender, citizenship, birth year): ages on 2019-12-01 are
/// 2019 - year - 1 (born 31 December when only the year is known).
const GUESTS: &[(&str, &str, i32)] = &[
    ("man", "RO", 1990),
    ("man", "RO", 1980),
    ("man", "RO", 1970),
    ("man", "RO", 1996),
    ("man", "RO", 1985),
    ("man", "RO", 1960),
    ("man", "BG", 1975),
    ("man", "BG", 1950),
    ("man", "PL", 1988),
    ("woman", "RO", 1982),
    ("woman", "BG", 1992),
    ("woman", "RO", 1965),
    ("other", "LT", 1999),
    ("man", "BG", 1978),
    ("man", "HU", 1983),
];

fn local(night: NaiveDate, time: &str) -> String {
    // Stockholm is UTC+1 all December.
    format!("{}T{time}+01:00", night.format("%Y-%m-%d"))
}

async fn json_of(res: reqwest::Response) -> (StatusCode, Value) {
    let status = res.status();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn shelter(
    app: &TestApp,
    name: &str,
    org: &str,
    places: &[(&str, &str)],
    map: &mut HashMap<String, String>,
) -> String {
    let res = app
        .post(
            "/api/v1/shelters",
            Some(&app.admin_token),
            &json!({"name": name, "organization": org}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (label, category) in places {
        let res = app
            .post(
                &format!("/api/v1/shelters/{id}/places"),
                Some(&app.admin_token),
                &json!({"label": label, "category": category}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let p = res.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        map.insert(p, (*category).to_owned());
    }
    id
}

async fn refresh_places(app: &TestApp, shelter: &str, map: &mut HashMap<String, String>) {
    let res = app
        .get(
            &format!("/api/v1/shelters/{shelter}/places"),
            Some(&app.admin_token),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    for p in res.json::<Vec<Value>>().await.unwrap() {
        map.insert(
            p["id"].as_str().unwrap().to_owned(),
            p["category"].as_str().unwrap().to_owned(),
        );
    }
}

fn roll(g: usize, n: NaiveDate) -> u32 {
    ((g as u32) * 31 + n.day() * 17 + (g as u32) * n.day()) % 10
}

/// December 2019 at two shelters of two organisations, driven through
/// the API. The clock ends on 2020-01-01 18:00, so every night of
/// December is over.
#[allow(clippy::needless_range_loop)] // guests are indices into several ledgers
pub async fn build_month(b: Backend) -> Month {
    let app = spawn_with(
        b,
        Options {
            seed: false,
            manual_clock: true,
        },
    )
    .await;
    let mut places = HashMap::new();
    let a = shelter(&app, "Skyddet", "Convictus", PLACES_A, &mut places).await;
    let bb = shelter(
        &app,
        "Natthärbärget",
        "Stadsmissionen",
        PLACES_B,
        &mut places,
    )
    .await;
    let coordinator = app.user_token("coord", &["coordinator"], &[]).await;
    let outreach = app.user_token("eu.team", &["outreach"], &[]).await;
    let desk_a = app.user_token("desk.a", &["shelter_staff"], &[&a]).await;
    let sj = app.user_token("sj.night", &["social_emergency"], &[]).await;
    let mut m = Month {
        app,
        coordinator,
        outreach,
        desk_a,
        shelters: vec![a.clone(), bb.clone()],
        orgs: Vec::new(),
        org_names: vec!["Convictus", "Stadsmissionen"],
        places,
        guests: Vec::new(),
        stays: Vec::new(),
        placements: Vec::new(),
        turnaways: Vec::new(),
        referrals: Vec::new(),
        incidents: Vec::new(),
        complaints: Vec::new(),
        survey: Vec::new(),
        cold_nights: BTreeMap::new(),
        outages: Vec::new(),
        place_counts: HashMap::new(),
    };
    for (s, list) in [(0usize, PLACES_A), (1, PLACES_B)] {
        for (_, c) in list {
            *m.place_counts.entry((s, (*c).to_owned())).or_insert(0) += 1;
        }
    }
    let first = d("2019-12-01");
    m.app.set_clock(&local(first, "18:00:00")).await;

    // Guests, registered on the first night. The eldest has a need (an
    // acute referral opens).
    for (i, (gender, cit, year)) in GUESTS.iter().enumerate() {
        let name = format!(
            "Gäst{}x{}",
            i,
            uuid::Uuid::new_v4()
                .simple()
                .to_string()
                .chars()
                .filter(|c| c.is_ascii_alphabetic())
                .take(5)
                .collect::<String>()
        );
        let mut body = json!({"given_name": name, "family_name": "Testsson", "birth_year": year,
                              "gender": gender, "citizenship": cit});
        if *year == 1950 {
            body["needs"] = json!(["elderly"]);
        }
        let (status, g) = json_of(
            m.app
                .post("/api/v1/guests", Some(&m.coordinator), &body)
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{g}");
        if *year == 1950 {
            m.referrals.push((first, "elderly".into(), "open".into()));
        }
        m.guests.push(GuestM {
            id: g["id"].as_str().unwrap().to_owned(),
            name,
            gender,
            citizenship: cit,
            birth_year: *year,
        });
    }
    // A minor and someone outside the target group: refused, counted.
    let mut outsiders = Vec::new();
    for (cit, year) in [("RO", 2005), ("SE", 1980)] {
        let name = format!(
            "Utom{}",
            uuid::Uuid::new_v4()
                .simple()
                .to_string()
                .chars()
                .filter(|c| c.is_ascii_alphabetic())
                .take(6)
                .collect::<String>()
        );
        let (status, g) = json_of(m.app.post("/api/v1/guests", Some(&m.coordinator), &json!({
            "given_name": name, "family_name": "Testsson", "birth_year": year, "gender": "man", "citizenship": cit})).await).await;
        assert_eq!(status, StatusCode::CREATED, "{g}");
        outsiders.push(g["id"].as_str().unwrap().to_owned());
    }
    // Out of service: A's R4 on 20-22 December.
    let r4 = {
        let res = m
            .app
            .get(
                &format!("/api/v1/shelters/{a}/places"),
                Some(&m.coordinator),
            )
            .await;
        let list: Vec<Value> = res.json().await.unwrap();
        list.iter().find(|p| p["label"] == "R4").unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let res = m.app.post(&format!("/api/v1/shelters/{a}/places/{r4}/out-of-service"), Some(&m.coordinator),
        &json!({"first_night": "2019-12-20", "last_night": "2019-12-22", "reason": "broken bed"})).await;
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "{}",
        res.text().await.unwrap()
    );
    m.outages
        .push((0, "regular".into(), d("2019-12-20"), d("2019-12-22")));

    let mut eligible_from: Vec<NaiveDate> = vec![first; m.guests.len()];
    let mut night = first;
    while night <= d("2019-12-31") {
        m.app.set_clock(&local(night, "18:00:00")).await;
        if night == d("2019-12-15") {
            let (status, body) = json_of(m.app.put("/api/v1/cold-nights/2019-12-15", Some(&m.coordinator),
                &json!({"reason": "SMHI -15", "forecast_min_c": -15, "overflow": [{"shelter_id": a, "places": 2}]})).await).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            refresh_places(&m.app, &a, &mut m.places).await;
            m.cold_nights.insert(night, 2);
        }
        if night == first {
            // Socialjouren places a guest for the night before intake opens.
            let (status, p) = json_of(m.app.post("/api/v1/placements", Some(&sj),
                &json!({"guest_id": m.guests[14].id, "kind": "emergency", "reason": "found outside at -10"})).await).await;
            assert_eq!(status, StatusCode::CREATED, "{p}");
            let shelter = m
                .shelters
                .iter()
                .position(|s| s == p["shelter_id"].as_str().unwrap())
                .unwrap();
            m.placements.push(PlacementM {
                guest: 14,
                night,
                shelter,
                category: m.places[p["place_id"].as_str().unwrap()].clone(),
                kind: "emergency",
            });
            for (gid, code) in outsiders.iter().zip(["minor", "outside-target-group"]) {
                let (status, body) = json_of(
                    m.app
                        .post(
                            "/api/v1/stays",
                            Some(&m.coordinator),
                            &json!({"guest_id": gid, "shelter_id": bb}),
                        )
                        .await,
                )
                .await;
                assert_eq!(status, StatusCode::CONFLICT, "{body}");
                assert_eq!(body["code"], code);
                m.turnaways.push((night, Some(1), code.to_owned()));
                if code == "minor" {
                    m.referrals.push((night, "minor".into(), "open".into()));
                }
            }
        }
        for g in 0..m.guests.len() {
            let covering = m.stays.iter().position(|s| {
                s.guest == g
                    && !s.voided
                    && s.nights.iter().any(|(n, _)| *n == night)
                    && s.ended_at.is_none_or(|e| night < e)
                    && s.no_show_end(night).is_none_or(|x| night <= x)
            });
            if let Some(si) = covering {
                // Guest 3 misses the 2nd and 3rd night of his first stay:
                // the stay ends by no-shows. Others miss now and then.
                let stay = &m.stays[si];
                let idx = stay.nights.iter().position(|(n, _)| *n == night).unwrap();
                let first_of_3 = g == 3 && m.stays.iter().filter(|s| s.guest == 3).count() == 1;
                let skip = (first_of_3 && (idx == 1 || idx == 2))
                    || (!first_of_3 && roll(g, night) == 0 && idx != 0);
                if !skip {
                    let (status, body) = json_of(
                        m.app
                            .post(
                                &format!("/api/v1/stays/{}/check-ins", stay.id),
                                Some(&m.coordinator),
                                &json!({}),
                            )
                            .await,
                    )
                    .await;
                    assert_eq!(status, StatusCode::CREATED, "{body}");
                    m.stays[si].checked.insert(night);
                }
                continue;
            }
            let wants = roll(g, night) < 7;
            let in_karenstid = night < eligible_from[g];
            if (wants && !in_karenstid) || (in_karenstid && roll(g, night) == 9) {
                let shelter = if g % 3 == 0 { 1 } else { 0 };
                let (status, body) = json_of(
                    m.app
                        .post(
                            "/api/v1/stays",
                            Some(&m.coordinator),
                            &json!({"guest_id": m.guests[g].id, "shelter_id": m.shelters[shelter]}),
                        )
                        .await,
                )
                .await;
                if status == StatusCode::CREATED {
                    let nights: Vec<(NaiveDate, String)> = body["nights"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|n| {
                            (
                                d(n["night"].as_str().unwrap()),
                                m.places[n["place_id"].as_str().unwrap()].clone(),
                            )
                        })
                        .collect();
                    eligible_from[g] = d(body["eligible_again_from"].as_str().unwrap());
                    let mut stay = StayM {
                        id: body["id"].as_str().unwrap().to_owned(),
                        guest: g,
                        shelter,
                        first_night: night,
                        nights,
                        checked: HashSet::new(),
                        ended_at: None,
                        voided: false,
                    };
                    let (status, ci) = json_of(
                        m.app
                            .post(
                                &format!("/api/v1/stays/{}/check-ins", stay.id),
                                Some(&m.coordinator),
                                &json!({}),
                            )
                            .await,
                    )
                    .await;
                    assert_eq!(status, StatusCode::CREATED, "{ci}");
                    stay.checked.insert(night);
                    m.stays.push(stay);
                } else {
                    assert_eq!(status, StatusCode::CONFLICT, "{body}");
                    let code = body["code"].as_str().unwrap().to_owned();
                    assert_ne!(
                        code, "already-has-stay",
                        "the ledger lost a stay of guest {g}"
                    );
                    if code == "already-placed" {
                        continue;
                    }
                    if code == "in-quarantine" {
                        eligible_from[g] = d(body["eligible_from"].as_str().unwrap());
                    }
                    m.turnaways.push((night, Some(shelter), code));
                }
            }
        }
        // One stay is ended early by staff, one voided by a coordinator.
        if night == d("2019-12-12") || night == d("2019-12-08") {
            let target = m.stays.iter().position(|s| {
                !s.voided
                    && s.ended_at.is_none()
                    && s.checked.contains(&night)
                    && s.first_night < night
                    && s.nights.last().is_some_and(|(l, _)| *l > night)
            });
            if let Some(si) = target {
                let action = if night == d("2019-12-12") {
                    "end"
                } else {
                    "void"
                };
                let (status, body) = json_of(
                    m.app
                        .post(
                            &format!("/api/v1/stays/{}/{action}", m.stays[si].id),
                            Some(&m.coordinator),
                            &json!({"reason": "left for Romania"}),
                        )
                        .await,
                )
                .await;
                assert_eq!(status, StatusCode::OK, "{body}");
                if action == "end" {
                    m.stays[si].ended_at = Some(night);
                    // Checked in tonight: tonight stays; later nights go.
                    let s = &mut m.stays[si];
                    s.ended_at = Some(night.succ_opt().unwrap());
                } else {
                    m.stays[si].voided = true;
                    let g = m.stays[si].guest;
                    eligible_from[g] = night;
                }
            }
        }
        // Cold night: guests without a place get cold-night placements.
        if night == d("2019-12-15") {
            let kind = "cold_night";
            let token = m.desk_a.clone();
            let wanted = 2;
            let mut placed = 0;
            for g in 0..m.guests.len() {
                if placed == wanted {
                    break;
                }
                let has_place = m.stays.iter().any(|s| {
                    s.guest == g
                        && !s.voided
                        && s.nights.iter().any(|(n, _)| *n == night)
                        && s.ended_at.is_none_or(|e| night < e)
                        && s.no_show_end(night).is_none_or(|x| night <= x)
                });
                if has_place {
                    continue;
                }
                let mut body =
                    json!({"guest_id": m.guests[g].id, "kind": kind, "reason": "kallt ute"});
                body["shelter_id"] = json!(a);
                let (status, p) =
                    json_of(m.app.post("/api/v1/placements", Some(&token), &body).await).await;
                if status == StatusCode::CREATED {
                    let shelter = m
                        .shelters
                        .iter()
                        .position(|s| s == p["shelter_id"].as_str().unwrap())
                        .unwrap();
                    m.placements.push(PlacementM {
                        guest: g,
                        night,
                        shelter,
                        category: m.places[p["place_id"].as_str().unwrap()].clone(),
                        kind,
                    });
                    placed += 1;
                } else {
                    assert_eq!(status, StatusCode::CONFLICT, "{p}");
                    let code = p["code"].as_str().unwrap().to_owned();
                    if code != "already-placed" && code != "already-has-stay" {
                        m.turnaways.push((night, Some(0), code));
                    }
                }
            }
            assert_eq!(placed, wanted, "placements on {night}");
        }
        if night == d("2019-12-10") {
            let (s, body) = json_of(m.app.post("/api/v1/incidents", Some(&m.coordinator), &json!({
                "shelter_id": a, "kind": "threat", "description": "a guest threatened another in the hall",
                "guest_ids": [m.guests[1].id]})).await).await;
            assert_eq!(s, StatusCode::CREATED, "{body}");
            m.incidents.push((night, 0, "threat"));
            let (s, body) = json_of(
                m.app
                    .post(
                        "/api/v1/incidents",
                        Some(&m.coordinator),
                        &json!({
                "shelter_id": bb, "kind": "violence", "description": "a fight at the door"}),
                    )
                    .await,
            )
            .await;
            assert_eq!(s, StatusCode::CREATED, "{body}");
            m.incidents.push((night, 1, "violence"));
            let (s, body) = json_of(
                m.app
                    .post(
                        "/api/v1/referrals",
                        Some(&m.coordinator),
                        &json!({
                "guest_id": m.guests[2].id, "reason": "addiction"}),
                    )
                    .await,
            )
            .await;
            assert_eq!(s, StatusCode::CREATED, "{body}");
            let rid = body["id"].as_str().unwrap().to_owned();
            let res = m
                .app
                .client
                .patch(m.app.url(&format!("/api/v1/referrals/{rid}")))
                .bearer_auth(&m.outreach)
                .json(&json!({"status": "taken"}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            m.referrals
                .push((night, "addiction".into(), "taken".into()));
        }
        // Complaints and feedback through the month: at A from guests
        // (by the desk), at B from staff (by the coordinator).
        if night.day().is_multiple_of(4) {
            let (shelter, token, source, kind, category) = if night.day().is_multiple_of(8) {
                (
                    0,
                    m.desk_a.clone(),
                    "guest",
                    "complaint",
                    if night.day() == 8 {
                        "treatment"
                    } else {
                        "hygiene"
                    },
                )
            } else {
                (1, m.coordinator.clone(), "staff", "feedback", "food")
            };
            let (s, body) = json_of(m.app.post("/api/v1/complaints", Some(&token), &json!({
                "shelter_id": m.shelters[shelter], "source": source, "kind": kind, "category": category,
                "text": "Maten var kall och Gäst0 klagade"})).await).await;
            assert_eq!(s, StatusCode::CREATED, "{body}");
            let mut status = "received";
            if night.day() == 8 {
                let res = m
                    .app
                    .client
                    .patch(m.app.url(&format!(
                        "/api/v1/complaints/{}",
                        body["id"].as_str().unwrap()
                    )))
                    .bearer_auth(&m.coordinator)
                    .json(&json!({"status": "answered", "response": "We spoke with the staff."}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), StatusCode::OK);
                status = "answered";
            }
            m.complaints.push((night, shelter, kind, category, status));
        }
        // The survey, answered at A on some nights.
        if night.day() % 5 == 1 {
            let safe = if night.day() == 21 { "no" } else { "yes" };
            let overall = if night.day() == 1 { None } else { Some(4) };
            let mut body = json!({"shelter_id": a, "safe": safe, "clean": "partly"});
            if let Some(o) = overall {
                body["overall"] = json!(o);
            }
            let (s, resp) = json_of(
                m.app
                    .post("/api/v1/survey/responses", Some(&m.desk_a), &body)
                    .await,
            )
            .await;
            assert_eq!(s, StatusCode::CREATED, "{resp}");
            m.survey
                .push((night, [Some(safe), None, Some("partly"), None], overall));
        }
        night = night.succ_opt().unwrap();
    }
    m.app.set_clock(&local(d("2020-01-01"), "18:00:00")).await;
    let res = m.app.get("/api/v1/shelters", Some(&m.coordinator)).await;
    let list: Vec<Value> = res.json().await.unwrap();
    // Organisation ids as the report names them.
    let report = m
        .report_with(&m.coordinator.clone(), "from=2019-12-01&to=2019-12-01")
        .await;
    for name in &m.org_names {
        let id = report["organisations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["name"] == *name)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        m.orgs.push(id);
    }
    assert_eq!(list.len(), 2);
    m
}

/// The figures of a report: (section, row key, column) → count, where the
/// row key is an organisation id, "all", or "-" (no shelter named).
pub type Figures = BTreeMap<(String, String, String), i64>;

fn add(f: &mut Figures, section: &str, row: &str, col: &str, n: i64) {
    *f.entry((section.to_owned(), row.to_owned(), col.to_owned()))
        .or_insert(0) += n;
}

pub fn band(birth_year: i32, on: NaiveDate) -> &'static str {
    let age = on.year() - birth_year - i32::from((on.month(), on.day()) < (12, 31));
    match age {
        i32::MIN..=17 => "under-18",
        18..=25 => "18-25",
        26..=35 => "26-35",
        36..=45 => "36-45",
        46..=55 => "46-55",
        56..=65 => "56-65",
        _ => "66+",
    }
}

impl Month {
    /// Another instance's manual clock starts anew: set it to the day
    /// after the month, as this one's.
    pub async fn set_clock_at(&self, address: &str) {
        let res = self
            .app
            .client
            .put(format!("{address}/api/v1/admin/clock"))
            .bearer_auth(&self.app.admin_token)
            .json(&json!({"now": local(d("2020-01-01"), "18:00:00")}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }

    pub async fn report_with(&self, token: &str, query: &str) -> Value {
        let res = self
            .app
            .get(&format!("/api/v1/reports/follow-up?{query}"), Some(token))
            .await;
        let (status, body) = json_of(res).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// Bed nights in `from..=to`: (guest, night, shelter, category, kind).
    pub fn bed_nights(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Vec<(usize, NaiveDate, usize, String, &'static str)> {
        let mut out = Vec::new();
        for s in self.stays.iter().filter(|s| !s.voided) {
            for (n, c) in &s.nights {
                if (from..=to).contains(n) && s.fate(*n) == Fate::Occupied {
                    out.push((s.guest, *n, s.shelter, c.clone(), "stay"));
                }
            }
        }
        for p in &self.placements {
            if (from..=to).contains(&p.night) {
                out.push((p.guest, p.night, p.shelter, p.category.clone(), p.kind));
            }
        }
        out
    }

    /// Every figure of the report for `from..=to`, from the ledger.
    pub fn expected(&self, from: NaiveDate, to: NaiveDate) -> Figures {
        let mut f = Figures::new();
        let org = |s: usize| self.orgs[s].clone();
        // Guests and bed nights by gender, age band, citizenship.
        let beds = self.bed_nights(from, to);
        let mut seen: HashSet<(String, usize)> = HashSet::new();
        for (g, _, s, _, _) in &beds {
            let gm = &self.guests[*g];
            let b = band(gm.birth_year, from);
            for row in [org(*s), "all".to_owned()] {
                for (dim, v) in [
                    ("gender", gm.gender),
                    ("age", b),
                    ("citizenship", gm.citizenship),
                ] {
                    add(&mut f, &format!("bed_nights.{dim}"), &row, v, 1);
                    add(&mut f, &format!("bed_nights.{dim}"), &row, "total", 1);
                    if seen.insert((format!("{row}.{dim}"), *g)) {
                        add(&mut f, &format!("guests.{dim}"), &row, v, 1);
                        add(&mut f, &format!("guests.{dim}"), &row, "total", 1);
                    }
                }
            }
        }
        // Stays begun in the period and how they ended.
        for s in self
            .stays
            .iter()
            .filter(|s| !s.voided && (from..=to).contains(&s.first_night))
        {
            for row in [org(s.shelter), "all".to_owned()] {
                add(&mut f, "stays", &row, "begun", 1);
                if s.ended_at.is_some() {
                    add(&mut f, "stays", &row, "ended_early", 1);
                } else if s.no_show_end(LAST_OVER()).is_some() {
                    add(&mut f, "stays", &row, "ended_by_no_shows", 1);
                }
            }
        }
        for (n, s, code) in &self.turnaways {
            if (from..=to).contains(n) {
                let row = s.map(org).unwrap_or_else(|| "-".to_owned());
                for r in [row, "all".to_owned()] {
                    add(&mut f, "turnaways", &r, code, 1);
                    add(&mut f, "turnaways", &r, "total", 1);
                }
            }
        }
        for (n, reason, status) in &self.referrals {
            if (from..=to).contains(n) {
                add(&mut f, "referrals.reason", "all", reason, 1);
                add(&mut f, "referrals.reason", "all", "total", 1);
                add(&mut f, "referrals.status", "all", status, 1);
                add(&mut f, "referrals.status", "all", "total", 1);
            }
        }
        for (n, s, kind) in &self.incidents {
            if (from..=to).contains(n) {
                for r in [org(*s), "all".to_owned()] {
                    add(&mut f, "incidents", &r, kind, 1);
                    add(&mut f, "incidents", &r, "total", 1);
                }
            }
        }
        for (n, s, kind, category, status) in &self.complaints {
            if (from..=to).contains(n) {
                for r in [org(*s), "all".to_owned()] {
                    for (t, v) in [
                        ("category", *category),
                        ("kind", *kind),
                        ("status", *status),
                    ] {
                        add(&mut f, &format!("complaints.{t}"), &r, v, 1);
                        add(&mut f, &format!("complaints.{t}"), &r, "total", 1);
                    }
                }
            }
        }
        let ids = ["safe", "respected", "clean", "informed"];
        for (n, answers, overall) in &self.survey {
            if (from..=to).contains(n) {
                add(&mut f, "survey", "all", "responses", 1);
                for (id, a) in ids.iter().zip(answers) {
                    if let Some(a) = a {
                        add(&mut f, &format!("survey.{id}"), "all", a, 1);
                        add(&mut f, &format!("survey.{id}"), "all", "answered", 1);
                    }
                }
                if let Some(o) = overall {
                    add(&mut f, "survey.overall", "all", &o.to_string(), 1);
                    add(&mut f, "survey.overall", "all", "answered", 1);
                }
            }
        }
        // Occupancy per night and category, all shelters.
        for night in from.iter_days().take_while(|n| *n <= to) {
            let key = night.to_string();
            let mut places: HashMap<&str, i64> = HashMap::new();
            for ((s, c), n) in &self.place_counts {
                let out = self
                    .outages
                    .iter()
                    .filter(|(os, oc, a, b)| os == s && oc == c && *a <= night && night <= *b)
                    .count() as i64;
                *places
                    .entry(if c == "women" { "women" } else { "regular" })
                    .or_insert(0) += n - out;
            }
            places.insert(
                "overflow",
                self.cold_nights.get(&night).copied().unwrap_or(0),
            );
            let mut occupied: HashMap<String, i64> = HashMap::new();
            let mut no_show: HashMap<String, i64> = HashMap::new();
            for s in self.stays.iter().filter(|s| !s.voided) {
                for (n, c) in &s.nights {
                    if *n == night {
                        match s.fate(night) {
                            Fate::Occupied => *occupied.entry(c.clone()).or_insert(0) += 1,
                            Fate::NoShow => *no_show.entry(c.clone()).or_insert(0) += 1,
                            Fate::Released => {}
                        }
                    }
                }
            }
            for p in self.placements.iter().filter(|p| p.night == night) {
                *occupied.entry(p.category.clone()).or_insert(0) += 1;
                add(
                    &mut f,
                    "occupancy",
                    &key,
                    &format!("{}_placements", p.kind),
                    1,
                );
            }
            let mut all = [0i64; 4];
            for c in ["regular", "women", "overflow"] {
                let pl = places[c];
                let oc = occupied.get(c).copied().unwrap_or(0);
                let ns = no_show.get(c).copied().unwrap_or(0);
                let free = (pl - oc - ns).max(0);
                for (m, v) in [
                    ("places", pl),
                    ("occupied", oc),
                    ("no_show", ns),
                    ("free", free),
                ] {
                    add(&mut f, "occupancy", &key, &format!("{c}.{m}"), v);
                }
                all[0] += pl;
                all[1] += oc;
                all[2] += ns;
                all[3] += free;
            }
            for (m, v) in ["places", "occupied", "no_show", "free"].iter().zip(all) {
                add(&mut f, "occupancy", &key, &format!("all.{m}"), v);
            }
            add(
                &mut f,
                "occupancy",
                &key,
                "cold_night",
                i64::from(self.cold_nights.contains_key(&night)),
            );
        }
        f.retain(|_, v| *v != 0);
        f
    }
}

/// The figures of a report's JSON, in the same keys as [`Month::expected`];
/// suppressed figures as -1 ("<5") and -2 ("x").
/// Rows in the summaries' log, not yet folded into the summaries.
fn logged(conn: &mut nattplats::db::DbConnection) -> i64 {
    number(
        conn,
        "SELECT (SELECT COUNT(*) FROM booking_changes) + (SELECT COUNT(*) FROM stay_changes) AS n",
    )
}

pub fn figures_of(report: &Value) -> Figures {
    let mut f = Figures::new();
    let val = |v: &Value| -> i64 {
        match v {
            Value::Number(n) => n.as_i64().unwrap(),
            Value::String(s) if s.starts_with('<') => -1,
            Value::String(s) if s == "x" => -2,
            other => panic!("not a figure: {other}"),
        }
    };
    let mut table = |section: &str, t: &Value| {
        let columns: Vec<&str> = t["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        for r in t["rows"].as_array().unwrap() {
            let row = r["organization_id"].as_str().unwrap_or("all").to_owned();
            for (c, v) in columns.iter().zip(r["cells"].as_array().unwrap()) {
                f.insert((section.to_owned(), row.clone(), (*c).to_owned()), val(v));
            }
            if !r["total"].is_null() {
                f.insert(
                    (section.to_owned(), row.clone(), "total".to_owned()),
                    val(&r["total"]),
                );
            }
        }
    };
    for (s, key) in [("guests", "guests"), ("bed_nights", "bed_nights")] {
        table(&format!("{s}.gender"), &report[key]["by_gender"]);
        table(&format!("{s}.age"), &report[key]["by_age_band"]);
        table(&format!("{s}.citizenship"), &report[key]["by_citizenship"]);
    }
    table("stays", &report["stays"]);
    table("turnaways", &report["turnaways"]);
    table("referrals.reason", &report["referrals"]["by_reason"]);
    table("referrals.status", &report["referrals"]["by_status"]);
    table("incidents", &report["incidents"]);
    table("complaints.category", &report["complaints"]["by_category"]);
    table("complaints.kind", &report["complaints"]["by_kind"]);
    table("complaints.status", &report["complaints"]["by_status"]);
    f.insert(
        ("survey".into(), "all".into(), "responses".into()),
        val(&report["survey"]["responses"]),
    );
    for q in report["survey"]["questions"].as_array().unwrap() {
        let id = q["id"].as_str().unwrap();
        for (a, v) in q["answers"]
            .as_array()
            .unwrap()
            .iter()
            .zip(q["counts"].as_array().unwrap())
        {
            f.insert(
                (
                    format!("survey.{id}"),
                    "all".into(),
                    a.as_str().unwrap().to_owned(),
                ),
                val(v),
            );
        }
        f.insert(
            (format!("survey.{id}"), "all".into(), "answered".into()),
            val(&q["answered"]),
        );
    }
    for n in report["occupancy"]["nights"].as_array().unwrap() {
        let key = n["night"].as_str().unwrap().to_owned();
        for c in ["all", "regular", "women", "overflow"] {
            for m in ["places", "occupied", "no_show", "free"] {
                f.insert(
                    ("occupancy".into(), key.clone(), format!("{c}.{m}")),
                    n[c][m].as_i64().unwrap(),
                );
            }
        }
        for m in ["emergency_placements", "cold_night_placements"] {
            f.insert(
                ("occupancy".into(), key.clone(), m.to_owned()),
                n[m].as_i64().unwrap(),
            );
        }
        f.insert(
            ("occupancy".into(), key.clone(), "cold_night".into()),
            i64::from(n["cold_night"].as_bool().unwrap()),
        );
    }
    f.retain(|_, v| *v != 0);
    f
}

/// Every figure equal; on a mismatch, the figures that differ.
fn assert_same(got: &Figures, want: &Figures, what: &str) {
    let keys: BTreeSet<_> = got.keys().chain(want.keys()).collect();
    let diff: Vec<String> = keys
        .into_iter()
        .filter(|k| got.get(*k) != want.get(*k))
        .map(|k| format!("{k:?}: report {:?}, ledger {:?}", got.get(k), want.get(k)))
        .collect();
    assert!(
        diff.is_empty(),
        "{what}: {} figures differ:\n{}",
        diff.len(),
        diff.join("\n")
    );
}

/// A report served by another instance with suppression off.
async fn unsuppressed(m: &Month, query: &str) -> Value {
    let address = m.app.instance_with(|s| s.reports.suppress_below = 0);
    m.set_clock_at(&address).await;
    let res = m
        .app
        .client
        .get(format!("{address}/api/v1/reports/follow-up?{query}"))
        .bearer_auth(&m.coordinator)
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(res).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["suppression"]["below"], 0);
    body
}

/// The lines of a table that must not give a withheld figure away: each
/// row with its total; each column over the organisations with the row of
/// all, where the rows add up.
fn check_protected(report: &Value, below: i64) -> usize {
    let mut lines_checked = 0;
    let tables = [
        (&report["guests"]["by_gender"], false),
        (&report["guests"]["by_age_band"], false),
        (&report["guests"]["by_citizenship"], false),
        (&report["bed_nights"]["by_gender"], true),
        (&report["bed_nights"]["by_age_band"], true),
        (&report["bed_nights"]["by_citizenship"], true),
        (&report["stays"], true),
        (&report["turnaways"], true),
        (&report["referrals"]["by_reason"], false),
        (&report["referrals"]["by_status"], false),
        (&report["incidents"], true),
        (&report["complaints"]["by_category"], true),
        (&report["complaints"]["by_kind"], true),
        (&report["complaints"]["by_status"], true),
    ];
    // A reader's bounds: a number is itself, "<5" is 1..4, "x" is 0 or more.
    let bounds = |v: &Value| -> (i64, i64) {
        match v {
            Value::Number(n) => (n.as_i64().unwrap(), n.as_i64().unwrap()),
            Value::String(s) if s.starts_with('<') => (1, below - 1),
            _ => (0, i64::MAX / 4),
        }
    };
    let hidden = |v: &Value| v.is_string();
    // No withheld value on a line may be pinned to one value.
    let check = |parts: &[&Value], sum: &Value, what: &str| {
        if !parts.iter().any(|p| hidden(p)) && !hidden(sum) {
            return;
        }
        let (slo, shi) = bounds(sum);
        for (i, p) in parts.iter().enumerate() {
            if !hidden(p) {
                continue;
            }
            let others: Vec<(i64, i64)> = parts
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, q)| bounds(q))
                .collect();
            let olo: i64 = others.iter().map(|b| b.0).sum();
            let ohi: i64 = others
                .iter()
                .map(|b| b.1)
                .fold(0i64, |a, b| a.saturating_add(b));
            let (own_lo, own_hi) = bounds(p);
            let lo = slo.saturating_sub(ohi).max(own_lo);
            let hi = shi.saturating_sub(olo).min(own_hi);
            assert!(
                lo < hi,
                "{what}: part {i} ({p}) is recovered as {lo} from {parts:?} = {sum}"
            );
        }
        if hidden(sum) {
            let lo: i64 = parts
                .iter()
                .map(|p| bounds(p).0)
                .sum::<i64>()
                .max(bounds(sum).0);
            let hi: i64 = parts
                .iter()
                .map(|p| bounds(p).1)
                .fold(0i64, |a, b| a.saturating_add(b))
                .min(bounds(sum).1);
            assert!(
                lo < hi,
                "{what}: the total {sum} is recovered from {parts:?}"
            );
        }
    };
    for (t, columns_add_up) in tables {
        let rows = t["rows"].as_array().unwrap();
        for r in rows {
            if !r["total"].is_null() {
                let parts: Vec<&Value> = r["cells"].as_array().unwrap().iter().collect();
                check(&parts, &r["total"], "row");
                lines_checked += 1;
            }
        }
        if columns_add_up {
            let (all, orgs) = rows.split_last().unwrap();
            for (c, sum) in all["cells"].as_array().unwrap().iter().enumerate() {
                let parts: Vec<&Value> = orgs.iter().map(|r| &r["cells"][c]).collect();
                check(&parts, sum, "column");
                lines_checked += 1;
            }
            if !all["total"].is_null() {
                let parts: Vec<&Value> = orgs.iter().map(|r| &r["total"]).collect();
                check(&parts, &all["total"], "totals column");
                lines_checked += 1;
            }
        }
    }
    lines_checked
}

/// With suppression on: every figure shown is the ledger's, every count
/// of people from 1 to 4 is "<5", and no withheld figure can be worked
/// out from its row or column.
fn check_suppressed(report: &Value, want: &Figures) {
    assert_eq!(report["suppression"]["below"], 5);
    assert_eq!(report["suppression"]["small"], "<5");
    let got = figures_of(report);
    let mut small = 0;
    for (k, v) in &got {
        let w = want.get(k).copied().unwrap_or(0);
        match v {
            -1 => {
                assert!(
                    (1..5).contains(&w),
                    "{k:?} is \"<5\" but the ledger has {w}"
                );
                small += 1;
            }
            -2 => {}
            n => assert_eq!(*n, w, "{k:?}"),
        }
    }
    // Counts of people below 5 never show (occupancy counts places).
    for (k, w) in want {
        if k.0 != "occupancy" && !k.0.starts_with("bed_nights") && (1..5).contains(w) {
            assert!(
                matches!(got.get(k), Some(-1) | Some(-2)),
                "{k:?} = {w} is shown"
            );
        }
    }
    assert!(small > 0, "the month has small counts; none was suppressed");
    assert!(check_protected(report, 5) > 20);
}

backend_tests! {
    async fn the_follow_up_report_of_a_month_matches_the_ledger(b: Backend) {
        let m = build_month(b).await;
        let (from, to) = (d("2019-12-01"), d("2019-12-31"));
        let want = m.expected(from, to);
        // The ledger is a real month: enough happened to test.
        assert!(want.get(&("guests.gender".into(), "all".into(), "total".into())).copied().unwrap_or(0) >= 10);
        assert!(want.keys().any(|k| k.0 == "stays" && k.2 == "ended_by_no_shows"));
        assert!(want.keys().any(|k| k.0 == "stays" && k.2 == "ended_early"));
        assert!(want.keys().any(|k| k.0 == "turnaways" && k.2 == "in-quarantine"));
        assert!(want.keys().any(|k| k.0 == "occupancy" && k.2 == "all.no_show"));
        // Exact, with suppression off.
        let exact = unsuppressed(&m, "from=2019-12-01&to=2019-12-31").await;
        assert_same(&figures_of(&exact), &want, "December, unsuppressed");
        assert_eq!(exact["period"]["from"], "2019-12-01");
        assert_eq!(exact["period"]["to"], "2019-12-31");
        assert!(exact["period"]["cut_short_from"].is_null());
        // As it leaves the partnership: suppressed, and protected.
        let report = m.report_with(&m.coordinator, "from=2019-12-01&to=2019-12-31").await;
        check_suppressed(&report, &want);
        // The occupancy totals are the sums of the nights.
        let nights = report["occupancy"]["nights"].as_array().unwrap();
        assert_eq!(nights.len(), 31);
        let occupied: i64 = nights.iter().map(|n| n["all"]["occupied"].as_i64().unwrap()).sum();
        assert_eq!(report["occupancy"]["total"]["all"]["occupied"], occupied);
        let beds = m.bed_nights(from, to).len() as i64;
        assert_eq!(occupied, beds);
        assert_eq!(report["occupancy"]["total"]["cold_nights"], 1);
    }

    async fn periods_not_made_of_whole_months_and_presets_match_the_ledger(b: Backend) {
        let m = build_month(b).await;
        // Nights read from the bookings, not the monthly summary.
        let exact = unsuppressed(&m, "from=2019-12-03&to=2019-12-20").await;
        assert_same(&figures_of(&exact), &m.expected(d("2019-12-03"), d("2019-12-20")), "3-20 December");
        // The half-year around 15 December: November and December so far.
        let exact = unsuppressed(&m, "preset=half-year&of=2019-12-15").await;
        assert_eq!(exact["period"]["from"], "2019-11-01");
        assert_eq!(exact["period"]["to"], "2019-12-31");
        assert_eq!(exact["period"]["cut_short_from"], "2020-04-30");
        assert_eq!(exact["period"]["preset"], "half-year");
        assert_same(&figures_of(&exact), &m.expected(d("2019-11-01"), d("2019-12-31")), "the half-year");
        let report = m.report_with(&m.outreach, "preset=partnership-year&of=2019-12-15").await;
        assert_eq!(report["period"]["from"], "2019-05-01");
        check_suppressed(&report, &m.expected(d("2019-05-01"), d("2019-12-31")));
    }

    async fn the_csv_report_has_every_figure_of_the_json_one(b: Backend) {
        let m = build_month(b).await;
        let json = m.report_with(&m.outreach, "from=2019-12-01&to=2019-12-31").await;
        let res = m.app.get("/api/v1/reports/follow-up.csv?from=2019-12-01&to=2019-12-31", Some(&m.outreach)).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let text = res.text().await.unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("section,table,organization_id,organization,column,value"));
        let rows: Vec<Vec<String>> = lines.map(|l| l.split(',').map(str::to_owned).collect()).collect();
        assert!(rows.iter().all(|r| r.len() == 6), "every line has six fields");
        let find = |section: &str, table: &str, org: &str, col: &str| -> String {
            rows.iter().find(|r| r[0] == section && r[1] == table && r[2] == org && r[4] == col)
                .unwrap_or_else(|| panic!("no line {section} {table} {org} {col}"))[5].clone()
        };
        let text_of = |v: &Value| match v { Value::Number(n) => n.to_string(), Value::String(s) => s.clone(), o => o.to_string() };
        for (section, key) in [("guests", "guests"), ("bed_nights", "bed_nights")] {
            let t = &json[key]["by_gender"];
            for r in t["rows"].as_array().unwrap() {
                let org = r["organization_id"].as_str().unwrap_or("");
                for (c, v) in t["columns"].as_array().unwrap().iter().zip(r["cells"].as_array().unwrap()) {
                    assert_eq!(find(section, "by_gender", org, c.as_str().unwrap()), text_of(v));
                }
                assert_eq!(find(section, "by_gender", org, "total"), text_of(&r["total"]));
            }
        }
        let total = &json["occupancy"]["total"]["all"]["occupied"];
        assert_eq!(find("occupancy", "all.occupied", "", "total"), text_of(total));
        assert_eq!(find("survey", "responses", "", ""), text_of(&json["survey"]["responses"]));
    }

    async fn the_excel_csvs_hold_the_same_fields_with_a_bom_and_semicolons(b: Backend) {
        let m = build_month(b).await;
        let get = |path: String, token: String| {
            let client = m.app.client.clone();
            let url = m.app.url(&path);
            async move {
                let res = client.get(url).bearer_auth(token).send().await.unwrap();
                assert_eq!(res.status(), StatusCode::OK, "{path}");
                let disposition = res.headers()["content-disposition"].to_str().unwrap().to_owned();
                (disposition, res.bytes().await.unwrap().to_vec())
            }
        };
        let records = |bytes: &[u8], delimiter: u8| -> Vec<Vec<String>> {
            csv::ReaderBuilder::new().has_headers(false).delimiter(delimiter).from_reader(bytes)
                .records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect()
        };
        for (path, token) in [
            ("/api/v1/reports/follow-up.csv?from=2019-12-01&to=2019-12-31", m.outreach.clone()),
            ("/api/v1/reports/bed-nights.csv?from=2019-12-01&to=2019-12-31", m.coordinator.clone()),
        ] {
            let (_, comma) = get(path.to_owned(), token.clone()).await;
            let (named, excel) = get(format!("{path}&dialect=excel"), token.clone()).await;
            assert!(named.contains("-excel.csv"), "{named}");
            assert_eq!(&excel[..3], [0xEF, 0xBB, 0xBF], "{path}: a byte order mark first");
            assert!(!comma.starts_with(&[0xEF]), "the machines' form has none");
            let excel_text = std::str::from_utf8(&excel[3..]).unwrap();
            let header = excel_text.lines().next().unwrap();
            assert!(header.contains(';') && !header.contains(','), "{header}");
            let (a, e) = (records(&comma, b','), records(&excel[3..], b';'));
            assert!(a.len() > 10, "{path}: {} records", a.len());
            assert_eq!(a, e, "{path}: the same fields in both forms");
            // The machines' form is the default and may be named.
            let (_, named_comma) = get(format!("{path}&dialect=comma"), token.clone()).await;
            assert_eq!(named_comma, comma);
            let res = m.app.get(&format!("{path}&dialect=tsv"), Some(&token)).await;
            let p = assert_problem(res, 422, "validation-failed").await;
            assert_eq!(error_fields(&p), ["dialect"]);
        }
    }

    async fn occupancy_per_shelter_and_night_matches_the_ledger(b: Backend) {
        let m = build_month(b).await;
        let res = m.app.get("/api/v1/reports/occupancy?from=2019-12-01&to=2019-12-31", Some(&m.outreach)).await;
        let (status, rows) = json_of(res).await;
        assert_eq!(status, StatusCode::OK, "{rows}");
        let want = m.expected(d("2019-12-01"), d("2019-12-31"));
        // Summed over the shelters, each night and category is the ledger's.
        let mut sums: Figures = Figures::new();
        for r in rows.as_array().unwrap() {
            let key = r["night"].as_str().unwrap().to_owned();
            for mm in ["places", "occupied", "no_show", "free"] {
                let v = r[mm].as_i64().unwrap();
                add(&mut sums, "occupancy", &key, &format!("{}.{mm}", r["category"].as_str().unwrap()), v);
                add(&mut sums, "occupancy", &key, &format!("all.{mm}"), v);
            }
            for mm in ["emergency_placements", "cold_night_placements"] {
                add(&mut sums, "occupancy", &key, mm, r[mm].as_i64().unwrap());
            }
            add(&mut sums, "occupancy", &key, "cold_night", 0);
        }
        sums.retain(|_, v| *v != 0);
        let mut want_occ: Figures = want.into_iter().filter(|(k, _)| k.0 == "occupancy" && k.2 != "cold_night").collect();
        want_occ.retain(|_, v| *v != 0);
        assert_same(&sums, &want_occ, "occupancy per shelter");
        // One shelter: women's places separately, A's outage counted.
        let a = &m.shelters[0];
        let res = m.app.get(&format!("/api/v1/reports/occupancy?from=2019-12-20&to=2019-12-20&shelter_id={a}"), Some(&m.coordinator)).await;
        let rows: Vec<Value> = res.json().await.unwrap();
        let regular = rows.iter().find(|r| r["category"] == "regular").unwrap();
        assert_eq!(regular["places"], 3, "R4 is out of service");
        let women = rows.iter().find(|r| r["category"] == "women").unwrap();
        assert_eq!(women["places"], 2);
        assert!(rows.iter().all(|r| r["shelter_id"] == *a));
    }

    async fn the_bed_night_export_is_one_pseudonymous_line_per_guest_and_night(b: Backend) {
        let m = build_month(b).await;
        let get = |addr: String| {
            let client = m.app.client.clone();
            let token = m.coordinator.clone();
            async move {
                let res = client.get(format!("{addr}/api/v1/reports/bed-nights.csv?from=2019-12-01&to=2019-12-31"))
                    .bearer_auth(token).send().await.unwrap();
                assert_eq!(res.status(), StatusCode::OK);
                res.text().await.unwrap()
            }
        };
        let first = get(m.app.address.clone()).await;
        let again = get(m.app.address.clone()).await;
        assert_eq!(first, again, "stable across exports");
        let mut lines = first.lines();
        assert_eq!(lines.next(), Some("guest,night,shelter_id,category,kind"));
        let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
        let want = m.bed_nights(d("2019-12-01"), d("2019-12-31"));
        assert_eq!(rows.len(), want.len());
        // No database id, no name; one pseudonym per guest.
        let ids: HashSet<&str> = m.guests.iter().map(|g| g.id.as_str()).collect();
        let mut per_guest: HashMap<&str, usize> = HashMap::new();
        for r in &rows {
            assert_eq!(r.len(), 5);
            assert!(!ids.contains(r[0]));
            assert!(!m.guests.iter().any(|g| first.contains(&g.name)));
            assert_eq!(r[0].len(), 32);
            assert!(r[0].chars().all(|c| c.is_ascii_hexdigit()));
            *per_guest.entry(r[0]).or_insert(0) += 1;
        }
        let mut want_per_guest: Vec<usize> = {
            let mut c: HashMap<usize, usize> = HashMap::new();
            for (g, ..) in &want {
                *c.entry(*g).or_insert(0) += 1;
            }
            c.into_values().collect()
        };
        let mut got_per_guest: Vec<usize> = per_guest.into_values().collect();
        want_per_guest.sort();
        got_per_guest.sort();
        assert_eq!(got_per_guest, want_per_guest);
        // Kinds and categories as the ledger has them.
        let count = |kind: &str| rows.iter().filter(|r| r[4] == kind).count();
        assert_eq!(count("cold_night"), want.iter().filter(|w| w.4 == "cold_night").count());
        assert_eq!(count("emergency"), 1);
        let women = rows.iter().filter(|r| r[3] == "women").count();
        assert_eq!(women, want.iter().filter(|w| w.3 == "women").count());
        // Another key, other pseudonyms: the id is keyed, not a plain hash.
        let other = m.app.instance_with(|s| {
            s.reports.pseudonym_secret = nattplats::config::JwtSecretSource::Value(
                secrecy::SecretString::from("another-secret-another-secret-another-secret".to_owned()));
        });
        m.set_clock_at(&other).await;
        let keyed = get(other).await;
        assert_eq!(keyed.lines().count(), first.lines().count());
        assert_ne!(keyed.lines().nth(1), first.lines().nth(1));
        // Outreach sees aggregates, never rows.
        assert_problem(m.app.get("/api/v1/reports/bed-nights.csv?from=2019-12-01&to=2019-12-31", Some(&m.outreach)).await, 403, "forbidden").await;
        // Each export is on the audit trail.
        let res = m.app.get("/api/v1/audit?limit=1000", Some(&m.app.admin_token)).await;
        let text = res.text().await.unwrap();
        assert!(text.matches("report.bed-nights").count() >= 2, "{text}");
    }

    async fn reports_refuse_bad_periods_and_wrong_roles(b: Backend) {
        let app = spawn_with(b, Options { seed: true, manual_clock: true }).await;
        app.set_clock("2019-12-10T18:00:00+01:00").await;
        let coord = app.user_token("coord", &["coordinator"], &[]).await;
        for (query, field) in [
            ("from=2019-12-01", "to"),
            ("to=2019-12-01", "from"),
            ("from=2019-13-01&to=2019-12-05", "from"),
            ("from=2019-12-05&to=2019-12-01", "to"),
            ("from=2018-01-01&to=2019-12-05", "to"),
            ("from=2019-12-10&to=2019-12-12", "from"),
            ("preset=decade", "preset"),
            ("preset=half-year&from=2019-12-01", "preset"),
            ("from=2019-12-01&to=2019-12-02&of=2019-12-01", "of"),
            ("from=2019-12-01&to=2019-12-02&colour=red", "colour"),
        ] {
            let res = app.get(&format!("/api/v1/reports/follow-up?{query}"), Some(&coord)).await;
            let problem = assert_problem(res, 422, "validation-failed").await;
            assert!(error_fields(&problem).iter().any(|f| f == field), "{query}: {problem}");
        }
        let res = app.get("/api/v1/reports/occupancy?from=2019-09-01&to=2019-12-05", Some(&coord)).await;
        assert_problem(res, 422, "validation-failed").await;
        let res = app.get("/api/v1/reports/occupancy?from=2019-12-01&to=2019-12-05&shelter_id=nope", Some(&coord)).await;
        assert_problem(res, 422, "validation-failed").await;
        let res = app.get("/api/v1/reports/occupancy?from=2019-12-01&to=2019-12-05&shelter_id=00000000-0000-4000-8000-000000000000", Some(&coord)).await;
        assert_problem(res, 404, "not-found").await;
        let shelters = app.shelters().await;
        let first_shelter = shelters[0]["id"].as_str().unwrap().to_owned();
        for role in ["shelter_staff", "social_emergency", "admin"] {
            let at: Vec<&str> = if role == "shelter_staff" { vec![first_shelter.as_str()] } else { vec![] };
            let token = app.user_token(&format!("u.{role}"), &[role], &at).await;
            for path in ["follow-up", "follow-up.csv", "follow-up.html", "occupancy"] {
                let res = app.get(&format!("/api/v1/reports/{path}?from=2019-12-01&to=2019-12-05"), Some(&token)).await;
                assert_problem(res, 403, "forbidden").await;
            }
        }
        // The default: small counts suppressed below 5.
        let res = app.get("/api/v1/reports/follow-up?preset=half-year", Some(&coord)).await;
        let (status, report) = json_of(res).await;
        assert_eq!(status, StatusCode::OK, "{report}");
        assert_eq!(report["suppression"]["below"], 5);
        assert_eq!(report["period"]["from"], "2019-11-01");
        assert_eq!(report["period"]["to"], "2019-12-09");
        // The Stockholm seed: four organisations, three of them with a shelter.
        assert_eq!(report["organisations"].as_array().unwrap().len(), 3);
    }

    async fn the_summaries_rebuilt_from_the_bookings_give_the_same_report(b: Backend) {
        let m = build_month(b).await;
        let before = m.report_with(&m.coordinator, "from=2019-12-01&to=2019-12-31").await;
        let mut conn = m.app.conn();
        assert!(nattplats::db::summaries::fold(&mut conn).unwrap() > 0);
        {
            use diesel::prelude::*;
            diesel::sql_query("DELETE FROM report_guest_spans").execute(&mut **conn).unwrap();
        }
        let emptied = m.report_with(&m.coordinator, "from=2019-12-01&to=2019-12-31").await;
        assert_ne!(figures_of(&emptied), figures_of(&before), "the report reads the summaries");
        nattplats::db::summaries::rebuild(&mut conn).unwrap();
        let after = m.report_with(&m.coordinator, "from=2019-12-01&to=2019-12-31").await;
        assert_same(&figures_of(&after), &figures_of(&before), "rebuilt");
    }

    async fn the_reports_are_the_same_before_and_after_the_log_is_folded(b: Backend) {
        use nattplats::db::{invariants, summaries};
        // A whole month, a half-year of it and its middle: one summary
        // span, spans and nights, nights alone.
        const PERIODS: [&str; 3] = [
            "from=2019-12-01&to=2019-12-31",
            "preset=half-year",
            "from=2019-12-03&to=2019-12-17",
        ];
        let m = build_month(b).await;
        let reports = || async {
            let mut figures = Vec::new();
            for q in PERIODS {
                figures.push(figures_of(&m.report_with(&m.coordinator, q).await));
            }
            figures
        };
        let mut conn = m.app.conn();
        let pending = logged(&mut conn);
        assert!(pending > 0, "the month's acts are in the log, none folded");
        let unfolded = reports().await;
        assert_eq!(invariants::check(&mut conn).unwrap().counts_off, Vec::<String>::new());

        assert_eq!(summaries::fold(&mut conn).unwrap(), u64::try_from(pending).unwrap());
        assert_eq!(logged(&mut conn), 0);
        let folded = reports().await;
        for ((q, got), want) in PERIODS.iter().zip(&folded).zip(&unfolded) {
            assert_same(got, want, &format!("{q}, folded"));
        }
        assert_eq!(invariants::check(&mut conn).unwrap().counts_off, Vec::<String>::new());
        assert_eq!(summaries::fold(&mut conn).unwrap(), 0, "nothing left to fold");

        // Half folded: a check-in taken back and a stay's end undone after
        // the fold are in the log, the rest in the tables.
        for sql in [
            "UPDATE bookings SET checked_in_at = NULL WHERE id = \
             (SELECT MIN(id) FROM bookings WHERE checked_in_at IS NOT NULL AND night >= '2019-12-05')",
            "UPDATE stays SET status = 'active', end_reason = NULL, ended_at = NULL WHERE id = \
             (SELECT MIN(id) FROM stays WHERE status = 'ended')",
        ] {
            assert_eq!(diesel::RunQueryDsl::execute(diesel::sql_query(sql), &mut **conn).unwrap(), 1);
        }
        assert!(number(&mut conn, "SELECT COUNT(*) AS n FROM booking_changes") > 0);
        assert!(number(&mut conn, "SELECT COUNT(*) AS n FROM stay_changes") > 0);
        let half = reports().await;
        assert_ne!(half, folded, "taking a check-in back moves the figures");
        assert_eq!(invariants::check(&mut conn).unwrap().counts_off, Vec::<String>::new());
        assert!(summaries::fold(&mut conn).unwrap() > 0);
        for ((q, got), want) in PERIODS.iter().zip(&reports().await).zip(&half) {
            assert_same(got, want, &format!("{q}, folded again"));
        }
        assert_eq!(invariants::check(&mut conn).unwrap().counts_off, Vec::<String>::new());
    }

    async fn an_instance_that_folds_empties_the_log_and_the_reports_stay_the_same(b: Backend) {
        let m = build_month(b).await;
        let before = figures_of(&m.report_with(&m.coordinator, "preset=half-year").await);
        let mut conn = m.app.conn();
        assert!(number(&mut conn, "SELECT COUNT(*) AS n FROM booking_changes") > 0);
        // The service as it runs: its folder works while it lives.
        let folding = m.app.instance_with(|s| s.fold_summaries = true);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while logged(&mut conn) > 0 {
            assert!(std::time::Instant::now() < deadline, "the folder left the log as it was");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        m.set_clock_at(&folding).await;
        let res = m
            .app
            .client
            .get(format!("{folding}/api/v1/reports/follow-up?preset=half-year"))
            .bearer_auth(&m.coordinator)
            .send()
            .await
            .unwrap();
        let (status, after) = json_of(res).await;
        assert_eq!(status, StatusCode::OK, "{after}");
        assert_same(&figures_of(&after), &before, "folded by the running service");
        assert!(nattplats::db::invariants::check(&mut conn).unwrap().holds());
    }
}
