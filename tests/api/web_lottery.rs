//! The coordinator's pages: intake by lottery (issue 17), over HTTP as a
//! browser sends them: a session opened, applicants registered and the
//! draw made through the forms, each act once when its form is sent
//! twice with the same key, audited as the API's; the verification shows
//! the seed and every ticket a person can recompute; only the API's roles
//! see each page; a form from another site or without its token does
//! nothing; refusals are said in words with the API's status.

use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::*;
use crate::pages::*;
use crate::world::*;

/// The id of the session a 303 leads to.
fn session_of(location: &str) -> String {
    location
        .strip_prefix("/lottery/sessions/")
        .and_then(|rest| rest.split(['?', '/']).next())
        .unwrap_or_else(|| panic!("not a session's address: {location}"))
        .to_owned()
}

/// Opens a session at shelter A through the form; returns its id.
async fn open(b: &mut Browser, shelter: &str) -> String {
    let html = b.html("/lottery").await;
    assert!(html.contains(&format!("value=\"{shelter}\"")), "{html}");
    let fields = [
        ("csrf", hidden_csrf(&html)),
        ("idempotency_key", hidden(&html, "idempotency_key")),
        ("shelter_ids", shelter.to_owned()),
        ("first_night", String::new()),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut at = None;
    for _ in 0..2 {
        let res = b.send("/lottery", &fields, &[]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let id = session_of(&location(&res));
        assert_eq!(at.get_or_insert(id.clone()), &id, "the same session again");
    }
    at.unwrap()
}

/// The fields of the register form of the one guest the search finds.
async fn register_form(b: &mut Browser, session: &str, q: &str) -> Vec<(String, String)> {
    let html = b.html(&format!("/lottery/sessions/{session}?q={q}")).await;
    vec![
        ("csrf".into(), hidden_csrf(&html)),
        ("idempotency_key".into(), hidden(&html, "idempotency_key")),
        ("guest_id".into(), hidden(&html, "guest_id")),
    ]
}

fn pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

async fn guest_named(w: &World, given: &str, gender: &str, citizenship: &str) -> String {
    let res = w
        .app
        .post(
            "/api/v1/guests",
            Some(&w.coordinator),
            &json!({"given_name": given, "family_name": "Lotto", "birth_year": 1980, "gender": gender, "citizenship": citizenship}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
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

async fn session_json(w: &World, id: &str) -> Value {
    let res = w
        .app
        .get(
            &format!("/api/v1/intake-sessions/{id}"),
            Some(&w.coordinator),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

backend_tests! {
    async fn a_session_goes_from_applicants_to_a_verified_draw_through_the_pages(b: Backend) {
        let w = world(b).await;
        let mut c = signed_in_browser(&w.app, "coord").await;
        assert!(c.html("/").await.contains("href=\"/lottery\""), "the start page links to it");
        let id = open(&mut c, &w.a.id).await;
        // One session, listed once.
        let list = c.html("/lottery").await;
        assert_eq!(list.matches(&format!("/lottery/sessions/{id}\"")).count(), 1, "{list}");
        // Five applicants for three places (A: R1, R2, W1), one of them
        // outside the target group.
        let people = [
            ("Ana", "woman", "RO"), ("Bianca", "woman", "BG"), ("Costel", "man", "RO"),
            ("Dorin", "man", "PL"), ("Sven", "man", "SE"),
        ];
        let mut ids = Vec::new();
        for (given, gender, citizenship) in people {
            let g = guest_named(&w, given, gender, citizenship).await;
            let fields = register_form(&mut c, &id, given).await;
            assert_eq!(fields[2].1, g);
            for _ in 0..2 {
                let res = c.send(&format!("/lottery/sessions/{id}/applicants"), &pairs(&fields), &[]).await;
                assert_eq!(res.status(), StatusCode::SEE_OTHER);
                assert_eq!(location(&res), format!("/lottery/sessions/{id}?done=registered"));
            }
            ids.push(g);
        }
        let session = session_json(&w, &id).await;
        assert_eq!(session["applicants"].as_array().unwrap().len(), 5, "each registered once");
        // Registered once, audited as the API's registration.
        assert_eq!(count(&audit_of(&w.app, &ids[0]).await, "lottery.apply"), 1);
        let html = c.html(&format!("/lottery/sessions/{id}?done=registered")).await;
        assert!(html.contains("id=\"lottery-notice\"") && html.contains("Ana Lotto"), "{html}");
        // Registering a guest again with a new form: said in words, 409.
        let html = c.html(&format!("/lottery/sessions/{id}?q=Costel")).await;
        assert!(!html.contains("name=\"guest_id\""), "a registered guest has no form: {html}");
        let res = c.send(&format!("/lottery/sessions/{id}/applicants"), &[("csrf", &hidden_csrf(&html)), ("idempotency_key", "again-1"), ("guest_id", &ids[2])], &[]).await;
        assert_eq!(res.status(), StatusCode::CONFLICT);
        assert!(res.text().await.unwrap().contains("redan registrerad"));
        // The draw, sent twice with its key: drawn once.
        let html = c.html(&format!("/lottery/sessions/{id}")).await;
        let draw_key = {
            let at = html.find("id=\"lottery-draw\"").expect("the draw form");
            hidden(&html[at..], "idempotency_key")
        };
        let csrf = hidden_csrf(&html);
        for _ in 0..2 {
            let res = c.send(&format!("/lottery/sessions/{id}/draw"), &[("csrf", &csrf), ("idempotency_key", &draw_key)], &[]).await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER);
            assert_eq!(location(&res), format!("/lottery/sessions/{id}?done=drawn"));
        }
        let drawn = session_json(&w, &id).await;
        assert_eq!(drawn["status"], "drawn");
        let applicants = drawn["applicants"].as_array().unwrap();
        assert_eq!(applicants.iter().filter(|a| a["outcome"] == "won").count(), 3);
        assert_eq!(applicants.iter().filter(|a| a["outcome"] == "lost").count(), 1);
        for g in &ids {
            assert_eq!(count(&audit_of(&w.app, g).await, "lottery.draw"), 1, "one draw");
        }
        // A second draw with a new form is refused in words.
        let res = c.send(&format!("/lottery/sessions/{id}/draw"), &[("csrf", &csrf), ("idempotency_key", "draw-2")], &[]).await;
        assert_eq!(res.status(), StatusCode::CONFLICT);
        assert!(res.text().await.unwrap().contains("Dragningen är redan gjord"));
        // The session's page: the winners and the others, in words.
        let html = c.html(&format!("/lottery/sessions/{id}?done=drawn")).await;
        let winners = &html[html.find("id=\"lottery-winners\"").expect("winners")..];
        let winners = &winners[..winners.find("</ul>").unwrap()];
        let others = &html[html.find("id=\"lottery-others\"").expect("others")..];
        let others = &others[..others.find("</ul>").unwrap()];
        for a in applicants {
            let g = a["guest_id"].as_str().unwrap();
            let in_winners = winners.contains(g);
            assert_eq!(in_winners, a["outcome"] == "won", "{g}");
            assert_eq!(others.contains(g), a["outcome"] != "won", "{g}");
        }
        assert!(others.contains("utanför målgruppen"), "{others}");
        // The verification: the seed, every eligible applicant's ticket
        // (SHA-256 of SEED:ID) in ascending order, and the verdict.
        let v = c.html(&format!("/lottery/sessions/{id}/verify")).await;
        let seed = drawn["seed"].as_str().unwrap();
        assert!(v.contains(seed));
        assert!(v.contains("Dragningen stämmer"), "{v}");
        assert!(v.contains(&format!("printf &#39;%s&#39; &#39;{seed}:")) || v.contains(&format!("printf '%s' '{seed}:")), "{v}");
        let mut tickets: Vec<String> = ids[..4].iter().map(|g| sha256_hex(&format!("{seed}:{g}"))).collect();
        let at: Vec<usize> = tickets.iter().map(|t| v.find(t.as_str()).unwrap_or_else(|| panic!("ticket {t}"))).collect();
        let mut sorted = at.clone();
        sorted.sort();
        tickets.sort();
        let in_page_order: Vec<usize> = tickets.iter().map(|t| v.find(t.as_str()).unwrap()).collect();
        assert_eq!(in_page_order, sorted, "the tickets stand lowest first");
        // The ineligible applicant has no ticket in the order.
        assert!(!v.contains(&sha256_hex(&format!("{seed}:{}", ids[4]))));
        let api: Value = w.app.get(&format!("/api/v1/intake-sessions/{id}/verify"), Some(&w.coordinator)).await.json().await.unwrap();
        assert_eq!(api["matches"], true);
        // In English too.
        c.get("/?lang=en").await;
        let v = c.html(&format!("/lottery/sessions/{id}/verify")).await;
        assert!(v.contains("The draw holds"), "{v}");
    }

    async fn each_page_answers_403_to_the_roles_the_api_refuses(b: Backend) {
        let w = world(b).await;
        user(&w.app, "jour.l", &["social_emergency"], &[]).await;
        user(&w.app, "out.l", &["outreach"], &[]).await;
        user(&w.app, "admin.l", &["admin"], &[]).await;
        user(&w.app, "desk.b", &["shelter_staff"], &[&w.b.id]).await;
        let mut c = signed_in_browser(&w.app, "coord").await;
        let id = open(&mut c, &w.a.id).await;
        let g = w.man().await;
        let pages = ["/lottery".to_owned(), format!("/lottery/sessions/{id}")];
        let verify_pages = ["/lottery/verify".to_owned(), format!("/lottery/sessions/{id}/verify")];
        let posts = ["/lottery".to_owned(), format!("/lottery/sessions/{id}/applicants"), format!("/lottery/sessions/{id}/draw")];
        for who in ["jour.l", "out.l", "admin.l"] {
            let mut b = signed_in_browser(&w.app, who).await;
            for p in &pages {
                let res = b.get(p).await;
                assert_eq!(res.status(), StatusCode::FORBIDDEN, "{who} {p}");
                assert!(res.text().await.unwrap().contains("id=\"denied\""));
            }
            let verify_status = if who == "jour.l" { StatusCode::FORBIDDEN } else { StatusCode::OK };
            assert_eq!(b.get(&verify_pages[0]).await.status(), verify_status, "{who}");
            // Not drawn yet: said in words (409) to those who may verify.
            let expected = if who == "jour.l" { StatusCode::FORBIDDEN } else { StatusCode::CONFLICT };
            assert_eq!(b.get(&verify_pages[1]).await.status(), expected, "{who}");
            let csrf = hidden_csrf(&b.html("/").await);
            for p in &posts {
                let res = b.send(p, &[("csrf", &csrf), ("idempotency_key", "k-1"), ("guest_id", &g), ("shelter_ids", &w.a.id)], &[]).await;
                assert_eq!(res.status(), StatusCode::FORBIDDEN, "{who} {p}");
            }
            assert!(!b.html("/").await.contains("href=\"/lottery\""), "{who}");
        }
        // Staff of another shelter may not see or act on A's session.
        let mut desk_b = signed_in_browser(&w.app, "desk.b").await;
        assert_eq!(desk_b.get("/lottery").await.status(), StatusCode::OK);
        assert_eq!(desk_b.get(&format!("/lottery/sessions/{id}")).await.status(), StatusCode::FORBIDDEN);
        let csrf = hidden_csrf(&desk_b.html("/lottery").await);
        let res = desk_b.send(&format!("/lottery/sessions/{id}/applicants"), &[("csrf", &csrf), ("idempotency_key", "k-2"), ("guest_id", &g)], &[]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let res = desk_b.send("/lottery", &[("csrf", &csrf), ("idempotency_key", "k-3"), ("shelter_ids", &w.a.id)], &[]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert!(res.text().await.unwrap().contains("härbärge du inte arbetar på"));
        assert!(session_json(&w, &id).await["applicants"].as_array().unwrap().is_empty());
        // Staff of shelter A may.
        let mut desk_a = signed_in_browser(&w.app, "desk.a").await;
        assert_eq!(desk_a.get(&format!("/lottery/sessions/{id}")).await.status(), StatusCode::OK);
        // Nobody signed in is sent to sign in.
        let mut stranger = Browser::new(&w.app.address);
        for p in pages.iter().chain(&verify_pages) {
            let res = stranger.get(p).await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER, "{p}");
            assert_eq!(location(&res), "/login");
        }
    }

    async fn a_form_from_another_site_or_without_its_token_does_nothing(b: Backend) {
        let w = world(b).await;
        let mut c = signed_in_browser(&w.app, "coord").await;
        let id = open(&mut c, &w.a.id).await;
        let g = w.man().await;
        let html = c.html("/lottery").await;
        let csrf = hidden_csrf(&html);
        let res = c.post("/lottery", &[("csrf", &csrf), ("idempotency_key", "x-1"), ("shelter_ids", &w.a.id)], Some("http://evil.example"), &[]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let res = c.send("/lottery", &[("idempotency_key", "x-2"), ("shelter_ids", &w.a.id)], &[]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let list = c.html("/lottery").await;
        assert_eq!(list.matches("href=\"/lottery/sessions/").count(), 1, "no second session");
        let res = c.post(&format!("/lottery/sessions/{id}/applicants"), &[("csrf", &csrf), ("guest_id", &g)], Some("http://evil.example"), &[]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let res = c.send(&format!("/lottery/sessions/{id}/draw"), &[("csrf", "wrong")], &[]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let session = session_json(&w, &id).await;
        assert_eq!(session["status"], "open");
        assert!(session["applicants"].as_array().unwrap().is_empty());
    }

    async fn refusals_are_said_in_words_with_the_api_s_status(b: Backend) {
        let w = world(b).await;
        let mut c = signed_in_browser(&w.app, "coord").await;
        let csrf = hidden_csrf(&c.html("/lottery").await);
        // No shelter chosen: 422.
        let res = c.send("/lottery", &[("csrf", &csrf), ("idempotency_key", "r-1")], &[]).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().await.unwrap().contains("Välj minst ett härbärge"));
        // A first night beyond the horizon: 409, as the API's.
        let res = c.send("/lottery", &[("csrf", &csrf), ("idempotency_key", "r-2"), ("shelter_ids", &w.a.id), ("first_night", "2019-12-20")], &[]).await;
        assert_eq!(res.status(), StatusCode::CONFLICT);
        let api = w.app.post("/api/v1/intake-sessions", Some(&w.coordinator), &json!({"shelter_ids": [w.a.id], "first_night": "2019-12-20"})).await;
        assert_eq!(api.status(), StatusCode::CONFLICT);
        let text = res.text().await.unwrap();
        assert!(text.contains("Första natten måste vara"), "{text}");
        assert!(text.contains("checked"), "the choice is kept");
        // A malformed night: 422.
        let res = c.send("/lottery", &[("csrf", &csrf), ("idempotency_key", "r-3"), ("shelter_ids", &w.a.id), ("first_night", "soon")], &[]).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        // An unknown session: 404 in words; not drawn: 409 in words.
        let unknown = "00000000-0000-4000-8000-000000000000";
        let res = c.get(&format!("/lottery/sessions/{unknown}")).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        assert!(res.text().await.unwrap().contains("finns inte"));
        let res = c.get(&format!("/lottery/sessions/{unknown}/verify")).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        let id = open(&mut c, &w.a.id).await;
        let res = c.get(&format!("/lottery/sessions/{id}/verify")).await;
        assert_eq!(res.status(), StatusCode::CONFLICT);
        assert!(res.text().await.unwrap().contains("Dragningen är inte gjord"));
        // An unknown guest: 404 in words.
        let res = c.send(&format!("/lottery/sessions/{id}/applicants"), &[("csrf", &csrf), ("idempotency_key", "r-4"), ("guest_id", unknown)], &[]).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        assert!(res.text().await.unwrap().contains("finns inte"));
        // The way to a verification: an id leads there, anything else is
        // said in words.
        let res = c.get(&format!("/lottery/verify?session={id}")).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&res), format!("/lottery/sessions/{id}/verify"));
        let res = c.get("/lottery/verify?session=nonsense").await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
}
