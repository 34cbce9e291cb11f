//! The audit trail: every read and change of a guest's data is written in
//! the same transaction as the act, hash-chained, and `nattplats audit
//! verify` finds an entry edited or deleted behind the service's back.

use diesel::RunQueryDsl;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::cli::{nattplats, url_of};
use crate::helpers::*;
use crate::world::*;

/// The id of a user, by username.
fn user_id(app: &TestApp, username: &str) -> String {
    use diesel::prelude::*;
    use nattplats::db::schema::users as u;
    u::table
        .filter(u::username.eq(username))
        .select(u::id)
        .first(&mut **app.conn())
        .unwrap()
}

async fn audit_of(app: &TestApp, query: &str) -> Vec<Value> {
    let res = app
        .get(&format!("/api/v1/audit?{query}"), Some(&app.admin_token))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page: Value = res.json().await.unwrap();
    page["entries"].as_array().unwrap().clone()
}

fn actions(entries: &[Value]) -> Vec<&str> {
    entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect()
}

fn verify(app: &TestApp) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    nattplats(dir.path(), &url_of(&app.settings.database))
        .args(["audit", "verify"])
        .output()
        .unwrap()
}

fn sql(app: &TestApp, statement: &str) -> Result<usize, diesel::result::Error> {
    let mut conn = app.conn();
    match &mut **conn {
        nattplats::db::DbConnection::Sqlite(c) => diesel::sql_query(statement).execute(c),
        nattplats::db::DbConnection::Postgres(c) => diesel::sql_query(statement).execute(c),
    }
}

/// Lets the test edit the trail as someone with database access could.
fn allow_tampering(app: &TestApp) {
    if app.settings.database.is_sqlite() {
        sql(app, "DROP TRIGGER audit_entries_no_update").unwrap();
        sql(app, "DROP TRIGGER audit_entries_no_delete").unwrap();
    } else {
        sql(
            app,
            "ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only",
        )
        .unwrap();
    }
}

backend_tests! {
    async fn reads_and_changes_of_a_guest_are_audited_with_who_and_the_request(b: Backend) {
        let w = world(b).await;
        let coordinator = user_id(&w.app, "coord");
        let g = w.man().await;
        let res = w.app.get(&format!("/api/v1/guests/{g}"), Some(&w.coordinator)).await;
        assert_eq!(res.status(), StatusCode::OK);
        let request_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
        let stay = w.stay(json!({"guest_id": g, "shelter_id": w.a.id})).await;
        // A refused second intake is audited too, with what it tried.
        let res = w.request_stay(&w.coordinator, json!({"guest_id": g, "shelter_id": w.b.id})).await;
        assert_problem(res, 409, "already-has-stay").await;
        let res = w.app.get(&format!("/api/v1/guests/{g}/eligibility"), Some(&w.coordinator)).await;
        assert_eq!(res.status(), StatusCode::OK);
        // A request that fails leaves nothing behind.
        let unknown = "00000000-0000-4000-8000-000000000000";
        assert_problem(w.app.get(&format!("/api/v1/guests/{unknown}"), Some(&w.coordinator)).await, 404, "not-found").await;

        let entries = audit_of(&w.app, &format!("guest_id={g}")).await;
        assert_eq!(actions(&entries), vec!["guest.eligibility", "stay.create.refused", "stay.create", "guest.read", "guest.register"]);
        for e in &entries {
            assert_eq!(e["user_id"], coordinator.as_str());
            assert_eq!(e["roles"], json!(["coordinator"]));
            assert_eq!(e["guest_id"], g.as_str());
            assert!(e["request_id"].is_string());
        }
        assert_eq!(entries[3]["request_id"], request_id.as_str());
        assert_eq!(entries[2]["subject_id"], stay["id"]);
        assert!(audit_of(&w.app, &format!("guest_id={unknown}")).await.is_empty());
        // Looking at a guest's trail is itself on the trail.
        let again = audit_of(&w.app, &format!("guest_id={g}")).await;
        assert_eq!(again[0]["action"], "audit.read");
        assert_eq!(again[0]["user_id"], user_id(&w.app, ADMIN).as_str());
        // By user, newest first, in pages.
        let by_user = audit_of(&w.app, &format!("user_id={coordinator}&limit=2")).await;
        assert_eq!(by_user.len(), 2);
        assert!(by_user[0]["seq"].as_i64() > by_user[1]["seq"].as_i64());
        let older = audit_of(&w.app, &format!("user_id={coordinator}&limit=2&before={}", by_user[1]["seq"])).await;
        assert!(older[0]["seq"].as_i64() < by_user[1]["seq"].as_i64());
        // Only admins read the trail.
        assert_problem(w.app.get("/api/v1/audit", Some(&w.coordinator)).await, 403, "forbidden").await;
        let p = assert_problem(w.app.get("/api/v1/audit?guest_id=x&limit=0", Some(&w.app.admin_token)).await, 422, "validation-failed").await;
        assert_eq!(error_fields(&p), vec!["guest_id", "limit"]);
    }

    async fn searches_and_possible_duplicates_are_reads_of_each_guest_shown(b: Backend) {
        let w = world(b).await;
        let body = json!({"given_name": "Ion", "family_name": "Popescu", "birth_year": 1980, "gender": "man", "citizenship": "RO"});
        let first: Value = w.app.post("/api/v1/guests", Some(&w.coordinator), &body).await.json().await.unwrap();
        let second: Value = w.app.post("/api/v1/guests", Some(&w.coordinator), &body).await.json().await.unwrap();
        assert_eq!(second["possible_duplicates"][0]["id"], first["id"]);
        let res = w.app.get("/api/v1/guests?q=Popescu", Some(&w.coordinator)).await;
        assert_eq!(res.json::<Value>().await.unwrap().as_array().unwrap().len(), 2);
        let entries = audit_of(&w.app, &format!("guest_id={}", first["id"].as_str().unwrap())).await;
        assert_eq!(actions(&entries), vec!["guest.search", "guest.shown-as-duplicate", "guest.register"]);
        assert_eq!(entries[1]["subject_id"], second["id"]);
    }

    async fn the_trail_is_append_only_and_verify_finds_an_edit_and_a_deletion(b: Backend) {
        let w = world(b).await;
        w.man().await;
        let g = w.man().await;
        // Forty reads over sixteen chains: some chain holds three or more.
        for _ in 0..40 {
            w.app.get(&format!("/api/v1/guests/{g}"), Some(&w.coordinator)).await;
        }
        let seqs = seqs_of(&w.app, &g);
        assert_eq!(seqs.len(), 41);
        let total = seqs_of_all(&w.app).len();
        let out = verify(&w.app);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("{total} entries")));
        // The database itself refuses to change the trail.
        assert!(sql(&w.app, &format!("UPDATE audit_entries SET action = 'guest.register' WHERE seq = {}", seqs[1])).is_err());
        assert!(sql(&w.app, &format!("DELETE FROM audit_entries WHERE seq = {}", seqs[2])).is_err());
        allow_tampering(&w.app);
        // An edited entry.
        assert_eq!(sql(&w.app, &format!("UPDATE audit_entries SET user_id = 'someone-else' WHERE seq = {}", seqs[1])).unwrap(), 1);
        let out = verify(&w.app);
        assert!(!out.status.success());
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.contains(&format!("entry {} was changed", seqs[1])), "{said}");
        // An entry moved to another place in its chain.
        let links = links_of_all(&w.app);
        let (chain, _, _) = *links.iter().find(|(c, l, _)| *l == 2 && links.iter().filter(|(o, _, _)| o == c).count() >= 3).unwrap();
        let (_, _, second) = links[links.iter().position(|(c, l, _)| *c == chain && *l == 2).unwrap()];
        sql(&w.app, &format!("UPDATE audit_entries SET link = 1000 WHERE seq = {second}")).unwrap();
        let said = String::from_utf8_lossy(&verify(&w.app).stderr).into_owned();
        assert!(said.contains(&format!("entry {second} was changed")), "{said}");
        sql(&w.app, &format!("UPDATE audit_entries SET link = 2 WHERE seq = {second}")).unwrap();
        // A deleted entry in the middle of a chain, and the last one of a chain.
        let (_, _, first) = *links.iter().find(|(c, l, _)| *c == chain && *l == 1).unwrap();
        sql(&w.app, &format!("DELETE FROM audit_entries WHERE seq = {first}")).unwrap();
        let said = String::from_utf8_lossy(&verify(&w.app).stderr).into_owned();
        assert!(said.contains(&format!("chain {chain}: links 1 to 1 are missing (before entry {second})")), "{said}");
        let (chain, link, last) = *links.last().unwrap();
        let last_of_chain = links.iter().filter(|(c, _, _)| *c == chain).map(|(_, l, _)| *l).max().unwrap();
        assert_eq!(link, last_of_chain, "the newest entry is the last of its chain");
        sql(&w.app, &format!("DELETE FROM audit_entries WHERE seq = {last}")).unwrap();
        let said = String::from_utf8_lossy(&verify(&w.app).stderr).into_owned();
        assert!(said.contains(&format!("chain {chain} ends at link {} but {link} were written", link - 1)), "{said}");
    }

    async fn concurrent_acts_keep_every_chain_unbroken(b: Backend) {
        let w = world(b).await;
        let g = w.man().await;
        let url = w.app.url(&format!("/api/v1/guests/{g}"));
        let reads = (0..24).map(|_| w.app.client.get(&url).bearer_auth(&w.coordinator).send());
        for res in futures_util::future::join_all(reads).await {
            assert_eq!(res.unwrap().status(), StatusCode::OK);
        }
        assert_eq!(seqs_of(&w.app, &g).len(), 25);
        // Each chain: links 1, 2, 3, ... in the order of the trail.
        let links = links_of_all(&w.app);
        let mut chains: Vec<i32> = links.iter().map(|(c, _, _)| *c).collect();
        chains.sort_unstable();
        chains.dedup();
        assert!(chains.len() > 1, "the acts went to one chain: {links:?}");
        for chain in chains {
            let of_chain: Vec<i64> = links.iter().filter(|(c, _, _)| *c == chain).map(|(_, l, _)| *l).collect();
            assert_eq!(of_chain, (1..=of_chain.len() as i64).collect::<Vec<_>>(), "chain {chain}");
        }
        let out = verify(&w.app);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }

    async fn a_read_of_many_guests_appends_their_entries_as_one_run_of_links(b: Backend) {
        let w = world(b).await;
        let mut guests = Vec::new();
        for _ in 0..30 {
            guests.push(w.man().await);
        }
        let before = seqs_of_all(&w.app).len();
        // Concurrent searches, each showing thirty guests.
        let url = w.app.url("/api/v1/guests?q=1980");
        let reads = (0..8).map(|_| w.app.client.get(&url).bearer_auth(&w.coordinator).send());
        for res in futures_util::future::join_all(reads).await {
            let shown: Value = res.unwrap().json().await.unwrap();
            assert_eq!(shown.as_array().unwrap().len(), 30);
        }
        let entries = entries_after(&w.app, before);
        assert_eq!(entries.len(), 8 * 30);
        // One search's entries: one chain, consecutive links, ascending
        // sequence numbers, each guest once.
        let mut requests: Vec<&str> = entries.iter().map(|e| e.request_id.as_deref().unwrap()).collect();
        requests.sort_unstable();
        requests.dedup();
        assert_eq!(requests.len(), 8);
        for request in requests {
            let of: Vec<_> = entries.iter().filter(|e| e.request_id.as_deref() == Some(request)).collect();
            assert_eq!(of.len(), 30);
            assert!(of.iter().all(|e| e.chain == of[0].chain && e.action == "guest.search"));
            let links: Vec<i64> = of.iter().map(|e| e.link).collect();
            assert_eq!(links, (of[0].link..of[0].link + 30).collect::<Vec<_>>(), "{request}");
            assert!(of.windows(2).all(|p| p[0].seq < p[1].seq && p[1].prev_hash == p[0].hash));
            let mut shown: Vec<&str> = of.iter().map(|e| e.guest_id.as_deref().unwrap()).collect();
            shown.sort_unstable();
            let mut all: Vec<&str> = guests.iter().map(String::as_str).collect();
            all.sort_unstable();
            assert_eq!(shown, all);
        }
        let out = verify(&w.app);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }

    async fn an_act_with_more_entries_than_one_insert_holds_keeps_its_chain(b: Backend) {
        use nattplats::audit::{self, Target, Who};
        let w = world(b).await;
        let before = seqs_of_all(&w.app).len();
        let who = Who::system("many-targets");
        // A stay target names the stay's guest.
        let g = w.man().await;
        let stay: Value = w.request_stay(&w.desk_a, json!({"guest_id": g, "shelter_id": w.a.id})).await.json().await.unwrap();
        let before_stay = seqs_of_all(&w.app).len();
        let mut targets: Vec<Target> = (0..1_203).map(|i| Target::guest(format!("g{i}"))).collect();
        targets.push(Target::stay(stay["id"].as_str().unwrap()));
        targets.push(Target::subject("s1").as_action("guest.export"));
        nattplats::db::write_tx(&mut w.app.conn(), |c| audit::append(c, &who, "guest.read", &targets)).unwrap();
        let entries = entries_after(&w.app, before_stay);
        assert_eq!(entries.len(), 1_205);
        assert!(entries.windows(2).all(|p| p[1].chain == p[0].chain && p[1].link == p[0].link + 1 && p[1].prev_hash == p[0].hash));
        assert_eq!(entries[1_202].guest_id.as_deref(), Some("g1202"));
        assert_eq!((entries[1_203].guest_id.as_deref(), entries[1_203].action.as_str()), (Some(g.as_str()), "guest.read"));
        assert_eq!((entries[1_204].guest_id.as_deref(), entries[1_204].action.as_str()), (None, "guest.export"));
        assert!(before < before_stay);
        // Nothing appended for no target.
        nattplats::db::write_tx(&mut w.app.conn(), |c| audit::append(c, &who, "guest.read", &[])).unwrap();
        assert_eq!(seqs_of_all(&w.app).len(), before_stay + 1_205);
        let out = verify(&w.app);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
}

/// (chain, link, seq) of every entry, in the trail's order.
fn links_of_all(app: &TestApp) -> Vec<(i32, i64, i64)> {
    use diesel::prelude::*;
    use nattplats::db::schema::audit_entries as a;
    a::table
        .select((a::chain, a::link, a::seq))
        .order(a::seq)
        .load(&mut **app.conn())
        .unwrap()
}

fn seqs_of(app: &TestApp, guest: &str) -> Vec<i64> {
    use diesel::prelude::*;
    use nattplats::db::schema::audit_entries as a;
    a::table
        .filter(a::guest_id.eq(guest))
        .select(a::seq)
        .order(a::seq)
        .load(&mut **app.conn())
        .unwrap()
}

/// The entries after the first `skip` of the trail, in its order.
fn entries_after(app: &TestApp, skip: usize) -> Vec<nattplats::audit::Entry> {
    use diesel::prelude::*;
    use nattplats::db::schema::audit_entries as a;
    let all: Vec<nattplats::audit::Entry> = a::table
        .select(nattplats::audit::Entry::as_select())
        .order(a::seq)
        .load(&mut **app.conn())
        .unwrap();
    all.into_iter().skip(skip).collect()
}

fn seqs_of_all(app: &TestApp) -> Vec<i64> {
    use diesel::prelude::*;
    use nattplats::db::schema::audit_entries as a;
    a::table
        .select(a::seq)
        .order(a::seq)
        .load(&mut **app.conn())
        .unwrap()
}

/// On PostgreSQL an act whose chain another transaction holds appends to
/// a free chain instead of waiting for that one's commit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_act_passes_over_a_chain_held_by_another_transaction() {
    use diesel::Connection;
    use nattplats::audit::{self, Target, Who, chain_of};
    use nattplats::db::{self, DbConnection};
    if !postgres_enabled() {
        return;
    }
    let (_db, url) = TestDb::new(Backend::Postgres);
    let pool = db::build_pool(&url, 2);
    let mut holder = pool.get().unwrap();
    let mut writer = pool.get().unwrap();
    db::run_migrations(&mut holder).unwrap();
    let who = Who::system("chain-test");
    let preferred = chain_of(&who);
    let at = chrono::Utc::now().naive_utc();
    // Waiting instead of passing over would hang this thread: fail instead.
    let DbConnection::Postgres(w) = &mut **writer else {
        panic!("a PostgreSQL connection")
    };
    diesel::sql_query("SET lock_timeout = '10s'")
        .execute(w)
        .unwrap();
    let DbConnection::Postgres(h) = &mut **holder else {
        panic!("a PostgreSQL connection")
    };
    h.transaction(|h| {
        diesel::sql_query(format!(
            "SELECT link FROM audit_chains WHERE chain = {preferred} FOR UPDATE"
        ))
        .execute(h)?;
        // Two entries in one act while the preferred chain is held: both
        // in the next chain, not waiting, and the head not taken twice.
        db::write_tx(&mut writer, |c| {
            audit::record(c, &who, "guest.read", &Target::guest("g1"), at)?;
            audit::record(c, &who, "guest.read", &Target::guest("g2"), at)
        })?;
        Ok::<_, diesel::result::Error>(())
    })
    .unwrap();
    let page = audit::query(&mut writer, &audit::Filter::default(), 10).unwrap();
    let next = preferred % audit::CHAINS + 1;
    assert_eq!(
        page.iter().map(|e| (e.chain, e.link)).collect::<Vec<_>>(),
        vec![(next, 2), (next, 1)]
    );
    // Once free, the preferred chain is taken again.
    db::write_tx(&mut writer, |c| {
        audit::record(c, &who, "guest.read", &Target::guest("g3"), at)
    })
    .unwrap();
    let page = audit::query(&mut writer, &audit::Filter::default(), 1).unwrap();
    assert_eq!((page[0].chain, page[0].link), (preferred, 1));
    let found = audit::verify(&mut writer).unwrap();
    assert_eq!((found.entries, found.problems), (3, vec![]));
}
