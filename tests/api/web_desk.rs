//! The desk's acts from tonight's list (issue 16), over HTTP as htmx
//! sends them: a check-in through the page acts once when its form is
//! sent again with the same key; a form without its token or from another
//! site does nothing; staff of another shelter get 403; end and move do
//! what the API does, audit entries included; a late guest is moved to a
//! free bed and checked in; the list's stream says when anything changed.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::pages::*;

/// A form posted as htmx posts it.
const HTMX: &[(&str, &str)] = &[("hx-request", "true")];

/// The value of the first field named `name` in `html`.
fn value_of(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("a field {name} in {html}"));
    let rest = &html[at + marker.len()..];
    rest[..rest.find('"').expect("end of value")].to_owned()
}

/// The row of a bed in a list.
fn row<'a>(html: &'a str, label: &str) -> &'a str {
    let at = html
        .find(&format!("data-bed=\"{label}\""))
        .unwrap_or_else(|| panic!("{label} in {html}"));
    &html[at..at + html[at..].find("</tr>").expect("end of row")]
}

/// The fields of the form of `class` in `html` (the first one).
fn form_in(html: &str, class: &str) -> Vec<(String, String)> {
    let at = html
        .find(&format!("<form class=\"{class}\""))
        .unwrap_or_else(|| panic!("form {class} in {html}"));
    let form = &html[at..at + html[at..].find("</form>").expect("end of form")];
    let mut out = Vec::new();
    for part in form.split("<input").skip(1) {
        let attr = |n: &str| {
            let m = format!("{n}=\"");
            part.find(&m).map(|i| {
                let r = &part[i + m.len()..];
                r[..r.find('"').unwrap_or(0)].to_owned()
            })
        };
        if let (Some(name), Some(value)) = (attr("name"), attr("value")) {
            out.push((name, value));
        }
    }
    out
}

/// The place id of the first regular bed the row's move form offers.
fn free_regular(row: &str) -> String {
    for option in row.split("<option value=\"").skip(1) {
        let (id, rest) = option.split_once('"').expect("an option");
        if rest[..rest.find("</option>").expect("end")].contains("(vanlig)") {
            return id.to_owned();
        }
    }
    panic!("no free regular bed offered in {row}");
}

fn with<'a>(
    fields: &'a [(String, String)],
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut out: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    for (k, v) in extra {
        out.retain(|(name, _)| name != k);
        out.push((k, v));
    }
    out
}

/// A guest with a stay at the shelter from tonight: (guest, stay, bed label).
async fn stay(app: &TestApp, token: &str, shelter: &str, given: &str) -> (String, String, String) {
    let g: Value = app
        .post("/api/v1/guests", Some(token), &json!({"given_name": given, "family_name": "Rusu", "birth_year": 1975, "gender": "man", "citizenship": "RO"}))
        .await
        .json()
        .await
        .unwrap();
    let s: Value = app
        .post(
            "/api/v1/stays",
            Some(token),
            &json!({"guest_id": g["id"], "shelter_id": shelter}),
        )
        .await
        .json()
        .await
        .unwrap();
    let label = s["nights"][0]["label"]
        .as_str()
        .unwrap_or_else(|| panic!("{s}"))
        .to_owned();
    (
        g["id"].as_str().unwrap().to_owned(),
        s["id"].as_str().unwrap().to_owned(),
        label,
    )
}

async fn actions(app: &TestApp, guest: &str) -> Vec<String> {
    let audit: Value = app
        .get(
            &format!("/api/v1/audit?guest_id={guest}&limit=100"),
            Some(&app.admin_token),
        )
        .await
        .json()
        .await
        .unwrap();
    audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

fn count(actions: &[String], action: &str) -> usize {
    actions.iter().filter(|a| *a == action).count()
}

/// A stay as the API gives it to the desk.
async fn stay_json(d: &Desk, stay: &str) -> Value {
    d.app
        .get(&format!("/api/v1/stays/{stay}"), Some(&d.token))
        .await
        .json()
        .await
        .unwrap()
}

struct Desk {
    app: TestApp,
    shelter: String,
    other: String,
    token: String,
    browser: Browser,
}

async fn desk(b: Backend) -> Desk {
    let app = spawn_app(b).await;
    app.set_clock("2019-12-01T18:00:00+01:00").await;
    let shelters = app.shelters().await;
    let shelter = shelters[0]["id"].as_str().unwrap().to_owned();
    let other = shelters[1]["id"].as_str().unwrap().to_owned();
    user(&app, "desk.one", &["shelter_staff"], &[&shelter]).await;
    let token = app.login("desk.one", PASSWORD).await;
    let browser = signed_in_browser(&app, "desk.one").await;
    Desk {
        app,
        shelter,
        other,
        token,
        browser,
    }
}

impl Desk {
    async fn list(&mut self) -> String {
        let path = format!("/tonight?shelter_id={}", self.shelter);
        let res = self
            .browser
            .get_with(&path, &[("hx-request", "true")])
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        res.text().await.unwrap()
    }
}

backend_tests! {
    async fn a_check_in_through_the_page_acts_once_when_its_form_is_sent_again(b: Backend) {
        let mut d = desk(b).await;
        let (guest, stay_id, bed) = stay(&d.app, &d.token, &d.shelter, "Ion").await;
        let html = d.list().await;
        let fields = form_in(row(&html, &bed), "check-in");
        assert!(fields.iter().any(|(k, v)| k == "stay_id" && *v == stay_id), "{fields:?}");
        assert!(row(&html, &bed).contains(&format!("aria-label=\"Checka in Ion Rusu på säng {bed}\"")));
        let origin = d.app.address.clone();
        let first = d.browser.post("/tonight/check-in", &with(&fields, &[]), Some(&origin), HTMX).await;
        assert_eq!(first.status(), StatusCode::OK);
        let first = first.text().await.unwrap();
        assert!(first.starts_with("<section") && !first.contains("<html"), "{first}");
        assert!(first.contains(&format!("Ion Rusu är incheckad på säng {bed} (18:00).")), "{first}");
        assert!(row(&first, &bed).contains("incheckad 18:00"), "{first}");
        // The connection dropped; the same form is sent again, later.
        d.app.set_clock("2019-12-01T18:20:00+01:00").await;
        let again = d.browser.post("/tonight/check-in", &with(&fields, &[]), Some(&origin), HTMX).await;
        assert_eq!(again.status(), StatusCode::OK);
        let again = again.text().await.unwrap();
        assert!(again.contains(&format!("Ion Rusu är incheckad på säng {bed} (18:00).")), "the first answer: {again}");
        assert_eq!(count(&actions(&d.app, &guest).await, "stay.check-in"), 1);
        // A check-in by the bed's label typed (any case), from the list's own form.
        let (guest2, _, bed2) = stay(&d.app, &d.token, &d.shelter, "Vasile").await;
        let html = d.list().await;
        let by_bed = form_in(&html, "checkin-by-bed");
        let typed = bed2.to_lowercase();
        let res = d.browser.post("/tonight/check-in", &with(&by_bed, &[("bed", &typed)]), Some(&origin), HTMX).await;
        assert_eq!(res.status(), StatusCode::OK);
        let html = res.text().await.unwrap();
        assert!(html.contains("Vasile Rusu är incheckad"), "{html}");
        assert!(html.contains("autofocus"), "the field keeps the focus: {html}");
        assert_eq!(count(&actions(&d.app, &guest2).await, "stay.check-in"), 1);
        // A label nobody holds: said in words, with the status of a bad field.
        let fresh = form_in(&html, "checkin-by-bed");
        let res = d.browser.post("/tonight/check-in", &with(&fresh, &[("bed", "X99")]), Some(&origin), HTMX).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = res.text().await.unwrap();
        assert!(html.contains("Ingen gäst med vistelse har säng X99 i natt"), "{html}");
    }

    async fn a_form_without_its_token_or_from_another_site_does_nothing(b: Backend) {
        let mut d = desk(b).await;
        let (guest, _, bed) = stay(&d.app, &d.token, &d.shelter, "Ion").await;
        let html = d.list().await;
        let fields = form_in(row(&html, &bed), "check-in");
        let origin = d.app.address.clone();
        let res = d.browser.post("/tonight/check-in", &with(&fields, &[]), Some("http://evil.example"), HTMX).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let wrong = "0".repeat(64);
        let res = d.browser.post("/tonight/check-in", &with(&fields, &[("csrf", &wrong)]), Some(&origin), HTMX).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        for path in ["/tonight/end", "/tonight/move"] {
            let res = d.browser.post(path, &with(&fields, &[("csrf", &wrong), ("confirm", "yes"), ("reason", "x")]), Some(&origin), HTMX).await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
        }
        assert_eq!(count(&actions(&d.app, &guest).await, "stay.check-in"), 0);
        assert!(row(&d.list().await, &bed).contains("väntas"));
    }

    async fn staff_of_another_shelter_are_refused(b: Backend) {
        let mut d = desk(b).await;
        let (guest, stay_id, bed) = stay(&d.app, &d.token, &d.shelter, "Ion").await;
        let html = d.list().await;
        let fields = form_in(row(&html, &bed), "check-in");
        user(&d.app, "desk.two", &["shelter_staff"], &[&d.other]).await;
        let mut elsewhere = signed_in_browser(&d.app, "desk.two").await;
        let csrf = value_of(&elsewhere.get_with("/", &[]).await.text().await.unwrap(), "csrf");
        let origin = d.app.address.clone();
        // At the desk's shelter: 403, in words.
        let res = elsewhere.post("/tonight/check-in", &with(&fields, &[("csrf", &csrf)]), Some(&origin), HTMX).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let html = res.text().await.unwrap();
        assert!(html.contains("Ditt konto arbetar inte på det här härbärget") && !html.contains("Ion"), "{html}");
        // Naming their own shelter with the other's stay: the service's scope refuses.
        let other = d.other.clone();
        let res = elsewhere.post("/tonight/check-in", &with(&fields, &[("csrf", &csrf), ("shelter_id", &other)]), Some(&origin), HTMX).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let res = elsewhere.post("/tonight/move", &with(&fields, &[("csrf", &csrf), ("place_id", &stay_id)]), Some(&origin), HTMX).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        // The stream too.
        let res = elsewhere.get_with(&format!("/tonight/events?shelter_id={}", d.shelter), &[]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        // A coordinator has no desk here.
        user(&d.app, "coord.one", &["coordinator"], &[]).await;
        let mut coord = signed_in_browser(&d.app, "coord.one").await;
        let csrf = value_of(&coord.get_with("/", &[]).await.text().await.unwrap(), "csrf");
        let res = coord.post("/tonight/check-in", &with(&fields, &[("csrf", &csrf)]), Some(&origin), HTMX).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert_eq!(count(&actions(&d.app, &guest).await, "stay.check-in"), 0);
    }

    async fn end_and_move_do_what_the_api_does(b: Backend) {
        let mut d = desk(b).await;
        let origin = d.app.address.clone();
        // End: a reason, a confirm step, then the stay ends once.
        let (guest, stay_id, bed) = stay(&d.app, &d.token, &d.shelter, "Ion").await;
        let html = d.list().await;
        let end = form_in(row(&html, &bed), "end");
        let res = d.browser.post("/tonight/end", &with(&end, &[("reason", " ")]), Some(&origin), HTMX).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().await.unwrap().contains("Skriv varför vistelsen avslutas"));
        let res = d.browser.post("/tonight/end", &with(&end, &[("reason", "moved to family")]), Some(&origin), HTMX).await;
        assert_eq!(res.status(), StatusCode::OK);
        let asked = res.text().await.unwrap();
        assert!(asked.contains(&format!("Avsluta vistelsen för Ion Rusu på säng {bed}?")) && asked.contains("moved to family"), "{asked}");
        assert_eq!(stay_json(&d, &stay_id).await["status"], "active", "asking does nothing");
        let confirm = form_in(&asked, "confirm-end");
        for _ in 0..2 {
            let res = d.browser.post("/tonight/end", &with(&confirm, &[]), Some(&origin), HTMX).await;
            assert_eq!(res.status(), StatusCode::OK);
            assert!(res.text().await.unwrap().contains("Vistelsen är avslutad."));
        }
        assert_eq!(stay_json(&d, &stay_id).await["status"], "ended");
        assert_eq!(count(&actions(&d.app, &guest).await, "stay.end"), 1);
        assert!(row(&d.list().await, &bed).contains("ledig"));
        // Move: to a free bed chosen from the list's select.
        let (guest, stay_id, bed) = stay(&d.app, &d.token, &d.shelter, "Vasile").await;
        let html = d.list().await;
        let r = row(&html, &bed);
        let place = free_regular(r);
        let moved = form_in(r, "move");
        let res = d.browser.post("/tonight/move", &with(&moved, &[("place_id", &place)]), Some(&origin), HTMX).await;
        assert_eq!(res.status(), StatusCode::OK);
        let html = res.text().await.unwrap();
        let s = stay_json(&d, &stay_id).await;
        assert_eq!(s["nights"][0]["place_id"], place.as_str());
        let new_bed = s["nights"][0]["label"].as_str().unwrap().to_owned();
        assert!(html.contains(&format!("Vasile Rusu har säng {new_bed} i natt")), "{html}");
        assert!(row(&html, &new_bed).contains("Vasile Rusu"));
        assert_eq!(count(&actions(&d.app, &guest).await, "stay.move"), 1);

        // After 23:00: a guest who did not check in is a no-show, and can
        // still be checked in while nobody else has the bed.
        let (guest, _, bed) = stay(&d.app, &d.token, &d.shelter, "Petru").await;
        let (late_guest, late_stay, late_bed) = stay(&d.app, &d.token, &d.shelter, "Mihai").await;
        let html = d.list().await;
        let late_check_in = form_in(row(&html, &late_bed), "check-in");
        d.app.set_clock("2019-12-01T23:30:00+01:00").await;
        let html = d.list().await;
        assert!(row(&html, &bed).contains("uteblev") && row(&html, &late_bed).contains("uteblev"), "{html}");
        let res = d.browser.post("/tonight/check-in", &with(&form_in(row(&html, &bed), "check-in"), &[]), Some(&origin), HTMX).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.text().await.unwrap().contains(&format!("Petru Rusu är incheckad på säng {bed} (23:30).")));
        assert_eq!(count(&actions(&d.app, &guest).await, "stay.check-in"), 1);
        // The late guest's bed is given to someone else (socialjouren);
        // the late guest's check-in is refused in words, the stay moved to
        // a free bed from the list of late guests, and then checked in.
        let place = stay_json(&d, &late_stay).await["nights"][0]["place_id"].as_str().unwrap().to_owned();
        let social = d.app.user_token("jour.one", &["social_emergency"], &[]).await;
        let other: Value = d.app.post("/api/v1/guests", Some(&social), &json!({"given_name": "Elena", "family_name": "Dumitru", "birth_year": 1980, "gender": "woman", "citizenship": "RO"})).await.json().await.unwrap();
        let placed = d.app.post("/api/v1/placements", Some(&social), &json!({"guest_id": other["id"], "kind": "emergency", "shelter_id": d.shelter, "place_id": place, "reason": "no bed"})).await;
        assert_eq!(placed.status(), StatusCode::CREATED, "{}", placed.text().await.unwrap());
        let res = d.browser.post("/tonight/check-in", &with(&late_check_in, &[]), Some(&origin), HTMX).await;
        assert_eq!(res.status(), StatusCode::CONFLICT);
        let html = res.text().await.unwrap();
        assert!(html.contains("Gästen checkade inte in före 23:00 och sängen har gått till någon annan."), "{html}");
        assert!(row(&html, &late_bed).contains("Elena Dumitru"), "{html}");
        let at = html.find(&format!("data-late=\"{late_bed}\"")).unwrap_or_else(|| panic!("the late guest in {html}"));
        let late = &html[at..at + html[at..].find("</li>").unwrap()];
        assert!(late.contains("Mihai Rusu (hade säng"), "{late}");
        let free = free_regular(late);
        let res = d.browser.post("/tonight/move", &with(&form_in(late, "move"), &[("place_id", &free)]), Some(&origin), HTMX).await;
        assert_eq!(res.status(), StatusCode::OK);
        let html = res.text().await.unwrap();
        let new_bed = stay_json(&d, &late_stay).await["nights"][0]["label"].as_str().unwrap().to_owned();
        assert!(row(&html, &new_bed).contains("Mihai Rusu") && row(&html, &new_bed).contains("väntas"), "{html}");
        assert!(!html.contains("data-late="), "{html}");
        let res = d.browser.post("/tonight/check-in", &with(&form_in(row(&html, &new_bed), "check-in"), &[]), Some(&origin), HTMX).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.text().await.unwrap().contains(&format!("Mihai Rusu är incheckad på säng {new_bed} (23:30).")));
        let done = actions(&d.app, &late_guest).await;
        assert_eq!((count(&done, "stay.check-in.refused"), count(&done, "stay.move"), count(&done, "stay.check-in")), (1, 1, 1), "{done:?}");
    }

    async fn the_lists_stream_says_when_anything_changed(b: Backend) {
        let mut d = desk(b).await;
        let (_, stay_id, _) = stay(&d.app, &d.token, &d.shelter, "Ion").await;
        let path = format!("/tonight/events?shelter_id={}", d.shelter);
        let mut res = d.browser.get_with(&path, &[]).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
        let first = tokio::time::timeout(Duration::from_secs(5), res.chunk()).await.expect("retry line").unwrap().unwrap();
        assert!(String::from_utf8_lossy(&first).starts_with("retry:"));
        // A page whose list was read before a change hears of it at once.
        let mut behind = d.browser.get_with(&format!("{path}&since=0"), &[]).await;
        let first = tokio::time::timeout(Duration::from_secs(5), behind.chunk()).await.expect("first chunk").unwrap().unwrap();
        assert!(String::from_utf8_lossy(&first).contains("event: change"), "{first:?}");
        // A check-in through the API reaches the open stream.
        let api = d.app.post(&format!("/api/v1/stays/{stay_id}/check-ins"), Some(&d.token), &json!({})).await;
        assert_eq!(api.status(), StatusCode::CREATED);
        let mut got = String::new();
        while !got.contains("event: change") {
            let chunk = tokio::time::timeout(Duration::from_secs(10), res.chunk()).await.expect("an event").unwrap().expect("open");
            got.push_str(&String::from_utf8_lossy(&chunk));
        }
        // Signed out, nobody listens.
        let mut stranger = Browser::new(&d.app.address);
        assert_eq!(stranger.get_with(&path, &[]).await.status(), StatusCode::UNAUTHORIZED);
    }
}
