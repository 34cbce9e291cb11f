//! Every page and every role (issue 17: "every page a role may not see
//! answers 403 for that role"): one table of the pages, who may open each,
//! and every role signed in through the form opening every page. Without
//! a session each page leads to the sign-in.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::pages::*;

/// The roles, each a user of its own (shelter staff at the first shelter).
const ROLES: [&str; 5] = [
    "admin",
    "coordinator",
    "shelter_staff",
    "social_emergency",
    "outreach",
];

/// A page, and the roles that may open it (every other role: 403).
struct Page {
    path: String,
    may: &'static [&'static str],
    /// A part htmx fetches (without htmx it leads to its whole page).
    htmx: bool,
}

const GUESTS: &[&str] = &["coordinator", "shelter_staff", "social_emergency"];
const STAYS: &[&str] = &["coordinator", "shelter_staff"];
const REPORTS: &[&str] = &["coordinator", "outreach"];
const BOARD: &[&str] = &["coordinator", "social_emergency"];
const ADMIN_ONLY: &[&str] = &["admin"];
const DESK: &[&str] = &["shelter_staff"];
const EVERYONE: &[&str] = &ROLES;
const COORDINATOR: &[&str] = &["coordinator"];
const REFERRALS: &[&str] = &["coordinator", "social_emergency", "outreach"];
const LOTTERY: &[&str] = &["coordinator", "shelter_staff"];
const VERIFY: &[&str] = &["admin", "coordinator", "shelter_staff", "outreach"];

/// The pages, with the ids they need.
fn pages(shelter: &str, guest: &str, stay: &str, session: &str) -> Vec<Page> {
    let page = |path: String, may| Page {
        path,
        may,
        htmx: false,
    };
    let part = |path: String, may| Page {
        path,
        may,
        htmx: true,
    };
    vec![
        page("/".into(), EVERYONE),
        part(format!("/tonight?shelter_id={shelter}"), DESK),
        page("/intake".into(), GUESTS),
        part("/intake/search?q=Lupu".into(), GUESTS),
        page("/guests/new".into(), GUESTS),
        page(format!("/guests/{guest}"), GUESTS),
        page(format!("/stays/{stay}/slip"), STAYS),
        page("/reports".into(), REPORTS),
        page("/reports?preset=half-year&of=2019-11-30".into(), REPORTS),
        page(
            "/reports/follow-up.csv?preset=half-year&of=2019-11-30".into(),
            REPORTS,
        ),
        page("/board".into(), BOARD),
        part("/board/part".into(), BOARD),
        page(format!("/board/place?guest_id={guest}"), BOARD),
        page("/cold-nights".into(), COORDINATOR),
        page("/cold-nights/night?night=2019-12-01".into(), COORDINATOR),
        page("/referrals".into(), REFERRALS),
        page("/referrals?status=closed".into(), REFERRALS),
        page("/lottery".into(), LOTTERY),
        page(format!("/lottery/sessions/{session}"), LOTTERY),
        page(format!("/lottery/sessions/{session}/verify"), VERIFY),
        page("/admin/users".into(), ADMIN_ONLY),
        page("/admin/shelters".into(), ADMIN_ONLY),
        page("/admin/rule-sets".into(), ADMIN_ONLY),
        page("/incidents".into(), COORDINATOR),
        page("/incidents/new".into(), STAYS),
        page("/incidents/new?q=Lupu".into(), STAYS),
        page("/complaints".into(), COORDINATOR),
        page("/complaints/new".into(), STAYS),
        page("/survey".into(), STAYS),
    ]
}

backend_tests! {
    async fn every_page_answers_403_to_every_role_that_may_not_see_it(b: Backend) {
        let app = spawn_app(b).await;
        app.set_clock("2019-12-01T18:00:00+01:00").await;
        let shelter = app.shelters().await[0]["id"].as_str().unwrap().to_owned();
        for role in ROLES.iter().filter(|r| **r != "admin") {
            let shelters: &[&str] = if *role == "shelter_staff" { &[&shelter] } else { &[] };
            user(&app, &format!("as.{role}"), &[role], shelters).await;
        }
        let coord = app.login("as.coordinator", PASSWORD).await;
        let res = app.post("/api/v1/guests", Some(&coord), &json!({"given_name": "Ion", "family_name": "Lupu", "birth_year": 1970, "gender": "man", "citizenship": "RO"})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let guest = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
        let res = app.post("/api/v1/stays", Some(&coord), &json!({"guest_id": guest, "shelter_id": shelter})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let stay = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
        let res = app.post("/api/v1/intake-sessions", Some(&coord), &json!({"shelter_ids": [shelter], "first_night": "2019-12-02"})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let session = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
        let res = app.post(&format!("/api/v1/intake-sessions/{session}/draw"), Some(&coord), &json!({})).await;
        assert_eq!(res.status(), StatusCode::OK, "drawn");
        let pages = pages(&shelter, &guest, &stay, &session);
        let mut wrong = Vec::new();
        for role in ROLES {
            let mut browser = if role == "admin" {
                let mut b = Browser::new(&app.address);
                assert_eq!(b.sign_in(ADMIN, ADMIN_PASSWORD).await.status(), StatusCode::SEE_OTHER);
                b
            } else {
                signed_in_browser(&app, &format!("as.{role}")).await
            };
            for page in &pages {
                let expected = if page.may.contains(&role) { StatusCode::OK } else { StatusCode::FORBIDDEN };
                let headers: &[(&str, &str)] = if page.htmx { &[("hx-request", "true")] } else { &[] };
                let got = browser.get_with(&page.path, headers).await.status();
                if got != expected {
                    wrong.push(format!("{role} {}: {got}, not {expected}", page.path));
                }
            }
        }
        // Without a session: the way to sign in.
        let mut nobody = Browser::new(&app.address);
        for page in &pages {
            let res = nobody.get(&page.path).await;
            let to_sign_in = location(&res).starts_with("/login");
            // A part without htmx leads to its whole page, which leads on.
            let to_page = page.htmx && !location(&res).is_empty();
            if res.status() != StatusCode::SEE_OTHER || !(to_sign_in || to_page) {
                wrong.push(format!("no session {}: {}", page.path, res.status()));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
}
