//! The coordinator's pages: cold nights and the referrals inbox (issue
//! 17), over HTTP as a browser sends them. The cold nights are the
//! coordinator's (the role of `PUT`/`DELETE /cold-nights`), the inbox is
//! for the roles of `GET /referrals`; everyone else gets 403. A form acts
//! once when sent twice with its key; a form from another site or without
//! its token does nothing; refusals are said in words with the API's
//! status; the audit entries are the API's.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::pages::*;

/// A fresh app at 18:00 on 1 December 2019 with a coordinator signed in
/// on the pages and the same coordinator's token for the API.
struct Coord {
    app: TestApp,
    browser: Browser,
    token: String,
    shelters: Vec<(String, String)>,
}

async fn coord(b: Backend) -> Coord {
    let app = spawn_app(b).await;
    app.set_clock("2019-12-01T18:00:00+01:00").await;
    user(&app, "coord.page", &["coordinator"], &[]).await;
    let token = app.login("coord.page", PASSWORD).await;
    let browser = signed_in_browser(&app, "coord.page").await;
    let shelters = app
        .shelters()
        .await
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_owned(),
                s["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    Coord {
        app,
        browser,
        token,
        shelters,
    }
}

fn pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

fn set(fields: &mut Vec<(String, String)>, name: &str, value: &str) {
    fields.retain(|(k, _)| k != name);
    fields.push((name.to_owned(), value.to_owned()));
}

/// The value of the field named `name` in the form with id `form`.
fn field_in(html: &str, form: &str, name: &str) -> String {
    let at = html
        .find(&format!("id=\"{form}\""))
        .unwrap_or_else(|| panic!("no form {form}"));
    let rest = &html[at..];
    let form_html = &rest[..rest.find("</form>").expect("end of form")];
    let named = &form_html[form_html
        .find(&format!("name=\"{name}\""))
        .unwrap_or_else(|| panic!("no field {name} in {form}"))..];
    let tag = &named[..named.find('>').expect("end of tag")];
    let value = &tag[tag.find("value=\"").expect("a value") + 7..];
    value[..value.find('"').expect("end of value")].to_owned()
}

/// The declaration form of `night`, as shown, with the reason and the
/// places per shelter (by index in `shelters`) filled in.
async fn declare_form(
    c: &mut Coord,
    night: &str,
    reason: &str,
    places: &[(usize, u32)],
) -> Vec<(String, String)> {
    let html = c
        .browser
        .html(&format!("/cold-nights/night?night={night}"))
        .await;
    let form = "coord-declare-form";
    let mut fields = vec![
        ("csrf".to_owned(), field_in(&html, form, "csrf")),
        (
            "idempotency_key".to_owned(),
            field_in(&html, form, "idempotency_key"),
        ),
        ("night".to_owned(), field_in(&html, form, "night")),
        ("declared".to_owned(), field_in(&html, form, "declared")),
        ("reason".to_owned(), reason.to_owned()),
        ("forecast_min_c".to_owned(), String::new()),
    ];
    for (id, name) in &c.shelters {
        // Each shelter is offered by its name, with a number to type.
        assert!(
            html.contains(&format!("<label for=\"places-{id}\">{name}</label>")),
            "{name} in {html}"
        );
        fields.push((
            format!("places_{id}"),
            field_in(&html, form, &format!("places_{id}")),
        ));
    }
    for (i, n) in places {
        let id = c.shelters[*i].0.clone();
        set(&mut fields, &format!("places_{id}"), &n.to_string());
    }
    fields
}

async fn withdraw_form(c: &mut Coord, night: &str) -> Vec<(String, String)> {
    let html = c
        .browser
        .html(&format!("/cold-nights/night?night={night}"))
        .await;
    let form = "coord-withdraw-form";
    vec![
        ("csrf".to_owned(), field_in(&html, form, "csrf")),
        (
            "idempotency_key".to_owned(),
            field_in(&html, form, "idempotency_key"),
        ),
        ("night".to_owned(), field_in(&html, form, "night")),
    ]
}

/// The cold nights from the API, as `(night, [(shelter, places)])`.
async fn declared(c: &Coord) -> Vec<(String, Vec<(String, u64)>)> {
    let list: Vec<Value> = c
        .app
        .get(
            "/api/v1/cold-nights?from=2019-12-01&to=2019-12-08",
            Some(&c.token),
        )
        .await
        .json()
        .await
        .unwrap();
    list.iter()
        .filter(|e| e["declared"] == true)
        .map(|e| {
            let mut open: Vec<(String, u64)> = e["overflow"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| {
                    (
                        o["shelter_id"].as_str().unwrap().to_owned(),
                        o["places"].as_u64().unwrap(),
                    )
                })
                .collect();
            open.sort();
            (e["night"].as_str().unwrap().to_owned(), open)
        })
        .collect()
}

async fn guest(app: &TestApp, token: &str, given: &str) -> String {
    let res = app
        .post(
            "/api/v1/guests",
            Some(token),
            &json!({"given_name": given, "family_name": "Ursu", "birth_year": 1975, "gender": "man", "citizenship": "RO"}),
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

fn count(audit: &[Value], action: &str) -> usize {
    audit.iter().filter(|e| e["action"] == action).count()
}

async fn referral(app: &TestApp, token: &str, guest: &str, reason: &str) -> String {
    let res = app
        .post(
            "/api/v1/referrals",
            Some(token),
            &json!({"guest_id": guest, "reason": reason, "acute": true, "note": "sleeps at the station"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let r: Value = res.json().await.unwrap();
    r["id"].as_str().unwrap().to_owned()
}

/// The fields of a referral's move form on the inbox page, with `status`.
fn move_form(html: &str, id: &str, status: &str) -> Vec<(String, String)> {
    let form = format!("move-{id}");
    assert!(
        html.contains(&format!("id=\"move-{id}-{status}\"")),
        "no {status} button for {id}"
    );
    vec![
        ("csrf".to_owned(), field_in(html, &form, "csrf")),
        (
            "idempotency_key".to_owned(),
            field_in(html, &form, "idempotency_key"),
        ),
        ("id".to_owned(), id.to_owned()),
        ("shown".to_owned(), field_in(html, &form, "shown")),
        ("note".to_owned(), String::new()),
        ("status".to_owned(), status.to_owned()),
    ]
}

/// The card of a referral on the inbox page.
fn card<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html
        .find(&format!("id=\"referral-{id}\""))
        .unwrap_or_else(|| panic!("no referral {id} in {html}"));
    let rest = &html[at..];
    &rest[..rest.find("</li>\n").expect("end of card")]
}

backend_tests! {
    async fn the_coming_nights_show_the_forecast_and_the_service_s_suggestion(b: Backend) {
        let c = coord(b).await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("forecast.json");
        std::fs::write(&file, r#"{"2019-12-01": -3.0, "2019-12-02": -8.5, "2019-12-03": -7.0, "2019-12-20": -30.0}"#).unwrap();
        let other = c.app.instance_with(|s| s.forecast = Some(nattplats::config::ForecastFile::Nights(file.clone())));
        let res = c.app.client.put(format!("{other}/api/v1/admin/clock")).bearer_auth(&c.app.admin_token)
            .json(&json!({"now": "2019-12-01T18:00:00+01:00"})).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let mut browser = Browser::new(&other);
        let res = browser.sign_in("coord.page", PASSWORD).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let html = browser.html("/cold-nights").await;
        // Tonight and the seven nights a declaration may reach.
        for night in ["2019-12-01", "2019-12-04", "2019-12-08"] {
            assert!(html.contains(&format!("id=\"night-{night}\"")), "{night}");
        }
        assert!(!html.contains("id=\"night-2019-11-30\"") && !html.contains("id=\"night-2019-12-09\""));
        let night = |n: &str| {
            let at = html.find(&format!("id=\"night-{n}\"")).unwrap();
            let rest = &html[at..];
            rest[..rest.find("</li>").unwrap()].to_owned()
        };
        // The forecast minimum, written the Swedish way, and the service's
        // suggestion at or below the threshold (−7 °C by default).
        assert!(night("2019-12-01").contains("\u{2212}3 °C") && night("2019-12-01").contains("Inget förslag"));
        assert!(night("2019-12-02").contains("\u{2212}8,5 °C") && night("2019-12-02").contains("Föreslås som kall natt"));
        assert!(night("2019-12-03").contains("Föreslås som kall natt"), "at the threshold");
        assert!(night("2019-12-04").contains("Ingen prognos"));
        assert!(night("2019-12-02").contains("måndag 2 december 2019"));
        assert!(html.contains("\u{2212}7 °C"), "the threshold is said");
        // A suggestion opens nothing.
        assert!(night("2019-12-02").contains("Inte förklarad"));
        assert!(declared(&c).await.is_empty());
        // The form of a suggested night is prefilled with its forecast.
        let form = browser.html("/cold-nights/night?night=2019-12-02").await;
        assert!(form.contains("name=\"forecast_min_c\" type=\"text\" inputmode=\"decimal\" autocomplete=\"off\" class=\"short\" value=\"-8.5\""), "{form}");
        // Without a forecast the page says so.
        let mut c = c;
        let html = c.browser.html("/cold-nights").await;
        assert!(html.contains("id=\"coord-no-forecast\""));
        // In English too.
        let res = c.browser.get("/cold-nights?lang=en").await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let html = c.browser.html("/cold-nights").await;
        assert!(html.contains("Sunday 1 December 2019"), "{html}");
        // The start page links to both pages.
        let start = c.browser.html("/").await;
        assert!(start.contains("href=\"/cold-nights\"") && start.contains("href=\"/referrals\""));
    }

    async fn a_cold_night_is_declared_widened_narrowed_and_withdrawn_once_per_form(b: Backend) {
        let mut c = coord(b).await;
        let (a, bb) = (c.shelters[0].0.clone(), c.shelters[1].0.clone());
        // Declared: two shelters open overflow places.
        let fields = declare_form(&mut c, "2019-12-02", "SMHI: -14", &[(0, 3), (1, 2)]).await;
        assert_eq!(fields.iter().find(|(k, _)| k == "declared").unwrap().1, "false");
        let res = c.browser.send("/cold-nights/declare", &pairs(&fields), &[]).await;
        assert_eq!(res.status(), StatusCode::OK);
        let html = res.text().await.unwrap();
        assert!(html.contains("id=\"coord-notice\"") && html.contains("är förklarad kall natt"), "{html}");
        let mut want = vec![(a.clone(), 3), (bb.clone(), 2)];
        want.sort();
        assert_eq!(declared(&c).await, vec![("2019-12-02".to_owned(), want.clone())]);
        let avail: Value = c.app.get("/api/v1/availability?night=2019-12-02", Some(&c.token)).await.json().await.unwrap();
        assert_eq!(avail["free"]["overflow"], 5);
        // The list shows it, by the shelters' names.
        let list = c.browser.html("/cold-nights").await;
        assert!(list.contains(&format!("{}: 3", c.shelters[0].1)), "{list}");
        assert!(list.contains("Extraplatser öppna: 5"));
        // Changed through the API in between; the same form again gives
        // the first answer and undoes nothing.
        let res = c.app.put("/api/v1/cold-nights/2019-12-02", Some(&c.token), &json!({"reason": "colder", "overflow": [{"shelter_id": a, "places": 6}]})).await;
        assert_eq!(res.status(), StatusCode::OK);
        let res = c.browser.send("/cold-nights/declare", &pairs(&fields), &[]).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.text().await.unwrap().contains("id=\"coord-notice\""));
        assert_eq!(declared(&c).await, vec![("2019-12-02".to_owned(), vec![(a.clone(), 6)])]);
        // Narrowed and widened: the form is prefilled with what is open.
        let fields = declare_form(&mut c, "2019-12-02", "colder", &[(1, 4)]).await;
        assert_eq!(fields.iter().find(|(k, _)| *k == format!("places_{a}")).unwrap().1, "6");
        assert_eq!(fields.iter().find(|(k, _)| k == "declared").unwrap().1, "true");
        let mut fields = fields;
        set(&mut fields, &format!("places_{a}"), "1");
        let res = c.browser.send("/cold-nights/declare", &pairs(&fields), &[]).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.text().await.unwrap().contains("Ändringen för"));
        let mut want = vec![(a.clone(), 1), (bb.clone(), 4)];
        want.sort();
        assert_eq!(declared(&c).await, vec![("2019-12-02".to_owned(), want)]);
        // Withdrawn, twice with the same form: done once, the first answer
        // both times (not "is not declared").
        let fields = withdraw_form(&mut c, "2019-12-02").await;
        for _ in 0..2 {
            let res = c.browser.send("/cold-nights/withdraw", &pairs(&fields), &[]).await;
            assert_eq!(res.status(), StatusCode::OK);
            assert!(res.text().await.unwrap().contains("är inte längre en kall natt"));
        }
        assert!(declared(&c).await.is_empty());
        let avail: Value = c.app.get("/api/v1/availability?night=2019-12-02", Some(&c.token)).await.json().await.unwrap();
        assert_eq!(avail["cold_night"], false);
        // A new form to withdraw it again: said in words, the API's 404.
        let res = c.browser.send("/cold-nights/withdraw", &pairs(&[
            ("csrf".to_owned(), fields[0].1.clone()),
            ("idempotency_key".to_owned(), "another-key".to_owned()),
            ("night".to_owned(), "2019-12-02".to_owned()),
        ]), &[]).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        assert!(res.text().await.unwrap().contains("Natten är inte förklarad kall"));
    }

    async fn a_held_overflow_place_refuses_narrowing_and_withdrawal_in_words(b: Backend) {
        let mut c = coord(b).await;
        let a = c.shelters[0].0.clone();
        let fields = declare_form(&mut c, "2019-12-01", "-20 i natt", &[(0, 2)]).await;
        let res = c.browser.send("/cold-nights/declare", &pairs(&fields), &[]).await;
        assert_eq!(res.status(), StatusCode::OK);
        // A guest is given an overflow place tonight.
        let g = guest(&c.app, &c.token, "Ion").await;
        let res = c.app.post("/api/v1/placements", Some(&c.token), &json!({"guest_id": g, "kind": "cold_night", "shelter_id": a, "reason": "cold"})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let placed: Value = res.json().await.unwrap();
        let place: Value = c.app.get(&format!("/api/v1/shelters/{a}/places"), Some(&c.token)).await.json().await.unwrap();
        let category = place.as_array().unwrap().iter().find(|p| p["id"] == placed["place_id"]).unwrap()["category"].clone();
        assert_eq!(category, "overflow");
        // Narrowed to none: refused in words, the API's 409, nothing changed.
        let mut fields = declare_form(&mut c, "2019-12-01", "-20 i natt", &[]).await;
        set(&mut fields, &format!("places_{a}"), "0");
        let res = c.browser.send("/cold-nights/declare", &pairs(&fields), &[]).await;
        assert_eq!(res.status(), StatusCode::CONFLICT);
        let html = res.text().await.unwrap();
        assert!(html.contains("id=\"coord-refusal\"") && html.contains("en gäst har redan fått en extraplats"), "{html}");
        // The form keeps what was typed.
        assert!(html.contains(&format!("name=\"places_{a}\" type=\"number\" min=\"0\" max=\"200\" step=\"1\" inputmode=\"numeric\" class=\"short\" value=\"0\"")));
        assert_eq!(declared(&c).await, vec![("2019-12-01".to_owned(), vec![(a.clone(), 2)])]);
        // Narrowed to the one held: allowed.
        let fields = {
            let mut f = declare_form(&mut c, "2019-12-01", "-20 i natt", &[(0, 1)]).await;
            set(&mut f, "reason", "-20 i natt");
            f
        };
        let res = c.browser.send("/cold-nights/declare", &pairs(&fields), &[]).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(declared(&c).await, vec![("2019-12-01".to_owned(), vec![(a.clone(), 1)])]);
        // Withdrawn: refused in words, and the same in English.
        let fields = withdraw_form(&mut c, "2019-12-01").await;
        let res = c.browser.send("/cold-nights/withdraw", &pairs(&fields), &[]).await;
        assert_eq!(res.status(), StatusCode::CONFLICT);
        assert!(res.text().await.unwrap().contains("kan inte dras tillbaka"));
        c.browser.get("/cold-nights?lang=en").await;
        let fields = withdraw_form(&mut c, "2019-12-01").await;
        let res = c.browser.send("/cold-nights/withdraw", &pairs(&fields), &[]).await;
        assert_eq!(res.status(), StatusCode::CONFLICT);
        assert!(res.text().await.unwrap().contains("cannot be withdrawn"));
        assert_eq!(declared(&c).await.len(), 1);
    }

    async fn a_declaration_s_fields_and_nights_are_refused_in_words(b: Backend) {
        let mut c = coord(b).await;
        let base = declare_form(&mut c, "2019-12-01", "cold", &[(0, 1)]).await;
        for (field, value, status, words) in [
            ("reason", "   ", StatusCode::UNPROCESSABLE_ENTITY, "Skriv skälet"),
            ("forecast_min_c", "-90", StatusCode::UNPROCESSABLE_ENTITY, "mellan −60 och 50"),
            ("forecast_min_c", "cold", StatusCode::UNPROCESSABLE_ENTITY, "mellan −60 och 50"),
            ("night", "2019-11-30", StatusCode::CONFLICT, "Välj en natt från 1 december 2019 till 8 december 2019"),
            ("night", "2019-12-09", StatusCode::CONFLICT, "Välj en natt från"),
        ] {
            let mut fields = base.clone();
            set(&mut fields, field, value);
            set(&mut fields, "idempotency_key", &format!("k-{field}-{value}"));
            let res = c.browser.send("/cold-nights/declare", &pairs(&fields), &[]).await;
            assert_eq!(res.status(), status, "{field}={value}");
            assert!(res.text().await.unwrap().contains(words), "{field}={value}");
        }
        let mut fields = base.clone();
        set(&mut fields, &format!("places_{}", c.shelters[0].0), "201");
        let res = c.browser.send("/cold-nights/declare", &pairs(&fields), &[]).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().await.unwrap().contains("heltal från 0 till 200"));
        assert!(declared(&c).await.is_empty());
        // A decimal comma is read as the forecast minimum.
        let mut fields = base.clone();
        set(&mut fields, "forecast_min_c", "-12,5");
        let res = c.browser.send("/cold-nights/declare", &pairs(&fields), &[]).await;
        assert_eq!(res.status(), StatusCode::OK);
        let list: Vec<Value> = c.app.get("/api/v1/cold-nights", Some(&c.token)).await.json().await.unwrap();
        assert_eq!(list[0]["forecast_min_c"], -12.5);
        // No form for a night out of reach.
        assert_eq!(c.browser.get("/cold-nights/night?night=2019-11-30").await.status(), StatusCode::NOT_FOUND);
        assert_eq!(c.browser.get("/cold-nights/night?night=soon").await.status(), StatusCode::NOT_FOUND);
    }

    async fn forms_from_another_site_or_without_their_token_do_nothing(b: Backend) {
        let mut c = coord(b).await;
        let fields = declare_form(&mut c, "2019-12-01", "cold", &[(0, 1)]).await;
        let res = c.browser.post("/cold-nights/declare", &pairs(&fields), Some("https://elsewhere.example"), &[]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let res = c.browser.post("/cold-nights/declare", &pairs(&fields), None, &[]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let mut without = fields.clone();
        without.retain(|(k, _)| k != "csrf");
        let res = c.browser.send("/cold-nights/declare", &pairs(&without), &[]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert!(declared(&c).await.is_empty());
        // A declared night is not withdrawn by such a form either.
        let res = c.browser.send("/cold-nights/declare", &pairs(&fields), &[]).await;
        assert_eq!(res.status(), StatusCode::OK);
        let fields = withdraw_form(&mut c, "2019-12-01").await;
        let mut wrong = fields.clone();
        set(&mut wrong, "csrf", &"0".repeat(64));
        assert_eq!(c.browser.send("/cold-nights/withdraw", &pairs(&wrong), &[]).await.status(), StatusCode::FORBIDDEN);
        let res = c.browser.post("/cold-nights/withdraw", &pairs(&fields), Some("https://elsewhere.example"), &[]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert_eq!(declared(&c).await.len(), 1);
        // A referral is not moved by one.
        let g = guest(&c.app, &c.token, "Ion").await;
        let r = referral(&c.app, &c.token, &g, "pregnant").await;
        let html = c.browser.html("/referrals").await;
        let fields = move_form(&html, &r, "taken");
        let res = c.browser.post("/referrals/move", &pairs(&fields), Some("https://elsewhere.example"), &[]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let mut without = fields.clone();
        without.retain(|(k, _)| k != "csrf");
        assert_eq!(c.browser.send("/referrals/move", &pairs(&without), &[]).await.status(), StatusCode::FORBIDDEN);
        let list: Vec<Value> = c.app.get("/api/v1/referrals?status=open", Some(&c.token)).await.json().await.unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(count(&audit_of(&c.app, &g).await, "referral.update"), 0);
    }

    async fn every_role_that_may_not_see_a_page_gets_403(b: Backend) {
        let mut c = coord(b).await;
        let shelter = c.shelters[0].0.clone();
        user(&c.app, "desk.c", &["shelter_staff"], &[&shelter]).await;
        user(&c.app, "jour.c", &["social_emergency"], &[]).await;
        user(&c.app, "eu.c", &["outreach"], &[]).await;
        user(&c.app, "admin.c", &["admin"], &[]).await;
        let fields = declare_form(&mut c, "2019-12-01", "cold", &[(0, 1)]).await;
        let res = c.browser.send("/cold-nights/declare", &pairs(&fields), &[]).await;
        assert_eq!(res.status(), StatusCode::OK);
        let g = guest(&c.app, &c.token, "Ion").await;
        let r = referral(&c.app, &c.token, &g, "elderly").await;
        // The cold nights: the coordinator's only.
        for who in ["desk.c", "jour.c", "eu.c", "admin.c"] {
            let mut b = signed_in_browser(&c.app, who).await;
            for path in ["/cold-nights", "/cold-nights/night?night=2019-12-01"] {
                let res = b.get(path).await;
                assert_eq!(res.status(), StatusCode::FORBIDDEN, "{who} {path}");
                assert!(res.text().await.unwrap().contains("id=\"denied\""));
            }
            let html = b.html("/").await;
            assert!(!html.contains("href=\"/cold-nights\""), "{who}");
            let csrf = hidden_csrf(&html);
            let res = b.send("/cold-nights/withdraw", &[("csrf", &csrf), ("idempotency_key", "k-1"), ("night", "2019-12-01")], &[]).await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{who}");
            let mut theirs = fields.clone();
            set(&mut theirs, "csrf", &csrf);
            set(&mut theirs, &format!("places_{shelter}"), "9");
            let res = b.send("/cold-nights/declare", &pairs(&theirs), &[]).await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{who}");
        }
        assert_eq!(declared(&c).await, vec![("2019-12-01".to_owned(), vec![(shelter.clone(), 1)])]);
        // The inbox: socialjouren, the EU team and coordinators.
        for who in ["desk.c", "admin.c"] {
            let mut b = signed_in_browser(&c.app, who).await;
            let res = b.get("/referrals").await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{who}");
            assert!(res.text().await.unwrap().contains("id=\"denied\""));
            let csrf = hidden_csrf(&b.html("/").await);
            let res = b.send("/referrals/move", &[("csrf", &csrf), ("idempotency_key", "k-2"), ("id", &r), ("status", "taken")], &[]).await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{who}");
        }
        for who in ["jour.c", "eu.c"] {
            let mut b = signed_in_browser(&c.app, who).await;
            assert_eq!(b.get("/referrals").await.status(), StatusCode::OK, "{who}");
        }
        let list: Vec<Value> = c.app.get("/api/v1/referrals?status=open", Some(&c.token)).await.json().await.unwrap();
        assert_eq!(list.len(), 1);
        // Nobody signed in is sent to sign in.
        let mut stranger = Browser::new(&c.app.address);
        for path in ["/cold-nights", "/cold-nights/night?night=2019-12-01", "/referrals"] {
            let res = stranger.get(path).await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
            assert_eq!(location(&res), "/login");
        }
    }

    async fn a_referral_moves_open_taken_closed_with_who_and_when(b: Backend) {
        let c = coord(b).await;
        user(&c.app, "jour.r", &["social_emergency"], &[]).await;
        user(&c.app, "eu.r", &["outreach"], &[]).await;
        let g = guest(&c.app, &c.token, "Vasile").await;
        let r = referral(&c.app, &c.token, &g, "pregnant").await;
        c.app.set_clock("2019-12-01T19:05:00+01:00").await;
        let mut jour = signed_in_browser(&c.app, "jour.r").await;
        let before = count(&audit_of(&c.app, &g).await, "referral.list");
        let html = jour.html("/referrals").await;
        // Read as the API reads it: one referral.list entry about the guest.
        assert_eq!(count(&audit_of(&c.app, &g).await, "referral.list"), before + 1);
        let open = card(&html, &r);
        assert!(open.contains("Vasile Ursu") && open.contains("Gravid") && open.contains("Akut"), "{open}");
        assert!(open.contains("1 december 2019 kl. 18:00 av coord.page"), "{open}");
        assert!(open.contains("sleeps at the station"));
        assert!(open.contains(&format!("id=\"move-{r}-taken\"")) && open.contains(&format!("id=\"move-{r}-closed\"")));
        assert!(!open.contains(&format!("id=\"move-{r}-open\"")));
        // Taken, twice with the same form: once, and the first answer.
        let fields = move_form(&html, &r, "taken");
        for _ in 0..2 {
            let res = jour.send("/referrals/move", &pairs(&fields), &[]).await;
            assert_eq!(res.status(), StatusCode::OK);
            let html = res.text().await.unwrap();
            assert!(html.contains("Remissen är nu tagen"), "{html}");
            let taken = card(&html, &r);
            assert!(taken.contains("data-status=\"taken\""));
            assert!(taken.contains("1 december 2019 kl. 19:05 av jour.r"), "{taken}");
        }
        assert_eq!(count(&audit_of(&c.app, &g).await, "referral.update"), 1);
        let updates: Vec<Value> = audit_of(&c.app, &g).await.into_iter().filter(|e| e["action"] == "referral.update").collect();
        assert_eq!(updates[0]["subject_id"], r.as_str());
        assert_eq!(updates[0]["guest_id"], g.as_str());
        // Closed, with a note, from the list of the taken ones.
        c.app.set_clock("2019-12-01T21:30:00+01:00").await;
        let html = jour.html("/referrals?status=taken").await;
        let mut fields = move_form(&html, &r, "closed");
        set(&mut fields, "note", "housed by the EU team");
        let res = jour.send("/referrals/move", &pairs(&fields), &[]).await;
        assert_eq!(res.status(), StatusCode::OK);
        let html = res.text().await.unwrap();
        assert!(html.contains("Remissen är nu stängd"));
        // Back on the filter it was sent from: no longer among the taken.
        assert!(!html.contains(&format!("id=\"referral-{r}\"")), "{html}");
        let html = jour.html("/referrals?status=closed").await;
        let closed = card(&html, &r);
        assert!(closed.contains("kl. 21:30 av jour.r") && closed.contains("housed by the EU team"), "{closed}");
        assert!(!closed.contains("<form"), "a closed referral moves no more");
        let api: Value = c.app.get("/api/v1/referrals?status=closed", Some(&c.token)).await.json().await.unwrap();
        assert_eq!(api[0]["id"], r.as_str());
        // A stale form (take it again): refused in words, the API's 409.
        let res = jour.send("/referrals/move", &pairs(&[
            ("csrf".to_owned(), fields[0].1.clone()),
            ("idempotency_key".to_owned(), "a-new-key".to_owned()),
            ("id".to_owned(), r.clone()),
            ("status".to_owned(), "taken".to_owned()),
        ]), &[]).await;
        assert_eq!(res.status(), StatusCode::CONFLICT);
        assert!(res.text().await.unwrap().contains("redan flyttats av någon annan"));
        assert_eq!(count(&audit_of(&c.app, &g).await, "referral.update"), 2);
        // The EU team sees the referral but not the guest's name (the API
        // gives it no guest reads).
        let mut eu = signed_in_browser(&c.app, "eu.r").await;
        let html = eu.html("/referrals").await;
        let theirs = card(&html, &r);
        assert!(!theirs.contains("Vasile") && theirs.contains("En gäst") && theirs.contains("Gravid"), "{theirs}");
    }
}
