//! The guest slip (issue 16), over HTTP as a browser asks for it:
//! `GET /stays/{id}/slip` in the guest's language with the stay's bed,
//! nights, karenstid and the night a new stay is possible, the shelter's
//! address; for the roles and shelters that may read the stay, audited
//! as the API's stay read; the sign-in page without a session.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::pages::*;

/// A guest of `language` with a stay at `shelter` from tonight; the stay.
async fn stay(app: &TestApp, token: &str, shelter: &str, given: &str, language: &str) -> Value {
    let g: Value = app
        .post("/api/v1/guests", Some(token), &json!({"given_name": given, "family_name": "Lungu", "birth_year": 1975, "gender": "man", "citizenship": "RO", "language": language}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(g["language"], language, "{g}");
    let res = app
        .post(
            "/api/v1/stays",
            Some(token),
            &json!({"guest_id": g["id"], "shelter_id": shelter}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json().await.unwrap()
}

/// The text of the element with `id` in `html` (its first tag's content).
fn by_id(html: &str, id: &str) -> String {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("#{id} in {html}"));
    let start = at + html[at..].find('>').expect("tag end") + 1;
    let end = start
        + html[start..]
            .find("</dd>")
            .or_else(|| html[start..].find('<'))
            .expect("content end");
    html[start..end]
        .replace("<strong>", "")
        .replace("</strong>", "")
}

backend_tests! {
    async fn a_romanian_guests_slip_is_in_romanian_with_the_stays_dates(b: Backend) {
        let app = spawn_app(b).await;
        app.set_clock("2019-12-01T18:00:00+01:00").await;
        let shelters = app.shelters().await;
        let shelter = shelters[0]["id"].as_str().unwrap().to_owned();
        let address = shelters[0]["address"].as_str().unwrap().to_owned();
        let phone = shelters[0]["phone"].as_str().unwrap().to_owned();
        user(&app, "desk.slip", &["shelter_staff"], &[&shelter]).await;
        let desk = app.login("desk.slip", PASSWORD).await;
        let s = stay(&app, &desk, &shelter, "Ion", "ro").await;
        let id = s["id"].as_str().unwrap();
        let bed = s["nights"][0]["place_label"].as_str().unwrap().to_owned();
        assert_eq!((s["last_night"].as_str(), s["quarantine_last_night"].as_str(), s["eligible_again_from"].as_str()),
            (Some("2019-12-05"), Some("2019-12-07"), Some("2019-12-08")), "{s}");

        let mut browser = signed_in_browser(&app, "desk.slip").await;
        let res = browser.get(&format!("/stays/{id}/slip")).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers()["content-security-policy"].to_str().unwrap().contains("script-src 'self'"));
        let html = res.text().await.unwrap();
        // The screen is the desk's (Swedish), the slip the guest's.
        assert!(html.contains("<html lang=\"sv\">"), "{html}");
        assert!(html.contains("Lappen är på gästens språk: rumänska."), "{html}");
        assert!(html.contains("id=\"slip\" lang=\"ro\""), "{html}");
        assert!(html.contains("Patul tău la adăpostul de noapte"), "{html}");
        assert_eq!(by_id(&html, "slip-shelter"), shelters[0]["name"].as_str().unwrap());
        assert_eq!(by_id(&html, "slip-address"), address);
        assert_eq!(by_id(&html, "slip-phone"), phone);
        assert_eq!(by_id(&html, "slip-bed"), bed);
        assert_eq!(by_id(&html, "slip-first-night"), "duminică, 1 decembrie 2019");
        assert_eq!(by_id(&html, "slip-leave"), "vineri, 6 decembrie 2019");
        assert_eq!(by_id(&html, "slip-checkin"), "în fiecare seară înainte de ora 23:00");
        assert_eq!(by_id(&html, "slip-wait"), "vineri, 6 decembrie 2019 – sâmbătă, 7 decembrie 2019");
        assert_eq!(by_id(&html, "slip-again"), "duminică, 8 decembrie 2019");
        // In English at the desk, the slip stays Romanian.
        let res = browser.get(&format!("/stays/{id}/slip?lang=en")).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(res.headers()["location"], format!("/stays/{id}/slip").as_str());
        let html = browser.get(&format!("/stays/{id}/slip")).await.text().await.unwrap();
        assert!(html.contains("<html lang=\"en\">") && html.contains("language: Romanian. Print it"), "{html}");
        assert_eq!(by_id(&html, "slip-first-night"), "duminică, 1 decembrie 2019");

        // Each read is the API's stay read on the audit trail.
        let audit: Value = app.get("/api/v1/audit?limit=50", Some(&app.admin_token)).await.json().await.unwrap();
        let reads = audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "stay.read" && e["subject_id"] == id && e["guest_id"] == s["guest_id"])
            .count();
        assert_eq!(reads, 2, "{audit}");
    }

    async fn a_bulgarian_guests_slip_is_in_bulgarian(b: Backend) {
        let app = spawn_app(b).await;
        app.set_clock("2019-12-01T18:00:00+01:00").await;
        let shelter = app.shelters().await[0]["id"].as_str().unwrap().to_owned();
        user(&app, "desk.bg", &["shelter_staff"], &[&shelter]).await;
        let desk = app.login("desk.bg", PASSWORD).await;
        let s = stay(&app, &desk, &shelter, "Georgi", "bg").await;
        let mut browser = signed_in_browser(&app, "desk.bg").await;
        let html = browser.get(&format!("/stays/{}/slip", s["id"].as_str().unwrap())).await.text().await.unwrap();
        assert!(html.contains("id=\"slip\" lang=\"bg\""), "{html}");
        assert!(html.contains("Твоето легло в нощния приют"), "{html}");
        assert_eq!(by_id(&html, "slip-first-night"), "неделя, 1 декември 2019 г.");
        assert_eq!(by_id(&html, "slip-checkin"), "всяка вечер преди 23:00 ч.");
        assert_eq!(by_id(&html, "slip-again"), "неделя, 8 декември 2019 г.");
        assert!(html.contains("Lappen är på gästens språk: bulgariska."), "{html}");
    }

    async fn only_those_who_may_read_the_stay_see_its_slip(b: Backend) {
        let app = spawn_app(b).await;
        app.set_clock("2019-12-01T18:00:00+01:00").await;
        let shelters = app.shelters().await;
        let shelter = shelters[0]["id"].as_str().unwrap().to_owned();
        let other = shelters[1]["id"].as_str().unwrap().to_owned();
        user(&app, "desk.here", &["shelter_staff"], &[&shelter]).await;
        user(&app, "desk.there", &["shelter_staff"], &[&other]).await;
        user(&app, "coord.slip", &["coordinator"], &[]).await;
        user(&app, "outreach.slip", &["outreach"], &[]).await;
        let desk = app.login("desk.here", PASSWORD).await;
        let s = stay(&app, &desk, &shelter, "Ion", "pl").await;
        let path = format!("/stays/{}/slip", s["id"].as_str().unwrap());

        // No session: the sign-in page.
        let mut nobody = Browser::new(&app.address);
        let res = nobody.get(&path).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(res.headers()["location"], "/login");

        // Another shelter's staff, and a role that may not read stays: 403.
        for name in ["desk.there", "outreach.slip"] {
            let mut b = signed_in_browser(&app, name).await;
            let res = b.get(&path).await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{name}");
            let html = res.text().await.unwrap();
            assert!(!html.contains("id=\"slip\""), "{html}");
        }
        // The coordinator reads any stay; the slip is in Polish.
        let mut coord = signed_in_browser(&app, "coord.slip").await;
        let html = coord.get(&path).await.text().await.unwrap();
        assert_eq!(by_id(&html, "slip-first-night"), "niedziela, 1 grudnia 2019");
        // An unknown stay, or no id at all: 404.
        let res = coord.get("/stays/00000000-0000-4000-8000-000000000000/slip").await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        let res = coord.get("/stays/not-an-id/slip").await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        // The refused reads wrote no stay.read; the coordinator's did.
        let audit: Value = app.get("/api/v1/audit?limit=50", Some(&app.admin_token)).await.json().await.unwrap();
        let reads = audit["entries"].as_array().unwrap().iter().filter(|e| e["action"] == "stay.read").count();
        assert_eq!(reads, 1, "{audit}");
    }
}
