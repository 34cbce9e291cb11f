//! The admin's pages (issue 17), over HTTP as a browser sends them: only
//! the admin opens them (403 for every other role, the way to sign in
//! without a session); a user created on the page is audited and can sign
//! in, and once deactivated on the page their session is refused; a rule
//! set added on the page is the API's, a refused one names its field in
//! words; a form sent twice creates once; a form from another origin or
//! without its token writes nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::pages::*;

async fn signed_in(app: &TestApp, username: &str, password: &str) -> Browser {
    let mut b = Browser::new(&app.address);
    let form = b.html("/login").await;
    let csrf = hidden(&form, "csrf");
    let res = b
        .send(
            "/login",
            &[
                ("csrf", &csrf),
                ("username", username),
                ("password", password),
            ],
            &[],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "sign-in of {username}");
    b
}

async fn admin_browser(app: &TestApp) -> Browser {
    signed_in(app, ADMIN, ADMIN_PASSWORD).await
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

async fn users(app: &TestApp) -> Vec<Value> {
    app.get("/api/v1/users", Some(&app.admin_token))
        .await
        .json()
        .await
        .unwrap()
}

async fn rule_sets(app: &TestApp) -> Vec<Value> {
    app.get("/api/v1/rule-sets", Some(&app.admin_token))
        .await
        .json()
        .await
        .unwrap()
}

const KEY: &str = nattplats::web::form::KEY_FIELD;

/// The idempotency key of the form that `marker` (its id or action)
/// names on `html`.
fn key_of(html: &str, marker: &str) -> String {
    let at = html
        .find(marker)
        .unwrap_or_else(|| panic!("no form {marker}"));
    hidden(&html[at..], KEY)
}

/// How many periods out of service a place has.
fn outages(app: &TestApp, place: &str) -> i64 {
    use diesel::prelude::*;
    use nattplats::db::schema::place_outages as o;
    o::table
        .filter(o::place_id.eq(place))
        .count()
        .get_result(&mut **app.conn())
        .unwrap()
}

const PAGES: [&str; 3] = ["/admin/users", "/admin/shelters", "/admin/rule-sets"];

/// The fields of a rule set form: the defaults, with `quarantine` and
/// `from` as given.
fn rule_fields<'a>(csrf: &'a str, from: &'a str, quarantine: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("effective_from", from),
        ("no_show_cutoff", "23:00"),
        ("regular_nights", "5"),
        ("women_nights", "7"),
        ("quarantine_nights", quarantine),
        ("no_show_ends_stay_after", "2"),
        ("booking_horizon_nights", "1"),
        ("cold_night_threshold_c", "-7"),
        ("target_citizenships", "RO, BG, pl"),
        ("target_permit_countries", "RO, BG"),
    ]
}

backend_tests! {
    async fn only_the_admin_opens_the_admin_s_pages(b: Backend) {
        let app = spawn_app(b).await;
        app.set_clock("2019-12-01T18:00:00+01:00").await;
        let shelter = app.shelters().await[0]["id"].as_str().unwrap().to_owned();
        // Without a session: the way to sign in.
        let mut nobody = Browser::new(&app.address);
        for page in PAGES {
            let res = nobody.get(page).await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER, "{page}");
            assert_eq!(location(&res), "/login", "{page}");
        }
        for (name, role) in [
            ("coord.one", "coordinator"),
            ("desk.one", "shelter_staff"),
            ("jour.one", "social_emergency"),
            ("eu.one", "outreach"),
        ] {
            let shelters: Vec<&str> = if role == "shelter_staff" { vec![&shelter] } else { vec![] };
            user(&app, name, &[role], &shelters).await;
            let mut browser = signed_in(&app, name, PASSWORD).await;
            for page in PAGES {
                let res = browser.get(page).await;
                assert_eq!(res.status(), StatusCode::FORBIDDEN, "{role} on {page}");
                let html = res.text().await.unwrap();
                assert!(html.contains("Bara för administratören"), "{html}");
            }
            // Nor may they send the admin's forms (with their own token).
            let start = browser.html("/").await;
            assert!(!start.contains("/admin/users"), "{role}: {start}");
            let csrf = hidden(&start, "csrf");
            let res = browser
                .send(
                    "/admin/users",
                    &[("csrf", &csrf), ("username", "sneaky"), ("password", PASSWORD), ("roles", "admin")],
                    &[],
                )
                .await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{role} creating a user");
            let res = browser.send("/admin/rule-sets", &rule_fields(&csrf, "2019-12-10", "3"), &[]).await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{role} adding a rule set");
        }
        assert!(!users(&app).await.iter().any(|u| u["username"] == "sneaky"));
        assert_eq!(rule_sets(&app).await.len(), 1);
        // The admin opens each, in both languages, and finds them from the start page.
        let mut admin = admin_browser(&app).await;
        let start = admin.html("/").await;
        for page in PAGES {
            assert!(start.contains(&format!("href=\"{page}\"")), "{start}");
            let html = admin.html(page).await;
            assert!(html.contains("<html lang=\"sv\">"), "{html}");
        }
        let res = admin.get("/admin/users?lang=en").await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let html = admin.html("/admin/users").await;
        assert!(html.contains("A new user") && html.contains("coord.one"), "{html}");
        assert!(html.contains("coordinator") && html.contains("shelter staff"), "{html}");
    }

    async fn a_user_created_on_the_page_signs_in_and_once_deactivated_is_refused(b: Backend) {
        let app = spawn_app(b).await;
        app.set_clock("2019-12-01T18:00:00+01:00").await;
        let shelter = app.shelters().await[0].clone();
        let shelter_id = shelter["id"].as_str().unwrap().to_owned();
        let mut admin = admin_browser(&app).await;
        let page = admin.html("/admin/users").await;
        let csrf = hidden(&page, "csrf");
        let form = [
            ("csrf", csrf.as_str()), ("username", "new.desk"), ("password", PASSWORD),
            ("roles", "shelter_staff"), ("shelter_ids", shelter_id.as_str()),
        ];
        let res = admin.send("/admin/users", &form, &[]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&res), "/admin/users?done=user-created");
        let html = admin.html("/admin/users?done=user-created").await;
        assert!(html.contains("id=\"done\"") && html.contains("new.desk"), "{html}");
        assert!(html.contains(shelter["name"].as_str().unwrap()), "{html}");
        // Sent again: one user, and the second answer says why in words.
        let again = admin.send("/admin/users", &form, &[]).await;
        assert_eq!(again.status(), StatusCode::CONFLICT);
        let again = again.text().await.unwrap();
        assert!(again.contains("Användarnamnet finns redan"), "{again}");
        let list = users(&app).await;
        let created: Vec<&Value> = list.iter().filter(|u| u["username"] == "new.desk").collect();
        assert_eq!(created.len(), 1, "{list:?}");
        let id = created[0]["id"].as_str().unwrap().to_owned();
        assert_eq!(created[0]["roles"], json!(["shelter_staff"]));
        assert_eq!(created[0]["shelter_ids"], json!([shelter_id]));
        let audited = audit_entries(&app, "user.create").await;
        assert!(audited.iter().any(|e| e["subject_id"] == id.as_str()), "{audited:?}");
        // A password too short and no role: refused in words, nothing written.
        let res = admin
            .send("/admin/users", &[("csrf", csrf.as_str()), ("username", "short.pw"), ("password", "short")], &[])
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = res.text().await.unwrap();
        assert!(html.contains("id=\"password-problem\"") && html.contains("10 till 256 tecken"), "{html}");
        assert!(html.contains("id=\"roles-problem\"") && html.contains("value=\"short.pw\""), "{html}");
        // The new user signs in.
        let mut desk = signed_in(&app, "new.desk", PASSWORD).await;
        assert_eq!(desk.get("/").await.status(), StatusCode::OK);
        // The admin deactivates them on the page: their session is refused.
        let res = admin
            .send(&format!("/admin/users/{id}"), &[("csrf", csrf.as_str()), ("change", "active"), ("active", "false")], &[])
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let res = desk.get("/").await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&res), "/login");
        let updated = audit_entries(&app, "user.update").await;
        assert!(updated.iter().any(|e| e["subject_id"] == id.as_str()), "{updated:?}");
        let html = admin.html("/admin/users").await;
        assert!(html.contains("id=\"reactivate-new.desk\""), "{html}");
        // The admin's own account: refused in words.
        let me = users(&app).await.into_iter().find(|u| u["username"] == ADMIN).unwrap();
        let res = admin
            .send(&format!("/admin/users/{}", me["id"].as_str().unwrap()), &[("csrf", csrf.as_str()), ("change", "access"), ("roles", "coordinator")], &[])
            .await;
        assert_eq!(res.status(), StatusCode::CONFLICT);
        assert!(res.text().await.unwrap().contains("ditt eget konto"));
        // Roles changed on the page.
        let res = admin
            .send(&format!("/admin/users/{id}"), &[("csrf", csrf.as_str()), ("change", "access"), ("roles", "coordinator"), ("roles", "outreach")], &[])
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let list = users(&app).await;
        let changed = list.iter().find(|u| u["id"] == id.as_str()).unwrap();
        assert_eq!(changed["roles"], json!(["coordinator", "outreach"]));
        assert_eq!(changed["shelter_ids"], json!([]));
        assert_eq!(changed["active"], false);
    }

    async fn a_rule_set_added_on_the_page_is_the_api_s_and_a_refused_one_says_why(b: Backend) {
        let app = spawn_app(b).await;
        app.set_clock("2019-12-01T18:00:00+01:00").await;
        let mut admin = admin_browser(&app).await;
        let page = admin.html("/admin/rule-sets").await;
        // Prefilled with the newest rule set, the first allowed night explained.
        assert!(page.contains("value=\"2019-12-03\"") && page.contains("3 december 2019"), "{page}");
        assert!(page.contains("id=\"in-force\""), "{page}");
        let csrf = hidden(&page, "csrf");
        // Too early: the field's problem in words, nothing written.
        let res = admin.send("/admin/rule-sets", &rule_fields(&csrf, "2019-12-02", "3"), &[]).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = res.text().await.unwrap();
        assert!(html.contains("id=\"effective_from-problem\""), "{html}");
        assert!(html.contains("Första natten måste vara 3 december 2019 eller senare"), "{html}");
        assert!(html.contains("value=\"2019-12-02\""), "{html}");
        let res = admin.send("/admin/rule-sets", &rule_fields(&csrf, "2019-12-10", "x"), &[]).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().await.unwrap().contains("id=\"quarantine_nights-problem\""));
        assert_eq!(rule_sets(&app).await.len(), 1);
        // Added.
        let form = rule_fields(&csrf, "2019-12-10", "3");
        let res = admin.send("/admin/rule-sets", &form, &[]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let sets = rule_sets(&app).await;
        assert_eq!(sets.len(), 2, "{sets:?}");
        assert_eq!(sets[1]["effective_from"], "2019-12-10");
        assert_eq!(sets[1]["quarantine_nights"], 3);
        assert_eq!(sets[1]["target_citizenships"], json!(["RO", "BG", "PL"]));
        assert_eq!(audit_entries(&app, "rule_set.create").await.len(), 1);
        // Sent again: still one, and the page says the next allowed night.
        let again = admin.send("/admin/rule-sets", &form, &[]).await;
        assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(again.text().await.unwrap().contains("11 december 2019"));
        assert_eq!(rule_sets(&app).await.len(), 2);
        let html = admin.html("/admin/rule-sets").await;
        assert!(html.contains("Från natten 10 december 2019") && html.contains("3 nätter"), "{html}");
    }

    async fn each_form_that_adds_acts_once_when_sent_again_with_its_key(b: Backend) {
        let app = spawn_app(b).await;
        app.set_clock("2019-12-01T18:00:00+01:00").await;
        let shelter = app.shelters().await[0]["id"].as_str().unwrap().to_owned();
        let mut admin = admin_browser(&app).await;
        // A user: the first answer again, one user, one audit entry.
        let page = admin.html("/admin/users").await;
        let csrf = hidden(&page, "csrf");
        let key = key_of(&page, "id=\"new-user\"");
        let form = [
            ("csrf", csrf.as_str()), (KEY, key.as_str()), ("username", "twice.desk"), ("password", PASSWORD),
            ("roles", "shelter_staff"), ("shelter_ids", shelter.as_str()),
        ];
        for _ in 0..2 {
            let res = admin.send("/admin/users", &form, &[]).await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER);
            assert_eq!(location(&res), "/admin/users?done=user-created");
        }
        assert_eq!(users(&app).await.iter().filter(|u| u["username"] == "twice.desk").count(), 1);
        assert_eq!(audit_entries(&app, "user.create").await.len(), 1);
        // The form shown again has a new key: the same name is refused in words.
        let page = admin.html("/admin/users").await;
        let fresh = key_of(&page, "id=\"new-user\"");
        assert_ne!(fresh, key);
        let again = [("csrf", csrf.as_str()), (KEY, fresh.as_str()), ("username", "twice.desk"), ("password", PASSWORD), ("roles", "coordinator")];
        let res = admin.send("/admin/users", &again, &[]).await;
        assert_eq!(res.status(), StatusCode::CONFLICT);
        assert!(res.text().await.unwrap().contains("Användarnamnet finns redan"));
        // A place, and a place out of service for some nights.
        let page = admin.html("/admin/shelters").await;
        let path = format!("/admin/shelters/{shelter}/places");
        let key = key_of(&page, &format!("action=\"{path}\""));
        for _ in 0..2 {
            let res = admin.send(&path, &[("csrf", csrf.as_str()), (KEY, key.as_str()), ("label", "K01"), ("category", "regular")], &[]).await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER);
            assert_eq!(location(&res), "/admin/shelters?done=place-added");
        }
        let places: Vec<Value> = app.get(&format!("/api/v1/shelters/{shelter}/places"), Some(&app.admin_token)).await.json().await.unwrap();
        let k01: Vec<&Value> = places.iter().filter(|p| p["label"] == "K01").collect();
        assert_eq!(k01.len(), 1);
        let place = k01[0]["id"].as_str().unwrap().to_owned();
        let page = admin.html("/admin/shelters").await;
        let oos = format!("/admin/shelters/{shelter}/places/{place}/out-of-service");
        let key = key_of(&page, &format!("action=\"{oos}\""));
        let form = [("csrf", csrf.as_str()), (KEY, key.as_str()), ("first_night", "2019-12-02"), ("last_night", "2019-12-04"), ("reason", "Repair")];
        for _ in 0..2 {
            let res = admin.send(&oos, &form, &[]).await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER);
            assert_eq!(location(&res), "/admin/shelters?done=out-of-service");
        }
        assert_eq!(outages(&app, &place), 1);
        // A rule set.
        let page = admin.html("/admin/rule-sets").await;
        let key = key_of(&page, "id=\"rule-set-form\"");
        let mut form = rule_fields(&csrf, "2019-12-10", "3");
        form.push((KEY, &key));
        for _ in 0..2 {
            let res = admin.send("/admin/rule-sets", &form, &[]).await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER);
            assert_eq!(location(&res), "/admin/rule-sets?done=rule-set-created");
        }
        assert_eq!(rule_sets(&app).await.len(), 2);
        assert_eq!(audit_entries(&app, "rule_set.create").await.len(), 1);
    }

    async fn a_form_from_elsewhere_or_without_its_token_writes_nothing(b: Backend) {
        let app = spawn_app(b).await;
        app.set_clock("2019-12-01T18:00:00+01:00").await;
        let mut admin = admin_browser(&app).await;
        let page = admin.html("/admin/users").await;
        let csrf = hidden(&page, "csrf");
        let user_form = |token: &str| {
            vec![("csrf", token.to_owned()), ("username", "forged.user".into()), ("password", PASSWORD.into()), ("roles", "admin".into())]
        };
        let wrong = user_form("not-the-token");
        let wrong: Vec<(&str, &str)> = wrong.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = admin.send("/admin/users", &wrong, &[]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let right = user_form(&csrf);
        let right: Vec<(&str, &str)> = right.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = admin.post("/admin/users", &right, Some("https://evil.example"), &[]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let res = admin.post("/admin/users", &right, None, &[]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert!(!users(&app).await.iter().any(|u| u["username"] == "forged.user"));
        let res = admin.send("/admin/rule-sets", &rule_fields("not-the-token", "2019-12-10", "3"), &[]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let res = admin
            .post("/admin/rule-sets", &rule_fields(&csrf, "2019-12-10", "3"), Some("https://evil.example"), &[])
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert_eq!(rule_sets(&app).await.len(), 1);
        assert!(audit_entries(&app, "user.create").await.is_empty());
    }

    async fn shelters_and_places_are_changed_on_the_page(b: Backend) {
        let app = spawn_app(b).await;
        app.set_clock("2019-12-01T18:00:00+01:00").await;
        let shelter = app.shelters().await[0].clone();
        let id = shelter["id"].as_str().unwrap().to_owned();
        let mut admin = admin_browser(&app).await;
        let page = admin.html("/admin/shelters").await;
        assert!(page.contains(shelter["name"].as_str().unwrap()) && page.contains("R01"), "{page}");
        let csrf = hidden(&page, "csrf");
        let res = admin
            .send(&format!("/admin/shelters/{id}"), &[("csrf", csrf.as_str()), ("address", "Götgatan 1"), ("phone", "08-123 45")], &[])
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let res = admin
            .send(&format!("/admin/shelters/{id}"), &[("csrf", csrf.as_str()), ("address", "Götgatan 1"), ("phone", "call us")], &[])
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().await.unwrap().contains("Telefon: 3 till 30 tecken"));
        let now = app.shelters().await.into_iter().find(|s| s["id"] == id.as_str()).unwrap();
        assert_eq!(now["phone"], "08-123 45");
        assert_eq!(now["address"], "Götgatan 1");
        // A place added, once however often the form is sent.
        let place = [("csrf", csrf.as_str()), ("label", "N99"), ("category", "women")];
        let path = format!("/admin/shelters/{id}/places");
        assert_eq!(admin.send(&path, &place, &[]).await.status(), StatusCode::SEE_OTHER);
        let again = admin.send(&path, &place, &[]).await;
        assert_eq!(again.status(), StatusCode::CONFLICT);
        assert!(again.text().await.unwrap().contains("har redan en plats med den beteckningen"));
        let places: Vec<Value> = app.get(&format!("/api/v1/shelters/{id}/places"), Some(&app.admin_token)).await.json().await.unwrap();
        let n99: Vec<&Value> = places.iter().filter(|p| p["label"] == "N99").collect();
        assert_eq!(n99.len(), 1, "{places:?}");
        assert_eq!(n99[0]["category"], "women");
        // Out of service for a range of nights.
        let place_id = n99[0]["id"].as_str().unwrap();
        let oos = format!("/admin/shelters/{id}/places/{place_id}/out-of-service");
        let res = admin
            .send(&oos, &[("csrf", csrf.as_str()), ("first_night", "2019-12-03"), ("last_night", "2019-12-02"), ("reason", "Repair")], &[])
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().await.unwrap().contains("Nätter: ange ett datum"));
        let res = admin
            .send(&oos, &[("csrf", csrf.as_str()), ("first_night", "2019-12-02"), ("last_night", "2019-12-04"), ("reason", "Repair")], &[])
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&res), "/admin/shelters?done=out-of-service");
    }
}
