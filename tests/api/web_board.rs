//! Socialjouren's night board (issue 17), over HTTP as a browser sends
//! it: its figures are GET /availability's; only socialjouren and
//! coordinators see it; its stream says when anything changed; an
//! emergency placement through the page is made once when its form is
//! sent again with the same key, audited as the API's; a form from
//! another site or without its token places nobody.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::pages::*;

/// A fresh app at 18:00 on 1 December 2019, with a socialjouren user
/// signed in on the board and a coordinator's token for the API.
struct Night {
    app: TestApp,
    browser: Browser,
    coord: String,
}

async fn night(b: Backend) -> Night {
    let app = spawn_app(b).await;
    app.set_clock("2019-12-01T18:00:00+01:00").await;
    user(&app, "jour.one", &["social_emergency"], &[]).await;
    user(&app, "coord.api", &["coordinator"], &[]).await;
    let coord = app.login("coord.api", PASSWORD).await;
    let browser = signed_in_browser(&app, "jour.one").await;
    Night {
        app,
        browser,
        coord,
    }
}

/// The figure of a shelter's category on the board.
fn figure(html: &str, shelter: &str, category: &str) -> u64 {
    let card = &html[html
        .find(&format!("id=\"board-shelter-{shelter}\""))
        .unwrap_or_else(|| panic!("no card of {shelter}"))..];
    let card = &card[..card.find("</li>").expect("end of card")];
    let marker = format!("data-category=\"{category}\">");
    let at = card.find(&marker).expect("the category's figure") + marker.len();
    card[at..card[at..].find('<').expect("end") + at]
        .trim()
        .parse()
        .expect("a number")
}

async fn guest(app: &TestApp, token: &str, given: &str) -> String {
    let res = app
        .post(
            "/api/v1/guests",
            Some(token),
            &json!({"given_name": given, "family_name": "Lupu", "birth_year": 1970, "gender": "man", "citizenship": "RO"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let g: Value = res.json().await.unwrap();
    g["id"].as_str().unwrap().to_owned()
}

async fn audit_of(app: &TestApp, guest: &str) -> Vec<Value> {
    let audit: Value = app
        .get(
            &format!("/api/v1/audit?guest_id={guest}&limit=100"),
            Some(&app.admin_token),
        )
        .await
        .json()
        .await
        .unwrap();
    audit["entries"].as_array().unwrap().clone()
}

fn entries<'a>(audit: &'a [Value], action: &str) -> Vec<&'a Value> {
    audit.iter().filter(|e| e["action"] == action).collect()
}

async fn placements(app: &TestApp, token: &str) -> Vec<Value> {
    let res = app.get("/api/v1/placements", Some(token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    body.as_array()
        .cloned()
        .or_else(|| body["placements"].as_array().cloned())
        .unwrap_or_default()
}

/// The fields of the placement form shown for the guest.
async fn place_form(n: &mut Night, guest: &str) -> Vec<(String, String)> {
    let html = n
        .browser
        .html(&format!("/board/place?guest_id={guest}"))
        .await;
    assert!(html.contains("Lupu"), "{html}");
    vec![
        ("csrf".into(), hidden(&html, "csrf")),
        ("idempotency_key".into(), hidden(&html, "idempotency_key")),
        ("guest_id".into(), hidden(&html, "guest_id")),
        ("guest".into(), hidden(&html, "guest")),
        ("shelter_id".into(), hidden(&html, "shelter_id")),
        ("reason".into(), "found outside at -12".into()),
    ]
}

fn pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

backend_tests! {
    async fn the_board_shows_the_figures_of_get_availability(b: Backend) {
        let mut n = night(b).await;
        let shelters = n.app.shelters().await;
        let first = shelters[0]["id"].as_str().unwrap().to_owned();
        // A stay takes a bed, and a cold night opens overflow beds.
        let g = guest(&n.app, &n.coord, "Ion").await;
        let res = n.app.post("/api/v1/stays", Some(&n.coord), &json!({"guest_id": g, "shelter_id": first})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let html = n.browser.html("/board").await;
        assert!(!html.contains("id=\"board-cold\""), "no cold night yet");
        let res = n.app.put("/api/v1/cold-nights/2019-12-01", Some(&n.coord), &json!({"reason": "-15", "overflow": [{"shelter_id": first, "places": 2}]})).await;
        assert_eq!(res.status().as_u16() / 100, 2, "declared");
        let html = n.browser.html("/board").await;
        assert!(html.contains("id=\"board-cold\""), "{html}");
        let api: Value = n.app.get("/api/v1/availability", Some(&n.coord)).await.json().await.unwrap();
        for s in api["shelters"].as_array().unwrap() {
            let id = s["shelter_id"].as_str().unwrap();
            for category in ["regular", "women", "overflow"] {
                assert_eq!(figure(&html, id, category), s["free"][category].as_u64().unwrap(), "{id} {category}");
            }
        }
        assert_eq!(figure(&html, &first, "overflow"), 2);
        // The part htmx fetches is the same.
        let part = n.browser.get_with("/board/part", &[("hx-request", "true")]).await;
        assert_eq!(part.status(), StatusCode::OK);
        let part = part.text().await.unwrap();
        assert_eq!(figure(&part, &first, "overflow"), 2);
        assert!(!part.contains("<html"), "only the part");
        // The start page links to the board.
        assert!(n.browser.html("/").await.contains("href=\"/board\""));
    }

    async fn only_socialjouren_and_coordinators_see_the_board(b: Backend) {
        let n = night(b).await;
        let shelter = n.app.shelters().await[0]["id"].as_str().unwrap().to_owned();
        user(&n.app, "desk.one", &["shelter_staff"], &[&shelter]).await;
        user(&n.app, "out.one", &["outreach"], &[]).await;
        user(&n.app, "admin.two", &["admin"], &[]).await;
        let g = guest(&n.app, &n.coord, "Ion").await;
        for who in ["desk.one", "out.one", "admin.two"] {
            let mut b = signed_in_browser(&n.app, who).await;
            let res = b.get("/board").await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{who}");
            assert!(res.text().await.unwrap().contains("id=\"denied\""));
            assert_eq!(b.get("/board/events").await.status(), StatusCode::FORBIDDEN, "{who}");
            assert_eq!(b.get(&format!("/board/place?guest_id={g}")).await.status(), StatusCode::FORBIDDEN, "{who}");
            let html = b.html("/").await;
            assert!(!html.contains("href=\"/board\""), "{who}");
            let csrf = hidden_csrf(&html);
            let res = b.send("/board/place", &[("csrf", &csrf), ("idempotency_key", "k-1"), ("guest_id", &g), ("shelter_id", &shelter), ("reason", "cold")], &[]).await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{who}");
        }
        assert!(placements(&n.app, &n.coord).await.is_empty());
        // A coordinator sees it.
        let mut c = signed_in_browser(&n.app, "coord.api").await;
        assert_eq!(c.get("/board").await.status(), StatusCode::OK);
        // Nobody signed in is sent to sign in.
        let mut stranger = Browser::new(&n.app.address);
        let res = stranger.get("/board").await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&res), "/login");
        assert_eq!(stranger.get("/board/events").await.status(), StatusCode::UNAUTHORIZED);
    }

    async fn the_board_says_when_availability_last_changed_by_the_service_s_clock(b: Backend) {
        let mut n = night(b).await;
        n.app.set_clock("2019-12-01T18:05:00+01:00").await;
        let g = guest(&n.app, &n.coord, "Ion").await;
        let shelter = n.app.shelters().await[0]["id"].as_str().unwrap().to_owned();
        let taken = n.app.post("/api/v1/stays", Some(&n.coord), &json!({"guest_id": g, "shelter_id": shelter})).await;
        assert_eq!(taken.status(), StatusCode::CREATED);
        let html = n.browser.html("/board").await;
        assert!(html.contains("Senaste ändring 18:05</span> · Uppdaterad 18:05"), "{html}");
        // Read again later with nothing changed: the change keeps its time.
        n.app.set_clock("2019-12-01T18:20:00+01:00").await;
        let html = n.browser.html("/board").await;
        assert!(html.contains("Senaste ändring 18:05</span> · Uppdaterad 18:20"), "{html}");
    }

    async fn the_board_s_stream_says_when_something_changed(b: Backend) {
        let mut n = night(b).await;
        let mut res = n.browser.get("/board/events").await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(header(&res, "content-type").starts_with("text/event-stream"));
        let first = tokio::time::timeout(Duration::from_secs(5), res.chunk()).await.expect("retry line").unwrap().unwrap();
        assert!(String::from_utf8_lossy(&first).starts_with("retry:"));
        // A board read before a change hears of it at once.
        let mut behind = n.browser.get("/board/events?since=0").await;
        let first = tokio::time::timeout(Duration::from_secs(5), behind.chunk()).await.expect("first chunk").unwrap().unwrap();
        assert!(String::from_utf8_lossy(&first).contains("event: change"), "{first:?}");
        // An intake through the API reaches the open stream.
        let g = guest(&n.app, &n.coord, "Ion").await;
        let shelter = n.app.shelters().await[0]["id"].as_str().unwrap().to_owned();
        let taken = n.app.post("/api/v1/stays", Some(&n.coord), &json!({"guest_id": g, "shelter_id": shelter})).await;
        assert_eq!(taken.status(), StatusCode::CREATED);
        let mut got = String::new();
        while !got.contains("event: change") {
            let chunk = tokio::time::timeout(Duration::from_secs(10), res.chunk()).await.expect("an event").unwrap().expect("open");
            got.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    async fn an_emergency_placement_from_the_board_is_made_once_and_audited_as_the_api_s(b: Backend) {
        let mut n = night(b).await;
        let g = guest(&n.app, &n.coord, "Ion").await;
        // Found by the board's search, as on the intake page.
        let html = n.browser.html("/board?q=Lupu").await;
        assert!(html.contains(&format!("/board/place?guest_id={g}")), "{html}");
        let fields = place_form(&mut n, &g).await;
        let before: Value = n.app.get("/api/v1/availability", Some(&n.coord)).await.json().await.unwrap();
        for _ in 0..2 {
            let res = n.browser.send("/board/place", &pairs(&fields), &[]).await;
            assert_eq!(res.status(), StatusCode::OK);
            let html = res.text().await.unwrap();
            assert!(html.contains("id=\"board-notice\"") && html.contains("Ion Lupu har säng"), "{html}");
        }
        let placed = placements(&n.app, &n.coord).await;
        assert_eq!(placed.len(), 1, "{placed:?}");
        assert_eq!(placed[0]["kind"], "emergency");
        assert_eq!(placed[0]["guest_id"], g.as_str());
        let after: Value = n.app.get("/api/v1/availability", Some(&n.coord)).await.json().await.unwrap();
        assert_eq!(after["free"]["regular"].as_u64().unwrap() + 1, before["free"]["regular"].as_u64().unwrap());
        // Audited as the API's: one `placement.emergency` naming the
        // guest and the placement, by the user who placed.
        let page_audit = audit_of(&n.app, &g).await;
        let by_page = entries(&page_audit, "placement.emergency");
        assert_eq!(by_page.len(), 1, "{page_audit:?}");
        let other = guest(&n.app, &n.coord, "Vasile").await;
        let jour = n.app.login("jour.one", PASSWORD).await;
        let res = n.app.post("/api/v1/placements", Some(&jour), &json!({"guest_id": other, "kind": "emergency", "reason": "found outside"})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let api_audit = audit_of(&n.app, &other).await;
        let by_api = entries(&api_audit, "placement.emergency");
        assert_eq!(by_api.len(), 1);
        let keys = |e: &Value| e.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(by_page[0]), keys(by_api[0]));
        for field in ["actor_user_id", "user_id", "actor", "username"] {
            if by_api[0].get(field).is_some() {
                assert_eq!(by_page[0][field], by_api[0][field], "{field}");
            }
        }
        assert_eq!(by_page[0]["placement_id"].is_null(), by_api[0]["placement_id"].is_null());
        // The same guest again, with a new form: refused in words.
        let fields = place_form(&mut n, &g).await;
        let res = n.browser.send("/board/place", &pairs(&fields), &[]).await;
        assert_eq!(res.status(), StatusCode::CONFLICT);
        assert!(res.text().await.unwrap().contains("Gästen har redan en säng i natt"));
        // A blank reason is refused in words, and places nobody.
        let third = guest(&n.app, &n.coord, "Mihai").await;
        let mut fields = place_form(&mut n, &third).await;
        fields.retain(|(k, _)| k != "reason");
        fields.push(("reason".into(), "  ".into()));
        let res = n.browser.send("/board/place", &pairs(&fields), &[]).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().await.unwrap().contains("Skriv skälet till placeringen"));
        assert_eq!(placements(&n.app, &n.coord).await.len(), 2);
    }

    async fn a_placement_form_from_another_site_or_without_its_token_places_nobody(b: Backend) {
        let mut n = night(b).await;
        let g = guest(&n.app, &n.coord, "Ion").await;
        let fields = place_form(&mut n, &g).await;
        let res = n.browser.post("/board/place", &pairs(&fields), Some("https://elsewhere.example"), &[]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let res = n.browser.post("/board/place", &pairs(&fields), None, &[]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "no origin");
        let mut wrong = fields.clone();
        wrong.retain(|(k, _)| k != "csrf");
        wrong.push(("csrf".into(), "0".repeat(64)));
        let res = n.browser.send("/board/place", &pairs(&wrong), &[]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let mut without = fields.clone();
        without.retain(|(k, _)| k != "csrf");
        let res = n.browser.send("/board/place", &pairs(&without), &[]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert!(placements(&n.app, &n.coord).await.is_empty());
        assert!(entries(&audit_of(&n.app, &g).await, "placement.emergency").is_empty());
    }
}

/// PostgreSQL: a change made on another instance reaches the board with
/// its own time (carried in the notification).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_board_says_when_another_instance_changed_availability() {
    if !postgres_enabled() {
        return;
    }
    let mut n = night(Backend::Postgres).await;
    let other = n.app.another_instance();
    let call = |method: reqwest::Method, path: &str, token: &str, body: Value| {
        n.app
            .client
            .request(method, format!("{other}/api/v1{path}"))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    let res = call(
        reqwest::Method::PUT,
        "/admin/clock",
        &n.app.admin_token,
        json!({"now": "2019-12-01T18:42:00+01:00"}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let g = guest(&n.app, &n.coord, "Ion").await;
    let shelter = n.app.shelters().await[0]["id"].as_str().unwrap().to_owned();
    let mut events = n.browser.get("/board/events").await;
    assert_eq!(events.status(), StatusCode::OK);
    let res = call(
        reqwest::Method::POST,
        "/stays",
        &n.coord,
        json!({"guest_id": g, "shelter_id": shelter}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    // This instance hears of it on its listening connection and tells the
    // board's stream; by then it knows when the change was made. (A change
    // made here before, heard late, may come first: read on at each event.)
    loop {
        let mut got = String::new();
        while !got.contains("event: change") {
            let chunk = tokio::time::timeout(Duration::from_secs(10), events.chunk())
                .await
                .expect("an event")
                .unwrap()
                .expect("open");
            got.push_str(&String::from_utf8_lossy(&chunk));
        }
        if n.browser
            .html("/board")
            .await
            .contains("Senaste ändring 18:42")
        {
            break;
        }
    }
}
