//! The coordinator's pages: incidents and bans, complaints and feedback,
//! the survey (issue 17), over HTTP as a browser sends them: each form
//! acts once when sent twice with the same key, audited as the API's act;
//! only the API's roles see each page or send each form; a form from
//! another site or without its token does nothing; refusals are said in
//! words with the API's status; a survey answer is kept tied to nobody.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::pages::*;
use crate::world::*;

fn pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// The part of a page from `marker` on.
fn from<'a>(html: &'a str, marker: &str) -> &'a str {
    &html[html
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in {html}"))..]
}

async fn guest_named(w: &World, given: &str) -> String {
    let res = w
        .app
        .post(
            "/api/v1/guests",
            Some(&w.coordinator),
            &json!({"given_name": given, "family_name": "Casework", "birth_year": 1980, "gender": "man", "citizenship": "RO"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn audit_entries(app: &TestApp, query: &str) -> Vec<Value> {
    let audit: Value = app
        .get(
            &format!("/api/v1/audit?limit=1000&{query}"),
            Some(&app.admin_token),
        )
        .await
        .json()
        .await
        .unwrap();
    audit["entries"].as_array().unwrap().clone()
}

fn count(entries: &[Value], action: &str) -> usize {
    entries.iter().filter(|e| e["action"] == action).count()
}

async fn incidents_json(w: &World) -> Vec<Value> {
    let res = w
        .app
        .get(
            "/api/v1/incidents?from=2019-11-01&to=2019-12-31",
            Some(&w.coordinator),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json::<Vec<Value>>().await.unwrap()
}

async fn complaints_json(w: &World) -> Vec<Value> {
    let res = w
        .app
        .get(
            "/api/v1/complaints?from=2019-11-01&to=2019-12-31",
            Some(&w.coordinator),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json::<Vec<Value>>().await.unwrap()
}

/// The fields of the incident form, the guests found by `q` ticked.
async fn incident_form(
    b: &mut Browser,
    q: &str,
    shelter: &str,
    ids: &[&str],
) -> Vec<(String, String)> {
    let html = b.html(&format!("/incidents/new?q={q}")).await;
    for id in ids {
        assert!(
            html.contains(&format!("name=\"guest_ids\" value=\"{id}\"")),
            "{html}"
        );
    }
    let form = from(&html, "id=\"case-incident-form\"");
    let mut fields: Vec<(String, String)> = vec![
        ("csrf".into(), hidden_csrf(&html)),
        ("idempotency_key".into(), hidden(form, "idempotency_key")),
        ("q".into(), q.into()),
        ("shelter_id".into(), shelter.into()),
        ("night".into(), String::new()),
        ("kind".into(), "violence".into()),
        (
            "description".into(),
            "Slog en annan gäst i matsalen.".into(),
        ),
    ];
    for id in ids {
        fields.push(("guest_ids".into(), (*id).into()));
    }
    fields
}

async fn survey_rows(app: &TestApp) -> i64 {
    use diesel::prelude::*;
    let mut conn = app.conn();
    nattplats::db::schema::survey_responses::table
        .count()
        .get_result::<i64>(&mut **conn)
        .unwrap()
}

backend_tests! {
    async fn an_incident_is_recorded_and_its_guests_banned_from_it_through_the_pages(b: Backend) {
        let w = world(b).await;
        let g = guest_named(&w, "Gheorghe").await;
        let h = guest_named(&w, "Horia").await;
        let stay = w.stay(json!({"guest_id": h, "shelter_id": w.a.id})).await;
        // The desk at A records it, the guests found with the intake search;
        // the form sent twice records one incident.
        let mut desk = signed_in_browser(&w.app, "desk.a").await;
        assert!(desk.html("/").await.contains("href=\"/incidents/new\""));
        let fields = incident_form(&mut desk, "Casework", &w.a.id, &[&g, &h]).await;
        for _ in 0..2 {
            let res = desk.send("/incidents/new", &pairs(&fields), &[]).await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER);
            assert_eq!(location(&res), "/incidents/new?done=recorded");
        }
        let list = incidents_json(&w).await;
        assert_eq!(list.len(), 1, "{list:?}");
        let incident = list[0]["id"].as_str().unwrap().to_owned();
        assert_eq!(list[0]["kind"], "violence");
        assert_eq!(list[0]["night"], "2019-12-01");
        let audit = audit_entries(&w.app, &format!("guest_id={g}")).await;
        assert_eq!(count(&audit, "incident.create"), 1);
        assert!(count(&audit, "guest.search") >= 1, "the search is audited");
        assert!(desk.html("/incidents/new?done=recorded").await.contains("id=\"case-notice\""));
        // The coordinator's list shows it with the names, audited as the API's list.
        let mut c = signed_in_browser(&w.app, "coord").await;
        let before = count(&audit_entries(&w.app, &format!("guest_id={g}")).await, "incident.list");
        let html = c.html("/incidents").await;
        assert!(html.contains("Gheorghe Casework") && html.contains("Horia Casework"), "{html}");
        assert!(html.contains("Slog en annan gäst"));
        let after = count(&audit_entries(&w.app, &format!("guest_id={g}")).await, "incident.list");
        assert_eq!(after, before + 1);
        // Ban G at every shelter from the incident, sent twice: one ban.
        let csrf = hidden_csrf(&html);
        let key_g = {
            let at = from(&html, &format!("name=\"guest_id\" value=\"{g}\""));
            let start = html.len() - at.len();
            let form_start = html[..start].rfind("<form").unwrap();
            hidden(&html[form_start..], "idempotency_key")
        };
        let ban_g = [
            ("csrf", csrf.as_str()), ("idempotency_key", key_g.as_str()), ("guest_id", g.as_str()),
            ("shelter_id", ""), ("first_night", "2019-12-01"), ("last_night", "2019-12-10"),
            ("reason", "Våld i matsalen"),
        ];
        for _ in 0..2 {
            let res = c.send(&format!("/incidents/{incident}/ban"), &ban_g, &[]).await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER);
            assert_eq!(location(&res), "/incidents?done=banned");
        }
        let audit = audit_entries(&w.app, &format!("guest_id={g}")).await;
        assert_eq!(count(&audit, "ban.create"), 1, "banned once");
        // G is refused an intake at B: banned.
        let res = w.request_stay(&w.coordinator, json!({"guest_id": g, "shelter_id": w.b.id})).await;
        assert_eq!(res.status(), StatusCode::CONFLICT);
        assert_eq!(res.json::<Value>().await.unwrap()["code"], "banned");
        // Ban H at A only: the stay H holds there ends.
        let html = c.html("/incidents").await;
        let key_h = {
            let at = from(&html, &format!("name=\"guest_id\" value=\"{h}\""));
            let start = html.len() - at.len();
            let form_start = html[..start].rfind("<form").unwrap();
            hidden(&html[form_start..], "idempotency_key")
        };
        let res = c.send(&format!("/incidents/{incident}/ban"), &[
            ("csrf", &csrf), ("idempotency_key", &key_h), ("guest_id", &h),
            ("shelter_id", &w.a.id), ("first_night", "2019-12-02"), ("last_night", "2019-12-04"),
            ("reason", "Hot"),
        ], &[]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let stay = w.get_stay(stay["id"].as_str().unwrap()).await;
        assert_eq!(stay["status"], "ended", "{stay}");
        let notice = c.html("/incidents?done=banned").await;
        assert!(notice.contains("Gästen är avstängd"));
        // A guest the incident does not involve cannot be banned from it: 422 in words.
        let other = guest_named(&w, "Ilie").await;
        let res = c.send(&format!("/incidents/{incident}/ban"), &[
            ("csrf", &csrf), ("idempotency_key", "ban-other"), ("guest_id", &other),
            ("shelter_id", ""), ("first_night", "2019-12-01"), ("last_night", "2019-12-02"), ("reason", "x"),
        ], &[]).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().await.unwrap().contains("Händelsen gäller inte den här gästen"));
        // Nights the wrong way round, and no reason: 422 in words, the typed values kept.
        let res = c.send(&format!("/incidents/{incident}/ban"), &[
            ("csrf", &csrf), ("idempotency_key", "ban-bad"), ("guest_id", &g),
            ("shelter_id", ""), ("first_night", "2019-12-05"), ("last_night", "2019-12-01"), ("reason", " "),
        ], &[]).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let text = res.text().await.unwrap();
        assert!(text.contains("Sista natten ska vara") && text.contains("Skriv skälet"), "{text}");
        assert!(text.contains("id=\"ban-problem\"") && text.contains("value=\"2019-12-05\""), "{text}");
        // In English too.
        c.get("/?lang=en").await;
        assert!(c.html("/incidents").await.contains("Incidents of threats and violence"));
    }

    async fn refusals_of_the_incident_form_are_said_in_words(b: Backend) {
        let w = world(b).await;
        let mut desk = signed_in_browser(&w.app, "desk.a").await;
        let csrf = hidden_csrf(&desk.html("/incidents/new").await);
        // No kind, no description: 422, both said.
        let res = desk.send("/incidents/new", &[("csrf", &csrf), ("idempotency_key", "i-1"), ("shelter_id", &w.a.id)], &[]).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let text = res.text().await.unwrap();
        assert!(text.contains("Välj vilket slag") && text.contains("Beskriv händelsen"), "{text}");
        // Another shelter than the desk's own: 403 in words, as the API's.
        let res = desk.send("/incidents/new", &[("csrf", &csrf), ("idempotency_key", "i-2"), ("shelter_id", &w.b.id), ("kind", "threat"), ("description", "Hot")], &[]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert!(res.text().await.unwrap().contains("inte ett du arbetar på"));
        // An unknown guest: 422 in words; a malformed night: 422.
        let res = desk.send("/incidents/new", &[("csrf", &csrf), ("idempotency_key", "i-3"), ("shelter_id", &w.a.id), ("kind", "threat"), ("description", "Hot"), ("guest_ids", "00000000-0000-4000-8000-000000000000")], &[]).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().await.unwrap().contains("En av gästerna finns inte"));
        let res = desk.send("/incidents/new", &[("csrf", &csrf), ("idempotency_key", "i-4"), ("shelter_id", &w.a.id), ("kind", "threat"), ("description", "Hot"), ("night", "igår")], &[]).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(incidents_json(&w).await.is_empty());
        // A list asked for a period the API refuses: 422 in words.
        let mut c = signed_in_browser(&w.app, "coord").await;
        let res = c.get("/incidents?from=2019-12-05&to=2019-12-01").await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().await.unwrap().contains("Till-natten ska vara"));
    }

    async fn a_complaint_is_recorded_and_moved_to_answered_with_a_response(b: Backend) {
        let w = world(b).await;
        let mut desk = signed_in_browser(&w.app, "desk.a").await;
        let html = desk.html("/complaints/new").await;
        let fields = [
            ("csrf", hidden_csrf(&html)), ("idempotency_key", hidden(&html, "idempotency_key")),
            ("shelter_id", w.a.id.clone()), ("night", String::new()), ("source", "guest".into()),
            ("kind", "complaint".into()), ("category", "food".into()), ("text", "Maten var kall.".into()),
        ];
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        for _ in 0..2 {
            let res = desk.send("/complaints/new", &fields, &[]).await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER);
            assert_eq!(location(&res), "/complaints/new?done=recorded");
        }
        let list = complaints_json(&w).await;
        assert_eq!(list.len(), 1, "recorded once");
        let id = list[0]["id"].as_str().unwrap().to_owned();
        assert_eq!(list[0]["status"], "received");
        let desk_audit = audit_entries(&w.app, "").await;
        assert_eq!(desk_audit.iter().filter(|e| e["action"] == "complaint.create" && e["subject_id"] == id.as_str()).count(), 1);
        // The coordinator's list: the text, audited as the API's list.
        let mut c = signed_in_browser(&w.app, "coord").await;
        let html = c.html("/complaints").await;
        assert!(html.contains("Maten var kall."), "{html}");
        let reads = |entries: &[Value]| entries.iter().filter(|e| e["action"] == "complaint.list" && e["subject_id"] == id.as_str()).count();
        let read_before = reads(&audit_entries(&w.app, "").await);
        assert!(read_before >= 2, "the API's read and the page's");
        let form = from(&html, &format!("id=\"move-{id}\""));
        let key = hidden(form, "idempotency_key");
        let csrf = hidden_csrf(&html);
        // Answered without a response: 422 in words.
        let res = c.send(&format!("/complaints/{id}"), &[("csrf", &csrf), ("idempotency_key", &key), ("status", "answered"), ("response", "")], &[]).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().await.unwrap().contains("Skriv svaret"));
        // With a response, sent twice with its key: moved once.
        for _ in 0..2 {
            let res = c.send(&format!("/complaints/{id}"), &[("csrf", &csrf), ("idempotency_key", &key), ("status", "answered"), ("response", "Vi värmer maten nu.")], &[]).await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER);
            assert_eq!(location(&res), "/complaints?done=moved");
        }
        let list = complaints_json(&w).await;
        assert_eq!(list[0]["status"], "answered");
        assert_eq!(list[0]["response"], "Vi värmer maten nu.");
        let updates = audit_entries(&w.app, "").await.iter().filter(|e| e["action"] == "complaint.update").count();
        assert_eq!(updates, 1);
        // Back to received is refused: 409 complaint-transition, in words.
        let res = c.send(&format!("/complaints/{id}"), &[("csrf", &csrf), ("idempotency_key", "back-1"), ("status", "received")], &[]).await;
        assert_eq!(res.status(), StatusCode::CONFLICT);
        let text = res.text().await.unwrap();
        assert!(text.contains("Klagomålet kan inte gå dit"), "{text}");
        // An unknown complaint: 404 in words.
        let res = c.send("/complaints/00000000-0000-4000-8000-000000000000", &[("csrf", &csrf), ("idempotency_key", "x-9"), ("status", "closed")], &[]).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        // The list filtered by state keeps its filter after a move.
        let html = c.html("/complaints?status=answered").await;
        assert!(html.contains("Vi värmer maten nu."));
        let key = hidden(from(&html, &format!("id=\"move-{id}\"")), "idempotency_key");
        let res = c.send(&format!("/complaints/{id}"), &[("csrf", &csrf), ("idempotency_key", &key), ("status", "closed"), ("response", "Vi värmer maten nu."), ("shown_status", "answered")], &[]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&res), "/complaints?status=answered&done=moved");
        let html = c.html("/complaints?status=closed").await;
        assert!(!html.contains(&format!("id=\"move-{id}\"")), "a closed complaint has no steps");
        // A bad complaint form: 422 in words, what was typed kept.
        let desk_csrf = hidden_csrf(&desk.html("/complaints/new").await);
        let res = desk.send("/complaints/new", &[("csrf", &desk_csrf), ("idempotency_key", "c-2"), ("shelter_id", &w.a.id), ("text", "Något att säga")], &[]).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let text = res.text().await.unwrap();
        assert!(text.contains("Välj vem som framför det") && text.contains("Något att säga"), "{text}");
    }

    async fn a_survey_answer_is_saved_once_and_kept_tied_to_nobody(b: Backend) {
        let w = world(b).await;
        let mut desk = signed_in_browser(&w.app, "desk.a").await;
        let html = desk.html("/survey").await;
        for q in ["safe", "respected", "clean", "informed", "overall"] {
            assert!(html.contains(&format!("id=\"question-{q}\"")), "{q}");
        }
        let key = hidden(&html, "idempotency_key");
        let csrf = hidden_csrf(&html);
        let answers = [("csrf", csrf.as_str()), ("idempotency_key", key.as_str()), ("shelter_id", &w.a.id), ("night", ""),
            ("safe", "no"), ("respected", "yes"), ("clean", ""), ("informed", "partly"), ("overall", "2")];
        for _ in 0..2 {
            let res = desk.send("/survey", &answers, &[]).await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER);
            assert_eq!(location(&res), format!("/survey?done=saved&shelter_id={}", w.a.id));
        }
        assert_eq!(survey_rows(&w.app).await, 1, "saved once");
        // A guest who declined: every answer blank, still an answer.
        let res = desk.send("/survey", &[("csrf", &csrf), ("idempotency_key", "declined-1"), ("shelter_id", &w.a.id)], &[]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(survey_rows(&w.app).await, 2);
        // Bad answers: 422 in words, what was chosen kept.
        let res = desk.send("/survey", &[("csrf", &csrf), ("idempotency_key", "bad-1"), ("shelter_id", &w.a.id), ("safe", "no"), ("overall", "9")], &[]).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let text = res.text().await.unwrap();
        assert!(text.contains("Betyget ska vara 1 till 5"), "{text}");
        assert!(text.contains("value=\"no\" checked"), "{text}");
        // Another shelter: 403 in words.
        let res = desk.send("/survey", &[("csrf", &csrf), ("idempotency_key", "b-1"), ("shelter_id", &w.b.id)], &[]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert!(res.text().await.unwrap().contains("inte ett du arbetar på"));
        assert_eq!(survey_rows(&w.app).await, 2);
        // Nothing of the answers on the trail, and the keys kept name no
        // user and hold no answer.
        let entries = audit_entries(&w.app, "").await;
        assert!(entries.iter().all(|e| !e["action"].as_str().unwrap().starts_with("survey")));
        use diesel::prelude::*;
        use nattplats::db::schema::idempotency_keys as k;
        let mut conn = w.app.conn();
        let rows: Vec<(String, String, String)> = k::table.filter(k::key.eq_any([key.as_str(), "declined-1"])).select((k::user_id, k::body, k::request_hash)).load(&mut **conn).unwrap();
        assert_eq!(rows.len(), 2, "{rows:?}");
        for (user, body, _) in &rows {
            assert_eq!(user, "survey-form");
            assert_eq!(body, "null");
        }
        assert_eq!(rows[0].2, rows[1].2, "the fingerprint says nothing of the answers");
    }

    async fn each_page_and_form_answers_403_to_the_roles_the_api_refuses(b: Backend) {
        let w = world(b).await;
        user(&w.app, "jour.c", &["social_emergency"], &[]).await;
        user(&w.app, "out.c", &["outreach"], &[]).await;
        user(&w.app, "admin.c", &["admin"], &[]).await;
        let record_pages = ["/incidents/new", "/complaints/new", "/survey"];
        let coordinator_pages = ["/incidents", "/complaints"];
        let unknown = "00000000-0000-4000-8000-000000000000";
        let record_posts = ["/incidents/new".to_owned(), "/complaints/new".to_owned(), "/survey".to_owned()];
        let coordinator_posts = [format!("/incidents/{unknown}/ban"), format!("/complaints/{unknown}")];
        let fields = |csrf: &str| -> Vec<(String, String)> {
            vec![("csrf".into(), csrf.into()), ("idempotency_key".into(), "k-1".into()), ("shelter_id".into(), w.a.id.clone()),
                 ("kind".into(), "threat".into()), ("description".into(), "x".into()), ("source".into(), "staff".into()),
                 ("category".into(), "food".into()), ("text".into(), "x".into()), ("status".into(), "closed".into())]
        };
        for who in ["jour.c", "out.c", "admin.c"] {
            let mut b = signed_in_browser(&w.app, who).await;
            for p in record_pages.iter().chain(&coordinator_pages) {
                let res = b.get(p).await;
                assert_eq!(res.status(), StatusCode::FORBIDDEN, "{who} {p}");
                assert!(res.text().await.unwrap().contains("id=\"denied\""));
            }
            let csrf = hidden_csrf(&b.html("/").await);
            for p in record_posts.iter().chain(&coordinator_posts) {
                let res = b.send(p, &pairs(&fields(&csrf)), &[]).await;
                assert_eq!(res.status(), StatusCode::FORBIDDEN, "{who} {p}");
            }
            let start = b.html("/").await;
            for link in ["/incidents", "/complaints", "/survey"] {
                assert!(!start.contains(&format!("href=\"{link}")), "{who} {link}");
            }
        }
        // Shelter staff record, but do not read the lists, ban or move.
        let mut desk = signed_in_browser(&w.app, "desk.a").await;
        for p in record_pages {
            assert_eq!(desk.get(p).await.status(), StatusCode::OK, "{p}");
        }
        for p in coordinator_pages {
            let res = desk.get(p).await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{p}");
            assert!(res.text().await.unwrap().contains("för samordnare"));
        }
        let csrf = hidden_csrf(&desk.html("/").await);
        for p in &coordinator_posts {
            assert_eq!(desk.send(p, &pairs(&fields(&csrf)), &[]).await.status(), StatusCode::FORBIDDEN, "{p}");
        }
        let start = desk.html("/").await;
        assert!(start.contains("href=\"/incidents/new\"") && start.contains("href=\"/survey\"") && start.contains("href=\"/complaints/new\""));
        assert!(!start.contains("href=\"/incidents\"") && !start.contains("href=\"/complaints\""));
        assert!(incidents_json(&w).await.is_empty());
        assert!(complaints_json(&w).await.is_empty());
        // The coordinator sees every link.
        let mut c = signed_in_browser(&w.app, "coord").await;
        let start = c.html("/").await;
        for link in ["/incidents", "/incidents/new", "/complaints", "/complaints/new", "/survey"] {
            assert!(start.contains(&format!("href=\"{link}\"")), "{link}");
        }
        // Nobody signed in is sent to sign in.
        let mut stranger = Browser::new(&w.app.address);
        for p in record_pages.iter().chain(&coordinator_pages) {
            let res = stranger.get(p).await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER, "{p}");
            assert_eq!(location(&res), "/login");
        }
    }

    async fn a_form_from_another_site_or_without_its_token_does_nothing(b: Backend) {
        let w = world(b).await;
        let g = guest_named(&w, "Gabriel").await;
        let mut c = signed_in_browser(&w.app, "coord").await;
        let csrf = hidden_csrf(&c.html("/").await);
        let evil = Some("http://evil.example");
        let incident = [("csrf", csrf.as_str()), ("idempotency_key", "o-1"), ("shelter_id", &w.a.id), ("kind", "threat"), ("description", "x"), ("guest_ids", &g)];
        assert_eq!(c.post("/incidents/new", &incident, evil, &[]).await.status(), StatusCode::FORBIDDEN);
        assert_eq!(c.send("/incidents/new", &incident[1..], &[]).await.status(), StatusCode::FORBIDDEN);
        assert!(incidents_json(&w).await.is_empty());
        let complaint = [("csrf", csrf.as_str()), ("idempotency_key", "o-2"), ("shelter_id", &w.a.id), ("source", "staff"), ("kind", "feedback"), ("category", "food"), ("text", "x")];
        assert_eq!(c.post("/complaints/new", &complaint, evil, &[]).await.status(), StatusCode::FORBIDDEN);
        assert_eq!(c.send("/complaints/new", &[("csrf", "wrong"), ("shelter_id", &w.a.id)], &[]).await.status(), StatusCode::FORBIDDEN);
        assert!(complaints_json(&w).await.is_empty());
        let survey = [("csrf", csrf.as_str()), ("idempotency_key", "o-3"), ("shelter_id", &w.a.id), ("safe", "yes")];
        assert_eq!(c.post("/survey", &survey, evil, &[]).await.status(), StatusCode::FORBIDDEN);
        assert_eq!(c.send("/survey", &survey[1..], &[]).await.status(), StatusCode::FORBIDDEN);
        assert_eq!(survey_rows(&w.app).await, 0);
        // The ban and the move too.
        let res = c.send("/incidents/new", &incident, &[]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let id = incidents_json(&w).await[0]["id"].as_str().unwrap().to_owned();
        let ban = [("csrf", csrf.as_str()), ("idempotency_key", "o-4"), ("guest_id", &g), ("shelter_id", ""), ("first_night", "2019-12-01"), ("last_night", "2019-12-02"), ("reason", "x")];
        assert_eq!(c.post(&format!("/incidents/{id}/ban"), &ban, evil, &[]).await.status(), StatusCode::FORBIDDEN);
        assert_eq!(c.send(&format!("/incidents/{id}/ban"), &ban[1..], &[]).await.status(), StatusCode::FORBIDDEN);
        assert_eq!(count(&audit_entries(&w.app, &format!("guest_id={g}")).await, "ban.create"), 0);
        let res = w.request_stay(&w.coordinator, json!({"guest_id": g, "shelter_id": w.a.id})).await;
        assert_eq!(res.status(), StatusCode::CREATED, "not banned");
    }
}
