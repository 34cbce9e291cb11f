//! Complaints and feedback, and the user survey.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::world::*;

async fn patch(w: &World, token: &str, id: &str, body: Value) -> reqwest::Response {
    w.app
        .client
        .patch(w.app.url(&format!("/api/v1/complaints/{id}")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

backend_tests! {
    async fn a_complaint_is_recorded_answered_and_closed_and_only_coordinators_read_it(b: Backend) {
        let w = world(b).await;
        let res = w.app.post("/api/v1/complaints", Some(&w.desk_a), &json!({
            "shelter_id": w.a.id, "source": "guest", "kind": "complaint", "category": "treatment",
            "text": "The night guard shouted at Ion.\nHe wants an apology."})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let c: Value = res.json().await.unwrap();
        assert_eq!(c["status"], "received");
        assert_eq!(c["night"], "2019-12-01");
        assert!(c["response"].is_null());
        let id = c["id"].as_str().unwrap();
        // Answered needs an answer.
        let res = patch(&w, &w.coordinator, id, json!({"status": "answered"})).await;
        let p = assert_problem(res, 422, "validation-failed").await;
        assert_eq!(error_fields(&p), vec!["response"]);
        let res = patch(&w, &w.coordinator, id, json!({"status": "answered", "response": "We spoke with the guard."})).await;
        assert_eq!(res.status(), StatusCode::OK);
        let res = patch(&w, &w.coordinator, id, json!({"status": "closed"})).await;
        let closed: Value = res.json().await.unwrap();
        assert_eq!(closed["status"], "closed");
        assert_eq!(closed["response"], "We spoke with the guard.");
        assert!(closed["updated_by"].is_string());
        // A closed complaint does not go back.
        let res = patch(&w, &w.coordinator, id, json!({"status": "received"})).await;
        assert_problem(res, 409, "complaint-transition").await;
        // Texts may name people: coordinators read them, nobody else.
        let res = w.app.get("/api/v1/complaints?from=2019-12-01&to=2019-12-01", Some(&w.coordinator)).await;
        let list: Vec<Value> = res.json().await.unwrap();
        assert_eq!(list.len(), 1);
        assert!(list[0]["text"].as_str().unwrap().contains("apology"));
        let outreach = w.app.user_token("eu.team", &["outreach"], &[]).await;
        assert_problem(w.app.get("/api/v1/complaints", Some(&outreach)).await, 403, "forbidden").await;
        assert_problem(w.app.get("/api/v1/complaints", Some(&w.desk_a)).await, 403, "forbidden").await;
        assert_problem(patch(&w, &outreach, id, json!({"status": "closed"})).await, 403, "forbidden").await;
        // Each reading of a complaint is on the audit trail.
        let res = w.app.get("/api/v1/audit?limit=1000", Some(&w.app.admin_token)).await;
        let audit = res.text().await.unwrap();
        assert!(audit.contains("complaint.list") && audit.contains("complaint.create") && audit.contains(id));
        assert!(!audit.contains("apology"), "the audit holds ids, not texts");
        // Filtered by status.
        let res = w.app.get("/api/v1/complaints?from=2019-12-01&to=2019-12-01&status=received", Some(&w.coordinator)).await;
        assert_eq!(res.json::<Vec<Value>>().await.unwrap().len(), 0);
    }

    async fn complaints_refuse_bad_fields_and_other_shelters(b: Backend) {
        let w = world(b).await;
        let res = w.app.post("/api/v1/complaints", Some(&w.desk_a), &json!({
            "shelter_id": "nope", "source": "neighbour", "kind": "praise", "category": "weather", "text": "  "})).await;
        let p = assert_problem(res, 422, "validation-failed").await;
        let mut fields = error_fields(&p);
        fields.sort();
        assert_eq!(fields, vec!["category", "kind", "shelter_id", "source", "text"]);
        let res = w.app.post("/api/v1/complaints", Some(&w.desk_a), &json!({
            "shelter_id": w.a.id, "source": "guest", "kind": "complaint", "category": "food", "text": "bad\u{7}"})).await;
        assert_problem(res, 422, "validation-failed").await;
        // Shelter staff record at their own shelters only.
        let res = w.app.post("/api/v1/complaints", Some(&w.desk_a), &json!({
            "shelter_id": w.b.id, "source": "guest", "kind": "feedback", "category": "food", "text": "good soup"})).await;
        assert_problem(res, 403, "forbidden").await;
        let res = w.app.post("/api/v1/complaints", Some(&w.coordinator), &json!({
            "shelter_id": "00000000-0000-4000-8000-000000000000", "source": "staff", "kind": "feedback", "category": "food", "text": "x"})).await;
        assert_problem(res, 404, "not-found").await;
        let res = w.app.get("/api/v1/complaints?from=2019-12-05&to=2019-12-01", Some(&w.coordinator)).await;
        assert_problem(res, 422, "validation-failed").await;
        let res = w.app.get("/api/v1/complaints?status=lost", Some(&w.coordinator)).await;
        assert_problem(res, 422, "validation-failed").await;
        let res = patch(&w, &w.coordinator, "00000000-0000-4000-8000-000000000000", json!({"status": "closed"})).await;
        assert_problem(res, 404, "not-found").await;
    }

    async fn survey_answers_are_stored_without_names_and_counted(b: Backend) {
        let w = world(b).await;
        let res = w.app.get("/api/v1/survey", Some(&w.desk_a)).await;
        let q: Value = res.json().await.unwrap();
        let ids: Vec<&str> = q["questions"].as_array().unwrap().iter().map(|x| x["id"].as_str().unwrap()).collect();
        assert_eq!(ids, vec!["safe", "respected", "clean", "informed", "overall"]);
        for answers in [json!({"safe": "yes", "overall": 5}), json!({"safe": "no", "clean": "partly"}), json!({})] {
            let mut body = answers.clone();
            body["shelter_id"] = json!(w.a.id);
            let res = w.app.post("/api/v1/survey/responses", Some(&w.desk_a), &body).await;
            assert_eq!(res.status(), StatusCode::CREATED);
            let a: Value = res.json().await.unwrap();
            assert_eq!(a["questionnaire"], q["id"]);
            assert_eq!(a["night"], "2019-12-01");
        }
        // Bad answers, another shelter.
        let res = w.app.post("/api/v1/survey/responses", Some(&w.desk_a), &json!({"shelter_id": w.a.id, "safe": "maybe", "overall": 6})).await;
        let p = assert_problem(res, 422, "validation-failed").await;
        let mut fields = error_fields(&p);
        fields.sort();
        assert_eq!(fields, vec!["overall", "safe"]);
        let res = w.app.post("/api/v1/survey/responses", Some(&w.desk_a), &json!({"shelter_id": w.b.id, "safe": "yes"})).await;
        assert_problem(res, 403, "forbidden").await;
        let res = w.app.post("/api/v1/survey/responses", Some(&w.desk_a), &json!({"shelter_id": w.a.id, "safe": "yes", "name": "Ion"})).await;
        assert_problem(res, 422, "validation-failed").await;
        // The table has no column for who answered or who wrote it down.
        use diesel::prelude::*;
        let mut conn = w.app.conn();
        let n: i64 = nattplats::db::schema::survey_responses::table.count().get_result(&mut **conn).unwrap();
        assert_eq!(n, 3);
        // Counted in the report of the night (all three: small, "<5").
        w.app.set_clock("2019-12-03T18:00:00+01:00").await;
        let outreach = w.app.user_token("eu.team", &["outreach"], &[]).await;
        let res = w.app.get("/api/v1/reports/follow-up?from=2019-12-01&to=2019-12-01", Some(&outreach)).await;
        let report: Value = res.json().await.unwrap();
        assert_eq!(report["survey"]["responses"], "<5");
        let address = w.app.instance_with(|s| s.reports.suppress_below = 0);
        let res = w.app.client.put(format!("{address}/api/v1/admin/clock")).bearer_auth(&w.app.admin_token)
            .json(&json!({"now": "2019-12-03T18:00:00+01:00"})).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let res = w.app.client.get(format!("{address}/api/v1/reports/follow-up?from=2019-12-01&to=2019-12-01"))
            .bearer_auth(&outreach).send().await.unwrap();
        let report: Value = res.json().await.unwrap();
        assert_eq!(report["survey"]["responses"], 3);
        let safe = report["survey"]["questions"].as_array().unwrap().iter().find(|x| x["id"] == "safe").unwrap().clone();
        assert_eq!(safe["counts"], json!([1, 0, 1]));
        assert_eq!(safe["answered"], 2);
    }

    async fn a_survey_answer_cannot_be_tied_to_the_check_in_before_it(b: Backend) {
        let w = world(b).await;
        let g = w.man().await;
        let stay = w.stay(json!({"guest_id": g, "shelter_id": w.a.id})).await;
        let stay_id = stay["id"].as_str().unwrap();
        // The desk checks the guest in, then writes down the guest's answers.
        let res = w.app.post(&format!("/api/v1/stays/{stay_id}/check-ins"), Some(&w.desk_a), &json!({})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let res = w.app.post("/api/v1/survey/responses", Some(&w.desk_a), &json!({"shelter_id": w.a.id, "safe": "no", "overall": 1})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let answer: Value = res.json().await.unwrap();
        let answer_id = answer["id"].as_str().unwrap().to_owned();
        // The answer names its shelter and night, nothing of when or by whom.
        let mut keys: Vec<String> = answer.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(keys, ["id", "night", "questionnaire", "shelter_id"]);
        // The trail has the check-in, with its user and instant ...
        let res = w.app.get("/api/v1/audit?limit=1000", Some(&w.app.admin_token)).await;
        assert_eq!(res.status(), StatusCode::OK);
        let page: Value = res.json().await.unwrap();
        let entries = page["entries"].as_array().unwrap();
        let check_in = entries.iter().find(|e| e["action"] == "stay.check-in").expect("the check-in is on the trail");
        let desk = check_in["user_id"].clone();
        // ... and nothing of the answer: not its id, no survey entry, and
        // nothing the desk did after the check-in.
        assert!(!page.to_string().contains(&answer_id), "the answer's id is on the trail");
        let survey: Vec<&Value> = entries.iter().filter(|e| e["action"].as_str().unwrap().starts_with("survey")).collect();
        assert!(survey.is_empty(), "{survey:?}");
        let later: Vec<&Value> = entries
            .iter()
            .filter(|e| e["user_id"] == desk && e["seq"].as_i64() > check_in["seq"].as_i64())
            .collect();
        assert!(later.is_empty(), "{later:?}");
        // The stored answer has no column that holds a time of day.
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct Column {
            #[diesel(sql_type = diesel::sql_types::Text)]
            kind: String,
        }
        let mut conn = w.app.conn();
        let columns: Vec<Column> = match &mut **conn {
            nattplats::db::DbConnection::Sqlite(c) => diesel::sql_query(
                "SELECT type AS kind FROM pragma_table_info('survey_responses')").load(c),
            nattplats::db::DbConnection::Postgres(c) => diesel::sql_query(
                "SELECT data_type::text AS kind FROM information_schema.columns WHERE table_name = 'survey_responses'").load(c),
        }
        .unwrap();
        assert!(columns.len() >= 5);
        for c in &columns {
            let kind = c.kind.to_lowercase();
            assert!(!kind.contains("time"), "a column of type {kind}");
        }
    }
}
