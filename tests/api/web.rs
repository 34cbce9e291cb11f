//! The pages' rules (issue 16), over HTTP as a browser sends it: the
//! session kept as a hash and ended by sign-out, expiry and deactivation;
//! every POST refused without its CSRF token or from another origin; the
//! login limits of the API; the language that sticks; the headers of a
//! page; the list of tonight's beds and its audit entries.

use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::*;
use crate::idp::patch_user;
use crate::pages::*;

/// The number of session rows, and whether one holds `token` itself.
fn sessions(app: &TestApp, user_id: &str) -> Vec<nattplats::db::web_sessions::WebSessionRow> {
    nattplats::db::web_sessions::of_user(&mut app.conn(), user_id).expect("sessions")
}

backend_tests! {
    async fn a_signed_out_visitor_is_sent_to_the_sign_in_page(b: Backend) {
        let app = spawn_app(b).await;
        let mut browser = Browser::new(&app.address);
        let res = browser.get("/").await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&res), "/login");
        // An htmx request is told to load the sign-in page as a whole.
        let res = browser.get_with("/tonight?shelter_id=x", &[("hx-request", "true")]).await;
        assert_eq!(header(&res, "hx-redirect"), "/login");
        let res = browser.get("/login").await;
        assert_eq!(res.status(), StatusCode::OK);
        let login_cookie = browser.last_set_cookies.iter().find(|c| c.starts_with("nattplats_login=")).cloned().expect("login cookie");
        for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
            assert!(login_cookie.contains(attr), "{login_cookie}");
        }
        let html = res.text().await.unwrap();
        assert!(html.contains("<html lang=\"sv\">"), "{html}");
        assert!(html.contains("Logga in"));
    }

    async fn a_session_is_kept_as_a_hash_and_its_cookie_is_strict(b: Backend) {
        let app = spawn_app(b).await;
        let id = user(&app, "desk.one", &["coordinator"], &[]).await;
        let browser = signed_in_browser(&app, "desk.one").await;
        let cookie = browser.last_set_cookies.iter().find(|c| c.starts_with("nattplats_session=")).cloned().expect("session cookie");
        for attr in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
            assert!(cookie.contains(attr), "{cookie}");
        }
        // Plain HTTP, no trusted proxy, not configured: not Secure.
        assert!(!cookie.contains("Secure"), "{cookie}");
        // The sign-in form's cookie is gone.
        assert!(!browser.cookies.contains_key("nattplats_login"));
        let token = browser.session().expect("session token");
        let rows = sessions(&app, &id);
        assert_eq!(rows.len(), 1);
        let row = &rows[0];
        assert_eq!(row.token_hash, hex::encode(Sha256::digest(token.as_bytes())));
        assert_ne!(row.token_hash, token);
        assert_ne!(row.csrf_token, token);
        assert_eq!((row.expires_at - row.created_at).num_hours(), 12);
        // The sign-in is on the audit trail, as the API's login is.
        let audit: Value = app.get("/api/v1/audit?limit=5", Some(&app.admin_token)).await.json().await.unwrap();
        assert!(audit["entries"].as_array().unwrap().iter().any(|e| e["action"] == "login" && e["subject_id"] == id.as_str()), "{audit}");
    }

    async fn the_cookie_is_secure_behind_a_trusted_tls_proxy_or_when_configured(b: Backend) {
        let app = spawn_app(b).await;
        user(&app, "desk.one", &["coordinator"], &[]).await;
        let secure_cookie = |browser: &Browser| {
            browser.last_set_cookies.iter().find(|c| c.starts_with("nattplats_session=")).cloned().expect("session cookie")
        };
        // A forwarded https from a peer that is not a trusted proxy is not believed.
        let mut browser = Browser::new(&app.address);
        let form = browser.get("/login").await.text().await.unwrap();
        let origin = browser.origin();
        let fields = [("csrf", hidden_csrf(&form)), ("username", "desk.one".into()), ("password", PASSWORD.into())];
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        browser.post("/login", &fields, Some(&origin), &[("x-forwarded-proto", "https")]).await;
        assert!(!secure_cookie(&browser).contains("Secure"));
        // Behind a trusted proxy that says https: Secure.
        let proxied = app.instance_with(|s| {
            s.trusted_proxies = vec![nattplats::config::IpNet::parse("127.0.0.1").unwrap()];
        });
        let mut browser = Browser::new(&proxied);
        let form = browser.get("/login").await.text().await.unwrap();
        let fields = [("csrf", hidden_csrf(&form)), ("username", "desk.one".into()), ("password", PASSWORD.into())];
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let https_origin = proxied.replace("http://", "https://");
        let res = browser.post("/login", &fields, Some(&https_origin), &[("x-forwarded-proto", "https")]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert!(secure_cookie(&browser).contains("Secure"), "{:?}", browser.last_set_cookies);
        // Configured: Secure on plain HTTP too.
        let configured = app.instance_with(|s| s.web.secure_cookie = true);
        let mut browser = Browser::new(&configured);
        let res = browser.sign_in("desk.one", PASSWORD).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert!(secure_cookie(&browser).contains("Secure"));
    }

    async fn a_form_from_another_origin_or_without_its_token_is_refused(b: Backend) {
        let app = spawn_app(b).await;
        let id = user(&app, "desk.one", &["coordinator"], &[]).await;
        let mut browser = signed_in_browser(&app, "desk.one").await;
        let start = browser.get("/").await.text().await.unwrap();
        let csrf = hidden_csrf(&start);
        assert!(start.contains(&format!("{{\"X-CSRF-Token\": \"{csrf}\"}}")), "htmx's header: {start}");
        // Another site's page posting the sign-out form with the right token.
        let res = browser.post("/logout", &[("csrf", &csrf)], Some("http://evil.example"), &[]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert!(header(&res, "content-type").starts_with("text/html"));
        let html = res.text().await.unwrap();
        assert!(html.contains("Förfrågan avvisad"), "{html}");
        // An opaque origin, and no origin at all.
        for origin in [Some("null"), None] {
            let res = browser.post("/logout", &[("csrf", &csrf)], origin, &[]).await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{origin:?}");
        }
        // The right origin with a wrong or missing token.
        let origin = browser.origin();
        for fields in [vec![("csrf", "0".repeat(64))], vec![]] {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let res = browser.post("/logout", &fields, Some(&origin), &[]).await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN);
        }
        // Still signed in: none of them did anything.
        assert_eq!(sessions(&app, &id).len(), 1);
        assert_eq!(browser.get("/").await.status(), StatusCode::OK);
        // htmx's header carries the token as well as the field does, and
        // without an Origin header a Referer of this site will do.
        let referer = format!("{origin}/");
        let res = browser.post("/logout", &[], None, &[("referer", &referer), ("x-csrf-token", &csrf)]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert!(sessions(&app, &id).is_empty());
    }

    async fn the_sign_in_form_needs_its_own_token_and_origin(b: Backend) {
        let app = spawn_app(b).await;
        let id = user(&app, "desk.one", &["coordinator"], &[]).await;
        let mut browser = Browser::new(&app.address);
        let form = browser.get("/login").await.text().await.unwrap();
        let token = hidden_csrf(&form);
        let origin = browser.origin();
        let good = [("csrf", token.as_str()), ("username", "desk.one"), ("password", PASSWORD)];
        // Another site's page posting right credentials (login CSRF).
        let res = browser.post("/login", &good, Some("http://evil.example"), &[]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        // A token that is not the cookie's.
        let other = "ab".repeat(32);
        let res = browser.post("/login", &[("csrf", other.as_str()), ("username", "desk.one"), ("password", PASSWORD)], Some(&origin), &[]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        // No cookie at all.
        let mut stranger = Browser::new(&app.address);
        let res = stranger.post("/login", &good, Some(&origin), &[]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert!(sessions(&app, &id).is_empty());
        let res = browser.post("/login", &good, Some(&origin), &[]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(sessions(&app, &id).len(), 1);
    }

    async fn sign_out_deletes_the_session_and_its_cookie(b: Backend) {
        let app = spawn_app(b).await;
        let id = user(&app, "desk.one", &["coordinator"], &[]).await;
        let mut browser = signed_in_browser(&app, "desk.one").await;
        let old = browser.session().unwrap();
        let start = browser.get("/").await;
        assert_eq!(start.status(), StatusCode::OK);
        assert_eq!(header(&start, "cache-control"), "no-store");
        let csrf = hidden_csrf(&start.text().await.unwrap());
        let origin = browser.origin();
        let res = browser.post("/logout", &[("csrf", &csrf)], Some(&origin), &[]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&res), "/login?signed_out=1");
        assert!(browser.last_set_cookies.iter().any(|c| c.starts_with("nattplats_session=;") && c.contains("Max-Age=0")), "{:?}", browser.last_set_cookies);
        assert!(sessions(&app, &id).is_empty());
        let page = browser.get("/login?signed_out=1").await.text().await.unwrap();
        assert!(page.contains("Du är utloggad."));
        // The old cookie, sent again (a copy kept, the back button): nothing.
        browser.cookies.insert("nattplats_session".into(), old);
        let res = browser.get("/").await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&res), "/login");
    }

    async fn a_deactivated_users_session_is_refused_on_the_next_request(b: Backend) {
        let app = spawn_app(b).await;
        let shelter = app.shelters().await[0]["id"].as_str().unwrap().to_owned();
        let id = user(&app, "desk.one", &["shelter_staff"], &[&shelter]).await;
        let mut browser = signed_in_browser(&app, "desk.one").await;
        assert_eq!(browser.get("/").await.status(), StatusCode::OK);
        let res = patch_user(&app, &id, &json!({"active": false})).await;
        assert_eq!(res.status(), StatusCode::OK);
        let res = browser.get("/").await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&res), "/login");
        // The session is gone, not only refused: activating the user again
        // does not bring it back.
        assert!(sessions(&app, &id).is_empty());
        patch_user(&app, &id, &json!({"active": true})).await;
        assert_eq!(browser.get("/").await.status(), StatusCode::SEE_OTHER);
        // Roles come from the user at each request.
        let mut browser = signed_in_browser(&app, "desk.one").await;
        let page = browser.get("/").await.text().await.unwrap();
        assert!(page.contains("personal på härbärge"));
        patch_user(&app, &id, &json!({"roles": ["outreach"]})).await;
        let page = browser.get("/").await.text().await.unwrap();
        assert!(page.contains("EU-teamet") && !page.contains("personal på härbärge"), "{page}");
    }

    async fn a_session_ends_when_its_time_is_up(b: Backend) {
        let app = spawn_app(b).await;
        let id = user(&app, "desk.one", &["coordinator"], &[]).await;
        let mut browser = signed_in_browser(&app, "desk.one").await;
        assert_eq!(browser.get("/").await.status(), StatusCode::OK);
        // The manual clock does not end it: sessions follow the real time.
        app.set_clock("2030-01-01T12:00:00Z").await;
        assert_eq!(browser.get("/").await.status(), StatusCode::OK);
        // A shift later (the row as it stands 12 hours on).
        let now = chrono::Utc::now().naive_utc();
        {
            use diesel::prelude::*;
            use nattplats::db::schema::web_sessions::dsl;
            let mut conn = app.conn();
            diesel::update(dsl::web_sessions.filter(dsl::user_id.eq(&id)))
                .set((
                    dsl::created_at.eq(now - chrono::Duration::hours(12)),
                    dsl::expires_at.eq(now - chrono::Duration::seconds(1)),
                ))
                .execute(&mut **conn)
                .unwrap();
        }
        let res = browser.get("/").await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert!(sessions(&app, &id).is_empty());
    }

    async fn a_wrong_password_is_refused_and_repeats_meet_the_apis_limit(b: Backend) {
        let app = spawn_app(b).await;
        user(&app, "desk.one", &["coordinator"], &[]).await;
        let limited = app.instance_with(|s| s.login_limits.per_username = 3);
        let mut browser = Browser::new(&limited);
        for _ in 0..3 {
            let res = browser.sign_in("desk.one", "not-the-password").await;
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
            let html = res.text().await.unwrap();
            assert!(html.contains("Fel användarnamn eller lösenord."), "{html}");
            // The username is kept, the password is not.
            assert!(html.contains("value=\"desk.one\"") && !html.contains("not-the-password"));
        }
        let res = browser.sign_in("desk.one", "not-the-password").await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        let retry: u64 = header(&res, "retry-after").parse().expect("Retry-After");
        assert!(retry >= 1);
        let html = res.text().await.unwrap();
        assert!(html.contains(&format!("Försök igen om {retry} sekunder.")), "{html}");
        // The API counts the same budget: its next login is limited too.
        let res = reqwest::Client::new()
            .post(format!("{limited}/api/v1/auth/token"))
            .json(&json!({"username": "desk.one", "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_problem(res, 429, "too-many-attempts").await;
    }

    async fn the_language_switch_sticks(b: Backend) {
        let app = spawn_app(b).await;
        let mut browser = Browser::new(&app.address);
        let res = browser.get("/login?lang=en").await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&res), "/login");
        let cookie = browser.last_set_cookies.iter().find(|c| c.starts_with("lang=")).cloned().expect("lang cookie");
        assert!(cookie.starts_with("lang=en;") && cookie.contains("Path=/"), "{cookie}");
        let html = browser.get("/login").await.text().await.unwrap();
        assert!(html.contains("<html lang=\"en\">") && html.contains("Sign in"), "{html}");
        assert!(html.contains("href=\"/login?lang=sv\""), "{html}");
        // Signed in, still English, until switched back.
        user(&app, "desk.one", &["coordinator"], &[]).await;
        browser.sign_in("desk.one", PASSWORD).await;
        let html = browser.get("/").await.text().await.unwrap();
        assert!(html.contains("<html lang=\"en\">") && html.contains("Signed in as desk.one"), "{html}");
        browser.get("/?lang=sv").await;
        let html = browser.get("/").await.text().await.unwrap();
        assert!(html.contains("<html lang=\"sv\">") && html.contains("Inloggad som desk.one"));
        // An unknown language changes nothing.
        let res = browser.get("/?lang=de").await;
        assert_eq!(res.status(), StatusCode::OK);
    }

    async fn pages_carry_their_policy_and_the_api_keeps_its_own(b: Backend) {
        let app = spawn_app(b).await;
        let mut browser = Browser::new(&app.address);
        let res = browser.get("/login").await;
        let csp = header(&res, "content-security-policy");
        assert_eq!(
            csp,
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
        );
        assert_eq!(header(&res, "cache-control"), "no-store");
        assert_eq!(header(&res, "referrer-policy"), "same-origin");
        let html = res.text().await.unwrap();
        assert!(!html.contains("style=") && !html.contains("<style") && !html.contains("<script>"), "{html}");
        // The files the page links: served, cached by their content.
        for name in ["app.css", "app.js", "vendor/htmx.min.js"] {
            let at = html.find(&format!("/static/{name}?v=")).unwrap_or_else(|| panic!("{name} linked"));
            let url = &html[at..];
            let url = &url[..url.find('"').unwrap()];
            let res = browser.get(url).await;
            assert_eq!(res.status(), StatusCode::OK, "{url}");
            assert_eq!(header(&res, "cache-control"), "public, max-age=31536000, immutable");
            let etag = header(&res, "etag");
            let again = browser.get_with(&format!("/static/{name}"), &[("if-none-match", &etag)]).await;
            assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        }
        // The API's answers are as they were.
        let res = app.get("/api/v1/shelters", Some(&app.admin_token)).await;
        assert_eq!(header(&res, "content-security-policy"), "default-src 'none'; frame-ancestors 'none'");
        assert_eq!(header(&res, "referrer-policy"), "no-referrer");
        assert_problem(app.get("/no-such-page", None).await, 404, "not-found").await;
        assert_problem(app.get("/api/v1/no-such-route", None).await, 404, "not-found").await;
    }

    async fn shelter_staff_see_tonight_at_their_shelter_and_the_read_is_audited(b: Backend) {
        let app = spawn_app(b).await;
        app.set_clock("2019-12-01T18:00:00+01:00").await;
        let shelters = app.shelters().await;
        let shelter = shelters[0]["id"].as_str().unwrap().to_owned();
        let other = shelters[1]["id"].as_str().unwrap().to_owned();
        user(&app, "desk.one", &["shelter_staff"], &[&shelter]).await;
        let desk = app.login("desk.one", PASSWORD).await;
        let mut stays = Vec::new();
        for (given, family) in [("Ion", "Rusu"), ("Vasile", "Lungu")] {
            let g: Value = app
                .post("/api/v1/guests", Some(&desk), &json!({"given_name": given, "family_name": family, "birth_year": 1975, "gender": "man", "citizenship": "RO"}))
                .await
                .json()
                .await
                .unwrap();
            let s: Value = app
                .post("/api/v1/stays", Some(&desk), &json!({"guest_id": g["id"], "shelter_id": shelter}))
                .await
                .json()
                .await
                .unwrap();
            stays.push((g["id"].as_str().unwrap().to_owned(), s["id"].as_str().unwrap().to_owned()));
        }
        let res = app.post(&format!("/api/v1/stays/{}/check-ins", stays[0].1), Some(&desk), &json!({})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let mut browser = signed_in_browser(&app, "desk.one").await;
        let html = browser.get("/").await.text().await.unwrap();
        let row = |label: &str| {
            let at = html.find(&format!("data-bed=\"{label}\"")).unwrap_or_else(|| panic!("{label} in {html}"));
            html[at..html[at..].find("</tr>").unwrap() + at].to_owned()
        };
        let first = row("R01");
        assert!(first.contains("Ion Rusu") && first.contains("incheckad 18:00"), "{first}");
        let second = row("R02");
        assert!(second.contains("Vasile Lungu") && second.contains("väntas"), "{second}");
        assert!(row("R03").contains("ledig"));
        assert!(html.contains("Sängarna natten som börjar 1 december 2019"), "{html}");
        // After the cutoff the one not checked in is a no-show.
        app.set_clock("2019-12-01T23:05:00+01:00").await;
        let html = browser.get("/").await.text().await.unwrap();
        let at = html.find("data-bed=\"R02\"").unwrap();
        assert!(html[at..].split("</tr>").next().unwrap().contains("uteblev"), "{html}");
        // Each read named both guests on the audit trail.
        let audit: Value = app.get("/api/v1/audit?limit=50", Some(&app.admin_token)).await.json().await.unwrap();
        let listed: Vec<(String, String)> = audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "stay.list")
            .map(|e| (e["guest_id"].as_str().unwrap().to_owned(), e["subject_id"].as_str().unwrap().to_owned()))
            .collect();
        for stay in &stays {
            assert_eq!(listed.iter().filter(|l| *l == stay).count(), 2, "{stay:?} in {listed:?}");
        }
        // The partial of the refresh button, for htmx only, own shelters only.
        let part = browser.get_with(&format!("/tonight?shelter_id={shelter}"), &[("hx-request", "true")]).await;
        assert_eq!(part.status(), StatusCode::OK);
        let part = part.text().await.unwrap();
        assert!(part.starts_with("<section") && part.contains("Ion Rusu") && !part.contains("<html"), "{part}");
        let res = browser.get_with(&format!("/tonight?shelter_id={other}"), &[("hx-request", "true")]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert_eq!(location(&browser.get(&format!("/tonight?shelter_id={shelter}")).await), "/");
    }

    async fn roles_without_pages_yet_see_who_they_are_and_no_names(b: Backend) {
        let app = spawn_app(b).await;
        user(&app, "coord.one", &["coordinator"], &[]).await;
        let mut browser = signed_in_browser(&app, "coord.one").await;
        let html = browser.get("/?lang=en").await;
        assert_eq!(html.status(), StatusCode::SEE_OTHER);
        let html = browser.get("/").await.text().await.unwrap();
        assert!(html.contains("Signed in as coord.one") && html.contains("coordinator"), "{html}");
        assert!(!html.contains("class=\"beds\""));
        assert!(html.contains("Sign out"));
    }
}
