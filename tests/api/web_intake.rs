//! Intake through the pages (issue 16), over HTTP as a browser sends it:
//! registering shows possible duplicates before saving; a stay given on
//! the guest's page is booked once when the form is sent again with its
//! key; a refusal in karenstid names the date; a form from another origin
//! or without its token writes nothing; a role that may not give stays
//! gets 403; the search is on the audit trail as the API's is.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::pages::*;

async fn signed_in(app: &TestApp, username: &str) -> Browser {
    let mut b = Browser::new(&app.address);
    let form = b.html("/login").await;
    let csrf = hidden(&form, "csrf");
    let res = b
        .send(
            "/login",
            &[
                ("csrf", &csrf),
                ("username", username),
                ("password", PASSWORD),
            ],
            &[],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "sign-in of {username}");
    b
}

async fn guest(app: &TestApp, token: &str, given: &str, family: &str) -> String {
    let res = app
        .post(
            "/api/v1/guests",
            Some(token),
            &json!({"given_name": given, "family_name": family, "birth_year": 1980, "gender": "man", "citizenship": "RO"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.unwrap();
    body["id"].as_str().unwrap().to_owned()
}

/// The guests a search finds, through the API (as a coordinator: the
/// admin sees no names).
async fn found(app: &TestApp, q: &str) -> Vec<Value> {
    let token = app.login("coord.api", PASSWORD).await;
    app.get(&format!("/api/v1/guests?q={q}"), Some(&token))
        .await
        .json::<Vec<Value>>()
        .await
        .unwrap()
}

async fn audit_entries(app: &TestApp, action: &str) -> Vec<Value> {
    let audit: Value = app
        .get("/api/v1/audit?limit=200", Some(&app.admin_token))
        .await
        .json()
        .await
        .unwrap();
    audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == action)
        .cloned()
        .collect()
}

/// The stays of a guest tonight at a shelter, through the API.
async fn stays_of(app: &TestApp, shelter: &str, guest_id: &str) -> Vec<Value> {
    let token = app.login("coord.api", PASSWORD).await;
    let list: Vec<Value> = app
        .get(&format!("/api/v1/stays?shelter_id={shelter}"), Some(&token))
        .await
        .json()
        .await
        .unwrap();
    list.into_iter()
        .filter(|s| s["guest_id"] == guest_id)
        .collect()
}

/// A fresh app with the clock at 18:00 on 1 December 2019 and a
/// coordinator for the API's reads.
async fn app_at_six(b: Backend) -> TestApp {
    let app = spawn_app(b).await;
    app.set_clock("2019-12-01T18:00:00+01:00").await;
    user(&app, "coord.api", &["coordinator"], &[]).await;
    app
}

backend_tests! {
    async fn registering_shows_possible_duplicates_before_saving_and_saves_once(b: Backend) {
        let app = app_at_six(b).await;
        let shelter = app.shelters().await[0]["id"].as_str().unwrap().to_owned();
        user(&app, "desk.one", &["shelter_staff"], &[&shelter]).await;
        let desk = app.login("desk.one", PASSWORD).await;
        let first = guest(&app, &desk, "Ion", "Rusu").await;
        let mut browser = signed_in(&app, "desk.one").await;
        let form = browser.html("/guests/new").await;
        let (csrf, key) = (hidden(&form, "csrf"), hidden(&form, "idempotency_key"));
        let fields = |step: &'static str| {
            vec![
                ("csrf", csrf.clone()), ("idempotency_key", key.clone()), ("given_name", "Ion".into()),
                ("family_name", "Rusu".into()), ("birth_year", "1980".into()), ("gender", "man".into()),
                ("citizenship", "ro".into()), ("language", "ro".into()), ("step", step.into()),
            ]
        };
        let pairs = |f: &[(&'static str, String)]| f.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();
        let check = pairs(&fields("check"));
        let check: Vec<(&str, &str)> = check.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = browser.send("/guests/new", &check, &[]).await;
        assert_eq!(res.status(), StatusCode::OK);
        let html = res.text().await.unwrap();
        assert!(html.contains("id=\"duplicates\""), "{html}");
        assert!(html.contains(&format!("href=\"/guests/{first}\"")), "{html}");
        assert!(html.contains("Spara ändå"), "{html}");
        // Nothing saved yet; the duplicate shown is on the audit trail.
        assert_eq!(found(&app, "Rusu").await.len(), 1);
        let shown = audit_entries(&app, "guest.shown-as-duplicate").await;
        assert!(shown.iter().any(|e| e["guest_id"] == first.as_str()), "{shown:?}");
        // Saved anyway, once, however often the form is sent.
        let save = pairs(&fields("save"));
        let save: Vec<(&str, &str)> = save.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = browser.send("/guests/new", &save, &[]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let to = location(&res);
        assert!(to.starts_with("/guests/") && !to.ends_with(&first), "{to}");
        let again = browser.send("/guests/new", &save, &[]).await;
        assert_eq!(location(&again), to);
        let both = found(&app, "Rusu").await;
        assert_eq!(both.len(), 2, "{both:?}");
        let new = both.iter().find(|g| g["id"] != first.as_str()).unwrap();
        assert_eq!(new["language"], "ro");
        assert_eq!(new["citizenship"], "RO");
        // The guest's page says a stay may be given tonight.
        let page = browser.html(&to).await;
        assert!(page.contains("Ion Rusu") && page.contains("id=\"eligible\""), "{page}");
    }

    async fn a_minor_or_a_guest_outside_the_target_group_is_warned_of_at_once(b: Backend) {
        let app = app_at_six(b).await;
        user(&app, "coord.one", &["coordinator"], &[]).await;
        let mut browser = signed_in(&app, "coord.one").await;
        let form = browser.html("/guests/new").await;
        let (csrf, key) = (hidden(&form, "csrf"), hidden(&form, "idempotency_key"));
        let fields = [
            ("csrf", csrf.as_str()), ("idempotency_key", key.as_str()), ("given_name", "Ana"),
            ("family_name", "Lupu"), ("birth_year", "2005"), ("gender", "woman"), ("citizenship", "SE"),
            ("step", "warn"),
        ];
        let res = browser.send("/guests/new", &fields, &[("hx-request", "true")]).await;
        assert_eq!(res.status(), StatusCode::OK);
        let part = res.text().await.unwrap();
        assert!(part.contains("id=\"warn-minor\"") && part.contains("socialjouren"), "{part}");
        assert!(part.contains("id=\"warn-target-group\"") && !part.contains("<html"), "{part}");
        // Checked: the warnings hold the save, though nobody is alike.
        let mut check = fields.to_vec();
        check.pop();
        check.push(("step", "check"));
        let html = browser.send("/guests/new", &check, &[]).await.text().await.unwrap();
        assert!(html.contains("id=\"warn-minor\"") && html.contains("id=\"save-anyway\""), "{html}");
        assert!(found(&app, "Lupu").await.is_empty());
    }

    async fn a_stay_given_on_the_page_is_booked_once_when_the_form_is_sent_again(b: Backend) {
        let app = app_at_six(b).await;
        let shelter = app.shelters().await[0]["id"].as_str().unwrap().to_owned();
        user(&app, "desk.one", &["shelter_staff"], &[&shelter]).await;
        let desk = app.login("desk.one", PASSWORD).await;
        let id = guest(&app, &desk, "Vasile", "Lungu").await;
        let mut browser = signed_in(&app, "desk.one").await;
        let page = browser.html(&format!("/guests/{id}")).await;
        assert!(page.contains("Föreslagen säng: R01"), "{page}");
        let fields = [
            ("csrf", hidden(&page, "csrf")),
            ("idempotency_key", hidden(&page, "idempotency_key")),
            ("shelter_id", hidden(&page, "shelter_id")),
            ("place_id", String::new()),
        ];
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let path = format!("/guests/{id}/stay");
        let first = browser.send(&path, &fields, &[("hx-request", "true")]).await;
        assert_eq!(first.status(), StatusCode::CREATED);
        let first = first.text().await.unwrap();
        assert!(first.contains("id=\"stay-granted\"") && first.contains("R01") && !first.contains("<html"), "{first}");
        assert!(first.contains("1 december 2019 till 5 december 2019") && first.contains("6 december 2019 till 7 december 2019"), "{first}");
        let at = first.find("/stays/").unwrap();
        let slip = &first[at..at + first[at..].find('"').unwrap()];
        assert!(slip.ends_with("/slip"), "{slip}");
        // Sent again (the answer was lost on the way): the first answer, no second stay.
        let again = browser.send(&path, &fields, &[("hx-request", "true")]).await;
        assert_eq!(again.status(), StatusCode::CREATED);
        assert!(again.text().await.unwrap().contains(slip));
        assert_eq!(stays_of(&app, &shelter, &id).await.len(), 1);
        // The guest's page now shows the stay, and no form to give another.
        let page = browser.html(&format!("/guests/{id}")).await;
        assert!(page.contains("id=\"current-stay\"") && page.contains(slip) && !page.contains("id=\"stay-form\""), "{page}");
        // Another bed chosen by its label, for another guest.
        let other = guest(&app, &desk, "Petru", "Ciobanu").await;
        let page = browser.html(&format!("/guests/{other}")).await;
        let at = page.find(">R07,").expect("R07 offered");
        let option = &page[page[..at].rfind("value=\"").unwrap() + 7..at];
        let place = &option[..option.find('"').unwrap()];
        let fields = [
            ("csrf", hidden(&page, "csrf")),
            ("idempotency_key", hidden(&page, "idempotency_key")),
            ("shelter_id", hidden(&page, "shelter_id")),
            ("place_id", place.to_owned()),
        ];
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = browser.send(&format!("/guests/{other}/stay"), &fields, &[]).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let html = res.text().await.unwrap();
        assert!(html.contains("<html") && html.contains("<dd class=\"bed\">R07"), "{html}");
    }

    async fn a_refusal_in_karenstid_names_the_date_a_stay_is_possible_again(b: Backend) {
        let app = app_at_six(b).await;
        let shelter = app.shelters().await[0]["id"].as_str().unwrap().to_owned();
        user(&app, "desk.one", &["shelter_staff"], &[&shelter]).await;
        let desk = app.login("desk.one", PASSWORD).await;
        let id = guest(&app, &desk, "Mihai", "Stan").await;
        let res = app.post("/api/v1/stays", Some(&desk), &json!({"guest_id": id, "shelter_id": shelter})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        // Night 12-06: karenstid (12-06, 12-07); a new stay from 12-08.
        app.set_clock("2019-12-06T18:00:00+01:00").await;
        let mut browser = signed_in(&app, "desk.one").await;
        let page = browser.html(&format!("/guests/{id}")).await;
        assert!(page.contains("data-code=\"in-quarantine\""), "{page}");
        assert!(page.contains("kan få en ny plats från natten som börjar 8 december 2019"), "{page}");
        let fields = [
            ("csrf", hidden(&page, "csrf")),
            ("idempotency_key", hidden(&page, "idempotency_key")),
            ("shelter_id", hidden(&page, "shelter_id")),
        ];
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = browser.send(&format!("/guests/{id}/stay"), &fields, &[("hx-request", "true")]).await;
        assert_eq!(res.status(), StatusCode::CONFLICT);
        let part = res.text().await.unwrap();
        assert!(part.contains("id=\"stay-refused\"") && part.contains("data-code=\"in-quarantine\""), "{part}");
        assert!(part.contains("8 december 2019"), "{part}");
        // In English too.
        browser.get("/intake?lang=en").await;
        let res = browser.send(&format!("/guests/{id}/stay"), &fields, &[("hx-request", "true")]).await;
        let part = res.text().await.unwrap();
        assert!(part.contains("from the night that begins on 8 December 2019"), "{part}");
    }

    async fn a_form_from_another_origin_or_without_its_token_writes_nothing(b: Backend) {
        let app = app_at_six(b).await;
        let shelter = app.shelters().await[0]["id"].as_str().unwrap().to_owned();
        user(&app, "desk.one", &["shelter_staff"], &[&shelter]).await;
        let desk = app.login("desk.one", PASSWORD).await;
        let id = guest(&app, &desk, "Gheorghe", "Matei").await;
        let mut browser = signed_in(&app, "desk.one").await;
        let page = browser.html(&format!("/guests/{id}")).await;
        let csrf = hidden(&page, "csrf");
        let key = hidden(&page, "idempotency_key");
        let path = format!("/guests/{id}/stay");
        let good = [("csrf", csrf.as_str()), ("idempotency_key", key.as_str()), ("shelter_id", shelter.as_str())];
        let res = browser.post(&path, &good, Some("http://evil.example"), &[]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let res = browser.post(&path, &good, None, &[]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let wrong = [("csrf", "0".repeat(64)), ("idempotency_key", key.clone()), ("shelter_id", shelter.clone())];
        let wrong: Vec<(&str, &str)> = wrong.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = browser.send(&path, &wrong, &[]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert!(stays_of(&app, &shelter, &id).await.is_empty());
        let register = [
            ("csrf", "0".repeat(64)), ("given_name", "Nou".into()), ("family_name", "Oaspete".into()),
            ("birth_year", "1970".into()), ("gender", "man".into()), ("citizenship", "RO".into()), ("step", "save".into()),
        ];
        let register: Vec<(&str, &str)> = register.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(browser.send("/guests/new", &register, &[]).await.status(), StatusCode::FORBIDDEN);
        let mut ok = register.clone();
        ok[0] = ("csrf", csrf.as_str());
        assert_eq!(browser.post("/guests/new", &ok, Some("http://evil.example"), &[]).await.status(), StatusCode::FORBIDDEN);
        assert!(found(&app, "Oaspete").await.is_empty());
        // With both right, the same form is taken: the refusals were for what was wrong.
        assert_eq!(browser.send(&path, &good, &[]).await.status(), StatusCode::CREATED);
    }

    async fn a_role_that_may_not_give_stays_gets_403(b: Backend) {
        let app = app_at_six(b).await;
        let shelter = app.shelters().await[0]["id"].as_str().unwrap().to_owned();
        user(&app, "jour.one", &["social_emergency"], &[]).await;
        user(&app, "eu.one", &["outreach"], &[]).await;
        let jour = app.login("jour.one", PASSWORD).await;
        let id = guest(&app, &jour, "Florin", "Dinu").await;
        let mut browser = signed_in(&app, "jour.one").await;
        // Socialjouren finds and reads the guest, and is offered no stay.
        let part = browser.get_with("/intake/search?q=Dinu", &[("hx-request", "true")]).await.text().await.unwrap();
        assert!(part.contains(&format!("/guests/{id}")), "{part}");
        let page = browser.html(&format!("/guests/{id}")).await;
        assert!(page.contains("Florin Dinu") && !page.contains("id=\"stay-form\""), "{page}");
        let fields = [("csrf", hidden(&page, "csrf")), ("idempotency_key", "k-1".into()), ("shelter_id", shelter.clone())];
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = browser.send(&format!("/guests/{id}/stay"), &fields, &[]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let html = res.text().await.unwrap();
        assert!(html.contains("Inte för din roll") && html.contains("Att ge plats får"), "{html}");
        assert!(stays_of(&app, &shelter, &id).await.is_empty());
        // The EU team sees no names at all.
        let mut eu = signed_in(&app, "eu.one").await;
        let res = eu.get("/intake").await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert!(res.text().await.unwrap().contains("Att söka, läsa och registrera gäster får"));
        assert_eq!(eu.get(&format!("/guests/{id}")).await.status(), StatusCode::FORBIDDEN);
        assert_eq!(eu.get("/guests/new").await.status(), StatusCode::FORBIDDEN);
        let start = eu.html("/").await;
        assert!(!start.contains("href=\"/intake\""), "{start}");
        let start = browser.html("/").await;
        assert!(start.contains("href=\"/intake\""), "{start}");
    }

    async fn the_search_as_one_types_is_audited_as_the_api_s(b: Backend) {
        let app = app_at_six(b).await;
        let shelter = app.shelters().await[0]["id"].as_str().unwrap().to_owned();
        user(&app, "desk.one", &["shelter_staff"], &[&shelter]).await;
        let desk = app.login("desk.one", PASSWORD).await;
        let id = guest(&app, &desk, "Ilie", "Cojocaru").await;
        let mut browser = signed_in(&app, "desk.one").await;
        let res = browser.get_with("/intake/search?q=cojoc", &[("hx-request", "true")]).await;
        assert_eq!(res.status(), StatusCode::OK);
        let part = res.text().await.unwrap();
        assert!(part.contains("Ilie Cojocaru") && part.contains(&format!("href=\"/guests/{id}\"")) && !part.contains("<html"), "{part}");
        let searched = audit_entries(&app, "guest.search").await;
        assert!(searched.iter().any(|e| e["guest_id"] == id.as_str()), "{searched:?}");
        // By birth year, and the page without htmx.
        let html = browser.html("/intake?q=1980").await;
        assert!(html.contains("Ilie Cojocaru"), "{html}");
        assert_eq!(location(&browser.get("/intake/search?q=x").await), "/intake?q=x");
        // Reading the guest's page is on the trail too.
        browser.html(&format!("/guests/{id}")).await;
        let read = audit_entries(&app, "guest.read").await;
        assert!(read.iter().any(|e| e["guest_id"] == id.as_str()), "{read:?}");
    }

    async fn a_bed_taken_meanwhile_is_refused_with_the_other_shelters_free_beds_by_name(b: Backend) {
        let app = app_at_six(b).await;
        let shelters = app.shelters().await;
        let (first, second) = (shelters[0]["id"].as_str().unwrap().to_owned(), shelters[1]["id"].as_str().unwrap().to_owned());
        let second_name = shelters[1]["name"].as_str().unwrap().to_owned();
        user(&app, "coord.one", &["coordinator"], &[]).await;
        let coord = app.login("coord.one", PASSWORD).await;
        let held = guest(&app, &coord, "Sorin", "Lazar").await;
        let res = app.post("/api/v1/stays", Some(&coord), &json!({"guest_id": held, "shelter_id": first})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let taken: Value = res.json().await.unwrap();
        let taken_place = taken["nights"][0]["place_id"].as_str().unwrap().to_owned();
        let id = guest(&app, &coord, "Tudor", "Nistor").await;
        let mut browser = signed_in(&app, "coord.one").await;
        // A coordinator chooses the shelter; the form follows the choice.
        let page = browser.html(&format!("/guests/{id}?shelter_id={second}")).await;
        assert!(page.contains("id=\"shelter-choice\"") && page.contains(&second_name), "{page}");
        assert_eq!(hidden(&page, "shelter_id"), second);
        let page = browser.html(&format!("/guests/{id}?shelter_id={first}")).await;
        // The bed chosen was taken by another desk in the meantime.
        let fields = [
            ("csrf", hidden(&page, "csrf")),
            ("idempotency_key", hidden(&page, "idempotency_key")),
            ("shelter_id", first.clone()),
            ("place_id", taken_place),
        ];
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = browser.send(&format!("/guests/{id}/stay"), &fields, &[("hx-request", "true")]).await;
        assert_eq!(res.status(), StatusCode::CONFLICT);
        let part = res.text().await.unwrap();
        assert!(part.contains("data-code=\"no-free-place\"") && part.contains("Lediga sängar i natt på andra härbärgen"), "{part}");
        assert!(part.contains(&format!("{second_name}: ")) && part.contains("vanliga"), "{part}");
        assert!(stays_of(&app, &first, &id).await.is_empty());
    }
}
