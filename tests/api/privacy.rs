//! Privacy: everything held about a person, for them; the retention rule
//! and erasure on request, which forget the person and keep the counts.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::world::*;

async fn guest_named(w: &World, given: &str, family: &str, needs: Value) -> String {
    let body = json!({"given_name": given, "family_name": family, "birth_date": "1981-04-02",
                      "gender": "woman", "citizenship": "RO", "needs": needs});
    let res = w
        .app
        .post("/api/v1/guests", Some(&w.coordinator), &body)
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn read_guest(w: &World, id: &str) -> Value {
    let res = w
        .app
        .get(&format!("/api/v1/guests/{id}"), Some(&w.coordinator))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

fn assert_forgotten(g: &Value) {
    assert_eq!(g["given_name"], "");
    assert_eq!(g["family_name"], "");
    assert_eq!(g["birth_date"], Value::Null);
    assert_eq!(g["needs"], json!([]));
    assert!(g["pseudonymised_at"].is_string());
    // What the statistics count stays.
    assert_eq!(g["birth_year"], 1981);
    assert_eq!(g["gender"], "woman");
    assert_eq!(g["citizenship"], "RO");
}

backend_tests! {
    async fn a_guest_gets_everything_held_about_them(b: Backend) {
        let w = world(b).await;
        let g = guest_named(&w, "Maria", "Lungu", json!(["pregnant"])).await;
        let stay = w.stay(json!({"guest_id": g, "shelter_id": w.a.id, "category": "women"})).await;
        let res = w.app.get(&format!("/api/v1/guests/{g}/export"), Some(&w.coordinator)).await;
        assert_eq!(res.status(), StatusCode::OK);
        let e: Value = res.json().await.unwrap();
        assert_eq!(e["guest"]["given_name"], "Maria");
        assert_eq!(e["stays"][0]["id"], stay["id"]);
        assert_eq!(e["nights"].as_array().unwrap().len(), 7);
        assert_eq!(e["referrals"][0]["reason"], "pregnant");
        let actions: Vec<&str> = e["accesses"].as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap()).collect();
        assert!(actions.contains(&"guest.register") && actions.contains(&"stay.create"), "{actions:?}");
        // The export itself is on the trail.
        let res = w.app.get(&format!("/api/v1/audit?guest_id={g}"), Some(&w.app.admin_token)).await;
        let trail: Value = res.json().await.unwrap();
        assert_eq!(trail["entries"][0]["action"], "guest.export");
        assert_problem(w.app.get(&format!("/api/v1/guests/{g}/export"), Some(&w.desk_a)).await, 403, "forbidden").await;
        let unknown = "00000000-0000-4000-8000-000000000000";
        assert_problem(w.app.get(&format!("/api/v1/guests/{unknown}/export"), Some(&w.coordinator)).await, 404, "not-found").await;
    }

    async fn a_guests_check_ins_and_refused_check_ins_are_on_their_trail(b: Backend) {
        let w = world(b).await;
        let g = guest_named(&w, "Ioana", "Radu", json!([])).await;
        let stay = w.stay(json!({"guest_id": g, "shelter_id": w.a.id, "place_id": w.a.place("W1")})).await;
        let id = stay["id"].as_str().unwrap();
        let res = w.act(id, "check-ins", json!({})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        // The next evening she is late: the place is taken, the check-in refused.
        w.app.set_clock("2019-12-02T23:30:00+01:00").await;
        let taker = w.woman().await;
        let res = w.app.post("/api/v1/placements", Some(&w.coordinator), &json!({
            "guest_id": taker, "kind": "emergency", "place_id": w.a.place("W1"), "reason": "acute"})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let res = w.act(id, "check-ins", json!({})).await;
        assert_problem(res, 409, "reservation-released").await;
        let trail: Value = w.app.get(&format!("/api/v1/audit?guest_id={g}"), Some(&w.app.admin_token)).await.json().await.unwrap();
        let actions: Vec<&str> = trail["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert!(actions.contains(&"stay.check-in") && actions.contains(&"stay.check-in.refused"), "{actions:?}");
        let e: Value = w.app.get(&format!("/api/v1/guests/{g}/export"), Some(&w.coordinator)).await.json().await.unwrap();
        let exported: Vec<&str> = e["accesses"].as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap()).collect();
        assert!(exported.contains(&"stay.check-in") && exported.contains(&"stay.check-in.refused"), "{exported:?}");
        // Nobody else's trail holds them.
        let other: Value = w.app.get(&format!("/api/v1/audit?guest_id={taker}"), Some(&w.app.admin_token)).await.json().await.unwrap();
        assert!(other["entries"].as_array().unwrap().iter().all(|e| !e["action"].as_str().unwrap().starts_with("stay.check-in")));
    }

    async fn guests_without_a_stay_for_24_months_are_pseudonymised(b: Backend) {
        let w = world(b).await;
        let old = guest_named(&w, "Elena", "Dobre", json!(["pregnant"])).await;
        let kept = guest_named(&w, "Ana", "Stan", json!([])).await;
        let old_stay = w.stay(json!({"guest_id": old, "shelter_id": w.a.id, "category": "women"})).await;
        // Ana comes back in the summer of 2021.
        w.app.set_clock("2021-07-01T18:00:00+02:00").await;
        w.stay(json!({"guest_id": kept, "shelter_id": w.a.id, "category": "women"})).await;
        // In January 2022 Elena's last night (December 2019) is over 24 months ago.
        w.app.set_clock("2022-01-15T12:00:00+01:00").await;
        let res = w.app.post("/api/v1/admin/retention", Some(&w.app.admin_token), &json!({})).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.json::<Value>().await.unwrap(), json!({"months": 24, "pseudonymised": 1}));
        assert_forgotten(&read_guest(&w, &old).await);
        assert_eq!(read_guest(&w, &kept).await["given_name"], "Ana");
        // Her history stays for the counts; nobody finds her by name.
        let res = w.app.get(&format!("/api/v1/stays/{}", old_stay["id"].as_str().unwrap()), Some(&w.coordinator)).await;
        assert_eq!(res.status(), StatusCode::OK);
        let found: Value = w.app.get("/api/v1/guests?q=Dobre", Some(&w.coordinator)).await.json().await.unwrap();
        assert_eq!(found, json!([]));
        let export: Value = w.app.get(&format!("/api/v1/guests/{old}/export"), Some(&w.coordinator)).await.json().await.unwrap();
        assert_eq!(export["referrals"][0]["note"], Value::Null);
        let actions: Vec<&str> = export["accesses"].as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap()).collect();
        assert!(actions.contains(&"guest.pseudonymise"), "{actions:?}");
        // Nothing more to do on a second run; a shorter period catches Ana.
        let res = w.app.post("/api/v1/admin/retention", Some(&w.app.admin_token), &json!({})).await;
        assert_eq!(res.json::<Value>().await.unwrap()["pseudonymised"], 0);
        let res = w.app.post("/api/v1/admin/retention", Some(&w.app.admin_token), &json!({"months": 3})).await;
        assert_eq!(res.json::<Value>().await.unwrap()["pseudonymised"], 1);
        let res = w.app.post("/api/v1/admin/retention", Some(&w.app.admin_token), &json!({"months": 0})).await;
        assert_eq!(error_fields(&assert_problem(res, 422, "validation-failed").await), vec!["months"]);
        assert_problem(w.app.post("/api/v1/admin/retention", Some(&w.coordinator), &json!({})).await, 403, "forbidden").await;
    }

    async fn erasure_on_request_removes_the_person_and_keeps_the_counts(b: Backend) {
        let w = world(b).await;
        let g = guest_named(&w, "Ioana", "Marin", json!(["pregnant"])).await;
        let stay = w.stay(json!({"guest_id": g, "shelter_id": w.a.id, "category": "women"})).await;
        let path = format!("/api/v1/guests/{g}");
        let res = w.app.client.delete(w.app.url(&path)).bearer_auth(&w.coordinator).send().await.unwrap();
        assert_problem(res, 403, "forbidden").await;
        let res = w.app.client.delete(w.app.url(&path)).bearer_auth(&w.app.admin_token).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        assert_forgotten(&read_guest(&w, &g).await);
        // The stay still counts: tonight's women's place at A is still taken.
        let v: Value = w.app.get("/api/v1/availability?places=false", Some(&w.coordinator)).await.json().await.unwrap();
        let a = v["shelters"].as_array().unwrap().iter().find(|s| s["shelter_id"] == w.a.id.as_str()).unwrap().clone();
        assert_eq!(a["free"]["women"], 0);
        let res = w.app.get(&format!("/api/v1/stays/{}", stay["id"].as_str().unwrap()), Some(&w.coordinator)).await;
        assert_eq!(res.status(), StatusCode::OK);
        let trail: Value = w.app.get(&format!("/api/v1/audit?guest_id={g}"), Some(&w.app.admin_token)).await.json().await.unwrap();
        let actions: Vec<&str> = trail["entries"].as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap()).collect();
        assert!(actions.contains(&"guest.erase"), "{actions:?}");
        let unknown = "00000000-0000-4000-8000-000000000000";
        let res = w.app.client.delete(w.app.url(&format!("/api/v1/guests/{unknown}"))).bearer_auth(&w.app.admin_token).send().await.unwrap();
        assert_problem(res, 404, "not-found").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erasure_waits_for_a_fold_of_the_summaries_instead_of_racing_it() {
    if !postgres_enabled() {
        return;
    }
    // Pseudonymisation writes the guest's span rows of the report
    // summaries (the birth date goes), and so does the fold of the
    // summaries' log. Locking the same rows in opposite orders would be a
    // deadlock, which PostgreSQL ends by undoing one of them: the guest's
    // change takes the fold's turn, shared, before it touches them.
    use diesel::RunQueryDsl;
    let w = world(Backend::Postgres).await;
    let g = guest_named(&w, "Ioana", "Marin", json!([])).await;
    let stay = w
        .stay(json!({"guest_id": g, "shelter_id": w.a.id, "category": "women"}))
        .await;
    let res = w
        .app
        .post(
            &format!("/api/v1/stays/{}/check-ins", stay["id"].as_str().unwrap()),
            Some(&w.coordinator),
            &json!({}),
        )
        .await;
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
    let mut fold = w.app.conn();
    assert!(
        nattplats::db::summaries::fold(&mut fold).unwrap() > 0,
        "the guest's bed night is in the spans"
    );
    // A fold under way: its turn taken, not yet committed.
    for sql in ["BEGIN", "SELECT pg_advisory_xact_lock(2, 0)"] {
        diesel::sql_query(sql).execute(&mut **fold).unwrap();
    }
    let path = format!("/api/v1/guests/{g}");
    let (res, ()) = futures_util::join!(
        w.app
            .client
            .delete(w.app.url(&path))
            .bearer_auth(&w.app.admin_token)
            .send(),
        async {
            crate::concurrency::until_waiting_for_locks(&w, 1).await;
            diesel::sql_query("COMMIT").execute(&mut **fold).unwrap();
        }
    );
    assert_eq!(res.unwrap().status(), StatusCode::NO_CONTENT);
    let report = nattplats::db::invariants::check(&mut fold).unwrap();
    assert!(report.counts_off.is_empty(), "{report:?}");
}
